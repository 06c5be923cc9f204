"""Poisson rates before and after: `compare_rates`, `exact_poisson_interval`.

Rate ratio with the exact conditional (binomial) interval and test, as R's ``poisson.test``;
exact Garwood (1936) limits for each rate; a quasi-Poisson option (``dispersion``) for counts
that are not independent events, such as bed days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import test_poisson_2indep

from slp_eval import ESTIMATE_COLUMNS
from slp_eval.disclosure import DisclosureRule, disclose_ratio
from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.prepost._common import (
    _alpha,
    _count,
    _exposure,
    _finite,
    _frame_records,
    _g4,
    _json,
    _level,
    _n,
    _ratio_text,
    _verb,
    format_p,
)
from slp_eval.tidy import TidyResult

__all__ = ["RateComparison", "compare_rates", "exact_poisson_interval"]


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
