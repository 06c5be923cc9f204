"""fit_its_many: the same numbers as fit_its on each group, batched or not, and its bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.its import fit_its, fit_its_many
from slp_eval.its.batch import BATCHED, FAILED, PER_GROUP

NUMBERS = ["estimate", "std_err", "ci_low", "ci_high", "p_value"]


def _panel(n_groups: int, n: int, seed: int, start: str = "2015-01") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    months = pd.period_range(start, periods=n, freq="M").astype(str)
    frames = []
    for g in range(n_groups):
        t = np.arange(n)
        noise = np.zeros(n)
        for i in range(1, n):  # AR(1) noise, so Newey-West has something to correct
            noise[i] = 0.4 * noise[i - 1] + rng.normal()
        y = 20 + 0.1 * t + 3 * (t >= n // 2) - 0.05 * (t >= n // 2) * (t - n // 2) + noise
        frames.append(pd.DataFrame({"area": f"area {g}", "trust": g % 2, "month": months, "y": y}))
    return pd.concat(frames, ignore_index=True)


def _assert_matches_fit_its(data: pd.DataFrame, out: pd.DataFrame, by: list[str],
                            arguments: dict) -> None:
    """Each group of `out` equals fit_its on that group's rows (or fails with its message)."""
    assert list(out.columns[: len(by) + 6]) == [*by, "term", *NUMBERS]
    assert list(out.columns[-2:]) == ["status", "reason"]
    groups = list(data.groupby(by, sort=False))
    seen = out.drop_duplicates(by)[by].apply(tuple, axis=1).tolist()
    assert seen == [key if isinstance(key, tuple) else (key,) for key, _ in groups]
    for key, rows in groups:
        key = key if isinstance(key, tuple) else (key,)
        mask = np.logical_and.reduce([out[b] == k for b, k in zip(by, key, strict=True)])
        mine = out[mask]
        try:
            expected = fit_its(rows, **arguments).coefficients
        except ModelInputError as err:
            assert mine["status"].tolist() == [FAILED]
            assert mine["reason"].iloc[0] == str(err)
            assert mine[NUMBERS].isna().all().all()
            continue
        assert mine["status"].iloc[0] in (BATCHED, PER_GROUP)
        assert mine["term"].tolist() == expected.index.tolist()
        for column in expected.columns:
            np.testing.assert_allclose(mine[column].to_numpy(dtype=float),
                                       expected[column].to_numpy(dtype=float), rtol=1e-8,
                                       atol=1e-300, err_msg=column)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(30, 80), n_groups=st.integers(2, 5),
       errors=st.sampled_from(["ols", "newey-west"]), maxlags=st.integers(0, 4),
       impact=st.sampled_from(["level", "trend", "level+trend"]),
       seasonality=st.sampled_from([None, "month", {"fourier": 2, "period": 12}]),
       phase_in=st.integers(0, 3), gap=st.booleans(), missing=st.booleans(),
       second=st.booleans())
def test_equals_fit_its_per_series(seed, n, n_groups, errors, maxlags, impact, seasonality,
                                   phase_in, gap, missing, second):
    data = _panel(n_groups, n, seed)
    months = data["month"].unique()
    interruptions = [months[n // 2]] + ([months[n // 2 + 8]] if second else [])
    if gap:  # a missing period in the last group: fit_its rejects it, the others are batched
        drop = data.index[(data["area"] == f"area {n_groups - 1}") & (data["month"] == months[5])]
        data = data.drop(drop)
    if missing:  # a missing outcome with dropna: that group's design differs (per group)
        data.loc[(data["area"] == "area 0") & (data["month"] == months[3]), "y"] = np.nan
    arguments = dict(outcome="y", time="month", interruptions=interruptions, impact=impact,
                     errors=errors, maxlags=maxlags if errors == "newey-west" else None,
                     seasonality=seasonality, phase_in=phase_in,
                     dropna=True)
    out = fit_its_many(data, by="area", **arguments)
    _assert_matches_fit_its(data, out, ["area"], arguments)
    complete = n_groups - int(gap) - int(missing)
    if complete >= 2:
        assert (out["status"] == BATCHED).any()


def test_batched_and_failed_groups_side_by_side():
    data = _panel(6, 48, seed=3)
    data.loc[data["area"] == "area 1", "y"] = 7.0  # constant outcome
    short = data.index[(data["area"] == "area 2") & (data.groupby("area").cumcount() >= 26)]
    data = data.drop(short)  # too few points after the interruption at month 24
    arguments = dict(outcome="y", time="month", interruptions="2017-01", errors="newey-west",
                     maxlags=2)
    out = fit_its_many(data, by=["area", "trust"], **arguments)
    _assert_matches_fit_its(data, out, ["area", "trust"], arguments)
    status = out.drop_duplicates("area").set_index("area")["status"]
    assert status["area 1"] == FAILED and status["area 2"] == FAILED
    assert (status.drop(["area 1", "area 2"]) == BATCHED).all()
    reasons = out.drop_duplicates("area").set_index("area")["reason"]
    assert "constant" in reasons["area 1"]
    assert "segment 'from 2017-01' has 2 fitted periods" in reasons["area 2"]


def test_known_batched_numbers_match_statsmodels_directly():
    """Independent of fit_its: statsmodels OLS + HAC (Stata scaling) on one series."""
    import statsmodels.api as sm

    data = _panel(3, 60, seed=11)
    out = fit_its_many(data, by="area", outcome="y", time="month", interruptions="2017-07",
                       errors="newey-west", maxlags=3)
    rows = data[data["area"] == "area 2"]
    t = np.arange(60.0)
    x = np.column_stack([np.ones(60), t, t >= 30, (t - 30) * (t >= 30)])
    ref = sm.OLS(rows["y"].to_numpy(), x).fit(cov_type="HAC", use_t=True,
                                             cov_kwds={"maxlags": 3, "use_correction": True})
    mine = out[out["area"] == "area 2"]
    assert (mine["status"] == BATCHED).all()
    np.testing.assert_allclose(mine["estimate"], ref.params, rtol=1e-10)
    np.testing.assert_allclose(mine["std_err"], ref.bse, rtol=1e-10)
    np.testing.assert_allclose(mine[["ci_low", "ci_high"]], ref.conf_int(), rtol=1e-10)
    np.testing.assert_allclose(mine["p_value"], ref.pvalues, rtol=1e-8)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(24, 80), n_groups=st.integers(2, 5),
       method=st.sampled_from([None, "kenward-roger", "satterthwaite", "none"]),
       impact=st.sampled_from(["level", "trend", "level+trend"]),
       seasonality=st.sampled_from([None, "month", {"fourier": 2, "period": 12}]),
       phase_in=st.integers(0, 3), gap=st.booleans(), missing=st.booleans(),
       second=st.booleans(), rho=st.sampled_from([-0.6, 0.0, 0.4, 0.9]))
def test_reml_ar1_equals_fit_its_per_series(seed, n, n_groups, method, impact, seasonality,
                                            phase_in, gap, missing, second, rho):
    """errors='ar' (REML AR(1) with each small-sample method) batched, equal to fit_its."""
    data = _panel(n_groups, n, seed)
    rng = np.random.default_rng(seed + 1)
    noise = np.zeros(len(data))  # AR(1) noise of the drawn rho, so some fits are near a bound
    for i in range(1, len(data)):
        noise[i] = rho * noise[i - 1] + rng.normal()
    data["y"] += noise
    months = data["month"].unique()
    interruptions = [months[n // 2]] + ([months[n // 2 + 6]] if second else [])
    if gap:
        drop = data.index[(data["area"] == f"area {n_groups - 1}") & (data["month"] == months[5])]
        data = data.drop(drop)
    if missing:
        data.loc[(data["area"] == "area 0") & (data["month"] == months[3]), "y"] = np.nan
    arguments = dict(outcome="y", time="month", interruptions=interruptions, impact=impact,
                     small_sample=method, seasonality=seasonality, phase_in=phase_in,
                     dropna=True)
    out = fit_its_many(data, by="area", **arguments)
    _assert_matches_fit_its(data, out, ["area"], arguments)
    complete = out[~out["area"].isin([f"area {n_groups - 1}"] * gap + ["area 0"] * missing)]
    if complete["area"].nunique() >= 2 and (complete["status"] != FAILED).all():
        assert (complete["status"] == BATCHED).all()


@pytest.mark.parametrize(("arguments", "why"), [
    (dict(errors="newey-west", maxlags=None), "chooses the lag for each series"),
    (dict(errors="ar", maxlags=2), "errors='ar' with maxlags=2 (AR(p >= 2)) has no batched path"),
    (dict(errors="ols", family="poisson"), "family='poisson' has no batched path"),
])
def test_per_group_fallback_says_why(arguments, why):
    data = _panel(3, 40, seed=5)
    if arguments.get("family") == "poisson":
        data["y"] = np.round(data["y"])
    arguments = dict(outcome="y", time="month", interruptions="2016-09", **arguments)
    out = fit_its_many(data, by="area", **arguments)
    assert (out["status"] == PER_GROUP).all()
    assert out["reason"].str.contains(why, regex=False).all()
    _assert_matches_fit_its(data, out, ["area"], arguments)
    if arguments.get("family") == "poisson":  # fit_its's ratio columns come through
        assert {"ratio", "ratio_ci_low", "ratio_ci_high"} <= set(out.columns)


def test_by_naming_a_missing_column():
    data = _panel(2, 30, seed=1)
    with pytest.raises(ParameterError, match=r"by names 'borough', not a column of data"):
        fit_its_many(data, by="borough", outcome="y", time="month", interruptions="2016-01",
                     errors="ols")
    with pytest.raises(ParameterError, match=r"by=.* non-empty list"):
        fit_its_many(data, by=[], outcome="y", time="month", interruptions="2016-01",
                     errors="ols")


def test_unknown_argument_and_missing_by_value():
    data = _panel(2, 30, seed=1)
    with pytest.raises(ParameterError, match="unexpected keyword argument 'lags'"):
        fit_its_many(data, by="area", outcome="y", time="month", interruptions="2016-01",
                     errors="ols", lags=1)
    data.loc[7, "area"] = None
    with pytest.raises(ModelInputError, match=r"column 'area' \(by\) has a missing value at row 7"):
        fit_its_many(data, by="area", outcome="y", time="month", interruptions="2016-01",
                     errors="ols")


def test_mixed_frequencies_are_an_error():
    monthly = _panel(2, 30, seed=1)
    quarterly = _panel(1, 30, seed=2).assign(
        area="area q", month=pd.period_range("2010Q1", periods=30, freq="Q").astype(str))
    data = pd.concat([monthly, quarterly], ignore_index=True)
    with pytest.raises(ModelInputError, match=r"different frequencies across the groups \(2 "
                       r"monthly, 1 quarterly; the first quarterly series is group 3"):
        fit_its_many(data, by="area", outcome="y", time="month", interruptions="2016-01",
                     errors="ols")


def test_row_layout_does_not_change_the_fits():
    """Groups as blocks of rows (found by comparing neighbouring rows), interleaved by month or
    split into two blocks (numbered by pandas groupby), give the same numbers; a group of the
    same length but other periods is not batched with the rest."""
    data = _panel(4, 48, seed=7)
    arguments = dict(outcome="y", time="month", interruptions="2017-01", errors="newey-west",
                     maxlags=1)
    area0 = data.index[data["area"] == "area 0"]
    layouts = {
        "blocks": data,
        "interleaved": data.sort_values("month", kind="stable"),
        "split": pd.concat([data.loc[area0[:20]], data[data["area"] == "area 1"],
                            data.loc[area0[20:]], data[data["area"] > "area 1"]]),
    }
    fits = {}
    for name, layout in layouts.items():
        fits[name] = fit_its_many(layout, by=["area", "trust"], **arguments)
        _assert_matches_fit_its(layout, fits[name], ["area", "trust"], arguments)
        assert (fits[name]["status"] == BATCHED).all(), name
        pd.testing.assert_frame_equal(fits[name], fits["blocks"], check_exact=False, rtol=1e-12)

    shifted = data.copy()
    later = pd.period_range("2015-02", periods=48, freq="M").astype(str)
    shifted.loc[shifted["area"] == "area 2", "month"] = later
    out = fit_its_many(shifted, by="area", **arguments)
    _assert_matches_fit_its(shifted, out, ["area"], arguments)
    status = out.drop_duplicates("area").set_index("area")[["status", "reason"]]
    assert status.loc["area 2"].tolist() == [PER_GROUP, "no other group has the same periods"]
    assert (status.drop("area 2")["status"] == BATCHED).all()
