"""MOU rules through the services, the web forms and the API: the signed document must
be a readable PDF within the size limit (nothing is stored otherwise), dates make sense,
an executed MOU has its document, reviews fall at least yearly; every write is audited
(R-C1, R-C3)."""

from __future__ import annotations

import datetime
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import World, login
from opensro.core import audit
from opensro.core.models import AuditEvent
from opensro.program import documents, services
from opensro.program.models import Mou, MouElementEntry, MouReview, add_months
from opensro.program.tests.helpers import TODAY, make_mou, pdf

DAY = datetime.timedelta(days=1)


def stored_files(media_dir: str) -> list[Path]:
    root = Path(media_dir) / documents.STORAGE_DIR
    return sorted(root.glob("*")) if root.exists() else []


def new_mou_form(w: World, **changes: Any) -> dict[str, Any]:
    data = {"agency": str(w.agency_a.pk), "district": str(w.district_a.pk),
            "title": "Signed MOU", "version": "", "status": "executed",
            "effective_date": "2026-07-01", "expiry_date": "2029-06-30", "notes": ""}
    data.update(changes)
    return data


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf())).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --------------------------------------------------------------------------- documents


BAD_FILES = {
    "not a pdf": (b"PK\x03\x04 this is a zip file, not a PDF" * 10,
                  "This file is not a PDF. Upload the signed MOU as a PDF."),
    "damaged pdf": (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage without pages",
                    "This PDF cannot be read (it may be damaged or incomplete)."),
    "password": (None, "This PDF is password-protected."),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_document_is_rejected_through_the_form_and_nothing_is_stored(
        w: World, media_dir: str, case: str) -> None:
    content, message = BAD_FILES[case]
    content = content if content is not None else encrypted_pdf()
    rows, events, files = Mou.objects.count(), AuditEvent.objects.count(), stored_files(
        media_dir)
    response = login(w, "district_admin").post("/program/mous/new/", {
        **new_mou_form(w), "document": SimpleUploadedFile("signed.pdf", content)})
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert 'class="error-summary"' in page
    assert Mou.objects.count() == rows
    assert AuditEvent.objects.count() == events
    assert stored_files(media_dir) == files


def test_a_too_large_document_is_rejected(w: World, media_dir: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(documents, "MAX_DOCUMENT_BYTES", 200)
    files = stored_files(media_dir)
    with pytest.raises(ValidationError) as exc:
        services.create_mou(w.users["agency_admin"], {
            "agency": w.agency_a, "district": w.district_a, "title": "Big",
            "effective_date": TODAY}, SimpleUploadedFile("big.pdf", pdf() * 3))
    assert exc.value.message_dict["document"][0].startswith("The file is ")
    assert "the limit is 0.0 MB" in exc.value.message_dict["document"][0]
    assert not Mou.objects.filter(title="Big").exists()
    assert stored_files(media_dir) == files


def test_an_empty_document_is_rejected() -> None:
    with pytest.raises(ValidationError) as exc:
        documents.read_document(b"")
    assert exc.value.message_dict == {
        "document": ["The file is empty. Upload the signed MOU as a PDF."]}


def test_a_rule_failure_after_storing_removes_the_file(w: World, media_dir: str) -> None:
    """A good PDF with an MOU that breaks a rule: the file written first is removed."""
    files = stored_files(media_dir)
    with pytest.raises(ValidationError) as exc:
        services.create_mou(w.users["agency_admin"], {
            "agency": w.agency_a, "district": w.district_b, "title": "Wrong pair",
            "effective_date": TODAY}, pdf())
    assert "Agency A does not serve District B" in exc.value.message_dict["district"][0]
    assert stored_files(media_dir) == files
    assert not Mou.objects.filter(title="Wrong pair").exists()


def test_a_good_document_is_stored_under_a_random_name_and_audited(
        w: World, media_dir: str) -> None:
    response = login(w, "district_admin").post("/program/mous/new/", {
        **new_mou_form(w), "document": SimpleUploadedFile("../../etc/Signed MOU.pdf",
                                                          pdf("The real one"))})
    assert response.status_code == 302, response.content.decode()[-2000:]
    mou = Mou.objects.get(title="Signed MOU")
    assert mou.status == "executed" and mou.version == 1
    assert mou.document_name == "Signed MOU.pdf"
    assert mou.document_file.startswith("program/mous/")
    name = os.path.basename(mou.document_file)
    assert len(name) == len("0123456789abcdef0123456789abcdef.pdf")
    stored = Path(media_dir) / mou.document_file
    assert stored.read_bytes() == pdf("The real one")
    event = AuditEvent.objects.filter(object_type="program.Mou", object_id=str(mou.pk),
                                      action="create").get()
    assert event.actor == w.users["district_admin"]
    assert event.after["document_sha256"] == mou.document_sha256
    assert event.after == audit.snapshot(mou)


def test_replacing_a_document_keeps_the_old_hash_in_the_audit_trail(w: World) -> None:
    mou = make_mou(w.agency_a, w.district_a)
    old = mou.document_sha256
    saved = services.update_mou(w.users["agency_admin"], mou, {}, pdf("Second print"))
    event = AuditEvent.objects.filter(object_id=str(mou.pk), action="update").latest("seq")
    assert event.before["document_sha256"] == old
    assert event.after["document_sha256"] == saved.document_sha256 != old


# --------------------------------------------------------------------------- MOU rules


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"expiry_date": "2026-06-30"}, "expiry_date", "The MOU must expire after it takes effect."),
    ({"effective_date": "2026-13-01"}, "effective_date", "Enter a valid date."),
    ({"status": "executed"}, "document", "An executed MOU needs its signed document"),
    ({"status": "draft", "public": "on"}, "public", "Only an executed MOU is published."),
    ({"district": "B"}, "district", "Select a valid choice."),  # not offered to agency A
])
def test_bad_input_on_the_form_gives_a_clear_message_and_stores_nothing(
        w: World, changes: dict[str, str], field: str, message: str) -> None:
    if changes.get("district") == "B":
        changes = {**changes, "district": str(w.district_b.pk)}
    rows, events = Mou.objects.count(), AuditEvent.objects.count()
    response = login(w, "agency_admin").post("/program/mous/new/", new_mou_form(w, **changes))
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert f'id="id_{field}_error"' in page or message in page
    assert (Mou.objects.count(), AuditEvent.objects.count()) == (rows, events)


def test_api_validation_errors_have_field_and_message(w: World) -> None:
    client = login(w, "agency_admin")
    rows = Mou.objects.count()
    response = client.post("/api/program/mous", json.dumps({
        "agency_id": w.agency_a.pk, "district_id": w.district_a.pk, "title": "X",
        "effective_date": "2026-07-01", "expiry_date": "2026-01-01",
        "status": "executed"}), content_type="application/json")
    assert response.status_code == 422
    detail = {d["field"]: d["message"] for d in response.json()["detail"]}
    assert detail["expiry_date"] == "The MOU must expire after it takes effect."
    assert Mou.objects.count() == rows
    response = client.post("/api/program/mous", json.dumps({
        "agency_id": w.agency_a.pk, "district_id": w.district_a.pk, "title": "X",
        "effective_date": "not a date"}), content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "effective_date"


def test_an_executed_mou_does_not_return_to_draft_and_keeps_its_parties(w: World) -> None:
    mou = make_mou(w.agency_a, w.district_a)
    with pytest.raises(ValidationError) as exc:
        services.update_mou(w.users["agency_admin"], mou, {"status": "draft"})
    assert "cannot return to draft" in exc.value.message_dict["status"][0]
    w.agency_a.districts_served.add(w.district_b)
    with pytest.raises(ValidationError) as exc:
        services.update_mou(None, mou, {"district": w.district_b})
    assert "stays with its agency and district" in exc.value.message_dict["district"][0]


def test_versions_are_numbered_per_pair_and_unique(w: World) -> None:
    first = make_mou(w.agency_a, w.district_a)
    second = make_mou(w.agency_a, w.district_a, executed=False)
    assert (first.version, second.version) == (1, 2)
    assert make_mou(w.agency_b, w.district_b).version == 1
    with pytest.raises(ValidationError) as exc:
        services.update_mou(None, second, {"version": 1})
    assert exc.value.message_dict["version"] == [
        "Version 1 already exists for this agency and district; use the next number."]


def test_the_scope_limits_who_records_an_mou(w: World) -> None:
    """An agency administrator cannot record an MOU for another agency's pair, even when
    they name it (save-then-verify)."""
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.create_mou(w.users["agency_admin"], {
            "agency": w.agency_b, "district": w.district_b, "title": "Not mine",
            "effective_date": TODAY})
    assert not Mou.objects.filter(title="Not mine").exists()


# --------------------------------------------------------------------------- checklist


def test_a_present_element_needs_its_section_and_nothing_is_stored(w: World) -> None:
    mou = make_mou(w.agency_a, w.district_a, checklist=False, executed=False)
    events = AuditEvent.objects.count()
    response = login(w, "district_admin").post(f"/program/mous/{mou.pk}/checklist/", {
        "present_cops_no_discipline": "on", "section_cops_no_discipline": "",
        "present_cops_reporting": "on", "section_cops_reporting": "§4"})
    assert response.status_code == 400
    page = response.content.decode()
    assert ("Give the section of the MOU where “No SRO involvement in school discipline” "
            "appears (e.g. §4.2).") in page
    assert not MouElementEntry.objects.filter(mou=mou).exists()  # all or nothing
    assert AuditEvent.objects.count() == events


def test_checklist_api_rejects_an_unknown_element(w: World) -> None:
    mou = make_mou(w.agency_a, w.district_a)
    response = login(w, "agency_admin").put(
        f"/api/program/mous/{mou.pk}/checklist",
        json.dumps([{"element": "no_such_thing", "present": True, "section": "§1"}]),
        content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"field": "no_such_thing",
         "message": "There is no MOU element 'no_such_thing' in the catalog."}]


# --------------------------------------------------------------------------- reviews


def review_data(day: datetime.date, **extra: Any) -> dict[str, Any]:
    return {"review_date": day, "attendees": "Chief; superintendent", "minutes": "Reviewed.",
            **extra}


@pytest.mark.parametrize(("data", "field", "message"), [
    (review_data(TODAY + DAY), "review_date", "The review date cannot be in the future."),
    (review_data(TODAY - 200 * DAY), "review_date", "The review cannot be before the MOU "
                                                    "takes effect"),
    (review_data(TODAY, next_review_due=TODAY), "next_review_due",
     "The next review must fall after this one."),
    (review_data(TODAY, next_review_due=add_months(TODAY, 12) + DAY), "next_review_due",
     "The MOU is reviewed at least every 12 months: the next review is due by"),
    ({**review_data(TODAY), "attendees": "  "}, "attendees", "List who took part"),
])
def test_bad_review_dates_and_text_are_refused(w: World, data: dict[str, Any], field: str,
                                               message: str) -> None:
    mou = make_mou(w.agency_a, w.district_a, effective=TODAY - 100 * DAY)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.record_review(w.users["district_admin"], mou, data)
    assert exc.value.message_dict[field][0].startswith(message)
    assert not MouReview.objects.filter(mou=mou).exists()
    assert AuditEvent.objects.count() == events


def test_a_draft_is_not_reviewed(w: World) -> None:
    draft = make_mou(w.agency_a, w.district_a, executed=False)
    with pytest.raises(ValidationError) as exc:
        services.record_review(None, draft, review_data(TODAY))
    assert "still a draft" in exc.value.message_dict["mou"][0]


def test_review_form_shows_errors_next_to_the_fields(w: World) -> None:
    mou = make_mou(w.agency_a, w.district_a, effective=TODAY - 100 * DAY)
    response = login(w, "district_admin").post(f"/program/mous/{mou.pk}/reviews/new/", {
        "review_date": (TODAY + DAY).isoformat(), "attendees": "", "minutes": "x",
        "next_review_due": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_attendees_error"' in page
    assert not MouReview.objects.filter(mou=mou).exists()


def test_recording_a_review_is_audited_with_the_default_next_date(w: World) -> None:
    mou = make_mou(w.agency_a, w.district_a, effective=TODAY - 100 * DAY)
    response = login(w, "district_admin").post(f"/program/mous/{mou.pk}/reviews/new/", {
        "review_date": TODAY.isoformat(), "attendees": "Superintendent\nChief",
        "minutes": "All good.", "next_review_due": ""})
    assert response.status_code == 302
    review = MouReview.objects.get(mou=mou)
    assert review.next_review_due == add_months(TODAY, 12)
    event = AuditEvent.objects.get(action="record_review", object_id=str(review.pk))
    assert event.actor == w.users["district_admin"]
    assert event.after["minutes"] == "All good."
    assert event.after["next_review_due"] == add_months(TODAY, 12).isoformat()


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    assert add_months(datetime.date(2024, 2, 29), 12) == datetime.date(2025, 2, 28)
    assert add_months(datetime.date(2025, 1, 31), 1) == datetime.date(2025, 2, 28)
    assert add_months(datetime.date(2025, 11, 30), 3) == datetime.date(2026, 2, 28)
    assert add_months(datetime.date(2025, 3, 15), -14) == datetime.date(2024, 1, 15)


def test_the_audit_trail_matches_the_rows(w: World) -> None:
    """Every program write went through the audited path: verify_state finds no row
    changed behind it (the checklist is part of the MOU's audited state)."""
    mou = make_mou(w.agency_a, w.district_a)
    services.record_review(None, mou, review_data(TODAY))
    services.set_checklist(None, mou, [{"element": "cops_feedback", "present": False}])
    _checked, problems = audit.verify_state()
    assert [p for p in problems if p.object_type.startswith("program.")] == []
    MouElementEntry.objects.filter(mou=mou).update(section="tampered")
    _checked, problems = audit.verify_state()
    assert any(p.object_type == "program.Mou" and "checklist" in p.message for p in problems)


# --------------------------------------------------------------------------- staffing factors


def test_staffing_factors_need_a_value_and_one_row_per_year(w: World) -> None:
    from opensro.program.models import StaffingFactors

    with pytest.raises(ValidationError) as exc:
        services.create_staffing_factors(w.users["school_admin"], {
            "school": w.school_a1, "school_year": w.year})
    assert exc.value.message_dict["non_sworn_safety_staff"] == [
        "Give the non-sworn safety staff, the calls for service, or both."]
    services.create_staffing_factors(w.users["school_admin"], {
        "school": w.school_a1, "school_year": w.year, "calls_for_service": 12})
    with pytest.raises(ValidationError) as exc:
        services.create_staffing_factors(w.users["district_admin"], {
            "school": w.school_a1, "school_year": w.year, "calls_for_service": 13})
    assert "already has staffing factors for this year" in exc.value.message_dict[
        "school_year"][0]
    assert StaffingFactors.objects.filter(school=w.school_a1).count() == 1
    event = AuditEvent.objects.filter(object_type="program.StaffingFactors").latest("seq")
    assert event.actor == w.users["school_admin"] and event.action == "create"
