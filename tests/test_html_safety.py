"""Nothing a parameter file or a data file says can turn a run's outputs into markup or script.

Reports are e-mailed to boards: hostile text in the title, question, labels, claim text, a column
name or a group value must reach every file of the run directory as inert text, and report.html
must load nothing from the network (issue 10).
"""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from slp_eval.markup import defuse_markdown, escape_markdown, html_safe_json
from slp_eval.report.export import clean_report_html
from slp_eval.runner import PROJECT_ROOT, run

SCRIPT = "<script>alert('title')</script>"
LINK = "[click](javascript:alert('link'))"
FRAME = "<iframe src=javascript:alert('frame')></iframe>"
HANDLER = "<b onmouseover=alert('hover')>x</b>"
STYLE = "<style>body{display:none}</style>"
IMAGE = "![t](https://evil.example/track.png)"
COLUMN = "y <script>alert('column')</script>"
GROUP = "A <img src=x onerror=alert('group')>"
#: Every payload as it would be live in HTML (as plain text, without its `<`, it is inert).
LIVE = [SCRIPT, FRAME, HANDLER, STYLE, GROUP, "<script", "<iframe", "<b onmouseover", "<style>body",
        "<img src=x", "href=\"javascript:", "src=\"javascript:", "=\"https://evil.example"]
#: A Markdown link or image to the payloads (a `]` not escaped, then `(`), live only in Markdown.
LIVE_MARKDOWN = re.compile(r"(?<!\\)\]\s*\((?:javascript:|https?://evil)")


# -- the helpers -----------------------------------------------------------------------------------


def test_escape_markdown_keeps_text_as_typed_and_inert() -> None:
    assert escape_markdown("T <script>alert('t')</script> *a* [b](c) `d` $e$\n# f") == (
        "T &lt;script&gt;alert('t')&lt;/script&gt; \\*a\\* \\[b\\](c) \\`d\\` \\$e\\$ \\# f"
    )
    assert escape_markdown("1. first") == "1\\. first"
    assert escape_markdown("- item") == "\\- item" and escape_markdown("+ item") == "\\+ item"
    assert escape_markdown("A & B") == "A &amp; B"
    assert escape_markdown("see https://a.example or www.b.example") == (
        "see https\\://a.example or www\\.b.example"
    )


def test_defuse_markdown_keeps_the_librarys_formatting_only() -> None:
    library = "**Question.** The `rate` fell (p < 0.001) by *3%*."
    assert defuse_markdown(library) == library
    assert defuse_markdown(f"x {SCRIPT} {LINK} {IMAGE} <http://a.b> $\\href{{x}}$") == (
        "x &lt;script>alert('title')&lt;/script> [click]\\(javascript:alert('link')) "
        "![t]\\(https\\://evil.example/track.png) &lt;http\\://a.b> \\$\\href{x}\\$"
    )


def test_html_safe_json_round_trips_without_raw_angle_brackets() -> None:
    document = {"title": f"{SCRIPT} & {FRAME}", "n": [1, 2.5, None]}
    text = html_safe_json(document, indent=2)
    assert not set("<>&") & set(text)
    assert json.loads(text) == document


def test_clean_report_html_removes_everything_live_and_keeps_a_tables_own_style() -> None:
    own = ("<style>#slp-0123456789 th, #slp-0123456789 td {text-align: left; vertical-align: top;} "
           "#slp-0123456789 td:nth-child(2), #slp-0123456789 th:nth-child(2) {text-align: right;}</style>")
    hostile = (f"<p>{SCRIPT}{FRAME}{HANDLER}{STYLE}<a href=\"javascript:alert(1)\">l</a>"
               "<img src=\"https://evil.example/t.png\"><img src=\"data:image/png;base64,AAAA\">"
               "<object data=x></object><div style=\"position:fixed;color:red\">d</div></p>")
    cleaned = clean_report_html(own + hostile)
    assert cleaned.startswith(own)
    # The foreign <style> is dropped with its text; the fragments either side are cleaned apart.
    assert cleaned[len(own):] == (
        "<p>alert('title')<b>x</b></p><a>l</a><img><img src=\"data:image/png;base64,AAAA\">"
        "<div style=\"color:red;\">d</div><p></p>"
    )


# -- whole runs with hostile parameters and data ----------------------------------------------------


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _yaml_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar


@pytest.fixture(scope="module")
def hostile_runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("hostile")
    rows = [f"{2018 + (m - 1) // 12}-{(m - 1) % 12 + 1:02d},{GROUP},{40 + m * 0.2 + (m > 24) * 5 + (m % 3)}"
            for m in range(1, 49)]
    (folder / "series.csv").write_text("period,unit," + json.dumps(COLUMN) + "\n" + "\n".join(
        f"{r.split(',')[0]},\"{GROUP}\",{r.split(',')[-1]}" for r in rows) + "\n", encoding="utf-8")
    its = _write(folder, "its.yaml", "\n".join([
        "analysis: its",
        f"title: {_yaml_string('T ' + SCRIPT)}",
        f"question: {_yaml_string(f'Q {LINK} {FRAME}')}",
        "data: {path: series.csv}",
        f"filters: {{unit: {_yaml_string(GROUP)}}}",
        f"outcome: {_yaml_string(COLUMN)}",
        f"outcome_label: {_yaml_string(f'the rate {HANDLER} {STYLE}')}",
        "time: period",
        'interruptions: ["2020-01"]',
        f"interruption_labels: [{_yaml_string('start ' + IMAGE)}]",
        "sensitivity: {placebo: false, break_date_window: 0}",
    ]) + "\n")
    scorecard = _write(folder, "scorecard.yaml", "\n".join([
        "analysis: scorecard",
        f"title: {_yaml_string('S ' + SCRIPT)}",
        "claims:",
        "  - id: c1",
        f"    claim: {_yaml_string(f'It fell {FRAME} {LINK}')}",
        f"    metric: {_yaml_string(f'placements {HANDLER} {IMAGE}')}",
        "    unit: placements",
        "    kind: count",
        "    direction: decrease",
        "    before: {period: March 2017, count: 201}",
        "    after: {period: March 2018, count: 152}",
        "    equal_periods: true",
        f"    source: {_yaml_string('a source ' + STYLE)}",
    ]) + "\n")
    prepost = _write(folder, "prepost.yaml", "\n".join([
        "analysis: prepost",
        f"title: {_yaml_string('P ' + SCRIPT)}",
        f"data: {{path: {PROJECT_ROOT / 'data/synthetic/monthly_series.csv'}, dataset: monthly_series}}",
        "unit: SLP",
        "measure: ccp_in_south_london",
        f"label: {_yaml_string(f'share {HANDLER} {LINK}')}",
        f"before: {{start: '2017-04', end: '2018-03', label: {_yaml_string('before ' + FRAME)}}}",
        f"after: {{start: '2023-04', end: '2024-03', label: {_yaml_string('after ' + STYLE)}}}",
    ]) + "\n")
    out = folder / "outputs"
    notebooks = PROJECT_ROOT / "notebooks"
    results = [run(path, out_root=out, notebooks_dir=notebooks) for path in (its, scorecard, prepost)]
    for result in results:
        assert result.status == "succeeded", result.reason
    return [result.run_dir for result in results]


def _files(run_dir: Path) -> list[Path]:
    return [p for p in sorted(run_dir.rglob("*")) if p.is_file()]


def test_no_file_of_a_hostile_run_holds_a_live_payload(hostile_runs: list[Path]) -> None:
    for run_dir in hostile_runs:
        files = _files(run_dir)
        assert {p.name for p in files} >= {"report.html", "notebook.ipynb", "results.json", "manifest.json"}
        for path in files:
            text = path.read_bytes().decode("utf-8", errors="replace")
            for payload in LIVE:
                assert payload not in text, f"{payload!r} is live in {path.relative_to(run_dir)}"


def test_no_markdown_output_of_a_hostile_run_holds_a_live_link_or_image(hostile_runs: list[Path]) -> None:
    shown: list[tuple[str, str]] = []
    for run_dir in hostile_runs:
        notebook = json.loads((run_dir / "notebook.ipynb").read_text(encoding="utf-8"))
        shown += [
            (kind, "".join(output["data"][kind]))
            for cell in notebook["cells"] if cell["cell_type"] == "code"
            for output in cell["outputs"] if "data" in output
            for kind in ("text/markdown", "text/html") if kind in output["data"]
        ]
    # the hostile link reaches a Markdown output (the pre/post sentence), as text
    assert any("javascript:alert('link')" in text for kind, text in shown if kind == "text/markdown")
    for kind, text in shown:  # the text is there, but never as a link, an image or a tag
        for payload in LIVE:
            assert payload not in text, (kind, payload)
        if kind == "text/markdown":
            assert not LIVE_MARKDOWN.search(text), text


def test_the_hostile_text_still_shows_as_text(hostile_runs: list[Path]) -> None:
    its_html = (hostile_runs[0] / "report.html").read_text(encoding="utf-8")
    assert "<h1" in its_html and "T &lt;script&gt;alert('title')&lt;/script&gt;" in its_html
    assert "&lt;iframe src=javascript:alert('frame')&gt;" in its_html
    assert "the rate &lt;b onmouseover=alert('hover')&gt;x&lt;/b&gt;" in its_html
    assert "y &lt;script&gt;alert('column')&lt;/script&gt;" in its_html
    score_html = (hostile_runs[1] / "report.html").read_text(encoding="utf-8")
    assert "placements &lt;b onmouseover=alert('hover')&gt;x&lt;/b&gt;" in score_html
    prepost_html = (hostile_runs[2] / "report.html").read_text(encoding="utf-8")
    assert "The share &lt;b onmouseover=alert('hover')&gt;x&lt;/b&gt; [click]" in prepost_html
    manifest = json.loads((hostile_runs[0] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["title"] == "T " + SCRIPT  # the JSON still holds exactly what was written
    notebook = json.loads((hostile_runs[0] / "notebook.ipynb").read_text(encoding="utf-8"))
    assert SCRIPT in "".join(notebook["cells"][1]["source"])


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def test_report_html_has_no_script_no_handler_and_loads_nothing_external(hostile_runs: list[Path]) -> None:
    for run_dir in hostile_runs:
        parser = _Elements()
        parser.feed((run_dir / "report.html").read_text(encoding="utf-8"))
        tags = [tag for tag, _ in parser.found]
        assert "script" not in tags and "iframe" not in tags and "object" not in tags
        assert "embed" not in tags and "link" not in tags
        for tag, attrs in parser.found:
            assert not [name for name in attrs if name.startswith("on")], tag
            for name in ("src", "href"):
                value = (attrs.get(name) or "").strip().lower()
                assert not value.startswith("javascript:"), (tag, value)
                if name == "src" or tag == "link":
                    assert not value.startswith(("http://", "https://", "//")), (tag, value)
        text = (run_dir / "report.html").read_text(encoding="utf-8")
        assert "cdnjs" not in text and "mathjax" not in text.lower() and "require.js" not in text
