"""Query-count guards: list pages and list APIs run the same number of queries however
many rows there are (no N+1). Each page is fetched with few rows, then with three times
as many, and the query counts must be equal."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import World
from opensro.core.context import request_context
from opensro.directory import services as ds
from opensro.incidents.models import IncidentReason
from opensro.incidents.services import save_incident

NY = ZoneInfo("America/New_York")


def _incidents(world: World, n: int) -> None:
    reason = IncidentReason.objects.get(code="assault")
    with request_context():
        for k in range(n):
            when = datetime.datetime(2025, 10, 1, 9, 0, tzinfo=NY) + datetime.timedelta(hours=k)
            save_incident(None, {
                "school": world.school_a1, "officer": world.officer_a, "occurred_at": when,
                "recorded_at": when, "location": "hallway", "involvement_source": "self",
                "reason": reason, "would_call_911": "yes", "deescalation": "tried"},
                [{"race": "WH", "sex": "F", "role": "subject", "counselled": True},
                 {"race": "BL", "sex": "M", "role": "witness", "counselled": True}],
                submit=True)


def _schools(world: World, n: int) -> None:
    start = 10 + len(world.objects.get("extra_schools", []))
    made = []
    with request_context():
        for k in range(start, start + n):
            made.append(ds.create_school(None, {
                "district": world.district_a, "name": f"Extra {k}",
                "nces_id": f"{world.district_a.nces_id}{k:05d}", "level": "elementary",
                "lowest_grade": "KG", "highest_grade": "05"}))
            ds.set_enrollment(None, made[-1], world.year, "WH", "M", 100)
    world.objects["extra_schools"] = world.objects.get("extra_schools", []) + made


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


CASES: list[tuple[str, str, str, Callable[[World, int], None]]] = [
    ("incident list page", "supervisor", "/incidents/", _incidents),
    ("incident list API", "supervisor", "/api/incidents?page_size=500", _incidents),
    ("incident CSV export", "supervisor", "/incidents/export.csv", _incidents),
    ("review queue", "supervisor", "/incidents/review/", _incidents),
    ("school list page", "district_admin", "/directory/schools/", _schools),
    ("school list API", "district_admin", "/api/directory/schools?page_size=500", _schools),
    ("enrollment list API", "district_admin", "/api/directory/enrollment?page_size=500",
     _schools),
    ("dashboard", "district_admin", "/dashboard/", _schools),
]


@pytest.mark.parametrize(("label", "persona", "url", "grow"), CASES,
                         ids=[c[0] for c in CASES])
def test_queries_do_not_grow_with_rows(world: World, label: str, persona: str, url: str,
                                       grow: Callable[[World, int], Any]) -> None:
    client = Client()
    client.force_login(world.users[persona])
    grow(world, 3)
    _count(client, url)  # warm the session and caches
    few = _count(client, url)
    grow(world, 9)
    many = _count(client, url)
    assert many == few, f"{label}: {few} queries with few rows, {many} with more"
