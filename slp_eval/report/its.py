"""What the ITS notebook shows beyond the generic report: the series it models, the arguments
of `fit_its` from the parameter model, effect tables, the published-versus-ours table and the
limitations the fit itself reveals.
"""

import re
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from slp_eval.disclosure import controlled_counts, disclose_count, disclose_ratio, disclose_share
from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.its import ITSDiagnostics, ITSResult
from slp_eval.its.sensitivity import BreakDateResult, PlaceboResult, break_date_sensitivity, placebo_test
from slp_eval.its.text import number, p_text, summary_text, unit_name
from slp_eval.params.its import ITSParams
from slp_eval.report.figures import WITHHELD_GID
from slp_eval.report.session import Report
from slp_eval.report.stop import stop
from slp_eval.series import DERIVED, prepare_series

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


def series(report: Report) -> pd.DataFrame:
    """The one series the model fits: filtered rows, the time column built, the outcome derived."""
    p = _its(report)
    parts = p.time_parts
    return prepare_series(
        report.data["data"],
        outcome=p.outcome,
        time=p.time,
        filters=p.filters,
        year=parts.year if parts else None,
        month=parts.month if parts else None,
    )


def one_series(report: Report) -> pd.DataFrame:
    """`series` for the ITS notebook, which fits one series: a parameter file with `by:` stops
    here with one paragraph (`slp-eval run` runs such a file through notebooks/its_units.ipynb,
    `slp_eval.params.notebook_of`)."""
    if _its(report).by:
        stop(ParameterError(
            "by: this notebook fits one series; a parameter file with by: fits every unit and "
            "pools them in notebooks/its_units.ipynb, which `slp-eval run` uses for it. Open that "
            "notebook, or remove by: and filter to one unit"), cell="the data")
    return series(report)


def fit_arguments(params: ITSParams) -> dict[str, Any]:
    """Keyword arguments of `slp_eval.its.fit_its` taken from the parameter model."""
    seasonality = params.seasonality
    return {
        "outcome": params.outcome,
        "time": params.time,
        "interruptions": list(params.interruptions),
        "impact": params.impact,
        "family": params.family,
        "errors": params.errors,
        "small_sample": params.small_sample,
        "maxlags": params.maxlags,
        "seasonality": seasonality if seasonality is None or isinstance(seasonality, str)
        else seasonality.model_dump(),
        "offset": params.offset,
        "trials": params.trials,
        "group": params.group,
        "treated": params.treated,
        "phase_in": params.phase_in,
        "covariates": list(params.covariates),
        "alpha": params.alpha,
        "dropna": params.dropna,
        "outcome_label": params.outcome_label,
    }


# -- disclosure control of what the ITS report shows of the series itself ---------------------
CountKind = Literal["count", "share", "rate"]


def count_kind(params: ITSParams, series: pd.DataFrame) -> CountKind | None:
    """Whether the modelled outcome is built from counts of people or events, and how.

    "share" / "rate": a derived outcome of DERIVED (numerator over denominator or exposure);
    "count": the values of a monthly_series count measure, or any outcome of a count family;
    None: a measure that is not a count (a mean distance, say), shown as it is.
    """
    if params.outcome in DERIVED:
        return "rate" if DERIVED[params.outcome][1] == "exposure" else "share"
    if "measure_type" in series.columns and set(series["measure_type"].dropna()) == {"count"}:
        return "count"
    return "count" if params.family in ("poisson", "quasipoisson", "negbin") else None


def _treated_rows(series: pd.DataFrame, params: ITSParams) -> pd.DataFrame:
    rows = series if params.group is None else series[series[params.group] == params.treated]
    return rows.assign(_period=rows[params.time].astype(str)).set_index("_period")


def controlled_observed(result: ITSResult, series: pd.DataFrame, params: ITSParams) -> np.ndarray | None:
    """The treated series' observed values as a figure may draw them, in the order of
    `result.counterfactual()`: counts rounded, NaN where suppressed; shares and rates NaN where
    they would give a suppressed count back. None when the outcome is not built from counts or the
    disclosure rule is not in effect (the exact values are then drawn)."""
    kind = count_kind(params, series)
    rule = params.disclosure
    if kind is None or not rule.in_effect:
        return None
    cf = result.counterfactual()
    if kind == "count":
        return controlled_counts(cf["observed"].to_numpy(float), rule)
    rows = _treated_rows(series, params).reindex(cf["period"].astype(str))
    top, bottom, scale = DERIVED[params.outcome]
    shown = []
    for x, n in zip(rows[top].to_numpy(float), rows[bottom].to_numpy(float), strict=True):
        value = disclose_share(x, n, rule, scale) if kind == "share" else disclose_ratio(x, n, rule)
        shown.append(np.nan if isinstance(value, str) else value)
    return np.asarray(shown, dtype=float)


def fit_plot(result: ITSResult, series: pd.DataFrame, params: ITSParams) -> Figure:
    """`result.plot()` with the observed points under the run's disclosure rule.

    For a count series under control, the model curves (fitted line, counterfactual and their
    bands) are drawn but their values are kept out of the figure's text data: a Poisson-type or
    least-squares fit with a term per segment reproduces each segment's exact total as the sum
    of its fitted values, which the report shows only rounded."""
    from slp_eval.plots.its import plot_its

    rule = params.disclosure
    counts = rule.in_effect and count_kind(params, series) == "count"
    fig = plot_its(result, observed=controlled_observed(result, series, params),
                   suppressed_label=f"suppressed ({rule.suppress_min}-{rule.suppress_max})",
                   comparison_total=(lambda totals: controlled_counts(totals, rule)) if counts
                   else None)
    from slp_eval.plots.its import label_interruptions

    ax = fig.axes[0]
    names = [interruption_name(result, params, i) for i in range(len(result.interruptions))]
    label_interruptions(ax, result, names, line=False)
    ax.set_ylabel(level_axis_label(result, params))
    if counts:
        for artist in fig.axes[0].get_children():
            if (isinstance(artist, Line2D) and len(artist.get_xdata()) > 2) or isinstance(
                    artist, PolyCollection):
                artist.set_gid(WITHHELD_GID)
    return fig


def series_overview(result: ITSResult, params: ITSParams | None = None,
                    series: pd.DataFrame | None = None) -> pd.DataFrame:
    """Periods and mean observed outcome in each segment of the treated series.

    With `params` and `series` (disclosure control): a mean of counts is the *rounded* segment total
    over its periods, suppressed when the total is (a mean times its periods gives the total back);
    a mean of shares or rates is suppressed when the segment's total numerator (or, for shares, its
    complement) is a suppressed count."""
    cf = result.counterfactual()
    kind = None
    if params is not None and series is not None and params.disclosure.in_effect:
        kind = count_kind(params, series)
    parts = None
    if kind in ("share", "rate") and params is not None and series is not None:
        top, bottom, _ = DERIVED[params.outcome]
        parts = _treated_rows(series, params).reindex(cf["period"].astype(str))[[top, bottom]].to_numpy(float)
    edges = [k.position for k in result.interruptions]
    labels = [f"before {result.interruptions[0].label}"] + [
        f"from {k.label}" for k in result.interruptions
    ]
    segment = np.searchsorted(np.asarray(edges), cf["t"].to_numpy(), side="right")
    rows = []
    for i, label in enumerate(labels):
        part = cf[segment == i]
        mean: float | str = float(part["observed"].mean()) if len(part) else np.nan
        if len(part) and params is not None and kind == "count":
            observed = part["observed"].dropna()
            mean = disclose_ratio(float(observed.sum()), len(observed), params.disclosure)
        elif len(part) and params is not None and parts is not None:
            top_total, bottom_total = np.nansum(parts[segment == i], axis=0)
            shown = (disclose_share(top_total, bottom_total, params.disclosure) if kind == "share"
                     else disclose_count(top_total, params.disclosure))
            mean = shown if isinstance(shown, str) else mean
        rows.append({
            "segment": label,
            "first period": str(part["period"].iloc[0]) if len(part) else "",
            "last period": str(part["period"].iloc[-1]) if len(part) else "",
            "periods": len(part),
            "in fit": int(part["in_fit"].sum()),
            "mean observed": mean,
        })
    return pd.DataFrame(rows)


def effects(result: ITSResult, horizons: list[int], params: ITSParams | None = None) -> pd.DataFrame:
    """Effect versus the counterfactual at each horizon that exists, then over the whole post
    period: summed for counts (log link: bed days avoided), at the last period for levels and
    shares, whose sum over periods has no meaning. When the post-period is longer than the
    pre-period, also over a horizon no longer than the pre-period (`horizon_effect`).

    With `params`, the cumulative fitted total of a log-link model is disclosure-controlled: a
    Poisson-type fit with a level-change term reproduces the observed post-period total exactly."""
    cf = result.counterfactual()
    last_h = int(cf["t"].max()) - result.interruptions[0].position
    shown = [h for h in horizons if 0 <= h <= last_h]
    within = horizon_effect(result)
    if result.fit.link == "log":
        total = result.cumulative_effect()
        frames = [result.effect_at(h) for h in shown] + ([] if within is None else [within]) + [
            total.assign(period=total["from_period"].astype(str) + " to "
                         + total["to_period"].astype(str), h="cumulative")]
    else:
        extra = {last_h} | (set() if within is None else {int(within["h"].iloc[0])})
        frames = [result.effect_at(h) for h in sorted(set(shown) | extra)]
    out = pd.concat(frames, ignore_index=True)
    out["period"] = out["period"].astype(str)
    out["when"] = [f"{h} periods after" if isinstance(h, int | np.integer) else h for h in out["h"]]
    if params is not None and result.fit.link == "log":
        cumulative = out["h"] == "cumulative"
        out["fitted"] = out["fitted"].astype(object)
        out.loc[cumulative, "fitted"] = [_total(v, params) for v in out.loc[cumulative, "fitted"]]
    relative = out["term"] == "relative_effect"
    out.loc[relative, ["estimate", "ci_low", "ci_high"]] *= 100.0
    out["term"] = out["term"].map({"absolute_effect": "absolute", "relative_effect": "relative (%)"})
    keep = ["when", "period", "term", "fitted", "counterfactual", "estimate", "ci_low", "ci_high"]
    return out[keep].rename(columns={"term": "effect", "ci_low": "CI low", "ci_high": "CI high"})


def _total(value: float, params: ITSParams) -> int | str:
    """A fitted total that equals an observed total, as a report may show it."""
    return disclose_count(round(float(value)), params.disclosure)


def _constant(value: float, params: ITSParams) -> str:
    """A count repeated in every period, for a sentence, under the disclosure rule."""
    shown = disclose_count(value, params.disclosure)
    if isinstance(shown, str):
        return f"the same suppressed count ({shown})"
    return f"{shown:,}" + (" (rounded)" if shown != value else "")


def published_comparison(result: ITSResult, params: ITSParams) -> pd.DataFrame:
    """Published estimates beside ours (on the coefficient or ratio scale each source uses); `term`
    as the parameter file names it, `model term` in words."""
    table = result.coefficients
    rows = []
    for item in params.published:
        if item.term not in table.index:
            ours: dict[str, float] = {"estimate": np.nan, "std_err": np.nan, "ci_low": np.nan,
                                      "ci_high": np.nan}
        elif item.scale == "ratio":
            row = table.loc[item.term]
            ours = {"estimate": row["ratio"], "std_err": np.nan, "ci_low": row["ratio_ci_low"],
                    "ci_high": row["ratio_ci_high"]}
        else:
            ours = table.loc[item.term, ["estimate", "std_err", "ci_low", "ci_high"]].to_dict()
        rows.append({
            "term": item.term,
            "model term": term_label(item.term, result, params) if item.term in table.index else "",
            "scale": item.scale, "published": item.estimate, "ours": ours["estimate"],
            "difference": ours["estimate"] - item.estimate,
            "published SE": item.std_err, "our SE": ours["std_err"],
            "published CI": _pair(item.ci_low, item.ci_high),
            "our CI": _pair(ours["ci_low"], ours["ci_high"]),
            "source": item.source,
        })
    return pd.DataFrame(rows)


def _pair(low: float | None, high: float | None) -> str:
    if low is None or high is None or np.isnan(low) or np.isnan(high):
        return ""
    return f"{low:.4g} to {high:.4g}"


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


def _pre_post(result: ITSResult) -> tuple[int, int]:
    """Fitted periods before the first interruption, and periods from it to the end (every one
    of which the counterfactual is projected to)."""
    cf = result.counterfactual()
    first = result.interruptions[0].position
    return int(((cf["t"] < first) & cf["in_fit"]).sum()), int((cf["t"] >= first).sum())


def horizon_effect(result: ITSResult) -> pd.DataFrame | None:
    """When the post-period is longer than the pre-period, the effect over its first n_pre
    periods (n_pre: fitted periods before the first interruption): summed for counts (log link),
    at the last of those periods for levels and shares. None otherwise. Rows as `effect_at`,
    `h` the label the effects table shows."""
    n_pre, n_post = _pre_post(result)
    if n_post <= n_pre or n_pre < 1:
        return None
    if result.fit.link == "log":
        within = result.cumulative_effect(periods=n_pre)
        return within.assign(
            period=within["from_period"].astype(str) + " to " + within["to_period"].astype(str),
            h=f"cumulative, first {n_pre} periods")
    return result.effect_at(n_pre - 1)


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


def placebo_reconciliation(result: ITSResult, placebo_result: PlaceboResult | str) -> str | None:
    """One sentence reconciling a programme effect the model calls significant with an in-time
    placebo test that does not single it out (None when there is nothing to reconcile)."""
    if not isinstance(placebo_result, PlaceboResult):
        return None
    alpha = result.spec.alpha
    label = result.interruptions[0].label
    clauses = []
    for _, row in placebo_result.tests.iterrows():
        term = f"{row['term']}[{label}]"
        if term not in result.coefficients.index or row["p_value"] < alpha:
            continue
        model_p = float(result.coefficients.loc[term, "p_value"])
        if model_p >= alpha:
            continue
        what = row["term"].replace("group:", "").replace("_", " ")
        size = int(row["n_placebos"]) + 1
        if int(row["rank"]) == 1:
            clauses.append(f"the {what} ({p_text(model_p)} in the model) is the largest of {size} "
                           f"in-time placebo estimates, but with {size} dates that test cannot reach "
                           f"p < {alpha:g}, so it neither confirms nor contradicts the model")
        else:
            clauses.append(f"the {what} is significant against the model's standard errors "
                           f"({p_text(model_p)}) but ranks {int(row['rank'])} of {size} among "
                           f"in-time placebo estimates (permutation-style p = {row['p_value']:.3f}): "
                           "the pre-programme series changed this much at dates when no programme "
                           "started, so the model's p-value overstates how surely the change is "
                           "the programme's")
    if not clauses:
        return None
    sentence = "; ".join(clauses)
    return sentence[0].upper() + sentence[1:] + "."


def summary(result: ITSResult, placebo_result: PlaceboResult | str,
            params: ITSParams | None = None) -> str:
    """The fit's summary paragraph (differences in `params.outcome_unit`, if given), with the
    placebo reconciliation when one is needed."""
    extra = placebo_reconciliation(result, placebo_result)
    text = summary_text(result, params.outcome_unit if params is not None else None)
    return text + (f" {extra}" if extra else "")


def placebo(data: pd.DataFrame, params: ITSParams) -> PlaceboResult | str:
    """The in-time placebo test the parameters ask for, or the sentence saying why there is none."""
    if not params.sensitivity.placebo:
        return "The in-time placebo test was not requested (sensitivity.placebo: false)."
    try:
        return placebo_test(data, **fit_arguments(params))
    except ModelInputError as error:
        return f"No in-time placebo test: {error}."


def break_dates(data: pd.DataFrame, params: ITSParams) -> BreakDateResult | str:
    """The break-date sensitivity the parameters ask for, or the sentence saying why there is none."""
    window = params.sensitivity.break_date_window
    if window == 0:
        return "The break-date sensitivity analysis was not requested (sensitivity.break_date_window: 0)."
    try:
        return break_date_sensitivity(data, window=window, **fit_arguments(params))
    except ModelInputError as error:
        return f"No break-date sensitivity analysis: {error}."


def checks(result: ITSResult, series: pd.DataFrame, params: ITSParams
           ) -> tuple[ITSDiagnostics, PlaceboResult | str, BreakDateResult | str]:
    """Residual diagnostics, the in-time placebo test and the break-date sensitivity the
    parameters ask for (`placebo`, `break_dates`): what the answer and the evidence read."""
    return result.diagnostics(), placebo(series, params), break_dates(series, params)


def findings(result: ITSResult, params: ITSParams, series: pd.DataFrame,
             diagnostics: ITSDiagnostics, placebo_result: PlaceboResult | str,
             breaks: BreakDateResult | str) -> list[str]:
    """Every limitation the fit, its diagnostics and its sensitivity analyses reveal, in the
    order the report lists them (`limitations`, then `sensitivity_limitations`)."""
    return (limitations(result, diagnostics, params, series)
            + sensitivity_limitations(placebo_result, breaks, params.alpha))


def show_sensitivity(report: Report, check: PlaceboResult | BreakDateResult | str,
                     result: ITSResult, name: str, *, caption: str = "") -> None:
    """`Report.sensitivity` with the panels' y axes in the estimates' units: the outcome's unit
    for an identity link, log rate or odds ratios otherwise."""
    from slp_eval.plots.its import plot_break_dates, plot_placebo

    if isinstance(check, str):
        report.text(check)
        return
    params = _its(report)
    unit = {"identity": params.outcome_unit, "log": "log rate ratio",
            "logit": "log odds ratio"}.get(result.fit.link)
    report.text(check.summary())
    plot = plot_placebo if isinstance(check, PlaceboResult) else plot_break_dates
    report.figure(plot(check, unit=unit), name, caption=caption)


def sensitivity_limitations(placebo_result: PlaceboResult | str, breaks: BreakDateResult | str,
                            alpha: float) -> list[str]:
    """Limitations the sensitivity analyses reveal."""
    items = []
    if isinstance(placebo_result, PlaceboResult):
        for _, row in placebo_result.tests.iterrows():
            if row["p_value"] >= alpha and int(row["rank"]) == 1:
                items.append(
                    f"The {row['term'].replace('_', ' ')} is the largest of {int(row['n_placebos']) + 1} "
                    f"in-time placebo estimates, but with so few placebo dates the permutation-style p "
                    f"cannot fall below {1 / (int(row['n_placebos']) + 1):.3f}: the placebo test is weak."
                )
            elif row["p_value"] >= alpha:
                items.append(
                    f"The {row['term'].replace('_', ' ')} is not extreme among in-time placebos (rank "
                    f"{int(row['rank'])} of {int(row['n_placebos']) + 1}, permutation-style p = "
                    f"{row['p_value']:.3f}): the pre-programme series moves this much by itself."
                )
    if isinstance(breaks, BreakDateResult):
        for term, rows in breaks.estimates.groupby("term", sort=False):
            if (rows["estimate"] > 0).any() and (rows["estimate"] < 0).any():
                items.append(f"The sign of the {term.replace('_', ' ')} depends on the break date chosen "
                             f"within {int(rows['shift'].abs().max())} periods of it.")
    return items


def sensitivity_block(placebo_result: PlaceboResult | str, breaks: BreakDateResult | str) -> dict[str, Any]:
    """The `sensitivity` section of the its block of results.json."""
    return {
        "placebo": placebo_result.to_dict() if isinstance(placebo_result, PlaceboResult)
        else {"skipped": placebo_result},
        "break_dates": breaks.to_dict() if isinstance(breaks, BreakDateResult) else {"skipped": breaks},
    }


def results_block(result: ITSResult, params: ITSParams | None = None, **extra: Any) -> dict[str, Any]:
    """The `its` block of results.json: model, effects, diagnostics, text, plus `extra` sections.

    With `params`, cumulative fitted totals of a log-link model are controlled as in `effects`."""
    block = result.to_dict()["its"]
    if params is not None and result.fit.link == "log":
        for effects_of in block.get("effects", {}).values():
            for row in effects_of.get("cumulative", []):
                row["fitted"] = _total(row["fitted"], params)
    block.update(extra)
    return block

# -- what a reader sees: units, plain term labels, the headline effect and the answer box ------
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]
#: The answer box's caveat is the first sentence of the first limitation (in the order
#: `findings` gives them) of the first kind that has one, in this order: what makes the interval
#: itself untrustworthy (residual autocorrelation, overdispersion, a near-unit-root or boundary AR
#: estimate), then very few degrees of freedom, then too few points in a segment, then a placebo
#: test that does not single the effect out or a break date that flips its sign, then
#: extrapolation of the pre-trend, then a denominator that never changes, then the lack of a
#: comparison series. Each kind is recognised by the opening words of the sentence `limitations`,
#: `approximation_limitations`, `extrapolation_limitations` or `sensitivity_limitations` writes.
#: Synthetic data is not a caveat here: the SYNTHETIC banner stands directly above the answer
#: box; it is the caveat only when nothing else is flagged.
CAVEAT_PRIORITY: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("intervals", ("Autocorrelation remains", "The counts are overdispersed",
                   "The autoregressive coefficient", "The REML estimate of the autocorrelation")),
    ("degrees of freedom", ("The level change at", "The trend change at")),
    ("too few points", ("Only",)),
    ("sensitivity", ("The level change is", "The trend change is", "The group:",
                     "The sign of the")),
    ("extrapolation", ("The post-programme period", "The pre-programme trend is imprecise")),
    ("constant denominator", ("The denominator is", "The exposure is")),
    ("no comparison series", ("There is no comparison series",)),
)
SYNTHETIC_CAVEAT = ("The data are synthetic: the answer shows what the method does, not what "
                    "happened.")


def whole_numbers(params: ITSParams, series: pd.DataFrame) -> bool:
    """Whether the outcome is a count of people, events or days, shown without decimals."""
    return count_kind(params, series) == "count"


def quantity(value: float, params: ITSParams, series: pd.DataFrame, *, signed: bool = False,
             digits: int = 2) -> str:
    """A value in the outcome's units as every table, sentence and figure label of the report
    prints it: counts whole with thousands separators (-52,595), other outcomes to `digits`
    decimals; `signed` puts + before a positive value."""
    if value is None or not np.isfinite(value):
        return ""
    d = 0 if whole_numbers(params, series) else digits
    return f"{value:{'+' if signed else ''},.{d}f}"


def with_unit(text: str, params: ITSParams) -> str:
    """"-8.21 percentage points": a formatted number and the outcome's unit, if one is set."""
    return f"{text} {params.outcome_unit}" if params.outcome_unit and text else text


def unit_suffix(params: ITSParams) -> str:
    """" (bed days)" for a column heading or axis label; "" without an `outcome_unit`."""
    return f" ({params.outcome_unit})" if params.outcome_unit else ""


def level_suffix(params: ITSParams) -> str:
    """" (%)" for the levels of a percent outcome, whose changes are in percentage points;
    otherwise `unit_suffix`."""
    return " (%)" if params.outcome == "percent" else unit_suffix(params)


def level_axis_label(result: ITSResult, params: ITSParams) -> str:
    """The fit figure's y axis: the outcome's unit ("bed days"; "percent" for a percent outcome,
    whose changes are in percentage points), else the outcome in words (the title names it)."""
    if params.outcome == "percent":
        return "percent"
    return params.outcome_unit or result.spec.outcome_name


def interruption_name(result: ITSResult, params: ITSParams, index: int = 0) -> str:
    """"2018-04 (Complex Care Programme starts)": the period, with its plain name if given."""
    label = result.interruptions[index].label
    names = params.interruption_labels
    return f"{label} ({names[index]})" if names else label


def term_label(term: str, result: ITSResult, params: ITSParams) -> str:
    """The plain words for a model term (results.json keeps the code names):
    `level_change[2018-04]` -> "Change in level at 2018-04 (Complex Care Programme starts)"."""
    unit = unit_name(result)
    first = str(result.counterfactual()["period"].iloc[0])
    names = {k.label: interruption_name(result, params, i) for i, k in enumerate(result.interruptions)}
    prefix, _, bare = term.rpartition(":")
    who = {"": "Comparison units: " if result.controlled else "",
           "group": f"Difference ({result.spec.treated} minus comparison): "}.get(prefix)
    if term == "group":
        return f"Difference ({result.spec.treated} minus comparison): level at {first}"
    if who is None:
        return term
    base, _, inside = bare.partition("[")
    inside = inside.rstrip("]")
    if bare == "intercept":
        text = f"Level at {first} (intercept)"
    elif bare == "trend":
        text = f"Trend before {names[result.interruptions[0].label]}, per {unit}"
    elif base == "level_change" and inside in names:
        text = f"Change in level at {names[inside]}"
    elif base == "trend_change" and inside in names:
        text = f"Change in trend at {names[inside]}, per {unit}"
    elif base == "month" and inside.isdigit():
        text = f"{_MONTHS[int(inside) - 1]} (against January)"
    else:
        return term
    return who + (text[0].lower() + text[1:] if who else text)


def estimates_frame(result: ITSResult, params: ITSParams) -> pd.DataFrame:
    """The coefficient table with plain term labels, for `Report.estimates`."""
    frame = result.to_frame()
    return frame.assign(term=[term_label(t, result, params) for t in frame["term"]])


_TESTS = {"durbin_watson": "Durbin-Watson", "breusch_godfrey": "Breusch-Godfrey",
          "ljung_box": "Ljung-Box"}


def diagnostics_table(diagnostics: ITSDiagnostics) -> pd.DataFrame:
    """The residual tests with their plain names, for `Report.table` (p-values as "<0.001")."""
    frame = diagnostics.to_frame()
    return pd.DataFrame({"test": frame["test"].map(_TESTS).fillna(frame["test"]),
                         "up to lag": frame["lag"], "statistic": frame["statistic"],
                         "p": frame["p_value"]})


def estimates_caption(result: ITSResult, params: ITSParams) -> str:
    """The estimates table's caption, naming the scale of its Estimate column."""
    if result.fit.link == "identity":
        scale = params.outcome_unit or "the outcome's units"
        return f"Segmented regression estimates (in {scale}; trends per {unit_name(result)})"
    ratio = "rate" if result.fit.link == "log" else "odds"
    return (f"Segmented regression estimates (Estimate on the log {ratio} scale; Ratio is the "
            f"{ratio} ratio; trends per {unit_name(result)})")


def headline_effect(result: ITSResult) -> pd.Series:
    """The effect the answer box quotes, against the counterfactual of the whole programme: for
    a log link (counts) summed over every period from the first interruption (as CausalImpact's
    cumulative effect); otherwise at the last period, since a level or share summed over
    periods has no meaning. The absolute row of `cumulative_effect` or `effect_at`, with
    `what` describing the period(s)."""
    unit = unit_name(result)
    if result.fit.link == "log":
        row = result.cumulative_effect().set_index("term").loc["absolute_effect"].copy()
        row["what"] = (f"in total over the {int(row['periods'])} {unit}s from {row['from_period']} "
                       f"to {row['to_period']}")
        return row
    last_h = int(result.counterfactual()["t"].max()) - result.interruptions[0].position
    row = result.effect_at(last_h).set_index("term").loc["absolute_effect"].copy()
    row["what"] = f"at {row['period']}, {last_h} {unit}s after {result.interruptions[0].label}"
    return row


#: Most words in the answer box's caveat: its sentence keeps whole clauses (split at "; ") up to
#: this length, dropping the advice a long limitation ends with (the Limitations list keeps it).
CAVEAT_WORDS = 35


def main_caveat(items: list[str], synthetic: bool = False, *,
                priority: tuple[tuple[str, tuple[str, ...]], ...] | None = None) -> str | None:
    """The one caveat that matters most: the first sentence of the first limitation by
    `priority` (default `CAVEAT_PRIORITY`), shortened to whole clauses within `CAVEAT_WORDS`
    words; `SYNTHETIC_CAVEAT` (for synthetic data) or None when nothing is flagged."""
    for _, openings in CAVEAT_PRIORITY if priority is None else priority:
        for item in items:
            if item.startswith(openings):
                return _short(re.split(r"(?<=\.)\s+(?=[A-Z])", " ".join(item.split()), maxsplit=1)[0])
    return SYNTHETIC_CAVEAT if synthetic else None


def _short(sentence: str) -> str:
    clauses = sentence.rstrip(".").split("; ")
    kept = clauses[:1]
    for clause in clauses[1:]:
        if len(" ".join([*kept, clause]).split()) > CAVEAT_WORDS:
            break
        kept.append(clause)
    return "; ".join(kept) + "."


def answer(result: ITSResult, params: ITSParams, series: pd.DataFrame,
           limitations: list[str], *, synthetic: bool = False) -> dict[str, str | None]:
    """The answer box's three strings (keywords of `Report.answer`): `verdict`, one plain
    sentence on whether the outcome moved away from what its pre-programme trend predicts
    (the headline effect's interval excluding 0); `effect`, the headline effect
    (`headline_effect`) in the outcome's units with its interval, formatted as the effects table
    formats it; `caveat`, `main_caveat` of the report's limitations."""
    row = headline_effect(result)
    level = round(100 * (1 - result.spec.alpha))
    outcome = params.outcome_label or result.spec.outcome_name
    when = interruption_name(result, params)
    against = " relative to the comparison series" if result.controlled else ""
    changed = row["ci_low"] > 0 or row["ci_high"] < 0
    if changed:
        side = "fell below" if row["estimate"] < 0 else "rose above"
        verdict = (f"After {when}, {outcome}{against} {side} what its "
                   "earlier trend predicts, by more than chance alone would explain.")
    else:
        verdict = (f"The data do not show a change in {outcome}{against} "
                   f"after {when}: the {level}% interval of the effect includes no change.")
    effect = (f"{with_unit(quantity(row['estimate'], params, series, signed=True), params)} "
              f"against the counterfactual {row['what']} ({level}% CI "
              f"{quantity(row['ci_low'], params, series)} to "
              f"{quantity(row['ci_high'], params, series)}).")
    return {"verdict": verdict, "effect": effect, "caveat": main_caveat(limitations, synthetic)}


def effects_table(result: ITSResult, horizons: list[int], params: ITSParams,
                  series: pd.DataFrame) -> pd.DataFrame:
    """`effects` for a reader: one row per horizon, values in the outcome's units (counts
    whole) with the absolute and the relative (%) effect in their own columns, one scale each,
    as the answer box and the effect figure print them. Every cell is text.

    The counterfactual total over the whole post-period of a log-link fit is "withheld" when
    its fitted total is controlled: the fitted total is that counterfactual plus the effect."""
    tidy = effects(result, horizons, params)
    level = round(100 * (1 - result.spec.alpha))
    unit, suffix, levels = unit_name(result), unit_suffix(params), level_suffix(params)
    rows = []
    for (when, period), part in tidy.groupby(["when", "period"], sort=False):
        absolute = part[part["effect"] == "absolute"].iloc[0]
        relative = part[part["effect"] == "relative (%)"].iloc[0]
        fitted = absolute["fitted"]
        counterfactual = quantity(absolute["counterfactual"], params, series)
        if when == "cumulative" and result.fit.link == "log" and params.disclosure.in_effect:
            counterfactual = "withheld"
        rows.append({
            "when": str(when).replace("periods", f"{unit}s"),
            "period": period,
            f"fitted{levels}": fitted if isinstance(fitted, str) else quantity(fitted, params, series),
            f"counterfactual{levels}": counterfactual,
            f"effect{suffix}": quantity(absolute["estimate"], params, series, signed=True),
            f"{level}% CI": f"{quantity(absolute['CI low'], params, series)} to "
                            f"{quantity(absolute['CI high'], params, series)}",
            "relative effect (%)": f"{relative['estimate']:+.1f}",
            f"relative {level}% CI": f"{relative['CI low']:.1f} to {relative['CI high']:.1f}",
        })
    return pd.DataFrame(rows)


def effect_path(result: ITSResult) -> pd.DataFrame:
    """Pointwise and (log link) cumulative effect at every period from the first interruption,
    each with its (1 - alpha) band, for the CausalImpact-style effect figure: `period`, `t`,
    `pointwise`, `pointwise_low/high`, and for a log link `cumulative`, `cumulative_low/high`
    (from `cumulative_effect(periods=k)`: the band of a sum is not the sum of bands)."""
    first = result.interruptions[0].position
    last_h = int(result.counterfactual()["t"].max()) - first
    rows = []
    for h in range(last_h + 1):
        point = result.effect_at(h).set_index("term").loc["absolute_effect"]
        row = {"period": str(point["period"]), "t": first + h, "pointwise": point["estimate"],
               "pointwise_low": point["ci_low"], "pointwise_high": point["ci_high"]}
        if result.fit.link == "log":
            total = result.cumulative_effect(periods=h + 1).set_index("term").loc["absolute_effect"]
            row |= {"cumulative": total["estimate"], "cumulative_low": total["ci_low"],
                    "cumulative_high": total["ci_high"]}
        rows.append(row)
    return pd.DataFrame(rows)


def effect_plot(result: ITSResult, params: ITSParams, series: pd.DataFrame) -> Figure:
    """Fitted minus counterfactual at each period with its band (observed minus counterfactual
    as points), and summed to date for counts (log link), as CausalImpact's pointwise and
    cumulative panels; axes in the outcome's units, the interruption(s) named.

    Disclosure control as `fit_plot`: observed values controlled; for a count series under
    control every curve, band and point is drawn but kept out of the figure's text data (the
    counterfactual path with the pointwise effect gives the fitted path, whose segment sums are
    the exact totals)."""
    from slp_eval.plots.its import plot_effects

    names = [interruption_name(result, params, i) for i in range(len(result.interruptions))]
    fig = plot_effects(result, effect_path(result), unit=params.outcome_unit,
                       interruption_names=names,
                       observed=controlled_observed(result, series, params))
    if params.disclosure.in_effect and count_kind(params, series) == "count":
        for ax in fig.axes:
            for artist in ax.get_children():
                if (isinstance(artist, Line2D) and len(artist.get_xdata()) > 2) or isinstance(
                        artist, PolyCollection | PathCollection):
                    artist.set_gid(WITHHELD_GID)
    return fig


def _its(report: Report) -> ITSParams:
    if not isinstance(report.params, ITSParams):
        raise TypeError("the ITS report helpers need an `analysis: its` report")
    return report.params


__all__ = [
    "APPROXIMATE_SEGMENT_POINTS",
    "AUTOCORRELATION_ADVICE",
    "CAVEAT_PRIORITY",
    "CAVEAT_WORDS",
    "MIN_EFFECT_DF",
    "MIN_SEGMENT_POINTS",
    "SYNTHETIC_CAVEAT",
    "answer",
    "approximation_limitations",
    "break_dates",
    "checks",
    "controlled_observed",
    "count_kind",
    "diagnostics_table",
    "effect_path",
    "effect_plot",
    "effects",
    "effects_table",
    "estimates_caption",
    "estimates_frame",
    "extrapolation_limitations",
    "findings",
    "fit_arguments",
    "fit_plot",
    "headline_effect",
    "horizon_effect",
    "interruption_name",
    "level_axis_label",
    "level_suffix",
    "limitations",
    "main_caveat",
    "one_series",
    "placebo",
    "placebo_reconciliation",
    "published_comparison",
    "quantity",
    "results_block",
    "sensitivity_block",
    "sensitivity_limitations",
    "series",
    "series_overview",
    "show_sensitivity",
    "summary",
    "term_label",
    "unit_suffix",
    "whole_numbers",
    "with_unit",
]
