"""Scenario exploration at scale: sample uncertain parameters, cross them with policy levers, and
evaluate every experiment — by re-checking a fixed plan (cheap) or by re-planning (expensive).

Declarations live in the scenario file's ``[uncertainty]`` table::

    [uncertainty]
    seed = 42
    method = "lhs"            # lhs | sobol | factorial | saltelli
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
             schedule is re-evaluated on the perturbed data — costs follow the perturbation and
             are paid anew within the sharing rules with the least money beyond the budgets
             (:func:`~wzmodel.planner.refund.fund_schedule`, the plan's own shares kept where
             they fit; ``budget_excess_yuan``) — and
             :func:`~wzmodel.planner.check.check_against` lists what breaks (budgets, sharing
             bounds, hard targets). A lever setting whose
             reference plan cannot be made (hard targets infeasible) is recorded, not fatal:
             its experiments get ``status = "no_reference"`` and the reference's diagnosis.
``replan``   each experiment is planned afresh with :func:`~wzmodel.planner.make_plan`; an
             infeasible experiment is recorded with the planner's diagnosis
             (:class:`NoPlan`: ``extra_money_yuan``, ``shortfall_<target>``, ``diagnosis``).

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

from wzmodel.scenario import Lever, Parameter, Uncertainty
from wzmodel.sweep.design import (
    DATASET_PATHS,
    apply_inputs,
    nested_override,
    read_uncertainty,
    sample_design,
)
from wzmodel.sweep.executors import (
    DaskExecutor,
    Executor,
    ProcessExecutor,
    SequentialExecutor,
    make_executor,
)
from wzmodel.sweep.experiment import ExperimentTask, FixedPlan, NoPlan, run_experiment
from wzmodel.sweep.results import SweepResult, read_results
from wzmodel.sweep.run import run_sweep

__all__ = [
    "DATASET_PATHS", "DaskExecutor", "Executor", "ExperimentTask", "FixedPlan", "Lever",
    "NoPlan", "Parameter", "ProcessExecutor", "SequentialExecutor", "SweepResult", "Uncertainty",
    "apply_inputs", "make_executor", "nested_override", "read_results", "read_uncertainty",
    "run_experiment", "run_sweep", "sample_design",
]
