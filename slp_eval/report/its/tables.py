"""The report's other tables: the series by segment, published estimates beside ours, the
coefficient table with plain labels and the residual tests.
"""


import numpy as np
import pandas as pd

from slp_eval.disclosure import disclose_count, disclose_ratio, disclose_share
from slp_eval.its import ITSDiagnostics, ITSResult
from slp_eval.its.text import unit_name
from slp_eval.params.its import ITSParams
from slp_eval.report.its.controlled import _treated_rows, count_kind
from slp_eval.report.its.wording import term_label
from slp_eval.series import DERIVED

__all__ = [
    "diagnostics_table", "estimates_caption", "estimates_frame", "published_comparison",
    "series_overview",
]


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
