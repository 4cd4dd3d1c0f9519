"""The persona matrix of the program app: every model × every persona × list, detail,
create, edit, through the web pages and the API; and every page of the app (compliance,
staffing, the signed document, the checklist) for every persona (architecture rule 3).

The expected outcomes are written out by hand below, read off each model's
``role_permissions`` and ``scope_paths`` and the two-county world of ``conftest.py``
(plus an executed MOU, a review and staffing factors in each county). They are not
computed with ``restrict()``.
"""

from __future__ import annotations

import datetime
import html
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.test import Client, override_settings

from conftest import PERSONAS, World, login, module_world
from opensro.core import audit
from opensro.core.models import AuditEvent
from opensro.program import services
from opensro.program.models import (
    Mou,
    MouElement,
    MouElementEntry,
    MouReview,
    StaffingFactors,
)
from opensro.program.tests.helpers import TODAY, add_mous, pdf

WEB, API = "web", "api"
LIST, DETAIL, CREATE, EDIT = "list", "detail", "create", "edit"

_ = frozenset
NONE: frozenset[str] = _()
R = _({LIST, DETAIL})
RCE = _({LIST, DETAIL, CREATE, EDIT})

#: slug -> (model, county A objects, county B objects); the catalog element is global.
MODELS: dict[str, tuple[type[models.Model], tuple[str, ...], tuple[str, ...]]] = {
    "mous": (Mou, ("mou_a",), ("mou_b",)),
    "reviews": (MouReview, ("review_a",), ("review_b",)),
    "mou-elements": (MouElement, ("element",), ()),
    "staffing-factors": (StaffingFactors, ("factors_a",), ("factors_b",)),
}

#: persona -> model -> allowed actions (on the objects the persona sees).
ALLOWED: dict[str, dict[str, frozenset[str]]] = {
    "sro": {"mous": R, "reviews": R, "mou-elements": R, "staffing-factors": R},
    "supervisor": {"mous": R, "reviews": R, "mou-elements": R, "staffing-factors": R},
    # The two parties of an MOU edit it, its checklist and its reviews.
    "agency_admin": {"mous": RCE, "reviews": RCE, "mou-elements": R, "staffing-factors": R},
    "school_admin": {"mous": R, "reviews": R, "mou-elements": R, "staffing-factors": RCE},
    "district_admin": {"mous": RCE, "reviews": RCE, "mou-elements": R,
                       "staffing-factors": RCE},
    # Analysts read published MOUs on the public portal, not the MOU records.
    "analyst": {"mous": NONE, "reviews": NONE, "mou-elements": R, "staffing-factors": R},
    "auditor": {"mous": R, "reviews": R, "mou-elements": R, "staffing-factors": R},
    "system_admin": {"mous": RCE, "reviews": RCE, "mou-elements": RCE,
                     "staffing-factors": RCE},
    "outsider": {"mous": NONE, "reviews": NONE, "mou-elements": NONE,
                 "staffing-factors": NONE},
}

EVERYTHING = {
    "mous": _({"mou_a", "mou_b"}),
    "reviews": _({"review_a", "review_b"}),
    "mou-elements": _({"element"}),
    "staffing-factors": _({"factors_a", "factors_b"}),
}
COUNTY_A = {
    "mous": _({"mou_a"}),
    "reviews": _({"review_a"}),
    "mou-elements": _({"element"}),
    "staffing-factors": _({"factors_a"}),
}

VISIBLE: dict[str, dict[str, frozenset[str]]] = {
    "sro": COUNTY_A,  # agency A's MOUs; the factors of school A1, where officer A works
    "supervisor": COUNTY_A,
    "agency_admin": COUNTY_A,
    "school_admin": COUNTY_A,  # school A1's district's MOUs
    "district_admin": COUNTY_A,
    "analyst": {"mous": NONE, "reviews": NONE, "mou-elements": _({"element"}),
                "staffing-factors": EVERYTHING["staffing-factors"]},
    "auditor": EVERYTHING,
    "system_admin": EVERYTHING,
    "outsider": dict.fromkeys(MODELS, NONE),
}

COUNTY_A_PERSONAS = ("sro", "supervisor", "agency_admin", "school_admin", "district_admin")

#: Pages of the app beyond the model lists: persona -> expected status.
COMPLIANCE = {"sro": 403, "supervisor": 200, "agency_admin": 200, "school_admin": 200,
              "district_admin": 200, "analyst": 403, "auditor": 200, "system_admin": 200,
              "outsider": 403}
STAFFING = {"sro": 200, "supervisor": 200, "agency_admin": 200, "school_admin": 200,
            "district_admin": 200, "analyst": 403, "auditor": 200, "system_admin": 200,
            "outsider": 403}


def test_matrix_covers_every_scoped_program_model() -> None:
    scoped = {m for m in apps.get_app_config("program").get_models()
              if getattr(m, "scope_paths", None)}
    # Checklist entries are covered by test_checklist below.
    assert scoped == {model for model, _a, _b in MODELS.values()} | {MouElementEntry}
    assert set(ALLOWED) == set(VISIBLE) == set(COMPLIANCE) == set(STAFFING) == set(PERSONAS)
    for persona in PERSONAS:
        assert set(ALLOWED[persona]) == set(VISIBLE[persona]) == set(MODELS)
        for slug in MODELS:
            assert (DETAIL in ALLOWED[persona][slug]) == bool(VISIBLE[persona][slug])


# --------------------------------------------------------------------------- the world


def _prepare(world: World) -> None:
    from opensro.directory import services as ds

    o = world.objects
    add_mous(world)
    o["element"] = MouElement.objects.get(code="cops_no_discipline")
    o["year_prev"] = ds.create_school_year(None, {
        "code": "2024-25", "start_date": datetime.date(2024, 8, 19),
        "end_date": datetime.date(2025, 6, 13)})
    for tag in ("a", "b"):
        o[f"factors_{tag}"] = services.create_staffing_factors(None, {
            "school": o[f"school_{tag}1"], "school_year": o["year"],
            "non_sworn_safety_staff": 2, "calls_for_service": 40})


@pytest.fixture(scope="module")
def shared_world(django_db_setup: Any, django_db_blocker: Any,
                 tmp_path_factory: Any) -> Iterator[World]:
    with override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media"))):
        yield from module_world(django_db_blocker, _prepare)


def audit_state() -> tuple[int, int]:
    return AuditEvent.objects.count(), AuditEvent.objects.order_by("-seq").values_list(
        "seq", flat=True).first() or 0


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class Spec:
    web_list: str
    api_list: str
    web_detail: Callable[[Any], str]
    api_detail: Callable[[Any], str]
    link: str  # regex of a detail link on the web list
    #: where to create (web url, api url) and what to send
    web_create_url: Callable[[World], str]
    api_create_url: Callable[[World], str]
    create_web: Callable[[World], dict[str, Any]]
    create_api: Callable[[World], dict[str, Any]]
    find: Callable[[World], models.QuerySet[Any]]
    create_action: str
    web_edit: Callable[[Any], str]
    edit_web: Callable[[Any, str], dict[str, Any]]
    edit_api: Callable[[str], dict[str, Any]]
    edit_field: str
    edit_value: Callable[[str], Any]


def _mou_edit(obj: Mou, suffix: str) -> dict[str, Any]:
    return {"title": "Renamed MOU" + suffix, "version": str(obj.version),
            "status": obj.status, "effective_date": obj.effective_date.isoformat(),
            "expiry_date": "", "notes": ""}


def _review_edit(obj: MouReview, suffix: str) -> dict[str, Any]:
    return {"review_date": obj.review_date.isoformat(), "attendees": obj.attendees,
            "minutes": "Edited minutes" + suffix,
            "next_review_due": obj.next_review_due.isoformat()}


SPECS: dict[str, Spec] = {
    "mous": Spec(
        "/program/mous/", "/api/program/mous",
        lambda o: f"/program/mous/{o.pk}/", lambda o: f"/api/program/mous/{o.pk}",
        r'href="/program/mous/(\d+)/"',
        lambda w: "/program/mous/new/", lambda w: "/api/program/mous",
        lambda w: {"agency": str(w.agency_a.pk), "district": str(w.district_a.pk),
                   "title": "New MOU", "version": "", "status": "draft",
                   "effective_date": "2026-07-01", "expiry_date": "2029-06-30",
                   "notes": ""},
        lambda w: {"agency_id": w.agency_a.pk, "district_id": w.district_a.pk,
                   "title": "New MOU", "effective_date": "2026-07-01",
                   "expiry_date": "2029-06-30"},
        lambda w: Mou.objects.filter(title="New MOU"), "create",
        lambda o: f"/program/mous/{o.pk}/edit/", _mou_edit,
        lambda suffix: {"title": "Renamed MOU" + suffix}, "title",
        lambda suffix: "Renamed MOU" + suffix,
    ),
    "reviews": Spec(
        "/program/reviews/", "/api/program/reviews",
        lambda o: f"/program/reviews/{o.pk}/", lambda o: f"/api/program/reviews/{o.pk}",
        r'href="/program/reviews/(\d+)/"',
        lambda w: f"/program/mous/{w.mou_a.pk}/reviews/new/",
        lambda w: f"/api/program/mous/{w.mou_a.pk}/reviews",
        lambda w: {"review_date": TODAY.isoformat(), "attendees": "New attendees",
                   "minutes": "New minutes", "next_review_due": ""},
        lambda w: {"review_date": TODAY.isoformat(), "attendees": "New attendees",
                   "minutes": "New minutes"},
        lambda w: MouReview.objects.filter(attendees="New attendees"), "record_review",
        lambda o: f"/program/reviews/{o.pk}/edit/", _review_edit,
        lambda suffix: {"minutes": "Edited minutes" + suffix}, "minutes",
        lambda suffix: "Edited minutes" + suffix,
    ),
    "mou-elements": Spec(
        "/program/mou-elements/", "/api/program/elements",
        lambda o: f"/program/mou-elements/{o.pk}/",
        lambda o: f"/api/program/elements/{o.pk}",
        r'href="/program/mou-elements/(\d+)/"',
        lambda w: "/program/mou-elements/new/", lambda w: "/api/program/elements",
        lambda w: {"code": "local_bus_duty", "label": "Bus duty", "description": "",
                   "source": "local", "sort_order": "900", "active": "on"},
        lambda w: {"code": "local_bus_duty", "label": "Bus duty"},
        lambda w: MouElement.objects.filter(code="local_bus_duty"), "create",
        lambda o: f"/program/mou-elements/{o.pk}/edit/",
        lambda o, suffix: {"code": o.code, "label": "Relabelled" + suffix,
                           "description": o.description, "source": o.source,
                           "required": "on", "sort_order": str(o.sort_order),
                           "active": "on"},
        lambda suffix: {"label": "Relabelled" + suffix}, "label",
        lambda suffix: "Relabelled" + suffix,
    ),
    "staffing-factors": Spec(
        "/program/staffing-factors/", "/api/program/staffing-factors",
        lambda o: f"/program/staffing-factors/{o.pk}/",
        lambda o: f"/api/program/staffing-factors/{o.pk}",
        r'href="/program/staffing-factors/(\d+)/"',
        lambda w: "/program/staffing-factors/new/", lambda w: "/api/program/staffing-factors",
        lambda w: {"school": str(w.school_a1.pk), "school_year": str(w.year_prev.pk),
                   "non_sworn_safety_staff": "3", "calls_for_service": "55", "notes": ""},
        lambda w: {"school_id": w.school_a1.pk, "school_year": "2024-25",
                   "non_sworn_safety_staff": 3, "calls_for_service": 55},
        lambda w: StaffingFactors.objects.filter(school_year__code="2024-25"), "create",
        lambda o: f"/program/staffing-factors/{o.pk}/edit/",
        lambda o, suffix: {"school": str(o.school_id), "school_year": str(o.school_year_id),
                           "non_sworn_safety_staff": "2", "calls_for_service": "77",
                           "notes": ""},
        lambda suffix: {"calls_for_service": 77}, "calls_for_service",
        lambda suffix: 77,
    ),
}

CASES = [(p, s, c) for p in PERSONAS for s in MODELS for c in (WEB, API)]
IDS = [f"{p}-{s}-{c}" for p, s, c in CASES]


def _listed(spec: Spec, response: Any, channel: str) -> set[int]:
    if channel == API:
        body = response.json()
        assert body["count"] == len(body["items"])
        return {item["id"] for item in body["items"]}
    return {int(pk) for pk in re.findall(spec.link, response.content.decode())}


@pytest.mark.parametrize(("persona", "slug", "channel"), CASES, ids=IDS)
def test_list(w: World, persona: str, slug: str, channel: str) -> None:
    spec = SPECS[slug]
    client = login(w, persona)
    expected = {w.objects[n].pk for n in VISIBLE[persona][slug]}
    if channel == WEB:
        response = client.get(spec.web_list)
        if LIST not in ALLOWED[persona][slug]:
            assert response.status_code == 403
            return
    else:
        response = client.get(spec.api_list, {"page_size": 500})
        if LIST not in ALLOWED[persona][slug]:
            assert response.status_code in (200, 403)
            if response.status_code == 200:
                assert response.json() == {"items": [], "count": 0}
            return
    assert response.status_code == 200
    listed = _listed(spec, response, channel)
    if slug == "mou-elements":  # the whole catalog is listed; the element is in it
        assert expected <= listed and len(listed) >= 20
    else:
        assert listed == expected


@pytest.mark.parametrize(("persona", "slug", "channel"), CASES, ids=IDS)
def test_detail(w: World, persona: str, slug: str, channel: str) -> None:
    spec = SPECS[slug]
    client = login(w, persona)
    for name in sorted(EVERYTHING[slug]):
        obj = w.objects[name]
        url = spec.web_detail(obj) if channel == WEB else spec.api_detail(obj)
        response = client.get(url)
        if name in VISIBLE[persona][slug]:
            assert response.status_code == 200, name
            if channel == WEB:
                assert html.escape(str(obj)) in response.content.decode()
            else:
                assert response.json()["id"] == obj.pk
        else:
            assert response.status_code in (403, 404), name
            assert html.escape(str(obj)) not in response.content.decode()


@pytest.mark.parametrize(("persona", "slug", "channel"), CASES, ids=IDS)
def test_create(w: World, persona: str, slug: str, channel: str) -> None:
    spec = SPECS[slug]
    model = MODELS[slug][0]
    client = login(w, persona)
    rows_before = model._default_manager.count()
    events_before = audit_state()
    allowed = CREATE in ALLOWED[persona][slug]
    if channel == WEB:
        page = client.get(spec.web_create_url(w))
        assert page.status_code == 200 if allowed else page.status_code in (403, 404)
        response = client.post(spec.web_create_url(w), spec.create_web(w))
    else:
        response = client.post(spec.api_create_url(w), json.dumps(spec.create_api(w)),
                               content_type="application/json")
    if not allowed:
        assert response.status_code in (403, 404), response.content
        assert model._default_manager.count() == rows_before
        assert audit_state() == events_before
        return
    created = spec.find(w).get()
    if channel == WEB:
        assert response.status_code == 302, response.content.decode()[-3000:]
    else:
        assert response.status_code == 201, response.content
        assert response.json()["id"] == created.pk
    assert model._default_manager.count() == rows_before + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert AuditEvent.objects.count() == events_before[0] + 1
    assert event.actor_id == w.users[persona].pk
    assert event.action == spec.create_action
    assert event.object_type == model._meta.label
    assert event.object_id == str(created.pk)
    assert event.before is None
    assert event.after == audit.snapshot(created)


@pytest.mark.parametrize(("persona", "slug", "channel"), CASES, ids=IDS)
def test_edit(w: World, persona: str, slug: str, channel: str) -> None:
    spec = SPECS[slug]
    model = MODELS[slug][0]
    client = login(w, persona)
    _m, a_objs, b_objs = MODELS[slug]
    for name in [a_objs[0], *b_objs[:1]]:
        obj = model._default_manager.get(pk=w.objects[name].pk)
        before = audit.snapshot(obj)
        events_before = audit_state()
        visible = name in VISIBLE[persona][slug]
        allowed = EDIT in ALLOWED[persona][slug] and visible
        suffix = f" ({name})"
        if channel == WEB:
            page = client.get(spec.web_edit(obj))
            assert page.status_code == (200 if allowed else 403 if visible else 404), name
            response = client.post(spec.web_edit(obj), spec.edit_web(obj, suffix))
        else:
            response = client.patch(spec.api_detail(obj), json.dumps(spec.edit_api(suffix)),
                                    content_type="application/json")
        fresh = model._default_manager.get(pk=obj.pk)
        if not allowed:
            assert response.status_code == (403 if visible else 404), (name, response.content)
            assert audit.snapshot(fresh) == before
            assert audit_state() == events_before
            continue
        if channel == WEB:
            assert response.status_code == 302, response.content.decode()[-3000:]
        else:
            assert response.status_code == 200, response.content
        assert getattr(fresh, spec.edit_field) == spec.edit_value(suffix)
        assert AuditEvent.objects.count() == events_before[0] + 1
        event = AuditEvent.objects.order_by("-seq").first()
        assert event is not None
        assert event.actor_id == w.users[persona].pk
        assert event.action == "update"
        assert event.object_id == str(obj.pk)
        assert event.before == before
        assert event.after == audit.snapshot(fresh)


# --------------------------------------------------------------------------- the checklist

#: Who changes an MOU's checklist (MouElementEntry): the MOU's editors; its readers read it.
CHECKLIST_WRITE = {"sro": False, "supervisor": False, "agency_admin": True,
                   "school_admin": False, "district_admin": True, "analyst": False,
                   "auditor": False, "system_admin": True, "outsider": False}


@pytest.mark.parametrize("channel", (WEB, API))
@pytest.mark.parametrize("persona", PERSONAS)
def test_checklist(w: World, persona: str, channel: str) -> None:
    """Reading the checklist (MOU page / API) and changing it (form / PUT): an existing
    entry is edited (its section), a new one is created (a local element)."""
    client = login(w, persona)
    local = MouElement.objects.create(code="local_test_item", label="Local test item",
                                      source="local")
    for tag in ("a", "b"):
        mou = w.objects[f"mou_{tag}"]
        visible = f"mou_{tag}" in VISIBLE[persona]["mous"]
        allowed = visible and CHECKLIST_WRITE[persona]
        # read
        if channel == WEB:
            page = client.get(f"/program/mous/{mou.pk}/")
            assert page.status_code == (200 if visible else 404)
            if visible:
                assert "§3" in page.content.decode()  # the section of an entry
        else:
            page = client.get(f"/api/program/mous/{mou.pk}/checklist")
            assert page.status_code == (200 if visible else 404)
            if visible:
                rows = {r["element"]: r for r in page.json()}
                assert rows["cops_no_discipline"]["section"] == "§3"
        # write
        before = audit.snapshot(Mou.objects.get(pk=mou.pk))
        events = audit_state()
        entries_before = MouElementEntry.objects.filter(mou=mou).count()
        items = [("cops_no_discipline", True, "§3.1"), ("local_test_item", True, "§9")]
        if channel == WEB:
            data = {}
            form = client.get(f"/program/mous/{mou.pk}/checklist/")
            assert form.status_code == (200 if allowed else 403 if visible else 404)
            for code, present, section in items:
                data[f"present_{code}"] = "on" if present else ""
                data[f"section_{code}"] = section
            # Rows not sent keep their entry only if sent back: send the rest unchanged.
            for entry in MouElementEntry.objects.filter(mou=mou).select_related("element"):
                code = entry.element.code
                if code not in {c for c, _p, _s in items}:
                    data[f"present_{code}"] = "on" if entry.present else ""
                    data[f"section_{code}"] = entry.section
            response = client.post(f"/program/mous/{mou.pk}/checklist/", data)
        else:
            payload = [{"element": c, "present": p, "section": s} for c, p, s in items]
            response = client.put(f"/api/program/mous/{mou.pk}/checklist",
                                  json.dumps(payload), content_type="application/json")
        fresh = Mou.objects.get(pk=mou.pk)
        if not allowed:
            assert response.status_code == (403 if visible else 404), response.content
            assert audit.snapshot(fresh) == before
            assert audit_state() == events
            continue
        assert response.status_code == (302 if channel == WEB else 200), response.content
        edited = MouElementEntry.objects.get(mou=mou, element__code="cops_no_discipline")
        assert edited.section == "§3.1"
        assert MouElementEntry.objects.get(mou=mou, element=local).section == "§9"
        assert MouElementEntry.objects.filter(mou=mou).count() == entries_before + 1
        assert AuditEvent.objects.count() == events[0] + 1
        event = AuditEvent.objects.order_by("-seq").first()
        assert event is not None
        assert (event.action, event.object_id) == ("update_checklist", str(mou.pk))
        assert event.actor_id == w.users[persona].pk
        assert event.before == before
        assert event.after == audit.snapshot(fresh)


# --------------------------------------------------------------------------- pages


@pytest.mark.parametrize("persona", PERSONAS)
def test_compliance_page_and_api(w: World, persona: str) -> None:
    client = login(w, persona)
    page = client.get("/program/compliance/")
    assert page.status_code == COMPLIANCE[persona]
    api = client.get("/api/program/compliance")
    assert api.status_code == COMPLIANCE[persona]
    if COMPLIANCE[persona] == 200:
        body = page.content.decode()
        assert "Agency A – District A" in body
        if persona in COUNTY_A_PERSONAS:
            assert "Agency B – District B" not in body
        else:
            assert "Agency B – District B" in body


@pytest.mark.parametrize("persona", PERSONAS)
def test_staffing_page_and_api(w: World, persona: str) -> None:
    client = login(w, persona)
    page = client.get("/program/staffing/")
    assert page.status_code == STAFFING[persona]
    api = client.get("/api/program/staffing")
    assert api.status_code == STAFFING[persona]
    if STAFFING[persona] != 200:
        return
    body = page.content.decode()
    schools = {s["school"] for s in api.json()["schools"]}
    expected = {
        "sro": {"School A1"},
        "school_admin": {"School A1"},
        "supervisor": {"School A1", "School A2"},
        "agency_admin": {"School A1", "School A2"},
        "district_admin": {"School A1", "School A2"},
        "auditor": {"School A1", "School A2", "School B1", "School B2"},
        "system_admin": {"School A1", "School A2", "School B1", "School B2"},
    }[persona]
    assert schools == expected
    for name in ("School B1", "School B2"):
        assert (name in body) == (name in expected)


@pytest.mark.parametrize("channel", (WEB, API))
@pytest.mark.parametrize("persona", PERSONAS)
def test_signed_document(w: World, persona: str, channel: str) -> None:
    """The signed PDF: only through the permission-checked view; a read of a document
    that is not published is recorded in the audit trail."""
    client = login(w, persona)
    for tag in ("a", "b"):
        mou = w.objects[f"mou_{tag}"]
        url = (f"/program/mous/{mou.pk}/document/" if channel == WEB
               else f"/api/program/mous/{mou.pk}/document")
        events = audit_state()
        response = client.get(url)
        if f"mou_{tag}" in VISIBLE[persona]["mous"]:
            assert response.status_code == 200
            assert response["Content-Type"] == "application/pdf"
            assert b"".join(response.streaming_content).startswith(b"%PDF-")
            event = AuditEvent.objects.order_by("-seq").first()
            assert event is not None and AuditEvent.objects.count() == events[0] + 1
            assert (event.action, event.object_id, event.actor_id) == (
                "download_document", str(mou.pk), w.users[persona].pk)
        else:
            assert response.status_code in (403, 404)
            assert audit_state() == events
    # The file itself is not reachable under a media URL.
    stored = w.mou_a.document_file
    assert Client().get("/" + stored).status_code == 404
    assert Client().get("/media/" + stored).status_code == 404


def test_public_document_only_for_published_mous(w: World) -> None:
    anonymous = Client()
    mou = w.mou_a
    assert anonymous.get(f"/program/public/mous/{mou.pk}/document/").status_code == 404
    assert anonymous.get(f"/program/mous/{mou.pk}/document/").status_code == 302  # sign in
    services.update_mou(None, mou, {"public": True})
    events = audit_state()
    response = anonymous.get(f"/program/public/mous/{mou.pk}/document/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert audit_state() == events  # public reads are not logged


@pytest.mark.parametrize("persona", PERSONAS)
def test_menu_entries(w: World, persona: str) -> None:
    from opensro.navigation import menu_for

    labels = {i["label"] for i in menu_for(w.users[persona])}
    assert ("Compliance" in labels) == (COMPLIANCE[persona] == 200)
    assert ("MOUs" in labels) == bool(VISIBLE[persona]["mous"])
    assert ("Staffing" in labels) == (STAFFING[persona] == 200)


def test_upload_document_through_the_api(w: World) -> None:
    client = login(w, "district_admin")
    mou = w.mou_a
    old = mou.document_sha256
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(f"/api/program/mous/{mou.pk}/document",
                           {"file": SimpleUploadedFile("signed.pdf", pdf("Amended"),
                                                       content_type="application/pdf")})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["document"]["name"] == "signed.pdf"
    assert body["document"]["sha256"] != old
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None and event.action == "update"
    assert event.before["document_sha256"] == old
    assert event.after["document_sha256"] == body["document"]["sha256"]
    # Someone who may only read the MOU cannot replace its document.
    response = login(w, "supervisor").post(
        f"/api/program/mous/{mou.pk}/document",
        {"file": SimpleUploadedFile("x.pdf", pdf("x"), content_type="application/pdf")})
    assert response.status_code == 403
