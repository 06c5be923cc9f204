"""Statistical process control: the XmR chart of NHS England's "Making Data Count" (MDC).

`spc(data, value=..., time=..., improvement_direction=...)` follows NHSRplotthedots 0.2.2 (the
NHS-R community's reference implementation of MDC; Reading et al., https://github.com/
nhs-r-community/NHSRplotthedots, MIT), column names included. Hand-written because no Python
library implements the MDC rules and icons; statsmodels has no SPC charts.

Within each rebase group (points from one rebase date to the next):

    mean = mean(y)                      (of the first `fix_after_n_points` points when given)
    MR_t = |y_t - y_{t-1}|,  AMR = mean(MR)
    screen_outliers: drop every MR_t >= 3.267 * AMR and recompute AMR once
    lpl, upl = mean -/+ 2.66 * AMR      (process limits; 2.66 = 3 / d2, d2 = 1.128)
    near-limit band: beyond mean -/+ (2/3) * 2.66 * AMR but inside the limits

Special-cause rules, each point marked with every point of the run it belongs to:
1. a point beyond a process limit (strictly above `upl` or below `lpl`);
2. a run of 7 points on one side of the mean (a point exactly on the mean breaks the run);
3. a trend of 7 points each strictly higher (or each strictly lower) than the one before (a tie
   breaks the trend; a trend may cross the mean);
4. 2 of 3 consecutive points close to (not beyond) a limit, all three on the same side of the mean.
Where a point meets several rules the first one names its direction: outside a limit by its side,
a trend by its direction, 2-of-3 and runs by their side of the mean. `point_type` is that
direction oriented by `improvement_direction` ("special_cause_improvement" / "_concern"), or
"special_cause_neutral_high" / "_low" for a neutral measure.

Assurance against a target uses the last point's limits: for an increasing measure a target below
`lpl` is "consistent_pass", above `upl` "consistent_fail", otherwise "inconsistent" (mirrored for
a decreasing measure).

Where NHSRplotthedots and the MDC guidance (and its Excel tool) differ, this module follows the R
package and documents it:
- `screen_outliers=True` screens large moving ranges as NHSRplotthedots does; the MDC Excel tool
  does not screen them (`screen_outliers=False` reproduces it).
- Run-chart convention (Provost & Murray, *The Health Care Data Guide*, 2011) skips points on the
  centre line and ties in a trend; NHSRplotthedots lets a point on the mean break a run and a tie
  break a trend.
- The 2-of-3 rule of MDC names two of three points near a limit; NHSRplotthedots 0.2 also needs
  the third point on the same side of the mean, and a point beyond the limit is not "close".
- NHSRplotthedots warns when a group has fewer than 12 points but still applies the rules; here
  such a group gets its limits only (`MIN_POINTS_FOR_RULES`), with a message saying so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from slp_eval.errors import ModelInputError, ParameterError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

LIMIT = 2.66
NEAR_LIMIT = 2 * LIMIT / 3
SCREEN = 3.267
#: Fewer points than this in a (rebase) group: limits only, no rules (NHSRplotthedots' warning threshold).
MIN_POINTS_FOR_RULES = 12
RUN = 7

Direction = Literal["increase", "decrease", "neutral"]
FRAME_COLUMNS = [
    "x", "y", "rebase_group", "mean", "lpl", "upl", "outside_limits", "relative_to_mean",
    "close_to_limits", "special_cause_type", "point_type", "target",
]  # fmt: skip


@dataclass(frozen=True)
class SPCResult:
    """An XmR chart: one row per point (`to_frame()`), the last point's icons and messages."""

    frame: pd.DataFrame
    value: str
    time: str
    improvement_direction: Direction
    target: float | None
    rebase: tuple[Any, ...]
    screen_outliers: bool
    fix_after_n_points: int | None
    messages: tuple[str, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """One row per point with NHSRplotthedots' column names (`x` time, `y` value)."""
        return self.frame.copy()

    @property
    def rules_applied(self) -> bool:
        """False when the last group was too short for the special-cause rules (limits only)."""
        return bool(self.frame["point_type"].notna().iloc[-1])

    @property
    def assurance(self) -> str | None:
        """ "consistent_pass", "consistent_fail" or "inconsistent" from the last point's limits."""
        if self.target is None or self.improvement_direction == "neutral":
            return None
        last = self.frame.iloc[-1]
        increasing = self.improvement_direction == "increase"
        if self.target > last["upl"]:
            return "consistent_fail" if increasing else "consistent_pass"
        if self.target < last["lpl"]:
            return "consistent_pass" if increasing else "consistent_fail"
        return "inconsistent"

    @property
    def variation(self) -> str | None:
        """The MDC variation icon of the last point (NHSRplotthedots' icon file names).

        "common_cause", "improvement_high"/"improvement_low", "concern_high"/"concern_low",
        "neutral_high"/"neutral_low"; None when the rules were not applied.
        """
        point_type = self.frame["point_type"].iloc[-1]
        if not isinstance(point_type, str):
            return None
        if point_type == "common_cause":
            return "common_cause"
        if point_type.startswith("special_cause_neutral"):
            return point_type.removeprefix("special_cause_")
        up = self.improvement_direction == "increase"
        if point_type == "special_cause_improvement":
            return "improvement_high" if up else "improvement_low"
        return "concern_low" if up else "concern_high"

    def plot(self, ax: Any = None, *, title: str | None = None, label: str | None = None) -> Figure:
        """The MDC chart (see `slp_eval.plots.spc.plot_spc`)."""
        from slp_eval.plots.spc import plot_spc

        return plot_spc(self, ax=ax, title=title, label=label)


def _times(data: pd.DataFrame, time: str) -> pd.Series:
    if time not in data.columns:
        raise ModelInputError(f"spc: column {time!r} (time) not in the data")
    raw = data[time]
    if isinstance(raw.dtype, pd.PeriodDtype):
        return raw.dt.to_timestamp()
    parsed = pd.to_datetime(raw.astype(str), errors="coerce", format="mixed")
    if parsed.isna().any():
        row = int(np.flatnonzero(parsed.isna().to_numpy())[0])
        raise ModelInputError(f"spc: column {time!r}, row {row + 1}: not a date or YYYY-MM month")
    return parsed


def _seven_one_side(rtm: np.ndarray) -> np.ndarray:
    n = len(rtm)
    end = np.zeros(n, bool)
    for i in range(RUN - 1, n):
        window = rtm[i - RUN + 1 : i + 1]
        end[i] = window[-1] != 0 and bool(np.all(window == window[-1]))
    return _part_of_run(end.astype(int))


def _trend(y: np.ndarray) -> np.ndarray:
    """+1/-1 at the last point of 7 strictly increasing/decreasing points, else 0."""
    n = len(y)
    end = np.zeros(n, int)
    for i in range(RUN - 1, n):
        steps = np.sign(np.diff(y[i - RUN + 1 : i + 1]))
        if np.all(steps == 1):
            end[i] = 1
        elif np.all(steps == -1):
            end[i] = -1
    return end


def _part_of_run(end: np.ndarray) -> np.ndarray:
    """A point is part of a run when it, or one of the 6 points after it, ends a run of 7."""
    n = len(end)
    return np.array([bool(np.any(end[i : i + RUN] != 0)) for i in range(n)])


def _two_in_three(close: np.ndarray, rtm: np.ndarray) -> np.ndarray:
    n = len(close)
    hit = np.zeros(n, bool)
    for start in range(n - 2):
        window = slice(start, start + 3)
        if close[window].sum() >= 2 and abs(rtm[window].sum()) == 3:
            hit[window] = True
    return hit & close


def _group_rules(y: np.ndarray, rtm: np.ndarray, close: np.ndarray, outside: np.ndarray) -> list[str]:
    trend_end = _trend(y)
    in_trend = _part_of_run(trend_end)
    two = _two_in_three(close, rtm)
    seven = _seven_one_side(rtm)
    # Direction of a trend point: the step to the next point when that point is in the trend too,
    # else the step from the previous point (NHSRplotthedots 0.2, fixing issue #167).
    steps = np.sign(np.diff(y))
    right = np.append(steps, steps[-1] if len(steps) else 0)
    left = np.insert(steps, 0, 0)
    next_in = np.append(in_trend[1:], False)
    trend_sign = np.where(next_in & in_trend, right, left)
    types = []
    for i in range(len(y)):
        side = "Above" if rtm[i] > 0 else "Below"
        if outside[i]:
            types.append("Above UCL" if rtm[i] == 1 else "Below LCL")
        elif in_trend[i]:
            types.append(f"7 Point Trend ({'In' if trend_sign[i] == 1 else 'De'}creasing)")
        elif two[i]:
            types.append(f"2 in 3 {side} CL")
        elif seven[i]:
            types.append(f"7 Points {side} CL")
        else:
            types.append("Common Cause")
    return types


def _point_type(special: str, direction: Direction) -> str:
    if special == "Common Cause":
        return "common_cause"
    high = any(word in special for word in ("Above", "Increasing"))
    if direction == "neutral":
        return "special_cause_neutral_high" if high else "special_cause_neutral_low"
    improving = high == (direction == "increase")
    return "special_cause_improvement" if improving else "special_cause_concern"


def spc(
    data: pd.DataFrame,
    *,
    value: str,
    time: str,
    improvement_direction: Direction,
    target: float | None = None,
    rebase: Sequence[Any] | None = None,
    fix_after_n_points: int | None = None,
    screen_outliers: bool = True,
) -> SPCResult:
    """An MDC XmR chart of `data[value]` over `data[time]` (see the module docstring).

    `rebase`: times at which new limits start (the point at each time opens a new group).
    `fix_after_n_points`: compute each group's mean and limits from its first n points only.
    Raises `ModelInputError` for a missing column, missing or duplicated values, rebase dates
    outside the series, or a group of fewer than 2 points; `ParameterError` for a target on a
    neutral measure or an unknown direction.
    """
    if improvement_direction not in ("increase", "decrease", "neutral"):
        raise ParameterError(
            "spc: improvement_direction must be increase, decrease or neutral; "
            f"found {improvement_direction!r}"
        )
    if target is not None and improvement_direction == "neutral":
        raise ParameterError("spc: a target needs an improvement direction; this measure is neutral")
    if fix_after_n_points is not None and fix_after_n_points < 2:
        raise ParameterError("spc: fix_after_n_points must be at least 2 (limits need a moving range)")
    if value not in data.columns:
        raise ModelInputError(f"spc: column {value!r} (value) not in the data")
    x = _times(data, time)
    order = np.argsort(x.to_numpy(), kind="stable")
    x = x.iloc[order].reset_index(drop=True)
    y_series = pd.to_numeric(data[value].iloc[order], errors="coerce").reset_index(drop=True)
    if y_series.isna().any():
        where = x[y_series.isna()].iloc[0]
        raise ModelInputError(f"spc: column {value!r} is missing or not a number at {where:%Y-%m-%d}")
    if x.duplicated().any():
        raise ModelInputError(f"spc: column {time!r} has {int(x.duplicated().sum())} duplicated time(s)")
    y = y_series.to_numpy(float)

    starts = [0]
    rebase_times = tuple(rebase or ())
    for when in rebase_times:
        stamp = pd.Timestamp(pd.Period(when, freq="M").to_timestamp() if isinstance(when, str) else when)
        if stamp <= x.iloc[0] or stamp > x.iloc[-1]:
            raise ModelInputError(
                f"spc: rebase date {when} is outside the series ({x.iloc[0]:%Y-%m} to {x.iloc[-1]:%Y-%m}); "
                "a rebase must fall after the first point and at or before the last"
            )
        starts.append(int(np.searchsorted(x.to_numpy(), stamp.to_datetime64(), side="left")))
    starts = sorted(set(starts))
    group = np.zeros(len(y), int)
    for k, s in enumerate(starts):
        group[s:] = k

    frame = pd.DataFrame({"x": x, "y": y, "rebase_group": group})
    for name in FRAME_COLUMNS[3:]:
        frame[name] = pd.Series([None] * len(y), dtype=object)
    messages: list[str] = []
    for k in range(len(starts)):
        rows = np.flatnonzero(group == k)
        g = y[rows]
        if len(g) < 2:
            raise ModelInputError(f"spc: rebase group {k} has {len(g)} point(s); limits need at least 2")
        fixed = g[:fix_after_n_points] if fix_after_n_points else g
        mean = float(fixed.mean())
        mr = np.abs(np.diff(fixed))
        amr = float(mr.mean())
        if screen_outliers and amr > 0:
            amr = float(mr[mr < SCREEN * amr].mean())
        lpl, upl = mean - LIMIT * amr, mean + LIMIT * amr
        outside = (g > upl) | (g < lpl)
        rtm = np.sign(g - mean).astype(int)
        close = ~outside & ((g < mean - NEAR_LIMIT * amr) | (g > mean + NEAR_LIMIT * amr))
        frame.loc[rows, "mean"] = mean
        frame.loc[rows, "lpl"] = lpl
        frame.loc[rows, "upl"] = upl
        if len(g) < MIN_POINTS_FOR_RULES:
            messages.append(
                f"group {k} ({x.iloc[rows[0]]:%Y-%m} to {x.iloc[rows[-1]]:%Y-%m}) has {len(g)} points, fewer "
                f"than the {MIN_POINTS_FOR_RULES} the special-cause rules need: limits only, no rules applied"
            )
            continue
        types = _group_rules(g, rtm, close, outside)
        frame.loc[rows, "outside_limits"] = outside
        frame.loc[rows, "relative_to_mean"] = rtm
        frame.loc[rows, "close_to_limits"] = close
        frame.loc[rows, "special_cause_type"] = types
        frame.loc[rows, "point_type"] = [_point_type(t, improvement_direction) for t in types]
    for column in ("mean", "lpl", "upl"):
        frame[column] = frame[column].astype(float)
    frame["target"] = np.nan if target is None else float(target)
    return SPCResult(
        frame=frame[FRAME_COLUMNS],
        value=value,
        time=time,
        improvement_direction=improvement_direction,
        target=None if target is None else float(target),
        rebase=rebase_times,
        screen_outliers=screen_outliers,
        fix_after_n_points=fix_after_n_points,
        messages=tuple(messages),
    )


__all__ = ["LIMIT", "MIN_POINTS_FOR_RULES", "NEAR_LIMIT", "SCREEN", "SPCResult", "spc"]
