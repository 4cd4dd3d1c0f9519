"""Publishing the public figures (R-E1, R-E3, R-C3, R-D4, R-D6; architecture rule 5).

:func:`publish` builds, for every scope (an agency's SRO program, a district, a school)
of one school year, every public table from the live counts
(:mod:`opensro.analytics.counts`), protects them together with the earlier releases of
the same year (:mod:`opensro.transparency.suppression`), and stores one immutable
:class:`~opensro.transparency.models.Publication` per scope in one
:class:`~opensro.transparency.models.PublicationRun`, with one audit event per
publication. ``opensro publish`` runs it; a scheduler can run that command nightly.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from opensro.analytics import counts, stats
from opensro.core import audit
from opensro.core.models import Flag, FlagStatus, User
from opensro.core.permissions import ADD, can
from opensro.directory.models import Agency, School, SchoolYear
from opensro.incidents.models import Activity, Incident
from opensro.program.public import public_mous
from opensro.transparency import labels
from opensro.transparency.cache import forget_release
from opensro.transparency.models import Publication, PublicationRun
from opensro.transparency.suppression import Problem, Relation, suppress, var_id

DISCIPLINE_FLAG = "discipline_involvement"
FDR_Q = 0.05
#: Relative cost of hiding a program's cell rather than a district's or school's.
AGENCY_WEIGHT = 0.1
#: Internal states of a cell. The public sees only "published" or "suppressed": telling
#: which hidden cells are small would tell a reader that they lie between 1 and k−1.
PUBLISHED, SMALL, COMPLEMENTARY = "published", "suppressed_small", "suppressed_complementary"
SUPPRESSED = "suppressed"
SCOPE_ORDER = {"agency": 0, "district": 1, "school": 2}


def min_cell() -> int:
    return int(settings.OPENSRO["MIN_CELL_SIZE"])


# --------------------------------------------------------------------------- scopes


@dataclass
class ScopeSpec:
    kind: str
    id: int
    name: str
    school_ids: list[int]
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return f"{self.kind}:{self.id}"


def scope_specs(year: SchoolYear) -> list[ScopeSpec]:
    """Every scope published for a year: each school that is active or has records that
    year, each district with those schools, and each agency's SRO program: the schools
    of the districts it serves (the same scope as the disparity analysis)."""
    with_records = set(Incident.objects.filter(school_year=year).values_list(
        "school_id", flat=True).distinct()) | set(Activity.objects.filter(
            school_year=year).values_list("school_id", flat=True).distinct())
    schools = [s for s in School.objects.select_related("district").order_by("name")
               if s.active or s.pk in with_records]
    by_id = {s.pk: s for s in schools}
    district_list = sorted({s.district_id: s.district for s in schools}.values(),
                           key=lambda d: d.name)
    specs: list[ScopeSpec] = []
    for agency in Agency.objects.prefetch_related("districts_served").order_by("name"):
        served = {d.pk for d in agency.districts_served.all()}
        ids = [s.pk for s in schools if s.district_id in served]
        if not ids:
            continue
        specs.append(ScopeSpec("agency", agency.pk, agency.name, ids, {
            "districts": sorted({by_id[i].district_id for i in ids}),
        }))
    for district in district_list:
        ids = [s.pk for s in schools if s.district_id == district.pk]
        specs.append(ScopeSpec("district", district.pk, district.name, ids, {
            "districts": [district.pk]}))
    for school in schools:
        specs.append(ScopeSpec("school", school.pk, school.name, [school.pk], {
            "districts": [school.district_id]}))
    context = {
        "schools": {s.pk: {"id": s.pk, "name": s.name, "district_id": s.district_id,
                           "level": s.level} for s in schools},
        "districts": {d.pk: {"id": d.pk, "name": d.name, "website": d.website}
                      for d in district_list},
    }
    for spec in specs:
        spec.info["schools"] = [context["schools"][i] for i in spec.school_ids]
        spec.info["districts"] = [context["districts"][i] for i in spec.info["districts"]]
    return specs


# --------------------------------------------------------------------------- raw values


@dataclass
class Leaf:
    """One school's true values: key suffix → count, and enrollment bases."""

    values: dict[str, int] = field(default_factory=dict)
    enrollment: dict[str, dict[str, int]] = field(default_factory=dict)


def _dimension_groups(year: SchoolYear) -> dict[str, list[str]]:
    groups = {dim: [g for g, _label in spec[1]] for dim, spec in labels.DIMENSIONS.items()}
    if "X" not in (year.sex_codes or []):
        groups["sex"] = [g for g in groups["sex"] if g != "X"]
    return groups


def _leaf(school_id: int, year: SchoolYear, groups: dict[str, list[str]],
          flags: int, activities: dict[str, int]) -> Leaf:
    leaf = Leaf()
    tables = counts.count_tables([school_id], year, list(labels.DIMENSION_CODES))
    race = tables["race"]
    for m in labels.MEASURE_CODES:
        total = sum(race.points.get(m, {}).values())
        leaf.values[f"{m}/total"] = total
        for dim in labels.DIMENSION_CODES:
            by_group = tables[dim].points.get(m, {})
            known = 0
            for g in groups[dim]:
                n = int(by_group.get(g, 0))
                leaf.values[f"{m}/{dim}/{g}"] = n
                known += n
            leaf.values[f"{m}/{dim}/unknown"] = total - known
    for dim in labels.DIMENSION_CODES:
        leaf.enrollment[dim] = dict(tables[dim].enrollment)
    leaf.enrollment["total"] = {"total": sum(tables["race"].enrollment.values())}
    leaf.values[f"{labels.FLAGS}/total"] = flags
    for kind, _label in labels.ACTIVITY_KINDS:
        leaf.values[f"{labels.ACTIVITIES}/kind/{kind}"] = activities.get(kind, 0)
    leaf.values[f"{labels.ACTIVITIES}/total"] = sum(activities.values())
    return leaf


def _flag_counts(year: SchoolYear) -> dict[int, int]:
    """Discipline-involvement flags of the year's incidents, by school (counts only;
    flags cleared because the record no longer qualifies do not count)."""
    ids = [int(s) for s in Flag.objects.filter(kind=DISCIPLINE_FLAG).exclude(
        status=FlagStatus.CLEARED).values_list("subject_id", flat=True) if str(s).isdigit()]
    out: dict[int, int] = defaultdict(int)
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        for row in Incident.objects.filter(pk__in=chunk, school_year=year).values(
                "school_id").annotate(n=Count("id")).order_by():
            out[row["school_id"]] += row["n"]
    return out


def _activity_counts(year: SchoolYear) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for row in Activity.objects.filter(school_year=year).values("school_id", "kind").annotate(
            n=Count("id")).order_by():
        kind = row["kind"] if row["kind"] in dict(labels.ACTIVITY_KINDS) else "other"
        out[row["school_id"]][kind] = out[row["school_id"]].get(kind, 0) + row["n"]
    return out


def _suffixes(groups: dict[str, list[str]]) -> list[str]:
    out = []
    for m in labels.MEASURE_CODES:
        out.append(f"{m}/total")
        for dim in labels.DIMENSION_CODES:
            out += [f"{m}/{dim}/{g}" for g in [*groups[dim], "unknown"]]
    out.append(f"{labels.FLAGS}/total")
    out += [f"{labels.ACTIVITIES}/kind/{k}" for k, _l in labels.ACTIVITY_KINDS]
    out.append(f"{labels.ACTIVITIES}/total")
    return out


def _structure(specs: Sequence[ScopeSpec], groups: dict[str, list[str]]
               ) -> tuple[list[Relation], list[tuple[str, str]]]:
    """The relations and orders among the keys of every scope (see suppression.py)."""
    relations: list[Relation] = []
    orders: list[tuple[str, str]] = []
    suffixes = _suffixes(groups)
    for spec in specs:
        s = spec.code
        for m in labels.MEASURE_CODES:
            for dim in labels.DIMENSION_CODES:
                relations.append(Relation(f"{s}/{m}/total", tuple(
                    f"{s}/{m}/{dim}/{g}" for g in [*groups[dim], "unknown"])))
        relations.append(Relation(f"{s}/{labels.ACTIVITIES}/total", tuple(
            f"{s}/{labels.ACTIVITIES}/kind/{k}" for k, _l in labels.ACTIVITY_KINDS)))
        if spec.kind != "school":
            for suffix in suffixes:
                relations.append(Relation(f"{s}/{suffix}", tuple(
                    f"school:{i}/{suffix}" for i in spec.school_ids)))
        if spec.kind == "agency":
            # A program is the districts it serves.
            for suffix in suffixes:
                relations.append(Relation(f"{s}/{suffix}", tuple(
                    f"district:{d['id']}/{suffix}" for d in spec.info["districts"])))
        cells = ["total"] + [f"{dim}/{g}" for dim in labels.DIMENSION_CODES
                             for g in [*groups[dim], "unknown"]]
        for cell in cells:
            for small, big in labels.ORDERS:
                orders.append((f"{s}/{small}/{cell}", f"{s}/{big}/{cell}"))
    return relations, orders


# --------------------------------------------------------------------------- publish


@dataclass
class Built:
    """Everything computed for one release before it is stored."""

    year: SchoolYear
    specs: list[ScopeSpec]
    values: dict[str, int]
    enrollment: dict[str, dict[str, dict[str, int]]]  # scope → dim → group → n
    relations: list[Relation]
    orders: list[tuple[str, str]]
    released: list[str]  # scope codes
    groups: dict[str, list[str]]


def build(year: SchoolYear, scope_filter: Sequence[str] | None = None) -> Built:
    """Compute every scope's true values for ``year`` and choose the scopes to release."""
    groups = _dimension_groups(year)
    specs = scope_specs(year)
    flags = _flag_counts(year)
    acts = _activity_counts(year)
    leaves = {i: _leaf(i, year, groups, flags.get(i, 0), acts.get(i, {}))
              for spec in specs if spec.kind == "school" for i in spec.school_ids}
    values: dict[str, int] = {}
    enrollment: dict[str, dict[str, dict[str, int]]] = {}
    for spec in specs:
        total: dict[str, int] = defaultdict(int)
        enrol: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for i in spec.school_ids:
            for suffix, n in leaves[i].values.items():
                total[suffix] += n
            for dim, by_group in leaves[i].enrollment.items():
                for g, n in by_group.items():
                    enrol[dim][g] += n
        for suffix, n in total.items():
            values[f"{spec.code}/{suffix}"] = n
        enrollment[spec.code] = {d: dict(v) for d, v in enrol.items()}
    relations, orders = _structure(specs, groups)
    released = [s.code for s in specs if _selected(s, scope_filter)]
    return Built(year, specs, values, enrollment, relations, orders, released, groups)


def _selected(spec: ScopeSpec, scope_filter: Sequence[str] | None) -> bool:
    if not scope_filter:
        return True
    for item in scope_filter:
        kind, _, ident = item.partition(":")
        if kind == spec.kind and (not ident or ident == str(spec.id)):
            return True
    return False


def _problem(built: Built, earlier: Iterable[PublicationRun], k: int
             ) -> tuple[Problem, dict[str, str]]:
    """The suppression problem of this release with the year's earlier releases."""
    values: dict[str, int] = {}
    relations: list[Relation] = []
    orders: list[tuple[str, str]] = []
    known: set[str] = set()
    hidden_before: set[str] = set()
    for run in earlier:
        ledger = run.ledger or {}
        old = {key: int(v) for key, v in ledger.get("values", {}).items()}
        vid = {key: var_id(key, v) for key, v in old.items()}
        for key, v in old.items():
            values[vid[key]] = v
        relations += [Relation(vid[t], tuple(vid[p] for p in parts))
                      for t, parts in ledger.get("relations", [])]
        orders += [(vid[a], vid[b]) for a, b in ledger.get("orders", [])]
        hidden_keys = set(ledger.get("hidden", []))
        for key in ledger.get("released", []):
            (hidden_before if key in hidden_keys else known).add(vid[key])
    current_ids = {key: var_id(key, v) for key, v in built.values.items()}
    for key, v in built.values.items():
        values[current_ids[key]] = v
    relations += [Relation(current_ids[r.total], tuple(current_ids[p] for p in r.parts))
                  for r in built.relations]
    orders += [(current_ids[a], current_ids[b]) for a, b in built.orders]
    released = set(built.released)
    current = {current_ids[key] for key in built.values if key.split("/", 1)[0] in released}
    # A program's page repeats its districts' figures: when a cell must go, prefer one
    # of the program's to one of a district's or a school's.
    weights = {vid: AGENCY_WEIGHT for key, vid in current_ids.items()
               if key.startswith("agency:")}
    return Problem(values, relations, orders, current, known, hidden_before - known,
                   k, weights), current_ids


def _rate(count: int | None, base: int | None, per: int) -> float | None:
    if count is None or not base:
        return None
    return round(count / base * per, 2)


def _cells(built: Built, spec: ScopeSpec, state: dict[str, str], k: int
           ) -> list[dict[str, Any]]:
    """The published records of one scope, with rates and ratios computed only from
    published counts (a rate or ratio built from a suppressed count is suppressed)."""
    s = spec.code
    values = built.values

    def shown(key: str) -> int | None:
        return values[key] if state[key] == PUBLISHED else None

    def enrolled(dim: str, group: str) -> int | None:
        if dim == "total":
            n = built.enrollment[s].get("total", {}).get("total")
        else:
            n = built.enrollment[s].get(dim, {}).get(group)
        return n if n and n >= k else None

    def base_of(measure: str, dim: str, group: str) -> int | None:
        kind, _per = labels.MEASURE_BASE[measure]
        if kind == "enrollment":
            return enrolled(dim, group)
        key = f"{s}/contact/total" if dim == "total" else f"{s}/contact/{dim}/{group}"
        return shown(key) or None

    def record(table: str, measure: str, group: str, key: str, dim: str) -> dict[str, Any]:
        count = shown(key)
        rec: dict[str, Any] = {"table": table, "measure": measure, "group": group,
                               "count": count, "status": public_status(state[key])}
        if measure in labels.MEASURE_BASE:
            kind, per = labels.MEASURE_BASE[measure]
            rec["rate_base"], rec["rate_per"] = kind, per
            base = base_of(measure, dim, group)
            rec["rate"] = _rate(count, base, per)
        return rec

    out: list[dict[str, Any]] = []
    for m in labels.MEASURE_CODES:
        out.append(record("summary", m, "total", f"{s}/{m}/total", "total"))
    out.append(record("summary", labels.FLAGS, "total", f"{s}/{labels.FLAGS}/total", "total"))
    for dim in labels.DIMENSION_CODES:
        reference = labels.DIMENSIONS[dim][2]
        for m in labels.MEASURE_CODES:
            kind, _per = labels.MEASURE_BASE[m]
            rows = []
            for g in [*built.groups[dim], "unknown"]:
                key = f"{s}/{m}/{dim}/{g}"
                if g == "unknown" and values[key] == 0:
                    continue
                rows.append(record(dim, m, g, key, dim))
            ref = next((r for r in rows if r["group"] == reference), None)
            ref_base = base_of(m, dim, reference)
            tested: list[tuple[dict[str, Any], float]] = []
            for rec in rows:
                rec["ratio_reference"] = reference
                rec["ratio"] = rec["ratio_ci_low"] = rec["ratio_ci_high"] = None
                rec["ratio_significant"] = None
                base = base_of(m, dim, rec["group"])
                if (rec["group"] == reference or ref is None or rec["count"] is None
                        or not ref["count"] or not base or not ref_base
                        or rec["group"] == "unknown" or rec["count"] > base
                        or ref["count"] > ref_base):
                    continue  # contacts are events: a count can exceed its population
                est = stats.ratio_interval(
                    rec["count"], base, ref["count"], ref_base,
                    base_kind="population" if kind == "enrollment" else "proportion")
                if est.ratio is not None:
                    rec["ratio"] = round(est.ratio, 2)
                    rec["ratio_ci_low"] = round(est.ci_low, 2) if est.ci_low is not None \
                        else None
                    rec["ratio_ci_high"] = round(est.ci_high, 2) if est.ci_high is not None \
                        else None
                    if est.p_value is not None:
                        tested.append((rec, est.p_value))
            # Significant after false-discovery-rate control across the table's published
            # ratios (Benjamini–Hochberg, docs/methods.md), as the analysis pages do.
            fdr = stats.benjamini_hochberg([p for _r, p in tested], q=FDR_Q)
            for (rec, _p), rejected in zip(tested, fdr.rejected, strict=True):
                rec["ratio_significant"] = rejected
            out += rows
    for kind_code, _label in labels.ACTIVITY_KINDS:
        key = f"{s}/{labels.ACTIVITIES}/kind/{kind_code}"
        out.append({"table": labels.ACTIVITIES, "measure": labels.ACTIVITIES,
                    "group": kind_code, "count": shown(key),
                    "status": public_status(state[key])})
    key = f"{s}/{labels.ACTIVITIES}/total"
    out.append({"table": labels.ACTIVITIES, "measure": labels.ACTIVITIES, "group": "total",
                "count": shown(key), "status": public_status(state[key])})
    return out


def public_status(state: str) -> str:
    return PUBLISHED if state == PUBLISHED else SUPPRESSED


def _json(value: Any) -> Any:
    result: Any = json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    return result


def _mous(spec: ScopeSpec) -> list[dict[str, Any]]:
    kwargs = {"agency_id": spec.id} if spec.kind == "agency" else (
        {"district_id": spec.id} if spec.kind == "district" else {"school_id": spec.id})
    return list(_json(public_mous(**kwargs)))


def resolve_year(code: str | None, today: datetime.date | None = None) -> SchoolYear:
    if code:
        year = SchoolYear.objects.filter(code=code).first()
        if year is None:
            known = ", ".join(SchoolYear.objects.order_by("start_date").values_list(
                "code", flat=True))
            raise ValidationError({"year": f"No school year {code!r}; known years: "
                                           f"{known or 'none'}."})
        return year
    today = today or timezone.localdate()
    year = SchoolYear.for_date(today) or SchoolYear.objects.filter(
        start_date__lte=today).order_by("-start_date").first()
    if year is None:
        raise ValidationError({"year": "No school year has started yet; add one first."})
    return year


def check_scopes(values: Sequence[str]) -> list[str]:
    """Validate ``--scope`` values: ``agency``, ``district``, ``school`` or ``kind:id``."""
    out = []
    for value in values:
        for item in str(value).split(","):
            item = item.strip()
            if not item or item == "all":
                continue
            kind, _, ident = item.partition(":")
            if kind not in SCOPE_ORDER or (ident and not ident.isdigit()):
                raise ValidationError({"scope": f"{item!r} is not a scope; use agency, "
                                                "district, school or kind:id (e.g. district:3)."})
            out.append(item)
    return out


def publish(actor: User | None, year: SchoolYear | str | None = None,
            scopes: Sequence[str] | None = None, *,
            now: datetime.datetime | None = None, force: bool = False
            ) -> PublicationRun | None:
    """Publish a school year's figures for the chosen scopes (all by default).

    Only a system administrator (or the system itself, ``actor=None``) may publish.
    The new release is protected together with every earlier release of the same
    year; it is stored whole or not at all, with an audit event per publication.
    When every page would say exactly what its latest release says, nothing is stored
    and None is returned (a nightly schedule adds rows only when figures change),
    unless ``force``.
    """
    if actor is not None and not can(actor, ADD, PublicationRun):
        raise PermissionDenied("Only a system administrator may publish the figures.")
    chosen = year if isinstance(year, SchoolYear) else resolve_year(year)
    scope_filter = check_scopes(scopes or [])
    k = min_cell()
    now = now or timezone.now()
    with transaction.atomic():
        # One release at a time per year: each must see the one before it.
        list(SchoolYear.objects.select_for_update().filter(pk=chosen.pk))
        built = build(chosen, scope_filter)
        if not built.released:
            raise ValidationError({"scope": "No scope matches; nothing to publish."})
        earlier = list(PublicationRun.objects.filter(school_year=chosen).order_by(
            "published_at", "id"))
        problem, ids = _problem(built, earlier, k)
        result = suppress(problem)
        state: dict[str, str] = {}
        for key, vid in ids.items():
            if vid in result.primary:
                state[key] = SMALL
            elif vid in result.complementary or vid in problem.hidden_before:
                state[key] = COMPLEMENTARY
            else:
                state[key] = PUBLISHED
        released = set(built.released)
        released_keys = [key for key in built.values if key.split("/", 1)[0] in released]
        # Cells a page shows (an empty "not recorded" row is left out).
        shown_keys = [key for key in released_keys
                      if not (key.endswith("/unknown") and built.values[key] == 0)]
        hidden_keys = [key for key in released_keys if state[key] != PUBLISHED]
        summary = {
            "cells": len(shown_keys),
            "suppressed_small": sum(1 for key in hidden_keys if state[key] == SMALL),
            "suppressed_complementary": sum(1 for key in hidden_keys
                                            if state[key] == COMPLEMENTARY),
            "earlier_releases": len(earlier),
            "rounds": result.rounds,
            "lp_solves": result.lp_solves,
        }
        pages = []
        for spec in sorted((s for s in built.specs if s.code in released),
                           key=lambda s: (SCOPE_ORDER[s.kind], s.name)):
            scope_keys = [key for key in shown_keys if key.startswith(spec.code + "/")]
            info = _json({
                **spec.info,
                "scope": {"kind": spec.kind, "id": spec.id, "name": spec.name},
                "year": chosen.code,
                "published_at": now,
                "min_cell_size": k,
                "mous": _mous(spec),
                # Public: how many are withheld, not which are small.
                "suppression": {
                    "cells": len(scope_keys),
                    "suppressed": sum(1 for key in scope_keys if state[key] != PUBLISHED),
                },
            })
            pub = Publication(school_year=chosen, scope_kind=spec.kind,
                              scope_id=spec.id, scope_name=spec.name, published_at=now,
                              min_cell_size=k, cells=_cells(built, spec, state, k), info=info)
            pub.digest = pub.content_digest()
            pages.append(pub)
        if not force and earlier and _unchanged(chosen, pages):
            return None
        run = PublicationRun(
            school_year=chosen, published_at=now,
            published_by=actor if actor is not None and actor.pk else None,
            published_by_label=actor.get_username() if actor is not None else "system",
            min_cell_size=k, scopes=built.released, summary=summary,
            ledger={
                "values": built.values,
                "relations": [[r.total, list(r.parts)] for r in built.relations],
                "orders": [list(o) for o in built.orders],
                "released": released_keys,
                "hidden": hidden_keys,
            })
        run.save()
        audit.record(actor, "publish", run, after={
            "school_year": chosen.code, "scopes": built.released, "summary": summary})
        for pub in pages:
            pub.run = run
            pub.save()
            audit.record(actor, "publish", pub, after={
                "run": run.pk, "school_year": chosen.code, "scope": pub.scope,
                "digest": pub.digest, "suppression": pub.info["suppression"]})
        # This process's pages switch at once (other processes within seconds).
        forget_release()
        transaction.on_commit(forget_release)
    return run


def _unchanged(year: SchoolYear, pages: Sequence[Publication]) -> bool:
    """Whether the latest release of each of these scopes says exactly the same."""
    latest: dict[str, str] = {}
    for kind, scope_id, value in Publication.objects.filter(school_year=year).order_by(
            "published_at", "id").values_list("scope_kind", "scope_id", "digest"):
        latest[f"{kind}:{scope_id}"] = value
    return all(latest.get(p.scope) == p.digest for p in pages)


def verify_digests() -> list[str]:
    """Publications whose stored content no longer matches its digest (edited behind
    the service layer)."""
    return [f"publication {p.pk} ({p.scope_name}, {p.school_year_id})"
            for p in Publication.objects.all().iterator()
            if p.content_digest() != p.digest]

