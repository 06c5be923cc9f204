"""The real-data ITS example (EIP two-week share, SLP against the rest of England) runs end to end
and its report states the limitation of only 4 months before the standard."""

import json
from pathlib import Path

from slp_eval.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_eip_its_example_states_its_short_pre_period(tmp_path: Path) -> None:
    params = ROOT / "params" / "eip_its_slp_vs_rest_of_england.yaml"
    assert main(["run", str(params), "--out", str(tmp_path), "--quiet"]) == 0
    (run_dir,) = list((tmp_path / params.stem).iterdir())
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "Only 4 points before the interruption at 2016-04" in html
    assert "SYNTHETIC DATA" not in html
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    terms = {e["term"] for e in results["estimates"]}
    assert "group:level_change[2016-04]" in terms  # a controlled ITS against the rest of England
