"""Benchmark: the full disparity table against one raw SQL GROUP BY over the same rows.

    python bench/disparity.py            # uses the database OPENSRO_VAR_DIR / _DATABASE_URL
    python bench/disparity.py --generate 2000000   # first fill a fresh scratch database

"Full table": for one school year and the whole state, the counts of every decision
point by every dimension (race, sex, disability, English learner, age band, offense),
their enrollment bases, and the statistics of every (decision point, dimension) table
with small-number suppression. Baseline: the single hand-written ``GROUP BY`` that
yields the same breakdown (race, sex, IDEA, 504, EL, age, offense severity) with the
decision-point sums, over the same involvements, with no statistics. Each is run five
times; the medians are compared (target: within 1.5x of the raw GROUP BY, or faster).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import peak_rss_mb, run_phase, scratch_dir, setup_django

RAW = """
SELECT race, sex, idea, section_504, english_learner, age, offense_severity,
       COUNT(*),
       SUM(CASE WHEN referral_to_law_enforcement THEN 1 ELSE 0 END),
       SUM(CASE WHEN citation THEN 1 ELSE 0 END),
       SUM(CASE WHEN school_related_arrest THEN 1 ELSE 0 END),
       SUM(CASE WHEN search THEN 1 ELSE 0 END),
       SUM(CASE WHEN use_of_force THEN 1 ELSE 0 END),
       SUM(CASE WHEN restraint THEN 1 ELSE 0 END),
       SUM(CASE WHEN court_referral THEN 1 ELSE 0 END),
       SUM(CASE WHEN school_related_arrest OR citation THEN 1 ELSE 0 END)
FROM incidents_involvement
WHERE school_year_id = %s AND final AND role = 'subject'
GROUP BY race, sex, idea, section_504, english_learner, age, offense_severity
"""


def full_table(year: object) -> int:
    from opensro.analytics import counts, selectors

    tables = counts.count_tables(None, year)  # type: ignore[arg-type]
    built = 0
    for dimension, c in tables.items():
        for point, bases in counts.BASES.items():
            for base in bases:
                if base == "enrollment" and dimension in ("age_band", "offense"):
                    continue
                selectors.build_table(c, point, base, year.code, "state")  # type: ignore[attr-defined]
                built += 1
    return built


def raw(year_id: int) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(RAW, [year_id])
        return len(cursor.fetchall())


def measure() -> None:
    setup_django()
    from opensro.core import bulk
    from opensro.directory.models import Enrollment, SchoolYear
    from opensro.incidents.models import Involvement

    # As on a live database (autovacuum), the planner has statistics for the tables.
    bulk.refresh_statistics(Involvement, Enrollment)
    year = SchoolYear.objects.order_by("-start_date").first()
    assert year is not None, "no data: run with --generate N first"
    rows = Involvement.objects.filter(school_year=year).count()
    total = Involvement.objects.count()
    print(f"  {total:,} involvements in the database; {rows:,} in {year.code}")
    raw(year.pk)
    full_table(year)  # warm caches for both
    raw_times, full_times = [], []
    for _ in range(5):
        t = time.perf_counter()
        raw(year.pk)
        raw_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        built = full_table(year)
        full_times.append(time.perf_counter() - t)
    r, f = statistics.median(raw_times), statistics.median(full_times)
    print(f"  raw GROUP BY (baseline):  median {r * 1000:,.0f} ms")
    print(f"  full disparity table:     median {f * 1000:,.0f} ms ({built} tables)")
    print(f"  ratio full/raw: {f / r:.2f} (target <= 1.5); peak memory {peak_rss_mb():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generate", type=int, default=0,
                        help="first generate this many involvements in a scratch database")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        return measure()
    env = {}
    if args.generate:
        work = scratch_dir()
        env["OPENSRO_VAR_DIR"] = work
        run_phase("generate.py", "--involvements", str(args.generate), env=env)
    where = env.get("OPENSRO_VAR_DIR") or os.environ.get("OPENSRO_DATABASE_URL") or \
        os.environ.get("OPENSRO_VAR_DIR", "var/")
    print(f"OpenSRO disparity benchmark ({where})")
    print(run_phase("disparity.py", "--measure", env=env), end="")


if __name__ == "__main__":
    main()
