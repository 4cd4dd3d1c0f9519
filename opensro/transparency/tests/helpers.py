"""Test data for the transparency tests: SRO records in the two-county world, written
through the incident and activity services, with small and large counts mixed."""

from __future__ import annotations

import datetime
import random
from typing import Any
from zoneinfo import ZoneInfo

from conftest import World
from opensro.core.context import request_context
from opensro.directory.services import set_enrollment
from opensro.incidents.models import IncidentReason
from opensro.incidents.services import bulk_create_activities, save_incident

NY = ZoneInfo("America/New_York")
#: Race shares of the generated students: White and Black common, others rare.
RACES = (("WH", 50), ("BL", 30), ("HI", 14), ("AS", 4), ("TR", 2))


def add_records(world: World, per_school: int, seed: int = 7,
                start: datetime.datetime | None = None) -> None:
    """``per_school`` incidents (one student each) at each of the four schools, plus a
    few prevention activities: some cells come out large, many small."""
    rng = random.Random(seed)
    safety = IncidentReason.objects.get(code="assault")
    conduct = IncidentReason.objects.get(code="disruption")
    races = [r for r, w in RACES for _ in range(w)]
    start = start or datetime.datetime(2025, 9, 2, 9, 0, tzinfo=NY)
    sites = [(world.school_a1, world.officer_a), (world.school_a2, world.peer_a),
             (world.school_b1, world.officer_b), (world.school_b2, world.peer_b)]
    with request_context():
        if not world.objects.get("enrolled"):
            # Enrollment bases, so that rates per 1,000 and ratios can be published.
            for school, _officer in sites:
                for group, n in (("WH", 300), ("BL", 180), ("HI", 90), ("AS", 25),
                                 ("TR", 12)):
                    for sex in "MF":
                        set_enrollment(None, school, world.year, group, sex, n)
            world.objects["enrolled"] = True
        for s, (school, officer) in enumerate(sites):
            size = per_school if s % 2 == 0 else max(per_school // 3, 1)
            for n in range(size):
                when = start + datetime.timedelta(days=n % 150, minutes=s * 7 + n)
                discipline = rng.random() < 0.08
                student: dict[str, Any] = {
                    "race": rng.choice(races), "sex": rng.choice("MF"), "role": "subject",
                    "counselled": True, "idea": rng.random() < 0.15,
                    "english_learner": rng.random() < 0.1, "age": rng.randint(11, 18),
                    "student_id": f"S{seed}{s}{n:04d}",
                }
                if discipline or rng.random() < 0.3:
                    student["citation"] = True
                    student["offense"] = "Disorderly conduct"
                    student["offense_severity"] = "misdemeanor"
                if rng.random() < 0.15:
                    student["search"] = True
                    student["search_basis"] = "reasonable_suspicion"
                staff = rng.random() < 0.4
                save_incident(None, {
                    "school": school, "officer": officer, "occurred_at": when,
                    "recorded_at": when, "location": "hallway",
                    "involvement_source": "staff" if staff else "self",
                    "requester_role": "teacher" if staff else "",
                    "reason": conduct if discipline else safety,
                    "would_call_911": "no" if discipline else "yes",
                    "deescalation": "tried"}, [student], submit=True)
        rows = []
        for s, (school, officer) in enumerate(sites):
            for n in range(3 + 4 * (s % 2 == 0)):
                rows.append({"officer": officer, "school": school,
                             "date": (start + datetime.timedelta(days=n)).date(),
                             "kind": "class" if n % 3 else "mentoring",
                             "topic": "Internet safety", "participants": 20})
        bulk_create_activities(None, rows)


def identifiers(world: World) -> list[str]:
    """Strings that must never appear on a public page or in a public file."""
    from opensro.directory.models import Officer
    from opensro.incidents.models import Incident, Involvement

    out = []
    for officer in Officer.objects.all():
        out += [officer.last_name, officer.badge_number]
    out += [i.number for i in Incident.objects.all()]
    out += list(Involvement.objects.exclude(student_pseudonym="").values_list(
        "student_pseudonym", flat=True))
    return [s for s in out if s]
