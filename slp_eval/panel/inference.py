"""Inference and robustness checks of a synthetic control (Abadie, Diamond and Hainmueller 2010;
Abadie, Diamond and Hainmueller 2015, *AJPS* 59: 495-510; Arkhangelsky et al. 2021, Algorithm 4).

- Placebo in space: every donor in turn is treated as if it had had the programme and gets its
  own synthetic control from the other donors (the treated units never enter a placebo's pool).
  The treated unit's post/pre RMSPE ratio is ranked among the placebos' and the Fisher p-value is
  (1 + number of placebos with a ratio at least as large) / (1 + number of placebos). With several
  treated units averaged, the placebos are sets of as many donors, averaged the same way: every
  set when there are at most `replications` of them, else `replications` random sets.
  The placebo standard error is the standard deviation of the placebo effects (R synthdid's
  `placebo_se`, with the exhaustive set of placebos when one unit is treated).
- Leave one out: the fit again without each donor that has weight.
- In time: the start moved back into the pre-period; the "effect" before the real start should be
  near zero.

The placebo grid is one loop over cached matrices calling `weights.fit_rows` (see
`slp_eval.panel` for how the same grid runs on Spark).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import comb

import numpy as np
import pandas as pd

from slp_eval.panel.data import PanelMatrix
from slp_eval.panel.weights import SCFit, SCSpec, fit_rows, predictor_values

__all__ = ["InTimePlacebo", "PlaceboInSpace", "fisher_p", "in_time_placebo", "leave_one_out",
           "placebo_in_space", "placebo_sets"]


def fisher_p(treated_ratio: float, placebo_ratios: np.ndarray) -> float:
    """(1 + #{placebo ratio >= treated ratio}) / (1 + #placebos)."""
    ratios = np.asarray(placebo_ratios, dtype=float)
    return float((1 + np.sum(ratios >= treated_ratio * (1 - 1e-12))) / (1 + ratios.size))


def placebo_sets(n_donors: int, n_treated: int, replications: int, seed: int) -> list[tuple[int, ...]]:
    """Donor sets that play the treated group: all of them, or `replications` random ones."""
    if comb(n_donors, n_treated) <= replications:
        return list(combinations(range(n_donors), n_treated))
    rng = np.random.default_rng(seed)
    return [tuple(sorted(rng.choice(n_donors, n_treated, replace=False).tolist()))
            for _ in range(replications)]


@dataclass(frozen=True)
class PlaceboInSpace:
    """Each donor's placebo fit (`units`: unit, pre_rmspe, post_rmspe, ratio, att; `gaps`: one row
    of gaps per donor) and, with several treated units, the placebo sets' effects and ratios."""

    units: pd.DataFrame
    gaps: np.ndarray
    set_att: np.ndarray | None = None
    set_ratio: np.ndarray | None = None

    def reference(self) -> tuple[np.ndarray, np.ndarray]:
        """The placebo effects and ratios a treated group is ranked among."""
        if self.set_att is not None and self.set_ratio is not None:
            return self.set_att, self.set_ratio
        return self.units["att"].to_numpy(), self.units["ratio"].to_numpy()

    def std_err(self, single: bool = False) -> float:
        att = self.units["att"].to_numpy() if single else self.reference()[0]
        return float(np.std(att, ddof=0)) if att.size > 1 else float("nan")

    def p_value(self, treated_ratio: float, single: bool = False) -> float:
        ratios = self.units["ratio"].to_numpy() if single else self.reference()[1]
        return fisher_p(treated_ratio, ratios)


def _placebo_fit(pm: PanelMatrix, spec: SCSpec, X: np.ndarray | None, names: tuple[str, ...],
                 chosen: tuple[int, ...]) -> SCFit:
    donors = [i for i in range(pm.n_donors) if i not in chosen]
    return fit_rows(pm, spec, donors, list(chosen), X=X, names=names)


def placebo_in_space(pm: PanelMatrix, spec: SCSpec, *, replications: int = 200, seed: int = 0
                     ) -> PlaceboInSpace:
    """Every donor as a placebo (and, for several treated units, placebo sets; module docstring)."""
    X, names = (predictor_values(pm, spec.predictors, pm.n_pre) if spec.predictors else (None, ()))
    fits = [_placebo_fit(pm, spec, X, names, (j,)) for j in range(pm.n_donors)]
    units = pd.DataFrame({
        "unit": list(pm.donors),
        "pre_rmspe": [f.pre_rmspe for f in fits],
        "post_rmspe": [f.post_rmspe for f in fits],
        "ratio": [f.ratio for f in fits],
        "att": [f.att for f in fits],
    })
    gaps = np.vstack([f.gap for f in fits])
    if pm.n_treated == 1:
        return PlaceboInSpace(units, gaps)
    sets = [_placebo_fit(pm, spec, X, names, chosen)
            for chosen in placebo_sets(pm.n_donors, pm.n_treated, replications, seed)]
    return PlaceboInSpace(units, gaps, np.array([f.att for f in sets]), np.array([f.ratio for f in sets]))


def leave_one_out(pm: PanelMatrix, spec: SCSpec, fit: SCFit, treated: list[int],
                  threshold: float = 1e-3) -> pd.DataFrame:
    """unit left out, its weight, the effect and pre-period RMSPE without it, and its gap series."""
    X, names = (predictor_values(pm, spec.predictors, pm.n_pre) if spec.predictors else (None, ()))
    rows = []
    for j in np.flatnonzero(np.abs(fit.weights.w) > threshold):
        donors = [i for i in range(pm.n_donors) if i != j]
        if len(donors) < 2:
            continue
        refit = fit_rows(pm, spec, donors, treated, X=X, names=names)
        rows.append({"unit": pm.donors[j], "weight": float(fit.weights.w[j]), "att": refit.att,
                     "pre_rmspe": refit.pre_rmspe, "gap": refit.gap})
    return pd.DataFrame(rows, columns=["unit", "weight", "att", "pre_rmspe", "gap"])


@dataclass(frozen=True)
class InTimePlacebo:
    """The fit with the start moved to `start` (a pre-period label), on pre-period data only."""

    start: str
    n_pre: int
    fit: SCFit

    @property
    def att(self) -> float:
        return self.fit.att

    @property
    def ratio(self) -> float:
        return self.fit.ratio


def in_time_placebo(pm: PanelMatrix, spec: SCSpec, treated: list[int], position: int) -> InTimePlacebo:
    """Fit with `position` periods before a pretend start, on the periods before the real start
    (predictor windows cut at the pretend start)."""
    X, names = (predictor_values(pm, spec.predictors, position) if spec.predictors else (None, ()))
    fit = fit_rows(pm, spec, range(pm.n_donors), treated, n_pre=position, n_periods=pm.n_pre,
                   X=X, names=names)
    return InTimePlacebo(pm.index.label(int(pm.ordinals[position])), position, fit)
