"""What the scorecard notebook shows: the answer (the count of verdicts, the tested claims' effects
and the main caveat), a board table of every claim with a verdict badge, the tested and untested
claims, the sensitivity to assumptions, the sources, and the limitations of testing published
summary figures.

Effects are printed in the claim's units everywhere a reader sees them: a difference of
proportions in percentage points to 1 decimal, a rate ratio to 2 decimals (as the forest plot and
the claims' sentences print them), a difference of means to 3 significant digits in the claim's
unit."""

import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from slp_eval import scorecard as statistics
from slp_eval.params.scorecard import Claim as ClaimModel
from slp_eval.params.scorecard import ScorecardParams, claims_from
from slp_eval.plots.forest import VERDICT_COLOURS
from slp_eval.report.tables import format_p, interval
from slp_eval.scorecard import CONTRADICTED, NO_CHANGE, SUPPORTED, Scorecard

#: Plain names of the scorecard's terms (`Scorecard.to_frame()["term"]`).
TERM_LABELS = {
    "difference": "Difference (percentage points)",
    "paired_difference": "Difference, same people (percentage points)",
    "rate_ratio": "Rate ratio, after / before",
    "mean_difference": "Difference in means",
}
UNTESTABLE = "cannot be tested"
#: Each verdict category: its badge text, a symbol (so the badge is not told by colour alone),
#: the badge's background and text colours (white on the forest plot's verdict colours, at least
#: 4.5:1 contrast), in the order the verdict count lists them.
BADGES = {
    SUPPORTED: ("Supported", "\u2713", VERDICT_COLOURS[SUPPORTED], "#ffffff"),
    NO_CHANGE: ("Not distinguishable from no change", "=", VERDICT_COLOURS[NO_CHANGE], "#ffffff"),
    UNTESTABLE: ("Cannot be tested", "?", "#e0e0e0", "#1a1a1a"),
    CONTRADICTED: ("Contradicted", "\u2717", VERDICT_COLOURS[CONTRADICTED], "#ffffff"),
}
#: Which limitation the answer box names as the main caveat, most important first: a verdict that
#: turns on an assumed figure, then figures not checked against their primary source, then the
#: design (two published figures, no counterfactual). `limitations` lists them in the same order.
CAVEAT_PRIORITY = ("assumption_decides", "unchecked", "design")


def claim_values(claim: ClaimModel) -> statistics.Claim:
    """A parameter file's claim (the pydantic model) as the plain `slp_eval.scorecard.Claim` the
    statistics take: the same values, lists as tuples."""
    data = claim.model_dump()
    sides = {side: None if data[side] is None else statistics.Measurement(**data[side])
             for side in ("before", "after")}
    ranges = {name: None if data[name] is None else tuple(data[name])
              for name in ("denominator_range", "dispersion_range")}
    table = None if data["paired_table"] is None else tuple(tuple(row) for row in data["paired_table"])
    return statistics.Claim(**{**data, **sides, **ranges, "assumed": tuple(data["assumed"]),
                               "paired_table": table})


def build(
    params_or_claims: ScorecardParams | Sequence[ClaimModel | Mapping[str, object]],
    *,
    alpha: float = 0.05,
    adjust: Literal["holm", "fdr_bh"] = "holm",
) -> Scorecard:
    """The scorecard of a `ScorecardParams` (whose own ``alpha``, ``adjust`` and
    ``sensitivity_points`` are then used) or of a list of claims (models or plain dicts, each
    validated as a parameter file's claim is, `slp_eval.params.scorecard.claims_from`): the claims
    converted (`claim_values`) and built by `slp_eval.scorecard.build`."""
    if isinstance(params_or_claims, ScorecardParams):
        return statistics.build([claim_values(c) for c in params_or_claims.claims],
                                alpha=params_or_claims.alpha, adjust=params_or_claims.adjust,
                                sensitivity_points=params_or_claims.sensitivity_points)
    claims = [claim_values(c) for c in claims_from(params_or_claims)]
    return statistics.build(claims, alpha=alpha, adjust=adjust)


def category(verdict: str) -> str:
    """The verdict's category: the verdict itself, or "cannot be tested" whatever it needs."""
    return UNTESTABLE if verdict.startswith(UNTESTABLE) else verdict


def verdict_counts(scorecard: Scorecard) -> dict[str, int]:
    """How many claims have each verdict category (contradicted only when there is one)."""
    found = pd.Series([category(v) for v in scorecard.to_frame()["verdict"]]).value_counts()
    return {name: int(found.get(name, 0)) for name in BADGES if name != CONTRADICTED or found.get(name, 0)}


def effect_text(term: str, estimate: float, low: float, high: float, unit: str = "") -> str:
    """An effect with its interval in the claim's units: "+42.0 percentage points (95% CI +36.1 to
    +47.4)", "rate ratio 0.76 (95% CI 0.61 to 0.94)", "+2.5 miles (95% CI ...)"."""
    def ratio(value: float) -> str:
        return "infinity" if math.isinf(value) else f"{value:.2f}"

    if term in ("difference", "paired_difference"):
        return (f"{100 * estimate:+.1f} percentage points (95% CI {100 * low:+.1f} to "
                f"{100 * high:+.1f})")
    if term == "rate_ratio":
        return f"rate ratio {ratio(estimate)} (95% CI {ratio(low)} to {ratio(high)})"
    suffix = f" {unit}" if unit else ""
    return f"{estimate:+.3g}{suffix} (95% CI {low:+.3g} to {high:+.3g})"


def _level_text(scorecard: Scorecard, text: str) -> str:
    level = f"{100 * (1 - scorecard.alpha):g}% CI"
    return text.replace("95% CI", level)


def _effects(scorecard: Scorecard) -> pd.Series:
    frame = scorecard.to_frame()
    return pd.Series([
        _level_text(scorecard, effect_text(r.term, r.estimate, r.ci_low, r.ci_high, r.unit))
        if not math.isnan(r.p_value) else "" for r in frame.itertuples(index=False)
    ], index=frame.index)


def answer(scorecard: Scorecard) -> dict[str, str]:
    """`Report.answer` arguments: the count of verdicts ("12 claims: 4 supported, ..."), each tested
    claim's effect with its interval, and the main caveat (`CAVEAT_PRIORITY`)."""
    counts = verdict_counts(scorecard)
    total = sum(counts.values())
    parts = [f"{n} {BADGES[name][0].lower()}" for name, n in counts.items()]
    method = "Holm" if scorecard.adjust == "holm" else "Benjamini-Hochberg"
    verdict = (f"{total} claims: {', '.join(parts)} (alpha = {scorecard.alpha:g}, {method} adjustment "
               "across the testable claims).")
    frame = scorecard.to_frame()
    tested = frame["p_value"].notna()
    effects = _effects(scorecard)
    effect = "; ".join(f"{_capital(m)}: {e}" for m, e in zip(frame.loc[tested, "metric"], effects[tested],
                                                             strict=True))
    return {"verdict": verdict, "effect": (effect + ".") if effect else "No claim could be tested.",
            "caveat": main_caveat(scorecard)}


@dataclass(frozen=True)
class ClaimsBoard:
    """Every claim in one table with a verdict badge: text and a symbol on a coloured ground, so
    the verdict never depends on colour alone. Plain text in a notebook's text output (what nbval
    compares), an HTML table in report.html; every cell is escaped."""

    frame: pd.DataFrame  # claim, before, after, effect, adjusted p, verdict (a category of BADGES)
    caption: str = "Every claim and its verdict"

    def __repr__(self) -> str:
        shown = self.frame.assign(verdict=[f"[{BADGES[v][1]} {BADGES[v][0]}]" for v in self.frame["verdict"]])
        return f"{self.caption}\n{shown.to_string(index=False)}"

    def _repr_html_(self) -> str:
        head = "".join(f'<th style="text-align:left;vertical-align:top">{html.escape(_capital(str(c)))}</th>'
                       for c in self.frame.columns)
        rows = []
        for record in self.frame.itertuples(index=False):
            cells = []
            for column, value in zip(self.frame.columns, record, strict=True):
                text = badge(str(value)) if column == "verdict" else html.escape(str(value))
                align = "right" if column == "adjusted p" else "left"
                cells.append(f'<td style="text-align:{align};vertical-align:top">{text}</td>')
            rows.append("<tr>" + "".join(cells) + "</tr>")
        return (f"<p><strong>{html.escape(self.caption)}</strong></p>\n"
                f'<table class="slp-table slp-claims" border="0"><thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(rows)}</tbody></table>")


def badge(verdict: str) -> str:
    """A verdict category as an HTML badge: symbol and words on the verdict's colour."""
    words, symbol, ground, ink = BADGES[verdict]
    return (f'<span class="verdict-badge" title="{html.escape(words)}" style="background-color:{ground};'
            f'color:{ink};padding:2px 6px;font-weight:bold;white-space:nowrap">'
            f"{html.escape(symbol)} {html.escape(words)}</span>")


def claims_board(scorecard: Scorecard) -> ClaimsBoard:
    """Every claim: as published before and after, the effect with its interval in the claim's
    units (or what a test would need), the adjusted p-value and the verdict badge."""
    frame = scorecard.to_frame()
    effects = _effects(scorecard)
    needs = [v.removeprefix("cannot be tested: ") for v in frame["verdict"]]
    return ClaimsBoard(pd.DataFrame({
        "claim": [_capital(m) for m in frame["metric"]],
        "before": frame["before"], "after": frame["after"],
        "effect (95% CI)" if math.isclose(scorecard.alpha, 0.05) else "effect": [
            e if e else _capital(n) for e, n in zip(effects, needs, strict=True)],
        "adjusted p": [format_p(v) for v in frame["p_adjusted"]],
        "verdict": [category(v) for v in frame["verdict"]],
    }))


def claims_table(scorecard: Scorecard) -> pd.DataFrame:
    """The testable claims: before | after | effect | estimate (CI) | p | adjusted p | verdict, each
    estimate in its own units (a difference of proportions in percentage points)."""
    frame = scorecard.to_frame()
    frame = frame[frame["p_value"].notna()]
    points = frame["term"].isin(["difference", "paired_difference"])
    scale = points.map({True: 100.0, False: 1.0})
    digits = [1 if p else (2 if t == "rate_ratio" else 3) for p, t in zip(points, frame["term"], strict=True)]
    return pd.DataFrame({
        "claim": [_capital(m) for m in frame["metric"]],
        "before": frame["before"], "after": frame["after"],
        "effect": [TERM_LABELS.get(t, t.replace("_", " ")) for t in frame["term"]],
        "estimate": [f"{v * s:.{d}f}" for v, s, d in zip(frame["estimate"], scale, digits, strict=True)],
        "95% CI": [interval(lo * s, hi * s, d) for lo, hi, s, d in
                   zip(frame["ci_low"], frame["ci_high"], scale, digits, strict=True)],
        "p": [format_p(v) for v in frame["p_value"]],
        "adjusted p": [format_p(v) for v in frame["p_adjusted"]],
        "verdict": frame["verdict"],
    })


def untestable_table(scorecard: Scorecard) -> pd.DataFrame:
    """The claims that cannot be tested, with what each would need."""
    frame = scorecard.to_frame()
    frame = frame[frame["p_value"].isna()]
    return pd.DataFrame({
        "claim": [_capital(m) for m in frame["metric"]],
        "before": frame["before"], "after": frame["after"],
        "what a test needs": [v.removeprefix("cannot be tested: needs ") for v in frame["verdict"]],
    })


def sensitivity_table(scorecard: Scorecard) -> pd.DataFrame:
    """Each assumption's plausible range: the estimate, interval and verdict at each value tried
    (a denominator is a count, printed without decimals; effects in the claim's units)."""
    frame = scorecard.sensitivity()
    if frame.empty:
        return frame
    metrics = scorecard.to_frame().set_index("claim_id")["metric"]
    points = frame["term"].isin(["difference", "paired_difference"])
    scale = points.map({True: 100.0, False: 1.0})
    digits = [1 if p else (2 if t == "rate_ratio" else 3) for p, t in zip(points, frame["term"], strict=True)]
    return pd.DataFrame({
        "claim": [_capital(metrics[c]) for c in frame["claim_id"]],
        "assumption": frame["assumption"],
        "value": [f"{v:,.0f}" if a == "denominator" else f"{v:.1f}"
                  for v, a in zip(frame["value"], frame["assumption"], strict=True)],
        "effect": [TERM_LABELS.get(t, t.replace("_", " ")) for t in frame["term"]],
        "estimate": [f"{v * s:.{d}f}" for v, s, d in zip(frame["estimate"], scale, digits, strict=True)],
        "95% CI": [interval(lo * s, hi * s, d) for lo, hi, s, d in
                   zip(frame["ci_low"], frame["ci_high"], scale, digits, strict=True)],
        "adjusted p": [format_p(v) for v in frame["p_adjusted"]],
        "verdict": frame["verdict"],
    })


def shared_source_note(sources: list[str]) -> str:
    """What every source says (a clause between semicolons or brackets found in all of them, such
    as "as quoted in the slp-eval brief"), to say once under the table instead of on every row."""
    if len(sources) < 2:
        return ""
    clause_sets = [{c.strip() for c in re.split(r"[;()]", s) if c.strip()} for s in sources]
    shared = set.intersection(*clause_sets)
    order = [c.strip() for c in re.split(r"[;()]", sources[0]) if c.strip() in shared]
    return "; ".join(dict.fromkeys(order))


def _without(source: str, clauses: list[str]) -> str:
    text = source
    for clause in clauses:
        text = text.replace(clause, "")
    text = re.sub(r"\(\s*[;\s]*\)", "", text)  # brackets left empty
    text = re.sub(r"\(\s*;\s*", "(", text)
    text = re.sub(r"\s*;\s*\)", ")", text)
    text = re.sub(r"(\s*;\s*)+", "; ", text)
    return text.strip(" ;") or "(as below)"


def sources_table(scorecard: Scorecard) -> pd.DataFrame:
    """Where each claim was published, whether the primary source was checked, what was assumed.
    What every source shares is said once, in `sources_note`."""
    frame = scorecard.to_frame()
    shared = shared_source_note(list(frame["source"]))
    clauses = [c.strip() for c in shared.split(";")] if shared else []
    return pd.DataFrame({
        "claim": [_capital(m) for m in frame["metric"]],
        "source": [_without(s, clauses) for s in frame["source"]],
        "primary source checked": frame["primary_source_checked"].map({True: "yes", False: "NO"}),
        "assumed": frame["assumed"].replace("", "(nothing)"),
    })


def sources_note(scorecard: Scorecard) -> str:
    """The note under the sources table: what every source shares, said once."""
    shared = shared_source_note(list(scorecard.to_frame()["source"]))
    return f"Every source: {shared}." if shared else ""


def details_table(scorecard: Scorecard) -> pd.DataFrame:
    """Each claim's full explanation (the test's sentence, its caveats, the adjustment and how the
    verdict moves across assumptions); whether the primary source was checked is in the sources
    table, so it is not repeated here."""
    unchecked = " Not yet checked against the primary source."
    rows = [(_capital(r.claim.metric), r.explanation.replace(unchecked, "")) for r in scorecard.results]
    return pd.DataFrame(rows, columns=["claim", "what the test shows"])


def _ranked_limitations(scorecard: Scorecard) -> list[tuple[str, str]]:
    frame = scorecard.to_frame()
    items: list[tuple[str, str]] = []
    sensitivity = scorecard.sensitivity()
    for row in frame.itertuples(index=False):
        rows = sensitivity[sensitivity["claim_id"] == row.claim_id]
        if (rows["verdict"] != row.verdict).any():
            items.append(("assumption_decides", f"The verdict on the {row.metric} depends on an assumed "
                          f"{', '.join(rows['assumption'].unique())}: across its plausible range it becomes "
                          f"'{rows.loc[rows['verdict'] != row.verdict, 'verdict'].iloc[0]}' (see the "
                          "sensitivity table)."))
    untestable = frame[frame["p_value"].isna()]
    if len(untestable):
        items.append(("untestable", f"{len(untestable)} of {len(frame)} claims cannot be tested from what "
                      "was published: the claims table says what each would need."))
    assumed = frame[frame["assumed"] != ""]
    if len(assumed):
        items.append(("assumed", f"{len(assumed)} claims rest on assumed figures "
                      f"({'; '.join(assumed['metric'])}); the sensitivity table shows how each verdict moves "
                      "across the plausible range."))
    unchecked = int((~frame["primary_source_checked"].astype(bool)).sum())
    if unchecked:
        items.append(("unchecked", f"{unchecked} of {len(frame)} figures have not yet been checked against "
                      "their primary source document."))
    items.append(("design", "Each claim compares two published figures: none allows for a trend already "
                  "under way before the programme, or for other changes at the same time."))
    return items


def limitations(scorecard: Scorecard) -> list[str]:
    """What limits the scorecard, one sentence each, with its numbers."""
    return [text for _, text in _ranked_limitations(scorecard)]


def main_caveat(scorecard: Scorecard) -> str:
    """The limitation the answer box names: the first in `CAVEAT_PRIORITY` order."""
    ranked = [item for item in _ranked_limitations(scorecard) if item[0] in CAVEAT_PRIORITY]
    return min(ranked, key=lambda item: CAVEAT_PRIORITY.index(item[0]))[1]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


__all__ = [
    "BADGES",
    "CAVEAT_PRIORITY",
    "TERM_LABELS",
    "ClaimsBoard",
    "answer",
    "badge",
    "build",
    "category",
    "claim_values",
    "claims_board",
    "claims_table",
    "details_table",
    "effect_text",
    "limitations",
    "main_caveat",
    "sensitivity_table",
    "shared_source_note",
    "sources_note",
    "sources_table",
    "untestable_table",
    "verdict_counts",
]
