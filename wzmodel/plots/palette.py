"""One colour per zone, funder role and district, the same in every figure, keyed by id.

Colours are fixed here rather than taken in drawing order from a colour cycle, so a funder keeps
its colour whether or not the others appear in a figure. An id not listed (a user's own zone
group or district) gets a colour from its name's CRC-32, stable across runs and machines.
"""

from __future__ import annotations

import zlib

from matplotlib import colormaps
from matplotlib.colors import to_hex

from wzmodel.vocabulary import DISTRICT_PINYIN

__all__ = ["CLASS_COLOURS", "DISTRICT_COLOURS", "FUNDER_COLOURS", "MET", "MISSED", "ZONE_COLOURS", "colour",
           "funder_colour", "zone_colour"]

ZONE_COLOURS: dict[str, str] = {
    "main_urban": "#1f77b4", "new_town": "#2ca02c", "new_market_town": "#ff7f0e",
    "rural": "#8c564b", "main_urban+new_town": "#17becf", "all": "#333333",
}
"""Zones and the zone groups of :data:`wzmodel.planner.evaluate.ZONE_GROUPS`."""

FUNDER_COLOURS: dict[str, str] = {
    "city_fiscal": "#1f4e9c", "district_fiscal": "#6baed6", "utility_gas": "#e6550d",
    "utility_water": "#31a354", "utility_drainage": "#756bb1", "utility_power": "#bcbd22",
    "utility_telecom": "#393b79", "property_rights": "#7f7f7f", "owners": "#d6a500",
    "social_capital": "#e377c2", "community": "#8c6d31",
}
"""Funder roles (``sources.role``)."""

DISTRICT_COLOURS: dict[str, str] = {
    d: to_hex(colormaps["tab20"](i)) for i, d in enumerate(DISTRICT_PINYIN)}
"""Shanghai's 16 districts (short names), in the vocabulary's order."""

CLASS_COLOURS: dict[str, str] = {"basic": "#4c72b0", "featured": "#dd8452"}
"""The two classes of complete community."""

MET, MISSED = "#1a9850", "#d73027"
"""A target met or missed."""


def colour(key: str, table: dict[str, str]) -> str:
    """``table[key]``, else a stable colour from ``key``'s CRC-32 (tab20)."""
    if key in table:
        return table[key]
    return to_hex(colormaps["tab20"](zlib.crc32(key.encode("utf-8")) % 20))


def zone_colour(zone_or_group: str) -> str:
    return colour(zone_or_group, ZONE_COLOURS)


def funder_colour(role: str) -> str:
    return colour(role, FUNDER_COLOURS)
