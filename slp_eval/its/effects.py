"""Fitted values, counterfactuals and effects from a fitted design.

The counterfactual of a row is the same row with the programme terms set to zero (for a single
series `level_change[L]`, `trend_change[L]`; with comparison series `group:level_change[L]`,
`group:trend_change[L]`, so the treated unit keeps its own pre-trend plus the changes seen in the
controls). Effects are fitted minus counterfactual on the outcome scale (counts include the
offset; binomial counts include the trials):

- identity link: the effect is linear in the coefficients, so its CI uses the delta method
  (exact here) with t or z as the fit used; the relative effect uses the delta method too; with
  errors="ar" the covariance is the small-sample one (Kenward-Roger by default) and each effect,
  band row and contrast gets its own df (`df` column; NaN for simulation intervals);
- log and logit links: simulation from the sampling distribution of the coefficients,
  beta* ~ N(beta_hat, V), seeded, percentile intervals (King, Tomz & Wittenberg 2000).
Bands of fitted and counterfactual values transform the interval of the linear predictor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from slp_eval.its.small_sample import SmallSample

#: Draws used for simulation intervals (non-linear links).
N_SIMULATIONS = 4000
#: Seed of the simulation, so results are reproducible.
SIMULATION_SEED = 20170101


@dataclass(frozen=True)
class Predictor:
    """Coefficients, covariance and link, and the outcome-scale factors of each row."""

    params: np.ndarray
    cov: np.ndarray
    df_resid: float | None
    link: str
    log_offset: np.ndarray | None  # per row of the design it is applied to
    trials: np.ndarray | None
    small_sample: SmallSample | None = None  # per-contrast df (errors="ar")

    def df(self, weights: np.ndarray) -> np.ndarray:
        """Reference df of each contrast (row of `weights`): its own (Kenward-Roger or
        Satterthwaite) df, else df_resid; inf for z."""
        rows = np.atleast_2d(weights)
        if self.small_sample is not None:
            return self.small_sample.df(rows)
        return np.full(len(rows), np.inf if self.df_resid is None else self.df_resid)

    @staticmethod
    def quantile(alpha: float, df: np.ndarray | float) -> np.ndarray:
        """Critical value of a two-sided (1 - alpha) interval on t(df) (z where df is inf)."""
        return np.where(np.isinf(df), stats.norm.ppf(1 - alpha / 2),
                        stats.t.ppf(1 - alpha / 2, np.where(np.isinf(df), 1.0, df)))

    @staticmethod
    def p_value(stat: float, df: float) -> float:
        """Two-sided p-value of a t(df) (or z) statistic."""
        dist = stats.norm if np.isinf(df) else stats.t(df)
        return float(2 * dist.sf(abs(stat)))

    def contrast(self, weights: np.ndarray, alpha: float) -> dict[str, float]:
        """A linear combination of the coefficients (link scale): estimate, std_err, CI, p, df."""
        estimate = float(weights @ self.params)
        se = float(np.sqrt(weights @ self.cov @ weights))
        df = float(self.df(weights)[0])
        q = float(self.quantile(alpha, df))
        p = self.p_value(estimate / se, df) if se > 0 else np.nan
        return {"estimate": estimate, "std_err": se, "ci_low": estimate - q * se,
                "ci_high": estimate + q * se, "p_value": p, "df": df}

    def mean(self, eta: np.ndarray, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Outcome-scale mean of linear predictors `eta` for `rows`."""
        if self.link == "identity":
            return eta
        if self.link == "log":
            offset = 0.0 if self.log_offset is None else self.log_offset[rows]
            return np.exp(eta + offset)
        trials = 1.0 if self.trials is None else self.trials[rows]
        return special.expit(eta) * trials

    def band(self, x: np.ndarray, alpha: float) -> pd.DataFrame:
        """Mean and its (1 - alpha) interval for each row of `x`."""
        eta = x @ self.params
        se = np.sqrt(np.einsum("ij,jk,ik->i", x, self.cov, x))
        q = self.quantile(alpha, self.df(x))
        return pd.DataFrame({"mean": self.mean(eta), "low": self.mean(eta - q * se),
                             "high": self.mean(eta + q * se)})

    def effect(self, x1: np.ndarray, x0: np.ndarray, rows: np.ndarray,
               alpha: float) -> pd.DataFrame:
        """Absolute and relative effect summed over `rows`: sum mu(x1) - sum mu(x0)."""
        x1, x0 = x1[rows], x0[rows]
        fitted = float(np.sum(self.mean(x1 @ self.params, rows)))
        counterfactual = float(np.sum(self.mean(x0 @ self.params, rows)))
        absolute = fitted - counterfactual
        relative = absolute / counterfactual
        if self.link == "identity":
            g1, g0 = x1.sum(axis=0), x0.sum(axis=0)
            grad_abs = g1 - g0
            grad_rel = grad_abs / counterfactual - absolute * g0 / counterfactual**2
            rows_out = []
            for value, grad in ((absolute, grad_abs), (relative, grad_rel)):
                se = float(np.sqrt(grad @ self.cov @ grad))
                df = float(self.df(grad)[0])
                q = float(self.quantile(alpha, df))
                p = self.p_value(value / se, df) if se > 0 else np.nan
                rows_out.append((value, se, value - q * se, value + q * se, p, df))
            method = "delta"
        else:
            rng = np.random.default_rng(SIMULATION_SEED)
            draws = rng.multivariate_normal(self.params, self.cov, size=N_SIMULATIONS,
                                            method="cholesky")
            sim1 = self.mean(draws @ x1.T, rows).sum(axis=1)
            sim0 = self.mean(draws @ x0.T, rows).sum(axis=1)
            rows_out = []
            for value, sims in ((absolute, sim1 - sim0), (relative, sim1 / sim0 - 1)):
                low, high = np.quantile(sims, [alpha / 2, 1 - alpha / 2])
                p = float(min(1.0, 2 * min(np.mean(sims <= 0), np.mean(sims >= 0))))
                rows_out.append((value, float(np.std(sims, ddof=1)), float(low), float(high), p,
                                 np.nan))
            method = "simulation"
        frame = pd.DataFrame(rows_out, columns=["estimate", "std_err", "ci_low", "ci_high",
                                                "p_value", "df"])
        frame.insert(0, "term", ["absolute_effect", "relative_effect"])
        frame["fitted"] = fitted
        frame["counterfactual"] = counterfactual
        frame["method"] = method
        return frame
