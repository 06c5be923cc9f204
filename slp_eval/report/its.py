"""What the ITS notebook shows beyond the generic report: the series it models, the arguments
of `fit_its` from the parameter model, effect tables, the published-versus-ours table and the
limitations the fit itself reveals.
"""

from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from slp_eval.disclosure import controlled_counts, disclose_count, disclose_ratio, disclose_share
from slp_eval.errors import ModelInputError
from slp_eval.its import ITSDiagnostics, ITSResult
from slp_eval.its.sensitivity import BreakDateResult, PlaceboResult, break_date_sensitivity, placebo_test
from slp_eval.params.its import ITSParams
from slp_eval.report.session import Report
from slp_eval.series import DERIVED, prepare_series

#: Fewer points than this in the segment before an interruption is flagged (Cochrane EPOC
#: guidance asks for at least 3; Penfold & Zhang 2013 and Wagner et al. 2002 advise 8 or more
#: on each side to estimate a trend and its autocorrelation).
MIN_SEGMENT_POINTS = 8


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
    """`result.plot()` with the observed points under the run's disclosure rule."""
    from slp_eval.plots.its import plot_its

    rule = params.disclosure
    return plot_its(result, observed=controlled_observed(result, series, params),
                    suppressed_label=f"suppressed ({rule.suppress_min}-{rule.suppress_max})")


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
    shares, whose sum over periods has no meaning.

    With `params`, the cumulative fitted total of a log-link model is disclosure-controlled: a
    Poisson-type fit with a level-change term reproduces the observed post-period total exactly."""
    cf = result.counterfactual()
    last_h = int(cf["t"].max()) - result.interruptions[0].position
    shown = [h for h in horizons if 0 <= h <= last_h]
    frames = [result.effect_at(h) for h in shown]
    if result.fit.link == "log":
        total = result.cumulative_effect()
        frames.append(total.assign(
            period=total["from_period"].astype(str) + " to " + total["to_period"].astype(str), h="all"))
    elif last_h not in shown:
        frames.append(result.effect_at(last_h))
    out = pd.concat(frames, ignore_index=True)
    out["period"] = out["period"].astype(str)
    out["when"] = [f"{h} periods after" if h != "all" else "cumulative" for h in out["h"]]
    if params is not None and result.fit.link == "log":
        cumulative = out["h"] == "all"
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
    """Published estimates beside ours (on the coefficient or ratio scale each source uses)."""
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
            "term": item.term, "scale": item.scale, "published": item.estimate, "ours": ours["estimate"],
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
    """Limitations the fit, its diagnostics and the series (`data`) reveal, one sentence each."""
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
                "ols": "the standard errors assume independent errors, so the intervals are too narrow",
                "newey-west": f"Newey-West standard errors (lag {result.model_info()['maxlags']}) allow "
                "for it only up to that lag",
                "ar": "it remains after the autoregressive error model, which may need a higher order",
                "arima": "it remains after the ARIMA error model, whose order may need revisiting",
            }[params.errors]
            items.append(f"Autocorrelation remains in the residuals (Breusch-Godfrey test up to lag "
                         f"{lag}, p = {p:.3f}); {handled}.")
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
    if not result.controlled:
        items.append("There is no comparison series: anything else that changed the outcome at the same "
                     "time as the programme is attributed to the programme.")
    return items


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


def _its(report: Report) -> ITSParams:
    if not isinstance(report.params, ITSParams):
        raise TypeError("the ITS report helpers need an `analysis: its` report")
    return report.params


__all__ = [
    "MIN_SEGMENT_POINTS",
    "break_dates",
    "controlled_observed",
    "count_kind",
    "effects",
    "fit_arguments",
    "fit_plot",
    "limitations",
    "placebo",
    "published_comparison",
    "results_block",
    "sensitivity_block",
    "sensitivity_limitations",
    "series",
    "series_overview",
]
