"""Half-year periods: the unit of the twice-yearly reviews (R-F3) and of the early
warning (R-F1). Fall runs from the first day of the school year to December 31; spring
from January 1 to the last day of the school year. A school year that does not span a
new year is split at its midpoint."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

FALL, SPRING = "fall", "spring"


@dataclass(frozen=True)
class Period:
    """One half of one school year."""

    year_id: int
    year_code: str
    half: str
    start: datetime.date
    end: datetime.date

    @property
    def label(self) -> str:
        return f"{self.year_code} {self.half}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def to_date(self, day: datetime.date) -> datetime.date:
        """The last day counted when looking at the period on ``day``."""
        return min(self.end, day)


def halves(year: Any) -> tuple[Period, Period]:
    """The fall and spring halves of a school year (any object with ``pk``, ``code``,
    ``start_date`` and ``end_date``)."""
    start, end = year.start_date, year.end_date
    new_year = datetime.date(start.year + 1, 1, 1)
    if not start < new_year <= end:
        new_year = start + (end - start) / 2 + datetime.timedelta(days=1)
    return (Period(year.pk, year.code, FALL, start, new_year - datetime.timedelta(days=1)),
            Period(year.pk, year.code, SPRING, new_year, end))


def half(year: Any, which: str) -> Period:
    fall, spring = halves(year)
    return fall if which == FALL else spring


def current_and_previous(years: Iterable[Any], day: datetime.date
                         ) -> tuple[Period | None, Period | None]:
    """The half-year under way on ``day`` (None between school years) and the last one
    that ended before it."""
    periods = sorted((p for y in years for p in halves(y)), key=lambda p: p.start)
    current = next((p for p in periods if p.start <= day <= p.end), None)
    ended = [p for p in periods if p.end < day]
    return current, (ended[-1] if ended else None)
