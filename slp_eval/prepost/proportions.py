"""Two independent proportions before and after: `compare_proportions` and its result.

Newcombe (1998, Stat Med 17:873) hybrid score interval (his method 10) for the difference by
default; Koopman score interval for the risk ratio and the independence-smoothed logit
interval for the odds ratio (Fagerland, Lydersen & Laake 2015, Stat Methods Med Res
24:224); Pearson chi-square test, or Fisher's exact test when an expected count is below 5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.stats.proportion import confint_proportions_2indep

from slp_eval import ESTIMATE_COLUMNS
from slp_eval.disclosure import DisclosureRule
from slp_eval.errors import ParameterError
from slp_eval.prepost._common import (
    _alpha,
    _events_of,
    _frame_records,
    _json,
    _level,
    _n,
    _percent,
    _ratio_text,
    _verb,
    format_p,
)
from slp_eval.tidy import TidyResult

__all__ = ["ProportionComparison", "ProportionMethod", "compare_proportions"]


ProportionMethod = Literal["newcombe", "wald", "agresti-caffo", "miettinen-nurminen"]

#: Our method names -> statsmodels `confint_proportions_2indep` method (None: hand-written here).
_PROPORTION_METHODS: dict[str, str | None] = {
    "newcombe": "newcomb",
    "wald": "wald",
    "agresti-caffo": "agresti-caffo",
    "miettinen-nurminen": None,
}


def _sm_ci(*args: object, **kwargs: object) -> tuple[float, float]:
    """statsmodels' `confint_proportions_2indep` for the closed-form methods we use from it.

    statsmodels also computes the point ratios, which warns when a count is zero; we do not use
    them, so those warnings are silenced here.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = confint_proportions_2indep(*args, **kwargs)
    return float(low), float(high)




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
