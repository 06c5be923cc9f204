"""`figure_data`: the text shown beside each figure carries the arrays the figure was drawn with,
so nbval (which compares text, not images) fails when a figure's data change."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from slp_eval.report.figures import FigureData, figure_data


def drawn(y_shift: float = 0.0) -> Figure:
    fig = Figure()
    ax = fig.subplots()
    x = np.array([1.0, 2.0, 3.0])
    ax.plot(x, x * 2 + y_shift, label="fitted")
    ax.scatter(x, [5.0, 6.0, 7.25], label="observed")
    ax.fill_between(x, x - 1, x + 1)
    ax.axhline(0.5)
    ax.axvline(2.5)
    ax.bar([10.0], [3.0], width=0.5)
    ax.errorbar([1.0], [2.0], yerr=[[0.5], [1.0]], fmt="o", label="placebo")
    ax.set_title("A title")
    ax.set_xlabel("month")
    return fig


def test_every_plotted_array_is_in_the_text() -> None:
    text = figure_data(drawn())
    lines = text.splitlines()
    assert lines[0] == "panel 1: A title | x: month | y: -"
    assert "  line 'fitted': x 1 2 3" in lines
    assert "                 y 2 4 6" in lines
    assert "  points 'observed': x as above" in lines and any(line.endswith("y 5 6 7.25") for line in lines)
    assert "  horizontal line: y 0.5" in lines and "  vertical line: x 2.5" in lines
    bars = lines.index("  bars: x 9.75")
    assert lines[bars + 1:bars + 4] == ["        width 0.5", "        y 0", "        height 3"]
    band = lines[lines.index("  band 1 outline: x 1 1 2 3 3 3 2 1 1") + 1]
    assert band.split() == ["y", "2", "0", "1", "2", "4", "4", "3", "2", "2"]  # lower, then upper back
    error_bar = lines.index("  segments: x from 1")
    assert lines[error_bar + 1:error_bar + 4] == [
        "            x to   1", "            y from 1.5", "            y to   3"]


def test_a_changed_figure_changes_the_text_and_rounding_hides_float_noise() -> None:
    assert figure_data(drawn(0.01)) != figure_data(drawn())
    assert figure_data(drawn(1e-9)) == figure_data(drawn())


def test_monthly_dates_are_written_as_months() -> None:
    fig = Figure()
    ax = fig.subplots()
    ax.plot(pd.period_range("2018-03", periods=3, freq="M").to_timestamp(), [1.0, 2.5, np.nan])
    assert "  line: x 2018-03 2018-04 2018-05" in figure_data(fig).splitlines()
    assert figure_data(fig).splitlines()[-1].split()[-3:] == ["1", "2.5", "nan"]


def test_plain_text_for_nbval_and_closed_details_in_html() -> None:
    shown = FigureData("its_fit", "panel 1: <a> & b")
    assert repr(shown) == "Data behind figure 'its_fit' (4 significant digits):\npanel 1: <a> & b"
    html = shown._repr_html_()
    assert html.startswith("<details") and "&lt;a&gt; &amp; b" in html and "open" not in html
