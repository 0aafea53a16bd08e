"""A sweep's results: the result type, its Parquet files (written atomically) and their
metadata."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from wzmodel.report import WEAK_GAP, weak
from wzmodel.robustness import infeasibility, sobol_indices, target_probabilities
from wzmodel.scenario import Scenario, Uncertainty

__all__ = ["METADATA_KEY", "SweepResult", "read_results"]

METADATA_KEY = b"wzmodel.sweep"
_VERSIONED = ("wzmodel", "pulp", "highspy", "numpy", "pandas", "scipy", "pyarrow", "pydantic")


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
    base : the swept scenario itself (its targets, settings and data, for the briefing page).
    reference : recheck mode: what each lever setting's fixed plan is (``optimised``,
        ``rule_of_thumb`` or ``plan:<name>``).
    """

    results: pd.DataFrame
    design: pd.DataFrame
    spec: Uncertainty
    path: Path
    evaluated: int
    scenario: str
    mode: str
    base: Scenario | None = None
    reference: str = ""

    def summary(self) -> str:
        """What ran; per lever setting the probability of meeting each target, the experiments
        without a plan and the median extra money they need; with a ``saltelli`` design, the
        Sobol' indices of each target per parameter (:meth:`sensitivity`); and where the
        results are."""
        done = len(self.results) - self.evaluated
        by = [lever.name for lever in self.spec.levers]
        table = target_probabilities(self.results, by=by).merge(
            infeasibility(self.results, by=by), on=[*by, "experiments"], validate="one_to_one")
        lines = [
            f"Sweep of '{self.scenario}': {len(self.results)} experiments ({self.evaluated} run "
            f"now, {done} already done), mode {self.mode}",
            table.round(3).to_string(index=False),
        ]
        infeasible = int((~self.results["feasible"]).sum())
        if infeasible:
            lines.append(f"{infeasible} experiments have no plan (infeasible, or no reference "
                         "plan to re-check): they meet no target; their diagnosis is in the "
                         "columns extra_money_yuan, shortfall_<target> and diagnosis")
        n_weak = int(weak_plans(self.results).sum())
        if n_weak:
            lines.append(weak_plans_text(n_weak, len(self.results)))
        if self.spec.method == "saltelli" and self.spec.parameters:
            lines += ["Which uncertainty decides each target? Sobol' indices (S1: the parameter "
                      "alone, ST: with its interactions; NaN: the target is met in every "
                      "experiment or in none)",
                      self.sensitivity().round(3).to_string(index=False)]
        lines.append(f"Results: {self.path}")
        page = self.path.parent / "report.html"
        if page.is_file():
            lines.append(f"Briefing page: {page}")
        return "\n".join(lines)

    def sensitivity(self) -> pd.DataFrame:
        """Sobol' indices of every ``met_<target>`` per parameter and lever setting (a sweep
        drawn with ``method = "saltelli"``): the lever columns, ``target``, ``parameter``,
        ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (see :func:`~wzmodel.robustness.sobol_indices`;
        the bootstrap is seeded with the sweep's seed)."""
        if self.spec.method != "saltelli":
            raise ValueError(f"Sobol' indices need a saltelli design, not {self.spec.method}")
        by = [lever.name for lever in self.spec.levers]
        parameters = [p.name for p in self.spec.parameters]
        tables = []
        for column in (c for c in self.results.columns if c.startswith("met_")):
            table = sobol_indices(self.results, parameters, output=column, by=by,
                                  seed=self.spec.seed)
            table.insert(len(by), "target", column.removeprefix("met_"))
            tables.append(table)
        return pd.concat(tables, ignore_index=True)


def weak_plans(results: pd.DataFrame) -> pd.Series:
    """Which experiments were re-planned to a weak plan (:func:`wzmodel.report.weak`)."""
    return pd.Series([weak(status, gap) for status, gap in zip(results["status"],
                                                                results["gap"], strict=True)],
                     index=results.index, dtype=bool)


def weak_plans_text(n_weak: int, n: int) -> str:
    """Why ``n_weak`` weak plans of ``n`` experiments matter, and what to do about them."""
    return (f"{n_weak} of {n} experiments ended with a weak plan (further than "
            f"{100 * WEAK_GAP:.0f} % from the best possible, or with no bound: the time limit "
            "came first). What they meet and spend tells more about the time limit than about "
            "the uncertainty: give each experiment more time ([solver] time_limit) or sweep in "
            "recheck mode.")


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
