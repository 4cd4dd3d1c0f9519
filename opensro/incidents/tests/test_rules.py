"""The incident rules (R-D1…R-D5), each exercised through the service
``services.save_incident`` (the one write path the web form, the API and the import
share), plus the CRDC definitions of ``rules.crdc_flags``, the discipline-involvement
flag (R-D2) and the keyed student pseudonym (architecture rule 4).

One world is built per module; every test runs in its own savepoint (pytest-django's
``db``), so whatever a test writes is rolled back before the next one.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import models
from django.test import override_settings
from django.utils import timezone

from conftest import World
from opensro.core.models import AuditEvent, Flag, FlagStatus
from opensro.incidents import choices as c
from opensro.incidents import rules, services
from opensro.incidents.models import Incident, IncidentReason, Involvement
from opensro.incidents.pseudonym import pseudonymize

TZ = ZoneInfo("America/New_York")
WHEN = datetime.datetime(2025, 10, 14, 10, 0, tzinfo=TZ)
M = rules.MESSAGES


# --------------------------------------------------------------------------- the world




@pytest.fixture
def sro(w: World) -> Any:
    return w.users["sro"]


def reason(code: str) -> IncidentReason:
    return IncidentReason.objects.get(code=code)


def incident_data(w: World, **changes: Any) -> dict[str, Any]:
    """A complete, valid incident (officer A at school A1, recorded an hour later)."""
    data: dict[str, Any] = {
        "school": w.school_a1, "officer": w.officer_a, "occurred_at": WHEN,
        "recorded_at": WHEN + datetime.timedelta(hours=1), "location": c.Location.HALLWAY,
        "involvement_source": c.InvolvementSource.SELF_INITIATED,
        "reason": reason("defiance"), "would_call_911": c.YesNo.NO,
    }
    data.update(changes)
    return data


def student(**changes: Any) -> dict[str, Any]:
    """A student who was counselled: valid for submission."""
    data: dict[str, Any] = {"race": "WH", "sex": "F", "role": c.StudentRole.SUBJECT,
                            "counselled": True}
    data.update(changes)
    return data


def custodial_student(action: str, **changes: Any) -> dict[str, Any]:
    """A student with one custodial action and everything R-D3 asks for."""
    data = student(counselled=False, basis=[c.Basis.IMMINENT_THREAT],
                   basis_details="Student swung a chair at a classmate.",
                   why_at_school="The threat was immediate and on campus.",
                   removed_from_public_view=c.YesNo.YES, **{action: True})
    if action == "arrest":
        data.update(probable_cause="Witnessed the assault; victim injured.",
                    arrest_charge="Assault")
    if action == "restraint":
        data["restraint_type"] = c.RestraintType.HANDCUFFS
    if action == "use_of_force":
        data["force_type"] = c.ForceType.PHYSICAL
    data.update(changes)
    return data


def errors_of(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def save(actor: Any, data: dict[str, Any], students: list[dict[str, Any]], **kw: Any
         ) -> Incident:
    return services.save_incident(actor, data, students, **kw)


def refused(actor: Any, data: dict[str, Any], students: list[dict[str, Any]], **kw: Any
            ) -> dict[str, list[str]]:
    """Save must raise; nothing may be left behind. Returns the error dict."""
    incidents, events = Incident.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        services.save_incident(actor, data, students, **kw)
    assert Incident.objects.count() == incidents
    assert AuditEvent.objects.count() == events
    return errors_of(excinfo)


# --------------------------------------------------------------------------- R-D3 custodial

#: (field to leave out, error key, message) for every custodial action.
CUSTODIAL_GAPS = [
    ("basis", "involvements.0.basis", "basis"),
    ("basis_details", "involvements.0.basis_details", "basis_details"),
    ("why_at_school", "involvements.0.why_at_school", "why_at_school"),
    ("removed_from_public_view", "involvements.0.removed_from_public_view", "public_view"),
]
CUSTODIAL_CASES = [(a, *gap) for a in c.CUSTODIAL for gap in CUSTODIAL_GAPS]


def _label(action: str) -> str:
    return "use of force" if action == "use_of_force" else action


def test_complete_custodial_records_submit(w: World, sro: Any) -> None:
    """The positive control for the cases below: with everything given, each submits."""
    for action in c.CUSTODIAL:
        obj = save(sro, incident_data(w, deescalation=c.Deescalation.TRIED),
                   [custodial_student(action)], submit=True)
        assert obj.status == c.Status.SUBMITTED
        assert getattr(obj.involvements.get(), action) is True


@pytest.mark.parametrize(("action", "missing", "key", "message"), CUSTODIAL_CASES,
                         ids=[f"{a}-{m}" for a, m, _k, _msg in CUSTODIAL_CASES])
def test_custodial_action_needs_documented_basis_to_submit(
        w: World, sro: Any, action: str, missing: str, key: str, message: str) -> None:
    blank: Any = [] if missing == "basis" else ""
    data = incident_data(w, deescalation=c.Deescalation.TRIED)
    students = [custodial_student(action, **{missing: blank})]
    errors = refused(sro, data, students, submit=True)
    expected = M[message].format(action=_label(action))
    assert expected in errors[key]
    # The same record is kept as a draft: a draft may lack the basis (R-D3).
    draft = save(sro, data, students, submit=False)
    assert draft.status == c.Status.DRAFT
    assert draft.submitted_at is None
    assert draft.involvements.count() == 1


def test_arrest_needs_probable_cause(w: World, sro: Any) -> None:
    data = incident_data(w, deescalation=c.Deescalation.TRIED)
    students = [custodial_student("arrest", probable_cause="  ")]
    errors = refused(sro, data, students, submit=True)
    assert errors["involvements.0.probable_cause"] == [M["probable_cause"]]
    assert save(sro, data, students).status == c.Status.DRAFT


@pytest.mark.parametrize("action", ["detention", "restraint", "use_of_force"])
def test_probable_cause_is_asked_only_for_an_arrest(w: World, sro: Any, action: str) -> None:
    obj = save(sro, incident_data(w, deescalation=c.Deescalation.TRIED),
               [custodial_student(action, probable_cause="")], submit=True)
    assert obj.status == c.Status.SUBMITTED


@pytest.mark.parametrize("action", c.CUSTODIAL)
def test_custodial_action_needs_deescalation_answer(w: World, sro: Any, action: str) -> None:
    data = incident_data(w, deescalation="")
    errors = refused(sro, data, [custodial_student(action)], submit=True)
    assert errors["deescalation"] == [M["deescalation"].format(action=_label(action))]
    assert save(sro, data, [custodial_student(action)]).status == c.Status.DRAFT


@pytest.mark.parametrize("answer", [c.Deescalation.NOT_TRIED, c.Deescalation.NOT_POSSIBLE])
def test_deescalation_not_tried_needs_why(w: World, sro: Any, answer: str) -> None:
    data = incident_data(w, deescalation=answer, deescalation_notes="")
    errors = refused(sro, data, [custodial_student("detention")], submit=True)
    assert errors["deescalation_notes"] == [M["deescalation_notes"]]
    ok = save(sro, incident_data(w, deescalation=answer,
                                 deescalation_notes="He ran at the door with a knife."),
              [custodial_student("detention")], submit=True)
    assert ok.status == c.Status.SUBMITTED


@pytest.mark.parametrize("plan", ["idea", "section_504"])
def test_custodial_action_on_student_with_disability_needs_accommodations(
        w: World, sro: Any, plan: str) -> None:
    data = incident_data(w, deescalation=c.Deescalation.TRIED)
    students = [custodial_student("restraint", **{plan: True})]
    errors = refused(sro, data, students, submit=True)
    assert errors["involvements.0.accommodations"] == [M["accommodations"]]
    assert save(sro, data, students).status == c.Status.DRAFT
    students[0]["accommodations"] = "Calm-down space and his aide were used first."
    assert save(sro, data, students, submit=True).status == c.Status.SUBMITTED


@pytest.mark.parametrize(("action", "field", "message"), [
    ("search", "search_basis", "search_basis"),
    ("restraint", "restraint_type", "restraint_type"),
    ("use_of_force", "force_type", "force_type"),
    ("arrest", "arrest_charge", "arrest_charge"),
])
def test_action_details_needed_to_submit(w: World, sro: Any, action: str, field: str,
                                         message: str) -> None:
    data = incident_data(w, deescalation=c.Deescalation.TRIED)
    if action == "search":
        students = [student(counselled=False, search=True)]
    else:
        students = [custodial_student(action, **{field: ""})]
    errors = refused(sro, data, students, submit=True)
    assert errors[f"involvements.0.{field}"] == [M[message]]
    assert save(sro, data, students).status == c.Status.DRAFT


# --------------------------------------------------------------------------- refused even as draft


@pytest.mark.parametrize("action", ["detention", "arrest"])
@pytest.mark.parametrize("submit", [False, True], ids=["draft", "submit"])
def test_detention_or_arrest_on_administrator_direction_alone_is_refused(
        w: World, sro: Any, action: str, submit: bool) -> None:
    students = [custodial_student(action, basis=[c.Basis.ADMINISTRATOR_DIRECTION])]
    data = incident_data(w, deescalation=c.Deescalation.TRIED,
                         involvement_source=c.InvolvementSource.SCHOOL_STAFF,
                         requester_role=c.RequesterRole.ADMINISTRATOR)
    errors = refused(sro, data, students, submit=submit)
    assert errors["involvements.0.basis"] == [M["admin_only"]]
    # With a law-enforcement basis beside the direction, the record is accepted.
    students[0]["basis"] = [c.Basis.ADMINISTRATOR_DIRECTION, c.Basis.CRIME_IN_PRESENCE]
    assert save(sro, data, students, submit=submit).involvements.get().basis == [
        c.Basis.ADMINISTRATOR_DIRECTION, c.Basis.CRIME_IN_PRESENCE]


@pytest.mark.parametrize("submit", [False, True], ids=["draft", "submit"])
@pytest.mark.parametrize("field", ["sexual_orientation", "gender_identity"])
def test_sogi_refused_unless_volunteered(w: World, sro: Any, field: str, submit: bool) -> None:
    errors = refused(sro, incident_data(w), [student(**{field: "gay"})], submit=submit)
    assert errors["involvements.0.sogi_volunteered"] == [M["sogi"]]
    obj = save(sro, incident_data(w), [student(**{field: "gay"}, sogi_volunteered=True)],
               submit=submit)
    assert getattr(obj.involvements.get(), field) == "gay"


@pytest.mark.parametrize("submit", [False, True], ids=["draft", "submit"])
def test_idea_and_504_together_refused(w: World, sro: Any, submit: bool) -> None:
    errors = refused(sro, incident_data(w), [student(idea=True, section_504=True)],
                     submit=submit)
    assert errors["involvements.0.section_504"] == [M["idea_504"]]
    assert save(sro, incident_data(w), [student(idea=True)], submit=submit).pk


@pytest.mark.parametrize("submit", [False, True], ids=["draft", "submit"])
def test_staff_request_needs_requester_role(w: World, sro: Any, submit: bool) -> None:
    data = incident_data(w, involvement_source=c.InvolvementSource.SCHOOL_STAFF,
                         requester_role="")
    errors = refused(sro, data, [student()], submit=submit)
    assert errors["requester_role"] == [M["requester"]]
    data["requester_role"] = c.RequesterRole.TEACHER
    assert save(sro, data, [student()], submit=submit).requester_role == "teacher"


def test_late_entry_needs_reason(w: World, sro: Any) -> None:
    late = WHEN + datetime.timedelta(hours=25)
    data = incident_data(w, recorded_at=late)
    errors = refused(sro, data, [student()], submit=True)
    assert errors["late_entry_reason"] == [M["late"].format(hours=24)]
    # A draft may wait for the reason; a record within 24 hours needs none.
    assert save(sro, data, [student()]).status == c.Status.DRAFT
    on_time = incident_data(w, recorded_at=WHEN + datetime.timedelta(hours=23))
    assert save(sro, on_time, [student()], submit=True).status == c.Status.SUBMITTED
    data["late_entry_reason"] = "Court all day on the 15th."
    assert save(sro, data, [student()], submit=True).late_entry_reason


def test_recorded_at_defaults_to_now_so_an_old_incident_is_late(w: World, sro: Any) -> None:
    data = incident_data(w)
    del data["recorded_at"]
    errors = refused(sro, data, [student()], submit=True)
    assert errors["late_entry_reason"] == [M["late"].format(hours=24)]


@pytest.mark.parametrize("submit", [False, True], ids=["draft", "submit"])
def test_future_incident_refused(w: World, sro: Any, submit: bool) -> None:
    soon = timezone.now() + datetime.timedelta(days=1)
    errors = refused(sro, incident_data(w, occurred_at=soon, recorded_at=None), [student()],
                     submit=submit)
    assert errors["occurred_at"] == [M["future"]]


def test_submission_needs_a_student(w: World, sro: Any) -> None:
    errors = refused(sro, incident_data(w), [], submit=True)
    assert errors["involvements"] == [M["no_students"]]
    assert save(sro, incident_data(w), []).status == c.Status.DRAFT


def test_student_needs_an_action_on_submit(w: World, sro: Any) -> None:
    errors = refused(sro, incident_data(w), [student(counselled=False)], submit=True)
    assert errors["involvements.0.counselled"] == [M["no_action"]]
    assert save(sro, incident_data(w), [student(counselled=False)]).status == c.Status.DRAFT
    # The rule reports the right student among several.
    errors = refused(sro, incident_data(w), [student(), student(counselled=False)],
                     submit=True)
    assert list(errors) == ["involvements.1.counselled"]


def test_officer_agency_must_serve_the_school(w: World) -> None:
    data = incident_data(w, school=w.school_b1, officer=w.officer_a)
    for submit in (False, True):
        errors = refused(None, data, [student()], submit=submit)
        assert errors["school"] == [M["agency"].format(agency=w.agency_a,
                                                       district=w.district_b)]
    assert save(None, incident_data(w, school=w.school_b1, officer=w.officer_b),
                [student()], submit=True).school_id == w.school_b1.pk


def test_draft_can_be_submitted_later_and_then_every_rule_applies(w: World, sro: Any) -> None:
    draft = save(sro, incident_data(w, deescalation=c.Deescalation.TRIED),
                 [custodial_student("arrest", probable_cause="")])
    with pytest.raises(ValidationError) as excinfo:
        services.submit_incident(sro, draft)
    assert errors_of(excinfo)["involvements.0.probable_cause"] == [M["probable_cause"]]
    draft.refresh_from_db()
    assert draft.status == c.Status.DRAFT


# --------------------------------------------------------------------------- amendments


def test_amendment_needs_reason_sets_amended_and_audit_keeps_original(w: World,
                                                                      sro: Any) -> None:
    original = save(sro, incident_data(w, narrative="First account."), [student()],
                    submit=True)
    assert original.status == c.Status.SUBMITTED
    first_event = AuditEvent.objects.filter(object_type="incidents.Incident",
                                            object_id=str(original.pk)).get()
    assert first_event.action == "create_submitted"
    assert first_event.after["narrative"] == "First account."

    changed = incident_data(w, narrative="Corrected account.")
    errors = refused(sro, changed, [student()], incident=original)
    assert errors["amend_reason"] == [M["amend_reason"]]
    errors = refused(sro, changed, [student()], incident=original, amend_reason="   ")
    assert errors["amend_reason"] == [M["amend_reason"]]
    original.refresh_from_db()
    assert original.narrative == "First account."

    incidents = Incident.objects.count()
    amended = save(sro, changed, [student(warning=True)], incident=original,
                   amend_reason="Wrong narrative attached.")
    assert amended.pk == original.pk
    assert Incident.objects.count() == incidents
    assert amended.status == c.Status.AMENDED
    assert amended.narrative == "Corrected account."
    events = list(AuditEvent.objects.filter(object_type="incidents.Incident",
                                            object_id=str(original.pk)).order_by("seq"))
    assert [e.action for e in events] == ["create_submitted", "amend"]
    amend = events[-1]
    assert amend.reason == "Wrong narrative attached."
    assert amend.actor_id == sro.pk
    assert amend.before == first_event.after
    assert amend.before["narrative"] == "First account."
    assert amend.before["status"] == c.Status.SUBMITTED
    assert amend.before["involvements"][0]["warning"] is False
    assert amend.after["narrative"] == "Corrected account."
    assert amend.after["status"] == c.Status.AMENDED
    assert amend.after["involvements"][0]["warning"] is True
    # The first event is unchanged: the original stays in the trail.
    first_event.refresh_from_db()
    assert first_event.after["narrative"] == "First account."


def test_amendment_must_still_satisfy_submission_rules(w: World, sro: Any) -> None:
    original = save(sro, incident_data(w, deescalation=c.Deescalation.TRIED),
                    [custodial_student("arrest")], submit=True)
    errors = refused(sro, incident_data(w, deescalation=c.Deescalation.TRIED),
                     [custodial_student("arrest", probable_cause="")], incident=original,
                     amend_reason="Trim the narrative.")
    assert errors["involvements.0.probable_cause"] == [M["probable_cause"]]


def test_draft_edit_needs_no_amend_reason(w: World, sro: Any) -> None:
    draft = save(sro, incident_data(w), [student()])
    edited = save(sro, incident_data(w, narrative="More detail."), [student()],
                  incident=draft)
    assert edited.status == c.Status.DRAFT
    assert AuditEvent.objects.filter(object_id=str(draft.pk),
                                     object_type="incidents.Incident").latest(
        "seq").action == "update"


# --------------------------------------------------------------------------- R-D2 flag


def _flags(incident: Incident) -> Any:
    return Flag.objects.filter(kind=services.DISCIPLINE_FLAG, subject_type="incidents.Incident",
                               subject_id=str(incident.pk))


def _enforcement_student(action: str) -> dict[str, Any]:
    if action == "citation":
        return student(counselled=False, citation=True)
    if action == "search":
        return student(counselled=False, search=True,
                       search_basis=c.SearchBasis.REASONABLE_SUSPICION)
    return custodial_student(action)


STAFF = {"involvement_source": c.InvolvementSource.SCHOOL_STAFF,
         "requester_role": c.RequesterRole.ADMINISTRATOR}


@pytest.mark.parametrize("action", c.ENFORCEMENT)
def test_discipline_involvement_flag_raised(w: World, sro: Any, action: str) -> None:
    obj = save(sro, incident_data(w, deescalation=c.Deescalation.TRIED, **STAFF),
               [_enforcement_student(action)], submit=True)
    flag = _flags(obj).get()
    assert flag.status == FlagStatus.OPEN
    assert flag.evidence["requested_by"] == c.InvolvementSource.SCHOOL_STAFF
    assert flag.evidence["requester_role"] == c.RequesterRole.ADMINISTRATOR
    assert flag.evidence["enforcement_actions"] == [action]
    assert flag.evidence["would_call_911"] == "no"
    assert flag.evidence["reason"] == reason("defiance").label
    assert "Requested by school staff (School administrator)" in flag.title
    assert flag.officer_id == w.officer_a.pk
    assert flag.agency_id == w.agency_a.pk
    assert flag.school_id == w.school_a1.pk


@pytest.mark.parametrize(("changes", "students", "submit"), [
    ({"reason": "assault"}, "arrest", True),
    ({"would_call_911": c.YesNo.YES}, "arrest", True),
    ({}, "counselled", True),
    ({}, "warning", True),
    ({}, "arrest", False),
], ids=["safety-matter", "would-call-911", "counselled", "warning-only", "draft"])
def test_no_discipline_flag(w: World, sro: Any, changes: dict[str, Any], students: str,
                            submit: bool) -> None:
    if "reason" in changes:
        changes = {**changes, "reason": reason(changes["reason"])}
    inv = {"counselled": student(), "warning": student(counselled=False, warning=True)}.get(
        students) or custodial_student(students)
    obj = save(sro, incident_data(w, deescalation=c.Deescalation.TRIED, **STAFF, **changes),
               [inv], submit=submit)
    assert not _flags(obj).exists()


def test_self_initiated_case_flag_names_the_sro(w: World, sro: Any) -> None:
    obj = save(sro, incident_data(w), [_enforcement_student("citation")], submit=True)
    flag = _flags(obj).get()
    assert flag.evidence["requested_by"] == c.InvolvementSource.SELF_INITIATED
    assert flag.evidence["requester_role"] == ""


def test_amendment_removing_enforcement_clears_flag(w: World, sro: Any) -> None:
    obj = save(sro, incident_data(w, deescalation=c.Deescalation.TRIED, **STAFF),
               [custodial_student("detention")], submit=True)
    assert _flags(obj).get().status == FlagStatus.OPEN
    save(sro, incident_data(w, deescalation=c.Deescalation.TRIED, **STAFF),
         [student(referral_admin=True)], incident=obj,
         amend_reason="The student was only walked to the office.")
    flag = _flags(obj).get()
    assert flag.status == FlagStatus.CLEARED
    assert flag.decided_at is not None
    assert AuditEvent.objects.filter(object_type="core.Flag", object_id=str(flag.pk),
                                     action="clear_flag").count() == 1


def test_submitting_a_draft_raises_the_flag(w: World, sro: Any) -> None:
    draft = save(sro, incident_data(w), [_enforcement_student("citation")])
    assert not _flags(draft).exists()
    services.submit_incident(sro, draft)
    assert _flags(draft).get().status == FlagStatus.OPEN


# --------------------------------------------------------------------------- CRDC


def _inc(source: str = c.InvolvementSource.SELF_INITIATED) -> Any:
    return SimpleNamespace(involvement_source=source)


def _inv(role: str = c.StudentRole.SUBJECT, **actions: bool) -> Any:
    values = dict.fromkeys(c.ACTION_FIELDS, False)
    values.update(actions)
    return SimpleNamespace(role=role, **values)


@pytest.mark.parametrize(("incident", "inv", "expected"), [
    (_inc(), _inv(arrest=True), (True, True)),
    (_inc(), _inv(citation=True), (True, False)),
    (_inc(), _inv(court_referral=True), (True, False)),
    (_inc(c.InvolvementSource.SCHOOL_STAFF), _inv(counselled=True), (True, False)),
    (_inc(c.InvolvementSource.SCHOOL_STAFF), _inv(c.StudentRole.VICTIM, arrest=True),
     (False, False)),
    (_inc(), _inv(c.StudentRole.VICTIM, citation=True), (False, False)),
    (_inc(c.InvolvementSource.SCHOOL_STAFF), _inv(c.StudentRole.WITNESS), (False, False)),
    (_inc(), _inv(counselled=True), (False, False)),
    (_inc(), _inv(referral_counselor=True, questioning=True), (False, False)),
    (_inc(c.InvolvementSource.DISPATCH), _inv(warning=True), (False, False)),
], ids=["arrest", "citation", "court-referral", "staff-request", "victim", "victim-cited",
        "witness", "self-counselled", "self-counsellor-referral", "dispatch-warning"])
def test_crdc_flags(incident: Any, inv: Any, expected: tuple[bool, bool]) -> None:
    assert rules.crdc_flags(incident, inv) == expected


def test_crdc_flags_are_stored_on_involvements(w: World, sro: Any) -> None:
    obj = save(sro, incident_data(w, deescalation=c.Deescalation.TRIED, **STAFF),
               [custodial_student("arrest"), student(role=c.StudentRole.VICTIM),
                student()], submit=True)
    rows = [(i.referral_to_law_enforcement, i.school_related_arrest)
            for i in obj.involvements.order_by("id")]
    assert rows == [(True, True), (False, False), (True, False)]


# --------------------------------------------------------------------------- pseudonym

RAW_ID = "RAWID-778899"


def _text_columns(inv: Involvement) -> dict[str, str]:
    found = {}
    for f in Involvement._meta.concrete_fields:
        if isinstance(f, models.CharField | models.TextField | models.JSONField):
            found[f.name] = str(f.value_from_object(inv))
    return found


def test_pseudonym_keyed_by_district_and_raw_id_never_stored(w: World, sro: Any) -> None:
    first = save(sro, incident_data(w), [student(student_id=RAW_ID)], submit=True)
    again = save(sro, incident_data(w, school=w.school_a2), [student(student_id=RAW_ID)],
                 submit=True)
    other = save(None, incident_data(w, school=w.school_b1, officer=w.officer_b),
                 [student(student_id=RAW_ID)], submit=True)
    p1 = first.involvements.get().student_pseudonym
    p2 = again.involvements.get().student_pseudonym
    p3 = other.involvements.get().student_pseudonym
    assert p1 == pseudonymize(w.district_a.nces_id, RAW_ID)
    assert len(p1) == 64
    assert p1 == p2, "same district and student ID: same pseudonym"
    assert p3 != p1, "another district: another pseudonym"
    assert p3 == pseudonymize(w.district_b.nces_id, RAW_ID)
    assert pseudonymize(w.district_a.nces_id, RAW_ID + "0") != p1
    for inv in Involvement.objects.all():
        columns = _text_columns(inv)
        assert "student_pseudonym" in columns and "basis" in columns
        for name, value in columns.items():
            assert RAW_ID not in value, name
            assert RAW_ID.lower() not in value.lower(), name
    for event in AuditEvent.objects.filter(object_type="incidents.Incident"):
        assert RAW_ID not in str(event.after) + str(event.before)


def test_pseudonym_depends_on_the_key(w: World) -> None:
    with override_settings(PSEUDONYM_KEY="another-key"):
        changed = pseudonymize(w.district_a.nces_id, RAW_ID)
    assert changed != pseudonymize(w.district_a.nces_id, RAW_ID)
    assert pseudonymize(w.district_a.nces_id, "   ") == ""


def test_editing_a_student_keeps_the_pseudonym(w: World, sro: Any) -> None:
    draft = save(sro, incident_data(w), [student(student_id=RAW_ID)])
    inv = draft.involvements.get()
    edited = save(sro, incident_data(w), [student(id=inv.pk, warning=True)], incident=draft)
    assert edited.involvements.get().student_pseudonym == inv.student_pseudonym
