"""The one series the ITS notebook models and the arguments of `slp_eval.its.fit_its` taken
from the parameter model.
"""

from typing import Any

import pandas as pd

from slp_eval.errors import ParameterError
from slp_eval.params.its import ITSParams
from slp_eval.report.session import Report
from slp_eval.report.stop import stop
from slp_eval.series import prepare_series

__all__ = ["fit_arguments", "one_series", "series"]


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


def _its(report: Report) -> ITSParams:
    if not isinstance(report.params, ITSParams):
        raise TypeError("the ITS report helpers need an `analysis: its` report")
    return report.params
