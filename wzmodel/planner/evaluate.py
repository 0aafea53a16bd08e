"""What a schedule implies, computed from the schedule and the data alone — never from a model.

Plans report these figures and ``wzmodel check`` recomputes them the same way, so a reported
coverage, target status or cost is always what the schedule really gives.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wzmodel.planner.problem import MAIN_GROUP, PlanningProblem
from wzmodel.targets import KINDS, complete_by
from wzmodel.vocabulary import CLASSES

__all__ = [
    "ZONE_GROUPS",
    "completion_years",
    "coverage_table",
    "coverage_years",
    "district_burden",
    "district_coverage_table",
    "district_year",
    "spending",
    "target_table",
]

ZONE_GROUPS: dict[str, tuple[str, ...]] = {
    "main_urban": ("main_urban",),
    "new_town": ("new_town",),
    "main_urban+new_town": MAIN_GROUP,
    "new_market_town": ("new_market_town",),
    "rural": ("rural",),
    "all": ("main_urban", "new_town", "new_market_town", "rural"),
}


def completion_years(p: PlanningProblem, schedule: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per class, the year each community is complete (first_year - 1 if already, 0 if never):
    the schedule's start year plus the class's lead time (``[delivery]``)."""
    index = {cid: i for i, cid in enumerate(p.communities["community_id"])}
    years = {}
    for k in CLASSES:
        y = np.where(p.already[k], p.years[0] - 1, 0)
        sub = schedule[schedule["class"] == k]
        for cid, year in zip(sub["community_id"], sub["year"], strict=True):
            y[index[cid]] = p.finish(k, int(year))
        years[k] = y
    return years


def coverage_table(p: PlanningProblem, years: dict[str, np.ndarray]) -> pd.DataFrame:
    """Coverage at every year's end per zone group, over communities and households."""
    masks = {group: p.zone_mask(zones) for group, zones in ZONE_GROUPS.items()}
    return _coverage(p, years, masks, "zone_group")


def district_coverage_table(p: PlanningProblem, years: dict[str, np.ndarray]) -> pd.DataFrame:
    """Coverage at every year's end per district (columns as :func:`coverage_table`'s, with
    ``district`` for ``zone_group``)."""
    district = p.communities["district"]
    masks = {name: (district == name).to_numpy() for name in sorted(district.unique())}
    return _coverage(p, years, masks, "district")


def _coverage(p: PlanningProblem, years: dict[str, np.ndarray], masks: dict[str, np.ndarray],
              by: str) -> pd.DataFrame:
    hh = p.communities["households"].to_numpy(dtype=float)
    rows = []
    for group, mask in masks.items():
        if not mask.any():
            continue
        for year in p.years:
            basic = complete_by(years["basic"], year) & mask
            featured = complete_by(years["featured"], year) & mask
            rows.append((year, group, int(mask.sum()), int(basic.sum()), int(featured.sum()),
                         basic.sum() / mask.sum(), hh[basic].sum() / hh[mask].sum()))
    return pd.DataFrame(rows, columns=["year", by, "communities", "complete", "featured",
                                       "coverage_communities", "coverage_households"])


def district_burden(p: PlanningProblem, funding: pd.DataFrame) -> pd.DataFrame:
    """What each district's own fiscal pot pays per year: district, year, yuan, residents,
    yuan_per_resident — every district of the plan and year, zeros included."""
    residents = p.communities.groupby("district")["residents"].sum()
    pots = p.sources[p.sources["role"] == "district_fiscal"]
    district_of = dict(zip(pots["source_id"], pots["district"], strict=True))
    paid = funding[funding["source_id"].isin(district_of)]
    paid = paid.assign(district=paid["source_id"].map(district_of)).groupby(
        ["district", "year"])["yuan"].sum()
    grid = pd.MultiIndex.from_product([sorted(residents.index), p.years],
                                      names=["district", "year"])
    burden = paid.reindex(grid, fill_value=0.0).rename("yuan").reset_index()
    burden["residents"] = burden["district"].map(residents).astype(int)
    burden["yuan_per_resident"] = burden["yuan"] / burden["residents"]
    return burden


def target_table(p: PlanningProblem, years: dict[str, np.ndarray]) -> pd.DataFrame:
    """Each target: what it asks, what the schedule achieves, met or not, and the shortfall (as
    its kind evaluates it)."""
    rows = []
    for name, t in sorted(p.scenario.targets.items()):
        e = KINDS[t.kind].evaluate(p, t, years)
        rows.append(
            (
                name,
                t.kind,
                t.year,
                ",".join(t.zones),
                t.hard,
                e.required_level,
                e.achieved_level,
                e.required,
                e.achieved,
                e.shortfall,
                e.unit,
                e.met,
            )
        )
    return pd.DataFrame(
        rows,
        columns=[
            "target",
            "kind",
            "year",
            "zones",
            "hard",
            "required_level",
            "achieved_level",
            "required",
            "achieved",
            "shortfall",
            "shortfall_unit",
            "met",
        ],
    )


def spending(p: PlanningProblem, years: dict[str, np.ndarray]) -> pd.DataFrame:
    """Money the schedule needs: capital phased over the years from start to completion (the
    class's capital shares, per category), running costs every year after completion, at the prices of the
    year paid, by year, district, zone and cost category (yuan)."""
    c = p.communities
    group = c["group"].to_numpy()
    n_groups, n_cat = len(p.groups), len(p.categories)
    rows = []
    for year in p.years:
        total = np.zeros((n_groups, n_cat))
        for k in CLASSES:
            y = years[k]
            start = y - p.lead(k)
            for n, share in enumerate(p.phasing(k)):  # share: one per category
                new = (y > 0) & (start + n == year) & ~p.already[k]
                np.add.at(total, group[new], p.capital[k][new] * share)
            earlier = (y > 0) & (y < year) & ~p.already[k]
            np.add.at(total, group[earlier], p.running[k][earlier])
        total *= p.price(year)  # the year's cost multipliers (ones without)
        for g, j in zip(*np.nonzero(total), strict=True):
            rows.append(
                (
                    year,
                    p.groups.at[g, "district"],
                    p.groups.at[g, "zone"],
                    p.categories[j],
                    total[g, j],
                )
            )
    return pd.DataFrame(rows, columns=["year", "district", "zone", "cost_category", "yuan"])


def district_year(p: PlanningProblem, schedule: pd.DataFrame) -> pd.DataFrame:
    """Per district, year and class: projects started, projects completed and the capacity
    (projects that may start; blank without a cap) — what ``district_year.csv`` holds."""
    district = p.communities["district"].to_numpy()
    index = {cid: i for i, cid in enumerate(p.communities["community_id"])}
    rows = []
    for k in CLASSES:
        sub = schedule[schedule["class"] == k]
        where = district[[index[c] for c in sub["community_id"]]] if len(sub) else np.array([], str)
        start = sub["year"].to_numpy(dtype=int)
        for d in sorted(set(district)):
            mine = where == d
            for year in p.years:
                rows.append((d, year, k, int((start[mine] == year).sum()),
                             int((start[mine] + p.lead(k) == year).sum()), p.capacity(d, k)))
    table = pd.DataFrame(rows, columns=["district", "year", "class", "projects_started",
                                        "projects_completed", "capacity"])
    table["capacity"] = table["capacity"].astype("Int64")
    return table.sort_values(["district", "year", "class"], kind="stable", ignore_index=True)


def street_year(p: PlanningProblem, schedule: pd.DataFrame) -> pd.DataFrame:
    """Per street with a cap of its own, year and class: projects started and the cap — what
    ``street_year.csv`` holds (empty without street caps)."""
    capped = sorted(p.scenario.delivery.capacity.streets)
    street = p.communities["street_code"].astype(str).to_numpy()
    index = {cid: i for i, cid in enumerate(p.communities["community_id"])}
    rows = []
    for k in CLASSES:
        sub = schedule[schedule["class"] == k]
        where = street[[index[c] for c in sub["community_id"]]] if len(sub) else np.array([], str)
        start = sub["year"].to_numpy(dtype=int)
        for s in capped:
            for year in p.years:
                rows.append((s, year, k, int(((where == s) & (start == year)).sum()),
                             p.street_capacity(s, k)))
    table = pd.DataFrame(rows, columns=["street_code", "year", "class", "projects_started",
                                        "capacity"])
    table["capacity"] = table["capacity"].astype("Int64")
    return table.sort_values(["street_code", "year", "class"], kind="stable", ignore_index=True)


def coverage_years(p: PlanningProblem, years: dict[str, np.ndarray]) -> float:
    """The coverage-years objective of a schedule (weights and featured factor of the scenario)."""
    omega = p.communities["objective_weight"].to_numpy(dtype=float)
    end = p.years[-1]
    value = 0.0
    for k, factor in (("basic", 1.0), ("featured", p.scenario.objective.featured_weight)):
        y = years[k]
        new = (y > 0) & ~p.already[k]
        value += factor * float((omega[new] * (end - y[new] + 1)).sum())
    return value
