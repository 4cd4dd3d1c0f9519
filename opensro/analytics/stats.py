"""Disparity statistics over counts: rates, relative rates, risk ratios, summaries.

This module answers R-E1 (disaggregate outcomes and identify disparities),
supports the CRDC-shaped counts of R-E2 (referrals to law enforcement and
school-related arrests) and produces the disparity figures of the annual
program assessment (R-I1). Every measure, its source and its limits are
described in ``docs/methods.md``; each function names the section it follows.

The module is pure: it takes counts and returns frozen dataclasses. It imports
nothing from Django, so it can be used from the command line, the web
application and tests alike.

Invalid input (negative counts, a count above its base, duplicate groups, an
unknown reference group, bad settings) raises a subclass of
:class:`DisparityInputError`, itself a :class:`ValueError`.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from statistics import NormalDist
from typing import Literal

from scipy import optimize
from scipy import stats as sps

__all__ = [
    "METHOD_EXACT_POISSON",
    "METHOD_KATZ",
    "METHOD_KOOPMAN",
    "METHOD_WALD_POISSON",
    "BaseKind",
    "DisparityInputError",
    "DisparitySettings",
    "DisparityTable",
    "DuplicateGroupError",
    "EmptyInputError",
    "FDRResult",
    "GroupCount",
    "GroupRow",
    "InvalidCountError",
    "InvalidSettingError",
    "RatioEstimate",
    "RiskRatio",
    "UnknownReferenceError",
    "benjamini_hochberg",
    "between_group_gini",
    "disparity_table",
    "index_of_disparity",
    "pool_fdr",
    "rate",
    "ratio_interval",
    "relative_rate",
    "risk",
    "risk_ratio",
    "weighted_index_of_disparity",
]

#: How the base of a rate is understood (docs/methods.md, "Confidence intervals").
#: ``population``: counts of events among a population (Poisson rate ratio);
#: ``proportion``: a count of units out of the base units (ratio of proportions).
BaseKind = Literal["population", "proportion"]

#: Log (Wald) interval for a ratio of Poisson rates: exp(ln RR ± z·sqrt(1/a + 1/b)).
METHOD_WALD_POISSON = "wald-log-poisson"
#: Katz log interval for a ratio of proportions: ln RR ± z·sqrt(1/a − 1/n1 + 1/b − 1/n2).
METHOD_KATZ = "katz-log"
#: Exact conditional binomial (Clopper–Pearson) interval for a ratio of Poisson rates.
METHOD_EXACT_POISSON = "exact-conditional-poisson"
#: Koopman (1984) asymptotic score interval for a ratio of proportions (small counts).
METHOD_KOOPMAN = "koopman-score"


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class DisparityInputError(ValueError):
    """Input that no disparity measure can be computed from."""


class InvalidCountError(DisparityInputError):
    """A count or base that is negative, not a whole number, or a count above its base."""


class DuplicateGroupError(DisparityInputError):
    """The same group appears more than once in one table."""


class UnknownReferenceError(DisparityInputError):
    """The reference group is not among the groups of the table."""


class EmptyInputError(DisparityInputError):
    """No groups were given."""


class InvalidSettingError(DisparityInputError):
    """A setting outside its allowed range (alpha, q, shares, minimums, per)."""


# ---------------------------------------------------------------------------
# Inputs and settings
# ---------------------------------------------------------------------------


def _whole(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidCountError(f"{what} must be a whole number, got {value!r}")
    number = int(value)
    if number < 0:
        raise InvalidCountError(f"{what} must not be negative, got {number}")
    return number


def _check_counts(count: object, base: object, who: str = "") -> tuple[int, int]:
    prefix = f"{who}: " if who else ""
    c = _whole(count, f"{prefix}count")
    b = _whole(base, f"{prefix}base")
    if c > b:
        raise InvalidCountError(f"{prefix}count {c} is larger than its base {b}")
    return c, b


@dataclass(frozen=True)
class GroupCount:
    """One group's outcome ``count`` out of its ``base`` (docs/methods.md, "Inputs").

    ``base`` is the population at risk (enrollment for a population-based rate)
    or the count at the previous decision point (for example SRO contacts).
    Construction validates the numbers and raises :class:`InvalidCountError`.
    """

    group: str
    base: int
    count: int

    def __post_init__(self) -> None:
        if not isinstance(self.group, str) or not self.group.strip():
            raise DisparityInputError(f"group name must be a non-empty string, got {self.group!r}")
        count, base = _check_counts(self.count, self.base, who=f"group {self.group!r}")
        object.__setattr__(self, "count", count)
        object.__setattr__(self, "base", base)


@dataclass(frozen=True)
class DisparitySettings:
    """Choices behind a disparity table, each with its default (docs/methods.md, "Settings").

    - ``reference``: group whose rate is the denominator of the relative rate
      (OJJDP uses White youth; CRDC code ``WH``).
    - ``per``: rate multiplier (1,000 for a population base, 100 for a later step).
    - ``base_kind``: ``population`` (Poisson rate ratio intervals) or
      ``proportion`` (ratio-of-proportions intervals).
    - ``alpha``: 1 − confidence level of the intervals.
    - ``fdr_q``: Benjamini–Hochberg false discovery rate.
    - ``min_population_share``: OJJDP rule, a group is analysed only if its base
      is at least this share of the total base (1%).
    - ``min_cell`` and ``min_n``: IDEA minimum cell size (outcome count) and
      minimum n-size (base) for risk ratios (34 CFR 300.647; 10 and 30).
    - ``small_count``: below this count (or at zero) the small-sample interval
      is used instead of the log interval.
    """

    reference: str = "WH"
    per: float = 1000
    base_kind: BaseKind = "population"
    alpha: float = 0.05
    fdr_q: float = 0.05
    min_population_share: float = 0.01
    min_cell: int = 10
    min_n: int = 30
    small_count: int = 5

    def __post_init__(self) -> None:
        if not isinstance(self.reference, str) or not self.reference.strip():
            raise InvalidSettingError("reference must be a non-empty group name")
        _check_per(self.per)
        if self.base_kind not in ("population", "proportion"):
            raise InvalidSettingError(
                f"base_kind must be 'population' or 'proportion', got {self.base_kind!r}"
            )
        if not 0.0 < self.alpha < 1.0:
            raise InvalidSettingError(f"alpha must be between 0 and 1, got {self.alpha}")
        if not 0.0 < self.fdr_q <= 1.0:
            raise InvalidSettingError(f"fdr_q must be in (0, 1], got {self.fdr_q}")
        if not 0.0 <= self.min_population_share < 1.0:
            raise InvalidSettingError(
                f"min_population_share must be in [0, 1), got {self.min_population_share}"
            )
        for name in ("min_cell", "min_n", "small_count"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidSettingError(f"{name} must be a whole number >= 0, got {value!r}")


def _check_per(per: float) -> None:
    if isinstance(per, bool) or not isinstance(per, numbers.Real):
        raise InvalidSettingError(f"per must be a positive number, got {per!r}")
    if not math.isfinite(per) or per <= 0:
        raise InvalidSettingError(f"per must be a positive number, got {per!r}")


def _check_alpha(alpha: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise InvalidSettingError(f"alpha must be between 0 and 1, got {alpha}")


# ---------------------------------------------------------------------------
# Rates and risks
# ---------------------------------------------------------------------------


def rate(count: int, base: int, per: float = 1000) -> float | None:
    """Rate of ``count`` per ``per`` units of ``base`` (docs/methods.md, "Rate").

    Returns ``None`` when the base is 0 (the rate is undefined).

    >>> rate(159_200, 8_752_200)  # doctest: +ELLIPSIS
    18.18971...
    """
    c, b = _check_counts(count, base)
    _check_per(per)
    if b == 0:
        return None
    return c * per / b


def risk(count: int, base: int) -> float | None:
    """Risk = students in a group with the outcome ÷ students in the group.

    IDEA significant disproportionality (34 CFR 300.647(a)); docs/methods.md,
    "Risk and risk ratio". ``None`` when the base is 0.
    """
    c, b = _check_counts(count, base)
    if b == 0:
        return None
    return c / b


# ---------------------------------------------------------------------------
# Ratio of two rates with a confidence interval
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RatioEstimate:
    """A ratio of two rates with its interval and two-sided p-value.

    ``method`` names the interval (one of the ``METHOD_*`` constants); the
    p-value comes from the test that is dual to that interval, so the interval
    excludes 1 exactly when ``p_value < alpha`` (docs/methods.md,
    "Confidence intervals" and "p-values"). ``note`` explains any ``None``.
    """

    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    method: str | None
    p_value: float | None
    note: str | None = None


@functools.lru_cache(maxsize=64)
def _z(alpha: float) -> float:
    """The two-sided normal critical value (1.959964… for alpha 0.05). The standard
    library's inverse (Wichura's AS 241, about 1e-16 relative) agrees with SciPy's to
    the last digit and costs microseconds; a state-wide table needs it hundreds of
    times (docs/performance.md, "Disparity table benchmark")."""
    return NormalDist().inv_cdf(1.0 - alpha / 2.0)


def _normal_sf(x: float) -> float:
    """P(Z > x) for a standard normal Z, from the complementary error function."""
    return 0.5 * math.erfc(x / math.sqrt(2.0))


def _undefined(note: str) -> RatioEstimate:
    return RatioEstimate(None, None, None, None, None, note)


def _log_interval(ratio: float, se: float, alpha: float, method: str) -> RatioEstimate:
    if se == 0.0:
        # Only when both proportions are 1 (Katz): the ratio is exactly 1.
        return RatioEstimate(ratio, ratio, ratio, method, 1.0)
    z = _z(alpha)
    log_ratio = math.log(ratio)
    low = math.exp(log_ratio - z * se)
    high = math.exp(log_ratio + z * se)
    p_value = 2.0 * _normal_sf(abs(log_ratio) / se)
    return RatioEstimate(ratio, low, high, method, min(1.0, p_value))


def _exact_poisson(a: int, n1: int, b: int, n2: int, alpha: float) -> RatioEstimate:
    """Exact conditional interval for a ratio of Poisson rates.

    Given a + b events, a ~ Binomial(a + b, π) with π = RR·n1 / (RR·n1 + n2).
    The Clopper–Pearson limits for π are mapped to RR = π/(1 − π) · n2/n1; the
    p-value doubles the smaller binomial tail at RR = 1, which is the test dual
    to the Clopper–Pearson interval.
    """
    total = a + b
    ratio = (a * n2) / (b * n1)
    scale = n2 / n1
    pi_low = 0.0 if a == 0 else float(sps.beta.ppf(alpha / 2.0, a, total - a + 1))
    pi_high = float(sps.beta.ppf(1.0 - alpha / 2.0, a + 1, total - a))
    low = pi_low / (1.0 - pi_low) * scale
    high = pi_high / (1.0 - pi_high) * scale if pi_high < 1.0 else math.inf
    pi0 = n1 / (n1 + n2)
    lower_tail = float(sps.binom.cdf(a, total, pi0))
    upper_tail = float(sps.binom.sf(a - 1, total, pi0))
    p_value = min(1.0, 2.0 * min(lower_tail, upper_tail))
    return RatioEstimate(ratio, min(low, ratio), max(high, ratio), METHOD_EXACT_POISSON, p_value)


_EDGE = 1e-12


def _koopman_statistic(phi: float, x1: int, n1: int, x2: int, n2: int) -> float:
    """Koopman's score statistic for H0: p1/p2 = phi (chi-square, 1 df)."""
    s = x1 + x2
    big_n = n1 + n2
    b = phi * (n1 + x2) + x1 + n2
    disc = max(b * b - 4.0 * phi * big_n * s, 0.0)
    p2 = 2.0 * s / (b + math.sqrt(disc))  # smaller root, written to avoid cancellation
    p1 = phi * p2
    total = 0.0
    for x, n, p in ((x1, n1, p1), (x2, n2, p2)):
        p = min(max(p, 0.0), 1.0)
        if p <= _EDGE or p >= 1.0 - _EDGE:
            # On the boundary the term is 0 if the data sit there too, else infinite.
            edge = 0.0 if p <= _EDGE else 1.0
            if abs(x - n * edge) > 1e-9 * max(n, 1):
                return math.inf
            continue
        total += (x - n * p) ** 2 / (n * p * (1.0 - p))
    return total


def _koopman(a: int, n1: int, b: int, n2: int, alpha: float) -> RatioEstimate:
    """Koopman (1984) score interval for a ratio of proportions, for small counts."""
    ratio = (a * n2) / (b * n1)
    crit = float(sps.chi2.ppf(1.0 - alpha, 1))

    def excess(log_phi: float) -> float:
        value = _koopman_statistic(math.exp(log_phi), a, n1, b, n2)
        return min(value, 1e12) - crit  # keep the root finder on finite values

    # A starting point inside the interval (where the statistic is below crit).
    start = math.log(ratio) if a > 0 else math.log((0.5 / n1) / (b / n2))
    steps = 0
    while excess(start) >= 0.0 and steps < 200:
        start -= 1.0
        steps += 1
    low = 0.0
    if a > 0:
        low = math.exp(_bracket_root(excess, start, -1.0))
    high = math.exp(_bracket_root(excess, start, +1.0))
    p_value = float(sps.chi2.sf(_koopman_statistic(1.0, a, n1, b, n2), 1))
    return RatioEstimate(ratio, min(low, ratio), max(high, ratio), METHOD_KOOPMAN, p_value)


def _bracket_root(func: Callable[[float], float], inside: float, direction: float) -> float:
    """Root of ``func`` beyond ``inside`` in ``direction`` (±1) on the log scale."""
    outside = inside
    for _ in range(80):
        outside += direction
        if func(outside) >= 0.0:
            break
    else:
        return math.inf * direction
    lo, hi = sorted((inside, outside))
    return float(optimize.brentq(func, lo, hi, xtol=1e-12, rtol=1e-12))


def ratio_interval(
    count: int,
    base: int,
    ref_count: int,
    ref_base: int,
    *,
    base_kind: BaseKind = "population",
    alpha: float = 0.05,
    small_count: int = 5,
) -> RatioEstimate:
    """Ratio of a group's rate to a reference rate, with interval and p-value.

    docs/methods.md, "Relative Rate Index" and "Confidence intervals":

    - ``population`` base: log interval exp(ln RR ± z·sqrt(1/a + 1/b)); when
      either count is below ``small_count`` or zero, the exact conditional
      binomial interval for a ratio of Poisson rates.
    - ``proportion`` base: Katz log interval ln RR ± z·sqrt(1/a − 1/n1 + 1/b − 1/n2);
      for small counts, Koopman's score interval.

    The ratio is ``None`` (with a note) when either base is 0 or the reference
    rate is 0.
    """
    a, n1 = _check_counts(count, base, "group")
    b, n2 = _check_counts(ref_count, ref_base, "reference")
    _check_alpha(alpha)
    if base_kind not in ("population", "proportion"):
        raise InvalidSettingError(
            f"base_kind must be 'population' or 'proportion', got {base_kind!r}"
        )
    if isinstance(small_count, bool) or not isinstance(small_count, int) or small_count < 0:
        raise InvalidSettingError(f"small_count must be a whole number >= 0, got {small_count!r}")
    if n1 == 0:
        return _undefined("group base is 0; rate undefined")
    if n2 == 0:
        return _undefined("reference base is 0; rate undefined")
    if b == 0:
        return _undefined("reference rate is 0; ratio undefined")
    small = a == 0 or a < small_count or b < small_count
    if base_kind == "population":
        if small:
            return _exact_poisson(a, n1, b, n2, alpha)
        ratio = (a * n2) / (b * n1)
        return _log_interval(ratio, math.sqrt(1.0 / a + 1.0 / b), alpha, METHOD_WALD_POISSON)
    if small:
        return _koopman(a, n1, b, n2, alpha)
    ratio = (a * n2) / (b * n1)
    variance = 1.0 / a - 1.0 / n1 + 1.0 / b - 1.0 / n2
    return _log_interval(ratio, math.sqrt(max(variance, 0.0)), alpha, METHOD_KATZ)


def relative_rate(
    group: GroupCount,
    reference: GroupCount,
    *,
    base_kind: BaseKind = "population",
    alpha: float = 0.05,
    small_count: int = 5,
) -> RatioEstimate:
    """Relative Rate Index of ``group`` against ``reference`` (OJJDP DMC method).

    RRI = rate(group) ÷ rate(reference); the multiplier cancels. See
    :func:`ratio_interval` for the interval and docs/methods.md,
    "Relative Rate Index".
    """
    return ratio_interval(
        group.count,
        group.base,
        reference.count,
        reference.base,
        base_kind=base_kind,
        alpha=alpha,
        small_count=small_count,
    )


# ---------------------------------------------------------------------------
# IDEA risk ratio and alternate risk ratio
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskRatio:
    """Risk ratio of one group against all other students (34 CFR 300.647).

    ``alternate`` is true when the comparison is the state's other students
    because the district comparison group was below the minimum cell size or
    n-size. ``ratio`` is ``None`` with a ``note`` when no ratio may be given.
    """

    group: str
    risk: float | None
    comparison_risk: float | None
    ratio: float | None
    alternate: bool
    note: str | None


def risk_ratio(
    target: GroupCount,
    comparison: GroupCount,
    *,
    state_comparison: GroupCount | None = None,
    min_cell: int = 10,
    min_n: int = 30,
) -> RiskRatio:
    """Risk ratio, or alternate risk ratio, as IDEA defines them.

    docs/methods.md, "Risk and risk ratio":

    - risk ratio = risk(target) ÷ risk(all other students in the district),
      ``comparison`` being those other students combined;
    - when ``comparison`` is below ``min_cell`` (outcome count) or ``min_n``
      (base), the alternate risk ratio divides by the risk of all other
      students in the state (``state_comparison``) instead;
    - a ``target`` below either minimum gets no ratio.
    """
    for name, value in (("min_cell", min_cell), ("min_n", min_n)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidSettingError(f"{name} must be a whole number >= 0, got {value!r}")
    target_risk = risk(target.count, target.base)
    reasons = _below_minimums(target, min_cell, min_n, "group")
    if reasons:
        return RiskRatio(target.group, target_risk, None, None, False, "; ".join(reasons))
    chosen = comparison
    alternate = False
    note: str | None = None
    comparison_reasons = _below_minimums(comparison, min_cell, min_n, "comparison group")
    if comparison_reasons:
        if state_comparison is None:
            reason = "; ".join(comparison_reasons)
            return RiskRatio(
                target.group,
                target_risk,
                risk(comparison.count, comparison.base),
                None,
                False,
                f"{reason}; no state comparison for an alternate risk ratio",
            )
        chosen = state_comparison
        alternate = True
        note = "alternate risk ratio (state comparison): " + "; ".join(comparison_reasons)
    comparison_risk = risk(chosen.count, chosen.base)
    if not comparison_risk:
        undefined = "comparison risk is 0; ratio undefined"
        return RiskRatio(
            target.group,
            target_risk,
            comparison_risk,
            None,
            alternate,
            f"{note}; {undefined}" if note else undefined,
        )
    ratio = (target.count * chosen.base) / (chosen.count * target.base)
    return RiskRatio(target.group, target_risk, comparison_risk, ratio, alternate, note)


def _below_minimums(counts: GroupCount, min_cell: int, min_n: int, who: str) -> list[str]:
    reasons = []
    if counts.count < min_cell:
        reasons.append(f"{who} below minimum cell size ({counts.count} < {min_cell})")
    if counts.base < min_n:
        reasons.append(f"{who} below minimum n-size ({counts.base} < {min_n})")
    return reasons


# ---------------------------------------------------------------------------
# Benjamini–Hochberg false discovery rate
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FDRResult:
    """Benjamini–Hochberg adjusted p-values and decisions, in input order."""

    p_values: tuple[float, ...]
    adjusted: tuple[float, ...]
    rejected: tuple[bool, ...]
    q: float


def benjamini_hochberg(p_values: Sequence[float], q: float = 0.05) -> FDRResult:
    """Benjamini–Hochberg (1995) step-up procedure at false discovery rate ``q``.

    With the m p-values sorted, p(1) ≤ … ≤ p(m), let k be the largest i with
    p(i) ≤ i·q/m; reject the k hypotheses with the smallest p-values. The
    adjusted p-value of p(i) is min over j ≥ i of p(j)·m/j, capped at 1
    (docs/methods.md, "False discovery rate").
    """
    if not 0.0 < q <= 1.0:
        raise InvalidSettingError(f"q must be in (0, 1], got {q}")
    values = tuple(float(p) for p in p_values)
    for p in values:
        if not 0.0 <= p <= 1.0:  # also rejects NaN
            raise DisparityInputError(f"p-values must lie in [0, 1], got {p}")
    m = len(values)
    if m == 0:
        return FDRResult((), (), (), q)
    order = sorted(range(m), key=lambda i: values[i])
    adjusted = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        index = order[rank - 1]
        running = min(running, values[index] * m / rank)
        adjusted[index] = running
    cutoff = 0
    for rank in range(1, m + 1):
        if values[order[rank - 1]] * m <= rank * q:
            cutoff = rank
    rejected = [False] * m
    for rank in range(1, cutoff + 1):
        rejected[order[rank - 1]] = True
    return FDRResult(values, tuple(adjusted), tuple(rejected), q)


# ---------------------------------------------------------------------------
# Summary measures
# ---------------------------------------------------------------------------


def _non_negative(values: Sequence[float], what: str) -> list[float]:
    result = [float(v) for v in values]
    for v in result:
        if not math.isfinite(v) or v < 0:
            raise DisparityInputError(f"{what} must be finite and non-negative, got {v}")
    return result


def index_of_disparity(rates: Sequence[float], overall_rate: float) -> float | None:
    """Index of Disparity (Pearcy & Keppel 2002), in percent.

    ID = (Σ |r_i − R| / n) ÷ R × 100 with R the overall rate
    (docs/methods.md, "Index of Disparity"). ``None`` with no rates or R = 0.
    """
    values = _non_negative(rates, "rates")
    overall = _non_negative([overall_rate], "overall rate")[0]
    if not values or overall == 0.0:
        return None
    return sum(abs(r - overall) for r in values) / len(values) / overall * 100.0


def weighted_index_of_disparity(
    rates: Sequence[float], populations: Sequence[float], overall_rate: float
) -> float | None:
    """Population-weighted Index of Disparity, in percent.

    Σ w_i |r_i − R| ÷ R × 100 with w_i the group's share of the population
    (docs/methods.md, "Index of Disparity").
    """
    values = _non_negative(rates, "rates")
    weights = _non_negative(populations, "populations")
    if len(values) != len(weights):
        raise DisparityInputError("rates and populations must have the same length")
    overall = _non_negative([overall_rate], "overall rate")[0]
    total = sum(weights)
    if not values or overall == 0.0 or total == 0.0:
        return None
    return sum(w / total * abs(r - overall) for r, w in zip(values, weights, strict=True)) / (
        overall / 100.0
    )


def between_group_gini(populations: Sequence[float], outcomes: Sequence[float]) -> float | None:
    """Between-group Gini coefficient from the Lorenz curve (0 = equal rates).

    Groups are ordered by rate (outcome ÷ population), lowest first; the
    Lorenz curve joins cumulative population shares X_k to cumulative outcome
    shares Y_k and G = 1 − Σ (X_k − X_{k−1})(Y_k + Y_{k−1})
    (docs/methods.md, "Between-group Gini"). Groups with no population are
    left out. ``None`` when the total outcome or population is 0.
    """
    pops = _non_negative(populations, "populations")
    outs = _non_negative(outcomes, "outcomes")
    if len(pops) != len(outs):
        raise DisparityInputError("populations and outcomes must have the same length")
    pairs = [(p, o) for p, o in zip(pops, outs, strict=True) if p > 0]
    total_pop = sum(p for p, _ in pairs)
    total_out = sum(o for _, o in pairs)
    if total_pop == 0.0 or total_out == 0.0:
        return None
    pairs.sort(key=lambda pair: pair[1] / pair[0])
    area = 0.0
    cum_x = cum_y = 0.0
    for p, o in pairs:
        next_x = cum_x + p / total_pop
        next_y = cum_y + o / total_out
        area += (next_x - cum_x) * (next_y + cum_y)
        cum_x, cum_y = next_x, next_y
    return max(0.0, 1.0 - area)


# ---------------------------------------------------------------------------
# The disparity table
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupRow:
    """One group's line of a :class:`DisparityTable`.

    - ``rate``: count per ``per`` of base (``None`` if the base is 0);
    - ``ratio``: Relative Rate Index, rate ÷ reference rate, with ``ci_low``,
      ``ci_high``, ``ci_method`` and the two-sided ``p_value``;
    - ``p_adjusted`` and ``significant``: Benjamini–Hochberg across the
      comparisons of the table (or of tables pooled with :func:`pool_fdr`);
    - ``risk_ratio``: IDEA risk ratio against all other groups combined
      (``risk_ratio_alternate`` if the state's other students were used);
    - ``excluded``: not analysed (OJJDP 1% rule or a zero base), with ``note``.
    """

    group: str
    base: int
    count: int
    population_share: float | None
    rate: float | None
    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    ci_method: str | None
    p_value: float | None
    p_adjusted: float | None
    significant: bool
    risk_ratio: float | None
    risk_ratio_alternate: bool
    risk_ratio_note: str | None
    excluded: bool
    note: str | None


@dataclass(frozen=True)
class DisparityTable:
    """Result of :func:`disparity_table` (docs/methods.md, "The disparity table")."""

    reference: str
    per: float
    base_kind: BaseKind
    overall_rate: float | None
    index_of_disparity: float | None
    weighted_index_of_disparity: float | None
    gini: float | None
    groups: tuple[GroupRow, ...]
    settings: DisparitySettings

    def row(self, group: str) -> GroupRow:
        """The row of ``group`` (``KeyError`` if absent)."""
        for row in self.groups:
            if row.group == group:
                return row
        raise KeyError(group)


def _join(*parts: str | None) -> str | None:
    kept = [p for p in parts if p]
    return "; ".join(kept) if kept else None


def _validate_groups(groups: Sequence[GroupCount], what: str) -> list[GroupCount]:
    rows = list(groups)
    if not rows:
        raise EmptyInputError(f"no {what} given")
    seen: set[str] = set()
    for item in rows:
        if not isinstance(item, GroupCount):
            raise DisparityInputError(f"{what} must be GroupCount values, got {item!r}")
        if item.group in seen:
            raise DuplicateGroupError(f"group {item.group!r} appears more than once in {what}")
        seen.add(item.group)
    return rows


def disparity_table(
    groups: Sequence[GroupCount],
    reference: str | None = None,
    per: float | None = None,
    settings: DisparitySettings | None = None,
    *,
    state: Sequence[GroupCount] | None = None,
) -> DisparityTable:
    """Rates, relative rates, risk ratios and summary measures for one table.

    ``reference`` and ``per`` override the same fields of ``settings``.
    ``state``, if given, holds the state's counts by group; it is used only for
    the alternate risk ratio. Follows docs/methods.md, "The disparity table":

    1. rate(g) = count ÷ base × per; overall rate over all groups.
    2. A group whose base is under ``min_population_share`` of the total base
       (or is 0) is excluded from the relative rate and the summaries.
    3. ratio = rate(g) ÷ rate(reference) with its interval and p-value.
    4. Benjamini–Hochberg across the ratios of the table; ``significant``
       means rejected at ``fdr_q``.
    5. IDEA risk ratio against all other groups combined.
    6. Index of Disparity (plain and weighted) and between-group Gini over the
       analysed groups.

    Serves R-E1, R-E2 and R-I1.
    """
    chosen = settings or DisparitySettings()
    if reference is not None:
        chosen = replace(chosen, reference=reference)
    if per is not None:
        chosen = replace(chosen, per=per)
    rows = _validate_groups(groups, "groups")
    state_rows = _validate_groups(state, "state groups") if state is not None else None
    by_name = {g.group: g for g in rows}
    if chosen.reference not in by_name:
        known = ", ".join(sorted(by_name))
        raise UnknownReferenceError(
            f"unknown reference group {chosen.reference!r}; groups are: {known}"
        )
    ref = by_name[chosen.reference]
    total_base = sum(g.base for g in rows)
    total_count = sum(g.count for g in rows)
    overall_rate = total_count * chosen.per / total_base if total_base else None

    excluded: dict[str, str] = {}
    shares: dict[str, float | None] = {}
    for g in rows:
        share = g.base / total_base if total_base else None
        shares[g.group] = share
        if g.base == 0:
            excluded[g.group] = "base is 0; rate undefined"
        elif share is not None and share < chosen.min_population_share:
            excluded[g.group] = (
                f"excluded: base is {share:.2%} of the total, "
                f"below the {chosen.min_population_share:.0%} minimum"
            )

    ref_problem: str | None = None
    if ref.group in excluded:
        ref_problem = f"reference group {ref.group} not analysed ({excluded[ref.group]})"
    elif ref.count == 0:
        ref_problem = f"reference rate ({ref.group}) is 0; ratio undefined"

    state_count = sum(g.count for g in state_rows) if state_rows else 0
    state_base = sum(g.base for g in state_rows) if state_rows else 0
    state_by_name = {g.group: g for g in state_rows} if state_rows else {}

    estimates: dict[str, RatioEstimate] = {}
    for g in rows:
        if g.group == ref.group:
            continue
        if g.group in excluded:
            estimates[g.group] = _undefined(excluded[g.group])
        elif ref_problem:
            estimates[g.group] = _undefined(ref_problem)
        else:
            estimates[g.group] = relative_rate(
                g,
                ref,
                base_kind=chosen.base_kind,
                alpha=chosen.alpha,
                small_count=chosen.small_count,
            )

    tested = [name for name, est in estimates.items() if est.p_value is not None]
    fdr = benjamini_hochberg([estimates[n].p_value or 0.0 for n in tested], chosen.fdr_q)
    adjusted = dict(zip(tested, fdr.adjusted, strict=True))
    rejected = dict(zip(tested, fdr.rejected, strict=True))

    out: list[GroupRow] = []
    for g in rows:
        others = GroupCount("all other groups", total_base - g.base, total_count - g.count)
        state_others: GroupCount | None = None
        if state_rows is not None:
            own = state_by_name.get(g.group)
            state_others = GroupCount(
                "state: all other groups",
                state_base - (own.base if own else 0),
                state_count - (own.count if own else 0),
            )
        rr = risk_ratio(
            g, others, state_comparison=state_others, min_cell=chosen.min_cell, min_n=chosen.min_n
        )
        if g.group == ref.group:
            ratio = None if ref_problem else 1.0
            est = RatioEstimate(ratio, None, None, None, None)
            note = _join("reference group", ref_problem)
        else:
            est = estimates[g.group]
            note = est.note
        out.append(
            GroupRow(
                group=g.group,
                base=g.base,
                count=g.count,
                population_share=shares[g.group],
                rate=g.count * chosen.per / g.base if g.base else None,
                ratio=est.ratio,
                ci_low=_finite(est.ci_low),
                ci_high=_finite(est.ci_high),
                ci_method=est.method,
                p_value=est.p_value,
                p_adjusted=adjusted.get(g.group),
                significant=rejected.get(g.group, False),
                risk_ratio=rr.ratio,
                risk_ratio_alternate=rr.alternate,
                risk_ratio_note=rr.note,
                excluded=g.group in excluded,
                note=note,
            )
        )

    analysed = [g for g in rows if g.group not in excluded]
    rates = [g.count / g.base for g in analysed]
    overall_unit = total_count / total_base if total_base else 0.0
    return DisparityTable(
        reference=chosen.reference,
        per=chosen.per,
        base_kind=chosen.base_kind,
        overall_rate=overall_rate,
        index_of_disparity=index_of_disparity(rates, overall_unit),
        weighted_index_of_disparity=weighted_index_of_disparity(
            rates, [g.base for g in analysed], overall_unit
        ),
        gini=between_group_gini([g.base for g in analysed], [g.count for g in analysed]),
        groups=tuple(out),
        settings=chosen,
    )


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return value


def pool_fdr(
    tables: Sequence[DisparityTable], q: float | None = None
) -> tuple[DisparityTable, ...]:
    """Apply Benjamini–Hochberg across several tables released together.

    With many schools and decision points, the false discovery rate must be
    controlled over all comparisons made together, not table by table
    (docs/methods.md, "False discovery rate"). ``q`` defaults to the first
    table's ``fdr_q``. Returns new tables with ``p_adjusted`` and
    ``significant`` recomputed.
    """
    items = list(tables)
    if not items:
        return ()
    level = q if q is not None else items[0].settings.fdr_q
    keys = [
        (t_index, r_index)
        for t_index, table in enumerate(items)
        for r_index, row in enumerate(table.groups)
        if row.p_value is not None
    ]
    fdr = benjamini_hochberg([items[t].groups[r].p_value or 0.0 for t, r in keys], level)
    decisions = {
        key: (adj, rej) for key, adj, rej in zip(keys, fdr.adjusted, fdr.rejected, strict=True)
    }
    result = []
    for t_index, table in enumerate(items):
        new_rows = []
        for r_index, row in enumerate(table.groups):
            if (t_index, r_index) in decisions:
                adj, rej = decisions[(t_index, r_index)]
                new_rows.append(replace(row, p_adjusted=adj, significant=rej))
            else:
                new_rows.append(row)
        result.append(replace(table, groups=tuple(new_rows)))
    return tuple(result)
