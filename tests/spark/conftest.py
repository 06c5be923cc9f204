"""Spark tests: a local[2] session, run by `make test-spark` (pytest -m spark tests/spark).

They are skipped unless the marker expression asks for them (`-m spark`), so `make test` does
not start a JVM even where pyspark is installed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "spark" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="Spark tests run with make test-spark (pytest -m spark)")
    for item in items:
        if "spark" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    pyspark = pytest.importorskip("pyspark.sql")
    # Python workers must run this interpreter (the venv with slp_eval), not the system one.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (pyspark.SparkSession.builder.master("local[2]").appName("slp-eval-tests")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
