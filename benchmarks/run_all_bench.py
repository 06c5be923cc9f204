"""Benchmark: `slp-eval run-all` over the shipped parameter files with 1 and with 2 jobs.

Each setting runs `python -m slp_eval.cli run-all <params> --jobs N --quiet` in a fresh process
into a fresh temporary output folder and reports:

- wall time, and CPU time of the whole process tree (the CLI, its worker processes and every
  notebook kernel: user + system from `resource.getrusage(RUSAGE_CHILDREN)`), and cores used
  (CPU / wall);
- the speed-up over the first setting (the baseline, 1 job, measured in the same run) on wall
  time, and its CPU time relative to the baseline's (above 1: parallel runs cost extra work);
- from the run manifests: the sum of the files' own durations and the longest one, so the best
  possible wall time with N jobs, max(longest, sum / N), can be read beside the measured one;
- the machine's load: the load average before, and where Linux reports CPU pressure
  (/proc/pressure/cpu), the share of the wall time in which some task waited for a core. On a
  machine shared with other work that share is high and the wall times (not the CPU times)
  mostly measure the queue; read the speed-up only from a run where it is low.

It checks that every file succeeded and that each file's results.json is byte-identical across
the settings (exit code 1 otherwise). `--only NAME ...` runs a subset of the files (linked into a
temporary folder beside the parameter folder, so their relative data paths still resolve).

Usage: python benchmarks/run_all_bench.py [--jobs 1 2] [--repeats 1] [--only camhs power_its_monthly]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Measured:
    jobs: int
    wall: float
    cpu: float
    waited: float | None  # share of the wall time in which some task waited for a core
    load: float
    file_seconds: dict[str, float]
    results: dict[str, bytes]

    @property
    def cores(self) -> float:
        return self.cpu / self.wall


def cpu_pressure_us() -> int | None:
    """Microseconds in which some task waited for a core, since boot (Linux PSI), else None."""
    try:
        first = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return None
    return int(first.rsplit("total=", 1)[1])


def run_all(python: str, params: Path, jobs: int) -> Measured:
    with tempfile.TemporaryDirectory(prefix=f"run_all_bench-{jobs}-") as out:
        load = os.getloadavg()[0]
        pressure = cpu_pressure_us()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter()
        done = subprocess.run(
            [python, "-m", "slp_eval.cli", "run-all", str(params), "--jobs", str(jobs), "--out", out,
             "--quiet"],
            capture_output=True, text=True, cwd=ROOT,
        )
        wall = time.perf_counter() - wall
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        waited = None if pressure is None else (cpu_pressure_us() or 0) - pressure
        if done.returncode != 0:
            sys.exit(f"run-all --jobs {jobs} exited {done.returncode}:\n{done.stderr[-3000:]}")
        seconds, results = {}, {}
        for manifest in Path(out).glob("*/*/manifest.json"):
            stem = manifest.parent.parent.name
            seconds[stem] = json.loads(manifest.read_text())["duration_seconds"]
            results[stem] = (manifest.parent / "results.json").read_bytes()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measured(jobs, wall, cpu, None if waited is None else waited / 1e6 / wall, load, seconds, results)


def subset(params: Path, names: list[str], scratch: Path) -> Path:
    """Links to the chosen parameter files in `scratch` (a folder beside `params`)."""
    for name in names:
        source = params / (name if name.endswith(".yaml") else f"{name}.yaml")
        if not source.is_file():
            sys.exit(f"--only: no parameter file {source}")
        (scratch / source.name).symlink_to(source.resolve())
    return scratch


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=Path, default=ROOT / "params", help="parameter folder")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2],
                        help="settings; the first is the baseline")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each setting (median reported)")
    parser.add_argument("--only", nargs="+", default=None, help="parameter file names (a subset)")
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    params = args.params.resolve()
    scratch = Path(tempfile.mkdtemp(prefix=".run_all_bench-", dir=params.parent)) if args.only else None
    try:
        folder = subset(params, args.only, scratch) if scratch else params
        count = len(list(folder.glob("*.yaml")))
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        print(f"run-all benchmark: {count} parameter files from {params}, {cores} CPUs, "
              f"median of {args.repeats} run(s) per setting")
        runs: dict[int, list[Measured]] = {jobs: [] for jobs in args.jobs}
        for _ in range(args.repeats):
            for jobs in args.jobs:
                runs[jobs].append(run_all(args.python, folder, jobs))
    finally:
        if scratch:
            shutil.rmtree(scratch)
    print(f"  {'jobs':>4s}{'wall s':>9s}{'CPU s':>9s}{'cores used':>12s}{'speed-up':>10s}{'CPU x base':>12s}"
          f"{'sum of files s':>16s}{'longest s':>11s}{'best wall s':>13s}{'load':>7s}{'waited':>8s}")
    base: Measured | None = None
    identical = True
    for jobs, measured in runs.items():
        wall = statistics.median(m.wall for m in measured)
        cpu = statistics.median(m.cpu for m in measured)
        last = measured[-1]
        base = base or last
        base_wall = statistics.median(m.wall for m in runs[base.jobs])
        base_cpu = statistics.median(m.cpu for m in runs[base.jobs])
        total, longest = sum(last.file_seconds.values()), max(last.file_seconds.values())
        waited = "-" if last.waited is None else f"{100 * last.waited:.0f}%"
        print(f"  {jobs:>4d}{wall:9.1f}{cpu:9.1f}{cpu / wall:12.2f}{base_wall / wall:9.2f}x"
              f"{cpu / base_cpu:11.2f}x{total:16.1f}{longest:11.1f}{max(longest, total / jobs):13.1f}"
              f"{last.load:7.2f}{waited:>8s}")
        same = [stem for stem in base.results if last.results.get(stem) == base.results[stem]]
        identical &= len(same) == len(base.results) == len(last.results)
    print(f"results.json byte-identical across the settings for every file: {'yes' if identical else 'NO'}")
    print("(speed-up: the baseline's wall time / this one's; best wall: max(longest file, sum / jobs), "
          "the files' own times; waited: share of the wall time in which some task on the machine "
          "waited for a core)")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
