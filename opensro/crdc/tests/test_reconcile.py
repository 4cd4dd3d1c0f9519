"""Reconciliation with the district's student information system (R-E2): an upload in
the export's layout is compared school by school and cell by cell; a malformed upload
is refused with a message per problem and nothing is stored; uploads are kept with
their result and audited.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import World, login, module_world
from opensro.core.models import AuditEvent, Disclosure
from opensro.crdc import counts, layout, services
from opensro.crdc.models import SisUpload
from opensro.crdc.tests.helpers import generate, log, student

COLUMNS = layout.column_names(["M", "F"])


def _generated(world: World) -> None:
    generate(world, seed=3, n=50)


@pytest.fixture(scope="module")
def shared_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    yield from module_world(django_db_blocker, _generated)


def export_rows(w: World) -> tuple[list[str], list[list[str]]]:
    """OpenSRO's own export as the district admin downloads it."""
    response = login(w, "district_admin").get(
        f"/crdc/{w.district_a.nces_id}/2025-26/export.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    return rows[0], rows[1:]


def to_csv(header: list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def stored() -> tuple[int, int]:
    return SisUpload.objects.count(), AuditEvent.objects.filter(
        object_type="crdc.SisUpload").count()


def web_upload(client: Client, w: World, raw: bytes, district: str | None = None) -> Any:
    return client.post("/crdc/uploads/new/", {
        "district": district or w.district_a.nces_id, "school_year": "2025-26",
        "note": "SIS extract", "file": SimpleUploadedFile("sis.csv", raw, "text/csv")})


def api_upload(client: Client, w: World, raw: bytes, district: str | None = None) -> Any:
    return client.post("/api/crdc/uploads", {
        "district": district or w.district_a.nces_id, "school_year": "2025-26",
        "file": SimpleUploadedFile("sis.csv", raw, "text/csv")})


# --------------------------------------------------------------------------- agreement


def test_the_export_itself_agrees_and_is_kept(w: World) -> None:
    header, rows = export_rows(w)
    client = login(w, "district_admin")
    before_disclosures = Disclosure.objects.count()
    response = web_upload(client, w, to_csv(header, rows))
    assert response.status_code == 302
    upload = SisUpload.objects.get()
    assert response["Location"] == f"/crdc/uploads/{upload.pk}/"
    assert upload.cells_compared == 2 * len(COLUMNS) and upload.cells_disagreeing == 0
    assert upload.columns == COLUMNS and upload.uploaded_by == w.users["district_admin"]
    assert upload.note == "SIS extract" and upload.file_name == "sis.csv"
    # Audited (what was uploaded, by whom) and logged as a disclosure.
    event = AuditEvent.objects.get(object_type="crdc.SisUpload", object_id=str(upload.pk))
    assert event.action == "create" and event.actor == w.users["district_admin"]
    assert event.after is not None and event.after["sis_counts"] == upload.sis_counts
    assert Disclosure.objects.count() == before_disclosures + 1
    page = client.get(response["Location"]).content.decode()
    assert "none: the file agrees with OpenSRO" in page and "No cell disagrees." in page


# --------------------------------------------------------------------------- disagreement


def test_differences_school_by_school_and_cell_by_cell(w: World) -> None:
    header, rows = export_rows(w)
    a1 = counts.compute(w.district_a, w.year).by_nces()[w.school_a1.nces_id]
    i = header.index("SCH_DISCWODIS_REF_WH_F")
    j = header.index("TOT_DISCWDIS_ARR_IDEA_M")
    rows[0][i] = str(int(rows[0][i]) + 2)
    rows[1][j] = str(int(rows[1][j]) + 1)
    response = api_upload(login(w, "district_admin"), w, to_csv(header, rows))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["summary"] == {"cells_compared": 2 * len(COLUMNS), "cells_disagreeing": 2,
                               "schools_compared": 2, "schools_disagreeing": 2,
                               "schools_missing": []}
    cells = {(c["school_nces_id"], c["column"]): c for c in body["cells"]}
    first = cells[(w.school_a1.nces_id, "SCH_DISCWODIS_REF_WH_F")]
    assert first["opensro"] == a1.counts["SCH_DISCWODIS_REF_WH_F"]
    assert first["sis"] == first["opensro"] + 2 and first["difference"] == 2
    assert not first["agrees"]
    assert cells[(w.school_a2.nces_id, "TOT_DISCWDIS_ARR_IDEA_M")]["difference"] == 1
    assert len(cells) == 2
    assert [s["cells_disagreeing"] for s in body["schools"]] == [1, 1]
    upload_id = body["id"]
    # The stored result, through the API: every cell, or one school's.
    client = login(w, "auditor")
    every = client.get(f"/api/crdc/uploads/{upload_id}", {"only_disagreements": False}).json()
    assert len(every["cells"]) == 2 * len(COLUMNS)
    one = client.get(f"/api/crdc/uploads/{upload_id}", {
        "only_disagreements": False, "school": w.school_a2.nces_id}).json()
    assert {c["school_nces_id"] for c in one["cells"]} == {w.school_a2.nces_id}
    # And on the page: only disagreements by default, every cell on request.
    page = client.get(f"/crdc/uploads/{upload_id}/").content.decode()
    assert page.count('class="disagrees"') == 2
    assert "<code>SCH_DISCWODIS_REF_WH_F</code>" in page and "+2" in page
    everything = client.get(f"/crdc/uploads/{upload_id}/", {"show": "all"}).content.decode()
    assert everything.count("<code>") == 2 * len(COLUMNS)
    school = client.get(f"/crdc/uploads/{upload_id}/", {
        "show": "all", "school": w.school_a1.nces_id}).content.decode()
    assert school.count("<code>") == len(COLUMNS)


def test_some_columns_some_schools_and_empty_cells(w: World) -> None:
    raw = to_csv(["COMBOKEY", "SCH_DISCWODIS_REF_BL_M", "TOT_DISCWODIS_REF_M",
                  "SCH_REFINSTANCES_WODIS"],
                 [[w.school_a2.nces_id, "", "0", "999"]])
    upload = services.upload_sis_counts(w.users["district_admin"], w.district_a, w.year, raw)
    assert upload.columns == ["SCH_DISCWODIS_REF_BL_M", "TOT_DISCWODIS_REF_M",
                              "SCH_REFINSTANCES_WODIS"]
    assert upload.cells_compared == 2  # the empty cell is not compared
    assert upload.schools_missing == [w.school_a1.nces_id]
    cells = {c.column: c for c in upload.cells()}
    assert cells["SCH_DISCWODIS_REF_BL_M"].sis is None and cells["SCH_DISCWODIS_REF_BL_M"].agrees
    assert not cells["SCH_REFINSTANCES_WODIS"].agrees


def test_the_result_is_kept_as_it_was(w: World) -> None:
    """Coming back later shows the comparison made at upload time, even after new
    records change OpenSRO's counts."""
    header, rows = export_rows(w)
    upload = services.upload_sis_counts(w.users["district_admin"], w.district_a, w.year,
                                        to_csv(header, rows))
    log(w, "school_a1", [student("AS", "F", ("citation",), student_id="NEW")])
    now = counts.compute(w.district_a, w.year).by_nces()[w.school_a1.nces_id]
    kept = SisUpload.objects.get(pk=upload.pk)
    assert kept.cells_disagreeing == 0
    assert kept.opensro_counts[w.school_a1.nces_id]["SCH_DISCWODIS_REF_AS_F"] == \
        now.counts["SCH_DISCWODIS_REF_AS_F"] - 1
    listing = login(w, "district_admin").get("/crdc/uploads/").content.decode()
    assert f"/crdc/uploads/{upload.pk}/" in listing
    index = login(w, "district_admin").get("/crdc/", {
        "district": w.district_a.nces_id, "school_year": "2025-26"}).content.decode()
    assert f"/crdc/uploads/{upload.pk}/" in index


# --------------------------------------------------------------------------- bad files


def _a1(w: World) -> str:
    return w.school_a1.nces_id


BAD_FILES: dict[str, tuple[Any, list[str]]] = {
    "unknown school": (
        lambda w: to_csv(["COMBOKEY", "TOT_DISCWODIS_REF_M"],
                         [[_a1(w), "1"], ["399999100077", "2"]]),
        ["line 3, COMBOKEY: 399999100077 is not a school of District A."]),
    "another district's school": (
        lambda w: to_csv(["COMBOKEY", "TOT_DISCWODIS_REF_M"], [[w.school_b1.nces_id, "1"]]),
        ["line 2, COMBOKEY: 399999200001 is not a school of District A (it is a school of "
         "District B)."]),
    "unknown column": (
        lambda w: to_csv(["COMBOKEY", "TOT_DISCWODIS_REF_M", "SCH_DISCWODIS_REF_ZZ_M"],
                         [[_a1(w), "1", "2"]]),
        ["line 1, SCH_DISCWODIS_REF_ZZ_M: Unknown column SCH_DISCWODIS_REF_ZZ_M: the file "
         "must use the columns of the CRDC export (download it to see them)."]),
    "sex code the year does not collect": (
        lambda w: to_csv(["COMBOKEY", "SCH_DISCWODIS_REF_HI_X"], [[_a1(w), "1"]]),
        ["line 1, SCH_DISCWODIS_REF_HI_X: The 2025-26 school year does not collect sex code "
         "X (it collects M, F); remove this column."]),
    "not a whole number": (
        lambda w: to_csv(["COMBOKEY", "TOT_DISCWODIS_REF_M", "TOT_DISCWODIS_REF_F"],
                         [[_a1(w), "three", "2.5"]]),
        ["line 2, TOT_DISCWODIS_REF_M: 'three' is not a whole number.",
         "line 2, TOT_DISCWODIS_REF_F: '2.5' is not a whole number."]),
    "negative": (
        lambda w: to_csv(["COMBOKEY", "TOT_DISCWODIS_REF_M"], [[_a1(w), "-9"]]),
        ["line 2, TOT_DISCWODIS_REF_M: -9 is negative; counts cannot be below 0 (leave the "
         "cell empty where the SIS has no count; CRDC reserve codes such as -9 are not "
         "accepted)."]),
    "no school ID column": (
        lambda w: to_csv(["SCH_NAME", "TOT_DISCWODIS_REF_M"], [["School A1", "1"]]),
        ["line 1, COMBOKEY: The header lacks the COMBOKEY column (the school's 12-digit "
         "NCES ID)."]),
    "school twice": (
        lambda w: to_csv(["COMBOKEY", "TOT_DISCWODIS_REF_M"], [[_a1(w), "1"], [_a1(w), "2"]]),
        [f"line 3, COMBOKEY: School {'399999100001'} appears again (first on line 2); give "
         "each school one line."]),
    "wrong LEA ID": (
        lambda w: to_csv(["LEAID", "COMBOKEY", "TOT_DISCWODIS_REF_M"],
                         [["3999992", _a1(w), "1"]]),
        ["line 2, LEAID: 3999992 is not the LEA ID of District A (3999991)."]),
    "empty file": (lambda w: b"", ["file: The file is empty; the first line must be the "
                                   "header of the CRDC export."]),
    "header only": (lambda w: b"COMBOKEY,TOT_DISCWODIS_REF_M\n",
                    ["file: The file has no school rows."]),
    "not UTF-8": (lambda w: "COMBOKEY,TOT_DISCWODIS_REF_M\nÉcole,1\n".encode("latin-1"),
                  ["file: The file is not UTF-8 text (byte 29); save it as CSV UTF-8 and "
                   "try again."]),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_malformed_upload_is_refused_whole(w: World, case: str) -> None:
    make, expected = BAD_FILES[case]
    raw = make(w)
    before = stored()
    with pytest.raises(ValidationError) as caught:
        services.upload_sis_counts(w.users["district_admin"], w.district_a, w.year, raw)
    assert caught.value.message_dict == {"file": expected}
    assert stored() == before
    # The API gives the same messages, field by field, and stores nothing either.
    response = api_upload(login(w, "district_admin"), w, raw)
    assert response.status_code == 422
    assert response.json() == {"detail": [{"field": "file", "message": m} for m in expected]}
    assert stored() == before


def test_the_page_lists_every_problem_and_keeps_nothing(w: World) -> None:
    raw = to_csv(["COMBOKEY", "TOT_DISCWODIS_REF_M", "TOT_DISCWODIS_REF_F"],
                 [[_a1(w), "x", "-1"], ["399999100099", "1", "1"]])
    before = stored()
    response = web_upload(login(w, "district_admin"), w, raw)
    html = response.content.decode()
    assert response.status_code == 200
    assert "The file was refused: 3 problems. Nothing was stored." in html
    assert "&#x27;x&#x27; is not a whole number." in html
    assert "-1 is negative" in html and "399999100099 is not a school of District A" in html
    assert stored() == before


def test_a_form_without_a_file_says_so(w: World) -> None:
    client = login(w, "district_admin")
    response = client.post("/crdc/uploads/new/", {"district": w.district_a.nces_id,
                                                  "school_year": "2025-26"})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert stored() == (0, 0)
