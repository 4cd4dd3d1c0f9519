"""Supervision endpoints (mounted under /api/supervision/): early-warning results,
twice-yearly reviews, evaluations with the schools' input, rating instruments. Scoped
through the same selectors and written through the same services as the web pages."""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, FilterSchema, Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from opensro.core.api import ShapedPage
from opensro.core.models import User
from opensro.core.permissions import ADD, CHANGE, VIEW, can, can_on, restrict
from opensro.directory.models import Agency, School, SchoolYear
from opensro.supervision import selectors, services
from opensro.supervision.choices import OPEN_REVIEW_STATUSES
from opensro.supervision.models import (
    EarlyWarningResult,
    Evaluation,
    EvaluationInput,
    RatingInstrument,
    Review,
)

router = Router(tags=["supervision"])


def _get(qs: Any, pk: int, what: str) -> Any:
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise Http404(f"No {what} {pk} in your scope.")
    return obj


def _user(pk: int | None, field: str) -> User | None:
    if pk is None:
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None:
        raise ValidationError({field: f"No active user {pk}."})
    return user


def _fields(obj: Any, schema: type[Schema], **extra: Any) -> dict[str, Any]:
    """The schema's fields read off the object, with ``extra`` values."""
    out = {name: getattr(obj, name) for name in schema.model_fields if name not in extra}
    out.update(extra)
    return out


# =========================================================================== early warning


class EarlyWarningOut(Schema):
    id: int
    officer_id: int
    school_id: int | None
    school_year: str
    half: str
    period_start: datetime.date
    period_end: datetime.date
    counted_to: datetime.date
    measure: str
    contacts: int
    enrolled: float
    count: int
    significant: bool
    figures: dict[str, Any]
    incident_ids: list[int]
    family_size: int
    fdr: float


class EarlyWarningFilter(FilterSchema):
    period_start: datetime.date | None = None
    measure: str | None = None
    officer_id: int | None = None
    significant: bool | None = None


@router.get("/early-warning", response=list[EarlyWarningOut],
            summary="Early-warning results (R-F1)", operation_id="list_early_warning")
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_early_warning(request: HttpRequest, filters: Query[EarlyWarningFilter]) -> Any:
    if not can(request.user, VIEW, EarlyWarningResult):
        raise PermissionDenied("Early-warning figures are for the SRO's chain of command.")
    return ShapedPage(filters.filter(selectors.early_warning_results(request.user)), _result_out)


def _result_out(result: EarlyWarningResult) -> dict[str, Any]:
    return _fields(result, EarlyWarningOut, school_year=result.school_year.code)


@router.get("/early-warning/{result_id}", response=EarlyWarningOut,
            summary="One early-warning result", operation_id="get_early_warning")
def get_early_warning(request: HttpRequest, result_id: int) -> Any:
    return _result_out(_get(selectors.early_warning_results(request.user), result_id,
                            "early-warning result"))


# =========================================================================== reviews


class FollowUpOut(Schema):
    id: int
    action: str
    owner: str
    due_date: datetime.date | None
    done_on: datetime.date | None


class ReviewOut(Schema):
    id: int
    officer_id: int
    school_id: int
    school_year: str
    half: str
    period_start: datetime.date
    period_end: datetime.date
    due_date: datetime.date
    status: str
    overdue: bool
    meeting_on: datetime.date | None
    location: str
    supervisor_id: int | None
    school_administrator_id: int | None
    attendees: str
    minutes: str
    school_input: str
    incidents_reviewed: list[int]
    cancel_reason: str
    follow_ups: list[FollowUpOut]


class ReviewDetailOut(ReviewOut):
    incidents: list[dict[str, Any]]


class ReviewIn(Schema):
    officer_id: int
    school_id: int
    school_year: str = Field(description="e.g. 2025-26")
    half: str = Field(description="fall or spring")
    meeting_on: datetime.date | None = None
    location: str = ""


class ReviewPatch(Schema):
    meeting_on: datetime.date | None = None
    location: str | None = None
    supervisor_id: int | None = None
    school_administrator_id: int | None = None
    attendees: str | None = None
    minutes: str | None = None


class FollowUpIn(Schema):
    action: str = ""
    owner: str = ""
    due_date: datetime.date | None = None


class CompleteIn(Schema):
    meeting_on: datetime.date | None = None
    attendees: str = ""
    minutes: str = ""
    follow_ups: list[FollowUpIn] = Field(default_factory=list)


class SchoolInputIn(Schema):
    school_input: str = ""


class CancelIn(Schema):
    cancel_reason: str = ""


class ReviewFilter(FilterSchema):
    status: str | None = Field(None, description="planned, scheduled, completed, cancelled, "
                                                 "open (planned or scheduled) or all")
    officer_id: int | None = None
    school_id: int | None = None

    def filter_status(self, value: str | None) -> Q:
        if not value or value == "all":
            return Q()
        if value == "open":
            return Q(status__in=OPEN_REVIEW_STATUSES)
        return Q(status=value)


def _review_out(review: Review) -> dict[str, Any]:
    return _fields(review, ReviewOut, school_year=review.school_year.code,
                   follow_ups=[_fields(f, FollowUpOut) for f in review.follow_ups.all()])


def _review_detail(request: HttpRequest, review: Review) -> dict[str, Any]:
    fresh = selectors.reviews_for(request.user).get(pk=review.pk)
    out = _review_out(fresh)
    out["incidents"] = [{"id": row["incident"].pk, "number": row["incident"].number,
                         "occurred_at": row["incident"].occurred_at, "why": row["why"]}
                        for row in selectors.review_incidents(request.user, fresh)]
    return out


@router.get("/reviews", response=list[ReviewOut], summary="Twice-yearly reviews (R-F3)",
            operation_id="list_reviews")
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_reviews(request: HttpRequest, filters: Query[ReviewFilter]) -> Any:
    if not can(request.user, VIEW, Review):
        raise PermissionDenied("Your role does not take part in reviews.")
    return ShapedPage(filters.filter(selectors.reviews_for(request.user).prefetch_related(
        "follow_ups")), _review_out)


@router.get("/reviews/{review_id}", response=ReviewDetailOut, summary="One review, with "
            "the incidents it covers (those you may read)", operation_id="get_review")
def get_review(request: HttpRequest, review_id: int) -> Any:
    return _review_detail(request, _get(selectors.reviews_for(request.user), review_id,
                                        "review"))


@router.post("/reviews", response={201: ReviewDetailOut}, summary="Plan a review",
             operation_id="create_review")
def create_review(request: HttpRequest, payload: ReviewIn) -> Any:
    if not can(request.user, ADD, Review):
        raise PermissionDenied("Your role does not plan reviews.")
    officer = selectors.officers_for(request.user).filter(pk=payload.officer_id).first()
    if officer is None:
        raise ValidationError({"officer_id": f"No SRO {payload.officer_id} in your scope."})
    school = restrict(School.objects.filter(pk=payload.school_id), request.user, VIEW).first()
    if school is None:
        raise ValidationError({"school_id": f"No school {payload.school_id} in your scope."})
    year = SchoolYear.objects.filter(code=payload.school_year).first()
    if year is None:
        raise ValidationError({"school_year": f"No school year {payload.school_year!r}."})
    review = services.create_review(request.user, {  # type: ignore[arg-type]
        "officer": officer, "school": school, "school_year": year, "half": payload.half,
        "meeting_on": payload.meeting_on, "location": payload.location})
    return Status(201, _review_detail(request, review))


@router.patch("/reviews/{review_id}", response=ReviewDetailOut,
              summary="Schedule a review or edit its participants and minutes",
              operation_id="update_review")
def update_review(request: HttpRequest, review_id: int, payload: ReviewPatch) -> Any:
    review = _get(selectors.reviews_for(request.user), review_id, "review")
    if not can_on(request.user, CHANGE, review):
        raise PermissionDenied("Your role does not schedule this review.")
    data = payload.model_dump(exclude_unset=True)
    if "supervisor_id" in data:
        data["supervisor"] = _user(data.pop("supervisor_id"), "supervisor_id")
    if "school_administrator_id" in data:
        data["school_administrator"] = _user(data.pop("school_administrator_id"),
                                             "school_administrator_id")
    review = services.update_review(request.user, review, data)  # type: ignore[arg-type]
    return _review_detail(request, review)


@router.post("/reviews/{review_id}/complete", response=ReviewDetailOut,
             summary="Record the review meeting: date, attendees, minutes, follow-ups",
             operation_id="complete_review")
def complete_review(request: HttpRequest, review_id: int, payload: CompleteIn) -> Any:
    review = _get(selectors.reviews_for(request.user), review_id, "review")
    data = payload.model_dump(exclude={"follow_ups"})
    data = {k: v for k, v in data.items() if v not in (None, "")}
    review = services.complete_review(request.user, review, data,  # type: ignore[arg-type]
                                      [f.model_dump() for f in payload.follow_ups])
    return _review_detail(request, review)


@router.post("/reviews/{review_id}/school-input", response=ReviewDetailOut,
             summary="The school administrator's input", operation_id="review_school_input")
def review_school_input(request: HttpRequest, review_id: int, payload: SchoolInputIn) -> Any:
    review = _get(selectors.reviews_for(request.user), review_id, "review")
    review = services.record_school_input(request.user, review,  # type: ignore[arg-type]
                                          payload.school_input)
    return _review_detail(request, review)


@router.post("/reviews/{review_id}/cancel", response=ReviewDetailOut,
             summary="Cancel a review that will not take place", operation_id="cancel_review")
def cancel_review(request: HttpRequest, review_id: int, payload: CancelIn) -> Any:
    review = _get(selectors.reviews_for(request.user), review_id, "review")
    review = services.cancel_review(request.user, review,  # type: ignore[arg-type]
                                    payload.cancel_reason)
    return _review_detail(request, review)


@router.post("/reviews/{review_id}/follow-ups", response=ReviewDetailOut,
             summary="Add a follow-up item", operation_id="add_review_follow_up")
def add_follow_up(request: HttpRequest, review_id: int, payload: FollowUpIn) -> Any:
    review = _get(selectors.reviews_for(request.user), review_id, "review")
    review = services.add_follow_up(request.user, review,  # type: ignore[arg-type]
                                    payload.model_dump())
    return _review_detail(request, review)


# =========================================================================== instruments


class CriterionOut(Schema):
    id: int
    code: str
    label: str
    guidance: str
    requirement: str
    sort_order: int


class InstrumentOut(Schema):
    id: int
    name: str
    description: str
    agency_id: int | None
    based_on_id: int | None
    active: bool
    criteria: list[CriterionOut]


class CriterionIn(Schema):
    id: int | None = None
    code: str
    label: str
    guidance: str = ""
    requirement: str = ""
    sort_order: int | None = None


class InstrumentPatch(Schema):
    name: str | None = None
    description: str | None = None
    active: bool | None = None
    criteria: list[CriterionIn] | None = Field(None, description="The whole list: criteria "
                                               "left out are removed")


class CopyIn(Schema):
    agency_id: int
    name: str


@router.get("/instruments", response=list[InstrumentOut], summary="Rating instruments",
            operation_id="list_instruments")
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_instruments(request: HttpRequest) -> Any:
    if not can(request.user, VIEW, RatingInstrument):
        raise PermissionDenied("Your role does not use rating instruments.")
    return ShapedPage(selectors.instruments_for(request.user).prefetch_related("criteria"),
                 _instrument_out)


def _instrument_out(instrument: RatingInstrument) -> dict[str, Any]:
    return _fields(instrument, InstrumentOut, criteria=[
        _fields(c, CriterionOut) for c in instrument.criteria.all()])


@router.get("/instruments/{instrument_id}", response=InstrumentOut,
            summary="One rating instrument", operation_id="get_instrument")
def get_instrument(request: HttpRequest, instrument_id: int) -> Any:
    return _instrument_out(_get(selectors.instruments_for(request.user), instrument_id,
                                "rating instrument"))


@router.post("/instruments/{instrument_id}/copy", response={201: InstrumentOut},
             summary="Copy an instrument for an agency to adapt", operation_id="copy_instrument")
def copy_instrument(request: HttpRequest, instrument_id: int, payload: CopyIn) -> Any:
    source = _get(selectors.instruments_for(request.user), instrument_id, "rating instrument")
    if not can(request.user, ADD, RatingInstrument):
        raise PermissionDenied("Your role does not adapt rating instruments.")
    agency = restrict(Agency.objects.filter(pk=payload.agency_id), request.user,
                      CHANGE).first()
    if agency is None:
        raise ValidationError({"agency_id": f"No agency {payload.agency_id} you administer."})
    copy = services.copy_instrument(request.user, source, agency,  # type: ignore[arg-type]
                                    payload.name)
    return Status(201, _instrument_out(copy))


@router.patch("/instruments/{instrument_id}", response=InstrumentOut,
              summary="Adapt an agency's instrument", operation_id="update_instrument")
def update_instrument(request: HttpRequest, instrument_id: int,
                      payload: InstrumentPatch) -> Any:
    instrument = _get(selectors.instruments_for(request.user), instrument_id,
                      "rating instrument")
    if not selectors.instruments_for(request.user, CHANGE).filter(pk=instrument.pk).exists():
        raise PermissionDenied("Only the agency's administrator changes its own instruments.")
    data = payload.model_dump(exclude_unset=True, exclude={"criteria"})
    criteria = None if payload.criteria is None else [c.model_dump() for c in payload.criteria]
    return _instrument_out(services.update_instrument(
        request.user, instrument, data, criteria))  # type: ignore[arg-type]


# =========================================================================== evaluations


class RatingOut(Schema):
    criterion_id: int
    criterion: str
    score: int | None
    not_observed: bool
    comment: str


class InputOut(Schema):
    id: int
    evaluation_id: int
    officer_id: int
    school_id: int
    works_well: str
    concerns: str
    author_id: int | None
    submitted_at: datetime.datetime | None


class EvaluationOut(Schema):
    id: int
    officer_id: int
    instrument_id: int
    period_start: datetime.date
    period_end: datetime.date
    evaluator_id: int
    status: str
    summary: str
    strengths: str
    development_goals: str
    completed_at: datetime.datetime | None


class EvaluationDetailOut(EvaluationOut):
    ratings: list[RatingOut]
    inputs: list[InputOut]


class EvaluationIn(Schema):
    officer_id: int
    instrument_id: int
    period_start: datetime.date
    period_end: datetime.date
    evaluator_id: int | None = Field(None, description="Default: the caller")


class RatingIn(Schema):
    criterion_id: int
    score: int | None = None
    not_observed: bool = False
    comment: str = ""


class EvaluationPatch(Schema):
    summary: str | None = None
    strengths: str | None = None
    development_goals: str | None = None
    ratings: list[RatingIn] = Field(default_factory=list)


class InputRequestIn(Schema):
    school_id: int


class InputPatch(Schema):
    works_well: str = ""
    concerns: str = ""


def _input_out(item: EvaluationInput) -> dict[str, Any]:
    return _fields(item, InputOut, officer_id=item.evaluation.officer_id)


def _evaluation_out(evaluation: Evaluation) -> dict[str, Any]:
    return _fields(evaluation, EvaluationOut)


def _evaluation_detail(request: HttpRequest, evaluation: Evaluation) -> dict[str, Any]:
    fresh = selectors.evaluations_for(request.user).get(pk=evaluation.pk)
    out = _evaluation_out(fresh)
    out["ratings"] = [_fields(r, RatingOut, criterion=r.criterion.label)
                      for r in fresh.ratings.select_related("criterion").order_by(
                          "criterion__sort_order", "id")]
    out["inputs"] = [_input_out(i) for i in
                     selectors.inputs_for(request.user).filter(evaluation=fresh)]
    return out


@router.get("/evaluations", response=list[EvaluationOut], summary="Evaluations (R-F1)",
            operation_id="list_evaluations")
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_evaluations(request: HttpRequest, status: str | None = None,
                     officer_id: int | None = None) -> Any:
    if not can(request.user, VIEW, Evaluation):
        raise PermissionDenied("Evaluations belong to the SRO's chain of command (R-F2).")
    qs = selectors.evaluations_for(request.user)
    if status:
        qs = qs.filter(status=status)
    if officer_id:
        qs = qs.filter(officer_id=officer_id)
    return ShapedPage(qs, _evaluation_out)


@router.get("/evaluations/{evaluation_id}", response=EvaluationDetailOut,
            summary="One evaluation with its ratings and the schools' input",
            operation_id="get_evaluation")
def get_evaluation(request: HttpRequest, evaluation_id: int) -> Any:
    return _evaluation_detail(request, _get(selectors.evaluations_for(request.user),
                                            evaluation_id, "evaluation"))


@router.post("/evaluations", response={201: EvaluationDetailOut},
             summary="Start an evaluation", operation_id="create_evaluation")
def create_evaluation(request: HttpRequest, payload: EvaluationIn) -> Any:
    if not can(request.user, ADD, Evaluation):
        raise PermissionDenied("Your role does not evaluate SROs.")
    officer = selectors.officers_for(request.user).filter(pk=payload.officer_id).first()
    if officer is None:
        raise ValidationError({"officer_id": f"No SRO {payload.officer_id} in your scope."})
    instrument = selectors.instruments_for(request.user).filter(
        pk=payload.instrument_id).first()
    if instrument is None:
        raise ValidationError({"instrument_id": f"No instrument {payload.instrument_id}."})
    evaluation = services.create_evaluation(request.user, {  # type: ignore[arg-type]
        "officer": officer, "instrument": instrument, "period_start": payload.period_start,
        "period_end": payload.period_end,
        "evaluator": _user(payload.evaluator_id, "evaluator_id") or request.user})
    return Status(201, _evaluation_detail(request, evaluation))


@router.patch("/evaluations/{evaluation_id}", response=EvaluationDetailOut,
              summary="Rate and write a draft evaluation", operation_id="update_evaluation")
def update_evaluation(request: HttpRequest, evaluation_id: int,
                      payload: EvaluationPatch) -> Any:
    evaluation = _get(selectors.evaluations_for(request.user), evaluation_id, "evaluation")
    if not can_on(request.user, CHANGE, evaluation):
        raise PermissionDenied("Your role does not change this evaluation.")
    data = payload.model_dump(exclude_unset=True, exclude={"ratings"})
    ratings = {r.criterion_id: r.model_dump() for r in payload.ratings}
    evaluation = services.update_evaluation(request.user, evaluation, data,  # type: ignore[arg-type]
                                            ratings)
    return _evaluation_detail(request, evaluation)


@router.post("/evaluations/{evaluation_id}/complete", response=EvaluationDetailOut,
             summary="Complete an evaluation", operation_id="complete_evaluation")
def complete_evaluation(request: HttpRequest, evaluation_id: int) -> Any:
    evaluation = _get(selectors.evaluations_for(request.user), evaluation_id, "evaluation")
    evaluation = services.complete_evaluation(request.user, evaluation)  # type: ignore[arg-type]
    return _evaluation_detail(request, evaluation)


@router.post("/evaluations/{evaluation_id}/inputs", response={201: InputOut},
             summary="Ask one more school for input", operation_id="request_input")
def request_input(request: HttpRequest, evaluation_id: int, payload: InputRequestIn) -> Any:
    evaluation = _get(selectors.evaluations_for(request.user), evaluation_id, "evaluation")
    if not can(request.user, ADD, EvaluationInput) or not can_on(request.user, CHANGE,
                                                                 evaluation):
        raise PermissionDenied("Your role does not request school input.")
    school = get_object_or_404(School, pk=payload.school_id)
    item = services.request_input(request.user, evaluation, school)  # type: ignore[arg-type]
    return Status(201, _input_out(item))


@router.get("/inputs", response=list[InputOut], summary="School administrators' input "
            "to evaluations (R-F2)", operation_id="list_inputs")
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_inputs(request: HttpRequest) -> Any:
    if not can(request.user, VIEW, EvaluationInput):
        raise PermissionDenied("Your role does not give evaluation input.")
    return ShapedPage(selectors.inputs_for(request.user), _input_out)


@router.get("/inputs/{input_id}", response=InputOut, summary="One school's input",
            operation_id="get_input")
def get_input(request: HttpRequest, input_id: int) -> Any:
    return _input_out(_get(selectors.inputs_for(request.user), input_id, "school input"))


@router.patch("/inputs/{input_id}", response=InputOut, summary="Write the school's input",
              operation_id="submit_input")
def submit_input(request: HttpRequest, input_id: int, payload: InputPatch) -> Any:
    item = _get(selectors.inputs_for(request.user), input_id, "school input")
    if not can_on(request.user, CHANGE, item):
        raise PermissionDenied("Only the school's administrator writes the school's input.")
    return _input_out(services.submit_input(request.user, item,  # type: ignore[arg-type]
                                            payload.model_dump()))


