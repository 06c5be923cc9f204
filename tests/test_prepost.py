"""Pre/post comparisons against published worked examples and independent implementations.

Golden numbers and their sources:
- Newcombe RG (1998). Interval estimation for the difference between independent proportions:
  comparison of eleven methods. Stat Med 17:873-890, Table II, method 10 (hybrid score), examples
  (a)-(h). Examples (a) and (b) are also asserted by the R package propint's test suite
  (tests/testthat/test_Two_Independent_Props_CI.R), an independent implementation.
- Newcombe RG (1998). Improved confidence intervals for the difference between binomial
  proportions based on paired data. Stat Med 17:2635-2650, Table II, method 10; the four examples
  are also asserted by propint (tests/testthat/test_Two_Dependent_Props_CI.R).
- Fagerland MW, Lydersen S, Laake P (2015). Recommended confidence intervals for two independent
  binomial proportions. Stat Methods Med Res 24:224-254: 7/34 vs 1/34 (the intervals printed to
  2-3 digits, as quoted in statsmodels' own tests).
- Exact Poisson limits: Garwood F (1936) Biometrika 28:437; the standard table of exact 95% limits
  for a Poisson count (e.g. Breslow & Day 1987, Statistical Methods in Cancer Research II,
  Appendix; x = 0 -> 3.689 is also the value documented for epitools::pois.exact).
- R's ``poisson.test(c(11, 6+8+7), c(800, 1083+1050+878))`` (the eba1977 example in its help
  page): rate ratio 1.971488, 95% CI 0.8584264 to 4.2772659, p = 0.07967.
- Holm (1979) and Benjamini & Hochberg (1995) adjustments worked by hand from their definitions.
"""

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from slp_eval import ESTIMATE_COLUMNS
from slp_eval.disclosure import DisclosureRule
from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.prepost import (
    adjust_pvalues,
    compare_means,
    compare_means_summary,
    compare_paired_proportions,
    compare_proportions,
    compare_rates,
    exact_poisson_interval,
    percent_change,
)

# Newcombe (1998) Table II, method 10: (x1, n1, x2, n2) with his difference x1/n1 - x2/n2.
NEWCOMBE_INDEPENDENT = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]


@pytest.mark.parametrize(("counts", "interval"), NEWCOMBE_INDEPENDENT)
def test_newcombe_independent_worked_examples(counts, interval):
    a, m, b, n = counts
    # our difference is after - before, so Newcombe's first group is our "after" group
    result = compare_proportions(b, n, a, m)
    assert result.difference == pytest.approx(a / m - b / n)
    assert (result.ci_low, result.ci_high) == pytest.approx(interval, abs=5e-5)


# Newcombe (1998) Table II, method 6 (Miettinen-Nurminen score interval), same examples.
NEWCOMBE_MIETTINEN_NURMINEN = [
    (0.0528, 0.3382), (0.1700, 0.8406), (0.0342, 0.8534), (-0.0326, 0.1933),
    (-0.1658, 0.2844), (-0.2879, 0.2879), (0.7156, 1.0000), (0.6636, 1.0000),
]


@pytest.mark.parametrize(
    ("counts", "interval"),
    [(c, i) for (c, _), i in zip(NEWCOMBE_INDEPENDENT, NEWCOMBE_MIETTINEN_NURMINEN, strict=True)],
)
def test_miettinen_nurminen_worked_examples(counts, interval):
    a, m, b, n = counts
    result = compare_proportions(b, n, a, m, method="miettinen-nurminen")
    assert (result.ci_low, result.ci_high) == pytest.approx(interval, abs=5e-5)


def test_wald_interval_by_formula_and_newcombe_table():
    # Newcombe Table II method 1 for (a): 0.0575 to 0.3425 (= 0.2 +/- 1.96 x 0.072703)
    result = compare_proportions(48, 80, 56, 70, method="wald")
    assert (result.ci_low, result.ci_high) == pytest.approx((0.0575, 0.3425), abs=5e-5)


def test_fagerland_2015_recommended_intervals():
    result = compare_proportions(1, 34, 7, 34)
    assert result.difference == pytest.approx(6 / 34)
    assert (result.ci_low, result.ci_high) == pytest.approx((0.019, 0.34), abs=5e-3)
    # Koopman asymptotic score interval for the ratio: Fagerland et al. print 1.21 to 43; R
    # PropCIs::riskscoreci(7, 34, 1, 34, 0.95) = 1.220853 to 42.575718
    assert result.ratio == pytest.approx(7.0)
    assert (result.ratio_ci_low, result.ratio_ci_high) == pytest.approx(
        (1.220853, 42.575718), abs=5e-6
    )
    # independence-smoothed logit interval for the odds ratio: 0.99 to 60
    assert (result.odds_ratio_ci_low, result.odds_ratio_ci_high) == pytest.approx(
        (0.99, 60), rel=1e-2
    )
    ac = compare_proportions(1, 34, 7, 34, method="agresti-caffo")
    assert (ac.ci_low, ac.ci_high) == pytest.approx((0.012, 0.32), abs=5e-3)
    # R PropCIs::diffscoreci(7, 34, 1, 34, 0.95) = 0.0270416 to 0.3452912 (quoted in statsmodels'
    # test_proportion.py); Fagerland et al. print 0.028 to 0.34
    mn = compare_proportions(1, 34, 7, 34, method="miettinen-nurminen")
    assert (mn.ci_low, mn.ci_high) == pytest.approx((0.0270416, 0.3452912), abs=5e-7)
    # small expected counts (4 expected events per arm): Fisher's exact test, as scipy gives it
    assert result.test == "Fisher exact test"
    assert result.p_value == pytest.approx(stats.fisher_exact([[1, 33], [7, 27]]).pvalue)


def test_chi_square_used_when_expected_counts_are_large():
    result = compare_proportions(189, 450, 378, 450)
    assert result.test == "Pearson chi-square test"
    # Pearson X^2 by hand: pooled p = 567/900, X^2 = (p2 - p1)^2 / (p(1-p)(1/n1 + 1/n2))
    pooled = 567 / 900
    x2 = 0.42**2 / (pooled * (1 - pooled) * (2 / 450))
    assert result.p_value == pytest.approx(stats.chi2.sf(x2, 1), rel=1e-9)


def test_summary_reads_as_the_issue_asks():
    result = compare_proportions(189, 450, 378, 450, label="share in south London")
    assert result.summary().startswith(
        "The share in south London rose from 42.0% (189/450) to 84.0% (378/450): "
        "+42.0 percentage points (95% CI +36.1 to +47.4), risk ratio 2.00 (CI 1.79 to 2.25); p < 0.001"
    )
    assert compare_proportions(50, 100, 40, 100).summary().startswith(
        "The proportion fell from 50.0% (50/100) to 40.0% (40/100): -10.0 percentage points"
    )


def test_summaries_under_disclosure_control():
    rule = DisclosureRule()
    assert compare_proportions(5, 450, 378, 450).summary(rule=rule).startswith(
        "The proportion rose from * (*/450) to 84.0% (380/450): +82.9 percentage points"
    )
    assert compare_rates(201, 1, 6, 1).summary(rule=rule).startswith("The rate fell from 200 to *")
    paired = compare_paired_proportions([[36, 2], [12, 0]]).summary(rule=rule)
    assert "10 changed to yes and * to no" in paired
    off = compare_proportions(5, 450, 378, 450).summary(rule=DisclosureRule(apply=False))
    assert "(5/450) to 84.0% (378/450)" in off


def test_to_frame_and_to_dict():
    result = compare_proportions(48, 80, 56, 70)
    frame = result.to_frame()
    assert list(frame.columns[:6]) == list(ESTIMATE_COLUMNS)
    assert list(frame["term"]) == ["difference", "risk_ratio", "odds_ratio"]
    assert frame.loc[0, "std_err"] == pytest.approx(math.sqrt(0.8 * 0.2 / 70 + 0.6 * 0.4 / 80))
    data = result.to_dict()
    assert data["difference"] == pytest.approx(0.2)
    assert data["estimates"][1]["term"] == "risk_ratio"
    # a zero reference count: the ratio is infinite, reported as None in JSON, never clipped
    zero = compare_proportions(0, 20, 5, 20).to_dict()
    assert zero["ratio"] is None


# ------------------------------------------------------------------------------ paired
# Newcombe (1998b) Table II: cells (e, f, g, h) = (+/+, +/-, -/+, -/-) for (first, second),
# difference (f - g)/n. Our table is rows before, columns after with after - before, so the
# first measurement is "after": [[e, g], [f, h]].
NEWCOMBE_PAIRED = [
    ((36, 12, 2, 0), (0.0569, 0.3404)),
    ((18, 12, 2, 18), (0.0562, 0.3290)),
    ((53, 0, 0, 1), (-0.0729, 0.0729)),
    ((0, 30, 0, 0), (0.8395, 1.0000)),
]


@pytest.mark.parametrize(("cells", "interval"), NEWCOMBE_PAIRED)
def test_newcombe_paired_worked_examples(cells, interval):
    e, f, g, h = cells
    result = compare_paired_proportions([[e, g], [f, h]])
    assert result.difference == pytest.approx((f - g) / (e + f + g + h))
    assert (result.ci_low, result.ci_high) == pytest.approx(interval, abs=5e-5)


def test_paired_arrays_equal_the_table_and_mcnemar_tests():
    before = np.array([1] * 36 + [1] * 2 + [0] * 12 + [0] * 0)
    after = np.array([1] * 36 + [0] * 2 + [1] * 12)
    from_arrays = compare_paired_proportions(before, after)
    from_table = compare_paired_proportions([[36, 2], [12, 0]])
    assert from_arrays.to_dict() == from_table.to_dict()
    # exact McNemar = two-sided binomial test on the 14 discordant pairs
    assert from_table.p_value == pytest.approx(stats.binomtest(2, 14, 0.5).pvalue)
    mid = compare_paired_proportions([[36, 2], [12, 0]], test="mid-p")
    assert mid.p_value == pytest.approx(stats.binomtest(2, 14).pvalue - stats.binom.pmf(2, 14, 0.5))
    # balanced discordant pairs: no evidence of change, mid-p = 1 (not 1 - P(X = k))
    assert compare_paired_proportions([[5, 4], [4, 5]], test="mid-p").p_value == 1.0
    # continuity-corrected chi-square: (|b - c| - 1)^2 / (b + c)
    chi = compare_paired_proportions([[36, 2], [12, 0]], test="chi2")
    assert chi.p_value == pytest.approx(stats.chi2.sf((10 - 1) ** 2 / 14, 1))
    assert "12 changed to yes and 2 to no" in from_table.summary()


# ------------------------------------------------------------------------------ rates
@pytest.mark.parametrize(
    ("count", "limits"),
    [
        (0, (0.0, 3.689)),
        (1, (0.0253, 5.572)),
        (2, (0.242, 7.225)),
        (3, (0.619, 8.767)),
        (5, (1.623, 11.668)),
        (10, (4.795, 18.390)),
    ],
)
def test_exact_poisson_limits_match_published_table(count, limits):
    assert exact_poisson_interval(count) == pytest.approx(limits, abs=6e-4)


def test_rate_ratio_matches_r_poisson_test_help_example():
    # poisson.test(c(11, 21), c(800, 3011)): group 1 is Fredericia; ours is after / before
    result = compare_rates(21, 3011, 11, 800)
    assert result.rate_ratio == pytest.approx(1.971488, abs=5e-7)
    assert (result.ci_low, result.ci_high) == pytest.approx((0.8584264, 4.2772659), abs=5e-7)
    assert result.p_value == pytest.approx(0.07967, abs=5e-6)


def test_rates_frame_summary_and_percent_change():
    result = compare_rates(201, 1, 152, 1, label="number of forensic out-of-area placements")
    frame = result.to_frame()
    assert list(frame["term"]) == ["rate_before", "rate_after", "rate_ratio"]
    assert frame.loc[2, "std_err"] == pytest.approx(math.sqrt(1 / 201 + 1 / 152))
    assert result.summary().startswith(
        "The number of forensic out-of-area placements fell from 201 to 152: rate ratio 0.76"
    )
    change = percent_change(201, 152)
    assert change.estimate == pytest.approx(100 * (152 / 201 - 1))
    assert change.ci_low == pytest.approx(100 * (result.ci_low - 1))
    assert change.basis == "rate_ratio"
    prop = percent_change(189, 378, n_before=450, n_after=450)
    assert prop.estimate == pytest.approx(100.0)
    assert prop.basis == "risk_ratio"
    frame = prop.to_frame()
    assert list(frame.columns[:6]) == list(ESTIMATE_COLUMNS)
    assert frame.loc[0, "ci_low"] == pytest.approx(100 * (prop.comparison.ratio_ci_low - 1))
    data = prop.to_dict()
    assert data["basis"] == "risk_ratio" and data["comparison"]["x2"] == 378
    assert change.summary().startswith("Change -24.4% (95% CI ")


def test_quasi_poisson_dispersion_widens_the_interval_by_its_square_root():
    poisson = compare_rates(1102, 31, 680, 31)
    quasi = compare_rates(1102, 31, 680, 31, dispersion=50)
    se = math.sqrt(50 * (1 / 1102 + 1 / 680))
    assert quasi.rate_ratio == pytest.approx(680 / 1102)
    assert quasi.ci_low == pytest.approx(680 / 1102 * math.exp(-stats.norm.ppf(0.975) * se))
    assert quasi.p_value == pytest.approx(2 * stats.norm.sf(abs(math.log(680 / 1102)) / se))
    assert quasi.ci_high - quasi.ci_low > poisson.ci_high - poisson.ci_low
    assert quasi.method == "quasi-poisson-wald"
    assert "dispersion 50" in quasi.summary()


# ------------------------------------------------------------------------------ means
def test_welch_matches_scipy_and_summary_statistics():
    rng = np.random.default_rng(1)
    a, b = rng.normal(30, 8, 25), rng.normal(24, 12, 31)
    result = compare_means(a, b)
    reference = stats.ttest_ind(b, a, equal_var=False)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-10)
    ci = reference.confidence_interval(0.95)
    assert (result.ci_low, result.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-10)
    summary = compare_means_summary(a.mean(), a.std(ddof=1), 25, b.mean(), b.std(ddof=1), 31)
    assert (summary.difference, summary.ci_low, summary.p_value) == pytest.approx(
        (result.difference, result.ci_low, result.p_value)
    )


def test_hodges_lehmann_and_moses_interval():
    # R's wilcox.test help example (Hollander & Wolfe, permeability constants): with
    # conf.int=TRUE the difference in location x - y is 0.305 with exact 95% interval -0.15 to 0.76
    x = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
    y = [1.15, 0.88, 0.90, 0.74, 1.21]
    result = compare_means(y, x)
    assert result.hodges_lehmann == pytest.approx(0.305)
    assert (result.hl_ci_low, result.hl_ci_high) == pytest.approx((-0.15, 0.76))
    assert result.hl_interval_method == "moses-exact"
    assert result.mann_whitney_p == pytest.approx(stats.mannwhitneyu(x, y).pvalue)


def test_bootstrap_median_interval_is_seeded():
    rng = np.random.default_rng(7)
    a, b = rng.exponential(70, 40), rng.exponential(10, 40)
    first, second = compare_means(a, b, seed=3), compare_means(a, b, seed=3)
    assert first.to_dict() == second.to_dict()
    assert first.median_ci_low < first.median_difference < first.median_ci_high
    assert compare_means(a, b, seed=4).median_ci_low != first.median_ci_low


def test_adjust_pvalues_by_hand():
    p = [0.01, 0.04, 0.03, 0.005]
    # Holm: sorted 0.005x4, 0.01x3, 0.03x2, 0.04x1 -> 0.02, 0.03, 0.06, max(0.04, 0.06)
    np.testing.assert_allclose(adjust_pvalues(p), [0.03, 0.06, 0.06, 0.02])
    # BH: 0.005x4/1, 0.01x4/2, 0.03x4/3, 0.04x4/4 then step-up minimum
    np.testing.assert_allclose(adjust_pvalues(p, "fdr_bh"), [0.02, 0.04, 0.04, 0.02])
    with_nan = adjust_pvalues([0.01, float("nan"), 0.04])
    assert math.isnan(with_nan[1])
    np.testing.assert_allclose(with_nan[[0, 2]], [0.02, 0.04])


# ------------------------------------------------------------------------------ properties
counts = st.integers(min_value=1, max_value=400).flatmap(
    lambda n: st.tuples(st.integers(0, n), st.just(n))
)


@settings(deadline=None)  # max_examples: the hypothesis profile (tests/conftest.py)
@given(counts, counts, st.sampled_from(["newcombe", "wald", "agresti-caffo", "miettinen-nurminen"]))
def test_interval_contains_estimate_and_swap_negates(g1, g2, method):
    (x1, n1), (x2, n2) = g1, g2
    forward = compare_proportions(x1, n1, x2, n2, method=method)
    backward = compare_proportions(x2, n2, x1, n1, method=method)
    assert -1 <= forward.ci_low <= forward.difference + 1e-12
    assert forward.difference - 1e-12 <= forward.ci_high <= 1
    assert backward.difference == pytest.approx(-forward.difference)
    assert (backward.ci_low, backward.ci_high) == pytest.approx(
        (-forward.ci_high, -forward.ci_low), abs=1e-9
    )
    assert backward.p_value == pytest.approx(forward.p_value)
    # the Koopman risk-ratio interval contains the ratio and inverts when the groups swap
    if x1 > 0 and x2 > 0:
        assert forward.ratio_ci_low <= forward.ratio * (1 + 1e-9)
        assert forward.ratio <= forward.ratio_ci_high * (1 + 1e-9)
        assert backward.ratio_ci_low == pytest.approx(1 / forward.ratio_ci_high, rel=1e-6)
    # relabelling events and non-events negates the difference too
    flipped = compare_proportions(n1 - x1, n1, n2 - x2, n2, method=method)
    assert (flipped.ci_low, flipped.ci_high) == pytest.approx(
        (-forward.ci_high, -forward.ci_low), abs=1e-9
    )


@settings(deadline=None)  # max_examples: the hypothesis profile
@given(st.integers(0, 300), st.integers(0, 300), st.floats(0.5, 50), st.floats(0.5, 50))
def test_rate_ratio_interval_contains_estimate_and_inverts_on_swap(c1, c2, e1, e2):
    if c1 + c2 == 0:
        return
    forward = compare_rates(c1, e1, c2, e2)
    backward = compare_rates(c2, e2, c1, e1)
    assert forward.ci_low <= forward.rate_ratio <= forward.ci_high
    if forward.ci_low > 0 and math.isfinite(forward.ci_high):
        assert backward.ci_low == pytest.approx(1 / forward.ci_high, rel=1e-9)
    assert backward.p_value == pytest.approx(forward.p_value, rel=1e-9)
    # only the ratio of exposures matters
    scaled = compare_rates(c1, 10 * e1, c2, 10 * e2)
    assert scaled.ci_low == pytest.approx(forward.ci_low, rel=1e-9)


@settings(deadline=None)  # max_examples: the hypothesis profile
@given(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30), st.integers(0, 30))
def test_paired_interval_contains_estimate(a, b, c, d):
    if a + b + c + d == 0:
        return
    result = compare_paired_proportions([[a, b], [c, d]])
    assert result.ci_low - 1e-12 <= result.difference <= result.ci_high + 1e-12
    swapped = compare_paired_proportions([[a, c], [b, d]])
    assert (swapped.ci_low, swapped.ci_high) == pytest.approx(
        (-result.ci_high, -result.ci_low), abs=1e-9
    )


@settings(deadline=None)  # max_examples: the hypothesis profile
@given(
    st.lists(st.floats(0, 200, allow_nan=False), min_size=3, max_size=25),
    st.lists(st.floats(0, 200, allow_nan=False), min_size=3, max_size=25),
    st.floats(-50, 50, allow_nan=False),
)
def test_mean_comparison_swaps_and_shifts(a, b, shift):
    if np.std(a) == 0 and np.std(b) == 0:
        return
    forward = compare_means(a, b, n_boot=200)
    backward = compare_means(b, a, n_boot=200)
    assert backward.difference == pytest.approx(-forward.difference, abs=1e-9)
    assert (backward.ci_low, backward.ci_high) == pytest.approx(
        (-forward.ci_high, -forward.ci_low), abs=1e-9
    )
    assert backward.hodges_lehmann == pytest.approx(-forward.hodges_lehmann, abs=1e-9)
    assert forward.ci_low <= forward.difference <= forward.ci_high
    assert forward.hl_ci_low <= forward.hodges_lehmann <= forward.hl_ci_high
    moved = compare_means(np.add(a, shift), np.add(b, shift), n_boot=200)
    assert moved.difference == pytest.approx(forward.difference, abs=1e-6)
    assert moved.p_value == pytest.approx(forward.p_value, rel=1e-6, abs=1e-12)


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: compare_proportions(500, 450, 378, 450), ModelInputError,
         "compare_proportions: x1 = 500 is larger than n1 = 450; a count of events cannot "
         "exceed its denominator"),
        (lambda: compare_proportions(-1, 450, 378, 450), ModelInputError,
         "compare_proportions: x1 = -1 is negative; counts cannot be negative"),
        (lambda: compare_proportions(0, 0, 3, 10), ModelInputError,
         "compare_proportions: n1 = 0; a proportion needs a denominator of at least 1"),
        (lambda: compare_proportions(1.5, 10, 3, 10), ModelInputError,
         "compare_proportions: x1 = 1.5 is not a whole number; counts are integers"),
        (lambda: compare_proportions(float("nan"), 10, 3, 10), ModelInputError,
         "compare_proportions: x1 = nan is not a finite number"),
        (lambda: compare_proportions(1, float("inf"), 3, 10), ModelInputError,
         "compare_proportions: n1 = inf is not a finite number"),
        (lambda: compare_proportions(1, 10, 3, 10, method="exact"), ParameterError,
         "compare_proportions: method = 'exact' is not one of newcombe, wald, agresti-caffo, "
         "miettinen-nurminen"),
        (lambda: compare_proportions(1, 10, 3, 10, alpha=5), ParameterError,
         "compare_proportions: alpha = 5 must be strictly between 0 and 1"),
        (lambda: compare_proportions("3", 10, 3, 10), ModelInputError,
         "compare_proportions: x1 must be a number, got '3'"),
        (lambda: compare_rates(201, 0, 152, 1), ModelInputError,
         "compare_rates: exposure1 = 0 must be greater than 0"),
        (lambda: compare_rates(201, 1, 152, -2.0), ModelInputError,
         "compare_rates: exposure2 = -2.0 must be greater than 0"),
        (lambda: compare_rates(0, 1, 0, 1), ModelInputError,
         "compare_rates: count1 = count2 = 0; a rate ratio needs at least one event in either "
         "period"),
        (lambda: compare_rates(10, 1, 12, 1, dispersion=0.5), ParameterError,
         "compare_rates: dispersion = 0.5 is below 1; use 1 for Poisson counts"),
        (lambda: compare_rates(0, 1, 12, 1, dispersion=2), ModelInputError,
         "compare_rates: with dispersion = 2 both counts must be above 0 (count1 = 0, count2 = "
         "12); the quasi-Poisson interval is on the log scale"),
        (lambda: compare_means([1.0, float("nan"), 3.0], [2.0, 3.0]), ModelInputError,
         "compare_means: a[1] = nan is not a finite number (1 such value(s)); remove or impute "
         "missing values explicitly"),
        (lambda: compare_means(["a", "b"], [2.0, 3.0]), ModelInputError,
         "compare_means: a must be a one-dimensional sequence of numbers"),
        (lambda: compare_means([1.0], [2.0, 3.0]), ModelInputError,
         "compare_means: a has 1 value(s); at least 2 needed"),
        (lambda: compare_means_summary(1, -2, 10, 2, 1, 10), ModelInputError,
         "compare_means_summary: sd1 = -2 is negative; an SD cannot be"),
        (lambda: compare_paired_proportions([1, 0, 2], [1, 1, 0]), ModelInputError,
         "compare_paired_proportions: before[2] = 2 is not 0 or 1; paired proportions need "
         "binary outcomes"),
        (lambda: compare_paired_proportions([1, 0], [1, 1, 0]), ModelInputError,
         "compare_paired_proportions: before has 2 values and after has 3; paired data need one "
         "before and one after value per person"),
        (lambda: compare_paired_proportions([[1, 2, 3]]), ModelInputError,
         "compare_paired_proportions: with after=None, before must be a 2x2 table (rows before "
         "yes/no, columns after yes/no); got shape (1, 3)"),
        (lambda: percent_change(10, 20, n_before=100), ParameterError,
         "percent_change: n_after is missing; give both denominators (proportions) or neither "
         "(counts)"),
        (lambda: adjust_pvalues([0.2, 1.5]), ModelInputError,
         "adjust_pvalues: pvals[1] = 1.5 is not a probability between 0 and 1"),
    ],
)
def test_bad_input_names_argument_and_rule(call, error, message):
    with pytest.raises(error, match=re.escape(message) + "$"):
        call()


def test_methods_paragraphs_name_the_methods_used():
    assert "Newcombe's hybrid score interval (Newcombe 1998, method 10)" in (
        compare_proportions(48, 80, 56, 70).methods()
    )
    assert "Fisher exact test, used because an expected count was below 5" in (
        compare_proportions(1, 34, 7, 34).methods()
    )
    assert "exact conditional interval" in compare_rates(201, 1, 152, 1).methods()
    assert "variance 20 times the mean" in compare_rates(1102, 31, 680, 31, dispersion=20).methods()
    assert "Newcombe 1998, Stat Med 17:2635, method 10" in (
        compare_paired_proportions([[36, 2], [12, 0]]).methods()
    )
    assert "(2000 resamples, seed 20180401)" in compare_means([1, 2, 3], [2, 3, 4, 5]).methods()


def test_welch_df_survives_variances_that_underflow_when_squared() -> None:
    """Found by hypothesis: b = [0, 0, 7.9e-153] made v**2 underflow and df divide by zero.

    The Welch-Satterthwaite df is scale-free, so it must equal the df of the same data x 1e150.
    """
    tiny = compare_means([0.0, 0.0, 0.0], [0.0, 0.0, 7.937545251459904e-153], n_boot=200)
    scaled = compare_means([0.0, 0.0, 0.0], [0.0, 0.0, 7.937545251459904e-3], n_boot=200)
    assert tiny.df == pytest.approx(scaled.df, rel=1e-12)
    assert tiny.df == pytest.approx(2.0, rel=1e-12)
    assert tiny.p_value == pytest.approx(scaled.p_value, rel=1e-9)
