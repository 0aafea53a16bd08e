"""Maps on the real district outlines: one base map under every map, and the district map of a
value per district (a choropleth).

:func:`base_map` draws every district's outline thin and grey, the districts of the selection
darker, their names (``黄浦 Huangpu``) where there is room, at equal scale, with a scale bar and a
north arrow and without easting/northing ticks (the coordinates are a projection's metres, not
something to read off). It zooms to the selection, so a map of Huangpu alone shows Huangpu. The
outlines come with the data (:attr:`wzmodel.data.Dataset.outlines`, in the data's own CRS); data
without outlines is drawn on a blank base map, with its scale bar.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
import shapely
from matplotlib import colormaps, patheffects
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.ticker import PercentFormatter
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar
from shapely.geometry import MultiPolygon, Polygon
from shapely.ops import polylabel

from wzmodel.geography import DistrictOutlines
from wzmodel.plots.labels import district_label

__all__ = ["base_map", "district_map", "district_patch", "scale_bar_length"]

OUTLINE, FOCUS, LAND = "0.6", "0.2", "#f4f4f1"
NOT_IN_AREA = "#e8e8e8"
_HALO = [patheffects.withStroke(linewidth=2.5, foreground="white")]


def district_patch(shape: Polygon | MultiPolygon, **style) -> PathPatch:
    """One patch for a district, its islands and holes included (one artist per district)."""
    vertices, codes = [], []
    for part in getattr(shape, "geoms", [shape]):
        for ring in (part.exterior, *part.interiors):
            xy = np.asarray(ring.coords)
            vertices.append(xy)
            codes.append([MplPath.MOVETO] + [MplPath.LINETO] * (len(xy) - 2) + [MplPath.CLOSEPOLY])
    return PathPatch(MplPath(np.concatenate(vertices), np.concatenate(codes)), **style)


def scale_bar_length(width_m: float) -> float:
    """A round length (1, 2 or 5 × 10ⁿ m) of about a fifth of the map's width."""
    target = width_m / 5.0
    power = 10.0 ** np.floor(np.log10(target))
    return float(max(step * power for step in (1, 2, 5) if step * power <= target))


def base_map(ax, outlines: DistrictOutlines | None, *, focus: Iterable[str] | None = None,
             points: pd.DataFrame | None = None, labels: bool = True) -> None:
    """The base of a map on ``ax``: outlines, names, extent, scale bar, north arrow.

    Parameters
    ----------
    outlines : the data's district outlines; None draws no outline.
    focus : the districts of the selection: drawn darker, and the map shows them whole. None:
        the districts ``points`` lie in.
    points : x_m, y_m of what the map shows: the map shows them all, with a margin.
    labels : write district names where there is room.
    """
    if focus is None and points is not None and outlines is not None:
        focus = [d for d, shape in outlines.shapes.items() if shapely.contains_xy(
            shape, points["x_m"].to_numpy(float), points["y_m"].to_numpy(float)).any()]
    focus = [d for d in (focus if focus is not None else []) if outlines and d in outlines.shapes]
    view = _view(outlines, focus, points)
    if outlines is not None:
        for district, shape in outlines.shapes.items():
            chosen = district in focus
            ax.add_patch(district_patch(
                shape, facecolor=LAND, edgecolor=FOCUS if chosen else OUTLINE,
                linewidth=0.9 if chosen else 0.4, zorder=0.5 if chosen else 0.4, label=district))
        if labels:
            _district_names(ax, outlines, view)
    _finish(ax, view)


def _view(outlines: DistrictOutlines | None, focus: list[str], points: pd.DataFrame | None
          ) -> tuple[float, float, float, float]:
    """The part of the plane shown: the focus districts (all without a focus) and the points,
    with a margin of 4 %."""
    boxes = []
    if outlines is not None:
        boxes.append(outlines.bounds(focus or None))
    if points is not None and len(points):
        boxes.append((points["x_m"].min(), points["y_m"].min(),
                      points["x_m"].max(), points["y_m"].max()))
    if not boxes:
        return (0.0, 0.0, 1000.0, 1000.0)
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    pad = 0.04 * max(x1 - x0, y1 - y0, 1000.0)
    return (x0 - pad, y0 - pad, x1 + pad, y1 + pad)


def _finish(ax, view) -> None:
    """Extent, equal scale, no ticks, a scale bar and a north arrow."""
    ax.set_xlim(view[0], view[2])
    ax.set_ylim(view[1], view[3])
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    length = scale_bar_length(view[2] - view[0])
    bar = AnchoredSizeBar(
        ax.transData, length, f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m",
        "lower left", pad=0.4, borderpad=0.6, sep=4, frameon=True, size_vertical=0,
        fontproperties={"size": 8})
    bar.patch.set(facecolor="white", alpha=0.8, edgecolor="none")  # readable over the data
    ax.add_artist(bar)
    # the CRS is a transverse Mercator around the data: grid north is true north within 0.5°
    ax.annotate("N", xy=(0.96, 0.96), xytext=(0.96, 0.86), xycoords="axes fraction",
                ha="center", va="center", fontsize=9,
                arrowprops={"arrowstyle": "-|>", "color": "0.2", "lw": 1.2})


def label_point(shape: Polygon | MultiPolygon) -> shapely.Point:
    """Where a district's name goes: deep inside its largest part (not on an islet)."""
    largest = max(getattr(shape, "geoms", [shape]), key=lambda p: p.area)
    return polylabel(largest, tolerance=50.0)


def _district_names(ax, outlines: DistrictOutlines, view, values: Mapping[str, str] | None = None,
                    skip: Iterable[str] = ()) -> None:
    """Names (and values) at each district's label point that lies in view, as much of the name
    as there is room for: ``黄浦 Huangpu`` on one line in a district at least 30 % of the view
    wide, on two lines from 12 %, else ``黄浦`` alone."""
    width = view[2] - view[0]
    for district, shape in outlines.shapes.items():
        if district in skip:
            continue
        at = label_point(shape)
        if not (view[0] < at.x < view[2] and view[1] < at.y < view[3]):
            continue
        share = _width(shape) / width
        text = district_label(district) if share >= 0.3 else district
        if 0.12 <= share < 0.3:
            text = district_label(district).replace(" ", "\n", 1)
        if values is not None and district in values:
            text += "\n" + values[district]
        ax.text(at.x, at.y, text, ha="center", va="center", fontsize=8 if share >= 0.12 else 6.5,
                color="0.15", zorder=5, path_effects=_HALO, linespacing=1.1)


def district_map(values: Mapping[str, float] | pd.Series, outlines: DistrictOutlines, *,
                 title: str, label: str, percent: bool = True, cmap: str = "YlGn",
                 limits: tuple[float, float] | None = None,
                 focus: Iterable[str] | None = None,
                 figsize: tuple[float, float] = (11.0, 7.5)) -> Figure:
    """A value per district on the real outlines: each district filled by its value's colour
    (grey: no value, e.g. outside a plan's area), with a colour bar and the values written.
    Districts too small to write in at this scale (Shanghai's central districts on a map of the
    city) are written in a zoomed panel beside the map.

    Parameters
    ----------
    values : district → value (e.g. coverage at the end of 2027, a share).
    outlines : the data's district outlines.
    title, label : of the figure and of the colour bar (the value's meaning and unit).
    percent : the values are shares (0–1), written in %.
    limits : the colour scale's (low, high); default 0–1 for shares, else the values' range.
    focus : districts the map zooms to; default the districts with a value.

    Returns
    -------
    matplotlib.figure.Figure
        The map axes first (one patch per district, labelled with the district's name and
        filled with its value's colour), then the zoomed panel when there is one, then the
        colour bar.
    """
    values = pd.Series(values, dtype=float).dropna()
    if limits is None:
        limits = (0.0, 1.0) if percent else (float(values.min()), float(values.max()))
    norm, colours = Normalize(*limits), colormaps[cmap]
    written = {d: f"{v:.0%}" if percent else f"{v:,.3g}" for d, v in values.items()}
    view = _view(outlines, list(focus) if focus is not None else list(values.index), None)
    small = [d for d in values.index if d in outlines.shapes
             and _width(outlines.shapes[d]) < SMALL_SHARE * (view[2] - view[0])]

    fig = Figure(figsize=figsize if len(small) > 1 else (figsize[1] + 0.5, figsize[1]),
                 layout="constrained")
    if len(small) > 1:
        axes = fig.subplot_mosaic([["map", "zoom"], ["map", "."]], width_ratios=[2.2, 1],
                                  height_ratios=[1, 0.6])
        ax, zoom = axes["map"], axes["zoom"]
    else:
        ax, zoom, small = fig.add_subplot(), None, []
    for where in (ax, zoom) if zoom is not None else (ax,):
        for district, shape in outlines.shapes.items():
            has = district in values.index
            where.add_patch(district_patch(
                shape, facecolor=colours(norm(values[district])) if has else NOT_IN_AREA,
                edgecolor="0.3", linewidth=0.6, label=district, zorder=1))
    _district_names(ax, outlines, view, written, skip=small)
    _finish(ax, view)
    if zoom is not None:
        near = _view(outlines, small, None)
        _district_names(zoom, outlines, near, written)
        _finish(zoom, near)
        zoom.set_title("central districts", fontsize=9)
        ax.indicate_inset_zoom(zoom, edgecolor="0.3")
    bar = fig.colorbar(ScalarMappable(norm, colours), ax=ax, shrink=0.6, location="bottom",
                       label=label, format=PercentFormatter(1.0, decimals=0) if percent else None)
    bar.outline.set_linewidth(0.5)
    ax.set_title(title)
    return fig


SMALL_SHARE = 0.08
"""A district narrower than this share of the map's width is written in the zoomed panel."""


def _width(shape) -> float:
    x0, _, x1, _ = shape.bounds
    return x1 - x0
