"""Signing in through the real form, each role's dashboard, signing out, phone and keyboard."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from conftest import PASSWORD, PERSONAS
from tests.browser.conftest import ROLE_LABELS, sign_in

pytestmark = pytest.mark.browser


def _check_dashboard(page: Page, persona: str) -> None:
    page.goto("/")
    # Anonymous visitors land on the public portal, which links to the staff sign-in.
    expect(page).to_have_url(re.compile(r"/public/$"))
    page.get_by_role("link", name="Staff sign-in").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill(persona)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page).to_have_title(re.compile(r"^Dashboard · OpenSRO$"))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    sections = page.locator("section.dashboard-section")
    if persona == "outsider":
        expect(page.get_by_text("Your account has no role yet")).to_be_visible()
        expect(sections).to_have_count(0)
        return
    expect(sections).to_have_count(1)
    section = page.locator(f'section[data-role="{persona}"]')
    expect(section.get_by_role("heading", level=2)).to_have_text(ROLE_LABELS[persona])
    # The section is named by its heading for screen-reader landmark navigation.
    expect(page.get_by_role("region", name=ROLE_LABELS[persona])).to_be_visible()
    expect(section.locator(".card")).not_to_have_count(0)
    expect(page.get_by_text("Your account has no role yet")).to_have_count(0)


def test_each_persona_signs_in_and_sees_their_dashboard(
        new_page: Callable[..., Page], live_world: Any, subtests: pytest.Subtests) -> None:
    """All nine personas against one world (each in its own browser context)."""
    assert set(PERSONAS) == {*ROLE_LABELS, "outsider"}
    for persona in PERSONAS:
        with subtests.test(persona=persona):
            page = new_page(name=persona)
            _check_dashboard(page, persona)
            page.context.close()


def test_wrong_password_is_refused_with_a_message(page: Page, live_world: Any) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("sro")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_sign_out_then_protected_pages_redirect_to_login(
        signed_in: Callable[[str], Page]) -> None:
    page = signed_in("sro")
    expect(page.locator(".account .who")).to_have_text("Sro")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    for protected in ("/dashboard/", "/directory/schools/"):
        page.goto(protected)
        expect(page).to_have_url(re.compile(r"/accounts/login/\?next=" + re.escape(protected)))
        expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()

    # Signing in again returns to the page that was asked for.
    page.get_by_label("Username").fill("sro")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/directory/schools/$"))
    expect(page.get_by_role("heading", level=1, name="Schools")).to_be_visible()


def test_sro_dashboard_on_a_phone(mobile_page: Page, live_world: Any) -> None:
    page = mobile_page
    sign_in(page, "sro")
    expect(page.locator('section[data-role="sro"] h2')).to_have_text("School resource officer")

    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll_width <= 390, f"the page scrolls sideways on a phone: {scroll_width}px wide"

    links = page.get_by_role("navigation", name="Main").get_by_role("link")
    labels = links.all_inner_texts()
    assert labels[0] == "Dashboard" and "Assignments" in labels and "API tokens" in labels, labels
    for i in range(links.count()):
        link = links.nth(i)
        link.scroll_into_view_if_needed()
        expect(link).to_be_in_viewport()
        box = link.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (labels[i], box)
        assert box["height"] >= 24, f"tap target {labels[i]!r} is {box['height']}px tall"
    # The last item (furthest to the right in the scrolling menu) can be tapped.
    last = links.nth(links.count() - 1)
    last.tap()
    expect(page).to_have_url(re.compile(r"/account/tokens/$"))
    expect(page.get_by_role("link", name="API tokens")).to_have_attribute("aria-current", "page")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(
        signed_in: Callable[[str], Page]) -> None:
    page = signed_in("sro")
    page.goto("/dashboard/")
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.tagName, document.activeElement.textContent]")
    assert focused == ["A", "Skip to main content"], focused
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # shown on screen when focused, not only to screen readers
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    # The next Tab continues inside the main content, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('main')"), \
        page.evaluate("document.activeElement.outerHTML")
