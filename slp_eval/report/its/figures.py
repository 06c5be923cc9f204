"""The ITS report's figures: the fit and the effect path, under the run's disclosure rule.
"""


import pandas as pd
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from slp_eval.disclosure import controlled_counts
from slp_eval.its import ITSResult
from slp_eval.params.its import ITSParams
from slp_eval.report.figures import WITHHELD_GID
from slp_eval.report.its.controlled import controlled_observed, count_kind
from slp_eval.report.its.effects import effect_path
from slp_eval.report.its.wording import interruption_name, level_axis_label

__all__ = ["effect_plot", "fit_plot"]


def fit_plot(result: ITSResult, series: pd.DataFrame, params: ITSParams) -> Figure:
    """`result.plot()` with the observed points under the run's disclosure rule.

    For a count series under control, the model curves (fitted line, counterfactual and their
    bands) are drawn but their values are kept out of the figure's text data: a Poisson-type or
    least-squares fit with a term per segment reproduces each segment's exact total as the sum
    of its fitted values, which the report shows only rounded."""
    from slp_eval.plots.its import plot_its

    rule = params.disclosure
    counts = rule.in_effect and count_kind(params, series) == "count"
    fig = plot_its(result, observed=controlled_observed(result, series, params),
                   suppressed_label=f"suppressed ({rule.suppress_min}-{rule.suppress_max})",
                   comparison_total=(lambda totals: controlled_counts(totals, rule)) if counts
                   else None)
    from slp_eval.plots.its import label_interruptions

    ax = fig.axes[0]
    names = [interruption_name(result, params, i) for i in range(len(result.interruptions))]
    label_interruptions(ax, result, names, line=False)
    ax.set_ylabel(level_axis_label(result, params))
    if counts:
        for artist in fig.axes[0].get_children():
            if (isinstance(artist, Line2D) and len(artist.get_xdata()) > 2) or isinstance(
                    artist, PolyCollection):
                artist.set_gid(WITHHELD_GID)
    return fig


def effect_plot(result: ITSResult, params: ITSParams, series: pd.DataFrame) -> Figure:
    """Fitted minus counterfactual at each period with its band (observed minus counterfactual
    as points), and summed to date for counts (log link), as CausalImpact's pointwise and
    cumulative panels; axes in the outcome's units, the interruption(s) named.

    Disclosure control as `fit_plot`: observed values controlled; for a count series under
    control every curve, band and point is drawn but kept out of the figure's text data (the
    counterfactual path with the pointwise effect gives the fitted path, whose segment sums are
    the exact totals)."""
    from slp_eval.plots.its import plot_effects

    names = [interruption_name(result, params, i) for i in range(len(result.interruptions))]
    fig = plot_effects(result, effect_path(result), unit=params.outcome_unit,
                       interruption_names=names,
                       observed=controlled_observed(result, series, params))
    if params.disclosure.in_effect and count_kind(params, series) == "count":
        for ax in fig.axes:
            for artist in ax.get_children():
                if (isinstance(artist, Line2D) and len(artist.get_xdata()) > 2) or isinstance(
                        artist, PolyCollection | PathCollection):
                    artist.set_gid(WITHHELD_GID)
    return fig
