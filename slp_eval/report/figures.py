"""Figures in a report: saved once as PNG at print resolution and shown from those bytes.

A figure is drawn at most 7.5 inches wide (the text width of an A4 page with 2 cm margins is
about 6.7 inches), so fonts keep their printed size when the report is printed or read at A4
width. The PNG shown in the notebook is the file written to output_dir/figures/, byte for byte.

Beside each figure the notebook shows the data it was drawn with (`figure_data`): the arrays
read back from the figure's own artists (lines, points, bands, bars), to 4 significant digits,
as text. nbval compares text outputs, not images, so a changed figure fails `make test` like a
changed table. The arrays are exactly what was plotted, so they are under the same disclosure
control as the figure itself. In report.html the text sits in a closed <details> block.
"""

import html
import io
from collections.abc import Iterable
from pathlib import Path

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image, Markdown, display
from matplotlib.axes import Axes
from matplotlib.category import StrCategoryFormatter
from matplotlib.collections import Collection, LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.ticker import FixedFormatter

from slp_eval.markup import escape_markdown

#: Artist gid that keeps an artist's values out of `figure_data` (the figure still draws it): set
#: on model curves of a disclosure-controlled count series, whose fitted values sum to the
#: exact segment totals that the report rounds.
WITHHELD_GID = "slp-eval:withheld"

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


def _numbers(values: Iterable[float], dates: bool) -> str:
    """Values to 4 significant digits; on a date axis, dates as YYYY-MM-DD (YYYY-MM when every
    date is the first of its month, as monthly periods are drawn)."""
    array = np.asarray(list(values), dtype=float).ravel()
    if dates and np.isfinite(array).all():
        days = [mdates.num2date(v) for v in array]
        monthly = all(d.day == 1 and d.hour == 0 for d in days)
        return " ".join(d.strftime("%Y-%m" if monthly else "%Y-%m-%d") for d in days)
    out = []
    for v in array:
        if not np.isfinite(v):
            out.append("nan" if np.isnan(v) else ("inf" if v > 0 else "-inf"))
        else:
            text = f"{v:.4g}"
            out.append("0" if text == "-0" else text)
    return " ".join(out)


def _is_date_axis(axis: object) -> bool:
    return isinstance(axis.get_major_formatter(), mdates.DateFormatter | mdates.AutoDateFormatter  # type: ignore[attr-defined]
                      | mdates.ConciseDateFormatter)


def _axes_data(ax: Axes) -> list[str]:
    """One line per plotted array of the axes, in drawing order."""
    xdates, ydates = _is_date_axis(ax.xaxis), _is_date_axis(ax.yaxis)
    lines: list[str] = []
    previous_x = [""]

    def label(artist: object, kind: str) -> str:
        name = artist.get_label()  # type: ignore[attr-defined]
        return kind if not name or name.startswith("_") else f"{kind} '{name}'"

    def xy(kind: str, points: np.ndarray) -> None:
        points = np.asarray(points, dtype=float).reshape(-1, 2)
        x = _numbers(points[:, 0], xdates)
        lines.append(f"  {kind}: x {'as above' if x == previous_x[0] else x}")
        lines.append(f"  {' ' * len(kind)}  y {_numbers(points[:, 1], ydates)}")
        previous_x[0] = x

    def columns(kind: str, named: list[tuple[str, np.ndarray, bool]]) -> None:
        """Several arrays of one artist group, one line each, aligned under the first."""
        for i, (name, values, dates) in enumerate(named):
            lead = f"  {kind}: " if i == 0 else " " * (len(kind) + 4)
            lines.append(f"{lead}{name} {_numbers(values, dates)}")

    bars: list[Rectangle] = []
    for artist in [*ax.get_children(), None]:  # None flushes the last run of bars
        if bars and not (isinstance(artist, Rectangle) and artist is not ax.patch):
            columns(label(bars[0], "bars"), [
                ("x", np.array([b.get_x() for b in bars]), xdates),
                ("width", np.array([b.get_width() for b in bars]), False),
                ("y", np.array([b.get_y() for b in bars]), ydates),
                ("height", np.array([b.get_height() for b in bars]), False)])
            bars = []
        if artist is None:
            break
        if artist.get_gid() == WITHHELD_GID:
            kind = "band" if isinstance(artist, Collection) else "line"
            lines.append(f"  {label(artist, kind)}: values withheld (disclosure control: the fitted "
                         "values of a count model sum to the exact segment totals)")
            continue
        # axhline / axvline / axvspan are drawn in axes coordinates along one direction
        across = artist.get_transform() is ax.get_yaxis_transform(which="grid")
        along = artist.get_transform() is ax.get_xaxis_transform(which="grid")
        if isinstance(artist, Line2D):
            data = np.column_stack([artist.get_xdata(orig=False), artist.get_ydata(orig=False)])
            if across:
                lines.append(f"  {label(artist, 'horizontal line')}: y {_numbers(data[:1, 1], ydates)}")
            elif along:
                lines.append(f"  {label(artist, 'vertical line')}: x {_numbers(data[:1, 0], xdates)}")
            else:
                xy(label(artist, "line"), data)
        elif isinstance(artist, PathCollection):
            xy(label(artist, "points"), artist.get_offsets())
        elif isinstance(artist, LineCollection):
            segments = artist.get_segments()
            if segments and all(len(seg) == 2 for seg in segments):  # vlines, error bars
                ends = np.asarray(segments, dtype=float)
                columns(label(artist, "segments"), [
                    ("x from", ends[:, 0, 0], xdates), ("x to  ", ends[:, 1, 0], xdates),
                    ("y from", ends[:, 0, 1], ydates), ("y to  ", ends[:, 1, 1], ydates)])
            else:
                for i, segment in enumerate(segments):
                    xy(f"{label(artist, 'segments')} {i + 1}", segment)
        elif isinstance(artist, Collection):
            for i, path in enumerate(artist.get_paths()):  # bands (fill_between), spans
                xy(f"{label(artist, 'band')} {i + 1} outline", path.vertices)
        elif isinstance(artist, Rectangle) and artist is not ax.patch and along:
            x0, width = artist.get_x(), artist.get_width()
            lines.append(f"  {label(artist, 'vertical span')}: x {_numbers([x0, x0 + width], xdates)}")
        elif isinstance(artist, Rectangle) and artist is not ax.patch:
            bars.append(artist)
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    if isinstance(ax.xaxis.get_major_formatter(), FixedFormatter | StrCategoryFormatter) and ticks:
        lines.append(f"  x tick labels: {' | '.join(ticks)}")
    ticks = [" ".join(t.get_text().split()) for t in ax.get_yticklabels() if t.get_text()]
    if any(c.isalpha() for tick in ticks for c in tick):  # names of rows (a forest plot's units)
        lines.append(f"  y tick labels: {' | '.join(ticks)}")
    return lines


def figure_data(fig: Figure) -> str:
    """The data a figure was drawn with, as text: per axes its title and axis labels, then each
    line, set of points, band outline, bar and reference line with its x and y arrays (4
    significant digits; dates on a date axis as YYYY-MM-DD)."""
    out = []
    for number, ax in enumerate(fig.axes, start=1):
        if not ax.get_visible() or not ax.has_data():
            continue
        title = ax.get_title() or ax.get_title(loc="left") or ax.get_title(loc="right")
        out.append(f"panel {number}: {title or '(untitled)'} | x: {ax.get_xlabel() or '-'}"
                   f" | y: {ax.get_ylabel() or '-'}")
        out += _axes_data(ax)
    return "\n".join(out)


class FigureData:
    """`figure_data` text shown as plain text (what nbval compares) and, in HTML, closed."""

    def __init__(self, name: str, text: str) -> None:
        self.name, self.text = name, text

    def __repr__(self) -> str:
        return f"Data behind figure {self.name!r} (4 significant digits):\n{self.text}"

    def _repr_html_(self) -> str:
        return (f'<details class="figure-data"><summary>Data behind this figure</summary><pre '
                f'style="white-space:pre-wrap;word-break:break-all;font-size:8pt">'
                f"{html.escape(self.text)}</pre></details>")


def save_and_show(fig: Figure, name: str, output_dir: Path | None, *, caption: str = "") -> None:
    """Write output_dir/figures/<name>.png (when output_dir is set), display it and the data it
    was drawn with (`figure_data`), close the figure."""
    data = png_bytes(fig)
    plotted = FigureData(name, figure_data(fig))
    width = round(fig.get_figwidth() * SCREEN_PX_PER_IN)
    plt.close(fig)
    if output_dir is not None:
        (output_dir / "figures").mkdir(exist_ok=True)
        (output_dir / "figures" / f"{name}.png").write_bytes(data)
    display(Image(data=data, format="png", width=width))
    if caption:
        display(Markdown(f"*{escape_markdown(caption)}*"))
    display(plotted)


__all__ = ["DPI", "MAX_WIDTH_IN", "MIN_FONT_PT", "WITHHELD_GID", "FigureData", "figure_data", "png_bytes",
           "save_and_show"]
