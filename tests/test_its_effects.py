"""Effects, counterfactuals, diagnostics and the JSON/text views, checked against statsmodels'
own contrast tests, predictions and diagnostic functions (independent code paths)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.diagnostic import acorr_breusch_godfrey, acorr_ljungbox
from statsmodels.stats.stattools import durbin_watson

from slp_eval.errors import ParameterError
from slp_eval.its import fit_its


def _gaussian(n: int = 60, cut: int = 30) -> pd.DataFrame:
    t = np.arange(n)
    noise = ((t * 37) % 11 - 5) / 4 + np.sin(t)
    y = 20 + 0.2 * t - 3 * (t >= cut) - 0.1 * (t - cut) * (t >= cut) + noise
    return pd.DataFrame({"month": pd.period_range("2018-01", periods=n, freq="M"), "y": y})


def _counts(n: int = 48, cut: int = 24) -> pd.DataFrame:
    t = np.arange(n)
    population = 50_000 + 100 * t
    rate = np.exp(-6 + 0.004 * t - 0.15 * (t >= cut) + 0.002 * (t - cut) * (t >= cut))
    wobble = 1 + 0.05 * np.sin(1.3 * t)
    return pd.DataFrame({"month": pd.period_range("2018-01", periods=n, freq="M"),
                         "admissions": np.round(population * rate * wobble).astype(int),
                         "population": population})


@pytest.fixture(scope="module")
def gaussian_fit():
    return fit_its(_gaussian(), outcome="y", time="month", interruptions="2020-07",
                   errors="newey-west", maxlags=2)


@pytest.fixture(scope="module")
def poisson_fit():
    return fit_its(_counts(), outcome="admissions", time="month", interruptions="2020-01",
                   family="quasipoisson", errors="ols", offset="population")


def test_effect_at_identity_equals_statsmodels_contrast(gaussian_fit) -> None:
    names = gaussian_fit.coefficients.index.tolist()
    for h in (0, 7, 29):
        contrast = np.zeros(len(names))
        contrast[names.index("level_change[2020-07]")] = 1
        contrast[names.index("trend_change[2020-07]")] = h
        test = gaussian_fit.model_result.t_test(contrast)
        effect = gaussian_fit.effect_at(h)
        row = effect.set_index("term").loc["absolute_effect"]
        assert row["estimate"] == pytest.approx(float(test.effect[0]), rel=1e-10)
        assert row["std_err"] == pytest.approx(float(test.sd[0, 0]), rel=1e-10)
        low, high = test.conf_int(alpha=0.05)[0]
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), rel=1e-10)
        assert row["p_value"] == pytest.approx(float(test.pvalue), rel=1e-8)
        assert row["method"] == "delta"
        assert effect["period"].iloc[0] == str(pd.Period("2020-07", "M") + h)


def test_relative_effect_identity_is_effect_over_counterfactual(gaussian_fit) -> None:
    effect = gaussian_fit.effect_at(5).set_index("term")
    b = gaussian_fit.coefficients["estimate"]
    counterfactual = b["intercept"] + b["trend"] * 35
    assert effect.loc["absolute_effect", "counterfactual"] == pytest.approx(counterfactual)
    assert effect.loc["relative_effect", "estimate"] == pytest.approx(
        effect.loc["absolute_effect", "estimate"] / counterfactual)
    # Delta-method SE by finite differences of the ratio in the coefficients.
    v = gaussian_fit.fit.cov.to_numpy()
    beta = b.to_numpy()

    def ratio(beta_: np.ndarray) -> float:
        return (beta_[2] + 5 * beta_[3]) / (beta_[0] + 35 * beta_[1])

    grad = np.array([(ratio(beta + 1e-6 * e) - ratio(beta - 1e-6 * e)) / 2e-6
                     for e in np.eye(len(beta))])
    assert effect.loc["relative_effect", "std_err"] == pytest.approx(np.sqrt(grad @ v @ grad),
                                                                     rel=1e-5)


def test_cumulative_identity_effect_is_the_summed_contrast(gaussian_fit) -> None:
    h = np.arange(30)
    contrast = np.array([0, 0, len(h), h.sum()], dtype=float)
    test = gaussian_fit.model_result.t_test(contrast)
    row = gaussian_fit.cumulative_effect().set_index("term").loc["absolute_effect"]
    assert row["estimate"] == pytest.approx(float(test.effect[0]), rel=1e-10)
    assert row["std_err"] == pytest.approx(float(test.sd[0, 0]), rel=1e-10)
    assert row["periods"] == 30 and row["from_period"] == "2020-07"


def test_counterfactual_frame_matches_statsmodels_prediction(gaussian_fit) -> None:
    frame = gaussian_fit.counterfactual()
    prediction = gaussian_fit.model_result.get_prediction(gaussian_fit.design).summary_frame(
        alpha=0.05)
    np.testing.assert_allclose(frame["fitted"], prediction["mean"], rtol=1e-12)
    np.testing.assert_allclose(frame["fitted_ci_low"], prediction["mean_ci_lower"], rtol=1e-10)
    pre = frame["t"] < 30
    np.testing.assert_allclose(frame.loc[pre, "counterfactual"], frame.loc[pre, "fitted"])
    np.testing.assert_allclose(frame.loc[pre, "counterfactual_ci_high"],
                               frame.loc[pre, "fitted_ci_high"])
    assert frame.columns.tolist() == [
        "period", "t", "observed", "fitted", "fitted_ci_low", "fitted_ci_high", "counterfactual",
        "counterfactual_ci_low", "counterfactual_ci_high", "in_fit", "phase_in"]


def test_poisson_effects_on_the_count_scale(poisson_fit) -> None:
    data = _counts()
    b = poisson_fit.coefficients["estimate"]
    h = 6
    t = 24 + h
    eta0 = b["intercept"] + b["trend"] * t + np.log(data["population"][t])
    eta1 = eta0 + b["level_change[2020-01]"] + b["trend_change[2020-01]"] * h
    effect = poisson_fit.effect_at(h).set_index("term")
    assert effect.loc["absolute_effect", "estimate"] == pytest.approx(np.exp(eta1) - np.exp(eta0))
    # Relative effect exp(b2 + 6 b3) - 1: its simulation interval should match the exact
    # transform of the t interval of the linear contrast (to simulation error).
    test = poisson_fit.model_result.t_test(np.array([0, 0, 1, h], dtype=float))
    low, high = np.exp(test.conf_int(alpha=0.05)[0]) - 1
    relative = effect.loc["relative_effect"]
    assert relative["estimate"] == pytest.approx(np.exp(float(test.effect[0])) - 1)
    assert relative["method"] == "simulation"
    width = high - low
    assert relative["ci_low"] == pytest.approx(low, abs=0.05 * width)
    assert relative["ci_high"] == pytest.approx(high, abs=0.05 * width)
    again = poisson_fit.effect_at(h).set_index("term")
    assert again.loc["relative_effect", "ci_low"] == relative["ci_low"]  # seeded


def test_poisson_bands_match_statsmodels_glm_prediction(poisson_fit) -> None:
    frame = poisson_fit.counterfactual()
    offset = np.log(_counts()["population"].to_numpy())
    prediction = poisson_fit.model_result.get_prediction(
        poisson_fit.design, offset=offset).summary_frame(alpha=0.05)
    np.testing.assert_allclose(frame["fitted"], prediction["mean"], rtol=1e-10)
    np.testing.assert_allclose(frame["fitted_ci_low"], prediction["mean_ci_lower"], rtol=1e-6)
    assert {"ratio", "ratio_ci_low", "ratio_ci_high"} <= set(poisson_fit.coefficients.columns)


def test_multiple_interruptions_effects() -> None:
    t = np.arange(60)
    y = 10 + 0.1 * t + 2 * (t >= 20) + 0.3 * (t - 40) * (t >= 40) + np.sin(t)
    data = pd.DataFrame({"year": 1950 + t, "y": y})
    result = fit_its(data, outcome="y", time="year", interruptions=[1970, 1990], errors="ols")
    b = result.coefficients["estimate"]
    second = result.effect_at(3, interruption=1990).set_index("term")
    assert second.loc["absolute_effect", "estimate"] == pytest.approx(
        b["level_change[1990]"] + 3 * b["trend_change[1990]"])
    whole = result.effect_at(25).set_index("term")  # 1995: both interruptions removed
    assert whole.loc["absolute_effect", "estimate"] == pytest.approx(
        b["level_change[1970]"] + 25 * b["trend_change[1970]"] + b["level_change[1990]"]
        + 5 * b["trend_change[1990]"])
    with pytest.raises(ParameterError, match=re.escape(
            "interruption=1980 is not one of the fitted interruptions (1970, 1990)")):
        result.effect_at(0, interruption=1980)
    with pytest.raises(ParameterError, match=re.escape(
            "h=40 must be an integer from 0 to 39 (the last period after interruption 1970)")):
        result.effect_at(40)


def test_phase_in_rows_stay_in_effects() -> None:
    result = fit_its(_gaussian(), outcome="y", time="month", interruptions="2020-07",
                     phase_in=3, errors="ols")
    frame = result.counterfactual()
    assert frame["phase_in"].sum() == 3 and (~frame["in_fit"]).sum() == 3
    assert frame.loc[frame["phase_in"], "period"].tolist() == ["2020-07", "2020-08", "2020-09"]
    assert np.isfinite(frame.loc[frame["phase_in"], "fitted"]).all()
    assert result.effect_at(1)["period"].iloc[0] == "2020-08"
    assert result.n_obs == 57


def test_diagnostics_match_statsmodels(gaussian_fit) -> None:
    diagnostics = gaussian_fit.diagnostics(nlags=4)
    tests = diagnostics.to_frame().set_index("test")
    ols = gaussian_fit.model_result
    bg = acorr_breusch_godfrey(ols, nlags=4, result_object=True)
    assert tests.loc["breusch_godfrey", "statistic"] == pytest.approx(bg.lm, rel=1e-10)
    assert tests.loc["breusch_godfrey", "p_value"] == pytest.approx(bg.lmpval, rel=1e-8)
    assert tests.loc["durbin_watson", "statistic"] == pytest.approx(durbin_watson(ols.resid))
    lb = acorr_ljungbox(ols.resid, lags=[4], return_df=True)
    assert tests.loc["ljung_box", "statistic"] == pytest.approx(lb["lb_stat"].iloc[0])
    assert diagnostics.acf["lag"].tolist() == [0, 1, 2, 3, 4]
    assert diagnostics.acf["ci_high"].iloc[0] == pytest.approx(
        stats.norm.ppf(0.975) / np.sqrt(60))
    assert diagnostics.overdispersion is None
    assert "Durbin-Watson statistic" in diagnostics.summary()


def test_overdispersion_equals_quasipoisson_dispersion(poisson_fit) -> None:
    assert poisson_fit.diagnostics().overdispersion == pytest.approx(
        poisson_fit.fit.extra["dispersion"], rel=1e-10)


def test_to_dict_is_json_ready(gaussian_fit, poisson_fit) -> None:
    for result in (gaussian_fit, poisson_fit):
        payload = result.to_dict()
        text = json.dumps(payload, allow_nan=False)
        assert json.loads(text)["estimates"][0]["term"] == "intercept"
        its = payload["its"]
        assert its["n_obs"] == result.n_obs and its["frequency"] == "monthly"
        assert set(its) >= {"family", "errors", "maxlags", "maxlags_chosen_by", "interruptions",
                            "phase_in", "effects", "diagnostics"}
    assert gaussian_fit.to_dict()["its"]["maxlags"] == 2
    assert gaussian_fit.to_dict()["its"]["maxlags_chosen_by"] == "given"
    assert gaussian_fit.to_frame().columns[:6].tolist() == ["term", "estimate", "std_err",
                                                            "ci_low", "ci_high", "p_value"]


def test_summary_words_fit_the_family(gaussian_fit, poisson_fit) -> None:
    level = gaussian_fit.coefficients.loc["level_change[2020-07]"]
    text = gaussian_fit.summary()
    assert text.startswith("Before 2020-07, y rose by ")
    assert (f"At 2020-07 the level fell by {abs(level['estimate']):.3g} (95% CI "
            f"{level['ci_low']:.3g} to ") in text
    counts = poisson_fit.summary()
    ratio = poisson_fit.coefficients.loc["level_change[2020-01]", "ratio"]
    assert f"the level changed by a rate ratio of {ratio:.3f}" in counts
    assert counts.startswith("Before 2020-01, the rate of admissions rose by ")
    assert "rate" in poisson_fit.methods_text()


def test_summary_closes_with_the_effect_at_the_last_period_or_the_sum_of_counts(
        gaussian_fit, poisson_fit) -> None:
    # A level or share summed over months means nothing: the identity link reports the effect at
    # the last period; counts (log link) report the sum, e.g. bed days avoided.
    last = gaussian_fit.effect_at(59 - 30).set_index("term")
    absolute, relative = last.loc["absolute_effect"], last.loc["relative_effect"]
    side = "above" if absolute["estimate"] >= 0 else "below"
    assert gaussian_fit.summary().endswith(
        f"By {absolute['period']}, 29 month(s) after 2020-07, the fitted series was "
        f"{abs(absolute['estimate']):.2f} {side} the counterfactual (95% CI "
        f"{absolute['ci_low']:.2f} to {absolute['ci_high']:.2f}; relative to the counterfactual "
        f"{100 * relative['estimate']:+.1f}%, CI {100 * relative['ci_low']:+.1f}% to "
        f"{100 * relative['ci_high']:+.1f}%).")
    assert "Summed over" not in gaussian_fit.summary()
    total = poisson_fit.cumulative_effect().iloc[0]
    assert (f"Summed over the {int(total['periods'])} months from {total['from_period']} to "
            f"{total['to_period']}") in poisson_fit.summary()


def test_outcome_label_words_the_summary_methods_and_figure() -> None:
    label = "the percentage of the cohort placed in south London"
    fit = fit_its(_gaussian(), outcome="y", time="month", interruptions="2020-07",
                  errors="newey-west", maxlags=2, outcome_label=label)
    assert fit.summary().startswith(f"Before 2020-07, {label} rose by ")
    assert f"monthly observations of {label}" in fit.methods_text()
    ax = fit.plot().axes[0]
    assert ax.get_ylabel() == label and ax.get_title() == f"Interrupted time series: {label}"
    plain = fit_its(_gaussian(), outcome="y", time="month", interruptions="2020-07",
                    errors="newey-west", maxlags=2)
    assert fit.coefficients.equals(plain.coefficients)
    with pytest.raises(ParameterError, match=re.escape(
            "outcome_label must be a non-empty string or None, got ' '")):
        fit_its(_gaussian(), outcome="y", time="month", interruptions="2020-07", outcome_label=" ")


def test_methods_text_reports_lag_choice_and_estimators() -> None:
    chosen = fit_its(_gaussian(), outcome="y", time="month", interruptions="2020-07",
                     errors="newey-west")
    text = chosen.methods_text()
    assert "Newey-West (Bartlett kernel)" in text
    assert f"with {chosen.fit.maxlags} lag(s), chosen as the Newey-West (1994) plug-in" in text
    assert "n/(n-k)" in text and "statsmodels" in text
    ar = fit_its(_gaussian(), outcome="y", time="month", interruptions="2020-07", errors="ar")
    assert "restricted maximum likelihood" in ar.methods_text()
    assert "AR(1)" in ar.methods_text()


def test_segment_trends_equal_statsmodels_lincom(gaussian_fit, poisson_fit) -> None:
    """Stata itsa `posttrend`: trend before and after, as lincom _t + _x_t<L>."""
    trends = gaussian_fit.segment_trends().set_index("term")
    assert trends.index.tolist() == ["trend[before 2020-07]", "trend[from 2020-07]"]
    test = gaussian_fit.model_result.t_test(np.array([0, 1, 0, 1], dtype=float))
    after = trends.loc["trend[from 2020-07]"]
    assert after["estimate"] == pytest.approx(float(test.effect[0]), rel=1e-12)
    assert after["std_err"] == pytest.approx(float(test.sd[0, 0]), rel=1e-10)
    assert after["p_value"] == pytest.approx(float(test.pvalue), rel=1e-8)
    ratio = poisson_fit.segment_trends().set_index("term").loc["trend[from 2020-01]", "ratio"]
    b = poisson_fit.coefficients["estimate"]
    assert ratio == pytest.approx(np.exp(b["trend"] + b["trend_change[2020-01]"]))


def test_segment_trends_of_comparison_series() -> None:
    t = np.arange(30)
    treated = pd.DataFrame({"year": 1990 + t, "unit": "T",
                            "y": 5 + 0.5 * t - 0.8 * (t - 15) * (t >= 15) + np.sin(t)})
    control = pd.DataFrame({"year": 1990 + t, "unit": "C",
                            "y": 4 + 0.4 * t - 0.1 * (t - 15) * (t >= 15) + np.cos(t)})
    result = fit_its(pd.concat([treated, control], ignore_index=True), outcome="y",
                     time="year", interruptions=2005, group="unit", treated="T", errors="ols")
    trends = result.segment_trends().set_index("term")["estimate"]
    b = result.coefficients["estimate"]
    assert trends["control:trend[from 2005]"] == pytest.approx(
        b["trend"] + b["trend_change[2005]"])
    assert trends["treated:trend[from 2005]"] - trends["control:trend[from 2005]"] == (
        pytest.approx(trends["difference:trend[from 2005]"]))
    assert trends["difference:trend[before 2005]"] == pytest.approx(b["group:trend"])


def test_repr_names_the_model_and_shows_the_table(gaussian_fit) -> None:
    text = repr(gaussian_fit)
    assert text.splitlines()[0] == ("ITSResult for y: gaussian, errors=newey-west, maxlags=2; 60 "
                                    "monthly observations; interruptions 2020-07")
    assert "level_change[2020-07]" in text and text.endswith(gaussian_fit.summary())
