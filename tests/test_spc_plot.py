"""The MDC chart draws what the SPCResult says: point colours, limits, target, rebase, icons."""

import matplotlib.colors as mcolors
import pandas as pd

from slp_eval.plots.spc import COLOURS, icons, plot_spc, plot_spc_panels
from slp_eval.spc import spc


def result(**kwargs):  # type: ignore[no-untyped-def]
    y = [1.0, -1.0] * 6 + [11.0, 9.0] * 5 + [11.0, 25.0]
    data = pd.DataFrame({"month": pd.period_range("2020-01", periods=len(y), freq="M").astype(str), "y": y})
    return spc(data, value="y", time="month", improvement_direction="increase", **kwargs)


def test_chart_draws_points_limits_target_rebase_and_icons() -> None:
    res = result(target=20.0, rebase=["2021-01"])
    assert res.variation == "improvement_high" and res.assurance == "consistent_fail"
    figure = plot_spc(res, title="demo")
    ax = figure.axes[0]
    labels = ax.get_legend_handles_labels()[1]
    assert {"mean", "process limits", "rebase", "target 20"} <= set(labels)
    blue = mcolors.to_rgba(COLOURS["special_cause_improvement"])
    improvement = [c for c in ax.collections if tuple(c.get_facecolor()[0]) == blue]
    assert len(improvement[0].get_offsets()) == int(
        (res.to_frame()["point_type"] == "special_cause_improvement").sum()
    )
    texts = [t.get_text() for t in ax.texts]
    assert "H" in texts and "F" in texts and "improvement (high); target always missed" in texts
    assert [i[1] for i in icons(res)] == ["H", "F"]


def test_panels_one_axis_per_result() -> None:
    figure = plot_spc_panels({"a": result(), "b": result(), "c": result()})
    assert [ax.get_title(loc="left") for ax in figure.axes if ax.get_visible()] == ["a", "b", "c"]


def test_result_plot_method_and_no_matplotlib_for_the_statistics() -> None:
    import subprocess
    import sys

    assert result().plot(title="x").axes[0].get_title(loc="left") == "x"
    code = "import sys, slp_eval.spc; print('matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "False\n"
