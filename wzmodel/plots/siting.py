"""Maps of a siting result (matplotlib; DataFrames in, a Figure out).

:func:`map_sites` draws the communities with a service-floor gap (coloured by how much of it the
complexes meet), the candidate sites (open or not), the existing complexes, a line from every
community to each complex that serves it and the walking reach around each complex in use, on
the base map of :mod:`.maps` (the real district outlines when the data has them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle

from wzmodel.geography import DistrictOutlines
from wzmodel.plots.maps import base_map

__all__ = ["map_sites"]

SERVED, PARTLY, UNSERVED = "#1a9850", "#fdae61", "#d73027"
REACH_FILL, REACH_EDGE = (0.13, 0.4, 0.67, 0.05), (0.13, 0.4, 0.67, 0.45)


def map_sites(communities: pd.DataFrame, candidates: pd.DataFrame,
              allocation: pd.DataFrame | None = None, *,
              title: str = "Service complexes: sites opened and communities served",
              figsize: tuple[float, float] = (9.0, 8.0),
              outlines: DistrictOutlines | None = None) -> Figure:
    """A map of one siting result.

    Parameters
    ----------
    communities : community_id, x_m, y_m, need_m2, served_m2 (``SitingPlan.communities``).
    candidates : id, source (``site``/``facility``), x_m, y_m, opened and, to draw the walking
        reach around the complexes in use, reach_m (``SitingPlan.candidates``).
    allocation : site_or_facility_id, community_id, floor_m2 (``SitingPlan.allocation``);
        one catchment line per row. None draws no lines.
    title, figsize : of the figure.
    outlines : the data's district outlines (``SitingPlan.outlines``); the map zooms to the
        districts the communities lie in.

    Returns
    -------
    matplotlib.figure.Figure
        One axes; its artists carry labels ``walking reach``, ``catchment``, ``communities``,
        ``candidate sites``, ``opened sites`` and ``existing complexes``.
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

    used = candidates[candidates["opened"].astype(bool)]
    if "reach_m" in candidates and len(used):
        reach = PatchCollection([Circle((x, y), r) for x, y, r in zip(
            used["x_m"], used["y_m"], used["reach_m"], strict=True)], facecolors=REACH_FILL,
            edgecolors=REACH_EDGE, linewidths=0.5, zorder=0.8, label="walking reach")
        ax.add_collection(reach)

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

    base_map(ax, outlines, points=communities)
    ax.set_title(title)
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
    if "reach_m" in candidates and len(used):
        handles.append(Line2D([], [], marker="o", ls="", markersize=12, mfc=REACH_FILL,
                              mec=REACH_EDGE, label="walking reach of a complex in use "
                                                    "(zone's radius ÷ detour factor)"))
    fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=8)
    return fig
