"""Count tables from incident records (R-E1, R-E2, R-I1): counts at each decision point
by student group, with their bases from enrollment and from the step before.

Aggregation happens in the database: one ``GROUP BY`` over the scope's involvements
gives the counts of every decision point for every combination of the attributes
analysed; the small result (a few hundred rows at most) is rolled up here into the
tables of each dimension. Only final records (not drafts) of students who were the
subject of the incident count (docs/methods.md, "Decision points").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, Sum

from opensro.core.choices import RACE_CODES, RaceEthnicity
from opensro.directory.models import Enrollment, SchoolYear
from opensro.incidents.models import Involvement

#: Decision points in order: (code, label, filter over subject involvements).
DECISION_POINTS: tuple[tuple[str, str, Q], ...] = (
    ("contact", "SRO contacts", Q()),
    ("referral", "Referrals to law enforcement", Q(referral_to_law_enforcement=True)),
    ("citation", "Citations or tickets", Q(citation=True)),
    ("arrest", "School-related arrests", Q(school_related_arrest=True)),
    ("search", "Searches", Q(search=True)),
    ("use_of_force", "Uses of force", Q(use_of_force=True)),
    ("restraint", "Restraints", Q(restraint=True)),
    ("court_referral", "Court referrals", Q(court_referral=True)),
)
POINT_LABELS = {code: label for code, label, _q in DECISION_POINTS}

#: For each decision point, the bases it is measured against, first the default:
#: ``enrollment`` (per 1,000 enrolled) or a previous decision point (per 100).
BASES: dict[str, tuple[str, ...]] = {
    "contact": ("enrollment",),
    "referral": ("enrollment", "contact"),
    "citation": ("enrollment", "contact"),
    "arrest": ("enrollment", "contact"),
    "search": ("contact",),
    "use_of_force": ("contact",),
    "restraint": ("contact",),
    "court_referral": ("arrest_or_citation",),
}
PER = {"enrollment": 1000, "contact": 100, "arrest_or_citation": 100}

AGE_BANDS = (("10_under", "10 or under", None, 10), ("11_13", "11–13", 11, 13),
             ("14_15", "14–15", 14, 15), ("16_17", "16–17", 16, 17),
             ("18_over", "18 or over", 18, None))

#: Dimensions: code → (label, groups in display order with labels, reference group).
DIMENSIONS: dict[str, tuple[str, tuple[tuple[str, str], ...], str]] = {
    "race": ("Race/ethnicity", tuple((r.value, str(r.label)) for r in RaceEthnicity), "WH"),
    "sex": ("Sex", (("M", "Male"), ("F", "Female"), ("X", "Nonbinary")), "F"),
    "disability": ("Disability", (("IDEA", "IDEA"), ("504", "Section 504 only"),
                                  ("none", "No disability")), "none"),
    "english_learner": ("English learners", (("EL", "English learners"),
                                             ("non_EL", "Not English learners")), "non_EL"),
    "age_band": ("Age", tuple((code, label) for code, label, _lo, _hi in AGE_BANDS)
                 + (("unknown", "Age not recorded"),), "14_15"),
    "offense": ("Offense severity", (("felony", "Felony"), ("misdemeanor", "Misdemeanor"),
                                     ("status", "Status or ordinance"), ("none", "No offense")),
                "none"),
}


@dataclass
class Counts:
    """Counts of each decision point by group, for one dimension."""

    dimension: str
    points: dict[str, dict[str, int]] = field(default_factory=dict)  # point → group → n
    enrollment: dict[str, int] = field(default_factory=dict)  # group → enrolled

    def base(self, point: str, base: str, group: str) -> int | None:
        if base == "enrollment":
            return self.enrollment.get(group) if self.enrollment else None
        if base == "arrest_or_citation":
            return self.points.get("arrest_or_citation", {}).get(group, 0)
        return self.points.get(base, {}).get(group, 0)


def subject_involvements(school_ids: Iterable[int] | None, year: SchoolYear) -> Any:
    qs = Involvement.objects.filter(school_year=year, final=True, role="subject")
    if school_ids is not None:
        qs = qs.filter(school_id__in=list(school_ids))
    return qs


def aggregate(school_ids: Sequence[int] | None, year: SchoolYear) -> list[dict[str, Any]]:
    """One GROUP BY over the scope's involvements: counts of every decision point for
    each combination of race, sex, IDEA, 504, EL, age band and offense severity."""
    aggregates: dict[str, Any] = {f"n_{code}": Count("id", filter=q) if q else Count("id")
                                  for code, _label, q in DECISION_POINTS}
    aggregates["n_arrest_or_citation"] = Count(
        "id", filter=Q(school_related_arrest=True) | Q(citation=True))
    rows = list(
        subject_involvements(school_ids, year)
        .values("race", "sex", "idea", "section_504", "english_learner", "age",
                "offense_severity")
        .annotate(**aggregates)
        .order_by()
    )
    for row in rows:
        row["age_band"] = age_band(row["age"])
    return rows


def age_band(age: int | None) -> str:
    """The band of an age (grouping by the plain age in SQL is cheaper than a CASE)."""
    if age is None:
        return "unknown"
    for code, _label, lo, hi in AGE_BANDS:
        if (lo is None or age >= lo) and (hi is None or age <= hi):
            return code
    return "unknown"


def _group_of(dimension: str, row: dict[str, Any]) -> str:
    if dimension == "race":
        return str(row["race"])
    if dimension == "sex":
        return str(row["sex"])
    if dimension == "disability":
        return "IDEA" if row["idea"] else ("504" if row["section_504"] else "none")
    if dimension == "english_learner":
        return "EL" if row["english_learner"] else "non_EL"
    if dimension == "age_band":
        return str(row["age_band"])
    return str(row["offense_severity"])


def enrollment_by_group(school_ids: Sequence[int] | None, year: SchoolYear
                        ) -> dict[str, dict[str, int]]:
    """Enrollment bases for each dimension that has one (race, sex, disability, EL)."""
    qs = Enrollment.objects.filter(school_year=year)
    if school_ids is not None:
        qs = qs.filter(school_id__in=list(school_ids))
    cells: dict[tuple[str, str], int] = defaultdict(int)
    for row in qs.values("group", "sex").annotate(n=Sum("count")).order_by():
        cells[(row["group"], row["sex"])] += row["n"] or 0
    total = sum(n for (g, _s), n in cells.items() if g in RACE_CODES)
    by_sex: dict[str, int] = defaultdict(int)
    for (g, s), n in cells.items():
        if g in RACE_CODES:
            by_sex[s] += n
    idea = sum(n for (g, _s), n in cells.items() if g == "IDEA")
    s504 = sum(n for (g, _s), n in cells.items() if g == "504")
    el = sum(n for (g, _s), n in cells.items() if g == "EL")
    return {
        "race": {r: sum(n for (g, _s), n in cells.items() if g == r) for r in RACE_CODES},
        "sex": dict(by_sex),
        "disability": {"IDEA": idea, "504": s504, "none": max(total - idea - s504, 0)},
        "english_learner": {"EL": el, "non_EL": max(total - el, 0)},
    }


def count_tables(school_ids: Sequence[int] | None, year: SchoolYear,
                 dimensions: Sequence[str] | None = None) -> dict[str, Counts]:
    """Counts by group for each dimension, from one aggregate query (plus enrollment)."""
    rows = aggregate(school_ids, year)
    enrolled = enrollment_by_group(school_ids, year)
    points = [code for code, _l, _q in DECISION_POINTS] + ["arrest_or_citation"]
    keys = [f"n_{point}" for point in points]
    values = [[row[key] for key in keys] for row in rows]
    result: dict[str, Counts] = {}
    for dim in dimensions or DIMENSIONS:
        sums: dict[str, list[int]] = {}
        for row, counted in zip(rows, values, strict=True):
            group = _group_of(dim, row)
            total = sums.get(group)
            if total is None:
                sums[group] = list(counted)
            else:
                for i, n in enumerate(counted):
                    total[i] += n
        counts = Counts(dim, enrollment=enrolled.get(dim, {}))
        counts.points = {point: {group: total[i] for group, total in sums.items()}
                         for i, point in enumerate(points)}
        result[dim] = counts
    return result
