"""What the solver layer promises: every registered backend solves to the proven optimum, a run
stopped by a limit says so (with its gap), CBC's bound has the model's sign, a model with
nothing to decide is optimal at its constant, a solve prints nothing, and solver names are
checked against the one registry."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pulp
import pytest

import wzmodel.planner
from wzmodel import cli
from wzmodel.data import example_path
from wzmodel.scenario import load_scenario
from wzmodel.schema import InputError
from wzmodel.solver import SolveOutcome, SolverOptions, solve, solver_names
from wzmodel.solver.cbc import _signed_bound
from wzmodel.solver.registry import BACKENDS

ROOT = Path(__file__).parents[1]
TINY_BASELINE = example_path() / "scenarios" / "baseline.toml"


def _two_variables(sense: int = pulp.LpMaximize) -> pulp.LpProblem:
    """max 3x + 2y s.t. x + y <= 5.5, x integer in [0, 4], y >= 0: optimum 15 at (4, 1.5);
    min -(3x + 2y) under the same rows: optimum -15."""
    prob = pulp.LpProblem("two", sense)
    x = prob.add_variable("x", 0, 4, cat=pulp.LpInteger)
    y = prob.add_variable("y", 0)
    sign = 1 if sense == pulp.LpMaximize else -1
    prob += sign * (3 * x + 2 * y)
    prob += x + y <= 5.5, "capacity"
    return prob


def _knapsack(sense: int, n: int = 300, m: int = 5, seed: int = 7) -> pulp.LpProblem:
    """A seeded multidimensional knapsack (maximising) or covering problem (minimising), hard
    enough that no solver proves it optimal within a fraction of a second."""
    rng = np.random.default_rng(seed)
    values = rng.integers(10, 100, n).astype(float)
    weights = rng.integers(5, 60, (m, n)).astype(float)
    prob = pulp.LpProblem("knapsack", sense)
    x = [prob.add_variable(f"x{j:03d}", 0, 1, cat=pulp.LpInteger) for j in range(n)]
    prob += pulp.LpAffineExpression(zip(x, values, strict=True))
    for i in range(m):
        expr = pulp.LpAffineExpression(zip(x, weights[i], strict=True))
        rhs = 0.25 * weights[i].sum()
        prob += (expr <= rhs) if sense == pulp.LpMaximize else (expr >= rhs), f"row{i}"
    return prob


# ---------------------------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", solver_names())
@pytest.mark.parametrize("sense", [pulp.LpMaximize, pulp.LpMinimize])
def test_every_registered_solver_proves_the_optimum(name, sense):
    prob = _two_variables(sense)
    outcome = solve(prob, SolverOptions(solver=name, gap=0.0))
    expected = 15.0 if sense == pulp.LpMaximize else -15.0
    assert outcome.status == "optimal" and outcome.solver == name
    assert outcome.objective == pytest.approx(expected)
    assert outcome.bound == pytest.approx(expected) and outcome.gap == pytest.approx(0.0, abs=1e-9)
    assert {v.name: v.varValue for v in prob.variables()} == pytest.approx({"x": 4.0, "y": 1.5})


def test_default_solver_is_the_first_registered():
    assert SolverOptions().solver == solver_names()[0] == "highs"
    assert "cbc" in solver_names()


def test_unknown_solver_is_refused_naming_the_accepted_ones():
    accepted = ", ".join(repr(n) for n in solver_names())
    with pytest.raises(ValueError, match=f"unknown solver 'gurobi'; choose one of {accepted}"):
        SolverOptions(solver="gurobi")
    with pytest.raises(InputError) as error:
        load_scenario(TINY_BASELINE, solver={"name": "gurobi"})
    assert "solver.name" in str(error.value) and accepted in str(error.value)


def test_a_new_backend_is_a_module_and_one_registry_line(tmp_path, monkeypatch):
    (tmp_path / "echo_backend.py").write_text(
        "from wzmodel.solver import SolveOutcome\n\n"
        "def solve(prob, options):\n"
        "    return SolveOutcome('error', solver=options.solver, message='echo')\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(BACKENDS, "echo", "echo_backend")
    assert "echo" in solver_names()
    assert load_scenario(TINY_BASELINE, solver={"name": "echo"}).solver.options().solver == "echo"
    assert solve(_two_variables(), SolverOptions(solver="echo")).message == "echo"
    # the command line accepts it (and fails only on the missing scenario file, exit 2)
    assert cli.main(["plan", str(tmp_path / "missing.toml"), "--solver", "echo"]) == cli.EXIT_INPUT


def test_cli_offers_the_registered_solvers(capsys):
    with pytest.raises(SystemExit):
        cli.main(["plan", str(TINY_BASELINE), "--solver", "gurobi"])
    accepted = ", ".join(repr(n) for n in solver_names())
    assert f"invalid choice: 'gurobi' (choose from {accepted})" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# Honest statuses, gaps and bounds
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", solver_names())
def test_a_time_limited_run_reports_feasible_with_its_gap_or_no_solution(name):
    prob = _knapsack(pulp.LpMaximize)
    outcome = solve(prob, SolverOptions(solver=name, gap=0.0, time_limit=0.05))
    assert outcome.status in ("feasible", "no_solution"), outcome.describe()
    if outcome.status == "feasible":
        assert outcome.bound is not None and outcome.bound >= outcome.objective
        assert outcome.gap == pytest.approx((outcome.bound - outcome.objective) / outcome.objective)
    else:
        assert outcome.objective is None and not outcome.has_solution


def test_a_node_limit_stops_highs_the_same_way_on_every_machine():
    runs = [solve(_knapsack(pulp.LpMaximize, n=120), SolverOptions(gap=0.0, node_limit=1))
            for _ in range(2)]
    assert runs[0].status == "feasible" and runs[0].gap > 0
    assert (runs[0].objective, runs[0].bound) == (runs[1].objective, runs[1].bound)


@pytest.mark.parametrize("sense", [pulp.LpMaximize, pulp.LpMinimize])
def test_cbc_bound_has_the_models_sign(sense):
    exact = solve(_knapsack(sense), SolverOptions(solver="cbc", gap=0.0, time_limit=60)).objective
    # a 2 % gap stops CBC before it closes the gap: the bound then differs from the objective
    outcome = solve(_knapsack(sense), SolverOptions(solver="cbc", gap=0.02))
    assert outcome.status == "optimal" and outcome.bound is not None
    assert outcome.bound != outcome.objective and 0 < outcome.gap <= 0.02
    if sense == pulp.LpMaximize:
        assert outcome.objective <= exact <= outcome.bound
    else:
        assert outcome.bound <= exact <= outcome.objective


def test_cbc_printed_bound_is_given_the_models_sign_or_dropped():
    # CBC prints its own sign convention; only a bound on the valid side of the objective is kept
    assert _signed_bound(110.0, 100.0, maximize=True) == 110.0
    assert _signed_bound(-110.0, 100.0, maximize=True) == 110.0
    assert _signed_bound(90.0, 100.0, maximize=False) == 90.0
    assert _signed_bound(90.0, 100.0, maximize=True) is None  # would claim more than proven
    assert _signed_bound(None, 100.0, maximize=False) is None


@pytest.mark.parametrize("name", solver_names())
def test_nothing_to_decide_is_optimal_at_the_constant(name):
    prob = pulp.LpProblem("constant", pulp.LpMaximize)
    prob += pulp.LpAffineExpression(constant=7.5)
    outcome = solve(prob, SolverOptions(solver=name))
    assert (outcome.status, outcome.objective, outcome.bound, outcome.gap) == ("optimal", 7.5, 7.5, 0.0)
    assert outcome.solver == name

    impossible = pulp.LpProblem("impossible", pulp.LpMinimize)
    impossible += pulp.LpAffineExpression(constant=1.0)
    impossible += pulp.LpConstraint(pulp.LpAffineExpression(constant=1.0), pulp.LpConstraintLE, rhs=0.0)
    assert solve(impossible, SolverOptions(solver=name)).status == "infeasible"


@pytest.mark.parametrize("name", solver_names())
def test_every_variable_fixed_is_optimal_at_its_value(name):
    prob = pulp.LpProblem("fixed", pulp.LpMinimize)
    x = prob.add_variable("x", 2, 2, cat=pulp.LpInteger)
    y = prob.add_variable("y", 0.5, 0.5)
    prob += 3 * x + 4 * y + 1
    prob += x + y <= 10, "slack"
    outcome = solve(prob, SolverOptions(solver=name, gap=0.0))
    assert outcome.status == "optimal" and outcome.objective == pytest.approx(9.0)


def test_outcome_round_trips_through_a_dict_with_or_without_timings():
    outcome = SolveOutcome("feasible", objective=10.0, bound=12.0, gap=0.2, seconds=3.0,
                           solver="cbc", message="stopped", extra={"build_seconds": 1.0, "rounds": 4})
    full = outcome.to_dict()
    assert full == {"status": "feasible", "objective": 10.0, "bound": 12.0, "gap": 0.2,
                    "solver": "cbc", "message": "stopped", "seconds": 3.0, "build_seconds": 1.0}
    back = SolveOutcome.from_dict(full)
    assert back == outcome and back.extra == {"build_seconds": 1.0}
    bare = SolveOutcome.from_dict(outcome.to_dict(timings=False))
    assert bare.seconds is None and bare.extra == {} and bare.describe().endswith("gap 20.000 %")


# ---------------------------------------------------------------------------------------------
# Quiet solves
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", solver_names())
def test_a_solve_prints_nothing(name, capfd):
    solve(_two_variables(), SolverOptions(solver=name))
    solve(_knapsack(pulp.LpMinimize, n=40), SolverOptions(solver=name, gap=0.0))
    assert capfd.readouterr() == ("", "")


def test_first_solve_in_a_fresh_process_prints_nothing():
    # HiGHS prints its banner on the first construction in a process (PITFALLS 3)
    code = (
        "import pulp\n"
        "from wzmodel.solver import solve\n"
        "prob = pulp.LpProblem('p', pulp.LpMaximize)\n"
        "x = prob.add_variable('x', 0, 1, cat=pulp.LpInteger)\n"
        "prob += x\n"
        "assert solve(prob).status == 'optimal'\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env=env, check=False, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""


# ---------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------
def test_cli_exits_4_when_the_solver_finds_no_solution(tmp_path, monkeypatch, capsys):
    # a search that finds nothing, and a start that misses the hard targets: no plan at all
    scenario = tmp_path / "no_start.toml"
    scenario.write_text(f'extends = "{TINY_BASELINE.as_posix()}"\nname = "no_start"\n\n'
                        "[solver]\nwarm_start = false\n", encoding="utf-8")
    stopped = SolveOutcome("no_solution", seconds=0.01, message="Time limit reached")
    monkeypatch.setattr(wzmodel.planner, "search", lambda model, strategy, options, start, warm: stopped)
    monkeypatch.setattr(wzmodel.planner, "_evaluate_start",
                        lambda model, start, name, outcome: (model, outcome))
    assert cli.main(["plan", str(scenario), "--out", str(tmp_path / "out")]) == cli.EXIT_SOLVER == 4
    assert "solver: no_solution (highs)" in capsys.readouterr().out
    assert not (tmp_path / "out" / "plan.json").exists()


def test_highs_takes_a_thread_count_after_a_solve_with_its_default():
    """HiGHS sizes one thread pool per process at its first solve; asking for another size
    later used to fail with status error ("Not Set")."""
    for threads in (None, 1, None, 2):
        outcome = solve(_two_variables(), SolverOptions(threads=threads, gap=0.0))
        assert outcome.status == "optimal", (threads, outcome.message)
