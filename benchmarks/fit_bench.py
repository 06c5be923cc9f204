"""Benchmark: time per `fit_its` call by error model, against a baseline measured in the same run.

The series is the 96-month test series of tests/test_its_fit.py (`synthetic_ar`: level change
at month 48, AR(0.5) errors). The baseline is the bare least-squares fit that every error model
starts from, `statsmodels.api.OLS(y, X).fit()` on the same 96 x 4 design matrix, so the ratios
say what slp-eval's checks, design building, tidy tables and error model cost on top of it,
whatever the machine. Wall and CPU time are both printed with the number of cores: a CPU time
well above the wall time means a threaded BLAS; a wall time well above the CPU time means the
machine was busy. Nothing is asserted: timings depend on the machine (this replaced a 50 ms
assertion in the tests, which failed on shared cores).

Usage: python benchmarks/fit_bench.py [--repeats 50]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import statsmodels.api as sm

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_its_fit import synthetic_ar  # the tests' series: one definition

from slp_eval.its import fit_its

BASELINE = "statsmodels OLS(y, X).fit()"
MODELS = {"ols": {"errors": "ols"}, "newey-west lag 3": {"errors": "newey-west", "maxlags": 3},
          "ar (REML AR(1))": {"errors": "ar"}, "arima (ML AR(1))": {"errors": "arima"}}


def timed(call: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Mean wall and CPU seconds per call over `repeats` calls after one warm-up."""
    call()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeats):
        call()
    return (time.perf_counter() - wall) / repeats, (time.process_time() - cpu) / repeats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    repeats = parser.parse_args().repeats
    data = synthetic_ar()
    design = fit_its(data, outcome="y", time="month", interruptions="2019-01", errors="ols").design
    y = data["y"].to_numpy()
    base_wall, base_cpu = timed(lambda: sm.OLS(y, design.to_numpy()).fit(), repeats)
    print(f"{len(data)}-point series, {repeats} repeats, {os.cpu_count()} cores; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'fit':<40}{'wall ms':>9}{'CPU ms':>9}{'x baseline (wall)':>19}{'x baseline (CPU)':>18}")
    print(f"{'baseline: ' + BASELINE:<40}{1e3 * base_wall:9.2f}{1e3 * base_cpu:9.2f}{1:19.1f}{1:18.1f}")
    for name, options in MODELS.items():
        wall, cpu = timed(lambda options=options: fit_its(
            data, outcome="y", time="month", interruptions="2019-01", **options), repeats)
        print(f"{'fit_its ' + name:<40}{1e3 * wall:9.2f}{1e3 * cpu:9.2f}"
              f"{wall / base_wall:19.1f}{cpu / base_cpu:18.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
