"""Percent change ``100 (ratio - 1)`` from the rate or risk ratio: `percent_change`."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import pandas as pd

from slp_eval import ESTIMATE_COLUMNS
from slp_eval.errors import ParameterError
from slp_eval.prepost._common import _json, _level, format_p
from slp_eval.prepost.proportions import ProportionComparison, compare_proportions
from slp_eval.prepost.rates import RateComparison, compare_rates
from slp_eval.tidy import TidyResult

__all__ = ["PercentChange", "percent_change"]


@dataclass(frozen=True, repr=False)
class PercentChange(TidyResult):
    """``100 * (ratio - 1)`` with the ratio's interval; ``basis`` says which ratio."""

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    basis: Literal["rate_ratio", "risk_ratio"]
    comparison: ProportionComparison | RateComparison

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(
            [("percent_change", self.estimate, math.nan, self.ci_low, self.ci_high, self.p_value)],
            columns=list(ESTIMATE_COLUMNS),
        )
        frame["basis"] = self.basis
        return frame

    def summary(self) -> str:
        level = _level(self.comparison.alpha)
        return (
            f"Change {self.estimate:+.1f}% ({level} {self.ci_low:+.1f}% to {self.ci_high:+.1f}%, "
            f"from the {self.basis.replace('_', ' ')}); {format_p(self.p_value)}."
        )

    def summary_frame(self) -> pd.DataFrame:
        """The tidy row of `to_frame()`: percent_change."""
        return self.to_frame()

    def _at_alpha(self, alpha: float) -> PercentChange:
        comparison = self.comparison._at_alpha(alpha)
        low, high = ((comparison.ratio_ci_low, comparison.ratio_ci_high)
                     if isinstance(comparison, ProportionComparison)
                     else (comparison.ci_low, comparison.ci_high))
        return replace(self, ci_low=100 * (low - 1), ci_high=100 * (high - 1),
                       comparison=comparison)

    def _conf_int_at(self, alpha: float) -> pd.DataFrame:
        return self._at_alpha(alpha).summary_frame()

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": "percent_change", "estimate": _json(self.estimate),
            "ci_low": _json(self.ci_low), "ci_high": _json(self.ci_high),
            "p_value": _json(self.p_value), "basis": self.basis,
            "comparison": self.comparison.to_dict(),
        }


def percent_change(
    before: int,
    after: int,
    *,
    n_before: int | None = None,
    n_after: int | None = None,
    exposure_before: float = 1.0,
    exposure_after: float = 1.0,
    alpha: float = 0.05,
) -> PercentChange:
    """Percent change from ``before`` to ``after`` with an interval.

    Counts (no denominators): ``100 (RR - 1)`` with RR the Poisson rate ratio and its exact
    conditional interval (`compare_rates`; equal exposures unless given). Proportions (both
    ``n_before`` and ``n_after``): ``100 (p2/p1 - 1)`` with the Koopman score interval of the risk
    ratio (`compare_proportions`).
    """
    if (n_before is None) != (n_after is None):
        missing = "n_after" if n_after is None else "n_before"
        raise ParameterError(
            f"percent_change: {missing} is missing; give both denominators (proportions) or "
            "neither (counts)"
        )
    if n_before is not None and n_after is not None:
        comp = compare_proportions(before, n_before, after, n_after, alpha=alpha)
        ratio, low, high, basis = comp.ratio, comp.ratio_ci_low, comp.ratio_ci_high, "risk_ratio"
        result: ProportionComparison | RateComparison = comp
    else:
        rates = compare_rates(before, exposure_before, after, exposure_after, alpha=alpha)
        ratio, low, high, basis = rates.rate_ratio, rates.ci_low, rates.ci_high, "rate_ratio"
        result = rates
    return PercentChange(
        estimate=100 * (ratio - 1), ci_low=100 * (low - 1), ci_high=100 * (high - 1),
        p_value=result.p_value, basis=basis, comparison=result,  # type: ignore[arg-type]
    )
