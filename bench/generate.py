"""Generate a deterministic synthetic state for the benchmarks.

    python bench/generate.py [--involvements 2000000] [--schools 1000] [--officers 600]

About 1,000 schools in 20 districts served by 12 agencies, 600 SROs with
assignments, three school years of enrollment, and the requested number of student
involvements (about 1.15 per incident) with their incidents and activities. It
writes to the configured database (SQLite under OPENSRO_VAR_DIR, or PostgreSQL when
OPENSRO_DATABASE_URL is set) through ``opensro.core.bulk`` in chunks, so memory stays
flat; a progress bar shows the rows written.

Generated rows are benchmark data: they are written without audit events, so
``opensro audit verify`` reports them as changed behind the service layer. Never run
this against a real program's database.
"""

from __future__ import annotations

import argparse
import datetime
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import setup_django

RACES = ["WH", "BL", "HI", "AS", "TR", "AM", "HP"]
RACE_W = [0.46, 0.15, 0.28, 0.05, 0.045, 0.01, 0.005]
YEARS = [("2023-24", (2023, 8, 21), (2024, 6, 14)), ("2024-25", (2024, 8, 19), (2025, 6, 13)),
         ("2025-26", (2025, 8, 18), (2026, 6, 12))]


def generate(involvements: int, n_schools: int, n_officers: int, seed: int = 11) -> None:
    from tqdm import tqdm

    from opensro.core import bulk
    from opensro.directory.models import (
        Agency,
        Assignment,
        District,
        Enrollment,
        Officer,
        School,
        SchoolYear,
    )
    from opensro.incidents import rules
    from opensro.incidents.models import Activity, Incident, IncidentReason, Involvement

    rng = random.Random(seed)
    started = time.perf_counter()
    years = [SchoolYear.objects.create(code=c, start_date=datetime.date(*s),
                                       end_date=datetime.date(*e)) for c, s, e in YEARS]
    districts = [District.objects.create(name=f"District {d:02d}", nces_id=f"39{90000 + d:05d}",
                                         state="OH") for d in range(20)]
    agencies = []
    for a in range(12):
        agency = Agency.objects.create(name=f"Agency {a:02d}", kind="police_department",
                                       state="OH", ori=f"OH{9800000 + a:07d}")
        agency.districts_served.set([d for i, d in enumerate(districts) if i % 12 == a
                                     or (i + 5) % 12 == a])
        agencies.append(agency)
    schools = []
    for n in range(n_schools):
        d = districts[n % len(districts)]
        level = rng.choices(["elementary", "middle", "high"], [0.55, 0.2, 0.25])[0]
        schools.append(bulk.new(School, {
            "district": d, "name": f"School {n:04d}", "nces_id": f"{d.nces_id}{n:05d}",
            "level": level, "lowest_grade": {"elementary": "KG", "middle": "06",
                                             "high": "09"}[level],
            "highest_grade": {"elementary": "05", "middle": "08", "high": "12"}[level],
        }))
    for s, pk in zip(schools, bulk.reserve_ids(School, len(schools)), strict=True):
        s.pk = pk
    bulk.insert(School, schools)
    cells = []
    for s in schools:
        size = {"elementary": 450, "middle": 750, "high": 1500}[s.level] * rng.uniform(0.6, 1.4)
        for year in years:
            for sex in ("M", "F"):
                half = size / 2
                for race, w in zip(RACES, RACE_W, strict=True):
                    cells.append(bulk.new(Enrollment, {"school": s, "school_year": year,
                                                       "group": race, "sex": sex,
                                                       "count": int(half * w)}))
                for group, share in (("IDEA", 0.14), ("504", 0.03), ("EL", 0.1)):
                    cells.append(bulk.new(Enrollment, {"school": s, "school_year": year,
                                                       "group": group, "sex": sex,
                                                       "count": int(half * share)}))
    for c, pk in zip(cells, bulk.reserve_ids(Enrollment, len(cells)), strict=True):
        c.pk = pk
    bulk.insert(Enrollment, cells)
    served = {d.pk: [a for a in agencies if d in a.districts_served.all()] for d in districts}
    officers, assignments, coverage = [], [], []
    for n in range(n_officers):
        school = schools[(n * 7) % len(schools)]
        agency = served[school.district_id][0]
        officer = bulk.new(Officer, {"agency": agency, "first_name": "Officer",
                                     "last_name": f"{n:04d}", "badge_number": f"G{n}",
                                     "date_sworn": datetime.date(2012, 1, 1)})
        officers.append(officer)
        coverage.append((officer, school))
    for o, pk in zip(officers, bulk.reserve_ids(Officer, len(officers)), strict=True):
        o.pk = pk
    bulk.insert(Officer, officers)
    for officer, school in coverage:
        assignments.append(bulk.new(Assignment, {"officer": officer, "school": school,
                                                 "start_date": datetime.date(2023, 8, 1)}))
    for a, pk in zip(assignments, bulk.reserve_ids(Assignment, len(assignments)), strict=True):
        a.pk = pk
    bulk.insert(Assignment, assignments)
    reasons = list(IncidentReason.objects.all())
    bar = tqdm(total=involvements, unit="involvements", desc="generate")
    written = 0
    chunk = 20_000
    now = datetime.datetime.now(datetime.UTC)
    while written < involvements:
        incidents: list[Any] = []
        rows: list[tuple[Any, Any]] = []
        while len(rows) < chunk and written + len(rows) < involvements:
            officer, school = coverage[rng.randrange(len(coverage))]
            year = years[rng.randrange(len(years))]
            day = year.start_date + datetime.timedelta(days=rng.randint(0, 290))
            when = datetime.datetime.combine(day, datetime.time(rng.randint(12, 20)),
                                             tzinfo=datetime.UTC)
            reason = reasons[rng.randrange(len(reasons))]
            source = rng.choice(["self", "staff", "dispatch", "student_parent"])
            incident = bulk.new(Incident, {
                "school": school, "school_year": year, "officer": officer,
                "occurred_at": when, "recorded_at": when, "location": "hallway",
                "involvement_source": source,
                "requester_role": "teacher" if source == "staff" else "",
                "reason": reason, "would_call_911": "yes" if reason.kind == "safety" else "no",
                "deescalation": "tried", "status": "submitted", "submitted_at": when,
                "created_at": now, "updated_at": now,
            })
            incidents.append(incident)
            for k in range(1 if rng.random() < 0.87 else 2):
                race = rng.choices(RACES, RACE_W)[0]
                boost = 1.8 if race == "BL" else 1.0
                arrest = rng.random() < 0.03 * boost
                citation = rng.random() < 0.05 * boost
                inv = bulk.new(Involvement, {
                    "incident": incident, "school": school, "school_year": year,
                    "officer": officer, "final": True, "race": race,
                    "sex": rng.choice("MF"), "age": rng.randint(6, 18),
                    "idea": rng.random() < 0.15, "english_learner": rng.random() < 0.1,
                    "role": "subject" if k == 0 else "witness",
                    "counselled": not (arrest or citation), "citation": citation,
                    "arrest": arrest, "detention": arrest,
                    "search": rng.random() < 0.04, "restraint": rng.random() < 0.01,
                    "use_of_force": rng.random() < 0.005, "court_referral": arrest,
                    "offense_severity": "misdemeanor" if arrest or citation else "none",
                    "basis": ["probable_cause"] if arrest else [],
                    "created_at": now, "updated_at": now,
                })
                rows.append((incident, inv))
        for inc, pk in zip(incidents, bulk.reserve_ids(Incident, len(incidents)), strict=True):
            inc.pk = pk
        bulk.insert(Incident, incidents)
        invs = []
        for incident, inv in rows:
            inv.incident_id = incident.pk
            inv.referral_to_law_enforcement, inv.school_related_arrest = rules.crdc_flags(
                incident, inv)
            invs.append(inv)
        for inv, pk in zip(invs, bulk.reserve_ids(Involvement, len(invs)), strict=True):
            inv.pk = pk
        bulk.insert(Involvement, invs)
        written += len(invs)
        bar.update(len(invs))
    bar.close()
    acts = [bulk.new(Activity, {"officer": o, "school": s, "school_year": years[-1],
                                "date": years[-1].start_date + datetime.timedelta(days=i),
                                "kind": "class", "participants": 25})
            for o, s in coverage for i in range(0, 150, 5)]
    for a, pk in zip(acts, bulk.reserve_ids(Activity, len(acts)), strict=True):
        a.pk = pk
    bulk.insert(Activity, acts)
    # As a bulk import does: give the query planner statistics for the new rows.
    bulk.refresh_statistics(Incident, Involvement, Activity, Enrollment)
    print(f"generated {written:,} involvements, {len(schools):,} schools, "
          f"{len(officers):,} officers in {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--involvements", type=int, default=2_000_000)
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--officers", type=int, default=600)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    setup_django()
    from django.db import transaction

    from opensro.directory.models import District

    if District.objects.exists():
        raise SystemExit("The database is not empty; point OPENSRO_VAR_DIR or "
                         "OPENSRO_DATABASE_URL at a fresh one.")
    with transaction.atomic():
        generate(args.involvements, args.schools, args.officers, args.seed)


if __name__ == "__main__":
    main()
