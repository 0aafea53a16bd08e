r"""``coverage``: a share of the communities (or households, or grids) of some zones complete
by a year.

Scenario keys: ``year`` :math:`Y`, ``zones`` :math:`Z`, ``min_share`` :math:`\theta`; the
scenario's ``coverage_measure`` sets the weight :math:`w_i` (1 per community, or its
households) — or, with ``coverage_measure = "grids"``, counts comprehensive grids (below).

Row, with :math:`a_i = 1` for a community complete (at least basic) at the start:

.. math::

   \sum_{i \in Z} w_i \sum_{t + L_b \le Y} x^b_{it} \;(+\,\delta) \;\ge\;
   \theta \sum_{i \in Z} w_i - \sum_{i \in Z} w_i a_i

A unit of shortfall is one unit of weight (a community or a household), standing for
:math:`1 / \bar w_Z` communities. Evaluation: achieved level = share of :math:`Z`'s weight
complete at the end of :math:`Y`. The rule of thumb, asked for a starting plan, funds a hard
coverage target's communities first, cheapest per unit of weight.

``coverage_measure = "grids"`` (the notice ties the basic class to the comprehensive grid,
综合网格): the units are the grids :math:`U` of the ``grids`` table with committees in :math:`Z`;
a grid counts when **all** its committees in :math:`Z` are complete at the end of :math:`Y` —
the binary :math:`z_u` of ``complete_grids`` with ``block_threshold = 1``
(:mod:`wzmodel.targets.complete_blocks`), shared with such targets — and

.. math::

   \sum_{u \in U} z_u \;(+\,\delta) \;\ge\; \lceil \theta |U| \rceil

A committee in no grid counts for no grid. A unit of shortfall is a grid. The rule of thumb
chases :math:`\theta` of the committees of :math:`Z` (a starting plan only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from wzmodel.targets.base import Chase, Evaluation, Row, Rows, TargetKind, complete_by
from wzmodel.targets.complete_blocks import CompleteGrids

if TYPE_CHECKING:
    from wzmodel.planner.model import PlanModel
    from wzmodel.planner.problem import PlanningProblem
    from wzmodel.targets import Target

__all__ = ["Coverage", "communities_per_unit"]


def communities_per_unit(weight: np.ndarray, mask: np.ndarray) -> float:
    """Communities one unit of coverage weight stands for among ``mask`` (1 without any)."""
    return 1.0 / float(np.mean(weight[mask])) if mask.any() else 1.0


class Coverage(TargetKind):
    """Share of the communities (or households, or whole grids, per ``coverage_measure``) in
    ``zones`` complete (at least basic) at the end of ``year`` ≥ ``min_share``."""

    name = "coverage"
    level = "min_share"
    label = "coverage"
    unit = "communities, households or grids (coverage_measure)"
    on_coverage_chart = True

    def rows(self, m: PlanModel, target: Target) -> Rows:
        p = m.problem
        if p.scenario.coverage_measure == "grids":
            return CompleteGrids().rows(m, _all_members(target))
        w = p.communities["coverage_weight"].to_numpy(dtype=float)
        mask, total = p.target_universe(target)
        rhs = target.min_share * total - float(w[mask & p.already["basic"]].sum())
        terms = m.cover_terms(mask, target.year, w)
        return Rows((Row(terms, rhs),), communities_per_unit(w, mask))

    def evaluate(self, p: PlanningProblem, target: Target, years: dict[str, np.ndarray]) -> Evaluation:
        if p.scenario.coverage_measure == "grids":
            return CompleteGrids().evaluate(p, _all_members(target), years)
        w = p.communities["coverage_weight"].to_numpy(dtype=float)
        mask, total = p.target_universe(target)
        achieved = float(w[mask & complete_by(years["basic"], target.year)].sum())
        return Evaluation(
            target.min_share,
            achieved / total if total else 0.0,
            target.min_share * total,
            achieved,
            p.scenario.coverage_measure,
        )

    def chases(self, p: PlanningProblem, target: Target) -> tuple[Chase, ...]:
        if not target.hard:
            return ()
        w = p.communities["coverage_weight"].to_numpy(dtype=float)
        mask, total = p.target_universe(target)
        return (Chase("basic", mask, w, target.min_share * total, target.year),)


def _all_members(target: Target) -> Target:
    """The target read over grids: a grid counts when all its committees are complete."""
    return target.model_copy(update={"block_threshold": 1.0})
