"""Tables for a report: numbers at a fixed precision, rendered the same way every run.

Values are formatted to text here (not by the notebook front end), so a stored notebook, its
re-execution under nbval and report.html all show identical digits.
"""

import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from numbers import Integral, Real
from typing import Any

import pandas as pd

#: p-values below this are shown as "<0.001".
P_FLOOR = 0.001
#: A cell that reads as a number, a p-value, an interval or a suppressed count (right-aligned).
_NUMERIC = re.compile(r"^([<>]?[-+]?[\d,]*\.?\d+%?( to [-+]?[\d,]*\.?\d+)?|\*|)$")


def format_number(value: object, digits: int = 3) -> str:
    """`value` with `digits` decimals and thousands separators; "" for a missing value.

    Integers print without decimals; a value that rounds to zero prints without a minus sign.
    """
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool) or not isinstance(value, Real):
        return str(value)
    if isinstance(value, Integral):
        return f"{int(value):,}"
    text = f"{float(value):,.{digits}f}"
    return text[1:] if text.startswith("-") and float(text[1:].replace(",", "")) == 0 else text


def format_p(value: object) -> str:
    """A p-value to 3 decimals, or "<0.001" (text passes through: it is already formatted)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, str):
        return value
    p = float(value)  # type: ignore[arg-type]
    return f"<{P_FLOOR}" if p < P_FLOOR else f"{p:.3f}"


def format_frame(frame: pd.DataFrame, digits: int | Mapping[str, int] = 3) -> pd.DataFrame:
    """Every numeric column as text at its precision (`digits` per column or for all)."""
    out = frame.copy()
    for column in out.columns:
        if column in ("p_value", "p", "p_adjusted", "adjusted_p"):
            out[column] = [format_p(v) for v in out[column]]
        elif pd.api.types.is_numeric_dtype(out[column]) or out[column].dtype == object:
            d = digits.get(str(column), 3) if isinstance(digits, Mapping) else digits
            out[column] = [format_number(v, d) for v in out[column]]
    return out.astype(str)


def interval(low: object, high: object, digits: int = 3) -> str:
    """"low to high" (a word, not a dash, so negative bounds stay readable)."""
    if format_number(low, digits) == "" or format_number(high, digits) == "":
        return ""
    return f"{format_number(low, digits)} to {format_number(high, digits)}"


@dataclass(frozen=True)
class Table:
    """A formatted table with a caption; displays as HTML in a notebook and report, text elsewhere."""

    frame: pd.DataFrame
    caption: str = ""
    note: str = ""

    def _repr_html_(self) -> str:
        caption = f"<p><strong>{escape(self.caption)}</strong></p>\n" if self.caption else ""
        note = f"\n<p><em>{escape(self.note)}</em></p>" if self.note else ""
        if self.frame.empty:
            return caption + "<p>None.</p>" + note
        key = "|".join([self.caption, *map(str, self.frame.columns)]).encode()
        table_id = "slp-" + hashlib.sha256(key).hexdigest()[:10]  # stable across runs
        html = self.frame.to_html(index=False, border=0, classes="slp-table", escape=True, table_id=table_id)
        return caption + _alignment_style(self.frame, table_id) + html + note

    def record(self) -> dict[str, Any]:
        """The table as shown (text cells), for results.json's `report_tables` and tables.xlsx."""
        return {
            "caption": self.caption,
            "columns": [str(c) for c in self.frame.columns],
            "rows": [[str(v) for v in row] for row in self.frame.itertuples(index=False)],
            "note": self.note,
        }

    def __repr__(self) -> str:
        parts = [self.caption] if self.caption else []
        parts.append("None." if self.frame.empty else self.frame.to_string(index=False))
        if self.note:
            parts.append(self.note)
        return "\n".join(parts)


def _alignment_style(frame: pd.DataFrame, table_id: str) -> str:
    """CSS: text columns left-aligned and top-aligned, number columns right-aligned."""
    rules = [f"#{table_id} th, #{table_id} td {{text-align: left; vertical-align: top;}}"]
    for i, column in enumerate(frame.columns, start=1):
        if all(_NUMERIC.match(str(v)) for v in frame[column]):
            rules.append(f"#{table_id} td:nth-child({i}), #{table_id} th:nth-child({i}) "
                         "{text-align: right;}")
    return "<style>" + " ".join(rules) + "</style>\n"


__all__ = ["P_FLOOR", "Table", "format_frame", "format_number", "format_p", "interval"]
