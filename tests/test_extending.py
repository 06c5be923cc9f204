"""docs/extending.md, followed literally: its code blocks are written into a temporary copy of the
project, the registry line is added to KINDS, the notebook is built from its cells, and the new
kind is tested and run through `slp-eval run`."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "extending.md"
BLOCK = re.compile(r"```(?:python|yaml)\n# (file|registry|notebook): (\S+)\n(.*?)```", re.S)


def blocks() -> list[tuple[str, str, str]]:
    found = BLOCK.findall(PAGE.read_text(encoding="utf-8"))
    assert [(kind, path) for kind, path, _ in found] == [
        ("file", "slp_eval/describe.py"), ("file", "tests/test_describe.py"),
        ("file", "slp_eval/params/describe.py"), ("registry", "slp_eval/params/__init__.py"),
        ("notebook", "notebooks/describe.ipynb"), ("file", "params/describe_fte.yaml"),
    ]
    return found


def notebook_from_percent(text: str) -> nbformat.NotebookNode:
    """jupytext 'percent' cells -> a notebook (`# %%` code, `# %% [markdown]` text, tags=[...])."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for chunk in re.split(r"^# %%", text, flags=re.M)[1:]:
        header, _, body = chunk.partition("\n")
        if "[markdown]" in header:
            cell = nbformat.v4.new_markdown_cell(re.sub(r"^# ?", "", body.strip(), flags=re.M))
        else:
            cell = nbformat.v4.new_code_cell(body.strip())
            tags = re.search(r'tags=\["(\w+)"\]', header)
            if tags:
                cell.metadata["tags"] = [tags.group(1)]
        nb.cells.append(cell)
    return nb


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("project")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("slp_eval", "data_dictionary", "notebooks", "params"):
        shutil.copytree(ROOT / folder, copy / folder, ignore=ignore)
    shutil.copytree(ROOT / "data" / "synthetic", copy / "data" / "synthetic")
    (copy / "tests").mkdir()
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
            nbformat.write(notebook_from_percent(body), target)
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
    assert "analysis: describe" in done.stdout and "column:" in done.stdout


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
