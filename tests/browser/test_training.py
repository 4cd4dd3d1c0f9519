"""Training and selection in a real browser: an SRO records a course with its
certificate on a phone and the overdue standing clears; the training and selection
pages pass axe-core, including their error states (R-G1…R-G4, R-B1…R-B4).
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import assert_accessible

pytestmark = pytest.mark.browser
D = datetime.date


def _pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=300, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def training_world(live_world: Any, settings: Any, tmp_path: Path) -> Any:
    """The shared world with the seeded catalog (the flushed database lost it), agency A
    on the COPS profile, and a selection for school A1."""
    from opensro.selection import services as sel
    from opensro.training import catalog, services
    from opensro.training.models import Course, PolicyProfile, RequirementRule

    settings.MEDIA_ROOT = str(tmp_path / "media")
    catalog.seed(Course, PolicyProfile, RequirementRule)
    w = live_world
    services.set_agency_policy(None, w.agency_a, PolicyProfile.objects.get(name=catalog.COPS),
                               D(2024, 8, 1))
    services.create_record(None, {"officer": w.peer_a, "course": Course.objects.get(
        code="basic_sro"), "completed_on": D(2024, 5, 1), "hours": Decimal("40"),
        "provider": "NASRO"})
    process = sel.create_process(None, {"agency": w.agency_a, "school": w.school_a1,
                                        "title": "SRO for School A1",
                                        "opened_on": D(2025, 3, 1)})
    sel.create_member(None, {"process": process, "name": "Principal A",
                             "role": "school_representative", "works_with_sro": True,
                             "user": w.users["school_admin"]})
    w.objects["process"] = process
    w.objects["candidate"] = sel.create_candidate(None, {
        "process": process, "first_name": "Rory", "last_name": "Rookie",
        "date_sworn": D(2024, 1, 8), "volunteered": True})
    return w


def test_sro_records_the_basic_course_on_a_phone(mobile_page: Page,
                                                 training_world: Any) -> None:
    from opensro.core.models import Flag
    from opensro.training.models import TrainingRecord

    w = training_world
    page = mobile_page
    flag = Flag.objects.get(kind="training_overdue", subject_id=str(w.officer_a.pk))
    assert flag.status == "open"
    sign_in(page, "sro")
    page.goto("/training/")
    page.get_by_role("link", name="My training and compliance").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Training: Pat OfficerA")
    expect(page.locator("table.compliance")).to_contain_text("Overdue")
    assert_accessible(page, "an SRO's training page on a phone")

    page.get_by_role("link", name="Add a training record").click()
    expect(page.get_by_label("Officer")).to_have_value(str(w.officer_a.pk))
    page.get_by_label("Course").select_option(label="Basic SRO course (40 hours)")
    done = datetime.date.today() - datetime.timedelta(days=30)  # recent: nothing else due
    page.get_by_label("Date completed").fill(done.isoformat())
    page.get_by_label("Hours").fill("24")  # not the 40-hour course: it will not count
    page.get_by_label("Provider").fill("Ohio SRO Academy")
    page.get_by_label("Certificate").set_input_files(
        files=[{"name": "certificate.txt", "mimeType": "text/plain", "buffer": b"hello"}])
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("PDF, PNG or JPEG")
    assert_accessible(page, "the training record form with errors")
    assert not TrainingRecord.objects.filter(officer=w.officer_a).exists()

    page.get_by_label("Hours").fill("40")
    page.get_by_label("Certificate").set_input_files(
        files=[{"name": "certificate.pdf", "mimeType": "application/pdf", "buffer": _pdf()}])
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/training/records/\d+/$"))
    expect(page.get_by_role("status")).to_contain_text("Saved")
    page.get_by_role("link", name="Open the certificate").click()
    record = TrainingRecord.objects.get(officer=w.officer_a)
    assert record.certificate.endswith(".pdf")
    page.goto(f"/training/officers/{w.officer_a.pk}/")
    expect(page.locator("table.compliance")).not_to_contain_text("Overdue")
    flag.refresh_from_db()
    assert flag.status == "cleared"


PAGES = [
    ("supervisor", "/training/", "the training hub"),
    ("supervisor", "/training/compliance/", "the agency compliance table"),
    ("supervisor", "/training/records/", "the training records"),
    ("supervisor", "/training/records/import/", "the training import"),
    ("supervisor", "/training/courses/", "the course catalog"),
    ("supervisor", "/training/profiles/", "the policy profiles"),
    ("system_admin", "/training/profiles/{cops}/", "a policy profile"),
    ("system_admin", "/training/profiles/{cops}/rules/new/", "the rule form (built in)"),
    ("supervisor", "/training/staff-training/", "the staff training list"),
    ("school_admin", "/training/staff-training/new/", "the staff training form"),
    ("supervisor", "/training/administrator-records/", "district administrators' training"),
    ("supervisor", "/selection/", "the selections"),
    ("supervisor", "/selection/{process}/", "a selection and its committee"),
    ("supervisor", "/selection/candidates/{candidate}/", "a candidate"),
    ("school_admin", "/selection/ratings/new/?candidate={candidate}", "the rating form"),
]


def test_training_and_selection_pages_pass_axe(page: Page, training_world: Any) -> None:
    from opensro.training import catalog
    from opensro.training.models import PolicyProfile

    w = training_world
    ids = {"cops": PolicyProfile.objects.get(name=catalog.COPS).pk,
           "process": w.process.pk, "candidate": w.candidate.pk}
    problems = []
    current = None
    for persona, url, what in PAGES:
        if persona != current:
            if current is not None:
                page.context.clear_cookies()
            sign_in(page, persona)
            current = persona
        page.goto(url.format(**ids))
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        try:
            assert_accessible(page, what)
        except pytest.fail.Exception as exc:
            problems.append(str(exc))
    assert not problems, "\n".join(problems)


def test_refused_decision_is_explained(signed_in: Callable[[str], Page],
                                      training_world: Any) -> None:
    w = training_world
    page = signed_in("agency_admin")
    page.goto(f"/selection/candidates/{w.candidate.pk}/")
    expect(page.get_by_text("Does not meet")).to_have_count(1)
    page.get_by_label("Selected", exact=True).check()
    page.get_by_label("Reason").fill("Great interview")
    page.get_by_role("button", name="Record the decision").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("cannot be selected: not eligible")
    expect(alert).to_contain_text("eligible from 2027-01-08")
    assert_accessible(page, "a refused decision")
    w.candidate.refresh_from_db()
    assert w.candidate.decision == "pending"
