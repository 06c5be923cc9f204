"""REML AR(1) regression for one or many series at once, with analytic derivatives.

The model of `reml.py` for order 1: y = X b + u, Var(u) = Sigma = sigma^2 R(rho), R_ij =
rho^|t_i - t_j| within a unit (sigma^2 the marginal variance; rows left out keep their time
distances), theta = (log sigma^2, rho). With the whitening rows of `reml.Gram`,
    w_0 = z_0,  w_i = (z_i - r_i z_{i-1}) / sqrt(1 - r_i^2),  r_i = rho^(d_i),
d_i the step in periods to the row before, Z' R^-1 Z is a sum over the steps d of fixed cross
products of the rows weighted by rational functions of r = rho^d:
    r >= 0:  (D + (1 - r) M + (1 - r)^2 P) / (1 - r^2),   D = sum dz dz', M = sum dz pz' + pz dz'
    r < 0:   (S - (1 + r) N + (1 + r)^2 P) / (1 - r^2),   S = sum sz sz', N = sum sz pz' + pz sz'
(pz the row before, dz / sz the difference / sum of the two rows: no cancellation near
rho = +-1), and log|R| = sum_d n_d log(1 - r_d^2). Their first and second derivatives in rho
are closed-form, so the profile restricted log-likelihood (sigma^2 and b profiled out),
    -l_R(rho) = 1/2 [(n-k) log(rss/(n-k)) + log|R| + log|X'R^-1X|],
its gradient and curvature (rss' = v'G'v, rss'' = v'G''v - 2 c'M^-1 c with G = Z'R^-1Z,
v = (1, -b), c = X'(R^-1)'e_b: the envelope theorem), the observed REML information in theta and
the Kenward-Roger pieces are exact to rounding. Every series with the same rows (and design, or
a design per series) is evaluated in one set of array operations; a single `fit_its` is the
case of one series, so `fit_its` and `fit_its_many` run the same arithmetic.

Search: the profile on `reml.RHO_GRID`; from every local minimum of the grid, safeguarded
Newton on d(-l_R)/drho inside the bracket of its grid neighbours (bisection on the sign of the
derivative when a Newton step leaves the bracket or the curvature is not positive), to
rounding; the best is kept. A grid minimum at an end of the range with the derivative pointing
outwards stays on that bound (`at_bound`).

Small-sample inference (`small_sample.py` for the formulas; Kenward & Roger 1997): P_ls = -Phi^-1,
P_rho = X'(dR^-1/drho)X / sigma^2, and of the Lambda sum only the (rho, rho) term is non-zero,
    Lambda = W_rr (Q_rr - P_rho Phi P_rho),  Q_rr = Y'R Y / sigma^2,  Y = (dR^-1/drho) X,
with R Y by the backward and forward AR(1) recursions (R^-1 = L'L, L lower bidiagonal). This is
written here because no library gives REML AR(1) regression with these derivatives (see
`reml.py`; statsmodels has no REML for GLS errors).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from slp_eval.its.reml import RHO_BOUND, RHO_GRID

#: Newton iterations at most (each step is quadratic near the optimum; bisection otherwise).
MAX_STEPS = 200
#: The search stops when the Newton step in rho is below this (relative to max(1, |rho|)).
TOLERANCE = 1e-12
#: Series per chunk of the Kenward-Roger recursion (bounds the memory of G x n x k arrays).
CHUNK = 512


@dataclass(frozen=True)
class Rows:
    """The AR(1) structure of the rows: each row's step to the row before (0 for a unit's
    first row), in model order."""

    step: np.ndarray

    @classmethod
    def of(cls, t: np.ndarray, blocks: list[np.ndarray]) -> Rows:
        """`t` the period of each row, `blocks` the rows of each unit (consecutive)."""
        order = np.concatenate(blocks)
        if not np.array_equal(order, np.arange(len(t))):
            raise ValueError("units must be consecutive blocks of rows")
        step = np.zeros(len(t), int)
        for rows in blocks:
            step[rows[1:]] = np.diff(np.asarray(t)[rows])
        return cls(step)


def _weights(rho: np.ndarray, d: int, derivatives: bool) -> list[np.ndarray]:
    """Weights of (D, M, S, N, P) for step d at each rho (len(rho) x 5) and, if asked, their
    first and second derivatives in rho."""
    r = rho**d
    pos = (r >= 0).astype(float)
    neg = 1.0 - pos
    share = (1 - r) * (1 + r)
    ip, im = 1 / (1 + r), 1 / (1 - r)
    w0 = 1 / share
    out = [np.stack([pos * w0, pos * ip, neg * w0, -neg * im, pos * (2 * ip - 1)
                     + neg * (2 * im - 1)], axis=1)]
    if not derivatives:
        return out
    r1 = d * rho ** (d - 1)
    r2 = d * (d - 1) * rho ** max(d - 2, 0)
    w0d, w0dd = 2 * r * w0**2, (2 + 6 * r**2) * w0**3
    first = np.stack([pos * w0d, -pos * ip**2, neg * w0d, -neg * im**2,
                      -2 * pos * ip**2 + 2 * neg * im**2], axis=1)
    second = np.stack([pos * w0dd, 2 * pos * ip**3, neg * w0dd, -2 * neg * im**3,
                       4 * pos * ip**3 + 4 * neg * im**3], axis=1)
    return [*out, first * r1[:, None], second * (r1**2)[:, None] + first * r2[:, None]]


def _logdet(rho: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log(1 - r^2), r = rho^d, and its first two derivatives in rho."""
    r = rho**d
    r1 = d * rho ** (d - 1)
    r2 = d * (d - 1) * rho ** max(d - 2, 0)
    h1 = -1 / (1 - r) + 1 / (1 + r)
    h2 = -1 / (1 - r) ** 2 - 1 / (1 + r) ** 2
    return np.log1p(-r) + np.log1p(r), h1 * r1, h2 * r1**2 + h1 * r2


@dataclass(frozen=True)
class Profile:
    """-l_R(rho) of each series and, when asked, its derivatives; with the GLS pieces."""

    value: np.ndarray
    grad: np.ndarray | None
    curv: np.ndarray | None
    rss: np.ndarray
    delta: np.ndarray  # GLS coefficients of the OLS residual on X (G x k)
    m: np.ndarray  # X'R^-1X (G x k x k)
    m1: np.ndarray | None  # its derivative in rho
    rss1: np.ndarray | None
    rss2: np.ndarray | None
    logdet_m2: np.ndarray | None
    logdet_r2: np.ndarray | None


class AR1Batch:
    """Lagged cross products of Z = [e, X] for G series sharing their rows (e the OLS residual
    of each series, X one design n x k or one per series G x n x k), in O(n k^2 G) once."""

    def __init__(self, x: np.ndarray, y: np.ndarray, rows: Rows) -> None:
        self.shared = x.ndim == 2
        n, k = x.shape[-2:]
        self.n, self.k, self.g = n, k, y.shape[1]
        if self.shared:
            self.b_ols = np.linalg.lstsq(x, y, rcond=None)[0]  # k x G
            e = y - x @ self.b_ols
        else:
            self.b_ols = np.einsum("gkn,ng->kg", np.linalg.pinv(x), y)
            e = y - np.einsum("gnk,kg->ng", x, self.b_ols)

        def cross(b: np.ndarray, a: np.ndarray) -> np.ndarray:  # sum_m b_mg a_mk: G x k
            return b.T @ a if self.shared else np.einsum("mg,gmk->gk", b, a)

        first = np.flatnonzero(rows.step == 0)
        xf = x[..., first, :]
        self.first = (xf.swapaxes(-1, -2) @ xf, cross(e[first], xf), (e[first] ** 2).sum(axis=0))
        self.steps = [int(d) for d in np.unique(rows.step[rows.step > 0])]
        self.counts = [int((rows.step == d).sum()) for d in self.steps]
        xx, ex, ee = [], [], []
        for d in self.steps:
            cur = np.flatnonzero(rows.step == d)
            xc, xp, ec, ep = x[..., cur, :], x[..., cur - 1, :], e[cur], e[cur - 1]
            for a, b in ((xc - xp, ec - ep), (xc + xp, ec + ep)):
                xx += [a.swapaxes(-1, -2) @ a,
                       a.swapaxes(-1, -2) @ xp + xp.swapaxes(-1, -2) @ a]
                ex += [cross(b, a), cross(b, xp) + cross(ep, a)]
                ee += [(b**2).sum(axis=0), 2 * (b * ep).sum(axis=0)]
            xx.append(xp.swapaxes(-1, -2) @ xp)
            ex.append(cross(ep, xp))
            ee.append((ep**2).sum(axis=0))
        # per step: D, M, S, N, P (the order of `_weights`)
        self.xx, self.ex, self.ee = np.stack(xx), np.stack(ex), np.stack(ee)

    def profile(self, rho: np.ndarray, which: np.ndarray, derivatives: bool) -> Profile:
        """-l_R at rho[i] for series which[i]."""
        parts = [_weights(rho, d, derivatives) for d in self.steps]
        w = [np.concatenate([p[j] for p in parts], axis=1) for j in range(len(parts[0]))]
        logs = [_logdet(rho, d) for d in self.steps]
        ldr = [sum(c * part[j] for c, part in zip(self.counts, logs, strict=True))
               + np.zeros_like(rho) for j in range(3)]
        xx = self.xx if self.shared else self.xx[:, which]
        first_xx = self.first[0] if self.shared else self.first[0][which]
        spec = "cj,jkl->ckl" if self.shared else "cj,jckl->ckl"
        ex, ee = self.ex[:, which], self.ee[:, which]

        def gram(j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            m = np.einsum(spec, w[j], xx)
            g = np.einsum("cj,jck->ck", w[j], ex)
            s = np.einsum("cj,jc->c", w[j], ee)
            if j == 0:
                m, g, s = m + first_xx, g + self.first[1][which], s + self.first[2][which]
            return m, g, s

        m, g, s = gram(0)
        inv = np.linalg.inv(m)
        delta = np.einsum("ckl,cl->ck", inv, g)
        rss = s - np.einsum("ck,ck->c", g, delta)
        df = self.n - self.k
        logdet_m = np.linalg.slogdet(m)[1]
        value = 0.5 * (df * np.log(rss / df) + ldr[0] + logdet_m)
        if not derivatives:
            return Profile(value, None, None, rss, delta, m, None, None, None, None, None)
        m1, g1, s1 = gram(1)
        m2, g2, s2 = gram(2)

        def quad(mat: np.ndarray, vec: np.ndarray) -> np.ndarray:
            return np.einsum("ck,ckl,cl->c", delta, mat, delta) - 2 * np.einsum(
                "ck,ck->c", delta, vec)

        rss1 = s1 + quad(m1, g1)
        c = g1 - np.einsum("ckl,cl->ck", m1, delta)
        rss2 = s2 + quad(m2, g2) - 2 * np.einsum("ck,ckl,cl->c", c, inv, c)
        inv_m1 = inv @ m1
        logdet_m1 = np.trace(inv_m1, axis1=1, axis2=2)
        logdet_m2 = (np.trace(inv @ m2, axis1=1, axis2=2)
                     - np.einsum("cij,cji->c", inv_m1, inv_m1))
        grad = 0.5 * (df * rss1 / rss + ldr[1] + logdet_m1)
        curv = 0.5 * (df * (rss2 / rss - (rss1 / rss) ** 2) + ldr[2] + logdet_m2)
        return Profile(value, grad, curv, rss, delta, m, m1, rss1, rss2, logdet_m2, ldr[2])

    def search(self) -> tuple[np.ndarray, np.ndarray]:
        """REML rho of every series (see the module docstring) and -l_R there."""
        every = np.arange(self.g)
        values = np.stack([self.profile(np.full(self.g, r), every, False).value
                           for r in RHO_GRID], axis=1)  # G x grid
        padded = np.pad(values, ((0, 0), (1, 1)), constant_values=np.inf)
        series, at = np.nonzero((values <= padded[:, :-2]) & (values <= padded[:, 2:]))
        last = len(RHO_GRID) - 1
        low, high = RHO_GRID[np.maximum(at - 1, 0)], RHO_GRID[np.minimum(at + 1, last)]
        x = RHO_GRID[at].astype(float)
        done = np.zeros(len(x), bool)
        for _ in range(MAX_STEPS):
            live = np.flatnonzero(~done)
            if not len(live):
                break
            prof = self.profile(x[live], series[live], True)
            grad, curv = prof.grad, prof.curv
            assert grad is not None and curv is not None
            a, b, xl = low[live], high[live], x[live]
            a = np.where(grad < 0, xl, a)
            b = np.where(grad < 0, b, xl)
            with np.errstate(divide="ignore", invalid="ignore"):
                step = grad / curv
            newton = xl - step
            inside = (curv > 0) & (newton > a) & (newton < b)
            finished = ((curv > 0) & (np.abs(step) <= TOLERANCE * np.maximum(1, np.abs(xl)))
                        ) | (grad == 0) | (a == b)
            new = np.where(inside, newton, 0.5 * (a + b))
            new = np.where(finished, np.where(a == b, a, xl), new)
            low[live], high[live], x[live] = a, b, new
            done[live] = finished
        final = self.profile(x, series, False).value
        rho = np.empty(self.g)
        best = np.full(self.g, np.inf)
        for i in range(len(x)):  # candidates: each series' refined grid minima, best kept
            s = series[i]
            if final[i] < best[s]:
                best[s], rho[s] = final[i], x[i]
        return rho, best


@dataclass(frozen=True)
class AR1Fit:
    """REML AR(1) fits of G series: coefficient tables (k x G arrays) and per-series pieces."""

    rho: np.ndarray  # G
    neg_loglik: np.ndarray  # -l_R at rho (constants dropped)
    at_bound: np.ndarray  # G bool
    sigma2: np.ndarray
    beta: np.ndarray  # k x G
    phi: np.ndarray  # G x k x k plug-in covariance
    cov: np.ndarray  # G x k x k covariance of the method (Phi_A for kenward-roger)
    dphi: np.ndarray  # G x 2 x k x k: dPhi/d(log sigma^2), dPhi/drho
    w: np.ndarray  # G x 2 x 2 inverse information (rho row and column 0 when held)
    held: np.ndarray  # G bool: rho treated as known (bound, or information singular)
    table: dict[str, np.ndarray]  # estimate, std_err, ci_low, ci_high, p_value, df (k x G)


def _q_rho(x: np.ndarray, rows: Rows, rho: np.ndarray, sigma2: np.ndarray) -> np.ndarray:
    """Q_rr = Y'RY / sigma^2, Y = (dR^-1/drho) X, for each series (G x k x k)."""
    step = rows.step
    xs = np.broadcast_to(x, (len(rho), *x.shape[-2:])) if x.ndim == 2 else x
    link = step > 0
    expo = np.where(link, step, 1)
    r = np.where(link, rho[:, None] ** expo, 0.0)
    r1 = np.where(link, expo * rho[:, None] ** (expo - 1), 0.0)
    share = (1 - r) * (1 + r)
    root = np.sqrt(share)
    a, c = 1 / root, -r / root  # L: a_i on the diagonal, c_i below it (0 on a unit's first row)
    a1, c1 = r * r1 / (share * root), -r1 / (share * root)

    def below(coef: np.ndarray, v: np.ndarray) -> np.ndarray:  # (B v)_i = coef_i v_{i-1}
        out = np.zeros_like(v)
        out[:, 1:] = coef[:, 1:, None] * v[:, :-1]
        return out

    def above(coef: np.ndarray, v: np.ndarray) -> np.ndarray:  # (B' v)_j = coef_{j+1} v_{j+1}
        out = np.zeros_like(v)
        out[:, :-1] = coef[:, 1:, None] * v[:, 1:]
        return out

    lx = a[:, :, None] * xs + below(c, xs)
    ax = a1[:, :, None] * xs + below(c1, xs)
    y = a1[:, :, None] * lx + above(c1, lx) + a[:, :, None] * ax + above(c, ax)
    # L' u = y, backwards, rows first so that each step reads contiguous memory
    yt, at, ct = np.ascontiguousarray(y.transpose(1, 0, 2)), a.T[:, :, None], c.T[:, :, None]
    u = np.empty_like(yt)
    n = len(yt)
    u[n - 1] = yt[n - 1] / at[n - 1]
    for j in range(n - 2, -1, -1):
        u[j] = (yt[j] - ct[j + 1] * u[j + 1]) / at[j]
    return np.einsum("ngk,ngl->gkl", u, u) / sigma2[:, None, None]


def fit_ar1(x: np.ndarray, y: np.ndarray, rows: Rows, *, method: str, alpha: float) -> AR1Fit:
    """REML AR(1) + GLS of every column of `y` (n x G) on `x` (n x k, or G x n x k), with the
    small-sample `method` ("kenward-roger", "satterthwaite" or "none")."""
    batch = AR1Batch(x, y, rows)
    rho, value = batch.search()
    every = np.arange(batch.g)
    prof = batch.profile(rho, every, True)
    assert prof.m1 is not None and prof.rss1 is not None and prof.rss2 is not None
    assert prof.logdet_m2 is not None and prof.logdet_r2 is not None
    n, k = batch.n, batch.k
    df_resid = float(n - k)
    sigma2 = prof.rss / df_resid
    beta = batch.b_ols + prof.delta.T
    inv = np.linalg.inv(prof.m)
    phi = sigma2[:, None, None] * inv
    at_bound = np.abs(rho) >= RHO_BOUND - 1e-6
    info = np.empty((batch.g, 2, 2))
    info[:, 0, 0] = df_resid / 2.0
    info[:, 0, 1] = info[:, 1, 0] = -0.5 * prof.rss1 / sigma2
    info[:, 1, 1] = 0.5 * (prof.logdet_r2 + prof.logdet_m2 + prof.rss2 / sigma2)
    eigen = np.linalg.eigvalsh(info)
    held = at_bound | ~np.all(eigen > 1e-8 * np.max(np.abs(eigen), axis=1, keepdims=True), axis=1)
    w = np.zeros((batch.g, 2, 2))
    w[:, 0, 0] = 2.0 / df_resid
    free = ~held
    w[free] = np.linalg.inv(info[free])
    p_rho = prof.m1 / sigma2[:, None, None]
    dphi = np.stack([phi, -phi @ p_rho @ phi], axis=1)
    cov = phi
    if method == "kenward-roger":
        cov = phi.copy()
        free_ids = np.flatnonzero(free)
        for start in range(0, len(free_ids), CHUNK):
            ids = free_ids[start: start + CHUNK]
            q = _q_rho(x if batch.shared else x[ids], rows, rho[ids], sigma2[ids])
            lam = w[ids, 1, 1, None, None] * (q - p_rho[ids] @ phi[ids] @ p_rho[ids])
            adjusted = phi[ids] + 2 * phi[ids] @ lam @ phi[ids]
            cov[ids] = (adjusted + adjusted.swapaxes(1, 2)) / 2
    var = np.diagonal(phi, axis1=1, axis2=2)  # G x k
    if method == "none":
        df = np.full(var.shape, df_resid)
    else:
        g0, g1 = var, np.diagonal(dphi[:, 1], axis1=1, axis2=2)
        denominator = (w[:, 0, 0, None] * g0**2 + 2 * w[:, 0, 1, None] * g0 * g1
                       + w[:, 1, 1, None] * g1**2)
        with np.errstate(divide="ignore", invalid="ignore"):
            df = np.where(denominator > 0, 2.0 * var**2 / denominator, np.inf)
    se = np.sqrt(np.diagonal(cov, axis1=1, axis2=2))
    est = beta.T
    q_crit = stats.t.ppf(1 - alpha / 2, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_value = 2 * stats.t.sf(np.abs(est / se), df)
    table = {"estimate": est.T, "std_err": se.T, "ci_low": (est - q_crit * se).T,
             "ci_high": (est + q_crit * se).T, "p_value": p_value.T, "df": df.T}
    return AR1Fit(rho, value, at_bound, sigma2, beta, phi, cov, dphi, w, held, table)
