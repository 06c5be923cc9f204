"""The `spc` analysis kind end to end through `slp-eval run`: the real EIP charts and the
synthetic rebased view, results.json, the report's banner, attribution and disclosure."""

import csv
import json
from pathlib import Path

import pytest

from slp_eval.cli import main
from slp_eval.params import validate_params

ROOT = Path(__file__).resolve().parents[1]
EIP_RAW = ROOT / "data" / "nhs" / "eip" / "EIP-Timeseries-History-File-December-2015-to-September-2019.csv"


def run(params: str, out: Path) -> Path:
    assert main(["run", str(ROOT / "params" / params), "--out", str(out), "--quiet"]) == 0
    (run_dir,) = list((out / Path(params).stem).iterdir())
    return run_dir


@pytest.fixture(scope="module")
def eip_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run("eip_two_week_standard.yaml", tmp_path_factory.mktemp("eip"))


def test_eip_report_on_real_data(eip_run: Path) -> None:
    results = json.loads((eip_run / "results.json").read_text(encoding="utf-8"))
    assert results["synthetic"] is False
    panels = results["spc"]
    assert list(panels) == [
        "South London and Maudsley (RV5)",
        "Oxleas (RPG)",
        "South West London and St George's (RQY)",
        "England",
    ]
    # England's last point, September 2019, from the raw file with the csv module (every provider
    # and commissioner, completed pathways): 100 x (Gt_0_1 + Gt_1_2) / Total_Pathways.
    with EIP_RAW.open(encoding="utf-8") as handle:
        rows = [
            r for r in csv.DictReader(handle)
            if r["Date"] == "01/09/2019" and r["Description"] == "EIP pathways completed this month"
        ]  # fmt: skip
    within = sum(int(r["Gt_0_1_Weeks"]) + int(r["Gt_1_2_Weeks"]) for r in rows)
    started = sum(int(r["Total_Pathways"]) for r in rows)
    england = panels["England"]["points"]
    assert len(england) == 46 and england[-1]["x"] == "2019-09"
    assert england[-1]["y"] == pytest.approx(100 * within / started)
    assert england[-1]["target"] == 50.0
    # England's lower limit is above the 50% standard: met every month.
    assert england[-1]["lpl"] > 50 and panels["England"]["assurance"] == "consistent_pass"
    for panel in panels.values():
        assert panel["variation"] in {"common_cause", "improvement_high", "concern_low"}
        assert panel["assurance"] in {"consistent_pass", "consistent_fail", "inconsistent"}
    html = (eip_run / "report.html").read_text(encoding="utf-8")
    assert "SYNTHETIC DATA" not in html
    # a limit beyond 100% (what a percentage can be) is said in words, panel by panel, from the
    # last point's limits in results.json; a panel within 0-100% is not named
    beyond = {label: panel["points"][-1]["upl"] for label, panel in panels.items()
              if panel["points"][-1]["upl"] > 100}
    assert beyond, "the EIP data have a panel whose upper limit exceeds 100% (Oxleas)"
    assert "Process limits beyond what the value can be" in html
    for label, panel in panels.items():
        upper = f"{label}'s upper limit ({panel['points'][-1]['upl']:.1f}%) lies above 100.0%"
        assert (upper.replace("'", "&#x27;") in html or upper.replace("'", "&#39;") in html
                or upper in html) == (label in beyond), label
    assert "Open Government Licence v3.0" in html
    assert (eip_run / "figures" / "spc.png").is_file()
    # the monthly counts table went through the disclosure rule
    assert [t["table"] for t in results["disclosure"]["tables"]] == ["counts"]
    assert results["disclosure"]["suppressed_cells"] > 0  # Oxleas has months with 1-7 people


def test_synthetic_rebased_view(tmp_path: Path) -> None:
    run_dir = run("spc_ccp_rebased.yaml", tmp_path)
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    assert results["synthetic"] is True
    points = results["spc"]["South London Partnership"]["points"]
    before = [p for p in points if p["x"] < "2018-04"]
    after = [p for p in points if p["x"] >= "2018-04"]
    assert {p["rebase_group"] for p in before} == {0} and {p["rebase_group"] for p in after} == {1}
    assert len({p["mean"] for p in before}) == 1 and len({p["mean"] for p in after}) == 1
    mean_before = sum(p["y"] for p in before) / len(before)
    assert before[0]["mean"] == pytest.approx(mean_before)
    assert "SYNTHETIC DATA" in (run_dir / "report.html").read_text(encoding="utf-8")


def test_target_on_neutral_measure_is_refused() -> None:
    params = {
        "analysis": "spc", "title": "t", "data": {"path": str(EIP_RAW)}, "value": "value",
        "panels": [{"label": "a", "filters": {}}], "improvement_direction": "neutral", "target": 50.0,
    }  # fmt: skip
    with pytest.raises(Exception, match="target: a target needs improvement_direction increase or decrease"):
        validate_params(params)
