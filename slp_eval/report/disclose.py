"""The disclosure-control paragraph of a report (the control itself is `slp_eval.disclosure`)."""

from collections.abc import Sequence

from slp_eval.disclosure import DisclosedTable, DisclosureRule


def disclosure_note(rule: DisclosureRule, tables: Sequence[DisclosedTable]) -> str:
    """The disclosure-control paragraph of a report."""
    if not rule.apply:
        return ("**Disclosure control was switched off** by the parameter `disclosure.apply: false`. "
                "Small counts in this report are not protected: it must not be published or shared "
                "outside the organisation that holds the data.")
    suppressed = sum(t.suppressed for t in tables)
    text = (f"**Disclosure control.** Counts of people or events in the tables of this report follow "
            f"NHS Digital's convention for the Mental Health Services Data Set: counts from "
            f"{rule.suppress_min} to {rule.suppress_max} are suppressed (shown as `{rule.symbol}`) and "
            f"every other count is rounded to the nearest {rule.rounding_base}")
    text += (", with secondary suppression so a suppressed cell cannot be worked out from totals."
             if rule.secondary else ".")
    if tables:
        text += (f" {len(tables)} table(s) were controlled; {suppressed} cell(s) were suppressed.")
    else:
        text += " No table in this report holds counts of people or events."
    text += " Model estimates and percentages are not counts and are shown as computed."
    return text


__all__ = ["disclosure_note"]
