"""Reads of supervision records, always scoped to the user (architecture rule 3), and
the figures the early warning and the evaluations are computed from."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from opensro.analytics.counts import DECISION_POINTS
from opensro.core.choices import RACE_CODES, Role, ScopeKind
from opensro.core.models import Flag, FlagStatus, RoleGrant, User
from opensro.core.permissions import VIEW, can, has_role, restrict
from opensro.directory.choices import OfficerKind
from opensro.directory.models import Assignment, Enrollment, Officer, School
from opensro.incidents import selectors as incident_selectors
from opensro.incidents.choices import ActivityKind
from opensro.incidents.choices import Status as IncidentStatus
from opensro.incidents.models import Activity, Incident, Involvement
from opensro.supervision import early_warning as ew
from opensro.supervision.choices import EvaluationStatus
from opensro.supervision.models import (
    EarlyWarningResult,
    Evaluation,
    EvaluationInput,
    RatingInstrument,
    Review,
)

DISCIPLINE_FLAG = incident_selectors.DISCIPLINE_FLAG
#: Officers the early warning compares: SROs and school-based law-enforcement officers.
COMPARED_KINDS = (OfficerKind.SRO, OfficerKind.SBLE)

_POINTS = {code: q for code, _label, q in DECISION_POINTS}
#: The filter that counts each measure among a subject's involvements (the same
#: definitions as the disparity tables: docs/methods.md, "Decision points").
MEASURE_FILTERS: dict[str, Q] = {
    "arrest": _POINTS["arrest"],
    "citation": _POINTS["citation"],
    "search": _POINTS["search"],
    "seizure": Q(seizure=True),
    "use_of_force": _POINTS["use_of_force"],
    "restraint": _POINTS["restraint"],
}
assert tuple(MEASURE_FILTERS) == ew.MEASURE_CODES


# --------------------------------------------------------------------------- scoped lists


def early_warning_results(user: Any) -> QuerySet[EarlyWarningResult]:
    qs = EarlyWarningResult.objects.select_related("officer", "school", "school_year")
    return restrict(qs, user, VIEW)


def reviews_for(user: Any, action: str = VIEW) -> QuerySet[Review]:
    qs = Review.objects.select_related("officer", "school", "school_year", "supervisor",
                                       "school_administrator")
    return restrict(qs, user, action)


def _sro_only(user: Any) -> bool:
    """Whether the user reads evaluations only as their subject (an SRO)."""
    return has_role(user, Role.SRO) and not has_role(
        user, Role.SUPERVISOR, Role.AGENCY_ADMIN, Role.AUDITOR, Role.SYSTEM_ADMIN)


def evaluations_for(user: Any, action: str = VIEW) -> QuerySet[Evaluation]:
    """Evaluations in the user's scope; an SRO sees their own once completed."""
    qs = restrict(Evaluation.objects.select_related("officer", "instrument", "evaluator"),
                  user, action)
    if action == VIEW and _sro_only(user):
        qs = qs.filter(status=EvaluationStatus.COMPLETED)
    return qs


def inputs_for(user: Any, action: str = VIEW) -> QuerySet[EvaluationInput]:
    """School administrators' sections in the user's scope; an SRO sees those of their
    completed evaluations."""
    qs = restrict(EvaluationInput.objects.select_related(
        "evaluation__officer", "school", "author"), user, action)
    if action == VIEW and _sro_only(user):
        qs = qs.filter(evaluation__status=EvaluationStatus.COMPLETED)
    return qs


def instruments_for(user: Any, action: str = VIEW) -> QuerySet[RatingInstrument]:
    """Instruments the user may read (the standard one and their agency's copies) or,
    for a change, their agency's copies only (the standard one never changes)."""
    base = RatingInstrument.objects.select_related("agency")
    scoped = restrict(base, user, action)
    if action != VIEW:
        return scoped.exclude(agency__isnull=True)
    if not can(user, VIEW, RatingInstrument):
        return base.none()
    return base.filter(Q(pk__in=scoped.values("pk")) | Q(agency__isnull=True))


def officers_for(user: Any, action: str = VIEW) -> QuerySet[Officer]:
    return restrict(Officer.objects.select_related("agency"), user, action).filter(
        kind__in=COMPARED_KINDS)


def assignments_during(start: datetime.date, end: datetime.date) -> QuerySet[Assignment]:
    """Assignments in force on at least one day of [start, end]."""
    return Assignment.objects.filter(start_date__lte=end).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=start))


def schools_served(officer: Officer, start: datetime.date, end: datetime.date
                   ) -> list[School]:
    """The schools an officer was assigned to at some point of [start, end]."""
    ids = assignments_during(start, end).filter(officer=officer).values_list("school_id",
                                                                            flat=True)
    return list(School.objects.filter(pk__in=set(ids)).order_by("name"))


def chain_of_command(agency_ids: Iterable[int]) -> QuerySet[User]:
    """Active supervisors and administrators of the agencies (R-F2: an SRO's chain of
    command)."""
    ids = RoleGrant.objects.filter(role__in=(Role.SUPERVISOR, Role.AGENCY_ADMIN),
                                   scope_kind=ScopeKind.AGENCY,
                                   agency_id__in=list(agency_ids)).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True).order_by("last_name", "username")


def school_leaders(school: School) -> QuerySet[User]:
    """Active administrators of a school or of its district."""
    ids = RoleGrant.objects.filter(
        Q(role=Role.SCHOOL_ADMIN, scope_kind=ScopeKind.SCHOOL, school=school)
        | Q(role=Role.DISTRICT_ADMIN, scope_kind=ScopeKind.DISTRICT,
            district_id=school.district_id)).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True).order_by("last_name", "username")


# --------------------------------------------------------------------------- review incidents


def _bounds(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime,
                                                                datetime.datetime]:
    """Aware datetimes from local midnight of ``start`` to local midnight after ``end``."""
    low = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    high = timezone.make_aware(datetime.datetime.combine(end + datetime.timedelta(days=1),
                                                         datetime.time.min))
    return low, high


def review_incidents_query(officer_id: int, school_id: int, start: datetime.date,
                           end: datetime.date) -> QuerySet[Incident]:
    """The incidents a review covers (R-F3): the SRO's final records at the school over
    the period in which a student was arrested, restrained or subjected to force, or
    that are discipline-involvement cases (flag not cleared). Not scoped: callers
    scope it (:func:`review_incidents`) or record it (completing a review)."""
    low, high = _bounds(start, end)
    custodial = Involvement.objects.filter(incident=OuterRef("pk")).filter(
        Q(arrest=True) | Q(restraint=True) | Q(use_of_force=True))
    return (Incident.objects.filter(officer_id=officer_id, school_id=school_id,
                                    occurred_at__gte=low, occurred_at__lt=high)
            .exclude(status=IncidentStatus.DRAFT)
            .filter(Exists(custodial) | Q(pk__in=_discipline_cases(officer_id, school_id)))
            .order_by("occurred_at", "id"))


def _discipline_cases(officer_id: int, school_id: int | None = None) -> list[int]:
    """Incidents of an SRO (at a school) with a discipline-involvement flag that was not
    cleared (open, agreed or dismissed: the case happened either way)."""
    flags = Flag.objects.filter(kind=DISCIPLINE_FLAG, subject_type=Incident._meta.label,
                                officer_id=officer_id).exclude(status=FlagStatus.CLEARED)
    if school_id is not None:
        flags = flags.filter(school_id=school_id)
    return [int(pk) for pk in flags.values_list("subject_id", flat=True)]


def review_incidents(user: Any, review: Review) -> list[dict[str, Any]]:
    """The review's incidents that ``user`` may read, each with why it is on the list."""
    end = review.period_end
    qs = review_incidents_query(review.officer_id, review.school_id, review.period_start, end)
    visible = restrict(qs.select_related("reason"), user, VIEW)
    return describe_incidents(list(visible))


def describe_incidents(incidents: Sequence[Incident]) -> list[dict[str, Any]]:
    """Each incident with the reasons it is reviewed (arrest, restraint, force,
    discipline involvement)."""
    ids = [i.pk for i in incidents]
    actions: dict[int, set[str]] = defaultdict(set)
    for row in Involvement.objects.filter(incident_id__in=ids).filter(
            Q(arrest=True) | Q(restraint=True) | Q(use_of_force=True)).values(
            "incident_id", "arrest", "restraint", "use_of_force"):
        for name in ("arrest", "restraint", "use_of_force"):
            if row[name]:
                actions[row["incident_id"]].add(name.replace("_", " "))
    flagged = set(Flag.objects.filter(
        kind=DISCIPLINE_FLAG, subject_type=Incident._meta.label,
        subject_id__in=[str(i) for i in ids]).exclude(status=FlagStatus.CLEARED)
        .values_list("subject_id", flat=True))
    out = []
    for incident in incidents:
        why = sorted(actions[incident.pk])
        if str(incident.pk) in flagged:
            why.append("discipline involvement")
        out.append({"incident": incident, "why": why})
    return out


# --------------------------------------------------------------------------- early warning


@dataclass
class OfficerInfo:
    """What the early warning knows of one SRO besides the counts."""

    officer: Officer
    school: School | None = None
    incidents: dict[str, list[int]] = field(default_factory=dict)


def period_figures(start: datetime.date, end: datetime.date, school_year_id: int
                   ) -> tuple[list[ew.OfficerPeriod], dict[int, OfficerInfo]]:
    """Every compared SRO's contacts, enrollment exposure and counts over
    [start, end] (inclusive), and the incidents behind each count.

    Contacts are students who were the subject of an SRO's final records (not drafts).
    Enrollment exposure: the enrollment of each school the SRO was assigned to that
    year, times the share of the days of [start, end] the assignment covered. The main
    school is the one with the most assigned days (primary assignments first), or the
    one with the most contacts for an SRO without an assignment.
    """
    low, high = _bounds(start, end)
    days = (end - start).days + 1
    subjects = Involvement.objects.filter(
        final=True, role="subject", incident__occurred_at__gte=low,
        incident__occurred_at__lt=high, officer__kind__in=COMPARED_KINDS)
    aggregates: dict[str, Any] = {"contacts": Count("id")}
    aggregates.update({f"n_{m}": Count("id", filter=q) for m, q in MEASURE_FILTERS.items()})
    by_officer_school = list(subjects.values("officer_id", "school_id").annotate(**aggregates)
                             .order_by())
    assignments = list(assignments_during(start, end).filter(
        officer__kind__in=COMPARED_KINDS).values(
        "officer_id", "school_id", "start_date", "end_date", "primary"))
    enrolled = _enrollment_totals(school_year_id)

    officer_ids = {r["officer_id"] for r in by_officer_school} | {
        a["officer_id"] for a in assignments}
    officers = {o.pk: o for o in Officer.objects.filter(pk__in=officer_ids).select_related(
        "agency")}
    school_ids = {r["school_id"] for r in by_officer_school} | {a["school_id"] for a in assignments}
    schools = {s.pk: s for s in School.objects.filter(pk__in=school_ids)}

    exposure: dict[int, float] = defaultdict(float)
    # officer → school → (primary, days assigned)
    weight: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    for a in assignments:
        first = max(a["start_date"], start)
        last = min(a["end_date"] or end, end)
        covered = (last - first).days + 1
        if covered <= 0:
            continue
        exposure[a["officer_id"]] += enrolled.get(a["school_id"], 0) * covered / days
        primary, had = weight[a["officer_id"]].get(a["school_id"], (0, 0))
        weight[a["officer_id"]][a["school_id"]] = (max(primary, int(a["primary"])),
                                                   had + covered)
    contacts: dict[int, int] = defaultdict(int)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURE_FILTERS, 0))
    contacts_at: dict[int, dict[int, int]] = defaultdict(dict)
    for row in by_officer_school:
        contacts[row["officer_id"]] += row["contacts"]
        contacts_at[row["officer_id"]][row["school_id"]] = row["contacts"]
        for m in MEASURE_FILTERS:
            counts[row["officer_id"]][m] += row[f"n_{m}"]

    rows: list[ew.OfficerPeriod] = []
    info: dict[int, OfficerInfo] = {}
    for officer_id in sorted(officer_ids):
        if officer_id not in officers:
            continue
        if weight[officer_id]:
            main_id = max(weight[officer_id].items(), key=lambda kv: (kv[1], -kv[0]))[0]
        elif contacts_at[officer_id]:
            main_id = max(contacts_at[officer_id].items(), key=lambda kv: (kv[1], -kv[0]))[0]
        else:
            continue
        main = schools.get(main_id)
        rows.append(ew.OfficerPeriod(
            officer=officer_id, level=main.level if main else "unknown",
            band=ew.size_band(enrolled.get(main_id)), contacts=contacts[officer_id],
            enrolled=round(exposure[officer_id], 6), counts=dict(counts[officer_id])))
        info[officer_id] = OfficerInfo(officers[officer_id], main)
    _incidents_behind(subjects, info)
    return rows, info


def _enrollment_totals(school_year_id: int) -> dict[int, int]:
    """Students enrolled at each school in a year (the seven race groups partition it)."""
    return {row["school_id"]: int(row["n"] or 0) for row in Enrollment.objects.filter(
        school_year_id=school_year_id, group__in=RACE_CODES).values("school_id").annotate(
        n=Sum("count")).order_by()}


def _incidents_behind(subjects: QuerySet[Involvement], info: dict[int, OfficerInfo]) -> None:
    """For each SRO and measure, the incidents whose subjects count toward it."""
    any_measure = Q()
    for q in MEASURE_FILTERS.values():
        any_measure |= q
    fields = ["officer_id", "incident_id", "school_related_arrest", "citation", "search",
              "seizure", "use_of_force", "restraint"]
    per: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for row in subjects.filter(any_measure).values(*fields).order_by():
        flags = {"arrest": row["school_related_arrest"], "citation": row["citation"],
                 "search": row["search"], "seizure": row["seizure"],
                 "use_of_force": row["use_of_force"], "restraint": row["restraint"]}
        for measure, on in flags.items():
            if on:
                per[row["officer_id"]][measure].add(row["incident_id"])
    for officer_id, item in info.items():
        item.incidents = {m: sorted(per[officer_id][m]) for m in MEASURE_FILTERS}


def officer_period_summary(officer: Officer, start: datetime.date, end: datetime.date,
                           q: float) -> dict[str, Any]:
    """An SRO's own figures over any period, beside the peer benchmark (the evaluation
    page, R-F1): each measure's rates and the peers', whether it would be flagged, the
    discipline-involvement cases and the prevention work recorded."""
    from opensro.directory.models import SchoolYear

    year = SchoolYear.for_date(start) or SchoolYear.for_date(end)
    tests: list[ew.TestResult] = []
    contacts = 0
    if year is not None:
        rows, _info = period_figures(start, end, year.pk)
        analysis = ew.analyse(rows, q=q)
        tests = analysis.for_officer(officer.pk)
        contacts = next((r.contacts for r in rows if r.officer == officer.pk), 0)
    measures = []
    labels = dict(ew.MEASURES)
    for code in ew.MEASURE_CODES:
        by_base = {t.base: t for t in tests if t.measure == code}
        contact = by_base.get("contact")
        measures.append({
            "code": code, "label": labels[code],
            "count": contact.count if contact else 0,
            "contact": contact, "enrollment": by_base.get("enrollment"),
            "flagged": any(t.significant for t in by_base.values()),
        })
    low, high = _bounds(start, end)
    discipline = Incident.objects.filter(
        pk__in=_discipline_cases(officer.pk), occurred_at__gte=low, occurred_at__lt=high,
    ).count()
    activity = dict(Activity.objects.filter(officer=officer, date__gte=start, date__lte=end)
                    .values_list("kind").annotate(n=Count("id")).order_by())
    kinds = dict(ActivityKind.choices)
    return {
        "contacts": contacts, "measures": measures, "discipline_cases": discipline,
        "activities": [(kinds.get(k, k), n) for k, n in sorted(activity.items())],
        "year": year,
    }
