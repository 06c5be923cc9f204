"""Figures in a report: saved once as PNG at print resolution and shown from those bytes.

A figure is drawn at most 7.5 inches wide (the text width of an A4 page with 2 cm margins is
about 6.7 inches), so fonts keep their printed size when the report is printed or read at A4
width. The PNG shown in the notebook is the file written to output_dir/figures/, byte for byte.
"""

import io
from pathlib import Path

import matplotlib.pyplot as plt
from IPython.display import Image, Markdown, display
from matplotlib.figure import Figure
from matplotlib.text import Text

from slp_eval.markup import escape_markdown

#: Widest figure, in inches, that still prints at its own font size on an A4 page.
MAX_WIDTH_IN = 7.5
#: Smallest font, in points, of any text in a saved figure (legends and ticks are raised to it).
MIN_FONT_PT = 9.0
#: Resolution of saved figures (print quality; shown at half size on screen).
DPI = 200
#: Width in CSS pixels at which a figure is shown in the notebook and report.html.
SCREEN_PX_PER_IN = 96


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes at DPI, at most MAX_WIDTH_IN wide with no text below MIN_FONT_PT.

    No creation timestamp is written, so reruns give identical bytes.
    """
    for ax in fig.axes:  # tick labels are re-made at draw time from the axis' tick parameters
        for which, labels in (("x", ax.get_xticklabels()), ("y", ax.get_yticklabels())):
            if labels and min(t.get_fontsize() for t in labels) < MIN_FONT_PT:
                ax.tick_params(axis=which, which="both", labelsize=MIN_FONT_PT)
    for text in fig.findobj(Text):
        if text.get_text() and text.get_fontsize() < MIN_FONT_PT:
            text.set_fontsize(MIN_FONT_PT)
    if fig.get_figwidth() > MAX_WIDTH_IN:
        scale = MAX_WIDTH_IN / fig.get_figwidth()
        fig.set_size_inches(MAX_WIDTH_IN, fig.get_figheight() * scale)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def save_and_show(fig: Figure, name: str, output_dir: Path | None, *, caption: str = "") -> None:
    """Write output_dir/figures/<name>.png (when output_dir is set), display it, close the figure."""
    data = png_bytes(fig)
    width = round(fig.get_figwidth() * SCREEN_PX_PER_IN)
    plt.close(fig)
    if output_dir is not None:
        (output_dir / "figures").mkdir(exist_ok=True)
        (output_dir / "figures" / f"{name}.png").write_bytes(data)
    display(Image(data=data, format="png", width=width))
    if caption:
        display(Markdown(f"*{escape_markdown(caption)}*"))


__all__ = ["DPI", "MAX_WIDTH_IN", "MIN_FONT_PT", "png_bytes", "save_and_show"]
