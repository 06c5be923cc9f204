"""The runner: new run directories, atomic completion, failure marking, manifest, reproducibility."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from slp_eval.errors import ParameterError
from slp_eval.report.pdf import pdf_unavailable
from slp_eval.runner import run, run_all

# A small notebook that behaves like the real ones: a `parameters` cell, then library calls that
# write results.json into output_dir. It fits a least-squares line with numpy, so its numbers are
# real and deterministic; `title: fail` makes a cell raise, `title: slow` makes it sleep.
CELLS = [
    ("params = {}\noutput_dir = None", ["parameters"]),
    (
        "import numpy as np, pandas as pd\n"
        "from slp_eval.results import build_results, write_results\n"
        "frame = pd.read_csv(params['data']['path'])",
        [],
    ),
    ("if params['title'] == 'fail':\n    raise ValueError('outcome column has no values')", []),
    ("import time\nif params['title'] == 'slow':\n    time.sleep(60)", []),
    (
        "slope, intercept = np.polyfit(frame['t'], frame['y'], 1)\n"
        "rows = [{'term': 'trend', 'estimate': slope, 'std_err': None, 'ci_low': None,"
        " 'ci_high': None, 'p_value': None}]\n"
        "write_results(output_dir, build_results(analysis='its', parameters=params, estimates=rows))\n"
        "print(f'slope {slope:.4f}')",
        [],
    ),
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for source, tags in CELLS:
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nbformat.write(nb, notebooks / "its_analysis.ipynb")
    (tmp_path / "series.csv").write_text(
        "t,y\n" + "".join(f"{t},{3 + 0.5 * t + (t % 3) / 10}\n" for t in range(24))
    )
    return tmp_path


def params_file(project: Path, title: str = "Trend", name: str = "trend.yaml") -> Path:
    path = project / name
    path.write_text(
        f"analysis: its\ntitle: {title}\ndata:\n  path: series.csv\n"
        "outcome: y\ntime: t\ninterruptions: [12]\n"
    )
    return path


def test_run_writes_a_complete_new_directory_with_manifest(project: Path) -> None:
    params = params_file(project)
    result = run(params, out_root=project / "outputs", notebooks_dir=project / "notebooks")
    assert result.status == "succeeded"
    assert result.run_dir.parent == project / "outputs" / "trend"
    pdf = ["report.pdf"] if pdf_unavailable() is None else []  # no tables shown: no tables.xlsx
    assert sorted(p.name for p in result.run_dir.iterdir()) == [
        "figures", "manifest.json", "notebook.ipynb", "report.html", *pdf, "results.json"
    ]  # fmt: skip
    results = json.loads((result.run_dir / "results.json").read_text())
    assert results["estimates"][0]["term"] == "trend"
    assert results["estimates"][0]["estimate"] == pytest.approx(0.5, abs=0.01)
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    assert manifest["status"] == "succeeded" and manifest["error"] is None
    assert manifest["parameter_file"]["content"] == params.read_text()
    assert manifest["parameter_file"]["sha256"] == hashlib.sha256(params.read_bytes()).hexdigest()
    data = project / "series.csv"
    assert manifest["inputs"] == [
        {
            "path": str(data.resolve()),
            "sha256": hashlib.sha256(data.read_bytes()).hexdigest(),
            "bytes": data.stat().st_size,
        }
    ]
    assert manifest["python"] == sys.version.split()[0]
    assert manifest["packages"]["statsmodels"] and manifest["packages"]["pandas"]
    assert set(manifest["git"]) == {"commit", "dirty"}
    assert (
        manifest["outputs"]["results.json"]
        == hashlib.sha256((result.run_dir / "results.json").read_bytes()).hexdigest()
    )
    assert manifest["started_utc"] <= manifest["finished_utc"]
    # the report hides code but shows outputs
    html = (result.run_dir / "report.html").read_text()
    assert "slope 0.50" in html and "np.polyfit" not in html


def test_reruns_never_overwrite_and_give_byte_identical_results(project: Path) -> None:
    params = params_file(project)
    first = run(params, out_root=project / "outputs", notebooks_dir=project / "notebooks")
    second = run(params, out_root=project / "outputs", notebooks_dir=project / "notebooks")
    assert first.run_dir != second.run_dir and first.run_dir.is_dir() and second.run_dir.is_dir()
    assert (first.run_dir / "results.json").read_bytes() == (second.run_dir / "results.json").read_bytes()
    assert params.read_text().startswith("analysis: its")  # the input is untouched


def test_failed_cell_marks_the_run_failed_and_keeps_the_partial_notebook(project: Path) -> None:
    params = params_file(project, title="fail", name="broken.yaml")
    result = run(params, out_root=project / "outputs", notebooks_dir=project / "notebooks")
    assert result.status == "failed"
    assert (
        result.reason
        == "cell 4 `if params['title'] == 'fail':` raised ValueError: outcome column has no values"
    )
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert manifest["error"]["ename"] == "ValueError"
    assert manifest["error"]["evalue"] == "outcome column has no values"
    assert (result.run_dir / "notebook.ipynb").is_file() and not (result.run_dir / "results.json").exists()


def test_bad_parameters_write_nothing(project: Path) -> None:
    params = project / "bad.yaml"
    params.write_text("analysis: its\ntitle: x\n")
    with pytest.raises(ParameterError):
        run(params, out_root=project / "outputs", notebooks_dir=project / "notebooks")
    assert not (project / "outputs").exists()


def test_cli_exit_codes(project: Path) -> None:
    cli = [sys.executable, "-m", "slp_eval.cli"]
    bad = project / "bad.yaml"
    bad.write_text("analysis: its\ntitle: x\n")
    done = subprocess.run(
        [*cli, "run", str(bad), "--out", str(project / "outputs")], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"slp-eval: {bad}: 4 problems\n  - data: required field is missing")
    assert not (project / "outputs").exists()
    broken = params_file(project, title="fail", name="broken.yaml")
    done = subprocess.run(
        [
            *cli,
            "run",
            str(broken),
            "--out",
            str(project / "outputs"),
            "--notebooks",
            str(project / "notebooks"),
            "--quiet",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        "slp-eval: run failed: cell 4 `if params['title'] == 'fail':` "
        "raised ValueError: outcome column has no values"
    )


def test_a_run_killed_midway_leaves_nothing_that_looks_complete(project: Path) -> None:
    params = params_file(project, title="slow", name="slow.yaml")
    out = project / "outputs"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "slp_eval.cli",
            "run",
            str(params),
            "--out",
            str(out),
            "--notebooks",
            str(project / "notebooks"),
            "--quiet",
        ],
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any((out / "slow").glob(".incomplete-*/notebook.ipynb")):
        time.sleep(0.2)
    time.sleep(1.0)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    entries = list((out / "slow").iterdir())
    assert entries, "the run should have started"
    assert all(entry.name.startswith(".incomplete-") for entry in entries)
    assert not any((entry / "manifest.json").exists() for entry in entries)


def test_run_all_reports_every_file(project: Path) -> None:
    folder = project / "batch"
    folder.mkdir()
    (folder / "a.yaml").write_text(params_file(project).read_text().replace("series.csv", "../series.csv"))
    (folder / "b.yaml").write_text("analysis: its\n")
    outcomes = dict(run_all(folder, out_root=project / "outputs", notebooks_dir=project / "notebooks"))
    assert outcomes[folder / "a.yaml"].status == "succeeded"
    assert isinstance(outcomes[folder / "b.yaml"], ParameterError)


# -- run ids and killed runs (issue 10) ------------------------------------------------------------


def test_a_second_run_in_the_same_second_gets_a_run_id_equal_to_its_directory(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    import slp_eval.runner as runner

    monkeypatch.setattr(runner, "_utc_now", lambda: datetime(2026, 11, 30, 22, 0, 0, tzinfo=UTC))
    params = params_file(project)
    first = run(params, out_root=project / "outputs", notebooks_dir=project / "notebooks")
    second = run(params, out_root=project / "outputs", notebooks_dir=project / "notebooks")
    assert second.run_dir.name == first.run_dir.name + "-2"
    for result in (first, second):
        manifest = json.loads((result.run_dir / "manifest.json").read_text())
        assert manifest["run_id"] == result.run_dir.name == result.manifest["run_id"]


def _start_slow_run(project: Path, folder: str) -> tuple[subprocess.Popen[bytes], Path]:
    (project / folder).mkdir()
    params = project / folder / "slow.yaml"
    params.write_text(params_file(project, title="slow").read_text().replace("series.csv", "../series.csv"))
    out = project / "outputs"
    process = subprocess.Popen(
        [sys.executable, "-m", "slp_eval.cli", "run", str(params), "--out", str(out),
         "--notebooks", str(project / "notebooks"), "--quiet"],
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any((out / "slow").glob(".incomplete-*/notebook.ipynb")):
        time.sleep(0.2)
    return process, out / "slow"


def _quick_run_into(project: Path, folder: str) -> subprocess.CompletedProcess[str]:
    (project / folder).mkdir()
    params = project / folder / "slow.yaml"  # same name, so the same output folder; not slow
    params.write_text(params_file(project, title="quick").read_text().replace("series.csv", "../series.csv"))
    return subprocess.run(
        [sys.executable, "-m", "slp_eval.cli", "run", str(params), "--out", str(project / "outputs"),
         "--notebooks", str(project / "notebooks"), "--quiet"],
        capture_output=True, text=True,
    )


def test_the_next_run_removes_a_killed_runs_hidden_directory(project: Path) -> None:
    process, folder = _start_slow_run(project, "a")
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    (killed,) = [p for p in folder.glob(".incomplete-*") if p.is_dir()]
    done = _quick_run_into(project, "b")
    assert done.returncode == 0, done.stderr
    removal = [line for line in done.stderr.splitlines() if line.startswith("removed ")]
    assert removal == [f"removed {killed}: the partial output of a run that was killed before it finished"]
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []
    assert len(list(folder.iterdir())) == 1


def test_a_running_runs_hidden_directory_is_left_alone(project: Path) -> None:
    process, folder = _start_slow_run(project, "a")
    try:
        (running,) = [p for p in folder.glob(".incomplete-*") if p.is_dir()]
        done = _quick_run_into(project, "b")
        assert done.returncode == 0, done.stderr
        assert "removed " not in done.stderr
        assert running.is_dir() and (running / "notebook.ipynb").is_file()
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
