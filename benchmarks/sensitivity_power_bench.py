"""Benchmark: batched placebo, break-date and power fits against the loop of `fit_its` they replace.

On a monthly series of 120 points (interruption at month 61, AR(1) noise) it times:

- `break_date_sensitivity(..., window=W)` (2W + 1 dates) and `placebo_test(...)` at every
  admissible pre-period date, errors="newey-west" with maxlags=1 and errors="ar" (REML AR(1),
  Kenward-Roger), against the loop the functions ran before they were batched: one `fit_its`
  per date (the same data and dates);
- `its_power(...)` on one design with `--sims` replications, errors "ols", "newey-west"
  (maxlags=1) and "ar" (REML AR(1), Kenward-Roger), against the loop of `fit_its` per
  replication (`slp_eval.power._fit_chunk`, the path the other error models still take), timed
  on `--loop-sample` replications and scaled
  linearly when `--sims` is larger (each replication is independent), said in the output.

Each timing reports wall time, CPU time of this process (`time.process_time`) and cores used
(CPU / wall), the median of `--repeats` runs for the batched calls. The batched and looped numbers
are compared (estimate, std_err, ci_low, ci_high, p_value to 1e-8 relative); the exit code is 1 if
they disagree.

Usage: python benchmarks/sensitivity_power_bench.py [--window 12] [--sims 10000]
       [--loop-sample 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from slp_eval import power
from slp_eval.its import break_date_sensitivity, fit_its, placebo_test

N_MONTHS = 120
BREAK = 60
COLUMNS = ["estimate", "std_err", "ci_low", "ci_high", "p_value"]


def timed(function: Callable[[], Any], repeats: int) -> tuple[Any, float, float]:
    walls, cpus, out = [], [], None
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        out = function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return out, statistics.median(walls), statistics.median(cpus)


def series(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(N_MONTHS)
    noise = np.zeros(N_MONTHS)
    for i in range(1, N_MONTHS):
        noise[i] = 0.3 * noise[i - 1] + rng.normal()
    y = 50 + 0.2 * t - 4 * (t >= BREAK) - 0.1 * (t >= BREAK) * (t - BREAK) + 3 * noise
    return pd.DataFrame({"month": pd.period_range("2014-01", periods=N_MONTHS, freq="M").astype(str),
                         "y": y})


def loop_rows(data: pd.DataFrame, dates: list[str], model: dict[str, Any]) -> pd.DataFrame:
    """The old implementation's work: fit_its per date, the level and trend change rows kept."""
    rows = []
    for date in dates:
        table = fit_its(data, outcome="y", time="month", interruptions=date, **model).coefficients
        for term in ("level_change", "trend_change"):
            rows.append({"period": date, "term": term,
                         **table.loc[f"{term}[{date}]", COLUMNS].to_dict()})
    return pd.DataFrame(rows)


def agree(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    return all(np.allclose(a[c].to_numpy(float), b[c].to_numpy(float), rtol=1e-8, atol=0.0)
               for c in COLUMNS)


def line(name: str, wall: float, cpu: float) -> None:
    print(f"  {name:44s}{wall:10.3f}{cpu:10.3f}{cpu / wall if wall else float('nan'):7.2f}")


def sensitivity(data: pd.DataFrame, label: str, model: dict[str, Any],
                args: argparse.Namespace) -> bool:
    """break_date_sensitivity and placebo_test batched against their loops of fit_its."""
    months = data["month"].tolist()
    ok = True
    dates = months[BREAK - args.window: BREAK + args.window + 1]
    result, wall_b, cpu_b = timed(lambda: break_date_sensitivity(
        data, outcome="y", time="month", interruptions=months[BREAK], window=args.window,
        **model), args.repeats)
    looped, wall_l, cpu_l = timed(lambda: loop_rows(data, dates, model), 1)
    same = agree(result.estimates, looped)
    ok &= same
    print(f"\nbreak_date_sensitivity, {len(dates)} dates ({label}): agree={same}")
    line("batched", wall_b, cpu_b)
    line("loop of fit_its (before)", wall_l, cpu_l)
    print(f"  ratio loop / batched: {wall_l / wall_b:.1f}x wall, {cpu_l / cpu_b:.1f}x CPU")

    result, wall_b, cpu_b = timed(lambda: placebo_test(
        data, outcome="y", time="month", interruptions=months[BREAK], **model), args.repeats)
    placebo_dates = result.placebos["period"].unique().tolist()
    looped, wall_l, cpu_l = timed(lambda: loop_rows(data.iloc[:BREAK], placebo_dates, model), 1)
    same = agree(result.placebos, looped)
    ok &= same
    print(f"\nplacebo_test, {len(placebo_dates)} placebo dates ({label}): agree={same}")
    line("batched (real fit included)", wall_b, cpu_b)
    line("loop of fit_its over the placebos (before)", wall_l, cpu_l)
    print(f"  ratio loop / batched: {wall_l / wall_b:.1f}x wall, {cpu_l / cpu_b:.1f}x CPU")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=int, default=12)
    parser.add_argument("--sims", type=int, default=10_000)
    parser.add_argument("--loop-sample", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"sensitivity and power benchmark: {cores} CPUs available, load average "
          f"{os.getloadavg()[0]:.2f}; wall s, CPU s, cores used = CPU / wall")
    data = series()
    ok = True
    for label, model in (("newey-west, lag 1", {"errors": "newey-west", "maxlags": 1}),
                         ("REML AR(1), Kenward-Roger", {"errors": "ar"})):
        ok &= sensitivity(data, label, model, args)

    for errors, maxlags in (("ols", None), ("newey-west", 1), ("ar", None)):
        settings = dict(level_change=1.0, trend_change=0.05, rho=0.3, errors=errors,
                        maxlags=maxlags, seed=7)
        result, wall_b, cpu_b = timed(lambda s=settings: power.its_power(
            60, 60, n_sim=args.sims, **s), args.repeats)
        sample = min(args.loop_sample, args.sims)
        design = power._Design(60, 60, 0.0, 0.0, 1.0, 0.05, 1.0, 0.3, "gaussian", errors,
                               maxlags, 0.05)
        seeds = np.random.SeedSequence(7).spawn(args.sims)[:sample]
        looped, wall_l, cpu_l = timed(lambda d=design, s=seeds: power._fit_chunk(d, s), 1)
        scale = args.sims / sample
        reps = result.replicates
        mine = np.column_stack([reps.loc[reps["term"] == term, COLUMNS].to_numpy()[:sample]
                                for term in power.EFFECT_TERMS])
        same = bool(np.allclose(mine, np.asarray(looped), rtol=1e-8, atol=0.0))
        ok &= same
        scaled = f" ({sample} timed, x{scale:g})" if scale > 1 else ""
        print(f"\nits_power, {args.sims} replications of 120 months, errors={errors!r}: "
              f"agree={same} on the {sample} looped")
        line("batched", wall_b, cpu_b)
        line(f"loop of fit_its{scaled}", wall_l * scale, cpu_l * scale)
        print(f"  ratio loop / batched: {wall_l * scale / wall_b:.1f}x wall, "
              f"{cpu_l * scale / cpu_b:.1f}x CPU")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
