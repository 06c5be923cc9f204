"""Onboarding (issue 11): a worked parameter file per kind, run-all progress, column names checked
against the data file's header before anything runs, and stacked series named in fit_its."""

import csv
import json
import re
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest
import yaml
from statsmodels.stats.proportion import confint_proportions_2indep

from slp_eval.cli import main
from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.its import fit_its
from slp_eval.params import KINDS, load_params, validate_params
from slp_eval.params.columns import RULE

ROOT = Path(__file__).resolve().parent.parent
SYNTHETIC = ROOT / "data" / "synthetic"
MONTHLY = SYNTHETIC / "monthly_series.csv"
PLACEMENTS = SYNTHETIC / "placements.csv"
MONTHLY_COLUMNS = ("columns: period, unit, measure, measure_type, numerator, denominator, exposure, value, "
                   "synthetic; derived: share, percent, rate")


# -- a worked example of every kind ----------------------------------------------------------------
def test_every_analysis_kind_has_a_worked_parameter_file() -> None:
    shipped = {load_params(path).analysis for path in (ROOT / "params").glob("*.yaml")}
    assert shipped == set(KINDS)


def test_ccp_prepost_runs_and_compares_the_two_month_end_censuses(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(ROOT / "params" / "ccp_prepost.yaml"), "--out", str(tmp_path), "--quiet"]) == 0
    (run_dir,) = (tmp_path / "ccp_prepost").iterdir()
    results = json.loads((run_dir / "results.json").read_text())
    difference = next(row for row in results["estimates"] if row["term"] == "difference")
    # window_summary auto for a share: the last month of each window, March 2018 and March 2024
    with MONTHLY.open() as handle:
        rows = {(r["period"], r["measure"]): r for r in csv.DictReader(handle) if r["unit"] == "SLP"}
    before, after = rows["2018-03", "ccp_in_south_london"], rows["2024-03", "ccp_in_south_london"]
    counts = [int(float(r[c])) for r in (after, before) for c in ("numerator", "denominator")]
    assert difference["estimate"] == pytest.approx(counts[0] / counts[1] - counts[2] / counts[3], rel=1e-12)
    low, high = confint_proportions_2indep(*counts, method="newcomb", compare="diff")
    assert (difference["ci_low"], difference["ci_high"]) == pytest.approx((low, high), rel=1e-9)


# -- run-all progress --------------------------------------------------------------------------------
@pytest.fixture
def small_project(tmp_path: Path) -> Path:
    """A one-cell-per-step notebook like the real ones; `title: sleep` makes it take 1.5 s."""
    cells = [
        ("params = {}\noutput_dir = None", ["parameters"]),
        ("import time\nif params['title'] == 'sleep':\n    time.sleep(1.5)", []),
        ("import numpy as np, pandas as pd\nfrom slp_eval.results import build_results, write_results", []),
        ("frame = pd.read_csv(params['data']['path'])\n"
         "slope = float(np.polyfit(frame['t'], frame['y'], 1)[0])", []),
        ("row = {'term': 'trend', 'estimate': slope, 'std_err': None, 'ci_low': None, 'ci_high': None,"
         " 'p_value': None}\n"
         "write_results(output_dir, build_results(analysis='its', parameters=params, estimates=[row]))", []),
    ]
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for source, tags in cells:
        nb.cells.append(nbformat.v4.new_code_cell(source, metadata={"tags": tags}))
    (tmp_path / "notebooks").mkdir()
    nbformat.write(nb, tmp_path / "notebooks" / "its_analysis.ipynb")
    (tmp_path / "series.csv").write_text("t,y\n" + "".join(f"{t},{t % 5}\n" for t in range(24)))
    folder = tmp_path / "batch"
    folder.mkdir()
    good = ("analysis: its\ntitle: {}\ndata:\n  path: ../series.csv\noutcome: {}\ntime: t\n"
            "interruptions: [12]\n")
    (folder / "a.yaml").write_text(good.format("sleep", "y"))
    (folder / "b.yaml").write_text(good.format("typo", "yy"))
    return tmp_path


PROGRESS = re.compile(r"^\[(\d)/2\] (\S+) \.\.\.(?: (ok|FAILED|bad parameters) in (\d+\.\d) s)?$")


def run_all(project: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, list[str]]:
    code = main(["run-all", str(project / "batch"), "--out", str(project / "out"),
                 "--notebooks", str(project / "notebooks"), *extra])
    return code, capsys.readouterr().err.splitlines()


def test_run_all_prints_a_line_as_each_file_starts_and_ends(small_project: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_all(small_project, capsys)
    assert code == 2  # b.yaml has a bad outcome column
    progress = [PROGRESS.match(line) for line in err if line.startswith("[")]
    assert all(progress) and len(progress) == 4, err
    a, b = str(small_project / "batch" / "a.yaml"), str(small_project / "batch" / "b.yaml")
    assert [(m[1], m[2], m[3]) for m in progress] == [
        ("1", a, None), ("1", a, "ok"), ("2", b, None), ("2", b, "bad parameters")]
    assert float(progress[1][4]) >= 1.5  # the notebook sleeps 1.5 s: the time is the run's own
    assert float(progress[3][4]) < 1.5
    assert f"  BAD PARAMS {b}: {b}: 1 problem" in err
    assert any(line.startswith("  - outcome: ") and "did you mean 'y'?" in line for line in err)


def test_run_all_in_parallel_reports_every_start_and_end(small_project: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    _, err = run_all(small_project, capsys, "--jobs", "2")
    progress = [PROGRESS.match(line) for line in err if line.startswith("[")]
    assert all(progress) and len(progress) == 4, err
    assert sorted((m[1], m[3] or "") for m in progress) == [("1", ""), ("1", "ok"), ("2", ""),
                                                            ("2", "bad parameters")]
    # a file ends after it starts
    for index in ("1", "2"):
        lines = [i for i, m in enumerate(progress) if m[1] == index]
        assert progress[lines[0]][3] is None and progress[lines[1]][3] is not None


def test_run_all_quiet_prints_no_progress(small_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_all(small_project, capsys, "--quiet")
    assert code == 2
    assert not [line for line in err if line.startswith("[")]
    summary = [line.split(":")[0] for line in err if not line.startswith("  - ")]
    assert summary == [f"  BAD PARAMS {small_project / 'batch' / 'b.yaml'}"]


# -- column names checked against the header -----------------------------------------------------
ITS: dict[str, Any] = {
    "analysis": "its", "title": "t", "data": {"path": str(MONTHLY), "dataset": "monthly_series"},
    "filters": {"unit": "SLP", "measure": "ccp_in_south_london"}, "outcome": "percent", "time": "period",
    "interruptions": ["2018-04"],
}
SPC: dict[str, Any] = {
    "analysis": "spc", "title": "t", "data": {"path": str(MONTHLY), "dataset": "monthly_series"},
    "filters": {"measure": "ccp_in_south_london"}, "panels": [{"label": "SLP", "filters": {"unit": "SLP"}}],
    "value": "percent", "improvement_direction": "increase",
}
QUALITY: dict[str, Any] = {
    "analysis": "data_quality", "title": "t", "data": {"path": str(PLACEMENTS), "dataset": "placements"},
    "date_column": "start_date", "coverage_column": "home_borough_code",
}


def problems(params: dict[str, Any]) -> list[str]:
    with pytest.raises(ParameterError) as caught:
        validate_params(params, source="p.yaml")
    lines = str(caught.value).splitlines()
    assert lines[0] == f"p.yaml: {len(lines) - 1} problem{'s' if len(lines) > 2 else ''}"
    return [line.removeprefix("  - ") for line in lines[1:]]


def missing(where: str, column: str, path: Path, hint: str | None, listing: str) -> str:
    did = f"; did you mean {hint!r}?" if hint else ""
    return f"{where}: {path} has no column {column!r}{did} ({listing}); {RULE}"


@pytest.mark.parametrize(("change", "where", "column", "hint"), [
    ({"outcome": "pecent"}, "outcome", "pecent", "percent"),
    ({"outcome": "Rate"}, "outcome", "Rate", "rate"),
    ({"time": "periods"}, "time", "periods", "period"),
    ({"filters": {"unit": "SLP", "mesure": "ccp_in_south_london"}}, "filters.mesure", "mesure", "measure"),
    ({"group": "units", "treated": "SLP"}, "group", "units", "unit"),
    ({"family": "poisson", "outcome": "numerator", "offset": "exposre"}, "offset", "exposre", "exposure"),
    ({"family": "binomial", "outcome": "numerator", "trials": "denom"}, "trials", "denom", "denominator"),
    ({"covariates": ["value", "zzz"]}, "covariates[1]", "zzz", None),
])
def test_its_columns_are_checked_before_anything_runs(change: dict[str, Any], where: str, column: str,
                                                      hint: str | None) -> None:
    assert problems({**ITS, **change}) == [missing(where, column, MONTHLY, hint, MONTHLY_COLUMNS)]


def test_its_derived_and_measure_outcomes_and_time_parts_pass(tmp_path: Path) -> None:
    for outcome in ("share", "percent", "rate", "value", "ccp_in_south_london"):
        assert validate_params({**ITS, "outcome": outcome}).outcome == outcome
    # a derived name is offered only where the file has what it is derived from
    csv_file = tmp_path / "years.csv"
    frame = pd.DataFrame({"yr": [2015] * 12 + [2016] * 12, "mon": list(range(1, 13)) * 2, "y": range(24)})
    frame.to_csv(csv_file, index=False)
    base = {"analysis": "its", "title": "t", "data": {"path": str(csv_file)}, "time": "month",
            "interruptions": ["2015-07"], "time_parts": {"year": "yr", "month": "mon"}}
    assert validate_params({**base, "outcome": "y"}).time == "month"  # `time` is built, not read
    assert problems({**base, "outcome": "percent", "time_parts": {"year": "yr", "month": "month"}}) == [
        missing("outcome", "percent", csv_file, None, "columns: yr, mon, y"),
        missing("time_parts.month", "month", csv_file, "mon", "columns: yr, mon, y"),
    ]


def test_spc_columns_are_checked() -> None:
    bad = {**SPC, "value": "percnt", "panels": [{"label": "SLP", "filters": {"unti": "SLP"}}],
           "counts": ["numerator", "denominater"]}
    assert problems(bad) == [
        missing("value", "percnt", MONTHLY, "percent", MONTHLY_COLUMNS),
        missing("counts[1]", "denominater", MONTHLY, "denominator", MONTHLY_COLUMNS),
        missing("panels[0].filters.unti", "unti", MONTHLY, "unit", MONTHLY_COLUMNS),
    ]
    assert validate_params(SPC).value == "percent"


def test_data_quality_columns_are_checked_and_no_value_is_printed() -> None:
    header = PLACEMENTS.read_text().splitlines()[0]
    listing = f"columns: {header.replace(',', ', ')}"
    found = problems({**QUALITY, "date_column": "start", "coverage_column": "patient"})
    assert found == [missing("date_column", "start", PLACEMENTS, "start_date", listing),
                     missing("coverage_column", "patient", PLACEMENTS, "patient_id", listing)]
    assert "SYN-" not in "\n".join(found)  # column names only, never a value of the file


@pytest.mark.parametrize("kind", ["prepost", "power", "scorecard"])
def test_kinds_that_name_no_column_validate_as_shipped(kind: str) -> None:
    shipped = [p for p in (ROOT / "params").glob("*.yaml")
               if yaml.safe_load(p.read_text())["analysis"] == kind]
    assert shipped and all(load_params(path).analysis == kind for path in shipped)


@pytest.mark.parametrize("suffix", [".parquet", ".xlsx"])
def test_parquet_and_excel_headers_are_read(tmp_path: Path, suffix: str) -> None:
    frame = pd.read_csv(MONTHLY).head(3)
    path = tmp_path / f"series{suffix}"
    frame.to_parquet(path) if suffix == ".parquet" else frame.to_excel(path, index=False)
    params = {**ITS, "data": {"path": str(path), "dataset": "monthly_series"}, "outcome": "valeu"}
    assert problems(params) == [missing("outcome", "valeu", path, "value", MONTHLY_COLUMNS)]


def test_a_typo_is_exit_2_before_anything_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    params = tmp_path / "typo.yaml"
    params.write_text(yaml.safe_dump({**ITS, "outcome": "pecent"}))
    assert main(["run", str(params), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err == (f"slp-eval: {params}: 1 problem\n  - "
                   f"{missing('outcome', 'pecent', MONTHLY, 'percent', MONTHLY_COLUMNS)}\n")
    assert not (tmp_path / "out").exists()


# -- stacked series ----------------------------------------------------------------------------------
def test_fit_its_names_stacked_series_instead_of_calling_them_unsorted() -> None:
    data = pd.read_csv(MONTHLY)
    shares = data[data["measure"].isin(["ccp_in_south_london", "ccp_home_borough", "ccp_independent_sector"])]
    with pytest.raises(ModelInputError) as caught:
        fit_its(shares.sort_values("period"), outcome="value", time="period", interruptions=["2018-04"])
    assert str(caught.value) == (
        "column 'period': period 2015-01 appears 3 times: the file holds several series (column 'measure' "
        "has 3 values); filter to one or name group/treated (rule: one row per period in each series)")
    with pytest.raises(ModelInputError, match=r"period 2015-01 appears 3 times: the file holds"):
        fit_its(shares, outcome="value", time="period", interruptions=["2018-04"])  # in file order too
    one = shares[shares["measure"] == "ccp_in_south_london"]
    assert fit_its(one, outcome="value", time="period", interruptions=["2018-04"], errors="ols").n_obs == 120


def test_fit_its_names_stacking_within_a_unit_of_a_comparison() -> None:
    data = pd.read_csv(MONTHLY)
    two = data[data["measure"].isin(["ccp_in_south_london", "ccp_home_borough"])]
    two = pd.concat([two, two.assign(unit="RV5")], ignore_index=True)
    with pytest.raises(ModelInputError) as caught:
        fit_its(two, outcome="value", time="period", interruptions=["2018-04"], group="unit", treated="SLP")
    assert "appears 2 times for unit 'SLP': the file holds several series (column 'measure' has 2 values)" \
        in str(caught.value)


def test_a_plain_duplicate_is_still_called_a_duplicate() -> None:
    data = pd.DataFrame({"t": [1, 2, 3, 3, 4, 5, 6, 7], "y": [1.0, 2, 3, 3, 5, 7, 8, 9]})
    with pytest.raises(ModelInputError, match=r"has a duplicate period 3 at row 3"):
        fit_its(data, outcome="y", time="t", interruptions=[5])
