"""Count tables, suppressed disparity tables, the page and the API (R-E1, R-I1).

The count tables are checked against an independent count made here from the raw
rows; the demo county's planted disparity must come out significant.
"""

from __future__ import annotations

import datetime
from collections import Counter
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client

from conftest import World
from opensro.analytics import counts, selectors
from opensro.core.context import request_context
from opensro.directory.models import Enrollment, SchoolYear
from opensro.directory.services import set_enrollment
from opensro.incidents.models import IncidentReason, Involvement
from opensro.incidents.services import save_incident

NY = ZoneInfo("America/New_York")


def _log(world: World, race: str, actions: list[str], *, other_county: bool = False,
         role: str = "subject", draft: bool = False, idea: bool = False) -> None:
    when = datetime.datetime(2025, 10, 14, 10, 0, tzinfo=NY)
    student: dict[str, Any] = {"race": race, "sex": "F", "role": role, "age": 15,
                               "idea": idea, **dict.fromkeys(actions, True)}
    if {"arrest", "detention", "restraint"} & set(actions):
        student.update(basis=["probable_cause"], basis_details="Seen.", why_at_school="Risk.",
                       probable_cause="Witnessed.", removed_from_public_view="yes",
                       arrest_charge="Assault", accommodations="Plan followed." if idea else "")
    with request_context():
        save_incident(None, {
            "school": world.school_b1 if other_county else world.school_a1,
            "officer": world.officer_b if other_county else world.officer_a,
            "occurred_at": when, "recorded_at": when, "location": "hallway",
            "involvement_source": "self",
            "reason": IncidentReason.objects.get(code="assault"), "would_call_911": "yes",
            "deescalation": "tried"}, [student], submit=not draft)


@pytest.fixture
def records(world: World) -> World:
    year = world.year
    with request_context():
        for race, n in (("WH", 900), ("BL", 400), ("HI", 300), ("AS", 5)):
            set_enrollment(None, world.school_a1, year, race, "M", n)
        set_enrollment(None, world.school_a1, year, "WH", "F", 300)
    for _ in range(12):
        _log(world, "WH", ["counselled"])
    for _ in range(10):
        _log(world, "WH", ["arrest", "detention"])
    for _ in range(18):
        _log(world, "BL", ["arrest", "detention"])
    for _ in range(2):
        _log(world, "BL", ["citation"])
    _log(world, "HI", ["citation"])
    _log(world, "AS", ["counselled"])
    _log(world, "WH", ["counselled"], role="witness")  # not a subject: not counted
    _log(world, "BL", ["arrest", "detention"], draft=True)  # draft: not counted
    _log(world, "WH", ["counselled"], other_county=True)
    return world


def test_count_tables_equal_an_independent_count(records: World) -> None:
    """Aggregated in the database = counted here row by row (final subjects only)."""
    school_ids = [records.school_a1.pk]
    tables = counts.count_tables(school_ids, records.year)
    rows = [i for i in Involvement.objects.filter(school_id__in=school_ids)
            if i.final and i.role == "subject"]
    expected_contacts = Counter(i.race for i in rows)
    expected_arrests = Counter(i.race for i in rows if i.school_related_arrest)
    expected_citations = Counter(i.race for i in rows if i.citation)
    race = tables["race"]
    assert {k: v for k, v in race.points["contact"].items() if v} == dict(expected_contacts)
    assert {k: v for k, v in race.points["arrest"].items() if v} == dict(expected_arrests)
    assert {k: v for k, v in race.points["citation"].items() if v} == dict(expected_citations)
    assert race.points["contact"]["WH"] == 22 and race.points["arrest"]["BL"] == 18
    # Bases: enrollment by race sums both sexes; disability splits the total.
    assert race.enrollment["WH"] == 1200 and race.enrollment["BL"] == 400
    enrolled = sum(e.count for e in Enrollment.objects.filter(school=records.school_a1,
                                                              group__in=counts.RACE_CODES))
    assert sum(tables["disability"].enrollment.values()) == enrolled
    assert tables["age_band"].points["contact"] == {"14_15": len(rows)}


def test_disparity_table_suppresses_small_counts_and_flags_significance(
        records: World) -> None:
    analyst = records.users["analyst"]
    table = selectors.disparity(analyst, records.year, f"school:{records.school_a1.pk}",
                                "arrest", "race", "contact")
    by = {r.group: r for r in table.rows}
    # BL: 18 arrests of 20 contacts vs WH 10 of 22: ratio (18/20)/(10/22) = 1.98.
    assert by["BL"].count == 18 and by["BL"].base == 20
    assert by["BL"].ratio == pytest.approx(0.9 / (10 / 22))
    assert by["BL"].significant and by["BL"].ci_low is not None and by["BL"].ci_low > 1
    assert by["WH"].count == 10 and not by["WH"].suppressed
    # HI: one contact, no arrest: its base (1) is below the minimum, so it is hidden.
    assert by["HI"].suppressed and by["HI"].base is None and by["HI"].rate is None
    table_enrol = selectors.disparity(analyst, records.year,
                                      f"school:{records.school_a1.pk}", "contact", "race")
    rows = {r.group: r for r in table_enrol.rows}
    assert rows["AS"].suppressed and rows["AS"].count is None and rows["AS"].base is None
    assert rows["BL"].count == 20 and rows["BL"].base == 400
    assert rows["WH"].count == 22 and rows["WH"].ratio == pytest.approx(1.0)


def test_reference_hidden_hides_every_ratio() -> None:
    """A ratio next to a shown rate would reveal a hidden reference count."""
    c = counts.Counts("race", points={"arrest": {"WH": 3, "BL": 40, "HI": 25},
                                      "contact": {"WH": 100, "BL": 90, "HI": 80}})
    table = selectors.build_table(c, "arrest", "contact", "2025-26", "test")
    rows = {r.group: r for r in table.rows}
    assert rows["WH"].suppressed and rows["WH"].count is None
    assert rows["BL"].count == 40 and rows["BL"].rate == pytest.approx(40 / 90 * 100)
    assert all(r.ratio is None and r.ci_low is None for r in table.rows)
    assert "reference" in rows["BL"].reason


def test_who_may_see_the_disparity_page_and_api(records: World) -> None:
    allowed = {"analyst", "supervisor", "agency_admin", "school_admin", "district_admin",
               "auditor", "system_admin"}
    for name, user in records.users.items():
        client = Client()
        client.force_login(user)
        page = client.get("/analytics/disparity/", {"school_year": "2025-26"})
        api = client.get("/api/analytics/disparity", {"school_year": "2025-26"})
        if name in allowed:
            assert page.status_code == 200, name
            assert api.status_code == 200, name
        else:
            assert page.status_code == 403, name
            assert api.status_code == 403, name


def test_scope_options_stay_inside_the_users_scope(records: World) -> None:
    school_admin = records.users["school_admin"]
    labels = {(s.kind, s.pk) for s in selectors.scopes_for(school_admin)}
    assert ("school", records.school_a1.pk) in labels
    assert ("school", records.school_b1.pk) not in labels
    client = Client()
    client.force_login(school_admin)
    response = client.get("/api/analytics/disparity", {
        "school_year": "2025-26", "scope": f"school:{records.school_b1.pk}"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "scope"
    # "Everything in my scope" for the school admin covers school A1 only.
    everything = selectors.scopes_for(school_admin)[0]
    assert everything.school_ids == [records.school_a1.pk]


def test_bad_parameters_get_clear_errors(records: World) -> None:
    client = Client()
    client.force_login(records.users["analyst"])
    for params, field in (({"school_year": "1999-00"}, "school_year"),
                          ({"school_year": "2025-26", "point": "parking"}, "point"),
                          ({"school_year": "2025-26", "dimension": "zodiac"}, "dimension"),
                          ({"school_year": "2025-26", "point": "search",
                            "base": "enrollment"}, "base")):
        response = client.get("/api/analytics/disparity", params)
        assert response.status_code == 422, params
        assert response.json()["detail"][0]["field"] == field


def test_page_draws_the_forest_plot_and_trend(records: World) -> None:
    client = Client()
    client.force_login(records.users["analyst"])
    response = client.get("/analytics/disparity/", {
        "school_year": "2025-26", "scope": f"school:{records.school_a1.pk}",
        "point": "contact", "dimension": "race"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<svg") == 2  # forest plot and trend
    assert "Black or African American" in html


@pytest.mark.django_db(transaction=True)
def test_demo_planted_disparity_is_significant() -> None:
    """The demo plants, in Lakeview City Schools only, arrests of Black students at
    about 2.5 times the rate of White students once contacted; the table finds it
    (significant after FDR) and does not find it in Harmon County."""
    call_command("demo", no_serve=True, stdout=StringIO())
    analyst = __import__("opensro.core.models", fromlist=["User"]).User.objects.get(
        username="analyst")
    year = SchoolYear.objects.get(code="2025-26")
    from opensro.directory.models import District

    lakeview = District.objects.get(nces_id="3999901")
    harmon = District.objects.get(nces_id="3999902")
    planted = selectors.disparity(analyst, year, f"district:{lakeview.pk}", "arrest", "race",
                                  "contact")
    black = next(r for r in planted.rows if r.group == "BL")
    assert black.significant and black.ratio is not None and black.ratio > 1.6
    assert black.ci_low is not None and black.ci_low > 1
    control = selectors.disparity(analyst, year, f"district:{harmon.pk}", "arrest", "race",
                                  "contact")
    assert not any(r.significant for r in control.rows)
