"""Which solvers wzmodel can use: the one place that names them.

Every list of solver names — :class:`~wzmodel.solver.SolverOptions`, the scenario's
``solver.name``, the command line's ``--solver`` — reads :func:`solver_names`.

Adding a backend
----------------
Write a module ``wzmodel/solver/<name>.py`` with a function
``solve(prob: pulp.LpProblem, options: SolverOptions) -> SolveOutcome`` (see
:class:`~wzmodel.solver.backend.Backend`;
:mod:`wzmodel.solver.cbc` is a short example) and add one line to :data:`BACKENDS`. Backends
are imported when first used, so naming one costs nothing and a backend's own dependency is
needed only by those who use it.
"""

from __future__ import annotations

__all__ = ["BACKENDS", "DEFAULT_SOLVER", "check_solver", "solver_names"]

#: solver name → module implementing :class:`~wzmodel.solver.backend.Backend`; the first is
#: the default. This module imports nothing, so options and outcomes can read it.
BACKENDS: dict[str, str] = {
    "highs": "wzmodel.solver.highs",
    "cbc": "wzmodel.solver.cbc",
}
DEFAULT_SOLVER = next(iter(BACKENDS))


def solver_names() -> tuple[str, ...]:
    """The registered solver names, the default first."""
    return tuple(BACKENDS)


def check_solver(name: str) -> str:
    """``name`` if it is a registered solver; else a ValueError naming the accepted ones."""
    if name not in BACKENDS:
        accepted = ", ".join(repr(n) for n in BACKENDS)
        raise ValueError(f"unknown solver {name!r}; choose one of {accepted}")
    return name
