"""The XmR chart of NHS England's "Making Data Count" (MDC).

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

The special-cause rules are those of `slp_eval.spc.common` (beyond a limit, a run of 7, a trend
of 7, 2 of 3 near a limit). `point_type` orients each by `improvement_direction`
("special_cause_improvement" / "_concern", or "special_cause_neutral_high" / "_low").

Assurance against a target uses the last point's limits: for an increasing measure a target below
`lpl` is "consistent_pass", above `upl` "consistent_fail", otherwise "inconsistent" (mirrored for
a decreasing measure).

A month with no value (`missing="gap"`, e.g. a count suppressed at source) is a gap: it is
drawn as a break in the line, forms no moving range (a moving range needs two consecutive
months, as NHSRplotthedots and qicharts2 drop it with `na.rm`), is skipped by the rules, and is
named in `messages`.

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
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.spc.common import (
    MIN_POINTS_FOR_RULES,
    Direction,
    Missing,
    assurance_of,
    check_direction,
    last_sentence,
    mdc_rules,
    period_label,
    rebase_groups,
    time_axis,
    values,
    variation_of,
)
from slp_eval.tidy import DisplayResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

LIMIT = 2.66
NEAR_LIMIT = 2 * LIMIT / 3
SCREEN = 3.267

FRAME_COLUMNS = [
    "x", "y", "rebase_group", "mean", "lpl", "upl", "outside_limits", "relative_to_mean",
    "close_to_limits", "special_cause_type", "point_type", "target",
]  # fmt: skip


def group_summary(
    frame: pd.DataFrame,
    stamps: pd.Series,
    centre: str,
    lower: str,
    upper: str,
    direction: Direction,
    target: float | None,
) -> pd.DataFrame:
    """One row per rebase group (NHSRplotthedots' `summary()`): its months, points, gaps, centre
    and limits at its last point, counts of each point type, the variation and assurance icons."""
    rows = []
    for group, part in frame.groupby("rebase_group", sort=True):
        index = part.index
        last = part.iloc[-1]
        types = part["point_type"]
        special = {"special_cause_improvement": 0, "special_cause_concern": 0, "special_cause_neutral": 0}
        for kind in types.dropna():
            key = "special_cause_neutral" if kind.startswith("special_cause_neutral") else kind
            if key in special:
                special[key] += 1
        judged = types.dropna()
        rows.append(
            {
                "rebase_group": int(group),
                "start": period_label(stamps.iloc[index[0]]),
                "end": period_label(stamps.iloc[index[-1]]),
                "n": int(part["y"].notna().sum()),
                "gaps": int(part["y"].isna().sum()),
                centre: float(last[centre]),
                lower: float(last[lower]),
                upper: float(last[upper]),
                "common_cause": int((judged == "common_cause").sum()),
                **(
                    {k: v for k, v in special.items() if k != "special_cause_neutral"}
                    if direction != "neutral"
                    else {"special_cause_neutral": special["special_cause_neutral"]}
                ),
                "variation_type": variation_of(judged.iloc[-1] if len(judged) else None, direction),
                "assurance_type": assurance_of(target, float(last[lower]), float(last[upper]), direction),
            }
        )
    return pd.DataFrame(rows)


def gap_messages(y: np.ndarray, stamps: pd.Series) -> list[str]:
    """One message naming the months with no value, when there are any."""
    gaps = [period_label(stamps.iloc[i]) for i in np.flatnonzero(np.isnan(y))]
    if not gaps:
        return []
    return [
        f"{len(gaps)} month(s) with no value (suppressed at source or not reported) shown as a gap and "
        f"left out of the limits and rules: {', '.join(gaps)}"
    ]


@dataclass(frozen=True, repr=False)
class SPCResult(DisplayResult):
    """An XmR chart: one row per point (`to_frame()`), one row per rebase group
    (`summary_frame()`), the last point's icons (`variation`, `assurance`) and messages.

    `to_frame()["x"]` holds the times as the input gave them (a "YYYY-MM" string stays a
    string, a Period a Period, a date a date); `stamps` holds the same times as Timestamps (where
    the points are drawn), in the same order."""

    frame: pd.DataFrame
    value: str
    time: str
    improvement_direction: Direction
    target: float | None
    rebase: tuple[Any, ...]
    screen_outliers: bool
    fix_after_n_points: int | None
    messages: tuple[str, ...] = field(default_factory=tuple)
    stamps: pd.Series = field(default_factory=lambda: pd.Series(dtype="datetime64[ns]"))

    chart = "xmr"
    centre_column, lower_column, upper_column = "mean", "lpl", "upl"

    def to_frame(self) -> pd.DataFrame:
        """One row per point with NHSRplotthedots' column names (`x` time, `y` value)."""
        return self.frame.copy()

    def summary_frame(self) -> pd.DataFrame:
        """One row per rebase group: rebase_group, start, end, n (points charted), gaps, mean,
        lpl, upl, common_cause, special_cause_improvement, special_cause_concern (or
        special_cause_neutral), variation_type, assurance_type (as NHSRplotthedots' summary())."""
        return group_summary(
            self.frame, self.stamps, "mean", "lpl", "upl", self.improvement_direction, self.target
        )

    def summary(self) -> str:
        """The last point against its mean and limits, in MDC words, then any messages."""
        lines = [
            last_sentence(
                "XmR chart",
                self.value,
                self.stamps.iloc[-1],
                self.last(),
                self.variation,
                self.assurance,
                self.target,
            )
        ]
        return "\n".join([*lines, *(f"Note: {m}." for m in self.messages)])

    def _header(self) -> str:
        return f"SPCResult: XmR chart of {self.value!r}, {len(self.frame)} points"

    def last(self) -> dict[str, float]:
        """The last point's value, centre line and limits."""
        row = self.frame.iloc[-1]
        return {
            "value": float(row["y"]),
            "centre": float(row["mean"]),
            "lower": float(row["lpl"]),
            "upper": float(row["upl"]),
        }

    @property
    def rules_applied(self) -> bool:
        """False when the last group was too short for the special-cause rules (limits only)."""
        group = self.frame[self.frame["rebase_group"] == self.frame["rebase_group"].iloc[-1]]
        return bool(group["point_type"].notna().any())

    @property
    def assurance(self) -> str | None:
        """ "consistent_pass", "consistent_fail" or "inconsistent" from the last point's limits."""
        last = self.frame.iloc[-1]
        return assurance_of(self.target, float(last["lpl"]), float(last["upl"]), self.improvement_direction)

    @property
    def variation(self) -> str | None:
        """The MDC variation icon of the last point charted (NHSRplotthedots' icon file names).

        "common_cause", "improvement_high"/"improvement_low", "concern_high"/"concern_low",
        "neutral_high"/"neutral_low"; None when the rules were not applied.
        """
        group = self.frame[self.frame["rebase_group"] == self.frame["rebase_group"].iloc[-1]]
        judged = group["point_type"].dropna()
        return variation_of(judged.iloc[-1] if len(judged) else None, self.improvement_direction)

    def plot(self, ax: Any = None, *, title: str | None = None, label: str | None = None) -> Figure:
        """The MDC chart (see `slp_eval.plots.spc.plot_spc`)."""
        from slp_eval.plots.spc import plot_spc

        return plot_spc(self, ax=ax, title=title, label=label)


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
    missing: Missing = "error",
) -> SPCResult:
    """An MDC XmR chart of `data[value]` over `data[time]` (see the module docstring).

    `rebase`: times at which new limits start (the point at each time opens a new group).
    `fix_after_n_points`: compute each group's mean and limits from its first n points only.
    `missing`: "error" (a missing value is an error) or "gap" (charted as a gap, named in
    `messages`). Raises `ModelInputError` for a missing column, a value that is not a number,
    duplicated times, rebase dates outside the series, or a group of fewer than 2 values;
    `ParameterError` for a target on a neutral measure or an unknown direction.
    """
    check_direction(improvement_direction, target, "spc")
    if fix_after_n_points is not None and fix_after_n_points < 2:
        raise ParameterError("spc: fix_after_n_points must be at least 2 (limits need a moving range)")
    if missing not in ("error", "gap"):
        raise ParameterError(f"spc: missing must be 'error' or 'gap'; found {missing!r}")
    if value not in data.columns:
        raise ModelInputError(f"spc: column {value!r} (value) not in the data")
    axis = time_axis(data, time, "spc")
    y = values(data, value, axis, missing, "spc")
    group = rebase_groups(axis, rebase, "spc")

    frame = pd.DataFrame({"x": axis.values, "y": y, "rebase_group": group})
    for name in FRAME_COLUMNS[3:]:
        frame[name] = pd.Series([None] * len(y), dtype=object)
    messages: list[str] = []
    for k in range(group.max() + 1):
        rows = np.flatnonzero(group == k)
        g = y[rows]
        seen = g[~np.isnan(g)]
        if len(seen) < 2:
            raise ModelInputError(f"spc: rebase group {k} has {len(seen)} value(s); limits need at least 2")
        fixed = g[:fix_after_n_points] if fix_after_n_points else g
        mean = float(np.nanmean(fixed))
        mr = np.abs(np.diff(fixed))
        mr = mr[~np.isnan(mr)]
        if len(mr) == 0:
            raise ModelInputError(
                f"spc: rebase group {k} has no two consecutive values; limits need a moving range"
            )
        amr = float(mr.mean())
        if screen_outliers and amr > 0:
            amr = float(mr[mr < SCREEN * amr].mean())
        lpl, upl = mean - LIMIT * amr, mean + LIMIT * amr
        frame.loc[rows, "mean"] = mean
        frame.loc[rows, "lpl"] = lpl
        frame.loc[rows, "upl"] = upl
        if len(seen) < MIN_POINTS_FOR_RULES:
            messages.append(
                f"group {k} ({axis.label(rows[0])} to {axis.label(rows[-1])}) has {len(seen)} points, fewer "
                f"than the {MIN_POINTS_FOR_RULES} the special-cause rules need: limits only, no rules applied"
            )
            continue
        ones = np.ones(len(g))
        rules = mdc_rules(
            g,
            mean * ones,
            lpl * ones,
            upl * ones,
            (mean - NEAR_LIMIT * amr) * ones,
            (mean + NEAR_LIMIT * amr) * ones,
            improvement_direction,
        )
        for column, column_values in rules.items():
            frame[column] = frame[column].astype(object)
            frame.loc[rows, column] = pd.Series(column_values, index=rows, dtype=object)
    for column in ("mean", "lpl", "upl"):
        frame[column] = frame[column].astype(float)
    frame["target"] = np.nan if target is None else float(target)
    messages += gap_messages(y, axis.stamps)
    return SPCResult(
        frame=frame[FRAME_COLUMNS],
        value=value,
        time=time,
        improvement_direction=improvement_direction,
        target=None if target is None else float(target),
        rebase=tuple(rebase or ()),
        screen_outliers=screen_outliers,
        fix_after_n_points=fix_after_n_points,
        messages=tuple(messages),
        stamps=axis.stamps,
    )


__all__ = [
    "FRAME_COLUMNS",
    "LIMIT",
    "NEAR_LIMIT",
    "SCREEN",
    "SPCResult",
    "gap_messages",
    "group_summary",
    "spc",
]
