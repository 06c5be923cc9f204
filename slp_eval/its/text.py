"""Prose from a fitted ITS: the quotable summary and the methods paragraph.

Every number comes from the result's own frames; the wording follows the family (differences in
the outcome's units for the identity link, rate ratios for log links, odds ratios for logit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import statsmodels

from slp_eval.its.numbers import number, p_text

if TYPE_CHECKING:
    from slp_eval.its.result import ITSResult

_UNIT = {"yearly": "year", "quarterly": "quarter", "monthly": "month", "weekly": "week",
         "integer": "period"}
_FAMILY = {
    "gaussian": "a linear (Gaussian) segmented regression",
    "poisson": "a Poisson segmented regression (log link)",
    "quasipoisson": "a quasi-Poisson segmented regression (log link, dispersion estimated from "
                    "the Pearson chi-square)",
    "negbin": "a negative binomial (NB2) segmented regression (log link, dispersion by maximum "
              "likelihood)",
    "binomial": "a binomial segmented regression (logit link, overdispersion allowed for by a "
                "quasi-binomial scale from the Pearson chi-square)",
}


def _ci(row, low: str = "ci_low", high: str = "ci_high") -> str:
    return f"{number(row[low])} to {number(row[high])}"


def _ratio_ci(row) -> str:
    return f"{row['ratio_ci_low']:.3f} to {row['ratio_ci_high']:.3f}"


def effect_number(value: float, link: str) -> str:
    """An effect against the counterfactual as the report prints it everywhere (answer box,
    effects table, summary): whole with thousands separators for counts (log link), otherwise
    to 2 decimals."""
    return f"{value:,.0f}" if link == "log" else f"{value:,.2f}"


def unit_name(result: ITSResult) -> str:
    """The period of the series in words ("month"), as the summary uses it."""
    return _UNIT[result.frequency]


def _in(unit: str | None) -> str:
    return f" {unit}" if unit else ""


def _describe(result: ITSResult, term: str, what: str, unit: str | None = None) -> str | None:
    table = result.coefficients
    if term not in table.index:
        return None
    row = table.loc[term]
    level = round(100 * (1 - result.spec.alpha))
    if result.fit.link == "identity":
        verb = "rose" if row["estimate"] >= 0 else "fell"
        if what == "level":
            return (f"the level {verb} by {number(abs(row['estimate']))}{_in(unit)} ({level}% CI "
                    f"{_ci(row)}, {p_text(row['p_value'])})")
        return (f"the trend changed by {number(row['estimate'])}{_in(unit)} per "
                f"{_UNIT[result.frequency]} ({level}% CI {_ci(row)}, {p_text(row['p_value'])})")
    ratio = "a rate ratio" if result.fit.link == "log" else "an odds ratio"
    if what == "level":
        return (f"the level changed by {ratio} of {row['ratio']:.3f} ({level}% CI "
                f"{_ratio_ci(row)}, {p_text(row['p_value'])})")
    return (f"the trend changed by {ratio} of {row['ratio']:.3f} per "
            f"{_UNIT[result.frequency]} ({level}% CI {_ratio_ci(row)}, {p_text(row['p_value'])})")


def _overall_effect(result: ITSResult, outcome_unit: str | None = None) -> str:
    """The effect over the whole post-period: summed for counts (log link: bed days avoided),
    at the last period for levels and shares, whose sum over months has no meaning (numbers as
    `effect_number`)."""
    level = round(100 * (1 - result.spec.alpha))
    unit = _UNIT[result.frequency]
    link = result.fit.link

    def ci(row) -> str:
        return f"{effect_number(row['ci_low'], link)} to {effect_number(row['ci_high'], link)}"

    if link == "log":
        cumulative = result.cumulative_effect().iloc[0]
        return (f"Summed over the {int(cumulative['periods'])} {unit}s from "
                f"{cumulative['from_period']} to {cumulative['to_period']}, the observed series "
                f"differs from the counterfactual by {effect_number(cumulative['estimate'], link)}"
                f"{_in(outcome_unit)} ({level}% CI {ci(cumulative)}).")
    last = result.interruptions[-1]
    h = int(result.counterfactual()["t"].max()) - last.position
    effect = result.effect_at(h, last.label).set_index("term")
    absolute, relative = effect.loc["absolute_effect"], effect.loc["relative_effect"]
    side = "above" if absolute["estimate"] >= 0 else "below"
    return (f"By {absolute['period']}, {h} {unit}(s) after {last.label}, the fitted series was "
            f"{effect_number(abs(absolute['estimate']), link)}{_in(outcome_unit)} {side} the "
            f"counterfactual ({level}% CI {ci(absolute)}; relative to the counterfactual "
            f"{100 * relative['estimate']:+.1f}%, "
            f"CI {100 * relative['ci_low']:+.1f}% to {100 * relative['ci_high']:+.1f}%).")


def summary_text(result: ITSResult, outcome_unit: str | None = None) -> str:
    """A paragraph a report can quote; `outcome_unit` ("percentage points") follows differences
    in the outcome's units."""
    spec, unit = result.spec, _UNIT[result.frequency]
    table = result.coefficients
    prefix = "group:" if result.controlled else ""
    who = (f"in {spec.treated} relative to the comparison series" if result.controlled else "")
    pre_term = "group:trend" if result.controlled else "trend"
    pre = table.loc[pre_term]
    if result.fit.link == "identity":
        direction = "rose" if pre["estimate"] >= 0 else "fell"
        opening = (f"Before {result.interruptions[0].label}, {spec.outcome_name} {who + ' ' if who else ''}"
                   f"{direction} by {number(abs(pre['estimate']))}{_in(outcome_unit)} a {unit}")
    else:
        scale = "rate" if result.fit.link == "log" else "odds"
        direction = "rose" if pre["ratio"] >= 1 else "fell"
        opening = (f"Before {result.interruptions[0].label}, the {scale} of {spec.outcome_name} "
                   f"{who + ' ' if who else ''}{direction} by "
                   f"{abs(100 * (pre['ratio'] - 1)):.2g}% a {unit} ({scale} ratio "
                   f"{pre['ratio']:.3f})")
    sentences = [opening + "."]
    for k in result.interruptions:
        parts = [p for p in (
            _describe(result, f"{prefix}level_change[{k.label}]", "level", outcome_unit),
            _describe(result, f"{prefix}trend_change[{k.label}]", "trend", outcome_unit)) if p]
        sentences.append(f"At {k.label} " + "; ".join(parts) + ".")
    sentences.append(_overall_effect(result, outcome_unit))
    if spec.phase_in:
        sentences.append(f"The first {spec.phase_in} {unit}(s) after each interruption were "
                         "treated as a phase-in and left out of the fit.")
    return " ".join(sentences)


def methods_text(result: ITSResult) -> str:
    """A methods-section paragraph generated from the fit."""
    spec, info, unit = result.spec, result.model_info(), _UNIT[result.frequency]
    labels = ", ".join(k.label for k in result.interruptions)
    text = [
        f"We fitted {_FAMILY[spec.family]} interrupted time series model to {info['n_obs']} "
        f"{unit}ly observations of {spec.outcome_name}"
        .replace("yearly", "yearly").replace("dayly", "daily")
        .replace("periodly", "period"),
    ]
    text[0] += (f" with interruption(s) at {labels}, estimating the change in level and in "
                "trend" if spec.impact == "level+trend" else
                f" with interruption(s) at {labels}, estimating the change in {spec.impact}")
    text[0] += (" (time coded 0 at the first period; the trend change is centred at the "
                "interruption).")
    if spec.offset:
        text.append(f"The log of {spec.offset} entered as an offset, so effects are on rates.")
    if spec.trials:
        text.append(f"The outcome was the number of successes out of {spec.trials}.")
    if result.controlled:
        text.append(
            f"Following Linden (2015), {spec.treated} was compared with the other units of "
            f"{spec.group} stacked in one model with a treated-unit indicator and its "
            "interactions; the programme effect is the difference between the treated unit and "
            "the comparison units in the change in level and in trend.")
    if spec.errors == "newey-west":
        how = ("chosen as the " + info["maxlags_chosen_by"]
               if spec.maxlags_given is None else "set in advance")
        text.append(
            f"Standard errors were Newey-West (Bartlett kernel) with {info['maxlags']} lag(s), "
            f"{how}, with the small-sample scaling n/(n-k) used by Stata's newey"
            + (" and t statistics on n-k degrees of freedom" if spec.family == "gaussian" else "")
            + ("; autocovariances were computed within each unit" if result.controlled else "")
            + ".")
    elif spec.errors == "ar" and spec.family != "gaussian":
        ar = ", ".join(f"{a:.3f}" for a in info["ar_params"])
        how = ("iterated to convergence" if info.get("irls_converged") else
               "in one step from the independent model (the iteration had no fixed point)")
        text.append(
            "Counts were modelled by quasi-likelihood with AR(1) Pearson residuals (Zeger 1988): "
            f"the working response was fitted by weighted REML AR(1) and GLS, {how}, with the "
            f"autocorrelation estimated as {ar} and the dispersion as {info['dispersion']:.3g}.")
        text.append(_small_sample_text(result))
    elif spec.errors == "ar":
        ar = ", ".join(f"{a:.3f}" for a in info["ar_params"])
        text.append(
            f"Errors were modelled as an AR({len(info['ar_params'])}) process whose coefficient(s) "
            f"({ar}) were estimated by restricted maximum likelihood, followed by generalised "
            "least squares (as R's nlme::gls with corAR1 and method='REML').")
        text.append(_small_sample_text(result))
    elif spec.errors == "arima":
        text.append(f"Errors were modelled as an AR({len(info['ar_params'])}) process in a "
                    "regression with AR errors estimated by exact maximum likelihood (as R's "
                    "arima with method='ML'), with normal-theory intervals from the observed "
                    "information.")
    else:
        text.append("Standard errors were model-based, assuming independent errors.")
    if spec.seasonality == "month":
        text.append("Seasonality was adjusted for with calendar-month fixed effects.")
    elif spec.seasonality is not None:
        text.append(f"Seasonality was adjusted for with {spec.seasonality['fourier']} pair(s) of "
                    f"Fourier terms of period {spec.seasonality['period']}.")
    if info.get("near_unit_root"):
        text.append("The estimated autocorrelation is at the edge of stationarity (the errors "
                    "behave as a random walk), so the intercept and the counterfactual level "
                    "are poorly identified; Newey-West errors, differencing or a comparison "
                    "series are safer.")
    if info.get("converged") is False:
        text.append("The optimiser did not report convergence; treat these estimates with "
                    "caution.")
    if spec.covariates:
        text.append(f"Covariates: {', '.join(spec.covariates)}.")
    if spec.phase_in:
        text.append(f"The first {spec.phase_in} {unit}(s) after each interruption were treated "
                    "as a phase-in period, excluded from the fit but shown in the figures.")
    text.append(
        f"Intervals are {round(100 * (1 - spec.alpha))}% confidence intervals; effects versus "
        "the counterfactual use the delta method (identity link) or simulation from the "
        "coefficients' sampling distribution (log and logit links). Models were fitted with "
        f"slp-eval using statsmodels {statsmodels.__version__}.")
    return " ".join(text)


def _small_sample_text(result: ITSResult) -> str:
    """How intervals and p-values of a REML AR fit were computed, with the df range used."""
    info = result.model_info()
    method = info["small_sample"]
    if method == "none":
        return ("Intervals and p-values used t on n-k degrees of freedom, with no allowance for "
                "the estimation of the autocorrelation (small_sample='none').")
    df = result.coefficients["df"]
    span = (f"{df.min():.1f}" if np.isclose(df.min(), df.max())
            else f"{df.min():.1f} to {df.max():.1f}")
    if method == "kenward-roger":
        text = ("Intervals and p-values used the first-order Kenward-Roger small-sample "
                "correction (Kenward & Roger 1997; SAS DDFM=KR(FIRSTORDER)): the covariance of "
                "the coefficients inflated for the uncertainty in the estimated autocorrelation "
                "and variance, and a t reference with Kenward-Roger degrees of freedom (for one "
                f"contrast, Satterthwaite's) for each coefficient and effect ({span} for the "
                "coefficients).")
    else:
        text = ("Intervals and p-values used t references with Satterthwaite (1946) degrees of "
                f"freedom for each coefficient and effect ({span} for the coefficients), from "
                "the observed REML information of the covariance parameters.")
    if info.get("ar_held_fixed_for_small_sample"):
        text += (" The autocorrelation estimate lies on the edge of its admissible range, so "
                 "the correction treated it as known (only the variance was allowed for).")
    return text
