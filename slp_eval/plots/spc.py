"""Making Data Count SPC charts: points coloured by variation, mean, process limits, target,
rebase lines, and the variation and assurance icons (drawn as lettered circles with a caption,
the letters of NHSRplotthedots 0.1's icons: H/L high or low, C common cause, P/F/? pass, fail,
inconsistent). Functions read `SPCResult` objects and return matplotlib Figures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import matplotlib.dates as mdates
import numpy as np
from matplotlib.figure import Figure

from slp_eval.plots.style import Colors, check_colors

if TYPE_CHECKING:
    from slp_eval.spc import SPCResult

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


def icons(result: SPCResult) -> list[tuple[str, str, str, str]]:
    """(kind, letter, colour key, caption) of the last point's variation and assurance icons."""
    out = []
    if result.variation is not None:
        out.append(("variation", *_VARIATION[result.variation]))
    if result.assurance is not None:
        out.append(("assurance", *_ASSURANCE[result.assurance]))
    return out


def plot_spc(
    result: SPCResult,
    ax: Any = None,
    *,
    title: str | None = None,
    label: str | None = None,
    legend: bool = True,
    xlabel: str | None = None,
    ylabel: str | None = None,
    colors: Colors = None,
) -> Figure:
    """One MDC chart: grey line, points coloured by `point_type`, mean, limits, target, rebases.

    ``ylabel`` (or its older name ``label``) and ``xlabel`` label the axes; ``colors`` replaces
    any of the `COLOURS` roles (e.g. ``{"target": "black"}``)."""
    palette = {**COLOURS, **check_colors(colors, COLOURS, "plot_spc")}
    if ax is None:
        figure = Figure(figsize=(7.5, 3.8), layout="constrained")
        ax = figure.subplots()
    else:
        figure = ax.figure
    out = result.to_frame()
    x = out["x"].to_numpy()
    ax.plot(x, out["y"], color=palette["value_line"], linewidth=1.2, zorder=2)
    point_types = out["point_type"].fillna("common_cause")
    for kind in dict.fromkeys(point_types):
        rows = (point_types == kind).to_numpy()
        ax.scatter(
            x[rows],
            out["y"][rows],
            color=palette[kind],
            s=18,
            zorder=3,
            label=kind.replace("_", " ").replace("special cause ", "special cause: "),
        )
    for group in out["rebase_group"].unique():
        seg = out[out["rebase_group"] == group]
        first = group == out["rebase_group"].iloc[0]
        ax.plot(
            seg["x"], seg["mean"], color=palette["mean_line"], linewidth=1, label="mean" if first else None
        )
        for column in ("lpl", "upl"):
            ax.plot(
                seg["x"],
                seg[column],
                color=palette["limits"],
                linestyle="--",
                linewidth=1,
                label="process limits" if first and column == "upl" else None,
            )
        if not first:
            ax.axvline(seg["x"].iloc[0], color="black", linestyle=":", linewidth=1, label="rebase")
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
    lows = np.nanmin(np.r_[out["y"], out["lpl"], [result.target] if result.target is not None else []])
    highs = np.nanmax(np.r_[out["y"], out["upl"], [result.target] if result.target is not None else []])
    pad = 0.25 * (highs - lows or 1)
    ax.set_ylim(lows - 0.05 * pad, highs + pad)
    return figure


def plot_spc_panels(results: Mapping[str, SPCResult], *, label: str | None = None,
                    title: str | None = None, xlabel: str | None = None,
                    ylabel: str | None = None, colors: Colors = None) -> Figure:
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


__all__ = ["COLOURS", "icons", "plot_spc", "plot_spc_panels"]
