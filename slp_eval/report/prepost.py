"""What the pre/post notebook shows beyond the generic report: the answer box (verdict, effect
with its interval, main caveat), the two windows as counted, the monthly series with the windows
shaded, the comparison's estimates in plain words and units, and the limitations of a two-window
comparison.

Everything here that shows or writes a count does so under the run's disclosure rule
(`params.disclosure`): the sentence, the windows table (with each percentage or rate beside a
suppressed count suppressed too), the per-window rate estimates, results.json and the figure.
"""

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from slp_eval.disclosure import controlled_counts, controlled_shares, disclose_count, disclose_share
from slp_eval.params.prepost import PrepostParams
from slp_eval.prepost import MeanComparison, ProportionComparison, RateComparison, format_p
from slp_eval.report.disclose import control_fields
from slp_eval.report.tables import format_number
from slp_eval.report.tables import format_p as table_p

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
    ax.set_title(f"{_capital(measure_words(params))} ({params.unit})")
    ax.set_xlabel("Month")
    ax.set_ylabel(_axis_label(rows, params))
    ax.legend(loc="best", frameon=False)
    return fig


def _controlled_values(rows: pd.DataFrame, params: PrepostParams) -> np.ndarray:
    """Monthly values as the figure may show them: counts rounded or suppressed (NaN), shares in
    percent (as the tables and text print them), suppressed where the numerator or its complement
    is a suppressed count; means as they are."""
    kind = set(rows["measure_type"])
    if kind == {"count"}:
        return controlled_counts(rows["value"].to_numpy(float), params.disclosure)
    if kind == {"share"}:
        return controlled_shares(rows["numerator"], rows["denominator"], params.disclosure, 100.0)
    return rows["value"].to_numpy(float)


def _axis_label(rows: pd.DataFrame, params: PrepostParams) -> str:
    """The y axis in words with its unit: percent for shares, a count per month, or the mean."""
    kind = set(rows["measure_type"])
    words = _capital(measure_words(params))
    if kind == {"share"}:
        return f"{words} (%)"
    if kind == {"count"}:
        return f"{words} (count per month)"
    return words


def measure_words(params: PrepostParams) -> str:
    """The measure as the report names it: the parameter file's `label`, else the code in words."""
    return params.label or params.measure.replace("_", " ")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


#: Which limitation the answer box names as the main caveat, most important first: estimates from
#: counts small enough to suppress (the report must not be released unchecked), then an interval
#: that is too narrow (counts compared as independent Poisson events), then the design itself (no
#: counterfactual: any trend already under way is counted as the programme's effect), then an
#: assumed denominator, then independent samples of the same cohort.
CAVEAT_PRIORITY = ("output_check", "independent_events", "design", "denominator", "same_cohort")


def _ranked_limitations(result: Comparison, params: PrepostParams,
                        data: pd.DataFrame) -> list[tuple[str, str]]:
    """(key of `CAVEAT_PRIORITY`, sentence) for each limitation, in the order the report lists them."""
    items = [("design", "A before/after comparison attributes every change between the windows to the "
              "programme, including any trend that was already under way: an interrupted time series of "
              "the same measure separates the two.")]
    rows = data[(data["measure"] == params.measure) & (data["unit"] == params.unit)]
    if isinstance(result, ProportionComparison) and rows["denominator"].nunique() == 1:
        value = float(rows["denominator"].iloc[0])
        shown = disclose_count(value, params.disclosure)
        shown = (f"the same suppressed count ({shown})" if isinstance(shown, str)
                 else f"{shown:,}" + (" (rounded)" if shown != value else ""))
        items.append(("denominator", f"The denominator is {shown} in every month: if it is an "
                      "assumed cohort size, the interval is only as right as the assumption."))
    if isinstance(result, ProportionComparison):
        items.append(("same_cohort", "Both windows describe largely the same cohort, but the comparison "
                      "treats them as independent samples; a paired analysis needs person-level data."))
    if isinstance(result, RateComparison) and params.dispersion == 1.0:
        items.append(("independent_events", "Counts are compared as independent Poisson events "
                      "(dispersion 1); bed days and repeated placements of the same people are not "
                      "independent, so the interval may be too narrow."))
    rule = params.disclosure
    hidden = [v for v in _window_counts(result) if rule.hides(v)]
    if hidden:
        items.append(("output_check", "Counts in this comparison are small enough to be suppressed, but "
                      "the estimates are computed from the exact counts: a reader who combines the "
                      "difference or ratio with the (rounded) denominators can narrow the suppressed "
                      "counts down. Have the estimates output-checked before release (SACRO guidance "
                      "treats model outputs from very small counts as needing review)."))
    return items


def limitations(result: Comparison, params: PrepostParams, data: pd.DataFrame) -> list[str]:
    """What limits this two-window comparison, one sentence each."""
    return [text for _, text in _ranked_limitations(result, params, data)]


def main_caveat(result: Comparison, params: PrepostParams, data: pd.DataFrame) -> str:
    """The limitation the answer box names: the first of `limitations` in `CAVEAT_PRIORITY` order."""
    ranked = _ranked_limitations(result, params, data)
    return min(ranked, key=lambda item: CAVEAT_PRIORITY.index(item[0]))[1]


# -- the answer and the estimates in plain words ---------------------------------------------------
#: Plain names of the comparison's terms (`result.to_frame()["term"]`).
TERM_LABELS = {
    "difference": "Difference, after - before",
    "risk_ratio": "Risk ratio, after / before",
    "odds_ratio": "Odds ratio, after / before",
    "rate_ratio": "Rate ratio, after / before",
    "mean_difference": "Difference in means, after - before",
    "hodges_lehmann_shift": "Hodges-Lehmann shift (median of after - before differences)",
    "median_difference": "Difference in medians, after - before (bootstrap)",
}
#: The scale of each term's standard error, in words.
SE_SCALES = {"difference": "percentage points", "risk_ratio": "log risk ratio",
             "odds_ratio": "log odds ratio", "rate_ratio": "log rate ratio"}
#: Terms left out of the board table: each window's own rate (shown, controlled, in the windows
#: table; on its own it reads like an intercept, e.g. "0.001").
WINDOW_TERMS = frozenset({"rate_before", "rate_after"})


def effect_text(term: str, value: float, unit: str = "") -> str:
    """One estimate as the table, sentence and answer print it: a difference of proportions in
    percentage points to 1 decimal with its sign, a ratio to 2 decimals, a mean difference to 3
    significant digits with its sign."""
    if not np.isfinite(value):
        return "infinity" if value == np.inf else "undefined"
    if term in ("difference", "paired_difference"):
        return f"{100 * value:+.1f}"
    if term in SE_SCALES:
        return f"{value:.2f}"
    return f"{value:+.3g}" + (f" {unit}" if unit else "")


def board_estimates(result: Comparison, params: PrepostParams) -> pd.DataFrame:
    """The comparison's estimates as the report shows them: plain effect names, each estimate in
    the outcome's units (a difference of proportions in percentage points), its interval and p,
    and the standard error with the scale it is on named in a column of its own (the difference's
    in percentage points, a ratio's on the log scale). Each window's own rate is left out (it is
    in the windows table, under disclosure control)."""
    frame = result.to_frame()
    frame = frame[~frame["term"].isin(WINDOW_TERMS)]
    level = f"{100 * (1 - params.alpha):g}% CI"
    points = frame["term"].eq("difference")
    se = [format_number(100 * v if term == "difference" else v, 1 if term == "difference" else 3)
          for term, v in zip(frame["term"], frame["std_err"], strict=True)]
    return pd.DataFrame({
        "Effect": [TERM_LABELS.get(t, t.replace("_", " ")) for t in frame["term"]],
        "Estimate": [effect_text(t, v) for t, v in zip(frame["term"], frame["estimate"], strict=True)],
        level: [f"{effect_text(t, lo)} to {effect_text(t, hi)}"
                for t, lo, hi in zip(frame["term"], frame["ci_low"], frame["ci_high"], strict=True)],
        "Unit": np.where(points, "percentage points",
                         np.where(frame["term"].isin(SE_SCALES), "ratio", "")),
        "p": [table_p(v) for v in frame["p_value"]],
        "Std. error": se,
        "Std. error scale": [SE_SCALES.get(t, "as the estimate") if s else ""
                             for t, s in zip(frame["term"], se, strict=True)],
    }).reset_index(drop=True)


def answer(result: Comparison, params: PrepostParams, data: pd.DataFrame) -> dict[str, str]:
    """`Report.answer` arguments: the verdict in one plain sentence, the effect in the outcome's
    units with its interval (a difference in percentage points or a rate ratio; window figures
    under the run's disclosure rule, as `summary` prints them) and the main caveat
    (`main_caveat`)."""
    rule = params.disclosure
    what = measure_words(params)
    before = params.before.label or f"{params.before.start} to {params.before.end}"
    after = params.after.label or f"{params.after.start} to {params.after.end}"
    level = f"{100 * (1 - params.alpha):g}% CI"
    if isinstance(result, ProportionComparison):
        term, change, low, high = "difference", result.difference, result.ci_low, result.ci_high
        first, last = (_share_text(x, n, rule) for x, n in ((result.x1, result.n1), (result.x2, result.n2)))
        effect = (f"{effect_text(term, change)} percentage points ({level} {effect_text(term, low)} to "
                  f"{effect_text(term, high)}): from {first} to {last}.")
    elif isinstance(result, RateComparison):
        term, change, low, high = "rate_ratio", result.rate_ratio - 1, result.ci_low, result.ci_high
        effect = (f"Rate ratio {effect_text(term, result.rate_ratio)} ({level} {effect_text(term, low)} to "
                  f"{effect_text(term, high)}), a change of {result.percent_change:+.1f}% in the rate.")
    else:
        term, change = "mean_difference", result.difference
        effect = (f"Difference in means {effect_text(term, change, result.unit)} ({level} "
                  f"{effect_text(term, result.ci_low, result.unit)} to "
                  f"{effect_text(term, result.ci_high, result.unit)}).")
    p = format_p(result.p_value)
    if result.p_value < params.alpha:
        direction = "higher" if change > 0 else "lower"
        verdict = (f"Yes: the {what} was {direction} in the {after} than in the {before}, by more than "
                   f"chance alone would explain ({p}).")
    else:
        verdict = (f"No clear change: the {what} in the {after} is not distinguishable from the {before} "
                   f"({p}).")
    return {"verdict": _capital(verdict), "effect": _capital(effect),
            "caveat": main_caveat(result, params, data)}


def _share_text(x: float, n: float, rule: Any) -> str:
    shown = disclose_share(x, n, rule, 100.0)
    return shown if isinstance(shown, str) else f"{shown:.1f}%"


def _window_counts(result: Comparison) -> tuple[float, ...]:
    if isinstance(result, ProportionComparison):
        return (result.x1, result.x2, result.n1 - result.x1, result.n2 - result.x2)
    if isinstance(result, RateComparison):
        return (result.count1, result.count2)
    return ()


__all__ = ["CAVEAT_PRIORITY", "SE_SCALES", "TERM_LABELS", "answer", "board_estimates", "count_columns",
           "derived_columns", "effect_text", "estimates", "limitations", "main_caveat", "measure_words",
           "results_block", "series_plot", "summary", "table_arguments", "windows"]
