"""Scenario exploration at scale: sample uncertain parameters, cross them with policy levers, and
evaluate every experiment — by re-checking a fixed plan (cheap) or by re-planning (expensive).

Declarations live in the scenario file's ``[uncertainty]`` table::

    [uncertainty]
    seed = 42
    method = "lhs"            # lhs | sobol | factorial
    samples = 32              # default sample count (the CLI's --samples overrides it)

    [uncertainty.parameters.cost_overrun_service]   # a range, sampled
    path = "funding.cost_scale.service_facilities"
    low = 0.9
    high = 1.4

    [uncertainty.parameters.household_growth]       # a multiplier on the data
    path = "dataset.communities.households"
    low = 1.0
    high = 1.1

    [uncertainty.levers.option]                      # a policy choice, crossed in full
    path = "funding.sharing_option"
    values = ["fiscal_led", "utilities_owners"]

A ``path`` names a scenario key with dots and is applied through :meth:`Scenario.update`; the one
data path, ``dataset.communities.households``, multiplies every community's households and
residents (rounded to whole numbers), which raises the household-driven gaps (service floor area).

The design is the full factorial of the levers crossed with one parameter sample (the same
sample for every lever setting, so that levers are compared on common draws):
``experiment_id = lever_id × samples + sample_id``. The same seed gives the same design.

Evaluation modes
----------------
``recheck``  each lever setting has one fixed reference plan (optimised for the unperturbed
             scenario, the rule of thumb, or a plan the caller gives). Per experiment the plan's
             schedule is re-evaluated on the perturbed data — costs follow the perturbation, the
             funding keeps the plan's shares — and :func:`~wzmodel.planner.check.check_against`
             lists what breaks (budgets, sharing bounds, hard targets).
``replan``   each experiment is planned afresh with :func:`~wzmodel.planner.make_plan`.

Execution
---------
:func:`run_sweep` dispatches the experiments to an executor — :class:`SequentialExecutor`,
:class:`ProcessExecutor` (local processes, ``spawn`` start method: HiGHS threads and ``fork``
do not mix) or :class:`DaskExecutor` (a ``dask.distributed`` scheduler, or a local cluster) —
writes each finished row to ``OUT/parts/<id>.parquet`` atomically, skips ids already there (an
interrupted sweep resumes), and assembles ``OUT/results.parquet``, sorted by experiment id, with
the package versions, seed, method and scenario digest in the Parquet schema metadata. Every
experiment is deterministic, so the results do not depend on the executor.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy.stats import qmc

from wzmodel.data import Dataset, load_dataset
from wzmodel.io import OUTPUT_MARKER, atomic_write_text, claim_output
from wzmodel.robustness import target_probabilities
from wzmodel.scenario import Scenario
from wzmodel.schema import InputError, Problem
from wzmodel.standards import load_standards
from wzmodel.vocabulary import HEADLINE_YEARS

__all__ = [
    "DATASET_PATHS", "DaskExecutor", "ExperimentTask", "Lever", "Parameter", "ProcessExecutor",
    "SequentialExecutor", "SweepResult", "Uncertainty", "apply_inputs",
    "make_executor", "read_results", "read_uncertainty", "run_experiment", "run_sweep",
    "sample_design",
]

Mode = Literal["recheck", "replan"]
Method = Literal["lhs", "sobol", "factorial"]
LeverValue = str | int | float | bool

#: Data paths a parameter may address (multipliers), besides scenario keys.
DATASET_PATHS = ("dataset.communities.households",)
#: Zone group whose coverage in the headline years is reported per experiment.
COVERAGE_GROUP = "main_urban+new_town"
METADATA_KEY = b"wzmodel.sweep"
_VERSIONED = ("wzmodel", "pulp", "highspy", "numpy", "pandas", "scipy", "pyarrow", "pydantic")


# ============================================================================================
# Declarations
# ============================================================================================
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Parameter(_Strict):
    """An uncertain parameter: a value drawn uniformly from ``[low, high]``.

    Attributes
    ----------
    name : the column name of this parameter in the design and the results.
    path : dotted scenario key (``funding.cost_scale.service_facilities``) or a data path from
        :data:`DATASET_PATHS` (a multiplier).
    low, high : the range (``low < high``), in the unit of the addressed key.
    """

    name: str
    path: str = Field(min_length=1)
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Parameter:
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class Lever(_Strict):
    """A policy lever: every value is tried (full factorial with the other levers).

    Attributes
    ----------
    name : the column name of this lever in the design and the results.
    path : dotted scenario key, e.g. ``funding.sharing_option``.
    values : the settings to compare (at least one, no repeats).
    """

    name: str
    path: str = Field(min_length=1)
    values: tuple[LeverValue, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct(self) -> Lever:
        if len(set(map(repr, self.values))) != len(self.values):
            raise ValueError("values must not repeat")
        return self


class Uncertainty(_Strict):
    """The ``[uncertainty]`` table of a scenario, parsed.

    Attributes
    ----------
    seed : seed of the parameter sampler (the design is a function of it).
    method : ``lhs`` (Latin hypercube), ``sobol`` (scrambled Sobol', power-of-two sample
        counts) or ``factorial`` (``samples`` evenly spaced levels per parameter, crossed).
    samples : default number of parameter samples (levels per parameter for ``factorial``).
    parameters, levers : in declaration order.
    """

    seed: int = 0
    method: Method = "lhs"
    samples: int | None = Field(None, gt=0)
    parameters: tuple[Parameter, ...] = ()
    levers: tuple[Lever, ...] = ()

    @property
    def lever_settings(self) -> list[dict[str, LeverValue]]:
        """Every combination of lever values, first lever slowest (``[{}]`` without levers)."""
        names = [lever.name for lever in self.levers]
        combos = itertools.product(*(lever.values for lever in self.levers))
        return [dict(zip(names, combo, strict=True)) for combo in combos]

    def path_of(self, name: str) -> str:
        for item in (*self.parameters, *self.levers):
            if item.name == name:
                return item.path
        raise KeyError(name)


def read_uncertainty(scenario: Scenario) -> Uncertainty:
    """Parse and check the scenario's ``[uncertainty]`` table.

    Every path is tried on the scenario (each parameter at both ends of its range, each lever
    value), so a misspelt key or an invalid value is reported before any experiment runs.

    Raises
    ------
    InputError
        Naming every problem: unknown keys, bad ranges, unknown paths, invalid values.
    """
    where = str(scenario.source_file or "scenario")
    raw = dict(scenario.uncertainty)
    problems: list[Problem] = []
    items: dict[str, list[dict]] = {"parameters": [], "levers": []}
    for kind in items:
        table = raw.pop(kind, {})
        if not isinstance(table, dict):
            problems.append(Problem(where, "a table of named declarations", None,
                                    f"uncertainty.{kind}", None))
            continue
        for name, body in table.items():
            if not isinstance(body, dict):
                problems.append(Problem(where, "a table with path and range or values", None,
                                        f"uncertainty.{kind}.{name}", body))
                continue
            items[kind].append({"name": name, **body})
    if not items["parameters"] and not items["levers"]:
        problems.append(Problem(where, "at least one [uncertainty.parameters.*] or "
                                "[uncertainty.levers.*] declaration"))
    try:
        spec = Uncertainty.model_validate({**raw, **items})
    except ValidationError as exc:
        for err in exc.errors():
            loc = list(err["loc"])
            if len(loc) >= 2 and loc[0] in ("parameters", "levers") and isinstance(loc[1], int):
                loc[1] = items[str(loc[0])][loc[1]]["name"]
            column = ".".join(["uncertainty", *map(str, loc)])
            value = err.get("input")
            problems.append(Problem(where, err["msg"], None, column,
                                    None if isinstance(value, dict) else value))
        raise InputError(problems, "uncertainty declarations") from None
    if problems:
        raise InputError(problems, "uncertainty declarations")
    problems += _path_problems(scenario, spec, where)
    if problems:
        raise InputError(problems, "uncertainty declarations")
    return spec


def _path_problems(scenario: Scenario, spec: Uncertainty, where: str) -> list[Problem]:
    problems = []
    seen: dict[str, str] = {}
    trials: list[tuple[str, str, Any]] = []
    for p in spec.parameters:
        trials += [(f"uncertainty.parameters.{p.name}", p.path, p.low),
                   (f"uncertainty.parameters.{p.name}", p.path, p.high)]
    for lever in spec.levers:
        trials += [(f"uncertainty.levers.{lever.name}", lever.path, v) for v in lever.values]
    for column, path, value in trials:
        owner = column.rsplit(".", 1)[1]
        if seen.setdefault(path, owner) != owner:
            problems.append(Problem(where, f"one declaration per path (also declared by "
                                    f"{seen[path]})", None, column, path))
            continue
        if path.startswith("dataset."):
            if path not in DATASET_PATHS:
                expected = f"a scenario key or one of {', '.join(DATASET_PATHS)}"
                problems.append(Problem(where, expected, None, f"{column}.path", path))
            elif not (isinstance(value, int | float) and value > 0):
                problems.append(Problem(where, "a positive multiplier", None, column, value))
            continue
        try:
            scenario.update(**nested_override(path, value))
        except InputError as exc:
            detail = "; ".join(f"{p.column}: {p.expected}" for p in exc.problems)
            problems.append(Problem(where, f"a path and value the scenario accepts ({detail})",
                                    None, f"{column}.path", f"{path} = {value!r}"))
    unique = {(p.column, p.value): p for p in problems}  # low and high often fail alike
    return list(unique.values())


def nested_override(path: str, value: Any) -> dict[str, Any]:
    """``"a.b.c", v`` → ``{"a": {"b": {"c": v}}}`` (the form :meth:`Scenario.update` takes)."""
    keys = path.split(".")
    if any(not k for k in keys):
        raise InputError([Problem("uncertainty", "a dotted key without empty parts", None,
                                  "path", path)])
    override: Any = value
    for key in reversed(keys):
        override = {key: override}
    return override


def _merge_into(target: dict[str, Any], override: dict[str, Any]) -> None:
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge_into(target[key], value)
        else:
            target[key] = value


# ============================================================================================
# Sampling
# ============================================================================================
def sample_design(spec: Uncertainty, samples: int | None = None) -> pd.DataFrame:
    """The experiments: levers (full factorial) × parameter samples.

    Parameters
    ----------
    spec : the declarations.
    samples : parameter samples (levels per parameter for ``factorial``); default
        ``spec.samples``. Ignored when no parameter is declared (one sample).

    Returns
    -------
    DataFrame
        ``experiment_id``, ``lever_id``, ``sample_id``, one column per parameter (float) and per
        lever, ordered by ``experiment_id = lever_id × n_samples + sample_id``.
    """
    n = samples if samples is not None else spec.samples
    unit = _unit_sample(spec, n)
    lows = np.array([p.low for p in spec.parameters])
    highs = np.array([p.high for p in spec.parameters])
    values = qmc.scale(unit, lows, highs) if spec.parameters else unit
    settings = spec.lever_settings
    n_samples = len(values)
    rows = []
    for lever_id, setting in enumerate(settings):
        for sample_id in range(n_samples):
            row: dict[str, Any] = {"experiment_id": lever_id * n_samples + sample_id,
                                   "lever_id": lever_id, "sample_id": sample_id}
            row.update({p.name: float(values[sample_id, j]) for j, p in enumerate(spec.parameters)})
            row.update(setting)
            rows.append(row)
    return pd.DataFrame(rows)


def _unit_sample(spec: Uncertainty, n: int | None) -> np.ndarray:
    d = len(spec.parameters)
    if d == 0:
        return np.zeros((1, 0))
    if n is None or n < 1:
        raise InputError([Problem("uncertainty", "a positive number of samples (--samples or "
                                  "uncertainty.samples)", None, "samples", n)])
    if spec.method == "lhs":
        return qmc.LatinHypercube(d, rng=np.random.default_rng(spec.seed)).random(n)
    if spec.method == "sobol":
        if n & (n - 1):
            lower = 1 << (n.bit_length() - 1)
            expected = f"a power-of-two sample count for Sobol' sampling ({lower} or {2 * lower})"
            raise InputError([Problem("uncertainty", expected, None, "samples", n)])
        engine = qmc.Sobol(d, scramble=True, rng=np.random.default_rng(spec.seed))
        return engine.random_base2(int(math.log2(n)))
    levels = np.linspace(0.0, 1.0, n) if n > 1 else np.array([0.5])
    return np.array(list(itertools.product(levels, repeat=d)))


def apply_inputs(scenario: Scenario, dataset: Dataset, spec: Uncertainty,
                 inputs: dict[str, Any]) -> tuple[Scenario, Dataset]:
    """The scenario and data of one experiment (``inputs``: parameter and lever values by name)."""
    overrides: dict[str, Any] = {}
    household_factor = 1.0
    for name, value in inputs.items():
        path = spec.path_of(name)
        if path == "dataset.communities.households":
            household_factor *= float(value)
        else:
            _merge_into(overrides, nested_override(path, _plain(value)))
    if overrides:
        scenario = scenario.update(**overrides)
    if household_factor != 1.0:
        dataset = _scale_households(dataset, household_factor)
    return scenario, dataset


def _scale_households(dataset: Dataset, factor: float) -> Dataset:
    c = dataset.communities.copy()
    for column in ("households", "residents"):
        grown = np.maximum(1.0, np.rint(c[column].to_numpy(dtype=float) * factor))
        c[column] = pd.Series(grown, index=c.index).astype(c[column].dtype)
    return replace(dataset, communities=c)


def _plain(value: Any) -> Any:
    """NumPy scalars to Python ones (pydantic and JSON want plain values)."""
    return value.item() if isinstance(value, np.generic) else value


# ============================================================================================
# Evaluating one experiment
# ============================================================================================
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
    from wzmodel.planner import make_plan, prepare
    from wzmodel.planner.check import check_against
    from wzmodel.planner.plan import Plan

    spec = read_uncertainty(task.scenario)
    scenario, dataset = apply_inputs(task.scenario, _dataset_for(task.scenario), spec, task.inputs)
    problem = prepare(scenario, dataset)
    if task.mode == "replan":
        plan = make_plan(scenario, problem=problem)
        status = plan.outcome["status"]
        has_solution = status in ("optimal", "feasible")
        objective, gap = plan.outcome.get("objective"), plan.outcome.get("gap")
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


# ============================================================================================
# Executors
# ============================================================================================
class Executor(Protocol):
    """Runs tasks and yields their results as they finish (order unspecified)."""

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc: object) -> None: ...

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]: ...


class SequentialExecutor:
    """One task after another in this process."""

    def __enter__(self) -> SequentialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        for task in tasks:
            yield fn(task)


class ProcessExecutor:
    """Local worker processes (``concurrent.futures``), started with ``spawn`` by default.

    Parameters
    ----------
    workers : number of processes; default all cores.
    start_method : ``spawn`` or ``forkserver`` — not ``fork``, which copies a parent's solver
        threads and locks into the child.
    """

    def __init__(self, workers: int | None = None, *, start_method: str = "spawn") -> None:
        if start_method not in ("spawn", "forkserver"):
            raise ValueError("start_method must be 'spawn' or 'forkserver'")
        self.workers = workers or os.cpu_count() or 1
        self.start_method = start_method
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ProcessExecutor:
        import multiprocessing

        context = multiprocessing.get_context(self.start_method)
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        if self._pool is None:
            raise RuntimeError("use ProcessExecutor as a context manager")
        futures = [self._pool.submit(fn, task) for task in tasks]
        for future in as_completed(futures):
            yield future.result()


class DaskExecutor:
    """A ``dask.distributed`` cluster: an existing scheduler, or a local cluster started here.

    Parameters
    ----------
    address : scheduler address (``tcp://host:8786``); None starts a ``LocalCluster``.
    workers : workers of the local cluster (one thread each).
    processes : local workers as processes (True) or threads in this process (False).
    """

    def __init__(self, address: str | None = None, *, workers: int = 2,
                 processes: bool = True) -> None:
        self.address = address
        self.workers = workers
        self.processes = processes
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> DaskExecutor:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise InputError([Problem("dask", "dask[distributed] installed (pip install "
                                      "'wzmodel[distributed]')")]) from exc
        if self.address:
            self._client = Client(self.address)
        else:
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                         processes=self.processes, dashboard_address=None)
            self._client = Client(self._cluster)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        from dask.distributed import as_completed as dask_as_completed

        if self._client is None:
            raise RuntimeError("use DaskExecutor as a context manager")
        futures = self._client.map(fn, list(tasks), pure=False)
        for future in dask_as_completed(futures):
            yield future.result()


def make_executor(workers: int | None = None, scheduler: str | None = None) -> Executor:
    """An executor from CLI-style options: ``scheduler`` → Dask (``"local"`` starts a local
    cluster of ``workers``), ``workers == 1`` → sequential, otherwise local processes."""
    if scheduler:
        if scheduler == "local":
            return DaskExecutor(workers=workers or os.cpu_count() or 1)
        return DaskExecutor(scheduler)
    if workers == 1:
        return SequentialExecutor()
    return ProcessExecutor(workers)


# ============================================================================================
# The sweep
# ============================================================================================
@dataclass
class SweepResult:
    """A finished sweep.

    Attributes
    ----------
    results : one row per experiment, sorted by ``experiment_id`` (see
        :func:`~wzmodel.sweep.run_experiment`).
    design : the experiments' inputs.
    spec : the declarations.
    path : ``OUT/results.parquet``.
    evaluated : experiments run in this call (the others were already in ``OUT/parts``).
    scenario : the swept scenario's name.
    mode : ``recheck`` or ``replan``.
    """

    results: pd.DataFrame
    design: pd.DataFrame
    spec: Uncertainty
    path: Path
    evaluated: int
    scenario: str
    mode: str

    def summary(self) -> str:
        """What ran, the probability of meeting each target per lever setting, and where the
        results are."""
        done = len(self.results) - self.evaluated
        table = target_probabilities(self.results, by=[lever.name for lever in self.spec.levers])
        return "\n".join([
            f"Sweep of '{self.scenario}': {len(self.results)} experiments ({self.evaluated} run "
            f"now, {done} already done), mode {self.mode}",
            table.round(3).to_string(index=False),
            f"Results: {self.path}",
        ])


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
    from wzmodel.planner import prepare

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
    from wzmodel.planner import make_plan, prepare, rule_of_thumb_plan

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
            if plan.schedule.empty and plan.outcome.get("status") not in (None, "optimal",
                                                                           "feasible"):
                raise InputError([Problem("sweep", f"a reference plan for lever setting "
                                          f"{setting} (planning found none: "
                                          f"{plan.outcome.get('status')})")])
            for table, path in files.items():
                _write_parquet(getattr(plan, table), path)
        plans[lever_id] = FixedPlan(*(pd.read_parquet(files[t]) for t in ("schedule", "funding")))
    return plans


def _assemble(parts: Path, design: pd.DataFrame) -> pd.DataFrame:
    wanted = set(design["experiment_id"].astype(int))
    frames = [pd.read_parquet(p) for p in sorted(parts.glob("*.parquet"))
              if p.stem.isdigit() and int(p.stem) in wanted]
    results = pd.concat(frames, ignore_index=True)
    return results.sort_values("experiment_id", kind="stable", ignore_index=True)


def _metadata(scenario: Scenario, spec: Uncertainty, mode: str, n: int) -> dict[str, Any]:
    versions = {}
    for package in _VERSIONED:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "unknown"
    return {"scenario": scenario.name, "scenario_digest": scenario.digest(), "seed": spec.seed,
            "method": spec.method, "mode": mode, "experiments": n, "versions": versions,
            "objective": scenario.objective.kind,
            "declarations": spec.model_dump(mode="json")}


def _write_parquet(frame: pd.DataFrame, path: Path, *, metadata: dict | None = None) -> None:
    """Write ``frame`` to ``path`` atomically (temporary file in the same folder, then rename)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if metadata is not None:
        extra = {METADATA_KEY: json.dumps(metadata, sort_keys=True).encode()}
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **extra})
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_results(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A sweep's ``results.parquet`` and its metadata (versions, seed, scenario digest, ...)."""
    path = Path(path)
    if path.is_dir():
        path = path / "results.parquet"
    table = pq.read_table(path)
    raw = (table.schema.metadata or {}).get(METADATA_KEY)
    return table.to_pandas(), json.loads(raw) if raw else {}
