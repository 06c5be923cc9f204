"""The answer box: the headline effect, the verdict, the one caveat that matters most, and
the fit's summary paragraph.
"""

import re

import pandas as pd

from slp_eval.its import ITSResult
from slp_eval.its.sensitivity import PlaceboResult
from slp_eval.its.text import summary_text, unit_name
from slp_eval.params.its import ITSParams
from slp_eval.report.its.sensitivity import placebo_reconciliation
from slp_eval.report.its.wording import interruption_name, quantity, with_unit

__all__ = [
    "CAVEAT_PRIORITY", "CAVEAT_WORDS", "SYNTHETIC_CAVEAT", "answer", "headline_effect", "main_caveat",
    "summary",
]


def summary(result: ITSResult, placebo_result: PlaceboResult | str,
            params: ITSParams | None = None) -> str:
    """The fit's summary paragraph (differences in `params.outcome_unit`, if given), with the
    placebo reconciliation when one is needed."""
    extra = placebo_reconciliation(result, placebo_result)
    text = summary_text(result, params.outcome_unit if params is not None else None)
    return text + (f" {extra}" if extra else "")


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
