"""Query-count guards for the portal: every public page and file runs the same number of
queries whatever the number of schools, records and releases (they read snapshots)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import World
from opensro.core.context import request_context
from opensro.directory import services as ds
from opensro.transparency import cache as portal_cache
from opensro.transparency import services
from opensro.transparency.tests.helpers import add_records


def _grow(world: World, schools: int, records: int, seed: int) -> None:
    with request_context():
        start = 50 + len(world.objects.get("extra", []))
        for k in range(start, start + schools):
            school = ds.create_school(None, {
                "district": world.district_a, "name": f"Extra {k}",
                "nces_id": f"{world.district_a.nces_id}{k:05d}", "level": "elementary",
                "lowest_grade": "KG", "highest_grade": "05"})
            ds.set_enrollment(None, school, world.year, "BL", "M", 120)
            world.objects.setdefault("extra", []).append(school)
    add_records(world, records, seed=seed)
    services.publish(None, "2025-26", force=True)


def _urls(world: World) -> list[str]:
    a, d, s = world.agency_a.pk, world.district_a.pk, world.school_a1.pk
    return ["/public/", "/public/about-sros/", "/public/data/", "/public/data/dictionary/",
            "/public/data/dictionary.json", f"/public/agency/{a}/", f"/public/district/{d}/",
            f"/public/district/{d}/?measure=search", f"/public/school/{s}/",
            f"/public/data/district/{d}/2025-26.csv", f"/public/data/agency/{a}/2025-26.json",
            f"/public/district/{d}/forest.svg?year=2025-26&measure=contact"]


def _count(client: Client, url: str) -> int:
    portal_cache.clear()  # measure the rendering, not the cache
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("fixed", [True, False], ids=["rendered", "cached"])
def test_portal_queries_do_not_grow_with_rows(world: World, fixed: Any) -> None:
    client = Client()
    _grow(world, 1, 60, seed=1)
    urls = _urls(world)
    for url in urls:
        _count(client, url)  # warm the session and URL resolver
    few = {url: _count(client, url) for url in urls}
    _grow(world, 6, 60, seed=2)
    _grow(world, 0, 10, seed=3)  # and a third release of the year
    many = {url: _count(client, url) for url in urls}
    assert many == few
    assert max(few.values()) <= 6
    if not fixed:
        # Served from the cache: no query at all (the release token is cached too).
        for url in urls:
            client.get(url)
            with CaptureQueriesContext(connection) as ctx:
                client.get(url)
            assert len(ctx.captured_queries) == 0, url
