"""The one place where optimisation models meet a solver.

Every model in wzmodel is written with PuLP and solved through :func:`solve`, which

* hands the model to the backend named by :class:`SolverOptions` — HiGHS through ``highspy``
  (default, :mod:`wzmodel.solver.highs`) or CBC through PuLP (:mod:`wzmodel.solver.cbc`); the
  names are declared once, in :mod:`wzmodel.solver.registry`, which also says how to add one;
* applies the time limit, relative gap, thread count and random seed of :class:`SolverOptions`;
* translates the solver's verdict into one honest :class:`SolveOutcome` (statuses in
  :mod:`wzmodel.solver.outcome`). PuLP reports a run stopped by its time limit as ``Optimal``;
  only the backends read PuLP's or HiGHS's status codes, no other module does.

Algorithms built on a backend live here too: :mod:`wzmodel.solver.price_and_branch` for
city-sized binary models whose LP optimum uses few of their columns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wzmodel.solver.backend import Backend, backend
from wzmodel.solver.options import SolverOptions
from wzmodel.solver.outcome import STATUSES, SolvedResult, SolveOutcome, relative_gap
from wzmodel.solver.registry import DEFAULT_SOLVER, check_solver, solver_names

if TYPE_CHECKING:  # importing wzmodel.solver stays cheap: a backend loads its solver when used
    import pulp

__all__ = [
    "DEFAULT_SOLVER",
    "STATUSES",
    "Backend",
    "SolveOutcome",
    "SolvedResult",
    "SolverOptions",
    "check_solver",
    "relative_gap",
    "solve",
    "solver_names",
]


def solve(prob: pulp.LpProblem, options: SolverOptions | None = None) -> SolveOutcome:
    """Solve ``prob`` in place (variable values are set) and return the honest outcome."""
    options = options or SolverOptions()
    if not prob.variables():
        return _nothing_to_decide(prob, options)
    return backend(options.solver).solve(prob, options)


def _nothing_to_decide(prob: pulp.LpProblem, options: SolverOptions) -> SolveOutcome:
    """A model without variables (e.g. a plan where every community is already complete): its
    constant rows either hold — optimal, at the objective's constant — or not — infeasible.
    Solvers differ in what they make of such a model, so no backend is asked."""
    if all(c.valid(1e-9) for c in prob.constraints()):
        value = float(prob.objective.constant) if prob.objective is not None else 0.0
        return SolveOutcome("optimal", objective=value, bound=value, gap=0.0, solver=options.solver,
                            message="nothing to decide")
    return SolveOutcome("infeasible", solver=options.solver, message="constant rows that cannot hold")
