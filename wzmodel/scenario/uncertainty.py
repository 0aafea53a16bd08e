"""The ``[uncertainty]`` section: uncertain parameters and policy levers for sweeps.

In the file, declarations are tables named by the parameter or lever::

    [uncertainty]
    seed = 42
    method = "lhs"            # lhs | sobol | factorial | saltelli
    samples = 32

    [uncertainty.parameters.cost_overrun_service]
    path = "funding.cost_scale.service_facilities"
    low = 0.9
    high = 1.4

    [uncertainty.levers.option]
    path = "funding.sharing_option"
    values = ["fiscal_led", "utilities_owners"]

They are validated when the scenario loads (errors name ``uncertainty.parameters.<name>...``);
whether each path and value suits the scenario is checked by
:func:`wzmodel.sweep.read_uncertainty`, which needs the whole scenario.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import (
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from wzmodel.strict import StrictModel

__all__ = ["Lever", "LeverValue", "Method", "Parameter", "Uncertainty"]

Method = Literal["lhs", "sobol", "factorial", "saltelli"]
LeverValue = str | int | float | bool


class Parameter(StrictModel):
    """An uncertain parameter: a value drawn uniformly from ``[low, high]``.

    Attributes
    ----------
    name : the column name of this parameter in the design and the results.
    path : dotted scenario key (``funding.cost_scale.service_facilities``) or a data path from
        :data:`wzmodel.sweep.DATASET_PATHS` (a multiplier).
    low, high : the range (``low < high``), in the unit of the addressed key.
    """

    name: str
    path: str = Field(min_length=1)
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Parameter:
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class Lever(StrictModel):
    """A policy lever: every value is tried (full factorial with the other levers).

    Attributes
    ----------
    name : the column name of this lever in the design and the results.
    path : dotted scenario key, e.g. ``funding.sharing_option``.
    values : the settings to compare (at least one, no repeats).
    """

    name: str
    path: str = Field(min_length=1)
    values: tuple[LeverValue, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct(self) -> Lever:
        if len(set(map(repr, self.values))) != len(self.values):
            raise ValueError("values must not repeat")
        return self


class Uncertainty(StrictModel):
    """The ``[uncertainty]`` table of a scenario, parsed.

    ``parameters`` and ``levers`` are read from tables keyed by name (as in the file) or given
    as sequences of :class:`Parameter` and :class:`Lever`. An empty table (the default) declares
    nothing.

    Attributes
    ----------
    seed : seed of the parameter sampler (the design is a function of it).
    method : ``lhs`` (Latin hypercube), ``sobol`` (scrambled Sobol', power-of-two sample
        counts), ``factorial`` (``samples`` evenly spaced levels per parameter, crossed) or
        ``saltelli`` (Saltelli's design for Sobol' sensitivity indices: ``samples`` base
        points, a power of two, give ``samples × (parameters + 2)`` experiments).
    samples : default number of parameter samples (levels per parameter for ``factorial``,
        base points for ``saltelli``).
    parameters, levers : in declaration order.
    """

    seed: int = 0
    method: Method = "lhs"
    samples: int | None = Field(None, gt=0)
    parameters: tuple[Parameter, ...] = ()
    levers: tuple[Lever, ...] = ()

    @field_validator("parameters", "levers", mode="wrap")
    @classmethod
    def _named_tables(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """``{name: {path, ...}}`` → declarations carrying their name; errors located by name."""
        if not isinstance(value, Mapping):
            return handler(value)
        names = list(value)
        try:
            return handler([{"name": name, **body} if isinstance(body, Mapping) else body
                            for name, body in value.items()])
        except ValidationError as exc:
            raise ValidationError.from_exception_data(exc.title, [
                {"type": err["type"], "loc": (names[err["loc"][0]], *err["loc"][1:]),
                 "input": err["input"], **({"ctx": err["ctx"]} if "ctx" in err else {})}
                for err in exc.errors()
            ]) from None

    @property
    def declared(self) -> bool:
        """Whether at least one parameter or lever is declared."""
        return bool(self.parameters or self.levers)

    @property
    def lever_settings(self) -> list[dict[str, LeverValue]]:
        """Every combination of lever values, first lever slowest (``[{}]`` without levers)."""
        names = [lever.name for lever in self.levers]
        combos = itertools.product(*(lever.values for lever in self.levers))
        return [dict(zip(names, combo, strict=True)) for combo in combos]

    def path_of(self, name: str) -> str:
        for item in (*self.parameters, *self.levers):
            if item.name == name:
                return item.path
        raise KeyError(name)

    def as_table(self) -> dict[str, Any]:
        """The keys as written in the scenario file: only those given, declarations keyed by
        name (the form :meth:`~wzmodel.scenario.Scenario.update` reads back)."""
        table = self.model_dump(mode="json", exclude_unset=True)
        for kind in ("parameters", "levers"):
            if kind in table:
                table[kind] = {item.pop("name"): item for item in table[kind]}
        return table
