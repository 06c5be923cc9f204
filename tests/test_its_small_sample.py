"""Small-sample inference for errors="ar": Kenward-Roger (default), Satterthwaite, none.

References:
- an independent dense implementation below (n x n matrices, the textbook formulas of
  Kenward & Roger 1997 with every derivative taken numerically from Sigma(theta) itself, and the
  observed REML information from a dense restricted likelihood written here);
- the closed form with no correlation parameter (sigma^2 only): Kenward-Roger and Satterthwaite
  are then the exact t on n - k with the plug-in covariance;
- R `emmeans` (mode = "satterthwaite") on an `nlme::gls` fit for the Satterthwaite df (peer);
- a seeded coverage check (slow).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.tsa.arima_process import arma_acf

from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.its import fit_its
from slp_eval.its.reml import Gram, blocks_of
from slp_eval.its.small_sample import small_sample
from slp_eval.power import simulate_its_series

PEER = Path(__file__).parent / "peer"


def _series(n_pre: int = 14, n_post: int = 12, rho: float = 0.5, seed: int = 3) -> pd.DataFrame:
    return simulate_its_series(n_pre, n_post, intercept=50.0, trend=0.3, level_change=-4.0,
                               trend_change=-0.2, sigma=2.0, rho=rho, seed=seed)


# ----- independent dense implementation ------------------------------------------------------

def _dense_sigma(theta: np.ndarray, t: np.ndarray) -> np.ndarray:
    ar = theta[1:]
    acf = arma_acf(np.r_[1.0, -ar], [1.0], lags=int(t.max() - t.min()) + 2)
    return np.exp(theta[0]) * acf[np.abs(np.subtract.outer(t, t))]


def _dense_reml(theta: np.ndarray, y: np.ndarray, x: np.ndarray, t: np.ndarray) -> float:
    sigma = _dense_sigma(theta, t)
    inv = np.linalg.inv(sigma)
    xtx = x.T @ inv @ x
    beta = np.linalg.solve(xtx, x.T @ inv @ y)
    r = y - x @ beta
    return -0.5 * (np.linalg.slogdet(sigma)[1] + np.linalg.slogdet(xtx)[1] + r @ inv @ r)


def _hessian(f, theta: np.ndarray, h: float = 1e-4) -> np.ndarray:
    m = len(theta)
    out = np.empty((m, m))
    for i in range(m):
        for j in range(m):
            ei, ej = np.eye(m)[i] * h, np.eye(m)[j] * h
            out[i, j] = (f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej)
                         + f(theta - ei - ej)) / (4 * h * h)
    return out


def _dense_kr(y: np.ndarray, x: np.ndarray, t: np.ndarray, theta: np.ndarray,
              contrasts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Phi_A, KR df and Satterthwaite df of each contrast, all from n x n matrices."""
    m = len(theta)
    w = np.linalg.inv(-_hessian(lambda th: _dense_reml(th, y, x, t), theta))
    sigma = _dense_sigma(theta, t)
    inv = np.linalg.inv(sigma)
    phi = np.linalg.inv(x.T @ inv @ x)
    h = 1e-6
    d_sigma = [(_dense_sigma(theta + np.eye(m)[i] * h, t)
                - _dense_sigma(theta - np.eye(m)[i] * h, t)) / (2 * h) for i in range(m)]
    p_mats = [-x.T @ inv @ d @ inv @ x for d in d_sigma]
    lam = np.zeros_like(phi)
    for i in range(m):
        for j in range(m):
            q = x.T @ inv @ d_sigma[i] @ inv @ d_sigma[j] @ inv @ x
            lam += w[i, j] * (q - p_mats[i] @ phi @ p_mats[j])
    phi_a = phi + 2 * phi @ lam @ phi

    def var(th: np.ndarray, c: np.ndarray) -> float:
        return float(c @ np.linalg.inv(x.T @ np.linalg.inv(_dense_sigma(th, t)) @ x) @ c)

    kr, satt = [], []
    for c in contrasts:
        g = np.array([(var(theta + np.eye(m)[i] * h, c) - var(theta - np.eye(m)[i] * h, c))
                      / (2 * h) for i in range(m)])
        # Kenward & Roger (1997) with Theta from the unadjusted Phi (SAS, pbkrtest, mmrm):
        # for one contrast lambda = 1 and m = 2 / A1, A1 = (g' W g) / (c' Phi c)^2
        theta_phi = np.outer(c, c) / (c @ phi @ c) @ phi
        a1 = sum(w[i, j] * np.trace(theta_phi @ p_mats[i] @ phi)
                 * np.trace(theta_phi @ p_mats[j] @ phi) for i in range(m) for j in range(m))
        kr.append(2 / a1)
        satt.append(2 * (c @ phi @ c) ** 2 / (g @ w @ g))
    return phi_a, np.array(kr), np.array(satt)


def _theta(result) -> np.ndarray:
    return np.r_[np.log(result.model_result.scale), result.model_info()["ar_params"]]


@pytest.mark.parametrize(("maxlags", "phase_in", "n_pre"), [(None, 0, 14), (None, 2, 14),
                                                             (2, 0, 40)])
def test_kenward_roger_matches_a_dense_implementation(maxlags: int | None, phase_in: int,
                                                      n_pre: int) -> None:
    """AR(1), AR(1) over a phase-in gap (rho^d steps) and AR(2): covariance, SEs and df of
    every coefficient and of an effect contrast to 1e-5 (AR(2) on a longer series: on 26
    points its REML information is so near singular that central differences of either
    implementation move W by 2e-4)."""
    frame = _series(n_pre=n_pre, n_post=12)
    kr = fit_its(frame, outcome="outcome", time="period", interruptions=[15], maxlags=maxlags,
                 phase_in=phase_in)
    satt = fit_its(frame, outcome="outcome", time="period", interruptions=[15],
                   maxlags=maxlags, phase_in=phase_in, small_sample="satterthwaite")
    assert kr.model_info()["small_sample"] == "kenward-roger"
    x, y = kr.design.to_numpy(), frame["outcome"].to_numpy()[kr.series.in_fit]
    t = kr.series.t[kr.series.in_fit]
    contrasts = np.vstack([np.eye(4), [0, 0, 1, 6]])  # coefficients; level change + 6 trend
    phi_a, df_kr, df_satt = _dense_kr(y, x, t, _theta(kr), contrasts)
    np.testing.assert_allclose(kr.fit.cov.to_numpy(), phi_a, rtol=1e-5,
                               atol=1e-5 * np.abs(phi_a).max())
    np.testing.assert_allclose(kr.coefficients["std_err"], np.sqrt(np.diag(phi_a)), rtol=1e-5)
    np.testing.assert_allclose(kr.coefficients["df"], df_kr[:4], rtol=1e-4)
    np.testing.assert_allclose(satt.coefficients["df"], df_satt[:4], rtol=1e-4)
    np.testing.assert_allclose(kr.fit.small_sample.df(contrasts[4]), df_kr[4:], rtol=1e-4)
    # Kenward-Roger widens the interval of every coefficient
    assert (kr.coefficients["std_err"] > satt.coefficients["std_err"]).all()


def test_without_correlation_parameters_both_methods_are_the_exact_t() -> None:
    """sigma^2 the only covariance parameter (the AR coefficient held known): Lambda = 0, so
    Phi_A = Phi, and every df is n - k."""
    frame = _series()
    result = fit_its(frame, outcome="outcome", time="period", interruptions=[15],
                     small_sample="none")
    x, y = result.design.to_numpy(), frame["outcome"].to_numpy()
    t = result.series.t
    rho = np.array(result.model_info()["ar_params"])
    for method in ("kenward-roger", "satterthwaite"):
        blocks = blocks_of(None, len(y))
        held = small_sample(method, Gram(y, x, t, blocks, 1), x, t, blocks, rho,
                            float(result.model_result.scale), hold_ar=True)
        np.testing.assert_allclose(held.cov, result.fit.cov.to_numpy(), rtol=1e-12)
        np.testing.assert_allclose(held.df(np.vstack([np.eye(4), np.ones(4)])), len(y) - 4,
                                   rtol=1e-6)
    # and "none" is t on n - k with the plug-in covariance (nlme::gls)
    table = result.coefficients
    assert (table["df"] == len(y) - 4).all()
    q = stats.t.ppf(0.975, len(y) - 4)
    np.testing.assert_allclose(table["ci_high"], table["estimate"] + q * table["std_err"])


def test_every_interval_uses_the_small_sample_covariance_and_df() -> None:
    """Effects at horizons, cumulative effects, counterfactual bands and segment trends: the
    estimate +/- t(df of that contrast) * sqrt(c' Phi_A c), recomputed from the design."""
    frame = _series()
    result = fit_its(frame, outcome="outcome", time="period", interruptions=[15])
    plain = fit_its(frame, outcome="outcome", time="period", interruptions=[15],
                    small_sample="none")
    ss, cov = result.fit.small_sample, result.fit.cov.to_numpy()
    x = result.design_all.to_numpy()
    x0 = x.copy()
    x0[:, 2:] = 0.0
    checks = []
    effect = result.effect_at(5).set_index("term").loc["absolute_effect"]
    checks.append((effect, x[14 + 5] - x0[14 + 5]))
    cumulative = result.cumulative_effect().set_index("term").loc["absolute_effect"]
    checks.append((cumulative, (x[14:] - x0[14:]).sum(axis=0)))
    trend = result.segment_trends().set_index("term").loc["trend[from 15]"]
    checks.append((trend, np.array([0, 1, 0, 1.0])))
    for row, c in checks:
        se = np.sqrt(c @ cov @ c)
        q = stats.t.ppf(0.975, ss.df(c)[0])
        assert row["std_err"] == pytest.approx(se, rel=1e-10)
        assert row["ci_high"] - row["estimate"] == pytest.approx(q * se, rel=1e-10)
        assert row["df"] == pytest.approx(ss.df(c)[0], rel=1e-12)
    band = result.counterfactual()
    c = x0[20]
    half = band.loc[20, "counterfactual_ci_high"] - band.loc[20, "counterfactual"]
    assert half == pytest.approx(stats.t.ppf(0.975, ss.df(c)[0]) * np.sqrt(c @ cov @ c),
                                 rel=1e-10)
    wider = plain.counterfactual()
    assert (band["counterfactual_ci_high"] - band["counterfactual_ci_low"]
            > wider["counterfactual_ci_high"] - wider["counterfactual_ci_low"]).all()


def test_methods_text_and_model_info_name_the_method() -> None:
    frame = _series()
    kr = fit_its(frame, outcome="outcome", time="period", interruptions=[15])
    assert kr.model_info()["errors"] == "ar"
    assert kr.model_info()["small_sample"] == "kenward-roger"
    assert "Kenward-Roger small-sample correction (Kenward & Roger 1997" in kr.methods_text()
    satt = fit_its(frame, outcome="outcome", time="period", interruptions=[15],
                   small_sample="satterthwaite")
    assert "Satterthwaite (1946) degrees of freedom" in satt.methods_text()
    none = fit_its(frame, outcome="outcome", time="period", interruptions=[15],
                   small_sample="none")
    assert "t on n-k degrees of freedom" in none.methods_text()


@pytest.mark.parametrize("errors", ["ols", "newey-west", "arima"])
def test_small_sample_with_another_error_model_is_refused(errors: str) -> None:
    with pytest.raises(ParameterError, match=(
            f"^small_sample='kenward-roger' applies only to errors='ar' \\(REML AR errors\\); "
            f"got errors='{errors}' \\(leave small_sample unset\\)$")):
        fit_its(_series(), outcome="outcome", time="period", interruptions=[15], errors=errors,
                small_sample="kenward-roger")


def test_unknown_small_sample_method_is_refused() -> None:
    with pytest.raises(ParameterError, match=r"^small_sample='kr' is not one of "
                                             r"'kenward-roger', 'satterthwaite', 'none'$"):
        fit_its(_series(), outcome="outcome", time="period", interruptions=[15],
                small_sample="kr")


def test_series_too_short_for_the_ar_order_names_the_rule() -> None:
    frame = _series(4, 4)
    with pytest.raises(ModelInputError, match=(
            r"^errors='ar' with AR order 4 needs at least 9 fitted rows and more than 4 in "
            r"each series \(rule: rows >= design terms \(4\) \+ AR order \+ 1\); the fit has 8 "
            r"rows \(use a lower maxlags or errors='ols'\)$")):
        fit_its(frame, outcome="outcome", time="period", interruptions=[5], maxlags=4)


@pytest.mark.peer
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not installed")
@pytest.mark.parametrize(("rho", "seed"), [(0.5, 3), (0.3, 8), (0.7, 9)])
def test_satterthwaite_df_match_r_emmeans(tmp_path: Path, rho: float, seed: int) -> None:
    """emmeans(mode = "satterthwaite") on nlme::gls corAR1 REML (tests/peer/gls_satterthwaite.R):
    the df of eight linear functions of the coefficients to 0.1% (nlme's rho is good to ~1e-6
    and its apVar is a numerical Hessian), their SEs to 1e-5."""
    frame = _series(24, 24, rho=rho, seed=seed)
    source, out = tmp_path / "series.csv", tmp_path / "out.csv"
    frame.rename(columns={"outcome": "y"})[["t", "y"]].to_csv(source, index=False,
                                                              float_format="%.17g")
    subprocess.run(["Rscript", str(PEER / "gls_satterthwaite.R"), str(source), str(out), "24"],
                   check=True, capture_output=True, timeout=120)
    theirs = pd.read_csv(out)
    result = fit_its(frame, outcome="outcome", time="period", interruptions=[25],
                     small_sample="satterthwaite")
    contrasts = np.column_stack([np.ones(len(theirs)), theirs["t"], theirs["level"],
                                 theirs["slope"]])
    np.testing.assert_allclose(result.fit.small_sample.df(contrasts), theirs["df"], rtol=1e-3)
    se = np.sqrt(np.einsum("ij,jk,ik->i", contrasts, result.fit.cov.to_numpy(), contrasts))
    np.testing.assert_allclose(se, theirs["std_err"], rtol=1e-5)


# The coverage of the Kenward-Roger default on 24 and 36 points is checked in
# tests/test_its_coverage.py (MC SE at most 0.005, bounds that fail a width 10% off).
