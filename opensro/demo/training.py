"""Demo data of the training app (R-G1…R-G4).

- Lakeview Police Department follows the COPS profile (program start 2019-08-01);
  Harmon County Sheriff's Office follows NASRO (program start 2018-08-01).
- Every SRO has a training history written through the services. One Lakeview officer,
  placed on 2025-08-01, has no basic SRO course: past COPS's nine-month deadline, so the
  ``training_overdue`` flag is raised for them. A few recurring requirements fall due
  within the next weeks (the compliance dashboard lists them).
- The supervisors took their leadership or management course before their program
  started; so did Lakeview's district administrator (Harmon's sheriff serves Lakeview
  too, under NASRO).
- School staff sessions on the SRO program at five schools.
Recurring courses are dated relative to the day the demo is built, so the picture stays
the same; the basic courses follow the directory's fixed placement dates.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from opensro.core.choices import Role
from opensro.core.models import Flag, RoleGrant
from opensro.directory.models import Agency, Assignment, Officer, School
from opensro.training import catalog, services
from opensro.training.models import Course, PolicyProfile, RequirementRule

if TYPE_CHECKING:
    from opensro.demo import DemoContext

DAY = datetime.timedelta(days=1)
ACADEMIES = ["Ohio School Resource Officer Academy", "NASRO", "Ohio Attorney General's "
             "Office (OPOTA)", "Regional training center"]
#: Index (in the directory's plan) of the Lakeview officer without a basic course.
OVERDUE_OFFICER = 4
#: Officers with a recurring course falling due within weeks.
DUE_SOON = {1, 10}


def build(ctx: DemoContext) -> None:
    catalog.seed(Course, PolicyProfile, RequirementRule)  # a flushed database lost it
    today = timezone.localdate()
    officers: list[Officer] = list(ctx.data["officers"])  # type: ignore[call-overload]
    lpd = Agency.objects.get(name="Lakeview Police Department")
    hcso = Agency.objects.get(name="Harmon County Sheriff's Office")
    cops = PolicyProfile.objects.get(name=catalog.COPS)
    nasro = PolicyProfile.objects.get(name=catalog.NASRO)
    placed = {o.pk: Assignment.objects.filter(officer=o).order_by("start_date")[0].start_date
              for o in officers if o.kind != "supervisor"}
    topics = list(catalog.TOPIC_CODES)
    for n, officer in enumerate(officers):
        if officer.kind == "supervisor":
            continue
        start = placed[officer.pk]
        if officer.agency_id == lpd.pk:
            _lakeview(ctx, n, officer, start, today, topics)
        else:
            _harmon(ctx, n, officer, start, today)
    for officer in officers:
        if officer.kind != "supervisor":
            continue
        if officer.agency_id == lpd.pk:
            _record(officer, "intro_sro_programs", datetime.date(2019, 5, 14), "4",
                    "COPS Training Portal")
            _record(officer, "sro_management", datetime.date(2021, 3, 9), "24", "NASRO")
        else:
            _record(officer, "sro_management", datetime.date(2018, 5, 21), "24", "NASRO")
    _district_admins()
    _staff_sessions(ctx, today)
    # The profiles last: setting them computes each officer's standing once, on the whole
    # history, so only the real gaps raise a flag.
    services.set_agency_policy(None, lpd, cops, datetime.date(2019, 8, 1))
    services.set_agency_policy(None, hcso, nasro, datetime.date(2018, 8, 1))
    services.refresh_training_flags(today)
    ctx.data["training_overdue"] = Flag.objects.filter(kind=services.OVERDUE_FLAG,
                                                       status="open").count()


def _record(officer: Officer, code: str, day: datetime.date, hours: str, provider: str,
            notes: str = "") -> None:
    services.create_record(None, {
        "officer": officer, "course": Course.objects.get(code=code), "completed_on": day,
        "hours": Decimal(hours), "provider": provider, "notes": notes})


def _before(limit: datetime.date, day: datetime.date) -> datetime.date:
    return min(day, limit)


def _lakeview(ctx: DemoContext, n: int, officer: Officer, placed: datetime.date,
              today: datetime.date, topics: list[str]) -> None:
    rng = ctx.rng
    if n == OVERDUE_OFFICER:
        # Placed 2025-08-01; COPS wanted the basic course by 2026-05-01. Only a short
        # de-escalation class is on file (it does not count for the basic course).
        _record(officer, "topic_deescalation", max(placed, today - 90 * DAY), "8",
                "Regional training center")
        return
    basic = _before(today - 20 * DAY, placed + rng.randint(-150, 200) * DAY)
    _record(officer, "basic_sro", basic, "40", rng.choice(ACADEMIES[:2]))
    # Earlier recommended-topic courses, one a year or so since the basic course.
    day = basic + rng.randint(200, 330) * DAY
    chosen = rng.sample(topics, 6)
    while day < today - 400 * DAY and chosen:
        _record(officer, chosen.pop(), day, rng.choice(["4", "8", "8", "16"]),
                rng.choice(ACADEMIES[1:]))
        day += rng.randint(250, 360) * DAY
    # The latest one: within the last year (due again in about a month for some).
    last = today - (335 if n in DUE_SOON else rng.randint(40, 280)) * DAY
    _record(officer, chosen.pop() if chosen else "topic_ferpa", max(last, basic + DAY), "8",
            rng.choice(ACADEMIES[1:]))


def _harmon(ctx: DemoContext, n: int, officer: Officer, placed: datetime.date,
            today: datetime.date) -> None:
    rng = ctx.rng
    recent = today - 15 * DAY
    basic = _before(recent, placed - rng.randint(20, 120) * DAY)
    _record(officer, "basic_sro", basic, "40", "Ohio School Resource Officer Academy")
    for code in ("advanced_sro", "adolescent_mental_health", "school_cpted"):
        _record(officer, code, _before(recent, basic + rng.randint(240, 360) * DAY),
                "24" if code == "advanced_sro" else "16", "NASRO")
    if placed <= today - 365 * DAY:
        drill = today - (330 if n in DUE_SOON else rng.randint(30, 300)) * DAY
        _record(officer, "rapid_deployment", drill, "8", "Harmon County Sheriff's Office")
        june = datetime.date(today.year if today.month > 6 else today.year - 1, 6, 16)
        _record(officer, "annual_conference", june, "20", "Ohio School Resource Officers "
                "Association", "Annual conference, Columbus")


def _district_admins() -> None:
    """The management course for Lakeview's district administrator (NASRO, R-G2)."""
    for grant in RoleGrant.objects.filter(role=Role.DISTRICT_ADMIN).select_related(
            "user", "district"):
        services.create_admin_record(None, {
            "person": grant.user, "district": grant.district,
            "course": Course.objects.get(code="sro_management"),
            "completed_on": datetime.date(2018, 6, 20), "hours": Decimal("24"),
            "provider": "NASRO"})


SESSIONS: list[tuple[str, int, str, list[str], int, bool]] = [
    # school NCES suffix, days ago, title, topics, attendees, joint with the SRO
    ("399990100001", 80, "Our SRO program: roles and when to involve the SRO",
     ["sro_roles", "when_to_involve", "discipline_vs_safety"], 64, True),
    ("399990100002", 120, "Working with the SRO: discipline is the school's job",
     ["when_to_involve", "discipline_vs_safety", "data_collection"], 51, True),
    ("399990100004", 200, "Civil rights, FERPA and the MOU",
     ["civil_rights", "mou_ferpa", "justice_consequences"], 38, False),
    ("399990200001", 60, "Emergency management and CPTED walk-through",
     ["emergency_management", "cpted", "sro_roles"], 45, True),
    ("399990200003", 150, "The SRO program for new staff",
     ["sro_roles", "when_to_involve", "community_policing"], 22, False),
]


def _staff_sessions(ctx: DemoContext, today: datetime.date) -> None:
    for nces, ago, title, topics, attendees, joint in SESSIONS:
        school = School.objects.get(nces_id=nces)
        data: dict[str, Any] = {
            "school": school, "held_on": today - ago * DAY, "title": title, "topics": topics,
            "attendees": attendees, "hours": Decimal(ctx.rng.choice(["1.0", "1.5", "2.0"])),
            "presenter": "School principal and the school's SRO" if joint
            else "District office of student services",
            "joint_with_sro": joint}
        services.create_staff_session(None, data)
