"""Running (or resuming) a sweep: experiments dispatched to an executor, each finished row
kept in ``OUT/parts``, the results assembled in ``OUT/results.parquet``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from wzmodel.io import OUTPUT_MARKER, atomic_write_text, claim_output
from wzmodel.planner import make_plan, prepare, rule_of_thumb_plan
from wzmodel.scenario import Scenario, Uncertainty
from wzmodel.schema import InputError, Problem
from wzmodel.sweep.design import _plain, apply_inputs, read_uncertainty, sample_design
from wzmodel.sweep.executors import Executor, SequentialExecutor
from wzmodel.sweep.experiment import (
    ExperimentTask,
    FixedPlan,
    Mode,
    _dataset_for,
    run_experiment,
)
from wzmodel.sweep.results import SweepResult, _assemble, _metadata, _write_parquet

__all__ = ["run_sweep"]


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
    mode : ``recheck`` (re-evaluate a fixed plan per lever setting) or ``replan``.
    executor : where experiments run (default :class:`SequentialExecutor`); entered here.
    reference : ``recheck`` only — the fixed plan: ``"optimised"`` (planned once per lever
        setting on the unperturbed scenario), ``"rule_of_thumb"``, or a
        :class:`~wzmodel.planner.plan.Plan` used for every lever setting.
    progress : show a progress bar (only on a terminal).
    evaluate : the function evaluating one experiment (must be picklable for other processes).

    Returns
    -------
    SweepResult

    Raises
    ------
    InputError
        Bad declarations, or ``out`` holding a different sweep.
    """
    if mode not in ("recheck", "replan"):
        raise InputError([Problem("sweep", "mode 'recheck' or 'replan'", None, "mode", mode)])
    spec = read_uncertainty(scenario)
    design = sample_design(spec, samples)
    out = claim_output(out, "sweep")
    parts = out / "parts"
    parts.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / OUTPUT_MARKER, json.dumps({"command": "sweep"}) + "\n")
    manifest = _manifest(scenario, spec, design, mode, reference)
    _check_manifest(out / "sweep.json", manifest)
    if mode == "recheck":
        references = _references(scenario, spec, out, reference)
    else:
        _check_lever_settings(scenario, spec)
        references = dict.fromkeys(range(len(spec.lever_settings)))
    done = {int(p.stem) for p in parts.glob("*.parquet") if p.stem.isdigit()}
    input_names = [p.name for p in spec.parameters] + [lever.name for lever in spec.levers]
    tasks = [ExperimentTask(int(r["experiment_id"]), int(r["lever_id"]), int(r["sample_id"]),
                            {k: _plain(r[k]) for k in input_names}, scenario, mode,
                            references[int(r["lever_id"])])
             for r in design.to_dict("records") if int(r["experiment_id"]) not in done]
    # imported here: tqdm.auto chooses (and, without ipywidgets, warns about) a notebook bar when
    # imported, so importing wzmodel.sweep stays silent until a sweep runs
    from tqdm.auto import tqdm

    show = progress and sys.stderr.isatty()
    with (executor or SequentialExecutor()) as ex, \
            tqdm(total=len(design), initial=len(design) - len(tasks), disable=not show,
                 desc="experiments", unit="exp") as bar:
        for row in ex.imap_unordered(evaluate, tasks):
            _write_parquet(pd.DataFrame([row]), parts / f"{int(row['experiment_id'])}.parquet")
            bar.update(1)
    results = _assemble(parts, design)
    path = out / "results.parquet"
    _write_parquet(results, path, metadata=_metadata(scenario, spec, mode, len(design)))
    return SweepResult(results, design, spec, path, len(tasks), scenario.name, mode)


def _manifest(scenario: Scenario, spec: Uncertainty, design: pd.DataFrame, mode: str,
              reference: Any) -> dict[str, Any]:
    ref = reference if isinstance(reference, str) else f"plan:{getattr(reference, 'name', '?')}"
    return {"scenario_digest": scenario.digest(), "mode": mode, "reference": ref,
            "experiments": len(design), "declarations": spec.model_dump(mode="json")}


def _check_manifest(path: Path, manifest: dict[str, Any]) -> None:
    if path.exists():
        previous = json.loads(path.read_text(encoding="utf-8"))
        if previous != json.loads(json.dumps(manifest)):
            raise InputError([Problem(str(path), "the same sweep (scenario, declarations, samples,"
                                      " mode) as the one resumed — use another --out folder")])
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


def _references(scenario: Scenario, spec: Uncertainty, out: Path,
                reference: Any) -> dict[int, FixedPlan]:
    """The fixed plan of every lever setting, cached in ``out/reference`` so a resumed sweep
    re-checks the very same plans."""
    folder = out / "reference"
    folder.mkdir(exist_ok=True)
    plans: dict[int, FixedPlan] = {}
    for lever_id, setting in enumerate(spec.lever_settings):
        files = {t: folder / f"lever_{lever_id}_{t}.parquet" for t in ("schedule", "funding")}
        if not all(f.exists() for f in files.values()):
            if not isinstance(reference, str):
                plan = reference
            else:
                base, data = apply_inputs(scenario, _dataset_for(scenario), spec, setting)
                problem = prepare(base, data)
                if reference == "rule_of_thumb":
                    plan = rule_of_thumb_plan(problem)
                elif reference == "optimised":
                    plan = make_plan(base, problem=problem)
                else:
                    raise InputError([Problem("sweep", "reference 'optimised', 'rule_of_thumb' or "
                                              "a Plan", None, "reference", reference)])
            if plan.schedule.empty and plan.outcome is not None and not plan.outcome.has_solution:
                raise InputError([Problem("sweep", f"a reference plan for lever setting "
                                          f"{setting} (planning found none: "
                                          f"{plan.outcome.status})")])
            for table, path in files.items():
                _write_parquet(getattr(plan, table), path)
        plans[lever_id] = FixedPlan(*(pd.read_parquet(files[t]) for t in ("schedule", "funding")))
    return plans
