"""Disparity tables for a user's scope and a school year (R-E1, R-I1).

Counts come from ``counts.py`` (database aggregation), statistics from ``stats.py``;
this module joins them, applies the small-number rules of docs/methods.md
("Publication safety") and shapes rows for the web page, the API and charts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from opensro.analytics import counts, stats
from opensro.core.choices import Role
from opensro.core.permissions import VIEW, has_role, restrict
from opensro.directory.models import Agency, District, School, SchoolYear

ANALYTICS_ROLES = (Role.ANALYST, Role.SUPERVISOR, Role.AGENCY_ADMIN, Role.SCHOOL_ADMIN,
                   Role.DISTRICT_ADMIN, Role.AUDITOR, Role.SYSTEM_ADMIN)


def min_cell() -> int:
    return int(settings.OPENSRO["MIN_CELL_SIZE"])


def may_analyse(user: Any) -> bool:
    return has_role(user, *ANALYTICS_ROLES)


@dataclass
class Scope:
    kind: str  # all, agency, district, school
    pk: int | None
    label: str
    school_ids: list[int]


def scopes_for(user: Any) -> list[Scope]:
    """The scopes a user may analyse: everything they see, then each agency, district
    and school within it."""
    schools = list(restrict(School.objects.select_related("district"), user, VIEW))
    ids = [s.pk for s in schools]
    options = [Scope("all", None, "Everything in my scope", ids)]
    districts: dict[int, District] = {s.district_id: s.district for s in schools}
    for agency in restrict(Agency.objects.prefetch_related("districts_served"), user, VIEW):
        served = {d.pk for d in agency.districts_served.all()}
        options.append(Scope("agency", agency.pk, str(agency),
                             [s.pk for s in schools if s.district_id in served]))
    for district in sorted(districts.values(), key=lambda d: d.name):
        options.append(Scope("district", district.pk, str(district),
                             [s.pk for s in schools if s.district_id == district.pk]))
    for school in schools:
        options.append(Scope("school", school.pk, str(school), [school.pk]))
    return options


def resolve_scope(user: Any, value: str | None) -> Scope:
    if not may_analyse(user):
        raise PermissionDenied("Your role does not use the disparity analysis.")
    options = scopes_for(user)
    if not value or value == "all":
        return options[0]
    kind, _, pk = value.partition(":")
    for scope in options:
        if scope.kind == kind and str(scope.pk) == pk:
            return scope
    raise ValidationError({"scope": f"Unknown or out-of-scope choice {value!r}."})


@dataclass
class Row:
    group: str
    label: str
    count: int | None
    base: int | None
    rate: float | None
    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    ci_method: str | None
    p_adjusted: float | None
    significant: bool
    suppressed: bool
    reason: str


@dataclass
class Table:
    point: str
    point_label: str
    dimension: str
    dimension_label: str
    base: str
    per: int
    reference: str
    reference_label: str
    year: str
    scope: str
    rows: list[Row] = field(default_factory=list)
    overall_rate: float | None = None
    index_of_disparity: float | None = None
    gini: float | None = None
    note: str = ""


def _label(dimension: str, group: str) -> str:
    return dict(counts.DIMENSIONS[dimension][1]).get(group, group)


def build_table(c: counts.Counts, point: str, base: str, year: str, scope: str) -> Table:
    """One disparity table with small-number suppression (k = MIN_CELL_SIZE):
    counts 1 to k−1 are hidden, and so is every rate or ratio built from one; if the
    reference group's count is hidden, every ratio is hidden (it would reveal it)."""
    k = min_cell()
    dim_label, groups, reference = counts.DIMENSIONS[c.dimension]
    per = counts.PER[base]
    table = Table(point, counts.POINT_LABELS[point], c.dimension, dim_label, base, per,
                  reference, _label(c.dimension, reference), year, scope)
    inputs: list[stats.GroupCount] = []
    for group, _label_text in groups:
        n = c.points.get(point, {}).get(group, 0)
        b = c.base(point, base, group)
        if b is None or (b == 0 and n == 0):
            continue
        inputs.append(stats.GroupCount(group, max(b, n), n))
    if not inputs or reference not in {g.group for g in inputs}:
        table.note = ("No base for this combination (enrollment missing or no records)."
                      if not inputs else f"The reference group ({table.reference_label}) "
                      "has no records; ratios cannot be computed.")
        for g in inputs:
            table.rows.append(_suppressed_row(c.dimension, g, k))
        return table
    result = stats.disparity_table(
        inputs, reference=reference, per=per,
        settings=stats.DisparitySettings(reference=reference, per=per,
                                         base_kind="population" if base == "enrollment"
                                         else "proportion"))
    ref_hidden = _hidden(next(g for g in inputs if g.group == reference), k)
    for r in result.groups:
        g = next(x for x in inputs if x.group == r.group)
        hidden = _hidden(g, k)
        if hidden:
            table.rows.append(_suppressed_row(c.dimension, g, k))
            continue
        reason = ""
        show_ratio = not ref_hidden and not r.excluded and r.ratio is not None
        if ref_hidden:
            reason = "ratio hidden: the reference group's count is below the minimum"
        elif r.excluded:
            reason = r.note or "excluded"
        table.rows.append(Row(
            r.group, _label(c.dimension, r.group), r.count, r.base, r.rate,
            r.ratio if show_ratio else None, r.ci_low if show_ratio else None,
            r.ci_high if show_ratio else None, r.ci_method if show_ratio else None,
            r.p_adjusted if show_ratio else None, bool(r.significant and show_ratio),
            False, reason))
    table.overall_rate = result.overall_rate
    table.index_of_disparity = result.index_of_disparity
    table.gini = result.gini
    return table


def _hidden(g: stats.GroupCount, k: int) -> bool:
    return 0 < g.count < k or 0 < g.base < k


def _suppressed_row(dimension: str, g: stats.GroupCount, k: int) -> Row:
    hidden = _hidden(g, k)
    return Row(g.group, _label(dimension, g.group), None if hidden else g.count,
               None if 0 < g.base < k else g.base, None, None, None, None, None, None, False,
               hidden, f"count below {k}" if hidden else "no ratio")


def disparity(user: Any, year: SchoolYear, scope_value: str | None, point: str,
              dimension: str, base: str | None = None) -> Table:
    """The disparity table a user asked for, checked and scoped."""
    if point not in counts.POINT_LABELS:
        raise ValidationError({"point": f"Unknown decision point {point!r}; use one of "
                                        + ", ".join(counts.POINT_LABELS)})
    if dimension not in counts.DIMENSIONS:
        raise ValidationError({"dimension": f"Unknown dimension {dimension!r}; use one of "
                                            + ", ".join(counts.DIMENSIONS)})
    bases = counts.BASES[point]
    base = base or bases[0]
    if base not in bases:
        raise ValidationError({"base": f"{counts.POINT_LABELS[point]} are measured against "
                                       + " or ".join(bases)})
    if base == "enrollment" and dimension in ("age_band", "offense"):
        base = "contact" if "contact" in bases else bases[-1]
        if base == "enrollment":
            raise ValidationError({"base": "Enrollment has no age or offense breakdown."})
    scope = resolve_scope(user, scope_value)
    tables = counts.count_tables(scope.school_ids, year, [dimension])
    return build_table(tables[dimension], point, base, year.code, scope.label)


def trend(user: Any, scope_value: str | None, point: str, dimension: str,
          base: str | None = None) -> tuple[list[str], dict[str, list[float | None]]]:
    """Rates per group across every school year (suppressed values are gaps)."""
    years = list(SchoolYear.objects.order_by("start_date"))
    series: dict[str, list[float | None]] = {}
    labels: list[str] = []
    for year in years:
        table = disparity(user, year, scope_value, point, dimension, base)
        labels.append(year.code)
        seen = set()
        for row in table.rows:
            series.setdefault(row.label, [None] * (len(labels) - 1))
            series[row.label].append(row.rate)
            seen.add(row.label)
        for label, values in series.items():
            if label not in seen:
                values.append(None)
    return labels, series
