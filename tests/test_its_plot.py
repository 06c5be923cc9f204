"""Figures: the right layers are drawn from the result's own frames; no pyplot state."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from slp_eval.its import break_date_sensitivity, fit_its, placebo_test


def _data(n: int = 36) -> pd.DataFrame:
    t = np.arange(n)
    return pd.DataFrame({"month": pd.period_range("2019-01", periods=n, freq="M"),
                         "y": 10 + 0.2 * t - 2 * (t >= 18) + np.sin(t)})


@pytest.fixture(autouse=True)
def _no_pyplot_figures():
    before = plt.get_fignums()
    yield
    assert plt.get_fignums() == before


def test_its_plot_layers() -> None:
    result = fit_its(_data(), outcome="y", time="month", interruptions="2020-07", phase_in=2,
                     errors="ols")
    figure = result.plot()
    assert isinstance(figure, Figure)
    ax = figure.axes[0]
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["observed", "not in fit (phase-in or missing)", "fitted", "counterfactual",
                      "phase-in"]
    frame = result.counterfactual()
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 1
    np.testing.assert_allclose(dashed[0].get_ydata(), frame["counterfactual"][17:])
    solid = [line for line in ax.get_lines() if line.get_linestyle() == "-"]
    assert len(solid) == 2  # one fitted line per segment
    np.testing.assert_allclose(np.concatenate([line.get_ydata() for line in solid]),
                               frame["fitted"])
    ribbons = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(ribbons) >= 3  # two fitted segments and the counterfactual (+ phase-in span)
    assert ax.get_xlabel() == "month" and ax.get_ylabel() == "y"


def test_comparison_series_plot_shows_controls() -> None:
    data = pd.concat([_data().assign(unit="treated"),
                      _data().assign(unit="control", y=lambda d: d["y"] + 1 + np.cos(d.index))],
                     ignore_index=True)
    result = fit_its(data, outcome="y", time="month", interruptions="2020-07", group="unit",
                     treated="treated", errors="ols")
    labels = result.plot().axes[0].get_legend_handles_labels()[1]
    assert "comparison units (mean)" in labels and "treated" in labels


def test_diagnostic_and_sensitivity_plots() -> None:
    result = fit_its(_data(), outcome="y", time="month", interruptions="2020-07", errors="ols")
    acf_figure = result.diagnostics(nlags=6).plot()
    assert acf_figure.axes[0].get_title() == "Residual ACF"
    placebo = placebo_test(_data(), outcome="y", time="month", interruptions="2020-07",
                           n_placebos=4, errors="ols")
    assert [ax.get_title() for ax in placebo.plot().axes] == ["level change", "trend change"]
    dates = break_date_sensitivity(_data(), outcome="y", time="month", interruptions="2020-07",
                                   window=2, errors="ols")
    figure = dates.plot()
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == [
        "2020-05", "2020-06", "2020-07", "2020-08", "2020-09"]


def test_plot_on_given_axes() -> None:
    figure = Figure()
    ax = figure.subplots()
    result = fit_its(_data(), outcome="y", time="month", interruptions="2020-07", errors="ols")
    assert result.plot(ax=ax) is figure
