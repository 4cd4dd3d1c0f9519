"""Browser-test fixtures: one headless Chromium for the browser tests, a fresh context each.

The tests drive the real application served by pytest-django's ``live_server`` in a
thread, through Playwright's synchronous API and the system Chromium
(``OPENSRO_CHROMIUM``, default ``/usr/bin/chromium``); nothing is downloaded.

Playwright's sync API keeps an asyncio event loop "running" in the main thread for as
long as Playwright is started, so Django's "you are in an async context" guard would
refuse every ORM call the tests (and the fixtures' flush) make. The ``playwright`` fixture
therefore sets ``DJANGO_ALLOW_ASYNC_UNSAFE`` for exactly as long as Playwright runs; the
ORM is still only used synchronously, one thread at a time. Playwright and Chromium are
package-scoped rather than session-scoped so that both the event loop and the variable
are gone once the browser tests are done: a later test in the same process (or an xdist
worker that runs other tests afterwards) neither trips over the loop nor inherits the
variable (``opensro check --deploy`` in a subprocess rightly fails with async.E001 if it
sees it). In a normal run the browser still starts only once.

When a test fails, a full-page screenshot of each of its pages is saved under
``test-artifacts/`` (gitignored).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from conftest import PASSWORD, World, build_world

REPO_DIR = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO_DIR / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
]
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
MOBILE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
          "device_scale_factor": 2}
TIMEOUT_MS = 10_000  # actions and expectations
NAVIGATION_TIMEOUT_MS = 30_000  # page loads, generous for a loaded CI machine
FAILED = pytest.StashKey[bool]()

#: The dashboard heading of each persona's role (Role labels in opensro.core.choices).
ROLE_LABELS = {
    "sro": "School resource officer",
    "supervisor": "SRO supervisor",
    "agency_admin": "Agency administrator",
    "school_admin": "School administrator",
    "district_admin": "District administrator",
    "analyst": "Analyst",
    "auditor": "Auditor",
    "system_admin": "System administrator",
}


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    """Flag the test when its setup, its body or one of its subtests fails."""
    report = yield
    if report.failed and report.when in ("setup", "call"):
        item.stash[FAILED] = True
    return report


ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as pw:
            yield pw
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    executable = os.environ.get("OPENSRO_CHROMIUM", "/usr/bin/chromium")
    if not Path(executable).exists():
        pytest.fail(f"Chromium not found at {executable}; set OPENSRO_CHROMIUM to its path.")
    browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                         args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Every test builds nine users; the production hasher would make that take seconds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _screenshot(request: pytest.FixtureRequest, page: Page, tag: str) -> None:
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
    path = ARTIFACTS_DIR / f"{name}-{tag}.png"
    try:
        page.screenshot(path=str(path), full_page=True)
        print(f"\nscreenshot of the failed page: {path}  (url {page.url})")
    except Exception as exc:  # a crashed page must not hide the test's own failure
        print(f"\ncould not save a screenshot: {exc}")


@pytest.fixture(scope="package")
def _warm_urlconf() -> None:
    """Import the URL map (and with it the API) before the first page load.

    The first request otherwise pays several seconds of imports inside the first test's
    navigation timeout.
    """
    from django.urls import get_resolver

    get_resolver().resolve("/accounts/login/")


@pytest.fixture
def new_page(browser: Browser, live_server: Any, request: pytest.FixtureRequest,
             _warm_urlconf: None) -> Iterator[Callable[..., Page]]:
    """``new_page(mobile=False, name="")``: a page in a fresh context on the live server.

    Desktop pages are 1280×900; mobile ones 390×844 with touch and 2× pixels. Pages still
    open when the test ends are screenshotted if it failed (close a page's context once
    it has served its purpose to keep it out of the screenshots).
    """
    opened: list[tuple[Page, str]] = []

    def _new_page(mobile: bool = False, name: str = "") -> Page:
        context: BrowserContext = browser.new_context(
            base_url=live_server.url, locale="en-US", **(MOBILE if mobile else DESKTOP))
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        page = context.new_page()
        tag = f"{'mobile' if mobile else 'desktop'}-{name or len(opened) + 1}"
        opened.append((page, tag))
        return page

    yield _new_page
    for page, tag in opened:
        if page.is_closed():
            continue
        if request.node.stash.get(FAILED, False):
            _screenshot(request, page, tag)
        page.context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """A desktop page (1280×900) in a fresh context whose base URL is the live server."""
    return new_page()


@pytest.fixture
def mobile_page(new_page: Callable[..., Page]) -> Page:
    """A phone-sized page (390×844, touch, 2× pixels) in a fresh context."""
    return new_page(mobile=True)


@pytest.fixture
def live_world(transactional_db: Any) -> World:
    """The shared test world, committed so that the live server's thread can see it."""
    return build_world()


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form and wait for the dashboard."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/")
    expect(page.get_by_role("heading", level=1, name="Dashboard")).to_be_visible()


@pytest.fixture
def signed_in(page: Page, live_world: World) -> Callable[[str], Page]:
    """``signed_in("district_admin")`` signs that persona in on ``page`` and returns it."""

    def _sign_in(username: str) -> Page:
        sign_in(page, username)
        return page

    return _sign_in
