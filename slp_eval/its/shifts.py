"""The same series fitted with its interruptions at different dates, batched where it can be.

`placebo_test` and `break_date_sensitivity` fit one outcome y with one set of interruption dates
after another. Each set s has its own design X_s (the level and trend change columns move) but
the same y, so for the gaussian family with errors "ols", "newey-west" with a fixed lag or
"ar" of order 1 the designs are stacked (S x n x k) and fitted in one pass of
`batch.batched_gaussian`:

    b_s = X_s^+ y,  e_s = y - X_s b_s,  Var(b_s) as in `slp_eval.its.batch` (OLS, or Newey-West
    with Stata's n/(n-k) scaling), t on n - k df; or REML AR(1) + GLS with the small-sample
    method of `fit_its` (`reml_ar1.py`, one design per set).

The data are read and checked once (`fit.prepare` with the first valid set); for each set only
what depends on the dates is rebuilt: the phase-in rows, the segment sizes, the design
(`design.build_design`, the function `fit_its` uses) and its rank. Sets whose fitted rows
differ (phase-in) are batched apart. A set that breaks a rule is fitted by `fit_its`, so its
error is exactly `fit_its`'s. One set of every batch is also fitted by `fit_its` (or given, e.g.
the real fit): if the batched numbers differ from it (relative 1e-8) the batch falls back to
`fit_its` set by set. Other families and error structures are fitted by `fit_its` set by set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from slp_eval.errors import ModelInputError, ParameterError, SlpEvalError
from slp_eval.its import checks
from slp_eval.its.batch import _agrees, batched_gaussian, fit_arguments, no_batch_reason
from slp_eval.its.design import Interruption, build_design
from slp_eval.its.fit import Prepared, _as_list, _segments, fit_its, prepare

#: What a set of dates may give: its coefficient table (fit_its's columns) or fit_its's error.
Outcome = pd.DataFrame | ModelInputError | ParameterError


def _fit_one(data: pd.DataFrame, dates: Any, arguments: dict[str, Any]) -> Outcome:
    try:
        return fit_its(data, **{**arguments, "interruptions": dates}).coefficients
    except (ModelInputError, ParameterError) as err:
        return err


def _design(base: Prepared, month: np.ndarray | None, dates: Any, arguments: dict[str, Any]
            ) -> tuple[np.ndarray, pd.DataFrame] | None:
    """(rows in the fit, design of every row) for `dates`; None when a rule may be broken
    (then `fit_its` is asked, for its own error)."""
    index, series = base.index, base.series
    origin = int(series.ordinal.min())
    first, last = int(series.ordinal.min()), int(series.ordinal.max())
    parsed: list[Interruption] = []
    try:
        for value in _as_list(dates):
            ordinal = index.ordinal_of(value, "interruptions")
            if not first <= ordinal <= last or (parsed and ordinal - origin <= parsed[-1].position):
                return None
            parsed.append(Interruption(str(value), ordinal - origin))
        t = series.t
        in_phase_in = np.zeros(len(t), bool)
        for k in parsed:
            in_phase_in |= (t >= k.position) & (t < k.position + arguments["phase_in"])
        in_fit = np.isfinite(series.observed) & ~in_phase_in
        _segments(t, in_fit, parsed, "")
        checks.check_not_constant(arguments["outcome"], np.where(in_fit, series.observed, np.nan))
    except SlpEvalError:
        return None
    design = build_design(t, interruptions=parsed, impact=arguments["impact"], month=month,
                          seasonality=arguments["seasonality"], index=series.rows)
    if np.linalg.matrix_rank(design.to_numpy()[in_fit]) < design.shape[1]:
        return None
    if arguments["errors"] in (None, "ar"):  # no_batch_reason leaves AR(1) only
        try:
            checks.check_ar_length("ar", 1, [int(in_fit.sum())], design.shape[1])
        except SlpEvalError:
            return None
    return in_fit, design


def fit_interruption_sets(data: pd.DataFrame, sets: Sequence[Any], *,
                          known: dict[int, pd.DataFrame] | None = None,
                          **fit_its_arguments: Any) -> list[Outcome]:
    """`fit_its(data, interruptions=sets[i], **fit_its_arguments).coefficients` for every i,
    or the error `fit_its` raises for that set (see the module docstring for the batching).

    `known`: coefficient tables already fitted by `fit_its`, by position in `sets` (used as
    they are and as the check of their batch).
    """
    arguments = fit_arguments({**fit_its_arguments, "interruptions": None})
    known = dict(known or {})
    if no_batch_reason(arguments) is not None or len(sets) < 2:
        return [known[i] if i in known else _fit_one(data, s, arguments)
                for i, s in enumerate(sets)]
    out: dict[int, Outcome] = dict(known)
    base = None
    for i, dates in enumerate(sets):  # the data are read once, with the first set that fits
        try:
            base = prepare(data, **{**{k: v for k, v in arguments.items()
                                       if k != "outcome_label"}, "interruptions": dates})
            break
        except (ModelInputError, ParameterError) as err:
            out[i] = err
    if base is None:
        return [out[i] for i in range(len(sets))]
    month = base.index.month_of_year() if base.index.frequency == "monthly" else None
    batches: dict[bytes, list[tuple[int, pd.DataFrame]]] = {}
    masks: dict[bytes, np.ndarray] = {}
    for i, dates in enumerate(sets):
        if i in out:
            continue
        built = _design(base, month, dates, arguments)
        if built is None:
            out[i] = _fit_one(data, dates, arguments)
            continue
        in_fit, design = built
        masks[in_fit.tobytes()] = in_fit
        batches.setdefault(in_fit.tobytes(), []).append((i, design[in_fit]))
    y = base.series.observed
    for key, members in batches.items():
        in_fit = masks[key]
        checked = [i for i, _ in members if i in known]
        if len(members) - len(checked) < 2:
            out.update({i: _fit_one(data, sets[i], arguments) for i, _ in members if i not in out})
            continue
        template = checked[0] if checked else members[0][0]
        table = known[template] if checked else _fit_one(data, sets[template], arguments)
        if not isinstance(table, pd.DataFrame) or set(table.columns) - {
                "estimate", "std_err", "ci_low", "ci_high", "p_value", "df"}:
            out.update({i: _fit_one(data, sets[i], arguments) for i, _ in members if i not in out})
            continue
        x = np.stack([d.to_numpy(dtype=float) for _, d in members])
        values = np.repeat(y[in_fit][:, None], len(members), axis=1)
        numbers = batched_gaussian(x, values, errors=arguments["errors"],
                                   maxlags=arguments["maxlags"], alpha=arguments["alpha"],
                                   t=base.series.t[in_fit],
                                   small_sample=arguments["small_sample"])
        position = [i for i, _ in members].index(template)
        if not _agrees(table, numbers, position):
            out.update({i: _fit_one(data, sets[i], arguments) for i, _ in members if i not in out})
            continue
        for column, (i, design) in enumerate(members):
            if i not in out:
                out[i] = pd.DataFrame({c: numbers[c][:, column] for c in table.columns},
                                      index=pd.Index(design.columns, name="term"))
    return [out[i] for i in range(len(sets))]
