"""The persona matrix of the surveys app: every model × every persona × list, detail,
create, edit, through the web pages and the API (architecture rule 3), plus the results
and the public page.

Expected outcomes are written out by hand (``ALLOWED``, ``VISIBLE``, ``RESULTS``), read
off the models' ``role_permissions`` and ``scope_paths`` and the two-county world of the
root conftest with the survey windows of ``tests/conftest.py``; they are *not*
computed with ``restrict()``.

- Questionnaires and their questions are reference data: every role reads them, nobody
  writes them here (a new version comes by data migration).
- Survey windows and their links: school and district administrators and system
  administrators set them up in their scope; auditors read them; agency-side roles and
  analysts do not see them (they read results).
- Responses and answers: nobody lists or reads one; anyone with a link adds one; the
  result readers read suppressed aggregates of their schools.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from conftest import PERSONAS, World, login
from opensro.core import audit
from opensro.core.models import AuditEvent
from opensro.surveys.models import (
    Answer,
    Campaign,
    Question,
    Questionnaire,
    Response,
    SurveyLink,
)
from opensro.surveys.tests.conftest import current_year

WEB, API = "web", "api"
LIST, DETAIL, CREATE, EDIT = "list", "detail", "create", "edit"
_ = frozenset
NONE: frozenset[str] = _()
R = _({LIST, DETAIL})
RE = _({LIST, DETAIL, EDIT})
RCE = _({LIST, DETAIL, CREATE, EDIT})

MODELS = {
    "questionnaires": Questionnaire, "questions": Question, "windows": Campaign,
    "links": SurveyLink, "responses": Response, "answers": Answer,
}

#: persona -> model -> actions (on the objects the persona sees).
ALLOWED: dict[str, dict[str, frozenset[str]]] = {
    "sro": {"questionnaires": R, "questions": R, "windows": NONE, "links": NONE},
    "supervisor": {"questionnaires": R, "questions": R, "windows": NONE, "links": NONE},
    "agency_admin": {"questionnaires": R, "questions": R, "windows": NONE, "links": NONE},
    "school_admin": {"questionnaires": R, "questions": R, "windows": RCE, "links": RE},
    "district_admin": {"questionnaires": R, "questions": R, "windows": RCE, "links": RE},
    "analyst": {"questionnaires": R, "questions": R, "windows": NONE, "links": NONE},
    "auditor": {"questionnaires": R, "questions": R, "windows": R, "links": R},
    "system_admin": {"questionnaires": R, "questions": R, "windows": RCE, "links": RE},
    "outsider": {"questionnaires": NONE, "questions": NONE, "windows": NONE,
                 "links": NONE},
}
ALL_WINDOWS = _({"window_a1", "window_a2", "window_b1", "window_b2"})
#: persona -> the survey windows (and so their links) the persona sees.
VISIBLE_WINDOWS: dict[str, frozenset[str]] = {
    "sro": NONE, "supervisor": NONE, "agency_admin": NONE,
    "school_admin": _({"window_a1"}),
    "district_admin": _({"window_a1", "window_a2"}),
    "analyst": NONE,
    "auditor": ALL_WINDOWS,
    "system_admin": ALL_WINDOWS,
    "outsider": NONE,
}
#: persona -> the schools whose suppressed results the persona reads.
RESULTS: dict[str, frozenset[str]] = {
    "sro": _({"school_a1"}),
    "supervisor": _({"school_a1", "school_a2"}),
    "agency_admin": _({"school_a1", "school_a2"}),
    "school_admin": _({"school_a1"}),
    "district_admin": _({"school_a1", "school_a2"}),
    "analyst": _({"school_a1", "school_a2", "school_b1", "school_b2"}),
    "auditor": _({"school_a1", "school_a2", "school_b1", "school_b2"}),
    "system_admin": _({"school_a1", "school_a2", "school_b1", "school_b2"}),
    "outsider": NONE,
}
COUNTY_A = ("sro", "supervisor", "agency_admin", "school_admin", "district_admin")


def test_matrix_covers_every_scoped_surveys_model() -> None:
    scoped = {m for m in apps.get_app_config("surveys").get_models()
              if getattr(m, "scope_paths", None)}
    assert scoped == set(MODELS.values())
    assert set(ALLOWED) == set(VISIBLE_WINDOWS) == set(RESULTS) == set(PERSONAS)


def test_table_is_consistent() -> None:
    for persona in PERSONAS:
        sees = VISIBLE_WINDOWS[persona]
        assert (DETAIL in ALLOWED[persona]["windows"]) == bool(sees)
        if persona in COUNTY_A:
            assert not {s for s in sees if s.endswith(("b1", "b2"))}
            assert not {s for s in RESULTS[persona] if s.endswith(("b1", "b2"))}


def audit_state() -> tuple[int, int]:
    return AuditEvent.objects.count(), AuditEvent.objects.order_by("-seq").values_list(
        "seq", flat=True).first() or 0


CASES = [(p, c) for p in PERSONAS for c in (WEB, API)]
IDS = [f"{p}-{c}" for p, c in CASES]


# --------------------------------------------------------------------------- questionnaires


@pytest.mark.parametrize(("persona", "channel"), CASES, ids=IDS)
def test_questionnaires_and_questions(w: World, persona: str, channel: str) -> None:
    client = login(w, persona)
    allowed = ALLOWED[persona]["questionnaires"]
    items = list(Questionnaire.objects.order_by("pk"))
    assert len(items) == 3
    question = Question.objects.filter(questionnaire=items[0]).first()
    assert question is not None
    if channel == WEB:
        listing = client.get("/surveys/questionnaires/")
        detail = client.get(f"/surveys/questionnaires/{items[0].pk}/")
        if LIST not in allowed:
            assert listing.status_code == 403
            assert detail.status_code == 404
            assert question.text_en not in detail.content.decode()
        else:
            assert listing.status_code == 200
            ids = {int(x) for x in re.findall(r'href="/surveys/questionnaires/(\d+)/"',
                                              listing.content.decode())}
            assert ids == {q.pk for q in items}
            assert detail.status_code == 200
            body = detail.content.decode()
            assert question.text_en in body and question.text_es in body
        # No page creates or edits a questionnaire.
        assert client.get("/surveys/questionnaires/new/").status_code == 404
        assert client.post(f"/surveys/questionnaires/{items[0].pk}/edit/").status_code == 404
    else:
        listing = client.get("/api/surveys/questionnaires")
        detail = client.get(f"/api/surveys/questionnaires/{items[0].pk}")
        assert listing.status_code == 200
        if LIST not in allowed:
            assert listing.json() == {"items": [], "count": 0}
            assert detail.status_code == 404
        else:
            assert {q["id"] for q in listing.json()["items"]} == {q.pk for q in items}
            assert detail.status_code == 200
            texts = {q["text_es"] for q in detail.json()["questions"]}
            assert question.text_es in texts
        before = Questionnaire.objects.count(), Question.objects.count(), audit_state()
        assert client.post("/api/surveys/questionnaires", "{}",
                           content_type="application/json").status_code in (404, 405)
        assert client.patch(f"/api/surveys/questionnaires/{items[0].pk}", "{}",
                            content_type="application/json").status_code in (404, 405)
        assert (Questionnaire.objects.count(), Question.objects.count(),
                audit_state()) == before


# --------------------------------------------------------------------------- windows


def _listed_windows(response: Any, channel: str) -> set[int]:
    if channel == API:
        body = response.json()
        assert body["count"] == len(body["items"])
        return {item["id"] for item in body["items"]}
    return {int(pk) for pk in re.findall(r'href="/surveys/windows/(\d+)/"',
                                         response.content.decode())}


@pytest.mark.parametrize(("persona", "channel"), CASES, ids=IDS)
def test_window_list(w: World, persona: str, channel: str) -> None:
    client = login(w, persona)
    expected = {w.objects[n].pk for n in VISIBLE_WINDOWS[persona]}
    if channel == WEB:
        response = client.get("/surveys/windows/")
        if LIST not in ALLOWED[persona]["windows"]:
            assert response.status_code == 403
            return
    else:
        response = client.get("/api/surveys/windows", {"page_size": 500})
        if LIST not in ALLOWED[persona]["windows"]:
            assert response.status_code == 200
            assert response.json() == {"items": [], "count": 0}
            return
    assert response.status_code == 200
    assert _listed_windows(response, channel) == expected


@pytest.mark.parametrize(("persona", "channel"), CASES, ids=IDS)
def test_window_and_link_detail(w: World, persona: str, channel: str) -> None:
    client = login(w, persona)
    for name in sorted(ALL_WINDOWS):
        window = w.objects[name]
        tokens = [link.token for link in window.links.all()]
        if channel == WEB:
            response = client.get(f"/surveys/windows/{window.pk}/")
        else:
            response = client.get(f"/api/surveys/windows/{window.pk}")
        body = response.content.decode()
        if name in VISIBLE_WINDOWS[persona]:
            assert response.status_code == 200, name
            for token in tokens:  # the links (and QR codes) come with the window
                assert f"/surveys/s/{token}/" in body
            if channel == API:
                counts = {c["group"]: c["responses"] for c in response.json()["responses"]}
                assert all(n is None or n == 0 or n >= 10 for n in counts.values())
        else:
            assert response.status_code == 404, name
            for token in tokens:
                assert token not in body


def _create_payload(world: World, channel: str) -> dict[str, Any]:
    today = datetime.date.today()
    base = {"opens_on": today.isoformat(),
            "closes_on": (today + datetime.timedelta(days=10)).isoformat(),
            "name": "Matrix window"}
    if channel == WEB:
        return {**base, "school": str(world.school_a1.pk), "groups": ["student", "staff"]}
    return {**base, "school_id": world.school_a1.pk, "groups": ["student", "staff"]}


@pytest.mark.parametrize(("persona", "channel"), CASES, ids=IDS)
def test_window_create(w: World, persona: str, channel: str) -> None:
    current_year()
    user = w.users[persona]
    client = login(w, persona)
    # School A1 is in county A: inside the scope of every county-A manager.
    allowed = CREATE in ALLOWED[persona]["windows"]
    rows = Campaign.objects.count(), SurveyLink.objects.count()
    before = audit_state()
    if channel == WEB:
        assert client.get("/surveys/windows/new/").status_code == (200 if allowed else 403)
        response = client.post("/surveys/windows/new/", _create_payload(w, WEB))
    else:
        response = client.post("/api/surveys/windows", json.dumps(_create_payload(w, API)),
                               content_type="application/json")
    found = Campaign.objects.filter(name="Matrix window")
    if not allowed:
        assert response.status_code in (403, 404), response.content
        assert not found.exists()
        assert (Campaign.objects.count(), SurveyLink.objects.count()) == rows
        assert audit_state() == before
        return
    created = found.get()
    if channel == WEB:
        assert response.status_code == 302, response.content.decode()[-2000:]
        assert response["Location"] == f"/surveys/windows/{created.pk}/"
    else:
        assert response.status_code == 201, response.content
        assert response.json()["id"] == created.pk
        assert {link["group"] for link in response.json()["links"]} == {"student", "staff"}
    assert created.school_id == w.school_a1.pk and created.groups == ["student", "staff"]
    assert SurveyLink.objects.count() == rows[1] + 2
    assert AuditEvent.objects.count() == before[0] + 3
    event = AuditEvent.objects.get(object_type="surveys.Campaign", object_id=str(created.pk))
    assert (event.actor_id, event.action, event.before) == (user.pk, "create", None)
    assert event.after == audit.snapshot(created)
    for link in created.links.all():
        link_event = AuditEvent.objects.get(object_type="surveys.SurveyLink",
                                            object_id=str(link.pk))
        assert link_event.actor_id == user.pk


@pytest.mark.parametrize(("persona", "channel"), CASES, ids=IDS)
def test_window_edit(w: World, persona: str, channel: str) -> None:
    user = w.users[persona]
    client = login(w, persona)
    for name in ("window_a1", "window_b1"):
        window = Campaign.objects.get(pk=w.objects[name].pk)
        before = audit.snapshot(window)
        state = audit_state()
        visible = name in VISIBLE_WINDOWS[persona]
        allowed = EDIT in ALLOWED[persona]["windows"] and visible
        new_name = f"Renamed {name}"
        if channel == WEB:
            page = client.get(f"/surveys/windows/{window.pk}/edit/")
            assert page.status_code == (200 if allowed else 403 if visible else 404), name
            data = {"school": str(window.school_id), "name": new_name,
                    "opens_on": window.opens_on.isoformat(),
                    "closes_on": window.closes_on.isoformat(), "groups": window.groups}
            response = client.post(f"/surveys/windows/{window.pk}/edit/", data)
        else:
            response = client.patch(f"/api/surveys/windows/{window.pk}",
                                    json.dumps({"name": new_name}),
                                    content_type="application/json")
        fresh = Campaign.objects.get(pk=window.pk)
        if not allowed:
            assert response.status_code == (403 if visible else 404), (name,
                                                                       response.content)
            assert audit.snapshot(fresh) == before
            assert audit_state() == state
            continue
        if channel == WEB:
            assert response.status_code == 302, response.content.decode()[-2000:]
        else:
            assert response.status_code == 200, response.content
        assert fresh.name == new_name
        assert AuditEvent.objects.count() == state[0] + 1
        event = AuditEvent.objects.order_by("-seq").first()
        assert event is not None
        assert (event.actor_id, event.action, event.object_id) == (user.pk, "update",
                                                                   str(window.pk))
        assert event.before == before and event.after == audit.snapshot(fresh)


@pytest.mark.parametrize(("persona", "channel"), CASES, ids=IDS)
def test_link_edit_is_a_new_link(w: World, persona: str, channel: str) -> None:
    """Editing a link means issuing it a new token (the only change a link takes)."""
    from opensro.surveys.tests.conftest import open_window

    client = login(w, persona)
    for school in ("school_a1", "school_b1"):
        window = open_window(w, school)
        link = window.links.get(group="student")
        old = link.token
        state = audit_state()
        visible = f"window_{school[-2:]}" in VISIBLE_WINDOWS[persona]
        allowed = EDIT in ALLOWED[persona]["links"] and visible
        if channel == WEB:
            response = client.post(f"/surveys/windows/{window.pk}/links/student/renew/",
                                   {"reason": "matrix"})
        else:
            response = client.post(f"/api/surveys/windows/{window.pk}/links/student/renew",
                                   json.dumps({"reason": "matrix"}),
                                   content_type="application/json")
        link.refresh_from_db()
        if not allowed:
            assert response.status_code == (403 if visible else 404), school
            assert link.token == old and audit_state() == state
            continue
        assert response.status_code == (302 if channel == WEB else 200)
        assert link.token != old
        assert AuditEvent.objects.count() == state[0] + 1


# --------------------------------------------------------------------------- responses


@pytest.mark.parametrize(("persona", "channel"), CASES, ids=IDS)
def test_responses_are_never_listed_or_read_one_by_one(w: World, persona: str,
                                                       channel: str) -> None:
    client = login(w, persona)
    response = Response.objects.filter(campaign=w.window_a1).first()
    answer = Answer.objects.filter(response__campaign=w.window_a1).first()
    assert response is not None and answer is not None
    if channel == WEB:
        urls = ["/surveys/responses/", f"/surveys/responses/{response.pk}/",
                "/surveys/answers/", f"/surveys/answers/{answer.pk}/"]
    else:
        urls = ["/api/surveys/responses", f"/api/surveys/responses/{response.pk}",
                "/api/surveys/answers", f"/api/surveys/answers/{answer.pk}"]
    for url in urls:
        assert client.get(url).status_code == 404, url
    # Nor is a response changed after it was sent.
    before = Response.objects.count(), Answer.objects.count()
    if channel == API:
        assert client.patch(f"/api/surveys/responses/{response.pk}", "{}",
                            content_type="application/json").status_code in (404, 405)
    assert (Response.objects.count(), Answer.objects.count()) == before


@pytest.mark.parametrize("persona", [*PERSONAS, "anonymous"])
def test_anyone_with_the_link_adds_a_response(w: World, persona: str) -> None:
    from opensro.surveys.tests.conftest import open_window

    window = open_window(w, "school_b1")
    link = window.links.get(group="staff")
    client = Client() if persona == "anonymous" else login(w, persona)
    page = client.get(f"/surveys/s/{link.token}/").content.decode()
    ticket = re.search(r'name="ticket" value="([^"]+)"', page)
    assert ticket is not None
    data = {"ticket": ticket.group(1),
            **{f"q{q.pk}": "3" for q in link.questionnaire.questions.all()}}
    state = audit_state()
    sent = client.post(f"/surveys/s/{link.token}/", data)
    assert sent.status_code == 302
    assert Response.objects.filter(campaign=window).count() == 1
    assert audit_state() == state  # anonymous: no audit event, not even the user's


@pytest.mark.parametrize(("persona", "channel"), CASES, ids=IDS)
def test_results_scope(w: World, persona: str, channel: str) -> None:
    client = login(w, persona)
    expected = {str(w.objects[s]) for s in RESULTS[persona]}
    if channel == WEB:
        response = client.get("/surveys/results/", {"year": "2025-26"})
        if not expected:
            assert response.status_code == 403
            return
        body = response.content.decode()
        for school in ("school_a1", "school_a2", "school_b1", "school_b2"):
            assert (str(w.objects[school]) in body) == (str(w.objects[school]) in expected)
    else:
        response = client.get("/api/surveys/results", {"school_year": "2025-26"})
        if not expected:
            assert response.status_code == 403
            return
        assert {s["school"] for s in response.json()["schools"]} == expected
    assert response.status_code == 200


# --------------------------------------------------------------------------- other views


@pytest.mark.parametrize("persona", PERSONAS)
def test_qr_downloads(w: World, persona: str) -> None:
    client = login(w, persona)
    for name in sorted(ALL_WINDOWS):
        window = w.objects[name]
        for fmt in ("svg", "png"):
            response = client.get(f"/surveys/windows/{window.pk}/links/student/qr.{fmt}")
            expected = 200 if name in VISIBLE_WINDOWS[persona] else 404
            assert response.status_code == expected, (name, fmt)


@pytest.mark.parametrize("persona", PERSONAS)
def test_window_delete(w: World, persona: str) -> None:
    from opensro.surveys.tests.conftest import open_window

    client = login(w, persona)
    for school in ("school_a1", "school_b1"):
        window = open_window(w, school)
        links = list(window.links.values_list("pk", flat=True))
        state = audit_state()
        visible = f"window_{school[-2:]}" in VISIBLE_WINDOWS[persona]
        allowed = EDIT in ALLOWED[persona]["windows"] and visible
        response = client.post(f"/surveys/windows/{window.pk}/delete/",
                               {"reason": "Set up twice"})
        if not allowed:
            assert response.status_code == (403 if visible else 404), school
            assert Campaign.objects.filter(pk=window.pk).exists()
            assert audit_state() == state
            continue
        assert response.status_code == 302
        assert not Campaign.objects.filter(pk=window.pk).exists()
        assert not SurveyLink.objects.filter(pk__in=links).exists()
        assert AuditEvent.objects.count() == state[0] + 1 + len(links)
        assert AuditEvent.objects.filter(action="delete", actor=w.users[persona],
                                         object_id=str(window.pk)).exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_school_results_api(w: World, persona: str) -> None:
    client = login(w, persona)
    for school in ("school_a1", "school_b1"):
        response = client.get(f"/api/surveys/results/schools/{w.objects[school].pk}",
                              {"start": "2025-08-18", "end": "2026-06-12"})
        if not RESULTS[persona]:
            assert response.status_code == 403
        elif school in RESULTS[persona]:
            assert response.status_code == 200
            assert response.json(), school
        else:
            assert response.status_code == 404, school
