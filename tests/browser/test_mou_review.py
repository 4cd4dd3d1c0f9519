"""A district administrator finds an overdue MOU review on the compliance dashboard,
records the review through the form, and the overdue-review flag clears (R-C3)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_accessibility import assert_accessible

pytestmark = pytest.mark.browser

DAY = datetime.timedelta(days=1)


@pytest.fixture
def overdue_mou(live_world: Any, settings: Any, tmp_path: Any) -> Any:
    """Agency A and District A's executed MOU, in force for 400 days and never reviewed:
    its annual review is overdue and the flag is open."""
    from opensro.program import services
    from opensro.program.catalog import seed_elements
    from opensro.program.models import MouElement
    from opensro.program.tests.helpers import make_mou

    settings.MEDIA_ROOT = str(tmp_path)
    seed_elements(MouElement)  # a transactional test may have flushed the seeded catalog
    mou = make_mou(live_world.agency_a, live_world.district_a,
                   effective=services.today() - 400 * DAY, public=True)
    return mou


def test_district_admin_records_the_overdue_mou_review(
        signed_in: Callable[[str], Page], live_world: Any, overdue_mou: Any) -> None:
    from opensro.core.models import AuditEvent, Flag, FlagStatus
    from opensro.program.choices import MOU_REVIEW_OVERDUE
    from opensro.program.models import MouReview, add_months
    from opensro.program.services import today

    mou = overdue_mou
    flag = Flag.objects.get(kind=MOU_REVIEW_OVERDUE, subject_id=str(mou.pk))
    assert flag.status == FlagStatus.OPEN

    page = signed_in("district_admin")
    # The dashboard's compliance card leads to the compliance dashboard.
    page.get_by_role("link", name=re.compile(r"Open compliance flags")).click()
    expect(page).to_have_url(re.compile(r"/program/compliance/$"))
    expect(page.get_by_role("heading", level=1, name="Compliance")).to_be_visible()
    overdue_row = page.locator('tr[data-kind="mou_review_overdue"]')
    expect(overdue_row.locator("td.count")).to_have_text("1")
    expect(overdue_row.get_by_role("link", name="MOU annual review overdue")).to_have_attribute(
        "href", "/flags/?kind=mou_review_overdue")
    due_row = page.locator('tr[data-due-kind="mou_review"]')
    expect(due_row).to_have_class(re.compile(r"\boverdue\b"))
    expect(due_row).to_contain_text("Overdue by")
    assert_accessible(page, "the compliance dashboard")

    # Open the overdue review, then record it.
    due_row.get_by_role("link", name=f"Annual review of {mou}").click()
    expect(page).to_have_url(re.compile(rf"/program/mous/{mou.pk}/#reviews$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(str(mou))
    expect(page.locator("#reviews")).to_contain_text("Overdue")
    expect(page.get_by_role("note")).to_contain_text("MOU annual review overdue")
    assert_accessible(page, "the MOU page")
    page.get_by_role("link", name="Record an annual review").click()
    expect(page).to_have_url(re.compile(rf"/program/mous/{mou.pk}/reviews/new/$"))
    assert_accessible(page, "the review form")

    # Without attendees the form says what is missing and records nothing.
    page.get_by_label("Attendees").fill("")
    page.get_by_label("Minutes").fill("Reviewed the year.")
    page.get_by_role("button", name="Record the review").click()
    expect(page.get_by_role("alert")).to_contain_text("Attendees")
    assert not MouReview.objects.filter(mou=mou).exists()

    reviewed = today()
    expect(page.get_by_label("Reviewed on")).to_have_value(reviewed.isoformat())
    page.get_by_label("Attendees").fill(
        "Victor Hale, district student services\nLt. Whitfield, SRO supervisor")
    page.get_by_label("Minutes").fill(
        "Reviewed incident figures, complaints and training. No change to the MOU text.")
    page.get_by_role("button", name="Record the review").click()

    expect(page).to_have_url(re.compile(rf"/program/mous/{mou.pk}/$"))
    next_due = add_months(reviewed, 12)
    expect(page.get_by_role("status")).to_contain_text(
        f"the next one is due {next_due.isoformat()}")
    expect(page.locator("#reviews")).not_to_contain_text("Overdue")
    expect(page.get_by_role("note")).to_have_count(0)

    # The flag is cleared and gone from the dashboard.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Compliance").click()
    expect(page.locator('tr[data-kind="mou_review_overdue"] td.count')).to_have_text("0")
    expect(page.locator('tr[data-due-kind="mou_review"]')).to_have_count(0)
    flag.refresh_from_db()
    assert flag.status == FlagStatus.CLEARED
    assert flag.decision_reason.startswith(f"Reviewed on {reviewed.isoformat()}")

    # The review is in the audit trail, recorded by the district administrator.
    review = MouReview.objects.get(mou=mou)
    assert review.next_review_due == next_due
    event = AuditEvent.objects.get(action="record_review", object_type="program.MouReview",
                                   object_id=str(review.pk))
    assert event.actor_id == live_world.users["district_admin"].pk
    assert event.after["attendees"].startswith("Victor Hale")
    assert AuditEvent.objects.filter(action="clear_flag", object_id=str(flag.pk),
                                     actor=live_world.users["district_admin"]).exists()


def test_compliance_dashboard_on_a_phone(new_page: Callable[..., Page], live_world: Any,
                                         overdue_mou: Any) -> None:
    from tests.browser.conftest import sign_in

    page = new_page(mobile=True)
    sign_in(page, "district_admin")
    page.goto("/program/compliance/")
    expect(page.locator('tr[data-due-kind="mou_review"]')).to_contain_text("Overdue by")
    # Nothing wider than the screen except inside the scrolling table wrappers.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    assert_accessible(page, "the compliance dashboard on a phone")
