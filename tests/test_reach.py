"""Facility-type minimums met by facilities within walking reach (wzmodel.reach through assess).

Every figure is computed by hand. All committees lie in one main-urban street on the line y = 0
and meet every criterion but the one a test says; walking distance = straight line × 1.3 (the
detour factor of basic.toml's [reach]); child reach (nursery) 500 m walking = 384.6 m straight,
the main-urban life circle (green space) 1,000 m walking = 769.2 m straight.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from builders import STREET, met_community, write_dataset

from wzmodel.assess import assess
from wzmodel.data import load_dataset
from wzmodel.schema import InputError
from wzmodel.siting import site_complexes
from wzmodel.standards import load_standards

NURSERY_YUAN_M2 = 3000.0  # basic.nursery capital per m² (basic.toml)
GREEN_SPACE_YUAN = 500_000.0  # basic.green_space capital per green space


def _committee(cid: str, x: float, **override) -> dict:
    return met_community(cid, 1000, x_m=x, **override)


def _facility(fid: str, x: float, spare: float, kind: str | None) -> dict:
    return {"facility_id": fid, "street_code": STREET, "x_m": x, "y_m": 0.0,
            "spare_capacity_m2": spare, "type": kind or ""}


# A (x 0) lacks its whole 200 m² nursery; N1 (x 300, 250 m² spare) is 390 m away: closed.
# B (x 2,000) has 50 m² of nursery: short 150 m². N2 (x 2,400) is 400 m away in a straight
# line but 520 m on foot (beyond 500 m); the multi-purpose complex M (x 2,000, 1,000 m²) is no
# nursery: B's gap stays 150 m².
# C (x 5,000, short 200) and D (x 5,300, has 100: short 100) share N3 (x 5,100, 200 m²):
# 130 m and 260 m away. At most 200 m² can be served; the least walked way gives all of it to
# C (130 × 200 = 26,000 m²·m against 39,000 when D takes its 100): D's nearest nursery is full.
# E (x 10,000) and F (x 10,600) lack 200 m² each. P (x 10,350, 200 m²) is 455 m from E and
# 325 m from F; Q (x 10,900, 200 m²) 390 m from F and out of E's reach. Nearest-first would
# give P to F and leave E short; the most floor served is 400: E from P, F from Q.
COMMITTEES = [
    ("310101017001", 0.0, 0.0),
    ("310101017002", 2000.0, 50.0),
    ("310101017003", 5000.0, 0.0),
    ("310101017004", 5300.0, 100.0),
    ("310101017005", 10000.0, 0.0),
    ("310101017006", 10600.0, 0.0),
]
FACILITIES = [
    ("N1", 300.0, 250.0, "nursery"),
    ("N2", 2400.0, 500.0, "nursery"),
    ("M", 2000.0, 1000.0, None),
    ("N3", 5100.0, 200.0, "nursery"),
    ("P", 10350.0, 200.0, "nursery"),
    ("Q", 10900.0, 200.0, "nursery"),
]


@pytest.fixture(scope="module")
def nursery_data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reach")
    communities = [_committee(c, x, nursery_floor_m2=own) for c, x, own in COMMITTEES]
    facilities = [_facility(*f) for f in FACILITIES]
    data = write_dataset(folder / "d", communities, budgets={2026: 1.0},
                         more={"facilities": facilities})
    return load_dataset(data)


@pytest.fixture(scope="module")
def nurseries(nursery_data):
    return assess(nursery_data)


def _gap(assessment, cid: str, criterion: str = "basic.nursery") -> float:
    gaps = assessment.gaps.set_index(["community_id", "criterion_id"])["gap"]
    return float(gaps.get((cid, criterion), 0.0))


def test_a_nursery_within_500_m_closes_the_gap(nurseries):
    assert _gap(nurseries, "310101017001") == 0.0
    status = nurseries.communities.set_index("community_id")
    assert bool(status.at["310101017001", "is_basic"])
    row = nurseries.served.set_index("community_id").loc["310101017001"]
    assert (row["facility_id"], row["served_m2"]) == ("N1", pytest.approx(200.0))
    assert row["distance_m"] == pytest.approx(390.0)
    assert (row["shortfall"], row["gap_remaining"]) == (pytest.approx(200.0), 0.0)


def test_the_gap_stays_when_the_nearest_nursery_is_beyond_reach(nurseries):
    assert _gap(nurseries, "310101017002") == pytest.approx(150.0)
    assert "310101017002" not in set(nurseries.served["community_id"])
    status = nurseries.communities.set_index("community_id")
    assert status.at["310101017002", "basic_capital_yuan"] == pytest.approx(150 * NURSERY_YUAN_M2)


def test_the_gap_stays_when_the_nursery_in_reach_is_full(nurseries):
    assert _gap(nurseries, "310101017003") == 0.0
    assert _gap(nurseries, "310101017004") == pytest.approx(100.0)
    by = nurseries.served.set_index("community_id")
    assert by.at["310101017003", "facility_id"] == "N3"
    assert by.at["310101017003", "served_m2"] == pytest.approx(200.0)
    assert "310101017004" not in by.index


def test_the_most_shortfall_is_served_not_nearest_first(nurseries):
    given = nurseries.served.set_index("community_id")[["facility_id", "served_m2"]]
    assert given.loc["310101017005"].tolist() == ["P", pytest.approx(200.0)]
    assert given.loc["310101017006"].tolist() == ["Q", pytest.approx(200.0)]
    assert _gap(nurseries, "310101017005") == 0.0 == _gap(nurseries, "310101017006")


def test_city_figures_follow(nurseries):
    # only B (150 m²) and D (100 m²) are left short: 250 m² at 3,000 yuan
    assert nurseries.totals()["basic_capital_yuan"] == pytest.approx(250 * NURSERY_YUAN_M2)
    assert nurseries.totals()["basic"] == 4
    # served: A 200, C 200, E 200, F 200; no facility gives more than it has to spare
    assert nurseries.served["served_m2"].sum() == pytest.approx(800.0)
    used = nurseries.served.groupby("facility_id")["served_m2"].sum()
    spare = {f: s for f, _, s, _ in FACILITIES}
    assert all(used[f] <= spare[f] + 1e-6 for f in used.index)


def test_an_area_assessed_alone_still_shares_capacity_with_its_neighbours(nursery_data):
    # D alone would get N3's 200 m²; C, outside the area, still takes them (as city-wide)
    keep = (nursery_data.communities["community_id"] == "310101017004").to_numpy()
    area = assess(nursery_data, keep=keep)
    assert area.communities["community_id"].tolist() == ["310101017004"]
    assert _gap(area, "310101017004") == pytest.approx(100.0) and area.served.empty
    alone = assess(nursery_data.subset(["310101017004"]))
    assert _gap(alone, "310101017004") == 0.0
    # A's area: the part of the reach graph holding N1 only; A gets what it gets city-wide
    keep = (nursery_data.communities["community_id"] == "310101017001").to_numpy()
    area = assess(nursery_data, keep=keep)
    assert area.served["facility_id"].tolist() == ["N1"]
    assert area.served["served_m2"].tolist() == [pytest.approx(200.0)]
    assert area.totals()["basic_capital_yuan"] == 0.0


def test_a_green_space_takes_500_m2_of_a_park_and_may_be_served_in_part(tmp_path):
    # G (x 0) and H (x 100) lack a green space; the park (x 700, 700 m² spare) is 910 m from G
    # and 780 m from H on foot (within 1,000 m). 700 m² serves 1.4 green spaces: H (nearer) a
    # whole one, G 0.4 — G keeps 0.6 of a green space to provide (300,000 yuan).
    communities = [_committee("310101017001", 0.0, green_spaces=0),
                   _committee("310101017002", 100.0, green_spaces=0)]
    data = write_dataset(tmp_path / "d", communities, budgets={2026: 1.0},
                         more={"facilities": [_facility("PARK", 700.0, 700.0, "green_space")]})
    a = assess(load_dataset(data))
    assert _gap(a, "310101017002", "basic.green_space") == 0.0
    assert _gap(a, "310101017001", "basic.green_space") == pytest.approx(0.6)
    served = a.served.set_index("community_id")
    assert served.at["310101017001", "served"] == pytest.approx(0.4)
    assert served.at["310101017001", "served_m2"] == pytest.approx(200.0)
    assert served.at["310101017002", "distance_m"] == pytest.approx(780.0)
    assert a.totals()["basic_capital_yuan"] == pytest.approx(0.6 * GREEN_SPACE_YUAN)


def test_a_listed_complete_committee_takes_no_capacity(tmp_path):
    # A is on the list of complete communities: its missing nursery is no gap and it takes
    # nothing from N1, which serves B (x 100, 130 m away) whole
    communities = [_committee("310101017001", 0.0, nursery_floor_m2=0.0),
                   _committee("310101017002", 100.0, nursery_floor_m2=0.0)]
    data = write_dataset(tmp_path / "d", communities, budgets={2026: 1.0},
                         more={"facilities": [_facility("N1", 0.0, 200.0, "nursery")],
                               "complete": [{"community_id": "310101017001", "class": "basic"}]})
    a = assess(load_dataset(data))
    assert a.served["community_id"].tolist() == ["310101017002"]
    assert a.totals()["basic_capital_yuan"] == 0.0


def test_an_unknown_facility_type_is_named_by_row_column_and_value(tmp_path):
    communities = [_committee("310101017001", 0.0)]
    data = write_dataset(tmp_path / "d", communities, budgets={2026: 1.0},
                         more={"facilities": [_facility("N1", 0.0, 200.0, "nursery"),
                                              _facility("X", 0.0, 200.0, "kindergarden")]})
    with pytest.raises(InputError) as err:
        assess(load_dataset(data))
    text = str(err.value)
    assert "facilities" in text and "row 3" in text and "type" in text and "kindergarden" in text


def test_without_a_type_column_facilities_are_multipurpose_complexes(nurseries, tmp_path):
    # data written before facilities had types: nothing is served within reach
    communities = [_committee("310101017001", 0.0, nursery_floor_m2=0.0)]
    data = write_dataset(tmp_path / "d", communities, budgets={2026: 1.0})
    frame = pd.DataFrame([{k: v for k, v in _facility("N1", 0.0, 200.0, None).items()
                           if k != "type"}])
    frame.to_csv(data / "facilities.csv", index=False)
    a = assess(load_dataset(data))
    assert a.served.empty and _gap(a, "310101017001") == pytest.approx(200.0)


def test_siting_counts_only_multipurpose_complexes():
    # a nursery's spare floor next to A does not serve A's service floor in siting
    from wzmodel.data import example_path

    tiny = load_dataset(example_path(), indicators=load_standards().indicators())
    street = tiny.streets.iloc[0]
    communities = pd.DataFrame({
        "community_id": ["A"], "street_code": street["street_code"],
        "district": street["district"], "zone": "main_urban", "x_m": [0.0], "y_m": [0.0],
        "households": [1000], "service_floor_m2": [0.0]})
    facilities = pd.DataFrame({"facility_id": ["M", "N"], "street_code": street["street_code"],
                               "x_m": [100.0, 0.0], "y_m": 0.0,
                               "spare_capacity_m2": [100.0, 1000.0], "type": [None, "nursery"]})
    data = replace(tiny, communities=communities, sites=tiny.sites.iloc[0:0],
                   facilities=facilities)
    plan = site_complexes(data)
    served = plan.communities.set_index("community_id")["served_m2"]
    assert served["A"] == pytest.approx(100.0)  # M's 100 m², not the nursery's 1,000
    assert set(plan.allocation["site_or_facility_id"]) == {"M"}


def test_reach_radii_are_validated(tmp_path):
    text = (load_standards().paths[0])
    basic = Path(text).read_text(encoding="utf-8").replace('reach = "child"', 'reach = "toddler"')
    path = tmp_path / "basic.toml"
    path.write_text(basic, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_standards(path)
    assert "toddler" in str(err.value) and "reach" in str(err.value)
    assert np.isclose(load_standards().reach.radius("child", np.array(["rural"]))[0], 500.0)


def test_the_life_circle_radii_and_detour_are_the_sitings_defaults():
    # basic.toml says so; the two are edited in different files (standards, scenario)
    from wzmodel.scenario import DEFAULT_RADIUS_M, SitingConfig

    reach = load_standards().reach
    assert reach.radius_m["life_circle"] == DEFAULT_RADIUS_M
    assert reach.detour_factor == SitingConfig().detour_factor
