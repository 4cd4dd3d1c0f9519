"""Demo incident records: two school years (2024-25, 2025-26) and this autumn's
records, about 40,000 student involvements, written through the bulk importer so the
demo exercises the same rules and audit trail as a real import.

Planted for the analytics to find: in Lakeview City Schools, Black students are
contacted more often and, once contacted, cited and arrested at about 2.5 times the
rate of White students; students with IDEA plans are restrained more often.
Also present: discipline-involvement cases (code-of-conduct matters ending in SRO
enforcement) and drafts missing their documented basis.
"""

from __future__ import annotations

import csv
import datetime
import io
import random
from typing import Any

from opensro.core.choices import RACE_CODES
from opensro.demo import DemoContext
from opensro.directory.models import Assignment, Enrollment, School, SchoolYear
from opensro.incidents import choices as c
from opensro.incidents.imports import COLUMNS, import_incidents
from opensro.incidents.models import IncidentReason
from opensro.incidents.services import bulk_create_activities
from opensro.incidents.taxonomy import seed_reasons

TARGET_INVOLVEMENTS = 40_000
PLANTED_DISTRICT = "3999901"
LEVEL_WEIGHT = {"high": 1.6, "middle": 1.2, "elementary": 0.35, "other": 1.4}


def build(ctx: DemoContext) -> None:
    rng = ctx.rng
    rows = list(_rows(rng))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    report = import_incidents(buffer.getvalue().encode(), None, all_or_nothing=True)
    if report.errors:
        raise RuntimeError("demo incidents failed validation: "
                           + "; ".join(str(e) for e in report.errors[:5]))
    ctx.data["involvements"] = len(rows)
    _activities(ctx)


def _shares(school: School, year: SchoolYear) -> dict[str, Any]:
    cells = Enrollment.objects.filter(school=school, school_year=year)
    by = {(e.group, e.sex): e.count for e in cells}
    total = sum(v for (g, _s), v in by.items() if g in RACE_CODES) or 1
    return {
        "total": total,
        "race": {r: sum(by.get((r, s), 0) for s in ("M", "F")) / total for r in RACE_CODES},
        "idea": sum(by.get(("IDEA", s), 0) for s in ("M", "F")) / total,
        "504": sum(by.get(("504", s), 0) for s in ("M", "F")) / total,
        "el": sum(by.get(("EL", s), 0) for s in ("M", "F")) / total,
    }


def _coverage() -> list[tuple[Assignment, datetime.date, datetime.date, SchoolYear]]:
    """(assignment, first day, last day, year) for every assignment day in a school year
    up to today."""
    today = datetime.date(2026, 11, 20)
    out = []
    for year in SchoolYear.objects.order_by("start_date"):
        for a in Assignment.objects.select_related("officer__agency", "school__district"):
            start = max(a.start_date, year.start_date)
            end = min(a.end_date or year.end_date, year.end_date, today)
            if start <= end:
                out.append((a, start, end, year))
    return out


def _rows(rng: random.Random) -> Any:
    seed_reasons(IncidentReason)
    reasons = list(IncidentReason.objects.all())
    conduct = [r for r in reasons if r.kind == "conduct"]
    safety = [r for r in reasons if r.kind == "safety"]
    coverage = _coverage()
    weights = []
    shares = {}
    for a, start, end, year in coverage:
        key = (a.school_id, year.pk)
        if key not in shares:
            shares[key] = _shares(a.school, year)
        days = (end - start).days + 1
        w = shares[key]["total"] ** 0.6 * days * LEVEL_WEIGHT[a.school.level] * (
            1.0 if a.primary else 0.35)
        weights.append(w)
    scale = TARGET_INVOLVEMENTS / 1.15 / sum(weights)
    serial = 0
    for (a, start, end, year), w in zip(coverage, weights, strict=True):
        n_incidents = int(w * scale)
        info = shares[(a.school_id, year.pk)]
        planted = a.school.district.nces_id == PLANTED_DISTRICT
        days = (end - start).days
        ori, badge = a.officer.agency.ori, a.officer.badge_number
        current_year = year.code == "2026-27"
        for _ in range(n_incidents):
            serial += 1
            day = start + datetime.timedelta(days=rng.randint(0, days))
            if day.weekday() >= 5:
                day -= datetime.timedelta(days=day.weekday() - 4)
                day = max(day, start)
            when = datetime.datetime.combine(
                day, datetime.time(rng.randint(7, 15), rng.choice((0, 10, 20, 30, 40, 50))))
            is_safety = rng.random() < 0.62
            reason = rng.choice(safety if is_safety else conduct)
            call_911 = "yes" if (is_safety and rng.random() < 0.6) else "no"
            source = rng.choices(["self", "staff", "dispatch", "student_parent", "tip"],
                                 [30, 45, 8, 12, 5])[0]
            n_students = 1 if rng.random() < 0.87 else rng.randint(2, 3)
            draft = current_year and rng.random() < 0.04
            incident = {
                "source_system": "demo-rms", "incident_id": f"D{serial:06d}",
                "school_nces_id": a.school.nces_id, "agency_ori": ori, "officer_badge": badge,
                "occurred_at": when.isoformat(timespec="minutes"),
                "recorded_at": (when + datetime.timedelta(hours=rng.choice((1, 2, 3, 5))))
                .isoformat(timespec="minutes"),
                "location": rng.choices([loc.value for loc in c.Location],
                                        [22, 25, 14, 8, 6, 5, 12, 5, 2, 1])[0],
                "involvement_source": source,
                "requester_role": rng.choice(["administrator", "teacher", "counselor",
                                              "security"]) if source == "staff" else "",
                "reason": reason.code, "would_call_911": call_911,
                "deescalation": "tried", "narrative": "",
                "status": "draft" if draft else "submitted",
            }
            for k in range(n_students):
                student = _student(rng, info, planted, reason.kind, call_911, k, draft)
                pool = int(info["total"] * 0.6)
                student["student_id"] = f"{a.school.nces_id[-5:]}-{rng.randint(1, pool)}"
                yield {**incident, **student}


def _student(rng: random.Random, info: dict[str, Any], planted: bool, kind: str,
             call_911: str, k: int, draft: bool) -> dict[str, Any]:
    race_w = dict(info["race"])
    if planted:
        race_w["BL"] *= 1.5  # planted: more contacts for Black students
    race = rng.choices(list(race_w), list(race_w.values()))[0]
    idea = rng.random() < info["idea"] * 1.5
    s504 = not idea and rng.random() < info["504"]
    el = rng.random() < info["el"]
    role = "subject" if k == 0 else rng.choice(["subject", "victim", "witness"])
    age = rng.randint(11, 18)
    grade = f"{min(max(age - 5, 1), 12):02d}"
    row: dict[str, Any] = {
        "age": age, "grade": grade, "race": race, "sex": rng.choice("MF"),
        "idea": "yes" if idea else "no", "section_504": "yes" if s504 else "no",
        "english_learner": "yes" if el else "no", "role": role,
    }
    if role != "subject":
        row["actions"] = rng.choice(["counselled", "referral_counselor", "counselled"])
        return row
    enforce = 1.0
    if planted and race == "BL":
        enforce = 2.5  # planted: citation and arrest more likely once contacted
    p = {
        "warning": 0.15, "referral_admin": 0.22, "referral_counselor": 0.10,
        "diversion": 0.04, "questioning": 0.08,
        "citation": (0.07 if kind == "safety" else 0.012) * enforce,
        "search": 0.05 if kind == "safety" else 0.008,
        "arrest": (0.045 if kind == "safety" else 0.004) * enforce,
        "restraint": 0.012 * (2.2 if idea else 1.0),
    }
    actions = [a for a, prob in p.items() if rng.random() < prob]
    if "arrest" in actions:
        actions += ["detention", "transport"] + (["court_referral"] if rng.random() < 0.7
                                                 else [])
        if rng.random() < 0.12:
            actions.append("use_of_force")
    if "search" in actions and rng.random() < 0.4:
        actions.append("seizure")
    if not actions:
        actions = ["counselled"]
    row["actions"] = ";".join(sorted(set(actions)))
    if "citation" in actions or "arrest" in actions:
        row["offense"] = "Disorderly conduct" if kind == "conduct" else rng.choice(
            ["Assault", "Possession of a controlled substance", "Weapon on school property",
             "Aggravated menacing", "Theft"])
        row["offense_severity"] = "misdemeanor" if rng.random() < 0.8 else "felony"
    if "search" in actions:
        row["search_basis"] = rng.choice(["reasonable_suspicion", "consent", "probable_cause"])
        row["search_found"] = rng.choice(["nothing", "nothing", "drugs", "weapon", "other"])
    if "restraint" in actions:
        row["restraint_type"] = rng.choice(["handcuffs", "physical_hold"])
        row["restraint_minutes"] = rng.randint(2, 25)
    if "use_of_force" in actions:
        row["force_type"] = "physical"
    if "arrest" in actions:
        row["arrest_charge"] = row.get("offense", "Assault")
    custodial = {"detention", "arrest", "restraint", "use_of_force"} & set(actions)
    if custodial and not (draft and rng.random() < 0.8):
        row["basis"] = "probable_cause" if "arrest" in actions else "imminent_threat"
        row["basis_details"] = "Student was observed striking another student and continued "\
            "after a verbal warning."
        row["why_at_school"] = "Ongoing risk to other students in the building."
        row["probable_cause"] = "Witnessed by the officer; victim statement; video." \
            if "arrest" in actions else ""
        row["removed_from_public_view"] = "yes"
        if idea or s504:
            row["accommodations"] = "Case manager present; plan's calming routine offered."
    return row


def _activities(ctx: DemoContext) -> None:
    rng = ctx.rng
    kinds = [k.value for k in c.ActivityKind]
    rows = []
    for a, start, end, _year in _coverage():
        if not a.primary:
            continue
        day = start
        while day <= end:
            if day.weekday() < 5 and rng.random() < 0.45:
                kind = rng.choices(kinds, [30, 25, 10, 20, 3, 10, 2])[0]
                rows.append({
                    "officer": a.officer, "school": a.school, "date": day, "kind": kind,
                    "topic": {"class": "Internet safety", "mentoring": "Weekly mentoring",
                              "family_outreach": "Parent night",
                              "extracurricular": "Football game",
                              "cpted": "Entrances and sight lines",
                              "safety_presentation": "Reunification drill briefing",
                              }.get(kind, "Community meeting"),
                    "minutes": rng.choice((30, 45, 60, 90)),
                    "participants": rng.randint(3, 120) if kind != "mentoring"
                    else rng.randint(1, 4),
                    "audience": "Students" if kind != "family_outreach" else "Families",
                })
            day += datetime.timedelta(days=1)
    bulk_create_activities(None, rows)
    ctx.data["activities"] = len(rows)
