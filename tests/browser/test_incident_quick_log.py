"""The incident quick-log form on a phone (390×844): a no-action contact in a handful of
taps, and an arrest whose legal-basis section appears only when Arrest is ticked and
must be filled in before the record can be submitted (R-D1, R-D3)."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, Route, expect

from conftest import World
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


class Inputs:
    """Performs the person's inputs (fill, select, check, click) and counts them."""

    def __init__(self) -> None:
        self.count = 0

    def fill(self, target: Locator, text: str) -> None:
        self.count += 1
        target.fill(text)

    def select(self, target: Locator, label: str) -> None:
        self.count += 1
        target.select_option(label=label)

    def check(self, target: Locator) -> None:
        self.count += 1
        target.check()

    def uncheck(self, target: Locator) -> None:
        self.count += 1
        target.uncheck()

    def click(self, target: Locator) -> None:
        self.count += 1
        target.click()


@pytest.fixture
def current_year(live_world: World) -> Any:
    """A school year covering today, so that the prefilled time ("now") is accepted.
    The conftest world's only year is 2025-26."""
    from opensro.directory import services as ds
    from opensro.directory.models import SchoolYear

    today = timezone.localdate()
    year = SchoolYear.for_date(today)
    if year is None:
        y = today.year if today >= datetime.date(today.year, 6, 13) else today.year - 1
        year = ds.create_school_year(None, {
            "code": f"{y}-{(y + 1) % 100:02d}", "start_date": datetime.date(y, 6, 13),
            "end_date": datetime.date(y + 1, 6, 12)})
    return year


def _no_autosave(page: Page) -> list[str]:
    """Answer the form's background autosave with "nothing to do", so that only the
    person's Submit presses write (a draft saved while typing is another test's
    subject); returns the list of autosave calls seen."""
    calls: list[str] = []

    def handle(route: Route) -> None:
        calls.append(route.request.url)
        route.fulfill(status=204, body="")

    page.route(re.compile(r"/incidents/autosave/$"), handle)
    return calls


def test_sro_logs_contact_then_arrest_on_a_phone(mobile_page: Page, live_world: World,
                                                  current_year: Any) -> None:
    from opensro.incidents.models import Incident
    from opensro.incidents.rules import MESSAGES

    page = mobile_page
    _no_autosave(page)
    sign_in(page, "sro")
    assert page.viewport_size == {"width": 390, "height": 844}

    # ------------------------------------------------------------ a no-action contact
    page.goto("/incidents/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log an incident")
    # Prefilled: the SRO's school, the time, and "None or counselled".
    expect(page.get_by_role("combobox", name="School", exact=True)).to_have_value(
        str(live_world.school_a1.pk))
    expect(page.get_by_label("When it happened")).not_to_have_value("")
    counselled = page.get_by_label("None or counselled")
    expect(counselled).to_be_checked()
    basis = page.get_by_role("region", name="Legal basis")
    expect(basis).to_be_hidden()

    inputs = Inputs()
    inputs.select(page.get_by_label("Location"), "Hallway or stairwell")
    inputs.select(page.get_by_label("How the SRO became involved"), "Self-initiated")
    inputs.select(page.get_by_label("Reason for SRO involvement"),
                  "Defiance or insubordination")
    inputs.check(page.locator("#id_would_call_911").get_by_label("No"))
    inputs.select(page.get_by_label("Race/ethnicity"), "Black or African American")
    inputs.select(page.get_by_role("combobox", name="Sex", exact=True), "Female")
    with page.expect_navigation(url=re.compile(r"/incidents/\d+/$")):
        inputs.click(page.get_by_role("button", name="Submit", exact=True))
    assert inputs.count < 10, f"{inputs.count} inputs for a no-action contact"

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("INC-")
    expect(heading.locator(".badge")).to_have_text("Submitted")
    expect(page.get_by_role("status")).to_contain_text("Submitted INC-")
    assert Incident.objects.count() == 1
    contact = Incident.objects.get()
    assert page.url.endswith(f"/incidents/{contact.pk}/")
    assert contact.status == "submitted"
    assert contact.officer_id == live_world.officer_a.pk
    assert contact.school_id == live_world.school_a1.pk
    assert contact.would_call_911 == "no"
    inv = contact.involvements.get()
    assert (inv.race, inv.sex, inv.actions) == ("BL", "F", ["counselled"])

    # ------------------------------------------------------------ an arrest
    page.goto("/incidents/new/")
    basis = page.get_by_role("region", name="Legal basis")
    expect(basis).to_be_hidden()
    page.get_by_label("Location").select_option(label="Classroom")
    page.get_by_label("How the SRO became involved").select_option(label="Self-initiated")
    page.get_by_label("Reason for SRO involvement").select_option(label="Assault with injury")
    page.locator("#id_would_call_911").get_by_label("Yes").check()
    page.get_by_label("Race/ethnicity").select_option(label="White")
    page.get_by_role("combobox", name="Sex", exact=True).select_option(label="Male")
    page.get_by_label("None or counselled").uncheck()
    expect(basis).to_be_hidden()
    page.get_by_label("Arrest", exact=True).check()
    expect(basis).to_be_visible()
    expect(basis.get_by_label("Probable-cause factors")).to_be_visible()

    with page.expect_response(re.compile(r"/incidents/new/$")) as response:
        page.get_by_role("button", name="Submit", exact=True).click()
    assert response.value.status == 400
    summary = page.get_by_role("alert")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Please correct the following")
    expect(summary).to_contain_text(MESSAGES["probable_cause"])
    expect(summary).to_contain_text(MESSAGES["basis"].format(action="arrest"))
    assert Incident.objects.count() == 1, "a refused submission stored something"

    # The answers survive the round trip; the basis section is open for the arrest.
    expect(page.get_by_label("Arrest", exact=True)).to_be_checked()
    basis = page.get_by_role("region", name="Legal basis")
    expect(basis).to_be_visible()
    basis.get_by_label("Imminent threat to safety").check()
    basis.get_by_label("Basis in detail").fill("Punched a classmate, kept swinging.")
    basis.get_by_label("Why it had to happen at school").fill(
        "The fight was ongoing in the classroom.")
    basis.get_by_label("Probable-cause factors").fill(
        "Seen striking the victim; victim's injury; two witnesses.")
    basis.locator("#id_students-0-removed_from_public_view").get_by_label("Yes").check()
    page.get_by_label("Arrest charge").fill("Assault (2903.13)")
    page.locator("#id_deescalation").get_by_label("Tried", exact=True).check()
    with page.expect_navigation(url=re.compile(r"/incidents/\d+/$")):
        page.get_by_role("button", name="Submit", exact=True).click()

    expect(page.get_by_role("heading", level=1).locator(".badge")).to_have_text("Submitted")
    assert Incident.objects.count() == 2
    arrest = Incident.objects.exclude(pk=contact.pk).get()
    assert page.url.endswith(f"/incidents/{arrest.pk}/")
    assert (arrest.status, arrest.deescalation) == ("submitted", "tried")
    inv = arrest.involvements.get()
    assert inv.actions == ["arrest"]
    assert inv.basis == ["imminent_threat"]
    assert inv.probable_cause.startswith("Seen striking the victim")
    assert inv.removed_from_public_view == "yes"
    assert inv.arrest_charge == "Assault (2903.13)"
    assert (inv.referral_to_law_enforcement, inv.school_related_arrest) == (True, True)
    expect(page.locator("dl.facts").last).to_contain_text("Seen striking the victim")
