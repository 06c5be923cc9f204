"""Governance: a field the data dictionary marks identifies_person is never a grouping, coverage,
time or filter column, and its values never reach a message, a file or the terminal."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from run_text import file_text

from slp_eval.cli import main
from slp_eval.errors import ParameterError
from slp_eval.report import quality

PLACEMENTS = Path(__file__).parent / "data" / "governance" / "placements_small.csv"
IDS = sorted(set(pd.read_csv(PLACEMENTS, dtype=str)["patient_id"]))
REFUSED = ("field 'patient_id' of dataset 'placements' identifies a person (data dictionary: "
           "identifies_person: true); it cannot be a grouping, coverage, time or filter column")

QUALITY = {"analysis": "data_quality", "title": "Placements quality",
           "data": {"path": str(PLACEMENTS), "dataset": "placements"}}
ITS = {"analysis": "its", "title": "Distance ITS", "data": {"path": str(PLACEMENTS), "dataset": "placements"},
       "outcome": "distance_from_home_miles", "time": "start_date", "interruptions": ["2012-06"]}


def run_cli(tmp_path: Path, params: dict[str, Any]) -> tuple[int, str]:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    return code, out.getvalue() + err.getvalue()


@pytest.mark.parametrize(("params", "where"), [
    ({**QUALITY, "coverage_column": "patient_id"}, "coverage_column"),
    ({**QUALITY, "date_column": "patient_id"}, "date_column"),
    ({**ITS, "time": "patient_id"}, "time"),
    ({**ITS, "filters": {"patient_id": IDS[0]}}, "filters.patient_id"),
    ({**ITS, "group": "patient_id", "treated": IDS[0]}, "group"),
    ({**ITS, "time_parts": {"year": "patient_id", "month": "start_date"}}, "time_parts.year"),
])
def test_an_identifying_field_is_refused_at_validation_without_its_values(tmp_path, params, where):
    code, printed = run_cli(tmp_path, params)
    assert code == 2
    assert f"  - {where}: {REFUSED}" in printed.splitlines()
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.json"))
    leaked = [i for i in IDS if i in printed]
    assert leaked == [] and "SYN-C" not in printed


def test_the_profile_refuses_an_identifying_coverage_column_without_values():
    with pytest.raises(ParameterError) as caught:
        quality.profile_file(PLACEMENTS, "placements", coverage_column="patient_id")
    assert str(caught.value) == (
        "coverage_column: field 'patient_id' of dataset 'placements' identifies a person (data "
        "dictionary: identifies_person: true); it cannot be a date or coverage column")
    assert "SYN-C" not in str(caught.value)


def test_a_profile_run_shows_no_identifier_anywhere(tmp_path):
    code, printed = run_cli(tmp_path, {**QUALITY, "date_column": "start_date",
                                       "coverage_column": "home_borough_code"})
    assert code == 0
    (run_dir,) = (tmp_path / "out" / "params").iterdir()
    texts = [printed] + [file_text(p) for p in run_dir.rglob("*")
                         if p.is_file() and p.suffix != ".png"]
    assert not [i for i in IDS for text in texts if i in text]
