"""Figures of simulated power, on the percent scale of the report's tables, with the target and
the test's size drawn as labelled reference lines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from matplotlib.figure import Figure

from slp_eval.errors import ParameterError

if TYPE_CHECKING:
    from slp_eval.power import PowerResult


def plot_power(result: PowerResult, term: str = "level_change", ax: Any = None, *,
               target: float = 0.8, unit: str | None = None) -> Figure:
    """Power (%) for one term with 95% Monte Carlo bars, against the true effect (one line per
    design) or, when one effect size was simulated, against the periods after the interruption
    (one line per pre-period length). Reference lines: the `target` power and the nominal size
    alpha, each named in the legend. `unit` is the effect's unit, for the x axis."""
    table = result.to_frame()
    terms = tuple(dict.fromkeys(table["term"]))  # the result's effect terms, in its order
    if term not in terms:
        raise ParameterError(f"term={term!r} is not one of {', '.join(map(repr, terms))}")
    table = table[table["term"] == term]
    by_effect = table["effect"].nunique() > 1
    x, line = ("effect", ["n_pre", "n_post"]) if by_effect else ("n_post", ["n_pre", "effect"])
    if ax is None:
        figure = Figure(figsize=(6.5, 4), layout="constrained")
        ax = figure.subplots()
    else:
        figure = ax.figure
    words = term.replace("_", " ")
    for key, part in table.groupby(line, sort=True):
        part = part.sort_values(x)
        label = (f"{key[0]} before + {key[1]} after" if by_effect
                 else f"{key[0]} periods before")
        ax.errorbar(part[x], 100 * part["power"], yerr=100 * 1.96 * part["mc_se"], marker="o",
                    capsize=3, label=label)
    alpha = result.settings["alpha"]
    ax.axhline(100 * target, linestyle=":", color="grey", label=f"target power {100 * target:g}%")
    ax.axhline(100 * alpha, linestyle="--", color="grey", label=f"alpha {100 * alpha:g}% (size)")
    ax.set_ylim(0, 102)
    suffix = f" ({unit})" if unit else ""
    if by_effect:
        ax.set_xlabel(f"true {words}{suffix}")
    else:
        effect = table["effect"].iloc[0]
        ax.set_xlabel(f"periods after the interruption ({words} {effect:g}{' ' + unit if unit else ''})")
    ax.set_ylabel(f"power to detect the {words} (%)")
    ax.legend(frameon=False, fontsize="small")
    return figure


__all__ = ["plot_power"]
