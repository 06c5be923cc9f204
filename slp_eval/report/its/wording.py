"""Units and plain labels: numbers in the outcome's units, axis labels, interruption names
and model terms in words.
"""


import numpy as np
import pandas as pd

from slp_eval.its import ITSResult
from slp_eval.its.text import unit_name
from slp_eval.params.its import ITSParams
from slp_eval.report.its.controlled import count_kind

__all__ = [
    "interruption_name", "level_axis_label", "level_suffix", "quantity", "term_label", "unit_suffix",
    "whole_numbers", "with_unit",
]


_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]


def whole_numbers(params: ITSParams, series: pd.DataFrame) -> bool:
    """Whether the outcome is a count of people, events or days, shown without decimals."""
    return count_kind(params, series) == "count"


def quantity(value: float, params: ITSParams, series: pd.DataFrame, *, signed: bool = False,
             digits: int = 2) -> str:
    """A value in the outcome's units as every table, sentence and figure label of the report
    prints it: counts whole with thousands separators (-52,595), other outcomes to `digits`
    decimals; `signed` puts + before a positive value."""
    if value is None or not np.isfinite(value):
        return ""
    d = 0 if whole_numbers(params, series) else digits
    return f"{value:{'+' if signed else ''},.{d}f}"


def with_unit(text: str, params: ITSParams) -> str:
    """"-8.21 percentage points": a formatted number and the outcome's unit, if one is set."""
    return f"{text} {params.outcome_unit}" if params.outcome_unit and text else text


def unit_suffix(params: ITSParams) -> str:
    """" (bed days)" for a column heading or axis label; "" without an `outcome_unit`."""
    return f" ({params.outcome_unit})" if params.outcome_unit else ""


def level_suffix(params: ITSParams) -> str:
    """" (%)" for the levels of a percent outcome, whose changes are in percentage points;
    otherwise `unit_suffix`."""
    return " (%)" if params.outcome == "percent" else unit_suffix(params)


def level_axis_label(result: ITSResult, params: ITSParams) -> str:
    """The fit figure's y axis: the outcome's unit ("bed days"; "percent" for a percent outcome,
    whose changes are in percentage points), else the outcome in words (the title names it)."""
    if params.outcome == "percent":
        return "percent"
    return params.outcome_unit or result.spec.outcome_name


def interruption_name(result: ITSResult, params: ITSParams, index: int = 0) -> str:
    """"2018-04 (Complex Care Programme starts)": the period, with its plain name if given."""
    label = result.interruptions[index].label
    names = params.interruption_labels
    return f"{label} ({names[index]})" if names else label


def term_label(term: str, result: ITSResult, params: ITSParams) -> str:
    """The plain words for a model term (results.json keeps the code names):
    `level_change[2018-04]` -> "Change in level at 2018-04 (Complex Care Programme starts)"."""
    unit = unit_name(result)
    first = str(result.counterfactual()["period"].iloc[0])
    names = {k.label: interruption_name(result, params, i) for i, k in enumerate(result.interruptions)}
    prefix, _, bare = term.rpartition(":")
    who = {"": "Comparison units: " if result.controlled else "",
           "group": f"Difference ({result.spec.treated} minus comparison): "}.get(prefix)
    if term == "group":
        return f"Difference ({result.spec.treated} minus comparison): level at {first}"
    if who is None:
        return term
    base, _, inside = bare.partition("[")
    inside = inside.rstrip("]")
    if bare == "intercept":
        text = f"Level at {first} (intercept)"
    elif bare == "trend":
        text = f"Trend before {names[result.interruptions[0].label]}, per {unit}"
    elif base == "level_change" and inside in names:
        text = f"Change in level at {names[inside]}"
    elif base == "trend_change" and inside in names:
        text = f"Change in trend at {names[inside]}, per {unit}"
    elif base == "month" and inside.isdigit():
        text = f"{_MONTHS[int(inside) - 1]} (against January)"
    else:
        return term
    return who + (text[0].lower() + text[1:] if who else text)
