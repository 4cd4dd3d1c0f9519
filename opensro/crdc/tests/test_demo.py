"""Acceptance on the demo county (R-E2): the CRDC export of the demo data equals an
independent count made here from the raw incident records, for every district, school
year, school and column; and Lakeview's demo upload of its SIS counts disagrees with
OpenSRO's records exactly where the demo planted the disagreements.

The demo is built once for the module (``opensro.demo.build``, about half a minute) and
rolled back at its end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import Client, override_settings

from opensro.core.models import User
from opensro.crdc import counts
from opensro.crdc.models import SisUpload
from opensro.crdc.tests.helpers import independent_counts
from opensro.demo import DemoContext
from opensro.directory.models import District, SchoolYear
from opensro.incidents.models import Involvement


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[DemoContext]:
    from opensro.demo import build

    with django_db_blocker.unblock(), override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def test_demo_export_matches_an_independent_count(db: Any, demo: DemoContext) -> None:
    assert Involvement.objects.filter(final=False).exists(), "the demo has drafts"
    compared = 0
    for district in District.objects.all():
        for year in SchoolYear.objects.all():
            export = counts.compute(district, year)
            expected = independent_counts(district.pk, year.pk, year.sex_codes)
            names = {c.name for c in export.columns}
            assert {n for cells in expected.values() for n in cells} <= names
            assert set(expected) <= {s.nces_id for s in export.schools}
            for school in export.schools:
                mine = expected.get(school.nces_id, {})
                for column in export.columns:
                    assert school.counts[column.name] == mine.get(column.name, 0), (
                        district.name, year.code, school.name, column.name)
                    compared += 1
    assert compared == 25 * 3 * 82
    # The demo repeats students: unduplicated counts are below instance counts.
    lakeview = District.objects.get(nces_id="3999901")
    high = counts.compute(lakeview, SchoolYear.objects.get(code="2025-26")).schools[0]
    assert 0 < high.students("REF") < high.instances("REF")


def test_demo_upload_disagrees_where_planted(db: Any, demo: DemoContext) -> None:
    upload = SisUpload.objects.get()
    assert upload.district.nces_id == "3999901" and upload.school_year.code == "2025-26"
    assert upload.uploaded_by == User.objects.get(username="districtadmin")
    planted: Counter[tuple[str, str]] = Counter()
    for entry in demo.data["crdc_planted"]:  # type: ignore[attr-defined]
        school, column, by = entry.split()
        planted[(school, column)] += int(by)
    found = {(c.school_nces_id, c.column): c.difference
             for c in upload.cells(only_disagreements=True)}
    assert found == dict(planted)
    assert len(found) >= 7 and upload.schools_disagreeing == 4
    assert upload.cells_compared == 15 * 76  # 15 schools, the 76 student columns


def test_demo_district_admin_sees_the_reconciliation(db: Any, demo: DemoContext) -> None:
    client = Client()
    client.force_login(User.objects.get(username="districtadmin"))
    upload = SisUpload.objects.get()
    index = client.get("/crdc/", {"school_year": "2025-26"}).content.decode()
    assert "Lakeview City Schools, 2025-26" in index
    assert f"/crdc/uploads/{upload.pk}/" in index
    page = client.get(f"/crdc/uploads/{upload.pk}/").content.decode()
    assert page.count('class="disagrees"') == upload.cells_disagreeing
    assert "Lakeview Alternative Academy" in page
