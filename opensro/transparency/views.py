"""The public portal (no sign-in), its open-data files, and the administrators' page of
releases (R-E1, R-E3, R-C3, R-D2, R-D4, R-D6).

Every public page and file reads published snapshots only. Rendered pages are cached
(Django's cache) under a key of the path, the language, the recognised query values
and the newest release's id, so a new release replaces every cached page at once. A
public page carries nothing per visitor (the language switch needs no CSRF token,
docs/decisions/0007-portal-fast-path.md), so ``middleware.PortalCacheMiddleware``
replays a page this process has served without running the view at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from opensro.analytics import charts
from opensro.core.context import request_context
from opensro.core.imports import validation_messages
from opensro.core.permissions import ADD, VIEW, can, restrict
from opensro.directory.models import SchoolYear
from opensro.transparency import labels, opendata, selectors, services
from opensro.transparency.cache import current_release, get_page, set_page
from opensro.transparency.models import Publication, PublicationRun
from opensro.transparency.suppression import SuppressionError

CACHE_SECONDS = 60 * 60 * 24
SCOPE_KINDS = ("agency", "district", "school")


# --------------------------------------------------------------------------- caching


def _cache_key(request: HttpRequest, *parts: object) -> str:
    return ":".join(["portal", "v1", get_language() or "en", request.path,
                     *(str(p) for p in parts), current_release()])


def _cached_page(request: HttpRequest, key_parts: tuple[object, ...],
                 build: Callable[[], tuple[str, dict[str, Any]]]) -> HttpResponse:
    """Serve a public page from the cache, or render and cache it."""
    key = _cache_key(request, *key_parts)
    html = get_page(key)
    if html is None:
        template, context = build()
        html = render_to_string(template, context, request)
        set_page(key, html, CACHE_SECONDS)
    response = HttpResponse(html)
    response["X-Portal-Release"] = key.rsplit(":", 1)[-1]
    response.portal_public = True  # type: ignore[attr-defined]  # see middleware.py
    return response


def _cached_file(request: HttpRequest, key_parts: tuple[object, ...], content_type: str,
                 build: Callable[[], str], filename: str) -> HttpResponse:
    key = _cache_key(request, *key_parts)
    body = get_page(key)
    if body is None:
        body = build()
        set_page(key, body, CACHE_SECONDS)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Access-Control-Allow-Origin"] = "*"
    response.portal_public = True  # type: ignore[attr-defined]  # see middleware.py
    return response


# --------------------------------------------------------------------------- helpers


def _year_param(request: HttpRequest) -> str:
    return str(request.GET.get("year", ""))[:7]


def _measure_param(request: HttpRequest) -> str:
    value = str(request.GET.get("measure", "arrest"))
    return value if value in labels.MEASURE_CODES else "arrest"


def _scope_url(kind: str, pk: int, year: str | None = None) -> str:
    url = reverse("portal-scope", args=[kind, pk])
    return f"{url}?year={year}" if year else url


def _base_context(years: list[SchoolYear], year: SchoolYear | None) -> dict[str, Any]:
    return {"years": years, "year": year, "k": services.min_cell(),
            "hidden_max": services.min_cell() - 1}


# --------------------------------------------------------------------------- pages


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """Portal home: every program, district and school published for the year."""
    code = _year_param(request)

    def build() -> tuple[str, dict[str, Any]]:
        years = selectors.published_years()
        year = selectors.pick_year(years, code)
        pubs = selectors.scopes_of_year(year) if year else []
        by_kind: dict[str, list[Publication]] = {k: [] for k in SCOPE_KINDS}
        for pub in pubs:
            by_kind.setdefault(pub.scope_kind, []).append(pub)
        latest = max((p.published_at for p in pubs), default=None)
        return "public/portal/home.html", {
            **_base_context(years, year), "agencies": by_kind["agency"],
            "districts": by_kind["district"], "schools": by_kind["school"],
            "published_at": latest,
        }

    return _cached_page(request, (code,), build)


def _figures(pub: Publication, measure: str) -> dict[str, Any]:
    """Everything the scope page shows, from one publication."""
    cells = selectors.index(pub)
    key_figures = []
    for code, label, base, per in labels.MEASURES:
        cell = cells.get(("summary", code, "total"))
        key_figures.append({"code": code, "label": label, "cell": cell,
                            "base": labels.BASE_LABELS[base], "per": per})
    flags = cells.get(("summary", labels.FLAGS, "total"))
    activities = [{"label": labels.activity_label(kind), "cell": cells.get(
        (labels.ACTIVITIES, labels.ACTIVITIES, kind))}
        for kind in [k for k, _l in labels.ACTIVITY_KINDS] + ["total"]]
    dimensions = []
    for dim, (dim_label, groups, reference) in labels.DIMENSIONS.items():
        codes = [g for g, _l in groups] + ["unknown"]
        rows = []
        for g in codes:
            row = [cells.get((dim, m, g)) for m in labels.MEASURE_CODES]
            if all(c is None for c in row):
                continue
            rows.append({"label": labels.group_label(dim, g) if g != "unknown"
                         else _("Not recorded"), "cells": row,
                         "reference": g == reference,
                         "selected": cells.get((dim, measure, g))})
        total = [cells.get(("summary", m, "total")) for m in labels.MEASURE_CODES]
        dimensions.append({"code": dim, "label": dim_label, "rows": rows, "total": total,
                           "reference_label": labels.group_label(dim, reference)})
    return {"key_figures": key_figures, "flags": flags, "activities": activities,
            "dimensions": dimensions}


ForestData = tuple[list[tuple[str, float, float, float, bool]], str]
TrendData = tuple[list[str], dict[str, list[float | None]], str, int]


def _forest_data(pub: Publication, measure: str) -> ForestData | None:
    """Ratios to White students with their intervals, from published cells only."""
    cells = selectors.index(pub)
    rows = []
    for g, label in labels.DIMENSIONS["race"][1]:
        c = cells.get(("race", measure, g))
        if c and c.ratio and c.ci_low and c.ci_high and c.ci_low > 0:
            rows.append((str(label), c.ratio, c.ci_low, c.ci_high, bool(c.significant)))
    if not rows:
        return None
    title = _("%(measure)s by race/ethnicity: ratio to White students") % {
        "measure": labels.MEASURE_LABELS[measure]}
    return rows, title


def _trend_data(history: list[Publication], measure: str) -> TrendData | None:
    """Each race group's published rate in each year (gaps where not published)."""
    if len(history) < 2:
        return None
    series: dict[str, list[float | None]] = {}
    for g, label in labels.DIMENSIONS["race"][1]:
        values = []
        for pub in history:
            c = selectors.index(pub).get(("race", measure, g))
            values.append(c.rate if c is not None else None)
        if any(v is not None for v in values):
            series[str(label)] = values
    if not series:
        return None
    base, per = labels.MEASURE_BASE[measure]
    title = _("%(measure)s %(base)s, by race/ethnicity") % {
        "measure": labels.MEASURE_LABELS[measure], "base": labels.BASE_LABELS[base]}
    return [p.info.get("year", "") for p in history], series, title, per


def _trend_rows(history: list[Publication]) -> list[dict[str, Any]]:
    rows = []
    for pub in history:
        cells = selectors.index(pub)
        rows.append({"year": pub.info.get("year", ""), "published_at": pub.published_at,
                     "cells": [cells.get(("summary", m, "total"))
                               for m in labels.MEASURE_CODES]})
    return rows


@require_safe
def scope(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """The page of one program (agency), district or school for a school year."""
    if kind not in SCOPE_KINDS:
        raise Http404
    code = _year_param(request)
    measure = _measure_param(request)

    def build() -> tuple[str, dict[str, Any]]:
        years = selectors.published_years()
        year = selectors.pick_year(years, code)
        pub = selectors.publication(kind, pk, year) if year else None
        if pub is None or year is None:
            raise Http404(_("Nothing has been published for this page yet."))
        history = selectors.history(kind, pk)
        query = f"?year={year.code}&measure={measure}"
        forest = _forest_data(pub, measure)
        trend = _trend_data(history, measure)
        return "public/portal/scope.html", {
            **_base_context([y for y in years if y.pk in {h.school_year_id
                                                          for h in history}], year),
            "pub": pub, "info": pub.info, "kind_label": labels.SCOPE_KINDS[kind],
            "measure": measure, "measure_label": labels.MEASURE_LABELS[measure],
            "measures": labels.MEASURES, "figures": _figures(pub, measure),
            "forest": {"url": reverse("portal-chart", args=[kind, pk, "forest"]) + query,
                       "title": forest[1]} if forest else None,
            "trend": {"rows": _trend_rows(history), "chart": {
                "url": reverse("portal-chart", args=[kind, pk, "trend"]) + query,
                "title": trend[2]} if trend else None},
            "csv_url": reverse("portal-download", args=[kind, pk, year.code, "csv"]),
            "json_url": reverse("portal-download", args=[kind, pk, year.code, "json"]),
        }

    return _cached_page(request, (code, measure), build)


@require_safe
def chart(request: HttpRequest, kind: str, pk: int, name: str) -> HttpResponse:
    """A scope page's chart as SVG (analytics.charts), drawn from published cells only."""
    if kind not in SCOPE_KINDS or name not in ("forest", "trend"):
        raise Http404
    code = _year_param(request)
    measure = _measure_param(request)

    def build() -> str:
        if name == "trend":
            data = _trend_data(selectors.history(kind, pk), measure)
            if data is None:
                raise Http404
            years, series, title, per = data
            return charts.trend_chart(years, series, title, f"{per:,}")
        year = selectors.pick_year(selectors.published_years(), code)
        pub = selectors.publication(kind, pk, year) if year else None
        forest = _forest_data(pub, measure) if pub else None
        if forest is None:
            raise Http404
        return charts.forest_plot(forest[0], forest[1], str(_("White")))

    return _cached_file(request, (code, measure), "image/svg+xml", build,
                        f"{kind}-{pk}-{name}.svg")


@require_safe
def about(request: HttpRequest) -> HttpResponse:
    """What an SRO may and may not do, and how to give feedback (R-D2, R-C3)."""

    def build() -> tuple[str, dict[str, Any]]:
        years = selectors.published_years()
        year = years[0] if years else None
        districts = selectors.district_contacts(year) if year else []
        return "public/portal/about.html", {**_base_context(years, year),
                                            "districts": districts}

    return _cached_page(request, (), build)


@require_safe
def data(request: HttpRequest) -> HttpResponse:
    """The open-data index: every file of the year, and the dictionary."""
    code = _year_param(request)

    def build() -> tuple[str, dict[str, Any]]:
        years = selectors.published_years()
        year = selectors.pick_year(years, code)
        pubs = selectors.scopes_of_year(year) if year else []
        files = [{"pub": p, "kind_label": labels.SCOPE_KINDS[p.scope_kind],
                  "csv": reverse("portal-download", args=[p.scope_kind, p.scope_id,
                                                          year.code, "csv"]) if year else "",
                  "json": reverse("portal-download", args=[p.scope_kind, p.scope_id,
                                                           year.code, "json"]) if year else ""}
                 for p in sorted(pubs, key=lambda p: (services.SCOPE_ORDER[p.scope_kind],
                                                      p.scope_name))]
        return "public/portal/data.html", {**_base_context(years, year), "files": files}

    return _cached_page(request, (code,), build)


@require_safe
def dictionary(request: HttpRequest) -> HttpResponse:
    def build() -> tuple[str, dict[str, Any]]:
        years = selectors.published_years()
        return "public/portal/dictionary.html", {
            **_base_context(years, years[0] if years else None),
            "fields": opendata.fields(), "measures": labels.MEASURES,
            "dimensions": labels.DIMENSIONS, "activity_kinds": labels.ACTIVITY_KINDS}

    return _cached_page(request, (), build)


@require_safe
def dictionary_json(request: HttpRequest) -> HttpResponse:
    return _cached_file(request, (), "application/json",
                        lambda: json.dumps(opendata.schema(), indent=2, ensure_ascii=False),
                        "opensro-data-dictionary.json")


@require_safe
def download(request: HttpRequest, kind: str, pk: int, year: str, fmt: str) -> HttpResponse:
    """One scope's published figures for one year, as CSV or JSON."""
    if kind not in SCOPE_KINDS or fmt not in ("csv", "json"):
        raise Http404
    filename = f"opensro-{kind}-{pk}-{year}.{fmt}"

    def build() -> str:
        school_year = SchoolYear.objects.filter(code=year).first()
        if school_year is None:
            raise Http404
        pub = selectors.publication(kind, pk, school_year)
        if pub is None:
            raise Http404
        if fmt == "csv":
            return opendata.to_csv(pub)
        url = request.build_absolute_uri(reverse("portal-dictionary-json"))
        return json.dumps(opendata.to_json(pub, url), indent=1, ensure_ascii=False)

    return _cached_file(request, (), "text/csv; charset=utf-8" if fmt == "csv"
                        else "application/json", build, filename)


# --------------------------------------------------------------------------- administrators


@login_required
@require_safe
def runs(request: HttpRequest) -> HttpResponse:
    """Releases (signed-in system administrators and auditors) and the publish form."""
    if not can(request.user, VIEW, PublicationRun):
        raise PermissionDenied
    rows = restrict(PublicationRun.objects.select_related("school_year").defer("ledger"),
                    request.user, VIEW)[:100]
    return render(request, "transparency/runs.html", {
        "runs": rows, "may_publish": can(request.user, ADD, PublicationRun),
        "years": SchoolYear.objects.order_by("-start_date"),
        "scope_choices": [("", _("Every scope")), ("agency", _("SRO programs (agencies)")),
                          ("district", _("Districts")), ("school", _("Schools"))],
    })


@login_required
@require_safe
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not can(request.user, VIEW, PublicationRun):
        raise PermissionDenied
    run = get_object_or_404(restrict(PublicationRun.objects.select_related(
        "school_year").defer("ledger"), request.user, VIEW), pk=pk)
    pubs = run.publications.only("id", "scope_kind", "scope_id", "scope_name", "info",
                                 "digest", "run_id").order_by("scope_kind", "scope_name")
    return render(request, "transparency/run_detail.html", {"run": run, "pubs": pubs})


@login_required
@require_POST
def publish_now(request: HttpRequest) -> HttpResponse:
    if not can(request.user, ADD, PublicationRun):
        raise PermissionDenied
    scope_value = request.POST.get("scope", "")
    try:
        with request_context():
            run = services.publish(request.user,  # type: ignore[arg-type]
                                   request.POST.get("year") or None,
                                   [scope_value] if scope_value else None,
                                   force=bool(request.POST.get("force")))
    except ValidationError as exc:
        for _field, message in validation_messages(exc):
            messages.error(request, message)
        return redirect("transparency-runs")
    except SuppressionError as exc:
        messages.error(request, str(exc))
        return redirect("transparency-runs")
    if run is None:
        messages.success(request, _("No figure changed since the last release; nothing "
                                    "was published."))
        return redirect("transparency-runs")
    messages.success(request, _("Published %(year)s: %(n)s scope(s).") % {
        "year": run.school_year.code, "n": len(run.scopes)})
    return redirect("transparency-run-detail", run.pk)
