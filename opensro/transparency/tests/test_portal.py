"""The public portal and its open-data files (R-E1, R-E3, R-C3, R-D2): anonymous, in
English and Spanish, read from published snapshots only, cached, with no small count and
no identifier anywhere; the releases page is for signed-in administrators only."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import World, module_world
from opensro.incidents.models import Involvement
from opensro.program.public import public_mous
from opensro.transparency import cache as portal_cache
from opensro.transparency import services
from opensro.transparency.models import Publication
from opensro.transparency.tests import scan
from opensro.transparency.tests.helpers import add_records, identifiers

K = 10


def _prepare(world: World) -> None:
    add_records(world, 70)
    services.publish(None, "2025-26")


@pytest.fixture(scope="module")
def shared_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    yield from module_world(django_db_blocker, _prepare)


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    portal_cache.clear()


def anonymous(language: str = "en") -> Client:
    client = Client()
    if language != "en":
        response = client.post("/i18n/setlang/", {"language": language, "next": "/public/"})
        assert response.status_code == 302
    return client


def public_urls() -> list[str]:
    urls = ["/public/", "/public/?year=2025-26", "/public/about-sros/", "/public/data/",
            "/public/data/dictionary/", "/public/data/dictionary.json"]
    for pub in Publication.objects.all():
        base = f"/public/{pub.scope_kind}/{pub.scope_id}/"
        urls += [base, f"{base}?year=2025-26&measure=search", f"{base}?measure=contact",
                 f"/public/data/{pub.scope_kind}/{pub.scope_id}/2025-26.csv",
                 f"/public/data/{pub.scope_kind}/{pub.scope_id}/2025-26.json"]
    return urls


def counts_of(url: str, body: str) -> list[int]:
    if url.endswith(".csv"):
        return scan.csv_counts(body)
    if url.endswith("dictionary.json"):
        return []
    if url.endswith(".json"):
        return scan.json_counts(body)
    if ".svg" in url:
        return []  # charts draw rates and ratios, never counts
    return scan.page_counts(body)


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_public_page_and_file_is_safe(w: World, language: str) -> None:
    """Every page and download works without signing in, shows no count from 1 to
    k−1, and names no officer, badge, incident or student pseudonym."""
    client = anonymous(language)
    secrets = identifiers(w)
    assert any(s.startswith("INC-") for s in secrets) and Involvement.objects.exclude(
        student_pseudonym="").exists()
    seen = 0
    urls = public_urls()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        found = counts_of(url, body)
        seen += len(found)
        assert scan.small(found, K) == [], (url, scan.small(found, K))
        text = scan.searchable(url, body)
        for secret in secrets:
            assert secret not in text, (url, secret)
        if not url.endswith((".csv", ".json", ".svg")):
            assert response["Content-Language"] == language
            # The page's charts too.
            urls += [html.unescape(src) for src in re.findall(r'<img src="([^"]+)"', body)
                     if html.unescape(src) not in urls]
    assert seen > 200
    assert any(".svg" in url for url in urls)


def test_pages_are_in_spanish(w: World) -> None:
    client = anonymous("es")
    pub = Publication.objects.get(scope_kind="district", scope_id=w.district_a.pk)
    body = client.get(f"/public/district/{pub.scope_id}/").content.decode()
    assert 'lang="es"' in body
    assert "Cifras clave" in body and "Detenciones relacionadas con la escuela" in body
    about = client.get("/public/about-sros/").content.decode()
    assert "Lo que un SRO puede" in about or "Un SRO puede" in about
    english = anonymous().get(f"/public/district/{pub.scope_id}/").content.decode()
    assert "Key figures" in english and "Cifras clave" not in english


def test_scope_page_shows_what_was_published(w: World) -> None:
    pub = Publication.objects.get(scope_kind="school", scope_id=w.school_a1.pk)
    body = anonymous().get(f"/public/school/{pub.scope_id}/").content.decode()
    cells = {(c["table"], c["measure"], c["group"]): c for c in pub.cells}
    contacts = cells[("summary", "contact", "total")]["count"]
    assert contacts and contacts >= K
    assert f'<dd class="count">{contacts}</dd>' in body
    assert "Figures published on" in body
    n = pub.info["suppression"]
    assert f"Of {n['cells']} counts on this page, {n['suppressed']} are withheld" in body
    assert n["suppressed"] == sum(1 for c in pub.cells if c["status"] == "suppressed")
    # Which withheld counts are small is never said (it would bound them below k).
    assert "suppressed_small" not in body and "†" not in body
    assert f"/public/data/school/{pub.scope_id}/2025-26.csv" in body
    assert "District A" in body  # its district
    assert "Discipline-involvement flags" in body and "Triad and prevention" in body
    assert 'aria-hidden="true">*</span><span class="visually-hidden">suppressed' in body


def test_pages_read_only_published_snapshots(w: World) -> None:
    """New records change nothing on the portal until the next release."""
    url = f"/public/district/{w.district_a.pk}/"
    before = scan.page_cells(anonymous().get(url).content.decode())
    add_records(w, 12, seed=99)
    portal_cache.clear()
    assert scan.page_cells(anonymous().get(url).content.decode()) == before
    assert services.publish(None, "2025-26") is not None
    assert scan.page_cells(anonymous().get(url).content.decode()) != before


def test_pages_are_cached_per_language_and_release(w: World) -> None:
    client = anonymous()
    url = f"/public/district/{w.district_a.pk}/"
    first = client.get(url)
    key = first["X-Portal-Release"]
    assert key.startswith(f'{services.PublicationRun.objects.latest("id").pk}-')
    with CaptureQueriesContext(connection) as ctx:
        again = client.get(url)
    assert again.content == first.content
    assert len(ctx.captured_queries) == 0  # the release token is cached too
    spanish = anonymous("es").get(url)
    assert spanish.content != first.content and 'lang="es"' in spanish.content.decode()
    # Nothing in a public page is per visitor: no CSRF token, no cookie set.
    assert b"csrfmiddlewaretoken" not in first.content
    assert Client().get(url).content == first.content
    assert not first.cookies and not again.cookies


def test_a_served_page_is_replayed_before_the_session_and_the_view(w: World) -> None:
    """The fast path (transparency.middleware): the second request for a page runs no
    query, carries the page's headers (language, release, framing, CORS on files) and
    never a cookie, and a new release replaces it at once."""
    url = f"/public/school/{w.school_a2.pk}/2025-26.csv".replace(
        "/public/school/", "/public/data/school/")
    first = anonymous().get(url)
    assert first.status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        replayed = anonymous().get(url, HTTP_COOKIE="sessionid=whatever; messages=x")
    assert len(ctx.captured_queries) == 0
    assert replayed.content == first.content
    for header in ("Content-Type", "Content-Disposition", "Access-Control-Allow-Origin",
                   "X-Frame-Options", "Content-Language"):
        assert replayed[header] == first[header], header
    assert "X-Request-ID" not in replayed and not replayed.cookies
    page = f"/public/district/{w.district_a.pk}/"
    before = anonymous().get(page)["X-Portal-Release"]
    add_records(w, 12, seed=7)
    assert services.publish(None, "2025-26") is not None
    after = anonymous().get(page)
    assert after["X-Portal-Release"] != before


def test_a_replayed_page_leaves_its_language_active(w: World) -> None:
    """As LocaleMiddleware does for a rendered page: code running after a replayed
    request in the same thread sees that request's language."""
    from django.utils import translation

    url = f"/public/district/{w.district_a.pk}/"
    anonymous().get(url)
    spanish = anonymous("es")
    spanish.get(url)  # rendered and remembered in Spanish
    anonymous().get(url)  # replayed in English
    assert translation.get_language() == "en"
    spanish.get(url)  # replayed in Spanish
    assert translation.get_language() == "es"


def test_staff_pages_and_errors_are_never_replayed(w: World) -> None:
    """Only pages the portal marks public are remembered: an administrator's visit to
    the releases page is never served to an anonymous visitor, and a 404 is not kept."""
    admin = Client()
    admin.force_login(w.users["system_admin"])
    assert admin.get("/public/releases/").status_code == 200
    refused = anonymous().get("/public/releases/")
    assert refused.status_code == 302 and "/accounts/login/" in refused["Location"]
    missing = "/public/school/999999/"
    assert anonymous().get(missing).status_code == 404
    assert anonymous().get(missing).status_code == 404
    assert not [k for k in portal_cache._responses if k[1] in ("/public/releases/", missing)]


def test_language_switch_needs_no_token_from_a_cached_page(w: World) -> None:
    client = Client(enforce_csrf_checks=True)
    url = f"/public/district/{w.district_a.pk}/"
    anonymous().get(url)  # someone else fills the cache
    body = client.get(url).content.decode()
    assert 'action="/i18n/setlang/"' in body and "csrfmiddlewaretoken" not in body
    response = client.post("/i18n/setlang/", {"language": "es", "next": url})
    assert response.status_code == 302 and response["Location"] == url
    assert 'lang="es"' in client.get(url).content.decode()
    # The switch still refuses to send a visitor off the site.
    away = client.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})
    assert away.status_code == 302 and away["Location"] == "/"


def test_downloads_flag_suppressed_cells(w: World) -> None:
    pub = Publication.objects.get(scope_kind="school", scope_id=w.school_a2.pk)
    client = anonymous()
    text = client.get(f"/public/data/school/{pub.scope_id}/2025-26.csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0].keys() >= {"count", "suppressed", "status", "rate", "ratio"}
    hidden = [r for r in rows if r["suppressed"] == "true"]
    assert hidden and all(r["count"] == "" for r in hidden)
    assert {r["status"] for r in hidden} == {"suppressed"}
    assert "suppressed_small" not in text and "complementary" not in text
    doc = json.loads(client.get(f"/public/data/school/{pub.scope_id}/2025-26.json").content)
    assert doc["min_cell_size"] == K and doc["dictionary"].endswith(
        "/public/data/dictionary.json")
    assert len(doc["records"]) == len(rows)
    assert sum(1 for r in doc["records"] if r["count"] is None) == len(hidden)
    schema = json.loads(client.get("/public/data/dictionary.json").content)
    assert [f["name"] for f in schema["fields"]] == list(rows[0].keys())
    assert client.get("/public/data/school/999999/2025-26.csv").status_code == 404
    assert client.get("/public/data/county/1/2025-26.csv").status_code == 404
    assert client.get(f"/public/data/school/{pub.scope_id}/1999-00.json").status_code == 404


def test_data_page_links_every_file(w: World) -> None:
    body = anonymous().get("/public/data/").content.decode()
    for pub in Publication.objects.all():
        assert f"/public/data/{pub.scope_kind}/{pub.scope_id}/2025-26.csv" in body
        assert f"/public/data/{pub.scope_kind}/{pub.scope_id}/2025-26.json" in body


def test_mous_in_force_are_listed(w: World) -> None:
    pub = Publication.objects.get(scope_kind="district", scope_id=w.district_a.pk)
    assert pub.info["mous"] == json.loads(json.dumps(public_mous(district_id=w.district_a.pk),
                                                     default=str))
    body = anonymous().get(f"/public/district/{pub.scope_id}/").content.decode()
    assert "Agreements (MOUs) in force" in body


def test_unknown_pages_are_not_found(w: World) -> None:
    client = anonymous()
    assert client.get("/public/school/999999/").status_code == 404
    assert client.get("/public/county/1/").status_code == 404


def test_anonymous_home_leads_to_the_portal(w: World) -> None:
    response = anonymous().get("/")
    assert response.status_code == 302 and response["Location"] == "/public/"


def test_release_pages_refuse_anonymous_visitors(w: World) -> None:
    client = anonymous()
    for url in ("/public/releases/", "/public/releases/1/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(
            "/accounts/login/")
    response = client.post("/public/releases/publish/", {})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/api/transparency/runs").status_code == 401
    assert client.post("/api/transparency/runs", {}, content_type="application/json"
                       ).status_code == 401
