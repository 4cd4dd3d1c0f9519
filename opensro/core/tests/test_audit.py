"""The audit chain (architecture rule 2): every service write leaves one event in the same
transaction; events are hash-chained; ``opensro audit verify`` finds rows and events
changed or removed behind OpenSRO's back; reads of student data leave a disclosure row.
"""

from __future__ import annotations

import datetime
import itertools
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, models, transaction

from conftest import World, build_world
from opensro import cli
from opensro.core import audit, services, tokens
from opensro.core.choices import Role
from opensro.core.context import request_context
from opensro.core.models import AuditEvent, AuditHead, Disclosure, RoleGrant
from opensro.directory import services as ds
from opensro.directory.models import (
    Agency,
    Assignment,
    District,
    Enrollment,
    Officer,
    School,
    SchoolYear,
)


def verify(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit", "verify", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def verify_error(*args: str) -> str:
    from io import StringIO

    with pytest.raises(CommandError) as info:
        call_command("audit", "verify", *args, stdout=StringIO(), stderr=StringIO())
    return str(info.value)


def last_event() -> AuditEvent:
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    return event


# --------------------------------------------------------------------------- every write

Write = Callable[[World], tuple[models.Model | None, str]]

WRITES: dict[str, Write] = {
    "create_district": lambda w: (ds.create_district(w.users["system_admin"], {
        "name": "District C", "nces_id": "3999993", "state": "oh"}), "create"),
    "update_district": lambda w: (ds.update_district(w.users["district_admin"], w.district_a,
                                                     {"city": "Lakeview"}), "update"),
    "create_agency": lambda w: (ds.create_agency(w.users["system_admin"], {
        "name": "Agency C", "kind": "sheriffs_office", "state": "OH",
        "districts_served": [w.district_a, w.district_b]}), "create"),
    "update_agency": lambda w: (ds.update_agency(w.users["agency_admin"], w.agency_a,
                                                 {"ori": "OH0999900"}), "update"),
    "create_school": lambda w: (ds.create_school(w.users["district_admin"], {
        "district": w.district_a, "name": "School A3", "nces_id": "399999100003",
        "level": "elementary", "lowest_grade": "KG", "highest_grade": "05"}), "create"),
    "update_school": lambda w: (ds.update_school(w.users["school_admin"], w.school_a1,
                                                 {"buildings": 3}), "update"),
    "create_school_year": lambda w: (ds.create_school_year(w.users["system_admin"], {
        "code": "2026-27", "start_date": datetime.date(2026, 8, 17),
        "end_date": datetime.date(2027, 6, 11)}), "create"),
    "update_school_year": lambda w: (ds.update_school_year(w.users["system_admin"], w.year, {
        "sex_codes": ["M", "F", "X"]}), "update"),
    "create_officer": lambda w: (ds.create_officer(w.users["agency_admin"], {
        "agency": w.agency_a, "first_name": "Alex", "last_name": "New", "badge_number": "a9",
        "date_sworn": datetime.date(2019, 1, 2)}), "create"),
    "update_officer": lambda w: (ds.update_officer(w.users["agency_admin"], w.peer_a,
                                                   {"status": "leave"}), "update"),
    "create_assignment": lambda w: (ds.create_assignment(w.users["supervisor"], {
        "officer": w.peer_a, "school": w.school_a1, "start_date": datetime.date(2025, 9, 1),
        "primary": False}), "create"),
    "update_assignment": lambda w: (ds.update_assignment(w.users["supervisor"],
                                                         w.assignment_a1,
                                                         {"notes": "Mornings"}), "update"),
    "end_assignment": lambda w: (ds.end_assignment(w.users["agency_admin"], w.assignment_a2,
                                                   datetime.date(2025, 12, 19),
                                                   reason="moved"), "end_assignment"),
    "set_enrollment_new": lambda w: (ds.set_enrollment(w.users["school_admin"], w.school_a1,
                                                       w.year, "BL", "M", 40), "create"),
    "set_enrollment_change": lambda w: (ds.set_enrollment(w.users["school_admin"],
                                                          w.school_a1, w.year, "WH", "F",
                                                          301), "update"),
    "update_enrollment": lambda w: (ds.update_enrollment(w.users["district_admin"],
                                                         w.enrollment_a, {"count": 299}),
                                    "update"),
    "grant_role": lambda w: (services.grant_role(w.users["system_admin"],
                                                 w.users["outsider"], Role.ANALYST),
                             "grant_role"),
    "create_token": lambda w: (tokens.create_token(w.users["analyst"], "export")[0],
                               "create_token"),
    "delete": lambda w: (services.delete(w.users["system_admin"], w.enrollment_b,
                                         reason="entered twice") or None, "delete"),
}


@pytest.mark.parametrize("name", sorted(WRITES))
def test_every_service_write_records_one_event(world: World, name: str) -> None:
    events = AuditEvent.objects.count()
    with request_context("req-test-0001") as rid:
        obj, action = WRITES[name](world)
    assert AuditEvent.objects.count() == events + 1
    event = last_event()
    assert event.action == action
    assert event.request_id == rid
    if obj is not None:
        assert event.object_type == obj._meta.label
        assert event.object_id == str(obj.pk)
        assert event.after == audit.snapshot(type(obj)._default_manager.get(pk=obj.pk))
        assert event.actor is not None
    else:  # a delete keeps the last state and no after
        assert event.after is None
        assert event.before is not None and event.before["count"] == 300
        assert event.reason == "entered twice"
    if action in ("update", "end_assignment"):
        assert event.before is not None and event.before != event.after
    # The rows still match the trail.
    assert "Audit chain intact" in verify()


def test_noop_update_writes_nothing(world: World) -> None:
    """Saving unchanged values is not an event (and the row is not touched)."""
    school = School.objects.get(pk=world.school_a1.pk)
    events = AuditEvent.objects.count()
    ds.update_school(world.users["school_admin"], school, {"name": school.name})
    assert AuditEvent.objects.count() == events
    assert School.objects.get(pk=school.pk).updated_at == school.updated_at
    verify()


Bad = Callable[[World], Any]

BAD_WRITES: dict[str, tuple[type[models.Model], Bad, str]] = {
    "school_bad_nces": (School, lambda w: ds.create_school(None, {
        "district": w.district_a, "name": "Bad", "nces_id": "39999910000X",
        "level": "high", "lowest_grade": "09", "highest_grade": "12"}), "nces_id"),
    "school_nces_of_other_district": (School, lambda w: ds.create_school(None, {
        "district": w.district_a, "name": "Bad", "nces_id": "399999200007",
        "level": "high", "lowest_grade": "09", "highest_grade": "12"}), "nces_id"),
    "school_grades_reversed": (School, lambda w: ds.create_school(None, {
        "district": w.district_a, "name": "Bad", "nces_id": "399999100007",
        "level": "high", "lowest_grade": "12", "highest_grade": "09"}), "highest_grade"),
    "district_bad_state": (District, lambda w: ds.create_district(None, {
        "name": "Bad", "nces_id": "3999997", "state": "Ohio"}), "state"),
    "year_overlaps": (SchoolYear, lambda w: ds.create_school_year(None, {
        "code": "2026-27", "start_date": datetime.date(2026, 1, 5),
        "end_date": datetime.date(2026, 12, 18)}), "start_date"),
    "assignment_agency_does_not_serve": (Assignment, lambda w: ds.create_assignment(None, {
        "officer": w.peer_a, "school": w.school_b1,
        "start_date": datetime.date(2025, 9, 1), "primary": False}), "school"),
    "assignment_second_primary": (Assignment, lambda w: ds.create_assignment(None, {
        "officer": w.peer_a, "school": w.school_a1,
        "start_date": datetime.date(2025, 9, 1), "primary": True}), "primary"),
    "enrollment_sex_not_collected": (Enrollment, lambda w: ds.set_enrollment(
        None, w.school_a1, w.year, "WH", "X", 3), "sex"),
    "officer_sworn_in_future": (Officer, lambda w: ds.update_officer(None, w.peer_a, {
        "date_sworn": datetime.date.today() + datetime.timedelta(days=30)}), "date_sworn"),
    "agency_sro_not_sworn": (Officer, lambda w: ds.create_officer(None, {
        "agency": w.agency_a, "first_name": "No", "last_name": "Oath", "badge_number": "z1",
        "date_sworn": datetime.date(2020, 1, 1), "sworn": False}), "sworn"),
}


@pytest.mark.parametrize("name", sorted(BAD_WRITES))
def test_failed_validation_leaves_neither_row_nor_event(world: World, name: str) -> None:
    model, write, field = BAD_WRITES[name]
    rows = [audit.snapshot(o) for o in model._default_manager.all()]
    events = AuditEvent.objects.count()
    head = AuditHead.objects.get()
    with pytest.raises(ValidationError) as info:
        write(world)
    assert field in info.value.message_dict
    assert [audit.snapshot(o) for o in model._default_manager.all()] == rows
    assert AuditEvent.objects.count() == events
    assert AuditHead.objects.get().hash == head.hash
    verify()


def test_audit_failure_rolls_back_the_write(world: World, monkeypatch: Any) -> None:
    """The event is written in the write's transaction: if it fails, the row goes too."""

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        ds.create_district(None, {"name": "District C", "nces_id": "3999993", "state": "OH"})
    assert not District.objects.filter(nces_id="3999993").exists()
    with pytest.raises(RuntimeError, match="disk full"):
        ds.update_school(None, world.school_a1, {"name": "Renamed"})
    assert School.objects.get(pk=world.school_a1.pk).name == "School A1"


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused() -> None:
    """An event written outside the write's transaction could outlive a failed write."""
    assert not transaction.get_connection().in_atomic_block
    with pytest.raises(RuntimeError, match="inside the write's transaction"):
        audit.record(None, "create", object_type="x", object_id="1")
    assert not AuditEvent.objects.exists()


# --------------------------------------------------------------------------- the chain


def test_hash_chain_links(world: World) -> None:
    events = list(AuditEvent.objects.order_by("seq"))
    assert len(events) > 20
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == audit.GENESIS
    for earlier, later in itertools.pairwise(events):
        assert later.prev_hash == earlier.hash
    for event in events:
        assert event.hash == audit.event_hash(event.payload())
    head = AuditHead.objects.get()
    assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)


def test_verify_passes_on_clean_db(world: World) -> None:
    out = verify()
    count = AuditEvent.objects.count()
    assert f"Audit chain intact: {count} event(s)." in out
    assert "Audited rows match the trail" in out
    assert verify("--chain-only").strip() == f"Audit chain intact: {count} event(s)."


def test_verify_on_empty_db(db: Any) -> None:
    assert "Audit chain intact: 0 event(s)." in verify()


@pytest.mark.django_db(transaction=True)
def test_verify_through_the_opensro_command(capsys: Any) -> None:
    """``opensro audit verify`` (the console script's entry point) on a clean and on a
    tampered database. Transactional: Django's command runner closes the connection."""
    world = build_world()
    cli.main(["opensro", "audit", "verify"])
    assert "Audit chain intact" in capsys.readouterr().out
    with connection.cursor() as cursor:
        cursor.execute("UPDATE directory_school SET name = %s WHERE id = %s",
                       ["Renamed by SQL", world.school_b2.pk])
    with pytest.raises(SystemExit) as info:
        cli.main(["opensro", "audit", "verify"])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert f"directory.School {world.school_b2.pk}: changed outside OpenSRO: name" in err


def test_raw_sql_row_change_is_named(world: World) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE directory_school SET name = %s WHERE id = %s",
                       ["Renamed by SQL", world.school_a2.pk])
    message = verify_error()
    assert f"directory.School {world.school_a2.pk}: changed outside OpenSRO: name" in message
    assert "1 audited row(s) differ" in message
    # The chain itself is intact: only the row was touched.
    verify("--chain-only")


def test_raw_sql_row_delete_and_insert_are_named(world: World) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM directory_enrollment WHERE id = %s",
                       [world.enrollment_b.pk])
    message = verify_error()
    assert f"directory.Enrollment {world.enrollment_b.pk}: row was removed outside" in message
    ds_year = world.year
    Enrollment.objects.bulk_create([Enrollment(school=world.school_a2, school_year=ds_year,
                                               group="AS", sex="M", count=5)])
    message = verify_error()
    assert "2 audited row(s) differ" in message


def _tamper(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_edited_event_action_is_named(world: World) -> None:
    target = AuditEvent.objects.order_by("seq")[5]
    _tamper("UPDATE core_auditevent SET action = %s WHERE seq = %s", ["delete", target.seq])
    message = verify_error()
    assert f"Audit chain broken at event #{target.seq}:" in message
    assert "was changed after it was recorded" in message


def test_edited_event_after_is_named(world: World) -> None:
    target = AuditEvent.objects.filter(object_type="directory.Enrollment").order_by("seq").last()
    assert target is not None and target.after is not None
    forged = {**target.after, "count": 3000}
    _tamper("UPDATE core_auditevent SET after = %s WHERE seq = %s",
            [json.dumps(forged), target.seq])
    assert AuditEvent.objects.get(seq=target.seq).after["count"] == 3000
    message = verify_error()
    assert f"Audit chain broken at event #{target.seq}:" in message


def test_rehashed_event_breaks_the_next_link(world: World) -> None:
    """A forger who also recomputes the edited event's own hash is caught at the next one."""
    target = AuditEvent.objects.order_by("seq")[3]
    target.reason = "forged"
    new_hash = audit.event_hash(target.payload())
    _tamper("UPDATE core_auditevent SET reason = %s, hash = %s WHERE seq = %s",
            ["forged", new_hash, target.seq])
    message = verify_error()
    assert f"event #{target.seq + 1} does not link to event #{target.seq}" in message


def test_deleted_middle_event_is_named(world: World) -> None:
    total = AuditEvent.objects.count()
    middle = total // 2
    _tamper("DELETE FROM core_auditevent WHERE seq = %s", [middle])
    message = verify_error()
    assert f"event #{middle} is missing (next stored event is #{middle + 1})" in message


def test_deleted_last_events_are_caught_by_the_head(world: World) -> None:
    total = AuditEvent.objects.count()
    _tamper("DELETE FROM core_auditevent WHERE seq > %s", [total - 2])
    message = verify_error("--chain-only")
    assert f"the chain ends at event #{total - 2} but the head records #{total}" in message


def test_every_grant_and_directory_row_is_audited(world: World) -> None:
    """verify_state covers the directory models (a row with no event is reported)."""
    labels = {m._meta.label for m in audit.audited_models()}
    assert {"directory.District", "directory.Agency", "directory.School",
            "directory.SchoolYear", "directory.Enrollment", "directory.Officer",
            "directory.Assignment"} <= labels
    assert RoleGrant.objects.count() == 8
    assert AuditEvent.objects.filter(action="grant_role").count() == 8


# --------------------------------------------------------------------------- disclosures


def test_record_disclosure(world: World) -> None:
    user = world.users["school_admin"]
    with request_context("req-disclose-42") as rid:
        row = audit.record_disclosure(user, world.officer_a, ["last_name", "badge_number"],
                                      purpose="annual review", channel="api")
    stored = Disclosure.objects.get(pk=row.pk)
    assert stored.user == user
    assert stored.user_label == "school_admin"
    assert stored.request_id == rid == "req-disclose-42"
    assert stored.object_type == "directory.Officer"
    assert stored.object_id == str(world.officer_a.pk)
    assert stored.fields == ["badge_number", "last_name"]
    assert stored.purpose == "annual review"
    assert stored.channel == "api"


def test_disclosures_are_listed_for_auditors(world: World, client: Any) -> None:
    audit.record_disclosure(world.users["school_admin"], world.school_a1, ["name"])
    client.force_login(world.users["auditor"])
    page = client.get("/audit/", {"view": "disclosures"})
    assert page.status_code == 200
    assert "school_admin" in page.content.decode()


def test_system_writes_are_attributed_to_the_system(world: World) -> None:
    """Writes without an actor (the world's setup, CLI imports) are labelled "system"."""
    first = AuditEvent.objects.order_by("seq").first()
    assert first is not None and first.actor is None and first.actor_label == "system"
    assert Agency.objects.count() == 2


def test_audit_log_page_reads_no_whole_trail(world: World, client: Any) -> None:
    """The audit log's first and last pages and its record-type choices come from
    indexes and the chain head, never from counting or de-duplicating every event
    (a state-sized trail has millions; docs/performance.md)."""
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.users["auditor"])
    with transaction.atomic(), request_context():
        for n in range(60):
            audit.record(None, "export", object_type="crdc.Export", object_id=str(n))
    total = AuditEvent.objects.count()
    assert total > 50
    types = sorted(set(AuditEvent.objects.values_list("object_type", flat=True)))
    with CaptureQueriesContext(connection) as ctx:
        first = client.get("/audit/").content.decode()
    sql = " ".join(q["sql"].upper() for q in ctx.captured_queries)
    assert "DISTINCT" not in sql and "COUNT(" not in sql
    for t in types:
        assert f"<option>{t}</option>" in first
    last_page = (total + 49) // 50
    last = client.get("/audit/", {"page": last_page}).content.decode()
    seqs = [int(s) for s in re.findall(r"<tr><td>(\d+)</td>", last)]
    assert seqs and min(seqs) == AuditEvent.objects.order_by("seq").first().seq  # type: ignore[union-attr]
    assert len(seqs) == total - 50 * (last_page - 1)
    # Filtered pages count their own events.
    school = world.school_b2
    filtered = client.get("/audit/", {"object_type": "directory.School",
                                      "object_id": str(school.pk)}).content.decode()
    assert len(re.findall(r"<tr><td>(\d+)</td>", filtered)) == \
        AuditEvent.objects.filter(object_type="directory.School", object_id=str(school.pk)).count()
