"""Fitting one design by family and error structure: statsmodels, and REML / ML for AR errors.

- gaussian + "ols": `OLS`; + "newey-west": `OLS` with HAC covariance (Bartlett kernel, the lag
  given or chosen, `use_correction=True`: the n/(n-k) scaling of Stata's `newey`; t statistics on
  n-k df, as `newey`); comparison series use `cov_type="hac-panel"` (autocovariances within unit).
- gaussian + "ar": REML AR(p) then GLS (see `reml.py`), with Kenward-Roger, Satterthwaite or
  plain t inference (`small_sample.py`); + "arima": exact ML of the regression with AR(p)
  errors and z inference, as R's arima (`ar_ml.py`).
- "poisson": `GLM` Poisson; "quasipoisson": the same with the dispersion from Pearson chi2/df
  (`scale="X2"`, R's quasipoisson); "binomial": `GLM` Binomial (successes/trials as a
  proportion with `var_weights=trials`, or proportions) with Pearson-chi2 dispersion
  (quasi-binomial); "negbin": alpha by ML (`NegativeBinomial`, NB2), then `GLM` with the
  NegativeBinomial(alpha) family for beta and its covariance (MASS::glm.nb).
  Offsets enter as log(offset). With errors="newey-west" these use HAC covariance too.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.discrete.discrete_model import NegativeBinomial
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.sm_exceptions import SpecificationWarning

from slp_eval.errors import ModelInputError
from slp_eval.its.ar_ml import fit_ar_ml
from slp_eval.its.lags import LagChoice, choose_lag, lag_bound
from slp_eval.its.quasi_ar1 import fit_quasi_ar1
from slp_eval.its.reml import blocks_of, fit_ar_reml, near_unit_root, whiten
from slp_eval.its.reml_ar1 import AR1Fit, Rows, fit_ar1
from slp_eval.its.small_sample import SmallSample
from slp_eval.its.small_sample import small_sample as adjust

#: Below this the negative binomial alpha is at its boundary (a Poisson model).
NEGBIN_ALPHA_BOUNDARY = 1e-6

LINKS: dict[str, str] = {"gaussian": "identity", "poisson": "log", "quasipoisson": "log",
                         "negbin": "log", "binomial": "logit"}


@dataclass(frozen=True)
class Estimate:
    """A fitted model: the statsmodels results and what the rest of the package reads from it."""

    model_result: Any
    table: pd.DataFrame  # estimate, std_err, ci_low, ci_high, p_value for the design terms
    cov: pd.DataFrame  # covariance of the design-term estimates
    df_resid: float | None  # degrees of freedom of t inference; None for z
    resid: np.ndarray  # residuals for diagnostics (whitened for "ar", Pearson for GLMs)
    diagnostic_exog: np.ndarray  # regressors matching `resid` (whitened for "ar")
    maxlags: int | None
    lag_choice: LagChoice | None
    link: str
    extra: dict[str, Any] = field(default_factory=dict)
    small_sample: SmallSample | None = None  # errors="ar": the covariance and per-contrast df


@dataclass(frozen=True)
class FitData:
    """Arrays of the rows in the fit."""

    y: pd.Series
    x: pd.DataFrame
    t: np.ndarray
    units: np.ndarray | None
    log_offset: np.ndarray | None
    trials: np.ndarray | None
    n_per_unit: int


def _table(result: Any, names: list[str], alpha: float) -> pd.DataFrame:
    params = pd.Series(np.asarray(result.params)[: len(names)], index=names)
    bse = np.asarray(result.bse)[: len(names)]
    ci = np.asarray(result.conf_int(alpha=alpha))[: len(names)]
    pvalues = np.asarray(result.pvalues)[: len(names)]
    df = float(result.df_resid) if getattr(result, "use_t", False) else np.nan
    table = pd.DataFrame({"estimate": params.to_numpy(), "std_err": bse, "ci_low": ci[:, 0],
                          "ci_high": ci[:, 1], "p_value": pvalues, "df": df},
                         index=pd.Index(names, name="term"))
    return table


def _adjusted_table(params: np.ndarray, adjusted: SmallSample, names: list[str],
                    alpha: float) -> pd.DataFrame:
    """Coefficients with the small-sample covariance and each term's own df."""
    se = np.sqrt(np.diag(adjusted.cov))
    df = adjusted.df(np.eye(len(names)))
    q = stats.t.ppf(1 - alpha / 2, df)
    return pd.DataFrame({"estimate": params, "std_err": se, "ci_low": params - q * se,
                         "ci_high": params + q * se,
                         "p_value": 2 * stats.t.sf(np.abs(params / se), df), "df": df},
                        index=pd.Index(names, name="term"))


def _hac_kwargs(maxlags: int, units: np.ndarray | None) -> tuple[str, dict[str, Any]]:
    if units is None:
        return "HAC", {"maxlags": maxlags, "use_correction": True}
    # Stata's newey on a panel: Bartlett autocovariances within unit, n/(n-k) scaling and t on
    # n-k df. statsmodels would otherwise use n_groups - 1 df for "hac-panel" (df_correction).
    codes = pd.factorize(units)[0]
    return "hac-panel", {"maxlags": maxlags, "groups": codes, "use_correction": "hac",
                         "df_correction": False}


def _glm(data: FitData, family: str, alpha: float | None = None) -> tuple[Any, str | None, bool]:
    """The GLM of `family`, its scale rule and whether inference uses t (quasi families).

    Binomial successes out of trials are fitted as the proportion y / trials with
    `var_weights=trials`: statsmodels' two-column (successes, failures) endog gives the same
    estimates but computes the Pearson dispersion (`scale="X2"`) from proportion-scale residuals
    without the trials, a dispersion ~n times too small (issue 9). With var_weights the Pearson
    residuals are on the count scale, (y - n p) / sqrt(n p (1 - p)), as R's quasibinomial.
    The negative binomial covariance is that of the GLM with alpha fixed at its ML estimate
    (Fisher information of beta), as MASS::glm.nb and sandwich on it."""
    if family == "binomial":
        if data.trials is not None:
            model = GLM(data.y / data.trials, data.x, family=families.Binomial(),
                           var_weights=data.trials)
        else:
            model = GLM(data.y, data.x, family=families.Binomial())
        return model, "X2", True
    if family == "negbin":
        model = GLM(data.y, data.x, family=families.NegativeBinomial(alpha=alpha),
                       offset=data.log_offset)
        return model, None, False
    model = GLM(data.y, data.x, family=families.Poisson(), offset=data.log_offset)
    if family == "quasipoisson":
        return model, "X2", True
    return model, None, False


def _negbin_alpha(data: FitData, extra: dict[str, Any]) -> float:
    """ML estimate of the NB2 dispersion alpha (statsmodels `NegativeBinomial`), recorded in
    `extra` with the convergence flag."""
    # BFGS (statsmodels optimises log(alpha), keeping alpha > 0) from the Poisson fit (IRLS)
    # and a moment estimate of alpha: statsmodels' own start (a Poisson Newton fit capped at 35
    # iterations) can stop short on offset models.
    poisson = GLM(data.y, data.x, family=families.Poisson(), offset=data.log_offset).fit()
    mu = poisson.mu
    alpha0 = max(1e-4, float(np.mean(((data.y - mu) ** 2 - mu) / mu**2)))
    model = NegativeBinomial(data.y, data.x, offset=data.log_offset)
    with warnings.catch_warnings():
        # trial steps of the line search can reach log(0); the optimum is checked below
        warnings.simplefilter("ignore", RuntimeWarning)
        ml = model.fit(start_params=np.r_[poisson.params, alpha0], method="bfgs", disp=False,
                       maxiter=2000, gtol=1e-10, warn_convergence=False)
        # BFGS can stop with a precision loss short of the maximum (score for alpha ~30 on a
        # 60-point series, theta 0.2% off MASS::glm.nb): Newton steps from there finish it.
        newton = model.fit(start_params=ml.params, method="newton", disp=False, maxiter=100,
                           tol=1e-12, warn_convergence=False)
    if np.all(np.isfinite(newton.params)) and newton.llf >= ml.llf:
        ml = newton
    extra["converged"] = bool(np.max(np.abs(model.score(np.asarray(ml.params)))) < 1e-4)
    alpha = float(ml.params["alpha"])
    if alpha < NEGBIN_ALPHA_BOUNDARY:
        raise ModelInputError(
            f"family='negbin': the estimated dispersion alpha is {alpha:.2g}, at its boundary "
            "0 (the counts are not overdispersed relative to Poisson, so alpha has no standard "
            "error); fit family='poisson' instead")
    extra["negbin_alpha"] = alpha
    return alpha


def _ar1(data: FitData, method: str, alpha: float, link: str,
         arrays: tuple[np.ndarray, np.ndarray] | None = None,
         fit: AR1Fit | None = None) -> Estimate:
    """REML AR(1) + GLS with analytic derivatives (`reml_ar1.py`, the arithmetic of
    `fit_its_many`'s batched path); the statsmodels OLS of the whitened data for diagnostics.
    `arrays` and `fit`: the weighted design and response of a converged `quasi_ar1` fit."""
    names = list(data.x.columns)
    if arrays is None:
        x, y = np.asarray(data.x, float), np.asarray(data.y, float)
    else:
        x, y = arrays
    t = np.asarray(data.t, int)
    blocks = blocks_of(data.units, len(y))
    if fit is None:
        fit = fit_ar1(x, y[:, None], Rows.of(t, blocks), method=method, alpha=alpha)
    rho = fit.rho[:1]
    held = bool(fit.held[0])
    adjusted = SmallSample(method, fit.cov[0], fit.phi[0],
                           list(fit.dphi[0, :1] if held else fit.dphi[0]),
                           fit.w[0, :1, :1] if held else fit.w[0], float(len(y) - len(names)),
                           held)
    wd = whiten(rho, y, x, t, blocks)
    result = OLS(wd.ys, pd.DataFrame(wd.xs, columns=names)).fit(use_t=True)
    extra = dict(ar_params=rho.tolist(), reml_loglik=-float(fit.neg_loglik[0]), ar_method="REML",
                 near_unit_root=near_unit_root(rho), rho_at_bound=bool(fit.at_bound[0]),
                 small_sample=method, ar_held_fixed_for_small_sample=held)
    table = pd.DataFrame({c: v[:, 0] for c, v in fit.table.items()},
                         index=pd.Index(names, name="term"))
    cov = pd.DataFrame(adjusted.cov, index=names, columns=names)
    return Estimate(result, table, cov, float(result.df_resid), np.asarray(result.resid),
                    np.asarray(result.model.exog), 1, None, link, extra, adjusted)


def _quasi_ar1(data: FitData, family: str, method: str, alpha: float, link: str) -> Estimate:
    """Counts and proportions with AR(1) errors (`quasi_ar1.py`), started from the GLM."""
    extra: dict[str, Any] = {}
    nb_alpha = _negbin_alpha(data, extra) if family == "negbin" else None
    base, scale, _ = _glm(data, family, nb_alpha)
    start = np.asarray(base.fit(scale=scale, tol=1e-12, maxiter=200).params, float)
    x = np.asarray(data.x, float)
    rows = Rows.of(np.asarray(data.t, int), blocks_of(data.units, len(data.y)))
    quasi = fit_quasi_ar1(x, np.asarray(data.y, float), rows, family=family, start=start,
                          log_offset=data.log_offset, trials=data.trials, nb_alpha=nb_alpha,
                          method=method, alpha=alpha)
    estimate = _ar1(data, method, alpha, link, (quasi.x, quasi.z), quasi.fit)
    estimate.extra.update(extra, dispersion=float(quasi.fit.sigma2[0]),
                          irls_iterations=quasi.iterations, irls_converged=quasi.converged,
                          latent="quasi-likelihood AR(1)")
    return estimate


def estimate(data: FitData, *, family: str, errors: str, maxlags: int | None,
             alpha: float, small_sample: str | None = None) -> Estimate:
    """Fit the design in `data` as asked; see the module docstring for what each choice is."""
    names = list(data.x.columns)
    link = LINKS[family]
    extra: dict[str, Any] = {}
    lag_choice = None
    if family != "gaussian" and errors == "ar":
        if maxlags not in (None, 1):
            raise ModelInputError(f"errors='ar' with family={family!r} is AR(1); got maxlags="
                                  f"{maxlags!r} (leave maxlags unset)")
        return _quasi_ar1(data, family, small_sample or "none", alpha, link)
    if family == "gaussian" and errors in ("ar", "arima"):
        order = 1 if maxlags is None else int(maxlags)
        if errors == "ar" and order == 1:
            return _ar1(data, small_sample or "none", alpha, link)
        if errors == "ar":
            fit = fit_ar_reml(data.y, data.x, data.t, order=order, units=data.units)
            result = fit.result
            method = small_sample or "none"
            adjusted = adjust(method, fit.gram, np.asarray(data.x, float),
                              np.asarray(data.t, int), blocks_of(data.units, len(data.y)),
                              fit.ar_params, fit.sigma2, hold_ar=fit.at_bound)
            extra.update(ar_params=fit.ar_params.tolist(), reml_loglik=fit.reml_loglik,
                         ar_method="REML", near_unit_root=near_unit_root(fit.ar_params),
                         rho_at_bound=fit.at_bound, small_sample=method,
                         ar_held_fixed_for_small_sample=adjusted.phi_fixed)
            resid, dexog = np.asarray(result.resid), np.asarray(result.model.exog)
            table = _adjusted_table(np.asarray(result.params), adjusted, names, alpha)
            cov = pd.DataFrame(adjusted.cov, index=names, columns=names)
            return Estimate(result, table, cov, float(result.df_resid), resid, dexog, order,
                            None, link, extra, adjusted)
        ml = fit_ar_ml(data.y, data.x, data.t, order=order)
        extra.update(ar_params=ml.ar_params.tolist(), sigma2=ml.sigma2,
                     near_unit_root=near_unit_root(ml.ar_params),
                     converged=bool(np.all(np.isfinite(ml.cov))
                                    and np.all(np.linalg.eigvalsh(ml.cov) > 0)))
        k = len(names)
        cov = pd.DataFrame(ml.cov[:k, :k], index=names, columns=names)
        return Estimate(ml, ml.table(names, alpha), cov, None, ml.resid, data.x.to_numpy(),
                        order, None, link, extra)
    # OLS and GLMs: one point fit, then the covariance asked for.
    if family == "gaussian":
        base = OLS(data.y, data.x)
        point = base.fit()
        resid = np.asarray(point.resid)
        scale, use_t = None, True
    else:
        nb_alpha = _negbin_alpha(data, extra) if family == "negbin" else None
        base, scale, use_t = _glm(data, family, nb_alpha)
        point = base.fit(scale=scale, tol=1e-12, maxiter=200)
        resid = np.asarray(point.resid_pearson)
    if errors == "newey-west":
        if maxlags is None:
            scores = (np.asarray(point.resid)[:, None] * data.x.to_numpy() if family == "gaussian"
                      else np.asarray(point.model.score_obs(point.params)))
            names_x = list(data.x.columns)
            lag_choice = choose_lag(resid, data.x.to_numpy(), data.units,
                                    lag_bound(data.n_per_unit), scores[:, : len(names_x)],
                                    names_x.index("intercept") if "intercept" in names_x
                                    else None)
            maxlags = lag_choice.maxlags
        cov_type, cov_kwds = _hac_kwargs(int(maxlags), data.units)
        kwargs: dict[str, Any] = {"cov_type": cov_type, "cov_kwds": cov_kwds}
    else:
        maxlags, kwargs = None, {}
    if family == "gaussian":
        result = base.fit(use_t=True, **kwargs)
    elif family == "negbin" and kwargs:
        # The sandwich's bread from the expected information, as sandwich::NeweyWest on a
        # glm.nb fit: statsmodels' HAC takes the observed Hessian, which for the (non-canonical)
        # log link of NB2 differs, moving SEs by ~0.4%. Newton from the optimum changes nothing
        # else (`optim_hessian="eim"` is the GLM option that selects the expected Hessian).
        result = base.fit(start_params=point.params, method="newton", optim_hessian="eim",
                          disp=False, use_t=use_t, **kwargs)
    else:
        with warnings.catch_warnings():
            # "cov_type not fully supported with var_weights": for binomial trials as
            # var_weights the HAC covariance equals sandwich::NeweyWest on R's quasibinomial
            # glm to 1e-6 (tests/test_its_peer.py), so the warning does not apply.
            warnings.simplefilter("ignore", SpecificationWarning)
            result = base.fit(scale=scale, use_t=use_t, tol=1e-12, maxiter=200, **kwargs)
    if family in ("quasipoisson", "binomial"):
        extra["dispersion"] = float(point.scale)
    table = _table(result, names, alpha)
    cov = pd.DataFrame(np.asarray(result.cov_params())[: len(names), : len(names)],
                       index=names, columns=names)
    df = float(result.df_resid) if getattr(result, "use_t", False) else None
    return Estimate(result, table, cov, df, resid, data.x.to_numpy(), maxlags, lag_choice, link,
                    extra)
