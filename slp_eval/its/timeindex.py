"""Reading the time column: one unit per period, t = 0 at the first period.

Accepted codings: integers (years such as 1989, or plain period numbers 1, 2, ...), pandas
``Period`` values (yearly, quarterly, monthly, weekly), datetimes (the spacing between dates gives
the frequency) and strings ``"YYYY"``, ``"YYYY-MM"``, ``"YYYY-Qn"`` or ``"YYYY-MM-DD"``.
Duplicates, unsorted rows and gaps are errors, never repaired.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from slp_eval.errors import ModelInputError, ParameterError

#: pandas period codes of the supported calendar frequencies.
PANDAS_FREQ: dict[str, str] = {"yearly": "Y", "quarterly": "Q", "monthly": "M", "weekly": "W"}

_STRING_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\d{4}$"), "yearly"),
    (re.compile(r"^\d{4}-\d{2}$"), "monthly"),
    (re.compile(r"^\d{4}-?Q[1-4]$"), "quarterly"),
)
_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class TimeIndex:
    """How a time column maps to integer period ordinals.

    `frequency` is "yearly", "quarterly", "monthly", "weekly" or "integer" (plain period
    numbers with no calendar meaning); `kind` is the coding of the column ("int", "period",
    "timestamp" or "string").
    """

    column: str
    frequency: str
    kind: str
    ordinals: np.ndarray  # one integer ordinal per row; consecutive periods differ by 1
    values: dict[int, Any]  # ordinal -> the column's own value at that period

    def label(self, ordinal: int) -> str:
        """The period as text, in the column's own style (1989, 2018-04, 2018Q2)."""
        if self.kind == "int" or self.frequency == "integer":
            return str(ordinal)
        period = pd.Period(ordinal=ordinal, freq=PANDAS_FREQ[self.frequency])
        return str(period.start_time.date()) if self.frequency == "weekly" else str(period)

    def value(self, ordinal: int) -> Any:
        """The period as a value of the column's own type, usable as an interruption."""
        if ordinal in self.values:
            return self.values[ordinal]
        if self.kind == "int":
            return int(ordinal)
        period = pd.Period(ordinal=ordinal, freq=PANDAS_FREQ[self.frequency])
        if self.kind == "timestamp":
            return period.start_time
        if self.kind == "string":
            return str(period)
        return period

    def month_of_year(self) -> np.ndarray:
        """Calendar month (1-12) of each row; monthly data only."""
        freq = PANDAS_FREQ["monthly"]
        return np.array([pd.Period(ordinal=int(o), freq=freq).month for o in self.ordinals])

    def plot_positions(self, ordinals: np.ndarray) -> np.ndarray | pd.DatetimeIndex:
        """x positions for figures: timestamps of calendar periods, plain integers otherwise."""
        if self.kind == "int" or self.frequency == "integer":
            return np.asarray(ordinals, dtype=float)
        freq = PANDAS_FREQ[self.frequency]
        return pd.PeriodIndex.from_ordinals(np.asarray(ordinals, dtype=np.int64), freq=freq
                                            ).to_timestamp()

    def ordinal_of(self, value: Any, argument: str) -> int:
        """The ordinal of an interruption (or other period) given in the column's coding."""
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise ParameterError(
                    f"{argument}={value!r} cannot be read as a period of column '{self.column}', "
                    "which holds integer periods (rule: give an integer such as "
                    f"{self.label(int(self.ordinals[0]))})"
                )
            return int(value)
        freq = PANDAS_FREQ[self.frequency]
        try:
            if isinstance(value, pd.Period):
                if value.freqstr.upper()[0] != freq:
                    raise ValueError
                period = value
            elif isinstance(value, str | pd.Timestamp | np.datetime64) or (
                isinstance(value, int | np.integer) and not isinstance(value, bool)
                and self.frequency == "yearly"
            ):
                period = pd.Period(value, freq=freq)
            else:
                raise ValueError
        except (ValueError, TypeError):
            raise ParameterError(
                f"{argument}={value!r} cannot be read as a {self.frequency} period of column "
                f"'{self.column}' (rule: give it like the column, e.g. "
                f"{self.label(int(self.ordinals[0]))!r})"
            ) from None
        return int(period.ordinal)


def _fail(column: str, message: str) -> ModelInputError:
    return ModelInputError(f"column '{column}' {message}")


def _string_ordinals(values: pd.Series, column: str) -> tuple[np.ndarray, str, str]:
    texts = values.tolist()
    first = texts[0]
    if _DATE_PATTERN.match(first):
        try:
            dates = pd.to_datetime(values, format="%Y-%m-%d")
        except ValueError as err:
            raise _fail(column, f"holds a date that cannot be read: {err}") from None
        ordinals, frequency = _datetime_ordinals(pd.Series(dates, index=values.index), column)
        return ordinals, frequency, "string"
    matches = [(p, f) for p, f in _STRING_PATTERNS if p.match(first)]
    if not matches:
        raise _fail(
            column,
            f"holds {first!r} at row {values.index[0]}, which is not a recognised period "
            "(rule: 'YYYY', 'YYYY-MM', 'YYYY-Qn' or 'YYYY-MM-DD')",
        )
    pattern, frequency = matches[0]
    ordinals = np.empty(len(texts), dtype=np.int64)
    for i, (row, text) in enumerate(zip(values.index, texts, strict=True)):
        if not isinstance(text, str) or not pattern.match(text):
            raise _fail(
                column,
                f"holds {text!r} at row {row}, which does not match the {frequency} coding "
                f"of the first row ({first!r})",
            )
        ordinals[i] = pd.Period(text, freq=PANDAS_FREQ[frequency]).ordinal
    return ordinals, frequency, "string"


def _datetime_ordinals(values: pd.Series, column: str) -> tuple[np.ndarray, str]:
    unique = np.unique(values.to_numpy(dtype="datetime64[ns]"))
    if len(unique) < 2:
        raise _fail(column, "has fewer than two distinct dates, so its frequency is unknown")
    days = np.min(np.diff(unique).astype("timedelta64[D]").astype(int))
    bands = {"weekly": (7, 7), "monthly": (28, 31), "quarterly": (89, 92), "yearly": (365, 366)}
    found = [f for f, (low, high) in bands.items() if low <= days <= high]
    if not found:
        raise _fail(
            column,
            f"has dates {days} days apart, which is not a weekly, monthly, quarterly or "
            "yearly spacing (rule: one row per period)",
        )
    frequency = found[0]
    periods = pd.DatetimeIndex(values).to_period(PANDAS_FREQ[frequency])
    return periods.asi8.astype(np.int64), frequency


def read_time(values: pd.Series, column: str) -> TimeIndex:
    """Read a time column into period ordinals (no ordering checks; see `check_order`)."""
    if values.isna().any():
        row = values.index[values.isna().to_numpy()][0]
        raise _fail(column, f"has a missing period at row {row} (rule: every row needs a period)")
    dtype = values.dtype
    if isinstance(dtype, pd.PeriodDtype):
        code = dtype.freq.freqstr.upper()[0]
        frequencies = {v: k for k, v in PANDAS_FREQ.items()}
        if code not in frequencies:
            raise _fail(column, f"holds periods of frequency {dtype.freq.freqstr}, which is not "
                        "yearly, quarterly, monthly or weekly")
        ordinals, frequency, kind = values.array.asi8.astype(np.int64), frequencies[code], "period"
    elif pd.api.types.is_datetime64_any_dtype(dtype):
        ordinals, frequency = _datetime_ordinals(values, column)
        kind = "timestamp"
    elif pd.api.types.is_integer_dtype(dtype):
        ordinals = values.to_numpy(dtype=np.int64)
        looks_like_years = ordinals.min() >= 1000 and ordinals.max() <= 9999
        frequency, kind = ("yearly" if looks_like_years else "integer"), "int"
    elif pd.api.types.is_string_dtype(dtype) and all(isinstance(v, str) for v in values):
        ordinals, frequency, kind = _string_ordinals(values, column)
    else:
        raise _fail(
            column,
            f"has type {dtype}, which is not a time coding (rule: integers, pandas Periods, "
            "datetimes or 'YYYY-MM' strings)",
        )
    own_values: dict[int, Any] = {}
    for ordinal, value in zip(ordinals.tolist(), values.tolist(), strict=True):
        own_values.setdefault(ordinal, value)
    return TimeIndex(column, frequency, kind, ordinals, own_values)


def check_order(index: TimeIndex, positions: np.ndarray, rows: pd.Index,
                unit: object | None = None) -> None:
    """Raise on a duplicate, an unsorted row or a gap within one series.

    `positions` are the integer positions of the series' rows in the data, `rows` their labels.
    """
    where = f" for unit {unit!r}" if unit is not None else ""
    ordinals = index.ordinals[positions]
    rows = rows[positions]
    steps = np.diff(ordinals)
    for i, step in enumerate(steps):
        before, after = int(ordinals[i]), int(ordinals[i + 1])
        if step == 0:
            raise _fail(index.column, f"has a duplicate period {index.label(after)} at row "
                        f"{rows[i + 1]}{where} (rule: one row per period)")
        if step < 0:
            raise _fail(index.column, f"is not sorted{where}: period {index.label(after)} at "
                        f"row {rows[i + 1]} comes after {index.label(before)} at row {rows[i]} "
                        "(rule: rows in time order)")
    for i, step in enumerate(steps):
        if step > 1:
            before, after = int(ordinals[i]), int(ordinals[i + 1])
            raise _fail(index.column, f"has a gap{where}: no row for {index.label(before + 1)} "
                        f"between {index.label(before)} at row {rows[i]} and "
                        f"{index.label(after)} at row {rows[i + 1]} "
                        f"(rule: one row for every {index.frequency} period)")
