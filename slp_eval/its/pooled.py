"""Pooling each unit's level and trend change with a random-effects meta-analysis.

For one term (e.g. `level_change[2019-01]`) with unit estimates y_i and standard errors s_i from
`fit_its_many`, the random-effects model is y_i = mu + u_i + e_i, u_i ~ N(0, tau^2),
e_i ~ N(0, s_i^2) (DerSimonian & Laird 1986). mu is estimated by inverse-variance weights
w_i = 1 / (s_i^2 + tau^2) with standard error (sum w_i)^-1/2 and normal (z) intervals, as
`metafor::rma(yi, sei = s, method = ...)`. tau^2 is estimated by DerSimonian-Laird (method of
moments, truncated at 0) or Paule-Mandel (generalised Q equal to k - 1; Paule & Mandel 1982).
Heterogeneity: Cochran's Q on k - 1 df, and I^2 = tau^2 / (tau^2 + s^2), H^2 = (tau^2 + s^2) / s^2
with the typical within-unit variance s^2 = (k - 1) sum w / ((sum w)^2 - sum w^2), w = 1/s_i^2
(Higgins & Thompson 2002), computed from the tau^2 of the chosen method as metafor does.

With few units the normal interval is too narrow; `test="knha"` gives the Hartung-Knapp-
Sidik-Jonkman interval instead (Hartung & Knapp 2001; Sidik & Jonkman 2002; IntHout et al.
2014), as `metafor::rma(..., test = "knha")`: var(mu) = sum w_i (y_i - mu)^2 / ((k - 1) sum w_i)
with the random-effects weights, and t on k - 1 df (statsmodels' "random effect wls" row, not
truncated at the normal variance, as metafor's "knha").

The fit is statsmodels `combine_effects`. Three things are added because statsmodels differs
from metafor there: its DerSimonian-Laird tau^2 is not truncated at 0 (with less spread than
sampling error it goes negative; then tau^2 = 0 and the pooled estimate is the fixed-effect one,
which `combine_effects` also returns); its Paule-Mandel iteration can stop at tau^2 = 0 short of the
root (the root is found with brentq instead, see `_paule_mandel`); and its I^2 is the Q-based
1 - (k-1)/Q, which equals the above for DerSimonian-Laird but not for Paule-Mandel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.stats.meta_analysis import combine_effects

from slp_eval.errors import ModelInputError, ParameterError

METHODS = {"dl": "DerSimonian-Laird", "pm": "Paule-Mandel"}
#: Tests and intervals for the pooled estimate (metafor's names): normal, or Hartung-Knapp.
TESTS = {"z": "normal (z)", "knha": "Hartung-Knapp-Sidik-Jonkman (t on k - 1 df)"}
#: Terms pooled by default: every level and trend change.
DEFAULT_PREFIXES = ("level_change", "trend_change")
#: Paule-Mandel: |Q(tau^2) - (k - 1)| at which statsmodels accepts the brentq root as converged.
_PM_TOLERANCE = 1e-8


def _by_columns(frame: pd.DataFrame) -> list[str]:
    if "term" not in frame.columns:
        raise ParameterError("pool_its needs fit_its_many's frame: it has no column 'term'")
    by = list(frame.columns[: list(frame.columns).index("term")])
    if not by:
        raise ParameterError("pool_its needs fit_its_many's frame: no unit columns before 'term'")
    for column in ("estimate", "std_err", "status"):
        if column not in frame.columns:
            raise ParameterError(f"pool_its needs fit_its_many's frame: it has no column '{column}'")
    return by


def _paule_mandel(estimate: np.ndarray, variance: np.ndarray) -> float:
    """The Paule-Mandel tau^2: the root of Q(tau^2) = sum w (y - mu_w)^2 - (k - 1), w = 1/(v + tau^2).

    statsmodels' own iteration (`_fit_tau_iterative`) stops at tau^2 = 0 whenever a Newton step
    overshoots the root (seen on near-homogeneous units where metafor finds tau^2 > 0), so the
    root of this decreasing function is bracketed and found with brentq here, then handed to
    `combine_effects` as its starting value, where its iteration stops at once.
    """
    k = len(estimate)

    def excess(tau2: float) -> float:
        w = 1 / (variance + tau2)
        mean = w @ estimate / w.sum()
        return float(w @ (estimate - mean) ** 2 - (k - 1))

    if excess(0.0) <= 0:
        return 0.0
    upper = float(variance.max())
    while excess(upper) > 0:
        upper *= 2
    root = float(optimize.brentq(excess, 0.0, upper, xtol=1e-300))
    while excess(root) < 0:  # statsmodels resets tau^2 to 0 where Q is below k - 1
        root = float(np.nextafter(root, 0.0))
    return root


def _pool(estimate: np.ndarray, std_err: np.ndarray, method: str, alpha: float, test: str
          ) -> tuple[dict[str, float], np.ndarray]:
    """One term's pooled row and the units' relative random-effects weights."""
    variance = std_err**2
    kwds: dict[str, Any] = {}
    if method == "pm":
        kwds = {"tau2_start": _paule_mandel(estimate, variance), "atol": _PM_TOLERANCE}
    with np.errstate(invalid="ignore"):  # square roots of a negative DL tau^2, discarded below
        result = combine_effects(estimate, variance, method_re=method, alpha=alpha, **kwds)
        # conf_int, not summary_frame: with use_t the latter also wants each unit's nobs
        fe, re, fe_wls, re_wls = result.conf_int(alpha=alpha, use_t=test == "knha")
    tau2 = float(result.tau2)
    fixed = tau2 <= 0  # truncated at 0: the random-effects model is the fixed-effect one
    tau2 = max(tau2, 0.0)
    ci, sd = {("z", False): (re, result.sd_eff_w_re), ("z", True): (fe, result.sd_eff_w_fe),
              ("knha", False): (re_wls, result.sd_eff_w_re_hksj),
              ("knha", True): (fe_wls, result.sd_eff_w_fe_hksj)}[(test, fixed)]
    row = {"eff": result.mean_effect_fe if fixed else result.mean_effect_re, "sd_eff": sd,
           "ci_low": ci[0], "ci_upp": ci[1]}
    k = len(estimate)
    w = 1 / variance
    typical = (k - 1) * w.sum() / (w.sum() ** 2 - (w**2).sum())
    statistic = float(row["eff"] / row["sd_eff"])
    p_value = (2 * stats.norm.sf(abs(statistic)) if test == "z"
               else 2 * stats.t.sf(abs(statistic), k - 1))
    weights = (1 / (variance + tau2)) / (1 / (variance + tau2)).sum()
    pooled = {"k": k, "estimate": float(row["eff"]), "std_err": float(row["sd_eff"]),
              "ci_low": float(row["ci_low"]), "ci_high": float(row["ci_upp"]),
              "p_value": float(p_value), "tau2": tau2, "tau": float(np.sqrt(tau2)),
              "i2": tau2 / (tau2 + typical), "h2": (tau2 + typical) / typical,
              "q": float(result.q), "q_df": k - 1,
              "q_p_value": float(stats.chi2.sf(result.q, k - 1))}
    return pooled, weights


@dataclass(frozen=True)
class PooledResult:
    """Random-effects pooling of unit-level ITS effects (see `pool_its`).

    `pooled`: one row per term: term, method, test, k, estimate, std_err, ci_low, ci_high,
    p_value (normal, or t on k - 1 df for test "knha"), tau2, tau, i2, h2 (fractions, not
    percent), q, q_df, q_p_value.
    `units`: the units pooled: the by columns, unit (label), term, estimate, std_err, ci_low,
    ci_high, weight (relative random-effects weight). `excluded`: units fit_its_many could not fit,
    with the reason.
    """

    by: list[str]
    method: str
    alpha: float
    pooled: pd.DataFrame
    units: pd.DataFrame
    excluded: pd.DataFrame
    test: str = "z"

    def to_frame(self) -> pd.DataFrame:
        """Units then the pooled row, per term: label, term, estimate, ci_low, ci_high."""
        label = f"Pooled ({METHODS[self.method]} random effects)"
        pooled = self.pooled.assign(unit=label)
        columns = ["unit", "term", "estimate", "ci_low", "ci_high"]
        parts = [pd.concat([self.units[self.units["term"] == term][columns],
                            pooled[pooled["term"] == term][columns]])
                 for term in self.pooled["term"]]
        return pd.concat(parts, ignore_index=True)

    def summary(self) -> str:
        """One paragraph per term: pooled estimate, interval and heterogeneity."""
        level = f"{100 * (1 - self.alpha):g}%"
        lines = []
        for row in self.pooled.itertuples():
            lines.append(
                f"{row.term}: pooled estimate {row.estimate:.4g} ({level} CI {row.ci_low:.4g} to "
                f"{row.ci_high:.4g}, p = {row.p_value:.3g}) over {row.k} units "
                f"({METHODS[self.method]} random effects); tau^2 = {row.tau2:.4g}, "
                f"I^2 = {100 * row.i2:.1f}%, Q = {row.q:.4g} on {row.q_df} df "
                f"(p = {row.q_p_value:.3g}).")
        if len(self.excluded):
            lines.append(f"{len(self.excluded)} unit(s) could not be fitted and are not pooled.")
        return "\n".join(lines)

    def plot(self, title: str | None = None) -> Any:
        """Forest plot: each unit's estimate and interval and the pooled one, a panel per term."""
        from slp_eval.plots.forest import forest_plot

        return forest_plot(self.to_frame(), label="unit", group="term", title=title)


def pool_its(many: pd.DataFrame, *, terms: list[str] | None = None, method: str = "dl",
             alpha: float = 0.05, test: str = "z") -> PooledResult:
    """Pool the units of `fit_its_many`'s frame term by term (random effects).

    Model: y_i = mu + u_i + e_i, u_i ~ N(0, tau^2), e_i ~ N(0, s_i^2), see the module docstring.

    Parameters
    ----------
    many: the frame `fit_its_many` returned (unit columns, then term, estimate, std_err, ...).
    terms: the terms to pool; default every `level_change[...]` and `trend_change[...]` term.
    method: "dl" (DerSimonian-Laird) or "pm" (Paule-Mandel) for tau^2.
    alpha: 1 - confidence level of the pooled intervals.
    test: "z" (normal intervals and p-values, metafor's default) or "knha" (Hartung-Knapp-
        Sidik-Jonkman: t on k - 1 df with the variance of the module docstring).

    Units whose status is "failed" are left out and listed in `excluded`. A term needs at
    least two fitted units.
    """
    if method not in METHODS:
        raise ParameterError(f"method={method!r} must be one of 'dl' (DerSimonian-Laird) or 'pm' "
                             "(Paule-Mandel)")
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha={alpha!r} must be between 0 and 1")
    if test not in TESTS:
        raise ParameterError(f"test={test!r} must be 'z' (normal) or 'knha' (Hartung-Knapp)")
    by = _by_columns(many)
    fitted = many[many["status"] != "failed"]
    excluded = many.loc[many["status"] == "failed", [*by, "reason"]].reset_index(drop=True)
    present = list(dict.fromkeys(fitted["term"]))
    if terms is None:
        terms = [t for t in present if str(t).startswith(DEFAULT_PREFIXES)]
        if not terms:
            raise ModelInputError("no level_change or trend_change term among the fitted units")
    missing = [t for t in terms if t not in present]
    if missing:
        raise ParameterError(f"terms {', '.join(map(repr, missing))} are not in the frame "
                             f"(terms: {', '.join(map(str, present))})")
    rows, unit_parts = [], []
    for term in terms:
        units = fitted[fitted["term"] == term].copy()
        bad = ~(np.isfinite(units["estimate"]) & np.isfinite(units["std_err"])
                & (units["std_err"] > 0))
        if bad.any():
            raise ModelInputError(f"term '{term}': {int(bad.sum())} unit(s) have no finite estimate "
                                  "with a positive standard error to pool")
        if len(units) < 2:
            raise ModelInputError(f"term '{term}': {len(units)} fitted unit; pooling needs at least 2")
        pooled, weights = _pool(units["estimate"].to_numpy(float),
                                units["std_err"].to_numpy(float), method, alpha, test)
        rows.append({"term": term, "method": method, "test": test, **pooled})
        units["unit"] = units[by].astype(str).agg(" / ".join, axis=1)
        units["weight"] = weights
        unit_parts.append(units[[*by, "unit", "term", "estimate", "std_err", "ci_low", "ci_high",
                                 "weight"]])
    return PooledResult(by=by, method=method, alpha=alpha, pooled=pd.DataFrame(rows),
                        units=pd.concat(unit_parts, ignore_index=True), excluded=excluded,
                        test=test)
