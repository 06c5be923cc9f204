"""The finishing step every plot function applies last: `title=`, `xlabel=`, `ylabel=` and
`colors=` given by the caller replace the defaults the function drew with.

Colours are swapped after drawing: each artist (lines, markers, scatter points, ribbons, error
bars, patches and the legend's handles) whose colour is a role's default colour gets the
caller's colour for that role, keeping its own transparency. A role is a name the function
documents (e.g. "observed", "fitted", "counterfactual"); an unknown role or a value matplotlib
cannot read as a colour is a ParameterError naming the function and the rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib import colors as mcolors
from matplotlib.collections import Collection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from slp_eval.errors import ParameterError

__all__ = ["check_colors", "finish"]

Colors = Mapping[str, Any] | None


def check_colors(colors: Colors, palette: Mapping[str, str], where: str) -> dict[str, Any]:
    """`colors` checked against the roles of `palette` (role -> default colour)."""
    if colors is None:
        return {}
    if not isinstance(colors, Mapping):
        raise ParameterError(f"{where}: colors={colors!r} must be a mapping of role to colour, "
                             f"e.g. {{{next(iter(palette))!r}: 'tab:green'}}")
    unknown = [role for role in colors if role not in palette]
    if unknown:
        raise ParameterError(f"{where}: colors has unknown role(s) {', '.join(map(repr, unknown))}"
                             f" (rule: the roles are {', '.join(map(repr, palette))})")
    bad = [role for role, value in colors.items() if not mcolors.is_color_like(value)]
    if bad:
        raise ParameterError(f"{where}: colors[{bad[0]!r}]={colors[bad[0]]!r} is not a colour "
                             "matplotlib can read (rule: a name such as 'tab:blue' or a hex "
                             "code such as '#1f77b4')")
    return dict(colors)


def _swap(values: Any, swaps: list[tuple[np.ndarray, Any]]) -> Any:
    """RGBA value(s) with each default RGB replaced by its new colour (alpha kept); None when
    nothing matched, so the artist is left alone."""
    rgba = mcolors.to_rgba_array(values)
    if rgba.size == 0:
        return None
    changed = False
    for row in rgba:
        for old, new in swaps:
            if np.allclose(row[:3], old, atol=1e-6):
                row[:] = mcolors.to_rgba(new, alpha=row[3])
                changed = True
                break
    return rgba if changed else None


def _recolour(artist: Any, swaps: list[tuple[np.ndarray, Any]]) -> None:
    if isinstance(artist, Line2D):
        for getter, setter in ((artist.get_color, artist.set_color),
                               (artist.get_markerfacecolor, artist.set_markerfacecolor),
                               (artist.get_markeredgecolor, artist.set_markeredgecolor)):
            value = getter()
            if isinstance(value, str) and value == "none":
                continue
            new = _swap(value, swaps)
            if new is not None:
                setter(tuple(new[0]))
    elif isinstance(artist, Collection | Patch):
        for getter, setter in ((artist.get_facecolor, artist.set_facecolor),
                               (artist.get_edgecolor, artist.set_edgecolor)):
            new = _swap(getter(), swaps)
            if new is not None:
                setter(new if isinstance(artist, Collection) else tuple(new[0]))


def _artists(axes: Iterable[Any]) -> list[Any]:
    found = []
    for ax in axes:
        found.extend(ax.get_children())
        legend = ax.get_legend()
        if legend is not None:
            found.extend(legend.legend_handles)
    return found


def finish(figure: Figure, axes: Sequence[Any], *, palette: Mapping[str, str], where: str,
           title: str | None = None, xlabel: str | None = None, ylabel: str | None = None,
           colors: Colors = None) -> Figure:
    """Apply the caller's title, axis labels and colours to `axes` of `figure`.

    One axes: `title` is its title; several (panels): the figure's title. `xlabel` and `ylabel`
    go on every panel. `colors` maps roles of `palette` to new colours."""
    chosen = check_colors(colors, palette, where)
    if chosen:
        swaps = [(np.asarray(mcolors.to_rgb(palette[role])), new) for role, new in chosen.items()]
        for artist in _artists(axes):
            _recolour(artist, swaps)
        for legend in figure.legends:
            for handle in legend.legend_handles:
                _recolour(handle, swaps)
    if title is not None:
        if len(axes) == 1:
            axes[0].set_title(title)
        else:
            figure.suptitle(title)
    for ax in axes:
        if xlabel is not None:
            ax.set_xlabel(xlabel)
        if ylabel is not None:
            ax.set_ylabel(ylabel)
    return figure
