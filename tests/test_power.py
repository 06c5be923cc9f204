"""Tests of slp_eval.power: the simulator against its model, and power/coverage behaviour that
theory fixes (power rises with effect size and length; the size under the null is alpha)."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.tsa.stattools import acf

from slp_eval.errors import ParameterError
from slp_eval.its import fit_its
from slp_eval.power import interval_coverage, its_power, simulate_its_series

TRUTH = {"intercept": 10.0, "trend": 0.2, "level_change": -3.0, "trend_change": 0.1}


def test_simulation_is_reproducible_and_seed_sensitive() -> None:
    a = simulate_its_series(24, 24, **TRUTH, sigma=1.0, rho=0.5, seed=7)
    b = simulate_its_series(24, 24, **TRUTH, sigma=1.0, rho=0.5, seed=7)
    c = simulate_its_series(24, 24, **TRUTH, sigma=1.0, rho=0.5, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["outcome"], c["outcome"])
    assert list(a.columns) == ["period", "t", "post", "expected", "outcome"]
    assert a["period"].tolist() == list(range(1, 49))
    assert a["post"].sum() == 24 and a.loc[a["period"] == 25, "post"].item() == 1


@settings(deadline=None)  # max_examples: the hypothesis profile (tests/conftest.py)
@given(n_pre=st.integers(3, 40), n_post=st.integers(3, 40),
       b=st.lists(st.floats(-50, 50, allow_nan=False), min_size=4, max_size=4),
       rho=st.floats(-0.9, 0.9), seed=st.integers(0, 2**32 - 1))
def test_expected_is_the_segmented_line(n_pre: int, n_post: int, b: list[float], rho: float,
                                        seed: int) -> None:
    frame = simulate_its_series(n_pre, n_post, intercept=b[0], trend=b[1], level_change=b[2],
                                trend_change=b[3], sigma=1.0, rho=rho, seed=seed)
    t = np.arange(n_pre + n_post)
    d = (t >= n_pre).astype(float)
    np.testing.assert_allclose(frame["expected"], b[0] + b[1] * t + b[2] * d + b[3] * (t - n_pre) * d,
                               rtol=1e-12, atol=1e-9)
    # the noise depends on the seed, sigma and rho only, never on the mean parameters
    flat = simulate_its_series(n_pre, n_post, intercept=0, trend=0, level_change=0,
                               trend_change=0, sigma=1.0, rho=rho, seed=seed)
    np.testing.assert_allclose(frame["outcome"] - frame["expected"], flat["outcome"],
                               rtol=0, atol=1e-9)


def test_ar1_noise_has_the_stated_autocorrelation_and_stationary_variance() -> None:
    # Innovation SD 2 and rho 0.6: stationary variance 4 / (1 - 0.36) = 6.25, lag-k ACF 0.6^k.
    frame = simulate_its_series(20_000, 20_000, intercept=0, trend=0, level_change=0,
                                trend_change=0, sigma=2.0, rho=0.6, seed=11)
    noise = frame["outcome"].to_numpy()
    r = acf(noise, nlags=3)
    np.testing.assert_allclose(r[1:], [0.6, 0.36, 0.216], atol=0.02)
    assert noise.var() == pytest.approx(6.25, rel=0.05)
    # statsmodels' own AR(1) fit recovers rho and the innovation SD
    fit = sm.tsa.ARIMA(noise[:5000], order=(1, 0, 0), trend="n").fit()
    assert fit.params[0] == pytest.approx(0.6, abs=0.03)
    assert math.sqrt(fit.params[1]) == pytest.approx(2.0, rel=0.03)


def test_first_value_is_drawn_from_the_stationary_distribution() -> None:
    # Across seeds, e_0 has variance sigma^2 / (1 - rho^2) = 1 / 0.19, not sigma^2 = 1.
    first = [simulate_its_series(3, 3, intercept=0, trend=0, level_change=0, trend_change=0,
                                 sigma=1.0, rho=0.9, seed=s)["outcome"].iloc[0] for s in range(3000)]
    assert np.var(first) == pytest.approx(1 / 0.19, rel=0.08)


def test_poisson_series_are_counts_around_exp_of_the_line() -> None:
    frame = simulate_its_series(2000, 2000, intercept=math.log(50), trend=0.0,
                                level_change=math.log(0.8), trend_change=0.0, sigma=0.0,
                                family="poisson", seed=3)
    assert frame["outcome"].dtype == np.int64 and (frame["outcome"] >= 0).all()
    pre, post = frame[frame["post"] == 0]["outcome"], frame[frame["post"] == 1]["outcome"]
    assert pre.mean() == pytest.approx(50, rel=0.02)
    assert post.mean() == pytest.approx(40, rel=0.02)
    assert pre.var() == pytest.approx(50, rel=0.1)  # sigma = 0: no extra-Poisson variation


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"n_pre": 2}, "n_pre=2 must be an integer of at least 3"),
    ({"n_post": 4.0}, "n_post=4.0 must be an integer of at least 3"),
    ({"rho": 1.0}, "rho=1.0 must lie strictly between -1 and 1 (a stationary AR(1))"),
    ({"sigma": 0.0}, "sigma=0.0 must be > 0 for family='gaussian'"),
    ({"sigma": -1.0, "family": "poisson"}, "sigma=-1.0 must be >= 0 for family='poisson'"),
    ({"family": "binomial"}, "family='binomial' is not one of 'gaussian', 'poisson'"),
    ({"trend": float("nan")}, "trend=nan must be a finite number"),
    ({"seed": None}, "seed=None must be a non-negative integer (results must be reproducible, "
                     "so there is no unseeded default)"),
])
def test_bad_simulation_arguments_are_named(kwargs: dict, message: str) -> None:
    args = {"n_pre": 10, "n_post": 10, **TRUTH, "sigma": 1.0, "seed": 1} | kwargs
    with pytest.raises(ParameterError, match=re.escape(message)):
        simulate_its_series(**args)


def test_power_rises_with_effect_size_and_series_length() -> None:
    result = its_power([12, 24], 12, level_change=[0.0, 1.0, 2.0], sigma=1.0, rho=0.3,
                       errors="ar", n_sim=200, seed=2024)
    table = result.to_frame()
    level = table[table["term"] == "level_change"].set_index(["n_pre", "effect"])["power"]
    for n_pre in (12, 24):
        assert level[(n_pre, 0.0)] < level[(n_pre, 1.0)] < level[(n_pre, 2.0)]
    assert level[(24, 1.0)] > level[(12, 1.0)]
    assert set(table.columns) >= {"n_pre", "n_post", "term", "effect", "power", "mc_se",
                                  "n_used", "n_failed"}
    assert (table["n_failed"] == 0).all()


def test_size_under_the_null_is_alpha_within_monte_carlo_error() -> None:
    # No level or trend change: the rejection rate is the test's size, 0.05, for REML-GLS on
    # 48 + 48 points with rho = 0.5 (tolerance: 3 Monte Carlo SEs of a proportion at 0.05).
    result = its_power(48, 48, level_change=0.0, trend_change=0.0, sigma=1.0, rho=0.5,
                       errors="ar", n_sim=400, seed=99, n_workers=2)
    table = result.to_frame()
    tolerance = 3 * math.sqrt(0.05 * 0.95 / 400)
    for term in ("level_change", "trend_change"):
        power = table.loc[table["term"] == term, "power"].item()
        assert abs(power - 0.05) < tolerance, (term, power)


def test_results_do_not_depend_on_the_number_of_workers() -> None:
    one = its_power(10, 10, level_change=1.5, sigma=1.0, errors="ols", n_sim=30, seed=5)
    two = its_power(10, 10, level_change=1.5, sigma=1.0, errors="ols", n_sim=30, seed=5,
                    n_workers=2)
    pd.testing.assert_frame_equal(one.to_frame(), two.to_frame())
    pd.testing.assert_frame_equal(one.replicates, two.replicates)


def test_ols_power_matches_the_exact_t_test_power() -> None:
    # With iid errors and errors="ols", the level-change t test has a known power: noncentral t
    # with noncentrality delta / se(delta) on n - 4 df, se from (X'X)^-1. Simulation must agree
    # within 3 Monte Carlo SEs.
    from scipy import stats

    n_pre = n_post = 10
    t = np.arange(20.0)
    d = (t >= n_pre).astype(float)
    x = np.column_stack([np.ones(20), t, d, (t - n_pre) * d])
    se = math.sqrt(np.linalg.inv(x.T @ x)[2, 2])
    delta, df = 1.5, 16
    crit = stats.t.ppf(0.975, df)
    exact = stats.nct.sf(crit, df, delta / se) + stats.nct.cdf(-crit, df, delta / se)
    result = its_power(n_pre, n_post, level_change=delta, sigma=1.0, errors="ols", n_sim=600,
                       seed=17)
    row = result.to_frame().query("term == 'level_change'").iloc[0]
    assert abs(row["power"] - exact) < 3 * math.sqrt(exact * (1 - exact) / 600)


def test_power_result_views() -> None:
    result = its_power([12], [6, 12], level_change=[1.0, 2.0], sigma=1.0, errors="ols",
                       n_sim=20, seed=1)
    assert len(result.to_frame()) == 2 * 2 * 2
    text = result.summary()
    assert "Simulated power at alpha = 0.05 (20 series per design" in text
    assert "12 pre + 6 post periods, level_change = 2: power" in text
    document = result.to_dict()
    assert json.loads(json.dumps(document)) == document
    assert document["settings"]["n_sim"] == 20
    fig = result.plot()
    ax = fig.axes[0]
    assert ax.get_ylabel() == "power to detect the level change (%)" and ax.get_ylim() == (0, 102)
    # two designs, the 80% target and the size alpha, each named
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == sorted([
        "12 before + 6 after", "12 before + 12 after", "target power 80%", "alpha 5% (size)"])
    table = result.to_frame()
    drawn = np.concatenate([line.get_ydata() for line in ax.lines if line.get_linestyle() == "-"])
    assert sorted(drawn) == pytest.approx(sorted(100 * table.loc[table["term"] == "level_change",
                                                                  "power"]))
    # one trend_change (0) was simulated, so its curve runs over the number of post periods
    assert result.plot("trend_change").axes[0].get_xlabel().startswith(
        "periods after the interruption (trend change 0")
    with pytest.raises(ParameterError, match=re.escape(
            "term='slope' is not one of 'level_change', 'trend_change'")):
        result.plot("slope")


def test_coverage_result_views_and_truth() -> None:
    result = interval_coverage(n_pre=12, n_post=12, level_change=2.0, trend_change=0.5,
                               sigma=1.0, errors="ols", n_sim=50, seed=4)
    table = result.to_frame().set_index("term")
    assert table.loc["level_change", "truth"] == 2.0
    assert table.loc["trend_change", "truth"] == 0.5
    assert table["n_sim"].eq(50).all()
    # iid errors and OLS t intervals: exact 95% coverage; 50 replications, so loose bounds
    assert (table["coverage"] > 0.8).all()
    assert table.loc["level_change", "mc_se"] == pytest.approx(
        math.sqrt(table.loc["level_change", "coverage"]
                  * (1 - table.loc["level_change", "coverage"]) / 50))
    assert "Coverage of 95% intervals over 50 simulated series" in result.summary()
    assert json.loads(json.dumps(result.to_dict())) == result.to_dict()
    ax = result.plot().axes[0]
    assert [label.get_text() for label in ax.get_xticklabels()] == ["level_change", "trend_change"]
    assert ax.get_ylabel() == "interval coverage"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"n_sim": 0}, "n_sim=0 must be an integer of at least 1"),
    ({"errors": "gls"}, "errors='gls' is not one of 'ols', 'newey-west', 'ar', 'arima'"),
    ({"alpha": 1.5}, "alpha=1.5 must be a number between 0 and 1 (e.g. 0.05)"),
    ({"n_workers": 0}, "n_workers=0 must be an integer of at least 1"),
    ({"level_change": []}, "level_change must hold at least one value"),
    ({"n_pre": [10, 2]}, "n_pre=2 must be an integer of at least 3"),
])
def test_bad_power_arguments_are_named(kwargs: dict, message: str) -> None:
    args = {"n_pre": 10, "n_post": 10, "level_change": 1.0, "seed": 1} | kwargs
    with pytest.raises(ParameterError, match=re.escape(message)):
        its_power(**args)


@pytest.mark.parametrize(("errors", "maxlags"), [("ols", None), ("newey-west", 2), ("ar", None),
                                                ("ar", 1)])
def test_batched_replications_equal_fit_its_one_by_one(errors: str, maxlags: int | None,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The batched path (one design, many simulated outcomes) against fit_its per replication."""
    import slp_eval.power

    def no_loop(*args: object) -> None:
        raise AssertionError("the replications should have been batched")

    monkeypatch.setattr(slp_eval.power, "_fit_one", no_loop)
    result = its_power(18, [12, 20], level_change=[0.0, 1.5], trend_change=0.1, rho=0.4,
                             errors=errors, maxlags=maxlags, n_sim=40, seed=13)
    seeds = np.random.SeedSequence(13).spawn(40)
    reps = result.replicates
    for d, design in result.designs.iterrows():
        for r in (0, 17, 39):
            frame = simulate_its_series(18, int(design["n_post"]), intercept=0.0, trend=0.0,
                                        level_change=design["level_change"], trend_change=0.1,
                                        sigma=1.0, rho=0.4, seed=seeds[r])
            table = fit_its(frame, outcome="outcome", time="period", interruptions=[19],
                            errors=errors, maxlags=maxlags).coefficients
            for term in ("level_change", "trend_change"):
                mine = reps[(reps["design"] == d) & (reps["replication"] == r)
                            & (reps["term"] == term)].iloc[0]
                for column in ("estimate", "std_err", "ci_low", "ci_high", "p_value"):
                    assert mine[column] == pytest.approx(table.loc[f"{term}[19]", column],
                                                         rel=1e-8, abs=1e-300)
