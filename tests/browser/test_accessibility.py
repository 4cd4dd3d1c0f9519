"""axe-core finds no accessibility violations on the main pages.

axe-core is installed from the npm registry at setup time (``npm ci`` reads the pinned
version from package.json / package-lock.json); the tests never fetch it themselves.
axe runs with its default rule set: WCAG 2.0/2.1/2.2 A and AA plus best practices.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from conftest import PERSONAS
from tests.browser.conftest import REPO_DIR, sign_in

pytestmark = pytest.mark.browser

AXE = REPO_DIR / "node_modules" / "axe-core" / "axe.min.js"

_RUN_AXE = """
async () => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  return {
    version: axe.version,
    passes: results.passes.length,
    violations: results.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary})),
    })),
  };
}
"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now and return its violations."""
    if not AXE.is_file():
        pytest.fail(
            f"axe-core is not installed ({AXE} is missing). Run `npm ci` in {REPO_DIR} "
            "(the version is pinned in package.json / package-lock.json).", pytrace=False)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(_RUN_AXE)
    assert result["passes"] > 10, f"axe-core {result['version']} checked almost nothing"
    return result["violations"]


def describe(violation: dict[str, Any], where: str) -> str:
    lines = [f"- {where}: {violation['id']} ({violation['impact']}): {violation['help']}"]
    lines += [f"    {n['target']}: {n['summary']}".replace("\n", " ")
              for n in violation["nodes"]]
    return "\n".join(lines)


def assert_accessible(page: Page, what: str) -> None:
    violations = axe_violations(page)
    if violations:
        pytest.fail(f"axe-core found {len(violations)} kind(s) of violation on {what} "
                    f"({page.url}):\n" + "\n".join(describe(v, what) for v in violations),
                    pytrace=False)


def test_login_page(page: Page, live_world: Any) -> None:
    page.goto("/accounts/login/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert_accessible(page, "the sign-in page")
    # The error state too.
    page.get_by_label("Username").fill("sro")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "the sign-in page with an error")


def test_every_personas_dashboard(page: Page, live_world: Any) -> None:
    """One test (one world) for all nine dashboards, signing out between them."""
    problems = []
    for persona in PERSONAS:
        sign_in(page, persona)
        expect(page.locator("section.dashboard-section, .empty").first).to_be_visible()
        violations = axe_violations(page)
        problems += [describe(v, f"{persona}'s dashboard") for v in violations]
        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    if problems:
        pytest.fail("axe-core violations:\n" + "\n".join(problems), pytrace=False)


def test_dashboard_on_a_phone(mobile_page: Page, live_world: Any) -> None:
    sign_in(mobile_page, "district_admin")
    assert_accessible(mobile_page, "the district administrator's dashboard on a phone")


def test_school_pages(signed_in: Callable[[str], Page], live_world: Any) -> None:
    page = signed_in("district_admin")
    page.goto("/directory/schools/")
    expect(page.locator("table tbody tr")).to_have_count(2)
    assert_accessible(page, "the schools list")

    page.goto(f"/directory/schools/{live_world.school_a1.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("School A1")
    assert_accessible(page, "a school's detail page")

    page.goto("/directory/schools/new/")
    expect(page.get_by_role("button", name="Save")).to_be_visible()
    assert_accessible(page, "the new-school form")

    page.get_by_label("NCES school ID").fill("12345")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "the new-school form showing errors")


def test_audit_log(signed_in: Callable[[str], Page]) -> None:
    page = signed_in("system_admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    expect(page.locator("table tbody tr").first).to_be_visible()
    assert page.locator("table tbody tr").count() > 10
    assert_accessible(page, "the audit log")


def test_axe_catches_a_known_violation(signed_in: Callable[[str], Page]) -> None:
    """Guard against a check that silently passes: an unlabelled input must be reported."""
    page = signed_in("sro")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', "
                  "'<input type=text id=nolabel>')")
    ids = {v["id"] for v in axe_violations(page)}
    assert "label" in ids, ids
