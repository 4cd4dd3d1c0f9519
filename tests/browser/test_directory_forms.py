"""Directory forms in a real browser: create a school, see its errors, edit an officer."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SCHOOL_ID = "399999100077"  # District A's 7-digit NCES ID + a 5-digit school number


def _fill_school(page: Page, name: str, nces_id: str) -> None:
    page.get_by_label("District").select_option(label="District A")
    page.get_by_label("Name").fill(name)
    page.get_by_label("NCES school ID").fill(nces_id)
    page.get_by_label("Level").select_option(label="Middle")
    page.get_by_label("Lowest grade").select_option(label="6")
    page.get_by_label("Highest grade").select_option(label="8")


def test_district_admin_creates_a_school(signed_in: Callable[[str], Page],
                                         live_world: Any) -> None:
    from opensro.core.models import AuditEvent
    from opensro.directory.models import School

    page = signed_in("district_admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Schools").click()
    expect(page.get_by_role("heading", level=1, name="Schools")).to_be_visible()
    page.get_by_role("link", name="Add school").click()
    expect(page).to_have_url(re.compile(r"/directory/schools/new/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Add school")

    # The district list only offers the districts this administrator may change.
    district = page.get_by_label("District")
    options = district.locator("option").all_inner_texts()
    assert "District A" in options and "District B" not in options, options

    _fill_school(page, "Maple Ridge Middle", SCHOOL_ID)
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(r"/directory/schools/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Maple Ridge Middle")
    expect(page.get_by_role("status")).to_contain_text("Saved school “Maple Ridge Middle”")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text(SCHOOL_ID)
    expect(facts).to_contain_text("District A")
    expect(facts).to_contain_text("Middle")

    school = School.objects.get(nces_id=SCHOOL_ID)
    assert school.name == "Maple Ridge Middle"
    assert school.district_id == live_world.district_a.pk
    assert (school.level, school.lowest_grade, school.highest_grade) == ("middle", "06", "08")
    assert page.url.endswith(f"/directory/schools/{school.pk}/")
    event = AuditEvent.objects.filter(object_type__iendswith="school",
                                      object_id=str(school.pk)).last()
    assert event is not None and event.actor_id == live_world.users["district_admin"].pk


def test_invalid_nces_id_shows_an_error_summary_tied_to_the_field(
        signed_in: Callable[[str], Page]) -> None:
    from opensro.directory.models import School

    page = signed_in("district_admin")
    page.goto("/directory/schools/new/")
    _fill_school(page, "Bad Id School", "12345")
    with page.expect_response(re.compile(r"/directory/schools/new/$")) as response:
        page.get_by_role("button", name="Save").click()
    assert response.value.status == 400

    summary = page.get_by_role("alert")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading")).to_have_text("Please correct the following")
    summary_link = summary.get_by_role("link", name=re.compile(r"NCES school ID: "))
    expect(summary_link).to_contain_text("exactly 12 digits")
    expect(summary_link).to_have_attribute("href", "#id_nces_id")

    field = page.get_by_label("NCES school ID")
    expect(field).to_have_value("12345")  # what was typed is kept
    expect(field).to_have_attribute("aria-invalid", "true")
    error = page.locator("#id_nces_id_error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("exactly 12 digits")
    described_by = (field.get_attribute("aria-describedby") or "").split()
    assert "id_nces_id_error" in described_by, described_by
    # Assistive technology announces the error as the field's description.
    expect(field).to_have_accessible_description(re.compile(r"exactly 12 digits"))

    # The summary's link takes the keyboard user straight to the field.
    summary_link.click()
    expect(field).to_be_focused()
    assert not School.objects.filter(name="Bad Id School").exists()

    # Correcting the value saves the school.
    field.fill(SCHOOL_ID)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bad Id School")
    assert School.objects.filter(name="Bad Id School", nces_id=SCHOOL_ID).exists()


def test_agency_admin_changes_an_officers_status(signed_in: Callable[[str], Page],
                                                 live_world: Any) -> None:
    page = signed_in("agency_admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Officers").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)  # Agency A's two officers; Agency B's are out of scope
    expect(page.locator("table")).not_to_contain_text("OfficerB")
    page.get_by_role("link", name="OfficerA").click()
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit")

    status = page.get_by_label("Status")
    expect(status).to_have_value("active")
    status.select_option(label="On leave")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(rf"/directory/officers/{live_world.officer_a.pk}/$"))
    expect(page.get_by_role("status")).to_contain_text("Saved officer")
    expect(page.locator("dl.facts div", has_text="Status").locator("dd")).to_have_text(
        "On leave")
    live_world.officer_a.refresh_from_db()
    assert live_world.officer_a.status == "leave"


FORM_PAGES = [
    "/directory/districts/new/", "/directory/agencies/new/", "/directory/schools/new/",
    "/directory/school-years/new/", "/directory/enrollment/new/", "/directory/officers/new/",
    "/directory/assignments/new/", "/directory/enrollment/import/", "/accounts/password/",
]

_CONTROLS_WITHOUT_LABEL = """
form => [...form.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden')
  .filter(el => {
    const label = el.id && form.ownerDocument.querySelector(`label[for="${CSS.escape(el.id)}"]`);
    return !label || label.offsetParent === null || !label.textContent.trim();
  })
  .map(el => el.outerHTML)
"""


def test_every_form_control_has_a_visible_label(signed_in: Callable[[str], Page],
                                                page: Page, live_world: Any) -> None:
    page.goto("/accounts/login/")
    login_form = page.locator("main form")
    assert login_form.evaluate(_CONTROLS_WITHOUT_LABEL) == []
    signed_in("system_admin")
    checked = 0
    for url in [*FORM_PAGES, f"/directory/officers/{live_world.officer_a.pk}/edit/",
                f"/directory/schools/{live_world.school_a1.pk}/edit/"]:
        page.goto(url)
        forms = page.locator("main form:not([role=search])")
        expect(forms).to_have_count(1)
        controls = forms.locator("input:not([type=hidden]), select, textarea")
        assert controls.count() >= 2, url
        unlabelled = forms.evaluate(_CONTROLS_WITHOUT_LABEL)
        assert unlabelled == [], f"{url}: controls without a visible <label for=…>: {unlabelled}"
        checked += controls.count()
    assert checked > 40
