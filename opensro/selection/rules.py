"""The selection rules, as pure functions (GP 5): who is eligible (R-B1) and whether a
committee is complete (R-B2). Services call them before a decision; pages show them.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from opensro.selection.choices import MemberRole

MIN_YEARS_SWORN = 3


@dataclass(frozen=True)
class Check:
    code: str
    label: str
    passed: bool
    reason: str


def years_later(day: datetime.date, years: int) -> datetime.date:
    """The same date ``years`` later (29 February becomes 28 February)."""
    year = day.year + years
    last = calendar.monthrange(year, day.month)[1]
    return datetime.date(year, day.month, min(day.day, last))


def eligibility(date_sworn: datetime.date | None, volunteered: bool, youth_complaints: bool,
                as_of: datetime.date) -> list[Check]:
    """The three eligibility conditions with the reason each passes or fails (R-B1)."""
    checks = []
    if date_sworn is None:
        checks.append(Check("experience", "At least three years of sworn service", False,
                            "The date sworn is not recorded."))
    else:
        eligible_from = years_later(date_sworn, MIN_YEARS_SWORN)
        years = (as_of - date_sworn).days / 365.25
        if as_of >= eligible_from:
            reason = f"Sworn {date_sworn.isoformat()}: {years:.1f} years of service."
        else:
            reason = (f"Sworn {date_sworn.isoformat()}: {max(years, 0):.1f} years of service; "
                      f"eligible from {eligible_from.isoformat()}.")
        checks.append(Check("experience", "At least three years of sworn service",
                            as_of >= eligible_from, reason))
    checks.append(Check(
        "volunteer", "Volunteered for the SRO post", volunteered,
        "Volunteered." if volunteered else "SROs are chosen from volunteers only; this "
                                           "officer has not volunteered."))
    checks.append(Check(
        "youth_record", "No complaints or discipline involving youth", not youth_complaints,
        "None recorded." if not youth_complaints else "A complaint or disciplinary action "
                                                      "involving youth is recorded."))
    return checks


def is_eligible(checks: Iterable[Check]) -> bool:
    return all(c.passed for c in checks)


@dataclass(frozen=True)
class MemberFacts:
    role: str
    works_with_sro: bool


def committee_problems(members: Iterable[MemberFacts]) -> list[str]:
    """What a committee lacks (R-B2): a school representative and an agency supervisor,
    each one who will work directly with the SRO. Empty when complete."""
    members = list(members)
    problems = []
    if not any(m.role == MemberRole.SCHOOL_REPRESENTATIVE for m in members):
        problems.append("Add a school representative to the committee.")
    elif not any(m.role == MemberRole.SCHOOL_REPRESENTATIVE and m.works_with_sro
                 for m in members):
        problems.append("The school representative on the committee must be someone who "
                        "will work directly with the SRO.")
    if not any(m.role == MemberRole.AGENCY_SUPERVISOR for m in members):
        problems.append("Add the agency supervisor who will work with the SRO to the "
                        "committee.")
    elif not any(m.role == MemberRole.AGENCY_SUPERVISOR and m.works_with_sro for m in members):
        problems.append("The agency supervisor on the committee must be the one who will "
                        "work directly with the SRO.")
    return problems
