"""Paired proportions (the same people before and after): `compare_paired_proportions`.

McNemar exact (or mid-p, or chi-square) test; Newcombe (1998, Stat Med 17:2635)
square-and-add interval for the paired difference (his method 10).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

from slp_eval import ESTIMATE_COLUMNS
from slp_eval.disclosure import DisclosureRule
from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.prepost._common import (
    _alpha,
    _count,
    _frame_records,
    _json,
    _level,
    _n,
    _sample,
    _verb,
    format_p,
)
from slp_eval.tidy import TidyResult

__all__ = ["PairedProportionComparison", "PairedTest", "compare_paired_proportions"]


PairedTest = Literal["exact", "mid-p", "chi2"]


@dataclass(frozen=True, repr=False)
class PairedProportionComparison(TidyResult):
    """The same people measured before and after. ``table[i][j]``: before = (yes, no)[i],
    after = (yes, no)[j]."""

    table: tuple[tuple[int, int], tuple[int, int]]
    alpha: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    test: str
    std_err: float
    label: str = "proportion"

    @property
    def n(self) -> int:
        return sum(map(sum, self.table))

    @property
    def p_before(self) -> float:
        return (self.table[0][0] + self.table[0][1]) / self.n

    @property
    def p_after(self) -> float:
        return (self.table[0][0] + self.table[1][0]) / self.n

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(
            [("paired_difference", self.difference, self.std_err, self.ci_low, self.ci_high,
              self.p_value)],
            columns=list(ESTIMATE_COLUMNS),
        )
        frame["interval_method"] = "newcombe-paired"
        frame["test"] = self.test
        return frame

    def summary(self, label: str | None = None, *, rule: DisclosureRule | None = None) -> str:
        """One sentence; with a disclosure ``rule`` the counts are suppressed or rounded."""
        (_, yes_no), (no_yes, _) = self.table
        return (
            f"For the same {_n(self.n, rule)} people the {label or self.label} "
            f"{_verb(self.difference)} from"
            f" {100 * self.p_before:.1f}% to {100 * self.p_after:.1f}%:"
            f" {100 * self.difference:+.1f} points ({_level(self.alpha)}"
            f" {100 * self.ci_low:+.1f} to {100 * self.ci_high:+.1f});"
            f" {_n(no_yes, rule)} changed to yes and {_n(yes_no, rule)} to no;"
            f" {format_p(self.p_value)} ({self.test})."
        )

    def methods(self) -> str:
        """A methods paragraph, as a paper's methods section reads."""
        return (
            "The same people were measured before and after, so the change was estimated from "
            "the paired table: the difference in proportions (after minus before) with "
            "Newcombe's square-and-add interval for paired data (Newcombe 1998, Stat Med "
            f"17:2635, method 10), and the {self.test} on the discordant pairs. Intervals are "
            f"{_level(self.alpha)[:-3]} two-sided."
        )

    def summary_frame(self) -> pd.DataFrame:
        """The tidy row of `to_frame()`: paired_difference."""
        return self.to_frame()

    def _at_alpha(self, alpha: float) -> PairedProportionComparison:
        low, high = _newcombe_paired_interval(np.array(self.table), alpha)
        return replace(self, alpha=alpha, ci_low=low, ci_high=high)

    def _conf_int_at(self, alpha: float) -> pd.DataFrame:
        return self._at_alpha(alpha).summary_frame()

    def to_dict(self) -> dict[str, object]:
        keys = ("alpha", "difference", "ci_low", "ci_high", "p_value", "test", "label", "n",
                "p_before", "p_after")
        out: dict[str, object] = {k: _json(getattr(self, k)) for k in keys}
        out["kind"] = "paired_proportions"
        out["table"] = [list(row) for row in self.table]
        out["estimates"] = _frame_records(self.to_frame())
        return out


def _paired_table(func: str, before: object, after: object | None) -> np.ndarray:
    if after is None:
        table = np.asarray(before, dtype=float)
        if table.shape != (2, 2):
            raise ModelInputError(
                f"{func}: with after=None, before must be a 2x2 table "
                f"(rows before yes/no, columns after yes/no); got shape {table.shape}"
            )
        names = ("table[0][0]", "table[0][1]", "table[1][0]", "table[1][1]")
        cells = [_count(func, nm, v) for nm, v in zip(names, table.ravel().tolist(), strict=True)]
        result = np.array(cells, dtype=int).reshape(2, 2)
    else:
        b = _sample(func, "before", before, minimum=1)
        a = _sample(func, "after", after, minimum=1)
        if b.size != a.size:
            raise ModelInputError(
                f"{func}: before has {b.size} values and after has {a.size}; paired data need "
                "one before and one after value per person"
            )
        for name, values in (("before", b), ("after", a)):
            bad = np.flatnonzero((values != 0) & (values != 1))
            if bad.size:
                raise ModelInputError(
                    f"{func}: {name}[{bad[0]}] = {values[bad[0]]:g} is not 0 or 1; "
                    "paired proportions need binary outcomes"
                )
        result = np.array(
            [[np.sum((b == 1) & (a == 1)), np.sum((b == 1) & (a == 0))],
             [np.sum((b == 0) & (a == 1)), np.sum((b == 0) & (a == 0))]],
            dtype=int,
        )
    if result.sum() == 0:
        raise ModelInputError(f"{func}: the paired table is empty (no people)")
    return result


def _newcombe_paired_interval(table: np.ndarray, alpha: float) -> tuple[float, float]:
    """Newcombe (1998, Stat Med 17:2635) method 10 for ``p_after - p_before``.

    Hand-written because neither statsmodels nor scipy offers a paired-difference interval. Square
    and add the Wilson score limits of the two marginal proportions, allowing for their
    correlation phi (with Newcombe's continuity adjustment of ``ad - bc``):
    ``L = D - sqrt(dl_a^2 - 2 phi dl_a du_b + du_b^2)``,
    ``U = D + sqrt(du_a^2 - 2 phi du_a dl_b + dl_b^2)``.
    """
    (both, before_only), (after_only, neither) = table.tolist()
    n = both + before_only + after_only + neither
    x_after, x_before = both + after_only, both + before_only
    p_a, p_b = x_after / n, x_before / n
    l_a, u_a = proportion_confint(x_after, n, alpha=alpha, method="wilson")
    l_b, u_b = proportion_confint(x_before, n, alpha=alpha, method="wilson")
    # 2x2 with the after measure as "first": a = both, b = after only, c = before only, d = neither
    a, b, c, d = both, after_only, before_only, neither
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    phi = 0.0
    if margins > 0:
        cross = a * d - b * c
        adjusted = cross - n / 2 if cross > n / 2 else (cross if cross < 0 else 0.0)
        phi = adjusted / math.sqrt(margins)
    diff = p_a - p_b
    dl_a, du_a, dl_b, du_b = p_a - l_a, u_a - p_a, p_b - l_b, u_b - p_b
    low = diff - math.sqrt(max(dl_a**2 - 2 * phi * dl_a * du_b + du_b**2, 0.0))
    high = diff + math.sqrt(max(du_a**2 - 2 * phi * du_a * dl_b + dl_b**2, 0.0))
    return max(low, -1.0), min(high, 1.0)


def compare_paired_proportions(
    before: object,
    after: object | None = None,
    *,
    test: PairedTest = "exact",
    alpha: float = 0.05,
    label: str = "proportion",
) -> PairedProportionComparison:
    """Compare a binary outcome measured twice on the same people.

    ``before`` and ``after`` are 0/1 arrays (one entry per person), or ``before`` is a 2x2 table
    ``[[yes->yes, yes->no], [no->yes, no->no]]`` (rows before, columns after) and ``after`` is None.

    Estimate: ``p_after - p_before = (n_no->yes - n_yes->no) / n`` with Newcombe's (1998) method 10
    interval. Test on the discordant pairs: ``"exact"`` McNemar (binomial, statsmodels
    ``mcnemar(exact=True)``), ``"mid-p"`` (exact p minus the point probability; Fagerland, Lydersen
    & Laake 2013, BMC Med Res Methodol 13:91), or ``"chi2"`` (with continuity correction, as R's
    ``mcnemar.test``).
    """
    func = "compare_paired_proportions"
    alpha = _alpha(func, alpha)
    if test not in ("exact", "mid-p", "chi2"):
        raise ParameterError(f"{func}: test = {test!r} is not one of exact, mid-p, chi2")
    table = _paired_table(func, before, after)
    yes_no, no_yes = int(table[0, 1]), int(table[1, 0])
    discordant = yes_no + no_yes
    if discordant == 0:
        p_value = 1.0
    elif test == "chi2":
        p_value = float(mcnemar(table, exact=False, correction=True).pvalue)
    elif test == "exact":
        p_value = float(mcnemar(table, exact=True).pvalue)
    else:  # mid-p = 2 P(X <= k) - P(X = k), X ~ Bin(b + c, 1/2), k = min(b, c): no library has it
        k = min(yes_no, no_yes)
        p_value = min(1.0, float(2 * stats.binom.cdf(k, discordant, 0.5)
                                 - stats.binom.pmf(k, discordant, 0.5)))
    names = {"exact": "McNemar exact test", "mid-p": "McNemar mid-p test",
             "chi2": "McNemar chi-square test (continuity-corrected)"}
    n = int(table.sum())
    diff = (no_yes - yes_no) / n
    # large-sample standard error of a paired difference (Agresti 2013, section 10.1.1)
    std_err = math.sqrt(max((yes_no + no_yes) / n - diff**2, 0.0) / n)
    low, high = _newcombe_paired_interval(table, alpha)
    rows = tuple(tuple(int(v) for v in row) for row in table.tolist())
    return PairedProportionComparison(
        table=rows,  # type: ignore[arg-type]
        alpha=alpha, difference=diff, ci_low=low, ci_high=high, p_value=p_value,
        test=names[test], std_err=std_err, label=label,
    )
