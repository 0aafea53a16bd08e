"""The experiments of a sweep: the declarations checked against the scenario, the design
(levers crossed with parameter samples) and the scenario and data of one experiment."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from SALib.sample import sobol as salib_sobol
from scipy.stats import qmc

from wzmodel.data import Dataset
from wzmodel.scenario import Scenario, Uncertainty
from wzmodel.schema import InputError, Problem

__all__ = ["DATASET_PATHS", "apply_inputs", "nested_override", "read_uncertainty",
           "saltelli_unit_sample", "sample_design"]

#: Data paths a parameter may address (multipliers), besides scenario keys.
DATASET_PATHS = ("dataset.communities.households",)


def read_uncertainty(scenario: Scenario) -> Uncertainty:
    """The scenario's ``[uncertainty]`` declarations, checked against the scenario.

    The declarations are typed and validated when the scenario loads
    (:class:`~wzmodel.scenario.Uncertainty`). Here every path is tried on the scenario (each
    parameter at both ends of its range, each lever value), so a misspelt key or an invalid
    value is reported before any experiment runs.

    Raises
    ------
    InputError
        Naming every problem: nothing declared, unknown paths, invalid values.
    """
    where = str(scenario.source_file or "scenario")
    spec = scenario.uncertainty
    if not spec.declared:
        raise InputError([Problem(where, "at least one [uncertainty.parameters.*] or "
                                  "[uncertainty.levers.*] declaration")],
                         "uncertainty declarations")
    problems = _path_problems(scenario, spec, where)
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


def sample_design(spec: Uncertainty, samples: int | None = None) -> pd.DataFrame:
    """The experiments: levers (full factorial) × parameter samples.

    Parameters
    ----------
    spec : the declarations.
    samples : parameter samples (levels per parameter for ``factorial``, base points for
        ``saltelli``); default ``spec.samples``. Ignored when no parameter is declared (one
        sample).

    Returns
    -------
    DataFrame
        ``experiment_id``, ``lever_id``, ``sample_id``, one column per parameter (float) and per
        lever, ordered by ``experiment_id = lever_id × n_samples + sample_id``. With
        ``saltelli`` there are ``n_samples = samples × (parameters + 2)`` samples per lever
        setting, in the order :func:`wzmodel.robustness.sobol_indices` expects (SALib's).
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
    if spec.method in ("sobol", "saltelli") and n & (n - 1):
        lower = 1 << (n.bit_length() - 1)
        expected = (f"a power-of-two sample count for {spec.method} sampling ({lower} or "
                    f"{2 * lower})")
        raise InputError([Problem("uncertainty", expected, None, "samples", n)])
    if spec.method == "sobol":
        engine = qmc.Sobol(d, scramble=True, rng=np.random.default_rng(spec.seed))
        return engine.random_base2(int(math.log2(n)))
    if spec.method == "saltelli":
        return saltelli_unit_sample(d, n, spec.seed)
    levels = np.linspace(0.0, 1.0, n) if n > 1 else np.array([0.5])
    return np.array(list(itertools.product(levels, repeat=d)))


def saltelli_unit_sample(dimensions: int, base: int, seed: int) -> np.ndarray:
    """Saltelli's design for first- and total-order Sobol' indices, on the unit cube.

    Parameters
    ----------
    dimensions : number of parameters ``d``.
    base : base points ``N`` (a power of two).
    seed : seed of the scrambled Sobol' sequence the design is built from.

    Returns
    -------
    ndarray
        ``N × (d + 2)`` rows: per base point, matrix A's row, the ``d`` rows of A with one
        column from B, then B's row — SALib's layout (``calc_second_order=False``), which
        :func:`wzmodel.robustness.sobol_indices` reads back.
    """
    problem = {"num_vars": dimensions, "names": [f"x{j}" for j in range(dimensions)],
               "bounds": [[0.0, 1.0]] * dimensions}
    return salib_sobol.sample(problem, base, calc_second_order=False, scramble=True, seed=seed)


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
