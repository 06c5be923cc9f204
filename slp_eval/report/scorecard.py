"""What the scorecard notebook shows: one row per claim, the sensitivity to assumptions, the
sources, and the limitations of testing published summary figures."""

import pandas as pd

from slp_eval.report.tables import format_number, format_p, interval
from slp_eval.scorecard import Scorecard


def claims_table(scorecard: Scorecard) -> pd.DataFrame:
    """The testable claims: before | after | effect | estimate (CI) | p | adjusted p | verdict."""
    frame = scorecard.to_frame()
    frame = frame[frame["p_value"].notna()]
    return pd.DataFrame({
        "claim": [m[:1].upper() + m[1:] for m in frame["metric"]],
        "before": frame["before"], "after": frame["after"],
        "effect": frame["term"].str.replace("_", " "),
        "estimate": [format_number(v, 3) for v in frame["estimate"]],
        "95% CI": [interval(lo, hi, 3) for lo, hi in zip(frame["ci_low"], frame["ci_high"], strict=True)],
        "p": [format_p(v) for v in frame["p_value"]],
        "adjusted p": [format_p(v) for v in frame["p_adjusted"]],
        "verdict": frame["verdict"],
    })


def untestable_table(scorecard: Scorecard) -> pd.DataFrame:
    """The claims that cannot be tested, with what each would need."""
    frame = scorecard.to_frame()
    frame = frame[frame["p_value"].isna()]
    return pd.DataFrame({
        "claim": [m[:1].upper() + m[1:] for m in frame["metric"]],
        "before": frame["before"], "after": frame["after"],
        "what a test needs": [v.removeprefix("cannot be tested: needs ") for v in frame["verdict"]],
    })


def sensitivity_table(scorecard: Scorecard) -> pd.DataFrame:
    """Each assumption's plausible range: the estimate, interval and verdict at each value tried."""
    frame = scorecard.sensitivity()
    if frame.empty:
        return frame
    return pd.DataFrame({
        "claim": frame["claim_id"], "assumption": frame["assumption"],
        "value": [format_number(v, 2) for v in frame["value"]],
        "estimate": [format_number(v, 3) for v in frame["estimate"]],
        "95% CI": [interval(lo, hi, 3) for lo, hi in zip(frame["ci_low"], frame["ci_high"], strict=True)],
        "adjusted p": [format_p(v) for v in frame["p_adjusted"]],
        "verdict": frame["verdict"],
    })


def sources_table(scorecard: Scorecard) -> pd.DataFrame:
    """Where each claim was published, whether the primary source was checked, what was assumed."""
    frame = scorecard.to_frame()
    return pd.DataFrame({
        "claim": frame["claim_id"], "source": frame["source"],
        "primary source checked": frame["primary_source_checked"].map({True: "yes", False: "NO"}),
        "assumed": frame["assumed"].replace("", "(nothing)"),
    })


def limitations(scorecard: Scorecard) -> list[str]:
    """What limits the scorecard, one sentence each, with its numbers."""
    frame = scorecard.to_frame()
    items = []
    untestable = frame[frame["p_value"].isna()]
    if len(untestable):
        items.append(f"{len(untestable)} of {len(frame)} claims cannot be tested from what was published "
                     f"({', '.join(untestable['claim_id'])}): each verdict says what is needed.")
    assumed = frame[frame["assumed"] != ""]
    if len(assumed):
        items.append(f"{len(assumed)} claims rest on assumed figures ({', '.join(assumed['claim_id'])}); "
                     "the sensitivity table shows how each verdict moves across the plausible range.")
    unchecked = int((~frame["primary_source_checked"].astype(bool)).sum())
    if unchecked:
        items.append(f"{unchecked} of {len(frame)} figures have not yet been checked against their primary "
                     "source document.")
    items.append("Each claim compares two published figures: none allows for a trend already under way "
                 "before the programme, or for other changes at the same time.")
    return items


__all__ = ["claims_table", "limitations", "sensitivity_table", "sources_table", "untestable_table"]
