"""Simulation check of `fit_its` intervals (issue 3, "Validation"): on series with a known level
and trend change and AR(1) errors (rho = 0.5), 95% intervals for `level_change` and
`trend_change` cover the truth in 93-97% of 1,000 replications, for errors="ar" on 96 monthly
points (interruption at month 48) and for errors="newey-west" "with enough points".

Measured (docs/its_validation.md, 10,000 replications): REML-GLS covers 93.8% / 93.4% at 96
points. Newey-West is far below at 96 points (84% with lag 3, 80% with the lag chosen by test)
and reaches 93% only at about 3,000 points; it is checked here on 6,144 points with lag
round(n^(1/3)) = 18 (94.1% / 94.2% over 4,000 replications). Runtime ~20 s on 2 cores.
"""

from __future__ import annotations

import pytest

from slp_eval.power import interval_coverage

pytestmark = pytest.mark.slow

TRUTH = {"intercept": 10.0, "trend": 0.1, "level_change": 2.0, "trend_change": -0.05,
         "sigma": 1.0, "rho": 0.5}
SEED = 20240601  # fixed before the first measurement; not tuned


def _coverage(**kwargs: object) -> dict[str, float]:
    result = interval_coverage(**TRUTH, n_sim=1000, seed=SEED, n_workers=2, **kwargs)
    table = result.to_frame().set_index("term")
    assert (table["n_failed"] == 0).all()
    return table["coverage"].to_dict()


def test_reml_ar1_intervals_cover_93_to_97_percent_on_96_points() -> None:
    coverage = _coverage(n_pre=48, n_post=48, errors="ar")
    for term, value in coverage.items():
        assert 0.93 <= value <= 0.97, (term, value)


def test_newey_west_intervals_cover_93_to_97_percent_with_enough_points() -> None:
    coverage = _coverage(n_pre=3072, n_post=3072, errors="newey-west", maxlags=18)
    for term, value in coverage.items():
        assert 0.93 <= value <= 0.97, (term, value)


def test_newey_west_undercovers_on_short_series() -> None:
    # Why the long series above: on 96 points the HAC standard errors of a step and a broken
    # trend are biased down (rho = 0.5), and coverage is ~84% (10,000 replications: 84.2% and
    # 83.1% with lag 3). The docs recommend errors="ar" for series of this length.
    coverage = _coverage(n_pre=48, n_post=48, errors="newey-west", maxlags=3)
    for term, value in coverage.items():
        assert value < 0.90, (term, value)
