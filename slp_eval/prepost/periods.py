"""A before and an after window of one measure of a ``monthly_series`` frame, compared with
the comparison its ``measure_type`` calls for: `compare_periods`."""

from __future__ import annotations

from typing import Literal

import pandas as pd

from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.prepost.means import MeanComparison, compare_means
from slp_eval.prepost.proportions import ProportionComparison, ProportionMethod, compare_proportions
from slp_eval.prepost.rates import RateComparison, compare_rates

__all__ = ["PeriodComparison", "WindowSummary", "compare_periods"]


PeriodComparison = Literal["auto", "proportions", "rates", "means"]
WindowSummary = Literal["auto", "sum", "last"]
_SERIES_COLUMNS = ("period", "unit", "measure", "numerator", "denominator", "exposure")


def _window(
    func: str, series: pd.DataFrame, name: str, window: tuple[str, str], expected: int
) -> pd.DataFrame:
    start, end = (pd.Period(p, freq="M") for p in window)
    rows = series[(series["_month"] >= start) & (series["_month"] <= end)]
    if rows.empty:
        raise ModelInputError(f"{func}: no rows in the {name} window {window[0]} to {window[1]}")
    if len(rows) < expected:
        found = sorted(str(p) for p in rows["_month"])
        raise ModelInputError(
            f"{func}: the {name} window {window[0]} to {window[1]} has {len(rows)} of its "
            f"{expected} months ({', '.join(found)}); fill or shorten the window"
        )
    return rows


def compare_periods(
    frame: pd.DataFrame,
    *,
    measure: str,
    unit: str,
    before: tuple[str, str],
    after: tuple[str, str],
    comparison: PeriodComparison = "auto",
    window_summary: WindowSummary = "auto",
    method: ProportionMethod = "newcombe",
    dispersion: float = 1.0,
    alpha: float = 0.05,
    label: str | None = None,
    n_boot: int = 2000,
    seed: int = 20180401,
) -> ProportionComparison | RateComparison | MeanComparison:
    """Compare a before window with an after window of one measure in a ``monthly_series`` frame.

    ``before`` and ``after`` are ``(first month, last month)`` as ``"YYYY-MM"``, inclusive.
    ``comparison="auto"`` follows ``measure_type``: ``share`` -> `compare_proportions`,
    ``count`` -> `compare_rates`, ``mean``/``median`` -> `compare_means` of the monthly values.

    How each window becomes one number (``window_summary``): ``"last"`` takes the window's last
    month (the default for shares: a month-end census counts the same people every month, so
    adding months would count them again); ``"sum"`` adds numerators, denominators and
    exposures over the window (the default for counts; a count without exposure gets one unit of
    exposure per month). For ``"means"`` every month's ``value`` is one observation (the unit of
    analysis is the month).
    """
    func = "compare_periods"
    missing = [c for c in (*_SERIES_COLUMNS, "measure_type", "value") if c not in frame.columns]
    if missing:
        raise ModelInputError(
            f"{func}: the frame has no column(s) {', '.join(missing)}; it must be a "
            "monthly_series table"
        )
    series = frame[(frame["measure"] == measure) & (frame["unit"] == unit)].copy()
    if series.empty:
        raise ModelInputError(f"{func}: no rows for measure {measure!r} and unit {unit!r}")
    series["_month"] = pd.PeriodIndex(series["period"].astype(str), freq="M")
    windows = {}
    for name, window in (("before", before), ("after", after)):
        first, last = (pd.Period(p, freq="M") for p in window)
        if last < first:
            raise ParameterError(f"{func}: the {name} window ends ({window[1]}) before it starts "
                                 f"({window[0]})")
        windows[name] = (window, (last - first).n + 1)
    if pd.Period(after[0], freq="M") <= pd.Period(before[1], freq="M"):
        raise ParameterError(f"{func}: the after window ({after[0]} to {after[1]}) must start "
                             f"after the before window ends ({before[1]})")
    rows = {name: _window(func, series, name, w, n) for name, (w, n) in windows.items()}
    kinds = set(series["measure_type"])
    if comparison == "auto":
        auto = {"share": "proportions", "count": "rates", "mean": "means", "median": "means"}
        if len(kinds) != 1 or next(iter(kinds)) not in auto:
            raise ModelInputError(f"{func}: cannot choose a comparison for measure_type "
                                  f"{sorted(kinds)}; set comparison explicitly")
        comparison = auto[next(iter(kinds))]  # type: ignore[assignment]
    wording = label or measure.replace("_", " ")
    if comparison == "means":
        return compare_means(rows["before"]["value"].to_numpy(float),
                             rows["after"]["value"].to_numpy(float), alpha=alpha, n_boot=n_boot,
                             seed=seed, label=wording)
    summary = window_summary
    if summary == "auto":
        summary = "last" if comparison == "proportions" else "sum"

    def collapse(part: pd.DataFrame, column: str) -> float:
        values = part.sort_values("_month")[column]
        if values.isna().any():
            month = part.loc[values.isna(), "period"].iloc[0]
            raise ModelInputError(f"{func}: {column} is missing for {measure!r} in {month}; "
                                  f"a {comparison} comparison needs it in every month used")
        return float(values.iloc[-1] if summary == "last" else values.sum())

    if comparison == "proportions":
        counts = [(collapse(rows[n], "numerator"), collapse(rows[n], "denominator"))
                  for n in ("before", "after")]
        return compare_proportions(counts[0][0], counts[0][1], counts[1][0], counts[1][1],
                                   method=method, alpha=alpha, label=wording)
    if comparison != "rates":
        raise ParameterError(f"{func}: comparison = {comparison!r} is not one of auto, "
                             "proportions, rates, means")
    totals = []
    for name in ("before", "after"):
        part = rows[name] if summary == "sum" else rows[name].sort_values("_month").iloc[-1:]
        exposure = (float(len(part)) if part["exposure"].isna().all()
                    else collapse(part, "exposure"))
        totals.append((collapse(part, "numerator"), exposure))
    return compare_rates(totals[0][0], totals[0][1], totals[1][0], totals[1][1], alpha=alpha,
                         label=wording, dispersion=dispersion)
