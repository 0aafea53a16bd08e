"""Running (or resuming) a sweep: experiments dispatched to an executor, each finished row
kept in ``OUT/parts``, the results assembled in ``OUT/results.parquet``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from wzmodel.io import atomic_write_text, claim_output, mark_output
from wzmodel.planner import make_plan, prepare, rule_of_thumb_plan
from wzmodel.planner.plan import Plan
from wzmodel.scenario import Scenario, Uncertainty
from wzmodel.schema import InputError, Problem
from wzmodel.solver.price_and_branch import WarmStart
from wzmodel.sweep.briefing import sweep_page
from wzmodel.sweep.design import _plain, apply_inputs, read_uncertainty, sample_design
from wzmodel.sweep.executors import Executor, SequentialExecutor
from wzmodel.sweep.experiment import (
    ExperimentTask,
    FixedPlan,
    Mode,
    NoPlan,
    _dataset_for,
    run_experiment,
)
from wzmodel.sweep.results import SweepResult, _assemble, _metadata, _write_parquet

__all__ = ["REFERENCES", "ReferenceTask", "plan_reference", "run_sweep"]

#: The reference plans ``run_sweep`` can make itself (``recheck`` mode).
REFERENCES = ("optimised", "rule_of_thumb")
#: Version of the results' columns, kept in ``sweep.json``: parts of an older version are never
#: mixed into new results (2: ``feasible``, ``extra_money_yuan``, ``shortfall_*``, ``diagnosis``;
#: 3: ``budget_excess_yuan``, and a re-check pays the fixed schedule anew).
RESULTS_FORMAT = 3


def run_sweep(scenario: Scenario, out: str | Path, *, samples: int | None = None,
              mode: Mode = "recheck", executor: Executor | None = None,
              reference: Literal["optimised", "rule_of_thumb"] | Any = "optimised",
              progress: bool = True,
              evaluate: Callable[[ExperimentTask], dict[str, Any]] = run_experiment,
              ) -> SweepResult:
    """Run (or resume) a sweep of ``scenario``'s declared uncertainty into the folder ``out``.

    Parameters
    ----------
    scenario : a scenario with an ``[uncertainty]`` table.
    out : results folder; ``out/parts`` holds one Parquet file per finished experiment.
    samples : parameter samples (default: ``uncertainty.samples``).
    mode : ``recheck`` (re-evaluate a fixed plan per lever setting) or ``replan`` (plan every
        experiment afresh, warm from its lever setting's reference plan).
    executor : where experiments (and reference plans) run (default
        :class:`SequentialExecutor`); entered here.
    reference : the plan per lever setting — re-checked in ``recheck`` mode, re-planned from
        (warm) in ``replan`` mode: ``"optimised"`` (planned once per lever setting on the
        unperturbed scenario), ``"rule_of_thumb"``, or a :class:`~wzmodel.planner.plan.Plan`
        used for every lever setting. In ``recheck`` mode a lever setting whose reference has
        no solution is no error: its experiments are recorded with status ``no_reference`` and
        the reference's diagnosis; in ``replan`` mode they are planned cold.
    progress : show progress bars — reference plans, then experiments (only on a terminal).
    evaluate : the function evaluating one experiment (must be picklable for other processes).

    Returns
    -------
    SweepResult
        Its briefing page is written to ``out/report.html``.

    Raises
    ------
    InputError
        Bad declarations or lever values, or ``out`` holding a different sweep.
    """
    if mode not in ("recheck", "replan"):
        raise InputError([Problem("sweep", "mode 'recheck' or 'replan'", None, "mode", mode)])
    if mode == "recheck" and isinstance(reference, str) and reference not in REFERENCES:
        raise InputError([Problem("sweep", "reference 'optimised', 'rule_of_thumb' or a Plan",
                                  None, "reference", reference)])
    spec = read_uncertainty(scenario)
    design = sample_design(spec, samples)
    out = claim_output(out, "sweep")
    parts = out / "parts"
    parts.mkdir(parents=True, exist_ok=True)
    mark_output(out, "sweep")
    manifest = _manifest(scenario, spec, design, mode, reference)
    _check_manifest(out / "sweep.json", manifest)
    _check_lever_settings(scenario, spec)
    # imported here: tqdm.auto chooses (and, without ipywidgets, warns about) a notebook bar when
    # imported, so importing wzmodel.sweep stays silent until a sweep runs
    from tqdm.auto import tqdm

    show = progress and sys.stderr.isatty()
    done = {int(p.stem) for p in parts.glob("*.parquet") if p.stem.isdigit()}
    input_names = [p.name for p in spec.parameters] + [lever.name for lever in spec.levers]
    with (executor or SequentialExecutor()) as ex:
        references = _references(scenario, spec, out, reference, ex, show)
        tasks = [ExperimentTask(int(r["experiment_id"]), int(r["lever_id"]), int(r["sample_id"]),
                                {k: _plain(r[k]) for k in input_names}, scenario, mode,
                                references[int(r["lever_id"])])
                 for r in design.to_dict("records") if int(r["experiment_id"]) not in done]
        with tqdm(total=len(design), initial=len(design) - len(tasks), disable=not show,
                  desc="experiments", unit="exp") as bar:
            for row in ex.imap_unordered(evaluate, tasks):
                _write_parquet(pd.DataFrame([row]),
                               parts / f"{int(row['experiment_id'])}.parquet")
                bar.update(1)
    results = _assemble(parts, design)
    path = out / "results.parquet"
    _write_parquet(results, path, metadata=_metadata(scenario, spec, mode, len(design)))
    result = SweepResult(results, design, spec, path, len(tasks), scenario.name, mode, scenario,
                         manifest["reference"] if mode == "recheck" else "")
    atomic_write_text(out / "report.html", sweep_page(result))
    return result


def _manifest(scenario: Scenario, spec: Uncertainty, design: pd.DataFrame, mode: str,
              reference: Any) -> dict[str, Any]:
    ref = reference if isinstance(reference, str) else f"plan:{getattr(reference, 'name', '?')}"
    return {"scenario_digest": scenario.digest(), "mode": mode, "reference": ref,
            "experiments": len(design), "declarations": spec.model_dump(mode="json"),
            "results_format": RESULTS_FORMAT}


def _check_manifest(path: Path, manifest: dict[str, Any]) -> None:
    if path.exists():
        previous = json.loads(path.read_text(encoding="utf-8"))
        if previous != json.loads(json.dumps(manifest)):
            raise InputError([Problem(str(path), "the same sweep (scenario, declarations, samples,"
                                      " mode, results format) as the one resumed — use another"
                                      " --out folder")])
        return
    atomic_write_text(path, json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False)
                       + "\n")


def _check_lever_settings(scenario: Scenario, spec: Uncertainty) -> None:
    """Prepare every lever setting once, so that a value the data reject (an unknown sharing
    option, say) is reported before any experiment runs."""
    problems: list[Problem] = []
    for setting in spec.lever_settings:
        base, data = apply_inputs(scenario, _dataset_for(scenario), spec, setting)
        try:
            prepare(base, data)
        except InputError as exc:
            problems += [replace(p, expected=f"{p.expected} (lever setting {setting})")
                         for p in exc.problems]
    if problems:
        raise InputError(problems, "uncertainty declarations")


@dataclass(frozen=True)
class ReferenceTask:
    """One lever setting's reference plan to make (picklable, like :class:`ExperimentTask`)."""

    lever_id: int
    setting: dict[str, Any]
    scenario: Scenario
    kind: Literal["optimised", "rule_of_thumb"]


def plan_reference(task: ReferenceTask) -> tuple[int, FixedPlan | NoPlan]:
    """The reference plan of one lever setting, planned on its unperturbed scenario; when
    planning finds none, its status and diagnosis (a solve or two more)."""
    base, data = apply_inputs(task.scenario, _dataset_for(task.scenario),
                              task.scenario.uncertainty, task.setting)
    problem = prepare(base, data)
    if task.kind == "rule_of_thumb":
        return task.lever_id, _fixed_or_missing(rule_of_thumb_plan(problem))
    return task.lever_id, _fixed_or_missing(make_plan(base, problem=problem,
                                                           equal_money=False))


def _fixed_or_missing(plan: Plan) -> FixedPlan | NoPlan:
    if plan.schedule.empty and plan.outcome is not None and not plan.outcome.has_solution:
        return NoPlan.of(plan)
    return FixedPlan(plan.schedule, plan.funding, plan.warm)


def _references(scenario: Scenario, spec: Uncertainty, out: Path, reference: Any,
                executor: Executor, show: bool) -> dict[int, FixedPlan | NoPlan]:
    """The fixed plan of every lever setting, or what is known about its absence, cached in
    ``out/reference`` so a resumed sweep re-checks the very same plans.

    Missing references are planned on ``executor`` (one task per lever setting). A lever
    setting without a plan is stored as ``lever_<id>_no_plan.json`` (:class:`NoPlan`).
    """
    from tqdm.auto import tqdm  # see run_sweep

    folder = out / "reference"
    folder.mkdir(exist_ok=True)
    settings = spec.lever_settings
    missing = [lever_id for lever_id in range(len(settings)) if _stored(folder, lever_id) is None]
    if isinstance(reference, str):
        tasks = [ReferenceTask(lever_id, settings[lever_id], scenario, reference)
                 for lever_id in missing]
        found: Iterable[tuple[int, FixedPlan | NoPlan]] = executor.imap_unordered(
            plan_reference, tasks)
    else:
        given = _fixed_or_missing(reference)
        found = ((lever_id, given) for lever_id in missing)
    with tqdm(total=len(settings), initial=len(settings) - len(missing), disable=not show,
              desc="reference plans", unit="plan") as bar:
        for lever_id, plan in found:
            _store(folder, lever_id, plan)
            bar.update(1)
    return {lever_id: _stored(folder, lever_id) for lever_id in range(len(settings))}


def _store(folder: Path, lever_id: int, plan: FixedPlan | NoPlan) -> None:
    if isinstance(plan, NoPlan):
        atomic_write_text(folder / f"lever_{lever_id}_no_plan.json", plan.to_json())
        return
    if plan.warm is not None:  # written first: a reference counts as stored once its tables are
        plan.warm.save(folder / f"lever_{lever_id}_warm.npz")
    for table in ("schedule", "funding"):
        _write_parquet(getattr(plan, table), folder / f"lever_{lever_id}_{table}.parquet")


def _stored(folder: Path, lever_id: int) -> FixedPlan | NoPlan | None:
    """A stored reference, read back from its files (so a fresh and a resumed sweep re-check
    the same tables); None if it is not (completely) stored."""
    no_plan = folder / f"lever_{lever_id}_no_plan.json"
    if no_plan.exists():
        return NoPlan.from_json(no_plan.read_text(encoding="utf-8"))
    files = [folder / f"lever_{lever_id}_{table}.parquet" for table in ("schedule", "funding")]
    if not all(f.exists() for f in files):
        return None
    warm = folder / f"lever_{lever_id}_warm.npz"
    return FixedPlan(*(pd.read_parquet(f) for f in files),
                     WarmStart.load(warm) if warm.exists() else None)
