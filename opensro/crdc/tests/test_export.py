"""The CRDC export (R-E2): the layout's column names, the counts against an independent
count from the raw records, unduplicated students against instances, what never
counts (drafts, victims, witnesses, other years and districts), and the audited CSV.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from conftest import World, module_world
from opensro.core.models import AuditEvent, Disclosure
from opensro.crdc import counts, layout
from opensro.crdc.tests.helpers import generate, independent_counts
from opensro.incidents.models import Involvement

# --------------------------------------------------------------------------- layout

#: The first block of the referral columns, written out by hand from the CRDC files.
FIRST_COLUMNS = [
    "SCH_DISCWODIS_REF_HI_M", "SCH_DISCWODIS_REF_HI_F", "SCH_DISCWODIS_REF_AM_M",
    "SCH_DISCWODIS_REF_AM_F", "SCH_DISCWODIS_REF_AS_M", "SCH_DISCWODIS_REF_AS_F",
    "SCH_DISCWODIS_REF_HP_M", "SCH_DISCWODIS_REF_HP_F", "SCH_DISCWODIS_REF_BL_M",
    "SCH_DISCWODIS_REF_BL_F", "SCH_DISCWODIS_REF_WH_M", "SCH_DISCWODIS_REF_WH_F",
    "SCH_DISCWODIS_REF_TR_M", "SCH_DISCWODIS_REF_TR_F", "TOT_DISCWODIS_REF_M",
    "TOT_DISCWODIS_REF_F", "SCH_DISCWODIS_REF_LEP_M", "SCH_DISCWODIS_REF_LEP_F",
    "SCH_DISCWDIS_REF_IDEA_HI_M",
]


def test_layout_follows_the_crdc_names() -> None:
    names = layout.column_names(["M", "F"])
    assert names[:len(FIRST_COLUMNS)] == FIRST_COLUMNS
    # 7 races x 2 sexes, 2 totals, 2 EL, twice (without and with IDEA), 2 Section 504 and
    # 3 instance columns: 41 per item, two items.
    assert len(names) == len(set(names)) == 82
    for name in ("TOT_DISCWDIS_REF_IDEA_F", "SCH_DISCWDIS_REF_LEP_M", "SCH_DISCWDIS_REF_504_F",
                 "SCH_DISCWODIS_ARR_WH_F", "TOT_DISCWDIS_ARR_IDEA_M", "SCH_DISCWDIS_ARR_504_M",
                 "SCH_REFINSTANCES_WODIS", "SCH_REFINSTANCES_IDEA", "SCH_REFINSTANCES_504",
                 "SCH_ARRINSTANCES_IDEA"):
        assert name in names, name
    assert not any(n.endswith("_X") for n in names)
    with_x = layout.column_names(["M", "F", "X"])
    assert len(with_x) == 2 * (7 * 3 + 3 + 3 + 7 * 3 + 3 + 3 + 3 + 3)
    assert "SCH_DISCWODIS_ARR_BL_X" in with_x and "TOT_DISCWDIS_REF_IDEA_X" in with_x
    assert layout.label_of("SCH_DISCWDIS_ARR_IDEA_BL_F") == (
        "School-related arrests: students with IDEA, Black or African American, female")
    assert layout.ID_COLUMNS == ("LEA_STATE", "LEAID", "LEA_NAME", "SCHID", "SCH_NAME",
                                 "COMBOKEY")


# --------------------------------------------------------------------------- the world


def _generated(world: World) -> None:
    generate(world, seed=11, n=110)


@pytest.fixture(scope="module")
def shared_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    yield from module_world(django_db_blocker, _generated)


def test_export_matches_an_independent_count(w: World) -> None:
    """Every cell of every school, in both districts, equals the count made here from
    the raw incident and student rows."""
    raw = Involvement.objects.filter(school__district=w.district_a)
    # The generated records exercise what the count must get right.
    assert raw.filter(final=False).exists(), "no draft"
    assert raw.filter(role__in=["victim", "witness"]).exists(), "no victim or witness"
    assert raw.filter(student_pseudonym="").exists(), "no record without a student ID"
    for district in (w.district_a, w.district_b):
        export = counts.compute(district, w.year)
        expected = independent_counts(district.pk, w.year.pk, w.year.sex_codes)
        names = {c.name for c in export.columns}
        assert {n for cells in expected.values() for n in cells} <= names
        assert set(expected) <= {s.nces_id for s in export.schools}
        compared = 0
        for school in export.schools:
            for column in export.columns:
                assert school.counts[column.name] == expected.get(school.nces_id, {}).get(
                    column.name, 0), (school.nces_id, column.name)
                compared += 1
        assert compared == 82 * 2
    a1 = counts.compute(w.district_a, w.year).by_nces()[w.school_a1.nces_id]
    # Repeated students: fewer students than instances.
    assert 0 < a1.students("REF") < a1.instances("REF")
    assert 0 < a1.students("ARR") <= a1.instances("ARR")


def test_export_notes_explain_the_records(w: World) -> None:
    notes = counts.compute(w.district_a, w.year).notes
    assert notes.records_without_student_id > 0
    assert notes.students_with_differing_attributes > 0
    assert notes.students_sex_not_collected > 0 and notes.sex_not_collected == ["X"]
    text = " ".join(notes.messages())
    assert "no student ID" in text and "sex code" in text


def test_every_arrest_cell_is_within_its_referral_cell(w: World) -> None:
    """Every school-related arrest is also a referral (CRDC), cell by cell."""
    for school in counts.compute(w.district_a, w.year).schools:
        for name, value in school.counts.items():
            if "_ARR" in name:
                assert value <= school.counts[name.replace("_ARR", "_REF", 1)], name


# --------------------------------------------------------------------------- the download


def test_csv_download_is_the_crdc_layout_and_is_audited(w: World) -> None:
    client = Client()
    client.force_login(w.users["district_admin"])
    before = (AuditEvent.objects.count(), Disclosure.objects.count())
    url = f"/crdc/{w.district_a.nces_id}/{w.year.code}/export.csv"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"crdc-referrals-arrests-{w.district_a.nces_id}-2025-26.csv" in response[
        "Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header = rows[0]
    assert header[:6] == list(layout.ID_COLUMNS)
    assert header[6:] == layout.column_names(["M", "F"])
    assert [r[5] for r in rows[1:]] == [w.school_a1.nces_id, w.school_a2.nces_id]
    first = dict(zip(header, rows[1], strict=True))
    assert first["LEAID"] == w.district_a.nces_id and first["SCHID"] == "00001"
    assert first["SCH_NAME"] == "School A1" and first["LEA_STATE"] == "OH"
    expected = independent_counts(w.district_a.pk, w.year.pk, ["M", "F"])[w.school_a1.nces_id]
    for name in layout.column_names(["M", "F"]):
        assert int(first[name]) == expected.get(name, 0), name
    # Audited: who, which district and year, which format; and logged as a disclosure.
    assert (AuditEvent.objects.count(), Disclosure.objects.count()) == (before[0] + 1,
                                                                       before[1] + 1)
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None and event.action == "crdc_export"
    assert event.actor == w.users["district_admin"]
    assert event.object_id == f"{w.district_a.nces_id}/2025-26"
    assert event.after is not None and event.after["format"] == "csv"
    disclosure = Disclosure.objects.order_by("-pk").first()
    assert disclosure is not None and disclosure.user == w.users["district_admin"]
    assert disclosure.object_type == "crdc.Export"


def test_json_export_is_audited_with_its_channel(w: World) -> None:
    client = Client()
    client.force_login(w.users["auditor"])
    response = client.get("/api/crdc/export", {"district": w.district_b.nces_id,
                                               "school_year": "2025-26"})
    assert response.status_code == 200
    body = response.json()
    assert body["district"]["nces_id"] == w.district_b.nces_id
    assert [c["name"] for c in body["columns"]] == layout.column_names(["M", "F"])
    expected = independent_counts(w.district_b.pk, w.year.pk, ["M", "F"])
    for school in body["schools"]:
        nonzero = {k: v for k, v in school["counts"].items() if v}
        assert nonzero == expected.get(school["nces_id"], {})
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None and event.after == {
        "district": w.district_b.nces_id, "school_year": "2025-26", "format": "json",
        "channel": "api", "schools": 2}
    assert Disclosure.objects.filter(user=w.users["auditor"], channel="api").exists()


def test_counts_page_shows_the_summary_and_one_school(w: World) -> None:
    client = Client()
    client.force_login(w.users["district_admin"])
    url = f"/crdc/{w.district_a.nces_id}/{w.year.code}/"
    page = client.get(url, {"school": w.school_a1.nces_id})
    html = page.content.decode()
    assert page.status_code == 200
    a1 = counts.compute(w.district_a, w.year).by_nces()[w.school_a1.nces_id]
    assert f"<td>{a1.students('REF')}</td>" in html
    assert "<code>SCH_DISCWDIS_ARR_504_F</code>" in html
    assert "about these records" in html.lower()
    assert client.get(f"/crdc/{w.district_a.nces_id}/1999-00/").status_code == 404
    assert client.get(f"/crdc/3999999/{w.year.code}/").status_code == 404
