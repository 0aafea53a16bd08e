"""A solver backend: what its module provides, and the loader that finds it by name in
:data:`wzmodel.solver.registry.BACKENDS`."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol, cast

from wzmodel.solver.registry import BACKENDS, check_solver

if TYPE_CHECKING:
    import pulp

    from wzmodel.solver.options import SolverOptions
    from wzmodel.solver.outcome import SolveOutcome

__all__ = ["Backend", "backend"]


class Backend(Protocol):
    """What a solver backend module provides."""

    def solve(self, prob: pulp.LpProblem, options: SolverOptions) -> SolveOutcome:
        """Solve ``prob`` in place (set its variables' values) and return the honest outcome.

        Called only for models with at least one variable. The outcome's status must say what
        was proven — a run stopped by a limit is ``feasible`` or ``no_solution``, never
        ``optimal`` — and its ``solver`` is the backend's registered name.
        """
        ...


def backend(name: str) -> Backend:
    """The backend registered as ``name``."""
    return cast("Backend", importlib.import_module(BACKENDS[check_solver(name)]))
