"""Validated loading: `load(path, dataset)` returns a typed frame or raises one
`DataValidationError` listing every problem (file, row, column, value, rule).

Order of checks: the file is the format its extension says and can be read (CSV: UTF-8,
comma-delimited, same number of fields on every row); the header has every required column
and no column the dictionary does not know; every cell parses to its type; the pandera schema
built from the dictionary (nullability, uniqueness, vocabularies, ranges, patterns), run
lazily; then the dataset-level rules. Values of columns that identify a person are withheld
from every message and report.

Suppression: a numeric cell holding one of the dataset's `suppression_markers` (`*` unless the
dictionary says otherwise) is a figure the publisher suppressed. It is read as missing, never
imputed, and flagged in a boolean column `<field>_suppressed` added after the dataset's fields
(one per numeric field that has a suppressed cell, so each flag says which figure was hidden; a
single `suppressed` column could not tell a suppressed numerator from a suppressed denominator).
Any other text in a numeric field is still an error naming the file, row, column and rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa

from slp_eval.data.dictionary import NUMERIC_TYPES, DataDictionary, Dataset, Field, read_dictionary
from slp_eval.data.parse import TYPE_RULES, parse_column
from slp_eval.data.read import Failure, failure, read_raw
from slp_eval.data.rules import apply_rules
from slp_eval.data.schema import build_schema
from slp_eval.errors import DataValidationError

#: Columns of `ValidationReport.failures` and `DataValidationError.report`.
REPORT_COLUMNS: tuple[str, ...] = ("file", "row", "column", "value", "rule")
WITHHELD = "<withheld: identifies a person>"
#: At most this many failures are written into an error message (the report has them all).
MESSAGE_LIMIT = 50

_PANDERA_RULES = {
    "not_nullable": "missing value in a required field",
    "field_uniqueness": "duplicate value; the column must be unique",
}


@dataclass(frozen=True)
class ValidationReport:
    """Every failure found in one file against one dataset of the dictionary."""

    path: Path
    dataset: str
    failures: pd.DataFrame
    frame: pd.DataFrame | None = field(default=None, repr=False)
    #: Cells suppressed at source, by column (only columns with at least one).
    suppressed: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the file has no failure."""
        return self.failures.empty

    def to_frame(self) -> pd.DataFrame:
        """The tidy failures frame (columns `file`, `row`, `column`, `value`, `rule`)."""
        return self.failures.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        rows = self.failures.astype(object).where(self.failures.notna(), None)
        return {
            "file": str(self.path),
            "dataset": self.dataset,
            "ok": self.ok,
            "failures": rows.to_dict(orient="records"),
            "suppressed": dict(self.suppressed),
        }

    def summary(self) -> str:
        """Text listing every failure (at most MESSAGE_LIMIT lines) or saying the file is valid."""
        if self.ok:
            n = 0 if self.frame is None else len(self.frame)
            cells = sum(self.suppressed.values())
            hidden = f"; {cells} cells suppressed at source, read as missing" if cells else ""
            return f"{self.path}: valid {self.dataset} file ({n} rows{hidden})"
        count = len(self.failures)
        lines = [
            f"{self.path}: {count} problem{'s' if count != 1 else ''} against the data dictionary "
            f"for dataset {self.dataset!r} (rows are data rows, numbered from 1 after the header):"
        ]
        for rec in self.failures.head(MESSAGE_LIMIT).itertuples(index=False):
            where = []
            if not pd.isna(rec.row):
                where.append(f"row {rec.row}")
            if not pd.isna(rec.column):
                where.append(f"column {rec.column!r}")
            if not pd.isna(rec.value):
                where.append(f"value {rec.value!r}")
            lines.append(f"  - {', '.join(where) or 'file'}: {rec.rule}")
        if count > MESSAGE_LIMIT:
            lines.append(f"  ... and {count - MESSAGE_LIMIT} more (see the report frame)")
        return "\n".join(lines)


def _header_failures(raw: pd.DataFrame, ds: Dataset) -> list[Failure]:
    out: list[Failure] = []
    duplicated = sorted({c for c in raw.columns if list(raw.columns).count(c) > 1})
    out += [failure("column appears more than once in the header", column=c) for c in duplicated]
    missing = [c for c in ds.required_columns if c not in raw.columns]
    out += [failure(f"required column is missing from the {ds.name} file", column=c) for c in missing]
    extra = [c for c in dict.fromkeys(raw.columns) if c not in ds.field_names]
    out += [failure(f"unexpected column: not in the {ds.name} data dictionary", column=c) for c in extra]
    return out


def suppressed_cells(cells: pd.Series, field: Field, ds: Dataset) -> pd.Series:
    """Mask of the raw cells of `field` that hold one of the dataset's suppression markers (never
    for a field that is not numeric: a `*` in a code or a date is not a suppressed figure)."""
    if field.type not in NUMERIC_TYPES or not ds.suppression_markers:
        return pd.Series(False, index=cells.index)
    markers = set(ds.suppression_markers)
    return cells.map(lambda v: isinstance(v, str) and v.strip() in markers).astype(bool)


def _type_rule(field: Field, ds: Dataset, value: object) -> str:
    """The rule a cell broke; for text in a numeric field of a dataset with suppression markers,
    the markers it could have been."""
    rule = TYPE_RULES[field.type]
    try:
        float(str(value))
    except ValueError:
        text = True
    else:
        text = False  # a number of the wrong kind (1.5 for a whole number): the markers are beside the point
    if text and field.type in NUMERIC_TYPES and ds.suppression_markers:
        shown = ", ".join(repr(m) for m in ds.suppression_markers)
        rule += f" (nor a suppression marker the data dictionary declares for {ds.name}: {shown})"
    return rule


def _show(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return str(value)


def _pandera_failures(typed: pd.DataFrame, ds: Dataset, d: DataDictionary) -> list[Failure]:
    schema = build_schema(ds, d, columns=list(typed.columns))
    try:
        schema.validate(typed, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        return [
            failure(
                _PANDERA_RULES.get(str(c["check"]), str(c["check"])),
                None if pd.isna(c["index"]) else int(c["index"]) + 1,
                c["column"],
                _show(c["failure_case"]),
            )
            for c in cases.to_dict(orient="records")
        ]
    return []


def _report_frame(path: Path, failures: list[Failure], ds: Dataset) -> pd.DataFrame:
    frame = pd.DataFrame(failures, columns=["row", "column", "value", "rule"])
    frame.insert(0, "file", str(path))
    frame["row"] = frame["row"].astype("Int64")
    frame["value"] = frame["value"].map(_show).astype(object)
    identifying = frame["column"].isin(ds.identifying_columns) & frame["value"].notna()
    frame.loc[identifying, "value"] = WITHHELD
    frame = frame.sort_values(["row", "column"], na_position="first", kind="stable")
    return frame.reset_index(drop=True)[list(REPORT_COLUMNS)]


def validate_file(
    path: str | Path, dataset: str, *, dictionary: DataDictionary | None = None
) -> ValidationReport:
    """Check `path` against `dataset` of the data dictionary and report every failure."""
    path = Path(path)
    d = dictionary if dictionary is not None else read_dictionary()
    ds = d.dataset(dataset)
    if not path.is_file():
        failures = [failure("no such file")]
        return ValidationReport(path, dataset, _report_frame(path, failures, ds))
    raw, failures = read_raw(path, len(ds.required_columns))
    typed, suppressed = None, {}
    if raw is not None:
        failures += _header_failures(raw, ds)
        raw = raw.loc[:, ~raw.columns.duplicated()]
        known = [f for f in ds.fields if f.name in raw.columns]
        columns, bad_cells, flags = {}, set(), {}
        for f in known:
            hidden = suppressed_cells(raw[f.name], f, ds)
            columns[f.name], bad = parse_column(raw[f.name].where(~hidden, None), f.type)
            for i in bad[bad].index:
                cell = raw.at[i, f.name]
                failures.append(failure(_type_rule(f, ds, cell), int(i) + 1, f.name, cell))
                bad_cells.add((int(i) + 1, f.name))
            if hidden.any():
                flags[f"{f.name}_suppressed"] = hidden
                if not f.nullable:
                    for i in hidden[hidden].index:
                        failures.append(failure("suppressed at source, but the field may not be missing",
                                                int(i) + 1, f.name, raw.at[i, f.name]))
                        bad_cells.add((int(i) + 1, f.name))
        typed = pd.DataFrame(columns, index=raw.index)
        failures += [
            fail for fail in _pandera_failures(typed, ds, d) if (fail["row"], fail["column"]) not in bad_cells
        ]
        failures += apply_rules(typed, ds.rules, d)
        suppressed = {name.removesuffix("_suppressed"): int(flag.sum()) for name, flag in flags.items()}
        typed = typed.assign(**flags)
    report = _report_frame(path, failures, ds)
    return ValidationReport(path, dataset, report, typed if report.empty else None, suppressed)


def load(path: str | Path, dataset: str, *, dictionary: DataDictionary | None = None) -> pd.DataFrame:
    """Read a CSV, Parquet or Excel (.xlsx) file and return it typed and validated.

    Raises `DataValidationError` listing every failure (its `.report` is the tidy failures
    frame). The returned frame carries `attrs`: `identifying_columns` (columns that identify a
    person: never show them), `source_file`, `dataset`, `synthetic` (True when the file's
    `synthetic` column is present and true on every row) and `suppressed` (cells suppressed at
    source, by column; each such column has its `<column>_suppressed` flag).
    """
    report = validate_file(path, dataset, dictionary=dictionary)
    if not report.ok:
        raise DataValidationError(report.summary(), report=report.failures)
    frame = report.frame
    assert frame is not None  # a valid report always carries its frame
    frame = frame.reset_index(drop=True)
    ds = (dictionary if dictionary is not None else read_dictionary()).dataset(dataset)
    frame.attrs["identifying_columns"] = [c for c in ds.identifying_columns if c in frame.columns]
    frame.attrs["source_file"] = str(path)
    frame.attrs["dataset"] = dataset
    frame.attrs["synthetic"] = bool("synthetic" in frame.columns and frame["synthetic"].all())
    frame.attrs["suppressed"] = dict(report.suppressed)
    return frame
