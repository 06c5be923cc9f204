"""Breusch-Godfrey tests and the choice of the Newey-West lag.

The Breusch-Godfrey auxiliary regression (residuals on the design and lagged residuals, pre-sample
lags set to zero) is written here rather than called from
`statsmodels.stats.diagnostic.acorr_breusch_godfrey` because that function lags across the whole
stacked vector: with comparison series the lags must stay within each unit. On a single series the
two agree exactly (tested). The auxiliary fits are statsmodels OLS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.linear_model import OLS

#: Default bound on the lags tested and chosen when `maxlags=None`.
MAX_LAG_BOUND = 12


def lagged_residuals(resid: np.ndarray, nlags: int, units: np.ndarray | None) -> np.ndarray:
    """Columns e_{t-1}..e_{t-nlags}, zero before each unit's first row."""
    resid = np.asarray(resid, dtype=float)
    units = np.zeros(len(resid)) if units is None else np.asarray(units)
    lagged = np.zeros((len(resid), nlags))
    for lag in range(1, nlags + 1):
        same_unit = units[lag:] == units[:-lag]
        lagged[lag:, lag - 1] = np.where(same_unit, resid[:-lag], 0.0)
    return lagged


def _auxiliary(resid: np.ndarray, exog: np.ndarray, nlags: int, units: np.ndarray | None):
    lagged = lagged_residuals(resid, nlags, units)
    return OLS(resid, np.column_stack([exog, lagged])).fit()


def breusch_godfrey(resid: np.ndarray, exog: np.ndarray, nlags: int,
                    units: np.ndarray | None = None) -> tuple[float, float]:
    """Breusch-Godfrey LM statistic n*R^2 and its chi-square(nlags) p-value for lags 1..nlags."""
    aux = _auxiliary(resid, exog, nlags, units)
    lm = float(len(resid) * aux.rsquared)
    return lm, float(stats.chi2.sf(lm, nlags))


@dataclass(frozen=True)
class LagChoice:
    """The Newey-West lag and the tests it was chosen from."""

    maxlags: int
    method: str
    tests: pd.DataFrame  # lag, statistic, p_value (lag-specific test)


def lag_bound(n_per_unit: int) -> int:
    """Largest lag searched: min(12, a quarter of the series length), at least 1."""
    return max(1, min(MAX_LAG_BOUND, n_per_unit // 4))


def newey_west_1994(scores: np.ndarray, units: np.ndarray | None,
                    weights: np.ndarray) -> tuple[float, int]:
    """Newey & West (1994) plug-in bandwidth of the Bartlett kernel, without prewhitening.

    h_t = scores_t . weights (the intercept's score weighted 0), sigma_j its autocovariances
    (within unit) summed over t and divided by n, m = floor(4 (n/100)^(2/9)),
    s0 = sigma_0 + 2 sum_{j=1..m} sigma_j, s1 = 2 sum_{j=1..m} j sigma_j and the bandwidth
    1.1447 ((s1/s0)^2)^(1/3) n^(1/3); the lag is its floor. This is R's
    `sandwich::bwNeweyWest(x, kernel = "Bartlett", prewhite = FALSE)`; statsmodels has no
    automatic HAC bandwidth, hence the code here. Returns (bandwidth, m)."""
    h = np.asarray(scores, float) @ weights
    n = len(h)
    units = np.zeros(n) if units is None else np.asarray(units)
    m = int(np.floor(4 * (n / 100) ** (2 / 9)))
    sigma = np.empty(m + 1)
    for j in range(m + 1):
        same = units[j:] == units[: n - j]
        sigma[j] = float(np.sum((h[j:] * h[: n - j])[same])) / n
    s0 = sigma[0] + 2 * np.sum(sigma[1:])
    s1 = 2 * np.sum(np.arange(1, m + 1) * sigma[1:])
    return float(1.1447 * ((s1 / s0) ** 2) ** (1 / 3) * n ** (1 / 3)), m


def choose_lag(resid: np.ndarray, exog: np.ndarray, units: np.ndarray | None, bound: int,
               scores: np.ndarray, intercept: int | None, alpha: float = 0.05) -> LagChoice:
    """The Newey-West lag: the Newey & West (1994) plug-in rule (`newey_west_1994`), at most
    `bound`; never 0 when the residuals are autocorrelated.

    The lag-specific Breusch-Godfrey tests up to `bound` (the tests `diagnostics()` runs,
    asked lag by lag as Stata's `actest`) are reported with the choice. When the plug-in
    bandwidth is below 1 but the Breusch-Godfrey test of lags 1..`bound` rejects at `alpha`,
    the lag is 1 and the method says why. (The previous rule, the last lag of the unbroken run
    of significant lag-specific tests, chose lag 0 in 93-97% of 24-point series with AR(1)
    errors at rho = 0.2, where its intervals covered less than OLS: issue 9.)
    """
    rows = []
    for lag in range(1, bound + 1):
        aux = _auxiliary(resid, exog, lag, units)
        rows.append({"lag": lag, "statistic": float(aux.tvalues[-1]),
                     "p_value": float(aux.pvalues[-1])})
    tests = pd.DataFrame(rows, columns=["lag", "statistic", "p_value"])
    weights = np.ones(scores.shape[1])
    if intercept is not None and scores.shape[1] > 1:
        weights[intercept] = 0.0
    bandwidth, m = newey_west_1994(scores, units, weights)
    chosen = int(min(np.floor(bandwidth), bound))
    method = (f"Newey-West (1994) plug-in rule (Bartlett kernel, no prewhitening, {m} "
              f"autocovariances): bandwidth {bandwidth:.2f}")
    if np.floor(bandwidth) > bound:
        # s0, the long-run variance, near 0 sends the bandwidth towards n (e.g. 57 of 60)
        method += f", capped at {bound} (a quarter of the series, at most {MAX_LAG_BOUND})"
    _, p_value = breusch_godfrey(resid, exog, bound, units)
    if chosen == 0 and p_value < alpha:
        chosen = 1
        method += (f", raised to lag 1 because the Breusch-Godfrey test of lags 1-{bound} finds "
                   f"residual autocorrelation (p = {p_value:.3g})")
    return LagChoice(chosen, method, tests)
