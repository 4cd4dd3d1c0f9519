"""Survey test worlds: the two-county world of the root conftest plus closed survey
windows with responses (rolled back at the end of each module)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from conftest import World, module_world
from opensro.directory.models import SchoolYear
from opensro.surveys import services
from opensro.surveys.models import Campaign, Question, Questionnaire, SurveyLink
from opensro.surveys.questionnaires import seed_questionnaires

#: Windows of school year 2025-26 (closed long ago): school -> answers per group.
#: A1: students publish (12), families are too few (3), staff exactly at the limit (10).
#: A2: students 15, staff 4 (families not surveyed). B1: everything publishes.
#: B2: a window nobody answered.
PLAN: dict[str, dict[str, int]] = {
    "school_a1": {"student": 12, "family": 3, "staff": 10},
    "school_a2": {"student": 15, "staff": 4},
    "school_b1": {"student": 20, "family": 11, "staff": 12},
    "school_b2": {"student": 0, "family": 0},
}
OPENS = datetime.date(2025, 10, 1)
CLOSES = datetime.date(2025, 10, 31)
SET_UP_ON = datetime.date(2025, 9, 15)


def seed() -> None:
    seed_questionnaires(Questionnaire, Question)


def rating(group: str, n: int, code: str) -> int:
    """A fixed, varied rating: the n-th respondent of a group, for one item."""
    base = {"student": 3, "family": 4, "staff": 4}[group]
    return max(1, min(5, base + (n + len(code)) % 3 - 1))


def answer_all(link: SurveyLink, count: int, on: datetime.date,
               dont_know: tuple[str, ...] = ()) -> None:
    """``count`` responses through the public path (ticket, then submit)."""
    questions = list(link.questionnaire.questions.all())
    for n in range(count):
        raw: dict[str, Any] = {}
        for q in questions:
            raw[f"q{q.pk}"] = "dk" if q.code in dont_know else str(
                rating(link.group, n, q.code))
        services.submit_response(link, services.issue_ticket(link), raw, today=on)


def add_window(world: World, school: str, groups: Mapping[str, int], *,
               opens: datetime.date = OPENS, closes: datetime.date = CLOSES,
               set_up_on: datetime.date = SET_UP_ON, answer_on: datetime.date | None = None,
               ) -> Campaign:
    window = services.create_campaign(None, {
        "school": world.objects[school], "name": f"Climate survey {school}",
        "opens_on": opens, "closes_on": closes, "groups": list(groups)}, today=set_up_on)
    for group, count in groups.items():
        link = window.links.get(group=group)
        answer_all(link, count, answer_on or opens + datetime.timedelta(days=3))
    return window


def current_year() -> SchoolYear:
    """A school year covering today (created if the world has none)."""
    today = datetime.date.today()
    year = SchoolYear.for_date(today)
    if year is not None:
        return year
    start = today - datetime.timedelta(days=60)
    latest = SchoolYear.objects.order_by("-end_date").first()
    if latest is not None and latest.end_date >= start:
        start = latest.end_date + datetime.timedelta(days=1)
    end = max(start + datetime.timedelta(days=300), today + datetime.timedelta(days=120))
    code = f"{start.year}-{(start.year + 1) % 100:02d}"
    return SchoolYear.objects.create(code=code, start_date=start, end_date=end)


def open_window(world: World, school: str = "school_a1",
                groups: tuple[str, ...] = ("student", "family", "staff")) -> Campaign:
    """A window open today, in a school year covering today."""
    current_year()
    today = datetime.date.today()
    return services.create_campaign(None, {
        "school": world.objects[school], "opens_on": today - datetime.timedelta(days=2),
        "closes_on": today + datetime.timedelta(days=20), "groups": list(groups)},
        today=today)


def prepare(world: World) -> None:
    seed()
    for school, groups in PLAN.items():
        world.objects[f"window_{school[-2:]}"] = add_window(world, school, groups)


@pytest.fixture(scope="module")
def shared_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    yield from module_world(django_db_blocker, prepare)
