"""Regression with AR(p) errors: REML estimate of the autocorrelation, then GLS, in O(n).

statsmodels has no REML for the correlation of GLS errors (`GLSAR.iterative_fit` is feasible GLS
with rho from OLS residuals, biased towards zero in short series: its 95% intervals cover the
level and trend changes only ~0.88-0.91 of the time on 96 points with rho = 0.5). So the
restricted log-likelihood of the AR parameters, with beta and sigma^2 profiled out, is written here,

    l_R(phi) = -1/2 [ (n-k) log s2(phi) + log|R(phi)| + log|X' R(phi)^-1 X| ],
    s2(phi) = (y - X b)' R^-1 (y - X b) / (n-k),

as in R's `nlme::gls(..., correlation = corAR1(), method = "REML")` (Pinheiro & Bates 2000,
sec. 2.2 and 5.3). Every term comes from the whitening transform L with R^-1 = L'L, a lower
triangular band of width p (the Prais-Winsten transform for AR(1), Prais & Winsten 1954; for
AR(p) the inverse Cholesky factor of the first p rows' correlation, then the AR filter scaled by
the innovation share 1 - sum phi_j acf_j): log|R| = -2 sum log diag(L), and the GLS fit is OLS
of L y on L X (statsmodels `OLS`), so no n x n matrix is formed. Rows left out of the fit
(phase-in, dropped missing values) keep their true time distances: for AR(1) the step over a gap
of d periods is rho^d (exact); AR(p >= 2) over a gap falls back to the dense Cholesky factor of
that unit's correlation matrix. Comparison series get one AR process per unit.

The maximum is global over the admissible range: for AR(1) (`search_ar1`, used by the ML fit of
errors="arima"; REML AR(1) is `reml_ar1.py`, with analytic derivatives) the profile is evaluated
on a grid of rho over (-1, 1) and refined by Brent's method in the bracket around the best grid
point; for AR(p) BFGS in the unconstrained (Monahan 1984) parametrisation starts from every point of a grid
of partial autocorrelations (p <= 2) or from zero and Yule-Walker values (p > 2). A maximum on
the edge of the range is reported (`at_bound`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg, optimize, sparse
from statsmodels.regression.linear_model import OLS, RegressionResultsWrapper, yule_walker
from statsmodels.tsa.arima_process import arma_acf
from statsmodels.tsa.statespace.tools import (
    constrain_stationary_univariate,
    unconstrain_stationary_univariate,
)

#: Admissible range of an AR(1) rho (and of each partial autocorrelation of an AR(p)).
RHO_BOUND = 0.9999
#: A root of the AR polynomial this close to the unit circle means the errors are all but a
#: random walk: the likelihood has no interior maximum, the intercept is unidentified.
UNIT_ROOT_MARGIN = 0.999
#: Grid of the global search for AR(1): the profile at these rho, then Brent in the bracket.
RHO_GRID = np.r_[-RHO_BOUND, np.linspace(-0.95, 0.95, 20), 0.98, RHO_BOUND]


def near_unit_root(ar: np.ndarray) -> bool:
    """True when the AR(p) process phi is (nearly) non-stationary: the largest modulus of the
    roots of z^p - phi_1 z^(p-1) - ... - phi_p is at least `UNIT_ROOT_MARGIN`."""
    ar = np.asarray(ar, float)
    return bool(len(ar) and np.max(np.abs(np.roots(np.r_[1.0, -ar]))) >= UNIT_ROOT_MARGIN)


def blocks_of(units: np.ndarray | None, n: int) -> list[np.ndarray]:
    """Row positions of each unit (one block for a single series)."""
    if units is None:
        return [np.arange(n)]
    return [np.flatnonzero(units == u) for u in dict.fromkeys(units.tolist())]


def _ar_acf(ar: np.ndarray, lags: int) -> np.ndarray:
    return arma_acf(np.r_[1.0, -ar], [1.0], lags=max(lags, len(ar)) + 1)


def _dense_factor(ar: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Inverse Cholesky factor of one unit's correlation matrix (AR(p >= 2) with gaps)."""
    acf = _ar_acf(ar, int(t[-1] - t[0]))
    chol = linalg.cholesky(acf[np.abs(np.subtract.outer(t, t)).astype(int)], lower=True)
    return np.linalg.inv(chol)


def _block_whitener(ar: np.ndarray, t: np.ndarray) -> sparse.csr_matrix:
    """L with L R L' = I for one unit's rows at times `t` (unit marginal variance)."""
    n, p = len(t), len(ar)
    steps = np.diff(t)
    if p == 1:
        decay = ar[0] ** steps.astype(float)
        scale = np.sqrt(1.0 - decay**2)
        diag = np.r_[1.0, 1.0 / scale]
        return sparse.diags([diag, -decay / scale], [0, -1], shape=(n, n), format="csr")
    if np.any(steps != 1) or n <= p:
        return sparse.csr_matrix(_dense_factor(ar, t))
    acf = _ar_acf(ar, p)
    head = np.linalg.inv(np.linalg.cholesky(linalg.toeplitz(acf[:p])))
    innovation = np.sqrt(1.0 - float(np.dot(ar, acf[1: p + 1])))
    head_rows, head_cols = np.tril_indices(p)
    tail = np.arange(p, n)
    rows = np.r_[head_rows, np.repeat(tail, p + 1)]
    cols = np.r_[head_cols, (tail[:, None] - np.arange(p + 1)[None, :]).ravel()]
    vals = np.r_[head[head_rows, head_cols], np.tile(np.r_[1.0, -ar] / innovation, n - p)]
    return sparse.csr_matrix((vals, (rows, cols)), shape=(n, n))


def whitener(ar: np.ndarray, t: np.ndarray, blocks: list[np.ndarray]) -> sparse.csr_matrix:
    """The whitening matrix L of every row as a sparse matrix (block diagonal over units,
    rows in model order); `whiten` applies the same transform without forming it."""
    n = sum(len(rows) for rows in blocks)
    if len(ar) == 0:
        return sparse.identity(n, format="csr")
    whole = sparse.block_diag([_block_whitener(np.asarray(ar, float), t[rows])
                               for rows in blocks], format="csr")
    order = np.concatenate(blocks)
    if np.array_equal(order, np.arange(n)):
        return whole
    back = np.empty(n, int)
    back[order] = np.arange(n)
    return whole[back][:, back]


def apply_whitener(ar: np.ndarray, v: np.ndarray, t: np.ndarray,
           blocks: list[np.ndarray]) -> tuple[np.ndarray, float]:
    """L v and log|R| in O(n p) (v a vector or a matrix of columns)."""
    out = np.empty_like(v)
    logdet = 0.0
    p = len(ar)
    for rows in blocks:
        vb, tb = v[rows], t[rows]
        steps = np.diff(tb)
        if p == 1:
            decay = ar[0] ** steps.astype(float)
            scale = np.sqrt(1.0 - decay**2)
            wb = np.empty_like(vb)
            wb[0] = vb[0]
            wb[1:] = ((vb[1:].T - decay * vb[:-1].T) / scale).T
            logdet += 2.0 * float(np.sum(np.log(scale)))
        elif np.any(steps != 1) or len(rows) <= p:
            factor = _dense_factor(ar, tb)
            wb = factor @ vb
            logdet -= 2.0 * float(np.sum(np.log(np.diag(factor))))
        else:
            acf = _ar_acf(ar, p)
            chol = linalg.cholesky(linalg.toeplitz(acf[:p]), lower=True)
            innovation = np.sqrt(1.0 - float(np.dot(ar, acf[1: p + 1])))
            wb = np.empty_like(vb)
            wb[:p] = np.linalg.solve(chol, vb[:p])
            m = len(rows)
            filtered = vb[p:].copy()
            for j in range(1, p + 1):
                filtered -= ar[j - 1] * vb[p - j: m - j]
            wb[p:] = filtered / innovation
            logdet += 2.0 * float(np.sum(np.log(np.diag(chol)))) + 2.0 * (m - p) * np.log(
                innovation)
        out[rows] = wb
    return out, logdet


@dataclass(frozen=True)
class Whitened:
    """L y, L X, log|R| and the GLS pieces at one value of the AR parameters."""

    ys: np.ndarray
    xs: np.ndarray
    logdet_r: float

    @cached_property
    def _xtx(self) -> np.ndarray:
        return self.xs.T @ self.xs

    @property
    def beta(self) -> np.ndarray:
        # Normal equations: rss is quadratic at its minimum, so an error of
        # cond(X'R^-1X) * eps in beta changes the likelihood only at its square.
        return np.linalg.solve(self._xtx, self.xs.T @ self.ys)

    @property
    def rss(self) -> float:
        resid = self.ys - self.xs @ self.beta
        return float(resid @ resid)

    @property
    def logdet_xrx(self) -> float:
        return float(np.linalg.slogdet(self._xtx)[1])


def whiten(ar: np.ndarray, y: np.ndarray, x: np.ndarray, t: np.ndarray,
           blocks: list[np.ndarray]) -> Whitened:
    """Whitened data at `ar` (see the module docstring)."""
    both, logdet = apply_whitener(np.asarray(ar, float), np.column_stack([y, x]), t, blocks)
    return Whitened(both[:, 0], both[:, 1:], logdet)


def _cross(prev: np.ndarray, diff: np.ndarray, total: np.ndarray) -> list[np.ndarray]:
    return [prev.T @ prev, diff.T @ prev, diff.T @ diff, total.T @ prev, total.T @ total]


class Gram:
    """Z' R(phi)^-1 Z and log|R(phi)| for Z = [e, X] in O(k^2 p^2) per evaluation.

    The whitened rows are fixed linear combinations of neighbouring rows, so their cross
    products are combinations of lagged cross products of Z computed once in O(n k^2):
    AR(1) rows i >= 1, a step of d periods after the row before,
        (z_i - rho^d z_{i-1}) / sqrt(1 - rho^(2d)),
    grouped by d; AR(p) on consecutive periods: the first p rows whitened by the inverse
    Cholesky factor of their correlation, then sum_ab c_a c_b sum_t z_{t-a} z_{t-b}' with
    c = (1, -phi_1, ..., -phi_p) / sqrt(1 - sum phi_j acf_j). AR(p >= 2) across a gap takes the
    dense factor of that unit. e is the OLS residual of y (the restricted likelihood is
    unchanged by y -> y - X c), which keeps e'R^-1e - b'X'R^-1e free of cancellation.
    """

    def __init__(self, y: np.ndarray, x: np.ndarray, t: np.ndarray, blocks: list[np.ndarray],
                 order: int) -> None:
        self.b_ols = np.linalg.lstsq(x, y, rcond=None)[0]
        z = np.column_stack([y - x @ self.b_ols, x])
        self.n, self.k, self.order = x.shape[0], x.shape[1], order
        self.first: list[np.ndarray] = []  # AR(1): each unit's first row
        # AR(1), per step d: count, then cross products of (previous row, difference, sum)
        self.steps: dict[int, list[Any]] = {}
        self.lagged: list[tuple[np.ndarray, np.ndarray, int]] = []  # AR(p): head, M_ab, rows
        self.dense: list[tuple[np.ndarray, np.ndarray]] = []  # AR(p) with gaps: z, t
        for rows in blocks:
            zb, tb = z[rows], t[rows]
            steps = np.diff(tb)
            if order == 1:
                self.first.append(zb[0])
                for d in np.unique(steps):
                    at = np.flatnonzero(steps == d)
                    prev, cur = zb[at], zb[at + 1]
                    parts = [len(at), *_cross(prev, cur - prev, cur + prev)]
                    old = self.steps.get(int(d))
                    self.steps[int(d)] = parts if old is None else [a + b for a, b in
                                                                     zip(old, parts, strict=True)]
            elif np.any(steps != 1) or len(rows) <= order:
                self.dense.append((zb, tb))
            else:
                m = len(rows)
                # basis: the row p periods back, then the differences of rows t-p+1..t, so
                # that near a unit root the small level coefficient multiplies a precomputed
                # cross product instead of cancelling large ones
                level = zb[: m - order]
                diffs = [zb[order - b: m - b] - zb[order - b - 1: m - b - 1]
                         for b in range(order)]
                basis = np.stack([level, *diffs])
                self.lagged.append((zb[:order], np.einsum("atk,btl->abkl", basis, basis), m))

    def at(self, ar: np.ndarray) -> tuple[np.ndarray, float]:
        """(Z' R^-1 Z, log|R|) at the AR parameters `ar`."""
        ar = np.asarray(ar, float)
        gram = np.zeros((self.k + 1, self.k + 1))
        logdet = 0.0
        if self.order == 1:
            rho = float(ar[0])
            for z0 in self.first:
                gram += np.outer(z0, z0)
            for d, (count, cc, dc, dd, sc, ss) in self.steps.items():
                # z_i - r z_{i-1} = D_i + (1 - r) z_{i-1} for r = rho^d >= 0, else
                # S_i - (1 + r) z_{i-1}, with D, S the difference and sum of the two rows
                # (no cancellation near rho = +-1); 1 - r^2 by expm1 for the same reason.
                if rho >= 0:
                    near = -np.expm1(d * np.log(rho)) if rho > 0 else 1.0
                    share = near * (2.0 - near)
                    gram += (dd + near * (dc + dc.T) + near**2 * cc) / share
                else:
                    decay = rho**d
                    near = 1.0 + decay
                    share = near * (1.0 - decay)
                    gram += (ss - near * (sc + sc.T) + near**2 * cc) / share
                logdet += count * np.log(share)
            return gram, logdet
        acf = _ar_acf(ar, self.order)
        chol = linalg.cholesky(linalg.toeplitz(acf[: self.order]), lower=True)
        innovation2 = 1.0 - float(np.dot(ar, acf[1: self.order + 1]))
        # coefficients of (z_{t-p}, z_t - z_{t-1}, ..., z_{t-p+1} - z_{t-p}) in z_t - sum phi_j z_{t-j}
        coef = np.r_[1.0 - float(np.sum(ar)), np.cumsum(np.r_[1.0, -ar])[: self.order]]
        for head, cross, m in self.lagged:
            # np.linalg.solve: scipy's solve_triangular takes ~30 ms on these 2 x 2 systems
            wh = np.linalg.solve(chol, head)
            gram += wh.T @ wh + np.einsum("a,b,abkl->kl", coef, coef, cross) / innovation2
            logdet += 2.0 * float(np.sum(np.log(np.diag(chol)))) + (m - self.order) * np.log(
                innovation2)
        for zb, tb in self.dense:
            factor = _dense_factor(ar, tb)
            wz = factor @ zb
            gram += wz.T @ wz
            logdet -= 2.0 * float(np.sum(np.log(np.diag(factor))))
        return gram, logdet

    def pieces(self, ar: np.ndarray) -> tuple[float, float, float]:
        """(rss, log|R|, log|X'R^-1X|) of the GLS fit at `ar`."""
        gram, logdet = self.at(ar)
        xtx, xte = gram[1:, 1:], gram[1:, 0]
        rss = float(gram[0, 0] - xte @ np.linalg.solve(xtx, xte))
        return rss, logdet, float(np.linalg.slogdet(xtx)[1])


def neg_profile_reml(ar: np.ndarray, gram: Gram) -> float:
    """-l_R(phi) with sigma^2 profiled out (constants dropped)."""
    rss, logdet_r, logdet_xrx = gram.pieces(ar)
    df = gram.n - gram.k
    return 0.5 * (df * np.log(rss / df) + logdet_r + logdet_xrx)


def reml_loglik(log_sigma2: float, ar: np.ndarray, gram: Gram) -> float:
    """The restricted log-likelihood at (log sigma^2, phi), sigma^2 not profiled (constants
    dropped): -1/2 [(n-k) log s2 + log|R| + log|X'R^-1X| + r'R^-1 r / s2]."""
    rss, logdet_r, logdet_xrx = gram.pieces(ar)
    return -0.5 * ((gram.n - gram.k) * log_sigma2 + logdet_r + logdet_xrx
                   + rss / np.exp(log_sigma2))


@dataclass(frozen=True)
class ARFit:
    """GLS results and the REML autoregressive coefficients."""

    result: RegressionResultsWrapper  # statsmodels OLS of the whitened data (= GLS)
    ar_params: np.ndarray
    reml_loglik: float
    at_bound: bool
    sigma2: float
    whitened: Whitened
    gram: Gram


def search_ar1(objective: Callable[[np.ndarray], float]) -> tuple[np.ndarray, float]:
    """Profile on `RHO_GRID`, then Brent's method between the neighbours of every local
    maximum of the grid (the profile can have an interior peak and a higher edge, or the
    reverse), keeping the best."""
    values = np.array([objective(np.array([r])) for r in RHO_GRID])
    padded = np.r_[np.inf, values, np.inf]
    peaks = np.flatnonzero((values <= padded[:-2]) & (values <= padded[2:]))
    best_rho, best_value = float(RHO_GRID[np.argmin(values)]), float(values.min())
    for i in peaks:
        low, high = RHO_GRID[max(i - 1, 0)], RHO_GRID[min(i + 1, len(RHO_GRID) - 1)]
        found = optimize.minimize_scalar(lambda r: objective(np.array([r])),
                                         bounds=(low, high), method="bounded",
                                         options={"xatol": 1e-10})
        if found.fun < best_value:
            best_rho, best_value = float(found.x), float(found.fun)
    return np.array([best_rho]), best_value


def search_arp(profile: Callable[[np.ndarray], float], y: np.ndarray, x: np.ndarray,
               order: int) -> tuple[np.ndarray, float]:
    """BFGS in the unconstrained parametrisation from the best points of a PACF grid (p <= 2)
    or from zero and Yule-Walker values."""
    def objective(u: np.ndarray) -> float:
        return profile(constrain_stationary_univariate(u))

    if order <= 2:
        grid = np.linspace(-0.8, 0.8, 9)
        pacfs = np.array(np.meshgrid(*[grid] * order)).reshape(order, -1).T
        # the unconstrained value of a partial autocorrelation r is r / sqrt(1 - r^2)
        starts = [pacf / np.sqrt(1 - pacf**2) for pacf in pacfs]
        values = [objective(u) for u in starts]
        starts = [starts[i] for i in np.argsort(values)[:3]]
    else:
        resid = OLS(y, x).fit().resid
        yw, _ = yule_walker(resid, order=order)
        starts = [np.zeros(order)]
        if np.max(np.abs(np.roots(np.r_[1.0, -yw]))) < 1:
            starts.append(unconstrain_stationary_univariate(yw))
    best = None
    for start in starts:
        found = optimize.minimize(objective, start, method="BFGS", options={"gtol": 1e-8})
        if best is None or found.fun < best.fun:
            best = found
    assert best is not None
    return constrain_stationary_univariate(best.x), float(best.fun)


def fit_ar_reml(y: pd.Series, x: pd.DataFrame, t: np.ndarray, order: int = 1,
                units: np.ndarray | None = None) -> ARFit:
    """REML AR(`order` >= 2) errors, then GLS (OLS of the whitened data; t inference on n-k df
    unless a small-sample method replaces it). AR(1) is `reml_ar1.fit_ar1` (analytic
    derivatives, batched over series).

    `t` is each row's period number (gaps allowed), `units` the unit of each row (rows of a
    unit in time order)."""
    if order < 2:
        raise ValueError("fit_ar_reml fits AR(p >= 2); AR(1) is reml_ar1.fit_ar1")
    names = list(x.columns)
    y, xv, t = np.asarray(y, float), np.asarray(x, float), np.asarray(t, int)
    blocks = blocks_of(units, len(y))
    gram = Gram(y, xv, t, blocks, order)
    ar, value = search_arp(lambda a: neg_profile_reml(a, gram), y, xv, order)
    at_bound = near_unit_root(ar)
    wd = whiten(ar, y, xv, t, blocks)
    result = OLS(wd.ys, pd.DataFrame(wd.xs, columns=names)).fit(use_t=True)
    n, k = wd.xs.shape
    return ARFit(result, ar, -value, at_bound, wd.rss / (n - k), wd, gram)


def central_hessian(f: Callable[[np.ndarray], float], theta: np.ndarray,
                    steps: np.ndarray) -> np.ndarray:
    """Hessian of `f` at `theta` by central differences with the given step per coordinate (the
    ML information of errors="arima" and the REML information behind Kenward-Roger). Written
    here rather than with statsmodels' `approx_hess3`, whose steps and formula differ, so that
    both keep the numbers they were validated with against R."""
    m = len(theta)
    out = np.empty((m, m))
    f0 = f(theta)
    for i in range(m):
        ei = np.zeros(m)
        ei[i] = steps[i]
        out[i, i] = (f(theta + ei) - 2 * f0 + f(theta - ei)) / steps[i] ** 2
        for j in range(i):
            ej = np.zeros(m)
            ej[j] = steps[j]
            out[i, j] = out[j, i] = (f(theta + ei + ej) - f(theta + ei - ej)
                                     - f(theta - ei + ej) + f(theta - ei - ej)) / (
                                         4 * steps[i] * steps[j])
    return out
