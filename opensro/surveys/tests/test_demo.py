"""The surveys part of the demo: a window per school in the latest year, enough answers
at some schools to publish, too few at others (suppressed)."""

from __future__ import annotations

import random
from typing import Any

from opensro.core.context import request_context
from opensro.core.models import User
from opensro.demo import SEED, DemoContext, directory
from opensro.demo import surveys as demo_surveys
from opensro.directory.models import School, SchoolYear
from opensro.surveys import selectors
from opensro.surveys.models import Campaign, Response
from opensro.surveys.tests.conftest import seed


def test_demo_surveys(db: Any) -> None:
    seed()
    ctx = DemoContext(rng=random.Random(SEED))
    with request_context():
        directory.build(ctx)
        demo_surveys.build(ctx)
    latest = SchoolYear.objects.order_by("-start_date").first()
    assert latest is not None and latest.code == "2026-27"
    schools = School.objects.count()
    assert set(Campaign.objects.values_list("school_year__code", flat=True)) == {"2026-27"}
    assert Campaign.objects.values("school").distinct().count() == schools
    assert Response.objects.count() == ctx.data["survey_responses"] > 1000

    # The school administrator's school: students and staff publish, families do not.
    admin = User.objects.get(username="schooladmin")
    items = selectors.results_for_school(admin, School.objects.get(
        name="Lakeview High School"), latest.start_date, latest.end_date)
    by = {(i["question_code"], i["group"]): i for i in items}
    assert by[("safe_school", "student")]["responses"] >= 10
    assert by[("safe_school", "family")]["suppressed"] is True
    # The planted gap: students rate SRO fairness well below staff.
    assert by[("sro_fair", "staff")]["mean"] - by[("sro_fair", "student")]["mean"] > 0.8

    # Program-wide: some schools suppressed, most shown; no count from 1 to 9.
    analyst = User.objects.get(username="analyst")
    table = selectors.results(analyst, latest, selectors.resolve_scope(analyst, None))
    totals = [row.total for row in table.schools]
    assert any(t.suppressed for t in totals) and sum(not t.suppressed for t in totals) > 15
    for row in table.schools:
        for fig in (*row.responses, row.total):
            assert fig.responses is None or fig.responses == 0 or fig.responses >= 10
    assert [w.name for w in table.pending] == ["Winter check-in"]
