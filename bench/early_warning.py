"""Benchmark: how well the early warning finds planted outlier SROs in small programs.

    python bench/early_warning.py                 # 1,000 replications per program size
    python bench/early_warning.py --reps 200      # quicker, noisier

Synthetic programs of 5, 15 and 60 SROs, one half-year each. Every SRO gets a school
(level and enrollment drawn at random), a number of contacts in proportion to its
enrollment, and counts of arrests, citations, searches, seizures, uses of force and
restraints drawn from the level's rates per contact. One SRO (in programs of 5) or two
(15 and 60) are planted outliers: one randomly chosen measure at 2 to 3 times the rate.
Three worlds: every other SRO exactly at the level's rates over a half-year
("homogeneous"); the same over a school year (twice the records); and each SRO's own
rates varying around the level's by 20% over a half-year (gamma, "natural variation":
those differences are real but not planted, and a flag on them counts as false here).

The unit is one SRO and one measure; it is flagged when either base (per 100 contacts,
per 1,000 enrolled) is significant. Printed per program size: precision (share of flags
on planted outliers), the false discovery rate (mean over programs of false flags ÷
flags, the quantity Benjamini–Hochberg controls), recall (share of planted outliers
flagged: all, the common measures — arrests, citations, searches — and the rare ones —
uses of force and restraints), the false-positive rate (share of unplanted SRO-measures
flagged) and the share of programs with any false flag, for:

- the method (``opensro.supervision.early_warning.analyse``, q = 0.10);
- baseline 1: the same exact tests with plain Benjamini–Hochberg (no Tarone step);
- baseline 2: the threshold rule of many early-intervention systems: a rate per 100
  contacts more than two standard deviations above the mean of the other SROs.

Deterministic: the seed is fixed (--seed).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from opensro.supervision.early_warning import (
    MEASURE_CODES,
    OfficerPeriod,
    analyse,
    size_band,
)

SEED = 20261124
SIZES = (5, 15, 60)
PLANTED = {5: 1, 15: 2, 60: 2}
Q = 0.10
RARE = ("use_of_force", "restraint")
COMMON = ("arrest", "citation", "search")
#: (label, contacts multiplier, natural variation between SROs)
WORLDS = (("homogeneous, half-year", 1, 0.0), ("homogeneous, school year", 2, 0.0),
          ("natural variation (20%), half-year", 1, 0.2))

#: level → (share of SROs, mean enrollment, contacts per enrolled student per half-year)
LEVELS = {
    "high": (0.35, 1400, 0.12),
    "middle": (0.35, 800, 0.10),
    "elementary": (0.20, 450, 0.03),
    "other": (0.10, 400, 0.15),
}
#: level → rate per contact of each measure (arrest, citation, search, seizure, force,
#: restraint), in MEASURE_CODES order.
RATES = {
    "high": (0.040, 0.060, 0.040, 0.015, 0.005, 0.012),
    "middle": (0.030, 0.050, 0.030, 0.010, 0.004, 0.012),
    "elementary": (0.005, 0.010, 0.005, 0.002, 0.002, 0.015),
    "other": (0.040, 0.060, 0.040, 0.015, 0.006, 0.020),
}


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    planted: int = 0
    negatives: int = 0
    programs_with_false_flag: int = 0
    programs: int = 0
    rare_tp: int = 0
    rare_planted: int = 0
    common_tp: int = 0
    common_planted: int = 0
    false_share: float = 0.0

    def add(self, flagged: set[tuple[int, str]], planted: set[tuple[int, str]],
            units: int) -> None:
        self.tp += len(flagged & planted)
        false = flagged - planted
        self.fp += len(false)
        self.planted += len(planted)
        self.negatives += units - len(planted)
        self.programs += 1
        self.programs_with_false_flag += bool(false)
        self.false_share += len(false) / len(flagged) if flagged else 0.0
        rare = {u for u in planted if u[1] in RARE}
        self.rare_planted += len(rare)
        self.rare_tp += len(flagged & rare)
        common = {u for u in planted if u[1] in COMMON}
        self.common_planted += len(common)
        self.common_tp += len(flagged & common)

    def line(self, label: str) -> str:
        def share(part: float, whole: float) -> float:
            return part / whole if whole else float("nan")

        precision = share(self.tp, self.tp + self.fp)
        return (f"    {label:<34} precision {precision:6.1%}  FDR "
                f"{share(self.false_share, self.programs):5.1%}  recall "
                f"{share(self.tp, self.planted):5.1%} (common "
                f"{share(self.common_tp, self.common_planted):5.1%}, rare "
                f"{share(self.rare_tp, self.rare_planted):5.1%})  false-positive rate "
                f"{share(self.fp, self.negatives):6.2%}  programs with a false flag "
                f"{share(self.programs_with_false_flag, self.programs):5.1%}")


@dataclass
class Program:
    rows: list[OfficerPeriod]
    planted: set[tuple[int, str]]
    per_contact: dict[str, list[float]] = field(default_factory=dict)


def make_program(rng: np.random.Generator, n: int, variation: float,
                 length: int = 1) -> Program:
    levels = list(LEVELS)
    shares = np.array([LEVELS[lv][0] for lv in levels])
    chosen = rng.choice(len(levels), size=n, p=shares / shares.sum())
    outliers = rng.choice(n, size=PLANTED[n], replace=False)
    planted: set[tuple[int, str]] = set()
    rows: list[OfficerPeriod] = []
    for officer in range(n):
        level = levels[chosen[officer]]
        _share, mean_enrolled, contact_rate = LEVELS[level]
        enrolled = int(rng.lognormal(np.log(mean_enrolled), 0.35))
        contacts = int(rng.poisson(enrolled * contact_rate * length))
        rates = np.array(RATES[level])
        if variation:
            shape = 1 / variation**2
            rates = rates * rng.gamma(shape, 1 / shape, size=len(rates))
        if officer in outliers:
            m = int(rng.integers(len(MEASURE_CODES)))
            rates[m] *= rng.uniform(2.0, 3.0)
            planted.add((officer, MEASURE_CODES[m]))
        counts = rng.binomial(contacts, np.minimum(rates, 0.95))
        rows.append(OfficerPeriod(officer, level, size_band(enrolled), contacts,
                                  float(enrolled), dict(zip(MEASURE_CODES,
                                                            map(int, counts), strict=True))))
    return Program(rows, planted)


def threshold_rule(rows: list[OfficerPeriod]) -> set[tuple[int, str]]:
    """Flag a rate per 100 contacts more than 2 SD above the other SROs' mean rate."""
    flagged = set()
    for measure in MEASURE_CODES:
        rates = {r.officer: r.counts[measure] / r.contacts for r in rows if r.contacts}
        for officer, value in rates.items():
            others = [v for o, v in rates.items() if o != officer]
            if len(others) < 2:
                continue
            mean, sd = statistics.fmean(others), statistics.stdev(others)
            if value > mean + 2 * sd and value > mean:
                flagged.add((int(officer), measure))  # type: ignore[call-overload]
    return flagged


def flagged_by(result: object) -> set[tuple[int, str]]:
    return {(int(r.officer), r.measure) for r in result.significant()}  # type: ignore[attr-defined]


def run(reps: int, seed: int) -> None:
    print(f"OpenSRO early-warning benchmark: {reps:,} synthetic programs per size and world, "
          f"q = {Q}, seed {seed}")
    for number, (world, length, variation) in enumerate(WORLDS):
        print(f"\n  World: {world}")
        for n in SIZES:
            rng = np.random.default_rng([seed, n, number])
            tallies: dict[str, Tally] = defaultdict(Tally)
            started = time.perf_counter()
            for _ in range(reps):
                program = make_program(rng, n, variation, length)
                units = n * len(MEASURE_CODES)
                tallies["method"].add(flagged_by(analyse(program.rows, q=Q, shrink=False)),
                                      program.planted, units)
                tallies["plain"].add(flagged_by(analyse(program.rows, q=Q, shrink=False,
                                                        discrete=False)),
                                     program.planted, units)
                tallies["threshold"].add(threshold_rule(program.rows), program.planted, units)
            took = time.perf_counter() - started
            print(f"  {n} SROs ({PLANTED[n]} planted outlier(s), {took:.1f} s)")
            print(tallies["method"].line("method: exact tests, Tarone + BH"))
            print(tallies["plain"].line("baseline 1: exact tests, plain BH"))
            print(tallies["threshold"].line("baseline 2: 2 SD above peers"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000, help="programs per size and world")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    run(args.reps, args.seed)


if __name__ == "__main__":
    main()
