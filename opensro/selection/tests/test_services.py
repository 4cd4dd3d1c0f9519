"""Selection through the service layer and the pages: eligibility shown with reasons,
committee composition, ratings on the ten qualities, and refused decisions (R-B1…R-B4).
"""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from conftest import World
from opensro.core.models import AuditEvent
from opensro.selection import services
from opensro.selection.choices import QUALITY_FIELDS
from opensro.selection.models import Candidate, Probation, Rating

D = datetime.date


@pytest.fixture
def sw(world: World) -> World:
    o = world.objects
    sup = world.users["supervisor"]
    o["process"] = services.create_process(sup, {
        "agency": world.agency_a, "school": world.school_a1, "title": "SRO for School A1",
        "opened_on": D(2025, 3, 1)})
    o["candidate"] = services.create_candidate(sup, {
        "process": o["process"], "officer": world.peer_a, "volunteered": True,
        "youth_experience": "Youth league coach"})
    return world


def complete_committee(w: World) -> None:
    sup = w.users["supervisor"]
    w.objects["member_school"] = services.create_member(sup, {
        "process": w.process, "name": "Ana Principal", "role": "school_representative",
        "works_with_sro": True, "user": w.users["school_admin"]})
    w.objects["member_sup"] = services.create_member(sup, {
        "process": w.process, "name": "Sgt. Lee", "role": "agency_supervisor",
        "works_with_sro": True, "user": w.users["supervisor"]})


def scores(value: int = 4) -> dict[str, int]:
    return dict.fromkeys(QUALITY_FIELDS, value)


def test_candidate_defaults_to_the_officer_record(sw: World) -> None:
    c = sw.candidate
    assert (c.first_name, c.last_name, c.date_sworn) == ("Sam", "PeerA", D(2012, 3, 1))
    event = AuditEvent.objects.get(action="create", object_type="selection.Candidate",
                                   object_id=str(c.pk))
    assert event.actor_id == sw.users["supervisor"].pk


def test_candidate_from_another_agency_is_refused(sw: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.create_candidate(sw.users["system_admin"], {
            "process": sw.process, "officer": sw.officer_b, "volunteered": True})
    assert "another agency" in exc.value.message_dict["officer"][0]


def test_youth_complaint_needs_notes(sw: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.update_candidate(sw.users["supervisor"], sw.candidate,
                                  {"youth_complaints": True})
    assert "Describe the complaint" in exc.value.message_dict["youth_complaint_notes"][0]


def test_selecting_with_an_incomplete_committee_is_refused(sw: World) -> None:
    seq = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.decide(sw.users["agency_admin"], sw.candidate, "selected", "Best interview")
    message = exc.value.message_dict["decision"][0]
    assert "The committee is incomplete" in message
    assert "Add a school representative" in message
    assert "Add the agency supervisor" in message
    assert Candidate.objects.get(pk=sw.candidate.pk).decision == "pending"
    assert AuditEvent.objects.count() == seq


def test_selecting_an_ineligible_candidate_is_refused(sw: World) -> None:
    complete_committee(sw)
    rookie = services.create_candidate(sw.users["supervisor"], {
        "process": sw.process, "first_name": "Rory", "last_name": "Rookie",
        "date_sworn": D(2024, 1, 8), "volunteered": False})
    with pytest.raises(ValidationError) as exc:
        services.decide(sw.users["agency_admin"], rookie, "selected", "Enthusiastic",
                        D(2025, 6, 1))
    message = exc.value.message_dict["decision"][0]
    assert "Rory Rookie cannot be selected: not eligible" in message
    assert "eligible from 2027-01-08" in message
    assert "volunteers only" in message
    # Not selecting an ineligible candidate is fine, with a reason.
    done = services.decide(sw.users["agency_admin"], rookie, "not_selected",
                           "Not yet eligible", D(2025, 6, 1))
    assert done.decision == "not_selected"


def test_decision_needs_a_reason_and_a_choice(sw: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.decide(sw.users["agency_admin"], sw.candidate, "maybe", " ")
    assert set(exc.value.message_dict) == {"decision", "decision_reason"}


def test_selection_with_a_complete_committee_is_recorded_and_audited(sw: World) -> None:
    complete_committee(sw)
    admin = sw.users["agency_admin"]
    decided = services.decide(admin, sw.candidate, "selected", "Strongest ratings",
                              D(2025, 6, 1))
    assert (decided.decision, decided.decided_on, decided.decided_by) == (
        "selected", D(2025, 6, 1), admin)
    event = AuditEvent.objects.filter(action="decide").order_by("-seq")[0]
    assert event.actor_id == admin.pk
    assert event.before["decision"] == "pending"
    assert event.after["decision"] == "selected"
    assert event.reason == "Strongest ratings"


def test_school_admin_cannot_decide(sw: World) -> None:
    complete_committee(sw)
    with pytest.raises(PermissionDenied):
        services.decide(sw.users["school_admin"], sw.candidate, "selected", "I like them")


def test_ratings_by_each_member_on_the_ten_qualities(sw: World) -> None:
    complete_committee(sw)
    services.rate(sw.users["supervisor"], sw.candidate, sw.member_sup, scores(5))
    # The school administrator rates as the member linked to their account.
    mine = services.rate(sw.users["school_admin"], sw.candidate, sw.member_school,
                         {**scores(3), "diversion": 5}, "Strong on diversion")
    assert mine.average == 3.2
    summary = services.rating_summary(sw.candidate)
    assert summary["rated"] == 2
    assert summary["members"] == 2
    assert summary["per_quality"]["diversion"] == 5.0
    assert summary["per_quality"]["teaching"] == 4.0
    assert summary["overall"] == 4.1
    # Changing a member's ratings updates their row, audited.
    services.rate(sw.users["school_admin"], sw.candidate, sw.member_school, scores(4))
    assert Rating.objects.filter(candidate=sw.candidate).count() == 2
    assert AuditEvent.objects.filter(object_type="selection.Rating", action="update",
                                     object_id=str(mine.pk)).exists()


def test_school_admin_rates_only_as_themselves(sw: World) -> None:
    complete_committee(sw)
    with pytest.raises(PermissionDenied, match="only their own ratings"):
        services.rate(sw.users["school_admin"], sw.candidate, sw.member_sup, scores(1))
    assert not Rating.objects.exists()


def test_scores_outside_one_to_five_are_refused(sw: World) -> None:
    complete_committee(sw)
    with pytest.raises(ValidationError) as exc:
        services.rate(sw.users["supervisor"], sw.candidate, sw.member_sup,
                      {**scores(), "teaching": 6})
    assert "teaching" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.rate(sw.users["supervisor"], sw.candidate, sw.member_sup,
                      {**scores(), "charisma": 5})
    assert "Unknown quality: charisma" in exc.value.message_dict["scores"][0]
    assert not Rating.objects.exists()


def test_member_of_another_committee_cannot_rate(sw: World) -> None:
    complete_committee(sw)
    other = services.create_process(None, {"agency": sw.agency_a, "title": "Pool",
                                           "opened_on": D(2025, 1, 1)})
    outsider = services.create_member(None, {"process": other, "name": "X",
                                             "role": "teacher"})
    with pytest.raises(ValidationError) as exc:
        services.rate(sw.users["supervisor"], sw.candidate, outsider, scores())
    assert "not on the committee" in exc.value.message_dict["member"][0]


def test_probation_with_the_school_administrators_review(sw: World) -> None:
    complete_committee(sw)
    sup = sw.users["supervisor"]
    with pytest.raises(ValidationError, match="Only a selected candidate"):
        services.create_probation(sup, {"candidate": sw.candidate,
                                        "start_date": D(2025, 8, 1),
                                        "end_date": D(2026, 1, 31)})
    services.decide(sup, sw.candidate, "selected", "Best fit", D(2025, 6, 1))
    probation = services.create_probation(sup, {"candidate": sw.candidate,
                                                "start_date": D(2025, 8, 1),
                                                "end_date": D(2026, 1, 31)})
    # The outcome cannot be recorded before the school administrator's review (R-B4).
    with pytest.raises(ValidationError) as exc:
        services.update_probation(sup, probation, {"outcome": "confirmed",
                                                   "outcome_reason": "Good"})
    assert "school administrator's review" in exc.value.message_dict["outcome"][0]
    # The school administrator documents their part; nothing else.
    school = sw.users["school_admin"]
    with pytest.raises(PermissionDenied):
        services.update_probation(school, probation, {"outcome": "removed"})
    reviewed = services.update_probation(school, probation, {
        "reviewed_on": D(2026, 1, 15), "school_admin_comments": "Works well with staff."})
    assert reviewed.school_admin_user == school
    assert reviewed.school_admin_name == "School Admin"
    event = AuditEvent.objects.filter(object_type="selection.Probation").order_by("-seq")[0]
    assert event.actor_id == school.pk
    done = services.update_probation(sup, reviewed, {"outcome": "confirmed",
                                                     "outcome_reason": "Met all goals"})
    assert done.outcome == "confirmed"
    # A selected SRO serving probation cannot be switched to "not selected" silently.
    with pytest.raises(ValidationError, match="probationary period"):
        services.decide(sup, sw.candidate, "not_selected", "Changed our minds")


def test_probation_dates_are_checked(sw: World) -> None:
    complete_committee(sw)
    services.decide(None, sw.candidate, "selected", "Best fit", D(2025, 6, 1))
    with pytest.raises(ValidationError) as exc:
        services.create_probation(None, {"candidate": sw.candidate,
                                         "start_date": D(2025, 8, 1),
                                         "end_date": D(2025, 7, 1)})
    assert "end after it starts" in exc.value.message_dict["end_date"][0]
    assert not Probation.objects.exists()


# --------------------------------------------------------------------------- pages


def client_for(w: World, persona: str) -> Client:
    c = Client()
    c.force_login(w.users[persona])
    return c


def test_decision_refusal_is_shown_on_the_page_and_api(sw: World) -> None:
    client = client_for(sw, "agency_admin")
    page = client.post(f"/selection/candidates/{sw.candidate.pk}/decide/", {
        "decision": "selected", "decision_reason": "Good", "decided_on": "2025-06-01"})
    assert page.status_code == 400
    body = page.content.decode()
    assert "The committee is incomplete, so no one can be selected yet." in body
    api = client.post(f"/api/selection/candidates/{sw.candidate.pk}/decision",
                      json.dumps({"decision": "selected", "reason": "Good"}),
                      content_type="application/json")
    assert api.status_code == 422
    assert api.json()["detail"][0]["field"] == "decision"
    assert "committee is incomplete" in api.json()["detail"][0]["message"]
    assert Candidate.objects.get(pk=sw.candidate.pk).decision == "pending"


def test_eligibility_is_shown_with_reasons(sw: World) -> None:
    rookie = services.create_candidate(None, {
        "process": sw.process, "first_name": "Rory", "last_name": "Rookie",
        "date_sworn": D(2024, 1, 8), "volunteered": True, "youth_complaints": True,
        "youth_complaint_notes": "2024 complaint by a parent, sustained."})
    page = client_for(sw, "supervisor").get(f"/selection/candidates/{rookie.pk}/")
    body = page.content.decode()
    assert "Does not meet" in body
    assert "eligible from 2027-01-08" in body
    assert "A complaint or disciplinary action involving youth is recorded." in body
    assert "2024 complaint by a parent" in body  # the agency sees the notes
    api = client_for(sw, "supervisor").get(f"/api/selection/candidates/{rookie.pk}").json()
    assert api["eligible"] is False
    assert [c["code"] for c in api["eligibility"] if not c["passed"]] == ["experience",
                                                                        "youth_record"]


def test_school_admin_sees_the_verdict_not_the_personnel_notes(sw: World) -> None:
    rookie = services.create_candidate(None, {
        "process": sw.process, "first_name": "Rory", "last_name": "Rookie",
        "date_sworn": D(2010, 1, 8), "volunteered": True, "youth_complaints": True,
        "youth_complaint_notes": "2024 complaint by a parent, sustained."})
    client = client_for(sw, "school_admin")
    page = client.get(f"/selection/candidates/{rookie.pk}/").content.decode()
    assert "A complaint or disciplinary action involving youth is recorded." in page
    assert "2024 complaint by a parent" not in page
    api = client.get(f"/api/selection/candidates/{rookie.pk}").json()
    assert api["youth_complaint_notes"] is None
    assert api["youth_complaints"] is True


def test_committee_page_shows_composition(sw: World) -> None:
    client = client_for(sw, "supervisor")
    body = client.get(f"/selection/{sw.process.pk}/").content.decode()
    assert "The committee is incomplete (R-B2)" in body
    complete_committee(sw)
    body = client.get(f"/selection/{sw.process.pk}/").content.decode()
    assert "The committee includes a school representative" in body
    api = client.get(f"/api/selection/selections/{sw.process.pk}").json()
    assert api["committee_problems"] == []




def test_audit_trail_matches_the_stored_rows(sw: World) -> None:
    from opensro.core.audit import verify_state

    complete_committee(sw)
    services.rate(sw.users["supervisor"], sw.candidate, sw.member_sup, scores(5))
    services.decide(sw.users["supervisor"], sw.candidate, "selected", "Best", D(2025, 6, 1))
    services.create_probation(None, {"candidate": sw.candidate, "start_date": D(2025, 8, 1),
                                     "end_date": D(2026, 1, 31)})
    _count, problems = verify_state()
    assert [p for p in problems if p.object_type.startswith("selection.")] == []
