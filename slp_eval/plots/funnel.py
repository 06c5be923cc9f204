"""Funnel plots: each unit's value against its denominator, the all-units centre line and the
95% and 99.8% limits (adjusted for overdispersion when the result is), highlighted units named.
Reads a `FunnelResult` (imported only for type checking) and returns a matplotlib Figure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure

from slp_eval.plots.style import Colors, check_colors

if TYPE_CHECKING:
    from slp_eval.spc import FunnelResult

#: Roles and colours (FunnelPlotR's defaults for the limits; MDC blue for highlighted units).
COLOURS = {
    "points": "#7f7f7f",
    "highlight": "#005eb8",
    "centre": "#000000",
    "limits95": "#e46c0a",
    "limits998": "#1f77b4",
    "outside": "#de1b1b",
}

__all__ = ["COLOURS", "plot_funnel"]


def plot_funnel(
    result: FunnelResult,
    ax: Any = None,
    *,
    title: str | None = None,
    label: str | None = None,
    xlabel: str | None = None,
    colors: Colors = None,
) -> Figure:
    """The funnel: points (units beyond the 99.8% limits in red, highlighted units in blue and
    named), the centre line and the limit curves over the range of denominators."""
    palette = {**COLOURS, **check_colors(colors, COLOURS, "plot_funnel")}
    if ax is None:
        figure = Figure(figsize=(7.5, 4.6), layout="constrained")
        ax = figure.subplots()
    else:
        figure = ax.figure
    frame = result.to_frame()
    shown = frame[
        np.isfinite(frame["value"].to_numpy(float)) & np.isfinite(frame["denominator"].to_numpy(float))
    ]
    top = float(shown["denominator"].max()) if len(shown) else 1.0
    grid = np.linspace(max(top / 200, 1.0), top * 1.05, 200)
    curves = result.limits(grid)
    adjusted = f" ({result.overdispersion} overdispersion)" if result.adjusted else ""
    for level, key in (("95", "limits95"), ("998", "limits998")):
        name = "95%" if level == "95" else "99.8%"
        ax.plot(
            grid,
            curves[f"ll{level}"],
            color=palette[key],
            linewidth=1,
            linestyle="--" if level == "95" else "-",
            label=f"{name} limits{adjusted}",
        )
        ax.plot(
            grid,
            curves[f"ul{level}"],
            color=palette[key],
            linewidth=1,
            linestyle="--" if level == "95" else "-",
        )
    ax.axhline(result.centre, color=palette["centre"], linewidth=1, label=f"all units {result.centre:.3g}")
    outside = shown["position"].isin(["above 99.8%", "below 99.8%"]) & ~shown["highlight"]
    plain = ~outside & ~shown["highlight"]
    ax.scatter(
        shown["denominator"][plain],
        shown["value"][plain],
        s=16,
        color=palette["points"],
        zorder=3,
        label="unit",
    )
    if outside.any():
        ax.scatter(
            shown["denominator"][outside],
            shown["value"][outside],
            s=16,
            color=palette["outside"],
            zorder=3,
            label="beyond the 99.8% limits",
        )
    marked = shown[shown["highlight"]]
    if len(marked):
        ax.scatter(
            marked["denominator"],
            marked["value"],
            s=34,
            color=palette["highlight"],
            edgecolors="black",
            linewidths=0.5,
            zorder=4,
            label="highlighted",
        )
        for _, row in marked.iterrows():
            ax.annotate(
                str(row["unit"]),
                (row["denominator"], row["value"]),
                xytext=(5, 4),
                textcoords="offset points",
                fontsize=9,
                color=palette["highlight"],
            )
    ax.set_xlabel(xlabel or ("expected" if result.kind == "ratio" else result.denominator))
    ax.set_ylabel(label or ("ratio (observed / expected)" if result.kind == "ratio" else result.numerator))
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=3, frameon=False)
    return figure
