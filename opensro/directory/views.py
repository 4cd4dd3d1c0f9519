"""Directory pages: list, detail, create and edit for each model, and enrollment upload."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from opensro.core.crud import Resource
from opensro.core.permissions import ADD, CHANGE, VIEW, can, restrict
from opensro.directory import forms, services
from opensro.directory.imports import import_enrollment
from opensro.directory.models import (
    Agency,
    Assignment,
    District,
    Enrollment,
    Officer,
    School,
    SchoolYear,
)


def _schools_of_district(obj: District, user: Any) -> QuerySet[School]:
    return restrict(obj.schools.all(), user, VIEW)


def _assignments_at(obj: School, user: Any) -> QuerySet[Assignment]:
    return restrict(obj.assignments.select_related("officer", "school"), user, VIEW)


def _assignments_of(obj: Officer, user: Any) -> QuerySet[Assignment]:
    return restrict(obj.assignments.select_related("officer", "school"), user, VIEW)


def _officers_of(obj: Agency, user: Any) -> QuerySet[Officer]:
    return restrict(obj.officers.all(), user, VIEW)


def _enrollment_at(obj: School, user: Any) -> QuerySet[Enrollment]:
    return restrict(obj.enrollment.select_related("school_year", "school"), user, VIEW)


RESOURCES: list[Resource] = [
    Resource(
        District, "districts", "Districts", forms.DistrictForm,
        services.create_district, services.update_district,
        columns=[("name", "Name"), ("nces_id", "NCES ID"), ("state", "State")],
        search=["name", "nces_id"],
        related=[("Schools", "schools", _schools_of_district)],
        help_text="School districts (local education agencies) with their 7-digit NCES ID.",
    ),
    Resource(
        Agency, "agencies", "Agencies", forms.AgencyForm,
        services.create_agency, services.update_agency,
        columns=[("name", "Name"), ("kind", "Kind"), ("state", "State")],
        search=["name", "ori"], filters=["kind"],
        related=[("Officers", "officers", _officers_of)],
        help_text="Law-enforcement agencies employing SROs and the districts they serve.",
    ),
    Resource(
        School, "schools", "Schools", forms.SchoolForm,
        services.create_school, services.update_school,
        columns=[("name", "Name"), ("nces_id", "NCES ID"), ("level", "Level"),
                 ("grades", "Grades"), ("district", "District")],
        search=["name", "nces_id", "city"], filters=["level", "district"],
        select_related=["district"],
        related=[("Assignments", "assignments", _assignments_at),
                 ("Enrollment", "enrollment", _enrollment_at)],
        scoped_form_fields={"district": "view"},
        help_text="Schools with their 12-digit NCES ID, level, grades and campus facts.",
    ),
    Resource(
        SchoolYear, "school-years", "School years", forms.SchoolYearForm,
        services.create_school_year, services.update_school_year,
        columns=[("code", "Year"), ("start_date", "Starts"), ("end_date", "Ends")],
    ),
    Resource(
        Enrollment, "enrollment", "Enrollment", forms.EnrollmentForm,
        lambda actor, data: services.set_enrollment(
            actor, data["school"], data["school_year"], data["group"], data["sex"],
            data["count"]),
        services.update_enrollment,
        columns=[("school", "School"), ("school_year", "Year"), ("group", "Group"),
                 ("sex", "Sex"), ("count", "Students")],
        filters=["school", "school_year", "group"],
        select_related=["school", "school_year"],
        scoped_form_fields={"school": "change"},
        help_text="Students enrolled by CRDC group and sex: the denominators of every rate.",
    ),
    Resource(
        Officer, "officers", "Officers", forms.OfficerForm,
        services.create_officer, services.update_officer,
        columns=[("last_name", "Last name"), ("first_name", "First name"),
                 ("badge_number", "Badge"), ("agency", "Agency"), ("status", "Status")],
        search=["last_name", "first_name", "badge_number"], filters=["agency", "status"],
        select_related=["agency"],
        related=[("Assignments", "assignments", _assignments_of)],
        scoped_form_fields={"agency": "change"},
        help_text="Sworn officers, their agency, date sworn and status.",
    ),
    Resource(
        Assignment, "assignments", "Assignments", forms.AssignmentForm,
        services.create_assignment, services.update_assignment,
        columns=[("officer", "Officer"), ("school", "School"), ("start_date", "Start"),
                 ("end_date", "End"), ("primary", "Primary")],
        filters=["school", "officer"],
        select_related=["officer", "school"],
        scoped_form_fields={"officer": "view", "school": "view"},
        help_text="Which officer works at which school, with full history (R-A3).",
    ),
]

BY_SLUG = {r.slug: r for r in RESOURCES}


@login_required
def enrollment_upload(request: HttpRequest) -> HttpResponse:
    if not can(request.user, ADD, Enrollment):
        raise PermissionDenied
    form = forms.EnrollmentUploadForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        report = import_enrollment(
            upload.read(), request.user,  # type: ignore[arg-type]
            all_or_nothing=not form.cleaned_data["accept_valid"],
        )
    return render(request, "directory/enrollment_upload.html", {
        "form": form, "report": report,
        "visible_schools": restrict(School.objects.all(), request.user, CHANGE).count(),
    })
