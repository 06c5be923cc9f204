"""Before/after comparisons: proportions, paired proportions, Poisson rates and means.

Every function compares a *before* group (1, the reference) with an *after* group (2), so a
difference is ``after - before`` and a ratio is ``after / before``. Each returns a frozen result with
``.to_frame()`` (the package's tidy estimate vocabulary, `slp_eval.ESTIMATE_COLUMNS`),
``.summary()`` (one plain-English sentence) and ``.to_dict()`` (JSON-serialisable).

Methods (intervals are two-sided at level ``1 - alpha``):

- `compare_proportions`: Newcombe (1998, Stat Med 17:873) hybrid score interval (his method 10) for
  the difference by default; Koopman score interval for the risk ratio and the
  independence-smoothed logit interval for the odds ratio (the choices Fagerland, Lydersen & Laake
  2015, Stat Methods Med Res 24:224 recommend); Pearson chi-square test, or Fisher's exact test when
  an expected count is below 5.
- `compare_paired_proportions`: McNemar exact (or mid-p, or chi-square) test; Newcombe (1998, Stat
  Med 17:2635) square-and-add interval for the paired difference (his method 10).
- `compare_rates`: Poisson rate ratio with the exact conditional (binomial) interval and test, as
  R's ``poisson.test``; exact Garwood (1936) limits for each rate; a quasi-Poisson option
  (``dispersion``) for counts that are not independent events, such as bed days.
- `compare_means`: Welch t, Mann-Whitney with the Hodges-Lehmann shift and its distribution-free
  (Moses) interval, and a seeded bootstrap interval for the difference in medians;
  `compare_means_summary` does the Welch part from published means, SDs and numbers.
- `percent_change` (via the rate or risk ratio) and `adjust_pvalues` (Holm, Benjamini-Hochberg).
- `compare_periods`: any of the above for a before and an after window of a ``monthly_series``.

Hand-written pieces (each says why): the Miettinen-Nurminen and Koopman score intervals
(statsmodels' versions miss the published limits or fail at 0% and 100%), Newcombe's paired
interval, the McNemar mid-p, the Moses interval and the exact conditional rate-ratio interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from statsmodels.stats.rates import test_poisson_2indep

from slp_eval import ESTIMATE_COLUMNS
from slp_eval.disclosure import DisclosureRule, disclose_count, disclose_ratio, disclose_share
from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.tidy import TidyResult

__all__ = [
    "MeanComparison",
    "PairedProportionComparison",
    "PairedTest",
    "PercentChange",
    "ProportionComparison",
    "ProportionMethod",
    "RateComparison",
    "adjust_pvalues",
    "compare_means",
    "compare_means_summary",
    "compare_paired_proportions",
    "compare_periods",
    "compare_proportions",
    "compare_rates",
    "exact_poisson_interval",
    "format_p",
    "percent_change",
]

ProportionMethod = Literal["newcombe", "wald", "agresti-caffo", "miettinen-nurminen"]
PairedTest = Literal["exact", "mid-p", "chi2"]

#: Our method names -> statsmodels `confint_proportions_2indep` method (None: hand-written here).
_PROPORTION_METHODS: dict[str, str | None] = {
    "newcombe": "newcomb",
    "wald": "wald",
    "agresti-caffo": "agresti-caffo",
    "miettinen-nurminen": None,
}


# ---------------------------------------------------------------------------------------------
# input checks: every message names the function, the argument, the value and the rule broken
# ---------------------------------------------------------------------------------------------
def _finite(func: str, name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ModelInputError(f"{func}: {name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ModelInputError(f"{func}: {name} = {number} is not a finite number")
    return number


def _count(func: str, name: str, value: object) -> int:
    number = _finite(func, name, value)
    if number < 0:
        raise ModelInputError(f"{func}: {name} = {value} is negative; counts cannot be negative")
    if number != int(number):
        raise ModelInputError(f"{func}: {name} = {value} is not a whole number; counts are integers")
    return int(number)


def _events_of(func: str, x_name: str, x: object, n_name: str, n: object) -> tuple[int, int]:
    events, total = _count(func, x_name, x), _count(func, n_name, n)
    if total == 0:
        raise ModelInputError(f"{func}: {n_name} = 0; a proportion needs a denominator of at least 1")
    if events > total:
        raise ModelInputError(
            f"{func}: {x_name} = {events} is larger than {n_name} = {total}; "
            "a count of events cannot exceed its denominator"
        )
    return events, total


def _exposure(func: str, name: str, value: object) -> float:
    number = _finite(func, name, value)
    if number <= 0:
        raise ModelInputError(f"{func}: {name} = {value} must be greater than 0")
    return number


def _alpha(func: str, alpha: object) -> float:
    number = _finite(func, "alpha", alpha)
    if not 0 < number < 1:
        raise ParameterError(f"{func}: alpha = {alpha} must be strictly between 0 and 1")
    return number


def _sample(func: str, name: str, values: object, minimum: int = 2) -> np.ndarray:
    try:
        array = None if isinstance(values, str) else np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        array = None
    if array is None or array.ndim != 1:
        raise ModelInputError(f"{func}: {name} must be a one-dimensional sequence of numbers")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise ModelInputError(
            f"{func}: {name}[{bad[0]}] = {array[bad[0]]} is not a finite number "
            f"({bad.size} such value(s)); remove or impute missing values explicitly"
        )
    if array.size < minimum:
        raise ModelInputError(f"{func}: {name} has {array.size} value(s); at least {minimum} needed")
    return array


# ---------------------------------------------------------------------------------------------
# shared formatting
# ---------------------------------------------------------------------------------------------
def _json(value: object) -> object:
    """Plain JSON value: numpy scalars -> Python, NaN/inf -> None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _frame_records(frame: pd.DataFrame) -> list[dict[str, object]]:
    return [{k: _json(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def format_p(p_value: float) -> str:
    """A p-value as a report prints it: ``p < 0.001``, ``p = 0.034``, ``p = 0.62``."""
    if not math.isfinite(p_value):
        return "p not available"
    if p_value < 0.001:
        return "p < 0.001"
    return f"p = {p_value:.3f}" if p_value < 0.1 else f"p = {p_value:.2f}"


def _n(count: float, rule: DisclosureRule | None) -> str:
    """A count for a sentence, under disclosure control when a rule is given."""
    shown = disclose_count(count, rule)
    return f"{shown:,}" if isinstance(shown, int) else str(shown)


def _percent(x: float, n: float, rule: DisclosureRule | None) -> str:
    """A window's percentage for a sentence; suppressed when it would give a suppressed count back."""
    shown = disclose_share(x, n, rule)
    return shown if isinstance(shown, str) else f"{shown:.1f}%"


def _g4(value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:.4g}"


def _level(alpha: float) -> str:
    return f"{100 * (1 - alpha):g}% CI"


def _verb(change: float) -> str:
    return "rose" if change > 0 else "fell" if change < 0 else "did not change"


def _ratio_text(value: float, low: float, high: float) -> str:
    def fmt(number: float) -> str:
        if math.isnan(number):
            return "undefined"
        return "infinity" if number == math.inf else f"{number:.2f}"

    return f"{fmt(value)} (CI {fmt(low)} to {fmt(high)})"


def _sm_ci(*args: object, **kwargs: object) -> tuple[float, float]:
    """statsmodels' `confint_proportions_2indep` for the closed-form methods we use from it.

    statsmodels also computes the point ratios, which warns when a count is zero; we do not use
    them, so those warnings are silenced here.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = confint_proportions_2indep(*args, **kwargs)
    return float(low), float(high)


# ---------------------------------------------------------------------------------------------
# independent proportions
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class ProportionComparison(TidyResult):
    """Two independent proportions, before (x1/n1) and after (x2/n2)."""

    x1: int
    n1: int
    x2: int
    n2: int
    alpha: float
    method: str
    difference: float
    ci_low: float
    ci_high: float
    ratio: float
    ratio_ci_low: float
    ratio_ci_high: float
    odds_ratio: float
    odds_ratio_ci_low: float
    odds_ratio_ci_high: float
    p_value: float
    test: str
    std_err: float
    log_ratio_std_err: float
    log_odds_ratio_std_err: float
    label: str = "proportion"

    @property
    def p1(self) -> float:
        return self.x1 / self.n1

    @property
    def p2(self) -> float:
        return self.x2 / self.n2

    def to_frame(self) -> pd.DataFrame:
        """Tidy rows for the difference (after - before), the risk ratio and the odds ratio.

        ``std_err`` is on the scale named in ``se_scale``: the difference's Wald standard error,
        and the Katz/Woolf standard errors of the log ratios.
        """
        rows = [
            ("difference", self.difference, self.std_err, self.ci_low, self.ci_high, self.method,
             "difference"),
            ("risk_ratio", self.ratio, self.log_ratio_std_err, self.ratio_ci_low,
             self.ratio_ci_high, "koopman-score", "log"),
            ("odds_ratio", self.odds_ratio, self.log_odds_ratio_std_err, self.odds_ratio_ci_low,
             self.odds_ratio_ci_high, "independence-smoothed-logit", "log"),
        ]
        frame = pd.DataFrame(
            [(t, e, s, lo, hi, self.p_value, m, sc) for t, e, s, lo, hi, m, sc in rows],
            columns=[*ESTIMATE_COLUMNS, "interval_method", "se_scale"],
        )
        frame["test"] = self.test
        return frame

    def summary(self, label: str | None = None, *, rule: DisclosureRule | None = None) -> str:
        """One sentence: "The share in south London rose from 42.0% (189/450) to 84.0% ...".

        With a disclosure ``rule`` the counts are printed suppressed or rounded, and a window's
        percentage is suppressed too when it would give a suppressed count back (estimates are
        shown as computed)."""
        wording = label or self.label
        level = _level(self.alpha)
        x1, n1, x2, n2 = (_n(v, rule) for v in (self.x1, self.n1, self.x2, self.n2))
        if rule is not None and rule.hides(self.n1 - self.x1):  # x beside n gives n - x back
            x1 = rule.symbol
        if rule is not None and rule.hides(self.n2 - self.x2):
            x2 = rule.symbol
        pc1, pc2 = (_percent(x, n, rule) for x, n in ((self.x1, self.n1), (self.x2, self.n2)))
        return (
            f"The {wording} {_verb(self.difference)} from {pc1} ({x1}/{n1})"
            f" to {pc2} ({x2}/{n2}): {100 * self.difference:+.1f} percentage points"
            f" ({level} {100 * self.ci_low:+.1f} to {100 * self.ci_high:+.1f}),"
            f" risk ratio {_ratio_text(self.ratio, self.ratio_ci_low, self.ratio_ci_high)};"
            f" {format_p(self.p_value)} ({self.test}; {self.method} interval)."
        )

    def methods(self) -> str:
        """A methods paragraph, as a paper's methods section reads."""
        names = {"newcombe": "Newcombe's hybrid score interval (Newcombe 1998, method 10)",
                 "wald": "the Wald interval", "agresti-caffo": "the Agresti-Caffo interval "
                 "(Agresti & Caffo 2000)", "miettinen-nurminen": "the Miettinen-Nurminen score "
                 "interval (Miettinen & Nurminen 1985)"}
        test = (f"{self.test}, used because an expected count was below 5"
                if self.test.startswith("Fisher") else f"{self.test} without continuity correction")
        return (
            "The before and after proportions were compared as independent binomial samples. "
            f"The difference (after minus before) has {names[self.method]}; the risk ratio has "
            "Koopman's score interval and the odds ratio the independence-smoothed logit "
            "interval (Fagerland, Lydersen & Laake 2015). "
            f"Intervals are {_level(self.alpha)[:-3]} two-sided; the p-value is from the {test}."
        )

    def summary_frame(self) -> pd.DataFrame:
        """The tidy rows of `to_frame()`: difference, risk_ratio, odds_ratio."""
        return self.to_frame()

    def _at_alpha(self, alpha: float) -> ProportionComparison:
        return compare_proportions(self.x1, self.n1, self.x2, self.n2,
                                   method=self.method,  # type: ignore[arg-type]
                                   alpha=alpha, label=self.label)

    def _conf_int_at(self, alpha: float) -> pd.DataFrame:
        return self._at_alpha(alpha).summary_frame()

    def to_dict(self) -> dict[str, object]:
        keys = ("x1", "n1", "x2", "n2", "alpha", "method", "difference", "ci_low", "ci_high",
                "ratio", "ratio_ci_low", "ratio_ci_high", "odds_ratio", "odds_ratio_ci_low",
                "odds_ratio_ci_high", "p_value", "test", "label")
        out: dict[str, object] = {k: _json(getattr(self, k)) for k in keys}
        out["kind"] = "proportions"
        out["estimates"] = _frame_records(self.to_frame())
        return out


def _two_by_two_test(x1: int, n1: int, x2: int, n2: int) -> tuple[float, str]:
    """Pearson chi-square (no continuity correction, = R ``prop.test(correct=FALSE)``), or
    Fisher's exact test when any expected count is below 5 (Cochran's rule)."""
    table = np.array([[x1, n1 - x1], [x2, n2 - x2]])
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    if expected.min() < 5:
        return float(stats.fisher_exact(table).pvalue), "Fisher exact test"
    result = stats.chi2_contingency(table, correction=False)
    return float(result.pvalue), "Pearson chi-square test"


def _restricted_mle(xa: int, na: int, xb: int, nb: int, delta: float) -> tuple[float, float]:
    """Maximum-likelihood (pa, pb) under pa - pb = delta: the closed-form root of the cubic in
    Miettinen & Nurminen (1985, Stat Med 4:213, appendix) / Farrington & Manning (1990)."""
    pa, pb, theta = xa / na, xb / nb, nb / na
    a = 1 + theta
    b = -(1 + theta + pa + theta * pb + delta * (theta + 2))
    c = delta**2 + delta * (2 * pa + theta + 1) + pa + theta * pb
    d = -pa * delta * (1 + delta)
    v = b**3 / (27 * a**3) - b * c / (6 * a**2) + d / (2 * a)
    u = math.copysign(math.sqrt(max(b**2 / (9 * a**2) - c / (3 * a), 0.0)), v)
    w = (math.pi + math.acos(min(max(v / u**3, -1.0), 1.0))) / 3 if u != 0 else math.pi / 2
    root = 2 * u * math.cos(w) - b / (3 * a)
    return min(max(root, 0.0), 1.0), min(max(root - delta, 0.0), 1.0)


def _miettinen_nurminen_interval(
    xa: int, na: int, xb: int, nb: int, alpha: float
) -> tuple[float, float]:
    """Miettinen-Nurminen score interval for ``xa/na - xb/nb``: all delta with
    ``(pa - pb - delta)^2 / [(~pa(1-~pa)/na + ~pb(1-~pb)/nb) N/(N-1)] <= chi2_{1,1-alpha}``.

    Hand-written: statsmodels' ``confint_proportions_2indep(method="score")`` misses the published
    limits in the third decimal (56/70 vs 48/80: 0.0526 to 0.3440, where Newcombe 1998 Table II,
    method 6, prints 0.0528 to 0.3382, as does R's PropCIs::diffscoreci for 7/34 vs 1/34).
    """
    pa, pb, total = xa / na, xb / nb, na + nb
    estimate, critical, edge = pa - pb, float(stats.chi2.ppf(1 - alpha, 1)), 1e-12

    def excess(delta: float) -> float:
        if delta == estimate:
            return -critical
        qa, qb = _restricted_mle(xa, na, xb, nb, delta)
        variance = (qa * (1 - qa) / na + qb * (1 - qb) / nb) * total / (total - 1)
        return (estimate - delta) ** 2 / variance - critical if variance > 0 else math.inf

    low = -1.0
    if estimate > -1 and excess(-1 + edge) > 0:
        low = float(optimize.brentq(excess, -1 + edge, estimate, xtol=1e-13))
    high = 1.0
    if estimate < 1 and excess(1 - edge) > 0:
        high = float(optimize.brentq(excess, estimate, 1 - edge, xtol=1e-13))
    return low, high


def _koopman_ratio_interval(
    xa: int, na: int, xb: int, nb: int, alpha: float
) -> tuple[float, float]:
    """Koopman (1984, Biometrics 40:513) score interval for the ratio ``(xa/na) / (xb/nb)``.

    All phi whose Pearson statistic ``sum_k (x_k - n_k ~p_k)^2 / (n_k ~p_k (1 - ~p_k))`` is at most
    ``chi2_{1,1-alpha}``, with ``~p_b`` the restricted MLE (root of
    ``N phi p^2 - [phi (na + xb) + xa + nb] p + xa + xb = 0``) and ``~p_a = phi ~p_b``.
    Hand-written: statsmodels' ``method="score"`` ratio interval returns complex or wrong limits
    when a proportion is 0 or 1 (1/2 vs 1/1 gives 0.67 to 3.06, excluding the estimate 0.5).
    Limits are searched on log(phi) in [-50, 50]; beyond that they are reported as 0 or infinity.
    """
    if xa + xb == 0:
        return math.nan, math.nan
    critical, total, bound = float(stats.chi2.ppf(1 - alpha, 1)), na + nb, 50.0

    def excess(log_phi: float) -> float:
        phi = math.exp(log_phi)
        b = phi * (na + xb) + xa + nb
        # the smaller root, written without cancellation: 2c / (b + sqrt(b^2 - 4ac))
        pb = 2 * (xa + xb) / (b + math.sqrt(max(b * b - 4 * total * phi * (xa + xb), 0.0)))
        statistic = 0.0
        for x, n, p in ((xa, na, min(phi * pb, 1.0)), (xb, nb, min(pb, 1.0))):
            # (x - np)^2 / (np(1-p)) simplifies to n(1-p)/p when x = n and to np/(1-p) when x = 0,
            # which stay finite and continuous as p reaches the boundary
            if x == n:
                statistic += n * (1 - p) / p if p > 0 else math.inf
            elif x == 0:
                statistic += n * p / (1 - p) if p < 1 else math.inf
            else:
                statistic += (x - n * p) ** 2 / (n * p * (1 - p)) if 0 < p < 1 else math.inf
        return statistic - critical

    centre = math.log((xa / na) / (xb / nb)) if xa > 0 and xb > 0 else None
    low = 0.0
    if xa > 0 and excess(-bound) > 0:
        low = math.exp(optimize.brentq(excess, -bound, centre if centre is not None else bound))
    high = math.inf
    if xb > 0 and excess(bound) > 0:
        high = math.exp(optimize.brentq(excess, centre if centre is not None else -bound, bound))
    return low, high


def compare_proportions(
    x1: int,
    n1: int,
    x2: int,
    n2: int,
    *,
    method: ProportionMethod = "newcombe",
    alpha: float = 0.05,
    label: str = "proportion",
) -> ProportionComparison:
    """Compare a before proportion x1/n1 with an after proportion x2/n2 (independent groups).

    Model: ``x1 ~ Binomial(n1, p1)``, ``x2 ~ Binomial(n2, p2)`` independently; estimates
    ``p2 - p1``, ``p2 / p1`` and ``[p2/(1-p2)] / [p1/(1-p1)]``.

    ``method`` picks the interval for the difference: ``"newcombe"`` (hybrid score, Newcombe 1998
    method 10), ``"wald"`` or ``"agresti-caffo"`` (Agresti & Caffo 2000), computed by statsmodels
    ``confint_proportions_2indep``, or ``"miettinen-nurminen"`` (score interval, Miettinen &
    Nurminen 1985; Newcombe's method 6). ``label`` is the measure's wording in `summary`.
    """
    func = "compare_proportions"
    x1, n1 = _events_of(func, "x1", x1, "n1", n1)
    x2, n2 = _events_of(func, "x2", x2, "n2", n2)
    alpha = _alpha(func, alpha)
    if method not in _PROPORTION_METHODS:
        raise ParameterError(
            f"{func}: method = {method!r} is not one of {', '.join(_PROPORTION_METHODS)}"
        )
    sm_method = _PROPORTION_METHODS[method]
    if sm_method is None:
        ci_low, ci_high = _miettinen_nurminen_interval(x2, n2, x1, n1, alpha)
    else:  # statsmodels estimates group 1 minus group 2, so the after group goes first
        ci_low, ci_high = _sm_ci(x2, n2, x1, n1, method=sm_method, compare="diff", alpha=alpha)
        # Wald and Agresti-Caffo limits can overshoot [-1, 1]; truncate as Newcombe (1998) does
        ci_low, ci_high = max(ci_low, -1.0), min(ci_high, 1.0)
    p1, p2 = x1 / n1, x2 / n2
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = float(np.divide(p2, p1))
        odds_ratio = float(np.divide(p2 * (1 - p1), p1 * (1 - p2)))
        log_rr_se = float(np.sqrt(np.divide(1, x1) - 1 / n1 + np.divide(1, x2) - 1 / n2))
        cells = np.array([x1, n1 - x1, x2, n2 - x2], dtype=float)
        log_or_se = float(np.sqrt(np.sum(np.divide(1.0, cells))))
    rr_low, rr_high = _koopman_ratio_interval(x2, n2, x1, n1, alpha)
    or_low, or_high = _sm_ci(x2, n2, x1, n1, method="logit-smoothed", compare="or", alpha=alpha)
    p_value, test = _two_by_two_test(x1, n1, x2, n2)
    return ProportionComparison(
        x1=x1, n1=n1, x2=x2, n2=n2, alpha=alpha, method=method,
        difference=p2 - p1, ci_low=ci_low, ci_high=ci_high,
        ratio=ratio, ratio_ci_low=rr_low, ratio_ci_high=rr_high,
        odds_ratio=odds_ratio, odds_ratio_ci_low=or_low, odds_ratio_ci_high=or_high,
        p_value=p_value, test=test,
        std_err=math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2),
        log_ratio_std_err=log_rr_se if math.isfinite(log_rr_se) else math.nan,
        log_odds_ratio_std_err=log_or_se if math.isfinite(log_or_se) else math.nan,
        label=label,
    )


# ---------------------------------------------------------------------------------------------
# paired proportions
# ---------------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------------
# Poisson rates
# ---------------------------------------------------------------------------------------------
def exact_poisson_interval(count: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Garwood 1936) limits for a Poisson mean given an observed ``count``.

    ``L = chi2_{alpha/2}(2x) / 2``, ``U = chi2_{1-alpha/2}(2x + 2) / 2`` (``L = 0`` when x = 0).
    """
    count = _count("exact_poisson_interval", "count", count)
    alpha = _alpha("exact_poisson_interval", alpha)
    low = stats.chi2.ppf(alpha / 2, 2 * count) / 2 if count > 0 else 0.0
    return float(low), float(stats.chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2)


@dataclass(frozen=True, repr=False)
class RateComparison(TidyResult):
    """Poisson counts before (count1 over exposure1) and after (count2 over exposure2)."""

    count1: int
    exposure1: float
    count2: int
    exposure2: float
    alpha: float
    rate_ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    rate1_ci: tuple[float, float]
    rate2_ci: tuple[float, float]
    label: str = "rate"
    unit: str = ""
    dispersion: float = 1.0

    @property
    def method(self) -> str:
        return "exact-conditional" if self.dispersion == 1 else "quasi-poisson-wald"

    @property
    def rate1(self) -> float:
        return self.count1 / self.exposure1

    @property
    def rate2(self) -> float:
        return self.count2 / self.exposure2

    @property
    def percent_change(self) -> float:
        return 100 * (self.rate_ratio - 1)

    @property
    def log_ratio_std_err(self) -> float:
        if self.count1 == 0 or self.count2 == 0:
            return math.nan
        return math.sqrt(self.dispersion * (1 / self.count1 + 1 / self.count2))

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(
            [
                ("rate_before", self.rate1, math.nan, *self.rate1_ci, math.nan),
                ("rate_after", self.rate2, math.nan, *self.rate2_ci, math.nan),
                ("rate_ratio", self.rate_ratio, self.log_ratio_std_err, self.ci_low, self.ci_high,
                 self.p_value),
            ],
            columns=list(ESTIMATE_COLUMNS),
        )
        each = "exact-garwood" if self.dispersion == 1 else "quasi-poisson-wald"
        frame["interval_method"] = [each, each, self.method]
        frame["se_scale"] = [None, None, "log"]
        return frame

    def summary(self, label: str | None = None, *, rule: DisclosureRule | None = None) -> str:
        """One sentence; with a disclosure ``rule`` the counts are suppressed or rounded."""
        unit = f" {self.unit}" if self.unit else ""
        equal = math.isclose(self.exposure1, self.exposure2)
        c1, c2 = _n(self.count1, rule), _n(self.count2, rule)
        r1, r2 = (disclose_ratio(c, e, rule) for c, e in ((self.count1, self.exposure1),
                                                          (self.count2, self.exposure2)))
        numbers = (
            f"{c1} to {c2}{unit}" if equal else
            f"{_g4(r1)} to {_g4(r2)}{unit} per unit exposure "
            f"({c1}/{self.exposure1:g} to {c2}/{self.exposure2:g})"
        )
        return (
            f"The {label or self.label} {_verb(self.rate_ratio - 1)} from {numbers}: rate ratio "
            f"{_ratio_text(self.rate_ratio, self.ci_low, self.ci_high)}, "
            f"{self.percent_change:+.1f}%; {format_p(self.p_value)} "
            + (
                "(exact conditional Poisson test)."
                if self.dispersion == 1
                else f"(quasi-Poisson Wald test, dispersion {self.dispersion:g})."
            )
        )

    def methods(self) -> str:
        """A methods paragraph, as a paper's methods section reads."""
        if self.dispersion == 1:
            model = ("as Poisson counts; the rate ratio (after over before) has the exact "
                     "conditional interval and test, which condition on the total count "
                     "(binomial), as R's poisson.test")
        else:
            model = ("as overdispersed (quasi-Poisson) counts with variance "
                     f"{self.dispersion:g} times the mean, because the events are not "
                     "independent; the rate ratio has a Wald interval and test on the log scale")
        return (f"The before and after counts were compared {model}. Intervals are "
                f"{_level(self.alpha)[:-3]} two-sided.")

    def summary_frame(self) -> pd.DataFrame:
        """The tidy rows of `to_frame()`: rate_before, rate_after, rate_ratio."""
        return self.to_frame()

    def _at_alpha(self, alpha: float) -> RateComparison:
        return compare_rates(self.count1, self.exposure1, self.count2, self.exposure2,
                             alpha=alpha, label=self.label, unit=self.unit,
                             dispersion=self.dispersion)

    def _conf_int_at(self, alpha: float) -> pd.DataFrame:
        return self._at_alpha(alpha).summary_frame()

    def to_dict(self) -> dict[str, object]:
        keys = ("count1", "exposure1", "count2", "exposure2", "alpha", "rate_ratio", "ci_low",
                "ci_high", "p_value", "rate1", "rate2", "percent_change", "label", "unit",
                "dispersion", "method")
        out: dict[str, object] = {k: _json(getattr(self, k)) for k in keys}
        out["kind"] = "rates"
        out["estimates"] = _frame_records(self.to_frame())
        return out


def _exact_rate_ratio_interval(
    count1: int, exposure1: float, count2: int, exposure2: float, alpha: float
) -> tuple[float, float]:
    """Exact conditional interval for ``(count2/exposure2) / (count1/exposure1)``.

    Given the total ``N = count1 + count2``, ``count2 ~ Binomial(N, pi)`` with
    ``pi = R e2 / (R e2 + e1)``; the Clopper-Pearson limits for pi (statsmodels
    ``proportion_confint(method="beta")``) map to ``R = pi / (1 - pi) * e1 / e2``. statsmodels'
    ``confint_poisson_2indep`` has no exact conditional method, hence this mapping.
    """
    total = count1 + count2  # at least 1: compare_rates refuses two zero counts
    low, high = proportion_confint(count2, total, alpha=alpha, method="beta")
    scale = exposure1 / exposure2
    with np.errstate(divide="ignore"):
        upper = math.inf if high >= 1 else float(high / (1 - high) * scale)
    return float(low / (1 - low) * scale), upper


def _quasi_poisson(
    count1: int, exposure1: float, count2: int, exposure2: float, alpha: float, label: str,
    unit: str, dispersion: float,
) -> RateComparison:
    if count1 == 0 or count2 == 0:
        raise ModelInputError(
            f"compare_rates: with dispersion = {dispersion:g} both counts must be above 0 "
            f"(count1 = {count1}, count2 = {count2}); the quasi-Poisson interval is on the log scale"
        )
    z = float(stats.norm.ppf(1 - alpha / 2))
    log_ratio = math.log((count2 / exposure2) / (count1 / exposure1))
    se = math.sqrt(dispersion * (1 / count1 + 1 / count2))

    def rate_ci(count: int, exposure: float) -> tuple[float, float]:
        half = z * math.sqrt(dispersion / count)
        return (count / exposure * math.exp(-half), count / exposure * math.exp(half))

    return RateComparison(
        count1=count1, exposure1=exposure1, count2=count2, exposure2=exposure2, alpha=alpha,
        rate_ratio=math.exp(log_ratio), ci_low=math.exp(log_ratio - z * se),
        ci_high=math.exp(log_ratio + z * se), p_value=float(2 * stats.norm.sf(abs(log_ratio) / se)),
        rate1_ci=rate_ci(count1, exposure1), rate2_ci=rate_ci(count2, exposure2), label=label,
        unit=unit, dispersion=dispersion,
    )


def compare_rates(
    count1: int,
    exposure1: float,
    count2: int,
    exposure2: float,
    *,
    alpha: float = 0.05,
    label: str = "rate",
    unit: str = "",
    dispersion: float = 1.0,
) -> RateComparison:
    """Compare Poisson counts: ``count_k ~ Poisson(rate_k * exposure_k)``; estimate
    ``rate_ratio = rate2 / rate1`` (after over before).

    Interval and two-sided test are exact conditional on ``count1 + count2`` (binomial), as R's
    ``poisson.test(c(count2, count1), c(exposure2, exposure1))``; the test is statsmodels
    ``test_poisson_2indep(method="exact-cond")``. Exposures are person-time, population or the
    length of each period (equal periods: pass the same exposure twice).

    ``dispersion`` > 1 allows for counts that are not independent events (bed days come in stays;
    variance = dispersion x mean, the quasi-Poisson model): the interval and test are then Wald on
    the log scale, ``log RR +/- z sqrt(dispersion (1/count1 + 1/count2))``, and each rate's interval
    ``exp(log rate +/- z sqrt(dispersion / count))``.
    """
    func = "compare_rates"
    count1 = _count(func, "count1", count1)
    count2 = _count(func, "count2", count2)
    exposure1 = _exposure(func, "exposure1", exposure1)
    exposure2 = _exposure(func, "exposure2", exposure2)
    alpha = _alpha(func, alpha)
    if count1 + count2 == 0:
        raise ModelInputError(
            f"{func}: count1 = count2 = 0; a rate ratio needs at least one event in either period"
        )
    dispersion = _finite(func, "dispersion", dispersion)
    if dispersion < 1:
        raise ParameterError(
            f"{func}: dispersion = {dispersion:g} is below 1; use 1 for Poisson counts"
        )
    if dispersion > 1:
        return _quasi_poisson(count1, exposure1, count2, exposure2, alpha, label, unit, dispersion)
    with np.errstate(divide="ignore"):  # statsmodels computes the ratio itself; unused here
        p_value = float(
            test_poisson_2indep(count2, exposure2, count1, exposure1, method="exact-cond").pvalue
        )
    low, high = _exact_rate_ratio_interval(count1, exposure1, count2, exposure2, alpha)
    with np.errstate(divide="ignore"):
        ratio = float(np.divide(count2 / exposure2, count1 / exposure1))
    r1 = tuple(v / exposure1 for v in exact_poisson_interval(count1, alpha))
    r2 = tuple(v / exposure2 for v in exact_poisson_interval(count2, alpha))
    return RateComparison(
        count1=count1, exposure1=exposure1, count2=count2, exposure2=exposure2, alpha=alpha,
        rate_ratio=ratio, ci_low=low, ci_high=high, p_value=min(p_value, 1.0),
        rate1_ci=r1, rate2_ci=r2, label=label, unit=unit,  # type: ignore[arg-type]
    )


# ---------------------------------------------------------------------------------------------
# means and locations
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class MeanComparison(TidyResult):
    """Continuous outcome before (a) and after (b): Welch, Mann-Whitney/Hodges-Lehmann, bootstrap.

    Rank and bootstrap results are None when only summary statistics were given.
    """

    alpha: float
    n1: int
    n2: int
    mean1: float
    mean2: float
    sd1: float
    sd2: float
    difference: float
    std_err: float
    ci_low: float
    ci_high: float
    df: float
    p_value: float
    hodges_lehmann: float | None = None
    hl_ci_low: float | None = None
    hl_ci_high: float | None = None
    mann_whitney_p: float | None = None
    hl_interval_method: str | None = None
    median_difference: float | None = None
    median_ci_low: float | None = None
    median_ci_high: float | None = None
    n_boot: int | None = None
    seed: int | None = None
    label: str = "mean"
    unit: str = ""
    extra: dict[str, object] = field(default_factory=dict)
    # the samples of `compare_means` (None from summaries), kept so that `conf_int(alpha)` can
    # recompute the rank and bootstrap intervals; never serialised
    _samples: tuple[np.ndarray, np.ndarray] | None = field(default=None, compare=False)

    def to_frame(self) -> pd.DataFrame:
        rows: list[tuple[object, ...]] = [
            ("mean_difference", self.difference, self.std_err, self.ci_low, self.ci_high,
             self.p_value, "welch-t")
        ]
        if self.hodges_lehmann is not None:
            rows.append(("hodges_lehmann_shift", self.hodges_lehmann, math.nan, self.hl_ci_low,
                         self.hl_ci_high, self.mann_whitney_p, self.hl_interval_method))
            rows.append(("median_difference", self.median_difference, math.nan,
                         self.median_ci_low, self.median_ci_high, math.nan, "bootstrap-percentile"))
        return pd.DataFrame(rows, columns=[*ESTIMATE_COLUMNS, "interval_method"])

    def summary(self, label: str | None = None, *, rule: DisclosureRule | None = None) -> str:
        """One sentence; with a disclosure ``rule`` the group sizes are suppressed or rounded."""
        unit = f" {self.unit}" if self.unit else ""
        text = (
            f"The {label or self.label} {_verb(self.difference)} from {self.mean1:.3g}{unit} "
            f"(SD {self.sd1:.3g}, n = {_n(self.n1, rule)}) to {self.mean2:.3g}{unit} "
            f"(SD {self.sd2:.3g}, n = {_n(self.n2, rule)}): difference "
            f"{self.difference:+.3g}{unit} ({_level(self.alpha)} "
            f"{self.ci_low:+.3g} to {self.ci_high:+.3g}); {format_p(self.p_value)} (Welch t test)."
        )
        if self.hodges_lehmann is not None:
            text += (
                f" Hodges-Lehmann shift {self.hodges_lehmann:+.3g} ({self.hl_ci_low:+.3g} to "
                f"{self.hl_ci_high:+.3g}); Mann-Whitney {format_p(self.mann_whitney_p or math.nan)}."
            )
        return text

    def methods(self) -> str:
        """A methods paragraph, as a paper's methods section reads."""
        text = ("The means were compared with Welch's t test, which does not assume equal "
                "variances (Satterthwaite degrees of freedom).")
        if self.hodges_lehmann is not None:
            text += (" Because lengths of stay and distances are skewed, the Mann-Whitney test is "
                     "also reported with the Hodges-Lehmann shift and its distribution-free "
                     "(Moses) interval, and a percentile bootstrap interval for the difference in "
                     f"medians ({self.n_boot} resamples, seed {self.seed}).")
        return text + f" Intervals are {_level(self.alpha)[:-3]} two-sided."

    def summary_frame(self) -> pd.DataFrame:
        """The tidy rows of `to_frame()` (mean_difference, and hodges_lehmann_shift and
        median_difference from samples) with the Welch row's Satterthwaite `df`."""
        frame = self.to_frame()
        frame.insert(6, "df", [self.df] + [math.nan] * (len(frame) - 1))
        return frame

    def _at_alpha(self, alpha: float) -> MeanComparison:
        if self._samples is not None:
            a, b = self._samples
            return compare_means(a, b, alpha=alpha, n_boot=self.n_boot or 2000,
                                 seed=self.seed if self.seed is not None else 20180401,
                                 label=self.label, unit=self.unit)
        return compare_means_summary(self.mean1, self.sd1, self.n1, self.mean2, self.sd2,
                                     self.n2, alpha=alpha, label=self.label, unit=self.unit)

    def _conf_int_at(self, alpha: float) -> pd.DataFrame:
        return self._at_alpha(alpha).summary_frame()

    def to_dict(self) -> dict[str, object]:
        keys = [k for k in self.__dataclass_fields__ if k not in ("extra", "_samples")]
        out: dict[str, object] = {k: _json(getattr(self, k)) for k in keys}
        out["kind"] = "means"
        out["estimates"] = _frame_records(self.to_frame())
        return out


def _welch(
    mean1: float, sd1: float, n1: int, mean2: float, sd2: float, n2: int, alpha: float
) -> tuple[float, float, float, float, float]:
    """Welch (1947) t for ``mean2 - mean1`` with Satterthwaite df: (se, low, high, df, p)."""
    v1, v2 = sd1**2 / n1, sd2**2 / n2
    se = math.sqrt(v1 + v2)
    if se == 0:
        raise ModelInputError(
            "compare_means: both groups have zero variance; a Welch t test is undefined"
        )
    # Satterthwaite df from the variance shares, so that tiny variances (whose squares
    # underflow to 0) give the same df as the same data rescaled.
    w1, w2 = v1 / (v1 + v2), v2 / (v1 + v2)
    df = 1.0 / (w1**2 / (n1 - 1) + w2**2 / (n2 - 1))
    t = (mean2 - mean1) / se
    half = float(stats.t.ppf(1 - alpha / 2, df)) * se
    return se, mean2 - mean1 - half, mean2 - mean1 + half, df, float(2 * stats.t.sf(abs(t), df))


def _u_null_counts(n1: int, n2: int) -> np.ndarray:
    """Number of arrangements giving each Mann-Whitney U = 0..n1*n2 (no ties).

    Hand-written (scipy's exact distribution is private): the recursion
    ``c(u; m, n) = c(u - n; m - 1, n) + c(u; m, n - 1)`` (Mann & Whitney 1947).
    """
    counts = np.zeros((n1 + 1, n2 + 1, n1 * n2 + 1))
    counts[0, :, 0] = 1
    counts[:, 0, 0] = 1
    for m in range(1, n1 + 1):
        for n in range(1, n2 + 1):
            counts[m, n, n:] += counts[m - 1, n, : n1 * n2 + 1 - n]
            counts[m, n] += counts[m, n - 1]
    return counts[n1, n2]


def _hodges_lehmann(a: np.ndarray, b: np.ndarray, alpha: float) -> tuple[float, float, float, str]:
    """Hodges-Lehmann shift (median of all ``b_j - a_i``) and its Moses distribution-free interval.

    The interval runs from the k-th smallest to the k-th largest pairwise difference, with k from
    the exact null distribution of U when there are no ties and both groups have fewer than 50
    values (as R's ``wilcox.test(conf.int=TRUE)``), else ``k = floor(n1 n2 / 2 - z sqrt(n1 n2
    (n1 + n2 + 1) / 12))`` (Hollander & Wolfe 1999, section 4.3). No library offers it.
    """
    diffs = np.sort(np.subtract.outer(b, a).ravel())
    n1, n2 = a.size, b.size
    shift = float(np.median(diffs))
    ties = np.unique(np.concatenate([a, b])).size < n1 + n2
    if not ties and n1 < 50 and n2 < 50:
        cdf = np.cumsum(_u_null_counts(n1, n2)) / math.comb(n1 + n2, n1)
        k = int(np.searchsorted(cdf, alpha / 2, side="right"))  # P(U <= k - 1) <= alpha/2
        method = "moses-exact"
    else:
        z = stats.norm.ppf(1 - alpha / 2)
        k = math.floor(n1 * n2 / 2 - z * math.sqrt(n1 * n2 * (n1 + n2 + 1) / 12))
        method = "moses-normal"
    if k < 1:
        return shift, -math.inf, math.inf, method
    return shift, float(diffs[k - 1]), float(diffs[diffs.size - k]), method


def compare_means(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    *,
    alpha: float = 0.05,
    n_boot: int = 2000,
    seed: int = 20180401,
    label: str = "mean",
    unit: str = "",
) -> MeanComparison:
    """Compare a continuous outcome before (``a``) and after (``b``) in independent groups.

    Welch t for ``mean(b) - mean(a)`` (scipy ``ttest_ind(equal_var=False)``); Mann-Whitney test
    (scipy ``mannwhitneyu``) with the Hodges-Lehmann shift ``median(b_j - a_i)`` and Moses
    interval; percentile bootstrap interval for ``median(b) - median(a)`` (scipy ``bootstrap``,
    ``n_boot`` resamples, seeded by ``seed`` so reruns are identical).
    """
    func = "compare_means"
    a = _sample(func, "a", a)
    b = _sample(func, "b", b)
    alpha = _alpha(func, alpha)
    se, low, high, df, p_value = _welch(
        float(a.mean()), float(a.std(ddof=1)), a.size, float(b.mean()), float(b.std(ddof=1)),
        b.size, alpha,
    )
    shift, hl_low, hl_high, hl_method = _hodges_lehmann(a, b, alpha)
    mw_p = float(stats.mannwhitneyu(b, a, alternative="two-sided").pvalue)
    boot = stats.bootstrap(
        (a, b), lambda x, y, axis=-1: np.median(y, axis=axis) - np.median(x, axis=axis),
        n_resamples=n_boot, confidence_level=1 - alpha, method="percentile",
        rng=np.random.default_rng(seed),
    )
    return MeanComparison(
        alpha=alpha, n1=a.size, n2=b.size, mean1=float(a.mean()), mean2=float(b.mean()),
        sd1=float(a.std(ddof=1)), sd2=float(b.std(ddof=1)), difference=float(b.mean() - a.mean()),
        std_err=se, ci_low=low, ci_high=high, df=df, p_value=p_value,
        hodges_lehmann=shift, hl_ci_low=hl_low, hl_ci_high=hl_high, mann_whitney_p=mw_p,
        hl_interval_method=hl_method, median_difference=float(np.median(b) - np.median(a)),
        median_ci_low=float(boot.confidence_interval.low),
        median_ci_high=float(boot.confidence_interval.high), n_boot=n_boot, seed=seed,
        label=label, unit=unit, _samples=(a, b),
    )


def compare_means_summary(
    mean1: float,
    sd1: float,
    n1: int,
    mean2: float,
    sd2: float,
    n2: int,
    *,
    alpha: float = 0.05,
    label: str = "mean",
    unit: str = "",
) -> MeanComparison:
    """Welch t comparison from published summaries (mean, SD, n before; mean, SD, n after).

    Same model and numbers as `compare_means`' Welch part (= scipy ``ttest_ind_from_stats``).
    """
    func = "compare_means_summary"
    m1, m2 = _finite(func, "mean1", mean1), _finite(func, "mean2", mean2)
    s1, s2 = _finite(func, "sd1", sd1), _finite(func, "sd2", sd2)
    for name, value in (("sd1", s1), ("sd2", s2)):
        if value < 0:
            raise ModelInputError(f"{func}: {name} = {value:g} is negative; an SD cannot be")
    k1, k2 = _count(func, "n1", n1), _count(func, "n2", n2)
    for name, value in (("n1", k1), ("n2", k2)):
        if value < 2:
            raise ModelInputError(f"{func}: {name} = {value}; a Welch t test needs n >= 2 per group")
    alpha = _alpha(func, alpha)
    se, low, high, df, p_value = _welch(m1, s1, k1, m2, s2, k2, alpha)
    return MeanComparison(
        alpha=alpha, n1=k1, n2=k2, mean1=m1, mean2=m2, sd1=s1, sd2=s2, difference=m2 - m1,
        std_err=se, ci_low=low, ci_high=high, df=df, p_value=p_value, label=label, unit=unit,
    )


# ---------------------------------------------------------------------------------------------
# percent change and multiplicity
# ---------------------------------------------------------------------------------------------
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


def adjust_pvalues(
    pvals: Sequence[float] | np.ndarray, method: Literal["holm", "fdr_bh"] = "holm"
) -> np.ndarray:
    """Adjust a family of p-values: Holm (1979) step-down or Benjamini-Hochberg (1995) FDR.

    statsmodels ``multipletests``. NaN entries (untestable outcomes) stay NaN and are not counted
    in the family.
    """
    func = "adjust_pvalues"
    if method not in ("holm", "fdr_bh"):
        raise ParameterError(f"{func}: method = {method!r} is not one of holm, fdr_bh")
    values = np.asarray(pvals, dtype=float)
    if values.ndim != 1:
        raise ModelInputError(f"{func}: pvals must be one-dimensional")
    bad = np.flatnonzero(np.isinf(values) | (values < 0) | (values > 1))
    if bad.size:
        raise ModelInputError(
            f"{func}: pvals[{bad[0]}] = {values[bad[0]]} is not a probability between 0 and 1"
        )
    out = np.full(values.shape, np.nan)
    present = ~np.isnan(values)
    if present.any():
        out[present] = multipletests(values[present], method=method)[1]
    return out


# ---------------------------------------------------------------------------------------------
# before and after windows of a monthly series
# ---------------------------------------------------------------------------------------------
PeriodComparison = Literal["auto", "proportions", "rates", "means"]
WindowSummary = Literal["auto", "sum", "last"]
_SERIES_COLUMNS = ("period", "unit", "measure", "numerator", "denominator", "exposure")


def _window(
    func: str, series: pd.DataFrame, name: str, window: tuple[str, str], expected: int
) -> pd.DataFrame:
    start, end = (pd.Period(p, freq="M") for p in window)
    rows = series[(series["_month"] >= start) & (series["_month"] <= end)]
    if rows.empty:
        raise ModelInputError(f"{func}: no rows in the {name} window {window[0]} to {window[1]}")
    if len(rows) < expected:
        found = sorted(str(p) for p in rows["_month"])
        raise ModelInputError(
            f"{func}: the {name} window {window[0]} to {window[1]} has {len(rows)} of its "
            f"{expected} months ({', '.join(found)}); fill or shorten the window"
        )
    return rows


def compare_periods(
    frame: pd.DataFrame,
    *,
    measure: str,
    unit: str,
    before: tuple[str, str],
    after: tuple[str, str],
    comparison: PeriodComparison = "auto",
    window_summary: WindowSummary = "auto",
    method: ProportionMethod = "newcombe",
    dispersion: float = 1.0,
    alpha: float = 0.05,
    label: str | None = None,
    n_boot: int = 2000,
    seed: int = 20180401,
) -> ProportionComparison | RateComparison | MeanComparison:
    """Compare a before window with an after window of one measure in a ``monthly_series`` frame.

    ``before`` and ``after`` are ``(first month, last month)`` as ``"YYYY-MM"``, inclusive.
    ``comparison="auto"`` follows ``measure_type``: ``share`` -> `compare_proportions`,
    ``count`` -> `compare_rates`, ``mean``/``median`` -> `compare_means` of the monthly values.

    How each window becomes one number (``window_summary``): ``"last"`` takes the window's last
    month (the default for shares: a month-end census counts the same people every month, so
    adding months would count them again); ``"sum"`` adds numerators, denominators and
    exposures over the window (the default for counts; a count without exposure gets one unit of
    exposure per month). For ``"means"`` every month's ``value`` is one observation (the unit of
    analysis is the month).
    """
    func = "compare_periods"
    missing = [c for c in (*_SERIES_COLUMNS, "measure_type", "value") if c not in frame.columns]
    if missing:
        raise ModelInputError(
            f"{func}: the frame has no column(s) {', '.join(missing)}; it must be a "
            "monthly_series table"
        )
    series = frame[(frame["measure"] == measure) & (frame["unit"] == unit)].copy()
    if series.empty:
        raise ModelInputError(f"{func}: no rows for measure {measure!r} and unit {unit!r}")
    series["_month"] = pd.PeriodIndex(series["period"].astype(str), freq="M")
    windows = {}
    for name, window in (("before", before), ("after", after)):
        first, last = (pd.Period(p, freq="M") for p in window)
        if last < first:
            raise ParameterError(f"{func}: the {name} window ends ({window[1]}) before it starts "
                                 f"({window[0]})")
        windows[name] = (window, (last - first).n + 1)
    if pd.Period(after[0], freq="M") <= pd.Period(before[1], freq="M"):
        raise ParameterError(f"{func}: the after window ({after[0]} to {after[1]}) must start "
                             f"after the before window ends ({before[1]})")
    rows = {name: _window(func, series, name, w, n) for name, (w, n) in windows.items()}
    kinds = set(series["measure_type"])
    if comparison == "auto":
        auto = {"share": "proportions", "count": "rates", "mean": "means", "median": "means"}
        if len(kinds) != 1 or next(iter(kinds)) not in auto:
            raise ModelInputError(f"{func}: cannot choose a comparison for measure_type "
                                  f"{sorted(kinds)}; set comparison explicitly")
        comparison = auto[next(iter(kinds))]  # type: ignore[assignment]
    wording = label or measure.replace("_", " ")
    if comparison == "means":
        return compare_means(rows["before"]["value"].to_numpy(float),
                             rows["after"]["value"].to_numpy(float), alpha=alpha, n_boot=n_boot,
                             seed=seed, label=wording)
    summary = window_summary
    if summary == "auto":
        summary = "last" if comparison == "proportions" else "sum"

    def collapse(part: pd.DataFrame, column: str) -> float:
        values = part.sort_values("_month")[column]
        if values.isna().any():
            month = part.loc[values.isna(), "period"].iloc[0]
            raise ModelInputError(f"{func}: {column} is missing for {measure!r} in {month}; "
                                  f"a {comparison} comparison needs it in every month used")
        return float(values.iloc[-1] if summary == "last" else values.sum())

    if comparison == "proportions":
        counts = [(collapse(rows[n], "numerator"), collapse(rows[n], "denominator"))
                  for n in ("before", "after")]
        return compare_proportions(counts[0][0], counts[0][1], counts[1][0], counts[1][1],
                                   method=method, alpha=alpha, label=wording)
    if comparison != "rates":
        raise ParameterError(f"{func}: comparison = {comparison!r} is not one of auto, "
                             "proportions, rates, means")
    totals = []
    for name in ("before", "after"):
        part = rows[name] if summary == "sum" else rows[name].sort_values("_month").iloc[-1:]
        exposure = (float(len(part)) if part["exposure"].isna().all()
                    else collapse(part, "exposure"))
        totals.append((collapse(part, "numerator"), exposure))
    return compare_rates(totals[0][0], totals[0][1], totals[1][0], totals[1][1], alpha=alpha,
                         label=wording, dispersion=dispersion)
