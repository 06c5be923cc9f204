"""Reading CSV, Parquet and Excel files into raw (untyped) frames, checking the format first.

Every problem is returned as a failure record rather than raised, so that the loader can
report all of them at once. Cells stay as read (strings from CSV, Python objects from
Parquet/Excel); typing is done by `slp_eval.data.parse`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

Failure = dict[str, object]

SUFFIXES: dict[str, str] = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".xlsx": "excel"}
_OTHER_DELIMITERS = (";", "\t", "|")
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PAR1", "Parquet"),
    (b"PK\x03\x04", "zip (Excel .xlsx)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy Excel .xls (OLE)"),
    (b"%PDF", "PDF"),
)


def failure(rule: str, row: int | None = None, column: str | None = None, value: object = None) -> Failure:
    """One failure record; `row` counts data rows from 1 (the first row after the header)."""
    return {"row": row, "column": column, "value": value, "rule": rule}


def _sniff(head: bytes) -> str:
    """What the first bytes of a file say it is: a known binary format, 'binary' or 'text'."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return "binary" if b"\x00" in head else "text"


def _read_csv(data: bytes, expected_columns: int) -> tuple[pd.DataFrame | None, list[Failure]]:
    kind = _sniff(data[:1024])
    if kind != "text":
        return None, [failure(f"not a CSV text file: its content is {kind} data")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start : exc.start + 1].hex()
        return None, [
            failure(
                f"not UTF-8 encoded: byte 0x{byte} on line {line} is not valid UTF-8 "
                "(save the file as CSV UTF-8)"
            )
        ]
    rows = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
    if not rows:
        return None, [failure("the file is empty")]
    header, body = rows[0], rows[1:]
    if len(header) == 1 and expected_columns > 1:
        for delimiter in _OTHER_DELIMITERS:
            if delimiter in header[0]:
                shown = "tab" if delimiter == "\t" else repr(delimiter)
                return None, [
                    failure(
                        f"the header has a single column; the file looks delimited by {shown}, "
                        "but CSV files must be comma-delimited"
                    )
                ]
    if not body:
        return None, [failure("the file has a header but no data rows")]
    failures = [
        failure(f"has {len(r)} fields, the header has {len(header)}", row=i)
        for i, r in enumerate(body, start=1)
        if len(r) != len(header)
    ]
    good = [(i, r) for i, r in enumerate(body) if len(r) == len(header)]
    frame = pd.DataFrame([r for _, r in good], index=[i for i, _ in good], columns=header, dtype=object)
    frame = frame.where(frame.map(lambda v: v.strip() != ""), None)
    return frame, failures


def _read_parquet(path: Path, data: bytes) -> tuple[pd.DataFrame | None, list[Failure]]:
    if not (data.startswith(b"PAR1") and data.endswith(b"PAR1")):
        kind = _sniff(data[:1024])
        found = "text" if kind == "text" else kind
        return None, [failure(f"not a Parquet file (no PAR1 magic bytes): its content is {found} data")]
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        return None, [failure(f"cannot be read as Parquet: {exc}")]
    return frame.astype(object).where(frame.notna(), None), []


def _read_excel(path: Path, data: bytes) -> tuple[pd.DataFrame | None, list[Failure]]:
    if not data.startswith(b"PK\x03\x04"):
        kind = _sniff(data[:1024])
        return None, [failure(f"not an Excel .xlsx file: its content is {kind} data")]
    try:
        frame = pd.read_excel(path, sheet_name=0, dtype=object, engine="openpyxl")
    except Exception as exc:  # openpyxl raises several types for corrupt workbooks
        return None, [failure(f"cannot be read as an Excel workbook: {exc}")]
    frame.columns = [str(c) for c in frame.columns]
    return frame.astype(object).where(frame.notna(), None), []


def read_header(path: Path) -> list[str] | None:
    """The column names of a data file, read from its header only (CSV: the first record;
    Parquet: the schema in the footer; Excel: the first row of the first sheet), never the rows.

    None when the header cannot be read (unknown type, not that format, not UTF-8, empty):
    loading the file reports why, with the rule.
    """
    kind = SUFFIXES.get(path.suffix.lower())
    try:
        if kind == "csv":
            with path.open(encoding="utf-8-sig", newline="") as handle:
                # the first record, which may span lines when a quoted name holds a line break
                header = next((row for row in csv.reader(handle) if row), None)
            return header
        if kind == "parquet":
            import pyarrow.parquet as pq  # only for Parquet files

            return [str(name) for name in pq.read_schema(path).names]
        if kind == "excel":
            from openpyxl import load_workbook  # only for Excel files

            book = load_workbook(path, read_only=True, data_only=True)
            try:
                first = next(book.worksheets[0].iter_rows(max_row=1, values_only=True), ())
            finally:
                book.close()
            return [str(name) for name in first if name is not None]
    except Exception:  # pyarrow and openpyxl raise many types; the loader reports why, with the rule
        return None
    return None


def read_raw(path: Path, expected_columns: int) -> tuple[pd.DataFrame | None, list[Failure]]:
    """Read `path` by its extension after checking its content is that format.

    Returns the raw frame (index = data row number - 1) or None when nothing can be read, and
    the failures found.
    """
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(SUFFIXES)
        return None, [failure(f"file type {path.suffix!r} is not supported (use {known})")]
    data = path.read_bytes()
    if not data.strip():
        return None, [failure("the file is empty")]
    if kind == "csv":
        frame, failures = _read_csv(data, expected_columns)
    elif kind == "parquet":
        frame, failures = _read_parquet(path, data)
    else:
        frame, failures = _read_excel(path, data)
    if frame is not None and frame.empty and not failures:
        return None, [failure("the file has a header but no data rows")]
    return frame, failures
