"""The board summary: one row per measure with its last point and its MDC icons.

The "summary" page of NHS England's *Making Data Count* board reports (asked of NHSRplotthedots
in its issue 148 and of the PowerBI-SPC visual in its issue 294): for each measure the chart, the
last period, the last value, the centre line and limits, the target, and the variation and
assurance icons, so a board sees in one table which measures show special cause variation and
which will reliably meet their targets. It reads the charts' own results and computes nothing
new.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from slp_eval.errors import ParameterError
from slp_eval.spc.common import VARIATION_WORDS, period_label
from slp_eval.tidy import DisplayResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["ASSURANCE_VERBS", "CHART_LABELS", "BoardSummary", "Chart", "board_summary"]

#: How the summary names each chart type.
CHART_LABELS = {
    "xmr": "XmR",
    "run": "run chart",
    "p": "p",
    "pprime": "p′ (Laney)",
    "u": "u",
    "uprime": "u′ (Laney)",
    "c": "c",
}
#: The assurance icons as the summary counts them ("2 will meet it every month").
ASSURANCE_VERBS = {
    "consistent_pass": "will meet it every month",
    "consistent_fail": "will miss it every month",
    "inconsistent": "will meet or miss it by chance",
}
COLUMNS = [
    "measure",
    "chart",
    "last_period",
    "last_value",
    "centre",
    "lower",
    "upper",
    "target",
    "improvement_direction",
    "variation",
    "assurance",
]


class Chart(Protocol):
    """What the summary reads from a chart result (SPCResult, ControlChartResult, RunChartResult)."""

    chart: str
    stamps: pd.Series
    improvement_direction: str
    target: float | None

    def last(self) -> dict[str, float]: ...  # pragma: no cover - a protocol

    @property
    def variation(self) -> str | None: ...  # pragma: no cover - a protocol

    @property
    def assurance(self) -> str | None: ...  # pragma: no cover - a protocol


@dataclass(frozen=True, repr=False)
class BoardSummary(DisplayResult):
    """One row per measure (`to_frame()`): measure, chart, last_period, last_value, centre,
    lower, upper, target, improvement_direction, variation, assurance (icon names)."""

    frame: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """One row per measure."""
        return self.frame.copy()

    def summary_frame(self) -> pd.DataFrame:
        """The table (as `to_frame()`)."""
        return self.to_frame()

    def _header(self) -> str:
        return f"BoardSummary: {len(self.frame)} measures"

    def summary(self) -> str:
        """How many measures show each variation and assurance icon, in words."""
        parts = []
        for icon, count in self.frame["variation"].fillna("not judged").value_counts().items():
            parts.append(f"{count} {VARIATION_WORDS.get(str(icon), str(icon))}")
        text = f"{len(self.frame)} measures: " + "; ".join(parts) + "."
        assured = self.frame["assurance"].dropna()
        if len(assured):
            counts = assured.value_counts().items()
            text += f" Of the {len(assured)} with a target: " + "; ".join(
                f"{count} {ASSURANCE_VERBS[str(icon)]}" for icon, count in counts) + "."
        return text

    def plot(self, ax: Any = None, *, title: str | None = None) -> Figure:
        """The icon table as a figure (see `slp_eval.plots.spc.plot_board_summary`)."""
        from slp_eval.plots.spc import plot_board_summary

        return plot_board_summary(self, ax=ax, title=title)


def board_summary(charts: Mapping[str, Chart]) -> BoardSummary:
    """The board summary of `charts` (measure name -> chart result), in the mapping's order."""
    if not charts:
        raise ParameterError("board_summary: give at least one chart")
    rows = []
    for name, result in charts.items():
        last = result.last()
        rows.append(
            {
                "measure": name,
                "chart": CHART_LABELS.get(result.chart, result.chart),
                "last_period": period_label(result.stamps.iloc[-1]),
                "last_value": last["value"],
                "centre": last["centre"],
                "lower": last.get("lower", np.nan),
                "upper": last.get("upper", np.nan),
                "target": np.nan if result.target is None else float(result.target),
                "improvement_direction": result.improvement_direction,
                "variation": result.variation,
                "assurance": result.assurance,
            }
        )
    return BoardSummary(pd.DataFrame(rows, columns=COLUMNS))
