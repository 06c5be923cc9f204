"""Interrupted time series: segmented regression for continuous, count and proportion outcomes.

`fit_its` fits y_t = b0 + b1*t + sum_k [b2k*D_k(t) + b3k*(t - T_k)*D_k(t)] + seasonal +
covariates + e_t (on the link scale) with a choice of family and error structure, and returns an
`ITSResult`; `fit_its_many` fits it to every group of a long frame (batched where the algebra
allows) and `pool_its` pools the units' effects (random effects); `placebo_test` and
`break_date_sensitivity` re-fit it to check the conclusions.
"""

from slp_eval.its.batch import fit_its_many
from slp_eval.its.diagnostics import ITSDiagnostics
from slp_eval.its.fit import fit_its
from slp_eval.its.pooled import PooledResult, pool_its
from slp_eval.its.result import ITSResult
from slp_eval.its.sensitivity import (
    BreakDateResult,
    PlaceboResult,
    break_date_sensitivity,
    placebo_test,
)

__all__ = [
    "BreakDateResult",
    "ITSDiagnostics",
    "ITSResult",
    "PlaceboResult",
    "PooledResult",
    "break_date_sensitivity",
    "fit_its",
    "fit_its_many",
    "placebo_test",
    "pool_its",
]
