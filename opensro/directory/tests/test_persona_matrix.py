"""The persona matrix: every directory model × every persona × list, detail, create, edit,
through the web pages and through the API (architecture rule 3).

The expected outcomes are written out by hand below (``ALLOWED`` and ``VISIBLE``), read
off each model's ``role_permissions`` and ``scope_paths`` and the two-county world of
``conftest.py``. They are deliberately *not* computed with ``restrict()``: the matrix
checks the permission code, it must not be derived from it.

One world is built per module and each test runs in its own savepoint (pytest-django's
``db``), so every write a test makes is rolled back before the next test.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.db import models

from conftest import PERSONAS, World, form_data, login
from opensro.core import audit
from opensro.core.models import AuditEvent
from opensro.directory import forms, services
from opensro.directory.models import (
    Agency,
    Assignment,
    District,
    Enrollment,
    Officer,
    School,
    SchoolYear,
)

WEB, API = "web", "api"
LIST, DETAIL, CREATE, EDIT = "list", "detail", "create", "edit"
ACTIONS = (LIST, DETAIL, CREATE, EDIT)

# --------------------------------------------------------------------------- the table

#: slug -> (model, county A objects, county B objects). School years are reference data
#: and belong to neither county.
MODELS: dict[str, tuple[type[models.Model], tuple[str, ...], tuple[str, ...]]] = {
    "districts": (District, ("district_a",), ("district_b",)),
    "agencies": (Agency, ("agency_a",), ("agency_b",)),
    "schools": (School, ("school_a1", "school_a2"), ("school_b1", "school_b2")),
    "school-years": (SchoolYear, ("year",), ()),
    "enrollment": (Enrollment, ("enrollment_a",), ("enrollment_b",)),
    "officers": (Officer, ("officer_a", "peer_a"), ("officer_b", "peer_b")),
    "assignments": (Assignment, ("assignment_a1", "assignment_a2"),
                    ("assignment_b1", "assignment_b2")),
}

_ = frozenset
NONE: frozenset[str] = _()
R = _({LIST, DETAIL})
RC = _({LIST, DETAIL, CREATE})
RE = _({LIST, DETAIL, EDIT})
RCE = _({LIST, DETAIL, CREATE, EDIT})

#: persona -> model -> the actions the persona may perform (on the objects it sees).
ALLOWED: dict[str, dict[str, frozenset[str]]] = {
    "sro": {"districts": R, "agencies": R, "schools": R, "school-years": R,
            "enrollment": R, "officers": R, "assignments": R},
    "supervisor": {"districts": R, "agencies": R, "schools": R, "school-years": R,
                   "enrollment": R, "officers": R, "assignments": RCE},
    "agency_admin": {"districts": R, "agencies": RE, "schools": R, "school-years": R,
                     "enrollment": R, "officers": RCE, "assignments": RCE},
    "school_admin": {"districts": R, "agencies": R, "schools": RE, "school-years": R,
                     "enrollment": RCE, "officers": R, "assignments": R},
    "district_admin": {"districts": RE, "agencies": R, "schools": RCE, "school-years": R,
                       "enrollment": RCE, "officers": R, "assignments": R},
    # Analysts work with aggregates: no named officers, no assignments.
    "analyst": {"districts": R, "agencies": R, "schools": R, "school-years": R,
                "enrollment": R, "officers": NONE, "assignments": NONE},
    "auditor": {"districts": R, "agencies": R, "schools": R, "school-years": R,
                "enrollment": R, "officers": R, "assignments": R},
    "system_admin": {"districts": RCE, "agencies": RCE, "schools": RCE,
                     "school-years": RCE, "enrollment": RCE, "officers": RCE,
                     "assignments": RCE},
    "outsider": {"districts": NONE, "agencies": NONE, "schools": NONE,
                 "school-years": NONE, "enrollment": NONE, "officers": NONE,
                 "assignments": NONE},
}

#: Everything in both counties.
EVERYTHING: dict[str, frozenset[str]] = {
    "districts": _({"district_a", "district_b"}),
    "agencies": _({"agency_a", "agency_b"}),
    "schools": _({"school_a1", "school_a2", "school_b1", "school_b2"}),
    "school-years": _({"year"}),
    "enrollment": _({"enrollment_a", "enrollment_b"}),
    "officers": _({"officer_a", "peer_a", "officer_b", "peer_b"}),
    "assignments": _({"assignment_a1", "assignment_a2", "assignment_b1", "assignment_b2"}),
}
#: What agency A's supervisor and administrator see: the district agency A serves, its
#: schools and their enrollment, agency A's officers and their assignments.
AGENCY_A = {
    "districts": _({"district_a"}),
    "agencies": _({"agency_a"}),
    "schools": _({"school_a1", "school_a2"}),
    "school-years": _({"year"}),
    "enrollment": _({"enrollment_a"}),
    "officers": _({"officer_a", "peer_a"}),
    "assignments": _({"assignment_a1", "assignment_a2"}),
}
#: Officer A (the sro user) and school A1 see the same: school A1, where officer A works.
SCHOOL_A1 = {
    "districts": _({"district_a"}),
    "agencies": _({"agency_a"}),
    "schools": _({"school_a1"}),
    "school-years": _({"year"}),
    "enrollment": _({"enrollment_a"}),
    "officers": _({"officer_a"}),
    "assignments": _({"assignment_a1"}),
}

#: persona -> model -> the world objects the persona sees (county A, county B, the year).
VISIBLE: dict[str, dict[str, frozenset[str]]] = {
    "sro": SCHOOL_A1,
    "supervisor": AGENCY_A,
    "agency_admin": AGENCY_A,
    "school_admin": SCHOOL_A1,
    "district_admin": AGENCY_A,  # district A: its schools, and the officers working there
    "analyst": {**EVERYTHING, "officers": NONE, "assignments": NONE},
    "auditor": EVERYTHING,
    "system_admin": EVERYTHING,
    "outsider": dict.fromkeys(MODELS, NONE),
}

COUNTY_A_PERSONAS = ("sro", "supervisor", "agency_admin", "school_admin", "district_admin")


def test_matrix_covers_every_scoped_directory_model() -> None:
    """A new directory model with scope_paths must be added to the matrix."""
    scoped = {m for m in apps.get_app_config("directory").get_models()
              if getattr(m, "scope_paths", None)}
    assert scoped == {model for model, _a, _b in MODELS.values()}
    assert set(ALLOWED) == set(VISIBLE) == set(PERSONAS)
    for persona in PERSONAS:
        assert set(ALLOWED[persona]) == set(VISIBLE[persona]) == set(MODELS)


def test_table_is_consistent() -> None:
    """Sanity of the hand-written table itself: read access and visibility agree, county-A
    personas see nothing of county B, the outsider sees nothing at all."""
    for persona in PERSONAS:
        for slug, (_model, a_objs, b_objs) in MODELS.items():
            sees = VISIBLE[persona][slug]
            assert sees <= EVERYTHING[slug]
            assert (DETAIL in ALLOWED[persona][slug]) == bool(sees), (persona, slug)
            if persona in COUNTY_A_PERSONAS:
                assert not sees & set(b_objs), (persona, slug)
            if persona == "outsider":
                assert not sees & (set(a_objs) | set(b_objs) | {"year"})


# --------------------------------------------------------------------------- the world


# --------------------------------------------------------------------------- specs


def edit_form_data(form_class: type[Any], instance: models.Model,
                   **changes: Any) -> dict[str, Any]:
    """The POST data a browser would send for the edit form of ``instance``, with changes."""
    return form_data(form_class(instance=instance), **changes)


@dataclass(frozen=True)
class Spec:
    form: type[Any]
    #: web POST data and API JSON for a new object inside county A.
    create_web: Callable[[World], dict[str, Any]]
    create_api: Callable[[World], dict[str, Any]]
    #: finds the created object.
    find: Callable[[World], models.QuerySet[Any]]
    #: the field an edit changes, its new value for the web form and for the API.
    edit_field: str
    edit_web: Any
    edit_api: Any
    #: the value as the audit snapshot records it.
    edit_snapshot: Any
    #: an attribute of the created object and the value it must have (and in the audit).
    check_field: str
    check_value: Any


SPECS: dict[str, Spec] = {
    "districts": Spec(
        forms.DistrictForm,
        lambda w: {"name": "District C", "nces_id": "3999993", "state": "OH", "city": "",
                   "website": ""},
        lambda w: {"name": "District C", "nces_id": "3999993", "state": "OH"},
        lambda w: District.objects.filter(nces_id="3999993"),
        "name", "Renamed district", "Renamed district", "Renamed district",
        "name", "District C",
    ),
    "agencies": Spec(
        forms.AgencyForm,
        lambda w: {"name": "Agency C", "kind": "sheriffs_office", "ori": "", "state": "OH",
                   "city": "", "districts_served": [str(w.district_a.pk)]},
        lambda w: {"name": "Agency C", "kind": "sheriffs_office", "state": "OH",
                   "districts_served": [w.district_a.pk]},
        lambda w: Agency.objects.filter(name="Agency C"),
        "name", "Renamed agency", "Renamed agency", "Renamed agency",
        "kind", "sheriffs_office",
    ),
    "schools": Spec(
        forms.SchoolForm,
        lambda w: {"district": str(w.district_a.pk), "name": "School A3",
                   "nces_id": "399999100003", "level": "elementary", "lowest_grade": "KG",
                   "highest_grade": "05", "active": "on"},
        lambda w: {"district_id": w.district_a.pk, "name": "School A3",
                   "nces_id": "399999100003", "level": "elementary", "lowest_grade": "KG",
                   "highest_grade": "05"},
        lambda w: School.objects.filter(nces_id="399999100003"),
        "name", "Renamed school", "Renamed school", "Renamed school",
        "district_id", "@district_a",
    ),
    "school-years": Spec(
        forms.SchoolYearForm,
        lambda w: {"code": "2026-27", "start_date": "2026-08-17", "end_date": "2027-06-11",
                   "sex_codes": '["M", "F", "X"]'},
        lambda w: {"code": "2026-27", "start_date": "2026-08-17", "end_date": "2027-06-11",
                   "sex_codes": ["M", "F", "X"]},
        lambda w: SchoolYear.objects.filter(code="2026-27"),
        "sex_codes", '["M", "F", "X"]', ["M", "F", "X"], ["M", "F", "X"],
        "sex_codes", ["M", "F", "X"],
    ),
    "enrollment": Spec(
        forms.EnrollmentForm,
        lambda w: {"school": str(w.school_a1.pk), "school_year": str(w.year.pk),
                   "group": "BL", "sex": "M", "count": "42"},
        lambda w: {"school_id": w.school_a1.pk, "school_year": "2025-26", "group": "BL",
                   "sex": "M", "count": 42},
        lambda w: Enrollment.objects.filter(school=w.school_a1, school_year=w.year,
                                            group="BL", sex="M"),
        "count", "310", 310, 310,
        "count", 42,
    ),
    "officers": Spec(
        forms.OfficerForm,
        lambda w: {"agency": str(w.agency_a.pk), "first_name": "Alex",
                   "last_name": "Newhire", "badge_number": "a300", "kind": "sro",
                   "sworn": "on", "date_sworn": "2018-06-01", "status": "active"},
        lambda w: {"agency_id": w.agency_a.pk, "first_name": "Alex", "last_name": "Newhire",
                   "badge_number": "a300", "date_sworn": "2018-06-01"},
        lambda w: Officer.objects.filter(badge_number="a300"),
        "status", "leave", "leave", "leave",
        "agency_id", "@agency_a",
    ),
    "assignments": Spec(
        forms.AssignmentForm,
        lambda w: {"officer": str(w.peer_a.pk), "school": str(w.school_a1.pk),
                   "start_date": "2025-09-01", "end_date": "", "notes": "Fridays at A1"},
        lambda w: {"officer_id": w.peer_a.pk, "school_id": w.school_a1.pk,
                   "start_date": "2025-09-01", "primary": False, "notes": "Fridays at A1"},
        lambda w: Assignment.objects.filter(officer=w.peer_a, school=w.school_a1),
        "notes", "Edited notes", "Edited notes", "Edited notes",
        "notes", "Fridays at A1",
    ),
}


def _expected_value(world: World, value: Any) -> Any:
    if isinstance(value, str) and value.startswith("@"):
        return world.objects[value[1:]].pk
    return value


def web_url(slug: str, pk: int | None = None, suffix: str = "") -> str:
    return f"/directory/{slug}/" + (f"{pk}/" if pk is not None else "") + suffix


def api_url(slug: str, pk: int | None = None) -> str:
    return f"/api/directory/{slug}" + (f"/{pk}" if pk is not None else "")


def listed_ids(slug: str, response: Any, channel: str) -> set[int]:
    if channel == API:
        body = response.json()
        assert body["count"] == len(body["items"])
        return {item["id"] for item in body["items"]}
    page = response.content.decode()
    return {int(pk) for pk in re.findall(rf'href="/directory/{slug}/(\d+)/"', page)}


def audit_state() -> tuple[int, int]:
    return AuditEvent.objects.count(), AuditEvent.objects.order_by("-seq").values_list(
        "seq", flat=True).first() or 0


# --------------------------------------------------------------------------- the tests

CASES = [(p, s, c) for p in PERSONAS for s in MODELS for c in (WEB, API)]
IDS = [f"{p}-{s}-{c}" for p, s, c in CASES]


@pytest.mark.parametrize(("persona", "slug", "channel"), CASES, ids=IDS)
def test_list(w: World, persona: str, slug: str, channel: str) -> None:
    client = login(w, persona)
    expected = {w.objects[name].pk for name in VISIBLE[persona][slug]}
    if channel == WEB:
        response = client.get(web_url(slug))
        if LIST not in ALLOWED[persona][slug]:
            assert response.status_code == 403
            return
    else:
        response = client.get(api_url(slug), {"page_size": 500})
        if LIST not in ALLOWED[persona][slug]:
            # The API answers an empty page (or refuses); it never leaks a row.
            assert response.status_code in (200, 403)
            if response.status_code == 200:
                assert response.json() == {"items": [], "count": 0}
            return
    assert response.status_code == 200
    assert listed_ids(slug, response, channel) == expected


@pytest.mark.parametrize(("persona", "slug", "channel"), CASES, ids=IDS)
def test_detail(w: World, persona: str, slug: str, channel: str) -> None:
    client = login(w, persona)
    for name in sorted(EVERYTHING[slug]):
        obj = w.objects[name]
        if channel == WEB:
            response = client.get(web_url(slug, obj.pk))
        else:
            response = client.get(api_url(slug, obj.pk))
        if name in VISIBLE[persona][slug]:
            assert DETAIL in ALLOWED[persona][slug]
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
    model = MODELS[slug][0]
    spec = SPECS[slug]
    user = w.users[persona]
    client = login(w, persona)
    rows_before = model._default_manager.count()
    events_before = audit_state()
    allowed = CREATE in ALLOWED[persona][slug]
    if channel == WEB:
        assert client.get(web_url(slug, suffix="new/")).status_code == (200 if allowed
                                                                           else 403)
        response = client.post(web_url(slug, suffix="new/"), spec.create_web(w))
    else:
        response = client.post(api_url(slug), json.dumps(spec.create_api(w)),
                               content_type="application/json")
    if not allowed:
        assert response.status_code in (403, 404), response.content
        assert model._default_manager.count() == rows_before
        assert not spec.find(w).exists()
        assert audit_state() == events_before
        return
    created = spec.find(w).get()
    if channel == WEB:
        assert response.status_code == 302, response.content.decode()[-2000:]
        assert response["Location"] == web_url(slug, created.pk)
    else:
        assert response.status_code == 201, response.content
        assert response.json()["id"] == created.pk
    assert model._default_manager.count() == rows_before + 1
    expected = _expected_value(w, spec.check_value)
    assert getattr(created, spec.check_field) == expected
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert AuditEvent.objects.count() == events_before[0] + 1
    assert event.actor_id == user.pk
    assert event.action == "create"
    assert event.object_type == model._meta.label
    assert event.object_id == str(created.pk)
    assert event.before is None
    assert event.after is not None
    assert event.after[spec.check_field] == expected
    assert event.after == audit.snapshot(created)


def _edit_targets(slug: str) -> list[str]:
    _model, a_objs, b_objs = MODELS[slug]
    return [a_objs[0], *b_objs[:1]]


@pytest.mark.parametrize(("persona", "slug", "channel"), CASES, ids=IDS)
def test_edit(w: World, persona: str, slug: str, channel: str) -> None:
    model = MODELS[slug][0]
    spec = SPECS[slug]
    user = w.users[persona]
    client = login(w, persona)
    for name in _edit_targets(slug):
        obj = model._default_manager.get(pk=w.objects[name].pk)
        before = audit.snapshot(obj)
        events_before = audit_state()
        visible = name in VISIBLE[persona][slug]
        allowed = EDIT in ALLOWED[persona][slug] and visible
        # Names are unique: each target gets its own new text.
        suffix = f" ({name})" if spec.edit_field in ("name", "notes") else ""
        new_value = spec.edit_snapshot + suffix if suffix else spec.edit_snapshot
        if channel == WEB:
            page = client.get(web_url(slug, obj.pk, "edit/"))
            assert page.status_code == (200 if allowed else 403 if visible else 404), name
            data = edit_form_data(spec.form, obj, **{spec.edit_field: spec.edit_web + suffix})
            response = client.post(web_url(slug, obj.pk, "edit/"), data)
        else:
            api_value = spec.edit_api + suffix if suffix else spec.edit_api
            response = client.patch(api_url(slug, obj.pk),
                                    json.dumps({spec.edit_field: api_value}),
                                    content_type="application/json")
        fresh = model._default_manager.get(pk=obj.pk)
        if not allowed:
            assert response.status_code == (403 if visible else 404), (name, response.content)
            assert audit.snapshot(fresh) == before
            assert audit_state() == events_before
            continue
        if channel == WEB:
            assert response.status_code == 302, response.content.decode()[-2000:]
            assert response["Location"] == web_url(slug, obj.pk)
        else:
            assert response.status_code == 200, response.content
            assert response.json()["id"] == obj.pk
        assert getattr(fresh, spec.edit_field) == new_value
        assert AuditEvent.objects.count() == events_before[0] + 1
        event = AuditEvent.objects.order_by("-seq").first()
        assert event is not None
        assert event.actor_id == user.pk
        assert event.action == "update"
        assert event.object_type == model._meta.label
        assert event.object_id == str(obj.pk)
        assert event.before == before
        assert event.after == audit.snapshot(fresh)
        assert event.after[spec.edit_field] == new_value
        assert event.before[spec.edit_field] != new_value


@pytest.mark.parametrize("persona", PERSONAS)
def test_outsider_and_county_a_personas_never_see_county_b(w: World, persona: str) -> None:
    """Search results and filtered lists do not leak county B either."""
    client = login(w, persona)
    county_b = {(slug, w.objects[n].pk) for slug, (_m, _a, b) in MODELS.items() for n in b}
    for slug in MODELS:
        body = client.get(api_url(slug), {"page_size": 500}).json()
        seen = {(slug, item["id"]) for item in body["items"]}
        if persona in (*COUNTY_A_PERSONAS, "outsider"):
            assert not seen & county_b, slug
        if persona == "outsider":
            assert body == {"items": [], "count": 0}
    # The school filter cannot be used to reach out of scope either.
    body = client.get(api_url("schools"), {"district_id": w.district_b.pk}).json()
    if persona in (*COUNTY_A_PERSONAS, "outsider"):
        assert body["count"] == 0
    else:
        assert body["count"] == 2


# --------------------------------------------------------------------------- save-then-verify


def _school_b_payload(world: World) -> dict[str, Any]:
    return {"district": world.district_b, "name": "Sneaky School", "nces_id": "399999200009",
            "level": "high", "lowest_grade": "09", "highest_grade": "12"}


def test_district_admin_cannot_create_school_in_other_district_web(w: World) -> None:
    client = login(w, "district_admin")
    events = audit_state()
    data = {**{k: str(v) for k, v in _school_b_payload(w).items()},
            "district": str(w.district_b.pk), "active": "on"}
    response = client.post(web_url("schools", suffix="new/"), data)
    assert response.status_code in (400, 403)
    if response.status_code == 400:
        assert "district" in response.context["form"].errors
    assert not School.objects.filter(nces_id="399999200009").exists()
    assert audit_state() == events


def test_district_admin_cannot_create_school_in_other_district_api(w: World) -> None:
    client = login(w, "district_admin")
    events = audit_state()
    payload = {**_school_b_payload(w), "district_id": w.district_b.pk}
    del payload["district"]
    response = client.post(api_url("schools"), json.dumps(payload),
                           content_type="application/json")
    assert response.status_code in (403, 404, 422)
    if response.status_code == 422:
        assert response.json()["detail"][0]["field"] == "district_id"
    assert not School.objects.filter(nces_id="399999200009").exists()
    assert audit_state() == events


def test_district_admin_create_school_in_other_district_service_rolls_back(w: World) -> None:
    """The service itself refuses after writing (save-then-verify) and rolls back."""
    from django.core.exceptions import PermissionDenied

    user = w.users["district_admin"]
    events = audit_state()
    with pytest.raises(PermissionDenied, match="outside your scope"):
        services.create_school(user, _school_b_payload(w))
    assert not School.objects.filter(nces_id="399999200009").exists()
    assert audit_state() == events


def test_agency_admin_cannot_move_officer_to_other_agency_web(w: World) -> None:
    client = login(w, "agency_admin")
    officer = Officer.objects.get(pk=w.officer_a.pk)
    before = audit.snapshot(officer)
    events = audit_state()
    data = edit_form_data(forms.OfficerForm, officer, agency=w.agency_b.pk)
    response = client.post(web_url("officers", officer.pk, "edit/"), data)
    assert response.status_code in (400, 403)
    officer.refresh_from_db()
    assert officer.agency_id == w.agency_a.pk
    assert audit.snapshot(officer) == before
    assert audit_state() == events


def test_agency_admin_cannot_move_officer_to_other_agency_api(w: World) -> None:
    client = login(w, "agency_admin")
    officer = Officer.objects.get(pk=w.officer_a.pk)
    before = audit.snapshot(officer)
    events = audit_state()
    response = client.patch(api_url("officers", officer.pk),
                            json.dumps({"agency_id": w.agency_b.pk}),
                            content_type="application/json")
    # The PATCH schema has no agency: the field is not accepted, so nothing moves.
    assert response.status_code in (200, 403, 422)
    officer.refresh_from_db()
    assert officer.agency_id == w.agency_a.pk
    assert audit.snapshot(officer) == before
    assert audit_state() == events


def test_agency_admin_move_officer_service_rolls_back(w: World) -> None:
    """The write happens, the scope check after it fails, and the transaction rolls back."""
    from django.core.exceptions import PermissionDenied

    user = w.users["agency_admin"]
    officer = Officer.objects.get(pk=w.officer_a.pk)
    before = audit.snapshot(officer)
    events = audit_state()
    with pytest.raises(PermissionDenied, match="outside your scope"):
        services.update_officer(user, officer, {"agency": w.agency_b})
    officer.refresh_from_db()
    assert officer.agency_id == w.agency_a.pk
    assert audit.snapshot(officer) == before
    assert audit_state() == events
