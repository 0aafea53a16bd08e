"""Scenarios: declarative TOML files naming the data, standards, funding, targets, objective and
solver settings of one run.

A scenario is a strict pydantic model: unknown keys are rejected, every field is documented, and
the model is immutable — :meth:`Scenario.update` returns a validated copy. A file may start from
another with ``extends = "baseline.toml"`` and override only the keys it names (tables merge
key by key). Paths inside a file are relative to that file.

Example (``data/shanghai/scenarios/baseline.toml``)::

    name = "baseline"
    data = ".."
    [funding]
    sharing_option = "fiscal_led"
    [targets.coverage_2027]
    kind = "coverage"
    year = 2027
    zones = ["main_urban", "new_town"]
    min_share = 0.60
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_serializer,
    field_validator,
    model_serializer,
    model_validator,
)

from wzmodel.scenario.delivery import DeliveryConfig
from wzmodel.scenario.siting import SitingConfig
from wzmodel.scenario.uncertainty import Uncertainty
from wzmodel.schema import InputError, Problem
from wzmodel.solver import DEFAULT_SOLVER, SolverOptions, check_solver
from wzmodel.strict import StrictModel, validation_problems
from wzmodel.targets import Target

__all__ = ["AreaConfig", "CompareConfig", "Scenario", "Target", "load_scenario"]



NonNegative = Annotated[float, Field(ge=0)]
_SCALE = TypeAdapter(NonNegative)
_SCALE_BY_YEAR = TypeAdapter(dict[int, NonNegative])


def _number_or_years(value: Any, _handler: ValidatorFunctionWrapHandler) -> float | dict[int, float]:
    """A multiplier ≥ 0 for every year, or a table ``{year: multiplier ≥ 0}`` (errors located at
    the year)."""
    if isinstance(value, Mapping):
        return _SCALE_BY_YEAR.validate_python(value)
    return _SCALE.validate_python(value)


YearlyScale = Annotated[float | dict[int, float], WrapValidator(_number_or_years)]
"""A multiplier for every year (a number) or per year (a table by year; years not listed: 1)."""


class StandardsConfig(StrictModel):
    """Standards files; blank = the Shanghai standards shipped with the package."""

    basic: Path | None = None
    featured: Path | None = None


class FundingConfig(StrictModel):
    sharing_option: str = Field(description="option name in the sharing table")
    carry_over: bool = Field(True, description="unspent money of a year stays available later")
    budget_scale: YearlyScale = Field(
        1.0, description="multiplier on every budget: a number for every year, or a table by "
        "year (``[funding.budget_scale]`` ``2026 = 0.9``; years not listed: 1)")
    source_scale: dict[str, YearlyScale] = Field(
        default_factory=dict,
        description="extra multiplier per source_id: a number for every year (a 20 % shortfall: "
        "0.8), or a table by year (``[funding.source_scale.city_fiscal]`` ``2026 = 0.8``; "
        "years not listed: 1)",
    )
    cost_scale: dict[str, YearlyScale] = Field(
        default_factory=dict,
        description="multiplier on costs per cost category (e.g. overruns): a number for every "
        "year, or a table by year applied to the money paid in that year — capital instalments "
        "and running costs (``[funding.cost_scale.service_facilities]`` ``2030 = 1.1``; years "
        "not listed: 1)",
    )
    district_budget_scale: dict[str, YearlyScale] = Field(
        default_factory=dict,
        description="extra multiplier on the budgets of a district's own sources (its district "
        "fiscal money, ...), by district (浦东 or 浦东新区): a number for every year or a table "
        "by year (``[funding.district_budget_scale.浦东]`` ``2027 = 0.9``; years not listed: 1)",
    )
    district_cost_scale: dict[str, NonNegative] = Field(
        default_factory=dict,
        description="extra multiplier on every cost of a district's communities, by district "
        "(e.g. 崇明 = 1.15 for island haulage), on top of ``cost_scale``",
    )

    def source_factor(self, source_id: str, year: int) -> float:
        """The multiplier ``source_scale`` puts on ``source_id``'s budget of ``year`` (1 if
        none; ``budget_scale`` not included)."""
        return _factor(self.source_scale.get(source_id, 1.0), year)

    def cost_factor(self, category: str, year: int) -> float:
        """The multiplier ``cost_scale`` puts on ``category``'s money paid in ``year``."""
        return _factor(self.cost_scale.get(category, 1.0), year)

    def budget_factor(self, year: int) -> float:
        """The multiplier ``budget_scale`` puts on every budget of ``year``."""
        return _factor(self.budget_scale, year)

    def district_factor(self, district: str, year: int) -> float:
        """The multiplier ``district_budget_scale`` puts on the budgets of ``district``'s own
        sources in ``year`` (``district`` spelled as in the scenario)."""
        return _factor(self.district_budget_scale.get(district, 1.0), year)

    def source_scale_until(self, last_year: int) -> dict[str, float | dict[int, float]]:
        """``source_scale`` for a horizon ending in ``last_year`` (later years of the tables
        left out), e.g. for the stages of a rolling-horizon start."""
        return _until(self.source_scale, last_year)

    def district_budget_scale_until(self, last_year: int) -> dict[str, float | dict[int, float]]:
        """``district_budget_scale`` for a horizon ending in ``last_year``."""
        return _until(self.district_budget_scale, last_year)

    def cost_scale_until(self, last_year: int) -> dict[str, float | dict[int, float]]:
        """``cost_scale`` for a horizon ending in ``last_year``."""
        return _until(self.cost_scale, last_year)

    def budget_scale_until(self, last_year: int) -> float | dict[int, float]:
        """``budget_scale`` for a horizon ending in ``last_year``."""
        return _until({"": self.budget_scale}, last_year)[""]


def _factor(scale: float | dict[int, float], year: int) -> float:
    """A multiplier's value in ``year``: the number, or the table's entry (1 if not listed)."""
    return scale.get(year, 1.0) if isinstance(scale, dict) else scale


def _until(scales: dict[str, float | dict[int, float]], last_year: int
           ) -> dict[str, float | dict[int, float]]:
    """Year tables of ``scales`` cut after ``last_year`` (numbers kept)."""
    return {key: {y: f for y, f in scale.items() if y <= last_year} if isinstance(scale, dict) else scale
            for key, scale in scales.items()}


class AreaConfig(StrictModel):
    """The part of the city a plan covers: the communities of ``districts`` and of ``streets``
    (blank, the default: the whole city).

    Districts are named as the data names them (``浦东``) or in full (``浦东新区``);
    streets by their code. Sources without a district (city fiscal, utilities, owners, social
    capital, ...) give the area ``city_share`` of each of their budgets — by default the area's
    share of the data's communities, an assumption to replace with an agreed figure. The
    district pots of the districts with a community in the area stay whole; the others drop
    out. Targets count the area's communities only.
    """

    districts: tuple[str, ...] = Field((), description="district names, as in the data (浦东) or "
                                       "in full (浦东新区)")
    streets: tuple[str, ...] = Field((), description="street codes (9 digits)")
    city_share: float | None = Field(
        None, ge=0, le=1,
        description="share of every city-wide budget the area may use (blank: the area's "
        "share of the communities) [assumed]",
    )

    @field_validator("streets", mode="before")
    @classmethod
    def _codes_as_text(cls, value: Any) -> Any:
        """Street codes written as numbers (``310115001``) are read as text."""
        if isinstance(value, list | tuple):
            return tuple(str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value)
        return value

    @model_validator(mode="after")
    def _share_of_an_area(self) -> AreaConfig:
        if self.city_share is not None and self.whole_city:
            raise ValueError("city_share applies to an area: name its districts or streets")
        return self

    @property
    def whole_city(self) -> bool:
        """No restriction: every community of the data."""
        return not (self.districts or self.streets)


class ObjectiveConfig(StrictModel):
    """``coverage_years``: maximise Σ weight × years complete (featured years count
    ``featured_weight`` more); ``min_public_money``: least public money meeting the targets."""

    kind: Literal["coverage_years", "min_public_money"] = "coverage_years"
    weight: Literal["communities", "households", "elderly", "need"] = "households"
    featured_weight: float = Field(0.5, ge=0)


class CompareConfig(StrictModel):
    """How a plan is compared with the rule of thumb (see docs/planner.md, "Against the rule of
    thumb")."""

    equal_money: bool = Field(
        True,
        description="also compare at equal money: the rule of thumb given the plan's money, why "
        "the rule leaves money unspent, and the plan re-made with each source's money of each "
        "year capped at what the rule spends (a second optimisation: see time_share)",
    )
    closing_money: bool = Field(
        True,
        description="when the plan misses a soft target, also find the least extra money (by "
        "source and year) that would meet every target (a second optimisation within what is "
        "left of the time limit; plan.diagnosis and closing_money.csv)",
    )
    time_share: float = Field(
        0.5,
        gt=0,
        description="the re-plan at the rule's money may take this share of the time the plan "
        "took (at least 5 s, within the time limit; a node limit alone bounds it when one is "
        "set): on the city "
        "it needs about as long as the plan to prove its gap, and within less it reports the best "
        "plan found, or the rule's own, with the solver's bound",
    )


class ListsConfig(StrictModel):
    must_do: dict[str, int] = Field(
        default_factory=dict, description="community_id → year by which it must be basic"
    )
    must_not: tuple[str, ...] = ()
    earliest_year: dict[str, int] = Field(
        default_factory=dict, description="community_id → first year it may upgrade"
    )


class SolverConfig(StrictModel):
    name: str = Field(DEFAULT_SOLVER, description="a registered solver (wzmodel.solver.solver_names())")
    time_limit: float | None = Field(60.0, gt=0)
    gap: float = Field(0.005, ge=0)
    threads: int | None = Field(None, ge=1, description="solver threads (blank: the solver's "
                                "default)")
    node_limit: int | None = Field(None, gt=0, description="deterministic search limit (HiGHS)")
    seed: int = 0
    warm_start: bool = True
    strategy: Literal["auto", "full", "price_and_branch"] = Field(
        "auto",
        description="full: branch and bound on the whole model from a rolling-horizon start; "
        "price_and_branch: the LP relaxation by pricing columns in (its value is the bound), then "
        "branch and bound on its fractional support (HiGHS only); auto: price_and_branch above "
        "10,000 upgrade binaries with HiGHS, full otherwise",
    )

    @field_validator("name")
    @classmethod
    def _registered(cls, name: str) -> str:
        return check_solver(name)

    def options(self) -> SolverOptions:
        return SolverOptions(
            solver=self.name,
            time_limit=self.time_limit,
            gap=self.gap,
            threads=self.threads,
            node_limit=self.node_limit,
            seed=self.seed,
            warm_start=self.warm_start,
        )


class Scenario(StrictModel):
    """One run's full specification."""

    name: str
    description: str = ""
    data: Path = Field(description="data folder or data workbook (.xlsx), relative to the "
                       "scenario file")
    first_year: int = 2026
    last_year: int = 2035
    coverage_measure: Literal["communities", "households", "grids"] = Field(
        "communities", description="what coverage targets count: communities (committees), "
        "their households, or comprehensive grids (a grid counts when all its committees in the "
        "target's zones are complete; needs a grids table)")
    standards: StandardsConfig = StandardsConfig()
    funding: FundingConfig
    targets: dict[str, Target] = Field(default_factory=dict)
    objective: ObjectiveConfig = ObjectiveConfig()
    lists: ListsConfig = ListsConfig()
    solver: SolverConfig = SolverConfig()
    compare: CompareConfig = CompareConfig()
    siting: SitingConfig = SitingConfig()
    area: AreaConfig = Field(
        AreaConfig(), description="districts or streets the plan covers (blank: the whole city)"
    )
    uncertainty: Uncertainty = Field(
        default_factory=Uncertainty, description="declarations for sweeps (wzmodel.sweep)"
    )
    delivery: DeliveryConfig = Field(
        DeliveryConfig(), description="delivery capacity, lead times and phased capital "
        "(blank: no limit, complete and paid in the start year)"
    )
    source_file: Path | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _years(self) -> Scenario:
        if self.last_year < self.first_year:
            raise ValueError("last_year is before first_year")
        for name, t in self.targets.items():
            if not self.first_year <= t.year <= self.last_year:
                raise ValueError(
                    f"target {name}: year {t.year} outside {self.first_year}–{self.last_year}"
                )
        outside = [
            {"type": "value_error", "loc": ("funding", key, name, str(year)), "input": year,
             "ctx": {"error": ValueError(f"a year of the scenario ({self.first_year}–{self.last_year})")}}
            for key in ("source_scale", "district_budget_scale", "cost_scale")
            for name, scale in getattr(self.funding, key).items() if isinstance(scale, dict)
            for year in scale if not self.first_year <= year <= self.last_year
        ] + [
            {"type": "value_error", "loc": ("funding", "budget_scale", str(year)), "input": year,
             "ctx": {"error": ValueError(f"a year of the scenario ({self.first_year}–{self.last_year})")}}
            for year in (self.funding.budget_scale if isinstance(self.funding.budget_scale, dict) else ())
            if not self.first_year <= year <= self.last_year
        ]
        if outside:
            raise ValidationError.from_exception_data("Scenario", outside)
        return self

    @model_serializer(mode="wrap")
    def _whole_city_unwritten(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        """A scenario without an area, delivery limits or comparison settings dumps as it did
        before they existed (same digest)."""
        data = handler(self)
        if self.area.whole_city and isinstance(data, dict):
            data.pop("area", None)
        if self.compare == CompareConfig() and isinstance(data, dict):
            data.pop("compare", None)
        if self.delivery.is_default and isinstance(data, dict):
            data.pop("delivery", None)
        return data

    @field_serializer("uncertainty")
    def _uncertainty_as_written(self, uncertainty: Uncertainty) -> dict[str, Any]:
        return uncertainty.as_table()

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))

    def update(self, **overrides: Any) -> Scenario:
        """A validated copy with ``overrides`` deep-merged in (nested dicts merge key by key)."""
        raw = self.model_dump(mode="json", exclude={"source_file"})
        merged = _deep_merge(raw, overrides)
        try:
            return Scenario.model_validate({**merged, "source_file": self.source_file})
        except ValidationError as exc:
            raise InputError(validation_problems(exc, "scenario update")) from None

    def digest(self) -> str:
        """Stable hash of the scenario's content (for result metadata). Paths count by their
        last part only, so that two checkouts of a project give the same digest."""
        content = self.model_dump(mode="json", exclude={"source_file"})
        content["data"] = Path(content["data"]).name
        for key, path in content["standards"].items():
            content["standards"][key] = path and Path(path).name
        text = json.dumps(content, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _deep_merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _read_raw(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """The file's keys merged over those of the file it extends, paths made absolute."""
    path = path.resolve()
    if path in seen:
        raise InputError([Problem(str(path), "no cycle of 'extends'")])
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(
            [Problem(str(path), f"a readable scenario file ({exc.strerror})")]
        ) from None
    except UnicodeDecodeError as exc:
        raise InputError([Problem(str(path), f"a UTF-8 text file (byte {exc.start} is not UTF-8: "
                                  "save the file as UTF-8)")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError([Problem(str(path), f"valid TOML ({exc})")]) from None
    for key in ("data",):
        if key in raw:
            raw[key] = str((path.parent / raw[key]).resolve())
    for key in ("basic", "featured"):
        if raw.get("standards", {}).get(key):
            raw["standards"][key] = str((path.parent / raw["standards"][key]).resolve())
    parent = raw.pop("extends", None)
    if parent:
        if not (path.parent / parent).is_file():
            raise InputError([Problem(str(path), "a scenario file to extend (relative to this "
                                      "file)", None, "extends", parent)])
        raw = _deep_merge(_read_raw(path.parent / parent, (*seen, path)), raw)
    return raw


def load_scenario(path: str | Path, **overrides: Any) -> Scenario:
    """Read a scenario file (following ``extends``), apply ``overrides``, validate strictly.

    Raises :class:`~wzmodel.schema.InputError` naming every invalid or unknown key.
    """
    path = Path(path)
    raw = _deep_merge(_read_raw(path), overrides)
    try:
        return Scenario.model_validate({**raw, "source_file": path.resolve()})
    except ValidationError as exc:
        raise InputError(validation_problems(exc, str(path))) from None
