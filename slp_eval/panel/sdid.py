"""Synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg, Imbens and Wager 2021,
*American Economic Review* 111(12): 4088-4118), as R `synthdid` 0.0.9 computes it.

    tau = (mean of treated - sum_i omega_i Y_i) over post periods
          - sum_t lambda_t (mean of treated - sum_i omega_i Y_i) at pre period t

with unit weights omega (simplex, intercept, ridge zeta_omega = (N_tr T_post)^(1/4) sigma, sigma
the standard deviation of the donors' first differences in the pre-period) and time weights
lambda (simplex, intercept, ridge 1e-6 sigma), each found by synthdid's Frank-Wolfe solver with
its stopping rule (min_decrease = 1e-5 sigma, 10,000 iterations) and one sparsification round.
`sc` and `did` are the same estimator with synthdid's `sc_estimate` and `did_estimate` options.

Standard errors (Algorithms 2-4 of the paper, R `vcov.synthdid_estimate`): `placebo` (donors
reassigned as treated, weights re-fitted from the estimate's weights), `jackknife` (fixed weights,
leave one unit out; needs 2+ treated units), `bootstrap` (units resampled; needs 2+ treated units).
Written by hand: no maintained Python package implements it (see `slp_eval.panel.simplex`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import combinations

import numpy as np

from slp_eval.panel.simplex import sc_weight_fw_batch, sparsify

__all__ = ["SDIDOptions", "SDIDWeights", "collapsed_form", "sdid_estimate", "sdid_se",
           "sdid_weights_batch"]


@dataclass(frozen=True)
class SDIDOptions:
    """The options R `synthdid_estimate` records in attr(estimate, 'opts')."""

    zeta_omega: float
    zeta_lambda: float
    omega_intercept: bool = True
    lambda_intercept: bool = True
    update_omega: bool = True
    update_lambda: bool = True
    min_decrease: float = 1e-5
    max_iter: int = 10_000
    max_iter_pre_sparsify: int = 100
    sparsify: bool = True


@dataclass(frozen=True)
class SDIDWeights:
    omega: np.ndarray
    lam: np.ndarray


def noise_level(Y: np.ndarray, N0: int, T0: int) -> float:
    """sd of the donors' first differences over the pre-period (R: sd(apply(Y[1:N0,1:T0],1,diff)))."""
    diffs = np.diff(Y[:N0, :T0], axis=1)
    return float(np.std(diffs, ddof=1)) if diffs.size > 1 else 0.0


def collapsed_form(Y: np.ndarray, N0: int, T0: int) -> np.ndarray:
    """(N0 + 1) x (T0 + 1): donors x pre-periods, the post-period mean column, the treated mean row
    (for a stack of matrices, B x N x T, one per matrix)."""
    top = np.concatenate([Y[..., :N0, :T0], Y[..., :N0, T0:].mean(axis=-1, keepdims=True)], axis=-1)
    bottom = np.concatenate([Y[..., N0:, :T0].mean(axis=-2, keepdims=True),
                             Y[..., N0:, T0:].mean(axis=(-2, -1), keepdims=True)], axis=-1)
    return np.concatenate([top, bottom], axis=-2)


def default_options(Y: np.ndarray, N0: int, T0: int, method: str) -> tuple[SDIDOptions, SDIDWeights | None]:
    """synthdid's defaults for `synthdid_estimate` (method "sdid"), `sc_estimate` ("sc") and
    `did_estimate` ("did"): the options and any fixed weights."""
    N1, T1 = Y.shape[0] - N0, Y.shape[1] - T0
    sigma = noise_level(Y, N0, T0)
    eta_omega = (N1 * T1) ** 0.25 if method == "sdid" else 1e-6
    opts = SDIDOptions(zeta_omega=eta_omega * sigma, zeta_lambda=1e-6 * sigma,
                       min_decrease=1e-5 * sigma)
    if method == "sc":
        return replace(opts, omega_intercept=False, update_lambda=False), SDIDWeights(
            np.full(N0, np.nan), np.zeros(T0))
    if method == "did":
        return replace(opts, update_lambda=False, update_omega=False), SDIDWeights(
            np.full(N0, 1.0 / N0), np.full(T0, 1.0 / T0))
    return opts, None


def _fit(Yc: np.ndarray, zeta: float, intercept: bool, init: np.ndarray | None,
         opts: SDIDOptions) -> np.ndarray:
    """B problems of one shape: synthdid's first Frank-Wolfe round, sparsify, second round."""
    first = opts.max_iter_pre_sparsify if opts.sparsify else opts.max_iter
    w, _ = sc_weight_fw_batch(Yc, zeta, intercept=intercept, lam=init, min_decrease=opts.min_decrease,
                              max_iter=first)
    if opts.sparsify:
        w, _ = sc_weight_fw_batch(Yc, zeta, intercept=intercept, lam=sparsify(w),
                                  min_decrease=opts.min_decrease, max_iter=opts.max_iter)
    return w


def sdid_weights_batch(Ys: np.ndarray, N0: int, T0: int, opts: SDIDOptions,
                       inits: list[SDIDWeights] | None = None) -> list[SDIDWeights]:
    """omega and lambda as `synthdid_estimate` finds them (no covariates), for a stack B x N x T of
    panels with the same N0 and T0 (each with its own initial weights, or synthdid's uniform ones)."""
    B = Ys.shape[0]
    Yc = collapsed_form(Ys, N0, T0)
    lam = None if inits is None else np.vstack([w.lam for w in inits])
    omega = None
    if inits is not None and all(np.all(np.isfinite(w.omega)) for w in inits):
        omega = np.vstack([w.omega for w in inits])
    if opts.update_lambda:
        lam = _fit(Yc[:, :N0, :], opts.zeta_lambda, opts.lambda_intercept, lam, opts)
    if opts.update_omega:
        omega = _fit(np.swapaxes(Yc[:, :, :T0], 1, 2), opts.zeta_omega, opts.omega_intercept, omega, opts)
    assert lam is not None and omega is not None
    return [SDIDWeights(omega[k], lam[k]) for k in range(B)]


def _estimate(Y: np.ndarray, N0: int, T0: int, weights: SDIDWeights) -> float:
    N1, T1 = Y.shape[0] - N0, Y.shape[1] - T0
    unit = np.append(-weights.omega, np.full(N1, 1.0 / N1))
    time = np.append(-weights.lam, np.full(T1, 1.0 / T1))
    return float(unit @ Y @ time)


def sdid_estimate(Y: np.ndarray, N0: int, T0: int, opts: SDIDOptions,
                  init: SDIDWeights | None = None) -> tuple[float, SDIDWeights]:
    """The estimate and its weights."""
    weights = sdid_weights_batch(Y[None], N0, T0, opts, None if init is None else [init])[0]
    return _estimate(Y, N0, T0, weights), weights


def _estimates(panels: list[np.ndarray], N0s: list[int], T0: int, opts: SDIDOptions,
               inits: list[SDIDWeights]) -> np.ndarray:
    """Estimates of many panels, those of one shape and N0 fitted in one batch."""
    out = np.empty(len(panels))
    groups: dict[tuple[int, int], list[int]] = {}
    for k, (Y, n0) in enumerate(zip(panels, N0s, strict=True)):
        groups.setdefault((Y.shape[0], n0), []).append(k)
    for (_, n0), members in groups.items():
        stack = np.stack([panels[k] for k in members])
        weights = sdid_weights_batch(stack, n0, T0, opts, [inits[k] for k in members])
        for k, w in zip(members, weights, strict=True):
            out[k] = _estimate(panels[k], n0, T0, w)
    return out


def effect_curve(Y: np.ndarray, N0: int, T0: int, weights: SDIDWeights) -> np.ndarray:
    """synthdid_effect_curve: the post-period effects whose mean is the estimate."""
    N1 = Y.shape[0] - N0
    gap = np.append(-weights.omega, np.full(N1, 1.0 / N1)) @ Y
    return gap[T0:] - gap[:T0] @ weights.lam


def _sum_normalize(x: np.ndarray) -> np.ndarray:
    total = x.sum()
    return x / total if total != 0 else np.full(x.size, 1.0 / x.size)


def placebo_draws(N0: int, N1: int, replications: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Permutations of the donors (last N1 = placebo treated) as R's `sample(1:N0)`; every
    placebo-treated set exactly once when there are no more such sets than `replications`."""
    n_sets = int(np.prod([N0 - k for k in range(N1)]) // np.prod(range(1, N1 + 1)))
    if n_sets <= replications:
        draws = []
        for chosen in combinations(range(N0), N1):
            rest = [i for i in range(N0) if i not in chosen]
            draws.append(np.array([*rest, *chosen]))
        return draws
    return [rng.permutation(N0) for _ in range(replications)]


def placebo_estimates(Y: np.ndarray, N0: int, T0: int, opts: SDIDOptions, weights: SDIDWeights,
                      draws: list[np.ndarray]) -> np.ndarray:
    """Algorithm 4: each draw's last N1 donors treated, the rest donors, weights re-fitted."""
    N1 = Y.shape[0] - N0
    n0 = N0 - N1
    inits = [SDIDWeights(_sum_normalize(weights.omega[ind[:n0]]), weights.lam) for ind in draws]
    return _estimates([Y[ind] for ind in draws], [n0] * len(draws), T0, opts, inits)


def jackknife_se(Y: np.ndarray, N0: int, T0: int, opts: SDIDOptions, weights: SDIDWeights) -> float:
    """Algorithm 3 (fixed weights): NaN with one treated unit or one donor of nonzero weight."""
    N = Y.shape[0]
    if N0 == N - 1 or np.sum(weights.omega != 0) == 1:
        return float("nan")
    fixed = replace(opts, update_omega=False, update_lambda=False)
    u = np.empty(N)
    for i in range(N):
        ind = np.delete(np.arange(N), i)
        controls = ind[ind < N0]
        init = SDIDWeights(_sum_normalize(weights.omega[controls]), weights.lam)
        u[i] = _estimate(Y[ind], controls.size, T0, sdid_weights_batch(Y[ind][None], controls.size, T0,
                                                                        fixed, [init])[0])
    return float(np.sqrt(((N - 1) / N) * (N - 1) * np.var(u, ddof=1)))


def bootstrap_draws(N: int, N0: int, replications: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Unit resamples with at least one donor and one treated unit (R `bootstrap_sample`)."""
    draws: list[np.ndarray] = []
    while len(draws) < replications:
        ind = rng.integers(0, N, size=N)
        if np.any(ind < N0) and np.any(ind >= N0):
            draws.append(np.sort(ind))
    return draws


def bootstrap_estimates(Y: np.ndarray, N0: int, T0: int, opts: SDIDOptions, weights: SDIDWeights,
                        draws: list[np.ndarray]) -> np.ndarray:
    """Algorithm 2: each resample re-fitted, weights initialised from the estimate's."""
    inits = [SDIDWeights(_sum_normalize(weights.omega[ind[ind < N0]]), weights.lam) for ind in draws]
    return _estimates([Y[ind] for ind in draws], [int(np.sum(ind < N0)) for ind in draws], T0, opts,
                      inits)


def sdid_se(Y: np.ndarray, N0: int, T0: int, opts: SDIDOptions, weights: SDIDWeights, method: str,
            replications: int = 200, seed: int = 0) -> tuple[float, np.ndarray]:
    """(standard error, the replicate estimates) by `method`: "placebo", "jackknife", "bootstrap".

    placebo and bootstrap: sqrt((r - 1) / r) * sd of the r replicates (R's scaling)."""
    rng = np.random.default_rng(seed)
    N1 = Y.shape[0] - N0
    if method == "jackknife":
        return jackknife_se(Y, N0, T0, opts, weights), np.array([])
    if method == "placebo":
        if N0 <= N1:
            return float("nan"), np.array([])
        reps = placebo_estimates(Y, N0, T0, opts, weights, placebo_draws(N0, N1, replications, rng))
    elif method == "bootstrap":
        if N1 == 1:
            return float("nan"), np.array([])
        reps = bootstrap_estimates(Y, N0, T0, opts, weights,
                                   bootstrap_draws(Y.shape[0], N0, replications, rng))
    else:
        raise ValueError(f"se method {method!r}")
    r = reps.size
    return float(np.sqrt((r - 1) / r) * np.std(reps, ddof=1)), reps
