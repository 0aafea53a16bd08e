"""Why hard targets cannot be met, in words a finance officer understands.

Two elastic re-solves: (1) every budget may be exceeded at a price of one per yuan — the least
extra money, by source and year, that reaches every target; (2) the budgets stay and every target
becomes soft — how far each target falls short of what it asks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import pandas as pd

from wzmodel.planner.evaluate import completion_years, target_table
from wzmodel.planner.model import MONEY_UNIT, build, schedule_from
from wzmodel.planner.problem import PlanningProblem, prepare
from wzmodel.planner.strategy import choose, search
from wzmodel.solver import SolveOutcome

__all__ = ["SHORTFALL_GAP", "Diagnosis", "closing_money", "diagnose", "least_extra_money"]

LEAST_SECONDS = 5.0
"""Less time than this cannot search even a district's least-extra-money model."""

SHORTFALL_GAP = 0.05
"""Relative gap at which the plan showing each target's shortfall within the budgets is taken."""


@dataclass(frozen=True)
class Diagnosis:
    """``extra_budget``: source_id, year, yuan (empty if no money can reach the targets);
    ``shortfall``: the targets table of the best plan within the budgets; ``text``: in words."""

    extra_budget: pd.DataFrame
    shortfall: pd.DataFrame
    text: str


def money(yuan: float) -> str:
    """An amount as a finance officer reads it: million yuan, or yuan below a million."""
    return f"{yuan / 1e6:,.1f} million yuan" if abs(yuan) >= 1e6 else f"{yuan:,.0f} yuan"


def least_extra_money(problem: PlanningProblem, options) -> tuple[pd.DataFrame, SolveOutcome]:
    """The least money beyond the budgets (source_id, year, yuan) that meets every target of
    ``problem``, soft ones included, and the solve's outcome (empty money without a solution)."""
    elastic = build(problem, elastic_budgets=True)
    outcome = search(elastic, choose(elastic, problem.scenario.solver.strategy, options), options)
    rows = [(sid, t, (v.varValue or 0.0) * MONEY_UNIT) for (sid, t), v in elastic.extra.items()
            if outcome.has_solution and (v.varValue or 0.0) * MONEY_UNIT > 0.5]
    return pd.DataFrame(rows, columns=["source_id", "year", "yuan"]), outcome


def _extra_money_lines(extra: pd.DataFrame, outcome: SolveOutcome) -> list[str]:
    if outcome.has_solution:
        # extra money is never negative: a bound below zero proves nothing worth saying
        floor = None if outcome.bound is None or outcome.bound <= 0 else outcome.bound * MONEY_UNIT
        exact = ("" if outcome.status == "optimal" else
                 " (best found; the time limit came before a lower bound on the least amount "
                 "was proven)" if floor is None else
                 f" (best found; the least amount is at least {money(floor)})")
        lines = [f"The smallest extra money that would meet them is "
                 f"{money(extra['yuan'].sum())}{exact}:"]
        for sid, part in extra.groupby("source_id"):
            years = ", ".join(f"{money(r.yuan)} in {r.year}" for r in part.itertuples())
            lines.append(f"  - {sid}: {years}")
        return lines
    if outcome.status == "infeasible":
        return ["No amount of extra money meets them: other constraints (earliest years, "
                "must-not lists, delivery capacity and lead times, targets beyond the "
                "communities that can be upgraded) prevent it."]
    return [f"The least extra money was not found within the time limit ({outcome.status}"
            f"{': ' + outcome.message if outcome.message else ''})."]


def closing_money(problem: PlanningProblem, missed: list[str], *,
                  time_limit: float | None = None) -> tuple[str, pd.DataFrame | None]:
    """For a plan that misses soft targets (``missed``, their names): what meeting every target
    would take — the least extra money by source and year, in words and in figures (None in
    figures when ``time_limit`` is too short to search)."""
    missed_text = (f"Soft target{'s' if len(missed) > 1 else ''} missed within the budgets: "
                   f"{', '.join(missed)}.")
    if time_limit is not None and time_limit < LEAST_SECONDS:
        return (f"{missed_text} No time was left of the limit to find the least extra money "
                "that would meet every target; run with a longer time limit.", None)
    options = problem.scenario.solver.options()
    if time_limit is not None:
        options = replace(options, time_limit=time_limit)
    extra, outcome = least_extra_money(problem, options)
    lines = [f"{missed_text} To meet every target, the soft ones too:",
             *_extra_money_lines(extra, outcome)]
    return "\n".join(lines), extra


def diagnose(problem: PlanningProblem, *, time_limit: float | None = None,
             proven: bool = True) -> Diagnosis:
    """What it would take to meet the hard targets: the least extra money (by source and year)
    and, within the budgets, each target's shortfall.

    ``time_limit`` (seconds, both re-solves together; default the scenario's per re-solve):
    the least extra money — the answer a finance officer acts on — may take all of it; the
    shortfall gets what it leaves, and is left out when that is less than the money's own build
    and search took (at least :data:`LEAST_SECONDS` of search);
    ``proven``: the targets are known to be out of reach (else: no plan was found in time).
    """
    clock = time.perf_counter()
    options = problem.scenario.solver.options()
    if time_limit is not None:
        options = replace(options, time_limit=max(1.0, time_limit))
    lines = ["The hard targets cannot all be met within the budgets." if proven else
             "No plan meeting the hard targets within the budgets was found within the time "
             "limit (one may exist: the search could not prove that none does)."]

    extra, outcome = least_extra_money(problem, options)
    lines += _extra_money_lines(extra, outcome)
    # the shortfall's model is as large as the elastic one: building and searching it take
    # about as long again (the Shanghai budget cut: 6 s and 18–25 s); with less time left it
    # would find nothing, and only delay the answer
    searched = outcome.seconds or 0.0
    needed = time.perf_counter() - clock - searched + max(LEAST_SECONDS, searched)

    def left() -> float:
        return time_limit - (time.perf_counter() - clock)

    if time_limit is not None and left() < needed:
        lines.append("No time was left of the limit to say how far each target falls short "
                     "within the budgets; run with a longer time limit.")
        return Diagnosis(extra, pd.DataFrame(), "\n".join(lines))
    soft = problem.scenario.update(targets={name: {"hard": False} for name in problem.scenario.targets})
    relaxed_problem = prepare(soft, problem.dataset)
    relaxed = build(relaxed_problem)
    if time_limit is not None:  # the search gets what the build left
        options = replace(options, time_limit=max(1.0, left()))
    # the shortfall is an indication: a plan within a few per cent of the best shows it, and
    # proving the last half per cent took the Shanghai budget cut 50 s instead of 13 s
    indicative = replace(options, gap=max(options.gap, SHORTFALL_GAP))
    outcome = search(relaxed, choose(relaxed, problem.scenario.solver.strategy, indicative),
                     indicative)
    shortfall = pd.DataFrame()
    if outcome.has_solution:
        years = completion_years(relaxed_problem, schedule_from(relaxed))
        shortfall = target_table(relaxed_problem, years)
        missed = shortfall[~shortfall["met"]]
        if not missed.empty:
            which = ("the best plan" if outcome.gap is not None and outcome.gap <= options.gap
                     else f"a plan within {100 * outcome.gap:.1f} % of the best"
                     if outcome.gap is not None and outcome.gap <= 1.0  # else: a loose bound
                     else "the best plan found in the time")
            lines.append(f"With the budgets as they are, {which} falls short by:")
            for r in missed.itertuples():
                lines.append(
                    f"  - {r.target}: {r.shortfall:,.0f} {_unit(r.shortfall, r.shortfall_unit)} "
                    f"(reaches {r.achieved:,.0f} of the {r.required:,.0f} required)"
                )
    else:
        lines.append("No plan within the budgets was found in the time left to say how far each "
                     f"target falls short ({outcome.status}); run with a longer time limit.")
    return Diagnosis(extra, shortfall, "\n".join(lines))


_SINGULAR = {
    "communities": "community",
    "streets": "street",
    "districts": "district",
    "households": "household",
}


def _unit(count: float, unit: str) -> str:
    """'1 community', '2 communities'."""
    return _SINGULAR.get(unit, unit) if round(count) == 1 else unit
