"""How a built planning model is searched: full branch and bound, or price and branch.

``auto`` (the default) takes price and branch (:mod:`wzmodel.solver.price_and_branch`) for models with
more than 10,000 upgrade binaries when HiGHS is the solver — city-sized and large-district
plans, whose LP optimum uses few of their columns — and branch and bound on the whole model
otherwise. Plans and diagnoses share this choice.
"""

from __future__ import annotations

import pandas as pd

from wzmodel.planner.heuristic import rule_of_thumb
from wzmodel.planner.model import PlanModel
from wzmodel.solver import SolveOutcome, SolverOptions, solve
from wzmodel.solver.price_and_branch import WarmStart, solve_price_and_branch

__all__ = ["PRICE_AND_BRANCH_ABOVE", "choose", "initial_columns", "search"]

PRICE_AND_BRANCH_ABOVE = 10_000


def choose(model: PlanModel, requested: str, options: SolverOptions) -> str:
    """``"full"`` or ``"price_and_branch"`` for a requested strategy (``auto`` decides by size)."""
    if requested != "auto":
        return requested
    n_binaries = sum(len(x) for x in model.x.values())
    large = n_binaries > PRICE_AND_BRANCH_ABOVE and options.solver == "highs"
    return "price_and_branch" if large else "full"


def search(model: PlanModel, strategy: str, options: SolverOptions,
           start: pd.DataFrame | None = None, warm: WarmStart | None = None) -> SolveOutcome:
    """Solve ``model`` in place with a chosen strategy. ``start`` (price and branch only): the
    rule of thumb's schedule chasing the hard targets, if the caller has it already; ``warm``
    (price and branch only): a previous solve's state to start from instead."""
    if strategy == "price_and_branch":  # the initial columns also serve a warm start that fails
        return solve_price_and_branch(model.prob, options, initial_columns(model, start),
                                      warm=warm)
    return solve(model.prob, options)


def initial_columns(model: PlanModel, start: pd.DataFrame | None = None) -> list:
    """Where price and branch starts: every column but the featured upgrades (basic upgrades
    cost one "once" row per community; block and district binaries are few), plus the featured
    columns of the communities the rule of thumb would make featured first — enough to meet
    featured targets, so the first LP is usually feasible. Other featured columns come in only
    when their reduced cost says so."""
    problem = model.problem
    if start is None:
        start, _ = rule_of_thumb(problem, targets_first=True)
    index = {cid: i for i, cid in enumerate(problem.communities["community_id"])}
    chosen = {index[c] for c in start.loc[start["class"] == "featured", "community_id"]}
    left_out = {id(v) for (i, _t), v in model.x["featured"].items() if i not in chosen}
    return [v for v in model.prob.variables() if id(v) not in left_out]
