"""The ITS report of a parameter file with `by:`: every unit fitted, drawn and pooled.

`notebooks/its_units.ipynb` runs it (`slp-eval run` picks that notebook for an ITS file with
`by:`, `slp_eval.params.notebook_of`). `fit_units` fits the model of the parameter file to every
unit's series (`slp_eval.its.fit_its_many`) and pools each unit's level and trend change with a
random-effects meta-analysis (`slp_eval.its.pool_its`):

    y_i = mu + u_i + e_i,  u_i ~ N(0, tau^2),  e_i ~ N(0, s_i^2),

y_i the unit's estimate and s_i its standard error, tau^2 by DerSimonian-Laird (DerSimonian &
Laird 1986) and by Paule-Mandel (Paule & Mandel 1982; Viechtbauer 2007), mu with weights
1 / (s_i^2 + tau^2) and a normal interval, I^2 and Cochran's Q (Higgins & Thompson 2002), as
`metafor::rma`. The report shows the answer (the DerSimonian-Laird pooled changes), a forest plot
of the units and the pooled estimates, the units table, the pooled table, limitations and methods.

The aggregate series (the units summed) is not fitted: the pooled estimate answers "how did the
typical unit change", and a sum of shares or rates is not defined without their numerators and
denominators; a file without `by:` that filters to the total fits that series.

Disclosure control per unit follows the rest of the report (`slp_eval.disclosure`): a unit's
mean of counts is its rounded total over its periods; a unit whose total (or, for a share or
rate, its numerator total or a share's complement) is a suppressed count is *withheld*: its row
of the units table shows the suppression marker, its estimates are left out of the forest plot,
of results.json and of the pooling (a model of a count series gives its totals back), and a
limitation says how many units were withheld.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from slp_eval.disclosure import disclose_ratio, disclose_share
from slp_eval.errors import ModelInputError
from slp_eval.its import PooledResult, fit_its, fit_its_many, pool_its
from slp_eval.its.pooled import METHODS
from slp_eval.its.text import p_text
from slp_eval.params.its import ITSParams
from slp_eval.report.its import (
    count_kind,
    fit_arguments,
    main_caveat,
    unit_suffix,
    with_unit,
)
from slp_eval.report.session import Report
from slp_eval.report.tables import format_p
from slp_eval.series import DERIVED

#: Columns of the pooled table, in order.
POOLED_COLUMNS = ["term", "method", "k", "estimate", "std_err", "ci_low", "ci_high", "p_value",
                  "tau2", "i2", "q", "q_df", "q_p_value"]
#: Status of a unit left out under disclosure control (its total is a suppressed count).
WITHHELD = "withheld (disclosure control)"
#: Fewer pooled units than this is flagged: tau^2 is then poorly estimated and the normal
#: random-effects interval is too narrow (IntHout, Ioannidis & Borm 2014 found the DerSimonian-
#: Laird interval's coverage well below 95% with few studies and heterogeneity).
MIN_POOLED_UNITS = 5
#: I^2 (%) at or above which heterogeneity is flagged ("substantial", Higgins et al. 2003).
HIGH_I2 = 50.0
#: The poolings of a units run, by key: (tau^2 estimator, test) and the label a reader sees.
#: Hartung-Knapp-Sidik-Jonkman beside DerSimonian-Laird because with few units the normal
#: interval is too narrow (IntHout et al. 2014) and evaluators pool 3 trusts or 12 boroughs.
POOLINGS: dict[str, tuple[str, str, str]] = {
    "dl": ("dl", "z", METHODS["dl"]),
    "pm": ("pm", "z", METHODS["pm"]),
    "dl_knha": ("dl", "knha", "DerSimonian-Laird, Hartung-Knapp"),
}
#: The link of each family: log and logit estimates are pooled on that scale and shown as ratios.
LINKS = {"gaussian": "identity", "poisson": "log", "quasipoisson": "log", "negbin": "log",
         "binomial": "logit"}
#: The order in which a limitation becomes the answer box's caveat (by its opening words): a
#: conclusion that depends on the tau^2 estimator, then heterogeneity, too few units, units that
#: failed, units withheld, then the lack of a comparison series.
UNITS_CAVEAT_PRIORITY: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("estimator", ("DerSimonian-Laird and Paule-Mandel", "The Hartung-Knapp interval")),
    ("heterogeneity", ("The units differ",)),
    ("few units", ("Only",)),
    ("failed", ("Of the",)),
    ("withheld", ("Disclosure control withheld",)),
    ("no comparison series", ("There is no comparison series",)),
)


def by_columns(params: ITSParams) -> list[str]:
    """The `by` column names of the parameters ([] without `by`)."""
    return [] if params.by is None else [params.by] if isinstance(params.by, str) else list(params.by)


def _labels(frame: pd.DataFrame, by: list[str]) -> pd.Series:
    """"RPG" or "RPG / nursing": each row's unit, as the tables and the forest plot name it."""
    if frame.empty:
        return pd.Series([], index=frame.index, dtype=object)
    return frame[by].astype(str).agg(" / ".join, axis=1)


@dataclass(frozen=True)
class UnitsResult:
    """Every unit's fit (`fits`, fit_its_many's frame, exact), the units table under disclosure
    control (`units`), the random-effects pooling by `POOLINGS` key (`pooled`: "dl", "pm",
    "dl_knha"; empty with
    fewer than two fitted units, `not_pooled` says why), the units withheld under disclosure
    control (`withheld`, their labels), the model's `link` and `alpha`."""

    by: list[str]
    fits: pd.DataFrame
    units: pd.DataFrame
    pooled: dict[str, PooledResult]
    not_pooled: str | None
    withheld: tuple[str, ...]
    link: str
    alpha: float

    @property
    def terms(self) -> list[str]:
        """The level and trend change terms fitted, in model order."""
        terms = self.fits["term"].astype(str)
        return list(dict.fromkeys(terms[terms.str.match(r"(level|trend)_change\[")]))

    def shown_fits(self) -> pd.DataFrame:
        """`fits` as the report may show them: a withheld unit's numbers removed (NaN), its status
        `WITHHELD`."""
        shown = self.fits.copy()
        hidden = _labels(shown, self.by).isin(self.withheld)
        numeric = [c for c in shown.columns[shown.columns.get_loc("term") + 1:]
                   if c not in ("status", "reason")]
        shown.loc[hidden, numeric] = np.nan
        shown.loc[hidden, ["status", "reason"]] = [WITHHELD, "its total is a suppressed count"]
        return shown

    def pooled_table(self) -> pd.DataFrame:
        """One row per term and method: k, estimate, SE, interval, p, tau^2, I^2 (%), Q, df, p."""
        if not self.pooled:
            return pd.DataFrame(columns=POOLED_COLUMNS)
        frame = pd.concat([p.pooled.assign(method=POOLINGS[key][2])
                           for key, p in self.pooled.items()], ignore_index=True)
        frame["i2"] = 100 * frame["i2"]
        return frame[POOLED_COLUMNS].sort_values("term", kind="stable").reset_index(drop=True)

    def pooled_row(self, term: str, method: str = "dl") -> pd.Series:
        """The pooled row of one term and method (`PooledResult.pooled`; I^2 a fraction)."""
        table = self.pooled[method].pooled
        return table[table["term"] == term].iloc[0]

    def forest_frame(self) -> pd.DataFrame:
        """Rows of the forest plot: each fitted, shown unit's level and trend change, then the
        pooled estimate of each method (label, term, estimate, ci_low, ci_high); for a log or
        logit link as ratios (exp)."""
        fits = self.shown_fits()
        fitted = fits[fits["status"].astype(str).str.startswith("fitted") & fits["term"].isin(self.terms)]
        rows = fitted.assign(label=_labels(fitted, self.by))
        parts = []
        for term in self.terms:
            parts.append(rows[rows["term"] == term])
            for method, result in self.pooled.items():
                pooled = result.pooled[result.pooled["term"] == term]
                parts.append(pooled.assign(label=f"Pooled ({POOLINGS[method][2]})"))
        columns = ["label", "term", "estimate", "ci_low", "ci_high"]
        frame = pd.concat([p[columns] for p in parts], ignore_index=True)
        if self.link != "identity":
            frame[["estimate", "ci_low", "ci_high"]] = np.exp(frame[["estimate", "ci_low", "ci_high"]])
        return frame

    def plot(self, params: ITSParams) -> Any:
        """Forest plot: a panel per term (titled in words, in the outcome's units), each unit's
        estimate and interval, then the pooled ones."""
        from slp_eval.plots.forest import forest_plot

        frame = self.forest_frame()
        if frame.empty:
            raise ModelInputError("no unit was fitted: there is nothing to draw")
        names = {term: term_words(term, self.link, params) for term in self.terms}
        digits = {names[t]: _digits(frame.loc[frame["term"] == t, "estimate"]) for t in self.terms}
        frame["term"] = frame["term"].map(names)
        return forest_plot(frame, label="label", group="term", digits=digits,
                           ratio_groups=set(names.values()) if self.link != "identity" else (),
                           summary_rows=[f"Pooled ({p[2]})" for p in POOLINGS.values()])

    def summary(self) -> str:
        """How many units were fitted and pooled, and each term's pooled estimate."""
        n_units = len(self.units)
        failed = int((self.units["status"] == "failed").sum())
        text = (f"The model was fitted to each of {n_units} units ({', '.join(self.by)})"
                + (f"; {failed} could not be fitted (see the table)." if failed else "."))
        if self.withheld:
            text += f" {len(self.withheld)} withheld under disclosure control."
        if self.not_pooled:
            return f"{text} {self.not_pooled}"
        lines = [text]
        for method, result in self.pooled.items():
            for row in result.pooled.itertuples():
                lines.append(
                    f"{row.term}, {POOLINGS[method][2]} random effects: {row.estimate:.4g} "
                    f"({100 * (1 - result.alpha):g}% CI {row.ci_low:.4g} to {row.ci_high:.4g}) over "
                    f"{row.k} units; tau^2 = {row.tau2:.4g}, I^2 = {100 * row.i2:.1f}%.")
        return " ".join(lines)

    def estimates(self) -> pd.DataFrame:
        """results.json's `estimates`: the pooled rows, `term` as "<term> (<method>)"."""
        table = self.pooled_table()
        return table.assign(term=table["term"] + " (" + table["method"] + ")")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready block for results.json: units table and fits as controlled, pooled table."""
        from slp_eval.results import to_jsonable

        return to_jsonable({"by": self.by, "link": self.link, "units": self.units,
                            "fits": self.shown_fits(), "pooled": self.pooled_table(),
                            "not_pooled": self.not_pooled, "withheld": len(self.withheld)})


def _digits(values: pd.Series) -> int:
    """Decimals that give an estimate about 3 significant digits (1 to 4)."""
    finite = np.abs(values.to_numpy(float))
    finite = finite[np.isfinite(finite) & (finite > 0)]
    if not len(finite):
        return 2
    return int(np.clip(2 - np.floor(np.log10(np.median(finite))), 1, 4))


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
        withheld = isinstance(mean, str)
        rows.append({**dict(zip(by, key, strict=True)), "periods": len(unit),
                     "mean observed": mean,
                     "status": WITHHELD if withheld else state["status"],
                     "reason": "its total is a suppressed count" if withheld
                     else "" if pd.isna(state["reason"]) else state["reason"]})
    return pd.DataFrame(rows)


def fit_units(series: pd.DataFrame, params: ITSParams) -> UnitsResult:
    """Fit every unit of `params.by`, pool the level and trend changes (DL and PM) of the units
    not withheld, and build the units table under the run's disclosure rule (module docstring)."""
    by = by_columns(params)
    if not by:
        raise ModelInputError("fit_units needs parameters with `by:` (the unit column)")
    fits = fit_its_many(series, by=by, **fit_arguments(params))
    units = _units_table(series, fits, params, by)
    withheld = tuple(_labels(units[units["status"] == WITHHELD], by)) if len(units) else ()
    poolable = fits[~_labels(fits, by).isin(withheld)]
    pooled: dict[str, PooledResult] = {}
    not_pooled = None
    try:
        for key, (method, test, _) in POOLINGS.items():
            pooled[key] = pool_its(poolable, method=method, alpha=params.alpha, test=test)
    except ModelInputError as error:
        pooled, not_pooled = {}, f"The units were not pooled: {error}."
    return UnitsResult(by, fits, units, pooled, not_pooled, withheld, LINKS[params.family],
                       params.alpha)


# -- what a reader sees -------------------------------------------------------------------------
def term_words(term: str, link: str, params: ITSParams, *, named: bool = True) -> str:
    """"Change in level at 2018-04 (Complex Care Programme starts) (FTE)", or for a log/logit
    link "... (rate ratio)" / "(odds ratio)"; `named=False` leaves out the interruption's name."""
    base, _, label = term.partition("[")
    label = label.rstrip("]")
    names = dict(zip(params.interruptions, params.interruption_labels or [], strict=False))
    when = f"{label} ({names[label]})" if label in names and named else label
    what = "level" if base == "level_change" else "trend"
    per = "" if base == "level_change" else f", per {_period_word(params)}"
    scale = {"identity": unit_suffix(params), "log": " (rate ratio)", "logit": " (odds ratio)"}[link]
    return f"Change in {what} at {when}{per}{scale}"


def _period_word(params: ITSParams) -> str:
    return "month" if params.time_parts is not None or params.time in ("period", "month") else "period"


def _value(value: float, link: str) -> str:
    return f"{np.exp(value):.3g}" if link != "identity" else f"{value:.3g}"


def _effect_text(units: UnitsResult, term: str, params: ITSParams, level: int) -> str:
    row = units.pooled_row(term)
    what = "level" if term.startswith("level") else f"trend (per {_period_word(params)})"
    if units.link == "identity":
        estimate = with_unit(f"{row['estimate']:+.3g}", params)
    else:
        estimate = f"{'rate' if units.link == 'log' else 'odds'} ratio {np.exp(row['estimate']):.3g}"
    tau = (f"tau = {row['tau']:.3g}" + (f" {params.outcome_unit}" if params.outcome_unit
                                        and units.link == "identity" else "")
           if units.link == "identity" else f"tau = {row['tau']:.3g} on the log scale")
    return (f"change in {what} {estimate} ({level}% CI {_value(row['ci_low'], units.link)} to "
            f"{_value(row['ci_high'], units.link)}; I² = {100 * row['i2']:.0f}%, "
            f"tau² = {row['tau2']:.3g}, {tau})")


def _headline(units: UnitsResult) -> str:
    levels = [t for t in units.terms if t.startswith("level_change")]
    return (levels or units.terms)[0]


def answer(units: UnitsResult, params: ITSParams, limitations: list[str], *,
           synthetic: bool = False) -> dict[str, str | None]:
    """The answer box (keywords of `Report.answer`): `verdict`, whether the pooled change of the
    first interruption (its level change, or its trend change for impact: trend) excludes no
    change; `effect`, the DerSimonian-Laird pooled level and trend changes in the outcome's
    units with their intervals, I^2 and tau^2; `caveat`, the first limitation by
    `UNITS_CAVEAT_PRIORITY`."""
    outcome = params.outcome_label or params.outcome
    caveat = main_caveat(limitations, synthetic, priority=UNITS_CAVEAT_PRIORITY)
    n = len(units.units)
    if not units.pooled:
        return {"verdict": units.not_pooled or "The units were not pooled.", "effect": None,
                "caveat": caveat}
    level = round(100 * (1 - units.alpha))
    term = _headline(units)
    row = units.pooled_row(term)
    first = term.partition("[")[2].rstrip("]")
    what = "level" if term.startswith("level") else "trend"
    k = int(row["k"])
    over = f"Pooled over {k} of {n} units ({', '.join(units.by)})" if k < n else \
        f"Pooled over the {k} units ({', '.join(units.by)})"
    if row["ci_low"] > 0 or row["ci_high"] < 0:
        side = "fell" if row["estimate"] < 0 else "rose"
        verdict = (f"{over}, {outcome} {side} in {what} at {first}, by more than chance alone "
                   "would explain.")
    else:
        verdict = (f"{over}, the data do not show a change in the {what} of {outcome} at "
                   f"{first}: the {level}% interval of the pooled change includes no change.")
    parts = [_effect_text(units, t, params, level) for t in units.terms if t.endswith(f"[{first}]")]
    effect = ("Pooled (DerSimonian-Laird random effects): " + "; ".join(parts) + ".")
    return {"verdict": verdict, "effect": effect, "caveat": caveat}


def limitations(units: UnitsResult, params: ITSParams) -> list[str]:
    """What the fits and the pooling reveal, one sentence each (openings as
    `UNITS_CAVEAT_PRIORITY` reads them)."""
    items = []
    for term in units.terms if units.pooled else []:
        dl, pm = units.pooled_row(term, "dl"), units.pooled_row(term, "pm")
        base, _, when = term.partition("[")
        words = f"{base.replace('_', ' ')} at {when.rstrip(']')}"

        def excludes_zero(row: pd.Series) -> bool:
            return bool(row["ci_low"] > 0 or row["ci_high"] < 0)

        knha = units.pooled_row(term, "dl_knha")
        if excludes_zero(dl) != excludes_zero(knha):
            items.append(
                f"The Hartung-Knapp interval of the {words} ({_value(knha['ci_low'], units.link)} to "
                f"{_value(knha['ci_high'], units.link)}, t on {int(knha['k']) - 1} df) "
                f"{'includes' if excludes_zero(dl) else 'excludes'} no change where the normal "
                f"DerSimonian-Laird interval ({_value(dl['ci_low'], units.link)} to "
                f"{_value(dl['ci_high'], units.link)}) "
                f"{'does not' if excludes_zero(dl) else 'does'}: with few units trust the "
                "Hartung-Knapp interval, which keeps its coverage (IntHout et al. 2014).")
        if excludes_zero(dl) != excludes_zero(pm):
            items.append(
                f"DerSimonian-Laird and Paule-Mandel disagree on the {words}: the "
                f"{'DerSimonian-Laird' if excludes_zero(dl) else 'Paule-Mandel'} interval excludes "
                f"no change and the other does not (tau² {dl['tau2']:.3g} against {pm['tau2']:.3g}): "
                "the conclusion depends on how the between-unit variance is estimated.")
        if 100 * dl["i2"] >= HIGH_I2:
            items.append(
                f"The units differ more than chance allows in the {words} (I² = {100 * dl['i2']:.0f}%, "
                f"tau² = {dl['tau2']:.3g}, Cochran's Q = {dl['q']:.3g} on {int(dl['q_df'])} df, "
                f"{p_text(dl['q_p_value'])}): the pooled estimate is an average of different "
                "changes, not one change every unit had. Read the forest plot unit by unit.")
    pooled_k = int(units.pooled_row(units.terms[0])["k"]) if units.pooled else 0
    if units.pooled and pooled_k < MIN_POOLED_UNITS:
        items.append(
            f"Only {pooled_k} units are pooled (fewer than {MIN_POOLED_UNITS}): the between-unit "
            "variance tau² is poorly estimated and the normal random-effects interval is too "
            "narrow when the units differ (IntHout et al. 2014); the Hartung-Knapp-Sidik-Jonkman "
            f"interval (t on {pooled_k - 1} df) is wider: "
            + "; ".join(f"{term_words(t, units.link, params, named=False).lower()} "
                        f"{_value(units.pooled_row(t, 'dl_knha')['ci_low'], units.link)} to "
                        f"{_value(units.pooled_row(t, 'dl_knha')['ci_high'], units.link)}"
                        for t in units.terms) + ".")
    failed = units.units[units.units["status"] == "failed"]
    if len(failed):
        names = "; ".join(f"{label}: {reason}" for label, reason in
                          zip(_labels(failed, units.by), failed["reason"], strict=True))
        items.append(f"Of the {len(units.units)} units, {len(failed)} could not be fitted and "
                     f"{'are' if len(failed) > 1 else 'is'} not pooled ({names}).")
    if units.withheld:
        items.append(f"Disclosure control withheld {len(units.withheld)} unit"
                     f"{'s' if len(units.withheld) > 1 else ''} whose total is a small count: "
                     "not drawn, not pooled and not in results.json.")
    if params.group is None:
        items.append("There is no comparison series: anything else that changed every unit's "
                     "outcome at the same time as the programme is attributed to the programme.")
    return items


def methods_text(units: UnitsResult, series: pd.DataFrame, params: ITSParams) -> str:
    """The methods paragraph: the model of each unit (`ITSResult.methods_text` of the first
    fitted unit, every unit having the same specification) and the pooling."""
    fitted = units.units[units.units["status"].astype(str).str.startswith("fitted")]
    text = ""
    if len(fitted):
        first = fitted.iloc[0]
        rows = series
        for column in units.by:
            rows = rows[rows[column].astype(str) == str(first[column])]
        text = (f"Every unit has the same model; for the first unit ({_labels(fitted, units.by).iloc[0]}): "
                + fit_its(rows, **fit_arguments(params)).methods_text() + "\n\n")
    scale = {"identity": "", "log": " on the log scale (shown as rate ratios)",
             "logit": " on the log-odds scale (shown as odds ratios)"}[units.link]
    return text + (
        f"Each unit's level and trend change{scale} was pooled with a random-effects "
        "meta-analysis: the unit's estimate y_i = mu + u_i + e_i, with u_i ~ N(0, tau²) between "
        "units and e_i ~ N(0, s_i²) its sampling error (s_i its standard error). tau² is estimated "
        "by DerSimonian-Laird (DerSimonian & Laird 1986, method of moments, truncated at 0) and by "
        "Paule-Mandel (Paule & Mandel 1982; Viechtbauer 2007), mu with weights 1 / (s_i² + tau²) "
        f"and a {round(100 * (1 - units.alpha))}% normal interval, and with the DerSimonian-Laird "
        "tau² also the Hartung-Knapp-Sidik-Jonkman interval (Hartung & Knapp 2001; Sidik & "
        "Jonkman 2002: the variance of mu scaled by the weighted spread of the units, t on k - 1 "
        "df), which keeps its coverage with few units (IntHout et al. 2014); heterogeneity as "
        "Cochran's Q and "
        "I² = tau² / (tau² + s²), s² the typical within-unit variance (Higgins & Thompson 2002). "
        "These are the numbers of R's metafor::rma(yi, sei = s, method = \"DL\" / \"PM\", "
        "test = \"z\" / \"knha\"), which "
        "the test suite checks. Units that could not be fitted or were withheld by disclosure "
        "control are not pooled. The aggregate series (all units summed) is not fitted: the "
        "pooled estimate is the change of the typical unit; a parameter file without by: that "
        "filters to the total fits the aggregate.")


def show_forest(report: Report, units: UnitsResult) -> None:
    """The forest plot (the report's main figure), or a sentence when no unit was fitted."""
    if units.forest_frame().empty:
        report.text("No unit could be fitted, so there is no forest plot (see the units table).")
        return
    assert isinstance(report.params, ITSParams)
    pooled = " and the pooled estimates (random effects)" if units.pooled else ""
    report.figure(units.plot(report.params), "units_forest",
                  caption=f"Change in level and trend of each unit with its "
                          f"{round(100 * (1 - units.alpha))}% confidence interval{pooled}.")


def show_units(report: Report, units: UnitsResult) -> None:
    """The units table: periods, mean observed (disclosure-controlled), and whether each unit was
    fitted (the reason when it was not; results.json keeps fit_its_many's status)."""
    assert isinstance(report.params, ITSParams)
    table = units.units.copy()
    fitted = table["status"].astype(str).str.startswith("fitted")
    table["status"] = np.where(fitted, "fitted", table["status"].replace({"failed": "not fitted"}))
    table["reason"] = np.where(fitted, "", table["reason"])
    table = table.rename(columns={"mean observed": f"mean observed{unit_suffix(report.params)}"})
    report.table(table, name="units", caption="The units fitted",
                 digits={"periods": 0, f"mean observed{unit_suffix(report.params)}": 2})


def pooled_display(units: UnitsResult, params: ITSParams) -> pd.DataFrame:
    """The pooled table for a reader: the change in words, the method, the units pooled, the
    estimate (a ratio for a log or logit link) with its interval, p, tau², I² (%), Q, its df and p."""
    table = units.pooled_table()
    ratio = units.link != "identity"
    shown = (lambda v: np.exp(v)) if ratio else (lambda v: v)
    level = round(100 * (1 - units.alpha))
    return pd.DataFrame({
        "change": [term_words(t, units.link, params, named=False) for t in table["term"]],
        "method": table["method"], "units": table["k"],
        "estimate": shown(table["estimate"]),
        f"{level}% CI": [f"{shown(lo):.3g} to {shown(hi):.3g}"
                         for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)],
        "p": table["p_value"], "tau²": table["tau2"], "I² (%)": table["i2"], "Q": table["q"],
        "Q df": table["q_df"], "Q p": [format_p(v) for v in table["q_p_value"]]})


def show_pooled(report: Report, units: UnitsResult) -> None:
    """The pooled table (DerSimonian-Laird and Paule-Mandel rows per change), or why there is none."""
    assert isinstance(report.params, ITSParams)
    if not units.pooled:
        report.text(units.summary())
        return
    scale = "" if units.link == "identity" else "; tau² on the log scale"
    report.table(pooled_display(units, report.params), name="pooled",
                 caption=f"Random-effects pooling of the units{scale}",
                 digits={"units": 0, "Q df": 0, "estimate": 4, "tau²": 4, "I² (%)": 1, "Q": 3})


__all__ = ["HIGH_I2", "LINKS", "MIN_POOLED_UNITS", "POOLED_COLUMNS", "POOLINGS",
           "UNITS_CAVEAT_PRIORITY", "WITHHELD", "UnitsResult", "answer", "by_columns", "fit_units",
           "limitations", "methods_text", "pooled_display", "show_forest", "show_pooled", "show_units",
           "term_words"]
