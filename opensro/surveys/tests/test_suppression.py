"""Small-cell suppression (methods.md "Publication safety"): no published count from 1
to k−1, complementary suppression of totals, and no hidden cell recoverable from any
combination of published figures."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from opensro.surveys.suppression import (
    NOT_ASKED,
    Cell,
    Figure,
    combine,
    pool,
    publishable,
    row_total,
)

K = 10


def test_primary_suppression() -> None:
    assert pool([Cell(9, 40)], K) == Figure(None, None, True, 1)
    assert pool([Cell(10, 40)], K) == Figure(10, 4.0, False, 0, True, 40)
    assert pool([Cell(0)], K) == Figure(0, None, False, 0, True, 0)
    assert pool([Cell(1, 5)], K).mean is None  # the mean of a hidden cell is hidden too
    assert [n for n in range(30) if not publishable(n, K)] == list(range(1, 10))


def test_pooling_leaves_out_hidden_cells() -> None:
    fig = pool([Cell(12, 48), Cell(3, 15), Cell(10, 30)], K)
    assert (fig.responses, fig.mean, fig.left_out) == (22, 3.55, 1)


def test_complementary_suppression_of_totals() -> None:
    students, families, staff = pool([Cell(12, 40)], K), pool([Cell(3, 9)], K), pool(
        [Cell(10, 35)], K)
    total = row_total([students, families, staff])
    assert total.suppressed and total.responses is None and total.mean is None
    # With every group shown the total is shown, and it is their sum.
    shown = row_total([students, staff])
    assert (shown.responses, shown.mean) == (22, 3.41)
    # A group not asked does not hide the total.
    assert row_total([students, NOT_ASKED, staff]).responses == 22
    assert row_total([NOT_ASKED, NOT_ASKED]) == NOT_ASKED


def test_combine_published_figures() -> None:
    a = pool([Cell(12, 40)], K)
    b = pool([Cell(4, 12)], K)
    merged = combine([a, b, NOT_ASKED])
    assert (merged.responses, merged.left_out) == (12, 1)
    assert combine([b]).suppressed
    assert combine([NOT_ASKED]) == NOT_ASKED


# A table: schools × groups of atomic cells (n, sum of ratings 1..5).
cells = st.integers(min_value=0, max_value=40).flatmap(
    lambda n: st.tuples(st.just(n), st.integers(min_value=n, max_value=5 * n)))
tables = st.lists(st.lists(cells, min_size=3, max_size=3), min_size=1, max_size=6)


def release(table: list[list[tuple[int, int]]]) -> list[Figure]:
    """Everything published from one table: each school's groups and total, each
    group pooled over schools, and the grand total (as the results pages do)."""
    out: list[Figure] = []
    for school in table:
        figs = [pool([Cell(n, t)], K) for n, t in school]
        out += [*figs, row_total(figs)]
    groups = [pool([Cell(*school[g]) for school in table], K) for g in range(3)]
    out += [*groups, row_total(groups)]
    # The same pooled differently (by school first) must agree.
    by_school = [combine([pool([Cell(*school[g])], K) for school in table]) for g in range(3)]
    assert [(f.responses, f.total) for f in by_school] == [(f.responses, f.total)
                                                          for f in groups]
    return out


@settings(max_examples=300, deadline=None)
@given(tables)
def test_no_published_count_between_1_and_k_minus_1(table: list[list[tuple[int, int]]]
                                                    ) -> None:
    for fig in release(table):
        if fig.suppressed:
            assert fig.responses is None and fig.mean is None
        else:
            assert fig.responses == 0 or fig.responses >= K


@settings(max_examples=300, deadline=None)
@given(tables, st.data())
def test_hidden_cells_cannot_be_recovered(table: list[list[tuple[int, int]]],
                                          data: st.DataObject) -> None:
    """Change every hidden cell to any other hidden value: nothing published changes,
    so no subtraction of published figures can tell what a hidden cell held."""
    other = []
    for school in table:
        row = []
        for n, t in school:
            if 1 <= n < K:
                m = data.draw(st.integers(min_value=1, max_value=K - 1))
                row.append((m, data.draw(st.integers(min_value=m, max_value=5 * m))))
            else:
                row.append((n, t))
        other.append(row)
    assert release(table) == release(other)
