"""Draft autosave (htmx) and the CSV export of what a user may see (R-D1, R-D7)."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.test import Client

from conftest import World
from opensro.core.models import AuditEvent
from opensro.incidents.models import Incident, IncidentReason


def _form(world: World, **extra: Any) -> dict[str, Any]:
    data = {
        "school": world.school_a1.pk, "officer": world.officer_a.pk,
        "occurred_at": "2025-10-14T10:00", "location": "hallway",
        "involvement_source": "self", "reason": IncidentReason.objects.get(code="assault").pk,
        "would_call_911": "yes", "deescalation": "tried",
        "students-TOTAL_FORMS": "1", "students-INITIAL_FORMS": "0",
        "students-MIN_NUM_FORMS": "1", "students-MAX_NUM_FORMS": "1000",
        "students-0-role": "subject", "students-0-race": "HI", "students-0-sex": "M",
        "students-0-counselled": "on",
    }
    data.update(extra)
    return data


def test_autosave_creates_then_updates_one_draft(world: World) -> None:
    client = Client()
    client.force_login(world.users["sro"])
    first = client.post("/incidents/autosave/", _form(world), HTTP_HX_REQUEST="true")
    assert first.status_code == 200
    draft = Incident.objects.get()
    assert draft.status == "draft"
    body = first.content.decode()
    assert f'value="{draft.pk}"' in body and 'hx-swap-oob="true"' in body
    assert "saved" in body
    # The next autosave carries the draft id and changes the same record.
    second = client.post("/incidents/autosave/", _form(
        world, draft_id=str(draft.pk), narrative="Student calmed down."))
    assert second.status_code == 200
    assert Incident.objects.count() == 1
    draft.refresh_from_db()
    assert draft.narrative == "Student calmed down."
    assert AuditEvent.objects.filter(object_type="incidents.Incident",
                                     object_id=str(draft.pk)).count() == 2


def test_autosave_says_what_is_missing_and_stores_nothing(world: World) -> None:
    client = Client()
    client.force_login(world.users["sro"])
    response = client.post("/incidents/autosave/", _form(world, location=""))
    assert response.status_code == 200
    assert "Not saved yet" in response.content.decode()
    assert "Location" in response.content.decode()
    assert not Incident.objects.exists()


def test_autosave_refused_for_roles_that_do_not_record(world: World) -> None:
    for name in ("school_admin", "analyst", "outsider"):
        client = Client()
        client.force_login(world.users[name])
        assert client.post("/incidents/autosave/", _form(world)).status_code == 403
    assert not Incident.objects.exists()


def test_csv_export_lists_only_what_the_user_may_see(world: World) -> None:
    client = Client()
    client.force_login(world.users["sro"])
    client.post("/incidents/new/", _form(world, submit="1", **{
        "late_entry_reason": "Entered from notes.", "students-0-student_id": "S-1001"}))
    assert Incident.objects.filter(status="submitted").count() == 1
    for name, expected in (("sro", 1), ("school_admin", 1), ("district_admin", 1),
                           ("supervisor", 1)):
        c = Client()
        c.force_login(world.users[name])
        response = c.get("/incidents/export.csv")
        rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content)
                                               .decode())))
        assert len(rows) == expected, name
        assert rows[0]["race"] == "HI"
        assert rows[0]["student_pseudonym"] == "", "no identity grant, no pseudonym"
        assert "S-1001" not in str(rows)
    outsider = Client()
    outsider.force_login(world.users["outsider"])
    assert outsider.get("/incidents/export.csv").status_code == 403
