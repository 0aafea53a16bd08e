r"""Price and branch: city-sized binary models whose LP optimum uses few of their columns.

The Shanghai plan has ≈ 110,000 upgrade binaries, yet its LP optimum sets only ≈ 4,000 of them
above zero: most (community, class, year) choices are never worth their money. Branch and bound
on the whole model spends its time in the root LP; this solver instead

1. **prices columns in** (*sifting*): it solves the LP over a restricted set of columns — the
   caller's initial set plus every continuous column — computes the reduced cost
   :math:`d = c - A^\top y` of *every* column from the restricted LP's row duals :math:`y`, adds
   the most improving ones and repeats. Rows that cannot bind over the present columns (their
   activity bounds lie within the row bounds, e.g. "featured needs basic" of a community with no
   featured column present) are left out until a column makes them matter, which keeps the LP
   small. The restricted LP stays loaded in HiGHS between rounds, so each round starts from the
   last basis. The loop ends when no column improves: the restricted optimum is then the optimum
   of the **whole** LP relaxation — a valid bound for the whole model. (Stopped early by the time
   limit, :math:`z + \sum_{j\ \mathrm{improving}} |d_j|\,u_j` is still a valid bound.)
2. **branches on the fractional support**: with every binary that the LP sets to 0 or 1 fixed
   there, HiGHS solves the small MIP over the fractional ones (a few hundred); if that finds no
   plan, it solves the MIP over all priced-in columns with the rest of the time.
3. **closes the gap** if it is still wider than asked: a column whose reduced cost exceeds the
   gap in size is 0 in every better solution, so branch and bound over all the other columns
   (from the incumbent) proves a bound for the whole model — exact with ``gap = 0`` given time.

The reported bound is the whole model's (the LP's, or step 3's), never the restricted one's.

**Warm re-solves.** A solve leaves a :class:`WarmStart` (``outcome.extra["warm"]``): the
priced-in columns, the restricted LP's basis and the plan found, all keyed by column and row
name. Handed to the next solve of a similar model (other budgets, costs, shares or target
levels; columns and rows matched by name, so the model may be rebuilt), pricing starts from
those columns and that basis — a few dual simplex iterations instead of a cold LP — and branch
and bound starts from that plan when it still fits. The warm state is read, never changed, so
a re-solve depends only on the model and the state handed to it, not on what ran before.

HiGHS only; any PuLP model with binaries and a suitable initial column set can use it (the
initial set must contain every binary with a lower bound above zero).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import highspy
import numpy as np
import pulp
import scipy.sparse as sp

from wzmodel.solver.highs import highs_instance, highs_model, highs_status, model_arrays
from wzmodel.solver.options import SolverOptions
from wzmodel.solver.outcome import SolveOutcome, relative_gap

log = logging.getLogger(__name__)

__all__ = ["WarmStart", "solve_price_and_branch"]

_PRICE_TOL = 1e-7
_PROVEN_VIOLATION = 1e-6  # a phase one's least violation above this proves a model infeasible
_LAST_MOMENT = 0.5  # seconds a solve is given when the time limit has just run out
# A MIP with more free binaries than this is (nearly) the whole city model, which HiGHS's branch
# and bound does not solve in useful time, nor within its time limit (its presolve alone overran
# 9 s by 100 s; a reduced-cost window of 111,000 binaries ran 80 s for nothing)
_SEARCHABLE = 20_000
_BRANCH_SHARE = 0.3  # of a time limit, kept for branch and bound when pricing stops early
_IPM_ABOVE = 20_000  # columns of a cold restricted LP above which the interior point method starts
_STATUS = {int(s): s for s in highspy.HighsBasisStatus.__members__.values()}
_LOWER, _BASIC = int(highspy.HighsBasisStatus.kLower), int(highspy.HighsBasisStatus.kBasic)


@dataclass(frozen=True)
class WarmStart:
    """What a price-and-branch solve leaves for re-solving a similar model, keyed by name.

    ``present``: the priced-in columns; ``column_status`` / ``row_status``: the final restricted
    LP's basis (HiGHS basis status codes; -1 for a row or column that was not loaded);
    ``values``: the solution found (None if none was).
    """

    columns: np.ndarray  # column names
    rows: np.ndarray  # row names
    present: np.ndarray
    column_status: np.ndarray
    row_status: np.ndarray
    values: np.ndarray | None

    def onto(self, columns: np.ndarray, rows: np.ndarray) -> WarmStart:
        """This state re-indexed onto a model with the given column and row names (a name the
        state does not know: absent, not loaded, no value)."""
        if np.array_equal(columns, self.columns) and np.array_equal(rows, self.rows):
            return self
        col = _positions(self.columns, columns)
        row = _positions(self.rows, rows)
        known = col >= 0

        def take(a, fill):
            return np.where(known, a[np.maximum(col, 0)], fill)

        return WarmStart(
            columns, rows, take(self.present, False), take(self.column_status, -1),
            np.where(row >= 0, self.row_status[np.maximum(row, 0)], -1),
            None if self.values is None else take(self.values, 0.0),
        )


    def save(self, path: Path) -> None:
        """Write the state to ``path`` (a compressed ``.npz``; names as text)."""
        arrays = {"columns": self.columns.astype(str), "rows": self.rows.astype(str),
                  "present": self.present, "column_status": self.column_status,
                  "row_status": self.row_status}
        if self.values is not None:
            arrays["values"] = self.values
        with open(path, "wb") as f:
            np.savez_compressed(f, **arrays)

    @classmethod
    def load(cls, path: Path) -> WarmStart:
        with np.load(path, allow_pickle=False) as a:
            return cls(a["columns"].astype(object), a["rows"].astype(object), a["present"],
                       a["column_status"], a["row_status"],
                       a["values"] if "values" in a.files else None)


def _positions(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Position in ``old`` of each name of ``new`` (-1 where absent)."""
    where = {name: i for i, name in enumerate(old)}
    return np.fromiter((where.get(name, -1) for name in new), dtype=np.int64, count=len(new))


def solve_price_and_branch(
    prob: pulp.LpProblem,
    options: SolverOptions,
    initial: Iterable[pulp.LpVariable],
    *,
    batch: int = 5_000,
    warm: WarmStart | None = None,
) -> SolveOutcome:
    """Solve ``prob`` by pricing columns into its LP relaxation and branching on the result.

    ``initial`` names the binaries to start from (every continuous variable is always present);
    each round prices in at most ``batch`` columns, the most improving first — enough to
    converge in a few rounds on the Shanghai model, few enough that each round's LP stays close
    to the last one.
    Variable values are set on ``prob`` like :func:`wzmodel.solver.solve` does; the outcome's
    ``extra`` holds ``lp_bound`` (the whole LP relaxation's), ``lp_seconds``, ``rounds``,
    ``columns`` (priced in, total), ``mip_seconds`` and ``warm`` (the :class:`WarmStart` for
    the next solve). With ``warm`` (a previous solve's state), pricing starts from its columns
    and basis and branch and bound from its solution; when the warm columns cannot meet the
    changed rows, the solve goes on cold, from ``initial``.
    """
    clock = time.perf_counter()
    if options.solver != "highs":
        raise ValueError("price and branch needs HiGHS (solver = 'highs')")
    variables, constraints, cl, cu, integer, cost, rl, ru, rows = model_arrays(prob)
    columns = rows.tocsc()
    maximize = prob.sense == pulp.LpMaximize
    sense = 1.0 if maximize else -1.0
    index = {id(v): j for j, v in enumerate(variables)}
    present = ~integer | (cl > 0)
    present[[index[id(v)] for v in initial if id(v) in index]] = True
    column_names = np.array([v.name for v in variables], dtype=object)
    row_names = np.array([c.name for c in constraints], dtype=object)
    cold = present.copy()  # where a cold solve starts
    if warm is not None:
        warm = warm.onto(column_names, row_names)
        present |= warm.present

    def left() -> float | None:
        """Seconds left of the time limit (None: no limit); at least a moment for a last solve."""
        if options.time_limit is None:
            return None
        return max(_LAST_MOMENT, options.time_limit - (time.perf_counter() - clock))

    def out_of_time() -> bool:
        return options.time_limit is not None and time.perf_counter() - clock >= options.time_limit

    offset = float(prob.objective.constant)
    lp = _RestrictedLP(cost, cl, cu, rl, ru, rows, columns, maximize, options, warm)
    rounds, converged, bound = 0, False, None
    while True:
        rounds += 1
        round_clock = time.perf_counter()
        status = lp.solve(present, left())
        if status in ("infeasible", "error") and warm is not None and rounds == 1:
            # the warm columns cannot meet the new rows (or HiGHS could not tell from the warm
            # basis): go on as a cold solve does — its phase one over the many warm columns
            # took 49 s where the cold one proved the same model infeasible in 19 s
            log.info("the warm start does not fit the changed model; pricing from a cold start")
            present, warm = cold, None
            lp = _RestrictedLP(cost, cl, cu, rl, ru, rows, columns, maximize, options)
            status = lp.solve(present, left())
        if status == "infeasible" and not present.all():
            # the present columns cannot meet the rows: price in columns that reduce the rows'
            # violation (a phase one) — or prove that no column can, and so the model infeasible
            status = _phase_one(present, cl, cu, rl, ru, rows, columns, batch, options, left)
            if status == "feasible":
                continue
        if status != "optimal":  # the last completed round's bound still holds
            return _fail(status, lp, clock, "the LP relaxation", bound)
        reduced = cost - columns.T @ lp.row_duals()
        improving = np.flatnonzero(~present & (sense * reduced > _PRICE_TOL))
        bound = lp.objective + offset + float((reduced[improving] * cu[improving]).sum())
        log.info("LP relaxation, round %d: %s of %s columns, objective %.6g, bound %.6g",
                 rounds, f"{int(present.sum()):,}", f"{present.size:,}", lp.objective + offset,
                 bound)
        converged = improving.size == 0
        if converged or relative_gap(lp.objective + offset, bound) <= 1e-9:
            break
        if out_of_time() or not _time_for_another_round(options, left(), round_clock,
                                                        min(1.0, improving.size / batch)):
            break  # the bound above is valid; branch on what we have
        best = improving[np.argsort(-sense * reduced[improving], kind="stable")[:batch]]
        present[best] = True
    lp_seconds, lp_bound = time.perf_counter() - clock, bound
    x = lp.values()

    # Branch on the LP's fractional support, every other priced-in binary fixed where the LP has
    # it (or, if that finds nothing, on all of them). While the gap is open, branch again on every
    # column the reduced costs cannot rule out: a column with |d_j| > bound − incumbent is 0 in
    # any better solution, so that search's bound holds for the whole model.
    t_mip = time.perf_counter()
    mip = _MIP(cost, rl, ru, rows, integer, maximize, offset)
    binary = present & integer
    frac = binary & (x > 1e-6) & (x < 1 - 1e-6)
    start = None if warm is None else warm.values
    lo, hi = cl.copy(), cu.copy()
    lo[binary & ~frac & (x >= 0.5)] = 1.0
    hi[binary & ~frac & (x < 0.5)] = 0.0
    log.info("branch and bound on the LP's %s fractional binaries (the others fixed)",
             f"{int(frac.sum()):,}")
    found = mip.solve(present, lo, hi, replace(options, time_limit=left()), start=start)
    if found is None and not out_of_time():
        # free every binary the LP uses (those at one too); the zeros stay fixed
        hi = cu.copy()
        hi[binary & (x <= 1e-6)] = 0.0
        found = mip.solve(present, cl, hi, replace(options, time_limit=left()))
    if found is None and not out_of_time() and (present & integer).sum() <= _SEARCHABLE:
        found = mip.solve(present, cl, cu, replace(options, time_limit=left()))
    still_open = found is not None and relative_gap(found.objective, bound) > options.gap
    if still_open and converged and not out_of_time():
        window = sense * (bound - found.objective)
        open_ = present | (sense * reduced >= -window - 1e-9)
        if (open_ & integer).sum() <= _SEARCHABLE:
            wider = mip.solve(open_, cl, cu, replace(options, time_limit=left()), start=found.values)
            if wider is not None:
                bound = min(bound, wider.bound) if maximize else max(bound, wider.bound)
                if sense * wider.objective >= sense * found.objective:
                    found = wider
    mip_seconds = time.perf_counter() - t_mip
    seconds = time.perf_counter() - clock
    extra = {
        "lp_bound": lp_bound,
        "lp_seconds": lp_seconds,
        "rounds": rounds,
        "columns": (int(present.sum()), len(variables)),
        "mip_seconds": mip_seconds,
        "warm": WarmStart(column_names, row_names, present.copy(), *lp.basis(),
                          None if found is None else found.values),
    }
    if found is None:
        return SolveOutcome(
            "no_solution",
            bound=bound,
            seconds=seconds,
            solver="highs",
            message="price and branch found no solution on the LP's support",
            extra=extra,
        )
    for v, value in zip(variables, found.values, strict=True):
        v.varValue = float(value)
    objective = float(prob.objective.value())
    gap = relative_gap(objective, bound)
    return SolveOutcome(
        "optimal" if gap <= options.gap + 1e-12 else "feasible",
        objective=objective,
        bound=bound,
        gap=gap,
        seconds=seconds,
        solver="highs",
        message=(
            f"price and branch: LP relaxation over {present.sum():,} of {len(variables):,} "
            f"columns in {rounds} rounds, then branch and bound on its support"
        ),
        extra=extra,
    )


def _time_for_another_round(options: SolverOptions, left: float | None,
                            round_clock: float, fraction: float = 1.0) -> bool:
    """Whether another pricing round still leaves branch and bound its share of the time limit:
    on the issue-12 city the rounds took 7–19 s, and a round cut off by the limit leaves
    nothing to branch on. The round is taken to last as long as the last one, or ``fraction``
    of that when it prices in that fraction of a full batch: on the Shanghai budget cut's
    elastic model a round of 1,669 columns took 0.5 s after one of 5,000 took 9.5 s, and
    taking it for another 9.5 s stopped pricing with its bound 22 % off."""
    if left is None:
        return True
    expected = fraction * (time.perf_counter() - round_clock)
    return left - expected >= _BRANCH_SHARE * options.time_limit


def _fail(status: str, lp: _RestrictedLP, clock: float, what: str,
          bound: float | None = None) -> SolveOutcome:
    return SolveOutcome(
        status if status in ("infeasible", "error") else "no_solution",  # else a limit hit
        bound=bound,
        seconds=time.perf_counter() - clock,
        solver="highs",
        message=f"{what}: {lp.message}",
    )


def _phase_one(present, cl, cu, rl, ru, rows, columns, batch: int, options: SolverOptions,
               left) -> str:
    r"""Grow ``present`` (in place) until the LP over it is feasible: ``"feasible"``, or
    ``"infeasible"`` when no column can reduce the violation — then the whole LP relaxation, and
    so the model, is infeasible — or the status of a solve stopped by the time limit.

    Each round solves :math:`\min \sum_r (s^+_r + s^-_r)` over the present columns, every row
    that can bind given one slack on each finite side, and prices the absent columns with its
    duals :math:`y`: a column with :math:`a_j^\top y > 0` would reduce the violation (absent
    columns sit at their lower bound 0). Rows that cannot bind over the present columns cannot
    be violated by them, and adding rows only adds violation, so a positive optimum with no
    improving column proves the whole LP infeasible. So does, sooner, a positive
    :math:`z - \sum_j (a_j^\top y)^+ u_j` over the absent columns (the least violation that
    every column together could reach, by LP duality), even while some columns still price in.
    """
    settings = replace(options, time_limit=None, node_limit=None, warm_start=False)
    while True:
        cols = np.flatnonzero(present)
        binding = np.flatnonzero(_binding_rows(rows, present, cl, cu, rl, ru))
        low, up = rl[binding], ru[binding]
        below, above = np.flatnonzero(np.isfinite(low)), np.flatnonzero(np.isfinite(up))
        n = len(binding)
        slacks = sp.hstack([
            sp.csc_matrix((np.ones(len(below)), (below, np.arange(len(below)))), shape=(n, len(below))),
            sp.csc_matrix((-np.ones(len(above)), (above, np.arange(len(above)))), shape=(n, len(above))),
        ])
        matrix = sp.hstack([rows[binding][:, cols], slacks]).tocsc()
        k = len(below) + len(above)
        cost = np.concatenate([np.zeros(len(cols)), np.ones(k)])
        h = highs_instance(settings)
        h.passModel(highs_model(cost, np.concatenate([cl[cols], np.zeros(k)]),
                                np.concatenate([cu[cols], np.full(k, np.inf)]), low, up, matrix,
                                maximize=False))
        limit = left()
        if limit is not None:
            h.setOptionValue("time_limit", float(limit))
        h.run()
        status, _ = highs_status(h)
        if status != "optimal":
            return status
        violation = h.getInfo().objective_function_value
        log.info("phase one over %s columns: violation %.6g", f"{cols.size:,}", violation)
        if violation <= 1e-7:
            return "feasible"
        y = np.zeros(rows.shape[0])
        y[binding] = np.asarray(h.getSolution().row_dual)
        helps = columns.T @ y
        improving = np.flatnonzero(~present & (helps > _PRICE_TOL) & (cu > cl))
        if improving.size == 0:
            return "infeasible"
        # the least violation over every column is at least this (the duals' bound, as in
        # pricing): once it is above zero the model is infeasible, however many columns still
        # price in — on the Shanghai budget cut the violation stopped falling after 3 of 13
        # rounds, each pricing in a few columns that did not reduce it
        least = violation - float((helps[improving] * cu[improving]).sum())
        if least > _PROVEN_VIOLATION:
            log.info("phase one: every column together cannot bring the violation below %.6g",
                     least)
            return "infeasible"
        present[improving[np.argsort(-helps[improving], kind="stable")[:batch]]] = True


def _binding_rows(rows, present, lo, hi, rl, ru) -> np.ndarray:
    """Rows that some choice of the present columns within their bounds could violate."""
    sub = rows[:, np.flatnonzero(present)]
    lo, hi = lo[present], hi[present]
    lo = np.where(np.isfinite(lo), lo, -1e30)
    hi = np.where(np.isfinite(hi), hi, 1e30)
    pos, neg = sub.maximum(0), sub.minimum(0)
    most = pos @ hi + neg @ lo
    least = pos @ lo + neg @ hi
    return (most > ru + 1e-9) | (least < rl - 1e-9)


class _RestrictedLP:
    """The LP relaxation over the present columns and binding rows, kept loaded in HiGHS so that
    each round's solve starts from the last basis."""

    def __init__(self, cost, cl, cu, rl, ru, rows, columns, maximize, options: SolverOptions,
                 warm: WarmStart | None = None):
        self.warm = warm
        self.cost, self.cl, self.cu, self.rl, self.ru = cost, cl, cu, rl, ru
        self.rows, self.columns, self.maximize = rows, columns, maximize
        self.options = replace(options, time_limit=None, node_limit=None, warm_start=False)
        self.h = None
        self.col_at = np.empty(0, dtype=np.int64)  # full column index of each loaded column
        self.row_at = np.empty(0, dtype=np.int64)
        self.objective = math.nan
        self.message = ""

    def solve(self, present: np.ndarray, time_limit: float | None) -> str:
        binding = _binding_rows(self.rows, present, self.cl, self.cu, self.rl, self.ru)
        cold = self.h is None and self.warm is None
        if self.h is None:
            self._load(present, binding)
        else:
            self._extend(present, binding)
        if time_limit is not None:  # HiGHS counts its limit on its run clock, which goes on
            # from round to round of the loaded LP: the limit is that clock plus this round's
            self.h.setOptionValue("time_limit", self.h.getRunTime() + float(time_limit))
        # the first, cold LP of a city-sized model: the interior point method (with crossover,
        # which leaves a basis) took 71 s where the dual simplex took 185 s on the Shanghai
        # baseline of issue 12; later rounds start from that basis with the simplex
        self.h.setOptionValue("solver", "ipm" if cold and len(self.col_at) > _IPM_ABOVE
                              else "choose")
        # every simplex round with the dual simplex's SIP variant (parallel pricing; the same
        # iterates): the city's LP in 47.8 s instead of 61.3 s on 2 cores
        self.h.setOptionValue("simplex_strategy", 2)
        self.h.run()
        status, self.message = highs_status(self.h)
        if status == "error" and self.warm is not None:
            # from a warm basis HiGHS may end "unbounded or infeasible" on an LP that is only
            # infeasible: start again cold, which changes the speed, not the answer
            log.info("the warm LP ended '%s'; solving it again cold", self.message)
            self.warm, self.h = None, None
            return self.solve(present, time_limit)
        if status == "optimal":
            self.objective = float(self.h.getInfo().objective_function_value)
        return status

    def _load(self, present, binding) -> None:
        if self.warm is not None:  # the rows of the warm basis are loaded too: it stays square
            binding = binding | (self.warm.row_status >= 0)
        self.col_at, self.row_at = np.flatnonzero(present), np.flatnonzero(binding)
        sub = self.rows[self.row_at][:, self.col_at].tocsc()
        c = self.col_at
        self.h = highs_instance(self.options)
        self.h.passModel(
            highs_model(self.cost[c], self.cl[c], self.cu[c], self.rl[self.row_at],
                        self.ru[self.row_at], sub, maximize=self.maximize)
        )
        if self.warm is not None:
            self._set_basis(self.warm)

    def _set_basis(self, warm: WarmStart) -> None:
        """Start from ``warm``'s basis: columns new to it at their lower bound, rows new to it
        with their slack basic (so the basis stays square). HiGHS refuses a basis it cannot
        factor; the solve then starts cold, which changes its speed, not its answer."""
        col = warm.column_status[self.col_at]
        row = warm.row_status[self.row_at]
        basis = highspy.HighsBasis()
        basis.col_status = [_STATUS[s] for s in np.where(col >= 0, col, _LOWER)]
        basis.row_status = [_STATUS[s] for s in np.where(row >= 0, row, _BASIC)]
        basis.valid = True
        self.h.setBasis(basis)

    def basis(self) -> tuple[np.ndarray, np.ndarray]:
        """The basis as status codes for every column and row of the model (-1: not loaded)."""
        col = np.full(self.rows.shape[1], -1, dtype=np.int8)
        row = np.full(self.rows.shape[0], -1, dtype=np.int8)
        if self.h is not None and self.h.getBasis().valid:
            b = self.h.getBasis()
            col[self.col_at] = [int(s) for s in b.col_status]
            row[self.row_at] = [int(s) for s in b.row_status]
        return col, row

    def _extend(self, present, binding) -> None:
        """Add the newly present columns, then the rows that now bind (the basis is kept)."""
        new_cols = np.setdiff1d(np.flatnonzero(present), self.col_at)
        if new_cols.size:
            block = self.columns[:, new_cols][self.row_at].tocsc()
            self.h.addCols(
                len(new_cols), self.cost[new_cols], self.cl[new_cols], self.cu[new_cols], block.nnz,
                block.indptr[:-1].astype(np.int32), block.indices.astype(np.int32), block.data,
            )
            self.col_at = np.concatenate([self.col_at, new_cols])
        new_rows = np.setdiff1d(np.flatnonzero(binding), self.row_at)
        if new_rows.size:
            block = self.rows[new_rows][:, self.col_at].tocsr()
            self.h.addRows(
                len(new_rows), self.rl[new_rows], self.ru[new_rows], block.nnz,
                block.indptr[:-1].astype(np.int32), block.indices.astype(np.int32), block.data,
            )
            self.row_at = np.concatenate([self.row_at, new_rows])

    def row_duals(self) -> np.ndarray:
        y = np.zeros(self.rows.shape[0])
        y[self.row_at] = np.asarray(self.h.getSolution().row_dual)
        return y

    def values(self) -> np.ndarray:
        x = np.zeros(self.rows.shape[1])
        x[self.col_at] = np.asarray(self.h.getSolution().col_value)
        return x


@dataclass(frozen=True)
class _Found:
    values: np.ndarray  # full length, binaries rounded
    objective: float
    bound: float


class _MIP:
    """The model over a subset of columns, with given column bounds, as a HiGHS MIP."""

    def __init__(self, cost, rl, ru, rows, integer, maximize, offset):
        self.cost, self.rl, self.ru, self.rows = cost, rl, ru, rows
        self.integer, self.maximize, self.offset = integer, maximize, offset

    def solve(self, present, lo, hi, options: SolverOptions, start=None) -> _Found | None:
        cols = np.flatnonzero(present)
        binding = np.flatnonzero(_binding_rows(self.rows, present, lo, hi, self.rl, self.ru))
        h = highs_instance(options)
        h.passModel(
            highs_model(self.cost[cols], lo[cols], hi[cols], self.rl[binding], self.ru[binding],
                        self.rows[binding][:, cols].tocsc(), maximize=self.maximize,
                        integer=self.integer[cols], offset=self.offset)
        )
        if start is not None:
            h.setSolution(len(cols), np.arange(len(cols), dtype=np.int32), start[cols])
        h.run()
        status, _ = highs_status(h)
        if status not in ("optimal", "feasible"):
            return None
        values = np.zeros(self.rows.shape[1])
        values[cols] = np.asarray(h.getSolution().col_value)
        values[self.integer] = np.round(values[self.integer])
        bound = float(h.getInfo().mip_dual_bound)
        objective = float(self.cost @ values) + self.offset
        return _Found(values, objective, bound if math.isfinite(bound) else objective)
