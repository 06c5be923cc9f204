"""The programme scorecard: every published claim as an effect, an interval and a plain verdict.

Each claim (`Claim`) is tested with the `slp_eval.prepost` function that
fits what the source published: proportions (Newcombe interval; McNemar/Newcombe paired when the
paired table is known), counts (exact conditional Poisson, or quasi-Poisson with an assumed
dispersion), means (Welch from published summaries). p-values are adjusted across the testable
claims (Holm by default). The verdict is one of:

- ``"supported"``: the adjusted p-value is below alpha and the change is in the claimed direction;
- ``"not distinguishable from no change"``: it is not;
- ``"contradicted: the change went the other way"``: significant, in the opposite direction;
- ``"cannot be tested: needs <what>"``: the source does not publish enough (a percentage with no
  denominator, a mean with no SD or n, a relative change with no counts). Saying so is a result.

For every assumed denominator or dispersion, `Scorecard.sensitivity` shows how the interval and
verdict move across the plausible range given in the claim.

The statistics take plain values: `Claim` and `Measurement` here are frozen dataclasses. A
parameter file's claims (`slp_eval.params.scorecard`), or claims written as dicts, are validated
and converted by `slp_eval.report.scorecard.build`, which then calls `build`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from slp_eval import ESTIMATE_COLUMNS
from slp_eval.errors import ParameterError
from slp_eval.prepost import (
    MeanComparison,
    PairedProportionComparison,
    ProportionComparison,
    RateComparison,
    adjust_pvalues,
    compare_means_summary,
    compare_paired_proportions,
    compare_proportions,
    compare_rates,
    format_p,
)
from slp_eval.tidy import TidyResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["CONTRADICTED", "NO_CHANGE", "SUPPORTED", "Claim", "ClaimResult", "ClaimTest",
           "Comparison", "Measurement", "Scorecard", "build", "evaluate_claim"]

Comparison = ProportionComparison | PairedProportionComparison | RateComparison | MeanComparison
SUPPORTED = "supported"
NO_CHANGE = "not distinguishable from no change"
CONTRADICTED = "contradicted: the change went the other way"

ClaimKind = Literal["proportion", "count", "mean", "percent_change", "level"]


@dataclass(frozen=True)
class Measurement:
    """One side (before or after) of a claim, as published: None where the source gives nothing."""

    period: str
    count: int | None = None
    denominator: int | None = None
    percent: float | None = None
    exposure: float | None = None
    mean: float | None = None
    sd: float | None = None
    n: int | None = None


@dataclass(frozen=True)
class Claim:
    """A published claim and what is needed to test it (or to say what is missing): `kind` says
    which comparison tests it, `assumed` which of its numbers are assumptions, with their
    plausible ranges for the sensitivity analysis."""

    id: str
    claim: str
    metric: str
    unit: str
    kind: ClaimKind
    direction: Literal["increase", "decrease"]
    source: str
    before: Measurement | None = None
    after: Measurement | None = None
    published_change: float | None = None
    primary_source_checked: bool = False
    assumed: tuple[str, ...] = ()
    denominator_range: tuple[int, int] | None = None
    equal_periods: bool = False
    dispersion: float | None = None
    dispersion_range: tuple[float, float] | None = None
    same_people: bool = False
    paired_table: tuple[tuple[int, int], tuple[int, int]] | None = None
    notes: str = ""

    def __post_init__(self) -> None:
        needs = {"proportion": ("before", "after"), "count": ("before", "after"),
                 "mean": ("before", "after"), "level": ("after",)}.get(self.kind, ())
        missing = [side for side in needs if getattr(self, side) is None]
        if missing:
            raise ParameterError(f"claim {self.id!r}: a {self.kind} claim needs "
                                 f"{' and '.join(f'`{side}`' for side in missing)}")


@dataclass(frozen=True)
class ClaimTest:
    """What one evaluation of a claim produced (before multiplicity adjustment)."""

    term: str | None
    estimate: float = math.nan
    std_err: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    p_value: float = math.nan
    comparison: Comparison | None = None
    needs: str | None = None
    caveats: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClaimResult:
    """One claim's row of the scorecard."""

    claim: Claim
    test: ClaimTest
    p_adjusted: float
    verdict: str
    explanation: str
    smallest_supporting_denominator: int | None = None


@dataclass(frozen=True, repr=False)
class Scorecard(TidyResult):
    """All claims, their effects, intervals, adjusted p-values and verdicts."""

    results: tuple[ClaimResult, ...]
    alpha: float
    adjust: str
    sensitivity_points: int = 5
    _sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per claim: ``claim_id``, the estimate columns (proportion differences on the
        0-1 scale, rate ratios, mean differences in the claim's unit), ``p_adjusted``, ``verdict``
        and what was assumed."""
        rows = []
        for r in self.results:
            t, c = r.test, r.claim
            rows.append({
                "claim_id": c.id, "term": t.term or "not tested", "estimate": t.estimate,
                "std_err": t.std_err, "ci_low": t.ci_low, "ci_high": t.ci_high,
                "p_value": t.p_value, "p_adjusted": r.p_adjusted, "verdict": r.verdict,
                "metric": c.metric, "kind": c.kind, "unit": c.unit,
                "before": _describe(c.before, c, "before"), "after": _describe(c.after, c, "after"),
                "assumed": ", ".join(c.assumed),
                "smallest_supporting_denominator": r.smallest_supporting_denominator,
                "source": c.source,
                "primary_source_checked": c.primary_source_checked,
            })
        frame = pd.DataFrame(rows)
        frame["smallest_supporting_denominator"] = frame["smallest_supporting_denominator"].astype(
            "Int64"
        )
        return frame[["claim_id", *ESTIMATE_COLUMNS, *[k for k in frame if k not in
                                                         ("claim_id", *ESTIMATE_COLUMNS)]]]

    _term_column = "claim_id"

    def summary_frame(self) -> pd.DataFrame:
        """One row per claim (indexed by ``claim_id`` in `params` and `conf_int`): the same as
        `to_frame()`."""
        return self.to_frame()

    def _conf_int_at(self, alpha: float) -> pd.DataFrame:
        """Each claim re-tested at `alpha` (its own method: score, exact or Welch interval)."""
        frame = self.to_frame()
        tests = [evaluate_claim(r.claim, alpha) for r in self.results]
        return frame.assign(ci_low=[t.ci_low for t in tests], ci_high=[t.ci_high for t in tests])

    def sensitivity(self) -> pd.DataFrame:
        """How each claim's interval moves across the plausible range of every assumption:
        ``claim_id``, ``assumption``, ``value``, the estimate columns, ``p_adjusted``, ``verdict``
        (the other claims' p-values held fixed when adjusting)."""
        return self._sensitivity.copy()

    def summary(self) -> str:
        """The scorecard in plain text, one paragraph per claim."""
        counts = pd.Series([_category(r.verdict) for r in self.results]).value_counts()
        head = (
            f"{len(self.results)} claims: {counts.get(SUPPORTED, 0)} supported, "
            f"{counts.get(NO_CHANGE, 0)} not distinguishable from no change, "
            f"{counts.get('cannot be tested', 0)} cannot be tested"
        )
        if counts.get(CONTRADICTED, 0):
            head += f", {counts[CONTRADICTED]} contradicted"
        lines = [head + f" ({self._adjust_text()})."]
        for r in self.results:
            lines.append(f"- {_capital(r.claim.metric)}: {r.verdict}. {r.explanation}")
        return "\n".join(lines)

    def methods(self) -> str:
        """A methods paragraph for the report, generated from what was tested."""
        kinds = {r.test.term for r in self.results if r.test.needs is None}
        tested = sum(r.test.needs is None for r in self.results)
        name = ("Holm's step-down method" if self.adjust == "holm"
                else "the Benjamini-Hochberg false discovery rate method")
        parts = ["Each published claim was turned into counts, rates or means only as far as its "
                 "source allows; nothing was estimated from figures that are not published."]
        if kinds & {"difference", "paired_difference"}:
            parts.append("Before and after percentages were compared as proportions with "
                         "Newcombe's hybrid score interval for the difference (Newcombe 1998); "
                         "where a cohort's paired table is known, with McNemar's test and "
                         "Newcombe's paired interval.")
        if "rate_ratio" in kinds:
            parts.append("Counts were compared as Poisson counts with the exact conditional "
                         "interval for the rate ratio; counts that are not independent events "
                         "(bed days, which come in stays) as quasi-Poisson counts with a stated "
                         "dispersion.")
        if "mean_difference" in kinds:
            parts.append("Means were compared with Welch's t test from the published means, "
                         "standard deviations and numbers.")
        parts.append(f"p-values were adjusted across the {tested} testable claims by {name}; a "
                     f"claim is supported when its adjusted p-value is below {self.alpha:g} and "
                     "the change goes the way the source says. Claims whose sources lack a "
                     "denominator, the counts, or a standard deviation were not tested, and the "
                     "verdict names what is needed. Where a denominator or a dispersion had to be "
                     "assumed, every analysis was repeated across a plausible range "
                     f"({self.sensitivity_points} values) to show how the interval and verdict "
                     "move.")
        return " ".join(parts)

    def limitations(self) -> list[str]:
        """Limitations found by this scorecard, one sentence each, for the report's list."""
        items = []
        untested = [r for r in self.results if r.test.needs is not None]
        if untested:
            items.append(f"{len(untested)} of {len(self.results)} claims cannot be tested from "
                         "what is published. " + " ".join(
                             f"{_capital(r.claim.metric)}: needs {r.test.needs}." for r in untested))
        for r in self.results:
            rows = self._sensitivity[self._sensitivity["claim_id"] == r.claim.id]
            if (rows["verdict"] != r.verdict).any():
                items.append(f"The verdict on the {r.claim.metric} depends on an assumed "
                             f"{', '.join(rows['assumption'].unique())} (see the sensitivity "
                             "table).")
        if any(r.claim.assumed for r in self.results):
            items.append("Figures assumed rather than published: " + "; ".join(
                f"{r.claim.metric} ({', '.join(r.claim.assumed)})" for r in self.results
                if r.claim.assumed) + ".")
        if any(r.claim.same_people and r.claim.paired_table is None for r in self.results):
            items.append("Cohort claims describe the same people twice but are compared as "
                         "independent groups because no paired table is published.")
        unchecked = sum(not r.claim.primary_source_checked for r in self.results)
        if unchecked:
            items.append(f"{unchecked} of {len(self.results)} figures have not been checked "
                         "against their primary source document.")
        items.append("A before/after difference is not an effect of the programme: it has no "
                     "counterfactual, so secular trends, seasonality, regression to the mean and "
                     "other changes over the same period are not ruled out (the interrupted time "
                     "series analyses address this where monthly data exist).")
        return items

    def _adjust_text(self) -> str:
        name = "Holm" if self.adjust == "holm" else "Benjamini-Hochberg"
        return f"alpha = {self.alpha:g}, {name} adjustment across the testable claims"

    def plot(self, **options: Any) -> Figure:
        """Forest plot of the testable claims, one panel per kind of effect; `options` (title,
        xlabel, ylabel, colors, width) go to `slp_eval.plots.forest_plot`."""
        from slp_eval.plots.forest import forest_plot

        frame = self.to_frame()
        frame = frame[frame["p_value"].notna()].assign(label=frame["metric"].map(_capital))
        options.setdefault("title", "Headline claims: effect and 95% CI"
                           if math.isclose(self.alpha, 0.05) else "Headline claims")
        return forest_plot(frame, label="label", **options)

    def to_dict(self) -> dict[str, object]:
        def clean(value: object) -> object:
            if value is pd.NA:
                return None
            if isinstance(value, np.generic):
                value = value.item()
            if isinstance(value, float) and not math.isfinite(value):
                return None
            return value

        claims = []
        for row, r in zip(self.to_frame().to_dict(orient="records"), self.results, strict=True):
            entry = {k: clean(v) for k, v in row.items()}
            entry["explanation"] = r.explanation
            entry["claim"] = r.claim.claim
            entry["notes"] = r.claim.notes
            entry["comparison"] = r.test.comparison.to_dict() if r.test.comparison else None
            claims.append(entry)
        sensitivity = [{k: clean(v) for k, v in row.items()}
                       for row in self._sensitivity.to_dict(orient="records")]
        estimates = [{k: clean(v) for k, v in row.items()}
                     for row in self.to_frame()[["claim_id", *ESTIMATE_COLUMNS]]
                     .to_dict(orient="records")]
        return {"kind": "scorecard", "alpha": self.alpha, "adjust": self.adjust,
                "estimates": estimates, "claims": claims, "sensitivity": sensitivity}


# ------------------------------------------------------------------------------------------------
# evaluating one claim
# ------------------------------------------------------------------------------------------------
def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _describe(m: Measurement | None, claim: Claim, side: str) -> str:
    """A published figure as a table cell, e.g. '42% of 450 (denominator assumed), 2017'."""
    if m is None:
        return "not published"
    parts = []
    if m.percent is not None:
        parts.append(f"{m.percent:g}%")
    if m.count is not None:
        parts.append(f"{m.count:,}" if m.percent is None else f"({m.count:,})")
    if m.denominator is not None:
        assumed = " (assumed)" if "denominator" in claim.assumed else ""
        parts.append(f"of {m.denominator:,}{assumed}")
    if m.mean is not None:
        parts.append(f"mean {m.mean:g} {claim.unit}")
    if m.sd is not None and m.n is not None:
        parts.append(f"(SD {m.sd:g}, n = {m.n})")
    if m.exposure is not None:
        parts.append(f"over {m.exposure:g}")
    return " ".join(parts) + f", {m.period}" if parts else f"{side}: {m.period}"


def _successes(m: Measurement, denominator: int) -> int:
    """Events out of ``denominator``: the published count, or the percentage applied to it."""
    if m.count is not None:
        return m.count
    assert m.percent is not None  # checked by the caller
    return math.floor(m.percent / 100 * denominator + 0.5)  # nearest count, halves up


def _test_proportion(claim: Claim, alpha: float, denominator: int | None) -> ClaimTest:
    before, after = claim.before, claim.after
    assert before is not None and after is not None  # Claim guarantees both
    if any(m.count is None and m.percent is None for m in (before, after)):
        return ClaimTest(None, needs=f"the number or percentage of {claim.unit} in each period")
    n1 = denominator if denominator is not None else before.denominator
    n2 = denominator if denominator is not None else after.denominator
    if n1 is None or n2 is None:
        return ClaimTest(None, needs=f"the number of {claim.unit} behind each percentage "
                                 "(the denominators)")
    x1, x2 = _successes(before, n1), _successes(after, n2)
    if x1 > n1 or x2 > n2:
        return ClaimTest(None, needs=f"a denominator at least as large as the count (got {n1}, {n2})")
    caveats = []
    if any(m.count is None for m in (before, after)):
        caveats.append("Counts were derived from the published percentages and denominators.")
    if claim.paired_table is not None:
        paired = compare_paired_proportions(claim.paired_table, alpha=alpha, label=claim.metric)
        return ClaimTest("paired_difference", paired.difference, paired.std_err, paired.ci_low,
                     paired.ci_high, paired.p_value, paired, caveats=tuple(caveats))
    if claim.same_people:
        caveats.append(
            "The same people were measured twice but the paired table (who moved) is not "
            "published, so the groups are compared as independent; that ignores the pairing and "
            "is conservative when the two measurements are positively correlated."
        )
    result = compare_proportions(x1, n1, x2, n2, alpha=alpha, label=claim.metric)
    return ClaimTest("difference", result.difference, result.std_err, result.ci_low, result.ci_high,
                 result.p_value, result, caveats=tuple(caveats))


def _test_count(claim: Claim, alpha: float, dispersion: float | None) -> ClaimTest:
    before, after = claim.before, claim.after
    assert before is not None and after is not None
    if before.count is None or after.count is None:
        return ClaimTest(None, needs=f"the number of {claim.unit} in each period")
    caveats = []
    if before.exposure is not None and after.exposure is not None:
        e1, e2 = before.exposure, after.exposure
    elif claim.equal_periods:
        e1 = e2 = 1.0
        caveats.append(
            "No exposure is published; the two counts are compared as Poisson counts over periods "
            f"of equal length ({before.period} and {after.period}), as the claim states."
        )
    else:
        return ClaimTest(None, needs="the exposure of each period (population or time at risk), or "
                                 "confirmation that the periods are of equal length")
    phi = dispersion if dispersion is not None else (claim.dispersion or 1.0)
    if phi > 1:
        assumed = " (assumed)" if "dispersion" in claim.assumed else ""
        caveats.append(
            f"The {claim.unit} are not independent events, so the variance is taken as "
            f"{phi:g} times the Poisson variance{assumed} (quasi-Poisson)."
        )
    result = compare_rates(before.count, e1, after.count, e2, alpha=alpha, label=claim.metric,
                           dispersion=phi)
    return ClaimTest("rate_ratio", result.rate_ratio, result.log_ratio_std_err, result.ci_low,
                 result.ci_high, result.p_value, result, caveats=tuple(caveats))


def _test_mean(claim: Claim, alpha: float) -> ClaimTest:
    before, after = claim.before, claim.after
    assert before is not None and after is not None
    if any(m.mean is None for m in (before, after)):
        return ClaimTest(None, needs=f"the mean {claim.unit} in each period")
    if any(m.sd is None or m.n is None for m in (before, after)):
        return ClaimTest(None, needs=f"the standard deviation and number of values behind each mean "
                                 f"(or the individual {claim.unit})")
    result = compare_means_summary(before.mean, before.sd, before.n, after.mean, after.sd,
                                   after.n, alpha=alpha, label=claim.metric, unit=claim.unit)
    return ClaimTest("mean_difference", result.difference, result.std_err, result.ci_low,
                 result.ci_high, result.p_value, result)


def _test_level(claim: Claim, alpha: float) -> ClaimTest:
    after = claim.after
    assert after is not None
    needs = "a before figure or a comparator (only one period is published)"
    if after.denominator is None:
        return ClaimTest(None, needs=needs + f" and the number of {claim.unit}")
    count = _successes(after, after.denominator)
    low, high = proportion_confint(count, after.denominator, alpha=alpha, method="wilson")
    return ClaimTest("proportion", count / after.denominator, math.nan, float(low), float(high),
                 needs=needs)


def evaluate_claim(
    claim: Claim, alpha: float = 0.05, *, denominator: int | None = None,
    dispersion: float | None = None,
) -> ClaimTest:
    """Test one claim; ``denominator``/``dispersion`` override the claim's (for sensitivity)."""
    if claim.kind == "proportion":
        return _test_proportion(claim, alpha, denominator)
    if claim.kind == "count":
        return _test_count(claim, alpha, dispersion)
    if claim.kind == "mean":
        return _test_mean(claim, alpha)
    if claim.kind == "level":
        return _test_level(claim, alpha)
    change = f"{claim.published_change:+g}%" if claim.published_change is not None else ""
    return ClaimTest(None, needs=f"the number of {claim.unit} before and after (only a relative "
                             f"change, {change}, is published)")


def _direction(test: ClaimTest) -> float:
    centre = math.log(test.estimate) if test.term == "rate_ratio" else test.estimate
    return math.copysign(1.0, centre) if centre != 0 else 0.0


def _verdict(claim: Claim, test: ClaimTest, p_adjusted: float, alpha: float) -> str:
    if test.needs is not None or not math.isfinite(p_adjusted):
        return f"cannot be tested: needs {test.needs}"
    if p_adjusted >= alpha:
        return NO_CHANGE
    claimed = 1.0 if claim.direction == "increase" else -1.0
    return SUPPORTED if _direction(test) == claimed else CONTRADICTED


def _category(verdict: str) -> str:
    return "cannot be tested" if verdict.startswith("cannot be tested") else verdict


def _explain(claim: Claim, test: ClaimTest, p_adjusted: float, family: int, adjust: str,
             alpha: float) -> str:
    parts = []
    if test.comparison is not None:
        parts.append(test.comparison.summary())
    elif test.term == "proportion":
        parts.append(f"{100 * test.estimate:.1f}% ({100 * test.ci_low:.1f}% to "
                     f"{100 * test.ci_high:.1f}%, Wilson interval), but there is nothing to "
                     "compare it with.")
    else:
        parts.append(f"As published: {claim.claim}.")
    parts.extend(test.caveats)
    if test.comparison is not None and math.isfinite(p_adjusted):
        name = "Holm" if adjust == "holm" else "Benjamini-Hochberg"
        parts.append(f"{name}-adjusted across {family} testable claims: "
                     f"{format_p(p_adjusted)}.")
        if test.p_value < alpha <= p_adjusted:
            parts.append("Significant on its own, but not after allowing for the number of "
                         "claims tested.")
    if claim.assumed:
        parts.append(f"Assumed, not published: {', '.join(claim.assumed)}.")
    if not claim.primary_source_checked:
        parts.append("Not yet checked against the primary source.")
    return " ".join(parts)


# ------------------------------------------------------------------------------------------------
# the scorecard
# ------------------------------------------------------------------------------------------------
def _grid(bounds: Sequence[float], points: int, integer: bool) -> list[float]:
    values = np.linspace(bounds[0], bounds[1], points)
    if integer:
        values = np.unique(np.round(values).astype(int))
    return [v.item() for v in np.unique(values)]


def build(
    claims: Sequence[Claim],
    *,
    alpha: float = 0.05,
    adjust: Literal["holm", "fdr_bh"] = "holm",
    sensitivity_points: int = 5,
) -> Scorecard:
    """Build the scorecard from `claims`: each tested (`evaluate_claim`), p-values adjusted across
    the testable ones (``adjust``), a verdict at ``alpha``, and every assumption tried at
    ``sensitivity_points`` values across its plausible range.

    A parameter file (`slp_eval.params.scorecard.ScorecardParams`) or claims written as dicts
    go through `slp_eval.report.scorecard.build`, which validates and converts them."""
    if not isinstance(claims, Sequence):
        raise ParameterError(f"build: claims must be a list of slp_eval.scorecard.Claim, got "
                             f"{type(claims).__name__}; build a parameter file's scorecard with "
                             "slp_eval.report.scorecard.build")
    claims = list(claims)
    for index, item in enumerate(claims):
        if not isinstance(item, Claim):
            raise ParameterError(f"build: claims[{index}] is a {type(item).__name__}, not a "
                                 "slp_eval.scorecard.Claim; slp_eval.report.scorecard.build "
                                 "validates and converts claims given as dicts or parameter models")
    if not claims:
        raise ParameterError("build: no claims given; a scorecard needs at least one claim")
    ids = [c.id for c in claims]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ParameterError(f"claim ids must be unique; repeated: {', '.join(repeated)}")
    if not 0 < alpha < 1:
        raise ParameterError(f"build: alpha = {alpha} must be strictly between 0 and 1")
    if adjust not in ("holm", "fdr_bh"):
        raise ParameterError(f"build: adjust = {adjust!r} is not one of holm, fdr_bh")
    if isinstance(sensitivity_points, bool) or not isinstance(sensitivity_points, int) \
            or sensitivity_points < 2:
        raise ParameterError(f"build: sensitivity_points = {sensitivity_points!r} must be a whole "
                             "number of at least 2")
    points = sensitivity_points

    tests = [evaluate_claim(c, alpha) for c in claims]
    raw = np.array([t.p_value if t.needs is None else math.nan for t in tests])
    adjusted = adjust_pvalues(raw, adjust)
    family = int(np.sum(~np.isnan(raw)))
    sensitivity = _sensitivity(claims, raw, alpha, adjust, points)
    results = []
    for index, (claim, test, p) in enumerate(zip(claims, tests, adjusted, strict=True)):
        verdict = _verdict(claim, test, float(p), alpha)
        explanation = _explain(claim, test, float(p), family, adjust, alpha)
        explanation += _robustness(sensitivity[sensitivity["claim_id"] == claim.id], verdict)
        smallest = None
        if _from_percentages(claim) and test.needs is None:
            smallest = _smallest_supporting_denominator(claims, raw, index, alpha, adjust)
            explanation += _breakeven_text(claim, smallest)
        results.append(ClaimResult(claim, test, float(p), verdict, explanation, smallest))
    return Scorecard(tuple(results), alpha, adjust, points, sensitivity)


def _robustness(rows: pd.DataFrame, verdict: str) -> str:
    """One sentence per assumption: does the verdict survive its plausible range?"""
    text = ""
    for assumption, group in rows.groupby("assumption", sort=False):
        low, high = group["value"].min(), group["value"].max()
        changed = group[group["verdict"] != verdict]
        if changed.empty:
            text += (f" Across the plausible {assumption} range ({low:g} to {high:g}) the "
                     f"verdict stays '{verdict}'.")
        else:
            values = ", ".join(f"{v:g}" for v in changed["value"])
            text += (f" The verdict depends on the assumed {assumption}: across {low:g} to "
                     f"{high:g} it becomes '{changed['verdict'].iloc[0]}' at {values}.")
    return text


def _from_percentages(claim: Claim) -> bool:
    """A proportion claim published as percentages with an assumed denominator."""
    sides = (claim.before, claim.after)
    return (claim.kind == "proportion" and claim.denominator_range is not None
            and all(m is not None and m.count is None and m.percent is not None for m in sides))


def _breakeven_text(claim: Claim, smallest: int | None) -> str:
    if smallest is None:
        assert claim.denominator_range is not None
        return (f" It would not be supported even with {claim.denominator_range[1]} "
                f"{claim.unit} in each period.")
    return (f" It would be supported with as few as about {smallest} {claim.unit} in each period "
            "(same percentages).")


def _smallest_supporting_denominator(
    claims: list[Claim], raw: np.ndarray, index: int, alpha: float, adjust: str
) -> int | None:
    """Smallest common denominator (same published percentages) at which the claim is still
    supported, the other claims' p-values held fixed; bisection up to the top of its plausible
    range, so "about": rounding the counts makes the p-value slightly non-monotone in n."""
    claim = claims[index]
    assert claim.denominator_range is not None

    def supported(n: int) -> bool:
        test = evaluate_claim(claim, alpha, denominator=n)
        if test.needs is not None:
            return False
        family = raw.copy()
        family[index] = test.p_value
        p_adj = float(adjust_pvalues(family, adjust)[index])  # type: ignore[arg-type]
        return _verdict(claim, test, p_adj, alpha) == SUPPORTED

    low, high = 1, claim.denominator_range[1]
    if not supported(high):
        return None
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if supported(middle) else (middle, high)
    return high


def _sensitivity(claims: list[Claim], raw: np.ndarray, alpha: float, adjust: str,
                 points: int) -> pd.DataFrame:
    rows = []
    for index, claim in enumerate(claims):
        trials: list[tuple[str, float, ClaimTest]] = []
        if "denominator" in claim.assumed and claim.denominator_range is not None:
            for value in _grid(claim.denominator_range, points, integer=True):
                trials.append(("denominator", value,
                               evaluate_claim(claim, alpha, denominator=int(value))))
        if "dispersion" in claim.assumed and claim.dispersion_range is not None:
            for value in _grid(claim.dispersion_range, points, integer=False):
                trials.append(("dispersion", value,
                               evaluate_claim(claim, alpha, dispersion=float(value))))
        for assumption, value, test in trials:
            family = raw.copy()
            family[index] = test.p_value if test.needs is None else math.nan
            p_adj = float(adjust_pvalues(family, adjust)[index])  # type: ignore[arg-type]
            rows.append({
                "claim_id": claim.id, "assumption": assumption, "value": value,
                "term": test.term or "not tested", "estimate": test.estimate,
                "std_err": test.std_err, "ci_low": test.ci_low, "ci_high": test.ci_high,
                "p_value": test.p_value, "p_adjusted": p_adj,
                "verdict": _verdict(claim, test, p_adj, alpha),
            })
    columns = ["claim_id", "assumption", "value", *ESTIMATE_COLUMNS, "p_adjusted", "verdict"]
    return pd.DataFrame(rows, columns=columns)
