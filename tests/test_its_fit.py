"""Fits by family and error structure against independent implementations.

Golden numbers come from Linden (2015, Stata Journal 15(2), Table for `itsa ... lag(1)`) and from R
4 output computed once on the same data (R code in each test's docstring): `sandwich::NeweyWest`
with `lmtest::coeftest`, `nlme::gls` (REML), `glm` (quasi)Poisson/quasibinomial and
`MASS::glm.nb`. The deterministic synthetic series is written in closed form in R and here.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from slp_eval.its import fit_its
from slp_eval.power import simulate_its_series

DATA = Path(__file__).parent / "data"
PEER = Path(__file__).parent / "peer"
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference_data"


def _csv(folder: str, name: str) -> pd.DataFrame:
    for root in (DATA, REFERENCE):
        if (root / folder / name).exists():
            return pd.read_csv(root / folder / name)
    raise FileNotFoundError(f"{folder}/{name} in tests/data or ../shared/reference_data")


@pytest.fixture(scope="module")
def california() -> pd.DataFrame:
    return _csv("prop99_cigsales", "cigsales_single.csv")


@pytest.fixture(scope="module")
def sicily() -> pd.DataFrame:
    return _csv("sicily_smoking_ban", "sicily.csv")


def synthetic_ar() -> pd.DataFrame:
    """96 months, level change 2 and trend change 0.05 at month 48, AR(0.5) errors driven by a
    deterministic sequence (the same closed form is used in R)."""
    t = np.arange(96)
    z = ((t * 37) % 11 - 5) / 3 + np.sin(t)
    e = np.zeros(96)
    for i in range(96):
        e[i] = (0.5 * e[i - 1] if i else 0.0) + z[i]
    y = 10 + 0.1 * t + 2 * (t >= 48) + 0.05 * (t - 48) * (t >= 48) + e
    months = pd.period_range("2015-01", periods=96, freq="M")
    return pd.DataFrame({"month": months, "y": y})


def test_prop99_newey_west_lag1_reproduces_stata_itsa(california: pd.DataFrame) -> None:
    """Linden (2015): itsa cigsale, single trperiod(1989) lag(1). R: coeftest(m, NeweyWest(m,
    lag=1, prewhite=FALSE, adjust=TRUE)) gives the same digits."""
    result = fit_its(california, outcome="cigsale", time="year", interruptions=1989,
                     errors="newey-west", maxlags=1)
    table = result.coefficients
    assert list(table.index) == ["intercept", "trend", "level_change[1989]",
                                 "trend_change[1989]"]
    expected = {  # estimate, std_err (R sandwich, 10 digits; Stata prints 7)
        "intercept": (132.2257894737, 4.2530540741),
        "trend": (-1.7794736842, 0.3834188106),
        "level_change[1989]": (-20.0580971660, 4.7243944529),
        "trend_change[1989]": (-1.4946521899, 0.4368200589),
    }
    for term, (estimate, std_err) in expected.items():
        assert table.loc[term, "estimate"] == pytest.approx(estimate, abs=1e-8)
        assert table.loc[term, "std_err"] == pytest.approx(std_err, abs=1e-8)
    # t on n - k = 27 df, as Stata's newey: p of the level change 0.00023042 in R.
    assert result.fit.df_resid == 27
    assert table.loc["level_change[1989]", "p_value"] == pytest.approx(0.00023042, rel=1e-4)
    assert result.fit.maxlags == 1
    assert result.design.columns.tolist() == list(expected)


def test_prop99_automatic_lag_is_the_newey_west_1994_plug_in(california: pd.DataFrame) -> None:
    """R: floor(sandwich::bwNeweyWest(lm(cigsale ~ t + x + xt), kernel = "Bartlett",
    prewhite = FALSE)) = floor(2.975040413) = 2. The lag-specific Breusch-Godfrey tests
    (Linden 2015's actest: first-order autocorrelation only) are reported beside it."""
    result = fit_its(california, outcome="cigsale", time="year", interruptions=1989,
                     errors="newey-west")
    assert result.fit.maxlags == 2
    how = result.model_info()["maxlags_chosen_by"]
    assert how.startswith("Newey-West (1994) plug-in rule (Bartlett kernel, no prewhitening")
    assert "bandwidth 2.98" in how
    tests = result.fit.lag_choice.tests
    assert tests.loc[tests["lag"] == 1, "p_value"].item() < 0.001
    assert (tests.loc[tests["lag"] > 1, "p_value"] > 0.05).all()


def test_automatic_lag_is_not_zero_when_breusch_godfrey_rejects() -> None:
    """A series whose plug-in bandwidth is below 1 but whose residuals fail the
    Breusch-Godfrey test: lag 1, and the method says why."""
    from slp_eval.power import simulate_its_series

    for seed in range(200):
        frame = simulate_its_series(12, 12, intercept=0.0, trend=0.0, level_change=0.0,
                                    trend_change=0.0, sigma=1.0, rho=0.2, seed=seed)
        result = fit_its(frame, outcome="outcome", time="period", interruptions=[13],
                         errors="newey-west")
        if "raised to lag 1" in result.model_info()["maxlags_chosen_by"]:
            break
    else:
        pytest.fail("no series in 200 had a plug-in lag 0 and a significant Breusch-Godfrey test")
    assert result.fit.maxlags == 1
    assert "bandwidth 0." in result.model_info()["maxlags_chosen_by"]
    bg = result.diagnostics().tests.set_index("test").loc["breusch_godfrey", "p_value"]
    assert bg < 0.05


def test_newey_west_lag3_matches_r_sandwich() -> None:
    """R: NeweyWest(lm(y ~ t + x + xt), lag = 3, prewhite = FALSE, adjust = TRUE)."""
    result = fit_its(synthetic_ar(), outcome="y", time="month", interruptions="2019-01",
                     errors="newey-west", maxlags=3)
    table = result.coefficients
    expected = {"intercept": (9.9169906152711, 0.3310568366904),
                "trend": (0.1030587551835, 0.0116703307162),
                "level_change[2019-01]": (1.9690260187294, 0.4943860030344),
                "trend_change[2019-01]": (0.0437787681906, 0.0167559100002)}
    for term, (estimate, std_err) in expected.items():
        assert table.loc[term, "estimate"] == pytest.approx(estimate, abs=1e-9)
        assert table.loc[term, "std_err"] == pytest.approx(std_err, abs=1e-9)


def test_ar1_reml_gls_matches_nlme() -> None:
    """R: gls(y ~ t + x + xt, correlation = corAR1(), method = "REML"); Phi 0.244069489015."""
    result = fit_its(synthetic_ar(), outcome="y", time="month", interruptions="2019-01",
                     errors="ar", small_sample="none")
    table = result.coefficients
    expected = {"intercept": (9.8675006570379, 0.4548186942582),
                "trend": (0.1049138098029, 0.0165848563065),
                "level_change[2019-01]": (1.9049261983973, 0.6407816403325),
                "trend_change[2019-01]": (0.0429125664391, 0.0237384349505)}
    for term, (estimate, std_err) in expected.items():
        assert table.loc[term, "estimate"] == pytest.approx(estimate, abs=1e-6)
        assert table.loc[term, "std_err"] == pytest.approx(std_err, abs=1e-6)
    assert result.fit.extra["ar_params"][0] == pytest.approx(0.244069489015, abs=1e-6)
    assert table.loc["level_change[2019-01]", "p_value"] == pytest.approx(3.76639869632e-03,
                                                                          rel=1e-4)


def test_ar2_reml_gls_matches_nlme_corarma() -> None:
    """R: gls(..., correlation = corARMA(p = 2), method = "REML")."""
    result = fit_its(synthetic_ar(), outcome="y", time="month", interruptions="2019-01",
                     errors="ar", small_sample="none", maxlags=2)
    table = result.coefficients
    assert table.loc["level_change[2019-01]", "estimate"] == pytest.approx(2.0389267917259,
                                                                           abs=1e-5)
    assert table.loc["level_change[2019-01]", "std_err"] == pytest.approx(0.4850721564959,
                                                                          abs=1e-5)
    assert result.fit.extra["ar_params"] == pytest.approx([0.284058154312, -0.286382980259],
                                                          abs=1e-5)


def test_arima_errors_match_r_arima_ml() -> None:
    """R 4.2.2: arima(y, order = c(1, 0, 0), xreg = cbind(t, x, xt), method = "ML") on the series
    above (tests/peer/arima_ml_ar1.R): level change 1.9225747795, SE 0.5934405465; trend change
    0.0431361143, SE 0.0217763937; ar1 0.1919109387. Asserted to 1e-4 relative: both are
    numerical maxima of the same exact likelihood (SARIMAX's Kalman filter, R's), whose
    optimisers stop ~2e-5 apart in the estimates (ours 1.922621, SE 0.593442)."""
    result = fit_its(synthetic_ar(), outcome="y", time="month", interruptions="2019-01",
                     errors="arima")
    table = result.coefficients
    expected = {"level_change[2019-01]": (1.9225747795137, 0.5934405465215),
                "trend_change[2019-01]": (0.0431361142804, 0.0217763936819),
                "trend": (0.1044175619029, 0.0152926826611),
                "intercept": (9.8805563011661, 0.4186017094173)}
    for term, (estimate, std_err) in expected.items():
        assert table.loc[term, "estimate"] == pytest.approx(estimate, rel=1e-4), term
        assert table.loc[term, "std_err"] == pytest.approx(std_err, rel=1e-4), term
    assert result.fit.extra["ar_params"][0] == pytest.approx(0.1919109387075, rel=1e-4)
    assert result.fit.extra["converged"]
    assert result.fit.df_resid is None  # z inference, as R's arima
    z = stats.norm.ppf(0.975)
    row = table.loc["level_change[2019-01]"]
    assert row["ci_low"] == pytest.approx(1.9225747795137 - z * 0.5934405465215, rel=1e-4)
    # p-values are compared through their z statistic: p magnifies the optimisers' 2e-5 by |z|^2
    assert stats.norm.isf(row["p_value"] / 2) == pytest.approx(1.9225747795137 / 0.5934405465215,
                                                               rel=1e-4)


ARIMA_SERIES = [("synthetic_ar", None), ("seed 11, 48 + 48, rho 0.5", (48, 48, 0.5, 11)),
                ("seed 12, 30 + 30, rho 0.3", (30, 30, 0.3, 12))]


@pytest.mark.peer
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not installed")
@pytest.mark.parametrize(("label", "design"), ARIMA_SERIES, ids=[s[0] for s in ARIMA_SERIES])
def test_arima_errors_match_r_arima_ml_live(label: str, design: tuple | None,
                                            tmp_path: Path) -> None:
    """Live peer: tests/peer/arima_ml_ar1.R fits the same series with R's arima(method = "ML") and
    its own design matrix; estimates, SEs, z intervals and the z statistics behind the p-values
    agree to 1e-4 relative (to max(1, |value|) for estimates and bounds): the two optimisers'
    stopping tolerance."""
    if design is None:
        data = synthetic_ar()
        frame, n_pre = pd.DataFrame({"t": np.arange(96), "y": data["y"]}), 48
        result = fit_its(data, outcome="y", time="month", interruptions="2019-01",
                         errors="arima")
        label_term = "2019-01"
    else:
        n_pre, n_post, rho, seed = design
        series = simulate_its_series(n_pre, n_post, intercept=10.0, trend=0.1, level_change=2.0,
                                     trend_change=-0.05, sigma=1.0, rho=rho, seed=seed)
        frame = pd.DataFrame({"t": series["t"], "y": series["outcome"]})
        result = fit_its(series, outcome="outcome", time="period", interruptions=n_pre + 1,
                         errors="arima")
        label_term = str(n_pre + 1)
    source, out = tmp_path / "series.csv", tmp_path / "arima.csv"
    frame.to_csv(source, index=False, float_format="%.17g")
    subprocess.run(["Rscript", str(PEER / "arima_ml_ar1.R"), str(source), str(out), str(n_pre)],
                   check=True, capture_output=True, timeout=120)
    theirs = pd.read_csv(out).set_index("term")
    ours = result.coefficients
    for term in ("intercept", "trend", "level_change", "trend_change"):
        mine = ours.loc[term if term in ours.index else f"{term}[{label_term}]"]
        ref = theirs.loc[term]
        for column in ("estimate", "ci_low", "ci_high"):
            assert abs(mine[column] - ref[column]) <= 1e-4 * max(1.0, abs(ref[column])), (
                label, term, column, mine[column], ref[column])
        assert mine["std_err"] == pytest.approx(ref["std_err"], rel=1e-4), (label, term)
        # p through its z statistic (p magnifies a relative difference in z by about z^2)
        assert stats.norm.isf(mine["p_value"] / 2) == pytest.approx(
            abs(ref["estimate"] / ref["std_err"]), rel=1e-4), (label, term)
    assert result.fit.extra["ar_params"][0] == pytest.approx(theirs.loc["rho", "estimate"],
                                                             abs=1e-4)


def test_sicily_poisson_with_offset_matches_r_glm(sicily: pd.DataFrame) -> None:
    """Lopez Bernal et al. (2017), corrected model: glm(aces ~ offset(log(stdpop)) + smokban +
    time + I(time - 36):smokban, family = poisson). Their slope term is 1 in the first ban month
    and ours 0, so our level change is theirs plus the slope change."""
    result = fit_its(sicily, outcome="aces", time="time", interruptions=37, family="poisson",
                     errors="ols", offset="stdpop")
    table = result.coefficients
    slope, slope_se = 0.0004168453492, 0.0012129818372
    assert table.loc["trend", "estimate"] == pytest.approx(0.0048549160482, abs=1e-9)
    assert table.loc["trend", "std_err"] == pytest.approx(0.0005638411649, rel=1e-5)
    assert table.loc["trend_change[37]", "estimate"] == pytest.approx(slope, abs=1e-9)
    assert table.loc["trend_change[37]", "std_err"] == pytest.approx(slope_se, rel=1e-5)
    assert table.loc["level_change[37]", "estimate"] == pytest.approx(-0.1141110263466 + slope,
                                                                      abs=1e-9)
    assert table.loc["level_change[37]", "ratio"] == pytest.approx(np.exp(-0.1141110263466
                                                                          + slope), rel=1e-8)
    assert result.fit.df_resid is None


def test_sicily_quasipoisson_matches_r(sicily: pd.DataFrame) -> None:
    """R: the same with family = quasipoisson (dispersion from Pearson chi2 / df)."""
    result = fit_its(sicily, outcome="aces", time="time", interruptions=37,
                     family="quasipoisson", errors="ols", offset="stdpop")
    table = result.coefficients
    assert table.loc["trend", "std_err"] == pytest.approx(0.001072986211, rel=1e-5)
    assert table.loc["trend_change[37]", "std_err"] == pytest.approx(0.002308296852, rel=1e-5)
    assert result.fit.df_resid == 55  # t on n - k, as R's summary.glm


def test_negative_binomial_matches_mass_glm_nb(sicily: pd.DataFrame) -> None:
    """R: MASS::glm.nb(aces ~ offset(log(stdpop)) + t + x + xt) with t = time - 1; theta
    356.58220823 (alpha = 1/theta)."""
    result = fit_its(sicily, outcome="aces", time="time", interruptions=37, family="negbin",
                     errors="ols", offset="stdpop")
    table = result.coefficients
    assert table.loc["level_change[37]", "estimate"] == pytest.approx(-0.114788993608868,
                                                                      abs=1e-5)
    assert table.loc["trend", "estimate"] == pytest.approx(0.004894960323111, abs=1e-6)
    # glm.nb treats theta as known when computing SEs (the Fisher information of beta), as
    # slp-eval's GLM with alpha fixed at its ML estimate.
    assert table.loc["level_change[37]", "std_err"] == pytest.approx(0.03340252628464, rel=1e-7)
    assert result.fit.extra["negbin_alpha"] == pytest.approx(1 / 356.58220823, rel=1e-7)
    assert "alpha" not in table.index


def test_quasibinomial_proportion_matches_r(california: pd.DataFrame) -> None:
    """R: glm(cigsale_scaled ~ t + x + xt, family = quasibinomial)."""
    result = fit_its(california, outcome="cigsale_scaled", time="year", interruptions=1989,
                     family="binomial", errors="ols")
    table = result.coefficients
    assert table.loc["trend", "estimate"] == pytest.approx(-0.2131842797404, abs=1e-7)
    assert table.loc["trend", "std_err"] == pytest.approx(0.0264801027978, rel=1e-5)
    assert table.loc["level_change[1989]", "estimate"] == pytest.approx(
        -0.2787594203851, abs=1e-7)
    assert table.loc["trend_change[1989]", "std_err"] == pytest.approx(0.0467593169578,
                                                                       rel=1e-5)
    assert {"ratio", "ratio_ci_low", "ratio_ci_high"} <= set(table.columns)


def test_binomial_with_trials_equals_proportion_weighted_fit(california: pd.DataFrame) -> None:
    """Successes out of trials: the same point estimates as a logistic fit of the counts
    expanded to a proportion with frequency weights (statsmodels GLM var_weights)."""
    import statsmodels.api as sm

    data = california.assign(n=200, k=(california["cigsale_scaled"] * 200).round().astype(int))
    result = fit_its(data, outcome="k", trials="n", time="year", interruptions=1989,
                     family="binomial", errors="ols")
    reference = sm.GLM(data["k"] / 200, result.design.to_numpy(),
                       family=sm.families.Binomial(), var_weights=np.full(31, 200.0)).fit()
    assert result.coefficients["estimate"].to_numpy() == pytest.approx(reference.params,
                                                                       abs=1e-8)


def test_comparison_series_terms_and_panel_hac(california: pd.DataFrame) -> None:
    """Linden's multiple-group itsa: treated unit and controls stacked with a group dummy.
    The programme effect terms equal the difference of two single-series fits' changes (the
    saturated interaction model), whatever the error structure."""
    panel = _csv("prop99_cigsales", "cigsales.csv")
    controls = panel[panel["state"].isin(["Colorado", "Connecticut", "Montana", "Nevada",
                                          "Utah", "California"])]
    result = fit_its(controls, outcome="cigsale", time="year", interruptions=1989,
                     group="state", treated="California", errors="newey-west", maxlags=1)
    table = result.coefficients
    assert list(table.index) == [
        "intercept", "trend", "level_change[1989]", "trend_change[1989]", "group",
        "group:trend", "group:level_change[1989]", "group:trend_change[1989]"]
    treated = fit_its(california, outcome="cigsale", time="year", interruptions=1989,
                      errors="newey-west", maxlags=1).coefficients
    mean_controls = (controls[controls["state"] != "California"].groupby("year", as_index=False)
                     ["cigsale"].mean())
    control = fit_its(mean_controls, outcome="cigsale", time="year", interruptions=1989,
                      errors="newey-west", maxlags=1).coefficients
    for term in ("level_change[1989]", "trend_change[1989]"):
        difference = treated.loc[term, "estimate"] - control.loc[term, "estimate"]
        assert table.loc[f"group:{term}", "estimate"] == pytest.approx(difference, abs=1e-9)
    assert result.model_result.cov_type == "hac-panel"
    assert result.n_obs == 6 * 31
    # t on n - k df as Stata's newey (not statsmodels' default n_groups - 1 for panels).
    assert result.fit.df_resid == 6 * 31 - 8
    row = table.loc["group:trend_change[1989]"]
    assert row["p_value"] == pytest.approx(
        2 * stats.t.sf(abs(row["estimate"] / row["std_err"]), 6 * 31 - 8), rel=1e-10)


def test_panel_ar1_matches_nlme_within_unit_corar1() -> None:
    """R: gls(cigsale ~ (t + x + xt) * g, correlation = corAR1(form = ~ t | state),
    method = "REML") on California and its five synthetic-control donors."""
    panel = _csv("prop99_cigsales", "cigsales.csv")
    data = panel[panel["state"].isin(["California", "Colorado", "Connecticut", "Montana",
                                      "Nevada", "Utah"])]
    result = fit_its(data, outcome="cigsale", time="year", interruptions=1989, group="state",
                     treated="California", errors="ar", small_sample="none")
    table = result.coefficients
    expected = {"group:level_change[1989]": (-4.709737090958, 4.993875853666),
                "group:trend_change[1989]": (-1.176407715226, 1.856201988334),
                "trend": (-1.418006134656, 0.450622372298)}
    for term, (estimate, std_err) in expected.items():
        assert table.loc[term, "estimate"] == pytest.approx(estimate, abs=1e-6)
        assert table.loc[term, "std_err"] == pytest.approx(std_err, rel=1e-6)
    assert result.fit.extra["ar_params"][0] == pytest.approx(0.991609283891, abs=1e-6)


def test_ar1_with_phase_in_keeps_time_distances_like_nlme() -> None:
    """Phase-in rows are left out but the AR(1) correlation keeps their distance. R:
    gls(y ~ t + x + xt, data = d[!(d$t %in% 48:50), ], correlation = corAR1(form = ~ t),
    method = "REML")."""
    result = fit_its(synthetic_ar(), outcome="y", time="month", interruptions="2019-01",
                     errors="ar", small_sample="none", phase_in=3)
    table = result.coefficients
    assert table.loc["level_change[2019-01]", "estimate"] == pytest.approx(2.1984204699849,
                                                                           abs=1e-6)
    assert table.loc["level_change[2019-01]", "std_err"] == pytest.approx(0.7001058422414,
                                                                          rel=1e-6)
    assert result.fit.extra["ar_params"][0] == pytest.approx(0.242103621445, abs=1e-6)
    assert result.n_obs == 93


def test_poisson_newey_west_matches_sandwich_on_glm(sicily: pd.DataFrame) -> None:
    """R: coeftest(m, vcov = NeweyWest(m, lag = 2, prewhite = FALSE, adjust = TRUE)) for the
    Poisson glm with offset (t = time - 1, slope centred at 36)."""
    result = fit_its(sicily, outcome="aces", time="time", interruptions=37, family="poisson",
                     offset="stdpop", maxlags=2)
    table = result.coefficients
    expected = {"intercept": 0.020067562618738, "trend": 0.000870319657016,
                "level_change[37]": 0.034057344661355, "trend_change[37]": 0.002032234388067}
    for term, std_err in expected.items():
        assert table.loc[term, "std_err"] == pytest.approx(std_err, rel=1e-6)
    assert table.loc["level_change[37]", "estimate"] == pytest.approx(-0.113694180997359,
                                                                      abs=1e-9)


def test_quasipoisson_newey_west_equals_poisson_sandwich(sicily: pd.DataFrame) -> None:
    """The dispersion cancels in the sandwich: quasi-Poisson HAC SEs are the Poisson ones
    (R sandwich value for the level change: 0.034057344661355)."""
    result = fit_its(sicily, outcome="aces", time="time", interruptions=37,
                     family="quasipoisson", offset="stdpop", maxlags=2)
    assert result.coefficients.loc["level_change[37]", "std_err"] == pytest.approx(
        0.034057344661355, rel=1e-6)


@pytest.mark.parametrize(("ar", "expected"), [([0.5], False), ([0.9995], True), ([-0.9995], True),
                                              ([1.2, -0.2], True), ([0.5, 0.3], False), ([], False)])
def test_near_unit_root_is_the_largest_root_of_the_ar_polynomial(ar: list, expected: bool) -> None:
    # 1.2 z - 0.2 z^2 = 1 has the root z = 1; 0.5 and 0.3 give roots 0.85 and -0.35 (inverse form)
    from slp_eval.its.reml import near_unit_root

    assert near_unit_root(np.array(ar)) is expected
