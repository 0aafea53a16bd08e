r"""What every target kind provides, and the records it hands to the planner.

A kind is one object (a :class:`TargetKind`) holding

* its **schema**: the level it requires (``min_share`` or ``min_count``) and any further check
  of a scenario's target (:meth:`TargetKind.validate`);
* its **rows** in the planning model (:meth:`TargetKind.rows`): one or more rows
  :math:`\sum a_j x_j (+ \delta) \ge b`, and how many communities one unit of its
  shortfall stands for (which prices a soft target's shortfall);
* its **evaluation** of a schedule (:meth:`TargetKind.evaluate`): required and achieved level
  and amount, and the unit of the shortfall;
* its **rule-of-thumb treatment** (:meth:`TargetKind.chases`): what the rule of thumb chases
  for it, if anything;
* its **labels**: a human label, the unit its shortfall is counted in, and whether its level
  is a share or a count.

This module imports nothing from :mod:`wzmodel.planner` or :mod:`wzmodel.scenario` at run
time: a kind receives the model or the problem as an argument and uses their attributes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

if TYPE_CHECKING:
    import pulp

    from wzmodel.planner.model import PlanModel
    from wzmodel.planner.problem import PlanningProblem
    from wzmodel.targets import Target

__all__ = ["Chase", "Evaluation", "Row", "Rows", "TargetKind", "complete_by"]

MET_TOL = 1e-6
"""A target is met when its achieved amount is at most this much below the required amount."""


def complete_by(years: np.ndarray, year: int) -> np.ndarray:
    """Communities complete at the end of ``year``, given each one's completion year
    (``first_year - 1`` if complete at the start, 0 if never)."""
    return (years > 0) & (years <= year)


@dataclass(frozen=True)
class Row:
    r"""One model row :math:`\sum` ``terms`` :math:`\ge` ``rhs`` of a target; ``part`` names it
    when a target has several rows (it suffixes the row's and its shortfall's names)."""

    terms: list[tuple[pulp.LpVariable, float]]
    rhs: float
    part: str = ""


@dataclass(frozen=True)
class Rows:
    """A target's rows, and the communities one unit of its shortfall stands for."""

    rows: tuple[Row, ...]
    communities_per_unit: float


@dataclass(frozen=True)
class Evaluation:
    """What a schedule achieves for one target.

    ``required_level`` and ``achieved_level`` are shares or counts (as the kind's ``share``
    says); ``required`` and ``achieved`` are amounts in ``unit`` (communities, households,
    streets, districts), so that ``shortfall = max(0, required - achieved)``.
    """

    required_level: float
    achieved_level: float
    required: float
    achieved: float
    unit: str

    @property
    def shortfall(self) -> float:
        return max(0.0, self.required - self.achieved)

    @property
    def met(self) -> bool:
        return bool(self.achieved >= self.required - MET_TOL)


@dataclass(frozen=True)
class Chase:
    """What the rule of thumb chases for a target: by the end of ``year``, the communities of
    ``mask`` at class ``klass`` (those at it from the start included) must weigh ``need`` in
    ``weight``. Basic chases are funded first (cheapest per unit of weight) when the rule of
    thumb is asked for a starting plan; featured chases set each year's featured quota."""

    klass: str
    mask: np.ndarray
    weight: np.ndarray
    need: float
    year: int


class TargetKind(ABC):
    """One kind of target: its schema, model rows, evaluation, rule-of-thumb treatment and
    labels. Subclasses set the class attributes and implement :meth:`rows` and
    :meth:`evaluate`; their docstring describes the kind in the docs."""

    name: ClassVar[str]
    """The ``kind`` key of scenario files."""
    level: ClassVar[Literal["min_share", "min_count"]]
    """The field of the target giving its level."""
    label: ClassVar[str]
    """A human label."""
    unit: ClassVar[str]
    """The unit a shortfall is counted in."""
    on_coverage_chart: ClassVar[bool] = False
    """Its level is a share of its zones' communities, drawn on the coverage chart."""

    @property
    def share(self) -> bool:
        """Whether the level is a share (shown in %) rather than a count."""
        return self.level == "min_share"

    def validate(self, target: Target) -> None:
        """Raise ``ValueError`` when ``target`` does not give what this kind needs."""
        if getattr(target, self.level) is None:
            raise ValueError(f"a {self.name} target needs {self.level}")

    @abstractmethod
    def rows(self, m: PlanModel, target: Target) -> Rows:
        """The target's rows in model ``m`` (adding any auxiliary variables and rows)."""

    @abstractmethod
    def evaluate(self, p: PlanningProblem, target: Target, years: dict[str, np.ndarray]) -> Evaluation:
        """What the schedule given by its completion ``years`` per class achieves."""

    def chases(self, p: PlanningProblem, target: Target) -> tuple[Chase, ...]:
        """What the rule of thumb chases for ``target``: nothing unless a kind says."""
        return ()
