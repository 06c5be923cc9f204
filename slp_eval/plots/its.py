"""Figures of interrupted time series results. Each function reads a result object and returns
a matplotlib `Figure` built with the object API (no pyplot state is created or left open)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from slp_eval.plots.style import Colors, finish

if TYPE_CHECKING:
    from collections.abc import Callable

    from slp_eval.its.diagnostics import ITSDiagnostics
    from slp_eval.its.result import ITSResult
    from slp_eval.its.sensitivity import BreakDateResult, PlaceboResult

OBSERVED = "#4d4d4d"
FITTED = "#1f77b4"
COUNTERFACTUAL = "#d62728"
CONTROL = "#7f7f7f"
__all__ = ["ACF_COLORS", "BREAK_DATE_COLORS", "ITS_COLORS", "MAX_TICKS", "PLACEBO_COLORS",
           "label_interruptions", "plot_acf", "plot_break_dates", "plot_effects", "plot_its",
           "plot_placebo"]

#: The colour roles each function's `colors=` accepts, with their defaults.
ITS_COLORS = {"observed": OBSERVED, "fitted": FITTED, "counterfactual": COUNTERFACTUAL,
              "control": CONTROL}
ACF_COLORS = {"acf": FITTED}
PLACEBO_COLORS = {"placebo": CONTROL, "actual": COUNTERFACTUAL}
BREAK_DATE_COLORS = {"estimate": FITTED, "chosen": COUNTERFACTUAL}


def _figure(ax: Any, size: tuple[float, float] = (8.0, 4.5)) -> tuple[Figure, Any]:
    if ax is not None:
        return ax.figure, ax
    figure = Figure(figsize=size, layout="constrained")
    return figure, figure.subplots()


def _control_fit(result: ITSResult) -> pd.DataFrame:
    """Mean observed and fitted values of the comparison units by period."""
    series = result.series
    rows = ~series.treated
    band = result._predictor().band(result.design_all.to_numpy(), result.spec.alpha)
    frame = pd.DataFrame({"ordinal": series.ordinal[rows], "observed": series.observed[rows],
                          "fitted": band["mean"].to_numpy()[rows]})
    grouped = frame.groupby("ordinal", as_index=False)
    return grouped.mean().assign(total=grouped["observed"].sum()["observed"].to_numpy(),
                                 units=grouped["observed"].count()["observed"].to_numpy())


def plot_its(result: ITSResult, ax: Any = None, *, observed: np.ndarray | None = None,
             suppressed_label: str = "suppressed",
             comparison_total: Callable[[np.ndarray], np.ndarray] | None = None,
             title: str | None = None, xlabel: str | None = None, ylabel: str | None = None,
             colors: Colors = None) -> Figure:
    """Observed points (hollow when outside the fit), fitted segments with CI ribbons, the
    dashed counterfactual with its ribbon, interruption lines and shaded phase-in periods.

    ``observed`` replaces the treated series' observed values as drawn (disclosure control: counts
    rounded, NaN where suppressed); a suppressed period is marked on the axis with an x, without
    its value. ``comparison_total`` does the same for the comparison units: applied to each
    period's total over the units (e.g. rounding, NaN where suppressed), the mean drawn is that
    controlled total over the number of units (a mean times its units gives only the controlled
    total back).

    ``title``, ``xlabel``, ``ylabel`` replace the defaults; ``colors`` maps the roles
    "observed", "fitted", "counterfactual" (also the suppressed marks) and "control" to colours."""
    figure, ax = _figure(ax)
    frame = result.counterfactual()
    if observed is not None:
        raw = frame["observed"].to_numpy(float)
        frame = frame.assign(observed=np.asarray(observed, dtype=float))
        hidden = np.isnan(frame["observed"].to_numpy()) & ~np.isnan(raw)
    ordinals = result.series.ordinal[result.series.treated]
    x = result.index.plot_positions(ordinals)
    x_arr = np.asarray(x)
    fitted_rows = frame["in_fit"].to_numpy()
    label = str(result.spec.treated) if result.controlled else "observed"
    ax.scatter(x_arr[fitted_rows], frame["observed"][fitted_rows], color=OBSERVED, s=14,
               label=label, zorder=3)
    if (~fitted_rows).any():
        ax.scatter(x_arr[~fitted_rows], frame["observed"][~fitted_rows], facecolors="none",
                   edgecolors=OBSERVED, s=14, label="not in fit (phase-in or missing)", zorder=3)
    if observed is not None and hidden.any():
        ax.scatter(x_arr[hidden], np.full(int(hidden.sum()), 0.02), marker="x", color=COUNTERFACTUAL,
                   s=14, transform=ax.get_xaxis_transform(), label=suppressed_label, zorder=3)
    t = frame["t"].to_numpy()
    edges = [k.position for k in result.interruptions]
    bounds = [-np.inf, *edges, np.inf]
    for i in range(len(bounds) - 1):
        segment = (t >= bounds[i]) & (t < bounds[i + 1])
        ax.plot(x_arr[segment], frame["fitted"][segment], color=FITTED,
                label="fitted" if i == 0 else None)
        ax.fill_between(x_arr[segment], frame["fitted_ci_low"][segment],
                        frame["fitted_ci_high"][segment], color=FITTED, alpha=0.15, linewidth=0)
    after = t >= edges[0] - 1
    ax.plot(x_arr[after], frame["counterfactual"][after], color=COUNTERFACTUAL, linestyle="--",
            label="counterfactual")
    ax.fill_between(x_arr[after], frame["counterfactual_ci_low"][after],
                    frame["counterfactual_ci_high"][after], color=COUNTERFACTUAL, alpha=0.10,
                    linewidth=0)
    if result.controlled:
        controls = _control_fit(result)
        cx = np.asarray(result.index.plot_positions(controls["ordinal"].to_numpy()))
        if comparison_total is not None:
            shown = comparison_total(controls["total"].to_numpy(float))
            controls["observed"] = np.asarray(shown, dtype=float) / controls["units"].to_numpy(float)
        ax.scatter(cx, controls["observed"], color=CONTROL, s=10, marker="s",
                   label="comparison units (mean)", zorder=2)
        ax.plot(cx, controls["fitted"], color=CONTROL, linewidth=1)
    step = (x_arr[1] - x_arr[0]) if len(x_arr) > 1 else 1
    for k in result.interruptions:
        at = x_arr[t == k.position][0]
        ax.axvline(at, color="black", linewidth=0.8, linestyle=":")
        if result.spec.phase_in:
            ax.axvspan(at, at + step * result.spec.phase_in, color="grey", alpha=0.15,
                       linewidth=0, label="phase-in" if k is result.interruptions[0] else None)
    ax.set_xlabel(result.spec.time)
    ax.set_ylabel(result.spec.outcome_name)
    ax.set_title(f"Interrupted time series: {result.spec.outcome_name}")
    ax.legend(frameon=False, fontsize="small")
    return finish(figure, [ax], palette=ITS_COLORS, where="plot_its", title=title,
                  xlabel=xlabel, ylabel=ylabel, colors=colors)


def plot_acf(diagnostics: ITSDiagnostics, ax: Any = None, *, title: str | None = None,
             xlabel: str | None = None, ylabel: str | None = None,
             colors: Colors = None) -> Figure:
    """Residual autocorrelations with the white-noise band (``colors`` role: "acf")."""
    figure, ax = _figure(ax, (6.0, 3.5))
    acf = diagnostics.acf[diagnostics.acf["lag"] > 0]
    ax.vlines(acf["lag"], 0, acf["acf"], color=FITTED)
    ax.scatter(acf["lag"], acf["acf"], color=FITTED, s=12)
    ax.fill_between(acf["lag"], acf["ci_low"], acf["ci_high"], color="grey", alpha=0.2,
                    linewidth=0)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xlabel("lag")
    ax.set_ylabel("residual autocorrelation")
    ax.set_title("Residual ACF")
    return finish(figure, [ax], palette=ACF_COLORS, where="plot_acf", title=title,
                  xlabel=xlabel, ylabel=ylabel, colors=colors)


#: Most date labels an x axis of a sensitivity panel carries (legible at A4 and 9 pt).
MAX_TICKS = 8


def _thin_ticks(ax: Any, x: list[Any], labels: list[str]) -> None:
    """Ticks at every k-th of `x` so that at most MAX_TICKS labels show, the last one kept."""
    step = max(1, -(-len(x) // MAX_TICKS))
    keep = sorted(set(range(0, len(x), step)) | ({len(x) - 1} if x else set()))
    if len(keep) > 1 and keep[-1] - keep[-2] < step:
        keep.pop(-2)
    ax.set_xticks([x[i] for i in keep], [labels[i] for i in keep], rotation=45, ha="right")


def _unit(unit: str | None) -> str:
    return f" ({unit})" if unit else ""


def label_interruptions(ax: Any, result: ITSResult, names: list[str] | None = None, *,
                        line: bool = True) -> None:
    """Write each interruption's name (or period) beside its dotted line (drawn unless
    `line=False`, when the figure has it already), at the top of `ax`."""
    x_arr = np.asarray(result.index.plot_positions(result.series.ordinal[result.series.treated]))
    t = result.counterfactual()["t"].to_numpy()
    for i, k in enumerate(result.interruptions):
        at = x_arr[t == k.position][0]
        if line:
            ax.axvline(at, color="black", linewidth=0.8, linestyle=":")
        ax.annotate(names[i] if names else k.label, xy=(at, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(3, -3), textcoords="offset points", ha="left", va="top", fontsize=9,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})


def plot_effects(result: ITSResult, path: pd.DataFrame, *, unit: str | None = None,
                 interruption_names: list[str] | None = None,
                 observed: np.ndarray | None = None) -> Figure:
    """CausalImpact's lower panels: the pointwise effect (fitted minus counterfactual) at each
    period from the first interruption with its band and the observed values minus the
    counterfactual as points, and, when `path` has a `cumulative` column (log link: counts),
    the effect summed to date with its band. `path` is `slp_eval.report.its.effect_path(result)`;
    `observed` replaces the observed values as in `plot_its` (disclosure control)."""
    cumulative = "cumulative" in path.columns
    figure = Figure(figsize=(7.5, 5.5 if cumulative else 3.2), layout="constrained")
    axes = np.atleast_1d(figure.subplots(2 if cumulative else 1, 1, sharex=True))
    treated = result.series.ordinal[result.series.treated]
    positions = np.asarray(result.index.plot_positions(treated))
    t_all = result.counterfactual()["t"].to_numpy()
    x = positions[np.searchsorted(t_all, path["t"].to_numpy())]
    panels = [("pointwise", "effect at each period")] + (
        [("cumulative", "effect summed to date")] if cumulative else [])
    frame = result.counterfactual()
    values = frame["observed"].to_numpy(float) if observed is None else np.asarray(observed, float)
    rows = np.searchsorted(t_all, path["t"].to_numpy())
    axes[0].scatter(x, values[rows] - frame["counterfactual"].to_numpy()[rows], color=OBSERVED,
                    s=10, label="observed minus counterfactual", zorder=3)
    for ax, (column, title) in zip(axes, panels, strict=True):
        ax.fill_between(x, path[f"{column}_low"], path[f"{column}_high"], color=FITTED,
                        alpha=0.2, linewidth=0, label=f"{round(100 * (1 - result.spec.alpha))}% band")
        ax.plot(x, path[column], color=FITTED, label=f"{title}")
        ax.axhline(0, color="black", linewidth=0.8)
        label_interruptions(ax, result, interruption_names)
        ax.set_ylabel(f"{'cumulative' if column == 'cumulative' else 'pointwise'} effect{_unit(unit)}")
        if np.nanmax(np.abs(path[[f"{column}_low", f"{column}_high"]].to_numpy(float))) >= 1000:
            ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        ax.set_title(f"Fitted minus counterfactual: {title}")
    axes[-1].set_xlabel(result.spec.time)
    handles = {label: handle for ax in axes
               for handle, label in zip(*ax.get_legend_handles_labels(), strict=True)}
    figure.legend(handles.values(), handles.keys(), loc="outside lower center", ncol=len(handles),
                  frameon=False, fontsize="small")
    return figure


def plot_placebo(placebo: PlaceboResult, *, unit: str | None = None, title: str | None = None,
                 xlabel: str | None = None, ylabel: str | None = None,
                 colors: Colors = None) -> Figure:
    """Placebo estimates by placebo date, one panel per term, with the actual estimate.

    ``unit`` is the unit of the estimates (e.g. the outcome's unit for an identity link), shown in
    the y labels; ``title`` is the figure's; ``xlabel``/``ylabel`` replace the labels on every
    panel; ``colors`` roles: "placebo", "actual"."""
    terms = placebo.actual["term"].tolist()
    figure = Figure(figsize=(min(3.75 * len(terms), 7.5), 3.5), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, len(terms)))
    for ax, term in zip(axes, terms, strict=True):
        rows = placebo.placebos[placebo.placebos["term"] == term]
        ax.errorbar(range(len(rows)), rows["estimate"],
                    yerr=[rows["estimate"] - rows["ci_low"], rows["ci_high"] - rows["estimate"]],
                    fmt="o", color=CONTROL, markersize=3, label="placebo")
        actual = placebo.actual.loc[placebo.actual["term"] == term, "estimate"].item()
        ax.axhline(actual, color=COUNTERFACTUAL, label="actual")
        ax.axhline(0, color="black", linewidth=0.6)
        _thin_ticks(ax, list(range(len(rows))), rows["period"].astype(str).tolist())
        ax.set_xlabel("placebo interruption")
        ax.set_ylabel(f"estimate{_unit(unit)}")
        ax.set_title(term.replace("_", " "))
        ax.legend(frameon=False, fontsize="small")
    return finish(figure, list(axes), palette=PLACEBO_COLORS, where="plot_placebo", title=title,
                  xlabel=xlabel, ylabel=ylabel, colors=colors)


def plot_break_dates(sensitivity: BreakDateResult, *, unit: str | None = None,
                     title: str | None = None, xlabel: str | None = None,
                     ylabel: str | None = None, colors: Colors = None) -> Figure:
    """Estimate and CI by interruption date, one panel per term, the chosen date marked.

    ``unit`` is the unit of the estimates (e.g. the outcome's unit for an identity link), shown in
    the y labels; ``title`` is the figure's; ``xlabel``/``ylabel`` replace the labels on every
    panel; ``colors`` roles: "estimate", "chosen"."""
    frame = sensitivity.estimates
    terms = list(dict.fromkeys(frame["term"]))
    figure = Figure(figsize=(min(3.75 * len(terms), 7.5), 3.5), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, len(terms)))
    for ax, term in zip(axes, terms, strict=True):
        rows = frame[frame["term"] == term]
        colours = [COUNTERFACTUAL if c else FITTED for c in rows["chosen"]]
        ax.errorbar(rows["shift"], rows["estimate"],
                    yerr=[rows["estimate"] - rows["ci_low"], rows["ci_high"] - rows["estimate"]],
                    fmt="none", ecolor=FITTED)
        ax.scatter(rows["shift"], rows["estimate"], color=colours, zorder=3)
        ax.axhline(0, color="black", linewidth=0.6)
        _thin_ticks(ax, rows["shift"].tolist(), rows["period"].astype(str).tolist())
        ax.set_xlabel("interruption date (chosen date in red)")
        ax.set_ylabel(f"estimate{_unit(unit)}")
        ax.set_title(term.replace("_", " "))
    return finish(figure, list(axes), palette=BREAK_DATE_COLORS, where="plot_break_dates",
                  title=title, xlabel=xlabel, ylabel=ylabel, colors=colors)
