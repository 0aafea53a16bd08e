"""Which solvers wzmodel can use: the one place that names them.

Every list of solver names — :class:`~wzmodel.solver.SolverOptions`, the scenario's
``solver.name``, the command line's ``--solver`` — reads :func:`solver_names`.

Adding a backend
----------------
Write a module ``wzmodel/solver/<name>.py`` with a function
``solve(prob: pulp.LpProblem, options: SolverOptions) -> SolveOutcome`` (see :class:`Backend`;
:mod:`wzmodel.solver.cbc` is a short example) and add one line to :data:`BACKENDS`. Backends
are imported when first used, so naming one costs nothing and a backend's own dependency is
needed only by those who use it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    import pulp

    from wzmodel.solver.options import SolverOptions
    from wzmodel.solver.outcome import SolveOutcome

__all__ = ["BACKENDS", "DEFAULT_SOLVER", "Backend", "backend", "check_solver", "solver_names"]

#: solver name → module implementing :class:`Backend`; the first is the default.
BACKENDS: dict[str, str] = {
    "highs": "wzmodel.solver.highs",
    "cbc": "wzmodel.solver.cbc",
}
DEFAULT_SOLVER = next(iter(BACKENDS))


class Backend(Protocol):
    """What a solver backend module provides."""

    def solve(self, prob: pulp.LpProblem, options: SolverOptions) -> SolveOutcome:
        """Solve ``prob`` in place (set its variables' values) and return the honest outcome.

        Called only for models with at least one variable. The outcome's status must say what
        was proven — a run stopped by a limit is ``feasible`` or ``no_solution``, never
        ``optimal`` — and its ``solver`` is the backend's registered name.
        """
        ...


def solver_names() -> tuple[str, ...]:
    """The registered solver names, the default first."""
    return tuple(BACKENDS)


def check_solver(name: str) -> str:
    """``name`` if it is a registered solver; else a ValueError naming the accepted ones."""
    if name not in BACKENDS:
        accepted = ", ".join(repr(n) for n in BACKENDS)
        raise ValueError(f"unknown solver {name!r}; choose one of {accepted}")
    return name


def backend(name: str) -> Backend:
    """The backend registered as ``name``."""
    return cast("Backend", importlib.import_module(BACKENDS[check_solver(name)]))
