"""API endpoints of the surveys app (mounted under /api/surveys/).

Questionnaires (read), survey windows (list, read, create, change, new link) and the
suppressed results. Reads go through ``restrict``; writes through ``services`` (the
same as the web pages). Single responses are never served: the public answers
through the survey page, and everybody reads suppressed aggregates.
"""


import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import FilterSchema, Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from opensro.core.permissions import ADD, CHANGE, VIEW, can, restrict
from opensro.directory.models import School
from opensro.surveys import selectors, services
from opensro.surveys.models import Campaign, Questionnaire, SurveyLink
from opensro.surveys.suppression import Figure

router = Router(tags=["surveys"])


# ---------------------------------------------------------------- schemas


class QuestionOut(Schema):
    id: int
    position: int
    code: str
    topic: str
    label_en: str
    label_es: str
    text_en: str
    text_es: str


class QuestionnaireOut(Schema):
    id: int
    code: str
    group: str
    version: int
    title_en: str
    title_es: str
    intro_en: str
    intro_es: str
    active: bool
    questions: list[QuestionOut]

    @staticmethod
    def resolve_questions(obj: Questionnaire) -> list[Any]:
        return list(obj.questions.all())


class LinkOut(Schema):
    group: str
    questionnaire_id: int
    path: str

    @staticmethod
    def resolve_path(obj: SurveyLink) -> str:
        return reverse("survey-respond", args=[obj.token])


class CountOut(Schema):
    group: str
    responses: int | None
    suppressed: bool


class WindowOut(Schema):
    id: int
    school_id: int
    school_year: str
    name: str
    opens_on: datetime.date
    closes_on: datetime.date
    groups: list[str]
    status: str
    links: list[LinkOut]

    @staticmethod
    def resolve_school_year(obj: Campaign) -> str:
        return obj.school_year.code

    @staticmethod
    def resolve_status(obj: Campaign) -> str:
        return obj.status()

    @staticmethod
    def resolve_links(obj: Campaign) -> list[Any]:
        return [link for link in obj.links.all() if link.group in obj.groups]


class WindowDetailOut(WindowOut):
    responses: list[CountOut]

    @staticmethod
    def resolve_responses(obj: Campaign) -> list[dict[str, Any]]:
        return list(getattr(obj, "response_counts", []))


class WindowIn(Schema):
    school_id: int
    opens_on: datetime.date
    closes_on: datetime.date
    groups: list[str]
    name: str = ""


class WindowPatch(Schema):
    name: str | None = None
    opens_on: datetime.date | None = None
    closes_on: datetime.date | None = None
    groups: list[str] | None = None


class RenewIn(Schema):
    reason: str = ""


class WindowFilter(FilterSchema):
    school_id: int | None = None
    school_year: str | None = None

    def filter_school_year(self, value: str | None) -> Any:
        from django.db.models import Q

        return Q(school_year__code=value) if value else Q()


class FigureOut(Schema):
    responses: int | None
    mean: float | None
    suppressed: bool
    asked: bool
    left_out: int


class GroupFigureOut(FigureOut):
    group: str


class ResultRowOut(Schema):
    question_code: str
    question: str
    topic: str
    groups: list[GroupFigureOut]
    total: FigureOut


class SchoolRowOut(Schema):
    school_id: int
    school: str
    groups: list[GroupFigureOut]
    total: FigureOut


class ResultsOut(Schema):
    scope: str
    scope_label: str
    school_year: str | None
    min_cell_size: int
    windows: list[int]
    windows_not_closed: list[int]
    groups: list[str]
    responses: list[GroupFigureOut]
    responses_total: FigureOut
    questions: list[ResultRowOut]
    schools: list[SchoolRowOut]


class SchoolResultOut(Schema):
    question: str
    question_code: str
    group: str
    group_label: str
    responses: int | None
    mean: float | None
    suppressed: bool
    left_out: int


# ---------------------------------------------------------------- questionnaires


@router.get("/questionnaires", response=list[QuestionnaireOut],
            summary="List the questionnaires", operation_id="list_survey_questionnaires")
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_questionnaires(request: HttpRequest) -> Any:
    return restrict(Questionnaire.objects.prefetch_related("questions"), request.user, VIEW)


@router.get("/questionnaires/{item_id}", response=QuestionnaireOut,
            summary="Read one questionnaire", operation_id="get_survey_questionnaire")
def get_questionnaire(request: HttpRequest, item_id: int) -> Any:
    obj = restrict(Questionnaire.objects.all(), request.user, VIEW).filter(pk=item_id).first()
    if obj is None:
        raise Http404(f"No questionnaire {item_id}.")
    return obj


# ---------------------------------------------------------------- survey windows


def _windows(request: HttpRequest, action: str = VIEW) -> Any:
    return restrict(Campaign.objects.select_related("school_year").prefetch_related("links"),
                    request.user, action)


def _detail(request: HttpRequest, window: Campaign) -> Campaign:
    """The window with its response counts so far (suppressed) for WindowDetailOut."""
    groups, figures, _total = selectors.window_counts(request.user, window)
    window.response_counts = [  # type: ignore[attr-defined]
        {"group": g, "responses": f.responses, "suppressed": f.suppressed}
        for g, f in zip(groups, figures, strict=True)]
    return window


def _get_window(request: HttpRequest, item_id: int) -> Campaign:
    window = _windows(request).filter(pk=item_id).first()
    if window is None:
        raise Http404(f"No survey window {item_id} in your scope.")
    return window


@router.get("/windows", response=list[WindowOut], summary="List survey windows",
            operation_id="list_survey_windows")
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_windows(request: HttpRequest, filters: Query[WindowFilter]) -> Any:
    return filters.filter(_windows(request))


@router.get("/windows/{item_id}", response=WindowDetailOut, summary="Read one survey window",
            operation_id="get_survey_window")
def get_window(request: HttpRequest, item_id: int) -> Any:
    return _detail(request, _get_window(request, item_id))


@router.post("/windows", response={201: WindowDetailOut}, summary="Set up a survey window",
             operation_id="create_survey_window")
def create_window(request: HttpRequest, payload: WindowIn) -> Any:
    if not can(request.user, ADD, Campaign):
        raise PermissionDenied("You may not set up a survey window.")
    data = payload.model_dump()
    school = restrict(School.objects.filter(pk=data.pop("school_id")), request.user,
                      CHANGE).first()
    if school is None:
        raise ValidationError({"school_id": f"No school {payload.school_id} that you may "
                                            "set up a survey window at."})
    data["school"] = school
    window = services.create_campaign(request.user, data)  # type: ignore[arg-type]
    return Status(201, _detail(request, _get_window(request, window.pk)))


@router.patch("/windows/{item_id}", response=WindowDetailOut,
              summary="Change a survey window", operation_id="update_survey_window")
def update_window(request: HttpRequest, item_id: int, payload: WindowPatch) -> Any:
    window = _get_window(request, item_id)
    data = payload.model_dump(exclude_unset=True)
    saved = services.update_campaign(request.user, window, data)  # type: ignore[arg-type]
    return _detail(request, _get_window(request, saved.pk))


@router.post("/windows/{item_id}/links/{group}/renew", response=WindowDetailOut,
             summary="Issue a new link for one group",
             operation_id="renew_survey_link")
def renew_link(request: HttpRequest, item_id: int, group: str, payload: RenewIn) -> Any:
    window = _get_window(request, item_id)
    link = window.links.filter(group=group).first()
    if link is None or not link.active:
        raise Http404("This window has no link for that group.")
    services.renew_link(request.user, link, payload.reason)  # type: ignore[arg-type]
    return _detail(request, _get_window(request, item_id))


# ---------------------------------------------------------------- results


def _figure(fig: Figure) -> dict[str, Any]:
    return {"responses": fig.responses, "mean": fig.mean if fig.shown else None,
            "suppressed": fig.suppressed, "asked": fig.asked, "left_out": fig.left_out}


@router.get("/results", response=ResultsOut, summary="Suppressed survey results",
            operation_id="survey_results")
def results(request: HttpRequest, school_year: str | None = None, scope: str | None = None,
            window: int | None = None) -> Any:
    """Closed windows' results in a scope (``all``, ``agency:ID``, ``district:ID``,
    ``school:ID``) and school year, per respondent group and question; counts from 1 to
    MIN_CELL_SIZE − 1 are hidden (``suppressed``), and so is a total across groups when
    one of them is."""
    chosen = selectors.resolve_scope(request.user, scope)
    year = selectors.resolve_year(request.user, school_year)
    table = selectors.results(request.user, year, chosen, window)

    def by_group(figs: list[Figure], counts: bool = False) -> list[dict[str, Any]]:
        out = []
        for group, fig in zip(table.groups, figs, strict=True):
            item = {"group": group, **_figure(fig)}
            if counts:
                item["mean"] = None
            out.append(item)
        return out

    responses_total = _figure(table.responses_total)
    responses_total["mean"] = None
    schools = []
    for row in table.schools:
        total = _figure(row.total)
        total["mean"] = None
        schools.append({"school_id": row.school.pk, "school": str(row.school),
                        "groups": by_group(row.responses, True), "total": total})
    return {
        "scope": chosen.value, "scope_label": chosen.label,
        "school_year": year.code if year else None, "min_cell_size": table.min_cell,
        "windows": [w.pk for w in table.windows],
        "windows_not_closed": [w.pk for w in table.pending],
        "groups": table.groups,
        "responses": by_group(table.responses, True), "responses_total": responses_total,
        "questions": [{"question_code": r.code, "question": r.label, "topic": r.topic,
                       "groups": by_group(r.cells), "total": _figure(r.total)}
                      for r in table.rows],
        "schools": schools,
    }


@router.get("/results/schools/{school_id}", response=list[SchoolResultOut],
            summary="Suppressed results of one school over a period",
            operation_id="survey_results_for_school")
def school_results(request: HttpRequest, school_id: int, start: datetime.date,
                   end: datetime.date) -> Any:
    """The results of the school's closed windows that overlap ``start``–``end``."""
    if not selectors.may_read_results(request.user):
        raise PermissionDenied("Your role does not read survey results.")
    school = restrict(School.objects.filter(pk=school_id), request.user, VIEW).first()
    if school is None:
        raise Http404(f"No school {school_id} in your scope.")
    if end < start:
        raise ValidationError({"end": "The period must end on or after its start."})
    return selectors.results_for_school(request.user, school, start, end)
