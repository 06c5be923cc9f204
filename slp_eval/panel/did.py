"""`fit_did`: two-way fixed effects difference-in-differences and the event study, with standard
errors clustered by unit; for staggered starts the interaction-weighted estimator of Sun and
Abraham (2021, *Journal of Econometrics* 225: 175-199).

    TWFE:         Y_it = alpha_i + gamma_t + tau D_it + e_it
    event study:  Y_it = alpha_i + gamma_t + sum_{k != -1} beta_k 1[treated_i, t - start_i = k] + e_it

Staggered starts (a start per treated unit): the event study is saturated in cohort x relative
time (never-treated donors are the controls), and each beta_k is the average of the cohorts'
coefficients weighted by their share of the treated units observed at k (Sun and Abraham's
interaction-weighted estimator); `att` averages the post-period cohort coefficients weighted by
their number of treated observations. With one start this is the ordinary event study.

OLS by statsmodels with the cluster-robust (CR1) covariance: G/(G-1) (N-1)/(N-K), t tests on G - 1
degrees of freedom (Stata's `reg, vce(cluster)`; R `sandwich::vcovCL(type = "HC1")`). Aggregated
rows use the delta method with the weights held fixed. pyfixest would do this too but pulls in 17
packages (great-tables, lxml, python-docx, websockets among them) for what one OLS gives.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.panel.data import PanelMatrix, prepare_panel
from slp_eval.tidy import TidyResult, check_alpha

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["DiDResult", "fit_did"]


@dataclass(frozen=True, eq=False, repr=False)
class DiDResult(TidyResult):
    """TWFE effect (`att`) and event-study coefficients (`event_time[k]`), clustered by unit.

    `pre_trend`: the joint Wald F test that every pre-period event-time coefficient is zero
    (statistic, df1, df2, p_value), the usual check of parallel pre-trends.
    """

    panel: PanelMatrix
    coefficients: pd.DataFrame
    cov: pd.DataFrame
    starts: dict[str, str]
    staggered: bool
    n_clusters: int
    pre_trend: dict[str, float] | None
    alpha: float
    outcome_label: str | None = None

    @property
    def att(self) -> float:
        return float(self.coefficients.loc["att", "estimate"])

    @property
    def event_study(self) -> pd.DataFrame:
        """event_time, estimate, std_err, ci_low, ci_high (the reference period -1 at 0)."""
        rows = self.coefficients[self.coefficients.index.str.startswith("event_time[")].copy()
        rows.insert(0, "event_time", [int(t[11:-1]) for t in rows.index])
        reference = pd.DataFrame({"event_time": [-1], "estimate": [0.0], "std_err": [0.0],
                                  "ci_low": [0.0], "ci_high": [0.0], "p_value": [np.nan],
                                  "df": [self.n_clusters - 1]}, index=["event_time[-1]"])
        return pd.concat([rows, reference]).sort_values("event_time").reset_index(drop=True)

    def summary_frame(self) -> pd.DataFrame:
        """term, estimate, std_err, ci_low, ci_high, p_value, df (G - 1)."""
        return self.coefficients.reset_index()

    def to_frame(self) -> pd.DataFrame:
        return self.summary_frame()

    def _conf_int_at(self, alpha: float) -> pd.DataFrame:
        frame = self.summary_frame()
        q = stats.t.ppf(1 - alpha / 2, self.n_clusters - 1)
        frame["ci_low"] = frame["estimate"] - q * frame["std_err"]
        frame["ci_high"] = frame["estimate"] + q * frame["std_err"]
        return frame

    def _header(self) -> str:
        kind = "Sun-Abraham interaction-weighted" if self.staggered else "two-way fixed effects"
        return (f"DiDResult ({kind}) for {', '.join(map(str, self.panel.treated))}: "
                f"{self.panel.n_donors} controls, {self.n_clusters} clusters")

    def summary(self) -> str:
        row = self.coefficients.loc["att"]
        name = self.outcome_label or self.panel.outcome
        text = (f"Difference-in-differences: the average effect on {name} after the start is "
                f"{row.estimate:.3g} ({100 * (1 - self.alpha):g}% CI {row.ci_low:.3g} to "
                f"{row.ci_high:.3g}; standard errors clustered by unit, {self.n_clusters} clusters).")
        if self.pre_trend is not None:
            text += (f" Pre-trends: joint F = {self.pre_trend['statistic']:.3g}, "
                     f"p = {self.pre_trend['p_value']:.3g}.")
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"att": self.att, "staggered": self.staggered, "n_clusters": self.n_clusters,
                "starts": self.starts, "pre_trend": self.pre_trend,
                "event_study": self.event_study.to_dict(orient="records")}

    def plot(self, **kwargs: Any) -> Figure:
        """The event-study coefficients with their intervals."""
        from slp_eval.plots.panel import plot_event_study

        return plot_event_study(self, **kwargs)


def _starts(pm: PanelMatrix, start: Any) -> np.ndarray:
    """Start position (period index) of each treated unit."""
    first = int(pm.ordinals[0])
    if isinstance(start, Mapping):
        missing = [u for u in pm.treated if u not in start]
        if missing:
            raise ParameterError(f"start: no start given for treated unit(s) {', '.join(map(repr, missing))}")
        return np.array([pm.index.ordinal_of(start[u], f"start[{u!r}]") - first for u in pm.treated])
    return np.full(pm.n_treated, pm.n_pre)


def _cluster_fit(y: np.ndarray, X: np.ndarray, groups: np.ndarray) -> Any:
    return sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": groups, "use_correction": True,
                                                          "df_correction": True}, use_t=True)


def fit_did(
    panel: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    treated: Hashable | Sequence[Hashable],
    start: Any,
    donors: Sequence[Hashable] | None = None,
    exclude: Mapping[Hashable, str] | None = None,
    event_study: bool = True,
    alpha: float = 0.05,
    outcome_label: str | None = None,
) -> DiDResult:
    """Two-way fixed effects DiD and event study, clustered by unit (see the module docstring).

    `start` is the first treated period, or a mapping treated unit -> its first treated period
    (staggered adoption: Sun and Abraham's interaction-weighted estimator).
    """
    alpha = check_alpha(alpha, "fit_did")
    earliest = min(start.values(), key=str) if isinstance(start, Mapping) else start
    pm = prepare_panel(panel, unit=unit, time=time, outcome=outcome, treated=treated, start=earliest,
                       donors=donors, exclude=exclude, min_pre=1)
    starts = _starts(pm, start)
    N, T = pm.Y.shape
    n0 = pm.n_donors
    if np.any(starts < 1) or np.any(starts >= T):
        raise ModelInputError("start: every treated unit needs a period before and after its start")
    units = np.repeat(np.arange(N), T)
    periods = np.tile(np.arange(T), N)
    y = pm.Y.reshape(-1)
    unit_dummies = np.eye(N)[units][:, 1:]
    time_dummies = np.eye(T)[periods][:, 1:]
    base = np.column_stack([np.ones(N * T), unit_dummies, time_dummies])
    is_treated = units >= n0
    unit_start = np.where(is_treated, starts[np.clip(units - n0, 0, None)], T + 1)
    rel = periods - unit_start
    cohorts = sorted(set(starts.tolist()))
    staggered = len(cohorts) > 1

    # The saturated event study: one coefficient per cohort x relative time (k = -1 the reference).
    terms: dict[str, np.ndarray] = {}  # event_time[k] -> its weights over the cohort x k cells
    cells: list[tuple[int, int]] = []  # (cohort, k)
    columns = []
    for cohort in cohorts:
        in_cohort = is_treated & (unit_start == cohort)
        for k in sorted(set(rel[in_cohort].tolist())):
            if k == -1:
                continue
            cells.append((cohort, k))
            columns.append((in_cohort & (rel == k)).astype(float))
    X_es = np.column_stack([base, *columns]) if columns else base
    fit_es = _cluster_fit(y, X_es, units)
    p0 = base.shape[1]
    beta = np.asarray(fit_es.params)[p0:]
    V = np.asarray(fit_es.cov_params())[p0:, p0:]
    counts = {c: int(np.sum(starts == c)) for c in cohorts}
    ks = sorted({k for _, k in cells})
    for k in ks:
        idx = [i for i, (_, kk) in enumerate(cells) if kk == k]
        shares = np.array([counts[cells[i][0]] for i in idx], dtype=float)
        a = np.zeros(len(cells))
        a[idx] = shares / shares.sum()
        terms[f"event_time[{k}]"] = a
    G = N
    q = stats.t.ppf(1 - alpha / 2, G - 1)

    def row(a: np.ndarray, b: np.ndarray, cov: np.ndarray) -> dict[str, float]:
        est = float(a @ b)
        se = float(np.sqrt(a @ cov @ a))
        tval = est / se if se > 0 else np.nan
        return {"estimate": est, "std_err": se, "ci_low": est - q * se, "ci_high": est + q * se,
                "p_value": float(2 * stats.t.sf(abs(tval), G - 1)), "df": float(G - 1)}

    rows: dict[str, dict[str, float]] = {}
    if staggered:
        post = [i for i, (c, k) in enumerate(cells) if k >= 0]
        n_obs = np.array([counts[cells[i][0]] for i in post], dtype=float)
        a = np.zeros(len(cells))
        a[post] = n_obs / n_obs.sum()
        rows["att"] = row(a, beta, V)
    else:
        D = (is_treated & (rel >= 0)).astype(float)
        fit = _cluster_fit(y, np.column_stack([base, D]), units)
        rows["att"] = row(np.ones(1), np.asarray(fit.params)[-1:],
                          np.asarray(fit.cov_params())[-1:, -1:])
    if event_study:
        rows.update({name: row(a, beta, V) for name, a in terms.items()})
    coefficients = pd.DataFrame.from_dict(rows, orient="index")
    coefficients.index.name = "term"
    names = [n for n in coefficients.index if n != "att"]
    A = np.vstack([terms[n] for n in names]) if names else np.empty((0, len(cells)))
    cov = pd.DataFrame(A @ V @ A.T, index=names, columns=names)
    pre = [i for i, n in enumerate(names) if int(n[11:-1]) < -1]
    pre_trend = None
    if event_study and pre:
        Ap = A[pre]
        b = Ap @ beta
        Vp = Ap @ V @ Ap.T
        stat = float(b @ np.linalg.pinv(Vp) @ b) / len(pre)
        pre_trend = {"statistic": stat, "df1": float(len(pre)), "df2": float(G - 1),
                     "p_value": float(stats.f.sf(stat, len(pre), G - 1))}
    labels = {str(u): pm.labels[s] for u, s in zip(pm.treated, starts, strict=True)}
    return DiDResult(pm, coefficients, cov, labels, staggered, G, pre_trend, alpha, outcome_label)
