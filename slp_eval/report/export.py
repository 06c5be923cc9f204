"""report.html: the executed notebook as one self-contained, inert HTML file.

Text from parameter and data files is escaped where the library writes it (`slp_eval.markup`);
this export is the second line of defence, so the report is safe even if a path was missed:

- nbconvert's JupyterLab template with the blocks that load require.js, MathJax, Mermaid and the
  widget manager from a CDN left empty: the file makes no request and renders offline (the
  methods text needs no MathJax; an e-mailed report must not call out of a secure network);
- nbconvert's `sanitize_html` switched on, with its `clean_html` filter replaced by
  `clean_report_html`: every HTML and Markdown output (and Markdown cell) passes `bleach` with an
  allow-list of the tags a report uses, so no ``<script>``, ``<iframe>``, ``<object>``, event
  handler attribute (``onmouseover=``), ``javascript:`` link or external image can survive;
  JavaScript outputs are dropped by nbconvert itself.

The page's ``<title>`` is the report's title (escaped by the template), and `PRINT_CSS` sets
A4 pages for printing and for report.pdf (`slp_eval.report.pdf`). A closed ``<details>`` (a
figure's data) is allowed: it is inert.

A ``<style>`` element is kept only when it is exactly the alignment rule that
`slp_eval.report.tables.Table` writes for its own table id; any other is removed with its text.
"""

import copy
import re

import bleach
from bleach.css_sanitizer import CSSSanitizer
from jinja2 import DictLoader
from nbconvert import HTMLExporter
from nbformat import NotebookNode

_TEMPLATE = "slp_report.html.j2"
# Inherits JupyterLab's page and empties every block that loads a script from the network.
_TEMPLATE_SOURCE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}
<style type="text/css">{{ resources.slp_print_css }}</style>
{%- endblock html_head_css -%}
"""

#: Page and print rules (after JupyterLab's own CSS, so they win): A4 pages numbered at the foot;
#: headings kept with what follows; figures, the answer box and table rows never split; tables
#: as wide as the page at most, long cells (a SHA-256, a path) wrapped, and no scroll box, which
#: would clip a table on paper; each figure's "Data behind this figure" (a closed <details> on
#: screen, for screen readers and re-use) left out of print. On screen only the width rules apply.
PRINT_CSS = """
@page { size: A4; margin: 14mm 13mm 16mm 13mm;
        @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; color: #555; } }
body { max-width: 1100px; margin: 0 auto; }
.jp-RenderedHTMLCommon table { max-width: 100%; }
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { overflow-wrap: break-word; }
.jp-RenderedImage img, .jp-OutputArea-output img { max-width: 100%; height: auto; }
@media print {
  html, body { margin: 0 !important; padding: 0 !important; max-width: none; background: #fff; }
  body, .jp-Notebook, .jp-Cell, .jp-Cell-outputWrapper, .jp-OutputArea, .jp-OutputArea-child,
  .jp-OutputArea-output, .jp-RenderedHTMLCommon, .jp-RenderedMarkdown {
    padding-left: 0 !important; padding-right: 0 !important; margin-left: 0 !important;
    margin-right: 0 !important; overflow: visible !important; max-width: 100% !important;
  }
  .jp-Notebook { padding-top: 0 !important; }
  h1 { margin-top: 0 !important; }
  .jp-OutputPrompt, .jp-InputPrompt, .jp-Collapser { display: none !important; }
  /* plain blocks, not JupyterLab's flex rows and table cells: so a heading's break-after
     reaches the page break between cells */
  .jp-Cell, .jp-Cell-inputWrapper, .jp-Cell-outputWrapper, .jp-InputArea, .jp-OutputArea,
  .jp-OutputArea-child, .jp-OutputArea-output, .jp-RenderedMarkdown { display: block !important; }
  /* JupyterLab keeps each output whole (break-inside: avoid-page): a long table then leaves the
     rest of its page empty; only figures, the answer box and table rows are kept whole */
  .jp-Cell, .jp-OutputArea, .jp-OutputArea-child, .jp-OutputArea-output {
    break-inside: auto !important; page-break-inside: auto !important;
  }
  h1, h2, h3 { break-after: avoid; page-break-after: avoid; }
  .jp-RenderedHTMLCommon > p:first-child { break-after: avoid; page-break-after: avoid; }
  img, .jp-RenderedImage, #answer, tr { break-inside: avoid; page-break-inside: avoid; }
  .jp-RenderedImage { break-after: avoid; page-break-after: avoid; }  /* a figure with its caption */
  /* a table that breaks keeps two rows under its header and never leaves its last row alone */
  .jp-RenderedHTMLCommon tbody tr:nth-child(-n+2), .jp-RenderedHTMLCommon tbody tr:last-child {
    break-before: avoid; page-break-before: avoid;
  }
  img { max-height: 230mm; width: auto; }
  .jp-RenderedHTMLCommon table { width: 100%; table-layout: auto; font-size: 8.5pt; }
  .jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th {
    white-space: normal !important; overflow-wrap: break-word; padding: 2px 4px;
  }
  details.figure-data { display: none !important; }
}
"""

#: Elements a report's outputs may contain; anything else is removed (its text kept as text).
TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "details",
    "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre",
    "s", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "ul",
})  # fmt: skip
_COMMON_ATTRIBUTES = ["class", "id", "title", "style", "data-mime-type", "colspan", "rowspan", "align"]
#: Inline CSS properties allowed in a `style` attribute (the SYNTHETIC banner, pandas tables).
CSS_PROPERTIES = frozenset({
    "background", "background-color", "border", "border-collapse", "border-spacing", "color",
    "font-size", "font-style", "font-weight", "margin", "padding", "text-align", "vertical-align",
    "white-space", "width", "min-width", "max-width",
})  # fmt: skip
# The whole of a Table's own alignment <style> (see slp_eval.report.tables._alignment_style).
_TABLE_STYLE = re.compile(
    r"<style>(?:#slp-[0-9a-f]{10} (?:th|td)(?::nth-child\(\d+\))?(?:, #slp-[0-9a-f]{10} (?:th|td)"
    r"(?::nth-child\(\d+\))?)* \{text-align: (?:left|right);(?: vertical-align: top;)?\} ?)+</style>"
)
_STYLE_BLOCK = re.compile(r"(<style\b[^>]*>.*?</style\s*>)", re.IGNORECASE | re.DOTALL)


def _attribute_allowed(tag: str, name: str, value: str) -> bool:
    if name in _COMMON_ATTRIBUTES:
        return True
    if tag == "a":
        return name == "href" and not value.lower().startswith(("javascript:", "vbscript:", "data:"))
    if tag == "img":  # figures are embedded; an external image would be a request from the reader
        return name in ("alt", "width", "height") or (name == "src" and value.startswith("data:image/"))
    return False


_CLEANER = bleach.Cleaner(
    tags=TAGS,
    attributes=_attribute_allowed,
    protocols={"http", "https", "mailto", "data"},
    strip=True,
    strip_comments=True,
    css_sanitizer=CSSSanitizer(allowed_css_properties=CSS_PROPERTIES),
)


def clean_report_html(element: str | bytes) -> str:
    """`element` with only the allow-listed tags and attributes; a Table's own <style> kept."""
    text = element.decode() if isinstance(element, bytes) else str(element)
    parts = []
    for part in _STYLE_BLOCK.split(text):
        if _STYLE_BLOCK.fullmatch(part):
            parts.append(part if _TABLE_STYLE.fullmatch(part) else "")
        else:
            parts.append(_CLEANER.clean(part))
    return "".join(parts)


def export_html(notebook: NotebookNode, title: str | None = None) -> str:
    """The report page of an executed notebook: code hidden, figures embedded, nothing external.

    `title` (the report's title from its parameter file) becomes the page's ``<title>``, escaped
    by the template; without it the notebook's own metadata title, else the file name.
    """
    notebook = copy.deepcopy(notebook)
    if title:
        notebook.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="lab",
        template_file=_TEMPLATE,
        extra_loaders=[DictLoader({_TEMPLATE: _TEMPLATE_SOURCE})],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        sanitize_html=True,
        filters={"clean_html": clean_report_html},
    )
    body, _ = exporter.from_notebook_node(notebook, resources={"slp_print_css": PRINT_CSS})
    return body


__all__ = ["CSS_PROPERTIES", "PRINT_CSS", "TAGS", "clean_report_html", "export_html"]
