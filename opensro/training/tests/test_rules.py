"""Rule evaluation, one case per anchor type and per state (R-G1, R-G2, R-G4).

Pure functions over dates: no database.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opensro.training.choices import State
from opensro.training.rules import (
    Completion,
    Facts,
    RuleSpec,
    add_months,
    evaluate,
    evaluate_all,
)

D = datetime.date
BASIC, ADVANCED, TOPIC, MGMT, CONF = 1, 2, 3, 4, 5


def done(course: int, day: datetime.date, hours: str = "8") -> Completion:
    return Completion(course, day, Decimal(hours))


COPS_BASIC = RuleSpec(1, "basic within 9 months", frozenset({BASIC}), "placement",
                      offset_amount=9, offset_unit="months", min_hours=Decimal("40"))
NASRO_BASIC = RuleSpec(2, "basic before assignment", frozenset({BASIC}), "before_assignment",
                       offset_amount=12, offset_unit="months")
ADVANCED_AFTER_BASIC = RuleSpec(3, "advanced a year after basic", frozenset({ADVANCED}),
                                "course_completion", anchor_course=BASIC, offset_amount=12)
MANAGEMENT = RuleSpec(4, "management before program start", frozenset({MGMT}),
                      "program_start", offset_amount=0, offset_unit="days",
                      audiences=("supervisor", "district_admin"))
CONFERENCE = RuleSpec(5, "conference yearly", frozenset({CONF}), "placement",
                      offset_amount=12, recurrence_months=12)


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    assert add_months(D(2025, 1, 31), 1) == D(2025, 2, 28)
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert add_months(D(2025, 5, 1), 9) == D(2026, 2, 1)
    assert add_months(D(2025, 3, 15), -3) == D(2024, 12, 15)


@given(st.dates(min_value=D(1990, 1, 1), max_value=D(2090, 1, 1)),
       st.integers(min_value=-240, max_value=240))
def test_add_months_moves_by_whole_months(day: datetime.date, months: int) -> None:
    moved = add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day == day.day or moved.day < day.day  # clamped, never later


# --------------------------------------------------------------------------- placement


def test_placement_anchor_due_nine_months_after_first_assignment() -> None:
    facts = Facts(placement=D(2025, 8, 1))
    # 2026-05-01 is the deadline: the day after, it is overdue.
    assert evaluate(COPS_BASIC, [], facts, D(2026, 5, 2)).state == State.OVERDUE
    on_time = evaluate(COPS_BASIC, [], facts, D(2026, 5, 1))
    assert on_time.state == State.DUE_SOON
    assert on_time.due == D(2026, 5, 1)
    early = evaluate(COPS_BASIC, [], facts, D(2025, 12, 1), default_window=60)
    assert early.state == State.NOT_DUE
    assert evaluate(COPS_BASIC, [], facts, D(2026, 3, 2), default_window=60).state == \
        State.DUE_SOON


def test_placement_anchor_met_by_a_course_with_enough_hours() -> None:
    facts = Facts(placement=D(2025, 8, 1))
    short = evaluate(COPS_BASIC, [done(BASIC, D(2025, 10, 1), "24")], facts, D(2026, 6, 1))
    assert short.state == State.OVERDUE  # 24 hours is not the 40-hour course
    full = evaluate(COPS_BASIC, [done(BASIC, D(2025, 10, 1), "40")], facts, D(2026, 6, 1))
    assert full.state == State.MET
    assert full.completed_on == D(2025, 10, 1)
    assert not full.late


def test_placement_anchor_completion_after_the_deadline_is_met_late() -> None:
    facts = Facts(placement=D(2025, 8, 1))
    status = evaluate(COPS_BASIC, [done(BASIC, D(2026, 6, 10), "40")], facts, D(2026, 7, 1))
    assert status.state == State.MET
    assert status.late
    assert "after the due date (2026-05-01)" in status.note


def test_placement_anchor_waits_until_the_officer_is_placed() -> None:
    status = evaluate(COPS_BASIC, [], Facts(placement=None), D(2026, 7, 1))
    assert status.state == State.WAITING
    assert status.due is None
    assert "not yet placed" in status.note


# --------------------------------------------------------------------------- before assignment


def test_before_assignment_is_owed_by_an_officer_not_yet_placed() -> None:
    status = evaluate(NASRO_BASIC, [], Facts(placement=None), D(2026, 7, 1))
    assert status.state == State.DUE_SOON
    assert status.note == "due before the first school assignment"


def test_before_assignment_with_a_grace_year() -> None:
    facts = Facts(placement=D(2025, 8, 1))
    assert evaluate(NASRO_BASIC, [], facts, D(2026, 5, 2)).state == State.NOT_DUE
    assert evaluate(NASRO_BASIC, [], facts, D(2026, 8, 2)).state == State.OVERDUE
    before = evaluate(NASRO_BASIC, [done(BASIC, D(2025, 6, 1))], facts, D(2026, 8, 2))
    assert before.state == State.MET
    assert not before.late


# --------------------------------------------------------------------------- course completion


def test_course_completion_anchor_counts_from_the_first_completion() -> None:
    facts = Facts(placement=D(2020, 8, 1))
    history = [done(BASIC, D(2024, 3, 1)), done(BASIC, D(2025, 3, 1))]
    status = evaluate(ADVANCED_AFTER_BASIC, history, facts, D(2025, 3, 2))
    assert status.due == D(2025, 3, 1)
    assert status.state == State.OVERDUE
    met = evaluate(ADVANCED_AFTER_BASIC, [*history, done(ADVANCED, D(2025, 2, 1))], facts,
                   D(2025, 3, 2))
    assert met.state == State.MET


def test_course_completion_anchor_waits_for_the_anchor_course() -> None:
    status = evaluate(ADVANCED_AFTER_BASIC, [], Facts(placement=D(2020, 8, 1)), D(2026, 1, 1))
    assert status.state == State.WAITING
    assert "not yet completed" in status.note


# --------------------------------------------------------------------------- program start


def test_program_start_anchor() -> None:
    facts = Facts(program_start=D(2026, 8, 1), placeable=False)
    assert evaluate(MANAGEMENT, [], facts, D(2026, 1, 1)).state == State.NOT_DUE
    assert evaluate(MANAGEMENT, [], facts, D(2026, 7, 1)).state == State.DUE_SOON
    assert evaluate(MANAGEMENT, [], facts, D(2026, 8, 2)).state == State.OVERDUE
    assert evaluate(MANAGEMENT, [done(MGMT, D(2026, 5, 1))], facts, D(2026, 8, 2)).state == \
        State.MET


def test_program_start_anchor_waits_for_the_date() -> None:
    status = evaluate(MANAGEMENT, [], Facts(program_start=None, placeable=False), D(2026, 1, 1))
    assert status.state == State.WAITING
    assert "program start date is not recorded" in status.note


def test_placement_rules_do_not_apply_to_people_who_are_not_placed_at_schools() -> None:
    status = evaluate(COPS_BASIC, [], Facts(placeable=False), D(2026, 1, 1))
    assert status.state == State.WAITING


# --------------------------------------------------------------------------- recurrence


def test_recurring_requirement_is_due_again_after_the_interval() -> None:
    facts = Facts(placement=D(2024, 8, 1))
    first = evaluate(CONFERENCE, [], facts, D(2025, 8, 2))
    assert (first.state, first.due) == (State.OVERDUE, D(2025, 8, 1))
    attended = [done(CONF, D(2025, 6, 20))]
    now = evaluate(CONFERENCE, attended, facts, D(2025, 9, 1), default_window=60)
    assert (now.state, now.due, now.completed_on) == (State.MET, D(2026, 6, 20),
                                                      D(2025, 6, 20))
    soon = evaluate(CONFERENCE, attended, facts, D(2026, 5, 1), default_window=60)
    assert soon.state == State.DUE_SOON
    lapsed = evaluate(CONFERENCE, attended, facts, D(2026, 6, 21))
    assert lapsed.state == State.OVERDUE


def test_rule_window_overrides_the_default() -> None:
    narrow = RuleSpec(9, "narrow", frozenset({BASIC}), "placement", offset_amount=9,
                      due_soon_days=7)
    facts = Facts(placement=D(2025, 8, 1))
    assert evaluate(narrow, [], facts, D(2026, 4, 1), default_window=60).state == State.NOT_DUE
    assert evaluate(narrow, [], facts, D(2026, 4, 25), default_window=60).state == \
        State.DUE_SOON


def test_evaluate_all_keeps_only_the_rules_for_the_audience() -> None:
    rules = [COPS_BASIC, MANAGEMENT]
    facts = Facts(placement=D(2025, 8, 1), program_start=D(2025, 8, 1))
    sro = evaluate_all(rules, "sro", [], facts, D(2026, 1, 1))
    supervisor = evaluate_all(rules, "supervisor", [], facts, D(2026, 1, 1))
    assert [s.rule.id for s in sro] == [1]
    assert [s.rule.id for s in supervisor] == [4]


@pytest.mark.parametrize("offset", [0, 3, 9, 12, 24])
def test_overdue_exactly_from_the_day_after_the_due_date(offset: int) -> None:
    rule = RuleSpec(7, "r", frozenset({BASIC}), "placement", offset_amount=offset)
    facts = Facts(placement=D(2023, 1, 31))
    due = add_months(D(2023, 1, 31), offset)
    assert evaluate(rule, [], facts, due).state != State.OVERDUE
    assert evaluate(rule, [], facts, due + datetime.timedelta(days=1)).state == State.OVERDUE
