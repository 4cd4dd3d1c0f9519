"""The supervision pages (R-F1…R-F3) pass axe-core, with their forms and error states,
and work with the keyboard alone: a school administrator adds the school's input to a
review and a supervisor rates an evaluation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from conftest import World
from opensro.core.context import request_context
from opensro.supervision.instrument import seed_standard_instrument
from opensro.supervision.models import RatingCriterion, RatingInstrument, Review
from opensro.supervision.tests import world as supervision_world
from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import assert_accessible

pytestmark = pytest.mark.browser


@pytest.fixture
def supervised(live_world: World) -> World:
    with request_context():
        seed_standard_instrument(RatingInstrument, RatingCriterion)  # flushed between tests
        supervision_world.prepare(live_world)
    return live_world


def test_supervisor_pages_pass_axe(page: Page, supervised: World) -> None:
    w = supervised
    sign_in(page, "supervisor")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Supervision").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Supervision")
    assert_accessible(page, "the supervision page")
    for url, heading, what in [
        ("/supervision/early-warning/", "Early warning", "the early-warning figures"),
        (f"/supervision/early-warning/{w.ew_a.pk}/", str(w.ew_a), "one early-warning result"),
        ("/supervision/reviews/", "Twice-yearly reviews", "the review list"),
        (f"/supervision/reviews/{w.review_a1.pk}/", str(w.review_a1), "a review"),
        (f"/supervision/reviews/{w.review_a1.pk}/edit/", f"Schedule: {w.review_a1}",
         "the review schedule form"),
        ("/supervision/evaluations/", "Evaluations", "the evaluation list"),
        (f"/supervision/evaluations/{w.eval_a.pk}/", str(w.eval_a), "an evaluation"),
        ("/supervision/evaluations/new/", "Start an evaluation", "the new evaluation form"),
        ("/supervision/instruments/", "Rating instruments", "the instruments"),
        (f"/supervision/instruments/{w.standard.pk}/", str(w.standard), "an instrument"),
    ]:
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert_accessible(page, what)

    # Completing without minutes: the errors are announced and the page stays accessible.
    page.goto(f"/supervision/reviews/{w.review_a1.pk}/")
    page.get_by_role("button", name="Complete the review").click()
    expect(page.get_by_role("alert")).to_contain_text("Record the minutes")
    assert_accessible(page, "the review completion form with errors")

    # Rating with the keyboard.
    page.goto(f"/supervision/evaluations/{w.eval_a.pk}/edit/")
    assert_accessible(page, "the evaluation rating form")
    score = page.get_by_role("group", name="De-escalation").get_by_label("Score")
    score.focus()
    score.select_option(label="4 — Exceeds expectations")
    page.get_by_label("Summary").fill("Calm, documented de-escalation.")
    page.get_by_label("Summary").press("Tab")
    page.get_by_role("button", name="Save").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Saved the evaluation")
    expect(page.get_by_role("row", name="De-escalation")).to_contain_text("4 — Exceeds")


def test_school_administrator_adds_input_on_a_phone(mobile_page: Page,
                                                    supervised: World) -> None:
    w = supervised
    sign_in(mobile_page, "school_admin")
    mobile_page.goto(f"/supervision/reviews/{w.review_a1.pk}/")
    assert_accessible(mobile_page, "a review on a phone")
    mobile_page.get_by_label("The school's input").fill("Please discuss the October fight.")
    mobile_page.get_by_role("button", name="Save the school's input").click()
    expect(mobile_page.get_by_role("status")).to_contain_text("Saved the school's input")
    assert Review.objects.get(pk=w.review_a1.pk).school_input.startswith("Please discuss")
    mobile_page.goto("/supervision/inputs/")
    assert_accessible(mobile_page, "the input requests on a phone")
    mobile_page.goto(f"/supervision/inputs/{w.input_a.pk}/edit/")
    mobile_page.get_by_role("button", name="Send the input").click()
    expect(mobile_page.get_by_role("alert")).to_contain_text("Write what works well")
    assert_accessible(mobile_page, "the input form with an error on a phone")
