"""Record-level placements to monthly series, in DuckDB SQL straight over CSV or Parquet.

The extract is never loaded into pandas: DuckDB scans the file, and only the monthly result
(periods x units x measures) comes back as a frame conforming to the `monthly_series`
dataset of the data dictionary.

Definitions (month m runs from its first day to its last day ME):

- Episodes run over the days [start_date, end), where end is `end_date` (the discharge day is
  not a bed day) or, for an episode still open, the day after `extract_date` (censoring: it is
  observed up to and including the extract date). Episodes starting after the extract date are
  ignored.
- Month-end census: episodes with start_date <= ME < end. Shares of that census: placed in
  south London (`in_south_london`), in the home borough (placement borough = home borough) and
  in an independent-sector bed (setting `independent_inpatient`); the count placed out of area;
  the mean and median distance from home.
- Bed days: inpatient episodes (NHS or independent-sector beds) apportioned exactly to months,
  the days of [start_date, end) falling in each month; also out-of-area bed days.
- Admissions: inpatient episodes starting in the month that do not continue a stay (a patient's
  previous inpatient episode, if any, ended before this one started); readmissions: admissions
  starting at most `readmission_window_days` days after the previous inpatient discharge.

DuckDB scans the file (each query reads only the columns it needs) and returns small tables per
(programme, lead trust, home borough, month); numpy turns their +1/-1 events into running
counts and rolls them up to units (see `slp_eval.data.aggregate_sql`).

Every measure is named `<programme>_<measure>` (e.g. `ccp_in_south_london`) and reported for the
whole partnership (`SLP`), each lead trust (ODS code) and each home borough (name).
"""

from __future__ import annotations

import csv
import os
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from slp_eval.data import aggregate_sql as q
from slp_eval.data.aggregate_sql import INDEPENDENT_SETTING, INPATIENT_SETTINGS
from slp_eval.data.dictionary import DataDictionary, read_dictionary
from slp_eval.data.read import SUFFIXES
from slp_eval.errors import DataValidationError, ParameterError

if TYPE_CHECKING:
    import duckdb

__all__ = ["INDEPENDENT_SETTING", "INPATIENT_SETTINGS", "MEASURES", "aggregate_monthly"]

_SQL_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "float": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "month": "VARCHAR",
}
_NEEDED = (
    "episode_id",
    "patient_id",
    "programme",
    "lead_trust",
    "setting",
    "placement_borough_code",
    "in_south_london",
    "home_borough_code",
    "start_date",
    "end_date",
    "distance_from_home_miles",
)

#: (measure suffix, measure_type) of every output measure, in output order within a programme.
MEASURES: tuple[tuple[str, str], ...] = (
    ("in_placement", "count"),
    ("in_south_london", "share"),
    ("home_borough", "share"),
    ("independent_sector", "share"),
    ("out_of_area_placements", "count"),
    ("mean_distance_miles", "mean"),
    ("median_distance_miles", "median"),
    ("bed_days", "count"),
    ("out_of_area_bed_days", "count"),
    ("admissions", "count"),
    ("readmissions", "count"),
)


def _month_index(value: str | pd.Period, name: str) -> int:
    try:
        period = pd.Period(value, freq="M")
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: {value!r} is not a month in YYYY-MM form") from None
    return period.year * 12 + period.month - 1


def _reader(path: Path, d: DataDictionary) -> tuple[str, list[str]]:
    """The DuckDB table function reading `path` with dictionary types, and its columns."""
    import duckdb  # imported when used: a report kernel that never aggregates does not load it

    kind = SUFFIXES.get(path.suffix.lower())
    if kind == "parquet":
        reader = f"read_parquet('{q.quote(path)}')"
        return reader, [row[0] for row in duckdb.sql(f"DESCRIBE SELECT * FROM {reader}").fetchall()]
    if kind != "csv":
        raise ParameterError(f"{path}: aggregate_monthly reads .csv or .parquet files, not {path.suffix!r}")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), [])
    types = {f.name: _SQL_TYPES[f.type] for f in d.dataset("placements").fields}
    spec = ", ".join(f"'{q.quote(c)}': '{types.get(c, 'VARCHAR')}'" for c in header)
    reader = (
        f"read_csv('{q.quote(path)}', header=true, delim=',', quote='\"', auto_detect=false, "
        f"dateformat='%Y-%m-%d', columns={{{spec}}})"
    )
    return reader, header


class _Grid:
    """Dense arrays indexed [programme, trust, borough, month] (0-based vocabulary positions)."""

    def __init__(self, d: DataDictionary, m0: int, m1: int) -> None:
        self.shape = (
            len(d.vocabularies["programmes"].codes),
            len(d.vocabularies["trusts"].codes),
            len(d.vocabularies["boroughs"].codes),
            m1 - m0 + 1,
        )
        self.m0 = m0

    def index(self, frame: pd.DataFrame) -> tuple[np.ndarray, ...]:
        return (
            frame["programme"].to_numpy() - 1,
            frame["lead_trust"].to_numpy() - 1,
            frame["home_borough"].to_numpy() - 1,
            frame["m"].to_numpy() - self.m0,
        )

    def dense(self, frame: pd.DataFrame, column: str, dtype: object = np.int64) -> np.ndarray:
        out = np.zeros(self.shape, dtype=dtype)
        values = frame[column].to_numpy(dtype=dtype)
        if dtype is object:  # exact decimal sums, given as text
            out[...] = Decimal(0)
            values = np.array([Decimal(v) for v in values], dtype=object)
        np.add.at(out, self.index(frame), values)
        return out


def _units(present: np.ndarray) -> list[tuple[int, int, tuple[slice | int, ...]]]:
    """(programme, unit code, selector) of every unit present: the selector sums a
    [programme, trust, borough, ...] array down to that unit."""
    units = []
    for p in range(present.shape[0]):
        if not present[p].any():
            continue
        units.append((p, 0, (p, slice(None), slice(None))))
        units += [(p, t + 1, (p, t, slice(None))) for t in range(present.shape[1]) if present[p, t].any()]
        units += [
            (p, 101 + b, (p, slice(None), b)) for b in range(present.shape[2]) if present[p, :, b].any()
        ]
    return units


def _unit_sum(array: np.ndarray, selector: tuple[slice | int, ...]) -> np.ndarray:
    """Sum a [programme, trust, borough, ...] array over the trusts and boroughs a unit covers."""
    picked = array[selector]
    axes = tuple(range(picked.ndim - (array.ndim - 3)))
    return picked.sum(axis=axes) if axes else picked


def _median_targets(hist: pd.DataFrame, grid: _Grid, units: list) -> pd.DataFrame:
    """Per unit and month, the whole mile holding the middle rank(s) of the census distances and
    the rank within it: which = 1 for rank (n + 1) // 2, which = 2 for rank n // 2 + 1."""
    miles = np.sort(hist["mile"].unique())
    counts = np.zeros((*grid.shape[:3], len(miles), grid.shape[3]), dtype=np.int64)
    idx = grid.index(hist)
    np.add.at(
        counts,
        (idx[0], idx[1], idx[2], np.searchsorted(miles, hist["mile"].to_numpy()), idx[3]),
        hist["w"].to_numpy(),
    )
    counts = counts.cumsum(axis=-1)
    parts = []
    for p, code, selector in units:
        c = _unit_sum(counts, selector)  # [mile, month]
        cum = c.cumsum(axis=0)
        total = cum[-1]
        for which, rank in ((1, (total + 1) // 2), (2, total // 2 + 1)):
            where = np.argmax(cum >= rank, axis=0)
            months = np.nonzero(total > 0)[0]
            below = cum[where, np.arange(cum.shape[1])] - c[where, np.arange(cum.shape[1])]
            parts.append(
                pd.DataFrame(
                    {
                        "programme": p + 1,
                        "unit": code,
                        "m": months + grid.m0,
                        "mile": miles[where[months]],
                        "which": which,
                        "r": (rank - below)[months],
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def _wide(
    con: duckdb.DuckDBPyConnection, prefix: str, grid: _Grid, admitted: pd.DataFrame, m1: int
) -> pd.DataFrame:
    m0 = grid.m0
    present_rows = con.execute(q.combos()).df()
    present = np.zeros(grid.shape[:3], dtype=bool)
    present[tuple(present_rows[k].to_numpy() - 1 for k in ("programme", "lead_trust", "home_borough"))] = True
    units = _units(present)
    events = con.execute(q.events(prefix, m1)).df()
    events = events[events["m"] >= m0]
    running = {
        c: grid.dense(events, c, object if c == "distance_sum" else np.int64).cumsum(axis=-1)
        for c in q.RUNNING
    }
    flat = {c: grid.dense(events, c) for c in q.PER_MONTH}
    flat.update({c: grid.dense(admitted, c) for c in ("admissions", "readmissions")})
    starts = pd.PeriodIndex.from_ordinals(np.arange(m0, m1 + 2) - 1970 * 12, freq="M").start_time
    month_days = np.diff(starts.values).astype("timedelta64[D]").astype(np.int64)
    counts = {
        **{c: running[c] for c in ("n", "n_south", "n_home", "n_independent", "distance_n", "distance_sum")},
        "bed_days": flat["edge_days"] + running["spanning"] * month_days,
        "out_of_area_bed_days": flat["edge_away_days"] + running["spanning_away"] * month_days,
        "admissions": flat["admissions"],
        "readmissions": flat["readmissions"],
    }
    hist = con.execute(q.histogram(prefix, m1)).df()
    hist = hist[hist["m"] >= m0]
    median = np.full((len(units), grid.shape[3]), np.nan)
    if len(hist):
        con.register("targets", _median_targets(hist, grid, units))
        picked = con.execute(q.medians(prefix)).df()
        halves = picked.pivot_table(index=["programme", "unit", "m"], columns="which", values="distance")
        position = {(p + 1, code): i for i, (p, code, _) in enumerate(units)}
        rows = [position[(p, u)] for p, u, _ in halves.index]
        median[rows, halves.index.get_level_values("m") - m0] = (halves[1] + halves[2]).to_numpy() / 2
    frames = []
    months = np.arange(m0, m1 + 1)
    for i, (p, code, selector) in enumerate(units):
        columns = {c: _unit_sum(a, selector) for c, a in counts.items()}
        columns["distance_sum"] = np.array([float(v) for v in columns["distance_sum"]])
        frames.append(
            pd.DataFrame({"programme": p, "unit": code, "m": months, **columns, "distance_median": median[i]})
        )
    return pd.concat(frames, ignore_index=True)


def _long(wide: pd.DataFrame, d: DataDictionary) -> pd.DataFrame:
    trusts, boroughs = d.vocabularies["trusts"].codes, [v.label for v in d.vocabularies["boroughs"].values]
    programmes = d.vocabularies["programmes"].codes
    labels = np.where(wide["unit"] == 0, "SLP", "")
    labels = np.where(
        (wide["unit"] > 0) & (wide["unit"] < 100),
        np.array(trusts, dtype=object)[np.clip(wide["unit"] - 1, 0, len(trusts) - 1)],
        labels,
    )
    labels = np.where(
        wide["unit"] > 100,
        np.array(boroughs, dtype=object)[np.clip(wide["unit"] - 101, 0, len(boroughs) - 1)],
        labels,
    )
    w = {c: wide[c].to_numpy(dtype=float) for c in wide.columns if c not in ("programme", "unit", "m")}
    n = np.where(w["n"] > 0, w["n"], np.nan)
    dn = np.where(w["distance_n"] > 0, w["distance_n"], np.nan)
    total = np.where(w["distance_n"] > 0, w["distance_sum"], np.nan)
    none = np.full(len(wide), np.nan)
    values = {
        "in_placement": (w["n"], none, w["n"]),
        "in_south_london": (w["n_south"], w["n"], w["n_south"] / n),
        "home_borough": (w["n_home"], w["n"], w["n_home"] / n),
        "independent_sector": (w["n_independent"], w["n"], w["n_independent"] / n),
        "out_of_area_placements": (w["n"] - w["n_south"], none, w["n"] - w["n_south"]),
        "mean_distance_miles": (total, w["distance_n"], total / dn),
        "median_distance_miles": (none, w["distance_n"], w["distance_median"]),
        **{c: (w[c], none, w[c]) for c in ("bed_days", "out_of_area_bed_days", "admissions", "readmissions")},
    }
    prefix = np.array(programmes, dtype=object)[wide["programme"].to_numpy()]
    parts = [
        pd.DataFrame(
            {
                "measure": prefix + f"_{name}",
                "measure_type": kind,
                "m": wide["m"],
                "unit": labels,
                "numerator": values[name][0],
                "denominator": values[name][1],
                "value": values[name][2],
            }
        )
        for name, kind in MEASURES
    ]
    out = pd.concat(parts, ignore_index=True).sort_values(["measure", "unit", "m"], ignore_index=True)
    return pd.DataFrame(
        {
            "period": pd.PeriodIndex.from_ordinals(out["m"].to_numpy() - 1970 * 12, freq="M"),
            "unit": out["unit"].astype("string"),
            "measure": out["measure"].astype("string"),
            "measure_type": out["measure_type"].astype("string"),
            "numerator": out["numerator"].astype("float64"),
            "denominator": out["denominator"].astype("float64"),
            "exposure": np.nan,
            "value": out["value"].astype("float64"),
        }
    )


def aggregate_monthly(
    source: str | Path,
    *,
    extract_date: str | pd.Timestamp,
    readmission_window_days: int = 30,
    start: str | None = None,
    end: str | None = None,
    dictionary: DataDictionary | None = None,
    threads: int | None = None,
) -> pd.DataFrame:
    """Aggregate a placements extract (CSV or Parquet) into `monthly_series` rows with DuckDB.

    Parameters
    ----------
    source:
        Placements file (dataset `placements` of the data dictionary); validate it first with
        `validate_file` (this function trusts the types and codes it reads).
    extract_date:
        Date the extract was taken: open episodes are censored there, later starts ignored.
    readmission_window_days:
        An admission within this many days after the previous inpatient discharge is a readmission.
    start, end:
        First and last month (YYYY-MM). Default: the month of the earliest start, and the last
        month whose last day is on or before the extract date.
    threads:
        DuckDB threads (default: the environment variable SLP_EVAL_THREADS, which `slp-eval
        run-all --jobs N` sets to cores // N for each run, else DuckDB's choice, all cores).

    Returns
    -------
    A frame with columns `period`, `unit`, `measure`, `measure_type`, `numerator`,
    `denominator`, `exposure`, `value` (plus `synthetic` when the source is synthetic), sorted by
    measure, unit and period, with every month of every series present.
    """
    path = Path(source)
    if not path.is_file():
        raise ParameterError(f"source: no such file {path}")
    if readmission_window_days < 0:
        raise ParameterError(f"readmission_window_days must be 0 or more, got {readmission_window_days}")
    d = dictionary if dictionary is not None else read_dictionary()
    extract = pd.Timestamp(extract_date).normalize()
    last = (
        extract.to_period("M") if extract == extract + pd.offsets.MonthEnd(0) else extract.to_period("M") - 1
    )
    m1 = _month_index(end, "end") if end is not None else _month_index(last, "end")
    m0 = _month_index(start, "start") if start is not None else None
    if m0 is not None and m0 > m1:
        raise ParameterError(
            f"start {start} is after the last month {pd.Period(ordinal=m1 - 1970 * 12, freq='M')}"
        )
    reader, columns = _reader(path, d)
    missing = [c for c in _NEEDED if c not in columns]
    if missing:
        raise DataValidationError(
            f"{path}: missing column(s) {', '.join(missing)} of the placements dataset; "
            f"run `slp-eval validate {path} --dataset placements` for the full report"
        )
    import duckdb

    preset = os.environ.get("SLP_EVAL_THREADS", "")
    if threads is None and preset.isdigit() and int(preset) > 0:
        threads = int(preset)
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        if threads is not None:
            con.execute(f"SET threads = {int(threads)}")
        con.execute(q.create_episodes(reader, extract, d, "synthetic" in columns))
        checked = (
            ("programme", "programme", "programmes"),
            ("lead_trust", "lead_trust", "trusts"),
            ("home_borough", "home_borough_code", "boroughs"),
        )
        first, synthetic, *unknown = con.execute(
            "SELECT min(start_date), bool_and(synthetic), "
            + ", ".join(f"count(*) FILTER (WHERE {key} IS NULL)" for key, _, _ in checked)
            + " FROM episodes"
        ).fetchone()
        for (_, column, vocab), count in zip(checked, unknown, strict=True):
            if count:
                raise DataValidationError(
                    f"{path}: {count} row(s) have a {column} outside the {vocab} vocabulary; "
                    f"run `slp-eval validate {path} --dataset placements` for the full report"
                )
        if first is None:
            raise DataValidationError(
                f"{path}: no episode starts on or before the extract date {extract:%Y-%m-%d}"
            )
        m0 = m0 if m0 is not None else first.year * 12 + first.month - 1
        synthetic = bool(synthetic)
        admitted = con.execute(q.admissions(reader, extract, d, int(readmission_window_days), m0, m1)).df()
        wide = _wide(con, q.spans(m0, m1), _Grid(d, m0, m1), admitted, m1)
    except duckdb.Error as exc:
        raise DataValidationError(
            f"{path}: DuckDB could not read it as a placements extract ({exc}); "
            f"run `slp-eval validate {path} --dataset placements` for the full report"
        ) from exc
    finally:
        con.close()
    frame = _long(wide, d)
    if synthetic:
        frame["synthetic"] = pd.array([True] * len(frame), dtype="boolean")
    frame.attrs.update(dataset="monthly_series", identifying_columns=[], synthetic=synthetic)
    return frame
