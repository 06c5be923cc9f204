"""Shaping a loaded table into the one series an analysis models.

The ITS parameter file names rows and columns in plain terms (`filters`, `time_parts`, and the
derived outcomes `share`, `percent` and `rate` of a `monthly_series` file); these functions do
exactly that and nothing more: no row is dropped or value changed silently, and a filter that
names an unknown column or matches nothing is an error naming the column and the value.
"""

from collections.abc import Mapping

import pandas as pd

from slp_eval.errors import ModelInputError, ParameterError

#: Outcomes derived from a monthly_series file: name -> (numerator column, denominator column, scale).
DERIVED: dict[str, tuple[str, str, float]] = {
    "share": ("numerator", "denominator", 1.0),
    "percent": ("numerator", "denominator", 100.0),
    "rate": ("numerator", "exposure", 1.0),
}


def _plain(value: object) -> object:
    """A numpy scalar as the Python value it holds (so messages read 2005, not np.int64(2005))."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def select_rows(frame: pd.DataFrame, filters: Mapping[str, str | int]) -> pd.DataFrame:
    """Rows whose every `column` equals its `value` in `filters` (all of them), index reset.

    ParameterError when a filter names a column the table lacks or keeps no row.
    """
    keep = pd.Series(True, index=frame.index)
    for column, value in filters.items():
        if column not in frame.columns:
            raise ParameterError(
                f"filters.{column}: the data have no column {column!r} "
                f"(columns: {', '.join(map(str, frame.columns))})"
            )
        matches = frame[column] == value
        if not matches.any():
            present = ", ".join(map(repr, list(dict.fromkeys(frame[column].dropna().tolist()))[:12]))
            raise ParameterError(
                f"filters.{column}: no row has {column} == {value!r} (values present: {present})"
            )
        keep &= matches
    if not keep.any():
        shown = ", ".join(f"{c} == {v!r}" for c, v in filters.items())
        raise ParameterError(f"filters: no row matches all of {shown} together")
    return frame.loc[keep].reset_index(drop=True)


def monthly_period(frame: pd.DataFrame, *, year: str, month: str, name: str) -> pd.DataFrame:
    """A copy of `frame` with column `name` = the monthly pandas Period of `year` and `month`.

    ModelInputError naming the row when a year is missing or a month is not an integer 1-12.
    """
    for column in (year, month):
        if column not in frame.columns:
            raise ParameterError(f"time_parts: the data have no column {column!r}")
    years, months = frame[year], frame[month]
    bad = years.isna() | months.isna() | ~months.isin(range(1, 13)) | (years % 1 != 0)
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise ModelInputError(
            f"time_parts: row {row + 1} has year {_plain(years.iloc[row])!r} and month "
            f"{_plain(months.iloc[row])!r}; "
            f"rule: year is a whole number and month an integer 1-12"
        )
    out = frame.copy()
    out[name] = [pd.Period(year=int(y), month=int(m), freq="M") for y, m in zip(years, months, strict=True)]
    return out


def add_derived(frame: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """A copy of `frame` with `outcome` computed when it is a derived name of `DERIVED`.

    share = numerator / denominator, percent = 100 x share, rate = numerator / exposure. A zero or
    missing denominator is an error naming the row (never a silent NaN or infinity).
    """
    if outcome not in DERIVED or outcome in frame.columns:
        return frame
    top, bottom, scale = DERIVED[outcome]
    for column in (top, bottom):
        if column not in frame.columns:
            raise ParameterError(f"outcome: {outcome!r} needs the column {column!r}, which the data lack")
    bad = frame[bottom].isna() | (frame[bottom] <= 0) | frame[top].isna()
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise ModelInputError(
            f"outcome {outcome!r}: row {row + 1} has {top} {_plain(frame[top].iloc[row])!r} and "
            f"{bottom} {_plain(frame[bottom].iloc[row])!r}; rule: {bottom} must be present and above 0"
        )
    out = frame.copy()
    out[outcome] = scale * out[top].astype(float) / out[bottom].astype(float)
    return out


def prepare_series(
    frame: pd.DataFrame,
    *,
    outcome: str,
    time: str,
    filters: Mapping[str, str | int] | None = None,
    year: str | None = None,
    month: str | None = None,
) -> pd.DataFrame:
    """Filter rows, build the time column from `year` and `month` if given, derive the outcome.

    The outcome is a column, a derived name of `DERIVED`, or the measure selected by
    `filters["measure"]` (its `value` column, named after the measure).

    Returns the rows sorted by `time` (stable); the time column itself is left to the model to
    check for gaps and duplicates. `frame.attrs` (provenance, identifying columns) are kept.
    """
    out = select_rows(frame, filters) if filters else frame.reset_index(drop=True)
    if (year is None) != (month is None):
        raise ParameterError("time_parts: give both `year` and `month`")
    if year is not None and month is not None:
        out = monthly_period(out, year=year, month=month, name=time)
    elif time not in out.columns:
        raise ParameterError(f"time: the data have no column {time!r}")
    out = add_derived(out, outcome)
    measure = (filters or {}).get("measure")
    if outcome not in out.columns and measure == outcome and "value" in out.columns:
        # a monthly_series measure named as the outcome: its `value` column, under its own name,
        # so the model's text reads "forensic_out_of_area_placements", not "value"
        out[outcome] = out["value"]
    if outcome not in out.columns:
        raise ParameterError(
            f"outcome: the data have no column {outcome!r} (columns: {', '.join(map(str, out.columns))})"
        )
    out = out.sort_values(time, kind="stable").reset_index(drop=True)
    out.attrs = dict(frame.attrs)
    return out


__all__ = ["DERIVED", "add_derived", "monthly_period", "prepare_series", "select_rows"]
