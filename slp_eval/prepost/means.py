"""A continuous outcome before and after: `compare_means` (samples) and
`compare_means_summary` (published means, SDs and numbers).

Welch t, Mann-Whitney with the Hodges-Lehmann shift and its distribution-free (Moses)
interval, and a seeded bootstrap interval for the difference in medians.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from slp_eval import ESTIMATE_COLUMNS
from slp_eval.disclosure import DisclosureRule
from slp_eval.errors import ModelInputError
from slp_eval.prepost._common import (
    _alpha,
    _count,
    _finite,
    _frame_records,
    _json,
    _level,
    _n,
    _sample,
    _verb,
    format_p,
)
from slp_eval.tidy import TidyResult

__all__ = ["MeanComparison", "compare_means", "compare_means_summary"]


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
