"""Benchmark: one single-series ITS in slp-eval against the same in CausalPy (issue 13).

What a user would otherwise pick for one interrupted series is CausalPy (PyMC Labs). This fits
the 96-month test series of tests/test_its_fit.py (`synthetic_ar`: level change 2 and trend
change 0.05 at month 48, AR(0.5) errors) with

- slp-eval: `fit_its(data, outcome="y", time="month", interruptions="2019-01")` with its default
  errors (REML AR(1), Kenward-Roger df) and with errors="ols" (like for like with CausalPy's
  independent normal errors);
- CausalPy `InterruptedTimeSeries(data, treatment_time=48, formula="y ~ 1 + t")`: its default
  Bayesian `LinearRegression` (beta ~ Normal(0, 50), sigma ~ HalfNormal(1), PyMC NUTS) fitted
  to the 48 pre-period months only, projecting the counterfactual into the post period;
- CausalPy `PiecewiseITS(data, formula="y ~ 1 + t + step(t, 48) + ramp(t, 48)")`: the same
  segmented model as `fit_its` (ramp(t, 48) = (t - 48) D(t) is slp-eval's centred
  `trend_change`), fitted to all 96 months with the same PyMC model.

Compared quantities (like with like):

- the cumulative effect over the 48 post-period months: slp-eval `cumulative_effect()` (fitted
  minus counterfactual summed, delta-method t interval); CausalPy `post_impact_cumulative` (ITS:
  observed minus the posterior counterfactual mean `mu`) or `cumulative_effect` (PiecewiseITS) at
  the last month, posterior mean and equal-tailed 95% interval of the draws. Under least squares
  the ITS and segmented estimates are the same number (the post segment has its own level and
  slope, so its residuals sum to zero), but the ITS interval holds the observed post-period
  values fixed and carries only the counterfactual's uncertainty;
- the level and trend change (slp-eval and PiecewiseITS only: CausalPy's ITS has no such terms).

"Agree" means the two 95% intervals overlap; the width ratio is CausalPy's interval width over
slp-eval's. CausalPy runs in its own virtual environment (benchmarks/.venv-peers, from
benchmarks/requirements-peers.txt; `make bench-peers` builds it), called as a subprocess of this
script, which passes the series as JSON. Its times are measured inside that process around each
experiment constructor (model building, PyTensor compilation, NUTS sampling, prior and posterior
predictive draws, the counterfactual); CPU time includes the sampler's chain processes. Each
CausalPy experiment runs `--peer-repeats` times (the first may compile C code into PyTensor's
cache); the ratio uses the last run. slp-eval's time per fit is the median of `--repeats` calls
after one warm-up. The import of CausalPy (about as long as a fit) is reported, not counted.

Sampler settings (documented, modest so it finishes in minutes on 2 cores): draws 1000, tune 1000,
chains 2, cores 2, random_seed 42, NUTS (PyMC's default), no progress bar.

Usage: python benchmarks/causalpy_bench.py [--peer-python benchmarks/.venv-peers/bin/python]
       [--repeats 20] [--peer-repeats 2] [--draws 1000] [--tune 1000] [--chains 2]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PEER_PYTHON = ROOT / "benchmarks" / ".venv-peers" / "bin" / "python"
BREAK = 48  # t of the first post-interruption month (2019-01)
LEVEL, TREND = "level_change[2019-01]", "trend_change[2019-01]"
SEED = 42


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (PyMC's chain processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _interval(draws: Any) -> list[float]:
    """Posterior mean and equal-tailed 95% interval of a 1-d array of draws."""
    import numpy as np

    values = np.asarray(draws, dtype=float).ravel()
    low, high = np.quantile(values, [0.025, 0.975])
    return [float(values.mean()), float(low), float(high)]


def peer_worker(request_path: str, answer_path: str) -> None:
    """Runs in the peer venv: fit both CausalPy experiments, write times and intervals as JSON."""
    request = json.loads(Path(request_path).read_text())
    logging.getLogger("pymc").setLevel(logging.ERROR)  # the sampler's progress notes
    warnings.simplefilter("ignore")  # e.g. "run at least 4 chains"; divergences are counted
    wall, cpu = time.perf_counter(), _cpu()
    import arviz
    import causalpy as cp
    import numpy as np
    import pandas as pd
    import pymc

    import_wall, import_cpu = time.perf_counter() - wall, _cpu() - cpu
    data = pd.DataFrame({"t": np.asarray(request["t"], dtype=float), "y": request["y"]})
    sample = {"draws": request["draws"], "tune": request["tune"], "chains": request["chains"],
              "cores": request["chains"], "random_seed": SEED, "progressbar": False}
    experiments: dict[str, Callable[[], Any]] = {
        "its": lambda: cp.InterruptedTimeSeries(
            data.copy(), BREAK, formula="y ~ 1 + t",
            model=cp.pymc_models.LinearRegression(sample_kwargs=sample)),
        "piecewise": lambda: cp.PiecewiseITS(
            data.copy(), formula=f"y ~ 1 + t + step(t, {BREAK}) + ramp(t, {BREAK})",
            model=cp.pymc_models.LinearRegression(sample_kwargs=sample)),
    }
    answer: dict[str, Any] = {"versions": {"causalpy": cp.__version__, "pymc": pymc.__version__},
                              "import": [import_wall, import_cpu], "cores": os.cpu_count()}
    for name, build in experiments.items():
        runs = []
        for _ in range(request["repeats"]):
            wall, cpu = time.perf_counter(), _cpu()
            result = build()
            runs.append([time.perf_counter() - wall, _cpu() - cpu])
        posterior = result.idata.posterior
        divergent = int(result.idata.sample_stats["diverging"].sum())
        rhat = float(arviz.rhat(result.idata, var_names=["beta"])["beta"].max())
        entry: dict[str, Any] = {"runs": runs, "divergences": divergent, "rhat": rhat}
        if name == "its":
            entry["cumulative"] = _interval(result.post_impact_cumulative.isel(obs_ind=-1))
        else:
            entry["cumulative"] = _interval(result.cumulative_effect.isel(obs_ind=-1))
            beta = posterior["beta"].isel(treated_units=0)
            entry["level"] = _interval(beta.sel(coeffs=f"step(t, {BREAK})"))
            entry["trend"] = _interval(beta.sel(coeffs=f"ramp(t, {BREAK})"))
        answer[name] = entry
    Path(answer_path).write_text(json.dumps(answer))


def run_peer(peer_python: Path, t: list[int], y: list[float], options: argparse.Namespace
             ) -> dict[str, Any]:
    """The CausalPy fits in the peer venv's interpreter; their answer as a dict."""
    if not peer_python.exists():
        raise SystemExit(f"{peer_python} not found: build the peer venv with `make bench-peers`")
    with tempfile.TemporaryDirectory() as folder:
        request, answer = Path(folder, "request.json"), Path(folder, "answer.json")
        request.write_text(json.dumps({"t": t, "y": y, "draws": options.draws, "tune": options.tune,
                                       "chains": options.chains, "repeats": options.peer_repeats}))
        done = subprocess.run([str(peer_python), __file__, "--worker", str(request), str(answer)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"the CausalPy worker failed:\n{done.stderr}")
        return json.loads(answer.read_text())


def slp_timed(call: Callable[[], Any], repeats: int) -> tuple[Any, float, float]:
    """Result and median wall and CPU seconds per call over `repeats` calls after a warm-up."""
    result = call()
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return result, statistics.median(walls), statistics.median(cpus)


def row(name: str, slp: list[float], peer: list[float]) -> str:
    """One comparison line: both intervals, overlap and CausalPy's width over slp-eval's."""
    overlap = peer[1] <= slp[2] and slp[1] <= peer[2]
    width = (peer[2] - peer[1]) / (slp[2] - slp[1])
    return (f"  {name:44s}{slp[0]:9.3f} [{slp[1]:8.3f}, {slp[2]:8.3f}]"
            f"{peer[0]:9.3f} [{peer[1]:8.3f}, {peer[2]:8.3f}]  {'yes' if overlap else 'NO':>5s}"
            f"{width:7.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-python", type=Path, default=PEER_PYTHON)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--peer-repeats", type=int, default=2)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        peer_worker(*options.worker)
        return 0

    sys.path.insert(0, str(ROOT / "tests"))
    from test_its_fit import synthetic_ar  # the tests' series: one definition

    from slp_eval.its import fit_its

    data = synthetic_ar()
    y = data["y"].to_numpy()
    base = {"outcome": "y", "time": "month", "interruptions": "2019-01"}
    slp: dict[str, dict[str, list[float]]] = {}
    slp_times: dict[str, tuple[float, float]] = {}
    for name, extra in (("ar", {}), ("ols", {"errors": "ols"})):
        result, wall, cpu = slp_timed(lambda extra=extra: fit_its(data, **base, **extra),
                                      options.repeats)
        table = result.coefficients
        cumulative = result.cumulative_effect().set_index("term").loc["absolute_effect"]
        slp[name] = {
            "cumulative": [float(cumulative[c]) for c in ("estimate", "ci_low", "ci_high")],
            "level": [float(table.loc[LEVEL, c]) for c in ("estimate", "ci_low", "ci_high")],
            "trend": [float(table.loc[TREND, c]) for c in ("estimate", "ci_low", "ci_high")]}
        slp_times[name] = (wall, cpu)
    peer = run_peer(options.peer_python, list(range(len(y))), y.tolist(), options)

    print(f"slp-eval vs CausalPy {peer['versions']['causalpy']} (PyMC {peer['versions']['pymc']}) "
          f"on one {len(y)}-month series, interruption at month {BREAK}; "
          f"{os.cpu_count()} CPUs, load average "
          f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(f"  NUTS: draws {options.draws}, tune {options.tune}, chains {options.chains} "
          f"(cores {options.chains}), random_seed {SEED}; CausalPy import "
          f"{peer['import'][0]:.1f} s wall / {peer['import'][1]:.1f} s CPU (not counted)")
    print(f"\n  {'fit':44s}{'wall s':>9s}{'CPU s':>9s}{'cores':>7s}")
    for name, label in (("ar", "slp-eval fit_its, errors='ar' (REML, KR)"),
                        ("ols", "slp-eval fit_its, errors='ols'")):
        wall, cpu = slp_times[name]
        print(f"  {label:44s}{wall:9.4f}{cpu:9.4f}{cpu / wall:7.2f}  "
              f"(median of {options.repeats})")
    for name, label in (("its", "CausalPy InterruptedTimeSeries"),
                        ("piecewise", "CausalPy PiecewiseITS")):
        for i, (wall, cpu) in enumerate(peer[name]["runs"], 1):
            print(f"  {label + f' run {i}':44s}{wall:9.2f}{cpu:9.2f}{cpu / wall:7.2f}")
    print()
    last = {name: peer[name]["runs"][-1] for name in ("its", "piecewise")}
    for name, label in (("its", "InterruptedTimeSeries"), ("piecewise", "PiecewiseITS")):
        for ref in ("ar", "ols"):
            print(f"  CausalPy {label} / fit_its errors={ref!r}: "
                  f"{last[name][0] / slp_times[ref][0]:,.0f}x (wall), "
                  f"{last[name][1] / slp_times[ref][1]:,.0f}x (CPU)")
    print(f"\n  {'quantity (slp-eval vs CausalPy)':44s}{'slp-eval estimate [95% CI]':>30s}"
          f"{'CausalPy mean [95% interval]':>30s}{'agree':>7s}{'width':>7s}")
    for ref, ref_label in (("ar", "fit_its ar"), ("ols", "fit_its ols")):
        print(row(f"cumulative effect: {ref_label} vs ITS", slp[ref]["cumulative"],
                  peer["its"]["cumulative"]))
        print(row(f"cumulative effect: {ref_label} vs Piecewise", slp[ref]["cumulative"],
                  peer["piecewise"]["cumulative"]))
        print(row(f"level change: {ref_label} vs Piecewise", slp[ref]["level"],
                  peer["piecewise"]["level"]))
        print(row(f"trend change: {ref_label} vs Piecewise", slp[ref]["trend"],
                  peer["piecewise"]["trend"]))
    print(f"\n  convergence: divergent transitions ITS {peer['its']['divergences']}, "
          f"PiecewiseITS {peer['piecewise']['divergences']}; largest R-hat of beta ITS "
          f"{peer['its']['rhat']:.3f}, PiecewiseITS {peer['piecewise']['rhat']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
