"""Disclosure control in SPC runs: an SPC chart of small counts (the governance fixture: Croydon's
monthly placements of 0-7 and 2-7 people of 9 placed in borough) writes no small count and no share
of one into report.html, its figure data, results.json, tables.xlsx or notebook.ipynb; and a month
suppressed at source (RV5, 2016-12, in NHS Digital's out-of-area placements) is a gap, said so."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook
from run_text import file_text

from slp_eval.cli import main

ROOT = Path(__file__).resolve().parents[1]
SERIES = ROOT / "tests" / "data" / "governance" / "small_counts.csv"
OAPS = sorted((ROOT / "tests" / "data" / "nhs_oaps").glob("oaps-open-data-*.csv"))
SMALL = {
    "analysis": "spc", "title": "Croydon small counts",
    "data": {"path": str(SERIES), "dataset": "monthly_series"},
    "filters": {"unit": "Croydon"}, "improvement_direction": "decrease",
    "panels": [
        {"label": "placements (XmR)", "filters": {"measure": "croydon_placements"},
         "value": "croydon_placements"},
        {"label": "placements (c)", "filters": {"measure": "croydon_placements"}, "chart": "c"},
        {"label": "placements (run)", "filters": {"measure": "croydon_placements"}, "chart": "run",
         "value": "croydon_placements"},
        {"label": "in borough (p)", "filters": {"measure": "croydon_in_borough"}, "chart": "p",
         "improvement_direction": "increase"},
        {"label": "in borough (XmR %)", "filters": {"measure": "croydon_in_borough"}, "value": "percent",
         "improvement_direction": "increase"},
    ],
}  # fmt: skip


def run(tmp: Path, name: str, params: dict[str, Any]) -> tuple[int, Path | None, str]:
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(params), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["run", str(path), "--out", str(tmp / "out"), "--quiet"])
    runs = list((tmp / "out" / name).iterdir()) if (tmp / "out" / name).is_dir() else []
    return code, (runs[0] if runs else None), out.getvalue() + err.getvalue()


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    code, run_dir, text = run(tmp_path_factory.mktemp("spc_small"), "small", SMALL)
    assert code == 0 and run_dir is not None, text
    return run_dir


def figure_numbers(notebook: Path) -> dict[str, list[str]]:
    """The `y` arrays of each panel's value line (its first line) and of its coloured points (not
    the gap marks, drawn on the axis) in the 'spc' figure data."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    texts = ["".join(o.get("data", {}).get("text/plain", "")) for c in cells for o in c.get("outputs", [])]
    (data,) = [t for t in texts if t.startswith("Data behind figure 'spc'")]
    panels: dict[str, list[str]] = {}
    current, kind, lines = "", "", 0
    for line in data.splitlines():
        if line.startswith("panel "):
            current, lines = line.split(": ", 1)[1].split(" | ")[0], 0
            panels[current] = []
        elif re.match(r"\s+(points|line)( '[^']*')?: x", line):
            kind = line.strip().split(":")[0]
            lines += kind == "line"
        elif line.strip().startswith("y ") and (
            (kind.startswith("points '") and "gap" not in kind and "suppressed" not in kind)
            or (kind == "line" and lines == 1)
        ):
            panels[current] += line.split()[1:]
    return panels


def test_no_small_count_in_figure_data(small_run: Path) -> None:
    panels = figure_numbers(small_run / "notebook.ipynb")
    assert set(panels) == {p["label"] for p in SMALL["panels"]}
    for label, values in panels.items():
        numbers = [float(v) for v in values if v != "nan"]
        # every count is 0-7 and every share has 2-7 of 9 people: all suppressed, zeros shown
        assert all(v == 0 for v in numbers), (label, numbers)
        assert len(values) >= 48, label  # the months are there, drawn as gaps (nan)
    html = (small_run / "report.html").read_text(encoding="utf-8")
    assert "points 'suppressed (disclosure control)'" in html  # marked on the axis, without a value
    assert "Data behind this figure" in html and "no value (gap)" not in html.split("Data behind")[0][:0]


def test_no_small_count_in_results_json(small_run: Path) -> None:
    results = json.loads((small_run / "results.json").read_text(encoding="utf-8"))
    for label, panel in results["spc"].items():
        for point in panel["points"]:
            for key in ("y", "numerator", "denominator"):
                value = point.get(key)
                assert value is None or value == 0 or (value % 5 == 0 and value >= 10), (label, key, value)
    for row in results["spc_board_summary"]:
        assert row["last_value"] is None or row["last_value"] == 0, row
    # the report's tables (counts, board summary, last points) hold no count of 1-7 either: the
    # released values, the centre lines (a run chart's median is an observed count) and the counts
    for table in results["report_tables"]:
        columns = [i for i, c in enumerate(table["columns"]) if COUNTED.search(c)]
        for row in table["rows"]:
            for i in columns:
                assert not re.fullmatch(r"[1-7](\.0+)?%?", str(row[i]).strip()), (table["caption"], row)


COUNTED = re.compile(r"numerator|denominator|last value|centre|^value$")


def test_no_small_count_in_tables_xlsx_or_report(small_run: Path) -> None:
    book = load_workbook(small_run / "tables.xlsx", read_only=True)
    checked = 0
    for sheet in book:
        if sheet.title == "README":  # the run's description: the rule's own numbers (1, 7, 5)
            continue
        rows = list(sheet.iter_rows(values_only=True))
        for r, header in enumerate(rows):
            columns = [i for i, c in enumerate(header) if isinstance(c, str) and COUNTED.search(c)]
            if not columns:
                continue
            for row in rows[r + 1 :]:
                for i in columns:
                    if i < len(row) and row[i] is not None:
                        checked += 1
                        assert not re.fullmatch(r"[1-7](\.0+)?%?", str(row[i]).strip()), (sheet.title, row)
            break
    assert checked > 100
    html = re.sub(r"<[^>]+>", " ", (small_run / "report.html").read_text(encoding="utf-8"))
    text = html + file_text(small_run / "tables.xlsx")
    shares = {f"{100 * k / 9:.1f}%" for k in range(2, 8)} | {f"{k / 9:.3g}" for k in range(2, 8)}
    assert not [share for share in shares if re.search(rf"(?<![\d.]){re.escape(share)}(?![\d])", text)]
    assert "Last value: placements (XmR): * (mean" in html


def test_oaps_month_suppressed_at_source_is_a_gap(tmp_path: Path) -> None:
    series = tmp_path / "oaps.csv"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main(["ingest", "oaps", *map(str, OAPS), "--out", str(series)]) == 0
    rows = pd.read_csv(series)
    rv5 = rows[(rows["unit"] == "RV5") & (rows["measure"] == "oaps_active_at_period_end")]
    assert rv5.set_index("period")["value"].isna().to_dict()["2016-12"]  # suppressed at source
    params = {
        "analysis": "spc",
        "title": "OAPs active at month end, RV5",
        "data": {"path": str(series), "dataset": "monthly_series"},
        "filters": {"measure": "oaps_active_at_period_end"},
        "panels": [{"label": "South London and Maudsley (RV5)", "filters": {"unit": "RV5"}}],
        "value": "oaps_active_at_period_end",
        "improvement_direction": "decrease",
    }
    code, run_dir, text = run(tmp_path, "oaps", params)
    assert code == 0 and run_dir is not None, text
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "shown as a gap and left out of the limits and rules: 2016-12" in html
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    points = {p["x"]: p["y"] for p in results["spc"]["South London and Maudsley (RV5)"]["points"]}
    assert list(points) == ["2016-10", "2016-11", "2016-12", "2017-01", "2017-02"]
    assert points["2016-12"] is None
    assert "no value (gap)" in html  # the figure's legend and data name the gap


def test_a_panel_problem_names_the_panel_and_the_parameter(tmp_path: Path) -> None:
    params = {
        **SMALL,
        "panels": [{"label": "wrong", "filters": {"measure": "no_such_measure"}, "value": "percent"}],
    }
    code, _, text = run(tmp_path, "bad", params)
    assert code == 1
    assert "panels[0] (wrong): filters.measure: no row has measure == 'no_such_measure'" in text
