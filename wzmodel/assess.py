"""Baseline assessment: which criteria each community fails, the gaps, and what closing them costs.

:func:`assess` applies every criterion of the standards in force to every community and returns
an :class:`Assessment` of documented DataFrames. Featured requires basic: a community is featured
when it meets every basic and every featured criterion; the cost of reaching featured from below
basic is the basic gaps plus the featured gaps.

The data's list of communities already complete (its ``complete`` table) overrides the
indicators: a community listed as basic has no basic gap, one listed as featured no gap at all.

Facility-type minimums (criteria with a ``facility_type``: a nursery, a health station, ...)
are met by facilities within walking reach too: the shortfall the spare capacity of facilities
of the type within reach serves (:mod:`wzmodel.reach`, one allocation for the whole dataset) is
no gap. This is the one place gaps are computed; the planner, the checker and every report read
them from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from wzmodel.data import Dataset, data_note
from wzmodel.io import atomic_folder, write_csv, write_excel
from wzmodel.labels import community_places, with_places
from wzmodel.reach import reach_table, serve_within_reach, type_problems
from wzmodel.schema import InputError
from wzmodel.standards import Standards, load_standards
from wzmodel.vocabulary import CLASSES, COST_CATEGORIES, ZONES
from wzmodel.workbook import SUMMARY_COLUMNS, unit_costs

__all__ = ["Assessment", "assess"]


@dataclass(frozen=True)
class Assessment:
    """The baseline of every community against the standards.

    Attributes
    ----------
    gaps : one row per community, class and failed criterion — ``community_id``, ``name``,
        ``street``, ``district``, ``class``,
        ``criterion_id``, ``cost_category``, ``gap`` (in ``gap_unit``), ``capital_yuan``,
        ``running_yuan_per_year``.
    communities : one row per community — identity (id, name, street, district, street code),
        zone, ``households``, ``is_basic``,
        ``is_featured``, failed-criterion counts and, per class, ``{class}_capital_yuan`` and
        ``{class}_running_yuan_per_year``: the cost of that class's own criteria (featured
        figures exclude the basic gaps).
    by_zone, by_district : counts, shares already basic / featured, and capital to close the gaps.
    note : the data folder's own note (:func:`wzmodel.data.data_note`).
    listed : communities the data's ``complete`` table lists as already complete.
    served : what facilities within walking reach give the shortfalls of facility-type
        minimums — one row per committee, criterion and facility: ``community_id``, ``name``,
        ``street``, ``district``, ``class``, ``criterion_id``, ``facility_type``,
        ``facility_id``, ``distance_m`` (walking), ``served_m2`` (the facility's floor given),
        ``served`` (in ``gap_unit``), ``shortfall`` (the committee's gap before reach) and
        ``gap_remaining`` (its gap after every facility in reach: the ``gap`` of ``gaps``).
    zone_rule : where the communities' zones come from (:attr:`wzmodel.data.Dataset.zone_rule`).
    """

    gaps: pd.DataFrame
    communities: pd.DataFrame
    by_zone: pd.DataFrame
    by_district: pd.DataFrame
    standards: Standards
    note: str = ""
    listed: int = 0
    served: pd.DataFrame = field(default_factory=pd.DataFrame)
    zone_rule: str = ""

    def cost_matrix(self, klass: str, kind: str = "capital") -> pd.DataFrame:
        """Cost per community (rows, in ``communities`` order) and cost category (columns) of
        closing the gaps of class ``klass``; ``kind`` is ``"capital"`` (yuan) or ``"running"``
        (yuan per year)."""
        value = "capital_yuan" if kind == "capital" else "running_yuan_per_year"
        sub = self.gaps[self.gaps["class"] == klass]
        table = sub.pivot_table(
            index="community_id",
            columns="cost_category",
            values=value,
            aggfunc="sum",
            fill_value=0.0,
        )
        return table.reindex(
            index=self.communities["community_id"], columns=list(COST_CATEGORIES), fill_value=0.0
        ).astype(float)

    def totals(self) -> dict[str, float]:
        """City-wide headline figures."""
        c = self.communities
        return {
            "communities": len(c),
            "basic": int(c["is_basic"].sum()),
            "featured": int(c["is_featured"].sum()),
            "basic_capital_yuan": float(c["basic_capital_yuan"].sum()),
            "featured_capital_yuan": float(c["featured_capital_yuan"].sum()),
            "basic_running_yuan_per_year": float(c["basic_running_yuan_per_year"].sum()),
            "featured_running_yuan_per_year": float(c["featured_running_yuan_per_year"].sum()),
        }

    def summary(self, source: str | Path) -> str:
        """The plain-text summary the CLI prints: counts, shares and costs by zone, the cost of
        closing every gap, and the data note; ``source`` names the data in the heading."""
        totals = self.totals()
        c = self.communities
        table = self.by_zone
        shown = pd.DataFrame(
            {
                "zone": table["zone"],
                "communities": table["communities"].astype(int),
                "basic %": (100 * table["basic_share"]).round(1),
                "featured %": (100 * table["featured_share"]).round(1),
                "to basic, M yuan": (table["basic_capital_yuan"] / 1e6).round(1),
                "basic→featured, M yuan": (table["featured_capital_yuan"] / 1e6).round(1),
            }
        )
        running = totals["basic_running_yuan_per_year"] + totals["featured_running_yuan_per_year"]
        return "\n".join([
            f"Baseline assessment of {source}",
            f"  {totals['communities']:,} communities ({(c['kind'] == 'residents').sum():,} "
            f"residents', {(c['kind'] == 'villagers').sum():,} villagers' committees) in "
            f"{c['street_code'].nunique()} streets, {c['district'].nunique()} districts and "
            f"{c['zone'].nunique()} zones",
            f"  already basic: {totals['basic']:,} ({totals['basic'] / totals['communities']:.1%}); "
            f"already featured: {totals['featured']:,} "
            f"({totals['featured'] / totals['communities']:.1%})"
            + (f"; {self.listed:,} of them by the data's list of complete communities"
               if self.listed else ""),
            *self._served_lines(),
            "",
            shown.to_string(index=False),
            "",
            "Committees per zone (of them villagers' committees): " + ", ".join(
                f"{z} {n:,} ({v:,})" for z, n, v in _zone_counts(c)),
            f"  zones from {self.zone_rule or 'the data'}",
            "",
            "Capital cost to close all gaps:",
            f"  basic class (every community to basic):            "
            f"{_million(totals['basic_capital_yuan'])}",
            f"  featured class (featured criteria, on top of basic): "
            f"{_million(totals['featured_capital_yuan'])}",
            f"  featured class in total (basic + featured gaps):    "
            f"{_million(totals['basic_capital_yuan'] + totals['featured_capital_yuan'])}",
            f"  yearly running cost once all gaps are closed:       {_million(running)} per year",
            "",
            self.note,
        ])

    def _served_lines(self) -> list[str]:
        """What facilities within reach close (none when no facility serves anything)."""
        if self.served.empty:
            return []
        s = self.served
        per = s.drop_duplicates(["community_id", "criterion_id"])
        closed = int((per["gap_remaining"] <= 0).sum())
        unit = {c.id: c.capital_yuan_per_unit for _, c in self.standards.criteria()}
        avoided = float((s["served"] * s["criterion_id"].map(unit)).sum())
        return [f"  facilities within walking reach serve {len(per):,} shortfalls of "
                f"facility-type minimums ({closed:,} wholly) with {s['served_m2'].sum():,.0f} m² "
                f"of spare capacity: {_million(avoided)} of capital not needed "
                "(served_within_reach.csv)"]

    def write(self, folder: str | Path, *, excel: bool = True) -> Path:
        """Write the tables as CSV (and a workbook, ``assessment.xlsx``) into ``folder``
        atomically."""
        sheets = {
            "communities": self.communities,
            "gaps": self.gaps,
            "by_zone": self.by_zone,
            "by_district": self.by_district,
            "served_within_reach": self.served,
        }
        with atomic_folder(folder, "assess") as tmp:
            for name, frame in sheets.items():
                write_csv(frame, tmp / f"{name}.csv")
            if excel:
                money = [f"{k}_{m}" for k in CLASSES for m in ("capital_yuan",
                                                               "running_yuan_per_year")]
                write_excel(
                    {"summary": self.summary_table(), **sheets, "assumptions": [
                        ("Data note", pd.DataFrame({"note": [self.note]})),
                        ("Unit costs of the standards (yuan per gap unit)",
                         unit_costs(self.standards)),
                        ("Walking reach of the facility-type minimums (docs/reach.md)",
                         reach_table(self.standards))]},
                    tmp / "assessment.xlsx",
                    units={"capital_yuan": "yuan", "running_yuan_per_year": "yuan/year",
                           "basic_share": "share", "featured_share": "share",
                           "households": "households", "residents": "persons",
                           **{c: "yuan/year" if "running" in c else "yuan" for c in money}},
                )
        return Path(folder)

    def summary_table(self) -> pd.DataFrame:
        """The workbook's ``summary``: communities, shares already complete and the cost of
        closing every gap, city-wide and by zone."""
        t = self.totals()
        rows = [("city", "communities", t["communities"], "communities", ""),
                ("city", "already basic", t["basic"] / t["communities"], "share", ""),
                ("city", "already featured", t["featured"] / t["communities"], "share", ""),
                ("city", "capital to make every community basic", t["basic_capital_yuan"] / 1e6,
                 "million yuan", ""),
                ("city", "capital for the featured criteria (on top of basic)",
                 t["featured_capital_yuan"] / 1e6, "million yuan", ""),
                ("city", "yearly running cost once every gap is closed",
                 (t["basic_running_yuan_per_year"] + t["featured_running_yuan_per_year"]) / 1e6,
                 "million yuan", "per year")]
        for z in self.by_zone[self.by_zone["zone"] != "total"].itertuples():
            rows += [(f"zone {z.zone}", "already basic", z.basic_share, "share", ""),
                     (f"zone {z.zone}", "capital to make every community basic",
                      z.basic_capital_yuan / 1e6, "million yuan", "")]
        return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def _million(yuan: float) -> str:
    return f"{yuan / 1e6:,.1f} M yuan"


def assess(dataset: Dataset, standards: Standards | None = None, *,
           keep: pd.Series | np.ndarray | None = None) -> Assessment:
    """Assess every community of ``dataset`` against ``standards`` (default: Shanghai's).

    ``keep`` (a bool mask over ``dataset.communities``) assesses only those communities — an
    area planned. Their neighbours outside it still compete for the spare capacity of the
    facilities within reach (:func:`wzmodel.reach.serve_within_reach`), so a community's gaps
    are the same whether the city or its district is assessed.
    """
    standards = standards or load_standards()
    communities = dataset.communities
    ids = communities["community_id"].to_numpy()
    listed = dataset.complete
    complete = {  # listed as complete in this class (featured is basic too)
        "basic": communities["community_id"].isin(set(listed["community_id"])).to_numpy(),
        "featured": communities["community_id"].isin(
            set(listed["community_id"][listed["class"] == "featured"])).to_numpy(),
    }
    problems = type_problems(dataset.facilities, standards, "facilities")
    if problems:
        raise InputError(problems, str(dataset.path))
    shortfall = {c.id: np.where(complete[k], 0.0, c.gap(communities))
                 for k, c in standards.criteria()}
    served = serve_within_reach(communities, dataset.facilities, standards,
                                {c.id: shortfall[c.id] for _, c in standards.criteria()
                                 if c.facility_type is not None}, keep=keep)
    if keep is not None:  # the area's communities from here on
        mask = np.asarray(keep, dtype=bool)
        communities = communities[mask].reset_index(drop=True)
        ids = ids[mask]
        listed = listed[listed["community_id"].isin(set(ids))]
        shortfall = {k: v[mask] for k, v in shortfall.items()}
        served = served.restricted(mask)
    rows = []
    failed = {k: np.zeros(len(communities), dtype=int) for k in CLASSES}
    for klass, criterion in standards.criteria():
        gap = shortfall[criterion.id]
        if criterion.id in served.amount:  # what nothing within reach serves
            left = gap - served.amount[criterion.id]
            gap = np.where(left > 1e-6 * np.maximum(1.0, gap), left, 0.0)
        fails = gap > 0
        failed[klass] += fails
        rows.append(
            pd.DataFrame(
                {
                    "community_id": ids[fails],
                    "class": klass,
                    "criterion_id": criterion.id,
                    "cost_category": criterion.cost_category,
                    "gap": gap[fails],
                    "gap_unit": criterion.gap_unit,
                    "capital_yuan": gap[fails] * criterion.capital_yuan_per_unit,
                    "running_yuan_per_year": gap[fails] * criterion.running_yuan_per_unit_year,
                }
            )
        )
    gaps = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    gaps = gaps.sort_values(
        ["community_id", "class", "criterion_id"], kind="stable", ignore_index=True
    )
    places = community_places(communities, dataset.streets)
    gaps = with_places(gaps, places) if not gaps.empty else gaps

    status = communities[
        [
            "community_id",
            "name",
            "street_code",
            "district",
            "zone",
            "kind",
            "households",
            "residents",
        ]
    ].copy()
    status = with_places(status, places)
    status["basic_failures"] = failed["basic"]
    status["featured_failures"] = failed["featured"]
    status["is_basic"] = failed["basic"] == 0
    status["is_featured"] = status["is_basic"] & (failed["featured"] == 0)
    per_class = gaps.groupby(["community_id", "class"])[
        ["capital_yuan", "running_yuan_per_year"]
    ].sum()
    for klass in CLASSES:
        sub = (
            per_class.xs(klass, level="class")
            if klass in per_class.index.get_level_values(1)
            else per_class.iloc[0:0]
        )
        status[f"{klass}_capital_yuan"] = (
            status["community_id"].map(sub["capital_yuan"]).fillna(0.0)
        )
        status[f"{klass}_running_yuan_per_year"] = (
            status["community_id"].map(sub["running_yuan_per_year"]).fillna(0.0)
        )
    table = with_places(_served_table(served.allocation, shortfall, gaps, ids, standards), places)
    return Assessment(
        gaps, status, _summary(status, "zone", ZONES), _summary(status, "district", None), standards,
        data_note(dataset.path), len(listed), served=table, zone_rule=dataset.zone_rule,
    )


def _served_table(allocation: pd.DataFrame, shortfall: dict[str, np.ndarray], gaps: pd.DataFrame,
                  ids: np.ndarray, standards: Standards) -> pd.DataFrame:
    """The allocation with each committee's shortfall before and gap after reach."""
    row = pd.Series(np.arange(len(ids)), index=ids)
    j = row.reindex(allocation["community_id"]).to_numpy()
    key = pd.MultiIndex.from_frame(allocation[["community_id", "criterion_id"]])
    remaining = (gaps.set_index(["community_id", "criterion_id"])["gap"].reindex(key).fillna(0.0)
                 if not gaps.empty else pd.Series(0.0, index=key))
    unit = {c.id: c.gap_unit for _, c in standards.criteria()}
    return allocation.assign(
        gap_unit=allocation["criterion_id"].map(unit),
        shortfall=[float(shortfall[c][k]) for c, k in zip(allocation["criterion_id"], j,
                                                          strict=True)],
        gap_remaining=remaining.to_numpy(dtype=float),
    )


def _zone_counts(communities: pd.DataFrame) -> list[tuple[str, int, int]]:
    """(zone, committees, villagers' committees) for every zone present, in the zones' order."""
    present = [z for z in ZONES if z in set(communities["zone"])]
    present += sorted(set(communities["zone"]) - set(present))
    return [(z, int((communities["zone"] == z).sum()),
             int(((communities["zone"] == z) & (communities["kind"] == "villagers")).sum()))
            for z in present]


def _summary(status: pd.DataFrame, by: str, order) -> pd.DataFrame:
    g = status.groupby(by, sort=True)
    table = pd.DataFrame(
        {
            "communities": g.size(),
            "households": g["households"].sum(),
            "basic": g["is_basic"].sum(),
            "featured": g["is_featured"].sum(),
        }
    )
    table["basic_share"] = table["basic"] / table["communities"]
    table["featured_share"] = table["featured"] / table["communities"]
    table["basic_capital_yuan"] = g["basic_capital_yuan"].sum()
    table["featured_capital_yuan"] = g["featured_capital_yuan"].sum()
    if order is not None:
        table = table.reindex([z for z in order if z in table.index])
    total = table.sum(numeric_only=True)
    total["basic_share"] = total["basic"] / total["communities"]
    total["featured_share"] = total["featured"] / total["communities"]
    table.loc["total"] = total
    table.index.name = by
    return table.reset_index()
