"""Suppressed results per school and per program, scoped (R-E4, R-F2; methods.md
"Publication safety"). The world (``conftest.PLAN``, k = 10): School A1 has 12 student,
3 family and 10 staff responses; A2 15 students and 4 staff; B1 20, 11 and 12; B2
none."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client

from conftest import PERSONAS, World, login
from opensro.surveys import selectors, services
from opensro.surveys.models import SurveyLink
from opensro.surveys.tests.conftest import CLOSES, OPENS, answer_all, open_window

K = 10
SCHOOLS = ("school_a1", "school_a2", "school_b1", "school_b2")

#: Whose results each persona reads, written out by hand.
READS: dict[str, set[str]] = {
    "sro": {"school_a1"},  # officer A works at A1 only
    "supervisor": {"school_a1", "school_a2"},  # the schools agency A serves
    "agency_admin": {"school_a1", "school_a2"},
    "school_admin": {"school_a1"},
    "district_admin": {"school_a1", "school_a2"},
    "analyst": set(SCHOOLS),
    "auditor": set(SCHOOLS),
    "system_admin": set(SCHOOLS),
    "outsider": set(),
}


def api(client: Client, **params: Any) -> Any:
    return client.get("/api/surveys/results", params)


def figures(body: dict[str, Any]) -> list[dict[str, Any]]:
    out = list(body["responses"]) + [body["responses_total"]]
    for row in body["questions"]:
        out += [*row["groups"], row["total"]]
    for row in body["schools"]:
        out += [*row["groups"], row["total"]]
    return out


def by_group(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i["group"]: i for i in items}


def test_school_admin_reads_only_their_school_suppressed(w: World) -> None:
    client = login(w, "school_admin")
    body = api(client, school_year="2025-26").json()
    assert body["windows"] == [w.window_a1.pk]
    responses = by_group(body["responses"])
    assert responses["student"]["responses"] == 12
    assert responses["family"] == {**responses["family"], "responses": None,
                                   "suppressed": True}
    assert responses["staff"]["responses"] == 10  # exactly k: shown
    # Complementary suppression: the total would give families away (25 − 12 − 10).
    assert body["responses_total"]["suppressed"] is True
    assert body["responses_total"]["responses"] is None
    rows = {r["question_code"]: r for r in body["questions"]}
    safe = by_group(rows["safe_school"]["groups"])
    assert safe["student"]["responses"] == 12 and safe["student"]["mean"] is not None
    assert safe["family"]["suppressed"] and safe["family"]["mean"] is None
    assert rows["safe_school"]["total"]["suppressed"]
    # An item families were not asked: nothing hidden in its row, so its total shows.
    discipline = rows["sro_not_discipline"]
    assert by_group(discipline["groups"])["family"]["asked"] is False
    assert discipline["total"]["responses"] == 22
    # Other schools are out of reach, whatever the scope asked for.
    for school in ("school_a2", "school_b1"):
        refused = api(client, school_year="2025-26", scope=f"school:{w.objects[school].pk}")
        assert refused.status_code == 422
    assert api(client, scope=f"district:{w.district_a.pk}").json()["windows"] == [
        w.window_a1.pk]


def test_school_admin_results_page(w: World) -> None:
    client = login(w, "school_admin")
    page = client.get("/surveys/results/", {"year": "2025-26"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "School A1" in body
    assert "School A2" not in body and "School B1" not in body
    assert "n = 12" in body and "n = 10" in body
    assert "hidden" in body
    assert not re.search(r"n = [1-9]\)", body)


def test_district_program_pools_only_published_cells(w: World) -> None:
    client = login(w, "district_admin")
    body = api(client, school_year="2025-26", scope=f"district:{w.district_a.pk}").json()
    assert sorted(body["windows"]) == sorted([w.window_a1.pk, w.window_a2.pk])
    responses = by_group(body["responses"])
    assert responses["student"]["responses"] == 27  # 12 + 15
    # A1's 3 families are the district's only families: hidden, and not pooled.
    assert responses["family"]["suppressed"] is True
    # A2's 4 staff are too few: left out of the pooled staff figure (10, not 14).
    assert responses["staff"]["responses"] == 10
    assert responses["staff"]["left_out"] == 1
    assert body["responses_total"]["suppressed"] is True
    schools = {s["school"]: s for s in body["schools"]}
    assert set(schools) == {"School A1", "School A2"}
    a2 = by_group(schools["School A2"]["groups"])
    assert a2["staff"]["suppressed"] and a2["family"]["asked"] is False
    assert schools["School A2"]["total"]["suppressed"]


def test_analyst_program_of_each_agency(w: World) -> None:
    client = login(w, "analyst")
    body = api(client, school_year="2025-26", scope=f"agency:{w.agency_b.pk}").json()
    assert sorted(body["windows"]) == sorted([w.window_b1.pk, w.window_b2.pk])
    responses = by_group(body["responses"])
    assert (responses["student"]["responses"], responses["family"]["responses"],
            responses["staff"]["responses"]) == (20, 11, 12)
    assert body["responses_total"]["responses"] == 43
    everything = api(client, school_year="2025-26").json()
    assert len(everything["windows"]) == 4


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_reads_their_schools(w: World, persona: str) -> None:
    client = login(w, persona)
    response = api(client, school_year="2025-26")
    page = client.get("/surveys/results/", {"year": "2025-26"})
    if not READS[persona]:
        assert response.status_code == 403
        assert page.status_code == 403
        return
    assert response.status_code == 200
    seen = {s["school"] for s in response.json()["schools"]}
    expected = {str(w.objects[s]) for s in READS[persona]}
    # A school shows in the per-school table once it has a closed window.
    assert seen == expected
    assert page.status_code == 200
    body = page.content.decode()
    for school in SCHOOLS:
        name = str(w.objects[school])
        assert (name in body) == (school in READS[persona]), (persona, school)


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_published_count_from_1_to_k_minus_1_in_any_scope(w: World, persona: str
                                                             ) -> None:
    client = login(w, persona)
    if not selectors.may_read_results(w.users[persona]):
        return
    for scope in selectors.scopes_for(w.users[persona]):
        body = api(client, school_year="2025-26", scope=scope.value).json()
        for fig in figures(body):
            n = fig["responses"]
            assert n is None or n == 0 or n >= K, (scope.value, fig)
            if fig["suppressed"]:
                assert n is None and fig["mean"] is None
        page = client.get("/surveys/results/", {"year": "2025-26", "scope": scope.value})
        assert not re.search(r"n = [1-9]\)", page.content.decode())


def test_hidden_answers_cannot_be_worked_out(w: World) -> None:
    """Two more family answers at A1 (5, still under k) and two more staff answers at
    A2 (6) change nothing anyone can read, in any scope."""
    client = login(w, "analyst")
    scopes = [s.value for s in selectors.scopes_for(w.users["analyst"])]
    before = [api(client, school_year="2025-26", scope=s).json() for s in scopes]
    family = w.window_a1.links.get(group="family")
    staff = w.window_a2.links.get(group="staff")
    answer_all(family, 2, OPENS + datetime.timedelta(days=5))
    answer_all(staff, 2, OPENS + datetime.timedelta(days=5))
    after = [api(client, school_year="2025-26", scope=s).json() for s in scopes]
    assert before == after


def test_open_windows_show_no_results(w: World) -> None:
    """Results read during a window, before and after one more answer, would give that
    answer away: an open window is listed as pending, and only its counts show."""
    window = open_window(w, "school_b2")
    link = window.links.get(group="student")
    answer_all(link, 12, datetime.date.today())
    client = login(w, "analyst")
    year = window.school_year.code
    body = api(client, school_year=year, scope=f"school:{w.school_b2.pk}").json()
    assert body["windows"] == [] and body["windows_not_closed"] == [window.pk]
    assert body["questions"] == []
    page = client.get("/surveys/results/", {"year": year,
                                            "scope": f"school:{w.school_b2.pk}"}).content
    assert b"Windows not closed yet" in page
    assert selectors.results_for_school(w.users["analyst"], w.school_b2,
                                        datetime.date.today(), datetime.date.today()) == []


def test_results_for_school_shape_and_scope(w: World) -> None:
    start, end = datetime.date(2025, 8, 18), datetime.date(2026, 6, 12)
    items = selectors.results_for_school(w.users["supervisor"], w.school_a1, start, end)
    assert items, "a supervisor reads the schools their agency serves"
    keys = {"question", "group", "responses", "mean", "suppressed"}
    for item in items:
        assert keys <= set(item)
        assert isinstance(item["question"], str) and item["question"]
        assert item["group"] in ("student", "family", "staff")
        assert isinstance(item["suppressed"], bool)
        if item["suppressed"]:
            assert item["responses"] is None and item["mean"] is None
        else:
            assert isinstance(item["responses"], int) and item["responses"] >= K
            assert isinstance(item["mean"], float) and 1 <= item["mean"] <= 5
    cells = {(i["question_code"], i["group"]): i for i in items}
    assert cells[("safe_school", "student")]["responses"] == 12
    assert cells[("safe_school", "family")]["suppressed"] is True
    assert cells[("safe_school", "staff")]["responses"] == 10
    assert ("sro_not_discipline", "family") not in cells  # not asked of families
    expected_mean = round(sum(
        __import__("opensro.surveys.tests.conftest", fromlist=["rating"]).rating(
            "student", n, "safe_school") for n in range(12)) / 12, 2)
    assert cells[("safe_school", "student")]["mean"] == expected_mean
    # Out of scope, or a period with no closed window: nothing.
    assert selectors.results_for_school(w.users["supervisor"], w.school_b1, start, end) == []
    assert selectors.results_for_school(w.users["outsider"], w.school_a1, start, end) == []
    assert selectors.results_for_school(w.users["sro"], w.school_a2, start, end) == []
    assert selectors.results_for_school(w.users["school_admin"], w.school_a1,
                                        CLOSES + datetime.timedelta(days=1), end) == []


def test_results_for_school_in_spanish(w: World) -> None:
    from django.utils import translation

    start, end = datetime.date(2025, 8, 18), datetime.date(2026, 6, 12)
    with translation.override("es"):
        items = selectors.results_for_school(w.users["school_admin"], w.school_a1, start,
                                             end)
    labels = {i["question_code"]: i["question"] for i in items}
    assert labels["safe_school"] == "Se siente seguro en la escuela"
    assert {i["group_label"] for i in items} == {"Estudiantes", "Familias",
                                                 "Personal de la escuela"}


def test_school_results_api(w: World) -> None:
    client = login(w, "sro")
    ok = client.get(f"/api/surveys/results/schools/{w.school_a1.pk}",
                    {"start": "2025-08-18", "end": "2026-06-12"})
    assert ok.status_code == 200
    assert {i["group"] for i in ok.json()} == {"student", "family", "staff"}
    assert client.get(f"/api/surveys/results/schools/{w.school_b1.pk}",
                      {"start": "2025-08-18", "end": "2026-06-12"}).status_code == 404
    bad = client.get(f"/api/surveys/results/schools/{w.school_a1.pk}",
                     {"start": "2026-06-12", "end": "2025-08-18"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "end"
    outsider = login(w, "outsider").get(f"/api/surveys/results/schools/{w.school_a1.pk}",
                                        {"start": "2025-08-18", "end": "2026-06-12"})
    assert outsider.status_code == 403


def test_one_window_of_several(w: World) -> None:
    spring = services.create_campaign(None, {
        "school": w.school_a1, "name": "Spring", "opens_on": datetime.date(2026, 3, 2),
        "closes_on": datetime.date(2026, 3, 27), "groups": ["student"]},
        today=datetime.date(2026, 2, 1))
    link: SurveyLink = spring.links.get(group="student")
    answer_all(link, 10, datetime.date(2026, 3, 3))
    client = login(w, "school_admin")
    both = api(client, school_year="2025-26").json()
    assert by_group(both["responses"])["student"]["responses"] == 22
    one = api(client, school_year="2025-26", window=spring.pk).json()
    assert one["windows"] == [spring.pk]
    assert by_group(one["responses"])["student"]["responses"] == 10
    page = client.get("/surveys/results/", {"year": "2025-26", "window": spring.pk})
    assert "One survey window" in page.content.decode()


def test_bad_choices_get_clear_messages(w: World) -> None:
    client = login(w, "analyst")
    response = api(client, school_year="1999-00")
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "school_year"
    page = client.get("/surveys/results/", {"scope": "district:999999"})
    assert page.status_code == 400
    assert "out-of-scope" in page.content.decode()
