"""Checks of an ITS conclusion by re-fitting: in-time placebos and break-date sensitivity.

- `placebo_test`: the model is re-fitted on the pre-period only, with a placebo interruption at
  each admissible date (every segment keeps at least 3 fitted periods). If the real effect is a
  programme effect and not the series' own wobble, it should be extreme among the placebo
  effects. The permutation-style p is (1 + #{|placebo| >= |real|}) / (1 + n_placebos)
  (in-time placebos, Abadie, Diamond & Hainmueller 2015; Linden 2018 for ITS).
- `break_date_sensitivity`: the interruption is moved over a window of periods either side and
  the model re-fitted each time, so a reader sees how much the estimates depend on the date.
Both take the same model arguments as `fit_its`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.its.checks import MIN_SEGMENT_POINTS
from slp_eval.its.fit import fit_its
from slp_eval.its.result import ITSResult
from slp_eval.its.serialize import records
from slp_eval.its.shifts import fit_interruption_sets
from slp_eval.tidy import TidyResult, wald_interval

if TYPE_CHECKING:  # matplotlib is imported when a figure is drawn, not with the statistics
    from matplotlib.figure import Figure

__all__ = ["BreakDateResult", "PlaceboResult", "break_date_sensitivity", "placebo_test"]

_COLUMNS = ["period", "term", "estimate", "std_err", "ci_low", "ci_high", "p_value", "df"]


def _effect_rows(result: ITSResult, position: int) -> pd.DataFrame:
    """The level/trend-change estimates of the interruption at `position`, generic term names."""
    k = next(k for k in result.interruptions if k.position == position)
    rows = _table_rows(result.coefficients, k.label, "group:" if result.controlled else "")
    return pd.DataFrame(rows, columns=_COLUMNS)


def _table_rows(table: pd.DataFrame, label: str, prefix: str = "") -> list[dict[str, Any]]:
    """The level/trend-change rows of the interruption labelled `label` in a coefficient table."""
    terms = table.index.tolist()
    values = table[_COLUMNS[2:]].to_numpy(dtype=float)
    rows = []
    for generic in ("level_change", "trend_change"):
        term = f"{prefix}{generic}[{label}]"
        if term in terms:
            numbers = values[terms.index(term)]
            rows.append({"period": label, "term": prefix + generic,
                         **{c: float(v) for c, v in zip(_COLUMNS[2:], numbers, strict=True)}})
    return rows


def _tidy(frame: pd.DataFrame, first: list[str]) -> pd.DataFrame:
    """`term` made unique by its date (`level_change[2016-04]`), then `first`, the estimate
    columns and df."""
    out = frame.assign(term=frame["term"] + "[" + frame["period"].astype(str) + "]")
    return out[["term", *first, *_COLUMNS[2:]]]


def _wald_at(frame: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Every row's estimate -/+ t(df) * std_err (z where df is NaN), as the fits' own
    coefficient intervals are computed."""
    low, high = wald_interval(frame["estimate"].to_numpy(), frame["std_err"].to_numpy(),
                              frame["df"].to_numpy(), alpha)
    return frame.assign(ci_low=low, ci_high=high)


@dataclass(frozen=True, repr=False)
class PlaceboResult(TidyResult):
    """Placebo effects across the pre-period (`placebos`), the real effect (`actual`) and the
    rank and permutation-style p of the real one per term (`tests`)."""

    placebos: pd.DataFrame
    actual: pd.DataFrame
    tests: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Placebo and actual estimates in one tidy frame (`kind` says which)."""
        return pd.concat([self.actual.assign(kind="actual"), self.placebos.assign(kind="placebo")],
                         ignore_index=True)[["kind", *_COLUMNS]]

    def summary_frame(self) -> pd.DataFrame:
        """One row per fit and term: term with its date (`level_change[2016-04]`), kind
        ("actual" or "placebo"), period, estimate, std_err, ci_low, ci_high, p_value, df."""
        return _tidy(self.to_frame(), ["kind", "period"])

    def _conf_int_at(self, alpha: float) -> pd.DataFrame:
        return _wald_at(self.summary_frame(), alpha)

    def summary(self) -> str:
        """One paragraph per term."""
        n = len(self.placebos["period"].unique())
        parts = [f"In-time placebo test: the model was re-fitted on the pre-period with {n} "
                 "placebo interruptions."]
        for _, row in self.tests.iterrows():
            parts.append(
                f"The actual {row['term'].replace('_', ' ')} ({row['actual_estimate']:.3g}) ranks "
                f"{int(row['rank'])} of {int(row['n_placebos']) + 1} in absolute size "
                f"(permutation-style p = {row['p_value']:.3g}).")
        return " ".join(parts)

    def plot(self, **options: Any) -> Figure:
        """Placebo estimates per term with the actual estimate marked; `options` (title,
        xlabel, ylabel, colors) go to `slp_eval.plots.plot_placebo`."""
        from slp_eval.plots.its import plot_placebo

        return plot_placebo(self, **options)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"placebos": records(self.placebos), "actual": records(self.actual),
                "tests": records(self.tests), "summary": self.summary()}


@dataclass(frozen=True, repr=False)
class BreakDateResult(TidyResult):
    """Level and trend change estimates as the interruption is moved (`estimates`)."""

    estimates: pd.DataFrame  # shift, chosen, period, term, estimate, std_err, ci_low, ...

    def to_frame(self) -> pd.DataFrame:
        """The estimates, one row per shift and term."""
        return self.estimates.copy()

    def summary_frame(self) -> pd.DataFrame:
        """One row per shift and term: term with its date (`level_change[2018-05]`), shift,
        chosen, period, estimate, std_err, ci_low, ci_high, p_value, df."""
        return _tidy(self.estimates, ["shift", "chosen", "period"])

    def _conf_int_at(self, alpha: float) -> pd.DataFrame:
        return _wald_at(self.summary_frame(), alpha)

    def summary(self) -> str:
        """How far the estimates move over the window."""
        parts = []
        shifts = self.estimates["shift"]
        for term, rows in self.estimates.groupby("term", sort=False):
            chosen = rows.loc[rows["chosen"]].iloc[0]
            significant = int((rows["p_value"] < 0.05).sum())
            parts.append(
                f"the {term.replace('_', ' ')} ranges from {rows['estimate'].min():.3g} to "
                f"{rows['estimate'].max():.3g} (at the chosen date {chosen['estimate']:.3g}), "
                f"significant at 5% for {significant} of {len(rows)} dates")
        return (f"Moving the interruption from {shifts.min():+d} to {shifts.max():+d} periods "
                f"around {self.estimates.loc[self.estimates['chosen'], 'period'].iloc[0]}: "
                + "; ".join(parts) + ".")

    def plot(self, **options: Any) -> Figure:
        """Estimates and CIs by interruption date, one panel per term; `options` (title,
        xlabel, ylabel, colors) go to `slp_eval.plots.plot_break_dates`."""
        from slp_eval.plots.its import plot_break_dates

        return plot_break_dates(self, **options)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"estimates": records(self.estimates), "summary": self.summary()}


def _check_model_args(model_args: dict[str, Any]) -> None:
    if "interruptions" in model_args:
        raise ParameterError("interruptions is a named argument of the sensitivity function, "
                             "not a model argument")


def placebo_test(data: pd.DataFrame, *, outcome: str, time: str, interruptions: Any,
                 n_placebos: int | None = None, placebo_dates: Sequence[Any] | None = None,
                 **model_args: Any) -> PlaceboResult:
    """In-time placebo test of the first interruption.

    The real model is `fit_its(data, outcome=..., time=..., interruptions=..., **model_args)`;
    placebo models are the same model fitted to the rows before the first interruption with a
    placebo interruption at each admissible pre-period date (or `n_placebos` of them, evenly
    spaced, or at `placebo_dates`, coded like `time`). Returns the placebo distribution, the
    actual estimates and the rank and permutation-style p = (1 + #{|placebo| >= |actual|}) / (1 + n) per term.
    """
    _check_model_args(model_args)
    real = fit_its(data, outcome=outcome, time=time, interruptions=interruptions, **model_args)
    first = real.interruptions[0]
    origin = int(real.series.ordinal.min())
    phase_in = int(model_args.get("phase_in", 0))
    candidates = list(range(MIN_SEGMENT_POINTS, first.position - MIN_SEGMENT_POINTS - phase_in + 1))
    if not candidates:
        raise ModelInputError(
            f"the pre-period ({first.position} periods before {first.label}) is too short for a "
            f"placebo interruption (rule: at least {MIN_SEGMENT_POINTS} fitted periods on each "
            "side of it)")
    if placebo_dates is not None:
        if n_placebos is not None:
            raise ParameterError("give n_placebos or placebo_dates, not both")
        chosen = []
        for value in placebo_dates:
            position = real.index.ordinal_of(value, "placebo_dates") - origin
            if position not in candidates:
                raise ModelInputError(
                    f"placebo date {value!s} is outside the admissible pre-period dates "
                    f"{real.index.label(origin + candidates[0])} to "
                    f"{real.index.label(origin + candidates[-1])} (rule: at least "
                    f"{MIN_SEGMENT_POINTS} fitted periods on each side, before {first.label})")
            chosen.append(position)
        candidates = chosen
    if n_placebos is not None:
        if isinstance(n_placebos, bool) or not isinstance(n_placebos, int) or n_placebos < 1:
            raise ParameterError(f"n_placebos={n_placebos!r} must be a positive integer or None")
        if n_placebos < len(candidates):
            picks = np.unique(np.round(np.linspace(0, len(candidates) - 1, n_placebos)).astype(int))
            candidates = [candidates[i] for i in picks]
    ordinals = real.index.ordinals
    pre = data[ordinals < origin + first.position]
    # one outcome, one design per placebo date: fitted together where the algebra allows
    values = [real.index.value(origin + position) for position in candidates]
    tables = fit_interruption_sets(pre, values, outcome=outcome, time=time, **model_args)
    placebo_rows = []
    for value, table in zip(values, tables, strict=True):
        if isinstance(table, Exception):
            raise table
        placebo_rows.extend(_table_rows(table, str(value), "group:" if real.controlled else ""))
    placebos = pd.DataFrame(placebo_rows, columns=_COLUMNS)
    actual = _effect_rows(real, first.position)
    tests = []
    for _, row in actual.iterrows():
        values = placebos.loc[placebos["term"] == row["term"], "estimate"].to_numpy()
        bigger = int(np.sum(np.abs(values) >= abs(row["estimate"])))
        tests.append({"term": row["term"], "actual_estimate": row["estimate"],
                      "n_placebos": len(values),
                      "rank": 1 + int(np.sum(np.abs(values) > abs(row["estimate"]))),
                      "p_value": (1 + bigger) / (1 + len(values))})
    return PlaceboResult(placebos, actual, pd.DataFrame(tests))


def break_date_sensitivity(data: pd.DataFrame, *, outcome: str, time: str, interruptions: Any,
                           window: int = 3, interruption: Any = None,
                           **model_args: Any) -> BreakDateResult:
    """Re-fit with one interruption (default the first) moved -window..+window periods.

    Other interruptions stay where they are. A shift that leaves a segment too short, leaves the
    data or crosses another interruption is an error naming the nearest such shift, why it fails
    and the widest window whose every shift fits.
    """
    _check_model_args(model_args)
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ParameterError(f"window={window!r} must be a positive integer number of periods")
    real = fit_its(data, outcome=outcome, time=time, interruptions=interruptions, **model_args)
    moved = real._find(interruption) if interruption is not None else real.interruptions[0]
    values = list(real.spec.interruption_values)
    which = [k.label for k in real.interruptions].index(moved.label)
    origin = int(real.series.ordinal.min())
    shifts = list(range(-window, window + 1))
    trials = [[*values[:which], real.index.value(origin + moved.position + shift),
               *values[which + 1:]] for shift in shifts]
    # one outcome, one design per date: fitted together where the algebra allows
    tables = fit_interruption_sets(data, trials, known={window: real.coefficients},
                                   outcome=outcome, time=time, **model_args)
    failed = [(shift, table) for shift, table in zip(shifts, tables, strict=True)
              if isinstance(table, Exception)]
    if failed:
        shift, error = min(failed, key=lambda item: (abs(item[0]), item[0]))
        if isinstance(error, ParameterError):  # an argument fit_its refuses at any date
            raise error
        widest = abs(shift) - 1
        advice = (f"window={widest} is the widest that every shifted date fits" if widest >= 1
                  else "no shift of this interruption fits; the model cannot be re-fitted "
                  "at a moved date")
        raise ModelInputError(f"break date shifted by {shift:+d} periods "
                              f"({real.index.label(origin + moved.position + shift)}): {error} "
                              f"({advice})") from None
    rows = []
    for shift, trial, table in zip(shifts, trials, tables, strict=True):
        label = moved.label if shift == 0 else str(trial[which])
        rows.extend({"shift": shift, "chosen": shift == 0, **row}
                    for row in _table_rows(table, label, "group:" if real.controlled else ""))
    return BreakDateResult(pd.DataFrame(rows, columns=["shift", "chosen", *_COLUMNS]))

