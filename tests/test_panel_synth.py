"""Synthetic-control weights against pysyncon 1.7 (an independent implementation of R Synth and R
augsynth) and invariants of the simplex solver."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pysyncon import AugSynth, Dataprep, Synth

from slp_eval.panel import fit_synthetic_control
from slp_eval.panel.data import prepare_panel, read_predictors
from slp_eval.panel.simplex import simplex_lsq
from slp_eval.panel.weights import predictor_values

PROP99 = Path(__file__).parent / "data" / "prop99_cigsales" / "cigsales.csv"
ARGS = {"unit": "state", "time": "year", "outcome": "cigsale", "treated": "California", "start": 1989}
ADH = [("lnincome", 1980, 1988), ("beer", 1984, 1988), ("age15to24", 1980, 1988),
       ("retprice", 1980, 1988), ("cigsale", 1975, 1975), ("cigsale", 1980, 1980), ("cigsale", 1988, 1988)]


@pytest.fixture(scope="module")
def prop99() -> pd.DataFrame:
    return pd.read_csv(PROP99)


def _dataprep(df: pd.DataFrame, predictors: bool) -> Dataprep:
    controls = sorted(set(df.state) - {"California"})
    extra: dict = {"predictors": [], "time_predictors_prior": range(1970, 1989)}
    if predictors:
        extra = {"predictors": ["lnincome", "age15to24", "retprice"],
                 "time_predictors_prior": range(1980, 1989),
                 "special_predictors": [("beer", range(1984, 1989), "mean"), ("cigsale", [1975], "mean"),
                                        ("cigsale", [1980], "mean"), ("cigsale", [1988], "mean")]}
    return Dataprep(foo=df, predictors_op="mean", dependent="cigsale", unit_variable="state",
                    time_variable="year", treatment_identifier="California", controls_identifier=controls,
                    time_optimize_ssr=range(1970, 1989), **extra)


def test_adh_predictors_and_inner_weights_equal_pysyncon(prop99: pd.DataFrame) -> None:
    """The predictor table equals pysyncon's Dataprep, and for a fixed V (equal weights: a QP that
    SLSQP solves well) pysyncon's quadratic programme finds our donor weights."""
    pm = prepare_panel(prop99, **ARGS)
    X, _ = predictor_values(pm, read_predictors(ADH), pm.n_pre)
    dataprep = _dataprep(prop99, True)
    X0, X1 = dataprep.make_covariate_mats()
    order = [0, 2, 3, 1, 4, 5, 6]  # pysyncon: lnincome, age15to24, retprice, then beer and the lags
    np.testing.assert_allclose(X[order][:, : pm.n_donors], X0[list(pm.donors)].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(X[order][:, pm.n_donors], X1.to_numpy(), rtol=1e-12)
    v = np.full(7, 1 / 7)
    synth = Synth()
    synth.fit(dataprep, custom_V=v)
    theirs = pd.Series(synth.W, index=X0.columns)
    scale = np.std(X, axis=1, ddof=1)
    root = np.sqrt(v) / scale
    ours = simplex_lsq(root[:, None] * X[:, : pm.n_donors], root * X[:, pm.n_donors])
    ours = pd.Series(ours, index=list(pm.donors)).reindex(theirs.index)
    assert np.abs(ours - theirs).max() < 2e-3


def test_augmented_sc_equals_pysyncon_augsynth(prop99: pd.DataFrame) -> None:
    ours = fit_synthetic_control(prop99, **ARGS, augmented=True, placebo=False, robustness=False)
    aug = AugSynth()
    aug.fit(_dataprep(prop99, False), use_covariates=False)
    assert ours.aggregate.fit.weights.lam == pytest.approx(aug.lambda_, rel=1e-9)
    theirs = aug.att(time_period=range(1989, 2001))["att"]
    assert ours.att == pytest.approx(theirs, abs=2e-3)
    assert round(ours.att, 2) == -15.95


@given(st.integers(0, 10_000), st.integers(2, 12), st.integers(3, 25))
def test_simplex_lsq_satisfies_the_kkt_conditions(seed: int, n: int, m: int) -> None:
    """w on the simplex; the gradient g = A'(A w - b) is equal (to mu) on the support and no
    smaller off it: the optimality conditions of a convex problem, so w is the minimiser."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(m, n)) * rng.uniform(0.1, 100)
    b = A @ rng.dirichlet(np.ones(n)) + rng.normal(scale=rng.uniform(0, 3), size=m)
    w = simplex_lsq(A, b)
    assert w.min() >= 0 and w.sum() == pytest.approx(1, abs=1e-12)
    g = A.T @ (A @ w - b)
    scale = max(1.0, np.abs(g).max(), np.abs(A).max() ** 2)
    support = w > 1e-9
    mu = g[support].mean()
    assert np.all(np.abs(g[support] - mu) <= 1e-7 * scale)
    assert np.all(g[~support] >= mu - 1e-7 * scale)
