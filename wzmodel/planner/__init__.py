"""Upgrade planning: which communities reach which class in which year, paid by whom.

``make_plan(scenario)`` runs the thin sequence prepare → rule of thumb (the comparison) →
rolling-horizon start → build (with an optional user hook) → solve → evaluate; the scenario's
time limit covers the start and the solve together. The solve is branch and bound from the
start (``solver.strategy = "full"``, the default below 20,000 upgrade binaries) or, for
city-sized models, LP-guided: the full LP relaxation gives the bound and the plan is built from
the start and the LP's whole upgrades. See :mod:`wzmodel.planner.model` for the formulation and
``docs/planner.md`` for how to read the outcome.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import pandas as pd
import pulp

from wzmodel.data import Dataset
from wzmodel.planner.diagnose import Diagnosis, diagnose
from wzmodel.planner.heuristic import rule_of_thumb
from wzmodel.planner.model import PlanModel, build, funding_from, schedule_from, set_start
from wzmodel.planner.plan import Plan
from wzmodel.planner.problem import PlanningProblem, prepare
from wzmodel.planner.staged import fix_schedule, spent_by_source, staged_schedule
from wzmodel.scenario import Scenario
from wzmodel.solver import SolveOutcome, SolverOptions, relative_gap, solve

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
    ``infeasible`` and ``plan.diagnosis`` says what extra money (or shortfall) it would take.
    """
    clock = time.perf_counter()
    problem = problem or prepare(scenario, dataset)
    baseline = rule_of_thumb_plan(problem)
    options = scenario.solver.options()
    start, staged = None, None
    if scenario.solver.warm_start:
        staged = staged_schedule(problem, options)
        if staged is None:
            start, _ = rule_of_thumb(problem, targets_first=True)
        else:
            schedule, spent, paid_until = staged
            start, _ = rule_of_thumb(problem, fixed=schedule, spent=spent, paid_until=paid_until)
    model = build(problem, hook=hook)
    if start is not None:
        set_start(model, start)
    if options.time_limit is not None and options.node_limit is None:
        # the staged start used part of the time (with a node limit, runs are meant to be
        # machine-independent, so the wall clock must not shorten the search)
        spent = time.perf_counter() - clock
        options = replace(options, time_limit=max(1.0, options.time_limit - spent))
    n_binaries = sum(len(x) for x in model.x.values())
    strategy = scenario.solver.strategy
    if strategy == "lp_guided" or (strategy == "auto" and n_binaries > LP_GUIDED_ABOVE):
        model, outcome = _lp_guided_solve(problem, model, start, staged, hook, options)
    else:
        outcome = solve(model.prob, options)
    if not outcome.has_solution and outcome.status != "infeasible" and staged is not None:
        # The limit came before the search accepted the start: the start is the plan.
        model, outcome = _evaluate_start(problem, start, hook, outcome)
    if not outcome.has_solution:
        empty = baseline.schedule.iloc[0:0]
        plan = Plan.from_schedule(
            problem, empty, baseline.funding.iloc[0:0], outcome, build_seconds=model.build_seconds
        )
        if outcome.status == "infeasible":
            plan.diagnosis = diagnose(problem).text
        return plan
    return Plan.from_schedule(
        problem,
        schedule_from(model),
        funding_from(model),
        outcome,
        compare_with=baseline,
        build_seconds=model.build_seconds,
    )


LP_GUIDED_ABOVE = 20_000


def _lp_guided_solve(problem: PlanningProblem, model: PlanModel, start, staged, hook, options: SolverOptions):
    """Bound from the full LP relaxation; plan from the rolling-horizon start's early years and
    the LP's later years.

    On city-sized instances every community is a small share of a budget, so the LP optimum is
    nearly integral. The plan keeps the start's upgrades up to the last hard-target year (they
    meet the hard targets), adds the basic upgrades the LP takes whole in later years, funds
    them exactly (an LP once upgrades are fixed) and lets the rule of thumb spend what is left;
    the better of that and the plain start is returned. The bound is the full LP's, so the
    reported gap is an honest one for the whole model. Returns (model holding the plan, outcome).
    """
    integer = [v for v in model.prob.variables() if v.cat == pulp.LpInteger]
    for v in integer:
        v.cat = pulp.LpContinuous
    relaxed = solve(model.prob, replace(options, warm_start=False))
    for v in integer:
        v.cat = pulp.LpInteger
    if not relaxed.has_solution:
        return model, relaxed
    candidates = []
    if staged is not None:
        early, _, cut = staged
        whole = schedule_from(model, threshold=0.999)
        late = whole[
            (whole["class"] == "basic")
            & (whole["year"] > cut)
            & ~whole["community_id"].isin(set(early["community_id"]))
        ]
        combined = pd.concat([early, late], ignore_index=True)
        combined_model, combined_outcome = _fixed(problem, combined, hook, options)
        if combined_outcome.has_solution:
            candidates.append((combined_model, combined_outcome))
            spent = spent_by_source(problem, funding_from(combined_model))
            topped, _ = rule_of_thumb(problem, fixed=combined, spent=spent, paid_until=problem.years[-1])
            candidates.append(_fixed(problem, topped, hook, options))
    if start is not None:
        candidates.append(_fixed(problem, start, hook, options))
    candidates = [(m, o) for m, o in candidates if o.has_solution]
    if not candidates:
        return model, SolveOutcome(
            "no_solution",
            solver=relaxed.solver,
            seconds=relaxed.seconds,
            message="no LP-guided plan and no feasible start",
        )
    sign = 1 if model.prob.sense == pulp.LpMaximize else -1
    best_model, best = max(candidates, key=lambda c: sign * c[1].objective)
    gap = relative_gap(best.objective, relaxed.objective)
    status = "optimal" if gap <= options.gap + 1e-12 else "feasible"
    note = (
        f"LP-guided: bound = full LP relaxation ({relaxed.seconds:.1f} s); plan = the start "
        "to the last hard-target year, the LP's whole upgrades after it, topped up by the "
        "rule of thumb"
    )
    seconds = relaxed.seconds + sum(o.seconds for _, o in candidates)
    return best_model, SolveOutcome(
        status,
        objective=best.objective,
        bound=relaxed.objective,
        gap=gap,
        seconds=seconds,
        solver=best.solver,
        message=note,
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


def _evaluate_start(problem: PlanningProblem, start, hook, search: SolveOutcome):
    """The starting plan with its funding (an LP once the upgrades are fixed), reported as
    ``feasible`` without a bound — the search ended before it proved anything better."""
    model, lp = _fixed(problem, start, hook, SolverOptions(solver=search.solver))
    if not lp.has_solution:
        return model, search
    note = (
        f"{search.message}: the search found nothing better than the rolling-horizon start "
        "within the limit; no bound is known"
    )
    return model, SolveOutcome(
        "feasible",
        objective=lp.objective,
        bound=None,
        gap=None,
        seconds=search.seconds + lp.seconds,
        solver=search.solver,
        message=note,
    )
