"""HiGHS through ``highspy``: the default backend, and the array helpers other HiGHS-based
algorithms (:mod:`wzmodel.solver.price_and_branch`) build on.

The model is handed over in one call with CSR arrays — PuLP's own HiGHS adapter adds rows one
at a time, which dominates the hand-over on city-sized models. HiGHS's licence banner, printed
on the first construction in a process whatever the output setting, is swallowed.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time
from typing import TYPE_CHECKING, NamedTuple

import highspy
import numpy as np
import pulp
import scipy.sparse as sp

from wzmodel.solver.outcome import SolveOutcome, relative_gap

if TYPE_CHECKING:
    from wzmodel.solver.options import SolverOptions

__all__ = ["SOLVER_LOG", "ModelArrays", "highs_instance", "highs_model", "highs_status",
           "model_arrays", "solve"]

log = logging.getLogger(__name__)
SOLVER_LOG = logging.getLogger("wzmodel.solver.log")
"""HiGHS's own log lines go to this logger (at INFO) whenever it is enabled for INFO (the CLI's
``--solver-log``); the console output of ``SolverOptions.msg`` stays as it was."""


class ModelArrays(NamedTuple):
    """A PuLP model as arrays, columns in PuLP's stable (name) order."""

    variables: list[pulp.LpVariable]
    constraints: list[pulp.LpConstraint]
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray  # bool per column
    cost: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    rows: sp.csr_matrix  # the constraint matrix, row-wise


def model_arrays(prob: pulp.LpProblem) -> ModelArrays:
    """Columns, bounds, costs and the CSR row matrix of ``prob``."""
    variables = prob.variables()
    index = {id(v): j for j, v in enumerate(variables)}
    n = len(variables)
    col_lower = np.array([-np.inf if v.lowBound is None else v.lowBound for v in variables], float)
    col_upper = np.array([np.inf if v.upBound is None else v.upBound for v in variables], float)
    integer = np.array([v.cat == pulp.const.LpInteger for v in variables], bool)
    cost = np.zeros(n)
    for v, a in prob.objective.items():
        cost[index[id(v)]] += a

    constraints = prob.constraints()  # PuLP 4.0 style, insertion order; no deprecation warning
    starts = np.zeros(len(constraints) + 1, dtype=np.int64)
    cols: list[int] = []
    vals: list[float] = []
    row_lower = np.empty(len(constraints))
    row_upper = np.empty(len(constraints))
    for r, c in enumerate(constraints):
        items = c.expr.items()
        cols.extend(index[id(v)] for v, _ in items)
        vals.extend(a for _, a in items)
        starts[r + 1] = len(cols)
        rhs = -c.constant
        row_lower[r] = (
            rhs if c.sense in (pulp.const.LpConstraintGE, pulp.const.LpConstraintEQ) else -np.inf
        )
        row_upper[r] = (
            rhs if c.sense in (pulp.const.LpConstraintLE, pulp.const.LpConstraintEQ) else np.inf
        )
    rows = sp.csr_matrix(
        (np.array(vals, dtype=float), np.array(cols, dtype=np.int64), starts),
        shape=(len(constraints), n),
    )
    return ModelArrays(
        variables, constraints, col_lower, col_upper, integer, cost, row_lower, row_upper, rows
    )


_banner_swallowed = False


def _new_highs() -> highspy.Highs:
    """A fresh ``Highs`` instance; the licence banner of the first one is swallowed.

    HiGHS writes the banner to the C-level stdout on the first construction in a process, even
    with output switched off, which would make notebook outputs differ between runs.
    """
    global _banner_swallowed
    if _banner_swallowed:
        return highspy.Highs()
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
    _banner_swallowed = True
    return h


def highs_instance(options: SolverOptions) -> highspy.Highs:
    """A quiet HiGHS instance with the gap, seed, threads and limits of ``options``."""
    h = _new_highs()
    h.setOptionValue("output_flag", bool(options.msg))
    h.setOptionValue("mip_rel_gap", float(options.gap))
    h.setOptionValue("random_seed", int(options.seed))
    if options.threads is not None:
        # HiGHS keeps one thread pool per process, sized by the first solve; a solve asking for
        # another size fails ("Not Set") unless the pool is shut down first (HiGHS.jl#130)
        highspy.Highs.resetGlobalScheduler(True)
        h.setOptionValue("threads", int(options.threads))
    if options.time_limit is not None:
        h.setOptionValue("time_limit", float(options.time_limit))
    if options.node_limit is not None:
        h.setOptionValue("mip_max_nodes", int(options.node_limit))
    _listen(h, options)
    return h


def _listen(h: highspy.Highs, options: SolverOptions) -> None:
    """Forward HiGHS's log and its branch and bound's improving plans to logging — only when a
    logger listens, so that a quiet run (a notebook, a test) makes no callback at all."""
    if SOLVER_LOG.isEnabledFor(logging.INFO) and not options.msg:
        h.setOptionValue("output_flag", True)
        h.setOptionValue("log_to_console", False)
        h.cbLogging.subscribe(lambda event: SOLVER_LOG.info(event.message.rstrip("\n")))
    if log.isEnabledFor(logging.INFO):
        h.cbMipImprovingSolution.subscribe(_improved)


def _improved(event) -> None:
    out = event.data_out
    bound = out.mip_dual_bound
    known = f", bound {bound:,.6g}, gap {100 * out.mip_gap:.2f} %" if math.isfinite(bound) else ""
    log.info("branch and bound: new incumbent %s%s", f"{out.objective_function_value:,.6g}", known)


def highs_model(cost, col_lower, col_upper, row_lower, row_upper, matrix, *, maximize: bool,
                integer=None, offset: float = 0.0) -> highspy.HighsLp:
    """A ``HighsLp`` from arrays; ``matrix`` is a scipy CSR (row-wise) or CSC (column-wise) matrix."""
    lp = highspy.HighsLp()
    lp.num_col_ = len(cost)
    lp.num_row_ = len(row_lower)
    lp.col_cost_ = cost
    lp.col_lower_ = col_lower
    lp.col_upper_ = col_upper
    lp.row_lower_ = row_lower
    lp.row_upper_ = row_upper
    lp.offset_ = float(offset)
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = (
        highspy.MatrixFormat.kRowwise if matrix.format == "csr" else highspy.MatrixFormat.kColwise
    )
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    if integer is not None and integer.any():
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
            for flag in integer
        ]
    return lp


_STOPPED_BY_A_LIMIT = (
    highspy.HighsModelStatus.kTimeLimit,
    highspy.HighsModelStatus.kIterationLimit,
    highspy.HighsModelStatus.kSolutionLimit,
    highspy.HighsModelStatus.kInterrupt,
    highspy.HighsModelStatus.kMemoryLimit,
    highspy.HighsModelStatus.kObjectiveBound,
    highspy.HighsModelStatus.kObjectiveTarget,
)


def highs_status(h: highspy.Highs) -> tuple[str, str]:
    """(status, message) of a HiGHS run, in :data:`~wzmodel.solver.STATUSES`' vocabulary."""
    model_status = h.getModelStatus()
    has_primal = h.getInfo().primal_solution_status == 2  # kSolutionStatusFeasible
    if model_status == highspy.HighsModelStatus.kOptimal:
        status = "optimal"
    elif model_status == highspy.HighsModelStatus.kInfeasible:
        status = "infeasible"
    elif model_status in _STOPPED_BY_A_LIMIT:
        status = "feasible" if has_primal else "no_solution"
    else:  # unbounded, unbounded-or-infeasible, solver errors
        status = "error"
    return status, h.modelStatusToString(model_status)


def solve(prob: pulp.LpProblem, options: SolverOptions) -> SolveOutcome:
    """Solve ``prob`` with HiGHS (see :class:`~wzmodel.solver.backend.Backend`)."""
    arrays = model_arrays(prob)
    variables, integer = arrays.variables, arrays.integer
    h = highs_instance(options)
    is_mip = bool(integer.any())
    h.passModel(
        highs_model(arrays.cost, arrays.col_lower, arrays.col_upper, arrays.row_lower,
                    arrays.row_upper, arrays.rows, maximize=prob.sense == pulp.LpMaximize,
                    integer=integer, offset=prob.objective.constant)
    )
    if options.warm_start:
        # A partial start (e.g. only the binaries of a heuristic plan): HiGHS completes the
        # remaining columns itself by solving the model with the given values fixed.
        given = [(j, float(v.varValue)) for j, v in enumerate(variables) if v.varValue is not None]
        if given:
            cols, values = zip(*given, strict=True)
            h.setSolution(len(cols), np.array(cols, dtype=np.int32), np.array(values, dtype=float))

    t0 = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - t0
    status, message = highs_status(h)
    info = h.getInfo()

    if status not in ("optimal", "feasible"):
        return SolveOutcome(status, seconds=seconds, solver=options.solver, message=message)

    solution = h.getSolution()
    values = np.asarray(solution.col_value, dtype=float)
    values[integer] = np.round(values[integer])
    for v, x in zip(variables, values, strict=True):
        v.varValue = float(x)
    objective = float(prob.objective.value())  # recomputed from the rounded values
    if is_mip:
        bound = float(info.mip_dual_bound)
        if not math.isfinite(bound):
            bound = None
        gap = relative_gap(objective, bound) if bound is not None else None
    else:
        bound, gap = objective, 0.0
        if solution.dual_valid:
            for c, pi in zip(arrays.constraints, solution.row_dual, strict=True):
                c.pi = float(pi)
    return SolveOutcome(
        status,
        objective=objective,
        bound=bound,
        gap=gap,
        seconds=seconds,
        solver=options.solver,
        message=message,
    )
