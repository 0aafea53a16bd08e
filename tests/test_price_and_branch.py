"""Price and branch: its bound is the whole LP relaxation's, its plan is feasible and no better
than the true optimum, whatever the initial columns."""

from __future__ import annotations

import logging
import time

import numpy as np
import pulp
import pytest
from builders import write_dataset, write_scenario
from conftest import TINY
from test_planner import HAND

from wzmodel.planner import make_plan, prepare
from wzmodel.planner.check import check_against
from wzmodel.planner.heuristic import rule_of_thumb
from wzmodel.planner.model import build
from wzmodel.scenario import load_scenario
from wzmodel.solver import SolverOptions, solve
from wzmodel.solver.price_and_branch import _time_for_another_round, solve_price_and_branch


def _knapsacks(n=300, m=3, seed=7, sense=pulp.LpMaximize):
    """A seeded multi-dimensional knapsack (or, minimising, a covering problem) in PuLP."""
    rng = np.random.default_rng(seed)
    values = rng.integers(10, 100, n).astype(float)
    weights = rng.integers(5, 60, (m, n)).astype(float)
    prob = pulp.LpProblem("knap", sense)
    x = [prob.add_variable(f"x{j:03d}", 0, 1, cat=pulp.LpInteger) for j in range(n)]
    prob += pulp.LpAffineExpression(zip(x, values, strict=True))
    rows = []
    for i in range(m):
        expr = pulp.LpAffineExpression(zip(x, weights[i], strict=True))
        rhs = 0.2 * weights[i].sum()
        prob += (expr <= rhs) if sense == pulp.LpMaximize else (expr >= rhs), f"row{i}"
        rows.append((weights[i], rhs))
    return prob, x, rows


def _lp_value(prob) -> float:
    """The LP relaxation's optimum (the variables' categories are restored afterwards)."""
    binaries = [v for v in prob.variables() if v.cat == pulp.LpInteger]
    for v in binaries:
        v.cat = pulp.LpContinuous
    value = solve(prob, SolverOptions()).objective
    for v in binaries:
        v.cat = pulp.LpInteger
    return value


@pytest.mark.parametrize("sense", [pulp.LpMaximize, pulp.LpMinimize])
def test_bound_is_the_whole_lp_and_the_plan_is_feasible(sense):
    prob, x, rows = _knapsacks(sense=sense)
    lp = _lp_value(prob)
    exact = solve(prob, SolverOptions(gap=0.0)).objective
    # start from 10 columns only: the covering problem's first restricted LP is infeasible
    outcome = solve_price_and_branch(prob, SolverOptions(gap=0.0), x[:10], batch=20)
    assert outcome.extra["lp_bound"] == pytest.approx(lp, rel=1e-9)
    values = np.array([v.varValue for v in x])
    assert set(np.unique(values)) <= {0.0, 1.0}
    for weights, rhs in rows:
        slack = rhs - weights @ values
        assert slack >= -1e-6 if sense == pulp.LpMaximize else slack <= 1e-6
    assert outcome.objective == pytest.approx(float(prob.objective.value()))
    # gap 0 asked: the reduced-cost window closes the LP's gap and proves the optimum
    assert outcome.status == "optimal"
    assert outcome.objective == pytest.approx(exact, abs=1e-6)
    assert outcome.bound == pytest.approx(exact, abs=1e-6)
    # both LPs need few columns: the covering start is infeasible, and a phase one prices in
    # columns that reduce the violation instead of every column
    assert outcome.extra["columns"][0] < len(x)
    assert outcome.extra["rounds"] > 2


def test_phase_one_proves_an_infeasible_model_infeasible(caplog):
    prob, x, _ = _knapsacks(n=60, sense=pulp.LpMinimize)
    prob += pulp.lpSum(x[:30]) >= 31, "more_than_there_are"  # 30 columns cannot sum to 31
    with caplog.at_level(logging.INFO, logger="wzmodel.solver.price_and_branch"):
        outcome = solve_price_and_branch(prob, SolverOptions(gap=0.0), x[:5], batch=10)
    assert outcome.status == "infeasible"
    assert solve(prob, SolverOptions()).status == "infeasible"
    # proven from the duals before every column of the row is in: the least violation is
    # exactly 31 - 30 = 1, found after two rounds (10 of the 25 absent columns priced in)
    rounds = [r.getMessage() for r in caplog.records if r.getMessage().startswith("phase one")]
    assert len(rounds) == 3 and rounds[1].startswith("phase one over 15 columns")
    assert rounds[2] == "phase one: every column together cannot bring the violation below 1"


def test_planner_strategy_bounds_the_hand_optimum(tmp_path):
    data = write_dataset(tmp_path / "data", HAND, budgets={2026: 400_000, 2027: 400_000})
    path = write_scenario(tmp_path / "hand.toml", data)
    scenario = load_scenario(path, solver={"strategy": "price_and_branch"})
    problem = prepare(scenario)
    plan = make_plan(scenario, problem=problem)
    outcome = plan.outcome
    assert outcome.bound <= _lp_value(build(problem).prob) + 1e-9
    assert outcome.bound >= 2.571429 - 1e-5  # the hand-checked optimum
    assert outcome.objective <= 2.571429 + 1e-5
    assert check_against(plan, problem) == []


def test_planner_strategy_on_the_tiny_example():
    scenario = load_scenario(
        TINY / "scenarios" / "baseline.toml", solver={"strategy": "price_and_branch", "node_limit": 20}
    )
    problem = prepare(scenario)
    plan = make_plan(scenario, problem=problem)
    assert plan.outcome.has_solution
    assert plan.outcome.bound <= _lp_value(build(problem).prob) + 1e-9
    assert plan.outcome.objective <= plan.outcome.bound + 1e-6
    assert check_against(plan, problem) == []
    assert plan.targets.loc[plan.targets["hard"], "met"].all()


def test_no_time_left_to_price_gives_the_rule_of_thumb_start_at_once():
    """A limit used up before the search could solve its first LP: no pricing round is begun,
    the plan is the rule of thumb chasing the hard targets, checkable, said to be so."""
    scenario = load_scenario(TINY / "scenarios" / "baseline.toml",
                             solver={"strategy": "price_and_branch", "time_limit": 0.01,
                                     "node_limit": None})  # a node limit switches the clock off
    problem = prepare(scenario)
    plan = make_plan(scenario, problem=problem)
    outcome = plan.outcome
    assert outcome.status == "feasible" and outcome.bound is None
    assert outcome.message.startswith("no time was left of the limit to search: the search "
                                      "found nothing better than the rule-of-thumb start")
    start = rule_of_thumb(problem, targets_first=True)[0]
    key = ["community_id", "class", "year"]
    assert plan.schedule[key].sort_values(key).reset_index(drop=True).equals(
        start[key].sort_values(key).reset_index(drop=True))
    assert check_against(plan, problem) == []


@pytest.mark.parametrize("scale", [0.9, 1.1])
def test_warm_resolve_reaches_the_cold_optimum_from_fewer_rounds(scale):
    """A re-solve after a ±10 % change of the row bounds, warm from the last solve's columns,
    basis and solution, proves the same optimum as a cold solve — in fewer pricing rounds."""
    prob, x, _ = _knapsacks(n=200, sense=pulp.LpMaximize)
    first = solve_price_and_branch(prob, SolverOptions(gap=0.0), x[:10], batch=20)
    warm = first.extra["warm"]
    assert warm.present.sum() == first.extra["columns"][0]
    assert warm.values is not None and set(np.unique(warm.values[: len(x)])) <= {0.0, 1.0}
    for c in prob.constraints():
        c.constant *= scale  # the rows are Σ w x ≤ rhs: constant −rhs
    cold = solve_price_and_branch(prob, SolverOptions(gap=0.0), x[:10], batch=20)
    again = solve_price_and_branch(prob, SolverOptions(gap=0.0), (), batch=20, warm=warm)
    assert again.status == cold.status == "optimal"
    assert again.objective == pytest.approx(cold.objective, abs=1e-6)
    assert again.extra["lp_bound"] == pytest.approx(cold.extra["lp_bound"], rel=1e-9)
    assert again.extra["rounds"] < cold.extra["rounds"]
    # the state handed in is read, never changed: the same warm re-solve gives the same answer
    twice = solve_price_and_branch(prob, SolverOptions(gap=0.0), (), batch=20, warm=warm)
    assert twice.objective == again.objective and twice.extra["rounds"] == again.extra["rounds"]


def test_warm_state_is_matched_by_name_onto_a_rebuilt_model():
    prob, x, _ = _knapsacks(n=50)
    state = solve_price_and_branch(prob, SolverOptions(gap=0.0), x[:10], batch=5).extra["warm"]
    names = np.array([*state.columns[::-1], "new_column"], dtype=object)
    rows = np.array(["row9", *state.rows[::-1]], dtype=object)
    moved = state.onto(names, rows)
    assert moved.present[:-1].tolist() == state.present[::-1].tolist()
    assert not moved.present[-1] and moved.column_status[-1] == -1 and moved.values[-1] == 0.0
    assert moved.row_status[0] == -1
    assert moved.row_status[1:].tolist() == state.row_status[::-1].tolist()


def test_warm_replan_of_a_plan_with_more_money(tmp_path):
    """``make_plan(..., previous=plan)``: the hand-checked plan re-planned with 10 % more money,
    warm, passes check and proves the cold re-plan's optimum, no worse than the first plan's."""
    import dataclasses

    data = write_dataset(tmp_path / "data", HAND, budgets={2026: 400_000, 2027: 400_000})
    scenario = load_scenario(write_scenario(tmp_path / "hand.toml", data),
                             solver={"strategy": "price_and_branch", "gap": 0.0})
    problem = prepare(scenario)
    first = make_plan(scenario, problem=problem)
    assert first.warm is not None
    richer = dataclasses.replace(problem, budget=problem.budget * 1.1)
    cold = make_plan(scenario, problem=richer)
    warm = make_plan(scenario, problem=richer, previous=first)
    assert check_against(warm, richer) == []
    assert warm.outcome.status == cold.outcome.status == "optimal"
    assert warm.outcome.objective == pytest.approx(cold.outcome.objective, abs=1e-6)
    assert warm.outcome.objective >= first.outcome.objective - 1e-6


def test_warm_state_survives_a_round_trip_through_its_file(tmp_path):
    prob, x, _ = _knapsacks(n=50)
    state = solve_price_and_branch(prob, SolverOptions(gap=0.0), x[:10], batch=5).extra["warm"]
    state.save(tmp_path / "warm.npz")
    back = type(state).load(tmp_path / "warm.npz")
    for name in ("columns", "rows", "present", "column_status", "row_status", "values"):
        assert np.array_equal(getattr(back, name), getattr(state, name)), name
    # a re-solve from the state read back is the re-solve from the state itself
    a = solve_price_and_branch(prob, SolverOptions(gap=0.0), (), warm=state)
    b = solve_price_and_branch(prob, SolverOptions(gap=0.0), (), warm=back)
    assert a.objective == b.objective and a.extra["rounds"] == b.extra["rounds"]


def test_a_model_rebudgeted_is_the_model_built_for_the_new_budgets(tmp_path):
    """``rebudget`` gives exactly the arrays ``build`` gives for a problem that differs in
    budgets only, and a warm re-plan that re-uses the model passes check."""
    import dataclasses

    from wzmodel.planner.model import rebudget
    from wzmodel.solver.highs import model_arrays

    problem = prepare(load_scenario(TINY / "scenarios" / "baseline.toml"))
    richer = dataclasses.replace(problem, budget=problem.budget * 1.3)
    assert problem.differs_in_budgets_only(richer)
    assert not problem.differs_in_budgets_only(
        dataclasses.replace(problem, earliest=problem.earliest + 1))
    model = build(problem)
    rebudget(model, richer)
    got, want = model_arrays(model.prob), model_arrays(build(richer).prob)
    for name in ("col_lower", "col_upper", "integer", "cost", "row_lower", "row_upper"):
        assert np.array_equal(getattr(got, name), getattr(want, name)), name
    assert (got.rows != want.rows).nnz == 0
    assert [c.name for c in got.constraints] == [c.name for c in want.constraints]

    data = write_dataset(tmp_path / "data", HAND, budgets={2026: 400_000, 2027: 400_000})
    scenario = load_scenario(write_scenario(tmp_path / "hand.toml", data),
                             solver={"strategy": "price_and_branch", "gap": 0.0})
    problem = prepare(scenario)
    richer = dataclasses.replace(problem, budget=problem.budget * 1.3)
    first = make_plan(scenario, problem=problem)
    again = make_plan(scenario, problem=richer, previous=first)
    assert again.model is first.model  # re-used, not built again
    assert check_against(again, richer) == []
    assert again.outcome.objective >= first.outcome.objective - 1e-6


def test_a_warm_resolve_of_a_model_made_infeasible_says_infeasible():
    """From a warm basis HiGHS can end an infeasible LP 'unbounded or infeasible'; the re-solve
    must still say infeasible (not error), as a cold solve does."""
    prob, x, _ = _knapsacks(n=60, sense=pulp.LpMinimize)
    warm = solve_price_and_branch(prob, SolverOptions(gap=0.0), x[:10], batch=10).extra["warm"]
    for c in prob.constraints():
        c.constant *= 6  # Σ w x ≥ 1.2 Σ w: more than every column together
    again = solve_price_and_branch(prob, SolverOptions(gap=0.0), x[:10], batch=10, warm=warm)
    assert again.status == "infeasible"
    assert solve(prob, SolverOptions()).status == "infeasible"


def test_each_round_of_the_loaded_lp_gets_its_own_time_limit():
    """HiGHS measures its time limit on a run clock that goes on across the rounds of the LP
    kept loaded: each round's limit is set past what the earlier rounds used (on the city, a
    limit of 10 s after 12 s of rounds stopped the next round at once)."""
    from wzmodel.solver.highs import model_arrays
    from wzmodel.solver.price_and_branch import _RestrictedLP

    prob, _x, _rows = _knapsacks(n=2000, m=40)
    _variables, _constraints, cl, cu, _integer, cost, rl, ru, rows = model_arrays(prob)
    lp = _RestrictedLP(cost, cl, cu, rl, ru, rows, rows.tocsc(), True, SolverOptions())
    present = np.zeros(len(cost), dtype=bool)
    present[:1000] = True
    assert lp.solve(present, None) == "optimal"
    used = lp.h.getRunTime()
    present[:] = True
    assert lp.solve(present, 60.0) == "optimal"
    assert lp.h.getOptionValue("time_limit")[1] == pytest.approx(used + 60.0)


def test_pricing_stops_early_enough_to_leave_branch_and_bound_its_share():
    """Another round (taken to last as long as the last one, or a fraction of that when it
    prices in a fraction of a batch) must leave 30 % of the limit."""
    options = SolverOptions(time_limit=60.0)
    five_seconds_ago = time.perf_counter() - 5.0
    assert not _time_for_another_round(options, 20.0, five_seconds_ago)  # 15 s left < 18 s
    assert _time_for_another_round(options, 30.0, five_seconds_ago)  # 25 s left
    assert _time_for_another_round(SolverOptions(), None, five_seconds_ago)  # no limit
    # a round pricing in a fifth of a full batch is taken to last a fifth as long: 1 s
    assert _time_for_another_round(options, 20.0, five_seconds_ago, fraction=0.2)  # 19 s left
