"""Shared pieces of the before/after comparisons: input checks (every message names the
function, the argument, the value and the rule broken) and the formatting of numbers,
p-values and counts (under disclosure control) in their sentences."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from slp_eval.disclosure import DisclosureRule, disclose_count, disclose_share
from slp_eval.errors import ModelInputError, ParameterError

__all__ = ["format_p"]


# ---------------------------------------------------------------------------------------------
# input checks: every message names the function, the argument, the value and the rule broken
# ---------------------------------------------------------------------------------------------
def _finite(func: str, name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ModelInputError(f"{func}: {name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ModelInputError(f"{func}: {name} = {number} is not a finite number")
    return number


def _count(func: str, name: str, value: object) -> int:
    number = _finite(func, name, value)
    if number < 0:
        raise ModelInputError(f"{func}: {name} = {value} is negative; counts cannot be negative")
    if number != int(number):
        raise ModelInputError(f"{func}: {name} = {value} is not a whole number; counts are integers")
    return int(number)


def _events_of(func: str, x_name: str, x: object, n_name: str, n: object) -> tuple[int, int]:
    events, total = _count(func, x_name, x), _count(func, n_name, n)
    if total == 0:
        raise ModelInputError(f"{func}: {n_name} = 0; a proportion needs a denominator of at least 1")
    if events > total:
        raise ModelInputError(
            f"{func}: {x_name} = {events} is larger than {n_name} = {total}; "
            "a count of events cannot exceed its denominator"
        )
    return events, total


def _exposure(func: str, name: str, value: object) -> float:
    number = _finite(func, name, value)
    if number <= 0:
        raise ModelInputError(f"{func}: {name} = {value} must be greater than 0")
    return number


def _alpha(func: str, alpha: object) -> float:
    number = _finite(func, "alpha", alpha)
    if not 0 < number < 1:
        raise ParameterError(f"{func}: alpha = {alpha} must be strictly between 0 and 1")
    return number


def _sample(func: str, name: str, values: object, minimum: int = 2) -> np.ndarray:
    try:
        array = None if isinstance(values, str) else np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        array = None
    if array is None or array.ndim != 1:
        raise ModelInputError(f"{func}: {name} must be a one-dimensional sequence of numbers")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise ModelInputError(
            f"{func}: {name}[{bad[0]}] = {array[bad[0]]} is not a finite number "
            f"({bad.size} such value(s)); remove or impute missing values explicitly"
        )
    if array.size < minimum:
        raise ModelInputError(f"{func}: {name} has {array.size} value(s); at least {minimum} needed")
    return array


# ---------------------------------------------------------------------------------------------
# shared formatting
# ---------------------------------------------------------------------------------------------
def _json(value: object) -> object:
    """Plain JSON value: numpy scalars -> Python, NaN/inf -> None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _frame_records(frame: pd.DataFrame) -> list[dict[str, object]]:
    return [{k: _json(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def format_p(p_value: float) -> str:
    """A p-value as a report prints it: ``p < 0.001``, ``p = 0.034``, ``p = 0.62``."""
    if not math.isfinite(p_value):
        return "p not available"
    if p_value < 0.001:
        return "p < 0.001"
    return f"p = {p_value:.3f}" if p_value < 0.1 else f"p = {p_value:.2f}"


def _n(count: float, rule: DisclosureRule | None) -> str:
    """A count for a sentence, under disclosure control when a rule is given."""
    shown = disclose_count(count, rule)
    return f"{shown:,}" if isinstance(shown, int) else str(shown)


def _percent(x: float, n: float, rule: DisclosureRule | None) -> str:
    """A window's percentage for a sentence; suppressed when it would give a suppressed count back."""
    shown = disclose_share(x, n, rule)
    return shown if isinstance(shown, str) else f"{shown:.1f}%"


def _g4(value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:.4g}"


def _level(alpha: float) -> str:
    return f"{100 * (1 - alpha):g}% CI"


def _verb(change: float) -> str:
    return "rose" if change > 0 else "fell" if change < 0 else "did not change"


def _ratio_text(value: float, low: float, high: float) -> str:
    def fmt(number: float) -> str:
        if math.isnan(number):
            return "undefined"
        return "infinity" if number == math.inf else f"{number:.2f}"

    return f"{fmt(value)} (CI {fmt(low)} to {fmt(high)})"
