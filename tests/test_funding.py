"""Funding rules (wzmodel.planner.funding) on hand cases and random bounds; budget rows by key."""

from __future__ import annotations

import math

import pulp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wzmodel.data import example_path
from wzmodel.planner import build, prepare
from wzmodel.planner.funding import NO_SOURCES, SPLIT_TOL, Share, ShareBounds
from wzmodel.planner.marginal import _budget_row_jacobian
from wzmodel.scenario import load_scenario
from wzmodel.solver import SolverOptions, solve

# city 20–60 %, district 10–50 %, social capital 0–40 %
THREE = ShareBounds((Share("city", 0.2, 0.6, True), Share("district", 0.1, 0.5, True),
                     Share("social", 0.0, 0.4, False)))


def test_vertices_of_three_sources_are_the_hexagon():
    # two shares at a bound, the third what is left, within its own bounds
    found = {tuple(round(float(x), 9) for x in v) for v in THREE.vertices()}
    assert found == {(0.2, 0.5, 0.3), (0.6, 0.1, 0.3), (0.2, 0.4, 0.4), (0.6, 0.4, 0.0),
                     (0.5, 0.1, 0.4), (0.5, 0.5, 0.0)}
    assert len(THREE.vertices()) == 6


def test_vertices_of_fixed_shares_are_one_point():
    rule = ShareBounds((Share("a", 0.3, 0.3, True), Share("b", 0.7, 0.7, False)))
    assert [tuple(v) for v in rule.vertices()] == [(0.3, 0.7)]


def test_split_uses_non_public_money_first_then_public_by_source_id():
    assert THREE.split(100.0) == pytest.approx({"city": 50.0, "district": 10.0, "social": 40.0})
    # social capital has 10 left: the city takes the rest up to its maximum
    assert THREE.split(100.0, {"city": 1e9, "district": 1e9, "social": 10.0}) == pytest.approx(
        {"city": 60.0, "district": 30.0, "social": 10.0})


def test_split_is_none_when_the_money_left_cannot_pay():
    assert THREE.split(100.0, {"city": 19.0, "district": 1e9, "social": 1e9}) is None  # < min
    assert THREE.split(100.0, {"city": 30.0, "district": 20.0, "social": 30.0}) is None  # 80 < 100


def test_violations_name_the_share_above_its_bound():
    what = "gas in 黄浦 (main_urban) in 2027"
    assert THREE.violations({"city": 50.0, "district": 10.0, "social": 40.0}, 100.0, 1e-6,
                            what) == []
    issues = THREE.violations({"city": 20.0, "district": 30.0, "social": 50.0}, 100.0, 1e-6, what)
    assert issues == [f"social pays 50.00% of {what}, above its maximum share 40%"]
    issues = THREE.violations({"city": 10.0, "district": 50.0, "social": 40.0}, 100.0, 1e-6, what)
    assert issues == [f"city pays 10.00% of {what}, below its minimum share 20%"]
    assert NO_SOURCES.violations({"owners": 5.0}, 5.0, 1e-6, what) == [
        f"owners pays 5 yuan of {what} but is not an eligible source there"]


@st.composite
def rules_and_amounts(draw):
    """Random share bounds whose minimums sum to at most one and maximums to at least one."""
    n = draw(st.integers(1, 5))
    lo = [draw(st.floats(0.0, 1.0 / n)) for _ in range(n)]
    hi = [draw(st.floats(low, 1.0)) for low in lo]
    if sum(hi) < 1.0:  # widen the last source so that 100 % can be paid
        hi[-1] = 1.0
    shares = tuple(Share(f"s{k}", lo[k], hi[k], draw(st.booleans())) for k in range(n))
    amount = draw(st.floats(0.0, 1e9))
    available = draw(st.none() | st.lists(st.floats(0.0, 2e9), min_size=n, max_size=n))
    return ShareBounds(shares), amount, available


@settings(max_examples=200, deadline=None, derandomize=True)
@given(rules_and_amounts())
def test_split_respects_bounds_and_money_left_and_sums_to_the_amount(case):
    rule, amount, available = case
    left = None if available is None else dict(zip(rule.sources, available, strict=True))
    pay = rule.split(amount, left)
    if left is None or all(left[s.source_id] >= s.max_share * amount for s in rule.shares):
        assert pay is not None  # nothing limits the split
    if pay is None:
        return
    tol = SPLIT_TOL * max(1.0, amount)
    assert math.fsum(pay.values()) == pytest.approx(amount, abs=tol)
    for s in rule.shares:
        assert s.min_share * amount - tol <= pay[s.source_id] <= s.max_share * amount + tol
        if left is not None:
            assert pay[s.source_id] <= left[s.source_id] + tol
    assert rule.violations(pay, amount, tol, "a cost") == []


def test_pay_reaches_every_vertex_split_in_a_model():
    prob = pulp.LpProblem("pay", pulp.LpMaximize)
    spend = prob.add_variable("spend", 0)
    paid = THREE.pay(prob, spend, "g")
    prob += paid["social"] + 0.001 * paid["city"]
    prob += (spend == 100, "amount")
    assert solve(prob, SolverOptions(solver="highs")).status == "optimal"
    assert {s: y.value() for s, y in paid.items()} == pytest.approx(
        {"city": 50.0, "district": 10.0, "social": 40.0})
    assert list(paid) == ["city", "district", "social"]


# ------------------------------------------------------------------------------------------
# Budget rows by key (marginal value of money)
# ------------------------------------------------------------------------------------------
@pytest.fixture
def tiny_model():
    scenario = load_scenario(example_path() / "scenarios" / "fiscal_led.toml")
    return build(prepare(scenario))


def test_budget_rows_cover_every_source_and_year(tiny_model):
    p = tiny_model.problem
    assert p.scenario.funding.carry_over  # every source has a row in every year
    assert set(tiny_model.budget_rows) == {(sid, t) for sid in p.sources["source_id"]
                                           for t in p.years}
    for (sid, t), row in tiny_model.budget_rows.items():
        assert tiny_model.prob.get_constraint_by_name(f"budget_{sid}_{t}") is row


def test_budget_duals_do_not_read_row_names(tiny_model):
    for n, row in enumerate(tiny_model.budget_rows.values()):
        row.name = f"renamed_{n}"
    jacobian = _budget_row_jacobian(tiny_model)
    years = tiny_model.problem.years
    assert jacobian("city_fiscal", years[1]) == [(years[1], 1.0)]
