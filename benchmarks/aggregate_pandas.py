"""The same monthly aggregation as `slp_eval.data.aggregate_monthly`, in plain pandas/numpy.

The baseline of `aggregate_bench.py` and the independent reference of the tests: it loads the
whole extract into pandas and expands each episode into the months it covers. It follows the
definitions in the docstring of `slp_eval.data.aggregate`, written separately from the SQL.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from slp_eval.data.aggregate import INDEPENDENT_SETTING, INPATIENT_SETTINGS, MEASURES
from slp_eval.data.dictionary import read_dictionary

KEYS = ("programme", "lead_trust", "home_borough")


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        for column in ("start_date", "end_date"):
            frame[column] = pd.to_datetime(frame[column])
        return frame
    return pd.read_csv(path, parse_dates=["start_date", "end_date"], dtype={"in_south_london": bool})


def _month(dates: pd.Series) -> np.ndarray:
    return (dates.dt.year * 12 + dates.dt.month - 1).to_numpy()


def _expand(frame: pd.DataFrame, first: np.ndarray, last: np.ndarray, m0: int, m1: int) -> pd.DataFrame:
    """One row per episode and month m in [first, last] within [m0, m1]."""
    first, last = np.maximum(first, m0), np.minimum(last, m1)
    counts = np.clip(last - first + 1, 0, None)
    rows = np.repeat(np.arange(len(frame)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    out = frame.iloc[rows].reset_index(drop=True)
    out["m"] = first[rows] + offsets
    return out


def _by_units(frame: pd.DataFrame, aggregations: dict) -> pd.DataFrame:
    parts = []
    for level in (None, "lead_trust", "home_borough"):
        keys = ["programme", "m"] + ([level] if level else [])
        part = frame.groupby(keys, sort=False).agg(**aggregations).reset_index()
        part["unit"] = part[level] if level else "SLP"
        parts.append(part.drop(columns=[level] if level else []))
    return pd.concat(parts, ignore_index=True)


def aggregate_monthly_pandas(
    source: str | Path,
    *,
    extract_date: str,
    readmission_window_days: int = 30,
    start: str | None = None,
    end: str | None = None,
) -> pd.DataFrame:
    """pandas twin of `aggregate_monthly` (same arguments, same output)."""
    vocab = read_dictionary().vocabularies["boroughs"]
    labels = {v.code: v.label for v in vocab.values}
    extract = pd.Timestamp(extract_date)
    ep = _read(Path(source))
    ep = ep[ep["start_date"] <= extract].reset_index(drop=True)
    after = extract + pd.Timedelta(days=1)
    ep["end_eff"] = ep["end_date"].fillna(after).clip(upper=after)
    ep["home_borough"] = ep["home_borough_code"].map(labels)
    ep["at_home"] = ep["placement_borough_code"] == ep["home_borough_code"]
    ep["independent"] = ep["setting"] == INDEPENDENT_SETTING
    ep["inpatient"] = ep["setting"].isin(INPATIENT_SETTINGS)
    ep["start_m"] = _month(ep["start_date"])
    last_period = extract.to_period("M") if extract.is_month_end else extract.to_period("M") - 1
    p1 = pd.Period(end, "M") if end else last_period
    m1 = p1.year * 12 + p1.month - 1
    m0 = (
        ep["start_m"].min()
        if start is None
        else pd.Period(start, "M").year * 12 + pd.Period(start, "M").month - 1
    )

    census_columns = [
        "programme",
        "lead_trust",
        "home_borough",
        "in_south_london",
        "at_home",
        "independent",
        "distance_from_home_miles",
    ]
    census = _expand(ep[census_columns], ep["start_m"].to_numpy(), _month(ep["end_eff"]) - 1, m0, m1)
    census_agg = _by_units(
        census,
        {
            "n": ("in_south_london", "size"),
            "n_south": ("in_south_london", "sum"),
            "n_home": ("at_home", "sum"),
            "n_independent": ("independent", "sum"),
            "distance_sum": ("distance_from_home_miles", "sum"),
            "distance_n": ("distance_from_home_miles", "count"),
            "distance_median": ("distance_from_home_miles", "median"),
        },
    )
    inpatient = ep[ep["inpatient"]].reset_index(drop=True)
    beds = _expand(
        inpatient[["programme", "lead_trust", "home_borough", "in_south_london", "start_date", "end_eff"]],
        inpatient["start_m"].to_numpy(),
        _month(inpatient["end_eff"] - pd.Timedelta(days=1)),
        m0,
        m1,
    )
    month_start = pd.to_datetime({"year": beds["m"] // 12, "month": beds["m"] % 12 + 1, "day": 1})
    lo = np.maximum(beds["start_date"], month_start)
    hi = np.minimum(beds["end_eff"], month_start + pd.offsets.MonthBegin(1))
    beds["days"] = (hi - lo).dt.days
    beds["ooa_days"] = beds["days"].where(~beds["in_south_london"], 0)
    beds_agg = _by_units(beds, {"bed_days": ("days", "sum"), "out_of_area_bed_days": ("ooa_days", "sum")})

    stays = inpatient.sort_values(["patient_id", "start_date", "episode_id"]).reset_index(drop=True)
    same = stays["patient_id"].eq(stays["patient_id"].shift())
    previous_end = stays["end_date"].shift().where(same)
    gap = (stays["start_date"] - previous_end).dt.days
    stays["admission"] = ~same | (gap > 0)
    stays["readmission"] = (gap > 0) & (gap <= readmission_window_days)
    stays["m"] = stays["start_m"]
    stays = stays[(stays["m"] >= m0) & (stays["m"] <= m1)]
    adm_agg = _by_units(stays, {"admissions": ("admission", "sum"), "readmissions": ("readmission", "sum")})

    units = pd.concat(
        [
            ep[["programme"]].drop_duplicates().assign(unit="SLP"),
            ep[["programme", "lead_trust"]].drop_duplicates().rename(columns={"lead_trust": "unit"}),
            ep[["programme", "home_borough"]].drop_duplicates().rename(columns={"home_borough": "unit"}),
        ]
    ).drop_duplicates()
    grid = units.merge(pd.DataFrame({"m": np.arange(m0, m1 + 1)}), how="cross")
    wide = grid
    for part in (census_agg, beds_agg, adm_agg):
        wide = wide.merge(part, on=["programme", "unit", "m"], how="left")
    counts = [
        "n",
        "n_south",
        "n_home",
        "n_independent",
        "distance_n",
        "bed_days",
        "out_of_area_bed_days",
        "admissions",
        "readmissions",
    ]
    wide[counts] = wide[counts].fillna(0).astype("float64")
    n = wide["n"].where(wide["n"] > 0)
    dn = wide["distance_n"].where(wide["distance_n"] > 0)
    values = {
        "in_placement": (wide["n"], None, wide["n"]),
        "in_south_london": (wide["n_south"], wide["n"], wide["n_south"] / n),
        "home_borough": (wide["n_home"], wide["n"], wide["n_home"] / n),
        "independent_sector": (wide["n_independent"], wide["n"], wide["n_independent"] / n),
        "out_of_area_placements": (wide["n"] - wide["n_south"], None, wide["n"] - wide["n_south"]),
        # no known distance in the census: nothing to sum (missing, not zero miles)
        "mean_distance_miles": (
            wide["distance_sum"].where(dn.notna()),
            wide["distance_n"],
            wide["distance_sum"] / dn,
        ),
        "median_distance_miles": (None, wide["distance_n"], wide["distance_median"]),
        **{
            k: (wide[k], None, wide[k])
            for k in ("bed_days", "out_of_area_bed_days", "admissions", "readmissions")
        },
    }
    parts = []
    for name, kind in MEASURES:
        num, den, value = values[name]
        parts.append(
            pd.DataFrame(
                {
                    "measure": wide["programme"] + "_" + name,
                    "measure_type": kind,
                    "m": wide["m"],
                    "unit": wide["unit"],
                    "numerator": np.nan if num is None else num.astype(float),
                    "denominator": np.nan if den is None else den.astype(float),
                    "exposure": np.nan,
                    "value": value.astype(float),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True).sort_values(["measure", "unit", "m"], ignore_index=True)
    return pd.DataFrame(
        {
            "period": pd.PeriodIndex.from_ordinals(out["m"].to_numpy() - 1970 * 12, freq="M"),
            "unit": out["unit"].astype("string"),
            "measure": out["measure"].astype("string"),
            "measure_type": out["measure_type"].astype("string"),
            **{c: out[c].astype("float64") for c in ("numerator", "denominator", "exposure", "value")},
        }
    )
