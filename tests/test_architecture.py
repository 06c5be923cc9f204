"""The house's import structure, read statically from the source (ast), as
/work/shared/notes/architecture.md lays it out: no import circle, figures never loaded by the
statistics at import time, and the statistics never reaching the runner's layer.

Two graphs of `slp_eval`'s own modules are built from every import statement:

- the *runtime* graph: imports Python executes, at module level or inside a function (a
  result's `.plot()` importing its figure lazily is an edge), but not those under
  `if TYPE_CHECKING:`;
- the *static* graph: imports at module level, those under `if TYPE_CHECKING:` included (a
  figure module naming the result type it draws is an edge), but not lazy imports inside a
  function.

Neither may have a cycle. The one shape the house allows is the pair `.plot()` (statistics ->
figure, lazily) and the figure's type hint (figure -> statistics, type checking only): it is an
edge of one graph each, so neither graph closes a circle.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "slp_eval"

#: Known remaining circles, as edges (importer, imported) whose removal breaks them; each entry
#: is owned by someone and goes when they mend it. Empty: the house has no circle.
KNOWN_CYCLE_EDGES: frozenset[tuple[str, str]] = frozenset()

#: The statistics (modules, or packages with every module under them) and the runner's layers
#: they must not import: the parameter files' models, the runner, the results format, the report.
STATISTICS = ("slp_eval.its", "slp_eval.prepost", "slp_eval.scorecard", "slp_eval.power",
              "slp_eval.disclosure")
RUNNER_LAYERS = ("slp_eval.params", "slp_eval.runner", "slp_eval.results", "slp_eval.report")


def _within(module: str, names: tuple[str, ...]) -> bool:
    return any(module == name or module.startswith(f"{name}.") for name in names)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.Module) -> list[tuple[ast.Import | ast.ImportFrom, bool, bool]]:
    """Every import with (under TYPE_CHECKING, inside a function)."""
    found: list[tuple[ast.Import | ast.ImportFrom, bool, bool]] = []

    def visit(node: ast.AST, typing_only: bool, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.append((child, typing_only, lazy))
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    visit(ast.Module(body=[stmt], type_ignores=[]), True, lazy)
                for stmt in child.orelse:
                    visit(ast.Module(body=[stmt], type_ignores=[]), typing_only, lazy)
            else:
                inner = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
                visit(child, typing_only, lazy or inner)

    visit(tree, False, False)
    return found


def _targets(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool,
             modules: dict[str, Path]) -> set[str]:
    """The slp_eval modules an import statement loads: the named module (or, for
    `from package import name`, the submodule `name` when there is one), and every package
    above it that the importer is not itself inside (Python runs those `__init__`s too)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            anchor = importer.split(".") if is_package else importer.split(".")[:-1]
            anchor = anchor[: len(anchor) - node.level + 1]
            base = ".".join([*anchor, base] if base else anchor)
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
    out = set()
    for name in names:
        if not name.startswith("slp_eval."):
            continue
        parts = name.split(".")
        for i in range(2, len(parts) + 1):
            target = ".".join(parts[:i])
            inside = importer == target or importer.startswith(target + ".")
            if target in modules and target != importer and (i == len(parts) or not inside):
                out.add(target)
    return out


def import_graphs() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(runtime, static) graphs: module -> the slp_eval modules it imports."""
    modules = _modules()
    runtime: dict[str, set[str]] = {m: set() for m in modules}
    static: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, typing_only, lazy in _imports(tree):
            targets = _targets(node, name, path.name == "__init__.py", modules)
            if not typing_only:
                runtime[name] |= targets
            if not lazy:
                static[name] |= targets
    return runtime, static


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    trimmed = {m: {t for t in deps if (m, t) not in KNOWN_CYCLE_EDGES} for m, deps in graph.items()}
    try:
        TopologicalSorter(trimmed).prepare()
    except CycleError as error:
        return list(error.args[1])
    return None


def test_the_graph_sees_the_imports_it_should() -> None:
    """The graphs are not empty by accident: known edges of each kind are present."""
    runtime, static = import_graphs()
    assert "slp_eval.plots.its" in runtime["slp_eval.its.result"]  # .plot(), lazily
    assert "slp_eval.plots.its" not in static["slp_eval.its.result"]
    assert "slp_eval.its.result" in static["slp_eval.plots.its"]  # type hint only
    assert "slp_eval.its.result" not in runtime["slp_eval.plots.its"]
    assert "slp_eval.prepost.proportions" in runtime["slp_eval.prepost"]
    # `from slp_eval.its.result import ...` outside the package runs slp_eval/its/__init__.py too
    assert {"slp_eval.its", "slp_eval.its.result"} <= static["slp_eval.plots.its"]
    # ... but not from inside it, where the package is already being imported
    assert "slp_eval.its" not in runtime["slp_eval.its.fit"]


@pytest.mark.parametrize("kind", ["runtime", "static"])
def test_no_import_cycle(kind: str) -> None:
    runtime, static = import_graphs()
    cycle = _cycle(runtime if kind == "runtime" else static)
    assert cycle is None, f"import cycle in the {kind} graph: {' -> '.join(cycle or [])}"


def test_known_cycle_edges_are_still_needed() -> None:
    """Each listed exception still closes a circle; once it does not, delete it from the list."""
    runtime, static = import_graphs()
    for edge in KNOWN_CYCLE_EDGES:
        assert any(edge[1] in graph.get(edge[0], set()) for graph in (runtime, static)), (
            f"{edge} is no longer imported: remove it from KNOWN_CYCLE_EDGES")


def test_figures_import_results_only_for_type_checking() -> None:
    """plots/ reads result objects it is handed: at runtime a figure module imports only other
    figure modules and the errors; the result types it names are imported for type checking."""
    runtime, _ = import_graphs()
    allowed = {"slp_eval.errors", "slp_eval.plots"}
    offences = [f"{module} imports {target}" for module in sorted(runtime)
                if module.startswith("slp_eval.plots.")
                for target in sorted(runtime[module])
                if target not in allowed and not target.startswith("slp_eval.plots.")]
    assert not offences, "; ".join(offences)


def test_statistics_import_figures_only_inside_plot_methods() -> None:
    """No statistics module imports a figure module at import time (`.plot()` does it lazily)."""
    _, static = import_graphs()
    offences = [f"{module} imports {target}" for module in sorted(static)
                if _within(module, (*STATISTICS, "slp_eval.spc"))
                for target in sorted(static[module]) if _within(target, ("slp_eval.plots",))]
    assert not offences, "; ".join(offences)


def test_statistics_do_not_import_the_runners_layer() -> None:
    """The statistics take plain values: no import (at runtime, lazily or for type checking) of
    the parameter models, the runner, the results format or the report."""
    runtime, static = import_graphs()
    offences = [f"{module} imports {target}" for module in sorted(runtime)
                if _within(module, STATISTICS)
                for target in sorted(runtime[module] | static[module])
                if _within(target, RUNNER_LAYERS)]
    assert not offences, "; ".join(offences)


def test_importing_its_does_not_load_matplotlib() -> None:
    code = "import sys, slp_eval.its; assert 'matplotlib' not in sys.modules, 'matplotlib loaded'"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
