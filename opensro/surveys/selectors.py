"""Survey results, always scoped and suppressed (R-E4, R-F2; methods.md "Publication
safety"). Other apps (evaluations, the annual assessment) call
:func:`results_for_school`; the results pages and the API call :func:`results`.

Who reads what: ``Campaign.role_permissions[RESULTS]`` with the window's school scope.
An SRO reads the schools they work at, supervisors and agency administrators the
schools their agency serves, school and district administrators theirs, analysts,
auditors and system administrators everything they are granted. Everybody reads the
same suppressed figures (``suppression.py``); nobody reads a single response.
Results of a window appear only once it has closed.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext as _

from opensro.core.permissions import VIEW, can, restrict
from opensro.directory.models import Agency, District, School, SchoolYear
from opensro.surveys.choices import GROUP_ORDER
from opensro.surveys.models import (
    RESULTS,
    Answer,
    Campaign,
    Question,
    Response,
    SurveyLink,
    group_label,
)
from opensro.surveys.questionnaires import ITEMS
from opensro.surveys.suppression import NOT_ASKED, Cell, Figure, pool, row_total

ITEM_ORDER = {code: n for n, (code, *_rest) in enumerate(ITEMS)}


def min_cell() -> int:
    return int(settings.OPENSRO["MIN_CELL_SIZE"])


def may_read_results(user: Any) -> bool:
    return can(user, RESULTS, Campaign)


def readable_windows(user: Any) -> QuerySet[Campaign]:
    """The survey windows whose (suppressed) results ``user`` may read."""
    return restrict(Campaign.objects.all(), user, RESULTS)


# ---------------------------------------------------------------- tables


@dataclass
class Row:
    """One question (item) across the respondent groups, and the total."""

    code: str
    label: str
    topic: str
    cells: list[Figure]
    total: Figure


@dataclass
class SchoolRow:
    school: School
    responses: list[Figure]
    total: Figure


@dataclass
class Results:
    scope_label: str
    year: SchoolYear | None
    groups: list[str]
    rows: list[Row] = field(default_factory=list)
    responses: list[Figure] = field(default_factory=list)
    responses_total: Figure = NOT_ASKED
    schools: list[SchoolRow] = field(default_factory=list)
    windows: list[Campaign] = field(default_factory=list)
    pending: list[Campaign] = field(default_factory=list)
    left_out: int = 0
    min_cell: int = 10

    @property
    def partial(self) -> bool:
        """Whether a shown figure leaves out cells too small to include."""
        shown = [f for row in self.rows for f in (*row.cells, row.total)]
        shown += [*self.responses, self.responses_total]
        shown += [f for s in self.schools for f in (*s.responses, s.total)]
        return any(f.shown and f.left_out for f in shown)

    @property
    def group_labels(self) -> list[str]:
        return [str(group_label(g)) for g in self.groups]


def build_results(user: Any, windows: Sequence[Campaign], k: int, scope_label: str = "",
                  year: SchoolYear | None = None) -> Results:
    """Suppressed tables over closed ``windows`` (already scoped to ``user``)."""
    ids = [w.pk for w in windows]
    surveyed: dict[int, list[str]] = {w.pk: list(w.groups) for w in windows}
    # Which items each (window, group) asked: from the questionnaire of its link.
    links = SurveyLink.objects.filter(campaign_id__in=ids).values_list(
        "campaign_id", "group", "questionnaire_id")
    link_q = {(c, g): q for c, g, q in links}
    codes_of: dict[int, set[str]] = defaultdict(set)
    labels: dict[str, tuple[str, str]] = {}
    for question in Question.objects.filter(questionnaire_id__in=set(link_q.values())):
        codes_of[question.questionnaire_id].add(question.code)
        labels.setdefault(question.code, (question.label, question.topic))
    # Groups that answered stay surveyed even if taken off later (they cannot be).
    answers = restrict(Answer.objects.filter(response__campaign_id__in=ids), user, RESULTS)
    atomic: dict[tuple[int, str, str], Cell] = {
        (r["response__campaign_id"], r["response__group"], r["question__code"]):
            Cell(r["n"], r["total"] or 0)
        for r in answers.values("response__campaign_id", "response__group",
                                "question__code").annotate(n=Count("id"), total=Sum("value"))
    }
    responses = restrict(Response.objects.filter(campaign_id__in=ids), user, RESULTS)
    counted: dict[tuple[int, str], int] = {
        (r["campaign_id"], r["group"]): r["n"]
        for r in responses.values("campaign_id", "group").annotate(n=Count("id"))
    }
    for (wid, group) in counted:
        if group not in surveyed[wid]:
            surveyed[wid].append(group)
    groups = [g for g in GROUP_ORDER if any(g in gs for gs in surveyed.values())]
    codes = sorted(labels, key=lambda c: (ITEM_ORDER.get(c, len(ITEM_ORDER)), c))

    def asked(wid: int, group: str) -> set[str]:
        q = link_q.get((wid, group))
        return codes_of.get(q, set()) if q is not None else set()

    def item_figure(window_ids: Iterable[int], group: str, code: str) -> Figure:
        cells = [atomic.get((wid, group, code), Cell(0)) for wid in window_ids
                 if group in surveyed[wid] and code in asked(wid, group)]
        return pool(cells, k) if cells else NOT_ASKED

    def count_figure(window_ids: Iterable[int], group: str) -> Figure:
        cells = [Cell(counted.get((wid, group), 0)) for wid in window_ids
                 if group in surveyed[wid]]
        return pool(cells, k) if cells else NOT_ASKED

    result = Results(scope_label=scope_label, year=year, groups=groups,
                     windows=list(windows), min_cell=k)
    for code in codes:
        cells = [item_figure(ids, g, code) for g in groups]
        label, topic = labels[code]
        result.rows.append(Row(code, label, topic, cells, row_total(cells)))
        result.left_out += sum(c.left_out for c in cells)
    result.responses = [count_figure(ids, g) for g in groups]
    result.responses_total = row_total(result.responses)
    by_school: dict[int, list[Campaign]] = defaultdict(list)
    for w in windows:
        by_school[w.school_id].append(w)
    for school_windows in sorted(by_school.values(), key=lambda ws: ws[0].school.name):
        wids = [w.pk for w in school_windows]
        figures = [count_figure(wids, g) for g in groups]
        result.schools.append(SchoolRow(school_windows[0].school, figures, row_total(figures)))
    return result


# ---------------------------------------------------------------- scopes


@dataclass
class Scope:
    kind: str  # all, agency, district, school
    pk: int | None
    label: str
    school_ids: list[int]

    @property
    def value(self) -> str:
        return "all" if self.kind == "all" else f"{self.kind}:{self.pk}"


def scopes_for(user: Any) -> list[Scope]:
    """Everything the user may read, then each agency (program), district and school."""
    school_ids = set(readable_windows(user).values_list("school_id", flat=True))
    schools = list(School.objects.filter(pk__in=school_ids).select_related("district"))
    ids = sorted(s.pk for s in schools)
    options = [Scope("all", None, _("All schools in my scope"), ids)]
    district_ids = {s.district_id for s in schools}
    for agency in restrict(Agency.objects.prefetch_related("districts_served"), user, VIEW):
        served = {d.pk for d in agency.districts_served.all()} & district_ids
        if served:
            options.append(Scope("agency", agency.pk, str(agency),
                                 [s.pk for s in schools if s.district_id in served]))
    for district in District.objects.filter(pk__in=district_ids).order_by("name"):
        options.append(Scope("district", district.pk, str(district),
                             [s.pk for s in schools if s.district_id == district.pk]))
    for school in sorted(schools, key=lambda s: s.name):
        options.append(Scope("school", school.pk, str(school), [school.pk]))
    return options


def resolve_scope(user: Any, value: str | None) -> Scope:
    if not may_read_results(user):
        raise PermissionDenied("Your role does not read survey results.")
    options = scopes_for(user)
    if not value or value == "all":
        return options[0]
    for scope in options:
        if scope.value == value:
            return scope
    raise ValidationError({"scope": f"Unknown or out-of-scope choice {value!r}."})


def years_for(user: Any) -> list[SchoolYear]:
    ids = readable_windows(user).values("school_year_id")
    return list(SchoolYear.objects.filter(pk__in=ids).order_by("-start_date"))


def default_year(user: Any, today: datetime.date | None = None) -> SchoolYear | None:
    """The latest year with a closed window the user may read, else the current year."""
    today = today or datetime.date.today()
    latest = readable_windows(user).filter(closes_on__lt=today).select_related(
        "school_year").order_by("-closes_on").first()
    if latest is not None:
        return latest.school_year
    return SchoolYear.for_date(today) or SchoolYear.objects.first()


def resolve_year(user: Any, code: str | None, today: datetime.date | None = None
                 ) -> SchoolYear | None:
    if not code:
        return default_year(user, today)
    year = SchoolYear.objects.filter(code=code).first()
    if year is None:
        raise ValidationError({"school_year": f"Unknown school year {code!r}."})
    return year


def results(user: Any, year: SchoolYear | None, scope: Scope, window: int | None = None,
            today: datetime.date | None = None) -> Results:
    """Suppressed results of the closed windows in ``scope`` and ``year`` (or of one
    window), pooled per group and question; plus per-school response counts."""
    today = today or datetime.date.today()
    windows = readable_windows(user).filter(school_id__in=scope.school_ids).select_related(
        "school", "school_year").order_by("school__name", "opens_on")
    if year is not None:
        windows = windows.filter(school_year=year)
    if window is not None:
        windows = windows.filter(pk=window)
    closed = [w for w in windows if w.has_closed(today)]
    out = build_results(user, closed, min_cell(), scope.label, year)
    out.pending = [w for w in windows if not w.has_closed(today)]
    return out


def window_counts(user: Any, window: Campaign) -> tuple[list[str], list[Figure], Figure]:
    """Responses received so far in one window, per group, suppressed (the manager's
    progress view; no ratings). Returns (groups, figures, total)."""
    rows = restrict(Response.objects.filter(campaign=window), user, RESULTS).values(
        "group").annotate(n=Count("id"))
    counted = {r["group"]: r["n"] for r in rows}
    groups = [g for g in GROUP_ORDER if g in window.groups or g in counted]
    figures = [pool([Cell(counted.get(g, 0))], min_cell()) for g in groups]
    return groups, figures, row_total(figures)


def results_for_school(user: Any, school: Any, start: datetime.date,
                       end: datetime.date) -> list[dict[str, Any]]:
    """Suppressed, aggregated results for one school and period, per question and
    respondent group, scoped to ``user``. Each item: question, group, responses (int or
    None when suppressed), mean (float or None), suppressed (bool).

    Also given: ``question_code`` (stable across groups and years), ``group_label``,
    ``left_out`` (windows whose answers were too few to include). The period takes whole
    survey windows: those of the school that overlap ``start``–``end`` and have closed
    (never part of a window, which would let two periods be subtracted). Questions not
    put to a group are left out. Empty when the user may not read this school's
    results or no window qualifies.
    """
    today = datetime.date.today()
    windows = list(readable_windows(user).filter(
        school_id=getattr(school, "pk", school), opens_on__lte=end, closes_on__gte=start,
        closes_on__lt=today).select_related("school"))
    if not windows:
        return []
    table = build_results(user, windows, min_cell())
    items: list[dict[str, Any]] = []
    for row in table.rows:
        for group, fig in zip(table.groups, row.cells, strict=True):
            if not fig.asked:
                continue
            items.append({
                "question": row.label, "question_code": row.code, "group": group,
                "group_label": str(group_label(group)), "responses": fig.responses,
                "mean": fig.mean, "suppressed": fig.suppressed, "left_out": fig.left_out,
            })
    return items
