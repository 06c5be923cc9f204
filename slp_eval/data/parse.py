"""Parsing raw cells to the dictionary's types, strictly: a cell that is not of its type is a
failure, never silently coerced (pandas' own parsers would turn '12 miles' into NaN or a
day-first date into the wrong month, so each type has an explicit accepted form).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from slp_eval.data.schema import PANDAS_DTYPES

_INTEGER = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")

#: What a failed cell is told, per type.
TYPE_RULES: dict[str, str] = {
    "string": "not text",
    "integer": "not a whole number",
    "float": "not a number",
    "boolean": "not true or false",
    "date": "not a date in YYYY-MM-DD form",
    "month": "not a month in YYYY-MM form",
}


class _Bad(Exception):
    """A cell that does not parse."""


def _string(v: object) -> object:
    if isinstance(v, str):
        return v
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return str(v)
    raise _Bad


def _integer(v: object) -> object:
    if isinstance(v, str) and _INTEGER.match(v.strip()):
        return int(v)
    if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, (float, np.floating)) and math.isfinite(v) and float(v).is_integer():
        return int(v)
    raise _Bad


def _float(v: object) -> object:
    if isinstance(v, str) and _FLOAT.match(v.strip()):
        return float(v)
    number = isinstance(v, (int, float, np.integer, np.floating))
    if number and not isinstance(v, (bool, np.bool_)) and math.isfinite(float(v)):
        return float(v)
    raise _Bad


def _boolean(v: object) -> object:
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    raise _Bad


def _date(v: object) -> object:
    if isinstance(v, str) and _DATE.match(v.strip()):
        try:
            return pd.Timestamp(dt.date.fromisoformat(v.strip()))
        except ValueError:
            raise _Bad from None
    if isinstance(v, (dt.datetime, pd.Timestamp)) and pd.Timestamp(v) == pd.Timestamp(v).normalize():
        return pd.Timestamp(v)
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return pd.Timestamp(v)
    raise _Bad


def _month(v: object) -> object:
    if isinstance(v, str) and _MONTH.match(v.strip()):
        year, month = (int(p) for p in v.strip().split("-"))
        if 1 <= month <= 12:
            return pd.Period(year=year, month=month, freq="M")
    if isinstance(v, pd.Period) and v.freqstr == "M":
        return v
    raise _Bad


_PARSERS: dict[str, Callable[[object], object]] = {
    "string": _string,
    "integer": _integer,
    "float": _float,
    "boolean": _boolean,
    "date": _date,
    "month": _month,
}


def parse_column(values: pd.Series, field_type: str) -> tuple[pd.Series, pd.Series]:
    """Parse raw cells (None = missing) to `field_type`.

    Returns the typed column (missing and unparseable cells are NA) and a boolean mask of the
    cells that did not parse.
    """
    parser = _PARSERS[field_type]
    cache: dict[object, object] = {}
    bad = np.zeros(len(values), dtype=bool)
    parsed: list[object] = []
    for i, v in enumerate(values.tolist()):
        if v is None:
            parsed.append(None)
            continue
        key = (type(v), v)
        if key not in cache:
            try:
                cache[key] = parser(v)
            except (_Bad, TypeError, ValueError, OverflowError):
                cache[key] = _Bad
        out = cache[key]
        if out is _Bad:
            bad[i] = True
            parsed.append(None)
        else:
            parsed.append(out)
    dtype = PANDAS_DTYPES[field_type]
    if field_type == "float":
        typed = pd.Series([np.nan if p is None else p for p in parsed], index=values.index, dtype="float64")
    elif field_type == "date":
        typed = pd.Series(pd.to_datetime(parsed), index=values.index).astype(dtype)
    else:
        typed = pd.Series(parsed, index=values.index, dtype=dtype)
    return typed, pd.Series(bad, index=values.index)
