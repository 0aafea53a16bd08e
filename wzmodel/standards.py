"""Standards as data: the criteria of the ``basic`` and ``featured`` classes.

The default Shanghai standards ship as ``wzmodel/standards/basic.toml`` and ``featured.toml``; a
scenario may point at other files (another city's numbers) without code changes. Each criterion
tests one community indicator and says how the gap is measured and what closing it costs:

``measure = "amount"``  required = threshold × base;  gap = max(0, required − value)
``measure = "rate"``    value is per unit of base;    gap = max(0, threshold − value) × base

(for ``op = "<="`` the difference is taken the other way round). ``base`` is a community column
(``households``, ``residents``, ...) or a number; the column may be another indicator (the
resident-activity floor is 60 % of the actual service floor, ``base = "service_floor_m2"``). An
amount may add ``extra`` terms, ``{column = per_unit}``: required = threshold × base +
Σ per_unit × column (elderly-care floor: 15 m² per 100 households plus 5 more per 100 households
of new estates, i.e. 20 there). Closing a gap costs
``capital_yuan_per_unit × gap`` once and ``running_yuan_per_unit_year × gap`` in every later year.

A criterion with a ``facility_type`` is a *facility-type minimum*: its shortfall may be served by
facilities of that type within walking reach (``reach`` names a class of the basic file's
``[reach]`` table: a radius by zone); :mod:`wzmodel.reach` allocates their spare capacity and
:func:`wzmodel.assess.assess` counts only what nothing within reach serves as a gap.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from wzmodel.schema import InputError, Problem
from wzmodel.strict import StrictModel, one_of, validation_problems
from wzmodel.vocabulary import CLASSES, COST_CATEGORIES, ZONES, Zone

__all__ = ["CLASSES", "COST_CATEGORIES", "Criterion", "Reach", "Standard", "Standards",
           "load_standards"]


class Criterion(StrictModel):
    """One criterion of a class."""

    id: str
    title: str
    area: str
    indicator: str = Field(description="communities column tested")
    op: Literal[">=", "<="]
    threshold: float
    base: str | float = Field(
        1, description="communities column or number the threshold scales with"
    )
    measure: Literal["amount", "rate"]
    extra: dict[str, float] = Field(
        default_factory=dict,
        description="amount only: more terms of the requirement, {communities column: amount per "
        "unit of it}; required = threshold × base + Σ amount × column",
    )
    gap_unit: str
    cost_category: str
    capital_yuan_per_unit: float = Field(ge=0)
    running_yuan_per_unit_year: float = Field(0.0, ge=0)
    source: str = ""
    assumed: bool
    cost_source: str = ""
    cost_assumed: bool
    facility_type: str | None = Field(
        None, description="facilities.type whose spare capacity within reach serves the shortfall "
        "(a facility-type minimum); none: the committee's own facility only")
    reach: str | None = Field(None, description="reach class of [reach] radius_m (with facility_type)")
    m2_per_unit: float | None = Field(
        None, gt=0, description="facility floor one unit of the gap takes (gap_unit not m2)")

    @model_validator(mode="after")
    def _facility_fields(self) -> Criterion:
        if (self.facility_type is None) != (self.reach is None):
            raise ValueError("facility_type and reach go together (a facility-type minimum names "
                             "both; a committee's own floor rule neither)")
        if self.facility_type is None and self.m2_per_unit is not None:
            raise ValueError("m2_per_unit only with a facility_type")
        if self.facility_type is not None and self.gap_unit != "m2" and self.m2_per_unit is None:
            raise ValueError(f"m2_per_unit (the facility floor one {self.gap_unit!r} of the gap "
                             "takes) for a facility type whose gap is not in m2")
        return self

    @property
    def floor_per_unit(self) -> float:
        """Facility floor (m²) one unit of the gap takes at a shared facility."""
        return float(self.m2_per_unit or 1.0)

    @field_validator("cost_category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        return one_of(value, COST_CATEGORIES, "a cost category")

    @model_validator(mode="after")
    def _extra_only_for_amounts(self) -> Criterion:
        if self.extra and self.measure != "amount":
            raise ValueError(f'extra terms only with measure = "amount" ({self.id})')
        return self

    def gap(self, communities: pd.DataFrame) -> np.ndarray:
        """Gap quantity (``gap_unit``) of every community; 0 where the criterion is met."""
        value = communities[self.indicator].to_numpy(dtype=float)
        base = (
            communities[self.base].to_numpy(dtype=float)
            if isinstance(self.base, str)
            else np.full(len(communities), float(self.base))
        )
        if self.measure == "amount":
            required = self.threshold * base
            for column, per_unit in self.extra.items():
                required = required + per_unit * communities[column].to_numpy(dtype=float)
            diff = required - value
        else:
            diff = (self.threshold - value) * base
        if self.op == "<=":
            diff = -diff
        # tolerate float noise in the data (e.g. 0.3 m² × households stored with 1 decimal)
        return np.where(diff > 1e-6 * np.maximum(1.0, np.abs(base)), diff, 0.0)


class Reach(StrictModel):
    """The walking reach of facility-type minimums (the basic file's ``[reach]`` table).

    ``radius_m[class][zone]`` is the walking (network) distance in metres within which a
    facility serves a committee of that zone; the distance between two points is the straight
    line × ``detour_factor``.
    """

    detour_factor: float = Field(ge=1.0)
    radius_m: dict[str, dict[Zone, float]]
    source: str = ""
    assumed: bool

    @field_validator("radius_m")
    @classmethod
    def _every_zone(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for name, radii in value.items():
            missing = [z for z in ZONES if z not in radii]
            if missing:
                raise ValueError(f"a radius for every zone; class {name!r} lacks {', '.join(missing)}")
            bad = {z: r for z, r in radii.items() if not r > 0}
            if bad:
                raise ValueError(f"radii > 0 m; class {name!r} has {bad}")
        return value

    def radius(self, klass: str, zones: np.ndarray) -> np.ndarray:
        """Walking radius (m) of reach class ``klass`` for each zone in ``zones``."""
        radii = self.radius_m[klass]
        return np.array([radii[z] for z in zones], dtype=float)  # type: ignore[index]


class Standard(StrictModel):
    """The criteria of one class, as read from one TOML file."""

    model_config = ConfigDict(populate_by_name=True)

    class_: Literal["basic", "featured"] = Field(alias="class")
    name: str
    criteria: tuple[Criterion, ...]
    reach: Reach | None = None


@dataclass(frozen=True)
class Standards:
    """The basic and featured standards in force; featured requires basic."""

    basic: Standard
    featured: Standard
    paths: tuple[str, str] = ("", "")

    def criteria(self) -> list[tuple[str, Criterion]]:
        """(class, criterion) pairs, basic first."""
        return [("basic", c) for c in self.basic.criteria] + [
            ("featured", c) for c in self.featured.criteria
        ]

    @property
    def reach(self) -> Reach | None:
        """The walking reach of facility-type minimums (declared once, in the basic file)."""
        return self.basic.reach

    def facility_types(self) -> list[str]:
        """The facility types the criteria name (``facilities.type`` values), sorted."""
        return sorted({c.facility_type for _, c in self.criteria() if c.facility_type})

    def indicators(self) -> set[str]:
        return {c.indicator for _, c in self.criteria()} | {
            c.base for _, c in self.criteria() if isinstance(c.base, str)
        } | {column for _, c in self.criteria() for column in c.extra}

    def table(self) -> pd.DataFrame:
        """All criteria as one table (for reports and documentation)."""
        rows = [{"class": k, **c.model_dump()} for k, c in self.criteria()]
        return pd.DataFrame(rows)


def _default_path(name: str) -> Path:
    return Path(str(resources.files("wzmodel").joinpath(f"standards/{name}.toml")))


def _load_one(path: Path, expected_class: str, problems: list[Problem]) -> Standard | None:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        problems.append(Problem(str(path), f"a readable TOML standards file ({exc})"))
        return None
    try:
        standard = Standard.model_validate(raw)
    except ValidationError as exc:
        problems += validation_problems(exc, str(path), numbered=("criteria", "criterion"))
        return None
    if standard.class_ != expected_class:
        problems.append(
            Problem(str(path), f'class = "{expected_class}"', None, "class", standard.class_)
        )
    ids = [c.id for c in standard.criteria]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(Problem(str(path), "unique criterion ids", None, "id", dup))
    return standard


def _reach_problems(basic: Standard, featured: Standard, paths: tuple[Path, Path]) -> list[Problem]:
    """The reach radii are declared once, in the basic file, and name every class the criteria
    of either file use."""
    problems = []
    if featured.reach is not None:
        problems.append(Problem(str(paths[1]), "no [reach] table (the radii are declared once, "
                                "in the basic standards file)", None, "reach"))
    classes = set(basic.reach.radius_m) if basic.reach is not None else set()
    for path, standard in zip(paths, (basic, featured), strict=True):
        for n, c in enumerate(standard.criteria, start=1):
            if c.reach is not None and c.reach not in classes:
                expected = (f"a reach class of the basic file's [reach.radius_m] "
                            f"({', '.join(sorted(classes))})" if classes else
                            "a [reach] table in the basic standards file for facility-type minimums")
                problems.append(Problem(f"{path} criterion {n}", expected, None, "reach", c.reach))
    return problems


def load_standards(
    basic: str | Path | None = None, featured: str | Path | None = None
) -> Standards:
    """Load the standards (defaults: the Shanghai files shipped with the package).

    Raises :class:`~wzmodel.schema.InputError` listing every problem in either file.
    """
    paths = (
        Path(basic) if basic else _default_path("basic"),
        Path(featured) if featured else _default_path("featured"),
    )
    problems: list[Problem] = []
    loaded = [_load_one(p, k, problems) for p, k in zip(paths, CLASSES, strict=True)]
    if problems:
        raise InputError(problems, "standards")
    b, f = loaded
    assert b is not None and f is not None
    problems += _reach_problems(b, f, paths)
    if problems:
        raise InputError(problems, "standards")
    return Standards(b, f, (str(paths[0]), str(paths[1])))
