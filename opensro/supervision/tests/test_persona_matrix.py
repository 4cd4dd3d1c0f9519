"""The persona matrix of the supervision app: every scoped model × the nine personas ×
list, detail, create, edit, through the web pages and the API (architecture rule 3;
R-F1…R-F3).

Expected outcomes are written out by hand below (``ALLOWED`` and ``VISIBLE``), read off
the models' ``role_permissions`` and ``scope_paths`` and the world of
``tests/world.py``; they are not computed with ``restrict()``.

The world: officer A (the sro persona) and peer A work in county A (schools A1 and A2),
officer B and peer B in county B. The school administrator holds school A1, the district
administrator district A; supervisor and agency administrator agency A.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.db import models

from conftest import PERSONAS, World, last_seq, login, module_world
from opensro.core.models import AuditEvent
from opensro.directory import services as ds
from opensro.supervision.models import (
    EarlyWarningResult,
    Evaluation,
    EvaluationInput,
    RatingInstrument,
    Review,
)
from opensro.supervision.tests import world as sw

WEB, API = "web", "api"
LIST, DETAIL, CREATE, EDIT = "list", "detail", "create", "edit"


def _extra_assignments(world: World) -> None:
    """After the reviews are planned: peer A also covers school A1 (and peer B school
    B1) in the spring, so that a review of that pair can still be created."""
    import datetime

    sw.prepare(world)
    for tag in ("a", "b"):
        ds.create_assignment(None, {
            "officer": world.objects[f"peer_{tag}"], "school": world.objects[f"school_{tag}1"],
            "start_date": datetime.date(2026, 1, 5), "primary": False})


@pytest.fixture(scope="module")
def shared_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    yield from module_world(django_db_blocker, _extra_assignments)


# --------------------------------------------------------------------------- the table

MODELS: dict[str, tuple[type[models.Model], tuple[str, ...]]] = {
    "early-warning": (EarlyWarningResult, ("ew_a", "ew_peer_a", "ew_b", "ew_peer_b")),
    "reviews": (Review, ("review_a1", "review_a2", "review_b1", "review_b2", "review_a1s",
                         "review_a2s", "review_b1s", "review_b2s")),
    "evaluations": (Evaluation, ("eval_a_done", "eval_a", "eval_peer_a", "eval_b")),
    "inputs": (EvaluationInput, ("input_a_done", "input_a", "input_peer_a", "input_b")),
    "instruments": (RatingInstrument, ("standard", "instrument_a", "instrument_b")),
}

_ = frozenset
NONE: frozenset[str] = _()
R = _({LIST, DETAIL})
RC = _({LIST, DETAIL, CREATE})
RE = _({LIST, DETAIL, EDIT})
RCE = _({LIST, DETAIL, CREATE, EDIT})

ALLOWED: dict[str, dict[str, frozenset[str]]] = {
    "sro": {"early-warning": R, "reviews": R, "evaluations": R, "inputs": R,
            "instruments": R},
    "supervisor": {"early-warning": R, "reviews": RCE, "evaluations": RCE, "inputs": RC,
                   "instruments": R},
    "agency_admin": {"early-warning": R, "reviews": RCE, "evaluations": RCE, "inputs": RC,
                     "instruments": RCE},
    # School administrators take part in reviews and give evaluation input (R-F2, R-F3);
    # the early warning and the ratings stay in the agency's chain of command.
    "school_admin": {"early-warning": NONE, "reviews": R, "evaluations": NONE, "inputs": RE,
                     "instruments": NONE},
    "district_admin": {"early-warning": NONE, "reviews": R, "evaluations": NONE,
                       "inputs": NONE, "instruments": NONE},
    "analyst": dict.fromkeys(MODELS, NONE),
    "auditor": dict.fromkeys(MODELS, R),
    "system_admin": {"early-warning": R, "reviews": RCE, "evaluations": RCE, "inputs": RCE,
                     "instruments": RCE},
    "outsider": dict.fromkeys(MODELS, NONE),
}

EVERYTHING = {slug: _(names) for slug, (_m, names) in MODELS.items()}
AGENCY_A = {
    "early-warning": _({"ew_a", "ew_peer_a"}),
    "reviews": _({"review_a1", "review_a2", "review_a1s", "review_a2s"}),
    # Officer A's completed and draft evaluations, peer A's draft.
    "evaluations": _({"eval_a_done", "eval_a", "eval_peer_a"}),
    "inputs": _({"input_a_done", "input_a", "input_peer_a"}),
    "instruments": _({"standard", "instrument_a"}),
}
VISIBLE: dict[str, dict[str, frozenset[str]]] = {
    # The SRO sees their own: their results, reviews, *completed* evaluation and its input.
    "sro": {"early-warning": _({"ew_a"}), "reviews": _({"review_a1", "review_a1s"}),
            "evaluations": _({"eval_a_done"}), "inputs": _({"input_a_done"}),
            "instruments": _({"standard", "instrument_a"})},
    "supervisor": AGENCY_A,
    "agency_admin": AGENCY_A,
    "school_admin": {"early-warning": NONE, "reviews": _({"review_a1", "review_a1s"}),
                     "evaluations": NONE, "inputs": _({"input_a_done", "input_a"}),
                     "instruments": NONE},
    "district_admin": {"early-warning": NONE,
                       "reviews": _({"review_a1", "review_a2", "review_a1s", "review_a2s"}),
                       "evaluations": NONE, "inputs": NONE, "instruments": NONE},
    "analyst": dict.fromkeys(MODELS, NONE),
    "auditor": EVERYTHING,
    "system_admin": EVERYTHING,
    "outsider": dict.fromkeys(MODELS, NONE),
}
COUNTY_B = {"ew_b", "ew_peer_b", "review_b1", "review_b2", "review_b1s", "review_b2s",
            "eval_b", "input_b", "instrument_b"}


def test_matrix_covers_every_scoped_supervision_model() -> None:
    scoped = {m for m in apps.get_app_config("supervision").get_models()
              if getattr(m, "scope_paths", None)}
    assert scoped == {model for model, _names in MODELS.values()}
    assert set(ALLOWED) == set(VISIBLE) == set(PERSONAS)
    for persona in PERSONAS:
        assert set(ALLOWED[persona]) == set(VISIBLE[persona]) == set(MODELS)


def test_table_is_consistent() -> None:
    for persona in PERSONAS:
        for slug in MODELS:
            sees = VISIBLE[persona][slug]
            assert sees <= EVERYTHING[slug]
            assert (DETAIL in ALLOWED[persona][slug]) == bool(sees), (persona, slug)
            if persona in ("sro", "supervisor", "agency_admin", "school_admin",
                           "district_admin"):
                assert not sees & COUNTY_B, (persona, slug)


# --------------------------------------------------------------------------- helpers


WEB_ROOT = {"early-warning": "/supervision/early-warning/", "reviews": "/supervision/reviews/",
            "evaluations": "/supervision/evaluations/", "inputs": "/supervision/inputs/",
            "instruments": "/supervision/instruments/"}
API_ROOT = {slug: "/api" + root.removesuffix("/") for slug, root in WEB_ROOT.items()}
LIST_QUERY = {"reviews": {"status": "all"}, "early-warning": {}}


def listed(slug: str, response: Any, channel: str) -> set[int]:
    if channel == API:
        body = response.json()
        assert body["count"] == len(body["items"])
        return {item["id"] for item in body["items"]}
    return {int(pk) for pk in re.findall(rf'href="{WEB_ROOT[slug]}(\d+)/"',
                                         response.content.decode())}


def events() -> int:
    return AuditEvent.objects.count()


def _post_value(value: Any) -> Any:
    if value is None:
        return ""
    if hasattr(value, "pk"):
        return str(value.pk)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def form_post(form: Any, **changes: Any) -> dict[str, Any]:
    """The POST data a browser would send for ``form`` as rendered, with changes."""
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = changes[name] if name in changes else form[name].value()
        key = form.add_prefix(name)
        if isinstance(value, bool):
            if value:
                data[key] = "on"
            continue
        if isinstance(value, list | tuple):
            data[key] = [_post_value(v) for v in value]
        else:
            data[key] = _post_value(value)
        del field
    return data


# --------------------------------------------------------------------------- create specs


@dataclass(frozen=True)
class CreateSpec:
    page: Callable[[World], str]
    web: Callable[[World], dict[str, Any]]
    api_url: Callable[[World], str]
    api: Callable[[World], dict[str, Any]]
    find: Callable[[World], models.QuerySet[Any]]
    action: str


CREATE_SPECS: dict[str, CreateSpec] = {
    "reviews": CreateSpec(
        lambda w: "/supervision/reviews/new/",
        lambda w: {"officer": w.peer_a.pk, "school": w.school_a1.pk,
                   "school_year": w.year.pk, "half": "spring"},
        lambda w: "/api/supervision/reviews",
        lambda w: {"officer_id": w.peer_a.pk, "school_id": w.school_a1.pk,
                   "school_year": "2025-26", "half": "spring"},
        lambda w: Review.objects.filter(officer=w.peer_a, school=w.school_a1),
        "create"),
    "evaluations": CreateSpec(
        lambda w: "/supervision/evaluations/new/",
        lambda w: {"officer": w.peer_a.pk, "instrument": w.standard.pk,
                   "period_start": "2024-08-01", "period_end": "2025-06-30",
                   "evaluator": w.users["supervisor"].pk},
        lambda w: "/api/supervision/evaluations",
        lambda w: {"officer_id": w.peer_a.pk, "instrument_id": w.standard.pk,
                   "period_start": "2024-08-01", "period_end": "2025-06-30",
                   "evaluator_id": w.users["supervisor"].pk},
        lambda w: Evaluation.objects.filter(officer=w.peer_a, period_end="2025-06-30"),
        "create"),
    "inputs": CreateSpec(
        lambda w: f"/supervision/evaluations/{w.eval_peer_a.pk}/inputs/new/",
        lambda w: {"school": w.school_a1.pk},
        lambda w: f"/api/supervision/evaluations/{w.eval_peer_a.pk}/inputs",
        lambda w: {"school_id": w.school_a1.pk},
        lambda w: EvaluationInput.objects.filter(evaluation=w.eval_peer_a, school=w.school_a1),
        "request_input"),
    "instruments": CreateSpec(
        lambda w: f"/supervision/instruments/{w.standard.pk}/copy/",
        lambda w: {"name": "Agency A, second version", "agency": w.agency_a.pk},
        lambda w: f"/api/supervision/instruments/{w.standard.pk}/copy",
        lambda w: {"name": "Agency A, second version", "agency_id": w.agency_a.pk},
        lambda w: RatingInstrument.objects.filter(name="Agency A, second version"),
        "copy_instrument"),
}

# --------------------------------------------------------------------------- edit specs


def _review_form(w: World, obj: Any, value: str) -> dict[str, Any]:
    from opensro.supervision.forms import ReviewScheduleForm

    return form_post(ReviewScheduleForm(review=obj), location=value)


def _evaluation_form(w: World, obj: Any, value: str) -> dict[str, Any]:
    from opensro.supervision.forms import EvaluationEditForm

    return form_post(EvaluationEditForm(evaluation=obj), summary=value)


def _input_form(w: World, obj: Any, value: str) -> dict[str, Any]:
    return {"works_well": value, "concerns": ""}


def _instrument_form(w: World, obj: Any, value: str) -> dict[str, Any]:
    from opensro.supervision.forms import CriterionFormSet, InstrumentForm

    data = form_post(InstrumentForm(instance=obj), name=value)
    initial = [{"id": c.pk, "code": c.code, "label": c.label, "guidance": c.guidance,
                "requirement": c.requirement, "sort_order": c.sort_order}
               for c in obj.criteria.all()]
    formset = CriterionFormSet(initial=initial, prefix="c")
    data.update(form_post(formset.management_form))
    for form in formset.forms:
        data.update(form_post(form))
    return data


@dataclass(frozen=True)
class EditSpec:
    targets: tuple[str, str]  # (county A, county B)
    web: Callable[[World, Any, str], dict[str, Any]]
    field: str
    api_field: str


EDIT_SPECS: dict[str, EditSpec] = {
    "reviews": EditSpec(("review_a1", "review_b1"), _review_form, "location", "location"),
    "evaluations": EditSpec(("eval_a", "eval_b"), _evaluation_form, "summary", "summary"),
    "inputs": EditSpec(("input_a", "input_b"), _input_form, "works_well", "works_well"),
    "instruments": EditSpec(("instrument_a", "instrument_b"), _instrument_form, "name",
                            "name"),
}

CASES = [(p, s, c) for p in PERSONAS for s in MODELS for c in (WEB, API)]
IDS = [f"{p}-{s}-{c}" for p, s, c in CASES]


# --------------------------------------------------------------------------- the tests


@pytest.mark.parametrize(("persona", "slug", "channel"), CASES, ids=IDS)
def test_list(w: World, persona: str, slug: str, channel: str) -> None:
    client = login(w, persona)
    if channel == WEB:
        response = client.get(WEB_ROOT[slug], LIST_QUERY.get(slug, {}))
    else:
        response = client.get(API_ROOT[slug], {"page_size": 500, **LIST_QUERY.get(slug, {})})
    if LIST not in ALLOWED[persona][slug]:
        assert response.status_code == 403, response.content[:300]
        return
    assert response.status_code == 200
    seen = listed(slug, response, channel)
    expected = {w.objects[n].pk for n in VISIBLE[persona][slug]}
    hidden = {w.objects[n].pk for n in EVERYTHING[slug] - VISIBLE[persona][slug]}
    if slug == "early-warning":
        # Every measure of a visible SRO is listed: the named results among them.
        assert expected <= seen and not hidden & seen
        officers = {EarlyWarningResult.objects.get(pk=pk).officer_id for pk in seen}
        assert officers == {w.objects[n].officer_id for n in VISIBLE[persona][slug]}
    else:
        assert seen == expected


@pytest.mark.parametrize(("persona", "slug", "channel"), CASES, ids=IDS)
def test_detail(w: World, persona: str, slug: str, channel: str) -> None:
    client = login(w, persona)
    for name in sorted(EVERYTHING[slug]):
        obj = w.objects[name]
        url = f"{WEB_ROOT[slug]}{obj.pk}/" if channel == WEB else f"{API_ROOT[slug]}/{obj.pk}"
        response = client.get(url)
        if name in VISIBLE[persona][slug]:
            assert response.status_code == 200, (name, response.content[:300])
            if channel == WEB:
                assert html.escape(str(obj)) in response.content.decode()
            else:
                assert response.json()["id"] == obj.pk
        else:
            assert response.status_code in (403, 404), name
            assert html.escape(str(obj)) not in response.content.decode()


@pytest.mark.parametrize(("persona", "slug", "channel"), CASES, ids=IDS)
def test_create(w: World, persona: str, slug: str, channel: str) -> None:
    client = login(w, persona)
    spec = CREATE_SPECS.get(slug)
    before, seq = events(), last_seq()
    if spec is None:  # early-warning results are computed, never entered
        if channel == WEB:
            assert client.get(f"{WEB_ROOT[slug]}new/").status_code == 404
        else:
            response = client.post(API_ROOT[slug], "{}", content_type="application/json")
            assert response.status_code in (404, 405)
        assert events() == before
        return
    allowed = CREATE in ALLOWED[persona][slug]
    if channel == WEB:
        page = client.get(spec.page(w))
        assert page.status_code == 200 if allowed else page.status_code in (403, 404)
        response = client.post(spec.page(w), spec.web(w))
    else:
        response = client.post(spec.api_url(w), json.dumps(spec.api(w)),
                               content_type="application/json")
    if not allowed:
        assert response.status_code in (403, 404), response.content[:300]
        assert not spec.find(w).exists()
        assert events() == before
        return
    assert response.status_code in ((302,) if channel == WEB else (201,)), \
        response.content.decode()[-1500:]
    created = spec.find(w).get()
    new = AuditEvent.objects.filter(seq__gt=seq)
    assert new.exists()
    assert set(new.values_list("actor_id", flat=True)) == {w.users[persona].pk}
    assert new.filter(action=spec.action, object_id=str(created.pk)).exists()


@pytest.mark.parametrize(("persona", "slug", "channel"), CASES, ids=IDS)
def test_edit(w: World, persona: str, slug: str, channel: str) -> None:
    client = login(w, persona)
    spec = EDIT_SPECS.get(slug)
    if spec is None:
        for name in EVERYTHING[slug]:
            pk = w.objects[name].pk
            if channel == WEB:
                assert client.get(f"{WEB_ROOT[slug]}{pk}/edit/").status_code == 404
            else:
                response = client.patch(f"{API_ROOT[slug]}/{pk}", "{}",
                                        content_type="application/json")
                assert response.status_code in (404, 405)
        return
    for name in spec.targets:
        obj = sw.refresh(w.objects[name])
        visible = name in VISIBLE[persona][slug]
        allowed = EDIT in ALLOWED[persona][slug] and visible
        value = f"Edited by {persona} ({name})"
        before, count = getattr(obj, spec.field), events()
        if channel == WEB:
            url = f"{WEB_ROOT[slug]}{obj.pk}/edit/"
            page = client.get(url)
            assert page.status_code == (200 if allowed else 403 if visible else 404), name
            response = client.post(url, spec.web(w, obj, value))
        else:
            response = client.patch(f"{API_ROOT[slug]}/{obj.pk}",
                                    json.dumps({spec.api_field: value}),
                                    content_type="application/json")
        fresh = sw.refresh(obj)
        if not allowed:
            assert response.status_code == (403 if visible else 404), (name, response.content)
            assert getattr(fresh, spec.field) == before
            assert events() == count
            continue
        assert response.status_code == (302 if channel == WEB else 200), \
            response.content.decode()[-1500:]
        assert getattr(fresh, spec.field) == value
        event = AuditEvent.objects.order_by("-seq").first()
        assert event is not None and event.actor_id == w.users[persona].pk
        assert event.object_id == str(obj.pk)
        assert event.before[spec.field] == before and event.after[spec.field] == value


# --------------------------------------------------------------------------- other views

#: The supervision page and menu entry: everyone with any supervision role.
HOME = {"sro": 200, "supervisor": 200, "agency_admin": 200, "school_admin": 200,
        "district_admin": 200, "analyst": 403, "auditor": 200, "system_admin": 200,
        "outsider": 403}
#: The review's steps on review A1: who may complete it, who may add the school's input.
COMPLETE = {"sro": 403, "supervisor": 200, "agency_admin": 200, "school_admin": 403,
            "district_admin": 403, "analyst": 404, "auditor": 403, "system_admin": 200,
            "outsider": 404}
SCHOOL_INPUT = {"sro": 403, "supervisor": 403, "agency_admin": 403, "school_admin": 200,
                "district_admin": 403, "analyst": 404, "auditor": 403, "system_admin": 200,
                "outsider": 404}


@pytest.mark.parametrize("persona", PERSONAS)
def test_supervision_page_and_menu(w: World, persona: str) -> None:
    client = login(w, persona)
    assert client.get("/supervision/").status_code == HOME[persona]
    menu = client.get("/dashboard/").content.decode()
    assert ('href="/supervision/"' in menu) == (HOME[persona] == 200)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_completes_a_review_and_who_adds_the_schools_input(w: World,
                                                               persona: str) -> None:
    client, review = login(w, persona), w.review_a1
    count = events()
    response = client.post(f"/api/supervision/reviews/{review.pk}/school-input",
                           json.dumps({"school_input": "Discuss October."}),
                           content_type="application/json")
    assert response.status_code == SCHOOL_INPUT[persona]
    assert events() == count + (SCHOOL_INPUT[persona] == 200)
    response = client.post(f"/api/supervision/reviews/{review.pk}/complete", json.dumps({
        "meeting_on": "2026-01-20", "attendees": "All three", "minutes": "Reviewed."}),
        content_type="application/json")
    assert response.status_code == COMPLETE[persona]
    status = Review.objects.get(pk=review.pk).status
    assert status == ("completed" if COMPLETE[persona] == 200 else "planned")
