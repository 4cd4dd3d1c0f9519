"""The disparity page: a table per scope, year, decision point and group, with a
forest plot and the trend across years (R-E1, R-I1)."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe

from opensro.analytics import charts, counts, selectors
from opensro.directory.models import SchoolYear


class DisparityForm(forms.Form):
    school_year = forms.ModelChoiceField(queryset=SchoolYear.objects.order_by("-start_date"),
                                         to_field_name="code", empty_label=None)
    scope = forms.ChoiceField()
    point = forms.ChoiceField(label="Decision point",
                              choices=[(c, label) for c, label, _q in counts.DECISION_POINTS])
    dimension = forms.ChoiceField(label="Students by",
                                  choices=[(k, v[0]) for k, v in counts.DIMENSIONS.items()])
    base = forms.ChoiceField(label="Measured against", required=False, choices=[
        ("", "Default"), ("enrollment", "Enrollment (per 1,000)"),
        ("contact", "SRO contacts (per 100)"),
        ("arrest_or_citation", "Arrests or citations (per 100)")])


@login_required
def disparity(request: HttpRequest) -> HttpResponse:
    if not selectors.may_analyse(request.user):
        raise PermissionDenied
    scopes = selectors.scopes_for(request.user)
    data = request.GET.copy()
    latest = SchoolYear.objects.filter(start_date__lte=_today()).order_by("-start_date")
    data.setdefault("school_year", (latest.first() or SchoolYear.objects.first() or
                                    SchoolYear()).code or "")
    data.setdefault("scope", "all")
    data.setdefault("point", "arrest")
    data.setdefault("dimension", "race")
    form = DisparityForm(data)
    form.fields["scope"].choices = [  # type: ignore[attr-defined]
        ("all" if s.kind == "all" else f"{s.kind}:{s.pk}",
         s.label if s.kind == "all" else f"{s.kind.title()}: {s.label}") for s in scopes]
    table = forest = trend_svg = None
    if form.is_valid():
        cd = form.cleaned_data
        try:
            table = selectors.disparity(request.user, cd["school_year"], cd["scope"],
                                        cd["point"], cd["dimension"], cd["base"] or None)
            rows = [(r.label, r.ratio, r.ci_low, r.ci_high, r.significant) for r in table.rows
                    if r.ratio is not None and r.ci_low is not None and r.ci_high is not None
                    and r.ci_low > 0 and r.group != table.reference]
            if rows:
                forest = mark_safe(charts.forest_plot(  # noqa: S308 - our own SVG
                    rows, f"{table.point_label}: ratio to {table.reference_label}",
                    table.reference_label))
            years, series = selectors.trend(request.user, cd["scope"], cd["point"],
                                            cd["dimension"], table.base)
            if any(v is not None for values in series.values() for v in values):
                trend_svg = mark_safe(charts.trend_chart(  # noqa: S308 - our own SVG
                    years, series, f"{table.point_label} per {table.per:,} "
                    f"{'enrolled' if table.base == 'enrollment' else table.base}",
                    f"per {table.per:,}"))
        except ValidationError as exc:
            for key, msgs in exc.message_dict.items():
                form.add_error(key if key in form.fields else None, msgs)
    return render(request, "analytics/disparity.html", {
        "form": form, "table": table, "forest": forest, "trend": trend_svg,
        "max_hidden": selectors.min_cell() - 1,
    })


def _today() -> datetime.date:
    return datetime.date.today()
