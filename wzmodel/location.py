"""Generic facility-location kernels: UFL, CFL, MCLP, LSCP, p-median and p-center.

Every kernel follows the same three steps:

1. ``build_*`` checks the specification, raises :class:`SpecificationError` for an impossible one,
   and builds a sparse PuLP model (a :class:`LocationModel`): one assignment variable per
   demand–site pair *in reach*, never one per cell of a dense matrix;
2. :func:`solve_model` hands the model to the one solver layer, :func:`wzmodel.solver.solve`;
3. the solution is decoded into an immutable :class:`LocationResult`.

``solve_*`` does all three in one call.

Conventions
-----------
* ``n`` demand points (rows) and ``m`` candidate sites (columns). A ``cost`` or ``distance``
  matrix has shape ``(n, m)``.
* A matrix may be a dense array or a SciPy sparse matrix. In a dense array every finite entry is a
  pair in reach and ``+inf`` marks an unreachable pair. In a sparse matrix only the *stored*
  entries are pairs in reach: an absent entry means unreachable (not distance 0), while an
  explicitly stored 0 is a real zero distance. Stored ``+inf`` entries are unreachable as well.
* ``existing`` lists sites that are already open (indices, or a boolean mask of length ``m``).
  They are forced open, count towards ``p``, and their cost is never charged (they are already
  paid for).
* Every ``solve_*`` takes the keyword-only ``gap`` (relative MIP gap, default 0 = exact),
  ``time_limit`` (seconds or None) and ``solver``: None (HiGHS), ``"highs"``, ``"cbc"`` or a
  complete :class:`~wzmodel.solver.SolverOptions`. With a ``SolverOptions``, put the gap and time
  limit inside it: passing ``gap``/``time_limit`` as well is refused as ambiguous.
"""

from __future__ import annotations

import functools
import gc
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pulp
import scipy.sparse as sp

from wzmodel.solver import DEFAULT_SOLVER, SolvedResult, SolveOutcome, SolverOptions, solve, solver_names

__all__ = [
    "LocationModel",
    "LocationResult",
    "SpecificationError",
    "build_cfl",
    "build_lscp",
    "build_mclp",
    "build_pcenter",
    "build_pmedian",
    "build_ufl",
    "solve_cfl",
    "solve_lscp",
    "solve_mclp",
    "solve_model",
    "solve_pcenter",
    "solve_pmedian",
    "solve_ufl",
]

SolverSpec = str | SolverOptions | None
_LE = pulp.LpConstraintLE
_GE = pulp.LpConstraintGE
_EQ = pulp.LpConstraintEQ


class SpecificationError(ValueError):
    """A location problem that cannot be posed as given (raised before any solve)."""


# ---------------------------------------------------------------------------------------------
# Result and model containers
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class LocationResult(SolvedResult):
    """The decoded solution of a location model.

    Attributes
    ----------
    objective : value of the returned plan (None without a solution). Except for CFL it is
        recomputed exactly from the decoded plan (open sites, assignment, coverage); the solver's
        own value, which may differ by its feasibility tolerances, is ``outcome.objective``.
    open : sorted indices of the open sites (existing ones included), ``int64``.
    assign : for UFL, MCLP, LSCP, p-median and p-center the site serving each demand point
        (``-1`` when unserved / uncovered); for CFL a dense ``(n, m)`` matrix of the fraction of
        each demand point's demand served by each site.
    outcome : the solver's :class:`~wzmodel.solver.SolveOutcome`; ``status`` (``optimal``,
        ``feasible``, ``infeasible``, ``no_solution`` or ``error``), ``gap``, ``bound`` and
        ``seconds`` (solver wall time) read it.
    build_seconds : the time spent building the model.
    covered : MCLP/LSCP only: boolean mask of demand points within the radius of an open site.
    uncoverable : MCLP/LSCP only: demand points no candidate site can reach within the radius.
    kind : ``ufl``, ``cfl``, ``mclp``, ``lscp``, ``pmedian`` or ``pcenter``.

    The arrays are read-only.
    """

    objective: float | None
    open: np.ndarray
    assign: np.ndarray
    outcome: SolveOutcome
    build_seconds: float = 0.0
    covered: np.ndarray | None = None
    uncoverable: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    kind: str = ""


@dataclass(eq=False)
class LocationModel:
    """A built, not yet solved, location model: the PuLP problem and the handles to decode it.

    ``pair_demand``, ``pair_site`` and ``pair_value`` describe the demand–site pairs in the
    model (sorted by demand point, then site); ``x`` holds their assignment variables (None for
    the covering models, whose pairs are the pairs in reach), ``y`` the site-opening variables,
    ``z`` the coverage variables of the MCLP (one per coverable demand point, ``z_demand``).
    """

    kind: str
    prob: pulp.LpProblem
    n_demand: int
    n_sites: int
    y: list
    pair_demand: np.ndarray
    pair_site: np.ndarray
    pair_value: np.ndarray
    x: list | None = None
    z: list | None = None
    z_demand: np.ndarray | None = None
    existing: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    uncoverable: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    single_source: bool = False
    build_seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_pairs(self) -> int:
        return int(self.pair_demand.size)


# ---------------------------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------------------------
def _options(gap: float, time_limit: float | None, solver: SolverSpec) -> SolverOptions:
    if isinstance(solver, SolverOptions):
        if gap != 0.0 or time_limit is not None:
            raise ValueError(
                "pass gap and time_limit inside the SolverOptions when giving one, not as "
                "separate arguments"
            )
        return solver
    name = DEFAULT_SOLVER if solver is None else solver
    if not isinstance(name, str):
        raise TypeError(
            f"solver must be None, one of {solver_names()} or a SolverOptions, got {solver!r}"
        )
    return SolverOptions(solver=name.lower(), gap=float(gap), time_limit=time_limit)


def _first(indices: np.ndarray, limit: int = 5) -> str:
    shown = ", ".join(str(int(i)) for i in indices[:limit])
    return f"[{shown}{', ...' if indices.size > limit else ''}]"


def _pairs(
    matrix: Any, name: str, limit: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    """The pairs in reach of a dense or sparse ``(n, m)`` matrix, sorted by row then column.

    Returns ``(rows, cols, values, shape)``. With ``limit``, only entries ``<= limit`` count.
    """
    if sp.issparse(matrix):
        coo = matrix.tocoo()
        shape = (int(coo.shape[0]), int(coo.shape[1]))
        rows = np.asarray(coo.row, dtype=np.int64)
        cols = np.asarray(coo.col, dtype=np.int64)
        try:
            vals = np.asarray(coo.data, dtype=float)
        except (TypeError, ValueError) as exc:
            raise SpecificationError(f"{name} must be numeric: {exc}") from None
        if rows.size:
            key = rows * shape[1] + cols
            if np.unique(key).size != key.size:
                raise SpecificationError(
                    f"{name} stores some (demand point, site) pair more than once; "
                    "deduplicate the sparse entries first"
                )
        bad = np.isnan(vals)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise SpecificationError(f"{name} contains NaN (first at [{rows[k]}, {cols[k]}])")
        bad = vals < 0
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise SpecificationError(
                f"{name} must not be negative; {name}[{rows[k]}, {cols[k]}] = {vals[k]}"
            )
        keep = np.isfinite(vals)
        if limit is not None:
            keep &= vals <= limit
        rows, cols, vals = rows[keep], cols[keep], vals[keep]
        order = np.lexsort((cols, rows))
        rows, cols, vals = rows[order], cols[order], vals[order]
    else:
        try:
            arr = np.asarray(matrix, dtype=float)
        except (TypeError, ValueError) as exc:
            raise SpecificationError(f"{name} must be a numeric matrix: {exc}") from None
        if arr.ndim != 2:
            raise SpecificationError(
                f"{name} must be a 2-D (demand points x sites) matrix, got shape {arr.shape}"
            )
        shape = (int(arr.shape[0]), int(arr.shape[1]))
        nan = np.isnan(arr)
        if nan.any():
            r, c = np.argwhere(nan)[0]
            raise SpecificationError(f"{name} contains NaN (first at [{r}, {c}])")
        neg = arr < 0
        if neg.any():
            r, c = np.argwhere(neg)[0]
            raise SpecificationError(
                f"{name} must not be negative; {name}[{r}, {c}] = {arr[r, c]}"
            )
        mask = np.isfinite(arr) if limit is None else arr <= limit
        rows, cols = np.nonzero(mask)
        rows = rows.astype(np.int64, copy=False)
        cols = cols.astype(np.int64, copy=False)
        vals = arr[rows, cols]
    if shape[0] == 0 or shape[1] == 0:
        raise SpecificationError(
            f"{name} has shape {shape}; at least one demand point and one site are needed"
        )
    return rows, cols, vals, shape


def _vector(
    values: Any, name: str, length: int, what: str, *, scalar_ok: bool = False
) -> np.ndarray:
    """A finite, non-negative float vector of the given length."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise SpecificationError(f"{name} must be numeric: {exc}") from None
    if arr.ndim == 0 and scalar_ok:
        arr = np.full(length, float(arr))
    if arr.ndim != 1 or arr.size != length:
        raise SpecificationError(
            f"{name} must have one entry per {what} ({length}), got shape {arr.shape}"
        )
    if np.isnan(arr).any():
        k = int(np.flatnonzero(np.isnan(arr))[0])
        raise SpecificationError(f"{name} contains NaN (first at {k})")
    if not np.isfinite(arr).all():
        k = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise SpecificationError(f"{name} must be finite; {name}[{k}] = {arr[k]}")
    if (arr < 0).any():
        k = int(np.flatnonzero(arr < 0)[0])
        raise SpecificationError(f"{name} must not be negative; {name}[{k}] = {arr[k]}")
    return arr


def _scalar(value: Any, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise SpecificationError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(v):
        raise SpecificationError(f"{name} must be finite, got {v}")
    if v < 0:
        raise SpecificationError(f"{name} must not be negative, got {v}")
    return v


def _existing(existing: Any, m: int) -> np.ndarray:
    if existing is None:
        return np.empty(0, dtype=np.int64)
    arr = np.asarray(existing)
    if arr.dtype == bool:
        if arr.shape != (m,):
            raise SpecificationError(
                f"existing as a boolean mask must have one entry per site ({m}), "
                f"got shape {arr.shape}"
            )
        return np.flatnonzero(arr).astype(np.int64)
    arr = arr.ravel()
    if arr.size == 0:
        return np.empty(0, dtype=np.int64)
    if not np.issubdtype(arr.dtype, np.integer):
        if np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise SpecificationError(
                f"existing must hold site indices (integers), got {existing!r}"
            )
    bad = (arr < 0) | (arr >= m)
    if bad.any():
        raise SpecificationError(
            f"existing site index {int(arr[bad][0])} is out of range for {m} candidate sites"
        )
    return np.unique(arr.astype(np.int64))


def _check_p(p: Any, m: int, n_existing: int) -> int:
    if isinstance(p, bool) or not isinstance(p, int | np.integer):
        raise SpecificationError(f"p must be an integer, got {p!r}")
    p = int(p)
    if p < 1:
        raise SpecificationError(f"p = {p} must be at least 1")
    if p > m:
        raise SpecificationError(f"p = {p} exceeds the number of candidate sites ({m})")
    if p < n_existing:
        raise SpecificationError(
            f"p = {p} is smaller than the number of existing sites ({n_existing}), which count "
            "towards p"
        )
    return p


def _require_reach(rows: np.ndarray, n: int, name: str, why: str = "") -> None:
    has = np.zeros(n, dtype=bool)
    has[rows] = True
    if not has.all():
        missing = np.flatnonzero(~has)
        raise SpecificationError(
            f"demand point(s) {_first(missing)} ({missing.size} in all) have no site in reach "
            f"in {name}{why}; every demand point must be served"
        )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a model is built.

    Building a city-sized model allocates hundreds of thousands of small, acyclic PuLP objects;
    the generational collector would otherwise rescan them over and over (about half of the build
    time on OR-Library capa). Reference counting still frees everything; the previous state is
    restored on exit.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _builder(func: Callable[..., LocationModel]) -> Callable[..., LocationModel]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> LocationModel:
        with _gc_paused():
            return func(*args, **kwargs)

    return wrapper


def _row_starts(rows: np.ndarray, n: int) -> list[int]:
    return np.searchsorted(rows, np.arange(n + 1)).tolist()


# ---------------------------------------------------------------------------------------------
# Model-building helpers (fast paths over prebuilt lists; no loop over the dense matrix)
# ---------------------------------------------------------------------------------------------
def _site_vars(prob: pulp.LpProblem, m: int, existing: np.ndarray) -> list:
    forced = np.zeros(m, dtype=bool)
    forced[existing] = True
    return [
        prob.add_variable(f"y_{i}", 1 if f else 0, 1, cat=pulp.LpInteger)
        for i, f in enumerate(forced.tolist())
    ]


def _vars(prob: pulp.LpProblem, prefix: str, count: int, cat: str = pulp.LpContinuous) -> list:
    if cat == pulp.LpBinary:
        return [prob.add_variable(f"{prefix}_{k}", 0, 1, cat=pulp.LpInteger) for k in range(count)]
    return [prob.add_variable(f"{prefix}_{k}", 0, 1) for k in range(count)]


def _add_rows(prob: pulp.LpProblem, prefix: str, terms: Sequence, sense: int, rhs: Any) -> None:
    """Add one constraint per entry of ``terms`` (each a dict or list of (variable, coef))."""
    if np.isscalar(rhs):
        rhs = [float(rhs)] * len(terms)
    rows = {}
    for k, (t, b) in enumerate(zip(terms, rhs, strict=True)):
        name = f"{prefix}_{k}"
        rows[name] = pulp.LpConstraint(pulp.LpAffineExpression(t), sense, name, b)
    prob.extend(rows)


def _assignment_rows(prob: pulp.LpProblem, x: list, starts: list[int], n: int) -> None:
    """sum_i x_ij = 1 for every demand point j."""
    _add_rows(prob, "assign", [dict.fromkeys(x[starts[j]:starts[j + 1]], 1.0) for j in range(n)],
              _EQ, 1.0)


def _linking_rows(prob: pulp.LpProblem, x: list, y: list, cols: np.ndarray) -> None:
    """x_ij <= y_i for every pair (the strong formulation)."""
    _add_rows(prob, "link", [{xk: 1.0, y[i]: -1.0} for xk, i in zip(x, cols.tolist(), strict=True)],
              _LE, 0.0)


def _capacity_rows(prob: pulp.LpProblem, x: list, y: list, cols: np.ndarray, load: np.ndarray,
                   capacity: np.ndarray) -> None:
    """sum_j load_ij x_ij <= capacity_i y_i for every site."""
    m = len(y)
    order = np.argsort(cols, kind="stable")
    starts = np.searchsorted(cols[order], np.arange(m + 1)).tolist()
    order_l = order.tolist()
    load_l = load.tolist()
    terms = []
    for i in range(m):
        t = [(x[k], load_l[k]) for k in order_l[starts[i]:starts[i + 1]]]
        t.append((y[i], -float(capacity[i])))
        terms.append(t)
    _add_rows(prob, "cap", terms, _LE, 0.0)


def _set_objective(prob: pulp.LpProblem, terms: list) -> None:
    prob.setObjective(pulp.LpAffineExpression(terms))


# ---------------------------------------------------------------------------------------------
# Decoding helpers
# ---------------------------------------------------------------------------------------------
def _values(variables: list) -> np.ndarray:
    return np.array([0.0 if v.varValue is None else v.varValue for v in variables], dtype=float)


def _best_pair_per_row(rows: np.ndarray, key: np.ndarray, n: int, keep: np.ndarray) -> np.ndarray:
    """For each row the index of its kept pair with the smallest ``key`` (-1 if none).

    Ties go to the pair listed first (pairs are sorted by row, then site: the lowest site).
    """
    best = np.full(n, -1, dtype=np.int64)
    idx = np.flatnonzero(keep)
    if idx.size:
        idx = idx[np.lexsort((idx, key[idx], rows[idx]))]
        r = rows[idx]
        first = np.ones(idx.size, dtype=bool)
        first[1:] = r[1:] != r[:-1]
        best[r[first]] = idx[first]
    return best


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr = np.array(arr, copy=True)
    arr.setflags(write=False)
    return arr


def _decode(model: LocationModel, outcome: SolveOutcome) -> LocationResult:
    n, m, kind = model.n_demand, model.n_sites, model.kind
    coverage = kind in ("mclp", "lscp")
    common = dict(
        outcome=outcome, build_seconds=model.build_seconds, uncoverable=_frozen(model.uncoverable),
        kind=kind,
    )
    if not outcome.has_solution:
        empty = np.zeros((n, m)) if kind == "cfl" else np.full(n, -1, dtype=np.int64)
        return LocationResult(
            objective=None, open=_frozen(np.empty(0, dtype=np.int64)), assign=_frozen(empty),
            covered=_frozen(np.zeros(n, dtype=bool)) if coverage else None, **common,
        )
    is_open = _values(model.y) > 0.5
    rows, cols, vals = model.pair_demand, model.pair_site, model.pair_value
    objective = outcome.objective
    if kind == "cfl":
        assign = np.zeros((n, m))
        assign[rows, cols] = np.clip(_values(model.x), 0.0, 1.0)
    else:
        if model.single_source:
            xv = _values(model.x)
            chosen = _best_pair_per_row(rows, -xv, n, xv > 0.5)
        else:
            chosen = _best_pair_per_row(rows, vals, n, is_open[cols])
        served = chosen >= 0
        assign = np.where(served, cols[np.maximum(chosen, 0)], -1).astype(np.int64)
        # The objective of the decoded plan, computed exactly (the solver's own value may be off
        # by its feasibility tolerances; it stays available in ``outcome.objective``).
        info = model.info
        if kind == "mclp":
            objective = float(info["weights"][served].sum())
        elif kind == "lscp":
            objective = float(info["charge"][is_open].sum())
        elif served.all():
            chosen_value = vals[chosen]
            if kind == "ufl":
                objective = float(info["fixed_cost"][is_open].sum() + chosen_value.sum())
            elif kind == "pmedian":
                objective = float((info["weights"] * chosen_value).sum())
            elif kind == "pcenter":
                objective = float(chosen_value.max())
    return LocationResult(
        objective=objective,
        open=_frozen(np.flatnonzero(is_open).astype(np.int64)),
        assign=_frozen(assign),
        covered=_frozen(assign >= 0) if coverage else None,
        **common,
    )


def solve_model(
    model: LocationModel,
    *,
    gap: float = 0.0,
    time_limit: float | None = None,
    solver: SolverSpec = None,
) -> LocationResult:
    """Solve a model from one of the ``build_*`` functions and decode its solution.

    Parameters
    ----------
    model : LocationModel
        The output of ``build_ufl``, ``build_cfl``, ``build_mclp``, ``build_lscp``,
        ``build_pmedian`` or ``build_pcenter``.
    gap : float, default 0
        Relative MIP gap at which the search stops (0 = prove optimality).
    time_limit : float, optional
        Wall-clock limit in seconds.
    solver : None, "highs", "cbc" or SolverOptions
        The solver; a ``SolverOptions`` carries its own gap and time limit.

    Returns
    -------
    LocationResult
    """
    options = _options(gap, time_limit, solver)
    return _decode(model, solve(model.prob, options))


# ---------------------------------------------------------------------------------------------
# Uncapacitated facility location
# ---------------------------------------------------------------------------------------------
@_builder
def build_ufl(fixed_cost: Any, cost: Any) -> LocationModel:
    r"""Build the uncapacitated facility-location model (strong formulation).

    Parameters
    ----------
    fixed_cost : array_like, shape (m,)
        Cost :math:`f_i` of opening site :math:`i`.
    cost : array_like or sparse matrix, shape (n, m)
        :math:`c_{ji}`, the cost of serving *all* of demand point :math:`j`'s demand from site
        :math:`i`. Unreachable pairs: ``inf`` (dense) or absent (sparse).

    Notes
    -----
    With :math:`P` the set of pairs in reach,

    .. math::

        \min \; & \sum_i f_i y_i + \sum_{(j,i) \in P} c_{ji} x_{ji} \\
        \text{s.t.} \; & \sum_{i:(j,i)\in P} x_{ji} = 1 \quad \forall j \\
        & x_{ji} \le y_i \quad \forall (j,i) \in P \\
        & 0 \le x_{ji} \le 1, \quad y_i \in \{0,1\}.

    For fixed integral :math:`y` the assignment is integral at a vertex, so :math:`x` is kept
    continuous.
    """
    t0 = time.perf_counter()
    rows, cols, vals, (n, m) = _pairs(cost, "cost")
    f = _vector(fixed_cost, "fixed_cost", m, "site (columns of cost)")
    _require_reach(rows, n, "cost")
    prob = pulp.LpProblem("ufl", pulp.LpMinimize)
    y = _site_vars(prob, m, np.empty(0, dtype=np.int64))
    x = _vars(prob, "x", rows.size)
    _set_objective(prob, list(zip(y, f.tolist(), strict=True))
                   + list(zip(x, vals.tolist(), strict=True)))
    _assignment_rows(prob, x, _row_starts(rows, n), n)
    _linking_rows(prob, x, y, cols)
    return LocationModel("ufl", prob, n, m, y, rows, cols, vals, x=x,
                         build_seconds=time.perf_counter() - t0, info={"fixed_cost": f})


def solve_ufl(
    fixed_cost: Any,
    cost: Any,
    *,
    gap: float = 0.0,
    time_limit: float | None = None,
    solver: SolverSpec = None,
) -> LocationResult:
    r"""Solve the uncapacitated facility-location problem (UFL).

    Parameters
    ----------
    fixed_cost : array_like, shape (m,)
        Opening cost of each candidate site.
    cost : array_like or sparse matrix, shape (n, m)
        Cost of serving all of demand point ``j``'s demand from site ``i``.
    gap, time_limit, solver
        See :func:`solve_model`.

    Returns
    -------
    LocationResult
        ``assign[j]`` is the cheapest open site for point ``j``.

    Raises
    ------
    SpecificationError
        Shape mismatch, negative or NaN costs, or a demand point with no site in reach.

    Notes
    -----
    Model (see :func:`build_ufl`):
    :math:`\min \sum_i f_i y_i + \sum_{ji} c_{ji} x_{ji}` s.t. :math:`\sum_i x_{ji} = 1`,
    :math:`x_{ji} \le y_i`, :math:`0 \le x \le 1`, :math:`y \in \{0,1\}`.
    """
    options = _options(gap, time_limit, solver)
    model = build_ufl(fixed_cost, cost)
    return _decode(model, solve(model.prob, options))


# ---------------------------------------------------------------------------------------------
# Capacitated facility location (split demand)
# ---------------------------------------------------------------------------------------------
@_builder
def build_cfl(fixed_cost: Any, capacity: Any, demand: Any, cost: Any) -> LocationModel:
    r"""Build the capacitated facility-location model with divisible demand.

    Parameters
    ----------
    fixed_cost : array_like, shape (m,)
        Opening cost :math:`f_i`.
    capacity : array_like, shape (m,) or scalar
        Capacity :math:`s_i`.
    demand : array_like, shape (n,)
        Demand :math:`d_j`.
    cost : array_like or sparse matrix, shape (n, m)
        :math:`c_{ji}`, the cost of serving *all* of :math:`j`'s demand from :math:`i` (a fraction
        :math:`x_{ji}` costs :math:`c_{ji} x_{ji}`).

    Notes
    -----
    .. math::

        \min \; & \sum_i f_i y_i + \sum_{(j,i)\in P} c_{ji} x_{ji} \\
        \text{s.t.} \; & \sum_{i:(j,i)\in P} x_{ji} = 1 \quad \forall j \\
        & \sum_{j:(j,i)\in P} d_j x_{ji} \le s_i y_i \quad \forall i \\
        & x_{ji} \le y_i \quad \forall (j,i)\in P \\
        & 0 \le x_{ji} \le 1, \quad y_i \in \{0,1\}.

    Raises :class:`SpecificationError` when the total capacity is below the total demand.
    """
    t0 = time.perf_counter()
    rows, cols, vals, (n, m) = _pairs(cost, "cost")
    f = _vector(fixed_cost, "fixed_cost", m, "site (columns of cost)")
    s = _vector(capacity, "capacity", m, "site (columns of cost)", scalar_ok=True)
    d = _vector(demand, "demand", n, "demand point (rows of cost)")
    if s.sum() < d.sum():
        raise SpecificationError(
            f"total capacity {s.sum():g} is below total demand {d.sum():g}; no plan can serve it"
        )
    _require_reach(rows, n, "cost")
    prob = pulp.LpProblem("cfl", pulp.LpMinimize)
    y = _site_vars(prob, m, np.empty(0, dtype=np.int64))
    x = _vars(prob, "x", rows.size)
    _set_objective(prob, list(zip(y, f.tolist(), strict=True))
                   + list(zip(x, vals.tolist(), strict=True)))
    _assignment_rows(prob, x, _row_starts(rows, n), n)
    _capacity_rows(prob, x, y, cols, d[rows], s)
    _linking_rows(prob, x, y, cols)
    return LocationModel("cfl", prob, n, m, y, rows, cols, vals, x=x,
                         build_seconds=time.perf_counter() - t0)


def solve_cfl(
    fixed_cost: Any,
    capacity: Any,
    demand: Any,
    cost: Any,
    *,
    gap: float = 0.0,
    time_limit: float | None = None,
    solver: SolverSpec = None,
) -> LocationResult:
    r"""Solve the capacitated facility-location problem with split demand (CFL).

    Parameters
    ----------
    fixed_cost : array_like, shape (m,)
    capacity : array_like, shape (m,) or scalar
    demand : array_like, shape (n,)
    cost : array_like or sparse matrix, shape (n, m)
        Cost of serving *all* of point ``j``'s demand from site ``i``.
    gap, time_limit, solver
        See :func:`solve_model`.

    Returns
    -------
    LocationResult
        ``assign`` is the dense ``(n, m)`` matrix of served fractions :math:`x_{ji}`.

    Raises
    ------
    SpecificationError
        Total capacity below total demand, shape mismatch, negative or NaN data, or a demand
        point with no site in reach.

    Notes
    -----
    Model (see :func:`build_cfl`): :math:`\min \sum_i f_i y_i + \sum_{ji} c_{ji} x_{ji}` s.t.
    :math:`\sum_i x_{ji} = 1`, :math:`\sum_j d_j x_{ji} \le s_i y_i`, :math:`x_{ji} \le y_i`,
    :math:`0 \le x \le 1`, :math:`y \in \{0,1\}`.
    """
    options = _options(gap, time_limit, solver)
    model = build_cfl(fixed_cost, capacity, demand, cost)
    return _decode(model, solve(model.prob, options))


# ---------------------------------------------------------------------------------------------
# Maximal covering (MCLP)
# ---------------------------------------------------------------------------------------------
@_builder
def build_mclp(
    distance: Any,
    radius: float,
    weights: Any,
    p: int | None,
    *,
    existing: Any = None,
    site_cost: Any = None,
    budget: float | None = None,
) -> LocationModel:
    r"""Build the maximal covering location model.

    Parameters
    ----------
    distance : array_like or sparse matrix, shape (n, m)
        Distance :math:`d_{ji}`; point :math:`j` is covered by site :math:`i` when
        :math:`d_{ji} \le` ``radius``.
    radius : float
        Service radius :math:`R`.
    weights : array_like, shape (n,)
        Weight :math:`w_j` (e.g. population) of each demand point.
    p : int or None
        Number of sites to open (existing ones included). With a budget, an upper limit
        (None = no limit).
    existing : indices or boolean mask, optional
        Sites already open.
    site_cost, budget : optional
        Cost :math:`c_i` of opening each site and the budget :math:`B` for new sites.

    Notes
    -----
    With :math:`N_j = \{i : d_{ji} \le R\}` and :math:`J^+ = \{j : N_j \neq \emptyset\}`,

    .. math::

        \max \; & \sum_{j \in J^+} w_j z_j \\
        \text{s.t.} \; & z_j \le \sum_{i \in N_j} y_i \quad \forall j \in J^+ \\
        & \sum_i y_i = p \quad \text{(without a budget)} \\
        & \sum_{i \notin E} c_i y_i \le B, \;\; \sum_i y_i \le p \quad \text{(with a budget)} \\
        & y_i = 1 \;\; \forall i \in E, \quad 0 \le z_j \le 1, \quad y_i \in \{0,1\}.

    :math:`z` is continuous: with integral :math:`y` an optimal :math:`z_j` is
    :math:`\min(1, \sum_{i\in N_j} y_i)`. Points outside :math:`J^+` are reported as uncoverable.
    """
    t0 = time.perf_counter()
    R = _scalar(radius, "radius")
    rows, cols, vals, (n, m) = _pairs(distance, "distance", limit=R)
    w = _vector(weights, "weights", n, "demand point (rows of distance)")
    ex = _existing(existing, m)
    if budget is None:
        if site_cost is not None:
            raise SpecificationError("site_cost is only used together with a budget")
        if p is None:
            raise SpecificationError("give p (the number of sites), or site_cost and a budget")
        p = _check_p(p, m, ex.size)
        B = None
        c = None
    else:
        if site_cost is None:
            raise SpecificationError("a budget needs site_cost (the cost of opening each site)")
        B = _scalar(budget, "budget")
        c = _vector(site_cost, "site_cost", m, "site (columns of distance)")
        if p is not None:
            p = _check_p(p, m, ex.size)
    starts = _row_starts(rows, n)
    coverable = np.diff(starts) > 0
    z_demand = np.flatnonzero(coverable).astype(np.int64)
    uncoverable = np.flatnonzero(~coverable).astype(np.int64)

    prob = pulp.LpProblem("mclp", pulp.LpMaximize)
    y = _site_vars(prob, m, ex)
    z = _vars(prob, "z", z_demand.size)
    _set_objective(prob, [(v, 0.0) for v in y] + list(zip(z, w[z_demand].tolist(), strict=True)))
    cols_l = cols.tolist()
    terms = []
    for zj, j in zip(z, z_demand.tolist(), strict=True):
        t = {y[i]: -1.0 for i in cols_l[starts[j]:starts[j + 1]]}
        t[zj] = 1.0
        terms.append(t)
    _add_rows(prob, "cover", terms, _LE, 0.0)
    if B is None:
        _add_rows(prob, "count", [dict.fromkeys(y, 1.0)], _EQ, float(p))
    else:
        charged = np.ones(m, dtype=bool)
        charged[ex] = False
        _add_rows(prob, "budget",
                  [[(y[i], float(c[i])) for i in np.flatnonzero(charged).tolist()]], _LE, B)
        if p is not None:
            _add_rows(prob, "count", [dict.fromkeys(y, 1.0)], _LE, float(p))
    return LocationModel("mclp", prob, n, m, y, rows, cols, vals, z=z, z_demand=z_demand,
                         existing=ex, uncoverable=uncoverable,
                         build_seconds=time.perf_counter() - t0,
                         info={"radius": R, "weights": w})


def solve_mclp(
    distance: Any,
    radius: float,
    weights: Any,
    p: int | None,
    *,
    existing: Any = None,
    site_cost: Any = None,
    budget: float | None = None,
    gap: float = 0.0,
    time_limit: float | None = None,
    solver: SolverSpec = None,
) -> LocationResult:
    r"""Solve the maximal covering location problem (MCLP).

    Open ``p`` sites (or, with ``site_cost`` and ``budget``, any number whose cost for new sites
    fits the budget, at most ``p`` if given) to maximise the weight of demand points within
    ``radius`` of an open site.

    Parameters
    ----------
    distance : array_like or sparse matrix, shape (n, m)
    radius : float
    weights : array_like, shape (n,)
    p : int or None
    existing : indices or boolean mask, optional
        Sites already open; forced open and counted towards ``p``; not charged to the budget.
    site_cost : array_like, shape (m,), optional
    budget : float, optional
    gap, time_limit, solver
        See :func:`solve_model`.

    Returns
    -------
    LocationResult
        ``objective`` is the covered weight, ``covered`` the mask of covered points, ``assign``
        the nearest open site within the radius (-1 if none), ``uncoverable`` the points no
        site can reach.

    Raises
    ------
    SpecificationError
        p < 1, p above the number of sites or below the number of existing sites, negative or NaN
        data, shape mismatch, missing p/budget.

    Notes
    -----
    Model (see :func:`build_mclp`): :math:`\max \sum_j w_j z_j` s.t.
    :math:`z_j \le \sum_{i \in N_j} y_i`, :math:`\sum_i y_i = p` (or the budget),
    :math:`y_E = 1`, :math:`0 \le z \le 1`, :math:`y \in \{0,1\}`.
    """
    options = _options(gap, time_limit, solver)
    model = build_mclp(distance, radius, weights, p, existing=existing, site_cost=site_cost,
                       budget=budget)
    return _decode(model, solve(model.prob, options))


# ---------------------------------------------------------------------------------------------
# Location set covering (LSCP)
# ---------------------------------------------------------------------------------------------
@_builder
def build_lscp(
    distance: Any, radius: float, *, site_cost: Any = None, existing: Any = None
) -> LocationModel:
    r"""Build the location set-covering model.

    Parameters
    ----------
    distance : array_like or sparse matrix, shape (n, m)
    radius : float
        Point :math:`j` is covered by site :math:`i` when :math:`d_{ji} \le R`.
    site_cost : array_like, shape (m,), optional
        Cost :math:`c_i` of each site (default 1: minimise the number of sites).
    existing : indices or boolean mask, optional
        Sites already open (forced open, not charged).

    Notes
    -----
    With :math:`N_j = \{i : d_{ji} \le R\}`, :math:`J^+ = \{j : N_j \ne \emptyset\}` and
    :math:`E` the existing sites,

    .. math::

        \min \; & \sum_{i \notin E} c_i y_i \\
        \text{s.t.} \; & \sum_{i \in N_j} y_i \ge 1 \quad \forall j \in J^+ \\
        & y_i = 1 \;\; \forall i \in E, \quad y_i \in \{0,1\}.

    Points outside :math:`J^+` cannot be covered by any site; they are reported in
    ``uncoverable`` rather than making the model infeasible.
    """
    t0 = time.perf_counter()
    R = _scalar(radius, "radius")
    rows, cols, vals, (n, m) = _pairs(distance, "distance", limit=R)
    c = np.ones(m) if site_cost is None else _vector(site_cost, "site_cost", m,
                                                      "site (columns of distance)")
    ex = _existing(existing, m)
    charge = c.copy()
    charge[ex] = 0.0
    starts = _row_starts(rows, n)
    coverable = np.diff(starts) > 0
    prob = pulp.LpProblem("lscp", pulp.LpMinimize)
    y = _site_vars(prob, m, ex)
    _set_objective(prob, list(zip(y, charge.tolist(), strict=True)))
    cols_l = cols.tolist()
    terms = [dict.fromkeys([y[i] for i in cols_l[starts[j]:starts[j + 1]]], 1.0)
             for j in np.flatnonzero(coverable).tolist()]
    _add_rows(prob, "cover", terms, _GE, 1.0)
    return LocationModel("lscp", prob, n, m, y, rows, cols, vals, existing=ex,
                         uncoverable=np.flatnonzero(~coverable).astype(np.int64),
                         build_seconds=time.perf_counter() - t0,
                         info={"radius": R, "charge": charge})


def solve_lscp(
    distance: Any,
    radius: float,
    *,
    site_cost: Any = None,
    existing: Any = None,
    gap: float = 0.0,
    time_limit: float | None = None,
    solver: SolverSpec = None,
) -> LocationResult:
    r"""Solve the location set-covering problem (LSCP).

    Open the fewest sites (or the cheapest set, with ``site_cost``) such that every demand point
    some site can reach within ``radius`` is within ``radius`` of an open site.

    Parameters
    ----------
    distance : array_like or sparse matrix, shape (n, m)
    radius : float
    site_cost : array_like, shape (m,), optional
    existing : indices or boolean mask, optional
    gap, time_limit, solver
        See :func:`solve_model`.

    Returns
    -------
    LocationResult
        ``objective`` is the number (or cost) of new sites, ``uncoverable`` the demand points
        no candidate site reaches (they are excluded from the covering constraints and reported
        here, never dropped silently), ``covered`` the mask of covered points.

    Notes
    -----
    Model (see :func:`build_lscp`): :math:`\min \sum_{i \notin E} c_i y_i` s.t.
    :math:`\sum_{i \in N_j} y_i \ge 1` for every coverable :math:`j`, :math:`y_E = 1`,
    :math:`y \in \{0,1\}`.
    """
    options = _options(gap, time_limit, solver)
    model = build_lscp(distance, radius, site_cost=site_cost, existing=existing)
    return _decode(model, solve(model.prob, options))


# ---------------------------------------------------------------------------------------------
# p-median (optionally capacitated)
# ---------------------------------------------------------------------------------------------
@_builder
def build_pmedian(
    distance: Any, weights: Any, p: int, *, capacity: Any = None, existing: Any = None
) -> LocationModel:
    r"""Build the p-median model (optionally capacitated, single-source).

    Parameters
    ----------
    distance : array_like or sparse matrix, shape (n, m)
        :math:`d_{ji}`; absent/infinite entries are pairs out of reach.
    weights : array_like, shape (n,)
        Demand :math:`w_j` of each point.
    p : int
        Number of sites to open (existing ones included).
    capacity : array_like, shape (m,) or scalar, optional
        Capacity :math:`Q_i` in units of weight. Each point is then served by exactly one site
        (single sourcing, :math:`x` binary).
    existing : indices or boolean mask, optional

    Notes
    -----
    .. math::

        \min \; & \sum_{(j,i)\in P} w_j d_{ji} x_{ji} \\
        \text{s.t.} \; & \sum_{i:(j,i)\in P} x_{ji} = 1 \quad \forall j \\
        & x_{ji} \le y_i \quad \forall (j,i)\in P \\
        & \sum_i y_i = p, \quad y_i = 1 \;\; \forall i \in E \\
        & \sum_{j:(j,i)\in P} w_j x_{ji} \le Q_i y_i \quad \forall i \quad
          \text{(capacitated only)} \\
        & y_i \in \{0,1\}, \;\; 0 \le x_{ji} \le 1 \text{ (uncapacitated) or }
          x_{ji} \in \{0,1\} \text{ (capacitated)}.

    In the capacitated case, pairs with :math:`w_j > Q_i` are left out (the site could never
    serve the point alone).
    """
    t0 = time.perf_counter()
    rows, cols, vals, (n, m) = _pairs(distance, "distance")
    w = _vector(weights, "weights", n, "demand point (rows of distance)")
    ex = _existing(existing, m)
    p = _check_p(p, m, ex.size)
    Q = None
    if capacity is not None:
        Q = _vector(capacity, "capacity", m, "site (columns of distance)", scalar_ok=True)
        total = w.sum()
        if Q.sum() < total:
            raise SpecificationError(
                f"total capacity {Q.sum():g} is below total demand {total:g}; no plan can serve it"
            )
        others = np.setdiff1d(np.arange(m), ex)
        best = Q[ex].sum() + np.sort(Q[others])[::-1][: p - ex.size].sum()
        if best < total:
            raise SpecificationError(
                f"the {p} largest admissible capacities (existing sites included) add up to "
                f"{best:g}, below total demand {total:g}"
            )
        fits = w[rows] <= Q[cols]
        rows, cols, vals = rows[fits], cols[fits], vals[fits]
        _require_reach(rows, n, "distance", " whose capacity can hold its whole weight")
    else:
        _require_reach(rows, n, "distance")
    prob = pulp.LpProblem("pmedian", pulp.LpMinimize)
    y = _site_vars(prob, m, ex)
    x = _vars(prob, "x", rows.size, cat=pulp.LpBinary if Q is not None else pulp.LpContinuous)
    _set_objective(prob, [(v, 0.0) for v in y]
                   + list(zip(x, (w[rows] * vals).tolist(), strict=True)))
    _assignment_rows(prob, x, _row_starts(rows, n), n)
    _linking_rows(prob, x, y, cols)
    _add_rows(prob, "count", [dict.fromkeys(y, 1.0)], _EQ, float(p))
    if Q is not None:
        _capacity_rows(prob, x, y, cols, w[rows], Q)
    return LocationModel("pmedian", prob, n, m, y, rows, cols, vals, x=x, existing=ex,
                         single_source=Q is not None, build_seconds=time.perf_counter() - t0,
                         info={"weights": w})


def solve_pmedian(
    distance: Any,
    weights: Any,
    p: int,
    *,
    capacity: Any = None,
    existing: Any = None,
    gap: float = 0.0,
    time_limit: float | None = None,
    solver: SolverSpec = None,
) -> LocationResult:
    r"""Solve the p-median problem: open ``p`` sites minimising the total weighted distance.

    Parameters
    ----------
    distance : array_like or sparse matrix, shape (n, m)
    weights : array_like, shape (n,)
    p : int
    capacity : array_like, shape (m,) or scalar, optional
        Site capacities in units of weight; each point is then served by exactly one site.
    existing : indices or boolean mask, optional
    gap, time_limit, solver
        See :func:`solve_model`.

    Returns
    -------
    LocationResult
        ``objective`` is :math:`\sum_j w_j d_{j, a(j)}`; ``assign[j]`` the serving site.

    Raises
    ------
    SpecificationError
        p out of range, capacities that cannot hold the total weight, negative or NaN data,
        shape mismatch, or a demand point no site can serve.

    Notes
    -----
    Model (see :func:`build_pmedian`): :math:`\min \sum_{ji} w_j d_{ji} x_{ji}` s.t.
    :math:`\sum_i x_{ji} = 1`, :math:`x_{ji} \le y_i`, :math:`\sum_i y_i = p`,
    :math:`y_E = 1`, optionally :math:`\sum_j w_j x_{ji} \le Q_i y_i` with binary :math:`x`.
    """
    options = _options(gap, time_limit, solver)
    model = build_pmedian(distance, weights, p, capacity=capacity, existing=existing)
    return _decode(model, solve(model.prob, options))


# ---------------------------------------------------------------------------------------------
# p-center
# ---------------------------------------------------------------------------------------------
@_builder
def build_pcenter(distance: Any, p: int, *, existing: Any = None) -> LocationModel:
    r"""Build the (vertex-restricted) p-center model.

    Parameters
    ----------
    distance : array_like or sparse matrix, shape (n, m)
    p : int
        Number of sites to open (existing ones included).
    existing : indices or boolean mask, optional

    Notes
    -----
    .. math::

        \min \; & r \\
        \text{s.t.} \; & \sum_{i:(j,i)\in P} x_{ji} = 1 \quad \forall j \\
        & x_{ji} \le y_i \quad \forall (j,i)\in P \\
        & \sum_{i:(j,i)\in P} d_{ji} x_{ji} \le r \quad \forall j \\
        & \sum_i y_i = p, \quad y_i = 1 \;\; \forall i \in E \\
        & r \ge \max_j \min_{i:(j,i)\in P} d_{ji}, \quad 0 \le x_{ji} \le 1,
          \quad y_i \in \{0,1\}.

    :math:`x` may stay continuous: for fixed :math:`y` the smallest feasible :math:`r` is
    attained by sending each point to its nearest open site. The lower bound on :math:`r` (every
    point's nearest candidate) is valid and tightens the relaxation.
    """
    t0 = time.perf_counter()
    rows, cols, vals, (n, m) = _pairs(distance, "distance")
    ex = _existing(existing, m)
    p = _check_p(p, m, ex.size)
    _require_reach(rows, n, "distance")
    starts = _row_starts(rows, n)
    nearest = np.minimum.reduceat(vals, np.asarray(starts[:-1])) if vals.size else np.zeros(1)
    prob = pulp.LpProblem("pcenter", pulp.LpMinimize)
    y = _site_vars(prob, m, ex)
    x = _vars(prob, "x", rows.size)
    r = prob.add_variable("r", float(nearest.max()), None)
    _set_objective(prob, [(r, 1.0)] + [(v, 0.0) for v in y])
    _assignment_rows(prob, x, starts, n)
    _linking_rows(prob, x, y, cols)
    vals_l = vals.tolist()
    terms = []
    for j in range(n):
        a, b = starts[j], starts[j + 1]
        t = list(zip(x[a:b], vals_l[a:b], strict=True))
        t.append((r, -1.0))
        terms.append(t)
    _add_rows(prob, "radius", terms, _LE, 0.0)
    _add_rows(prob, "count", [dict.fromkeys(y, 1.0)], _EQ, float(p))
    return LocationModel("pcenter", prob, n, m, y, rows, cols, vals, x=x, existing=ex,
                         build_seconds=time.perf_counter() - t0)


def solve_pcenter(
    distance: Any,
    p: int,
    *,
    existing: Any = None,
    gap: float = 0.0,
    time_limit: float | None = None,
    solver: SolverSpec = None,
) -> LocationResult:
    r"""Solve the p-center problem: open ``p`` sites minimising the largest distance to service.

    Parameters
    ----------
    distance : array_like or sparse matrix, shape (n, m)
    p : int
    existing : indices or boolean mask, optional
    gap, time_limit, solver
        See :func:`solve_model`.

    Returns
    -------
    LocationResult
        ``objective`` is the largest distance from a demand point to its nearest open site,
        ``assign[j]`` that nearest open site.

    Notes
    -----
    Model (see :func:`build_pcenter`): :math:`\min r` s.t. :math:`\sum_i x_{ji} = 1`,
    :math:`x_{ji} \le y_i`, :math:`\sum_i d_{ji} x_{ji} \le r`, :math:`\sum_i y_i = p`,
    :math:`y_E = 1`, :math:`y \in \{0,1\}`.
    """
    options = _options(gap, time_limit, solver)
    model = build_pcenter(distance, p, existing=existing)
    return _decode(model, solve(model.prob, options))
