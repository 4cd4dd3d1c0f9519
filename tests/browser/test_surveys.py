"""The public survey page in a real browser (R-E4, R-F2): a Spanish link answered with
the keyboard only, the thank-you page, a resend refused, and axe-core on the page in
English and Spanish."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from conftest import World
from tests.browser.test_accessibility import assert_accessible

pytestmark = pytest.mark.browser


@pytest.fixture
def survey_link(live_world: World) -> Any:
    """School A1's student link in a window open today (the questionnaires are seeded
    again: a transactional test before this one may have emptied the tables)."""
    from opensro.surveys.models import Question, Questionnaire
    from opensro.surveys.questionnaires import seed_questionnaires
    from opensro.surveys.tests.conftest import open_window

    seed_questionnaires(Questionnaire, Question)
    window = open_window(live_world, "school_a1")
    return window.links.get(group="student")


def focused_name(page: Page) -> str:
    return str(page.evaluate("document.activeElement && (document.activeElement.name || "
                             "document.activeElement.textContent || '')"))


def responses() -> int:
    from opensro.surveys.models import Response

    return Response.objects.count()


def test_spanish_link_answered_with_the_keyboard(page: Page, survey_link: Any) -> None:
    questions = list(survey_link.questionnaire.questions.all())
    # The link printed for Spanish speakers (the Spanish QR code holds it).
    page.goto(f"/surveys/s/{survey_link.token}/?lang=es")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Encuesta para estudiantes")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("group", name="1. Me siento seguro o segura en la escuela."))\
        .to_be_visible()
    assert_accessible(page, "the survey page in Spanish")

    # Keyboard only: Tab to the first question, Space to choose, arrows to change.
    first = f"q{questions[0].pk}"
    for _ in range(40):
        page.keyboard.press("Tab")
        if focused_name(page) == first:
            break
    assert focused_name(page) == first, "Tab never reached the first question"
    for n, question in enumerate(questions):
        assert focused_name(page) == f"q{question.pk}"
        page.keyboard.press("Space")  # "Muy en desacuerdo" (1)
        for _ in range(n % 4):  # then across the scale: 1, 2, 3, 4, 1, 2…
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Tab")
    assert focused_name(page).strip() == "Enviar mis respuestas"
    checked = page.evaluate("Array.from(document.querySelectorAll('input[type=radio]:checked'))"
                            ".map(r => r.value)")
    assert checked == [str(n % 4 + 1) for n in range(len(questions))]
    ticket = page.locator("input[name=ticket]").input_value()
    before = responses()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Gracias")
    assert page.url.endswith(f"/surveys/s/{survey_link.token}/thanks/#main")
    assert responses() == before + 1
    assert_accessible(page, "the thank-you page")

    # Back to the form: the visit's ticket is used, so the form cannot be sent again.
    # (A browser that shows the old form from its cache gets the same answer on Send.)
    page.go_back()
    heading = page.get_by_role("heading", level=1)
    expect(heading).not_to_have_text("Gracias")
    if page.get_by_role("button", name="Enviar mis respuestas").count():
        page.get_by_role("button", name="Enviar mis respuestas").focus()
        page.keyboard.press("Enter")
    expect(heading).to_have_text("Estas respuestas ya se enviaron")
    assert page.get_by_role("button", name="Enviar mis respuestas").count() == 0
    assert responses() == before + 1
    assert_accessible(page, "the page refusing a second send")
    # Reload: still refused.
    page.reload()
    expect(heading).to_have_text("Estas respuestas ya se enviaron")
    assert responses() == before + 1
    # Re-sending the very same form data (what a browser's "resend" does): refused.
    resend = page.request.post(f"/surveys/s/{survey_link.token}/", form={
        "ticket": ticket, **{f"q{q.pk}": "5" for q in questions}}, max_redirects=0)
    assert resend.status == 409
    assert responses() == before + 1
    # Someone else on the same device starts a new response on purpose.
    page.get_by_role("link", name="Responder como otra persona").click()
    expect(page.get_by_role("button", name="Enviar mis respuestas")).to_be_visible()


def test_survey_page_accessible_in_english_with_errors(page: Page, survey_link: Any) -> None:
    page.goto(f"/surveys/s/{survey_link.token}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Student survey")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_accessible(page, "the survey page in English")
    before = responses()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("alert")).to_contain_text("Question 1: choose an answer")
    assert responses() == before
    assert_accessible(page, "the survey page showing errors")
    # The summary links to the question, which then has focus.
    page.get_by_role("link", name="Question 2: choose an answer").click()
    questions = list(survey_link.questionnaire.questions.all())
    assert focused_name(page) == f"q{questions[1].pk}"


def test_survey_page_on_a_phone_in_spanish(mobile_page: Page, survey_link: Any) -> None:
    mobile_page.goto(f"/surveys/s/{survey_link.token}/")
    mobile_page.get_by_label("Language").select_option("es")
    mobile_page.get_by_role("button", name="Change").or_(
        mobile_page.get_by_role("button", name="Modificar")).click()
    expect(mobile_page.get_by_role("heading", level=1)).to_contain_text(
        "Encuesta para estudiantes")
    # The choices are large enough to tap (44 px).
    box = mobile_page.get_by_text("Muy de acuerdo").first.locator("..").bounding_box()
    assert box is not None and box["height"] >= 44
    assert_accessible(mobile_page, "the survey page on a phone in Spanish")
