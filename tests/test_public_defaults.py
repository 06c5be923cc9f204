"""Every public function of the ITS, pre/post and SPC families runs with only its required
arguments on a small synthetic frame: its own defaults are a valid call (issue 23)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import slp_eval.its as its
import slp_eval.prepost as prepost
import slp_eval.spc as spc

N = 36
T = np.arange(N)
WOBBLE = ((T * 37) % 11 - 5) / 5 + 0.5 * np.sin(2.1 * T)
PERIODS = pd.period_range("2016-01", periods=N, freq="M").astype(str)
SERIES = pd.DataFrame({"period": PERIODS, "percent": 40 + 0.1 * T + 5.0 * (T >= 18) + WOBBLE,
                       "numerator": (40 + 2 * WOBBLE + 5 * (T >= 18)).round().astype(int),
                       "denominator": 100})
UNITS = pd.concat([SERIES.assign(unit=u, percent=SERIES["percent"] + i)
                   for i, u in enumerate(["A", "B", "C"])], ignore_index=True)
MONTHLY = UNITS.assign(measure="m", measure_type="share", value=UNITS["percent"], exposure=np.nan)
ITS = {"outcome": "percent", "time": "period", "interruptions": "2017-07"}


def _many() -> pd.DataFrame:
    return its.fit_its_many(UNITS, by="unit", **ITS)


def _chart() -> Any:
    return spc.spc(SERIES, value="percent", time="period", improvement_direction="increase")


#: function name -> a call with only the required arguments.
CALLS: dict[str, Callable[[], Any]] = {
    "its.fit_its": lambda: its.fit_its(SERIES, **ITS),
    "its.placebo_test": lambda: its.placebo_test(SERIES, **ITS),
    "its.break_date_sensitivity": lambda: its.break_date_sensitivity(SERIES, **ITS),
    "its.fit_its_many": _many,
    "its.pool_its": lambda: its.pool_its(_many()),
    "prepost.adjust_pvalues": lambda: prepost.adjust_pvalues([0.01, 0.04, 0.2]),
    "prepost.compare_means": lambda: prepost.compare_means(SERIES["percent"][:18],
                                                           SERIES["percent"][18:]),
    "prepost.compare_means_summary": lambda: prepost.compare_means_summary(10, 2, 20, 12, 2, 20),
    "prepost.compare_paired_proportions": lambda: prepost.compare_paired_proportions(
        [[20, 5], [12, 30]]),
    "prepost.compare_periods": lambda: prepost.compare_periods(
        MONTHLY, measure="m", unit="A", before=("2016-01", "2016-12"),
        after=("2017-07", "2018-06")),
    "prepost.compare_proportions": lambda: prepost.compare_proportions(30, 100, 45, 100),
    "prepost.compare_rates": lambda: prepost.compare_rates(30, 12.0, 45, 12.0),
    "prepost.exact_poisson_interval": lambda: prepost.exact_poisson_interval(7),
    "prepost.format_p": lambda: prepost.format_p(0.0312),
    "prepost.percent_change": lambda: prepost.percent_change(40.0, 30.0),
    "spc.spc": _chart,
    "spc.run_chart": lambda: spc.run_chart(SERIES, value="percent", time="period"),
    "spc.attribute_chart": lambda: spc.attribute_chart(
        SERIES, chart="c", numerator="numerator", time="period", improvement_direction="increase"),
    "spc.board_summary": lambda: spc.board_summary({"share": _chart()}),
    "spc.funnel": lambda: spc.funnel(UNITS[UNITS["period"] == "2017-01"], numerator="numerator",
                                     denominator="denominator", unit="unit"),
    "spc.runs_analysis": lambda: spc.runs_analysis(SERIES["percent"].to_numpy(),
                                                   np.full(N, SERIES["percent"].median())),
}


def test_every_public_function_has_a_call() -> None:
    public = {f"{m.__name__.split('.')[-1]}.{name}" for m in (its, prepost, spc)
              for name in m.__all__ if inspect.isfunction(getattr(m, name))}
    assert public == set(CALLS)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_public_function_accepts_its_own_defaults(name: str) -> None:
    result = CALLS[name]()
    assert result is not None
