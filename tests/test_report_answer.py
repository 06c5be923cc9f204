"""The ITS and power reports answer first: the answer box's strings against numbers computed here
from the fit's own frames (not from the string code), the caveat's priority, plain term labels,
units, counts without decimals, legible figures, and the rendered order of report.html."""

import json
import math
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from slp_eval.its import fit_its
from slp_eval.params import load_params
from slp_eval.params.its import ITSParams
from slp_eval.power import its_power
from slp_eval.report import its as its_report
from slp_eval.report import power as power_report
from slp_eval.report.figures import MIN_FONT_PT, figure_data, png_bytes
from slp_eval.report.session import Report, start
from slp_eval.runner import RunResult, run

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")


def _report(name: str) -> Report:
    params = load_params(ROOT / "params" / f"{name}.yaml")
    return start(params.model_dump(mode="json"), None, kind="its")


@pytest.fixture(scope="module")
def ccp() -> tuple[Report, pd.DataFrame, object]:
    report = _report("ccp_in_south_london")
    series = its_report.series(report)
    return report, series, fit_its(series, **its_report.fit_arguments(report.params))


@pytest.fixture(scope="module")
def camhs() -> tuple[Report, pd.DataFrame, object]:
    report = _report("camhs_out_of_area_bed_days")
    series = its_report.series(report)
    return report, series, fit_its(series, **its_report.fit_arguments(report.params))


# -- the answer box's strings -------------------------------------------------------------------
def test_its_answer_for_a_share_quotes_the_last_period_effect_in_percentage_points(ccp) -> None:
    report, series, result = ccp
    answer = its_report.answer(result, report.params, series, [], synthetic=True)
    coef = result.coefficients["estimate"]
    cf = result.counterfactual()
    h = int(cf["t"].max()) - result.interruptions[0].position
    # identity link, level+trend: fitted minus counterfactual h periods on is b2 + h * b3
    estimate = coef["level_change[2018-04]"] + h * coef["trend_change[2018-04]"]
    assert estimate == pytest.approx(cf["fitted"].iloc[-1] - cf["counterfactual"].iloc[-1])
    low, high = result.effect_at(h).set_index("term").loc["absolute_effect", ["ci_low", "ci_high"]]
    assert low > 0  # the synthetic programme raised the share
    assert answer["effect"] == (
        f"+{estimate:.2f} percentage points against the counterfactual at 2024-12, {h} months after "
        f"2018-04 (95% CI {low:.2f} to {high:.2f}).")
    assert answer["verdict"] == (
        "After 2018-04 (Complex Care Programme starts), the percentage of the cohort placed in south "
        "London rose above what its earlier trend predicts, by more than chance alone would explain.")
    # nothing flagged: synthetic data is the caveat of last resort
    assert answer["caveat"] == its_report.SYNTHETIC_CAVEAT


def test_its_answer_for_counts_sums_whole_bed_days_and_names_the_autocorrelation(camhs) -> None:
    report, series, result = camhs
    diagnostics, placebo, breaks = its_report.checks(result, series, report.params)
    findings = its_report.findings(result, report.params, series, diagnostics, placebo, breaks)
    answer = its_report.answer(result, report.params, series, findings, synthetic=True)
    cf = result.counterfactual()
    post = cf["t"] >= result.interruptions[0].position
    total = float((cf["fitted"] - cf["counterfactual"])[post].sum())
    assert total < -1000
    shown = f"-{abs(round(total)):,}"
    assert answer["effect"].startswith(f"{shown} bed days against the counterfactual in total over the "
                                       f"{int(post.sum())} months from 2017-04 to 2024-12 (95% CI -")
    assert not re.search(r"\d\.\d", answer["effect"]), "bed days are whole"
    assert answer["verdict"].startswith("After 2017-04 (CAMHS new care model starts), out-of-area CAMHS "
                                        "bed days fell below what its earlier trend predicts")
    bg = diagnostics.tests.set_index("test").loc["breusch_godfrey", "p_value"]
    assert bg < report.params.alpha  # so the intervals are the caveat that matters most
    assert answer["caveat"].startswith("Autocorrelation remains in the residuals (Breusch-Godfrey test "
                                       f"up to lag 12, p = {bg:.3f}); Newey-West")
    # the effects table prints the same number the same way, and no counterfactual total beside it
    table = its_report.effects_table(result, report.params.effect_horizons, report.params, series)
    last = table.iloc[-1]
    assert last["when"] == "cumulative" and last["effect (bed days)"] == shown
    assert last["counterfactual (bed days)"] == "withheld"
    assert not table["effect (bed days)"].str.contains(r"\.").any()


def test_its_answer_when_the_interval_includes_no_change() -> None:
    rng = np.random.default_rng(1)
    periods = pd.period_range("2016-01", periods=48, freq="M").astype(str)
    series = pd.DataFrame({"period": periods, "y": 50 + rng.normal(0, 2, 48)})
    params = ITSParams.model_validate({
        "analysis": "its", "title": "t", "outcome": "y",
        "data": {"path": str(ROOT / "data" / "synthetic" / "monthly_series.csv")},
        "outcome_label": "the waiting time", "outcome_unit": "days", "time": "period",
        "interruptions": ["2018-01"], "interruption_labels": ["new triage"], "errors": "ols"})
    result = fit_its(series, **its_report.fit_arguments(params))
    row = result.effect_at(23).set_index("term").loc["absolute_effect"]
    assert row["ci_low"] < 0 < row["ci_high"]
    answer = its_report.answer(result, params, series, [])
    assert answer["verdict"] == ("The data do not show a change in the waiting time after 2018-01 (new "
                                 "triage): the 95% interval of the effect includes no change.")
    assert f"{row['estimate']:+.2f} days against" in answer["effect"]
    assert answer["caveat"] is None


def test_main_caveat_follows_the_documented_priority() -> None:
    extrapolation = "The post-programme period (80 months) is longer than the pre-programme period. More."
    comparison = "There is no comparison series: anything else is attributed to the programme."
    autocorrelation = ("Autocorrelation remains in the residuals (Breusch-Godfrey test up to lag 12, "
                       "p < 0.001); refit.")
    assert its_report.main_caveat([comparison, extrapolation]) == (
        "The post-programme period (80 months) is longer than the pre-programme period.")
    assert its_report.main_caveat([comparison, extrapolation, autocorrelation]) == autocorrelation
    assert its_report.main_caveat([comparison]) == comparison
    assert its_report.main_caveat(["Something new."]) is None
    assert its_report.main_caveat([], synthetic=True) == its_report.SYNTHETIC_CAVEAT
    advice = " ".join(["word"] * its_report.CAVEAT_WORDS)
    long = f"Autocorrelation remains (p = 0.014); the intervals are too narrow; refit as {advice}. Next."
    assert its_report.main_caveat([long]) == (
        "Autocorrelation remains (p = 0.014); the intervals are too narrow.")


def test_every_limitation_of_the_shipped_examples_has_a_caveat_kind(camhs, ccp) -> None:
    openings = tuple(o for _, kind in its_report.CAVEAT_PRIORITY for o in kind)
    for report, series, result in (camhs, ccp):
        diagnostics, placebo, breaks = its_report.checks(result, series, report.params)
        items = its_report.findings(result, report.params, series, diagnostics, placebo, breaks)
        assert items and all(item.startswith(openings) for item in items), items


def test_power_answer_quotes_the_shortest_design_reaching_80_percent() -> None:
    params = load_params(ROOT / "params" / "power_its_monthly.yaml")
    result = its_power(**power_report.arguments(params))
    frame = result.to_frame()
    level = frame[frame["term"] == "level_change"].assign(total=lambda f: f["n_pre"] + f["n_post"])
    best = level[level["power"] >= 0.8].sort_values(["total", "n_pre"]).iloc[0]
    p, n = best["power"], best["n_sim"]
    se = math.sqrt(p * (1 - p) / n)
    answer = power_report.answer(result, params)
    design = f"{best['n_pre']} periods before and {best['n_post']} after the interruption"
    assert answer["verdict"] == (f"{design} are enough: the shortest design simulated with at least 80% "
                                 "power to detect a level change of 5 percentage points.")
    assert answer["effect"] == (f"Power {100 * p:.1f}% (95% Monte Carlo interval "
                                f"{100 * (p - 1.96 * se):.1f}% to {100 * (p + 1.96 * se):.1f}%) with "
                                f"{design}, at alpha = 0.05.")
    straddles = p - 1.96 * se < 0.8 <= p + 1.96 * se
    assert answer["caveat"].startswith("The Monte Carlo interval includes" if straddles
                                       else "The power rests on assumed noise")
    fig = power_report.power_plot(result, params)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "power to detect the level change (%)" and ax.get_ylim()[1] > 100
    assert {"target power 80%", "alpha 5% (size)"} <= {t.get_text() for t in ax.get_legend().get_texts()}
    assert max(max(bars.lines[0].get_ydata()) for bars in ax.containers) == pytest.approx(
        100 * level["power"].max())


def test_power_answer_when_no_design_reaches_the_target() -> None:
    params = load_params(ROOT / "params" / "power_its_monthly.yaml")
    result = its_power([12], [6], level_change=0.5, sigma=2.5, errors="ols", n_sim=30, seed=3)
    answer = power_report.answer(result, params)
    assert answer["verdict"].startswith("No design simulated reaches 80% power to detect a level change "
                                        "of 0.5 percentage points; the best is 12 periods before and 6")


# -- labels, units and figures ------------------------------------------------------------------
def test_report_terms_read_as_words_and_results_keep_code_names(ccp) -> None:
    report, _, result = ccp
    terms = its_report.estimates_frame(result, report.params)["term"].tolist()
    assert terms == ["Level at 2015-01 (intercept)", "Trend before 2018-04 (Complex Care Programme starts), "
                     "per month", "Change in level at 2018-04 (Complex Care Programme starts)",
                     "Change in trend at 2018-04 (Complex Care Programme starts), per month"]
    assert "level_change[2018-04]" in result.to_frame()["term"].tolist()


def test_figures_name_the_interruption_carry_units_and_stay_legible(ccp) -> None:
    report, series, result = ccp
    fit = its_report.fit_plot(result, series, report.params)
    texts = [t.get_text() for t in fit.axes[0].texts]
    assert "2018-04 (Complex Care Programme starts)" in texts
    assert fit.axes[0].get_ylabel() == "percent"
    effect = its_report.effect_plot(result, report.params, series)
    assert len(effect.axes) == 1  # a share: no cumulative panel
    assert effect.axes[0].get_ylabel() == "pointwise effect (percentage points)"
    placebo = its_report.placebo(series, report.params)
    fig = placebo.plot()
    for ax in fig.axes:
        assert 0 < len(ax.get_xticks()) <= 8 and ax.get_ylabel()
    for figure in (fit, effect, fig):
        png_bytes(figure)  # raises fonts below the floor, as saving does
        sizes = [t.get_fontsize() for ax in figure.axes for t in ax.get_xticklabels() + ax.texts]
        assert min(sizes) >= MIN_FONT_PT


def test_effect_figure_of_counts_under_control_shows_no_model_values(camhs) -> None:
    report, series, result = camhs
    fig = its_report.effect_plot(result, report.params, series)
    assert [ax.get_ylabel() for ax in fig.axes] == ["pointwise effect (bed days)",
                                                    "cumulative effect (bed days)"]
    data = figure_data(fig)
    cumulative = its_report.effect_path(result)["cumulative"].iloc[-1]
    assert f"{cumulative:.4g}" not in data and "values withheld" in data
    # what is left is the reference lines: zero effect and the interruption
    kept = [line for line in data.splitlines() if line.startswith("  ") and "withheld" not in line]
    assert all("horizontal line: y 0" in line or "vertical line" in line for line in kept), kept


# -- the rendered report ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def its_run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    result = run(ROOT / "params" / "ccp_in_south_london.yaml", out_root=tmp_path_factory.mktemp("out"))
    assert result.status == "succeeded", result.reason
    return result


def test_report_html_opens_with_the_answer_and_ends_with_the_appendix(its_run: RunResult) -> None:
    html = its_run.report.read_text()
    order = [html.index(marker) for marker in (
        "SYNTHETIC DATA", 'id="answer"', "<img", "Effect of the programme versus the counterfactual",
        "Segmented regression estimates", "Residual diagnostics", "Limitations", "Appendix",
        "Parameters of this run", "Data provenance")]
    assert order == sorted(order)
    # between the banner and the answer box there is nothing but markup
    between = html[html.index("SYNTHETIC DATA"):html.index('id="answer"')]
    assert not re.search(r">[^<\s][^<]*<", between.split("</div>", 1)[1])
    assert not re.search(r"\b0\.000\b", re.sub(r"<[^>]+>", " ", html)), "a p-value printed as 0.000"
    assert "level_change[" not in html.split("Data behind this figure")[0]
    document = json.loads((its_run.run_dir / "results.json").read_text())
    assert document["answer"]["verdict"].startswith("After 2018-04 (Complex Care Programme starts)")
    assert "level_change[2018-04]" in {row["term"] for row in document["estimates"]}


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
def test_answer_box_is_in_the_first_screen(its_run: RunResult) -> None:
    png = its_run.run_dir.parent / "first-screen.png"
    subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1280,1000", f"--screenshot={png}", its_run.report.as_uri()],
                   check=True, capture_output=True, timeout=120)
    pixels = np.asarray(Image.open(png).convert("RGB")).astype(int)
    # the answer box's border colour (#005eb8) outlines a box inside the first 1000 px
    border = np.abs(pixels - np.array([0x00, 0x5E, 0xB8])).sum(axis=2) < 40
    rows = np.flatnonzero(border.sum(axis=1) > 600)  # its top and bottom edges span the page
    assert len(rows) >= 2 and rows.max() < 1000 and rows.max() - rows.min() > 60


def test_comparison_series_terms_name_the_units_and_the_difference() -> None:
    report = _report("eip_its_slp_vs_rest_of_england")
    series = its_report.series(report)
    result = fit_its(series, **its_report.fit_arguments(report.params))
    labels = dict(zip(result.to_frame()["term"], its_report.estimates_frame(result, report.params)["term"],
                      strict=True))
    standard = "2016-04 (EIP access standard starts)"
    assert labels["trend"] == f"Comparison units: trend before {standard}, per month"
    assert labels["group:level_change[2016-04]"] == (
        f"Difference (SLP minus comparison): change in level at {standard}")
    assert labels["group"] == "Difference (SLP minus comparison): level at 2015-12"
