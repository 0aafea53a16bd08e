"""Per-district multipliers (``funding.district_budget_scale``, ``funding.district_cost_scale``)
and every budget by year (``funding.budget_scale`` as a table):
the budgets and costs ``prepare`` gives, the named problems, the workbook's multipliers sheet
and ``wzmodel check`` reproducing a plan made with them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import TINY

from wzmodel.planner import make_plan, prepare
from wzmodel.planner.check import check_plan
from wzmodel.scenario import load_scenario
from wzmodel.schema import InputError
from wzmodel.workbook import assumptions

BASELINE = TINY / "scenarios" / "baseline.toml"
SCALES = {"funding": {
    # 松江 in full, with a table by year; 崇明 as the data spells it, a number for every year
    "district_budget_scale": {"松江区": {"2027": 0.5}, "崇明": 0.0},
    "district_cost_scale": {"崇明区": 1.25},
}}


@pytest.fixture(scope="module")
def plain():
    return prepare(load_scenario(BASELINE))


@pytest.fixture(scope="module")
def scaled():
    return prepare(load_scenario(BASELINE, **SCALES))


def _row(problem, source_id: str) -> int:
    return list(problem.sources["source_id"]).index(source_id)


def test_a_districts_own_sources_carry_its_budget_multiplier(plain, scaled):
    ratio = np.divide(scaled.budget, plain.budget, out=np.ones_like(plain.budget),
                      where=plain.budget > 0)
    expected = np.ones_like(ratio)
    expected[_row(plain, "district_fiscal_songjiang"), plain.years.index(2027)] = 0.5
    expected[_row(plain, "district_fiscal_chongming"), :] = 0.0
    np.testing.assert_allclose(ratio[plain.budget > 0], expected[plain.budget > 0])
    # city-wide sources (city fiscal, utilities, owners, ...) are untouched
    assert (plain.budget[_row(plain, "city_fiscal")] > 0).all()


def test_a_districts_costs_carry_its_cost_multiplier(plain, scaled):
    chongming = (plain.communities["district"] == "崇明").to_numpy()
    assert 0 < chongming.sum() < len(chongming)
    for klass in ("basic", "featured"):
        for costs in ("capital", "running"):
            before, after = getattr(plain, costs)[klass], getattr(scaled, costs)[klass]
            np.testing.assert_allclose(after[chongming], 1.25 * before[chongming])
            np.testing.assert_allclose(after[~chongming], before[~chongming])
    assert list(scaled.communities.loc[chongming, "cost_factor"].unique()) == [1.25]


def test_unknown_districts_and_years_are_named_with_the_accepted_spellings():
    with pytest.raises(InputError) as caught:
        prepare(load_scenario(BASELINE, funding={"district_budget_scale": {"Pudong": 0.9},
                                                 "district_cost_scale": {"浦西": 1.1}}))
    named = {(p.column, p.value): p.expected for p in caught.value.problems}
    assert set(named) == {("funding.district_budget_scale", "Pudong"),
                          ("funding.district_cost_scale", "浦西")}
    assert all("accepted: 崇明, 松江, 黄浦" in e for e in named.values())
    for funding, column in (({"district_budget_scale": {"松江": {"2040": 0.5}}},
                             "funding.district_budget_scale.松江.2040"),
                            ({"district_budget_scale": {"松江": -0.5}},
                             "funding.district_budget_scale.松江"),
                            ({"district_cost_scale": {"松江": -1}}, "funding.district_cost_scale.松江")):
        with pytest.raises(InputError) as caught:
            load_scenario(BASELINE, funding=funding)
        assert [p.column for p in caught.value.problems] == [column]


def test_the_workbook_lists_the_district_multipliers(scaled):
    rows = assumptions(scaled)["multipliers"]
    listed = {(r.multiplier, r.years): r.factor for r in rows.itertuples()}
    assert listed[("budgets of 松江区's own sources", "2027")] == 0.5
    assert listed[("budgets of 崇明's own sources", "all years")] == 0.0
    assert listed[("costs in 崇明区", "all years")] == 1.25


def test_check_reproduces_a_plan_made_with_district_multipliers(tmp_path):
    plan = make_plan(load_scenario(BASELINE, **SCALES, solver={"gap": 0.1, "node_limit": 20}))
    assert plan.outcome.has_solution
    plan.write(tmp_path / "plan", excel=False)
    assert check_plan(tmp_path / "plan") == []


def test_every_budget_scaled_by_year_multiplies_the_district_and_source_scales(plain):
    both = prepare(load_scenario(BASELINE, funding={
        "budget_scale": {"2026": 0.5}, "source_scale": {"city_fiscal": {"2026": 0.8}},
        "district_budget_scale": {"松江": {"2026": 0.5}}}))
    ratio = np.divide(both.budget, plain.budget, out=np.ones_like(plain.budget),
                      where=plain.budget > 0)
    first = plain.years.index(2026)
    expected = np.ones_like(ratio)
    expected[:, first] = 0.5
    expected[_row(plain, "city_fiscal"), first] = 0.5 * 0.8
    expected[_row(plain, "district_fiscal_songjiang"), first] = 0.5 * 0.5
    np.testing.assert_allclose(ratio[plain.budget > 0], expected[plain.budget > 0])
    listed = assumptions(both)["multipliers"]
    assert ("every budget", "2026", 0.5) in set(listed.itertuples(index=False, name=None))
    with pytest.raises(InputError) as caught:
        load_scenario(BASELINE, funding={"budget_scale": {"2040": 0.5}})
    assert [p.column for p in caught.value.problems] == ["funding.budget_scale.2040"]


# --- cost multipliers by year: the money paid in that year ------------------------------------

PRICE_2027 = {"funding": {"cost_scale": {"service_facilities": {"2027": 2.0}, "water": 1.5}}}


def test_a_cost_multiplier_by_year_prices_the_money_paid_in_that_year(plain):
    from wzmodel.planner import rule_of_thumb_plan
    from wzmodel.planner.evaluate import completion_years, spending

    priced = prepare(load_scenario(BASELINE, **PRICE_2027))
    # a number for every year is in the cost arrays; a table by year is in the prices
    water = list(plain.categories).index("water")
    np.testing.assert_allclose(priced.capital["basic"][:, water], 1.5 * plain.capital["basic"][:, water])
    assert priced.price(2027)[list(plain.categories).index("service_facilities")] == 2.0
    assert priced.price(2026).tolist() == [1.0] * len(plain.categories)
    # the same schedule costs the same, except service facilities paid in 2027 (doubled) and water
    schedule = rule_of_thumb_plan(plain).schedule
    before = spending(plain, completion_years(plain, schedule)).groupby(
        ["year", "cost_category"])["yuan"].sum()
    after = spending(priced, completion_years(priced, schedule)).groupby(
        ["year", "cost_category"])["yuan"].sum()
    factor = {(y, k): (2.0 if (y, k) == (2027, "service_facilities") else 1.5 if k == "water" else 1.0)
              for y, k in before.index}
    np.testing.assert_allclose(after.reindex(before.index), before * pd.Series(factor))
    assert before[(2027, "service_facilities")] > 0


def test_check_reproduces_a_plan_made_with_yearly_prices_and_lead_times(tmp_path):
    # lead times phase the capital over two years, so one upgrade pays at two prices
    soft = {t: {"hard": False} for t in load_scenario(BASELINE).targets}  # a year later: not all reachable
    plan = make_plan(load_scenario(
        BASELINE, **PRICE_2027, targets=soft, solver={"gap": 0.1, "node_limit": 20},
        delivery={"lead_time": {"basic": {"years": 1, "capital_shares": [0.5, 0.5]}}}))
    assert plan.outcome.has_solution
    plan.write(tmp_path / "plan", excel=False)
    assert check_plan(tmp_path / "plan") == []
    listed = set(assumptions(plan.problem)["multipliers"].itertuples(index=False, name=None))
    assert {("costs of service_facilities", "2027", 2.0), ("costs of water", "all years", 1.5)} <= listed
