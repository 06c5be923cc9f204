"""`fit_its_spark`: `fit_its_many`'s fits on an Apache Spark DataFrame, one group per task.

A thin engine over the per-group function of `fit_its_many` (`slp_eval.its.batch.fit_group`, which
calls `fit_its`): `sdf.groupBy(by).applyInPandas(...)` hands each group's rows to it as a pandas
frame on an executor, so the statistics have one implementation. Install with
`pip install "slp-eval[spark]"`; pyspark is imported only when the function is called.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from slp_eval.errors import ParameterError
from slp_eval.its.batch import (
    CONTRACT_COLUMNS,
    FAILED,
    by_names,
    fit_arguments,
    fit_group,
    fit_its_many,
)

__all__ = ["SPARK_REASON", "fit_its_spark"]

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkDataFrame

#: `reason` of every fitted group: Spark fits each group on its own.
SPARK_REASON = "fit_its_spark fits each group in its own task"
#: Groups tried on the driver to learn the output columns before giving up on finding one that fits.
TEMPLATE_TRIES = 20


def _check_columns(columns: list[str], arguments: dict[str, Any]) -> None:
    named = {"outcome": arguments["outcome"], "time": arguments["time"],
             "offset": arguments["offset"], "trials": arguments["trials"],
             "group": arguments["group"],
             **{f"covariates[{i}]": c for i, c in enumerate(arguments["covariates"])}}
    for role, column in named.items():
        if column is not None and column not in columns:
            raise ParameterError(f"{role}={column!r} is not a column of the Spark DataFrame "
                                 f"(columns: {', '.join(columns)})")


def fit_its_spark(sdf: SparkDataFrame, *, by: str | Sequence[str], **fit_its_arguments: Any
                  ) -> SparkDataFrame:
    """Fit `fit_its` to every group of `by` of a Spark DataFrame; a Spark DataFrame back.

    Model (each group): as `slp_eval.its.fit_its`. The columns are exactly those of
    `slp_eval.its.fit_its_many` for the same arguments: the `by` columns, `term`, `estimate`,
    `std_err`, `ci_low`, `ci_high`, `p_value`, any further columns of `fit_its`'s coefficient
    table, `status` and `reason`; the numbers equal `fit_its_many`'s (every group is fitted by
    `fit_its`, so `status` is "fitted (per group)" or "failed").

    The schema is declared before any task runs: the columns named by `by` and the arguments
    are checked against `sdf.columns` (ParameterError), then a group is collected to the driver
    and fitted there to learn which extra coefficient columns `fit_its` gives (the first of up to
    `TEMPLATE_TRIES` groups that does not fail). Spark
    DataFrames have no row order, so each task sorts its group by the time column before fitting
    (a duplicate period or a gap is still reported). Mixed frequencies across groups are not
    checked across tasks (each group is read on its own).
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    columns = list(sdf.columns)
    names = by_names(columns, by)
    arguments = fit_arguments(fit_its_arguments)
    _check_columns(columns, arguments)
    time = arguments["time"]

    keys = sdf.select(*names).distinct().limit(TEMPLATE_TRIES).collect()
    if not keys:
        raise ParameterError("the Spark DataFrame has no rows")
    for key in keys:  # a failed group has no extra columns: learn them from one that fits
        condition = None
        for name in names:
            clause = F.col(name) == F.lit(key[name])
            condition = clause if condition is None else condition & clause
        sample = sdf.where(condition).toPandas().sort_values(time, kind="stable")
        template = fit_its_many(sample.reset_index(drop=True), by=names, **arguments)
        if (template["status"] != FAILED).any():
            break
    numeric = [c for c in template.columns if c not in (*names, "term", "status", "reason")]
    output = [*names, *CONTRACT_COLUMNS[:1], *numeric, "status", "reason"]

    fields = [sdf.schema[name] for name in names]
    fields.append(T.StructField("term", T.StringType(), True))
    fields += [T.StructField(c, T.DoubleType(), True) for c in numeric]
    fields += [T.StructField("status", T.StringType(), False),
               T.StructField("reason", T.StringType(), True)]
    schema = T.StructType(fields)

    def fit(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.sort_values(time, kind="stable").reset_index(drop=True)
        table = fit_group(frame, by=names, arguments=arguments, reason=SPARK_REASON)
        table = table.reindex(columns=output)
        table[numeric] = table[numeric].astype(float)
        return table

    return sdf.groupBy(*names).applyInPandas(fit, schema=schema)
