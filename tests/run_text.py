"""The text of any file a run writes, for tests that search a whole run for what must not appear:
report.pdf through its extracted text (pypdf), tables.xlsx through every cell of every sheet
(openpyxl), anything else read as UTF-8."""

from pathlib import Path

from openpyxl import load_workbook
from pypdf import PdfReader


def file_text(path: Path) -> str:
    if path.suffix == ".pdf":
        return "\n".join(page.extract_text() for page in PdfReader(path).pages)
    if path.suffix == ".xlsx":
        book = load_workbook(path, read_only=True)
        return "\n".join("\t".join("" if v is None else str(v) for v in row)
                         for sheet in book for row in sheet.iter_rows(values_only=True))
    return path.read_text(encoding="utf-8")
