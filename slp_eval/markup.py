"""Keeping user- and data-supplied text inert on its way into Markdown, HTML and JSON.

A report is e-mailed to boards, so whatever a parameter file or a data file says (a title, a
label, a column name, a group value) must reach the reader as text, never as markup or script.
Three helpers, one per way text travels:

- `escape_markdown(text)`: plain text to put inside one of the library's own Markdown templates
  (``f"# {escape_markdown(title)}"``). HTML is escaped as entities and every Markdown character
  that could start emphasis, code, a link, an image, a table, a heading or maths is escaped, so the
  text shows exactly as typed.
- `defuse_markdown(markdown)`: the display boundary for Markdown the library composed (a summary
  or a limitation that interpolates labels and column names). It keeps the library's own
  emphasis and code, and makes raw HTML, links, images and maths impossible: the library's
  templates use none of them, so whatever would create one came from the data. Bare URLs are
  kept from becoming links too.
- `html_safe_json(document)`: JSON whose text holds no ``<``, ``>`` or ``&`` (written as
  ``\\u003c`` ...), so a results or manifest file is inert even if a browser or a mail client
  treats it as HTML; `json.loads` gives back exactly the same values (Go's encoding/json does the
  same by default).

The exported report.html is sanitised again as a second line of defence (`slp_eval.report.html`).
"""

import html
import json
import re
from typing import Any

# Markdown's ASCII punctuation that can start markup inside a line (CommonMark 2.4: any ASCII
# punctuation may be backslash-escaped): emphasis, code, links and images (`(` and `!` mean
# nothing without `[`), tables, strikethrough, headings, and `$` for maths.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~$#])")
# A digit run and `.` or `)` at the very start would begin an ordered list, `-` or `+` a bullet list.
_LIST_START = re.compile(r"^(\d+)([.)])|^([-+])")
# `<` that starts a tag, a comment, a declaration or an autolink.
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_LINK_TARGET = re.compile(r"\]\s*\(")
# The start of a bare URL, which renderers turn into a link (GFM autolinks, mistune's url plugin).
_BARE_URL = re.compile(r"\b(https?|ftp):(?=//)|\b(www)\.(?=\w)", re.IGNORECASE)
_HTML_SAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


def escape_markdown(text: object) -> str:
    """`text` as inert Markdown that shows exactly as typed, on one line."""
    one_line = " ".join(str(text).split())
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", one_line)
    escaped = _LIST_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}" if m.group(1) else f"\\{m.group(3)}",
                              escaped)
    return html.escape(_unlink(escaped), quote=False)


def defuse_markdown(markdown: str) -> str:
    """Library-composed Markdown with any raw HTML, link, image or maths made literal text.

    Emphasis, code spans and lists written by the library's templates are kept.
    """
    text = _TAG_START.sub("&lt;", markdown)
    text = _LINK_TARGET.sub(lambda m: m.group(0).replace("(", "\\("), text)
    return _unlink(text.replace("$", "\\$"))


def _unlink(markdown: str) -> str:
    """Bare URLs kept as text: ``https\\://`` and ``www\\.`` show as typed but link nowhere."""
    return _BARE_URL.sub(lambda m: f"{m.group(1)}\\:" if m.group(1) else f"{m.group(2)}\\.", markdown)


def html_safe_json(document: Any, **kwargs: Any) -> str:
    """`json.dumps(document, **kwargs)` with ``<``, ``>`` and ``&`` written as \\u escapes."""
    text = json.dumps(document, **kwargs)
    return re.sub(r"[<>&]", lambda m: _HTML_SAFE[m.group(0)], text)


__all__ = ["defuse_markdown", "escape_markdown", "html_safe_json"]
