"""Every write to incident records (R-D1…R-D8): validate with ``rules``, check
permission, write, keep the analytics copies in step, raise or clear the
discipline-involvement flag, verify scope and record the audit event, in one
transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from opensro.core import audit, bulk
from opensro.core import services as core
from opensro.core.flags import clear_flags, raise_flag
from opensro.core.models import User
from opensro.core.permissions import ADD, CHANGE, can, can_on, require
from opensro.directory.models import Officer, SchoolYear
from opensro.incidents import choices as c
from opensro.incidents import rules
from opensro.incidents.models import Activity, Incident, Involvement
from opensro.incidents.pseudonym import pseudonymize

DISCIPLINE_FLAG = "discipline_involvement"

INCIDENT_FIELDS = (
    "school", "officer", "occurred_at", "recorded_at", "late_entry_reason", "location",
    "involvement_source", "requester_role", "reason", "would_call_911", "deescalation",
    "deescalation_notes", "narrative", "source_system", "source_record_id", "source_hash",
)
STUDENT_FIELDS = tuple(
    f.name for f in Involvement._meta.concrete_fields
    if f.name not in {"id", "incident", "school", "school_year", "officer", "final",
                      "created_at", "updated_at", "student_pseudonym",
                      "referral_to_law_enforcement", "school_related_arrest"}
)


def actor_officer(actor: User | None) -> Officer | None:
    return getattr(actor, "officer", None) if actor is not None else None


def build_incident(data: Mapping[str, Any], incident: Incident | None = None) -> Incident:
    """An unsaved (or changed, unsaved) incident from cleaned values."""
    if incident is None:
        obj: Incident = bulk.new(Incident, {n: data[n] for n in INCIDENT_FIELDS if n in data})
    else:
        obj = incident
        for name in INCIDENT_FIELDS:
            if name in data:
                setattr(obj, name, data[name])
    for name in ("occurred_at", "recorded_at"):
        value = getattr(obj, name)
        if value is not None and timezone.is_naive(value):
            # A time without an offset is local to the program (settings.TIME_ZONE).
            setattr(obj, name, timezone.make_aware(value))
    if not obj.recorded_at:
        obj.recorded_at = timezone.now()
    if obj.involvement_source != c.InvolvementSource.SCHOOL_STAFF:
        obj.requester_role = obj.requester_role or ""
    return obj


def build_involvements(
    incident: Incident, students: Sequence[Mapping[str, Any]],
    existing: Mapping[int, Involvement] | None = None,
) -> list[Involvement]:
    """Unsaved involvements from cleaned values. A raw ``student_id`` becomes the keyed
    pseudonym here and is never kept; an edited row keeps its earlier pseudonym."""
    rows: list[Involvement] = []
    district_lea = incident.school.district.nces_id if incident.school_id else ""
    for data in students:
        inv: Involvement = bulk.new(Involvement, {
            name: data[name] for name in STUDENT_FIELDS
            if name in data and data[name] is not None})
        old = (existing or {}).get(data.get("id") or 0)
        raw_id = (data.get("student_id") or "").strip()
        if raw_id:
            inv.student_pseudonym = pseudonymize(district_lea, raw_id)
        elif data.get("student_pseudonym"):
            inv.student_pseudonym = data["student_pseudonym"]
        elif old is not None:
            inv.student_pseudonym = old.student_pseudonym
        inv.basis = sorted(set(inv.basis or []))
        rows.append(inv)
    return rows


def _school_year(incident: Incident) -> SchoolYear:
    day = timezone.localtime(incident.occurred_at).date()
    year = SchoolYear.for_date(day)
    if year is None:
        raise ValidationError({"occurred_at": f"No school year covers {day.isoformat()}; a "
                                              "system administrator must add it first."})
    return year


def _model_errors(incident: Incident, involvements: Sequence[Involvement]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    try:
        incident.full_clean(exclude=["school_year", "recorded_at"], validate_unique=False,
                            validate_constraints=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    for n, inv in enumerate(involvements):
        try:
            inv.full_clean(exclude=["incident", "school", "school_year", "officer"],
                           validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for key, msgs in exc.message_dict.items():
                errors.setdefault(f"involvements.{n}.{key}", []).extend(msgs)
    return errors


def validate(incident: Incident, involvements: Sequence[Involvement], *, submitting: bool,
             now: datetime.datetime | None = None) -> None:
    """All checks a write makes, raising one ValidationError with every problem.
    Field problems come first; the rules run on what parsed."""
    errors = _model_errors(incident, involvements)
    serves = None
    if incident.school_id and incident.officer_id:
        serves = incident.officer.agency.districts_served.filter(
            pk=incident.school.district_id).exists()
    problems = rules.check(incident, involvements, submitting=submitting, now=now,
                           agency_serves_school=serves)
    for key, msgs in problems.errors.items():
        errors.setdefault(key, []).extend(m for m in msgs if m not in errors.get(key, []))
    if errors:
        raise ValidationError(errors)


def derive(incident: Incident, involvements: Sequence[Involvement]) -> None:
    final = incident.status != c.Status.DRAFT
    for inv in involvements:
        inv.incident = incident
        inv.school_id = incident.school_id
        inv.school_year_id = incident.school_year_id
        inv.officer_id = incident.officer_id
        inv.final = final
        inv.referral_to_law_enforcement, inv.school_related_arrest = rules.crdc_flags(
            incident, inv)


def register_flag_kinds() -> None:
    """The incident rules' flag kinds (raised when a record is saved, not on a schedule)."""
    from django.urls import reverse

    from opensro.core.flags import FlagKind, register_kind

    register_kind(FlagKind(
        DISCIPLINE_FLAG, "Discipline involvement",
        "An SRO took enforcement action on a matter of school discipline (R-D2).",
        subject_url=lambda flag: reverse("incident-detail", args=[flag.subject_id]),
    ))


def refresh_discipline_flag(incident: Incident, involvements: Sequence[Involvement],
                            actor: User | None = None) -> None:
    """Raise the discipline-involvement flag for a final record that is a case (R-D2),
    or clear it when an amendment means it no longer is."""
    evidence = None
    if incident.status != c.Status.DRAFT:
        evidence = rules.discipline_case(incident, involvements, incident.reason.kind)
    if evidence is None:
        clear_flags(DISCIPLINE_FLAG, incident, actor=actor,
                    reason="The amended record is no longer a discipline-involvement case.")
        return
    who = dict(c.InvolvementSource.choices).get(incident.involvement_source, "")
    if incident.requester_role:
        who += f" ({dict(c.RequesterRole.choices).get(incident.requester_role)})"
    raise_flag(
        DISCIPLINE_FLAG, incident,
        title=f"{incident.number}: SRO enforcement on a code-of-conduct matter — {who}",
        evidence=evidence, agency=incident.officer.agency, district=incident.school.district,
        school=incident.school, officer=incident.officer, actor=actor,
    )


def save_incident(
    actor: User | None,
    data: Mapping[str, Any],
    students: Sequence[Mapping[str, Any]],
    *,
    incident: Incident | None = None,
    submit: bool = False,
    amend_reason: str = "",
) -> Incident:
    """Create or change an incident with its students; ``submit`` submits it.

    A draft may lack the documented basis; a submission may not (R-D3). A change to a
    submitted record is an amendment and needs ``amend_reason``; the earlier state
    stays in the audit trail.
    """
    creating = incident is None
    if creating and actor is not None and not can(actor, ADD, Incident):
        raise PermissionDenied("You may not record incidents.")
    data = dict(data)
    if not data.get("officer") and creating:
        data["officer"] = actor_officer(actor)
        if data["officer"] is None:
            raise ValidationError({"officer": "Choose the responding officer."})
    with transaction.atomic():
        before = None
        existing: dict[int, Involvement] = {}
        if not creating:
            assert incident is not None
            incident = Incident.objects.select_for_update().get(pk=incident.pk)
            if actor is not None:
                require(actor, CHANGE, incident)
            before = audit.snapshot(incident)
            existing = {i.pk: i for i in incident.involvements.all()}
        was_final = not creating and incident is not None and incident.status != c.Status.DRAFT
        obj = build_incident(data, incident)
        rows = build_involvements(obj, students, existing)
        submitting = submit or was_final
        if was_final and not amend_reason.strip():
            raise ValidationError({"amend_reason": rules.MESSAGES["amend_reason"]})
        validate(obj, rows, submitting=submitting)
        obj.school_year = _school_year(obj)
        now = timezone.now()
        if was_final:
            obj.status = c.Status.AMENDED
        elif submit:
            obj.status = c.Status.SUBMITTED
            obj.submitted_at = now
        obj.save()
        if "other_officers" in data:
            obj.other_officers.set(data["other_officers"] or [])
        if existing:
            Involvement.objects.filter(incident=obj).delete()
        derive(obj, rows)
        Involvement.objects.bulk_create(rows)
        if actor is not None and not can_on(actor, ADD if creating else CHANGE, obj):
            raise PermissionDenied("That record would be outside your scope (another "
                                   "officer's or another agency's).")
        refresh_discipline_flag(obj, rows, actor)
        action = "create" if creating else ("amend" if was_final else "update")
        if submit and not was_final:
            action = "submit" if not creating else "create_submitted"
        obj = Incident.objects.prefetch_related("involvements", "other_officers").get(pk=obj.pk)
        audit.record(actor, action, obj, before=before, after=audit.snapshot(obj),
                     reason=amend_reason)
    return obj


def submit_incident(actor: User | None, incident: Incident) -> Incident:
    """Submit a draft as it stands: every submission rule applies."""
    if incident.status != c.Status.DRAFT:
        raise ValidationError({"status": "Only a draft can be submitted."})
    data = {name: getattr(incident, name) for name in INCIDENT_FIELDS}
    students = [
        {**{n: getattr(i, n) for n in STUDENT_FIELDS}, "id": i.pk}
        for i in incident.involvements.all()
    ]
    return save_incident(actor, data, students, incident=incident, submit=True)


def review_incident(actor: User, incident: Incident, comment: str = "") -> Incident:
    """A supervisor marks a submitted (or amended) record as reviewed (R-D8)."""
    with transaction.atomic():
        fresh = Incident.objects.select_for_update().get(pk=incident.pk)
        require(actor, "review", fresh)
        if fresh.status not in (c.Status.SUBMITTED, c.Status.AMENDED):
            raise ValidationError({"status": "Only a submitted or amended record can be "
                                             "reviewed."})
        before = audit.snapshot(fresh)
        fresh.status = c.Status.REVIEWED
        fresh.reviewed_at = timezone.now()
        fresh.reviewed_by = actor
        fresh.review_comment = comment.strip()
        fresh.save(update_fields=["status", "reviewed_at", "reviewed_by", "review_comment",
                                  "updated_at"])
        Involvement.objects.filter(incident=fresh).update(final=True)
        fresh = Incident.objects.prefetch_related("involvements", "other_officers").get(
            pk=fresh.pk)
        audit.record(actor, "review", fresh, before=before, after=audit.snapshot(fresh),
                     reason=comment)
    return fresh


def delete_incident(actor: User | None, incident: Incident, reason: str) -> None:
    fresh = Incident.objects.prefetch_related("involvements", "other_officers").get(
        pk=incident.pk)
    core.delete(actor, fresh, reason=reason)


# ------------------------------------------------------------------ activities


def _activity_year(activity: Activity) -> None:
    year = SchoolYear.for_date(activity.date) if activity.date else None
    if year is None:
        raise ValidationError({"date": "No school year covers this date."})
    activity.school_year = year
    if activity.officer_id and activity.school_id and not (
        activity.officer.agency.districts_served.filter(pk=activity.school.district_id).exists()
    ):
        raise ValidationError({"school": "Your agency does not serve this school."})


def create_activity(actor: User | None, data: Mapping[str, Any]) -> Activity:
    data = dict(data)
    if not data.get("officer"):
        data["officer"] = actor_officer(actor)
    year = SchoolYear.for_date(data["date"]) if data.get("date") else None
    if year is not None:
        data["school_year"] = year
    return core.create(actor, Activity, data, validate=_activity_year)


def update_activity(actor: User | None, activity: Activity, data: Mapping[str, Any]
                    ) -> Activity:
    data = dict(data)
    if data.get("date"):
        year = SchoolYear.for_date(data["date"])
        if year is not None:
            data["school_year"] = year
    return core.update(actor, activity, data, validate=_activity_year)


def bulk_create_activities(actor: User | None, rows: Sequence[Mapping[str, Any]]) -> int:
    """Create many activities at once (demo data, imports): each row validated like
    :func:`create_activity`, one audit event per activity, in one transaction."""
    years = list(SchoolYear.objects.all())
    objs: list[Activity] = []
    errors: dict[str, list[str]] = {}
    for n, data in enumerate(rows):
        obj = Activity(**{k: v for k, v in data.items() if k != "school_year"})
        year = next((y for y in years if y.start_date <= obj.date <= y.end_date), None)
        if year is None:
            errors.setdefault(f"rows.{n}.date", []).append("No school year covers this date.")
            continue
        obj.school_year = year
        objs.append(obj)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if actor is not None and not can(actor, ADD, Activity):
            raise PermissionDenied("You may not record activities.")
        for obj, pk in zip(objs, bulk.reserve_ids(Activity, len(objs)), strict=True):
            obj.pk = pk
        bulk.insert(Activity, objs)
        audit.record_many(actor, "create", [(o, None, audit.snapshot(o)) for o in objs],
                          json_safe=True)
    return len(objs)
