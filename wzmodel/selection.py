"""Selecting a portfolio of projects under several budgets: the multidimensional knapsack problem.

A district can fund only some of its candidate community projects; each project draws on several
limited resources at once (capital, staff time, land, subsidy quota). Choosing the set of projects
with the greatest total benefit is the 0–1 multidimensional knapsack problem (MKP), solved here
exactly (or to a requested gap) with a mixed-integer programme through :func:`wzmodel.solver.solve`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pulp
from numpy.typing import ArrayLike

from wzmodel.solver import DEFAULT_SOLVER, SolvedResult, SolveOutcome, SolverOptions, solve, solver_names

__all__ = ["SelectionInputError", "SelectionResult", "solve_mkp"]


class SelectionInputError(ValueError):
    """The data of a selection problem are malformed (shapes, signs or non-finite numbers)."""


@dataclass(frozen=True, eq=False)
class SelectionResult(SolvedResult):
    """The outcome of :func:`solve_mkp`.

    Attributes
    ----------
    objective : float or None
        Total value :math:`\\sum_{j \\in \\text{selected}} v_j` of the returned selection, or None
        when the solver returned no solution.
    selected : numpy.ndarray of int
        Sorted indices of the selected items (empty when there is no solution).
    outcome : SolveOutcome
        The outcome from the solver layer, which the properties below read.
    status : str
        One of :data:`wzmodel.solver.STATUSES`: ``"optimal"`` means proven optimal within ``gap``.
    gap : float or None
        Relative gap between ``objective`` and ``bound`` reported by the solver.
    bound : float or None
        Best proven upper bound on the optimum.
    seconds : float
        Solver wall time in seconds (model building excluded).
    """

    objective: float | None
    selected: np.ndarray
    outcome: SolveOutcome


def _empty() -> np.ndarray:
    out = np.zeros(0, dtype=int)
    out.setflags(write=False)
    return out


def _validate(
    values: ArrayLike, weights: ArrayLike, capacities: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    try:
        v = np.asarray(values, dtype=float)
        w = np.asarray(weights, dtype=float)
        c = np.asarray(capacities, dtype=float)
    except (TypeError, ValueError) as exc:
        raise SelectionInputError(f"values, weights and capacities must be numeric: {exc}") from exc
    if v.ndim != 1:
        raise SelectionInputError(f"values must be one-dimensional (n,), got shape {v.shape}")
    n = v.shape[0]
    if w.ndim == 1:  # a single constraint given as a vector
        w = w.reshape(1, -1)
    if w.ndim != 2:
        raise SelectionInputError(f"weights must have shape (m, n), got shape {w.shape}")
    c = c.reshape(-1) if c.ndim == 0 else c
    if c.ndim != 1:
        raise SelectionInputError(f"capacities must be one-dimensional (m,), got shape {c.shape}")
    m = c.shape[0]
    if w.shape != (m, n):
        raise SelectionInputError(
            f"shape mismatch: weights has shape {w.shape}, expected (m, n) = ({m}, {n}) "
            f"from {m} capacities and {n} values"
        )
    for name, a in (("values", v), ("weights", w), ("capacities", c)):
        if not np.all(np.isfinite(a)):
            raise SelectionInputError(f"{name} contain NaN or infinite entries")
    if np.any(w < 0):
        i, j = np.argwhere(w < 0)[0]
        raise SelectionInputError(f"weights must be >= 0; weights[{i}, {j}] = {w[i, j]}")
    if np.any(c < 0):
        i = int(np.argmax(c < 0))
        raise SelectionInputError(f"capacities must be >= 0; capacities[{i}] = {c[i]}")
    return v, w, c


def _options(
    solver: str | SolverOptions | None, gap: float, time_limit: float | None
) -> SolverOptions:
    if isinstance(solver, SolverOptions):
        if gap != 0.0 or time_limit is not None:
            raise ValueError(
                "give gap and time_limit either inside SolverOptions or as keywords, not both"
            )
        return solver
    if solver is None:
        solver = DEFAULT_SOLVER
    if not isinstance(solver, str):
        raise TypeError(f"solver must be None, one of {solver_names()} or SolverOptions, got {solver!r}")
    return SolverOptions(solver=solver, gap=gap, time_limit=time_limit)


def solve_mkp(
    values: ArrayLike,
    weights: ArrayLike,
    capacities: ArrayLike,
    *,
    gap: float = 0.0,
    time_limit: float | None = None,
    solver: str | SolverOptions | None = None,
) -> SelectionResult:
    """Solve a 0–1 multidimensional knapsack problem.

    With items :math:`j = 1..n`, resources :math:`i = 1..m`, item values :math:`v_j`, resource use
    :math:`w_{ij} \\ge 0` and capacities :math:`c_i \\ge 0`:

    .. math::

        \\max_{x} \\; \\sum_{j=1}^{n} v_j x_j
        \\quad \\text{s.t.} \\quad \\sum_{j=1}^{n} w_{ij} x_j \\le c_i \\;\\; (i = 1..m),
        \\qquad x_j \\in \\{0, 1\\}.

    Parameters
    ----------
    values : array_like, shape (n,)
        Value of each item. Negative values are allowed (such items are never worth selecting).
    weights : array_like, shape (m, n)
        Use of resource ``i`` by item ``j``; a 1-D array of length ``n`` means ``m = 1``.
    capacities : array_like, shape (m,)
        Amount available of each resource; a scalar means ``m = 1``.
    gap : float, default 0.0
        Relative MIP gap at which the search stops; ``0`` asks for a proven optimum.
    time_limit : float, optional
        Wall-clock limit in seconds; on expiry the best selection found is returned with status
        ``"feasible"`` (or ``"no_solution"``).
    solver : {None, "highs", "cbc"} or SolverOptions, optional
        Which solver to use (HiGHS by default). A :class:`~wzmodel.solver.SolverOptions` is used
        as given; ``gap`` and ``time_limit`` must then be set inside it, not as keywords.

    Returns
    -------
    SelectionResult
        Objective, sorted selected indices, solver status, gap, bound and time.

    Raises
    ------
    SelectionInputError
        On shape mismatch, negative weights or capacities, or NaN / infinite entries.
    ValueError
        When ``solver`` is a SolverOptions and ``gap`` or ``time_limit`` is also given.

    Examples
    --------
    >>> r = solve_mkp([10, 7, 4], [[5, 4, 3]], [7])
    >>> r.objective, r.selected.tolist(), r.status
    (11.0, [1, 2], 'optimal')
    """
    v, w, c = _validate(values, weights, capacities)
    options = _options(solver, gap, time_limit)
    n, m = v.shape[0], c.shape[0]

    if n == 0:
        outcome = SolveOutcome("optimal", objective=0.0, bound=0.0, gap=0.0, solver=options.solver,
                               message="no items")
        return SelectionResult(0.0, _empty(), outcome)

    prob = pulp.LpProblem("mkp", pulp.LpMaximize)
    x_dict = prob.add_variable_dict("x", range(n), 0, 1, cat=pulp.LpBinary)
    x = [x_dict[j] for j in range(n)]
    prob += pulp.LpAffineExpression([(x[j], float(v[j])) for j in range(n)])
    for i in range(m):
        row = w[i]
        nz = np.flatnonzero(row)
        expr = pulp.LpAffineExpression([(x[j], float(row[j])) for j in nz])
        prob += pulp.LpConstraint(expr, sense=pulp.LpConstraintLE, rhs=float(c[i]), name=f"cap_{i}")

    outcome = solve(prob, options)
    if not outcome.has_solution:
        return SelectionResult(None, _empty(), outcome)

    chosen = np.array([x[j].varValue is not None and x[j].varValue > 0.5 for j in range(n)])
    selected = np.flatnonzero(chosen).astype(int)
    selected.setflags(write=False)
    objective = float(v[selected].sum())
    return SelectionResult(objective, selected, outcome)

