"""Readable names for the ids in results: zones, funders, sources, sharing options, targets,
districts — one function each, used by every figure and the briefing page."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from wzmodel.targets import KINDS
from wzmodel.vocabulary import DISTRICT_PINYIN, FUNDER_LABELS, ROLES, ZONES

__all__ = ["OPTION_LABELS", "SOFT_NOTE", "ZONE_LABELS", "district_label", "funder_label",
           "option_label", "role_of", "source_label", "target_label", "zone_label"]

ZONE_LABELS: dict[str, str] = {
    "main_urban": "main urban area", "new_town": "five new towns",
    "new_market_town": "new market towns", "rural": "rural",
    "main_urban+new_town": "main urban area + new towns", "all": "whole area",
}
"""Readable names of zones and zone groups (:data:`wzmodel.planner.evaluate.ZONE_GROUPS`)."""

OPTION_LABELS: dict[str, str] = {
    "fiscal_led": "fiscal-led",
    "utilities_owners": "utilities & owners pay their share",
    "social_capital_leveraged": "social capital leveraged",
}
"""The bundled sharing options (docs/sharing_options.md); others are shown by their id."""

SOFT_NOTE = "soft: may be missed, at a priced shortfall in the objective"
"""What a soft target is, said wherever one is labelled."""


def zone_label(zone_or_group: str) -> str:
    return ZONE_LABELS.get(zone_or_group, zone_or_group)


def funder_label(role: str) -> str:
    return FUNDER_LABELS.get(role, role)


def option_label(option: str) -> str:
    return OPTION_LABELS.get(option, option.replace("_", " "))


def district_label(district: str) -> str:
    """Chinese name with its pinyin: ``浦东`` → ``浦东 Pudong``."""
    pinyin = DISTRICT_PINYIN.get(district)
    return f"{district} {pinyin}" if pinyin else district


def role_of(source_id: str, sources: pd.DataFrame | None = None) -> str:
    """A source's funder role: from the sources table when given, else from the id's prefix
    (the bundled ids start with their role: ``district_fiscal_pudong``)."""
    if sources is not None:
        match = sources.loc[sources["source_id"] == source_id, "role"]
        if len(match):
            return str(match.iloc[0])
    for role in sorted(ROLES, key=len, reverse=True):  # longest first: utility_gas before utility
        if source_id.startswith(role):
            return role
    return source_id


def source_label(source_id: str, sources: pd.DataFrame | None = None) -> str:
    """A source's own name from the sources table (``市级财政 (city fiscal)``), else its id."""
    if sources is not None:
        match = sources.loc[sources["source_id"] == source_id, "name"]
        if len(match) and isinstance(match.iloc[0], str) and match.iloc[0]:
            return match.iloc[0]
    return source_id


def target_label(target: Mapping | object, *, with_level: bool = True) -> str:
    """A row of a plan's targets table in words: ``coverage of main urban area + new towns by
    2027 (≥ 60 %)``; a soft target says so (see :data:`SOFT_NOTE`)."""
    get = target.get if isinstance(target, Mapping) else lambda k: getattr(target, k)
    kind = KINDS[get("kind")]
    zones = get("zones")
    zones = [z.strip() for z in zones.split(",")] if isinstance(zones, str) else list(zones)
    where = "" if set(zones) >= set(ZONES) else " of " + zone_label("+".join(zones))
    text = f"{kind.label}{where} by {get('year')}"
    if with_level:
        level = get("required_level")
        text += f" (≥ {level:.0%})" if kind.share else f" (≥ {level:,.0f})"
    return text if bool(get("hard")) else f"{text} — soft"
