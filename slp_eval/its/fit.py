"""`fit_its`: check the data, build the design, fit, and wrap the result."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.its import checks
from slp_eval.its.design import Interruption, Seasonality, build_design
from slp_eval.its.estimators import FitData, estimate
from slp_eval.its.result import ITSResult, ModelSpec, SeriesFrame
from slp_eval.its.timeindex import TimeIndex, check_order, read_time


@dataclass(frozen=True)
class Prepared:
    """Checked data in model order (treated unit first, each unit in time order)."""

    index: TimeIndex
    interruptions: list[Interruption]
    series: SeriesFrame
    design: pd.DataFrame  # every row, in `series` order
    fit_data: FitData


def _as_list(interruptions: Any) -> list[Any]:
    if isinstance(interruptions, list | tuple | np.ndarray | pd.Index):
        if not interruptions:
            raise ParameterError("interruptions is empty (rule: give at least one interruption)")
        return list(interruptions)
    return [interruptions]


def _units(data: pd.DataFrame, group: str | None, treated: Any) -> np.ndarray | None:
    if group is None:
        return None
    units = data[group]
    if units.isna().any():
        row = data.index[units.isna().to_numpy()][0]
        raise ModelInputError(f"column '{group}' (group) has a missing unit at row {row}")
    present = list(dict.fromkeys(units.tolist()))
    if treated not in present:
        shown = ", ".join(map(repr, present[:10])) + (", ..." if len(present) > 10 else "")
        raise ModelInputError(f"treated unit {treated!r} is not in column '{group}' "
                              f"(units: {shown})")
    if len(present) < 2:
        raise ModelInputError(f"column '{group}' holds only the treated unit {treated!r}; a "
                              "comparison series needs at least one control unit")
    return units.to_numpy()


def _segments(positions: np.ndarray, in_fit: np.ndarray, interruptions: list[Interruption],
              who: str) -> None:
    edges = [k.position for k in interruptions]
    names, counts = [], []
    bounds = [-np.inf, *edges, np.inf]
    for i in range(len(bounds) - 1):
        inside = (positions >= bounds[i]) & (positions < bounds[i + 1]) & in_fit
        if i == 0:
            name = f"before {interruptions[0].label}"
        elif i == len(edges):
            name = f"from {interruptions[-1].label}"
        else:
            name = f"from {interruptions[i - 1].label} to before {interruptions[i].label}"
        names.append(name + who)
        counts.append(int(inside.sum()))
    checks.check_segments(names, counts)


def prepare(data: pd.DataFrame, *, outcome: str, time: str, interruptions: Any, impact: str,
            family: str, errors: str, maxlags: int | None, seasonality: Seasonality,
            small_sample: str | None,
            offset: str | None, trials: str | None, group: str | None, treated: Any,
            phase_in: int, covariates: Sequence[str], alpha: float,
            dropna: bool) -> Prepared:
    """Validate every argument and the data, and build the design (see `fit_its`)."""
    checks.check_arguments(family=family, errors=errors, impact=impact, maxlags=maxlags,
                           phase_in=phase_in, alpha=alpha, trials=trials, group=group,
                           treated=treated, small_sample=small_sample)
    if isinstance(covariates, str) or not all(isinstance(c, str) for c in covariates):
        raise ParameterError(f"covariates={covariates!r} must be a list of column names")
    columns = {"outcome": outcome, "time": time, "offset": offset, "trials": trials,
               "group": group, **{f"covariates[{i}]": c for i, c in enumerate(covariates)}}
    checks.check_columns(data, columns)
    if offset is not None and family not in checks.COUNT_FAMILIES:
        raise ParameterError(f"offset={offset!r} is an exposure for count families (poisson, "
                             f"quasipoisson, negbin); got family={family!r}")
    if len(data) == 0:
        raise ModelInputError("data has no rows")
    units = _units(data, group, treated)
    index = read_time(data[time], time)

    # Model order: treated unit first, then controls in order of appearance; time order within.
    if units is None:
        order = np.arange(len(data))
        checks.check_one_series(data, index, order, columns.values())
        check_order(index, order, data.index)
    else:
        blocks = []
        for unit in dict.fromkeys([treated, *units.tolist()]):
            rows = np.flatnonzero(units == unit)
            checks.check_one_series(data, index, rows, columns.values(), unit=unit)
            check_order(index, rows, data.index, unit=unit)
            blocks.append(rows)
        order = np.concatenate(blocks)
    frame = data.iloc[order]
    rows = frame.index
    ordinals = index.ordinals[order]
    treated_mask = np.ones(len(frame), bool) if units is None else units[order] == treated
    origin = int(ordinals.min())
    first, last = int(ordinals[treated_mask].min()), int(ordinals[treated_mask].max())

    parsed: list[Interruption] = []
    for value in _as_list(interruptions):
        ordinal = index.ordinal_of(value, "interruptions")
        if not first <= ordinal <= last:
            raise ModelInputError(
                f"interruption {value!s} is outside the data: column '{time}' runs from "
                f"{index.label(first)} to {index.label(last)} (rule: each interruption is a "
                "period of the series)")
        if parsed and ordinal <= parsed[-1].position + origin:
            raise ParameterError(f"interruptions must be distinct and in time order; {value!s} "
                                 f"does not come after {parsed[-1].label}")
        parsed.append(Interruption(str(value), ordinal - origin))
    t = (ordinals - origin).astype(int)
    periods = [index.label(int(o)) for o in ordinals]

    y = checks.check_numeric(frame, outcome, "outcome", rows, periods, dropna)
    exposure = (checks.check_numeric(frame, offset, "offset", rows, periods, dropna)
                if offset is not None else None)
    n_trials = (checks.check_numeric(frame, trials, "trials", rows, periods, dropna)
                if trials is not None else None)
    covariate_values = {c: checks.check_numeric(frame, c, "covariate", rows, periods, dropna)
                        for c in covariates}
    checks.check_family_values(family=family, outcome=outcome, y=y, trials_column=trials,
                               trials=n_trials, rows=rows, periods=periods)
    if exposure is not None:
        checks.check_offset(offset, exposure, rows, periods)

    complete = np.isfinite(y)
    for extra in [exposure, n_trials, *covariate_values.values()]:
        if extra is not None:
            complete &= np.isfinite(extra)
    in_phase_in = np.zeros(len(frame), bool)
    for k in parsed:
        in_phase_in |= (t >= k.position) & (t < k.position + phase_in)
    in_fit = complete & ~in_phase_in
    _segments(t[treated_mask], in_fit[treated_mask], parsed, "")
    if units is not None:
        _segments(t[~treated_mask], in_fit[~treated_mask], parsed, " of the comparison series")
    checks.check_not_constant(outcome, np.where(in_fit, y, np.nan))

    month = index.month_of_year()[order] if index.frequency == "monthly" else None
    design = build_design(
        t, interruptions=parsed, impact=impact,
        treated=treated_mask.astype(float) if units is not None else None, month=month,
        seasonality=seasonality,
        covariates=pd.DataFrame(covariate_values, index=rows) if covariates else None,
        index=rows)
    rank = np.linalg.matrix_rank(design.to_numpy()[in_fit])
    if rank < design.shape[1]:
        raise ModelInputError(
            f"the design has {design.shape[1]} terms but rank {rank} on the fitted rows: some "
            f"terms are collinear (terms: {', '.join(design.columns)})")

    if errors in ("ar", "arima"):
        units_in_fit = [int(in_fit[treated_mask].sum())] + (
            [] if units is None else
            [int((in_fit & (units[order] == u)).sum()) for u in dict.fromkeys(units.tolist())
             if u != treated])
        checks.check_ar_length(errors, 1 if maxlags is None else int(maxlags), units_in_fit,
                               design.shape[1])
    log_offset = np.log(exposure) if exposure is not None else None
    unit_codes = units[order] if units is not None else None
    y_series = pd.Series(y, index=rows, name=outcome)
    fit_data = FitData(
        y=y_series[in_fit], x=design[in_fit], t=t[in_fit],
        units=unit_codes[in_fit] if unit_codes is not None else None,
        log_offset=log_offset[in_fit] if log_offset is not None else None,
        trials=n_trials[in_fit] if n_trials is not None else None,
        n_per_unit=int(in_fit[treated_mask].sum()))
    series = SeriesFrame(
        rows=rows, unit=unit_codes, treated=treated_mask, ordinal=ordinals, t=t,
        period=periods, observed=y, exposure=exposure, trials=n_trials, in_fit=in_fit,
        phase_in=in_phase_in)
    return Prepared(index, parsed, series, design, fit_data)


def resolve_error_model(family: str, errors: str | None, small_sample: str | None
                        ) -> tuple[str | None, str | None]:
    """`fit_its`'s defaults of the error model, the one place they are decided: errors None is
    "ar" for family "gaussian" and "newey-west" for the count and proportion families; with
    errors "ar", small_sample None is "kenward-roger". Other values are returned as given (they
    are checked where the model is prepared)."""
    if errors is None:
        errors = "ar" if family == "gaussian" else "newey-west"
    if small_sample is None and errors == "ar":
        small_sample = "kenward-roger"
    return errors, small_sample


def fit_its(data: pd.DataFrame, *, outcome: str, time: str, interruptions: Any,
            impact: str = "level+trend", family: str = "gaussian", errors: str | None = None,
            maxlags: int | None = None, small_sample: str | None = None,
            seasonality: Seasonality = None,
            offset: str | None = None, trials: str | None = None, group: str | None = None,
            treated: Hashable | None = None, phase_in: int = 0, covariates: Sequence[str] = (),
            alpha: float = 0.05, dropna: bool = False,
            outcome_label: str | None = None) -> ITSResult:
    """Fit a segmented-regression interrupted time series.

    Model (link scale): g(E y_t) = b0 + b1*t + sum_k [b2k*D_k(t) + b3k*(t - T_k)*D_k(t)]
    + seasonal + covariates (+ log offset), t = 0 at the first period, D_k(t) = 1 from
    interruption k on (Wagner et al. 2002; Linden 2015; Lopez Bernal et al. 2017).

    Parameters
    ----------
    data: one row per period (per unit with comparison series).
    outcome, time: column names. `time` holds integers, pandas Periods, datetimes or
        "YYYY-MM" strings; the frequency is inferred and a gap, duplicate or unsorted row is
        an error.
    interruptions: a period (or list of periods) coded like `time`: the first period of each
        new regime. Term labels use `str()` of each value: `level_change[1989]`
        (for a datetime column, give "2020-08-03" rather than a Timestamp for a short label).
    impact: "level", "trend" or "level+trend".
    family: "gaussian", "poisson", "quasipoisson", "negbin" or "binomial".
    errors: "ols", "newey-west" (HAC, Bartlett kernel, Stata `newey` scaling n/(n-k), for
        reproducing Stata's itsa/newey), "ar" (REML AR(p) + GLS, as nlme::gls corAR1) or
        "arima" (SARIMAX AR(p) errors). None (default): "ar" for family="gaussian",
        "newey-west" for the count and proportion families. With a count or proportion
        family "ar" is quasi-likelihood with AR(1) Pearson residuals, fitted by iteratively
        reweighted REML AR(1) with Kenward-Roger (`quasi_ar1.py`; Zeger 1988).
    small_sample: with errors="ar", the inference: "kenward-roger" (default; first-order
        Kenward & Roger 1997: covariance inflated for the estimated autocorrelation, df per
        contrast), "satterthwaite" (df per contrast) or "none" (t on n - k). Not used with
        other error models.
    maxlags: Newey-West lag (None: the Newey & West 1994 plug-in rule, at most min(12, n/4),
        raised to 1 when the Breusch-Godfrey test finds autocorrelation; reported, see `lags`);
        for "ar"/"arima" the AR order (None: 1).
    seasonality: None, "month" (monthly fixed effects) or {"fourier": K, "period": P}.
    offset: exposure column for count families (enters as log offset).
    trials: binomial denominator column (outcome = successes); without it the outcome is a
        proportion.
    group, treated: unit column and treated unit of a comparison-series (controlled) design.
    phase_in: periods after each interruption left out of the fit (kept in effects and plots).
    covariates: extra numeric columns.
    alpha: 1 - confidence level of every interval.
    dropna: leave rows with missing values out of the fit instead of raising.
    outcome_label: the outcome in words ("the percentage of the cohort placed in south London")
        for the summary, methods text and figures; default the column name.
    """
    if outcome_label is not None and (not isinstance(outcome_label, str) or not outcome_label.strip()):
        raise ParameterError(f"outcome_label must be a non-empty string or None, got {outcome_label!r}")
    errors, small_sample = resolve_error_model(family, errors, small_sample)
    prepared = prepare(data, outcome=outcome, time=time, interruptions=interruptions,
                       impact=impact, family=family, errors=errors, maxlags=maxlags,
                       small_sample=small_sample,
                       seasonality=seasonality, offset=offset, trials=trials, group=group,
                       treated=treated, phase_in=phase_in, covariates=covariates, alpha=alpha,
                       dropna=dropna)
    fitted = estimate(prepared.fit_data, family=family, errors=errors, maxlags=maxlags,
                      alpha=alpha, small_sample=small_sample)
    spec = ModelSpec(outcome=outcome, time=time, impact=impact, family=family, errors=errors,
                     small_sample=small_sample,
                     maxlags_given=maxlags, seasonality=seasonality, offset=offset,
                     trials=trials, group=group, treated=treated, phase_in=phase_in,
                     covariates=tuple(covariates), alpha=alpha, dropna=dropna,
                     interruption_values=tuple(_as_list(interruptions)),
                     outcome_label=outcome_label)
    return ITSResult(spec=spec, index=prepared.index, interruptions=prepared.interruptions,
                     series=prepared.series, design_all=prepared.design, fit=fitted)
