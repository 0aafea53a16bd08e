"""Evaluating one experiment: re-checking a fixed plan, or re-planning, on perturbed inputs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from wzmodel.data import Dataset, load_dataset
from wzmodel.planner import make_plan, prepare
from wzmodel.planner.check import check_against
from wzmodel.planner.plan import Plan
from wzmodel.scenario import Scenario
from wzmodel.standards import load_standards
from wzmodel.sweep.design import _plain, apply_inputs
from wzmodel.vocabulary import HEADLINE_YEARS

__all__ = ["COVERAGE_GROUP", "ExperimentTask", "FixedPlan", "Mode", "run_experiment"]

Mode = Literal["recheck", "replan"]
#: Zone group whose coverage in the headline years is reported per experiment.
COVERAGE_GROUP = "main_urban+new_town"


@dataclass(frozen=True)
class FixedPlan:
    """What a re-check needs of a plan: its schedule and its funding (the shares are kept)."""

    schedule: pd.DataFrame
    funding: pd.DataFrame


@dataclass(frozen=True)
class ExperimentTask:
    """Everything one experiment needs, picklable for other processes and machines.

    Attributes
    ----------
    experiment_id : the experiment's id in the design.
    lever_id, sample_id : its lever setting and parameter sample.
    inputs : parameter and lever values by name.
    scenario : the base scenario (with its declarations).
    mode : ``recheck`` or ``replan``.
    reference : the fixed plan of this lever setting (``recheck`` only).
    """

    experiment_id: int
    lever_id: int
    sample_id: int
    inputs: dict[str, Any]
    scenario: Scenario
    mode: Mode
    reference: FixedPlan | None = None


_DATASETS: dict[tuple, Dataset] = {}


def _dataset_for(scenario: Scenario) -> Dataset:
    """The scenario's data, read once per process (experiments never modify it)."""
    key = (str(scenario.data), str(scenario.standards.basic), str(scenario.standards.featured))
    if key not in _DATASETS:
        standards = load_standards(scenario.standards.basic, scenario.standards.featured)
        _DATASETS[key] = load_dataset(scenario.data, indicators=standards.indicators())
    return _DATASETS[key]


def run_experiment(task: ExperimentTask) -> dict[str, Any]:
    """Evaluate one experiment; returns its results row (no timings, so runs are identical).

    Columns: ``experiment_id``, ``lever_id``, ``sample_id``, the inputs, ``mode``, ``status``,
    ``holds`` (within every budget and sharing bound, every hard target met), one
    ``met_<target>`` per target, ``coverage_<year>`` (share of communities complete in the main
    urban area and new towns), ``money_total_yuan``, ``money_public_yuan``, ``objective``,
    ``gap``, ``budget_violations``, ``violations``.
    """
    scenario, dataset = apply_inputs(task.scenario, _dataset_for(task.scenario),
                                     task.scenario.uncertainty, task.inputs)
    problem = prepare(scenario, dataset)
    if task.mode == "replan":
        plan = make_plan(scenario, problem=problem)
        status = plan.outcome.status
        has_solution = plan.outcome.has_solution
        objective, gap = plan.outcome.objective, plan.outcome.gap
    else:
        if task.reference is None:
            raise ValueError("a recheck experiment needs a reference plan")
        plan = Plan.from_schedule(problem, task.reference.schedule, task.reference.funding,
                                  name=f"{scenario.name} (fixed plan)")
        has_solution, gap = True, None
        objective = _fixed_plan_objective(plan, scenario)
        status = None
    issues = check_against(plan, problem) if has_solution else []
    budget = sum(issue.startswith("budget exceeded") for issue in issues)
    if status is None:
        status = "holds" if not issues else "violated"
    row: dict[str, Any] = {"experiment_id": task.experiment_id, "lever_id": task.lever_id,
                           "sample_id": task.sample_id}
    row.update({k: _plain(v) for k, v in task.inputs.items()})
    row.update({"mode": task.mode, "status": status, "holds": has_solution and not issues})
    met = dict(zip(plan.targets["target"], plan.targets["met"], strict=True))
    for name in sorted(scenario.targets):
        row[f"met_{name}"] = bool(has_solution and met.get(name, False))
    for year in HEADLINE_YEARS:
        if year in scenario.years:
            row[f"coverage_{year}"] = (plan.coverage_at(year, COVERAGE_GROUP) if has_solution
                                       else math.nan)
    row["money_total_yuan"] = plan.kpi("money_total") if has_solution else math.nan
    row["money_public_yuan"] = plan.kpi("money_public") if has_solution else math.nan
    row["objective"] = math.nan if objective is None else float(objective)
    row["gap"] = math.nan if gap is None else float(gap)
    row["budget_violations"] = int(budget)
    row["violations"] = len(issues)
    return row


def _fixed_plan_objective(plan: Any, scenario: Scenario) -> float:
    """The scenario's objective for a fixed schedule: coverage-years or public money."""
    if scenario.objective.kind == "coverage_years":
        return plan.kpi("coverage_years")
    return plan.kpi("money_public")
