"""The report layer: the parameters check, tables, disclosure, figures, limitations, results.json."""

import json
import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from slp_eval.errors import DataValidationError, DisclosureError, ParameterError
from slp_eval.its import fit_its
from slp_eval.params import load_params
from slp_eval.report import Table, format_number, format_p, quality, start
from slp_eval.report import its as its_report
from slp_eval.report.disclose import disclosure_note
from slp_eval.report.figures import MAX_WIDTH_IN, png_bytes

ROOT = Path(__file__).resolve().parent.parent
SYNTHETIC = ROOT / "data" / "synthetic"


def its_params(**changes: object) -> dict:
    params = {
        "analysis": "its",
        "title": "Test",
        "data": {"path": str(SYNTHETIC / "monthly_series.csv"), "dataset": "monthly_series"},
        "filters": {"unit": "SLP", "measure": "ccp_in_south_london"},
        "outcome": "percent",
        "time": "period",
        "interruptions": ["2018-04"],
    }
    params.update(changes)
    return params


# -- numbers at a fixed precision ---------------------------------------------------------------
@pytest.mark.parametrize(("value", "digits", "text"), [
    (1234.5678, 2, "1,234.57"), (-0.0004, 3, "0.000"), (np.int64(1102), 3, "1,102"),
    (float("nan"), 3, ""), (None, 2, ""), ("SLP", 2, "SLP"), (0.125, 1, "0.1"),
])
def test_format_number(value: object, digits: int, text: str) -> None:
    assert format_number(value, digits) == text


def test_format_p() -> None:
    assert [format_p(p) for p in (0.04999, 0.0004, 1.0, None)] == ["0.050", "<0.001", "1.000", ""]


def test_table_renders_empty_and_escapes_html() -> None:
    assert Table(pd.DataFrame(), caption="Published").__repr__() == "Published\nNone."
    html = Table(pd.DataFrame({"a": ["<b>"]}), caption="x & y")._repr_html_()
    assert "&lt;b&gt;" in html and "x &amp; y" in html


# -- the parameters check stops with one paragraph ----------------------------------------------
def test_wrong_type_stops_with_the_field_and_a_short_traceback() -> None:
    with pytest.raises(ParameterError) as caught:
        start(its_params(maxlags="2"), None, kind="its")
    assert str(caught.value) == (
        "notebook parameters: 1 problem\n  - maxlags: expected a valid integer; found '2' (str)"
    )
    lines = caught.value._render_traceback_()
    assert lines[0] == (
        "ParameterError: the notebook stopped at the parameters check; nothing after it has run.")
    assert lines[-1].startswith("Fix the parameter file")
    assert len(lines) == 4


def test_missing_data_file_stops(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.csv"
    with pytest.raises(ParameterError, match=re.escape(f"data.path: file not found: {missing}")):
        start(its_params(data={"path": str(missing), "dataset": "monthly_series"}), None, kind="its")


def test_data_failing_the_dictionary_stops_with_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "monthly.csv"
    text = (SYNTHETIC / "monthly_series.csv").read_text().splitlines()
    text[1] = text[1].replace("2015-01", "2015-13")
    bad.write_text("\n".join(text) + "\n")
    with pytest.raises(DataValidationError) as caught:
        start(its_params(data={"path": str(bad), "dataset": "monthly_series"}), None, kind="its")
    assert "row 1, column 'period', value '2015-13': not a month in YYYY-MM form" in str(caught.value)
    assert caught.value._render_traceback_()[0].startswith("DataValidationError: the notebook stopped")


def test_wrong_kind_for_the_notebook() -> None:
    with pytest.raises(ParameterError, match=re.escape(
        "notebook parameters: this notebook runs analysis 'data_quality'; params has analysis 'its'"
    )):
        start(its_params(), None, kind="data_quality")


def test_output_dir_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match=re.escape(f"output_dir: {tmp_path / 'no'} is not an existing")):
        start(its_params(), tmp_path / "no", kind="its")


# -- tables: identifying columns refused, disclosure control applied ----------------------------
def test_identifying_columns_never_reach_a_table() -> None:
    report = start({"analysis": "data_quality", "title": "t",
                    "data": {"path": str(SYNTHETIC / "placements.csv"), "dataset": "placements"}},
                   None, kind="data_quality", validate_data=False)
    # data quality keeps the validation report; an ITS-style load keeps the frame's attrs
    loaded = start(its_params(), None, kind="its")
    loaded.data["data"].attrs["identifying_columns"] = ["patient_id"]
    with pytest.raises(DisclosureError, match="'patient_id'"):
        loaded.table(pd.DataFrame({"patient_id": ["SYN-C00001"], "n": [12]}), name="x")
    assert report.synthetic


def test_counts_are_suppressed_and_rounded_and_recorded(capsys: pytest.CaptureFixture[str]) -> None:
    report = start(its_params(), None, kind="its")
    frame = pd.DataFrame({"borough": ["Bexley", "Bromley", "Croydon"], "people": [3, 121, 44]})
    report.table(frame, name="people", counts=["people"])
    shown = capsys.readouterr().out
    # 3 is suppressed; 44 too (secondary), or 3 = total - 121 - 44 could be worked out
    assert "Bexley      *" in shown and "Bromley    120" in shown and "Croydon      *" in shown
    record = report.disclosure_record()
    assert record["suppressed_cells"] == 2 and record["tables"][0]["table"] == "people"
    assert record["tables"][0]["primary_suppressed"] == [{"row": "0", "column": "people"}]
    assert record["tables"][0]["secondary_suppressed"] == [{"row": "2", "column": "people"}]


def test_disclosure_off_is_explicit(capsys: pytest.CaptureFixture[str]) -> None:
    report = start(its_params(disclosure={"apply": False}), None, kind="its")
    report.table(pd.DataFrame({"people": [3]}), name="t", counts=["people"])
    out = capsys.readouterr().out
    assert "people\n     3\n" in out and "switched off explicitly" in out
    assert disclosure_note(report.params.disclosure, report.disclosed).startswith(
        "**Disclosure control was switched off** by the parameter `disclosure.apply: false`.")


# -- figures and results.json -------------------------------------------------------------------
def test_figure_is_saved_narrowed_to_a4_and_closed(tmp_path: Path) -> None:
    report = start(its_params(), tmp_path, kind="its")
    fig, ax = plt.subplots(figsize=(12, 4))
    ax.plot([0, 1], [0, 1])
    report.figure(fig, "line")
    png = tmp_path / "figures" / "line.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not plt.fignum_exists(fig.number)
    assert report.figures == ["figures/line.png"]
    fig2, ax2 = plt.subplots(figsize=(12, 4))
    ax2.plot([0, 1], [0, 1])
    png_bytes(fig2)
    assert fig2.get_figwidth() == MAX_WIDTH_IN
    plt.close(fig2)


def test_results_written_only_with_an_output_dir(tmp_path: Path) -> None:
    params = its_params()
    report = start(params, tmp_path, kind="its")
    series = its_report.series(report)
    result = fit_its(series, **its_report.fit_arguments(report.params))
    report.write_results(result.to_frame(), its=its_report.results_block(result))
    document = json.loads((tmp_path / "results.json").read_text())
    assert document["synthetic"] is True and document["analysis"] == "its"
    assert document["disclosure"]["applied"] is True
    assert document["its"]["interruptions"] == ["2018-04"]
    assert [row["term"] for row in document["estimates"]][:3] == [
        "intercept", "trend", "level_change[2018-04]"]
    quiet = start(params, None, kind="its")
    quiet.write_results(result.to_frame())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figures", "results.json"]


# -- ITS helpers --------------------------------------------------------------------------------
def test_its_series_recovers_the_synthetic_share() -> None:
    report = start(its_params(), None, kind="its")
    series = its_report.series(report)
    raw = pd.read_csv(SYNTHETIC / "monthly_series.csv")
    raw = raw[(raw["unit"] == "SLP") & (raw["measure"] == "ccp_in_south_london")]
    assert len(series) == len(raw) == 120
    assert series["percent"].to_numpy() == pytest.approx(100 * raw["numerator"] / raw["denominator"])


def test_its_limitations_flag_a_short_pre_period_and_an_assumed_denominator() -> None:
    report = start(its_params(), None, kind="its")
    series = its_report.series(report)
    short = series[series["period"] >= pd.Period("2017-10", "M")].reset_index(drop=True)
    result = fit_its(short, **its_report.fit_arguments(report.params))
    items = its_report.limitations(result, result.diagnostics(nlags=4), report.params, short)
    assert items[0] == ("Only 6 points before the interruption at 2018-04 (fewer than 8): the "
                        "pre-programme trend, and so the counterfactual, is poorly determined.")
    assert ("The denominator is 450 in every period: if that is an assumed size rather than a count "
            "made each period, the percent is only as right as the assumption.") in items


def test_its_effects_sum_counts_but_not_shares() -> None:
    report = start(its_params(), None, kind="its")
    series = its_report.series(report)
    share = fit_its(series, **its_report.fit_arguments(report.params))
    table = its_report.effects(share, [0, 12, 500])
    # a share summed over months means nothing: the last period (2024-12, 80 months on) instead;
    # the 81 post months outrun the 39 pre months, so also the last of the first 39 (h = 38)
    assert table["when"].tolist() == ["0 periods after"] * 2 + ["12 periods after"] * 2 + [
        "38 periods after"] * 2 + ["80 periods after"] * 2
    assert table["period"].tolist()[-1] == "2024-12"
    counts = series.assign(placed=series["numerator"].round().astype(int))
    rates = fit_its(counts, outcome="placed", time="period", interruptions=["2018-04"],
                    family="quasipoisson", errors="ols")
    table = its_report.effects(rates, [0, 12])
    assert table["when"].tolist()[-2:] == ["cumulative", "cumulative"]
    assert table["period"].tolist()[-1] == "2018-04 to 2024-12"
    total = rates.cumulative_effect().set_index("term").loc["absolute_effect", "estimate"]
    assert table["estimate"].iloc[-2] == pytest.approx(total)


def test_its_published_comparison_for_prop99() -> None:
    params = load_params(ROOT / "params" / "reference_prop99.yaml")
    frame = pd.read_csv(params.data.path)
    result = fit_its(frame, **its_report.fit_arguments(params))
    table = its_report.published_comparison(result, params)
    assert table["term"].tolist() == ["intercept", "trend", "level_change[1989]", "trend_change[1989]"]
    # Linden's printed itsa numbers (7 significant digits) against ours
    assert table["difference"].abs().max() < 5e-5


def test_autocorrelation_limitation_names_the_test_and_the_fix() -> None:
    rng = np.random.default_rng(1)
    e = np.zeros(60)
    for t in range(1, 60):
        e[t] = 0.8 * e[t - 1] + rng.normal()
    frame = pd.DataFrame({"t": np.arange(60), "y": 10 + 0.1 * np.arange(60) + e})
    params = load_params(ROOT / "params" / "reference_prop99.yaml").model_copy(
        update={"outcome": "y", "time": "t", "interruptions": [30], "errors": "ols", "maxlags": None})
    result = fit_its(frame, **its_report.fit_arguments(params))
    items = its_report.limitations(result, result.diagnostics(), params, frame)
    assert any(item.startswith("Autocorrelation remains in the residuals (Breusch-Godfrey test up to lag")
               and item.endswith("the standard errors assume independent errors, so the intervals are "
                                 "too narrow; refit with errors: ar (REML AR(1) errors with the "
                                 "Kenward-Roger correction, which covered 93-96% in the coverage study "
                                 "against 43-97% for independent errors, docs/its_validation.md, "
                                 "section 4).") for item in items)


def test_autocorrelated_counts_are_told_the_best_option_the_coverage_study_found() -> None:
    # the CAMHS quasi-Poisson analysis with model-based SEs: its residuals are autocorrelated
    # (Breusch-Godfrey p < 0.05); the shipped parameter file takes the advice (newey-west)
    params = load_params(ROOT / "params" / "camhs_out_of_area_bed_days.yaml")
    assert params.errors == "newey-west"
    report = start(params.model_dump(mode="json") | {"data": {"path": str(params.data.path),
                                                              "dataset": params.data.dataset},
                                                     "errors": "ols"},
                   None, kind="its")
    series = its_report.series(report)
    result = fit_its(series, **its_report.fit_arguments(report.params))
    diagnostics = result.diagnostics()
    tests = diagnostics.tests.set_index("test")
    p = float(tests.loc["breusch_godfrey", "p_value"])
    assert p < 0.05
    items = its_report.limitations(result, diagnostics, report.params, series)
    assert (f"Autocorrelation remains in the residuals (Breusch-Godfrey test up to lag 12, p = {p:.3f}); "
            "the standard errors assume independent errors, so the intervals are too narrow; refit as "
            "quasipoisson or negbin with errors: newey-west, the best option for counts in the coverage "
            "study (docs/its_validation.md, section 4: 90-94% coverage of 95% intervals at AR(1) 0.2 and "
            "only 79-87% at 0.5, against 59-82% for Poisson with independent errors), and read the "
            "intervals as too narrow even then.") in items


# -- the data-quality profile -------------------------------------------------------------------
def test_quality_profile_counts_invalid_values_and_missing_coverage(tmp_path: Path) -> None:
    source = (SYNTHETIC / "placements.csv").read_text().splitlines()
    header, rows = source[0], source[1:201]
    rows = [r for r in rows if ",E09000029," not in r]  # no home borough Sutton at all
    rows[4] = rows[4].replace(",nhs,", ",private,")  # funding outside its vocabulary
    rows[9] = rows[9].replace(",ccp,", ",,")  # required programme missing
    path = tmp_path / "placements.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    profile = quality.profile_file(path, "placements", date_column="start_date",
                                   coverage_column="home_borough_code")
    fields = profile.fields.set_index("column")
    assert fields.loc["programme", "missing"] == 1
    assert fields.loc["funding", "invalid"] == 1
    assert profile.rows == len(rows)
    coverage = profile.coverage.set_index("label")
    assert coverage.loc["Sutton", "records"] == 0 and coverage["records"].sum() == len(rows)
    assert int(profile.by_month["records"].sum()) == len(rows)
    items = quality.limitations(profile)
    assert f"Required field `programme` is missing in {100 / len(rows):.1f}% of records." in items
    assert "No record for 1 code(s) of `home_borough_code`: Sutton." in items


def test_quality_profile_refuses_an_unknown_column() -> None:
    with pytest.raises(ParameterError, match=re.escape(
        "coverage_column: 'borough' is not a field of dataset 'placements'")):
        quality.profile_file(SYNTHETIC / "placements.csv", "placements", coverage_column="borough")


# -- pre/post, scorecard and power helpers ------------------------------------------------------
def test_prepost_windows_are_the_counts_compared() -> None:
    from slp_eval.prepost import compare_periods
    from slp_eval.report import prepost as prepost_report

    params = {"analysis": "prepost", "title": "t",
              "data": {"path": str(SYNTHETIC / "monthly_series.csv"), "dataset": "monthly_series"},
              "unit": "SLP", "measure": "ccp_in_south_london",
              "before": {"start": "2017-04", "end": "2018-03"},
              "after": {"start": "2023-04", "end": "2024-03"}}
    report = start(params, None, kind="prepost")
    comparison = compare_periods(report.data["data"], **report.params.comparison_kwargs())
    table = prepost_report.windows(comparison, report.params)
    raw = pd.read_csv(SYNTHETIC / "monthly_series.csv")
    last = raw[(raw["measure"] == "ccp_in_south_london") & raw["period"].isin(["2018-03", "2024-03"])]
    assert table["people"].tolist() == last["numerator"].astype(int).tolist()  # the window's last month
    assert table["out of"].tolist() == last["denominator"].astype(int).tolist()
    assert table["months"].tolist() == ["2017-04 to 2018-03", "2023-04 to 2024-03"]
    assert prepost_report.count_columns(comparison) == ["people", "others", "out of"]


def test_scorecard_limitations_count_untestable_and_assumed_claims() -> None:
    from slp_eval.report import scorecard as scorecard_report
    from slp_eval.report.scorecard import build

    scorecard = build(load_params(ROOT / "params" / "slp_headline_claims.yaml"))
    frame = scorecard.to_frame()
    items = scorecard_report.limitations(scorecard)
    untestable = int(frame["p_value"].isna().sum())
    assert any(item.startswith(f"{untestable} of {len(frame)} claims cannot be tested") for item in items)
    table = scorecard_report.claims_table(scorecard)
    assert len(table) == len(frame) - untestable and table["claim"].str[0].str.isupper().all()
    needs = scorecard_report.untestable_table(scorecard)["what a test needs"]
    assert len(needs) == untestable and not needs.str.startswith("cannot be tested").any()


def test_power_conclusion_picks_the_shortest_design_reaching_80_percent() -> None:
    from slp_eval.power import PowerResult
    from slp_eval.report import power as power_report

    replicates = pd.DataFrame({
        "design": [0] * 10 + [1] * 10, "term": "level_change",
        "p_value": [0.01] * 7 + [0.5] * 3 + [0.01] * 9 + [0.5], "estimate": 1.0})
    designs = pd.DataFrame({"n_pre": [12, 24], "n_post": [12, 24], "level_change": [2.0, 2.0],
                            "trend_change": [0.0, 0.0]})
    result = PowerResult({"alpha": 0.05, "n_sim": 10, "rho": 0.0, "sigma": 1.0}, designs, replicates)
    assert power_report.conclusion(result) == (
        "The shortest design simulated with at least 80% power to detect a level change of 2 is 24 "
        "periods before and 24 after the interruption: 90.0% (Monte Carlo SE 9.5 points).")


def test_small_figure_text_is_raised_to_the_minimum_font() -> None:
    from slp_eval.report.figures import MIN_FONT_PT

    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot([0, 1], [0, 1], label="line")
    ax.legend(fontsize=5)
    ax.tick_params(labelsize=6)
    png_bytes(fig)  # draws the figure, so the tick labels below are the ones drawn
    sizes = [t.get_fontsize() for t in fig.findobj(plt.Text) if t.get_text()]
    assert sizes and min(sizes) == MIN_FONT_PT
    plt.close(fig)


def test_answer_box_is_escaped_and_recorded(capsys: pytest.CaptureFixture[str]) -> None:
    from slp_eval.report.session import AnswerBox

    report = start(its_params(), None, kind="its")
    verdict = "Placements in south London rose <script>x</script>."
    effect = "42.0 percentage points (95% CI 35.1 to 48.9)"
    report.answer(verdict, effect=effect)
    assert capsys.readouterr().out == f"Answer: {verdict}\nEffect: {effect}\n"
    assert report.answer_record == {"verdict": verdict, "effect": effect}
    box = AnswerBox(verdict, effect, "Synthetic data.")._repr_html_()
    assert box.startswith('<div id="answer"') and "&lt;script&gt;" in box and "<script>" not in box
    assert effect in box and "<strong>Main caveat.</strong> Synthetic data." in box
