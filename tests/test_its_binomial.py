"""Binomial outcomes given as successes out of trials: the quasi-binomial dispersion and
standard errors (issue 9, item 1).

R's `glm(cbind(y, trials - y) ~ ..., family = quasibinomial)` estimates the dispersion as the
Pearson chi-square over n - k, with Pearson residuals (y - n p) / sqrt(n p (1 - p)) on the
count scale. The reference here is that formula written out with numpy from the fitted
probabilities (independent of statsmodels' scale handling); the R comparison itself is in
tests/test_its_peer.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

from slp_eval.its import fit_its


def _series(seed: int = 11, n: int = 60) -> pd.DataFrame:
    """Monthly shares of a cohort with extra-binomial (logit-normal) variation."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    post = (t >= n // 2).astype(float)
    eta = -0.8 + 0.004 * t + 0.4 * post - 0.01 * (t - n // 2) * post
    eta = eta + 0.3 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.25, n)
    trials = rng.integers(150, 400, n)
    return pd.DataFrame({"month": pd.period_range("2015-01", periods=n, freq="M").astype(str),
                         "x": rng.binomial(trials, special.expit(eta)), "trials": trials})


def _pearson_dispersion(result, data: pd.DataFrame) -> float:
    p = special.expit(result.design.to_numpy() @ result.coefficients["estimate"].to_numpy())
    n, x = data["trials"].to_numpy(), data["x"].to_numpy()
    chi2 = np.sum((x - n * p) ** 2 / (n * p * (1 - p)))
    return float(chi2 / (len(data) - result.design.shape[1]))


@pytest.mark.parametrize("errors", ["ols", "newey-west"])
def test_trials_dispersion_is_pearson_chi2_on_the_count_scale(errors: str) -> None:
    data = _series()
    result = fit_its(data, outcome="x", trials="trials", time="month", interruptions="2017-07",
                     family="binomial", errors=errors, maxlags=2 if errors == "newey-west" else None,
                     seasonality={"fourier": 2, "period": 12})
    expected = _pearson_dispersion(result, data)
    assert expected > 1.2  # the series is overdispersed
    assert result.model_info()["dispersion"] == pytest.approx(expected, rel=1e-9)
    assert result.diagnostics().overdispersion == pytest.approx(expected, rel=1e-9)


def test_trials_model_based_se_is_the_quasibinomial_se() -> None:
    """SE = sqrt(dispersion * [(X' W X)^-1]_jj), W = diag(n p (1 - p)), written out here."""
    data = _series()
    result = fit_its(data, outcome="x", trials="trials", time="month", interruptions="2017-07",
                     family="binomial", errors="ols", seasonality={"fourier": 2, "period": 12})
    x = result.design.to_numpy()
    p = special.expit(x @ result.coefficients["estimate"].to_numpy())
    w = data["trials"].to_numpy() * p * (1 - p)
    cov = np.linalg.inv(x.T @ (w[:, None] * x)) * _pearson_dispersion(result, data)
    assert result.coefficients["std_err"].to_numpy() == pytest.approx(np.sqrt(np.diag(cov)),
                                                                      rel=1e-7)
