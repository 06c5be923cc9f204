"""Plot functions take title=, xlabel=, ylabel= and colors= (by role) after drawing, keep their
defaults without them, and refuse unknown roles and unreadable colours."""

from __future__ import annotations

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from slp_eval.errors import ParameterError
from slp_eval.its import break_date_sensitivity, fit_its, placebo_test
from slp_eval.plots import forest_plot, plot_acf, plot_its
from slp_eval.plots.its import COUNTERFACTUAL, FITTED, OBSERVED
from slp_eval.plots.spc import COLOURS, plot_spc, plot_spc_panels
from slp_eval.spc import spc

GREEN = mcolors.to_rgb("tab:green")


def _series() -> pd.DataFrame:
    t = np.arange(40)
    y = 50 + 0.5 * t - 8 * (t >= 24) + ((t * 37) % 11 - 5) / 5 + 0.5 * np.sin(2.1 * t)
    return pd.DataFrame({"year": 1980 + t, "y": y})


@pytest.fixture(scope="module")
def fit():
    return fit_its(_series(), outcome="y", time="year", interruptions=2004, errors="ols")


def _rgb(value) -> tuple[float, ...]:  # type: ignore[no-untyped-def]
    return tuple(np.round(mcolors.to_rgba_array(value)[0][:3], 6))


def test_plot_its_title_labels_and_colours(fit) -> None:
    figure = plot_its(fit, title="Waits", xlabel="Year", ylabel="Days",
                      colors={"fitted": "tab:green"})
    ax = figure.axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("Waits", "Year", "Days")
    fitted = [line for line in ax.get_lines() if line.get_label() == "fitted"]
    assert fitted and _rgb(fitted[0].get_color()) == _rgb(GREEN)
    ribbons = [c for c in ax.collections if isinstance(c, PolyCollection)]
    greens = [c for c in ribbons if _rgb(c.get_facecolor()) == _rgb(GREEN)]
    assert greens and all(c.get_facecolor()[0][3] == pytest.approx(0.15) for c in greens)
    reds = [c for c in ribbons if _rgb(c.get_facecolor()) == _rgb(COUNTERFACTUAL)]
    assert reds  # the counterfactual ribbon keeps its colour
    handles = dict(zip([t.get_text() for t in ax.get_legend().get_texts()],
                       ax.get_legend().legend_handles, strict=True))
    assert _rgb(handles["fitted"].get_color()) == _rgb(GREEN)
    assert _rgb(handles["observed"].get_facecolor()) == _rgb(OBSERVED)


def test_defaults_unchanged_without_options(fit) -> None:
    ax = plot_its(fit).axes[0]
    assert ax.get_title() == "Interrupted time series: y" and ax.get_ylabel() == "y"
    fitted = [line for line in ax.get_lines() if line.get_label() == "fitted"]
    assert _rgb(fitted[0].get_color()) == _rgb(FITTED)


def test_given_axes_and_result_plot_pass_options(fit) -> None:
    figure = Figure()
    left, right = figure.subplots(1, 2)
    plot_its(fit, ax=right, title="right only")
    assert right.get_title() == "right only" and left.get_title() == ""
    assert fit.plot(ylabel="Beds").axes[0].get_ylabel() == "Beds"
    acf = plot_acf(fit.diagnostics(), title="ACF of residuals", colors={"acf": "tab:green"})
    assert acf.axes[0].get_title() == "ACF of residuals"
    assert _rgb(acf.axes[0].collections[0].get_color()) == _rgb(GREEN)


def test_bad_roles_and_colours_are_refused(fit) -> None:
    with pytest.raises(ParameterError, match=r"plot_its: colors has unknown role\(s\) 'fit' "
                                             r"\(rule: the roles are 'observed', 'fitted'"):
        plot_its(fit, colors={"fit": "red"})
    with pytest.raises(ParameterError, match=r"colors\['fitted'\]='reddish' is not a colour"):
        plot_its(fit, colors={"fitted": "reddish"})


def test_panel_figures_take_a_figure_title_and_panel_labels() -> None:
    data = _series()
    placebo = placebo_test(data, outcome="y", time="year", interruptions=2004, errors="ols",
                           placebo_dates=[1990, 1995])
    figure = placebo.plot(title="Placebos", ylabel="Estimate", colors={"actual": "tab:green"})
    assert figure.get_suptitle() == "Placebos"
    assert [ax.get_ylabel() for ax in figure.axes] == ["Estimate", "Estimate"]
    actual = [line for line in figure.axes[0].get_lines() if line.get_label() == "actual"]
    assert _rgb(actual[0].get_color()) == _rgb(GREEN)
    moved = break_date_sensitivity(data, outcome="y", time="year", interruptions=2004,
                                   errors="ols", window=1)
    figure = moved.plot(xlabel="Break date", colors={"chosen": "tab:green"})
    assert [ax.get_xlabel() for ax in figure.axes] == ["Break date", "Break date"]
    points = figure.axes[0].collections[-1].get_facecolor()
    assert sum(_rgb([c]) == _rgb(GREEN) for c in points) == 1  # only the chosen date


def test_forest_and_spc_options() -> None:
    frame = pd.DataFrame({"term": ["rate_ratio", "rate_ratio"], "outcome": ["a", "b"],
                          "estimate": [0.8, 1.2], "ci_low": [0.6, 0.9], "ci_high": [1.1, 1.6],
                          "verdict": ["supported", "not distinguishable from no change"]})
    figure = forest_plot(frame, label="outcome", xlabel="Rate ratio", colors={
        "supported": "tab:green"})
    ax = figure.axes[0]
    assert ax.get_xlabel() == "Rate ratio"
    colours = [_rgb([c]) for c in ax.collections[-1].get_facecolor()]
    assert colours.count(_rgb(GREEN)) == 1
    assert _rgb(figure.legends[0].legend_handles[0].get_color()) == _rgb(GREEN)

    y = [1.0, -1.0] * 6 + [11.0, 9.0] * 5 + [11.0, 25.0]
    data = pd.DataFrame({"month": pd.period_range("2020-01", periods=len(y), freq="M"
                                                  ).astype(str), "y": y})
    result = spc(data, value="y", time="month", improvement_direction="increase", target=5)
    chart = plot_spc(result, xlabel="Month", ylabel="Referrals", colors={"target": "tab:green"})
    ax = chart.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Month", "Referrals")
    target = [line for line in ax.get_lines() if line.get_label().startswith("target")]
    assert _rgb(target[0].get_color()) == _rgb(GREEN)
    limits = [line for line in ax.get_lines() if line.get_label() == "process limits"]
    assert _rgb(limits[0].get_color()) == _rgb(COLOURS["limits"])
    panels = plot_spc_panels({"one": result}, title="Referrals", ylabel="n")
    assert panels.get_suptitle() == "Referrals"


def test_power_and_scorecard_plots_take_labels() -> None:
    from slp_eval.power import its_power
    from slp_eval.report.scorecard import build

    power = its_power(12, 12, level_change=[0.0, 2.0], errors="ols", n_sim=10, seed=1)
    figure = Figure()
    ax = figure.subplots()
    assert power.plot(ax=ax, title="Power", ylabel="Power (share)") is figure
    assert (ax.get_title(), ax.get_ylabel()) == ("Power", "Power (share)")
    claim = {"id": "distance", "claim": "Nearer home", "metric": "distance", "unit": "miles",
             "kind": "mean", "direction": "decrease", "source": "test",
             "before": {"period": "2017", "mean": 73, "sd": 60, "n": 40},
             "after": {"period": "2019", "mean": 7, "sd": 5, "n": 38}}
    card = build([claim])
    assert card.plot().get_suptitle() == "Headline claims: effect and 95% CI"
    chart = card.plot(title="Claims", xlabel="Miles")
    assert chart.get_suptitle() == "Claims" and chart.axes[0].get_xlabel() == "Miles"
