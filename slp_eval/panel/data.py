"""From a long panel (one row per unit and period) to the outcome matrix the estimators use.

`prepare_panel` checks what the comparative designs assume and refuses what they cannot use:

- every named column exists, the treated units and donors exist and do not overlap;
- one row per unit and period, and every unit observed in every period from the first to the last
  (an unbalanced panel is refused with the unit and its missing periods named: nothing is filled);
- a missing outcome (a figure suppressed at source, flagged `<outcome>_suppressed` by the loader,
  or simply absent) is never imputed: a treated unit with one is refused, a donor with one is
  dropped from the donor pool and the reason is recorded in `PanelMatrix.dropped`.

Rows of `Y` are the donors first and the treated units last (the order of R's
`synthdid::panel.matrices`); columns are the periods in time order.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.its.timeindex import TimeIndex, read_time

__all__ = ["PanelMatrix", "Predictor", "periods_text", "prepare_panel", "read_predictors"]


def _plain(value: object) -> object:
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _as_list(value: Hashable | Sequence[Hashable] | None, name: str) -> list[Hashable] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        return [value]
    values = [_plain(v) for v in value]
    if not values:
        raise ParameterError(f"{name}: give at least one unit")
    return values


def periods_text(index: TimeIndex, ordinals: Iterable[int]) -> str:
    """Periods as runs: "2016-01 to 2016-04, 2017-02" (consecutive periods joined)."""
    values = sorted(int(o) for o in ordinals)
    runs: list[tuple[int, int]] = []
    for value in values:
        if runs and value == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return ", ".join(index.label(a) if a == b else f"{index.label(a)} to {index.label(b)}" for a, b in runs)


@dataclass(frozen=True)
class Predictor:
    """A predictor of the synthetic control's weights (as `Synth::dataprep`): the mean of `column`
    over the periods `start` to `end` (inclusive; the whole pre-period when both are None)."""

    column: str
    start: Any = None
    end: Any = None

    @property
    def name(self) -> str:
        if self.start is None and self.end is None:
            return self.column
        if self.start == self.end:
            return f"{self.column} ({self.start})"
        return f"{self.column} ({self.start if self.start is not None else '...'}-"\
               f"{self.end if self.end is not None else '...'})"


def read_predictors(predictors: Sequence[Any] | None) -> list[Predictor]:
    """Predictors given as column names, (column, start, end) tuples, mappings with `column`,
    `start`, `end`, or `Predictor` objects."""
    out: list[Predictor] = []
    for i, item in enumerate(predictors or []):
        if isinstance(item, Predictor):
            out.append(item)
        elif isinstance(item, str):
            out.append(Predictor(item))
        elif isinstance(item, Mapping) and "column" in item and set(item) <= {"column", "start", "end"}:
            out.append(Predictor(str(item["column"]), item.get("start"), item.get("end")))
        elif isinstance(item, tuple | list) and len(item) == 3 and isinstance(item[0], str):
            out.append(Predictor(item[0], item[1], item[2]))
        else:
            raise ParameterError(
                f"predictors[{i}]={item!r}: give a column name, (column, start, end) or "
                "{column: ..., start: ..., end: ...} (rule: a predictor is a column's mean over periods)")
    return out


@dataclass(frozen=True)
class PanelMatrix:
    """The outcome matrix `Y` (donors first, then treated units; periods in order) and its labels.

    `n_pre` periods come before `start`; `dropped` lists the donors left out and why.
    """

    unit: str
    time: str
    outcome: str
    index: TimeIndex
    ordinals: np.ndarray
    donors: tuple[Hashable, ...]
    treated: tuple[Hashable, ...]
    Y: np.ndarray
    n_pre: int
    dropped: pd.DataFrame
    frame: pd.DataFrame  # the rows used, sorted by unit and period (for predictors)

    @property
    def n_donors(self) -> int:
        return len(self.donors)

    @property
    def n_treated(self) -> int:
        return len(self.treated)

    @property
    def n_post(self) -> int:
        return len(self.ordinals) - self.n_pre

    @property
    def labels(self) -> list[str]:
        """Each period as text, in the time column's own style."""
        return [self.index.label(int(o)) for o in self.ordinals]

    @property
    def start_label(self) -> str:
        return self.index.label(int(self.ordinals[self.n_pre]))

    @property
    def units(self) -> tuple[Hashable, ...]:
        return (*self.donors, *self.treated)

    def subset(self, donors: Sequence[int], treated: Sequence[int], n_pre: int | None = None,
               n_periods: int | None = None) -> PanelMatrix:
        """Rows `donors` then `treated` (positions in `units`), periods cut to `n_periods` with the
        start at `n_pre` (a placebo design); predictors still read `frame`."""
        rows = [*donors, *treated]
        units = self.units
        T = len(self.ordinals) if n_periods is None else n_periods
        return PanelMatrix(self.unit, self.time, self.outcome, self.index, self.ordinals[:T],
                           tuple(units[i] for i in donors), tuple(units[i] for i in treated),
                           self.Y[np.asarray(rows, dtype=int)][:, :T],
                           self.n_pre if n_pre is None else n_pre, self.dropped, self.frame)


def _check_columns(panel: pd.DataFrame, columns: dict[str, str]) -> None:
    if not isinstance(panel, pd.DataFrame):
        raise ParameterError(f"panel: expected a pandas DataFrame; got {type(panel).__name__}")
    for argument, column in columns.items():
        if not isinstance(column, str) or column not in panel.columns:
            raise ParameterError(
                f"{argument}={column!r}: the panel has no such column "
                f"(columns: {', '.join(map(str, panel.columns))})")


def _suppressed_flags(frame: pd.DataFrame, outcome: str) -> pd.Series:
    """True where the loader flagged the outcome (or, for a derived outcome, a count it is made
    from) as suppressed at source."""
    flags = pd.Series(False, index=frame.index)
    for column in (f"{outcome}_suppressed", "numerator_suppressed", "denominator_suppressed",
                   "value_suppressed"):
        if column in frame.columns and (column == f"{outcome}_suppressed" or outcome in
                                        ("share", "percent", "rate", "value")):
            flags |= frame[column].fillna(False).astype(bool)
    return flags


def prepare_panel(
    panel: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    treated: Hashable | Sequence[Hashable],
    start: Any,
    donors: Sequence[Hashable] | None = None,
    exclude: Mapping[Hashable, str] | None = None,
    min_pre: int = 2,
) -> PanelMatrix:
    """Check a long panel and build the outcome matrix (see the module docstring).

    `exclude` maps a unit to the reason it is left out of the donor pool (e.g. a trust with a
    programme of its own); those units are recorded in `dropped` with that reason.
    """
    _check_columns(panel, {"unit": unit, "time": time, "outcome": outcome})
    if not pd.api.types.is_numeric_dtype(panel[outcome]):
        raise ParameterError(f"outcome={outcome!r}: column holds {panel[outcome].dtype}, not numbers")
    treated_units = _as_list(treated, "treated") or []
    present = set(panel[unit].dropna().tolist())
    missing = [u for u in treated_units if u not in present]
    if missing:
        raise ParameterError(f"treated: unit(s) {', '.join(map(repr, missing))} not in column {unit!r}")
    excluded = {u: str(r) for u, r in (exclude or {}).items()}
    overlap = [u for u in excluded if u in treated_units]
    if overlap:
        raise ParameterError(f"exclude: {', '.join(map(repr, overlap))} is a treated unit")
    pool = _as_list(donors, "donors")
    if pool is None:
        pool = [u for u in dict.fromkeys(panel[unit].dropna().tolist()) if u not in treated_units]
    else:
        unknown = [u for u in pool if u not in present]
        if unknown:
            raise ParameterError(f"donors: unit(s) {', '.join(map(repr, unknown))} not in column {unit!r}")
        both = [u for u in pool if u in treated_units]
        if both:
            raise ParameterError(f"donors: {', '.join(map(repr, both))} is also a treated unit")
    dropped: list[tuple[Hashable, str]] = [(u, excluded[u]) for u in pool if u in excluded]
    pool = [u for u in pool if u not in excluded]

    keep = panel[unit].isin([*pool, *treated_units])
    rows = panel.loc[keep]
    index = read_time(rows[time], time)
    ordinals = index.ordinals
    keys = pd.DataFrame({"unit": rows[unit].to_numpy(), "t": ordinals}, index=rows.index)
    dup = keys.duplicated(keep="first")
    if dup.any():
        row = keys.index[dup.to_numpy()][0]
        raise ModelInputError(
            f"panel: unit {_plain(keys.at[row, 'unit'])!r} has two rows for period "
            f"{index.label(int(keys.at[row, 't']))} (row {row}) (rule: one row per unit and period)")
    first, last = int(ordinals.min()), int(ordinals.max())
    start_ordinal = index.ordinal_of(start, "start")
    if not first < start_ordinal <= last:
        raise ParameterError(
            f"start={start!r} must fall after the first period ({index.label(first)}) and no later "
            f"than the last ({index.label(last)}) of column {time!r}")
    n_pre = start_ordinal - first
    if n_pre < min_pre:
        raise ModelInputError(
            f"start={start!r} leaves {n_pre} period(s) before it; this design needs at least "
            f"{min_pre} (rule: the weights are fitted on the pre-period)")
    span = np.arange(first, last + 1)
    for u, group in keys.groupby("unit", sort=False):
        lacking = np.setdiff1d(span, group["t"].to_numpy())
        if lacking.size:
            raise ModelInputError(
                f"unbalanced panel: unit {_plain(u)!r} has no row for {periods_text(index, lacking)} "
                f"({lacking.size} of {span.size} periods) (rule: every unit needs a row for every "
                f"period from {index.label(first)} to {index.label(last)}; leave the unit out with "
                "donors= or exclude=, or restrict the periods; nothing is filled in)")

    values = pd.DataFrame({"unit": rows[unit].to_numpy(), "t": ordinals,
                           "y": rows[outcome].to_numpy(dtype=float),
                           "suppressed": _suppressed_flags(rows, outcome).to_numpy()})
    wide = values.pivot(index="unit", columns="t", values="y").reindex(columns=span)
    hidden = values.pivot(index="unit", columns="t", values="suppressed").reindex(columns=span)

    def reason(u: Hashable) -> str | None:
        gaps = ~np.isfinite(wide.loc[u].to_numpy(dtype=float))
        if not gaps.any():
            return None
        flagged = hidden.loc[u].to_numpy(dtype=bool) & gaps
        parts = []
        if flagged.any():
            parts.append(f"suppressed at source in {periods_text(index, span[flagged])}")
        if (gaps & ~flagged).any():
            parts.append(f"missing in {periods_text(index, span[gaps & ~flagged])}")
        return f"outcome {outcome!r} " + " and ".join(parts) + " (never imputed)"

    for u in treated_units:
        why = reason(u)
        if why is not None:
            raise ModelInputError(f"treated unit {_plain(u)!r}: {why}; the comparison needs every "
                                  "period of every treated unit")
    kept = []
    for u in pool:
        why = reason(u)
        if why is None:
            kept.append(u)
        else:
            dropped.append((u, f"left out of the donor pool: {why}"))
    if len(kept) < 2:
        raise ModelInputError(
            f"only {len(kept)} donor(s) with a complete outcome remain (of {len(pool)}); a comparison "
            "needs at least 2")
    order = [*kept, *treated_units]
    Y = wide.loc[order].to_numpy(dtype=float)
    frame = rows.assign(_t=ordinals).sort_values([unit, "_t"], kind="stable")
    return PanelMatrix(unit, time, outcome, index, span, tuple(kept), tuple(treated_units), Y, n_pre,
                       pd.DataFrame(dropped, columns=["unit", "reason"]), frame)
