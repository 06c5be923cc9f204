"""What the pre/post notebook shows beyond the generic report: the two windows as counted, the
monthly series with the windows shaded, and the limitations of a two-window comparison."""

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from slp_eval.params.prepost import PrepostParams
from slp_eval.prepost import MeanComparison, ProportionComparison, RateComparison

Comparison = ProportionComparison | RateComparison | MeanComparison


def windows(result: Comparison, params: PrepostParams) -> pd.DataFrame:
    """One row per window: its months, the count and denominator (or exposure, or n) compared."""
    spans = [f"{w.start} to {w.end}" if w.start != w.end else w.start for w in (params.before, params.after)]
    labels = [w.label or name for w, name in ((params.before, "before"), (params.after, "after"))]
    if isinstance(result, ProportionComparison):
        return pd.DataFrame({"window": labels, "months": spans, "people": [result.x1, result.x2],
                             "out of": [result.n1, result.n2],
                             "percent": [100 * result.p1, 100 * result.p2]})
    if isinstance(result, RateComparison):
        return pd.DataFrame({"window": labels, "months": spans, "count": [result.count1, result.count2],
                             "exposure": [result.exposure1, result.exposure2],
                             "rate": [result.rate1, result.rate2]})
    return pd.DataFrame({"window": labels, "months": spans, "months averaged": [result.n1, result.n2],
                         "mean": [result.mean1, result.mean2], "sd": [result.sd1, result.sd2]})


def count_columns(result: Comparison) -> list[str]:
    """The columns of `windows(result)` that count people or events (for disclosure control)."""
    if isinstance(result, ProportionComparison):
        return ["people", "out of"]
    if isinstance(result, RateComparison):
        return ["count"]
    return []


def series_plot(data: pd.DataFrame, params: PrepostParams) -> Figure:
    """The measure's monthly value over time, with the before and after windows shaded."""
    rows = data[(data["measure"] == params.measure) & (data["unit"] == params.unit)]
    rows = rows.assign(month=pd.PeriodIndex(rows["period"].astype(str), freq="M")).sort_values("month")
    times = rows["month"].dt.to_timestamp()
    fig, ax = plt.subplots(figsize=(7.5, 3.8), layout="constrained")
    ax.plot(times, rows["value"], color="#333333", marker="o", markersize=3, linewidth=1)
    for window, colour in ((params.before, "#4c72b0"), (params.after, "#dd8452")):
        start = pd.Period(window.start, freq="M").to_timestamp()
        end = (pd.Period(window.end, freq="M") + 1).to_timestamp()
        ax.axvspan(start, end, color=colour, alpha=0.25, label=window.label or window.start)
    ax.set_title(params.label or params.measure.replace("_", " "))
    ax.set_xlabel("Month")
    ax.set_ylabel(f"{params.measure} ({params.unit})")
    ax.legend(loc="best", frameon=False)
    return fig


def limitations(result: Comparison, params: PrepostParams, data: pd.DataFrame) -> list[str]:
    """What limits this two-window comparison, one sentence each."""
    items = ["A before/after comparison attributes every change between the windows to the programme, "
             "including any trend that was already under way: an interrupted time series of the same "
             "measure separates the two."]
    rows = data[(data["measure"] == params.measure) & (data["unit"] == params.unit)]
    if isinstance(result, ProportionComparison) and rows["denominator"].nunique() == 1:
        items.append(f"The denominator is {rows['denominator'].iloc[0]:,.0f} in every month: if it is an "
                     "assumed cohort size, the interval is only as right as the assumption.")
    if isinstance(result, ProportionComparison):
        items.append("Both windows describe largely the same cohort, but the comparison treats them as "
                     "independent samples; a paired analysis needs person-level data.")
    if isinstance(result, RateComparison) and params.dispersion == 1.0:
        items.append("Counts are compared as independent Poisson events (dispersion 1); bed days and "
                     "repeated placements of the same people are not independent, so the interval may "
                     "be too narrow.")
    return items


__all__ = ["count_columns", "limitations", "series_plot", "windows"]
