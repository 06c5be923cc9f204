"""Stopping a notebook at its first cell with one clear paragraph instead of a traceback.

IPython renders an exception through its `_render_traceback_()` when the exception has one;
we attach one to the library's own error (same class, same message), so a script still catches
`ParameterError` or `DataValidationError`, papermill still marks the run failed, and a person
sees only what to fix.
"""

from typing import NoReturn

from slp_eval.errors import SlpEvalError

_ADVICE = {
    "ParameterError": "Fix the parameter file (or the `params` cell) and run the notebook again.",
    "DataValidationError": "Fix the data file (or point `data.path` at the right one) and run again; "
    "`slp-eval validate FILE --dataset NAME` lists every problem.",
}


def stop(error: SlpEvalError, *, cell: str = "the parameters check") -> NoReturn:
    """Re-raise `error` so the notebook shows only its message, under a one-line heading."""
    kind = type(error).__name__
    advice = _ADVICE.get(kind, "Nothing after this cell has run.")
    lines = [
        f"{kind}: the notebook stopped at {cell}; nothing after it has run.",
        *str(error).splitlines(),
        advice,
    ]
    error._render_traceback_ = lambda: lines  # type: ignore[attr-defined]
    raise error from None


__all__ = ["stop"]
