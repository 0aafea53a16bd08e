"""The one place where optimisation models meet a solver.

Every model in wzmodel is written with PuLP and solved through :func:`solve`, which

* hands the model to HiGHS through ``highspy`` (default) in one call with CSR arrays — PuLP's own
  HiGHS adapter adds rows one at a time, which dominates the hand-over on city-sized models — or
  to CBC through PuLP's command-line interface;
* applies the time limit, relative gap, thread count and random seed of :class:`SolverOptions`;
* translates the solver's verdict into one honest :class:`SolveOutcome` status. PuLP reports a run
  stopped by its time limit as ``Optimal`` (``prob.status == 1``); only the solution status tells,
  and this module is the only one that reads either.

Statuses
--------
``optimal``      optimality proven within the requested relative gap (``gap=0`` means exact).
``feasible``     a limit stopped the search with a solution; ``gap`` and ``bound`` say how good.
``infeasible``   the constraints cannot all hold.
``no_solution``  a limit stopped the search before any solution was found.
``error``        anything else (unbounded model, solver failure); ``message`` says what.
"""

from __future__ import annotations

import math
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pulp

__all__ = ["STATUSES", "SolveOutcome", "SolverOptions", "solve"]

STATUSES = ("optimal", "feasible", "infeasible", "no_solution", "error")
SolverName = Literal["highs", "cbc"]


@dataclass(frozen=True)
class SolverOptions:
    """How to solve.

    Attributes
    ----------
    solver : ``"highs"`` (default, through highspy) or ``"cbc"`` (PuLP's bundled CBC).
    time_limit : wall-clock seconds, or None for no limit.
    gap : relative MIP gap at which the search stops and the result counts as optimal.
    threads : solver threads; None leaves the solver's default.
    node_limit : stop after this many branch-and-bound nodes — a limit that, unlike a time
        limit, gives the same result on any machine (HiGHS only).
    seed : random seed of the solver, for reproducible runs.
    msg : print the solver log.
    warm_start : pass the variables' current values (``varValue``; those left None are completed
        by the solver) as a starting solution.
    """

    solver: SolverName = "highs"
    time_limit: float | None = None
    gap: float = 1e-4
    threads: int | None = None
    node_limit: int | None = None
    seed: int = 0
    msg: bool = False
    warm_start: bool = False

    def __post_init__(self) -> None:
        if self.solver not in ("highs", "cbc"):
            raise ValueError(f"unknown solver {self.solver!r}; choose 'highs' or 'cbc'")
        if self.gap < 0:
            raise ValueError(f"gap must be >= 0, got {self.gap}")
        if self.time_limit is not None and self.time_limit <= 0:
            raise ValueError(f"time_limit must be positive, got {self.time_limit}")


@dataclass(frozen=True)
class SolveOutcome:
    """What a solve achieved.

    ``objective`` is the value of the returned solution, ``bound`` the best proven bound on the
    optimum (equal to ``objective`` for a solved LP), ``gap`` the relative distance between them
    (``|objective - bound| / max(|objective|, 1e-9)``), ``seconds`` the solver's wall time.
    """

    status: str
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    seconds: float = 0.0
    solver: str = "highs"
    message: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def has_solution(self) -> bool:
        return self.status in ("optimal", "feasible")

    def describe(self) -> str:
        """One line for people: status, objective, bound and gap."""
        if not self.has_solution:
            text = f"{self.status} after {self.seconds:.1f} s ({self.solver})"
            return f"{text}: {self.message}" if self.message else text
        if self.bound is None or self.gap is None:
            bound = "no bound yet"
        else:
            bound = f"bound {self.bound:,.6g}, gap {100 * self.gap:.3f} %"
        return (
            f"{self.status} ({self.solver}) objective {self.objective:,.6g}, {bound}, "
            f"{self.seconds:.1f} s"
        )


def relative_gap(objective: float, bound: float) -> float:
    return abs(objective - bound) / max(abs(objective), 1e-9)


def solve(prob: pulp.LpProblem, options: SolverOptions | None = None) -> SolveOutcome:
    """Solve ``prob`` in place (variable values are set) and return the honest outcome."""
    options = options or SolverOptions()
    if options.solver == "highs":
        return _solve_highs(prob, options)
    return _solve_cbc(prob, options)


# --------------------------------------------------------------------------------------------
# HiGHS through highspy
# --------------------------------------------------------------------------------------------
_highs_banner_swallowed = False


def _new_highs():
    """A fresh ``Highs`` instance; the licence banner of the first one is swallowed.

    HiGHS writes the banner to the C-level stdout on the first construction in a process, even
    with output switched off, which would make notebook outputs differ between runs.
    """
    global _highs_banner_swallowed
    import highspy

    if _highs_banner_swallowed:
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
    _highs_banner_swallowed = True
    return h


def _to_arrays(prob: pulp.LpProblem):
    """Columns, bounds, costs and a CSR row matrix of ``prob``, in stable (name) order."""
    variables = prob.variables()
    index = {id(v): j for j, v in enumerate(variables)}
    n = len(variables)
    col_lower = np.array([-np.inf if v.lowBound is None else v.lowBound for v in variables], float)
    col_upper = np.array([np.inf if v.upBound is None else v.upBound for v in variables], float)
    integer = np.array([v.cat == pulp.const.LpInteger for v in variables], bool)
    cost = np.zeros(n)
    for v, a in prob.objective.items():
        cost[index[id(v)]] += a

    constraints = list(prob._constraints.values())
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
    return (
        variables,
        constraints,
        col_lower,
        col_upper,
        integer,
        cost,
        row_lower,
        row_upper,
        (
            starts,
            np.array(cols, dtype=np.int64),
            np.array(vals, dtype=float),
        ),
    )


def highs_instance(options: SolverOptions):
    """A quiet HiGHS instance with the gap, seed, threads and limits of ``options``."""
    h = _new_highs()
    h.setOptionValue("output_flag", bool(options.msg))
    h.setOptionValue("mip_rel_gap", float(options.gap))
    h.setOptionValue("random_seed", int(options.seed))
    if options.threads is not None:
        h.setOptionValue("threads", int(options.threads))
    if options.time_limit is not None:
        h.setOptionValue("time_limit", float(options.time_limit))
    if options.node_limit is not None:
        h.setOptionValue("mip_max_nodes", int(options.node_limit))
    return h


def highs_model(cost, col_lower, col_upper, row_lower, row_upper, matrix, *, maximize: bool,
                integer=None, offset: float = 0.0):
    """A ``HighsLp`` from arrays; ``matrix`` is a scipy CSR (row-wise) or CSC (column-wise) matrix."""
    import highspy

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


def highs_status(h) -> tuple[str, str]:
    """(status, message) of a HiGHS run, in this module's vocabulary."""
    import highspy

    model_status = h.getModelStatus()
    has_primal = h.getInfo().primal_solution_status == 2  # kSolutionStatusFeasible
    MS = highspy.HighsModelStatus
    if model_status == MS.kOptimal:
        status = "optimal"
    elif model_status == MS.kInfeasible:
        status = "infeasible"
    elif model_status in (MS.kUnbounded, MS.kUnboundedOrInfeasible):
        status = "error"
    elif model_status in (
        MS.kTimeLimit,
        MS.kIterationLimit,
        MS.kSolutionLimit,
        MS.kInterrupt,
        MS.kMemoryLimit,
        MS.kObjectiveBound,
        MS.kObjectiveTarget,
    ):
        status = "feasible" if has_primal else "no_solution"
    else:
        status = "error"
    return status, h.modelStatusToString(model_status)


def model_arrays(prob: pulp.LpProblem):
    """``_to_arrays`` with the row matrix as a scipy CSR matrix."""
    import scipy.sparse as sp

    variables, constraints, cl, cu, integer, cost, rl, ru, (starts, idx, val) = _to_arrays(prob)
    matrix = sp.csr_matrix((val, idx, starts), shape=(len(constraints), len(variables)))
    return variables, constraints, cl, cu, integer, cost, rl, ru, matrix


def _solve_highs(prob: pulp.LpProblem, options: SolverOptions) -> SolveOutcome:
    variables, constraints, cl, cu, integer, cost, rl, ru, matrix = model_arrays(prob)
    if len(variables) == 0:
        return _nothing_to_decide(prob, constraints)
    h = highs_instance(options)
    is_mip = bool(integer.any())
    h.passModel(
        highs_model(cost, cl, cu, rl, ru, matrix, maximize=prob.sense == pulp.LpMaximize,
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
        return SolveOutcome(status, seconds=seconds, solver="highs", message=message)

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
            for c, pi in zip(constraints, solution.row_dual, strict=True):
                c.pi = float(pi)
    return SolveOutcome(
        status,
        objective=objective,
        bound=bound,
        gap=gap,
        seconds=seconds,
        solver="highs",
        message=message,
    )


def _nothing_to_decide(prob: pulp.LpProblem, constraints) -> SolveOutcome:
    """A model without variables (e.g. a plan where every community is already complete): its
    constant rows either hold — optimal, at the objective's constant — or not — infeasible."""
    if all(c.valid(1e-9) for c in constraints):
        value = float(prob.objective.constant) if prob.objective is not None else 0.0
        return SolveOutcome("optimal", objective=value, bound=value, gap=0.0, solver="highs",
                            message="nothing to decide")
    return SolveOutcome("infeasible", solver="highs", message="constant rows that cannot hold")


# --------------------------------------------------------------------------------------------
# CBC through PuLP
# --------------------------------------------------------------------------------------------
def _solve_cbc(prob: pulp.LpProblem, options: SolverOptions) -> SolveOutcome:
    from pulp.apis.coin_api import PULP_CBC_CMD

    with tempfile.TemporaryDirectory(prefix="wzmodel-cbc-") as tmp:
        log = Path(tmp) / "cbc.log"
        solver = pulp.COIN_CMD(
            path=PULP_CBC_CMD.pulp_cbc_path,  # the CBC binary bundled with PuLP
            msg=options.msg,
            timeLimit=options.time_limit,
            gapRel=options.gap,
            threads=options.threads,
            warmStart=options.warm_start,
            logPath=str(log),
            options=[f"randomCbcSeed {options.seed + 1}"],  # CBC reads seed 0 as "use the clock"
        )
        t0 = time.perf_counter()
        try:
            prob.solve(solver)
        except pulp.PulpSolverError as exc:
            return SolveOutcome(
                "error", solver="cbc", message=str(exc), seconds=time.perf_counter() - t0
            )
        seconds = time.perf_counter() - t0
        text = log.read_text(errors="replace") if log.exists() else ""

    # PuLP: status 1 even for a time-limited incumbent; sol_status 1 = proven, 2 = found.
    sol_status = prob.sol_status
    if sol_status == pulp.const.LpSolutionOptimal:
        status = "optimal"
    elif sol_status in (pulp.const.LpSolutionIntegerFeasible,):
        status = "feasible"
    elif sol_status == pulp.const.LpSolutionInfeasible:
        status = "infeasible"
    elif sol_status == pulp.const.LpSolutionNoSolutionFound:
        status = "no_solution"
    else:
        status = "error"
    if status not in ("optimal", "feasible"):
        return SolveOutcome(
            status, seconds=seconds, solver="cbc", message=pulp.LpStatus[prob.status]
        )

    objective = float(prob.objective.value())
    bound = _cbc_bound(text)
    # CBC minimises internally and prints its own sign convention: keep a bound only when it
    # lies on the valid side of the objective, otherwise say nothing rather than something false
    if bound is not None:
        for candidate in (bound, -bound):
            valid = candidate >= objective - 1e-9 if prob.sense == pulp.LpMaximize else (
                candidate <= objective + 1e-9)
            if valid:
                bound = candidate
                break
        else:
            bound = None
    if status == "optimal" and bound is None:
        bound = objective
    gap = relative_gap(objective, bound) if bound is not None else None
    return SolveOutcome(
        status, objective=objective, bound=bound, gap=gap, seconds=seconds, solver="cbc"
    )


def _cbc_bound(log: str) -> float | None:
    """The best bound CBC printed at the end of its log (``Lower bound:`` in its summary)."""
    found = re.findall(r"^Lower bound:\s*(-?[\d.eE+-]+)", log, flags=re.MULTILINE)
    if not found:
        return None
    try:
        return float(found[-1])
    except ValueError:
        return None
