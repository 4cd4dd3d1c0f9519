"""Reads for the public portal and the open-data files: published snapshots only (R-E3).

Nothing here touches the live records. Each function runs a fixed number of queries,
whatever the number of schools, records or releases (tests/test_query_counts.py).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from opensro.directory.models import SchoolYear
from opensro.transparency.models import Publication, PublicationRun

#: Fields the lists need (the cells stay in the database).
_LIST_FIELDS = ("id", "run_id", "school_year_id", "scope_kind", "scope_id", "scope_name",
                "published_at")


def latest_release() -> str:
    """The newest release, as "id-timestamp" ("0" when nothing is published): part of
    every cache key, so that a new release shows at once (the timestamp keeps a shared
    cache from mixing up two databases whose release ids coincide)."""
    row = PublicationRun.objects.order_by("-id").values_list("id", "published_at").first()
    if row is None:
        return "0"
    return f"{row[0]}-{int(row[1].timestamp() * 1000)}"


def published_years() -> list[SchoolYear]:
    """School years with at least one publication, newest first (one query)."""
    return list(SchoolYear.objects.filter(
        pk__in=Publication.objects.values("school_year_id")).order_by("-start_date"))


def pick_year(years: list[SchoolYear], code: str | None) -> SchoolYear | None:
    """The year asked for, if published; else the newest published year."""
    for year in years:
        if year.code == code:
            return year
    return years[0] if years else None


def _latest_per_scope(rows: QuerySet[Publication]) -> list[Publication]:
    """Keep the newest publication of each (year, scope) from rows ordered newest first."""
    seen: OrderedDict[tuple[int, str, int], Publication] = OrderedDict()
    for pub in rows:
        seen.setdefault((pub.school_year_id, pub.scope_kind, pub.scope_id), pub)
    return list(seen.values())


def scopes_of_year(year: SchoolYear) -> list[Publication]:
    """The latest publication of every scope in a year, without their cells (one query)."""
    rows = Publication.objects.filter(school_year=year).only(*_LIST_FIELDS).order_by(
        "-published_at", "-id")
    return sorted(_latest_per_scope(rows), key=lambda p: p.scope_name)


def district_contacts(year: SchoolYear) -> list[dict[str, Any]]:
    """Each published district's name and website, for the feedback section (one query)."""
    rows = Publication.objects.filter(school_year=year, scope_kind="district").only(
        *_LIST_FIELDS, "info").order_by("-published_at", "-id")
    out = []
    for pub in sorted(_latest_per_scope(rows), key=lambda p: p.scope_name):
        for d in pub.info.get("districts", []):
            out.append({"name": d.get("name", pub.scope_name), "website": d.get("website")})
    return out


def publication(kind: str, pk: int, year: SchoolYear) -> Publication | None:
    """The latest publication of one scope in one year (one query)."""
    return Publication.objects.filter(school_year=year, scope_kind=kind, scope_id=pk).order_by(
        "-published_at", "-id").first()


def history(kind: str, pk: int) -> list[Publication]:
    """The latest publication of one scope in every year, oldest year first (two queries:
    the ids, then those rows with their cells)."""
    rows = Publication.objects.filter(scope_kind=kind, scope_id=pk).only(
        *_LIST_FIELDS).order_by("-published_at", "-id")
    ids = [p.pk for p in _latest_per_scope(rows)]
    pubs = list(Publication.objects.filter(pk__in=ids).select_related("school_year"))
    return sorted(pubs, key=lambda p: p.school_year.start_date)


@dataclass
class Cell:
    count: int | None
    status: str
    rate: float | None = None
    ratio: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    significant: bool | None = None

    @property
    def hidden(self) -> bool:
        return self.status != "published"


def index(pub: Publication) -> dict[tuple[str, str, str], Cell]:
    """(table, measure, group) → cell, for one publication."""
    out: dict[tuple[str, str, str], Cell] = {}
    for c in pub.cells:
        out[(c["table"], c["measure"], c["group"])] = Cell(
            c.get("count"), c["status"], c.get("rate"), c.get("ratio"),
            c.get("ratio_ci_low"), c.get("ratio_ci_high"), c.get("ratio_significant"))
    return out


def info(pub: Publication) -> dict[str, Any]:
    result: dict[str, Any] = pub.info
    return result
