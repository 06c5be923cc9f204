"""Benchmark: `fit_its_spark` on a local Spark session against in-process `fit_its_many`.

The same G monthly series of 120 points as `its_many_bench.py` (Newey-West, lag 1). Times:

- `fit_its_many(data, by="series", ...)` in this process (batched path);
- `fit_its_spark(sdf, by="series", ...)` on `local[N]` (default 2), from a Spark DataFrame already
  built and cached from the pandas frame, to the fitted rows collected back to the driver
  (`toPandas()`): the schema probe on the first group, one `applyInPandas` task per partition of
  groups, each group fitted by `fit_its` (Spark has no batched path).

Spark's figure includes its Python workers, so it reports wall time only (CPU time of this
process would miss the executors). The two answers are compared (estimates and standard errors
to 1e-8 relative; exit code 1 otherwise). Needs the `spark` extra and Java (`make test-spark`
installs both).

Usage: python benchmarks/spark_bench.py [--series 1000] [--cores 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
from its_many_bench import make_data
from pyspark.sql import SparkSession

from slp_eval.its import fit_its_many
from slp_eval.spark import fit_its_spark

ARGUMENTS = dict(outcome="y", time="month", interruptions="2019-01", errors="newey-west",
                 maxlags=1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--cores", type=int, default=2)
    options = parser.parse_args()
    os.environ["PYSPARK_PYTHON"] = sys.executable
    data, _ = make_data(options.series)

    start = time.perf_counter()
    cpu = time.process_time()
    expected = fit_its_many(data, by="series", **ARGUMENTS)
    many_wall, many_cpu = time.perf_counter() - start, time.process_time() - cpu

    spark = (SparkSession.builder.master(f"local[{options.cores}]").appName("slp-eval-bench")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", str(4 * options.cores))
             .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    sdf = spark.createDataFrame(data).cache()
    sdf.count()
    start = time.perf_counter()
    got = fit_its_spark(sdf, by="series", **ARGUMENTS).toPandas()
    spark_wall = time.perf_counter() - start
    spark.stop()

    key = ["series", "term"]
    got = got.sort_values(key).reset_index(drop=True)
    want = expected.sort_values(key).reset_index(drop=True)
    worst = max(float(np.max(np.abs(got[c] - want[c]) / np.abs(want[c])))
                for c in ("estimate", "std_err"))
    ok = len(got) == len(want) and worst < 1e-8
    print(f"{options.series:,} monthly series of 120 points; load average "
          f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(f"  fit_its_many in-process     wall {many_wall:8.3f} s  CPU {many_cpu:.3f} s")
    print(f"  fit_its_spark local[{options.cores}]      wall {spark_wall:8.3f} s  "
          f"(executors' CPU not counted)")
    print(f"  Spark / in-process (wall): {spark_wall / many_wall:,.0f}x slower; per series "
          f"{1000 * spark_wall / options.series:.2f} ms vs {1000 * many_wall / options.series:.3f} ms")
    print(f"  largest relative difference {worst:.1e} ({'agree' if ok else 'DISAGREE'} to 1e-8)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
