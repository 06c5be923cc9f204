"""fit_its_spark on a local[2] Spark session: the numbers of in-process fit_its_many."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from slp_eval.errors import ParameterError
from slp_eval.its import fit_its_many
from slp_eval.spark import SPARK_REASON, fit_its_spark

pytestmark = pytest.mark.spark


def grid() -> pd.DataFrame:
    rng = np.random.default_rng(12)
    months = pd.period_range("2018-01", periods=48, freq="M").astype(str)
    frames = []
    for trust in ["RPG", "RV5", "RQY"]:
        for outcome in ["admissions", "placements"]:
            t = np.arange(48)
            y = 100 + 0.5 * t - 6 * (t >= 24) + rng.normal(0, 3, 48)
            frames.append(pd.DataFrame({"trust": trust, "measure": outcome, "month": months,
                                        "y": y}))
    frames.append(pd.DataFrame({"trust": "RXX", "measure": "admissions", "month": months,
                                "y": 4.0}))  # constant: failed
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("arguments", [
    dict(errors="newey-west", maxlags=1),
    dict(errors="ols", seasonality="month"),
])
def test_same_numbers_and_columns_as_fit_its_many(spark, arguments):
    data = grid()
    arguments = dict(outcome="y", time="month", interruptions="2020-01", **arguments)
    expected = fit_its_many(data, by=["trust", "measure"], **arguments)
    # Shuffle the rows: Spark has no row order, each task sorts its group by time.
    sdf = spark.createDataFrame(data.sample(frac=1.0, random_state=3))
    result = fit_its_spark(sdf, by=["trust", "measure"], **arguments)
    assert result.columns == list(expected.columns)
    got = result.toPandas()
    key = ["trust", "measure", "term"]
    got = got.sort_values(key, na_position="last").reset_index(drop=True)
    want = expected.sort_values(key, na_position="last").reset_index(drop=True)
    pd.testing.assert_frame_equal(got[key].fillna("-"), want[key].fillna("-"), check_dtype=False)
    numbers = [c for c in expected.columns if c not in (*key, "status", "reason")]
    np.testing.assert_allclose(got[numbers].to_numpy(float), want[numbers].to_numpy(float),
                               rtol=1e-10, atol=0)
    failed = got["status"] == "failed"
    assert got.loc[failed, "trust"].tolist() == ["RXX"]
    assert got.loc[failed, "reason"].tolist() == want.loc[want["status"] == "failed", "reason"].tolist()
    assert (got.loc[~failed, "status"] == "fitted (per group)").all()
    assert (got.loc[~failed, "reason"] == SPARK_REASON).all()


def test_missing_column_is_an_error_before_any_task(spark):
    sdf = spark.createDataFrame(grid().drop(columns="measure"))
    jobs = spark.sparkContext.statusTracker().getJobIdsForGroup()
    with pytest.raises(ParameterError, match=r"by names 'measure', not a column of data"):
        fit_its_spark(sdf, by=["trust", "measure"], outcome="y", time="month",
                      interruptions="2020-01", errors="ols")
    with pytest.raises(ParameterError, match=r"outcome='rate' is not a column of the Spark DataFrame"):
        fit_its_spark(sdf, by="trust", outcome="rate", time="month", interruptions="2020-01",
                      errors="ols")
    assert spark.sparkContext.statusTracker().getJobIdsForGroup() == jobs
