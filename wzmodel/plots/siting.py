"""Maps of a siting result (matplotlib; DataFrames in, a Figure out).

:func:`map_sites` draws the communities with a service-floor gap (coloured by how much of it the
complexes meet), the candidate sites (open or not), the existing complexes and a line from every
community to each complex that serves it. Coordinates are the data's local metric grid (easting,
northing in metres), drawn at equal aspect.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

__all__ = ["map_axes", "map_sites"]

SERVED, PARTLY, UNSERVED = "#1a9850", "#fdae61", "#d73027"


def map_sites(communities: pd.DataFrame, candidates: pd.DataFrame,
              allocation: pd.DataFrame | None = None, *,
              title: str = "Service complexes: sites opened and communities served",
              figsize: tuple[float, float] = (9.0, 8.0)) -> Figure:
    """A map of one siting result.

    Parameters
    ----------
    communities : community_id, x_m, y_m, need_m2, served_m2 (``SitingPlan.communities``).
    candidates : id, source (``site``/``facility``), x_m, y_m, opened
        (``SitingPlan.candidates``).
    allocation : site_or_facility_id, community_id, floor_m2 (``SitingPlan.allocation``);
        one catchment line per row. None draws no lines.
    title, figsize : of the figure.

    Returns
    -------
    matplotlib.figure.Figure
        One axes; its artists carry labels ``catchment``, ``communities``, ``candidate sites``,
        ``opened sites`` and ``existing complexes``.
    """
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    share = np.divide(communities["served_m2"].to_numpy(float),
                      communities["need_m2"].to_numpy(float),
                      out=np.ones(len(communities)), where=communities["need_m2"].to_numpy() > 0)
    colours = np.where(share >= 0.999, SERVED, np.where(share > 0.001, PARTLY, UNSERVED))

    if allocation is not None and len(allocation):
        where = candidates.set_index("id")[["x_m", "y_m"]]
        home = communities.set_index("community_id")[["x_m", "y_m"]]
        a = where.loc[allocation["site_or_facility_id"]].to_numpy()
        b = home.loc[allocation["community_id"]].to_numpy()
        lines = LineCollection(np.stack([a, b], axis=1), colors="0.45", linewidths=0.6,
                               alpha=0.7, zorder=1, label="catchment")
        ax.add_collection(lines)

    size = 10 if len(communities) > 500 else 30
    ax.scatter(communities["x_m"], communities["y_m"], s=size, c=list(colours), zorder=2,
               edgecolors="none", label="communities")
    sites = candidates[candidates["source"] == "site"]
    closed = sites[~sites["opened"].astype(bool)]
    opened = sites[sites["opened"].astype(bool)]
    existing = candidates[candidates["source"] == "facility"]
    ax.scatter(closed["x_m"], closed["y_m"], marker="s", s=2 * size, facecolors="none",
               edgecolors="0.35", linewidths=0.8, zorder=3, label="candidate sites")
    ax.scatter(opened["x_m"], opened["y_m"], marker="s", s=3 * size, c="#2166ac", zorder=4,
               edgecolors="black", linewidths=0.5, label="opened sites")
    ax.scatter(existing["x_m"], existing["y_m"], marker="^", s=3 * size, c="#762a83", zorder=4,
               edgecolors="black", linewidths=0.5, label="existing complexes")

    map_axes(ax, title)
    ax.grid(True, linewidth=0.3, alpha=0.5)
    handles = [
        Line2D([], [], marker="o", ls="", color=SERVED, label="community: gap fully met"),
        Line2D([], [], marker="o", ls="", color=PARTLY, label="community: gap partly met"),
        Line2D([], [], marker="o", ls="", color=UNSERVED, label="community: gap not met"),
        Line2D([], [], marker="s", ls="", mfc="none", mec="0.35", label="candidate site (closed)"),
        Line2D([], [], marker="s", ls="", color="#2166ac", mec="black", label="site opened"),
        Line2D([], [], marker="^", ls="", color="#762a83", mec="black",
               label="existing complex (spare floor)"),
        Line2D([], [], color="0.45", lw=0.8, label="catchment (who uses which complex)"),
    ]
    ax.legend(handles=handles, loc="best", fontsize=8, framealpha=0.9)
    return fig


def map_axes(ax, title: str) -> None:
    """Axes of a map on the data's local metric grid: equal scale, metres with thousands
    separators, labelled easting and northing."""
    ax.set_aspect("equal", adjustable="datalim")
    thousands = FuncFormatter(lambda v, _pos: f"{v:,.0f}")
    ax.xaxis.set_major_formatter(thousands)
    ax.yaxis.set_major_formatter(thousands)
    ax.set_xlabel("easting (m, local grid)")
    ax.set_ylabel("northing (m, local grid)")
    ax.set_title(title)
