"""Reads of the program app, always scoped to the user (architecture rule 3), and the
date rules of MOUs: which version is in force, when the annual review falls due (R-C1,
R-C3), and the staffing picture of each school (R-A3, R-A4).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet, Sum

from opensro.core.choices import RACE_CODES
from opensro.core.permissions import VIEW, restrict
from opensro.directory.models import Agency, Assignment, Enrollment, Officer, School, SchoolYear
from opensro.program.choices import MouStatus
from opensro.program.models import (
    Mou,
    MouElement,
    MouElementEntry,
    MouReview,
    StaffingFactors,
    add_months,
)

#: An MOU is reviewed at least every this many months (R-C3).
REVIEW_MONTHS = 12


def mous_for(user: Any, action: str = VIEW) -> QuerySet[Mou]:
    return restrict(Mou.objects.select_related("agency", "district"), user, action)


def with_reviews(qs: QuerySet[Mou]) -> QuerySet[Mou]:
    return qs.prefetch_related(Prefetch("reviews", queryset=MouReview.objects.order_by(
        "-review_date", "-id")))


def last_review(mou: Mou) -> MouReview | None:
    """The most recent review (uses prefetched reviews when present)."""
    reviews = list(mou.reviews.all())
    if not reviews:
        return None
    return max(reviews, key=lambda r: (r.review_date, r.pk))


def review_due(mou: Mou) -> datetime.date:
    """When the next annual review falls due: the date the last review set, or 12
    months after the MOU took effect if it was never reviewed (R-C3)."""
    last = last_review(mou)
    if last is not None:
        return last.next_review_due
    return add_months(mou.effective_date, REVIEW_MONTHS)


def _key(mou: Mou) -> tuple[datetime.date, int]:
    return (mou.effective_date, mou.version)


@dataclass
class PairState:
    """The MOUs of one agency–district pair as of a day."""

    agency_id: int
    district_id: int
    mous: list[Mou] = field(default_factory=list)
    #: The executed version that governs: the newest one already in effect.
    governing: Mou | None = None
    #: The governing version if it has not expired: the MOU in force.
    in_force: Mou | None = None
    #: The newest executed version, even one that takes effect later.
    newest: Mou | None = None

    def superseded(self, mou: Mou) -> bool:
        """An executed version older than the one that governs."""
        return (mou.status == MouStatus.EXECUTED and self.governing is not None
                and _key(mou) < _key(self.governing))

    def expired(self, mou: Mou, day: datetime.date) -> bool:
        return mou.expiry_date is not None and mou.expiry_date < day

    def current(self, mou: Mou, day: datetime.date) -> bool:
        """Executed, not replaced by a newer version in effect, not expired: the
        version whose content matters (in force now, or signed to take effect)."""
        return (mou.status == MouStatus.EXECUTED and not self.superseded(mou)
                and not self.expired(mou, day))

    def expired_unrenewed(self, mou: Mou, day: datetime.date) -> bool:
        """Expired, and no newer version has been executed to replace it."""
        return (mou.status == MouStatus.EXECUTED and self.expired(mou, day)
                and self.newest is not None and mou.pk == self.newest.pk)


def pair_state(agency_id: int, district_id: int, mous: Iterable[Mou],
               day: datetime.date) -> PairState:
    state = PairState(agency_id, district_id, list(mous))
    executed = [m for m in state.mous if m.status == MouStatus.EXECUTED]
    started = [m for m in executed if m.effective_date <= day]
    if started:
        state.governing = max(started, key=_key)
        if state.governing.expiry_date is None or state.governing.expiry_date >= day:
            state.in_force = state.governing
    if executed:
        state.newest = max(executed, key=_key)
    return state


def pair_states(mous: Iterable[Mou], day: datetime.date) -> dict[tuple[int, int], PairState]:
    grouped: dict[tuple[int, int], list[Mou]] = defaultdict(list)
    for mou in mous:
        grouped[(mou.agency_id, mou.district_id)].append(mou)
    return {pair: pair_state(pair[0], pair[1], rows, day) for pair, rows in grouped.items()}


def state_of(mou: Mou, day: datetime.date) -> PairState:
    """The state of ``mou``'s pair (reads every version of the pair, unscoped: the
    caller has already been allowed to see ``mou``)."""
    others = with_reviews(Mou.objects.filter(agency_id=mou.agency_id,
                                              district_id=mou.district_id))
    return pair_state(mou.agency_id, mou.district_id, others, day)


def in_force_on(day: datetime.date, qs: QuerySet[Mou] | None = None) -> list[Mou]:
    """The MOU in force for each pair on ``day`` (from ``qs``, every MOU by default)."""
    rows = qs if qs is not None else Mou.objects.select_related("agency", "district")
    states = pair_states(rows.filter(status=MouStatus.EXECUTED), day)
    return [s.in_force for s in states.values() if s.in_force is not None]


def required_elements() -> list[MouElement]:
    return list(MouElement.objects.filter(active=True, required=True))


def checklist(mou: Mou) -> list[dict[str, Any]]:
    """Every active catalog element with this MOU's entry for it (or none yet)."""
    entries = {e.element_id: e for e in MouElementEntry.objects.filter(mou=mou)}
    rows = []
    for element in MouElement.objects.filter(Q(active=True) | Q(pk__in=list(entries))):
        entry = entries.get(element.pk)
        rows.append({"element": element, "entry": entry,
                     "present": bool(entry and entry.present),
                     "section": entry.section if entry else "",
                     "notes": entry.notes if entry else ""})
    return rows


def missing_required(mou: Mou, required: Sequence[MouElement] | None = None
                     ) -> list[MouElement]:
    """The required catalog elements this MOU does not contain (R-C1)."""
    required = list(required) if required is not None else required_elements()
    present = set(MouElementEntry.objects.filter(mou=mou, present=True)
                  .values_list("element_id", flat=True))
    return [e for e in required if e.pk not in present]


def served_pairs() -> list[tuple[int, int, int]]:
    """(through row id, agency id, district id) for every district an agency serves."""
    through = Agency.districts_served.through
    return list(through.objects.values_list("pk", "agency_id", "district_id"))


# --------------------------------------------------------------------------- staffing


def current_assignment_q(day: datetime.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}start_date__lte": day}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": day}))


def tenure_start(assignment: Assignment, history: Sequence[Assignment]) -> datetime.date:
    """The start of the officer's unbroken time at the school: earlier assignments at the
    same school that end the day before (or after) the next one starts count too."""
    start = assignment.start_date
    earlier = sorted((a for a in history if a.pk != assignment.pk
                      and a.officer_id == assignment.officer_id
                      and a.school_id == assignment.school_id
                      and a.start_date < start), key=lambda a: a.start_date, reverse=True)
    for prev in earlier:
        if prev.end_date is None or prev.end_date >= start - datetime.timedelta(days=1):
            start = min(start, prev.start_date)
        else:
            break
    return start


def years_between(start: datetime.date, end: datetime.date) -> float:
    return max(0.0, (end - start).days / 365.25)


@dataclass
class SroTenure:
    assignment: Assignment
    officer: Officer
    since: datetime.date
    years: float
    goal: int

    @property
    def meets_goal(self) -> bool:
        return self.years >= self.goal


@dataclass
class SchoolStaffing:
    school: School
    enrollment: int | None
    factors: StaffingFactors | None
    sros: list[SroTenure]

    @property
    def non_sworn_safety_staff(self) -> int | None:
        if self.factors is not None and self.factors.non_sworn_safety_staff is not None:
            return self.factors.non_sworn_safety_staff
        return self.school.non_sworn_safety_staff

    @property
    def non_sworn_from_directory(self) -> bool:
        return (self.factors is None or self.factors.non_sworn_safety_staff is None) and (
            self.school.non_sworn_safety_staff is not None)

    @property
    def calls_for_service(self) -> int | None:
        return self.factors.calls_for_service if self.factors is not None else None

    @property
    def meets_one_per_school(self) -> bool:
        return len(self.sros) >= 1


@dataclass
class Rotation:
    """An assignment that ended before the tenure goal (R-A3: annual rotation is
    discouraged; an officer may also have self-selected out)."""

    assignment: Assignment
    since: datetime.date
    years: float


@dataclass
class Floating:
    officer: Officer
    schools: list[School]
    total: int


@dataclass
class StaffingReport:
    day: datetime.date
    year: SchoolYear | None
    goal: int
    max_schools: int
    schools: list[SchoolStaffing]
    rotations: list[Rotation]
    floating: list[Floating]

    @property
    def uncovered(self) -> list[SchoolStaffing]:
        return [s for s in self.schools if not s.sros]


def staffing_report(user: Any, day: datetime.date, *, year: SchoolYear | None = None,
                    district_id: int | None = None) -> StaffingReport:
    """Per school in the user's scope: enrollment, NASRO's factors, current SROs and
    their tenure against the goal; rotation and floating-SRO warnings (R-A3, R-A4)."""
    goal = int(settings.OPENSRO["TENURE_GOAL_YEARS"])
    max_schools = int(settings.OPENSRO["FLOATING_SRO_MAX_SCHOOLS"])
    year = year or SchoolYear.for_date(day) or SchoolYear.objects.first()
    schools_qs = restrict(School.objects.filter(active=True).select_related("district"),
                          user, VIEW)
    if district_id:
        schools_qs = schools_qs.filter(district_id=district_id)
    schools = list(schools_qs.order_by("district__name", "name"))
    ids = [s.pk for s in schools]
    visible = restrict(Assignment.objects.filter(school_id__in=ids), user, VIEW)
    history = list(visible.select_related("officer", "school", "officer__agency"))
    current = [a for a in history
               if a.start_date <= day and (a.end_date is None or a.end_date >= day)]
    enrollment: dict[int, int] = {}
    factors: dict[int, StaffingFactors] = {}
    if year is not None:
        enrollment = dict(
            Enrollment.objects.filter(school_id__in=ids, school_year=year,
                                      group__in=RACE_CODES)
            .values("school_id").annotate(n=Sum("count")).values_list("school_id", "n"))
        factors = {f.school_id: f for f in restrict(
            StaffingFactors.objects.filter(school_id__in=ids, school_year=year), user, VIEW)}
    by_school: dict[int, list[SroTenure]] = defaultdict(list)
    for a in current:
        since = tenure_start(a, history)
        by_school[a.school_id].append(SroTenure(a, a.officer, since,
                                                years_between(since, day), goal))
    rows = [SchoolStaffing(s, enrollment.get(s.pk), factors.get(s.pk),
                           sorted(by_school.get(s.pk, []), key=lambda t: t.since))
            for s in schools]
    rotations = []
    for a in history:
        if a.end_date is None or a.end_date >= day:
            continue
        later_same_school = any(
            b.officer_id == a.officer_id and b.school_id == a.school_id and b.pk != a.pk
            and b.start_date <= a.end_date + datetime.timedelta(days=1)
            and b.start_date > a.start_date for b in history)
        if later_same_school:
            continue  # the time at the school went on under a later assignment
        since = tenure_start(a, history)
        years = years_between(since, a.end_date + datetime.timedelta(days=1))
        if years < goal:
            rotations.append(Rotation(a, since, years))
    rotations.sort(key=lambda r: r.assignment.end_date or day, reverse=True)
    return StaffingReport(day, year, goal, max_schools, rows, rotations,
                          floating_officers(user, day, ids))


def floating_officers(user: Any, day: datetime.date,
                      school_ids: Sequence[int] | None = None) -> list[Floating]:
    """Officers with current assignments at more schools than the setting allows
    (GP 11: "floating" SROs are a warning sign). Counts every school of the officer;
    lists only the schools the user may see."""
    max_schools = int(settings.OPENSRO["FLOATING_SRO_MAX_SCHOOLS"])
    counts = floating_counts(day)
    visible = restrict(Assignment.objects.filter(current_assignment_q(day),
                                                 officer_id__in=list(counts)),
                       user, VIEW).select_related("officer", "school")
    if school_ids is not None:
        visible = visible.filter(school_id__in=list(school_ids))
    seen: dict[int, Floating] = {}
    for a in visible.order_by("officer__last_name", "school__name"):
        item = seen.setdefault(a.officer_id, Floating(a.officer, [], counts[a.officer_id]))
        if a.school not in item.schools:
            item.schools.append(a.school)
    return [f for f in seen.values() if f.total > max_schools]


def floating_counts(day: datetime.date) -> dict[int, int]:
    """officer id -> number of distinct schools with a current assignment, for officers
    over the floating limit (unscoped; callers scope what they show)."""
    max_schools = int(settings.OPENSRO["FLOATING_SRO_MAX_SCHOOLS"])
    pairs = set(Assignment.objects.filter(current_assignment_q(day))
                .values_list("officer_id", "school_id"))
    counts: dict[int, int] = defaultdict(int)
    for officer_id, _school in pairs:
        counts[officer_id] += 1
    return {o: n for o, n in counts.items() if n > max_schools}
