"""Attribute control charts for counts, shares and rates: p, p' (Laney), u, u' (Laney) and c.

Within each rebase group, with baseline points B (the first `fix_after_n_points`, less any
`exclude`d point), numerators x_i, denominators n_i and y_i = x_i / n_i:

    p chart:   cl = sum_B x / sum_B n,   sigma_i = sqrt(cl (1 - cl) / n_i)   (Montgomery 7.8)
    u chart:   cl = sum_B x / sum_B n,   sigma_i = sqrt(cl / n_i)            (Montgomery 7.19)
    c chart:   y_i = x_i, cl = mean_B x, sigma_i = sqrt(cl)                  (Montgomery 7.17)
    p', u':    z_i = (y_i - cl) / sigma_i over B; sigma_z = mean(|z_i - z_{i-1}|) / 1.128 (moving
               ranges >= 3.267 x their mean screened out, `screen_outliers`); sigma'_i = sigma_i sigma_z
               (Laney 2002, "Improved control charts for attributes", Quality Engineering 14:531-537)
    limits:    cl -/+ 3 sigma_i, the lower cut at 0 and (p, p') the upper at 1; all times `multiply`

exactly as qicharts2 0.8 (Anhoej; `qic.p`, `qic.pp`, `qic.u`, `qic.up`, `qic.c`) computes them,
which its tests check against the worked examples of Montgomery's *Introduction to Statistical
Quality Control* (this package's tests replay those references). p' and u' are for large
denominators, where the binomial or Poisson limits of a p or u chart are so narrow that nearly
every point falls outside them (overdispersion): Laney's sigma_z scales them by the point-to-point
variation actually seen (sigma_z = 1 gives the p or u chart back).

Each point is then judged by the MDC rules of `slp_eval.spc.common` (beyond a limit, a run of 7,
a trend of 7, 2 of 3 beyond 2 sigma), so these charts carry the same variation and assurance
icons as the XmR chart, and by Anhoej's runs analysis per group (`slp_eval.spc.runs`) as
qicharts2 reports it. `exclude`d points are drawn and judged but left out of the centre line,
the limits and the runs analysis (qicharts2's `exclude`). A month with no numerator is a gap.
Hand-written because no maintained Python library implements these charts with varying
denominators, Laney's correction and qicharts2's conventions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

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
    rebase_groups,
    time_axis,
    values,
    variation_of,
)
from slp_eval.spc.runs import RunsAnalysis, runs_analysis
from slp_eval.spc.xmr import SCREEN, gap_messages, group_summary
from slp_eval.tidy import DisplayResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

AttributeChart = Literal["p", "pprime", "u", "uprime", "c"]
#: d2 for moving ranges of two (Laney's sigma_z, the XmR chart's 2.66 = 3 / d2).
D2 = 1.128
CHART_NAMES = {
    "p": "p chart",
    "pprime": "p′ chart (Laney)",
    "u": "u chart",
    "uprime": "u′ chart (Laney)",
    "c": "c chart",
}
FRAME_COLUMNS = [
    "x", "numerator", "denominator", "y", "rebase_group", "baseline", "include", "cl", "sigma", "lcl",
    "ucl", "sigma_signal", "outside_limits", "relative_to_mean", "close_to_limits", "special_cause_type",
    "point_type", "target",
]  # fmt: skip


@dataclass(frozen=True, repr=False)
class ControlChartResult(DisplayResult):
    """A p, p', u, u' or c chart: one row per point (`to_frame()`, qicharts2's column names
    `cl`, `lcl`, `ucl`, `sigma_signal` beside MDC's), one row per rebase group
    (`summary_frame()`, with Anhoej's runs analysis), the last point's icons and messages.
    `to_frame()["x"]` holds the times as the input gave them; `stamps` as Timestamps."""

    frame: pd.DataFrame
    chart: AttributeChart
    numerator: str
    denominator: str | None
    time: str
    improvement_direction: Direction
    target: float | None
    multiply: float
    rebase: tuple[Any, ...]
    fix_after_n_points: int | None
    screen_outliers: bool
    runs: tuple[RunsAnalysis, ...]
    #: Laney's sigma_z per rebase group (1.0 for p, u and c charts).
    sigma_z: tuple[float, ...]
    messages: tuple[str, ...] = field(default_factory=tuple)
    stamps: pd.Series = field(default_factory=lambda: pd.Series(dtype="datetime64[ns]"))

    centre_column, lower_column, upper_column = "cl", "lcl", "ucl"

    @property
    def value(self) -> str:
        """What is charted, in words of the columns."""
        return self.numerator if self.denominator is None else f"{self.numerator} / {self.denominator}"

    def to_frame(self) -> pd.DataFrame:
        """One row per point: x, numerator, denominator, y, rebase_group, baseline, include, cl,
        sigma, lcl, ucl, sigma_signal and the MDC columns."""
        return self.frame.copy()

    def summary_frame(self) -> pd.DataFrame:
        """One row per rebase group: months, points, centre line and limits at its last point,
        counts of each point type, icons, Laney's sigma_z and Anhoej's runs analysis
        (n_useful, longest_run, longest_run_max, n_crossings, n_crossings_min, runs_signal)."""
        out = group_summary(
            self.frame, self.stamps, "cl", "lcl", "ucl", self.improvement_direction, self.target
        )
        out["sigma_z"] = list(self.sigma_z)
        for name in (
            "n_useful",
            "longest_run",
            "longest_run_max",
            "n_crossings",
            "n_crossings_min",
            "runs_signal",
        ):
            out[name] = [getattr(r, name) for r in self.runs]
        return out

    def summary(self) -> str:
        """The last point against its centre line and limits in MDC words, the runs analysis of
        the last group, then any messages."""
        runs = self.runs[-1]
        text = last_sentence(
            CHART_NAMES[self.chart],
            self.value,
            self.stamps.iloc[-1],
            self.last(),
            self.variation,
            self.assurance,
            self.target,
            limits="control limits",
        )
        if runs.n_useful:
            text += (
                f"\nRuns analysis (Anhoej): longest run {runs.longest_run} (more than "
                f"{runs.longest_run_max} signals a shift), {runs.n_crossings} crossings (fewer than "
                f"{runs.n_crossings_min} signals a pattern): "
                + ("non-random variation." if runs.runs_signal else "no signal.")
            )
        return "\n".join([text, *(f"Note: {m}." for m in self.messages)])

    def _header(self) -> str:
        return f"ControlChartResult: {CHART_NAMES[self.chart]} of {self.value!r}, {len(self.frame)} points"

    def last(self) -> dict[str, float]:
        """The last point's value, centre line and limits."""
        row = self.frame.iloc[-1]
        return {
            "value": float(row["y"]),
            "centre": float(row["cl"]),
            "lower": float(row["lcl"]),
            "upper": float(row["ucl"]),
        }

    def limits_at(self, denominators: Sequence[float] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(lcl, ucl) of every point at other denominators (one per point, e.g. rounded ones for
        a released figure), with the chart's own centre lines and Laney factors; NaN where a
        denominator is NaN. A c chart's limits do not depend on a denominator."""
        frame = self.frame
        cl = frame["cl"].to_numpy(float) / self.multiply
        sigma_z = np.array([self.sigma_z[g] for g in frame["rebase_group"]])
        n = np.asarray(denominators, dtype=float)
        if self.chart == "c":
            sd = np.sqrt(cl)
        elif self.chart in ("p", "pprime"):
            sd = np.sqrt(cl * (1 - cl) / n) * sigma_z
        else:
            sd = np.sqrt(cl / n) * sigma_z
        lower, upper = _limits(self.chart, cl, sd, 3.0)
        return lower * self.multiply, upper * self.multiply

    @property
    def variation(self) -> str | None:
        """The MDC variation icon of the last point charted (see `SPCResult.variation`)."""
        group = self.frame[self.frame["rebase_group"] == self.frame["rebase_group"].iloc[-1]]
        judged = group["point_type"].dropna()
        return variation_of(judged.iloc[-1] if len(judged) else None, self.improvement_direction)

    @property
    def assurance(self) -> str | None:
        """The MDC assurance icon from the last point's limits and the target."""
        last = self.frame.iloc[-1]
        return assurance_of(self.target, float(last["lcl"]), float(last["ucl"]), self.improvement_direction)

    def plot(self, ax: Any = None, *, title: str | None = None, label: str | None = None) -> Figure:
        """The chart in MDC style (see `slp_eval.plots.spc.plot_spc`)."""
        from slp_eval.plots.spc import plot_spc

        return plot_spc(self, ax=ax, title=title, label=label)


def _laney(z: np.ndarray, screen: bool) -> float:
    """sigma_z: the mean moving range of the z-scores over d2 (screened as qicharts2 does)."""
    mr = np.abs(np.diff(z))
    mr = mr[~np.isnan(mr)]
    if len(mr) == 0:
        return float("nan")
    amr = mr.mean()
    if screen:
        amr = mr[mr < SCREEN * amr].mean()
    return float(amr / D2)


def _check_counts(
    x: np.ndarray,
    n: np.ndarray | None,
    chart: str,
    numerator: str,
    denominator: str | None,
    stamps: pd.Series,
) -> None:
    def fail(i: int, rule: str) -> None:
        raise ModelInputError(f"{chart} chart: at {stamps.iloc[i]:%Y-%m-%d} {rule}")

    seen = ~np.isnan(x)
    for i in np.flatnonzero(seen & (x < 0)):
        fail(int(i), f"column {numerator!r} is negative; counts are 0 or more")
    if n is None:
        return
    for i in np.flatnonzero(seen & (np.isnan(n) | (n <= 0))):
        fail(int(i), f"column {denominator!r} is missing or not above 0; a share or rate needs a denominator")
    if chart in ("p", "pprime"):
        for i in np.flatnonzero(seen & (x > n)):
            fail(
                int(i),
                f"column {numerator!r} exceeds {denominator!r}; a share's numerator is part of its "
                "denominator",
            )


def attribute_chart(
    data: pd.DataFrame,
    *,
    chart: AttributeChart,
    numerator: str,
    time: str,
    improvement_direction: Direction,
    denominator: str | None = None,
    target: float | None = None,
    multiply: float = 1.0,
    rebase: Sequence[Any] | None = None,
    fix_after_n_points: int | None = None,
    exclude: Sequence[Any] | None = None,
    screen_outliers: bool = True,
    missing: Missing = "error",
) -> ControlChartResult:
    """A p, p', u, u' or c chart of `numerator` (over `denominator`) by `time` (module docstring).

    `multiply` scales the charted values (100 for percent, 1000 for a rate per 1,000); `target`
    is on that scale. `rebase`, `fix_after_n_points`, `missing` as `slp_eval.spc.spc`; `exclude`
    lists times left out of the centre line, limits and runs analysis. Raises ParameterError for
    a bad option and ModelInputError for data that break the chart's rules (a negative count, a
    denominator not above 0, a share's numerator above its denominator).
    """
    where = f"{chart} chart"
    if chart not in CHART_NAMES:
        raise ParameterError(
            f"attribute_chart: chart must be one of {', '.join(CHART_NAMES)}; found {chart!r}"
        )
    check_direction(improvement_direction, target, where)
    if chart == "c" and denominator is not None:
        raise ParameterError("c chart: charts counts with no denominator; use a u chart for a rate")
    if chart != "c" and denominator is None:
        raise ParameterError(f"{where}: needs a denominator column")
    if fix_after_n_points is not None and fix_after_n_points < 2:
        raise ParameterError(f"{where}: fix_after_n_points must be at least 2")
    if not np.isfinite(multiply) or multiply <= 0:
        raise ParameterError(f"{where}: multiply must be a positive number; found {multiply!r}")
    axis = time_axis(data, time, where)
    x = values(data, numerator, axis, missing, where, role="numerator")
    n = None if denominator is None else values(data, denominator, axis, "gap", where, role="denominator")
    _check_counts(x, n, chart, numerator, denominator, axis.stamps)
    group = rebase_groups(axis, rebase, where)
    excluded = np.zeros(len(x), bool)
    for when in exclude or ():
        stamp = pd.Timestamp(pd.Period(when, freq="M").to_timestamp() if isinstance(when, str) else when)
        hits = np.flatnonzero(axis.stamps.to_numpy() == stamp.to_datetime64())
        if not len(hits):
            raise ModelInputError(f"{where}: exclude time {when} is not a time of the series")
        excluded[hits] = True

    y = x if n is None else x / np.where(np.isnan(n), np.nan, n)
    count = len(x)
    cl, sigma = np.full(count, np.nan), np.full(count, np.nan)
    baseline = np.zeros(count, bool)
    frame_rules: dict[str, list[Any]] = {
        k: [None] * count
        for k in ("outside_limits", "relative_to_mean", "close_to_limits", "special_cause_type", "point_type")
    }
    runs, sigma_zs, messages = [], [], []
    for k in range(group.max() + 1):
        rows = np.flatnonzero(group == k)
        first = rows[:fix_after_n_points] if fix_after_n_points else rows
        base = first[~excluded[first] & ~np.isnan(x[first])]
        baseline[first] = True
        if len(base) < 2:
            raise ModelInputError(
                f"{where}: rebase group {k} has {len(base)} baseline value(s); limits need at least 2"
            )
        if chart == "c":
            centre = float(x[base].mean())
            sd = np.full(len(rows), np.sqrt(centre))
        else:
            assert n is not None
            centre = float(x[base].sum() / n[base].sum())
            sd = (
                np.sqrt(centre * (1 - centre) / n[rows])
                if chart in ("p", "pprime")
                else np.sqrt(centre / n[rows])
            )
        sigma_z = 1.0
        if chart in ("pprime", "uprime"):
            position = {r: j for j, r in enumerate(rows)}
            z = (y[base] - centre) / sd[[position[r] for r in base]]
            sigma_z = _laney(z, screen_outliers)
            sd = sd * sigma_z
        sigma_zs.append(sigma_z)
        cl[rows], sigma[rows] = centre, sd
        include = ~excluded[rows]
        runs.append(runs_analysis(np.where(include, y[rows], np.nan), cl[rows]))
        seen = int(np.sum(~np.isnan(y[rows])))
        if seen < MIN_POINTS_FOR_RULES:
            messages.append(
                f"group {k} ({axis.label(rows[0])} to {axis.label(rows[-1])}) has {seen} points, fewer than "
                f"the {MIN_POINTS_FOR_RULES} the special-cause rules need: limits only, no rules applied"
            )
            continue
        lower, upper = _limits(chart, cl[rows], sigma[rows], 3.0)
        near_lower, near_upper = cl[rows] - 2 * sigma[rows], cl[rows] + 2 * sigma[rows]
        rules = mdc_rules(y[rows], cl[rows], lower, upper, near_lower, near_upper, improvement_direction)
        for column, column_values in rules.items():
            for j, r in enumerate(rows):
                frame_rules[column][r] = column_values[j]
    lcl, ucl = _limits(chart, cl, sigma, 3.0)
    frame = pd.DataFrame(
        {
            "x": axis.values,
            "numerator": x,
            "denominator": np.full(count, np.nan) if n is None else n,
            "y": y * multiply,
            "rebase_group": group,
            "baseline": baseline,
            "include": ~excluded,
            "cl": cl * multiply,
            "sigma": sigma * multiply,
            "lcl": lcl * multiply,
            "ucl": ucl * multiply,
        }
    )
    frame["sigma_signal"] = ((frame["y"] > frame["ucl"]) | (frame["y"] < frame["lcl"])).to_numpy()
    for column, column_values in frame_rules.items():
        frame[column] = pd.Series(column_values, dtype=object)
    frame["target"] = np.nan if target is None else float(target)
    if excluded.any():
        messages.append(
            f"{int(excluded.sum())} point(s) drawn but left out of the centre line, limits and runs "
            f"analysis (exclude): {', '.join(axis.label(int(i)) for i in np.flatnonzero(excluded))}"
        )
    messages += gap_messages(y, axis.stamps)
    return ControlChartResult(
        frame=frame[FRAME_COLUMNS],
        chart=chart,
        numerator=numerator,
        denominator=denominator,
        time=time,
        improvement_direction=improvement_direction,
        target=None if target is None else float(target),
        multiply=float(multiply),
        rebase=tuple(rebase or ()),
        fix_after_n_points=fix_after_n_points,
        screen_outliers=screen_outliers,
        runs=tuple(runs),
        sigma_z=tuple(sigma_zs),
        messages=tuple(messages),
        stamps=axis.stamps,
    )


def _limits(chart: str, cl: np.ndarray, sigma: np.ndarray, k: float) -> tuple[np.ndarray, np.ndarray]:
    """cl -/+ k sigma, the lower cut at 0 and, for shares, the upper at 1 (qicharts2)."""
    lower = np.maximum(cl - k * sigma, 0.0)
    upper = cl + k * sigma
    if chart in ("p", "pprime"):
        upper = np.minimum(upper, 1.0)
    return lower, upper


__all__ = ["CHART_NAMES", "D2", "FRAME_COLUMNS", "AttributeChart", "ControlChartResult", "attribute_chart"]
