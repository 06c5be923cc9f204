"""Statistical disclosure control for tables that reach a report.

Default rule: NHS Digital's Mental Health Services Data Set (MHSDS) convention: counts of 1-7 are
suppressed ("*") and every other count is rounded to the nearest 5; zeros are shown.

`apply_disclosure` does three things, in order:

1. primary suppression: every count in ``suppress_min..suppress_max`` is hidden;
2. secondary (complementary) suppression: while any hidden cell could be worked out exactly from
   the row and column totals (shown, or derivable by adding up the table), the smallest further
   non-zero cell in its row or column is hidden too, until no hidden cell is recoverable;
3. rounding: every count still shown is rounded to the nearest ``rounding_base`` (halves up).

Recoverability is tested exactly, not by a rule of thumb: with the hidden cells as unknowns and
one linear equation per row and column total, a hidden cell is recoverable iff its unit vector
lies in the row space of the equations (equivalently, every null-space vector is zero there).
The familiar rule "a row with exactly one hidden cell gives it away" is one case of this; a cell
bridging two otherwise protected blocks is another that only the exact test catches.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from slp_eval.errors import DisclosureError

__all__ = [
    "DisclosedTable",
    "DisclosureRule",
    "apply_disclosure",
    "assert_no_identifying_columns",
    "controlled_counts",
    "controlled_shares",
    "disclose_count",
    "disclose_ratio",
    "disclose_share",
    "recoverable_cells",
]


class DisclosureRule(BaseModel):
    """How small counts are protected.

    `apply=False` switches control off. A rule that suppresses no positive count (e.g.
    ``suppress_min: 0, suppress_max: 0``) switches it off just as surely, so it is treated, and
    warned about, exactly like `apply=False` (`in_effect` is False for both). ``keep_exact`` asks
    for the exact counts to be written outside the releasable outputs
    (``restricted/NOT_FOR_RELEASE_exact_results.json``) for reproducibility.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    apply: bool = Field(True, description="Apply disclosure control to every reported table.")
    suppress_min: int = Field(1, ge=0, description="Smallest count that is suppressed.")
    suppress_max: int = Field(7, ge=0, description="Largest count that is suppressed.")
    rounding_base: int = Field(5, ge=1, description="Round unsuppressed counts to this multiple.")
    secondary: bool = Field(
        True, description="Suppress further cells so a suppressed cell cannot be recovered."
    )
    symbol: str = Field("*", description="What a suppressed cell shows.")
    keep_exact: bool = Field(
        False, description="Also write the exact, uncontrolled counts to "
        "restricted/NOT_FOR_RELEASE_exact_results.json in the run directory (never to be released).",
    )

    @model_validator(mode="after")
    def _range_is_ordered(self) -> DisclosureRule:
        if self.suppress_max < self.suppress_min:
            raise ValueError(
                f"suppress_max ({self.suppress_max}) is below suppress_min ({self.suppress_min})"
            )
        return self

    @property
    def in_effect(self) -> bool:
        """True when the rule protects anything: applied, and suppressing at least one count >= 1."""
        return self.apply and self.suppress_max >= max(self.suppress_min, 1)

    @property
    def off_reason(self) -> str:
        """Which parameter switched control off, in words ("" when it is in effect)."""
        if not self.apply:
            return "by the parameter `disclosure.apply: false`"
        if not self.in_effect:
            return (f"by the parameters `disclosure.suppress_min: {self.suppress_min}, suppress_max: "
                    f"{self.suppress_max}`, a rule that suppresses no count")
        return ""

    def hides(self, count: float) -> bool:
        """True when a count (a whole number) falls in the suppressed range under this rule."""
        return self.in_effect and self.suppress_min <= count <= self.suppress_max


@dataclass(frozen=True)
class DisclosedTable:
    """A table after disclosure control, and the record of what was done to it.

    ``frame`` shows suppressed cells as the rule's symbol and other counts rounded (count columns
    hold Python ints, the symbol, or missing values). ``primary`` and ``secondary`` list the hidden
    cells as ``(row label, column)`` pairs.
    """

    frame: pd.DataFrame
    rule: DisclosureRule
    count_columns: tuple[str, ...]
    primary: tuple[tuple[Hashable, str], ...] = ()
    secondary: tuple[tuple[Hashable, str], ...] = ()
    name: str = ""

    @property
    def suppressed(self) -> int:
        """Number of hidden cells (primary + secondary)."""
        return len(self.primary) + len(self.secondary)

    def to_frame(self) -> pd.DataFrame:
        return self.frame

    @property
    def note(self) -> str:
        """One or two sentences for the report under the table."""
        rule = self.rule
        if not rule.in_effect:
            return (
                f"Disclosure control was switched off explicitly {rule.off_reason}; "
                "counts are shown unrounded and unsuppressed."
            )
        text = (
            f"Counts of {rule.suppress_min} to {rule.suppress_max} are shown as {rule.symbol!r} "
            + (f"and other counts are rounded to the nearest {rule.rounding_base}."
               if rule.rounding_base > 1 else "and other counts are shown exactly.")
        )
        if self.secondary:
            n = len(self.secondary)
            text += (
                f" {n} further cell{'s were' if n != 1 else ' was'} suppressed so that "
                "suppressed counts cannot be worked out from the totals."
            )
        return text

    def to_dict(self) -> dict[str, object]:
        """The record for results.json / manifest.json (cell positions, never hidden values)."""

        def cells(pairs: Sequence[tuple[Hashable, str]]) -> list[dict[str, str]]:
            return [{"row": str(row), "column": str(col)} for row, col in pairs]

        return {
            "table": self.name,
            "applied": self.rule.in_effect,
            "rule": self.rule.model_dump(),
            "count_columns": list(self.count_columns),
            "primary_suppressed": cells(self.primary),
            "secondary_suppressed": cells(self.secondary),
            "suppressed_cells": self.suppressed,
            "rounded_to": self.rule.rounding_base if self.rule.in_effect else None,
            "note": self.note,
        }


def _rounded(count: float, base: int) -> int:
    """Nearest multiple of ``base``, halves up."""
    return int(base * math.floor(count / base + 0.5))


def disclose_count(count: int | float, rule: DisclosureRule | None) -> int | str:
    """One count as a report may print it: the rule's symbol when it is suppressed, else rounded.

    For counts quoted in sentences (no table, so no secondary suppression applies). ``rule=None``
    or a rule not in effect returns the count unchanged.
    """
    if rule is None or not rule.in_effect:
        return int(count) if float(count).is_integer() else count
    if rule.suppress_min <= count <= rule.suppress_max:
        return rule.symbol
    return _rounded(count, rule.rounding_base)


def _is_count(value: object) -> bool:
    return value is not None and not pd.isna(value) and float(value).is_integer()  # type: ignore[arg-type]


def disclose_share(numerator: float, denominator: float, rule: DisclosureRule | None,
                   scale: float = 100.0) -> float | str:
    """A share (``scale`` 100: a percent) of two counts as a report may print it.

    The rule's symbol when the numerator, the denominator or the complement (denominator minus
    numerator) is a suppressed count: a share beside its denominator gives the numerator back
    (and 100% minus it the complement). Otherwise the share as computed.
    """
    if denominator == 0 or pd.isna(denominator) or pd.isna(numerator):
        return math.nan
    share = scale * numerator / denominator
    if rule is None or not rule.in_effect:
        return share
    parts = (numerator, denominator, denominator - numerator)
    return rule.symbol if any(_is_count(v) and rule.hides(v) for v in parts) else share


def disclose_ratio(count: float, divisor: float, rule: DisclosureRule | None) -> float | str:
    """A count divided by a shown quantity (a rate per unit exposure, a mean over n periods).

    A rate times its exposure, or a mean times its n, gives the count back, so: the symbol when the
    count is suppressed, else the *controlled* (rounded) count divided by ``divisor``.
    """
    if divisor == 0 or pd.isna(divisor) or pd.isna(count):
        return math.nan
    shown = disclose_count(count, rule)
    return shown if isinstance(shown, str) else shown / divisor


def controlled_counts(values: Sequence[float] | np.ndarray, rule: DisclosureRule | None) -> np.ndarray:
    """Counts for a figure: NaN where suppressed (so no point or bar is drawn), others rounded.

    Missing values stay missing; a rule not in effect returns the values unchanged.
    """
    out = np.asarray(values, dtype=float).copy()
    if rule is None or not rule.in_effect:
        return out
    for i, value in enumerate(out):
        if not np.isnan(value):
            shown = disclose_count(value, rule)
            out[i] = np.nan if isinstance(shown, str) else shown
    return out


def controlled_shares(numerators: Sequence[float] | np.ndarray, denominators: Sequence[float] | np.ndarray,
                      rule: DisclosureRule | None, scale: float = 1.0) -> np.ndarray:
    """Shares for a figure: NaN where `disclose_share` would hide them, else the share."""
    out = []
    for x, n in zip(np.asarray(numerators, float), np.asarray(denominators, float), strict=True):
        shown = disclose_share(x, n, rule, scale)
        out.append(np.nan if isinstance(shown, str) else shown)
    return np.asarray(out, dtype=float)


def assert_no_identifying_columns(frame: pd.DataFrame, identifying_columns: Iterable[str]) -> None:
    """Raise `DisclosureError` naming any column of ``frame`` that identifies a person."""
    present = [str(c) for c in frame.columns if str(c) in set(map(str, identifying_columns))]
    if present:
        raise DisclosureError(
            f"column(s) {', '.join(repr(c) for c in present)} identify a person and must not "
            "appear in a report table; drop or aggregate them first"
        )


def _counts_matrix(frame: pd.DataFrame, count_columns: Sequence[str]) -> np.ndarray:
    missing = [c for c in count_columns if c not in frame.columns]
    if missing:
        raise DisclosureError(
            f"apply_disclosure: count column(s) {', '.join(map(repr, missing))} are not in the "
            f"table (columns: {', '.join(map(str, frame.columns))})"
        )
    values = np.full((len(frame), len(count_columns)), np.nan)
    for j, column in enumerate(count_columns):
        series = frame[column]
        numeric = pd.to_numeric(series, errors="coerce")
        for i, (raw, number) in enumerate(zip(series, numeric, strict=True)):
            if pd.isna(raw):
                continue
            label = frame.index[i]
            if pd.isna(number) or isinstance(raw, bool):
                raise DisclosureError(
                    f"apply_disclosure: column {column!r}, row {label!r}: {raw!r} is not a count"
                )
            if not math.isfinite(number) or number < 0 or number != math.floor(number):
                raise DisclosureError(
                    f"apply_disclosure: column {column!r}, row {label!r}: {raw!r} is not a "
                    "non-negative whole number; only counts can be disclosure-controlled"
                )
            values[i, j] = number
    return values


def _equations(
    shape: tuple[int, int],
    total_row: int | None,
    total_col: int | None,
    additive_rows: bool,
    additive_columns: bool,
) -> list[list[tuple[int, int]]]:
    """Each equation is the list of cells it adds up (a shown total cell included, with its sign
    irrelevant for recoverability); implicit totals are treated as known."""
    n_rows, n_cols = shape
    equations: list[list[tuple[int, int]]] = []
    interior_cols = [j for j in range(n_cols) if j != total_col]
    interior_rows = [i for i in range(n_rows) if i != total_row]
    if additive_rows and (len(interior_cols) > 1 or total_col is not None):
        for i in range(n_rows):
            equations.append([(i, j) for j in range(n_cols)])
    if additive_columns and (len(interior_rows) > 1 or total_row is not None):
        for j in range(n_cols):
            equations.append([(i, j) for i in range(n_rows)])
    return equations


def recoverable_cells(
    hidden: np.ndarray, equations: Sequence[Sequence[tuple[int, int]]], known: np.ndarray
) -> list[tuple[int, int]]:
    """Hidden cells whose value follows exactly from the equations (all other cells known).

    ``hidden`` and ``known`` are boolean masks (a missing value is neither hidden nor an unknown).
    A hidden cell k is recoverable iff every null-space vector of the equations' coefficient
    matrix over the hidden cells is zero at k.
    """
    unknowns = [tuple(cell) for cell in np.argwhere(hidden & known)]
    if not unknowns:
        return []
    position = {cell: k for k, cell in enumerate(unknowns)}
    rows = []
    for equation in equations:
        coefficients = np.zeros(len(unknowns))
        for cell in equation:
            if cell in position:
                coefficients[position[cell]] = 1.0
        if coefficients.any():
            rows.append(coefficients)
    if not rows:
        return []
    matrix = np.array(rows)
    _, singular, vt = np.linalg.svd(matrix)
    rank = int(np.sum(singular > 1e-9 * max(matrix.shape)))
    null_space = vt[rank:]
    if null_space.size == 0:
        return [(int(i), int(j)) for i, j in unknowns]
    free = np.abs(null_space).max(axis=0) > 1e-9
    return [(int(i), int(j)) for (i, j), f in zip(unknowns, free, strict=True) if not f]


def _smallest(candidates: Iterable[tuple[int, int]], values: np.ndarray,
              totals: set[tuple[int, int]]) -> tuple[int, int] | None:
    """Preference: the smallest shown non-zero interior cell, then a zero, then a total cell."""
    return min(candidates, key=lambda c: (c in totals, values[c] == 0, values[c], c), default=None)


def _single_fix(
    values: np.ndarray, hidden: np.ndarray, known: np.ndarray,
    equations: Sequence[np.ndarray], totals: set[tuple[int, int]],
) -> tuple[int, int] | None:
    """The classic rule, fast: in the first equation (row or column) with exactly one hidden
    cell, the next smallest cell to hide."""
    open_cells = (hidden & known).ravel()
    shown = (known & ~hidden).ravel()
    width = values.shape[1]
    for cells in equations:
        if open_cells[cells].sum() == 1 and shown[cells].any():
            return _smallest((divmod(int(c), width) for c in cells[shown[cells]]), values, totals)
    return None


def _bridge_fix(
    cell: tuple[int, int], values: np.ndarray, hidden: np.ndarray, known: np.ndarray,
    equations: Sequence[np.ndarray], totals: set[tuple[int, int]],
) -> tuple[int, int] | None:
    """For a cell recoverable only through a combination of equations (e.g. a cell bridging two
    protected blocks): the smallest shown cell in its own row or column."""
    width = values.shape[1]
    flat = cell[0] * width + cell[1]
    candidates = {
        divmod(int(c), width) for cells in equations if flat in cells for c in cells
        if known.flat[c] and not hidden.flat[c]
    }
    return _smallest(candidates, values, totals)


def apply_disclosure(
    frame: pd.DataFrame,
    count_columns: Sequence[str],
    *,
    rule: DisclosureRule | None = None,
    total_row: Hashable | None = None,
    total_column: str | None = None,
    additive_rows: bool = True,
    additive_columns: bool = True,
    derived: Mapping[str, Sequence[str]] | None = None,
    name: str = "",
) -> DisclosedTable:
    """Suppress small counts, protect them from recovery via totals, and round the rest.

    ``count_columns`` are the columns holding counts (other columns pass through untouched).
    ``total_row`` (an index label) and ``total_column`` name a shown total row and column;
    they are count cells like any other and are protected too. ``additive_rows`` /
    ``additive_columns`` say whether the count columns of a row (the rows of a column) add up to a
    total a reader knows or could compute; when True (the default, which is conservative) the
    totals are treated as known even if the table does not show them. Set ``additive_rows=False``
    for columns that are not parts of a whole (e.g. a numerator beside its denominator).
    ``derived`` maps a column computed from count columns of the same row (a percent, a rate, a
    mean) to those count columns: it shows the rule's symbol wherever one of them is hidden, since a
    percent or rate beside a hidden count gives the count back (SACRO's "differencing" and
    "recoverability" checks). A rule not in effect (`DisclosureRule.in_effect`) returns the table
    unchanged with a record saying control was switched off explicitly.
    """
    rule = rule or DisclosureRule()
    columns = tuple(str(c) for c in count_columns)
    if not columns:
        raise DisclosureError("apply_disclosure: count_columns is empty; name the count columns")
    if total_column is not None and total_column not in columns:
        raise DisclosureError(
            f"apply_disclosure: total_column {total_column!r} must be one of count_columns"
        )
    if total_row is not None and total_row not in frame.index:
        raise DisclosureError(f"apply_disclosure: total_row {total_row!r} is not a row label")
    if not frame.index.is_unique:
        raise DisclosureError("apply_disclosure: the table's row labels (index) must be unique")
    values = _counts_matrix(frame, columns)
    if not rule.in_effect:
        return DisclosedTable(frame=frame.copy(), rule=rule, count_columns=columns, name=name)

    known = ~np.isnan(values)
    hidden = known & (values >= rule.suppress_min) & (values <= rule.suppress_max)
    primary = hidden.copy()
    t_row = int(frame.index.get_loc(total_row)) if total_row is not None else None
    t_col = columns.index(total_column) if total_column is not None else None
    equations = _equations(values.shape, t_row, t_col, additive_rows, additive_columns)
    totals = {(i, j) for i in range(values.shape[0]) for j in range(values.shape[1])
              if i == t_row or j == t_col}
    if rule.secondary:
        flat_equations = [np.array([i * values.shape[1] + j for i, j in eq]) for eq in equations]
        while True:
            extra = _single_fix(values, hidden, known, flat_equations, totals)
            if extra is None:
                exposed = recoverable_cells(hidden, equations, known)
                if not exposed:
                    break
                extra = _bridge_fix(exposed[0], values, hidden, known, flat_equations, totals)
                if extra is None:
                    raise DisclosureError(
                        f"apply_disclosure: cell ({frame.index[exposed[0][0]]!r}, "
                        f"{columns[exposed[0][1]]!r}) cannot be protected by secondary "
                        "suppression: every other cell beside it is missing or hidden"
                    )
            hidden[extra] = True

    shown = frame.copy()
    for j, column in enumerate(columns):
        cells: list[object] = []
        for i in range(values.shape[0]):
            if not known[i, j]:
                cells.append(frame[column].iloc[i])
            elif hidden[i, j]:
                cells.append(rule.symbol)
            else:
                cells.append(_rounded(values[i, j], rule.rounding_base))
        shown[column] = pd.Series(cells, index=frame.index, dtype=object)
    for column, sources in (derived or {}).items():
        if column not in frame.columns or any(c not in columns for c in sources):
            raise DisclosureError(f"apply_disclosure: derived column {column!r} or its sources "
                                  f"{list(sources)} are not columns of the table / count_columns")
        rows = hidden[:, [columns.index(c) for c in sources]].any(axis=1)
        shown[column] = pd.Series([rule.symbol if h else v for h, v in zip(rows, frame[column], strict=True)],
                                  index=frame.index, dtype=object)

    def labels(mask: np.ndarray) -> tuple[tuple[Hashable, str], ...]:
        return tuple((frame.index[i], columns[j]) for i, j in np.argwhere(mask))

    return DisclosedTable(
        frame=shown, rule=rule, count_columns=columns, primary=labels(primary),
        secondary=labels(hidden & ~primary), name=name,
    )
