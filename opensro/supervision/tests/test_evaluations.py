"""Evaluations (R-F1, R-F2): the SRO-specific instrument as data (seeded, copied and
adapted by an agency), evaluations owned by the agency's chain of command, the school
administrator's input as a separate section, the period's own figures shown beside the
ratings as a reason for review (never merit), and survey results when there are any."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from conftest import World, last_seq, login, module_world
from opensro.core import audit
from opensro.core.models import AuditEvent
from opensro.supervision import services
from opensro.supervision.choices import EvaluationStatus
from opensro.supervision.instrument import STANDARD_CRITERIA, STANDARD_NAME
from opensro.supervision.models import Evaluation, EvaluationInput, RatingInstrument
from opensro.supervision.tests import world as sw


@pytest.fixture(scope="module")
def shared_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    yield from module_world(django_db_blocker, sw.prepare)


def snap(obj: Any) -> dict[str, Any]:
    return audit.snapshot(type(obj).objects.get(pk=obj.pk))


# --------------------------------------------------------------------------- instruments


def test_standard_instrument_is_seeded_with_sro_specific_criteria(w: World) -> None:
    standard = RatingInstrument.objects.get(agency=None, name=STANDARD_NAME)
    codes = list(standard.criteria.values_list("code", flat=True))
    assert codes == [c[0] for c in STANDARD_CRITERIA]
    assert {"deescalation", "alternatives", "students", "teaching", "collaboration",
            "mou_ferpa"} <= set(codes)
    page = login(w, "supervisor").get(f"/supervision/instruments/{standard.pk}/").content
    assert b"Use of alternatives to citation and arrest" in page


def test_an_agency_copies_and_adapts_an_unused_instrument(w: World) -> None:
    admin = w.users["agency_admin"]
    copy = services.copy_instrument(admin, w.standard, w.agency_a, "Agency A, pilot")
    assert copy.based_on_id == w.standard.pk and copy.criteria.count() == len(STANDARD_CRITERIA)
    rows = [{"id": c.pk, "code": c.code, "label": c.label, "sort_order": c.sort_order}
            for c in copy.criteria.all() if c.code != "emergency"]
    rows[0]["label"] = "De-escalation and crisis intervention"
    rows.append({"code": "restorative", "label": "Restorative practice"})
    adapted = services.update_instrument(admin, copy, {"description": "Pilot"}, rows)
    labels = list(adapted.criteria.values_list("label", flat=True))
    assert labels[0] == "De-escalation and crisis intervention"
    assert "Restorative practice" in labels and len(labels) == len(STANDARD_CRITERIA)
    assert w.standard.criteria.count() == len(STANDARD_CRITERIA)  # the standard is unchanged
    event = AuditEvent.objects.filter(object_id=str(copy.pk), action="update").get()
    assert len(event.after["criteria"]) == len(STANDARD_CRITERIA)


def test_criteria_of_an_instrument_in_use_do_not_change(w: World) -> None:
    before, seq = snap(w.instrument_a), last_seq()
    rows = [{"id": c.pk, "code": c.code, "label": c.label + " (new)"}
            for c in w.instrument_a.criteria.all()]
    with pytest.raises(ValidationError, match="copy it to change its criteria"):
        services.update_instrument(w.users["agency_admin"], w.instrument_a, {}, rows)
    assert snap(w.instrument_a) == before and last_seq() == seq
    renamed = services.update_instrument(w.users["agency_admin"], w.instrument_a,
                                         {"name": "Agency A evaluation (2025)"})
    assert renamed.name == "Agency A evaluation (2025)"


def test_the_standard_instrument_never_changes(w: World) -> None:
    with pytest.raises(ValidationError, match="copy it"):
        services.update_instrument(w.users["system_admin"], w.standard, {"name": "Mine"})
    response = login(w, "system_admin").patch(
        f"/api/supervision/instruments/{w.standard.pk}", json.dumps({"name": "Mine"}),
        content_type="application/json")
    assert response.status_code == 403
    assert RatingInstrument.objects.get(pk=w.standard.pk).name == STANDARD_NAME


def test_criteria_validation_reports_each_problem(w: World) -> None:
    copy = services.copy_instrument(w.users["agency_admin"], w.standard, w.agency_a, "Draft")
    with pytest.raises(ValidationError) as err:
        services.update_instrument(w.users["agency_admin"], copy, {}, [
            {"code": "a", "label": "A"}, {"code": "a", "label": ""}])
    assert set(err.value.message_dict) == {"criteria.1.code", "criteria.1.label"}
    with pytest.raises(ValidationError, match="at least one criterion"):
        services.update_instrument(w.users["agency_admin"], copy, {}, [])
    assert copy.criteria.count() == len(STANDARD_CRITERIA)


# --------------------------------------------------------------------------- evaluations


def test_the_evaluator_is_in_the_agencys_chain_of_command(w: World) -> None:
    count = Evaluation.objects.count()
    data = {"officer": w.officer_a, "instrument": w.standard,
            "period_start": datetime.date(2025, 8, 18), "period_end": datetime.date(2026, 1, 1)}
    for evaluator in (w.users["school_admin"], w.supervisor_b):
        with pytest.raises(ValidationError) as err:
            services.create_evaluation(w.users["supervisor"], {**data, "evaluator": evaluator})
        assert "chain of command" in err.value.message_dict["evaluator"][0]
    with pytest.raises(ValidationError, match="chain of command"):  # a system administrator
        services.create_evaluation(w.users["system_admin"], data)
    with pytest.raises(ValidationError, match="standard instrument or one of"):
        services.create_evaluation(w.users["supervisor"], {**data,
                                                          "instrument": w.instrument_b})
    assert Evaluation.objects.count() == count


def test_input_is_requested_from_each_school_served(w: World) -> None:
    assert list(w.eval_peer_a.inputs.values_list("school_id", flat=True)) == [w.school_a2.pk]
    assert AuditEvent.objects.filter(action="request_input",
                                     object_id=str(w.input_peer_a.pk)).exists()


def test_completing_needs_every_criterion_and_a_summary(w: World) -> None:
    sup, evaluation = w.users["supervisor"], w.eval_peer_a
    before, seq = snap(evaluation), last_seq()
    with pytest.raises(ValidationError) as err:
        services.complete_evaluation(sup, evaluation)
    assert set(err.value.message_dict) == {"ratings", "summary"}
    assert "De-escalation" in err.value.message_dict["ratings"][0]
    assert snap(evaluation) == before and last_seq() == seq
    ratings = {r.criterion_id: {"score": 3} for r in evaluation.ratings.all()}
    first = next(iter(ratings))
    ratings[first] = {"not_observed": True}
    services.update_evaluation(sup, evaluation, {"summary": "Solid year."}, ratings)
    done = services.complete_evaluation(sup, evaluation)
    assert done.status == EvaluationStatus.COMPLETED and done.completed_at is not None
    with pytest.raises(ValidationError, match="does not change"):
        services.update_evaluation(sup, done, {"summary": "later"})


@pytest.mark.parametrize(("values", "message"), [
    ({"score": 7}, "from 1 to 5"),
    ({"score": 3, "not_observed": True}, "not both"),
])
def test_rating_validation_stores_nothing(w: World, values: dict[str, Any],
                                         message: str) -> None:
    evaluation = w.eval_a
    criterion = evaluation.ratings.first().criterion_id
    before, seq = snap(evaluation), last_seq()
    client = login(w, "supervisor")
    response = client.patch(f"/api/supervision/evaluations/{evaluation.pk}", json.dumps({
        "summary": "changed", "ratings": [{"criterion_id": criterion, **values}]}),
        content_type="application/json")
    assert response.status_code == 422
    assert message in response.json()["detail"][0]["message"]
    assert snap(evaluation) == before and last_seq() == seq


def test_school_administrator_writes_input_and_never_sees_the_ratings(w: World) -> None:
    client = login(w, "school_admin")
    assert client.get(f"/supervision/evaluations/{w.eval_a.pk}/").status_code == 404
    assert client.get(f"/api/supervision/evaluations/{w.eval_a.pk}").status_code == 404
    empty = client.post(f"/supervision/inputs/{w.input_a.pk}/edit/",
                        {"works_well": "", "concerns": ""})
    assert empty.status_code == 400
    assert EvaluationInput.objects.get(pk=w.input_a.pk).submitted_at is None
    sent = client.post(f"/supervision/inputs/{w.input_a.pk}/edit/",
                       {"works_well": "Students trust the officer.", "concerns": ""})
    assert sent.status_code == 302
    item = EvaluationInput.objects.get(pk=w.input_a.pk)
    assert item.author_id == w.users["school_admin"].pk and item.submitted_at is not None
    page = login(w, "supervisor").get(f"/supervision/evaluations/{w.eval_a.pk}/").content
    assert b"Students trust the officer." in page
    # Once the evaluation is completed, the input no longer changes.
    closed = client.post(f"/supervision/inputs/{w.input_a_done.pk}/edit/",
                         {"works_well": "late", "concerns": ""})
    assert closed.status_code == 400
    assert b"no longer changes" in closed.content


def test_sro_reads_only_completed_evaluations_of_their_own(w: World) -> None:
    client = login(w, "sro")
    assert client.get(f"/supervision/evaluations/{w.eval_a_done.pk}/").status_code == 200
    assert client.get(f"/supervision/evaluations/{w.eval_a.pk}/").status_code == 404
    ids = {e["id"] for e in client.get("/api/supervision/evaluations").json()["items"]}
    assert ids == {w.eval_a_done.pk}


def test_figures_beside_the_ratings_are_a_reason_for_review_not_merit(w: World) -> None:
    response = login(w, "supervisor").get(f"/supervision/evaluations/{w.eval_a.pk}/")
    page = response.content.decode()
    assert "High enforcement counts are a reason for review, never a measure of merit" in page
    figures = response.context["figures"]
    arrest = next(m for m in figures["measures"] if m["code"] == "arrest")
    assert arrest["count"] == 20 and arrest["flagged"] is True
    assert figures["contacts"] == 40 and figures["discipline_cases"] == 1
    assert "yes: review the incidents" in page
    edit = login(w, "supervisor").get(f"/supervision/evaluations/{w.eval_a.pk}/edit/")
    assert "never a measure of merit" in edit.content.decode()


def test_survey_results_are_shown_when_there_are_any(w: World, monkeypatch: Any) -> None:
    from opensro.surveys import selectors as surveys

    calls: list[tuple[Any, ...]] = []

    def results(user: Any, school: Any, start: Any, end: Any) -> list[dict[str, Any]]:
        calls.append((user, school, start, end))
        return [{"question": "The SRO treats students fairly", "group": "students",
                 "responses": 120, "mean": 3.9, "suppressed": False},
                {"question": "I feel safe at school", "group": "families",
                 "responses": None, "mean": None, "suppressed": True}]

    page = login(w, "supervisor").get(f"/supervision/evaluations/{w.eval_a.pk}/")
    assert b"No survey results" in page.content
    monkeypatch.setattr(surveys, "results_for_school", results)
    page = login(w, "supervisor").get(f"/supervision/evaluations/{w.eval_a.pk}/")
    body = page.content.decode()
    assert "The SRO treats students fairly" in body and "3.90" in body
    assert "suppressed (too few)" in body
    assert calls[0][1] == w.school_a1 and calls[0][2] == w.eval_a.period_start


def test_evaluation_through_the_api(w: World) -> None:
    client = login(w, "supervisor")
    created = client.post("/api/supervision/evaluations", json.dumps({
        "officer_id": w.peer_a.pk, "instrument_id": w.instrument_a.pk,
        "period_start": "2025-01-01", "period_end": "2025-06-30"}),
        content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["evaluator_id"] == w.users["supervisor"].pk
    assert len(body["ratings"]) == w.instrument_a.criteria.count()
    ratings = [{"criterion_id": r["criterion_id"], "score": 4} for r in body["ratings"]]
    patched = client.patch(f"/api/supervision/evaluations/{body['id']}", json.dumps({
        "summary": "Good half-year.", "ratings": ratings}), content_type="application/json")
    assert patched.status_code == 200 and patched.json()["ratings"][0]["score"] == 4
    done = client.post(f"/api/supervision/evaluations/{body['id']}/complete")
    assert done.status_code == 200 and done.json()["status"] == "completed"
