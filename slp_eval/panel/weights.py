"""One synthetic-control fit on rows of a `PanelMatrix`: predictors, weights, gap series.

`SCSpec` says how weights are found (predictors for ADH's V, ridge augmentation); `fit_rows`
fits the treated rows (averaged when there are several) on the donor rows over the first `n_pre`
periods and returns the weights and the gap series. Every placebo, leave-one-out and in-time
check calls the same `fit_rows` on other rows or periods, so there is one implementation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from slp_eval.errors import ModelInputError
from slp_eval.panel.data import PanelMatrix, Predictor, periods_text
from slp_eval.panel.synth import SCWeights, adh_weights, ridge_augment, sc_weights

__all__ = ["SCFit", "SCSpec", "fit_rows", "predictor_values"]


@dataclass(frozen=True)
class SCSpec:
    """How weights are found: ADH with `predictors` (V chosen on the pre-period), outcomes only
    without; `augmented` adds the ridge correction (with penalty `lam`, cross-validated if None)."""

    predictors: tuple[Predictor, ...] = ()
    augmented: bool = False
    lam: float | None = None


@dataclass(frozen=True)
class SCFit:
    """Weights and the gap series (treated minus synthetic) over every period of the fit."""

    weights: SCWeights
    treated_path: np.ndarray
    synthetic_path: np.ndarray
    n_pre: int
    predictors: tuple[str, ...]
    X1: np.ndarray | None  # predictor values, treated (unscaled)
    X0: np.ndarray | None  # predictor values, donors (k x N0)

    @property
    def gap(self) -> np.ndarray:
        return self.treated_path - self.synthetic_path

    @property
    def att(self) -> float:
        return float(self.gap[self.n_pre:].mean())

    @property
    def pre_rmspe(self) -> float:
        return float(np.sqrt(np.mean(self.gap[: self.n_pre] ** 2)))

    @property
    def post_rmspe(self) -> float:
        return float(np.sqrt(np.mean(self.gap[self.n_pre:] ** 2)))

    @property
    def ratio(self) -> float:
        """post/pre RMSPE (Abadie, Diamond and Hainmueller 2010, section 3.3)."""
        return self.post_rmspe / self.pre_rmspe if self.pre_rmspe > 0 else float("inf")


def predictor_values(pm: PanelMatrix, predictors: Sequence[Predictor], before: int
                     ) -> tuple[np.ndarray, tuple[str, ...]]:
    """k x N predictor means (rows of `pm.units`), each over its window cut to the first `before`
    periods; a predictor with no period left is dropped (an in-time placebo)."""
    first = int(pm.ordinals[0])
    limit = first + before  # ordinals below this are usable
    rows, names = [], []
    for p in predictors:
        if p.column not in pm.frame.columns:
            raise ModelInputError(f"predictors: the panel has no column {p.column!r}")
        low = first if p.start is None else pm.index.ordinal_of(p.start, f"predictor {p.column} start")
        high = limit - 1 if p.end is None else pm.index.ordinal_of(p.end, f"predictor {p.column} end")
        high = min(high, limit - 1)
        if low > high:
            continue
        window = pm.frame[(pm.frame["_t"] >= low) & (pm.frame["_t"] <= high)]
        means = window.groupby(pm.unit)[p.column].mean().reindex(list(pm.units))
        missing = means.index[means.isna().to_numpy()].tolist()
        if missing:
            raise ModelInputError(
                f"predictor {p.name}: unit {missing[0]!r} has no value in "
                f"{periods_text(pm.index, range(low, high + 1))} (rule: each unit needs the predictor "
                "in its window; nothing is imputed)")
        rows.append(means.to_numpy(dtype=float))
        names.append(p.name)
    if predictors and not rows:
        raise ModelInputError("predictors: no predictor has a period in the pre-period")
    return (np.vstack(rows) if rows else np.empty((0, len(pm.units)))), tuple(names)


def fit_rows(pm: PanelMatrix, spec: SCSpec, donors: Sequence[int], treated: Sequence[int], *,
             n_pre: int | None = None, n_periods: int | None = None,
             X: np.ndarray | None = None, names: tuple[str, ...] = ()) -> SCFit:
    """Fit the mean of rows `treated` on rows `donors` (positions in `pm.units`) over the first
    `n_pre` periods, the path over the first `n_periods`. `X` (k x N) are predictor values."""
    T0 = pm.n_pre if n_pre is None else n_pre
    T = len(pm.ordinals) if n_periods is None else n_periods
    donors, treated = list(donors), list(treated)
    Y0 = pm.Y[donors, :T]
    y1 = pm.Y[treated, :T].mean(axis=0)
    Z0, Z1 = Y0[:, :T0].T, y1[:T0]
    X0 = X1 = None
    if spec.predictors:
        assert X is not None
        X0, X1 = X[:, donors], X[:, treated].mean(axis=1)
        weights = adh_weights(X0, X1, Z0, Z1)
    else:
        weights = sc_weights(Z0, Z1)
    if spec.augmented:
        weights = ridge_augment(Z0, Z1, weights, spec.lam)
    return SCFit(weights, y1, weights.w @ Y0, T0, names, X1, X0)
