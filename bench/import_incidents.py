"""Benchmark: bulk import of incident records against a raw insert of the same rows.

    python bench/import_incidents.py [--rows 1000000]

Phases run in separate processes on one scratch database (SQLite under bench/out/, or
PostgreSQL when OPENSRO_DATABASE_URL is set):

1. setup: migrate and create a directory (one district, one agency, 40 schools,
   40 officers, three school years);
2. generate: write a deterministic CSV of ``--rows`` student rows (about 1.15 rows
   per incident) in the interchange format;
3. raw: read the CSV with the csv module and insert the same incidents and
   involvements, with the values the import stores (the student pseudonym included),
   with ``executemany`` on SQLite or ``COPY`` on PostgreSQL (no checks, no audit) —
   the baseline;
4. import: ``opensro.incidents.imports.import_incidents`` on the same file (every
   rule checked, pseudonyms keyed, audit chain written), streaming, its reading side
   in a second process (decision 0008).

It prints rows per second for both, their ratio, and the import's peak memory: the
writing process's peak plus the reading process's (target: under 300 MB at two
million rows).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import peak_rss_mb, pss_peak, run_phase, scratch_dir, setup_django

SCHOOLS = 40
LEA = "3999971"
ORI = "OH0999700"


def phase_setup() -> None:
    setup_django()
    from opensro.core.context import request_context
    from opensro.directory import services as ds

    with request_context():
        for code, start, end in (("2024-25", (2024, 8, 19), (2025, 6, 13)),
                                 ("2025-26", (2025, 8, 18), (2026, 6, 12))):
            ds.create_school_year(None, {"code": code, "start_date": datetime.date(*start),
                                         "end_date": datetime.date(*end)})
        district = ds.create_district(None, {"name": "Bench District", "nces_id": LEA,
                                             "state": "OH"})
        agency = ds.create_agency(None, {"name": "Bench Police", "kind": "police_department",
                                         "ori": ORI, "state": "OH",
                                         "districts_served": [district]})
        for n in range(1, SCHOOLS + 1):
            ds.create_school(None, {"district": district, "name": f"School {n}",
                                    "nces_id": f"{LEA}{n:05d}", "level": "high",
                                    "lowest_grade": "09", "highest_grade": "12"})
            ds.create_officer(None, {"agency": agency, "first_name": "Officer",
                                     "last_name": str(n), "badge_number": f"B{n}",
                                     "date_sworn": datetime.date(2015, 1, 1)})


def phase_generate(path: str, rows: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opensro.settings")
    import django

    django.setup()
    from opensro.incidents.imports import COLUMNS

    rng = random.Random(7)
    terms = [(datetime.datetime(2024, 8, 20, 8, 0), datetime.datetime(2025, 6, 12, 8, 0)),
             (datetime.datetime(2025, 8, 19, 8, 0), datetime.datetime(2026, 6, 11, 8, 0))]
    conduct = ["defiance", "disruption", "profanity", "vaping"]
    safety = ["assault", "drugs", "threat_violence", "trespass", "weapon"]
    races = ["WH", "BL", "HI", "AS", "TR", "AM", "HP"]
    weights = [45, 25, 20, 5, 4, 0.6, 0.4]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        written = incident = 0
        while written < rows:
            incident += 1
            school = rng.randint(1, SCHOOLS)
            first, last = rng.choice(terms)
            when = first + datetime.timedelta(days=rng.randint(0, (last - first).days),
                                              minutes=rng.randint(0, 480))
            is_safety = rng.random() < 0.6
            source = rng.choice(["self", "staff", "dispatch", "student_parent"])
            base = {
                "source_system": "bench", "incident_id": f"I{incident}",
                "school_nces_id": f"{LEA}{school:05d}", "agency_ori": ORI,
                "officer_badge": f"B{school}", "occurred_at": when.isoformat(timespec="minutes"),
                "recorded_at": (when + datetime.timedelta(hours=2)).isoformat(timespec="minutes"),
                "location": "hallway", "involvement_source": source,
                "requester_role": "teacher" if source == "staff" else "",
                "reason": rng.choice(safety if is_safety else conduct),
                "would_call_911": "yes" if is_safety else "no", "deescalation": "tried",
                "status": "submitted",
            }
            for k in range(1 if rng.random() < 0.87 else 2):
                if written >= rows:
                    break
                arrest = rng.random() < 0.03
                row = {**base, "student_id": str(rng.randint(1, 60000)), "age": "15",
                       "grade": "10", "race": rng.choices(races, weights)[0],
                       "sex": rng.choice("MF"), "idea": "no", "section_504": "no",
                       "english_learner": "no", "role": "subject" if k == 0 else "witness",
                       "actions": "arrest;detention" if arrest else "counselled"}
                if arrest:
                    row.update({"offense": "Assault", "offense_severity": "misdemeanor",
                                "arrest_charge": "Assault", "basis": "probable_cause",
                                "basis_details": "Observed.", "why_at_school": "Ongoing risk.",
                                "probable_cause": "Witnessed.",
                                "removed_from_public_view": "yes"})
                writer.writerow([row.get(col, "") for col in COLUMNS])
                written += 1


def write(cursor: Any, insert_sql: str, rows: list[tuple[Any, ...]]) -> None:
    """The fastest plain insert each database offers: ``executemany`` of one INSERT on
    SQLite, ``COPY … FROM STDIN`` on PostgreSQL (the same way the import writes)."""
    if not rows:
        return
    if cursor.db.vendor == "postgresql":
        head = insert_sql.split(" VALUES ")[0].replace("INSERT INTO", "COPY", 1)
        with cursor.cursor.copy(head + " FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        cursor.executemany(insert_sql, rows)


def phase_raw(path: str) -> None:
    """Insert the same rows with a plain bulk insert: incidents then involvements."""
    setup_django()
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.db import connection, transaction

    from opensro.directory.models import Officer, School, SchoolYear
    from opensro.incidents.models import IncidentReason
    from opensro.incidents.pseudonym import pseudonymize

    zone = ZoneInfo(settings.TIME_ZONE)
    schools = {s.nces_id: s for s in School.objects.select_related("district")}
    officers = {o.badge_number: o.pk for o in Officer.objects.all()}
    reasons = {r.code: r.pk for r in IncidentReason.objects.all()}
    years = list(SchoolYear.objects.all())
    now = datetime.datetime.now(datetime.UTC)
    started = time.perf_counter()
    inc_sql = (
        "INSERT INTO incidents_incident (id, created_at, updated_at, school_id, school_year_id,"
        " officer_id, occurred_at, recorded_at, late_entry_reason, location,"
        " involvement_source, requester_role, reason_id, would_call_911, deescalation,"
        " deescalation_notes, narrative, status, source_system, source_record_id, source_hash,"
        " review_comment) VALUES (" + ", ".join(["%s"] * 22) + ")"
    )
    cols = ("id", "created_at", "updated_at", "incident_id", "school_id", "school_year_id",
            "officer_id", "final", "student_pseudonym", "age", "grade", "race", "sex", "idea",
            "section_504", "english_learner", "sexual_orientation", "gender_identity",
            "sogi_volunteered", "role", "offense", "offense_severity", "statute",
            "counselled", "warning", "referral_admin", "referral_counselor", "diversion",
            "citation", "search", "search_basis", "search_found", "seizure", "questioning",
            "rights_advised", "parent_notified", "restraint", "restraint_type",
            "use_of_force", "force_type", "detention", "arrest", "arrest_charge", "transport",
            "court_referral", "basis", "basis_details", "why_at_school", "probable_cause",
            "removed_from_public_view", "accommodations", "referral_to_law_enforcement",
            "school_related_arrest")
    inv_sql = ("INSERT INTO incidents_involvement (" + ", ".join(f'"{c}"' for c in cols)
               + ") VALUES (" + ", ".join(["%s"] * len(cols)) + ")")
    incidents, involvements = [], []
    inc_id = inv_id = 0
    last = None
    count = 0
    with transaction.atomic(), connection.cursor() as cursor, open(path, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            count += 1
            occurred = datetime.datetime.fromisoformat(row["occurred_at"]).replace(tzinfo=zone)
            school = schools[row["school_nces_id"]]
            year = next(y.pk for y in years if y.start_date <= occurred.date() <= y.end_date)
            if row["incident_id"] != last:
                last = row["incident_id"]
                inc_id += 1
                incidents.append((inc_id, now, now, school.pk, year, officers[row["officer_badge"]],
                                  occurred, occurred, "", row["location"],
                                  row["involvement_source"], row["requester_role"],
                                  reasons[row["reason"]], row["would_call_911"], "tried", "", "",
                                  "submitted", "bench", row["incident_id"], "", ""))
            inv_id += 1
            actions = set(row["actions"].split(";"))
            involvements.append((
                inv_id, now, now, inc_id, school.pk, year, officers[row["officer_badge"]], True,
                # The stored value, as the import stores it: the keyed pseudonym.
                pseudonymize(school.district.nces_id, row["student_id"]), 15, "10",
                row["race"], row["sex"], False, False, False, "", "",
                False, row["role"], row["offense"], row["offense_severity"] or "none", "",
                "counselled" in actions, False, False, False, False, False, False, "", "",
                False, False, "", "", False, "", False, "", "detention" in actions,
                "arrest" in actions, row["arrest_charge"], False, False,
                json.dumps(row["basis"].split(";") if row["basis"] else []),
                row["basis_details"], row["why_at_school"], row["probable_cause"],
                row["removed_from_public_view"], "", "arrest" in actions, "arrest" in actions))
            if len(involvements) >= 5000:
                write(cursor, inc_sql, incidents)
                write(cursor, inv_sql, involvements)
                incidents, involvements = [], []
        write(cursor, inc_sql, incidents)
        write(cursor, inv_sql, involvements)
    elapsed = time.perf_counter() - started
    print(json.dumps({"rows": count, "seconds": elapsed, "peak_mb": peak_rss_mb()}))
    # Leave the tables as the import will find them: empty. On PostgreSQL a DELETE
    # would leave every deleted row and index entry behind until a vacuum, and the
    # import would pay for checking them (the same source keys are inserted again).
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE incidents_involvement, incidents_incident CASCADE")
        else:
            cursor.execute("DELETE FROM incidents_involvement")
            cursor.execute("DELETE FROM incidents_incident")


def phase_import(path: str) -> None:
    setup_django()
    from opensro.core.context import request_context
    from opensro.incidents.imports import import_incidents

    memory: dict[str, float] = {}
    started = time.perf_counter()
    with open(path, "rb") as handle, request_context(), pss_peak(memory):
        report = import_incidents(handle, None)
    elapsed = time.perf_counter() - started
    # The reading side runs in a forked child (decision 0008): count its peak too.
    # Pages the two share are counted in both, so the sum is an upper bound.
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"rows": report.rows_in, "accepted": report.accepted,
                      "rejected": report.rejected, "created": report.created,
                      "seconds": elapsed, "peak_mb": peak_rss_mb() + child_mb,
                      "parent_mb": peak_rss_mb(), "child_mb": child_mb,
                      "pss_mb": memory["pss_mb"],
                      "first_errors": [str(e) for e in report.errors[:3]]}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--phase", choices=["setup", "generate", "raw", "import"])
    parser.add_argument("--file")
    parser.add_argument("--pg-name", default="opensro_bench",
                        help="PostgreSQL scratch database to drop and recreate "
                             "(with OPENSRO_DATABASE_URL)")
    args = parser.parse_args()
    if args.phase == "setup":
        return phase_setup()
    if args.phase == "generate":
        return phase_generate(args.file, args.rows)
    if args.phase == "raw":
        return phase_raw(args.file)
    if args.phase == "import":
        return phase_import(args.file)

    work = scratch_dir()
    env = {"OPENSRO_VAR_DIR": work}
    database = os.environ.get("OPENSRO_DATABASE_URL", "")
    if database:
        env["OPENSRO_DATABASE_URL"] = _fresh_postgres(database, args.pg_name)
    csv_path = str(Path(work) / "incidents.csv")
    print(f"OpenSRO import benchmark: {args.rows:,} rows on "
          f"{'PostgreSQL' if database else 'SQLite'} ({work})")
    t = time.perf_counter()
    run_phase("import_incidents.py", "--phase", "setup", env=env)
    run_phase("import_incidents.py", "--phase", "generate", "--file", csv_path,
              "--rows", str(args.rows), env=env)
    print(f"  setup and CSV generation: {time.perf_counter() - t:.1f} s "
          f"({Path(csv_path).stat().st_size / 1e6:.0f} MB file)")
    raw = json.loads(run_phase("import_incidents.py", "--phase", "raw", "--file", csv_path,
                               env=env).strip().splitlines()[-1])
    imp = json.loads(run_phase("import_incidents.py", "--phase", "import", "--file", csv_path,
                               env=env).strip().splitlines()[-1])
    raw_rate = raw["rows"] / raw["seconds"]
    imp_rate = imp["rows"] / imp["seconds"]
    print(f"  raw insert (baseline): {raw['rows']:,} rows in {raw['seconds']:.1f} s = "
          f"{raw_rate:,.0f} rows/s, peak {raw['peak_mb']:.0f} MB")
    print(f"  opensro import:        {imp['rows']:,} rows in {imp['seconds']:.1f} s = "
          f"{imp_rate:,.0f} rows/s ({imp['created']:,} incidents, "
          f"{imp['rejected']} rejected)")
    print(f"  import peak memory: {imp['pss_mb']:.0f} MB proportional set size of both "
          f"processes; peak resident {imp['parent_mb']:.0f} MB writing + "
          f"{imp['child_mb']:.0f} MB reading = {imp['peak_mb']:.0f} MB (shared pages "
          "counted twice)")
    print(f"  ratio import/raw: {imp_rate / raw_rate:.2f} (target >= 0.33); "
          f"peak memory at most {imp['peak_mb']:.0f} MB (target < 300 MB)")
    if imp["rejected"]:
        print("  first problems:", imp["first_errors"])


def _fresh_postgres(url: str, name: str) -> str:
    import psycopg

    base = url.rsplit("/", 1)[0]
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return f"{base}/{name}"


if __name__ == "__main__":
    main()
