"""The persona matrix of the transparency app: Publication and PublicationRun × the nine
personas × list, detail, create, edit, through the web and the API (architecture rule 3).

Expected access is written out by hand below. Publications are public: every persona
(and anonymous visitors) reads them on the portal; through the API every persona with a
role lists and reads them. The release log (PublicationRun, which keeps the unpublished
ledger) is for system administrators and auditors. Only system administrators publish
("create"); nobody edits a release (there is no edit route: releases are immutable).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from conftest import PERSONAS, World, module_world
from opensro.core.models import AuditEvent
from opensro.transparency import services
from opensro.transparency.models import Publication, PublicationRun
from opensro.transparency.tests.helpers import add_records

LIST, DETAIL, CREATE, EDIT = "list", "detail", "create", "edit"
ALL = frozenset({LIST, DETAIL})
NONE: frozenset[str] = frozenset()
ADMIN = frozenset({LIST, DETAIL, CREATE})

#: persona -> model -> allowed actions, through the web.
WEB: dict[str, dict[str, frozenset[str]]] = {
    "sro": {"publications": ALL, "runs": NONE},
    "supervisor": {"publications": ALL, "runs": NONE},
    "agency_admin": {"publications": ALL, "runs": NONE},
    "school_admin": {"publications": ALL, "runs": NONE},
    "district_admin": {"publications": ALL, "runs": NONE},
    "analyst": {"publications": ALL, "runs": NONE},
    "auditor": {"publications": ALL, "runs": ALL},
    "system_admin": {"publications": ADMIN, "runs": ADMIN},
    # The portal is public: even a user with no role reads it.
    "outsider": {"publications": ALL, "runs": NONE},
}
#: The same through the API (which needs a role).
API: dict[str, dict[str, frozenset[str]]] = {
    **{p: dict(v) for p, v in WEB.items()},
    "outsider": {"publications": NONE, "runs": NONE},
}
MODELS = {"publications": Publication, "runs": PublicationRun}


def _prepare(world: World) -> None:
    add_records(world, 30)
    services.publish(None, "2025-26")


@pytest.fixture(scope="module")
def shared_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    yield from module_world(django_db_blocker, _prepare)


def test_matrix_covers_every_scoped_model() -> None:
    scoped = {m for m in apps.get_app_config("transparency").get_models()
              if getattr(m, "scope_paths", None)}
    assert scoped == set(MODELS.values())
    assert set(WEB) == set(API) == set(PERSONAS)


def _client(w: World, persona: str) -> Client:
    client = Client()
    client.force_login(w.users[persona])
    return client


def _web(client: Client, slug: str, action: str, pub: Publication, run: PublicationRun
         ) -> int:
    if slug == "publications":
        url = {LIST: "/public/data/", DETAIL: f"/public/{pub.scope_kind}/{pub.scope_id}/",
               EDIT: f"/public/{pub.scope_kind}/{pub.scope_id}/"}.get(action)
    else:
        url = {LIST: "/public/releases/", DETAIL: f"/public/releases/{run.pk}/",
               EDIT: f"/public/releases/{run.pk}/"}.get(action)
    if action == CREATE:
        return client.post("/public/releases/publish/", {"year": "2025-26", "scope": "",
                                                         "force": "1"}).status_code
    if action == EDIT:
        return client.post(url or "", {"scope_name": "Changed"}).status_code
    return client.get(url or "").status_code


def _api(client: Client, slug: str, action: str, pub: Publication, run: PublicationRun
         ) -> int:
    root = "/api/transparency/publications" if slug == "publications" \
        else "/api/transparency/runs"
    obj = pub if slug == "publications" else run
    if action == LIST:
        return client.get(root).status_code
    if action == DETAIL:
        return client.get(f"{root}/{obj.pk}").status_code
    if action == CREATE:
        return client.post("/api/transparency/runs", {"school_year": "2025-26"},
                           content_type="application/json").status_code
    return client.patch(f"{root}/{obj.pk}", {"scope_name": "Changed"},
                        content_type="application/json").status_code


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("slug", list(MODELS))
@pytest.mark.parametrize("action", [LIST, DETAIL, CREATE, EDIT])
def test_web_access(w: World, persona: str, slug: str, action: str) -> None:
    pub = Publication.objects.order_by("pk").first()
    run = PublicationRun.objects.order_by("pk").first()
    assert pub is not None and run is not None
    runs_before = PublicationRun.objects.count()
    status = _web(_client(w, persona), slug, action, pub, run)
    allowed = action in WEB[persona][slug]
    if action == EDIT:
        assert status == 405  # no edit route for anyone
        assert Publication.objects.get(pk=pub.pk).scope_name == pub.scope_name
    elif action == CREATE:
        assert status == (302 if allowed else 403)
        if allowed:
            assert AuditEvent.objects.filter(action="publish",
                                             object_type="transparency.PublicationRun",
                                             actor=w.users[persona]).exists()
        else:
            assert PublicationRun.objects.count() == runs_before
    else:
        assert status == (200 if allowed else 403), (persona, slug, action, status)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("slug", list(MODELS))
@pytest.mark.parametrize("action", [LIST, DETAIL, CREATE, EDIT])
def test_api_access(w: World, persona: str, slug: str, action: str) -> None:
    pub = Publication.objects.order_by("pk").first()
    run = PublicationRun.objects.order_by("pk").first()
    assert pub is not None and run is not None
    status = _api(_client(w, persona), slug, action, pub, run)
    allowed = action in API[persona][slug]
    if action == EDIT:
        assert status == 405
    elif action == CREATE:
        # Nothing changed since the module's release: 200 without storing anything.
        assert status == (200 if allowed else 403)
    else:
        assert status == (200 if allowed else 403), (persona, slug, action, status)


def test_reads_show_every_release(w: World) -> None:
    """Publications are public data (GLOBAL scope): every reader sees all of them."""
    for persona in ("sro", "school_admin", "analyst"):
        body = _client(w, persona).get("/api/transparency/publications?page_size=100").json()
        assert body["count"] == Publication.objects.count() == 8
    body = _client(w, "auditor").get("/api/transparency/runs").json()
    assert body["count"] == 1 and "ledger" not in body["items"][0]


def test_api_publish_is_audited_and_bad_input_is_refused(w: World) -> None:
    client = _client(w, "system_admin")
    response = client.post("/api/transparency/runs", {"school_year": "1999-00"},
                           content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "year"
    assert "No school year '1999-00'" in response.json()["detail"][0]["message"]
    response = client.post("/api/transparency/runs",
                           {"school_year": "2025-26", "scopes": ["county"]},
                           content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "scope"
    assert PublicationRun.objects.count() == 1
    add_records(w, 3, seed=5)
    response = client.post("/api/transparency/runs", {"school_year": "2025-26"},
                           content_type="application/json")
    assert response.status_code == 201
    run = PublicationRun.objects.get(pk=response.json()["id"])
    assert AuditEvent.objects.filter(object_type="transparency.PublicationRun",
                                     object_id=str(run.pk), actor=w.users["system_admin"]
                                     ).exists()
    assert AuditEvent.objects.filter(object_type="transparency.Publication",
                                     action="publish").count() == 16
