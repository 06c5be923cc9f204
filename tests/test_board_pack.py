"""The board pack of a run: report.pdf (WeasyPrint, A4) and tables.xlsx (every table shown).

Tests marked `pdf` need WeasyPrint's system library, Pango: they skip where it is missing, except
under CI=true, where that skip is a failure (tests/conftest.py); `.ci/run` installs Pango.
"""

import hashlib
import http.server
import json
import re
import threading
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from slp_eval import cli
from slp_eval.report import pdf as pdf_module
from slp_eval.report import start
from slp_eval.report.excel import SHEET_NAME_LIMIT, sheet_names, write_tables_xlsx
from slp_eval.report.export import export_html
from slp_eval.report.pdf import html_to_pdf, pdf_unavailable
from slp_eval.runner import RunResult, run, write_tables

ROOT = Path(__file__).resolve().parent.parent
ITS_PARAMS = ROOT / "params" / "ccp_in_south_london.yaml"
A4_PT = (595.28, 841.89)  # 210 x 297 mm in PDF points


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def its_run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    result = run(ITS_PARAMS, out_root=tmp_path_factory.mktemp("outputs"))
    assert result.status == "succeeded", result.reason
    return result


# -- tables.xlsx ---------------------------------------------------------------------------------
def test_sheet_names_are_valid_unique_and_at_most_31_characters() -> None:
    captions = ["Effect of the programme versus the counterfactual (95% CI)",
                "Effect of the programme versus the counterfactual (90% CI)",
                "a/b: c*d?", "", "README", "x" * 40]
    names = sheet_names(captions)
    assert all(len(n) <= SHEET_NAME_LIMIT for n in names)
    assert len({n.lower() for n in names} | {"readme"}) == len(names) + 1
    assert names[0] == "Effect of the programme versus"
    assert names[1] == "Effect of the programme ver (2)"
    assert names[2] == "a b c d" and names[3] == "Table 4" and names[4] == "README (2)"


def test_formula_text_is_stored_inert_and_numbers_keep_their_digits(tmp_path: Path) -> None:
    rows = [["=HYPERLINK(\"http://x\",\"y\")", "1,235", "*"],
            ["+1+2", "-0.420", "<0.001"],
            ["-2+3", "007", "2018-04"],
            ["@SUM(A1:A2)", "12", "\tx"]]
    path = tmp_path / "t.xlsx"
    table = {"caption": "Injected", "columns": ["=cmd", "n", "p"], "rows": rows, "note": ""}
    write_tables_xlsx(path, [table], readme=[("Run id", "=1+1")])
    book = load_workbook(path)
    sheet = book["Injected"]
    texts = [sheet[f"A{i}"] for i in range(1, 6)] + [sheet["C5"], book["README"]["B2"]]
    for cell in texts:  # a string, never a formula, with Excel's quote prefix
        assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
    assert sheet["A2"].value == rows[0][0] and book["README"]["B2"].value == "=1+1"
    assert (sheet["B2"].value, sheet["B2"].number_format) == (1235, "#,##0")
    assert (sheet["B3"].value, sheet["B3"].number_format) == (-0.42, "0.000")
    assert sheet["C2"].value == "*" and sheet["C2"].data_type == "s"
    assert sheet["B4"].value == "007" and sheet["C4"].value == "2018-04"  # codes and dates stay text
    assert sheet["C3"].value == "<0.001" and not sheet["C3"].quotePrefix
    with zipfile.ZipFile(path) as archive:  # nothing in the file is a formula
        xml = "".join(archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml and "<f " not in xml


def test_a_suppressed_count_is_a_star_in_tables_xlsx(tmp_path: Path) -> None:
    params = {"analysis": "its", "title": "Test",
              "data": {"path": str(ROOT / "data" / "synthetic" / "monthly_series.csv"),
                       "dataset": "monthly_series"},
              "filters": {"unit": "SLP", "measure": "ccp_in_south_london"},
              "outcome": "percent", "time": "period", "interruptions": ["2018-04"]}
    report = start(params, tmp_path, kind="its")
    frame = pd.DataFrame({"borough": ["Bexley", "Bromley", "Croydon"], "people": [3, 121, 44]})
    report.table(frame, name="people", caption="People by borough", counts=["people"])
    report.write_results([])
    results = json.loads((tmp_path / "results.json").read_text())
    shown = results["report_tables"][-1]
    assert shown["rows"] == [["Bexley", "*"], ["Bromley", "120"], ["Croydon", "*"]]
    data = ROOT / "data" / "synthetic" / "monthly_series.csv"
    manifest = {"title": "Test", "run_id": "20260101T000000Z-abcdef12", "analysis": "its",
                "synthetic": True, "disclosure": results["disclosure"],
                "parameter_file": {"path": str(ITS_PARAMS), "sha256": _sha(ITS_PARAMS)},
                "inputs": [{"path": str(data), "sha256": _sha(data)}]}
    write_tables(tmp_path, manifest, results)
    book = load_workbook(tmp_path / "tables.xlsx")
    sheet = book["People by borough"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["borough", "people"], ["Bexley", "*"], ["Bromley", 120], ["Croydon", "*"],
        [None, None], ["Note: " + shown["note"], None]]
    readme = dict(book["README"].iter_rows(min_row=2, values_only=True))
    assert readme["Source data [0]"] == "data/synthetic/monthly_series.csv"  # relative, not /work/...
    assert readme["Source data [0] SHA-256"] == _sha(data)
    assert readme["SYNTHETIC"].startswith("YES")
    assert readme["Disclosure rule"].startswith("counts 1-7 suppressed (shown as *)")


def test_tables_xlsx_of_a_run_has_every_table_shown_and_a_readme(its_run: RunResult) -> None:
    results = json.loads((its_run.run_dir / "results.json").read_text())
    manifest = its_run.manifest
    tables = results["report_tables"]
    captions = [t["caption"] for t in tables]
    assert any(c.startswith("Segmented regression estimates") for c in captions)
    assert "Parameters of this run" in captions
    book = load_workbook(its_run.run_dir / "tables.xlsx")
    assert book.sheetnames == ["README", *sheet_names(captions)]
    for name, table in zip(book.sheetnames[1:], tables, strict=True):
        values = list(book[name].iter_rows(values_only=True))
        if not table["rows"]:  # an empty table says so, as in the report
            assert values[len(table["columns"]) > 0][0] == "None."
            continue
        assert list(values[0]) == table["columns"]
        for shown, written in zip(table["rows"], values[1:], strict=False):
            # the same digits as the report: a number cell equals the shown text read as a number
            for text, value in zip(shown, written, strict=True):
                if isinstance(value, int | float):
                    assert float(text.replace(",", "")) == pytest.approx(value, abs=0)
                else:
                    assert (value or "") == text
    readme = dict(book["README"].iter_rows(min_row=2, values_only=True))
    assert readme["Run id"] == manifest["run_id"] == its_run.run_dir.name
    assert readme["Title"] == manifest["title"] and readme["Analysis"] == "its"
    assert readme["SYNTHETIC"].startswith("YES")
    assert readme["Source data [0] SHA-256"] == manifest["inputs"][0]["sha256"]
    assert readme["Parameter file"] == "params/ccp_in_south_london.yaml"
    assert readme["Parameter: interruptions"] == '["2018-04"]'
    assert not any(isinstance(v, str) and v.startswith("/") for v in readme.values())


def test_manifest_records_the_board_pack_with_hashes(its_run: RunResult) -> None:
    manifest = json.loads((its_run.run_dir / "manifest.json").read_text())
    assert manifest["outputs"]["tables.xlsx"] == _sha(its_run.run_dir / "tables.xlsx")
    assert manifest["board_pack"]["tables_xlsx"] == "tables.xlsx"
    if pdf_unavailable() is None:
        assert manifest["outputs"]["report.pdf"] == _sha(its_run.run_dir / "report.pdf")
        assert manifest["board_pack"] == {"pdf": "report.pdf", "pdf_missing": None,
                                          "tables_xlsx": "tables.xlsx"}
    html = its_run.report.read_text()
    title = re.search(r"<title>(.*?)</title>", html, re.DOTALL)
    assert title and title.group(1) == "Complex Care Programme: share of the cohort placed in south London"


# -- report.pdf ----------------------------------------------------------------------------------
@pytest.mark.pdf
@pytest.mark.skipif(pdf_unavailable() is not None, reason=f"report.pdf: {pdf_unavailable()}")
def test_report_pdf_is_a4_with_the_title_and_answer_and_a_full_first_page(its_run: RunResult) -> None:
    import pypdfium2
    from pypdf import PdfReader

    path = its_run.run_dir / "report.pdf"
    reader = PdfReader(path)
    assert 3 <= len(reader.pages) <= 20
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A4_PT, abs=0.5)
    first = " ".join(reader.pages[0].extract_text().split())
    assert "Complex Care Programme: share of the cohort placed in south London" in first
    assert "SYNTHETIC DATA" in first
    answer = json.loads((its_run.run_dir / "results.json").read_text()).get("answer")
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    if answer:  # the answer box, where the report has one, is on the first page
        assert " ".join(answer["verdict"].split())[:60] in first
    assert "Segmented regression estimates" in text and "Disclosure control" in text
    assert "Data behind this figure" not in text  # figure data stays in report.html
    document = pypdfium2.PdfDocument(path)
    pages = [np.asarray(document[i].render(scale=1).to_pil().convert("L")) for i in range(len(document))]
    ink = [(page < 128).mean() for page in pages]
    assert min(ink) > 0.002, f"a page is (nearly) blank: ink fractions {ink}"
    rows_with_ink = np.flatnonzero((pages[0] < 128).any(axis=1))
    # the first page is filled: its content runs into the bottom quarter, not a title alone
    assert rows_with_ink.max() > 0.75 * pages[0].shape[0]
    # nothing printed in the right margin (13 mm = 37 pt): no table or figure runs off the page
    for i, page in enumerate(pages):
        assert page[: int(0.9 * page.shape[0]), -30:].min() > 200, f"ink in the right margin of page {i + 1}"


@pytest.mark.pdf
@pytest.mark.skipif(pdf_unavailable() is not None, reason=f"report.pdf: {pdf_unavailable()}")
def test_making_the_pdf_fetches_nothing(tmp_path: Path) -> None:
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    pixel = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNk"
             "YAAAAAYAAjCB0C8AAAAASUVORK5CYII=")
    html = (f'<html><head><link rel="stylesheet" href="{url}/a.css"><link rel="stylesheet" '
            f'href="{secret.as_uri()}"><style>@import url("{url}/b.css");</style></head><body>'
            f'<h1>T</h1><img src="{url}/c.png"><img src="{pixel}"></body></html>')
    try:
        refused = html_to_pdf(html, tmp_path / "x.pdf")
    finally:
        server.shutdown()
    assert hits == []
    assert set(refused) == {f"{url}/a.css", secret.as_uri(), f"{url}/b.css", f"{url}/c.png"}
    assert (tmp_path / "x.pdf").read_bytes().startswith(b"%PDF")


def test_without_pango_the_run_succeeds_without_a_pdf_and_says_so_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    reason = "WeasyPrint cannot load the Pango library (no library called pango-1.0-0 was found); install"
    monkeypatch.setattr(pdf_module, "pdf_unavailable", lambda: reason)
    code = cli.main(["run", str(ITS_PARAMS), "--out", str(tmp_path), "--quiet"])
    captured = capsys.readouterr()
    assert code == 0
    assert captured.err.count("report.pdf not written") == 1 and reason in captured.err
    (run_dir,) = (tmp_path / "ccp_in_south_london").iterdir()
    assert not (run_dir / "report.pdf").exists() and (run_dir / "tables.xlsx").is_file()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "succeeded"
    assert manifest["board_pack"]["pdf"] is None and reason in manifest["board_pack"]["pdf_missing"]
    assert "report.pdf" not in manifest["outputs"]


def test_page_title_is_the_report_title_escaped() -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_markdown_cell("# Heading"))
    page = export_html(notebook, title="<script>alert(1)</script> & Co")
    assert re.search(r"<title>(.*?)</title>", page, re.DOTALL).group(1) == (  # type: ignore[union-attr]
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co")
    assert "<script" not in page and "@page" in page and "size: A4" in page
    assert "<title>Notebook</title>" not in export_html(notebook, title="Report")
