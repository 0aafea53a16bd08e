"""A plan for part of the city: the communities of a scenario's ``[area]`` and the money it has.

:func:`select_area` resolves a scenario's :class:`~wzmodel.scenario.AreaConfig` against the
data: the communities of its districts and streets, the districts they lie in, and the share of
every city-wide budget the area may use. :func:`prepare <wzmodel.planner.problem.prepare>`
plans those communities only; the budgets of an area are

* a **city-wide source** (no district in ``sources``: city fiscal, utilities, owners, social
  capital, community): ``city_share`` × its budget — the stated share, or by default the area's
  share of the data's communities (an assumption: a district's claim on city money in
  proportion to its committees);
* a **district pot** of a district with a community in the area: whole;
* a district pot of any other district: left out.

Names are checked against the data: a district's full name (``浦东新区``, ``黄浦区``) is taken
as the data's short one (``浦东``, ``黄浦``); an unknown district is reported with the spelling the
data uses when the name is a romanisation (``Pudong``) or otherwise close.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from wzmodel.data import Dataset
from wzmodel.scenario import AreaConfig
from wzmodel.schema import Problem
from wzmodel.vocabulary import DISTRICT_PINYIN

__all__ = ["Area", "city_wide", "describe_area", "select_area"]


@dataclass(frozen=True)
class Area:
    """The communities a scenario's area keeps, and the money it has.

    Attributes
    ----------
    keep : bool mask over the data's communities (in the data's order).
    districts : districts with a community in the area, sorted.
    city_share : share of every city-wide source's budget the area may use (0–1).
    share_basis : ``stated`` (``area.city_share``) or ``communities`` (the area's share of the
        data's communities).
    """

    keep: np.ndarray
    districts: tuple[str, ...]
    city_share: float
    share_basis: Literal["stated", "communities"]

    @property
    def communities(self) -> int:
        return int(self.keep.sum())

    def sources(self, sources: pd.DataFrame) -> pd.DataFrame:
        """``sources`` without the district pots of districts outside the area."""
        district = sources["district"].fillna("")
        return sources[(district == "") | district.isin(self.districts)].reset_index(drop=True)

    def budget_factor(self, sources: pd.DataFrame) -> np.ndarray:
        """Per source, the multiplier the area puts on its budgets (``city_share`` for a
        city-wide source, 1 for a district pot)."""
        return np.where(city_wide(sources), self.city_share, 1.0)

    def to_dict(self) -> dict[str, object]:
        """What a plan records of its area (``plan.json``'s ``meta.area``)."""
        return {
            "districts": list(self.districts),
            "communities": self.communities,
            "city_share": self.city_share,
            "city_share_basis": self.share_basis,
        }


def city_wide(sources: pd.DataFrame) -> np.ndarray:
    """Mask of the sources that serve the whole city (no district)."""
    return sources["district"].fillna("").eq("").to_numpy()


def select_area(area: AreaConfig, dataset: Dataset, problems: list[Problem]) -> Area | None:
    """The area of ``area`` in ``dataset`` (None for the whole city); unknown names are added to
    ``problems`` (and the area then keeps every community, so that the other checks still run)."""
    if area.whole_city:
        return None
    communities = dataset.communities
    known_districts = dataset.districts
    found = len(problems)
    named = list(districts_as_in_data(area.districts, known_districts, "area.districts",
                                      problems).values())
    streets = dataset.streets
    for code in area.streets:
        if code not in set(streets["street_code"]):
            problems.append(Problem("scenario", _street_expected(code, streets), None,
                                    "area.streets", code))
    keep = (communities["district"].isin(named)
            | communities["street_code"].isin(area.streets)).to_numpy()
    if len(problems) == found and not keep.any():
        problems.append(Problem("scenario", "an area with at least one community", None, "area",
                                ", ".join((*area.districts, *area.streets))))
    if len(problems) > found:
        keep = np.ones(len(communities), dtype=bool)
    districts = tuple(sorted(communities.loc[keep, "district"].unique()))
    if area.city_share is not None:
        return Area(keep, districts, float(area.city_share), "stated")
    return Area(keep, districts, float(keep.sum() / len(communities)), "communities")


def districts_as_in_data(names, known: list[str], key: str, problems: list[Problem]
                         ) -> dict[str, str]:
    """Each of ``names`` (as the data spells it or in full) → the data's spelling; an unknown
    name is added to ``problems`` under scenario key ``key``, with the accepted spellings."""
    spelled = {}
    for name in names:
        spelling = _as_in_data(name, known)
        if spelling is None:
            problems.append(Problem("scenario", _district_expected(name, known), None, key, name))
        else:
            spelled[name] = spelling
    return spelled


def _as_in_data(name: str, known: list[str]) -> str | None:
    """The data's spelling of a district given as the data spells it or by its full name
    (``浦东新区`` → ``浦东``, ``黄浦区`` → ``黄浦``); None when it is neither."""
    if name in known:
        return name
    short = name.removesuffix("新区") if name.endswith("新区") else name.removesuffix("区")
    return short if short in known else None


def _district_expected(name: str, known: list[str]) -> str:
    """What an unknown district name should have been, with the likely intended spelling."""
    folded = "".join(ch for ch in name.casefold() if ch.isalnum())
    intended = [
        d for d in known
        if name.removesuffix("区").removesuffix("新") == d
        or folded.removesuffix("district").removesuffix("newarea") == DISTRICT_PINYIN.get(d, "").casefold()
        .replace("'", "")
    ]
    hint = f"'{intended[0]}' — " if intended else ""
    return (f"a district as the data names it: {hint}accepted: {', '.join(known)} "
            "(or their full names, e.g. 浦东新区, 黄浦区)")


def _street_expected(code: str, streets: pd.DataFrame) -> str:
    """What an unknown street code should have been (the code of a street so named, if any)."""
    named = streets.loc[streets["street_name"] == code, "street_code"]
    if not named.empty:
        return f"a street code, e.g. {named.iloc[0]} for {code}"
    examples = ", ".join(f"{c} {n}" for c, n in zip(streets["street_code"][:3], streets["street_name"][:3],
                                                    strict=True))
    return f"a street code of the data ({len(streets)} streets, e.g. {examples}; see streets.csv)"


def describe_area(area: dict) -> str:
    """One line on the area a plan covers (``meta.area`` of ``plan.json``)."""
    basis = ("as stated" if area["city_share_basis"] == "stated"
             else "its share of the city's communities, an assumption")
    return (f"Area: {', '.join(area['districts'])} — {area['communities']} communities; city-wide "
            f"budgets × {area['city_share']:.4f} ({basis}); other districts' pots left out")
