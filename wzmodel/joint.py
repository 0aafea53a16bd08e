"""The joint siting-and-planning study: what sharing service complexes gains over planning the
complexes and the upgrades separately (:func:`joint_vs_separate`).

A study above both models: it sites complexes with :mod:`wzmodel.siting` for the communities a
plan of :mod:`wzmodel.planner` upgrades, then re-plans with the complexes' floor and spending.
It is a decomposition, not one joint model; see :func:`joint_vs_separate` and ``docs/siting.md``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from wzmodel.data import Dataset
from wzmodel.planner import evaluate as ev
from wzmodel.planner import make_plan, prepare
from wzmodel.planner.problem import PlanningProblem
from wzmodel.scenario import Scenario
from wzmodel.schema import InputError, Problem
from wzmodel.siting import (
    SitingConfig,
    SitingPlan,
    _criterion,
    onsite_cost_yuan_per_m2,
    site_complexes,
    siting_demand,
)
from wzmodel.solver import SolverOptions
from wzmodel.vocabulary import CLASSES, MONEY_UNIT

__all__ = ["joint_vs_separate"]


def joint_vs_separate(scenario: Scenario, config: SitingConfig | None = None, *,
                      dataset: Dataset | None = None,
                      solver: str | SolverOptions | None = None) -> pd.DataFrame:
    """What sharing complexes gains over planning sites and upgrades separately.

    A shared complex within reach can close a community's service-floor gap instead of building
    that floor on site (``basic.service_floor``: 3,000 yuan/m² capital and 150 yuan/m²/year
    running in ``basic.toml``, times the scenario's ``cost_scale``); its floor also counts
    towards ``basic.resident_activity_floor`` (``config.activity_share`` of it). Three strategies:

    ``separate``
        The planner alone (:func:`wzmodel.planner.make_plan`): every upgraded community builds
        its service floor on site. No complexes.
    ``joint_same_schedule``
        The same upgrade schedule; the service-floor gaps of the communities it upgrades are
        offered to the siting model with the on-site cost as the price of unmet floor
        (``min_cost``, ``π_j`` = capital + running to the last year of j's on-site floor,
        :func:`wzmodel.siting.onsite_cost_yuan_per_m2` — the siting model's default price —
        times the scenario's cost scale and j's district factor; ``unmet_penalty_yuan_per_m2``
        is not used) and the year j's upgrade completes as its due year. A complex therefore
        opens only where it is cheaper than building on site, and existing spare floor
        (already paid for) is always used: on the same communities, due years and unit costs,
        :func:`wzmodel.siting.site_complexes` opens the same complexes.
        Money = upgrades re-costed on the data with the allocated floor added + complexes'
        capital and running to the last year. Coverage is unchanged by construction, and the
        money is never higher than ``separate`` (no complex at all is a feasible siting with
        exactly the separate cost) — up to the siting MIP's gap. Budgets are not re-checked
        for this row: a complex is paid in its opening year, possibly before the savings.
    ``joint_replanned``
        The planner re-run on the data with the allocated floor added (so those gaps are
        closed) and every budget reduced by the complexes' yearly spending (capital in the
        opening year, running every later year), charged to the sources that may pay the
        criterion's cost category in the funding groups of the communities served (in
        proportion to their floor), split among them by the group's funding rule as the rule
        of thumb splits a cost (minimum shares, then non-public money first), each source's
        share inside its sharing bounds. The freed
        money buys more or earlier upgrades. Communities whose only failed criteria the
        complexes close become complete when their complex opens (the coverage figure counts
        them from that year, not from the start).

    What the decomposition gives up: a single joint model could also choose *which*
    communities to upgrade knowing that complexes make some of them cheap; here the complexes
    are sited for the separate plan's communities only. ``floor_saving_bound_yuan`` bounds,
    for the separate schedule, the largest service-floor saving any siting could give (on-site
    cost of those gaps minus the siting model's proven lower bound; the resident-activity
    bonus comes on top); no bound is claimed across schedules.

    Returns
    -------
    DataFrame
        One row per strategy: strategy, status (planner), gap (planner), complexes_opened,
        existing_floor_m2, new_complex_floor_m2, complex_money_yuan, upgrade_money_yuan,
        total_money_yuan, communities_basic_end, coverage_years, money_vs_separate_yuan,
        coverage_years_vs_separate, floor_saving_bound_yuan (joint_same_schedule only),
        communities_basic_start.
    """
    config = (config or SitingConfig()).model_copy(update={
        "objective": "min_cost", "first_year": scenario.first_year,
        "last_year": scenario.last_year})
    problem = prepare(scenario, dataset)
    dataset = problem.dataset
    separate = make_plan(scenario, problem=problem, equal_money=False)
    if not separate.outcome.has_solution:
        raise InputError([Problem("scenario", "a scenario the planner can solve (it reports "
                                  f"{separate.outcome.status})", None, "name",
                                  scenario.name)])
    standards = problem.assessment.standards
    criterion = _criterion(standards, config.criterion)
    last = scenario.years[-1]

    # 1. site complexes for the separate plan's service-floor gaps, due when each upgrade
    #    completes (its floor must be there then), priced at the on-site cost the planner
    #    charges for it — the siting model's own default price, times the scenario's scales
    upgraded = separate.schedule[separate.schedule["class"] == "basic"]
    due = {cid: problem.finish("basic", int(year))
           for cid, year in zip(upgraded["community_id"], upgraded["year"], strict=True)}
    demand = siting_demand(dataset, config, standards=standards)
    demand = demand[demand["community_id"].isin(due)].reset_index(drop=True)
    demand["due_year"] = demand["community_id"].map(due).astype(int)
    district_factor = problem.communities.set_index("community_id")["cost_factor"]
    # the category's cost multiplier of the year the floor is due (running costs later: alike)
    scale = demand["due_year"].map(lambda y: scenario.funding.cost_factor(criterion.cost_category, y))
    demand["penalty_yuan_per_m2"] = (
        scale * demand["community_id"].map(district_factor)
        * onsite_cost_yuan_per_m2(criterion, demand["due_year"], last))
    sited = site_complexes(dataset, config, years=scenario.years, solver=solver, demand=demand)
    onsite = float((demand["penalty_yuan_per_m2"] * demand["need_m2"]).sum())

    # 2. the data with the allocated floor added, budgets reduced by the complexes' spending
    floor = sited.allocation.groupby("community_id")["floor_m2"].sum()
    communities = dataset.communities.copy()
    add = communities["community_id"].map(floor).fillna(0.0)
    communities[criterion.indicator] = communities[criterion.indicator] + add
    if "resident_activity_floor_m2" in communities:
        communities["resident_activity_floor_m2"] += config.activity_share * add
    joint_problem = replace(prepare(scenario, replace(dataset, communities=communities)),
                            budget=_budgets_less_complexes(problem, sited, criterion.cost_category))

    # 3. money and coverage of the three strategies
    same_years = ev.completion_years(joint_problem, separate.schedule)
    same_upgrades = float(ev.spending(joint_problem, same_years)["yuan"].sum())
    replanned = make_plan(scenario, problem=joint_problem, equal_money=False)
    opened = _service_start(sited, scenario.years[0])
    re_years = ev.completion_years(joint_problem, replanned.schedule)
    for k in CLASSES:
        newly = joint_problem.already[k] & ~problem.already[k]
        ids = joint_problem.communities["community_id"].to_numpy()
        re_years[k][newly] = [opened.get(c, scenario.years[0]) for c in ids[newly]]
    base_basic = int(problem.already["basic"].sum())

    def basic_end(years: dict[str, np.ndarray]) -> int:
        return int(((years["basic"] > 0) | problem.already["basic"]).sum())

    sep_years = ev.completion_years(problem, separate.schedule)
    complexes = sited.kpi("cost_yuan")
    existing = sited.kpi("served_by_existing_m2")
    rows = [
        ("separate", separate.outcome.status, separate.outcome.gap, 0, 0.0, 0.0,
         0.0, separate.kpi("money_total"), basic_end(sep_years),
         separate.kpi("coverage_years"), np.nan),
        ("joint_same_schedule", sited.outcome.status, sited.outcome.gap, len(sited.sites),
         existing, sited.kpi("served_m2") - existing, complexes, same_upgrades,
         basic_end(sep_years), separate.kpi("coverage_years"),
         onsite - (sited.outcome.bound or 0.0) * MONEY_UNIT),
        ("joint_replanned", replanned.outcome.status, replanned.outcome.gap,
         len(sited.sites), existing, sited.kpi("served_m2") - existing, complexes,
         replanned.kpi("money_total") if not replanned.schedule.empty else np.nan,
         basic_end(re_years), ev.coverage_years(problem, re_years), np.nan),
    ]
    out = pd.DataFrame(rows, columns=[
        "strategy", "status", "gap", "complexes_opened", "existing_floor_m2",
        "new_complex_floor_m2", "complex_money_yuan", "upgrade_money_yuan",
        "communities_basic_end", "coverage_years", "floor_saving_bound_yuan"])
    out.insert(8, "total_money_yuan", out["complex_money_yuan"] + out["upgrade_money_yuan"])
    out["money_vs_separate_yuan"] = out["total_money_yuan"] - out.at[0, "total_money_yuan"]
    out["coverage_years_vs_separate"] = out["coverage_years"] - out.at[0, "coverage_years"]
    out["communities_basic_start"] = base_basic
    return out


def _service_start(sited: SitingPlan, first_year: int) -> dict[str, int]:
    """Per community, the year its last complex opens (existing complexes: the first year)."""
    opened = dict(zip(sited.sites["site_id"], sited.sites["year"].astype(int), strict=True))
    a = sited.allocation
    year = a["site_or_facility_id"].map(opened).fillna(first_year).astype(int)
    return a.assign(year=year).groupby("community_id")["year"].max().to_dict()


def _budgets_less_complexes(problem: PlanningProblem, sited: SitingPlan, category: str
                            ) -> np.ndarray:
    """The problem's budgets (sources × years, yuan, as scaled by the scenario) minus the
    complexes' yearly spending.

    Each complex's capital (opening year) and running cost (every later year) is charged to the
    funding groups of the communities it serves, in proportion to their floor, and within a
    group split among its sources for ``category`` by the funding rule
    (:meth:`~wzmodel.planner.funding.FundingRule.split`, as the rule of thumb splits a cost), so
    every share stays inside its bounds.
    """
    years = problem.years
    group_of = dict(zip(problem.communities["community_id"], problem.communities["group"],
                        strict=True))
    row = {sid: s for s, sid in enumerate(problem.sources["source_id"])}
    opened = sited.sites.set_index("site_id")
    a = sited.allocation[sited.allocation["source"] == "site"]
    budget = problem.budget.copy()
    for site_id, rows in a.groupby("site_or_facility_id"):
        s = opened.loc[site_id]
        spend = {t: (s["capital_yuan"] if t == s["year"] else s["running_yuan_per_year"])
                 for t in years if t >= s["year"]}
        weights = rows.groupby(rows["community_id"].map(group_of))["floor_m2"].sum()
        weights = weights / weights.sum()
        for g, w in weights.items():
            rule = problem.rules[(int(g), category)]
            for t, yuan in spend.items():
                for sid, paid in rule.split(float(w * yuan)).items():
                    budget[row[sid], years.index(t)] -= paid
    return budget
