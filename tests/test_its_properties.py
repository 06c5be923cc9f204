"""Invariants of the ITS engine (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slp_eval.its import fit_its
from slp_eval.its.design import Interruption, build_design

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
coefficient = st.floats(-5, 5, allow_nan=False).map(lambda v: round(v, 3))


def _time_column(coding: str, n: int) -> tuple[object, callable]:
    """A time column of n periods and a function from position to interruption value."""
    if coding == "int":
        return np.arange(2000, 2000 + n), lambda k: 2000 + k
    if coding == "monthly":
        periods = pd.period_range("2010-01", periods=n, freq="M")
        return periods, lambda k: str(periods[k])
    if coding == "strings":
        periods = pd.period_range("2010-01", periods=n, freq="M")
        return [str(p) for p in periods], lambda k: str(periods[k])
    if coding == "quarterly":
        periods = pd.period_range("2001Q1", periods=n, freq="Q")
        return periods, lambda k: periods[k]
    dates = pd.date_range("2020-01-06", periods=n, freq="7D")
    return dates, lambda k: dates[k]


def _noise(n: int) -> np.ndarray:
    t = np.arange(n)
    return ((t * 37) % 11 - 5) / 4 + np.sin(1.7 * t)


@SETTINGS
@given(n=st.integers(12, 60), data=st.data(),
       coding=st.sampled_from(["int", "monthly", "strings", "quarterly", "weekly"]),
       b=st.tuples(coefficient, coefficient, coefficient, coefficient))
def test_noise_free_series_recovers_exact_changes(n: int, data, coding: str, b) -> None:
    cut = data.draw(st.integers(3, n - 3))
    t = np.arange(n)
    y = b[0] + b[1] * t + b[2] * (t >= cut) + b[3] * (t - cut) * (t >= cut)
    y = y + 0.0 * t  # float
    if np.ptp(y) == 0:
        y = y + t  # a constant series is (rightly) rejected
        b = (b[0], b[1] + 1, b[2], b[3])
    time, at = _time_column(coding, n)
    result = fit_its(pd.DataFrame({"when": time, "y": y}), outcome="y", time="when",
                     interruptions=at(cut), errors="ols")
    np.testing.assert_allclose(result.coefficients["estimate"].to_numpy(), b, atol=1e-7)
    effect = result.effect_at(n - 1 - cut).set_index("term")
    assert effect.loc["absolute_effect", "estimate"] == pytest.approx(
        b[2] + b[3] * (n - 1 - cut), abs=1e-7)


@SETTINGS
@given(shift=st.floats(-1e3, 1e3, allow_nan=False), errors=st.sampled_from(["ols", "newey-west",
                                                                            "ar"]),
       n=st.integers(20, 60))
def test_shifting_the_outcome_moves_only_the_intercept(shift: float, errors: str, n: int) -> None:
    t = np.arange(n)
    y = 3 + 0.2 * t - 1.5 * (t >= n // 2) + _noise(n)
    data = pd.DataFrame({"year": 1900 + t, "y": y})
    kwargs = {"outcome": "y", "time": "year", "interruptions": 1900 + n // 2, "errors": errors,
              "maxlags": 2 if errors == "newey-west" else None}
    base = fit_its(data, **kwargs).coefficients
    moved = fit_its(data.assign(y=y + shift), **kwargs).coefficients
    assert moved.loc["intercept", "estimate"] == pytest.approx(
        base.loc["intercept", "estimate"] + shift, abs=1e-6 * (1 + abs(shift)))
    rest = base.index[1:]
    np.testing.assert_allclose(moved.loc[rest, "estimate"], base.loc[rest, "estimate"],
                               atol=1e-6)
    np.testing.assert_allclose(moved.loc[rest, "std_err"], base.loc[rest, "std_err"],
                               rtol=1e-5)


@SETTINGS
@given(scale=st.floats(0.01, 100), n=st.integers(20, 50))
def test_scaling_the_outcome_scales_estimates_and_errors(scale: float, n: int) -> None:
    t = np.arange(n)
    data = pd.DataFrame({"year": 1900 + t, "y": 3 + 0.2 * t + _noise(n)})
    kwargs = {"outcome": "y", "time": "year", "interruptions": 1900 + n // 2,
              "errors": "newey-west", "maxlags": 1}
    base = fit_its(data, **kwargs).coefficients
    scaled = fit_its(data.assign(y=data["y"] * scale), **kwargs).coefficients
    np.testing.assert_allclose(scaled["estimate"], base["estimate"] * scale, rtol=1e-7,
                               atol=1e-9)
    np.testing.assert_allclose(scaled["std_err"], base["std_err"] * scale, rtol=1e-7)


@SETTINGS
@given(n=st.integers(20, 50), b0=coefficient, b1=coefficient)
def test_counterfactual_equals_fitted_when_effects_are_zero(n: int, b0: float, b1: float) -> None:
    t = np.arange(n)
    slope = b1 if b1 != 0 else 1.0  # a constant series is (rightly) rejected
    y = b0 + slope * t
    result = fit_its(pd.DataFrame({"year": 1900 + t, "y": y}), outcome="y", time="year",
                     interruptions=1900 + n // 2, errors="ols")
    frame = result.counterfactual()
    np.testing.assert_allclose(frame["counterfactual"], frame["fitted"], atol=1e-7)
    assert result.cumulative_effect().iloc[0]["estimate"] == pytest.approx(0, abs=1e-6)


@SETTINGS
@given(n=st.integers(20, 50), factor=st.floats(0.1, 10), data=st.data())
def test_fitted_minus_counterfactual_is_the_effect(n: int, factor: float, data) -> None:
    cut = data.draw(st.integers(3, n - 3))
    t = np.arange(n)
    population = 1000 + 10 * t
    counts = np.round(population * np.exp(-3 + 0.01 * t) * (1 + 0.1 * np.sin(t))).astype(int)
    frame = pd.DataFrame({"year": 1900 + t, "y": counts, "pop": population})
    kwargs = {"outcome": "y", "time": "year", "interruptions": 1900 + cut, "family": "poisson",
              "errors": "ols", "offset": "pop"}
    result = fit_its(frame, **kwargs)
    h = data.draw(st.integers(0, n - 1 - cut))
    cf = result.counterfactual().iloc[cut + h]
    effect = result.effect_at(h).set_index("term").loc["absolute_effect", "estimate"]
    assert effect == pytest.approx(cf["fitted"] - cf["counterfactual"], rel=1e-9, abs=1e-9)
    # Multiplying the exposure by a constant moves only the intercept, by -log(factor).
    rescaled = fit_its(frame.assign(pop=frame["pop"] * factor), **kwargs).coefficients
    assert rescaled.loc["intercept", "estimate"] == pytest.approx(
        result.coefficients.loc["intercept", "estimate"] - np.log(factor), abs=1e-6)
    np.testing.assert_allclose(rescaled["estimate"].iloc[1:],
                               result.coefficients["estimate"].iloc[1:], atol=1e-6)


@SETTINGS
@given(n=st.integers(10, 80), data=st.data(),
       impact=st.sampled_from(["level", "trend", "level+trend"]), controlled=st.booleans())
def test_design_matrix_invariants(n: int, data, impact: str, controlled: bool) -> None:
    positions = sorted(data.draw(st.sets(st.integers(1, n - 1), min_size=1, max_size=3)))
    cuts = [Interruption(f"c{p}", p) for p in positions]
    t = np.arange(n)
    treated = None
    if controlled:
        t = np.tile(t, 2)
        treated = np.r_[np.ones(n), np.zeros(n)]
    design = build_design(t, interruptions=cuts, impact=impact, treated=treated)
    per_cut = 2 if impact == "level+trend" else 1
    assert design.shape[1] == (2 + per_cut * len(cuts)) * (2 if controlled else 1)
    for k in cuts:
        after = (t >= k.position).astype(float)
        if impact != "trend":
            np.testing.assert_array_equal(design[f"level_change[{k.label}]"], after)
        if impact != "level":
            trend_change = design[f"trend_change[{k.label}]"].to_numpy()
            np.testing.assert_array_equal(trend_change, (t - k.position) * after)
            assert (trend_change >= 0).all()
            assert (trend_change[t == k.position] == 0).all()  # centred at the interruption
    if controlled:
        for column in design.columns[: design.shape[1] // 2]:
            name = "group" if column == "intercept" else f"group:{column}"
            np.testing.assert_array_equal(design[name], design[column] * treated)
