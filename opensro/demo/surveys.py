"""Demo stakeholder surveys (R-E4, R-F2): a fall survey window at every school in the
latest school year (2026-27), closed on 13 November 2026, answered by students (not at
elementary schools), families and staff through the same single-use tickets as the
public page. Lakeview High School also has a winter window, open until 29 January 2027,
whose links work in the demo.

Enough people answered at most schools for results to show; at a few small schools, and
for families at Lakeview High School, too few did, so those figures are suppressed (and
the totals that would give them away). Planted for the results to show: at the two
Lakeview City high schools students rate the SRO's fairness and respect well below
what staff say; in Harmon County students and staff broadly agree.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from opensro.directory.models import School
from opensro.surveys import services
from opensro.surveys.models import SurveyLink

if TYPE_CHECKING:
    from opensro.demo import DemoContext

SET_UP_ON = datetime.date(2026, 9, 28)
FALL = (datetime.date(2026, 10, 5), datetime.date(2026, 11, 13))
WINTER = (datetime.date(2026, 11, 16), datetime.date(2027, 1, 29))
DEMO_TODAY = datetime.date(2026, 11, 20)

#: Schools (by position in their district's list) where few people answered.
FEW = {("3999901", 13): {"student": 8, "family": 4, "staff": 5},   # Lakeview Alternative
       ("3999902", 8): {"family": 6, "staff": 9}}                  # Elk Run Elementary
#: Lakeview High School: plenty of students and staff, too few families.
LAKEVIEW_HIGH = {"student": 86, "family": 7, "staff": 24}
#: The winter window at Lakeview High School so far.
WINTER_SO_FAR = {"student": 6, "family": 2, "staff": 3}


def build(ctx: DemoContext) -> None:
    rng = ctx.rng
    schools: dict[str, list[School]] = ctx.data["schools"]  # type: ignore[assignment]
    windows = responses = 0
    for lea, district_schools in schools.items():
        for n, school in enumerate(district_schools):
            groups = _groups(school)
            plan = FEW.get((lea, n)) or (LAKEVIEW_HIGH if (lea, n) == ("3999901", 0)
                                         else _plan(rng, school, groups))
            window = services.create_campaign(None, {
                "school": school, "name": "Fall 2026 climate survey",
                "opens_on": FALL[0], "closes_on": FALL[1], "groups": groups},
                today=SET_UP_ON)
            windows += 1
            for group in groups:
                link = window.links.get(group=group)
                responses += _answer(ctx, link, plan.get(group, 0), lea, n, FALL)
    lakeview_high = schools["3999901"][0]
    winter = services.create_campaign(None, {
        "school": lakeview_high, "name": "Winter check-in",
        "opens_on": WINTER[0], "closes_on": WINTER[1],
        "groups": ["student", "family", "staff"]}, today=WINTER[0])
    windows += 1
    for group, count in WINTER_SO_FAR.items():
        responses += _answer(ctx, winter.links.get(group=group), count, "3999901", 0,
                             (WINTER[0], DEMO_TODAY))
    ctx.data["survey_windows"] = windows
    ctx.data["survey_responses"] = responses


def _groups(school: School) -> list[str]:
    if school.level == "elementary":
        return ["family", "staff"]
    return ["student", "family", "staff"]


def _plan(rng: Any, school: School, groups: list[str]) -> dict[str, int]:
    """How many answered, roughly in proportion to the school's size."""
    size = {"high": 1300, "middle": 650, "elementary": 420, "other": 500}[school.level]
    plan = {}
    if "student" in groups:
        plan["student"] = int(size / 18 * rng.uniform(0.6, 1.3))
    plan["family"] = int(size / 35 * rng.uniform(0.6, 1.4)) + 4
    plan["staff"] = rng.randint(12, 34)
    return plan


def _mean(lea: str, n: int, group: str, code: str) -> float:
    """The planted average opinion of a group on one item."""
    sro_item = code.startswith("sro_")
    if group == "staff":
        return 4.1 if sro_item else 3.9
    if group == "family":
        return 3.7 if sro_item else 3.8
    if lea == "3999901" and n in (0, 1) and code in ("sro_fair", "sro_respect",
                                                      "sro_listens", "sro_approachable"):
        return 2.7  # Lakeview City high-school students: a perception gap to discuss
    return 3.6 if sro_item else 3.7


def _answer(ctx: DemoContext, link: SurveyLink, count: int, lea: str, n: int,
            days: tuple[datetime.date, datetime.date]) -> int:
    rng = ctx.rng
    questions = list(link.questionnaire.questions.all())
    span = (days[1] - days[0]).days
    for _ in range(count):
        person = rng.gauss(0, 0.6)  # some people see everything a little better or worse
        raw: dict[str, str] = {}
        for q in questions:
            unsure = 0.25 if (link.group == "family" and q.code.startswith("sro_")) else 0.05
            if rng.random() < unsure:
                raw[f"q{q.pk}"] = "dk"
                continue
            value = _mean(lea, n, link.group, q.code) + person + rng.gauss(0, 0.7)
            raw[f"q{q.pk}"] = str(min(5, max(1, round(value))))
        if all(v == "dk" for v in raw.values()):
            raw[f"q{questions[0].pk}"] = "4"
        day = days[0] + datetime.timedelta(days=rng.randint(0, span))
        services.submit_response(link, services.issue_ticket(link), raw, today=day)
    return count
