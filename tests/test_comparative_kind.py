"""The `comparative` analysis kind end to end: the shipped EIP example through the runner
(results.json, tables.xlsx, report.pdf, answer first in Chromium at 1280 px and at A4 width),
disclosure control of the panel cells and donor counts, the notebook's synthetic default against
its recorded truth, the template, and the EIP provider panel reader."""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from slp_eval.data import load
from slp_eval.data.nhs import eip_provider_panel, read_eip
from slp_eval.params import validate_params
from slp_eval.params.template import template_for
from slp_eval.runner import RunResult, run

ROOT = Path(__file__).resolve().parent.parent
EIP = ROOT / "data" / "nhs" / "eip" / "EIP-Timeseries-History-File-December-2015-to-September-2019.csv"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def eip_run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    result = run(ROOT / "params" / "eip_comparative_slp_vs_england.yaml",
                 out_root=tmp_path_factory.mktemp("outputs"))
    assert result.status == "succeeded", result.reason
    return result


def test_eip_provider_panel_is_the_published_counts() -> None:
    panel = eip_provider_panel(read_eip(EIP))
    raw = pd.read_csv(EIP)
    done = raw[(raw.Description == "EIP pathways completed this month") & (raw.Provider_Org_code == "RV5")]
    may = done[done.Date == "01/05/2017"]
    row = panel[(panel.provider == "RV5") & (panel.period == "2017-05")].iloc[0]
    assert row.denominator == may.Total_Pathways.sum()
    assert row.numerator == (may.Gt_0_1_Weeks + may.Gt_1_2_Weeks).sum()
    # the shipped file is exactly what `slp-eval ingest eip --providers` writes, and it is valid
    shipped = load(ROOT / "data" / "nhs" / "eip_providers.csv", "provider_panel")
    shipped["period"] = shipped["period"].astype(str)
    pd.testing.assert_frame_equal(shipped[list(panel.columns)].reset_index(drop=True),
                                  panel.reset_index(drop=True), check_dtype=False)
    assert panel.groupby("provider").size().max() == 46


def test_eip_report_answers_with_the_effect_interval_and_caveat(eip_run: RunResult) -> None:
    results = json.loads((eip_run.run_dir / "results.json").read_text())
    answer = results["answer"]
    assert answer["verdict"].startswith(
        "Not shown: after 2016-04 (EIP access standard starts), the percentage starting treatment within "
        "two weeks at the three SLP trusts")
    assert re.fullmatch(r"Synthetic control: average difference [-+]\d+\.\d percentage points a period "
                        r"\(95% CI [-+]\d+\.\d to [-+]\d+\.\d; placebo standard error over 200 placebos, "
                        r"Fisher p from the post/pre RMSPE ratio\)\.", answer["effect"])
    assert answer["caveat"].startswith("Only 4 periods before the start")
    terms = [row["term"] for row in results["estimates"]]
    assert terms == ["synthetic_control", "synthetic_did", "did"]
    block = results["comparative"]["synthetic_control"]
    assert block["n_pre"] == 4 and block["treated"] == ["RV5", "RPG", "RQY"]
    dropped = {row["unit"] for row in block["dropped"]}
    assert {"R1C", "R1L", "RRD", "RWN", "RCU", "TAE"} <= dropped  # excluded, with their reasons
    assert results["figures"] == ["figures/gap.png", "figures/placebo.png"]
    assert (eip_run.run_dir / "report.pdf").is_file()
    sheets = openpyxl.load_workbook(eip_run.run_dir / "tables.xlsx").sheetnames
    assert sheets[0] == "README" and len(sheets) == 1 + len(results["report_tables"])


def test_panel_cells_and_donor_counts_follow_the_disclosure_rule(eip_run: RunResult) -> None:
    results = json.loads((eip_run.run_dir / "results.json").read_text())
    tables = {t["caption"].split(",")[0]: t for t in results["report_tables"]}
    shown = {}
    for name in ("Donors with weight", "People behind the last 12 months"):
        columns = tables[name]["columns"]
        counted = [columns.index(c) for c in ("denominator", "numerator", "denominator - numerator")]
        shown[name] = [[row[j].replace(",", "") for j in counted] for row in tables[name]["rows"]]
        for cells in shown[name]:
            for value in cells:
                assert value == "*" or (value.isdigit() and int(value) % 5 == 0), (name, value)
    assert any("*" in cells for cells in shown["People behind the last 12 months"])  # small EIP counts
    assert results["disclosure"]["suppressed_cells"] > 0


def test_synthetic_default_recovers_its_truth(tmp_path: Path) -> None:
    from tests.test_notebooks import defaults  # the notebook's own parameters cell

    params = defaults(ROOT / "notebooks" / "comparative.ipynb")["params"]
    params["data"]["path"] = str(ROOT / "data" / "synthetic" / "provider_panel.csv")
    path = tmp_path / "comparative.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    result = run(path, out_root=tmp_path / "outputs")
    assert result.status == "succeeded", result.reason
    truth = json.loads((ROOT / "data" / "synthetic" / "truth.json").read_text())["provider_panel_truth"]
    effect = 100 * truth["effect"]  # percentage points
    rows = {r["term"]: r for r in json.loads((result.run_dir / "results.json").read_text())["estimates"]}
    # the synthetic estimators cover the truth; DiD assumes parallel trends, which the panel's
    # provider-specific loadings on a common factor break, and is not asked to
    for term in ("synthetic_control", "synthetic_did"):
        assert rows[term]["ci_low"] < effect < rows[term]["ci_high"], rows[term]


def test_template_validates_once_the_required_fields_are_filled(tmp_path: Path) -> None:
    template = yaml.safe_load(template_for("comparative"))
    template.update(title="t", outcome="percent", treated=["RV5"], start="2017-04",
                    data={"path": str(ROOT / "data" / "synthetic" / "provider_panel.csv"),
                          "dataset": "provider_panel"})
    params = validate_params(template, base_dir=tmp_path)
    assert params.analysis == "comparative"
    assert params.estimators == ["synthetic_control", "synthetic_did", "did"]


@pytest.mark.parametrize(("change", "problem"), [
    ({"headline": "did", "estimators": ["synthetic_control"]},
     "headline: 'did' must be one of the estimators run (['synthetic_control'])"),
    ({"exclude": {"RV5": "x"}}, "exclude: RV5 is a treated unit"),
    ({"outcome": "pecent"}, "outcome: "),
])
def test_bad_comparative_parameters_are_refused(tmp_path: Path, change: dict, problem: str) -> None:
    from slp_eval.errors import ParameterError

    text = (ROOT / "params" / "eip_comparative_slp_vs_england.yaml").read_text()
    data = yaml.safe_load(text) | change
    with pytest.raises(ParameterError, match=re.escape(problem)):
        validate_params(data, base_dir=ROOT / "params")


_MEASURE = """<script>
window.addEventListener("load", () => {
  const top = (el) => el ? el.getBoundingClientRect().top + window.scrollY : null;
  const out = document.createElement("pre");
  out.id = "slp-measure";
  out.textContent = JSON.stringify({answer: top(document.getElementById("answer")),
    figure: top(document.querySelector("img")), table: top(document.querySelector("table")),
    width: document.documentElement.clientWidth, scrollWidth: document.documentElement.scrollWidth});
  document.body.appendChild(out);
});
</script>"""


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)")
@pytest.mark.parametrize("width", [1280, 794])
def test_eip_report_renders_answer_first(eip_run: RunResult, width: int) -> None:
    page = eip_run.report.with_name(f"answer-{width}.html")
    page.write_text(eip_run.report.read_text().replace("</body>", _MEASURE + "</body>"))
    done = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--window-size={width},1000", "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
        check=True, capture_output=True, text=True, timeout=120)
    found = re.search(r'<pre id="slp-measure">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found, "the measuring script did not run"
    measured = json.loads(html.unescape(found.group(1)))
    assert measured["scrollWidth"] <= width
    # the answer box comes first, inside the first screen, before the gap figure and any table
    assert measured["answer"] < 700
    assert measured["answer"] < measured["figure"] < measured["table"]
