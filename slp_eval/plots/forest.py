"""Forest plot: one row per claim or outcome, its estimate and confidence interval, grouped in
panels by the kind of effect (each panel has its own scale and line of no change).

Reads a tidy estimates frame (``term``, ``estimate``, ``ci_low``, ``ci_high`` and a label column)
and returns a matplotlib `Figure` built with the object API (no pyplot state is left open).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

from slp_eval.errors import ModelInputError
from slp_eval.plots.style import Colors, finish

__all__ = ["AXIS_LABELS", "DEFAULT_COLOUR", "POINT_TERMS", "RATIO_TERMS", "VERDICT_COLOURS",
           "forest_plot"]

#: Effects on a ratio scale: drawn on a log axis with the no-change line at 1.
RATIO_TERMS = frozenset({"rate_ratio", "risk_ratio", "odds_ratio"})
#: Differences of proportions: drawn in percentage points.
POINT_TERMS = frozenset({"difference", "paired_difference"})
AXIS_LABELS = {
    "difference": "Change (percentage points)",
    "paired_difference": "Change, same people (percentage points)",
    "rate_ratio": "Rate ratio, after / before (log scale)",
    "risk_ratio": "Risk ratio, after / before (log scale)",
    "odds_ratio": "Odds ratio, after / before (log scale)",
    "mean_difference": "Difference in means, after - before",
    "percent_change": "Change (%)",
}
VERDICT_COLOURS = {
    "supported": "#1b7837",
    "not distinguishable from no change": "#4d4d4d",
    "contradicted: the change went the other way": "#b2182b",
}
DEFAULT_COLOUR = "#2166ac"


def _scaled(frame: pd.DataFrame, term: str) -> pd.DataFrame:
    columns = ["estimate", "ci_low", "ci_high"]
    out = frame.copy()
    if term in POINT_TERMS:
        out[columns] = out[columns] * 100
    return out


def forest_plot(
    frame: pd.DataFrame,
    *,
    label: str = "term",
    group: str = "term",
    title: str | None = None,
    width: float = 8.0,
    xlabel: str | None = None,
    ylabel: str | None = None,
    colors: Colors = None,
    digits: Mapping[str, int] | None = None,
    ratio_groups: Collection[str] = (),
    summary_rows: Collection[str] = (),
) -> Figure:
    """Estimates with intervals, one row per line of ``frame``, one panel per value of ``group``.

    Rows without a finite estimate and interval are left out (an untestable claim has nothing to
    draw). Ratio terms are drawn on a log axis with a line at 1, other terms with a line at 0;
    proportion differences in percentage points. A ``verdict`` column, if present, colours the
    rows. The estimate and interval are printed at the right of each row. ``xlabel`` and
    ``ylabel`` replace every panel's axis labels; ``colors`` maps "estimate" (rows without a
    verdict) or a verdict to a colour. ``digits`` maps a group to the decimals of its printed
    intervals (default 2 for ratios, 1 otherwise); groups in ``ratio_groups`` are drawn as ratio
    terms (log axis, line at 1) whatever their name. Rows whose label is in ``summary_rows``
    (pooled estimates) are drawn as black diamonds below a rule.
    """
    missing = [c for c in (label, group, "estimate", "ci_low", "ci_high") if c not in frame]
    if missing:
        raise ModelInputError(f"forest_plot: frame has no column(s) {', '.join(missing)}")
    finite = frame[["estimate", "ci_low", "ci_high"]].apply(
        lambda col: np.isfinite(col.astype(float))
    ).all(axis=1)
    rows = frame[finite]
    if rows.empty:
        raise ModelInputError("forest_plot: no row has a finite estimate and interval to draw")
    groups = list(dict.fromkeys(rows[group]))
    sizes = [int((rows[group] == g).sum()) for g in groups]
    figure = Figure(figsize=(width, 1.2 + 0.5 * sum(sizes) + 0.6 * len(groups)),
                    layout="constrained")
    axes = figure.subplots(len(groups), 1, squeeze=False,
                           gridspec_kw={"height_ratios": [s + 1 for s in sizes]})[:, 0]
    for ax, term in zip(axes, groups, strict=True):
        _panel(ax, _scaled(rows[rows[group] == term], str(term)), str(term), label,
               ratio=str(term) in RATIO_TERMS or term in ratio_groups,
               digits=(digits or {}).get(str(term)), summary_rows=summary_rows)
    if "verdict" in rows:
        present = [v for v in VERDICT_COLOURS if v in set(rows["verdict"])]
        handles = [Line2D([], [], color=VERDICT_COLOURS[v], marker="s", linewidth=2, label=v)
                   for v in present]
        figure.legend(handles=handles, loc="outside lower center", ncols=len(handles),
                      frameon=False)
    if title:
        figure.suptitle(title)
    return finish(figure, list(axes), palette={"estimate": DEFAULT_COLOUR, **VERDICT_COLOURS},
                  where="forest_plot", xlabel=xlabel, ylabel=ylabel, colors=colors)


def _panel(ax: Any, rows: pd.DataFrame, term: str, label: str, *, ratio: bool,
           digits: int | None, summary_rows: Collection[str] = ()) -> None:
    y = np.arange(len(rows))[::-1]
    colours = [VERDICT_COLOURS.get(v, DEFAULT_COLOUR) for v in rows["verdict"]] \
        if "verdict" in rows else [DEFAULT_COLOUR] * len(rows)
    summary = rows[label].isin(list(summary_rows)).to_numpy()
    colours = ["#000000" if s else c for s, c in zip(summary, colours, strict=True)]
    estimate = rows["estimate"].to_numpy(float)
    low, high = rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float)
    ax.hlines(y, low, high, colors=colours, linewidth=2)
    if (~summary).any():
        ax.scatter(estimate[~summary], y[~summary], color=[c for s, c in zip(summary, colours, strict=True)
                                                           if not s], marker="s", s=36, zorder=3)
    if summary.any():
        ax.scatter(estimate[summary], y[summary], color="#000000", marker="D", s=64, zorder=3)
        ax.axhline(y[summary].max() + 0.5, color="#bbbbbb", linewidth=0.8)
    ax.axvline(1.0 if ratio else 0.0, color="#999999", linestyle="--", linewidth=1)
    if ratio:
        _log_axis(ax, np.concatenate([low, high, [1.0]]))
    ax.set_yticks(y, [textwrap.fill(str(v), 34) for v in rows[label]])
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel(AXIS_LABELS.get(term, term.replace("_", " ")))
    right = ax.twinx()
    right.set_ylim(ax.get_ylim())
    digits = (2 if ratio else 1) if digits is None else digits
    right.set_yticks(y, [_interval_text(e, lo, hi, digits) for e, lo, hi in
                         zip(estimate, low, high, strict=True)])
    right.tick_params(length=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
        right.spines[side].set_visible(False)


def _log_axis(ax: Any, values: np.ndarray) -> None:
    """Log x axis with a few plain-number ticks (0.5, 1, 2, ...) instead of powers of ten."""
    ax.set_xscale("log")
    finite = values[np.isfinite(values) & (values > 0)]
    low, high = finite.min() / 1.15, finite.max() * 1.15
    ax.set_xlim(low, high)
    ticks = [t for t in (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 10, 20,
                         50, 100) if low <= t <= high]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def _interval_text(estimate: float, low: float, high: float, digits: int) -> str:
    def fmt(value: float) -> str:
        return "inf" if math.isinf(value) else f"{value:.{digits}f}"

    return f"{fmt(estimate)} ({fmt(low)} to {fmt(high)})"
