"""Directory endpoints: list (filters, pagination), read, create and update, scoped and
audited. Writes call the same services as the web forms.
"""


import datetime
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import FilterLookup, FilterSchema, Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate
from pydantic import Field

from opensro.core.permissions import ADD, CHANGE, VIEW, can, restrict
from opensro.directory import services
from opensro.directory.models import (
    Agency,
    Assignment,
    District,
    Enrollment,
    Officer,
    School,
    SchoolYear,
)

router = Router(tags=["directory"])


# ---------------------------------------------------------------- schemas


class DistrictOut(Schema):
    id: int
    name: str
    nces_id: str
    state: str
    city: str
    website: str


class DistrictIn(Schema):
    name: str
    nces_id: str
    state: str
    city: str = ""
    website: str = ""


class DistrictPatch(Schema):
    name: str | None = None
    state: str | None = None
    city: str | None = None
    website: str | None = None


class AgencyOut(Schema):
    id: int
    name: str
    kind: str
    ori: str
    state: str
    city: str
    districts_served: list[int]

    @staticmethod
    def resolve_districts_served(obj: Agency) -> list[int]:
        return [d.pk for d in obj.districts_served.all()]


class AgencyIn(Schema):
    name: str
    kind: str
    state: str
    ori: str = ""
    city: str = ""
    districts_served: list[int] = []


class AgencyPatch(Schema):
    name: str | None = None
    kind: str | None = None
    ori: str | None = None
    state: str | None = None
    city: str | None = None
    districts_served: list[int] | None = None


class SchoolOut(Schema):
    id: int
    district_id: int
    name: str
    nces_id: str
    level: str
    lowest_grade: str
    highest_grade: str
    street: str
    city: str
    state: str
    postal_code: str
    campus_acres: float | None
    buildings: int | None
    non_sworn_safety_staff: int | None
    active: bool


class SchoolIn(Schema):
    district_id: int
    name: str
    nces_id: str
    level: str
    lowest_grade: str
    highest_grade: str
    street: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    campus_acres: float | None = None
    buildings: int | None = None
    non_sworn_safety_staff: int | None = None
    active: bool = True


class SchoolPatch(Schema):
    name: str | None = None
    level: str | None = None
    lowest_grade: str | None = None
    highest_grade: str | None = None
    street: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    campus_acres: float | None = None
    buildings: int | None = None
    non_sworn_safety_staff: int | None = None
    active: bool | None = None


class SchoolYearOut(Schema):
    id: int
    code: str
    start_date: datetime.date
    end_date: datetime.date
    sex_codes: list[str]


class SchoolYearIn(Schema):
    code: str
    start_date: datetime.date
    end_date: datetime.date
    sex_codes: list[str] = ["M", "F"]


class SchoolYearPatch(Schema):
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    sex_codes: list[str] | None = None


class EnrollmentOut(Schema):
    id: int
    school_id: int
    school_year: str
    group: str
    sex: str
    count: int

    @staticmethod
    def resolve_school_year(obj: Enrollment) -> str:
        return obj.school_year.code


class EnrollmentIn(Schema):
    school_id: int
    school_year: str
    group: str
    sex: str
    count: int = Field(ge=0)


class EnrollmentPatch(Schema):
    count: int | None = Field(None, ge=0)


class OfficerOut(Schema):
    id: int
    agency_id: int
    first_name: str
    last_name: str
    badge_number: str
    kind: str
    sworn: bool
    date_sworn: datetime.date
    status: str


class OfficerIn(Schema):
    agency_id: int
    first_name: str
    last_name: str
    badge_number: str
    date_sworn: datetime.date
    kind: str = "sro"
    sworn: bool = True
    status: str = "active"


class OfficerPatch(Schema):
    first_name: str | None = None
    last_name: str | None = None
    badge_number: str | None = None
    date_sworn: datetime.date | None = None
    kind: str | None = None
    sworn: bool | None = None
    status: str | None = None


class AssignmentOut(Schema):
    id: int
    officer_id: int
    school_id: int
    start_date: datetime.date
    end_date: datetime.date | None
    primary: bool
    notes: str


class AssignmentIn(Schema):
    officer_id: int
    school_id: int
    start_date: datetime.date
    end_date: datetime.date | None = None
    primary: bool = True
    notes: str = ""


class AssignmentPatch(Schema):
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    primary: bool | None = None
    notes: str | None = None


class DistrictFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["name__icontains", "nces_id"])] = None
    state: str | None = None


class AgencyFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup("name__icontains")] = None
    kind: str | None = None


class SchoolFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["name__icontains", "nces_id"])] = None
    district_id: int | None = None
    level: str | None = None
    active: bool | None = None


class SchoolYearFilter(FilterSchema):
    code: str | None = None


class EnrollmentFilter(FilterSchema):
    school_id: int | None = None
    school_year: Annotated[str | None, FilterLookup("school_year__code")] = None
    group: str | None = None
    sex: str | None = None


class OfficerFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["last_name__icontains", "badge_number"])] = None
    agency_id: int | None = None
    status: str | None = None


class AssignmentFilter(FilterSchema):
    officer_id: int | None = None
    school_id: int | None = None
    current_on: Annotated[datetime.date | None, FilterLookup(None)] = None

    def filter_current_on(self, value: datetime.date | None) -> models.Q:
        if value is None:
            return models.Q()
        return models.Q(start_date__lte=value) & (
            models.Q(end_date__isnull=True) | models.Q(end_date__gte=value)
        )


# ---------------------------------------------------------------- resolvers


def _fk(model: type[models.Model], user: Any, pk: int | None, action: str = VIEW) -> Any:
    """Resolve a foreign key the caller may use; unknown or out-of-scope is a 404-style
    validation error naming the field."""
    from django.core.exceptions import ValidationError

    if pk is None:
        return None
    obj = restrict(model._default_manager.filter(pk=pk), user, action).first()
    if obj is None:
        name = model._meta.verbose_name
        raise ValidationError({f"{model._meta.model_name}_id":
                               f"No {name} {pk} that you may use."})
    return obj


def _year(code: str) -> SchoolYear:
    from django.core.exceptions import ValidationError

    year = SchoolYear.objects.filter(code=code).first()
    if year is None:
        raise ValidationError({"school_year": f"Unknown school year {code!r}."})
    return year


def _data(payload: Schema, user: Any, unset: bool = False) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=unset)
    if "district_id" in data:
        data["district"] = _fk(District, user, data.pop("district_id"), CHANGE)
    if "agency_id" in data:
        data["agency"] = _fk(Agency, user, data.pop("agency_id"), CHANGE)
    if "officer_id" in data:
        # Viewing the officer is enough: the service's save-then-verify checks that
        # the new assignment is inside the writer's scope (supervisors add assignments
        # but do not change officers).
        data["officer"] = _fk(Officer, user, data.pop("officer_id"), VIEW)
    if "school_id" in data:
        data["school"] = _fk(School, user, data.pop("school_id"), VIEW)
    if "districts_served" in data and data["districts_served"] is not None:
        wanted = data["districts_served"]
        found = list(District.objects.filter(pk__in=wanted))
        if len(found) != len(set(wanted)):
            from django.core.exceptions import ValidationError

            raise ValidationError({"districts_served": "One or more districts do not exist."})
        data["districts_served"] = found
    return data


def _crud(
    prefix: str,
    model: type[models.Model],
    out: type[Schema],
    filt: type[FilterSchema],
    create_in: type[Schema] | None,
    patch_in: type[Schema] | None,
    create: Callable[[Any, Mapping[str, Any]], Any] | None,
    update: Callable[[Any, Any, Mapping[str, Any]], Any] | None,
    related: tuple[str, ...] = (),
) -> None:
    """Register list, read, create and update for one model (one shape for all)."""
    name = str(model._meta.verbose_name)
    article = "an" if name[0] in "aeiou" else "a"
    plural = str(model._meta.verbose_name_plural)

    def base(request: HttpRequest, action: str = VIEW) -> Any:
        qs = model._default_manager.all()
        if related:
            qs = qs.select_related(*related)
        if model is Agency:
            qs = qs.prefetch_related("districts_served")
        return restrict(qs, request.user, action)

    @router.get(f"/{prefix}", response=list[out], summary=f"List {plural}",  # type: ignore[valid-type]
                operation_id=f"list_{prefix.replace('-', '_')}")
    @paginate(PageNumberPagination, page_size=50, max_page_size=500)
    def list_items(request: HttpRequest, filters: Query[filt]) -> Any:  # type: ignore[valid-type]
        return filters.filter(base(request))  # type: ignore[attr-defined]

    @router.get(f"/{prefix}/{{item_id}}", response=out, summary=f"Read one {name}",
                operation_id=f"get_{prefix.replace('-', '_')}")
    def get_item(request: HttpRequest, item_id: int) -> Any:
        obj = base(request).filter(pk=item_id).first()
        if obj is None:
            raise Http404(f"No {name} {item_id} in your scope.")
        return obj

    if create_in is not None and create is not None:
        @router.post(f"/{prefix}", response={201: out}, summary=f"Create {article} {name}",
                     operation_id=f"create_{prefix.replace('-', '_')}")
        def create_item(request: HttpRequest, payload: create_in) -> Any:  # type: ignore[valid-type]
            if not can(request.user, ADD, model):
                raise PermissionDenied(f"You may not add a {name}.")
            obj = create(request.user, _data(payload, request.user))
            return Status(201, base(request).get(pk=obj.pk))

    if patch_in is not None and update is not None:
        @router.patch(f"/{prefix}/{{item_id}}", response=out, summary=f"Change {article} {name}",
                      operation_id=f"update_{prefix.replace('-', '_')}")
        def update_item(request: HttpRequest, item_id: int, payload: patch_in) -> Any:  # type: ignore[valid-type]
            obj = get_object_or_404(base(request), pk=item_id)
            saved = update(request.user, obj, _data(payload, request.user, unset=True))
            return base(request).get(pk=saved.pk)


def _set_cell(actor: Any, data: Mapping[str, Any]) -> Enrollment:
    return services.set_enrollment(
        actor, data["school"], _year(data["school_year"]), data["group"], data["sex"],
        data["count"],
    )


_crud("districts", District, DistrictOut, DistrictFilter, DistrictIn, DistrictPatch,
      services.create_district, services.update_district)
_crud("agencies", Agency, AgencyOut, AgencyFilter, AgencyIn, AgencyPatch,
      services.create_agency, services.update_agency)
_crud("schools", School, SchoolOut, SchoolFilter, SchoolIn, SchoolPatch,
      services.create_school, services.update_school)
_crud("school-years", SchoolYear, SchoolYearOut, SchoolYearFilter, SchoolYearIn,
      SchoolYearPatch, services.create_school_year, services.update_school_year)
_crud("enrollment", Enrollment, EnrollmentOut, EnrollmentFilter, EnrollmentIn,
      EnrollmentPatch, _set_cell, services.update_enrollment, related=("school_year",))
_crud("officers", Officer, OfficerOut, OfficerFilter, OfficerIn, OfficerPatch,
      services.create_officer, services.update_officer)
_crud("assignments", Assignment, AssignmentOut, AssignmentFilter, AssignmentIn,
      AssignmentPatch, services.create_assignment, services.update_assignment)
