"""The early-warning statistics (R-F1), pure functions, no database.

Published worked examples are reproduced; the source is named in each test's
docstring. Property tests check what must hold for any counts.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from opensro.supervision.early_warning import (
    EarlyWarningInputError,
    OfficerPeriod,
    analyse,
    conditional_poisson_greater,
    discrete_bh,
    fisher_greater,
    marshall_shrinkage,
    size_band,
)

# --------------------------------------------------------------------------- worked examples


def test_fisher_lady_tasting_tea() -> None:
    """One-sided Fisher exact test, the original worked example.

    Source: R. A. Fisher, *The Design of Experiments* (1935), chapter II: eight cups, four
    with milk first; a taster who names three of the four correctly has a one-sided
    p-value of 17/70 = 0.243 (16 + 1 of the 70 equally likely choices are at least as
    good), and all four correct has probability 1/70 = 0.0143, the smallest attainable.
    As a table: 3 of 4 "milk first" cups named so against 1 of 4 "tea first" cups.
    """
    p, p_min = fisher_greater(3, 4, 1, 4)
    assert p == pytest.approx(17 / 70, abs=1e-12)
    assert p_min == pytest.approx(1 / 70, abs=1e-12)
    p4, _ = fisher_greater(4, 4, 0, 4)
    assert p4 == pytest.approx(1 / 70, abs=1e-12)


def test_conditional_poisson_r_poisson_test_example() -> None:
    """Exact comparison of two Poisson rates, conditional on the total.

    Source: R documentation of ``poisson.test`` (package stats), example "eba1977,
    compare Fredericia to other three cities for ages 55-59":
    ``poisson.test(c(11, 6+8+7), c(800, 1083+1050+878))`` prints
    "count1 = 11, expected count1 = 6.7174, p-value = 0.07967" and
    "rate ratio 1.971488" (two-sided, by the binomial test of 11 of 32 against
    800/3811, which ``scipy.stats.binomtest`` reproduces). The one-sided p-value used
    here is the upper tail of the same binomial: P(X ≥ 11 | 32, 800/3811).
    """
    a, n1, b, n2 = 11, 800, 6 + 8 + 7, 1083 + 1050 + 878
    p, p_min = conditional_poisson_greater(a, n1, b, n2)
    pi = n1 / (n1 + n2)
    assert (a + b) * pi == pytest.approx(6.7174, abs=5e-5)  # "expected count1"
    assert (a / n1) / (b / n2) == pytest.approx(1.971488, abs=5e-7)  # "rate ratio"
    assert sps.binomtest(a, a + b, pi).pvalue == pytest.approx(0.07967, abs=5e-6)
    upper = sum(math.comb(a + b, k) * pi**k * (1 - pi) ** (a + b - k)
                for k in range(a, a + b + 1))
    assert p == pytest.approx(upper, rel=1e-12)
    assert p == pytest.approx(0.056009, abs=5e-6)
    assert p_min == pytest.approx(pi**32, rel=1e-12)


def test_analyse_reports_the_r_example_as_one_sro_against_one_peer() -> None:
    """The same numbers through ``analyse`` (per 1,000 enrolled, one peer): the expected
    count is the peer rate times the exposure and the ratio is R's rate ratio."""
    rows = [OfficerPeriod("fredericia", "high", "x", 32, 800.0, {"arrest": 11}),
            OfficerPeriod("others", "high", "x", 32, 3011.0, {"arrest": 21})]
    result = next(r for r in analyse(rows, measures=["arrest"]).results
                  if r.officer == "fredericia" and r.base == "enrollment")
    assert result.expected == pytest.approx(21 / 3011 * 800)
    assert result.ratio == pytest.approx(1.971488, abs=5e-7)
    assert result.p_value == pytest.approx(0.056009, abs=5e-6)
    assert result.peer is not None and result.peer.officers == 1


def test_marshall_shrinkage_hand_computed() -> None:
    """Marshall (1991) global moment estimator, worked by hand.

    O = (10, 2, 6), E = (4, 4, 4): θ = (2.5, 0.5, 1.5), m = 18/12 = 1.5,
    s² = 4·(1 + 1 + 0)/12 = 2/3, Ē = 4, A = 2/3 − 1.5/4 = 0.291667,
    weight = A/(A + m/E) = 0.291667/0.666667 = 0.4375; shrunk = 1.5 ± 0.4375.
    """
    shrunk = marshall_shrinkage([10, 2, 6], [4.0, 4.0, 4.0])
    assert shrunk == pytest.approx([1.9375, 1.0625, 1.5])


def test_marshall_shrinkage_edges() -> None:
    assert marshall_shrinkage([5, 5], [1.0, 1.0]) == [None, None]  # too few to learn from
    # No more spread than chance: every ratio becomes the overall one.
    assert marshall_shrinkage([4, 4, 4], [4.0, 4.0, 4.0]) == [1.0, 1.0, 1.0]
    assert marshall_shrinkage([3, 1, 2, 0], [0.0, 2.0, 2.0, 2.0])[0] is None


def test_tarone_sets_aside_tests_that_cannot_reach_significance() -> None:
    """Tarone's rule (Gilbert 2005): with q = 0.1, the tests whose smallest attainable
    p-value exceeds q/K are set aside; K is the smallest with M(K) ≤ K."""
    p_values = [0.001, 0.02, 0.5, 0.5, 0.5]
    min_p = [1e-6, 1e-4, 0.3, 0.3, 0.3]  # three tests could never be significant
    adjusted, rejected = discrete_bh(p_values, min_p, 0.1)
    assert adjusted[2:] == [None, None, None]
    # Benjamini–Hochberg on the two kept: 0.001·2/1 = 0.002, 0.02·2/2 = 0.02.
    assert adjusted[:2] == pytest.approx([0.002, 0.02])
    assert rejected == [True, True, False, False, False]
    # Plain BH over all five would have adjusted the second to 0.05.
    from opensro.analytics.stats import benjamini_hochberg

    assert benjamini_hochberg(p_values, 0.1).adjusted[1] == pytest.approx(0.05)


def test_tarone_keeps_everything_when_every_test_could_be_significant() -> None:
    from opensro.analytics.stats import benjamini_hochberg

    p_values = [0.001, 0.02, 0.04, 0.3]
    adjusted, rejected = discrete_bh(p_values, [1e-9] * 4, 0.1)
    plain = benjamini_hochberg(p_values, 0.1)
    assert adjusted == pytest.approx(list(plain.adjusted))
    assert rejected == list(plain.rejected)


# --------------------------------------------------------------------------- the analysis


def program(n: int, outlier: dict[str, int] | None = None, contacts: int = 300,
            level: str = "high") -> list[OfficerPeriod]:
    """``n`` SROs with the same counts, the first one with ``outlier`` counts."""
    base = {"arrest": 9, "citation": 15, "search": 8, "seizure": 3, "use_of_force": 1,
            "restraint": 3}
    rows = [OfficerPeriod(k, level, "1,000–1,999", contacts, 1500.0, dict(base))
            for k in range(n)]
    if outlier:
        rows[0] = OfficerPeriod(0, level, "1,000–1,999", contacts, 1500.0,
                                {**base, **outlier})
    return rows


def test_planted_outlier_is_flagged_and_nobody_else() -> None:
    result = analyse(program(12, {"arrest": 30}))
    flagged = {(r.officer, r.measure) for r in result.significant()}
    assert flagged == {(0, "arrest")}
    arrest = [r for r in result.for_officer(0) if r.measure == "arrest"]
    assert {r.base for r in arrest} == {"contact", "enrollment"}
    for r in arrest:
        assert r.ratio == pytest.approx(30 / 9) and r.expected == pytest.approx(9)
        assert r.q_value is not None and r.q_value < 0.001
        assert r.shrunk_ratio is not None and 1 < r.shrunk_ratio < r.ratio
    assert result.tested + result.set_aside == 12 * 6 * 2


def test_identical_sros_are_never_flagged() -> None:
    assert analyse(program(15)).significant() == []


def test_two_sros_work_and_small_counts_do_not_flag() -> None:
    """A program of two: each is compared with the other; 3 against 1 is not enough."""
    rows = [OfficerPeriod("a", "high", "x", 100, 900.0, {"restraint": 3}),
            OfficerPeriod("b", "middle", "y", 100, 700.0, {"restraint": 1})]
    result = analyse(rows, measures=["restraint"])
    for r in result.for_officer("a"):
        assert r.peer is not None and r.peer.group == "stage" and r.peer.officers == 1
        assert r.p_value is not None and r.p_value > 0.1
    assert result.significant() == []


def test_elementary_and_secondary_schools_are_never_compared() -> None:
    rows = [OfficerPeriod("hs", "high", "x", 300, 1500.0, {"arrest": 30}),
            OfficerPeriod("el", "elementary", "y", 300, 500.0, {"arrest": 1})]
    result = analyse(rows, measures=["arrest"])
    for r in result.results:
        assert r.p_value is None and r.note == "no peer SRO at similar schools to compare with"
    assert result.tested == 0 and result.significant() == []


def test_two_sros_with_a_large_difference_are_flagged() -> None:
    rows = [OfficerPeriod("a", "high", "x", 200, 1500.0, {"arrest": 40}),
            OfficerPeriod("b", "high", "x", 200, 1500.0, {"arrest": 5})]
    result = analyse(rows, measures=["arrest"])
    assert {(r.officer, r.base) for r in result.significant()} == {("a", "contact"),
                                                                  ("a", "enrollment")}


def test_peer_group_narrows_to_level_and_size_when_there_are_enough() -> None:
    rows = ([OfficerPeriod(f"h{k}", "high", "2,000 or more", 300, 4000.0, {"arrest": 9})
             for k in range(4)]
            + [OfficerPeriod(f"m{k}", "middle", "500–999", 200, 800.0, {"arrest": 2})
               for k in range(3)])
    result = analyse(rows, measures=["arrest"], min_peers=3)
    h0 = {r.base: r for r in result.for_officer("h0")}
    assert h0["contact"].peer is not None and h0["contact"].peer.group == "level_band"
    assert h0["contact"].peer.officers == 3
    m0 = {r.base: r for r in result.for_officer("m0")}
    # Only two other middle-school SROs: the group widens to the secondary schools.
    for r in m0.values():
        assert r.peer is not None and r.peer.group == "stage" and r.peer.officers == 6


def test_no_events_anywhere_is_not_a_test() -> None:
    result = analyse(program(5), measures=["use_of_force"], discrete=False)
    assert result.tested == 10
    zero = analyse([OfficerPeriod(k, "high", "x", 50, 500.0, {}) for k in range(3)],
                   measures=["use_of_force"])
    assert zero.tested == 0
    assert all(r.note == "no events for this SRO or the peers" for r in zero.results)


def test_sro_without_contacts_or_enrollment() -> None:
    rows = [*program(4), OfficerPeriod(9, "high", "x", 0, 0.0, {})]
    notes = {r.base: r.note for r in analyse(rows).for_officer(9)}
    assert notes == {"contact": "no contacts in the period",
                     "enrollment": "no enrolled students at assigned schools"}


@pytest.mark.parametrize(("rows", "message"), [
    ([OfficerPeriod(1, "high", "x", 10, 10.0, {"arrest": 1})] * 2, "appears twice"),
])
def test_bad_input_is_refused(rows: list[OfficerPeriod], message: str) -> None:
    with pytest.raises(EarlyWarningInputError, match=message):
        analyse(rows)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"contacts": -1}, "contacts must be a whole number"),
    ({"contacts": 2.5}, "contacts must be a whole number"),
    ({"enrolled": float("nan")}, "enrolled must be a number"),
    ({"counts": {"arrest": 11}}, "larger than the 10 contacts"),
    ({"counts": {"curfew": 1}}, "unknown measure"),
])
def test_bad_figures_are_refused(kwargs: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"officer": 1, "level": "high", "band": "x", "contacts": 10,
                                 "enrolled": 10.0, "counts": {}}
    values.update(kwargs)
    with pytest.raises(EarlyWarningInputError, match=message):
        OfficerPeriod(**values)  # type: ignore[arg-type]


def test_bad_settings_are_refused() -> None:
    with pytest.raises(EarlyWarningInputError, match="q must be"):
        analyse(program(3), q=0)
    with pytest.raises(EarlyWarningInputError, match="min_peers"):
        analyse(program(3), min_peers=0)
    with pytest.raises(EarlyWarningInputError, match="unknown measure"):
        analyse(program(3), measures=["curfew"])


def test_size_bands() -> None:
    assert [size_band(n) for n in (None, 0, 120, 500, 1999, 2000)] == [
        "unknown", "unknown", "under 500", "500–999", "1,000–1,999", "2,000 or more"]


# --------------------------------------------------------------------------- properties


@settings(max_examples=60, deadline=None)
@given(a=st.integers(0, 40), extra=st.integers(0, 60), b=st.integers(0, 60),
       rest=st.integers(0, 200))
def test_fisher_p_is_a_probability_and_falls_as_the_count_rises(a: int, extra: int, b: int,
                                                                 rest: int) -> None:
    n1, n2 = a + extra + 1, b + rest + 1
    p, p_min = fisher_greater(a, n1, b, n2)
    assert 0 <= p_min <= p <= 1
    if a < n1:
        p_more, _ = fisher_greater(a + 1, n1, max(b - 1, 0), n2)
        if b > 0:
            assert p_more <= p + 1e-12


@settings(max_examples=60, deadline=None)
@given(a=st.integers(0, 50), b=st.integers(0, 50),
       n1=st.floats(1, 5000), n2=st.floats(1, 5000))
def test_conditional_poisson_p_is_a_probability(a: int, b: int, n1: float, n2: float) -> None:
    p, p_min = conditional_poisson_greater(a, n1, b, n2)
    assert 0 <= p_min <= p + 1e-15 and p <= 1
    if a == 0:
        assert p == pytest.approx(1.0)


@settings(max_examples=30, deadline=None)
@given(scale=st.integers(2, 5), count=st.integers(0, 30))
def test_ratios_do_not_depend_on_the_units_of_exposure(scale: int, count: int) -> None:
    rows = program(6, {"search": min(count, 300)})
    scaled = [OfficerPeriod(r.officer, r.level, r.band, r.contacts, r.enrolled * scale,
                            r.counts) for r in rows]
    first = {(r.officer, r.measure): r for r in analyse(rows).results if r.base == "enrollment"}
    second = {(r.officer, r.measure): r for r in analyse(scaled).results
              if r.base == "enrollment"}
    assert first.keys() == second.keys()
    for key, r in first.items():
        if r.ratio is not None:
            assert second[key].ratio == pytest.approx(r.ratio)
        if r.p_value is not None:
            assert second[key].p_value == pytest.approx(r.p_value)
