"""Readable labels next to ids, added in one place for every table a person reads.

Ids stay (first columns, so joins and ``wzmodel check`` keep working); :func:`with_places` puts
the community's name, street and district right after ``community_id``, and :func:`with_names`
puts a source's (or any id's) readable name right after its id column. Both leave the row order
alone and replace labels already present, so labelling a labelled table changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

__all__ = ["PLACE_COLUMNS", "community_places", "source_names", "with_names", "with_places"]

PLACE_COLUMNS = ("name", "street", "district")
"""The labels :func:`with_places` adds after ``community_id``."""


def community_places(communities: pd.DataFrame, streets: pd.DataFrame) -> pd.DataFrame:
    """community_id, name, street (the street's name), district — one row per community."""
    street_name = dict(zip(streets["street_code"], streets["street_name"], strict=True))
    return pd.DataFrame({
        "community_id": communities["community_id"].to_numpy(),
        "name": communities["name"].to_numpy(),
        "street": communities["street_code"].map(street_name).to_numpy(),
        "district": communities["district"].to_numpy(),
    })


def with_places(frame: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with name, street and district inserted after ``community_id`` (rows, their
    order and every other column unchanged; an unknown id gets blank labels)."""
    out = frame.drop(columns=[c for c in PLACE_COLUMNS if c in frame.columns])
    by_id = places.set_index("community_id")
    at = out.columns.get_loc("community_id") + 1
    for offset, column in enumerate(PLACE_COLUMNS):
        out.insert(at + offset, column, out["community_id"].map(by_id[column]))
    return out


def with_names(frame: pd.DataFrame, column: str, names: Mapping[str, str],
               label: str | None = None) -> pd.DataFrame:
    """``frame`` with ``label`` (default ``{column} name``, ``source_id`` → ``source``) holding
    ``names[id]`` inserted after the id ``column``; an id without a name keeps the id."""
    if label is None:
        label = column.removesuffix("_id") if column.endswith("_id") else f"{column} name"
    out = frame.drop(columns=[label]) if label in frame.columns else frame.copy()
    ids = out[column]
    out.insert(out.columns.get_loc(column) + 1, label, ids.map(names).fillna(ids))
    return out


def source_names(sources: pd.DataFrame) -> dict[str, str]:
    """source_id → the name in ``sources.csv``."""
    return dict(zip(sources["source_id"], sources["name"], strict=True))
