"""The JSON API: the OpenAPI document, token and session authentication, pagination,
filters, validation errors, and the personal token page.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.utils import timezone

from conftest import World
from opensro.core import tokens
from opensro.core.models import ApiToken, AuditEvent
from opensro.directory import services as ds
from opensro.directory.models import District, School

SLUGS = ("districts", "agencies", "schools", "school-years", "enrollment", "officers",
         "assignments")


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


def post_json(client: Client, url: str, body: dict[str, Any], **extra: Any) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


# --------------------------------------------------------------------------- OpenAPI


def test_openapi_document(db: Any, client: Client) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] == "OpenSRO API"
    paths = doc["paths"]
    for slug in SLUGS:
        assert {"get", "post"} <= set(paths[f"/api/directory/{slug}"]), slug
        assert {"get", "patch"} <= set(paths[f"/api/directory/{slug}/{{item_id}}"]), slug
    assert "get" in paths["/api/me"]
    schemes = doc["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"} in schemes.values()
    # Every Foundation operation requires authentication (bearer or session).
    for path, operations in paths.items():
        if not (path.startswith("/api/directory/") or path == "/api/me"):
            continue
        for method, operation in operations.items():
            names = {name for requirement in operation["security"] for name in requirement}
            assert "TokenAuth" in names, (path, method)
    # Operation ids are unique and readable.
    op_ids = [op["operationId"] for ops in paths.values() for op in ops.values()]
    assert len(op_ids) == len(set(op_ids))
    assert "list_school_years" in op_ids


def test_api_docs_page(db: Any, client: Client) -> None:
    assert client.get("/api/docs").status_code == 200


# --------------------------------------------------------------------------- auth


def test_unauthenticated_is_401(db: Any, client: Client) -> None:
    for url in ("/api/me", "/api/directory/schools", "/api/directory/schools/1"):
        assert client.get(url).status_code == 401
    response = post_json(client, "/api/directory/districts",
                         {"name": "X", "nces_id": "3999995", "state": "OH"})
    assert response.status_code == 401
    assert not District.objects.filter(nces_id="3999995").exists()


def test_token_auth_me_and_scoped_list(world: World) -> None:
    owner = world.users["school_admin"]
    token, raw = tokens.create_token(owner, "integration")
    client = Client()
    me = client.get("/api/me", **bearer(raw))
    assert me.status_code == 200
    body = me.json()
    assert body["username"] == "school_admin"
    assert body["grants"] == [{"role": "school_admin", "scope_kind": "school",
                               "scope_id": world.school_a1.pk, "student_identity": False}]
    via_token = ids(client.get("/api/directory/schools", **bearer(raw)))
    assert via_token == {world.school_a1.pk}
    # The same as the owner's session sees.
    session = Client()
    session.force_login(owner)
    assert ids(session.get("/api/directory/schools")) == via_token
    for slug in SLUGS:
        assert ids(client.get(f"/api/directory/{slug}", **bearer(raw))) == ids(
            session.get(f"/api/directory/{slug}")), slug
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_token_auth_writes_are_attributed_and_need_no_csrf(world: World) -> None:
    owner = world.users["district_admin"]
    _token, raw = tokens.create_token(owner, "sis sync")
    client = Client(enforce_csrf_checks=True)
    response = post_json(client, "/api/directory/schools", {
        "district_id": world.district_a.pk, "name": "School A3", "nces_id": "399999100003",
        "level": "elementary", "lowest_grade": "KG", "highest_grade": "05"}, **bearer(raw))
    assert response.status_code == 201, response.content
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert event.actor == owner and event.action == "create"
    assert event.object_id == str(response.json()["id"])


def test_session_writes_need_csrf(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["system_admin"])
    body = {"name": "District C", "nces_id": "3999993", "state": "OH"}
    response = post_json(client, "/api/directory/districts", body)
    assert response.status_code == 403
    assert not District.objects.filter(nces_id="3999993").exists()
    client.get("/account/tokens/")  # any page sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    response = post_json(client, "/api/directory/districts", body, HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("case", ["revoked", "expired", "garbage", "wrong_prefix", "empty",
                                  "inactive_user", "not_bearer"])
def test_bad_tokens_are_401(world: World, case: str) -> None:
    owner = world.users["system_admin"]
    token, raw = tokens.create_token(owner, "t")
    headers = bearer(raw)
    if case == "revoked":
        tokens.revoke_token(owner, token)
    elif case == "expired":
        ApiToken.objects.filter(pk=token.pk).update(
            expires_at=timezone.now() - datetime.timedelta(seconds=1))
    elif case == "garbage":
        headers = bearer("osro_" + "x" * 43)
    elif case == "wrong_prefix":
        headers = bearer(raw.replace("osro_", "abcd_"))
    elif case == "empty":
        headers = {"HTTP_AUTHORIZATION": "Bearer "}
    elif case == "inactive_user":
        owner.is_active = False
        owner.save()
    elif case == "not_bearer":
        headers = {"HTTP_AUTHORIZATION": f"Token {raw}"}
    client = Client()
    assert client.get("/api/me", **headers).status_code == 401
    assert client.get("/api/directory/schools", **headers).status_code == 401


def test_good_token_control(world: World) -> None:
    """The control for the 401 cases above: the same token, untouched, works."""
    _token, raw = tokens.create_token(world.users["system_admin"], "t")
    assert Client().get("/api/me", **bearer(raw)).status_code == 200


def test_token_key_is_stored_hashed(world: World) -> None:
    token, raw = tokens.create_token(world.users["analyst"], "export", days=7)
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw.startswith("osro_") and len(raw) > 40
    assert stored.key_hash != raw
    assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert stored.prefix == raw[:12]
    assert raw[12:] not in stored.prefix
    assert stored.expires_at is not None
    assert abs((stored.expires_at - timezone.now()) - datetime.timedelta(days=7)) < \
        datetime.timedelta(minutes=1)
    # The raw key is nowhere in the database, the audit trail included.
    secret_part = raw[12:]
    for model in apps.get_models():
        for row in model._default_manager.values_list():
            for value in row:
                assert secret_part not in json.dumps(value, default=str), model
    event = AuditEvent.objects.get(action="create_token")
    assert event.after is not None and "key_hash" not in event.after


# --------------------------------------------------------------------------- pagination


def test_pagination(world: World) -> None:
    client = Client()
    client.force_login(world.users["system_admin"])
    first = client.get("/api/directory/schools", {"page_size": 3}).json()
    assert first["count"] == 4 and len(first["items"]) == 3
    second = client.get("/api/directory/schools", {"page_size": 3, "page": 2}).json()
    assert second["count"] == 4 and len(second["items"]) == 1
    everything = {i["id"] for i in first["items"]} | {i["id"] for i in second["items"]}
    assert everything == set(School.objects.values_list("pk", flat=True))
    beyond = client.get("/api/directory/schools", {"page_size": 3, "page": 3}).json()
    assert beyond == {"items": [], "count": 4}
    # Defaults: 50 a page.
    default = client.get("/api/directory/enrollment").json()
    assert default["count"] == 2 and len(default["items"]) == 2
    assert client.get("/api/directory/schools", {"page": 0}).status_code == 422


def test_pagination_counts_only_the_scope(world: World) -> None:
    client = Client()
    client.force_login(world.users["district_admin"])
    body = client.get("/api/directory/schools", {"page_size": 1}).json()
    assert body["count"] == 2 and len(body["items"]) == 1


# --------------------------------------------------------------------------- filters


def test_filters(world: World) -> None:
    client = Client()
    client.force_login(world.users["system_admin"])
    url = "/api/directory/"
    assert ids(client.get(url + "schools", {"district_id": world.district_b.pk})) == {
        world.school_b1.pk, world.school_b2.pk}
    assert ids(client.get(url + "schools", {"level": "middle"})) == {
        world.school_a2.pk, world.school_b2.pk}
    assert ids(client.get(url + "schools", {"q": "A1"})) == {world.school_a1.pk}
    assert ids(client.get(url + "schools", {"q": "399999200002"})) == {world.school_b2.pk}
    ds.update_officer(None, world.peer_b, {"status": "leave"})
    assert ids(client.get(url + "officers", {"status": "leave"})) == {world.peer_b.pk}
    assert len(ids(client.get(url + "officers", {"status": "active"}))) == 3
    assert ids(client.get(url + "officers", {"agency_id": world.agency_a.pk})) == {
        world.officer_a.pk, world.peer_a.pk}
    ds.end_assignment(None, world.assignment_a2, datetime.date(2025, 12, 19))
    assert ids(client.get(url + "assignments", {"current_on": "2026-01-10"})) == {
        world.assignment_a1.pk, world.assignment_b1.pk, world.assignment_b2.pk}
    assert len(ids(client.get(url + "assignments", {"current_on": "2025-10-01"}))) == 4
    assert ids(client.get(url + "assignments", {"current_on": "2024-07-31"})) == set()
    assert ids(client.get(url + "assignments", {"officer_id": world.peer_a.pk})) == {
        world.assignment_a2.pk}
    assert ids(client.get(url + "enrollment", {"school_year": "2025-26",
                                               "school_id": world.school_b1.pk})) == {
        world.enrollment_b.pk}
    assert ids(client.get(url + "enrollment", {"school_year": "2024-25"})) == set()
    assert ids(client.get(url + "school-years", {"code": "2025-26"})) == {world.year.pk}


def test_filter_cannot_widen_the_scope(world: World) -> None:
    client = Client()
    client.force_login(world.users["supervisor"])
    assert ids(client.get("/api/directory/officers", {"agency_id": world.agency_b.pk})) == set()
    assert ids(client.get("/api/directory/assignments",
                          {"school_id": world.school_b1.pk})) == set()


# --------------------------------------------------------------------------- validation


def _detail(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail
    for item in detail:
        assert set(item) == {"field", "message"}
        assert item["message"]
    return list(detail)


def test_validation_errors_name_field_and_fix(world: World) -> None:
    client = Client()
    client.force_login(world.users["system_admin"])
    base = {"district_id": world.district_a.pk, "name": "School A3", "level": "high",
            "lowest_grade": "09", "highest_grade": "12"}
    detail = _detail(post_json(client, "/api/directory/schools", {**base, "nces_id": "123"}))
    assert detail[0]["field"] == "nces_id"
    assert "exactly 12 digits" in detail[0]["message"]
    assert "'123'" in detail[0]["message"]
    detail = _detail(post_json(client, "/api/directory/schools",
                               {**base, "nces_id": "399999200003"}))
    assert detail == [{"field": "nces_id", "message": "An NCES school ID starts with its "
                       "district's 7-digit ID (3999991)."}]
    detail = _detail(post_json(client, "/api/directory/schools",
                               {**base, "nces_id": "399999100003", "lowest_grade": "12",
                                "highest_grade": "09"}))
    assert detail[0]["field"] == "highest_grade"
    # Missing fields and wrong types come back in the same shape.
    detail = _detail(post_json(client, "/api/directory/schools", {"name": "Only a name"}))
    assert {d["field"] for d in detail} >= {"district_id", "nces_id", "level"}
    detail = _detail(post_json(client, "/api/directory/enrollment", {
        "school_id": world.school_a1.pk, "school_year": "2025-26", "group": "BL", "sex": "M",
        "count": -1}))
    assert detail[0]["field"] == "count"
    detail = _detail(post_json(client, "/api/directory/enrollment", {
        "school_id": world.school_a1.pk, "school_year": "1999-00", "group": "BL", "sex": "M",
        "count": 1}))
    assert detail == [{"field": "school_year", "message": "Unknown school year '1999-00'."}]
    detail = _detail(client.get("/api/directory/assignments", {"current_on": "soon"}))
    assert detail[0]["field"] == "current_on"
    assert not School.objects.filter(nces_id__in=["399999100003", "399999200003"]).exists()


def test_out_of_scope_reference_is_422_naming_the_field(world: World) -> None:
    client = Client()
    client.force_login(world.users["agency_admin"])
    detail = _detail(post_json(client, "/api/directory/officers", {
        "agency_id": world.agency_b.pk, "first_name": "A", "last_name": "B",
        "badge_number": "x1", "date_sworn": "2019-01-01"}))
    assert detail[0]["field"] == "agency_id"


def test_not_found_and_forbidden_shapes(world: World) -> None:
    client = Client()
    client.force_login(world.users["auditor"])
    response = client.get("/api/directory/schools/999999")
    assert response.status_code == 404
    assert "detail" in response.json()
    response = client.patch(f"/api/directory/schools/{world.school_a1.pk}",
                            json.dumps({"name": "X"}), content_type="application/json")
    assert response.status_code == 403
    assert "may not" in response.json()["detail"]


# --------------------------------------------------------------------------- token page


def test_token_page_create_show_once_and_revoke(world: World) -> None:
    user = world.users["supervisor"]
    client = Client()
    client.force_login(user)
    page = client.get("/account/tokens/")
    assert page.status_code == 200
    assert "You have no tokens." in page.content.decode()
    response = client.post("/account/tokens/", {"name": "CAD export", "days": 30})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=user)
    text = response.content.decode()
    start = text.index("osro_")
    raw = text[start:text.index("<", start)]
    assert ApiToken.hash_key(raw) == token.key_hash
    assert "it will not be shown again" in text
    # Shown once: the next visit lists the token by prefix only.
    again = client.get("/account/tokens/").content.decode()
    assert raw not in again
    assert token.prefix in again and "CAD export" in again
    assert Client().get("/api/me", **bearer(raw)).status_code == 200
    # Revoke (audited), after which the token no longer works.
    events = AuditEvent.objects.count()
    response = client.post(f"/account/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.count() == events + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert (event.action, event.actor, event.object_id) == ("revoke_token", user,
                                                            str(token.pk))
    assert event.before is not None and event.before["revoked_at"] is None
    assert event.after is not None and event.after["revoked_at"] is not None
    assert Client().get("/api/me", **bearer(raw)).status_code == 401
    assert "revoked" in client.get("/account/tokens/").content.decode()


def test_token_page_cannot_revoke_someone_elses_token(world: World) -> None:
    other, _raw = tokens.create_token(world.users["analyst"], "theirs")
    client = Client()
    client.force_login(world.users["supervisor"])
    assert client.post(f"/account/tokens/{other.pk}/revoke/").status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None
    assert "theirs" not in client.get("/account/tokens/").content.decode()


def test_token_page_validates_and_needs_login(world: World) -> None:
    client = Client()
    assert client.get("/account/tokens/").status_code == 302  # to the sign-in page
    client.force_login(world.users["outsider"])
    response = client.post("/account/tokens/", {"name": "", "days": 900})
    assert response.status_code == 200
    assert not ApiToken.objects.exists()
    assert "This field is required" in response.content.decode()
