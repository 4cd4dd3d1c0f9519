"""The lists of the flag queue and of the supervision pages cost the same number of
queries whatever the number of rows (no query per row)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import World, module_world
from opensro.core.flags import raise_flag
from opensro.directory import services as ds
from opensro.supervision import services
from opensro.supervision.models import EarlyWarningResult
from opensro.supervision.tests import world as sw


@pytest.fixture(scope="module")
def shared_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    yield from module_world(django_db_blocker, sw.prepare)


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def more_rows(world: World) -> None:
    """More flags (one per early-warning result), reviews and evaluations' rows."""
    for result in EarlyWarningResult.objects.select_related("officer__agency"):
        raise_flag("load_test", result, title=f"Load test {result.pk}", evidence={"n": 1},
                   agency=result.officer.agency, officer=result.officer)
    for n in range(3):
        officer = ds.create_officer(None, {
            "agency": world.agency_a, "first_name": "Extra", "last_name": f"Officer{n}",
            "badge_number": f"x{n}", "date_sworn": datetime.date(2015, 1, 5)})
        ds.create_assignment(None, {"officer": officer, "school": world.school_a1,
                                    "start_date": datetime.date(2025, 8, 1)})
    services.plan_reviews(None, sw.OVERDUE_DAY)
    services.evaluate_period(sw.fall(), datetime.date(2025, 11, 15))


@pytest.mark.parametrize("url", [
    "/flags/?status=any", "/api/flags?status=any&page_size=500",
    "/supervision/reviews/?status=all", "/api/supervision/reviews?page_size=500",
    "/supervision/early-warning/", "/api/supervision/early-warning?page_size=500",
])
def test_list_queries_do_not_grow_with_rows(w: World, url: str) -> None:
    client = Client()
    client.force_login(w.users["system_admin"])
    before = queries(client, url)
    more_rows(w)
    assert queries(client, url) == before
