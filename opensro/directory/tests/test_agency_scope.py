"""An agency administrator cannot widen their own scope by adding districts served."""

from __future__ import annotations

import json

from django.test import Client

from conftest import World
from opensro.core.models import AuditEvent


def test_agency_admin_cannot_add_a_district_served(world: World) -> None:
    admin = world.users["agency_admin"]
    client = Client()
    client.force_login(admin)
    events = AuditEvent.objects.count()
    response = client.patch(
        f"/api/directory/agencies/{world.agency_a.pk}",
        json.dumps({"districts_served": [world.district_a.pk, world.district_b.pk]}),
        content_type="application/json")
    assert response.status_code == 403
    assert "system administrator" in response.json()["detail"]
    world.agency_a.refresh_from_db()
    assert list(world.agency_a.districts_served.all()) == [world.district_a]
    assert AuditEvent.objects.count() == events
    # Other changes to their own agency still work.
    ok = client.patch(f"/api/directory/agencies/{world.agency_a.pk}",
                      json.dumps({"city": "Lakeview"}), content_type="application/json")
    assert ok.status_code == 200 and ok.json()["city"] == "Lakeview"


def test_system_admin_may_change_districts_served(world: World) -> None:
    client = Client()
    client.force_login(world.users["system_admin"])
    response = client.patch(
        f"/api/directory/agencies/{world.agency_a.pk}",
        json.dumps({"districts_served": [world.district_a.pk, world.district_b.pk]}),
        content_type="application/json")
    assert response.status_code == 200
    assert sorted(response.json()["districts_served"]) == sorted(
        [world.district_a.pk, world.district_b.pk])
