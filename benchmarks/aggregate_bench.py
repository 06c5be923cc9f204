"""Benchmark: `aggregate_monthly` (DuckDB) against the same aggregation in plain pandas.

Generates N placement episodes (default 10 million) into a Parquet file in a temporary folder,
then runs each implementation in its own subprocess, which reports the wall time of the
aggregation (reading the file included) and its own peak resident set size
(`resource.getrusage(RUSAGE_SELF).ru_maxrss` at exit, so nothing else pollutes the figure);
the parent also reads `RUSAGE_CHILDREN` as a cross-check. Finally it checks that the two
outputs are identical (counts, shares and medians exactly; sums of distances to 1e-12
relative, as float addition order differs).

Usage: python benchmarks/aggregate_bench.py [--rows 10000000] [--keep DIR]
Targets (issue 6): DuckDB at least 5x faster and at most 1/4 of pandas' peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
EXTRACT_DATE = "2024-12-31"
OPTIONS = {"extract_date": EXTRACT_DATE, "readmission_window_days": 30, "start": "2015-01"}
SOUTH = [
    "E09000004",
    "E09000006",
    "E09000011",
    "E09000022",
    "E09000023",
    "E09000028",
    "E09000008",
    "E09000021",
    "E09000024",
    "E09000027",
    "E09000029",
    "E09000032",
]
TRUST = {c: t for c, t in zip(SOUTH, ["RPG"] * 3 + ["RV5"] * 4 + ["RQY"] * 5, strict=True)}
AWAY = ["E08000025", "E06000023", "E07000178", "E06000045", "E08000003"]
SETTINGS = ["nhs_inpatient", "independent_inpatient", "residential", "nursing", "supported_living"]


def generate(path: Path, rows: int, seed: int = 1, chunk: int = 2_000_000) -> None:
    """Write `rows` synthetic episodes (about 5 per patient) to Parquet, chunk by chunk."""
    rng = np.random.default_rng(seed)
    writer = None
    origin = np.datetime64("2015-01-01")
    for first in range(0, rows, chunk):
        n = min(chunk, rows - first)
        ids = np.arange(first, first + n)
        start = origin + rng.integers(0, 3650, n).astype("timedelta64[D]")
        end = start + rng.exponential(60, n).astype("int64").astype("timedelta64[D]")
        open_ = rng.random(n) < 0.05
        home = rng.choice(SOUTH, n)
        away = rng.random(n) < 0.4
        placed = np.where(
            away, rng.choice(AWAY, n), np.where(rng.random(n) < 0.6, home, rng.choice(SOUTH, n))
        )
        table = pa.table(
            {
                "episode_id": pa.array(np.char.add("E", ids.astype(str))),
                "patient_id": pa.array(np.char.add("P", (ids // 5).astype(str))),
                "programme": pa.array(rng.choice(["ccp", "forensic", "camhs"], n)),
                "lead_trust": pa.array(pd.Series(home).map(TRUST).to_numpy()),
                "setting": pa.array(rng.choice(SETTINGS, n)),
                "placement_borough_code": pa.array(placed),
                "in_south_london": pa.array(~away),
                "home_borough_code": pa.array(home),
                "start_date": pa.array(start, type=pa.date32()),
                "end_date": pa.array(np.where(open_, np.datetime64("NaT"), end), type=pa.date32()),
                "funding": pa.array(np.full(n, "nhs")),
                "distance_from_home_miles": pa.array(np.round(rng.uniform(0, 200, n), 1)),
            }
        )
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()


def worker(kind: str, data: Path, out: Path) -> None:
    """Run one implementation and print its time and peak RSS as JSON."""
    if kind == "duckdb":
        from slp_eval.data import aggregate_monthly as aggregate
    else:
        sys.path.insert(0, str(HERE))
        from aggregate_pandas import aggregate_monthly_pandas as aggregate
    started = time.perf_counter()
    cpu = time.process_time()
    result = aggregate(data, **OPTIONS)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu
    result.assign(period=result["period"].astype(str)).to_parquet(out)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    figures = {"kind": kind, "seconds": seconds, "cpu_seconds": cpu_seconds, "peak_rss_mib": peak_kib / 1024}
    print(json.dumps({**figures, "rows": len(result)}))


def _run(kind: str, data: Path, out: Path) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run(
        [sys.executable, __file__, "--worker", kind, "--data", str(data), "--out", str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["children_max_rss_mib"] = (
        max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    )
    return figures


def _compare(duck: pd.DataFrame, panda: pd.DataFrame) -> dict:
    assert list(duck.columns) == list(panda.columns), (duck.columns, panda.columns)
    assert duck[["period", "unit", "measure", "measure_type"]].equals(
        panda[["period", "unit", "measure", "measure_type"]]
    )
    worst = 0.0
    inexact = 0
    for column in ("numerator", "denominator", "exposure", "value"):
        a, b = duck[column].to_numpy(), panda[column].to_numpy()
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        summed = duck["measure"].str.endswith("mean_distance_miles").to_numpy()
        assert same[~summed].all(), f"{column} differs outside mean distance"
        if (~same).any():
            worst = max(worst, float(np.max(np.abs(a[~same] - b[~same]) / np.abs(b[~same]))))
            inexact += int((~same).sum())
    assert worst <= 1e-12, worst
    return {"rows": len(duck), "cells_not_bit_identical": inexact, "max_relative_difference": worst}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--keep", type=Path, default=None, help="keep the generated Parquet here")
    parser.add_argument("--worker", choices=["duckdb", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.data, args.out)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        data = folder / "placements.parquet"
        started = time.perf_counter()
        generate(data, args.rows)
        print(
            f"generated {args.rows:,} episodes ({data.stat().st_size / 2**20:.0f} MiB Parquet) "
            f"in {time.perf_counter() - started:.0f} s; {os.cpu_count()} CPUs"
        )
        duck = _run("duckdb", data, folder / "duckdb.parquet")
        panda = _run("pandas", data, folder / "pandas.parquet")
        check = _compare(
            pd.read_parquet(folder / "duckdb.parquet"), pd.read_parquet(folder / "pandas.parquet")
        )
    for figures in (duck, panda):
        print(
            f"{figures['kind']:>7}: {figures['seconds']:8.1f} s wall, {figures['cpu_seconds']:8.1f} s CPU "
            f"({figures['cpu_seconds'] / figures['seconds']:.2f} cores used), "
            f"peak RSS {figures['peak_rss_mib']:8.0f} MiB "
            f"(RUSAGE_CHILDREN so far {figures['children_max_rss_mib']:.0f} MiB)"
        )
    speed = panda["seconds"] / duck["seconds"]
    cpu_ratio = panda["cpu_seconds"] / duck["cpu_seconds"]
    memory = duck["peak_rss_mib"] / panda["peak_rss_mib"]
    print(
        f"DuckDB is {speed:.1f}x faster in wall time (target >= 5x; {cpu_ratio:.1f}x in CPU time) "
        f"and uses {memory:.3f} of pandas' peak memory "
        f"(target <= 0.25)"
    )
    print(
        f"outputs: {check['rows']:,} rows identical; {check['cells_not_bit_identical']} mean-distance cells "
        f"differ in the last bits (max relative difference {check['max_relative_difference']:.1e})"
    )
    return 0 if speed >= 5 and memory <= 0.25 else 1


if __name__ == "__main__":
    sys.exit(main())
