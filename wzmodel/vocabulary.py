"""The programme's vocabulary, declared once: zones, classes, cost categories, money unit,
headline years and Shanghai's district names with their romanisation.

Zones and cost categories are read from the input contract (``schema/tables.toml``), so the
data, the scenario files and the model can never disagree about them.
"""

from __future__ import annotations

from typing import Literal

from wzmodel.schema import table_specs

__all__ = ["CLASSES", "COST_CATEGORIES", "DISTRICT_PINYIN", "FUNDER_LABELS", "HEADLINE_YEARS", "MONEY_UNIT",
           "ROLES", "ZONES", "Zone", "romanise"]

ZONES: tuple[str, ...] = tuple(table_specs()["streets"].column("zone").allowed or ())
"""Planning zones, in the order of the input contract."""

Zone = Literal["main_urban", "new_town", "new_market_town", "rural"]
"""A zone, as a type for scenario files (kept equal to :data:`ZONES`; a test checks it)."""

CLASSES: tuple[str, ...] = ("basic", "featured")
"""Classes of complete community, lower first: a featured community is also basic."""

COST_CATEGORIES: tuple[str, ...] = tuple(
    table_specs()["sharing"].column("cost_category").allowed or ())
"""Cost categories of the standards and the sharing rules."""

ROLES: tuple[str, ...] = tuple(table_specs()["sources"].column("role").allowed or ())
"""Funder roles, in the order of the input contract (a source's role; sharing rules name roles)."""

FUNDER_LABELS: dict[str, str] = {
    "city_fiscal": "city fiscal",
    "district_fiscal": "district fiscal (all districts)",
    "utility_gas": "gas utility",
    "utility_water": "water utility",
    "utility_drainage": "drainage utility",
    "utility_power": "power utility",
    "utility_telecom": "telecom utilities",
    "property_rights": "property-rights holders",
    "owners": "owners & maintenance funds",
    "social_capital": "social capital",
    "community": "community funds",
}
"""Readable names of funder roles, used to group sources in tables and figures."""

MONEY_UNIT = 1e4
"""Yuan per money unit inside the optimisation models (万元): keeps coefficients well scaled."""

HEADLINE_YEARS: tuple[int, ...] = (2027, 2030, 2035)
"""The notice's milestone years, reported in every summary."""

DISTRICT_PINYIN: dict[str, str] = {
    "黄浦": "Huangpu", "徐汇": "Xuhui", "长宁": "Changning", "静安": "Jing'an", "普陀": "Putuo",
    "虹口": "Hongkou", "杨浦": "Yangpu", "闵行": "Minhang", "宝山": "Baoshan", "嘉定": "Jiading",
    "浦东": "Pudong", "金山": "Jinshan", "松江": "Songjiang", "青浦": "Qingpu",
    "奉贤": "Fengxian", "崇明": "Chongming",
}
"""Shanghai's 16 districts (the data's short names) in pinyin, as in the source ids."""


def romanise(name: str) -> str:
    """Pinyin of a district's name (``黄浦`` → ``Huangpu``); other names unchanged."""
    return DISTRICT_PINYIN.get(name, name)
