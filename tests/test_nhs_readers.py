"""Readers of real NHS open data (OGL v3.0): values hand-checked against the raw CSV lines."""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from slp_eval.cli import main
from slp_eval.data import validate_file
from slp_eval.data.nhs import (
    OAP_COLUMNS,
    eip_monthly_series,
    oaps_monthly_series,
    period_from_name,
    read_eip,
    read_oaps,
)
from slp_eval.errors import DataValidationError

ROOT = Path(__file__).resolve().parents[1]
OAPS = sorted((ROOT / "tests" / "data" / "nhs_oaps").glob("*.csv"))
EIP = ROOT / "data" / "nhs" / "eip" / "EIP-Timeseries-History-File-December-2015-to-September-2019.csv"


@pytest.fixture(scope="module")
def oaps() -> pd.DataFrame:
    return read_oaps(OAPS)


@pytest.fixture(scope="module")
def eip() -> pd.DataFrame:
    return read_eip(EIP)


def test_five_files_three_layouts_one_frame(oaps: pd.DataFrame) -> None:
    assert len(OAPS) == 5
    assert list(oaps.columns) == OAP_COLUMNS
    # Data lines of each file (wc -l minus the header): 2249 + 2975 + 2299 + 2261 + 2261.
    assert oaps.groupby("period").size().to_dict() == {
        "2016-10": 2249, "2016-11": 2975, "2016-12": 2299, "2017-01": 2261, "2017-02": 2261,
    }  # fmt: skip


def test_every_star_is_flagged_and_missing(oaps: pd.DataFrame) -> None:
    # `grep -c '"\*"$'` per file: 1928 + 2430 + 1753 + 1766 + 1736.
    stars = sum(path.read_text(encoding="utf-8").count(',"*"\n') for path in OAPS)
    assert stars == 9613
    assert int(oaps["suppressed"].sum()) == 9613
    assert oaps.loc[oaps["suppressed"], "value"].isna().all()
    assert oaps.loc[~oaps["suppressed"], "value"].notna().all()


def test_hand_checked_cells(oaps: pd.DataFrame) -> None:
    def cell(period: str, measure: str, breakdown: str, code: str | None) -> pd.Series:
        rows = oaps[
            (oaps["period"] == period) & (oaps["measure"] == measure) & (oaps["breakdown"] == breakdown)
        ]
        rows = rows[rows["code"].isna()] if code is None else rows[rows["code"] == code]
        assert len(rows) == 1
        return rows.iloc[0]

    # oct-2016 line 1698: "Total number of OAP days over the period","SendingProvider","RV5","","","115"
    assert cell("2016-10", "oap_days", "SendingProvider", "RV5")["value"] == 115.0
    # dec-2016 line 20: "Total recorded costs over the period","England",...,"6.7639e+006"
    assert cell("2016-12", "oap_recorded_cost", "England", None)["value"] == 6763900.0
    # feb-2017 line 1522: OAPs active at period end, SendingProvider RQY, described, "*"
    rqy = cell("2017-02", "oaps_active_at_period_end", "SendingProvider", "RQY")
    assert rqy["suppressed"] and np.isnan(rqy["value"])
    assert rqy["description"] == "South West London And St George'S Mental Health NHS Trust"
    # The oldest layout has no description columns.
    assert cell("2016-10", "oap_days", "SendingProvider", "RV5")["description"] is pd.NA
    england_days = oaps[(oaps["measure"] == "oap_days") & (oaps["breakdown"] == "England")]
    assert england_days.set_index("period")["value"].to_dict() == {
        "2016-10": 1714.0, "2016-11": 11720.0, "2016-12": 15867.0, "2017-01": 18071.0, "2017-02": 16912.0,
    }  # fmt: skip


def test_question_wordings_map_to_stable_measures(oaps: pd.DataFrame, tmp_path: Path) -> None:
    assert oaps["measure"].notna().all()
    later = tmp_path / "oaps-open-data-jul-2019.csv"
    oct_ = next(p for p in OAPS if "oct-2016" in p.name)
    text = oct_.read_text(encoding="utf-8").replace(
        "Total number of OAP days over the period", "Total number of inappropriate OAP days over the period"
    )
    later.write_text(text, encoding="utf-8")
    reworded = read_oaps(later)
    assert "oap_days" in set(reworded["measure"])
    assert (reworded["question"] == "Total number of inappropriate OAP days over the period").sum() == 173


def test_period_from_name() -> None:
    assert period_from_name(Path("oaps-open-data-oct-2016.csv")) == "2016-10"
    assert period_from_name(Path("oaps_2019-07.csv")) == "2019-07"
    assert period_from_name(Path("oaps.csv")) is None


def test_unknown_layout_names_missing_columns(tmp_path: Path) -> None:
    raw = pd.read_csv(OAPS[0], dtype=str, keep_default_na=False)  # dec-2016, described layout
    bad = tmp_path / "oaps-open-data-dec-2016.csv"
    raw.drop(columns=["Breakdown1Code"]).to_csv(bad, index=False)
    with pytest.raises(DataValidationError, match=r"missing columns: Breakdown1Code"):
        read_oaps(bad)


def test_file_name_and_publication_period_disagree(tmp_path: Path) -> None:
    feb = next(p for p in OAPS if "feb-2017" in p.name)
    renamed = tmp_path / "oaps-open-data-mar-2017.csv"
    shutil.copy(feb, renamed)
    mismatch = r"file name says 2017-03 but column PublicationPeriod says 2017-02"
    with pytest.raises(DataValidationError, match=mismatch):
        read_oaps(renamed)


def test_no_period_anywhere_and_bad_value(tmp_path: Path) -> None:
    oct_ = next(p for p in OAPS if "oct-2016" in p.name)
    anonymous = tmp_path / "oaps.csv"
    shutil.copy(oct_, anonymous)
    with pytest.raises(
        DataValidationError, match="no PublicationPeriod column and no month in the file name"
    ):
        read_oaps(anonymous)
    broken = tmp_path / "oaps-open-data-oct-2016.csv"
    broken.write_text(oct_.read_text(encoding="utf-8").replace('"203"', '"n/a"', 1), encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"column value, row 2: not a number"):
        read_oaps(broken)
    with pytest.raises(DataValidationError, match="period 2016-10 is also in"):
        read_oaps([oct_, oct_])


def test_eip_provider_month_sums_over_commissioners(eip: pd.DataFrame) -> None:
    row = eip[(eip["provider_code"] == "RV5") & (eip["period"] == "2016-04")].iloc[0]
    # Nine RV5 commissioner rows of April 2016: Total_Pathways 1+8+0+9+6+6+1+1+1 = 33,
    # Gt_0_1 + Gt_1_2 = 0+4+0+6+2+5+1+0+1 = 19.
    assert (row["started"], row["within_two_weeks"]) == (33.0, 19.0)
    assert row["share"] == pytest.approx(19 / 33)
    rpg = eip[(eip["provider_code"] == "RPG") & (eip["period"] == "2019-09")].iloc[0]
    # RPG September 2019, non-empty rows 07N (0, 2; 5), 07Q (1, 4; 5), 08A (0, 6; 14).
    assert (rpg["started"], rpg["within_two_weeks"]) == (24.0, 13.0)
    assert eip["period"].nunique() == 46
    assert eip.groupby("provider_code")["period"].nunique()[["RV5", "RPG", "RQY"]].tolist() == [46, 46, 46]


def test_eip_missing_columns(tmp_path: Path) -> None:
    bad = tmp_path / "eip.csv"
    bad.write_text("Date,Provider_Org_code,Description\n01/04/2016,RV5,x\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="missing columns: Provider_name, Gt_0_1_Weeks"):
        read_eip(bad)


def test_monthly_series_england_and_rest(eip: pd.DataFrame) -> None:
    series = eip_monthly_series(eip)
    share = series[series["measure"] == "eip_within_two_weeks"].set_index(["unit", "period"])
    england = share.loc[("England", "2016-04")]
    assert (england["numerator"], england["denominator"]) == (782.0, 1204.0)
    slp = eip[(eip["period"] == "2016-04") & eip["provider_code"].isin(["RV5", "RPG", "RQY"])]
    rest = share.loc[("Rest of England", "2016-04")]
    assert rest["denominator"] == 1204.0 - slp["started"].sum()
    assert rest["numerator"] == 782.0 - slp["within_two_weeks"].sum()


def test_oaps_suppressed_cells_stay_missing(oaps: pd.DataFrame) -> None:
    series = oaps_monthly_series(oaps)
    days = series[series["measure"] == "oap_days"].set_index(["unit", "period"])["value"]
    assert days[("RV5", "2016-10")] == 115.0
    assert days[("RQY", "2016-10")] != days[("RQY", "2016-10")]  # suppressed: NaN, not 0
    source = oaps[
        (oaps["breakdown"] == "SendingProvider") & oaps["code"].isin(["RV5", "RPG", "RQY"])
        & oaps["measure"].isin(series["measure"].unique())
    ]  # fmt: skip
    # every suppressed provider cell of a kept measure is a missing row, none imputed
    assert series[series["unit"] != "England"]["value"].isna().sum() == source["suppressed"].sum()


@pytest.mark.parametrize("source", ["oaps", "eip"])
def test_ingest_cli_never_overwrites(source: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "series.csv"
    files = [str(p) for p in OAPS] if source == "oaps" else [str(EIP)]
    assert main(["ingest", source, *files, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Open Government Licence v3.0" in printed
    assert validate_file(out, "monthly_series").ok
    written = pd.read_csv(out)
    assert f"{int(written['value'].isna().sum())} missing" in printed
    before = out.read_bytes()
    assert main(["ingest", source, *files, "--out", str(out)]) == 2
    assert out.read_bytes() == before


def test_slp_sums_the_three_trusts_and_units_select(eip: pd.DataFrame, tmp_path: Path) -> None:
    series = eip_monthly_series(eip, units=["SLP", "Rest of England"])
    assert set(series["unit"]) == {"SLP", "Rest of England"}
    april = series[(series["measure"] == "eip_within_two_weeks") & (series["period"] == "2016-04")]
    slp = april.set_index("unit").loc["SLP"]
    trusts = eip[(eip["period"] == "2016-04") & eip["provider_code"].isin(["RV5", "RPG", "RQY"])]
    assert slp["numerator"] == trusts["within_two_weeks"].sum()
    assert slp["denominator"] == trusts["started"].sum()
    with pytest.raises(DataValidationError, match="unit\\(s\\) not in the EIP data: XYZ"):
        eip_monthly_series(eip, units=["XYZ"])
    out = tmp_path / "two.csv"
    assert main(["ingest", "eip", str(EIP), "--units", "SLP", "Rest of England", "--out", str(out)]) == 0
    assert set(pd.read_csv(out)["unit"]) == {"SLP", "Rest of England"}


def test_data_quality_profile_counts_the_suppressed_cells(oaps: pd.DataFrame, tmp_path: Path) -> None:
    from slp_eval.report.quality import profile_file

    out = tmp_path / "oaps_series.csv"
    assert main(["ingest", "oaps", *map(str, OAPS), "--out", str(out)]) == 0
    series = oaps_monthly_series(oaps)
    fields = profile_file(out, "monthly_series").fields.set_index("column")
    # every missing value is a suppressed (or, for a measure a month did not publish, absent) cell
    assert int(fields.loc["value", "missing"]) == int(series["value"].isna().sum()) > 0
    assert int(fields.loc["numerator", "missing"]) == int(series["value"].isna().sum())
