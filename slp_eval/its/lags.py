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

#: Default bound on the lags searched when `maxlags=None`.
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


def choose_lag(resid: np.ndarray, exog: np.ndarray, units: np.ndarray | None, bound: int,
               alpha: float = 0.05) -> LagChoice:
    """The Newey-West lag by sequential Breusch-Godfrey testing up to `bound`.

    For j = 1, 2, ... the auxiliary Breusch-Godfrey regression with residual lags 1..j is fitted
    and the lag-j coefficient tested (t test: autocorrelation at lag j given the lags below it,
    the question Stata's `actest` answers lag by lag and that Linden (2015) uses to pick
    `itsa`'s lag). The lag is the last j of the unbroken run of significant lags from 1 at level
    `alpha` (0 when lag 1 is not significant); testing stops at the first non-significant lag,
    so a stray significant lag far out does not set the bandwidth. Every lag up to `bound` is
    tested and reported.
    """
    rows = []
    for lag in range(1, bound + 1):
        aux = _auxiliary(resid, exog, lag, units)
        rows.append({"lag": lag, "statistic": float(aux.tvalues[-1]),
                     "p_value": float(aux.pvalues[-1])})
    tests = pd.DataFrame(rows, columns=["lag", "statistic", "p_value"])
    not_significant = tests.loc[tests["p_value"] >= alpha, "lag"]
    chosen = int(not_significant.min()) - 1 if len(not_significant) else bound
    method = (f"last lag of the unbroken run of significant lags (sequential lag-specific "
              f"Breusch-Godfrey tests at the {alpha:g} level, lags 1-{bound})")
    return LagChoice(chosen, method, tests)
