"""The persona matrix of the CRDC app (architecture rule 3, R-E2): every model and view ×
every persona, through the web pages and the API.

The counts are unsuppressed, so only district roles get them: a district administrator
for their own district, auditors and system administrators for every district (auditors
read, never upload). School administrators, SROs and their chain of command, analysts
and outsiders are refused.

The expected outcomes are written out by hand below, read off ``CrdcDistrict`` and
``SisUpload``'s ``role_permissions`` and ``scope_paths`` and the two-county world of
``conftest.py``; they are deliberately not computed with ``restrict()``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import PERSONAS, World, login, module_world
from opensro.core.models import AuditEvent
from opensro.crdc import services
from opensro.crdc.models import CrdcDistrict, SisUpload
from opensro.crdc.tests.helpers import log, student

WEB, API = "web", "api"
_ = frozenset
NONE: frozenset[str] = _()
A, AB = _({"a"}), _({"a", "b"})

#: persona -> the districts ("a", "b") whose counts the persona may export (and see the
#: uploads of).
EXPORTS: dict[str, frozenset[str]] = {
    "sro": NONE,
    "supervisor": NONE,
    "agency_admin": NONE,
    "school_admin": NONE,
    "district_admin": A,
    "analyst": NONE,
    "auditor": AB,
    "system_admin": AB,
    "outsider": NONE,
}
#: persona -> the districts for which the persona may upload the district's own counts.
UPLOADS: dict[str, frozenset[str]] = {
    "sro": NONE,
    "supervisor": NONE,
    "agency_admin": NONE,
    "school_admin": NONE,
    "district_admin": A,
    "analyst": NONE,
    "auditor": NONE,
    "system_admin": AB,
    "outsider": NONE,
}
#: The models of the app and what the matrix checks for each.
MODELS: dict[type[Any], str] = {
    CrdcDistrict: "export: web page, CSV, API JSON and CSV, district list",
    SisUpload: "list, detail and create through web and API; never edited",
}


def test_matrix_covers_every_scoped_crdc_model() -> None:
    scoped = {m for m in apps.get_app_config("crdc").get_models()
              if getattr(m, "scope_paths", None)}
    assert scoped == set(MODELS)
    assert set(EXPORTS) == set(UPLOADS) == set(PERSONAS)
    for persona in PERSONAS:
        assert UPLOADS[persona] <= EXPORTS[persona]


# --------------------------------------------------------------------------- the world


def _records(world: World) -> None:
    log(world, "school_a1", [student("BL", "M", ("citation",), student_id="A-1")])
    log(world, "school_b1", [student("WH", "F", ("arrest", "detention"), student_id="B-1")])
    for tag in ("a", "b"):
        district = world.objects[f"district_{tag}"]
        school = world.objects[f"school_{tag}1"]
        raw = f"COMBOKEY,TOT_DISCWODIS_REF_M\n{school.nces_id},3\n".encode()
        world.objects[f"upload_{tag}"] = services.upload_sis_counts(
            None, district, world.year, raw, file_name=f"{tag}.csv")


@pytest.fixture(scope="module")
def shared_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    yield from module_world(django_db_blocker, _records)


def lea(w: World, tag: str) -> str:
    return str(w.objects[f"district_{tag}"].nces_id)


# --------------------------------------------------------------------------- export


@pytest.mark.parametrize("persona", PERSONAS)
def test_export_web_and_api(w: World, persona: str) -> None:
    client = login(w, persona)
    for tag in ("a", "b"):
        allowed = tag in EXPORTS[persona]
        expected = 200 if allowed else 403
        events = AuditEvent.objects.filter(action="crdc_export").count()
        urls = [
            (WEB, f"/crdc/{lea(w, tag)}/2025-26/"),
            (WEB, f"/crdc/{lea(w, tag)}/2025-26/export.csv"),
            (API, f"/api/crdc/export?district={lea(w, tag)}&school_year=2025-26"),
            (API, f"/api/crdc/export.csv?district={lea(w, tag)}&school_year=2025-26"),
        ]
        for channel, url in urls:
            response = client.get(url)
            assert response.status_code == expected, (persona, channel, url)
        # Each allowed export is audited; a refused one leaves nothing.
        assert AuditEvent.objects.filter(action="crdc_export").count() == events + (
            len(urls) if allowed else 0), persona
    # The CSV of an allowed district holds that district's schools only.
    if EXPORTS[persona]:
        tag = sorted(EXPORTS[persona])[0]
        response = client.get(f"/crdc/{lea(w, tag)}/2025-26/export.csv")
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert {r[1] for r in rows[1:]} == {lea(w, tag)}


@pytest.mark.parametrize("persona", PERSONAS)
def test_index_menu_and_district_list(w: World, persona: str) -> None:
    client = login(w, persona)
    allowed = bool(EXPORTS[persona])
    assert client.get("/crdc/").status_code == (200 if allowed else 403), persona
    dashboard = client.get("/dashboard/").content.decode()
    assert ('href="/crdc/"' in dashboard) == allowed, persona
    response = client.get("/api/crdc/districts")
    if not allowed:
        assert response.status_code == 403, persona
        return
    listed = {d["nces_id"]: d["may_reconcile"] for d in response.json()}
    assert set(listed) == {lea(w, t) for t in EXPORTS[persona]}, persona
    assert {k for k, v in listed.items() if v} == {lea(w, t) for t in UPLOADS[persona]}
    # The page's district choice offers the same districts.
    html = client.get("/crdc/").content.decode()
    for tag in ("a", "b"):
        assert (f'value="{lea(w, tag)}"' in html) == (tag in EXPORTS[persona]), persona


# --------------------------------------------------------------------------- uploads


@pytest.mark.parametrize("persona", PERSONAS)
def test_upload_list_and_detail(w: World, persona: str) -> None:
    client = login(w, persona)
    sees = EXPORTS[persona]
    web = client.get("/crdc/uploads/")
    api = client.get("/api/crdc/uploads")
    if not sees:
        assert web.status_code == api.status_code == 403, persona
    else:
        assert web.status_code == api.status_code == 200, persona
        assert {u["district"] for u in api.json()} == {lea(w, t) for t in sees}
        html = web.content.decode()
        for tag in ("a", "b"):
            pk = w.objects[f"upload_{tag}"].pk
            assert (f"/crdc/uploads/{pk}/" in html) == (tag in sees), (persona, tag)
    for tag in ("a", "b"):
        pk = w.objects[f"upload_{tag}"].pk
        expected = 200 if tag in sees else (404 if sees else 403)
        assert client.get(f"/crdc/uploads/{pk}/").status_code == expected, (persona, tag)
        assert client.get(f"/api/crdc/uploads/{pk}").status_code == expected, (persona, tag)


@pytest.mark.parametrize("persona", PERSONAS)
def test_upload_create_web_and_api(w: World, persona: str) -> None:
    client = login(w, persona)
    page = client.get("/crdc/uploads/new/")
    assert page.status_code == (200 if UPLOADS[persona] else 403), persona
    for tag in ("a", "b"):
        school = w.objects[f"school_{tag}1"]
        raw = f"COMBOKEY,TOT_DISCWODIS_REF_M\n{school.nces_id},1\n".encode()
        for channel in (WEB, API):
            before = SisUpload.objects.count()
            data = {"district": lea(w, tag), "school_year": "2025-26",
                    "file": SimpleUploadedFile("sis.csv", raw, "text/csv")}
            if channel == WEB:
                response = client.post("/crdc/uploads/new/", data)
            else:
                response = client.post("/api/crdc/uploads", data)
            if tag in UPLOADS[persona]:
                assert response.status_code == (302 if channel == WEB else 201), (
                    persona, tag, channel)
                upload = SisUpload.objects.latest("pk")
                assert upload.uploaded_by == w.users[persona]
                assert AuditEvent.objects.filter(object_type="crdc.SisUpload",
                                                 object_id=str(upload.pk),
                                                 actor=w.users[persona]).exists()
            else:
                # The web form offers only the persona's districts (200 with an error on
                # the district field); a persona with none is refused outright.
                refused = 200 if (channel == WEB and UPLOADS[persona]) else 403
                assert response.status_code == refused, (persona, tag, channel)
                assert SisUpload.objects.count() == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_uploads_are_never_edited(w: World, persona: str) -> None:
    client = login(w, persona)
    pk = w.objects["upload_a"].pk
    assert client.get(f"/crdc/uploads/{pk}/edit/").status_code == 404
    for method in (client.put, client.patch, client.delete):
        response = method(f"/api/crdc/uploads/{pk}", data={}, content_type="application/json")
        assert response.status_code == 405, (persona, method)
