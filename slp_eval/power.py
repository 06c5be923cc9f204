"""Simulation for planning and checking interrupted time series analyses.

Series are simulated from the segmented regression that `slp_eval.its.fit_its` fits,

    y_t = b0 + b1*t + b2*D(t) + b3*(t - T)*D(t) + e_t,   e_t = rho*e_{t-1} + u_t,  u_t ~ N(0, sigma^2)

with t = 0 at the first period, T = n_pre (the first post-interruption period) and D(t) = 1 from T
on. For ``family="poisson"`` the same expression is the log of the expected count and e_t is a
latent AR(1) term on the log scale (a log-normal Poisson series; ``sigma=0`` gives pure Poisson
counts). The AR(1) errors start in their stationary distribution.

- `simulate_its_series`: one seeded series with known truth.
- `interval_coverage`: the share of 95% intervals (``1 - alpha``) from `fit_its` that contain the
  true level and trend change, with its Monte Carlo standard error (Morris, White & Crowther 2019,
  Stat Med 38:2074, Table 6).
- `its_power`: simulated power (share of replications with p < alpha) to detect a level or trend
  change for given numbers of pre and post periods (as Stata's ``power single_itsa``, Linden).

Every replication draws from its own child of ``numpy.random.SeedSequence(seed)``, so results do
not depend on the number of worker processes; `its_power` reuses the same replication seeds in
every design (common random numbers), which keeps power curves smooth in effect size.

The replications of one design share its design matrix, so for the gaussian family with
errors "ols", "newey-west" with a fixed `maxlags` or the default REML "ar" of order 1
(`maxlags` None or 1) they are fitted in one pass of `slp_eval.its.batch.batched_gaussian`
(equal to `fit_its` per series; the first replication is checked against `fit_its` and the
design falls back to the loop if they differ). Other error models (REML AR(p >= 2), "arima")
and families fit one replication at a time.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.signal import lfilter
from statsmodels.stats.proportion import proportion_confint

from slp_eval.errors import ParameterError, SlpEvalError
from slp_eval.its import fit_its
from slp_eval.its.batch import batched_gaussian
from slp_eval.its.serialize import plain, records
from slp_eval.tidy import TidyResult

__all__ = ["EFFECT_TERMS", "SIMULATED_FAMILIES", "CoverageResult", "PowerResult",
           "interval_coverage", "its_power", "simulate_its_series"]

if TYPE_CHECKING:  # matplotlib is imported when a figure is drawn, not with the statistics
    from matplotlib.figure import Figure

#: Outcome families `simulate_its_series` can draw.
SIMULATED_FAMILIES: tuple[str, ...] = ("gaussian", "poisson")
#: The terms whose coverage and power are reported.
EFFECT_TERMS: tuple[str, ...] = ("level_change", "trend_change")
_FIT_COLUMNS: tuple[str, ...] = ("estimate", "std_err", "ci_low", "ci_high", "p_value")

Seed = int | np.random.SeedSequence


def _check_count(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ParameterError(f"{name}={value!r} must be an integer of at least {minimum}")
    return int(value)


def _check_number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number) or not math.isfinite(
            float(value)):
        raise ParameterError(f"{name}={value!r} must be a finite number")
    return float(value)


def _check_seed(seed: object) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError(f"seed={seed!r} must be a non-negative integer (results must be "
                             "reproducible, so there is no unseeded default)")
    return np.random.SeedSequence(int(seed))


def _check_design(family: object, sigma: float, rho: float) -> None:
    if not isinstance(family, str) or family not in SIMULATED_FAMILIES:
        raise ParameterError(f"family={family!r} is not one of "
                             f"{', '.join(repr(f) for f in SIMULATED_FAMILIES)}")
    if sigma < 0 or (family == "gaussian" and sigma == 0):
        rule = "> 0" if family == "gaussian" else ">= 0"
        raise ParameterError(f"sigma={sigma!r} must be {rule} for family={family!r}")
    if not -1 < rho < 1:
        raise ParameterError(f"rho={rho!r} must lie strictly between -1 and 1 (a stationary AR(1))")


def simulate_its_series(
    n_pre: int,
    n_post: int,
    *,
    intercept: float,
    trend: float,
    level_change: float,
    trend_change: float,
    sigma: float,
    rho: float = 0.0,
    family: str = "gaussian",
    seed: Seed,
) -> pd.DataFrame:
    """One series from the segmented regression with AR(1) errors (model in the module docstring).

    Returns a frame with one row per period: ``period`` (1, 2, ..., n_pre + n_post; the
    interruption is period ``n_pre + 1``), ``t`` (0-based), ``post`` (0/1), ``expected`` (the mean
    without noise: the linear predictor for gaussian, exp of it for poisson) and ``outcome``.
    `sigma` is the standard deviation of the innovations u_t; the AR(1) noise is made with
    ``scipy.signal.lfilter`` from innovations whose first draw is scaled to the stationary variance
    sigma^2 / (1 - rho^2).
    """
    n_pre = _check_count("n_pre", n_pre, 3)
    n_post = _check_count("n_post", n_post, 3)
    values = {name: _check_number(name, v) for name, v in (
        ("intercept", intercept), ("trend", trend), ("level_change", level_change),
        ("trend_change", trend_change), ("sigma", sigma), ("rho", rho))}
    _check_design(family, values["sigma"], values["rho"])
    n = n_pre + n_post
    t = np.arange(n, dtype=float)
    post = (t >= n_pre).astype(float)
    expected, outcome = _draw(n_pre, n_post, seeds=[_check_seed(seed)], family=family,
                              **values)
    return pd.DataFrame({"period": np.arange(1, n + 1), "t": t.astype(np.int64),
                         "post": post.astype(np.int64), "expected": expected, "outcome": outcome[:, 0]})


def _draw(n_pre: int, n_post: int, *, seeds: Sequence[np.random.SeedSequence], intercept: float,
          trend: float, level_change: float, trend_change: float, sigma: float, rho: float,
          family: str) -> tuple[np.ndarray, np.ndarray]:
    """The expected values (n) and one simulated outcome per seed (n x len(seeds)), each column
    drawn from its own generator exactly as `simulate_its_series` draws it."""
    n = n_pre + n_post
    t = np.arange(n, dtype=float)
    post = (t >= n_pre).astype(float)
    linear = intercept + trend * t + level_change * post + trend_change * (t - n_pre) * post
    rngs = [np.random.default_rng(seed) for seed in seeds]
    innovations = np.column_stack([rng.normal(0.0, sigma, n) for rng in rngs])
    innovations[0] /= math.sqrt(1.0 - rho**2)
    noise = lfilter([1.0], [1.0, -rho], innovations, axis=0)
    if family == "gaussian":
        return linear, linear[:, None] + noise
    mean = np.exp(linear[:, None] + noise)
    counts = np.column_stack([rng.poisson(mean[:, j]) for j, rng in enumerate(rngs)])
    return np.exp(linear), counts.astype(np.int64)


@dataclass(frozen=True)
class _Design:
    n_pre: int
    n_post: int
    intercept: float
    trend: float
    level_change: float
    trend_change: float
    sigma: float
    rho: float
    family: str
    errors: str
    maxlags: int | None
    alpha: float


def _fit_one(design: _Design, seed: np.random.SeedSequence) -> list[float]:
    """Estimates of the two effect terms from one simulated series (NaN when the fit fails)."""
    frame = simulate_its_series(
        design.n_pre, design.n_post, intercept=design.intercept, trend=design.trend,
        level_change=design.level_change, trend_change=design.trend_change, sigma=design.sigma,
        rho=design.rho, family=design.family, seed=seed)
    interruption = design.n_pre + 1
    try:
        result = fit_its(frame, outcome="outcome", time="period", interruptions=[interruption],
                         impact="level+trend", family=design.family, errors=design.errors,
                         maxlags=design.maxlags, alpha=design.alpha)
    except (SlpEvalError, np.linalg.LinAlgError):
        # a replication the engine rejects (e.g. a constant simulated count series) is counted
        # as failed and reported, never silently dropped
        return [math.nan] * (len(EFFECT_TERMS) * len(_FIT_COLUMNS))
    table = result.coefficients
    return [float(table.loc[f"{term}[{interruption}]", column])
            for term in EFFECT_TERMS for column in _FIT_COLUMNS]


def _fit_batched(design: _Design, seeds: Sequence[np.random.SeedSequence]) -> np.ndarray | None:
    """The rows `_fit_one` gives for every seed, from one pass over the shared design (gaussian
    family with errors "ols", "newey-west" with a fixed lag, or "ar" of order 1 with
    Kenward-Roger inference; `slp_eval.its.batch`); None
    when there is no batched path or the first replication's batched numbers differ from
    `fit_its`'s (relative 1e-8)."""
    if design.family != "gaussian" or not (
            design.errors == "ols" or (design.errors == "newey-west" and design.maxlags is not None)
            or (design.errors == "ar" and design.maxlags in (None, 1))):
        return None
    _, outcomes = _draw(design.n_pre, design.n_post, seeds=seeds, intercept=design.intercept,
                        trend=design.trend, level_change=design.level_change,
                        trend_change=design.trend_change, sigma=design.sigma, rho=design.rho,
                        family=design.family)
    n = design.n_pre + design.n_post
    interruption = design.n_pre + 1
    template = fit_its(pd.DataFrame({"period": np.arange(1, n + 1), "outcome": outcomes[:, 0]}),
                       outcome="outcome", time="period", interruptions=[interruption],
                       impact="level+trend", family="gaussian", errors=design.errors,
                       maxlags=design.maxlags, alpha=design.alpha)
    numbers = batched_gaussian(template.design.to_numpy(dtype=float), outcomes,
                               errors=design.errors, maxlags=design.maxlags, alpha=design.alpha,
                               t=template.series.t, small_sample=template.spec.small_sample)
    table = template.coefficients
    if not all(np.allclose(numbers[c][:, 0], table[c].to_numpy(dtype=float), rtol=1e-8, atol=0.0)
               for c in table.columns):
        return None
    rows = [table.index.get_loc(f"{term}[{interruption}]") for term in EFFECT_TERMS]
    return np.column_stack([numbers[column][row] for row in rows for column in _FIT_COLUMNS])


def _fit_chunk(design: _Design, seeds: Sequence[np.random.SeedSequence]) -> list[list[float]]:
    return [_fit_one(design, s) for s in seeds]


def _replicate(designs: Sequence[_Design], n_sim: int, seed: np.random.SeedSequence,
               n_workers: int) -> pd.DataFrame:
    """Fit every design on the same n_sim replication seeds; one row per design, replication
    and term. Designs with a batched path (`_fit_batched`) are fitted in one pass, the others
    one replication at a time."""
    seeds = seed.spawn(n_sim)
    chunks = [seeds[i::n_workers] for i in range(n_workers)]
    order = [np.arange(n_sim)[i::n_workers] for i in range(n_workers)]
    rows: list[pd.DataFrame] = []
    executor = ProcessPoolExecutor(max_workers=n_workers) if n_workers > 1 else None
    try:
        for d, design in enumerate(designs):
            values = _fit_batched(design, seeds)
            if values is None:  # one fit_its per replication, spread over the workers
                if executor is None:
                    results = [_fit_chunk(design, chunks[0])]
                else:
                    results = list(executor.map(_fit_chunk, [design] * n_workers, chunks))
                values = np.full((n_sim, len(EFFECT_TERMS) * len(_FIT_COLUMNS)), np.nan)
                for positions, block in zip(order, results, strict=True):
                    values[positions] = np.asarray(block, dtype=float)
            for k, term in enumerate(EFFECT_TERMS):
                part = values[:, k * len(_FIT_COLUMNS):(k + 1) * len(_FIT_COLUMNS)]
                frame = pd.DataFrame(part, columns=list(_FIT_COLUMNS))
                frame.insert(0, "replication", np.arange(n_sim))
                frame.insert(0, "term", term)
                frame.insert(0, "design", d)
                rows.append(frame)
    finally:
        if executor is not None:
            executor.shutdown()
    return pd.concat(rows, ignore_index=True)


def _check_common(errors: object, maxlags: object, alpha: object, n_sim: object,
                  n_workers: object) -> tuple[int, int]:
    if not isinstance(errors, str) or errors not in ("ols", "newey-west", "ar", "arima"):
        raise ParameterError(f"errors={errors!r} is not one of 'ols', 'newey-west', 'ar', 'arima'")
    if maxlags is not None and (isinstance(maxlags, bool) or not isinstance(maxlags, int)
                                or maxlags < 0):
        raise ParameterError(f"maxlags={maxlags!r} must be None or a non-negative integer")
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise ParameterError(f"alpha={alpha!r} must be a number between 0 and 1 (e.g. 0.05)")
    return _check_count("n_sim", n_sim, 1), _check_count("n_workers", n_workers, 1)


def _proportion(hits: pd.Series) -> tuple[float, float, int]:
    """Share of True among the non-missing values, its Monte Carlo SE and the count used."""
    used = hits.dropna().astype(bool)
    n = len(used)
    if n == 0:
        return math.nan, math.nan, 0
    p = float(used.mean())
    return p, math.sqrt(p * (1.0 - p) / n), n


def _monte_carlo_rows(table: pd.DataFrame, share: str, term: pd.Series | list[str],
                      alpha: float) -> pd.DataFrame:
    """The tidy rows of a simulated share (power or coverage): estimate, its Monte Carlo
    std_err, and the Wilson (1 - alpha) interval of hits out of the replications used
    (statsmodels `proportion_confint`); no test, so p_value is NaN."""
    hits = np.round(table[share] * table["n_used"]).to_numpy()
    used = table["n_used"].to_numpy()
    ok = used > 0
    low, high = np.full(len(table), np.nan), np.full(len(table), np.nan)
    if ok.any():
        low[ok], high[ok] = proportion_confint(hits[ok], used[ok], alpha=alpha, method="wilson")
    return pd.DataFrame({"term": list(term), "estimate": table[share].to_numpy(),
                         "std_err": table["mc_se"].to_numpy(), "ci_low": low, "ci_high": high,
                         "p_value": np.nan, "n_used": used})


@dataclass(frozen=True, repr=False)
class CoverageResult(TidyResult):
    """Interval coverage of `fit_its` on simulated series with known level and trend change.

    `replicates` holds one row per replication and term (estimate, std_err, ci_low, ci_high,
    p_value; NaN where the fit failed); `settings` the simulation design.
    """

    settings: dict[str, Any]
    replicates: pd.DataFrame = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per term: truth, coverage with its Monte Carlo SE, bias, mean model SE,
        empirical SD of the estimates, and the numbers of replications used and failed."""
        rows = []
        for term in EFFECT_TERMS:
            reps = self.replicates[self.replicates["term"] == term]
            truth = float(self.settings[term])
            ok = reps.dropna(subset=["estimate", "ci_low", "ci_high"])
            covered = ((ok["ci_low"] <= truth) & (truth <= ok["ci_high"])).reindex(reps.index)
            coverage, mc_se, n_used = _proportion(covered)
            rows.append({
                "term": term, "truth": truth, "coverage": coverage, "mc_se": mc_se,
                "bias": float(ok["estimate"].mean() - truth) if n_used else math.nan,
                "mean_std_err": float(ok["std_err"].mean()) if n_used else math.nan,
                "empirical_sd": float(ok["estimate"].std(ddof=1)) if n_used > 1 else math.nan,
                "n_sim": len(reps), "n_used": n_used, "n_failed": len(reps) - n_used,
            })
        return pd.DataFrame(rows)

    def summary_frame(self, alpha: float | None = None) -> pd.DataFrame:
        """One row per term: estimate (the coverage), std_err (its Monte Carlo SE), the Wilson
        (1 - alpha) interval (default: the simulation's alpha), p_value (NaN), n_used, truth."""
        table = self.to_frame()
        rows = _monte_carlo_rows(table, "coverage", table["term"],
                                 self.settings["alpha"] if alpha is None else alpha)
        return rows.assign(truth=table["truth"].to_numpy())

    def _conf_int_at(self, alpha: float) -> pd.DataFrame:
        return self.summary_frame(alpha)

    def summary(self) -> str:
        """A paragraph stating the design and the coverage of each term."""
        s = self.settings
        level = 100 * (1 - s["alpha"])
        lines = [f"Coverage of {level:g}% intervals over {s['n_sim']} simulated series "
                 f"({s['n_pre']} periods before and {s['n_post']} after the interruption, "
                 f"{s['family']} outcome, AR(1) rho = {s['rho']:g}, sigma = {s['sigma']:g}; "
                 f"fitted with errors='{s['errors']}', maxlags={s['maxlags']}):"]
        for row in self.to_frame().itertuples():
            lines.append(f"  {row.term}: {100 * row.coverage:.1f}% (Monte Carlo SE "
                         f"{100 * row.mc_se:.1f} points; mean SE {row.mean_std_err:.4g} vs "
                         f"empirical SD {row.empirical_sd:.4g}; {row.n_failed} failed fits)")
        return "\n".join(lines)

    def plot(self, *, title: str | None = None, xlabel: str | None = None,
             ylabel: str | None = None) -> Figure:
        """Coverage per term with 95% Monte Carlo error bars and the nominal level (`title`,
        `xlabel`, `ylabel` replace the defaults)."""
        from matplotlib.figure import Figure

        from slp_eval.plots.style import finish

        table = self.to_frame()
        fig = Figure(figsize=(5, 3), layout="constrained")
        ax = fig.subplots()
        x = np.arange(len(table))
        ax.errorbar(x, table["coverage"], yerr=1.96 * table["mc_se"], fmt="o", capsize=4)
        ax.axhline(1 - self.settings["alpha"], linestyle="--", color="grey")
        ax.set_xticks(x, table["term"])
        ax.set_ylabel("interval coverage")
        ax.set_title(f"errors='{self.settings['errors']}', {self.settings['n_sim']} replications")
        return finish(fig, [ax], palette={}, where="CoverageResult.plot", title=title,
                      xlabel=xlabel, ylabel=ylabel)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings and per-term coverage (NaN -> None)."""
        return {"settings": plain(self.settings), "coverage": records(self.to_frame())}


@dataclass(frozen=True, repr=False)
class PowerResult(TidyResult):
    """Simulated power of `fit_its` for each design (n_pre, n_post, level and trend change).

    `designs` has one row per design; `replicates` one row per design, replication and term.
    """

    settings: dict[str, Any]
    designs: pd.DataFrame
    replicates: pd.DataFrame = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per design and term: power (share of p < alpha) with its Monte Carlo SE,
        mean estimate, and the numbers of replications used and failed."""
        alpha = self.settings["alpha"]
        rows = []
        for (d, term), reps in self.replicates.groupby(["design", "term"], sort=True):
            rejected = (reps["p_value"] < alpha).where(reps["p_value"].notna())
            power, mc_se, n_used = _proportion(rejected)
            design = self.designs.loc[d]
            rows.append({
                "n_pre": int(design["n_pre"]), "n_post": int(design["n_post"]),
                "level_change": float(design["level_change"]),
                "trend_change": float(design["trend_change"]), "term": term,
                "effect": float(design[term]), "power": power, "mc_se": mc_se,
                "mean_estimate": float(reps["estimate"].mean()),
                "n_sim": len(reps), "n_used": n_used, "n_failed": len(reps) - n_used,
            })
        return pd.DataFrame(rows)

    def summary_frame(self, alpha: float | None = None) -> pd.DataFrame:
        """One row per design and term, `term` naming both (`level_change[24+12, 2]`: 24 pre
        and 12 post periods, effect 2): estimate (the power), std_err (its Monte Carlo SE), the
        Wilson (1 - alpha) interval (default: the simulation's alpha), p_value (NaN), n_used,
        and the design columns n_pre, n_post, effect."""
        table = self.to_frame()
        terms = [f"{r.term}[{r.n_pre}+{r.n_post}, {r.effect:g}]" for r in table.itertuples()]
        rows = _monte_carlo_rows(table, "power", terms,
                                 self.settings["alpha"] if alpha is None else alpha)
        return rows.assign(n_pre=table["n_pre"].to_numpy(), n_post=table["n_post"].to_numpy(),
                           effect=table["effect"].to_numpy())

    def _conf_int_at(self, alpha: float) -> pd.DataFrame:
        return self.summary_frame(alpha)

    def summary(self) -> str:
        """One line per design and term: power with its Monte Carlo SE."""
        s = self.settings
        lines = [f"Simulated power at alpha = {s['alpha']:g} ({s['n_sim']} series per design, "
                 f"{s['family']} outcome, AR(1) rho = {s['rho']:g}, sigma = {s['sigma']:g}, "
                 f"fitted with errors='{s['errors']}'):"]
        for row in self.to_frame().itertuples():
            lines.append(f"  {row.n_pre} pre + {row.n_post} post periods, {row.term} = "
                         f"{row.effect:g}: power {100 * row.power:.1f}% (Monte Carlo SE "
                         f"{100 * row.mc_se:.1f} points)")
        return "\n".join(lines)

    def plot(self, term: str = "level_change", *, ax: Any = None, title: str | None = None,
             xlabel: str | None = None, ylabel: str | None = None) -> Figure:
        """Power (%) for one term with 95% Monte Carlo bars: against the effect size, one line per
        design length (or against the number of post periods when a single effect size was
        simulated), with the 80% target and the size alpha labelled, as the power report draws
        it (`slp_eval.plots.power.plot_power`); drawn on `ax` when given, `title`, `xlabel`,
        `ylabel` replacing the defaults."""
        from slp_eval.plots.power import plot_power
        from slp_eval.plots.style import finish

        fig = plot_power(self, term, ax)
        return finish(fig, [ax if ax is not None else fig.axes[0]], palette={},
                      where="PowerResult.plot", title=title, xlabel=xlabel, ylabel=ylabel)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings and the power table (NaN -> None)."""
        return {"settings": plain(self.settings), "power": records(self.to_frame())}


def interval_coverage(
    *,
    n_pre: int,
    n_post: int,
    intercept: float = 0.0,
    trend: float = 0.0,
    level_change: float = 0.0,
    trend_change: float = 0.0,
    sigma: float = 1.0,
    rho: float = 0.0,
    family: str = "gaussian",
    errors: str = "ar",
    maxlags: int | None = None,
    alpha: float = 0.05,
    n_sim: int = 1000,
    seed: int,
    n_workers: int = 1,
) -> CoverageResult:
    """Fit `fit_its` to `n_sim` simulated series and report how often the ``1 - alpha``
    intervals of ``level_change`` and ``trend_change`` contain the truth.

    Coverage c is estimated over the replications that fitted, with Monte Carlo standard error
    sqrt(c (1 - c) / n). `n_workers` > 1 spreads replications over processes; the result is the
    same for any `n_workers`.
    """
    n_sim, n_workers = _check_common(errors, maxlags, alpha, n_sim, n_workers)
    design = _Design(
        _check_count("n_pre", n_pre, 3), _check_count("n_post", n_post, 3),
        _check_number("intercept", intercept), _check_number("trend", trend),
        _check_number("level_change", level_change), _check_number("trend_change", trend_change),
        _check_number("sigma", sigma), _check_number("rho", rho), family, errors, maxlags,
        float(alpha))
    _check_design(family, design.sigma, design.rho)
    replicates = _replicate([design], n_sim, _check_seed(seed), n_workers).drop(columns="design")
    settings = {**asdict(design), "n_sim": n_sim,
                "seed": seed if isinstance(seed, int) else str(seed)}
    return CoverageResult(settings=settings, replicates=replicates)


def _as_list(name: str, value: object, check: Callable[[str, Any], Any]) -> list[Any]:
    values = list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value]
    if not values:
        raise ParameterError(f"{name} must hold at least one value")
    return [check(name, v) for v in values]


def its_power(
    n_pre: int | Sequence[int],
    n_post: int | Sequence[int],
    *,
    intercept: float = 0.0,
    trend: float = 0.0,
    level_change: float | Sequence[float] = 0.0,
    trend_change: float | Sequence[float] = 0.0,
    sigma: float = 1.0,
    rho: float = 0.0,
    family: str = "gaussian",
    errors: str = "ar",
    maxlags: int | None = None,
    alpha: float = 0.05,
    n_sim: int = 500,
    seed: int,
    n_workers: int = 1,
) -> PowerResult:
    """Simulated power to detect a level change and a trend change.

    Every combination of the given `n_pre`, `n_post`, `level_change` and `trend_change` values
    is a design; for each, `n_sim` series are simulated (model in the module docstring) and
    fitted with `fit_its`, and power is the share of fits with p < alpha for the term (Monte Carlo
    SE sqrt(p (1 - p) / n)). With a true effect of zero the same share is the test's size.
    """
    n_sim, n_workers = _check_common(errors, maxlags, alpha, n_sim, n_workers)
    common = {name: _check_number(name, v) for name, v in (
        ("intercept", intercept), ("trend", trend), ("sigma", sigma), ("rho", rho))}
    _check_design(family, common["sigma"], common["rho"])
    grid = list(itertools.product(
        _as_list("n_pre", n_pre, lambda n, v: _check_count(n, v, 3)),
        _as_list("n_post", n_post, lambda n, v: _check_count(n, v, 3)),
        _as_list("level_change", level_change, _check_number),
        _as_list("trend_change", trend_change, _check_number)))
    designs = [_Design(pre, post, common["intercept"], common["trend"], level, slope,
                       common["sigma"], common["rho"], family, errors, maxlags, float(alpha))
               for pre, post, level, slope in grid]
    replicates = _replicate(designs, n_sim, _check_seed(seed), n_workers)
    table = pd.DataFrame(grid, columns=["n_pre", "n_post", "level_change", "trend_change"])
    settings = {**common, "family": family, "errors": errors, "maxlags": maxlags,
                "alpha": float(alpha), "n_sim": n_sim,
                "seed": seed if isinstance(seed, int) else str(seed)}
    return PowerResult(settings=settings, designs=table, replicates=replicates)
