r"""``complete_blocks``, ``complete_grids`` and ``complete_districts``: whole streets, whole
comprehensive grids, and whole districts, complete.

A *unit* :math:`u` — a street for ``complete_blocks``, a comprehensive grid (综合网格, the
``grids`` table) for ``complete_grids`` — with communities :math:`i \in u` is complete at the
end of year :math:`Y` when at least ``block_threshold`` :math:`\beta` of its communities are
complete (at least basic). Each gets a binary :math:`z_u`, shared by every target of the same
unit kind, year and threshold, defined by

.. math::

   \sum_{i \in u} \Big(a_i + \sum_{t + L_b \le Y} x^b_{it}\Big) \ge \beta |u| z_u

or, with :math:`\beta = 1`, by the far tighter :math:`z_u \le \sum_{t + L_b \le Y} x^b_{it}` for
each community of :math:`u` not yet complete (:math:`a_i = 1` for one complete at the start):
in the LP relaxation the unit total would let a half-complete unit count as half of one.

``complete_blocks`` / ``complete_grids`` (``year``, ``zones``, ``min_share`` :math:`\theta`):
over the units :math:`U` with communities in ``zones`` (a unit's communities of other zones
are not counted; for grids, communities in no grid form none),

.. math::

   \sum_{u \in U} z_u \;(+\,\delta) \;\ge\; \lceil \theta |U| \rceil

a unit of shortfall being a street or a grid (standing for the mean number of communities per
unit). ``complete_grids`` is the notice's coverage measured over grids instead of committees.

``complete_districts`` (``year``, ``min_count`` :math:`n`): a district :math:`d` is complete
when every street of it (all zones) is a complete block — a binary :math:`v_d \le z_u`
for each street :math:`u` of :math:`d` — and

.. math::

   \sum_d v_d \;(+\,\delta) \;\ge\; n

a unit of shortfall being a district (standing for the mean number of communities per
district). None of these kinds has a rule-of-thumb treatment.
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

__all__ = ["CompleteBlocks", "CompleteDistricts", "CompleteGrids"]


def _units_needed(share: float, n_units: int) -> float:
    return float(math.ceil(share * n_units - 1e-9))


# per unit kind: the prefix of its binaries' and rows' names (streets keep the names they had)
_PREFIX = {"street_code": "block", "grid_id": "grid"}


def _unit_var(m: PlanModel, unit: str, code: str, members: np.ndarray, target: Target
              ) -> pulp.LpVariable:
    """Binary 'unit ``code`` (a street or a grid, per ``unit``) is complete at the end of
    target.year' with its defining rows, made once per unit, year and threshold (``m.blocks``)."""
    key = (unit, code, target.year, target.block_threshold)
    if key in m.blocks:
        return m.blocks[key]
    p = m.problem
    prefix, name = _PREFIX[unit], m.safe_name(code)
    z = m.prob.add_variable(f"{prefix}_{name}_{target.year}", 0, 1, cat=pulp.LpInteger)
    if target.block_threshold >= 1.0:
        xb = m.x["basic"]
        for i in members[~p.already["basic"][members]]:
            terms = [(xb[(i, t)], -1) for t in p.years
                     if p.finish("basic", t) <= target.year and (i, t) in xb]
            m.prob += (
                pulp.LpAffineExpression([(z, 1), *terms]) <= 0,
                f"{prefix}_member_{name}_{target.year}_{i}",
            )
    else:
        mask = np.zeros(p.n, bool)
        mask[members] = True
        need = target.block_threshold * len(members)
        have = float(p.already["basic"][members].sum())
        terms = [*m.cover_terms(mask, target.year, np.ones(p.n)), (z, -need)]
        m.prob += (pulp.LpAffineExpression(terms) >= -have, f"{prefix}_def_{name}_{target.year}")
    m.blocks[key] = z
    return z


def _complete_units(units: pd.DataFrame, basic_year: np.ndarray, target: Target) -> pd.DataFrame:
    """``units`` with a column ``complete``: complete at the end of target.year."""
    done = complete_by(basic_year, target.year)
    threshold = target.block_threshold
    units["complete"] = [done[m].sum() >= threshold * len(m) - 1e-9 for m in units["members"]]
    return units


class CompleteBlocks(TargetKind):
    """Streets in ``zones`` with ≥ ``block_threshold`` of their communities complete ≥
    ``min_share`` of those streets."""

    name = "complete_blocks"
    level = "min_share"
    label = "complete blocks"
    unit = "streets"
    unit_column = "street_code"

    def rows(self, m: PlanModel, target: Target) -> Rows:
        units = m.problem.units_in(self.unit_column, target.zones)
        zs = [_unit_var(m, self.unit_column, code, members, target)
              for code, members in zip(units[self.unit_column], units["members"], strict=True)]
        need = _units_needed(target.min_share, len(units))
        per_unit = float(units["members"].map(len).mean()) if len(units) else 1.0
        return Rows((Row([(z, 1) for z in zs], need),), per_unit)

    def evaluate(self, p: PlanningProblem, target: Target, years: dict[str, np.ndarray]) -> Evaluation:
        units = _complete_units(p.units_in(self.unit_column, target.zones), years["basic"], target)
        n_units = len(units)
        achieved = float(units["complete"].sum())
        return Evaluation(
            target.min_share,
            achieved / n_units if n_units else 0.0,
            _units_needed(target.min_share, n_units),
            achieved,
            self.unit,
        )


class CompleteGrids(CompleteBlocks):
    """Comprehensive grids (the ``grids`` table) in ``zones`` with ≥ ``block_threshold`` of
    their committees complete ≥ ``min_share`` of those grids: coverage measured over grids."""

    name = "complete_grids"
    label = "complete grids"
    unit = "grids"
    unit_column = "grid_id"


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
                z = _unit_var(m, "street_code", row.street_code, np.asarray(row.members), target)
                m.prob += (
                    pulp.LpAffineExpression([(v, 1), (z, -1)]) <= 0,
                    f"district_{name}_{row.street_code}_{target.year}",
                )
            terms.append((v, 1))
        per_unit = p.n / max(1, streets["district"].nunique())
        return Rows((Row(terms, float(target.min_count)),), per_unit)

    def evaluate(self, p: PlanningProblem, target: Target, years: dict[str, np.ndarray]) -> Evaluation:
        blocks = _complete_units(_all_streets(p), years["basic"], target)
        achieved = float(blocks.groupby("district")["complete"].all().sum())
        required = float(target.min_count)
        return Evaluation(required, achieved, required, achieved, self.unit)


def _all_streets(p: PlanningProblem) -> pd.DataFrame:
    """Every street of the data, whatever its zone."""
    return p.streets_in(tuple(p.communities["zone"].unique()))
