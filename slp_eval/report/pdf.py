"""report.pdf: the sanitised report.html printed to A4 by WeasyPrint, with nothing fetched.

WeasyPrint lays the page out itself (no browser to download) but needs the system Pango library
(Debian: libpango-1.0-0, libpangoft2-1.0-0). Where Pango is missing, importing WeasyPrint raises
OSError; `pdf_unavailable` then gives the reason, and the runner writes no PDF and says so rather
than failing the run.

The page rules (A4, headings kept with their text, figures never split, tables wrapped to the
page) are report.html's own print CSS (`slp_eval.report.export.PRINT_CSS`), so a browser's
"Print" and this PDF follow the same rules. report.html embeds its figures as data: URLs; the
fetcher given to WeasyPrint serves those and refuses every other URL, so making the PDF sends no
request, whatever the HTML contains.
"""

from functools import cache
from pathlib import Path
from typing import Any

#: What to install where Pango is missing (named in the reason a run gives).
PANGO_HINT = "install Pango (Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0)"


@cache
def pdf_unavailable() -> str | None:
    """None when WeasyPrint can make a PDF here, else one line saying why not and what to install."""
    try:
        import weasyprint  # noqa: F401
    except ImportError as error:
        return f"WeasyPrint is not installed ({error}); pip install weasyprint"
    except OSError as error:  # WeasyPrint loads Pango with cffi at import
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        return f"WeasyPrint cannot load the Pango library ({first}); {PANGO_HINT}"
    return None


def _data_only_fetcher() -> Any:
    from weasyprint import URLFetcher

    class DataOnlyFetcher(URLFetcher):  # type: ignore[misc]
        """Serves data: URLs (the embedded figures) and refuses any other, recording it."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols={"data"})
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.lower().startswith("data:"):
                self.refused.append(url)
                raise ValueError(f"report.pdf fetches nothing: refused {url[:80]}")
            return super().fetch(url, headers)

    return DataOnlyFetcher()


def html_to_pdf(html: str, pdf_path: Path) -> list[str]:
    """Write `html` as an A4 PDF to `pdf_path`; returns the URLs it refused to fetch (normally none).

    Raises RuntimeError naming the missing library when WeasyPrint cannot run here.
    """
    reason = pdf_unavailable()
    if reason is not None:
        raise RuntimeError(reason)
    from weasyprint import HTML

    fetcher = _data_only_fetcher()
    HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf(pdf_path)
    return list(fetcher.refused)


__all__ = ["PANGO_HINT", "html_to_pdf", "pdf_unavailable"]
