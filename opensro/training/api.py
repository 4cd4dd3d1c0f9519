"""Training endpoints (mounted under /api/training/): the course catalog, officers' and
district administrators' training records (with certificate upload and download),
compliance per officer and per agency, policy profiles and their rules, agency policies
and school staff training (R-G1…R-G4). Reads go through ``restrict``; writes through the
same services as the web pages, so the same rules give the same messages.
"""


import datetime
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Annotated, Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import File, FilterLookup, FilterSchema, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate
from pydantic import Field

from opensro.core.models import User
from opensro.core.permissions import ADD, CHANGE, DELETE, VIEW, can, can_on, restrict
from opensro.directory.models import Agency, District, Officer, School
from opensro.training import compliance, services
from opensro.training.models import (
    AdministratorTrainingRecord,
    AgencyPolicy,
    Course,
    PolicyProfile,
    RequirementRule,
    StaffTrainingSession,
    TrainingRecord,
)
from opensro.training.rules import RuleStatus
from opensro.training.views import certificate_response


def _actor(request: HttpRequest) -> User:
    """The signed-in user (login_required and the API's auth guarantee one)."""
    return cast(User, request.user)

router = Router(tags=["training"])


# --------------------------------------------------------------------------- schemas


class CourseOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    nominal_hours: Decimal | None
    source: str
    description: str
    recommended_topic: bool
    active: bool


class CourseIn(Schema):
    code: str
    name: str
    kind: str
    nominal_hours: Decimal | None = None
    source: str = ""
    description: str = ""
    recommended_topic: bool = False
    active: bool = True


class CoursePatch(Schema):
    code: str | None = None
    name: str | None = None
    kind: str | None = None
    nominal_hours: Decimal | None = None
    source: str | None = None
    description: str | None = None
    recommended_topic: bool | None = None
    active: bool | None = None


class RecordOut(Schema):
    id: int
    officer_id: int
    course: str = Field(description="Course code")
    completed_on: datetime.date
    hours: Decimal
    provider: str
    notes: str
    has_certificate: bool

    @staticmethod
    def resolve_course(obj: TrainingRecord) -> str:
        return obj.course.code

    @staticmethod
    def resolve_has_certificate(obj: TrainingRecord) -> bool:
        return bool(obj.certificate)


class RecordIn(Schema):
    officer_id: int
    course: str = Field(description="Course code from GET /api/training/courses")
    completed_on: datetime.date
    hours: Decimal = Field(gt=0)
    provider: str
    notes: str = ""


class RecordPatch(Schema):
    course: str | None = None
    completed_on: datetime.date | None = None
    hours: Decimal | None = Field(None, gt=0)
    provider: str | None = None
    notes: str | None = None


class AdminRecordOut(Schema):
    id: int
    person_id: int
    district_id: int
    course: str
    completed_on: datetime.date
    hours: Decimal
    provider: str
    notes: str
    has_certificate: bool

    @staticmethod
    def resolve_course(obj: AdministratorTrainingRecord) -> str:
        return obj.course.code

    @staticmethod
    def resolve_has_certificate(obj: AdministratorTrainingRecord) -> bool:
        return bool(obj.certificate)


class AdminRecordIn(Schema):
    person_id: int
    district_id: int
    course: str
    completed_on: datetime.date
    hours: Decimal = Field(gt=0)
    provider: str
    notes: str = ""


class ProfileOut(Schema):
    id: int
    name: str
    description: str
    built_in: bool
    based_on_id: int | None


class ProfileIn(Schema):
    name: str
    description: str = ""


class ProfilePatch(Schema):
    name: str | None = None
    description: str | None = None


class CopyIn(Schema):
    name: str
    description: str | None = None


class RuleOut(Schema):
    id: int
    profile_id: int
    name: str
    description: str
    for_sros: bool
    for_supervisors: bool
    for_district_admins: bool
    courses: list[str] = Field(description="Course codes that meet the requirement")
    min_hours: Decimal | None
    anchor: str
    anchor_course: str | None
    offset_amount: int
    offset_unit: str
    recurrence_months: int | None
    due_soon_days: int | None
    schedule: str

    @staticmethod
    def resolve_courses(obj: RequirementRule) -> list[str]:
        return sorted(c.code for c in obj.courses.all())

    @staticmethod
    def resolve_anchor_course(obj: RequirementRule) -> str | None:
        return obj.anchor_course.code if obj.anchor_course else None


class RuleIn(Schema):
    name: str
    description: str = ""
    for_sros: bool = True
    for_supervisors: bool = False
    for_district_admins: bool = False
    courses: list[str]
    min_hours: Decimal | None = None
    anchor: str = Field(description="placement, before_assignment, course_completion or "
                                    "program_start")
    anchor_course: str | None = None
    offset_amount: int = 0
    offset_unit: str = "months"
    recurrence_months: int | None = None
    due_soon_days: int | None = None


class RulePatch(Schema):
    name: str | None = None
    description: str | None = None
    for_sros: bool | None = None
    for_supervisors: bool | None = None
    for_district_admins: bool | None = None
    courses: list[str] | None = None
    min_hours: Decimal | None = None
    anchor: str | None = None
    anchor_course: str | None = None
    offset_amount: int | None = None
    offset_unit: str | None = None
    recurrence_months: int | None = None
    due_soon_days: int | None = None


class DeleteIn(Schema):
    reason: str


class PolicyOut(Schema):
    id: int
    agency_id: int
    profile_id: int
    program_start: datetime.date | None


class PolicyIn(Schema):
    agency_id: int
    profile_id: int
    program_start: datetime.date | None = None


class PolicyPatch(Schema):
    profile_id: int | None = None
    program_start: datetime.date | None = None


class SessionOut(Schema):
    id: int
    school_id: int
    held_on: datetime.date
    title: str
    topics: list[str]
    attendees: int
    hours: Decimal | None
    presenter: str
    joint_with_sro: bool
    notes: str


class SessionIn(Schema):
    school_id: int
    held_on: datetime.date
    title: str
    topics: list[str]
    attendees: int
    hours: Decimal | None = None
    presenter: str = ""
    joint_with_sro: bool = False
    notes: str = ""


class SessionPatch(Schema):
    held_on: datetime.date | None = None
    title: str | None = None
    topics: list[str] | None = None
    attendees: int | None = None
    hours: Decimal | None = None
    presenter: str | None = None
    joint_with_sro: bool | None = None
    notes: str | None = None


class StatusOut(Schema):
    requirement_id: int
    requirement: str
    state: str
    due: datetime.date | None
    completed_on: datetime.date | None
    note: str


class PersonOut(Schema):
    officer_id: int | None
    person_id: int | None
    district_id: int | None
    name: str
    applies_as: str
    placement: datetime.date | None
    summary: str
    requirements: list[StatusOut]


class AgencyComplianceOut(Schema):
    agency_id: int
    profile: str | None
    program_start: datetime.date | None
    as_of: datetime.date
    people: list[PersonOut]


class RecordFilter(FilterSchema):
    officer_id: int | None = None
    course: Annotated[str | None, FilterLookup("course__code")] = None
    completed_from: Annotated[datetime.date | None, FilterLookup("completed_on__gte")] = None
    completed_to: Annotated[datetime.date | None, FilterLookup("completed_on__lte")] = None


class AdminRecordFilter(FilterSchema):
    person_id: int | None = None
    district_id: int | None = None


class CourseFilter(FilterSchema):
    kind: str | None = None
    active: bool | None = None


class RuleFilter(FilterSchema):
    profile_id: int | None = None


class SessionFilter(FilterSchema):
    school_id: int | None = None
    held_from: Annotated[datetime.date | None, FilterLookup("held_on__gte")] = None
    held_to: Annotated[datetime.date | None, FilterLookup("held_on__lte")] = None


class ProfileFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup("name__icontains")] = None


class PolicyFilter(FilterSchema):
    agency_id: int | None = None
    profile_id: int | None = None


# --------------------------------------------------------------------------- helpers


def _one(qs: Any, pk: int, name: str) -> Any:
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise Http404(f"No {name} {pk} in your scope.")
    return obj


def _fk(model: type[models.Model], user: Any, pk: int | None, field: str,
        action: str = VIEW) -> Any:
    if pk is None:
        return None
    obj = restrict(model._default_manager.filter(pk=pk), user, action).first()
    if obj is None:
        raise ValidationError({field: f"No {model._meta.verbose_name} {pk} that you may use."})
    return obj


def _course(code: str | None, field: str = "course") -> Course | None:
    if code is None:
        return None
    course = Course.objects.filter(code=code).first()
    if course is None:
        raise ValidationError({field: f"Unknown course code {code!r}; see GET "
                                      "/api/training/courses."})
    return course


def _courses(codes: list[str]) -> list[Course]:
    found = {c.code: c for c in Course.objects.filter(code__in=codes)}
    unknown = sorted(set(codes) - set(found))
    if unknown:
        raise ValidationError({"courses": "Unknown course code(s): " + ", ".join(unknown)})
    return [found[c] for c in codes]


def _require(user: Any, action: str, model: type[models.Model]) -> None:
    if not can(user, action, model):
        raise PermissionDenied(f"You may not {action} {model._meta.verbose_name_plural}.")


def _crud(prefix: str, model: type[models.Model], out: type[Schema], filt: type[FilterSchema],
          related: tuple[str, ...] = ()) -> Callable[[HttpRequest], Any]:
    """List and read for one model, scoped; returns the base queryset function."""
    name = str(model._meta.verbose_name)
    plural = str(model._meta.verbose_name_plural)
    op = prefix.replace("-", "_")

    def base(request: HttpRequest) -> Any:
        qs = model._default_manager.all()
        if related:
            qs = qs.select_related(*related)
        return restrict(qs, request.user, VIEW)

    @router.get(f"/{prefix}", response=list[out], summary=f"List {plural}",  # type: ignore[valid-type]
                operation_id=f"training_list_{op}")
    @paginate(PageNumberPagination, page_size=50, max_page_size=500)
    def list_items(request: HttpRequest, filters: Query[filt]) -> Any:  # type: ignore[valid-type]
        return filters.filter(base(request))  # type: ignore[attr-defined]

    @router.get(f"/{prefix}/{{item_id}}", response=out, summary=f"Read one {name}",
                operation_id=f"training_get_{op}")
    def get_item(request: HttpRequest, item_id: int) -> Any:
        return _one(base(request), item_id, name)

    return base


courses_qs = _crud("courses", Course, CourseOut, CourseFilter)
records_qs = _crud("records", TrainingRecord, RecordOut, RecordFilter, ("course",))
admin_records_qs = _crud("administrator-records", AdministratorTrainingRecord, AdminRecordOut,
                         AdminRecordFilter, ("course",))
profiles_qs = _crud("profiles", PolicyProfile, ProfileOut, ProfileFilter)
rules_qs = _crud("rules", RequirementRule, RuleOut, RuleFilter, ("anchor_course",))
policies_qs = _crud("agency-policies", AgencyPolicy, PolicyOut, PolicyFilter)
sessions_qs = _crud("staff-sessions", StaffTrainingSession, SessionOut, SessionFilter)


# --------------------------------------------------------------------------- courses


@router.post("/courses", response={201: CourseOut}, summary="Add a course to the catalog",
             operation_id="training_create_course")
def create_course(request: HttpRequest, payload: CourseIn) -> Any:
    _require(request.user, ADD, Course)
    return Status(201, services.create_course(_actor(request), payload.model_dump()))


@router.patch("/courses/{item_id}", response=CourseOut, summary="Change a course",
              operation_id="training_update_course")
def update_course(request: HttpRequest, item_id: int, payload: CoursePatch) -> Any:
    course = _one(courses_qs(request), item_id, "course")
    return services.update_course(_actor(request), course, payload.model_dump(exclude_unset=True))


# --------------------------------------------------------------------------- records


def _record_data(request: HttpRequest, payload: Schema, unset: bool = False) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=unset)
    if "officer_id" in data:
        data["officer"] = _fk(Officer, request.user, data.pop("officer_id"), "officer_id")
    if "person_id" in data:
        data["person"] = _person(data.pop("person_id"))
    if "district_id" in data:
        data["district"] = _fk(District, request.user, data.pop("district_id"), "district_id")
    if "course" in data:
        data["course"] = _course(data["course"])
    return data


def _person(pk: int) -> User:
    person = User.objects.filter(pk=pk).first()
    if person is None:
        raise ValidationError({"person_id": f"No district administrator {pk}."})
    return person


@router.post("/records", response={201: RecordOut}, summary="Record a completed course",
             operation_id="training_create_record")
def create_record(request: HttpRequest, payload: RecordIn) -> Any:
    _require(request.user, ADD, TrainingRecord)
    record = services.create_record(_actor(request), _record_data(request, payload))
    return Status(201, records_qs(request).get(pk=record.pk))


@router.patch("/records/{item_id}", response=RecordOut, summary="Change a training record",
              operation_id="training_update_record")
def update_record(request: HttpRequest, item_id: int, payload: RecordPatch) -> Any:
    record = _one(records_qs(request), item_id, "training record")
    saved = services.update_record(_actor(request), record,
                                   _record_data(request, payload, unset=True))
    return records_qs(request).get(pk=saved.pk)


@router.delete("/records/{item_id}", response={204: None}, summary="Delete a training record",
               operation_id="training_delete_record")
def delete_record(request: HttpRequest, item_id: int, payload: DeleteIn) -> Any:
    record = _one(records_qs(request), item_id, "training record")
    if not can_on(request.user, DELETE, record):
        raise PermissionDenied("You may not delete this training record.")
    services.delete_record(_actor(request), record, payload.reason)
    return Status(204, None)


@router.post("/records/{item_id}/certificate", response=RecordOut,
             summary="Upload the certificate (PDF, PNG or JPEG, at most 10 MB)",
             operation_id="training_upload_certificate")
def upload_certificate(request: HttpRequest, item_id: int,
                       file: File[UploadedFile]) -> Any:
    record = _one(records_qs(request), item_id, "training record")
    saved = services.update_record(_actor(request), record, {}, file)
    return records_qs(request).get(pk=saved.pk)


@router.get("/records/{item_id}/certificate", summary="Download the certificate",
            operation_id="training_get_certificate", response={200: None})
def get_certificate(request: HttpRequest, item_id: int) -> Any:
    record = _one(records_qs(request), item_id, "training record")
    if not record.certificate:
        raise Http404("This record has no certificate.")
    return certificate_response(record)


@router.post("/administrator-records", response={201: AdminRecordOut},
             summary="Record a course a district administrator completed",
             operation_id="training_create_admin_record")
def create_admin_record(request: HttpRequest, payload: AdminRecordIn) -> Any:
    _require(request.user, ADD, AdministratorTrainingRecord)
    record = services.create_admin_record(_actor(request), _record_data(request, payload))
    return Status(201, admin_records_qs(request).get(pk=record.pk))


@router.patch("/administrator-records/{item_id}", response=AdminRecordOut,
              summary="Change a district administrator's training record",
              operation_id="training_update_admin_record")
def update_admin_record(request: HttpRequest, item_id: int, payload: RecordPatch) -> Any:
    record = _one(admin_records_qs(request), item_id, "district administrator training record")
    saved = services.update_admin_record(_actor(request), record,
                                         _record_data(request, payload, unset=True))
    return admin_records_qs(request).get(pk=saved.pk)


# --------------------------------------------------------------------------- compliance


def _statuses(statuses: list[RuleStatus]) -> list[dict[str, Any]]:
    return [{"requirement_id": s.rule.id, "requirement": s.rule.name, "state": s.state,
             "due": s.due, "completed_on": s.completed_on, "note": s.note} for s in statuses]


def _person_out(comp: compliance.PersonCompliance) -> dict[str, Any]:
    return {
        "officer_id": comp.officer.pk if comp.officer else None,
        "person_id": comp.person.pk if comp.person else None,
        "district_id": comp.district.pk if comp.district else None,
        "name": comp.name, "applies_as": comp.audience, "placement": comp.placement,
        "summary": comp.summary, "requirements": _statuses(comp.statuses),
    }


@router.get("/compliance/officers/{officer_id}", response=PersonOut,
            summary="One officer's standing on each requirement",
            operation_id="training_officer_compliance")
def officer_compliance(request: HttpRequest, officer_id: int,
                       as_of: datetime.date | None = None) -> Any:
    officer = compliance.visible_officers(request.user).filter(pk=officer_id).first()
    if officer is None:
        raise Http404(f"No officer {officer_id} in your scope.")
    return _person_out(compliance.officer_compliance(officer, as_of or timezone.localdate()))


@router.get("/compliance/agencies/{agency_id}", response=AgencyComplianceOut,
            summary="Every visible officer (and district administrator) of an agency",
            operation_id="training_agency_compliance")
def agency_compliance(request: HttpRequest, agency_id: int,
                      as_of: datetime.date | None = None) -> Any:
    _require(request.user, VIEW, TrainingRecord)
    agency = restrict(Agency.objects.filter(pk=agency_id), request.user, VIEW).first()
    if agency is None:
        raise Http404(f"No agency {agency_id} in your scope.")
    day = as_of or timezone.localdate()
    officers = list(compliance.visible_officers(request.user).filter(agency=agency).exclude(
        status="separated"))
    people = compliance.for_officers(officers, day)
    people += compliance.for_district_admins(agency, day, request.user)
    policy = AgencyPolicy.objects.filter(agency=agency).select_related("profile").first()
    return {"agency_id": agency.pk, "profile": policy.profile.name if policy else None,
            "program_start": policy.program_start if policy else None, "as_of": day,
            "people": [_person_out(p) for p in people]}


# --------------------------------------------------------------------------- profiles


@router.post("/profiles", response={201: ProfileOut}, summary="Create an empty profile",
             operation_id="training_create_profile")
def create_profile(request: HttpRequest, payload: ProfileIn) -> Any:
    _require(request.user, ADD, PolicyProfile)
    return Status(201, services.create_profile(_actor(request), payload.model_dump()))


@router.patch("/profiles/{item_id}", response=ProfileOut, summary="Rename or describe a profile",
              operation_id="training_update_profile")
def update_profile(request: HttpRequest, item_id: int, payload: ProfilePatch) -> Any:
    profile = _one(profiles_qs(request), item_id, "policy profile")
    return services.update_profile(_actor(request), profile, payload.model_dump(exclude_unset=True))


@router.post("/profiles/{item_id}/copy", response={201: ProfileOut},
             summary="Copy a profile with all its rules, to adapt it",
             operation_id="training_copy_profile")
def copy_profile(request: HttpRequest, item_id: int, payload: CopyIn) -> Any:
    profile = _one(profiles_qs(request), item_id, "policy profile")
    return Status(201, services.copy_profile(_actor(request), profile, payload.name,
                                             payload.description))


def _rule_data(payload: Schema, unset: bool = False) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=unset)
    if "courses" in data and data["courses"] is not None:
        data["courses"] = _courses(data["courses"])
    if "anchor_course" in data:
        data["anchor_course"] = _course(data["anchor_course"], "anchor_course")
    return data


@router.post("/profiles/{item_id}/rules", response={201: RuleOut},
             summary="Add a requirement to a profile", operation_id="training_create_rule")
def create_rule(request: HttpRequest, item_id: int, payload: RuleIn) -> Any:
    profile = _one(profiles_qs(request), item_id, "policy profile")
    _require(request.user, ADD, RequirementRule)
    rule = services.create_rule(_actor(request), profile, _rule_data(payload))
    return Status(201, rules_qs(request).get(pk=rule.pk))


@router.patch("/rules/{item_id}", response=RuleOut, summary="Change a requirement",
              operation_id="training_update_rule")
def update_rule(request: HttpRequest, item_id: int, payload: RulePatch) -> Any:
    rule = _one(rules_qs(request), item_id, "requirement rule")
    saved = services.update_rule(_actor(request), rule, _rule_data(payload, unset=True))
    return rules_qs(request).get(pk=saved.pk)


@router.delete("/rules/{item_id}", response={204: None}, summary="Remove a requirement",
               operation_id="training_delete_rule")
def delete_rule(request: HttpRequest, item_id: int, payload: DeleteIn) -> Any:
    rule = _one(rules_qs(request), item_id, "requirement rule")
    services.delete_rule(_actor(request), rule, payload.reason)
    return Status(204, None)


# --------------------------------------------------------------------------- agency policies


def _policy_data(request: HttpRequest, payload: Schema, unset: bool = False) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=unset)
    if "agency_id" in data:
        data["agency"] = _fk(Agency, request.user, data.pop("agency_id"), "agency_id", CHANGE)
    if "profile_id" in data:
        data["profile"] = _fk(PolicyProfile, request.user, data.pop("profile_id"), "profile_id")
    return data


@router.post("/agency-policies", response={201: PolicyOut},
             summary="Choose an agency's training profile",
             operation_id="training_create_agency_policy")
def create_policy(request: HttpRequest, payload: PolicyIn) -> Any:
    _require(request.user, ADD, AgencyPolicy)
    return Status(201, services.create_agency_policy(_actor(request),
                                                     _policy_data(request, payload)))


@router.patch("/agency-policies/{item_id}", response=PolicyOut,
              summary="Change an agency's training profile or program start",
              operation_id="training_update_agency_policy")
def update_policy(request: HttpRequest, item_id: int, payload: PolicyPatch) -> Any:
    policy = _one(policies_qs(request), item_id, "agency training policy")
    return services.update_agency_policy(_actor(request), policy,
                                         _policy_data(request, payload, unset=True))


# --------------------------------------------------------------------------- staff training


def _session_data(request: HttpRequest, payload: Schema, unset: bool = False
                  ) -> Mapping[str, Any]:
    data = payload.model_dump(exclude_unset=unset)
    if "school_id" in data:
        data["school"] = _fk(School, request.user, data.pop("school_id"), "school_id", CHANGE)
    return data


@router.post("/staff-sessions", response={201: SessionOut},
             summary="Record a school staff training session",
             operation_id="training_create_staff_session")
def create_session(request: HttpRequest, payload: SessionIn) -> Any:
    _require(request.user, ADD, StaffTrainingSession)
    return Status(201, services.create_staff_session(_actor(request),
                                                     _session_data(request, payload)))


@router.patch("/staff-sessions/{item_id}", response=SessionOut,
              summary="Change a school staff training session",
              operation_id="training_update_staff_session")
def update_session(request: HttpRequest, item_id: int, payload: SessionPatch) -> Any:
    session = _one(sessions_qs(request), item_id, "staff training session")
    return services.update_staff_session(_actor(request), session,
                                         _session_data(request, payload, unset=True))
