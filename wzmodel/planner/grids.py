"""Comprehensive grids (综合网格) and featured areas: what the planner makes of the optional
``grids`` and ``featured_areas`` tables.

The notice (沪建综规联〔2025〕502号) aligns a basic complete community's scope with the grids
(其范围划定应与综合网格做好衔接) and lets a featured one be drawn flexibly, in principle within one
grid (可因地制宜，原则上不跨网格). The planner works on committees, one grid each (``grids``):

* grids are counted as units of coverage by the ``complete_grids`` target (as streets by
  ``complete_blocks``);
* a *featured area* (``featured_areas``) is a featured community drawn over several committees:
  its committees reach featured together, in one start year, and count as one new featured
  community. With a grids table, an area whose committees lie in more than one grid — or in
  none — crosses grids and is not made featured, unless the table gives a ``grid_exception``.
  An area partly outside the planned area cannot be made featured in that plan either (the
  plan would make part of a community). A committee in no area is a featured community of its
  own and, lying in one grid or none, crosses nothing.

docs/grids.md explains the choice; :mod:`wzmodel.planner.model` writes the rows and
:mod:`wzmodel.planner.check` re-verifies them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["FeaturedArea", "block_featured", "featured_areas", "grid_column"]


@dataclass(frozen=True)
class FeaturedArea:
    """One featured area of the data, as the planner sees it.

    Attributes
    ----------
    area_id : its id in ``featured_areas``.
    members : indices of its committees among the planned communities, sorted by community id.
    outside : ids of its committees the plan does not cover (outside the scenario's area).
    grids : the grids its committees lie in, sorted ("" for a committee in no grid).
    exception : why it may cross grids ("" when it may not).
    blocked : why it may not be made featured in this plan ("" when it may).
    """

    area_id: str
    members: tuple[int, ...]
    outside: tuple[str, ...]
    grids: tuple[str, ...]
    exception: str
    blocked: str

    @property
    def grid(self) -> str:
        """The grid the area lies in, or its grids joined by '+' when it crosses."""
        return "+".join(g or "(no grid)" for g in self.grids)


def grid_column(dataset, community_ids: pd.Series) -> pd.Series:
    """Each community's grid id ("" for a community in no grid, or without a grids table)."""
    grids = dataset.grids.drop_duplicates("community_id")
    grid = dict(zip(grids["community_id"], grids["grid_id"], strict=True))
    return community_ids.map(lambda cid: grid.get(cid) or "").astype(str)


def featured_areas(dataset, communities: pd.DataFrame) -> tuple[FeaturedArea, ...]:
    """The featured areas of ``dataset`` with more than one committee, resolved against the
    planned ``communities`` (community_id, grid_id), each with why it may not be made featured.
    """
    table = dataset.featured_areas.dropna(subset=["area_id", "community_id"])
    if table.empty:
        return ()
    index = {cid: i for i, cid in enumerate(communities["community_id"])}
    every_grid = grid_column(dataset, table["community_id"])
    has_grids = not dataset.grids.empty
    areas = []
    for area_id, rows in table.groupby("area_id", sort=True):
        if len(rows) < 2:  # one committee: a featured community like any other
            continue
        ids = sorted(rows["community_id"])
        members = tuple(index[c] for c in ids if c in index)
        outside = tuple(c for c in ids if c not in index)
        grids = tuple(sorted(set(every_grid[rows.index])))
        notes = rows["grid_exception"].dropna()
        exception = str(notes.iloc[0]) if len(notes) else ""
        blocked = ""
        if outside:
            blocked = (f"featured area {area_id} lies partly outside the planned area "
                       f"({', '.join(outside)}): it cannot be made featured in this plan")
        elif has_grids and (len(grids) > 1 or "" in grids) and not exception:
            where = " and ".join(g or "no grid" for g in grids)
            blocked = (f"grid: featured area {area_id} ({', '.join(ids)}) lies in {where} — a "
                       "featured community does not cross grids (原则上不跨网格) without a "
                       "grid_exception")
        areas.append(FeaturedArea(str(area_id), members, outside, grids, exception, blocked))
    return tuple(areas)


def block_featured(areas: tuple[FeaturedArea, ...], allowed: np.ndarray, already: np.ndarray
                   ) -> dict[int, str]:
    """Forbid, in ``allowed`` (featured, changed in place), the areas that may not be made
    featured, and those one of whose committees may not be (its committees go together).
    Returns the reason per community index."""
    reasons: dict[int, str] = {}
    for area in areas:
        todo = [i for i in area.members if not already[i]]
        reason = area.blocked
        if not reason and not all(allowed[i] for i in todo):
            reason = (f"featured area {area.area_id}: one of its committees may not be made "
                      "featured, so none of them may")
        if reason:
            for i in todo:
                allowed[i] = False
                reasons[i] = reason
    return reasons
