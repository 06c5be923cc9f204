"""Board-first reports (issue 11) for the pre/post, scorecard, SPC and data-quality kinds, run end
to end through `slp_eval.runner.run`: the answer box is the first element after the header, its
numbers are those of results.json and the tables (computed here independently), the scorecard's
claims carry verdict badges with words, units and labels are plain, and the parameters,
provenance and disclosure note come last, under "Appendix". The first-screen checks render the
report in headless Chromium at 1280 x 1000 (marked `browser`)."""

import html
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from slp_eval.report import quality
from slp_eval.report.spc import ASSURANCE_SHORT, VARIATION_SHORT
from slp_eval.runner import RunResult, run

ROOT = Path(__file__).resolve().parents[1]
SERIES = ROOT / "data" / "synthetic" / "monthly_series.csv"
CHROMIUM = Path("/usr/bin/chromium")
PREPOST = {
    "analysis": "prepost", "title": "Complex Care Programme: placed in south London",
    "question": "Was the share placed in south London higher after the programme started?",
    "data": {"path": str(SERIES), "dataset": "monthly_series"},
    "unit": "SLP", "measure": "ccp_in_south_london", "label": "share of the cohort placed in south London",
    "before": {"start": "2017-04", "end": "2018-03", "label": "year before the programme"},
    "after": {"start": "2023-04", "end": "2024-03", "label": "sixth programme year"},
}
PREPOST_COUNT = {**PREPOST, "measure": "forensic_out_of_area_placements",
                 "label": "forensic out-of-area placements"}


def run_file(tmp: Path, name: str, params: dict[str, Any] | None = None) -> RunResult:
    """Run params/<name>.yaml, or `params` written to a temporary <name>.yaml."""
    path = ROOT / "params" / f"{name}.yaml"
    if params is not None:
        path = tmp / f"{name}.yaml"
        path.write_text(yaml.safe_dump(params), encoding="utf-8")
    result = run(path, out_root=tmp / "out")
    assert result.status == "succeeded", result.reason
    return result


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, RunResult]:
    tmp = tmp_path_factory.mktemp("answer_first")
    return {
        "scorecard": run_file(tmp, "slp_headline_claims"),
        "prepost": run_file(tmp, "prepost_share", PREPOST),
        "prepost_count": run_file(tmp, "prepost_count", PREPOST_COUNT),
        "spc": run_file(tmp, "eip_two_week_standard"),
        "quality": run_file(tmp, "data_quality_placements"),
        "its_units": run_file(tmp, "workforce_nursing_by_trust"),
    }


def page(result: RunResult) -> str:
    return result.report.read_text(encoding="utf-8")


def results(result: RunResult) -> dict[str, Any]:
    return json.loads((result.run_dir / "results.json").read_text(encoding="utf-8"))


def text_of(fragment: str) -> str:
    """Visible text of an HTML fragment: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def answer_box(document: str) -> str:
    match = re.search(r'<div id="answer".*?</div>', document, flags=re.S)
    assert match, "no answer box"
    return match.group(0)


def body(document: str) -> str:
    """The report's content, without the page's own <style> and <head>."""
    main = document[document.index("<main"):]
    return re.sub(r"<style.*?</style>", "", main, flags=re.S)


@pytest.mark.parametrize("kind", ["scorecard", "prepost", "prepost_count", "spc", "quality", "its_units"])
def test_the_answer_comes_first_and_the_appendix_last(runs: dict[str, RunResult], kind: str) -> None:
    content = body(page(runs[kind]))
    answer_at = content.index('<div id="answer"')
    before = content[:answer_at]
    # only the header before it: the title, the question and (for synthetic data) the banner
    assert before.count("<h1") == 1 and "Question." in text_of(before)
    for element in ("<table", "<img", "<h2", "Parameters of this run"):
        assert element not in before, element
    # the main figure is the first figure after it, before any heading of the evidence
    assert content.index("<img", answer_at) < content.index("<h2", answer_at)
    # parameters, provenance and the disclosure note sit under the final "Appendix" heading
    appendix = content.index('id="Appendix"')
    headings = re.findall(r'<h2 id="([^"]+)"', content)
    assert headings[-1] == "Appendix"
    for text in ("Parameters of this run", "Disclosure control."):
        assert content.index(text) > appendix, text
    recorded = results(runs[kind])["answer"]
    assert set(recorded) == {"verdict", "effect", "caveat"}
    assert text_of(answer_box(content)) == text_of(
        f"{recorded['verdict']} {recorded['effect']} Main caveat. {recorded['caveat']}")
    # the main caveat is one of the report's own limitations
    limitations = content[content.index('id="Limitations"'):appendix]
    assert recorded["caveat"] in text_of(limitations)


# -- the scorecard -------------------------------------------------------------------------------
def test_scorecard_answer_counts_the_verdicts_of_results_json(runs: dict[str, RunResult]) -> None:
    claims = results(runs["scorecard"])["scorecard"]["claims"]
    verdicts = [c["verdict"] for c in claims]
    supported = verdicts.count("supported")
    unclear = verdicts.count("not distinguishable from no change")
    untestable = sum(v.startswith("cannot be tested") for v in verdicts)
    assert supported + unclear + untestable == len(claims) == 12
    verdict = results(runs["scorecard"])["answer"]["verdict"]
    assert verdict.startswith(f"{len(claims)} claims: {supported} supported, {unclear} not distinguishable "
                              f"from no change, {untestable} cannot be tested")
    # each tested claim's effect, in its units, with its interval
    effect = results(runs["scorecard"])["answer"]["effect"]
    for claim in claims:
        if claim["term"] == "difference":
            assert (f"{100 * claim['estimate']:+.1f} percentage points (95% CI "
                    f"{100 * claim['ci_low']:+.1f} to {100 * claim['ci_high']:+.1f})") in effect
        elif claim["term"] == "rate_ratio":
            assert (f"rate ratio {claim['estimate']:.2f} (95% CI {claim['ci_low']:.2f} to "
                    f"{claim['ci_high']:.2f})") in effect


def test_scorecard_claims_carry_badges_with_words_before_the_forest_plot(runs: dict[str, RunResult]) -> None:
    content = body(page(runs["scorecard"]))
    claims = results(runs["scorecard"])["scorecard"]["claims"]
    badges = re.findall(r'<span class="verdict-badge"[^>]*style="([^"]*)"[^>]*>(.*?)</span>', content)
    words = {"supported": "\u2713 Supported", "not distinguishable from no change":
             "= Not distinguishable from no change"}
    expected = [words.get(c["verdict"], "? Cannot be tested") for c in claims]
    assert [html.unescape(text) for _, text in badges] == expected
    assert all("background-color" in style for style, _ in badges)  # coloured, and words too
    assert content.index("verdict-badge") < content.index("<img")  # table above the forest plot
    # the dense bullets are gone from the page's opening (the details sit in the evidence)
    assert "<li>Share of the Complex Care Programme cohort placed in south London: supported" not in content
    # plain labels and units: no code names, no proportions on a 0-1 scale in the tables
    visible = text_of(content)
    for code in ("p_value", "rate_ratio", "ccp_in_south_london", "camhs_out_of_area_bed_days"):
        assert code not in visible, code
    assert visible.count("as quoted in the slp-eval brief") == 1
    assert re.search(r"\b0\.000\b", visible) is None
    sensitivity = visible[visible.index("Estimates and verdicts across"):visible.index("Limitations")]
    assert "denominator 100 Difference (percentage points) 42.0 29.1 to 52.9" in sensitivity
    assert "100.00" not in sensitivity  # a denominator is a count


# -- pre/post ------------------------------------------------------------------------------------
def test_prepost_effect_is_the_estimate_in_percentage_points(runs: dict[str, RunResult]) -> None:
    document = results(runs["prepost"])
    rows = {r["term"]: r for r in document["prepost"]["estimates"]}
    difference = rows["difference"]
    points = [f"{100 * difference[k]:+.1f}" for k in ("estimate", "ci_low", "ci_high")]
    effect = document["answer"]["effect"]
    assert effect.startswith(f"{points[0]} percentage points (95% CI {points[1]} to {points[2]})")
    # the same numbers, formatted the same way, in the estimates table
    visible = text_of(body(page(runs["prepost"])))
    assert f"Difference, after - before {points[0]} {points[1]} to {points[2]} percentage points" in visible
    # p < alpha: the verdict says so, in words
    assert document["answer"]["verdict"].startswith("Yes: the share of the cohort placed in south London was "
                                                    "higher in the sixth programme year")
    # one scale per column: the standard errors' scales are named in a column of their own
    table = visible[visible.index("Before/after comparison"):]
    assert "Std. error Std. error scale" in table
    assert "3.0 percentage points" in table and "log risk ratio" in table and "log odds ratio" in table
    assert f"{100 * difference['std_err']:.1f}" == "3.0"
    # the window percentages in the answer are those of the windows table (disclosure-controlled)
    windows = visible[visible.index("What is compared"):visible.index("Methods and results")]
    for share in re.findall(r"from ([\d.]+)% to ([\d.]+)%", effect)[0]:
        assert f" {share} " in f" {windows} "


def test_prepost_figure_is_in_percent_with_a_plain_axis_label(runs: dict[str, RunResult]) -> None:
    visible = text_of(page(runs["prepost"]))
    assert "y: Share of the cohort placed in south London (%)" in visible
    assert "ccp_in_south_london (SLP)" not in visible
    data = pd.read_csv(SERIES)
    rows = data[(data["measure"] == "ccp_in_south_london") & (data["unit"] == "SLP")]
    first = 100 * rows["numerator"].iloc[0] / rows["denominator"].iloc[0]
    line = visible[visible.index("line: x"):]
    assert f" y {first:.4g} " in line  # plotted in percent, as the tables print it


def test_prepost_count_answer_is_the_rate_ratio_and_no_window_rate_row(runs: dict[str, RunResult]) -> None:
    document = results(runs["prepost_count"])
    ratio = {r["term"]: r for r in document["prepost"]["estimates"]}["rate_ratio"]
    assert document["answer"]["effect"].startswith(
        f"Rate ratio {ratio['estimate']:.2f} (95% CI {ratio['ci_low']:.2f} to {ratio['ci_high']:.2f})")
    visible = text_of(body(page(runs["prepost_count"])))
    table = visible[visible.index("Before/after comparison"):visible.index("Limitations")]
    assert "rate_before" not in table and "rate before" not in table and "Rate ratio, after / before" in table
    # counts compared as independent events: that is the caveat named first
    assert document["answer"]["caveat"].startswith("Counts are compared as independent Poisson events")


# -- SPC and data quality --------------------------------------------------------------------------
def test_spc_answer_states_each_panel_icon_in_words(runs: dict[str, RunResult]) -> None:
    document = results(runs["spc"])
    verdict = document["answer"]["verdict"]
    for label, panel in document["spc"].items():
        assert label in verdict
        assert VARIATION_SHORT[panel["variation"]] in verdict
        assert ASSURANCE_SHORT[panel["assurance"]] in verdict
        last = panel["points"][-1]
        assert (f"{label}: {last['y']:.1f}% (mean {last['mean']:.1f}%, process limits {last['lpl']:.1f}% to "
                f"{last['upl']:.1f}%)") in document["answer"]["effect"]


def test_quality_answer_says_whether_the_file_is_fit(runs: dict[str, RunResult]) -> None:
    document = results(runs["quality"])
    block = document["data_quality"]
    assert block["ok"] is True  # no value breaks the dictionary
    assert document["answer"]["verdict"].startswith("Fit for analysis")
    assert f"{block['rows']:,} records" in document["answer"]["effect"]


def test_quality_names_invalid_values_as_the_worst_problem(tmp_path: Path) -> None:
    source = pd.read_csv(ROOT / "data" / "synthetic" / "placements.csv", dtype=str)
    broken = source.head(200).copy()
    broken.loc[broken.index[:20], "home_borough_code"] = "NOT_A_CODE"
    broken.loc[broken.index[20:40], "start_date"] = None
    path = tmp_path / "placements.csv"
    broken.to_csv(path, index=False)
    profile = quality.profile_file(path, "placements", date_column="start_date",
                                   coverage_column="home_borough_code")
    parts = quality.answer(profile)
    assert parts["verdict"].startswith("Not fit for analysis yet")
    # a missing required date breaks the dictionary too: 20 bad codes and 20 missing dates
    assert parts["caveat"].startswith("40 values break the data dictionary in 2 column(s)")
    assert parts["caveat"] in quality.limitations(profile)
    # every value valid and every field complete: fit, and no problem found
    clean = source.head(200)
    clean.to_csv(path, index=False)
    profile = quality.profile_file(path, "placements", date_column="start_date",
                                   coverage_column="home_borough_code")
    assert quality.limitations(profile) == []
    parts = quality.answer(profile)
    assert parts["verdict"].startswith("Fit for analysis: every value")
    assert parts["caveat"].startswith("No problem was found")
    # one borough with no record: fit with care, and that gap is the worst problem
    gone = clean["home_borough_code"].iloc[0]
    clean[clean["home_borough_code"] != gone].to_csv(path, index=False)
    profile = quality.profile_file(path, "placements", date_column="start_date",
                                   coverage_column="home_borough_code")
    parts = quality.answer(profile)
    assert parts["verdict"].startswith("Fit for analysis with care")
    assert parts["caveat"].startswith("No record for 1 code(s) of `home_borough_code`")
    assert "11 of 12 home_borough_code codes with records" in parts["effect"]


# -- the first screen, as a board member sees it ------------------------------------------------------
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)")
@pytest.mark.parametrize("kind", ["scorecard", "prepost", "its_units"])
def test_the_answer_box_is_in_the_first_screen(runs: dict[str, RunResult], kind: str, tmp_path: Path) -> None:
    png = tmp_path / f"{kind}.png"
    subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--window-size=1280,1000", f"--screenshot={png}", runs[kind].report.as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    shot = np.asarray(Image.open(png).convert("RGB")).astype(int)
    blue = (np.abs(shot - np.array([0x00, 0x5E, 0xB8])).sum(axis=2) < 40)  # the box's border
    rows = np.flatnonzero(blue.sum(axis=1) > 600)  # its top and bottom edges span the page
    assert len(rows) >= 2, "no answer box drawn in the first 1000 px"
    assert rows.max() < 1000 - 4 and rows.max() - rows.min() > 60  # the whole box, with its text
