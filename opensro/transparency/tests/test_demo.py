"""The acceptance tests on the demo county (R-E3; docs/transparency.md): its directory,
its ~40,000 student involvements over three school years, its agreements, and the
releases the demo publishes (past years once; this year districts first, a month later
every scope).

1. THE acceptance test: for every release of a year, every hidden count's feasible
   range given everything published that year (linear programming over the published
   cells, the additive relations and non-negativity) is at least k wide.
2. Every public page and download, in English and Spanish, works without signing in,
   shows no count from 1 to k−1 and names no student or officer.

The demo is built once for the module (the parts that publishing reads: directory,
incidents, program agreements, and the transparency part itself).
"""

from __future__ import annotations

import html
import random
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

from opensro.core.context import request_context
from opensro.demo import SEED, DemoContext, parts
from opensro.directory.models import Officer, SchoolYear
from opensro.incidents.models import Incident, Involvement
from opensro.transparency import cache as portal_cache
from opensro.transparency.models import Publication, PublicationRun
from opensro.transparency.tests import attack, scan

K = 10
NEEDED = ("directory", "incidents", "program", "transparency")


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[DemoContext]:
    with django_db_blocker.unblock(), override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            ctx = DemoContext(rng=random.Random(SEED))
            with request_context():
                for name, part in parts():
                    if name in NEEDED:
                        with transaction.atomic():
                            part(ctx)
            yield ctx
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def d(db: Any, demo: DemoContext) -> DemoContext:
    return demo


def test_demo_publishes_every_scope_of_every_year(d: DemoContext) -> None:
    today = timezone.localdate()
    started = list(SchoolYear.objects.filter(start_date__lte=today).order_by("start_date"))
    runs = list(PublicationRun.objects.order_by("published_at", "id"))
    expected = []
    for year in started:
        expected += [year.code] * (1 if year.end_date < today else 2)
    assert [r.school_year.code for r in runs] == expected
    assert len(runs[-1].scopes) == 2 + 2 + 25  # programs, districts, schools
    current = [r for r in runs if r.school_year.end_date >= today]
    if current:  # this year: the districts a month ago, then every scope
        assert all(s.startswith("district:") for s in current[0].scopes)
        assert current[1].summary["earlier_releases"] == 1


def test_no_hidden_count_can_be_recovered(d: DemoContext) -> None:
    """THE acceptance test, over every scope of every published year and all of each
    year's releases (the years that have started: the demo publishes no future year)."""
    today = timezone.localdate()
    started = set(SchoolYear.objects.filter(start_date__lte=today)
                  .values_list("code", flat=True))
    checked = set()
    published = PublicationRun.objects.values_list("school_year", flat=True)
    for year in SchoolYear.objects.filter(pk__in=published).order_by("start_date"):
        runs = PublicationRun.objects.filter(school_year=year).order_by("published_at", "id")
        releases = [attack.release_of(r.publications.all(), r.ledger["values"]) for r in runs]
        hidden = attack.feasible_ranges(releases)
        assert len(hidden) > 300, year.code
        assert any(truth < K for _lo, _hi, truth in hidden.values()), year.code
        assert attack.too_narrow(releases, K) == [], year.code
        checked.add(year.code)
    assert checked == started and len(checked) >= 2


def _identifiers() -> list[str]:
    out = []
    for officer in Officer.objects.all():
        out += [f"{officer.first_name} {officer.last_name}", f"#{officer.badge_number}",
                officer.badge_number]
    out += [i.number for i in Incident.objects.order_by("?")[:300]]
    out += list(Involvement.objects.exclude(student_pseudonym="").order_by("?").values_list(
        "student_pseudonym", flat=True)[:300])
    return out


def _urls() -> list[str]:
    urls = ["/public/about-sros/", "/public/data/dictionary/", "/public/data/dictionary.json"]
    for year in ("2024-25", "2025-26", "2026-27"):
        urls += [f"/public/?year={year}", f"/public/data/?year={year}"]
    for pub in Publication.objects.only("scope_kind", "scope_id", "school_year").select_related(
            "school_year"):
        code = pub.school_year.code
        url = f"/public/{pub.scope_kind}/{pub.scope_id}/?year={code}"
        if url not in urls:
            urls += [url, f"/public/data/{pub.scope_kind}/{pub.scope_id}/{code}.csv",
                     f"/public/data/{pub.scope_kind}/{pub.scope_id}/{code}.json"]
    return urls


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_page_and_file_is_safe(d: DemoContext, language: str) -> None:
    portal_cache.clear()
    client = Client()
    client.post("/i18n/setlang/", {"language": language, "next": "/public/"})
    secrets = _identifiers()
    urls = _urls()
    assert len(urls) > 250
    numbers = 0
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        if ".svg" in url:
            found = []  # charts draw rates and ratios, never counts
        elif url.endswith(".csv"):
            found = scan.csv_counts(body)
        elif url.endswith(".json") and "dictionary" not in url:
            found = scan.json_counts(body)
        else:
            found = scan.page_counts(body)
            if "dictionary" not in url:
                assert f'lang="{language}"' in body
            urls += [html.unescape(src) for src in re.findall(r'<img src="([^"]+)"', body)
                     if html.unescape(src) not in urls]
        numbers += len(found)
        assert scan.small(found, K) == [], (url, scan.small(found, K)[:10])
        text = scan.searchable(url, body)
        leaked = [s for s in secrets if s in text]
        assert leaked == [], (url, leaked[:5])
    assert numbers > 10_000
