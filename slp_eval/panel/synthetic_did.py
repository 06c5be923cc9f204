"""`fit_synthetic_did` and its result (Arkhangelsky et al. 2021; R synthdid 0.0.9)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from slp_eval.errors import ParameterError
from slp_eval.panel.data import PanelMatrix, prepare_panel
from slp_eval.panel.sdid import (
    SDIDOptions,
    SDIDWeights,
    default_options,
    effect_curve,
    sdid_estimate,
    sdid_se,
)
from slp_eval.tidy import TidyResult, check_alpha

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["SE_METHODS", "SyntheticDiDResult", "fit_synthetic_did"]

#: Standard-error methods of R `vcov.synthdid_estimate` (Algorithms 2-4 of Arkhangelsky et al.).
SE_METHODS = ("placebo", "jackknife", "bootstrap")
_NAMES = {"sdid": "synthetic difference-in-differences", "sc": "synthetic control (synthdid)",
          "did": "difference-in-differences (synthdid)"}


@dataclass(frozen=True, eq=False, repr=False)
class SyntheticDiDResult(TidyResult):
    """An SDiD (or synthdid's SC / DiD) estimate with its weights and standard errors.

    `standard_errors`: one row per method (method, std_err, ci_low, ci_high, replications), NaN where
    a method does not apply (jackknife and bootstrap need 2+ treated units). The headline row uses
    `se_method`; the interval is estimate -/+ z * std_err and p the normal two-sided p (as synthdid).
    """

    panel: PanelMatrix
    method: str
    estimate: float
    weights: SDIDWeights
    options: SDIDOptions
    se_method: str
    standard_errors: pd.DataFrame
    replicates: dict[str, np.ndarray]
    alpha: float
    outcome_label: str | None = None

    @property
    def std_err(self) -> float:
        return float(self.standard_errors.set_index("method").at[self.se_method, "std_err"])

    @property
    def unit_weights(self) -> pd.DataFrame:
        """omega: unit, weight (largest first)."""
        frame = pd.DataFrame({"unit": list(self.panel.donors), "weight": self.weights.omega})
        return frame.sort_values("weight", ascending=False, kind="stable").reset_index(drop=True)

    @property
    def time_weights(self) -> pd.DataFrame:
        """lambda: period, weight (pre-period, in time order)."""
        return pd.DataFrame({"period": self.panel.labels[: self.panel.n_pre], "weight": self.weights.lam})

    def effect_curve(self) -> pd.DataFrame:
        """period and effect for each post period (synthdid_effect_curve); their mean is the estimate."""
        pm = self.panel
        return pd.DataFrame({"period": pm.labels[pm.n_pre:],
                             "effect": effect_curve(pm.Y, pm.n_donors, pm.n_pre, self.weights)})

    def paths(self) -> pd.DataFrame:
        """period, treated (mean of the treated units), synthetic (omega-weighted donors)."""
        pm = self.panel
        return pd.DataFrame({"period": pm.labels, "treated": pm.Y[pm.n_donors:].mean(axis=0),
                             "synthetic": self.weights.omega @ pm.Y[: pm.n_donors]})

    def _rows(self, alpha: float) -> pd.DataFrame:
        z = stats.norm.ppf(1 - alpha / 2)
        se = self.std_err
        p = 2 * stats.norm.sf(abs(self.estimate / se)) if se > 0 else float("nan")
        return pd.DataFrame({"term": ["att"], "estimate": [self.estimate], "std_err": [se],
                             "ci_low": [self.estimate - z * se], "ci_high": [self.estimate + z * se],
                             "p_value": [p], "se_method": [self.se_method]})

    def summary_frame(self) -> pd.DataFrame:
        """term `att`, estimate, std_err, ci_low, ci_high, p_value, se_method."""
        return self._rows(self.alpha)

    def to_frame(self) -> pd.DataFrame:
        return self.summary_frame()

    def _conf_int_at(self, alpha: float) -> pd.DataFrame:
        return self._rows(alpha)

    def _header(self) -> str:
        pm = self.panel
        return (f"SyntheticDiDResult ({_NAMES[self.method]}) for {', '.join(map(str, pm.treated))}: "
                f"{pm.n_donors} donors, {pm.n_pre} periods before {pm.start_label}, {pm.n_post} from it")

    def summary(self) -> str:
        row = self._rows(self.alpha).iloc[0]
        name = self.outcome_label or self.panel.outcome
        return (f"{_NAMES[self.method].capitalize()}: the average effect on {name} from "
                f"{self.panel.start_label} is {self.estimate:.3g} ({100 * (1 - self.alpha):g}% CI "
                f"{row.ci_low:.3g} to {row.ci_high:.3g}, {self.se_method} standard error "
                f"{self.std_err:.3g}).")

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "estimate": self.estimate, "se_method": self.se_method,
                "standard_errors": self.standard_errors.to_dict(orient="records"),
                "unit_weights": self.unit_weights.to_dict(orient="records"),
                "time_weights": self.time_weights.to_dict(orient="records"),
                "zeta_omega": self.options.zeta_omega, "zeta_lambda": self.options.zeta_lambda}

    def plot(self, **kwargs: Any) -> Figure:
        """The treated mean and the omega-weighted donors with the lambda weights (synthdid_plot)."""
        from slp_eval.plots.panel import plot_synthetic_did

        return plot_synthetic_did(self, **kwargs)


def fit_synthetic_did(
    panel: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    treated: Hashable | Sequence[Hashable],
    start: Any,
    donors: Sequence[Hashable] | None = None,
    exclude: Mapping[Hashable, str] | None = None,
    method: str = "sdid",
    se: str | Sequence[str] = SE_METHODS,
    se_method: str | None = None,
    replications: int = 200,
    seed: int = 0,
    alpha: float = 0.05,
    outcome_label: str | None = None,
) -> SyntheticDiDResult:
    """Synthetic difference-in-differences (Arkhangelsky et al. 2021, Algorithm 1):

        (tau, mu, alpha, beta) = argmin sum_it (Y_it - mu - alpha_i - beta_t - W_it tau)^2 omega_i lambda_t

    with synthdid's unit weights omega and time weights lambda (see `slp_eval.panel.sdid`).
    `method` "sc" and "did" give synthdid's `sc_estimate` and `did_estimate`. Standard errors by
    each method in `se` (placebo: `replications` placebo draws, all of them when there are no
    more; jackknife; bootstrap: `replications` resamples; `seed` for the draws); the headline uses
    `se_method` (default: the first in `se` that applies). Several treated units are averaged.
    """
    alpha = check_alpha(alpha, "fit_synthetic_did")
    if method not in _NAMES:
        raise ParameterError(f"method={method!r}: expected 'sdid', 'sc' or 'did'")
    methods = [se] if isinstance(se, str) else list(se)
    unknown = [m for m in methods if m not in SE_METHODS]
    if unknown or not methods:
        raise ParameterError(f"se={se!r}: expected some of {', '.join(SE_METHODS)}")
    pm = prepare_panel(panel, unit=unit, time=time, outcome=outcome, treated=treated, start=start,
                       donors=donors, exclude=exclude, min_pre=2)
    opts, fixed = default_options(pm.Y, pm.n_donors, pm.n_pre, method)
    estimate, weights = sdid_estimate(pm.Y, pm.n_donors, pm.n_pre, opts, fixed)
    z = stats.norm.ppf(1 - alpha / 2)
    rows, replicates = [], {}
    for m in methods:
        value, reps = sdid_se(pm.Y, pm.n_donors, pm.n_pre, opts, weights, m, replications, seed)
        replicates[m] = reps
        rows.append({"method": m, "std_err": value, "ci_low": estimate - z * value,
                     "ci_high": estimate + z * value, "replications": int(reps.size)})
    table = pd.DataFrame(rows)
    if se_method is None:
        usable = table.loc[np.isfinite(table["std_err"]), "method"].tolist()
        se_method = usable[0] if usable else methods[0]
    elif se_method not in methods:
        raise ParameterError(f"se_method={se_method!r} is not one of se={methods}")
    return SyntheticDiDResult(pm, method, estimate, weights, opts, se_method, table, replicates, alpha,
                              outcome_label)
