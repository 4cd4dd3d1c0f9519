"""The review queue: flags in the user's scope with filters, one flag's evidence and
history, and the decision (agree and record the action taken, or dismiss), which only
:func:`opensro.core.flags.decide_flag` records (R-F1: every flag gets a person's
decision; flags and decisions are never public)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import select_template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from opensro.core import flags
from opensro.core.models import AuditEvent, Flag, FlagStatus
from opensro.core.permissions import CHANGE, VIEW, can, can_on, restrict

#: Actions a reviewer commonly records when agreeing with a flag; "Other" asks for the
#: action in the reason.
FLAG_ACTIONS: tuple[str, ...] = (
    "Coaching",
    "Additional training",
    "Reassignment",
    "Written counselling",
    "Referred for investigation",
    "Clarified the MOU with school staff",
    "Review rescheduled",
    "Other (described in the reason)",
)
ANY = "any"


def flags_for(user: Any, action: str = VIEW) -> QuerySet[Flag]:
    """Flags ``user`` may see (or decide), scoped by the flag's agency, district, school
    or officer: an SRO sees only flags about themselves."""
    return restrict(Flag.objects.select_related("agency", "district", "school", "officer",
                                                "decided_by"), user, action)


class FlagFilterForm(forms.Form):
    """The queue's filters; the school and officer choices are limited to the scope."""

    status = forms.ChoiceField(required=False, label="Status")
    kind = forms.ChoiceField(required=False, label="Kind")
    school = forms.TypedChoiceField(required=False, coerce=int, empty_value=None,
                                    label="School")
    officer = forms.TypedChoiceField(required=False, coerce=int, empty_value=None,
                                     label="Officer")

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from opensro.directory.models import Officer, School

        kinds = {code: kind.label for code, kind in flags.kinds().items()}
        for code in Flag.objects.order_by().values_list("kind", flat=True).distinct():
            kinds.setdefault(code, flags.kind_label(code))
        choices: dict[str, list[tuple[Any, str]]] = {
            "status": [*((v, str(label)) for v, label in FlagStatus.choices),
                       (ANY, "Any status")],
            "kind": [("", "Any kind"), *sorted(kinds.items(), key=lambda kv: kv[1])],
            "school": [("", "Any school")] + [
                (s.pk, s.name) for s in restrict(School.objects.all(), user, VIEW)],
            "officer": [("", "Any officer")] + [
                (o.pk, str(o)) for o in restrict(Officer.objects.all(), user, VIEW)],
        }
        for name, options in choices.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = options

    def apply(self, qs: QuerySet[Flag]) -> QuerySet[Flag]:
        """The filtered queue; nothing for a filter outside the choices (a school or an
        officer out of scope, an unknown status)."""
        if not self.is_valid():
            return qs.none()
        data = self.cleaned_data
        status = data.get("status") or FlagStatus.OPEN
        if status != ANY:
            qs = qs.filter(status=status)
        if data.get("kind"):
            qs = qs.filter(kind=data["kind"])
        if data.get("school"):
            qs = qs.filter(school_id=data["school"])
        if data.get("officer"):
            qs = qs.filter(officer_id=data["officer"])
        return qs


class DecisionForm(forms.Form):
    """A reviewer's decision. Whether a reason and an action are required is decided by
    ``decide_flag`` (one place for the rule); its messages are shown on the fields."""

    decision = forms.ChoiceField(
        label="Decision", widget=forms.RadioSelect,
        choices=[("agree", "Agree: this needs action"),
                 ("dismiss", "Dismiss: no action is needed")],
        error_messages={"required": "Choose whether you agree or dismiss the flag."})
    action_taken = forms.ChoiceField(
        label="Action taken", required=False,
        choices=[("", "Choose…")] + [(a, a) for a in FLAG_ACTIONS],
        help_text="Required when you agree: what was done about it.")
    decision_reason = forms.CharField(
        label="Reason", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Required: why you agree or dismiss, in words the next reviewer "
                  "understands.")


@login_required
def flag_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, VIEW, Flag):
        raise PermissionDenied("Your role does not include reviewing flags.")
    form = FlagFilterForm(request.user, request.GET or {"status": FlagStatus.OPEN})
    qs = form.apply(flags_for(request.user))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    labels = {code: kind.label for code, kind in flags.kinds().items()}
    rows = [{"flag": f, "kind": labels.get(f.kind) or flags.kind_label(f.kind)}
            for f in page.object_list]
    return render(request, "core/flags/list.html", {
        "page": page, "rows": rows, "filters": form,
        "open_count": flags_for(request.user).filter(status=FlagStatus.OPEN).count(),
    })


def _get(request: HttpRequest, pk: int) -> Flag:
    flag = flags_for(request.user).filter(pk=pk).first()
    if flag is None:
        raise Http404("No such flag in your scope.")
    return flag


def _detail(request: HttpRequest, flag: Flag, form: DecisionForm | None = None,
            status: int = 200) -> HttpResponse:
    may_decide = flag.status == FlagStatus.OPEN and can_on(request.user, CHANGE, flag)
    template = select_template([f"core/flags/evidence/{flag.kind}.html",
                                "core/flags/evidence/generic.html"])
    evidence = template.render({"flag": flag, "evidence": flag.evidence,
                                "evidence_html": render_evidence(flag.evidence)}, request)
    history = AuditEvent.objects.filter(object_type=Flag._meta.label,
                                        object_id=str(flag.pk)).order_by("seq")
    return render(request, "core/flags/detail.html", {
        "flag": flag, "kind_label": flags.kind_label(flag.kind),
        "kind": flags.kinds().get(flag.kind),
        "subject_url": flags.subject_url(flag), "evidence": mark_safe(evidence),  # noqa: S308
        "history": history, "may_decide": may_decide,
        "form": form or DecisionForm(), "scope": _scope_line(flag),
    }, status=status)


def _scope_line(flag: Flag) -> list[tuple[str, str]]:
    parts = [("Agency", flag.agency), ("District", flag.district), ("School", flag.school),
             ("Officer", flag.officer)]
    return [(label, str(value)) for label, value in parts if value is not None]


@login_required
def flag_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _get(request, pk))


@login_required
def flag_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a decision (POST): the flag leaves the open queue."""
    flag = _get(request, pk)
    if request.method != "POST":
        return redirect("flag-detail", pk=pk)
    if not can_on(request.user, CHANGE, flag):
        raise PermissionDenied("Your role does not decide this flag.")
    form = DecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            flags.decide_flag(request.user, flag,  # type: ignore[arg-type]
                              agree=data["decision"] == "agree",
                              reason=data["decision_reason"],
                              action_taken=data["action_taken"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            verb = "Agreed with" if data["decision"] == "agree" else "Dismissed"
            messages.success(request, f"{verb} the flag “{flag.title}”.")
            return redirect("flag-list")
    return _detail(request, flag, form, status=400)


# --------------------------------------------------------------------------- evidence


def _humanize(key: str) -> str:
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def render_evidence(value: Any, depth: int = 0) -> SafeString:
    """Any JSON evidence as HTML: mappings as definition lists, lists as lists, a
    mapping with a ``url`` as a link (its ``number``, ``label`` or ``name`` as text),
    booleans as Yes/No. Everything is escaped."""
    if isinstance(value, dict):
        if "url" in value and isinstance(value["url"], str) and value["url"].startswith("/"):
            text = value.get("number") or value.get("label") or value.get("name") or value["url"]
            return format_html('<a href="{}">{}</a>', value["url"], text)
        if not value:
            return format_html("{}", "—")
        items = format_html_join(
            "", "<div><dt>{}</dt><dd>{}</dd></div>",
            ((_humanize(k), render_evidence(v, depth + 1)) for k, v in value.items()))
        return format_html('<dl class="evidence">{}</dl>', items)
    if isinstance(value, list | tuple):
        if not value:
            return format_html("{}", "none")
        items = format_html_join("", "<li>{}</li>", ((render_evidence(v, depth + 1),)
                                                     for v in value))
        return format_html('<ul class="evidence-list">{}</ul>', items)
    if isinstance(value, bool):
        return format_html("{}", "Yes" if value else "No")
    if value is None or value == "":
        return format_html("{}", "—")
    return format_html("{}", value)
