"""The public portal in Chromium (R-E3, R-C3): every page type passes axe-core in English
and in Spanish (switched with the page's own language form), and the keyboard reaches
the language switch and the main links."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from conftest import World
from opensro.transparency import services
from opensro.transparency.tests.helpers import add_records
from tests.browser.test_accessibility import assert_accessible

pytestmark = pytest.mark.browser


@pytest.fixture
def published(live_world: World) -> World:
    add_records(live_world, 40)
    assert services.publish(None, "2025-26") is not None
    return live_world


def _pages(world: World) -> list[tuple[str, str]]:
    return [
        ("the portal home", "/public/"),
        ("a program page", f"/public/agency/{world.agency_a.pk}/"),
        ("a district page", f"/public/district/{world.district_a.pk}/?measure=search"),
        ("a school page", f"/public/school/{world.school_a1.pk}/"),
        ("the page about SROs", "/public/about-sros/"),
        ("the open-data page", "/public/data/"),
        ("the data dictionary", "/public/data/dictionary/"),
    ]


def test_every_portal_page_is_accessible_in_english_and_spanish(page: Page,
                                                                published: World) -> None:
    pages = _pages(published)
    for what, url in pages:
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page, f"{what} (English)")
    # Switch with the form, as a visitor would.
    page.goto("/public/")
    page.get_by_label("Language").select_option("es")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Programas de agentes de recursos escolares: cifras públicas")
    for what, url in pages:
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("lang", "es")
        assert_accessible(page, f"{what} (Spanish)")
    # And back to English from a Spanish page.
    page.get_by_label("Idioma").select_option("en")
    page.get_by_role("button", name="Cambiar").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_keyboard_reaches_the_language_switch_and_main_links(page: Page,
                                                             published: World) -> None:
    page.goto(f"/public/district/{published.district_a.pk}/")
    reached: list[str] = []
    for _ in range(12):
        page.keyboard.press("Tab")
        reached.append(page.evaluate(
            "() => { const e = document.activeElement;"
            " return (e.tagName + ':' + (e.id || e.getAttribute('href') || e.textContent)"
            ").trim(); }"))
    assert reached[0] == "A:#main"  # the skip link comes first
    for expected in ("A:/public/", "A:/public/about-sros/", "A:/public/data/",
                     "SELECT:language-select", "BUTTON:Change"):
        assert expected in reached, (expected, reached)
    # The skip link moves focus into the main content.
    page.keyboard.press("Shift+Tab")
    page.goto(f"/public/district/{published.district_a.pk}/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # The year form works from the keyboard alone.
    page.get_by_label("School year", exact=True).focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Show")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"year=2025-26"))


def test_a_scope_page_on_a_phone(mobile_page: Page, published: Any) -> None:
    mobile_page.goto(f"/public/school/{published.school_a1.pk}/")
    expect(mobile_page.get_by_role("heading", level=2, name="Key figures")).to_be_visible()
    width = mobile_page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 400  # tables scroll inside their own region, not the page
    assert_accessible(mobile_page, "a school page on a phone")
