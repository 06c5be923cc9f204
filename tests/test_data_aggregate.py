"""Monthly aggregation on DuckDB: hand-computed golden values, agreement with an independent
pandas implementation, conformity to monthly_series, and the synthetic census."""

import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slp_eval.data import aggregate_monthly, load
from slp_eval.errors import DataValidationError, ParameterError

HERE = Path(__file__).parent
HAND = HERE / "data" / "aggregate" / "placements_hand.csv"
ROOT = HERE.parent


def _pandas_reference():
    spec = importlib.util.spec_from_file_location(
        "aggregate_pandas", ROOT / "benchmarks" / "aggregate_pandas.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.aggregate_monthly_pandas


def _series(frame: pd.DataFrame, measure: str, unit: str = "SLP", column: str = "value") -> list:
    rows = frame[(frame["measure"] == measure) & (frame["unit"] == unit)]
    return [None if pd.isna(v) else v for v in rows[column]]


@pytest.fixture(scope="module")
def hand() -> pd.DataFrame:
    return aggregate_monthly(HAND, extract_date="2019-04-15")


def test_months_run_from_first_start_to_last_complete_month(hand) -> None:
    periods = hand["period"].astype(str).unique().tolist()
    assert periods == ["2018-12", "2019-01", "2019-02", "2019-03"]  # D1 starts after the extract


def test_month_end_census_by_hand(hand) -> None:
    # Dec: B1. Jan: A1 (home), B1. Feb: A1 (home), C2 (home, independent). Mar: A2 (out of area,
    # independent), C2.
    assert _series(hand, "ccp_in_placement") == [1, 2, 2, 2]
    assert _series(hand, "ccp_in_south_london", column="numerator") == [1, 2, 2, 1]
    assert _series(hand, "ccp_in_south_london") == [1.0, 1.0, 1.0, 0.5]
    assert _series(hand, "ccp_home_borough") == [0.0, 0.5, 1.0, 0.5]
    assert _series(hand, "ccp_independent_sector") == [0.0, 0.0, 0.5, 1.0]
    assert _series(hand, "ccp_out_of_area_placements") == [0, 0, 0, 1]
    assert _series(hand, "ccp_mean_distance_miles") == [5.0, 3.5, 1.5, 55.5]
    assert _series(hand, "ccp_median_distance_miles") == [5.0, 3.5, 1.5, 55.5]
    assert _series(hand, "ccp_in_south_london", column="denominator") == [1, 2, 2, 2]


def test_bed_days_apportioned_exactly_and_open_episodes_censored(hand) -> None:
    # A1 2019-01-20 to 2019-03-10: 12 + 28 + 9 days; C1 Feb 1-19: 19; C2 from Feb 20: 9 + 31;
    # A2 from Mar 25 (open, censored at the extract date 2019-04-15): 7 in March.
    assert _series(hand, "ccp_bed_days") == [0, 12, 28 + 19 + 9, 9 + 7 + 31]
    assert _series(hand, "ccp_out_of_area_bed_days") == [0, 0, 0, 7]
    assert _series(hand, "ccp_bed_days", unit="RPG") == [0, 12, 28, 16]


def test_admissions_transfers_and_readmissions(hand) -> None:
    # A1 and C1 are admissions; C2 continues C1's stay (transfer on the same day); A2 starts 15
    # days after A1's discharge: an admission and a readmission within 30 days.
    assert _series(hand, "ccp_admissions") == [0, 1, 1, 1]
    assert _series(hand, "ccp_readmissions") == [0, 0, 0, 1]
    shorter = aggregate_monthly(HAND, extract_date="2019-04-15", readmission_window_days=14)
    assert _series(shorter, "ccp_readmissions") == [0, 0, 0, 0]


def test_units_are_slp_trusts_and_home_boroughs(hand) -> None:
    assert sorted(hand["unit"].unique()) == ["Bexley", "Lambeth", "RPG", "RV5", "SLP"]
    assert _series(hand, "ccp_in_placement", unit="Lambeth") == [1, 1, 1, 1]
    assert _series(hand, "ccp_in_south_london", unit="RPG") == [None, 1.0, 1.0, 0.0]


def test_output_conforms_to_monthly_series(hand, tmp_path: Path) -> None:
    path = tmp_path / "monthly.csv"
    hand.assign(period=hand["period"].astype(str)).to_csv(path, index=False)
    loaded = load(path, "monthly_series")
    pd.testing.assert_frame_equal(loaded, hand, check_dtype=False)
    assert hand.attrs["synthetic"] is False


def _random_placements(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    codes = ["E09000004", "E09000022", "E09000028", "E09000032", "E08000025", "E06000023"]
    start = pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    length = pd.to_timedelta(rng.integers(0, 200, n), unit="D")
    end = (start + length).where(rng.random(n) > 0.2)
    placed = rng.choice(codes, n)
    return pd.DataFrame(
        {
            "episode_id": [f"E{i}" for i in range(n)],
            "patient_id": [f"P{i}" for i in rng.integers(0, max(1, n // 3), n)],
            "programme": rng.choice(["ccp", "forensic"], n),
            "lead_trust": rng.choice(["RPG", "RV5", "RQY"], n),
            "setting": rng.choice(
                ["nhs_inpatient", "independent_inpatient", "residential", "supported_living"], n
            ),
            "placement_borough_code": placed,
            "in_south_london": np.isin(placed, codes[:4]),
            "home_borough_code": rng.choice(codes[:4], n),
            "start_date": start,
            "end_date": end,
            "funding": "nhs",
            "distance_from_home_miles": np.round(rng.uniform(0, 150, n), 1),
        }
    )


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_duckdb_agrees_with_independent_pandas_implementation(tmp_path: Path, suffix: str) -> None:
    frame = _random_placements(7, 3000)
    path = tmp_path / f"placements{suffix}"
    if suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.assign(in_south_london=frame["in_south_london"].map({True: "true", False: "false"})).to_csv(
            path, index=False, date_format="%Y-%m-%d"
        )
    assert load(path, "placements").shape == (3000, 12)
    options = {"extract_date": "2020-03-20", "readmission_window_days": 28, "start": "2018-01"}
    duck = aggregate_monthly(path, **options)
    reference = _pandas_reference()(path, **options)
    assert len(duck) == 2 * 11 * 26 * 8  # programmes x measures x months x units
    pd.testing.assert_frame_equal(duck, reference, check_exact=False, rtol=1e-12)


def test_synthetic_census_matches_the_synthetic_series() -> None:
    demo = ROOT / "data" / "synthetic"
    aggregated = aggregate_monthly(demo / "placements.csv", extract_date="2024-12-31", start="2015-01")
    series = load(demo / "monthly_series.csv", "monthly_series")
    assert aggregated.attrs["synthetic"] is True
    for measure in (
        "ccp_in_south_london",
        "ccp_home_borough",
        "ccp_independent_sector",
        "forensic_out_of_area_placements",
    ):
        ours = aggregated[(aggregated["measure"] == measure) & (aggregated["unit"] == "SLP")]
        theirs = series[series["measure"] == measure]
        assert ours["numerator"].tolist() == theirs["numerator"].tolist(), measure
        assert ours["period"].tolist() == theirs["period"].tolist()


def test_missing_columns_and_unknown_boroughs_are_refused(tmp_path: Path) -> None:
    text = HAND.read_text()
    no_funding = tmp_path / "no_distance.csv"
    no_funding.write_text("\n".join(",".join(line.split(",")[:-1]) for line in text.splitlines()) + "\n")
    message = (
        f"{no_funding}: missing column(s) distance_from_home_miles of the placements dataset; "
        f"run `slp-eval validate {no_funding} --dataset placements` for the full report"
    )
    with pytest.raises(DataValidationError, match=re.escape(message)):
        aggregate_monthly(no_funding, extract_date="2019-04-15")
    unknown = tmp_path / "unknown.csv"
    unknown.write_text(text.replace("E09000022,2019-02-01", "E09000099,2019-02-01"))
    message = f"{unknown}: 1 row(s) have a home_borough_code outside the boroughs vocabulary"
    with pytest.raises(DataValidationError, match=re.escape(message)):
        aggregate_monthly(unknown, extract_date="2019-04-15")
    with pytest.raises(ParameterError, match=re.escape("start: '2019-13' is not a month in YYYY-MM form")):
        aggregate_monthly(HAND, extract_date="2019-04-15", start="2019-13")


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 80),
    missing_distance=st.floats(0, 0.5),
    window=st.integers(0, 60),
)
def test_duckdb_matches_pandas_on_any_small_extract(
    tmp_path_factory: pytest.TempPathFactory, seed: int, n: int, missing_distance: float, window: int
) -> None:
    # Invariant: both implementations agree exactly (medians of even and odd counts, empty
    # months, missing distances, same-day transfers, open episodes).
    frame = _random_placements(seed, n)
    rng = np.random.default_rng(seed)
    frame["distance_from_home_miles"] = frame["distance_from_home_miles"].where(
        rng.random(n) >= missing_distance
    )
    frame.loc[rng.random(n) < 0.2, "end_date"] = frame["start_date"]
    path = tmp_path_factory.mktemp("any") / "placements.parquet"
    frame.to_parquet(path)
    options = {"extract_date": "2020-12-31", "readmission_window_days": window}
    duck = aggregate_monthly(path, **options)
    reference = _pandas_reference()(path, **options)
    pd.testing.assert_frame_equal(duck, reference, check_exact=False, rtol=1e-12)
