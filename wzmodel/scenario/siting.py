"""The ``[siting]`` section: settings of the service-complex siting (:mod:`wzmodel.siting`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from wzmodel.strict import StrictModel
from wzmodel.vocabulary import Zone

__all__ = ["DEFAULT_RADIUS_M", "SitingConfig"]

#: Walking radius (network metres) by zone, DOMAIN.md §3 — main urban: upper end of the
#: 800–1,000 m 15-minute circle; new towns: within 800–1,500 m; new market towns: low end of
#: 1,000–5,000 m (beyond 2 km nobody walks); rural: assumed, villages are dispersed.
DEFAULT_RADIUS_M: dict[str, float] = {"main_urban": 1000.0, "new_town": 1200.0,
                                      "new_market_town": 2000.0, "rural": 3000.0}


class SitingConfig(StrictModel):
    """Siting settings (strict and immutable; every value with its unit).

    Attributes
    ----------
    radius_m : walking radius by zone, network metres (DOMAIN.md §3; rural is assumed).
    detour_factor : network distance / straight-line distance [assumed 1.3].
    criterion : the standards criterion whose gap the complexes close (its threshold — 0.30 m²
        per household — and its on-site cost come from the standards file).
    objective : ``min_cost`` or ``max_households`` (see the module docstring).
    unmet_penalty_yuan_per_m2 : price of one m² of gap left unmet (``min_cost``). None (the
        default): the criterion's on-site cost — what building that m² in the community costs
        (capital plus running cost from its due year to the last year, from the standards
        file) — so a complex opens only where it is cheaper than building on site, as
        :func:`wzmodel.joint.joint_vs_separate` prices it. A number prices every m² alike, e.g.
        a high one [assumed] when the floor cannot be built on site and coverage comes first.
    walk_cost_yuan_per_m2_km : tie-breaking cost per m² allocated per km walked [assumed].
    first_year, last_year : the years in which sites may open.
    due_year_by_zone : year by which a zone's communities must be served (default: last year).
    max_new_sites : at most this many new sites (p); None = no limit.
    use_facilities : count the spare floor of existing complexes.
    activity_share : share of allocated complex floor that counts as resident-activity floor
        (``basic.resident_activity_floor``) in joint planning [assumed: the policy's 60 %].
    """

    radius_m: dict[Zone, float] = Field(default_factory=lambda: dict(DEFAULT_RADIUS_M))
    detour_factor: float = Field(1.3, ge=1.0)
    criterion: str = "basic.service_floor"
    objective: Literal["min_cost", "max_households"] = "min_cost"
    unmet_penalty_yuan_per_m2: float | None = Field(None, ge=0)
    walk_cost_yuan_per_m2_km: float = Field(1.0, ge=0)
    first_year: int = 2026
    last_year: int = 2035
    due_year_by_zone: dict[Zone, int] = Field(default_factory=dict)
    max_new_sites: int | None = None
    use_facilities: bool = True
    activity_share: float = Field(0.6, ge=0, le=1)

    def radius(self, zone: str) -> float:
        return float(self.radius_m.get(zone, DEFAULT_RADIUS_M[zone]))  # type: ignore[call-overload]
