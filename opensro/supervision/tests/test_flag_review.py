"""The flag review queue (core flag pages and API): who sees which flag, the filters, the
evidence, and the decision (R-F1: every flag needs a person's decision, agree with the
action taken or dismiss with a reason; flags and decisions are never public).

Expected access is written out by hand (``VISIBLE``, ``DECIDES``) from ``Flag``'s
``role_permissions`` and ``scope_paths`` and the flags of ``tests/world.py``:
early-warning flags carry the agency and the officer only; discipline-involvement and
overdue-review flags carry the agency, district, school and officer.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from conftest import PERSONAS, World, last_seq, login, module_world
from opensro.core.flag_views import render_evidence
from opensro.core.models import AuditEvent, Flag, FlagStatus
from opensro.supervision.tests import world as sw


@pytest.fixture(scope="module")
def shared_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    yield from module_world(django_db_blocker, sw.prepare)


NAMED = ("flag_ew_a", "flag_ew_peer_a", "flag_ew_b", "flag_disc_a", "flag_disc_peer_a",
         "flag_disc_b", "flag_disc_peer_b", "flag_rev_a1", "flag_rev_a2", "flag_rev_b1",
         "flag_rev_b2")
_ = frozenset
AGENCY_A = _({"flag_ew_a", "flag_ew_peer_a", "flag_disc_a", "flag_disc_peer_a",
              "flag_rev_a1", "flag_rev_a2"})
VISIBLE: dict[str, frozenset[str]] = {
    # The SRO: only flags about themselves, of every kind; never a peer's.
    "sro": _({"flag_ew_a", "flag_disc_a", "flag_rev_a1"}),
    "supervisor": AGENCY_A,
    "agency_admin": AGENCY_A,
    # School A1's administrator: the flags raised on the school; no early warning.
    "school_admin": _({"flag_disc_a", "flag_rev_a1"}),
    "district_admin": _({"flag_disc_a", "flag_disc_peer_a", "flag_rev_a1", "flag_rev_a2"}),
    "analyst": _(),
    "auditor": _(NAMED),
    "system_admin": _(NAMED),
    "outsider": _(),
}
#: Who may decide the flags they see.
DECIDES = {"supervisor", "agency_admin", "district_admin", "system_admin"}
NO_QUEUE = {"analyst", "outsider"}


def listed(response: Any, channel: str) -> set[int]:
    if channel == "api":
        body = response.json()
        return {item["id"] for item in body["items"]}
    return {int(pk) for pk in re.findall(r'href="/flags/(\d+)/"', response.content.decode())}


def named_ids(world: World, names: Any) -> set[int]:
    return {world.objects[n].pk for n in names}


def events_after(seq: int) -> Any:
    return AuditEvent.objects.filter(seq__gt=seq)


def test_world_has_every_named_flag_open(w: World) -> None:
    for name in NAMED:
        assert w.objects[name].status == FlagStatus.OPEN, name
    assert w.flag_ew_a.school_id is None and w.flag_ew_a.district_id is None
    assert w.flag_disc_peer_a.school_id == w.school_a2.pk


@pytest.mark.parametrize("channel", ["web", "api"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_queue_lists_only_flags_in_scope(w: World, persona: str, channel: str) -> None:
    client = login(w, persona)
    if channel == "web":
        response = client.get("/flags/", {"status": "any"})
    else:
        response = client.get("/api/flags", {"status": "any", "page_size": 500})
    if persona in NO_QUEUE:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    seen = listed(response, channel) & named_ids(w, NAMED)
    assert seen == named_ids(w, VISIBLE[persona])


@pytest.mark.parametrize("channel", ["web", "api"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_detail_only_in_scope(w: World, persona: str, channel: str) -> None:
    client = login(w, persona)
    for name in NAMED:
        flag = w.objects[name]
        url = f"/flags/{flag.pk}/" if channel == "web" else f"/api/flags/{flag.pk}"
        response = client.get(url)
        if name in VISIBLE[persona]:
            assert response.status_code == 200, name
            if channel == "web":
                assert html.escape(flag.title) in response.content.decode()
            else:
                assert response.json()["evidence"] == flag.evidence
        else:
            assert response.status_code == 404, (name, response.status_code)
            assert html.escape(flag.title) not in response.content.decode()


def test_sro_never_sees_a_peers_flags_of_any_kind(w: World) -> None:
    """Officer A's account: peer A's early-warning, discipline and review flags stay
    out of the queue, the detail pages, the API and the filters."""
    client = login(w, "sro")
    peer_flags = {"flag_ew_peer_a", "flag_disc_peer_a", "flag_rev_a2", "flag_ew_b",
                  "flag_disc_b"}
    body = client.get("/flags/", {"status": "any", "officer": w.peer_a.pk}).content.decode()
    for name in peer_flags:
        flag = w.objects[name]
        assert client.get(f"/flags/{flag.pk}/").status_code == 404
        assert client.get(f"/api/flags/{flag.pk}").status_code == 404
        assert html.escape(flag.title) not in body
    api = client.get("/api/flags", {"status": "any", "officer_id": w.peer_a.pk}).json()
    assert api["count"] == 0


def test_flags_are_never_public(w: World) -> None:
    anonymous = Client()
    assert anonymous.get("/flags/").status_code == 302
    assert anonymous.get(f"/flags/{w.flag_ew_a.pk}/").status_code == 302
    assert anonymous.get("/api/flags").status_code == 401
    assert anonymous.get(f"/api/flags/{w.flag_ew_a.pk}").status_code == 401


# --------------------------------------------------------------------------- filters


def test_filters_by_kind_status_school_and_officer(w: World) -> None:
    client = login(w, "supervisor")
    ids = lambda **q: listed(client.get("/flags/", q), "web") & named_ids(w, NAMED)  # noqa: E731
    assert ids(kind="early_warning") == named_ids(w, ["flag_ew_a", "flag_ew_peer_a"])
    assert ids(kind="review_overdue") == named_ids(w, ["flag_rev_a1", "flag_rev_a2"])
    assert ids(school=w.school_a2.pk) == named_ids(w, ["flag_disc_peer_a", "flag_rev_a2"])
    assert ids(officer=w.officer_a.pk) == named_ids(w, ["flag_ew_a", "flag_disc_a",
                                                        "flag_rev_a1"])
    assert ids(status="dismissed") == set()
    api = client.get("/api/flags", {"kind": "discipline_involvement", "page_size": 500})
    assert listed(api, "api") & named_ids(w, NAMED) == named_ids(
        w, ["flag_disc_a", "flag_disc_peer_a"])


def test_filters_cannot_reach_out_of_scope(w: World) -> None:
    client = login(w, "district_admin")
    response = client.get("/flags/", {"status": "any", "school": w.school_b1.pk})
    assert listed(response, "web") & named_ids(w, NAMED) == set()
    assert client.get("/api/flags", {"status": "any", "school_id": w.school_b1.pk}
                      ).json()["count"] == 0
    page = client.get("/flags/").content.decode()
    assert f'value="{w.school_b1.pk}"' not in page  # not even offered as a choice


# --------------------------------------------------------------------------- evidence


def test_early_warning_evidence_page(w: World) -> None:
    client = login(w, "supervisor")
    page = client.get(f"/flags/{w.flag_ew_a.pk}/").content.decode()
    assert "The SRO against the peer benchmark" in page  # the per-kind template
    assert "per 100 contacts" in page and "Incidents behind the count" in page
    incident_ids = w.ew_a.incident_ids
    assert len(incident_ids) == 20
    for pk in incident_ids:
        assert f'href="/incidents/{pk}/"' in page
    assert f'href="/supervision/early-warning/{w.ew_a.pk}/"' in page  # the subject
    assert "never a measure of merit" in page


def test_discipline_and_overdue_review_evidence_pages(w: World) -> None:
    client = login(w, "district_admin")
    page = client.get(f"/flags/{w.flag_disc_a.pk}/").content.decode()
    assert "Would the school have called 911?" in page and "citation" in page
    page = client.get(f"/flags/{w.flag_rev_a1.pk}/").content.decode()
    assert "<dt>Due date</dt><dd>2026-01-30</dd>" in page  # the generic rendering
    assert f'href="/supervision/reviews/{w.review_a1.pk}/"' in page


def test_generic_evidence_rendering_escapes_and_links() -> None:
    out = render_evidence({"note_text": "<script>x</script>", "done": True,
                           "items": [{"number": "INC-000001", "url": "/incidents/1/"}, 3],
                           "elsewhere": {"url": "https://example.org/", "label": "no"}})
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "<dt>Note text</dt>" in out and "<dd>Yes</dd>" in out
    assert '<a href="/incidents/1/">INC-000001</a>' in out
    assert 'href="https://example.org/"' not in out  # only links inside OpenSRO


# --------------------------------------------------------------------------- decisions


@pytest.mark.parametrize("channel", ["web", "api"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_decide(w: World, persona: str, channel: str) -> None:
    client = login(w, persona)
    for name in ("flag_disc_a", "flag_disc_b"):
        flag = w.objects[name]
        seq = last_seq()
        reason = f"Reviewed with the school by {persona}."
        if channel == "web":
            response = client.post(f"/flags/{flag.pk}/decide/", {
                "decision": "dismiss", "action_taken": "", "decision_reason": reason})
        else:
            response = client.post(f"/api/flags/{flag.pk}/decision", json.dumps({
                "agree": False, "decision_reason": reason}), content_type="application/json")
        fresh = Flag.objects.get(pk=flag.pk)
        visible = name in VISIBLE[persona]
        if visible and persona in DECIDES:
            assert response.status_code == (302 if channel == "web" else 200)
            assert fresh.status == FlagStatus.DISMISSED
            assert fresh.decided_by_id == w.users[persona].pk
            event = events_after(seq).get()
            assert (event.action, event.reason, event.actor_id) == (
                "decide_flag", reason, w.users[persona].pk)
        else:
            assert response.status_code == (403 if visible else 404), (name, response.status_code)
            assert fresh.status == FlagStatus.OPEN
            assert not events_after(seq).exists()


@pytest.mark.parametrize("channel", ["web", "api"])
def test_dismiss_needs_a_reason_and_stores_nothing_without_one(w: World, channel: str) -> None:
    client = login(w, "supervisor")
    flag, seq = w.flag_ew_peer_a, last_seq()
    if channel == "web":
        response = client.post(f"/flags/{flag.pk}/decide/", {
            "decision": "dismiss", "action_taken": "", "decision_reason": "  "})
        assert response.status_code == 400
        assert response.context["form"].errors["decision_reason"] == [
            "Give the reason for your decision."]
        assert "Give the reason for your decision." in response.content.decode()
    else:
        response = client.post(f"/api/flags/{flag.pk}/decision", json.dumps({
            "agree": False, "decision_reason": ""}), content_type="application/json")
        assert response.status_code == 422
        assert response.json()["detail"] == [{"field": "decision_reason",
                                              "message": "Give the reason for your decision."}]
    assert Flag.objects.get(pk=flag.pk).status == FlagStatus.OPEN
    assert not events_after(seq).exists()


@pytest.mark.parametrize("channel", ["web", "api"])
def test_agree_needs_the_action_taken(w: World, channel: str) -> None:
    client = login(w, "agency_admin")
    flag, seq = w.flag_ew_a, last_seq()
    if channel == "web":
        response = client.post(f"/flags/{flag.pk}/decide/", {
            "decision": "agree", "action_taken": "", "decision_reason": "Too many arrests."})
        assert response.status_code == 400
        assert "action_taken" in response.context["form"].errors
    else:
        response = client.post(f"/api/flags/{flag.pk}/decision", json.dumps({
            "agree": True, "decision_reason": "Too many arrests."}),
            content_type="application/json")
        assert response.status_code == 422
        assert [d["field"] for d in response.json()["detail"]] == ["action_taken"]
    assert Flag.objects.get(pk=flag.pk).status == FlagStatus.OPEN
    assert not events_after(seq).exists()


def test_web_decision_needs_a_choice(w: World) -> None:
    client = login(w, "supervisor")
    response = client.post(f"/flags/{w.flag_ew_a.pk}/decide/", {"decision_reason": "x"})
    assert response.status_code == 400
    assert "decision" in response.context["form"].errors
    assert Flag.objects.get(pk=w.flag_ew_a.pk).status == FlagStatus.OPEN


def test_agree_with_action_is_audited_and_leaves_the_open_queue(w: World) -> None:
    client = login(w, "supervisor")
    flag, seq = w.flag_ew_a, last_seq()
    response = client.post(f"/flags/{flag.pk}/decide/", {
        "decision": "agree", "action_taken": "Coaching",
        "decision_reason": "Reviewed each arrest with the officer; alternatives existed."})
    assert response.status_code == 302 and response["Location"] == "/flags/"
    fresh = Flag.objects.get(pk=flag.pk)
    assert (fresh.status, fresh.action_taken) == (FlagStatus.AGREED, "Coaching")
    event = events_after(seq).get()
    assert event.action == "decide_flag" and event.actor_id == w.users["supervisor"].pk
    assert event.before["status"] == "open" and event.after["status"] == "agreed"
    assert event.after["action_taken"] == "Coaching"
    queue = client.get("/flags/")
    assert flag.pk not in listed(queue, "web")
    assert flag.pk in listed(client.get("/flags/", {"status": "agreed"}), "web")
    detail = client.get(f"/flags/{flag.pk}/").content.decode()
    assert "decide_flag" in detail and "Coaching" in detail  # decision and history shown
    assert 'action="/flags/' not in detail  # no decision form any more
    # A decided flag is not decided again.
    again = client.post(f"/api/flags/{flag.pk}/decision", json.dumps({
        "agree": False, "decision_reason": "changed my mind"}), content_type="application/json")
    assert again.status_code == 422
    assert again.json()["detail"][0]["field"] == "status"


def test_sro_sees_own_flag_without_a_decision_form(w: World) -> None:
    client = login(w, "sro")
    page = client.get(f"/flags/{w.flag_ew_a.pk}/").content.decode()
    assert "Record the decision" not in page
    assert client.post(f"/flags/{w.flag_ew_a.pk}/decide/", {
        "decision": "dismiss", "decision_reason": "not me"}).status_code == 403
