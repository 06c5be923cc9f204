"""`fit_its_many`: the model of `fit_its` for every group of a long frame, batched where it can be.

Batched path (status "fitted (batched)"). For family="gaussian" with errors="ols", or
errors="newey-west" with a fixed `maxlags`, without comparison series (`group`) or covariates,
every group whose rows cover the same periods in the same order with no missing outcome shares
the design matrix X (n x k) of `fit_its`. One pseudo-inverse P = (X'X)^-1 X' then serves all G
series at once (Y is n x G):

    B = P Y,  E = Y - X B,  H = (X'X)^-1 = P P',  Q = X H (row t is (H x_t)'),
    OLS:         Var(b_jg) = H_jj * e_g'e_g / (n - k)
    Newey-West:  Var(b_jg) = n/(n-k) * sum_{l=-L..L} w_|l| sum_t q_tj q_(t-l)j e_tg e_(t-l)g,
                 w_l = 1 - l/(L+1) (Bartlett kernel, Newey & West 1987),

the diagonal of the sandwich n/(n-k) H S_g H with S_g = sum_l w_l sum_t x_t x_(t-l)' e_t e_(t-l),
which is what `fit_its` gets from statsmodels (`cov_type="HAC"`, `use_correction=True`: Stata
`newey`'s scaling), with t intervals and p-values on n - k degrees of freedom. Each sum over t
is one matrix product for all series. This is written with numpy because statsmodels fits one
response at a time: 10,000 statsmodels fits take about a minute, these products a fraction of
a second. The first series of every shared design is also fitted by `fit_its`; its batched
numbers must equal `fit_its`'s (relative 1e-8) or the whole design falls back to the loop.

REML AR(1) (errors="ar", the default for gaussian, with maxlags None or 1) is batched too,
with every small-sample method: `reml_ar1.fit_ar1` takes the lagged cross products of X and
of each series' OLS residual once, evaluates the restricted likelihood of all series on the rho
grid at once, polishes each series' rho by safeguarded Newton on the analytic derivatives (to
rounding), and computes the analytic REML information and the Kenward-Roger / Satterthwaite
pieces for all series together. `fit_its` runs the same function on its one series, so the two
agree to rounding (1e-11 relative measured), including fits whose rho lands on the bound.

Everything else is fitted by calling `fit_its` on each group (status "fitted (per group)", with
the reason in `reason`): other families and error structures (including REML AR(p >= 2)),
Newey-West with `maxlags=None` (the lag is chosen per series), comparison series, covariates,
groups with missing outcome values or periods no other group shares. A group `fit_its` rejects (too few
points, a constant outcome, a gap, ...) gets status "failed" with `fit_its`'s message in
`reason`; the other groups are still fitted.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.its import checks
from slp_eval.its.fit import fit_its, resolve_error_model
from slp_eval.its.reml_ar1 import Rows, fit_ar1
from slp_eval.its.timeindex import read_time

#: Columns every `fit_its_many` frame has after the `by` columns, before any extra columns
#: of `fit_its`'s coefficient table (df, ratio, ...) and `status`, `reason`.
CONTRACT_COLUMNS = ("term", "estimate", "std_err", "ci_low", "ci_high", "p_value")
BATCHED = "fitted (batched)"
PER_GROUP = "fitted (per group)"
FAILED = "failed"
#: Coefficient-table columns the batched path computes.
_BATCHED_COLUMNS = frozenset({"estimate", "std_err", "ci_low", "ci_high", "p_value", "df"})
_TOLERANCE = 1e-8


def by_names(columns: Sequence[Any], by: str | Sequence[str]) -> list[str]:
    """`by` as a list of column names; ParameterError when one is not among `columns`."""
    names = [by] if isinstance(by, str) else list(by) if isinstance(by, list | tuple) else None
    if not names or not all(isinstance(n, str) for n in names):
        raise ParameterError(f"by={by!r} must be a column name or a non-empty list of column names")
    missing = [n for n in names if n not in columns]
    if missing:
        raise ParameterError(
            f"by names {', '.join(map(repr, missing))}, not a column of data (columns: "
            f"{', '.join(map(str, columns))})")
    return names


def fit_arguments(arguments: dict[str, Any]) -> dict[str, Any]:
    """`fit_its`'s keyword arguments with its defaults filled in, the error model resolved as
    `fit_its` resolves it (`resolve_error_model`); ParameterError on a wrong name."""
    signature = inspect.signature(fit_its)
    try:
        bound = signature.bind(None, **arguments)
    except TypeError as err:
        raise ParameterError(f"fit_its_many passes its arguments to fit_its: {err}") from None
    bound.apply_defaults()
    out = {name: value for name, value in bound.arguments.items() if name != "data"}
    out["errors"], out["small_sample"] = resolve_error_model(out["family"], out["errors"],
                                                             out["small_sample"])
    return out


def fit_group(frame: pd.DataFrame, *, by: list[str], arguments: dict[str, Any],
              reason: str | None) -> pd.DataFrame:
    """`fit_its` on one group's rows, as the tidy rows of `fit_its_many` for that group.

    `reason` is recorded as why the group was fitted on its own. The Spark engine
    (`slp_eval.spark.fit_its_spark`) runs this same function on every group.
    """
    try:
        table = fit_its(frame, **arguments).coefficients.reset_index()
        table["status"], table["reason"] = PER_GROUP, reason
    except ModelInputError as err:
        table = pd.DataFrame({column: [np.nan] for column in CONTRACT_COLUMNS})
        table["term"] = None
        table["status"], table["reason"] = FAILED, str(err)
    for name in reversed(by):
        table.insert(0, name, frame[name].iloc[0])
    return table


def no_batch_reason(arguments: dict[str, Any]) -> str | None:
    """Why these `fit_its` arguments have no batched path (None when they have one)."""
    if arguments["family"] != "gaussian":
        return f"family={arguments['family']!r} has no batched path"
    if arguments["errors"] not in (None, "ols", "newey-west", "ar"):
        return f"errors={arguments['errors']!r} has no batched path"
    if arguments["errors"] in (None, "ar") and arguments["maxlags"] not in (None, 1):
        return f"errors='ar' with maxlags={arguments['maxlags']!r} (AR(p >= 2)) has no batched path"
    if arguments["errors"] == "newey-west" and arguments["maxlags"] is None:
        return "errors='newey-west' with maxlags=None chooses the lag for each series"
    if arguments["group"] is not None:
        return "comparison series (group=...) have no batched path"
    if arguments["covariates"]:
        return "covariates differ between groups, and so does the design"
    return None


@dataclass(frozen=True)
class _Groups:
    """Row positions of each group (in data order) and each group's first row."""

    order: np.ndarray  # row positions sorted by group, data order within a group
    starts: np.ndarray  # group g's rows are order[starts[g]: starts[g + 1]]
    keys: pd.DataFrame  # the by values of each group, one row per group
    contiguous: bool  # each group's rows are one block, blocks in group order: order is 0..N-1

    def rows(self, group: int) -> np.ndarray:
        """Row positions of one group, in data order."""
        return self.order[self.starts[group]: self.starts[group + 1]]

    def columns(self, y: np.ndarray, members: list[int], n: int) -> np.ndarray:
        """`y` (one value per row) of `members`, each with n rows, as an n x len(members) array
        laid out column by column (a group's rows adjacent in memory)."""
        if self.contiguous and len(y) == n * len(members):  # members are every group: a view
            return y.reshape(len(members), n).T
        rows = self.starts[members][:, None] + np.arange(n)
        return y[(rows if self.contiguous else self.order[rows]).T]


def _changes(column: pd.Series, step: int) -> np.ndarray | None:
    """Row i + step differs from row i, for every i (None when the values do not compare)."""
    values = column.array
    try:
        return np.asarray(values[step:] != values[:-step], dtype=bool)
    except (TypeError, ValueError):
        return None


def _groups(data: pd.DataFrame, names: list[str]) -> _Groups:
    for name in names:
        missing = data[name].isna().to_numpy()
        if missing.any():
            raise ModelInputError(f"column '{name}' (by) has a missing value at row "
                                  f"{data.index[np.flatnonzero(missing)[0]]}")
    # The usual long frame holds each group's rows as one block: find where the by values
    # change (one comparison of neighbouring rows) and check no block's key comes back, which
    # costs far less than hashing every row; otherwise number the groups with pandas.
    changes = [_changes(data[name], 1) for name in names]
    if all(c is not None for c in changes):
        firsts = np.flatnonzero(np.concatenate(([True], np.logical_or.reduce(changes))))
        keys = data[names].iloc[firsts].reset_index(drop=True)
        if not keys.duplicated().any():
            return _Groups(np.arange(len(data)), np.append(firsts, len(data)), keys, True)
    codes = data.groupby(names, sort=False).ngroup().to_numpy()
    order = np.argsort(codes, kind="stable")  # groups are numbered in order of appearance
    starts = np.concatenate(([0], np.cumsum(np.bincount(codes))))
    return _Groups(order, starts, data[names].iloc[order[starts[:-1]]].reset_index(drop=True),
                   False)


def _patterns(times: pd.Series, groups: _Groups) -> dict[bytes, list[int]]:
    """Groups by the sequence of periods their rows cover (same sequence: same design)."""
    sizes = np.diff(groups.starts)
    patterns: dict[bytes, list[int]] = {}
    if (sizes == sizes[0]).all() and groups.contiguous and len(sizes) > 1 and not (
            times.isna().any()):
        # Blocks of n rows each: when every row holds the period of the row n above it, every
        # group covers the first group's periods, found without numbering every period label.
        differs = _changes(times, int(sizes[0]))
        if differs is not None and not differs.any():
            return {b"": list(range(len(sizes)))}
    time_codes = pd.factorize(times)[0]
    if (sizes == sizes[0]).all():  # the usual grid: compare every group with the first at once
        codes = (time_codes if groups.contiguous else time_codes[groups.order]).reshape(
            len(sizes), sizes[0])
        same_as_first = (codes == codes[0]).all(axis=1)
        patterns[codes[0].tobytes()] = np.flatnonzero(same_as_first).tolist()
        others = np.flatnonzero(~same_as_first).tolist()
    else:
        others = list(range(len(sizes)))
    for g in others:
        patterns.setdefault(time_codes[groups.rows(g)].tobytes(), []).append(g)
    return patterns


def _check_frequencies(data: pd.DataFrame, time: str, patterns: dict[bytes, list[int]],
                       groups: _Groups) -> None:
    found: dict[str, list[int]] = {}
    for members in patterns.values():
        try:
            frequency = read_time(data[time].iloc[groups.rows(members[0])], time).frequency
        except ModelInputError:
            continue  # fit_its reports it for these groups
        found.setdefault(frequency, []).extend(members)
    if len(found) > 1:
        counts = ", ".join(f"{len(m)} {f}" for f, m in found.items())
        second = list(found)[1]
        raise ModelInputError(
            f"column '{time}' holds series of different frequencies across the groups ({counts}; "
            f"the first {second} series is group {min(found[second]) + 1} in order of "
            "appearance); fit each frequency with its own fit_its_many call")


def batched_gaussian(x: np.ndarray, y: np.ndarray, *, errors: str | None, maxlags: int | None,
                     alpha: float, t: np.ndarray | None = None,
                     small_sample: str | None = None) -> dict[str, np.ndarray]:
    """OLS of every column of `y` (n x G) on `x`, as in the module docstring; for errors "ar"
    (or None, `fit_its`'s default for gaussian) REML AR(1) + GLS with the small-sample method
    (`reml_ar1.fit_ar1`; None: "kenward-roger", as `fit_its`), `t` the period of each row.

    `x` is one design (n x k) shared by every column, or one design per column (G x n x k:
    the same outcome with the interruption at different dates, `fit_interruption_sets`).
    Returns (k x G) arrays estimate, std_err, ci_low, ci_high, p_value and the df.
    """
    if errors in (None, "ar"):
        if t is None:
            raise ValueError("errors='ar' needs the period of each row (t)")
        return fit_ar1(x, y, Rows.of(t, [np.arange(len(t))]), alpha=alpha,
                       method=small_sample or "kenward-roger").table
    n, k = x.shape[-2:]
    df = n - k
    if x.ndim == 2:
        pinv = np.linalg.pinv(x)
        beta = pinv @ y
        resid = y - x @ beta
        h = pinv @ pinv.T
        h_diag = np.diag(h)[:, None]
        q = x @ h

        def cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:  # sum_t a_tj b_tg: k x G
            return a.T @ b
    else:
        pinv = np.linalg.pinv(x)  # G x k x n
        beta = np.einsum("gkn,ng->kg", pinv, y)
        resid = y - np.einsum("gnk,kg->ng", x, beta)
        h = pinv @ pinv.transpose(0, 2, 1)
        h_diag = np.diagonal(h, axis1=1, axis2=2).T
        q = x @ h

        def cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return np.einsum("gnk,ng->kg", a, b)
    if errors == "ols":
        var = h_diag * ((resid**2).sum(axis=0) / df)
    else:
        var = cross(q**2, resid**2)
        lags = int(maxlags or 0)
        for lag in range(1, lags + 1):
            weight = 1.0 - lag / (lags + 1.0)
            var += 2.0 * weight * cross(q[..., lag:, :] * q[..., :-lag, :],
                                        resid[lag:] * resid[:-lag])
        var *= n / df
    std_err = np.sqrt(var)
    crit = stats.t.ppf(1 - alpha / 2, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_value = 2 * special.stdtr(df, -np.abs(beta / std_err))
    return {"estimate": beta, "std_err": std_err, "ci_low": beta - crit * std_err,
            "ci_high": beta + crit * std_err, "p_value": p_value,
            "df": np.full(beta.shape, float(df))}


def _agrees(table: pd.DataFrame, batched: dict[str, np.ndarray], column: int) -> bool:
    return all(np.allclose(batched[c][:, column], table[c].to_numpy(dtype=float), rtol=_TOLERANCE,
                           atol=0.0, equal_nan=True) for c in table.columns)


def _fit_shared_design(data: pd.DataFrame, members: list[int], groups: _Groups, y: np.ndarray,
                       arguments: dict[str, Any], per_group: dict[int, str | None]) -> pd.DataFrame | None:
    """Batch the groups of one shared set of periods; the rest go to `per_group` with a reason."""
    n = len(groups.rows(members[0]))
    values = groups.columns(y, members, n)  # n x G: one column per group
    ids = np.asarray(members)
    complete = np.isfinite(values).all(axis=0)
    per_group.update(dict.fromkeys(ids[~complete].tolist(), "missing outcome values change the design"))
    shared = ids[complete]
    template = next((g for g, i in zip(shared.tolist(), np.flatnonzero(complete), strict=True)
                     if np.ptp(values[:, i]) > 0), None)
    if template is None:  # every complete series is constant: fit_its says why, one by one
        per_group.update(dict.fromkeys(shared.tolist()))
        return None
    try:
        result = fit_its(data.iloc[groups.rows(template)], **arguments)
    except ModelInputError:
        per_group.update(dict.fromkeys(shared.tolist(), "the first series of these periods failed"))
        return None
    table = result.coefficients
    unknown = sorted(set(table.columns) - _BATCHED_COLUMNS)
    if unknown:
        per_group.update(dict.fromkeys(shared.tolist(),
                                       f"no batched formula for {', '.join(unknown)}"))
        return None
    in_fit = result.series.in_fit
    fitted = values if in_fit.all() else values[in_fit]
    fitted = fitted if complete.all() else fitted[:, complete]
    varying = (fitted != fitted[:1]).any(axis=0)
    per_group.update(dict.fromkeys(shared[~varying].tolist()))  # fit_its says why
    batch = shared[varying]
    out = batched_gaussian(result.design.to_numpy(dtype=float),
                           fitted if varying.all() else fitted[:, varying],
                           errors=result.spec.errors, maxlags=arguments["maxlags"],
                           alpha=arguments["alpha"], t=result.series.t[in_fit],
                           small_sample=result.spec.small_sample)
    if not _agrees(table, out, int(np.flatnonzero(batch == template)[0])):
        per_group.update(dict.fromkeys(batch.tolist(), "batched numbers differ from fit_its"))
        return None
    # One frame from whole columns, the k terms of each group in turn; the text columns are
    # taken from the k terms and one status rather than converted string by string.
    k, n_groups = out["estimate"].shape
    rows = np.repeat(batch, k)
    columns: dict[str, Any] = {name: key.array.take(rows) for name, key in groups.keys.items()}
    columns["term"] = table.index.array.take(np.tile(np.arange(k), n_groups))
    columns.update({column: out[column].T.ravel() for column in table.columns})
    columns["status"] = pd.array([BATCHED], dtype="str").take(np.zeros(len(rows), dtype=np.intp))
    columns["reason"] = np.full(len(rows), None, dtype=object)
    columns["_group"] = rows
    return pd.DataFrame(columns)


def fit_its_many(data: pd.DataFrame, *, by: str | Sequence[str], **fit_its_arguments: Any
                 ) -> pd.DataFrame:
    """Fit `fit_its`'s model to every group of `by`, batched where the algebra allows.

    Model (each group, link scale): g(E y_t) = b0 + b1*t + sum_k [b2k*D_k(t) +
    b3k*(t - T_k)*D_k(t)] + seasonal + covariates, as `fit_its` (Wagner et al. 2002).

    Parameters
    ----------
    data: long frame, one row per period per group, rows in time order within each group.
    by: the column (or list of columns) naming the groups; each group is one series.
    **fit_its_arguments: passed to `fit_its` for every group (outcome, time, interruptions,
        family, errors, maxlags, ...).

    Returns
    -------
    One row per group and term, groups in order of appearance: the `by` columns, `term`,
    `estimate`, `std_err`, `ci_low`, `ci_high`, `p_value`, any further columns of `fit_its`'s
    coefficient table (e.g. `df`, or `ratio`, `ratio_ci_low`, `ratio_ci_high` for log and
    logit links), then `status` and `reason`:

    - "fitted (batched)": fitted with the other series sharing its design in one set of
      array operations (gaussian family, errors "ols", "newey-west" with a fixed maxlags, or
      "ar" (REML AR(1), maxlags None or 1) with any small_sample method; see the module
      docstring); equal to `fit_its` to 1e-8.
    - "fitted (per group)": fitted by `fit_its` on its own; `reason` says why it was not
      batched (e.g. "errors='arima' has no batched path", "no other group has the same
      periods").
    - "failed": `fit_its` rejected the group (too few points, a constant outcome, a gap, ...);
      one row with `term` and the numbers missing and `fit_its`'s message in `reason`.

    Raises ParameterError when `by` names a missing column or an argument is not `fit_its`'s;
    ModelInputError when `by` has a missing value or the groups' time columns have different
    frequencies.
    """
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    names = by_names(list(data.columns), by)
    arguments = fit_arguments(fit_its_arguments)
    outcome, time = arguments["outcome"], arguments["time"]
    checks.check_columns(data, {"outcome": outcome, "time": time})
    if {outcome, time} & set(names):
        raise ParameterError(f"by={by!r} must not name the outcome or time column")
    if len(data) == 0:
        raise ModelInputError("data has no rows")
    groups = _groups(data, names)
    patterns = _patterns(data[time], groups)
    _check_frequencies(data, time, patterns, groups)

    reason = no_batch_reason(arguments)
    numeric = (pd.api.types.is_numeric_dtype(data[outcome].dtype)
               and not pd.api.types.is_bool_dtype(data[outcome].dtype))
    y = data[outcome].to_numpy(dtype=float, na_value=np.nan) if numeric else None
    per_group: dict[int, str | None] = {}
    pieces: list[pd.DataFrame] = []
    for members in patterns.values():
        if reason is not None or y is None:
            per_group.update(dict.fromkeys(members, reason))
        elif len(members) == 1:
            per_group[members[0]] = "no other group has the same periods"
        else:
            frame = _fit_shared_design(data, members, groups, y, arguments, per_group)
            if frame is not None:
                pieces.append(frame)
    for g, why in per_group.items():
        piece = fit_group(data.iloc[groups.rows(g)], by=names, arguments=arguments,
                          reason=why)
        piece["_group"] = g
        pieces.append(piece)
    out = pieces[0] if len(pieces) == 1 else pd.concat(pieces, ignore_index=True).sort_values(
        "_group", kind="stable")
    extra = [c for c in out.columns
             if c not in (*names, *CONTRACT_COLUMNS, "status", "reason", "_group")]
    return out[[*names, *CONTRACT_COLUMNS, *extra, "status", "reason"]].reset_index(drop=True)
