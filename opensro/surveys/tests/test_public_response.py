"""The public survey page: single-use tickets, validation messages, anonymity, Spanish
(R-E4, R-F2)."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.core import signing
from django.test import Client

from conftest import World
from opensro.core.models import AuditEvent
from opensro.surveys import services
from opensro.surveys.models import Answer, Campaign, Response, SurveyLink, UsedTicket
from opensro.surveys.tests.conftest import open_window


def url(link: SurveyLink) -> str:
    return f"/surveys/s/{link.token}/"


def ticket_of(page: str) -> str:
    match = re.search(r'name="ticket" value="([^"]+)"', page)
    assert match, "the form carries no ticket"
    return match.group(1)


def full_answers(link: SurveyLink, value: str = "4") -> dict[str, str]:
    return {f"q{q.pk}": value for q in link.questionnaire.questions.all()}


def stored() -> tuple[int, int, int]:
    return Response.objects.count(), Answer.objects.count(), UsedTicket.objects.count()


@pytest.fixture
def window(w: World) -> Campaign:
    return open_window(w)


@pytest.fixture
def student_link(window: Campaign) -> SurveyLink:
    return window.links.get(group="student")


def test_each_visit_gets_its_own_ticket_and_nothing_is_stored(student_link: SurveyLink
                                                              ) -> None:
    before = stored()
    first = Client().get(url(student_link))
    second = Client().get(url(student_link))
    assert first.status_code == second.status_code == 200
    assert ticket_of(first.content.decode()) != ticket_of(second.content.decode())
    # A reload within one visit keeps the ticket (held in a cookie for this link only).
    client = Client()
    ticket = ticket_of(client.get(url(student_link)).content.decode())
    assert ticket_of(client.get(url(student_link)).content.decode()) == ticket
    cookie = client.cookies["opensro_survey_ticket"]
    assert cookie["path"] == url(student_link) and cookie["httponly"]
    assert not cookie["max-age"] and not cookie["expires"]  # gone when the browser closes
    # "Answer as another person" starts a new visit.
    hop = client.get(url(student_link) + "?new=1")
    assert hop.status_code == 302 and hop["Location"] == url(student_link)
    assert ticket_of(client.get(url(student_link)).content.decode()) != ticket
    assert stored() == before  # serving the form writes nothing


def test_reload_after_sending_shows_already_sent(student_link: SurveyLink) -> None:
    client = Client()
    ticket = ticket_of(client.get(url(student_link)).content.decode())
    assert client.post(url(student_link), {"ticket": ticket, **full_answers(student_link)}
                       ).status_code == 302
    before = stored()
    again = client.get(url(student_link))
    assert again.status_code == 200
    body = again.content.decode()
    assert "already sent" in body and 'name="ticket"' not in body
    assert f'href="{url(student_link)}?new=1"' in body
    # A new visit, deliberately started, is a new response.
    client.get(url(student_link) + "?new=1")
    fresh = ticket_of(client.get(url(student_link)).content.decode())
    assert fresh != ticket
    assert client.post(url(student_link), {"ticket": fresh, **full_answers(student_link)}
                       ).status_code == 302
    assert stored()[0] == before[0] + 1


def test_submit_then_resubmit_is_refused_and_nothing_more_is_stored(
        student_link: SurveyLink) -> None:
    client = Client()
    page = client.get(url(student_link)).content.decode()
    data = {"ticket": ticket_of(page), **full_answers(student_link)}
    before = stored()
    n = student_link.questionnaire.questions.count()
    assert n == 9
    sent = client.post(url(student_link), data)
    assert sent.status_code == 302
    assert sent["Location"] == f"/surveys/s/{student_link.token}/thanks/#main"
    assert stored() == (before[0] + 1, before[1] + n, before[2] + 1)
    thanks = client.get(sent["Location"])
    assert "Thank you" in thanks.content.decode()

    # The same form again (Back, then Send; or a reload of the POST): refused.
    again = client.post(url(student_link), {**data, **full_answers(student_link, "1")})
    assert again.status_code == 409
    body = again.content.decode()
    assert "already sent" in body
    assert "sent only once" in body
    assert 'name="ticket"' not in body  # no fresh form to send again
    assert stored() == (before[0] + 1, before[1] + n, before[2] + 1)
    assert set(Answer.objects.filter(response__campaign=student_link.campaign)
               .values_list("value", flat=True)) == {4}


def test_used_ticket_refused_by_the_service_too(student_link: SurveyLink) -> None:
    ticket = services.issue_ticket(student_link)
    services.submit_response(student_link, ticket, full_answers(student_link))
    before = stored()
    with pytest.raises(services.TicketError) as err:
        services.submit_response(student_link, ticket, full_answers(student_link))
    assert err.value.code == services.TicketError.USED
    assert stored() == before


def test_a_ticket_racing_itself_stores_once(student_link: SurveyLink, monkeypatch: Any
                                           ) -> None:
    """Two sends of one ticket at the same instant both pass the first check; the
    unique ticket row lets only one of them store anything."""
    ticket = services.issue_ticket(student_link)
    services.submit_response(student_link, ticket, full_answers(student_link))
    before = stored()
    real_filter = UsedTicket.objects.filter

    class NotYetSeen:
        def exists(self) -> bool:
            return False

    monkeypatch.setattr(UsedTicket.objects, "filter", lambda **kw: NotYetSeen())
    with pytest.raises(services.TicketError) as err:
        services.submit_response(student_link, ticket, full_answers(student_link))
    monkeypatch.setattr(UsedTicket.objects, "filter", real_filter)
    assert err.value.code == services.TicketError.USED
    assert stored() == before


def test_a_ticket_works_only_on_its_own_link(window: Campaign) -> None:
    student = window.links.get(group="student")
    staff = window.links.get(group="staff")
    client = Client()
    ticket = ticket_of(client.get(url(student)).content.decode())
    before = stored()
    response = client.post(url(staff), {"ticket": ticket, **full_answers(staff)})
    assert response.status_code == 400
    assert "could not be checked" in response.content.decode()
    assert stored() == before


def test_missing_answers_get_messages_and_keep_the_ticket(student_link: SurveyLink) -> None:
    client = Client()
    ticket = ticket_of(client.get(url(student_link)).content.decode())
    questions = list(student_link.questionnaire.questions.all())
    partial = {f"q{questions[0].pk}": "5", f"q{questions[2].pk}": "dk"}
    before = stored()
    response = client.post(url(student_link), {"ticket": ticket, **partial})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'role="alert"' in body
    assert "Question 2: choose an answer, or “Don&#x27;t know”." in body
    assert "Question 1:" not in body and "Question 3:" not in body
    # Errors sit next to their question and link from the summary.
    assert f'id="id_q{questions[1].pk}_error"' in body
    assert f'href="#id_q{questions[1].pk}_0"' in body
    # What was chosen stays chosen.
    assert re.search(rf'name="q{questions[0].pk}" value="5"[^>]*checked', body)
    assert stored() == before
    # The same ticket works once the form is complete.
    assert ticket_of(body) == ticket
    done = client.post(url(student_link), {"ticket": ticket, **full_answers(student_link)})
    assert done.status_code == 302
    assert stored()[0] == before[0] + 1


def test_only_dont_know_is_not_counted(student_link: SurveyLink) -> None:
    client = Client()
    ticket = ticket_of(client.get(url(student_link)).content.decode())
    before = stored()
    response = client.post(url(student_link),
                           {"ticket": ticket, **full_answers(student_link, "dk")})
    assert response.status_code == 400
    assert "Answer at least one question" in response.content.decode()
    assert stored() == before


@pytest.mark.parametrize("bad", ["0", "6", "3.5", "strongly", "<script>"])
def test_tampered_values_are_refused(student_link: SurveyLink, bad: str) -> None:
    client = Client()
    ticket = ticket_of(client.get(url(student_link)).content.decode())
    data = full_answers(student_link)
    first = next(iter(data))
    data[first] = bad
    before = stored()
    response = client.post(url(student_link), {"ticket": ticket, **data})
    assert response.status_code == 400
    body = response.content.decode()
    assert body.count("Question 1: choose one of the answers shown.") == 2  # summary, field
    assert "Select a valid choice" not in body
    assert "<script>" not in body
    assert stored() == before


def test_a_question_from_another_survey_is_refused(window: Campaign) -> None:
    student = window.links.get(group="student")
    staff = window.links.get(group="staff")
    client = Client()
    ticket = ticket_of(client.get(url(student)).content.decode())
    before = stored()
    extra = {f"q{q.pk}": "3" for q in staff.questionnaire.questions.all()}
    response = client.post(url(student), {"ticket": ticket, **full_answers(student), **extra})
    assert response.status_code == 400
    assert "not on this survey" in response.content.decode()
    assert stored() == before


def test_forged_ticket_gets_a_fresh_form_with_answers_kept(student_link: SurveyLink) -> None:
    client = Client()
    before = stored()
    data = full_answers(student_link, "2")
    response = client.post(url(student_link), {"ticket": "made-up", **data})
    assert response.status_code == 400
    body = response.content.decode()
    assert "could not be checked" in body
    fresh = ticket_of(body)
    assert fresh != "made-up"
    assert re.search(r'value="2"[^>]*checked', body)
    assert stored() == before
    assert client.post(url(student_link), {"ticket": fresh, **data}).status_code == 302


def test_expired_ticket(student_link: SurveyLink, monkeypatch: Any) -> None:
    old = signing.TimestampSigner(salt="opensro.surveys.ticket")
    monkeypatch.setattr(old, "timestamp", lambda: signing.b62_encode(
        int((datetime.datetime.now() - datetime.timedelta(days=4)).timestamp())))
    ticket = old.sign_object({"l": student_link.pk, "n": "x" * 24})
    before = stored()
    response = Client().post(url(student_link), {"ticket": ticket,
                                                 **full_answers(student_link)})
    assert response.status_code == 400
    assert "open for more than three days" in response.content.decode()
    assert stored() == before


def test_missing_ticket(student_link: SurveyLink) -> None:
    before = stored()
    response = Client().post(url(student_link), full_answers(student_link))
    assert response.status_code == 400
    assert stored() == before


def test_works_without_cookies_or_csrf_token(student_link: SurveyLink) -> None:
    """Anyone can answer: no session, no CSRF cookie needed (the ticket is the check)."""
    client = Client(enforce_csrf_checks=True)
    ticket = ticket_of(client.get(url(student_link)).content.decode())
    client.cookies.clear()
    response = client.post(url(student_link), {"ticket": ticket, **full_answers(student_link)})
    assert response.status_code == 302
    assert "sessionid" not in response.cookies


def test_nothing_identifying_is_stored(student_link: SurveyLink) -> None:
    """A response holds its window, group, questionnaire and date; an answer its
    question and value; a used ticket a digest. No IP, user agent, time, user or
    language; no audit event (it would carry a time and a request id)."""
    assert {f.name for f in Response._meta.concrete_fields} == {
        "id", "campaign", "group", "questionnaire", "submitted_on"}
    assert {f.name for f in Answer._meta.concrete_fields} == {"id", "response", "question",
                                                              "value"}
    assert {f.name for f in UsedTicket._meta.concrete_fields} == {"digest"}
    events = AuditEvent.objects.count()
    client = Client(REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT="Agent/77",
                    HTTP_X_FORWARDED_FOR="198.51.100.9")
    ticket = ticket_of(client.get(url(student_link)).content.decode())
    client.post(url(student_link), {"ticket": ticket, **full_answers(student_link)})
    assert AuditEvent.objects.count() == events
    response = Response.objects.get(campaign=student_link.campaign)
    assert isinstance(response.pk, __import__("uuid").UUID)  # no sequence to order by
    assert response.submitted_on == datetime.date.today()
    dumped = repr(list(Response.objects.values())) + repr(list(Answer.objects.values())) + \
        repr(list(UsedTicket.objects.values()))
    for secret in ("203.0.113.77", "198.51.100.9", "Agent/77", ticket):
        assert secret not in dumped


def test_closed_and_scheduled_windows(w: World) -> None:
    closed = w.window_a1.links.get(group="student")
    page = Client().get(url(closed))
    assert page.status_code == 200
    assert "This survey closed on 2025-10-31" in page.content.decode()
    assert 'name="ticket"' not in page.content.decode()
    # A form served before the close and sent after it is refused.
    ticket = services.issue_ticket(closed)
    before = stored()
    sent = Client().post(url(closed), {"ticket": ticket, **full_answers(closed)})
    assert sent.status_code == 410
    assert stored() == before

    window = open_window(w, "school_b2")
    services.update_campaign(None, window, {
        "opens_on": datetime.date.today() + datetime.timedelta(days=5),
        "closes_on": datetime.date.today() + datetime.timedelta(days=30)})
    later = window.links.get(group="student")
    body = Client().get(url(later)).content.decode()
    assert "This survey opens on" in body


def test_group_taken_off_the_window(window: Campaign) -> None:
    family = window.links.get(group="family")
    services.update_campaign(None, window, {"groups": ["student", "staff"]})
    body = Client().get(url(family)).content.decode()
    assert "no longer open to this group" in body


def test_unknown_and_renewed_links(student_link: SurveyLink) -> None:
    assert Client().get("/surveys/s/not-a-real-token/").status_code == 404
    old = url(student_link)
    ticket = ticket_of(Client().get(old).content.decode())
    services.renew_link(None, student_link)
    student_link.refresh_from_db()
    gone = Client().get(old)
    assert gone.status_code == 404
    assert "does not work" in gone.content.decode()
    before = stored()
    assert Client().post(old, {"ticket": ticket, **full_answers(student_link)}
                         ).status_code == 404
    assert stored() == before
    assert Client().get(url(student_link)).status_code == 200


def test_spanish_page(student_link: SurveyLink) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    body = client.get(url(student_link)).content.decode()
    assert '<html lang="es">' in body
    assert "Me siento seguro o segura en la escuela." in body
    assert "Encuesta para estudiantes" in body
    assert "Muy en desacuerdo" in body
    assert "Las respuestas son anónimas" in body
    assert "Enviar mis respuestas" in body
    assert "I feel safe at school." not in body
    # Messages in Spanish too.
    ticket = ticket_of(body)
    errors = client.post(url(student_link), {"ticket": ticket}).content.decode()
    assert "Pregunta 1: elija una respuesta" in errors
    done = client.post(url(student_link), {"ticket": ticket, **full_answers(student_link)})
    assert "Gracias" in client.get(done["Location"]).content.decode()
    again = client.post(url(student_link), {"ticket": ticket, **full_answers(student_link)})
    assert "ya se enviaron" in again.content.decode()


def test_link_printed_for_spanish(student_link: SurveyLink) -> None:
    client = Client()
    hop = client.get(url(student_link) + "?lang=es")
    assert hop.status_code == 302
    assert hop["Location"] == url(student_link)
    body = client.get(hop["Location"]).content.decode()
    assert "Me siento seguro o segura en la escuela." in body
    english = Client().get(url(student_link)).content.decode()
    assert "I feel safe at school." in english
    assert "Strongly disagree" in english
