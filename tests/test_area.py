"""Per-year budget multipliers (``funding.source_scale``) and plans restricted to an area
(``[area]``): the budgets ``prepare`` gives, the serialised form, the named problems, and that
``wzmodel check`` reproduces a plan made with them."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SHANGHAI, TINY

from wzmodel.finance import compare
from wzmodel.planner import make_plan, prepare
from wzmodel.planner.check import check_plan
from wzmodel.scenario import load_scenario
from wzmodel.schema import InputError

BASELINE = TINY / "scenarios" / "baseline.toml"
CUT = {"funding": {"source_scale": {"city_fiscal": {"2026": 0.8, "2030": 0.9}}}}


FAST = {"solver": {"gap": 0.1, "node_limit": 20}}
"""Any plan with a solution will do for these tests."""


@pytest.fixture(scope="module")
def tiny():
    return load_scenario(BASELINE)


@pytest.fixture(scope="module")
def tiny_problem(tiny):
    return prepare(tiny)


def test_a_plain_number_still_dumps_as_a_number_and_the_digest_is_unchanged(tiny):
    scaled = load_scenario(BASELINE, funding={"source_scale": {"city_fiscal": 1}})
    assert scaled.model_dump(mode="json")["funding"]["source_scale"] == {"city_fiscal": 1.0}
    same = tiny.model_dump(mode="json")
    same["funding"]["source_scale"] = {"city_fiscal": 1.0}
    assert scaled.model_dump(mode="json") == same


def test_a_table_by_year_scales_exactly_those_years(tiny_problem):
    cut = prepare(load_scenario(BASELINE, **CUT))
    sources = list(cut.sources["source_id"])
    ratio = np.divide(cut.budget, tiny_problem.budget, out=np.ones_like(cut.budget),
                      where=tiny_problem.budget > 0)
    expected = np.ones_like(ratio)
    expected[sources.index("city_fiscal"), [0, 4]] = (0.8, 0.9)
    np.testing.assert_allclose(ratio, expected)


def test_a_table_by_year_dumps_and_reads_back(tiny):
    cut = load_scenario(BASELINE, **CUT)
    dumped = cut.model_dump(mode="json")["funding"]["source_scale"]
    assert dumped == {"city_fiscal": {"2026": 0.8, "2030": 0.9}}
    assert cut.update() == cut
    # a sweep sets a number over a table, and a table over a number
    assert cut.update(funding={"source_scale": {"city_fiscal": 0.7}}).funding.source_scale == {
        "city_fiscal": 0.7}
    assert tiny.update(**CUT).funding.source_factor("city_fiscal", 2030) == 0.9


@pytest.mark.parametrize(("scale", "column"), [
    ({"2040": 0.8}, "funding.source_scale.city_fiscal.2040"),
    ({"2026": -0.8}, "funding.source_scale.city_fiscal.2026"),
    (-0.8, "funding.source_scale.city_fiscal"),
])
def test_years_outside_the_scenario_and_negative_factors_are_named(scale, column):
    with pytest.raises(InputError) as caught:
        load_scenario(BASELINE, funding={"source_scale": {"city_fiscal": scale}})
    assert [p.column for p in caught.value.problems] == [column]


def test_the_bundled_city_cut_loads_and_prepares():
    cut = load_scenario(SHANGHAI / "scenarios" / "city_cut_2026_27.toml")
    assert cut.funding.source_scale == {"city_fiscal": {2026: 0.8, 2027: 0.8}}
    assert [cut.funding.source_factor("city_fiscal", y) for y in (2026, 2027, 2028)] == [0.8, 0.8, 1]
    problem = prepare(cut)
    given = problem.dataset.budgets.query("source_id == 'city_fiscal'").set_index("year")
    factors = np.array([0.8, 0.8] + [1.0] * (len(problem.years) - 2))
    expected = given["budget_yuan"].reindex(problem.years).to_numpy() * factors
    np.testing.assert_allclose(_budget_of(problem, "city_fiscal"), expected)


def test_check_reproduces_a_plan_made_with_yearly_scales(tmp_path):
    plan = make_plan(load_scenario(BASELINE, **CUT, **FAST))
    assert plan.outcome.has_solution
    plan.write(tmp_path / "plan", excel=False)
    assert check_plan(tmp_path / "plan") == []


# --- [area] ---------------------------------------------------------------------------------

FEATURED_ONE = {"targets": {"featured_2027": {"min_count": 1}}}
"""The tiny example's 2 new featured communities by 2027 are beyond one district's means."""


def _budget_of(problem, source_id: str) -> np.ndarray:
    return problem.budget[list(problem.sources["source_id"]).index(source_id)]


def test_a_scenario_without_area_dumps_as_before(tiny):
    dumped = tiny.model_dump(mode="json")
    assert "area" not in dumped
    assert tiny.update(area={"districts": [], "streets": []}).digest() == tiny.digest()
    with_area = tiny.update(area={"districts": ["松江"]})
    assert with_area.model_dump(mode="json")["area"] == {
        "districts": ["松江"], "streets": [], "city_share": None}
    assert with_area.update() == with_area and with_area.digest() != tiny.digest()


def test_an_area_keeps_its_communities_and_shares_city_wide_budgets(tiny, tiny_problem):
    data = tiny_problem.dataset.communities
    area = prepare(tiny.update(area={"districts": ["松江"], "streets": ["310101017"]}))
    expected = data.loc[data["district"].eq("松江") | data["street_code"].eq("310101017"),
                        "community_id"]
    assert list(area.communities["community_id"]) == list(expected)
    assert area.area.districts == ("松江", "黄浦")
    # default share: the area's share of the communities (an assumption, see docs)
    share = len(expected) / len(data)
    assert area.area.share_basis == "communities" and area.area.city_share == pytest.approx(share)
    for sid in ("city_fiscal", "utility_gas", "owners", "social_capital"):
        np.testing.assert_allclose(_budget_of(area, sid), share * _budget_of(tiny_problem, sid))
    # the area's district pots stay whole; other districts' pots are left out
    for sid in ("district_fiscal_songjiang", "district_fiscal_huangpu"):
        np.testing.assert_allclose(_budget_of(area, sid), _budget_of(tiny_problem, sid))
    assert "district_fiscal_chongming" not in set(area.sources["source_id"])
    # the costs of a community do not depend on the others planned with it
    rows = tiny_problem.communities["community_id"].isin(expected).to_numpy()
    np.testing.assert_allclose(area.capital["basic"], tiny_problem.capital["basic"][rows])


def test_a_stated_city_share_applies_with_yearly_scales(tiny, tiny_problem):
    area = prepare(tiny.update(area={"districts": ["崇明"], "city_share": 0.25}, **CUT))
    assert area.area.share_basis == "stated"
    city = _budget_of(tiny_problem, "city_fiscal") * 0.25
    city[[0, 4]] *= (0.8, 0.9)
    np.testing.assert_allclose(_budget_of(area, "city_fiscal"), city)
    np.testing.assert_allclose(_budget_of(area, "owners"), 0.25 * _budget_of(tiny_problem, "owners"))


def test_targets_count_the_area_and_a_target_without_community_is_met_trivially(tiny, tmp_path):
    # 崇明 is rural only: the main-urban and new-town coverage target counts nothing
    scenario = tiny.update(area={"districts": ["崇明"], "city_share": 1.0}, **FEATURED_ONE, **FAST)
    problem = prepare(scenario)
    mask, total = problem.target_universe(scenario.targets["coverage_2027"])
    assert not mask.any() and total == 0
    plan = make_plan(scenario)
    assert plan.outcome.has_solution
    row = plan.targets.set_index("target").loc["coverage_2027"]
    assert bool(row["met"]) and row["required"] == 0
    assert "coverage_2027 (hard, 2027): no community of the plan in its zones" in plan.summary()
    assert "Area: 崇明 — 6 communities" in plan.summary()
    # a soft target over no community costs nothing and breaks nothing
    soft = scenario.update(targets={"blocks": {"kind": "complete_blocks", "year": 2035,
                                               "zones": ["main_urban"], "min_share": 0.5,
                                               "hard": False}})
    assert make_plan(soft).targets.set_index("target").loc["blocks", "met"]
    plan.write(tmp_path / "chongming", excel=False)
    assert check_plan(tmp_path / "chongming") == []


def test_coverage_targets_count_the_area_only(tiny):
    scenario = tiny.update(area={"districts": ["黄浦", "松江"]}, **FEATURED_ONE, **FAST)
    problem = prepare(scenario)
    mask, _total = problem.target_universe(scenario.targets["coverage_2027"])
    assert mask.all()  # 黄浦 is main urban, 松江 a new town
    plan = make_plan(scenario)
    coverage = plan.targets.set_index("target").loc["coverage_2027"]
    assert coverage["required"] == pytest.approx(0.6 * problem.n)


def test_check_passes_on_an_area_plan(tiny, tmp_path):
    plan = make_plan(tiny.update(area={"streets": ["310117005"], "city_share": 1.0}, **FEATURED_ONE,
                                  **FAST))
    assert plan.outcome.has_solution and plan.meta["area"]["districts"] == ["松江"]
    plan.write(tmp_path / "plan", excel=False)
    assert check_plan(tmp_path / "plan") == []


@pytest.mark.parametrize(("area", "column", "says"), [
    ({"districts": ["Songjiang"]}, "area.districts", "'松江' — accepted: 崇明, 松江, 黄浦"),
    ({"districts": ["浦东新区"]}, "area.districts", "accepted: 崇明, 松江, 黄浦"),
    ({"streets": ["小东门街道"]}, "area.streets", "e.g. 310101017 for 小东门街道"),
    ({"streets": ["310115999"]}, "area.streets", "a street code of the data (3 streets"),
])
def test_unknown_districts_and_streets_are_named_with_the_accepted_spelling(tiny, area, column, says):
    with pytest.raises(InputError) as caught:
        prepare(tiny.update(area=area))
    [problem] = caught.value.problems
    assert problem.column == column and says in problem.expected


def test_the_data_spelling_of_a_shanghai_district_is_suggested():
    names = ["Pudong", "pudong new area"]
    with pytest.raises(InputError) as caught:
        prepare(load_scenario(SHANGHAI / "scenarios" / "district_pudong.toml",
                              area={"districts": [*names, "浦东新区"]}))
    assert [p.value for p in caught.value.problems] == names  # the full name is accepted
    assert all("'浦东' — accepted: 嘉定, 奉贤" in p.expected for p in caught.value.problems)


def test_a_district_may_be_named_in_full(tiny):
    short = prepare(tiny.update(area={"districts": ["松江"]})).area
    full = prepare(tiny.update(area={"districts": ["松江区"]})).area
    assert full.districts == short.districts == ("松江",)
    assert (full.keep == short.keep).all() and full.keep.sum() == 16


def test_a_city_share_needs_an_area_and_lies_in_0_1():
    for area, column in (({"city_share": 0.3}, "area"),
                         ({"districts": ["松江"], "city_share": 1.5}, "area.city_share")):
        with pytest.raises(InputError) as caught:
            load_scenario(BASELINE, area=area)
        assert [p.column for p in caught.value.problems] == [column]


@pytest.mark.parametrize("name", ["district_pudong", "district_huangpu"])
def test_the_bundled_district_scenarios_load(name):
    scenario = load_scenario(SHANGHAI / "scenarios" / f"{name}.toml")
    assert len(scenario.area.districts) == 1 and scenario.area.city_share is None


def test_the_finance_comparison_uses_the_area_and_yearly_budgets(tiny, tiny_problem):
    scenario = tiny.update(area={"districts": ["黄浦"], "city_share": 0.5}, **CUT, **FEATURED_ONE,
                           **FAST)
    use = compare([scenario]).budget_use
    assert set(use.query("role == 'district_fiscal'")["source_id"]) == {"district_fiscal_huangpu"}
    city = use.query("source_id == 'city_fiscal'").set_index("year")["available_yuan"]
    given = _budget_of(tiny_problem, "city_fiscal")
    assert city[2026] == pytest.approx(0.5 * 0.8 * given[0])
