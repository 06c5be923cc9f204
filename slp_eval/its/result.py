"""`ITSResult`: the fitted interrupted time series, with tidy frames, effects and text."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from slp_eval.errors import ParameterError
from slp_eval.its.design import Interruption, Seasonality, build_design, programme_terms
from slp_eval.its.diagnostics import ITSDiagnostics, run_diagnostics
from slp_eval.its.effects import Predictor
from slp_eval.its.estimators import Estimate
from slp_eval.its.lags import lag_bound
from slp_eval.its.serialize import plain, records
from slp_eval.its.timeindex import TimeIndex
from slp_eval.tidy import TidyResult, wald_interval

__all__ = ["ITSResult", "ModelSpec", "SeriesFrame"]

if TYPE_CHECKING:  # matplotlib is imported when a figure is drawn, not with the statistics
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class ModelSpec:
    """The arguments `fit_its` was called with."""

    outcome: str
    time: str
    impact: str
    family: str
    errors: str
    maxlags_given: int | None
    seasonality: Seasonality
    offset: str | None
    trials: str | None
    group: str | None
    treated: Hashable | None
    phase_in: int
    covariates: tuple[str, ...]
    alpha: float
    dropna: bool
    interruption_values: tuple[Any, ...]
    outcome_label: str | None = None
    small_sample: str | None = None  # errors="ar": "kenward-roger", "satterthwaite" or "none"

    @property
    def outcome_name(self) -> str:
        """The outcome in words for prose and figures: `outcome_label`, else the column name."""
        return self.outcome_label or self.outcome


@dataclass(frozen=True)
class SeriesFrame:
    """Every row of the data in model order (treated unit first), with its role in the fit."""

    rows: pd.Index
    unit: np.ndarray | None
    treated: np.ndarray
    ordinal: np.ndarray
    t: np.ndarray
    period: list[str]
    observed: np.ndarray
    exposure: np.ndarray | None
    trials: np.ndarray | None
    in_fit: np.ndarray
    phase_in: np.ndarray


@dataclass(frozen=True, eq=False, repr=False)
class ITSResult(TidyResult):
    """A fitted interrupted time series (see `slp_eval.its.fit_its`).

    Attributes: `coefficients` (frame indexed by term), `design` (design matrix of the fitted
    rows, visible term names), `model_result` (the statsmodels results object). As statsmodels'
    results: `params`, `conf_int(alpha)`, `summary_frame()`, `predict(periods)`; a notebook cell
    shows the coefficient table and the summary.
    """

    spec: ModelSpec
    index: TimeIndex
    interruptions: list[Interruption]
    series: SeriesFrame
    design_all: pd.DataFrame
    fit: Estimate

    def _header(self) -> str:
        labels = ", ".join(k.label for k in self.interruptions)
        lags = "" if self.fit.maxlags is None else f", maxlags={self.fit.maxlags}"
        return (f"ITSResult for {self.spec.outcome_name}: {self.spec.family}, errors="
                f"{self.spec.errors}{lags}; {self.n_obs} {self.frequency} observations; "
                f"interruptions {labels}")

    # ----- model ---------------------------------------------------------------------------
    @property
    def model_result(self) -> Any:
        """The underlying statsmodels results object."""
        return self.fit.model_result

    @property
    def design(self) -> pd.DataFrame:
        """The design matrix of the rows in the fit, columns named by term."""
        return self.design_all[self.series.in_fit]

    @property
    def n_obs(self) -> int:
        """Rows in the fit."""
        return int(self.series.in_fit.sum())

    @property
    def frequency(self) -> str:
        """"yearly", "quarterly", "monthly", "weekly" or "integer"."""
        return self.index.frequency

    @property
    def controlled(self) -> bool:
        """True for a comparison-series design."""
        return self.spec.group is not None

    @cached_property
    def coefficients(self) -> pd.DataFrame:
        """Estimates indexed by term: estimate, std_err, ci_low, ci_high, p_value, df (the
        t reference's degrees of freedom of each term: n - k, or Kenward-Roger / Satterthwaite
        df with errors="ar"; NaN for z inference) (+ ratio, ratio_ci_low, ratio_ci_high for log
        and logit links: rate or odds ratios)."""
        table = self.fit.table.copy()
        if self.fit.link != "identity":
            table["ratio"] = np.exp(table["estimate"])
            table["ratio_ci_low"] = np.exp(table["ci_low"])
            table["ratio_ci_high"] = np.exp(table["ci_high"])
        return table

    def to_frame(self) -> pd.DataFrame:
        """The coefficients as a tidy frame with a `term` column first."""
        return self.coefficients.reset_index()

    def summary_frame(self) -> pd.DataFrame:
        """One row per term: term, estimate, std_err, ci_low, ci_high, p_value, df (+ ratio,
        ratio_ci_low, ratio_ci_high for log and logit links); the same as `to_frame()`."""
        return self.to_frame()

    def _conf_int_at(self, alpha: float) -> pd.DataFrame:
        """Each term's estimate -/+ t(df) * std_err with the term's own df (n - k, or the
        Kenward-Roger / Satterthwaite df with errors="ar"); z where df is NaN (z inference)."""
        frame = self.to_frame()
        frame["ci_low"], frame["ci_high"] = wald_interval(
            frame["estimate"].to_numpy(), frame["std_err"].to_numpy(), frame["df"].to_numpy(),
            alpha)
        return frame

    # ----- prediction and effects ----------------------------------------------------------
    def _predictor(self) -> Predictor:
        log_offset = None if self.series.exposure is None else np.log(self.series.exposure)
        return Predictor(self.fit.table["estimate"].to_numpy(), self.fit.cov.to_numpy(),
                         self.fit.df_resid, self.fit.link, log_offset, self.series.trials,
                         self.fit.small_sample)

    def _find(self, interruption: Any) -> Interruption:
        for k in self.interruptions:
            if k.label == str(interruption):
                return k
        labels = ", ".join(k.label for k in self.interruptions)
        raise ParameterError(f"interruption={interruption!r} is not one of the fitted "
                             f"interruptions ({labels})")

    def _counterfactual_design(self, removed: list[Interruption]) -> np.ndarray:
        x0 = self.design_all.copy()
        for term in programme_terms(removed, self.spec.impact, self.controlled):
            x0[term] = 0.0
        return x0.to_numpy()

    def _removed(self, interruption: Any) -> tuple[Interruption, list[Interruption]]:
        if interruption is None:
            return self.interruptions[0], list(self.interruptions)
        k = self._find(interruption)
        return k, [k]

    def counterfactual(self, interruption: Any = None) -> pd.DataFrame:
        """Treated series: period, observed, fitted and counterfactual with (1 - alpha) bands.

        The counterfactual removes every interruption (or only `interruption`). Rows in the
        phase-in or left out for missing values are included (`in_fit` False)."""
        _, removed = self._removed(interruption)
        predictor = self._predictor()
        alpha = self.spec.alpha
        rows = self.series.treated
        fitted = predictor.band(self.design_all.to_numpy(), alpha)[rows]
        counter = predictor.band(self._counterfactual_design(removed), alpha)[rows]
        return pd.DataFrame({
            "period": np.asarray(self.series.period, dtype=object)[rows],
            "t": self.series.t[rows], "observed": self.series.observed[rows],
            "fitted": fitted["mean"].to_numpy(), "fitted_ci_low": fitted["low"].to_numpy(),
            "fitted_ci_high": fitted["high"].to_numpy(),
            "counterfactual": counter["mean"].to_numpy(),
            "counterfactual_ci_low": counter["low"].to_numpy(),
            "counterfactual_ci_high": counter["high"].to_numpy(),
            "in_fit": self.series.in_fit[rows], "phase_in": self.series.phase_in[rows]})

    def _ordinals_wanted(self, periods: Any) -> list[int]:
        if periods is None:
            return [int(o) for o in self.series.ordinal[self.series.treated]]
        values = [periods] if isinstance(periods, str) or np.ndim(periods) == 0 else list(periods)
        if not values:
            raise ParameterError("periods is empty (rule: give None for every period of the "
                                 "series, or one or more periods coded like the time column)")
        return [self.index.ordinal_of(v, "periods") for v in values]

    def _new_rows(self, ordinals: list[int], origin: int) -> pd.DataFrame:
        """Design rows of the treated series at periods with no row in the data."""
        labels = ", ".join(self.index.label(o) for o in ordinals[:3])
        missing = [(what, name) for what, name in (
            ("covariates", ", ".join(self.spec.covariates)), ("offset", self.spec.offset),
            ("trials", self.spec.trials)) if name]
        if missing:
            what, name = missing[0]
            raise ParameterError(
                f"periods {labels}: not in the data, and the model's {what} ({name}) has no "
                "values there (rule: predict() extends a series only for models without "
                "covariates, offset or trials; for periods in the data it uses their values)")
        month = (np.array([pd.Period(ordinal=o, freq="M").month for o in ordinals])
                 if self.frequency == "monthly" else None)
        t = np.asarray(ordinals, dtype=float) - origin
        rows = build_design(t, interruptions=self.interruptions, impact=self.spec.impact,
                            treated=np.ones(len(t)) if self.controlled else None, month=month,
                            seasonality=self.spec.seasonality)
        return rows[self.design_all.columns]

    def predict(self, periods: Any = None, *, counterfactual: bool = False) -> pd.DataFrame:
        """Mean of the treated series and its (1 - alpha) interval at `periods`.

        `periods`: None (every period of the treated series), or one period or a list of periods
        coded like the time column (e.g. "2020-04", 2021, "2019Q3"). Periods after the series
        extrapolate the fitted model of the last segment (its level and trend, seasonal terms
        continued); periods before the series are refused. `counterfactual=True` sets every
        programme term to zero: the no-programme prediction (as `counterfactual()`).

        Returns period, mean, ci_low, ci_high (outcome scale: for log and logit links the
        interval of the linear predictor transformed, counts including the offset or trials)
        and in_series (False for extrapolated periods). The interval is for the mean, as
        statsmodels' `get_prediction().summary_frame()` mean_ci, not a prediction interval for a
        new observation; with AR errors the mean does not carry the last residual forward.
        """
        wanted = self._ordinals_wanted(periods)
        treated = np.flatnonzero(self.series.treated)
        first = int(self.series.ordinal[treated].min())
        before = [o for o in wanted if o < first]
        if before:
            raise ParameterError(
                f"periods {self.index.label(before[0])}: before the series starts at "
                f"{self.index.label(first)} (rule: predict() covers the series and periods "
                "after it; the model says nothing about periods before the data)")
        row_of = {int(self.series.ordinal[r]): int(r) for r in treated}
        new = [o for o in wanted if o not in row_of]
        origin = int(self.series.ordinal.min())
        x_new = self._new_rows(new, origin) if new else self.design_all.iloc[:0]
        position = {o: i for i, o in enumerate(new)}
        x = np.vstack([self.design_all.iloc[row_of[o]].to_numpy() if o in row_of
                       else x_new.iloc[position[o]].to_numpy() for o in wanted])
        if counterfactual:
            for term in programme_terms(self.interruptions, self.spec.impact, self.controlled):
                x[:, self.design_all.columns.get_loc(term)] = 0.0
        existing = np.array([row_of.get(o, -1) for o in wanted])
        log_offset = (None if self.series.exposure is None
                      else np.log(self.series.exposure[existing]))
        trials = None if self.series.trials is None else self.series.trials[existing]
        predictor = Predictor(self.fit.table["estimate"].to_numpy(), self.fit.cov.to_numpy(),
                              self.fit.df_resid, self.fit.link, log_offset, trials,
                              self.fit.small_sample)
        band = predictor.band(x, self.spec.alpha)
        return pd.DataFrame({
            "period": [self.index.label(o) for o in wanted], "mean": band["mean"].to_numpy(),
            "ci_low": band["low"].to_numpy(), "ci_high": band["high"].to_numpy(),
            "in_series": existing >= 0})

    def _effect(self, rows: np.ndarray, removed: list[Interruption]) -> pd.DataFrame:
        return self._predictor().effect(self.design_all.to_numpy(),
                                        self._counterfactual_design(removed), rows,
                                        self.spec.alpha)

    def effect_at(self, h: int, interruption: Any = None) -> pd.DataFrame:
        """Absolute and relative effect h periods after an interruption (h = 0: its first
        period), fitted minus counterfactual, with (1 - alpha) CIs.

        `interruption=None`: h counts from the first interruption and the counterfactual removes
        them all (the whole programme); otherwise only that interruption's terms are removed.
        CIs: delta method for the identity link, seeded simulation for log/logit links."""
        reference, removed = self._removed(interruption)
        treated_t = self.series.t[self.series.treated]
        last_h = int(treated_t.max()) - reference.position
        if isinstance(h, bool) or not isinstance(h, int | np.integer) or not 0 <= h <= last_h:
            raise ParameterError(f"h={h!r} must be an integer from 0 to {last_h} (the last "
                                 f"period after interruption {reference.label})")
        rows = np.flatnonzero(self.series.treated & (self.series.t == reference.position + h))
        frame = self._effect(rows, removed)
        frame.insert(1, "h", int(h))
        frame.insert(2, "period", self.series.period[int(rows[0])])
        frame.insert(3, "interruption", reference.label)
        return frame

    def cumulative_effect(self, interruption: Any = None, periods: int | None = None) -> pd.DataFrame:
        """Effect summed over every period from the interruption to the end of the series, or
        over its first `periods` periods (e.g. bed days avoided: counts, including the offset,
        for count families)."""
        reference, removed = self._removed(interruption)
        rows = np.flatnonzero(self.series.treated & (self.series.t >= reference.position))
        if periods is not None:
            if isinstance(periods, bool) or not isinstance(periods, int | np.integer) or not (
                    1 <= periods <= len(rows)):
                raise ParameterError(f"periods={periods!r} must be an integer from 1 to {len(rows)} "
                                     f"(the periods from interruption {reference.label} on)")
            rows = rows[:periods]
        frame = self._effect(rows, removed)
        frame.insert(1, "periods", len(rows))
        frame.insert(2, "from_period", self.series.period[int(rows[0])])
        frame.insert(3, "to_period", self.series.period[int(rows[-1])])
        frame.insert(4, "interruption", reference.label)
        return frame

    def segment_trends(self) -> pd.DataFrame:
        """The trend within each segment (link scale), as Stata itsa's `posttrend` (lincom).

        Single series: `trend[before L1]`, `trend[from L1]`, ...; comparison series: the same
        for `treated:`, `control:` and `difference:` (treated minus control). Log and logit
        links add `ratio` columns (rate or odds ratio per period)."""
        names = self.fit.table.index.tolist()
        predictor = self._predictor()
        segments = [f"before {self.interruptions[0].label}"] + [
            f"from {k.label}" for k in self.interruptions]
        roles = (("treated", ("", "group:")), ("control", ("",)), ("difference", ("group:",))
                 ) if self.controlled else (("", ("",)),)
        rows = []
        for role, prefixes in roles:
            for i, segment in enumerate(segments):
                weights = np.zeros(len(names))
                for prefix in prefixes:
                    terms = [f"{prefix}trend"] + [f"{prefix}trend_change[{k.label}]"
                                                  for k in self.interruptions[:i]]
                    for term in terms:
                        if term in names:
                            weights[names.index(term)] += 1.0
                label = f"{role}:trend[{segment}]" if role else f"trend[{segment}]"
                rows.append({"term": label, **predictor.contrast(weights, self.spec.alpha)})
        frame = pd.DataFrame(rows)
        if self.fit.link != "identity":
            for column, source in (("ratio", "estimate"), ("ratio_ci_low", "ci_low"),
                                   ("ratio_ci_high", "ci_high")):
                frame[column] = np.exp(frame[source])
        return frame

    def diagnostics(self, nlags: int | None = None) -> ITSDiagnostics:
        """Durbin-Watson, Breusch-Godfrey and Ljung-Box up to `nlags` (default min(12, n/4)),
        residual ACF, and overdispersion for count and proportion families."""
        n_treated = int((self.series.in_fit & self.series.treated).sum())
        nlags = lag_bound(n_treated) if nlags is None else nlags
        if isinstance(nlags, bool) or not isinstance(nlags, int | np.integer) or not (
                1 <= nlags < n_treated):
            raise ParameterError(f"nlags={nlags!r} must be an integer from 1 to {n_treated - 1}")
        fit_rows = self.series.in_fit
        units = None if self.series.unit is None else self.series.unit[fit_rows]
        return run_diagnostics(self.fit.resid, self.fit.diagnostic_exog, units,
                               self.series.treated[fit_rows], int(nlags),
                               len(self.fit.table), self.spec.family != "gaussian",
                               self.spec.alpha)

    # ----- presentation --------------------------------------------------------------------
    def summary(self) -> str:
        """A paragraph a report can quote, in words that fit the family."""
        from slp_eval.its.text import summary_text

        return summary_text(self)

    def methods_text(self) -> str:
        """A methods-section paragraph describing the model that was fitted."""
        from slp_eval.its.text import methods_text

        return methods_text(self)

    def plot(self, ax: Any = None, **options: Any) -> Figure:
        """Observed points, fitted segments, dashed counterfactual, interruption lines, shaded
        phase-in and CI ribbons; `options` (title, xlabel, ylabel, colors, ...) go to
        `slp_eval.plots.plot_its`."""
        from slp_eval.plots.its import plot_its

        return plot_its(self, ax=ax, **options)

    def model_info(self) -> dict[str, Any]:
        """What was fitted, for results.json and the methods text."""
        choice = self.fit.lag_choice
        if self.spec.errors == "newey-west":
            how = "given" if self.spec.maxlags_given is not None else choice.method
        elif self.spec.errors in ("ar", "arima"):
            how = "given (AR order)" if self.spec.maxlags_given is not None else "default AR(1)"
        else:
            how = None
        return {
            "family": self.spec.family, "link": self.fit.link, "errors": self.spec.errors,
            "maxlags": self.fit.maxlags, "maxlags_chosen_by": how,
            "lag_tests": records(choice.tests) if choice is not None else None,
            "n_obs": self.n_obs, "frequency": self.frequency, "impact": self.spec.impact,
            "interruptions": [k.label for k in self.interruptions],
            "phase_in": self.spec.phase_in, "seasonality": self.spec.seasonality,
            "offset": self.spec.offset, "trials": self.spec.trials, "group": self.spec.group,
            "treated": self.spec.treated, "covariates": list(self.spec.covariates),
            "alpha": self.spec.alpha, "df_resid": self.fit.df_resid, **self.fit.extra,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: {"estimates": [rows], "its": {model, effects, diagnostics}}."""
        effects = {k.label: {
            "at_interruption": records(self.effect_at(0, k.label)),
            "cumulative": records(self.cumulative_effect(k.label))} for k in self.interruptions}
        its = {**self.model_info(), "effects": effects,
               "segment_trends": records(self.segment_trends()),
               "diagnostics": self.diagnostics().to_dict(), "summary": self.summary(),
               "methods": self.methods_text()}
        return {"estimates": records(self.to_frame()), "its": plain(its)}
