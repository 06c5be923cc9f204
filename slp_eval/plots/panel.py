"""Figures of the comparative designs (`slp_eval.panel`): the synthetic control's paths and gap,
the placebo-in-space gaps with the treated gap drawn over them, donor weights, leave-one-out fits,
the SDiD paths with the time weights, and the event study.

Each takes the result object and returns a matplotlib `Figure`; `title=`, `xlabel=`, `ylabel=`
and `colors=` (roles named in each function's palette) are applied last, as everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure

from slp_eval.errors import ParameterError
from slp_eval.plots.style import Colors, finish

if TYPE_CHECKING:
    from slp_eval.panel import DiDResult, SyntheticControlResult, SyntheticDiDResult

__all__ = ["SC_PALETTE", "plot_event_study", "plot_synthetic_control", "plot_synthetic_did"]

#: Roles and default colours of the synthetic-control figures.
SC_PALETTE = {"treated": "#005eb8", "synthetic": "#d5281b", "placebo": "#aeb7bd", "start": "#425563",
              "weight": "#005eb8"}
KINDS = ("gap", "paths", "placebo", "weights", "leave_one_out")


def _x(result: Any) -> Any:
    pm = result.panel
    return pm.index.plot_positions(pm.ordinals)


def _start_line(ax: Any, result: Any, label: str | None = None) -> None:
    x = _x(result)
    ax.axvline(x[result.panel.n_pre], color=SC_PALETTE["start"], linestyle="--", linewidth=1,
               label=label or f"start ({result.panel.start_label})")


def _figure(ax: Any, size: tuple[float, float] = (7.5, 4.2)) -> tuple[Figure, Any]:
    if ax is None:
        figure = Figure(figsize=size, layout="constrained")
        return figure, figure.subplots()
    return ax.figure, ax


def plot_synthetic_control(result: SyntheticControlResult, kind: str = "gap", ax: Any = None, *,
                           unit: str | None = None, max_pre_rmspe_ratio: float | None = None,
                           hide: np.ndarray | None = None,
                           title: str | None = None, xlabel: str | None = None,
                           ylabel: str | None = None, colors: Colors = None) -> Figure:
    """One of `KINDS`:

    - "paths": the treated series (mean of the treated units, or `unit`) and its synthetic control;
      periods where `hide` is True (disclosure control) are left undrawn in both and marked x on the
      axis;
    - "gap": treated minus synthetic, with the start marked;
    - "placebo": every donor's placebo gap in grey with the treated gap over them (ADH 2010 Figure
      4); `max_pre_rmspe_ratio` leaves out placebos whose pre-period RMSPE is more than that many
      times the treated unit's (ADH's figures 5-7 use 20, 5 and 2);
    - "weights": the donors with weight, largest first;
    - "leave_one_out": the gap without each donor that has weight, over the full fit's gap.
    """
    if kind not in KINDS:
        raise ParameterError(f"kind={kind!r}: expected one of {', '.join(KINDS)}")
    figure, ax = _figure(ax)
    name = result.outcome_label or result.panel.outcome
    fit = result._find(unit)
    x = _x(result)
    treated_name = fit.label.replace("+", ", ")
    if kind == "paths":
        observed = np.asarray(fit.fit.treated_path, dtype=float).copy()
        synthetic = np.asarray(fit.fit.synthetic_path, dtype=float).copy()
        if hide is not None and np.any(hide):
            # both lines: the gap (an estimate, drawn in full) plus the synthetic path would give
            # the hidden value back
            observed[np.asarray(hide, dtype=bool)] = np.nan
            synthetic[np.asarray(hide, dtype=bool)] = np.nan
            ax.plot(np.asarray(x)[np.asarray(hide, dtype=bool)], np.zeros(int(np.sum(hide))), "x",
                    color=SC_PALETTE["start"], transform=ax.get_xaxis_transform(), clip_on=False,
                    label="not shown (disclosure control)")
        ax.plot(x, observed, color=SC_PALETTE["treated"], linewidth=2, label=treated_name)
        ax.plot(x, synthetic, color=SC_PALETTE["synthetic"], linewidth=2, linestyle="-.",
                label="synthetic control")
        _start_line(ax, result)
        ax.set_ylabel(name)
    elif kind in ("gap", "placebo", "leave_one_out"):
        if kind == "placebo":
            if result.placebos is None:
                raise ParameterError("kind='placebo': the fit was made with placebo=False")
            keep = np.ones(len(result.placebos.units), dtype=bool)
            if max_pre_rmspe_ratio is not None:
                limit = max_pre_rmspe_ratio * fit.fit.pre_rmspe
                keep = result.placebos.units["pre_rmspe"].to_numpy() <= limit
            for i, gaps in enumerate(result.placebos.gaps[keep]):
                ax.plot(x, gaps, color=SC_PALETTE["placebo"], linewidth=0.8,
                        label=f"placebo: each of {int(keep.sum())} donors" if i == 0 else None)
        if kind == "leave_one_out" and fit.leave_one_out is not None:
            for i, row in enumerate(fit.leave_one_out.itertuples()):
                ax.plot(x, row.gap, color=SC_PALETTE["placebo"], linewidth=1,
                        label="without one donor with weight" if i == 0 else None)
        ax.plot(x, fit.fit.gap, color=SC_PALETTE["treated"], linewidth=2.2,
                label=f"{treated_name} minus its synthetic control")
        ax.axhline(0, color="black", linewidth=0.8)
        _start_line(ax, result)
        ax.set_ylabel(f"gap in {name}")
    else:
        weights = result.weights[result.weights["weight"].abs() > 1e-3]
        ax.barh(weights["unit"].astype(str)[::-1], weights["weight"][::-1], color=SC_PALETTE["weight"])
        ax.set_xlabel("donor weight")
        ax.set_xlim(min(0.0, float(weights["weight"].min()) * 1.1), max(1.0, float(weights["weight"].max())))
    if kind != "weights":
        ax.legend(loc="best", fontsize="small", frameon=False)
        ax.set_xlabel(result.panel.time)
    return finish(figure, [ax], palette=SC_PALETTE, where="plot_synthetic_control", title=title,
                  xlabel=xlabel, ylabel=ylabel, colors=colors)


def plot_synthetic_did(result: SyntheticDiDResult, ax: Any = None, *, title: str | None = None,
                       xlabel: str | None = None, ylabel: str | None = None,
                       colors: Colors = None) -> Figure:
    """The treated mean and the omega-weighted donors (R synthdid_plot), with the time weights
    lambda as bars along the bottom of the pre-period."""
    figure, ax = _figure(ax)
    paths = result.paths()
    x = _x(result)
    ax.plot(x, paths["treated"], color=SC_PALETTE["treated"], linewidth=2, label="treated")
    ax.plot(x, paths["synthetic"], color=SC_PALETTE["synthetic"], linewidth=2, linestyle="-.",
            label="synthetic control (omega-weighted donors)")
    _start_line(ax, result)
    low, high = ax.get_ylim()
    lam = result.weights.lam
    if lam.max() > 0:
        ax.bar(x[: result.panel.n_pre], lam / lam.max() * 0.15 * (high - low), bottom=low,
               width=0.8 * (x[1] - x[0]) if len(x) > 1 else 0.8, color=SC_PALETTE["placebo"],
               label="time weights (lambda, scaled)")
    ax.set_ylabel(result.outcome_label or result.panel.outcome)
    ax.set_xlabel(result.panel.time)
    ax.legend(loc="best", fontsize="small", frameon=False)
    return finish(figure, [ax], palette=SC_PALETTE, where="plot_synthetic_did", title=title,
                  xlabel=xlabel, ylabel=ylabel, colors=colors)


def plot_event_study(result: DiDResult, ax: Any = None, *, title: str | None = None,
                     xlabel: str | None = None, ylabel: str | None = None,
                     colors: Colors = None) -> Figure:
    """Event-study coefficients with their intervals against the period relative to the start
    (the reference period -1 at zero)."""
    figure, ax = _figure(ax)
    es = result.event_study
    ax.errorbar(es["event_time"], es["estimate"],
                yerr=[es["estimate"] - es["ci_low"], es["ci_high"] - es["estimate"]],
                fmt="o", color=SC_PALETTE["treated"], capsize=2, label="effect with its interval")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.axvline(-0.5, color=SC_PALETTE["start"], linestyle="--", linewidth=1, label="start")
    ax.set_xlabel("periods since the start")
    ax.set_ylabel(f"effect on {result.outcome_label or result.panel.outcome}")
    ax.legend(loc="best", fontsize="small", frameon=False)
    return finish(figure, [ax], palette=SC_PALETTE, where="plot_event_study", title=title,
                  xlabel=xlabel, ylabel=ylabel, colors=colors)
