"""Small-cell suppression for survey results (methods.md, "Publication safety";
architecture rule 5). Pure functions, no database.

The unit of release is an *atomic cell*: the answers of one respondent group to one
question in one survey window (one school). The rules:

1. **Primary suppression.** An atomic cell with 1 to k−1 answers (k =
   ``settings.OPENSRO["MIN_CELL_SIZE"]``) is hidden, and so is its mean. A cell with no
   answers is shown as 0 (it gives nobody away).
2. **Pooling only what is published.** A figure over several cells (a school's year,
   a district, an agency, "all groups") adds up only atomic cells that are published
   themselves. Every figure is therefore a sum of published cells, so no combination
   of figures, in one table or across tables, scopes and periods, can recover a hidden
   cell by subtraction. Figures say how many cells were left out.
3. **Complementary suppression.** A total across respondent groups is hidden whenever
   one of the group figures in its row is hidden, so that "total − the others" cannot
   be read as the hidden group (even though, by rule 2, it would give nothing away).

Consequently no published count lies between 1 and k−1.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Cell:
    """Raw figures of one atomic cell: the number of answers and the sum of their values
    (for a count of responses, ``total`` is unused)."""

    n: int
    total: int = 0


@dataclass(frozen=True)
class Figure:
    """A published figure: ``responses`` and ``mean`` are None when ``suppressed``.
    ``left_out`` counts the atomic cells too small to be included. ``asked`` is False
    where the question was not put to that group (nothing to show)."""

    responses: int | None
    mean: float | None
    suppressed: bool
    left_out: int = 0
    asked: bool = True
    total: int | None = None  # sum of values behind ``mean`` (for pooling), None if hidden

    @property
    def shown(self) -> bool:
        return self.asked and not self.suppressed


NOT_ASKED = Figure(None, None, False, 0, asked=False)


def publishable(n: int, k: int) -> bool:
    """Whether an atomic count may be published: 0, or at least k."""
    if n < 0:
        raise ValueError("a count cannot be negative")
    return n == 0 or n >= k


def _figure(n: int, total: int, left_out: int) -> Figure:
    mean = round(total / n, 2) if n else None
    return Figure(n, mean, False, left_out, True, total)


def pool(cells: Iterable[Cell], k: int) -> Figure:
    """Pool atomic cells, keeping only the publishable ones (rules 1 and 2).

    A figure built from no publishable cell while some were hidden is suppressed."""
    n = total = hidden = 0
    for cell in cells:
        if publishable(cell.n, k):
            n += cell.n
            total += cell.total
        else:
            hidden += 1
    if n == 0 and hidden:
        return Figure(None, None, True, hidden)
    return _figure(n, total, hidden)


def combine(figures: Iterable[Figure]) -> Figure:
    """Pool figures that are already published (e.g. one school's figures into a
    district's). Suppressed parts add nothing and are counted as left out."""
    n = total = left_out = 0
    any_asked = False
    for fig in figures:
        if not fig.asked:
            continue
        any_asked = True
        left_out += fig.left_out
        if not fig.suppressed:
            n += fig.responses or 0
            total += fig.total or 0
    if not any_asked:
        return NOT_ASKED
    if n == 0 and left_out:
        return Figure(None, None, True, left_out)
    return _figure(n, total, left_out)


def row_total(parts: Sequence[Figure]) -> Figure:
    """The total across respondent groups (rule 3): hidden if any part is hidden."""
    asked = [p for p in parts if p.asked]
    if not asked:
        return NOT_ASKED
    if any(p.suppressed for p in asked):
        return Figure(None, None, True, sum(p.left_out for p in asked))
    return _figure(sum(p.responses or 0 for p in asked), sum(p.total or 0 for p in asked),
                   sum(p.left_out for p in asked))
