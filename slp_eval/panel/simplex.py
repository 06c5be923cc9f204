"""Least squares over the unit simplex: the weight problems of synthetic control and SDiD.

Two solvers, each the one its reference implementation uses:

- `simplex_lsq(A, b)`: the exact minimiser of ||A w - b||^2 over {w >= 0, sum w = 1}, the inner
  problem of Abadie, Diamond and Hainmueller's synthetic control (R `Synth` solves it with the
  interior-point `ipop`). The sum-to-one constraint is imposed by weighting (Lawson and Hanson
  1974, *Solving Least Squares Problems*, ch. 22): scipy's Lawson-Hanson NNLS on A stacked over a
  heavily weighted row of ones; the support it finds is then solved exactly from the KKT system
  (equality-constrained least squares on the support), so the weights are exact, not approximate.
- `sc_weight_fw_batch(Y, zeta, ...)`: the Frank-Wolfe solver of R `synthdid` (Arkhangelsky et al. 2021,
  `R/solver.R`), ported line by line, because SDiD's published numbers are those of this solver
  with its stopping rule and sparsification, not of the exact optimum.

Written by hand: scipy has NNLS but no simplex-constrained least squares, and no maintained Python
package reproduces synthdid's solver (the one port on PyPI, synthdid-py 0.1.0, is a single
release of July 2026 with no history of maintenance).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import nnls

__all__ = ["sc_weight_fw_batch", "simplex_lsq", "sparsify"]


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
    """synthdid's `sparsify_function`: weights at most max/4 set to zero, the rest renormalised
    (along the last axis: one weight vector, or one per row)."""
    v = np.array(v, dtype=float)
    v[v <= v.max(axis=-1, keepdims=True) / 4] = 0.0
    return v / v.sum(axis=-1, keepdims=True)


def sc_weight_fw_batch(Y: np.ndarray, zeta: float, *, intercept: bool = True,
                       lam: np.ndarray | None = None, min_decrease: float = 1e-3,
                       max_iter: int = 1000) -> tuple[np.ndarray, list[np.ndarray]]:
    """synthdid `sc.weight.fw` for B problems of one shape at once: weights on the first T0 columns
    of each Y[b] (N0 x (T0 + 1)) reproducing its last column, ridge penalty zeta^2 N0 ||w||^2,
    optional intercept (columns demeaned); `lam` (B x T0) the initial weights (uniform if None).

    Each iteration is synthdid's `fw.step` for every problem still running (Frank-Wolfe with exact
    line search for ||A x - b||^2 + eta ||x||^2, eta = N0 zeta^2: the vertex of the smallest
    half-gradient, the step -g'd / (||A d||^2 + eta ||d||^2) clipped to [0, 1]); a problem stops when
    an iteration lowers its objective by less than min_decrease^2, or at max_iter, exactly as R
    decides it for each one alone. A x and the gradient A'(A x - b) are updated along the step
    instead of recomputed (the same numbers to rounding). One loop serves a placebo or bootstrap
    grid: the batched form of the fit (as `fit_its_many` batches ITS fits).

    Returns (B x T0 weights, each problem's objective values by iteration)."""
    Y = np.asarray(Y, dtype=float)
    B, N0, T1 = Y.shape
    T0 = T1 - 1
    x = np.full((B, T0), 1.0 / T0) if lam is None else np.array(lam, dtype=float, copy=True)
    if intercept:
        Y = Y - Y.mean(axis=1, keepdims=True)
    A, b = Y[:, :, :T0], Y[:, :, T0]
    eta = N0 * zeta**2
    gram = np.einsum("bni,bnj->bij", A, A)
    cross = np.einsum("bni,bn->bi", A, b)
    Ax = np.einsum("bni,bi->bn", A, x)
    grad = np.einsum("bni,bn->bi", A, Ax - b)
    vals = np.full((B, max_iter), np.nan)
    running = np.arange(B)
    t = 0
    while running.size and t < max_iter:
        r = running
        half_grad = grad[r] + eta * x[r]
        i = np.argmin(half_grad, axis=1)
        d_x = -x[r]
        d_x[np.arange(r.size), i] += 1.0
        d_err = A[r, :, i] - Ax[r]
        denominator = np.einsum("bn,bn->b", d_err, d_err) + eta * np.einsum("bi,bi->b", d_x, d_x)
        moving = np.any(d_x != 0, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(moving, -np.einsum("bi,bi->b", half_grad, d_x) / denominator, 0.0)
        step = np.clip(step, 0.0, 1.0)
        x[r] = x[r] + step[:, None] * d_x
        Ax[r] = Ax[r] + step[:, None] * d_err
        grad[r] = (1 - step)[:, None] * grad[r] + step[:, None] * (gram[r, :, i] - cross[r])
        err = Ax[r] - b[r]
        vals[r, t] = zeta**2 * np.einsum("bi,bi->b", x[r], x[r]) + np.einsum("bn,bn->b", err, err) / N0
        t += 1
        if t >= 2:
            running = r[vals[r, t - 2] - vals[r, t - 1] > min_decrease**2]
    return x, [v[np.isfinite(v)] for v in vals]
