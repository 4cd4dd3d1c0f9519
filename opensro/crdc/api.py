"""API endpoints of the crdc app (mounted under /api/crdc/), R-E2.

The same reads and writes as the pages: the export (JSON or CSV; audited and logged as
a disclosure), the district's upload of its own counts and the reconciliation result.
Only district administrators (their district), auditors and system administrators are
served; uploads only by district and system administrators.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from opensro.crdc import selectors, services, views
from opensro.crdc.layout import ID_COLUMNS, LAYOUT_NAME, columns
from opensro.crdc.models import SisUpload

router = Router(tags=["crdc"])


class DistrictOut(Schema):
    nces_id: str
    name: str
    may_reconcile: bool


class ColumnOut(Schema):
    name: str
    label: str
    item: str
    instances: bool


class LayoutOut(Schema):
    layout: str
    school_year: str
    sex_codes: list[str]
    id_columns: list[str]
    columns: list[ColumnOut]


class SchoolCountsOut(Schema):
    nces_id: str
    schid: str
    name: str
    counts: dict[str, int]


class DistrictRef(Schema):
    name: str
    nces_id: str
    state: str


class ExportOut(Schema):
    layout: str
    district: DistrictRef
    school_year: str
    sex_codes: list[str]
    columns: list[ColumnOut]
    schools: list[SchoolCountsOut]
    notes: list[str]


class SummaryOut(Schema):
    cells_compared: int
    cells_disagreeing: int
    schools_compared: int
    schools_disagreeing: int
    schools_missing: list[str]


class UploadOut(Schema):
    id: int
    district: str
    school_year: str
    uploaded_at: str
    uploaded_by: str
    file_name: str
    note: str
    columns: list[str]
    summary: SummaryOut


class CellOut(Schema):
    school_nces_id: str
    school_name: str
    column: str
    label: str
    sis: int | None
    opensro: int
    difference: int | None
    agrees: bool


class UploadDetailOut(UploadOut):
    schools: list[dict[str, Any]]
    cells: list[CellOut]


def _out(upload: SisUpload) -> dict[str, Any]:
    return {
        "id": upload.pk, "district": upload.district.nces_id,
        "school_year": upload.school_year.code,
        "uploaded_at": upload.created_at.isoformat(),
        "uploaded_by": upload.uploaded_by.get_username() if upload.uploaded_by else "system",
        "file_name": upload.file_name, "note": upload.note, "columns": list(upload.columns),
        "summary": services.summary(upload),
    }


def _require_export(request: HttpRequest) -> None:
    if not selectors.may_export(request.user):
        raise PermissionDenied("Only district administrators, auditors and system "
                               "administrators read unsuppressed CRDC counts.")


@router.get("/districts", response=list[DistrictOut],
            summary="Districts whose CRDC counts you may export",
            operation_id="crdc_list_districts")
def list_districts(request: HttpRequest) -> Any:
    _require_export(request)
    reconcilable = set(selectors.districts_for(request.user, selectors.RECONCILE)
                       .values_list("pk", flat=True))
    return [{"nces_id": d.nces_id, "name": d.name, "may_reconcile": d.pk in reconcilable}
            for d in selectors.districts_for(request.user)]


@router.get("/layout", response=LayoutOut, summary="The CRDC columns of a school year",
            operation_id="crdc_layout")
def layout(request: HttpRequest, school_year: str) -> Any:
    _require_export(request)
    year = selectors.year_by_code(school_year)
    return {"layout": LAYOUT_NAME, "school_year": year.code, "sex_codes": year.sex_codes,
            "id_columns": list(ID_COLUMNS),
            "columns": [{"name": c.name, "label": c.label, "item": c.item,
                         "instances": c.instances} for c in columns(year.sex_codes)]}


@router.get("/export", response=ExportOut,
            summary="A district's CRDC counts for a school year (unsuppressed; audited)",
            operation_id="crdc_export")
def export_json(request: HttpRequest, district: str, school_year: str) -> Any:
    d = selectors.district_for(request.user, district)
    year = selectors.year_by_code(school_year)
    result = services.export(request.user, d, year, fmt="json",  # type: ignore[arg-type]
                             channel="api")
    return result.as_dict()


@router.get("/export.csv", summary="The same as CSV, in the CRDC layout (audited)",
            operation_id="crdc_export_csv",
            openapi_extra={
                "responses": {"200": {"description": "CSV",
                                      "content": {"text/csv": {"schema": {"type": "string"}}}}}})
def export_csv(request: HttpRequest, district: str, school_year: str) -> Any:
    d = selectors.district_for(request.user, district)
    year = selectors.year_by_code(school_year)
    result = services.export(request.user, d, year, fmt="csv",  # type: ignore[arg-type]
                             channel="api")
    return views.csv_response(result)


@router.get("/uploads", response=list[UploadOut], summary="Uploads of districts' own counts",
            operation_id="crdc_list_uploads")
def list_uploads(request: HttpRequest, district: str = "", school_year: str = "") -> Any:
    _require_export(request)
    qs = selectors.uploads_for(request.user)
    if district:
        qs = qs.filter(district__nces_id=district)
    if school_year:
        qs = qs.filter(school_year__code=school_year)
    return [_out(u) for u in qs[:500]]


@router.post("/uploads", response={201: UploadDetailOut},
             summary="Upload a district's own counts (CSV in the export's layout) and "
                     "compare them", operation_id="crdc_create_upload")
def create_upload(request: HttpRequest, district: Form[str], school_year: Form[str],
                  file: File[UploadedFile], note: Form[str] = "") -> Any:
    d = selectors.district_for(request.user, district, selectors.RECONCILE)
    year = selectors.year_by_code(school_year)
    upload = services.upload_sis_counts(request.user, d, year,  # type: ignore[arg-type]
                                        file.read(), file_name=file.name or "", note=note,
                                        channel="api")
    return Status(201, _detail(upload, only_disagreements=True, school=""))


def _detail(upload: SisUpload, *, only_disagreements: bool, school: str) -> dict[str, Any]:
    cells = [
        {"school_nces_id": c.school_nces_id, "school_name": c.school_name, "column": c.column,
         "label": c.label, "sis": c.sis, "opensro": c.opensro, "difference": c.difference,
         "agrees": c.agrees}
        for c in upload.cells(only_disagreements=only_disagreements)
        if not school or c.school_nces_id == school
    ]
    return {**_out(upload), "schools": upload.school_summary(), "cells": cells}


@router.get("/uploads/{upload_id}", response=UploadDetailOut,
            summary="One upload and its reconciliation, cell by cell",
            operation_id="crdc_get_upload")
def get_upload(request: HttpRequest, upload_id: int, only_disagreements: bool = True,
               school: str = "") -> Any:
    upload = selectors.upload_for(request.user, upload_id, channel="api")
    return _detail(upload, only_disagreements=only_disagreements, school=school)
