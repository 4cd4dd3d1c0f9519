"""Twice-yearly reviews (R-F3): planned per SRO and school each half-year, the period's
incidents collected automatically (and scoped), minutes and follow-up items recorded,
the school administrator's input, overdue reviews flagged and cleared, and the due
source for dashboards."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from conftest import World, last_seq, login, module_world
from opensro.core import audit, flags
from opensro.core.models import AuditEvent, Flag, FlagStatus
from opensro.supervision import services
from opensro.supervision.choices import ReviewStatus
from opensro.supervision.models import Review
from opensro.supervision.tests import world as sw


@pytest.fixture(scope="module")
def shared_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    yield from module_world(django_db_blocker, sw.prepare)


def state(review: Review) -> dict[str, Any]:
    return audit.snapshot(Review.objects.prefetch_related("follow_ups").get(pk=review.pk))


# --------------------------------------------------------------------------- planning


def test_one_review_per_sro_and_school_per_half_year(w: World) -> None:
    assert Review.objects.count() == 8
    pairs = set(Review.objects.values_list("officer_id", "school_id", "half"))
    assert len(pairs) == 8
    fall = w.review_a1
    assert (fall.period_start, fall.period_end, fall.due_date) == (
        datetime.date(2025, 8, 18), datetime.date(2025, 12, 31), datetime.date(2026, 1, 30))
    assert services.plan_reviews(None, sw.OVERDUE_DAY) == 0  # idempotent
    assert AuditEvent.objects.filter(action="plan_review",
                                     object_id=str(w.review_a1.pk)).exists()


def test_overdue_reviews_are_flagged_on_the_school(w: World) -> None:
    flag = Flag.objects.get(pk=w.flag_rev_a1.pk)
    assert flag.kind == services.REVIEW_OVERDUE_FLAG and flag.status == FlagStatus.OPEN
    assert (flag.agency_id, flag.district_id, flag.school_id, flag.officer_id) == (
        w.agency_a.pk, w.district_a.pk, w.school_a1.pk, w.officer_a.pk)
    assert flag.evidence["due_date"] == "2026-01-30"
    # The spring reviews are not due yet.
    assert not Flag.objects.filter(kind=services.REVIEW_OVERDUE_FLAG,
                                   subject_id=str(w.review_a1s.pk)).exists()
    assert w.review_a1.overdue is True


# --------------------------------------------------------------------------- incidents


def test_the_halfs_incidents_are_collected_and_scoped(w: World) -> None:
    from opensro.supervision import selectors

    rows = selectors.review_incidents(w.users["supervisor"], w.review_a1)
    assert len(rows) == 21  # 20 arrests and 1 discipline-involvement case
    whys = [r["why"] for r in rows]
    assert whys.count(["arrest"]) == 20 and whys.count(["discipline involvement"]) == 1
    restraint = selectors.review_incidents(w.users["district_admin"], w.review_a2)
    assert len(restraint) == 16 and all(r["why"] in (["restraint"],
                                                     ["discipline involvement"])
                                        for r in restraint)
    for persona in ("sro", "school_admin"):
        assert len(selectors.review_incidents(w.users[persona], w.review_a1)) == 21
    # Scoped: the SRO reads none of peer A's records even given peer A's review.
    assert selectors.review_incidents(w.users["sro"], w.review_a2) == []
    page = login(w, "school_admin").get(f"/supervision/reviews/{w.review_a1.pk}/")
    assert page.content.decode().count("discipline involvement") >= 1
    assert len(page.context["incidents"]) == 21


# --------------------------------------------------------------------------- completing


def test_supervisor_completes_a_review_with_minutes_and_follow_ups(w: World) -> None:
    client, seq = login(w, "supervisor"), last_seq()
    meeting = datetime.date(2026, 1, 20)
    response = client.post(f"/supervision/reviews/{w.review_a1.pk}/complete/", {
        "meeting_on": meeting.isoformat(), "attendees": "Sgt. Lee, Officer A, Principal B",
        "minutes": "Went through each arrest; two could have been diversion.",
        "fu-TOTAL_FORMS": "3", "fu-INITIAL_FORMS": "0",
        "fu-0-action": "Diversion refresher", "fu-0-owner": "Officer A",
        "fu-0-due_date": "2026-03-01"})
    assert response.status_code == 302, response.content.decode()[-1500:]
    review = Review.objects.get(pk=w.review_a1.pk)
    assert review.status == ReviewStatus.COMPLETED and review.meeting_on == meeting
    assert review.completed_by_id == w.users["supervisor"].pk
    assert review.supervisor_id == w.users["supervisor"].pk  # the supervisor who held it
    assert len(review.incidents_reviewed) == 21
    assert [(f.action, f.owner) for f in review.follow_ups.all()] == [
        ("Diversion refresher", "Officer A")]
    event = AuditEvent.objects.get(seq__gt=seq, action="complete_review")
    assert event.after["status"] == "completed" and len(event.after["follow_ups"]) == 1
    flag = Flag.objects.get(pk=w.flag_rev_a1.pk)
    assert flag.status == FlagStatus.CLEARED and "completed" in flag.decision_reason
    # The next refresh neither re-raises it nor raises anything new for it.
    services.refresh_reviews(sw.OVERDUE_DAY)
    assert not Flag.objects.filter(kind=services.REVIEW_OVERDUE_FLAG,
                                   subject_id=str(review.pk), status=FlagStatus.OPEN).exists()


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"attendees": "x", "minutes": "y"}, "meeting_on", "Give the date"),
    ({"meeting_on": "2026-01-20", "minutes": "y"}, "attendees", "Name who attended"),
    ({"meeting_on": "2026-01-20", "attendees": "x"}, "minutes", "Record the minutes"),
    ({"meeting_on": (timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
      "attendees": "x", "minutes": "y"}, "meeting_on", "not before"),
])
def test_completing_needs_date_attendees_and_minutes(w: World, data: dict[str, str],
                                                     field: str, message: str) -> None:
    client, seq, before = login(w, "supervisor"), last_seq(), state(w.review_a2)
    response = client.post(f"/supervision/reviews/{w.review_a2.pk}/complete/", {
        **data, "fu-TOTAL_FORMS": "1", "fu-INITIAL_FORMS": "0"})
    assert response.status_code == 400
    errors = response.context["complete_form"].errors[field]
    assert any(message in e for e in errors), errors
    assert state(w.review_a2) == before and last_seq() == seq


def test_follow_up_needs_an_owner_through_the_api(w: World) -> None:
    client, seq = login(w, "agency_admin"), last_seq()
    response = client.post(f"/api/supervision/reviews/{w.review_a2.pk}/complete", json.dumps({
        "meeting_on": "2026-01-21", "attendees": "x", "minutes": "y",
        "follow_ups": [{"action": "Call the parents' council"}]}),
        content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"] == [{"field": "follow_ups.0.owner",
                                          "message": "Say who will do it."}]
    assert Review.objects.get(pk=w.review_a2.pk).status == ReviewStatus.PLANNED
    assert last_seq() == seq


def test_complete_through_the_api_and_mark_a_follow_up_done(w: World) -> None:
    client = login(w, "agency_admin")
    response = client.post(f"/api/supervision/reviews/{w.review_a2.pk}/complete", json.dumps({
        "meeting_on": "2026-01-21", "attendees": "x", "minutes": "Reviewed restraints.",
        "follow_ups": [{"action": "Restraint refresher", "owner": "Training unit"}]}),
        content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "completed" and len(body["incidents_reviewed"]) == 16
    item = Review.objects.get(pk=w.review_a2.pk).follow_ups.get()
    web = login(w, "supervisor").post(
        f"/supervision/reviews/{w.review_a2.pk}/follow-ups/{item.pk}/done/")
    assert web.status_code == 302
    item.refresh_from_db()
    assert item.done_on == timezone.localdate()


# --------------------------------------------------------------------------- school input


def test_school_administrator_adds_the_schools_input(w: World) -> None:
    client, seq = login(w, "school_admin"), last_seq()
    response = client.post(f"/supervision/reviews/{w.review_a1.pk}/school-input/",
                           {"school_input": "Please discuss the October fight."})
    assert response.status_code == 302
    review = Review.objects.get(pk=w.review_a1.pk)
    assert review.school_input == "Please discuss the October fight."
    assert review.school_input_by_id == w.users["school_admin"].pk
    assert AuditEvent.objects.get(seq__gt=seq).action == "school_input"


def test_school_input_rules(w: World) -> None:
    before = state(w.review_a1)
    empty = login(w, "school_admin").post(
        f"/supervision/reviews/{w.review_a1.pk}/school-input/", {"school_input": " "})
    assert empty.status_code == 400
    assert "Write the school's input" in empty.context["input_form"].errors["school_input"][0]
    for persona in ("supervisor", "sro"):  # not the school's administrator
        response = login(w, persona).post(
            f"/supervision/reviews/{w.review_a1.pk}/school-input/", {"school_input": "x"})
        assert response.status_code == 403
    api = login(w, "district_admin").post(
        f"/api/supervision/reviews/{w.review_a1.pk}/school-input",
        json.dumps({"school_input": "x"}), content_type="application/json")
    assert api.status_code == 403
    assert state(w.review_a1) == before
    with pytest.raises(PermissionDenied):
        services.record_school_input(w.users["school_admin"], w.review_a2, "not my school")


# --------------------------------------------------------------------------- scheduling


def test_scheduling_rules(w: World) -> None:
    before, seq = state(w.review_a1), last_seq()
    cases = [
        ({"supervisor": w.users["school_admin"]}, "supervisor", "not a supervisor"),
        ({"school_administrator": w.users["supervisor"]}, "school_administrator",
         "not an administrator"),
        ({"meeting_on": datetime.date(2025, 6, 1)}, "meeting_on", "cannot be before"),
    ]
    for data, field, message in cases:
        with pytest.raises(ValidationError) as err:
            services.update_review(w.users["supervisor"], w.review_a1, data)
        assert message in err.value.message_dict[field][0]
    assert state(w.review_a1) == before and last_seq() == seq
    review = services.update_review(w.users["supervisor"], w.review_a1, {
        "meeting_on": datetime.date(2026, 2, 20), "supervisor": w.users["supervisor"],
        "school_administrator": w.users["school_admin"]})
    assert review.status == ReviewStatus.SCHEDULED


def test_cancel_needs_a_reason_and_clears_the_overdue_flag(w: World) -> None:
    with pytest.raises(ValidationError, match="Say why"):
        services.cancel_review(w.users["supervisor"], w.review_a2, "  ")
    assert Review.objects.get(pk=w.review_a2.pk).status == ReviewStatus.PLANNED
    services.cancel_review(w.users["supervisor"], w.review_a2, "Assignment ended in October.")
    assert Flag.objects.get(pk=w.flag_rev_a2.pk).status == FlagStatus.CLEARED
    services.refresh_reviews(sw.OVERDUE_DAY)
    assert not Flag.objects.filter(subject_id=str(w.review_a2.pk), status="open",
                                   kind=services.REVIEW_OVERDUE_FLAG).exists()


def test_a_dismissed_overdue_flag_is_not_raised_again(w: World) -> None:
    flags.decide_flag(w.users["district_admin"], w.flag_rev_a2, agree=True,
                      action_taken="Review rescheduled",
                      reason="The principal was on leave; meeting set for March.")
    services.refresh_reviews(sw.OVERDUE_DAY + datetime.timedelta(days=1))
    assert not Flag.objects.filter(subject_id=str(w.review_a2.pk), status="open",
                                   kind=services.REVIEW_OVERDUE_FLAG).exists()


def test_creating_a_duplicate_or_unassigned_review_is_refused(w: World) -> None:
    from opensro.directory.models import SchoolYear

    year = SchoolYear.objects.get(code="2025-26")
    count = Review.objects.count()
    with pytest.raises(ValidationError, match="already exists"):
        services.create_review(w.users["supervisor"], {
            "officer": w.officer_a, "school": w.school_a1, "school_year": year,
            "half": "fall"})
    with pytest.raises(ValidationError, match="was not assigned"):
        services.create_review(w.users["supervisor"], {
            "officer": w.officer_a, "school": w.school_a2, "school_year": year,
            "half": "fall"})
    assert Review.objects.count() == count


# --------------------------------------------------------------------------- due items


def test_upcoming_reviews_are_due_items_in_scope(w: World) -> None:
    today = datetime.date(2026, 1, 20)

    def due(persona: str) -> set[int]:
        items = flags.due_items(w.users[persona], today, 60)
        return {int(i.url.rstrip("/").split("/")[-1]) for i in items
                if i.kind == "supervision_review"}

    assert due("supervisor") == {w.review_a1.pk, w.review_a2.pk}
    assert due("school_admin") == {w.review_a1.pk}
    assert due("sro") == {w.review_a1.pk}
    assert due("outsider") == set()
    item = next(i for i in flags.due_items(w.users["sro"], today, 60)
                if i.kind == "supervision_review")
    assert item.due == datetime.date(2026, 1, 30) and not item.overdue(today)
    assert item.school_id == w.school_a1.pk and item.officer_id == w.officer_a.pk
    later = {int(i.url.rstrip("/").split("/")[-1]) for i in flags.due_items(
        w.users["supervisor"], datetime.date(2026, 6, 1), 60) if i.kind == "supervision_review"}
    assert w.review_a1s.pk in later and w.review_a1.pk in later  # overdue stays listed
