"""Consistency of the bundled Shanghai dataset (data/shanghai/) and the tiny example.

The tests read the committed CSV files from the repository and check them against the input
contract (wzmodel/schema/tables.toml), the statistics code list's committee counts and the 2020
census district totals, then rebuild both datasets into temporary folders to check that the
seeded build is byte-for-byte deterministic.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, SHANGHAI, TINY

from wzmodel.assess import assess
from wzmodel.data import load_dataset
from wzmodel.geography import OUTLINES_FILE
from wzmodel.schema import InputError
from wzmodel.standards import load_standards

TABLES = ["streets", "communities", "sites", "facilities", "sources", "budgets", "sharing", "grids"]
ZONES = {"main_urban", "new_town", "new_market_town", "rural"}
YEARS = set(range(2026, 2036))

# Published reference: 2020 census resident population by district (上海市第七次全国人口普查主要
# 数据公报, as tabulated in the project brief DOMAIN.md §4) and committee counts per district
# (居委会, 村委会) from the statistics code list (data/sources/nbs/, china-division@2.7.0),
# virtual units (虚拟社区/生活区) excluded.
REFERENCE = {
    #        residents 2020, residents' committees, villagers' committees
    "黄浦": (662_030, 170, 0),
    "徐汇": (1_113_078, 312, 0),
    "长宁": (693_051, 189, 0),
    "静安": (975_707, 266, 1),
    "普陀": (1_239_800, 278, 7),
    "虹口": (757_498, 198, 0),
    "杨浦": (1_242_548, 301, 0),
    "闵行": (2_653_489, 483, 113),
    "宝山": (2_235_218, 464, 103),
    "嘉定": (1_834_258, 258, 141),
    "浦东": (5_681_512, 1165, 355),
    "金山": (822_776, 120, 124),
    "松江": (1_909_713, 299, 84),
    "青浦": (1_271_424, 171, 184),
    "奉贤": (1_140_872, 177, 175),
    "崇明": (637_921, 90, 268),
}


def _schema() -> dict:
    with open(REPO / "wzmodel" / "schema" / "tables.toml", "rb") as f:
        return tomllib.load(f)


def _read(folder: Path) -> dict[str, pd.DataFrame]:
    schema = _schema()
    out = {}
    for name in TABLES:
        str_cols = {c["name"]: str for c in schema[name]["columns"] if c["dtype"] == "str"}
        out[name] = pd.read_csv(folder / f"{name}.csv", dtype=str_cols, keep_default_na=False)
    return out


@pytest.fixture(scope="module")
def full() -> dict[str, pd.DataFrame]:
    return _read(SHANGHAI)


@pytest.fixture(scope="module")
def tiny() -> dict[str, pd.DataFrame]:
    return _read(TINY)


def test_committee_counts_exact(full):
    com = full["communities"]
    assert len(com) == 6496
    assert (com["kind"] == "residents").sum() == 4941
    assert (com["kind"] == "villagers").sum() == 1555
    assert not com["name"].str.contains("虚拟").any()
    counts = com.groupby(["district", "kind"]).size().unstack(fill_value=0)
    for district, (_, n_res, n_vil) in REFERENCE.items():
        assert counts.at[district, "residents"] == n_res, district
        assert counts.loc[district].get("villagers", 0) == n_vil, district
    kind_from_name = com["name"].str.endswith("村委会").map({True: "villagers",
                                                            False: "residents"})
    assert (kind_from_name == com["kind"]).all()


def test_district_residents_match_census(full):
    residents = full["communities"].groupby("district")["residents"].sum()
    assert set(residents.index) == set(REFERENCE)
    for district, (census, _, _) in REFERENCE.items():
        assert abs(residents[district] / census - 1) <= 0.01, district


def test_population_calibration(full):
    com = full["communities"]
    w = com["residents"]
    # family households of the 2020 census (DOMAIN.md §4): 9.6446 M; residents include ≈ 2.5 M
    # in collective households, so residents per household is 24.87 / 9.6446 ≈ 2.58, not 2.32
    assert abs(com["households"].sum() / 9_644_600 - 1) <= 0.01
    assert 2.55 <= w.sum() / com["households"].sum() <= 2.61
    assert abs((com["share_60plus"] * w).sum() / w.sum() - 0.234) < 0.01
    assert abs((com["share_0_14"] * w).sum() / w.sum() - 0.098) < 0.01
    mean_size = com.groupby("kind")["residents"].mean()
    assert mean_size["villagers"] < mean_size["residents"]


def test_indicator_calibration(full):
    """The issue-12 indicators: DOMAIN.md §4 figures and the columns' own consistency."""
    com = full["communities"]
    # ≈ 220,000 multi-storey buildings without a lift (2018), none in villages
    assert com["buildings_without_lift"].sum() == 220_000
    villagers = com["kind"] == "villagers"
    assert (com.loc[villagers, "buildings_without_lift"] == 0).all()
    assert (com["lift_ready_buildings"] <= com["buildings_without_lift"]).all()
    assert (com["buildings_without_lift"] <= com["residential_buildings"]).all()
    assert (com["new_estate_households"] <= com["households"]).all()
    assert (com["drain_dredgings_before_flood_season"] <= com["drain_dredging_per_year"]).all()
    assert (com["elderly_care_largest_site_m2"] <= com["elderly_care_floor_m2"] + 0.1).all()
    assert (com["resident_activity_floor_m2"] <= com["service_floor_m2"] + 0.1).all()
    # ≈ 95 % of estates met the sorting standard in 2024
    compliant = (com["sorting_compliance_share"] * com["sorting_points"]).sum()
    assert abs(compliant / com["sorting_points"].sum() - 0.95) < 0.01


def test_build_assessment_agrees_with_the_package(tiny):
    """The build's private copy of the gap arithmetic (``extra`` terms and indicator bases
    included) gives the package's verdicts and costs on the tiny example — without facilities
    within reach, which the build does not model (it only prints figures for comparison)."""
    builder = _load_builder()
    com = tiny["communities"].merge(tiny["streets"][["street_code", "zone"]], on="street_code")
    status = builder._assess(com)
    data = load_dataset(TINY, indicators=load_standards().indicators())
    multipurpose = data.facilities[data.facilities["type"].fillna("") == ""]
    result = assess(dataclasses.replace(data, facilities=multipurpose)).communities
    assert status["basic_ok"].tolist() == result["is_basic"].tolist()
    assert status["featured_ok"].tolist() == result["is_featured"].tolist()
    assert status["basic_capital"].to_numpy() == pytest.approx(
        result["basic_capital_yuan"].to_numpy())


@pytest.mark.parametrize("which", ["full", "tiny"])
def test_columns_in_contract_order(which, request):
    data = request.getfixturevalue(which)
    schema = _schema()
    for name in TABLES:
        declared = [c["name"] for c in schema[name]["columns"]]
        assert list(data[name].columns) == declared, name


@pytest.mark.parametrize("which", ["full", "tiny"])
def test_values_respect_contract(which, request):
    data = request.getfixturevalue(which)
    schema = _schema()
    for name in TABLES:
        df = data[name]
        key = schema[name]["key"]
        assert not df.duplicated(key).any(), f"{name}: duplicate key {key}"
        for col in schema[name]["columns"]:
            values = df[col["name"]]
            if col.get("unique"):
                assert values.is_unique, (name, col["name"])
            blank = values.astype(str) == ""
            if not col.get("nullable"):
                assert not blank.any(), (name, col["name"])
            present = values[~blank]
            if "allowed" in col:
                assert present.isin(col["allowed"]).all(), (name, col["name"])
            if "min" in col:
                assert (present.astype(float) >= col["min"]).all(), (name, col["name"])
            if "max" in col:
                assert (present.astype(float) <= col["max"]).all(), (name, col["name"])


@pytest.mark.parametrize("which", ["full", "tiny"])
def test_streets_zones_and_references(which, request):
    data = request.getfixturevalue(which)
    streets, com = data["streets"], data["communities"]
    assert set(com["street_code"]) == set(streets["street_code"])
    assert streets["zone"].isin(ZONES).all()
    district_of = streets.set_index("street_code")["district"]
    assert (com["street_code"].map(district_of) == com["district"]).all()
    assert com["community_id"].str.fullmatch(r"\d{12}").all()
    assert (com["community_id"].str[:9] == com["street_code"]).all()
    for table in ("sites", "facilities"):
        assert data[table]["street_code"].isin(streets["street_code"]).all()


def test_all_zones_present(full, tiny):
    com = full["communities"]
    assert set(com["zone"]) == ZONES
    assert com["zone"].value_counts().min() >= 200
    assert set(tiny["communities"]["zone"]) == {"main_urban", "new_town", "rural"}  # 新村乡: villages


@pytest.mark.parametrize("which", ["full", "tiny"])
def test_committee_zones_follow_the_plan_hierarchy(which, request):
    """Villagers' committees are 乡村 (rural) and only they; the seven central districts are
    wholly main urban (DOMAIN.md §4)."""
    com = request.getfixturevalue(which)["communities"]
    assert ((com["kind"] == "villagers") == (com["zone"] == "rural")).all()
    central = com["district"].isin(["黄浦", "徐汇", "长宁", "静安", "普陀", "虹口", "杨浦"])
    assert (com.loc[central & (com["kind"] == "residents"), "zone"] == "main_urban").all()


def test_zone_extents_have_the_planning_areas():
    ext = pd.read_csv(SHANGHAI / "zone_extents.csv").set_index("extent")
    area = ext["area_km2"]
    assert area["central city (inside the outer ring)"] == 664.0
    assert area[ext["zone"] == "main_urban"].sum() == pytest.approx(1161.0)
    assert area[ext["zone"] == "new_town"].to_dict() == {
        "嘉定 new town": 159.5, "青浦 new town": 91.1, "松江 new town": 158.4,
        "奉贤 new town": 67.9, "南汇 new town": 343.3}


@pytest.mark.parametrize("which", ["full", "tiny"])
def test_every_committee_in_one_grid_within_a_street(which, request):
    data = request.getfixturevalue(which)
    grids, com = data["grids"], data["communities"]
    assert sorted(grids["community_id"]) == sorted(com["community_id"])
    street = com.set_index("community_id")["street_code"]
    assert (grids.groupby("grid_id")["community_id"].agg(lambda c: street[c].nunique()) == 1).all()
    assert grids["source"].str.startswith("synthetic").all()


def test_zone_mapping_file_covers_streets(full):
    zones = pd.read_csv(SHANGHAI / "street_zones.csv", dtype=str)
    assert sorted(zones["street_code"]) == sorted(full["streets"]["street_code"])


@pytest.mark.parametrize("which", ["full", "tiny"])
def test_budgets_cover_every_source_and_year(which, request):
    data = request.getfixturevalue(which)
    sources, budgets = data["sources"], data["budgets"]
    pairs = set(zip(budgets["source_id"], budgets["year"], strict=True))
    assert pairs == {(s, y) for s in sources["source_id"] for y in YEARS}
    assert (budgets["budget_yuan"] > 0).all()
    districts = set(data["communities"]["district"])
    fiscal = sources[sources["role"] == "district_fiscal"]
    assert set(fiscal["district"]) == districts
    assert (sources["role"] == "city_fiscal").sum() == 1
    assert sources.loc[sources["role"].isin(["city_fiscal", "district_fiscal"]),
                       "public"].all()
    assert not sources.loc[~sources["role"].isin(["city_fiscal", "district_fiscal"]),
                           "public"].any()


@pytest.mark.parametrize("which", ["full", "tiny"])
def test_sharing_options_are_feasible(which, request):
    sharing = request.getfixturevalue(which)["sharing"]
    schema = _schema()
    categories = next(c["allowed"] for c in schema["sharing"]["columns"]
                      if c["name"] == "cost_category")
    assert {"fiscal_led", "utilities_owners", "social_capital_leveraged"} <= set(
        sharing["option"])
    for option, rows in sharing.groupby("option"):
        general = rows[(rows["zone"] == "") & (rows["district"] == "")]
        assert set(general["cost_category"]) == set(categories), option
        for (_category, _zone, _district), grp in rows.groupby(
            ["cost_category", "zone", "district"]
        ):
            assert grp["min_share"].sum() <= 1 + 1e-9, (option, _category, _zone)
            assert grp["max_share"].sum() >= 1 - 1e-9, (option, _category, _zone)
            assert (grp["min_share"] <= grp["max_share"]).all()
    assert (sharing["zone"] != "").any(), "at least one option differs by zone"


def test_tiny_is_small_with_interesting_budgets(tiny):
    assert 30 <= len(tiny["communities"]) <= 45
    assert len(tiny["streets"]) == 3
    builder = _load_builder()
    status = builder._assess(tiny["communities"])
    costs = status.loc[~status["basic_ok"], "basic_capital"].sort_values()
    budgets = tiny["budgets"]
    early = budgets.loc[budgets["year"] <= 2027, "budget_yuan"].sum()
    # Some but not all of the communities that are not yet basic are affordable by 2027.
    assert costs.iloc[:3].sum() < early < costs.sum()


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_shanghai",
                                                  REPO / "data" / "build_shanghai.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_build_is_deterministic_and_matches_committed(tmp_path):
    builder = _load_builder()
    for run in ("a", "b"):
        builder.build(tmp_path / run / "full", tmp_path / run / "tiny")
    for sub, committed in (("full", SHANGHAI), ("tiny", TINY)):
        for name in TABLES:
            first = (tmp_path / "a" / sub / f"{name}.csv").read_bytes()
            assert first == (tmp_path / "b" / sub / f"{name}.csv").read_bytes(), name
            assert first == (committed / f"{name}.csv").read_bytes(), (
                f"{committed / name}.csv is stale: run make data")
    outlines = (tmp_path / "a" / "tiny" / OUTLINES_FILE).read_bytes()
    assert outlines == (TINY / OUTLINES_FILE).read_bytes(), "the tiny outlines are stale"


# ------------------------------------------------------------------------------------------------
# Where the data lies: the real district outlines and the CRS of x_m, y_m
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shanghai():
    return load_dataset(SHANGHAI)


def test_outlines_are_the_sixteen_districts_in_metres(shanghai):
    outlines = shanghai.outlines
    assert sorted(outlines.districts) == sorted(REFERENCE)
    assert shanghai.crs.startswith("+proj=tmerc +lat_0=31.2304 +lon_0=121.4737")
    x0, y0, x1, y1 = outlines.bounds()
    # Shanghai spans ≈ 100 km west to east on land (120.86–122.0° E at 31° N; the islet 佘山岛
    # in the sea stretches the box to ≈ 132 km) and ≈ 120 km south to north (30.68–31.87° N)
    assert 120_000 < x1 - x0 < 140_000 and 120_000 < y1 - y0 < 140_000
    land = outlines.bounds([d for d in outlines.districts if d != "崇明"])
    assert 95_000 < land[2] - land[0] < 115_000
    # People's Square, the origin, lies in Huangpu, which is ≈ 20.5 km² (20.46 km² official)
    assert outlines.contains(["黄浦"], [0.0], [0.0]).all()
    assert not outlines.contains(["静安", "浦东"], [0.0, 0.0], [0.0, 0.0]).any()
    assert outlines.shapes["黄浦"].area / 1e6 == pytest.approx(20.5, abs=1.0)
    # 崇明 is islands: 崇明岛, 长兴岛 and 横沙岛 (plus islets)
    assert len(outlines.shapes["崇明"].geoms) >= 3
    assert (SHANGHAI / OUTLINES_FILE).stat().st_size < 400_000


@pytest.mark.parametrize("folder", [SHANGHAI, TINY], ids=["shanghai", "tiny"])
def test_every_point_lies_inside_its_real_district(folder):
    """Committees, candidate sites and existing facilities, each in its own district (within
    the 30 m the outlines were simplified by)."""
    data = load_dataset(folder)
    district = data.streets.set_index("street_code")["district"]
    for table in (data.communities, data.sites, data.facilities):
        inside = data.outlines.contains(table["street_code"].map(district), table["x_m"],
                                        table["y_m"], tolerance_m=30.0)
        assert inside.all(), table.loc[~inside].head()


def test_outline_problems_are_named(tmp_path):
    """Outlines without a CRS to place them in, or missing a district, are problems."""
    import shutil

    for name in (*[f"{t}.csv" for t in TABLES], OUTLINES_FILE):
        shutil.copy(TINY / name, tmp_path / name)
    with pytest.raises(InputError) as info:  # no about.toml: no crs
        load_dataset(tmp_path)
    assert [p.column for p in info.value.problems] == ["crs"]
    (tmp_path / "about.toml").write_text('crs = "+proj=nonsense"\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_dataset(tmp_path)
    assert [(p.column, p.value) for p in info.value.problems] == [("crs", "+proj=nonsense")]
    (tmp_path / "about.toml").write_text((TINY / "about.toml").read_text(encoding="utf-8"),
                                         encoding="utf-8")
    collection = json.loads((TINY / OUTLINES_FILE).read_text(encoding="utf-8"))
    collection["features"] = [f for f in collection["features"]
                              if f["properties"]["district"] != "松江"]
    (tmp_path / OUTLINES_FILE).write_text(json.dumps(collection), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_dataset(tmp_path)
    assert [(p.column, p.value) for p in info.value.problems] == [("district", "松江")]
    (tmp_path / OUTLINES_FILE).unlink()  # outlines are optional
    assert load_dataset(tmp_path).outlines is None
