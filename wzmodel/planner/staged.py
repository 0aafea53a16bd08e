"""A rolling-horizon start for branch and bound: meet each hard target year's targets in turn.

Branch and bound on the full ten-year model (``solver.strategy = "full"``) needs a good
feasible plan early to report a useful gap within its time limit. This module solves a
sequence of short-horizon models — up to the first hard-target year, then the next, ... —
each meeting the hard targets that fall within it at least public money while keeping the
earlier years' upgrades fixed (least-money models find feasible plans far faster than
coverage-maximising ones). The rule of thumb then spends what money is left, after reserving
the later running costs of the staged upgrades. The result is a feasible plan whenever the
targets are reachable one stage at a time; the full model improves on it and proves the gap.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from wzmodel.planner.model import PlanModel, build, funding_from, schedule_from
from wzmodel.planner.problem import PlanningProblem, prepare
from wzmodel.solver import SolverOptions, solve
from wzmodel.vocabulary import CLASSES

__all__ = ["staged_schedule"]

log = logging.getLogger(__name__)


def stage_ends(problem: PlanningProblem) -> list[int]:
    """The years of the hard targets: the start must meet them; the rest is the search's job."""
    years = {t.year for t in problem.scenario.targets.values() if t.hard}
    return sorted(y for y in years if problem.years[0] <= y <= problem.years[-1])


def staged_schedule(
    problem: PlanningProblem, options: SolverOptions
) -> tuple[pd.DataFrame, np.ndarray, int] | None:
    """The rolling-horizon schedule, the money it uses (sources × years, yuan) up to the last
    stage's year, and that year; None when a stage finds no plan. Each stage may use
    ``options.time_limit`` (least-money stages usually take seconds); stages stop at a 1 % gap.
    """
    ends = stage_ends(problem)
    if not ends:
        return None
    schedule = pd.DataFrame(columns=["community_id", "class", "year"])
    for n, end in enumerate(ends):
        log.info("rolling-horizon start: stage %d of %d (years to %d)", n + 1, len(ends), end)
        raw = problem.scenario.model_dump(mode="json", exclude={"source_file"})
        raw["last_year"] = end
        raw["funding"]["source_scale"] = problem.scenario.funding.source_scale_until(end)
        raw["funding"]["district_budget_scale"] = problem.scenario.funding.district_budget_scale_until(end)
        raw["funding"]["budget_scale"] = problem.scenario.funding.budget_scale_until(end)
        raw["funding"]["cost_scale"] = problem.scenario.funding.cost_scale_until(end)
        raw["targets"] = {k: v for k, v in raw["targets"].items() if v["hard"] and v["year"] <= end}
        raw["objective"]["kind"] = "min_public_money"  # finds feasible plans fast
        stage = prepare(problem.scenario.model_validate(raw), problem.dataset)
        first_free = ends[n - 1] + 1 if n else problem.years[0]
        model = build(stage, hook=fix_schedule(schedule, first_free))
        outcome = solve(
            model.prob,
            SolverOptions(
                solver=options.solver,
                time_limit=options.time_limit,
                gap=max(options.gap, 0.01),
                threads=options.threads,
                node_limit=options.node_limit,
                seed=options.seed,
            ),
        )
        if not outcome.has_solution:
            return None
        schedule = schedule_from(model)
    return schedule, spent_by_source(problem, funding_from(model)), ends[-1]


def spent_by_source(problem: PlanningProblem, funding: pd.DataFrame) -> np.ndarray:
    """A funding table as money per source (rows, in ``problem.sources`` order) and year."""
    table = funding.pivot_table(index="source_id", columns="year", values="yuan", aggfunc="sum")
    return table.reindex(index=problem.sources["source_id"], columns=problem.years).fillna(0.0).to_numpy()


def fix_schedule(schedule: pd.DataFrame, first_free_year: int):
    """A build hook fixing every upgrade decision before ``first_free_year`` to ``schedule``."""
    chosen = set(zip(schedule["community_id"], schedule["class"], schedule["year"], strict=True))

    def fix(model: PlanModel) -> None:
        ids = model.problem.communities["community_id"].to_numpy()
        for k in CLASSES:
            for (i, t), v in model.x[k].items():
                if t < first_free_year:
                    value = 1 if (ids[i], k, t) in chosen else 0
                    v.lowBound = v.upBound = value

    return fix
