"""Training pages: the course catalog, officers' records with certificates, compliance
per officer and per agency, policy profiles and their rules, each agency's policy,
district administrators' training, school staff training, and the CSV import
(R-G1…R-G4). Reads go through ``restrict``; writes through ``services``.
"""

from __future__ import annotations

import datetime
import mimetypes
from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from opensro.core.crud import Resource
from opensro.core.models import User
from opensro.core.permissions import ADD, CHANGE, DELETE, VIEW, can, can_on, restrict
from opensro.directory.choices import OfficerStatus
from opensro.directory.models import Agency, Officer
from opensro.training import compliance, forms, services
from opensro.training.imports import import_training
from opensro.training.models import (
    AdministratorTrainingRecord,
    AgencyPolicy,
    Course,
    PolicyProfile,
    RequirementRule,
    StaffTrainingSession,
    TrainingRecord,
)


def _actor(request: HttpRequest) -> User:
    """The signed-in user (login_required and the API's auth guarantee one)."""
    return cast(User, request.user)

RESOURCES: list[Resource] = [
    Resource(
        Course, "courses", "Course catalog", forms.CourseForm,
        services.create_course, services.update_course,
        columns=[("name", "Course"), ("code", "Code"), ("kind", "Kind"),
                 ("nominal_hours", "Hours"), ("source", "Source"), ("active", "Offered")],
        search=["name", "code"], filters=["kind"],
        help_text="Courses SROs, supervisors and district administrators take: the basic and "
                  "advanced SRO courses, NASRO's specialized courses, leadership courses, the "
                  "annual conference and the COPS Office's recommended topics (R-G1…R-G3).",
    ),
    Resource(
        AgencyPolicy, "agency-policies", "Agency training policies", forms.AgencyPolicyForm,
        services.create_agency_policy, services.update_agency_policy,
        columns=[("agency", "Agency"), ("profile", "Policy profile"),
                 ("program_start", "Program start")],
        select_related=["agency", "profile"],
        scoped_form_fields={"agency": "change"},
        help_text="The policy profile each agency's training is measured against, and the "
                  "date its SRO program started.",
    ),
    Resource(
        StaffTrainingSession, "staff-training", "School staff training",
        forms.StaffSessionForm, services.create_staff_session, services.update_staff_session,
        columns=[("title", "Session"), ("school", "School"), ("held_on", "Date"),
                 ("attendees", "Staff attending"), ("joint_with_sro", "Joint with SRO")],
        search=["title", "presenter"], filters=["school"],
        select_related=["school"],
        detail_fields=[("school", "School"), ("held_on", "Date"), ("title", "Title"),
                       ("topic_labels", "Topics covered"), ("attendees", "Staff attending"),
                       ("hours", "Hours"), ("presenter", "Presenter"),
                       ("joint_with_sro", "Joint training with the SRO"), ("notes", "Notes")],
        scoped_form_fields={"school": "change"},
        help_text="Sessions training school staff on the SRO program: the SRO's roles, when "
                  "to involve the SRO, civil rights, data collection, the MOU and FERPA "
                  "(GP 8, R-G4).",
    ),
]


def _today() -> datetime.date:
    return timezone.localdate()


def _apply_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errs in exc.message_dict.items():
            target = "upload" if name == "certificate" else name
            form.add_error(target if target in form.fields else None, errs)
    else:
        form.add_error(None, exc.messages)


# --------------------------------------------------------------------------- hub


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    officer = getattr(user, "officer", None)
    links = []
    if officer is not None and can_on(user, VIEW, officer) and can(user, VIEW, TrainingRecord):
        links.append(("My training and compliance",
                      reverse("training-officer", args=[officer.pk]),
                      "Your courses, certificates and what comes due."))
    if can(user, VIEW, TrainingRecord):
        links += [
            ("Compliance by agency", reverse("training-compliance"),
             "Every officer's standing on each requirement: met, due soon or overdue."),
            ("Training records", reverse("training-records"),
             "Completed courses with hours, provider and certificate."),
        ]
    if can(user, ADD, TrainingRecord):
        links.append(("Import training records", reverse("training-import"),
                      "Load completed courses from a CSV file."))
    if can(user, VIEW, AdministratorTrainingRecord):
        links.append(("District administrators' training", reverse("training-admin-records"),
                      "The management course for district administrators (R-G2)."))
    if can(user, VIEW, StaffTrainingSession):
        links.append(("School staff training", reverse("staff-training-list"),
                      "Sessions training school staff on the SRO program (R-G4)."))
    if can(user, VIEW, PolicyProfile):
        links += [
            ("Policy profiles", reverse("training-profiles"),
             "The requirement rules: COPS, NASRO and adapted copies."),
            ("Agency training policies", reverse("agency-policies-list"),
             "Which profile each agency follows."),
            ("Course catalog", reverse("courses-list"), "Every course the rules can name."),
        ]
    if not links:
        raise PermissionDenied("Your role does not include training records.")
    return render(request, "training/home.html", {"links": links})


# --------------------------------------------------------------------------- records


class _RecordKind:
    """What differs between officers' records and district administrators' records."""

    def __init__(self, model: type[Any], slug: str, title: str, form: type[Any],
                 create: Callable[..., Any], update: Callable[..., Any],
                 delete: Callable[..., Any]) -> None:
        self.model, self.slug, self.title, self.form = model, slug, title, form
        self.create, self.update, self.delete = create, update, delete

    def queryset(self, user: Any) -> QuerySet[Any]:
        related = ("officer__agency", "course") if self.model is TrainingRecord else (
            "person", "district", "course")
        return restrict(self.model.objects.select_related(*related), user, VIEW)

    def form_kwargs(self, user: Any) -> dict[str, Any]:
        if self.model is TrainingRecord:
            return {"officers": compliance.visible_officers(user).exclude(
                status=OfficerStatus.SEPARATED)}
        districts = compliance.admin_districts(user)
        people = compliance.district_admins(districts.values_list("pk", flat=True))
        from opensro.core.models import User

        return {"people": User.objects.filter(pk__in=[p.pk for p, _d in people]),
                "districts": districts}


OFFICER_RECORDS = _RecordKind(TrainingRecord, "training-record", "Training records",
                              forms.TrainingRecordForm, services.create_record,
                              services.update_record, services.delete_record)
ADMIN_RECORDS = _RecordKind(AdministratorTrainingRecord, "training-admin-record",
                            "District administrators' training", forms.AdministratorRecordForm,
                            services.create_admin_record, services.update_admin_record,
                            services.delete_admin_record)


def _get(kind: _RecordKind, request: HttpRequest, pk: int, action: str = VIEW) -> Any:
    obj = kind.queryset(request.user).filter(pk=pk).first()
    if obj is None:
        raise Http404(f"No {kind.model._meta.verbose_name} {pk} in your scope.")
    if action != VIEW and not can_on(request.user, action, obj):
        raise PermissionDenied
    return obj


def record_list(kind: _RecordKind) -> Callable[[HttpRequest], HttpResponse]:
    @login_required
    def view(request: HttpRequest) -> HttpResponse:
        if not can(request.user, VIEW, kind.model):
            raise PermissionDenied
        qs = kind.queryset(request.user)
        query = request.GET.get("q", "").strip()
        if query:
            if kind.model is TrainingRecord:
                qs = qs.filter(Q(officer__last_name__icontains=query)
                               | Q(officer__badge_number__iexact=query)
                               | Q(course__name__icontains=query)
                               | Q(provider__icontains=query))
            else:
                qs = qs.filter(Q(person__last_name__icontains=query)
                               | Q(course__name__icontains=query))
        course = request.GET.get("course", "")
        if course.isdigit():
            qs = qs.filter(course_id=int(course))
        page = Paginator(qs, 50).get_page(request.GET.get("page"))
        return render(request, "training/record_list.html", {
            "kind": kind, "page": page, "query": query, "course": course,
            "courses": Course.objects.all(), "can_add": can(request.user, ADD, kind.model),
            "officers": kind.model is TrainingRecord,
        })

    return view


def record_detail(kind: _RecordKind) -> Callable[[HttpRequest, int], HttpResponse]:
    @login_required
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        obj = _get(kind, request, pk)
        return render(request, "training/record_detail.html", {
            "kind": kind, "obj": obj, "can_change": can_on(request.user, CHANGE, obj),
            "can_delete": can_on(request.user, DELETE, obj),
            "officers": kind.model is TrainingRecord,
        })

    return view


def record_form(kind: _RecordKind, editing: bool) -> Callable[..., HttpResponse]:
    @login_required
    def view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
        obj = _get(kind, request, pk, CHANGE) if editing and pk is not None else None
        if obj is None and not can(request.user, ADD, kind.model):
            raise PermissionDenied
        initial: dict[str, Any] = {}
        if obj is None and kind.model is TrainingRecord:
            wanted = request.GET.get("officer") or ""
            own = getattr(request.user, "officer", None)
            if wanted.isdigit():
                initial["officer"] = int(wanted)
            elif own is not None:
                initial["officer"] = own.pk
        form = kind.form(request.POST or None, request.FILES or None, instance=obj,
                         initial=initial, **kind.form_kwargs(request.user))
        if request.method == "POST" and form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items()
                    if k not in ("upload", "remove_certificate")}
            upload = form.cleaned_data.get("upload")
            try:
                if obj is None:
                    saved = kind.create(_actor(request), data, upload)
                else:
                    saved = kind.update(_actor(request), obj, data, upload,
                                        remove_certificate=bool(
                                            form.cleaned_data.get("remove_certificate")))
            except ValidationError as exc:
                _apply_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or "You may not make that change.")
            else:
                messages.success(request, f"Saved “{saved}”.")
                return redirect(f"{kind.slug}-detail", pk=saved.pk)
        return render(request, "training/record_form.html", {
            "kind": kind, "form": form, "obj": obj, "editing": editing,
        }, status=400 if request.method == "POST" else 200)

    return view


def record_delete(kind: _RecordKind) -> Callable[[HttpRequest, int], HttpResponse]:
    @login_required
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        obj = _get(kind, request, pk, DELETE)
        form = forms.DeleteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            after = (reverse("training-officer", args=[obj.officer_id])
                     if kind.model is TrainingRecord else reverse(f"{kind.slug}s"))
            try:
                kind.delete(_actor(request), obj, reason=form.cleaned_data["reason"])
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "The record was deleted; the audit log keeps it.")
                return redirect(after)
        return render(request, "training/confirm_delete.html", {
            "obj": obj, "form": form, "cancel": reverse(f"{kind.slug}-detail", args=[obj.pk]),
        }, status=400 if request.method == "POST" else 200)

    return view


def record_certificate(kind: _RecordKind) -> Callable[[HttpRequest, int], HttpResponseBase]:
    @login_required
    def view(request: HttpRequest, pk: int) -> HttpResponseBase:
        obj = _get(kind, request, pk)
        if not obj.certificate:
            raise Http404("This record has no certificate.")
        return certificate_response(obj)

    return view


def certificate_response(obj: Any) -> HttpResponseBase:
    """Serve a stored certificate (the caller checked that the user may see the record)."""
    from django.core.files.storage import default_storage

    try:
        handle = default_storage.open(obj.certificate, "rb")
    except FileNotFoundError as exc:
        raise Http404("The certificate file is missing from storage.") from exc
    ctype = obj.certificate_type or mimetypes.guess_type(obj.certificate)[0] or \
        "application/octet-stream"
    ext = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}.get(ctype, "bin")
    response = FileResponse(handle, content_type=ctype, as_attachment=False,
                            filename=f"certificate-{obj.pk}.{ext}")
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
def import_records(request: HttpRequest) -> HttpResponse:
    if not can(request.user, ADD, TrainingRecord):
        raise PermissionDenied
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = import_training(form.cleaned_data["file"].read(), _actor(request),
                                 all_or_nothing=not form.cleaned_data["accept_valid"])
    return render(request, "training/import.html", {"form": form, "report": report})


# --------------------------------------------------------------------------- compliance


@login_required
def officer_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One officer's training record and compliance (R-G1, R-G2, R-G4)."""
    officer = compliance.visible_officers(request.user).filter(pk=pk).first()
    if officer is None:
        raise Http404("No officer in your scope with that number.")
    today = _today()
    comp = compliance.officer_compliance(officer, today)
    records = restrict(TrainingRecord.objects.filter(officer=officer).select_related("course"),
                       request.user, VIEW)
    rules = ({r.pk: r for r in comp.policy.profile.rules.select_related("anchor_course")}
             if comp.policy else {})
    return render(request, "training/officer.html", {
        "officer": officer, "comp": comp, "records": records, "today": today,
        "rows": [(s, rules.get(s.rule.id)) for s in comp.statuses],
        "can_add": can(request.user, ADD, TrainingRecord)
        and can_on(request.user, VIEW, officer),
        "flag": _open_flag(officer, request.user),
    })


def _open_flag(officer: Officer, user: Any) -> Any:
    from opensro.core.models import Flag, FlagStatus

    return restrict(Flag.objects.filter(kind=services.OVERDUE_FLAG, status=FlagStatus.OPEN,
                                        subject_type=Officer._meta.label,
                                        subject_id=str(officer.pk)), user, VIEW).first()


@login_required
def agency_compliance(request: HttpRequest) -> HttpResponse:
    """Every visible officer of one agency against each requirement of its profile."""
    if not can(request.user, VIEW, TrainingRecord):
        raise PermissionDenied("Your role does not include training records.")
    officers = compliance.visible_officers(request.user).exclude(
        status=OfficerStatus.SEPARATED)
    agencies = list(restrict(Agency.objects.filter(pk__in=officers.values("agency_id")),
                             request.user, VIEW))
    chosen = request.GET.get("agency", "")
    agency = next((a for a in agencies if str(a.pk) == chosen), agencies[0] if agencies else None)
    today = _today()
    ctx: dict[str, Any] = {"agencies": agencies, "agency": agency, "today": today}
    if agency is not None:
        policy = AgencyPolicy.objects.filter(agency=agency).select_related("profile").first()
        rows = compliance.for_officers(list(officers.filter(agency=agency).order_by(
            "kind", "last_name", "first_name")), today)
        rows += compliance.for_district_admins(agency, today, request.user)
        rules = list(policy.profile.rules.all()) if policy else []
        status = request.GET.get("status", "")
        if status == "overdue":
            rows = [r for r in rows if r.overdue]
        elif status == "due_soon":
            rows = [r for r in rows if r.due_soon]
        ctx.update({
            "policy": policy, "rules": rules, "status": status,
            "table": [{"comp": r, "cells": [r.by_rule.get(rule.pk) for rule in rules]}
                      for r in rows],
            "counts": {
                "people": len(rows),
                "overdue": sum(1 for r in rows if r.overdue),
                "due_soon": sum(1 for r in rows if r.due_soon and not r.overdue),
            },
            "can_set_policy": can(request.user, ADD, AgencyPolicy) if policy is None
            else can_on(request.user, CHANGE, policy),
        })
    return render(request, "training/agency_compliance.html", ctx)


# --------------------------------------------------------------------------- profiles


def _built_in(profile: PolicyProfile | None) -> str:
    if profile is not None and profile.built_in:
        return (f"“{profile}” is built in and stays as published; copy it to adapt its "
                "rules.")
    return ""


def _profile(request: HttpRequest, pk: int, action: str = VIEW) -> PolicyProfile:
    obj = restrict(PolicyProfile.objects.all(), request.user, VIEW).filter(pk=pk).first()
    if obj is None:
        raise Http404("No such policy profile.")
    if action != VIEW and not can_on(request.user, action, obj):
        raise PermissionDenied
    return obj


@login_required
def profile_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, VIEW, PolicyProfile):
        raise PermissionDenied
    profiles = restrict(PolicyProfile.objects.prefetch_related("rules", "agencies__agency"),
                        request.user, VIEW)
    return render(request, "training/profile_list.html", {
        "profiles": profiles, "can_add": can(request.user, ADD, PolicyProfile)})


@login_required
def profile_detail(request: HttpRequest, pk: int) -> HttpResponse:
    profile = _profile(request, pk)
    rules = profile.rules.prefetch_related("courses").select_related("anchor_course")
    agencies = restrict(Agency.objects.filter(training_policy__profile=profile), request.user,
                        VIEW)
    editable = not profile.built_in and can_on(request.user, CHANGE, profile)
    return render(request, "training/profile_detail.html", {
        "profile": profile, "rules": rules, "agencies": agencies, "editable": editable,
        "can_copy": can(request.user, ADD, PolicyProfile), "copy_form": forms.CopyProfileForm(
            initial={"name": f"{profile.name} (adapted)"}),
    })


@login_required
def profile_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    profile = _profile(request, pk, CHANGE) if pk is not None else None
    if profile is None and not can(request.user, ADD, PolicyProfile):
        raise PermissionDenied
    form = forms.ProfileForm(request.POST or None, instance=profile)
    refusal = _built_in(profile)
    if not refusal and request.method == "POST" and form.is_valid():
        try:
            saved = (services.update_profile(_actor(request), profile, form.cleaned_data)
                     if profile else services.create_profile(_actor(request), form.cleaned_data))
        except ValidationError as exc:
            _apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Saved profile “{saved}”.")
            return redirect("training-profile", pk=saved.pk)
    return render(request, "training/simple_form.html", {
        "form": form, "refusal": refusal,
        "title": f"Edit {profile}" if profile else "New policy profile",
        "cancel": reverse("training-profile", args=[profile.pk]) if profile
        else reverse("training-profiles"),
    }, status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def profile_copy(request: HttpRequest, pk: int) -> HttpResponse:
    profile = _profile(request, pk)
    if not can(request.user, ADD, PolicyProfile):
        raise PermissionDenied
    form = forms.CopyProfileForm(request.POST)
    if form.is_valid():
        try:
            copy = services.copy_profile(_actor(request), profile, form.cleaned_data["name"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Copied “{profile}” to “{copy}”; adapt its rules below.")
            return redirect("training-profile", pk=copy.pk)
    return render(request, "training/simple_form.html", {
        "form": form, "title": f"Copy {profile}",
        "cancel": reverse("training-profile", args=[profile.pk]),
        "action": reverse("training-profile-copy", args=[profile.pk]),
    }, status=400)


def _rule(request: HttpRequest, pk: int, action: str = VIEW) -> RequirementRule:
    rule = restrict(RequirementRule.objects.select_related("profile", "anchor_course"),
                    request.user, VIEW).filter(pk=pk).first()
    if rule is None:
        raise Http404("No such requirement rule.")
    if action != VIEW and not can_on(request.user, action, rule):
        raise PermissionDenied
    return rule


@login_required
def rule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _rule(request, pk)
    return render(request, "training/rule_detail.html", {
        "rule": rule, "editable": not rule.profile.built_in
        and can_on(request.user, CHANGE, rule)})


@login_required
def rule_form(request: HttpRequest, pk: int | None = None,
              profile_pk: int | None = None) -> HttpResponse:
    rule = _rule(request, pk, CHANGE) if pk is not None else None
    profile = rule.profile if rule is not None else _profile(request, profile_pk or 0)
    if rule is None and not can(request.user, ADD, RequirementRule):
        raise PermissionDenied
    form = forms.RuleForm(request.POST or None, instance=rule)
    refusal = _built_in(profile)
    if not refusal and request.method == "POST" and form.is_valid():
        try:
            saved = (services.update_rule(_actor(request), rule, form.cleaned_data) if rule
                     else services.create_rule(_actor(request), profile, form.cleaned_data))
        except ValidationError as exc:
            _apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Saved requirement “{saved}”.")
            return redirect("training-profile", pk=profile.pk)
    return render(request, "training/simple_form.html", {
        "form": form, "refusal": refusal, "title": f"Edit requirement: {rule}" if rule
        else f"New requirement in {profile}",
        "cancel": reverse("training-profile", args=[profile.pk]),
    }, status=400 if request.method == "POST" else 200)


@login_required
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _rule(request, pk, DELETE)
    form = forms.DeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        profile = rule.profile
        try:
            services.delete_rule(_actor(request), rule, form.cleaned_data["reason"])
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, "The requirement was removed from the profile.")
            return redirect("training-profile", pk=profile.pk)
    return render(request, "training/confirm_delete.html", {
        "obj": rule, "form": form, "cancel": reverse("training-profile",
                                                      args=[rule.profile_id]),
    }, status=400 if request.method == "POST" else 200)

