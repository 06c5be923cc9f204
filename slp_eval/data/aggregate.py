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

Every measure is named `<programme>_<measure>` (e.g. `ccp_in_south_london`) and reported for the
whole partnership (`SLP`), each lead trust (ODS code) and each home borough (name).
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pandas as pd

from slp_eval.data.dictionary import DataDictionary, read_dictionary
from slp_eval.data.read import SUFFIXES
from slp_eval.errors import DataValidationError, ParameterError

INPATIENT_SETTINGS: tuple[str, ...] = ("nhs_inpatient", "independent_inpatient")
INDEPENDENT_SETTING = "independent_inpatient"
UNIT_LEVELS: tuple[str, ...] = ("SLP", "lead_trust", "home_borough")
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

#: (measure suffix, measure_type, numerator, denominator, value) of every output measure, as SQL
#: over the wide per-(programme, unit, month) table.
MEASURES: tuple[tuple[str, str, str, str, str], ...] = (
    ("in_placement", "count", "n", "NULL", "n"),
    ("in_south_london", "share", "n_south", "n", "n_south / NULLIF(n, 0)"),
    ("home_borough", "share", "n_home", "n", "n_home / NULLIF(n, 0)"),
    ("independent_sector", "share", "n_independent", "n", "n_independent / NULLIF(n, 0)"),
    ("out_of_area_placements", "count", "n - n_south", "NULL", "n - n_south"),
    ("mean_distance_miles", "mean", "distance_sum", "distance_n", "distance_sum / NULLIF(distance_n, 0)"),
    ("median_distance_miles", "median", "NULL", "distance_n", "distance_median"),
    ("bed_days", "count", "bed_days", "NULL", "bed_days"),
    ("out_of_area_bed_days", "count", "out_of_area_bed_days", "NULL", "out_of_area_bed_days"),
    ("admissions", "count", "admissions", "NULL", "admissions"),
    ("readmissions", "count", "readmissions", "NULL", "readmissions"),
)


def _month_index(value: str | pd.Period, name: str) -> int:
    try:
        period = pd.Period(value, freq="M")
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: {value!r} is not a month in YYYY-MM form") from None
    return period.year * 12 + period.month - 1


def _reader(path: Path, d: DataDictionary) -> tuple[str, list[str]]:
    """The DuckDB table function reading `path` with dictionary types, and its columns."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind == "parquet":
        columns = [
            c
            for c in duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{_quote(path)}')").fetchnumpy()[
                "column_name"
            ]
        ]
        return f"read_parquet('{_quote(path)}')", columns
    if kind != "csv":
        raise ParameterError(f"{path}: aggregate_monthly reads .csv or .parquet files, not {path.suffix!r}")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), [])
    fields = d.dataset("placements")
    types = {f.name: _SQL_TYPES[f.type] for f in fields.fields}
    spec = ", ".join(f"'{_quote(c)}': '{types.get(c, 'VARCHAR')}'" for c in header)
    reader = (
        f"read_csv('{_quote(path)}', header=true, delim=',', quote='\"', auto_detect=false, "
        f"dateformat='%Y-%m-%d', columns={{{spec}}})"
    )
    return reader, header


def _quote(text: object) -> str:
    return str(text).replace("'", "''")


def _sql(
    reader: str,
    extract: pd.Timestamp,
    window: int,
    m0: int | None,
    m1: int,
    d: DataDictionary,
    synthetic: bool,
) -> str:
    boroughs = ", ".join(f"('{v.code}', '{_quote(v.label)}')" for v in d.vocabularies["boroughs"].values)
    inpatient = ", ".join(f"'{s}'" for s in INPATIENT_SETTINGS)
    after = (extract + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    first = "(SELECT min(start_m) FROM ep)" if m0 is None else str(m0)
    unit = (
        "CASE WHEN GROUPING(lead_trust) = 0 THEN lead_trust "
        "WHEN GROUPING(home_borough) = 0 THEN home_borough ELSE 'SLP' END"
    )
    flag = ", TRUE AS synthetic" if synthetic else ""
    sets = "GROUPING SETS ((programme, m), (programme, m, lead_trust), (programme, m, home_borough))"
    long = " UNION ALL ".join(
        f"SELECT programme || '_{name}' AS measure, '{kind}' AS measure_type, m, unit, "
        f"CAST({num} AS DOUBLE) AS numerator, CAST({den} AS DOUBLE) AS denominator, "
        f"CAST(NULL AS DOUBLE) AS exposure, CAST({value} AS DOUBLE) AS value FROM wide"
        for name, kind, num, den, value in MEASURES
    )
    return f"""
WITH boroughs(code, label) AS (VALUES {boroughs}),
src AS (
    SELECT * REPLACE (CAST(start_date AS DATE) AS start_date, CAST(end_date AS DATE) AS end_date)
    FROM {reader}
),
ep AS (
    SELECT s.episode_id, s.patient_id, s.programme, s.lead_trust, b.label AS home_borough,
           s.in_south_london, s.placement_borough_code = s.home_borough_code AS at_home,
           s.setting = '{INDEPENDENT_SETTING}' AS independent, s.setting IN ({inpatient}) AS inpatient,
           s.start_date, s.end_date,
           LEAST(COALESCE(s.end_date, DATE '{after}'), DATE '{after}') AS end_eff,
           s.distance_from_home_miles AS distance,
           year(s.start_date) * 12 + month(s.start_date) - 1 AS start_m
    FROM src AS s LEFT JOIN boroughs AS b ON s.home_borough_code = b.code
    WHERE s.start_date <= DATE '{extract:%Y-%m-%d}'
),
spans AS (
    SELECT *, year(end_eff) * 12 + month(end_eff) - 1 - 1 AS last_census_m,
           year(end_eff - 1) * 12 + month(end_eff - 1) - 1 AS last_bed_m
    FROM ep
),
months AS (
    SELECT i AS m, make_date(CAST(i // 12 AS BIGINT), CAST(i % 12 + 1 AS BIGINT), 1) AS month_start
    FROM range({first}, {m1} + 1) AS t(i)
),
census AS (
    SELECT programme, lead_trust, home_borough, months.m,
        count(*) AS n, sum(CAST(in_south_london AS INTEGER)) AS n_south,
        sum(CAST(at_home AS INTEGER)) AS n_home, sum(CAST(independent AS INTEGER)) AS n_independent,
        sum(distance) AS distance_sum, count(distance) AS distance_n, median(distance) AS distance_median,
        {unit} AS unit
    FROM spans JOIN months ON months.m BETWEEN spans.start_m AND spans.last_census_m
    GROUP BY {sets}
),
bed_months AS (
    SELECT programme, lead_trust, home_borough, in_south_london, months.m,
        date_diff('day', GREATEST(start_date, month_start),
                  LEAST(end_eff, CAST(month_start + INTERVAL 1 MONTH AS DATE))) AS days
    FROM spans JOIN months ON months.m BETWEEN spans.start_m AND spans.last_bed_m
    WHERE inpatient
),
beds AS (
    SELECT programme, lead_trust, home_borough, m, sum(days) AS bed_days,
        sum(CASE WHEN in_south_london THEN 0 ELSE days END) AS out_of_area_bed_days,
        {unit} AS unit
    FROM bed_months
    GROUP BY {sets}
),
stays AS (
    SELECT programme, lead_trust, home_borough, start_m AS m, start_date,
        LAG(episode_id) OVER w AS previous_id, LAG(end_date) OVER w AS previous_end
    FROM ep WHERE inpatient
    WINDOW w AS (PARTITION BY patient_id ORDER BY start_date, episode_id)
),
admitted AS (
    SELECT *, previous_id IS NULL OR previous_end < start_date AS admission,
        previous_end < start_date AND date_diff('day', previous_end, start_date) <= {window} AS readmission
    FROM stays
),
admissions AS (
    SELECT programme, lead_trust, home_borough, m,
        count(*) FILTER (WHERE admission) AS admissions,
        count(*) FILTER (WHERE readmission) AS readmissions,
        {unit} AS unit
    FROM admitted WHERE m IN (SELECT m FROM months)
    GROUP BY {sets}
),
units AS (
    SELECT DISTINCT programme, 'SLP' AS unit FROM ep
    UNION SELECT DISTINCT programme, lead_trust FROM ep
    UNION SELECT DISTINCT programme, home_borough FROM ep
),
wide AS (
    SELECT units.programme, units.unit, months.m,
        COALESCE(c.n, 0) AS n, COALESCE(c.n_south, 0) AS n_south, COALESCE(c.n_home, 0) AS n_home,
        COALESCE(c.n_independent, 0) AS n_independent, COALESCE(c.distance_n, 0) AS distance_n,
        c.distance_sum, c.distance_median,
        COALESCE(b.bed_days, 0) AS bed_days, COALESCE(b.out_of_area_bed_days, 0) AS out_of_area_bed_days,
        COALESCE(a.admissions, 0) AS admissions, COALESCE(a.readmissions, 0) AS readmissions
    FROM units CROSS JOIN months
    LEFT JOIN census AS c ON c.programme = units.programme AND c.unit = units.unit AND c.m = months.m
    LEFT JOIN beds AS b ON b.programme = units.programme AND b.unit = units.unit AND b.m = months.m
    LEFT JOIN admissions AS a ON a.programme = units.programme AND a.unit = units.unit AND a.m = months.m
)
SELECT measure, measure_type, m, unit, numerator, denominator, exposure, value{flag}
FROM ({long}) ORDER BY measure, unit, m
"""


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
        DuckDB threads (default: DuckDB's choice, all cores).

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
    con = duckdb.connect()
    try:
        if threads is not None:
            con.execute(f"SET threads = {int(threads)}")
        synthetic = "synthetic" in columns and bool(
            con.execute(f"SELECT bool_and(synthetic) FROM {reader}").fetchone()[0]
        )
        unknown = con.execute(
            f"SELECT count(*) FROM {reader} WHERE home_borough_code NOT IN "
            f"({', '.join(repr(c) for c in d.vocabularies['boroughs'].codes)})"
        ).fetchone()[0]
        if unknown:
            raise DataValidationError(
                f"{path}: {unknown} row(s) have a home_borough_code outside the boroughs vocabulary; "
                f"run `slp-eval validate {path} --dataset placements` for the full report"
            )
        result = con.execute(_sql(reader, extract, int(readmission_window_days), m0, m1, d, synthetic)).df()
    except duckdb.Error as exc:
        raise DataValidationError(
            f"{path}: DuckDB could not read it as a placements extract ({exc}); "
            f"run `slp-eval validate {path} --dataset placements` for the full report"
        ) from exc
    finally:
        con.close()
    return _to_monthly_series(result, synthetic)


def _to_monthly_series(result: pd.DataFrame, synthetic: bool) -> pd.DataFrame:
    ordinals = result["m"].to_numpy() - 1970 * 12
    frame = pd.DataFrame(
        {
            "period": pd.PeriodIndex.from_ordinals(ordinals, freq="M"),
            "unit": result["unit"].astype("string"),
            "measure": result["measure"].astype("string"),
            "measure_type": result["measure_type"].astype("string"),
            **{c: result[c].astype("float64") for c in ("numerator", "denominator", "exposure", "value")},
        }
    )
    if synthetic:
        frame["synthetic"] = pd.array([True] * len(frame), dtype="boolean")
    frame.attrs["dataset"] = "monthly_series"
    frame.attrs["identifying_columns"] = []
    frame.attrs["synthetic"] = synthetic
    return frame
