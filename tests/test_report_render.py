"""report.html as a person sees it: rendered by headless Chromium at A4 width (794 CSS pixels,
210 mm at 96 dpi), at a desktop width (1280 px) and printed to A4 PDF, for every report kind.
Marked `browser`: skips when /usr/bin/chromium is absent (`apt-get install -y chromium`), except
under CI=true, where that skip is a failure (tests/conftest.py); `.ci/run` installs Chromium.
`--no-sandbox` lets it run as root, as CI does.

The width checks load a copy of report.html with one added script (the report itself has none)
that measures, after load, the page's scroll width and every element's box, and writes the
result into the page, which `--dump-dom` prints."""

import html
import json
import re
import subprocess
from pathlib import Path

import nbformat
import numpy as np
import pytest
import yaml
from PIL import Image

from slp_eval.params import KINDS, VARIANTS
from slp_eval.runner import RunResult, run

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
A4_PX = 794
DESKTOP_PX = 1280
NOTEBOOKS = ROOT / "notebooks"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def its_run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    result = run(ROOT / "params" / "ccp_in_south_london.yaml", out_root=tmp_path_factory.mktemp("outputs"))
    assert result.status == "succeeded", result.reason
    return result


@pytest.fixture(scope="module")
def screenshot(its_run: RunResult) -> np.ndarray:
    png = its_run.run_dir.parent / "report-a4.png"
    subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--window-size={A4_PX},9000", f"--screenshot={png}", its_run.report.as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    return np.asarray(Image.open(png).convert("RGB")).astype(int)


def test_nothing_is_wider_than_an_a4_page(screenshot: np.ndarray) -> None:
    assert screenshot.shape[1] == A4_PX
    right_edge = screenshot[:, -8:, :]
    # every pixel of the right-hand 8 px strip is (near) white: no table or figure runs off the page
    assert right_edge.min() >= 235, "content reaches the right edge of an A4-wide window"


def test_synthetic_banner_is_at_the_top(screenshot: np.ndarray) -> None:
    top = screenshot[:500]
    banner_red = (np.abs(top - np.array([0xB0, 0x00, 0x20])).sum(axis=2) < 40)
    assert banner_red.sum() > 500, "no SYNTHETIC banner border near the top of the report"


def test_figures_are_drawn_and_fit_the_page(its_run: RunResult, screenshot: np.ndarray) -> None:
    html = its_run.report.read_text()
    widths = [int(w) for w in re.findall(r'<img[^>]*width="(\d+)"', html)]
    assert len(widths) == 5 and max(widths) <= A4_PX - 40  # inside the page's margins
    # the figure area holds dark ink (points, lines, text): it rendered, not a broken image
    dark_rows = (screenshot.min(axis=2) < 100).sum(axis=1)
    assert (dark_rows > 200).sum() > 50
    for png in (its_run.run_dir / "figures").glob("*.png"):
        width_px, _ = Image.open(png).size
        # at most 7.5 in (+ the tight bounding box padding) at 200 dpi: fonts keep their size at A4
        assert width_px / 200 <= 7.5 + 0.25


def test_code_is_hidden(its_run: RunResult) -> None:
    html = its_run.report.read_text()
    assert "fit_its(" not in html and "slp_report.start" not in html
    assert "Segmented regression estimates" in html and "Disclosure control." in html


# -- every report kind at 1280 px, at A4 width, and printed to A4 ---------------------------------
_MEASURE = """<script>
window.addEventListener("load", () => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && (box.right > width + 1 || box.left < -1)) {
      wide.push(`${el.tagName.toLowerCase()}.${el.className} right=${Math.round(box.right)}`);
    }
  }
  const out = document.createElement("pre");
  out.id = "slp-measure";
  out.textContent = JSON.stringify({title: document.title, width: width,
    scrollWidth: document.documentElement.scrollWidth, wide: wide});
  document.body.appendChild(out);
});
</script>"""


def _absolute_paths(value: object) -> object:
    """The notebook's default parameters with data paths made absolute (they are relative to notebooks/)."""
    if isinstance(value, dict):
        return {key: str((NOTEBOOKS / item).resolve()) if key == "path" and isinstance(item, str)
                else _absolute_paths(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_absolute_paths(v) for v in value]
    return value


#: Every report notebook by name: each kind's, and each variant's (an ITS file with `by:`).
REPORTS = {kind: notebook for kind, (_, notebook) in KINDS.items()} | {
    f"{kind}_{field}": notebook for (kind, field), notebook in VARIANTS.items()}


@pytest.fixture(scope="module", params=sorted(REPORTS))
def kind_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """A run of each report notebook with its default parameters (synthetic data)."""
    notebook = NOTEBOOKS / REPORTS[request.param]
    (cell,) = [c for c in nbformat.read(notebook, as_version=4).cells
               if "parameters" in c.metadata.get("tags", [])]
    namespace: dict = {}
    exec(cell.source, namespace)  # the parameters cell holds only literals
    folder = tmp_path_factory.mktemp(request.param)
    params = folder / f"{request.param}_report.yaml"
    params.write_text(yaml.safe_dump(_absolute_paths(namespace["params"]), sort_keys=False))
    result = run(params, out_root=folder / "outputs")
    assert result.status == "succeeded", result.reason
    return result


def _measure(report: Path, width: int) -> dict:
    page = report.with_name(f"measure-{width}.html")
    page.write_text(report.read_text().replace("</body>", _MEASURE + "</body>"))
    done = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--window-size={width},1000", "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
        check=True, capture_output=True, text=True, timeout=120,
    )
    found = re.search(r'<pre id="slp-measure">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found, "the measuring script did not run"
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.parametrize("width", [DESKTOP_PX, A4_PX])
def test_every_report_fits_the_window_and_is_titled(kind_run: RunResult, width: int) -> None:
    measured = _measure(kind_run.report, width)
    assert measured["title"] == kind_run.manifest["title"]
    assert measured["width"] == width
    assert measured["scrollWidth"] <= width, f"the page scrolls sideways at {width} px"
    assert measured["wide"] == [], f"elements wider than the {width} px window: {measured['wide'][:5]}"


def test_every_report_prints_to_a4_inside_the_margins(kind_run: RunResult) -> None:
    import pypdfium2

    pdf = kind_run.run_dir.parent / "chromium-print.pdf"
    subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
         f"--print-to-pdf={pdf}", kind_run.report.as_uri()],
        check=True, capture_output=True, timeout=180,
    )
    document = pypdfium2.PdfDocument(pdf)
    assert 1 <= len(document) <= 30
    for i in range(len(document)):
        page = document[i]
        assert page.get_size() == pytest.approx((595.28, 841.89), abs=1)  # @page size: A4
        pixels = np.asarray(page.render(scale=1).to_pil().convert("L"))
        # the right margin (13 mm = 37 pt) above the page number holds no ink: nothing runs off the page
        margin = pixels[: int(0.9 * pixels.shape[0]), -30:]
        assert margin.min() > 200, f"ink in the right margin of page {i + 1}"
        assert (pixels < 128).mean() > 0.002, f"page {i + 1} is (nearly) blank"
    first = np.asarray(document[0].render(scale=1).to_pil().convert("L"))
    assert np.flatnonzero((first < 128).any(axis=1)).max() > 0.5 * first.shape[0], "near-empty first page"
