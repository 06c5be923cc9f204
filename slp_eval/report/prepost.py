"""What the pre/post notebook shows beyond the generic report: the two windows as counted, the
monthly series with the windows shaded, and the limitations of a two-window comparison.

Everything here that shows or writes a count does so under the run's disclosure rule
(`params.disclosure`): the sentence, the windows table (with each percentage or rate beside a
suppressed count suppressed too), the per-window rate estimates, results.json and the figure.
"""

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from slp_eval.disclosure import controlled_counts, controlled_shares, disclose_count
from slp_eval.params.prepost import PrepostParams
from slp_eval.prepost import MeanComparison, ProportionComparison, RateComparison
from slp_eval.report.disclose import control_fields

Comparison = ProportionComparison | RateComparison | MeanComparison


def windows(result: Comparison, params: PrepostParams) -> pd.DataFrame:
    """One row per window: its months, the count and denominator (or exposure, or n) compared."""
    spans = [f"{w.start} to {w.end}" if w.start != w.end else w.start for w in (params.before, params.after)]
    labels = [w.label or name for w, name in ((params.before, "before"), (params.after, "after"))]
    if isinstance(result, ProportionComparison):
        return pd.DataFrame({"window": labels, "months": spans, "people": [result.x1, result.x2],
                             "others": [result.n1 - result.x1, result.n2 - result.x2],
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
        return ["people", "others", "out of"]
    if isinstance(result, RateComparison):
        return ["count"]
    return []


def derived_columns(result: Comparison) -> dict[str, list[str]]:
    """Columns of `windows(result)` computed from a count of the same row (suppressed with it)."""
    if isinstance(result, ProportionComparison):
        return {"percent": ["people", "others", "out of"]}
    if isinstance(result, RateComparison):
        return {"rate": ["count"]}
    return {}


def table_arguments(result: Comparison) -> dict[str, Any]:
    """`Report.table` arguments for `windows(result)`: its count columns, whether they add up
    across a row (people + others = out of, so a small "others" is protected like a small "people"),
    and the columns suppressed with them."""
    return {"counts": count_columns(result), "additive_rows": isinstance(result, ProportionComparison),
            "derived": derived_columns(result)}


def summary(result: Comparison, params: PrepostParams) -> str:
    """The result's sentence with its counts under the run's disclosure rule, for `Report.text`
    (Markdown): a suppression symbol that is Markdown syntax ("*") is escaped so it shows."""
    symbol = params.disclosure.symbol
    text = result.summary(rule=params.disclosure)
    return text.replace(symbol, "".join(f"\\{c}" if c in MARKDOWN_SPECIAL else c for c in symbol))


#: Characters Markdown may read as syntax (CommonMark's backslash-escapable ASCII punctuation).
MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!<>|~")


def _hidden_windows(result: Comparison, params: PrepostParams) -> tuple[bool, bool]:
    """Whether each window's rate estimate would give a suppressed count back."""
    rule = params.disclosure
    if not isinstance(result, RateComparison):
        return False, False
    return rule.hides(result.count1), rule.hides(result.count2)


def estimates(result: Comparison, params: PrepostParams, *, for_json: bool = False) -> pd.DataFrame:
    """`result.to_frame()` with each window's own rate (rate_before, rate_after) suppressed when its
    count is: a rate and its exact Poisson interval each give the count back. Contrasts (ratios,
    differences) are estimates and are shown as computed. ``for_json`` writes None (and
    ``suppressed: true``) where the report shows the symbol."""
    frame = result.to_frame()
    hidden = dict(zip(("rate_before", "rate_after"), _hidden_windows(result, params), strict=True))
    mask = frame["term"].map(lambda term: hidden.get(term, False)).astype(bool)
    if not mask.any():
        return frame
    frame = frame.astype({c: object for c in ("estimate", "std_err", "ci_low", "ci_high")})
    value = None if for_json else params.disclosure.symbol
    frame.loc[mask, ["estimate", "ci_low", "ci_high"]] = value
    frame.loc[mask, "std_err"] = None
    if for_json:
        frame["suppressed"] = mask
    return frame


def results_block(result: Comparison, params: PrepostParams) -> dict[str, Any]:
    """The `prepost` block of results.json with its counts controlled (exact values go only to the
    not-for-release file, see `slp_eval.report.disclose.write_exact`)."""
    rule = params.disclosure
    block = result.to_dict()
    if isinstance(result, ProportionComparison):
        block.update(p1=result.p1, p2=result.p2)
        block = control_fields(block, rule, counts=("x1", "n1", "x2", "n2"),
                               shares={"p1": ("x1", "n1", 1.0), "p2": ("x2", "n2", 1.0)})
        for x, n in (("x1", "n1"), ("x2", "n2")):  # x beside n gives the complement n - x back
            if rule.hides(getattr(result, n) - getattr(result, x)):
                block[x] = rule.symbol
    elif isinstance(result, RateComparison):
        block = control_fields(block, rule, counts=("count1", "count2"),
                               ratios={"rate1": ("count1", "exposure1"), "rate2": ("count2", "exposure2")})
    elif isinstance(result, MeanComparison):
        block = control_fields(block, rule, counts=("n1", "n2"))
    block["estimates"] = estimates(result, params, for_json=True).to_dict(orient="records")
    return block


def series_plot(data: pd.DataFrame, params: PrepostParams) -> Figure:
    """The measure's monthly value over time, with the before and after windows shaded."""
    rows = data[(data["measure"] == params.measure) & (data["unit"] == params.unit)]
    rows = rows.assign(month=pd.PeriodIndex(rows["period"].astype(str), freq="M")).sort_values("month")
    times = rows["month"].dt.to_timestamp()
    values = _controlled_values(rows, params)
    fig, ax = plt.subplots(figsize=(7.5, 3.8), layout="constrained")
    ax.plot(times, values, color="#333333", marker="o", markersize=3, linewidth=1)
    suppressed = np.isnan(values) & rows["value"].notna().to_numpy()
    if suppressed.any():  # where, never what: a mark on the axis, no value
        ax.plot(times[suppressed], np.full(int(suppressed.sum()), 0.02), linestyle="none", marker="x",
                color="#b00020", transform=ax.get_xaxis_transform(),
                label=f"suppressed ({params.disclosure.suppress_min}-{params.disclosure.suppress_max})")
    for window, colour in ((params.before, "#4c72b0"), (params.after, "#dd8452")):
        start = pd.Period(window.start, freq="M").to_timestamp()
        end = (pd.Period(window.end, freq="M") + 1).to_timestamp()
        ax.axvspan(start, end, color=colour, alpha=0.25, label=window.label or window.start)
    ax.set_title(params.label or params.measure.replace("_", " "))
    ax.set_xlabel("Month")
    ax.set_ylabel(f"{params.measure} ({params.unit})")
    ax.legend(loc="best", frameon=False)
    return fig


def _controlled_values(rows: pd.DataFrame, params: PrepostParams) -> np.ndarray:
    """Monthly values as the figure may show them: counts rounded or suppressed (NaN), shares
    suppressed where the numerator or its complement is a suppressed count; means as they are."""
    kind = set(rows["measure_type"])
    if kind == {"count"}:
        return controlled_counts(rows["value"].to_numpy(float), params.disclosure)
    if kind == {"share"}:
        scale = 1.0 if rows["value"].max() <= 1 else 100.0
        return controlled_shares(rows["numerator"], rows["denominator"], params.disclosure, scale)
    return rows["value"].to_numpy(float)


def limitations(result: Comparison, params: PrepostParams, data: pd.DataFrame) -> list[str]:
    """What limits this two-window comparison, one sentence each."""
    items = ["A before/after comparison attributes every change between the windows to the programme, "
             "including any trend that was already under way: an interrupted time series of the same "
             "measure separates the two."]
    rows = data[(data["measure"] == params.measure) & (data["unit"] == params.unit)]
    if isinstance(result, ProportionComparison) and rows["denominator"].nunique() == 1:
        value = float(rows["denominator"].iloc[0])
        shown = disclose_count(value, params.disclosure)
        shown = (f"the same suppressed count ({shown})" if isinstance(shown, str)
                 else f"{shown:,}" + (" (rounded)" if shown != value else ""))
        items.append(f"The denominator is {shown} in every month: if it is an "
                     "assumed cohort size, the interval is only as right as the assumption.")
    if isinstance(result, ProportionComparison):
        items.append("Both windows describe largely the same cohort, but the comparison treats them as "
                     "independent samples; a paired analysis needs person-level data.")
    if isinstance(result, RateComparison) and params.dispersion == 1.0:
        items.append("Counts are compared as independent Poisson events (dispersion 1); bed days and "
                     "repeated placements of the same people are not independent, so the interval may "
                     "be too narrow.")
    rule = params.disclosure
    hidden = [v for v in _window_counts(result) if rule.hides(v)]
    if hidden:
        items.append("Counts in this comparison are small enough to be suppressed, but the estimates are "
                     "computed from the exact counts: a reader who combines the difference or ratio with the "
                     "(rounded) denominators can narrow the suppressed counts down. Have the estimates "
                     "output-checked before release (SACRO guidance treats model outputs from very small "
                     "counts as needing review).")
    return items


def _window_counts(result: Comparison) -> tuple[float, ...]:
    if isinstance(result, ProportionComparison):
        return (result.x1, result.x2, result.n1 - result.x1, result.n2 - result.x2)
    if isinstance(result, RateComparison):
        return (result.count1, result.count2)
    return ()


__all__ = ["count_columns", "derived_columns", "estimates", "limitations", "results_block", "series_plot",
           "summary", "table_arguments", "windows"]
