"""The CRDC pages in a real browser (R-E2): a district administrator finds CRDC in the
menu, reads the counts, downloads the CSV, uploads a malformed file (refused, every
problem listed), uploads a corrected one and reads the reconciliation; on a desktop and
on a phone, with no axe-core violation. Personas without the right see no menu entry.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from opensro.crdc.models import SisUpload
from opensro.crdc.tests.helpers import log, student
from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import assert_accessible

pytestmark = pytest.mark.browser


def _records(world: Any) -> None:
    log(world, "school_a1", [student("BL", "M", ("citation",), student_id="S-1")])
    log(world, "school_a1", [student("BL", "M", ("arrest", "detention"), student_id="S-1")])
    log(world, "school_a2", [student("HI", "F", ("counselled",), student_id="S-2")],
        source="staff")


def test_district_admin_exports_and_reconciles(signed_in: Callable[[str], Page],
                                               live_world: Any) -> None:
    _records(live_world)
    page = signed_in("district_admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="CRDC").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("CRDC: referrals and arrests")
    expect(page.get_by_role("heading", name="District A, 2025-26")).to_be_visible()
    assert_accessible(page, "the CRDC page")

    page.get_by_role("link", name="View the counts").click()
    summary = page.get_by_role("table", name="Students and instances per school")
    expect(summary.get_by_role("row", name="School A1").locator("td")).to_have_text(
        ["399999100001", "1", "1", "2", "1"])
    expect(summary.get_by_role("row", name="School A2").locator("td")).to_have_text(
        ["399999100002", "1", "0", "1", "0"])
    page.get_by_role("link", name="School A1").click()
    expect(page.get_by_role("row", name="SCH_DISCWODIS_REF_BL_M").locator("td").last
           ).to_have_text("1")
    assert_accessible(page, "the CRDC counts")

    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    exported = Path(info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[0][:6] == ["LEA_STATE", "LEAID", "LEA_NAME", "SCHID", "SCH_NAME", "COMBOKEY"]

    page.goto("/crdc/")
    page.get_by_role("link", name="Upload your system's counts").click()
    upload = page.get_by_label("Counts file (CSV)")
    bad = "COMBOKEY,TOT_DISCWODIS_REF_M\n399999100001,-1\n399999100099,2\n"
    upload.set_input_files(files=[{"name": "bad.csv", "mimeType": "text/csv",
                                   "buffer": bad.encode()}])
    page.get_by_role("button", name="Upload and compare").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The file was refused: 2 problems. Nothing was stored.")
    expect(alert).to_contain_text("399999100099 is not a school of District A")
    assert_accessible(page, "the upload form showing a refused file")
    assert SisUpload.objects.count() == 0

    header, *schools = rows
    i = header.index("SCH_DISCWODIS_REF_BL_M")
    schools[0][i] = str(int(schools[0][i]) + 1)
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *schools])
    page.get_by_label("Counts file (CSV)").set_input_files(files=[{
        "name": "sis.csv", "mimeType": "text/csv", "buffer": buffer.getvalue().encode()}])
    page.get_by_role("button", name="Upload and compare").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Reconciliation: District A, 2025-26")
    cells = page.get_by_role("table", name="Compared cells")
    expect(cells.locator("tbody tr")).to_have_count(1)
    expect(cells.locator("tbody tr")).to_contain_text("SCH_DISCWODIS_REF_BL_M")
    expect(cells.locator("tbody tr")).to_contain_text("+1")
    assert_accessible(page, "the reconciliation")
    page.get_by_label("Show").select_option("all")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(cells.locator("tbody tr")).to_have_count(2 * 82)


def test_reconciliation_on_a_phone(mobile_page: Page, live_world: Any) -> None:
    from opensro.crdc import services

    _records(live_world)
    raw = b"COMBOKEY,TOT_DISCWODIS_REF_M\n399999100001,4\n"
    upload = services.upload_sis_counts(None, live_world.district_a, live_world.year, raw)
    sign_in(mobile_page, "district_admin")
    mobile_page.goto(f"/crdc/uploads/{upload.pk}/")
    expect(mobile_page.get_by_role("table", name="Compared cells")).to_contain_text("+3")
    assert_accessible(mobile_page, "the reconciliation on a phone")


def test_no_menu_entry_without_the_right(signed_in: Callable[[str], Page]) -> None:
    page = signed_in("school_admin")
    menu = page.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link", name="Dashboard")).to_be_visible()
    expect(menu.get_by_role("link", name="CRDC")).to_have_count(0)
