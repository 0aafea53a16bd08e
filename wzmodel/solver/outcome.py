"""What a solve achieved: one :class:`SolveOutcome` for every result type in wzmodel.

Statuses
--------
``optimal``      optimality proven within the requested relative gap (``gap=0`` means exact).
``feasible``     a limit stopped the search with a solution; ``gap`` and ``bound`` say how good.
``infeasible``   the constraints cannot all hold.
``no_solution``  a limit stopped the search before any solution was found.
``error``        anything else (unbounded model, solver failure); ``message`` says what.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from wzmodel.solver.registry import DEFAULT_SOLVER

__all__ = ["STATUSES", "SolveOutcome", "SolvedResult", "relative_gap"]

STATUSES = ("optimal", "feasible", "infeasible", "no_solution", "error")


@dataclass(frozen=True)
class SolveOutcome:
    """What a solve achieved.

    Attributes
    ----------
    status : one of :data:`STATUSES`.
    objective : value of the returned solution (None without one).
    bound : best proven bound on the optimum (equal to ``objective`` for a solved LP).
    gap : relative distance between them, :func:`relative_gap`.
    seconds : the solver's wall time; None when not recorded (an outcome read back from a file
        written without timings).
    solver : name of the backend that solved (see :func:`wzmodel.solver.solver_names`).
    message : the solver's own words, or why there is no solution.
    extra : what a particular algorithm adds (price and branch: ``lp_bound``, ``rounds``, ...);
        entries named ``*_seconds`` are timings and travel with :meth:`to_dict`.
    """

    status: str
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    seconds: float | None = 0.0
    solver: str = DEFAULT_SOLVER
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def has_solution(self) -> bool:
        return self.status in ("optimal", "feasible")

    def describe(self) -> str:
        """One line for people: status, objective, bound, gap and (if recorded) solver time."""
        if not self.has_solution:
            after = "" if self.seconds is None else f" after {self.seconds:.1f} s"
            text = f"{self.status}{after} ({self.solver})"
            return f"{text}: {self.message}" if self.message else text
        if self.bound is None or self.gap is None:
            bound = "no bound yet"
        else:
            bound = f"bound {self.bound:,.6g}, gap {100 * self.gap:.3f} %"
        took = "" if self.seconds is None else f", {self.seconds:.1f} s"
        return f"{self.status} ({self.solver}) objective {self.objective:,.6g}, {bound}{took}"

    def to_dict(self, *, timings: bool = True) -> dict[str, Any]:
        """The outcome as plain JSON values.

        Parameters
        ----------
        timings : with ``seconds`` and the ``*_seconds`` entries of ``extra``; without them the
            same run always gives the same dict (written files must not depend on the machine).
            Other ``extra`` entries are in-memory diagnostics and are never included.
        """
        out: dict[str, Any] = {
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "solver": self.solver,
            "message": self.message,
        }
        if timings:
            out["seconds"] = self.seconds
            out.update({k: v for k, v in self.extra.items() if k.endswith("_seconds")})
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SolveOutcome:
        """The outcome :meth:`to_dict` gave (``seconds`` is None if it was left out)."""
        named = {f.name for f in fields(cls)} - {"extra"}
        return cls(
            **{"seconds": None, **{k: v for k, v in data.items() if k in named}},
            extra={k: v for k, v in data.items() if k not in named},
        )


def relative_gap(objective: float, bound: float) -> float:
    """``|objective - bound| / max(|objective|, 1e-9)``: how far a bound leaves the optimum open."""
    return abs(objective - bound) / max(abs(objective), 1e-9)


class SolvedResult:
    """Mixin for result types holding an ``outcome``: its status, gap, bound, seconds and
    whether it has a solution (feasible or optimal), read through — never copied."""

    outcome: SolveOutcome

    @property
    def status(self) -> str:
        return self.outcome.status

    @property
    def gap(self) -> float | None:
        return self.outcome.gap

    @property
    def bound(self) -> float | None:
        return self.outcome.bound

    @property
    def seconds(self) -> float | None:
        return self.outcome.seconds

    @property
    def has_solution(self) -> bool:
        return self.outcome.has_solution
