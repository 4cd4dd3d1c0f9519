"""Early warning (R-F1): does one SRO's count of arrests, citations, searches, seizures,
uses of force or restraints stand out from peers at similar schools?

COPS Guiding Principle 6: high numbers of arrests, searches, citations or seizures
"should be viewed with caution ... and should be flagged for further review". This
module decides which counts are high enough to flag; it is pure (no Django), so the web
application, the refresh, the benchmark (``bench/early_warning.py``) and the tests call
the same code. The method is described in docs/methods.md, "Early warning".

For each SRO, period, measure and base:

- **base "contact"** (per 100 contacts): the SRO's ``a`` events among ``n1`` contacts
  against the peers' ``b`` among ``n2``; one-sided Fisher exact test (hypergeometric
  upper tail): is the SRO's share higher than the peers'?
- **base "enrollment"** (per 1,000 enrolled): the SRO's ``a`` events over ``n1``
  enrolled-student periods against the peers' ``b`` over ``n2``; one-sided exact
  conditional Poisson test: given the ``a + b`` events, ``a`` is binomial with
  probability ``n1 / (n1 + n2)`` when the rates are equal.

Both tests compare with the peers' own counts rather than with a fixed benchmark, so
the uncertainty of a benchmark built from few peers is accounted for, and both are
exact, so they hold at small counts. Peers are the other SROs whose main school has
the same level and size band; with fewer than ``min_peers`` such SROs the group widens
to the same level, then to the same stage (elementary, or secondary: middle, high and
other schools). An SRO with no peer at a similar school is not tested.

All tests of one period form one family. A test that cannot reach significance
whatever the SRO's count (too few events among the SRO and peers) is set aside with
Tarone's rule as Gilbert (2005) adapts it to the false discovery rate; the rest are
adjusted together with Benjamini–Hochberg (``opensro.analytics.stats``) at level ``q``.

The displayed "ratio allowing for chance" shrinks each SRO's ratio to the peer
benchmark toward the period's typical ratio, with Marshall's (1991) moment estimate of
the gamma–Poisson (empirical Bayes) model: few events, strong shrinkage.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats as sps

from opensro.analytics.stats import benjamini_hochberg

__all__ = [
    "BASES",
    "MEASURES",
    "PER",
    "EarlyWarningInputError",
    "OfficerPeriod",
    "PeerBenchmark",
    "TestResult",
    "analyse",
    "conditional_poisson_greater",
    "discrete_bh",
    "fisher_greater",
    "marshall_shrinkage",
    "size_band",
]

#: The measures (R-D4 outcomes that R-F1 names), in display order.
MEASURES: tuple[tuple[str, str], ...] = (
    ("arrest", "School-related arrests"),
    ("citation", "Citations or tickets"),
    ("search", "Searches"),
    ("seizure", "Seizures"),
    ("use_of_force", "Uses of force"),
    ("restraint", "Restraints"),
)
MEASURE_CODES: tuple[str, ...] = tuple(code for code, _label in MEASURES)
#: Bases, their multiplier and wording.
BASES: tuple[tuple[str, str], ...] = (
    ("contact", "per 100 contacts"),
    ("enrollment", "per 1,000 enrolled"),
)
PER: dict[str, int] = {"contact": 100, "enrollment": 1000}

#: Peer groups from the narrowest to the widest.
PEER_GROUPS: tuple[tuple[str, str], ...] = (
    ("level_band", "SROs at schools of the same level and size"),
    ("level", "SROs at schools of the same level"),
    ("stage", "SROs at schools of the same stage (elementary, or secondary)"),
)
#: School stages: elementary schools are never compared with secondary ones.
STAGES: dict[str, str] = {"elementary": "elementary", "middle": "secondary",
                          "high": "secondary", "other": "secondary"}

#: School size bands by enrollment (students).
SIZE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("under 500", 0, 499),
    ("500–999", 500, 999),
    ("1,000–1,999", 1000, 1999),
    ("2,000 or more", 2000, None),
)


class EarlyWarningInputError(ValueError):
    """Counts or exposures no test can be computed from."""


def size_band(enrolled: int | None) -> str:
    """The size band of a school with ``enrolled`` students ("unknown" without one)."""
    if enrolled is None or enrolled <= 0:
        return "unknown"
    for label, low, high in SIZE_BANDS:
        if enrolled >= low and (high is None or enrolled <= high):
            return label
    return "unknown"


@dataclass(frozen=True)
class OfficerPeriod:
    """One SRO's exposure and counts over one period.

    ``contacts``: students who were the subject of the SRO's final records;
    ``enrolled``: students enrolled at the SRO's schools, each weighted by the share of
    the period the SRO was assigned there; ``counts``: measure → events (each ≤
    ``contacts``). ``level`` and ``band`` describe the SRO's main school.
    """

    officer: Hashable
    level: str
    band: str
    contacts: int
    enrolled: float
    counts: Mapping[str, int]

    def __post_init__(self) -> None:
        who = f"officer {self.officer!r}"
        if isinstance(self.contacts, bool) or not isinstance(self.contacts, numbers.Integral) \
                or self.contacts < 0:
            raise EarlyWarningInputError(f"{who}: contacts must be a whole number >= 0, "
                                         f"got {self.contacts!r}")
        if isinstance(self.enrolled, bool) or not isinstance(self.enrolled, numbers.Real) \
                or not math.isfinite(self.enrolled) or self.enrolled < 0:
            raise EarlyWarningInputError(f"{who}: enrolled must be a number >= 0, "
                                         f"got {self.enrolled!r}")
        for measure, count in self.counts.items():
            if measure not in MEASURE_CODES:
                raise EarlyWarningInputError(f"{who}: unknown measure {measure!r}")
            if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 0:
                raise EarlyWarningInputError(f"{who}: {measure} must be a whole number >= 0, "
                                             f"got {count!r}")
            if count > self.contacts:
                raise EarlyWarningInputError(
                    f"{who}: {measure} count {count} is larger than the {self.contacts} "
                    "contacts it is counted among")

    def exposure(self, base: str) -> float:
        return float(self.contacts) if base == "contact" else float(self.enrolled)


@dataclass(frozen=True)
class PeerBenchmark:
    """The peers one SRO is compared with for one base: which group, how many SROs,
    their events and their exposure."""

    group: str
    officers: int
    count: int
    exposure: float

    @property
    def label(self) -> str:
        return dict(PEER_GROUPS)[self.group]


@dataclass(frozen=True)
class TestResult:
    """One SRO's test for one measure and base.

    ``p_value`` is None when no test was possible (``note`` says why);
    ``q_value`` is the Benjamini–Hochberg adjusted p-value within the tests kept by
    Tarone's rule (None for a test set aside: ``note`` says so). ``expected`` is the
    peer rate times the SRO's exposure; ``ratio`` = count ÷ expected.
    """

    officer: Hashable
    measure: str
    base: str
    count: int
    exposure: float
    rate: float | None
    peer: PeerBenchmark | None
    peer_rate: float | None
    expected: float | None
    ratio: float | None
    p_value: float | None = None
    min_p_value: float | None = None
    q_value: float | None = None
    significant: bool = False
    shrunk_ratio: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Analysis:
    """Every test of one period, the family size and the level ``q``."""

    results: tuple[TestResult, ...]
    q: float
    tested: int
    set_aside: int
    min_peers: int
    notes: tuple[str, ...] = field(default_factory=tuple)

    def for_officer(self, officer: Hashable) -> list[TestResult]:
        return [r for r in self.results if r.officer == officer]

    def significant(self) -> list[TestResult]:
        return [r for r in self.results if r.significant]


# ---------------------------------------------------------------------------
# The two exact tests (one-sided: is the SRO's rate higher?)
# ---------------------------------------------------------------------------


def fisher_greater(a: int, n1: int, b: int, n2: int) -> tuple[float, float]:
    """One-sided Fisher exact test that ``a`` of ``n1`` is a higher share than ``b`` of
    ``n2``. Returns (p-value, smallest p-value the margins allow).

    Given the ``a + b`` events among the ``n1 + n2`` contacts, ``a`` is hypergeometric
    when both shares are equal; p = P(X ≥ a). The smallest attainable p-value is the
    probability of the most extreme table, P(X = min(a + b, n1)).
    """
    total_events, total = a + b, n1 + n2
    dist = sps.hypergeom(total, total_events, n1)
    p = min(1.0, float(dist.sf(a - 1)))
    # The most extreme table's probability is never above p (rounding aside).
    return p, min(p, float(dist.pmf(min(total_events, n1))))


def conditional_poisson_greater(a: int, n1: float, b: int, n2: float) -> tuple[float, float]:
    """One-sided exact conditional test that the rate ``a / n1`` exceeds ``b / n2``
    (Poisson counts over exposures ``n1`` and ``n2``). Returns (p-value, smallest p-value
    the margins allow).

    Given the ``a + b`` events, ``a`` ~ Binomial(a + b, π) with π = n1 / (n1 + n2) when
    the rates are equal; p = P(X ≥ a) (R: ``poisson.test(c(a, b), c(n1, n2),
    alternative = "greater")``). The smallest attainable p-value is π^(a + b).
    """
    total_events = a + b
    pi = n1 / (n1 + n2)
    p = min(1.0, float(sps.binom.sf(a - 1, total_events, pi)))
    return p, min(p, pi ** total_events)


def _p_values(base: str, a: np.ndarray, n1: np.ndarray, b: np.ndarray, n2: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised form of the two tests (the refresh and the benchmark run thousands)."""
    events = a + b
    if base == "contact":
        total = (n1 + n2).astype(np.int64)
        draws = n1.astype(np.int64)
        p = sps.hypergeom.sf(a - 1, total, events, draws)
        p_min = sps.hypergeom.pmf(np.minimum(events, draws), total, events, draws)
    else:
        pi = n1 / (n1 + n2)
        p = sps.binom.sf(a - 1, events, pi)
        p_min = pi ** events
    p = np.minimum(np.asarray(p, dtype=float), 1.0)
    return p, np.minimum(np.asarray(p_min, dtype=float), p)


# ---------------------------------------------------------------------------
# Multiplicity: Tarone's rule, then Benjamini–Hochberg
# ---------------------------------------------------------------------------


def discrete_bh(p_values: Sequence[float], min_p_values: Sequence[float], q: float
                ) -> tuple[list[float | None], list[bool]]:
    """False-discovery-rate control for discrete tests (Gilbert 2005).

    Tarone's rule: for K = 1, 2, …, let M(K) be the number of tests whose smallest
    attainable p-value is at most q ÷ K; take the smallest K with M(K) ≤ K. Only those
    M(K) tests could ever be significant at that level; the others are set aside (their
    adjusted value is None). Benjamini–Hochberg at level q then runs on the M(K) kept.
    Returns (adjusted p-values, decisions) in input order.
    """
    m = len(p_values)
    if len(min_p_values) != m:
        raise EarlyWarningInputError("p-values and smallest attainable p-values differ in "
                                     "length")
    if m == 0:
        return [], []
    smallest = np.sort(np.asarray(min_p_values, dtype=float))
    ks = np.arange(1, m + 1)
    counts = np.searchsorted(smallest, q / ks, side="right")
    k = int(ks[int(np.argmax(counts <= ks))])  # M(m) <= m always holds
    kept = [i for i in range(m) if min_p_values[i] <= q / k]
    adjusted: list[float | None] = [None] * m
    rejected = [False] * m
    if kept:
        fdr = benjamini_hochberg([p_values[i] for i in kept], q)
        for i, adj, rej in zip(kept, fdr.adjusted, fdr.rejected, strict=True):
            adjusted[i] = adj
            rejected[i] = rej
    return adjusted, rejected


# ---------------------------------------------------------------------------
# Empirical Bayes (gamma–Poisson) shrinkage of the displayed ratio
# ---------------------------------------------------------------------------


def marshall_shrinkage(observed: Sequence[int], expected: Sequence[float]
                       ) -> list[float | None]:
    """Shrunk ratios observed ÷ expected (Marshall 1991, global moment estimator).

    With θᵢ = Oᵢ ÷ Eᵢ, m = ΣO ÷ ΣE, s² = Σ Eᵢ(θᵢ − m)² ÷ ΣE and Ē = ΣE ÷ k, the
    between-SRO variance is A = max(0, s² − m ÷ Ē); the shrunk ratio is
    m + (θᵢ − m)·A ÷ (A + m ÷ Eᵢ). An SRO with few expected events is pulled strongly
    toward m; with A = 0 (no more spread than chance) every ratio becomes m. Units with
    no expected events get None; fewer than three units give None (nothing to learn
    the spread from).
    """
    if len(observed) != len(expected):
        raise EarlyWarningInputError("observed and expected differ in length")
    usable = [i for i, e in enumerate(expected) if e is not None and e > 0]
    out: list[float | None] = [None] * len(observed)
    if len(usable) < 3:
        return out
    total_o = sum(observed[i] for i in usable)
    total_e = sum(expected[i] for i in usable)
    m = total_o / total_e
    s2 = sum(expected[i] * (observed[i] / expected[i] - m) ** 2 for i in usable) / total_e
    mean_e = total_e / len(usable)
    spread = max(0.0, s2 - m / mean_e)
    for i in usable:
        theta = observed[i] / expected[i]
        if spread == 0.0:
            out[i] = m
        else:
            out[i] = m + (theta - m) * spread / (spread + m / expected[i])
    return out


# ---------------------------------------------------------------------------
# One period
# ---------------------------------------------------------------------------


def _stage(level: str) -> str:
    return STAGES.get(level, level)


def _peers(target: OfficerPeriod, rows: Sequence[OfficerPeriod], base: str, min_peers: int
           ) -> tuple[str, list[OfficerPeriod]] | None:
    """The narrowest peer group with at least ``min_peers`` SROs that have exposure; the
    widest (the same stage) when none has that many; None with no peer at all. An SRO is
    only ever compared with SROs at similar schools: an elementary school's rates are not
    a benchmark for a high school's."""
    others = [r for r in rows if r.officer != target.officer and r.exposure(base) > 0]
    groups = {
        "level_band": [r for r in others if r.level == target.level and r.band == target.band],
        "level": [r for r in others if r.level == target.level],
        "stage": [r for r in others if _stage(r.level) == _stage(target.level)],
    }
    for code, _label in PEER_GROUPS:
        if len(groups[code]) >= min_peers:
            return code, groups[code]
    return ("stage", groups["stage"]) if groups["stage"] else None


@dataclass
class _Draft:
    officer: Hashable
    measure: str
    base: str
    count: int
    exposure: float
    rate: float | None
    peer: PeerBenchmark | None = None
    peer_rate: float | None = None
    expected: float | None = None
    ratio: float | None = None
    p_value: float | None = None
    min_p_value: float | None = None
    q_value: float | None = None
    significant: bool = False
    shrunk_ratio: float | None = None
    note: str = ""


def _check(rows: Sequence[OfficerPeriod], q: float, min_peers: int,
           measures: Sequence[str]) -> None:
    if not 0.0 < q <= 1.0:
        raise EarlyWarningInputError(f"q must be in (0, 1], got {q}")
    if isinstance(min_peers, bool) or not isinstance(min_peers, int) or min_peers < 1:
        raise EarlyWarningInputError(f"min_peers must be a whole number >= 1, got {min_peers!r}")
    seen: set[Hashable] = set()
    for row in rows:
        if row.officer in seen:
            raise EarlyWarningInputError(f"officer {row.officer!r} appears twice")
        seen.add(row.officer)
    for measure in measures:
        if measure not in MEASURE_CODES:
            raise EarlyWarningInputError(f"unknown measure {measure!r}")


def _drafts(rows: Sequence[OfficerPeriod], min_peers: int, measures: Sequence[str]
            ) -> list[_Draft]:
    """Every (SRO, measure, base) with its rate and peer benchmark, not yet tested."""
    drafts: list[_Draft] = []
    for base, _label in BASES:
        per = PER[base]
        for row in rows:
            exposure = row.exposure(base)
            chosen = _peers(row, rows, base, min_peers) if exposure > 0 else None
            for measure in measures:
                count = int(row.counts.get(measure, 0))
                draft = _Draft(row.officer, measure, base, count, exposure,
                               count * per / exposure if exposure else None)
                drafts.append(draft)
                if exposure <= 0:
                    draft.note = ("no contacts in the period" if base == "contact"
                                  else "no enrolled students at assigned schools")
                    continue
                if chosen is None:
                    draft.note = "no peer SRO at similar schools to compare with"
                    continue
                group, peers = chosen
                peer_count = sum(int(p.counts.get(measure, 0)) for p in peers)
                peer_exposure = sum(p.exposure(base) for p in peers)
                draft.peer = PeerBenchmark(group, len(peers), peer_count, peer_exposure)
                draft.peer_rate = peer_count * per / peer_exposure
                draft.expected = peer_count / peer_exposure * exposure
                draft.ratio = count / draft.expected if draft.expected > 0 else None
                if count + peer_count == 0:
                    draft.note = "no events for this SRO or the peers"
    return drafts


def analyse(rows: Sequence[OfficerPeriod], *, q: float = 0.10, min_peers: int = 3,
            measures: Sequence[str] = MEASURE_CODES, shrink: bool = True,
            discrete: bool = True) -> Analysis:
    """Test every SRO of one period for every measure and base, as one family.

    ``q``: false discovery rate; ``min_peers``: the smallest peer group that is used
    before widening it; ``discrete``: set aside tests that cannot reach significance
    (Tarone) before Benjamini–Hochberg (False: plain Benjamini–Hochberg over every test).
    """
    _check(rows, q, min_peers, measures)
    drafts = _drafts(rows, min_peers, measures)
    testable = [d for d in drafts if d.peer is not None and not d.note]
    for base, _label in BASES:
        subset = [d for d in testable if d.base == base and d.peer is not None]
        if not subset:
            continue
        p, p_min = _p_values(
            base,
            np.array([d.count for d in subset], dtype=np.int64),
            np.array([d.exposure for d in subset], dtype=float),
            np.array([d.peer.count for d in subset if d.peer], dtype=np.int64),
            np.array([d.peer.exposure for d in subset if d.peer], dtype=float))
        for d, pv, pm in zip(subset, p.tolist(), p_min.tolist(), strict=True):
            d.p_value, d.min_p_value = float(pv), float(pm)

    p_values = [d.p_value if d.p_value is not None else 1.0 for d in testable]
    if discrete:
        adjusted, rejected = discrete_bh(
            p_values, [d.min_p_value if d.min_p_value is not None else 1.0 for d in testable],
            q)
    else:
        fdr = benjamini_hochberg(p_values, q)
        adjusted, rejected = list(fdr.adjusted), list(fdr.rejected)
    set_aside = 0
    for d, adj, rej in zip(testable, adjusted, rejected, strict=True):
        d.q_value, d.significant = adj, rej
        if adj is None:
            set_aside += 1
            d.note = "too few events among this SRO and the peers to reach significance"

    if shrink:
        for base, _label in BASES:
            for measure in measures:
                family = [d for d in drafts if d.base == base and d.measure == measure
                          and d.expected is not None]
                shrunk = marshall_shrinkage([d.count for d in family],
                                            [d.expected or 0.0 for d in family])
                for d, value in zip(family, shrunk, strict=True):
                    d.shrunk_ratio = value

    results = tuple(TestResult(**vars(d)) for d in drafts)
    return Analysis(results=results, q=q, tested=len(testable) - set_aside,
                    set_aside=set_aside, min_peers=min_peers)
