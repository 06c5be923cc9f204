"""docs/extending.md, followed literally: its code blocks are written into a temporary copy of the
project, the registry line is added to KINDS, the notebook is built by the page's own script, its
outputs are stored as the page says, and the new kind is tested, run through `slp-eval run`, and
passes the project's own checks (which list the kinds and modules from the registry, unedited)."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "extending.md"
BLOCK = re.compile(r"```(?:python|yaml)\n# (file|registry|script): ([^\n]+)\n(.*?)```", re.S)


def blocks() -> list[tuple[str, str, str]]:
    found = BLOCK.findall(PAGE.read_text(encoding="utf-8"))
    assert [(kind, path) for kind, path, _ in found] == [
        ("file", "slp_eval/describe.py"), ("file", "tests/test_describe.py"),
        ("file", "slp_eval/params/describe.py"), ("registry", "slp_eval/params/__init__.py"),
        ("file", "notebooks/describe.py"),
        ("script", "build notebooks/describe.ipynb from notebooks/describe.py"),
        ("file", "params/describe_fte.yaml"),
    ]
    return found


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("project")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "peer*", "spark")
    for folder in ("slp_eval", "data_dictionary", "notebooks", "params", "tests"):
        shutil.copytree(ROOT / folder, copy / folder, ignore=ignore)
    shutil.copytree(ROOT / "data", copy / "data")
    for name in ("Makefile", "pyproject.toml", "requirements.lock"):
        shutil.copy(ROOT / name, copy / name)
    for kind, path, body in blocks():
        target = copy / path
        if kind == "file":
            target.write_text(body, encoding="utf-8")
        elif kind == "registry":
            source = target.read_text(encoding="utf-8")
            anchor = "KINDS: dict[str, tuple[str, str]] = {\n"
            assert anchor in source, "the registry moved: update docs/extending.md"
            target.write_text(source.replace(anchor, anchor + body), encoding="utf-8")
        else:
            done = in_copy(copy, "-c", body)
            assert done.returncode == 0, done.stderr
    return copy


def in_copy(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(project)}
    env.pop("SLP_EVAL_NOTEBOOKS", None)
    return subprocess.run([sys.executable, *args], cwd=project, env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_copy_imports_its_own_package(project: Path) -> None:
    done = in_copy(project, "-c", "import slp_eval, slp_eval.params as p; print(slp_eval.__file__, "
                                  "p.model_for('describe').__name__)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(project / "slp_eval" / "__init__.py"), "DescribeParams"]


def test_the_estimators_validation_test_passes(project: Path) -> None:
    done = in_copy(project, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_describe.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


def test_the_new_kind_has_a_template(project: Path) -> None:
    done = in_copy(project, "-m", "slp_eval.cli", "new-params", "describe")
    assert done.returncode == 0, done.stderr
    assert "analysis: describe" in done.stdout and "outcome:" in done.stdout


def test_the_new_kind_runs_through_slp_eval_run(project: Path) -> None:
    done = in_copy(project, "-m", "slp_eval.cli", "run", "params/describe_fte.yaml", "--out", "outputs",
                   "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr
    run_dir = next((project / "outputs" / "describe_fte").iterdir())
    results = json.loads((run_dir / "results.json").read_text())
    assert results["analysis"] == "describe" and results["synthetic"] is True
    assert [row["term"] for row in results["estimates"]] == ["mean"]
    assert results["describe"]["column"] == "fte_in_post"
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "succeeded"
    assert manifest["notebook"]["path"] == str(project / "notebooks" / "describe.ipynb")
    html = (run_dir / "report.html").read_text()
    assert "Nursing staff in post (synthetic)" in html and "Mean with its t interval" in html


def test_the_notebook_is_built_and_its_percent_source_removed(project: Path) -> None:
    assert (project / "notebooks" / "describe.ipynb").is_file()
    assert not (project / "notebooks" / "describe.py").exists()


def test_a_misspelt_column_is_exit_2_before_anything_runs(project: Path) -> None:
    typo = project / "params" / "describe_typo.yaml"
    shipped = (project / "params" / "describe_fte.yaml").read_text()
    typo.write_text(shipped.replace("fte_in_post", "fte_in_pst"))
    try:
        done = in_copy(project, "-m", "slp_eval.cli", "run", str(typo), "--out", "outputs", "--quiet")
    finally:
        typo.unlink()
    assert done.returncode == 2
    assert "outcome: " in done.stderr and "did you mean 'fte_in_post'?" in done.stderr
    assert not (project / "outputs" / "describe_typo").exists()


def test_after_storing_the_outputs_the_projects_own_checks_pass(project: Path) -> None:
    # step 6: `make notebooks` (= slp-eval refresh-notebooks notebooks). The command is the page's,
    # run on a folder holding only the new notebook: re-executing the other notebooks would take
    # minutes and change nothing. The folder sits beside notebooks/, so relative paths resolve alike.
    scratch = project / "notebooks_new"
    scratch.mkdir()
    shutil.copy(project / "notebooks" / "describe.ipynb", scratch / "describe.ipynb")
    done = in_copy(project, "-m", "slp_eval.cli", "refresh-notebooks", str(scratch))
    assert done.returncode == 0, done.stdout + done.stderr
    shutil.copy(scratch / "describe.ipynb", project / "notebooks" / "describe.ipynb")
    shutil.rmtree(scratch)
    checks = ["tests/test_params.py", "tests/test_cli.py",
              "tests/test_environment.py::test_make_docs_documents_every_public_module",
              "tests/test_onboarding.py::test_every_analysis_kind_has_a_worked_parameter_file",
              "tests/test_notebooks.py::test_one_parameters_cell_whose_defaults_validate_on_synthetic_data",
              "tests/test_notebooks.py::test_cells_hold_library_calls_not_analysis_logic",
              "tests/test_notebooks.py::test_stored_with_outputs_and_reads_like_a_paper",
              "tests/test_notebooks.py::test_every_shipped_parameter_file_validates_and_has_its_notebook"]
    done = in_copy(project, "-m", "pytest", "-q", "-p", "no:cacheprovider", *checks)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    # the new kind was among those checked, not skipped
    listed = in_copy(project, "-m", "pytest", "-q", "--collect-only", "-p", "no:cacheprovider", *checks)
    assert "describe.ipynb" in listed.stdout and "describe_fte.yaml" in listed.stdout
    assert "[describe]" in listed.stdout
