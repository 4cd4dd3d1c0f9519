"""Survey windows: the rules, their messages, the links and QR codes, and the audit
trail of every set-up write (R-E4, R-F2; architecture rules 2 and 8)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from conftest import World, login
from opensro.core import audit
from opensro.core.flags import due_items
from opensro.core.models import AuditEvent
from opensro.navigation import menu_for
from opensro.surveys import services
from opensro.surveys.models import Campaign, SurveyLink
from opensro.surveys.tests.conftest import current_year, open_window

TODAY = datetime.date.today()


def events() -> int:
    return AuditEvent.objects.count()


def new_window(world: World, **changes: Any) -> dict[str, Any]:
    current_year()
    data = {"school": world.school_a2, "name": "Winter survey",
            "opens_on": TODAY, "closes_on": TODAY + datetime.timedelta(days=14),
            "groups": ["student", "staff"]}
    data.update(changes)
    return data


def test_create_writes_window_and_links_with_audit(w: World) -> None:
    user = w.users["district_admin"]
    before = events()
    window = services.create_campaign(user, new_window(w))
    assert window.school_year == current_year()
    links = {link.group: link for link in window.links.all()}
    assert set(links) == {"student", "staff"}
    assert links["student"].questionnaire.group == "student"
    assert len({link.token for link in links.values()}) == 2
    assert all(len(link.token) >= 22 for link in links.values())
    new = AuditEvent.objects.filter(seq__gt=0).order_by("-seq")[: events() - before]
    assert events() == before + 3
    kinds = {(e.object_type, e.action, e.actor_id) for e in new}
    assert kinds == {("surveys.Campaign", "create", user.pk),
                     ("surveys.SurveyLink", "create", user.pk)}
    event = AuditEvent.objects.get(object_type="surveys.Campaign", object_id=str(window.pk))
    assert event.after == audit.snapshot(window)


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"groups": []}, "groups", "Choose at least one respondent group."),
    ({"groups": ["teachers"]}, "groups", "Unknown respondent group 'teachers'"),
    ({"closes_on": TODAY - datetime.timedelta(days=1)}, "closes_on",
     "must close on or after the day it opens"),
    ({"opens_on": datetime.date(1990, 1, 1), "closes_on": datetime.date(1990, 2, 1)},
     "opens_on", "No school year covers this date"),
    ({"opens_on": TODAY - datetime.timedelta(days=9),
      "closes_on": TODAY - datetime.timedelta(days=1)}, "closes_on",
     "A new window cannot close in the past."),
    ({"closes_on": TODAY + datetime.timedelta(days=2000)}, "closes_on",
     "A window stays within one school year"),
])
def test_bad_windows_get_clear_messages_and_nothing_is_stored(
        w: World, changes: dict[str, Any], field: str, message: str) -> None:
    user = w.users["district_admin"]
    rows, links, before = Campaign.objects.count(), SurveyLink.objects.count(), events()
    with pytest.raises(ValidationError) as err:
        services.create_campaign(user, new_window(w, **changes))
    assert field in err.value.message_dict
    assert any(message in m for m in err.value.message_dict[field])
    assert (Campaign.objects.count(), SurveyLink.objects.count(), events()) == (
        rows, links, before)


def test_windows_at_one_school_cannot_overlap(w: World) -> None:
    user = w.users["district_admin"]
    services.create_campaign(user, new_window(w))
    with pytest.raises(ValidationError) as err:
        services.create_campaign(user, new_window(w, opens_on=TODAY + datetime.timedelta(
            days=7), closes_on=TODAY + datetime.timedelta(days=30)))
    assert "already has a survey window" in err.value.message_dict["opens_on"][0]
    # Another school is fine.
    services.create_campaign(user, new_window(w, school=w.school_a1))


def test_a_closed_window_keeps_its_dates_and_groups(w: World) -> None:
    user = w.users["school_admin"]
    window = w.window_a1
    before = events()
    for changes, field in (({"closes_on": TODAY + datetime.timedelta(days=3)}, "closes_on"),
                           ({"groups": ["student", "family"]}, "groups")):
        with pytest.raises(ValidationError) as err:
            services.update_campaign(user, window, changes)
        assert field in err.value.message_dict, changes
    assert "cannot be reopened" in " ".join(err.value.messages) or "cannot change" in " ".join(
        err.value.messages)
    # Its name may still be corrected.
    services.update_campaign(user, window, {"name": "Fall climate survey"})
    assert events() == before + 1


def test_answered_window_rules(w: World) -> None:
    user = w.users["district_admin"]
    window = open_window(w, "school_a2", ("student", "family"))
    link = window.links.get(group="family")
    raw = {f"q{q.pk}": "4" for q in link.questionnaire.questions.all()}
    services.submit_response(link, services.issue_ticket(link), raw)
    with pytest.raises(ValidationError) as err:
        services.update_campaign(user, window, {"groups": ["student"]})
    assert "Families have already answered" in err.value.message_dict["groups"][0]
    with pytest.raises(ValidationError) as err:
        services.update_campaign(user, window, {"opens_on": window.opens_on
                                                - datetime.timedelta(days=1)})
    assert "opening day cannot change" in err.value.message_dict["opens_on"][0]
    with pytest.raises(ValidationError) as err:
        services.update_campaign(user, window, {"closes_on": TODAY - datetime.timedelta(
            days=1)})
    assert "Answers came in up to" in err.value.message_dict["closes_on"][0]
    # Closing early (today) is allowed; adding a group gives it a link.
    services.update_campaign(user, window, {"closes_on": TODAY,
                                            "groups": ["student", "family", "staff"]})
    assert window.links.filter(group="staff").exists()
    with pytest.raises(ValidationError, match="cannot be deleted"):
        services.delete_campaign(user, window, "Set up twice")


def test_update_is_audited_with_before_and_after(w: World) -> None:
    user = w.users["district_admin"]
    window = services.create_campaign(user, new_window(w))
    before_snapshot = audit.snapshot(Campaign.objects.get(pk=window.pk))
    count = events()
    services.update_campaign(user, window, {"closes_on": TODAY + datetime.timedelta(days=20),
                                            "groups": ["student", "family", "staff"]})
    assert events() == count + 2  # the window, and the new family link
    event = AuditEvent.objects.filter(object_type="surveys.Campaign").order_by("-seq").first()
    assert event is not None and event.action == "update" and event.actor_id == user.pk
    assert event.before == before_snapshot
    assert event.after["groups"] == ["student", "family", "staff"]


def test_renew_link_is_audited_and_kills_the_old_link(w: World) -> None:
    user = w.users["school_admin"]
    window = open_window(w)
    link = window.links.get(group="staff")
    old = link.token
    client = login(w, "school_admin")
    response = client.post(f"/surveys/windows/{window.pk}/links/staff/renew/",
                           {"reason": "Posted on a public board"})
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.token != old
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert (event.action, event.actor_id, event.reason) == ("renew_link", user.pk,
                                                            "Posted on a public board")
    assert event.before["token"] == old and event.after["token"] == link.token
    assert Client().get(f"/surveys/s/{old}/").status_code == 404
    # Outside the school admin's scope: not found; without the role: refused.
    other = open_window(w, "school_b1")
    count = events()
    assert client.post(f"/surveys/windows/{other.pk}/links/staff/renew/").status_code == 404
    assert login(w, "auditor").post(
        f"/surveys/windows/{window.pk}/links/staff/renew/").status_code == 403
    assert events() == count


def test_delete_unanswered_window(w: World) -> None:
    window = open_window(w, "school_a2")
    link_ids = list(window.links.values_list("pk", flat=True))
    client = login(w, "district_admin")
    page = client.get(f"/surveys/windows/{window.pk}/").content.decode()
    assert "Delete this window" in page
    count = events()
    refused = client.post(f"/surveys/windows/{window.pk}/delete/", {"reason": " "})
    assert refused.status_code == 302
    assert Campaign.objects.filter(pk=window.pk).exists() and events() == count
    done = client.post(f"/surveys/windows/{window.pk}/delete/", {"reason": "Set up twice"})
    assert done.status_code == 302 and done["Location"] == "/surveys/windows/"
    assert not Campaign.objects.filter(pk=window.pk).exists()
    assert not SurveyLink.objects.filter(pk__in=link_ids).exists()
    deleted = AuditEvent.objects.filter(seq__gt=0, action="delete").order_by("-seq")[:4]
    assert {(e.object_type, e.after) for e in deleted} >= {("surveys.Campaign", None),
                                                           ("surveys.SurveyLink", None)}
    assert events() == count + 1 + len(link_ids)
    # Answered windows cannot be deleted (and show no delete form).
    page = client.get(f"/surveys/windows/{w.window_a1.pk}/").content.decode()
    assert "Delete this window" not in page


def test_audit_verify_stays_clean(w: World) -> None:
    window = services.create_campaign(w.users["district_admin"], new_window(w))
    services.update_campaign(w.users["district_admin"], window, {"name": "Renamed"})
    services.renew_link(w.users["district_admin"], window.links.get(group="student"))
    _checked, problems = audit.verify_state()
    assert [p for p in problems if p.object_type.startswith("surveys.")] == []
    assert audit.verify_chain()[1] is None


def test_web_form_create_and_errors(w: World) -> None:
    current_year()
    client = login(w, "school_admin")
    form = client.get("/surveys/windows/new/")
    assert form.status_code == 200
    options = form.content.decode()
    assert "School A1" in options and "School A2" not in options  # only their school
    count = events()
    bad = client.post("/surveys/windows/new/", {
        "school": w.school_a1.pk, "name": "", "opens_on": TODAY.isoformat(),
        "closes_on": (TODAY - datetime.timedelta(days=3)).isoformat()})
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "Choose at least one respondent group." in body
    assert events() == count
    bad = client.post("/surveys/windows/new/", {
        "school": w.school_a1.pk, "opens_on": TODAY.isoformat(), "groups": ["student"],
        "closes_on": (TODAY - datetime.timedelta(days=3)).isoformat()})
    assert bad.status_code == 400
    assert "must close on or after the day it opens" in bad.content.decode()
    outside = client.post("/surveys/windows/new/", {
        "school": w.school_b1.pk, "opens_on": TODAY.isoformat(), "groups": ["student"],
        "closes_on": (TODAY + datetime.timedelta(days=3)).isoformat()})
    assert outside.status_code == 400
    assert "Select a valid choice" in outside.content.decode()
    assert events() == count
    ok = client.post("/surveys/windows/new/", {
        "school": w.school_a1.pk, "opens_on": TODAY.isoformat(),
        "groups": ["student", "family"],
        "closes_on": (TODAY + datetime.timedelta(days=3)).isoformat()})
    assert ok.status_code == 302
    window = Campaign.objects.get(school=w.school_a1, opens_on=TODAY)
    assert ok["Location"] == f"/surveys/windows/{window.pk}/"
    detail = client.get(ok["Location"]).content.decode()
    assert "<svg role=\"img\"" in detail and "QR code for the students survey" in detail
    assert f"/surveys/s/{window.links.get(group='family').token}/" in detail
    assert "?lang=es" in detail
    # Editing keeps the school fixed.
    edit = client.post(f"/surveys/windows/{window.pk}/edit/", {
        "school": w.school_b1.pk, "opens_on": TODAY.isoformat(), "groups": ["student"],
        "name": "Renamed", "closes_on": (TODAY + datetime.timedelta(days=3)).isoformat()})
    assert edit.status_code == 302
    window.refresh_from_db()
    assert window.school_id == w.school_a1.pk and window.name == "Renamed"
    assert window.groups == ["student"]


def test_qr_downloads(w: World) -> None:
    window = open_window(w)
    client = login(w, "school_admin")
    token = window.links.get(group="family").token
    svg = client.get(f"/surveys/windows/{window.pk}/links/family/qr.svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert svg["Content-Disposition"].startswith('attachment; filename="survey-school-a1-family')
    assert svg.content.startswith(b"<?xml") and b"<svg" in svg.content
    png = client.get(f"/surveys/windows/{window.pk}/links/family/qr.png?lang=es")
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert "family-es.png" in png["Content-Disposition"]
    # The code holds the link.
    import segno

    expected = segno.make(f"http://testserver/surveys/s/{token}/?lang=es", error="m")
    import io

    again = io.BytesIO()
    expected.save(again, kind="png", scale=12, border=4)
    assert png.content == again.getvalue()
    assert client.get(f"/surveys/windows/{window.pk}/links/teachers/qr.svg").status_code == 404
    assert login(w, "supervisor").get(
        f"/surveys/windows/{window.pk}/links/family/qr.svg").status_code == 404


def test_due_items_and_menu(w: World) -> None:
    window = open_window(w)
    items = due_items(w.users["school_admin"], TODAY, 60)
    assert [(i.kind, i.due) for i in items if i.kind == "survey_window"] == [
        ("survey_window", window.closes_on)]
    assert not [i for i in due_items(w.users["supervisor"], TODAY, 60)
                if i.kind == "survey_window"]
    labels = {p: {i["label"] for i in menu_for(w.users[p])} for p in w.users}
    assert {"Survey windows", "Survey results"} <= labels["school_admin"]
    assert "Survey windows" not in labels["sro"] and "Survey results" in labels["sro"]
    assert not {"Survey windows", "Survey results"} & labels["outsider"]


def test_permission_checked_in_services(w: World) -> None:
    count = events()
    with pytest.raises(PermissionDenied):
        services.create_campaign(w.users["supervisor"], new_window(w))
    with pytest.raises(PermissionDenied):
        services.create_campaign(w.users["school_admin"], new_window(w))  # school A2
    with pytest.raises(PermissionDenied):
        services.renew_link(w.users["auditor"], w.window_a1.links.get(group="student"))
    with pytest.raises(PermissionDenied):
        services.delete_campaign(w.users["school_admin"], w.window_b2, "Not mine")
    assert events() == count
