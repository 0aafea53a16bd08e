"""``[delivery]``: how fast the programme can deliver — capacity, lead times, phased capital.

* ``capacity`` — community projects each district may *start* per year, by class
  (``[delivery.capacity.default]`` for every district, ``[delivery.capacity.districts.NAME]``
  for one, a class it leaves out taking the default's; a class left out of both is not
  limited); ``city_starts`` — projects of either class the
  whole plan may start per year.
* ``lead_time`` — per class, the years from start to completion (``years``) and the share of the
  capital paid in each year from the start to the completion (``capital_shares``, one share per
  year, ``years + 1`` of them, summing to 1). A community counts as complete from the end of its
  completion year; its running costs start the year after.

The default (no capacity, no lead time, the whole capital in the start year) is the planner as
it was: a scenario without ``[delivery]`` plans, and writes, exactly as before.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from wzmodel.strict import StrictModel
from wzmodel.vocabulary import CLASSES

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

    @model_validator(mode="after")
    def _shares(self) -> LeadTime:
        if len(self.capital_shares) != self.years + 1:
            raise ValueError(f"capital_shares needs years + 1 = {self.years + 1} shares (one per "
                             f"year from start to completion), not {len(self.capital_shares)}")
        if any(s < 0 for s in self.capital_shares):
            raise ValueError("capital_shares must not be negative")
        if abs(sum(self.capital_shares) - 1.0) > SHARE_TOL:
            raise ValueError(f"capital_shares must sum to 1, not {sum(self.capital_shares):g}")
        return self


_NO_LEAD = LeadTime()  # built once: the model asks for lead times hundreds of thousands of times


class Capacity(StrictModel):
    """Projects each district may start per year, by class."""

    default: ClassCaps = Field(ClassCaps(), description="every district not listed")
    districts: dict[str, ClassCaps] = Field(
        default_factory=dict, description="per district (named as in the data)")

    def of(self, district: str, klass: str) -> int | None:
        """The cap of ``district`` and ``klass`` (None: not limited); a class a district's
        table leaves out takes the default's."""
        own = self.districts.get(district)
        value = own.of(klass) if own is not None else None
        return value if value is not None else self.default.of(klass)


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
