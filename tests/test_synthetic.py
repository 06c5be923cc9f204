"""Synthetic SLP data: deterministic, calibrated to published figures, truth recoverable."""

import filecmp
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from slp_eval.data import load
from slp_eval.errors import ParameterError
from slp_eval.synthetic import DEFAULT_SEED, expected_values, generate, write_synthetic

DEMO = Path(__file__).resolve().parents[1] / "data" / "synthetic"
DATASETS = ("placements", "monthly_series", "outcome_measures", "workforce", "provider_panel")
PERIODS = pd.period_range("2015-01", "2024-12", freq="M")


@pytest.fixture(scope="module")
def data():
    return generate()


def test_demo_set_regenerates_byte_identically(tmp_path: Path) -> None:
    paths = write_synthetic(DEFAULT_SEED, tmp_path)
    assert sorted(p.name for p in paths) == sorted(p.name for p in DEMO.iterdir())
    for path in paths:
        assert filecmp.cmp(path, DEMO / path.name, shallow=False), f"{path.name} differs"


def test_demo_set_is_small_and_says_synthetic() -> None:
    assert sum(p.stat().st_size for p in DEMO.iterdir()) <= 2 * 1024 * 1024
    assert "SYNTHETIC" in (DEMO / "README.md").read_text()
    assert "SYNTHETIC" in json.loads((DEMO / "truth.json").read_text())["note"]
    for name in DATASETS:
        frame = load(DEMO / f"{name}.csv", name)
        assert frame.attrs["synthetic"] is True
        assert frame["synthetic"].all()


def test_same_seed_same_data_other_seed_other_data(data) -> None:
    again = generate(DEFAULT_SEED)
    for name, frame in data.frames().items():
        pd.testing.assert_frame_equal(frame, again.frames()[name])
    other = generate(DEFAULT_SEED + 1)
    assert not other.monthly_series["numerator"].equals(data.monthly_series["numerator"])


def test_calibrated_to_published_slp_figures(data) -> None:
    expected = expected_values(data.truth, PERIODS)
    assert expected.loc[pd.Period("2018-03", "M"), "ccp_in_south_london"] == pytest.approx(0.42)
    assert expected.loc[pd.Period("2024-12", "M"), "ccp_in_south_london"] == pytest.approx(0.84, abs=0.01)
    assert expected.loc[pd.Period("2018-03", "M"), "ccp_home_borough"] == pytest.approx(0.38)
    assert expected.loc[pd.Period("2024-12", "M"), "ccp_home_borough"] == pytest.approx(0.55, abs=0.01)
    forensic = expected["forensic_out_of_area_placements"]
    assert forensic[pd.Period("2017-03", "M")] == pytest.approx(201, rel=0.005)
    assert forensic[pd.Period("2018-03", "M")] == pytest.approx(152, rel=0.005)
    camhs = expected["camhs_out_of_area_bed_days"]
    assert camhs[pd.Period("2017-03", "M")] == pytest.approx(1102, rel=0.005)
    assert camhs[pd.Period("2018-03", "M")] == pytest.approx(680, rel=0.005)
    series = data.monthly_series
    share = series[series["measure"] == "ccp_in_south_london"]
    assert (share["denominator"] == 450).all()
    assert data.placements["patient_id"][data.placements["programme"] == "ccp"].nunique() > 450


def test_truth_records_interruptions_and_parameters(data) -> None:
    assert set(data.truth) == {
        "ccp_in_south_london",
        "ccp_home_borough",
        "ccp_independent_sector",
        "forensic_out_of_area_placements",
        "camhs_out_of_area_bed_days",
        "camhs_mean_distance_miles",
        "forensic_readmissions",
    }
    assert data.truth["ccp_in_south_london"]["interruption"] == "2018-04"
    assert data.truth["forensic_out_of_area_placements"]["interruption"] == "2017-04"
    moved = generate(programme_start="2019-01", ccp_in_south_london={"level_change": 0.2})
    assert moved.truth["ccp_in_south_london"]["interruption"] == "2019-01"
    assert moved.truth["ccp_in_south_london"]["level_change"] == 0.2
    json.dumps(data.to_dict())


def _design(periods: pd.PeriodIndex, interruption: str) -> pd.DataFrame:
    t = np.arange(len(periods), dtype=float)
    t0 = (pd.Period(interruption, "M") - periods[0]).n
    post = (t >= t0).astype(float)
    return pd.DataFrame({"const": 1.0, "time": t, "level_change": post, "trend_change": (t - t0) * post})


def test_share_truth_is_recovered_by_segmented_ols(data) -> None:
    # Independent check with statsmodels: the share series is drawn from the recorded truth.
    truth = data.truth["ccp_in_south_london"]
    series = data.monthly_series[data.monthly_series["measure"] == "ccp_in_south_london"]
    fit = sm.OLS(series["value"].to_numpy(), _design(PERIODS, truth["interruption"])).fit()
    for term in ("level_change", "trend_change"):
        assert abs(fit.params[term] - truth[term]) < 3 * fit.bse[term], term


def test_count_truth_is_recovered_by_poisson_glm(data) -> None:
    truth = data.truth["forensic_out_of_area_placements"]
    series = data.monthly_series[data.monthly_series["measure"] == "forensic_out_of_area_placements"]
    fit = sm.GLM(
        series["numerator"].to_numpy(), _design(PERIODS, truth["interruption"]), family=sm.families.Poisson()
    ).fit()
    assert np.exp(fit.params["const"]) == pytest.approx(truth["baseline"], rel=0.1)
    for term in ("level_change", "trend_change"):
        assert abs(fit.params[term] - truth[term]) < 3 * fit.bse[term], term


def test_camhs_rate_truth_with_seasonality_and_offset(data) -> None:
    truth = data.truth["camhs_out_of_area_bed_days"]
    series = data.monthly_series[data.monthly_series["measure"] == "camhs_out_of_area_bed_days"]
    design = _design(PERIODS, truth["interruption"])
    angle = 2 * np.pi * PERIODS.month.to_numpy() / 12
    design["sin"], design["cos"] = np.sin(angle), np.cos(angle)
    fit = sm.GLM(
        series["numerator"].to_numpy(),
        design,
        family=sm.families.Poisson(),
        offset=np.log(series["exposure"].to_numpy()),
    ).fit(scale="X2")
    for term in ("level_change", "trend_change"):
        assert abs(fit.params[term] - truth[term]) < 3 * fit.bse[term], term
    assert fit.params["sin"] == pytest.approx(truth["seasonal_sin"], abs=3 * fit.bse["sin"])


def test_unknown_truth_is_refused() -> None:
    with pytest.raises(ParameterError, match=re.escape("unknown measure(s) in truth: ccp_at_home")):
        generate(ccp_at_home={"level_change": 0.1})
    with pytest.raises(
        ParameterError, match=re.escape("truth for ccp_home_borough: unknown parameter(s) slope_change")
    ):
        generate(ccp_home_borough={"slope_change": 0.1})
    with pytest.raises(
        ParameterError, match=re.escape("programme_start: 2030-01 is outside the series 2015-01 to 2024-12")
    ):
        generate(programme_start="2030-01")
    with pytest.raises(
        ParameterError, match=re.escape("truth for ccp_in_south_london gives expected shares outside 0-1")
    ):
        generate(ccp_in_south_london={"trend_change": 0.01})


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(5, 60))
def test_any_seed_gives_valid_episodes_matching_the_census(seed: int, size: int) -> None:
    data = generate(seed, start="2017-01", end="2018-12", programme_start="2018-01", cohort_size=size)
    p = data.placements
    assert p["episode_id"].is_unique
    assert (p["end_date"].isna() | (p["end_date"] >= p["start_date"])).all()
    assert (
        p["in_south_london"]
        == p["placement_borough_code"].str.startswith("E09")
        & ~p["placement_borough_code"].isin(["E09000033", "E09000007"])
    ).all()
    series = data.monthly_series.set_index(["measure", "period"])["numerator"]
    for period in pd.period_range("2017-01", "2018-12", freq="M"):
        end = period.end_time.normalize()
        census = p[(p["start_date"] <= end) & (p["end_date"].isna() | (p["end_date"] > end))]
        ccp = census[census["programme"] == "ccp"]
        assert len(ccp) == size
        assert ccp["in_south_london"].sum() == series[("ccp_in_south_london", period)]
        home = (ccp["placement_borough_code"] == ccp["home_borough_code"]).sum()
        assert home == series[("ccp_home_borough", period)]
        independent = (ccp["setting"] == "independent_inpatient").sum()
        assert independent == series[("ccp_independent_sector", period)]
        forensic = census[(census["programme"] == "forensic") & ~census["in_south_london"]]
        assert len(forensic) == series[("forensic_out_of_area_placements", period)]
