"""The persona matrix of the selection app: every model × every persona × list, detail,
create and edit, through the web pages and the API (architecture rule 3; R-B1…R-B4).

Candidate records are personnel data. Written out by hand: agency A's supervisor and
administrator see and write county A's selections; school A1's administrator sees the
selection for their school (its committee, candidates, ratings and probation), records
their own ratings and their probationary review; the auditor reads everything; the
system administrator does everything; the SRO, the district administrator, the analyst
and the outsider see nothing.
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

from conftest import PERSONAS, World, form_data, last_seq, login, module_world
from opensro.core import audit
from opensro.core.models import AuditEvent
from opensro.selection import forms, services
from opensro.selection.choices import QUALITY_FIELDS
from opensro.selection.models import (
    Candidate,
    CommitteeMember,
    Probation,
    Rating,
    SelectionProcess,
)

D = datetime.date
WEB, API = "web", "api"
LIST, DETAIL, CREATE, EDIT = "list", "detail", "create", "edit"
_ = frozenset
NONE: frozenset[str] = _()
R = _({LIST, DETAIL})
RE = _({LIST, DETAIL, EDIT})
RCE = _({LIST, DETAIL, CREATE, EDIT})
SCORES = dict.fromkeys(QUALITY_FIELDS, 4)


def prepare(w: World) -> None:
    o = w.objects
    for tag, agency, school, sup_user, school_user in (
            ("a", w.agency_a, w.school_a1, w.users["supervisor"], w.users["school_admin"]),
            ("b", w.agency_b, w.school_b1, None, None)):
        process = services.create_process(None, {
            "agency": agency, "school": school, "title": f"SRO for {school}",
            "opened_on": D(2025, 3, 1)})
        school_rep = services.create_member(None, {
            "process": process, "name": f"Principal {tag.upper()}",
            "role": "school_representative", "works_with_sro": True, "user": school_user})
        supervisor = services.create_member(None, {
            "process": process, "name": f"Sergeant {tag.upper()}", "role": "agency_supervisor",
            "works_with_sro": True, "user": sup_user})
        peer = w.objects[f"peer_{tag}"]
        chosen = services.create_candidate(None, {"process": process, "officer": peer,
                                                  "volunteered": True})
        waiting = services.create_candidate(None, {
            "process": process, "first_name": "Wes", "last_name": f"Waiting{tag.upper()}",
            "date_sworn": D(2015, 5, 5), "volunteered": True})
        second = services.create_candidate(None, {
            "process": process, "first_name": "Val", "last_name": f"Second{tag.upper()}",
            "date_sworn": D(2016, 6, 6), "volunteered": True})
        rating = services.rate(None, chosen, school_rep, SCORES)
        rating_sup = services.rate(None, chosen, supervisor, SCORES)
        services.decide(None, chosen, "selected", "Best fit", D(2025, 6, 1))
        services.decide(None, second, "selected", "Second post", D(2025, 6, 1))
        probation = services.create_probation(None, {
            "candidate": chosen, "start_date": D(2025, 8, 1), "end_date": D(2026, 1, 31),
            "reviewed_on": D(2025, 12, 1), "school_admin_name": "Principal",
            "school_admin_comments": "So far so good."})
        o.update({f"process_{tag}": process, f"member_{tag}": school_rep,
                  f"member_sup_{tag}": supervisor, f"candidate_{tag}": chosen,
                  f"waiting_{tag}": waiting, f"second_{tag}": second,
                  f"rating_{tag}": rating, f"rating_sup_{tag}": rating_sup,
                  f"probation_{tag}": probation})


@pytest.fixture(scope="module")
def shared_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    yield from module_world(django_db_blocker, prepare)


MODELS: dict[str, tuple[type[models.Model], tuple[str, ...], tuple[str, ...]]] = {
    "selections": (SelectionProcess, ("process_a",), ("process_b",)),
    "members": (CommitteeMember, ("member_a", "member_sup_a"), ("member_b", "member_sup_b")),
    "candidates": (Candidate, ("candidate_a", "waiting_a", "second_a"),
                   ("candidate_b", "waiting_b", "second_b")),
    "ratings": (Rating, ("rating_a", "rating_sup_a"), ("rating_b", "rating_sup_b")),
    "probations": (Probation, ("probation_a",), ("probation_b",)),
}
COUNTY_A = {slug: _(a) for slug, (_m, a, _b) in MODELS.items()}
EVERYTHING = {slug: _(a + b) for slug, (_m, a, b) in MODELS.items()}
NOTHING = dict.fromkeys(MODELS, NONE)
AGENCY_SIDE = dict.fromkeys(MODELS, RCE)

ALLOWED: dict[str, dict[str, frozenset[str]]] = {
    "sro": dict.fromkeys(MODELS, NONE),
    "supervisor": AGENCY_SIDE,
    "agency_admin": AGENCY_SIDE,
    # Reads their school's selection; rates as themselves; documents the probation review.
    "school_admin": {"selections": R, "members": R, "candidates": R, "ratings": RCE,
                     "probations": RE},
    "district_admin": dict.fromkeys(MODELS, NONE),
    "analyst": dict.fromkeys(MODELS, NONE),
    "auditor": dict.fromkeys(MODELS, R),
    "system_admin": AGENCY_SIDE,
    "outsider": dict.fromkeys(MODELS, NONE),
}
VISIBLE: dict[str, dict[str, frozenset[str]]] = {
    "sro": NOTHING, "supervisor": COUNTY_A, "agency_admin": COUNTY_A,
    "school_admin": COUNTY_A,  # the selection for school A1
    "district_admin": NOTHING, "analyst": NOTHING, "auditor": EVERYTHING,
    "system_admin": EVERYTHING, "outsider": NOTHING,
}
#: Which objects each persona may edit (others it sees answer 403).
EDITABLE: dict[str, dict[str, frozenset[str]]] = {
    "school_admin": {**dict.fromkeys(MODELS, NONE), "ratings": _({"rating_a"}),
                     "probations": _({"probation_a"})},
}


def test_matrix_covers_every_scoped_selection_model() -> None:
    scoped = {m for m in apps.get_app_config("selection").get_models()
              if getattr(m, "scope_paths", None)}
    assert scoped == {m for m, _a, _b in MODELS.values()}
    assert set(ALLOWED) == set(VISIBLE) == set(PERSONAS)
    for persona in PERSONAS:
        assert set(ALLOWED[persona]) == set(VISIBLE[persona]) == set(MODELS)
        for slug in MODELS:
            assert (DETAIL in ALLOWED[persona][slug]) == bool(VISIBLE[persona][slug])


@dataclass(frozen=True)
class Spec:
    web_list: str
    web_link: str
    web_detail: str
    web_create: str
    web_edit: str
    api: str
    create_web: Callable[[World], dict[str, Any]]
    create_api: Callable[[World], dict[str, Any]]
    find: Callable[[World], models.QuerySet[Any]]
    created_location: Callable[[Any], str]
    edit_targets: tuple[str, ...]
    edit_form: Callable[[Any], Any]
    edit_field: str
    edit_value: Any


def _scores_web() -> dict[str, str]:
    return dict.fromkeys(QUALITY_FIELDS, "3")


SPECS: dict[str, Spec] = {
    "selections": Spec(
        "/selection/", r'href="/selection/(\d+)/"', "/selection/{}/", "/selection/new/",
        "/selection/{}/edit/", "/api/selection/selections",
        lambda w: {"agency": str(w.agency_a.pk), "school": str(w.school_a2.pk),
                   "title": "SRO for School A2", "opened_on": "2025-09-01", "closed_on": "",
                   "notes": ""},
        lambda w: {"agency_id": w.agency_a.pk, "school_id": w.school_a2.pk,
                   "title": "SRO for School A2", "opened_on": "2025-09-01"},
        lambda w: SelectionProcess.objects.filter(title="SRO for School A2"),
        lambda o: f"/selection/{o.pk}/",
        ("process_a", "process_b"), lambda o: forms.ProcessForm(instance=o),
        "title", "Renamed selection",
    ),
    "members": Spec(
        "/selection/members/", r'href="/selection/members/(\d+)/"',
        "/selection/members/{}/", "/selection/members/new/", "/selection/members/{}/edit/",
        "/api/selection/members",
        lambda w: {"process": str(w.process_a.pk), "name": "Terry Teacher", "role": "teacher",
                   "organization": "School A1", "user": ""},
        lambda w: {"process_id": w.process_a.pk, "name": "Terry Teacher", "role": "teacher",
                   "organization": "School A1"},
        lambda w: CommitteeMember.objects.filter(name="Terry Teacher"),
        lambda o: f"/selection/{o.process_id}/",
        ("member_a", "member_b"), lambda o: forms.MemberForm(instance=o),
        "organization", "Edited organization",
    ),
    "candidates": Spec(
        "/selection/candidates/", r'href="/selection/candidates/(\d+)/"',
        "/selection/candidates/{}/", "/selection/candidates/new/",
        "/selection/candidates/{}/edit/", "/api/selection/candidates",
        lambda w: {"process": str(w.process_a.pk), "officer": "", "first_name": "Nia",
                   "last_name": "Newcandidate", "date_sworn": "2014-04-04",
                   "volunteered": "on", "youth_complaint_notes": "", "youth_experience": "",
                   "notes": ""},
        lambda w: {"process_id": w.process_a.pk, "first_name": "Nia",
                   "last_name": "Newcandidate", "date_sworn": "2014-04-04",
                   "volunteered": True},
        lambda w: Candidate.objects.filter(last_name="Newcandidate"),
        lambda o: f"/selection/candidates/{o.pk}/",
        ("candidate_a", "candidate_b"), lambda o: forms.CandidateForm(instance=o),
        "youth_experience", "Coaches a youth team",
    ),
    "ratings": Spec(
        "/selection/ratings/", r'href="/selection/ratings/(\d+)/"', "/selection/ratings/{}/",
        "/selection/ratings/new/", "/selection/ratings/{}/edit/", "/api/selection/ratings",
        lambda w: {"candidate": str(w.waiting_a.pk), "member": str(w.member_a.pk),
                   **_scores_web(), "comments": "Solid"},
        lambda w: {"candidate_id": w.waiting_a.pk, "member_id": w.member_a.pk,
                   "scores": dict.fromkeys(QUALITY_FIELDS, 3), "comments": "Solid"},
        lambda w: Rating.objects.filter(candidate=w.waiting_a, member=w.member_a),
        lambda o: f"/selection/candidates/{o.candidate_id}/",
        ("rating_a", "rating_sup_a", "rating_b"), lambda o: forms.RatingForm(instance=o),
        "comments", "Edited comments",
    ),
    "probations": Spec(
        "/selection/probations/", r'href="/selection/probations/(\d+)/"',
        "/selection/probations/{}/", "/selection/probations/new/",
        "/selection/probations/{}/edit/", "/api/selection/probations",
        lambda w: {"candidate": str(w.second_a.pk), "start_date": "2025-09-01",
                   "end_date": "2026-02-28", "school_admin_name": "", "reviewed_on": "",
                   "school_admin_comments": "", "outcome": "pending", "outcome_reason": ""},
        lambda w: {"candidate_id": w.second_a.pk, "start_date": "2025-09-01",
                   "end_date": "2026-02-28"},
        lambda w: Probation.objects.filter(candidate=w.second_a),
        lambda o: f"/selection/candidates/{o.candidate_id}/",
        ("probation_a", "probation_b"), lambda o: forms.ProbationForm(instance=o),
        "school_admin_comments", "Reviewed with the principal.",
    ),
}


CASES = [(p, s, c) for p in PERSONAS for s in MODELS for c in (WEB, API)]
IDS = [f"{p}-{s}-{c}" for p, s, c in CASES]


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
        assert response.status_code == 200
        listed = {int(pk) for pk in re.findall(spec.web_link, response.content.decode())}
    else:
        response = client.get(spec.api, {"page_size": 500})
        if LIST not in ALLOWED[persona][slug]:
            assert response.status_code in (200, 403)
            if response.status_code == 200:
                assert response.json() == {"items": [], "count": 0}
            return
        assert response.status_code == 200
        listed = {item["id"] for item in response.json()["items"]}
    assert listed == expected


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
            assert html.escape(str(obj)) not in response.content.decode()


@pytest.mark.parametrize(("persona", "slug", "channel"), CASES, ids=IDS)
def test_create(w: World, persona: str, slug: str, channel: str) -> None:
    spec = SPECS[slug]
    model = MODELS[slug][0]
    user = w.users[persona]
    client = login(w, persona)
    rows = model._default_manager.count()
    seq = last_seq()
    allowed = CREATE in ALLOWED[persona][slug]
    if channel == WEB:
        assert client.get(spec.web_create).status_code == (200 if allowed else 403)
        response = client.post(spec.web_create, spec.create_web(w))
    else:
        response = client.post(spec.api, json.dumps(spec.create_api(w)),
                               content_type="application/json")
    if not allowed:
        assert response.status_code in (403, 404, 422), response.content[:500]
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
    events = list(AuditEvent.objects.filter(seq__gt=seq))
    assert len(events) == 1
    event = events[0]
    assert (event.actor_id, event.action, event.object_type, event.object_id) == (
        user.pk, "create", model._meta.label, str(created.pk))
    assert event.before is None
    assert event.after == audit.snapshot(created)


@pytest.mark.parametrize(("persona", "slug", "channel"), CASES, ids=IDS)
def test_edit(w: World, persona: str, slug: str, channel: str) -> None:
    spec = SPECS[slug]
    model = MODELS[slug][0]
    user = w.users[persona]
    client = login(w, persona)
    editable = EDITABLE.get(persona, {}).get(slug)
    for name in spec.edit_targets:
        obj = model._default_manager.get(pk=w.objects[name].pk)
        before = audit.snapshot(obj)
        seq = last_seq()
        visible = name in VISIBLE[persona][slug]
        allowed = EDIT in ALLOWED[persona][slug] and visible and (
            editable is None or name in editable)
        value = spec.edit_value
        if channel == WEB:
            page = client.get(spec.web_edit.format(obj.pk))
            if editable is None or not visible:
                assert page.status_code == (200 if allowed else 403 if visible else 404), name
            data = form_data(spec.edit_form(obj), **{spec.edit_field: value})
            response = client.post(spec.web_edit.format(obj.pk), data)
        else:
            response = client.patch(f"{spec.api}/{obj.pk}", json.dumps({spec.edit_field: value}),
                                    content_type="application/json")
        fresh = model._default_manager.get(pk=obj.pk)
        if not allowed:
            # Not visible: 404. Visible, not writable: 403; the school administrator
            # editing another member's ratings is refused by the service (400 on the
            # page with the message, 403 from the API).
            assert response.status_code in ((403, 400) if visible else (404,)), (
                name, response.status_code)
            assert audit.snapshot(fresh) == before
            assert last_seq() == seq
            continue
        if channel == WEB:
            assert response.status_code == 302, response.content.decode()[-3000:]
        else:
            assert response.status_code == 200, response.content
            assert response.json()["id"] == obj.pk
        assert getattr(fresh, spec.edit_field) == value
        events = list(AuditEvent.objects.filter(seq__gt=seq))
        assert len(events) == 1
        event = events[0]
        assert (event.actor_id, event.action, event.object_id) == (user.pk, "update",
                                                                   str(obj.pk))
        assert event.before == before
        assert event.after == audit.snapshot(fresh)


DECIDERS = {"supervisor", "agency_admin", "system_admin"}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("channel", [WEB, API])
def test_decide(w: World, persona: str, channel: str) -> None:
    client = login(w, persona)
    candidate = w.waiting_a
    seq = last_seq()
    if channel == WEB:
        response = client.post(f"/selection/candidates/{candidate.pk}/decide/", {
            "decision": "not_selected", "decision_reason": "Another fit better",
            "decided_on": "2025-06-02"})
    else:
        response = client.post(f"/api/selection/candidates/{candidate.pk}/decision",
                               json.dumps({"decision": "not_selected",
                                           "reason": "Another fit better"}),
                               content_type="application/json")
    fresh = Candidate.objects.get(pk=candidate.pk)
    if persona in DECIDERS:
        assert response.status_code == (302 if channel == WEB else 200), response.content
        assert fresh.decision == "not_selected"
        event = AuditEvent.objects.get(seq__gt=seq)
        assert (event.actor_id, event.action) == (w.users[persona].pk, "decide")
        return
    visible = "waiting_a" in VISIBLE[persona]["candidates"]
    assert response.status_code == (403 if visible else 404)
    assert fresh.decision == "pending"
    assert last_seq() == seq


def test_bad_input_on_each_form_gives_a_clear_message_and_stores_nothing(w: World) -> None:
    client = login(w, "agency_admin")
    cases = [
        ("/selection/new/", {**SPECS["selections"].create_web(w), "opened_on": "2025-09-01",
                             "closed_on": "2025-08-01"}, "closed_on", "cannot close before"),
        ("/selection/candidates/new/", {**SPECS["candidates"].create_web(w),
                                        "youth_complaints": "on"},
         "youth_complaint_notes", "Describe the complaint"),
        ("/selection/ratings/new/", {**SPECS["ratings"].create_web(w), "teaching": "9"},
         "teaching", "valid choice"),
        ("/selection/probations/new/", {**SPECS["probations"].create_web(w),
                                        "end_date": "2025-01-01"},
         "end_date", "end after it starts"),
        ("/selection/members/new/", {**SPECS["members"].create_web(w), "role": ""},
         "role", "required"),
    ]
    for url, data, field, fragment in cases:
        seq = last_seq()
        response = client.post(url, data)
        assert response.status_code == 400, url
        errors = response.context["form"].errors
        assert any(fragment in m for m in errors.get(field, [])), (url, errors)
        assert last_seq() == seq
    api = client.post("/api/selection/probations", json.dumps(
        {**SPECS["probations"].create_api(w), "end_date": "2025-01-01"}),
        content_type="application/json")
    assert api.status_code == 422
    assert api.json()["detail"] == [{"field": "end_date", "message":
                                     "The probationary period must end after it starts."}]
    assert not Probation.objects.filter(candidate=w.second_a).exists()
