"""Enrollment CSV import (architecture rule 8): through the service, the ``opensro import``
command and the web upload page. Every rejected row is reported with its line, field and
reason; rows in = accepted + rejected; all-or-nothing by default.
"""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from conftest import World
from opensro.core import audit
from opensro.core.imports import ImportReport
from opensro.core.models import AuditEvent
from opensro.directory.imports import import_enrollment
from opensro.directory.models import Enrollment

HEADER = "nces_school_id,school_year,group,sex,count"
A1, A2, B1 = "399999100001", "399999100002", "399999200001"

#: A valid file: one cell changed (A1 WH F was 300), four new.
VALID = [
    f"{A1},2025-26,WH,F,310",
    f"{A1},2025-26,WH,M,280",
    f"{A1},2025-26,BL,F,120",
    f"{A1},2025-26,IDEA,F,50",
    f"{A2},2025-26,HI,M,75",
]


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def cells() -> dict[tuple[str, str, str, str], int]:
    return {
        (c.school.nces_id, c.school_year.code, c.group, c.sex): c.count
        for c in Enrollment.objects.select_related("school", "school_year")
    }


def state() -> tuple[list[dict[str, Any]], int]:
    """Every enrollment row as stored, and the number of audit events."""
    return [audit.snapshot(c) for c in Enrollment.objects.order_by("pk")], \
        AuditEvent.objects.count()


def where(report: ImportReport) -> list[tuple[int, str]]:
    return [(e.line, e.field) for e in report.errors]


def assert_invariant(report: ImportReport) -> None:
    assert report.rows_in == report.accepted + report.rejected


# --------------------------------------------------------------------------- valid input


def test_valid_file_is_stored(world: World) -> None:
    events = AuditEvent.objects.count()
    report = import_enrollment(csv_bytes(*VALID), None)
    assert report.ok and report.stored
    assert (report.rows_in, report.accepted, report.rejected) == (5, 5, 0)
    assert (report.created, report.updated, report.unchanged) == (4, 1, 0)
    assert_invariant(report)
    stored = cells()
    assert stored[(A1, "2025-26", "WH", "F")] == 310
    assert stored[(A1, "2025-26", "IDEA", "F")] == 50
    assert stored[(A2, "2025-26", "HI", "M")] == 75
    assert Enrollment.objects.count() == 2 + 4
    assert AuditEvent.objects.count() == events + 5
    assert "5 rows read: 5 accepted, 0 rejected (4 created, 1 updated, 0 unchanged)" \
        in report.summary()
    call_command("audit", "verify", stdout=StringIO())


def test_reimport_changes_nothing(world: World) -> None:
    import_enrollment(csv_bytes(*VALID), None)
    before = state()
    report = import_enrollment(csv_bytes(*VALID), None)
    assert report.ok and report.stored
    assert (report.created, report.updated, report.unchanged) == (0, 0, 5)
    assert_invariant(report)
    assert state() == before  # same rows, same updated_at, no new audit event


def test_whitespace_and_bom_are_tolerated(world: World) -> None:
    data = "\ufeff" + HEADER + "\r\n" + f" {A2} , 2025-26 ,AS, M , 12 \r\n"
    report = import_enrollment(data.encode(), None)
    assert report.ok, report.errors
    assert cells()[(A2, "2025-26", "AS", "M")] == 12


# --------------------------------------------------------------------------- bad rows

GOOD_2 = f"{A2},2025-26,WH,F,200"
GOOD_4 = f"{A2},2025-26,BL,M,30"

#: bad row (placed on line 3, between two good rows) -> (field, words of the reason)
BAD_ROWS: dict[str, tuple[str, str, str]] = {
    "nces_too_short": (f"{A1[:-1]},2025-26,WH,M,5", "nces_school_id", "exactly 12 digits"),
    "nces_too_long": (f"{A1}9,2025-26,WH,M,5", "nces_school_id", "exactly 12 digits"),
    "nces_letters": ("39999910000A,2025-26,WH,M,5", "nces_school_id", "exactly 12 digits"),
    "unknown_school": ("399999100099,2025-26,WH,M,5", "nces_school_id",
                       "no school with NCES ID 399999100099"),
    "unknown_year": (f"{A1},2030-31,WH,M,5", "school_year", "unknown school year"),
    "unknown_group": (f"{A1},2025-26,ZZ,M,5", "group", "unknown group code 'ZZ'"),
    "sex_not_collected": (f"{A1},2025-26,WH,X,5", "sex", "unknown sex code 'X' for 2025-26"),
    "negative_count": (f"{A1},2025-26,WH,M,-4", "count", "negative"),
    "non_numeric_count": (f"{A1},2025-26,WH,M,twelve", "count", "not a whole number"),
    "decimal_count": (f"{A1},2025-26,WH,M,4.5", "count", "not a whole number"),
    "empty_count": (f"{A1},2025-26,WH,M,", "count", "not a whole number"),
    "duplicate": (GOOD_2, "group", "duplicate of line 2"),
    "subset_above_total": (f"{A2},2025-26,IDEA,F,500", "count",
                           "above the school's total of 200"),
    "extra_values": (f"{A1},2025-26,WH,M,5,oops", "", "more values than the header"),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_bad_row_is_rejected_and_nothing_stored(world: World, case: str) -> None:
    row, field, words = BAD_ROWS[case]
    before = state()
    report = import_enrollment(csv_bytes(GOOD_2, row, GOOD_4), None)
    assert where(report) == [(3, field)], report.errors
    assert words in report.errors[0].reason
    assert (report.rows_in, report.rejected) == (3, 1)
    assert_invariant(report)
    assert not report.stored
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    assert "nothing was stored" in report.summary()
    assert state() == before


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_accept_valid_stores_the_valid_rows(world: World, case: str) -> None:
    row, field, _words = BAD_ROWS[case]
    events = AuditEvent.objects.count()
    report = import_enrollment(csv_bytes(GOOD_2, row, GOOD_4), None, all_or_nothing=False)
    assert where(report) == [(3, field)]
    assert report.stored
    assert (report.rows_in, report.accepted, report.rejected) == (3, 2, 1)
    assert_invariant(report)
    stored = cells()
    assert stored[(A2, "2025-26", "WH", "F")] == 200
    assert stored[(A2, "2025-26", "BL", "M")] == 30
    assert len(stored) == 4
    assert AuditEvent.objects.count() == events + 2


def test_every_bad_row_of_a_file_is_reported(world: World) -> None:
    rows = [
        GOOD_2,                                  # 2
        "39999910000A,2025-26,WH,M,5",           # 3 nces
        f"{A1},2025-26,ZZ,X,-1",                 # 4 group, sex, count
        f"{A1},2025-26,WH,M,5",                  # 5 fine
        f"{A1},2025-26,WH,M,6",                  # 6 duplicate of 5
        f"{A2},2025-26,EL,F,201",                # 7 above the total of 200
        f"{A1},2025-26,WH,M",                    # 8 missing value: count empty
    ]
    report = import_enrollment(csv_bytes(*rows), None, all_or_nothing=False)
    assert where(report) == [
        (3, "nces_school_id"), (4, "group"), (4, "sex"), (4, "count"), (6, "group"),
        (8, "count"), (7, "count"),
    ]
    assert report.rejected_lines == {3, 4, 6, 7, 8}
    assert (report.rows_in, report.accepted, report.rejected) == (7, 2, 5)
    assert_invariant(report)
    assert str(report.errors[0]).startswith("line 3, nces_school_id: ")


# --------------------------------------------------------------------------- bad files

BAD_FILES: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "The file is empty"),
    "header_only_blank": (b"\n\n", "The file is empty"),
    "missing_column": (csv_bytes(f"{A1},2025-26,WH,F",
                                 header="nces_school_id,school_year,group,sex"),
                       "lacks column(s) count"),
    "unknown_column": (csv_bytes(f"{A1},2025-26,WH,F,3,x", header=HEADER + ",name"),
                       "Unknown column(s) in the header: name"),
    "latin1": (HEADER.encode() + b"\n" + f"{A1},2025-26,WH,F,3\n".encode()
               + "Mu\xf1oz,2025-26,WH,M,3\n".encode("latin-1"), "not UTF-8"),
    "utf16": (csv_bytes(f"{A1},2025-26,WH,F,3").decode().encode("utf-16"), "not UTF-8"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_is_rejected_as_a_whole(world: World, case: str) -> None:
    data, words = BAD_FILES[case]
    before = state()
    for mode in (True, False):
        report = import_enrollment(data, None, all_or_nothing=mode)
        assert len(report.errors) == 1
        error = report.errors[0]
        assert (error.line, error.field) == (0, "")
        assert words in error.reason
        assert str(error).startswith("file: ")
        assert not report.stored
        assert report.accepted == 0
        assert state() == before


def test_latin1_in_a_late_row_names_the_place(world: World) -> None:
    """A bad byte beyond the first read buffer: the report says after which line decoding
    failed, and nothing is stored, even with --accept-valid."""
    pad = " " * 1200  # values are stripped; the padding only makes the file long
    rows = [f"{school},2025-26,{group},{sex},1{pad}" for school in (A1, A2)
            for group in ("HI", "AM", "AS", "HP", "BL", "TR") for sex in ("M", "F")]
    data = csv_bytes(*rows) + "Mu\xf1oz,2025-26,WH,M,3\n".encode("latin-1")
    assert len(data) > 3 * 8192
    before = state()
    report = import_enrollment(data, None, all_or_nothing=False)
    assert where(report) == [(0, "")]
    assert "not UTF-8 text after line" in report.errors[0].reason
    assert not report.stored
    assert state() == before


# --------------------------------------------------------------------------- scope


def test_school_admin_may_import_own_school_only(world: World) -> None:
    admin = world.users["school_admin"]
    data = csv_bytes(f"{A1},2025-26,BL,F,40", f"{A2},2025-26,BL,F,41", f"{B1},2025-26,BL,F,42")
    before = state()
    report = import_enrollment(data, admin)
    assert where(report) == [(3, "nces_school_id"), (4, "nces_school_id")]
    assert "outside the schools you may change" in report.errors[0].reason
    assert state() == before
    report = import_enrollment(data, admin, all_or_nothing=False)
    assert report.stored and report.created == 1
    assert_invariant(report)
    assert cells()[(A1, "2025-26", "BL", "F")] == 40
    assert (A2, "2025-26", "BL", "F") not in cells()
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None and event.actor == admin


def test_district_admin_may_import_district_schools(world: World) -> None:
    admin = world.users["district_admin"]
    report = import_enrollment(csv_bytes(f"{A1},2025-26,BL,F,40", f"{A2},2025-26,BL,F,41",
                                         f"{B1},2025-26,BL,F,42"), admin,
                               all_or_nothing=False)
    assert where(report) == [(4, "nces_school_id")]
    assert report.created == 2


def test_persona_without_enrollment_rights_stores_nothing(world: World) -> None:
    before = state()
    for mode in (True, False):
        report = import_enrollment(csv_bytes(f"{A1},2025-26,BL,F,40"), world.users["auditor"],
                                   all_or_nothing=mode)
        assert where(report)[0] == (2, "nces_school_id")
        # Beyond the row, at most a file-level refusal ("You may not change enrollment").
        assert all(line == 0 for line, _field in where(report)[1:])
        assert report.created == 0
        assert_invariant(report)
        assert state() == before


# --------------------------------------------------------------------------- the command


def write(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "enrollment.csv"
    path.write_bytes(data)
    return str(path)


def test_command_imports_a_valid_file(world: World, tmp_path: Path) -> None:
    out = StringIO()
    call_command("import", "enrollment", write(tmp_path, csv_bytes(*VALID)), stdout=out,
                 stderr=StringIO())
    assert "5 rows read: 5 accepted, 0 rejected (4 created, 1 updated, 0 unchanged)" \
        in out.getvalue()
    assert cells()[(A1, "2025-26", "WH", "F")] == 310


def test_command_rejects_and_stores_nothing(world: World, tmp_path: Path) -> None:
    path = write(tmp_path, csv_bytes(GOOD_2, f"{A1},2025-26,WH,M,-4", GOOD_4,
                                     f"{A1},2025-26,ZZ,M,1"))
    before = state()
    err = StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import", "enrollment", path, stdout=StringIO(), stderr=err)
    assert info.value.returncode == 2
    assert "2 row(s) rejected" in str(info.value) or "2 rejected" in str(info.value)
    assert "line 3, count: -4 is negative" in err.getvalue()
    assert "line 5, group: unknown group code 'ZZ'" in err.getvalue()
    assert state() == before


def test_command_accept_valid_and_json(world: World, tmp_path: Path) -> None:
    path = write(tmp_path, csv_bytes(GOOD_2, f"{A1},2025-26,WH,M,-4", GOOD_4))
    out = StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import", "enrollment", path, "--accept-valid", "--json", stdout=out,
                     stderr=StringIO())
    assert info.value.returncode == 2
    body = json.loads(out.getvalue())
    assert body["stored"] is True
    assert (body["rows_in"], body["accepted"], body["rejected"]) == (3, 2, 1)
    assert body["errors"] == [{"line": 3, "field": "count",
                               "reason": "-4 is negative; counts cannot be below 0"}]
    assert cells()[(A2, "2025-26", "BL", "M")] == 30


def test_command_as_a_user_applies_their_scope(world: World, tmp_path: Path) -> None:
    path = write(tmp_path, csv_bytes(f"{A2},2025-26,BL,F,41"))
    err = StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import", "enrollment", path, "--user", "school_admin",
                     stdout=StringIO(), stderr=err)
    assert info.value.returncode == 2
    assert "line 2, nces_school_id:" in err.getvalue()
    assert (A2, "2025-26", "BL", "F") not in cells()


def test_command_bad_file_and_missing_file(world: World, tmp_path: Path) -> None:
    err = StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import", "enrollment", write(tmp_path, b""), stdout=StringIO(),
                     stderr=err)
    assert info.value.returncode == 2
    assert "file: The file is empty" in err.getvalue()
    with pytest.raises(CommandError, match="Cannot open"):
        call_command("import", "enrollment", str(tmp_path / "nope.csv"), stdout=StringIO(),
                     stderr=StringIO())


# --------------------------------------------------------------------------- the web page


def upload(client: Client, data: bytes, accept_valid: bool = False) -> Any:
    form: dict[str, Any] = {"file": SimpleUploadedFile("enrollment.csv", data, "text/csv")}
    if accept_valid:
        form["accept_valid"] = "on"
    return client.post("/directory/enrollment/import/", form)


def test_upload_page_stores_a_valid_file(world: World, client: Client) -> None:
    client.force_login(world.users["district_admin"])
    page = client.get("/directory/enrollment/import/")
    assert page.status_code == 200
    assert "You may change enrollment for 2 school(s)" in page.content.decode()
    response = upload(client, csv_bytes(*VALID))
    assert response.status_code == 200
    assert "5 rows read: 5 accepted, 0 rejected (4 created, 1 updated, 0 unchanged)" \
        in response.content.decode()
    assert cells()[(A2, "2025-26", "HI", "M")] == 75
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None and event.actor == world.users["district_admin"]


def test_upload_page_reports_rejected_rows(world: World, client: Client) -> None:
    client.force_login(world.users["school_admin"])
    page = client.get("/directory/enrollment/import/")
    assert "You may change enrollment for 1 school(s)" in page.content.decode()
    before = state()
    response = upload(client, csv_bytes(f"{A1},2025-26,BL,F,40", f"{A2},2025-26,BL,F,41",
                                        f"{A1},2025-26,ZZ,F,4"))
    text = response.content.decode()
    assert response.status_code == 200
    assert "nothing was stored" in text
    assert "<td>3</td><td>nces_school_id</td>" in text
    assert "<td>4</td><td>group</td>" in text
    assert state() == before
    response = upload(client, csv_bytes(f"{A1},2025-26,BL,F,40", f"{A2},2025-26,BL,F,41"),
                      accept_valid=True)
    assert "1 created" in response.content.decode()
    assert cells()[(A1, "2025-26", "BL", "F")] == 40


def test_upload_page_bad_encoding(world: World, client: Client) -> None:
    client.force_login(world.users["system_admin"])
    response = upload(client, "Mu\xf1oz\n".encode("latin-1"))
    assert response.status_code == 200
    assert "not UTF-8" in response.content.decode()


@pytest.mark.parametrize("persona", ["sro", "supervisor", "agency_admin", "analyst",
                                     "auditor", "outsider"])
def test_upload_page_refused_without_enrollment_rights(world: World, client: Client,
                                                       persona: str) -> None:
    client.force_login(world.users[persona])
    before = state()
    assert client.get("/directory/enrollment/import/").status_code == 403
    assert upload(client, csv_bytes(*VALID)).status_code == 403
    assert state() == before
