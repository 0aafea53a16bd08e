"""Paying a fixed schedule anew: who pays what when the costs or the budgets have changed.

A plan commits to its schedule — which communities reach which class in which year. Who pays
each year's costs is decided year by year within the sharing option's rules; the split the
planner returns is one of many equally good ones (its objective is indifferent to who pays, so
it may leave one source at its budget to the yuan and another with room). A re-check that kept
that split would call the plan broken whenever a cost paid by the exhausted source grows, even
by a yuan, with money to spare elsewhere — a verdict on the solver's arbitrary choice, not on the
plan. :func:`fund_schedule` instead asks the question a finance officer asks: can the schedule's
spending (recomputed on the problem's data and costs) be paid within the funding rules and the
budgets — and if not, what is the least extra money, by source and year, that pays it?

The LP: the model's own funding (:func:`~wzmodel.planner.model.define_funding`) and elastic
budget rows (:func:`~wzmodel.planner.model.define_budgets`, carry-over as the scenario says) with
each spending fixed to what the schedule needs. It minimises the extra money first (each yuan in
the year it is first needed); among the
fundings with that least extra money, the one closest (total absolute difference, yuan by
source, group, category and year) to a given split with its shares kept — the plan's own — so
a split that still fits is kept as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pulp

from wzmodel.planner import evaluate as ev
from wzmodel.planner.model import PlanModel, define_budgets, define_funding, funding_from
from wzmodel.planner.plan import reconcile_funding
from wzmodel.planner.problem import PlanningProblem
from wzmodel.solver import SolveOutcome, SolverOptions, solve
from wzmodel.vocabulary import MONEY_UNIT

__all__ = ["Refunding", "fund_schedule"]

#: Weight of a unit of extra money against a unit of difference from the kept split. Moving one
#: yuan between two sources differs from the split by two yuan and saves at most one yuan of
#: extra money, so any weight above 2 + the years of the plan (the preference for late extra
#: money, below) puts the least extra money first.
EXTRA_WEIGHT = 1000.0
#: Extra money below this (yuan) is solver round-off, not a shortfall.
EXTRA_TOL_YUAN = 0.5


@dataclass(frozen=True)
class Refunding:
    """A schedule's funding and the extra money it needs beyond the budgets.

    Attributes
    ----------
    funding : year, source_id, district, zone, cost_category, yuan — the schedule's spending
        paid within every funding rule (it exceeds a budget only where ``extra`` says).
    extra : source_id, year, yuan — the least extra money the funding needs beyond each
        source's budget, added in the year it is first needed (carried over as the budgets
        are); empty when the budgets suffice.
    outcome : the LP's outcome.
    """

    funding: pd.DataFrame
    extra: pd.DataFrame
    outcome: SolveOutcome

    @property
    def extra_yuan(self) -> float:
        """The extra money in all, yuan (0 when the budgets suffice)."""
        return float(self.extra["yuan"].sum())


def fund_schedule(problem: PlanningProblem, schedule: pd.DataFrame,
                  keep: pd.DataFrame | None = None, *,
                  options: SolverOptions | None = None) -> Refunding:
    """Pay ``schedule``'s spending on ``problem`` within the funding rules, exceeding the budgets
    by the least money; among such fundings, the closest to ``keep``'s shares.

    Parameters
    ----------
    problem : the data, costs, rules and budgets to pay under (e.g. an experiment's).
    schedule : community_id, class, year (start years), valid for ``problem``.
    keep : a funding table (year, source_id, district, zone, cost_category, yuan) whose shares
        of each cost to keep where they fit — the plan's own; None: no preference.
    options : the LP's solver options (default the scenario's).

    Raises
    ------
    RuntimeError
        The LP found no solution (a solver limit: elastic budgets always leave one).
    """
    needed = ev.spending(problem, ev.completion_years(problem, schedule))
    m = PlanModel(problem, pulp.LpProblem("fund_schedule", pulp.LpMinimize))
    groups = problem.groups
    group_of = {(d, z): g for g, (d, z) in enumerate(zip(groups["district"], groups["zone"],
                                                         strict=True))}
    categories = problem.categories
    for r in needed.itertuples(index=False):
        g, j = group_of[(r.district, r.zone)], categories.index(r.cost_category)
        amount = r.yuan / MONEY_UNIT
        m.spend[(g, j, int(r.year))] = m.prob.add_variable(
            f"spend_{g}_{r.cost_category}_{r.year}", amount, amount)
    define_funding(m)
    define_budgets(m, elastic=True)
    # a yuan of extra money costs a little more the earlier it comes, so that it comes in the
    # year it is needed (with carry-over, any earlier year would do as well)
    last = problem.years[-1]
    terms = [(e, EXTRA_WEIGHT + (last - t)) for (_sid, t), e in m.extra.items()]
    if keep is not None and not keep.empty:
        kept = reconcile_funding(keep, needed)
        target = {(s, group_of[(d, z)], categories.index(k), int(t)): yuan / MONEY_UNIT
                  for t, s, d, z, k, yuan in kept[["year", "source_id", "district", "zone",
                                                   "cost_category", "yuan"]].itertuples(index=False)}
        for key, paid in m.pay.items():
            if not paid:
                continue
            sid, g, j, t = key
            d = m.prob.add_variable(f"apart_{sid}_{g}_{categories[j]}_{t}", 0)
            wanted = target.get(key, 0.0)
            m.prob += (d - paid >= -wanted, f"above_{sid}_{g}_{categories[j]}_{t}")
            m.prob += (d + paid >= wanted, f"below_{sid}_{g}_{categories[j]}_{t}")
            terms.append((d, 1.0))
    m.prob += pulp.LpAffineExpression(terms)
    outcome = solve(m.prob, options or problem.scenario.solver.options())
    if not outcome.has_solution:
        raise RuntimeError(f"funding the fixed schedule: the LP ended {outcome.describe()}")
    rows = [(sid, t, (v.varValue or 0.0) * MONEY_UNIT) for (sid, t), v in sorted(m.extra.items())]
    extra_table = pd.DataFrame([r for r in rows if r[2] > EXTRA_TOL_YUAN],
                               columns=["source_id", "year", "yuan"])
    return Refunding(funding_from(m), extra_table, outcome)
