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

:class:`ShareBounds` is today's only kind: each source's share of every cost lies within
:math:`[\underline\sigma_s, \overline\sigma_s]`, and the shares sum to one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pulp

__all__ = ["NO_SOURCES", "FundingRule", "Share", "ShareBounds"]

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


NO_SOURCES = ShareBounds(())
"""The rule where no source may pay (a funding group or cost category without a rule)."""
