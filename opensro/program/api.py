"""API endpoints of the program app (mounted under /api/program/): MOUs, their checklist,
document and annual reviews; the MOU element catalog; staffing factors; the staffing
and compliance summaries. Reads go through ``restrict``; writes call the same services
as the web pages.
"""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from ninja import File, Router, Schema, Status, UploadedFile
from ninja.pagination import PageNumberPagination, paginate
from pydantic import Field

from opensro.core.permissions import ADD, CHANGE, VIEW, can, can_on, restrict
from opensro.directory.models import Agency, District, School, SchoolYear
from opensro.program import selectors as sel
from opensro.program import services, views
from opensro.program.models import Mou, MouElement, MouReview, StaffingFactors

router = Router(tags=["program"])


# --------------------------------------------------------------------------- schemas


class DocumentOut(Schema):
    name: str
    size: int | None
    sha256: str
    url: str


class MouOut(Schema):
    id: int
    agency_id: int
    district_id: int
    title: str
    version: int
    status: str
    effective_date: datetime.date
    expiry_date: datetime.date | None
    public: bool
    notes: str
    document: DocumentOut | None

    @staticmethod
    def resolve_document(obj: Mou) -> dict[str, Any] | None:
        if not obj.document_file:
            return None
        return {"name": obj.document_name, "size": obj.document_size,
                "sha256": obj.document_sha256,
                "url": f"/api/program/mous/{obj.pk}/document"}


class MouIn(Schema):
    agency_id: int
    district_id: int
    title: str
    effective_date: datetime.date
    version: int | None = None
    status: str = "draft"
    expiry_date: datetime.date | None = None
    public: bool = False
    notes: str = ""


class MouPatch(Schema):
    title: str | None = None
    version: int | None = None
    status: str | None = None
    effective_date: datetime.date | None = None
    expiry_date: datetime.date | None = None
    public: bool | None = None
    notes: str | None = None


class ChecklistItemOut(Schema):
    element: str
    label: str
    source: str
    required: bool
    present: bool
    section: str
    notes: str


class ChecklistItemIn(Schema):
    element: str = Field(description="The element's code, e.g. cops_no_discipline")
    present: bool
    section: str = ""
    notes: str = ""


class ReviewOut(Schema):
    id: int
    mou_id: int
    review_date: datetime.date
    attendees: str
    minutes: str
    next_review_due: datetime.date


class ReviewIn(Schema):
    review_date: datetime.date
    attendees: str
    minutes: str
    next_review_due: datetime.date | None = None


class ReviewPatch(Schema):
    review_date: datetime.date | None = None
    attendees: str | None = None
    minutes: str | None = None
    next_review_due: datetime.date | None = None


class ElementOut(Schema):
    id: int
    code: str
    label: str
    description: str
    source: str
    required: bool
    sort_order: int
    active: bool


class ElementIn(Schema):
    code: str
    label: str
    description: str = ""
    source: str = "local"
    required: bool = False
    sort_order: int = 500
    active: bool = True


class ElementPatch(Schema):
    label: str | None = None
    description: str | None = None
    source: str | None = None
    required: bool | None = None
    sort_order: int | None = None
    active: bool | None = None


class FactorsOut(Schema):
    id: int
    school_id: int
    school_year: str
    non_sworn_safety_staff: int | None
    calls_for_service: int | None
    notes: str

    @staticmethod
    def resolve_school_year(obj: StaffingFactors) -> str:
        return obj.school_year.code


class FactorsIn(Schema):
    school_id: int
    school_year: str
    non_sworn_safety_staff: int | None = Field(None, ge=0)
    calls_for_service: int | None = Field(None, ge=0)
    notes: str = ""


class FactorsPatch(Schema):
    non_sworn_safety_staff: int | None = Field(None, ge=0)
    calls_for_service: int | None = Field(None, ge=0)
    notes: str | None = None


class SroOut(Schema):
    officer_id: int
    officer: str
    since: datetime.date
    years: float
    meets_goal: bool


class SchoolStaffingOut(Schema):
    school_id: int
    school: str
    district_id: int
    enrollment: int | None
    campus_acres: float | None
    buildings: int | None
    non_sworn_safety_staff: int | None
    calls_for_service: int | None
    sros: list[SroOut]
    meets_one_per_school: bool


class FloatingOut(Schema):
    officer_id: int
    officer: str
    schools: int


class RotationOut(Schema):
    assignment_id: int
    officer_id: int
    school_id: int
    since: datetime.date
    end_date: datetime.date
    years: float


class StaffingOut(Schema):
    date: datetime.date
    school_year: str | None
    tenure_goal_years: int
    floating_max_schools: int
    schools: list[SchoolStaffingOut]
    floating: list[FloatingOut]
    rotations: list[RotationOut]


class FlagCountOut(Schema):
    kind: str
    label: str
    open: int


class DueOut(Schema):
    kind: str
    label: str
    due: datetime.date
    overdue: bool
    url: str | None


class ComplianceOut(Schema):
    date: datetime.date
    flags: list[FlagCountOut]
    due: list[DueOut]


# --------------------------------------------------------------------------- helpers


def _fk(model: type[Any], user: Any, pk: int, field: str, action: str = VIEW) -> Any:
    obj = restrict(model._default_manager.filter(pk=pk), user, action).first()
    if obj is None:
        raise ValidationError({field: f"No {model._meta.verbose_name} {pk} that you may use."})
    return obj


def _year(code: str) -> SchoolYear:
    year = SchoolYear.objects.filter(code=code).first()
    if year is None:
        raise ValidationError({"school_year": f"Unknown school year {code!r}."})
    return year


def _mous(request: HttpRequest) -> QuerySet[Mou]:
    return sel.mous_for(request.user)


def _mou(request: HttpRequest, mou_id: int) -> Mou:
    mou = _mous(request).filter(pk=mou_id).first()
    if mou is None:
        raise Http404(f"No MOU {mou_id} in your scope.")
    return mou


def _reviews(request: HttpRequest) -> QuerySet[MouReview]:
    return restrict(MouReview.objects.select_related("mou"), request.user, VIEW)


def _factors(request: HttpRequest) -> QuerySet[StaffingFactors]:
    return restrict(StaffingFactors.objects.select_related("school_year"), request.user, VIEW)


# --------------------------------------------------------------------------- MOUs


@router.get("/mous", response=list[MouOut], summary="List MOUs", operation_id="list_mous")
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_mous(request: HttpRequest, agency_id: int | None = None,
              district_id: int | None = None, status: str | None = None,
              in_force_on: datetime.date | None = None) -> Any:
    qs = _mous(request)
    if agency_id:
        qs = qs.filter(agency_id=agency_id)
    if district_id:
        qs = qs.filter(district_id=district_id)
    if status:
        qs = qs.filter(status=status)
    if in_force_on:
        qs = qs.filter(pk__in=[m.pk for m in sel.in_force_on(in_force_on)])
    return qs


@router.get("/mous/{mou_id}", response=MouOut, summary="Read one MOU", operation_id="get_mou")
def get_mou(request: HttpRequest, mou_id: int) -> Any:
    return _mou(request, mou_id)


@router.post("/mous", response={201: MouOut}, summary="Create an MOU (draft, or executed "
             "once its document is uploaded)", operation_id="create_mou")
def create_mou(request: HttpRequest, payload: MouIn) -> Any:
    if not can(request.user, ADD, Mou):
        raise PermissionDenied("You may not add an MOU.")
    data = payload.model_dump()
    data["agency"] = _fk(Agency, request.user, data.pop("agency_id"), "agency_id")
    data["district"] = _fk(District, request.user, data.pop("district_id"), "district_id")
    mou = services.create_mou(request.user, data)  # type: ignore[arg-type]
    return Status(201, _mous(request).get(pk=mou.pk))


@router.patch("/mous/{mou_id}", response=MouOut, summary="Change an MOU",
              operation_id="update_mou")
def update_mou(request: HttpRequest, mou_id: int, payload: MouPatch) -> Any:
    mou = _mou(request, mou_id)
    saved = services.update_mou(request.user, mou, payload.model_dump(exclude_unset=True))  # type: ignore[arg-type]
    return _mous(request).get(pk=saved.pk)


@router.post("/mous/{mou_id}/document", response=MouOut,
             summary="Upload the signed document (PDF, multipart field 'file')",
             operation_id="upload_mou_document")
def upload_document(request: HttpRequest, mou_id: int, file: File[UploadedFile]) -> Any:
    mou = _mou(request, mou_id)
    saved = services.update_mou(request.user, mou, {}, file)  # type: ignore[arg-type]
    return _mous(request).get(pk=saved.pk)


@router.get("/mous/{mou_id}/document", summary="Download the signed document",
            operation_id="get_mou_document", response={200: None})
def download_document(request: HttpRequest, mou_id: int) -> HttpResponseBase:
    mou = _mou(request, mou_id)
    return views._serve(mou, record_for=None if mou.public else request.user)


@router.get("/mous/{mou_id}/checklist", response=list[ChecklistItemOut],
            summary="The MOU's checklist", operation_id="get_mou_checklist")
def get_checklist(request: HttpRequest, mou_id: int) -> Any:
    return _checklist_out(_mou(request, mou_id))


def _checklist_out(mou: Mou) -> list[dict[str, Any]]:
    return [{"element": r["element"].code, "label": r["element"].label,
             "source": r["element"].source, "required": r["element"].required,
             "present": r["present"], "section": r["section"], "notes": r["notes"]}
            for r in sel.checklist(mou)]


@router.put("/mous/{mou_id}/checklist", response=list[ChecklistItemOut],
            summary="Mark elements present (with their section) or missing",
            operation_id="set_mou_checklist")
def set_checklist(request: HttpRequest, mou_id: int, payload: list[ChecklistItemIn]) -> Any:
    mou = _mou(request, mou_id)
    if not can_on(request.user, CHANGE, mou):
        raise PermissionDenied("You may not change this MOU's checklist.")
    services.set_checklist(request.user, mou, [i.model_dump() for i in payload])  # type: ignore[arg-type]
    return _checklist_out(mou)


@router.get("/mous/{mou_id}/reviews", response=list[ReviewOut],
            summary="The MOU's annual reviews", operation_id="list_mou_reviews")
def list_mou_reviews(request: HttpRequest, mou_id: int) -> Any:
    mou = _mou(request, mou_id)
    return list(_reviews(request).filter(mou=mou))


@router.post("/mous/{mou_id}/reviews", response={201: ReviewOut},
             summary="Record an annual review", operation_id="create_mou_review")
def create_review(request: HttpRequest, mou_id: int, payload: ReviewIn) -> Any:
    mou = _mou(request, mou_id)
    if not can(request.user, ADD, MouReview) or not can_on(request.user, CHANGE, mou):
        raise PermissionDenied("You may not record reviews of this MOU.")
    review = services.record_review(request.user, mou, payload.model_dump())  # type: ignore[arg-type]
    return Status(201, review)


@router.get("/reviews", response=list[ReviewOut], summary="List MOU reviews",
            operation_id="list_all_mou_reviews")
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_reviews(request: HttpRequest, mou_id: int | None = None) -> Any:
    qs = _reviews(request)
    return qs.filter(mou_id=mou_id) if mou_id else qs


@router.get("/reviews/{review_id}", response=ReviewOut, summary="Read one MOU review",
            operation_id="get_mou_review")
def get_review(request: HttpRequest, review_id: int) -> Any:
    review = _reviews(request).filter(pk=review_id).first()
    if review is None:
        raise Http404(f"No MOU review {review_id} in your scope.")
    return review


@router.patch("/reviews/{review_id}", response=ReviewOut, summary="Change an MOU review",
              operation_id="update_mou_review")
def update_review(request: HttpRequest, review_id: int, payload: ReviewPatch) -> Any:
    review = get_object_or_404(_reviews(request), pk=review_id)
    return services.update_review(request.user, review,  # type: ignore[arg-type]
                                  payload.model_dump(exclude_unset=True))


# --------------------------------------------------------------------------- catalog


@router.get("/elements", response=list[ElementOut], summary="List MOU elements",
            operation_id="list_mou_elements")
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_elements(request: HttpRequest, required: bool | None = None) -> Any:
    qs = restrict(MouElement.objects.all(), request.user, VIEW)
    return qs.filter(required=required) if required is not None else qs


@router.get("/elements/{element_id}", response=ElementOut, summary="Read one MOU element",
            operation_id="get_mou_element")
def get_element(request: HttpRequest, element_id: int) -> Any:
    element = restrict(MouElement.objects.all(), request.user, VIEW).filter(
        pk=element_id).first()
    if element is None:
        raise Http404(f"No MOU element {element_id}.")
    return element


@router.post("/elements", response={201: ElementOut}, summary="Add an MOU element",
             operation_id="create_mou_element")
def create_element(request: HttpRequest, payload: ElementIn) -> Any:
    if not can(request.user, ADD, MouElement):
        raise PermissionDenied("Only a system administrator changes the MOU catalog.")
    return Status(201, services.create_element(request.user, payload.model_dump()))  # type: ignore[arg-type]


@router.patch("/elements/{element_id}", response=ElementOut,
              summary="Change an MOU element", operation_id="update_mou_element")
def update_element(request: HttpRequest, element_id: int, payload: ElementPatch) -> Any:
    element = get_element(request, element_id)
    return services.update_element(request.user, element,  # type: ignore[arg-type]
                                   payload.model_dump(exclude_unset=True))


# --------------------------------------------------------------------------- staffing


@router.get("/staffing-factors", response=list[FactorsOut], summary="List staffing factors",
            operation_id="list_staffing_factors")
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_factors(request: HttpRequest, school_id: int | None = None,
                 school_year: str | None = None) -> Any:
    qs = _factors(request)
    if school_id:
        qs = qs.filter(school_id=school_id)
    if school_year:
        qs = qs.filter(school_year__code=school_year)
    return qs


@router.get("/staffing-factors/{factors_id}", response=FactorsOut,
            summary="Read one school's staffing factors", operation_id="get_staffing_factors")
def get_factors(request: HttpRequest, factors_id: int) -> Any:
    obj = _factors(request).filter(pk=factors_id).first()
    if obj is None:
        raise Http404(f"No staffing factors {factors_id} in your scope.")
    return obj


@router.post("/staffing-factors", response={201: FactorsOut},
             summary="Record a school's staffing factors for a year",
             operation_id="create_staffing_factors")
def create_factors(request: HttpRequest, payload: FactorsIn) -> Any:
    if not can(request.user, ADD, StaffingFactors):
        raise PermissionDenied("You may not record staffing factors.")
    data = payload.model_dump()
    data["school"] = _fk(School, request.user, data.pop("school_id"), "school_id", CHANGE)
    data["school_year"] = _year(data["school_year"])
    obj = services.create_staffing_factors(request.user, data)  # type: ignore[arg-type]
    return Status(201, _factors(request).get(pk=obj.pk))


@router.patch("/staffing-factors/{factors_id}", response=FactorsOut,
              summary="Change a school's staffing factors",
              operation_id="update_staffing_factors")
def update_factors(request: HttpRequest, factors_id: int, payload: FactorsPatch) -> Any:
    obj = get_object_or_404(_factors(request), pk=factors_id)
    saved = services.update_staffing_factors(request.user, obj,  # type: ignore[arg-type]
                                             payload.model_dump(exclude_unset=True))
    return _factors(request).get(pk=saved.pk)


@router.get("/staffing", response=StaffingOut,
            summary="SROs, tenure and staffing factors per school (R-A3, R-A4)",
            operation_id="get_program_staffing")
def staffing(request: HttpRequest, district_id: int | None = None,
             school_year: str | None = None) -> Any:
    from opensro.directory.models import Assignment

    if not can(request.user, VIEW, Assignment):
        raise PermissionDenied("The staffing summary names officers; your role works with "
                               "aggregates only.")
    year = _year(school_year) if school_year else None
    report = sel.staffing_report(request.user, services.today(), year=year,
                                 district_id=district_id)
    return {
        "date": report.day, "school_year": report.year.code if report.year else None,
        "tenure_goal_years": report.goal, "floating_max_schools": report.max_schools,
        "schools": [{
            "school_id": r.school.pk, "school": r.school.name,
            "district_id": r.school.district_id, "enrollment": r.enrollment,
            "campus_acres": float(r.school.campus_acres)
            if r.school.campus_acres is not None else None,
            "buildings": r.school.buildings,
            "non_sworn_safety_staff": r.non_sworn_safety_staff,
            "calls_for_service": r.calls_for_service,
            "sros": [{"officer_id": t.officer.pk, "officer": str(t.officer), "since": t.since,
                      "years": round(t.years, 2), "meets_goal": t.meets_goal}
                     for t in r.sros],
            "meets_one_per_school": r.meets_one_per_school,
        } for r in report.schools],
        "floating": [{"officer_id": f.officer.pk, "officer": str(f.officer),
                      "schools": f.total} for f in report.floating],
        "rotations": [{"assignment_id": r.assignment.pk, "officer_id": r.assignment.officer_id,
                       "school_id": r.assignment.school_id, "since": r.since,
                       "end_date": r.assignment.end_date, "years": round(r.years, 2)}
                      for r in report.rotations],
    }


@router.get("/compliance", response=ComplianceOut,
            summary="Open flags by kind and items coming due, in your scope",
            operation_id="get_program_compliance")
def compliance(request: HttpRequest, agency_id: int | None = None,
               district_id: int | None = None) -> Any:
    if not views.may_use_compliance(request.user):
        raise PermissionDenied("The compliance summary is for supervisors, administrators "
                               "and auditors.")
    day = services.today()
    summary = views.compliance_summary(request.user, day, agency_id=agency_id,
                                       district_id=district_id)
    return {
        "date": day,
        "flags": [{"kind": k["code"], "label": k["label"], "open": k["open"]}
                  for k in summary["kinds"]],
        "due": [{"kind": r["item"].kind, "label": r["item"].label, "due": r["item"].due,
                 "overdue": r["overdue"], "url": r["item"].url} for r in summary["due"]],
    }


