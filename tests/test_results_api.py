"""The Jupyter-facing result API of `ITSResult`: params, conf_int, summary_frame, predict and the
displays, checked against statsmodels (estimates, predictions) and scipy (t and z quantiles), on
designs built here by hand (independent of `build_design`)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from slp_eval.errors import ParameterError
from slp_eval.its import fit_its

CUT = 30


def _gaussian(n: int = 60) -> pd.DataFrame:
    t = np.arange(n)
    noise = ((t * 37) % 11 - 5) / 4 + np.sin(t)
    y = 20 + 0.2 * t - 3 * (t >= CUT) - 0.1 * (t - CUT) * (t >= CUT) + 2 * np.sin(
        2 * np.pi * t / 12) + noise
    return pd.DataFrame({"month": pd.period_range("2018-01", periods=n, freq="M"), "y": y})


def _counts(n: int = 48, cut: int = 24) -> pd.DataFrame:
    t = np.arange(n)
    population = 50_000 + 100 * t
    rate = np.exp(-6 + 0.004 * t - 0.15 * (t >= cut) + 0.002 * (t - cut) * (t >= cut))
    return pd.DataFrame({"month": pd.period_range("2018-01", periods=n, freq="M"),
                         "admissions": np.round(population * rate * (1 + 0.05 * np.sin(1.3 * t))
                                                ).astype(int),
                         "population": population})


def _design(t: np.ndarray, cut: int, fourier: bool) -> np.ndarray:
    """Intercept, trend, level change, centred trend change (+ sin1, cos1 with period 12)."""
    after = (t >= cut).astype(float)
    columns = [np.ones_like(t, dtype=float), t, after, (t - cut) * after]
    if fourier:
        columns += [np.sin(2 * np.pi * t / 12), np.cos(2 * np.pi * t / 12)]
    return np.column_stack(columns).astype(float)


@pytest.fixture(scope="module")
def ols_fit():
    return fit_its(_gaussian(), outcome="y", time="month", interruptions="2020-07", errors="ols",
                   seasonality={"fourier": 1, "period": 12})


@pytest.fixture(scope="module")
def ar_fit():
    return fit_its(_gaussian(40), outcome="y", time="month", interruptions="2020-07",
                   errors="ar")


@pytest.fixture(scope="module")
def poisson_fit():
    return fit_its(_counts(), outcome="admissions", time="month", interruptions="2020-01",
                   family="poisson", errors="ols")


@pytest.fixture(scope="module")
def offset_fit():
    return fit_its(_counts(), outcome="admissions", time="month", interruptions="2020-01",
                   family="poisson", errors="ols", offset="population")


def test_params_and_summary_frame_match_statsmodels_ols(ols_fit) -> None:
    t = np.arange(60.0)
    reference = sm.OLS(_gaussian()["y"].to_numpy(), _design(t, CUT, True)).fit()
    assert np.allclose(ols_fit.params.to_numpy(), reference.params, rtol=1e-10)
    frame = ols_fit.summary_frame()
    assert list(frame.columns[:7]) == ["term", "estimate", "std_err", "ci_low", "ci_high",
                                       "p_value", "df"]
    assert np.allclose(frame["std_err"], reference.bse, rtol=1e-10)
    assert np.allclose(frame["p_value"], reference.pvalues, rtol=1e-8)
    assert list(ols_fit.params.index) == list(ols_fit.coefficients.index)
    for alpha in (0.05, 0.1, 0.2):
        ours = ols_fit.conf_int(alpha) if alpha != 0.05 else ols_fit.conf_int()
        assert list(ours.columns) == ["lower", "upper"]
        assert np.allclose(ours.to_numpy(), reference.conf_int(alpha=alpha), rtol=1e-10)


def test_conf_int_uses_each_terms_kenward_roger_df(ar_fit) -> None:
    frame = ar_fit.summary_frame().set_index("term")
    df = frame["df"]
    assert df.notna().all() and df.nunique() > 1  # per-term Kenward-Roger df, not one n - k
    ninety = ar_fit.conf_int(alpha=0.1)
    q = stats.t.ppf(0.95, df.to_numpy())
    assert np.allclose(ninety["lower"], frame["estimate"] - q * frame["std_err"], rtol=1e-12)
    assert np.allclose(ninety["upper"], frame["estimate"] + q * frame["std_err"], rtol=1e-12)
    # alpha=None gives the fit's own 95% intervals, which the same rule reproduces
    q95 = stats.t.ppf(0.975, df.to_numpy())
    assert np.allclose(ar_fit.conf_int()["lower"], frame["estimate"] - q95 * frame["std_err"],
                       rtol=1e-10)


def test_conf_int_z_for_glm(poisson_fit) -> None:
    t = np.arange(48.0)
    data = _counts()
    reference = sm.GLM(data["admissions"].to_numpy(), _design(t, 24, False),
                       family=sm.families.Poisson()).fit()
    assert np.allclose(poisson_fit.params.to_numpy(), reference.params, rtol=1e-7)
    assert poisson_fit.summary_frame()["df"].isna().all()
    assert np.allclose(poisson_fit.conf_int(0.1).to_numpy(), reference.conf_int(alpha=0.1),
                       rtol=1e-6)


def test_conf_int_refuses_bad_alpha(ols_fit) -> None:
    with pytest.raises(ParameterError, match=r"alpha=1\.5 must be a number strictly between"):
        ols_fit.conf_int(1.5)


def test_predict_new_periods_equals_statsmodels_ols(ols_fit) -> None:
    t = np.arange(60.0)
    reference = sm.OLS(_gaussian()["y"].to_numpy(), _design(t, CUT, True)).fit()
    future = np.arange(60.0, 66.0)
    expected = reference.get_prediction(_design(future, CUT, True)).summary_frame(alpha=0.05)
    periods = [str(p) for p in pd.period_range("2023-01", periods=6, freq="M")]
    ours = ols_fit.predict(periods)
    assert list(ours.columns) == ["period", "mean", "ci_low", "ci_high", "in_series"]
    assert ours["period"].tolist() == periods and not ours["in_series"].any()
    assert np.allclose(ours["mean"], expected["mean"], rtol=1e-10)
    assert np.allclose(ours["ci_low"], expected["mean_ci_lower"], rtol=1e-10)
    assert np.allclose(ours["ci_high"], expected["mean_ci_upper"], rtol=1e-10)


def test_predict_counterfactual_new_periods_equals_statsmodels_ols(ols_fit) -> None:
    t = np.arange(60.0)
    reference = sm.OLS(_gaussian()["y"].to_numpy(), _design(t, CUT, True)).fit()
    x = _design(np.array([60.0, 72.0]), CUT, True)
    x[:, 2:4] = 0.0  # no programme: level and trend change removed
    expected = reference.get_prediction(x).summary_frame(alpha=0.05)
    ours = ols_fit.predict(["2023-01", "2024-01"], counterfactual=True)
    assert np.allclose(ours["mean"], expected["mean"], rtol=1e-10)
    assert np.allclose(ours["ci_low"], expected["mean_ci_lower"], rtol=1e-10)


def test_predict_new_periods_equals_statsmodels_glm(poisson_fit) -> None:
    data = _counts()
    reference = sm.GLM(data["admissions"].to_numpy(), _design(np.arange(48.0), 24, False),
                       family=sm.families.Poisson()).fit()
    expected = reference.get_prediction(_design(np.arange(46.0, 52.0), 24, False)
                                        ).summary_frame(alpha=0.05)
    ours = poisson_fit.predict(["2021-11", "2021-12", "2022-01", "2022-02", "2022-03",
                                "2022-04"])
    assert ours["in_series"].tolist() == [True, True, False, False, False, False]
    assert np.allclose(ours["mean"], expected["mean"], rtol=1e-7)
    assert np.allclose(ours["ci_low"], expected["mean_ci_lower"], rtol=1e-6)
    assert np.allclose(ours["ci_high"], expected["mean_ci_upper"], rtol=1e-6)


def test_predict_with_offset_in_sample_equals_statsmodels_glm(offset_fit) -> None:
    data = _counts()
    log_pop = np.log(data["population"].to_numpy(dtype=float))
    x = _design(np.arange(48.0), 24, False)
    reference = sm.GLM(data["admissions"].to_numpy(), x, family=sm.families.Poisson(),
                       offset=log_pop).fit()
    expected = reference.get_prediction(x, offset=log_pop).summary_frame(alpha=0.05)
    ours = offset_fit.predict()
    assert np.allclose(ours["mean"], expected["mean"], rtol=1e-7)
    assert np.allclose(ours["ci_low"], expected["mean_ci_lower"], rtol=1e-6)
    assert np.allclose(ours["ci_high"], expected["mean_ci_upper"], rtol=1e-6)


@pytest.mark.parametrize("fixture", ["ols_fit", "ar_fit", "poisson_fit", "offset_fit"])
def test_predict_in_sample_equals_counterfactual(fixture: str, request) -> None:
    fit = request.getfixturevalue(fixture)
    frame = fit.counterfactual()
    fitted = fit.predict()
    counter = fit.predict(counterfactual=True)
    assert fitted["period"].tolist() == frame["period"].tolist()
    for ours, prefix in ((fitted, "fitted"), (counter, "counterfactual")):
        assert np.allclose(ours["mean"], frame[prefix], rtol=1e-12)
        assert np.allclose(ours["ci_low"], frame[f"{prefix}_ci_low"], rtol=1e-12)
        assert np.allclose(ours["ci_high"], frame[f"{prefix}_ci_high"], rtol=1e-12)


def test_predict_refuses_what_it_cannot_predict(ols_fit, offset_fit) -> None:
    with pytest.raises(ParameterError, match="before the series starts at 2018-01"):
        ols_fit.predict(["2017-12"])
    with pytest.raises(ParameterError, match=r"offset \(population\) has no values there"):
        offset_fit.predict("2022-01")
    data = _gaussian().assign(beds=np.cos(0.7 * np.arange(60)))
    with_covariate = fit_its(data, outcome="y", time="month", interruptions="2020-07",
                             errors="ols", covariates=["beds"])
    assert len(with_covariate.predict(["2019-01"])) == 1  # in the data: uses its value
    with pytest.raises(ParameterError, match=r"covariates \(beds\) has no values"):
        with_covariate.predict(["2023-01"])
    with pytest.raises(ParameterError, match="cannot be read as a monthly period"):
        ols_fit.predict(["next year"])


def test_predict_comparison_series_matches_counterfactual() -> None:
    rows = []
    for unit, lift in (("treated", -3.0), ("control", 0.0)):
        frame = _gaussian()
        frame["y"] = frame["y"] + (np.arange(60) >= CUT) * lift + (unit == "control") * 5
        rows.append(frame.assign(site=unit))
    fit = fit_its(pd.concat(rows, ignore_index=True), outcome="y", time="month",
                  interruptions="2020-07", errors="ols", group="site", treated="treated")
    frame = fit.counterfactual()
    assert np.allclose(fit.predict()["mean"], frame["fitted"], rtol=1e-12)
    assert np.allclose(fit.predict(counterfactual=True)["mean"], frame["counterfactual"])
    beta = fit.params
    future = fit.predict("2023-06")  # t = 65: treated = control terms + group terms
    t, k = 65.0, 65.0 - CUT
    mean = (beta["intercept"] + beta["group"] + (beta["trend"] + beta["group:trend"]) * t
            + beta["level_change[2020-07]"] + beta["group:level_change[2020-07]"]
            + (beta["trend_change[2020-07]"] + beta["group:trend_change[2020-07]"]) * k)
    assert future["mean"].iloc[0] == pytest.approx(mean, rel=1e-12)


def test_displays_show_table_and_escaped_summary() -> None:
    fit = fit_its(_gaussian(), outcome="y", time="month", interruptions="2020-07", errors="ols",
                  outcome_label="<b>waits</b> & delays")
    html = fit._repr_html_()
    assert "<table" in html and "level_change[2020-07]" in html
    assert "<b>waits" not in html and "&lt;b&gt;waits&lt;/b&gt; &amp; delays" in html
    text = repr(fit)
    assert text.startswith("ITSResult for <b>waits</b> & delays: gaussian, errors=ols")
    assert "trend_change[2020-07]" in text and fit.summary() in text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shift=st.floats(-50, 50), scale=st.floats(0.1, 20), cut=st.integers(8, 22),
       alpha=st.floats(0.01, 0.5))
def test_property_conf_int_brackets_params_and_predict_equals_fitted(
        shift: float, scale: float, cut: int, alpha: float) -> None:
    data = _gaussian(30)
    data["y"] = shift + scale * data["y"]
    fit = fit_its(data, outcome="y", time="month", interruptions=str(data["month"][cut]),
                  errors="ols")
    ci = fit.conf_int(alpha)
    assert ((ci["lower"] <= fit.params) & (fit.params <= ci["upper"])).all()
    wider = fit.conf_int(alpha / 2)
    assert ((wider["lower"] <= ci["lower"]) & (ci["upper"] <= wider["upper"])).all()
    frame = fit.counterfactual()
    assert np.allclose(fit.predict()["mean"], frame["fitted"], rtol=1e-12)
    assert np.allclose(fit.predict()["mean"], fit.model_result.fittedvalues, rtol=1e-9)


# ----- pre/post results ----------------------------------------------------------------------
def test_prepost_welch_conf_int_equals_scipy() -> None:
    from slp_eval.prepost import compare_means, compare_means_summary

    rng = np.random.default_rng(7)
    a, b = rng.normal(10, 2, 25), rng.normal(11, 3, 30)
    result = compare_means(a, b, n_boot=200)
    welch = stats.ttest_ind(b, a, equal_var=False)
    frame = result.summary_frame().set_index("term")
    assert frame.loc["mean_difference", "df"] == pytest.approx(welch.df, rel=1e-10)
    assert result.params["mean_difference"] == pytest.approx(b.mean() - a.mean(), rel=1e-12)
    low, high = welch.confidence_interval(confidence_level=0.9)
    ninety = result.conf_int(0.1)
    assert ninety.loc["mean_difference", "lower"] == pytest.approx(low, rel=1e-10)
    assert ninety.loc["mean_difference", "upper"] == pytest.approx(high, rel=1e-10)
    # the rank and bootstrap rows are recomputed from the samples at the new level, and narrow
    wide = result.conf_int()
    assert (ninety["upper"] - ninety["lower"] < wide["upper"] - wide["lower"]).all()
    summary = compare_means_summary(a.mean(), a.std(ddof=1), 25, b.mean(), b.std(ddof=1), 30)
    assert summary.conf_int(0.1).loc["mean_difference", "lower"] == pytest.approx(low, rel=1e-10)
    assert "_samples" not in result.to_dict()


def test_prepost_proportions_conf_int_equals_statsmodels() -> None:
    from statsmodels.stats.proportion import confint_proportions_2indep

    from slp_eval.prepost import compare_proportions, percent_change

    result = compare_proportions(189, 450, 378, 450)
    low, high = confint_proportions_2indep(378, 450, 189, 450, method="newcomb",
                                           compare="diff", alpha=0.1)
    ci = result.conf_int(0.1)
    assert list(ci.index) == ["difference", "risk_ratio", "odds_ratio"]
    assert ci.loc["difference", "lower"] == pytest.approx(low, rel=1e-9)
    assert ci.loc["difference", "upper"] == pytest.approx(high, rel=1e-9)
    or_low, or_high = confint_proportions_2indep(378, 450, 189, 450, method="logit-smoothed",
                                                 compare="or", alpha=0.1)
    assert ci.loc["odds_ratio", "lower"] == pytest.approx(or_low, rel=1e-9)
    assert ci.loc["odds_ratio", "upper"] == pytest.approx(or_high, rel=1e-9)
    assert result.params["difference"] == pytest.approx(378 / 450 - 189 / 450)
    change = percent_change(189, 378, n_before=450, n_after=450)
    assert change.conf_int(0.1).loc["percent_change", "lower"] == pytest.approx(
        100 * (ci.loc["risk_ratio", "lower"] - 1), rel=1e-12)
    html = result._repr_html_()
    assert "<table" in html and "risk_ratio" in html and "rose from 42.0%" in html


def test_prepost_rates_conf_int_equals_exact_binomial() -> None:
    from slp_eval.prepost import compare_rates

    result = compare_rates(30, 1000.0, 45, 1000.0)
    # exact conditional interval: Clopper-Pearson for 45 of 75, mapped to the rate ratio
    p = stats.binomtest(45, 75).proportion_ci(confidence_level=0.9, method="exact")
    ci = result.conf_int(0.1)
    assert ci.loc["rate_ratio", "lower"] == pytest.approx(p.low / (1 - p.low), rel=1e-7)
    assert ci.loc["rate_ratio", "upper"] == pytest.approx(p.high / (1 - p.high), rel=1e-7)
    assert ci.loc["rate_after", "lower"] == pytest.approx(stats.chi2.ppf(0.05, 90) / 2 / 1000)


def test_prepost_paired_conf_int_narrows_and_brackets() -> None:
    from slp_eval.prepost import compare_paired_proportions

    result = compare_paired_proportions([[40, 5], [15, 40]])
    ninety, ninety_five = result.conf_int(0.1), result.conf_int()
    assert ninety_five.loc["paired_difference", "lower"] < ninety.loc["paired_difference",
                                                                     "lower"]
    assert ninety.loc["paired_difference", "lower"] < result.params["paired_difference"] < (
        ninety.loc["paired_difference", "upper"])
    assert repr(result).startswith("PairedProportionComparison\n")


# ----- placebo, break-date, scorecard and power results --------------------------------------
def _yearly(n: int = 40, cut: int = 24) -> pd.DataFrame:
    t = np.arange(n)
    wobble = ((t * 37) % 11 - 5) / 5 + 0.5 * np.sin(2.1 * t)
    y = 50 + 0.5 * t - 8.0 * (t >= cut) - 0.4 * (t - cut) * (t >= cut) + wobble
    return pd.DataFrame({"year": 1980 + t, "y": y})


def test_placebo_and_break_date_frames_match_their_fits() -> None:
    from slp_eval.its import break_date_sensitivity, placebo_test

    data = _yearly()
    placebo = placebo_test(data, outcome="y", time="year", interruptions=2004, errors="ols",
                           placebo_dates=[1990, 1995])
    frame = placebo.summary_frame().set_index("term")
    assert list(frame.index) == ["level_change[2004]", "trend_change[2004]",
                                 "level_change[1990]", "trend_change[1990]",
                                 "level_change[1995]", "trend_change[1995]"]
    # the 1995 placebo is an OLS fit of the pre-period rows (t = 0..23) with a break at t = 15
    pre = data[data["year"] < 2004]
    t = np.arange(24.0)
    reference = sm.OLS(pre["y"].to_numpy(), _design(t, 15, False)).fit()
    assert frame.loc["level_change[1995]", "estimate"] == pytest.approx(reference.params[2],
                                                                        rel=1e-10)
    assert frame.loc["level_change[1995]", "df"] == 20
    ninety = placebo.conf_int(0.1)
    expected = reference.conf_int(alpha=0.1)[2]
    assert ninety.loc["level_change[1995]"].tolist() == pytest.approx(expected, rel=1e-10)
    assert placebo.params["trend_change[2004]"] == pytest.approx(
        fit_its(data, outcome="y", time="year", interruptions=2004,
                errors="ols").params["trend_change[2004]"], rel=1e-12)
    assert "permutation-style p" in placebo._repr_html_()

    moved = break_date_sensitivity(data, outcome="y", time="year", interruptions=2004,
                                   errors="ols", window=1)
    frame = moved.summary_frame()
    assert frame["term"].tolist()[:2] == ["level_change[2003]", "trend_change[2003]"]
    reference = sm.OLS(data["y"].to_numpy(), _design(np.arange(40.0), 25, False)).fit()
    assert moved.conf_int(0.2).loc["trend_change[2005]"].tolist() == pytest.approx(
        reference.conf_int(alpha=0.2)[3], rel=1e-10)


def test_scorecard_conf_int_retests_each_claim() -> None:
    from slp_eval.report.scorecard import build

    claims = [
        {"id": "distance", "claim": "Placements nearer home", "metric": "distance", "unit":
         "miles", "kind": "mean", "direction": "decrease",
         "before": {"period": "2017", "mean": 73, "sd": 60, "n": 40},
         "after": {"period": "2019", "mean": 7, "sd": 5, "n": 38}, "source": "test"},
        {"id": "at_home", "claim": "More at home", "metric": "share at home", "unit": "people",
         "kind": "proportion", "direction": "increase",
         "before": {"period": "2017", "count": 38, "denominator": 50},
         "after": {"period": "2018", "count": 48, "denominator": 50}, "source": "test"},
    ]
    card = build(claims)
    assert list(card.params.index) == ["distance", "at_home"]
    assert card.params["distance"] == pytest.approx(-66)
    welch = stats.ttest_ind_from_stats(7, 5, 38, 73, 60, 40, equal_var=False)
    v1, v2 = 60**2 / 40, 5**2 / 38
    se, df = math.sqrt(v1 + v2), (v1 + v2) ** 2 / (v1**2 / 39 + v2**2 / 37)  # Satterthwaite
    assert card.summary_frame().loc[0, "p_value"] == pytest.approx(welch.pvalue, rel=1e-10)
    q = stats.t.ppf(0.95, df)
    ninety = card.conf_int(0.1)
    assert ninety.loc["distance"].tolist() == pytest.approx([-66 - q * se, -66 + q * se],
                                                            rel=1e-10)
    assert (ninety["upper"] - ninety["lower"] < card.conf_int()["upper"]
            - card.conf_int()["lower"]).all()
    assert "2 claims: 2 supported" in card._repr_html_()


def test_power_summary_frame_has_wilson_intervals() -> None:
    from slp_eval.power import its_power

    result = its_power(12, [6, 12], level_change=2.0, errors="ols", n_sim=40, seed=3)
    frame = result.summary_frame()
    table = result.to_frame()
    assert frame["term"].tolist()[0] == "level_change[12+6, 2]"
    assert np.allclose(frame["estimate"], table["power"]) and frame["p_value"].isna().all()
    for alpha in (None, 0.1):
        ci = result.conf_int(alpha)
        z = stats.norm.ppf(1 - (0.05 if alpha is None else alpha) / 2)
        n = table["n_used"].to_numpy()
        p = table["power"].to_numpy()
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
        assert np.allclose(ci["lower"], centre - half, rtol=1e-10, atol=1e-12)
        assert np.allclose(ci["upper"], centre + half, rtol=1e-10)


def test_readme_jupyter_example_runs() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("## Using the library in Jupyter", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    result = namespace["result"]
    assert result.predict(["2021-01"])["mean"].iloc[0] < result.predict(
        ["2021-01"], counterfactual=True)["mean"].iloc[0]


def _families() -> dict[str, tuple[pd.DataFrame, dict[str, object]]]:
    t = np.arange(48)
    month = pd.period_range("2018-01", periods=48, freq="M")
    gaussian = pd.DataFrame({"month": month, "y": 20 + 0.2 * t - 3 * (t >= 24) + np.sin(t)
                             + ((t * 37) % 11 - 5) / 4})
    pop = 50_000 + 100 * t
    rate = np.exp(-6 + 0.004 * t - 0.15 * (t >= 24))
    counts = pd.DataFrame({"month": month, "pop": pop, "n": np.round(
        pop * rate * (1 + 0.05 * np.sin(1.3 * t))).astype(int), "wide": np.round(
        pop * rate * (1 + 0.3 * np.sin(1.3 * t))).astype(int)})
    shares = pd.DataFrame({"month": month, "m": 200, "x": np.round(
        200 * (0.3 + 0.005 * t + 0.1 * (t >= 24)) + 3 * np.sin(t)).astype(int)})
    return {
        "ols": (gaussian, {"outcome": "y", "errors": "ols"}),
        "newey-west": (gaussian, {"outcome": "y", "errors": "newey-west", "maxlags": 2}),
        "ar-kr": (gaussian, {"outcome": "y", "errors": "ar"}),
        "ar-satterthwaite": (gaussian, {"outcome": "y", "errors": "ar",
                                        "small_sample": "satterthwaite"}),
        "arima": (gaussian, {"outcome": "y", "errors": "arima"}),
        "poisson-nw": (counts, {"outcome": "n", "family": "poisson", "offset": "pop",
                                "errors": "newey-west"}),
        "quasipoisson": (counts, {"outcome": "n", "family": "quasipoisson", "offset": "pop",
                                  "errors": "ols"}),
        "negbin": (counts, {"outcome": "wide", "family": "negbin", "offset": "pop",
                            "errors": "ols"}),
        "binomial": (shares, {"outcome": "x", "family": "binomial", "trials": "m",
                              "errors": "ols"}),
    }


@pytest.mark.parametrize("case", list(_families()))
def test_conf_int_rule_reproduces_every_fits_own_intervals(case: str) -> None:
    """The Wald rule of conf_int(alpha) (t on the df column, z where df is NaN) gives back the
    intervals each estimator produced itself (statsmodels, REML + Kenward-Roger, SARIMAX), and
    predict() gives back counterfactual()'s fitted and no-programme bands."""
    data, arguments = _families()[case]
    fit = fit_its(data, time="month", interruptions="2020-01", **arguments)
    frame = fit.summary_frame()
    ours = fit.conf_int(0.05 + 1e-15)  # forces the recomputation, not the stored columns
    assert np.allclose(ours["lower"], frame["ci_low"], rtol=1e-9)
    assert np.allclose(ours["upper"], frame["ci_high"], rtol=1e-9)
    bands = fit.counterfactual()
    for ours_band, prefix in ((fit.predict(), "fitted"),
                              (fit.predict(counterfactual=True), "counterfactual")):
        assert np.allclose(ours_band["mean"], bands[prefix], rtol=1e-12)
        assert np.allclose(ours_band["ci_high"], bands[f"{prefix}_ci_high"], rtol=1e-12)


def test_predict_accepts_the_time_columns_own_coding() -> None:
    fit = fit_its(_yearly(), outcome="y", time="year", interruptions=2004, errors="ols")
    frame = fit.predict(np.array([2018, 2019, 2025]))
    assert frame["period"].tolist() == ["2018", "2019", "2025"]
    assert frame["in_series"].tolist() == [True, True, False]
    b = fit.params
    assert frame["mean"].iloc[2] == pytest.approx(
        b["intercept"] + b["trend"] * 45 + b["level_change[2004]"]
        + b["trend_change[2004]"] * 21, rel=1e-12)
    with pytest.raises(ParameterError, match="periods is empty"):
        fit.predict([])


@settings(max_examples=40, deadline=None)
@given(x1=st.integers(1, 99), x2=st.integers(1, 99), n=st.integers(100, 400),
       alpha=st.floats(0.01, 0.5))
def test_property_prepost_conf_int_brackets_params(x1: int, x2: int, n: int,
                                                   alpha: float) -> None:
    from slp_eval.prepost import compare_proportions, compare_rates

    for result in (compare_proportions(x1, n, x2, n), compare_rates(x1, 1000.0, x2, 1500.0)):
        ci, params = result.conf_int(alpha), result.params
        assert ((ci["lower"] <= params + 1e-12) & (params - 1e-12 <= ci["upper"])).all()
        wider = result.conf_int(alpha / 2)
        assert ((wider["lower"] <= ci["lower"] + 1e-12)
                & (ci["upper"] <= wider["upper"] + 1e-12)).all()
