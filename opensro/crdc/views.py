"""CRDC pages (R-E2): choose a district and year, read or download the counts, upload the
district's own counts and read the reconciliation, school by school and cell by cell.

Only district administrators (their district), auditors and system administrators get
here; every export is audited and logged as a disclosure (``services.export``).
"""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from opensro.crdc import forms, selectors, services
from opensro.crdc.layout import ITEMS, LAYOUT_NAME


def _require_export(request: HttpRequest) -> None:
    if not selectors.may_export(request.user):
        raise PermissionDenied("Only district administrators, auditors and system "
                               "administrators read unsuppressed CRDC counts.")


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """District and year selector, downloads, and the uploads of that district and year."""
    _require_export(request)
    data = request.GET.copy()
    districts = selectors.districts_for(request.user)
    if "district" not in data and districts.exists():
        data["district"] = districts.first().nces_id  # type: ignore[union-attr]
    year = selectors.default_year()
    if "school_year" not in data and year is not None:
        data["school_year"] = year.code
    form = forms.ChooseForm(data, user=request.user, action=selectors.EXPORT)
    chosen = uploads = None
    if form.is_valid():
        chosen = form.cleaned_data
        uploads = selectors.uploads_for(request.user).filter(
            district=chosen["district"], school_year=chosen["school_year"])
    return render(request, "crdc/index.html", {
        "form": form, "chosen": chosen, "uploads": uploads, "layout": LAYOUT_NAME,
        "may_reconcile": selectors.may_reconcile(request.user) and chosen is not None
        and selectors.districts_for(request.user, selectors.RECONCILE).filter(
            pk=chosen["district"].pk).exists(),
    })


@login_required
def counts(request: HttpRequest, lea: str, year: str) -> HttpResponse:
    """The counts on a page: a summary per school and every column of one school."""
    _require_export(request)
    district = selectors.district_for(request.user, lea)
    school_year = selectors.year_by_code(year)
    result = services.export(request.user, district, school_year,  # type: ignore[arg-type]
                             fmt="html")
    by_nces = result.by_nces()
    chosen = by_nces.get(request.GET.get("school", ""))
    detail = None
    if chosen is not None:
        detail = [(c.name, c.label, chosen.counts[c.name]) for c in result.columns]
    summary = [{"school": s, "ref": s.students("REF"), "arr": s.students("ARR"),
                "ref_i": s.instances("REF"), "arr_i": s.instances("ARR")}
               for s in result.schools]
    return render(request, "crdc/counts.html", {
        "result": result, "summary": summary, "chosen": chosen, "detail": detail,
        "notes": result.notes.messages(), "layout": LAYOUT_NAME, "items": ITEMS,
        "totals": {k: sum(r[k] for r in summary) for k in ("ref", "arr", "ref_i", "arr_i")},
    })


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(result: Any) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def rows() -> Any:
        yield writer.writerow(result.header)
        for row in result.rows():
            yield writer.writerow(row)

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    name = f"crdc-referrals-arrests-{result.district.nces_id}-{result.year.code}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def export_csv(request: HttpRequest, lea: str, year: str) -> StreamingHttpResponse:
    _require_export(request)
    district = selectors.district_for(request.user, lea)
    school_year = selectors.year_by_code(year)
    result = services.export(request.user, district, school_year,  # type: ignore[arg-type]
                             fmt="csv")
    return csv_response(result)


@login_required
def upload_create(request: HttpRequest) -> HttpResponse:
    """Upload the district's counts; a file with any problem is refused whole."""
    if not selectors.may_reconcile(request.user):
        raise PermissionDenied("Only district and system administrators upload a "
                               "district's counts.")
    initial = {k: request.GET[k] for k in ("district", "school_year") if k in request.GET}
    year = selectors.default_year()
    if "school_year" not in initial and year is not None:
        initial["school_year"] = year.code
    form = forms.UploadForm(request.POST or None, request.FILES or None, initial=initial,
                            user=request.user, action=selectors.RECONCILE)
    problems = None
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            upload = services.upload_sis_counts(
                request.user, cd["district"], cd["school_year"],  # type: ignore[arg-type]
                cd["file"].read(), file_name=cd["file"].name or "", note=cd["note"])
        except ValidationError as exc:
            problems = getattr(exc, "row_errors", None)
            if problems is None:
                for key, msgs in exc.message_dict.items():
                    form.add_error(key if key in form.fields else None, msgs)
        else:
            messages.success(request, (
                f"Compared {upload.cells_compared} cells: "
                + ("every one agrees with OpenSRO's records." if upload.agrees else
                   f"{upload.cells_disagreeing} disagree, in {upload.schools_disagreeing} "
                   "school(s).")))
            return redirect("crdc-upload-detail", pk=upload.pk)
    return render(request, "crdc/upload_form.html", {"form": form, "problems": problems})


@login_required
def upload_list(request: HttpRequest) -> HttpResponse:
    _require_export(request)
    page = Paginator(selectors.uploads_for(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "crdc/upload_list.html", {
        "page": page, "may_reconcile": selectors.may_reconcile(request.user)})


@login_required
def upload_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The reconciliation: per school, then cell by cell (by default only disagreements)."""
    upload = selectors.upload_for(request.user, pk)
    schools = [(n, f"{upload.school_names.get(n, '')} ({n})") for n in upload.sis_counts]
    filters = forms.ResultFilter(request.GET or None, schools=schools)
    show, school = "disagreements", ""
    if filters.is_bound and filters.is_valid():
        show = filters.cleaned_data["show"] or "disagreements"
        school = filters.cleaned_data["school"]
    elif not filters.is_bound:
        filters = forms.ResultFilter(initial={"show": "disagreements"}, schools=schools)
    cells = [c for c in upload.cells(only_disagreements=show == "disagreements")
             if not school or c.school_nces_id == school]
    return render(request, "crdc/upload_detail.html", {
        "upload": upload, "summary": services.summary(upload),
        "schools": upload.school_summary(), "cells": cells, "filters": filters,
        "show": show, "missing": list(upload.schools_missing),
        "back": reverse("crdc-index") + f"?district={upload.district.nces_id}"
                f"&school_year={upload.school_year.code}",
    })
