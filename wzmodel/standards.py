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
from wzmodel.vocabulary import CLASSES, COST_CATEGORIES

__all__ = ["CLASSES", "COST_CATEGORIES", "Criterion", "Standard", "Standards", "load_standards"]



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


class Standard(StrictModel):
    """The criteria of one class, as read from one TOML file."""

    model_config = ConfigDict(populate_by_name=True)

    class_: Literal["basic", "featured"] = Field(alias="class")
    name: str
    criteria: tuple[Criterion, ...]


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
    return Standards(b, f, (str(paths[0]), str(paths[1])))
