"""Input validation for `fit_its`: every rule broken gets a message naming the argument or
column, the row and period, and the rule. Nothing is coerced or guessed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.its.timeindex import TimeIndex

FAMILIES: tuple[str, ...] = ("gaussian", "poisson", "quasipoisson", "negbin", "binomial")
ERRORS: tuple[str, ...] = ("ols", "newey-west", "ar", "arima")
IMPACTS: tuple[str, ...] = ("level", "trend", "level+trend")
COUNT_FAMILIES: tuple[str, ...] = ("poisson", "quasipoisson", "negbin")
SMALL_SAMPLE: tuple[str, ...] = ("kenward-roger", "satterthwaite", "none")
#: Error models `small_sample` applies to.
SMALL_SAMPLE_ERRORS: tuple[str, ...] = ("ar",)
#: Fewest fitted periods allowed in any segment (before, between and after interruptions).
MIN_SEGMENT_POINTS = 3


def _quoted(values: Iterable[Any]) -> str:
    return ", ".join(repr(v) for v in values)


def check_choice(argument: str, value: object, allowed: Sequence[str]) -> None:
    """Raise unless `value` is one of `allowed`."""
    if not isinstance(value, str) or value not in allowed:
        raise ParameterError(f"{argument}={value!r} is not one of {_quoted(allowed)}")


def check_arguments(*, family: str, errors: str, impact: str, maxlags: object, phase_in: object,
                    alpha: object, trials: str | None, group: str | None,
                    treated: object, small_sample: object = None) -> None:
    """Check the plain (non-data) arguments of `fit_its`."""
    check_choice("family", family, FAMILIES)
    check_choice("errors", errors, ERRORS)
    check_choice("impact", impact, IMPACTS)
    if maxlags is not None and (isinstance(maxlags, bool) or not isinstance(maxlags, int | np.integer)
                                or maxlags < 0):
        raise ParameterError(f"maxlags={maxlags!r} must be None or a non-negative integer")
    if errors == "ols" and maxlags is not None:
        raise ParameterError(f"maxlags={maxlags!r} is not used with errors='ols' (rule: maxlags "
                             "is the Newey-West lag or the AR order)")
    if errors in ("ar", "arima") and maxlags == 0:
        raise ParameterError(f"maxlags=0 gives no autoregressive order for errors={errors!r} "
                             "(rule: AR order >= 1, or None for AR(1))")
    if small_sample is not None:
        if errors not in SMALL_SAMPLE_ERRORS:
            raise ParameterError(
                f"small_sample={small_sample!r} applies only to errors="
                f"{' or '.join(map(repr, SMALL_SAMPLE_ERRORS))} (REML AR errors); got "
                f"errors={errors!r} (leave small_sample unset)")
        check_choice("small_sample", small_sample, SMALL_SAMPLE)
    if isinstance(phase_in, bool) or not isinstance(phase_in, int | np.integer) or phase_in < 0:
        raise ParameterError(f"phase_in={phase_in!r} must be a non-negative integer number of periods")
    if isinstance(alpha, bool) or not isinstance(alpha, float | int) or not 0 < alpha < 1:
        raise ParameterError(f"alpha={alpha!r} must be a number between 0 and 1 (e.g. 0.05)")
    if family != "gaussian" and errors == "arima":
        raise ParameterError(
            f"errors='arima' is only available with family='gaussian' (rule: count and "
            "proportion families take errors='ar', 'ols' or 'newey-west'); got family="
            f"{family!r}")
    if trials is not None and family != "binomial":
        raise ParameterError(f"trials={trials!r} is only used with family='binomial'; got "
                             f"family={family!r}")
    if (group is None) != (treated is None):
        raise ParameterError("group and treated go together: group names the unit column and "
                             f"treated the treated unit (got group={group!r}, treated={treated!r})")
    if group is not None and errors == "arima":
        raise ParameterError("errors='arima' fits one series; with comparison series (group="
                             f"{group!r}) use errors='newey-west', 'ar' or 'ols'")


def check_columns(data: pd.DataFrame, columns: Mapping[str, str | None]) -> None:
    """Raise if a column named by an argument is not in `data`."""
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    for argument, column in columns.items():
        if column is None:
            continue
        if not isinstance(column, str) or column not in data.columns:
            raise ParameterError(
                f"{argument}={column!r} is not a column of data (columns: "
                f"{', '.join(map(str, data.columns))})")


def check_numeric(frame: pd.DataFrame, column: str, role: str, rows: pd.Index,
                  periods: Sequence[str], dropna: bool) -> np.ndarray:
    """A numeric column as floats; a missing value is an error unless `dropna`."""
    values = frame[column]
    if not (pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)):
        raise ModelInputError(f"column '{column}' ({role}) has type {values.dtype}; it must be numeric")
    array = values.to_numpy(dtype=float, na_value=np.nan)
    missing = np.flatnonzero(~np.isfinite(array))
    if len(missing) and not dropna:
        i = missing[0]
        raise ModelInputError(
            f"column '{column}' ({role}) has a missing value at row {rows[i]} (period "
            f"{periods[i]}); pass dropna=True to leave such rows out of the fit")
    return array


def check_family_values(*, family: str, outcome: str, y: np.ndarray, trials_column: str | None,
                        trials: np.ndarray | None, rows: pd.Index, periods: Sequence[str]) -> None:
    """Counts must be non-negative integers; proportions in [0, 1]; successes <= trials."""
    def first_bad(mask: np.ndarray) -> int | None:
        hits = np.flatnonzero(mask & np.isfinite(y))
        return int(hits[0]) if len(hits) else None

    def where(i: int) -> str:
        return f"row {rows[i]} (period {periods[i]})"

    with np.errstate(invalid="ignore"):
        counts_needed = family in COUNT_FAMILIES or (family == "binomial" and trials is not None)
        if counts_needed:
            i = first_bad((y < 0) | (y != np.round(y)))
            if i is not None:
                raise ModelInputError(
                    f"column '{outcome}' must hold non-negative integer counts for family="
                    f"{family!r}; {where(i)} has {y[i]:g}")
        if family == "binomial" and trials is not None:
            tmask = np.isfinite(trials)
            bad = np.flatnonzero(tmask & ((trials <= 0) | (trials != np.round(trials))))
            if len(bad):
                i = int(bad[0])
                raise ModelInputError(f"column '{trials_column}' (trials) must hold positive "
                                      f"integer counts; {where(i)} has {trials[i]:g}")
            i = first_bad(tmask & (y > trials))
            if i is not None:
                raise ModelInputError(
                    f"column '{outcome}' (successes) exceeds column '{trials_column}' (trials) "
                    f"at {where(i)}: {y[i]:g} > {trials[i]:g}")
        if family == "binomial" and trials is None:
            i = first_bad((y < 0) | (y > 1))
            if i is not None:
                raise ModelInputError(
                    f"column '{outcome}' must hold proportions in [0, 1] for family='binomial' "
                    f"without trials; {where(i)} has {y[i]:g}")


def check_offset(column: str, offset: np.ndarray, rows: pd.Index, periods: Sequence[str]) -> None:
    """The exposure enters as log(offset), so it must be positive."""
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(np.isfinite(offset) & (offset <= 0))
    if len(bad):
        i = int(bad[0])
        raise ModelInputError(
            f"offset column '{column}' must be > 0 (it enters the model as log({column})); "
            f"row {rows[i]} (period {periods[i]}) has {offset[i]:g}")


def check_not_constant(column: str, y: np.ndarray) -> None:
    """A constant outcome has no level or trend to estimate."""
    finite = y[np.isfinite(y)]
    if len(finite) and np.all(finite == finite[0]):
        raise ModelInputError(
            f"column '{column}' is constant (every fitted value is {finite[0]:g}); a constant "
            "series has no level or trend to estimate")


def check_segments(names: Sequence[str], counts: Sequence[int]) -> None:
    """Each segment (before, between and after interruptions) needs enough fitted periods."""
    for name, count in zip(names, counts, strict=True):
        if count < MIN_SEGMENT_POINTS:
            raise ModelInputError(
                f"segment '{name}' has {count} fitted period{'s' if count != 1 else ''} "
                f"(rule: each segment needs at least {MIN_SEGMENT_POINTS}; phase-in and dropped "
                "rows do not count)")


def check_ar_length(errors: str, order: int, rows_per_unit: Sequence[int], k: int) -> None:
    """AR(p) errors need more than p rows in every unit and at least k + p + 1 rows in all
    (k design terms, p AR parameters and the innovation variance)."""
    n = int(sum(rows_per_unit))
    if n < k + order + 1 or min(rows_per_unit) <= order:
        raise ModelInputError(
            f"errors={errors!r} with AR order {order} needs at least {k + order + 1} fitted "
            f"rows and more than {order} in each series (rule: rows >= design terms ({k}) + AR "
            f"order + 1); the fit has {n} rows"
            + (f", the shortest series {min(rows_per_unit)}" if len(rows_per_unit) > 1 else "")
            + " (use a lower maxlags or errors='ols')")


def check_one_series(data: pd.DataFrame, index: TimeIndex, positions: np.ndarray,
                     used: Iterable[str | None], unit: object | None = None) -> None:
    """Raise when a period repeats because the rows hold several series stacked (several measures
    or units in one long file), naming the period, how often it appears and the column(s) that tell
    the series apart: text columns not used by the model whose values differ within that period.

    A repeat with no such column is left to `check_order`, which reports it as a duplicate.
    """
    ordinals = index.ordinals[positions]
    values, counts = np.unique(ordinals, return_counts=True)
    if not (counts > 1).any():
        return
    first = int(np.flatnonzero(counts > 1)[0])
    period, times = int(values[first]), int(counts[first])
    rows = data.iloc[positions[ordinals == period]]
    skip = {c for c in used if c is not None}
    telling = [
        column for column in data.columns
        if column not in skip and not pd.api.types.is_numeric_dtype(data[column].dtype)
        and rows[column].nunique(dropna=False) > 1
    ]
    if not telling:
        return
    within = data.iloc[positions]
    counted = [f"column {c!r} has {within[c].nunique(dropna=False)} values" for c in telling[:3]]
    where = f" for unit {unit!r}" if unit is not None else ""
    raise ModelInputError(
        f"column '{index.column}': period {index.label(period)} appears {times} times{where}: the "
        f"file holds several series ({', '.join(counted)}); filter to one or name group/treated "
        "(rule: one row per period in each series)")
