"""The notebooks: one `parameters` cell whose defaults run on the bundled synthetic data, no
analysis logic in the cells, bad input stopped at the first cell, and the runner end to end."""

import ast
import json
from pathlib import Path

import nbformat
import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

from slp_eval.params import KINDS, VARIANTS, load_params, notebook_of, validate_params
from slp_eval.runner import KERNEL_ARGUMENTS, run

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
NOTEBOOK_FILES = sorted(NOTEBOOKS.glob("*.ipynb"))
KIND_OF = {notebook: kind for kind, (_, notebook) in KINDS.items()} | {
    notebook: kind for (kind, _), notebook in VARIANTS.items()}


def parameters_cell(path: Path) -> nbformat.NotebookNode:
    cells = [c for c in nbformat.read(path, as_version=4).cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{path.name}: {len(cells)} cells tagged `parameters`"
    return cells[0]


def defaults(path: Path) -> dict:
    namespace: dict = {}
    exec(parameters_cell(path).source, namespace)  # the cell holds only literals
    return namespace


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.name)
def test_one_parameters_cell_whose_defaults_validate_on_synthetic_data(path: Path) -> None:
    assert path.name in KIND_OF, f"{path.name} is not the notebook of any analysis kind"
    values = defaults(path)
    assert set(values) - {"__builtins__"} == {"params", "output_dir"}
    assert values["output_dir"] is None
    params = validate_params(values["params"], base_dir=NOTEBOOKS)
    assert params.analysis == KIND_OF[path.name]
    for name in type(params).model_fields:
        source = getattr(params, name)
        if hasattr(source, "path"):
            assert source.path.is_relative_to(ROOT / "data" / "synthetic"), source.path


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.name)
def test_cells_hold_library_calls_not_analysis_logic(path: Path) -> None:
    forbidden = (ast.For, ast.While, ast.FunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp,
                 ast.DictComp, ast.SetComp, ast.GeneratorExp, ast.If)
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        tree = ast.parse(cell.source)
        bad = [type(node).__name__ for node in ast.walk(tree) if isinstance(node, forbidden)]
        assert not bad, f"{path.name}: cell `{cell.source[:40]}` has {bad}"
        statements = [n for n in tree.body if not isinstance(n, ast.Import | ast.ImportFrom)]
        assert len(statements) <= 2, f"{path.name}: `{cell.source[:40]}` has {len(statements)} statements"


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.name)
def test_stored_with_outputs_and_reads_like_a_paper(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]
    assert all(c.execution_count is not None for c in code), "stored without executing every cell"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    headings = [line.strip() for c in nb.cells if c.cell_type == "markdown"
                for line in c.source.splitlines() if line.startswith("## ")]
    assert "## Limitations" in headings or any("Limitations" in c.source for c in nb.cells
                                                 if c.cell_type == "markdown")
    # board-first: parameters, data provenance and the disclosure note in a final appendix
    assert headings[-1] == "## Appendix", headings
    assert "papermill" not in nb.metadata


@pytest.mark.parametrize("path", sorted((ROOT / "params").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_parameter_file_validates_and_has_its_notebook(path: Path) -> None:
    params = load_params(path)
    assert (NOTEBOOKS / notebook_of(params)).is_file()


def execute(notebook: str, tmp_path: Path, **changes: object) -> PapermillExecutionError:
    params = defaults(NOTEBOOKS / notebook)["params"]
    params.update(changes)
    with pytest.raises(PapermillExecutionError) as caught:
        papermill.execute_notebook(
            str(NOTEBOOKS / notebook), str(tmp_path / "out.ipynb"), parameters={"params": params},
            cwd=str(NOTEBOOKS), progress_bar=False, kernel_name="python3", extra_arguments=KERNEL_ARGUMENTS)
    return caught.value


def test_wrong_type_stops_at_the_first_cell_with_one_paragraph(tmp_path: Path) -> None:
    error = execute("its_analysis.ipynb", tmp_path, maxlags="2", errors="bayesian")
    # cell 1 = parameters, 2 = injected parameters, 3 = the check
    assert error.exec_count == 3 and error.ename == "ParameterError"
    assert error.evalue == (
        "notebook parameters: 2 problems\n"
        "  - errors: expected 'ols', 'newey-west', 'ar' or 'arima'; found 'bayesian' (str)\n"
        "  - maxlags: expected a valid integer; found '2' (str)"
    )
    assert error.traceback == [
        "ParameterError: the notebook stopped at the parameters check; nothing after it has run.",
        "notebook parameters: 2 problems",
        "  - errors: expected 'ols', 'newey-west', 'ar' or 'arima'; found 'bayesian' (str)",
        "  - maxlags: expected a valid integer; found '2' (str)",
        "Fix the parameter file (or the `params` cell) and run the notebook again.",
    ]
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    counts = [c.execution_count for c in executed.cells if c.cell_type == "code"]
    assert [n for n in counts if n is not None and n > 3] == []


def test_missing_data_file_stops_at_the_first_cell(tmp_path: Path) -> None:
    error = execute("data_quality.ipynb", tmp_path,
                    data={"path": "../data/synthetic/no_such.csv", "dataset": "placements"})
    assert error.exec_count == 3 and error.ename == "ParameterError"
    assert error.evalue == (
        "notebook parameters: 1 problem\n"
        f"  - data.path: file not found: {ROOT / 'data' / 'synthetic' / 'no_such.csv'}"
    )


def test_data_failing_the_dictionary_marks_the_run_failed_at_the_first_cell(tmp_path: Path) -> None:
    data = tmp_path / "monthly.csv"
    lines = (ROOT / "data" / "synthetic" / "monthly_series.csv").read_text().splitlines()
    fields = lines[3].split(",")
    fields[4] = "-1"  # numerator of 2015-03: a count below its minimum 0
    lines[3] = ",".join(fields)
    data.write_text("\n".join(lines) + "\n")
    params = tmp_path / "bad_data.yaml"
    params.write_text(
        "analysis: its\ntitle: t\ndata:\n  path: monthly.csv\n  dataset: monthly_series\n"
        "filters: {unit: SLP, measure: ccp_in_south_london}\noutcome: percent\ntime: period\n"
        "interruptions: ['2018-04']\n"
    )
    result = run(params, out_root=tmp_path / "outputs")
    assert result.status == "failed"
    assert result.reason.startswith(
        "cell 3 `from slp_eval import report as slp_report` raised DataValidationError: "
        f"{data}: 1 problem against the data dictionary for dataset 'monthly_series'"
    )
    assert result.reason.endswith("row 3, column 'numerator', value '-1': below the minimum 0")
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["error"]["cell_execution_count"] == 3


def test_runner_end_to_end_on_a_shipped_parameter_file(tmp_path: Path) -> None:
    result = run(ROOT / "params" / "ccp_in_south_london.yaml", out_root=tmp_path)
    assert result.status == "succeeded", result.reason
    results = json.loads((result.run_dir / "results.json").read_text())
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    assert results["synthetic"] is True and manifest["synthetic"] is True
    assert manifest["disclosure"] == results["disclosure"]
    assert sorted(p.name for p in (result.run_dir / "figures").iterdir()) == [
        "break_dates.png", "its_effect.png", "its_fit.png", "placebo.png", "residual_acf.png"]
    assert results["figures"] == [f"figures/{n}.png" for n in ("its_fit", "its_effect", "residual_acf",
                                                                "placebo", "break_dates")]
    # truth of the synthetic series: a 12-point jump in April 2018 (slp_eval.synthetic, truth.json)
    level = next(r for r in results["estimates"] if r["term"] == "level_change[2018-04]")
    assert level["ci_low"] < 12.0 < level["ci_high"]
    html = result.report.read_text()
    assert "SYNTHETIC DATA" in html and "Segmented regression estimates" in html
    assert "fit_its(" not in html and "report.header()" not in html
