"""The `its` block of results.json and its `sensitivity` section.
"""

from typing import Any

from slp_eval.its import ITSResult
from slp_eval.its.sensitivity import BreakDateResult, PlaceboResult
from slp_eval.params.its import ITSParams
from slp_eval.report.its.controlled import _total

__all__ = ["results_block", "sensitivity_block"]


def sensitivity_block(placebo_result: PlaceboResult | str, breaks: BreakDateResult | str) -> dict[str, Any]:
    """The `sensitivity` section of the its block of results.json."""
    return {
        "placebo": placebo_result.to_dict() if isinstance(placebo_result, PlaceboResult)
        else {"skipped": placebo_result},
        "break_dates": breaks.to_dict() if isinstance(breaks, BreakDateResult) else {"skipped": breaks},
    }


def results_block(result: ITSResult, params: ITSParams | None = None, **extra: Any) -> dict[str, Any]:
    """The `its` block of results.json: model, effects, diagnostics, text, plus `extra` sections.

    With `params`, cumulative fitted totals of a log-link model are controlled as in `effects`."""
    block = result.to_dict()["its"]
    if params is not None and result.fit.link == "log":
        for effects_of in block.get("effects", {}).values():
            for row in effects_of.get("cumulative", []):
                row["fitted"] = _total(row["fitted"], params)
    block.update(extra)
    return block
