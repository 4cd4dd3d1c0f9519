"""CSV import of training records (R-G4): every bad row reported by line with a clear
reason, all-or-nothing stores nothing, re-importing changes nothing, and the CLI
``opensro import training FILE.csv`` runs the same code.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from conftest import World
from opensro.core.models import AuditEvent, Flag, FlagStatus
from opensro.directory import services as ds
from opensro.training import services
from opensro.training.imports import import_training
from opensro.training.models import TrainingRecord
from opensro.training.tests.helpers import cops, seed

HEADER = "agency,badge_number,course,completed_on,hours,provider,notes\n"


@pytest.fixture
def iw(world: World) -> World:
    seed()
    ds.update_agency(None, world.agency_a, {"ori": "OH0000001"})
    return world


def good_rows() -> str:
    return (HEADER
            + "OH0000001,a100,basic_sro,2024-06-14,40,Ohio SRO Academy,\n"
            + "Agency A,a200,advanced_sro,2025-02-03,24,NASRO,Columbus\n"
            + "agency a,A100,topic_ferpa,2025-03-01,4,Online,\n")


def test_good_file_is_stored_and_audited(iw: World) -> None:
    report = import_training(good_rows().encode(), iw.users["agency_admin"])
    assert report.ok, report.errors
    assert (report.rows_in, report.accepted, report.created) == (3, 3, 3)
    assert report.stored
    assert TrainingRecord.objects.filter(officer=iw.officer_a).count() == 2
    events = AuditEvent.objects.filter(object_type="training.TrainingRecord", action="create")
    assert events.count() == 3
    assert {e.actor_id for e in events} == {iw.users["agency_admin"].pk}


def test_reimport_is_idempotent_and_changes_update(iw: World) -> None:
    import_training(good_rows().encode(), None)
    events = AuditEvent.objects.count()
    again = import_training(good_rows().encode(), None)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert AuditEvent.objects.count() == events
    changed = good_rows().replace("2025-02-03,24,NASRO", "2025-02-03,32,NASRO")
    third = import_training(changed.encode(), None)
    assert (third.created, third.updated, third.unchanged) == (0, 1, 2)
    assert TrainingRecord.objects.get(course__code="advanced_sro").hours == 32
    assert TrainingRecord.objects.count() == 3


def test_bad_rows_are_reported_by_line_and_all_or_nothing_stores_nothing(iw: World) -> None:
    text = (good_rows()
            + "OH9999999,a100,basic_sro,2024-06-14,40,X,\n"  # line 5
            + "OH0000001,zz9,basic_sro,2024-06-14,40,X,\n"  # line 6
            + "OH0000001,a100,karate,2024-06-14,40,X,\n"  # line 7
            + "OH0000001,a100,basic_sro,14/06/2024,forty,,\n"  # line 8
            + "OH0000001,a100,basic_sro,2024-06-14,40,Again,\n"  # line 9: duplicate of 2
            + "OH0000001,a100,basic_sro,2099-01-01,40,Future,\n"  # line 10: future
            + "OH0000001,a100,basic_sro,2024-07-01,40,X,,extra\n")  # line 11
    events = AuditEvent.objects.count()
    report = import_training(text.encode(), None)
    assert not report.stored
    assert TrainingRecord.objects.count() == 0
    assert AuditEvent.objects.count() == events
    found = {(e.line, e.field): e.reason for e in report.errors}
    assert found[(5, "agency")] == "no agency with ORI or name 'OH9999999'"
    assert found[(6, "badge_number")] == "no officer with badge 'zz9' in Agency A"
    assert found[(7, "course")].startswith("unknown course code 'karate'")
    assert found[(8, "completed_on")] == "'14/06/2024' is not a date; write it as YYYY-MM-DD"
    assert found[(8, "hours")] == "'forty' is not a positive number of hours"
    assert found[(8, "provider")] == "say who gave the course"
    assert found[(9, "completed_on")] == "duplicate of line 2 (same officer, course and date)"
    assert "future" in found[(10, "completed_on")]
    assert found[(11, "")] == "the row has more values than the header has columns"
    assert report.rows_in == 10
    assert report.rows_in == report.accepted + report.rejected
    assert "nothing was stored" in report.summary()


def test_accept_valid_stores_the_good_rows(iw: World) -> None:
    text = good_rows() + "OH0000001,zz9,basic_sro,2024-06-14,40,X,\n"
    report = import_training(text.encode(), None, all_or_nothing=False)
    assert report.stored
    assert (report.created, report.rejected) == (3, 1)
    assert report.rows_in == report.accepted + report.rejected
    assert TrainingRecord.objects.count() == 3


def test_rows_outside_the_importers_scope_are_rejected(iw: World) -> None:
    text = HEADER + "Agency B,b100,basic_sro,2024-06-14,40,X,\n"
    report = import_training(text.encode(), iw.users["agency_admin"])
    assert [(e.line, e.field) for e in report.errors] == [(2, "badge_number")]
    assert "outside the officers whose training you may record" in report.errors[0].reason
    assert TrainingRecord.objects.count() == 0


def test_header_problems_are_reported(iw: World) -> None:
    report = import_training(b"agency,badge_number,course\nx,y,z\n", None)
    assert report.errors[0].line == 0
    assert "lacks column(s) completed_on, hours, provider" in report.errors[0].reason


def test_import_clears_the_overdue_flag(iw: World) -> None:
    services.set_agency_policy(None, iw.agency_a, cops(), datetime.date(2024, 8, 1))
    flag = Flag.objects.get(kind="training_overdue", subject_id=str(iw.officer_a.pk))
    assert flag.status == FlagStatus.OPEN
    text = HEADER + ("OH0000001,a100,basic_sro,2024-06-14,40,Ohio SRO Academy,\n"
                     "OH0000001,a100,topic_ferpa,2026-01-10,4,Online,\n")
    assert import_training(text.encode(), None).ok
    flag.refresh_from_db()
    assert flag.status == FlagStatus.CLEARED


def test_cli(iw: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.csv"
    good.write_text(good_rows())
    call_command("import", "training", str(good), "--user", "agency_admin")
    assert "3 rows read: 3 accepted, 0 rejected (3 created" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "OH0000001,zz9,basic_sro,2024-06-14,40,X,\n")
    with pytest.raises(CommandError):
        call_command("import", "training", str(bad))
    err = capsys.readouterr()
    assert "line 2, badge_number: no officer with badge 'zz9' in Agency A" in err.err


def test_import_page(iw: World) -> None:
    client = Client()
    client.force_login(iw.users["supervisor"])
    page = client.post("/training/records/import/", {
        "file": _upload("bad.csv", HEADER + "OH0000001,a100,karate,2024-06-14,40,X,\n")})
    body = page.content.decode()
    assert "Problems found" in body
    assert "unknown course code" in body
    assert TrainingRecord.objects.count() == 0
    page = client.post("/training/records/import/", {"file": _upload("good.csv", good_rows())})
    assert "3 rows read: 3 accepted" in page.content.decode()
    denied = Client()
    denied.force_login(iw.users["analyst"])
    assert denied.get("/training/records/import/").status_code == 403


def _upload(name: str, text: str) -> object:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")
