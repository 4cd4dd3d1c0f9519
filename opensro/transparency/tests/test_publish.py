"""Publishing (R-E3, architecture rule 5): the command and the service, suppression
checked by the reader's LP attack, releases building on each other, audit, immutability,
permissions and clear errors."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from conftest import World, module_world
from opensro.core.models import AuditEvent
from opensro.transparency import services
from opensro.transparency.models import ImmutableError, Publication, PublicationRun
from opensro.transparency.tests import attack
from opensro.transparency.tests.helpers import add_records

K = 10


@pytest.fixture(scope="module")
def shared_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    yield from module_world(django_db_blocker, lambda w: add_records(w, 70))


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("publish", *args, stdout=out)
    return out.getvalue()


def _releases(year_code: str = "2025-26") -> list[attack.Release]:
    runs = PublicationRun.objects.filter(school_year__code=year_code).order_by(
        "published_at", "id")
    return [attack.release_of(r.publications.all(), r.ledger["values"]) for r in runs]


def test_publish_command_publishes_every_scope(w: World) -> None:
    out = _run("--year", "2025-26")
    assert "Published 2025-26: 8 scope(s)" in out
    pubs = Publication.objects.all()
    assert sorted((p.scope_kind, p.scope_name) for p in pubs) == [
        ("agency", "Agency A"), ("agency", "Agency B"), ("district", "District A"),
        ("district", "District B"), ("school", "School A1"), ("school", "School A2"),
        ("school", "School B1"), ("school", "School B2")]
    run = PublicationRun.objects.get()
    assert run.summary["suppressed_small"] > 0 and run.summary["suppressed_complementary"] > 0
    school = pubs.get(scope_name="School A1")
    assert [s["name"] for s in school.info["schools"]] == ["School A1"]
    assert school.info["suppression"]["cells"] == len(school.cells)
    assert school.info["suppression"]["suppressed"] == sum(
        1 for c in school.cells if c["status"] == "suppressed")
    assert {c["status"] for c in school.cells} == {"published", "suppressed"}


def test_an_audit_event_for_each_publication(w: World) -> None:
    _run("--year", "2025-26")
    run = PublicationRun.objects.get()
    events = AuditEvent.objects.filter(action="publish")
    by_object = {(e.object_type, e.object_id): e for e in events}
    assert ("transparency.PublicationRun", str(run.pk)) in by_object
    for pub in Publication.objects.all():
        event = by_object[("transparency.Publication", str(pub.pk))]
        assert event.after["digest"] == pub.digest == pub.content_digest()
        assert event.after["scope"] == pub.scope
    assert events.count() == 1 + Publication.objects.count()


def test_no_small_count_and_no_rate_from_a_hidden_count(w: World) -> None:
    _run("--year", "2025-26")
    hidden = shown = 0
    for pub in Publication.objects.all():
        cells = {(c["table"], c["measure"], c["group"]): c for c in pub.cells}
        for c in pub.cells:
            if c["status"] == "published":
                assert c["count"] == 0 or c["count"] >= K, (pub.scope_name, c)
                shown += 1
                continue
            hidden += 1
            assert c["count"] is None and c.get("rate") is None and c.get("ratio") is None
            # A ratio of another group built on this (reference) group is hidden too.
            if c["group"] == c.get("ratio_reference"):
                assert all(o.get("ratio") is None for o in pub.cells
                           if o["table"] == c["table"] and o["measure"] == c["measure"])
        for c in pub.cells:
            if c.get("rate_base") == "contact" and c.get("rate") is not None:
                base = cells[(c["table"] if c["table"] != "summary" else "summary",
                              "contact", c["group"])]
                assert base["status"] == "published"
    assert hidden and shown


def test_no_hidden_count_can_be_narrowed_below_k(w: World) -> None:
    """THE acceptance test on this world: every hidden count's feasible range, given
    everything published for the year, is at least k wide."""
    _run("--year", "2025-26")
    releases = _releases()
    ranges = attack.feasible_ranges(releases)
    assert len(ranges) > 20
    assert attack.too_narrow(releases, K) == []


def test_the_attack_finds_a_cell_left_unprotected(w: World) -> None:
    """The acceptance test can fail: show one complementary cell that protects a small
    one, and the small one's range collapses."""
    _run("--year", "2025-26")
    release = _releases()[0]
    truth = release.truth
    # A relation with exactly two hidden cells (a small one and its partner).
    for scope in release.schools:
        for m in attack.MEASURES:
            for d in attack.DIMS:
                keys = [k for k in release.cells if k.startswith(f"{scope}/{m}/{d}/")]
                hidden = [k for k in keys if release.cells[k] is None]
                total = release.cells.get(f"{scope}/{m}/total")
                if len(hidden) == 2 and total is not None and any(
                        truth[k] < K for k in hidden):
                    partner = max(hidden, key=lambda k: truth[k])
                    release.cells[partner] = truth[partner]
                    assert attack.too_narrow([release], K)
                    return
    pytest.fail("no relation with exactly two hidden cells to try")


def test_a_later_release_is_protected_with_the_earlier_one(w: World) -> None:
    """District tables published last month, programs, districts and schools today, with
    more records in between: no hidden count of either release can be narrowed below k,
    even assuming that every unchanged figure is the same quantity."""
    now = timezone.now()
    first = services.publish(None, "2025-26", ["district"], now=now - datetime.timedelta(30))
    assert first is not None and sorted(first.scopes) == sorted(
        [f"district:{w.district_a.pk}", f"district:{w.district_b.pk}"])
    add_records(w, 4, seed=11, start=datetime.datetime(2026, 3, 2, 9, 0,
                                                       tzinfo=datetime.UTC))
    second = services.publish(None, "2025-26", now=now)
    assert second is not None and second.summary["earlier_releases"] == 1
    releases = _releases()
    assert len(releases) == 2
    assert attack.too_narrow(releases, K) == []
    # And when nothing changed, the same figures are published again unchanged.
    third = services.publish(None, "2025-26", ["district"], force=True)
    assert third is not None
    assert attack.too_narrow(_releases(), K) == []


def test_a_release_with_nothing_new_is_not_stored(w: World) -> None:
    assert services.publish(None, "2025-26") is not None
    assert services.publish(None, "2025-26") is None
    assert "nothing published" in _run("--year", "2025-26")
    assert PublicationRun.objects.count() == 1
    assert "Published" in _run("--year", "2025-26", "--force")
    assert PublicationRun.objects.count() == 2


def test_releases_are_immutable(w: World) -> None:
    run = services.publish(None, "2025-26")
    assert run is not None
    pub = run.publications.first()
    assert pub is not None
    pub.scope_name = "Changed"
    with pytest.raises(ImmutableError):
        pub.save()
    with pytest.raises(ImmutableError):
        pub.delete()
    with pytest.raises(ImmutableError):
        run.delete()
    # A change made behind the service layer is detected by its digest.
    Publication.objects.filter(pk=pub.pk).update(cells=[])
    problems = services.verify_digests()
    assert len(problems) == 1 and problems[0].startswith(f"publication {pub.pk} ")


def test_only_a_system_administrator_publishes(w: World) -> None:
    for persona in ("analyst", "auditor", "district_admin", "agency_admin", "outsider"):
        with pytest.raises(PermissionDenied):
            services.publish(w.users[persona], "2025-26")
    assert services.publish(w.users["system_admin"], "2025-26") is not None
    assert PublicationRun.objects.get().published_by_label == "system_admin"


def test_bad_input_gets_a_clear_message_and_nothing_is_stored(w: World) -> None:
    with pytest.raises(CommandError, match="No school year '1999-00'; known years: 2025-26"):
        _run("--year", "1999-00")
    with pytest.raises(CommandError, match="'county' is not a scope"):
        _run("--scope", "county")
    with pytest.raises(ValidationError):
        services.publish(None, "2025-26", ["school:999999"])
    with pytest.raises(CommandError, match="either --year or --all-years"):
        _run("--year", "2025-26", "--all-years")
    assert not PublicationRun.objects.exists() and not Publication.objects.exists()


def test_all_years_on_a_schedule(w: World) -> None:
    out = _run("--all-years")
    assert out.count("Published") == 1
    assert "nothing published" in _run("--all-years")
