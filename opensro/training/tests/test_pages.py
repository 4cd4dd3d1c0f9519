"""Training pages and certificates: upload checked by content, stored under a random
name, served only through the permission-checked view; the officer page and the agency
compliance table; adapting a profile's rule on the pages (R-G1…R-G4).
"""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pypdf import PdfWriter

from conftest import World
from opensro.core.models import AuditEvent, Flag, FlagStatus
from opensro.training import certificates, services
from opensro.training.models import RequirementRule, TrainingRecord
from opensro.training.tests.helpers import cops, course, nasro, record_data, seed

D = datetime.date
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8cfc0f01f0005000201a3fdd5a70000000049454e44ae426082")


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def pw(world: World, settings: Any, tmp_path: Path) -> World:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    seed()
    return world


def client_for(w: World, persona: str) -> Client:
    c = Client()
    c.force_login(w.users[persona])
    return c


def _form(w: World, **extra: Any) -> dict[str, Any]:
    return {"officer": str(w.officer_a.pk), "course": str(course("basic_sro").pk),
            "completed_on": "2024-06-14", "hours": "40", "provider": "Ohio SRO Academy",
            "notes": "", **extra}


def test_certificate_upload_random_name_and_scoped_download(pw: World, settings: Any) -> None:
    sro = client_for(pw, "sro")
    response = sro.post("/training/records/new/", _form(
        pw, upload=SimpleUploadedFile("My Certificate (final).pdf", pdf_bytes(),
                                      content_type="application/pdf")))
    assert response.status_code == 302, response.content.decode()[-2000:]
    record = TrainingRecord.objects.get(officer=pw.officer_a)
    assert record.certificate.startswith("training/certificates/")
    assert record.certificate.endswith(".pdf")
    assert "My Certificate" not in record.certificate
    stored = Path(settings.MEDIA_ROOT) / record.certificate
    assert stored.read_bytes().startswith(b"%PDF-")
    event = AuditEvent.objects.get(action="create", object_id=str(record.pk),
                                   object_type="training.TrainingRecord")
    assert event.after["certificate"] == record.certificate
    assert event.after["certificate_type"] == "application/pdf"

    url = f"/training/records/{record.pk}/certificate/"
    ok = sro.get(url)
    assert ok.status_code == 200
    assert ok["Content-Type"] == "application/pdf"
    assert ok["Cache-Control"] == "private, no-store"
    assert b"".join(ok.streaming_content).startswith(b"%PDF-")
    for persona, status in (("supervisor", 200), ("agency_admin", 200), ("school_admin", 200),
                            ("district_admin", 200), ("auditor", 200), ("system_admin", 200),
                            ("analyst", 404), ("outsider", 404)):
        assert client_for(pw, persona).get(url).status_code == status, persona
    api = client_for(pw, "supervisor").get(f"/api/training/records/{record.pk}/certificate")
    assert api.status_code == 200
    assert client_for(pw, "analyst").get(
        f"/api/training/records/{record.pk}/certificate").status_code == 404
    # County B's administrator cannot reach it either.
    b_admin = client_for(pw, "outsider")
    assert b_admin.get(f"/api/training/records/{record.pk}").status_code == 404


def test_non_certificate_files_are_refused(pw: World, settings: Any) -> None:
    sro = client_for(pw, "sro")
    cases = [
        (SimpleUploadedFile("cert.pdf", b"MZ\x90\x00 this is an executable"),
         "PDF, PNG or JPEG"),
        (SimpleUploadedFile("cert.pdf", b"%PDF-1.7\n garbage that is not a pdf"),
         "cannot be read"),
        (SimpleUploadedFile("cert.png", b""), "empty"),
    ]
    for upload, message in cases:
        response = sro.post("/training/records/new/", _form(pw, upload=upload))
        assert response.status_code == 400
        assert message in " ".join(response.context["form"].errors.get("upload", [])), message
    assert not TrainingRecord.objects.exists()
    media = Path(settings.MEDIA_ROOT) / "training" / "certificates"
    assert not media.exists() or not any(media.iterdir())


def test_size_limit(pw: World) -> None:
    big = SimpleUploadedFile("big.png", PNG + b"\0" * (certificates.MAX_BYTES + 1))
    response = client_for(pw, "sro").post("/training/records/new/", _form(pw, upload=big))
    assert response.status_code == 400
    assert "at most 10 MB" in response.context["form"].errors["upload"][0]


def test_png_certificate_via_api_and_replacement(pw: World, settings: Any) -> None:
    record = services.create_record(None, record_data(pw.officer_a, "basic_sro",
                                                      D(2024, 6, 14), "40"))
    client = client_for(pw, "supervisor")
    response = client.post(f"/api/training/records/{record.pk}/certificate",
                           {"file": SimpleUploadedFile("c.png", PNG, content_type="image/png")})
    assert response.status_code == 200, response.content
    assert response.json()["has_certificate"] is True
    record.refresh_from_db()
    first = record.certificate
    assert first.endswith(".png")
    assert record.certificate_type == "image/png"
    client.post(f"/api/training/records/{record.pk}/certificate",
                {"file": SimpleUploadedFile("c.pdf", pdf_bytes())})
    record.refresh_from_db()
    assert record.certificate.endswith(".pdf")
    assert record.certificate != first
    bad = client.post(f"/api/training/records/{record.pk}/certificate",
                      {"file": SimpleUploadedFile("c.pdf", b"not a pdf")})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "certificate"


def test_officer_page_shows_requirements_with_dates(pw: World) -> None:
    services.set_agency_policy(None, pw.agency_a, cops(), D(2024, 8, 1))
    page = client_for(pw, "sro").get(f"/training/officers/{pw.officer_a.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Basic SRO course within nine months of placement" in body
    assert "within 9 months of placement" in body
    assert 'Overdue</span> <span class="when">due 2025-05-01' in body
    assert "Training overdue" in body  # the open flag is linked
    # Other officers' pages are out of the SRO's scope.
    assert client_for(pw, "sro").get(f"/training/officers/{pw.peer_a.pk}/").status_code == 404
    assert client_for(pw, "analyst").get(
        f"/training/officers/{pw.officer_a.pk}/").status_code == 404


def test_agency_compliance_table_and_api(pw: World) -> None:
    services.set_agency_policy(None, pw.agency_a, nasro(), D(2024, 8, 1))
    services.create_record(None, record_data(pw.peer_a, "basic_sro", D(2024, 5, 1), "40"))
    client = client_for(pw, "supervisor")
    body = client.get(f"/training/compliance/?agency={pw.agency_a.pk}").content.decode()
    assert "Pat OfficerA" in body and "Sam PeerA" in body
    assert "Advanced SRO course about a year after the basic course" in body
    assert "Victor" not in body
    assert "District Admin" in body  # the district administrator's management course
    overdue = client.get(f"/training/compliance/?agency={pw.agency_a.pk}&status=overdue")
    assert overdue.status_code == 200
    api = client.get(f"/api/training/compliance/agencies/{pw.agency_a.pk}",
                     {"as_of": "2025-06-15"}).json()
    assert api["profile"] == nasro().name
    people = {p["name"]: p for p in api["people"]}
    assert set(people) == {"Pat OfficerA", "Sam PeerA", "District Admin"}
    peer = {r["requirement"]: r for r in people["Sam PeerA"]["requirements"]}
    assert peer["Advanced SRO course about a year after the basic course"]["state"] == "overdue"
    assert peer["Advanced SRO course about a year after the basic course"]["due"] == \
        "2025-05-01"
    # County B is not reachable; the analyst has no training records.
    assert client.get(f"/api/training/compliance/agencies/{pw.agency_b.pk}").status_code == 404
    assert client_for(pw, "analyst").get(
        f"/api/training/compliance/agencies/{pw.agency_a.pk}").status_code == 403
    assert client_for(pw, "analyst").get("/training/compliance/").status_code == 403
    one = client.get(f"/api/training/compliance/officers/{pw.officer_a.pk}",
                     {"as_of": "2025-09-01"}).json()
    assert one["summary"] == "Overdue"


def test_school_admin_sees_only_their_schools_officer(pw: World) -> None:
    services.set_agency_policy(None, pw.agency_a, cops(), D(2024, 8, 1))
    body = client_for(pw, "school_admin").get("/training/compliance/").content.decode()
    assert "Pat OfficerA" in body
    assert "Sam PeerA" not in body


def test_adapting_a_rule_on_the_pages_changes_compliance(pw: World) -> None:
    """No code change: copy the profile, edit one rule's offset in the form."""
    services.set_agency_policy(None, pw.agency_a, cops(), D(2024, 8, 1))
    admin = client_for(pw, "system_admin")
    response = admin.post(f"/training/profiles/{cops().pk}/copy/", {"name": "COPS, state"})
    copy_id = int(response["Location"].rstrip("/").split("/")[-1])
    rule = RequirementRule.objects.get(profile_id=copy_id, courses=course("basic_sro"))
    data = {"name": rule.name, "description": "", "for_sros": "on",
            "courses": [str(course("basic_sro").pk)], "min_hours": "40",
            "anchor": "placement", "anchor_course": "", "offset_amount": "36",
            "offset_unit": "months", "recurrence_months": "", "due_soon_days": "",
            "sort_order": "0"}
    assert admin.post(f"/training/rules/{rule.pk}/edit/", data).status_code == 302
    agency_admin = client_for(pw, "agency_admin")
    policy = pw.agency_a.training_policy
    response = agency_admin.post(f"/training/agency-policies/{policy.pk}/edit/", {
        "agency": str(pw.agency_a.pk), "profile": str(copy_id), "program_start": "2024-08-01"})
    assert response.status_code == 302
    assert not Flag.objects.filter(kind="training_overdue", status=FlagStatus.OPEN,
                                   subject_id=str(pw.officer_a.pk)).exists()
    api = agency_admin.get(f"/api/training/compliance/officers/{pw.officer_a.pk}",
                           {"as_of": "2025-06-15"}).json()
    basic = next(r for r in api["requirements"] if r["requirement"] == rule.name)
    assert (basic["state"], basic["due"]) == ("not_due", "2027-08-01")


def test_delete_record_needs_a_reason_and_is_audited(pw: World) -> None:
    record = services.create_record(None, record_data(pw.officer_a, "basic_sro",
                                                      D(2024, 6, 14), "40"))
    assert client_for(pw, "sro").get(
        f"/training/records/{record.pk}/delete/").status_code == 403
    admin = client_for(pw, "agency_admin")
    assert admin.post(f"/training/records/{record.pk}/delete/", {"reason": ""}).status_code \
        == 400
    assert TrainingRecord.objects.filter(pk=record.pk).exists()
    response = admin.post(f"/training/records/{record.pk}/delete/",
                          {"reason": "Entered twice"})
    assert response.status_code == 302
    assert not TrainingRecord.objects.filter(pk=record.pk).exists()
    event = AuditEvent.objects.get(action="delete", object_id=str(record.pk))
    assert event.reason == "Entered twice"
    assert event.before["provider"] == "State academy"
    api = admin.delete(f"/api/training/records/{record.pk}", json.dumps({"reason": "x"}),
                       content_type="application/json")
    assert api.status_code == 404


def test_hub_and_menu(pw: World) -> None:
    body = client_for(pw, "sro").get("/training/").content.decode()
    assert "My training and compliance" in body
    assert 'href="/training/"' in client_for(pw, "analyst").get("/dashboard/").content.decode()
    assert client_for(pw, "outsider").get("/training/").status_code == 403


def test_rules_are_added_and_removed_as_data(pw: World) -> None:
    admin = client_for(pw, "system_admin")
    copy = services.copy_profile(pw.users["system_admin"], nasro(), "NASRO, state")
    api = admin.post(f"/api/training/profiles/{copy.pk}/rules", json.dumps({
        "name": "State FERPA refresher", "courses": ["topic_ferpa"], "anchor": "placement",
        "offset_amount": 3, "recurrence_months": 24, "due_soon_days": 30}),
        content_type="application/json")
    assert api.status_code == 201, api.content
    body = api.json()
    assert body["schedule"] == "within 3 months of placement, then every 24 months"
    rule = RequirementRule.objects.get(pk=body["id"])
    page = admin.get(f"/training/rules/{rule.pk}/delete/")
    assert page.status_code == 200
    assert admin.post(f"/training/rules/{rule.pk}/delete/", {"reason": ""}).status_code == 400
    response = admin.post(f"/training/rules/{rule.pk}/delete/", {"reason": "Not in state law"})
    assert response.status_code == 302
    assert not RequirementRule.objects.filter(pk=rule.pk).exists()
    assert AuditEvent.objects.filter(action="delete", object_id=str(rule.pk),
                                     object_type="training.RequirementRule").exists()
    built_in = nasro().rules.first()
    refused = admin.post(f"/training/rules/{built_in.pk}/delete/", {"reason": "x"})
    assert refused.status_code == 400
    assert "built in" in refused.content.decode()
    assert RequirementRule.objects.filter(pk=built_in.pk).exists()
    assert client_for(pw, "agency_admin").get(
        f"/training/rules/{built_in.pk}/delete/").status_code == 403


def test_staff_session_stays_at_its_school_for_a_school_admin(pw: World) -> None:
    session = services.create_staff_session(pw.users["school_admin"], {
        "school": pw.school_a1, "held_on": D(2025, 9, 1), "title": "Roles",
        "topics": ["sro_roles"], "attendees": 30})
    response = client_for(pw, "school_admin").patch(
        f"/api/training/staff-sessions/{session.pk}", json.dumps({"attendees": 31}),
        content_type="application/json")
    assert response.status_code == 200
    with pytest.raises(Exception, match="moves a session"):
        services.update_staff_session(pw.users["school_admin"], session,
                                      {"school": pw.school_a2})
    session.refresh_from_db()
    assert session.school == pw.school_a1
