"""Draw the growth curve of docs/performance.md (docs/img/performance-growth.svg).

    python bench/plot_growth.py

The points are the measured figures of docs/performance.md (copy new measurements
into MEASURED, then run this again): import and raw-insert throughput by file size.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: (database, rows, raw rows/s, import rows/s) as measured on 2026-11-24 with the code of
#: decision 0008 (PostgreSQL at 100,000 rows: the median of three runs).
MEASURED = [
    ("SQLite", 100_000, 14_112, 5_942),
    ("SQLite", 1_000_000, 10_452, 4_382),
    ("SQLite", 2_000_000, 8_953, 3_739),
    ("PostgreSQL", 100_000, 13_251, 4_438),
    ("PostgreSQL", 1_000_000, 10_847, 4_029),
    ("PostgreSQL", 2_000_000, 9_902, 3_913),
]
#: The same, with the code of decision 0006 (drawn faintly, for comparison).
BEFORE = [
    ("SQLite", 100_000, 12_488, 2_868),
    ("SQLite", 1_000_000, 10_678, 2_250),
    ("SQLite", 2_000_000, 7_751, 2_051),
    ("PostgreSQL", 100_000, 12_848, 2_977),
    ("PostgreSQL", 1_000_000, 13_359, 1_844),
    ("PostgreSQL", 2_000_000, 11_670, 1_260),
]


def main() -> None:
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    for db, marker in (("SQLite", "o"), ("PostgreSQL", "s")):
        rows = [m for m in MEASURED if m[0] == db]
        if not rows:
            continue
        xs = [m[1] for m in rows]
        left.plot(xs, [m[2] for m in rows], marker=marker, linestyle="--",
                  label=f"{db}: raw insert")
        left.plot(xs, [m[3] for m in rows], marker=marker, label=f"{db}: OpenSRO import")
        right.plot(xs, [m[3] / m[2] for m in rows], marker=marker, label=db)
        before = [m for m in BEFORE if m[0] == db]
        right.plot([m[1] for m in before], [m[3] / m[2] for m in before], marker=marker,
                   color="lightgrey", label=f"{db}, before decision 0008")
    left.set_xscale("log")
    left.set_xlabel("rows in the file")
    left.set_ylabel("rows per second")
    left.set_title("Throughput (measured)")
    left.legend(fontsize=7)
    right.set_xscale("log")
    right.axhline(1 / 3, color="grey", linewidth=1, linestyle=":")
    right.text(1.1e5, 0.345, "target 0.33", fontsize=7, color="grey")
    right.set_xlabel("rows in the file")
    right.set_ylabel("import / raw insert")
    right.set_ylim(0, 0.6)
    right.set_title("Ratio (measured)")
    right.legend(fontsize=7)
    fig.tight_layout()
    out = ROOT / "docs" / "img" / "performance-growth.svg"
    fig.savefig(out, metadata={"Date": None})
    print(f"wrote {out}")


if __name__ == "__main__":
    sys.exit(main())
