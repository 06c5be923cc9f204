"""The run chart with Anhoej's rules: the series against its median, no limits.

Within each rebase group the centre line is the median of the baseline points (the first
`fix_after_n_points`, less any `exclude`d point), as qicharts2's `qic(chart = "run")`; the
group is then judged by Anhoej's two rules (`slp_eval.spc.runs`): an unusually long run on one
side of the median (a shift) or unusually few crossings of it.

The variation icon of a run chart (for the board summary) says what the rules found at the last
point: "common_cause" when neither rule signals; when the last point belongs to a run longer than
`longest_run_max`, a shift at the last point, named high or low and oriented by
`improvement_direction` like the MDC icons ("improvement_high", "concern_low", "neutral_high",
...); "non_random" when a rule signals but the last run is not a shift (a past shift or too few
crossings). A run chart has no limits, so no assurance icon.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.spc.common import (
    Direction,
    Missing,
    check_direction,
    last_sentence,
    period_label,
    rebase_groups,
    time_axis,
    values,
)
from slp_eval.spc.runs import RunsAnalysis, runs_analysis
from slp_eval.spc.xmr import gap_messages
from slp_eval.tidy import DisplayResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FRAME_COLUMNS = ["x", "y", "rebase_group", "baseline", "include", "cl", "runs_signal"]


@dataclass(frozen=True, repr=False)
class RunChartResult(DisplayResult):
    """A run chart: one row per point (`to_frame()`: x, y, rebase_group, baseline, include, cl,
    runs_signal), one row per rebase group with Anhoej's runs analysis (`summary_frame()`),
    the last point's variation icon and messages. `x` keeps the input's form; `stamps`."""

    frame: pd.DataFrame
    value: str
    time: str
    improvement_direction: Direction
    rebase: tuple[Any, ...]
    fix_after_n_points: int | None
    runs: tuple[RunsAnalysis, ...]
    messages: tuple[str, ...] = field(default_factory=tuple)
    stamps: pd.Series = field(default_factory=lambda: pd.Series(dtype="datetime64[ns]"))

    chart = "run"
    target = None
    centre_column, lower_column, upper_column = "cl", None, None

    def to_frame(self) -> pd.DataFrame:
        """One row per point."""
        return self.frame.copy()

    def summary_frame(self) -> pd.DataFrame:
        """One row per rebase group: start, end, n_obs, n_useful, median, longest_run,
        longest_run_max, n_crossings, n_crossings_min, shift, too_few_crossings, runs_signal."""
        rows = []
        for k, runs in enumerate(self.runs):
            part = self.frame.index[self.frame["rebase_group"] == k]
            rows.append(
                {
                    "rebase_group": k,
                    "start": period_label(self.stamps.iloc[part[0]]),
                    "end": period_label(self.stamps.iloc[part[-1]]),
                    "n_obs": runs.n_obs,
                    "n_useful": runs.n_useful,
                    "median": float(self.frame["cl"].iloc[part[0]]),
                    "longest_run": runs.longest_run,
                    "longest_run_max": runs.longest_run_max,
                    "n_crossings": runs.n_crossings,
                    "n_crossings_min": runs.n_crossings_min,
                    "shift": runs.shift,
                    "too_few_crossings": runs.too_few_crossings,
                    "runs_signal": runs.runs_signal,
                }
            )
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """The last point against the median and the last group's runs analysis in words."""
        runs = self.runs[-1]
        text = last_sentence(
            "Run chart", self.value, self.stamps.iloc[-1], self.last(), self.variation, None, None
        )
        if runs.n_useful:
            found = [
                w
                for w, hit in (
                    ("a shift (an unusually long run)", runs.shift),
                    ("too few crossings of the median", runs.too_few_crossings),
                )
                if hit
            ]
            text += (
                f"\nLongest run {runs.longest_run} (more than {runs.longest_run_max} signals a shift); "
                f"{runs.n_crossings} crossings (fewer than {runs.n_crossings_min} signals a pattern): "
                + (" and ".join(found) + "." if found else "random variation only.")
            )
        return "\n".join([text, *(f"Note: {m}." for m in self.messages)])

    def _header(self) -> str:
        return f"RunChartResult: run chart of {self.value!r}, {len(self.frame)} points"

    def last(self) -> dict[str, float]:
        """The last point's value and the median (no limits)."""
        row = self.frame.iloc[-1]
        return {
            "value": float(row["y"]),
            "centre": float(row["cl"]),
            "lower": float("nan"),
            "upper": float("nan"),
        }

    @property
    def variation(self) -> str | None:
        """ "common_cause", a shift at the last point ("improvement_high", "concern_low", ...,
        "neutral_high"/"_low"), or "non_random" (module docstring)."""
        runs = self.runs[-1]
        if not runs.n_useful:
            return None
        if not runs.runs_signal:
            return "common_cause"
        side, length = runs.current_run
        if length <= (runs.longest_run_max or 0):
            return "non_random"
        high = side > 0
        if self.improvement_direction == "neutral":
            return "neutral_high" if high else "neutral_low"
        better = high == (self.improvement_direction == "increase")
        return f"{'improvement' if better else 'concern'}_{'high' if high else 'low'}"

    assurance = None

    def plot(self, ax: Any = None, *, title: str | None = None, label: str | None = None) -> Figure:
        """The run chart (see `slp_eval.plots.spc.plot_spc`)."""
        from slp_eval.plots.spc import plot_spc

        return plot_spc(self, ax=ax, title=title, label=label)


def run_chart(
    data: pd.DataFrame,
    *,
    value: str,
    time: str,
    improvement_direction: Direction = "neutral",
    rebase: Sequence[Any] | None = None,
    fix_after_n_points: int | None = None,
    exclude: Sequence[Any] | None = None,
    missing: Missing = "error",
) -> RunChartResult:
    """A run chart of `data[value]` over `data[time]` with Anhoej's rules (module docstring).

    Options as `slp_eval.spc.spc`; `exclude` lists times drawn but left out of the median and the
    runs analysis. Raises ModelInputError / ParameterError as `spc` does."""
    check_direction(improvement_direction, None, "run chart")
    if fix_after_n_points is not None and fix_after_n_points < 1:
        raise ParameterError("run chart: fix_after_n_points must be at least 1")
    axis = time_axis(data, time, "run chart")
    y = values(data, value, axis, missing, "run chart")
    group = rebase_groups(axis, rebase, "run chart")
    excluded = np.zeros(len(y), bool)
    for when in exclude or ():
        stamp = pd.Timestamp(pd.Period(when, freq="M").to_timestamp() if isinstance(when, str) else when)
        hits = np.flatnonzero(axis.stamps.to_numpy() == stamp.to_datetime64())
        if not len(hits):
            raise ModelInputError(f"run chart: exclude time {when} is not a time of the series")
        excluded[hits] = True
    cl = np.full(len(y), np.nan)
    baseline = np.zeros(len(y), bool)
    signal = np.zeros(len(y), bool)
    runs = []
    for k in range(group.max() + 1):
        rows = np.flatnonzero(group == k)
        first = rows[:fix_after_n_points] if fix_after_n_points else rows
        baseline[first] = True
        base = first[~excluded[first] & ~np.isnan(y[first])]
        if not len(base):
            raise ModelInputError(f"run chart: rebase group {k} has no baseline value for its median")
        cl[rows] = float(np.median(y[base]))
        analysis = runs_analysis(np.where(excluded[rows], np.nan, y[rows]), cl[rows])
        runs.append(analysis)
        signal[rows] = analysis.runs_signal
    frame = pd.DataFrame(
        {
            "x": axis.values,
            "y": y,
            "rebase_group": group,
            "baseline": baseline,
            "include": ~excluded,
            "cl": cl,
            "runs_signal": signal,
        }
    )
    messages = gap_messages(y, axis.stamps)
    return RunChartResult(
        frame=frame[FRAME_COLUMNS],
        value=value,
        time=time,
        improvement_direction=improvement_direction,
        rebase=tuple(rebase or ()),
        fix_after_n_points=fix_after_n_points,
        runs=tuple(runs),
        messages=tuple(messages),
        stamps=axis.stamps,
    )


__all__ = ["FRAME_COLUMNS", "RunChartResult", "run_chart"]
