"""The paths that keep imports and lists fast at scale (docs/performance.md) give the
same results as the straightforward ones: the import's batched discipline-involvement
flags equal the service's (R-D2); a reused incident id with an open flag goes through
the service; the list reads a page by ids first and returns the same rows in the same
order; the date filters keep whole local days; the flag filter matches flagged records.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Max

from conftest import World, module_world
from opensro.core import audit, flags
from opensro.core.context import request_context
from opensro.core.models import AuditEvent, Flag, FlagStatus
from opensro.directory import services as ds
from opensro.incidents import selectors, services
from opensro.incidents.imports import COLUMNS, import_incidents
from opensro.incidents.models import Incident, IncidentReason

ORI = "OH0000100"
NY = ZoneInfo("America/New_York")


@pytest.fixture(scope="module")
def shared_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    yield from module_world(
        django_db_blocker,
        lambda world: ds.update_agency(None, world.agency_a, {"ori": ORI}) and None)


def _csv(**changes: str) -> bytes:
    data = dict.fromkeys(COLUMNS, "")
    data.update(source_system="cad", incident_id="D-1", school_nces_id="399999100001",
                agency_ori=ORI, officer_badge="a100", occurred_at="2025-10-14T10:00",
                location="hallway", involvement_source="staff", requester_role="teacher",
                reason="defiance", would_call_911="no", race="WH", sex="F",
                actions="citation", status="submitted")
    data.update(changes)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerow(data)
    return out.getvalue().encode()


def _flag(incident: Incident) -> Flag:
    return Flag.objects.get(kind=services.DISCIPLINE_FLAG, subject_id=str(incident.pk),
                            status=FlagStatus.OPEN)


def test_imported_flag_equals_the_service_flag(w: World) -> None:
    report = import_incidents(_csv(), None)
    assert report.created == 1
    imported = Incident.objects.get(source_record_id="D-1")
    with request_context():
        saved = services.save_incident(None, {
            "school": w.school_a1, "officer": w.officer_a,
            "occurred_at": datetime.datetime(2025, 10, 14, 10, 0, tzinfo=NY),
            "recorded_at": datetime.datetime(2025, 10, 14, 10, 0, tzinfo=NY),
            "location": "hallway", "involvement_source": "staff",
            "requester_role": "teacher", "reason": IncidentReason.objects.get(code="defiance"),
            "would_call_911": "no"},
            [{"race": "WH", "sex": "F", "role": "subject", "citation": True}], submit=True)
    a, b = _flag(imported), _flag(saved)
    same = ("kind", "subject_type", "evidence", "status", "agency_id", "district_id",
            "school_id", "officer_id")
    assert {f: getattr(a, f) for f in same} == {f: getattr(b, f) for f in same}
    assert a.title.replace(imported.number, "") == b.title.replace(saved.number, "")
    event = AuditEvent.objects.get(action="raise_flag", object_id=str(a.pk))
    assert event.after == audit.snapshot(a)
    assert audit.verify_chain()[1] is None


def _next_incident_id() -> int:
    """The id the next incident will get (without using it up)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence('incidents_incident', 'id'))")
            n = int(cursor.fetchone()[0])
            cursor.execute("SELECT setval(pg_get_serial_sequence('incidents_incident', 'id'), "
                           "%s, false)", [n])
            return n
    return int(Incident.objects.aggregate(m=Max("id"))["m"] or 0) + 1


def test_a_reused_id_with_an_open_flag_refreshes_that_flag(w: World) -> None:
    n = _next_incident_id()
    with request_context():
        old = flags.raise_flag(services.DISCIPLINE_FLAG, Incident(pk=n), title="left over",
                               evidence={"old": True})
    report = import_incidents(_csv(incident_id="D-2"), None)
    assert report.created == 1
    incident = Incident.objects.get(source_record_id="D-2")
    assert incident.pk == n
    [flag] = Flag.objects.filter(kind=services.DISCIPLINE_FLAG, subject_id=str(n),
                                 status=FlagStatus.OPEN)
    assert flag.pk == old.pk and flag.evidence["enforcement_actions"] == ["citation"]
    assert AuditEvent.objects.filter(action="refresh_flag", object_id=str(flag.pk)).exists()
    assert audit.verify_chain()[1] is None


def _log(w: World, when: datetime.datetime, action: str = "counselled") -> Incident:
    with request_context():
        return services.save_incident(None, {
            "school": w.school_a1, "officer": w.officer_a, "occurred_at": when,
            "recorded_at": when, "location": "hallway", "involvement_source": "self",
            "reason": IncidentReason.objects.get(code="assault"), "would_call_911": "yes",
            "deescalation": "tried"},
            [{"race": "WH", "sex": "F", "role": "subject", action: True,
              **({"basis": ["probable_cause"], "basis_details": "Seen.",
                  "why_at_school": "Risk.", "probable_cause": "Seen.",
                  "removed_from_public_view": "yes", "arrest_charge": "Assault"}
                 if action == "arrest" else {})}], submit=True)


def test_pages_read_by_ids_equal_the_plain_pages(w: World) -> None:
    start = datetime.datetime(2025, 9, 2, 8, 0, tzinfo=NY)
    for k in range(7):  # two share a time: the id breaks the tie
        _log(w, start + datetime.timedelta(hours=k // 2 * 3))
    qs = selectors.incidents_for(w.users["supervisor"])
    plain = Paginator(qs, 3)
    by_ids = Paginator(selectors.PageOf(qs), 3)
    assert by_ids.count == plain.count and by_ids.num_pages == plain.num_pages
    for number in plain.page_range:
        assert list(by_ids.page(number).object_list) == list(plain.page(number).object_list)
    assert selectors.PageOf(qs, shape=lambda i: i.number)[0:2] == [i.number for i in qs[0:2]]


def test_date_filters_keep_whole_local_days(w: World) -> None:
    late = _log(w, datetime.datetime(2025, 10, 20, 23, 30, tzinfo=NY))   # 03:30 UTC next day
    early = _log(w, datetime.datetime(2025, 10, 21, 0, 10, tzinfo=NY))
    before = _log(w, datetime.datetime(2025, 10, 19, 23, 59, tzinfo=NY))
    qs = selectors.incidents_for(w.users["supervisor"])
    got = set(selectors.filter_incidents(qs, {"date_from": datetime.date(2025, 10, 20),
                                              "date_to": datetime.date(2025, 10, 20)}))
    assert late in got and early not in got and before not in got
    by_date = set(qs.filter(occurred_at__date__gte=datetime.date(2025, 10, 20),
                            occurred_at__date__lte=datetime.date(2025, 10, 20)))
    assert got == by_date


def test_flag_and_action_filters(w: World) -> None:
    flagged = import_incidents(_csv(incident_id="D-9"), None)
    assert flagged.created == 1
    case = Incident.objects.get(source_record_id="D-9")
    arrest = _log(w, datetime.datetime(2025, 10, 22, 9, 0, tzinfo=NY), action="arrest")
    plain = _log(w, datetime.datetime(2025, 10, 22, 10, 0, tzinfo=NY))
    qs = selectors.incidents_for(w.users["supervisor"])
    assert list(selectors.filter_incidents(qs, {"flag": "open"})) == [case]
    assert list(selectors.filter_incidents(qs, {"flag": "any"})) == [case]
    arrests = set(selectors.filter_incidents(qs, {"action": "arrest"}))
    assert arrest in arrests and plain not in arrests and case not in arrests
    with request_context():
        flags.decide_flag(w.users["supervisor"], _flag(case), agree=False, reason="Reviewed.")
    assert list(selectors.filter_incidents(qs, {"flag": "open"})) == []
    assert list(selectors.filter_incidents(qs, {"flag": "any"})) == [case]
