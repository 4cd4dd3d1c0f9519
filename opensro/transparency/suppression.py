"""Small-cell and complementary suppression for the public tables (R-E3; docs/methods.md,
"Publication safety"; docs/transparency.md, "How numbers are protected").

Pure Python plus SciPy, no Django: the publication service turns its tables into a
:class:`Problem` and gets back which cells to hide.

The model
---------
Every published count is a *variable*. Variables are tied by *relations*: a total
equals the sum of its parts (a table's groups add up to its total; a district's cell
is the sum of its schools' cells; the same quantity in two tables is one variable),
and by *orders* (``a <= b``: the students referred to law enforcement are among the
students contacted). Everything a reader learns from the published figures is these
relations, the non-negativity of counts, and the values shown. An order is used as a
bound where one side is shown (a hidden count of searches is at most the shown count of
contacts of the same group); an order between two hidden counts is not modelled.

A variable is named by its key *and its value* (``key@value``): when a later release
of the same school year repeats a quantity whose value has not changed, it is the
same variable, so whatever an earlier release showed (or hid) about it still holds.
Nothing else links releases: a figure that changed since is a different quantity.

The rules
---------
1. *Primary suppression*: a count from 1 to k−1 is hidden (k =
   ``settings.OPENSRO["MIN_CELL_SIZE"]``). Zeros are shown.
2. *Sticky suppression*: a quantity hidden in an earlier release of the same year
   stays hidden while its value is unchanged.
3. *Complementary suppression*, iterated until nothing changes: in every relation,
   if exactly one member is hidden, or the hidden parts of a shown total add up to
   less than k, hide the smallest other non-zero member that may be hidden
   (a program's cells count as smaller: see ``Problem.weights``).
4. *Verification by linear programming*: for every hidden variable the smallest and
   largest values consistent with everything published (this release and every
   earlier one of the year) are computed with ``scipy.optimize.linprog``. The
   protection criterion: the feasible range must be at least k wide
   (max − min ≥ k; an unbounded range passes). A variable that fails gets one more
   cell hidden in the nearest relation that still has a shown non-zero member, and
   the rules run again until every hidden variable passes. A complementary cell
   whose value follows exactly from what is already published (typically from an
   earlier release) protects nothing: it is shown instead (its value is at least k).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

#: Numerical slack when comparing LP bounds with whole numbers.
EPS = 1e-6


class SuppressionError(Exception):
    """The tables cannot be protected (every cell that could be hidden already is)."""


@dataclass(frozen=True)
class Relation:
    """``total`` equals the sum of ``parts``."""

    total: str
    parts: tuple[str, ...]

    @property
    def members(self) -> tuple[str, ...]:
        return (self.total, *self.parts)


@dataclass
class Problem:
    """What is (or was) published in one school year.

    ``values``: every variable's true value. ``current``: the variables this release
    would publish. ``known``: variables shown by an earlier release (their value is
    public and cannot be hidden again). ``hidden_before``: variables hidden by an
    earlier release and never shown. Any other variable has never been released: it
    is unknown to a reader and needs no protection of its own.
    """

    values: dict[str, int]
    relations: list[Relation]
    orders: list[tuple[str, str]] = field(default_factory=list)
    current: set[str] = field(default_factory=set)
    known: set[str] = field(default_factory=set)
    hidden_before: set[str] = field(default_factory=set)
    k: int = 10
    #: Cost of hiding a variable, as a multiple of its value (default 1): the engine
    #: hides the cheapest candidate, so a lower weight makes a cell hidden sooner.
    weights: dict[str, float] = field(default_factory=dict)


@dataclass
class Result:
    primary: set[str]
    complementary: set[str]
    #: For every released hidden variable: (lowest, highest) feasible value as far as
    #: the verification needed to look (a range at least k wide may be reported
    #: narrower than it is, never wider).
    ranges: dict[str, tuple[float, float]]
    rounds: int
    lp_solves: int

    @property
    def hidden(self) -> set[str]:
        return self.primary | self.complementary


def var_id(key: str, value: int) -> str:
    """The variable of a quantity with this key and value (see the module docstring)."""
    return f"{key}@{value}"


# --------------------------------------------------------------------------- heuristic


class _State:
    def __init__(self, problem: Problem) -> None:
        self.p = problem
        self.k = problem.k
        self.values = problem.values
        released = problem.current | problem.known | problem.hidden_before
        #: Hidden to a reader: never released, hidden before, or hidden now.
        self.unreleased = {v for v in problem.values if v not in released}
        self.hidden: set[str] = set(self.unreleased)
        self.hidden |= problem.hidden_before - problem.known
        self.primary = {v for v in problem.current
                        if v not in problem.known and 1 <= problem.values[v] < self.k}
        self.hidden |= self.primary
        self.complementary: set[str] = set()
        self.pinned: set[str] = set()
        # Sticky: hidden before and released again with the same value.
        for v in (problem.hidden_before & problem.current) - problem.known:
            if v not in self.primary:
                self.complementary.add(v)
        self.relations = list(dict.fromkeys(
            Relation(r.total, tuple(sorted(r.parts))) for r in problem.relations))
        self.by_member: dict[str, list[int]] = defaultdict(list)
        for i, rel in enumerate(self.relations):
            for m in rel.members:
                self.by_member[m].append(i)

    def hideable(self, v: str) -> bool:
        return (v in self.p.current and v not in self.p.known and v not in self.hidden
                and v not in self.pinned and self.values[v] > 0)

    def pin(self, v: str) -> None:
        """Show a complementary cell after all: its value follows exactly from what is
        published (e.g. an earlier release), so hiding it protects nothing."""
        self.hidden.discard(v)
        self.complementary.discard(v)
        self.pinned.add(v)

    def hide(self, v: str) -> None:
        self.hidden.add(v)
        self.complementary.add(v)

    def needs_more(self, rel: Relation) -> bool:
        """Exactly one hidden member (it equals the shown ones' difference), or hidden
        parts of a shown total that add up to less than k (each of them is then known
        to be below k). A member never released is unknown to a reader: with one in
        it, the relation reveals nothing by itself."""
        hidden = [m for m in rel.members if m in self.hidden]
        if not hidden or any(m in self.unreleased for m in hidden):
            return False
        if len(hidden) == 1:
            return True
        if rel.total not in self.hidden:
            return sum(self.values[m] for m in hidden) < self.k
        return False

    def cost(self, v: str) -> tuple[float, str]:
        return (self.values[v] * self.p.weights.get(v, 1.0), v)

    def pick(self, rel: Relation) -> str | None:
        options = [m for m in rel.members if self.hideable(m)]
        if not options:
            return None
        return min(options, key=self.cost)

    def complete(self) -> None:
        """Rule 3, iterated until stable (a work list of the relations touched)."""
        queue = list(range(len(self.relations)))
        queued = set(queue)
        while queue:
            i = queue.pop()
            queued.discard(i)
            rel = self.relations[i]
            while self.needs_more(rel):
                chosen = self.pick(rel)
                if chosen is None:
                    break
                self.hide(chosen)
                for j in self.by_member[chosen]:
                    if j not in queued:
                        queued.add(j)
                        queue.append(j)

    def protected(self) -> set[str]:
        """Hidden variables that were released (these need a wide enough range)."""
        return self.primary | self.complementary | (self.p.hidden_before - self.p.known)


# --------------------------------------------------------------------------- LP


def _components(hidden: set[str], relations: Sequence[Relation],
                orders: Sequence[tuple[str, str]]) -> list[list[str]]:
    parent: dict[str, str] = {v: v for v in hidden}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(items: Iterable[str]) -> None:
        roots = [find(x) for x in items]
        for r in roots[1:]:
            parent[find(r)] = find(roots[0])

    for rel in relations:
        union([m for m in rel.members if m in hidden])
    del orders  # orders between two hidden variables are not used (module docstring)
    groups: dict[str, list[str]] = defaultdict(list)
    for v in sorted(hidden):
        groups[find(v)].append(v)
    return list(groups.values())


@dataclass
class _LP:
    names: list[str]
    a_eq: csr_matrix | None
    b_eq: np.ndarray | None
    a_ub: csr_matrix | None
    b_ub: np.ndarray | None
    bounds: list[tuple[float, float | None]]


def _build_lp(component: Sequence[str], hidden: set[str], values: Mapping[str, int],
              relations: Sequence[Relation], orders: Sequence[tuple[str, str]],
              by_member: Mapping[str, Sequence[int]]) -> _LP:
    index = {v: i for i, v in enumerate(component)}
    rel_ids = sorted({j for v in component for j in by_member.get(v, ())})
    rows: list[int] = []
    cols: list[int] = []
    data: list[float] = []
    b_eq: list[float] = []
    for r, j in enumerate(rel_ids):
        rel = relations[j]
        rhs = 0.0
        for m, coef in ((rel.total, 1.0), *((p, -1.0) for p in rel.parts)):
            if m in index:
                rows.append(r)
                cols.append(index[m])
                data.append(coef)
            else:
                rhs -= coef * values[m]
        b_eq.append(rhs)
    lower = [0.0] * len(component)
    upper: list[float | None] = [None] * len(component)
    u_rows: list[int] = []
    u_cols: list[int] = []
    u_data: list[float] = []
    b_ub: list[float] = []
    for a, b in orders:
        ia, ib = index.get(a), index.get(b)
        if ia is not None and b not in hidden:
            cap = float(values[b])
            current = upper[ia]
            upper[ia] = cap if current is None else min(current, cap)
        elif ib is not None and a not in hidden:
            lower[ib] = max(lower[ib], float(values[a]))
    n = len(component)
    a_eq = csr_matrix((data, (rows, cols)), shape=(len(b_eq), n)) if b_eq else None
    a_ub = csr_matrix((u_data, (u_rows, u_cols)), shape=(len(b_ub), n)) if b_ub else None
    return _LP(list(component), a_eq, np.array(b_eq) if b_eq else None, a_ub,
               np.array(b_ub) if b_ub else None, list(zip(lower, upper, strict=True)))


def _solve(lp: _LP, i: int, sense: float) -> tuple[float, np.ndarray | None]:
    """Minimise (sense=1) or maximise (sense=−1) variable i. Returns (value, point)."""
    c = np.zeros(len(lp.names))
    c[i] = sense
    res = linprog(c, A_ub=lp.a_ub, b_ub=lp.b_ub, A_eq=lp.a_eq, b_eq=lp.b_eq,
                  bounds=lp.bounds, method="highs")
    if res.status == 3:  # unbounded
        return (math.inf if sense < 0 else -math.inf), None
    if res.status != 0:
        raise SuppressionError(f"linear program failed ({res.message}); the published "
                               "figures are inconsistent with their totals")
    return float(res.x[i]), res.x


def _solve_direction(lp: _LP, c: np.ndarray) -> np.ndarray | None:
    # Unbounded directions are clipped with a box so that the solver returns a point.
    bounds = [(lo, hi if hi is not None else lo + 1e6) for lo, hi in lp.bounds]
    res = linprog(c, A_ub=lp.a_ub, b_ub=lp.b_ub, A_eq=lp.a_eq, b_eq=lp.b_eq,
                  bounds=bounds, method="highs")
    return res.x if res.status == 0 else None


def feasible_ranges(values: Mapping[str, int], relations: Sequence[Relation],
                    orders: Sequence[tuple[str, str]], hidden: set[str], check: set[str],
                    k: int | None = None,
                    cache: dict[frozenset[str], dict[str, tuple[float, float]]] | None = None,
                    ) -> tuple[dict[str, tuple[float, float]], int]:
    """The range of values each variable in ``check`` can take given the shown values
    (every variable not in ``hidden``), the relations, the orders and non-negativity.

    With ``k``, stops looking once a range is known to be at least ``k`` wide (the
    true point and every LP solution found are feasible, so the spread of the values
    seen is a lower bound of the range). Returns (ranges, number of LP solves).
    """
    by_member: dict[str, list[int]] = defaultdict(list)
    for j, rel in enumerate(relations):
        for m in rel.members:
            by_member[m].append(j)
    out: dict[str, tuple[float, float]] = {}
    solves = 0
    for component in _components(hidden, relations, orders):
        wanted = [v for v in component if v in check]
        if not wanted:
            continue
        signature = frozenset(component)
        if cache is not None and signature in cache:
            # Same hidden variables, hence the same relations and shown values.
            out.update({v: r for v, r in cache[signature].items() if v in check})
            continue
        lp = _build_lp(component, hidden, values, relations, orders, by_member)
        truth = np.array([float(values[v]) for v in component])
        seen_lo = truth.copy()
        seen_hi = truth.copy()
        index = {v: i for i, v in enumerate(component)}
        if k is not None and len(wanted) > 8:
            # A few vertices in random directions certify most ranges at once.
            rng = np.random.default_rng(len(component))
            for _ in range(4):
                point = _solve_direction(lp, rng.standard_normal(len(component)))
                solves += 1
                if point is not None:
                    seen_lo = np.minimum(seen_lo, point)
                    seen_hi = np.maximum(seen_hi, point)
        if k is not None:
            # Push the unproven ones apart in batches: maximise half, minimise the rest.
            rng = np.random.default_rng(len(wanted))
            for _ in range(8):
                todo = [index[v] for v in wanted if seen_hi[index[v]] - seen_lo[index[v]]
                        < k - EPS]
                if len(todo) < 4:
                    break
                c = np.zeros(len(component))
                for i in todo:
                    c[i] = 1.0 if rng.random() < 0.5 else -1.0
                point = _solve_direction(lp, c)
                solves += 1
                if point is not None:
                    seen_lo = np.minimum(seen_lo, point)
                    seen_hi = np.maximum(seen_hi, point)
        for v in sorted(wanted, key=lambda x: (values[x], x)):
            i = index[v]
            if k is not None and seen_hi[i] - seen_lo[i] >= k - EPS:
                out[v] = (float(seen_lo[i]), float(seen_hi[i]))
                continue
            hi, point = _solve(lp, i, -1.0)
            solves += 1
            if point is not None:
                seen_lo = np.minimum(seen_lo, point)
                seen_hi = np.maximum(seen_hi, point)
            if hi == math.inf:
                out[v] = (float(seen_lo[i]), math.inf)
                continue
            if k is not None and hi - seen_lo[i] >= k - EPS:
                out[v] = (float(seen_lo[i]), hi)
                continue
            lo, point = _solve(lp, i, 1.0)
            solves += 1
            if point is not None:
                seen_lo = np.minimum(seen_lo, point)
                seen_hi = np.maximum(seen_hi, point)
            out[v] = (lo, hi)
        if cache is not None:
            cache[signature] = {v: out[v] for v in wanted}
    return out, solves


def narrow(ranges: Mapping[str, tuple[float, float]], k: int) -> list[str]:
    """The variables whose feasible range is less than k wide."""
    return sorted(v for v, (lo, hi) in ranges.items() if hi - lo < k - EPS)


# --------------------------------------------------------------------------- driver


def suppress(problem: Problem, max_rounds: int = 500) -> Result:
    """Apply rules 1–4 of the module docstring and return the cells to hide."""
    state = _State(problem)
    solves = 0
    cache: dict[frozenset[str], dict[str, tuple[float, float]]] = {}
    for rounds in range(1, max_rounds + 1):
        state.complete()
        protected = state.protected()
        ranges, n = feasible_ranges(problem.values, state.relations, problem.orders,
                                    state.hidden, protected, problem.k, cache)
        solves += n
        failing = narrow(ranges, problem.k)
        if not failing:
            return Result(state.primary, state.complementary, ranges, rounds, solves)
        progressed = False
        touched: set[str] = set()
        for v in sorted(failing, key=lambda x: (ranges[x][1] - ranges[x][0], x)):
            if v in touched:
                continue
            lo, hi = ranges[v]
            if (hi - lo < EPS and v in state.complementary and v not in problem.hidden_before):
                state.pin(v)
                progressed = True
                continue
            chosen = _nearest_candidate(state, v)
            if chosen is None:
                continue
            state.hide(chosen)
            progressed = True
            # The variables sharing a relation with the new hidden cell wait for the
            # next round's verification before they get a cell of their own.
            for j in state.by_member.get(chosen, ()):
                touched.update(state.relations[j].members)
        if not progressed:
            raise SuppressionError(
                "Cannot protect " + ", ".join(failing[:5]) + (" …" if len(failing) > 5
                                                               else "")
                + ": every related cell is already hidden or was published before.")
    raise SuppressionError(f"suppression did not settle in {max_rounds} rounds")


def _nearest_candidate(state: _State, start: str) -> str | None:
    """Breadth-first from a failing variable through relations with hidden members:
    the smallest hideable member of the nearest relation that has one."""
    seen = {start}
    frontier = [start]
    while frontier:
        nxt: list[str] = []
        best: str | None = None
        for u in frontier:
            for j in state.by_member.get(u, ()):
                rel = state.relations[j]
                choice = state.pick(rel)
                if choice is not None and (best is None
                                           or state.cost(choice) < state.cost(best)):
                    best = choice
                for m in rel.members:
                    if m in state.hidden and m not in seen:
                        seen.add(m)
                        nxt.append(m)
        if best is not None:
            return best
        frontier = nxt
    # Orders can also narrow a range: hide the shown side of an order.
    for a, b in state.p.orders:
        if a in seen and state.hideable(b):
            return b
        if b in seen and state.hideable(a):
            return a
    return None
