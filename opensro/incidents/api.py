"""Incident endpoints: create, read, update (or amend), submit, review, list with
filters; activities. Scoped and audited through the same selectors and services as
the web pages; the same rules give the same messages.
"""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, FilterSchema, Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from opensro.core.permissions import ADD, CHANGE, VIEW, can, can_on, restrict
from opensro.directory.models import Officer, School
from opensro.incidents import choices as c
from opensro.incidents import selectors, services
from opensro.incidents.models import Activity, Incident, IncidentReason

router = Router(tags=["incidents"])


class ReasonOut(Schema):
    code: str
    label: str
    kind: str


class StudentIn(Schema):
    """One student. ``actions`` lists action codes (e.g. ["arrest", "transport"])."""

    student_id: str = Field("", description="District student ID; stored only as a keyed "
                                            "pseudonym, never as sent.")
    role: str = "subject"
    race: str
    sex: str
    grade: str = ""
    age: int | None = None
    idea: bool = False
    section_504: bool = False
    english_learner: bool = False
    sexual_orientation: str = ""
    gender_identity: str = ""
    sogi_volunteered: bool = False
    offense: str = ""
    offense_severity: str = "none"
    statute: str = ""
    actions: list[str] = Field(default_factory=list, description="Codes: "
                               + ", ".join(c.ACTION_FIELDS))
    search_basis: str = ""
    search_found: str = ""
    rights_advised: str = ""
    parent_notified: str = ""
    restraint_type: str = ""
    restraint_minutes: int | None = None
    force_type: str = ""
    arrest_charge: str = ""
    basis: list[str] = Field(default_factory=list, description="Codes: "
                             + ", ".join(b.value for b in c.Basis))
    basis_details: str = ""
    why_at_school: str = ""
    probable_cause: str = ""
    removed_from_public_view: str = ""
    accommodations: str = ""


class StudentOut(StudentIn):
    id: int
    student_pseudonym: str | None = None
    referral_to_law_enforcement: bool
    school_related_arrest: bool
    student_id: str = Field("", exclude=True)


class IncidentIn(Schema):
    school_id: int
    officer_id: int | None = Field(None, description="Default: the caller's own officer record")
    other_officer_ids: list[int] = Field(default_factory=list)
    occurred_at: datetime.datetime
    recorded_at: datetime.datetime | None = None
    late_entry_reason: str = ""
    location: str
    involvement_source: str
    requester_role: str = ""
    reason: str = Field(description="Reason code from GET /api/incidents/reasons")
    would_call_911: str = Field(description="yes or no: would the school have called 911?")
    deescalation: str = ""
    deescalation_notes: str = ""
    narrative: str = ""
    students: list[StudentIn]
    submit: bool = Field(False, description="Submit now (all submission rules apply)")
    amend_reason: str = Field("", description="Required to change a submitted record")


class IncidentOut(Schema):
    id: int
    number: str
    status: str
    school_id: int
    officer_id: int
    school_year: str
    occurred_at: datetime.datetime
    recorded_at: datetime.datetime
    late_entry_reason: str
    location: str
    involvement_source: str
    requester_role: str
    reason: str
    reason_kind: str
    would_call_911: str
    deescalation: str
    deescalation_notes: str
    narrative: str
    submitted_at: datetime.datetime | None
    reviewed_at: datetime.datetime | None
    review_comment: str


class IncidentDetailOut(IncidentOut):
    students: list[StudentOut]
    open_flags: list[str]


class ReviewIn(Schema):
    comment: str = ""


class IncidentFilter(FilterSchema):
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    school_id: int | None = None
    officer_id: int | None = None
    status: str | None = None
    action: str | None = Field(None, description="Only incidents where some student had "
                                                 "this action")
    flag: str | None = Field(None, description="open: open discipline-involvement flag; "
                                               "any: ever flagged")


def _out(incident: Incident) -> dict[str, Any]:
    return {
        **{f: getattr(incident, f) for f in (
            "id", "number", "status", "school_id", "officer_id", "occurred_at", "recorded_at",
            "late_entry_reason", "location", "involvement_source", "requester_role",
            "would_call_911", "deescalation", "deescalation_notes", "narrative",
            "submitted_at", "reviewed_at", "review_comment")},
        "school_year": incident.school_year.code,
        "reason": incident.reason.code,
        "reason_kind": incident.reason.kind,
    }


def _detail(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    from opensro.core.models import Flag

    students, identified = selectors.involvements_for_display(request.user, incident,
                                                              channel="api")
    rows = []
    for s in students:
        data = {n: getattr(s, n) for n in services.STUDENT_FIELDS}
        data["actions"] = s.actions
        data["id"] = s.pk
        data["student_pseudonym"] = s.student_pseudonym if identified else None
        data["referral_to_law_enforcement"] = s.referral_to_law_enforcement
        data["school_related_arrest"] = s.school_related_arrest
        rows.append(data)
    flags = Flag.objects.filter(subject_type=Incident._meta.label, subject_id=str(incident.pk),
                                status="open").values_list("kind", flat=True)
    return {**_out(incident), "students": rows, "open_flags": list(flags)}


def _values(request: HttpRequest, payload: IncidentIn) -> tuple[dict[str, Any],
                                                                 list[dict[str, Any]]]:
    user = request.user
    school = restrict(School.objects.filter(pk=payload.school_id), user, VIEW).first()
    if school is None:
        raise ValidationError({"school_id": f"No school {payload.school_id} in your scope."})
    officers = restrict(Officer.objects.all(), user, VIEW)
    officer = None
    if payload.officer_id is not None:
        officer = officers.filter(pk=payload.officer_id).first()
        if officer is None:
            raise ValidationError({"officer_id": f"No officer {payload.officer_id} in your "
                                                 "scope."})
    reason = IncidentReason.objects.filter(code=payload.reason, active=True).first()
    if reason is None:
        raise ValidationError({"reason": f"Unknown reason code {payload.reason!r}; see "
                                         "GET /api/incidents/reasons."})
    others = list(officers.filter(pk__in=payload.other_officer_ids))
    data = payload.model_dump(exclude={"students", "submit", "amend_reason", "school_id",
                                       "officer_id", "other_officer_ids", "reason"})
    data.update({"school": school, "reason": reason, "other_officers": others})
    if officer is not None:
        data["officer"] = officer
    if data.get("recorded_at") is None:
        data.pop("recorded_at")
    students = []
    for n, s in enumerate(payload.students):
        row = s.model_dump(exclude={"actions"})
        unknown = [a for a in s.actions if a not in c.ACTION_FIELDS]
        if unknown:
            raise ValidationError({f"involvements.{n}.actions":
                                   f"Unknown action code(s): {', '.join(unknown)}."})
        for action in c.ACTION_FIELDS:
            row[action] = action in s.actions
        students.append(row)
    return data, students


def _get(request: HttpRequest, incident_id: int) -> Incident:
    incident = selectors.incidents_for(request.user).filter(pk=incident_id).first()
    if incident is None:
        raise Http404(f"No incident {incident_id} in your scope.")
    return incident


@router.get("/reasons", response=list[ReasonOut], summary="The reason taxonomy")
def reasons(request: HttpRequest) -> Any:
    return IncidentReason.objects.filter(active=True)


@router.get("", response=list[IncidentOut], summary="List incidents",
            operation_id="list_incidents")
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_incidents(request: HttpRequest, filters: Query[IncidentFilter]) -> Any:
    if not can(request.user, VIEW, Incident):
        raise PermissionDenied("Your role does not read incident records.")
    params = filters.model_dump()
    params["school"], params["officer"] = params.pop("school_id"), params.pop("officer_id")
    qs = selectors.filter_incidents(
        selectors.incidents_for(request.user).select_related("school_year"), params)
    # The page's ids first, then its rows; only the rows of the page are shaped.
    return selectors.PageOf(qs, shape=_out)


@router.get("/{incident_id}", response=IncidentDetailOut, summary="Read one incident",
            operation_id="get_incident")
def get_incident(request: HttpRequest, incident_id: int) -> Any:
    return _detail(request, _get(request, incident_id))


@router.post("", response={201: IncidentDetailOut}, summary="Record an incident",
             operation_id="create_incident")
def create_incident(request: HttpRequest, payload: IncidentIn) -> Any:
    if not can(request.user, ADD, Incident):
        raise PermissionDenied("Your role does not record incidents.")
    data, students = _values(request, payload)
    incident = services.save_incident(request.user, data, students,  # type: ignore[arg-type]
                                      submit=payload.submit)
    return Status(201, _detail(request, _get(request, incident.pk)))


@router.put("/{incident_id}", response=IncidentDetailOut,
            summary="Replace a draft, or amend a submitted record (amend_reason required)",
            operation_id="update_incident")
def update_incident(request: HttpRequest, incident_id: int, payload: IncidentIn) -> Any:
    incident = _get(request, incident_id)
    if not can_on(request.user, CHANGE, incident):
        raise PermissionDenied("You may not change this record.")
    data, students = _values(request, payload)
    saved = services.save_incident(request.user, data, students,  # type: ignore[arg-type]
                                   incident=incident, submit=payload.submit,
                                   amend_reason=payload.amend_reason)
    return _detail(request, _get(request, saved.pk))


@router.post("/{incident_id}/submit", response=IncidentDetailOut, summary="Submit a draft",
             operation_id="submit_incident")
def submit_incident(request: HttpRequest, incident_id: int) -> Any:
    incident = _get(request, incident_id)
    if not can_on(request.user, CHANGE, incident):
        raise PermissionDenied("You may not submit this record.")
    saved = services.submit_incident(request.user, incident)  # type: ignore[arg-type]
    return _detail(request, _get(request, saved.pk))


@router.post("/{incident_id}/review", response=IncidentDetailOut,
             summary="Mark a submitted record reviewed (supervisors)",
             operation_id="review_incident")
def review_incident(request: HttpRequest, incident_id: int, payload: ReviewIn) -> Any:
    incident = _get(request, incident_id)
    saved = services.review_incident(request.user, incident,  # type: ignore[arg-type]
                                     payload.comment)
    return _detail(request, _get(request, saved.pk))


class ActivityIn(Schema):
    school_id: int
    officer_id: int | None = None
    date: datetime.date
    kind: str
    topic: str = ""
    minutes: int | None = None
    participants: int = Field(0, ge=0)
    audience: str = ""
    notes: str = ""


class ActivityOut(Schema):
    id: int
    school_id: int
    officer_id: int
    date: datetime.date
    kind: str
    topic: str
    minutes: int | None
    participants: int
    audience: str
    notes: str


activities = Router(tags=["activities"])


@activities.get("", response=list[ActivityOut], summary="List activities",
                operation_id="list_activities")
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_activities(request: HttpRequest, school_id: int | None = None,
                    kind: str | None = None) -> Any:
    qs = restrict(Activity.objects.all(), request.user, VIEW)
    if school_id:
        qs = qs.filter(school_id=school_id)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


@activities.post("", response={201: ActivityOut}, summary="Record an activity",
                 operation_id="create_activity")
def create_activity(request: HttpRequest, payload: ActivityIn) -> Any:
    if not can(request.user, ADD, Activity):
        raise PermissionDenied("Your role does not record activities.")
    data = payload.model_dump(exclude={"school_id", "officer_id"})
    school = restrict(School.objects.filter(pk=payload.school_id), request.user, VIEW).first()
    if school is None:
        raise ValidationError({"school_id": f"No school {payload.school_id} in your scope."})
    data["school"] = school
    if payload.officer_id is not None:
        officer = restrict(Officer.objects.filter(pk=payload.officer_id), request.user,
                           VIEW).first()
        if officer is None:
            raise ValidationError({"officer_id": f"No officer {payload.officer_id} in your "
                                                 "scope."})
        data["officer"] = officer
    return Status(201, services.create_activity(request.user, data))  # type: ignore[arg-type]
