"""``[delivery]``: how fast the programme can deliver — capacity, lead times, phased capital.

* ``capacity`` — community projects each district may *start* per year, by class
  (``[delivery.capacity.default]`` for every district, ``[delivery.capacity.districts.NAME]``
  for one, a class it leaves out taking the default's; a class left out of both is not
  limited), and optionally per street (``[delivery.capacity.streets."STREET_CODE"]``, a limit
  of its own on top of its district's); ``city_starts`` — projects of either class the
  whole plan may start per year.
* ``lead_time`` — per class, the years from start to completion (``years``) and the share of the
  capital paid in each year from the start to the completion (``capital_shares``, one share per
  year, ``years + 1`` of them, summing to 1), and optionally per cost category
  (``[delivery.lead_time.basic.categories]``, e.g. ``gas = [0.2, 0.8]``: that category's capital
  paid on its own schedule within the class's years — works that finish early are paid early;
  the class's ``years`` stay the longest works, which set completion). A community counts as
  complete from the end of its completion year; its running costs start the year after.

The default (no capacity, no lead time, the whole capital in the start year) is the planner as
it was: a scenario without ``[delivery]`` plans, and writes, exactly as before.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from wzmodel.strict import StrictModel
from wzmodel.vocabulary import CLASSES, COST_CATEGORIES

__all__ = ["ClassCaps", "DeliveryConfig", "LeadTime"]

SHARE_TOL = 1e-9


class ClassCaps(StrictModel):
    """Projects that may start per year, by class (blank: no limit)."""

    basic: int | None = Field(None, ge=0, description="basic projects started per year")
    featured: int | None = Field(None, ge=0, description="featured projects started per year")

    def of(self, klass: str) -> int | None:
        return getattr(self, klass)


class LeadTime(StrictModel):
    """Years from start to completion, and the capital paid in each of those years."""

    years: int = Field(0, ge=0, description="years from start to completion (0: the same year)")
    capital_shares: tuple[float, ...] = Field(
        (1.0,), description="share of the capital paid in each year from start to completion "
        "(years + 1 shares summing to 1)")
    categories: dict[str, tuple[float, ...]] = Field(
        default_factory=dict, description="per cost category, its own capital shares where "
        "they differ from the class's (years + 1 shares summing to 1)")

    @model_validator(mode="after")
    def _shares(self) -> LeadTime:
        for name, shares in [("capital_shares", self.capital_shares),
                             *((f"categories.{k}", v) for k, v in sorted(self.categories.items()))]:
            if len(shares) != self.years + 1:
                raise ValueError(f"{name} needs years + 1 = {self.years + 1} shares (one per "
                                 f"year from start to completion), not {len(shares)}")
            if any(s < 0 for s in shares):
                raise ValueError(f"{name} must not be negative")
            if abs(sum(shares) - 1.0) > SHARE_TOL:
                raise ValueError(f"{name} must sum to 1, not {sum(shares):g}")
        unknown = sorted(set(self.categories) - set(COST_CATEGORIES))
        if unknown:
            raise ValueError(f"categories are cost categories ({', '.join(COST_CATEGORIES)}), "
                             f"not {unknown}")
        return self

    def shares_of(self, category: str) -> tuple[float, ...]:
        """The capital shares of ``category`` (its own, or the class's)."""
        return self.categories.get(category, self.capital_shares)


_NO_LEAD = LeadTime()  # built once: the model asks for lead times hundreds of thousands of times


class Capacity(StrictModel):
    """Projects each district (and optionally each street) may start per year, by class."""

    default: ClassCaps = Field(ClassCaps(), description="every district not listed")
    districts: dict[str, ClassCaps] = Field(
        default_factory=dict, description="per district (named as in the data)")
    streets: dict[str, ClassCaps] = Field(
        default_factory=dict, description="per street, by street_code: a limit of its own, on "
        "top of its district's (a class left out is not limited by the street)")

    def of(self, district: str, klass: str) -> int | None:
        """The cap of ``district`` and ``klass`` (None: not limited); a class a district's
        table leaves out takes the default's."""
        own = self.districts.get(district)
        value = own.of(klass) if own is not None else None
        return value if value is not None else self.default.of(klass)

    def of_street(self, street_code: str, klass: str) -> int | None:
        """The street's own cap of ``klass`` (None: only its district's applies)."""
        own = self.streets.get(street_code)
        return own.of(klass) if own is not None else None


class DeliveryConfig(StrictModel):
    """Delivery capacity and lead times (see the module docstring)."""

    capacity: Capacity = Field(Capacity(), description="starts per district and year, by class")
    city_starts: int | None = Field(
        None, ge=0, description="projects of either class started per year in the whole plan")
    lead_time: dict[str, LeadTime] = Field(
        default_factory=dict, description="per class (basic, featured); blank: 0 years, all "
        "capital in the start year")
    source: str = Field("", description="where the figures come from, or why they are assumed")

    @model_validator(mode="after")
    def _classes(self) -> DeliveryConfig:
        unknown = sorted(set(self.lead_time) - set(CLASSES))
        if unknown:
            raise ValueError(f"lead_time is given per class ({', '.join(CLASSES)}), not {unknown}")
        return self

    @property
    def is_default(self) -> bool:
        return self == DeliveryConfig()

    def lead(self, klass: str) -> LeadTime:
        return self.lead_time.get(klass, _NO_LEAD)
