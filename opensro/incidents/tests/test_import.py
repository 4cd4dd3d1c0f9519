"""The incident CSV import (architecture rule 8): every rejected row reported with its
line, column and reason; accept-valid and all-or-nothing modes; idempotent re-import by
the source system's incident ID (unchanged skipped, changed amended); multi-student
incidents; the ``opensro import incidents`` command; the audit chain after an import;
and flat memory on a large file (the import streams). Every test runs twice: with the
reading side in a second process (decision 0008) and, as where processes cannot be
forked, in a thread.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from conftest import World, module_world
from opensro.core import audit
from opensro.core.models import AuditEvent, Flag, FlagStatus
from opensro.directory import services as ds
from opensro.incidents import choices as c
from opensro.incidents.imports import COLUMNS, import_incidents
from opensro.incidents.models import Incident, Involvement

ORI_A = "OH0000100"


@pytest.fixture(scope="module")
def shared_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    yield from module_world(
        django_db_blocker,
        lambda world: ds.update_agency(None, world.agency_a, {"ori": ORI_A}) and None)


@pytest.fixture(autouse=True, params=["process", "thread"])
def reading_side(request: Any, monkeypatch: Any) -> str:
    from opensro.core import imports as core_imports

    monkeypatch.setattr(core_imports, "SECOND_PROCESS", request.param == "process")
    return str(request.param)


# --------------------------------------------------------------------------- files

SCHOOL_A1 = "399999100001"


def row(incident_id: str, **changes: str) -> dict[str, str]:
    """One valid CSV row: a counselled student at school A1, officer a100 of agency A."""
    data = dict.fromkeys(COLUMNS, "")
    data.update(source_system="cad", incident_id=incident_id, school_nces_id=SCHOOL_A1,
                agency_ori=ORI_A, officer_badge="a100", occurred_at="2025-10-14T10:00",
                location="hallway", involvement_source="self", reason="defiance",
                would_call_911="no", race="WH", sex="F", actions="counselled",
                status="submitted")
    data.update(changes)
    return data


def to_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def counts() -> tuple[int, int, int]:
    return Incident.objects.count(), Involvement.objects.count(), AuditEvent.objects.count()


def ten_rows_three_bad() -> tuple[list[dict[str, str]], set[int]]:
    """Ten one-student incidents; rows at file lines 4, 7 and 11 are invalid."""
    rows = [row(f"I-{n}") for n in range(10)]
    rows[2]["school_nces_id"] = "999999999999"   # line 4
    rows[5]["occurred_at"] = "14/10/2025"        # line 7
    rows[9]["reason"] = "no_such_reason"         # line 11
    return rows, {4, 7, 11}


# --------------------------------------------------------------------------- modes


def test_accept_valid_stores_good_rows_and_reports_bad_ones(w: World) -> None:
    rows, bad = ten_rows_three_bad()
    report = import_incidents(to_csv(rows), None)
    assert report.rows_in == 10
    assert report.rejected_lines == bad
    assert {e.line for e in report.errors} == bad
    assert {(e.line, e.field) for e in report.errors} == {
        (4, "school_nces_id"), (7, "occurred_at"), (11, "reason")}
    assert report.accepted == 7
    assert report.created == 7
    assert report.stored
    assert Involvement.objects.count() == 7
    assert Incident.objects.count() == 7
    assert set(Incident.objects.values_list("source_record_id", flat=True)) == {
        f"I-{n}" for n in (0, 1, 3, 4, 6, 7, 8)}
    # Rows in = accepted + rejected (architecture rule 8).
    assert report.rows_in == report.accepted + report.rejected
    assert "10 rows read: 7 accepted, 3 rejected" in report.summary()


def test_all_or_nothing_stores_nothing(w: World) -> None:
    rows, bad = ten_rows_three_bad()
    before = counts()
    report = import_incidents(to_csv(rows), None, all_or_nothing=True)
    assert report.rejected_lines == bad
    assert report.created == 0
    assert not report.stored
    assert "nothing was stored" in report.summary()
    assert counts() == before
    assert (Incident.objects.count(), Involvement.objects.count()) == (0, 0)


def test_all_or_nothing_stores_everything_when_all_rows_are_valid(w: World) -> None:
    report = import_incidents(to_csv([row(f"I-{n}") for n in range(4)]), None,
                              all_or_nothing=True)
    assert report.errors == []
    assert report.created == 4
    assert Involvement.objects.count() == 4


def test_reimporting_the_same_file_changes_nothing(w: World) -> None:
    rows = [row("I-1"), row("I-2"), row("I-2", race="BL", sex="M"), row("I-3")]
    first = import_incidents(to_csv(rows), None)
    assert (first.created, first.errors) == (3, [])
    before = counts()
    assert before[:2] == (3, 4)
    again = import_incidents(to_csv(rows), None)
    assert again.errors == []
    assert again.unchanged == 3
    assert again.created == again.updated == 0
    assert counts() == before


def test_reimport_with_a_changed_row_amends_that_incident(w: World) -> None:
    rows = [row("I-1"), row("I-2"), row("I-3")]
    import_incidents(to_csv(rows), None)
    target = Incident.objects.get(source_record_id="I-2")
    original_events = AuditEvent.objects.filter(object_type="incidents.Incident",
                                                object_id=str(target.pk)).count()
    rows[1] = row("I-2", narrative="Corrected in CAD.", actions="warning")
    before = counts()
    report = import_incidents(to_csv(rows), None)
    assert report.errors == []
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    assert Incident.objects.count() == before[0]
    assert Involvement.objects.count() == before[1]
    target.refresh_from_db()
    assert target.status == c.Status.AMENDED
    assert target.narrative == "Corrected in CAD."
    inv = target.involvements.get()
    assert (inv.warning, inv.counselled) == (True, False)
    events = AuditEvent.objects.filter(object_type="incidents.Incident",
                                       object_id=str(target.pk)).order_by("seq")
    assert events.count() == original_events + 1
    amend = events.last()
    assert amend is not None
    assert amend.action == "amend"
    assert amend.reason == "Updated by re-import from cad"
    assert amend.before["narrative"] == "" and amend.after["narrative"] == "Corrected in CAD."
    # The other incidents were not touched; the changed one is now unchanged too.
    assert not AuditEvent.objects.filter(seq__gt=before[2], object_type="incidents.Incident"
                                         ).exclude(object_id=str(target.pk)).exists()
    third = import_incidents(to_csv(rows), None)
    assert third.unchanged == 3 and third.updated == 0


# --------------------------------------------------------------------------- grouping


def test_consecutive_rows_sharing_an_incident_id_are_one_incident(w: World) -> None:
    rows = [row("I-1", race="WH"), row("I-1", race="BL", sex="M"),
            row("I-1", race="HI", role="witness"), row("I-2")]
    report = import_incidents(to_csv(rows), None)
    assert report.errors == []
    assert report.created == 2
    assert report.accepted == 4
    one = Incident.objects.get(source_record_id="I-1")
    assert list(one.involvements.order_by("id").values_list("race", "role")) == [
        ("WH", "subject"), ("BL", "subject"), ("HI", "witness")]
    assert Involvement.objects.count() == 4
    event = AuditEvent.objects.get(object_type="incidents.Incident", object_id=str(one.pk))
    assert event.action == "import"
    assert len(event.after["involvements"]) == 3


def test_non_consecutive_repeat_of_an_incident_id_is_rejected(w: World) -> None:
    rows = [row("I-1"), row("I-2"), row("I-1", race="BL")]
    report = import_incidents(to_csv(rows), None)
    assert report.rejected_lines == {4}
    [error] = report.errors
    assert (error.line, error.field) == (4, "incident_id")
    assert "already appeared" in error.reason
    assert Incident.objects.count() == 2
    assert Incident.objects.get(source_record_id="I-1").involvements.count() == 1


def test_a_bad_row_rejects_its_whole_incident(w: World) -> None:
    rows = [row("I-1"), row("I-1", race="ZZ"), row("I-2")]
    report = import_incidents(to_csv(rows), None)
    assert report.rejected_lines == {2, 3}
    assert [(e.line, e.field) for e in report.errors] == [(3, "race")]
    assert list(Incident.objects.values_list("source_record_id", flat=True)) == ["I-2"]


# --------------------------------------------------------------------------- bad values

BAD_VALUES = [
    ("school_nces_id", "999999999999", "no school with NCES ID"),
    ("agency_ori", "XX9999999", "no agency with ORI"),
    ("officer_badge", "zz999", "no officer with badge"),
    ("occurred_at", "Oct 14 2025", "is not a date and time"),
    ("recorded_at", "yesterday", "is not a date and time"),
    ("location", "roof", "unknown code 'roof'"),
    ("involvement_source", "rumour", "unknown code 'rumour'"),
    ("reason", "jaywalking", "unknown reason code 'jaywalking'"),
    ("would_call_911", "maybe", "unknown code 'maybe'"),
    ("status", "final", "unknown code 'final'"),
    ("race", "XX", "unknown code 'XX'"),
    ("sex", "Q", "unknown code 'Q'"),
    ("grade", "13", "unknown code '13'"),
    ("role", "bystander", "unknown code 'bystander'"),
    ("actions", "counselled;taser", "unknown code(s) taser"),
    ("basis", "hunch", "unknown code(s) hunch"),
    ("idea", "perhaps", "'perhaps' is not yes or no"),
    ("english_learner", "2", "'2' is not yes or no"),
    ("age", "-3", "-3 is negative"),
    ("age", "twelve", "'twelve' is not a whole number"),
    ("age", "40", "40 is outside 3 to 22"),
    ("restraint_minutes", "-1", "-1 is negative"),
    ("offense", "x" * 121, "longer than 120 characters"),
]


@pytest.mark.parametrize(("column", "value", "reason"), BAD_VALUES,
                         ids=[f"{col}={val[:12]}" for col, val, _r in BAD_VALUES])
def test_bad_value_reported_with_its_column(w: World, column: str, value: str,
                                            reason: str) -> None:
    rows = [row("I-1"), row("I-2", **{column: value}), row("I-3")]
    before = counts()
    report = import_incidents(to_csv(rows), None)
    assert report.rejected_lines == {3}
    assert [(e.line, e.field) for e in report.errors] == [(3, column)], report.errors
    assert reason in report.errors[0].reason
    assert report.created == 2
    assert Incident.objects.count() == before[0] + 2
    assert not Incident.objects.filter(source_record_id="I-2").exists()


def test_missing_required_value_and_header_problems(w: World) -> None:
    report = import_incidents(to_csv([row("I-1", occurred_at="")]), None)
    assert [(e.line, e.field, e.reason) for e in report.errors] == [
        (2, "occurred_at", "required")]
    report = import_incidents(b"source_system,incident_id\ncad,1\n", None)
    assert report.errors and report.errors[0].line == 0
    assert "lacks column(s)" in report.errors[0].reason
    assert not report.stored
    assert Incident.objects.count() == 0


def test_rule_violation_reported_with_rule_column(w: World) -> None:
    report = import_incidents(to_csv([
        row("I-1", actions="arrest", basis="imminent_threat", basis_details="d",
            why_at_school="w", removed_from_public_view="yes", arrest_charge="Assault",
            deescalation="tried"),
    ]), None)
    assert [(e.line, e.field) for e in report.errors] == [(2, "probable_cause")]
    # The same incident as a draft is accepted: drafts may lack the basis.
    report = import_incidents(to_csv([
        row("I-1", actions="arrest", status="draft", deescalation="tried"),
    ]), None)
    assert report.errors == []
    assert Incident.objects.get().status == c.Status.DRAFT


# --------------------------------------------------------------------------- the command


def write(tmp_path: Path, rows: list[dict[str, str]], name: str = "incidents.csv") -> str:
    path = tmp_path / name
    path.write_bytes(to_csv(rows))
    return str(path)


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_imports_and_reports(w: World, tmp_path: Path) -> None:
    path = write(tmp_path, [row("I-1"), row("I-2")])
    out, err = run("incidents", path, "--no-progress")
    assert "2 rows read: 2 accepted, 0 rejected (2 created" in out
    assert err == ""
    assert Incident.objects.count() == 2


def test_command_fails_with_returncode_2_when_rows_are_rejected(w: World,
                                                                tmp_path: Path) -> None:
    rows, _bad = ten_rows_three_bad()
    path = write(tmp_path, rows)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("import", "incidents", path, "--no-progress", stdout=out, stderr=err)
    assert excinfo.value.returncode == 2
    assert "3 row(s) rejected" in str(excinfo.value)
    assert "line 4, school_nces_id: no school with NCES ID" in err.getvalue()
    assert "line 7, occurred_at:" in err.getvalue()
    assert "7 accepted, 3 rejected" in out.getvalue()
    assert Involvement.objects.count() == 7  # accept-valid is the default for incidents


def test_command_all_or_nothing_flag(w: World, tmp_path: Path) -> None:
    rows, _bad = ten_rows_three_bad()
    path = write(tmp_path, rows)
    before = counts()
    with pytest.raises(CommandError) as excinfo:
        run("incidents", path, "--no-progress", "--all-or-nothing")
    assert excinfo.value.returncode == 2
    assert counts() == before


def test_command_json_output(w: World, tmp_path: Path) -> None:
    rows, _bad = ten_rows_three_bad()
    path = write(tmp_path, rows)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import", "incidents", path, "--json", stdout=out, stderr=io.StringIO())
    body = json.loads(out.getvalue())
    assert body["rows_in"] == 10
    assert body["accepted"] == 7
    assert body["rejected"] == 3
    assert body["created"] == 7
    assert body["stored"] is True
    assert {(e["line"], e["field"]) for e in body["errors"]} == {
        (4, "school_nces_id"), (7, "occurred_at"), (11, "reason")}
    # A clean file exits normally, with JSON too.
    good = write(tmp_path, [row("J-1")], "good.csv")
    out = io.StringIO()
    call_command("import", "incidents", good, "--json", stdout=out)
    assert json.loads(out.getvalue())["errors"] == []


def test_command_as_user_applies_scope(w: World, tmp_path: Path) -> None:
    path = write(tmp_path, [row("I-1")])
    with pytest.raises(CommandError) as excinfo:
        run("incidents", path, "--no-progress", "--user", "outsider")
    assert excinfo.value.returncode == 2
    assert Incident.objects.count() == 0
    out, _err = run("incidents", path, "--no-progress", "--user", "sro")
    assert "1 created" in out
    event = AuditEvent.objects.filter(object_type="incidents.Incident").get()
    assert event.actor_id == w.users["sro"].pk


# --------------------------------------------------------------------------- audit


def test_audit_chain_and_state_verify_after_import(w: World) -> None:
    rows = [row(f"I-{n}") for n in range(5)]
    rows.append(row("I-5", involvement_source="staff", requester_role="teacher",
                    actions="citation"))  # a discipline-involvement case
    rows.append(row("I-6", race="??"))     # rejected
    report = import_incidents(to_csv(rows), None)
    assert report.created == 6 and report.rejected == 1
    flag = Flag.objects.get(kind="discipline_involvement")
    assert flag.status == FlagStatus.OPEN
    assert flag.subject_id == str(Incident.objects.get(source_record_id="I-5").pk)
    assert flag.evidence["requester_role"] == "teacher"
    rows[0] = row("I-0", narrative="changed")
    assert import_incidents(to_csv(rows), None).updated == 1
    checked, problem = audit.verify_chain()
    assert problem is None
    assert checked == AuditEvent.objects.count()
    checked, problems = audit.verify_state()
    assert problems == []
    assert checked >= Incident.objects.count() == 6


@pytest.mark.parametrize("narrative", [
    'Said "id":8888888888888888881, then "incident_id":8888888888888888882}',
    "8888888888888888881 8888888888888888882",
    '\\":8888888888888888881,',
])
def test_snapshot_ids_are_put_in_place_whatever_the_text_holds(w: World,
                                                               narrative: str) -> None:
    """The reading side writes stand-in ids into each audit snapshot and the writing
    side puts the real ones in their places: text holding the stand-ins' digits, even
    shaped like a key, is left as it is."""
    rows = [row("T-1", narrative=narrative), row("T-1", race="BL", role="witness"),
            row("T-2", narrative=narrative)]
    report = import_incidents(to_csv(rows), None)
    assert report.errors == [] and report.created == 2
    for incident in Incident.objects.filter(source_record_id__in=["T-1", "T-2"]):
        assert incident.narrative == narrative
        event = AuditEvent.objects.get(action="import", object_type="incidents.Incident",
                                       object_id=str(incident.pk))
        assert event.after == audit.snapshot(incident)
        assert event.object_repr == str(incident)
        assert {i["incident_id"] for i in event.after["involvements"]} == {incident.pk}
    assert audit.verify_chain()[1] is None
    assert audit.verify_state()[1] == []


# --------------------------------------------------------------------------- memory

BIG = 20_000
SMALL = 2_000


def _big_file(path: Path, rows: int, prefix: str) -> int:
    """``rows`` rows; incidents of one, two and three students in turn (two on average).
    Returns the number of incidents."""
    incidents = 0
    start = datetime.datetime(2025, 9, 2, 8, 0)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        n = 0
        while n < rows:
            incidents += 1
            when = (start + datetime.timedelta(minutes=7 * incidents)).isoformat()
            for s in range(min(1 + incidents % 3, rows - n)):
                writer.writerow(row(f"{prefix}-{incidents}", occurred_at=when,
                                    race=("WH", "BL", "HI", "AS")[(n + s) % 4],
                                    student_id=f"{prefix}{n:07d}", narrative="x" * 80))
                n += 1
    return incidents


def _traced_import(path: Path) -> tuple[Any, int]:
    """Import the file, returning the report and the peak traced memory in bytes."""
    tracemalloc.start()
    try:
        with path.open("rb") as handle:
            report = import_incidents(handle, None)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return report, peak


def test_large_import_streams_with_flat_memory(w: World, tmp_path: Path) -> None:
    """Traced memory is this process's: with a thread it covers both sides of the
    import; with a second process, the writing side."""
    small_incidents = _big_file(tmp_path / "small.csv", SMALL, "S")
    incidents = _big_file(tmp_path / "big.csv", BIG, "B")
    small, small_peak = _traced_import(tmp_path / "small.csv")
    assert small.errors == [] and small.created == small_incidents
    report, peak = _traced_import(tmp_path / "big.csv")
    assert report.errors == []
    assert report.rows_in == BIG
    assert report.created == incidents
    assert incidents < BIG
    assert Incident.objects.count() == small_incidents + incidents
    assert Involvement.objects.count() == SMALL + BIG
    mb = 2**20
    assert peak < 60 * mb, f"peak traced memory {peak / mb:.1f} MB"
    # Flat: ten times the rows costs (almost) no more memory than one tenth of them.
    assert peak < small_peak + 8 * mb, (
        f"peak {peak / mb:.1f} MB for {BIG} rows vs {small_peak / mb:.1f} MB for {SMALL}")


def test_repeat_in_a_later_batch_is_rejected_and_earlier_records_still_update(
        w: World, monkeypatch: Any) -> None:
    """The repeat check holds across batches without remembering every key: a record
    created by this import is told from one stored before by its id."""
    import opensro.incidents.imports as imports

    first = import_incidents(to_csv([row("I-1"), row("I-2")]), None)
    assert first.created == 2
    monkeypatch.setattr(imports, "BATCH", 2)
    rows = [row("I-3"), row("I-4"), row("I-5"), row("I-3", race="BL"),
            row("I-1", race="HI")]
    report = import_incidents(to_csv(rows), None)
    assert report.rejected_lines == {5}
    [error] = report.errors
    assert error.field == "incident_id" and "earlier in this file" in error.reason
    assert report.created == 3 and report.updated == 1
    assert Incident.objects.get(source_record_id="I-3").involvements.get().race == "WH"
    assert Incident.objects.get(source_record_id="I-1").involvements.get().race == "HI"
