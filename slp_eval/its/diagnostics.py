"""Residual diagnostics of a fitted ITS model (statsmodels tests).

Durbin-Watson (`statsmodels.stats.stattools.durbin_watson`), Breusch-Godfrey up to a lag (within
unit for comparison series, see `lags.py`), Ljung-Box (`acorr_ljungbox`), the residual ACF
(`statsmodels.tsa.stattools.acf`) and, for count and proportion families, the overdispersion ratio
Pearson chi2 / (n - k). Residuals are the model's own: OLS residuals, whitened GLS residuals for
errors="ar", one-step innovations for "arima", Pearson residuals for GLMs. Serial tests use the
treated (single) series.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.stats.stattools import durbin_watson
from statsmodels.tsa.stattools import acf

from slp_eval.its.lags import breusch_godfrey
from slp_eval.its.numbers import p_text
from slp_eval.its.serialize import plain

if TYPE_CHECKING:  # matplotlib is imported when a figure is drawn, not with the statistics
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class ITSDiagnostics:
    """Diagnostic tests (`tests`), residual ACF (`acf`) and overdispersion of an ITS fit."""

    tests: pd.DataFrame  # test, lag, statistic, p_value
    acf: pd.DataFrame  # lag, acf, ci_low, ci_high (band under white noise)
    overdispersion: float | None
    nlags: int
    alpha: float

    def to_frame(self) -> pd.DataFrame:
        """The tests as a tidy frame."""
        return self.tests.copy()

    def summary(self) -> str:
        """One paragraph on residual autocorrelation and dispersion."""
        parts = []
        for _, row in self.tests.iterrows():
            if row["test"] == "durbin_watson":
                parts.append(f"Durbin-Watson statistic {row['statistic']:.2f} (2 means no "
                             "first-order autocorrelation)")
            else:
                name = row["test"].replace("_", "-").title()
                parts.append(f"{name} test up to lag {int(row['lag'])}: statistic "
                             f"{row['statistic']:.2f}, {p_text(row['p_value'])}")
        outside = self.acf.loc[(self.acf["lag"] > 0) & ((self.acf["acf"] < self.acf["ci_low"])
                                                        | (self.acf["acf"] > self.acf["ci_high"])),
                               "lag"].tolist()
        text = "Residual diagnostics: " + "; ".join(parts) + ". "
        text += ("No residual autocorrelation lies outside the white-noise band."
                 if not outside else
                 f"Residual autocorrelation lies outside the white-noise band at lag(s) "
                 f"{', '.join(map(str, outside))}.")
        if self.overdispersion is not None:
            text += (f" Overdispersion ratio (Pearson chi-square / df) {self.overdispersion:.2f}"
                     f"{' (above 1: overdispersed)' if self.overdispersion > 1.5 else ''}.")
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return plain({"tests": self.tests.to_dict(orient="records"),
                      "acf": self.acf.to_dict(orient="records"),
                      "overdispersion": self.overdispersion, "nlags": self.nlags})

    def plot(self) -> Figure:
        """Residual ACF with the white-noise band."""
        from slp_eval.plots.its import plot_acf

        return plot_acf(self)


def run_diagnostics(resid: np.ndarray, exog: np.ndarray, units: np.ndarray | None,
                    treated: np.ndarray, nlags: int, n_params: int, count_family: bool,
                    alpha: float) -> ITSDiagnostics:
    """Diagnostics of model residuals (see module docstring)."""
    series = resid[treated]
    lm, lm_p = breusch_godfrey(resid, exog, nlags, units)
    ljung = acorr_ljungbox(series, lags=[nlags], return_df=True)
    tests = pd.DataFrame([
        {"test": "durbin_watson", "lag": 1, "statistic": float(durbin_watson(series)),
         "p_value": np.nan},
        {"test": "breusch_godfrey", "lag": nlags, "statistic": lm, "p_value": lm_p},
        {"test": "ljung_box", "lag": nlags, "statistic": float(ljung["lb_stat"].iloc[0]),
         "p_value": float(ljung["lb_pvalue"].iloc[0])},
    ])
    values = acf(series, nlags=nlags, fft=False)
    half = stats.norm.ppf(1 - alpha / 2) / np.sqrt(len(series))
    acf_frame = pd.DataFrame({"lag": np.arange(nlags + 1), "acf": values,
                              "ci_low": -half, "ci_high": half})
    over = (float(np.sum(resid**2) / (len(resid) - n_params)) if count_family else None)
    return ITSDiagnostics(tests, acf_frame, over, nlags, alpha)
