"""What every SPC chart shares: the time axis (kept in the input's own form), rebase groups,
gaps, the Making Data Count (MDC) special-cause rules and the variation and assurance icons.

The MDC rules are NHSRplotthedots 0.2.2's (R/ptd_calculate_point_type.R), written for a centre
line and limits that may change from point to point, so the XmR chart (constant limits within a
group) and the p, u and c charts (limits that move with the denominator) apply the same rules:

1. a point beyond a limit (strictly above the upper or below the lower);
2. a run of 7 points on one side of the centre line (a point exactly on it breaks the run);
3. a trend of 7 points each strictly higher (or each strictly lower) than the one before;
4. 2 of 3 consecutive points close to (not beyond) a limit, all three on one side of the centre.

A gap (a month with no value, e.g. suppressed at source) is skipped: the rules run over the
points charted, in order, so a gap neither breaks nor extends a run, as a run chart skips a point
on its median (Provost & Murray 2011). Hand-written because no Python library implements the MDC
rules; statsmodels has no SPC charts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from slp_eval.errors import ModelInputError, ParameterError

RUN = 7
#: Fewer points than this in a (rebase) group: limits only, no rules (NHSRplotthedots' warning threshold).
MIN_POINTS_FOR_RULES = 12

Direction = Literal["increase", "decrease", "neutral"]
Missing = Literal["error", "gap"]

__all__ = [
    "ASSURANCE_WORDS",
    "MIN_POINTS_FOR_RULES",
    "RUN",
    "VARIATION_WORDS",
    "Direction",
    "Missing",
    "TimeAxis",
    "assurance_of",
    "check_direction",
    "fmt",
    "last_sentence",
    "mdc_rules",
    "period_label",
    "point_type",
    "rebase_groups",
    "time_axis",
    "values",
    "variation_of",
]


class TimeAxis:
    """A chart's times sorted: `values` in the input's own form (a "YYYY-MM" string stays a
    string, a Period a Period), `stamps` as Timestamps (where the points are drawn), `order` the
    input rows' order."""

    def __init__(self, values: pd.Series, stamps: pd.Series, order: np.ndarray) -> None:
        self.values, self.stamps, self.order = values, stamps, order

    def label(self, i: int) -> str:
        """The time of point i as YYYY-MM (a month) or YYYY-MM-DD."""
        return period_label(self.stamps.iloc[i])


def period_label(stamp: pd.Timestamp) -> str:
    """YYYY-MM for the first of a month at midnight, else YYYY-MM-DD."""
    return f"{stamp:%Y-%m}" if stamp.day == 1 and stamp.hour == 0 else f"{stamp:%Y-%m-%d}"


def time_axis(data: pd.DataFrame, time: str, where: str) -> TimeAxis:
    """The sorted time axis of `data[time]`; ModelInputError for an unreadable or repeated time."""
    if time not in data.columns:
        raise ModelInputError(f"{where}: column {time!r} (time) not in the data")
    raw = data[time]
    if isinstance(raw.dtype, pd.PeriodDtype):
        stamps = raw.dt.to_timestamp()
    else:
        stamps = pd.to_datetime(raw.astype(str), errors="coerce", format="mixed")
        if stamps.isna().any():
            row = int(np.flatnonzero(stamps.isna().to_numpy())[0])
            raise ModelInputError(f"{where}: column {time!r}, row {row + 1}: not a date or YYYY-MM month")
    order = np.argsort(stamps.to_numpy(), kind="stable")
    stamps = stamps.iloc[order].reset_index(drop=True)
    if stamps.duplicated().any():
        raise ModelInputError(
            f"{where}: column {time!r} has {int(stamps.duplicated().sum())} duplicated time(s)"
        )
    return TimeAxis(raw.iloc[order].reset_index(drop=True), stamps, order)


def values(
    data: pd.DataFrame, column: str, axis: TimeAxis, missing: Missing, where: str, role: str = "value"
) -> np.ndarray:
    """`data[column]` in time order as floats; a missing value is an error (`missing="error"`) or
    a gap (NaN, `missing="gap"`); text that is not a number is always an error."""
    if column not in data.columns:
        raise ModelInputError(f"{where}: column {column!r} ({role}) not in the data")
    raw = data[column].iloc[axis.order].reset_index(drop=True)
    numbers = pd.to_numeric(raw, errors="coerce")
    bad = numbers.isna() & (raw.notna() if missing == "gap" else True)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        hint = " (missing='gap' charts it as a gap)" if missing == "error" and raw.isna().iloc[i] else ""
        raise ModelInputError(
            f"{where}: column {column!r} is missing or not a number at {axis.stamps.iloc[i]:%Y-%m-%d}{hint}"
        )
    out = numbers.to_numpy(float)
    if not np.isfinite(out[~np.isnan(out)]).all():
        i = int(np.flatnonzero(np.isinf(out))[0])
        raise ModelInputError(f"{where}: column {column!r} is infinite at {axis.stamps.iloc[i]:%Y-%m-%d}")
    return out


def rebase_groups(axis: TimeAxis, rebase: Sequence[Any] | None, where: str) -> np.ndarray:
    """The rebase group (0, 1, ...) of each point: each rebase time opens a new group."""
    stamps = axis.stamps
    starts = [0]
    for when in rebase or ():
        stamp = pd.Timestamp(pd.Period(when, freq="M").to_timestamp() if isinstance(when, str) else when)
        if stamp <= stamps.iloc[0] or stamp > stamps.iloc[-1]:
            raise ModelInputError(
                f"{where}: rebase date {when} is outside the series ({stamps.iloc[0]:%Y-%m} to "
                f"{stamps.iloc[-1]:%Y-%m}); a rebase must fall after the first point and at or "
                "before the last"
            )
        starts.append(int(np.searchsorted(stamps.to_numpy(), stamp.to_datetime64(), side="left")))
    group = np.zeros(len(stamps), int)
    for k, s in enumerate(sorted(set(starts))):
        group[s:] = k
    return group


def check_direction(direction: str, target: float | None, where: str) -> None:
    """ParameterError for an unknown direction or a target on a neutral measure."""
    if direction not in ("increase", "decrease", "neutral"):
        raise ParameterError(
            f"{where}: improvement_direction must be increase, decrease or neutral; found {direction!r}"
        )
    if target is not None and direction == "neutral":
        raise ParameterError(f"{where}: a target needs an improvement direction; this measure is neutral")


def _part_of_run(end: np.ndarray) -> np.ndarray:
    """A point is part of a run when it, or one of the 6 points after it, ends a run of 7."""
    return np.array([bool(np.any(end[i : i + RUN] != 0)) for i in range(len(end))])


def _seven_one_side(rtm: np.ndarray) -> np.ndarray:
    end = np.zeros(len(rtm), bool)
    for i in range(RUN - 1, len(rtm)):
        window = rtm[i - RUN + 1 : i + 1]
        end[i] = window[-1] != 0 and bool(np.all(window == window[-1]))
    return _part_of_run(end.astype(int))


def _trend(y: np.ndarray) -> np.ndarray:
    """+1/-1 at the last point of 7 strictly increasing/decreasing points, else 0."""
    end = np.zeros(len(y), int)
    for i in range(RUN - 1, len(y)):
        steps = np.sign(np.diff(y[i - RUN + 1 : i + 1]))
        if np.all(steps == 1):
            end[i] = 1
        elif np.all(steps == -1):
            end[i] = -1
    return end


def _two_in_three(close: np.ndarray, rtm: np.ndarray) -> np.ndarray:
    hit = np.zeros(len(close), bool)
    for start in range(len(close) - 2):
        window = slice(start, start + 3)
        if close[window].sum() >= 2 and abs(rtm[window].sum()) == 3:
            hit[window] = True
    return hit & close


def _special_types(y: np.ndarray, rtm: np.ndarray, close: np.ndarray, outside: np.ndarray) -> list[str]:
    in_trend = _part_of_run(_trend(y))
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


def point_type(special: str, direction: Direction) -> str:
    """NHSRplotthedots' point_type of a special-cause type, oriented by the direction."""
    if special == "Common Cause":
        return "common_cause"
    high = any(word in special for word in ("Above", "Increasing"))
    if direction == "neutral":
        return "special_cause_neutral_high" if high else "special_cause_neutral_low"
    improving = high == (direction == "increase")
    return "special_cause_improvement" if improving else "special_cause_concern"


def mdc_rules(
    y: np.ndarray,
    centre: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    near_lower: np.ndarray,
    near_upper: np.ndarray,
    direction: Direction,
) -> dict[str, list[Any]]:
    """The MDC columns of one group: outside_limits, relative_to_mean, close_to_limits,
    special_cause_type, point_type (None at a gap). The rules see the charted points only."""
    n = len(y)
    seen = ~np.isnan(y)
    out: dict[str, list[Any]] = {
        k: [None] * n
        for k in ("outside_limits", "relative_to_mean", "close_to_limits", "special_cause_type", "point_type")
    }
    g = y[seen]
    outside = (g > upper[seen]) | (g < lower[seen])
    rtm = np.sign(g - centre[seen]).astype(int)
    close = ~outside & ((g < near_lower[seen]) | (g > near_upper[seen]))
    types = _special_types(g, rtm, close, outside)
    for k, i in enumerate(np.flatnonzero(seen)):
        out["outside_limits"][i] = bool(outside[k])
        out["relative_to_mean"][i] = int(rtm[k])
        out["close_to_limits"][i] = bool(close[k])
        out["special_cause_type"][i] = types[k]
        out["point_type"][i] = point_type(types[k], direction)
    return out


def variation_of(point_type: object, direction: Direction) -> str | None:
    """The MDC variation icon (NHSRplotthedots' icon file names) of a point_type: "common_cause",
    "improvement_high"/"_low", "concern_high"/"_low", "neutral_high"/"_low"; None if not judged."""
    if not isinstance(point_type, str):
        return None
    if point_type == "common_cause":
        return "common_cause"
    if point_type.startswith("special_cause_neutral"):
        return point_type.removeprefix("special_cause_")
    up = direction == "increase"
    if point_type == "special_cause_improvement":
        return "improvement_high" if up else "improvement_low"
    return "concern_low" if up else "concern_high"


def assurance_of(target: float | None, lower: float, upper: float, direction: Direction) -> str | None:
    """ "consistent_pass", "consistent_fail" or "inconsistent" from a point's limits and a target
    (NHSRplotthedots' ptd_calculate_assurance_type); None without a target or direction."""
    if target is None or direction == "neutral":
        return None
    increasing = direction == "increase"
    if target > upper:
        return "consistent_fail" if increasing else "consistent_pass"
    if target < lower:
        return "consistent_pass" if increasing else "consistent_fail"
    return "inconsistent"


#: The variation icon in words (the report's sentences and the board summary).
VARIATION_WORDS = {
    "common_cause": "common cause variation only",
    "improvement_high": "special cause variation: improvement (high)",
    "improvement_low": "special cause variation: improvement (low)",
    "concern_high": "special cause variation: concern (high)",
    "concern_low": "special cause variation: concern (low)",
    "neutral_high": "special cause variation, neither better nor worse (high)",
    "neutral_low": "special cause variation, neither better nor worse (low)",
    "non_random": "non-random variation (a past shift or too few crossings), not at the last point",
}
#: The assurance icon in words.
ASSURANCE_WORDS = {
    "consistent_pass": "the limits lie on the right side of the target: it will be met every month",
    "consistent_fail": "the limits lie on the wrong side of the target: it will be missed every month",
    "inconsistent": "the target lies inside the process limits: it will be met or missed by chance",
}


def fmt(value: float) -> str:
    """A chart value in a sentence: 3 significant digits (4 below 1, as shares are)."""
    return (
        "no value"
        if value is None or np.isnan(value)
        else f"{value:.4g}"
        if abs(value) < 1
        else f"{value:.3g}"
    )


def last_sentence(
    kind: str,
    what: str,
    stamp: pd.Timestamp,
    last: dict[str, float],
    variation: str | None,
    assurance: str | None,
    target: float | None,
    limits: str = "process limits",
) -> str:
    """ "<kind> of <what>: in <month> <value> against a centre of ... (limits ...): <icon words>."""
    text = (
        f"{kind} of {what}: at {period_label(stamp)} {fmt(last['value'])} against a centre line of "
        f"{fmt(last['centre'])}"
    )
    if not np.isnan(last.get("lower", np.nan)):
        text += f" ({limits} {fmt(last['lower'])} to {fmt(last['upper'])})"
    text += f": {VARIATION_WORDS.get(variation or '', 'too few points for the rules')}"
    if assurance:
        text += f"; against the target of {target:g}, {ASSURANCE_WORDS[assurance]}"
    return text + "."
