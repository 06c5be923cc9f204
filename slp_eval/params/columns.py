"""The columns a parameter file names, checked against its data file's header before anything runs.

A misspelt outcome or filter column is caught when the file is validated (exit 2, nothing run)
rather than in the middle of the notebook: the header alone is read (`slp_eval.data.read.read_header`),
never the rows, so no value of the file (identifying or not) can reach a message; column names do.
"""

import difflib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

#: Parameters that name a column of the data file, as field paths: `[]` stands for every item of a
#: list, `{}` for every key of a mapping. A new kind whose fields use these names is checked too.
COLUMN_PARAMETERS: tuple[str, ...] = (
    "outcome", "value", "time", "group", "offset", "trials", "date_column", "coverage_column",
    "time_parts.year", "time_parts.month", "covariates[]", "counts[]", "filters{}", "panels[].filters{}",
    "by", "by[]", "numerator", "denominator", "panels[].value", "panels[].numerator", "panels[].denominator",
    "funnel.unit", "funnel.numerator", "funnel.denominator", "funnel.filters{}", "predictors[].column",
)
#: Parameters that may name a column the package derives (`slp_eval.series.DERIVED`) or, with a
#: `filters.measure`, the measure itself (its `value` column).
DERIVABLE: tuple[str, ...] = ("outcome", "value", "panels[].value")
RULE = "rule: every column a parameter names must be in the data file's header"


def _walk(value: Any, parts: list[str], where: str) -> Iterator[tuple[str, str]]:
    name, _, rest = parts[0].partition("[")
    items = name.endswith("{}")
    name = name.removesuffix("{}")
    current = getattr(value, name, None) if isinstance(value, BaseModel) else None
    path = f"{where}.{name}" if where else name
    if current is None:
        return
    if items:
        yield from ((f"{path}.{key}", str(key)) for key in current)
    elif rest == "]":
        if isinstance(current, str):  # a name or a list of names (`by`): the plain pattern has it
            return
        for i, item in enumerate(current):
            if parts[1:]:
                yield from _walk(item, parts[1:], f"{path}[{i}]")
            elif isinstance(item, str):
                yield f"{path}[{i}]", item
    elif parts[1:]:
        yield from _walk(current, parts[1:], path)
    elif isinstance(current, str):
        yield path, current


def column_references(params: BaseModel) -> list[tuple[str, str]]:
    """(parameter path, column name) for every column the parameters name (`COLUMN_PARAMETERS`).

    `time` is left out when `time_parts` builds it from a year and a month column.
    """
    found = [ref for pattern in COLUMN_PARAMETERS for ref in _walk(params, pattern.split("."), "")]
    if getattr(params, "time_parts", None) is not None:
        found = [(where, column) for where, column in found if where != "time"]
    return found


def column_problems(params: BaseModel, path: Path, header: list[str]) -> list[str]:
    """One line per column the parameters name that the header of `path` lacks: the parameter,
    the file, the rule, the closest name ("did you mean") and every column available, derived
    ones (`share`, `percent`, `rate`) included where their inputs are present."""
    from slp_eval.series import DERIVED  # loads pandas: only when a file is checked

    derived = [name for name, (top, bottom, _) in DERIVED.items() if top in header and bottom in header]
    measures = {(getattr(params, "filters", None) or {}).get("measure")}
    measures |= {panel.filters.get("measure") for panel in getattr(params, "panels", None) or []
                 if isinstance(getattr(panel, "filters", None), dict)}
    available = [*header, *(d for d in derived if d not in header)]
    listing = f"columns: {', '.join(header)}" + (f"; derived: {', '.join(derived)}" if derived else "")
    problems = []
    for where, column in column_references(params):
        if column in header:
            continue
        pattern = re.sub(r"\[\d+\]", "[]", where)
        if pattern in DERIVABLE and (column in derived or (column in measures and "value" in header)):
            continue
        close = difflib.get_close_matches(column, available, n=1, cutoff=0.6)
        if not close:
            close = [c for c in available if c.casefold() == column.casefold()][:1]
        hint = f"; did you mean {close[0]!r}?" if close else ""
        problems.append(f"{where}: {path} has no column {column!r}{hint} ({listing}); {RULE}")
    return problems


__all__ = ["COLUMN_PARAMETERS", "DERIVABLE", "column_problems", "column_references"]
