"""Limitations the fit, its diagnostics and the series reveal, one sentence each
(segment lengths, residual autocorrelation, overdispersion, extrapolation of the
pre-trend, small-sample approximations), and `findings`, every limitation in order.
"""


import numpy as np
import pandas as pd

from slp_eval.its import ITSDiagnostics, ITSResult
from slp_eval.its.sensitivity import BreakDateResult, PlaceboResult
from slp_eval.its.text import number, p_text, unit_name
from slp_eval.params.its import ITSParams
from slp_eval.report.its.controlled import _constant
from slp_eval.report.its.effects import _pre_post, horizon_effect
from slp_eval.report.its.sensitivity import sensitivity_limitations
from slp_eval.series import DERIVED

__all__ = [
    "APPROXIMATE_SEGMENT_POINTS", "AUTOCORRELATION_ADVICE", "MIN_EFFECT_DF", "MIN_SEGMENT_POINTS",
    "approximation_limitations", "extrapolation_limitations", "findings", "limitations",
]


#: Fewer points than this in the segment before an interruption is flagged (Cochrane EPOC
#: guidance asks for at least 3; Penfold & Zhang 2013 and Wagner et al. 2002 advise 8 or more
#: on each side to estimate a trend and its autocorrelation).
MIN_SEGMENT_POINTS = 8


#: Fewer fitted points than this in a segment: small-sample intervals rest on approximations
#: (the coverage benchmark's shortest series has 12 a segment, benchmarks/coverage.py).
APPROXIMATE_SEGMENT_POINTS = 12


#: Denominator degrees of freedom below this for a programme effect are flagged.
MIN_EFFECT_DF = 3


_COUNT_ADVICE = (
    "refit as quasipoisson or negbin with errors: newey-west, the best option for counts in the "
    "coverage study (docs/its_validation.md, section 4: 90-94% coverage of 95% intervals at AR(1) "
    "0.2 and only 79-87% at 0.5, against 59-82% for Poisson with independent errors), and read "
    "the intervals as too narrow even then")


#: What `limitations` recommends when residual autocorrelation is found under errors: ols, by
#: family, from the coverage benchmark (benchmarks/coverage.py, docs/its_validation.md).
AUTOCORRELATION_ADVICE: dict[str, str] = {
    "gaussian": "refit with errors: ar (REML AR(1) errors with the Kenward-Roger correction, which "
                "covered 93-96% in the coverage study against 43-97% for independent errors, "
                "docs/its_validation.md, section 4)",
    "poisson": _COUNT_ADVICE,
    "quasipoisson": _COUNT_ADVICE,
    "negbin": _COUNT_ADVICE,
    "binomial": "refit with errors: newey-west, which allows for autocorrelation up to its lag "
                "(its coverage for proportions has not been measured here)",
}


def limitations(result: ITSResult, diagnostics: ITSDiagnostics, params: ITSParams,
                data: pd.DataFrame) -> list[str]:
    """Limitations the fit, its diagnostics and the series (`data`) reveal, one sentence each
    (with `extrapolation_limitations` and `approximation_limitations`)."""
    items = []
    cf = result.counterfactual()
    first = result.interruptions[0]
    n_pre = int(((cf["t"] < first.position) & cf["in_fit"]).sum())
    if n_pre < MIN_SEGMENT_POINTS:
        items.append(
            f"Only {n_pre} points before the interruption at {first.label} (fewer than "
            f"{MIN_SEGMENT_POINTS}): the pre-programme trend, and so the counterfactual, is poorly "
            "determined."
        )
    for k, nxt in zip(result.interruptions, [*result.interruptions[1:], None], strict=True):
        end = np.inf if nxt is None else nxt.position
        n_post = int(((cf["t"] >= k.position) & (cf["t"] < end) & cf["in_fit"]).sum())
        if n_post < MIN_SEGMENT_POINTS:
            items.append(f"Only {n_post} points in the fit from {k.label} (fewer than "
                         f"{MIN_SEGMENT_POINTS}): the change in trend is poorly determined.")
    tests = diagnostics.tests.set_index("test")
    if "breusch_godfrey" in tests.index:
        p = float(tests.loc["breusch_godfrey", "p_value"])
        lag = int(tests.loc["breusch_godfrey", "lag"])
        if p < params.alpha:
            handled = {
                "ols": "the standard errors assume independent errors, so the intervals are too "
                f"narrow; {AUTOCORRELATION_ADVICE[params.family]}",
                "newey-west": f"Newey-West standard errors (lag {result.model_info()['maxlags']}) allow "
                "for it only up to that lag",
                "ar": "it remains after the autoregressive error model, which may need a higher order",
                "arima": "it remains after the ARIMA error model, whose order may need revisiting",
            }[params.errors]
            items.append(f"Autocorrelation remains in the residuals (Breusch-Godfrey test up to lag "
                         f"{lag}, {p_text(p)}); {handled}.")
    if diagnostics.overdispersion is not None and diagnostics.overdispersion > 1.5 and \
            params.family in ("poisson", "binomial"):
        items.append(f"The counts are overdispersed (Pearson chi-square / df = "
                     f"{diagnostics.overdispersion:.2f}) but the {params.family} model assumes they are "
                     "not: its standard errors are too small (use quasipoisson or negbin).")
    denominator = DERIVED.get(params.outcome, (None, None))[1]
    if denominator is not None and data[denominator].nunique() == 1:
        items.append(f"The {denominator} is {_constant(float(data[denominator].iloc[0]), params)} "
                     "in every period: if that is an "
                     f"assumed size rather than a count made each period, the {params.outcome} is only as "
                     "right as the assumption.")
    info = result.model_info()
    if info.get("near_unit_root"):
        rho = ", ".join(f"{a:.4f}" for a in info["ar_params"])
        items.append(f"The autoregressive coefficient ({rho}) is at the edge of stationarity: the errors "
                     "behave as a random walk, so the counterfactual level is poorly identified (prefer "
                     "Newey-West errors, differencing or a comparison series).")
    items += extrapolation_limitations(result) + approximation_limitations(result)
    if not result.controlled:
        items.append("There is no comparison series: anything else that changed the outcome at the same "
                     "time as the programme is attributed to the programme.")
    return items


def _pre_trend(result: ITSResult) -> pd.Series:
    return result.coefficients.loc["group:trend" if result.controlled else "trend"]


def extrapolation_limitations(result: ITSResult) -> list[str]:
    """Limitations of projecting the pre-programme trend: a post-period longer than the
    pre-period (with the effect over a horizon no longer than the pre-period) and a pre-trend
    whose interval includes no trend at all (p > alpha)."""
    items = []
    unit = unit_name(result)
    n_pre, n_post = _pre_post(result)
    level = round(100 * (1 - result.spec.alpha))
    within = horizon_effect(result)
    if within is not None:
        absolute = within.set_index("term").loc["absolute_effect"]
        if result.fit.link == "log":
            total = result.cumulative_effect().set_index("term").loc["absolute_effect"]
            effect = (f"Over the first {n_pre} {unit}s ({absolute['period']}), no longer than the "
                      f"pre-period, the cumulative effect is {number(absolute['estimate'])} ({level}% "
                      f"CI {number(absolute['ci_low'])} to {number(absolute['ci_high'])}), against "
                      f"{number(total['estimate'])} over all {n_post}.")
        else:
            effect = (f"At {n_pre - 1} {unit}s after the interruption ({absolute['period']}), the "
                      f"last within a horizon no longer than the pre-period, the effect is "
                      f"{number(absolute['estimate'])} ({level}% CI {number(absolute['ci_low'])} to "
                      f"{number(absolute['ci_high'])}).")
        items.append(
            f"The post-programme period ({n_post} {unit}s) is longer than the pre-programme period "
            f"the counterfactual is estimated from ({n_pre} {unit}s): the later effects extrapolate "
            f"the pre-programme trend further than the data behind it. {effect}")
    pre = _pre_trend(result)
    if pre["p_value"] > result.spec.alpha:
        cf = result.counterfactual().iloc[-1]
        if result.fit.link == "identity":
            slope = (f"{number(pre['estimate'])} a {unit}, {level}% CI {number(pre['ci_low'])} to "
                     f"{number(pre['ci_high'])}")
        else:
            scale = "rate" if result.fit.link == "log" else "odds"
            slope = (f"{scale} ratio {pre['ratio']:.4f} a {unit}, {level}% CI "
                     f"{pre['ratio_ci_low']:.4f} to {pre['ratio_ci_high']:.4f}")
        items.append(
            f"The pre-programme trend is imprecise ({slope}, {p_text(pre['p_value'])}): the data "
            f"before {result.interruptions[0].label} do not establish whether the outcome was rising "
            f"or falling, yet the counterfactual carries that trend {n_post} {unit}s forward (its "
            f"{level}% band at {cf['period']} runs from {number(cf['counterfactual_ci_low'])} to "
            f"{number(cf['counterfactual_ci_high'])}), so the later "
            f"{'and cumulative effects rest' if result.fit.link == 'log' else 'effects rest'} on it.")
    return items


def approximation_limitations(result: ITSResult) -> list[str]:
    """Where even small-sample-corrected intervals rest on approximations: a segment with fewer
    than `APPROXIMATE_SEGMENT_POINTS` fitted points (but at least `MIN_SEGMENT_POINTS`, which
    `limitations` flags more strongly), the AR coefficient at the bound of its range
    (`model_info()["rho_at_bound"]`), and denominator degrees of freedom below `MIN_EFFECT_DF`
    for a programme effect (the coefficient table's `df` column, Kenward-Roger or Satterthwaite)."""
    items = []
    cf = result.counterfactual()
    edges = [-np.inf, *(k.position for k in result.interruptions), np.inf]
    names = [f"before {result.interruptions[0].label}"] + [f"from {k.label}" for k in result.interruptions]
    for name, low, high in zip(names, edges[:-1], edges[1:], strict=True):
        n = int(((cf["t"] >= low) & (cf["t"] < high) & cf["in_fit"]).sum())
        if MIN_SEGMENT_POINTS <= n < APPROXIMATE_SEGMENT_POINTS:
            items.append(f"Only {n} points in the segment {name} (fewer than "
                         f"{APPROXIMATE_SEGMENT_POINTS}): intervals on series this short rest on "
                         "small-sample approximations whose coverage has not been checked here "
                         "(docs/its_validation.md).")
    info = result.model_info()
    if info.get("rho_at_bound"):
        rho = ", ".join(f"{a:.4f}" for a in info.get("ar_params") or [])
        items.append(f"The REML estimate of the autocorrelation ({rho}) sits at the bound of its "
                     "admissible range: the likelihood does not peak inside it, so the intervals, "
                     "even with the small-sample correction, rest on an approximation that is poor "
                     "there.")
    table = result.coefficients
    if "df" in table.columns:
        prefix = "group:" if result.controlled else ""
        for k in result.interruptions:
            for what in ("level_change", "trend_change"):
                term = f"{prefix}{what}[{k.label}]"
                if term in table.index and table.loc[term, "df"] < MIN_EFFECT_DF:
                    items.append(
                        f"The {what.replace('_', ' ')} at {k.label} has {table.loc[term, 'df']:.1f} "
                        f"denominator degrees of freedom (below {MIN_EFFECT_DF}): its interval is "
                        "very wide and depends heavily on the small-sample approximation.")
    return items


def findings(result: ITSResult, params: ITSParams, series: pd.DataFrame,
             diagnostics: ITSDiagnostics, placebo_result: PlaceboResult | str,
             breaks: BreakDateResult | str) -> list[str]:
    """Every limitation the fit, its diagnostics and its sensitivity analyses reveal, in the
    order the report lists them (`limitations`, then `sensitivity_limitations`)."""
    return (limitations(result, diagnostics, params, series)
            + sensitivity_limitations(placebo_result, breaks, params.alpha))
