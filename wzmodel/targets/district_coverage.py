r"""``district_coverage``: every district at least a share complete by a year.

Scenario keys: ``year`` :math:`Y`, ``zones`` :math:`Z` (only their communities count),
``min_share`` :math:`\theta`; the scenario's ``coverage_measure`` sets the weight :math:`w_i`
(1 per community, or its households). :math:`D_d` is the set of communities of district
:math:`d` in :math:`Z`, for every district with a community in :math:`Z`.

One row per district, with :math:`a_i = 1` for a community complete (at least basic) at the
start:

.. math::

   \sum_{i \in D_d} w_i \sum_{t + L_b \le Y} x^b_{it} \;(+\,\delta_d) \;\ge\;
   \theta \sum_{i \in D_d} w_i - \sum_{i \in D_d} w_i a_i \qquad \forall d

A soft target has a shortfall :math:`\delta_d` per district, each unit (a community or a
household) priced like a unit of :mod:`~wzmodel.targets.coverage` shortfall over :math:`Z`;
its shortfall is :math:`\sum_d \delta_d`. Evaluation: achieved level = the worst district's
share; required = :math:`\sum_d \theta W_d`, achieved = :math:`\sum_d \min(H_d, \theta W_d)`
(:math:`W_d`, :math:`H_d`: the district's weight, and its weight complete at the end of
:math:`Y`), so that the shortfall is the districts' shortfalls summed. The rule of thumb,
asked for a starting plan, funds each district of a hard target like a coverage target.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from wzmodel.targets.base import Chase, Evaluation, Row, Rows, TargetKind, complete_by
from wzmodel.targets.coverage import communities_per_unit

if TYPE_CHECKING:
    from wzmodel.planner.model import PlanModel
    from wzmodel.planner.problem import PlanningProblem
    from wzmodel.targets import Target

__all__ = ["DistrictCoverage"]


def _districts(p: PlanningProblem, target: Target) -> list[tuple[str, np.ndarray]]:
    """(district, mask of its communities the target counts), by district name."""
    mask, _total = p.target_universe(target)
    district = p.communities["district"].to_numpy()
    return [(d, mask & (district == d)) for d in sorted(set(district[mask]))]


class DistrictCoverage(TargetKind):
    """In every district, the share of its communities (or households, per
    ``coverage_measure``) in ``zones`` complete (at least basic) at the end of ``year`` ≥
    ``min_share``."""

    name = "district_coverage"
    level = "min_share"
    label = "coverage in every district"
    unit = "communities or households (coverage_measure), summed over the districts"

    def rows(self, m: PlanModel, target: Target) -> Rows:
        p = m.problem
        w = p.communities["coverage_weight"].to_numpy(dtype=float)
        rows = tuple(
            Row(
                m.cover_terms(part, target.year, w),
                target.min_share * float(w[part].sum()) - float(w[part & p.already["basic"]].sum()),
                m.safe_name(district),
            )
            for district, part in _districts(p, target)
        )
        mask, _total = p.target_universe(target)
        return Rows(rows, communities_per_unit(w, mask))

    def evaluate(self, p: PlanningProblem, target: Target, years: dict[str, np.ndarray]) -> Evaluation:
        w = p.communities["coverage_weight"].to_numpy(dtype=float)
        done = complete_by(years["basic"], target.year)
        parts = [part for _district, part in _districts(p, target)]
        total = np.array([w[part].sum() for part in parts])
        have = np.array([w[part & done].sum() for part in parts])
        need = target.min_share * total
        shares = have[total > 0] / total[total > 0]
        return Evaluation(
            target.min_share,
            float(shares.min()) if len(shares) else 0.0,
            float(need.sum()),
            float(np.minimum(have, need).sum()),
            p.scenario.coverage_measure,
        )

    def chases(self, p: PlanningProblem, target: Target) -> tuple[Chase, ...]:
        if not target.hard:
            return ()
        w = p.communities["coverage_weight"].to_numpy(dtype=float)
        return tuple(
            Chase("basic", part, w, target.min_share * float(w[part].sum()), target.year)
            for _district, part in _districts(p, target)
        )
