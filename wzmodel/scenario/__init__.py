"""The scenario layer: every section of a scenario file declared once, as strict pydantic models.

=====================  ==========================================================================
:mod:`.base`           :class:`StrictModel`, the base of every section, and
                       :func:`validation_problems` (pydantic errors → :class:`~wzmodel.schema.Problem`)
:mod:`.scenario`       :class:`Scenario` and its sections (standards, funding, area, targets, objective,
                       lists, solver); :func:`load_scenario`
:mod:`.siting`         :class:`SitingConfig` (``[siting]``)
:mod:`.delivery`       :class:`DeliveryConfig` (``[delivery]``: capacity, lead times, phased capital)
:mod:`.uncertainty`    :class:`Parameter`, :class:`Lever`, :class:`Uncertainty` (``[uncertainty]``)
=====================  ==========================================================================

Nothing here builds or solves a model: the capability modules (planner, siting, sweep) import
their configuration from this layer, never the other way round.
"""

from __future__ import annotations

from wzmodel.scenario.delivery import DeliveryConfig, LeadTime
from wzmodel.scenario.scenario import (
    AreaConfig,
    CompareConfig,
    FundingConfig,
    ListsConfig,
    ObjectiveConfig,
    Scenario,
    SolverConfig,
    StandardsConfig,
    Target,
    load_scenario,
)
from wzmodel.scenario.siting import DEFAULT_RADIUS_M, SitingConfig
from wzmodel.scenario.uncertainty import Lever, LeverValue, Method, Parameter, Uncertainty
from wzmodel.strict import StrictModel, validation_problems

__all__ = [
    "DEFAULT_RADIUS_M",
    "AreaConfig",
    "CompareConfig",
    "DeliveryConfig",
    "FundingConfig",
    "LeadTime",
    "Lever",
    "LeverValue",
    "ListsConfig",
    "Method",
    "ObjectiveConfig",
    "Parameter",
    "Scenario",
    "SitingConfig",
    "SolverConfig",
    "StandardsConfig",
    "StrictModel",
    "Target",
    "Uncertainty",
    "load_scenario",
    "validation_problems",
]
