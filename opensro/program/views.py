"""Program pages: MOUs with their checklist, document and annual reviews (R-C1…R-C3),
the compliance dashboard, staffing (R-A3, R-A4), and the catalog and staffing-factor
lists (generic list/detail/create/edit).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse

from opensro.core import audit, flags
from opensro.core.choices import Role
from opensro.core.crud import Resource
from opensro.core.models import Flag, FlagStatus
from opensro.core.permissions import ADD, CHANGE, VIEW, can, can_on, has_role, restrict
from opensro.directory.models import Agency, District, SchoolYear
from opensro.program import documents, forms, services
from opensro.program import selectors as sel
from opensro.program.choices import MouStatus
from opensro.program.models import Mou, MouElement, MouReview, StaffingFactors

#: Roles that use the compliance dashboard: the people who run and audit the program.
COMPLIANCE_ROLES = (Role.SUPERVISOR, Role.AGENCY_ADMIN, Role.DISTRICT_ADMIN,
                    Role.SCHOOL_ADMIN, Role.AUDITOR, Role.SYSTEM_ADMIN)


def _today() -> datetime.date:
    return services.today()


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _apply_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errs in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errs)
    else:
        form.add_error(None, exc.messages)


def _get_mou(request: HttpRequest, pk: int, action: str = VIEW) -> Mou:
    mou = sel.mous_for(request.user).filter(pk=pk).first()
    if mou is None:
        raise Http404(f"No MOU {pk} in your scope.")
    if action != VIEW and not can_on(request.user, action, mou):
        raise PermissionDenied(f"You may not {action} this MOU.")
    return mou


# --------------------------------------------------------------------------- MOUs


@login_required
def mou_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, VIEW, Mou):
        raise PermissionDenied("Your role does not include reading MOU records.")
    day = _today()
    qs = sel.mous_for(request.user)
    agency_id, district_id = _int(request.GET.get("agency")), _int(request.GET.get("district"))
    status = request.GET.get("status", "")
    if agency_id:
        qs = qs.filter(agency_id=agency_id)
    if district_id:
        qs = qs.filter(district_id=district_id)
    if status in MouStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    pairs = {(m.agency_id, m.district_id) for m in page.object_list}
    in_force = {m.pk for m in sel.in_force_on(day, Mou.objects.filter(
        agency_id__in={a for a, _d in pairs}, district_id__in={d for _a, d in pairs}))}
    add_url = reverse("mou-create")
    if agency_id or district_id:
        add_url += f"?agency={agency_id or ''}&district={district_id or ''}"
    return render(request, "program/mou_list.html", {
        "page": page, "in_force": in_force, "status": status,
        "statuses": MouStatus.choices,
        "agencies": restrict(Agency.objects.all(), request.user, VIEW),
        "districts": restrict(District.objects.all(), request.user, VIEW),
        "agency_id": agency_id, "district_id": district_id,
        "can_add": can(request.user, ADD, Mou), "add_url": add_url,
    })


def _scope_mou_form(form: forms.MouForm, user: Any) -> None:
    form.fields["agency"].queryset = restrict(Agency.objects.all(), user, VIEW)  # type: ignore[attr-defined]
    form.fields["district"].queryset = restrict(District.objects.all(), user, VIEW)  # type: ignore[attr-defined]


@login_required
def mou_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    mou = _get_mou(request, pk, CHANGE) if pk is not None else None
    if mou is None and not can(request.user, ADD, Mou):
        raise PermissionDenied("You may not add an MOU.")
    initial = {}
    if mou is None:
        initial = {"agency": _int(request.GET.get("agency")),
                   "district": _int(request.GET.get("district")),
                   "title": "School resource officer program MOU"}
    form = forms.MouForm(request.POST or None, request.FILES or None, instance=mou,
                         initial=initial)
    _scope_mou_form(form, request.user)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "document"}
        upload = form.cleaned_data.get("document")
        try:
            if mou is None:
                saved = services.create_mou(request.user, data, upload)  # type: ignore[arg-type]
            else:
                data.pop("agency", None)
                data.pop("district", None)
                saved = services.update_mou(request.user, mou, data, upload)  # type: ignore[arg-type]
        except ValidationError as exc:
            _apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or "You may not make that change.")
        else:
            messages.success(request, f"Saved {saved}.")
            return redirect("mou-detail", pk=saved.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "program/mou_form.html", {"form": form, "mou": mou},
                  status=status)


@login_required
def mou_detail(request: HttpRequest, pk: int) -> HttpResponse:
    mou = _get_mou(request, pk)
    day = _today()
    state = sel.state_of(mou, day)
    mou = next(m for m in state.mous if m.pk == mou.pk)
    reviews = list(mou.reviews.all())
    rows = sel.checklist(mou)
    missing = [r["element"] for r in rows if r["element"].required and not r["present"]
               and r["element"].active]
    open_flags = restrict(Flag.objects.filter(
        subject_type=Mou._meta.label, subject_id=str(mou.pk), status=FlagStatus.OPEN),
        request.user, VIEW)
    due = sel.review_due(mou)
    in_force = state.in_force is not None and state.in_force.pk == mou.pk
    versions = [m for m in sorted(state.mous, key=lambda m: -m.version)
                if m.pk != mou.pk and can_on(request.user, VIEW, m)]
    return render(request, "program/mou_detail.html", {
        "mou": mou, "rows": rows, "missing": missing, "reviews": reviews,
        "flags": [(f, flags.kind_label(f.kind)) for f in open_flags],
        "in_force": in_force, "superseded": state.superseded(mou),
        "expired": state.expired(mou, day), "review_due": due,
        "review_overdue": in_force and due < day, "versions": versions,
        "can_change": can_on(request.user, CHANGE, mou), "today": day,
    })


@login_required
def mou_checklist(request: HttpRequest, pk: int) -> HttpResponse:
    mou = _get_mou(request, pk, CHANGE)
    form = forms.ChecklistForm(request.POST or None, rows=sel.checklist(mou))
    if request.method == "POST" and form.is_valid():
        try:
            services.set_checklist(request.user, mou, form.items())  # type: ignore[arg-type]
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Saved the checklist of {mou}.")
            return redirect("mou-detail", pk=mou.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "program/mou_checklist.html", {"form": form, "mou": mou},
                  status=status)


@login_required
def mou_document(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The signed document, for people allowed to read the MOU. Downloads of a
    document that is not published are recorded in the audit trail."""
    mou = _get_mou(request, pk)
    return _serve(mou, record_for=None if mou.public else request.user)


def mou_public_document(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The signed document of a published, executed MOU: anyone may read it (R-C3)."""
    mou = Mou.objects.filter(pk=pk, public=True, status=MouStatus.EXECUTED).first()
    if mou is None:
        raise Http404("No published MOU with that number.")
    return _serve(mou, record_for=None)


def _serve(mou: Mou, record_for: Any) -> HttpResponseBase:
    if not documents.exists(mou.document_file):
        raise Http404("This MOU has no signed document on file.")
    if record_for is not None:
        with transaction.atomic():
            audit.record(record_for, "download_document", mou, after=audit.snapshot(mou),
                         reason="Read the signed MOU document.")
    response = FileResponse(documents.open_stored(mou.document_file),
                            content_type="application/pdf",
                            filename=mou.document_name or f"mou-{mou.pk}.pdf")
    response["Content-Disposition"] = response["Content-Disposition"].replace(
        "attachment", "inline")
    response["Cache-Control"] = "private, no-store" if not mou.public else "public, max-age=3600"
    return response


# --------------------------------------------------------------------------- reviews


@login_required
def review_create(request: HttpRequest, pk: int) -> HttpResponse:
    mou = _get_mou(request, pk, CHANGE)
    if not can(request.user, ADD, MouReview):
        raise PermissionDenied("You may not record MOU reviews.")
    form = forms.MouReviewForm(request.POST or None, initial={"review_date": _today()})
    if request.method == "POST" and form.is_valid():
        try:
            review = services.record_review(request.user, mou, form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as exc:
            _apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Recorded the review of {review.review_date:%Y-%m-%d}; "
                                      f"the next one is due {review.next_review_due:%Y-%m-%d}.")
            return redirect("mou-detail", pk=mou.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "program/review_form.html",
                  {"form": form, "mou": mou, "review": None}, status=status)


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, VIEW, MouReview):
        raise PermissionDenied("Your role does not include reading MOU records.")
    qs = restrict(MouReview.objects.select_related("mou__agency", "mou__district"),
                  request.user, VIEW)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "program/review_list.html", {"page": page})


def _get_review(request: HttpRequest, pk: int, action: str = VIEW) -> MouReview:
    review = restrict(MouReview.objects.select_related("mou__agency", "mou__district"),
                      request.user, VIEW).filter(pk=pk).first()
    if review is None:
        raise Http404(f"No MOU review {pk} in your scope.")
    if action != VIEW and not can_on(request.user, action, review):
        raise PermissionDenied(f"You may not {action} this review.")
    return review


@login_required
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = _get_review(request, pk)
    return render(request, "program/review_detail.html", {
        "review": review, "can_change": can_on(request.user, CHANGE, review)})


@login_required
def review_edit(request: HttpRequest, pk: int) -> HttpResponse:
    review = _get_review(request, pk, CHANGE)
    form = forms.MouReviewForm(request.POST or None, instance=review)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.update_review(request.user, review, form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as exc:
            _apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Saved {saved}.")
            return redirect("mou-review-detail", pk=saved.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "program/review_form.html",
                  {"form": form, "mou": review.mou, "review": review}, status=status)


# --------------------------------------------------------------------------- compliance


def may_use_compliance(user: Any) -> bool:
    return has_role(user, *COMPLIANCE_ROLES)


def compliance_summary(user: Any, day: datetime.date, *, agency_id: int | None = None,
                       district_id: int | None = None) -> dict[str, Any]:
    """Open flags by kind (every registered kind) and items coming due, in the user's
    scope, optionally narrowed to one agency or district."""
    open_flags: QuerySet[Flag] = restrict(Flag.objects.filter(status=FlagStatus.OPEN),
                                          user, VIEW)
    if agency_id:
        open_flags = open_flags.filter(agency_id=agency_id)
    if district_id:
        open_flags = open_flags.filter(district_id=district_id)
    counts = dict(open_flags.order_by().values("kind").annotate(n=Count("id"))
                  .values_list("kind", "n"))
    registered = flags.kinds()
    kinds = [{"code": code, "label": kind.label, "description": kind.description,
              "open": counts.get(code, 0), "url": reverse("flag-list") + f"?kind={code}"}
             for code, kind in registered.items()]
    kinds += [{"code": code, "label": flags.kind_label(code), "description": "",
               "open": n, "url": reverse("flag-list") + f"?kind={code}"}
              for code, n in sorted(counts.items()) if code not in registered]
    horizon = int(settings.OPENSRO["DUE_SOON_DAYS"])
    due = [i for i in flags.due_items(user, day, horizon)
           if (not agency_id or i.agency_id in (None, agency_id))
           and (not district_id or i.district_id in (None, district_id))]
    return {"kinds": kinds, "open_total": sum(k["open"] for k in kinds),
            "due": [{"item": i, "overdue": i.overdue(day), "days": (i.due - day).days,
                     "late": (day - i.due).days}
                    for i in due],
            "overdue_total": sum(1 for i in due if i.overdue(day)), "horizon": horizon}


def mou_pairs(user: Any, day: datetime.date, *, agency_id: int | None = None,
              district_id: int | None = None) -> list[dict[str, Any]]:
    """Each agency–district pair in the user's scope with its MOU in force."""
    agencies = {a.pk: a for a in restrict(Agency.objects.all(), user, VIEW)}
    districts = {d.pk: d for d in restrict(District.objects.all(), user, VIEW)}
    pairs = [(a, d) for _pk, a, d in sel.served_pairs() if a in agencies and d in districts
             and (not agency_id or a == agency_id) and (not district_id or d == district_id)]
    if not pairs:
        return []
    mous = sel.with_reviews(Mou.objects.filter(agency_id__in={a for a, _d in pairs},
                                               district_id__in={d for _a, d in pairs}))
    states = sel.pair_states(mous, day)
    required = sel.required_elements()
    rows = []
    for a, d in sorted(pairs, key=lambda p: (agencies[p[0]].name, districts[p[1]].name)):
        state = states.get((a, d)) or sel.PairState(a, d)
        mou = state.in_force
        due = sel.review_due(mou) if mou else None
        rows.append({
            "agency": agencies[a], "district": districts[d], "mou": mou,
            "review_due": due, "review_overdue": bool(due and due < day),
            "missing": len(sel.missing_required(mou, required)) if mou else None,
            "expired": state.newest if state.newest and state.expired_unrenewed(
                state.newest, day) else None,
            "list_url": reverse("mou-list") + f"?agency={a}&district={d}",
        })
    return rows


@login_required
def compliance(request: HttpRequest) -> HttpResponse:
    """The compliance dashboard (per agency and per district): every open flag by kind,
    everything coming due, and each agency–district pair's MOU."""
    if not may_use_compliance(request.user):
        raise PermissionDenied("The compliance dashboard is for supervisors, "
                               "administrators and auditors.")
    day = _today()
    agencies = restrict(Agency.objects.all(), request.user, VIEW)
    districts = restrict(District.objects.all(), request.user, VIEW)
    agency_id = _int(request.GET.get("agency"))
    district_id = _int(request.GET.get("district"))
    if agency_id and not agencies.filter(pk=agency_id).exists():
        agency_id = None
    if district_id and not districts.filter(pk=district_id).exists():
        district_id = None
    summary = compliance_summary(request.user, day, agency_id=agency_id,
                                 district_id=district_id)
    return render(request, "program/compliance.html", {
        **summary, "today": day, "agencies": agencies, "districts": districts,
        "agency_id": agency_id, "district_id": district_id,
        "pairs": mou_pairs(request.user, day, agency_id=agency_id, district_id=district_id),
        "can_view_mous": can(request.user, VIEW, Mou),
    })


# --------------------------------------------------------------------------- staffing


@login_required
def staffing(request: HttpRequest) -> HttpResponse:
    """Per school: SROs and their tenure against the goal, NASRO's staffing factors,
    coverage, rotation and floating-SRO warnings (R-A3, R-A4)."""
    from opensro.directory.models import Assignment

    if not can(request.user, VIEW, Assignment):
        raise PermissionDenied("The staffing page names officers; your role works with "
                               "aggregates only.")
    day = _today()
    districts = restrict(District.objects.all(), request.user, VIEW)
    district_id = _int(request.GET.get("district"))
    if district_id and not districts.filter(pk=district_id).exists():
        district_id = None
    years = SchoolYear.objects.all()
    year_id = _int(request.GET.get("year"))
    year = years.filter(pk=year_id).first() if year_id else None
    report = sel.staffing_report(request.user, day, year=year, district_id=district_id)
    return render(request, "program/staffing.html", {
        "report": report, "districts": districts, "district_id": district_id,
        "years": years, "can_add_factors": can(request.user, ADD, StaffingFactors),
    })


# --------------------------------------------------------------------------- generic lists


RESOURCES: list[Resource] = [
    Resource(
        MouElement, "mou-elements", "MOU elements", forms.MouElementForm,
        services.create_element, services.update_element,
        columns=[("label", "Element"), ("source", "Source"), ("required", "Required"),
                 ("active", "Active")],
        search=["label", "code"], filters=["source", "required"],
        help_text=("What an MOU should contain: the COPS Office minimum content (required) "
                   "and NASRO's topics (recommended), R-C1 and R-C2."),
    ),
    Resource(
        StaffingFactors, "staffing-factors", "Staffing factors", forms.StaffingFactorsForm,
        services.create_staffing_factors, services.update_staffing_factors,
        columns=[("school", "School"), ("school_year", "Year"),
                 ("non_sworn_safety_staff", "Non-sworn safety staff"),
                 ("calls_for_service", "Calls for service")],
        filters=["school", "school_year"], select_related=["school", "school_year"],
        scoped_form_fields={"school": "change"},
        help_text=("NASRO's staffing factors per school and year beside enrollment and "
                   "campus size: non-sworn safety staff and calls for service (R-A4)."),
    ),
]
