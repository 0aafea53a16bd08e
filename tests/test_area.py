"""Per-year budget multipliers (``funding.source_scale``) and plans restricted to an area
(``[area]``): the budgets ``prepare`` gives, the serialised form, the named problems, and that
``wzmodel check`` reproduces a plan made with them."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SHANGHAI, TINY

from wzmodel.planner import make_plan, prepare
from wzmodel.planner.check import check_plan
from wzmodel.scenario import load_scenario
from wzmodel.schema import InputError

BASELINE = TINY / "scenarios" / "baseline.toml"
CUT = {"funding": {"source_scale": {"city_fiscal": {"2026": 0.8, "2030": 0.9}}}}


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


def test_check_reproduces_a_plan_made_with_yearly_scales(tmp_path):
    plan = make_plan(load_scenario(BASELINE, **CUT))
    assert plan.outcome.has_solution
    plan.write(tmp_path / "plan", excel=False)
    assert check_plan(tmp_path / "plan") == []
