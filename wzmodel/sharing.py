"""Fair division of a shared cost: cooperative cost games.

When several communities (or districts, or agencies) build one facility together — a shared
elderly-care centre, a joint sports ground, a common sewer main — the joint cost :math:`c(N)` is
usually below the sum of their stand-alone costs, and the question is who pays how much. A *cost
game* is a set of players :math:`N` and a cost function :math:`c : 2^N \\to \\mathbb{R}` with
:math:`c(\\emptyset) = 0`; :math:`c(S)` is what coalition :math:`S` would pay on its own.

This module offers three allocation rules, each returning a dict ``player -> share`` whose shares
sum to :math:`c(N)` (efficiency):

* :func:`shapley` — the Shapley value (average marginal cost over all joining orders); exact for
  up to :data:`MAX_EXACT_PLAYERS` players (:func:`shapley_exact`), by sampling permutations beyond
  (:func:`shapley_sampled`, which also reports standard errors);
* :func:`nucleolus` — the allocation that lexicographically minimises the largest complaints
  (excesses) of coalitions, by a sequence of linear programmes solved through
  :func:`wzmodel.solver.solve`;
* :func:`proportional` — a split in proportion to given weights (population, floor area, ...).

Input convention
----------------
``cost`` is either a mapping from ``frozenset`` of players to a number, which must contain every
non-empty coalition that the rule needs (all of them for the exact Shapley value and the
nucleolus), or a callable taking a ``frozenset`` and returning a number. The empty coalition is
never evaluated; its cost is 0 (a mapping may contain it, but then with value 0). Every coalition
is evaluated at most once per call (results are memoised), so an expensive callable — e.g. one
that solves a facility-location model — is called at most :math:`2^n - 1` times.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pulp

from wzmodel.solver import solve

__all__ = [
    "MAX_EXACT_PLAYERS",
    "MAX_NUCLEOLUS_PLAYERS",
    "CostGame",
    "CostGameError",
    "EmptyImputationSetError",
    "MissingCoalitionError",
    "ShapleyEstimate",
    "TooManyPlayersError",
    "nucleolus",
    "proportional",
    "shapley",
    "shapley_exact",
    "shapley_sampled",
]

MAX_EXACT_PLAYERS = 20
"""Largest game for which :func:`shapley_exact` enumerates all :math:`2^n` coalitions."""

MAX_NUCLEOLUS_PLAYERS = 16
"""Largest game for :func:`nucleolus`; each of its LPs has one row per coalition."""

TOLERANCE = 1e-9
"""Relative numerical tolerance; multiplied by the game's cost scale where costs are compared."""

CostGame = Mapping[frozenset, float] | Callable[[frozenset], float]
"""A cost function: a mapping ``frozenset -> cost`` or a callable on ``frozenset``."""


class CostGameError(ValueError):
    """A cost game or sharing request is malformed."""


class MissingCoalitionError(CostGameError):
    """A cost mapping lacks a coalition that the allocation rule needs."""


class TooManyPlayersError(CostGameError):
    """The game is too large for an exact computation."""


class EmptyImputationSetError(CostGameError):
    """The stand-alone costs sum to less than the grand coalition's cost: no imputation exists."""


# ------------------------------------------------------------------------------------------------
# The game: players, coalitions as bit masks, memoised cost
# ------------------------------------------------------------------------------------------------
class _Game:
    """Players indexed ``0..n-1``; coalition ``S`` is the bit mask :math:`\\sum_{i \\in S} 2^i`."""

    def __init__(self, cost: CostGame, players: Iterable[Hashable]) -> None:
        self.players: tuple = tuple(players)
        if not self.players:
            raise CostGameError("a cost game needs at least one player")
        try:
            distinct = len(set(self.players))
        except TypeError as exc:
            raise CostGameError(f"players must be hashable: {exc}") from exc
        if distinct != len(self.players):
            raise CostGameError(f"players must be distinct, got {list(self.players)!r}")
        self.n = len(self.players)
        self.full = (1 << self.n) - 1
        self._cache: dict[int, float] = {0: 0.0}
        if isinstance(cost, Mapping):
            table: dict[frozenset, float] = {}
            for key, value in cost.items():
                if not isinstance(key, frozenset):
                    raise CostGameError(
                        f"cost mapping keys must be frozensets of players, got {key!r}"
                    )
                table[key] = value
            if frozenset() in table and _finite(table[frozenset()], frozenset()) != 0.0:
                raise CostGameError(
                    f"the empty coalition must cost 0, got {table[frozenset()]!r}"
                )
            self._lookup: Callable[[frozenset], float] = lambda s: self._from_table(table, s)
        elif callable(cost):
            self._lookup = cost
        else:
            raise CostGameError(
                f"cost must be a mapping frozenset -> number or a callable, got {type(cost)!r}"
            )
        # Bytes of the mask -> tuple of members, so that a coalition is built from a few lookups.
        self._chunks = [
            [tuple(self.players[8 * b + i] for i in range(8) if (byte >> i) & 1
                   and 8 * b + i < self.n) for byte in range(256)]
            for b in range((self.n + 7) // 8)
        ]

    @staticmethod
    def _from_table(table: Mapping[frozenset, float], coalition: frozenset) -> float:
        try:
            return table[coalition]
        except KeyError:
            members = sorted(map(repr, coalition))
            raise MissingCoalitionError(
                f"the cost mapping has no entry for coalition {{{', '.join(members)}}}"
            ) from None

    def coalition(self, mask: int) -> frozenset:
        members: list = []
        for chunk in self._chunks:
            members.extend(chunk[mask & 0xFF])
            mask >>= 8
        return frozenset(members)

    def value(self, mask: int) -> float:
        """Memoised :math:`c(S)` for the coalition with bit mask ``mask``."""
        try:
            return self._cache[mask]
        except KeyError:
            s = self.coalition(mask)
            value = _finite(self._lookup(s), s)
            self._cache[mask] = value
            return value

    def all_values(self) -> np.ndarray:
        """:math:`c(S)` for every mask ``0..2^n-1``, as an array indexed by mask."""
        return np.fromiter((self.value(m) for m in range(self.full + 1)), dtype=float,
                           count=self.full + 1)


def _finite(value: object, coalition: frozenset) -> float:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise CostGameError(f"cost of {set(coalition) or '{}'} is not a number: {value!r}") from exc
    if not math.isfinite(out):
        raise CostGameError(f"cost of {set(coalition) or '{}'} is not finite: {value!r}")
    return out


def _popcount(masks: np.ndarray, n: int) -> np.ndarray:
    counts = np.zeros(masks.shape, dtype=np.int64)
    for i in range(n):
        counts += (masks >> i) & 1
    return counts


# ------------------------------------------------------------------------------------------------
# Shapley value
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ShapleyEstimate:
    """A Shapley value estimated from random joining orders.

    Attributes
    ----------
    shares : dict
        Estimated share of each player; they sum to :math:`c(N)` exactly (up to rounding), because
        the marginal costs along every joining order telescope to :math:`c(N)`.
    standard_errors : dict
        Standard error of each share: the sample standard deviation of the independent draws
        (permutations, or antithetic pairs of permutations) divided by the square root of their
        number. A player whose marginal cost never varies gets 0.
    samples : int
        Number of permutations evaluated.
    antithetic : bool
        Whether each permutation was paired with its reverse.
    """

    shares: dict
    standard_errors: dict
    samples: int
    antithetic: bool


def shapley(
    cost: CostGame,
    players: Sequence[Hashable],
    *,
    samples: int | None = None,
    seed: int = 0,
) -> dict:
    """Shapley value of a cost game: exact when ``samples`` is None, sampled otherwise.

    .. math::

        \\phi_i(c) = \\sum_{S \\subseteq N \\setminus \\{i\\}}
            \\frac{|S|!\\,(n - |S| - 1)!}{n!} \\bigl(c(S \\cup \\{i\\}) - c(S)\\bigr)

    Parameters
    ----------
    cost : mapping or callable
        The cost function (see the module docstring).
    players : sequence of hashable
        The players :math:`N`; the result keeps their order.
    samples : int, optional
        None (default) computes the exact value with :func:`shapley_exact`, which is allowed for
        at most :data:`MAX_EXACT_PLAYERS` players. An integer estimates the value from that many
        random permutations with :func:`shapley_sampled` (antithetic pairs); use
        :func:`shapley_sampled` directly to get the standard errors as well.
    seed : int, default 0
        Seed of the permutation sampler (ignored when exact).

    Returns
    -------
    dict
        ``player -> share``; shares sum to :math:`c(N)`.

    Raises
    ------
    TooManyPlayersError
        When ``samples`` is None and there are more than :data:`MAX_EXACT_PLAYERS` players; there
        is no silent switch to sampling.
    MissingCoalitionError
        When a mapping lacks a needed coalition.
    """
    if samples is None:
        return shapley_exact(cost, players)
    return shapley_sampled(cost, players, samples=samples, seed=seed).shares


def shapley_exact(cost: CostGame, players: Sequence[Hashable]) -> dict:
    """Exact Shapley value by enumerating all :math:`2^n` coalitions.

    Each coalition's cost is evaluated once; the weight of a coalition :math:`S \\not\\ni i` of
    size :math:`k` is :math:`k!(n-k-1)!/n! = 1 / \\bigl(n \\binom{n-1}{k}\\bigr)`, and

    .. math::

        \\phi_i = \\sum_{S \\subseteq N \\setminus \\{i\\}} w_{|S|}
                  \\bigl(c(S \\cup \\{i\\}) - c(S)\\bigr).

    Time and memory grow as :math:`2^n`; at :data:`MAX_EXACT_PLAYERS` = 20 that is about a
    million cost evaluations.

    Parameters
    ----------
    cost : mapping or callable
        The cost function; a mapping must contain every non-empty coalition.
    players : sequence of hashable
        The players.

    Returns
    -------
    dict
        ``player -> share``.

    Raises
    ------
    TooManyPlayersError
        With more than :data:`MAX_EXACT_PLAYERS` players (use :func:`shapley_sampled`).
    """
    players = tuple(players)
    if len(players) > MAX_EXACT_PLAYERS:
        raise TooManyPlayersError(
            f"exact Shapley value is limited to {MAX_EXACT_PLAYERS} players (2^n coalitions), "
            f"got {len(players)}; pass samples=... or call shapley_sampled()"
        )
    game = _Game(cost, players)
    n = game.n
    values = game.all_values()
    masks = np.arange(game.full + 1, dtype=np.int64)
    size = _popcount(masks, n)
    weight = np.array([1.0 / (n * math.comb(n - 1, k)) for k in range(n)])
    shares = {}
    for i, player in enumerate(game.players):
        bit = 1 << i
        without = masks[(masks & bit) == 0]
        marginal = values[without | bit] - values[without]
        shares[player] = float(np.dot(weight[size[without]], marginal))
    return shares


def shapley_sampled(
    cost: CostGame,
    players: Sequence[Hashable],
    *,
    samples: int,
    seed: int = 0,
    antithetic: bool = True,
) -> ShapleyEstimate:
    """Shapley value estimated from random joining orders, with standard errors.

    The Shapley value is the expected marginal cost :math:`c(P_\\pi^i \\cup \\{i\\}) - c(P_\\pi^i)`
    of player :math:`i` over a uniformly random order :math:`\\pi` of the players, where
    :math:`P_\\pi^i` is the set of players before :math:`i`. We draw ``samples`` orders from a
    seeded :class:`numpy.random.Generator` and average. With ``antithetic=True`` the orders come in
    pairs :math:`(\\pi, \\bar\\pi)` where :math:`\\bar\\pi` is :math:`\\pi` reversed (a player early
    in one is late in the other, which usually cancels much of the variance); the pair averages
    are the independent draws from which the standard error is computed:

    .. math::

        \\hat\\phi_i = \\frac{1}{K} \\sum_{k=1}^{K} Y_{ik}, \\qquad
        \\widehat{\\mathrm{se}}_i = \\frac{s(Y_{i\\cdot})}{\\sqrt{K}},

    with :math:`K` = ``samples`` (plain) or ``samples/2`` (antithetic) and :math:`s` the sample
    standard deviation. The cost function is memoised, so repeated coalitions cost nothing.

    Parameters
    ----------
    cost : mapping or callable
        The cost function.
    players : sequence of hashable
        The players; any number.
    samples : int
        Number of permutations to evaluate: at least 2, and even and at least 4 when antithetic.
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`.
    antithetic : bool, default True
        Pair each permutation with its reverse.

    Returns
    -------
    ShapleyEstimate
        Shares, standard errors and the sampling settings.
    """
    if isinstance(samples, bool) or not isinstance(samples, int | np.integer):
        raise CostGameError(f"samples must be an integer, got {samples!r}")
    samples = int(samples)
    if antithetic and (samples < 4 or samples % 2):
        raise CostGameError(f"antithetic sampling needs an even samples >= 4, got {samples}")
    if samples < 2:
        raise CostGameError(f"samples must be >= 2 to estimate a standard error, got {samples}")
    game = _Game(cost, players)
    n = game.n
    rng = np.random.default_rng(seed)
    draws = samples // 2 if antithetic else samples
    contributions = np.empty((draws, n))

    def marginals(order: np.ndarray) -> np.ndarray:
        out = np.empty(n)
        mask = 0
        before = 0.0
        for i in order.tolist():
            mask |= 1 << i
            after = game.value(mask)
            out[i] = after - before
            before = after
        return out

    for k in range(draws):
        order = rng.permutation(n)
        if antithetic:
            contributions[k] = 0.5 * (marginals(order) + marginals(order[::-1]))
        else:
            contributions[k] = marginals(order)
    mean = contributions.mean(axis=0)
    se = contributions.std(axis=0, ddof=1) / math.sqrt(draws)
    return ShapleyEstimate(
        shares={p: float(mean[i]) for i, p in enumerate(game.players)},
        standard_errors={p: float(se[i]) for i, p in enumerate(game.players)},
        samples=samples,
        antithetic=antithetic,
    )


# ------------------------------------------------------------------------------------------------
# Nucleolus
# ------------------------------------------------------------------------------------------------
def nucleolus(
    cost: CostGame,
    players: Sequence[Hashable],
    *,
    method: Literal["duals", "slack_lp"] = "duals",
) -> dict:
    """Nucleolus of a cost game over its imputation set.

    Conventions (cost games): an *imputation* is :math:`x \\in \\mathbb{R}^N` with
    :math:`\\sum_{i \\in N} x_i = c(N)` (efficiency) and :math:`x_i \\le c(\\{i\\})` (nobody pays
    more than alone). The *excess* of coalition :math:`S` at :math:`x` is its complaint

    .. math::  e(S, x) = x(S) - c(S), \\qquad x(S) = \\sum_{i \\in S} x_i,

    and the nucleolus is the imputation whose vector of excesses over all coalitions
    :math:`\\emptyset \\ne S \\ne N`, sorted in decreasing order, is lexicographically smallest.
    It exists and is unique when the imputation set is non-empty, i.e.
    :math:`\\sum_i c(\\{i\\}) \\ge c(N)`; it lies in the core whenever the core is non-empty.

    Algorithm (Maschler–Peleg–Shapley, in Kopelowitz's sequential-LP form). Keep a set
    :math:`\\mathcal{F}` of coalitions whose excess is already fixed at a level :math:`t_S`
    (initially empty) and solve, stage after stage,

    .. math::

        \\min_{x, t} \\; t \\quad \\text{s.t.} \\quad
        x(S) - c(S) \\le t \\;\\; (S \\notin \\mathcal{F}), \\qquad
        x(S) - c(S) = t_S \\;\\; (S \\in \\mathcal{F}), \\qquad
        x(N) = c(N), \\qquad x_i \\le c(\\{i\\}).

    With optimum :math:`t^*`, every coalition whose constraint is tight in *every* optimal
    solution joins :math:`\\mathcal{F}` with :math:`t_S = t^*`. Coalitions whose indicator vector
    lies in the span of those of :math:`\\mathcal{F} \\cup \\{N\\}` have a constant excess from then
    on and are dropped. When the span is all of :math:`\\mathbb{R}^N`, :math:`x` is determined; it
    is recovered by solving the fixed equalities (least squares, for accuracy).

    Recognising the always-tight coalitions (``method``):

    ``"duals"`` (default)
        A constraint with a non-zero dual value in an optimal dual solution is tight in every
        optimal primal solution (complementary slackness), so those coalitions are fixed. Because
        :math:`t` is free with objective coefficient 1, the duals of the excess rows sum to 1, so
        at least one coalition is fixed per stage and the rank of :math:`\\mathcal{F}` grows; an
        always-tight coalition with a zero dual (degenerate LP) is simply found at a later stage
        with the same :math:`t^*`. One LP per stage, at most :math:`n - 1` stages.
    ``"slack_lp"``
        For every coalition tight at the stage's solution, an extra LP maximises its slack
        :math:`t^* - e(S, x)` over the stage's optimal set; it is always tight if the maximum is
        at most :math:`10^{-9}` times the cost scale. Exactly the textbook scheme, but one LP per
        tight coalition; kept as an independent cross-check.

    An imputation bound :math:`x_i \\le c(\\{i\\})` found tight in every optimal solution is
    fixed the same way (excess of :math:`\\{i\\}` fixed at 0). All LPs are PuLP models solved with
    HiGHS through :func:`wzmodel.solver.solve` — the project's one solver layer, which also sets
    the dual values on the constraints — rather than ``scipy.optimize.linprog``, so that every
    optimisation in wzmodel reports its status the same way.

    Parameters
    ----------
    cost : mapping or callable
        The cost function; a mapping must contain every non-empty coalition.
    players : sequence of hashable
        The players, at most :data:`MAX_NUCLEOLUS_PLAYERS` (each LP has :math:`2^n - 2` rows).
    method : {"duals", "slack_lp"}, default "duals"
        How always-tight coalitions are recognised (see above).

    Returns
    -------
    dict
        ``player -> share``; shares sum to :math:`c(N)`.

    Raises
    ------
    EmptyImputationSetError
        When :math:`\\sum_i c(\\{i\\}) < c(N)`.
    TooManyPlayersError
        With more than :data:`MAX_NUCLEOLUS_PLAYERS` players.
    MissingCoalitionError
        When a mapping lacks a coalition.
    RuntimeError
        When an LP is not solved to optimality (numerical failure).
    """
    if method not in ("duals", "slack_lp"):
        raise CostGameError(f"method must be 'duals' or 'slack_lp', got {method!r}")
    players = tuple(players)
    if len(players) > MAX_NUCLEOLUS_PLAYERS:
        raise TooManyPlayersError(
            f"nucleolus is limited to {MAX_NUCLEOLUS_PLAYERS} players (2^n LP rows), "
            f"got {len(players)}"
        )
    game = _Game(cost, players)
    n = game.n
    values = game.all_values()
    grand = values[game.full]
    alone = np.array([values[1 << i] for i in range(n)])
    scale = max(1.0, float(np.max(np.abs(values))))
    tol = TOLERANCE * scale
    if alone.sum() < grand - tol:
        raise EmptyImputationSetError(
            f"stand-alone costs sum to {alone.sum():g} < c(N) = {grand:g}: no imputation exists "
            "(the nucleolus over imputations is undefined)"
        )
    if n == 1:
        return {players[0]: float(grand)}
    return _Nucleolus(game, values, tol, method).run()


class _Nucleolus:
    """State of the sequential LPs of :func:`nucleolus`."""

    def __init__(self, game: _Game, values: np.ndarray, tol: float, method: str) -> None:
        self.game = game
        self.n = game.n
        self.values = values
        self.tol = tol
        self.method = method
        self.masks = np.arange(1, game.full, dtype=np.int64)  # proper non-empty coalitions
        self.incidence = ((self.masks[:, None] >> np.arange(self.n)) & 1).astype(float)
        self.members = [np.flatnonzero(row).tolist() for row in self.incidence]
        self.free = np.ones(self.masks.size, dtype=bool)
        self.fixed: dict[int, float] = {}  # row index into masks -> fixed excess
        self.bound_open = np.ones(self.n, dtype=bool)  # x_i <= c({i}) still an inequality
        self.alone = np.array([values[1 << i] for i in range(self.n)])
        self.grand = float(values[game.full])

    # -- linear algebra on coalition indicator vectors ------------------------------------------
    def _basis(self) -> np.ndarray:
        rows = [np.ones(self.n)] + [self.incidence[r] for r in self.fixed]
        _, s, vt = np.linalg.svd(np.array(rows), full_matrices=False)
        rank = int(np.sum(s > TOLERANCE * max(1.0, s[0]) * self.n))
        return vt[:rank]

    def _drop_spanned(self, basis: np.ndarray) -> None:
        idx = np.flatnonzero(self.free)
        a = self.incidence[idx]
        residual = a - (a @ basis.T) @ basis
        spanned = np.linalg.norm(residual, axis=1) <= TOLERANCE * math.sqrt(self.n) * 10
        self.free[idx[spanned]] = False

    # -- the stage LP -----------------------------------------------------------------------------
    def _model(self, t_fixed: float | None = None):
        prob = pulp.LpProblem("nucleolus_stage", pulp.LpMinimize)
        xd = prob.add_variable_dict("x", range(self.n))
        x = [xd[i] for i in range(self.n)]
        t = prob.add_variable("t") if t_fixed is None else None
        excess_rows: dict[int, pulp.LpConstraint] = {}
        for r in np.flatnonzero(self.free).tolist():
            terms = [(x[i], 1.0) for i in self.members[r]]
            c = float(self.values[self.masks[r]])
            if t is not None:
                terms.append((t, -1.0))
                rhs = c
            else:
                rhs = c + t_fixed
            row = pulp.LpConstraint(pulp.LpAffineExpression(terms), sense=pulp.LpConstraintLE,
                                    rhs=rhs, name=f"e_{int(self.masks[r])}")
            prob += row
            excess_rows[r] = row
        for r, level in self.fixed.items():
            terms = [(x[i], 1.0) for i in self.members[r]]
            prob += pulp.LpConstraint(pulp.LpAffineExpression(terms), sense=pulp.LpConstraintEQ,
                                      rhs=float(self.values[self.masks[r]]) + level,
                                      name=f"f_{int(self.masks[r])}")
        prob += pulp.LpConstraint(pulp.LpAffineExpression([(xi, 1.0) for xi in x]),
                                  sense=pulp.LpConstraintEQ, rhs=self.grand, name="grand")
        bound_rows: dict[int, pulp.LpConstraint] = {}
        for i in np.flatnonzero(self.bound_open).tolist():
            row = pulp.LpConstraint(pulp.LpAffineExpression([(x[i], 1.0)]),
                                    sense=pulp.LpConstraintLE, rhs=float(self.alone[i]),
                                    name=f"b_{i}")
            prob += row
            bound_rows[i] = row
        return prob, x, t, excess_rows, bound_rows

    def _solve(self, prob: pulp.LpProblem, what: str):
        outcome = solve(prob)
        if outcome.status != "optimal":
            raise RuntimeError(f"nucleolus: {what} LP not solved: {outcome.describe()}")
        return outcome

    def _excess(self, x: np.ndarray, r: int) -> float:
        return float(x[self.members[r]].sum() - self.values[self.masks[r]])

    def _always_tight_by_duals(self, x, excess_rows, bound_rows, t_star):
        rows, bounds = [], []
        for r, row in excess_rows.items():
            if row.pi is None:
                raise RuntimeError("nucleolus: the LP returned no dual values")
            if abs(row.pi) > TOLERANCE and self._excess(x, r) >= t_star - 1e3 * self.tol:
                rows.append(r)
        for i, row in bound_rows.items():
            if row.pi is not None and abs(row.pi) > TOLERANCE and x[i] >= self.alone[i] - 1e3 * (
                    self.tol):
                bounds.append(i)
        return rows, bounds

    def _always_tight_by_slack(self, x, excess_rows, bound_rows, t_star):
        rows, bounds = [], []
        candidates = [r for r in excess_rows if self._excess(x, r) >= t_star - 1e3 * self.tol]
        for r in candidates:
            # largest slack t* - (x(S) - c(S)) over the stage's optimal set = smallest x(S)
            prob, xv, _, _, _ = self._model(t_fixed=t_star)
            prob.setObjective(pulp.LpAffineExpression([(xv[i], 1.0) for i in self.members[r]]))
            out = self._solve(prob, "slack")
            slack = t_star - (out.objective - float(self.values[self.masks[r]]))
            if slack <= self.tol:
                rows.append(r)
        for i in bound_rows:
            if x[i] < self.alone[i] - 1e3 * self.tol:
                continue
            prob, xv, _, _, _ = self._model(t_fixed=t_star)
            prob.setObjective(pulp.LpAffineExpression([(xv[i], 1.0)]))  # minimise x_i
            out = self._solve(prob, "slack")
            if self.alone[i] - out.objective <= self.tol:
                bounds.append(i)
        return rows, bounds

    def run(self) -> dict:
        x = np.zeros(self.n)
        for _stage in range(2 * self.n + 2):  # rank grows every stage; the cap guards a bug
            basis = self._basis()
            self._drop_spanned(basis)
            if basis.shape[0] >= self.n:
                break
            prob, xv, t, excess_rows, bound_rows = self._model()
            prob.setObjective(pulp.LpAffineExpression([(t, 1.0)]))
            outcome = self._solve(prob, "stage")
            t_star = float(outcome.objective)
            x = np.array([v.varValue for v in xv], dtype=float)
            finder = (self._always_tight_by_duals if self.method == "duals"
                      else self._always_tight_by_slack)
            rows, bounds = finder(x, excess_rows, bound_rows, t_star)
            if not rows and not bounds:
                raise RuntimeError(
                    f"nucleolus: no coalition recognised as always tight at level {t_star:g}"
                )
            for r in rows:
                self.fixed[r] = t_star
                self.free[r] = False
            for i in bounds:
                r = (1 << i) - 1  # row of the singleton {i} in self.masks (mask - 1)
                self.fixed[r] = 0.0
                self.free[r] = False
                self.bound_open[i] = False
        else:
            raise RuntimeError("nucleolus: the sequential LPs did not terminate")
        return {p: float(v) for p, v in zip(self.game.players, self._polish(x), strict=True)}

    def _polish(self, x_lp: np.ndarray) -> np.ndarray:
        """Solve the fixed equalities (full rank) for x; keep the LP point if they disagree."""
        order = list(self.fixed)
        a = np.vstack([np.ones(self.n)] + [self.incidence[r] for r in order])
        b = np.array([self.grand] + [self.values[self.masks[r]] + self.fixed[r] for r in order])
        x, *_ = np.linalg.lstsq(a, b, rcond=None)
        if np.max(np.abs(x - x_lp)) > 1e3 * self.tol:
            return x_lp
        return x


# ------------------------------------------------------------------------------------------------
# Proportional split
# ------------------------------------------------------------------------------------------------
def proportional(total_cost: float, weights: Mapping[Hashable, float]) -> dict:
    """Split ``total_cost`` in proportion to non-negative weights.

    .. math::  x_i = C \\, \\frac{w_i}{\\sum_j w_j}

    Parameters
    ----------
    total_cost : float
        The cost :math:`C` to divide (finite; may be negative, e.g. a shared saving).
    weights : mapping player -> float
        Non-negative finite weights with a positive sum (population, floor area, usage, ...).

    Returns
    -------
    dict
        ``player -> share`` in the order of ``weights``; shares sum to ``total_cost``.
    """
    total = _finite(total_cost, frozenset())
    if not isinstance(weights, Mapping) or not weights:
        raise CostGameError("weights must be a non-empty mapping player -> weight")
    w = {}
    for player, value in weights.items():
        wi = _finite(value, frozenset([player]))
        if wi < 0:
            raise CostGameError(f"weight of {player!r} is negative: {value!r}")
        w[player] = wi
    denominator = math.fsum(w.values())
    if denominator <= 0:
        raise CostGameError("weights must have a positive sum")
    return {player: total * wi / denominator for player, wi in w.items()}
