"""The data subcommands, through an argparse parser built as `slp_eval.cli` builds it."""

import argparse
import filecmp
from pathlib import Path

import pytest

from slp_eval.data import load, render_dictionary_markdown
from slp_eval.data.cli import add_commands

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad_inputs"


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="slp-eval")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_validate_ok(capsys: pytest.CaptureFixture[str]) -> None:
    path = BAD / "placements_valid.csv"
    assert run("validate", str(path), "--dataset", "placements") == 0
    assert capsys.readouterr().out == f"{path}: valid placements file (3 rows)\n"


def test_validate_failure_prints_report_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    path = BAD / "placements_end_before_start.csv"
    assert run("validate", str(path), "--dataset", "placements") == 1
    out = capsys.readouterr().out
    assert (
        "  - row 3, column 'end_date', value '2018-05-31': end_date is before start_date (2018-06-15)" in out
    )


def test_dictionary_prints_and_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("dictionary") == 0
    assert capsys.readouterr().out == render_dictionary_markdown()
    target = tmp_path / "docs" / "dd.md"
    assert run("dictionary", "--out", str(target)) == 0
    assert target.read_text(encoding="utf-8") == render_dictionary_markdown()


def test_synth_writes_the_demo_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("synth", "--seed", "20180401", "--out", str(tmp_path)) == 0
    assert "(SYNTHETIC)" in capsys.readouterr().out
    assert filecmp.cmp(
        tmp_path / "monthly_series.csv", ROOT / "data" / "synthetic" / "monthly_series.csv", shallow=False
    )


def test_aggregate_writes_a_valid_monthly_series(tmp_path: Path) -> None:
    target = tmp_path / "monthly.csv"
    source = ROOT / "tests" / "data" / "aggregate" / "placements_hand.csv"
    assert run("aggregate", str(source), "--extract-date", "2019-04-15", "--out", str(target)) == 0
    frame = load(target, "monthly_series")
    assert frame["period"].astype(str).unique().tolist() == ["2018-12", "2019-01", "2019-02", "2019-03"]
