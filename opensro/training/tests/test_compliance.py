"""Compliance and the ``training_overdue`` flag through the service layer (R-G1, R-G2,
R-G4): the rules are data, so switching an agency's profile, or adapting a copied
profile's rule, changes who is overdue with no change to the code.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from conftest import World
from opensro.core import flags
from opensro.core.models import AuditEvent, Flag, FlagStatus
from opensro.directory import services as ds
from opensro.directory.models import Officer
from opensro.training import catalog, compliance, services
from opensro.training.choices import State
from opensro.training.models import AgencyPolicy, PolicyProfile, RequirementRule
from opensro.training.tests.helpers import cops, course, nasro, record_data, seed

D = datetime.date
TODAY = D(2025, 6, 15)  # 10.5 months after officer A and peer A were placed (2024-08-01)


@pytest.fixture
def tw(world: World) -> World:
    """Officer A has no basic course (COPS: overdue since 2025-05-01; NASRO: due by
    2025-08-01). Peer A took the basic course before placement and a recommended topic
    since, but not the advanced course a year after basic (NASRO: overdue)."""
    seed()
    services.create_record(None, record_data(world.peer_a, "basic_sro", D(2024, 5, 1), "40"),
                           today=TODAY)
    services.create_record(None, record_data(world.peer_a, "topic_deescalation",
                                             D(2025, 3, 1)), today=TODAY)
    return world


def overdue_officers(day: datetime.date = TODAY) -> set[str]:
    flags.refresh(day, only=services.OVERDUE_FLAG)
    return set(Flag.objects.filter(kind=services.OVERDUE_FLAG, status=FlagStatus.OPEN)
               .values_list("subject_id", flat=True))


def test_seeded_profiles_and_catalog(db: Any) -> None:
    seed()
    names = set(PolicyProfile.objects.filter(built_in=True).values_list("name", flat=True))
    assert names == {catalog.COPS, catalog.NASRO}
    basic = RequirementRule.objects.get(profile=cops(), courses=course("basic_sro"))
    assert (basic.anchor, basic.offset_amount, basic.offset_unit) == ("placement", 9, "months")
    assert basic.min_hours == 40
    for code in ("basic_sro", "advanced_sro", "adolescent_mental_health", "school_cpted",
                 "sro_management", "rapid_deployment", "annual_conference"):
        assert course(code).active
    assert course("topic_deescalation").recommended_topic
    mgmt = RequirementRule.objects.get(profile=nasro(), courses=course("sro_management"))
    assert mgmt.audiences == ["supervisor", "district_admin"]
    assert mgmt.anchor == "program_start"


def test_changing_the_policy_profile_changes_which_officers_are_overdue(tw: World) -> None:
    """Same officers, same records; only the agency's profile changes (through the
    service), and with it the set of overdue officers."""
    admin = tw.users["agency_admin"]
    services.set_agency_policy(admin, tw.agency_a, cops(), D(2024, 8, 1), today=TODAY)
    assert overdue_officers() == {str(tw.officer_a.pk)}

    services.set_agency_policy(admin, tw.agency_a, nasro(), today=TODAY)
    assert overdue_officers() == {str(tw.peer_a.pk)}
    # The officer A flag was cleared by the switch itself, not left open.
    cleared = Flag.objects.get(kind=services.OVERDUE_FLAG, subject_id=str(tw.officer_a.pk))
    assert cleared.status == FlagStatus.CLEARED
    event = AuditEvent.objects.filter(object_type="training.AgencyPolicy").order_by("-seq")[0]
    assert event.actor_id == admin.pk
    assert event.action == "update"
    assert event.before["profile_id"] == cops().pk
    assert event.after["profile_id"] == nasro().pk


def test_an_adapted_copy_changes_who_is_overdue_without_code(tw: World) -> None:
    """A state that allows twelve months for the basic course: copy COPS, change the one
    rule's offset in data, point the agency at the copy."""
    sysadmin = tw.users["system_admin"]
    services.set_agency_policy(None, tw.agency_a, cops(), D(2024, 8, 1), today=TODAY)
    assert str(tw.officer_a.pk) in overdue_officers()
    state = services.copy_profile(sysadmin, cops(), "COPS with a twelve-month basic course")
    assert state.rules.count() == cops().rules.count()
    assert state.based_on == cops()
    basic = state.rules.get(courses=course("basic_sro"))
    services.update_rule(sysadmin, basic, {"offset_amount": 12})
    services.set_agency_policy(None, tw.agency_a, state, today=TODAY)
    assert str(tw.officer_a.pk) not in overdue_officers()
    # The built-in profile itself is unchanged and refuses edits.
    assert cops().rules.get(courses=course("basic_sro")).offset_amount == 9
    with pytest.raises(ValidationError) as exc:
        services.update_rule(sysadmin, cops().rules.first(), {"offset_amount": 12})
    assert "built in" in exc.value.message_dict["profile"][0]


def test_training_overdue_is_raised_and_cleared_by_recording_the_course(tw: World) -> None:
    services.set_agency_policy(None, tw.agency_a, cops(), D(2024, 8, 1), today=TODAY)
    result = flags.refresh(TODAY, only=services.OVERDUE_FLAG)[services.OVERDUE_FLAG]
    flag = Flag.objects.get(kind=services.OVERDUE_FLAG, subject_id=str(tw.officer_a.pk),
                            status=FlagStatus.OPEN)
    assert result.raised == 0  # already raised when the policy was set
    assert flag.officer == tw.officer_a
    assert flag.agency == tw.agency_a
    assert flag.school == tw.school_a1  # the officer's current school: its admin sees it
    assert flag.evidence["profile"] == catalog.COPS
    assert flag.evidence["overdue"] == [{
        "requirement": "Basic SRO course within nine months of placement",
        "due": "2025-05-01", "courses": ["Basic SRO course (40 hours)"]}]
    assert "Training overdue" in flag.title
    # One flag per officer: refreshing again neither duplicates nor re-audits.
    events = AuditEvent.objects.count()
    again = flags.refresh(TODAY, only=services.OVERDUE_FLAG)[services.OVERDUE_FLAG]
    assert (again.raised, again.cleared) == (0, 0)
    assert AuditEvent.objects.count() == events
    assert Flag.objects.filter(kind=services.OVERDUE_FLAG, status=FlagStatus.OPEN).count() == 1

    # A 24-hour course does not meet the 40-hour requirement: the flag stays.
    sro = tw.users["sro"]
    services.create_record(sro, record_data(tw.officer_a, "basic_sro", D(2025, 6, 1), "24"),
                           today=TODAY)
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN
    # Recording the missing 40-hour course clears it at once, in the same transaction.
    record = services.create_record(sro, record_data(tw.officer_a, "basic_sro",
                                                     D(2025, 6, 10), "40"), today=TODAY)
    flag.refresh_from_db()
    assert flag.status == FlagStatus.CLEARED
    assert "up to date" in flag.decision_reason
    created = AuditEvent.objects.get(action="create", object_type="training.TrainingRecord",
                                     object_id=str(record.pk))
    assert created.actor_id == sro.pk
    clear = AuditEvent.objects.get(action="clear_flag", object_id=str(flag.pk))
    assert clear.actor_id == sro.pk
    assert clear.seq > created.seq


def test_refresh_raises_for_time_passing_and_counts(tw: World) -> None:
    services.set_agency_policy(None, tw.agency_a, nasro(), today=D(2025, 1, 1))
    assert overdue_officers(D(2025, 1, 1)) == set()
    result = flags.refresh(D(2025, 8, 2), only=services.OVERDUE_FLAG)[services.OVERDUE_FLAG]
    assert result.raised == 2  # officer A: basic past the grace year; peer A: advanced…
    assert overdue_officers(D(2025, 8, 2)) == {str(tw.officer_a.pk), str(tw.peer_a.pk)}


def test_separated_officer_and_removed_policy_clear_the_flag(tw: World) -> None:
    services.set_agency_policy(None, tw.agency_a, cops(), D(2024, 8, 1), today=TODAY)
    assert overdue_officers() == {str(tw.officer_a.pk)}
    ds.update_officer(None, tw.officer_a, {"status": "separated"})
    result = flags.refresh(TODAY, only=services.OVERDUE_FLAG)[services.OVERDUE_FLAG]
    assert result.cleared == 1
    assert overdue_officers() == set()


def test_compliance_per_officer_with_dates(tw: World) -> None:
    services.set_agency_policy(None, tw.agency_a, nasro(), D(2024, 8, 1), today=TODAY)
    comp = compliance.officer_compliance(Officer.objects.get(pk=tw.peer_a.pk), TODAY)
    by_name = {s.rule.name: s for s in comp.statuses}
    basic = by_name["Basic SRO course before assignment (at the latest one year after it)"]
    assert (basic.state, basic.completed_on) == (State.MET, D(2024, 5, 1))
    advanced = by_name["Advanced SRO course about a year after the basic course"]
    assert (advanced.state, advanced.due) == (State.OVERDUE, D(2025, 5, 1))
    conference = by_name["A state or regional SRO conference each year"]
    assert (conference.state, conference.due) == (State.DUE_SOON, D(2025, 8, 1))
    assert "SRO management course before the program starts" not in by_name
    assert comp.summary == "Overdue"
    assert comp.placement == D(2024, 8, 1)


def test_supervisors_and_district_administrators_follow_program_start(tw: World) -> None:
    sergeant = ds.create_officer(None, {"agency": tw.agency_a, "first_name": "Kim",
                                        "last_name": "Sergeant", "badge_number": "a900",
                                        "kind": "supervisor",
                                        "date_sworn": D(2005, 1, 1)})
    services.set_agency_policy(None, tw.agency_a, nasro(), D(2025, 8, 1), today=TODAY)
    comp = compliance.officer_compliance(sergeant, TODAY)
    assert [(s.rule.name, s.state, s.due) for s in comp.statuses] == [
        ("SRO management course before the program starts", State.DUE_SOON, D(2025, 8, 1))]
    admins = compliance.for_district_admins(tw.agency_a, D(2025, 8, 2))
    assert [(c.person, c.district, c.statuses[0].state) for c in admins] == [
        (tw.users["district_admin"], tw.district_a, State.OVERDUE)]
    services.create_admin_record(tw.users["district_admin"], {
        "person": tw.users["district_admin"], "district": tw.district_a,
        "course": course("sro_management"), "completed_on": D(2025, 7, 1), "hours": 16,
        "provider": "NASRO"})
    admins = compliance.for_district_admins(tw.agency_a, D(2025, 8, 2))
    assert admins[0].statuses[0].state == State.MET


def test_admin_record_needs_a_district_administrator(tw: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.create_admin_record(None, {
            "person": tw.users["school_admin"], "district": tw.district_a,
            "course": course("sro_management"), "completed_on": D(2025, 7, 1), "hours": 16,
            "provider": "NASRO"})
    assert "is not a district administrator of District A" in exc.value.message_dict[
        "person"][0]


def test_due_items_list_training_coming_due_for_those_who_may_see_it(tw: World) -> None:
    services.set_agency_policy(None, tw.agency_a, cops(), D(2024, 8, 1), today=TODAY)
    services.set_agency_policy(None, tw.agency_b, cops(), D(2024, 8, 1), today=TODAY)
    items = flags.due_items(tw.users["supervisor"], TODAY, 60)
    mine = [i for i in items if i.kind == "training"]
    assert {i.officer_id for i in mine} == {tw.officer_a.pk}
    # Peer A's yearly recommended-topic course comes due on 2026-03-01: a longer horizon
    # lists it too.
    later = [i for i in flags.due_items(tw.users["supervisor"], TODAY, 365)
             if i.kind == "training" and i.officer_id == tw.peer_a.pk]
    assert [i.due for i in later] == [D(2026, 3, 1)]
    basic = next(i for i in mine if i.officer_id == tw.officer_a.pk)
    assert basic.due == D(2025, 5, 1)
    assert basic.overdue(TODAY)
    assert basic.url == f"/training/officers/{tw.officer_a.pk}/"
    sro_items = [i for i in flags.due_items(tw.users["sro"], TODAY, 60) if i.kind == "training"]
    assert {i.officer_id for i in sro_items} == {tw.officer_a.pk}
    assert [i for i in flags.due_items(tw.users["analyst"], TODAY, 60)
            if i.kind == "training"] == []
    assert [i for i in flags.due_items(tw.users["outsider"], TODAY, 60)
            if i.kind == "training"] == []


def test_rule_validation_gives_clear_messages(tw: World) -> None:
    sysadmin = tw.users["system_admin"]
    copy = services.copy_profile(sysadmin, nasro(), "Local")
    before = RequirementRule.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.create_rule(sysadmin, copy, {
            "name": "Nobody", "for_sros": False, "courses": [course("basic_sro")],
            "anchor": "placement", "offset_amount": 3, "offset_unit": "months"})
    assert "Say who the requirement applies to" in exc.value.message_dict["for_sros"][0]
    with pytest.raises(ValidationError) as exc:
        services.create_rule(sysadmin, copy, {
            "name": "No course", "courses": [], "anchor": "placement", "offset_amount": 3,
            "offset_unit": "months"})
    assert "Choose at least one course" in exc.value.message_dict["courses"][0]
    with pytest.raises(ValidationError) as exc:
        services.create_rule(sysadmin, copy, {
            "name": "Circular", "courses": [course("basic_sro")],
            "anchor": "course_completion", "anchor_course": course("basic_sro"),
            "offset_amount": 3, "offset_unit": "months"})
    assert "itself meets it" in exc.value.message_dict["anchor_course"][0]
    with pytest.raises(ValidationError) as exc:
        services.create_rule(sysadmin, copy, {
            "name": "No anchor course", "courses": [course("advanced_sro")],
            "anchor": "course_completion", "offset_amount": 3, "offset_unit": "months"})
    assert "Choose the course" in exc.value.message_dict["anchor_course"][0]
    assert RequirementRule.objects.count() == before


def test_one_policy_per_agency(tw: World) -> None:
    services.set_agency_policy(None, tw.agency_a, cops(), today=TODAY)
    with pytest.raises(ValidationError) as exc:
        services.create_agency_policy(None, {"agency": tw.agency_a, "profile": nasro()})
    assert "already has a training policy" in exc.value.message_dict["agency"][0]
    assert AgencyPolicy.objects.filter(agency=tw.agency_a).count() == 1




def test_audit_trail_matches_the_stored_rows(tw: World) -> None:
    """Every audited training row equals its last audit snapshot (``opensro audit verify``),
    decimals and topic lists included."""
    from opensro.core.audit import verify_chain, verify_state

    services.set_agency_policy(None, tw.agency_a, cops(), D(2024, 8, 1), today=TODAY)
    services.create_staff_session(tw.users["school_admin"], {
        "school": tw.school_a1, "held_on": D(2025, 9, 1), "title": "Roles",
        "topics": ["sro_roles", "mou_ferpa"], "attendees": 30, "hours": 1.5})
    record = services.create_record(None, record_data(tw.officer_a, "basic_sro",
                                                      D(2025, 6, 1), "40"), today=TODAY)
    services.update_record(None, record, {"hours": 40.5}, today=TODAY)
    _count, problems = verify_state()
    mine = [p for p in problems if p.object_type.startswith("training.")]
    assert mine == []
    assert verify_chain()[1] is None


def test_flags_refresh_command(tw: World, capsys: pytest.CaptureFixture[str]) -> None:
    from django.core.management import call_command

    services.set_agency_policy(None, tw.agency_a, nasro(), today=D(2025, 1, 1))
    call_command("flags", "refresh", "--kind", services.OVERDUE_FLAG, "--date", "2025-08-02")
    assert "training_overdue: 2 raised, 0 cleared" in capsys.readouterr().out
    assert overdue_officers(D(2025, 8, 2)) == {str(tw.officer_a.pk), str(tw.peer_a.pk)}
