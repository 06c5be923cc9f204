"""Governance: no small count reaches any file a run writes, or any message it prints.

The fixture `tests/data/governance/small_counts.csv` is a monthly_series file for one borough
(Croydon) with monthly counts of 0-7 (`croydon_placements`, a count) and 2-7 people out of 9
(`croydon_in_borough`, a share). Each case runs the analysis through `slp-eval run` and reads every
file of the run directory and the captured stdout/stderr for the exact values that must not appear.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.collections import PathCollection
from matplotlib.patches import Rectangle
from run_text import file_text

from slp_eval.cli import main
from slp_eval.data import load
from slp_eval.disclosure import DisclosureRule, apply_disclosure
from slp_eval.its import fit_its
from slp_eval.params.its import ITSParams
from slp_eval.params.prepost import PrepostParams
from slp_eval.prepost import compare_proportions, compare_rates
from slp_eval.report import its as its_report
from slp_eval.report import prepost as prepost_report
from slp_eval.report import quality
from slp_eval.report.disclose import RESTRICTED_DIR, RESTRICTED_FILE, disclosure_note
from slp_eval.report.figures import figure_data
from slp_eval.report.quality import QualityProfile

DATA = Path(__file__).parent / "data" / "governance"
SERIES = DATA / "small_counts.csv"
PLACEMENTS = DATA / "placements_small.csv"

PREPOST_SHARE = {
    "analysis": "prepost", "title": "Croydon: placed in borough",
    "data": {"path": str(SERIES), "dataset": "monthly_series"},
    "unit": "Croydon", "measure": "croydon_in_borough",
    "before": {"start": "2019-01", "end": "2019-12"}, "after": {"start": "2022-01", "end": "2022-12"},
}
PREPOST_COUNT = {
    "analysis": "prepost", "title": "Croydon: placements",
    "data": {"path": str(SERIES), "dataset": "monthly_series"},
    "unit": "Croydon", "measure": "croydon_placements",
    "before": {"start": "2019-01", "end": "2019-01"}, "after": {"start": "2022-02", "end": "2022-02"},
}
ITS_COUNT = {
    "analysis": "its", "title": "Croydon placements ITS",
    "data": {"path": str(SERIES), "dataset": "monthly_series"},
    "filters": {"unit": "Croydon", "measure": "croydon_placements"},
    "outcome": "value", "time": "period", "interruptions": ["2021-01"], "family": "poisson", "errors": "ols",
    "sensitivity": {"placebo": False, "break_date_window": 0},
}
QUALITY = {
    "analysis": "data_quality", "title": "Placements quality",
    "data": {"path": str(PLACEMENTS), "dataset": "placements"},
    "date_column": "start_date", "coverage_column": "home_borough_code",
}


def cli(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


def run_params(tmp: Path, name: str, params: dict[str, Any]) -> tuple[Path, str]:
    """Run a parameter file through the CLI; the run directory and the captured stdout+stderr."""
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(params), encoding="utf-8")
    code, out, err = cli(["run", str(path), "--out", str(tmp / "out"), "--quiet"])
    assert code == 0, err
    (run_dir,) = (tmp / "out" / name).iterdir()
    return run_dir, out + err


def readable(run_dir: Path) -> dict[str, str]:
    """Every file of a run directory as text (report.pdf and tables.xlsx too), images dropped,
    HTML tags and entities removed."""
    texts = {}
    for path in run_dir.rglob("*"):
        if path.is_file() and path.suffix != ".png":
            text = file_text(path)
            text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+|\"image/png\": \"[^\"]*\"", "", text)
            text = re.sub(r"<style.*?</style>|<script.*?</script>", "", text, flags=re.S)
            texts[str(path.relative_to(run_dir))] = text
    return texts


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    tmp = tmp_path_factory.mktemp("governance")
    return {name: run_params(tmp, name, params) for name, params in
            (("share", PREPOST_SHARE), ("count", PREPOST_COUNT), ("its", ITS_COUNT), ("quality", QUALITY))}


def all_text(run: tuple[Path, str]) -> str:
    return "\n".join([*readable(run[0]).values(), run[1]])


# -- pre/post ------------------------------------------------------------------------------------
def test_prepost_share_sentence_table_and_results_hide_the_counts(runs):
    run_dir, _ = runs["share"]
    text = all_text(runs["share"])
    # the exact values: 6/9 and 4/9 people, 66.7% and 44.4%
    for leak in ("6/9", "4/9", "66.7", "44.4", "66.66", "44.44", '"x1": 6', '"x2": 4', "(6/", "(4/"):
        assert leak not in text, leak
    results = json.loads((run_dir / "results.json").read_text())["prepost"]
    assert (results["x1"], results["n1"], results["x2"], results["n2"]) == ("*", 10, "*", 10)
    assert (results["p1"], results["p2"]) == ("*", "*")
    report = (run_dir / "report.html").read_text()
    assert "fell from * (*/10) to * (*/10): -22.2 percentage points" in report
    assert "The denominator is 10 (rounded) in every month" in report


def test_prepost_count_sentence_rates_and_results_hide_the_counts(runs):
    run_dir, _ = runs["count"]
    text = all_text(runs["count"])
    results = json.loads((run_dir / "results.json").read_text())["prepost"]
    assert (results["count1"], results["count2"], results["rate1"], results["rate2"]) == ("*",) * 4
    rows = {r["term"]: r for r in results["estimates"]}
    assert rows["rate_before"]["estimate"] is None and rows["rate_before"]["suppressed"] is True
    assert rows["rate_after"]["ci_high"] is None and rows["rate_ratio"]["estimate"] == pytest.approx(1 / 3)
    for leak in ("from 3 to 1", '"count1": 3', '"count2": 1', '"rate1": 3', "3.0000", "8.767", "5.572"):
        assert leak not in text, leak
    assert "fell from * to *: rate ratio 0.33" in (run_dir / "report.html").read_text()


def test_prepost_summary_suppresses_the_percent_beside_a_suppressed_count():
    rule = DisclosureRule()
    assert compare_proportions(6, 9, 4, 9).summary(rule=rule).startswith(
        "The proportion fell from * (*/10) to * (*/10): -22.2 percentage points")
    # the complement gives the count back too: 95 of 100 leaves 5
    assert compare_proportions(95, 100, 50, 100).summary(rule=rule).startswith(
        "The proportion fell from * (*/100) to 50.0% (50/100)")
    assert compare_rates(6, 2.0, 40, 4.0).summary(rule=rule).startswith(
        "The rate rose from * to 10 per unit exposure (*/2 to 40/4)")


def disclosed_windows(result: Any, params: PrepostParams) -> pd.DataFrame:
    """The windows table as `Report.table` shows it."""
    arguments = prepost_report.table_arguments(result)
    return apply_disclosure(prepost_report.windows(result, params), arguments["counts"],
                            rule=params.disclosure, additive_rows=arguments["additive_rows"],
                            derived=arguments["derived"]).frame


def test_windows_table_hides_percent_and_rate_beside_a_star():
    params = PrepostParams.model_validate(PREPOST_SHARE)
    shown = disclosed_windows(compare_proportions(6, 9, 4, 9), params)
    assert shown[["people", "others", "out of", "percent"]].values.tolist() == [["*", "*", 10, "*"]] * 2
    # a small complement (5 of 100 not placed) is protected like a small count; the other window's
    # counts go too, since the table's columns are treated as adding up (the conservative default)
    shown = disclosed_windows(compare_proportions(95, 100, 50, 100), params)
    assert shown[["people", "others", "out of", "percent"]].values.tolist() == [["*", "*", 100, "*"]] * 2
    counts = PrepostParams.model_validate(PREPOST_COUNT)
    shown = disclosed_windows(compare_rates(3, 1.0, 1, 1.0), counts)
    assert shown[["count", "exposure", "rate"]].values.tolist() == [["*", 1.0, "*"], ["*", 1.0, "*"]]


# -- ITS -----------------------------------------------------------------------------------------
def test_its_segment_means_and_cumulative_total_are_controlled(runs):
    run_dir, _ = runs["its"]
    report = (run_dir / "report.html").read_text()
    # exact segment totals are 88 and 54 over 24 months (means 3.67 and 2.25): shown from the
    # rounded totals 90 and 55, so mean x periods is a multiple of 5
    assert not re.search(r"<td>\s*(3\.67|2\.25)\d*\s*</td>", report)
    # the figure's text data would give the exact totals back as sums of the fitted line: the
    # model curves are drawn but their values withheld; the observed points are the rounded ones
    assert re.search(r"line 'fitted': values withheld \(disclosure control", report)
    assert re.search(r"band: values withheld", report) and "3.674" not in report
    assert re.search(r"before 2021-01\s*</td>.*?<td>3\.75</td>", report, flags=re.S)
    assert "54.00" not in report
    results = json.loads((run_dir / "results.json").read_text())["its"]
    cumulative = results["effects"]["2021-01"]["cumulative"]
    assert {row["fitted"] for row in cumulative} == {55}
    assert "54.0000" not in all_text(runs["its"])
    assert "No table in this report holds counts" not in report
    assert "figures of counts plot the rounded values and leave suppressed months undrawn" in report


def _its(rule: dict[str, Any] | None = None) -> tuple[Any, pd.DataFrame, ITSParams]:
    params = ITSParams.model_validate({**ITS_COUNT, **({"disclosure": rule} if rule else {})})
    frame = load(SERIES, "monthly_series")
    rows = (frame["unit"] == "Croydon") & (frame["measure"] == "croydon_placements")
    series = frame[rows].reset_index(drop=True)
    return fit_its(series, **its_report.fit_arguments(params)), series, params


def _scatter_y(fig: Any) -> list[np.ndarray]:
    return [np.ma.compressed(c.get_offsets()[:, 1]) for c in fig.axes[0].collections
            if isinstance(c, PathCollection)]


def test_its_fit_plot_draws_no_count_in_the_suppressed_range():
    result, series, params = _its()
    observed, marks = _scatter_y(its_report.fit_plot(result, series, params))
    assert set(observed) == {0.0}  # every month of 1-7 is undrawn; only the zero months are shown
    small = int(series["value"].between(1, 7).sum())
    assert small == 42 and len(marks) == small and set(marks) == {0.02}  # axes units, not values
    # rounding to 10 and suppressing 1-3 only: 4-7 are drawn as 0 or 10, never as themselves
    result, series, params = _its({"suppress_max": 3, "rounding_base": 10})
    observed, _ = _scatter_y(its_report.fit_plot(result, series, params))
    assert set(observed) <= {0.0, 10.0} and 10.0 in set(observed)
    # without control the raw counts 1-7 are drawn: the test can fail
    (raw,) = _scatter_y(result.plot())
    assert set(range(1, 8)) <= set(raw)


def test_prepost_series_plot_draws_no_count_in_the_suppressed_range():
    params = PrepostParams.model_validate(PREPOST_COUNT)
    fig = prepost_report.series_plot(load(SERIES, "monthly_series"), params)
    values = np.asarray(fig.axes[0].lines[0].get_ydata(), dtype=float)
    assert not np.isin(np.arange(1, 8), values).any()
    assert set(values[~np.isnan(values)]) <= {0.0}


def test_quality_bars_and_tables_hide_small_counts(runs):
    run_dir, _ = runs["quality"]
    profile = quality.profile_file(PLACEMENTS, "placements", date_column="start_date",
                                   coverage_column="home_borough_code")
    rule = DisclosureRule()
    fig = profile.plot(rule)
    heights = [p.get_height() for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    assert not set(heights) & set(range(1, 8))
    assert set(profile.by_month["records"]) & set(range(1, 8))  # the raw bars would show them
    results = json.loads((run_dir / "results.json").read_text())["data_quality"]
    hidden = [row for row in results["coverage"] if row["records"] == "*"]
    assert hidden and all(row["percent"] == "*" for row in hidden)
    # every exact coverage count of 1-7 and its exact percent of 60 records is absent
    text = all_text(runs["quality"])
    for count in sorted(set(profile.coverage["records"]) & set(range(1, 8))):
        assert not re.search(r"(?<![\d.])" + re.escape(f"{100 * count / 60:.1f}") + r"(?!\d)", text), count
        assert f'"records": {count},' not in text


# -- a rule that suppresses nothing --------------------------------------------------------------
@pytest.mark.parametrize("rule", [{"suppress_min": 0, "suppress_max": 0, "rounding_base": 1},
                                  {"suppress_min": 0, "suppress_max": 0, "rounding_base": 5}])
def test_a_rule_that_suppresses_nothing_is_switched_off_and_warned_about(rule):
    off = DisclosureRule(**rule)
    assert not off.in_effect
    assert disclosure_note(off, []) == (
        "**Disclosure control was switched off** by the parameters `disclosure.suppress_min: 0, "
        "suppress_max: 0`, a rule that suppresses no count. Small counts in this report are not "
        "protected: it must not be published or shared outside the organisation that holds the data.")
    table = apply_disclosure(pd.DataFrame({"n": [3, 12]}), ["n"], rule=off)
    assert table.frame["n"].tolist() == [3, 12] and table.to_dict()["applied"] is False
    assert table.note.startswith("Disclosure control was switched off explicitly by the parameters")


def test_a_rule_that_suppresses_nothing_is_warned_about_in_the_run(tmp_path):
    run_dir, _ = run_params(tmp_path, "noop", {**PREPOST_COUNT, "disclosure":
                                                {"suppress_min": 0, "suppress_max": 0, "rounding_base": 1}})
    report = (run_dir / "report.html").read_text()
    assert "Disclosure control was switched off" in report
    assert "OFF (disclosure.apply: false, or a rule that suppresses no count)" in report
    assert json.loads((run_dir / "results.json").read_text())["disclosure"]["applied"] is False


# -- exact values only where asked, and named as not for release ----------------------------------
def test_keep_exact_writes_a_not_for_release_file_and_nothing_else_changes(tmp_path, runs):
    assert not (runs["count"][0] / RESTRICTED_DIR).exists()
    run_dir, _ = run_params(tmp_path, "exact", {**PREPOST_COUNT, "disclosure": {"keep_exact": True}})
    exact = json.loads((run_dir / RESTRICTED_DIR / RESTRICTED_FILE).read_text())
    assert exact["NOT_FOR_RELEASE"].startswith("Exact values before disclosure control")
    assert (exact["prepost"]["count1"], exact["prepost"]["count2"]) == (3, 1)
    assert json.loads((run_dir / "results.json").read_text())["prepost"]["count1"] == "*"
    assert f"{RESTRICTED_DIR}/{RESTRICTED_FILE}" in (run_dir / "report.html").read_text()


def test_by_year_protects_a_small_number_of_incomplete_records():
    rule = DisclosureRule(rounding_base=1)
    by_month = pd.DataFrame({"month": pd.period_range("2012-01", periods=2, freq="M"), "records": [30, 30],
                             "complete_records": [30, 27], "percent_complete": [100.0, 90.0]})
    profile = QualityProfile(Path("f.csv"), "placements", 60, pd.DataFrame(), by_month, pd.DataFrame(),
                             pd.DataFrame(), None, "start_date")
    counts = ["records", "complete_records", "incomplete_records"]
    table = apply_disclosure(profile.by_year(rule), counts, rule=rule,
                             derived={"percent_complete": counts}).frame
    # 60 records, 57 complete: the 3 incomplete would follow from 60 - 57 (and from 95.0%)
    assert table[[*counts, "percent_complete"]].values.tolist() == [[60, "*", "*", "*"]]


def test_its_fit_plot_controls_the_comparison_units_mean():
    """The comparison units' mean is drawn as the controlled total over the units, so a mean times
    its number of units gives only a rounded total back; their fitted line's values are withheld
    from the figure's text data like the treated series' model curves."""
    frame = load(SERIES, "monthly_series")
    base = frame[(frame["unit"] == "Croydon") & (frame["measure"] == "croydon_placements")]
    late = (base["period"] >= "2020-07").to_numpy()
    series = pd.concat([base, base.assign(unit="Sutton", value=base["value"] % 4),
                        base.assign(unit="Merton", value=np.where(late, base["value"] + 20,
                                                                  base["value"] % 3))],
                       ignore_index=True)
    params = ITSParams.model_validate({**ITS_COUNT, "filters": {"measure": "croydon_placements"},
                                       "group": "unit", "treated": "Croydon"})
    result = fit_its(series, **its_report.fit_arguments(params))

    def comparison_totals(fig: Any) -> np.ndarray:
        (points,) = [c for c in fig.axes[0].collections if isinstance(c, PathCollection)
                     and c.get_label() == "comparison units (mean)"]
        return np.ma.compressed(points.get_offsets()[:, 1]) * 2  # two comparison units

    raw = comparison_totals(result.plot())
    assert set(range(1, 8)) & set(np.round(raw, 9))  # without control small totals are drawn
    fig = its_report.fit_plot(result, series, params)
    shown = comparison_totals(fig)
    assert len(shown) >= 24 and np.allclose(np.round(shown / 5) * 5, shown)
    assert not set(range(1, 8)) & set(np.round(shown, 9))
    text = figure_data(fig)
    assert text.count("values withheld") >= 4  # fitted, counterfactual and comparison fit, bands
