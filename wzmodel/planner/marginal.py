"""What one more 100 M yuan from a funding source buys: :func:`marginal_value`.

Two answers per source: re-planning with that source's budget raised (a MIP solve each, the
honest figure), and the LP relaxation's duals of the source's budget rows (one LP solve for all
sources, an indication only). The budget rows are read through ``PlanModel.budget_rows`` (keyed
by source and year), never by their names. Also re-exported as ``wzmodel.finance.marginal_value``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

import pandas as pd
import pulp

from wzmodel.data import Dataset
from wzmodel.planner import make_plan
from wzmodel.planner.model import PlanModel, build
from wzmodel.planner.plan import Plan
from wzmodel.planner.problem import PlanningProblem, prepare
from wzmodel.scenario import Scenario
from wzmodel.schema import InputError, Problem
from wzmodel.solver import SolverOptions, solve
from wzmodel.vocabulary import HEADLINE_YEARS, MONEY_UNIT

__all__ = ["LP_DUAL_METHOD", "MAIN_ZONE_GROUP", "PER_100M_YUAN", "RESOLVE_METHOD", "marginal_value"]

PER_100M_YUAN = 100e6
MAIN_ZONE_GROUP = "main_urban+new_town"
LP_DUAL_METHOD = "LP-relaxation dual (indication only)"
RESOLVE_METHOD = "re-solve (MIP)"


def marginal_value(scenario: Scenario, *, sources: Sequence[str] | None = None,
                   amount_yuan: float = PER_100M_YUAN, years: Sequence[int] | None = None,
                   dataset: Dataset | None = None, base_plan: Plan | None = None,
                   resolve: bool = True, lp_duals: bool = True) -> pd.DataFrame:
    """What extra money from each source buys, per 100 M yuan.

    For each source, ``amount_yuan`` is added to its budget, spread evenly over ``years`` (a band
    of plan years; default all), and the scenario is re-planned; the gain against the unchanged
    plan (objective and main-urban + new-town coverage in 2027/2030/2035) is scaled linearly to
    100 M yuan. Both plans are MIP solutions within the scenario's gap and limits, so small gains
    are within the solver's tolerance — the ``gap_*`` columns say how much.

    With ``lp_duals`` one more row per source gives the LP-relaxation dual of its budget rows
    (integrality relaxed, one LP solve): the objective gained per 100 M yuan at the margin of the
    *relaxed* model — an indication only (it ignores that communities come whole and holds only
    for small amounts).

    Parameters
    ----------
    scenario : the scenario to examine.
    sources : source ids (default: every source).
    amount_yuan : extra money per source, yuan (> 0).
    years : the band of years that receives the money (evenly), default all plan years.
    dataset : data to use instead of the scenario's data folder.
    base_plan : an already solved plan of ``scenario`` (saves one solve).
    resolve : re-plan with each raised budget (one MIP solve per source).
    lp_duals : add the LP-relaxation dual rows (one LP solve in all).

    Returns
    -------
    DataFrame
        source_id, years, method, extra_yuan, objective_gain (objective units; positive =
        better), objective_gain_per_100m_yuan, coverage_<year>_gain_pp_per_100m_yuan
        (percentage points per 100 M yuan; blank for LP duals), status, gap_base, gap_raised.
    """
    problem = prepare(scenario, dataset)
    band = list(years) if years is not None else problem.years
    source_ids = list(problem.sources["source_id"])
    chosen = list(sources) if sources is not None else source_ids
    issues = [Problem("marginal_value", "a known source_id", None, "sources", s)
              for s in chosen if s not in source_ids]
    issues += [Problem("marginal_value", f"a plan year ({problem.years[0]}–{problem.years[-1]})",
                       None, "years", y) for y in band if y not in problem.years]
    if not band:
        issues.append(Problem("marginal_value", "at least one year in the band", None, "years"))
    if not amount_yuan > 0:
        issues.append(Problem("marginal_value", "a positive amount", None, "amount_yuan",
                              amount_yuan))
    if issues:
        raise InputError(issues)

    label = f"{band[0]}–{band[-1]}" if len(band) > 1 else str(band[0])
    scale = PER_100M_YUAN / amount_yuan
    sense = 1.0 if scenario.objective.kind == "coverage_years" else -1.0
    columns = [n for n in problem.years if n in band]
    rows = []
    base = (base_plan or make_plan(scenario, problem=problem, equal_money=False)) if resolve else None
    for sid in chosen if resolve else ():
        budget = problem.budget.copy()
        s = source_ids.index(sid)
        for year in columns:
            budget[s, problem.years.index(year)] += amount_yuan / len(columns)
        raised = make_plan(scenario, problem=dataclasses.replace(problem, budget=budget),
                           equal_money=False)
        row = {"source_id": sid, "years": label, "method": RESOLVE_METHOD,
               "extra_yuan": amount_yuan, "status": raised.outcome.status,
               "gap_base": base.outcome.gap, "gap_raised": raised.outcome.gap}
        if base.outcome.objective is not None and raised.outcome.objective \
                is not None:
            gain = sense * (raised.outcome.objective - base.outcome.objective)
            row["objective_gain"] = gain
            row["objective_gain_per_100m_yuan"] = gain * scale
            for y in HEADLINE_YEARS:
                if y in problem.years:
                    change = (raised.coverage_at(y, MAIN_ZONE_GROUP)
                              - base.coverage_at(y, MAIN_ZONE_GROUP))
                    row[f"coverage_{y}_gain_pp_per_100m_yuan"] = 100 * scale * change
        rows.append(row)
    if lp_duals:
        rows += _lp_dual_rows(problem, chosen, columns, label, amount_yuan, sense)
    order = ["source_id", "years", "method", "extra_yuan", "objective_gain",
             "objective_gain_per_100m_yuan",
             *[f"coverage_{y}_gain_pp_per_100m_yuan" for y in HEADLINE_YEARS if y in problem.years],
             "status", "gap_base", "gap_raised"]
    return pd.DataFrame(rows).reindex(columns=order)


def _lp_dual_rows(problem: PlanningProblem, sources: list[str], band: list[int], label: str,
                  amount_yuan: float, sense: float) -> list[dict]:
    """Objective gained per 100 M yuan by the LP relaxation's budget-row duals."""
    model = build(problem)
    for v in model.prob.variables():
        if v.cat == pulp.const.LpInteger:
            v.cat = pulp.const.LpContinuous
    outcome = solve(model.prob, SolverOptions(solver="highs"))
    jacobian = _budget_row_jacobian(model)
    per_year = amount_yuan / len(band) / MONEY_UNIT  # model money units added each band year
    rows = []
    for sid in sources:
        gain = math.nan
        if outcome.status == "optimal":
            gain = 0.0
            for year in band:
                for row_year, weight in jacobian(sid, year):
                    c = model.budget_rows.get((sid, row_year))
                    if c is not None and c.pi is not None:
                        gain += sense * c.pi * weight * per_year
        rows.append({"source_id": sid, "years": label, "method": LP_DUAL_METHOD,
                     "extra_yuan": amount_yuan, "objective_gain": gain,
                     "objective_gain_per_100m_yuan": gain * PER_100M_YUAN / amount_yuan,
                     "status": f"LP relaxation {outcome.status}"})
    return rows


def _budget_row_jacobian(model: PlanModel) -> Callable[[str, int], list[tuple[int, float]]]:
    """How a yuan added to source s in year t enters the model's budget rows (by year).

    The model states budgets either per year (unspent money moving on through a stock variable:
    the row of year t holds B_t) or cumulatively (the row of year t holds Σ_{τ≤t} B_τ). Which one
    is read off the rows' right-hand sides, so the duals are combined correctly for either.
    """
    problem = model.problem
    row = {sid: s for s, sid in enumerate(problem.sources["source_id"])}
    own_year = cumulative = True
    for (sid, year), c in model.budget_rows.items():
        n = problem.years.index(year)
        rhs = -c.constant
        b = problem.budget[row[sid]] / MONEY_UNIT
        own_year &= math.isclose(rhs, b[n], rel_tol=1e-9, abs_tol=1e-6)
        cumulative &= math.isclose(rhs, b[: n + 1].sum(), rel_tol=1e-9, abs_tol=1e-6)
    if own_year:
        return lambda sid, year: [(year, 1.0)]
    if cumulative:
        return lambda sid, year: [(y, 1.0) for y in problem.years if y >= year]
    raise RuntimeError("the budget rows' right-hand sides match neither yearly nor cumulative "
                       "budgets; the LP-dual indication needs updating for the new formulation")
