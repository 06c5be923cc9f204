"""Disclosure control of what the ITS report shows of the series itself: whether the
outcome is built from counts, the observed values a figure may draw, and fitted totals
as a report may print them.
"""

from typing import Literal

import numpy as np
import pandas as pd

from slp_eval.disclosure import controlled_counts, disclose_count, disclose_ratio, disclose_share
from slp_eval.its import ITSResult
from slp_eval.params.its import ITSParams
from slp_eval.series import DERIVED

__all__ = ["controlled_observed", "count_kind"]


CountKind = Literal["count", "share", "rate"]


def count_kind(params: ITSParams, series: pd.DataFrame) -> CountKind | None:
    """Whether the modelled outcome is built from counts of people or events, and how.

    "share" / "rate": a derived outcome of DERIVED (numerator over denominator or exposure);
    "count": the values of a monthly_series count measure, or any outcome of a count family;
    None: a measure that is not a count (a mean distance, say), shown as it is.
    """
    if params.outcome in DERIVED:
        return "rate" if DERIVED[params.outcome][1] == "exposure" else "share"
    if "measure_type" in series.columns and set(series["measure_type"].dropna()) == {"count"}:
        return "count"
    return "count" if params.family in ("poisson", "quasipoisson", "negbin") else None


def _treated_rows(series: pd.DataFrame, params: ITSParams) -> pd.DataFrame:
    rows = series if params.group is None else series[series[params.group] == params.treated]
    return rows.assign(_period=rows[params.time].astype(str)).set_index("_period")


def controlled_observed(result: ITSResult, series: pd.DataFrame, params: ITSParams) -> np.ndarray | None:
    """The treated series' observed values as a figure may draw them, in the order of
    `result.counterfactual()`: counts rounded, NaN where suppressed; shares and rates NaN where
    they would give a suppressed count back. None when the outcome is not built from counts or the
    disclosure rule is not in effect (the exact values are then drawn)."""
    kind = count_kind(params, series)
    rule = params.disclosure
    if kind is None or not rule.in_effect:
        return None
    cf = result.counterfactual()
    if kind == "count":
        return controlled_counts(cf["observed"].to_numpy(float), rule)
    rows = _treated_rows(series, params).reindex(cf["period"].astype(str))
    top, bottom, scale = DERIVED[params.outcome]
    shown = []
    for x, n in zip(rows[top].to_numpy(float), rows[bottom].to_numpy(float), strict=True):
        value = disclose_share(x, n, rule, scale) if kind == "share" else disclose_ratio(x, n, rule)
        shown.append(np.nan if isinstance(value, str) else value)
    return np.asarray(shown, dtype=float)


def _total(value: float, params: ITSParams) -> int | str:
    """A fitted total that equals an observed total, as a report may show it."""
    return disclose_count(round(float(value)), params.disclosure)


def _constant(value: float, params: ITSParams) -> str:
    """A count repeated in every period, for a sentence, under the disclosure rule."""
    shown = disclose_count(value, params.disclosure)
    if isinstance(shown, str):
        return f"the same suppressed count ({shown})"
    return f"{shown:,}" + (" (rounded)" if shown != value else "")
