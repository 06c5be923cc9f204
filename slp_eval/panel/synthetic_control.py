"""`fit_synthetic_control` and its result (Abadie, Diamond and Hainmueller 2010)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from slp_eval.errors import ParameterError
from slp_eval.panel.data import PanelMatrix, prepare_panel, read_predictors
from slp_eval.panel.inference import (
    InTimePlacebo,
    PlaceboInSpace,
    in_time_placebo,
    leave_one_out,
    placebo_in_space,
)
from slp_eval.panel.weights import SCFit, SCSpec, fit_rows, predictor_values
from slp_eval.tidy import TidyResult, check_alpha

if TYPE_CHECKING:  # matplotlib is imported when a figure is drawn
    from matplotlib.figure import Figure

__all__ = ["SyntheticControlResult", "fit_synthetic_control"]


@dataclass(frozen=True)
class UnitFit:
    """One treated group's fit and its inference (the aggregate, or one treated unit)."""

    label: str
    rows: list[int]
    fit: SCFit
    std_err: float
    p_value: float
    n_placebos: int
    leave_one_out: pd.DataFrame | None = None
    in_time: InTimePlacebo | None = None


@dataclass(frozen=True, eq=False, repr=False)
class SyntheticControlResult(TidyResult):
    """A synthetic control fit (see `fit_synthetic_control`).

    The headline is the average post-period gap (treated minus synthetic control) of the treated
    units' mean, term `att`; with several treated units each has its own row `att[unit]`.
    `std_err` is the placebo standard error, the interval estimate -/+ z * std_err (as R synthdid),
    `p_value` the placebo-in-space Fisher p-value of the post/pre RMSPE ratio.
    """

    panel: PanelMatrix
    spec: SCSpec
    aggregate: UnitFit
    units: list[UnitFit]
    placebos: PlaceboInSpace | None
    alpha: float
    outcome_label: str | None = None
    notes: list[str] = field(default_factory=list)

    # ----- numbers ------------------------------------------------------------------------
    @property
    def att(self) -> float:
        """Average post-period effect of the treated units' mean."""
        return self.aggregate.fit.att

    @property
    def pre_rmspe(self) -> float:
        return self.aggregate.fit.pre_rmspe

    @property
    def method(self) -> str:
        return "augmented (ridge)" if self.spec.augmented else "ADH"

    @property
    def weights(self) -> pd.DataFrame:
        """Donor weights of the aggregate fit, largest first: unit, weight."""
        frame = pd.DataFrame({"unit": list(self.panel.donors), "weight": self.aggregate.fit.weights.w})
        return frame.sort_values("weight", ascending=False, kind="stable").reset_index(drop=True)

    @property
    def predictor_balance(self) -> pd.DataFrame | None:
        """Each predictor: its weight v (ADH's V), the treated value, the synthetic control's and the
        donors' mean; None without predictors."""
        fit = self.aggregate.fit
        if fit.X0 is None or fit.X1 is None or fit.weights.v is None:
            return None
        return pd.DataFrame({"predictor": list(fit.predictors), "v": fit.weights.v,
                             "treated": fit.X1, "synthetic": fit.X0 @ fit.weights.w,
                             "donor_mean": fit.X0.mean(axis=1)})

    def gaps(self, unit: Hashable | None = None) -> pd.DataFrame:
        """period, observed (treated mean or `unit`), synthetic, gap, post (True from the start)."""
        fit = self._find(unit).fit
        return pd.DataFrame({"period": self.panel.labels, "observed": fit.treated_path,
                             "synthetic": fit.synthetic_path, "gap": fit.gap,
                             "post": np.arange(len(self.panel.ordinals)) >= self.panel.n_pre})

    def placebo_gaps(self) -> pd.DataFrame:
        """Long frame of every donor's placebo gap: unit, period, gap, pre_rmspe."""
        if self.placebos is None:
            return pd.DataFrame(columns=["unit", "period", "gap", "pre_rmspe"])
        labels = self.panel.labels
        rows = [(u, p, float(g), float(r)) for u, r, gaps in
                zip(self.placebos.units["unit"], self.placebos.units["pre_rmspe"], self.placebos.gaps,
                    strict=True) for p, g in zip(labels, gaps, strict=True)]
        return pd.DataFrame(rows, columns=["unit", "period", "gap", "pre_rmspe"])

    def _find(self, unit: Hashable | None) -> UnitFit:
        if unit is None:
            return self.aggregate
        for u in self.units:
            if u.label == str(unit):
                return u
        names = ", ".join(u.label for u in self.units)
        raise ParameterError(f"unit={unit!r} is not a treated unit ({names})")

    # ----- tidy interface ------------------------------------------------------------------
    def _rows(self, alpha: float) -> pd.DataFrame:
        z = stats.norm.ppf(1 - alpha / 2)
        fits = [("att", self.aggregate)] + ([(f"att[{u.label}]", u) for u in self.units]
                                            if len(self.units) > 1 else [])
        return pd.DataFrame({
            "term": [t for t, _ in fits],
            "estimate": [u.fit.att for _, u in fits],
            "std_err": [u.std_err for _, u in fits],
            "ci_low": [u.fit.att - z * u.std_err for _, u in fits],
            "ci_high": [u.fit.att + z * u.std_err for _, u in fits],
            "p_value": [u.p_value for _, u in fits],
            "pre_rmspe": [u.fit.pre_rmspe for _, u in fits],
            "post_rmspe": [u.fit.post_rmspe for _, u in fits],
            "rmspe_ratio": [u.fit.ratio for _, u in fits],
            "n_placebos": [u.n_placebos for _, u in fits],
        })

    def summary_frame(self) -> pd.DataFrame:
        """term (`att`, and `att[unit]` per treated unit when several), estimate, std_err (placebo),
        ci_low, ci_high (normal), p_value (placebo-in-space Fisher), pre_rmspe, post_rmspe,
        rmspe_ratio, n_placebos."""
        return self._rows(self.alpha)

    def to_frame(self) -> pd.DataFrame:
        return self.summary_frame()

    def _conf_int_at(self, alpha: float) -> pd.DataFrame:
        return self._rows(alpha)

    def _header(self) -> str:
        treated = ", ".join(map(str, self.panel.treated))
        return (f"SyntheticControlResult ({self.method}) for {treated}: {self.panel.n_donors} donors, "
                f"{self.panel.n_pre} periods before {self.panel.start_label}, {self.panel.n_post} from it")

    def summary(self) -> str:
        a = self.aggregate
        name = self.outcome_label or self.panel.outcome
        level = f"{100 * (1 - self.alpha):g}%"
        row = self._rows(self.alpha).iloc[0]
        who = ("the treated units' mean" if self.panel.n_treated > 1 else str(self.panel.treated[0]))
        text = (f"Synthetic control ({self.method}): the average gap in {name} between {who} and its "
                f"synthetic control from {self.panel.start_label} is {a.fit.att:.3g} ({level} CI "
                f"{row.ci_low:.3g} to {row.ci_high:.3g}, placebo standard error); pre-period RMSPE "
                f"{a.fit.pre_rmspe:.3g}.")
        if self.placebos is not None:
            text += (f" Placebo in space: p = {a.p_value:.3g} (post/pre RMSPE ratio ranked among "
                     f"{a.n_placebos} placebos).")
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready block for results.json."""
        a = self.aggregate
        return {
            "method": self.method,
            "treated": [str(u) for u in self.panel.treated],
            "start": self.panel.start_label,
            "n_donors": self.panel.n_donors,
            "n_pre": self.panel.n_pre,
            "n_post": self.panel.n_post,
            "att": a.fit.att,
            "std_err": a.std_err,
            "p_value": a.p_value,
            "pre_rmspe": a.fit.pre_rmspe,
            "post_rmspe": a.fit.post_rmspe,
            "ridge_lambda": a.fit.weights.lam,
            "weights": self.weights.to_dict(orient="records"),
            "dropped": self.panel.dropped.to_dict(orient="records"),
            "in_time_placebo": None if a.in_time is None else {
                "start": a.in_time.start, "att": a.in_time.att, "ratio": a.in_time.ratio},
        }

    def plot(self, kind: str = "gap", **kwargs: Any) -> Figure:
        """"gap" (treated minus synthetic), "paths" (both series), "placebo" (treated gap over the
        donors' placebo gaps), "weights" or "leave_one_out"; see `slp_eval.plots.panel`."""
        from slp_eval.plots.panel import plot_synthetic_control

        return plot_synthetic_control(self, kind, **kwargs)


def _unit_fit(pm: PanelMatrix, spec: SCSpec, label: str, rows: list[int], X: np.ndarray | None,
              names: tuple[str, ...], placebos: PlaceboInSpace | None, single: bool,
              in_time: int | None, robustness: bool) -> UnitFit:
    fit = fit_rows(pm, spec, range(pm.n_donors), rows, X=X, names=names)
    if placebos is None:
        se = p = float("nan")
        n = 0
    else:
        se, p = placebos.std_err(single), placebos.p_value(fit.ratio, single)
        n = len(placebos.units) if single or placebos.set_att is None else placebos.set_att.size
    loo = leave_one_out(pm, spec, fit, rows) if robustness else None
    placebo_time = in_time_placebo(pm, spec, rows, in_time) if robustness and in_time else None
    return UnitFit(label, rows, fit, se, p, n, loo, placebo_time)


def fit_synthetic_control(
    panel: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    treated: Hashable | Sequence[Hashable],
    start: Any,
    predictors: Sequence[Any] | None = None,
    donors: Sequence[Hashable] | None = None,
    exclude: Mapping[Hashable, str] | None = None,
    augmented: bool = False,
    ridge_lambda: float | None = None,
    placebo: bool = True,
    robustness: bool = True,
    placebo_start: Any = None,
    replications: int = 200,
    seed: int = 0,
    alpha: float = 0.05,
    outcome_label: str | None = None,
) -> SyntheticControlResult:
    """Synthetic control (Abadie, Diamond and Hainmueller 2010): Y1t(0) is estimated by
    sum_j w_j Y_jt with w on the simplex fitted on the pre-period, and the effect at t >= start is
    the gap Y1t - sum_j w_j Y_jt; the headline is its post-period mean.

    `predictors` (column names, (column, start, end) or {column, start, end}: the column's mean over
    those periods, as `Synth::dataprep`) give ADH's weights with V chosen to minimise the pre-period
    outcome MSPE; without them the weights fit the pre-period outcomes (V = I). `augmented=True`
    adds the ridge correction of Ben-Michael, Feller and Rothstein (2021) (`ridge_lambda` by
    augsynth's cross-validation when None). Several `treated` units are averaged for the headline
    and each also gets its own fit. `placebo` runs the placebo-in-space inference over every donor
    (`slp_eval.panel.inference`); `robustness` the leave-one-out and in-time placebo
    (`placebo_start`, default halfway through the pre-period). Units in `exclude` (unit -> reason)
    and donors with a missing outcome are left out and listed in `result.panel.dropped`.
    """
    alpha = check_alpha(alpha, "fit_synthetic_control")
    pm = prepare_panel(panel, unit=unit, time=time, outcome=outcome, treated=treated, start=start,
                       donors=donors, exclude=exclude, min_pre=2)
    spec = SCSpec(tuple(read_predictors(predictors)), augmented, ridge_lambda)
    X, names = (predictor_values(pm, spec.predictors, pm.n_pre) if spec.predictors else (None, ()))
    if spec.augmented and spec.lam is None:
        # one penalty for the headline fit and every placebo (augsynth cross-validates once)
        base = fit_rows(pm, spec, range(pm.n_donors), list(range(pm.n_donors, len(pm.units))),
                        X=X, names=names)
        spec = SCSpec(spec.predictors, True, base.weights.lam)
    placebos = placebo_in_space(pm, spec, replications=replications, seed=seed) if placebo else None
    position = None
    if placebo_start is not None:
        position = pm.index.ordinal_of(placebo_start, "placebo_start") - int(pm.ordinals[0])
        if not 2 <= position < pm.n_pre:
            raise ParameterError(f"placebo_start={placebo_start!r} must leave at least 2 periods before "
                                 f"it and fall before start ({pm.start_label})")
    elif pm.n_pre >= 4:
        position = pm.n_pre // 2
    treated_rows = list(range(pm.n_donors, len(pm.units)))
    label = "+".join(map(str, pm.treated))
    aggregate = _unit_fit(pm, spec, label, treated_rows, X, names, placebos, pm.n_treated == 1,
                          position, robustness)
    units = [aggregate] if pm.n_treated == 1 else [
        _unit_fit(pm, spec, str(u), [pm.n_donors + i], X, names, placebos, True, position, robustness)
        for i, u in enumerate(pm.treated)]
    return SyntheticControlResult(pm, spec, aggregate, units, placebos, alpha, outcome_label)
