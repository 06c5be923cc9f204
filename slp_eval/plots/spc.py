"""Making Data Count SPC charts: points coloured by variation, centre line, limits, target,
rebase lines, gaps, and the variation and assurance icons (drawn as lettered circles with a
caption, the letters of NHSRplotthedots 0.1's icons: H/L high or low, C common cause, P/F/?
pass, fail, inconsistent; N non-random variation of a run chart), and the board summary's icon
table. Functions read the chart results of `slp_eval.spc` (XmR, run, p/u/c; imported only for
type checking) and return matplotlib Figures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from slp_eval.plots.style import Colors, check_colors

if TYPE_CHECKING:
    from slp_eval.spc import BoardSummary, ControlChartResult, RunChartResult, SPCResult

    Chart = SPCResult | ControlChartResult | RunChartResult

#: NHSRplotthedots 0.2 `ptd_spc_colours()` (standardised with the MDC team).
COLOURS = {
    "common_cause": "#a6a6a6",
    "special_cause_improvement": "#00b0f0",
    "special_cause_concern": "#e46c0a",
    "special_cause_neutral_high": "#490092",
    "special_cause_neutral_low": "#490092",
    "value_line": "#a6a6a6",
    "mean_line": "#000000",
    "limits": "#a6a6a6",
    "target": "#de1b1b",
}

_VARIATION = {
    "common_cause": ("C", "common_cause", "common cause"),
    "improvement_high": ("H", "special_cause_improvement", "improvement (high)"),
    "improvement_low": ("L", "special_cause_improvement", "improvement (low)"),
    "concern_high": ("H", "special_cause_concern", "concern (high)"),
    "concern_low": ("L", "special_cause_concern", "concern (low)"),
    "neutral_high": ("H", "special_cause_neutral_high", "special cause (high)"),
    "neutral_low": ("L", "special_cause_neutral_low", "special cause (low)"),
    "non_random": ("N", "special_cause_neutral_high", "non-random variation"),
}
_ASSURANCE = {
    "consistent_pass": ("P", "special_cause_improvement", "target always met"),
    "consistent_fail": ("F", "special_cause_concern", "target always missed"),
    "inconsistent": ("?", "common_cause", "target met by chance"),
}


def _icon(ax: Any, x: float, letter: str, colour: str, palette: Mapping[str, Any]) -> None:
    ax.scatter(
        [x],
        [1.08],
        s=230,
        color=palette[colour],
        edgecolors="black",
        linewidths=0.6,
        transform=ax.transAxes,
        clip_on=False,
        zorder=5,
    )
    ax.text(
        x,
        1.08,
        letter,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=9,
        fontweight="bold",
        color="white",
        zorder=6,
    )


def icons(result: Chart) -> list[tuple[str, str, str, str]]:
    """(kind, letter, colour key, caption) of the last point's variation and assurance icons."""
    out = []
    if result.variation is not None:
        out.append(("variation", *_VARIATION[result.variation]))
    if result.assurance is not None:
        out.append(("assurance", *_ASSURANCE[result.assurance]))
    return out


def plot_spc(
    result: Chart,
    ax: Any = None,
    *,
    title: str | None = None,
    label: str | None = None,
    legend: bool = True,
    xlabel: str | None = None,
    ylabel: str | None = None,
    colors: Colors = None,
) -> Figure:
    """One MDC chart: grey line, points coloured by `point_type`, centre line, limits (stepped
    where they move with the denominator), target, rebases; on the axis a grey x at each month hidden by
    disclosure control (a `suppressed` column) and a hollow orange circle at each month with no value.
    A run chart draws its median (orange when Anhoej's rules signal) and no limits.

    ``ylabel`` (or its older name ``label``) and ``xlabel`` label the axes; ``colors`` replaces
    any of the `COLOURS` roles (e.g. ``{"target": "black"}``)."""
    palette = {**COLOURS, **check_colors(colors, COLOURS, "plot_spc")}
    if ax is None:
        figure = Figure(figsize=(7.5, 3.8), layout="constrained")
        ax = figure.subplots()
    else:
        figure = ax.figure
    out = result.to_frame()
    x = result.stamps.to_numpy()
    y = out["y"].to_numpy(float)
    ax.plot(x, y, color=palette["value_line"], linewidth=1.2, zorder=2)
    if "point_type" in out:
        point_types = out["point_type"].fillna("common_cause")
    else:
        point_types = pd.Series("common_cause", index=out.index)
    drawn = ~np.isnan(y)
    for kind in dict.fromkeys(point_types[drawn]):
        rows = ((point_types == kind).to_numpy()) & drawn
        ax.scatter(
            x[rows],
            y[rows],
            color=palette[kind],
            s=18,
            zorder=3,
            label=kind.replace("_", " ").replace("special cause ", "special cause: "),
        )
    hidden = out["suppressed"].to_numpy(bool) if "suppressed" in out else np.zeros(len(y), bool)
    if hidden.any():
        ax.scatter(
            x[hidden],
            np.full(int(hidden.sum()), 0.02),
            marker="x",
            color=palette["limits"],
            s=16,
            transform=ax.get_xaxis_transform(),
            label="suppressed (disclosure control)",
            zorder=3,
        )
    gap = ~drawn & ~hidden
    if gap.any():
        ax.scatter(
            x[gap],
            np.full(int(gap.sum()), 0.02),
            marker="o",
            facecolors="none",
            edgecolors=palette["special_cause_concern"],
            s=16,
            transform=ax.get_xaxis_transform(),
            label="no value (gap)",
            zorder=3,
        )
    centre, lower, upper = result.centre_column, result.lower_column, result.upper_column
    run = result.chart == "run"
    step = "steps-mid" if result.chart in ("p", "pprime", "u", "uprime") else "default"
    groups = out["rebase_group"].to_numpy()
    for group in dict.fromkeys(groups):
        rows = groups == group
        first = group == groups[0]
        signal = run and bool(out["runs_signal"][rows].any())
        name = (
            ("median" + (" (runs signal)" if signal else ""))
            if run
            else "centre line"
            if step != "default"
            else "mean"
        )
        ax.plot(
            x[rows],
            out[centre][rows],
            color=palette["special_cause_concern" if signal else "mean_line"],
            linewidth=1,
            drawstyle=step,
            label=name if first or signal else None,
        )
        for column in (lower, upper):
            if column is None:
                continue
            ax.plot(
                x[rows],
                out[column][rows],
                color=palette["limits"],
                linestyle="--",
                linewidth=1,
                drawstyle=step,
                label=("control limits" if step != "default" else "process limits")
                if first and column == upper
                else None,
            )
        if not first:
            ax.axvline(x[rows][0], color="black", linestyle=":", linewidth=1, label="rebase")
    if result.target is not None:
        ax.axhline(result.target, color=palette["target"], linewidth=1.2, label=f"target {result.target:g}")
    shown = icons(result)
    for k, (_, letter, colour, _caption) in enumerate(reversed(shown)):
        _icon(ax, 0.98 - 0.05 * k, letter, colour, palette)
    if shown:
        caption = "; ".join(c for *_, c in shown)
        ax.text(
            0.98 - 0.08 * len(shown) + 0.03,
            1.08,
            caption,
            transform=ax.transAxes,
            ha="right",
            va="center",
            fontsize=9,
        )
    ax.set_ylabel(ylabel if ylabel is not None else result.value if label is None else label)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title, loc="left", pad=6, fontsize=10)
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if legend:
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=4, frameon=False)
    extra = [result.target] if result.target is not None else []
    bounds = [out[c].to_numpy(float) for c in (lower, upper, centre) if c is not None]
    everything = np.concatenate([y, *bounds, extra])
    if np.isfinite(everything).any():
        lows, highs = np.nanmin(everything), np.nanmax(everything)
        pad = 0.25 * (highs - lows or 1)
        ax.set_ylim(lows - 0.05 * pad, highs + pad)
    return figure


def plot_spc_panels(
    results: Mapping[str, Chart],
    *,
    label: str | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    colors: Colors = None,
) -> Figure:
    """One MDC chart per result, stacked (panel titles are the mapping's keys; `ylabel` or its
    older name `label` the y axis; `title` the figure's; `colors` as `plot_spc`)."""
    label = ylabel if ylabel is not None else label
    n = len(results)
    figure = Figure(figsize=(7.5, 1.0 + 2.7 * n), layout="constrained")
    axes = np.atleast_1d(figure.subplots(n, 1, sharex=True, squeeze=False)).ravel()
    handles: dict[str, Any] = {}
    for ax, (name, result) in zip(axes, results.items(), strict=True):
        plot_spc(result, ax=ax, title=name, label="", legend=False, colors=colors)
        for handle, text in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(text, handle)
    if label:
        figure.supylabel(label, fontsize=10)
    if xlabel:
        figure.supxlabel(xlabel, fontsize=10)
    if title:
        figure.suptitle(title)
    figure.legend(
        list(handles.values()), list(handles), loc="outside lower center", ncols=4, fontsize=9, frameon=False
    )
    return figure


def _short(text: str, width: int) -> str:
    """`text` cut to `width` characters with an ellipsis."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def plot_board_summary(
    summary: BoardSummary, ax: Any = None, *, title: str | None = None, colors: Colors = None
) -> Figure:
    """The board summary as an icon table: one row per measure with its chart, last period and
    value, and its variation and assurance icons (lettered circles with their words, so colour is
    never the only cue)."""
    palette = {**COLOURS, **check_colors(colors, COLOURS, "plot_board_summary")}
    frame = summary.to_frame()
    n = len(frame)
    if ax is None:
        figure = Figure(figsize=(7.5, 0.8 + 0.42 * n), layout="constrained")
        ax = figure.subplots()
    else:
        figure = ax.figure
    ax.set_xlim(0, 1)
    ax.set_ylim(n - 0.5, -1.2)
    ax.axis("off")
    heads = [
        (0.0, "measure"),
        (0.33, "chart"),
        (0.43, "last"),
        (0.51, "value"),
        (0.58, "variation"),
        (0.80, "assurance"),
    ]
    for xpos, text in heads:
        ax.text(xpos, -0.9, text, fontsize=9, fontweight="bold", va="center")
    for i, row in frame.iterrows():
        value = row["last_value"]
        cells = [
            (0.0, _short(str(row["measure"]), 30)),
            (0.33, str(row["chart"])),
            (0.43, str(row["last_period"])),
            (0.51, "*" if not np.isfinite(value) else f"{value:.3g}"),
        ]
        for xpos, text in cells:
            ax.text(xpos, i, text, fontsize=9, va="center")
        for xpos, key, table in ((0.58, row["variation"], _VARIATION), (0.80, row["assurance"], _ASSURANCE)):
            if not isinstance(key, str):
                ax.text(
                    xpos,
                    i,
                    "none" if table is _ASSURANCE else "not judged",
                    fontsize=9,
                    va="center",
                    color="#555555",
                )
                continue
            letter, colour, caption = table[key]
            ax.scatter(
                [xpos + 0.012],
                [i],
                s=170,
                color=palette[colour],
                edgecolors="black",
                linewidths=0.5,
                zorder=3,
                clip_on=False,
            )
            ax.text(
                xpos + 0.012,
                i,
                letter,
                ha="center",
                va="center",
                fontsize=9,
                fontweight="bold",
                color="white",
                zorder=4,
            )
            ax.text(xpos + 0.03, i, caption.split(" (")[0], fontsize=9, va="center")
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    return figure


__all__ = ["COLOURS", "icons", "plot_board_summary", "plot_spc", "plot_spc_panels"]
