"""`run_all` with several jobs: the thread limits each run's kernel gets, and longest-first order."""

import json
import os
from pathlib import Path

import nbformat
import pytest

from slp_eval.runner import (
    THREAD_VARIABLES,
    THREADS_VARIABLE,
    TYPICAL_SECONDS,
    RunResult,
    available_cores,
    expected_seconds,
    job_environment,
    longest_first,
    run_all,
)

LIMITED = (*THREAD_VARIABLES, THREADS_VARIABLE)


# -- job_environment ---------------------------------------------------------------------------


def test_one_job_keeps_the_libraries_defaults() -> None:
    assert job_environment(1, cores=2, environ={}) == {}


def test_two_jobs_on_two_cores_get_one_thread_per_library() -> None:
    assert job_environment(2, cores=2, environ={}) == dict.fromkeys(LIMITED, "1")
    assert set(LIMITED) >= {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "SLP_EVAL_THREADS"}


def test_jobs_share_the_cores_and_never_get_fewer_than_one_thread() -> None:
    assert job_environment(2, cores=8, environ={})["OPENBLAS_NUM_THREADS"] == "4"
    assert job_environment(3, cores=8, environ={})["OPENBLAS_NUM_THREADS"] == "2"
    assert job_environment(4, cores=2, environ={})["OPENBLAS_NUM_THREADS"] == "1"


def test_a_thread_limit_the_user_set_stands() -> None:
    chosen = job_environment(2, cores=2, environ={"OMP_NUM_THREADS": "3", "SLP_EVAL_THREADS": "2"})
    assert "OMP_NUM_THREADS" not in chosen and "SLP_EVAL_THREADS" not in chosen
    assert chosen["OPENBLAS_NUM_THREADS"] == "1"


# -- expected_seconds and longest_first ---------------------------------------------------------


def _params(folder: Path, name: str, kind: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(f"analysis: {kind}\ntitle: {name}\n")
    return path


def _recorded_run(out: Path, stem: str, run_id: str, seconds: float) -> None:
    (out / stem / run_id).mkdir(parents=True)
    (out / stem / run_id / "manifest.json").write_text(json.dumps({"duration_seconds": seconds}))


def test_expected_seconds_come_from_the_newest_recorded_run(tmp_path: Path) -> None:
    params = _params(tmp_path, "trend", "its")
    out = tmp_path / "out"
    _recorded_run(out, "trend", "20261130T100000Z-aaaaaaaa", 40.0)
    _recorded_run(out, "trend", "20261201T090000Z-bbbbbbbb", 12.5)
    _recorded_run(out, "trend", "20261201T090000Z-bbbbbbbb-2", 13.5)  # same second, later
    (out / "trend" / ".incomplete-20261201T100000Z-cccccccc-1").mkdir()  # a run in progress
    assert expected_seconds(params, out) == 13.5


def test_without_a_recorded_run_the_kind_decides(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert expected_seconds(_params(tmp_path, "p", "power"), out) == TYPICAL_SECONDS["power"]
    assert expected_seconds(_params(tmp_path, "s", "spc"), out) == TYPICAL_SECONDS["spc"]
    assert expected_seconds(_params(tmp_path, "x", "no_such_kind"), out) == 0.0
    broken = tmp_path / "broken.yaml"
    broken.write_text("analysis: [its\n")
    assert expected_seconds(broken, out) == 0.0
    broken.write_bytes(b"analysis: \xff\n")
    assert expected_seconds(broken, out) == 0.0


def test_longest_first_orders_by_expected_time_and_keeps_name_order_on_ties(tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = [_params(tmp_path, name, kind) for name, kind in
             [("a_spc", "spc"), ("b_its", "its"), ("c_its", "its"), ("d_power", "power"), ("e_bad", "nope")]]
    assert [p.stem for p in longest_first(files, out)] == ["d_power", "b_its", "c_its", "a_spc", "e_bad"]
    _recorded_run(out, "a_spc", "20261201T090000Z-aaaaaaaa", 100.0)  # history beats the kind
    assert [p.stem for p in longest_first(files, out)][:2] == ["a_spc", "d_power"]


# -- run_all with two jobs, end to end ------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A notebook that prints the thread limits its kernel sees and writes a real results.json."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cells = [
        ("params = {}\noutput_dir = None", ["parameters"]),
        ("import os\nfrom slp_eval.results import build_results, write_results\n"
         f"for name in {LIMITED!r}:\n    print(name, os.environ.get(name))", []),
        ("row = {'term': 'trend', 'estimate': 1.0, 'std_err': None, 'ci_low': None, 'ci_high': None,"
         " 'p_value': None}\n"
         "write_results(output_dir, build_results(analysis='its', parameters=params, estimates=[row]))", []),
    ]
    for source, tags in cells:
        nb.cells.append(nbformat.v4.new_code_cell(source, metadata={"tags": tags}))
    nbformat.write(nb, notebooks / "its_analysis.ipynb")
    (tmp_path / "series.csv").write_text("t,y\n" + "".join(f"{t},{t % 5}\n" for t in range(24)))
    batch = tmp_path / "batch"
    batch.mkdir()
    for name in ("a", "b"):
        (batch / f"{name}.yaml").write_text(f"analysis: its\ntitle: {name}\ndata:\n  path: ../series.csv\n"
                                            "outcome: y\ntime: t\ninterruptions: [12]\n")
    return tmp_path


def test_two_jobs_start_the_longest_first_and_each_kernel_gets_the_thread_limits(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in LIMITED:
        monkeypatch.delenv(name, raising=False)
    out = project / "out"
    _recorded_run(out, "b", "20261201T090000Z-bbbbbbbb", 50.0)  # b ran long last time
    _recorded_run(out, "a", "20261201T090000Z-aaaaaaaa", 5.0)
    started: list[str] = []

    def progress(index: int, path: Path, outcome: object, seconds: float) -> None:
        if outcome is None:
            started.append(f"{index}:{path.stem}")

    outcomes = run_all(project / "batch", out_root=out, jobs=2, notebooks_dir=project / "notebooks",
                       progress=progress)
    assert started == ["2:b", "1:a"]  # longest first; the index stays the position in name order
    assert [path.stem for path, _ in outcomes] == ["a", "b"]  # results in name order
    expected = str(max(1, available_cores() // 2))
    for _, result in outcomes:
        assert isinstance(result, RunResult) and result.status == "succeeded", result
        cells = nbformat.read(result.run_dir / "notebook.ipynb", as_version=4).cells
        (printed,) = [cell.outputs[0].text for cell in cells if cell.source.startswith("import os")]
        assert printed.splitlines() == [f"{name} {expected}" for name in LIMITED]
    # the parent's own environment is untouched
    assert not any(name in os.environ for name in LIMITED)
