"""Re-verify a written plan from its files and the input data alone, without the model.

:func:`check_plan` reads a plan folder, rebuilds the planning problem from the scenario stored
in ``plan.json`` and the data folder, and recomputes: the schedule's validity (each class at most
once, featured not before basic, nothing already complete or excluded, earliest years, must-do
lists, completion within the plan years, featured areas made featured together and never
across grids — docs/grids.md), delivery capacity per district, class and year and
the city-wide cap (``[delivery]``), that the funding pays exactly what the schedule needs each
year (capital phased over the years from start to completion as the lead times declare, plus
the running costs of everything completed earlier), the sharing bounds and links (matching
and top-up rules, docs/funding_rules.md), every budget (cumulative when money carries over),
and the coverage and target figures reported. It returns the list of
violations — empty when the plan holds. A re-plan's folder (``wzmodel replan``) is checked
against its progress record, written beside it: the starts up to its year are the record's, and
the budgets count the money the record says was spent (:mod:`wzmodel.planner.progress`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

from wzmodel.data import dataset_with_sharing, load_dataset
from wzmodel.planner import evaluate as ev
from wzmodel.planner.funding import NO_SOURCES
from wzmodel.planner.plan import Plan
from wzmodel.planner.problem import PlanningProblem, prepare
from wzmodel.planner.progress import check_record
from wzmodel.scenario import Scenario
from wzmodel.schema import InputError, read_table
from wzmodel.standards import load_standards
from wzmodel.strict import validation_problems

__all__ = ["check_against", "check_plan"]

ABS_TOL_YUAN = 1.0
REL_TOL = 1e-6


def check_plan(folder: str | Path, *, data: str | Path | None = None) -> list[str]:
    """Violations of the plan written in ``folder`` (``data`` overrides the data folder)."""
    folder = Path(folder)
    plan = Plan.read(folder)  # checks plan.json and every table first, naming what is damaged
    config = dict(plan.meta["scenario_config"])
    if data is not None:
        config["data"] = str(Path(data).resolve())
    try:
        scenario = Scenario.model_validate(config)
    except ValidationError as exc:
        raise InputError(validation_problems(exc, str(folder / "plan.json"))) from None
    dataset = None
    extra_option = folder / "sharing_option.csv"  # an option brought in from Excel
    if extra_option.exists():
        rows, problems = read_table(extra_option, "sharing")
        if problems:
            raise InputError(problems, str(folder))
        standards = load_standards(scenario.standards.basic, scenario.standards.featured)
        dataset = dataset_with_sharing(load_dataset(scenario.data, indicators=standards.indicators()), rows)
    problem = prepare(scenario, dataset)
    if "replan" in plan.meta:  # a re-plan: its past is the progress record written beside it
        problem, issues = check_record(plan, folder, problem)
        return issues + check_against(plan, problem)
    return check_against(plan, problem)


def _tol(amount: float) -> float:
    return ABS_TOL_YUAN + REL_TOL * abs(amount)


def check_against(plan: Plan, p: PlanningProblem) -> list[str]:
    """Violations of ``plan`` against the planning problem ``p``."""
    issues = _schedule_issues(plan.schedule, p)
    if issues:  # the money and coverage checks assume a well-formed schedule
        return issues
    issues += _delivery_issues(plan, p)
    years = ev.completion_years(p, plan.schedule)
    issues += _funding_issues(plan.funding, ev.spending(p, years), p)
    issues += _budget_issues(plan.funding, p)
    issues += _reported_issues(plan, p, years)
    return issues


def _schedule_issues(schedule: pd.DataFrame, p: PlanningProblem) -> list[str]:
    issues = []
    index = {cid: i for i, cid in enumerate(p.communities["community_id"])}
    unknown = sorted(set(schedule["community_id"]) - set(index))
    if unknown:
        issues.append(f"schedule names unknown communities: {', '.join(map(str, unknown[:5]))}")
        return issues
    dup = schedule[schedule.duplicated(["community_id", "class"], keep=False)]
    for cid, klass in dup[["community_id", "class"]].drop_duplicates().itertuples(index=False):
        issues.append(f"community {cid} reaches {klass} more than once")
    for cid, klass, year in schedule[["community_id", "class", "year"]].itertuples(index=False):
        i = index[cid]
        if year not in p.years:
            issues.append(f"community {cid}: year {year} outside the plan years")
        elif klass == "featured" and i in p.featured_blocked:
            issues.append(f"{p.featured_blocked[i]}; the plan makes community {cid} featured "
                          f"from {year}")
        elif not p.allowed[klass][i]:
            issues.append(
                f"community {cid} may not be upgraded to {klass} (already complete or excluded)"
            )
        elif year < p.earliest[i]:
            issues.append(
                f"community {cid} upgraded in {year}, before its earliest year {p.earliest[i]}"
            )
        elif p.finish(klass, year) > p.years[-1]:
            issues.append(
                f"lead time: community {cid} starts {klass} in {year} and completes in "
                f"{p.finish(klass, year)}, after the last plan year {p.years[-1]}"
            )
    if issues:
        return issues
    years = ev.completion_years(p, schedule)
    bad = (years["featured"] > 0) & ((years["basic"] == 0) | (years["basic"] > years["featured"]))
    for i in np.flatnonzero(bad):
        issues.append(f"community {p.communities.at[i, 'community_id']} is featured before it is basic")
    for cid, due in sorted(p.scenario.lists.must_do.items()):
        y = years["basic"][index[cid]]
        if y == 0 or y > due:
            issues.append(f"must-do community {cid} is not basic by {due}")
    issues += _area_issues(schedule, p)
    return issues


def _area_issues(schedule: pd.DataFrame, p: PlanningProblem) -> list[str]:
    """Featured areas whose committees do not start featured in the same year (docs/grids.md)."""
    ids = p.communities["community_id"].to_numpy()
    featured = schedule[schedule["class"] == "featured"]
    start = dict(zip(featured["community_id"], featured["year"], strict=True))
    issues = []
    for area in p.areas:
        todo = [ids[i] for i in area.members if not p.already["featured"][i]]
        years = {cid: start.get(cid) for cid in todo}
        if len({y for y in years.values()}) > 1:
            told = ", ".join(f"{cid} {'never' if y is None else f'from {y}'}"
                             for cid, y in years.items())
            first = min(y for y in years.values() if y is not None)
            issues.append(f"featured area {area.area_id} (grid {area.grid}): its committees "
                          f"start featured in different years ({told}; first {first}) — they "
                          "reach featured together")
    return issues


def _delivery_issues(plan: Plan, p: PlanningProblem) -> list[str]:
    """Starts above a district's, a street's or the city's capacity, and a written
    district_year.csv that does not match the schedule."""
    issues = []
    table = ev.district_year(p, plan.schedule)
    for r in table.itertuples(index=False):
        if not pd.isna(r.capacity) and r.projects_started > r.capacity:
            issues.append(f"capacity: {r.district} starts {r.projects_started} {r[2]} projects in "
                          f"{r.year}, more than its capacity of {r.capacity}")
    for r in ev.street_year(p, plan.schedule).itertuples(index=False):
        if not pd.isna(r.capacity) and r.projects_started > r.capacity:
            issues.append(f"capacity: street {r.street_code} starts {r.projects_started} {r[2]} "
                          f"projects in {r.year}, more than its capacity of {r.capacity}")
    city = p.scenario.delivery.city_starts
    if city is not None:
        for year, started in table.groupby("year")["projects_started"].sum().items():
            if started > city:
                issues.append(f"capacity: the plan starts {started} projects in {year}, more "
                              f"than the city-wide capacity of {city}")
    if plan.district_year is not None:
        keys = ["district", "year", "class"]
        written = plan.district_year.set_index(keys).sort_index()
        ours = table.set_index(keys).sort_index()
        if not (written.index.equals(ours.index) and all(
                written[c].astype("Int64").equals(ours[c].astype("Int64")) for c in ours.columns)):
            issues.append("district_year.csv does not match the schedule and the scenario's "
                          "capacities")
    return issues


def _funding_issues(funding: pd.DataFrame, needed: pd.DataFrame, p: PlanningProblem) -> list[str]:
    keys = ["year", "district", "zone", "cost_category"]
    issues = []
    paid = funding.groupby(keys)["yuan"].sum()
    need = needed.groupby(keys)["yuan"].sum()
    for key in sorted(set(paid.index) | set(need.index)):
        a, b = float(paid.get(key, 0.0)), float(need.get(key, 0.0))
        if abs(a - b) > _tol(b):
            y, d, z, k = key
            issues.append(
                f"funding for {k} in {d} ({z}) in {y} is {a:,.0f} yuan but the schedule "
                f"needs {b:,.0f} yuan (capital phased over the upgrades' years from start "
                "to completion as declared, plus running costs of those completed earlier)"
            )
    group_of = {
        (d, z): g for g, (d, z) in enumerate(zip(p.groups["district"], p.groups["zone"], strict=True))
    }
    for key, block in funding.groupby(keys, sort=True):
        y, d, z, k = key
        total = float(block["yuan"].sum())
        rule = p.rules.get((group_of.get((d, z)), k), NO_SOURCES)
        paid_by = block.groupby("source_id")["yuan"].sum().to_dict()
        issues += rule.violations(paid_by, total, _tol(total), f"{k} in {d} ({z}) in {y}")
    return issues


def _budget_issues(funding: pd.DataFrame, p: PlanningProblem) -> list[str]:
    issues = []
    spent = funding.groupby(["source_id", "year"])["yuan"].sum()
    carry = p.scenario.funding.carry_over
    rows = p.budget_rows()  # a re-plan's past years: history, counted in what opens the next
    for s, sid in enumerate(p.sources["source_id"]):
        used = available = 0.0
        for n, year, carried_in in rows:
            this = float(spent.get((sid, year), 0.0))
            used = used + this if carry else this
            budget = p.budget[s, n] + carried_in[s]
            available = available + budget if carry else budget
            if used > available + _tol(available):
                what = "cumulative spending" if carry else "spending"
                issues.append(
                    f"budget exceeded: {sid} in {year} — {what} {used:,.0f} yuan, "
                    f"budget {available:,.0f} yuan"
                )
    unknown = sorted(set(funding["source_id"]) - set(p.sources["source_id"]))
    for sid in unknown:
        issues.append(f"funding names an unknown source {sid}")
    return issues


def _coverage_issues(recomputed: pd.DataFrame, reported: pd.DataFrame, by: str) -> list[str]:
    """Rows of a reported coverage table (by zone group or district) that the schedule does not
    give."""
    merged = recomputed.merge(reported, on=["year", by], how="outer", suffixes=("", "_reported"),
                              indicator=True)
    return [f"reported coverage of {r[by]} in {r['year']} does not match the schedule"
            for r in merged.to_dict("records")
            if r["_merge"] != "both" or any(abs(r[c] - r[f"{c}_reported"]) > 1e-6
                                            for c in ("coverage_communities", "coverage_households"))]


def _reported_issues(plan: Plan, p: PlanningProblem, years) -> list[str]:
    issues = _coverage_issues(ev.coverage_table(p, years), plan.coverage, "zone_group")
    issues += _coverage_issues(ev.district_coverage_table(p, years), plan.district_coverage,
                               "district")
    targets = ev.target_table(p, years).set_index("target")
    reported = plan.targets.set_index("target")
    for name in sorted(set(targets.index) | set(reported.index)):
        if name not in targets.index or name not in reported.index:
            issues.append(f"target {name} is reported but not in the scenario, or the reverse")
            continue
        t, r = targets.loc[name], reported.loc[name]
        if bool(t["met"]) != bool(r["met"]) or abs(t["achieved"] - r["achieved"]) > 1e-6:
            issues.append(
                f"target {name}: reported {'met' if r['met'] else 'missed'} with "
                f"{r['achieved']:g}, the schedule gives {t['achieved']:g}"
            )
        if bool(t["hard"]) and not bool(t["met"]):
            issues.append(f"hard target {name} is not met ({t['achieved']:g} of {t['required']:g})")
    return issues
