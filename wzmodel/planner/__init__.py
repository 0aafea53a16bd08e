"""Upgrade planning: which communities reach which class in which year, paid by whom.

``make_plan(scenario)`` runs the thin sequence prepare → rule of thumb (the comparison) →
build (with an optional user hook) → solve → evaluate; the scenario's time limit covers the
whole call (evaluation aside). The solve is branch and bound from a rolling-horizon start
(``solver.strategy = "full"``, the default below 10,000 upgrade binaries) or, for larger
models, price and branch (:mod:`wzmodel.solver.price_and_branch`): the LP relaxation solved by pricing
columns in gives the bound, branch and bound on its fractional support gives the plan. See
:mod:`wzmodel.planner.model` for the formulation and ``docs/planner.md`` for how to read the
outcome.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from wzmodel.data import Dataset
from wzmodel.planner.diagnose import Diagnosis, diagnose
from wzmodel.planner.heuristic import rule_of_thumb
from wzmodel.planner.model import PlanModel, build, funding_from, schedule_from, set_start
from wzmodel.planner.plan import Plan
from wzmodel.planner.problem import PlanningProblem, prepare
from wzmodel.planner.staged import fix_schedule, staged_schedule
from wzmodel.planner.strategy import choose, search
from wzmodel.scenario import Scenario
from wzmodel.solver import SolveOutcome, SolverOptions, solve

__all__ = [
    "Diagnosis",
    "Plan",
    "PlanModel",
    "PlanningProblem",
    "build",
    "diagnose",
    "make_plan",
    "prepare",
    "rule_of_thumb",
    "rule_of_thumb_plan",
]


def rule_of_thumb_plan(problem: PlanningProblem, *, rank_by: str = "cost_per_household") -> Plan:
    """The rule-of-thumb plan as a Plan."""
    schedule, funding = rule_of_thumb(problem, rank_by=rank_by)
    return Plan.from_schedule(problem, schedule, funding, name=f"{problem.scenario.name} (rule of thumb)")


def make_plan(
    scenario: Scenario,
    *,
    dataset: Dataset | None = None,
    problem: PlanningProblem | None = None,
    hook: Callable[[PlanModel], None] | None = None,
) -> Plan:
    """Plan a scenario: the optimised plan, compared with the rule of thumb.

    When the hard targets cannot be met the returned plan has no schedule, its outcome status is
    ``infeasible`` and ``plan.diagnosis`` says what extra money (or shortfall) it would take
    (``plan.diagnosis_detail`` holds the same in figures).
    """
    clock = time.perf_counter()
    problem = problem or prepare(scenario, dataset)
    baseline = rule_of_thumb_plan(problem)
    options = scenario.solver.options()
    model = build(problem, hook=hook)
    strategy = choose(model, scenario.solver.strategy, options)
    start, staged = None, None
    if scenario.solver.warm_start and strategy == "full":
        staged = staged_schedule(problem, options)
        if staged is None:
            start, _ = rule_of_thumb(problem, targets_first=True)
        else:
            schedule, spent, paid_until = staged
            start, _ = rule_of_thumb(problem, fixed=schedule, spent=spent, paid_until=paid_until)
        set_start(model, start)
    if options.time_limit is not None and options.node_limit is None:
        # the start used part of the time (with a node limit, runs are meant to be
        # machine-independent, so the wall clock must not shorten the search)
        spent = time.perf_counter() - clock
        options = replace(options, time_limit=max(1.0, options.time_limit - spent))
    outcome = search(model, strategy, options)
    if not outcome.has_solution and outcome.status != "infeasible" and staged is not None:
        # The limit came before the search accepted the start: the start is the plan.
        model, outcome = _evaluate_start(problem, start, hook, outcome)
    if not outcome.has_solution:
        empty = baseline.schedule.iloc[0:0]
        plan = Plan.from_schedule(
            problem, empty, baseline.funding.iloc[0:0], outcome, build_seconds=model.build_seconds
        )
        if outcome.status == "infeasible":
            plan.diagnosis_detail = diagnose(problem)
            plan.diagnosis = plan.diagnosis_detail.text
        return plan
    return Plan.from_schedule(
        problem,
        schedule_from(model),
        funding_from(model),
        outcome,
        compare_with=baseline,
        build_seconds=model.build_seconds,
    )


def _fixed(problem: PlanningProblem, schedule, hook, options: SolverOptions):
    """The model with every upgrade fixed to ``schedule``, its funding solved (an LP)."""
    fixer = fix_schedule(schedule, problem.years[-1] + 1)

    def both(model: PlanModel) -> None:
        fixer(model)
        if hook is not None:
            hook(model)

    model = build(problem, hook=both)
    return model, solve(model.prob, SolverOptions(solver=options.solver, threads=options.threads))


def _evaluate_start(problem: PlanningProblem, start, hook, stopped: SolveOutcome):
    """The starting plan with its funding (an LP once the upgrades are fixed), reported as
    ``feasible`` without a bound — the search ended before it proved anything better."""
    model, lp = _fixed(problem, start, hook, SolverOptions(solver=stopped.solver))
    if not lp.has_solution:
        return model, stopped
    note = (
        f"{stopped.message}: the search found nothing better than the rolling-horizon start "
        "within the limit; no bound is known"
    )
    return model, SolveOutcome(
        "feasible",
        objective=lp.objective,
        bound=None,
        gap=None,
        seconds=stopped.seconds + lp.seconds,
        solver=stopped.solver,
        message=note,
    )
