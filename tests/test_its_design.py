"""The design matrix (term names and values, as Stata itsa's _t, _x1989, _x_t1989) and the
reading of time columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from slp_eval.its import fit_its
from slp_eval.its.design import Interruption, build_design, programme_terms


def _series(time: pd.Series | np.ndarray | list, n: int = 24) -> pd.DataFrame:
    t = np.arange(n)
    return pd.DataFrame({"when": time, "y": 5 + 0.3 * t + np.sin(t)})


def test_single_interruption_columns_match_itsa_coding() -> None:
    """itsa: _t = 0..n-1, _x1989 = year >= 1989, _x_t1989 = (year - 1989) * _x1989."""
    years = np.arange(1970, 2001)
    design = build_design(years - 1970, interruptions=[Interruption("1989", 19)],
                          impact="level+trend")
    assert design.columns.tolist() == ["intercept", "trend", "level_change[1989]",
                                       "trend_change[1989]"]
    np.testing.assert_array_equal(design["trend"], np.arange(31))
    np.testing.assert_array_equal(design["level_change[1989]"], (years >= 1989).astype(float))
    np.testing.assert_array_equal(design["trend_change[1989]"],
                                  np.where(years >= 1989, years - 1989, 0))


def test_impact_selects_terms_and_multiple_interruptions() -> None:
    cuts = [Interruption("a", 5), Interruption("b", 10)]
    level = build_design(np.arange(15), interruptions=cuts, impact="level")
    assert level.columns.tolist() == ["intercept", "trend", "level_change[a]", "level_change[b]"]
    trend = build_design(np.arange(15), interruptions=cuts, impact="trend")
    assert trend.columns.tolist() == ["intercept", "trend", "trend_change[a]", "trend_change[b]"]
    np.testing.assert_array_equal(trend["trend_change[b]"], np.maximum(np.arange(15) - 10, 0))
    assert programme_terms(cuts, "level+trend", controlled=True) == [
        "group:level_change[a]", "group:trend_change[a]", "group:level_change[b]",
        "group:trend_change[b]"]


def test_comparison_series_interactions() -> None:
    t = np.tile(np.arange(6), 2)
    treated = np.r_[np.ones(6), np.zeros(6)]
    design = build_design(t, interruptions=[Interruption("3", 3)], impact="level+trend",
                          treated=treated)
    assert design.columns.tolist() == [
        "intercept", "trend", "level_change[3]", "trend_change[3]", "group", "group:trend",
        "group:level_change[3]", "group:trend_change[3]"]
    np.testing.assert_array_equal(design["group:trend_change[3]"],
                                  np.r_[0, 0, 0, 0, 1, 2, np.zeros(6)])


def test_month_fixed_effects_and_fourier_terms() -> None:
    months = pd.period_range("2019-01", periods=36, freq="M")
    result = fit_its(_series(months, 36), outcome="y", time="when", interruptions="2020-07",
                     seasonality="month", errors="ols")
    assert [c for c in result.design.columns if c.startswith("month")] == [
        f"month[{m}]" for m in range(2, 13)]
    np.testing.assert_array_equal(result.design["month[3]"], (months.month == 3).astype(float))
    fourier = fit_its(_series(months, 36), outcome="y", time="when", interruptions="2020-07",
                      seasonality={"fourier": 2, "period": 12}, errors="ols")
    assert fourier.design.columns[-4:].tolist() == ["sin1", "cos1", "sin2", "cos2"]
    np.testing.assert_allclose(fourier.design["cos2"], np.cos(4 * np.pi * np.arange(36) / 12))


def test_covariates_come_last_and_keep_their_names() -> None:
    data = _series(np.arange(2000, 2024)).assign(price=np.linspace(1, 2, 24) ** 2)
    result = fit_its(data, outcome="y", time="when", interruptions=2012, covariates=["price"],
                     errors="ols")
    assert result.design.columns[-1] == "price"
    assert result.coefficients.index[-1] == "price"


@pytest.mark.parametrize(("time", "interruption", "frequency", "label"), [
    (np.arange(1990, 2014), 2002, "yearly", "2002"),
    (np.arange(1, 25), 13, "integer", "13"),
    (pd.period_range("2018-01", periods=24, freq="M"), "2019-01", "monthly", "2019-01"),
    (pd.period_range("2018-01", periods=24, freq="M"), pd.Period("2019-01", "M"), "monthly",
     "2019-01"),
    ([str(p) for p in pd.period_range("2018-01", periods=24, freq="M")], "2019-01", "monthly",
     "2019-01"),
    (pd.date_range("2018-01-31", periods=24, freq="ME"), pd.Timestamp("2019-01-31"), "monthly",
     "2019-01-31 00:00:00"),
    (pd.period_range("2015Q1", periods=24, freq="Q"), "2018Q1", "quarterly", "2018Q1"),
    ([f"{p.year}-Q{p.quarter}" for p in pd.period_range("2015Q1", periods=24, freq="Q")],
     "2018-Q1", "quarterly", "2018-Q1"),
    (pd.date_range("2020-01-06", periods=24, freq="7D"), "2020-03-30", "weekly", "2020-03-30"),
    (pd.date_range("1990-01-01", periods=24, freq="YS"), "2002-01-01", "yearly", "2002-01-01"),
])
def test_time_codings_give_the_same_fit(time, interruption, frequency: str, label: str) -> None:
    """Every coding of 24 periods with the interruption at the 13th gives t = 0..23 and the
    same estimates."""
    result = fit_its(_series(time), outcome="y", time="when", interruptions=interruption,
                     errors="ols")
    assert result.frequency == frequency
    assert result.coefficients.index[2] == f"level_change[{label}]"
    np.testing.assert_array_equal(result.design["trend"], np.arange(24))
    np.testing.assert_array_equal(result.design.iloc[:, 2], (np.arange(24) >= 12).astype(float))
    reference = fit_its(_series(np.arange(24)), outcome="y", time="when", interruptions=12,
                        errors="ols")
    np.testing.assert_allclose(result.coefficients["estimate"].to_numpy(),
                               reference.coefficients["estimate"].to_numpy(), rtol=1e-12)


def test_design_has_fitted_rows_only_and_keeps_data_index() -> None:
    data = _series(np.arange(2000, 2024)).set_axis(range(100, 124))
    result = fit_its(data, outcome="y", time="when", interruptions=2012, phase_in=2, errors="ols")
    assert len(result.design) == 22
    assert 112 not in result.design.index and 113 not in result.design.index
    assert result.design.index[0] == 100
