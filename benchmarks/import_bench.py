"""Benchmark: what importing the package costs, in fresh interpreters.

For each import statement it starts `--repeats` fresh Python processes that run only that
statement, and reports the median wall time and the median CPU time of the child (user + system,
from `resource.getrusage(RUSAGE_CHILDREN)`; CPU time is what a busy shared machine disturbs
least), and which heavy modules the import loaded (matplotlib, statsmodels.api, scipy.stats,
statsmodels.tsa.stattools, duckdb, and rfc3987_syntax, whose grammar jsonschema compiles). The
baseline measured in the same run is `import numpy, pandas`, which every import below pays; each
line also shows its cost above that baseline.

`python -X importtime -c "import slp_eval.its"` gives the per-module breakdown behind the figures.

Usage: python benchmarks/import_bench.py [--repeats 7] [--python PATH]
(to compare with an earlier commit, run it there too: the package is installed in editable mode,
so PYTHONPATH does not switch which copy is imported).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

HEAVY = ("matplotlib", "statsmodels.api", "scipy.stats", "statsmodels.tsa.stattools", "duckdb",
         "rfc3987_syntax")
STATEMENTS = (
    "import numpy, pandas",
    "import slp_eval.its",
    "import slp_eval.its, slp_eval.power",
    "from slp_eval.its import fit_its_many",
    "import slp_eval.report",  # what every report kernel imports first
    "import slp_eval.runner",  # what `slp-eval run` imports before it starts the kernel
)


def run(python: str, statement: str) -> tuple[float, float, list[str]]:
    code = (f"{statement}\nimport json, sys\n"
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"import benchmark: {cores} CPUs available, load average {os.getloadavg()[0]:.2f}, "
          f"median of {args.repeats} fresh interpreters")
    print(f"  {'statement':42s}{'wall s':>8s}{'CPU s':>8s}{'CPU over baseline':>19s}  heavy modules")
    base_cpu = None
    for statement in STATEMENTS:
        runs = [run(args.python, statement) for _ in range(args.repeats)]
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        base_cpu = cpu if base_cpu is None else base_cpu
        print(f"  {statement:42s}{wall:8.2f}{cpu:8.2f}{cpu - base_cpu:19.2f}  "
              f"{', '.join(runs[-1][2]) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
