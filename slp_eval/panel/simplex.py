"""Least squares over the unit simplex: the weight problems of synthetic control and SDiD.

Two solvers, each the one its reference implementation uses:

- `simplex_lsq(A, b)`: the exact minimiser of ||A w - b||^2 over {w >= 0, sum w = 1}, the inner
  problem of Abadie, Diamond and Hainmueller's synthetic control (R `Synth` solves it with the
  interior-point `ipop`). The sum-to-one constraint is imposed by weighting (Lawson and Hanson
  1974, *Solving Least Squares Problems*, ch. 22): scipy's Lawson-Hanson NNLS on A stacked over a
  heavily weighted row of ones; the support it finds is then solved exactly from the KKT system
  (equality-constrained least squares on the support), so the weights are exact, not approximate.
- `sc_weight_fw(Y, zeta, ...)`: the Frank-Wolfe solver of R `synthdid` (Arkhangelsky et al. 2021,
  `R/solver.R`), ported line by line, because SDiD's published numbers are those of this solver
  with its stopping rule and sparsification, not of the exact optimum.

Written by hand: scipy has NNLS but no simplex-constrained least squares, and no maintained Python
package reproduces synthdid's solver (the one port on PyPI, synthdid-py 0.1.0, is a single
release of July 2026 with no history of maintenance).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import nnls

__all__ = ["sc_weight_fw", "simplex_lsq", "sparsify"]


def _kkt_polish(A: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Solve min ||A_S w_S - b||^2 s.t. sum w_S = 1 on the support S of `w`; keep `w` unless the
    exact solution is feasible (all weights > 0) and no worse."""
    support = np.flatnonzero(w > 0)
    if support.size == 0:
        return w
    As = A[:, support]
    k = support.size
    kkt = np.zeros((k + 1, k + 1))
    kkt[:k, :k] = As.T @ As
    kkt[:k, k] = kkt[k, :k] = 1.0
    rhs = np.append(As.T @ b, 1.0)
    try:
        solution = np.linalg.solve(kkt, rhs)[:k]
    except np.linalg.LinAlgError:  # more donors in the support than the rows determine
        solution = np.linalg.lstsq(kkt, rhs, rcond=None)[0][:k]
    if np.any(solution <= 0) or abs(solution.sum() - 1) > 1e-10:
        return w
    exact = np.zeros_like(w)
    exact[support] = solution
    before = np.sum((A @ w - b) ** 2)
    after = np.sum((A @ exact - b) ** 2)
    return exact if after <= before * (1 + 1e-12) + 1e-300 else w


def simplex_lsq(A: np.ndarray, b: np.ndarray, *, polish: bool = True) -> np.ndarray:
    """argmin_w ||A w - b||^2 subject to w >= 0 and sum(w) = 1 (exact; see the module docstring).

    `polish=False` skips the exact KKT solve on the support (the weighted NNLS solution alone,
    accurate to about 1e-8: what an outer optimiser needs at each step)."""
    A = np.asarray(A, dtype=float)
    b = np.asarray(b, dtype=float)
    if A.ndim != 2 or b.shape != (A.shape[0],):
        raise ValueError(f"simplex_lsq: A must be 2-d and b of length {A.shape[0]}")
    if A.shape[1] == 1:
        return np.ones(1)
    scale = max(1.0, float(np.abs(A).max()), float(np.abs(b).max()))
    weight = 1e4 * scale
    stacked = np.vstack([A, np.full((1, A.shape[1]), weight)])
    w, _ = nnls(stacked, np.append(b, weight), maxiter=50 * A.shape[1])
    total = w.sum()
    w = w / total if total > 0 else np.full(A.shape[1], 1.0 / A.shape[1])
    return _kkt_polish(A, b, w) if polish else w


def sparsify(v: np.ndarray) -> np.ndarray:
    """synthdid's `sparsify_function`: weights at most max/4 set to zero, the rest renormalised."""
    v = np.array(v, dtype=float)
    v[v <= v.max() / 4] = 0.0
    return v / v.sum()


def sc_weight_fw(Y: np.ndarray, zeta: float, *, intercept: bool = True, lam: np.ndarray | None = None,
                 min_decrease: float = 1e-3, max_iter: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """synthdid `sc.weight.fw`: weights on the first T0 columns of `Y` (N0 x (T0 + 1)) reproducing
    its last column, ridge penalty zeta^2 * N0 * ||w||^2, optional intercept (columns demeaned).

    Each iteration is synthdid's `fw.step` (Frank-Wolfe with exact line search for
    ||A x - b||^2 + eta ||x||^2, eta = N0 zeta^2): the vertex of the smallest half-gradient, the
    step -g'd / (||A d||^2 + eta ||d||^2) clipped to [0, 1]. A x and the gradient A'(A x - b) are
    updated along the step instead of recomputed (the same numbers to rounding, ten times faster);
    it stops when an iteration lowers the objective by less than min_decrease^2, or at max_iter.

    Returns (weights, the objective value at each iteration)."""
    Y = np.asarray(Y, dtype=float)
    N0, T1 = Y.shape
    T0 = T1 - 1
    x = np.full(T0, 1.0 / T0) if lam is None else np.asarray(lam, dtype=float).copy()
    if intercept:
        Y = Y - Y.mean(axis=0)
    A, b = Y[:, :T0], Y[:, T0]
    eta = N0 * zeta**2
    gram, cross = A.T @ A, A.T @ b
    Ax = A @ x
    grad = A.T @ (Ax - b)
    vals: list[float] = []
    t = 0
    while t < max_iter and (t < 2 or vals[t - 2] - vals[t - 1] > min_decrease**2):
        t += 1
        half_grad = grad + eta * x
        i = int(np.argmin(half_grad))
        d_x = -x
        d_x[i] += 1.0
        if np.any(d_x != 0):
            d_err = A[:, i] - Ax
            step = -(half_grad @ d_x) / (d_err @ d_err + eta * (d_x @ d_x))
            step = min(1.0, max(0.0, step))
            x = x + step * d_x
            Ax = Ax + step * d_err
            grad = (1 - step) * grad + step * (gram[:, i] - cross)
        err = Ax - b
        vals.append(zeta**2 * float(x @ x) + float(err @ err) / N0)
    return x, np.asarray(vals)
