"""The disclosure-control paragraph of a report and the controlled copies of what a run writes.

The control itself is `slp_eval.disclosure`; this module applies it to the parts of a run that are
not tables: results.json blocks (counts controlled, exact values only in the not-for-release file
when `disclosure.keep_exact` asks for it) and the report's closing paragraph.
"""

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from slp_eval.disclosure import DisclosedTable, DisclosureRule, disclose_count, disclose_ratio, disclose_share
from slp_eval.results import dumps, to_jsonable

#: Where exact values go when `disclosure.keep_exact: true` (inside the run directory).
RESTRICTED_DIR = "restricted"
RESTRICTED_FILE = "NOT_FOR_RELEASE_exact_results.json"


def disclosure_note(rule: DisclosureRule, tables: Sequence[DisclosedTable]) -> str:
    """The disclosure-control paragraph of a report."""
    if not rule.in_effect:
        return (f"**Disclosure control was switched off** {rule.off_reason}. "
                "Small counts in this report are not protected: it must not be published or shared "
                "outside the organisation that holds the data.")
    suppressed = sum(t.suppressed for t in tables)
    text = (f"**Disclosure control.** Counts of people or events in this report follow "
            f"NHS Digital's small-number rules (as for the Mental Health Services Data Set): counts from "
            f"{rule.suppress_min} to {rule.suppress_max} are suppressed (shown as `{rule.symbol}`) and "
            f"every other count is rounded to the nearest {rule.rounding_base}")
    text += (", with secondary suppression so a suppressed cell cannot be worked out from totals."
             if rule.secondary else ".")
    if tables:
        text += (f" {len(tables)} table(s) were controlled; {suppressed} cell(s) were suppressed.")
    text += (" The same rule applies to the sentences, figures and results.json of this run: a percentage, "
             "rate or mean that would give a suppressed count back is suppressed too, and figures of counts "
             "plot the rounded values and leave suppressed months undrawn. Model estimates and their "
             "intervals are computed from the exact data and are shown as computed.")
    if rule.keep_exact:
        text += (f" As `disclosure.keep_exact: true` asks, the exact values were also written to "
                 f"`{RESTRICTED_DIR}/{RESTRICTED_FILE}` in the run directory: that file is not for release "
                 "and must not leave the environment that holds the data.")
    return text


def write_exact(output_dir: Path | None, rule: DisclosureRule, **blocks: Any) -> Path | None:
    """Write the exact (uncontrolled) `blocks` to output_dir/restricted/NOT_FOR_RELEASE_... .

    Only when the rule is in effect and `keep_exact` is set (otherwise results.json is already exact
    or nothing exact is kept); returns the path written, or None.
    """
    if output_dir is None or not rule.keep_exact or not rule.in_effect:
        return None
    folder = Path(output_dir) / RESTRICTED_DIR
    folder.mkdir(exist_ok=True)
    document = {"NOT_FOR_RELEASE": "Exact values before disclosure control, kept for reproducibility "
                "(disclosure.keep_exact: true). Do not publish, share or copy out of the environment "
                "that holds the data.", **{name: to_jsonable(block) for name, block in blocks.items()}}
    path = folder / RESTRICTED_FILE
    with path.open("x", encoding="utf-8") as handle:
        handle.write(dumps(document))
    return path


def control_fields(block: Mapping[str, Any], rule: DisclosureRule, *, counts: Sequence[str] = (),
                   shares: Mapping[str, tuple[str, str, float]] | None = None,
                   ratios: Mapping[str, tuple[str, str]] | None = None) -> dict[str, Any]:
    """A copy of a results.json block with its counts controlled.

    ``counts`` are keys holding counts (suppressed or rounded); ``shares`` maps a key to
    (numerator key, denominator key, scale) and ``ratios`` a key to (count key, divisor key): each
    is suppressed when it would give a suppressed count back (see `slp_eval.disclosure`). Computed
    from the exact values of ``block``.
    """
    out = dict(block)
    for key, (num, den, scale) in (shares or {}).items():
        if key in block:
            out[key] = disclose_share(block[num], block[den], rule, scale)
    for key, (count, divisor) in (ratios or {}).items():
        if key in block:
            out[key] = disclose_ratio(block[count], block[divisor], rule)
    for key in counts:
        if key in block and block[key] is not None:
            out[key] = disclose_count(block[key], rule)
    return out


__all__ = ["RESTRICTED_DIR", "RESTRICTED_FILE", "control_fields", "disclosure_note", "write_exact"]
