"""Staffing (R-A3, R-A4): SROs per school and their tenure against the three-school-year
goal, rotation and floating-SRO warnings, schools without coverage, and NASRO's factors
(enrollment, campus, non-sworn safety staff, calls for service) beside them."""

from __future__ import annotations

import datetime

from django.test import Client

from conftest import World
from opensro.directory import services as ds
from opensro.program import selectors as sel
from opensro.program import services
from opensro.program.tests.helpers import TODAY

D = datetime.date
DAY = datetime.timedelta(days=1)


def report(w: World, persona: str = "system_admin", **kw: object) -> sel.StaffingReport:
    return sel.staffing_report(w.users[persona], TODAY, **kw)  # type: ignore[arg-type]


def row(rep: sel.StaffingReport, school: object) -> sel.SchoolStaffing:
    return next(r for r in rep.schools if r.school.pk == school.pk)  # type: ignore[attr-defined]


def test_current_sros_and_their_tenure_against_the_goal(w: World) -> None:
    rep = report(w)
    a1 = row(rep, w.school_a1)
    (tenure,) = a1.sros
    assert tenure.officer == w.officer_a
    assert tenure.since == D(2024, 8, 1)
    assert tenure.years == (TODAY - D(2024, 8, 1)).days / 365.25
    assert tenure.goal == 3
    assert tenure.meets_goal == (tenure.years >= 3)
    assert a1.meets_one_per_school


def test_tenure_runs_across_back_to_back_assignments_at_the_same_school(w: World) -> None:
    ds.end_assignment(None, w.assignment_a1, D(2025, 6, 30))
    ds.create_assignment(None, {"officer": w.officer_a, "school": w.school_a1,
                                "start_date": D(2025, 7, 1), "notes": "Renewed post"})
    (tenure,) = row(report(w), w.school_a1).sros
    assert tenure.since == D(2024, 8, 1)
    assert report(w).rotations == []  # the earlier record continued at the same school


def test_goal_is_a_setting(w: World, settings: object) -> None:
    settings.OPENSRO = {**settings.OPENSRO, "TENURE_GOAL_YEARS": 1}  # type: ignore[attr-defined]
    (tenure,) = row(report(w), w.school_a1).sros
    assert tenure.goal == 1 and tenure.meets_goal


def test_rotation_warning_for_an_assignment_ended_before_the_goal(w: World) -> None:
    ds.end_assignment(None, w.assignment_a2, D(2025, 6, 30))
    long = ds.create_assignment(None, {"officer": w.peer_a, "school": w.school_a1,
                                       "start_date": D(2019, 8, 1), "end_date": D(2023, 6, 30),
                                       "primary": False})
    rep = report(w)
    rotated = {r.assignment.pk: r for r in rep.rotations}
    assert w.assignment_a2.pk in rotated
    assert round(rotated[w.assignment_a2.pk].years, 2) == round(
        (D(2025, 7, 1) - D(2024, 8, 1)).days / 365.25, 2)
    assert long.pk not in rotated  # almost four years: met the goal


def test_floating_sro_and_school_without_coverage(w: World, settings: object) -> None:
    a3 = ds.create_school(None, {"district": w.district_a, "name": "School A3",
                                 "nces_id": "399999100003", "level": "elementary",
                                 "lowest_grade": "KG", "highest_grade": "05"})
    rep = report(w)
    assert [r.school for r in rep.uncovered] == [a3]
    for school in (w.school_a2, a3):
        ds.create_assignment(None, {"officer": w.officer_a, "school": school,
                                    "start_date": TODAY - DAY, "primary": False})
    rep = report(w)
    assert rep.uncovered == []
    (floating,) = rep.floating
    assert floating.officer == w.officer_a and floating.total == 3
    # A school administrator sees the officer is floating, and only their own school.
    (seen,) = report(w, "school_admin").floating
    assert seen.total == 3 and seen.schools == [w.school_a1]


def test_enrollment_and_nasro_factors_beside_the_sros(w: World) -> None:
    ds.update_school(None, w.school_a2, {"non_sworn_safety_staff": 1, "campus_acres": 12,
                                         "buildings": 2})
    ds.set_enrollment(None, w.school_a1, w.year, "BL", "M", 25)
    ds.set_enrollment(None, w.school_a1, w.year, "IDEA", "M", 40)  # a subset: not added
    services.create_staffing_factors(None, {"school": w.school_a1, "school_year": w.year,
                                            "non_sworn_safety_staff": 4,
                                            "calls_for_service": 61})
    rep = report(w)
    a1, a2 = row(rep, w.school_a1), row(rep, w.school_a2)
    assert a1.enrollment == 325
    assert (a1.non_sworn_safety_staff, a1.calls_for_service) == (4, 61)
    assert not a1.non_sworn_from_directory
    assert (a2.non_sworn_safety_staff, a2.calls_for_service) == (1, None)
    assert a2.non_sworn_from_directory
    client = Client()
    client.force_login(w.users["district_admin"])
    page = client.get("/program/staffing/").content.decode()
    assert "325" in page and "61" in page and "(directory)" in page
    assert "2 buildings" in page
    api = client.get("/api/program/staffing").json()
    school = next(s for s in api["schools"] if s["school_id"] == w.school_a1.pk)
    assert (school["enrollment"], school["calls_for_service"]) == (325, 61)
    assert school["sros"][0]["officer_id"] == w.officer_a.pk


def test_staffing_page_filters_by_district(w: World) -> None:
    client = Client()
    client.force_login(w.users["auditor"])
    page = client.get("/program/staffing/", {"district": w.district_b.pk}).content.decode()
    assert "School B1" in page and "School A1" not in page
