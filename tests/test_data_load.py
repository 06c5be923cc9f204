"""Validated loading: every bad input gets one exact message naming file, row, column, value, rule."""

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from slp_eval.data import load, read_dictionary, validate_file
from slp_eval.data.schema import build_schema
from slp_eval.errors import DataValidationError, ParameterError

BAD = Path(__file__).parent / "data" / "bad_inputs"
HEADER = "(rows are data rows, numbered from 1 after the header):"


def expect_failure(path: Path, dataset: str, *lines: str) -> DataValidationError:
    """load() raises with exactly these problem lines (in order) and a tidy report."""
    n = len(lines)
    message = "\n".join(
        [
            f"{path}: {n} problem{'s' if n != 1 else ''} against the data dictionary for dataset "
            f"{dataset!r} {HEADER}",
            *(f"  - {line}" for line in lines),
        ]
    )
    with pytest.raises(DataValidationError, match=f"^{re.escape(message)}$") as info:
        load(path, dataset)
    report = info.value.report
    assert list(report.columns) == ["file", "row", "column", "value", "rule"]
    assert len(report) == n
    assert (report["file"] == str(path)).all()
    return info.value


def test_valid_placements_are_typed_and_marked() -> None:
    frame = load(BAD / "placements_valid.csv", "placements")
    assert frame.shape == (3, 12)
    assert str(frame["start_date"].dtype) == "datetime64[ns]"
    assert frame["end_date"].isna().tolist() == [False, True, False]
    assert frame["in_south_london"].tolist() == [True, False, True]
    assert frame["distance_from_home_miles"].tolist() == [2.5, 212.4, 4.0]
    assert frame.attrs == {
        "identifying_columns": ["patient_id"],
        "source_file": str(BAD / "placements_valid.csv"),
        "dataset": "placements",
        "synthetic": False,
        "suppressed": {},
    }


def test_parquet_and_excel_load_the_same_frame(tmp_path: Path) -> None:
    frame = load(BAD / "placements_valid.csv", "placements")
    frame.to_parquet(tmp_path / "p.parquet")
    frame.to_excel(tmp_path / "p.xlsx", index=False)
    for name in ("p.parquet", "p.xlsx"):
        other = load(tmp_path / name, "placements")
        pd.testing.assert_frame_equal(other, frame, check_like=False)


def test_monthly_series_period_is_a_month() -> None:
    frame = load(BAD / "monthly_valid.csv", "monthly_series")
    assert str(frame["period"].dtype) == "period[M]"
    assert frame["period"].astype(str).tolist()[:3] == ["2019-01", "2019-02", "2019-03"]


def test_wrong_delimiter() -> None:
    expect_failure(
        BAD / "placements_semicolon.csv",
        "placements",
        "file: the header has a single column; the file looks delimited by ';', "
        "but CSV files must be comma-delimited",
    )


def test_wrong_encoding() -> None:
    expect_failure(
        BAD / "placements_latin1.csv",
        "placements",
        "file: not UTF-8 encoded: byte 0xe9 on line 4 is not valid UTF-8 (save the file as CSV UTF-8)",
    )


def test_missing_column() -> None:
    expect_failure(
        BAD / "placements_missing_column.csv",
        "placements",
        "column 'distance_from_home_miles': required column is missing from the placements file",
    )


def test_extra_column() -> None:
    expect_failure(
        BAD / "placements_extra_column.csv",
        "placements",
        "column 'postcode': unexpected column: not in the placements data dictionary",
    )


def test_wrong_types() -> None:
    expect_failure(
        BAD / "placements_wrong_types.csv",
        "placements",
        "row 2, column 'distance_from_home_miles', value '212 miles': not a number",
        "row 3, column 'in_south_london', value 'yes': not true or false",
    )


def test_wrong_types_and_negative_count_in_workforce() -> None:
    expect_failure(
        BAD / "workforce_negative_and_fraction.csv",
        "workforce",
        "row 2, column 'leavers', value '-1': below the minimum 0",
        "row 3, column 'leavers', value '1.5': not a whole number",
    )


def test_unparseable_dates() -> None:
    expect_failure(
        BAD / "placements_bad_dates.csv",
        "placements",
        "row 1, column 'start_date', value '01/01/2019': not a date in YYYY-MM-DD form",
        "row 3, column 'end_date', value '2020-02-30': not a date in YYYY-MM-DD form",
    )


def test_end_before_start() -> None:
    expect_failure(
        BAD / "placements_end_before_start.csv",
        "placements",
        "row 3, column 'end_date', value '2018-05-31': end_date is before start_date (2018-06-15)",
    )


def test_unknown_borough_and_trust_codes() -> None:
    boroughs = ", ".join(read_dictionary().vocabularies["boroughs"].codes)
    expect_failure(
        BAD / "placements_unknown_codes.csv",
        "placements",
        "row 1, column 'lead_trust', value 'RXY': not in vocabulary 'trusts' (allowed: RPG, RV5, RQY)",
        f"row 3, column 'home_borough_code', value 'E09000099': not in vocabulary 'boroughs' "
        f"(allowed: {boroughs})",
    )


def test_duplicate_ids() -> None:
    expect_failure(
        BAD / "placements_duplicate_ids.csv",
        "placements",
        "row 2, column 'episode_id', value 'E2': duplicate value; the column must be unique",
        "row 3, column 'episode_id', value 'E2': duplicate value; the column must be unique",
    )


def test_identifying_values_never_reach_the_message() -> None:
    error = expect_failure(
        BAD / "placements_name_in_id.csv",
        "placements",
        "row 2, column 'patient_id', value '<withheld: identifies a person>': "
        "does not match the pattern ^[A-Za-z0-9_-]{1,64}$",
    )
    assert "John Smith" not in str(error)
    assert "John Smith" not in error.report.to_string()


def test_negative_count() -> None:
    expect_failure(
        BAD / "monthly_negative_count.csv",
        "monthly_series",
        "row 5, column 'numerator', value '-3': below the minimum 0",
    )


def test_numerator_above_denominator() -> None:
    expect_failure(
        BAD / "monthly_numerator_above_denominator.csv",
        "monthly_series",
        "row 2, column 'numerator', value '460': numerator is above denominator (450)",
    )


def test_gap_in_monthly_series() -> None:
    expect_failure(
        BAD / "monthly_gap.csv",
        "monthly_series",
        "row 2, column 'period', value '2019-03': gap in the series unit=SLP, "
        "measure=ccp_in_south_london: 2019-02 missing (previous month in row 1)",
    )


def test_duplicate_month_in_monthly_series() -> None:
    expect_failure(
        BAD / "monthly_duplicate_month.csv",
        "monthly_series",
        "row 6, column 'period', value '2019-02': duplicate month in the series unit=SLP, "
        "measure=forensic_out_of_area_placements (also row 5)",
    )


def test_empty_file() -> None:
    expect_failure(BAD / "placements_empty.csv", "placements", "file: the file is empty")


def test_header_without_rows() -> None:
    expect_failure(
        BAD / "placements_header_only.csv", "placements", "file: the file has a header but no data rows"
    )


def test_parquet_named_csv(tmp_path: Path) -> None:
    target = tmp_path / "placements.csv"
    load(BAD / "placements_valid.csv", "placements").to_parquet(target)
    expect_failure(target, "placements", "file: not a CSV text file: its content is Parquet data")


def test_csv_named_parquet(tmp_path: Path) -> None:
    target = tmp_path / "placements.parquet"
    shutil.copy(BAD / "placements_valid.csv", target)
    expect_failure(
        target, "placements", "file: not a Parquet file (no PAR1 magic bytes): its content is text data"
    )


def test_csv_named_xlsx(tmp_path: Path) -> None:
    target = tmp_path / "placements.xlsx"
    shutil.copy(BAD / "placements_valid.csv", target)
    expect_failure(target, "placements", "file: not an Excel .xlsx file: its content is text data")


def test_ragged_row(tmp_path: Path) -> None:
    lines = (BAD / "placements_valid.csv").read_text().splitlines()
    lines[2] += ",extra"
    target = tmp_path / "ragged.csv"
    target.write_text("\n".join(lines) + "\n")
    expect_failure(target, "placements", "row 2: has 13 fields, the header has 12")


def test_unknown_dataset_names_the_known_ones() -> None:
    message = (
        "dataset 'admissions' is not in the data dictionary "
        "(known: monthly_series, outcome_measures, placements, "
        "provider_monthly_series, provider_panel, workforce)"
    )
    with pytest.raises(ParameterError, match=re.escape(message)):
        load(BAD / "placements_valid.csv", "admissions")


def test_report_collects_every_failure_at_once(tmp_path: Path) -> None:
    text = (BAD / "placements_valid.csv").read_text()
    text = text.replace("2.5", "-1").replace("RV5", "XXX").replace("2018-06-15", "15/06/2018")
    target = tmp_path / "many.csv"
    target.write_text(text)
    report = validate_file(target, "placements")
    assert not report.ok
    assert report.failures[["row", "column"]].values.tolist() == [
        [1, "distance_from_home_miles"],
        [3, "lead_trust"],
        [3, "start_date"],
    ]
    assert report.to_dict()["failures"][0] == {
        "file": str(target),
        "row": 1,
        "column": "distance_from_home_miles",
        "value": "-1",
        "rule": "below the minimum 0",
    }


def test_schemas_are_built_from_the_dictionary() -> None:
    d = read_dictionary()
    for name, ds in d.datasets.items():
        schema = build_schema(ds, d)
        assert list(schema.columns) == ds.field_names, name
        for field in ds.fields:
            column = schema.columns[field.name]
            assert column.nullable == field.nullable
            assert column.unique == field.unique
            assert column.required == field.required
