r"""``new_featured``: a number of communities that become featured by a year.

Scenario keys: ``year`` :math:`Y`, ``min_count`` :math:`n` (every community counts, whatever
``zones`` says).

Row:

.. math::

   \sum_i \kappa_i \sum_{t + L_f \le Y} x^f_{it} \;(+\,\delta) \;\ge\; n

(:math:`L_f` the featured lead time of ``[delivery]``, 0 by default: a start counts from its
completion year; :math:`\kappa_i = 1`, except that a featured area of several committees —
``featured_areas``, made featured together — counts once: :math:`\kappa = 1` on its first
committee, 0 on the others)

A unit of shortfall is one community. Evaluation: achieved = featured communities (areas
counted once) featured at the end of :math:`Y` that were not at the start. The rule of thumb
spreads the featured upgrades still missing evenly over the years up to :math:`Y` (soft
targets too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from wzmodel.targets.base import Chase, Evaluation, Row, Rows, TargetKind, complete_by

if TYPE_CHECKING:
    from wzmodel.planner.model import PlanModel
    from wzmodel.planner.problem import PlanningProblem
    from wzmodel.targets import Target

__all__ = ["NewFeatured"]


class NewFeatured(TargetKind):
    """Communities that become featured by the end of ``year`` ≥ ``min_count``."""

    name = "new_featured"
    level = "min_count"
    label = "new featured communities"
    unit = "communities"

    def rows(self, m: PlanModel, target: Target) -> Rows:
        kappa = m.problem.featured_weight
        terms = [(v, 1) for (i, _t), v in m.done_by("featured", target.year) if kappa[i] > 0]
        return Rows((Row(terms, float(target.min_count)),), 1.0)

    def evaluate(self, p: PlanningProblem, target: Target, years: dict[str, np.ndarray]) -> Evaluation:
        newly = complete_by(years["featured"], target.year) & ~p.already["featured"]
        achieved, required = float(p.featured_weight[newly].sum()), float(target.min_count)
        return Evaluation(required, achieved, required, achieved, self.unit)

    def chases(self, p: PlanningProblem, target: Target) -> tuple[Chase, ...]:
        # counted over every community, those featured at the start included
        kappa = p.featured_weight
        already = float(kappa[p.already["featured"]].sum())
        everyone = np.ones(p.n, dtype=bool)
        return (Chase("featured", everyone, kappa, target.min_count + already, target.year),)
