"""Benchmark: a supervisor's incident list page and list API against raw SQL for the
same page.

    python bench/incident_list.py                      # the configured database
    python bench/incident_list.py --generate 700000    # first fill a fresh scratch one

A supervisor sees the incidents of their agency. The benchmark grants a supervisor
role (user ``bench-supervisor``) over the agency whose number of incidents is nearest
to ``--visible`` (default 50,000), then fetches, through the whole Django stack
(middleware, session, permission filter, template or JSON schema), each page a
supervisor uses:

- the list page: first page, a deep page (the middle of the list), the last page, and
  filtered (status and a month of dates; one school; students arrested; open flags);
- the review queue (first page);
- the list API: first page, a deep page, and filtered (a month, arrests).

Baseline, measured in the same run: hand-written SQL for the same page (same scope,
filters and order): the count of rows, the page's ids (``LIMIT``/``OFFSET``), and the
columns the list shows for them, with nothing around it. Before measuring, the
database's planner statistics are refreshed (``ANALYZE``; ``VACUUM ANALYZE`` on
PostgreSQL), as a live database has them. Each request runs ``--runs``
times after a warm-up; the benchmark prints p50 and p99 of each, the ratio of the
page's p50 to its raw SQL's p50, and the process's peak memory. Target: p99 under
150 ms for every page.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import peak_rss_mb, run_phase, scratch_dir, setup_django

PAGE = 50
TARGET_MS = 150.0

#: Raw SQL for one page of a supervisor's incidents, written by hand: the number of
#: rows (the page shows it), the page's ids in the list's order, then the columns the
#: list shows for those ids. The fastest plain SQL for the page, with nothing around it.
RAW_COUNT = """
SELECT COUNT(*) FROM incidents_incident i
JOIN directory_officer o ON o.id = i.officer_id
WHERE o.agency_id = %s {where}
"""
RAW_IDS = """
SELECT i.id FROM incidents_incident i
JOIN directory_officer o ON o.id = i.officer_id
WHERE o.agency_id = %s {where}
ORDER BY i.{order} LIMIT %s OFFSET %s
"""
RAW_ROWS = """
SELECT i.id, i.occurred_at, i.status, s.name, o.last_name, r.label
FROM incidents_incident i
JOIN directory_officer o ON o.id = i.officer_id
JOIN directory_school s ON s.id = i.school_id
JOIN incidents_incidentreason r ON r.id = i.reason_id
WHERE i.id IN ({ids})
"""
LIST_ORDER = "occurred_at DESC, i.id DESC"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by the nearest-rank method."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def _supervisor(visible: int) -> tuple[Any, Any, int]:
    """The bench supervisor (created once) and the agency nearest ``visible`` rows."""
    from django.db.models import Count

    from opensro.core import services as cs
    from opensro.core.choices import Role
    from opensro.core.models import RoleGrant, User
    from opensro.directory.models import Agency
    from opensro.incidents.models import Incident

    per_agency = (Incident.objects.values("officer__agency").annotate(n=Count("id"))
                  .order_by("officer__agency"))
    if not per_agency:
        raise SystemExit("no incidents: run with --generate N first")
    best = min(per_agency, key=lambda row: abs(row["n"] - visible))
    agency = Agency.objects.get(pk=best["officer__agency"])
    user = User.objects.filter(username="bench-supervisor").first()
    if user is None:
        user = User.objects.create_user("bench-supervisor", password=None)
    if not RoleGrant.objects.filter(user=user, role=Role.SUPERVISOR, agency=agency).exists():
        RoleGrant.objects.filter(user=user).delete()
        cs.grant_role(None, user, Role.SUPERVISOR, agency=agency)
    return user, agency, best["n"]


def _refresh_statistics() -> None:
    """Give the generated database what a live one has: the query planner's
    statistics for every index (including ones added by a migration since the
    database was generated) and, on PostgreSQL, a vacuumed table, which index-only
    scans need (autovacuum does it on a live database)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE incidents_incident, incidents_involvement, "
                           "directory_officer, directory_school, core_flag")
        else:
            cursor.execute("ANALYZE")


def _time(fn: Callable[[], Any], runs: int) -> list[float]:
    fn()  # warm-up: caches, compiled templates, the database's pages
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def measure(visible: int, runs: int) -> None:
    setup_django()
    from django.db import connection
    from django.test import Client

    from opensro.directory.models import School
    from opensro.incidents.models import Incident

    _refresh_statistics()
    user, agency, count = _supervisor(visible)
    total = Incident.objects.count()
    print(f"  {total:,} incidents in the database; the supervisor of {agency.name} "
          f"sees {count:,}")
    mine = Incident.objects.filter(officer__agency=agency)
    latest = mine.order_by("-occurred_at").values_list("occurred_at", flat=True).first()
    assert latest is not None
    month_end = latest.date()
    month_start = month_end - datetime.timedelta(days=30)
    school = School.objects.filter(incidents__officer__agency=agency).order_by("pk").first()
    assert school is not None
    pages = max(1, -(-count // PAGE))
    middle = pages // 2

    client = Client()
    client.force_login(user)
    # As the WSGI entry point does in each server process (opensro/runtime.py).
    from opensro.runtime import settle

    settle()

    def page(url: str) -> Callable[[], Any]:
        def fetch() -> Any:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response
        return fetch

    def raw(where: str = "", params: tuple[Any, ...] = (), offset: int = 0,
            order: str = LIST_ORDER) -> Callable[[], Any]:
        count_sql = RAW_COUNT.format(where=where)
        ids_sql = RAW_IDS.format(where=where, order=order)

        def run() -> Any:
            with connection.cursor() as cursor:
                cursor.execute(count_sql, [agency.pk, *params])
                cursor.fetchone()
                cursor.execute(ids_sql, [agency.pk, *params, PAGE, offset])
                ids = [row[0] for row in cursor.fetchall()]
                if ids:
                    cursor.execute(RAW_ROWS.format(ids=", ".join(["%s"] * len(ids))), ids)
                    return cursor.fetchall()
                return []
        return run

    month = f"date_from={month_start.isoformat()}&date_to={month_end.isoformat()}"
    # The raw month filter compares instants: the local days' bounds, in UTC.
    from django.utils import timezone

    zone = timezone.get_current_timezone()
    lo, hi = (connection.ops.adapt_datetimefield_value(datetime.datetime.combine(
        day, datetime.time.min, zone)) for day in (month_start,
                                                  month_end + datetime.timedelta(days=1)))
    arrested = ("AND EXISTS (SELECT 1 FROM incidents_involvement v "
                "WHERE v.incident_id = i.id AND v.arrest)")
    flagged = ("AND EXISTS (SELECT 1 FROM core_flag f WHERE f.kind = "
               "'discipline_involvement' AND f.subject_type = 'incidents.Incident' AND "
               "f.status = 'open' AND f.subject_id = CAST(i.id AS TEXT))")
    in_month = "AND i.occurred_at >= %s AND i.occurred_at < %s"
    scenarios: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        ("list page, first page", page("/incidents/"), raw()),
        (f"list page, page {middle:,} (middle)", page(f"/incidents/?page={middle}"),
         raw(offset=(middle - 1) * PAGE)),
        (f"list page, page {pages:,} (last)", page(f"/incidents/?page={pages}"),
         raw(offset=(pages - 1) * PAGE)),
        ("list page, a month, submitted", page(f"/incidents/?{month}&status=submitted"),
         raw(in_month + " AND i.status = 'submitted'", (lo, hi))),
        ("list page, one school", page(f"/incidents/?school={school.pk}"),
         raw("AND i.school_id = %s", (school.pk,))),
        ("list page, arrests", page("/incidents/?action=arrest"), raw(arrested)),
        ("list page, open flags", page("/incidents/?flag=open"), raw(flagged)),
        ("review queue, first page", page("/incidents/review/"),
         raw("AND i.status IN ('submitted', 'amended')", order="submitted_at, i.id")),
        ("API, first page", page("/api/incidents?page=1"), raw()),
        (f"API, page {middle:,} (middle)", page(f"/api/incidents?page={middle}"),
         raw(offset=(middle - 1) * PAGE)),
        ("API, a month, arrests", page(f"/api/incidents?{month}&action=arrest"),
         raw(in_month + " " + arrested, (lo, hi))),
    ]
    width = max(len(name) for name, _, _ in scenarios)
    print(f"  {'request':{width}}  {'p50':>8} {'p99':>8}   {'raw p50':>8}  {'ratio':>6}")
    worst = 0.0
    for name, fetch, baseline in scenarios:
        times = _time(fetch, runs)
        raw_times = _time(baseline, runs)
        p50, p99 = statistics.median(times), percentile(times, 99)
        r50 = statistics.median(raw_times)
        worst = max(worst, p99)
        print(f"  {name:{width}}  {p50:6.1f}ms {p99:6.1f}ms   {r50:6.1f}ms  {p50 / r50:6.1f}")
    print(f"  worst p99: {worst:.1f} ms (target < {TARGET_MS:.0f} ms); "
          f"peak memory {peak_rss_mb():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generate", type=int, default=0,
                        help="first generate this many involvements in a scratch database")
    parser.add_argument("--visible", type=int, default=50_000,
                        help="pick the agency whose incidents are nearest this number")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        return measure(args.visible, args.runs)
    env = {}
    if args.generate:
        work = scratch_dir()
        env["OPENSRO_VAR_DIR"] = work
        run_phase("generate.py", "--involvements", str(args.generate), env=env)
    where = env.get("OPENSRO_VAR_DIR") or os.environ.get("OPENSRO_DATABASE_URL") or \
        os.environ.get("OPENSRO_VAR_DIR", "var/")
    print(f"OpenSRO incident list benchmark ({where})")
    print(run_phase("incident_list.py", "--measure", "--visible", str(args.visible),
                    "--runs", str(args.runs), env=env), end="")


if __name__ == "__main__":
    main()
