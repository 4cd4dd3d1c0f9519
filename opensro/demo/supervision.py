"""Demo supervision (R-F1…R-F3): two planted outlier SROs, the review history with one
overdue review, an agency's adapted rating instrument and evaluations.

Planted for the early warning to find: this fall, one Lakeview police SRO arrests
students at more than twice the rate of peers at similar schools, and another restrains
them at several times the rate. Their extra records go through the incident importer,
so the same rules apply as to any record. The refresh then runs as of the demo's last
day of records, as ``opensro flags refresh`` would.

Reviews: every half-year since fall 2024 is reviewed and completed, except the spring
2026 review of the demo SRO at Lakeview High School, which is overdue (flagged). This
fall's reviews are planned, some scheduled.
"""

from __future__ import annotations

import csv
import datetime
import io
import random
from typing import Any

from opensro.core.flags import decide_flag
from opensro.core.models import Flag, User
from opensro.demo import DemoContext
from opensro.directory.models import Officer, School, SchoolYear
from opensro.incidents.imports import COLUMNS, import_incidents
from opensro.incidents.models import IncidentReason
from opensro.supervision import periods, selectors, services
from opensro.supervision.choices import Score
from opensro.supervision.instrument import seed_standard_instrument
from opensro.supervision.models import (
    EarlyWarningResult,
    RatingCriterion,
    RatingInstrument,
    Review,
)

#: The last day of the demo's incident records ("today" in the demo county).
DEMO_DAY = datetime.date(2026, 11, 20)
FALL_START = datetime.date(2026, 8, 24)


def build(ctx: DemoContext) -> None:
    rng = ctx.rng
    officers: list[Officer] = ctx.data["officers"]  # type: ignore[assignment]
    schools: dict[str, list[School]] = ctx.data["schools"]  # type: ignore[assignment]
    lake = schools["3999901"]
    users = {u.username: u for u in User.objects.filter(
        username__in=["supervisor", "schooladmin", "agencyadmin"])}
    arrests, restraints = officers[1], officers[3]
    _plant(rng, arrests, lake[1], "arrest", 55)
    _plant(rng, restraints, lake[4], "restraint", 14)
    ctx.data["planted_outliers"] = {"arrest": arrests, "restraint": restraints}
    _reviews(ctx, officers, lake[0], users)
    _evaluations(ctx, officers, lake[0], users)
    early = services.refresh_early_warning(DEMO_DAY)
    overdue = services.refresh_reviews(DEMO_DAY)
    ctx.data["early_warning_flags"] = early.raised
    ctx.data["overdue_review_flags"] = overdue.raised
    _decide(users.get("supervisor"), officers[5])


def _decide(supervisor: User | None, officer: Officer) -> None:
    """Last spring's flags on the alternative academy's SRO, dismissed with a reason."""
    if supervisor is None:
        return
    spring = EarlyWarningResult.objects.filter(officer=officer, half="spring",
                                               period_end__lt=DEMO_DAY)
    for flag in Flag.objects.filter(kind=services.EARLY_WARNING_FLAG, status="open",
                                    subject_id__in=[str(pk) for pk in spring.values_list(
                                        "pk", flat=True)]):
        decide_flag(supervisor, flag, agree=False, reason=(
            "Lakeview Alternative Academy enrols students placed there for behaviour, so "
            "its rates per enrolled student are not comparable; per contact the officer "
            "is in line with peers. Reviewed the incidents at the spring review."))


# --------------------------------------------------------------------------- outliers


def _weekday(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    while True:
        day = start + datetime.timedelta(days=rng.randint(0, (end - start).days))
        if day.weekday() < 5:
            return day


def _plant(rng: random.Random, officer: Officer, school: School, action: str,
           count: int) -> None:
    """``count`` extra records this fall in which ``officer`` arrests (or restrains) the
    student, each with its documented basis (R-D3)."""
    reasons = list(IncidentReason.objects.filter(kind="safety", active=True))
    rows: list[dict[str, Any]] = []
    for n in range(count):
        day = _weekday(rng, FALL_START, DEMO_DAY - datetime.timedelta(days=2))
        when = datetime.datetime.combine(day, datetime.time(rng.randint(8, 14),
                                                            rng.choice((0, 15, 30, 45))))
        age = rng.randint(12, 18)
        row: dict[str, Any] = {
            "source_system": "demo-rms", "incident_id": f"P{action[:2].upper()}{n:04d}",
            "school_nces_id": school.nces_id, "agency_ori": officer.agency.ori,
            "officer_badge": officer.badge_number,
            "occurred_at": when.isoformat(timespec="minutes"),
            "recorded_at": (when + datetime.timedelta(hours=2)).isoformat(timespec="minutes"),
            "location": rng.choice(["hallway", "classroom", "grounds", "cafeteria"]),
            "involvement_source": rng.choice(["self", "dispatch"]),
            "reason": rng.choice(reasons).code, "would_call_911": "yes",
            "deescalation": "tried", "status": "submitted",
            "student_id": f"{school.nces_id[-5:]}-{rng.randint(1, 900)}",
            "age": age, "grade": f"{min(max(age - 5, 6), 12):02d}",
            "race": rng.choices(["BL", "WH", "HI", "TR", "AS"], [31, 40, 19, 6, 4])[0],
            "sex": rng.choice("MF"), "idea": "no", "section_504": "no",
            "english_learner": "no", "role": "subject",
            "removed_from_public_view": "yes",
        }
        if action == "arrest":
            row.update({
                "actions": "arrest;detention;transport", "offense": rng.choice(
                    ["Assault", "Disorderly conduct", "Theft", "Aggravated menacing"]),
                "offense_severity": "misdemeanor", "arrest_charge": "Assault",
                "basis": "probable_cause",
                "basis_details": "Struck another student; continued after two warnings.",
                "why_at_school": "The victim and witnesses were in the building.",
                "probable_cause": "Seen by the officer; victim statement.",
            })
        else:
            row.update({
                "actions": "restraint;detention", "restraint_type": "handcuffs",
                "restraint_minutes": rng.randint(5, 20), "basis": "imminent_threat",
                "basis_details": "Attempted to strike staff after verbal de-escalation.",
                "why_at_school": "Immediate risk to staff and students nearby.",
            })
        rows.append(row)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    report = import_incidents(buffer.getvalue().encode(), None, all_or_nothing=True)
    if report.errors:
        raise RuntimeError("planted incidents failed validation: "
                           + "; ".join(str(e) for e in report.errors[:5]))


# --------------------------------------------------------------------------- reviews


MINUTES = (
    "Reviewed {n} incident(s) together: each arrest and restraint had its basis documented "
    "and de-escalation was tried first. Discussed calling the SRO only for safety matters "
    "(R-D2) and the school's referral path to counselors.",
    "Reviewed {n} incident(s). Two could have been handled by school staff; the assistant "
    "principal will remind staff when to call the SRO. The SRO will use diversion where "
    "the MOU allows.",
    "Reviewed {n} incident(s). No concerns with the documentation; the SRO's classroom "
    "presentations were appreciated. Agreed to review restraint use at the next meeting.",
)


def _reviews(ctx: DemoContext, officers: list[Officer], high_school: School,
             users: dict[str, User]) -> None:
    rng = ctx.rng
    years = list(SchoolYear.objects.order_by("start_date"))
    halves = [p for y in years for p in periods.halves(y) if p.end < DEMO_DAY]
    for period in halves:
        services.plan_reviews(None, period.end)
    supervisor, school_admin = users.get("supervisor"), users.get("schooladmin")
    overdue_officer = officers[0]
    for review in Review.objects.filter(period_end__lt=DEMO_DAY).select_related(
            "officer__agency", "school", "school_year").order_by("period_start", "pk"):
        if review.officer_id == overdue_officer.pk and review.school_id == high_school.pk \
                and review.half == "spring" and review.school_year.code == "2025-26":
            continue  # planted: the one overdue review
        lpd = supervisor is not None and review.officer.agency_id == overdue_officer.agency_id
        meeting = min(review.period_end - datetime.timedelta(days=rng.randint(3, 20)),
                      DEMO_DAY)
        leader = school_admin if review.school_id == high_school.pk else None
        if leader is not None:
            services.record_school_input(leader, review, rng.choice([
                "Please discuss the two restraints in March with our behaviour team.",
                "Staff call the SRO for dress-code matters less often since the training; "
                "we would like to keep it that way.",
                "Families asked about searches at the entrance; we would like to explain "
                "the policy together.",
            ]))
        services.update_review(supervisor if lpd else None, review, {
            "meeting_on": meeting, "location": f"{review.school} conference room",
            "supervisor": supervisor if lpd else None, "school_administrator": leader})
        n = len(selectors.review_incidents_query(
            review.officer_id, review.school_id, review.period_start, review.period_end))
        services.complete_review(supervisor if lpd else None, review, {
            "meeting_on": meeting,
            "attendees": f"{review.officer}, the SRO's sergeant, the principal of "
                         f"{review.school}",
            "minutes": rng.choice(MINUTES).format(n=n),
        }, [{"action": "Remind staff when to call the SRO (MOU section 4)",
             "owner": "Principal", "due_date": meeting + datetime.timedelta(days=30)}]
           if rng.random() < 0.4 else [])
    # This fall's reviews: planned, a few scheduled.
    services.plan_reviews(None, DEMO_DAY)
    for review in Review.objects.filter(period_start__lte=DEMO_DAY, period_end__gte=DEMO_DAY,
                                        officer__agency=overdue_officer.agency)[:4]:
        services.update_review(supervisor, review, {
            "meeting_on": datetime.date(2026, 12, 10) + datetime.timedelta(
                days=rng.randint(0, 5)), "location": f"{review.school} office",
            "supervisor": supervisor})


# --------------------------------------------------------------------------- evaluations


def _evaluations(ctx: DemoContext, officers: list[Officer], high_school: School,
                 users: dict[str, User]) -> None:
    rng = ctx.rng
    supervisor, school_admin = users.get("supervisor"), users.get("schooladmin")
    agency_admin = users.get("agencyadmin")
    if supervisor is None or agency_admin is None:
        return
    # A reset flushes the rows the data migration seeded.
    standard = seed_standard_instrument(RatingInstrument, RatingCriterion)
    agency = officers[0].agency
    adapted = services.copy_instrument(agency_admin, standard, agency,
                                       f"{agency.name} SRO evaluation")
    rows = [{"id": c.pk, "code": c.code, "label": c.label, "guidance": c.guidance,
             "requirement": c.requirement, "sort_order": c.sort_order}
            for c in adapted.criteria.all()]
    rows.append({"code": "restorative", "label": "Restorative practice",
                 "guidance": "Takes part in restorative conferences the school convenes.",
                 "requirement": "R-G3", "sort_order": 95})
    adapted = services.update_instrument(agency_admin, adapted, {}, rows)

    year = SchoolYear.objects.get(code="2025-26")
    sros = [o for o in officers if o.agency_id == agency.pk and o.kind == "sro"]
    for officer in sros:
        if not officer.assignments.filter(start_date__lte=year.end_date).exists():
            continue
        evaluation = services.create_evaluation(supervisor, {
            "officer": officer, "instrument": standard, "period_start": year.start_date,
            "period_end": year.end_date})
        ratings = {r.criterion_id: {"score": rng.choice([3, 3, 4, 4, 5]), "comment": ""}
                   for r in evaluation.ratings.all()}
        services.update_evaluation(supervisor, evaluation, {
            "summary": "Meets the SRO role's expectations; de-escalation is consistent and "
                       "documented.",
            "strengths": "Relationships with students; classroom presentations.",
            "development_goals": "Advanced SRO course; adolescent mental health training.",
        }, ratings)
        for item in evaluation.inputs.all():
            if item.school_id == high_school.pk and school_admin is not None:
                services.submit_input(school_admin, item, {
                    "works_well": "Known to students; staff trust the officer's judgement.",
                    "concerns": "Would like fewer responses to dress-code calls from staff."})
        services.complete_evaluation(supervisor, evaluation)
    # This year's draft for the SRO planted high on arrests, with the figures beside it.
    draft = services.create_evaluation(supervisor, {
        "officer": officers[1], "instrument": adapted,
        "period_start": datetime.date(2026, 8, 17), "period_end": DEMO_DAY})
    first = draft.ratings.order_by("criterion__sort_order").first()
    if first is not None:
        services.update_evaluation(supervisor, draft, {"summary": ""}, {
            first.criterion_id: {"score": Score.NEEDS_IMPROVEMENT,
                                 "comment": "Arrests this fall are well above peers: "
                                            "reviewing each incident with the officer."}})
