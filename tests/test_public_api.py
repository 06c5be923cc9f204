"""Every documented module (`slp_eval.registry.documented_modules()`, which the Makefile's
DOC_MODULES calls) declares `__all__`, every name in it
exists, and every public class and function the module defines is in it (tab completion and
`from m import *` show the API, not its imports)."""

from __future__ import annotations

import importlib
import inspect

import pytest

from slp_eval.registry import documented_modules


def _doc_modules() -> list[str]:
    return list(documented_modules())


def test_doc_modules_are_listed() -> None:
    modules = _doc_modules()
    assert "slp_eval.prepost" in modules and "slp_eval.its" in modules and len(modules) > 10


@pytest.mark.parametrize("name", [*_doc_modules(), "slp_eval.its.result",
                                  "slp_eval.its.sensitivity", "slp_eval.tidy",
                                  "slp_eval.plots.its", "slp_eval.plots.forest",
                                  "slp_eval.plots.spc", "slp_eval.plots.style", "slp_eval.plots.funnel",
                                  "slp_eval.spc.xmr", "slp_eval.spc.attribute", "slp_eval.spc.run_chart",
                                  "slp_eval.spc.runs", "slp_eval.spc.funnel", "slp_eval.spc.summary",
                                  "slp_eval.spc.common"])
def test_module_declares_all_and_every_name_exists(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert isinstance(exported, list | tuple) and exported, f"{name} has no __all__"
    assert len(set(exported)) == len(exported), f"{name}.__all__ repeats a name"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names {missing}, which the module does not have"
    defined = [n for n, obj in vars(module).items()
               if not n.startswith("_") and (inspect.isclass(obj) or inspect.isfunction(obj))
               and obj.__module__ == name]
    unlisted = [n for n in defined if n not in exported]
    assert not unlisted, f"{name} defines {unlisted} but leaves them out of __all__"
