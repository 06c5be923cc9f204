"""What the comparative notebook shows: the answer (the headline estimator's effect in the outcome's
units with its interval, and the main caveat), the synthetic control's gap and placebo-in-space
figures, the donor table under disclosure control, the pre-period fit in words, every estimator
side by side, each treated unit, robustness (leave-one-out, in-time placebo), methods with
citations and the limitations of a comparison with providers that did not have the programme."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from slp_eval.disclosure import disclose_share
from slp_eval.panel import (
    DiDResult,
    SyntheticControlResult,
    SyntheticDiDResult,
    fit_did,
    fit_synthetic_control,
    fit_synthetic_did,
)
from slp_eval.params.comparative import ComparativeParams
from slp_eval.report.session import Report
from slp_eval.report.tables import format_number, format_p
from slp_eval.series import DERIVED, select_rows

__all__ = [
    "CAVEAT_PRIORITY",
    "Comparison",
    "answer",
    "compare",
    "data_note",
    "donor_table",
    "estimates_table",
    "fit_text",
    "gap_figure",
    "limitations",
    "main_caveat",
    "methods_text",
    "panel_frame",
    "paths",
    "placebo_figure",
    "placebo_text",
    "results_block",
    "robustness_table",
    "tidy",
    "treated_counts",
    "units_table",
]

NAMES = {
    "synthetic_control": "Synthetic control",
    "synthetic_did": "Synthetic difference-in-differences",
    "did": "Difference-in-differences (two-way fixed effects)",
}
#: Pre-period RMSPE below this share of the treated series' pre-period spread counts as an exact fit.
EXACT_FIT = 1e-6


def _p(report: Report) -> ComparativeParams:
    params = report.params
    assert isinstance(params, ComparativeParams)
    return params


def panel_frame(report: Report) -> pd.DataFrame:
    """The rows the parameters select, the outcome derived where it is a share of counts
    (`percent`, `share`): missing in a month with no denominator, and flagged
    `<outcome>_suppressed` where a count it is made from was suppressed at source."""
    p = _p(report)
    frame = select_rows(report.data["data"], p.filters) if p.filters else report.data["data"].copy()
    if p.outcome in DERIVED and p.outcome not in frame.columns:
        top, bottom, scale = DERIVED[p.outcome]
        frame[p.outcome] = scale * frame[top] / frame[bottom].where(frame[bottom] > 0)
        flags = [f"{c}_suppressed" for c in (top, bottom) if f"{c}_suppressed" in frame.columns]
        frame[f"{p.outcome}_suppressed"] = frame[flags].any(axis=1) if flags else False
    return frame


@dataclass(frozen=True)
class Comparison:
    """The fits the parameters asked for (None where not run)."""

    params: ComparativeParams
    frame: pd.DataFrame
    sc: SyntheticControlResult | None
    sdid: SyntheticDiDResult | None
    did: DiDResult | None

    @property
    def headline(self) -> dict[str, float]:
        row = self.rows().set_index("key").loc[self.params.headline]
        return row.to_dict()

    def rows(self) -> pd.DataFrame:
        """key, estimator, estimate, std_err, ci_low, ci_high, p_value, inference."""
        out = []
        if self.sc is not None:
            r = self.sc.summary_frame().iloc[0]
            out.append(
                {
                    "key": "synthetic_control",
                    "estimate": r.estimate,
                    "std_err": r.std_err,
                    "ci_low": r.ci_low,
                    "ci_high": r.ci_high,
                    "p_value": r.p_value,
                    "inference": f"placebo standard error over {int(r.n_placebos)} placebos, Fisher p "
                    "from the post/pre RMSPE ratio",
                }
            )
        if self.sdid is not None:
            r = self.sdid.summary_frame().iloc[0]
            out.append(
                {
                    "key": "synthetic_did",
                    "estimate": r.estimate,
                    "std_err": r.std_err,
                    "ci_low": r.ci_low,
                    "ci_high": r.ci_high,
                    "p_value": r.p_value,
                    "inference": f"{self.sdid.se_method} standard error",
                }
            )
        if self.did is not None:
            r = self.did.summary_frame().iloc[0]
            out.append(
                {
                    "key": "did",
                    "estimate": r.estimate,
                    "std_err": r.std_err,
                    "ci_low": r.ci_low,
                    "ci_high": r.ci_high,
                    "p_value": r.p_value,
                    "inference": f"clustered by {self.params.group} ({self.did.n_clusters} clusters)",
                }
            )
        frame = pd.DataFrame(out)
        frame.insert(1, "estimator", [NAMES[k] for k in frame["key"]])
        return frame


def compare(report: Report, frame: pd.DataFrame) -> Comparison:
    """Every estimator the parameters name, on the same panel, donors and start."""
    p = _p(report)
    common = {
        "unit": p.group,
        "time": p.time,
        "outcome": p.outcome,
        "treated": p.treated,
        "start": p.start,
        "donors": p.donors,
        "exclude": p.exclude,
        "alpha": p.alpha,
        "outcome_label": p.outcome_label,
    }
    predictors = [q.model_dump() for q in p.predictors] or None
    sc = (
        fit_synthetic_control(
            frame,
            **common,
            predictors=predictors,
            augmented=p.augmented,
            replications=p.replications,
            seed=p.seed,
        )
        if "synthetic_control" in p.estimators
        else None
    )
    sdid = (
        fit_synthetic_did(frame, **common, se_method=p.se_method, replications=p.replications, seed=p.seed)
        if "synthetic_did" in p.estimators
        else None
    )
    did = fit_did(frame, **common) if "did" in p.estimators else None
    return Comparison(p, frame, sc, sdid, did)


def _unit(p: ComparativeParams) -> str:
    return f" {p.outcome_unit}" if p.outcome_unit else ""


def _num(value: float, digits: int = 1) -> str:
    return format_number(value, digits)


def _treated_words(p: ComparativeParams) -> str:
    return p.treated_label or ", ".join(p.treated)


def _start_words(p: ComparativeParams, comp: Comparison) -> str:
    pm = _panel(comp)
    return f"{pm.start_label}" + (f" ({p.start_label})" if p.start_label else "")


def _panel(comp: Comparison) -> Any:
    for result in (comp.sc, comp.sdid, comp.did):
        if result is not None:
            return result.panel
    raise AssertionError("no estimator ran")


def answer(comp: Comparison) -> dict[str, str]:
    """`Report.answer` arguments: the headline effect's direction and whether its interval excludes
    no difference, the effect in the outcome's units with its interval, the main caveat."""
    p = comp.params
    h = comp.headline
    level = f"{100 * (1 - p.alpha):g}%"
    name = p.outcome_label or p.outcome
    who = _treated_words(p)
    direction = "higher" if h["estimate"] > 0 else "lower"
    clear = h["ci_low"] > 0 or h["ci_high"] < 0
    start = _start_words(p, comp)
    if clear:
        verdict = (
            f"Yes: after {start}, {name} at {who} was {direction} than comparable providers "
            f"without the programme predict, beyond what chance explains."
        )
    else:
        verdict = (
            f"Not shown: after {start}, {name} at {who} was {direction} than the comparison "
            f"predicts, but the {level} interval includes no difference."
        )
    effect = (
        f"{NAMES[p.headline]}: average difference {h['estimate']:+.1f}{_unit(p)} a period "
        f"({level} CI {h['ci_low']:+.1f} to {h['ci_high']:+.1f}; {h['inference']})."
    )
    return {"verdict": verdict, "effect": effect, "caveat": main_caveat(comp)}


def gap_figure(comp: Comparison) -> Figure:
    """Treated minus synthetic control (the synthetic-control gap)."""
    assert comp.sc is not None
    return comp.sc.plot("gap", ylabel=f"gap ({comp.params.outcome_unit or comp.params.outcome})")


def placebo_figure(comp: Comparison) -> Figure:
    """The treated gap over every donor's placebo gap."""
    assert comp.sc is not None
    return comp.sc.plot("placebo", ylabel=f"gap ({comp.params.outcome_unit or comp.params.outcome})")


def _hidden_periods(comp: Comparison) -> np.ndarray:
    """Periods where a treated unit's share would give a suppressed count back (drawn as gaps)."""
    p = comp.params
    pm = _panel(comp)
    if p.outcome not in DERIVED or not p.disclosure.in_effect:
        return np.zeros(len(pm.ordinals), dtype=bool)
    top, bottom, scale = DERIVED[p.outcome]
    rows = comp.frame[comp.frame[p.group].isin(p.treated)]
    hidden = rows.assign(
        _h=[
            isinstance(disclose_share(n, d, p.disclosure, scale), str)
            for n, d in zip(rows[top], rows[bottom], strict=True)
        ]
    )
    by_period = hidden.groupby(hidden[p.time].astype(str))["_h"].any()
    return np.array([bool(by_period.get(label, False)) for label in pm.labels])


def paths(report: Report, comp: Comparison) -> None:
    """Show the treated series and its synthetic control; a month whose share would give a
    suppressed count back is left undrawn in both (disclosure). When most months are hidden the
    figure is replaced by a sentence saying so (the gap figure carries the comparison)."""
    assert comp.sc is not None
    hidden = _hidden_periods(comp)
    if hidden.mean() > 0.5:
        report.text(
            f"The treated series itself is not drawn: in {int(hidden.sum())} of {hidden.size} periods a "
            "treated unit's share rests on a count of people the disclosure rule hides (a small "
            "numerator, denominator or remainder), so those months' values cannot be shown. The gap "
            "figure above (an estimate, shown as computed) carries the comparison.")
        return
    figure = comp.sc.plot("paths", hide=hidden, ylabel=comp.params.outcome_label or comp.params.outcome)
    report.figure(figure, "paths", caption="The treated units' mean and its synthetic control; a month "
                  "hidden by disclosure control is left undrawn (x on the axis).")


def _weighted(comp: Comparison) -> pd.DataFrame:
    assert comp.sc is not None
    return comp.sc.weights[comp.sc.weights["weight"].abs() > 1e-3]


def _count_columns(p: ComparativeParams) -> tuple[str, str, str]:
    top, bottom, _ = DERIVED[p.outcome]
    return bottom, top, f"{bottom} - {top}"


def donor_table(comp: Comparison) -> tuple[pd.DataFrame, list[str], dict[str, list[str]], str | None]:
    """Donors with weight: the weight and, for a share of counts, each donor's counts before the
    start (the denominator, the numerator and the rest, so a small complement is protected too)
    and its share derived from them. Returns (table, count columns, derived columns, the total
    column of the disclosure rule)."""
    p = comp.params
    pm = _panel(comp)
    weights = _weighted(comp)
    pre = comp.frame[comp.frame[p.time].astype(str).isin(pm.labels[: pm.n_pre])]
    table = pd.DataFrame({"Donor": weights["unit"].astype(str),
                          "Weight": [f"{w:.3f}" for w in weights["weight"]]})
    if "provider_name" in comp.frame.columns:
        names = comp.frame.groupby(p.group)["provider_name"].last()
        table.insert(1, "Name", [str(names.get(u, "")) for u in weights["unit"]])
    if p.outcome not in DERIVED:
        return table.reset_index(drop=True), [], {}, None
    bottom, top, rest = _count_columns(p)
    scale = DERIVED[p.outcome][2]
    sums = pre.groupby(p.group)[[top, bottom]].sum()
    table[bottom] = [float(sums.at[u, bottom]) for u in weights["unit"]]
    table[top] = [float(sums.at[u, top]) for u in weights["unit"]]
    table[rest] = table[bottom] - table[top]
    share = f"{p.outcome} before the start"
    table[share] = scale * table[top] / table[bottom]
    return table.reset_index(drop=True), [bottom, top, rest], {share: [top, bottom]}, bottom


def treated_counts(comp: Comparison, months: int = 12) -> tuple[pd.DataFrame, list[str], str | None]:
    """The treated units' counts in each of the last `months` periods, one row per unit and month
    (panel cells for the disclosure rule): the denominator, the numerator and the rest."""
    p = comp.params
    if p.outcome not in DERIVED:
        return pd.DataFrame(), [], None
    bottom, top, rest = _count_columns(p)
    pm = _panel(comp)
    last = pm.labels[-months:]
    rows = comp.frame[comp.frame[p.group].isin(p.treated) & comp.frame[p.time].astype(str).isin(last)]
    table = pd.DataFrame({"month": rows[p.time].astype(str), p.group: rows[p.group].astype(str),
                          bottom: rows[bottom].astype(float), top: rows[top].astype(float)})
    table[rest] = table[bottom] - table[top]
    table = table.sort_values(["month", p.group], kind="stable").reset_index(drop=True)
    return table, [bottom, top, rest], bottom


def estimates_table(comp: Comparison) -> pd.DataFrame:
    """Every estimator: effect, interval, standard error, p, and how its inference was made."""
    p = comp.params
    level = f"{100 * (1 - p.alpha):g}% CI"
    rows = comp.rows()
    return pd.DataFrame(
        {
            "Estimator": rows["estimator"],
            f"Effect{_unit(p)}": [_num(v, 2) for v in rows["estimate"]],
            level: [
                f"{_num(lo, 2)} to {_num(hi, 2)}"
                for lo, hi in zip(rows["ci_low"], rows["ci_high"], strict=True)
            ],
            "Std. error": [_num(v, 2) for v in rows["std_err"]],
            "p": [format_p(v) for v in rows["p_value"]],
            "Inference": rows["inference"],
        }
    )


def units_table(comp: Comparison) -> pd.DataFrame:
    """Each treated unit's own synthetic control: effect, interval, p, pre-period RMSPE."""
    assert comp.sc is not None
    frame = comp.sc.summary_frame()
    level = f"{100 * (1 - comp.params.alpha):g}% CI"
    return pd.DataFrame(
        {
            "Treated": [
                t.replace("att[", "").replace("]", "") if t != "att" else "all (mean)" for t in frame["term"]
            ],
            f"Effect{_unit(comp.params)}": [_num(v, 2) for v in frame["estimate"]],
            level: [
                f"{_num(lo, 2)} to {_num(hi, 2)}"
                for lo, hi in zip(frame["ci_low"], frame["ci_high"], strict=True)
            ],
            "Placebo p": [format_p(v) for v in frame["p_value"]],
            "Pre-period RMSPE": [_num(v, 3) for v in frame["pre_rmspe"]],
            "Post/pre RMSPE ratio": [
                _num(v, 2) if v < 1e6 else "exact pre-period fit" for v in frame["rmspe_ratio"]
            ],
        }
    )


def robustness_table(comp: Comparison) -> pd.DataFrame:
    """Leave-one-out donors and the in-time placebo, each with its effect."""
    assert comp.sc is not None
    agg = comp.sc.aggregate
    rows = [("All donors (the main fit)", agg.fit.att)]
    if agg.leave_one_out is not None:
        rows += [
            (f"Without {u} (weight {w:.3f})", a)
            for u, w, a in zip(
                agg.leave_one_out["unit"], agg.leave_one_out["weight"], agg.leave_one_out["att"], strict=True
            )
        ]
    if agg.in_time is not None:
        rows.append(
            (
                f"In-time placebo: pretend start {agg.in_time.start} (effect before the real start)",
                agg.in_time.att,
            )
        )
    return pd.DataFrame(
        {"Check": [r[0] for r in rows], f"Effect{_unit(comp.params)}": [_num(r[1], 2) for r in rows]}
    )


def _spread(comp: Comparison) -> float:
    pm = _panel(comp)
    pre = pm.Y[pm.n_donors :, : pm.n_pre].mean(axis=0)
    return float(np.std(pre, ddof=1)) if pre.size > 1 else 0.0


def fit_text(comp: Comparison) -> str:
    """The pre-period fit of the synthetic control in words."""
    assert comp.sc is not None
    p = comp.params
    pm = _panel(comp)
    agg = comp.sc.aggregate.fit
    n_weighted = int((np.abs(agg.weights.w) > 1e-3).sum())
    spread = _spread(comp)
    base = (
        f"The synthetic control is a weighted average of {n_weighted} of the {pm.n_donors} donors, "
        f"fitted on the {pm.n_pre} periods before {pm.start_label}."
    )
    if agg.pre_rmspe <= EXACT_FIT * max(1.0, spread):
        return base + (
            f" It reproduces those {pm.n_pre} periods exactly (RMSPE "
            f"{agg.pre_rmspe:.1g}): with {pm.n_pre} periods and {pm.n_donors} donors an exact "
            "fit is what the arithmetic gives, so it says nothing about how well the donors "
            "stand in for the treated units, and the post/pre RMSPE ratio is not informative."
        )
    quality = "close" if agg.pre_rmspe < 0.5 * spread else "loose" if agg.pre_rmspe < spread else "poor"
    return base + (
        f" Before the start it missed the treated series by {agg.pre_rmspe:.2f}{_unit(p)} a "
        f"period (root mean squared), against a month-to-month spread of {spread:.2f}"
        f"{_unit(p)} in the treated series itself: a {quality} fit."
    )


def placebo_text(comp: Comparison) -> str:
    """Where the treated units rank among the placebos."""
    assert comp.sc is not None
    agg = comp.sc.aggregate
    if comp.sc.placebos is None:
        return "The placebo-in-space check was not run."
    ratios = comp.sc.placebos.reference()[1]
    rank = int(np.sum(ratios >= agg.fit.ratio * (1 - 1e-12))) + 1
    sets = "sets of " + str(comp.sc.panel.n_treated) + " donors" if comp.sc.panel.n_treated > 1 else "donors"
    return (
        f"Each of the {agg.n_placebos} placebo {sets} was given its own synthetic control as if it had "
        f"had the programme. The treated {'units rank' if comp.sc.panel.n_treated > 1 else 'unit ranks'} "
        f"{rank} of {agg.n_placebos + 1} by the post/pre RMSPE ratio: Fisher p = {format_p(agg.p_value)} "
        f"(Abadie et al. 2010). The placebo standard error, the spread of the placebo effects, is "
        f"{agg.std_err:.2f}{_unit(comp.params)}."
    )


def data_note(comp: Comparison) -> str:
    """The data's licence attribution, or a note that none is needed."""
    return comp.params.attribution or "The data file carries no licence attribution."


def methods_text(comp: Comparison) -> str:
    """The estimators as run here, with their citations."""
    p = comp.params
    pm = _panel(comp)
    parts = [
        f"The panel has {len(pm.units)} units ({pm.n_treated} treated, {pm.n_donors} donors) and "
        f"{len(pm.ordinals)} periods, {pm.n_pre} before {pm.start_label}. Donors with a missing or "
        "suppressed outcome in any period are left out, never imputed (listed below).",
        "**Synthetic control** (Abadie, Diamond and Hainmueller 2010, *JASA* 105: 493-505): the treated "
        "units' mean is reproduced before the start by a weighted average of donors (weights non-negative, "
        "summing to one); after it, the gap between the two is the effect. "
        + (
            "Predictor weights V are chosen to minimise the pre-period error, as R `Synth` does. "
            if p.predictors
            else "The weights fit the pre-period outcomes themselves. "
        )
        + (
            "The ridge augmentation of Ben-Michael, Feller and Rothstein (2021, *JASA* 116: 1789-1803) "
            "corrects the remaining pre-period imbalance. "
            if p.augmented
            else ""
        )
        + "Inference is by placebos in space (each donor, or set of donors, treated in turn; Abadie et al. "
        "2010; 2015, *AJPS* 59: 495-510), its interval the estimate ± 1.96 placebo standard errors "
        "(Arkhangelsky et al. 2021, Algorithm 4).",
        "**Synthetic difference-in-differences** (Arkhangelsky, Athey, Hirshberg, Imbens and Wager 2021, "
        "*AER* 111: 4088-4118) re-weights donors and pre-periods so that the comparison holds up to a "
        "constant difference, computed as R `synthdid` 0.0.9 does (checked against it to 1e-6); standard "
        "errors by placebo, jackknife and bootstrap (their Algorithms 2-4).",
        "**Difference-in-differences** by two-way fixed effects with an event study by period relative "
        "to the start, standard errors clustered by unit (CR1, t on G - 1 df); for staggered starts the "
        "interaction-weighted estimator of Sun and Abraham (2021, *J Econometrics* 225: 175-199).",
    ]
    if p.start_source:
        parts.append(f"The start date: {p.start_source}")
    return "\n\n".join(parts)


#: Which limitation the answer box names, most important first: too few pre-periods, a poor or
#: exact (uninformative) pre-period fit, one treated unit's clustered errors, donors dropped for
#: missing data, the data's own caveats, then the design's standing assumptions (donors with
#: their own programmes, spillovers, a national change that reached every provider).
CAVEAT_PRIORITY = ("few_pre", "fit", "disagree", "dropped", "source", "programmes", "spillover")


def _ranked(comp: Comparison) -> list[tuple[str, str]]:
    p = comp.params
    pm = _panel(comp)
    items: list[tuple[str, str]] = []
    if pm.n_pre < 12:
        items.append(
            (
                "few_pre",
                f"Only {pm.n_pre} periods before the start: the comparison units are "
                f"chosen on {pm.n_pre} points, too few to tell a good match from a lucky one, and "
                "the in-time placebo has little room.",
            )
        )
    if comp.sc is not None:
        agg = comp.sc.aggregate.fit
        spread = _spread(comp)
        if agg.pre_rmspe <= EXACT_FIT * max(1.0, spread):
            items.append(
                (
                    "fit",
                    "The synthetic control matches the pre-period exactly, which with so "
                    "few periods is overfitting: its post/pre RMSPE ratio and Fisher p-value are "
                    "not informative.",
                )
            )
        elif agg.pre_rmspe >= spread:
            items.append(
                (
                    "fit",
                    f"Poor pre-period fit: the synthetic control misses the treated series "
                    f"by {agg.pre_rmspe:.2f}{_unit(p)} a period before the start, as much as the "
                    "series varies; the gap after the start may be that mismatch.",
                )
            )
    rows = comp.rows()
    signs = np.sign(rows["estimate"].to_numpy())
    if len(rows) > 1 and len(set(signs)) > 1:
        items.append(("disagree", "The estimators disagree on the direction of the effect."))
    if not pm.dropped.empty:
        items.append(
            (
                "dropped",
                f"{len(pm.dropped)} unit(s) left out of the donor pool: "
                + "; ".join(
                    f"{u} ({r})" for u, r in zip(pm.dropped["unit"], pm.dropped["reason"], strict=True)
                )
                + ".",
            )
        )
    items += [("source", note) for note in p.source_notes]
    items.append(
        (
            "programmes",
            "Donors may have had programmes of their own after the start; a donor "
            "that improved for its own reasons makes the treated units look worse, and one listed "
            "in `exclude` is left out for that reason.",
        )
    )
    items.append(
        (
            "spillover",
            "Spillovers: if the programme changed what neighbouring providers did "
            "(shared patients, staff, referral routes), the donors are no longer untouched and the "
            "difference understates or overstates the effect.",
        )
    )
    if pm.n_treated == 1 and comp.did is not None:
        items.append(
            (
                "disagree",
                "One treated unit: standard errors clustered by unit rest on one "
                "treated cluster and are too small; prefer the placebo inference.",
            )
        )
    return items


def limitations(comp: Comparison) -> list[str]:
    """Every limitation found, in the report's words."""
    return [text for _, text in _ranked(comp)]


def main_caveat(comp: Comparison) -> str:
    """The limitation the answer box names: the first in `CAVEAT_PRIORITY` order."""
    return min(_ranked(comp), key=lambda item: CAVEAT_PRIORITY.index(item[0]))[1]


def tidy(comp: Comparison) -> pd.DataFrame:
    """results.json's `estimates`: one row per estimator, term = synthetic_control, synthetic_did, did."""
    rows = comp.rows()
    columns = ["term", "estimate", "std_err", "ci_low", "ci_high", "p_value"]
    return rows.rename(columns={"key": "term"})[columns]


def results_block(comp: Comparison) -> dict[str, Any]:
    """The `comparative` block of results.json: every estimator's numbers (estimates and weights;
    no counts), the dropped donors and the headline."""
    return {
        "headline": comp.params.headline,
        "estimators": comp.rows().drop(columns=["estimator"]).to_dict(orient="records"),
        "synthetic_control": None if comp.sc is None else comp.sc.to_dict(),
        "synthetic_did": None if comp.sdid is None else comp.sdid.to_dict(),
        "did": None if comp.did is None else comp.did.to_dict(),
    }
