"""The ITS report's section for a parameter file with `by:`: every unit fitted, drawn and pooled.

`units_section(report, series)` is the one notebook cell: it fits the model of the parameter
file to every unit's series (`slp_eval.its.fit_its_many`), shows a table of the units (periods,
mean observed value under the run's disclosure rule, fit status), a forest plot of each unit's
level and trend change with the pooled estimates, and the random-effects pooling of those
changes (`slp_eval.its.pool_its`: y_i = mu + u_i + e_i, u_i ~ N(0, tau^2), with tau^2 by
DerSimonian-Laird and by Paule-Mandel; I^2, tau^2 and Cochran's Q). Without `by:` it shows
nothing and returns None, so the cell can sit in every ITS notebook.

Disclosure control per unit follows the rest of the report (`slp_eval.disclosure`): a unit's
mean of counts is its rounded total over its periods, suppressed when the total is a suppressed
count; a mean share or rate is suppressed when the unit's total numerator (or, for a share, its
complement or denominator) is. Model estimates and their intervals are shown as computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from slp_eval.disclosure import disclose_ratio, disclose_share
from slp_eval.errors import ModelInputError
from slp_eval.its import PooledResult, fit_its_many, pool_its
from slp_eval.its.pooled import METHODS
from slp_eval.params.its import ITSParams
from slp_eval.report.its import count_kind, fit_arguments
from slp_eval.report.session import Report
from slp_eval.series import DERIVED

#: Columns of the pooled table, in order.
POOLED_COLUMNS = ["term", "method", "k", "estimate", "ci_low", "ci_high", "p_value", "tau2", "i2",
                  "q", "q_df", "q_p_value"]


def by_columns(params: ITSParams) -> list[str]:
    """The `by` column names of the parameters ([] without `by`)."""
    return [] if params.by is None else [params.by] if isinstance(params.by, str) else list(params.by)


@dataclass(frozen=True)
class UnitsResult:
    """Every unit's fit (`fits`, fit_its_many's frame), the units table under disclosure control
    (`units`), and the random-effects pooling by method (`pooled`: "dl", "pm"; empty with fewer
    than two fitted units, `not_pooled` says why)."""

    by: list[str]
    fits: pd.DataFrame
    units: pd.DataFrame
    pooled: dict[str, PooledResult]
    not_pooled: str | None

    def pooled_table(self) -> pd.DataFrame:
        """One row per term and method: k, estimate, interval, p, tau^2, I^2 (%), Q, its df and p."""
        if not self.pooled:
            return pd.DataFrame(columns=POOLED_COLUMNS)
        frame = pd.concat([p.pooled for p in self.pooled.values()], ignore_index=True)
        frame["method"] = frame["method"].map(METHODS)
        frame["i2"] = 100 * frame["i2"]
        return frame[POOLED_COLUMNS].sort_values("term", kind="stable").reset_index(drop=True)

    def forest_frame(self) -> pd.DataFrame:
        """Rows of the forest plot: each fitted unit's level and trend change, then the pooled
        estimate of each method (label, term, estimate, ci_low, ci_high)."""
        fitted = self.fits[(self.fits["status"] != "failed")
                           & self.fits["term"].astype(str).str.match(r"(level|trend)_change\[")]
        rows = fitted.assign(label=fitted[self.by].astype(str).agg(" / ".join, axis=1))
        parts = []
        for term in dict.fromkeys(rows["term"]):
            parts.append(rows[rows["term"] == term])
            for method, result in self.pooled.items():
                pooled = result.pooled[result.pooled["term"] == term]
                parts.append(pooled.assign(label=f"Pooled ({METHODS[method]})"))
        columns = ["label", "term", "estimate", "ci_low", "ci_high"]
        return pd.concat([p[columns] for p in parts], ignore_index=True)

    def plot(self) -> Any:
        """Forest plot: a panel per term, each unit's estimate and interval, then the pooled ones."""
        from slp_eval.plots.forest import forest_plot

        return forest_plot(self.forest_frame(), label="label", group="term")

    def summary(self) -> str:
        """How many units were fitted and pooled, and each term's pooled estimate."""
        n_units = len(self.units)
        failed = int((self.units["status"] == "failed").sum())
        text = (f"The model was fitted to each of {n_units} units ({', '.join(self.by)})"
                + (f"; {failed} could not be fitted (see the table)." if failed else "."))
        if self.not_pooled:
            return f"{text} {self.not_pooled}"
        lines = [text]
        for method, result in self.pooled.items():
            for row in result.pooled.itertuples():
                lines.append(
                    f"{row.term}, {METHODS[method]} random effects: {row.estimate:.4g} "
                    f"({100 * (1 - result.alpha):g}% CI {row.ci_low:.4g} to {row.ci_high:.4g}) over "
                    f"{row.k} units; tau^2 = {row.tau2:.4g}, I^2 = {100 * row.i2:.1f}%.")
        return " ".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready block for results.json (the units table as controlled)."""
        from slp_eval.results import to_jsonable

        return to_jsonable({"by": self.by, "units": self.units, "fits": self.fits,
                            "pooled": self.pooled_table(), "not_pooled": self.not_pooled})


def _units_table(series: pd.DataFrame, fits: pd.DataFrame, params: ITSParams,
                 by: list[str]) -> pd.DataFrame:
    """Per unit: periods, mean observed (disclosure-controlled for counts), status and reason."""
    kind = count_kind(params, series) if params.disclosure.in_effect else None
    status = fits.drop_duplicates(by).set_index(by)[["status", "reason"]]
    rows = []
    for key, unit in series.groupby(by, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        observed = pd.to_numeric(unit[params.outcome], errors="coerce").dropna()
        mean: float | str = float(observed.mean()) if len(observed) else np.nan
        if kind == "count":
            mean = disclose_ratio(float(observed.sum()), len(observed), params.disclosure)
        elif kind in ("share", "rate"):
            top, bottom, scale = DERIVED[params.outcome]
            top_total, bottom_total = (float(np.nansum(unit[c].to_numpy(float))) for c in (top, bottom))
            shown = (disclose_share(top_total, bottom_total, params.disclosure, scale)
                     if kind == "share" else disclose_ratio(top_total, bottom_total, params.disclosure))
            mean = shown if isinstance(shown, str) else mean
        state = status.loc[key if len(by) > 1 else key[0]]
        rows.append({**dict(zip(by, key, strict=True)), "periods": len(unit),
                     "mean observed": mean, "status": state["status"],
                     "reason": "" if pd.isna(state["reason"]) else state["reason"]})
    return pd.DataFrame(rows)


def fit_units(series: pd.DataFrame, params: ITSParams) -> UnitsResult:
    """Fit every unit of `params.by`, pool the level and trend changes (DL and PM), and build
    the units table under the run's disclosure rule (see the module docstring)."""
    by = by_columns(params)
    if not by:
        raise ModelInputError("fit_units needs parameters with `by:` (the unit column)")
    fits = fit_its_many(series, by=by, **fit_arguments(params))
    pooled: dict[str, PooledResult] = {}
    not_pooled = None
    try:
        for method in METHODS:
            pooled[method] = pool_its(fits, method=method, alpha=params.alpha)
    except ModelInputError as error:
        pooled, not_pooled = {}, f"The units were not pooled: {error}."
    return UnitsResult(by, fits, _units_table(series, fits, params, by), pooled, not_pooled)


def units_section(report: Report, series: pd.DataFrame) -> UnitsResult | None:
    """The notebook cell for `by:` (see the module docstring): units table, forest plot, pooled
    table and summary shown in `report`; None (nothing shown) without `by:`."""
    params = report.params
    if not isinstance(params, ITSParams) or params.by is None:
        return None
    result = fit_units(series, params)
    report.table(result.units, name="units", caption="The units fitted",
                 digits={"periods": 0, "mean observed": 2})
    report.text(result.summary())
    if result.pooled:
        report.figure(result.plot(), "units_forest",
                      caption="Level and trend change of each unit and pooled (random effects).")
        report.table(result.pooled_table(), name="pooled",
                     caption="Random-effects pooling of the units (I^2 in %)",
                     digits={"k": 0, "q_df": 0})
    return result
