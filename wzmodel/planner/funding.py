r"""Funding rules: how the eligible sources of one funding group share one cost category.

A :class:`FundingRule` answers every question asked about the split of a cost, in one place:

* :meth:`~FundingRule.pay` — the model's side: variables and rows that pay a spending variable,
  and each source's payment as an expression (:func:`wzmodel.planner.model.define_funding`);
* :meth:`~FundingRule.split` — a concrete valid split of an amount, within what each source has
  left (the rule of thumb; the joint siting study's charging of complexes), and
  :meth:`~FundingRule.short` — which sources' money is too short for one;
* :meth:`~FundingRule.violations` — what is wrong with a written split
  (:func:`wzmodel.planner.check.check_against`).

:func:`wzmodel.planner.problem.prepare` resolves the sharing table into one rule per funding
group and cost category (``PlanningProblem.rules``); the model, the rule of thumb, the checker
and the joint study only use the interface. A new kind of rule (e.g. matching money: at most r
yuan of social capital per public yuan) is one more subclass, built where ``prepare`` resolves
the sharing option.

:class:`ShareBounds`: each source's share of every cost lies within
:math:`[\underline\sigma_s, \overline\sigma_s]`, and the shares sum to one.

:class:`LinkedShares`: the same, plus the option's links (``sharing_links``: matching and
top-up rules), each a linear row on the shares of the one cost it applies to —
:math:`\sigma_a \;(\le, =, \ge)\; r \sum_{s \in B} \sigma_s` (role :math:`a`'s money against
:math:`r` times the base :math:`B`: the whole cost, the public sources but :math:`a`, or one
role). Linear rows on the shares keep the set of valid splits a polytope, so the model still
pays every cost with a mix of its vertices — exactly, with no share row (docs/funding_rules.md).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from itertools import combinations

import numpy as np
import pulp
from scipy.optimize import linprog

__all__ = ["NO_SOURCES", "RELATIONS", "FundingRule", "Link", "LinkedShares", "Share", "ShareBounds"]

SPLIT_TOL = 1e-6
"""Yuan (or money units) a split may leave unpaid, or overdraw a source, through round-off."""


class FundingRule(ABC):
    """How the eligible sources pay one cost category of one funding group."""

    @property
    @abstractmethod
    def sources(self) -> tuple[str, ...]:
        """The eligible sources (source ids, sorted)."""

    @abstractmethod
    def pay(self, prob: pulp.LpProblem, spend: pulp.LpVariable, name: str
            ) -> dict[str, pulp.LpAffineExpression]:
        """Add to ``prob`` the variables and rows (named after ``name``) that pay ``spend``.

        Returns
        -------
        dict
            Each eligible source's payment, in the order of :attr:`sources`.
        """

    @abstractmethod
    def split(self, amount: float, available: Mapping[str, float] | None = None
              ) -> dict[str, float] | None:
        """A valid split of ``amount`` (source id → amount), each source paying at most its
        ``available`` money (None: no limit); None when no valid split fits."""

    @abstractmethod
    def short(self, amount: float, available: Mapping[str, float]) -> tuple[str, ...]:
        """The sources whose ``available`` money is too little for :meth:`split` to pay
        ``amount`` (empty when it can): what stops the rule of thumb."""

    @abstractmethod
    def violations(self, paid_by_source: Mapping[str, float], amount: float, tol: float,
                   what: str) -> list[str]:
        """Messages on what breaks the rule when ``paid_by_source`` pays ``amount`` (the cost
        described by ``what``, e.g. "gas in 黄浦 (main_urban) in 2027"), with a tolerance of
        ``tol`` in the same unit."""


@dataclass(frozen=True)
class Share:
    """A source's share bounds (fractions of each cost) under a :class:`ShareBounds` rule."""

    source_id: str
    min_share: float
    max_share: float
    public: bool


@dataclass(frozen=True)
class ShareBounds(FundingRule):
    """Each source pays a share of every cost within its bounds; the shares sum to one.

    Attributes
    ----------
    shares : one per eligible source, sorted by source id.
    """

    shares: tuple[Share, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(s.source_id for s in self.shares)

    def vertices(self) -> np.ndarray:
        """Vertices of the share polytope {σ : Σσ = 1, min_s ≤ σ_s ≤ max_s} (rows = vertices,
        columns in the order of :attr:`shares`)."""
        return self._vertices

    @cached_property
    def _vertices(self) -> np.ndarray:
        # A vertex has every share but at most one at a bound, so enumerating bound patterns
        # finds them all (rules name at most a handful of sources).
        lo = np.array([s.min_share for s in self.shares])
        hi = np.array([s.max_share for s in self.shares])
        n = len(self.shares)
        found = set()
        for free in range(n):
            others = [s for s in range(n) if s != free]
            for pattern in range(2 ** len(others)):
                sigma = np.empty(n)
                for b, s in enumerate(others):
                    sigma[s] = hi[s] if pattern >> b & 1 else lo[s]
                sigma[free] = 1.0 - sigma[others].sum()
                if lo[free] - 1e-12 <= sigma[free] <= hi[free] + 1e-12:
                    found.add(tuple(np.round(np.clip(sigma, lo, hi), 12)))
        return np.array(sorted(found))

    def pay(self, prob: pulp.LpProblem, spend: pulp.LpVariable, name: str
            ) -> dict[str, pulp.LpAffineExpression]:
        """``spend`` is paid by a mix of the polytope's vertices: spend = Σ_v λ_v and source s
        pays Σ_v σ_vs λ_v, so every split within the bounds is reachable and no share row is
        needed (share rows made the planner's LP ten times slower)."""
        sigma = self.vertices()
        lams = [prob.add_variable(f"mix_{name}_{v}", 0) for v in range(len(sigma))]
        prob += (pulp.LpAffineExpression([*((lam, 1) for lam in lams), (spend, -1)]) == 0,
                 f"funded_{name}")
        return {share.source_id: pulp.LpAffineExpression(
                    [(lam, sigma[v, s]) for v, lam in enumerate(lams) if sigma[v, s] > 0])
                for s, share in enumerate(self.shares)}

    def split(self, amount: float, available: Mapping[str, float] | None = None
              ) -> dict[str, float] | None:
        """Every source pays its minimum share; the rest goes to non-public money first, then
        public money (each group by source id), each source up to its maximum share and its
        ``available`` money."""
        def left(sid: str) -> float:
            return np.inf if available is None else available[sid]

        pay = {s.source_id: s.min_share * amount for s in self.shares}
        for sid, a in pay.items():
            if a > left(sid) + SPLIT_TOL:
                return None
        rest = amount - sum(pay.values())
        for s in sorted(self.shares, key=lambda s: (s.public, s.source_id)):
            if rest <= SPLIT_TOL:
                break
            room = min(s.max_share * amount, left(s.source_id)) - pay[s.source_id]
            add = max(0.0, min(room, rest))
            pay[s.source_id] += add
            rest -= add
        return pay if rest <= SPLIT_TOL * max(1.0, amount) else None

    def short(self, amount: float, available: Mapping[str, float]) -> tuple[str, ...]:
        """The sources that cannot pay their minimum share; if every minimum fits, those whose
        money keeps them below their maximum share (together they cannot make up the rest)."""
        if self.split(amount, available) is not None:
            return ()
        below_minimum = tuple(s.source_id for s in self.shares
                              if s.min_share * amount > available[s.source_id] + SPLIT_TOL)
        return below_minimum or tuple(s.source_id for s in self.shares
                                      if available[s.source_id] < s.max_share * amount - SPLIT_TOL)

    def violations(self, paid_by_source: Mapping[str, float], amount: float, tol: float,
                   what: str) -> list[str]:
        bounds = {s.source_id: s for s in self.shares}
        issues = []
        for sid in sorted(set(paid_by_source) | {s.source_id for s in self.shares if s.min_share > 0}):
            paid = float(paid_by_source.get(sid, 0.0))
            share = bounds.get(sid)
            if share is None:
                issues.append(f"{sid} pays {paid:,.0f} yuan of {what} but is not an eligible "
                              "source there")
            elif paid < share.min_share * amount - tol:
                issues.append(f"{sid} pays {paid / amount:.2%} of {what}, below its minimum "
                              f"share {share.min_share:.0%}")
            elif paid > share.max_share * amount + tol:
                issues.append(f"{sid} pays {paid / amount:.2%} of {what}, above its maximum "
                              f"share {share.max_share:.0%}")
        return issues


RELATIONS: dict[str, str] = {"at_most": "at most", "equal": "exactly", "at_least": "at least"}
"""The relations of a link (``sharing_links.relation``), in words."""

VERTEX_TOL = 1e-9


@dataclass(frozen=True)
class Link:
    """One matching or top-up rule resolved for one cost: the money of ``source`` is
    ``relation`` (at most / exactly / at least) ``ratio`` times the money of ``base`` — the
    named sources (the public ones but ``source``, or one role's source; empty when that role
    cannot pay here), or the whole cost when ``base`` is None. ``name`` says the rule in
    words for messages (its option, role, relation, ratio and base)."""

    source: str
    relation: str
    ratio: float
    base: tuple[str, ...] | None
    name: str

    def coefficients(self, sources: tuple[str, ...]) -> np.ndarray:
        """a with the rule as a·σ (≤, =, ≥) 0 over the shares σ of ``sources``."""
        a = np.array([-self.ratio if self.base is None or s in self.base else 0.0
                      for s in sources])
        if self.source in sources:
            a[sources.index(self.source)] += 1.0
        return a

    def violation(self, paid_by_source: Mapping[str, float], amount: float, tol: float,
                  what: str) -> str | None:
        """What is wrong with ``paid_by_source`` paying ``amount`` of ``what`` under this rule
        (None when it holds)."""
        own = float(paid_by_source.get(self.source, 0.0))
        base = amount if self.base is None else float(sum(paid_by_source.get(s, 0.0)
                                                         for s in self.base))
        bound = self.ratio * base
        broken = {"at_most": own > bound + tol, "at_least": own < bound - tol,
                  "equal": abs(own - bound) > tol}[self.relation]
        if not broken:
            return None
        of = "the cost" if self.base is None else (" + ".join(self.base) or "nothing")
        return (f"{self.name}: {self.source} pays {own:,.0f} yuan of {what}, not "
                f"{RELATIONS[self.relation]} {self.ratio:g} × {of} ({bound:,.0f} yuan)")


_VERTICES: dict[tuple, np.ndarray] = {}
"""Vertices of linked share polytopes by their numbers: rules of different districts share them."""


def _polytope_vertices(lo: np.ndarray, hi: np.ndarray, equal: np.ndarray, below: np.ndarray
                       ) -> np.ndarray:
    """Vertices of {σ : Σσ = 1, lo ≤ σ ≤ hi, equal·σ = 0, below·σ ≤ 0} (rows = vertices): every
    choice of n linearly independent active rows — the equalities always, the others among the
    bounds and the inequality rows — whose solution satisfies every row. Rules name a handful of
    sources and links, so the choices are few."""
    n = len(lo)
    fixed = np.ones((1, n))
    for row in equal.reshape(-1, n):  # dependent equalities (0 = 0, repeats) add no row
        if np.linalg.matrix_rank(np.vstack([fixed, row])) > len(fixed):
            fixed = np.vstack([fixed, row])
    if len(fixed) > n:
        return np.empty((0, n))
    fixed_rhs = np.concatenate([[1.0], np.zeros(len(fixed) - 1)])
    eye = np.eye(n)
    optional = np.vstack([eye, eye, below.reshape(-1, n)])
    optional_rhs = np.concatenate([lo, hi, np.zeros(len(optional) - 2 * n)])
    found = set()
    for chosen in combinations(range(len(optional)), n - len(fixed)):
        m = np.vstack([fixed, optional[list(chosen)]])
        if np.linalg.matrix_rank(m) < n:
            continue
        sigma = np.linalg.solve(m, np.concatenate([fixed_rhs, optional_rhs[list(chosen)]]))
        inside = ((sigma >= lo - VERTEX_TOL).all() and (sigma <= hi + VERTEX_TOL).all()
                  and (np.abs(equal.reshape(-1, n) @ sigma) <= VERTEX_TOL).all()
                  and (below.reshape(-1, n) @ sigma <= VERTEX_TOL).all())
        if inside:
            found.add(tuple(np.round(np.clip(sigma, lo, hi), 12)))
    return np.array(sorted(found)).reshape(-1, n)


@dataclass(frozen=True)
class LinkedShares(ShareBounds):
    """Share bounds plus links (matching and top-up rules) on the same cost.

    Attributes
    ----------
    shares : one per eligible source, sorted by source id.
    links : the option's links that reach this cost, resolved to its sources.
    """

    links: tuple[Link, ...] = ()

    @cached_property
    def _vertices(self) -> np.ndarray:
        sources = self.sources
        lo = np.array([s.min_share for s in self.shares])
        hi = np.array([s.max_share for s in self.shares])
        rows = {"equal": [], "below": []}
        for link in self.links:
            a = link.coefficients(sources)
            if link.relation == "equal":
                rows["equal"].append(a)
            else:
                rows["below"].append(a if link.relation == "at_most" else -a)
        equal = np.array(rows["equal"]).reshape(-1, len(sources))
        below = np.array(rows["below"]).reshape(-1, len(sources))
        key = (lo.tobytes(), hi.tobytes(), equal.tobytes(), below.tobytes(), len(sources))
        if key not in _VERTICES:
            _VERTICES[key] = _polytope_vertices(lo, hi, equal, below)
        return _VERTICES[key]

    def split(self, amount: float, available: Mapping[str, float] | None = None
              ) -> dict[str, float] | None:
        """The split paying the least public money, as the share-bounds rule prefers: the
        vertex paying least (ties: by the sources' order) when its money is left, otherwise
        the mix of vertices that fits with the least public money (a small LP); None when no
        split fits."""
        sigma = self.vertices()
        if len(sigma) == 0:
            return None
        pay = sigma * amount
        public = np.array([s.public for s in self.shares], float)
        best = np.lexsort((*pay.T[::-1], pay @ public))[0]
        if available is None:
            return dict(zip(self.sources, map(float, pay[best]), strict=True))
        left = np.array([available[sid] for sid in self.sources])
        if (pay[best] <= left + SPLIT_TOL).all():
            return dict(zip(self.sources, map(float, pay[best]), strict=True))
        if (pay.min(axis=0) > left + SPLIT_TOL).any():  # a source cannot pay even its least
            return None
        # a mix λ of the vertices: Σλ = 1, λ ≥ 0, each source within its money left
        result = linprog(pay @ public, A_ub=pay.T, b_ub=left,
                         A_eq=np.ones((1, len(sigma))), b_eq=[1.0], bounds=(0, None),
                         method="highs")
        if result.status != 0:
            return None
        return dict(zip(self.sources, map(float, result.x @ pay), strict=True))

    def short(self, amount: float, available: Mapping[str, float]) -> tuple[str, ...]:
        """As for share bounds, with each source's least and largest share over the linked
        polytope (its vertices) in place of its bounds: a link may raise a minimum (a top-up
        fixes the city's share) or lower a maximum (a matching ratio)."""
        if self.split(amount, available) is not None:
            return ()
        sigma = self.vertices()
        if len(sigma) == 0:
            return self.sources
        least, most = sigma.min(axis=0) * amount, sigma.max(axis=0) * amount
        left = np.array([available[sid] for sid in self.sources])
        below_minimum = tuple(np.array(self.sources)[least > left + SPLIT_TOL])
        return below_minimum or tuple(np.array(self.sources)[left < most - SPLIT_TOL])

    def violations(self, paid_by_source: Mapping[str, float], amount: float, tol: float,
                   what: str) -> list[str]:
        issues = super().violations(paid_by_source, amount, tol, what)
        for link in self.links:
            issue = link.violation(paid_by_source, amount, tol, what)
            if issue is not None:
                issues.append(issue)
        return issues


NO_SOURCES = ShareBounds(())
"""The rule where no source may pay (a funding group or cost category without a rule)."""
