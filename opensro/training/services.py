"""Every write of the training app: validated, permission-checked, in one transaction,
audited (architecture rules 1, 2, 8). The web pages, the API, the CSV import and the
demo all call these functions.

Training rules are data (policy profiles of requirement rules): changing an agency's
profile, or a rule of a profile, changes who is overdue with no change to the code. The
``training_overdue`` flag (one per officer) is recomputed whenever a record, a rule or an
agency's profile changes, and every day by ``opensro flags refresh``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from opensro.core import audit
from opensro.core import services as core
from opensro.core.choices import Role
from opensro.core.flags import (
    DueItem,
    FlagKind,
    RefreshResult,
    clear_flags,
    raise_flag,
    register_due_source,
    register_kind,
)
from opensro.core.models import Flag, FlagStatus, RoleGrant, User
from opensro.core.permissions import ADD, CHANGE, DELETE, can, can_on, has_role, require
from opensro.directory.choices import OfficerStatus
from opensro.directory.models import Agency, Assignment, Officer
from opensro.training import certificates, compliance
from opensro.training.choices import State
from opensro.training.models import (
    AdministratorTrainingRecord,
    AgencyPolicy,
    Course,
    PolicyProfile,
    RequirementRule,
    StaffTrainingSession,
    TrainingRecord,
    certificate_path,
)

OVERDUE_FLAG = "training_overdue"


def _today(today: datetime.date | None) -> datetime.date:
    return today or timezone.localdate()


# --------------------------------------------------------------------------- catalog


def create_course(actor: User | None, data: Mapping[str, Any]) -> Course:
    return core.create(actor, Course, data)


def update_course(actor: User | None, course: Course, data: Mapping[str, Any]) -> Course:
    if "code" in data and data["code"] != course.code and (
            RequirementRule.objects.filter(courses=course).exists()
            or TrainingRecord.objects.filter(course=course).exists()):
        raise ValidationError({"code": "This code is in use by requirement rules or training "
                                       "records; it cannot change."})
    return core.update(actor, course, data)


# --------------------------------------------------------------------------- profiles


def _editable(profile: PolicyProfile) -> None:
    if profile.built_in:
        raise ValidationError({"profile": f"“{profile}” is built in and stays as published; "
                                          "copy it to adapt its rules."})


def create_profile(actor: User | None, data: Mapping[str, Any]) -> PolicyProfile:
    return core.create(actor, PolicyProfile, data)


def update_profile(actor: User | None, profile: PolicyProfile,
                   data: Mapping[str, Any]) -> PolicyProfile:
    _editable(profile)
    return core.update(actor, profile, data)


def copy_profile(actor: User | None, profile: PolicyProfile, name: str,
                 description: str | None = None) -> PolicyProfile:
    """A new, editable profile with a copy of every rule of ``profile``."""
    if actor is not None and not can(actor, ADD, PolicyProfile):
        raise PermissionDenied("You may not add training policy profiles.")
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Name the new profile, e.g. “NASRO as required in "
                                       "Ohio”."})
    with transaction.atomic():
        copy = core.create(actor, PolicyProfile, {
            "name": name, "based_on": profile,
            "description": description if description is not None else profile.description,
        }, action="copy_profile")
        for rule in profile.rules.prefetch_related("courses"):
            courses = list(rule.courses.all())
            values = {f.name: getattr(rule, f.name) for f in RequirementRule._meta.concrete_fields
                      if f.name not in ("id", "profile")}
            core.create(actor, RequirementRule, {**values, "profile": copy, "courses": courses})
    return copy


def _check_rule(rule: RequirementRule, courses: list[Course] | None) -> None:
    errors: dict[str, str] = {}
    if courses is not None:
        if not courses:
            errors["courses"] = "Choose at least one course that meets the requirement."
        elif rule.anchor_course_id is not None and rule.anchor_course_id in {
                c.pk for c in courses}:
            errors["anchor_course"] = ("A requirement cannot be counted from the completion "
                                       "of a course that itself meets it.")
    if errors:
        raise ValidationError(errors)


def _affected_agencies(profile: PolicyProfile) -> list[Agency]:
    return [p.agency for p in AgencyPolicy.objects.filter(profile=profile).select_related(
        "agency")]


def create_rule(actor: User | None, profile: PolicyProfile,
                data: Mapping[str, Any]) -> RequirementRule:
    _editable(profile)
    courses = list(data.get("courses") or [])
    with transaction.atomic():
        rule = core.create(actor, RequirementRule, {**data, "profile": profile},
                           validate=lambda r: _check_rule(r, courses))
        for agency in _affected_agencies(profile):
            refresh_agency(agency, actor=actor)
    return rule


def update_rule(actor: User | None, rule: RequirementRule,
                data: Mapping[str, Any]) -> RequirementRule:
    _editable(rule.profile)
    if "profile" in data and data["profile"] != rule.profile:
        raise ValidationError({"profile": "A rule stays in its profile; copy the profile "
                                          "instead."})
    courses = list(data["courses"]) if "courses" in data else list(rule.courses.all())
    with transaction.atomic():
        saved = core.update(actor, rule, data, validate=lambda r: _check_rule(r, courses))
        for agency in _affected_agencies(rule.profile):
            refresh_agency(agency, actor=actor)
    return saved


def delete_rule(actor: User | None, rule: RequirementRule, reason: str) -> None:
    _editable(rule.profile)
    profile = rule.profile
    with transaction.atomic():
        core.delete(actor, rule, reason=reason)
        for agency in _affected_agencies(profile):
            refresh_agency(agency, actor=actor)


# --------------------------------------------------------------------------- agency policy


def _check_policy(policy: AgencyPolicy) -> None:
    if policy.program_start and policy.program_start.year < 1980:
        raise ValidationError({"program_start": "Enter the program's real start date."})


def create_agency_policy(actor: User | None, data: Mapping[str, Any], *,
                         today: datetime.date | None = None) -> AgencyPolicy:
    agency = data.get("agency")
    if agency is not None and AgencyPolicy.objects.filter(agency=agency).exists():
        raise ValidationError({"agency": f"{agency} already has a training policy; change it "
                                         "instead."})
    with transaction.atomic():
        policy = core.create(actor, AgencyPolicy, data, validate=_check_policy)
        refresh_agency(policy.agency, today, actor=actor)
    return policy


def update_agency_policy(actor: User | None, policy: AgencyPolicy,
                         data: Mapping[str, Any], *,
                         today: datetime.date | None = None) -> AgencyPolicy:
    if "agency" in data and data["agency"] != policy.agency:
        raise ValidationError({"agency": "A policy stays with its agency."})
    with transaction.atomic():
        saved = core.update(actor, policy, data, validate=_check_policy)
        refresh_agency(saved.agency, today, actor=actor)
    return saved


def set_agency_policy(actor: User | None, agency: Agency, profile: PolicyProfile,
                      program_start: datetime.date | None = None, *,
                      today: datetime.date | None = None) -> AgencyPolicy:
    """Choose the profile an agency follows (and its program start date); the agency's
    officers' overdue flags follow at once."""
    existing = AgencyPolicy.objects.filter(agency=agency).first()
    data: dict[str, Any] = {"profile": profile}
    if program_start is not None or existing is None:
        data["program_start"] = program_start
    if existing is None:
        return create_agency_policy(actor, {"agency": agency, **data}, today=today)
    return update_agency_policy(actor, existing, data, today=today)


# --------------------------------------------------------------------------- records


def _storage() -> Any:
    from django.core.files.storage import default_storage

    return default_storage


def _store(upload: IO[bytes] | Any) -> tuple[str, str]:
    """Check and store an upload under a random name; (stored name, content type)."""
    kind = certificates.check(upload)
    name = _storage().save(certificate_path(None, "c" + certificates.EXTENSIONS[kind]), upload)
    return name, kind


def _discard_later(name: str) -> None:
    if name:
        transaction.on_commit(lambda: _storage().delete(name))


def _check_record(record: TrainingRecord) -> None:
    if record.completed_on and record.completed_on.year < 1970:
        raise ValidationError({"completed_on": "Check the year of the completion date."})


def _check_admin_record(record: AdministratorTrainingRecord) -> None:
    if not RoleGrant.objects.filter(user_id=record.person_id, role=Role.DISTRICT_ADMIN,
                                    district_id=record.district_id).exists():
        raise ValidationError({"person": f"{record.person} is not a district administrator of "
                                         f"{record.district}."})


def _create_record(actor: User | None, model: type[Any], data: Mapping[str, Any],
                   certificate: Any, validate: Any) -> Any:
    values = dict(data)
    values.pop("certificate", None)
    stored = ""
    if certificate:
        stored, kind = _store(certificate)
        values.update({"certificate": stored, "certificate_type": kind})
    try:
        with transaction.atomic():
            return core.create(actor, model, values, validate=validate)
    except BaseException:
        if stored:
            _storage().delete(stored)
        raise


def _update_record(actor: User | None, record: Any, data: Mapping[str, Any],
                   certificate: Any, remove_certificate: bool, validate: Any) -> Any:
    values = dict(data)
    values.pop("certificate", None)
    old = record.certificate
    stored = ""
    if certificate:
        if actor is not None:
            require(actor, CHANGE, record)
        stored, kind = _store(certificate)
        values.update({"certificate": stored, "certificate_type": kind})
    elif remove_certificate and old:
        values.update({"certificate": "", "certificate_type": ""})
    try:
        with transaction.atomic():
            saved = core.update(actor, record, values, validate=validate)
            if old and (stored or remove_certificate):
                _discard_later(old)
            return saved
    except BaseException:
        if stored:
            _storage().delete(stored)
        raise


def create_record(actor: User | None, data: Mapping[str, Any], certificate: Any = None,
                  *, today: datetime.date | None = None) -> TrainingRecord:
    """Record a completed course for an officer (R-G4); the officer's overdue flag is
    recomputed in the same transaction."""
    with transaction.atomic():
        record = _create_record(actor, TrainingRecord, data, certificate, _check_record)
        refresh_officer(record.officer, today, actor=actor)
    return record


def update_record(actor: User | None, record: TrainingRecord, data: Mapping[str, Any],
                  certificate: Any = None, *, remove_certificate: bool = False,
                  today: datetime.date | None = None) -> TrainingRecord:
    if "officer" in data and data["officer"] != record.officer:
        raise ValidationError({"officer": "A record stays with its officer; delete it and "
                                          "record it for the right officer."})
    with transaction.atomic():
        saved = _update_record(actor, record, data, certificate, remove_certificate,
                               _check_record)
        refresh_officer(saved.officer, today, actor=actor)
    return saved


def delete_record(actor: User | None, record: TrainingRecord, reason: str,
                  *, today: datetime.date | None = None) -> None:
    officer = record.officer
    name = record.certificate
    with transaction.atomic():
        core.delete(actor, record, reason=reason)
        _discard_later(name)
        refresh_officer(officer, today, actor=actor)


def create_admin_record(actor: User | None, data: Mapping[str, Any],
                        certificate: Any = None) -> AdministratorTrainingRecord:
    """Record a course a district administrator completed (R-G2)."""
    return _create_record(actor, AdministratorTrainingRecord, data, certificate,
                          _check_admin_record)


def update_admin_record(actor: User | None, record: AdministratorTrainingRecord,
                        data: Mapping[str, Any], certificate: Any = None, *,
                        remove_certificate: bool = False) -> AdministratorTrainingRecord:
    for key in ("person", "district"):
        if key in data and data[key] != getattr(record, key):
            raise ValidationError({key: "A record stays with its person and district."})
    return _update_record(actor, record, data, certificate, remove_certificate,
                          _check_admin_record)


def delete_admin_record(actor: User | None, record: AdministratorTrainingRecord,
                        reason: str) -> None:
    name = record.certificate
    with transaction.atomic():
        core.delete(actor, record, reason=reason)
        _discard_later(name)


def may_delete(actor: Any, record: Any) -> bool:
    return can_on(actor, DELETE, record)


# --------------------------------------------------------------------------- staff training


def create_staff_session(actor: User | None, data: Mapping[str, Any]) -> StaffTrainingSession:
    """Record a session training a school's staff on the SRO program (R-G4)."""
    return core.create(actor, StaffTrainingSession, data)


def update_staff_session(actor: User | None, session: StaffTrainingSession,
                         data: Mapping[str, Any]) -> StaffTrainingSession:
    if "school" in data and data["school"] != session.school and actor is not None and not (
            has_role(actor, Role.SYSTEM_ADMIN, Role.DISTRICT_ADMIN)):
        raise PermissionDenied("Only a district or system administrator moves a session to "
                               "another school.")
    return core.update(actor, session, data)


# --------------------------------------------------------------------------- flags


def _evidence(comp: compliance.PersonCompliance) -> dict[str, Any]:
    assert comp.policy is not None
    return {
        "profile": comp.policy.profile.name,
        "agency": str(comp.agency),
        "overdue": [
            {"requirement": s.rule.name, "due": s.due.isoformat() if s.due else None,
             "courses": sorted(c.name for c in Course.objects.filter(pk__in=s.rule.courses))}
            for s in comp.overdue
        ],
    }


def _current_school(officer: Officer, today: datetime.date) -> Any:
    current = Assignment.objects.filter(officer=officer, start_date__lte=today).exclude(
        end_date__lt=today).select_related("school__district").order_by("-primary",
                                                                          "start_date").first()
    return current.school if current else None


def _apply(comp: compliance.PersonCompliance, today: datetime.date,
           actor: User | None) -> tuple[int, int]:
    officer = comp.officer
    assert officer is not None
    if officer.status == OfficerStatus.ACTIVE and comp.policy is not None and comp.overdue:
        evidence = _evidence(comp)
        before = Flag.objects.filter(kind=OVERDUE_FLAG, subject_type=Officer._meta.label,
                                     subject_id=str(officer.pk),
                                     status=FlagStatus.OPEN).values_list("evidence",
                                                                         flat=True).first()
        school = _current_school(officer, today)
        n = len(comp.overdue)
        raise_flag(
            OVERDUE_FLAG, officer,
            title=f"Training overdue: {comp.name} ({n} requirement{'s' if n != 1 else ''})",
            evidence=evidence, agency=officer.agency, officer=officer,
            school=school, district=school.district if school else None, actor=actor,
        )
        return (0 if before == audit._json_safe(evidence) else 1), 0
    reason = ("The officer's training is up to date under the agency's profile."
              if comp.policy is not None and officer.status == OfficerStatus.ACTIVE
              else "The officer is no longer active or the agency has no training policy.")
    return 0, clear_flags(OVERDUE_FLAG, officer, reason=reason, actor=actor)


def refresh_officer(officer: Officer, today: datetime.date | None = None, *,
                    actor: User | None = None) -> tuple[int, int]:
    """Raise, re-evidence or clear one officer's ``training_overdue`` flag."""
    officer = Officer.objects.select_related("agency").get(pk=officer.pk)
    return _apply(compliance.officer_compliance(officer, _today(today)), _today(today), actor)


def refresh_agency(agency: Agency, today: datetime.date | None = None, *,
                   actor: User | None = None) -> RefreshResult:
    officers = list(Officer.objects.filter(agency=agency).select_related("agency"))
    return _refresh(officers, _today(today), actor)


def _refresh(officers: list[Officer], day: datetime.date, actor: User | None) -> RefreshResult:
    raised = cleared = 0
    for comp in compliance.for_officers(officers, day):
        r, c = _apply(comp, day, actor)
        raised += r
        cleared += c
    return RefreshResult(raised=raised, cleared=cleared)


def refresh_training_flags(day: datetime.date) -> RefreshResult:
    """What ``opensro flags refresh`` runs: every active officer of an agency with a
    training policy, and every officer whose flag is still open."""
    flagged = Flag.objects.filter(kind=OVERDUE_FLAG, status=FlagStatus.OPEN,
                                  subject_type=Officer._meta.label).values_list(
        "subject_id", flat=True)
    ids = set(compliance.active_officers_with_policy().values_list("pk", flat=True))
    ids |= {int(i) for i in flagged}
    officers = list(Officer.objects.filter(pk__in=ids).select_related("agency"))
    with transaction.atomic():
        return _refresh(officers, day, None)


def _flag_url(flag: Flag) -> str | None:
    return reverse("training-officer", args=[flag.subject_id])


# --------------------------------------------------------------------------- due items


def due_items(user: Any, today: datetime.date, horizon_days: int) -> list[DueItem]:
    """Training coming due within the horizon, and overdue, that ``user`` may see."""
    limit = today + datetime.timedelta(days=horizon_days)
    items: list[DueItem] = []
    officers = list(compliance.visible_officers(user).filter(
        status__in=[OfficerStatus.ACTIVE, OfficerStatus.LEAVE],
        agency__training_policy__isnull=False))
    for comp in compliance.for_officers(officers, today):
        assert comp.officer is not None
        url = reverse("training-officer", args=[comp.officer.pk])
        for s in comp.statuses:
            if _coming_due(s, limit):
                assert s.due is not None
                items.append(DueItem("training", f"Training: {s.rule.name} — {comp.name}",
                                     s.due, url, agency_id=comp.agency.pk,
                                     officer_id=comp.officer.pk))
    agencies = Agency.objects.filter(training_policy__isnull=False,
                                     districts_served__in=compliance.admin_districts(user)
                                     ).distinct() if user is not None else Agency.objects.none()
    for agency in agencies:
        for comp in compliance.for_district_admins(agency, today, user):
            assert comp.district is not None
            for s in comp.statuses:
                if _coming_due(s, limit):
                    assert s.due is not None
                    items.append(DueItem(
                        "training", f"Training: {s.rule.name} — {comp.name} ({agency})",
                        s.due, reverse("training-compliance") + f"?agency={agency.pk}",
                        agency_id=agency.pk, district_id=comp.district.pk))
    return items


def _coming_due(status: Any, limit: datetime.date) -> bool:
    if status.due is None or status.due > limit:
        return False
    if status.state == State.MET:
        return bool(status.rule.recurrence_months)
    return status.state in (State.OVERDUE, State.DUE_SOON, State.NOT_DUE)


def register() -> None:
    """Called from the app's ready(): the flag kind and the due source."""
    register_kind(FlagKind(
        OVERDUE_FLAG, "Training overdue",
        "An officer has not completed training their agency's policy profile requires by "
        "its due date (R-G1, R-G2). Recording the course clears it.",
        subject_url=_flag_url, refresh=refresh_training_flags,
    ))
    register_due_source(due_items)

