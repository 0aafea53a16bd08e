r"""``complete_blocks`` and ``complete_districts``: whole streets, and whole districts, complete.

A street :math:`u` (its communities :math:`i \in u`) is a *complete block* at the end of year
:math:`Y` when at least ``block_threshold`` :math:`\beta` of its communities are complete (at
least basic). Each gets a binary :math:`z_u`, shared by every target of the same year and
threshold, defined by

.. math::

   \sum_{i \in u} \Big(a_i + \sum_{t + L_b \le Y} x^b_{it}\Big) \ge \beta |u| z_u

or, with :math:`\beta = 1`, by the far tighter :math:`z_u \le \sum_{t + L_b \le Y} x^b_{it}` for
each community of :math:`u` not yet complete (:math:`a_i = 1` for one complete at the start):
in the LP relaxation the street total would let a half-complete street count as half a block.

``complete_blocks`` (``year``, ``zones``, ``min_share`` :math:`\theta`): over the streets
:math:`U` whose communities lie in ``zones``,

.. math::

   \sum_{u \in U} z_u \;(+\,\delta) \;\ge\; \lceil \theta |U| \rceil

a unit of shortfall being a street (standing for the mean number of communities per street).

``complete_districts`` (``year``, ``min_count`` :math:`n`): a district :math:`d` is complete
when every street of it (all zones) is a complete block — a binary :math:`v_d \le z_u`
for each street :math:`u` of :math:`d` — and

.. math::

   \sum_d v_d \;(+\,\delta) \;\ge\; n

a unit of shortfall being a district (standing for the mean number of communities per
district). Neither kind has a rule-of-thumb treatment.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pulp

from wzmodel.targets.base import Evaluation, Row, Rows, TargetKind, complete_by

if TYPE_CHECKING:
    from wzmodel.planner.model import PlanModel
    from wzmodel.planner.problem import PlanningProblem
    from wzmodel.targets import Target

__all__ = ["CompleteBlocks", "CompleteDistricts"]


def _streets_needed(share: float, n_streets: int) -> float:
    return float(math.ceil(share * n_streets - 1e-9))


def _block_var(m: PlanModel, street, target: Target) -> pulp.LpVariable:
    """Binary 'street is a complete block at the end of target.year' with its defining rows,
    made once per street, year and threshold (``m.blocks``)."""
    key = (street.street_code, target.year, target.block_threshold)
    if key in m.blocks:
        return m.blocks[key]
    p = m.problem
    members = np.asarray(street.members)
    z = m.prob.add_variable(f"block_{street.street_code}_{target.year}", 0, 1, cat=pulp.LpInteger)
    if target.block_threshold >= 1.0:
        xb = m.x["basic"]
        for i in members[~p.already["basic"][members]]:
            terms = [(xb[(i, t)], -1) for t in p.years
                     if p.finish("basic", t) <= target.year and (i, t) in xb]
            m.prob += (
                pulp.LpAffineExpression([(z, 1), *terms]) <= 0,
                f"block_member_{street.street_code}_{target.year}_{i}",
            )
    else:
        mask = np.zeros(p.n, bool)
        mask[members] = True
        need = target.block_threshold * len(members)
        have = float(p.already["basic"][members].sum())
        terms = [*m.cover_terms(mask, target.year, np.ones(p.n)), (z, -need)]
        m.prob += (pulp.LpAffineExpression(terms) >= -have, f"block_def_{street.street_code}_{target.year}")
    m.blocks[key] = z
    return z


def _complete_streets(streets: pd.DataFrame, basic_year: np.ndarray, target: Target) -> pd.DataFrame:
    """``streets`` with a column ``complete``: a complete block at the end of target.year."""
    done = complete_by(basic_year, target.year)
    threshold = target.block_threshold
    streets["complete"] = [done[m].sum() >= threshold * len(m) - 1e-9 for m in streets["members"]]
    return streets


class CompleteBlocks(TargetKind):
    """Streets in ``zones`` with ≥ ``block_threshold`` of their communities complete ≥
    ``min_share`` of those streets."""

    name = "complete_blocks"
    level = "min_share"
    label = "complete blocks"
    unit = "streets"

    def rows(self, m: PlanModel, target: Target) -> Rows:
        streets = m.problem.streets_in(target.zones)
        zs = [_block_var(m, row, target) for row in streets.itertuples()]
        need = _streets_needed(target.min_share, len(streets))
        per_street = float(streets["members"].map(len).mean()) if len(streets) else 1.0
        return Rows((Row([(z, 1) for z in zs], need),), per_street)

    def evaluate(self, p: PlanningProblem, target: Target, years: dict[str, np.ndarray]) -> Evaluation:
        blocks = _complete_streets(p.streets_in(target.zones), years["basic"], target)
        n_streets = len(blocks)
        achieved = float(blocks["complete"].sum())
        return Evaluation(
            target.min_share,
            achieved / n_streets if n_streets else 0.0,
            _streets_needed(target.min_share, n_streets),
            achieved,
            self.unit,
        )


class CompleteDistricts(TargetKind):
    """Districts all of whose streets (every zone) are complete blocks ≥ ``min_count``."""

    name = "complete_districts"
    level = "min_count"
    label = "complete districts"
    unit = "districts"

    def rows(self, m: PlanModel, target: Target) -> Rows:
        p = m.problem
        streets = _all_streets(p)
        terms = []
        for district, rows in streets.groupby("district", sort=True):
            name = m.safe_name(district)
            v = m.prob.add_variable(f"district_{name}_{target.year}", 0, 1, cat=pulp.LpInteger)
            for row in rows.itertuples():
                z = _block_var(m, row, target)
                m.prob += (
                    pulp.LpAffineExpression([(v, 1), (z, -1)]) <= 0,
                    f"district_{name}_{row.street_code}_{target.year}",
                )
            terms.append((v, 1))
        per_unit = p.n / max(1, streets["district"].nunique())
        return Rows((Row(terms, float(target.min_count)),), per_unit)

    def evaluate(self, p: PlanningProblem, target: Target, years: dict[str, np.ndarray]) -> Evaluation:
        blocks = _complete_streets(_all_streets(p), years["basic"], target)
        achieved = float(blocks.groupby("district")["complete"].all().sum())
        required = float(target.min_count)
        return Evaluation(required, achieved, required, achieved, self.unit)


def _all_streets(p: PlanningProblem) -> pd.DataFrame:
    """Every street of the data, whatever its zone."""
    return p.streets_in(tuple(p.communities["zone"].unique()))
