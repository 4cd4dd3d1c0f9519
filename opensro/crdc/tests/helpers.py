"""Test helpers: record incidents through the incident services, and count the CRDC cells
independently from the raw rows.

:func:`independent_counts` deliberately shares no code with ``opensro.crdc``: it reads
the raw ``Incident`` and ``Involvement`` rows (the incident's status, source, school and
year; the student's role and actions, not the derived CRDC flags) and applies the
definitions of docs/incidents.md and docs/crdc.md, building each column name by hand.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from conftest import World
from opensro.core.context import request_context
from opensro.incidents.models import Incident, IncidentReason, Involvement
from opensro.incidents.services import save_incident

NY = ZoneInfo("America/New_York")
RACES = ("HI", "AM", "AS", "HP", "BL", "WH", "TR")


def student(race: str = "WH", sex: str = "M", actions: tuple[str, ...] = ("counselled",),
            *, student_id: str = "", role: str = "subject", idea: bool = False,
            s504: bool = False, el: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"race": race, "sex": sex, "role": role, "age": 15, "idea": idea,
                            "section_504": s504, "english_learner": el,
                            "student_id": student_id, **dict.fromkeys(actions, True)}
    if {"arrest", "detention", "restraint", "use_of_force"} & set(actions):
        data.update(basis=["probable_cause"], basis_details="Seen striking a student.",
                    why_at_school="Ongoing risk.", probable_cause="Witnessed by the officer.",
                    removed_from_public_view="yes", arrest_charge="Assault",
                    accommodations="Plan followed." if (idea or s504) else "")
    return data


def log(world: World, school: str, students: list[dict[str, Any]], *,
        when: datetime.datetime | None = None, source: str = "self",
        draft: bool = False) -> Incident:
    """Record one incident at ``school`` (``school_a1``, ``school_a2``, ``school_b1``) by
    the officer posted there."""
    officer = {"school_a1": "officer_a", "school_a2": "peer_a", "school_b1": "officer_b",
               "school_b2": "peer_b"}[school]
    when = when or datetime.datetime(2025, 10, 14, 10, 0, tzinfo=NY)
    with request_context():
        return save_incident(None, {
            "school": world.objects[school], "officer": world.objects[officer],
            "occurred_at": when, "recorded_at": when, "location": "hallway",
            "involvement_source": source,
            "requester_role": "teacher" if source == "staff" else "",
            "reason": IncidentReason.objects.get(code="assault"), "would_call_911": "yes",
            "deescalation": "tried"}, students, submit=not draft)


def generate(world: World, seed: int = 5, n: int = 90) -> None:
    """``n`` random incidents in both counties: repeated students (a pool of IDs per
    school), records without an ID, drafts, victims and witnesses, every source, changing
    attributes, a few students recorded with sex X."""
    rng = random.Random(seed)
    start = datetime.datetime(2025, 8, 20, 9, 0, tzinfo=NY)
    for k in range(n):
        school = rng.choice(["school_a1", "school_a1", "school_a2", "school_b1"])
        when = start + datetime.timedelta(days=rng.randint(0, 270), minutes=k)
        students = []
        for j in range(1 if rng.random() < 0.7 else rng.randint(2, 3)):
            roll = rng.random()
            actions: tuple[str, ...]
            if roll < 0.2:
                actions = ("arrest", "detention")
            elif roll < 0.4:
                actions = ("citation",)
            elif roll < 0.5:
                actions = ("court_referral", "warning")
            else:
                actions = ("counselled",)
            idea = rng.random() < 0.25
            sid = "" if rng.random() < 0.15 else f"{school[-2:]}-{rng.randint(1, 12)}"
            students.append(student(
                rng.choice(RACES), rng.choice("MFMFX" if k % 9 == 0 else "MF"), actions,
                student_id=sid, idea=idea,
                s504=not idea and rng.random() < 0.15, el=rng.random() < 0.2,
                role="subject" if j == 0 else rng.choice(["subject", "victim", "witness"])))
        log(world, school, students, when=when,
            source=rng.choice(["self", "staff", "dispatch", "tip"]),
            draft=rng.random() < 0.12)


def independent_counts(district_id: int, year_id: int, sex_codes: list[str]
                       ) -> dict[str, dict[str, int]]:
    """{school NCES ID: {CRDC column: count}} from the raw rows, nonzero cells only."""
    per_student: dict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)
    rows = Involvement.objects.filter(
        incident__school__district_id=district_id, incident__school_year_id=year_id,
    ).select_related("incident", "incident__school")
    for inv in rows:
        incident = inv.incident
        if incident.status == "draft" or inv.role != "subject":
            continue
        arrested = inv.arrest
        referred = (arrested or inv.citation or inv.court_referral
                    or incident.involvement_source == "staff")
        if not referred:
            continue
        who = inv.student_pseudonym or f"record-{inv.pk}"
        per_student[(incident.school.nces_id, who)].append(
            (incident.occurred_at, incident.pk, inv.pk, inv.race, inv.sex, inv.idea,
             inv.section_504, inv.english_learner, arrested))
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (nces_id, _who), records in per_student.items():
        records.sort()
        _t, _i, _p, race, sex, idea, s504, el, _a = records[-1]
        items = ["REF"] + (["ARR"] if any(r[-1] for r in records) else [])
        cells = out[nces_id]
        for item in items:
            if sex in sex_codes:
                if idea:
                    cells[f"SCH_DISCWDIS_{item}_IDEA_{race}_{sex}"] += 1
                    cells[f"TOT_DISCWDIS_{item}_IDEA_{sex}"] += 1
                    if el:
                        cells[f"SCH_DISCWDIS_{item}_LEP_{sex}"] += 1
                else:
                    cells[f"SCH_DISCWODIS_{item}_{race}_{sex}"] += 1
                    cells[f"TOT_DISCWODIS_{item}_{sex}"] += 1
                    if el:
                        cells[f"SCH_DISCWODIS_{item}_LEP_{sex}"] += 1
                    if s504:
                        cells[f"SCH_DISCWDIS_{item}_504_{sex}"] += 1
        for r in records:
            r_idea, r_504, r_arrested = r[5], r[6], r[8]
            for item in ["REF"] + (["ARR"] if r_arrested else []):
                cells[f"SCH_{item}INSTANCES_{'IDEA' if r_idea else 'WODIS'}"] += 1
                if r_504 and not r_idea:
                    cells[f"SCH_{item}INSTANCES_504"] += 1
    return {k: dict(v) for k, v in out.items()}
