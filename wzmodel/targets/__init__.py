"""Target kinds, declared once: the registry every part of the planner reads.

Each kind is one object (a :class:`~wzmodel.targets.base.TargetKind`, one module per kind)
holding its scenario schema, its rows in the planning model, its evaluation of a schedule, its
treatment by the rule of thumb and its labels. The scenario validates targets against
:data:`KINDS`; the model builder, the evaluation (and so ``wzmodel check``), the rule of thumb,
the plan summary, the figures and the docs (:func:`render_markdown`) look a target's kind up
there. Adding a kind is one module and one entry below.
"""

from __future__ import annotations

import inspect

from pydantic import Field, field_validator, model_validator

from wzmodel.strict import StrictModel, one_of
from wzmodel.targets.base import Chase, Evaluation, Row, Rows, TargetKind, complete_by
from wzmodel.targets.complete_blocks import CompleteBlocks, CompleteDistricts, CompleteGrids
from wzmodel.targets.coverage import Coverage
from wzmodel.targets.district_coverage import DistrictCoverage
from wzmodel.targets.new_featured import NewFeatured
from wzmodel.vocabulary import ZONES, Zone

__all__ = [
    "KINDS",
    "Chase",
    "Evaluation",
    "Row",
    "Rows",
    "Target",
    "TargetKind",
    "complete_by",
    "render_markdown",
]

KINDS: dict[str, TargetKind] = {
    kind.name: kind
    for kind in (
        Coverage(),
        NewFeatured(),
        CompleteBlocks(),
        CompleteDistricts(),
        DistrictCoverage(),
        CompleteGrids(),
    )
}
"""Every target kind, by its ``kind`` key in scenario files."""


class Target(StrictModel):
    """One target of a scenario: its ``kind`` (a key of :data:`KINDS`; see each kind for what
    it asks and which level — ``min_share`` or ``min_count`` — it needs), the ``year`` by whose
    end it applies and the ``zones`` it counts. A soft target (``hard = false``) may be missed;
    each unit of shortfall (community, household, street, grid or district, as the kind says) costs
    ``penalty`` in objective units, and the shortfall is reported.
    """

    kind: str = Field(description="a target kind (wzmodel.targets.KINDS)")
    year: int
    zones: tuple[Zone, ...] = ZONES
    min_share: float | None = Field(None, ge=0, le=1)
    min_count: int | None = Field(None, ge=0)
    block_threshold: float = Field(1.0, gt=0, le=1)
    hard: bool = True
    penalty: float | None = Field(None, ge=0, description="objective units per unit of shortfall")
    description: str = ""

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        return one_of(kind, KINDS, "a target kind")

    @model_validator(mode="after")
    def _kind_needs(self) -> Target:
        KINDS[self.kind].validate(self)
        return self


def render_markdown() -> str:
    """The table of target kinds for the docs (``docs/planner.md``), from the registry."""
    lines = [
        "| kind | level | shortfall unit | what it asks |",
        "|---|---|---|---|",
    ]
    for name, kind in KINDS.items():
        what = " ".join(inspect.getdoc(kind).split()).replace("``", "`")
        lines.append(f"| `{name}` | `{kind.level}` | {kind.unit} | {what} |")
    return "\n".join(lines)
