"""A supervisor decides a flag in the browser (R-F1): opens it from the queue, reads its
evidence, tries to dismiss it without a reason (refused, nothing stored), then dismisses
it with one. The decision is in the audit trail and the flag leaves the open queue. The
pages pass axe-core, on a desktop and on a phone."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from conftest import World
from opensro.core.context import request_context
from opensro.core.models import AuditEvent, Flag, FlagStatus
from opensro.supervision.tests import world as supervision_world
from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import assert_accessible

pytestmark = pytest.mark.browser

REASON = ("Twenty arrests came from two fights with several students each; "
          "reviewed every record with the officer, each basis documented.")


@pytest.fixture
def flagged(live_world: World) -> World:
    """Fall 2025 records in which officer A arrests half the students (peers: 2 of 120),
    and the early-warning computation that flags it."""
    with request_context():
        supervision_world.incidents(live_world)
        supervision_world.early_warning(live_world)
    return live_world


def test_supervisor_dismisses_a_flag_with_a_reason(page: Page, flagged: World) -> None:
    flag = Flag.objects.get(pk=flagged.flag_ew_a.pk)
    sign_in(page, "supervisor")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Flags").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Flags")
    assert_accessible(page, "the flag queue")

    page.get_by_label("Kind").select_option(label="Early warning: enforcement count high "
                                                  "against peers")
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("link", name=flag.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(flag.title)

    # The evidence: the SRO against the benchmark, and the incidents behind the count.
    evidence = page.get_by_role("region", name="Evidence")
    expect(evidence.get_by_role("table", name="The SRO against the peer benchmark")
           ).to_be_visible()
    expect(evidence.get_by_role("rowheader", name="per 100 contacts")).to_be_visible()
    expect(evidence.get_by_role("link", name=re.compile(r"^INC-\d{6}$"))).to_have_count(20)
    assert_accessible(page, "a flag's evidence and decision form")

    # Dismissing without a reason is refused and stores nothing.
    events = AuditEvent.objects.count()
    page.get_by_label("Dismiss: no action is needed").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("alert")).to_contain_text("Give the reason for your decision.")
    assert Flag.objects.get(pk=flag.pk).status == FlagStatus.OPEN
    assert AuditEvent.objects.count() == events
    assert_accessible(page, "the decision form showing an error")

    page.get_by_label("Dismiss: no action is needed").check()
    page.get_by_label("Reason").fill(REASON)
    page.get_by_role("button", name="Record the decision").click()

    # Back in the open queue, which no longer lists it.
    expect(page).to_have_url(re.compile(r"/flags/$"))
    expect(page.get_by_role("status")).to_contain_text("Dismissed the flag")
    expect(page.get_by_role("link", name=flag.title)).to_have_count(0)

    decided = Flag.objects.get(pk=flag.pk)
    assert decided.status == FlagStatus.DISMISSED
    assert decided.decided_by_id == flagged.users["supervisor"].pk
    assert decided.decision_reason == REASON
    event = AuditEvent.objects.filter(object_type="core.Flag", object_id=str(flag.pk),
                                      action="decide_flag").get()
    assert event.actor_id == flagged.users["supervisor"].pk and event.reason == REASON
    assert event.before["status"] == "open" and event.after["status"] == "dismissed"

    # The decision and its audit entry show on the flag, under "Dismissed".
    page.get_by_label("Status").select_option(label="Dismissed with reason")
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("link", name=flag.title).click()
    history = page.get_by_role("table", name="Audit trail of this flag")
    expect(history.get_by_role("row").filter(has_text="decide_flag")).to_contain_text(
        "supervisor")
    expect(page.get_by_role("region", name="Decision")).to_contain_text(REASON)
    expect(page.get_by_role("button", name="Record the decision")).to_have_count(0)


def test_flag_pages_on_a_phone(mobile_page: Page, flagged: World) -> None:
    sign_in(mobile_page, "supervisor")
    mobile_page.goto(f"/flags/{flagged.flag_ew_a.pk}/")
    expect(mobile_page.get_by_role("button", name="Record the decision")).to_be_visible()
    assert_accessible(mobile_page, "a flag on a phone")
    mobile_page.goto("/supervision/")
    assert_accessible(mobile_page, "the supervision page on a phone")


def test_sro_sees_own_flag_but_not_a_peers(page: Page, flagged: World) -> None:
    sign_in(page, "sro")
    page.goto("/flags/?status=any")
    expect(page.get_by_role("link", name=flagged.flag_ew_a.title)).to_be_visible()
    expect(page.get_by_role("link", name=flagged.flag_ew_peer_a.title)).to_have_count(0)
    response: Any = page.goto(f"/flags/{flagged.flag_ew_peer_a.pk}/")
    assert response.status == 404
