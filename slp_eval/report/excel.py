"""tables.xlsx: every table of a report, one sheet each, with the values the report shows.

The tables come from results.json's `report_tables` (`slp_eval.report.session.Report` records
each table as displayed: formatted and disclosure-controlled, so a suppressed count is ``*``
here as in the report). A cell that is a plain number in the report ("1,235", "-0.420") is
written as a number with a format that shows the same digits; every other cell is text. Text
that a spreadsheet would read as a formula (starting with = + - @, or a tab or carriage return)
is stored as a string with Excel's quote prefix, so it is shown, never evaluated (OWASP, "CSV
Injection"). The first sheet, README, names the run, its source data (path and SHA-256), its
parameters, the disclosure rule and whether the data are synthetic.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

#: Excel's limit on a sheet name, and the characters it refuses in one.
SHEET_NAME_LIMIT = 31
_BAD_SHEET_CHARACTERS = re.compile(r"[\[\]:*?/\\]")
#: First characters that make a spreadsheet treat a text cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A number as report tables print it: optional minus, thousands commas, optional decimals; no
# leading zero (a code such as "007" stays text) and at most 15 digits (exact in a double).
_PLAIN_NUMBER = re.compile(r"^-?(0|[1-9]\d{0,2}(,\d{3})+|[1-9]\d*)(\.(\d+))?$")


def sheet_names(captions: Sequence[str]) -> list[str]:
    """One valid, unique sheet name per caption (at most 31 characters, none of []:*?/\\)."""
    names: list[str] = []
    taken = {"readme"}
    for i, caption in enumerate(captions, start=1):
        base = " ".join(_BAD_SHEET_CHARACTERS.sub(" ", caption).split()).strip("'") or f"Table {i}"
        name, n = base[:SHEET_NAME_LIMIT].rstrip(), 1
        while name.lower() in taken:  # Excel compares sheet names case-insensitively
            n += 1
            suffix = f" ({n})"
            name = base[: SHEET_NAME_LIMIT - len(suffix)].rstrip() + suffix
        taken.add(name.lower())
        names.append(name)
    return names


def _put(cell: Cell, text: str) -> None:
    """Write one shown value: a plain number as a number in the same format, else inert text."""
    match = _PLAIN_NUMBER.match(text)
    if match and sum(c.isdigit() for c in text) <= 15:
        decimals = len(match.group(4) or "")
        cell.value = float(text.replace(",", "")) if decimals else int(text.replace(",", ""))
        thousands = "#,##0" if "," in text else "0"
        cell.number_format = thousands + ("." + "0" * decimals if decimals else "")
        return
    cell.value = text
    cell.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
    if text.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True


def _fill(sheet: Worksheet, rows: Iterable[Sequence[str]], header: Sequence[str] | None = None) -> None:
    start = 1
    if header:
        for j, name in enumerate(header, start=1):
            _put(sheet.cell(row=1, column=j), name)
            sheet.cell(row=1, column=j).font = Font(bold=True)
        sheet.freeze_panes = "A2"
        start = 2
    widths: dict[int, int] = {j: len(name) for j, name in enumerate(header or [], start=1)}
    for i, row in enumerate(rows, start=start):
        for j, value in enumerate(row, start=1):
            _put(sheet.cell(row=i, column=j), value)
            sheet.cell(row=i, column=j).alignment = Alignment(vertical="top", wrap_text=True)
            widths[j] = max(widths.get(j, 0), len(value))
    for j, width in widths.items():
        sheet.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), 60)


def write_tables_xlsx(
    path: Path,
    tables: Sequence[Mapping[str, Any]],
    *,
    readme: Sequence[tuple[str, str]],
) -> list[str]:
    """Write `tables` (records with caption, columns, rows, note) and a README sheet to `path`.

    `readme` is (item, value) rows. Returns the table sheets' names, in the order of `tables`.
    """
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "README"
    names = sheet_names([str(t.get("caption") or "") for t in tables])
    contents = [(f"Sheet: {name}", str(t.get("caption") or "(no caption)"))
                for name, t in zip(names, tables, strict=True)]
    _fill(sheet, [*readme, *contents], header=["Item", "Value"])
    for name, table in zip(names, tables, strict=True):
        page = book.create_sheet(name)
        rows = [[str(v) for v in row] for row in table.get("rows", [])] or [["None."]]  # as the report
        if table.get("note"):
            rows += [[], [f"Note: {table['note']}"]]
        _fill(page, rows, header=[str(c) for c in table.get("columns", [])])
    book.save(path)
    return names


__all__ = ["FORMULA_TRIGGERS", "SHEET_NAME_LIMIT", "sheet_names", "write_tables_xlsx"]
