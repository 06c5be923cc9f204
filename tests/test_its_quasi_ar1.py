"""errors="ar" for count and proportion families: quasi-likelihood with AR(1) Pearson residuals
(slp_eval/its/quasi_ar1.py). Checked as a fixed point of the weighted gaussian REML AR(1) fit,
against the gaussian REML path on the final working data, and by coverage on short series."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from slp_eval.its import fit_its
from slp_eval.its.estimators import FitData, estimate
from slp_eval.its.text import methods_text


def _series(n: int, mean: float, rho: float, sd: float, seed: int,
            trials: int | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    e = np.empty(n)
    e[0] = rng.normal(0, sd / math.sqrt(1 - rho**2))
    for i in range(1, n):
        e[i] = rho * e[i - 1] + rng.normal(0, sd)
    t = np.arange(n)
    if trials is not None:
        p = 1 / (1 + np.exp(-(math.log(mean / (1 - mean)) + e)))
        return pd.DataFrame({"period": t, "outcome": rng.binomial(trials, p), "n": trials})
    return pd.DataFrame({"period": t, "outcome": rng.poisson(mean * np.exp(e))})


def test_counts_fit_is_the_fixed_point_of_the_weighted_reml_ar1() -> None:
    d = _series(36, 40.0, 0.5, 0.15, seed=3)
    result = fit_its(d, outcome="outcome", time="period", interruptions=[18],
                     family="quasipoisson", errors="ar", small_sample="none")
    info = result.model_info()
    assert info["irls_converged"] and info["irls_iterations"] > 1
    beta = result.coefficients["estimate"].to_numpy()
    x = result.design.to_numpy()
    mu = np.exp(x @ beta)
    z = x @ beta + (d["outcome"].to_numpy() - mu) / mu
    root = np.sqrt(mu)
    # the same weighted working data through the gaussian REML AR(1) path of fit_its
    frame = pd.DataFrame(x * root[:, None], columns=result.design.columns)
    frame["z"] = z * root
    refit = estimate(FitData(y=frame["z"], x=frame[list(result.design.columns)],
                             t=np.arange(36), units=None, log_offset=None, trials=None,
                             n_per_unit=36), family="gaussian", errors="ar", maxlags=None,
                     alpha=0.05, small_sample="none")
    np.testing.assert_allclose(refit.table["estimate"], beta, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(refit.table["std_err"], result.coefficients["std_err"],
                               rtol=1e-8)
    assert info["ar_params"][0] == pytest.approx(refit.extra["ar_params"][0], abs=1e-8)
    methods = methods_text(result)
    assert "Zeger 1988" in methods and "iterated to convergence" in methods


@pytest.mark.parametrize(("family", "mean", "trials"), [("quasipoisson", 50.0, None),
                                                        ("binomial", 0.3, 200)])
def test_short_series_coverage_of_counts_ar_is_near_95(family: str, mean: float,
                                                      trials: int | None) -> None:
    """200 series of 24 months with latent AR(1) noise (rho 0.5) on the link scale: the
    level-change interval covers the true 0 in 0.90-0.99 of them (MC SE 1.5 points), where the
    Newey-West default covers visibly less."""
    hits = {"ar": 0, "newey-west": 0}
    for seed in range(200):
        d = _series(24, mean, 0.5, 0.15, seed=1000 + seed, trials=trials)
        for errors in hits:
            row = fit_its(d, outcome="outcome", time="period", interruptions=[12], family=family,
                          errors=errors, trials="n" if trials else None
                          ).coefficients.loc["level_change[12]"]
            hits[errors] += row["ci_low"] <= 0 <= row["ci_high"]
    assert 0.90 <= hits["ar"] / 200 <= 0.99
    assert hits["newey-west"] < hits["ar"]
