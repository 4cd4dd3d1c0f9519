"""Every write to the directory (architecture: services validate, check, write, audit).

The web forms, the API and the CSV import all call these functions, so each rule
lives here once.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q

from opensro.core import audit, bulk
from opensro.core import services as core
from opensro.core.choices import Role
from opensro.core.models import User
from opensro.core.permissions import ADD, CHANGE, can, has_role, restrict
from opensro.directory.models import (
    Agency,
    Assignment,
    District,
    Enrollment,
    Officer,
    School,
    SchoolYear,
)


def create_district(actor: User | None, data: Mapping[str, Any]) -> District:
    return core.create(actor, District, data)


def update_district(actor: User | None, district: District, data: Mapping[str, Any]) -> District:
    return core.update(actor, district, data)


def create_agency(actor: User | None, data: Mapping[str, Any]) -> Agency:
    return core.create(actor, Agency, data)


def update_agency(actor: User | None, agency: Agency, data: Mapping[str, Any]) -> Agency:
    """Change an agency. Only a system administrator changes the districts it serves:
    serving a district brings that district's schools into the agency's scope, so an
    agency administrator could otherwise widen their own access (R-A1)."""
    if actor is not None and "districts_served" in data and not has_role(
            actor, Role.SYSTEM_ADMIN):
        wanted = sorted(d.pk for d in data["districts_served"])
        current = sorted(agency.districts_served.values_list("pk", flat=True))
        if wanted != current:
            raise PermissionDenied("Only a system administrator changes the districts an "
                                   "agency serves.")
    return core.update(actor, agency, data)


def create_school(actor: User | None, data: Mapping[str, Any]) -> School:
    return core.create(actor, School, data)


def update_school(actor: User | None, school: School, data: Mapping[str, Any]) -> School:
    return core.update(actor, school, data)


def create_school_year(actor: User | None, data: Mapping[str, Any]) -> SchoolYear:
    return core.create(actor, SchoolYear, data, validate=_check_year_overlap)


def update_school_year(
    actor: User | None, year: SchoolYear, data: Mapping[str, Any]
) -> SchoolYear:
    return core.update(actor, year, data, validate=_check_year_overlap)


def _check_year_overlap(year: SchoolYear) -> None:
    clash = SchoolYear.objects.exclude(pk=year.pk).filter(
        start_date__lte=year.end_date, end_date__gte=year.start_date
    ).first()
    if clash is not None:
        raise ValidationError({"start_date": f"These dates overlap school year {clash.code}."})


def create_officer(actor: User | None, data: Mapping[str, Any]) -> Officer:
    return core.create(actor, Officer, data)


def update_officer(actor: User | None, officer: Officer, data: Mapping[str, Any]) -> Officer:
    return core.update(actor, officer, data)


def check_assignment(assignment: Assignment) -> None:
    """Assignment rules (R-A3).

    - the end date is not before the start date;
    - the officer's agency serves the school's district;
    - the officer has no other assignment to the same school over the same days;
    - an officer has at most one primary assignment on any day.
    """
    errors: dict[str, str] = {}
    start, end = assignment.start_date, assignment.end_date
    if end is not None and end < start:
        errors["end_date"] = "The assignment cannot end before it starts."
    officer = assignment.officer
    school = assignment.school
    if not officer.agency.districts_served.filter(pk=school.district_id).exists():
        errors["school"] = (
            f"{officer.agency} does not serve {school.district}; add the district to the "
            "agency's districts served first."
        )
    if errors:
        raise ValidationError(errors)
    overlap = Q(start_date__lte=end or datetime.date.max) & (
        Q(end_date__isnull=True) | Q(end_date__gte=start)
    )
    others = Assignment.objects.filter(officer=officer).exclude(pk=assignment.pk).filter(overlap)
    if others.filter(school=school).exists():
        errors["start_date"] = f"{officer} is already assigned to {school} over these dates."
    if assignment.primary and others.filter(primary=True).exists():
        other = others.filter(primary=True).select_related("school").first()
        errors["primary"] = (
            f"{officer} already has a primary assignment over these dates "
            f"({other.school if other else ''}); end it first or make this one secondary."
        )
    if errors:
        raise ValidationError(errors)


def create_assignment(actor: User | None, data: Mapping[str, Any]) -> Assignment:
    return core.create(actor, Assignment, data, validate=check_assignment)


def update_assignment(
    actor: User | None, assignment: Assignment, data: Mapping[str, Any]
) -> Assignment:
    return core.update(actor, assignment, data, validate=check_assignment)


def end_assignment(
    actor: User | None, assignment: Assignment, end_date: datetime.date, reason: str = ""
) -> Assignment:
    return core.update(
        actor, assignment, {"end_date": end_date}, validate=check_assignment,
        action="end_assignment", reason=reason,
    )


def set_enrollment(
    actor: User | None, school: School, year: SchoolYear, group: str, sex: str, count: int
) -> Enrollment:
    """Create or change one enrollment cell."""
    existing = Enrollment.objects.filter(
        school=school, school_year=year, group=group, sex=sex
    ).first()
    if existing is None:
        return core.create(
            actor, Enrollment,
            {"school": school, "school_year": year, "group": group, "sex": sex, "count": count},
            validate=check_enrollment_sex,
        )
    return core.update(actor, existing, {"count": count}, validate=check_enrollment_sex)


def update_enrollment(
    actor: User | None, cell: Enrollment, data: Mapping[str, Any]
) -> Enrollment:
    """Change this enrollment cell (its count, or its school, year, group or sex)."""
    return core.update(actor, cell, data, validate=check_enrollment_sex)


def check_enrollment_sex(cell: Enrollment) -> None:
    codes = cell.school_year.sex_codes
    if cell.sex not in codes:
        raise ValidationError(
            {"sex": f"School year {cell.school_year} collects sex codes {', '.join(codes)}; "
                    f"{cell.sex!r} is not one of them."}
        )


def bulk_set_enrollment(
    actor: User | None, cells: Sequence[tuple[School, SchoolYear, str, str, int]]
) -> tuple[int, int, int]:
    """Create or change many enrollment cells (imports, demo data): new cells are
    inserted together with one audit event each; changed cells go through
    :func:`set_enrollment`. Returns (created, updated, unchanged)."""
    if actor is not None and not can(actor, ADD, Enrollment):
        raise PermissionDenied("You may not change enrollment.")
    for _school, year, _group, sex, _count in cells:
        if sex not in year.sex_codes:
            raise ValidationError({"sex": f"School year {year} collects sex codes "
                                          f"{', '.join(year.sex_codes)}; {sex!r} is not one."})
    if actor is not None:
        # The schools whose enrollment the actor may set: those they may change (system,
        # district and school administrators); School "add" would leave out school admins.
        allowed = set(restrict(School.objects.all(), actor, CHANGE).values_list("pk",
                                                                               flat=True))
        outside = [s for s, *_rest in cells if s.pk not in allowed]
        if outside:
            raise PermissionDenied(f"{outside[0]} is outside the schools you may change.")
    existing = {
        (e.school_id, e.school_year_id, e.group, e.sex): e
        for e in Enrollment.objects.filter(
            school__in={c[0].pk for c in cells}, school_year__in={c[1].pk for c in cells})
    }
    new: list[Enrollment] = []
    updated = unchanged = 0
    with transaction.atomic():
        for school, year, group, sex, count in cells:
            old = existing.get((school.pk, year.pk, group, sex))
            if old is None:
                new.append(Enrollment(school=school, school_year=year, group=group, sex=sex,
                                      count=count))
            elif old.count == count:
                unchanged += 1
            else:
                core.update(actor, old, {"count": count}, validate=check_enrollment_sex)
                updated += 1
        for cell, pk in zip(new, bulk.reserve_ids(Enrollment, len(new)), strict=True):
            cell.pk = pk
        bulk.insert(Enrollment, new)
        audit.record_many(actor, "create", [(c, None, audit.snapshot(c)) for c in new],
                          json_safe=True)
    return len(new), updated, unchanged
