"""Selection endpoints (mounted under /api/selection/): selections, committee members,
candidates with their eligibility and the decision, ratings, probationary periods
(GP 5; R-B1…R-B4). Reads go through ``restrict``; writes through the same services as
the pages. Personnel notes on a candidate are returned only to the agency's side.
"""


import datetime
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest
from ninja import FilterSchema, Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate
from pydantic import Field

from opensro.core.models import User
from opensro.core.permissions import ADD, CHANGE, VIEW, can, can_on, restrict
from opensro.directory.models import Agency, Officer, School
from opensro.selection import services
from opensro.selection.choices import QUALITY_FIELDS
from opensro.selection.models import (
    Candidate,
    CommitteeMember,
    Probation,
    Rating,
    SelectionProcess,
)

router = Router(tags=["selection"])


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)


# --------------------------------------------------------------------------- schemas


class ProcessOut(Schema):
    id: int
    agency_id: int
    school_id: int | None
    title: str
    opened_on: datetime.date
    closed_on: datetime.date | None
    committee_problems: list[str]

    @staticmethod
    def resolve_committee_problems(obj: SelectionProcess) -> list[str]:
        return services.committee_problems(obj)


class ProcessIn(Schema):
    agency_id: int
    school_id: int | None = None
    title: str
    opened_on: datetime.date
    closed_on: datetime.date | None = None
    notes: str = ""


class ProcessPatch(Schema):
    school_id: int | None = None
    title: str | None = None
    opened_on: datetime.date | None = None
    closed_on: datetime.date | None = None
    notes: str | None = None


class MemberOut(Schema):
    id: int
    process_id: int
    name: str
    role: str
    organization: str
    works_with_sro: bool
    user_id: int | None


class MemberIn(Schema):
    process_id: int
    name: str
    role: str
    organization: str = ""
    works_with_sro: bool = False
    user_id: int | None = None


class MemberPatch(Schema):
    name: str | None = None
    role: str | None = None
    organization: str | None = None
    works_with_sro: bool | None = None
    user_id: int | None = None


class CheckOut(Schema):
    code: str
    label: str
    passed: bool
    reason: str


class CandidateOut(Schema):
    id: int
    process_id: int
    officer_id: int | None
    first_name: str
    last_name: str
    date_sworn: datetime.date
    volunteered: bool
    youth_complaints: bool
    youth_complaint_notes: str | None = Field(description="Only for the agency's side")
    youth_experience: str
    notes: str | None = Field(description="Only for the agency's side")
    eligible: bool
    eligibility: list[CheckOut]
    decision: str
    decision_reason: str
    decided_on: datetime.date | None


class CandidateIn(Schema):
    process_id: int
    officer_id: int | None = None
    first_name: str = ""
    last_name: str = ""
    date_sworn: datetime.date | None = None
    volunteered: bool = False
    youth_complaints: bool = False
    youth_complaint_notes: str = ""
    youth_experience: str = ""
    notes: str = ""


class CandidatePatch(Schema):
    first_name: str | None = None
    last_name: str | None = None
    date_sworn: datetime.date | None = None
    volunteered: bool | None = None
    youth_complaints: bool | None = None
    youth_complaint_notes: str | None = None
    youth_experience: str | None = None
    notes: str | None = None


class DecisionIn(Schema):
    decision: str = Field(description="selected or not_selected")
    reason: str
    decided_on: datetime.date | None = None


class RatingOut(Schema):
    id: int
    candidate_id: int
    member_id: int
    scores: dict[str, int]
    average: float | None
    comments: str

    @staticmethod
    def resolve_scores(obj: Rating) -> dict[str, int]:
        return {q: getattr(obj, q) for q in QUALITY_FIELDS}


class RatingIn(Schema):
    candidate_id: int
    member_id: int
    scores: dict[str, int] = Field(description="Each of the ten qualities, 1–5: "
                                               + ", ".join(QUALITY_FIELDS))
    comments: str = ""


class RatingPatch(Schema):
    scores: dict[str, int] | None = None
    comments: str | None = None


class ProbationOut(Schema):
    id: int
    candidate_id: int
    start_date: datetime.date
    end_date: datetime.date
    school_admin_name: str
    reviewed_on: datetime.date | None
    school_admin_comments: str
    outcome: str
    outcome_reason: str


class ProbationIn(Schema):
    candidate_id: int
    start_date: datetime.date
    end_date: datetime.date


class ProbationPatch(Schema):
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    school_admin_name: str | None = None
    reviewed_on: datetime.date | None = None
    school_admin_comments: str | None = None
    outcome: str | None = None
    outcome_reason: str | None = None


class ProcessFilter(FilterSchema):
    agency_id: int | None = None
    school_id: int | None = None


class ByProcess(FilterSchema):
    process_id: int | None = None


class ByCandidate(FilterSchema):
    candidate_id: int | None = None


# --------------------------------------------------------------------------- helpers


def _qs(request: HttpRequest, model: type[models.Model], *related: str) -> Any:
    qs = model._default_manager.all()
    if related:
        qs = qs.select_related(*related)
    return restrict(qs, request.user, VIEW)


def _one(request: HttpRequest, model: type[models.Model], pk: int, *related: str) -> Any:
    obj = _qs(request, model, *related).filter(pk=pk).first()
    if obj is None:
        raise Http404(f"No {model._meta.verbose_name} {pk} in your scope.")
    return obj


def _fk(model: type[models.Model], user: Any, pk: int | None, field: str,
        action: str = VIEW) -> Any:
    if pk is None:
        return None
    obj = restrict(model._default_manager.filter(pk=pk), user, action).first()
    if obj is None:
        raise ValidationError({field: f"No {model._meta.verbose_name} {pk} that you may use."})
    return obj


def _require(user: Any, action: str, model: type[models.Model]) -> None:
    if not can(user, action, model):
        raise PermissionDenied(f"You may not {action} {model._meta.verbose_name_plural}.")


def _data(request: HttpRequest, payload: Schema, unset: bool = False) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=unset)
    user = request.user
    lookups = {"agency_id": (Agency, "agency", VIEW), "school_id": (School, "school", VIEW),
               "process_id": (SelectionProcess, "process", VIEW),
               "officer_id": (Officer, "officer", VIEW),
               "candidate_id": (Candidate, "candidate", VIEW),
               "member_id": (CommitteeMember, "member", VIEW)}
    for key, (model, name, action) in lookups.items():
        if key in data:
            data[name] = _fk(model, user, data.pop(key), key, action)
    if "user_id" in data:
        pk = data.pop("user_id")
        data["user"] = User.objects.filter(pk=pk).first() if pk is not None else None
        if pk is not None and data["user"] is None:
            raise ValidationError({"user_id": f"No account {pk}."})
    if "scores" in data:
        scores = data.pop("scores") or {}
        unknown = sorted(set(scores) - set(QUALITY_FIELDS))
        if unknown:
            raise ValidationError({"scores": "Unknown quality: " + ", ".join(unknown)})
        data.update(scores)
    return data


def _candidate_out(request: HttpRequest, c: Candidate) -> dict[str, Any]:
    agency_side = can_on(request.user, CHANGE, c)
    checks = services.eligibility(c, c.decided_on)
    return {
        **{f: getattr(c, f) for f in (
            "id", "process_id", "officer_id", "first_name", "last_name", "date_sworn",
            "volunteered", "youth_complaints", "youth_experience", "decision",
            "decision_reason", "decided_on")},
        "youth_complaint_notes": c.youth_complaint_notes if agency_side else None,
        "notes": c.notes if agency_side else None,
        "eligible": all(x.passed for x in checks),
        "eligibility": [x.__dict__ for x in checks],
    }


# --------------------------------------------------------------------------- selections


@router.get("/selections", response=list[ProcessOut], summary="List selections",
            operation_id="selection_list_selections")
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_processes(request: HttpRequest, filters: Query[ProcessFilter]) -> Any:
    return filters.filter(_qs(request, SelectionProcess).prefetch_related("members"))


@router.get("/selections/{item_id}", response=ProcessOut, summary="Read one selection",
            operation_id="selection_get_selection")
def get_process(request: HttpRequest, item_id: int) -> Any:
    return _one(request, SelectionProcess, item_id)


@router.post("/selections", response={201: ProcessOut}, summary="Open a selection",
             operation_id="selection_create_selection")
def create_process(request: HttpRequest, payload: ProcessIn) -> Any:
    _require(request.user, ADD, SelectionProcess)
    return Status(201, services.create_process(_actor(request), _data(request, payload)))


@router.patch("/selections/{item_id}", response=ProcessOut, summary="Change a selection",
              operation_id="selection_update_selection")
def update_process(request: HttpRequest, item_id: int, payload: ProcessPatch) -> Any:
    process = _one(request, SelectionProcess, item_id)
    return services.update_process(_actor(request), process,
                                   _data(request, payload, unset=True))


# --------------------------------------------------------------------------- members


@router.get("/members", response=list[MemberOut], summary="List committee members",
            operation_id="selection_list_members")
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_members(request: HttpRequest, filters: Query[ByProcess]) -> Any:
    return filters.filter(_qs(request, CommitteeMember))


@router.get("/members/{item_id}", response=MemberOut, summary="Read one committee member",
            operation_id="selection_get_member")
def get_member(request: HttpRequest, item_id: int) -> Any:
    return _one(request, CommitteeMember, item_id)


@router.post("/members", response={201: MemberOut}, summary="Add a committee member",
             operation_id="selection_create_member")
def create_member(request: HttpRequest, payload: MemberIn) -> Any:
    _require(request.user, ADD, CommitteeMember)
    return Status(201, services.create_member(_actor(request), _data(request, payload)))


@router.patch("/members/{item_id}", response=MemberOut, summary="Change a committee member",
              operation_id="selection_update_member")
def update_member(request: HttpRequest, item_id: int, payload: MemberPatch) -> Any:
    member = _one(request, CommitteeMember, item_id)
    return services.update_member(_actor(request), member, _data(request, payload, unset=True))


# --------------------------------------------------------------------------- candidates


@router.get("/candidates", response=list[CandidateOut], summary="List candidates",
            operation_id="selection_list_candidates")
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_candidates(request: HttpRequest, filters: Query[ByProcess]) -> Any:
    return [_candidate_out(request, c) for c in filters.filter(_qs(request, Candidate))]


@router.get("/candidates/{item_id}", response=CandidateOut, summary="Read one candidate",
            operation_id="selection_get_candidate")
def get_candidate(request: HttpRequest, item_id: int) -> Any:
    return _candidate_out(request, _one(request, Candidate, item_id))


@router.post("/candidates", response={201: CandidateOut}, summary="Add a candidate",
             operation_id="selection_create_candidate")
def create_candidate(request: HttpRequest, payload: CandidateIn) -> Any:
    _require(request.user, ADD, Candidate)
    data = _data(request, payload)
    if data.get("process") is not None and not can_on(request.user, CHANGE, data["process"]):
        raise ValidationError({"process_id": "You may not add candidates to this selection."})
    candidate = services.create_candidate(_actor(request), data)
    return Status(201, _candidate_out(request, candidate))


@router.patch("/candidates/{item_id}", response=CandidateOut, summary="Change a candidate",
              operation_id="selection_update_candidate")
def update_candidate(request: HttpRequest, item_id: int, payload: CandidatePatch) -> Any:
    candidate = _one(request, Candidate, item_id)
    saved = services.update_candidate(_actor(request), candidate,
                                      _data(request, payload, unset=True))
    return _candidate_out(request, saved)


@router.post("/candidates/{item_id}/decision", response=CandidateOut,
             summary="Record the decision (refused for an ineligible candidate or an "
                     "incomplete committee)", operation_id="selection_decide")
def decide(request: HttpRequest, item_id: int, payload: DecisionIn) -> Any:
    candidate = _one(request, Candidate, item_id)
    saved = services.decide(_actor(request), candidate, payload.decision, payload.reason,
                            payload.decided_on)
    return _candidate_out(request, saved)


# --------------------------------------------------------------------------- ratings


@router.get("/ratings", response=list[RatingOut], summary="List committee ratings",
            operation_id="selection_list_ratings")
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_ratings(request: HttpRequest, filters: Query[ByCandidate]) -> Any:
    return filters.filter(_qs(request, Rating))


@router.get("/ratings/{item_id}", response=RatingOut, summary="Read one member's ratings",
            operation_id="selection_get_rating")
def get_rating(request: HttpRequest, item_id: int) -> Any:
    return _one(request, Rating, item_id)


@router.post("/ratings", response={201: RatingOut},
             summary="Record a member's ratings of a candidate on the ten qualities",
             operation_id="selection_create_rating")
def create_rating(request: HttpRequest, payload: RatingIn) -> Any:
    _require(request.user, ADD, Rating)
    return Status(201, services.create_rating(_actor(request), _data(request, payload)))


@router.patch("/ratings/{item_id}", response=RatingOut, summary="Change ratings",
              operation_id="selection_update_rating")
def update_rating(request: HttpRequest, item_id: int, payload: RatingPatch) -> Any:
    rating = _one(request, Rating, item_id)
    return services.update_rating(_actor(request), rating, _data(request, payload, unset=True))


# --------------------------------------------------------------------------- probation


@router.get("/probations", response=list[ProbationOut], summary="List probationary periods",
            operation_id="selection_list_probations")
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_probations(request: HttpRequest, filters: Query[ByCandidate]) -> Any:
    return filters.filter(_qs(request, Probation))


@router.get("/probations/{item_id}", response=ProbationOut,
            summary="Read one probationary period", operation_id="selection_get_probation")
def get_probation(request: HttpRequest, item_id: int) -> Any:
    return _one(request, Probation, item_id)


@router.post("/probations", response={201: ProbationOut},
             summary="Start a selected SRO's probationary period",
             operation_id="selection_create_probation")
def create_probation(request: HttpRequest, payload: ProbationIn) -> Any:
    _require(request.user, ADD, Probation)
    return Status(201, services.create_probation(_actor(request), _data(request, payload)))


@router.patch("/probations/{item_id}", response=ProbationOut,
              summary="Change a probation; a school administrator records their review",
              operation_id="selection_update_probation")
def update_probation(request: HttpRequest, item_id: int, payload: ProbationPatch) -> Any:
    probation = _one(request, Probation, item_id)
    return services.update_probation(_actor(request), probation,
                                     _data(request, payload, unset=True))
