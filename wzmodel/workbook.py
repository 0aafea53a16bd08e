"""What the workbooks for finance staff share: the solver's outcome in plain words, money in wide
form (sources × years), and the assumptions behind a plan (budgets, sharing splits, unit costs,
the scenario's multipliers).

The plan's workbook (:meth:`wzmodel.planner.Plan.to_excel`), the comparison's
(:meth:`wzmodel.finance.Comparison.to_excel`) and the assessment's build their sheets from these;
:func:`wzmodel.io.write_excel` lays them out. (A module of its own, below the assessment and the
planner, so that both can use it.)
"""

from __future__ import annotations

import pandas as pd

from wzmodel.labels import source_names, with_names
from wzmodel.solver import SolveOutcome
from wzmodel.standards import Standards

__all__ = ["SUMMARY_COLUMNS", "ZONE_GROUP_LABELS", "assumptions", "outcome_in_words", "unit_costs",
           "wide_by_year"]

SUMMARY_COLUMNS = ["topic", "item", "value", "unit", "note"]
"""Columns of every workbook's ``summary`` sheet: each row's number is in its ``unit``."""


ZONE_GROUP_LABELS = {
    "main_urban": "main urban area",
    "new_town": "new towns",
    "main_urban+new_town": "main urban area and new towns",
    "new_market_town": "new market towns",
    "rural": "rural areas",
    "all": "whole city (every zone)",
}
"""Readable names of the zone groups of a plan's coverage table."""


def outcome_in_words(outcome: SolveOutcome | None) -> str:
    """The solver's outcome as a finance officer would say it."""
    if outcome is None:
        return "no optimisation: a given schedule, evaluated"
    gap = f"{100 * outcome.gap:.2f} %" if outcome.gap is not None else None
    if outcome.status == "optimal":
        return (f"best plan found, proven within {gap} of the best possible"
                if gap else "best plan found")
    if outcome.status == "feasible":
        return (f"a workable plan; the solver stopped at its limit, at most {gap} below the best "
                "possible" if gap else "a workable plan; the solver stopped at its limit before "
                "it could say how far it is from the best possible")
    if outcome.status == "infeasible":
        return "no plan meets the hard targets with this money: see the diagnosis"
    if outcome.status == "no_solution":
        return "no plan: the solver found none within its limits"
    return f"no plan: the solver failed ({outcome.message})"


def wide_by_year(frame: pd.DataFrame, index: list[str], value: str = "yuan",
                 scale: float = 1.0) -> pd.DataFrame:
    """``frame`` (long: ``index`` columns, ``year``, ``value``) as one row per ``index`` and one
    column per year, divided by ``scale``, with a ``total`` column; years with nothing are 0."""
    if frame.empty:
        return pd.DataFrame(columns=[*index, "total"])
    wide = frame.pivot_table(index=index, columns="year", values=value, aggfunc="sum",
                             fill_value=0.0, sort=True) / scale
    wide["total"] = wide.sum(axis=1)
    wide = wide.round(6)  # no float noise in the cells (0.8105691599999999)
    wide.columns.name = None
    return wide.reset_index()


def unit_costs(standards: Standards) -> pd.DataFrame:
    """Each criterion's unit costs and whether they are assumed."""
    return pd.DataFrame(
        [(klass, c.id, c.title, c.cost_category, c.gap_unit, c.capital_yuan_per_unit,
          c.running_yuan_per_unit_year, "assumed" if c.cost_assumed else c.cost_source)
         for klass, c in standards.criteria()],
        columns=["class", "criterion_id", "criterion", "cost_category", "gap_unit",
                 "capital_yuan_per_unit", "running_yuan_per_unit_year", "cost_source"])


def assumptions(problem) -> dict[str, pd.DataFrame]:
    """The assumptions a plan of ``problem`` (a :class:`~wzmodel.planner.PlanningProblem`)
    rests on: ``budgets`` (yuan per source and year, after the scenario's multipliers and area
    share), ``sharing`` (the option's splits), ``sharing_links`` (its matching and top-up rules,
    when it has any), ``unit_costs`` and ``multipliers``."""
    scenario = problem.scenario
    funding = scenario.funding
    budgets = pd.DataFrame(problem.budget, columns=problem.years)
    budgets.insert(0, "source_id", problem.sources["source_id"].to_numpy())
    long = budgets.melt(id_vars="source_id", var_name="year", value_name="yuan")
    budgets = with_names(wide_by_year(long, ["source_id"]), "source_id",
                         source_names(problem.sources))
    sharing = problem.dataset.sharing
    sharing = sharing[sharing["option"] == funding.sharing_option].reset_index(drop=True)
    links = problem.dataset.sharing_links
    links = links[links["option"] == funding.sharing_option].reset_index(drop=True)
    multipliers = []
    for what, scales in (("every budget", {"": funding.budget_scale}),
                         ("budget of {}", funding.source_scale),
                         ("budgets of {}'s own sources", funding.district_budget_scale),
                         ("costs of {}", funding.cost_scale),
                         ("costs in {}", funding.district_cost_scale)):
        for name, scale in sorted(scales.items()):
            years = scale.items() if isinstance(scale, dict) else [("all years", scale)]
            multipliers += [(what.format(name), str(year), factor) for year, factor in years]
    return {
        "budgets": budgets,
        "sharing": sharing,
        **({"sharing_links": links} if len(links) else {}),
        "unit_costs": unit_costs(problem.assessment.standards),
        "multipliers": pd.DataFrame(multipliers, columns=["multiplier", "years", "factor"]),
    }
