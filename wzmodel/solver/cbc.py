"""CBC through PuLP's command-line interface, with the binary bundled with PuLP.

PuLP calls a run stopped by its time limit with an incumbent ``Optimal`` (``prob.status == 1``);
only the solution status (``prob.sol_status``) tells, so that is what is read. PuLP does not
report CBC's bound: it is parsed from CBC's log, whose sign convention is CBC's own.
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pulp
from pulp.apis.coin_api import PULP_CBC_CMD

from wzmodel.solver.outcome import SolveOutcome, relative_gap

if TYPE_CHECKING:
    from wzmodel.solver.options import SolverOptions

__all__ = ["solve"]

_STATUS = {
    pulp.const.LpSolutionOptimal: "optimal",
    pulp.const.LpSolutionIntegerFeasible: "feasible",
    pulp.const.LpSolutionInfeasible: "infeasible",
    pulp.const.LpSolutionNoSolutionFound: "no_solution",
}


def solve(prob: pulp.LpProblem, options: SolverOptions) -> SolveOutcome:
    """Solve ``prob`` with CBC (see :class:`~wzmodel.solver.backend.Backend`)."""
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
                "error", solver=options.solver, message=str(exc), seconds=time.perf_counter() - t0
            )
        seconds = time.perf_counter() - t0
        text = log.read_text(errors="replace") if log.exists() else ""

    status = _STATUS.get(prob.sol_status, "error")
    if status not in ("optimal", "feasible"):
        return SolveOutcome(
            status, seconds=seconds, solver=options.solver, message=pulp.LpStatus[prob.status]
        )

    objective = float(prob.objective.value())
    bound = _signed_bound(_cbc_bound(text), objective, maximize=prob.sense == pulp.LpMaximize)
    if status == "optimal" and bound is None:
        bound = objective
    gap = relative_gap(objective, bound) if bound is not None else None
    return SolveOutcome(
        status, objective=objective, bound=bound, gap=gap, seconds=seconds, solver=options.solver
    )


def _cbc_bound(log: str) -> float | None:
    """The best bound CBC printed at the end of its log: ``Lower bound:`` in its summary of a
    minimisation, ``Upper bound:`` of a maximisation."""
    found = re.findall(r"^(?:Lower|Upper) bound:\s*(-?[\d.eE+-]+)", log, flags=re.MULTILINE)
    if not found:
        return None
    try:
        return float(found[-1])
    except ValueError:
        return None


def _signed_bound(printed: float | None, objective: float, *, maximize: bool) -> float | None:
    """The bound with the model's sign, or None if neither sign is valid.

    CBC minimises internally and prints its own sign convention: keep a bound only when it lies
    on the valid side of the objective, otherwise say nothing rather than something false.
    """
    if printed is None:
        return None
    for candidate in (printed, -printed):
        valid = candidate >= objective - 1e-9 if maximize else candidate <= objective + 1e-9
        if valid:
            return candidate
    return None
