"""Where the data lies: the coordinate reference system of ``x_m, y_m`` and the district outlines.

A data folder may declare the CRS of its coordinates as a PROJ string, ``crs = "..."`` in its
``about.toml`` (the bundled Shanghai data: a transverse Mercator with its origin at People's
Square, metres), and may hold ``districts.geojson``: one outline per district, RFC 7946 GeoJSON
(WGS 84 longitude/latitude), each feature with a ``district`` property naming the district as
the tables do. :func:`read_outlines` projects the outlines into the data's CRS with pyproj, so
maps draw the communities on them and tests can check that every point lies in its district.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pyproj
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape

from wzmodel.schema import Problem

__all__ = ["LONLAT", "OUTLINES_FILE", "DistrictOutlines", "crs_problems", "project", "read_outlines",
           "write_geojson"]

OUTLINES_FILE = "districts.geojson"
"""The optional file of a data folder holding its district outlines."""

LONLAT = "EPSG:4326"
"""The CRS of GeoJSON coordinates (RFC 7946): WGS 84 longitude, latitude."""


@dataclass(frozen=True)
class DistrictOutlines:
    """Each district's outline (a polygon or multipolygon, e.g. a district of islands) in the
    data's own CRS ``crs`` (metres)."""

    crs: str
    shapes: Mapping[str, Polygon | MultiPolygon]

    @property
    def districts(self) -> list[str]:
        return list(self.shapes)

    def bounds(self, districts: Iterable[str] | None = None) -> tuple[float, float, float, float]:
        """(x_min, y_min, x_max, y_max) of the given districts' outlines (all by default)."""
        chosen = self.districts if districts is None else [d for d in districts if d in self.shapes]
        return tuple(shapely.total_bounds([self.shapes[d] for d in chosen]).tolist())

    def contains(self, districts, x, y, *, tolerance_m: float = 0.0) -> np.ndarray:
        """Whether each point (x[k], y[k]) lies inside the outline of ``districts[k]`` (or
        within ``tolerance_m`` of it); a district without an outline contains nothing."""
        districts, x, y = np.asarray(districts), np.asarray(x, float), np.asarray(y, float)
        inside = np.zeros(len(districts), dtype=bool)
        for district in np.unique(districts):
            if district not in self.shapes:
                continue
            rows = districts == district
            area = self.shapes[district]
            area = area.buffer(tolerance_m) if tolerance_m > 0 else area
            inside[rows] = shapely.contains_xy(area, x[rows], y[rows])
        return inside


def write_geojson(collection: dict, path: Path) -> None:
    """A FeatureCollection as compact UTF-8 JSON, one feature per line (diffs stay readable)."""
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    path.write_text(text.replace('{"type":"Feature"', '\n{"type":"Feature"') + "\n",
                    encoding="utf-8")


@cache
def _transformer(source: str, target: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(source, target, always_xy=True)


def project(geometry, source: str, target: str):
    """``geometry`` (shapely) with its coordinates taken from CRS ``source`` to ``target``."""
    forward = _transformer(source, target)
    return shapely.transform(geometry, lambda xy: np.column_stack(forward.transform(xy[:, 0], xy[:, 1])))


def crs_problems(crs: str, file: str) -> list[Problem]:
    """A problem if PROJ does not understand ``crs`` (declared in ``file``)."""
    try:
        pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        return [Problem(file, f"a CRS PROJ understands ({exc})", None, "crs", crs)]
    return []


def read_outlines(path: Path, crs: str | None) -> tuple[DistrictOutlines | None, list[Problem]]:
    """The outlines of ``path`` (GeoJSON, WGS 84 lon/lat) projected into ``crs`` (one PROJ
    understands, see :func:`crs_problems`), and the problems found: no CRS to project into,
    unreadable JSON, a feature without a ``district`` name or without a polygon, a district
    named twice."""
    name = str(path)
    if crs is None:
        return None, [Problem(name, "a crs in about.toml to place the outlines in (a PROJ string)",
                              None, "crs", None)]
    try:
        features = json.loads(path.read_text(encoding="utf-8"))["features"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        return None, [Problem(name, f"a GeoJSON FeatureCollection ({exc!r})")]
    shapes: dict[str, Polygon | MultiPolygon] = {}
    problems = []
    for k, feature in enumerate(features, start=1):
        district = (feature.get("properties") or {}).get("district")
        geometry = feature.get("geometry") or {}
        if not isinstance(district, str) or not district:
            problems.append(Problem(name, "a district name (properties.district)", k, "district",
                                    district))
        elif district in shapes:
            problems.append(Problem(name, "one outline per district", k, "district", district))
        elif geometry.get("type") not in ("Polygon", "MultiPolygon"):
            problems.append(Problem(name, "a Polygon or MultiPolygon", k, "geometry",
                                    geometry.get("type")))
        else:
            shapes[district] = project(shape(geometry), LONLAT, crs)
    return (None if problems else DistrictOutlines(crs, shapes)), problems
