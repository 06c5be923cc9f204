"""Before/after comparisons: proportions, paired proportions, Poisson rates and means.

Every function compares a *before* group (1, the reference) with an *after* group (2), so a
difference is ``after - before`` and a ratio is ``after / before``. Each returns a frozen result with
``.to_frame()`` (the package's tidy estimate vocabulary, `slp_eval.ESTIMATE_COLUMNS`),
``.summary()`` (one plain-English sentence) and ``.to_dict()`` (JSON-serialisable).

Methods (intervals are two-sided at level ``1 - alpha``), one module each:

- `compare_proportions` (``prepost/proportions.py``): Newcombe (1998, Stat Med 17:873) hybrid
  score interval (his method 10) for the difference by default; Koopman score interval for the
  risk ratio and the independence-smoothed logit interval for the odds ratio (the choices
  Fagerland, Lydersen & Laake 2015, Stat Methods Med Res 24:224 recommend); Pearson chi-square
  test, or Fisher's exact test when an expected count is below 5.
- `compare_paired_proportions` (``paired.py``): McNemar exact (or mid-p, or chi-square) test;
  Newcombe (1998, Stat Med 17:2635) square-and-add interval for the paired difference (his
  method 10).
- `compare_rates` (``rates.py``): Poisson rate ratio with the exact conditional (binomial)
  interval and test, as R's ``poisson.test``; exact Garwood (1936) limits for each rate; a
  quasi-Poisson option (``dispersion``) for counts that are not independent events, such as bed
  days.
- `compare_means` (``means.py``): Welch t, Mann-Whitney with the Hodges-Lehmann shift and its
  distribution-free (Moses) interval, and a seeded bootstrap interval for the difference in
  medians; `compare_means_summary` does the Welch part from published means, SDs and numbers.
- `percent_change` (``percent.py``, via the rate or risk ratio) and `adjust_pvalues`
  (``adjust.py``: Holm, Benjamini-Hochberg).
- `compare_periods` (``periods.py``): any of the above for a before and an after window of a
  ``monthly_series``.

The shared input checks and number formatting (`format_p`) are in ``_common.py``.

Hand-written pieces (each says why): the Miettinen-Nurminen and Koopman score intervals
(statsmodels' versions miss the published limits or fail at 0% and 100%), Newcombe's paired
interval, the McNemar mid-p, the Moses interval and the exact conditional rate-ratio interval.
"""

from __future__ import annotations

from slp_eval.prepost._common import format_p
from slp_eval.prepost.adjust import adjust_pvalues
from slp_eval.prepost.means import MeanComparison, compare_means, compare_means_summary
from slp_eval.prepost.paired import PairedProportionComparison, PairedTest, compare_paired_proportions
from slp_eval.prepost.percent import PercentChange, percent_change
from slp_eval.prepost.periods import PeriodComparison as PeriodComparison
from slp_eval.prepost.periods import WindowSummary as WindowSummary
from slp_eval.prepost.periods import compare_periods
from slp_eval.prepost.proportions import ProportionComparison, ProportionMethod, compare_proportions
from slp_eval.prepost.rates import RateComparison, compare_rates, exact_poisson_interval

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
