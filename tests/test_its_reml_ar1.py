"""The analytic REML AR(1) of `reml_ar1.py` against independent numbers.

- its profile likelihood against `reml.neg_profile_reml` (the Gram of whitened rows, written
  separately) and a dense n x n restricted likelihood; its gradient and curvature against
  central differences of its own value;
- the REML rho: a stationary point (gradient ~ 0, curvature > 0) at least as good as a dense
  bounded search;
- the small-sample covariance and df against `small_sample.small_sample` (central differences
  of the likelihood and of R(rho), kept for AR(p >= 2)), to the accuracy of those differences;
- many series at once (shared or per-series designs) equal to one series at a time.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

from slp_eval.its.reml import Gram, blocks_of, neg_profile_reml
from slp_eval.its.reml_ar1 import AR1Batch, Rows, fit_ar1
from slp_eval.its.small_sample import small_sample


def _data(n: int, rho: float, seed: int, gaps: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t_all = np.arange(n + 6)
    noise = np.zeros(len(t_all))
    noise[0] = rng.normal() / np.sqrt(1 - rho**2)
    for i in range(1, len(t_all)):
        noise[i] = rho * noise[i - 1] + rng.normal()
    keep = np.ones(len(t_all), bool)
    if gaps:  # rows left out (phase-in): steps of 2 and 4 periods
        keep[[10, 20, 21, 22]] = False
    t = t_all[keep][:n]
    after = (t >= n // 2).astype(float)
    x = np.column_stack([np.ones(len(t)), t, after, after * (t - n // 2)])
    y = 5 + 0.2 * t - 2 * after + 2 * noise[keep][:n]
    return x, y, t


def _dense_neg_profile(rho: float, y: np.ndarray, x: np.ndarray, t: np.ndarray) -> float:
    r = rho ** np.abs(np.subtract.outer(t, t)).astype(float)
    inv = np.linalg.inv(r)
    xtx = x.T @ inv @ x
    resid = y - x @ np.linalg.solve(xtx, x.T @ inv @ y)
    df = len(y) - x.shape[1]
    return 0.5 * (df * np.log(resid @ inv @ resid / df) + np.linalg.slogdet(r)[1]
                  + np.linalg.slogdet(xtx)[1])


@pytest.mark.parametrize("gaps", [False, True])
@pytest.mark.parametrize("rho", [-0.85, -0.3, 0.0, 0.45, 0.93])
def test_profile_value_and_derivatives(rho: float, gaps: bool) -> None:
    x, y, t = _data(40, 0.5, seed=2, gaps=gaps)
    rows = Rows.of(t, blocks_of(None, len(t)))
    batch = AR1Batch(x, y[:, None], rows)
    gram = Gram(y, x, t, blocks_of(None, len(t)), 1)
    at = batch.profile(np.array([rho]), np.array([0]), True)
    assert at.value[0] == pytest.approx(neg_profile_reml(np.array([rho]), gram), abs=1e-9)
    assert at.value[0] == pytest.approx(_dense_neg_profile(rho, y, x, t), abs=1e-8)
    h = 1e-5
    up, down = (batch.profile(np.array([rho + s]), np.array([0]), True) for s in (h, -h))
    assert at.grad[0] == pytest.approx((up.value[0] - down.value[0]) / (2 * h), rel=1e-6, abs=1e-5)
    assert at.curv[0] == pytest.approx((up.grad[0] - down.grad[0]) / (2 * h), rel=1e-6, abs=1e-4)


@pytest.mark.parametrize(("rho", "seed", "gaps"), [(0.5, 1, False), (-0.4, 2, True),
                                                   (0.8, 3, True), (0.1, 4, False)])
def test_rho_is_the_reml_optimum(rho: float, seed: int, gaps: bool) -> None:
    x, y, t = _data(36, rho, seed, gaps)
    fit = fit_ar1(x, y[:, None], Rows.of(t, blocks_of(None, len(t))), method="none", alpha=0.05)
    batch = AR1Batch(x, y[:, None], Rows.of(t, blocks_of(None, len(t))))
    at = batch.profile(fit.rho, np.array([0]), True)
    assert abs(at.grad[0]) < 1e-8 and at.curv[0] > 0
    grid = np.linspace(-0.99, 0.99, 199)
    start = grid[np.argmin([_dense_neg_profile(r, y, x, t) for r in grid])]
    dense = optimize.minimize_scalar(lambda r: _dense_neg_profile(r, y, x, t),
                                     bounds=(start - 0.01, start + 0.01), method="bounded",
                                     options={"xatol": 1e-12})
    assert fit.rho[0] == pytest.approx(dense.x, abs=1e-6)
    assert fit.neg_loglik[0] <= dense.fun + 1e-10


@pytest.mark.parametrize("method", ["kenward-roger", "satterthwaite"])
@pytest.mark.parametrize("gaps", [False, True])
def test_small_sample_pieces_match_central_differences(method: str, gaps: bool) -> None:
    x, y, t = _data(30, 0.4, seed=7, gaps=gaps)
    blocks = blocks_of(None, len(t))
    fit = fit_ar1(x, y[:, None], Rows.of(t, blocks), method=method, alpha=0.05)
    assert not fit.held[0]
    numeric = small_sample(method, Gram(y, x, t, blocks, 1), x, t, blocks, fit.rho,
                           float(fit.sigma2[0]), hold_ar=False)
    np.testing.assert_allclose(fit.cov[0], numeric.cov, rtol=1e-6)
    np.testing.assert_allclose(fit.w[0], numeric.w, rtol=1e-5)
    np.testing.assert_allclose(fit.table["df"][:, 0], numeric.df(np.eye(x.shape[1])), rtol=1e-5)


@pytest.mark.parametrize("shared", [True, False])
def test_many_series_equal_one_at_a_time(shared: bool) -> None:
    x, _, t = _data(48, 0.0, seed=0, gaps=True)
    rows = Rows.of(t, blocks_of(None, len(t)))
    ys = np.column_stack([_data(48, rho, seed, True)[1]
                          for seed, rho in enumerate([-0.7, 0.0, 0.3, 0.6, 0.95, 0.99])])
    # per-series designs: the interruption moved one period per series
    xs = np.stack([np.column_stack([x[:, :2], (t >= 20 + g), (t >= 20 + g) * (t - 20 - g)])
                   for g in range(ys.shape[1])]).astype(float)
    design = x if shared else xs
    together = fit_ar1(design, ys, rows, method="kenward-roger", alpha=0.05)
    for g in range(ys.shape[1]):
        alone = fit_ar1(design if shared else xs[g], ys[:, [g]], rows, method="kenward-roger",
                        alpha=0.05)
        assert together.rho[g] == pytest.approx(alone.rho[0], abs=1e-11)
        for column, values in together.table.items():
            np.testing.assert_allclose(values[:, g], alone.table[column][:, 0], rtol=1e-9,
                                       err_msg=column)
