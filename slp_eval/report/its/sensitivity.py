"""The in-time placebo test and the break-date sensitivity the parameters ask for: the
analyses, their panels, the limitations they reveal and how they reconcile with the
model's own p-values.
"""


import pandas as pd

from slp_eval.errors import ModelInputError
from slp_eval.its import ITSDiagnostics, ITSResult
from slp_eval.its.sensitivity import BreakDateResult, PlaceboResult, break_date_sensitivity, placebo_test
from slp_eval.its.text import p_text
from slp_eval.params.its import ITSParams
from slp_eval.report.its.fit import _its, fit_arguments
from slp_eval.report.session import Report

__all__ = [
    "break_dates", "checks", "placebo", "placebo_reconciliation", "sensitivity_limitations",
    "show_sensitivity",
]


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
