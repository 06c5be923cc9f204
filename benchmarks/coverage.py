"""Coverage of `fit_its` 95% intervals by error model on short autocorrelated series (issue 9).

Never part of `make test`: the full run takes about an hour of CPU. Two tables:

- ``gaussian``: y_t = 10 + 0.1 t + e_t, e_t AR(1) with rho in {0, 0.2, 0.5, 0.8} and innovation SD 1
  (stationary start), n in {24, 36, 48, 96}, the interruption at the midpoint, true level and trend
  change 0. Each series is fitted with every error model: ``ols``, ``newey-west`` (automatic lag),
  ``ar`` with each ``small_sample`` method `fit_its` accepts (only today's t on n-k when it has no
  such argument) and ``arima``.
- ``counts``: Poisson-lognormal counts, log mu_t = log(50) + e_t with the same AR(1) latent noise
  (innovation SD 0.15), n in {24, 36, 48, 96, 120}, rho in {0.2, 0.5}, fitted as poisson, quasipoisson and
  negbin with each error option those families take (``ols``, ``newey-west``, ``ar``: the
  quasi-likelihood AR(1) of `slp_eval.its.quasi_ar1` with Kenward-Roger).

Every replication simulates one series (`slp_eval.power.simulate_its_series`) from its own child of
``SeedSequence(seed)`` and fits it with every method (common random numbers), so results do not
depend on the number of worker processes. Coverage is the share of intervals containing 0, with the
Monte Carlo SE sqrt(c (1 - c) / R) (Morris, White & Crowther 2019, Stat Med 38:2074). A fit that
raises is counted as failed, reported, and left out of that method's coverage.

    .venv/bin/python benchmarks/coverage.py --reps 2000          # the table in docs/its_validation.md
    .venv/bin/python benchmarks/coverage.py --quick              # 200 replications (make bench)
    PYTHONPATH=/path/to/other/checkout .venv/bin/python benchmarks/coverage.py ...  # another engine
"""

from __future__ import annotations

import argparse
import inspect
import math
import os
import sys
import time
import warnings
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from slp_eval.errors import SlpEvalError
from slp_eval.its import fit_its
from slp_eval.power import simulate_its_series

TERMS = ("level_change", "trend_change")
GAUSSIAN_N = (24, 36, 48, 96)
GAUSSIAN_RHO = (0.0, 0.2, 0.5, 0.8)
COUNT_N = (24, 36, 48, 96, 120)
COUNT_RHO = (0.2, 0.5)
COUNT_FAMILIES = ("poisson", "quasipoisson", "negbin")
#: small_sample methods for errors="ar", in the order shown, when fit_its accepts the argument.
SMALL_SAMPLE = ("kenward-roger", "satterthwaite", "none")
#: Replications per task sent to a worker.
CHUNK = 50


@dataclass(frozen=True)
class Method:
    """One column of a table: a label and the keyword arguments of `fit_its`."""

    label: str
    kwargs: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Cell:
    """One row of a table: the simulated design."""

    table: str
    n: int
    rho: float


def gaussian_methods() -> list[Method]:
    """Every error model; `errors="ar"` once per small_sample method when fit_its has them."""
    methods = [Method("ols", (("errors", "ols"),)),
               Method("newey-west", (("errors", "newey-west"),))]
    if "small_sample" in inspect.signature(fit_its).parameters:
        methods += [Method(f"ar {s}", (("errors", "ar"), ("small_sample", s))) for s in SMALL_SAMPLE]
    else:
        methods.append(Method("ar (t on n-k)", (("errors", "ar"),)))
    methods.append(Method("arima", (("errors", "arima"),)))
    return methods


def count_methods() -> list[Method]:
    """Every family x error option a count series takes."""
    return [Method(f"{family} {errors}", (("family", family), ("errors", errors)))
            for family in COUNT_FAMILIES for errors in ("ols", "newey-west", "ar")]


def simulate(cell: Cell, seed: np.random.SeedSequence) -> pd.DataFrame:
    """One series of the cell's design with true level and trend change 0."""
    half = cell.n // 2
    if cell.table == "gaussian":
        return simulate_its_series(half, cell.n - half, intercept=10.0, trend=0.1, level_change=0.0,
                                   trend_change=0.0, sigma=1.0, rho=cell.rho, seed=seed)
    return simulate_its_series(half, cell.n - half, intercept=math.log(50.0), trend=0.0,
                               level_change=0.0, trend_change=0.0, sigma=0.15, rho=cell.rho,
                               family="poisson", seed=seed)


def fit_one(frame: pd.DataFrame, interruption: int, method: Method) -> list[float]:
    """ci_low, ci_high of each term, then the Newey-West lag and rho_at_bound (NaN if absent)."""
    try:
        result = fit_its(frame, outcome="outcome", time="period", interruptions=[interruption],
                         **dict(method.kwargs))
        table = result.coefficients
        info = result.model_info()
    except (SlpEvalError, np.linalg.LinAlgError, ValueError):
        return [math.nan] * (2 * len(TERMS) + 2)
    values = [float(table.loc[f"{term}[{interruption}]", column])
              for term in TERMS for column in ("ci_low", "ci_high")]
    lag = info.get("maxlags") if dict(method.kwargs)["errors"] == "newey-west" else None
    bound = info.get("rho_at_bound")
    return [*values, math.nan if lag is None else float(lag),
            math.nan if bound is None else float(bool(bound))]


def run_chunk(cell: Cell, methods: Sequence[Method],
              seeds: Sequence[np.random.SeedSequence]) -> tuple[np.ndarray, float]:
    """Results (replication x method x value) for some replications, and the CPU seconds used."""
    start = time.process_time()
    # overflow in negbin's likelihood on some draws: the fit's outcome (or failure) is what counts
    warnings.simplefilter("ignore", RuntimeWarning)
    interruption = cell.n // 2 + 1
    out = np.full((len(seeds), len(methods), 2 * len(TERMS) + 2), np.nan)
    for i, seed in enumerate(seeds):
        frame = simulate(cell, seed)
        for j, method in enumerate(methods):
            out[i, j] = fit_one(frame, interruption, method)
    return out, time.process_time() - start


def summarise(cell: Cell, methods: Sequence[Method], values: np.ndarray) -> list[dict[str, Any]]:
    """One row per method: coverage and MC SE of each term, mean widths, failures, notes."""
    rows = []
    for j, method in enumerate(methods):
        part = values[:, j]
        ok = np.isfinite(part[:, :4]).all(axis=1)
        row: dict[str, Any] = {"table": cell.table, "n": cell.n, "rho": cell.rho,
                               "method": method.label, "reps": len(part), "failed": int((~ok).sum())}
        for k, term in enumerate(TERMS):
            low, high = part[ok, 2 * k], part[ok, 2 * k + 1]
            c = float(np.mean((low <= 0) & (high >= 0))) if ok.any() else math.nan
            row[f"{term}_coverage"] = c
            row[f"{term}_mc_se"] = math.sqrt(c * (1 - c) / ok.sum()) if ok.any() else math.nan
            row[f"{term}_mean_width"] = float(np.mean(high - low)) if ok.any() else math.nan
        lags, bound = part[ok, 4], part[ok, 5]
        row["nw_lag0_share"] = float(np.mean(lags == 0)) if np.isfinite(lags).any() else math.nan
        row["rho_at_bound_share"] = float(np.mean(bound)) if np.isfinite(bound).any() else math.nan
        rows.append(row)
    return rows


def run_table(table: str, reps: int, seed: int, workers: int,
              only: Sequence[str] = ()) -> tuple[pd.DataFrame, float]:
    """Every cell of one table (methods whose label starts with one of `only`, if given);
    returns the summary and the CPU seconds of the workers."""
    methods = gaussian_methods() if table == "gaussian" else count_methods()
    methods = [m for m in methods if not only or m.label.startswith(tuple(only))]
    grid = [(n, rho) for n in GAUSSIAN_N for rho in GAUSSIAN_RHO] if table == "gaussian" else [
        (n, rho) for n in COUNT_N for rho in COUNT_RHO]
    root = np.random.SeedSequence([seed, 0 if table == "gaussian" else 1])
    cells = [Cell(table, n, rho) for n, rho in grid]
    cell_seeds = [child.spawn(reps) for child in root.spawn(len(cells))]
    tasks = [(c, methods, seeds[i:i + CHUNK]) for c, seeds in zip(cells, cell_seeds, strict=True)
             for i in range(0, reps, CHUNK)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(run_chunk, *zip(*tasks, strict=True)))
    cpu = sum(seconds for _, seconds in results)
    rows: list[dict[str, Any]] = []
    for cell in cells:
        blocks = [values for (c, _, _), (values, _) in zip(tasks, results, strict=True) if c == cell]
        rows += summarise(cell, methods, np.concatenate(blocks))
    return pd.DataFrame(rows), cpu


def markdown(frame: pd.DataFrame) -> str:
    """Coverage as level / trend (percent) with the largest MC SE, one row per cell."""
    def show(row: pd.Series) -> str:
        text = f"{100 * row['level_change_coverage']:.1f} / {100 * row['trend_change_coverage']:.1f}"
        return text + (f" ({int(row['failed'])} failed)" if row["failed"] else "")

    wide = frame.assign(cell=frame.apply(show, axis=1)).pivot_table(
        index=["n", "rho"], columns="method", values="cell", aggfunc="first", sort=False)
    wide = wide[list(dict.fromkeys(frame["method"]))]
    mc = 100 * frame[["level_change_mc_se", "trend_change_mc_se"]].to_numpy().max()
    head = "| n | rho | " + " | ".join(wide.columns) + " |"
    lines = [head, "|" + " --- |" * (len(wide.columns) + 2)]
    for (n, rho), row in wide.iterrows():
        lines.append(f"| {n} | {rho:g} | " + " | ".join(row.tolist()) + " |")
    lines.append("")
    lines.append(f"Coverage (%) of 95% intervals, level change / trend change; largest Monte Carlo SE "
                 f"{mc:.2f} points over {int(frame['reps'].max())} replications a cell.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=2000, help="replications a cell (default 2000)")
    parser.add_argument("--quick", action="store_true", help="200 replications a cell")
    parser.add_argument("--tables", nargs="+", choices=("gaussian", "counts"),
                        default=["gaussian", "counts"])
    parser.add_argument("--methods", nargs="*", default=[],
                        help="only methods whose label starts with one of these ('ar' also selects 'arima')")
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=Path("outputs/benchmarks/coverage.md"),
                        help="markdown file written (default outputs/benchmarks/coverage.md)")
    args = parser.parse_args(argv)
    reps = 200 if args.quick else args.reps
    sections = [f"Command: `{' '.join(['python', *sys.argv])}`",
                f"Engine: `{inspect.getsourcefile(fit_its)}`; "
                f"small_sample accepted: {'small_sample' in inspect.signature(fit_its).parameters}"]
    frames = []
    for table in args.tables:
        wall = time.perf_counter()
        frame, cpu = run_table(table, reps, args.seed, args.workers, args.methods)
        wall = time.perf_counter() - wall
        frames.append(frame)
        text = (f"### {table}\n\n{markdown(frame)}\nWall {wall:.0f} s, worker CPU {cpu:.0f} s, "
                f"{args.workers} worker process(es) on {os.cpu_count()} core(s).\n")
        print(text, flush=True)
        sections.append(text)
        # written after each table, so a long run keeps what it has finished
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n\n".join(sections) + "\n")
        pd.concat(frames).to_csv(args.out.with_suffix(".csv"), index=False)
    print(f"written: {args.out} and {args.out.with_suffix('.csv')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
