"""Who sees and changes incident records and activities (architecture rule 3, R-D7, R-D8):
scoped lists, details, exports and writes for every persona through the web pages and the
API; the student pseudonym shown only with an identity grant, and then logged as a
disclosure; the supervisor review flow; save-then-verify; an audit event for every write.

The expected outcomes are written out by hand (``ALLOWED`` and ``VISIBLE``), read off the
models' ``role_permissions`` and ``scope_paths`` and the world below. They are
deliberately not computed with ``restrict()``: the matrix checks the permission code.

The world: conftest's two counties plus, in county A, an incident and an activity of
officer A (the sro persona) at school A1, a draft of officer A, records of officer A's
peer at school A1 and at school A2, and in county B a record of officer B at school B1.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from conftest import PERSONAS, World, module_world
from opensro.core import audit
from opensro.core.choices import Role
from opensro.core.models import AuditEvent, Disclosure, Flag, User
from opensro.core.services import grant_role
from opensro.incidents import choices as c
from opensro.incidents import services
from opensro.incidents.models import Activity, Incident, IncidentReason, Involvement

TZ = ZoneInfo("America/New_York")
WHEN = datetime.datetime(2025, 10, 14, 10, 0, tzinfo=TZ)
STUDENT_ID = "S-4242"

# --------------------------------------------------------------------------- the world

#: name -> (officer, school, submitted?) of the incidents in the world.
INCIDENTS = {
    "i_own": ("officer_a", "school_a1", True),
    "i_own_draft": ("officer_a", "school_a1", False),
    "i_peer_a1": ("peer_a", "school_a1", True),
    "i_peer_a2": ("peer_a", "school_a2", True),
    "i_b": ("officer_b", "school_b1", True),
}
ACTIVITIES = {
    "a_own": ("officer_a", "school_a1"),
    "a_peer_a1": ("peer_a", "school_a1"),
    "a_peer_a2": ("peer_a", "school_a2"),
    "a_b": ("officer_b", "school_b1"),
}


def incident_values(w: World, officer: str, school: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "school": w.objects[school], "officer": w.objects[officer], "occurred_at": WHEN,
        "recorded_at": WHEN + datetime.timedelta(hours=2), "location": c.Location.OFFICE,
        "involvement_source": c.InvolvementSource.SELF_INITIATED,
        "reason": IncidentReason.objects.get(code="assault"), "would_call_911": c.YesNo.YES,
    }
    data.update(changes)
    return data


def a_student(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"race": "BL", "sex": "F", "role": "subject",
                            "referral_counselor": True, "student_id": STUDENT_ID}
    data.update(changes)
    return data


def _records(w: World) -> None:
    for name, (officer, school, submit) in INCIDENTS.items():
        w.objects[name] = services.save_incident(
            None, incident_values(w, officer, school, narrative=f"Record {name}."),
            [a_student()], submit=submit)
    for name, (officer, school) in ACTIVITIES.items():
        w.objects[name] = services.create_activity(None, {
            "officer": w.objects[officer], "school": w.objects[school],
            "date": datetime.date(2025, 10, 20), "kind": c.ActivityKind.CLASS,
            "topic": f"Topic {name}", "participants": 25})


@pytest.fixture(scope="module")
def shared_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    yield from module_world(django_db_blocker, _records)


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def audit_count() -> int:
    return AuditEvent.objects.count()


def stored_counts() -> tuple[int, int, int, int, int]:
    return (Incident.objects.count(), Involvement.objects.count(), Activity.objects.count(),
            AuditEvent.objects.count(), Flag.objects.count())


# --------------------------------------------------------------------------- the table

LIST, DETAIL, CREATE, EDIT = "list", "detail", "create", "edit"
WEB, API = "web", "api"
_ = frozenset
NONE: frozenset[str] = _()
R = _({LIST, DETAIL})
RCE = _({LIST, DETAIL, CREATE, EDIT})

ALLOWED: dict[str, dict[str, frozenset[str]]] = {
    #            incidents         activities
    "sro":            {"incidents": RCE, "activities": RCE},
    "supervisor":     {"incidents": RCE, "activities": RCE},
    "agency_admin":   {"incidents": R, "activities": R},
    "school_admin":   {"incidents": R, "activities": R},
    "district_admin": {"incidents": R, "activities": R},
    # Analysts work from aggregates only: no incident records (R-D7) and no activity
    # records either (they name officers).
    "analyst":        {"incidents": NONE, "activities": NONE},
    "auditor":        {"incidents": R, "activities": R},
    "system_admin":   {"incidents": RCE, "activities": RCE},
    "outsider":       {"incidents": NONE, "activities": NONE},
}

ALL_INCIDENTS = _(INCIDENTS)
ALL_ACTIVITIES = _(ACTIVITIES)
AGENCY_A_INC = _({"i_own", "i_own_draft", "i_peer_a1", "i_peer_a2"})
AGENCY_A_ACT = _({"a_own", "a_peer_a1", "a_peer_a2"})

VISIBLE: dict[str, dict[str, frozenset[str]]] = {
    "sro": {"incidents": _({"i_own", "i_own_draft"}), "activities": _({"a_own"})},
    "supervisor": {"incidents": AGENCY_A_INC, "activities": AGENCY_A_ACT},
    "agency_admin": {"incidents": AGENCY_A_INC, "activities": AGENCY_A_ACT},
    "school_admin": {"incidents": _({"i_own", "i_own_draft", "i_peer_a1"}),
                     "activities": _({"a_own", "a_peer_a1"})},
    "district_admin": {"incidents": AGENCY_A_INC, "activities": AGENCY_A_ACT},
    "analyst": {"incidents": NONE, "activities": NONE},
    "auditor": {"incidents": ALL_INCIDENTS, "activities": ALL_ACTIVITIES},
    "system_admin": {"incidents": ALL_INCIDENTS, "activities": ALL_ACTIVITIES},
    "outsider": {"incidents": NONE, "activities": NONE},
}

#: Records each persona tries to change: its own county's, a peer's, county B's.
EDIT_TARGETS = {"incidents": ("i_own", "i_peer_a1", "i_b"),
                "activities": ("a_own", "a_peer_a1", "a_b")}


def test_table_is_complete_and_consistent() -> None:
    assert set(ALLOWED) == set(VISIBLE) == set(PERSONAS)
    for persona in PERSONAS:
        for kind, everything in (("incidents", ALL_INCIDENTS),
                                 ("activities", ALL_ACTIVITIES)):
            sees = VISIBLE[persona][kind]
            assert sees <= everything
            assert (DETAIL in ALLOWED[persona][kind]) == bool(sees), (persona, kind)
            if persona not in ("auditor", "system_admin"):
                assert "i_b" not in sees and "a_b" not in sees


# --------------------------------------------------------------------------- requests


def web_incident_data(w: World, officer: str, school: str, **changes: str) -> dict[str, str]:
    data = {
        "school": str(w.objects[school].pk), "officer": str(w.objects[officer].pk),
        "occurred_at": "2025-10-15T09:30", "late_entry_reason": "Back-filled from notes.",
        "location": "classroom", "involvement_source": "dispatch", "requester_role": "",
        "reason": str(IncidentReason.objects.get(code="threat_violence").pk),
        "would_call_911": "yes", "deescalation": "", "deescalation_notes": "",
        "narrative": "Web record.",
        "students-TOTAL_FORMS": "1", "students-INITIAL_FORMS": "0",
        "students-MIN_NUM_FORMS": "1", "students-MAX_NUM_FORMS": "1000",
        "students-0-role": "subject", "students-0-race": "HI", "students-0-sex": "M",
        "students-0-offense_severity": "none", "students-0-warning": "on",
        "submit": "1",
    }
    data.update(changes)
    return data


def api_incident_payload(w: World, officer: str, school: str, **changes: Any
                         ) -> dict[str, Any]:
    data: dict[str, Any] = {
        "school_id": w.objects[school].pk, "officer_id": w.objects[officer].pk,
        "occurred_at": "2025-10-15T09:30:00-04:00",
        "recorded_at": "2025-10-15T11:00:00-04:00", "location": "classroom",
        "involvement_source": "dispatch", "reason": "threat_violence",
        "would_call_911": "yes", "narrative": "API record.",
        "students": [{"race": "HI", "sex": "M", "actions": ["warning"]}], "submit": True,
    }
    data.update(changes)
    return data


def web_activity_data(w: World, officer: str, school: str, **changes: str) -> dict[str, str]:
    data = {"officer": str(w.objects[officer].pk), "school": str(w.objects[school].pk),
            "date": "2025-11-03", "kind": "mentoring", "topic": "New mentoring",
            "minutes": "45", "participants": "6", "audience": "Students", "notes": ""}
    data.update(changes)
    return data


def api_activity_payload(w: World, officer: str, school: str, **changes: Any
                         ) -> dict[str, Any]:
    data: dict[str, Any] = {"officer_id": w.objects[officer].pk,
                            "school_id": w.objects[school].pk, "date": "2025-11-03",
                            "kind": "mentoring", "topic": "New mentoring", "participants": 6}
    data.update(changes)
    return data


def listed(kind: str, channel: str, response: Any) -> set[int]:
    if channel == API:
        body = response.json()
        assert body["count"] == len(body["items"])
        return {item["id"] for item in body["items"]}
    prefix = "/incidents/" if kind == "incidents" else "/incidents/activities/"
    return {int(pk) for pk in re.findall(rf'href="{prefix}(\d+)/"', response.content.decode())}


CASES = [(p, k, ch) for p in PERSONAS for k in ("incidents", "activities") for ch in (WEB, API)]
IDS = [f"{p}-{k}-{ch}" for p, k, ch in CASES]


# --------------------------------------------------------------------------- the matrix


@pytest.mark.parametrize(("persona", "kind", "channel"), CASES, ids=IDS)
def test_list(w: World, persona: str, kind: str, channel: str) -> None:
    client = login(w.users[persona])
    expected = {w.objects[name].pk for name in VISIBLE[persona][kind]}
    url = {("incidents", WEB): "/incidents/", ("incidents", API): "/api/incidents",
           ("activities", WEB): "/incidents/activities/",
           ("activities", API): "/api/activities"}[(kind, channel)]
    response = client.get(url, {"page_size": 500} if channel == API else {})
    if LIST not in ALLOWED[persona][kind]:
        if channel == WEB or kind == "incidents":
            assert response.status_code == 403
        else:
            # The activities API answers an empty page; it never leaks a row.
            assert response.status_code == 200
            assert response.json() == {"items": [], "count": 0}
        return
    assert response.status_code == 200
    assert listed(kind, channel, response) == expected


@pytest.mark.parametrize(("persona", "kind", "channel"),
                         [case for case in CASES if case[1:] != ("activities", API)],
                         ids=[i for i, case in zip(IDS, CASES, strict=True)
                              if case[1:] != ("activities", API)])
def test_detail(w: World, persona: str, kind: str, channel: str) -> None:
    client = login(w.users[persona])
    everything = ALL_INCIDENTS if kind == "incidents" else ALL_ACTIVITIES
    for name in sorted(everything):
        obj = w.objects[name]
        if kind == "activities":
            response = client.get(f"/incidents/activities/{obj.pk}/")
            marker = obj.topic
        elif channel == WEB:
            response = client.get(f"/incidents/{obj.pk}/")
            marker = obj.number
        else:
            response = client.get(f"/api/incidents/{obj.pk}")
            marker = obj.number
        if name in VISIBLE[persona][kind]:
            assert response.status_code == 200, name
            if channel == API:
                assert response.json()["id"] == obj.pk
                assert response.json()["number"] == obj.number
            else:
                assert marker in response.content.decode(), name
        else:
            assert response.status_code == 404, (name, response.status_code)
            assert marker not in response.content.decode()
            assert f"Record {name}." not in response.content.decode()


def _created_incident(before_ids: set[int]) -> Incident:
    [new] = Incident.objects.exclude(pk__in=before_ids)
    return new


@pytest.mark.parametrize(("persona", "kind", "channel"), CASES, ids=IDS)
def test_create(w: World, persona: str, kind: str, channel: str) -> None:
    user = w.users[persona]
    client = login(user)
    allowed = CREATE in ALLOWED[persona][kind]
    before = stored_counts()
    model = Incident if kind == "incidents" else Activity
    ids = set(model.objects.values_list("pk", flat=True))
    if kind == "incidents" and channel == WEB:
        assert client.get("/incidents/new/").status_code == (200 if allowed else 403)
        response = client.post("/incidents/new/", web_incident_data(w, "officer_a",
                                                                    "school_a1"))
    elif kind == "incidents":
        response = client.post("/api/incidents", json.dumps(
            api_incident_payload(w, "officer_a", "school_a1")),
            content_type="application/json")
    elif channel == WEB:
        assert client.get("/incidents/activities/new/").status_code == (200 if allowed
                                                                         else 403)
        response = client.post("/incidents/activities/new/",
                               web_activity_data(w, "officer_a", "school_a1"))
    else:
        response = client.post("/api/activities", json.dumps(
            api_activity_payload(w, "officer_a", "school_a1")),
            content_type="application/json")
    if not allowed:
        assert response.status_code == 403, response.content[-500:]
        assert stored_counts() == before
        return
    [created] = model.objects.exclude(pk__in=ids)
    if channel == WEB:
        assert response.status_code == 302, response.content.decode()[-2000:]
        prefix = "/incidents/" if kind == "incidents" else "/incidents/activities/"
        assert response["Location"] == f"{prefix}{created.pk}/"
    else:
        assert response.status_code == 201, response.content
        assert response.json()["id"] == created.pk
    assert created.officer_id == w.officer_a.pk
    assert created.school_id == w.school_a1.pk
    if kind == "incidents":
        assert created.status == c.Status.SUBMITTED
        assert created.involvements.count() == 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert event.actor_id == user.pk
    assert event.object_type == model._meta.label
    assert event.object_id == str(created.pk)
    assert event.action == ("create_submitted" if kind == "incidents" else "create")
    assert event.after == audit.snapshot(model.objects.get(pk=created.pk) if kind ==
                                         "activities" else Incident.audit_queryset().get(
                                             pk=created.pk))
    assert AuditEvent.objects.count() == before[3] + 1


def _edit(w: World, client: Client, kind: str, channel: str, obj: Any, officer: str,
          school: str, text: str) -> Any:
    # An amendment keeps the incident's own time (the web form keeps recorded_at).
    if kind == "incidents" and channel == WEB:
        return client.post(f"/incidents/{obj.pk}/edit/", web_incident_data(
            w, officer, school, occurred_at=WHEN.strftime("%Y-%m-%dT%H:%M"), narrative=text,
            amend_reason="Correcting the narrative."))
    if kind == "incidents":
        return client.put(f"/api/incidents/{obj.pk}", json.dumps(api_incident_payload(
            w, officer, school, occurred_at=WHEN.isoformat(),
            recorded_at=(WHEN + datetime.timedelta(hours=2)).isoformat(), narrative=text,
            amend_reason="Correcting the narrative.")), content_type="application/json")
    return client.post(f"/incidents/activities/{obj.pk}/edit/",
                       web_activity_data(w, officer, school, topic=text))


EDIT_CASES = [case for case in CASES if case[1:] != ("activities", API)]


@pytest.mark.parametrize(("persona", "kind", "channel"), EDIT_CASES,
                         ids=[i for i, case in zip(IDS, CASES, strict=True)
                              if case[1:] != ("activities", API)])
def test_edit(w: World, persona: str, kind: str, channel: str) -> None:
    user = w.users[persona]
    client = login(user)
    spec = INCIDENTS if kind == "incidents" else ACTIVITIES
    model = Incident if kind == "incidents" else Activity
    for name in EDIT_TARGETS[kind]:
        officer, school = spec[name][:2]
        obj = model.objects.get(pk=w.objects[name].pk)
        snap = audit.snapshot(Incident.audit_queryset().get(pk=obj.pk)
                              if kind == "incidents" else obj)
        events = audit_count()
        visible = name in VISIBLE[persona][kind]
        allowed = visible and EDIT in ALLOWED[persona][kind]
        if channel == WEB:
            url = (f"/incidents/{obj.pk}/edit/" if kind == "incidents"
                   else f"/incidents/activities/{obj.pk}/edit/")
            assert client.get(url).status_code == (200 if allowed else 403 if visible
                                                   else 404), name
        text = f"Edited by {persona} ({name})"
        response = _edit(w, client, kind, channel, obj, officer, school, text)
        fresh = (Incident.audit_queryset() if kind == "incidents" else Activity.objects
                 ).get(pk=obj.pk)
        if not allowed:
            assert response.status_code == (403 if visible else 404), (name, response)
            assert audit.snapshot(fresh) == snap
            assert audit_count() == events
            continue
        if channel == WEB:
            assert response.status_code == 302, response.content.decode()[-2000:]
        else:
            assert response.status_code == 200, response.content
        assert audit_count() == events + 1
        event = AuditEvent.objects.order_by("-seq").first()
        assert event is not None
        assert event.actor_id == user.pk
        assert event.object_id == str(obj.pk)
        assert event.before == snap
        assert event.after == audit.snapshot(fresh)
        if kind == "incidents":
            assert fresh.narrative == text
            assert fresh.status == c.Status.AMENDED
            assert event.action == "amend"
            assert event.reason == "Correcting the narrative."
        else:
            assert fresh.topic == text
            assert event.action == "update"


# --------------------------------------------------------------------------- exports


def export_rows(client: Client, query: str = "") -> list[dict[str, str]]:
    response = client.get("/incidents/export.csv" + query)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("persona", PERSONAS)
def test_csv_export_is_scoped(w: World, persona: str) -> None:
    client = login(w.users[persona])
    if LIST not in ALLOWED[persona]["incidents"]:
        assert client.get("/incidents/export.csv").status_code == 403
        return
    rows = export_rows(client)
    expected = {w.objects[name].number for name in VISIBLE[persona]["incidents"]}
    assert {r["incident"] for r in rows} == expected
    assert len(rows) == len(expected)  # one student each
    # Filters narrow the scoped set; they never widen it.
    rows = export_rows(client, f"?school={w.school_b1.pk}")
    assert not {r["incident"] for r in rows} - expected


def test_sro_sees_only_own_records_everywhere(w: World) -> None:
    """The SRO persona, channel by channel: list, detail, API, export."""
    client = login(w.users["sro"])
    own = {w.i_own.pk, w.i_own_draft.pk}
    assert listed("incidents", WEB, client.get("/incidents/")) == own
    assert listed("incidents", API, client.get("/api/incidents")) == own
    for name in ("i_peer_a1", "i_peer_a2", "i_b"):
        pk = w.objects[name].pk
        assert client.get(f"/incidents/{pk}/").status_code == 404
        assert client.get(f"/api/incidents/{pk}").status_code == 404
        assert client.get(f"/incidents/{pk}/edit/").status_code == 404
    assert {r["incident"] for r in export_rows(client)} == {w.i_own.number,
                                                           w.i_own_draft.number}
    # The filter on another officer does not reach their records.
    assert listed("incidents", API, client.get("/api/incidents",
                                               {"officer_id": w.peer_a.pk})) == set()


# --------------------------------------------------------------------------- pseudonyms

VIEWERS = [p for p in PERSONAS if LIST in ALLOWED[p]["incidents"]]


def _pseudonym(w: World) -> str:
    value = Involvement.objects.get(incident=w.i_own).student_pseudonym
    assert len(value) == 64
    return value


@pytest.mark.parametrize("persona", VIEWERS)
def test_pseudonym_hidden_without_identity_grant(w: World, persona: str) -> None:
    pseudonym = _pseudonym(w)
    client = login(w.users[persona])
    page = client.get(f"/incidents/{w.i_own.pk}/").content.decode()
    assert "Race/ethnicity" in page
    assert pseudonym[:16] not in page
    body = client.get(f"/api/incidents/{w.i_own.pk}").json()
    assert [s["student_pseudonym"] for s in body["students"]] == [None]
    assert pseudonym not in json.dumps(body)
    rows = export_rows(client)
    assert rows and all(r["student_pseudonym"] == "" for r in rows)
    assert Disclosure.objects.count() == 0


def _identity_user(w: World, **scope: Any) -> User:
    user = User.objects.create_user(username="records_clerk", password="x")
    grant_role(None, user, Role.SCHOOL_ADMIN, identity=True, **scope)
    return User.objects.get(pk=user.pk)


def test_pseudonym_shown_with_identity_grant_and_logged(w: World) -> None:
    pseudonym = _pseudonym(w)
    user = _identity_user(w, school=w.school_a1)
    client = login(user)

    page = client.get(f"/incidents/{w.i_own.pk}/").content.decode()
    assert pseudonym[:16] in page
    assert "logged as a disclosure" in page
    web = Disclosure.objects.get()
    assert (web.user_id, web.object_type, web.object_id, web.fields, web.channel) == (
        user.pk, "incidents.Incident", str(w.i_own.pk), ["student_pseudonym"], "web")
    assert web.user_label == "records_clerk"

    body = client.get(f"/api/incidents/{w.i_own.pk}").json()
    assert [s["student_pseudonym"] for s in body["students"]] == [pseudonym]
    api = Disclosure.objects.exclude(pk=web.pk).get()
    assert (api.user_id, api.object_type, api.object_id, api.channel) == (
        user.pk, "incidents.Incident", str(w.i_own.pk), "api")

    rows = export_rows(client)
    assert {r["incident"]: r["student_pseudonym"] for r in rows} == {
        w.i_own.number: pseudonym, w.i_own_draft.number: pseudonym,
        w.i_peer_a1.number: pseudonym}
    export = Disclosure.objects.exclude(pk__in=[web.pk, api.pk]).get()
    assert (export.user_id, export.channel, export.object_type, export.fields) == (
        user.pk, "export", "incidents.Involvement", ["student_pseudonym"])
    # The same student at a school of the same district has the same pseudonym; the
    # student in county B has another.
    assert Involvement.objects.get(incident=w.i_peer_a2).student_pseudonym == pseudonym
    assert Involvement.objects.get(incident=w.i_b).student_pseudonym != pseudonym


def test_identity_grant_covers_only_its_own_scope(w: World) -> None:
    """An identity grant over school B1 does not reveal school A1's students, which the
    user reads through a grant without identity."""
    pseudonym = _pseudonym(w)
    user = _identity_user(w, school=w.school_b1)
    grant_role(None, user, Role.SCHOOL_ADMIN, school=w.school_a1)
    user = User.objects.get(pk=user.pk)
    client = login(user)
    assert pseudonym[:16] not in client.get(f"/incidents/{w.i_own.pk}/").content.decode()
    body = client.get(f"/api/incidents/{w.i_own.pk}").json()
    assert [s["student_pseudonym"] for s in body["students"]] == [None]
    rows = {r["incident"]: r["student_pseudonym"] for r in export_rows(client)}
    assert rows[w.i_own.number] == ""
    assert rows[w.i_b.number] == Involvement.objects.get(incident=w.i_b).student_pseudonym
    assert not Disclosure.objects.filter(object_type="incidents.Incident",
                                         object_id=str(w.i_own.pk)).exists()


# --------------------------------------------------------------------------- review flow


def test_review_queue_lists_submitted_records_of_the_agency(w: World) -> None:
    client = login(w.users["supervisor"])
    page = client.get("/incidents/review/")
    assert page.status_code == 200
    queued = {int(pk) for pk in re.findall(r'href="/incidents/(\d+)/"',
                                           page.content.decode())}
    assert queued == {w.i_own.pk, w.i_peer_a1.pk, w.i_peer_a2.pk}  # no draft, no county B


def test_supervisor_reviews_with_comment(w: World) -> None:
    supervisor = w.users["supervisor"]
    client = login(supervisor)
    detail = client.get(f"/incidents/{w.i_own.pk}/").content.decode()
    assert "Mark reviewed" in detail
    events = audit_count()
    response = client.post(f"/incidents/{w.i_own.pk}/review/",
                           {"comment": "Basis well documented."})
    assert response.status_code == 302
    assert response["Location"] == "/incidents/review/"
    fresh = Incident.objects.get(pk=w.i_own.pk)
    assert fresh.status == c.Status.REVIEWED
    assert fresh.reviewed_by_id == supervisor.pk
    assert fresh.review_comment == "Basis well documented."
    assert fresh.reviewed_at is not None
    assert audit_count() == events + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert (event.action, event.actor_id, event.object_id, event.reason) == (
        "review", supervisor.pk, str(w.i_own.pk), "Basis well documented.")
    assert event.before["status"] == "submitted" and event.after["status"] == "reviewed"
    queue = client.get("/incidents/review/").content.decode()
    assert f'href="/incidents/{w.i_own.pk}/"' not in queue
    # A reviewed record is no longer in the queue, so it cannot be reviewed twice.
    assert client.post(f"/incidents/{w.i_own.pk}/review/", {"comment": "x"}).status_code \
        == 404


def test_supervisor_cannot_review_outside_agency_or_a_draft(w: World) -> None:
    client = login(w.users["supervisor"])
    events = audit_count()
    for name in ("i_b", "i_own_draft"):
        response = client.post(f"/incidents/{w.objects[name].pk}/review/", {"comment": "x"})
        assert response.status_code == 404
    response = client.post(f"/api/incidents/{w.i_b.pk}/review", json.dumps({"comment": "x"}),
                           content_type="application/json")
    assert response.status_code == 404
    assert audit_count() == events
    assert Incident.objects.get(pk=w.i_b.pk).status == c.Status.SUBMITTED


def test_supervisor_reviews_through_api(w: World) -> None:
    client = login(w.users["supervisor"])
    response = client.post(f"/api/incidents/{w.i_peer_a2.pk}/review",
                           json.dumps({"comment": "OK"}), content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "reviewed"
    assert response.json()["review_comment"] == "OK"


@pytest.mark.parametrize("persona", ["sro", "school_admin", "district_admin", "auditor"])
def test_other_roles_cannot_review(w: World, persona: str) -> None:
    client = login(w.users[persona])
    events = audit_count()
    assert client.get("/incidents/review/").status_code == 403
    detail = client.get(f"/incidents/{w.i_own.pk}/").content.decode()
    assert "Mark reviewed" not in detail
    assert client.post(f"/incidents/{w.i_own.pk}/review/", {"comment": "x"}).status_code \
        == 404
    response = client.post(f"/api/incidents/{w.i_own.pk}/review",
                           json.dumps({"comment": "x"}), content_type="application/json")
    assert response.status_code == 403
    assert Incident.objects.get(pk=w.i_own.pk).status == c.Status.SUBMITTED
    assert audit_count() == events


def test_review_service_refuses_sro(w: World) -> None:
    with pytest.raises(PermissionDenied):
        services.review_incident(w.users["sro"], w.i_own, "self-review")
    assert Incident.objects.get(pk=w.i_own.pk).status == c.Status.SUBMITTED


# --------------------------------------------------------------------------- save-then-verify


@pytest.mark.parametrize(("officer", "school"), [("peer_a", "school_a1"),
                                                 ("officer_b", "school_b1")])
def test_sro_cannot_record_for_another_officer(w: World, officer: str, school: str) -> None:
    sro = w.users["sro"]
    before = stored_counts()
    # The service writes, finds the record outside the SRO's scope, and rolls back.
    with pytest.raises(PermissionDenied, match="outside your scope"):
        services.save_incident(sro, incident_values(w, officer, school), [a_student()],
                               submit=True)
    assert stored_counts() == before
    client = login(sro)
    # The web form offers only the SRO's own officer record and assigned school.
    response = client.post("/incidents/new/", web_incident_data(w, officer, school))
    assert response.status_code == 400
    assert "officer" in response.context["form"].errors
    # The API does not find the other officer in the SRO's scope.
    response = client.post("/api/incidents", json.dumps(
        api_incident_payload(w, officer, school)), content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] in ("officer_id", "school_id")
    assert stored_counts() == before


def test_sro_cannot_move_own_record_to_a_peer(w: World) -> None:
    sro = w.users["sro"]
    snap = audit.snapshot(Incident.audit_queryset().get(pk=w.i_own.pk))
    before = stored_counts()
    with pytest.raises(PermissionDenied):
        services.save_incident(sro, incident_values(w, "peer_a", "school_a1"), [a_student()],
                               incident=w.i_own, amend_reason="Hand it over.")
    assert audit.snapshot(Incident.audit_queryset().get(pk=w.i_own.pk)) == snap
    assert stored_counts() == before


# --------------------------------------------------------------------------- audit trail


def test_every_write_leaves_an_audit_event(w: World) -> None:
    sro = w.users["sro"]
    client = login(sro)

    def one_event(action: str, object_type: str = "incidents.Incident") -> AuditEvent:
        event = AuditEvent.objects.order_by("-seq").first()
        assert event is not None
        assert AuditEvent.objects.count() == start + 1, action
        assert (event.action, event.object_type, event.actor_id) == (action, object_type,
                                                                     sro.pk)
        return event

    # Autosave while typing: a draft.
    start = audit_count()
    data = web_incident_data(w, "officer_a", "school_a1")
    del data["submit"]
    response = client.post("/incidents/autosave/", data)
    assert response.status_code == 200
    assert "saved" in response.content.decode()
    draft = Incident.objects.exclude(pk__in=[o.pk for o in w.objects.values()
                                             if isinstance(o, Incident)]).get()
    assert draft.status == c.Status.DRAFT
    one_event("create")

    # Save the draft again from the form.
    start = audit_count()
    response = client.post(f"/incidents/{draft.pk}/edit/", {**data, "save_draft": "1",
                                                              "narrative": "More."})
    assert response.status_code == 302
    one_event("update")

    # Submit it.
    start = audit_count()
    assert client.post(f"/incidents/{draft.pk}/submit/").status_code == 302
    assert one_event("submit").after["status"] == "submitted"

    # Amend it.
    start = audit_count()
    response = client.post(f"/incidents/{draft.pk}/edit/", {
        **data, "narrative": "Amended.", "amend_reason": "Typo."})
    assert response.status_code == 302
    assert one_event("amend").reason == "Typo."

    # Activities: create and change.
    start = audit_count()
    response = client.post("/incidents/activities/new/",
                           web_activity_data(w, "officer_a", "school_a1", topic="Trail"))
    assert response.status_code == 302
    activity = Activity.objects.get(topic="Trail")
    one_event("create", "incidents.Activity")
    start = audit_count()
    response = client.post(f"/incidents/activities/{activity.pk}/edit/",
                           web_activity_data(w, "officer_a", "school_a1", topic="Trail 2"))
    assert response.status_code == 302
    one_event("update", "incidents.Activity")

    # A failed write leaves nothing.
    start = audit_count()
    bad = web_incident_data(w, "officer_a", "school_a1", late_entry_reason="")
    assert client.post("/incidents/new/", bad).status_code == 400
    assert audit_count() == start

    checked, problem = audit.verify_chain()
    assert problem is None and checked == audit_count()
    assert audit.verify_state()[1] == []
