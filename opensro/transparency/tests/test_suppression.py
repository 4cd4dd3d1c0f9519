"""The suppression engine on small tables (R-E3; docs/transparency.md, "How numbers are
protected"): primary and complementary suppression, earlier releases, and a property
test on random tables checked by an LP written separately from the engine's."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from opensro.transparency.suppression import (
    Problem,
    Relation,
    SuppressionError,
    suppress,
    var_id,
)

K = 10


def table_problem(grid: list[list[int]], k: int = K) -> tuple[Problem, dict[str, int]]:
    """A table with row totals, column totals and a grand total, all released."""
    values: dict[str, int] = {}
    rows, cols = len(grid), len(grid[0])
    for i, j in itertools.product(range(rows), range(cols)):
        values[f"c{i}.{j}"] = grid[i][j]
    for i in range(rows):
        values[f"r{i}"] = sum(grid[i])
    for j in range(cols):
        values[f"k{j}"] = sum(grid[i][j] for i in range(rows))
    values["T"] = sum(map(sum, grid))
    relations = [Relation(f"r{i}", tuple(f"c{i}.{j}" for j in range(cols)))
                 for i in range(rows)]
    relations += [Relation(f"k{j}", tuple(f"c{i}.{j}" for i in range(rows)))
                  for j in range(cols)]
    relations += [Relation("T", tuple(f"r{i}" for i in range(rows))),
                  Relation("T", tuple(f"k{j}" for j in range(cols)))]
    return Problem(values, relations, current=set(values), k=k), values


def ranges_by_lp(values: dict[str, int], relations: list[Relation], hidden: set[str]
                 ) -> dict[str, tuple[float, float]]:
    """Plain dense LP (no decomposition, no shortcuts): min and max of each hidden cell."""
    names = sorted(hidden)
    index = {v: i for i, v in enumerate(names)}
    a_eq, b_eq = [], []
    for rel in relations:
        row = np.zeros(len(names))
        rhs = 0.0
        for m, coef in [(rel.total, 1.0)] + [(p, -1.0) for p in rel.parts]:
            if m in index:
                row[index[m]] += coef
            else:
                rhs -= coef * values[m]
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    out = {}
    for v in names:
        c = np.zeros(len(names))
        c[index[v]] = 1.0
        bounds = []
        for sense in (1.0, -1.0):
            res = linprog(sense * c, A_eq=np.array(a_eq) if a_eq else None,
                          b_eq=np.array(b_eq) if b_eq else None,
                          bounds=[(0, None)] * len(names), method="highs")
            bounds.append(math.inf if res.status == 3 else float(res.x[index[v]]))
        out[v] = (bounds[0], bounds[1])
    return out


def test_a_small_count_is_hidden_with_a_partner() -> None:
    # One row: 3 + 40 + 57 = 100. Hiding only the 3 would let 100 − 40 − 57 reveal it.
    problem = Problem({"T": 100, "a": 3, "b": 40, "c": 57},
                      [Relation("T", ("a", "b", "c"))], current={"T", "a", "b", "c"}, k=K)
    result = suppress(problem)
    assert result.primary == {"a"}
    assert result.complementary == {"b"}  # the smallest other non-zero cell
    lo, hi = ranges_by_lp(problem.values, problem.relations, result.hidden)["a"]
    assert hi - lo >= K


def test_zeros_are_shown_and_never_used_as_partners() -> None:
    problem = Problem({"T": 25, "a": 5, "b": 0, "c": 20},
                      [Relation("T", ("a", "b", "c"))], current={"T", "a", "b", "c"}, k=K)
    result = suppress(problem)
    assert "b" not in result.hidden
    assert result.hidden == {"a", "c"}


def test_hidden_partners_must_hold_at_least_k_between_them() -> None:
    # 3 and 4 hidden together would both be known to lie in 0..7: hide more.
    problem = Problem({"T": 107, "a": 3, "b": 4, "c": 100},
                      [Relation("T", ("a", "b", "c"))], current={"T", "a", "b", "c"}, k=K)
    result = suppress(problem)
    assert result.hidden == {"a", "b", "c"}


def test_the_total_is_hidden_when_no_part_can_be() -> None:
    # Both parts small: the total itself is hidden (it is small too).
    problem = Problem({"T": 8, "a": 3, "b": 5}, [Relation("T", ("a", "b"))],
                      current={"T", "a", "b"}, k=K)
    result = suppress(problem)
    assert result.primary == {"T", "a", "b"}


def test_a_cell_known_from_an_earlier_release_cannot_protect() -> None:
    """Last month the district total (100) was published. Now the school table:
    school A = 3 must be hidden, and so must another school, since the district total
    is known; the shown total's variable cannot be hidden again."""
    values = {var_id("D", 100): 100, var_id("A", 3): 3, var_id("B", 40): 40,
              var_id("C", 57): 57}
    rel = [Relation(var_id("D", 100), (var_id("A", 3), var_id("B", 40), var_id("C", 57)))]
    problem = Problem(values, rel, current={var_id("A", 3), var_id("B", 40),
                                            var_id("C", 57)},
                      known={var_id("D", 100)}, k=K)
    result = suppress(problem)
    assert var_id("D", 100) not in result.hidden
    assert result.hidden == {var_id("A", 3), var_id("B", 40)}


def test_a_cell_hidden_before_stays_hidden_while_unchanged() -> None:
    values = {"T": 100, "a": 3, "b": 40, "c": 57}
    problem = Problem(values, [Relation("T", ("a", "b", "c"))],
                      current={"T", "a", "b", "c"}, hidden_before={"c"}, k=K)
    result = suppress(problem)
    assert "c" in result.complementary  # sticky, although b is smaller
    assert "b" not in result.hidden


def test_an_impossible_protection_is_refused() -> None:
    # Every other member was published before: the 3 could always be worked out.
    values = {"T": 100, "a": 3, "b": 97}
    problem = Problem(values, [Relation("T", ("a", "b"))], current={"a"},
                      known={"T", "b"}, k=K)
    with pytest.raises(SuppressionError, match="Cannot protect"):
        suppress(problem)


def test_cross_table_recovery_is_blocked() -> None:
    """Rows and columns of a 2×3 table: the hidden cells form a pattern that no row or
    column sum can solve, and the LP confirms every range."""
    problem, values = table_problem([[3, 40, 57], [30, 5, 65]])
    result = suppress(problem)
    assert {"c0.0", "c1.1"} <= result.primary
    for cell, (lo, hi) in ranges_by_lp(values, problem.relations, result.hidden).items():
        assert hi - lo >= K, (cell, lo, hi)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 4).flatmap(lambda r: st.integers(2, 4).flatmap(
    lambda c: st.lists(st.lists(st.integers(0, 30), min_size=c, max_size=c),
                       min_size=r, max_size=r))))
def test_random_tables_are_protected(grid: list[list[int]]) -> None:
    """Property: on any small table with its margins, (1) no shown count is between 1
    and k−1, (2) every hidden count's range, by an LP independent of the engine, is at
    least k wide, (3) zeros are never hidden."""
    problem, values = table_problem(grid)
    result = suppress(problem)
    shown = {v: n for v, n in values.items() if v not in result.hidden}
    assert all(n == 0 or n >= K for n in shown.values())
    assert all(values[v] > 0 for v in result.hidden)
    for cell, (lo, hi) in ranges_by_lp(values, problem.relations, result.hidden).items():
        assert hi - lo >= K - 1e-6, (grid, cell, lo, hi, sorted(result.hidden))


def test_the_property_check_can_fail() -> None:
    """Primary suppression alone leaves the 3 recoverable: the LP check catches it."""
    problem, values = table_problem([[3, 40, 57], [30, 20, 65]])
    primary_only = {v for v, n in values.items() if 1 <= n < K}
    lo, hi = ranges_by_lp(values, problem.relations, primary_only)["c0.0"]
    assert (lo, hi) == (3, 3)
