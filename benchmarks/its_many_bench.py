"""Benchmark: `fit_its_many` on a grid of monthly series against a statsmodels loop and numpy.

For G series of 120 months (interruption at month 61, level and trend change, AR(1) noise) in one
long frame (`series`, `month` as "YYYY-MM" strings, `y`), it times:

- `fit_its_many(data, by="series", errors="newey-west", maxlags=1)` (parsing, checks, fit and
  the tidy frame included);
- the baseline a user would write: a loop over the groups of
  `statsmodels.formula.api.ols("y ~ t + level + slope", data=group).fit(cov_type="HAC",
  cov_kwds={"maxlags": 1, "use_correction": True}, use_t=True)`, the design columns made once
  beforehand. With more series than `--loop-sample` the loop is timed on the first
  `--loop-sample` series and scaled up linearly (each fit is independent), and the output says so;
- a bare numpy floor: the same OLS and Newey-West arithmetic on a ready (n x G) array, written
  here independently of the package (no parsing, checking or frame building).

With errors="ar" (REML AR(1) with Kenward-Roger, `fit_its`'s default for gaussian) it times
`fit_its_many` on `--ar-series` series against the loop of `fit_its` per group that it replaced
(timed on `--ar-loop-sample` series and scaled), comparing estimate, std_err, ci, p and df.

Each timing reports wall time, CPU time of this process (`time.process_time`) and cores used
(CPU / wall). `fit_its_many` and the floor take the median of `--repeats` runs. The three answers
are compared (estimates, standard errors, interval ends to 1e-8 relative); the exit code is 1 if
they disagree. Targets (issue 13): at least 300x the loop, within 3x of the floor.

Usage: python benchmarks/its_many_bench.py [--series 1000 10000] [--loop-sample 1000]
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
import statsmodels.formula.api as smf
from scipy import stats

from slp_eval.its import fit_its, fit_its_many

N_MONTHS = 120
BREAK = 60  # t of the first post-interruption month (2019-01)
MAXLAGS = 1


def make_data(n_series: int, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    """The long frame and the same outcomes as an (n x G) array."""
    rng = np.random.default_rng(seed)
    t = np.arange(N_MONTHS)
    noise = np.zeros((N_MONTHS, n_series))
    shocks = rng.normal(size=(N_MONTHS, n_series))
    for i in range(1, N_MONTHS):
        noise[i] = 0.3 * noise[i - 1] + shocks[i]
    after = (t >= BREAK)[:, None]
    y = 50 + 0.2 * t[:, None] - 4 * after - 0.1 * after * (t[:, None] - BREAK) + 3 * noise
    months = pd.period_range("2014-01", periods=N_MONTHS, freq="M").astype(str)
    data = pd.DataFrame({"series": np.repeat(np.arange(n_series), N_MONTHS),
                         "month": np.tile(months, n_series), "y": y.T.ravel()})
    return data, y


def design() -> np.ndarray:
    t = np.arange(N_MONTHS, dtype=float)
    after = (t >= BREAK).astype(float)
    return np.column_stack([np.ones(N_MONTHS), t, after, after * (t - BREAK)])


def numpy_floor(y: np.ndarray) -> dict[str, np.ndarray]:
    """OLS + Bartlett HAC (lag 1) with the n/(n-k) scaling for every column of y."""
    x = design()
    n, k = x.shape
    pinv = np.linalg.pinv(x)
    xtx_inv = pinv @ pinv.T
    beta = pinv @ y
    e = y - x @ beta
    q = x @ xtx_inv
    var = (q**2).T @ e**2 + 2 * 0.5 * (q[1:] * q[:-1]).T @ (e[1:] * e[:-1])
    se = np.sqrt(var * n / (n - k))
    crit = stats.t.ppf(0.975, n - k)
    return {"estimate": beta, "std_err": se, "ci_low": beta - crit * se, "ci_high": beta + crit * se}


def statsmodels_loop(data: pd.DataFrame) -> dict[str, np.ndarray]:
    results = {"estimate": [], "std_err": [], "ci_low": [], "ci_high": []}
    for _, group in data.groupby("series", sort=False):
        fit = smf.ols("y ~ t + level + slope", data=group).fit(
            cov_type="HAC", cov_kwds={"maxlags": MAXLAGS, "use_correction": True}, use_t=True)
        ci = fit.conf_int().to_numpy()
        for name, values in (("estimate", fit.params), ("std_err", fit.bse),
                             ("ci_low", ci[:, 0]), ("ci_high", ci[:, 1])):
            results[name].append(np.asarray(values))
    return {name: np.column_stack(values) for name, values in results.items()}


def timed(function: Callable[[], Any], repeats: int) -> tuple[Any, float, float]:
    """Result and median wall and CPU seconds over `repeats` runs."""
    walls, cpus, result = [], [], None
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return result, statistics.median(walls), statistics.median(cpus)


def as_arrays(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    k = frame["term"].nunique()
    return {c: frame[c].to_numpy().reshape(-1, k).T for c in ("estimate", "std_err", "ci_low", "ci_high")}


def agree(a: dict[str, np.ndarray], b: dict[str, np.ndarray], columns: slice) -> float:
    """Largest relative difference over the four columns."""
    worst = 0.0
    for name in ("estimate", "std_err", "ci_low", "ci_high"):
        left, right = a[name][:, columns], b[name][:, columns]
        worst = max(worst, float(np.max(np.abs(left - right) / np.maximum(np.abs(right), 1e-300))))
    return worst


def run(n_series: int, loop_sample: int, repeats: int) -> bool:
    data, y = make_data(n_series)
    arguments = dict(outcome="y", time="month", interruptions="2019-01", errors="newey-west",
                     maxlags=MAXLAGS)
    many, many_wall, many_cpu = timed(lambda: fit_its_many(data, by="series", **arguments), repeats)
    assert (many["status"] == "fitted (batched)").all()
    floor, floor_wall, floor_cpu = timed(lambda: numpy_floor(y), repeats)

    sample = min(n_series, loop_sample)
    sampled = data[data["series"] < sample].copy()
    t = sampled.groupby("series").cumcount().to_numpy()
    sampled["t"], sampled["level"] = t, (t >= BREAK).astype(float)
    sampled["slope"] = sampled["level"] * (t - BREAK)
    loop, loop_wall, loop_cpu = timed(lambda: statsmodels_loop(sampled), 1)
    scale = n_series / sample
    loop_wall, loop_cpu = loop_wall * scale, loop_cpu * scale

    mine = as_arrays(many)
    diff_floor = agree(mine, floor, slice(None))
    diff_loop = agree(mine, loop, slice(0, sample))
    ok = diff_floor < 1e-8 and diff_loop < 1e-8

    print(f"\n{n_series:,} monthly series of {N_MONTHS} points, Newey-West lag {MAXLAGS}")
    rows = [("fit_its_many", many_wall, many_cpu, ""),
            ("numpy floor", floor_wall, floor_cpu, ""),
            ("statsmodels formula loop", loop_wall, loop_cpu,
             f"estimated: {sample:,} series timed, x{scale:g}" if scale > 1 else "")]
    print(f"  {'':26s}{'wall s':>10s}{'CPU s':>10s}{'cores':>7s}")
    for name, wall, cpu, note in rows:
        print(f"  {name:26s}{wall:10.3f}{cpu:10.3f}{cpu / wall:7.2f}  {note}")
    print(f"  fit_its_many vs loop: {loop_wall / many_wall:,.0f}x faster (wall), "
          f"{loop_cpu / many_cpu:,.0f}x (CPU); target >= 300x")
    print(f"  fit_its_many vs floor: {many_wall / floor_wall:.1f}x slower (wall), "
          f"{many_cpu / floor_cpu:.1f}x (CPU); target <= 3x")
    print(f"  largest relative difference: vs floor {diff_floor:.1e}, vs loop {diff_loop:.1e} "
          f"({'agree' if ok else 'DISAGREE'} to 1e-8)")
    return ok


def run_ar(n_series: int, loop_sample: int, repeats: int) -> bool:
    """errors="ar" (REML AR(1), Kenward-Roger): batched `fit_its_many` against the loop of
    `fit_its` per group it replaced (each group's own fit, as `fit_its_many` ran it before)."""
    data, _ = make_data(n_series)
    arguments = dict(outcome="y", time="month", interruptions="2019-01", errors="ar")
    many, many_wall, many_cpu = timed(lambda: fit_its_many(data, by="series", **arguments), repeats)
    batched = bool((many["status"] == "fitted (batched)").all())
    sample = min(n_series, loop_sample)

    def loop() -> list[pd.DataFrame]:
        return [fit_its(group, **arguments).coefficients
                for _, group in data[data["series"] < sample].groupby("series", sort=False)]

    tables, loop_wall, loop_cpu = timed(loop, 1)
    scale = n_series / sample
    loop_wall, loop_cpu = loop_wall * scale, loop_cpu * scale
    columns = ["estimate", "std_err", "ci_low", "ci_high", "p_value", "df"]
    mine = many[many["series"] < sample][columns].to_numpy(float)
    theirs = pd.concat(tables)[columns].to_numpy(float)
    worst = float(np.max(np.abs(mine - theirs) / np.maximum(np.abs(theirs), 1e-300)))
    ok = batched and worst < 1e-8
    print(f"\n{n_series:,} monthly series of {N_MONTHS} points, errors='ar' (REML AR(1), "
          "Kenward-Roger)")
    print(f"  {'':26s}{'wall s':>10s}{'CPU s':>10s}{'cores':>7s}")
    note = f"estimated: {sample:,} series timed, x{scale:g}" if scale > 1 else ""
    for name, wall, cpu, extra in (("fit_its_many (batched)", many_wall, many_cpu, ""),
                                   ("loop of fit_its", loop_wall, loop_cpu, note)):
        print(f"  {name:26s}{wall:10.3f}{cpu:10.3f}{cpu / wall:7.2f}  {extra}")
    print(f"  fit_its_many vs loop: {loop_wall / many_wall:,.0f}x faster (wall), "
          f"{loop_cpu / many_cpu:,.0f}x (CPU)")
    print(f"  largest relative difference vs fit_its (estimate, std_err, ci, p, df): {worst:.1e} "
          f"({'agree' if ok else 'DISAGREE'} to 1e-8; all batched: {batched})")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--loop-sample", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ar-series", type=int, nargs="*", default=[1000])
    parser.add_argument("--ar-loop-sample", type=int, default=200)
    options = parser.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"fit_its_many benchmark: {cores} CPUs available, load average "
          f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}; numpy {np.__version__}, "
          f"pandas {pd.__version__}; BLAS threads "
          f"{os.environ.get('OPENBLAS_NUM_THREADS', 'default')}")
    ok = all([run(n, options.loop_sample, options.repeats) for n in options.series]
             + [run_ar(n, options.ar_loop_sample, options.repeats) for n in options.ar_series])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
