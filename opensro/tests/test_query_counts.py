"""Query-count guards: list pages and list APIs run the same number of queries however
many rows there are (no N+1). Each page is fetched with few rows, then with four times
as many, and the query counts must be equal. The incident list is also guarded with
each of its filters, on a second page, and with flagged records on the page; every
directory list page and list API is guarded too (docs/performance.md)."""

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
from opensro.incidents.services import bulk_create_activities, save_incident

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


def _flagged_incidents(world: World, n: int) -> None:
    """Incidents that raise the discipline-involvement flag (R-D2), so the list shows
    its flag badge on every row."""
    reason = IncidentReason.objects.get(code="defiance")
    with request_context():
        for k in range(n):
            when = datetime.datetime(2025, 11, 3, 9, 0, tzinfo=NY) + datetime.timedelta(hours=k)
            save_incident(None, {
                "school": world.school_a1, "officer": world.officer_a, "occurred_at": when,
                "recorded_at": when, "location": "hallway", "involvement_source": "staff",
                "requester_role": "teacher", "reason": reason, "would_call_911": "no",
                "deescalation": "tried"},
                [{"race": "WH", "sex": "F", "role": "subject", "citation": True}],
                submit=True)


def _activities(world: World, n: int) -> None:
    with request_context():
        bulk_create_activities(None, [
            {"officer": world.officer_a, "school": world.school_a1,
             "date": datetime.date(2025, 9, 1) + datetime.timedelta(days=k % 200),
             "kind": "class", "topic": f"Topic {k}", "participants": 20}
            for k in range(n)])


def _serial(world: World) -> int:
    world.objects["serial"] = world.objects.get("serial", 0) + 1
    return int(world.objects["serial"])


def _districts(world: World, n: int) -> None:
    with request_context():
        for _ in range(n):
            k = _serial(world)
            ds.create_district(None, {"name": f"Extra district {k}",
                                      "nces_id": f"{3990000 + k}", "state": "OH"})


def _agencies(world: World, n: int) -> None:
    with request_context():
        for _ in range(n):
            k = _serial(world)
            ds.create_agency(None, {"name": f"Extra agency {k}", "kind": "police_department",
                                    "state": "OH", "districts_served": [world.district_a]})


def _officers(world: World, n: int) -> None:
    with request_context():
        for _ in range(n):
            k = _serial(world)
            ds.create_officer(None, {"agency": world.agency_a, "first_name": "Extra",
                                     "last_name": f"Officer{k}", "badge_number": f"x{k}",
                                     "date_sworn": datetime.date(2016, 1, 4)})


def _assignments(world: World, n: int) -> None:
    with request_context():
        for _ in range(n):
            k = _serial(world)
            officer = ds.create_officer(None, {
                "agency": world.agency_a, "first_name": "Assigned", "last_name": f"O{k}",
                "badge_number": f"y{k}", "date_sworn": datetime.date(2016, 1, 4)})
            ds.create_assignment(None, {"officer": officer, "school": world.school_a2,
                                        "start_date": datetime.date(2024, 8, 1)})


def _school_years(world: World, n: int) -> None:
    with request_context():
        for _ in range(n):
            start = 1990 + _serial(world)
            ds.create_school_year(None, {"code": f"{start}-{(start + 1) % 100:02d}",
                                         "start_date": datetime.date(start, 8, 20),
                                         "end_date": datetime.date(start + 1, 6, 10)})


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


CASES: list[tuple[str, str, str, Callable[[World, int], None]]] = [
    ("incident list page", "supervisor", "/incidents/", _incidents),
    ("incident list page 2", "supervisor", "/incidents/?page=2", _incidents),
    ("incident list, every filter", "supervisor",
     "/incidents/?date_from=2025-09-01&date_to=2026-06-01&status=submitted"
     "&action=counselled&flag=any", _incidents),
    ("incident list, flagged rows", "supervisor", "/incidents/?flag=open",
     _flagged_incidents),
    ("incident list API", "supervisor", "/api/incidents?page_size=500", _incidents),
    ("incident list API page 2", "supervisor", "/api/incidents?page_size=2&page=2",
     _incidents),
    ("incident list API, filtered", "supervisor",
     "/api/incidents?date_from=2025-09-01&status=submitted&action=counselled", _incidents),
    ("incident CSV export", "supervisor", "/incidents/export.csv", _incidents),
    ("review queue", "supervisor", "/incidents/review/", _incidents),
    ("activity list page", "supervisor", "/incidents/activities/", _activities),
    ("activity list API", "supervisor", "/api/activities?page_size=500", _activities),
    ("district list page", "system_admin", "/directory/districts/", _districts),
    ("district list API", "system_admin", "/api/directory/districts?page_size=500",
     _districts),
    ("agency list page", "system_admin", "/directory/agencies/", _agencies),
    ("agency list API", "system_admin", "/api/directory/agencies?page_size=500", _agencies),
    ("school list page", "district_admin", "/directory/schools/", _schools),
    ("school list API", "district_admin", "/api/directory/schools?page_size=500", _schools),
    ("school year list page", "system_admin", "/directory/school-years/", _school_years),
    ("school year list API", "system_admin", "/api/directory/school-years?page_size=500",
     _school_years),
    ("enrollment list page", "district_admin", "/directory/enrollment/", _schools),
    ("enrollment list API", "district_admin", "/api/directory/enrollment?page_size=500",
     _schools),
    ("officer list page", "agency_admin", "/directory/officers/", _officers),
    ("officer list API", "agency_admin", "/api/directory/officers?page_size=500", _officers),
    ("assignment list page", "agency_admin", "/directory/assignments/", _assignments),
    ("assignment list API", "agency_admin", "/api/directory/assignments?page_size=500",
     _assignments),
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
    grow(world, 12)  # eight times the first count
    many = _count(client, url)
    assert many == few, f"{label}: {few} queries with few rows, {many} with more"
