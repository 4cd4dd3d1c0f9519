"""Eligibility (R-B1) and committee composition (R-B2) as pure rules."""

from __future__ import annotations

import datetime

from hypothesis import given
from hypothesis import strategies as st

from opensro.selection.rules import (
    MemberFacts,
    committee_problems,
    eligibility,
    is_eligible,
    years_later,
)

D = datetime.date


def test_three_years_to_the_day() -> None:
    sworn = D(2022, 9, 1)
    before = eligibility(sworn, True, False, D(2025, 8, 31))
    assert not is_eligible(before)
    experience = before[0]
    assert experience.code == "experience"
    assert not experience.passed
    assert "eligible from 2025-09-01" in experience.reason
    on_the_day = eligibility(sworn, True, False, D(2025, 9, 1))
    assert is_eligible(on_the_day)
    assert "3.0 years of service" in on_the_day[0].reason


def test_leap_day_sworn_officer() -> None:
    assert years_later(D(2020, 2, 29), 3) == D(2023, 2, 28)


def test_volunteers_only() -> None:
    checks = eligibility(D(2010, 1, 1), False, False, D(2025, 1, 1))
    failed = [c for c in checks if not c.passed]
    assert [c.code for c in failed] == ["volunteer"]
    assert "volunteers only" in failed[0].reason


def test_no_youth_related_complaints_or_discipline() -> None:
    checks = eligibility(D(2010, 1, 1), True, True, D(2025, 1, 1))
    failed = [c for c in checks if not c.passed]
    assert [c.code for c in failed] == ["youth_record"]
    assert "involving youth" in failed[0].reason


def test_every_failed_condition_is_reported() -> None:
    checks = eligibility(D(2024, 1, 1), False, True, D(2025, 1, 1))
    assert [c.code for c in checks if not c.passed] == ["experience", "volunteer",
                                                          "youth_record"]


@given(st.dates(min_value=D(1980, 1, 1), max_value=D(2030, 1, 1)),
       st.integers(min_value=0, max_value=5000))
def test_experience_check_agrees_with_the_calendar(sworn: datetime.date, days: int) -> None:
    as_of = sworn + datetime.timedelta(days=days)
    passed = eligibility(sworn, True, False, as_of)[0].passed
    assert passed == (as_of >= years_later(sworn, 3))


def test_committee_needs_a_school_representative_and_the_supervisor() -> None:
    school = MemberFacts("school_representative", True)
    supervisor = MemberFacts("agency_supervisor", True)
    teacher = MemberFacts("teacher", True)
    assert committee_problems([school, supervisor, teacher]) == []
    assert committee_problems([supervisor, teacher]) == [
        "Add a school representative to the committee."]
    assert committee_problems([school]) == [
        "Add the agency supervisor who will work with the SRO to the committee."]
    assert len(committee_problems([])) == 2


def test_committee_members_must_be_the_people_who_will_work_with_the_sro() -> None:
    problems = committee_problems([MemberFacts("school_representative", False),
                                   MemberFacts("agency_supervisor", False)])
    assert problems == [
        "The school representative on the committee must be someone who will work "
        "directly with the SRO.",
        "The agency supervisor on the committee must be the one who will work directly "
        "with the SRO.",
    ]
