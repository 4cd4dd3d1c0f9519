"""The compliance dashboard shows every registered flag kind (its open count, linking to
the flag list) and every registered due item (overdue ones marked), per agency and per
district; MOU reviews and expiries come due (R-C3); the role dashboards link to it; the
public portal gets the published MOUs in force."""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from conftest import World, login
from opensro.core import flags
from opensro.core.flags import DueItem, FlagKind
from opensro.program import services
from opensro.program.choices import DUE_MOU_EXPIRY, DUE_MOU_REVIEW, MOU_REVIEW_OVERDUE
from opensro.program.models import add_months
from opensro.program.public import public_mous
from opensro.program.tests.helpers import TODAY, make_mou

DAY = datetime.timedelta(days=1)


@pytest.fixture
def other_app() -> Iterator[dict[str, Any]]:
    """A kind and a due source registered by another app (as training would)."""
    seen: dict[str, Any] = {}

    def source(user: Any, today: datetime.date, horizon: int) -> list[DueItem]:
        seen["horizon"] = horizon
        return [DueItem("training", "Basic SRO course for Officer A", today - 3 * DAY,
                        url="/training/x/", agency_id=seen["agency"]),
                DueItem("training", "Advanced course for Officer B", today + 10 * DAY,
                        agency_id=seen["other_agency"])]

    flags.register_kind(FlagKind("test_other_kind", "Another app's kind",
                                 "Registered by another app."))
    flags.register_due_source(source)
    yield seen
    flags._KINDS.pop("test_other_kind", None)
    flags._DUE_SOURCES.remove(source)


def test_every_registered_kind_and_due_item_is_shown(w: World, other_app: dict[str, Any]
                                                     ) -> None:
    other_app.update(agency=w.agency_a.pk, other_agency=w.agency_b.pk)
    mou = make_mou(w.agency_a, w.district_a, effective=TODAY - 400 * DAY)  # review overdue
    flags.raise_flag("test_other_kind", w.school_a1, title="Something else",
                     evidence={}, district=w.district_a, school=w.school_a1)
    page = login(w, "district_admin").get("/program/compliance/")
    assert page.status_code == 200
    body = page.content.decode()
    for code, kind in flags.kinds().items():
        assert f'href="/flags/?kind={code}"' in body, code
        assert html.escape(kind.label) in body
    row = re.search(r'<tr data-kind="mou_review_overdue"[^>]*>(.*?)</tr>', body, re.S)
    assert row and "<strong>1</strong>" in row.group(1)
    row = re.search(r'<tr data-kind="test_other_kind"[^>]*>(.*?)</tr>', body, re.S)
    assert row and "<strong>1</strong>" in row.group(1)
    assert other_app["horizon"] == 60  # DUE_SOON_DAYS
    # Another app's overdue item, marked; the MOU's overdue review, marked.
    assert "Basic SRO course for Officer A" in body
    assert re.search(r'<tr data-due-kind="training" class="overdue">.*?Overdue by 3 days',
                     body, re.S)
    assert f"Annual review of {mou}" in body
    review_due = re.search(r'<tr data-due-kind="mou_review" class="overdue">', body)
    assert review_due
    # Each source returns what the user may see; choosing an agency narrows the list.
    assert "Advanced course for Officer B" in body
    narrowed = login(w, "auditor").get("/program/compliance/",
                                       {"agency": w.agency_a.pk}).content.decode()
    assert "Basic SRO course for Officer A" in narrowed
    assert "Advanced course for Officer B" not in narrowed


def test_dashboard_narrows_to_one_agency_or_district(w: World) -> None:
    make_mou(w.agency_a, w.district_a, effective=TODAY - 400 * DAY)
    make_mou(w.agency_b, w.district_b, effective=TODAY - 400 * DAY)
    auditor = login(w, "auditor")
    both = auditor.get("/api/program/compliance").json()
    counts = {f["kind"]: f["open"] for f in both["flags"]}
    assert counts[MOU_REVIEW_OVERDUE] == 2
    only_b = auditor.get("/api/program/compliance", {"district_id": w.district_b.pk}).json()
    assert {f["kind"]: f["open"] for f in only_b["flags"]}[MOU_REVIEW_OVERDUE] == 1
    page = auditor.get("/program/compliance/", {"agency": w.agency_a.pk}).content.decode()
    assert "Agency A – District A" in page and "Agency B – District B" not in page
    # An agency outside the user's scope is ignored rather than trusted.
    page = login(w, "supervisor").get("/program/compliance/",
                                      {"agency": w.agency_b.pk}).content.decode()
    assert "Agency B – District B" not in page


def test_mou_review_and_expiry_come_due(w: World) -> None:
    mou = make_mou(w.agency_a, w.district_a, effective=TODAY - 330 * DAY,
                   expiry=TODAY + 20 * DAY)
    items = services.mou_due_items(w.users["agency_admin"], TODAY, 60)
    by_kind = {i.kind: i for i in items}
    assert by_kind[DUE_MOU_REVIEW].due == add_months(TODAY - 330 * DAY, 12)
    assert by_kind[DUE_MOU_REVIEW].url == f"/program/mous/{mou.pk}/#reviews"
    assert not by_kind[DUE_MOU_REVIEW].overdue(TODAY)
    assert by_kind[DUE_MOU_EXPIRY].due == TODAY + 20 * DAY
    assert (by_kind[DUE_MOU_EXPIRY].agency_id, by_kind[DUE_MOU_EXPIRY].district_id) == (
        w.agency_a.pk, w.district_a.pk)
    # Outside the horizon: nothing; outside the scope: nothing.
    assert services.mou_due_items(w.users["agency_admin"], TODAY, 10) == []
    assert services.mou_due_items(w.users["analyst"], TODAY, 60) == []
    assert services.mou_due_items(w.users["outsider"], TODAY, 60) == []
    # A signed renewal takes the expiry off the list; after expiry the pair is overdue.
    assert [i.kind for i in services.mou_due_items(w.users["auditor"], TODAY + 25 * DAY, 60)
            if i.kind == DUE_MOU_EXPIRY and i.overdue(TODAY + 25 * DAY)] == [DUE_MOU_EXPIRY]
    make_mou(w.agency_a, w.district_a, effective=TODAY + 21 * DAY)
    assert DUE_MOU_EXPIRY not in {i.kind for i in services.mou_due_items(
        w.users["auditor"], TODAY, 60)}


def test_recording_the_review_takes_it_off_the_dashboard(w: World) -> None:
    mou = make_mou(w.agency_a, w.district_a, effective=TODAY - 400 * DAY)
    client = login(w, "district_admin")
    assert f"Annual review of {mou}" in client.get("/program/compliance/").content.decode()
    services.record_review(w.users["district_admin"], mou, {
        "review_date": TODAY, "attendees": "A", "minutes": "M"})
    body = client.get("/program/compliance/").content.decode()
    assert f"Annual review of {mou}" not in body
    row = re.search(r'<tr data-kind="mou_review_overdue"[^>]*>(.*?)</tr>', body, re.S)
    assert row and '<td class="count">0</td>' in row.group(1)


@pytest.mark.parametrize(("persona", "flags_seen"), [
    ("supervisor", 1), ("agency_admin", 1), ("district_admin", 1),
    # MOU flags are scoped to the agency and the district; a school administrator sees
    # the MOU's overdue review as a due item.
    ("school_admin", 0), ("sro", None), ("analyst", None), ("auditor", None),
])
def test_role_dashboards_link_to_the_compliance_dashboard(w: World, persona: str,
                                                         flags_seen: int | None) -> None:
    make_mou(w.agency_a, w.district_a, effective=TODAY - 400 * DAY)
    body = login(w, persona).get("/dashboard/").content.decode()
    card = re.search(r'href="/program/compliance/"><span class="value">(\d+)</span>'
                     r'<span class="label">Open compliance flags', body)
    overdue = re.search(r'href="/program/compliance/"><span class="value">(\d+)</span>'
                        r'<span class="label">Overdue items', body)
    if flags_seen is None:
        assert card is None and overdue is None
        return
    assert card and int(card.group(1)) == flags_seen
    assert overdue and int(overdue.group(1)) == 1
    assert "1 item(s) are overdue (first: Annual review of Agency A – District A MOU v1)" in (
        html.unescape(body))


def test_discipline_card_counts_only_discipline_flags(w: World) -> None:
    make_mou(w.agency_a, w.district_a, effective=TODAY - 400 * DAY)
    body = login(w, "supervisor").get("/dashboard/").content.decode()
    card = re.search(r'<span class="value">(\d+)</span><span class="label">Open '
                     r'discipline-involvement flags', body)
    assert card and card.group(1) == "0"


# --------------------------------------------------------------------------- public


def test_public_mous_are_the_published_ones_in_force(w: World) -> None:
    old = make_mou(w.agency_a, w.district_a, effective=TODAY - 900 * DAY,
                   expiry=TODAY + 900 * DAY, public=True)
    assert [m["version"] for m in public_mous()] == [1]
    current = make_mou(w.agency_a, w.district_a, effective=TODAY - 10 * DAY, public=True)
    services.record_review(None, current, {"review_date": TODAY, "attendees": "A",
                                           "minutes": "M"})
    make_mou(w.agency_b, w.district_b, public=False)  # not published
    (item,) = public_mous()
    assert item == {
        "agency": "Agency A", "district": "District A", "title": current.title,
        "version": 2, "effective": current.effective_date, "expiry": None,
        "last_review": TODAY,
        "document_url": f"/program/public/mous/{current.pk}/document/"}
    assert public_mous(agency_id=w.agency_a.pk) == [item]
    assert public_mous(district_id=w.district_a.pk) == [item]
    assert public_mous(school_id=w.school_a2.pk) == [item]
    assert public_mous(school_id=w.school_b1.pk) == []
    assert public_mous(agency_id=w.agency_b.pk) == []
    assert Client().get(item["document_url"]).status_code == 200
    del old
