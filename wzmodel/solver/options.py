"""How to solve: :class:`SolverOptions`, the same for every backend."""

from __future__ import annotations

from dataclasses import dataclass

from wzmodel.solver.registry import DEFAULT_SOLVER, check_solver

__all__ = ["SolverOptions"]


@dataclass(frozen=True)
class SolverOptions:
    """How to solve.

    Attributes
    ----------
    solver : a registered solver name (:func:`wzmodel.solver.solver_names`): ``"highs"``
        (default, through highspy) or ``"cbc"`` (PuLP's bundled CBC).
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

    solver: str = DEFAULT_SOLVER
    time_limit: float | None = None
    gap: float = 1e-4
    threads: int | None = None
    node_limit: int | None = None
    seed: int = 0
    msg: bool = False
    warm_start: bool = False

    def __post_init__(self) -> None:
        check_solver(self.solver)
        if self.gap < 0:
            raise ValueError(f"gap must be >= 0, got {self.gap}")
        if self.time_limit is not None and self.time_limit <= 0:
            raise ValueError(f"time_limit must be positive, got {self.time_limit}")
