"""The DuckDB SQL of `aggregate_monthly`: every query scans the extract itself and returns
only small per-(programme, lead trust, home borough, month) tables; nothing is expanded to
one row per episode and month except the few episodes a median needs."""

from __future__ import annotations

import pandas as pd

from slp_eval.data.dictionary import DataDictionary

INPATIENT_SETTINGS: tuple[str, ...] = ("nhs_inpatient", "independent_inpatient")
INDEPENDENT_SETTING = "independent_inpatient"
KEYS = "programme, lead_trust, home_borough"


def sql_list(values: list[str]) -> str:
    """A DuckDB list literal of strings."""
    return "[" + ", ".join(f"'{quote(v)}'" for v in values) + "]"


def quote(text: object) -> str:
    """Escape a string for a single-quoted SQL literal."""
    return str(text).replace("'", "''")


def month_start(m: str) -> str:
    """SQL for the first day of month index `m` (year * 12 + month - 1)."""
    return f"make_date(CAST(({m}) // 12 AS BIGINT), CAST(({m}) % 12 + 1 AS BIGINT), 1)"


def _keys(d: DataDictionary, alias: str) -> str:
    """Programme, lead trust and home borough as 1-based vocabulary positions (NULL if unknown)."""
    programmes = sql_list(d.vocabularies["programmes"].codes)
    trusts = sql_list(d.vocabularies["trusts"].codes)
    boroughs = sql_list(d.vocabularies["boroughs"].codes)
    return (
        f"list_position({programmes}, {alias}.programme) AS programme, "
        f"list_position({trusts}, {alias}.lead_trust) AS lead_trust, "
        f"list_position({boroughs}, {alias}.home_borough_code) AS home_borough"
    )


def create_episodes(reader: str, extract: pd.Timestamp, d: DataDictionary, synthetic: bool) -> str:
    """Create the temporary table `episodes`: one compact row per episode starting by the
    extract date, with integer keys, flags, the censored end (`end_eff`, the day after the
    extract date for open episodes), and month indices (year * 12 + month - 1) of the start, of
    the last month-end census and of the last bed day, and the whole mile of the distance."""
    inpatient = ", ".join(f"'{s}'" for s in INPATIENT_SETTINGS)
    after = (extract + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    flag = "s.synthetic" if synthetic else "false"
    return f"""CREATE TEMP TABLE episodes AS
SELECT *, year(end_eff) * 12 + month(end_eff) - 2 AS census_end_m,
    year(end_eff - 1) * 12 + month(end_eff - 1) - 1 AS bed_end_m
FROM (
    SELECT {_keys(d, "s")},
        s.in_south_london, s.placement_borough_code = s.home_borough_code AS at_home,
        s.setting = '{INDEPENDENT_SETTING}' AS independent, s.setting IN ({inpatient}) AS inpatient,
        CAST(s.start_date AS DATE) AS start_date,
        LEAST(COALESCE(CAST(s.end_date AS DATE), DATE '{after}'), DATE '{after}') AS end_eff,
        s.distance_from_home_miles AS distance, CAST(floor(s.distance_from_home_miles) AS BIGINT) AS mile,
        year(s.start_date) * 12 + month(s.start_date) - 1 AS start_m, {flag} AS synthetic
    FROM {reader} AS s
    WHERE CAST(s.start_date AS DATE) <= DATE '{extract:%Y-%m-%d}'
)"""


def spans(m0: int, m1: int) -> str:
    """CTE `spans`: the episodes with their first month, last census month and last bed month
    clipped to [m0, m1]."""
    return f"""spans AS (
    SELECT *, GREATEST(start_m, {m0}) AS first_m, LEAST(census_end_m, {m1}) AS last_census_m,
        LEAST(bed_end_m, {m1}) AS last_bed_m
    FROM episodes
)"""


def _census_event(sign: str) -> str:
    return (
        f"{sign}n AS n, {sign}CASE WHEN in_south_london THEN n ELSE 0 END AS n_south, "
        f"{sign}n_home AS n_home, {sign}n_independent AS n_independent, "
        f"{sign}distance_sum AS distance_sum, {sign}distance_n AS distance_n"
    )


def _edge_days(month: str) -> str:
    """Bed days of an episode in month index `month` (a column)."""
    return (
        f"date_diff('day', GREATEST(start_date, {month_start(month)}), "
        f"LEAST(end_eff, {month_start(month + ' + 1')}))"
    )


#: Columns of the events query that are running sums over months (the others are per month).
RUNNING = (
    "n",
    "n_south",
    "n_home",
    "n_independent",
    "distance_sum",
    "distance_n",
    "spanning",
    "spanning_away",
)
PER_MONTH = ("edge_days", "edge_away_days")


def events(prefix: str, m1: int) -> str:
    """Per key and month, the changes of the census counts and sums (+1 in the first census
    month, -1 after the last), the exact bed days of each inpatient episode's first and last
    month, and the change in the count of inpatient episodes spanning whole months."""
    census = "first_m <= last_census_m"
    beds = "inpatient AND first_m <= last_bed_m"
    spanning = "inpatient AND first_m + 1 < last_bed_m"
    away = "CASE WHEN in_south_london THEN 0 ELSE {} END"
    # One pass over the episodes groups those sharing keys, months and flags ("spells"); the
    # events are then generated from the (much smaller) groups.
    spells = f"""spells AS (
    SELECT {KEYS}, first_m, last_census_m, last_bed_m, inpatient, in_south_london, count(*) AS n,
        count(*) FILTER (WHERE at_home) AS n_home, count(*) FILTER (WHERE independent) AS n_independent,
        sum(CAST(distance AS DECIMAL(38, 10))) AS distance_sum, count(distance) AS distance_n,
        sum(CASE WHEN {beds} THEN {_edge_days("first_m")} ELSE 0 END) AS first_days,
        sum(CASE WHEN {beds} AND first_m < last_bed_m THEN {_edge_days("last_bed_m")} ELSE 0 END)
            AS last_days
    FROM spans GROUP BY ALL
)"""
    parts = [
        f"SELECT {KEYS}, first_m AS m, {_census_event('')} FROM spells WHERE {census}",
        f"SELECT {KEYS}, last_census_m + 1 AS m, {_census_event('-')} FROM spells WHERE {census}",
        f"SELECT {KEYS}, first_m AS m, first_days AS edge_days, "
        f"{away.format('first_days')} AS edge_away_days FROM spells WHERE {beds}",
        f"SELECT {KEYS}, last_bed_m AS m, last_days AS edge_days, "
        f"{away.format('last_days')} AS edge_away_days FROM spells WHERE {beds} AND first_m < last_bed_m",
        f"SELECT {KEYS}, first_m + 1 AS m, n AS spanning, {away.format('n')} AS spanning_away "
        f"FROM spells WHERE {spanning}",
        f"SELECT {KEYS}, last_bed_m AS m, -n AS spanning, -{away.format('n')} AS spanning_away "
        f"FROM spells WHERE {spanning}",
    ]
    # Decimal sums travel as text: DuckDB would hand them to pandas as (inexact) floats.
    sums = ", ".join(
        f"CAST(COALESCE(sum({c}), 0) AS VARCHAR) AS {c}"
        if c == "distance_sum"
        else f"COALESCE(sum({c}), 0) AS {c}"
        for c in RUNNING + PER_MONTH
    )
    union = "\nUNION ALL BY NAME\n".join(parts)
    return f"WITH {prefix},\n{spells}\nSELECT {KEYS}, m, {sums} FROM ({union}) WHERE m <= {m1} GROUP BY ALL"


def admissions(reader: str, extract: pd.Timestamp, d: DataDictionary, window: int, m0: int, m1: int) -> str:
    """Per key and month, admissions (inpatient episodes not continuing a stay) and
    readmissions (admissions within `window` days of the previous inpatient discharge)."""
    inpatient = ", ".join(f"'{s}'" for s in INPATIENT_SETTINGS)
    return f"""WITH stays AS (
    SELECT {_keys(d, "s")}, year(s.start_date) * 12 + month(s.start_date) - 1 AS m,
        CAST(s.start_date AS DATE) AS start_date,
        LAG(s.episode_id) OVER w AS previous_id, LAG(CAST(s.end_date AS DATE)) OVER w AS previous_end
    FROM {reader} AS s
    WHERE s.setting IN ({inpatient}) AND CAST(s.start_date AS DATE) <= DATE '{extract:%Y-%m-%d}'
    WINDOW w AS (PARTITION BY s.patient_id ORDER BY CAST(s.start_date AS DATE), s.episode_id)
)
SELECT {KEYS}, m,
    count(*) FILTER (WHERE previous_id IS NULL OR previous_end < start_date) AS admissions,
    count(*) FILTER (WHERE previous_end < start_date
                     AND date_diff('day', previous_end, start_date) <= {window}) AS readmissions
FROM stays WHERE m BETWEEN {m0} AND {m1} GROUP BY ALL"""


def histogram(prefix: str, m1: int) -> str:
    """Per key, whole mile of distance and month, the change in the census count."""
    census = "first_m <= last_census_m AND distance IS NOT NULL"
    return f"""WITH {prefix}
SELECT {KEYS}, mile, m, sum(w) AS w FROM (
    SELECT {KEYS}, mile, first_m AS m, 1 AS w FROM spans WHERE {census}
    UNION ALL SELECT {KEYS}, mile, last_census_m + 1 AS m, -1 AS w FROM spans WHERE {census}
) WHERE m <= {m1} GROUP BY ALL"""


def combos() -> str:
    """Every (programme, lead trust, home borough) in the extract."""
    return f"SELECT DISTINCT {KEYS} FROM episodes"


def medians(prefix: str) -> str:
    """Exact medians from the registered table `targets` (programme, unit, m, mile, which, r):
    the r-th smallest distance within `mile` among the unit's census at month m, where unit is
    0 (SLP), the trust position or 100 + the borough position."""
    by_unit = " UNION ALL ".join(
        f"SELECT programme, {u} AS unit, m, mile, distance FROM candidates"
        for u in ("0", "lead_trust", "100 + home_borough")
    )
    return f"""WITH {prefix},
candidates AS (
    SELECT s.programme, s.lead_trust, s.home_borough, s.mile, s.distance,
        unnest(range(s.first_m, s.last_census_m + 1)) AS m
    FROM spans AS s SEMI JOIN (SELECT DISTINCT programme, mile FROM targets) AS t
        ON s.programme = t.programme AND s.mile = t.mile
    WHERE s.first_m <= s.last_census_m AND s.distance IS NOT NULL
),
ranked AS (
    SELECT t.programme, t.unit, t.m, t.which, t.r, c.distance,
        row_number() OVER (PARTITION BY t.programme, t.unit, t.m, t.which ORDER BY c.distance) AS rn
    FROM ({by_unit}) AS c JOIN targets AS t USING (programme, unit, m, mile)
)
SELECT programme, unit, m, which, distance FROM ranked WHERE rn = r"""
