"""report.html as a person sees it: rendered by headless Chromium at A4 width (794 CSS pixels,
210 mm at 96 dpi). Marked `browser`: skips when /usr/bin/chromium is absent (`apt-get install -y
chromium`), except under CI=true, where that skip is a failure (tests/conftest.py); `.ci/run`
installs Chromium. `--no-sandbox` lets it run as root, as CI does."""

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from slp_eval.runner import RunResult, run

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
A4_PX = 794
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
