"""Suppression markers declared in the data dictionary: read as missing with a flag, counted in the
data-quality profile, never imputed; any other text in a numeric field is still an error."""

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from slp_eval.data import load, read_dictionary, render_dictionary_markdown, validate_file
from slp_eval.errors import DataValidationError
from slp_eval.report.quality import profile_file

ROOT = Path(__file__).resolve().parent.parent
MONTHLY = ROOT / "data" / "synthetic" / "monthly_series.csv"
PLACEMENTS = ROOT / "data" / "synthetic" / "placements.csv"


def series_with(tmp_path: Path, cells: dict[tuple[int, str], str]) -> Path:
    """The synthetic ccp_in_south_london series as text, with some cells replaced (row from 1)."""
    lines = MONTHLY.read_text().splitlines()
    header = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:] if ",ccp_in_south_london," in line]
    for (row, column), text in cells.items():
        rows[row - 1][header.index(column)] = text
    path = tmp_path / "series.csv"
    path.write_text("\n".join([lines[0], *(",".join(r) for r in rows)]) + "\n")
    return path


def test_a_star_is_read_as_missing_and_flagged(tmp_path: Path) -> None:
    path = series_with(tmp_path, {(3, "numerator"): "*", (3, "value"): "*", (7, "numerator"): " * "})
    frame = load(path, "monthly_series")
    original = load(MONTHLY, "monthly_series")
    original = original[original["measure"] == "ccp_in_south_london"].reset_index(drop=True)
    assert frame["numerator_suppressed"].tolist() == [i in (2, 6) for i in range(120)]
    assert frame["value_suppressed"].tolist() == [i == 2 for i in range(120)]
    assert "denominator_suppressed" not in frame and "exposure_suppressed" not in frame
    assert frame.attrs["suppressed"] == {"numerator": 2, "value": 1}
    # missing, never imputed; every other cell as in the file
    assert np.isnan(frame.loc[[2, 6], "numerator"]).all() and np.isnan(frame.at[2, "value"])
    kept = ~frame["numerator_suppressed"]
    assert frame.loc[kept, "numerator"].tolist() == original.loc[kept, "numerator"].tolist()
    assert frame["denominator"].tolist() == original["denominator"].tolist()
    assert validate_file(path, "monthly_series").to_dict()["suppressed"] == {"numerator": 2, "value": 1}
    assert validate_file(path, "monthly_series").summary() == (
        f"{path}: valid monthly_series file (120 rows; 3 cells suppressed at source, read as missing)")


def test_a_file_without_markers_gets_no_flag_columns() -> None:
    frame = load(MONTHLY, "monthly_series")
    assert not [c for c in frame.columns if c.endswith("_suppressed")] and frame.attrs["suppressed"] == {}


def test_other_text_in_a_numeric_field_is_still_an_error(tmp_path: Path) -> None:
    path = series_with(tmp_path, {(3, "numerator"): "n/a", (4, "value"): "*"})
    with pytest.raises(DataValidationError) as caught:
        load(path, "monthly_series")
    assert str(caught.value) == (
        f"{path}: 1 problem against the data dictionary for dataset 'monthly_series' (rows are data rows, "
        "numbered from 1 after the header):\n"
        "  - row 3, column 'numerator', value 'n/a': not a number (nor a suppression marker the data "
        "dictionary declares for monthly_series: '*')")


def test_a_star_in_a_text_field_is_not_a_suppressed_figure(tmp_path: Path) -> None:
    path = series_with(tmp_path, {(5, "unit"): "*"})
    report = validate_file(path, "monthly_series")
    assert report.failures[["row", "column", "value"]].values.tolist()[0] == [5, "unit", "*"]
    assert report.suppressed == {}


def test_a_record_level_dataset_declares_no_marker(tmp_path: Path) -> None:
    lines = PLACEMENTS.read_text().splitlines()[:4]
    fields = lines[2].split(",")
    column = lines[0].split(",").index("distance_from_home_miles")
    fields[column] = "*"
    lines[2] = ",".join(fields)
    path = tmp_path / "placements.csv"
    path.write_text("\n".join(lines) + "\n")
    report = validate_file(path, "placements")
    assert report.failures[["row", "column", "value", "rule"]].values.tolist() == [
        [2, "distance_from_home_miles", "*", "not a number"]]
    assert "SYN-C" not in report.summary()  # identifying values never appear


@pytest.fixture
def dictionary_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "dictionary"
    shutil.copytree(ROOT / "data_dictionary", folder)
    return folder


def edit_monthly(folder: Path, **changes: object) -> None:
    path = folder / "monthly_series.yaml"
    content = yaml.safe_load(path.read_text())
    content.update(changes)
    path.write_text(yaml.safe_dump(content, sort_keys=False))


def test_a_dataset_declares_its_own_markers(tmp_path: Path, dictionary_dir: Path) -> None:
    edit_monthly(dictionary_dir, suppression_markers=["*", ".."])
    d = read_dictionary(dictionary_dir)
    path = series_with(tmp_path, {(3, "numerator"): "..", (4, "numerator"): "*", (5, "numerator"): "-"})
    report = validate_file(path, "monthly_series", dictionary=d)
    assert report.failures[["row", "column", "value", "rule"]].values.tolist() == [
        [5, "numerator", "-", "not a number (nor a suppression marker the data dictionary declares for "
                              "monthly_series: '*', '..')"]]
    edit_monthly(dictionary_dir, suppression_markers=[])
    report = validate_file(path, "monthly_series", dictionary=read_dictionary(dictionary_dir))
    assert report.failures["row"].tolist() == [3, 4, 5] and set(report.failures["rule"]) == {"not a number"}


def test_a_suppressed_cell_in_a_field_that_may_not_be_missing_is_an_error(tmp_path: Path,
                                                                           dictionary_dir: Path) -> None:
    content = yaml.safe_load((dictionary_dir / "monthly_series.yaml").read_text())
    for field in content["fields"]:
        if field["name"] == "denominator":
            field["nullable"] = False
    edit_monthly(dictionary_dir, fields=content["fields"])
    path = series_with(tmp_path, {(3, "denominator"): "*"})
    report = validate_file(path, "monthly_series", dictionary=read_dictionary(dictionary_dir))
    assert report.failures[["row", "column", "rule"]].values.tolist() == [
        [3, "denominator", "suppressed at source, but the field may not be missing"]]


def test_a_blank_marker_is_refused(dictionary_dir: Path) -> None:
    edit_monthly(dictionary_dir, suppression_markers=["*", " "])
    with pytest.raises(Exception, match=re.escape("a marker is visible text without surrounding spaces")):
        read_dictionary(dictionary_dir)


def test_the_quality_profile_counts_the_suppressed_cells(tmp_path: Path) -> None:
    path = series_with(tmp_path, {(3, "numerator"): "*", (3, "value"): "*", (9, "value"): "*"})
    profile = profile_file(path, "monthly_series")
    assert profile.suppressed == {"numerator": 1, "value": 2}
    fields = profile.fields.set_index("column")
    assert fields.loc["value", "missing"] == 2 and fields.loc["value", "invalid"] == 0
    assert "3 cells suppressed at source (in `numerator`, `value`): read as missing, not imputed." in (
        profile.summary())
    assert profile.to_dict()["suppressed_cells"] == {"numerator": 1, "value": 2}
    # under the default disclosure rule a count of 1-7 cells is itself suppressed
    from slp_eval.disclosure import DisclosureRule

    assert profile.to_dict(DisclosureRule())["suppressed_cells"] == {"numerator": "*", "value": "*"}


def test_the_rendered_dictionary_lists_the_markers() -> None:
    text = render_dictionary_markdown()
    assert ("Suppression markers: `*` in a numeric field is a figure suppressed at source: read as missing "
            "and flagged in `<field>_suppressed`, never imputed.") in text
    assert "Suppression markers: none (a marker such as `*` in a numeric field is an error)." in text


def test_an_its_on_a_suppressed_month_says_which_row(tmp_path: Path) -> None:
    from slp_eval.its import fit_its

    frame = load(series_with(tmp_path, {(30, "value"): "*"}), "monthly_series")
    with pytest.raises(Exception, match=r"column 'value' \(outcome\) has a missing value at row 29"):
        fit_its(frame, outcome="value", time="period", interruptions=["2018-04"])
    fitted = fit_its(frame, outcome="value", time="period", interruptions=["2018-04"], dropna=True)
    assert fitted.n_obs == 119
