"""Evaluating one training requirement for one person: pure functions, no database.

A requirement (:class:`RuleSpec`, read from a :class:`~opensro.training.models.
RequirementRule` row) falls due at its anchor date plus an offset:

- ``placement``: the start of the officer's first school assignment (COPS: the basic
  course no later than nine months after placement, R-G1);
- ``before_assignment``: the same date, but the course is expected *before* it; an officer
  not yet placed already owes it (NASRO: the basic course before assignment, or at the
  latest within one year, R-G1);
- ``course_completion``: the first completion of another course (NASRO: the advanced
  course about a year after the basic course, R-G2);
- ``program_start``: the agency's SRO program start date (NASRO: the management course
  before the program starts, R-G2).

A recurring requirement (every N months) is due again N months after the last
qualifying completion. A record qualifies when its course is one of the rule's courses
and, if the rule sets a minimum, it has at least that many hours.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from opensro.training.choices import Anchor, State


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (or earlier), clamped to the month's last day:
    31 January + 1 month is 28 (or 29) February."""
    total = day.year * 12 + (day.month - 1) + months
    year, month = divmod(total, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


def shift(day: datetime.date, amount: int, unit: str) -> datetime.date:
    if unit == "months":
        return add_months(day, amount)
    return day + datetime.timedelta(days=amount)


@dataclass(frozen=True)
class Completion:
    course_id: int
    completed_on: datetime.date
    hours: Decimal


@dataclass(frozen=True)
class RuleSpec:
    id: int
    name: str
    courses: frozenset[int]
    anchor: str
    anchor_course: int | None = None
    offset_amount: int = 0
    offset_unit: str = "months"
    recurrence_months: int | None = None
    due_soon_days: int | None = None
    min_hours: Decimal | None = None
    audiences: tuple[str, ...] = ("sro",)


@dataclass(frozen=True)
class Facts:
    """What the anchors need to know about one person."""

    placement: datetime.date | None = None  # first school assignment start (officers)
    program_start: datetime.date | None = None  # the agency's program start
    placeable: bool = True  # False for supervisors and district administrators


@dataclass(frozen=True)
class RuleStatus:
    rule: RuleSpec
    state: str
    due: datetime.date | None = None
    completed_on: datetime.date | None = None  # the qualifying completion (latest)
    note: str = ""
    late: bool = False
    counted: tuple[datetime.date, ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        return str(State(self.state).label)

    @property
    def is_overdue(self) -> bool:
        return self.state == State.OVERDUE


def qualifying(rule: RuleSpec, completions: Iterable[Completion]) -> list[Completion]:
    out = [c for c in completions if c.course_id in rule.courses
           and (rule.min_hours is None or c.hours >= rule.min_hours)]
    return sorted(out, key=lambda c: c.completed_on)


def anchor_date(rule: RuleSpec, facts: Facts, completions: Sequence[Completion]
                ) -> tuple[datetime.date | None, str]:
    """The anchor's date, or None and the reason it is not known yet."""
    if rule.anchor in (Anchor.PLACEMENT, Anchor.BEFORE_ASSIGNMENT):
        if not facts.placeable:
            return None, "counted from a school placement, which does not apply"
        if facts.placement is None:
            return None, "not yet placed at a school"
        return facts.placement, ""
    if rule.anchor == Anchor.COURSE_COMPLETION:
        done = sorted(c.completed_on for c in completions if c.course_id == rule.anchor_course)
        if not done:
            return None, "counted from a course not yet completed"
        return done[0], ""
    if rule.anchor == Anchor.PROGRAM_START:
        if facts.program_start is None:
            return None, "the agency's program start date is not recorded"
        return facts.program_start, ""
    return None, f"unknown starting point {rule.anchor!r}"


def _by_due(due: datetime.date, today: datetime.date, window: int) -> str:
    if due < today:
        return State.OVERDUE
    if (due - today).days <= window:
        return State.DUE_SOON
    return State.NOT_DUE


def evaluate(rule: RuleSpec, completions: Sequence[Completion], facts: Facts,
             today: datetime.date, default_window: int = 60) -> RuleStatus:
    """Where one person stands on one requirement on ``today``."""
    window = rule.due_soon_days if rule.due_soon_days is not None else default_window
    good = qualifying(rule, completions)
    start, why = anchor_date(rule, facts, completions)
    first_due = shift(start, rule.offset_amount, rule.offset_unit) if start else None
    counted = tuple(c.completed_on for c in good)

    if rule.recurrence_months:
        if good:
            last = good[-1].completed_on
            due = add_months(last, rule.recurrence_months)
            state = _by_due(due, today, window)
            if state == State.NOT_DUE:
                state = State.MET
            return RuleStatus(rule, state, due, last,
                              f"repeats every {rule.recurrence_months} months", counted=counted)
        if first_due is None:
            return _without_date(rule, why)
        return RuleStatus(rule, _by_due(first_due, today, window), first_due, None,
                          f"then every {rule.recurrence_months} months")

    if good:
        done = good[0].completed_on
        late = first_due is not None and done > first_due
        note = f"completed after the due date ({first_due.isoformat()})" if (
            late and first_due) else ""
        return RuleStatus(rule, State.MET, first_due, done, note, late=late, counted=counted)
    if first_due is None:
        return _without_date(rule, why)
    return RuleStatus(rule, _by_due(first_due, today, window), first_due)


def _without_date(rule: RuleSpec, why: str) -> RuleStatus:
    if rule.anchor == Anchor.BEFORE_ASSIGNMENT and why == "not yet placed at a school":
        # Owed now: it should be done before the officer goes to a school.
        return RuleStatus(rule, State.DUE_SOON, None, None,
                          "due before the first school assignment")
    return RuleStatus(rule, State.WAITING, None, None, why)


def applies(rule: RuleSpec, audience: str) -> bool:
    return audience in rule.audiences


def evaluate_all(rules: Sequence[RuleSpec], audience: str, completions: Sequence[Completion],
                 facts: Facts, today: datetime.date, default_window: int = 60
                 ) -> list[RuleStatus]:
    return [evaluate(r, completions, facts, today, default_window)
            for r in rules if applies(r, audience)]
