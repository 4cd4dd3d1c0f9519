"""Incident pages: the quick-log form (with draft autosave), list, detail, review queue,
CSV export, and the activities pages."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import Select
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.html import conditional_escape as escape
from django.utils.safestring import SafeString, mark_safe

from opensro.core.audit import record_disclosure
from opensro.core.crud import Resource
from opensro.core.models import Flag
from opensro.core.permissions import ADD, CHANGE, VIEW, can, can_on, grants
from opensro.incidents import choices as c
from opensro.incidents import selectors, services
from opensro.incidents.forms import (
    ActivityForm,
    IncidentFilterForm,
    IncidentForm,
    InvolvementFormSet,
    ReviewForm,
)
from opensro.incidents.models import Activity, Incident, Involvement


def _apply_errors(exc: ValidationError, form: IncidentForm, formset: Any) -> None:
    """Put each service error on its field: ``involvements.N.field`` on student N."""
    for key, msgs in exc.message_dict.items():
        parts = key.split(".")
        if parts[0] == "involvements" and len(parts) == 3 and int(parts[1]) < len(
                formset.forms):
            sub = formset.forms[int(parts[1])]
            sub.add_error(parts[2] if parts[2] in sub.fields else None, msgs)
        elif parts[0] == "involvements":
            formset._non_form_errors = formset.error_class(msgs)
        else:
            form.add_error(key if key in form.fields else None, msgs)


def _students(formset: Any) -> list[dict[str, Any]]:
    return [f.cleaned_student() for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")]


def _initial_students(incident: Incident) -> list[dict[str, Any]]:
    rows = []
    for inv in incident.involvements.all():
        data = {n: getattr(inv, n) for n in services.STUDENT_FIELDS}
        data["id"] = inv.pk
        rows.append(data)
    return rows


def _form_context(request: HttpRequest, incident: Incident | None) -> dict[str, Any]:
    amending = incident is not None and incident.status != c.Status.DRAFT
    schools = selectors.schools_for_logging(request.user)
    officers = selectors.officers_for_logging(request.user)
    initial: dict[str, Any] = {}
    if incident is None:
        school = selectors.primary_school(request.user)
        if school is not None:
            initial["school"] = school.pk
        officer = getattr(request.user, "officer", None)
        if officer is not None:
            initial["officer"] = officer.pk
    data = request.POST if request.method == "POST" else None
    form = IncidentForm(data, instance=incident, initial=initial, schools=schools,
                        officers=officers, amending=amending)
    formset = InvolvementFormSet(
        data, prefix="students",
        initial=_initial_students(incident) if incident is not None else [
            {"role": "subject", "counselled": True}],
    )
    return {"form": form, "formset": formset, "incident": incident, "amending": amending,
            "custodial": c.CUSTODIAL, "actions": c.ACTIONS}


def _save(request: HttpRequest, ctx: dict[str, Any], submit: bool) -> Incident | None:
    form, formset, incident = ctx["form"], ctx["formset"], ctx["incident"]
    if not (form.is_valid() and formset.is_valid()):
        return None
    data = {k: v for k, v in form.cleaned_data.items() if k != "amend_reason"}
    try:
        return services.save_incident(
            request.user, data, _students(formset), incident=incident,  # type: ignore[arg-type]
            submit=submit, amend_reason=form.cleaned_data.get("amend_reason", ""),
        )
    except ValidationError as exc:
        _apply_errors(exc, form, formset)
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
    return None


def _editable(request: HttpRequest, pk: int) -> Incident:
    incident = selectors.incidents_for(request.user).filter(pk=pk).first()
    if incident is None:
        raise Http404("No such incident in your scope.")
    if not can_on(request.user, CHANGE, incident):
        raise PermissionDenied
    return incident


@login_required
def incident_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The quick-log form: new incident, or edit/amend one."""
    incident = _editable(request, pk) if pk is not None else None
    if incident is None and not can(request.user, ADD, Incident):
        raise PermissionDenied
    if request.method == "POST" and request.POST.get("draft_id") and incident is None:
        incident = _editable(request, int(request.POST["draft_id"]))
    ctx = _form_context(request, incident)
    if request.method == "POST":
        if "add_student" in request.POST:
            ctx["formset"] = _with_extra_student(request)
        else:
            submit = "submit" in request.POST or (incident is not None and
                                                  incident.status != c.Status.DRAFT)
            saved = _save(request, ctx, submit=submit)
            if saved is not None:
                verb = {"draft": "Saved draft", "submitted": "Submitted",
                        "amended": "Amended"}.get(saved.status, "Saved")
                messages.success(request, f"{verb} {saved.number}.")
                return redirect("incident-detail", pk=saved.pk)
    status = 400 if request.method == "POST" and "add_student" not in request.POST else 200
    return render(request, "incidents/form.html", ctx, status=status)


def _with_extra_student(request: HttpRequest) -> Any:
    data = request.POST.copy()
    total = int(data.get("students-TOTAL_FORMS", "1"))
    data["students-TOTAL_FORMS"] = str(total + 1)
    data[f"students-{total}-role"] = "subject"
    formset = InvolvementFormSet(data, prefix="students")
    # Show no errors while the person is still filling the form in.
    setattr(formset, "_errors", [])  # noqa: B010
    setattr(formset, "_non_form_errors", formset.error_class())  # noqa: B010
    for f in formset.forms:
        setattr(f, "_errors", f.error_class())  # noqa: B010
    return formset


@login_required
def autosave(request: HttpRequest) -> HttpResponse:
    """htmx: save the form as a draft while the SRO types (no submission rules)."""
    if request.method != "POST":
        return HttpResponse(status=405)
    draft_id = request.POST.get("draft_id")
    incident = _editable(request, int(draft_id)) if draft_id else None
    if incident is not None and incident.status != c.Status.DRAFT:
        return HttpResponse('<span id="autosave-status">Submitted records are not '
                            "autosaved.</span>")
    if incident is None and not can(request.user, ADD, Incident):
        raise PermissionDenied
    ctx = _form_context(request, incident)
    saved = _save(request, ctx, submit=False)
    return render(request, "incidents/_autosave.html", {
        "saved": saved, "form": ctx["form"], "formset": ctx["formset"]})


def _attrs(attrs: dict[str, Any]) -> str:
    """HTML attributes as Django's ``attrs.html`` writes them."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"'
        for name, value in attrs.items() if value is not False)


class FastSelect(Select):
    """A select list written in Python: the same markup as Django's template-based
    ``Select`` (``select.html``/``select_option.html``), without rendering one template
    per option. A scope of a thousand schools makes that the slowest part of the
    incident list (see docs/performance.md)."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None,
               renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{escape(group_name)}">')
            for option in options:
                parts.append(f'\n  <option value="{escape(option["value"])}"'
                             f'{_attrs(option["attrs"])}>{escape(option["label"])}</option>\n')
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 -- every value above is escaped


def _fast_select(field: Any) -> None:
    fast = FastSelect(attrs=field.widget.attrs)
    fast.choices = field.widget.choices
    fast.is_required = field.widget.is_required
    field.widget = fast


def _filtered(request: HttpRequest) -> tuple[IncidentFilterForm, Any]:
    """The list filters (choices limited to the user's scope) and the incidents they
    select; the list page and the CSV export share them."""
    filters = IncidentFilterForm(request.GET or None)
    # The choices load only what their labels show (School and Officer __str__).
    filters.fields["school"].queryset = selectors.schools_for_logging(  # type: ignore[attr-defined]
        request.user).only("pk", "name")
    filters.fields["officer"].queryset = selectors.officers_for_logging(  # type: ignore[attr-defined]
        request.user).select_related(None).only("pk", "first_name", "last_name",
                                                "badge_number")
    for name in ("school", "officer"):
        _fast_select(filters.fields[name])
    qs = selectors.incidents_for(request.user)
    if filters.is_valid():
        qs = selectors.filter_incidents(qs, filters.cleaned_data)
    return filters, qs


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, VIEW, Incident):
        raise PermissionDenied
    filters, qs = _filtered(request)
    page = Paginator(selectors.PageOf(qs), 50).get_page(request.GET.get("page"))
    flagged = set(Flag.objects.filter(
        kind=selectors.DISCIPLINE_FLAG, subject_type=Incident._meta.label, status="open",
        subject_id__in=[str(i.pk) for i in page.object_list]).values_list("subject_id",
                                                                           flat=True))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "incidents/list.html", {
        "page": page, "filters": filters, "flagged": flagged,
        "can_add": can(request.user, ADD, Incident), "query": query.urlencode(),
    })


@login_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.incidents_for(request.user).filter(pk=pk).first()
    if incident is None:
        raise Http404("No such incident in your scope.")
    students, identified = selectors.involvements_for_display(request.user, incident)
    flags = Flag.objects.filter(subject_type=Incident._meta.label, subject_id=str(pk))
    return render(request, "incidents/detail.html", {
        "incident": incident, "students": students, "identified": identified,
        "flags": flags, "can_change": can_on(request.user, CHANGE, incident),
        "can_review": can_on(request.user, "review", incident) and incident.status in (
            c.Status.SUBMITTED, c.Status.AMENDED),
        "review_form": ReviewForm(),
        "other_officers": list(incident.other_officers.all()),
    })


@login_required
def incident_submit(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _editable(request, pk)
    if request.method != "POST":
        return redirect("incident-detail", pk=pk)
    try:
        services.submit_incident(request.user, incident)  # type: ignore[arg-type]
        messages.success(request, f"Submitted {incident.number}.")
        return redirect("incident-detail", pk=pk)
    except ValidationError as exc:
        messages.error(request, "This draft cannot be submitted yet: " + " ".join(
            m for msgs in exc.message_dict.values() for m in msgs))
        return redirect("incident-edit", pk=pk)


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    queue = selectors.review_queue(request.user)
    if not can(request.user, "review", Incident):
        raise PermissionDenied
    page = Paginator(selectors.PageOf(queue), 50).get_page(request.GET.get("page"))
    return render(request, "incidents/review_queue.html", {"page": page})


@login_required
def incident_review(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.review_queue(request.user).filter(pk=pk).first()
    if incident is None:
        raise Http404("No such record awaiting your review.")
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.review_incident(request.user, incident,  # type: ignore[arg-type]
                                 form.cleaned_data["comment"])
        messages.success(request, f"Reviewed {incident.number}.")
        nxt = selectors.review_queue(request.user).first()
        return redirect("incident-detail", pk=nxt.pk) if nxt and "next" in request.POST \
            else redirect("incident-review-queue")
    return redirect("incident-detail", pk=pk)


class _Echo:
    def write(self, value: str) -> str:
        return value


EXPORT_COLUMNS = [
    "incident", "status", "occurred_at", "school_nces_id", "school", "officer_badge",
    "location", "involvement_source", "requester_role", "reason", "reason_kind",
    "would_call_911", "deescalation", "student_pseudonym", "role", "age", "grade", "race",
    "sex", "idea", "section_504", "english_learner", *c.ACTION_FIELDS,
    "referral_to_law_enforcement", "school_related_arrest", "offense", "offense_severity",
]


@login_required
def incident_export(request: HttpRequest) -> StreamingHttpResponse:
    """CSV of every student involvement the user may see, with the list's filters.
    Pseudonyms appear only with the identity grant, and then the export is logged as a
    disclosure."""
    if not can(request.user, VIEW, Incident):
        raise PermissionDenied
    _filters, incidents = _filtered(request)
    identity = any(s.identity for s in grants(request.user))
    logged: list[bool] = []

    def pseudonym(inv: Involvement, incident: Incident) -> str:
        """The pseudonym where this user may see it; the first one shown logs the export
        as a disclosure (FERPA, R-D7)."""
        if not (identity and inv.student_pseudonym and selectors.may_see_identity(
                request.user, incident)):
            return ""
        if not logged:
            record_disclosure(request.user, None, ["student_pseudonym"],  # type: ignore[arg-type]
                              channel="export", object_type="incidents.Involvement",
                              object_id="export " + (request.GET.urlencode() or "all"),
                              purpose="CSV export of incident records")
            logged.append(True)
        return inv.student_pseudonym

    rows = Involvement.objects.filter(incident__in=incidents.values("pk")).select_related(
        "incident__school", "incident__officer", "incident__reason").order_by(
        "incident_id", "id")

    def generate() -> Any:
        writer = csv.writer(_Echo())
        yield writer.writerow(EXPORT_COLUMNS)
        for inv in rows.iterator(chunk_size=2000):
            i = inv.incident
            yield writer.writerow([
                i.number, i.status, i.occurred_at.isoformat(), i.school.nces_id, i.school.name,
                i.officer.badge_number, i.location, i.involvement_source, i.requester_role,
                i.reason.code, i.reason.kind, i.would_call_911, i.deescalation,
                pseudonym(inv, i), inv.role, inv.age or "",
                inv.grade, inv.race, inv.sex, int(inv.idea), int(inv.section_504),
                int(inv.english_learner), *[int(getattr(inv, a)) for a in c.ACTION_FIELDS],
                int(inv.referral_to_law_enforcement), int(inv.school_related_arrest),
                inv.offense, inv.offense_severity,
            ])

    response = StreamingHttpResponse(generate(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="incidents.csv"'
    return response


ACTIVITIES = Resource(
    Activity, "activities", "Activities", ActivityForm,
    services.create_activity, services.update_activity,
    columns=[("date", "Date"), ("kind", "Kind"), ("school", "School"),
             ("officer", "Officer"), ("participants", "Participants")],
    search=["topic"], filters=["kind", "school"],
    select_related=["school", "officer"],
    scoped_form_fields={"officer": "view", "school": "view"},
    help_text="Classes, mentoring, family outreach, extracurricular presence and CPTED "
              "reviews: the SRO's triad and prevention work (R-D6). No student identities.",
)

