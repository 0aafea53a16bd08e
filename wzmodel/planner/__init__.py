"""Upgrade planning: which communities reach which class in which year, paid by whom.

``make_plan(scenario)`` runs the thin sequence prepare → rule of thumb (the comparison) →
build (with an optional user hook) → solve → evaluate → compare at equal money
(:mod:`wzmodel.planner.fair`: a second plan with the rule's money, the rule with the plan's);
the scenario's time limit covers the whole call and the writing of its files (the model's
build aside). The solve is branch and
bound from a rolling-horizon start (``solver.strategy = "full"``, the default below 10,000
upgrade binaries) or, for larger models, price and branch
(:mod:`wzmodel.solver.price_and_branch`): the LP relaxation solved by pricing columns in gives
the bound, branch and bound on its fractional support gives the plan. See
:mod:`wzmodel.planner.model` for the formulation and ``docs/planner.md`` for how to read the
outcome.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from wzmodel.data import Dataset
from wzmodel.planner import fair
from wzmodel.planner.diagnose import Diagnosis, closing_money, diagnose
from wzmodel.planner.heuristic import rule_of_thumb
from wzmodel.planner.model import (
    PlanModel,
    build,
    funding_from,
    rebudget,
    schedule_from,
    set_start,
)
from wzmodel.planner.plan import TABLES, Plan
from wzmodel.planner.problem import PlanningProblem, prepare
from wzmodel.planner.staged import fix_schedule, staged_schedule
from wzmodel.planner.strategy import choose, search
from wzmodel.scenario import Scenario
from wzmodel.solver import SolveOutcome, SolverOptions, relative_gap, solve
from wzmodel.vocabulary import MONEY_UNIT

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


log = logging.getLogger(__name__)

_LEAST_FOR_DIAGNOSIS = 5.0  # seconds: less cannot re-solve even a district's model twice
_FALLBACK_SECONDS = 3.0  # kept to evaluate the start when the search finds nothing (the city: ≈ 2 s)
_LEAST_FOR_EQUAL_MONEY = 5.0  # seconds: less cannot build and search even a district's model
_WRITING_SECONDS_PER_COMMUNITY = 1e-3
_LAST_SECOND = 1.0  # what a step is still given once the deadline has (nearly) come


def rule_of_thumb_plan(problem: PlanningProblem, *, rank_by: str = "cost_per_household") -> Plan:
    """The rule-of-thumb plan as a Plan."""
    return _rule_plan(problem, *rule_of_thumb(problem, rank_by=rank_by))


def _rule_plan(problem: PlanningProblem, schedule: pd.DataFrame, funding: pd.DataFrame,
               name: str = "rule of thumb") -> Plan:
    return Plan.from_schedule(problem, schedule, funding, name=f"{problem.scenario.name} ({name})")


def make_plan(
    scenario: Scenario,
    *,
    dataset: Dataset | None = None,
    problem: PlanningProblem | None = None,
    hook: Callable[[PlanModel], None] | None = None,
    previous: Plan | None = None,
    equal_money: bool | None = None,
) -> Plan:
    """Plan a scenario: the optimised plan, compared with the rule of thumb.

    Anytime: the scenario's time limit covers the whole call except building the model, with
    time left to write the plan's files (≈ 1 ms a community), and the best plan known when it
    runs out is returned — at worst the start (the rule of thumb chasing the hard targets for
    price and branch, else the rolling-horizon plan), reported ``feasible`` (with the bound
    when the search proved one). ``no_solution`` means that neither the search nor the start met
    the hard targets in time. When the hard targets cannot be met the returned plan has no
    schedule, its outcome status is ``infeasible`` and ``plan.diagnosis`` says what extra money
    (or shortfall) it would take (``plan.diagnosis_detail`` holds the same in figures).

    ``previous``: a plan of a similar scenario (other budgets, costs, shares or target levels on
    the same communities) to re-plan from — a *warm* re-plan: price and branch starts from its
    columns, LP basis and plan (:class:`wzmodel.solver.price_and_branch.WarmStart`), branch and
    bound from its schedule; when only budgets differ, the previous plan's model is re-used
    with the new budgets instead of being built again. Same answer quality (the gap is proven
    the same way), less time; the result depends only on ``scenario`` and ``previous``.

    ``equal_money``: also compare with the rule of thumb at equal money
    (:mod:`wzmodel.planner.fair`): the plan re-made with the rule's money
    (``plan.at_rule_money``, a second optimisation within what is left of the time limit) and
    the rule given the plan's money (``plan.rule_at_plan_money``). None: as the scenario's ``[compare]
    equal_money`` says; callers that make many plans and show none of it (sweeps, comparisons
    of sharing options, marginal values, the explorer, re-plans) pass False.

    A plan that misses a soft target also says what meeting every target would take — the least
    extra money by source and year (``plan.diagnosis``, ``closing_money.csv``) — when the
    scenario's ``[compare] closing_money`` is on and ``equal_money`` is not False.
    """
    clock = time.perf_counter()
    problem = problem or prepare(scenario, dataset)
    log.info("rule of thumb (the comparison): %s communities", f"{problem.n:,}")
    refused: Counter = Counter()
    rule_clock = time.perf_counter()
    rule_schedule, rule_funding = rule_of_thumb(problem, refused=refused)
    # what follows the deadline: the rule of thumb once more (with the plan's money) and the
    # files the caller writes (≈ 1 ms a community: 6.5 s for the city, with its briefing page)
    after = time.perf_counter() - rule_clock + _WRITING_SECONDS_PER_COMMUNITY * problem.n
    baseline = _rule_plan(problem, rule_schedule, rule_funding)
    plan, deadline = _optimise(problem, hook=hook, previous=previous, clock=clock, after=after)
    if not plan.outcome.has_solution:
        return plan
    plan.compare_with_rule(baseline)
    missed = plan.targets.loc[~plan.targets["met"] & ~plan.targets["hard"], "target"].tolist()
    if missed and scenario.compare.closing_money and equal_money is not False:
        log.info("soft targets missed: the least extra money that would meet every target")
        # within what is left of the time limit: the limit covers the whole command
        left = None if deadline is None else deadline - time.perf_counter()
        plan.diagnosis, closing = closing_money(problem, missed, time_limit=left)
        if closing is not None:
            plan.extra_tables["closing_money"] = closing
    compare = scenario.compare.equal_money if equal_money is None else equal_money
    if compare and deadline is not None and time.perf_counter() >= deadline:
        log.info("comparison at equal money: no time left of the limit")
    elif compare:
        rule_money = fair.spending(problem, rule_funding)  # unrounded: the rule fits it exactly
        now = time.perf_counter()  # a share of the plan's own time, within the time limit
        limit = None if deadline is None else min(deadline - now, max(
            _LEAST_FOR_EQUAL_MONEY, scenario.compare.time_share * (now - clock)))
        at_rule = _at_rule_money(plan, baseline, rule_money, hook, limit)
        log.info("comparison at equal money: the rule of thumb with the plan's money")
        plan_money = fair.at_money(problem, fair.spending(problem, plan.funding))
        rule_at_plan = _rule_plan(plan_money, *rule_of_thumb(plan_money),
                                  name="rule of thumb at the plan's money")
        plan.compare_at_equal_money(baseline, at_rule, rule_at_plan,
                                    fair.rule_money(problem, rule_funding, refused),
                                    fair.overspent(problem, rule_at_plan.funding,
                                                   plan_money.budget))
    return plan


def _at_rule_money(plan: Plan, rule: Plan, money: np.ndarray,
                   hook: Callable[[PlanModel], None] | None, limit: float | None) -> Plan | None:
    """The plan re-made with each source's budget of each year set to ``money`` (what the
    rule of thumb spends), and every target the rule misses asked at the rule's level
    (:func:`fair.no_worse_than`), within ``limit`` seconds (None: the scenario's node limit
    alone); the rule's own plan, which fits that money, where the search finds nothing better
    (with the search's bound); None when ``limit`` is too short to try."""
    problem = plan.problem
    if limit is not None and limit < _LEAST_FOR_EQUAL_MONEY:
        log.info("comparison at equal money: no time left to plan with the rule's money")
        return None
    log.info("comparison at equal money: the plan re-made with the rule of thumb's money")
    judged = fair.at_money(problem, money)  # the scenario's own targets, to report against
    solved = fair.no_worse_than(judged, rule.targets)
    if limit is not None:
        limited = solved.scenario.solver.model_copy(update={"time_limit": limit})
        solved = replace(solved, scenario=solved.scenario.model_copy(update={"solver": limited}))
    # cold: the rule spends a third less than the plan on the city, and from the plan's columns
    # and basis the LP took 35 s where a cold one took 21 s (the same machine, loaded)
    found, _ = _optimise(solved, hook=hook, previous=None, clock=time.perf_counter(),
                         start=(rule.schedule, "rule of thumb"), fall_back=False,
                         judged_by=judged)
    found.model = None  # ≈ 200 MB for the city, and no later re-plan starts from it
    name = f"{problem.scenario.name} (at the rule of thumb's money)"
    own = _objective(rule)
    if found.outcome.has_solution and _better(found.outcome.objective, own, solved, 1e-6):
        found.name = name
        return found
    # within its gap the search may stop below the rule's own plan, which fits this money
    log.info("comparison at equal money: the search found nothing better than the rule's plan")
    bound = found.outcome.bound
    outcome = replace(found.outcome, status="feasible", objective=own,
                      gap=None if bound is None else relative_gap(own, bound),
                      message="the search found nothing better than the rule of thumb's own "
                              "plan, which fits its money")
    return Plan.from_schedule(judged, rule.schedule, rule.funding, outcome, name=name)


def _objective(plan: Plan) -> float:
    """The model's objective of a plan that meets every target (no shortfall to price):
    coverage-years, or public money in the model's unit."""
    if plan.problem.scenario.objective.kind == "coverage_years":
        return plan.kpi("coverage_years")
    return plan.kpi("money_public") / MONEY_UNIT


def _better(value: float, than: float, problem: PlanningProblem, tolerance: float) -> bool:
    """Whether objective ``value`` is at least as good as ``than`` (relative ``tolerance``)."""
    slack = tolerance * max(1.0, abs(than))
    if problem.scenario.objective.kind == "coverage_years":
        return value >= than - slack
    return value <= than + slack


def _optimise(problem: PlanningProblem, *, hook: Callable[[PlanModel], None] | None,
              previous: Plan | None, clock: float,
              start: tuple[pd.DataFrame, str] | None = None, fall_back: bool = True,
              judged_by: PlanningProblem | None = None,
              after: float = 0.0) -> tuple[Plan, float | None]:
    """Build (or re-use) and search the model of ``problem``: the plan (no comparison yet) and
    the deadline of the time limit counted from ``clock`` (None: no clock). ``start``: a
    schedule known to fit and its name, to start from (and fall back on) instead of the
    rolling-horizon start or ``previous``'s schedule; ``fall_back``: keep time to evaluate the
    start when the search finds nothing, and diagnose what the hard targets would take when
    they cannot be met (without: the caller has the start's plan already, and the search all
    the time, its build included); ``judged_by``: the problem the plan is evaluated against,
    if not ``problem``; ``after``: seconds the caller needs once the deadline has come."""
    scenario = problem.scenario
    options = scenario.solver.options()
    model = _reused_model(previous, problem, hook)
    if model is None:
        log.info("building the model")
        model = build(problem, hook=hook)
    else:
        log.info("re-using the previous plan's model with the new budgets")
    if log.isEnabledFor(logging.INFO):  # counting is not free on the city's model
        log.info("model built in %.1f s: %s variables, %s rows", model.build_seconds,
                 f"{len(model.prob.variables()):,}", f"{len(model.prob.constraints()):,}")
    # with a node limit, runs are meant to be machine-independent: the clock must not cut them
    timed = options.time_limit is not None and options.node_limit is None
    # the build does not count against the scenario's limit, but a comparison's share does
    building = model.build_seconds if fall_back else 0.0
    deadline = clock + building + options.time_limit - after if timed else None

    def remaining(reserve: float = 0.0) -> float | None:
        """Seconds left before the deadline less ``reserve``, at least the last second (None:
        no clock)."""
        return (None if deadline is None
                else max(_LAST_SECOND, deadline - time.perf_counter() - reserve))

    strategy = choose(model, scenario.solver.strategy, options)

    def rule_start() -> tuple[pd.DataFrame, str]:
        return rule_of_thumb(problem, targets_first=True)[0], "rule-of-thumb start"

    def staged_start() -> tuple[pd.DataFrame, str] | None:
        """The rolling-horizon start (least money for each hard target's year, then the rule
        of thumb); None when it is switched off or a stage finds nothing."""
        if not scenario.solver.warm_start:
            return None
        log.info("start: the rolling-horizon plan (least money for each target year)")
        staged = staged_schedule(problem, replace(options, time_limit=remaining()))
        if staged is None:
            return None
        schedule, spent, paid_until = staged
        return (rule_of_thumb(problem, fixed=schedule, spent=spent, paid_until=paid_until)[0],
                "rolling-horizon start")

    def start_plan() -> tuple[pd.DataFrame, str]:
        return staged_start() or rule_start()

    start, start_name = start if start is not None else (None, None)
    warm = previous.warm if previous is not None else None
    if strategy == "full" and start is None and previous is not None and not previous.schedule.empty:
        set_start(model, previous.schedule)  # the solver repairs or drops it if it no longer fits
    elif strategy == "full":  # branch and bound starts from it
        if start is None:
            start, start_name = start_plan()
        if scenario.solver.warm_start:
            set_start(model, start)
    elif start is None:
        # price and branch starts its columns from the rule of thumb chasing the hard targets,
        # and falls back on it (seconds on the city) when its own search ends without a plan:
        # on the issue-12 city it was worth -908 to the rolling-horizon start's -3,343
        start, start_name = rule_start()
    # keep time to fall back on the start: fixing it and solving its funding (an LP; ≈ 2 s on
    # the city)
    reserve = max(_FALLBACK_SECONDS, 0.05 * options.time_limit) if timed and fall_back else 0.0
    if strategy == "price_and_branch" and remaining(reserve) == _LAST_SECOND:
        # no more than the last second is left, and the first LP alone takes longer
        # (the city: ≈ 12 s): go straight to the start rather than begin a round that cannot end
        log.info("searching: no time left of the limit for price and branch")
        outcome = SolveOutcome("no_solution", solver=options.solver,
                               message="no time was left of the limit to search")
    else:
        log.info("searching: %s", "price and branch (LP relaxation by pricing columns in, then "
                 "branch and bound on its fractional support)" if strategy == "price_and_branch"
                 else "branch and bound on the whole model")
        outcome = search(model, strategy, replace(options, time_limit=remaining(reserve)), start,
                         warm)
    searched = outcome.has_solution  # else the fallback below fixes the model's upgrades
    if fall_back and not outcome.has_solution and outcome.status != "infeasible":
        log.info("fallback: the search found no plan (%s); evaluating the %s", outcome.status,
                 start_name or "start")
        if start is None:
            start, start_name = start_plan()
        stopped = outcome
        model, outcome = _evaluate_start(model, start, start_name, stopped)
        if not outcome.has_solution and strategy == "price_and_branch":
            # the rule of thumb missed a hard target: the rolling-horizon start may meet it
            staged = staged_start()
            if staged is not None:
                model, outcome = _evaluate_start(model, *staged, stopped)
    if not outcome.has_solution:
        plan = Plan.from_schedule(
            judged_by or problem, pd.DataFrame(columns=["community_id", "class", "year"]),
            pd.DataFrame(columns=list(TABLES["funding"])), outcome,
            build_seconds=model.build_seconds)
        if fall_back and outcome.status in ("infeasible", "no_solution"):
            proven = outcome.status == "infeasible"
            left = remaining()
            if left is not None and left < _LEAST_FOR_DIAGNOSIS:
                plan.diagnosis = ("No time was left to diagnose what the hard targets would take; "
                                  "run again with a longer time limit.")
            else:
                log.info("the hard targets cannot be met: diagnosing what more money would meet "
                         "them")
                plan.diagnosis_detail = diagnose(problem, time_limit=left, proven=proven)
                plan.diagnosis = plan.diagnosis_detail.text
        return plan, deadline
    log.info("search done: %s; evaluating the plan", outcome.status)
    plan = Plan.from_schedule(judged_by or problem, schedule_from(model), funding_from(model),
                              outcome, build_seconds=model.build_seconds)
    if searched and hook is None:  # a user's rows stay out of later re-plans
        plan.model = model
    return plan, deadline


def _reused_model(previous: Plan | None, problem: PlanningProblem,
                  hook: Callable[[PlanModel], None] | None) -> PlanModel | None:
    """The previous plan's model with ``problem``'s budgets, when budgets are all that differ
    (:meth:`PlanningProblem.differs_in_budgets_only`) — a re-plan after a budget change skips
    the build (≈ 3.5 s of the city's warm re-plan); None otherwise."""
    model = getattr(previous, "model", None)  # a sweep's reference carries none
    if (hook is not None or model is None or previous.problem is None
            or not previous.problem.differs_in_budgets_only(problem)):
        return None
    clock = time.perf_counter()
    rebudget(model, problem)
    model.build_seconds = time.perf_counter() - clock
    return model


def _evaluate_start(model: PlanModel, start, start_name: str, stopped: SolveOutcome):
    """The start with its funding — ``model`` with every upgrade fixed to ``start``, an LP —
    reported ``feasible``: the search ended before it found anything better. Its bound is the
    search's when that one proved a bound. If the start misses a hard target (the LP is
    infeasible), the search's outcome stands."""
    fix_schedule(start, model.problem.years[-1] + 1)(model)
    lp = solve(model.prob, SolverOptions(solver=stopped.solver))
    if not lp.has_solution:
        return model, stopped
    bound = stopped.bound
    note = (f"{stopped.message}: the search found nothing better than the {start_name} within "
            f"the limit; " + ("no bound is known" if bound is None else "the bound is the search's"))
    return model, SolveOutcome(
        "feasible",
        objective=lp.objective,
        bound=bound,
        gap=relative_gap(lp.objective, bound) if bound is not None else None,
        seconds=(stopped.seconds or 0.0) + (lp.seconds or 0.0),
        solver=stopped.solver,
        message=note,
    )
