"""Tests of opensro.analytics.stats (R-E1, R-E2, R-I1; docs/methods.md).

Plain pytest, no database. Published worked examples are reproduced to their
published precision; the source is named in each test's docstring.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from opensro.analytics import stats
from opensro.analytics.stats import (
    METHOD_EXACT_POISSON,
    METHOD_KATZ,
    METHOD_KOOPMAN,
    METHOD_WALD_POISSON,
    DisparityInputError,
    DisparitySettings,
    DuplicateGroupError,
    EmptyInputError,
    GroupCount,
    InvalidCountError,
    InvalidSettingError,
    UnknownReferenceError,
    benjamini_hochberg,
    between_group_gini,
    disparity_table,
    index_of_disparity,
    pool_fdr,
    rate,
    ratio_interval,
    relative_rate,
    risk,
    risk_ratio,
    weighted_index_of_disparity,
)

# ---------------------------------------------------------------------------
# Published worked examples
# ---------------------------------------------------------------------------

#: OJJDP National R/ED Databook, 2020, males: population at risk (age 10 to the
#: upper age of juvenile court jurisdiction) and delinquency cases referred to
#: juvenile court. Counts are published rounded to the nearest hundred.
OJJDP_2020_MALES = [
    GroupCount("WH", 8_752_200, 159_200),
    GroupCount("BL", 2_468_900, 129_700),
    GroupCount("AIAN", 310_700, 6_900),
    GroupCount("ANHPI", 988_200, 4_500),
    GroupCount("HI", 4_038_700, 71_800),
]
#: Published "Cases referred per 1,000 population" and "Ratio of rates" (males).
OJJDP_2020_MALE_RATES = {"WH": 18.2, "BL": 52.5, "AIAN": 22.2, "ANHPI": 4.6, "HI": 17.8}
OJJDP_2020_MALE_RRI = {"BL": 2.9, "AIAN": 1.2, "ANHPI": 0.3, "HI": 1.0}


def test_ojjdp_2020_referral_rates_and_relative_rate_index() -> None:
    """OJJDP relative rate index, reproduced from its published 2020 national figures.

    Sources (U.S. Department of Justice, Office of Juvenile Justice and
    Delinquency Prevention, Statistical Briefing Book, developed by the National
    Center for Juvenile Justice; released 2023):

    - counts: *National Racial and Ethnic Disparities (R/ED) Databook*, "2020 Case
      Processing Summary: by gender and race/ethnicity — Counts for Delinquency
      Offenses", Males table, rows "Population at risk (10-upper age)" and
      "Cases referred to juvenile court"
      (ojjdp.gov/ojstatbb/r-ed-databook/asp/display.asp?display_in=3);
    - published results: Data Snapshot "Case processing characteristics of
      delinquency offenses by gender and race, 2020"
      (ojjdp.gov/ojstatbb/special_topics/qa11604.asp?qaDate=2020), section
      "Cases involving males", row "Cases referred per 1,000 population":
      rates White 18.2, Black 52.5, AIAN 22.2, ANHPI 4.6, Hispanic 17.8;
      ratio of rates (to White) Black 2.9, AIAN 1.2, ANHPI 0.3, Hispanic 1.0.

    Both are reproduced at the published precision (one decimal).
    """
    reference = OJJDP_2020_MALES[0]
    for group in OJJDP_2020_MALES:
        value = rate(group.count, group.base, per=1000)
        assert value is not None
        assert round(value, 1) == OJJDP_2020_MALE_RATES[group.group]
        if group.group != "WH":
            estimate = relative_rate(group, reference)
            assert estimate.ratio is not None
            assert round(estimate.ratio, 1) == OJJDP_2020_MALE_RRI[group.group]

    table = disparity_table(OJJDP_2020_MALES, reference="WH", per=1000)
    for row in table.groups:
        assert row.rate is not None and row.ratio is not None
        assert round(row.rate, 1) == OJJDP_2020_MALE_RATES[row.group]
        if row.group == "WH":
            assert row.ratio == 1.0
        else:
            assert round(row.ratio, 1) == OJJDP_2020_MALE_RRI[row.group]
            assert row.ci_method == METHOD_WALD_POISSON
            assert not row.excluded  # every group is at least 1% of the population


#: InfluentialPoints worked example I: early macular degeneration, vitamin E trial.
VITAMIN_E = {"treated": (35, 409), "placebo": (34, 418)}


def test_katz_interval_published_example() -> None:
    """Katz log interval for a risk ratio, reproduced from a published worked example.

    Source: InfluentialPoints.com, "Confidence intervals of ratios: Risk ratio,
    odds ratio, and rate ratio", Worked example I (effect of vitamin E on the
    incidence of early macular degeneration; undated web page): 35 positive of
    409 treated, 34 positive of 418 on placebo; SE(ln RR) = √0.05315 = 0.23054;
    "Risk ratio = 1.052 (0.670 - 1.653)"; Pearson's chi-square P = 0.826.
    """
    (a, n1), (b, n2) = VITAMIN_E["treated"], VITAMIN_E["placebo"]
    estimate = ratio_interval(a, n1, b, n2, base_kind="proportion")
    assert estimate.method == METHOD_KATZ
    assert estimate.ratio is not None and estimate.ci_low is not None
    assert estimate.ci_high is not None
    assert round(estimate.ratio, 3) == 1.052
    assert round(estimate.ci_low, 3) == 0.670
    assert round(estimate.ci_high, 3) == 1.653
    se = math.sqrt(1 / a - 1 / n1 + 1 / b - 1 / n2)
    assert round(se**2, 5) == 0.05315
    assert round(math.sqrt(0.05315), 5) == 0.23054  # the page takes the root of 0.05315
    assert se == pytest.approx(0.23054, abs=1e-5)

    # The score test at RR = 1 is Pearson's chi-square, the P the page reports.
    score = ratio_interval(a, n1, b, n2, base_kind="proportion", small_count=10_000)
    assert score.method == METHOD_KOOPMAN
    assert score.p_value is not None and round(score.p_value, 3) == 0.826


#: Benjamini & Hochberg (1995): the 15 p-values of their worked example.
BH_1995 = [
    0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344,
    0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.0000,
]  # fmt: skip


def test_benjamini_hochberg_published_example() -> None:
    """Benjamini–Hochberg step-up, reproduced from the original paper.

    Source: Y. Benjamini and Y. Hochberg, "Controlling the false discovery rate:
    a practical and powerful approach to multiple testing", Journal of the
    Royal Statistical Society, Series B, 57(1):289–300, 1995 (Royal Statistical
    Society): the worked example with 15 p-values (data of Neuhaus et al.)
    rejects the four smallest at q = 0.05 (p(4) = 0.0095 ≤ 4·0.05/15 = 0.0133,
    while p(5) .. p(15) all exceed their thresholds).
    """
    result = benjamini_hochberg(BH_1995, q=0.05)
    assert result.rejected == (True,) * 4 + (False,) * 11
    assert sum(result.rejected) == 4


def test_benjamini_hochberg_matches_scipy() -> None:
    expected = sps.false_discovery_control(BH_1995, method="bh")
    result = benjamini_hochberg(BH_1995, q=0.05)
    assert result.adjusted == pytest.approx(list(expected), rel=1e-12, abs=1e-15)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=40),
    st.sampled_from([0.01, 0.05, 0.1, 0.25]),
)
def test_benjamini_hochberg_agrees_with_scipy_everywhere(p: list[float], q: float) -> None:
    result = benjamini_hochberg(p, q=q)
    expected = sps.false_discovery_control(p, method="bh")
    assert result.adjusted == pytest.approx(list(expected), rel=1e-9, abs=1e-12)
    # The step-up decision and "adjusted ≤ q" agree (away from exact ties with q).
    for adjusted, rejected in zip(result.adjusted, result.rejected, strict=True):
        if abs(adjusted - q) > 1e-12:
            assert rejected == (adjusted <= q)


def test_benjamini_hochberg_order_ties_and_edges() -> None:
    shuffled = [BH_1995[i] for i in (14, 3, 0, 9, 2, 1, 5, 4, 6, 7, 8, 10, 11, 12, 13)]
    result = benjamini_hochberg(shuffled)
    assert sum(result.rejected) == 4
    assert {p for p, r in zip(shuffled, result.rejected, strict=True) if r} == set(BH_1995[:4])
    assert benjamini_hochberg([]).rejected == ()
    tied = benjamini_hochberg([0.04, 0.04, 0.04])
    assert tied.rejected == (True, True, True)
    assert tied.adjusted == (0.04, 0.04, 0.04)
    with pytest.raises(DisparityInputError):
        benjamini_hochberg([0.5, 1.5])
    with pytest.raises(DisparityInputError):
        benjamini_hochberg([math.nan])
    with pytest.raises(InvalidSettingError):
        benjamini_hochberg([0.5], q=0.0)


# ---------------------------------------------------------------------------
# Cross-checks against reference software
# ---------------------------------------------------------------------------


def test_exact_poisson_interval_matches_r_poisson_test() -> None:
    """R ``stats::poisson.test(c(11, 6+8+7), c(800, 1083+1050+878))`` (its help example).

    R prints rate ratio 1.971488 and 95% CI 0.8584264 to 4.2772659 (the
    Clopper–Pearson conditional interval used here). R's p-value (0.07967)
    uses a different two-sided rule from the doubled tail used here.
    """
    estimate = ratio_interval(11, 800, 21, 3011, small_count=1000)
    assert estimate.method == METHOD_EXACT_POISSON
    assert estimate.ratio == pytest.approx(1.971488, abs=5e-7)
    assert estimate.ci_low == pytest.approx(0.8584264, abs=5e-8)
    assert estimate.ci_high == pytest.approx(4.2772659, abs=5e-8)
    assert sps.binomtest(11, 32, 800 / 3811).pvalue == pytest.approx(0.07967, abs=5e-6)


def test_koopman_interval_matches_r_propcis() -> None:
    """R ``PropCIs::riskscoreci(7, 34, 1, 34, 0.95)`` gives 1.220853 to 42.575718."""
    estimate = ratio_interval(7, 34, 1, 34, base_kind="proportion")
    assert estimate.method == METHOD_KOOPMAN
    assert estimate.ci_low == pytest.approx(1.220853, abs=5e-7)
    assert estimate.ci_high == pytest.approx(42.575718, abs=5e-6)


def test_wald_poisson_interval_formula() -> None:
    estimate = ratio_interval(200, 10_000, 100, 10_000)
    assert estimate.method == METHOD_WALD_POISSON
    z = sps.norm.ppf(0.975)
    se = math.sqrt(1 / 200 + 1 / 100)
    assert estimate.ratio == 2.0
    assert estimate.ci_low == pytest.approx(2.0 * math.exp(-z * se))
    assert estimate.ci_high == pytest.approx(2.0 * math.exp(z * se))
    assert estimate.p_value == pytest.approx(2 * sps.norm.sf(math.log(2.0) / se))


# ---------------------------------------------------------------------------
# Rates, ratios and edge cases
# ---------------------------------------------------------------------------


def test_rate_and_risk() -> None:
    assert rate(5, 1000) == 5.0
    assert rate(5, 200, per=100) == 2.5
    assert rate(0, 0) is None
    assert risk(3, 12) == 0.25
    assert risk(0, 0) is None
    with pytest.raises(InvalidCountError):
        rate(-1, 10)
    with pytest.raises(InvalidCountError):
        rate(11, 10)
    with pytest.raises(InvalidCountError):
        rate(1.5, 10)  # type: ignore[arg-type]
    with pytest.raises(InvalidCountError):
        rate(True, 10)  # type: ignore[arg-type]
    with pytest.raises(InvalidSettingError):
        rate(1, 10, per=0)


def test_group_count_validation() -> None:
    with pytest.raises(InvalidCountError, match="negative"):
        GroupCount("BL", -1, 0)
    with pytest.raises(InvalidCountError, match="larger than its base"):
        GroupCount("BL", 10, 11)
    with pytest.raises(DisparityInputError, match="non-empty"):
        GroupCount("  ", 10, 1)
    assert issubclass(InvalidCountError, ValueError)


def test_ratio_undefined_cases() -> None:
    with pytest.raises(InvalidCountError, match="group: count 1 is larger than its base 0"):
        ratio_interval(1, 0, 1, 10)
    assert ratio_interval(0, 0, 1, 10).ratio is None
    assert "group base is 0" in (ratio_interval(0, 0, 1, 10).note or "")
    assert "reference base is 0" in (ratio_interval(1, 10, 0, 0).note or "")
    undefined = ratio_interval(3, 10, 0, 10)
    assert undefined.ratio is None and undefined.ci_low is None and undefined.p_value is None
    assert "reference rate is 0" in (undefined.note or "")


@pytest.mark.parametrize("kind", ["population", "proportion"])
def test_zero_group_count_uses_small_sample_method(kind: stats.BaseKind) -> None:
    estimate = ratio_interval(0, 500, 20, 500, base_kind=kind)
    assert estimate.ratio == 0.0
    assert estimate.ci_low == 0.0
    assert estimate.ci_high is not None and 0 < estimate.ci_high < 1
    assert estimate.method in (METHOD_EXACT_POISSON, METHOD_KOOPMAN)
    assert estimate.p_value is not None and estimate.p_value < 0.05


def test_small_count_threshold_switches_method() -> None:
    assert ratio_interval(4, 1000, 50, 1000).method == METHOD_EXACT_POISSON
    assert ratio_interval(5, 1000, 50, 1000).method == METHOD_WALD_POISSON
    assert ratio_interval(50, 1000, 4, 1000).method == METHOD_EXACT_POISSON
    assert ratio_interval(4, 1000, 50, 1000, base_kind="proportion").method == METHOD_KOOPMAN
    assert ratio_interval(5, 1000, 50, 1000, base_kind="proportion").method == METHOD_KATZ
    # Zero always takes the small-sample route, whatever the threshold.
    assert ratio_interval(0, 1000, 50, 1000, small_count=0).method == METHOD_EXACT_POISSON


def test_all_events_in_both_groups() -> None:
    katz = ratio_interval(40, 40, 30, 30, base_kind="proportion")
    assert katz.ratio == 1.0 and katz.p_value == 1.0
    score = ratio_interval(4, 4, 4, 4, base_kind="proportion")
    assert score.ratio == 1.0 and score.p_value == pytest.approx(1.0)
    assert score.ci_low is not None and score.ci_high is not None
    assert score.ci_low < 1.0 < score.ci_high


def test_interval_and_p_value_agree() -> None:
    for args in [(30, 1000, 18, 1000), (3, 100, 1, 400), (0, 50, 9, 60), (12, 40, 4, 41)]:
        for kind in ("population", "proportion"):
            estimate = ratio_interval(*args, base_kind=kind)  # type: ignore[arg-type]
            assert estimate.ci_low is not None and estimate.ci_high is not None
            assert estimate.p_value is not None
            excludes_one = estimate.ci_low > 1.0 or estimate.ci_high < 1.0
            assert excludes_one == (estimate.p_value < 0.05), (args, kind, estimate)


# ---------------------------------------------------------------------------
# Property tests
# ---------------------------------------------------------------------------

counts_and_bases = st.integers(min_value=1, max_value=300).flatmap(
    lambda c: st.tuples(st.just(c), st.integers(min_value=c, max_value=c + 20_000))
)
maybe_zero_counts = st.integers(min_value=0, max_value=300).flatmap(
    lambda c: st.tuples(st.just(c), st.integers(min_value=max(c, 1), max_value=c + 20_000))
)
kinds = st.sampled_from(["population", "proportion"])


@settings(max_examples=150, deadline=None)
@given(counts_and_bases, kinds)
def test_group_against_itself_gives_ratio_one(pair: tuple[int, int], kind: str) -> None:
    count, base = pair
    group = GroupCount("G", base, count)
    estimate = relative_rate(group, group, base_kind=kind)  # type: ignore[arg-type]
    assert estimate.ratio == 1.0
    assert estimate.ci_low is not None and estimate.ci_high is not None
    assert estimate.ci_low <= 1.0 <= estimate.ci_high
    assert estimate.p_value == pytest.approx(1.0)


@settings(max_examples=200, deadline=None)
@given(maybe_zero_counts, counts_and_bases, kinds)
def test_interval_contains_the_estimate(
    group: tuple[int, int], reference: tuple[int, int], kind: str
) -> None:
    estimate = ratio_interval(*group, *reference, base_kind=kind)  # type: ignore[arg-type]
    assert estimate.ratio is not None
    assert estimate.ci_low is not None and estimate.ci_high is not None
    assert 0.0 <= estimate.ci_low <= estimate.ratio <= estimate.ci_high
    assert estimate.p_value is not None and 0.0 <= estimate.p_value <= 1.0


@settings(max_examples=150, deadline=None)
@given(maybe_zero_counts, counts_and_bases, st.integers(min_value=2, max_value=50), kinds)
def test_scaling_counts_and_bases_keeps_ratios(
    group: tuple[int, int], reference: tuple[int, int], k: int, kind: str
) -> None:
    (a, n1), (b, n2) = group, reference
    small = ratio_interval(a, n1, b, n2, base_kind=kind)  # type: ignore[arg-type]
    large = ratio_interval(k * a, k * n1, k * b, k * n2, base_kind=kind)  # type: ignore[arg-type]
    assert small.ratio == large.ratio
    groups = [GroupCount("WH", n2, b), GroupCount("BL", n1, a)]
    scaled = [GroupCount(g.group, k * g.base, k * g.count) for g in groups]
    t1 = disparity_table(groups, settings=DisparitySettings(min_cell=0, min_n=0))
    t2 = disparity_table(scaled, settings=DisparitySettings(min_cell=0, min_n=0))
    for r1, r2 in zip(t1.groups, t2.groups, strict=True):
        assert r1.ratio == r2.ratio
        assert r1.rate == pytest.approx(r2.rate)
        assert r1.risk_ratio == pytest.approx(r2.risk_ratio)
    for name in ("index_of_disparity", "weighted_index_of_disparity", "gini"):
        assert getattr(t1, name) == pytest.approx(getattr(t2, name), abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(maybe_zero_counts, counts_and_bases, st.integers(min_value=2, max_value=50), kinds)
def test_intervals_widen_as_counts_shrink(
    group: tuple[int, int], reference: tuple[int, int], k: int, kind: str
) -> None:
    """Same rates, k times fewer counts: the interval is at least as wide."""
    (a, n1), (b, n2) = group, reference
    small = ratio_interval(a, n1, b, n2, base_kind=kind)  # type: ignore[arg-type]
    large = ratio_interval(k * a, k * n1, k * b, k * n2, base_kind=kind)  # type: ignore[arg-type]
    assert small.ci_low is not None and small.ci_high is not None
    assert large.ci_low is not None and large.ci_high is not None
    assert small.ci_high - small.ci_low >= (large.ci_high - large.ci_low) * (1 - 1e-9)
    if small.ci_low > 0 and large.ci_low > 0:
        assert math.log(small.ci_high / small.ci_low) >= math.log(large.ci_high / large.ci_low) * (
            1 - 1e-9
        )


def test_intervals_widen_on_a_fixed_example() -> None:
    widths = []
    for k in (1, 2, 10, 100):
        estimate = ratio_interval(3 * k, 100 * k, 2 * k, 100 * k)
        assert estimate.ratio == pytest.approx(1.5)
        assert estimate.ci_low is not None and estimate.ci_high is not None
        widths.append(estimate.ci_high - estimate.ci_low)
    assert widths == sorted(widths, reverse=True)


# ---------------------------------------------------------------------------
# IDEA risk ratio and alternate risk ratio
# ---------------------------------------------------------------------------


def test_risk_ratio_against_all_other_students() -> None:
    result = risk_ratio(GroupCount("BL", 200, 20), GroupCount("others", 800, 40))
    assert result.risk == 0.1
    assert result.comparison_risk == 0.05
    assert result.ratio == 2.0
    assert not result.alternate and result.note is None


def test_alternate_risk_ratio_when_comparison_is_small() -> None:
    target = GroupCount("BL", 400, 40)
    small_cell = GroupCount("others", 100, 4)  # below the minimum cell size of 10
    state = GroupCount("state others", 100_000, 2_500)
    result = risk_ratio(target, small_cell, state_comparison=state)
    assert result.alternate
    assert result.ratio == pytest.approx(0.1 / 0.025)
    assert result.comparison_risk == 0.025
    assert "minimum cell size" in (result.note or "")

    small_n = GroupCount("others", 25, 12)  # below the minimum n-size of 30
    result = risk_ratio(target, small_n, state_comparison=state)
    assert result.alternate and "minimum n-size" in (result.note or "")

    without_state = risk_ratio(target, small_cell)
    assert without_state.ratio is None and not without_state.alternate
    assert "no state comparison" in (without_state.note or "")


def test_risk_ratio_group_below_minimums_gets_none() -> None:
    others = GroupCount("others", 1000, 100)
    few = risk_ratio(GroupCount("AM", 100, 9), others)
    assert few.ratio is None and "minimum cell size (9 < 10)" in (few.note or "")
    small = risk_ratio(GroupCount("AM", 29, 12), others)
    assert small.ratio is None and "minimum n-size (29 < 30)" in (small.note or "")
    relaxed = risk_ratio(GroupCount("AM", 29, 9), others, min_cell=5, min_n=20)
    assert relaxed.ratio == pytest.approx((9 / 29) / 0.1)
    with pytest.raises(InvalidSettingError):
        risk_ratio(GroupCount("AM", 29, 9), others, min_cell=-1)


def test_risk_ratio_zero_comparison_risk() -> None:
    state = GroupCount("state others", 5000, 0)
    result = risk_ratio(
        GroupCount("BL", 100, 20), GroupCount("others", 100, 0), state_comparison=state
    )
    assert result.ratio is None and result.alternate
    assert "comparison risk is 0" in (result.note or "")


# ---------------------------------------------------------------------------
# Summary measures
# ---------------------------------------------------------------------------


def test_index_of_disparity_hand_computed() -> None:
    # Rates 10%, 20%, 30% of equal groups; overall 20%: ID = (10 + 0 + 10)/3 / 20 × 100.
    assert index_of_disparity([0.1, 0.2, 0.3], 0.2) == pytest.approx(100 / 3)
    assert weighted_index_of_disparity([0.1, 0.2, 0.3], [1, 1, 1], 0.2) == pytest.approx(100 / 3)
    # Unequal groups: 10/100 and 90/300, overall 100/400 = 0.25.
    assert index_of_disparity([0.1, 0.3], 0.25) == pytest.approx(40.0)
    assert weighted_index_of_disparity([0.1, 0.3], [100, 300], 0.25) == pytest.approx(30.0)
    assert index_of_disparity([0.2, 0.2], 0.2) == 0.0
    assert index_of_disparity([], 0.2) is None
    assert index_of_disparity([0.0, 0.0], 0.0) is None
    with pytest.raises(DisparityInputError):
        index_of_disparity([-0.1], 0.2)
    with pytest.raises(DisparityInputError):
        weighted_index_of_disparity([0.1], [1, 2], 0.2)


def test_gini_hand_computed() -> None:
    # Equal populations with rates 10, 20, 30: Lorenz points (1/3, 1/6), (2/3, 1/2), (1, 1).
    assert between_group_gini([100, 100, 100], [10, 20, 30]) == pytest.approx(2 / 9)
    assert between_group_gini([100, 300], [5, 15]) == pytest.approx(0.0)
    # Order of the input does not matter: groups are sorted by rate.
    assert between_group_gini([100, 100, 100], [30, 10, 20]) == pytest.approx(2 / 9)
    assert between_group_gini([100, 100], [0, 0]) is None
    assert between_group_gini([0, 100], [0, 10]) == pytest.approx(0.0)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.integers(min_value=1, max_value=5000).flatmap(
            lambda n: st.tuples(st.just(n), st.integers(min_value=0, max_value=n))
        ),
        min_size=1,
        max_size=8,
    )
)
def test_gini_equals_mean_difference_formula(pairs: list[tuple[int, int]]) -> None:
    pops = [p for p, _ in pairs]
    outs = [o for _, o in pairs]
    assume(sum(outs) > 0)
    total = sum(pops)
    mean = sum(outs) / total
    rates = [o / p for p, o in pairs]
    weights = [p / total for p in pops]
    mean_difference = sum(
        wi * wj * abs(ri - rj)
        for wi, ri in zip(weights, rates, strict=True)
        for wj, rj in zip(weights, rates, strict=True)
    )
    gini = between_group_gini(pops, outs)
    assert gini is not None
    assert gini == pytest.approx(mean_difference / (2 * mean), abs=1e-9)
    assert 0.0 <= gini <= 1.0


# ---------------------------------------------------------------------------
# The disparity table
# ---------------------------------------------------------------------------


def _school() -> list[GroupCount]:
    return [
        GroupCount("WH", 2000, 20),
        GroupCount("BL", 800, 32),
        GroupCount("HI", 1000, 12),
        GroupCount("AS", 150, 0),
        GroupCount("TR", 30, 2),  # 0.75% of 3,980: excluded by the 1% rule
    ]


def test_disparity_table_structure() -> None:
    table = disparity_table(_school())
    assert table.reference == "WH" and table.per == 1000
    assert table.overall_rate == pytest.approx(66 * 1000 / 3980)
    wh, bl, hi, asian, tr = table.groups
    assert wh.ratio == 1.0 and wh.p_value is None and not wh.significant
    assert wh.note == "reference group"
    assert bl.rate == 40.0 and bl.ratio == 4.0
    assert bl.ci_method == METHOD_WALD_POISSON
    assert bl.significant and bl.p_adjusted is not None
    assert hi.ratio == pytest.approx(1.2) and not hi.significant
    assert asian.ratio == 0.0 and asian.ci_method == METHOD_EXACT_POISSON
    assert asian.ci_low == 0.0 and asian.ci_high is not None
    assert tr.excluded and tr.ratio is None and tr.p_value is None
    assert "below the 1% minimum" in (tr.note or "")
    assert tr.rate == pytest.approx(2000 / 30)
    # IDEA risk ratio: BL against all other groups combined.
    assert bl.risk_ratio == pytest.approx((32 / 800) / (34 / 3180))
    assert asian.risk_ratio is None and "minimum cell size" in (asian.risk_ratio_note or "")
    # BH across the three analysed comparisons.
    family = [r.p_value for r in (bl, hi, asian)]
    expected = benjamini_hochberg([p or 0.0 for p in family]).adjusted
    assert [bl.p_adjusted, hi.p_adjusted, asian.p_adjusted] == list(expected)
    # Summaries over the analysed groups (TR left out), overall rate from all groups.
    analysed = [g for g in _school() if g.group != "TR"]
    overall = 66 / 3980
    rates = [g.count / g.base for g in analysed]
    assert table.index_of_disparity == pytest.approx(index_of_disparity(rates, overall))
    assert table.weighted_index_of_disparity == pytest.approx(
        weighted_index_of_disparity(rates, [g.base for g in analysed], overall)
    )
    assert table.gini == pytest.approx(
        between_group_gini([g.base for g in analysed], [g.count for g in analysed])
    )
    assert table.row("BL") is bl
    with pytest.raises(KeyError):
        table.row("XX")


def test_disparity_table_reference_rate_zero() -> None:
    table = disparity_table(
        [GroupCount("WH", 1000, 0), GroupCount("BL", 1000, 10)], settings=DisparitySettings()
    )
    for row in table.groups:
        assert row.ratio is None and row.ci_low is None and not row.significant
        assert "reference rate (WH) is 0" in (row.note or "")


def test_disparity_table_reference_excluded_by_one_percent_rule() -> None:
    table = disparity_table([GroupCount("WH", 50, 5), GroupCount("BL", 10_000, 100)])
    assert all(row.ratio is None for row in table.groups)
    assert "reference group WH not analysed" in (table.row("BL").note or "")


def test_disparity_table_zero_base_and_all_zero() -> None:
    table = disparity_table(
        [GroupCount("WH", 1000, 10), GroupCount("HP", 0, 0), GroupCount("BL", 900, 0)]
    )
    hp = table.row("HP")
    assert hp.rate is None and hp.ratio is None and hp.excluded
    assert "base is 0" in (hp.note or "")
    assert table.row("BL").ratio == 0.0

    empty = disparity_table([GroupCount("WH", 0, 0), GroupCount("BL", 0, 0)])
    assert empty.overall_rate is None and empty.gini is None
    assert empty.index_of_disparity is None and empty.weighted_index_of_disparity is None

    none = disparity_table([GroupCount("WH", 100, 0), GroupCount("BL", 100, 0)])
    assert none.overall_rate == 0.0 and none.index_of_disparity is None and none.gini is None


def test_disparity_table_options_and_errors() -> None:
    groups = _school()
    per_100 = disparity_table(groups, reference="BL", per=100)
    assert per_100.reference == "BL" and per_100.row("BL").ratio == 1.0
    assert per_100.row("WH").rate == 1.0
    assert per_100.row("WH").ratio == pytest.approx(0.25)
    proportion = disparity_table(groups, settings=DisparitySettings(base_kind="proportion"))
    assert proportion.row("BL").ci_method == METHOD_KATZ
    with pytest.raises(UnknownReferenceError, match="unknown reference group 'XX'"):
        disparity_table(groups, reference="XX")
    with pytest.raises(UnknownReferenceError, match="'WH'"):
        disparity_table([GroupCount("BL", 10, 1)])
    with pytest.raises(DuplicateGroupError, match="'BL'"):
        disparity_table([*groups, GroupCount("BL", 10, 1)])
    with pytest.raises(EmptyInputError):
        disparity_table([])
    with pytest.raises(DisparityInputError):
        disparity_table([("WH", 10, 1)])  # type: ignore[list-item]
    for bad in (
        {"alpha": 0.0},
        {"fdr_q": 1.5},
        {"min_population_share": 1.0},
        {"min_cell": -1},
        {"per": 0},
        {"per": math.inf},
        {"base_kind": "rates"},
        {"reference": ""},
    ):
        with pytest.raises(InvalidSettingError):
            DisparitySettings(**bad)  # type: ignore[arg-type]


def test_disparity_table_alternate_risk_ratio_with_state() -> None:
    district = [GroupCount("WH", 40, 3), GroupCount("BL", 400, 40)]
    state = [GroupCount("WH", 90_000, 1_800), GroupCount("BL", 30_000, 1_500)]
    without = disparity_table(district)
    assert without.row("BL").risk_ratio is None
    assert "no state comparison" in (without.row("BL").risk_ratio_note or "")
    with_state = disparity_table(district, state=state)
    bl = with_state.row("BL")
    assert bl.risk_ratio_alternate
    assert bl.risk_ratio == pytest.approx(0.1 / (1_800 / 90_000))


def test_pool_fdr_across_tables() -> None:
    school_a = disparity_table(
        [GroupCount("WH", 1000, 10), GroupCount("BL", 1000, 19), GroupCount("HI", 1000, 30)]
    )
    school_b = disparity_table([GroupCount("WH", 1000, 10), GroupCount("BL", 1000, 25)])
    pooled = pool_fdr([school_a, school_b])
    p_values = [
        row.p_value for t in (school_a, school_b) for row in t.groups if row.p_value is not None
    ]
    expected = benjamini_hochberg([p or 0.0 for p in p_values], q=0.05)
    got = [row.p_adjusted for t in pooled for row in t.groups if row.p_value is not None]
    assert got == list(expected.adjusted)
    flags = [row.significant for t in pooled for row in t.groups if row.p_value is not None]
    assert flags == list(expected.rejected)
    assert pool_fdr([]) == ()


def test_module_has_no_django_dependency() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import opensro.analytics.stats as s; "
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules); "
        "print(s.rate(1, 10))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "100.0"
