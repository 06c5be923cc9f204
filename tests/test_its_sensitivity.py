"""In-time placebo tests and break-date sensitivity."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.its import break_date_sensitivity, fit_its, placebo_test


def _series(n: int = 40, cut: int = 24, level: float = -8.0, noise: float = 1.0) -> pd.DataFrame:
    t = np.arange(n)
    wobble = noise * (((t * 37) % 11 - 5) / 5 + 0.5 * np.sin(2.1 * t))
    y = 50 + 0.5 * t + level * (t >= cut) - 0.4 * (t - cut) * (t >= cut) + wobble
    return pd.DataFrame({"year": 1980 + t, "y": y})


def test_placebo_dates_cover_the_pre_period_and_p_follows_the_formula() -> None:
    data = _series()
    result = placebo_test(data, outcome="y", time="year", interruptions=2004, errors="ols")
    # Pre-period 1980-2003 (24 years); placebo dates keep 3 fitted years on each side.
    assert result.placebos["period"].unique().tolist() == [str(y) for y in range(1983, 2002)]
    real = fit_its(data, outcome="y", time="year", interruptions=2004, errors="ols")
    level = result.actual.set_index("term").loc["level_change"]
    assert level["estimate"] == real.coefficients.loc["level_change[2004]", "estimate"]
    placebo_levels = result.placebos.query("term == 'level_change'")["estimate"].to_numpy()
    bigger = np.sum(np.abs(placebo_levels) >= abs(level["estimate"]))
    test = result.tests.set_index("term").loc["level_change"]
    assert test["p_value"] == pytest.approx((1 + bigger) / (1 + 19))
    assert test["rank"] == 1 and test["p_value"] == pytest.approx(1 / 20)
    # Each placebo is the same model on the pre-period rows.
    pre = fit_its(data[data["year"] < 2004], outcome="y", time="year", interruptions=1990,
                  errors="ols")
    row = result.placebos.query("period == '1990' and term == 'trend_change'").iloc[0]
    assert row["estimate"] == pytest.approx(pre.coefficients.loc["trend_change[1990]",
                                                                 "estimate"])


def test_placebo_subset_and_views() -> None:
    result = placebo_test(_series(), outcome="y", time="year", interruptions=2004,
                          n_placebos=5, errors="ols")
    assert result.placebos["period"].unique().tolist() == ["1983", "1987", "1992", "1997",
                                                           "2001"]
    frame = result.to_frame()
    assert frame.columns.tolist() == ["kind", "period", "term", "estimate", "std_err",
                                      "ci_low", "ci_high", "p_value", "df"]
    assert (frame["kind"] == "actual").sum() == 2
    assert "5 placebo interruptions" in result.summary()
    json.dumps(result.to_dict(), allow_nan=False)


def test_no_effect_series_is_not_extreme_among_placebos() -> None:
    """A series with no change at the real date: the level change is not extreme."""
    data = _series(level=0.0)
    data["y"] = 50 + 0.5 * np.arange(40) + 2 * np.sin(0.9 * np.arange(40))
    result = placebo_test(data, outcome="y", time="year", interruptions=2004, errors="ols")
    assert result.tests.set_index("term").loc["level_change", "p_value"] > 0.2


def test_placebo_needs_a_long_enough_pre_period() -> None:
    with pytest.raises(ModelInputError, match=re.escape(
            "the pre-period (5 periods before 1985) is too short for a placebo interruption "
            "(rule: at least 3 fitted periods on each side of it)")):
        placebo_test(_series(), outcome="y", time="year", interruptions=1985, errors="ols")


def test_break_dates_recover_the_true_date_on_a_clean_series() -> None:
    data = _series(noise=0.0)
    result = break_date_sensitivity(data, outcome="y", time="year", interruptions=2004,
                                    window=2, errors="ols")
    frame = result.to_frame()
    assert frame["shift"].unique().tolist() == [-2, -1, 0, 1, 2]
    assert frame.loc[frame["chosen"], "period"].unique().tolist() == ["2004"]
    chosen = frame[frame["chosen"]].set_index("term")
    assert chosen.loc["level_change", "estimate"] == pytest.approx(-8.0, abs=1e-9)
    assert chosen.loc["trend_change", "estimate"] == pytest.approx(-0.4, abs=1e-9)
    moved = frame[(frame["shift"] == 2) & (frame["term"] == "level_change")].iloc[0]
    refit = fit_its(data, outcome="y", time="year", interruptions=2006, errors="ols")
    assert moved["estimate"] == pytest.approx(refit.coefficients.loc["level_change[2006]",
                                                                     "estimate"])
    assert "around 2004" in result.summary()
    json.dumps(result.to_dict(), allow_nan=False)


def test_break_date_window_that_breaks_a_segment_is_an_error() -> None:
    with pytest.raises(ModelInputError, match=re.escape(
            "break date shifted by -4 periods (1982): segment 'before 1982' has 2 fitted "
            "periods (rule: each segment needs at least 3; phase-in and dropped rows do not "
            "count) (window=3 is the widest that every shifted date fits)")):
        break_date_sensitivity(_series(), outcome="y", time="year", interruptions=1986,
                               window=4, errors="ols")
    with pytest.raises(ParameterError, match=re.escape(
            "window=0 must be a positive integer number of periods")):
        break_date_sensitivity(_series(), outcome="y", time="year", interruptions=2004,
                               window=0)


def test_break_dates_move_only_the_chosen_interruption() -> None:
    data = _series(n=60)
    result = break_date_sensitivity(data, outcome="y", time="year",
                                    interruptions=[2004, 2020], interruption=2020, window=1,
                                    errors="ols")
    assert result.to_frame()["period"].unique().tolist() == ["2019", "2020", "2021"]


def test_monthly_placebo_passes_period_values() -> None:
    data = _series()
    data["year"] = pd.period_range("2015-01", periods=40, freq="M")
    result = placebo_test(data, outcome="y", time="year", interruptions="2017-01",
                          n_placebos=3, errors="ar")
    assert result.placebos["period"].unique().tolist() == ["2015-04", "2016-01", "2016-10"]


def test_explicit_placebo_dates() -> None:
    result = placebo_test(_series(), outcome="y", time="year", interruptions=2004,
                          placebo_dates=[1990, 1995], errors="ols")
    assert result.placebos["period"].unique().tolist() == ["1990", "1995"]
    with pytest.raises(ModelInputError, match=re.escape(
            "placebo date 2002 is outside the admissible pre-period dates 1983 to 2001 (rule: "
            "at least 3 fitted periods on each side, before 2004)")):
        placebo_test(_series(), outcome="y", time="year", interruptions=2004,
                     placebo_dates=[2002], errors="ols")


def _monthly(n: int = 48) -> pd.DataFrame:
    t = np.arange(n)
    wobble = ((t * 37) % 11 - 5) / 5 + 0.5 * np.sin(2.1 * t)
    return pd.DataFrame({"period": pd.period_range("2016-01", periods=n, freq="M").astype(str),
                         "percent": 50 + 0.1 * t + 4.0 * (t >= 27) + wobble})


def test_placebo_and_break_date_take_fit_its_defaults() -> None:
    """errors=None resolves as fit_its resolves it (REML AR(1), Kenward-Roger) in both."""
    data = _monthly()
    real = fit_its(data, outcome="percent", time="period", interruptions="2018-04")
    assert (real.spec.errors, real.spec.small_sample) == ("ar", "kenward-roger")
    placebo = placebo_test(data, outcome="percent", time="period", interruptions="2018-04")
    level = placebo.actual.set_index("term").loc["level_change", "estimate"]
    assert level == pytest.approx(real.coefficients.loc["level_change[2018-04]", "estimate"])
    assert placebo.tests["n_placebos"].iloc[0] == 27 - 2 * 3 + 1
    shifted = break_date_sensitivity(data, outcome="percent", time="period",
                                     interruptions="2018-04")
    chosen = shifted.estimates[shifted.estimates["chosen"]].set_index("term")
    assert chosen.filter(like="level_change", axis=0)["estimate"].iloc[0] == pytest.approx(level)
    refit = fit_its(data, outcome="percent", time="period", interruptions="2018-06")
    moved = shifted.estimates[(shifted.estimates["shift"] == 2)]
    assert moved["estimate"].iloc[0] == pytest.approx(
        refit.coefficients.loc["level_change[2018-06]", "estimate"], rel=1e-8)


def test_break_date_advice_names_the_widest_window_that_fits() -> None:
    with pytest.raises(ModelInputError, match=re.escape(
            "break date shifted by +19 periods (2019-11): segment 'from 2019-11' has 2 fitted "
            "periods (rule: each segment needs at least 3; phase-in and dropped rows do not "
            "count) (window=18 is the widest that every shifted date fits)")) as caught:
        break_date_sensitivity(_monthly(), outcome="percent", time="period",
                               interruptions="2018-04", window=30)
    assert "narrow" not in str(caught.value)
