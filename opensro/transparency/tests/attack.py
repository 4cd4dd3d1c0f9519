"""The reader's attack, written independently of the suppression engine: from the
published files alone (plus, for linking releases, which quantities did not change),
compute by linear programming the range of values each suppressed count can take.

The model (docs/transparency.md, "How numbers are protected"):

- unknowns: every suppressed count, and every count of a table that was never
  published (a school not released yet), all ≥ 0;
- equations: in each published table, the groups of a dimension add up to the total;
  a district's or program's count is the sum of its schools' counts (from the school
  lists the pages publish) and a program's is the sum of its districts';
- bounds: a count of students searched, cited… is at most the published count of
  students contacted in the same group, and arrests at most referrals (and the other
  way round for lower bounds);
- across releases of the same year: a quantity whose value did not change between two
  releases is one unknown (the reader may assume it did not change).

Protection criterion: every suppressed count's feasible range is at least k wide
(max − min ≥ k; an unbounded range passes).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

MEASURES = ("contact", "referral", "citation", "arrest", "search", "use_of_force",
            "restraint")
DIMS = ("race", "sex", "disability", "english_learner")
ORDERS = [(m, "contact") for m in MEASURES if m != "contact"] + [("arrest", "referral")]


def cell_key(scope: str, rec: dict) -> str:
    table, measure, group = rec["table"], rec["measure"], rec["group"]
    if table == "summary":
        return f"{scope}/{measure}/total"
    if table == "activities":
        return f"{scope}/activities/total" if group == "total" \
            else f"{scope}/activities/kind/{group}"
    return f"{scope}/{measure}/{table}/{group}"


@dataclass
class Release:
    """What one release published: scope → {key: count or None}, and each scope's
    school list (and a program's district list)."""

    cells: dict[str, int | None] = field(default_factory=dict)
    schools: dict[str, list[int]] = field(default_factory=dict)
    districts: dict[str, list[int]] = field(default_factory=dict)
    #: The truth of every key (for linking unchanged quantities and for the test's
    #: bookkeeping only; never used as a constraint).
    truth: dict[str, int] = field(default_factory=dict)


def release_of(publications: Iterable, truth: dict[str, int]) -> Release:
    rel = Release(truth=dict(truth))
    for pub in publications:
        scope = f"{pub.scope_kind}:{pub.scope_id}"
        for rec in pub.cells:
            rel.cells[cell_key(scope, rec)] = rec["count"]
        rel.schools[scope] = [s["id"] for s in pub.info.get("schools", [])]
        if pub.scope_kind == "agency":
            rel.districts[scope] = [d["id"] for d in pub.info.get("districts", [])]
    return rel


def _equations(rel: Release) -> list[tuple[str, list[str]]]:
    """(total key, part keys) over every key this release's tables imply."""
    eqs: list[tuple[str, list[str]]] = []
    scopes = list(rel.schools)
    suffixes: set[str] = set()
    for scope in scopes:
        for m in MEASURES:
            for d in DIMS:
                parts = [k for k in rel.cells if k.startswith(f"{scope}/{m}/{d}/")]
                eqs.append((f"{scope}/{m}/total", parts))
        eqs.append((f"{scope}/activities/total",
                    [k for k in rel.cells if k.startswith(f"{scope}/activities/kind/")]))
        suffixes |= {k.split("/", 1)[1] for k in rel.cells if k.startswith(scope + "/")}
    for scope, schools in rel.schools.items():
        if scope.startswith("school:"):
            continue
        for suffix in suffixes:
            eqs.append((f"{scope}/{suffix}", [f"school:{s}/{suffix}" for s in schools]))
        for suffix in suffixes if scope in rel.districts else ():
            eqs.append((f"{scope}/{suffix}",
                        [f"district:{d}/{suffix}" for d in rel.districts[scope]]))
    return eqs


def feasible_ranges(releases: Sequence[Release]) -> dict[tuple[int, str], tuple[float, float,
                                                                                 int]]:
    """(release index, key) → (min, max, true value) for every suppressed count."""
    var_of: dict[tuple[int, str], str] = {}
    value: dict[str, int] = {}
    shown: dict[str, int] = {}
    suppressed: list[tuple[int, str]] = []
    eqs: list[tuple[str, list[str]]] = []
    bounds: list[tuple[str, str]] = []

    def var(r: int, key: str) -> str:
        # One unknown per (key, value): unchanged quantities are shared across releases.
        t = releases[r].truth.get(key, 0)
        name = f"{key}@{t}"
        var_of[(r, key)] = name
        value[name] = t
        return name

    for r, rel in enumerate(releases):
        for key, count in rel.cells.items():
            name = var(r, key)
            if count is None:
                suppressed.append((r, key))
            else:
                shown[name] = count
        published_scopes = set(rel.schools)
        for total, parts in _equations(rel):
            names = []
            for key in [total, *parts]:
                name = var(r, key)
                if key not in rel.cells and key.split("/", 1)[0] in published_scopes:
                    shown[name] = 0  # a row left out of a published table is zero
                names.append(name)
            eqs.append((names[0], names[1:]))
        for key in rel.cells:
            scope, rest = key.split("/", 1)
            measure, tail = rest.split("/", 1)
            for small, big in ORDERS:
                if measure == small and f"{scope}/{big}/{tail}" in rel.cells:
                    bounds.append((var(r, key), var(r, f"{scope}/{big}/{tail}")))

    unknown = sorted({v for v in value if v not in shown})
    # Components of unknowns tied by equations.
    parent = {v: v for v in unknown}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for total, parts in eqs:
        members = [m for m in [total, *parts] if m in parent]
        for m in members[1:]:
            parent[find(m)] = find(members[0])
    comps: dict[str, list[str]] = defaultdict(list)
    for v in unknown:
        comps[find(v)].append(v)
    eqs_of: dict[str, list[int]] = defaultdict(list)
    for i, (total, parts) in enumerate(eqs):
        for m in [total, *parts]:
            if m in parent:
                eqs_of[find(m)].append(i)
                break

    results: dict[str, tuple[float, float]] = {}
    wanted = {var_of[s] for s in suppressed}
    for root, members in comps.items():
        targets = [v for v in members if v in wanted]
        if not targets:
            continue
        index = {v: i for i, v in enumerate(members)}
        rows, cols, data, rhs = [], [], [], []
        for n, i in enumerate(sorted(set(eqs_of[root]))):
            total, parts = eqs[i]
            b = 0.0
            for m, coef in [(total, 1.0)] + [(p, -1.0) for p in parts]:
                if m in index:
                    rows.append(n)
                    cols.append(index[m])
                    data.append(coef)
                else:
                    b -= coef * shown[m]
            rhs.append(b)
        lo = [0.0] * len(members)
        hi: list[float | None] = [None] * len(members)
        for small, big in bounds:
            if small in index and big in shown:
                cap = float(shown[big])
                hi[index[small]] = cap if hi[index[small]] is None else min(hi[index[small]],
                                                                           cap)
            if big in index and small in shown:
                lo[index[big]] = max(lo[index[big]], float(shown[small]))
        a_eq = csr_matrix((data, (rows, cols)), shape=(len(rhs), len(members)))
        for v in targets:
            c = np.zeros(len(members))
            c[index[v]] = 1.0
            out = []
            for sense in (1.0, -1.0):
                res = linprog(sense * c, A_eq=a_eq, b_eq=np.array(rhs),
                              bounds=list(zip(lo, hi, strict=True)), method="highs")
                if res.status == 3:
                    out.append(math.inf)
                    continue
                assert res.status == 0, f"published figures inconsistent: {res.message}"
                out.append(float(res.x[index[v]]))
            results[v] = (out[0], out[1])
    return {s: (*results[var_of[s]], value[var_of[s]]) for s in suppressed}


def too_narrow(releases: Sequence[Release], k: int) -> list[str]:
    """Every suppressed count whose feasible range is narrower than k."""
    bad = []
    for (r, key), (lo, hi, truth) in sorted(feasible_ranges(releases).items()):
        if hi - lo < k - 1e-6:
            bad.append(f"release {r}: {key} = {truth} lies in [{lo:g}, {hi:g}]")
    return bad
