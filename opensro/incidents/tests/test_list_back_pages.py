"""Pages in the back half of a long list are read from its end (docs/performance.md,
"Incident list benchmark"): they hold the same records in the same order as the plain
pages, in the incident list (newest first), the review queue (oldest submission first)
and the list API, ties on the time broken by the id; an ordering that does not end on
the id is read forwards."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.core.paginator import Paginator
from django.test import Client

from conftest import World
from opensro.incidents import selectors
from opensro.incidents.models import Incident
from opensro.incidents.tests.test_scale_paths import _log as log_incident

NY = ZoneInfo("America/New_York")


def _log(w: World, when: datetime.datetime) -> Incident:
    """A submitted incident with one counselled student (the scale tests' helper)."""
    return log_incident(w, when)


def _nine(w: World) -> None:
    start = datetime.datetime(2025, 9, 2, 8, 0, tzinfo=NY)
    for k in range(9):  # pairs share a time: the id breaks the tie
        _log(w, start + datetime.timedelta(hours=k // 2 * 3))


def _same_pages(qs: object, size: int) -> None:
    plain = Paginator(qs, size)  # type: ignore[arg-type]
    by_ids = Paginator(selectors.PageOf(qs), size)  # type: ignore[arg-type]
    assert by_ids.count == plain.count and by_ids.num_pages == plain.num_pages > 2
    for number in plain.page_range:
        assert [i.pk for i in by_ids.page(number).object_list] == [
            i.pk for i in plain.page(number).object_list], number


def test_back_pages_of_the_list_equal_the_plain_pages(w: World) -> None:
    _nine(w)
    qs = selectors.incidents_for(w.users["supervisor"])
    for size in (2, 4):
        _same_pages(qs, size)


def test_back_pages_of_the_review_queue_equal_the_plain_pages(w: World) -> None:
    _nine(w)
    _same_pages(selectors.review_queue(w.users["supervisor"]), 2)


def test_an_ordering_without_the_id_is_read_forwards(w: World) -> None:
    start = datetime.datetime(2025, 9, 2, 8, 0, tzinfo=NY)
    for k in range(5):
        _log(w, start + datetime.timedelta(hours=k))
    qs = selectors.incidents_for(w.users["supervisor"]).order_by("occurred_at")
    page = selectors.PageOf(qs)
    assert not page._reversible()
    assert not selectors.PageOf(qs.order_by())._reversible()
    _same_pages(qs, 2)


def test_the_last_page_on_the_web_and_api_ends_with_the_oldest(w: World) -> None:
    _nine(w)
    qs = selectors.incidents_for(w.users["supervisor"])
    oldest = qs.order_by("occurred_at", "id").first()
    assert oldest is not None
    client = Client()
    client.force_login(w.users["supervisor"])
    last = -(-qs.count() // 50)
    page = client.get(f"/incidents/?page={last}")
    assert page.status_code == 200 and oldest.number in page.content.decode()
    items = client.get(f"/api/incidents?page={last}&page_size=2").json()
    assert items["count"] == qs.count()
    pages = -(-qs.count() // 2)
    items = client.get(f"/api/incidents?page={pages}&page_size=2").json()["items"]
    assert items[-1]["id"] == oldest.pk
