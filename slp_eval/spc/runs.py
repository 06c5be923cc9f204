"""Anhoej's runs analysis: the two rules a run chart (and every qicharts2 control chart) applies.

Of the points charted (gaps and points exactly on the centre line are left out: they neither
add to nor break a run), with n_useful such points:

    longest_run      = the longest run of consecutive points on one side of the centre line
    longest_run_max  = round(log2(n_useful)) + 3                 (Schilling 2012)
    n_crossings      = the number of times the line crosses the centre (runs - 1)
    n_crossings_min  = qbinom(0.05, n_useful - 1, 0.5)           (Chen 2010)
    runs_signal      = longest_run > longest_run_max or n_crossings < n_crossings_min

Anhoej J, Olesen AV (2014), "Run charts revisited: a simulation study of run chart rules for
detection of non-random variation in health care processes", PLoS ONE 9(11): e113825; the
rules and their thresholds exactly as qicharts2 0.8 (`runs.analysis`, `crsignal(method =
"anhoej")`) computes them. Hand-written (a few lines) because no Python library implements them;
the binomial quantile is scipy's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["RunsAnalysis", "crossings_min", "longest_run_max", "runs_analysis"]


def longest_run_max(n_useful: int) -> int:
    """The longest run expected by chance among `n_useful` points: round(log2(n)) + 3.

    R's `round` rounds halves to even, as numpy's does; log2 of a whole number is never a half."""
    return int(np.round(np.log2(n_useful))) + 3


def crossings_min(n_useful: int) -> int:
    """The fewest crossings expected by chance: the 5% quantile of Binomial(n_useful - 1, 0.5)."""
    return int(stats.binom.ppf(0.05, max(n_useful - 1, 0), 0.5))


@dataclass(frozen=True)
class RunsAnalysis:
    """Anhoej's rules on one series (or one part of it) against its centre line."""

    n_obs: int
    n_useful: int
    longest_run: int | None
    longest_run_max: int | None
    n_crossings: int | None
    n_crossings_min: int | None
    #: The side (+1 above, -1 below) of the runs: +1/-1 per useful point, in order.
    sides: tuple[int, ...] = ()

    @property
    def shift(self) -> bool:
        """An unusually long run (a shift in the process)."""
        return self.longest_run is not None and self.longest_run > (self.longest_run_max or 0)

    @property
    def too_few_crossings(self) -> bool:
        """Unusually few crossings of the centre line."""
        return self.n_crossings is not None and self.n_crossings < (self.n_crossings_min or 0)

    @property
    def runs_signal(self) -> bool:
        """Non-random variation by either rule."""
        return self.shift or self.too_few_crossings

    @property
    def current_run(self) -> tuple[int, int]:
        """(side, length) of the run the last useful point belongs to; (0, 0) with none."""
        if not self.sides:
            return 0, 0
        side, length = self.sides[-1], 0
        for s in reversed(self.sides):
            if s != side:
                break
            length += 1
        return side, length


def runs_analysis(y: np.ndarray, centre: np.ndarray) -> RunsAnalysis:
    """Anhoej's rules on `y` against `centre` (arrays of one length; NaN in y is a gap)."""
    y = np.asarray(y, dtype=float)
    sides = np.sign(y - np.asarray(centre, dtype=float))
    n_obs = int(np.sum(~np.isnan(y)))
    useful = sides[~np.isnan(sides) & (sides != 0)].astype(int)
    n = len(useful)
    if n == 0:
        return RunsAnalysis(n_obs, 0, None, None, None, None)
    changes = np.flatnonzero(np.diff(useful) != 0)
    lengths = np.diff(np.r_[0, changes + 1, n])
    return RunsAnalysis(
        n_obs=n_obs,
        n_useful=n,
        longest_run=int(lengths.max()),
        longest_run_max=longest_run_max(n),
        n_crossings=len(lengths) - 1,
        n_crossings_min=crossings_min(n),
        sides=tuple(int(s) for s in useful),
    )
