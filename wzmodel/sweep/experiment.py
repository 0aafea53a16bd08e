"""Evaluating one experiment: re-checking a fixed plan, or re-planning, on perturbed inputs."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import pandas as pd

from wzmodel.data import Dataset, load_dataset
from wzmodel.planner import make_plan, prepare
from wzmodel.planner.check import check_against
from wzmodel.planner.plan import Plan
from wzmodel.planner.refund import fund_schedule
from wzmodel.scenario import Scenario
from wzmodel.solver.price_and_branch import WarmStart
from wzmodel.standards import load_standards
from wzmodel.sweep.design import _plain, apply_inputs
from wzmodel.vocabulary import HEADLINE_YEARS

__all__ = ["COVERAGE_GROUP", "ExperimentTask", "FixedPlan", "Mode", "NoPlan", "run_experiment"]

Mode = Literal["recheck", "replan"]
#: Zone group whose coverage in the headline years is reported per experiment.
COVERAGE_GROUP = "main_urban+new_town"


@dataclass(frozen=True)
class FixedPlan:
    """What a re-check needs of a plan: its schedule and its funding (its shares are kept where
    the experiment's budgets allow);
    and what a warm re-plan starts from: the schedule and the solver's ``warm`` state (price and
    branch only; see :func:`wzmodel.planner.make_plan`'s ``previous``)."""

    schedule: pd.DataFrame
    funding: pd.DataFrame
    warm: WarmStart | None = None


@dataclass(frozen=True)
class NoPlan:
    """What is known when planning found no plan: the status and the diagnosis in figures.

    Attributes
    ----------
    status : the planner's status (``infeasible``, ``no_solution``, ``error``).
    extra_money_yuan : the least extra money, over every source and year, that would meet every
        hard target; ``inf`` when the diagnosis found no amount that does (other constraints
        prevent it, or the solver's limits came first); NaN without a diagnosis (planning
        stopped for another reason than infeasibility).
    shortfall : per target, how far the best plan within the budgets falls short, in the
        target's unit (0 when met); empty without a diagnosis.
    diagnosis : the diagnosis in words ("" without one).
    """

    status: str
    extra_money_yuan: float
    shortfall: dict[str, float]
    diagnosis: str

    @classmethod
    def of(cls, plan: Plan) -> NoPlan:
        """The status and diagnosis of a plan without a solution (from :func:`make_plan`)."""
        status = plan.outcome.status if plan.outcome is not None else "no_solution"
        detail = plan.diagnosis_detail
        if detail is None:
            return cls(status, math.nan, {}, plan.diagnosis)
        extra = (float(detail.extra_budget["yuan"].sum()) if not detail.extra_budget.empty
                 else math.inf)
        shortfall = ({} if detail.shortfall.empty else
                     {str(t): float(v) for t, v in zip(detail.shortfall["target"],
                                                       detail.shortfall["shortfall"],
                                                       strict=True)})
        return cls(status, extra, shortfall, detail.text)

    def to_json(self) -> str:
        """As JSON (``NaN`` and ``Infinity`` as Python's ``json`` writes them)."""
        return json.dumps(asdict(self), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> NoPlan:
        """Read back :meth:`to_json`."""
        return cls(**json.loads(text))


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
    reference : the fixed plan of this lever setting (``recheck`` only), or what is known
        about its absence.
    """

    experiment_id: int
    lever_id: int
    sample_id: int
    inputs: dict[str, Any]
    scenario: Scenario
    mode: Mode
    reference: FixedPlan | NoPlan | None = None


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

    Columns, always in this order: ``experiment_id``, ``lever_id``, ``sample_id``, the inputs,
    ``mode``, ``status``, ``feasible`` (there is a plan to evaluate), ``holds`` (within every
    budget and sharing bound, every hard target met), one ``met_<target>`` per target,
    ``coverage_<year>`` (share of communities complete in the main urban area and new towns),
    ``money_total_yuan``, ``money_public_yuan``, ``objective``, ``gap``, ``budget_violations``,
    ``budget_excess_yuan``, ``violations``, ``extra_money_yuan``, one ``shortfall_<target>``
    per target and ``diagnosis``.

    A re-check keeps the reference's schedule and pays its recomputed costs anew
    (:func:`~wzmodel.planner.refund.fund_schedule`): within the sharing rules, with the least
    money beyond the budgets, as close to the reference's own shares as that allows.
    ``budget_excess_yuan`` is that least extra money over every source and year (0 when the
    plan fits its budgets; a re-plan's plan always does); ``budget_violations`` counts the
    (source, year) budgets it exceeds.

    Without a plan — re-planning found none, or the lever setting's reference plan is missing
    (``status = "no_reference"``) — ``feasible``, ``holds`` and every ``met_<target>`` are
    False, the plan's figures NaN, the violation counts 0, and the diagnosis's figures fill
    ``extra_money_yuan`` and ``shortfall_<target>`` (see :class:`NoPlan`). With a plan,
    ``extra_money_yuan`` is NaN and ``shortfall_<target>`` is the plan's own shortfall.
    """
    scenario, dataset = apply_inputs(task.scenario, _dataset_for(task.scenario),
                                     task.scenario.uncertainty, task.inputs)
    plan: Plan | None = None
    missing: NoPlan | None = None
    issues: list[str] = []
    objective = gap = None
    excess = 0.0  # a planned schedule's funding is within its budgets
    if task.mode == "replan":
        problem = prepare(scenario, dataset)
        # warm from the lever setting's reference plan (when it has one): same answer quality,
        # a fraction of the time; the result depends only on the experiment and its reference
        previous = task.reference if isinstance(task.reference, FixedPlan) else None
        found = make_plan(scenario, problem=problem, previous=previous, equal_money=False)
        if found.outcome.has_solution:
            plan, objective, gap = found, found.outcome.objective, found.outcome.gap
            issues = check_against(plan, problem)
            status = found.outcome.status
        else:
            missing = NoPlan.of(found)
            status = missing.status
    elif isinstance(task.reference, NoPlan):
        # nothing to re-check: the row carries the reference's diagnosis (made on the
        # unperturbed scenario of this lever setting)
        missing, status = task.reference, "no_reference"
    elif task.reference is None:
        raise ValueError("a recheck experiment needs a reference plan")
    else:
        problem = prepare(scenario, dataset)
        # the schedule is fixed; its costs are paid anew within the sharing rules, as close to
        # the plan's own shares as the budgets allow (the planner's split is one of many)
        paid = fund_schedule(problem, task.reference.schedule, keep=task.reference.funding)
        plan = Plan.from_schedule(problem, task.reference.schedule, paid.funding,
                                  name=f"{scenario.name} (fixed plan)")
        objective = _fixed_plan_objective(plan, scenario)
        issues = check_against(plan, problem)
        excess = paid.extra_yuan
        status = "holds" if not issues else "violated"
    row: dict[str, Any] = {"experiment_id": task.experiment_id, "lever_id": task.lever_id,
                           "sample_id": task.sample_id}
    row.update({k: _plain(v) for k, v in task.inputs.items()})
    row.update({"mode": task.mode, "status": status, "feasible": plan is not None,
                "holds": plan is not None and not issues})
    targets = sorted(scenario.targets)
    met = {} if plan is None else dict(zip(plan.targets["target"], plan.targets["met"],
                                           strict=True))
    for name in targets:
        row[f"met_{name}"] = bool(met.get(name, False))
    for year in HEADLINE_YEARS:
        if year in scenario.years:
            row[f"coverage_{year}"] = (math.nan if plan is None
                                       else plan.coverage_at(year, COVERAGE_GROUP))
    row["money_total_yuan"] = math.nan if plan is None else plan.kpi("money_total")
    row["money_public_yuan"] = math.nan if plan is None else plan.kpi("money_public")
    row["objective"] = math.nan if objective is None else float(objective)
    row["gap"] = math.nan if gap is None else float(gap)
    row["budget_violations"] = sum(issue.startswith("budget exceeded") for issue in issues)
    row["budget_excess_yuan"] = math.nan if plan is None else excess
    row["violations"] = len(issues)
    row["extra_money_yuan"] = math.nan if missing is None else missing.extra_money_yuan
    shortfall = (missing.shortfall if missing is not None
                 else dict(zip(plan.targets["target"], plan.targets["shortfall"], strict=True)))
    for name in targets:
        row[f"shortfall_{name}"] = float(shortfall.get(name, math.nan))
    row["diagnosis"] = "" if missing is None else missing.diagnosis
    return row


def _fixed_plan_objective(plan: Any, scenario: Scenario) -> float:
    """The scenario's objective for a fixed schedule: coverage-years or public money."""
    if scenario.objective.kind == "coverage_years":
        return plan.kpi("coverage_years")
    return plan.kpi("money_public")
