"""The persona matrix of the training app: every model × every persona × list, detail,
create and edit, through the web pages and the API (architecture rule 3; R-G1…R-G4).

The expected access (``ALLOWED``) and visibility (``VISIBLE``) are written out by hand
from each model's ``role_permissions`` and ``scope_paths`` and the two-county world of
``conftest.py``; they are not computed with ``restrict()``. Reference data (courses,
profiles, rules) is seeded beyond the named objects, so lists are checked on the named
objects: every visible one listed, no invisible one listed.
"""

from __future__ import annotations

import datetime
import html
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.db import models

from conftest import PERSONAS, World, form_data, last_seq, login, module_world
from opensro.core import audit
from opensro.core.choices import Role
from opensro.core.models import AuditEvent, User
from opensro.core.permissions import VIEW, restrict
from opensro.core.services import grant_role
from opensro.training import forms, services
from opensro.training.models import (
    AdministratorTrainingRecord,
    AgencyPolicy,
    Course,
    DistrictAdministratorScope,
    PolicyProfile,
    RequirementRule,
    StaffTrainingSession,
    TrainingRecord,
)
from opensro.training.tests.helpers import cops, course, record_data, seed

D = datetime.date
WEB, API = "web", "api"
LIST, DETAIL, CREATE, EDIT = "list", "detail", "create", "edit"
_ = frozenset
NONE: frozenset[str] = _()
R = _({LIST, DETAIL})
RCE = _({LIST, DETAIL, CREATE, EDIT})


def prepare(w: World) -> None:
    seed()
    o = w.objects
    o["course_basic"] = course("basic_sro")
    o["profile_cops"] = cops()
    o["profile_local"] = services.copy_profile(None, cops(), "Local profile")
    o["rule_local"] = o["profile_local"].rules.order_by("sort_order").first()
    o["policy_a"] = services.set_agency_policy(None, w.agency_a, o["profile_local"],
                                               D(2024, 8, 1), today=D(2025, 6, 1))
    o["policy_b"] = services.set_agency_policy(None, w.agency_b, cops(), D(2024, 8, 1),
                                               today=D(2025, 6, 1))
    o["record_a"] = services.create_record(None, record_data(w.officer_a, "basic_sro",
                                                             D(2024, 9, 1), "40"))
    o["record_peer_a"] = services.create_record(None, record_data(w.peer_a, "basic_sro",
                                                                  D(2024, 9, 2), "40"))
    o["record_b"] = services.create_record(None, record_data(w.officer_b, "basic_sro",
                                                             D(2024, 9, 3), "40"))
    other = User.objects.create_user(username="district_admin_b", first_name="Dana",
                                     last_name="Bee")
    grant_role(None, other, Role.DISTRICT_ADMIN, district=w.district_b)
    for tag, person, district in (("a", w.users["district_admin"], w.district_a),
                                  ("b", other, w.district_b)):
        o[f"admin_record_{tag}"] = services.create_admin_record(None, {
            "person": person, "district": district, "course": course("sro_management"),
            "completed_on": D(2024, 6, 1), "hours": Decimal("16"), "provider": "NASRO"})
    for name, school in (("session_a1", w.school_a1), ("session_a2", w.school_a2),
                         ("session_b1", w.school_b1)):
        o[name] = services.create_staff_session(None, {
            "school": school, "held_on": D(2025, 8, 12), "title": f"SRO program for {school}",
            "topics": ["sro_roles", "when_to_involve"], "attendees": 40})


@pytest.fixture(scope="module")
def shared_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    yield from module_world(django_db_blocker, prepare)


# --------------------------------------------------------------------------- the table

#: slug -> model and every named object of that model in the world.
MODELS: dict[str, tuple[type[models.Model], tuple[str, ...]]] = {
    "courses": (Course, ("course_basic",)),
    "profiles": (PolicyProfile, ("profile_cops", "profile_local")),
    "rules": (RequirementRule, ("rule_local",)),
    "agency-policies": (AgencyPolicy, ("policy_a", "policy_b")),
    "records": (TrainingRecord, ("record_a", "record_peer_a", "record_b")),
    "admin-records": (AdministratorTrainingRecord, ("admin_record_a", "admin_record_b")),
    "staff-training": (StaffTrainingSession, ("session_a1", "session_a2", "session_b1")),
}
EVERYTHING = {slug: _(names) for slug, (_m, names) in MODELS.items()}
REFERENCE = ("courses", "profiles", "rules")


def reference(access: frozenset[str]) -> dict[str, frozenset[str]]:
    return dict.fromkeys(REFERENCE, access)


ALLOWED: dict[str, dict[str, frozenset[str]]] = {
    "sro": {**reference(R), "agency-policies": R, "records": RCE, "admin-records": NONE,
            "staff-training": R},
    "supervisor": {**reference(R), "agency-policies": R, "records": RCE, "admin-records": R,
                   "staff-training": R},
    "agency_admin": {**reference(R), "agency-policies": RCE, "records": RCE,
                     "admin-records": R, "staff-training": R},
    "school_admin": {**reference(R), "agency-policies": R, "records": R,
                     "admin-records": NONE, "staff-training": RCE},
    "district_admin": {**reference(R), "agency-policies": R, "records": R,
                       "admin-records": RCE, "staff-training": RCE},
    # Analysts: reference data, policies and staff sessions; no named officers' training.
    "analyst": {**reference(R), "agency-policies": R, "records": NONE,
                "admin-records": NONE, "staff-training": R},
    "auditor": {**reference(R), "agency-policies": R, "records": R, "admin-records": R,
                "staff-training": R},
    "system_admin": {**reference(RCE), "agency-policies": RCE, "records": RCE,
                     "admin-records": RCE, "staff-training": RCE},
    "outsider": {**reference(NONE), "agency-policies": NONE, "records": NONE,
                 "admin-records": NONE, "staff-training": NONE},
}

REF_ALL = {slug: EVERYTHING[slug] for slug in REFERENCE}
VISIBLE: dict[str, dict[str, frozenset[str]]] = {
    # Officer A's own records; the policy of their agency; sessions at their school.
    "sro": {**REF_ALL, "agency-policies": _({"policy_a"}), "records": _({"record_a"}),
            "admin-records": NONE, "staff-training": _({"session_a1"})},
    "supervisor": {**REF_ALL, "agency-policies": _({"policy_a"}),
                   "records": _({"record_a", "record_peer_a"}),
                   "admin-records": _({"admin_record_a"}),
                   "staff-training": _({"session_a1", "session_a2"})},
    "agency_admin": {**REF_ALL, "agency-policies": _({"policy_a"}),
                     "records": _({"record_a", "record_peer_a"}),
                     "admin-records": _({"admin_record_a"}),
                     "staff-training": _({"session_a1", "session_a2"})},
    # School A1: the officer working there, its sessions, the agency serving it.
    "school_admin": {**REF_ALL, "agency-policies": _({"policy_a"}),
                     "records": _({"record_a"}), "admin-records": NONE,
                     "staff-training": _({"session_a1"})},
    "district_admin": {**REF_ALL, "agency-policies": _({"policy_a"}),
                       "records": _({"record_a", "record_peer_a"}),
                       "admin-records": _({"admin_record_a"}),
                       "staff-training": _({"session_a1", "session_a2"})},
    "analyst": {**REF_ALL, "agency-policies": EVERYTHING["agency-policies"],
                "records": NONE, "admin-records": NONE,
                "staff-training": EVERYTHING["staff-training"]},
    "auditor": EVERYTHING,
    "system_admin": EVERYTHING,
    "outsider": dict.fromkeys(MODELS, NONE),
}

COUNTY_B = {"policy_b", "record_b", "admin_record_b", "session_b1"}
COUNTY_A_PERSONAS = ("sro", "supervisor", "agency_admin", "school_admin", "district_admin")


def test_matrix_covers_every_scoped_training_model() -> None:
    scoped = {m for m in apps.get_app_config("training").get_models()
              if getattr(m, "scope_paths", None)}
    # The proxy has no pages; its scoping is checked in test_district_administrator_scope.
    assert scoped == {m for m, _n in MODELS.values()} | {DistrictAdministratorScope}
    assert set(ALLOWED) == set(VISIBLE) == set(PERSONAS)
    for persona in PERSONAS:
        assert set(ALLOWED[persona]) == set(VISIBLE[persona]) == set(MODELS)
        for slug in MODELS:
            assert (DETAIL in ALLOWED[persona][slug]) == bool(VISIBLE[persona][slug])
            if persona in COUNTY_A_PERSONAS:
                assert not VISIBLE[persona][slug] & COUNTY_B


@pytest.mark.parametrize("persona", PERSONAS)
def test_district_administrator_scope(w: World, persona: str) -> None:
    expected = {
        "supervisor": {"district_a"}, "agency_admin": {"district_a"},
        "district_admin": {"district_a"}, "auditor": {"district_a", "district_b"},
        "system_admin": {"district_a", "district_b"},
    }.get(persona, set())
    seen = set(restrict(DistrictAdministratorScope.objects.all(), w.users[persona], VIEW)
               .values_list("pk", flat=True))
    assert seen == {w.objects[n].pk for n in expected}


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class Spec:
    web_list: Callable[[World], str]
    web_link: str  # regex of a detail link on the list page, capturing the id
    web_detail: str  # format with pk
    web_create: Callable[[World], str]
    web_edit: str
    api: str
    api_create: Callable[[World], str]
    create_web: Callable[[World], dict[str, Any]]
    create_api: Callable[[World], dict[str, Any]]
    find: Callable[[World], models.QuerySet[Any]]
    edit_targets: tuple[str, ...]
    edit_form: Callable[[Any], Any]
    edit_field: str
    edit_value: Any  # as posted and sent; the snapshot holds the same
    created_location: Callable[[Any], str]
    before_create: Callable[[World], None] | None = None


def _course_web(w: World) -> dict[str, Any]:
    return {"code": "state_law", "name": "State law for SROs", "kind": "topic",
            "nominal_hours": "8", "source": "State", "description": "", "sort_order": "5",
            "active": "on"}


def _drop_policy_a(w: World) -> None:
    AgencyPolicy.objects.filter(pk=w.policy_a.pk).delete()


SPECS: dict[str, Spec] = {
    "courses": Spec(
        lambda w: "/training/courses/", r'href="/training/courses/(\d+)/"',
        "/training/courses/{}/", lambda w: "/training/courses/new/",
        "/training/courses/{}/edit/", "/api/training/courses",
        lambda w: "/api/training/courses",
        _course_web,
        lambda w: {"code": "state_law", "name": "State law for SROs", "kind": "topic"},
        lambda w: Course.objects.filter(code="state_law"),
        ("course_basic",), lambda o: forms.CourseForm(instance=o),
        "source", "Edited source",
        lambda o: f"/training/courses/{o.pk}/",
    ),
    "profiles": Spec(
        lambda w: "/training/profiles/", r'href="/training/profiles/(\d+)/"',
        "/training/profiles/{}/", lambda w: "/training/profiles/new/",
        "/training/profiles/{}/edit/", "/api/training/profiles",
        lambda w: "/api/training/profiles",
        lambda w: {"name": "Ohio profile", "description": "Ohio law"},
        lambda w: {"name": "Ohio profile", "description": "Ohio law"},
        lambda w: PolicyProfile.objects.filter(name="Ohio profile"),
        ("profile_local",), lambda o: forms.ProfileForm(instance=o),
        "description", "Edited description",
        lambda o: f"/training/profiles/{o.pk}/",
    ),
    "rules": Spec(
        lambda w: f"/training/profiles/{w.profile_local.pk}/", r'href="/training/rules/(\d+)/"',
        "/training/rules/{}/", lambda w: f"/training/profiles/{w.profile_local.pk}/rules/new/",
        "/training/rules/{}/edit/", "/api/training/rules",
        lambda w: f"/api/training/profiles/{w.profile_local.pk}/rules",
        lambda w: {"name": "Ohio FERPA course", "description": "", "for_sros": "on",
                   "courses": [str(course("topic_ferpa").pk)], "anchor": "placement",
                   "anchor_course": "", "offset_amount": "6", "offset_unit": "months",
                   "recurrence_months": "", "due_soon_days": "", "min_hours": "",
                   "sort_order": "99"},
        lambda w: {"name": "Ohio FERPA course", "courses": ["topic_ferpa"],
                   "anchor": "placement", "offset_amount": 6},
        lambda w: RequirementRule.objects.filter(name="Ohio FERPA course"),
        ("rule_local",), lambda o: forms.RuleForm(instance=o),
        "offset_amount", 10,
        lambda o: f"/training/profiles/{o.profile_id}/",
    ),
    "agency-policies": Spec(
        lambda w: "/training/agency-policies/", r'href="/training/agency-policies/(\d+)/"',
        "/training/agency-policies/{}/", lambda w: "/training/agency-policies/new/",
        "/training/agency-policies/{}/edit/", "/api/training/agency-policies",
        lambda w: "/api/training/agency-policies",
        lambda w: {"agency": str(w.agency_a.pk), "profile": str(w.profile_cops.pk),
                   "program_start": "2023-08-01"},
        lambda w: {"agency_id": w.agency_a.pk, "profile_id": w.profile_cops.pk,
                   "program_start": "2023-08-01"},
        lambda w: AgencyPolicy.objects.filter(agency=w.agency_a, profile=w.profile_cops),
        ("policy_a", "policy_b"), lambda o: forms.AgencyPolicyForm(instance=o),
        "program_start", "2022-01-10",
        lambda o: f"/training/agency-policies/{o.pk}/",
        before_create=_drop_policy_a,
    ),
    "records": Spec(
        lambda w: "/training/records/", r'href="/training/records/(\d+)/"',
        "/training/records/{}/", lambda w: "/training/records/new/",
        "/training/records/{}/edit/", "/api/training/records",
        lambda w: "/api/training/records",
        lambda w: {"officer": str(w.officer_a.pk), "course": str(course("advanced_sro").pk),
                   "completed_on": "2025-03-03", "hours": "24", "provider": "NASRO",
                   "notes": ""},
        lambda w: {"officer_id": w.officer_a.pk, "course": "advanced_sro",
                   "completed_on": "2025-03-03", "hours": "24", "provider": "NASRO"},
        lambda w: TrainingRecord.objects.filter(officer=w.officer_a,
                                                course__code="advanced_sro"),
        ("record_a", "record_b"), lambda o: forms.TrainingRecordForm(instance=o),
        "provider", "Edited provider",
        lambda o: f"/training/records/{o.pk}/",
    ),
    "admin-records": Spec(
        lambda w: "/training/administrator-records/",
        r'href="/training/administrator-records/(\d+)/"',
        "/training/administrator-records/{}/", lambda w: "/training/administrator-records/new/",
        "/training/administrator-records/{}/edit/", "/api/training/administrator-records",
        lambda w: "/api/training/administrator-records",
        lambda w: {"person": str(w.users["district_admin"].pk), "district": str(w.district_a.pk),
                   "course": str(course("intro_sro_programs").pk),
                   "completed_on": "2025-02-02", "hours": "4", "provider": "COPS",
                   "notes": ""},
        lambda w: {"person_id": w.users["district_admin"].pk, "district_id": w.district_a.pk,
                   "course": "intro_sro_programs", "completed_on": "2025-02-02",
                   "hours": "4", "provider": "COPS"},
        lambda w: AdministratorTrainingRecord.objects.filter(course__code="intro_sro_programs"),
        ("admin_record_a", "admin_record_b"),
        lambda o: forms.AdministratorRecordForm(instance=o),
        "provider", "Edited provider",
        lambda o: f"/training/administrator-records/{o.pk}/",
    ),
    "staff-training": Spec(
        lambda w: "/training/staff-training/", r'href="/training/staff-training/(\d+)/"',
        "/training/staff-training/{}/", lambda w: "/training/staff-training/new/",
        "/training/staff-training/{}/edit/", "/api/training/staff-sessions",
        lambda w: "/api/training/staff-sessions",
        lambda w: {"school": str(w.school_a1.pk), "held_on": "2025-09-09",
                   "title": "When to involve the SRO", "topics": ["when_to_involve",
                                                                  "mou_ferpa"],
                   "attendees": "35", "hours": "1.5", "presenter": "", "notes": ""},
        lambda w: {"school_id": w.school_a1.pk, "held_on": "2025-09-09",
                   "title": "When to involve the SRO",
                   "topics": ["when_to_involve", "mou_ferpa"], "attendees": 35},
        lambda w: StaffTrainingSession.objects.filter(title="When to involve the SRO"),
        ("session_a1", "session_b1"), lambda o: forms.StaffSessionForm(instance=o),
        "attendees", 55,
        lambda o: f"/training/staff-training/{o.pk}/",
    ),
}


CASES = [(p, s, c) for p in PERSONAS for s in MODELS for c in (WEB, API)]
IDS = [f"{p}-{s}-{c}" for p, s, c in CASES]


def _named(w: World, slug: str) -> dict[int, str]:
    return {w.objects[n].pk: n for n in EVERYTHING[slug]}


@pytest.mark.parametrize(("persona", "slug", "channel"), CASES, ids=IDS)
def test_list(w: World, persona: str, slug: str, channel: str) -> None:
    spec = SPECS[slug]
    client = login(w, persona)
    allowed = LIST in ALLOWED[persona][slug]
    if channel == WEB:
        response = client.get(spec.web_list(w))
        if not allowed:
            assert response.status_code in (403, 404)
            return
        assert response.status_code == 200
        listed = {int(pk) for pk in re.findall(spec.web_link, response.content.decode())}
    else:
        response = client.get(spec.api, {"page_size": 500})
        if not allowed:
            assert response.status_code in (200, 403)
            if response.status_code == 200:
                assert response.json() == {"items": [], "count": 0}
            return
        assert response.status_code == 200
        listed = {item["id"] for item in response.json()["items"]}
    named = _named(w, slug)
    seen = {named[pk] for pk in listed if pk in named}
    assert seen == VISIBLE[persona][slug]


@pytest.mark.parametrize(("persona", "slug", "channel"), CASES, ids=IDS)
def test_detail(w: World, persona: str, slug: str, channel: str) -> None:
    spec = SPECS[slug]
    client = login(w, persona)
    for name in sorted(EVERYTHING[slug]):
        obj = w.objects[name]
        url = spec.web_detail.format(obj.pk) if channel == WEB else f"{spec.api}/{obj.pk}"
        response = client.get(url)
        if name in VISIBLE[persona][slug]:
            assert response.status_code == 200, name
            if channel == WEB:
                assert html.escape(str(obj)) in response.content.decode()
            else:
                assert response.json()["id"] == obj.pk
        else:
            assert response.status_code in (403, 404), name


@pytest.mark.parametrize(("persona", "slug", "channel"), CASES, ids=IDS)
def test_create(w: World, persona: str, slug: str, channel: str) -> None:
    spec = SPECS[slug]
    model = MODELS[slug][0]
    user = w.users[persona]
    client = login(w, persona)
    if spec.before_create is not None:
        spec.before_create(w)
    rows = model._default_manager.count()
    seq = last_seq()
    allowed = CREATE in ALLOWED[persona][slug]
    if channel == WEB:
        page = client.get(spec.web_create(w))
        assert page.status_code == (200 if allowed else 403) or (
            not allowed and page.status_code == 404)
        response = client.post(spec.web_create(w), spec.create_web(w))
    else:
        response = client.post(spec.api_create(w), json.dumps(spec.create_api(w)),
                               content_type="application/json")
    if not allowed:
        assert response.status_code in (403, 404), response.content[:500]
        assert model._default_manager.count() == rows
        assert not spec.find(w).exists()
        assert last_seq() == seq
        return
    created = spec.find(w).get()
    if channel == WEB:
        assert response.status_code == 302, response.content.decode()[-3000:]
        assert response["Location"] == spec.created_location(created)
    else:
        assert response.status_code == 201, response.content
        assert response.json()["id"] == created.pk
    assert model._default_manager.count() == rows + 1
    events = AuditEvent.objects.filter(seq__gt=seq)
    assert events.exists()
    assert {e.actor_id for e in events} == {user.pk}
    event = events.get(object_type=model._meta.label, object_id=str(created.pk))
    assert event.action == "create"
    assert event.before is None
    assert event.after == audit.snapshot(model._default_manager.get(pk=created.pk))


@pytest.mark.parametrize(("persona", "slug", "channel"), CASES, ids=IDS)
def test_edit(w: World, persona: str, slug: str, channel: str) -> None:
    spec = SPECS[slug]
    model = MODELS[slug][0]
    user = w.users[persona]
    client = login(w, persona)
    for name in spec.edit_targets:
        obj = model._default_manager.get(pk=w.objects[name].pk)
        before = audit.snapshot(obj)
        seq = last_seq()
        visible = name in VISIBLE[persona][slug]
        allowed = EDIT in ALLOWED[persona][slug] and visible
        value = spec.edit_value
        if channel == WEB:
            page = client.get(spec.web_edit.format(obj.pk))
            assert page.status_code == (200 if allowed else 403 if visible else 404), name
            data = form_data(spec.edit_form(obj), **{spec.edit_field: value})
            response = client.post(spec.web_edit.format(obj.pk), data)
        else:
            response = client.patch(f"{spec.api}/{obj.pk}", json.dumps({spec.edit_field: value}),
                                    content_type="application/json")
        fresh = model._default_manager.get(pk=obj.pk)
        if not allowed:
            assert response.status_code == (403 if visible else 404), (name, response.content)
            assert audit.snapshot(fresh) == before
            assert last_seq() == seq
            continue
        if channel == WEB:
            assert response.status_code == 302, response.content.decode()[-3000:]
        else:
            assert response.status_code == 200, response.content
            assert response.json()["id"] == obj.pk
        stored = audit.snapshot(fresh)[spec.edit_field]
        assert str(stored) == str(value)
        events = AuditEvent.objects.filter(seq__gt=seq)
        assert {e.actor_id for e in events} == {user.pk}
        event = events.get(object_type=model._meta.label, object_id=str(obj.pk))
        assert event.action == "update"
        assert event.before == before
        assert event.after == audit.snapshot(fresh)


# --------------------------------------------------------------------------- bad input


BAD: dict[str, tuple[Callable[[World], dict[str, Any]], Callable[[World], dict[str, Any]],
                     str, str | tuple[str, str]]] = {
    # slug: (web data, API payload, field, message fragment (or web's, API's))
    "courses": (lambda w: {**_course_web(w), "code": "basic_sro"},
                lambda w: {"code": "basic_sro", "name": "Dup", "kind": "topic"},
                "code", "already exists"),
    "profiles": (lambda w: {"name": "", "description": "x"}, lambda w: {"name": "",
                                                                        "description": "x"},
                 "name", ("required", "blank")),
    "rules": (lambda w: {**SPECS["rules"].create_web(w), "courses": []},
              lambda w: {**SPECS["rules"].create_api(w), "courses": []},
              "courses", ("required", "at least one course")),
    "agency-policies": (lambda w: SPECS["agency-policies"].create_web(w),
                        lambda w: SPECS["agency-policies"].create_api(w),
                        "agency", ("already exists", "already has a training policy")),
    "records": (lambda w: {**SPECS["records"].create_web(w), "hours": "0"},
                lambda w: {**SPECS["records"].create_api(w), "hours": "0"},
                "hours", "greater than"),
    "admin-records": (lambda w: {**SPECS["admin-records"].create_web(w),
                                 "completed_on": "2099-01-01"},
                      lambda w: {**SPECS["admin-records"].create_api(w),
                                 "completed_on": "2099-01-01"},
                      "completed_on", "future"),
    "staff-training": (lambda w: {**SPECS["staff-training"].create_web(w), "topics": []},
                       lambda w: {**SPECS["staff-training"].create_api(w), "topics": []},
                       "topics", "at least one topic"),
}


@pytest.mark.parametrize("slug", list(MODELS))
@pytest.mark.parametrize("channel", [WEB, API])
def test_bad_input_gives_a_clear_message_and_stores_nothing(w: World, slug: str,
                                                            channel: str) -> None:
    spec = SPECS[slug]
    model = MODELS[slug][0]
    web, payload, field, fragments = BAD[slug]
    if isinstance(fragments, str):
        fragments = (fragments, fragments)
    fragment = fragments[0] if channel == WEB else fragments[1]
    client = login(w, "system_admin")
    rows = model._default_manager.count()
    seq = last_seq()
    if channel == WEB:
        response = client.post(spec.web_create(w), web(w))
        assert response.status_code == 400
        form = response.context["form"]
        messages = form.errors.get(field, []) + form.non_field_errors()
        assert any(fragment in m for m in messages), form.errors
    else:
        response = client.post(spec.api_create(w), json.dumps(payload(w)),
                               content_type="application/json")
        assert response.status_code == 422, response.content
        detail = response.json()["detail"]
        assert any(fragment in d["message"] and field in d["field"] for d in detail), detail
    assert model._default_manager.count() == rows
    assert last_seq() == seq


def test_built_in_profile_refuses_edits_on_every_channel(w: World) -> None:
    client = login(w, "system_admin")
    profile = w.profile_cops
    seq = last_seq()
    page = client.post(f"/training/profiles/{profile.pk}/edit/",
                       {"name": "Changed", "description": ""})
    assert page.status_code == 400
    assert "built in and stays as published" in page.content.decode()
    api = client.patch(f"/api/training/profiles/{profile.pk}", json.dumps({"name": "Changed"}),
                       content_type="application/json")
    assert api.status_code == 422
    assert "copy it to adapt" in api.json()["detail"][0]["message"]
    rule = profile.rules.first()
    api = client.patch(f"/api/training/rules/{rule.pk}", json.dumps({"offset_amount": 1}),
                       content_type="application/json")
    assert api.status_code == 422
    assert PolicyProfile.objects.get(pk=profile.pk).name == profile.name
    assert last_seq() == seq


def test_copy_profile_through_web_and_api(w: World) -> None:
    client = login(w, "system_admin")
    response = client.post(f"/training/profiles/{w.profile_cops.pk}/copy/",
                           {"name": "COPS for Ohio"})
    copy = PolicyProfile.objects.get(name="COPS for Ohio")
    assert response.status_code == 302
    assert response["Location"] == f"/training/profiles/{copy.pk}/"
    assert copy.rules.count() == w.profile_cops.rules.count()
    assert AuditEvent.objects.filter(action="copy_profile", object_id=str(copy.pk)).exists()
    api = client.post(f"/api/training/profiles/{w.profile_cops.pk}/copy",
                      json.dumps({"name": "COPS for Ohio 2"}), content_type="application/json")
    assert api.status_code == 201
    assert api.json()["based_on_id"] == w.profile_cops.pk
    denied = login(w, "agency_admin").post(f"/training/profiles/{w.profile_cops.pk}/copy/",
                                           {"name": "Mine"})
    assert denied.status_code == 403
    assert not PolicyProfile.objects.filter(name="Mine").exists()


# --------------------------------------------------------------------------- other views

P = PERSONAS  # sro, supervisor, agency_admin, school_admin, district_admin, analyst,
#               auditor, system_admin, outsider


def row(*codes: int) -> dict[str, int]:
    assert len(codes) == len(P)
    return dict(zip(P, codes, strict=True))


#: (method, url template, expected status per persona), written out by hand.
VIEWS: list[tuple[str, str, dict[str, int]]] = [
    ("get", "/training/", row(200, 200, 200, 200, 200, 200, 200, 200, 403)),
    ("get", "/training/compliance/", row(200, 200, 200, 200, 200, 403, 200, 200, 403)),
    ("get", "/training/officers/{officer_a}/", row(200, 200, 200, 200, 200, 404, 200, 200,
                                                   404)),
    ("get", "/training/officers/{peer_a}/", row(404, 200, 200, 404, 200, 404, 200, 200, 404)),
    ("get", "/training/officers/{officer_b}/", row(404, 404, 404, 404, 404, 404, 200, 200,
                                                   404)),
    ("get", "/training/records/import/", row(200, 200, 200, 403, 403, 403, 403, 200, 403)),
    ("get", "/training/records/{record_a}/delete/", row(403, 403, 200, 403, 403, 404, 403,
                                                        200, 404)),
    ("get", "/training/records/{record_b}/delete/", row(404, 404, 404, 404, 404, 404, 403,
                                                        200, 404)),
    ("get", "/training/administrator-records/{admin_record_a}/delete/",
     row(404, 403, 403, 404, 200, 404, 403, 200, 404)),
    ("get", "/training/rules/{rule_local}/delete/", row(403, 403, 403, 403, 403, 403, 403,
                                                        200, 404)),
    ("get", "/training/records/{record_a}/certificate/",  # it has none: 404 for all
     row(404, 404, 404, 404, 404, 404, 404, 404, 404)),
    ("get", "/api/training/compliance/officers/{officer_a}",
     row(200, 200, 200, 200, 200, 404, 200, 200, 404)),
    ("get", "/api/training/compliance/agencies/{agency_a}",
     row(200, 200, 200, 200, 200, 403, 200, 200, 403)),
    ("get", "/api/training/compliance/agencies/{agency_b}",
     row(404, 404, 404, 404, 404, 403, 200, 200, 403)),
]


@pytest.mark.parametrize("persona", PERSONAS)
def test_other_views(w: World, persona: str) -> None:
    client = login(w, persona)
    ids = {name: obj.pk for name, obj in w.objects.items() if hasattr(obj, "pk")}
    seq = last_seq()
    for method, url, expected in VIEWS:
        response = getattr(client, method)(url.format(**ids))
        assert response.status_code == expected[persona], (url, response.status_code)
    assert last_seq() == seq  # reading writes nothing


@pytest.mark.parametrize("persona", PERSONAS)
def test_copy_profile_persona(w: World, persona: str) -> None:
    expected = row(403, 403, 403, 403, 403, 403, 403, 302, 404)[persona]
    seq = last_seq()
    response = login(w, persona).post(f"/training/profiles/{w.profile_cops.pk}/copy/",
                                      {"name": f"Copy by {persona}"})
    assert response.status_code == expected
    assert PolicyProfile.objects.filter(name=f"Copy by {persona}").exists() == (
        expected == 302)
    if expected != 302:
        assert last_seq() == seq
