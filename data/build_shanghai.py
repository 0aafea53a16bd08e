"""Build the bundled Shanghai dataset ``data/shanghai/`` and the tiny example dataset.

Run ``.venv/bin/python data/build_shanghai.py`` (or ``make data``). The build is deterministic:
every random draw comes from a numpy Generator seeded with ``SEED`` (one independent stream per
table, so changing how one table is drawn never changes another), rows are written in a stable
order and floats are rounded, so the same inputs give the same bytes on every run.

What is real and what is not (details and figures in ``data/README.md``):

* **Real**: committee names and 12-digit codes, street (街道/镇/乡) membership, districts, the
  number of committees per district, and the district resident totals of the 2020 census
  (which the synthetic committee populations add up to exactly). Read from
  ``data/sources/nbs/`` (the statistics code list) and ``CENSUS_2020_RESIDENTS`` below.
* **Assumed**: the zone of every street (``data/shanghai/street_zones.csv``, an editable file the
  build reads; ``--write-default-zones`` regenerates it from the rules in ``default_zone``), unit
  costs (the standards TOML files), budgets and sharing splits.
* **Synthetic**: households and age shares per committee, coordinates, every indicator, candidate
  sites, existing facilities.

The calibration targets (DOMAIN.md §4) are the constants at the top of each section; the
private function ``_assess`` re-implements the standards' gap arithmetic (header of
``wzmodel/standards/basic.toml``) only to print and tune the calibration — the package's own
assessment lives in ``wzmodel``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
import shapely.ops
from scipy.spatial import cKDTree

from wzmodel import geography

REPO = Path(__file__).resolve().parent.parent
NBS_DIR = REPO / "data" / "sources" / "nbs"
OUT_DIR = REPO / "data" / "shanghai"
TINY_DIR = REPO / "wzmodel" / "examples" / "tiny"
ZONES_FILE = OUT_DIR / "street_zones.csv"
OUTLINES_FILE = OUT_DIR / geography.OUTLINES_FILE  # real outlines, see data/sources/cnmaps
ABOUT_FILE = OUT_DIR / "about.toml"  # its crs: the CRS of x_m, y_m
SCHEMA_FILE = REPO / "wzmodel" / "schema" / "tables.toml"
STANDARDS_DIR = REPO / "wzmodel" / "standards"

SEED = 20251205  # the notice's issue date; any fixed integer would do
YEARS = list(range(2026, 2036))
ZONES = ["main_urban", "new_town", "new_market_town", "rural"]
TABLES = ["streets", "communities", "sites", "facilities", "sources", "budgets", "sharing",
          "sharing_links", "grids"]
TINY_TABLES = TABLES

# --------------------------------------------------------------------------------------------
# Districts: short names (浦东新区 -> 浦东), pinyin for ids, and the published reference totals.
# --------------------------------------------------------------------------------------------

DISTRICT_PINYIN = {
    "黄浦": "huangpu", "徐汇": "xuhui", "长宁": "changning", "静安": "jingan",
    "普陀": "putuo", "虹口": "hongkou", "杨浦": "yangpu", "闵行": "minhang",
    "宝山": "baoshan", "嘉定": "jiading", "浦东": "pudong", "金山": "jinshan",
    "松江": "songjiang", "青浦": "qingpu", "奉贤": "fengxian", "崇明": "chongming",
}
CENTRAL_DISTRICTS = ["黄浦", "徐汇", "长宁", "静安", "普陀", "虹口", "杨浦"]

# 2020 census resident population by district (DOMAIN.md §4, 上海市第七次全国人口普查). The
# synthetic committee populations are scaled so that they add up to these totals exactly.
CENSUS_2020_RESIDENTS = {
    "黄浦": 662_030, "徐汇": 1_113_078, "长宁": 693_051, "静安": 975_707,
    "普陀": 1_239_800, "虹口": 757_498, "杨浦": 1_242_548, "闵行": 2_653_489,
    "宝山": 2_235_218, "嘉定": 1_834_258, "浦东": 5_681_512, "金山": 822_776,
    "松江": 1_909_713, "青浦": 1_271_424, "奉贤": 1_140_872, "崇明": 637_921,
}

# Share of residents aged 60+ by district, before the city-wide rescaling to 23.4 %. Synthetic
# but ordered as the census and the registered-population statistics suggest: the old central
# districts oldest (虹口 highest, DOMAIN.md §4: 43.2 % of registered residents), the suburbs
# with many young migrants (松江, 嘉定, 闵行) youngest, 崇明 old.
DISTRICT_60PLUS = {
    "黄浦": 0.325, "徐汇": 0.275, "长宁": 0.295, "静安": 0.305, "普陀": 0.300,
    "虹口": 0.335, "杨浦": 0.300, "闵行": 0.200, "宝山": 0.245, "嘉定": 0.190,
    "浦东": 0.225, "金山": 0.270, "松江": 0.165, "青浦": 0.185, "奉贤": 0.225, "崇明": 0.295,
}
CITY_60PLUS = 0.234  # 2020 census
CITY_0_14 = 0.098  # 2020 census
CITY_PERSONS_PER_HOUSEHOLD = 2.32  # 2020 census, persons per family household
# 2020 census: 9.6446 M family households (DOMAIN.md §4 [src]). 2.32 × 9.6446 M ≈ 22.38 M residents
# live in family households; the other ≈ 2.5 M live in collective households (dormitories,
# institutions) [derived], which are not households of the standards' "per 100 households".
CENSUS_2020_FAMILY_HOUSEHOLDS = 9_644_600


def short_district(full_name: str) -> str:
    """浦东新区 -> 浦东, 黄浦区 -> 黄浦."""
    return full_name.removesuffix("新区").removesuffix("区")


# --------------------------------------------------------------------------------------------
# The code list
# --------------------------------------------------------------------------------------------


def load_code_list(nbs_dir: Path = NBS_DIR) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Committees (without the 13 virtual units) and streets with at least one committee."""
    committees = pd.read_csv(nbs_dir / "shanghai_committees.csv", dtype=str)
    committees = committees[~committees["name"].str.contains("虚拟")]
    counts = pd.read_csv(nbs_dir / "shanghai_committee_counts_by_street.csv", dtype=str)
    counts["district"] = counts["district"].map(short_district)
    committees = committees.rename(columns={"code": "community_id", "streetCode": "street_code"})
    committees = committees.merge(
        counts[["street_code", "district"]], on="street_code", how="left", validate="m:1"
    )
    # Every real committee's name ends in 居委会 (residents') or 村委会 (villagers').
    kind = np.where(committees["name"].str.endswith("村委会"), "villagers", "residents")
    bad = ~committees["name"].str.endswith(("村委会", "居委会"))
    if bad.any():
        raise ValueError(f"cannot tell the kind of {committees.loc[bad, 'name'].tolist()}")
    committees["kind"] = kind
    committees = committees[["community_id", "name", "street_code", "district", "kind"]]
    committees = committees.sort_values("community_id", kind="stable").reset_index(drop=True)

    streets = counts[counts["street_code"].isin(committees["street_code"])]
    streets = streets.rename(columns={"resid_committees": "n_res", "village_committees": "n_vil"})
    streets = streets.astype({"n_res": int, "n_vil": int})
    streets = streets[["street_code", "street_name", "district", "n_res", "n_vil"]]
    return committees, streets.sort_values("street_code", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Street layout classes (street_zones.csv, an assumption explained in data/README.md): where the
# build places a street and what sites and facilities it gets. The zone the model uses is each
# committee's own (committee_zones below).
# --------------------------------------------------------------------------------------------

# Towns (镇) of the partly-main-urban districts that lie inside the outer ring or in a
# main-urban sub-area of the 2035 master plan (虹桥, 川沙, 宝山, 闵行; 高桥/高东).
MAIN_URBAN_TOWNS = {
    "浦东": {"北蔡镇", "三林镇", "金桥镇", "高行镇", "张江镇", "高桥镇", "高东镇", "唐镇",
             "川沙新镇", "康桥镇"},
    "闵行": {"莘庄镇", "七宝镇", "颛桥镇", "华漕镇", "虹桥镇", "梅陇镇", "吴泾镇", "浦江镇",
             "莘庄工业区"},
    "宝山": {"大场镇", "高境镇", "庙行镇", "淞南镇", "顾村镇", "杨行镇", "月浦镇"},
    "嘉定": {"真新街道", "江桥镇"},  # 真新 adjoins 长征 inside the outer ring; 江桥: 虹桥 sub-area
    "青浦": {"徐泾镇"},  # 虹桥 sub-area
}
# The five new towns: the district-seat streets/towns of 嘉定, 青浦, 松江, 奉贤 and the 临港
# towns of 南汇新城 (浦东's south-east).
NEW_TOWN_STREETS = {
    "嘉定": {"嘉定镇街道", "新成路街道", "菊园新区", "马陆镇", "嘉定工业区"},
    "青浦": {"夏阳街道", "盈浦街道", "香花桥街道"},
    "松江": {"岳阳街道", "永丰街道", "方松街道", "中山街道", "广富林街道"},
    "奉贤": {"南桥镇", "西渡街道", "奉浦街道", "金海街道"},
    "浦东": {"南汇新城镇", "泥城镇", "书院镇"},
}
# 崇明's district seat and its larger towns stay new market towns; the rest of the islands is rural.
CHONGMING_MARKET_TOWNS = {"城桥镇", "堡镇", "陈家镇", "长兴镇"}
RURAL_VILLAGE_SHARE = 0.75  # a suburban town with >= 75 % villagers' committees counts as rural


def default_zone(street: pd.Series) -> tuple[str, str]:
    """The rule-based zone of one street and the reason, used to create street_zones.csv."""
    district, name = street["district"], street["street_name"]
    village_share = street["n_vil"] / (street["n_res"] + street["n_vil"])
    if district in CENTRAL_DISTRICTS:
        return "main_urban", "central district, wholly inside the main urban area"
    if name.endswith("街道") and district in ("浦东", "闵行", "宝山"):
        return "main_urban", "urban sub-district (街道) of a partly main-urban district"
    if name in MAIN_URBAN_TOWNS.get(district, set()):
        return "main_urban", "inside the outer ring or a main-urban sub-area (2035 plan)"
    if name in NEW_TOWN_STREETS.get(district, set()):
        return "new_town", f"core of the {'南汇' if district == '浦东' else district} new town"
    if name.endswith("乡"):
        return "rural", "township (乡)"
    if district == "崇明":
        if name in CHONGMING_MARKET_TOWNS:
            return "new_market_town", "崇明 district seat or larger island town"
        return "rural", "崇明 island town, farms and villages"
    if village_share >= RURAL_VILLAGE_SHARE:
        return "rural", f"{village_share:.0%} of its committees are villagers' committees"
    return "new_market_town", "town outside the main urban area and the new towns"


def write_default_zones(streets: pd.DataFrame, path: Path = ZONES_FILE) -> None:
    """Create the editable mapping file from the rules (run once; users then edit the file)."""
    rows = [(*default_zone(s),) for _, s in streets.iterrows()]
    out = streets[["street_code", "street_name", "district"]].copy()
    out["zone"] = [r[0] for r in rows]
    out["reason"] = [r[1] for r in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False, lineterminator="\n")


def read_zones(streets: pd.DataFrame, path: Path = ZONES_FILE) -> pd.Series:
    """Zone per street_code from the mapping file; every street must be listed once."""
    zones = pd.read_csv(path, dtype=str)
    problems = []
    unknown = sorted(set(zones["zone"]) - set(ZONES))
    if unknown:
        problems.append(f"unknown zones {unknown}")
    missing = sorted(set(streets["street_code"]) - set(zones["street_code"]))
    if missing:
        problems.append(f"streets without a zone {missing}")
    if zones["street_code"].duplicated().any():
        problems.append("duplicate street codes")
    if problems:
        raise ValueError(f"{path}: " + "; ".join(problems))
    return zones.set_index("street_code")["zone"]


# --------------------------------------------------------------------------------------------
# Committee zones (the 2035 plan's hierarchy 主城区—新城—新市镇—乡村; rules in data/README.md)
# --------------------------------------------------------------------------------------------

# The planning extents of the main urban area and the five new towns, an editable file the build
# reads: each a disc of the documented area (DOMAIN.md §4 [src]) around an assumed centre, in the
# data's CRS (km from People's Square). The disc shapes and centres are [assumed]; the areas are
# the plan's. A `district` restricts an extent to the committees of that district.
EXTENTS_FILE = OUT_DIR / "zone_extents.csv"
# The seven central districts lie wholly inside the main urban area (DOMAIN.md §4 [src]).
CENTRAL_REASON = "central district, wholly inside the main urban area"


def read_extents(path: Path = EXTENTS_FILE) -> pd.DataFrame:
    """The planning extents (extent, zone, district, x_km, y_km, area_km2, source), checked."""
    ext = pd.read_csv(path, dtype={"district": str}, keep_default_na=False)
    problems = []
    for i, row in ext.iterrows():
        if row["zone"] not in ("main_urban", "new_town"):
            problems.append(f"row {i + 2}, column zone: {row['zone']!r} is not main_urban or new_town")
        if row["district"] and row["district"] not in CENSUS_2020_RESIDENTS:
            problems.append(f"row {i + 2}, column district: unknown district {row['district']!r}")
        if not float(row["area_km2"]) > 0:
            problems.append(f"row {i + 2}, column area_km2: {row['area_km2']!r} is not > 0")
    if problems:
        raise ValueError(f"{path}: " + "; ".join(problems))
    return ext


def extent_discs(extents: pd.DataFrame) -> list:
    """Each extent as a shapely disc (metres) of its documented area."""
    return [shapely.Point(1000.0 * e.x_km, 1000.0 * e.y_km).buffer(
        1000.0 * np.sqrt(e.area_km2 / np.pi), 128) for e in extents.itertuples()]


def committee_zones(com: pd.DataFrame, extents: pd.DataFrame) -> pd.DataFrame:
    """Each committee's zone and the rule that gave it, in this order:

    1. a villagers' committee (村委会) is 乡村 (``rural``) — the plan's village level, wherever
       its town lies;
    2. a residents' committee of a central district is ``main_urban``;
    3. a residents' committee inside a main-urban extent is ``main_urban``, inside a new-town
       extent ``new_town`` (by its position, ``x_m, y_m``);
    4. any other residents' committee belongs to its town's (or township's, or outer
       sub-district's) seat: a new market town (``new_market_town``)."""
    x, y = com["x_m"].to_numpy(float), com["y_m"].to_numpy(float)
    district = com["district"].to_numpy()
    zone = np.full(len(com), "new_market_town", dtype=object)
    reason = np.full(len(com), "residents' committee outside the main urban area and the new "
                     "towns: its town's seat, a new market town", dtype=object)
    # new towns first, so that a main-urban extent wins where the two overlap
    for order in ("new_town", "main_urban"):
        for e in extents[extents["zone"] == order].itertuples():
            r = 1000.0 * np.sqrt(e.area_km2 / np.pi)
            hit = np.hypot(x - 1000.0 * e.x_km, y - 1000.0 * e.y_km) <= r
            if e.district:
                hit &= district == e.district
            zone[hit] = e.zone
            reason[hit] = f"inside the {e.extent} extent (zone_extents.csv)"
    central = np.isin(district, CENTRAL_DISTRICTS)
    zone[central] = "main_urban"
    reason[central] = CENTRAL_REASON
    villagers = (com["kind"] == "villagers").to_numpy()
    zone[villagers] = "rural"
    reason[villagers] = "villagers' committee: the plan's village (乡村) level"
    return pd.DataFrame({"zone": zone, "zone_reason": reason}, index=com.index)


def street_zone(com: pd.DataFrame) -> pd.Series:
    """A street's zone in streets.csv: the zone most of its residents' committees have (its seat;
    ties by the order of ZONES), ``rural`` for a street of villagers' committees only. The model
    gives it to a committee whose own zone is blank."""
    def pick(g: pd.DataFrame) -> str:
        res = g.loc[g["kind"] == "residents", "zone"]
        if res.empty:
            return "rural"
        counts = res.value_counts()
        return min(counts.index[counts == counts.max()], key=ZONES.index)
    return com.groupby("street_code", sort=True)[["kind", "zone"]].apply(pick)


# --------------------------------------------------------------------------------------------
# Population: residents, households, age shares
# --------------------------------------------------------------------------------------------

# Relative size of a committee before scaling to the district total. Villagers' committees are
# smaller (fewer residents per committee in the code list's villages than in urban committees).
VILLAGE_SIZE_FACTOR = 0.55
# Log-normal spread of committee sizes within a district: 5-95 % of committees between ~1,000
# and ~8,700 residents. The spread is what makes cost per household differ from cost per
# community, so that choosing which communities to upgrade matters.
SIZE_SIGMA = 0.55

# Residents per family household before the city-wide rescaling: smaller households in the old
# central city, larger in villages (DOMAIN.md §4; the census pattern). The rescaling makes the
# households add up to the census's family households, so residents per household is ≈ 2.58
# (residents include the ≈ 2.5 M in collective households), not the census's 2.32 persons per
# family household.
PERSONS_PER_HOUSEHOLD = {"central": 2.12, "main_urban": 2.28, "new_town": 2.35,
                         "new_market_town": 2.42, "rural": 2.50, "villagers": 2.75}


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to weights that add up to total exactly."""
    raw = weights / weights.sum() * total
    floor = np.floor(raw).astype(np.int64)
    short = total - int(floor.sum())
    order = np.argsort(-(raw - floor), kind="stable")
    floor[order[:short]] += 1
    return floor


def add_population(rng: np.random.Generator, com: pd.DataFrame) -> pd.DataFrame:
    """Residents (exact district totals), households and age shares per committee."""
    com = com.copy()
    n = len(com)
    villagers = (com["kind"] == "villagers").to_numpy()
    central = com["district"].isin(CENTRAL_DISTRICTS).to_numpy()
    weight = rng.lognormal(0.0, SIZE_SIGMA, n) * np.where(villagers, VILLAGE_SIZE_FACTOR, 1.0)
    residents = np.zeros(n, dtype=np.int64)
    for district, total in CENSUS_2020_RESIDENTS.items():
        idx = np.flatnonzero((com["district"] == district).to_numpy())
        residents[idx] = _largest_remainder(weight[idx], total)
    com["residents"] = residents

    group = np.where(villagers, "villagers", np.where(central, "central", com["zone"]))
    pph = np.array([PERSONS_PER_HOUSEHOLD[g] for g in group]) * rng.normal(1.0, 0.05, n)
    pph *= (residents / pph).sum() / CENSUS_2020_FAMILY_HOUSEHOLDS
    com["households"] = np.maximum(1, np.round(residents / pph)).astype(np.int64)

    # Age shares: district level, new towns younger, villages older, noise; then a shift so the
    # resident-weighted city means equal the census figures.
    zone = com["zone"].to_numpy()
    old = com["district"].map(DISTRICT_60PLUS).to_numpy()
    old = old - 0.035 * (zone == "new_town") + 0.03 * villagers + rng.normal(0, 0.035, n)
    old += CITY_60PLUS - np.average(old, weights=residents)
    com["share_60plus"] = np.clip(old, 0.06, 0.60).round(4)
    young = CITY_0_14 - 0.018 * central + 0.022 * (zone == "new_town") + rng.normal(0, 0.012, n)
    young += CITY_0_14 - np.average(young, weights=residents)
    com["share_0_14"] = np.clip(young, 0.03, 0.20).round(4)
    return com


# --------------------------------------------------------------------------------------------
# Coordinates (synthetic, metres; origin People's Square, x east, y north)
# --------------------------------------------------------------------------------------------

# Anchor (km) of each (district, zone) group of streets; the streets of a group are laid out on
# a golden-angle spiral around it, starting at ring r0 km, spaced by `step` km. Anchors sit where
# the group's streets roughly are on the real map (district outlines in districts.geojson):
# 浦东 main urban by the river, 南汇新城 at 临港, 闵行's towns west and south, 金山 by the sea.
@dataclass(frozen=True)
class Anchor:
    x_km: float
    y_km: float
    r0_km: float
    step_km: float


ANCHORS = {
    ("黄浦", "main_urban"): Anchor(0.8, -1.5, 0.0, 1.1),
    ("徐汇", "main_urban"): Anchor(-3.8, -6.5, 0.0, 1.6),
    ("长宁", "main_urban"): Anchor(-7.5, -1.5, 0.0, 1.5),
    ("静安", "main_urban"): Anchor(-1.0, 4.5, 0.0, 1.4),
    ("普陀", "main_urban"): Anchor(-7.5, 4.5, 0.0, 1.6),
    ("虹口", "main_urban"): Anchor(0.7, 5.5, 0.0, 1.2),
    ("杨浦", "main_urban"): Anchor(5.0, 7.5, 0.0, 1.5),
    ("浦东", "main_urban"): Anchor(9.0, -5.0, 0.0, 2.4),
    ("浦东", "new_town"): Anchor(40.0, -38.0, 0.0, 4.0),
    ("浦东", "new_market_town"): Anchor(32.0, -28.0, 4.0, 4.5),
    ("浦东", "rural"): Anchor(30.0, -18.0, 6.0, 6.0),
    ("闵行", "main_urban"): Anchor(-8.0, -12.0, 0.0, 2.6),
    ("闵行", "new_market_town"): Anchor(-12.0, -22.0, 0.0, 3.0),
    ("宝山", "main_urban"): Anchor(-1.0, 14.0, 0.0, 2.6),
    ("宝山", "new_market_town"): Anchor(-8.0, 27.0, 0.0, 4.0),
    ("嘉定", "main_urban"): Anchor(-15.0, 7.0, 0.0, 3.5),
    ("嘉定", "new_town"): Anchor(-24.0, 23.0, 0.0, 2.6),
    ("嘉定", "new_market_town"): Anchor(-28.0, 17.0, 6.0, 4.0),
    ("嘉定", "rural"): Anchor(-24.0, 22.0, 0.0, 4.0),
    ("青浦", "main_urban"): Anchor(-19.0, -6.0, 0.0, 3.0),
    ("青浦", "new_town"): Anchor(-37.0, -4.0, 0.0, 2.4),
    ("青浦", "new_market_town"): Anchor(-38.0, -5.0, 6.0, 4.5),
    ("青浦", "rural"): Anchor(-52.0, -12.0, 0.0, 6.0),
    ("松江", "new_town"): Anchor(-30.0, -23.0, 0.0, 2.2),
    ("松江", "new_market_town"): Anchor(-26.0, -20.0, 7.0, 4.0),
    ("松江", "rural"): Anchor(-27.0, -31.0, 0.0, 5.0),
    ("奉贤", "new_town"): Anchor(-2.0, -40.0, 0.0, 2.4),
    ("奉贤", "new_market_town"): Anchor(2.0, -42.0, 8.0, 5.0),
    ("奉贤", "rural"): Anchor(-6.0, -38.0, 0.0, 5.0),
    ("金山", "new_market_town"): Anchor(-20.0, -46.0, 0.0, 5.0),
    ("金山", "rural"): Anchor(-30.0, -44.0, 4.0, 4.0),
    ("崇明", "new_market_town"): Anchor(5.0, 52.0, 0.0, 0.0),  # laid out along the island
    ("崇明", "rural"): Anchor(5.0, 52.0, 0.0, 0.0),
}
# Where streets sit along the Chongming islands (崇明岛 west to east, then 长兴 and 横沙 islands).
CHONGMING_SPECIAL_KM = {"长兴镇": (19.0, 19.5), "横沙乡": (36.0, 12.0), "城桥镇": (-7.0, 43.5),
                        "新村乡": (-16.5, 62.0), "绿华镇": (-26.0, 61.0), "陈家镇": (36.0, 33.0)}

# Spread (standard deviation, m) of a street's committees around the street centre: compact in
# the central city, several km in towns, so 800-1,500 m (towns up to 5 km) radii make sense.
COMMUNITY_SPREAD_M = {"central": 450.0, "main_urban": 800.0, "new_town": 900.0,
                      "new_market_town": 1600.0, "rural": 2200.0}
VILLAGE_SPREAD_FACTOR = 1.4
GOLDEN_ANGLE = np.pi * (3.0 - np.sqrt(5.0))

# Everything lies inside its real district: street centres at least STREET_MARGIN_M from the
# district's border, committees, sites and facilities at least POINT_MARGIN_M.
STREET_MARGIN_M = 500.0
POINT_MARGIN_M = 100.0
LLOYD_CELL_M = 250.0  # grid of the relaxation that spreads street centres over their area
LLOYD_ROUNDS = 10


def load_outlines(outlines_file: Path = OUTLINES_FILE, about_file: Path = ABOUT_FILE):
    """The real district outlines (districts.geojson), projected into the data's CRS."""
    crs = tomllib.loads(about_file.read_text(encoding="utf-8"))["crs"]
    outlines, problems = geography.read_outlines(outlines_file, crs)
    if problems:
        raise SystemExit("\n".join(map(str, problems)))
    return outlines


def shrunk(outlines, margin_m: float) -> dict:
    """Each district's outline less a margin along its border (islets narrower than twice the
    margin vanish)."""
    return {d: shape.buffer(-margin_m) for d, shape in outlines.shapes.items()}


def nearest_inside(x: float, y: float, area) -> tuple[float, float]:
    """(x, y) if it lies in ``area``, else the nearest point of ``area``."""
    point = shapely.Point(x, y)
    if area.contains(point):
        return x, y
    near = shapely.ops.nearest_points(area, point)[0]
    return near.x, near.y


def pull_inside(xy: np.ndarray, toward: np.ndarray, districts: np.ndarray,
                areas: dict) -> np.ndarray:
    """Each point outside its district's area moved along the line to ``toward`` (a point
    inside) until it is inside: a scatter around a centre near a coast or border keeps its
    direction and is squeezed, not piled up on the border. No random draw is spent."""
    xy = xy.astype(float).copy()
    for district in np.unique(districts):
        rows = np.flatnonzero(districts == district)
        area = areas[district]
        for t in np.linspace(0.9, 0.0, 10):
            out = rows[~shapely.contains_xy(area, xy[rows, 0], xy[rows, 1])]
            if not len(out):
                break
            xy[out] = toward[out] + t * (xy[out] - toward[out])
    return xy


def spread_inside(points: np.ndarray, region) -> np.ndarray:
    """Street centres spread evenly over ``region`` (Lloyd's relaxation on a grid of cells):
    a spiral cut by a coast or a district border leaves no pile of streets along it."""
    x0, y0, x1, y1 = region.bounds
    gx, gy = np.meshgrid(np.arange(x0, x1, LLOYD_CELL_M), np.arange(y0, y1, LLOYD_CELL_M))
    cells = np.column_stack([gx.ravel(), gy.ravel()])
    cells = cells[shapely.contains_xy(region, cells[:, 0], cells[:, 1])]
    if len(cells) < 4 * len(points):  # a region too small to spread over: keep the points
        return points
    points = points.copy()
    for _ in range(LLOYD_ROUNDS):
        owner = cKDTree(points).query(cells)[1]
        for k in range(len(points)):
            if (owner == k).any():
                points[k] = cells[owner == k].mean(axis=0)
    return points


def street_centres(rng: np.random.Generator, streets: pd.DataFrame, outlines) -> pd.DataFrame:
    """x_m, y_m of every street centre, inside its district: a golden-angle spiral around the
    anchor of its (district, zone) group, spread over the part of the district the spiral
    covers; 崇明's towns along the island."""
    xs, ys = np.zeros(len(streets)), np.zeros(len(streets))
    chongming = streets.index[streets["district"] == "崇明"]
    groups = {}
    for (district, zone), grp in streets.groupby(["district", "zone"], sort=True):
        anchor = ANCHORS.get((district, zone))
        if anchor is None:  # a pair made by editing street_zones.csv: around the district's middle
            middle = outlines.shapes[district].representative_point()
            anchor = Anchor(middle.x / 1000.0, middle.y / 1000.0, 3.0, 3.0)
        groups[(district, zone)] = (anchor, grp.index)
        for k, i in enumerate(grp.index):
            r = anchor.r0_km + anchor.step_km * np.sqrt(k)  # equal area per street
            xs[i] = anchor.x_km + r * np.cos(k * GOLDEN_ANGLE)
            ys[i] = anchor.y_km + r * np.sin(k * GOLDEN_ANGLE)
    # Chongming island runs ~70 km north-west to south-east; spread its towns along it.
    island = [i for i in chongming if streets.at[i, "street_name"] not in CHONGMING_SPECIAL_KM]
    for k, i in enumerate(island):
        xs[i] = -22.0 + 60.0 * k / max(1, len(island) - 1)
        ys[i] = 49.0 - 0.43 * xs[i] + (2.0 if k % 2 else -2.0)
    for i in chongming:
        special = CHONGMING_SPECIAL_KM.get(streets.at[i, "street_name"])
        if special:
            xs[i], ys[i] = special
    jitter = rng.normal(0.0, 0.3, (2, len(streets)))
    areas = shrunk(outlines, STREET_MARGIN_M)
    xy = np.array([nearest_inside(x, y, areas[d]) for x, y, d in zip(
        (xs + jitter[0]) * 1000.0, (ys + jitter[1]) * 1000.0, streets["district"], strict=True)])
    for (district, _), (anchor, rows) in groups.items():
        if anchor.step_km > 0 and len(rows) > 1:
            reach_m = 1000.0 * (anchor.r0_km + anchor.step_km * np.sqrt(len(rows)))
            region = areas[district].intersection(
                shapely.Point(1000.0 * anchor.x_km, 1000.0 * anchor.y_km).buffer(reach_m))
            xy[rows] = spread_inside(xy[rows], region)
    xy = np.array([nearest_inside(x, y, areas[d])
                   for (x, y), d in zip(xy, streets["district"], strict=True)])
    return pd.DataFrame(xy, columns=["x_m", "y_m"], index=streets["street_code"])


def add_coordinates(rng: np.random.Generator, com: pd.DataFrame,
                    centres: pd.DataFrame, outlines) -> pd.DataFrame:
    """x_m, y_m of every committee: normal scatter around its street centre, squeezed towards
    the centre where it would leave the district."""
    com = com.copy()
    centre = centres.loc[com["street_code"]].to_numpy()
    group = np.where(com["district"].isin(CENTRAL_DISTRICTS), "central", com["layout_zone"])
    spread = np.array([COMMUNITY_SPREAD_M[g] for g in group])
    spread *= np.where(com["kind"] == "villagers", VILLAGE_SPREAD_FACTOR, 1.0)
    offset = rng.normal(0.0, 1.0, (len(com), 2)) * spread[:, None]
    xy = pull_inside(centre + offset, centre, com["district"].to_numpy(),
                     shrunk(outlines, POINT_MARGIN_M))
    com["x_m"] = xy[:, 0].round(0)
    com["y_m"] = xy[:, 1].round(0)
    return com


# --------------------------------------------------------------------------------------------
# Indicators
# --------------------------------------------------------------------------------------------

# Probability that a committee already meets every basic criterion, by zone and kind [assumed].
# No published figure gives the share of Shanghai's committees that already meet the MOHURD
# standard (DOMAIN.md has none; the notice gives targets, not a baseline), so these are round
# working values, set from the direction of what DOMAIN.md says and NOT tuned to the targets or
# their cost: the central city, with its 15-minute life circles since 2016 and estates renewed
# 2007-2017 (DOMAIN.md §3, §4), is furthest ahead — one committee in three; the new towns' newer
# estates have service floors lagging behind — one in four; new market towns one in seven;
# villages, with little property management, parcel points or shops, one in twenty. Replace with
# the districts' own lists (a `complete` table) where they exist.
P_BASIC = {
    ("main_urban", "residents"): 0.33, ("main_urban", "villagers"): 0.05,
    ("new_town", "residents"): 0.25, ("new_town", "villagers"): 0.05,
    ("new_market_town", "residents"): 0.15, ("new_market_town", "villagers"): 0.05,
    ("rural", "residents"): 0.15, ("rural", "villagers"): 0.05,
}
# Probability (of all committees in the zone) of already being featured: a handful of flagship
# communities, most in the main urban area.
P_FEATURED = {"main_urban": 0.015, "new_town": 0.008, "new_market_town": 0.003, "rural": 0.002}

# For committees that are not yet basic: the probability that each basic criterion fails
# [synthetic]. Old central estates lack floor space, parking, lifts and barrier-free entrances;
# villages lack property management, parcel points, shops, piped gas and kindergartens; new
# towns have newer estates but service floors lag behind (larger gaps).
P_FAIL = {
    #                       main_urban new_town nmt  rural  (villagers use the rural column)
    "service_floor":        (0.55, 0.60, 0.55, 0.50),
    "elderly_care":         (0.45, 0.50, 0.50, 0.50),
    "nursery":              (0.45, 0.55, 0.60, 0.65),
    "health_station":       (0.30, 0.40, 0.40, 0.45),
    "convenience":          (0.15, 0.25, 0.35, 0.55),
    "activity_ground":      (0.35, 0.20, 0.25, 0.30),
    "green_spaces":         (0.20, 0.10, 0.15, 0.15),
    "property_management":  (0.30, 0.20, 0.45, 0.75),
    "parcel_points":        (0.10, 0.10, 0.25, 0.45),
    # the criteria of issue 12 (complete MOHURD coverage) [synthetic, assumed probabilities]
    "resident_activity":    (0.25, 0.25, 0.30, 0.30),
    "elderly_site":         (0.35, 0.40, 0.45, 0.50),
    "kindergarten":         (0.15, 0.25, 0.35, 0.50),
    "water_supply":         (0.03, 0.05, 0.08, 0.15),
    "power_supply":         (0.05, 0.05, 0.08, 0.12),
    "estate_roads":         (0.25, 0.15, 0.30, 0.40),
    "piped_gas":            (0.02, 0.03, 0.10, 0.45),
    "fibre":                (0.02, 0.03, 0.06, 0.15),
    "parking":              (0.45, 0.20, 0.25, 0.15),
    "ev_charging":          (0.55, 0.35, 0.45, 0.50),
    "walkway":              (0.30, 0.15, 0.30, 0.45),
    "barrier_free":         (0.50, 0.30, 0.45, 0.50),
    "lift_retrofit":        (0.35, 0.15, 0.10, 0.02),
    "sorting_station":      (0.10, 0.10, 0.15, 0.20),
    "property_platform":    (0.25, 0.20, 0.40, 0.60),
    "community_culture":    (0.15, 0.20, 0.30, 0.40),
}
# A committee not yet basic with no failure drawn fails one of these (each can fail anywhere).
FORCEABLE = ["service_floor", "elderly_care", "nursery", "health_station", "convenience",
             "activity_ground", "green_spaces", "property_management", "parcel_points"]

# Featured indicators: probability of already meeting each criterion per zone (main_urban,
# new_town, new_market_town, rural), before featured communities are forced to meet them all.
# Central city ahead on gas and secondary water (renovated 2007-2017; suburbs from 2017).
P_MEET = {
    "pocket_parks":       (0.065, 0.06, 0.045, 0.025),  # 476 pocket parks city-wide (end 2023)
    "recycling_points":   (0.93, 0.90, 0.85, 0.72),
    "sorting_renovated":  (0.50, 0.40, 0.28, 0.18),
    # no new illegal structure last year [synthetic]: most committees; the stock is not tested
    "no_new_illegal":     (0.85, 0.85, 0.70, 0.60),
    "sign_approval":      (0.70, 0.65, 0.55, 0.50),
    "fixture_falls":      (0.78, 0.82, 0.80, 0.85),
    "gas_pipe":           (0.55, 0.45, 0.22, 0.10),
    "gas_riser":          (0.50, 0.50, 0.25, 0.12),
    "water_handover":     (0.60, 0.35, 0.15, 0.05),
    "rain_sewer":         (0.55, 0.50, 0.25, 0.10),
    "water_maintenance":  (0.75, 0.70, 0.55, 0.45),
    "gas_maintenance":    (0.80, 0.75, 0.55, 0.40),
    "drain_dredging":     (0.60, 0.60, 0.45, 0.35),
    "drain_pre_flood":    (0.80, 0.80, 0.65, 0.55),  # [synthetic] a round before the flood season
    "emergency_shelter":  (0.40, 0.60, 0.50, 0.65),
    "hazard_inspections": (0.65, 0.65, 0.50, 0.40),
    "resilience_events":  (0.60, 0.60, 0.45, 0.35),
}
# Range of the renewed share where a network criterion is not met (central city close to done).
RENEWED_RANGE = {"central": (0.80, 0.99), "main_urban": (0.60, 0.98), "new_town": (0.45, 0.97),
                 "new_market_town": (0.25, 0.92), "rural": (0.10, 0.85)}
# Probability that one estate (sorting point) meets the sorting standard, by zone: ≈ 95 % of
# estates met it in 2024 (DOMAIN.md §4 [src]); the spread by zone is [assumed].
COMPLIANCE_MEAN = {"main_urban": 0.955, "new_town": 0.950, "new_market_town": 0.940,
                   "rural": 0.930}
HOUSEHOLDS_PER_SORTING_POINT = 510  # ≈ 21,000 sorting stations city-wide
EXTRA_RECYCLING_POINTS_MEAN = 1.6  # 1 + Poisson -> ≈ 15,000 recycling points city-wide

# Share of a committee's households in new estates (built to today's planning rules)
# [synthetic, assumed]: few in the central city, most in the new towns, none in villages.
NEW_ESTATE_SHARE = {"central": (0.0, 0.10), "main_urban": (0.05, 0.40), "new_town": (0.30, 0.80),
                    "new_market_town": (0.10, 0.50), "rural": (0.0, 0.20)}
# Multi-storey buildings without a lift: ≈ 220,000 city-wide in 2018 (DOMAIN.md §4 [src]); the
# bundled data treat the 2018 stock as today's [assumed]. Spread over residents' committees by
# households in walk-up estates (share by group [assumed]; village houses are not multi-storey).
BUILDINGS_WITHOUT_LIFT = 220_000
WALKUP_SHARE = {"central": 0.65, "main_urban": 0.45, "new_town": 0.25, "new_market_town": 0.30,
                "rural": 0.30}
HOUSEHOLDS_PER_LIFT_BUILDING = 100  # [assumed] high-rise households per building
# Of a failing committee's buildings without a lift, the share ready for one (owners agreed,
# building can take it) [synthetic, assumed]: ≈ 4,000 ready buildings city-wide.
LIFT_READY_SHARE = (0.02, 0.10)
ESTATE_ROAD_KM_PER_1000_HH = {"residents": (0.8, 2.0), "villagers": (2.0, 4.0)}  # [assumed]
SORTING_POINTS_PER_HOUSEHOLD = 0.0015  # basic.sorting_station's threshold, for the draw only


def _zone_values(table: dict, zone: np.ndarray, villagers: np.ndarray | None = None):
    col = np.array([ZONES.index(z) for z in zone])
    if villagers is not None:
        col = np.where(villagers, 3, col)
    return {key: np.asarray(vals)[col] for key, vals in table.items()}


def _buildings_without_lift(rng: np.random.Generator, hh: np.ndarray, group: np.ndarray,
                            villagers: np.ndarray) -> np.ndarray:
    """Walk-up buildings without a lift per committee, adding up to BUILDINGS_WITHOUT_LIFT."""
    share = np.array([WALKUP_SHARE[g] for g in group]) * ~villagers
    weight = hh * share * rng.uniform(0.7, 1.3, len(hh))
    return _largest_remainder(weight, BUILDINGS_WITHOUT_LIFT)


def add_indicators(rng: np.random.Generator, com: pd.DataFrame) -> pd.DataFrame:
    """Every indicator column, drawn so that the designated basic/featured status holds."""
    com = com.copy()
    n = len(com)
    hh = com["households"].to_numpy(float)
    zone = com["zone"].to_numpy()
    villagers = (com["kind"] == "villagers").to_numpy()
    central = com["district"].isin(CENTRAL_DISTRICTS).to_numpy()
    group = np.where(central, "central", zone)
    u = lambda lo, hi: rng.uniform(lo, hi, n)  # noqa: E731 - local shorthand

    p_basic = np.array([P_BASIC[(z, k)] for z, k in zip(zone, com["kind"], strict=True)])
    is_basic = rng.random(n) < p_basic
    p_feat = np.array([P_FEATURED[z] for z in zone]) / p_basic
    is_featured = is_basic & (rng.random(n) < p_feat)

    # --- the stock the basic criteria count on [synthetic] ---
    lo_new = np.array([NEW_ESTATE_SHARE[g][0] for g in group])
    hi_new = np.array([NEW_ESTATE_SHARE[g][1] for g in group])
    new_hh = np.floor(hh * (lo_new + (hi_new - lo_new) * rng.random(n)) * ~villagers)
    com["new_estate_households"] = new_hh.astype(np.int64)
    without_lift = _buildings_without_lift(rng, hh, group, villagers)
    walkup_hh = hh * np.array([WALKUP_SHARE[g] for g in group]) * ~villagers
    lift_buildings = np.ceil((hh - walkup_hh) / HOUSEHOLDS_PER_LIFT_BUILDING) * ~villagers
    buildings = (without_lift + lift_buildings).astype(np.int64)
    com["residential_buildings"] = buildings
    com["buildings_without_lift"] = without_lift.astype(np.int64)
    road_range = np.array([ESTATE_ROAD_KM_PER_1000_HH["villagers" if v else "residents"]
                           for v in villagers])
    com["estate_road_km"] = (hh / 1000 * rng.uniform(road_range[:, 0], road_range[:, 1])
                             ).round(2)
    sorting_required = SORTING_POINTS_PER_HOUSEHOLD * hh
    sorting_short = np.floor(sorting_required * u(0.5, 0.95))

    # --- basic criteria: which fail (at least one for every committee that is not basic) ---
    p_fail = _zone_values(P_FAIL, zone, villagers)
    names = list(P_FAIL)
    fails = {k: ~is_basic & (rng.random(n) < p_fail[k]) for k in names}
    # a criterion can only fail where there is something to fail on
    fails["barrier_free"] &= buildings > 0
    fails["lift_retrofit"] &= without_lift > 0
    fails["sorting_station"] &= sorting_short >= 1
    none_failed = ~is_basic & ~np.any([fails[k] for k in names], axis=0)
    forced = rng.integers(0, len(FORCEABLE), n)
    for j, k in enumerate(FORCEABLE):
        fails[k] |= none_failed & (forced == j)

    def amount(required, fail, ok_range, fail_range, p_zero=0.0):
        ok_val = required * u(*ok_range)
        fail_val = required * u(*fail_range) * (rng.random(n) >= p_zero)
        return np.where(fail, fail_val, ok_val)

    def share(fail, lo, hi):
        """1.0 where the criterion holds, a share in [lo, hi] where it fails."""
        return np.where(fail, u(lo, hi), 1.0).round(3)

    service = amount(0.30 * hh, fails["service_floor"], (1.02, 1.8), (0.25, 0.95))
    com["service_floor_m2"] = service.round(1)
    # Resident activity floor is part of the actual service floor: 61-90 % of it where the 60 %
    # rule holds, 35-58 % where it fails.
    activity_share = np.where(fails["resident_activity"], u(0.35, 0.58), u(0.61, 0.90))
    com["resident_activity_floor_m2"] = (service * activity_share).round(1)
    # Elderly care: 15 m² per 100 households, 20 in new estates (basic.elderly_care); an ok
    # largest site (≥ 350 m²) needs that much floor: raise the floor where its own rule holds,
    # and where it fails below 352 m² the site rule fails as well.
    elderly = amount(0.15 * hh + 0.05 * new_hh, fails["elderly_care"], (1.02, 2.2),
                     (0.25, 0.95), p_zero=0.2)
    site_ok = ~fails["elderly_site"]
    elderly = np.where(site_ok & ~fails["elderly_care"],
                       np.maximum(elderly, 350.0 * u(1.02, 1.6)), elderly)
    fails["elderly_site"] |= elderly < 352.0
    site = np.where(fails["elderly_site"], np.minimum(elderly, 350.0) * u(0.2, 0.95),
                    np.minimum(elderly, 350.0 * u(1.01, 1.5)))
    com["elderly_care_floor_m2"] = elderly.round(1)
    com["elderly_care_largest_site_m2"] = site.round(1)
    com["nursery_floor_m2"] = amount(200.0, fails["nursery"], (1.03, 2.2), (0.25, 0.95),
                                     p_zero=0.55).round(1)
    com["kindergarten_classes"] = np.where(fails["kindergarten"], rng.integers(2, 6, n),
                                           rng.integers(6, 16, n))
    com["health_station_floor_m2"] = amount(120.0, fails["health_station"], (1.05, 3.0),
                                            (0.3, 0.92), p_zero=0.4).round(1)
    com["convenience_floor_m2"] = amount(300.0, fails["convenience"], (1.05, 8.0),
                                         (0.15, 0.93), p_zero=0.3).round(1)
    com["activity_ground_m2"] = amount(150.0, fails["activity_ground"], (1.1, 12.0),
                                       (0.2, 0.93), p_zero=0.3).round(1)
    com["green_spaces"] = np.where(fails["green_spaces"], 0, rng.integers(1, 5, n))
    com["property_management_share"] = np.where(
        fails["property_management"], u(0.30, 0.97), 1.0).round(3)
    com["parcel_points"] = np.where(fails["parcel_points"], 0, rng.integers(1, 6, n))
    # Municipal infrastructure [synthetic]: networks reach almost everyone; villages are the
    # exception for piped gas (bottled gas).
    com["water_supply_share"] = share(fails["water_supply"], 0.50, 0.98)
    com["power_supply_share"] = share(fails["power_supply"], 0.50, 0.98)
    com["piped_gas_share"] = share(fails["piped_gas"], 0.0, 0.90)
    com["fibre_share"] = share(fails["fibre"], 0.50, 0.98)
    com["road_good_share"] = share(fails["estate_roads"], 0.50, 0.95)
    com["walkway_share"] = share(fails["walkway"], 0.40, 0.95)
    parking_required = 0.5 * hh + 0.5 * new_hh
    com["parking_spaces"] = np.where(
        fails["parking"], np.floor(parking_required * u(0.70, 0.97)),
        np.ceil(parking_required * u(1.0, 1.6))).astype(np.int64)
    ev_required = 0.1 * hh + 0.9 * new_hh
    com["ev_ready_spaces"] = np.where(
        fails["ev_charging"], np.floor(ev_required * u(0.2, 0.95)),
        np.ceil(ev_required * u(1.0, 1.5))).astype(np.int64)
    barrier_free = np.floor(buildings * u(0.0, 1.0)).clip(0, np.maximum(buildings - 1, 0))
    com["barrier_free_entrance_share"] = np.where(
        fails["barrier_free"], barrier_free / np.maximum(buildings, 1), 1.0).round(4)
    ready = np.maximum(1, np.round(without_lift * u(*LIFT_READY_SHARE)))
    com["lift_ready_buildings"] = np.where(fails["lift_retrofit"], np.minimum(ready, without_lift),
                                           0).astype(np.int64)
    sorting = np.maximum(1, np.round(hh / HOUSEHOLDS_PER_SORTING_POINT * u(0.7, 1.3)))
    sorting = np.where(fails["sorting_station"], sorting_short,
                       np.maximum(sorting, np.ceil(sorting_required + 1e-9)))
    com["sorting_points"] = sorting.astype(np.int64)
    com["property_platform"] = np.where(fails["property_platform"], 0, 1)
    com["culture_events_per_year"] = np.where(
        fails["community_culture"], rng.choice([0.0, 1.0, 2.0, 3.0], n),
        rng.choice([4.0, 6.0, 12.0], n))

    # --- featured criteria ---
    meet = _zone_values(P_MEET, zone)
    m = {k: is_featured | (rng.random(n) < meet[k]) for k in P_MEET}
    # A basic community that is not designated featured fails at least the pocket-park rule
    # (pocket parks are rare) unless something else already fails.
    m_all = np.all([m[k] for k in P_MEET], axis=0)
    m["pocket_parks"] &= ~(m_all & ~is_featured)

    com["pocket_parks"] = np.where(m["pocket_parks"], 1 + (rng.random(n) < 0.15), 0)
    com["recycling_points"] = np.where(
        m["recycling_points"], 1 + rng.poisson(EXTRA_RECYCLING_POINTS_MEAN, n), 0)
    renovated = np.where(m["sorting_renovated"], sorting,
                         np.floor(sorting * u(0.0, 1.0)).clip(0, sorting - 1))
    com["sorting_renovated_share"] = (renovated / sorting).round(4)
    # Sorting compliance per estate (sorting point): each meets the standard with the zone's
    # probability; featured communities' estates all do.
    compliance_p = np.array([COMPLIANCE_MEAN[z] for z in zone])
    compliant = np.where(is_featured, sorting, rng.binomial(sorting.astype(np.int64),
                                                            compliance_p))
    com["sorting_compliance_share"] = (compliant / sorting).round(4)
    com["new_illegal_structures_per_year"] = np.where(
        m["no_new_illegal"], 0.0, rng.choice([0.5, 1.0, 2.0, 3.0], n))
    com["sign_approval_share"] = np.where(m["sign_approval"], u(0.901, 1.0),
                                          u(0.60, 0.895)).round(3)
    com["fixture_falls_per_year"] = np.where(
        m["fixture_falls"], 0.0, rng.choice([0.3, 0.5, 1.0, 2.0], n))

    lo = np.array([RENEWED_RANGE[g][0] for g in group])
    hi = np.array([RENEWED_RANGE[g][1] for g in group])
    for col, key in [("gas_pipe_renewed_share", "gas_pipe"),
                     ("gas_riser_renewed_share", "gas_riser"),
                     ("water_handover_share", "water_handover"),
                     ("rain_sewer_share", "rain_sewer")]:
        com[col] = np.where(m[key], 1.0, lo + (hi - lo) * rng.random(n)).round(3)
    com["water_main_maintenance_per_year"] = np.where(
        m["water_maintenance"], rng.choice([1.0, 2.0], n), rng.choice([0.0, 0.5], n))
    com["gas_pipe_maintenance_per_year"] = np.where(
        m["gas_maintenance"], rng.choice([1.0, 2.0], n), rng.choice([0.0, 0.5], n))
    dredging = np.where(m["drain_dredging"], rng.choice([2.0, 3.0, 4.0], n),
                        rng.choice([0.0, 1.0], n))
    com["drain_dredging_per_year"] = dredging
    # One round before the flood season where met (and there is a round to time).
    com["drain_dredgings_before_flood_season"] = np.where(m["drain_pre_flood"],
                                                          np.minimum(1.0, dredging), 0.0)
    shelter_need = 1.5 * com["residents"].to_numpy(float)
    com["emergency_shelter_m2"] = np.where(
        m["emergency_shelter"], shelter_need * u(1.01, 2.5), shelter_need * u(0.2, 0.95)).round(0)
    com["hazard_inspections_per_year"] = np.where(
        m["hazard_inspections"], rng.choice([2.0, 4.0], n), rng.choice([0.0, 1.0], n))
    com["resilience_events_per_year"] = np.where(
        m["resilience_events"], rng.choice([2.0, 3.0, 4.0], n), rng.choice([0.0, 1.0], n))
    return com


# --------------------------------------------------------------------------------------------
# Private assessment, only for calibration (semantics: header of wzmodel/standards/basic.toml)
# --------------------------------------------------------------------------------------------


def _load_standard(name: str) -> list[dict]:
    with open(STANDARDS_DIR / f"{name}.toml", "rb") as f:
        return tomllib.load(f)["criteria"]


def _assess(com: pd.DataFrame) -> pd.DataFrame:
    """Per community: meets basic / featured, capital and running cost to close the gaps, and
    the capital cost by cost category (featured costs include the basic gaps)."""
    out = pd.DataFrame(index=com.index)
    for cls in ("basic", "featured"):
        ok = np.ones(len(com), dtype=bool)
        capital = np.zeros(len(com))
        running = np.zeros(len(com))
        for c in _load_standard(cls):
            value = com[c["indicator"]].to_numpy(float)
            base = c["base"]
            base = com[base].to_numpy(float) if isinstance(base, str) else float(base)
            t = c["threshold"]
            if c["measure"] == "amount":
                required = t * base + sum(k * com[col].to_numpy(float)
                                          for col, k in c.get("extra", {}).items())
                gap = (required - value) if c["op"] == ">=" else (value - required)
            else:
                gap = ((t - value) if c["op"] == ">=" else (value - t)) * base
            gap = np.maximum(gap, 0.0)
            gap = np.where(gap < 1e-9, 0.0, gap)
            ok &= gap == 0.0
            cap = gap * c["capital_yuan_per_unit"]
            capital += cap
            running += gap * c["running_yuan_per_unit_year"]
            col = f"{cls}_cap_{c['cost_category']}"
            out[col] = out.get(col, 0.0) + cap
        out[f"{cls}_ok"] = ok
        out[f"{cls}_capital"] = capital
        out[f"{cls}_running"] = running
    out["featured_ok"] &= out["basic_ok"]
    for col in [c for c in out.columns if c.startswith("basic_cap_")]:
        cat = col.removeprefix("basic_cap_")
        out[f"featured_cap_{cat}"] = out.get(f"featured_cap_{cat}", 0.0) + out[col]
    out["featured_capital"] += out["basic_capital"]
    out["featured_running"] += out["basic_running"]
    return out


# --------------------------------------------------------------------------------------------
# Sites and facilities
# --------------------------------------------------------------------------------------------

P_FIT_OUT = {"main_urban": 0.70, "new_town": 0.45, "new_market_town": 0.40, "rural": 0.35}
FIT_OUT_YUAN_M2 = (2000.0, 4000.0)  # DOMAIN.md §5 [assumed]
NEW_BUILD_YUAN_M2 = (5000.0, 8000.0)  # DOMAIN.md §5 [assumed]
RUNNING_YUAN_M2_YEAR = (150.0, 250.0)  # [assumed] staff-free upkeep, energy, cleaning
EARLIEST_YEAR_P = {2026: 0.45, 2027: 0.30, 2028: 0.12, 2029: 0.08, 2030: 0.05}
P_FACILITY = {"main_urban": 0.90, "new_town": 0.80, "new_market_town": 0.50, "rural": 0.30}
# Facilities of a type (docs/reach.md) whose spare capacity serves the facility-type minimums
# of the committees within walking reach: per type, the expected number with capacity to spare
# per committee by zone (main_urban, new_town, new_market_town, rural) and the range of that
# spare capacity (m²; green spaces: open area, 500 m² per committee served). [assumed, synthetic]
# Sized to the scale of the city's networks — one elderly-service centre per street plus
# day-care and care homes, a "宝宝屋" nursery point per street or more, community health
# centres and their stations, chain supermarkets, ≈ 800 parks and 476 pocket parks — of which
# only some have room to spare; the numbers themselves are not sourced. The spare capacity is
# what the committee the facility stands in does not count in its own indicator.
TYPED_FACILITIES = {
    #                  per committee by zone       spare capacity, m²
    "elderly_care":    ((0.12, 0.10, 0.08, 0.05), (40.0, 250.0)),
    "nursery":         ((0.10, 0.10, 0.08, 0.05), (50.0, 250.0)),
    "kindergarten":    ((0.08, 0.08, 0.06, 0.04), (300.0, 900.0)),  # 1–3 spare classes
    "health_station":  ((0.08, 0.08, 0.08, 0.06), (30.0, 200.0)),
    "convenience":     ((0.20, 0.18, 0.12, 0.06), (100.0, 800.0)),
    "activity_ground": ((0.10, 0.10, 0.08, 0.06), (100.0, 600.0)),
    "green_space":     ((0.10, 0.10, 0.06, 0.04), (500.0, 3000.0)),
}


def sites_per_street(n_committees: int) -> int:
    return 1 if n_committees < 10 else 2 if n_committees < 25 else 3


def build_sites(rng: np.random.Generator, streets: pd.DataFrame, com: pd.DataFrame, outlines):
    rows, near_xy = [], []
    members = com.groupby("street_code", sort=True)
    for _, s in streets.iterrows():
        mem = members.get_group(s["street_code"])
        for k in range(1, sites_per_street(len(mem)) + 1):
            near = mem.iloc[int(rng.integers(len(mem)))]
            near_xy.append((near["x_m"], near["y_m"]))
            kind = "fit_out" if rng.random() < P_FIT_OUT[s["zone"]] else "new_build"
            cap = rng.uniform(600, 1600) if kind == "fit_out" else rng.uniform(800, 3000)
            cap = float(np.round(cap / 10) * 10)
            unit = rng.uniform(*(FIT_OUT_YUAN_M2 if kind == "fit_out" else NEW_BUILD_YUAN_M2))
            rows.append({
                "site_id": f"S{s['street_code']}-{k}",
                "street_code": s["street_code"],
                "x_m": round(float(near["x_m"] + rng.normal(0, 300)), 0),
                "y_m": round(float(near["y_m"] + rng.normal(0, 300)), 0),
                "capacity_m2": cap,
                "capital_cost_yuan": float(np.round(cap * unit / 1000) * 1000),
                "running_cost_yuan_per_year": float(
                    np.round(cap * rng.uniform(*RUNNING_YUAN_M2_YEAR) / 1000) * 1000),
                "earliest_year": int(rng.choice(list(EARLIEST_YEAR_P),
                                                p=list(EARLIEST_YEAR_P.values()))),
                "kind": kind,
            })
    return _inside_districts(pd.DataFrame(rows), np.array(near_xy), streets, outlines)


def build_facilities(rng: np.random.Generator, streets: pd.DataFrame, com: pd.DataFrame,
                     outlines):
    rows, near_xy = [], []
    members = com.groupby("street_code", sort=True)
    for _, s in streets.iterrows():
        mem = members.get_group(s["street_code"])
        count = int(rng.random() < P_FACILITY[s["zone"]])
        count += int(count and s["zone"] == "main_urban" and len(mem) >= 40)
        for k in range(1, count + 1):
            near = mem.iloc[int(rng.integers(len(mem)))]
            near_xy.append((near["x_m"], near["y_m"]))
            rows.append({
                "facility_id": f"F{s['street_code']}-{k}",
                "street_code": s["street_code"],
                "x_m": round(float(near["x_m"] + rng.normal(0, 200)), 0),
                "y_m": round(float(near["y_m"] + rng.normal(0, 200)), 0),
                "spare_capacity_m2": float(np.round(rng.uniform(80, 700) / 10) * 10),
                "type": "",  # a multi-purpose service complex (the siting's spare floor)
            })
    # facilities of a type, drawn after the complexes (so these stay as they were)
    for _, s in streets.iterrows():
        mem = members.get_group(s["street_code"])
        for kind, (rates, spare) in TYPED_FACILITIES.items():
            for k in range(1, int(rng.binomial(len(mem), rates[ZONES.index(s["zone"])])) + 1):
                near = mem.iloc[int(rng.integers(len(mem)))]
                near_xy.append((near["x_m"], near["y_m"]))
                rows.append({
                    "facility_id": f"F{s['street_code']}-{kind}-{k}",
                    "street_code": s["street_code"],
                    "x_m": round(float(near["x_m"] + rng.normal(0, 200)), 0),
                    "y_m": round(float(near["y_m"] + rng.normal(0, 200)), 0),
                    "spare_capacity_m2": float(np.round(rng.uniform(*spare) / 10) * 10),
                    "type": kind,
                })
    return _inside_districts(pd.DataFrame(rows), np.array(near_xy), streets, outlines)


def _inside_districts(places: pd.DataFrame, near_xy: np.ndarray, streets: pd.DataFrame,
                      outlines) -> pd.DataFrame:
    """Sites or facilities that fell outside their district moved towards the committee they
    were drawn near."""
    district = places["street_code"].map(streets.set_index("street_code")["district"])
    xy = pull_inside(places[["x_m", "y_m"]].to_numpy(), near_xy, district.to_numpy(),
                     shrunk(outlines, POINT_MARGIN_M))
    return places.assign(x_m=xy[:, 0].round(0), y_m=xy[:, 1].round(0))


# --------------------------------------------------------------------------------------------
# Sources and sharing options
# --------------------------------------------------------------------------------------------

# utilities whose networks are cost categories of their own
UTILITIES = ("utility_gas", "utility_water", "utility_drainage", "utility_power", "utility_telecom")
ROLES = ["city_fiscal", "district_fiscal", "utility_gas", "utility_water", "utility_drainage",
         "utility_power", "utility_telecom", "property_rights", "owners", "social_capital",
         "community"]
CATEGORIES = ["service_facilities", "public_space", "gas", "water", "drainage", "environment",
              "safety", "smart_services", "governance", "power", "telecom", "accessibility"]
CITY_WIDE_SOURCES = [
    ("utility_gas", "上海燃气 (gas utility)", "utility_gas", False),
    ("utility_water", "城投水务 (water utility)", "utility_water", False),
    ("utility_drainage", "排水公司 (drainage utility)", "utility_drainage", False),
    # The notice names power and telecom among the professional operating units (专业经营单位)
    # and property-rights holders (产权单位) among the funders (DOMAIN.md §1); their budgets are
    # [assumed], per resident like every other source's (assumed_budgets).
    ("utility_power", "国网上海市电力公司 (power utility)", "utility_power", False),
    ("utility_telecom", "电信运营商 (telecom utilities)", "utility_telecom", False),
    ("property_rights", "产权单位 (property-rights holders)", "property_rights", False),
    ("owners", "业主与住宅专项维修资金 (owners and housing maintenance funds)", "owners", False),
    ("social_capital", "社会资本 (social capital)", "social_capital", False),
    ("community", "社区自筹与捐赠 (community funds and donations)", "community", False),
]


def build_sources(districts: list[str]) -> pd.DataFrame:
    rows = [{"source_id": "city_fiscal", "name": "市级财政 (city fiscal)",
             "role": "city_fiscal", "district": "", "public": True}]
    for d in sorted(districts, key=list(DISTRICT_PINYIN).index):
        rows.append({"source_id": f"district_fiscal_{DISTRICT_PINYIN[d]}",
                     "name": f"{d}区财政 (district fiscal)", "role": "district_fiscal",
                     "district": d, "public": True})
    rows += [{"source_id": s, "name": nm, "role": r, "district": "", "public": p}
             for s, nm, r, p in CITY_WIDE_SOURCES]
    return pd.DataFrame(rows)


# (role, min_share, max_share) per option and category; zone-specific row sets replace the
# general rows of that category in that zone. Informed by DOMAIN.md §5's known practice:
# utilities pay for and then own their networks; gas: government plus gas company; lifts and
# estates: owners plus subsidies. All splits are [assumed] except the secondary-water rule
# below. The new parties pay in the categories where the notice's areas put their networks or
# property [assumed]: telecom also in smart services, property-rights holders in safety
# (fixtures and falling objects on their buildings) and environment (illegal structures and
# signs on their property, off-peak sharing of their parking).
# The categories power, telecom and accessibility came with the basic criteria of issue 12
# (every measurable MOHURD item); their rows are [assumed] throughout, shaped like gas and
# drainage for the two networks (the utility pays most of its own network, DOMAIN.md §5) and
# after the documented lift practice for accessibility (owners by floor plus subsidies,
# DOMAIN.md §5 [src]: owners carry a floor share in every option). Power holds the EV-ready
# spaces (grid capacity and chargers; charging operators as social capital); parking spaces
# themselves stay in environment, the notice's area for parking.
C, D = "city_fiscal", "district_fiscal"
G, W, R = "utility_gas", "utility_water", "utility_drainage"
E, T, P = "utility_power", "utility_telecom", "property_rights"
OWN, S, M = "owners", "social_capital", "community"

# Secondary water supply (二次供水, the `water` category: the handover renovation, the water-main
# maintenance and the basic water-supply works filed under the same category) as documented
# (DOMAIN.md §5 [src]): the water utility pays the meters, the housing maintenance fund
# (owners) and the district pay the rest, the district covers shortfalls, the city tops up by
# class of area. What the documents do not give is [assumed]: the meters' share of the cost,
# METER_SHARE; each option keeps its own maintenance-fund range. The district's share is what
# is left (up to 100 %); the city's is set by zone in SHARING_LINKS.
METER_SHARE = 0.10  # [assumed]: meters' share of a full secondary-water renovation, not documented
# City top-up as a share of the cost, by zone [derived]: central city 2007, about 1,700 yuan per
# household [src] of a 4,500 yuan per household renovation (the midpoint of the [assumed]
# 3,000–6,000) → 0.38; suburbs 2017, 7.6 to 14.1 yuan/m² [src] × 70 m² per household [assumed]
# ÷ 4,500 → 0.12 to 0.22 (the new towns, new market towns and villages alike: the documents
# draw no line between them).
WATER_CITY_MAIN_URBAN = 0.38
WATER_CITY_SUBURBS = (0.12, 0.22)


def _secondary_water(owners: tuple[float, float]) -> list[tuple[str, float, float]]:
    """The water category's share rows: meters, the city within its top-up range, the
    maintenance fund within ``owners``, the district the rest."""
    return [(W, METER_SHARE, METER_SHARE), (C, WATER_CITY_SUBURBS[0], WATER_CITY_MAIN_URBAN),
            (D, 0.0, 1.0), (OWN, *owners)]


SHARING: dict[str, dict[tuple[str, str], list[tuple[str, float, float]]]] = {
    # Public money pays almost everything; utilities pay minimum shares of their networks.
    "fiscal_led": {
        ("service_facilities", ""): [(C, 0.40, 0.80), (D, 0.20, 0.60), (OWN, 0, 0.10),
                                     (S, 0, 0.10), (M, 0, 0.05)],
        ("public_space", ""): [(C, 0.40, 0.80), (D, 0.20, 0.60), (OWN, 0, 0.10), (M, 0, 0.05)],
        ("gas", ""): [(G, 0.20, 0.50), (C, 0.20, 0.50), (D, 0.20, 0.50)],
        ("water", ""): _secondary_water((0.0, 0.10)),
        ("drainage", ""): [(R, 0.20, 0.50), (C, 0.20, 0.50), (D, 0.20, 0.50)],
        ("environment", ""): [(C, 0.30, 0.70), (D, 0.30, 0.70), (P, 0, 0.05), (M, 0, 0.05)],
        ("safety", ""): [(C, 0.30, 0.70), (D, 0.30, 0.70), (P, 0, 0.05), (OWN, 0, 0.10)],
        ("smart_services", ""): [(C, 0.30, 0.70), (D, 0.30, 0.70), (T, 0, 0.10), (S, 0, 0.20)],
        ("governance", ""): [(C, 0.20, 0.50), (D, 0.50, 0.80)],
        ("power", ""): [(E, 0.20, 0.50), (C, 0.20, 0.50), (D, 0.20, 0.50), (S, 0, 0.10)],
        ("telecom", ""): [(T, 0.20, 0.50), (C, 0.20, 0.50), (D, 0.20, 0.50)],
        ("accessibility", ""): [(C, 0.30, 0.60), (D, 0.20, 0.50), (OWN, 0.10, 0.40)],
        # Outside the main urban area the city carries more (districts there are poorer).
        ("service_facilities", "new_town"): [(C, 0.50, 0.85), (D, 0.15, 0.50), (OWN, 0, 0.10),
                                             (S, 0, 0.10), (M, 0, 0.05)],
        ("service_facilities", "new_market_town"): [(C, 0.55, 0.90), (D, 0.10, 0.45),
                                                    (OWN, 0, 0.05), (S, 0, 0.10), (M, 0, 0.05)],
        ("service_facilities", "rural"): [(C, 0.60, 0.90), (D, 0.10, 0.40), (OWN, 0, 0.05),
                                          (S, 0, 0.10), (M, 0, 0.05)],
        ("public_space", "new_market_town"): [(C, 0.55, 0.90), (D, 0.10, 0.45), (OWN, 0, 0.05),
                                              (M, 0, 0.05)],
        ("public_space", "rural"): [(C, 0.60, 0.90), (D, 0.10, 0.40), (OWN, 0, 0.05),
                                    (M, 0, 0.05)],
    },
    # Utilities carry most of their networks, owners and maintenance funds contribute to
    # service facilities and public space, fiscal money covers the rest.
    "utilities_owners": {
        ("service_facilities", ""): [(C, 0.20, 0.60), (D, 0.20, 0.60), (OWN, 0.10, 0.30),
                                     (S, 0, 0.10), (M, 0, 0.05)],
        ("public_space", ""): [(C, 0.20, 0.60), (D, 0.20, 0.60), (P, 0, 0.10), (OWN, 0.10, 0.30),
                               (M, 0, 0.10)],
        ("gas", ""): [(G, 0.60, 0.90), (C, 0, 0.30), (D, 0, 0.30), (OWN, 0, 0.10)],
        ("water", ""): _secondary_water((0.10, 0.30)),
        ("drainage", ""): [(R, 0.60, 0.90), (C, 0, 0.30), (D, 0, 0.30)],
        ("environment", ""): [(C, 0.20, 0.60), (D, 0.20, 0.60), (P, 0, 0.10), (OWN, 0, 0.20),
                              (M, 0, 0.10)],
        ("safety", ""): [(C, 0.20, 0.60), (D, 0.20, 0.60), (P, 0, 0.20), (OWN, 0.05, 0.30)],
        ("smart_services", ""): [(C, 0.20, 0.60), (D, 0.20, 0.60), (T, 0, 0.20), (S, 0, 0.20),
                                 (OWN, 0, 0.10)],
        ("governance", ""): [(C, 0.10, 0.40), (D, 0.50, 0.80), (OWN, 0, 0.10)],
        ("power", ""): [(E, 0.60, 0.90), (C, 0, 0.30), (D, 0, 0.30), (OWN, 0, 0.10)],
        ("telecom", ""): [(T, 0.60, 0.90), (C, 0, 0.30), (D, 0, 0.30)],
        ("accessibility", ""): [(C, 0.10, 0.40), (D, 0.10, 0.40), (OWN, 0.30, 0.70)],
        # Villages have no maintenance funds to speak of: owners may give little there.
        ("service_facilities", "rural"): [(C, 0.40, 0.80), (D, 0.20, 0.60), (OWN, 0, 0.05),
                                          (S, 0, 0.10), (M, 0, 0.05)],
        ("public_space", "rural"): [(C, 0.40, 0.80), (D, 0.20, 0.60), (OWN, 0, 0.05),
                                    (M, 0, 0.10)],
    },
    # Social capital pays part of service facilities and smart services alongside public money.
    "social_capital_leveraged": {
        ("service_facilities", ""): [(C, 0.20, 0.60), (D, 0.10, 0.50), (S, 0.10, 0.40),
                                     (OWN, 0, 0.10), (M, 0, 0.05)],
        ("public_space", ""): [(C, 0.30, 0.70), (D, 0.20, 0.60), (S, 0, 0.20), (OWN, 0, 0.10)],
        ("gas", ""): [(G, 0.30, 0.60), (C, 0.10, 0.40), (D, 0.10, 0.40), (S, 0, 0.20)],
        ("water", ""): _secondary_water((0.0, 0.20)),
        ("drainage", ""): [(R, 0.30, 0.60), (C, 0.10, 0.40), (D, 0.10, 0.40)],
        ("environment", ""): [(C, 0.20, 0.60), (D, 0.20, 0.60), (S, 0, 0.30), (M, 0, 0.10)],
        ("safety", ""): [(C, 0.30, 0.70), (D, 0.30, 0.70), (P, 0, 0.10)],
        ("smart_services", ""): [(C, 0.20, 0.50), (D, 0.10, 0.40), (T, 0, 0.10), (S, 0.10, 0.40)],
        ("governance", ""): [(C, 0.20, 0.50), (D, 0.50, 0.80)],
        ("power", ""): [(E, 0.30, 0.60), (C, 0.10, 0.40), (D, 0.10, 0.40), (S, 0, 0.30)],
        ("telecom", ""): [(T, 0.30, 0.60), (C, 0.10, 0.40), (D, 0.10, 0.40), (S, 0, 0.20)],
        ("accessibility", ""): [(C, 0.20, 0.50), (D, 0.10, 0.40), (OWN, 0.20, 0.50),
                                (S, 0, 0.20)],
    },
}


def build_sharing() -> pd.DataFrame:
    rows = []
    for option, rules in SHARING.items():
        for (category, zone), shares in sorted(
            rules.items(), key=lambda kv: (CATEGORIES.index(kv[0][0]), kv[0][1])
        ):
            for role, lo, hi in sorted(shares, key=lambda r: ROLES.index(r[0])):
                rows.append({"option": option, "cost_category": category, "role": role,
                             "min_share": float(lo), "max_share": float(hi),
                             "zone": zone, "district": ""})
    return pd.DataFrame(rows)


# Links of every option (sharing_links): the city's top-up of secondary water by zone.
WATER_SOURCE_MAIN = ("derived: 1,700 yuan per household city share, central city 2007 (DOMAIN.md "
                     "§5) ÷ 4,500 yuan per household renovation (assumed midpoint of 3,000–6,000)")
WATER_SOURCE_SUBURBS = ("derived: {rate} yuan/m² city subsidy, suburbs 2017 (DOMAIN.md §5) × 70 m² "
                        "per household (assumed) ÷ 4,500 yuan per household (assumed midpoint)")


def build_sharing_links() -> pd.DataFrame:
    """The links of every option: secondary water's city top-up, a share of the cost by zone
    (exactly 38 % in the main urban area, 12–22 % elsewhere)."""
    rows = []
    for option in SHARING:
        rows.append({"option": option, "role": C, "relation": "equal",
                     "ratio": WATER_CITY_MAIN_URBAN, "base": "cost", "cost_category": "water",
                     "zone": "main_urban", "district": "", "source": WATER_SOURCE_MAIN})
        for zone in ZONES[1:]:
            for relation, ratio, rate in (("at_least", WATER_CITY_SUBURBS[0], "7.6"),
                                          ("at_most", WATER_CITY_SUBURBS[1], "14.1")):
                rows.append({"option": option, "role": C, "relation": relation, "ratio": ratio,
                             "base": "cost", "cost_category": "water", "zone": zone,
                             "district": "", "source": WATER_SOURCE_SUBURBS.format(rate=rate)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Comprehensive grids (综合网格) [synthetic]: no grid map is in our sources
# --------------------------------------------------------------------------------------------

# Residents per grid [assumed]: DOMAIN.md gives no count or size of Shanghai's comprehensive
# grids, so a grid is taken to hold about 12,000 residents — the upper end of the standard's
# complete-community unit of 5,000-12,000 residents (DOMAIN.md §2), i.e. a few committees of a
# street. A street gets round(residents / GRID_RESIDENTS) grids (at least one, at most one per
# committee).
GRID_RESIDENTS = 12_000
GRID_SOURCE = ("synthetic: committees of one street in sectors around the street's middle, "
               "≈ 12,000 residents per grid (assumed)")


def build_grids(com: pd.DataFrame) -> pd.DataFrame:
    """Every committee in exactly one grid, every grid within one street: a street's committees
    ordered by angle around their mean position and cut into runs of about equal residents
    (compact sectors; no random draw)."""
    rows = []
    for street, g in com.sort_values("community_id").groupby("street_code", sort=True):
        n_grids = int(min(len(g), max(1, round(g["residents"].sum() / GRID_RESIDENTS))))
        x, y = g["x_m"].to_numpy(float), g["y_m"].to_numpy(float)
        angle = np.arctan2(y - y.mean(), x - x.mean())
        order = np.argsort(angle, kind="stable")
        res = g["residents"].to_numpy(float)[order]
        middle = np.cumsum(res) - res / 2  # each committee's middle along the run
        number = np.minimum(n_grids - 1, (middle / res.sum() * n_grids).astype(int))
        number = np.unique(number, return_inverse=True)[1] + 1  # no empty grid numbers
        for cid, k in zip(g["community_id"].to_numpy()[order], number, strict=True):
            rows.append({"community_id": cid, "grid_id": f"G{street}-{k:02d}",
                         "grid_name": f"网格{k}", "source": GRID_SOURCE})
    return pd.DataFrame(rows).sort_values("community_id", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Budgets [assumed]: money per resident per year by source and district class, independent of
# what the targets cost (the targets are met or not by whatever these give)
# --------------------------------------------------------------------------------------------

# Yuan per resident (2020 census) per year, 2026-2035, constant prices [assumed]. The notice names
# the funders but gives no money and DOMAIN.md has no budget figure, so the level is a working
# value to replace: about 40 yuan per resident a year (≈ 100 yuan per family household), i.e.
# ≈ 1,000 yuan per household over ten years — a few per cent of the 30,000-80,000 yuan per
# household of an old-estate renovation in Shanghai (DOMAIN.md §5 [assumed]), since the programme
# adds facilities and services to estates rather than renovating them. The split follows the
# notice's funders (DOMAIN.md §1): public money most (city 15, districts 10-15), the utilities
# a little for their own networks (gas, water, drainage 2 each; power and telecom 0.5), owners and
# maintenance funds 3, social capital 3, property-rights holders 0.5, the community 1.
YUAN_PER_RESIDENT_YEAR = {
    "city_fiscal": 15.0, "district_fiscal": 10.0, "utility_gas": 2.0, "utility_water": 2.0,
    "utility_drainage": 2.0, "utility_power": 0.5, "utility_telecom": 0.5,
    "property_rights": 0.5, "owners": 3.0, "social_capital": 3.0, "community": 1.0,
}
# A central district's own pot per resident is larger [assumed]: the central districts have more
# revenue per resident and the oldest estates (DOMAIN.md §4).
CENTRAL_DISTRICT_FISCAL_YUAN_PER_RESIDENT_YEAR = 15.0
BUDGET_ROUND_YUAN = 10_000.0


def assumed_budgets(com: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """Yearly budget of every source: its yuan per resident per year × the residents it serves
    (a district pot its district's, every other source the whole city's), the same every year."""
    residents = com.groupby("district")["residents"].sum()
    rows = []
    for _, src in sources.iterrows():
        rate = YUAN_PER_RESIDENT_YEAR[src["role"]]
        people = float(residents.sum())
        if src["role"] == "district_fiscal":
            people = float(residents[src["district"]])
            if src["district"] in CENTRAL_DISTRICTS:
                rate = CENTRAL_DISTRICT_FISCAL_YUAN_PER_RESIDENT_YEAR
        money = round(rate * people / BUDGET_ROUND_YUAN) * BUDGET_ROUND_YUAN
        rows += [{"source_id": src["source_id"], "year": year, "budget_yuan": float(money)}
                 for year in YEARS]
    return pd.DataFrame(rows)


# What reaching the 2027 targets would cost (cheapest first), printed to compare with the money;
# it sizes nothing.
TARGET_2027_COVERAGE = 0.60
TARGET_2027_FEATURED = 15


@dataclass
class Calibration:
    """Figures printed and copied into data/README.md (none of them sizes a budget)."""

    need_2027: float = 0.0
    need_2027_pooled: float = 0.0
    upgrades_2027: int = 0
    all_basic: float = 0.0
    all_featured: float = 0.0


def _cheapest_to_coverage(assess: pd.DataFrame, mask: np.ndarray, share: float) -> pd.Index:
    """Communities (not yet basic) in mask to lift, cheapest first, so that `share` of the
    communities in mask are basic."""
    in_mask = assess[mask]
    need = int(np.ceil(share * len(in_mask))) - int(in_mask["basic_ok"].sum())
    todo = in_mask[~in_mask["basic_ok"]].sort_values("basic_capital", kind="stable")
    return todo.index[: max(need, 0)]


def cost_of_targets(com: pd.DataFrame, assess: pd.DataFrame) -> Calibration:
    """The capital of the cheapest way to the 2027 targets (each of main_urban and new_town to
    60 %, or both together; the 15 cheapest featured upgrades) — for the README, not the budgets."""
    zone = com["zone"].to_numpy()
    cal = Calibration(all_basic=float(assess["basic_capital"].sum()),
                      all_featured=float(assess["featured_capital"].sum()))
    feat = assess[~assess["featured_ok"]].sort_values("featured_capital", kind="stable").index[
        :TARGET_2027_FEATURED]
    each = _cheapest_to_coverage(assess, zone == "main_urban", TARGET_2027_COVERAGE).union(
        _cheapest_to_coverage(assess, zone == "new_town", TARGET_2027_COVERAGE)).difference(feat)
    pooled = _cheapest_to_coverage(assess, np.isin(zone, ["main_urban", "new_town"]),
                                   TARGET_2027_COVERAGE).difference(feat)
    featured = float(assess.loc[feat, "featured_capital"].sum())
    cal.upgrades_2027 = len(each)
    cal.need_2027 = float(assess.loc[each, "basic_capital"].sum()) + featured
    cal.need_2027_pooled = float(assess.loc[pooled, "basic_capital"].sum()) + featured
    return cal


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def schema_columns() -> dict[str, list[str]]:
    with open(SCHEMA_FILE, "rb") as f:
        schema = tomllib.load(f)
    return {t: [c["name"] for c in schema[t]["columns"]] for t in TINY_TABLES}


def write_tables(tables: dict[str, pd.DataFrame], out_dir: Path, names: list[str] = TABLES) -> None:
    """Write every table as UTF-8 CSV with exactly the contract's columns in declared order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    columns = schema_columns()
    for name in names:
        df = tables[name]
        missing = set(columns[name]) - set(df.columns)
        if missing:
            raise ValueError(f"{name}: missing columns {sorted(missing)}")
        df = df[columns[name]].copy()
        for col in df.columns:
            if df[col].dtype == bool:
                df[col] = np.where(df[col], "true", "false")
        df.to_csv(out_dir / f"{name}.csv", index=False, lineterminator="\n")


# --------------------------------------------------------------------------------------------
# The whole build
# --------------------------------------------------------------------------------------------

TINY_STREETS = ["310101017", "310117005", "310151201"]  # 小东门 (main_urban), 广富林 (new_town),
# 新村乡 (rural): 38 committees in three zones.
TINY_BUDGET_SHARE_2027 = 0.40  # 2026+2027 money: 40 % of the cost to make all basic (0.35 until
# issue 12; with fewer committees already basic, 35 % left the hard 2027 targets out of reach)
TINY_BUDGET_SHARE_LATER = 0.08  # per later year
# The tiny example's split of its money among roles: the bundled data's 2026 split before issue
# 12 (M yuan; data/README.md of that time), kept as a fixed test fixture so that the tiny
# example's tests keep their premise (the per-resident budgets of the full data give public money
# a smaller part, which would leave its hard targets out of reach under fiscal_led).
TINY_ROLE_MONEY = {"city_fiscal": 131.0, "district_fiscal": 113.4, "utility_gas": 6.1,
                   "utility_water": 6.1, "utility_drainage": 6.1, "utility_power": 1.5,
                   "utility_telecom": 1.5, "property_rights": 1.5, "owners": 26.1,
                   "social_capital": 28.8, "community": 6.4}


def build_tables(nbs_dir: Path = NBS_DIR, zones_file: Path = ZONES_FILE,
                 extents_file: Path = EXTENTS_FILE):
    """All tables of the full dataset plus the calibration figures and the assessment."""
    rng = {name: np.random.default_rng([SEED, k]) for k, name in enumerate(
        ["population", "coordinates", "indicators", "sites", "facilities"])}
    committees, streets = load_code_list(nbs_dir)
    # the street's layout class (street_zones.csv) places it and its sites and facilities
    streets["zone"] = streets["street_code"].map(read_zones(streets, zones_file))
    com = committees.merge(streets[["street_code", "zone"]].rename(
        columns={"zone": "layout_zone"}), on="street_code", how="left")
    outlines = load_outlines()
    centres = street_centres(rng["coordinates"], streets, outlines)
    com = add_coordinates(rng["coordinates"], com, centres, outlines)
    # each committee's own zone (by rule and position), then everything drawn by zone
    com = com.join(committee_zones(com, read_extents(extents_file)))
    com = add_population(rng["population"], com)
    com = add_indicators(rng["indicators"], com)
    sites = build_sites(rng["sites"], streets, com, outlines)
    facilities = build_facilities(rng["facilities"], streets, com, outlines)
    sources = build_sources(sorted(set(com["district"])))
    assess = _assess(com)
    budgets = assumed_budgets(com, sources)
    cal = cost_of_targets(com, assess)
    out_streets = streets.assign(zone=streets["street_code"].map(street_zone(com)))
    tables = {"streets": out_streets, "communities": com, "sites": sites,
              "facilities": facilities, "sources": sources, "budgets": budgets,
              "sharing": build_sharing(), "sharing_links": build_sharing_links(),
              "grids": build_grids(com)}
    return tables, assess, cal


def tiny_tables(tables: dict[str, pd.DataFrame], assess: pd.DataFrame):
    """The tiny example: the full dataset's rows of three streets, budgets scaled down."""
    pick = {}
    for name in ("streets", "communities", "sites", "facilities"):
        df = tables[name]
        pick[name] = df[df["street_code"].isin(TINY_STREETS)].reset_index(drop=True)
    com = tables["communities"]
    grids = tables["grids"]
    pick["grids"] = grids[grids["community_id"].isin(pick["communities"]["community_id"])
                          ].reset_index(drop=True)
    in_tiny = com["street_code"].isin(TINY_STREETS).to_numpy()
    districts = sorted(set(pick["communities"]["district"]))
    sources = build_sources(districts)
    pick["sources"] = sources
    pick["sharing"] = tables["sharing"]
    pick["sharing_links"] = tables["sharing_links"]
    sub = assess[in_tiny]
    total = float(sub.loc[~sub["basic_ok"], "basic_capital"].sum())
    # A fixed role split (TINY_ROLE_MONEY); district pots by their share of the tiny gaps.
    role_share = pd.Series(TINY_ROLE_MONEY) / sum(TINY_ROLE_MONEY.values())
    gap_by_district = sub["basic_capital"].groupby(com.loc[in_tiny, "district"]).sum()
    rows = []
    for _, src in sources.iterrows():
        share = role_share[src["role"]]
        if src["role"] == "district_fiscal":
            share *= gap_by_district[src["district"]] / gap_by_district.sum()
        for year in YEARS:
            envelope = total * (TINY_BUDGET_SHARE_2027 / 2 if year <= 2027
                                else TINY_BUDGET_SHARE_LATER)
            rows.append({"source_id": src["source_id"], "year": year,
                         "budget_yuan": float(np.round(envelope * share / 1000) * 1000)})
    pick["budgets"] = pd.DataFrame(rows)
    return pick


def write_tiny_outlines(districts: set[str], tiny_dir: Path) -> None:
    """The tiny example's districts.geojson: the real outlines of its districts."""
    collection = json.loads(OUTLINES_FILE.read_text(encoding="utf-8"))
    collection["features"] = [f for f in collection["features"]
                              if f["properties"]["district"] in districts]
    geography.write_geojson(collection, tiny_dir / geography.OUTLINES_FILE)


def build(out_dir: Path = OUT_DIR, tiny_dir: Path = TINY_DIR, nbs_dir: Path = NBS_DIR,
          zones_file: Path = ZONES_FILE, verbose: bool = False,
          extents_file: Path = EXTENTS_FILE) -> Calibration:
    tables, assess, cal = build_tables(nbs_dir, zones_file, extents_file)
    write_tables(tables, out_dir)
    write_tables(tiny_tables(tables, assess), tiny_dir, TINY_TABLES)
    write_tiny_outlines(set(tables["communities"].loc[
        tables["communities"]["street_code"].isin(TINY_STREETS), "district"]), tiny_dir)
    if verbose:
        report(tables, assess, cal)
    return cal


def report(tables: dict[str, pd.DataFrame], assess: pd.DataFrame, cal: Calibration) -> None:
    """Print the calibration figures quoted in data/README.md."""
    com = tables["communities"]
    z = com["zone"]
    print("communities per zone:", z.value_counts().reindex(ZONES).to_dict())
    print("residents per zone (M):",
          (com.groupby("zone")["residents"].sum() / 1e6).round(2).reindex(ZONES).to_dict())
    print("share basic per zone:", assess.groupby(z)["basic_ok"].mean().round(3)
          .reindex(ZONES).to_dict())
    print("count featured per zone:", assess.groupby(z)["featured_ok"].sum()
          .reindex(ZONES).to_dict())
    mu = z.isin(["main_urban", "new_town"])
    print(f"main_urban+new_town basic share: {assess.loc[mu, 'basic_ok'].mean():.3f}")
    hh = com["households"].sum()
    print(f"residents {com['residents'].sum():,}, households {hh:,}, "
          f"persons/household {com['residents'].sum() / hh:.3f}")
    w = com["residents"]
    print(f"60+ {np.average(com['share_60plus'], weights=w):.4f}, "
          f"0-14 {np.average(com['share_0_14'], weights=w):.4f}")
    print("60+ by district:", com.groupby("district").apply(
        lambda g: round(float(np.average(g["share_60plus"], weights=g["residents"])), 3),
        include_groups=False).to_dict())
    print("mean residents by kind:", com.groupby("kind")["residents"].mean().round(0).to_dict())
    print(f"pocket parks {com['pocket_parks'].sum()}, recycling points "
          f"{com['recycling_points'].sum()}, sorting points {com['sorting_points'].sum()}, "
          f"compliance >= 95 %: {(com['sorting_compliance_share'] >= 0.95).mean():.2f}")
    not_basic = ~assess["basic_ok"]
    per_hh = assess.loc[not_basic, "basic_capital"] / com.loc[not_basic, "households"]
    print("basic cost per household (not yet basic) quantiles:",
          per_hh.quantile([0.1, 0.5, 0.9]).round(0).to_dict())
    print(f"capital to close all basic gaps: {cal.all_basic / 1e9:.2f} bn yuan; "
          f"all featured gaps (incl. basic): {cal.all_featured / 1e9:.2f} bn yuan")
    print(f"cheapest way to the 2027 targets: {cal.upgrades_2027} basic upgrades (each zone to "
          f"60 %) + {TARGET_2027_FEATURED} featured: {cal.need_2027 / 1e6:.1f} M yuan (pooled "
          f"reading {cal.need_2027_pooled / 1e6:.1f} M) — for comparison, it sizes nothing")
    budgets = tables["budgets"]
    per_year = budgets.groupby("year")["budget_yuan"].sum()
    print("budget per year (M yuan):", (per_year / 1e6).round(1).to_dict())
    early = per_year.loc[[2026, 2027]].sum()
    print(f"2026+2027 budget {early / 1e6:.1f} M; cheapest 2027 cost / budget = "
          f"{cal.need_2027 / early:.3f} (pooled {cal.need_2027_pooled / early:.3f})")
    print(f"naive rule (cost per household, MU+NT, 2026+2027 money): coverage "
          f"{_naive_coverage(com, assess, early):.3f}")
    print("total budget 2026-2035 (M yuan):", round(per_year.sum() / 1e6, 1))
    by_role = budgets.merge(tables["sources"], on="source_id").groupby("role")["budget_yuan"].sum()
    print("budget 2026-2035 by role (M yuan):", (by_role / 1e6).round(1).to_dict())
    grids = tables["grids"]
    size = grids.groupby("grid_id").size()
    res = com.set_index("community_id").loc[grids["community_id"], "residents"]
    per_grid = res.groupby(grids["grid_id"].to_numpy()).sum()
    print(f"grids {len(size)}; committees per grid: {size.value_counts().sort_index().to_dict()}; "
          f"residents per grid 10/50/90 %: {per_grid.quantile([0.1, 0.5, 0.9]).round(0).tolist()}")
    print("committees per zone and kind:", com.groupby(["zone", "kind"]).size().to_dict())
    print("streets per zone:", tables["streets"]["zone"].value_counts().reindex(ZONES).to_dict())
    print(f"sites {len(tables['sites'])}, facilities {len(tables['facilities'])}")


def _naive_coverage(com: pd.DataFrame, assess: pd.DataFrame, money: float) -> float:
    """Coverage of main_urban+new_town that the planners' rule of thumb reaches with `money`:
    rank the communities that are not yet basic by basic cost per household, cheapest first,
    and upgrade until the money runs out (running costs and sharing rules ignored)."""
    mu = com["zone"].isin(["main_urban", "new_town"])
    todo = assess[mu & ~assess["basic_ok"]]
    per_hh = todo["basic_capital"] / com.loc[todo.index, "households"]
    cost = todo.loc[per_hh.sort_values(kind="stable").index, "basic_capital"].cumsum()
    return float((assess.loc[mu, "basic_ok"].sum() + (cost <= money).sum()) / mu.sum())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="full dataset folder")
    parser.add_argument("--tiny", type=Path, default=TINY_DIR, help="tiny example folder")
    parser.add_argument("--zones", type=Path, default=ZONES_FILE, help="street zone mapping")
    parser.add_argument("--write-default-zones", action="store_true",
                        help="(re)create the zone mapping file from the rules, then build")
    parser.add_argument("--quiet", action="store_true", help="do not print the calibration")
    args = parser.parse_args(argv)
    if args.write_default_zones or not args.zones.exists():
        _, streets = load_code_list()
        write_default_zones(streets, args.zones)
    build(args.out, args.tiny, zones_file=args.zones, verbose=not args.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
