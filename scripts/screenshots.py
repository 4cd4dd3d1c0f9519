"""Take the README screenshots from a running OpenSRO demo.

    opensro demo --reset --no-serve
    opensro runserver 127.0.0.1:8000 --noreload &
    python scripts/screenshots.py [--url http://127.0.0.1:8000] [--out docs/img]

Signs in as the demo district administrator on a desktop window (1280×900) and as the
demo SRO on a phone (390×844), and saves ``dashboard-district-admin.png`` and
``dashboard-sro-mobile.png``. Uses the system Chromium (``OPENSRO_CHROMIUM``, default
``/usr/bin/chromium``) through Playwright; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, sync_playwright

REPO_DIR = Path(__file__).resolve().parents[1]
DEMO_PASSWORD = "opensro-demo"  # noqa: S105  (the public demo's password)
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
]
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}
MOBILE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True,
                          "has_touch": True, "device_scale_factor": 2}
SHOTS = [
    # file name, demo user, context options, page (after the dashboard), full page
    ("dashboard-district-admin.png", "districtadmin", DESKTOP, "", False),
    ("dashboard-sro-mobile.png", "sro", MOBILE, "", False),
    ("quick-log-sro-mobile.png", "sro", MOBILE, "/incidents/new/", False),
    ("disparities-analyst.png", "analyst", DESKTOP,
     "/analytics/disparity/?school_year=2025-26&scope=all&point=arrest&dimension=race"
     "&base=contact", True),
]


def shoot(browser: Browser, url: str, username: str, password: str, options: dict[str, Any],
          path: Path, then: str = "", full_page: bool = False) -> None:
    context = browser.new_context(base_url=url, locale="en-US", **options)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/dashboard/")
        if page.locator("section.dashboard-section").count() == 0:
            raise SystemExit(f"{username} signed in but has no dashboard section; "
                             "is the demo built (opensro demo --reset --no-serve)?")
        if then:
            page.goto(then)
        page.screenshot(path=str(path), full_page=full_page)
        print(f"saved {path.relative_to(REPO_DIR) if path.is_relative_to(REPO_DIR) else path}")
    finally:
        context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Take the README screenshots from a running OpenSRO demo.")
    parser.add_argument("--url", default="http://127.0.0.1:8000",
                        help="the running server (default %(default)s)")
    parser.add_argument("--password", default=DEMO_PASSWORD,
                        help="the demo users' password (default %(default)s)")
    parser.add_argument("--out", type=Path, default=REPO_DIR / "docs" / "img",
                        help="directory for the PNG files (default docs/img)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    executable = os.environ.get("OPENSRO_CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            for name, username, options, then, full_page in SHOTS:
                shoot(browser, args.url.rstrip("/"), username, args.password, options,
                      args.out / name, then, full_page)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
