"""The package's registries, each written once, so that adding an analysis kind or a module
(`docs/extending.md`) edits no list anywhere else (not the Makefile, not a test):

- analysis kinds: `slp_eval.params.KINDS` (kind -> parameter model, notebook); the CLI, the JSON
  Schema, the templates, the notebook checks and the tests read it from there;
- documented modules: `documented_modules()`, found here from the package itself; `make docs`
  gives them to pdoc (pdoc hides submodules that a package's `__all__` does not list).
"""

import pkgutil
from pathlib import Path

#: Public modules left out of the API reference: the command line, documented by `slp-eval --help`.
UNDOCUMENTED: tuple[str, ...] = ("slp_eval.cli",)


def documented_modules() -> list[str]:
    """`slp_eval` and each of its public modules and subpackages (names not starting with `_`),
    in name order, without `UNDOCUMENTED`."""
    package = Path(__file__).resolve().parent
    found = [f"slp_eval.{m.name}" for m in pkgutil.iter_modules([str(package)]) if not m.name.startswith("_")]
    return ["slp_eval", *sorted(name for name in found if name not in UNDOCUMENTED)]


__all__ = ["UNDOCUMENTED", "documented_modules"]
