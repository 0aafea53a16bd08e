"""The planning problem in arrays: what the optimiser, the rule of thumb and the checker share.

:func:`prepare` turns a scenario, its data and the baseline assessment into a
:class:`PlanningProblem`: per-community costs by class and cost category (scaled as the
scenario says), eligibility and earliest years, the funding groups (district × zone) with their
sharing rules resolved to concrete sources, and budgets per source and year. Everything a plan is
checked against is computed here once, so the model and the checker cannot disagree.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from wzmodel.assess import Assessment, assess
from wzmodel.data import Dataset, load_dataset
from wzmodel.planner.area import Area, districts_as_in_data, select_area
from wzmodel.planner.funding import RELATIONS, FundingRule, Link, LinkedShares, Share, ShareBounds
from wzmodel.planner.grids import FeaturedArea, block_featured, featured_areas, grid_column
from wzmodel.scenario import Scenario, Target
from wzmodel.schema import InputError, Problem
from wzmodel.standards import load_standards
from wzmodel.vocabulary import CLASSES, COST_CATEGORIES

__all__ = ["PlanningProblem", "prepare"]

MAIN_GROUP = ("main_urban", "new_town")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlanningProblem:
    """Everything a plan is built and checked against (arrays aligned with ``communities``).

    Attributes
    ----------
    communities : community_id, name, street_code, district, zone, households, group (funding
        group index), coverage_weight, objective_weight, cost_factor (the scenario's
        ``district_cost_scale`` of its district; already in ``capital`` and ``running``),
        grid_id (its comprehensive grid, "" for none; :mod:`wzmodel.planner.grids`).
    capital, running : per class, arrays (communities × cost categories) in yuan and yuan/year.
    already : per class, bool array — complete at the start.
    allowed : per class, bool array — may be upgraded in the plan (and complete within it).
    earliest : first year each community may start an upgrade.
    groups : funding groups (district, zone); ``rules[(group, category)]`` is the funding rule
        (:mod:`wzmodel.planner.funding`) of a category in a group that has costs in it.
    sources : the funding sources; ``budget`` (sources × years) in yuan.
    dataset : the data the problem was prepared from — the whole data folder even when the
        scenario has an area (``prepare(scenario, problem.dataset)`` gives the same problem).
    assessment : the assessment of the communities planned for.
    area : the scenario's area (:mod:`wzmodel.planner.area`), None for the whole city.
    budget_from, opening : a re-plan's budgets (:mod:`wzmodel.planner.progress`): the budgets
        of the years before ``budget_from`` are history and bind nothing; each source opens
        ``budget_from`` with ``opening`` yuan (what those years left after the money actually
        spent, with carry-over; 0 without). None: every year's budget counts, nothing opens.
    areas : the featured areas of more than one committee (:mod:`wzmodel.planner.grids`): their
        committees reach featured together and count once.
    featured_blocked : why a community may not be made featured, for those an area forbids.
    prices : the scenario's cost multipliers by year (categories × years) on the money paid in
        each year — capital instalments and running costs; None when every multiplier holds for
        all years (those are in ``capital`` and ``running`` already).
    """

    scenario: Scenario
    dataset: Dataset
    assessment: Assessment
    communities: pd.DataFrame
    capital: dict[str, np.ndarray]
    running: dict[str, np.ndarray]
    already: dict[str, np.ndarray]
    allowed: dict[str, np.ndarray]
    earliest: np.ndarray
    groups: pd.DataFrame
    rules: dict[tuple[int, str], FundingRule]
    sources: pd.DataFrame
    budget: np.ndarray
    area: Area | None = None
    budget_from: int | None = None
    opening: np.ndarray | None = None
    areas: tuple[FeaturedArea, ...] = ()
    featured_blocked: dict[int, str] = field(default_factory=dict)
    prices: np.ndarray | None = None

    @property
    def years(self) -> list[int]:
        return self.scenario.years

    @property
    def categories(self) -> tuple[str, ...]:
        return COST_CATEGORIES

    @property
    def n(self) -> int:
        return len(self.communities)

    @cached_property
    def public(self) -> dict[str, bool]:
        return dict(zip(self.sources["source_id"], self.sources["public"].astype(bool), strict=True))

    def differs_in_budgets_only(self, other: PlanningProblem) -> bool:
        """True when ``other``'s model would differ from this one's in its budget rows' right-hand
        sides only: the same scenario apart from budget multipliers (and name, description,
        solver, comparison, siting and uncertainty, which the model does not read), the same communities,
        costs, eligibility, funding groups, sharing and sources. Conservative: anything else
        differing says False."""
        def content(s: Scenario) -> dict:
            c = s.model_dump(mode="json", exclude={"source_file", "name", "description", "solver",
                                                   "compare", "siting", "uncertainty"})
            c["funding"].pop("budget_scale")
            c["funding"].pop("source_scale")
            c["funding"].pop("district_budget_scale")
            return c

        frames = ("communities", "groups", "sources")
        arrays = ("capital", "running", "already", "allowed")
        return (
            self.budget_from is None and other.budget_from is None  # re-plans: not re-used
            and content(self.scenario) == content(other.scenario)
            and _same_area(self.area, other.area)
            and self.budget.shape == other.budget.shape
            and all(getattr(self, f).equals(getattr(other, f)) for f in frames)
            and self.dataset.sharing.equals(other.dataset.sharing)
            and self.dataset.sharing_links.equals(other.dataset.sharing_links)
            and self.areas == other.areas
            and np.array_equal(self.earliest, other.earliest)
            and all(getattr(self, a).keys() == getattr(other, a).keys()
                    and all(np.array_equal(getattr(self, a)[k], getattr(other, a)[k])
                            for k in getattr(self, a))
                    for a in arrays)
        )

    @cached_property
    def featured_weight(self) -> np.ndarray:
        """What each community counts for among new featured communities: 1, but a featured
        area (:mod:`wzmodel.planner.grids`) counts once — on its first committee not featured
        at the start (its first committee when all are) — and its other committees 0."""
        w = np.ones(self.n)
        for area in self.areas:
            members = list(area.members)
            todo = [i for i in members if not self.already["featured"][i]]
            w[members] = 0.0
            w[(todo or members)[0]] = 1.0
        return w

    def budget_rows(self) -> list[tuple[int, int, np.ndarray]]:
        """(index, year, money carried in per source) of every year whose budget binds: all
        years with nothing carried in, or a re-plan's years from ``budget_from`` on, the first
        with ``opening``."""
        first = self.budget_from if self.budget_from is not None else self.years[0]
        none = np.zeros(len(self.sources))
        opening = self.opening if self.opening is not None else none
        return [(n, t, opening if t == first else none)
                for n, t in enumerate(self.years) if t >= first]

    def lead(self, klass: str) -> int:
        """Years from a start of ``klass`` to its completion (``[delivery.lead_time]``)."""
        return self.scenario.delivery.lead(klass).years

    def price(self, year: int) -> np.ndarray:
        """The multiplier on each category's money paid in ``year`` (ones without ``prices``)."""
        if self.prices is None:
            return np.ones(len(self.categories))
        return self.prices[:, self.years.index(year)]

    def phasing(self, klass: str) -> np.ndarray:
        """(lead years + 1) × categories: the share of each category's capital of a ``klass``
        upgrade paid ``n`` years after its start (``[delivery.lead_time]``)."""
        lead = self.scenario.delivery.lead(klass)
        return np.array([lead.shares_of(k) for k in self.categories], dtype=float).T

    def finish(self, klass: str, start: int) -> int:
        """The completion year of a ``klass`` upgrade started in ``start``."""
        return start + self.lead(klass)

    def capacity(self, district: str, klass: str) -> int | None:
        """Projects of ``klass`` ``district`` may start per year (None: not limited)."""
        return self.scenario.delivery.capacity.of(district, klass)

    def street_capacity(self, street_code: str, klass: str) -> int | None:
        """Projects of ``klass`` a street may start per year on top of its district's cap
        (None: the street has no cap of its own)."""
        return self.scenario.delivery.capacity.of_street(street_code, klass)

    def zone_mask(self, zones) -> np.ndarray:
        return self.communities["zone"].isin(list(zones)).to_numpy()

    def target_universe(self, target: Target) -> tuple[np.ndarray, float]:
        """Mask of the communities a coverage-type target counts, and the full weight."""
        mask = self.zone_mask(target.zones)
        return mask, float(self.communities["coverage_weight"].to_numpy()[mask].sum())

    def streets_in(self, zones) -> pd.DataFrame:
        """Streets whose communities lie in ``zones``: street_code, district, members (index arrays)."""
        return self.units_in("street_code", zones)

    def units_in(self, unit: str, zones) -> pd.DataFrame:
        """Units (``street_code`` or ``grid_id``) of the communities in ``zones``: the unit's
        code (in a column named ``unit``), its (first) district, members (index arrays).
        Communities in no grid form no grid."""
        c = self.communities
        sub = c[c["zone"].isin(list(zones)) & (c[unit] != "")]
        rows = [(s, g["district"].iloc[0], g.index.to_numpy()) for s, g in sub.groupby(unit, sort=True)]
        return pd.DataFrame(rows, columns=[unit, "district", "members"])


def prepare(scenario: Scenario, dataset: Dataset | None = None) -> PlanningProblem:
    """Load (if needed) the scenario's data, keep its area's communities, assess them and
    resolve funding; every problem that makes the scenario unusable is reported at once as an
    :class:`InputError`."""
    standards = load_standards(scenario.standards.basic, scenario.standards.featured)
    if dataset is None:
        log.info("reading the data folder %s", scenario.data)
        dataset = load_dataset(scenario.data, indicators=standards.indicators())
    log.debug("preparing scenario '%s': assessment, costs, funding rules, budgets", scenario.name)
    problems: list[Problem] = []
    area = select_area(scenario.area, dataset, problems)
    planned = dataset if area is None else dataset.subset(dataset.communities["community_id"][area.keep])
    # the whole data assessed (facilities within reach are shared with neighbours outside the
    # area), the area's communities reported
    assessment = assess(dataset, standards, keep=None if area is None else area.keep)
    years = scenario.years
    status = assessment.communities
    c = planned.communities[
        [
            "community_id",
            "name",
            "street_code",
            "district",
            "zone",
            "households",
            "residents",
            "share_60plus",
        ]
    ].copy()

    measure = scenario.coverage_measure
    c["coverage_weight"] = (c["households"].astype(float) if measure == "households" else 1.0)
    c["objective_weight"] = _objective_weight(scenario, c, status)

    # multipliers for every year go into the cost arrays; those by year into ``prices``
    scales = scenario.funding.cost_scale
    by_year = {k: v for k, v in scales.items() if isinstance(v, dict)}
    cost_scale = np.array([1.0 if k in by_year else scales.get(k, 1.0) for k in COST_CATEGORIES])
    prices = np.array([[by_year[k].get(y, 1.0) if k in by_year else 1.0 for y in years]
                       for k in COST_CATEGORIES]) if by_year else None
    for k in scales:
        if k not in COST_CATEGORIES:
            problems.append(
                Problem(
                    "scenario",
                    f"a cost category ({', '.join(COST_CATEGORIES)})",
                    None,
                    "funding.cost_scale",
                    k,
                )
            )
    spelled = districts_as_in_data(scenario.funding.district_cost_scale, dataset.districts,
                                   "funding.district_cost_scale", problems)
    by_district = {d: scenario.funding.district_cost_scale[name] for name, d in spelled.items()}
    c["cost_factor"] = c["district"].map(by_district).fillna(1.0).astype(float)
    cost_scale = cost_scale * c["cost_factor"].to_numpy()[:, None]
    capital = {k: assessment.cost_matrix(k, "capital").to_numpy() * cost_scale for k in CLASSES}
    running = {k: assessment.cost_matrix(k, "running").to_numpy() * cost_scale for k in CLASSES}
    already = {"basic": status["is_basic"].to_numpy(), "featured": status["is_featured"].to_numpy()}

    ids = c["community_id"]
    known = set(ids)
    lists = scenario.lists
    for name, values in (
        ("lists.must_do", lists.must_do),
        ("lists.must_not", lists.must_not),
        ("lists.earliest_year", lists.earliest_year),
    ):
        for cid in values:
            if cid not in known:
                where = "" if area is None else " of the area"
                problems.append(Problem("scenario", f"a known community_id{where}", None, name, cid))
    known_districts = set(planned.communities["district"])
    for district in sorted(scenario.delivery.capacity.districts):
        if district not in known_districts:
            where = "" if area is None else " of the area"
            problems.append(Problem("scenario", f"a district{where} named as in the data", None,
                                    "delivery.capacity.districts", district))
    known_streets = set(planned.communities["street_code"].astype(str))
    for street in sorted(scenario.delivery.capacity.streets):
        if street not in known_streets:
            where = "" if area is None else " of the area"
            problems.append(Problem("scenario", f"a street_code{where} of the data", None,
                                    "delivery.capacity.streets", street))
    for name, target in sorted(scenario.targets.items()):
        by_grids = target.kind == "coverage" and scenario.coverage_measure == "grids"
        if target.kind == "district_coverage" and scenario.coverage_measure == "grids":
            problems.append(Problem("scenario", "coverage_measure communities or households for a "
                                    "district_coverage target (grids are counted by coverage and "
                                    "complete_grids targets)", None, f"targets.{name}.kind",
                                    target.kind))
        if (target.kind == "complete_grids" or by_grids) and dataset.grids.empty:
            problems.append(Problem("scenario", "a grids table in the data (grids.csv: the "
                                    "comprehensive grid of each committee)", None,
                                    f"targets.{name}.kind", target.kind
                                    if not by_grids else "coverage_measure = grids"))
    earliest = ids.map(lists.earliest_year).fillna(years[0]).astype(int).to_numpy()
    earliest = np.maximum(earliest, years[0])
    excluded = ids.isin(set(lists.must_not)).to_numpy()
    # a start must complete within the plan years (docs/planner.md, lead times)
    lead = {k: scenario.delivery.lead(k).years for k in CLASSES}
    allowed = {k: ~already[k] & ~excluded & (earliest + lead[k] <= years[-1]) for k in CLASSES}
    # featured areas: committees made featured together, within one grid (planner/grids.py)
    c["grid_id"] = grid_column(dataset, c["community_id"]).to_numpy()
    areas = featured_areas(dataset, c)
    blocked = block_featured(areas, allowed["featured"], already["featured"])

    groups = c[["district", "zone"]].drop_duplicates().sort_values(["district", "zone"])
    groups = groups.reset_index(drop=True)
    group_index = {(d, z): g for g, (d, z) in enumerate(zip(groups["district"], groups["zone"], strict=True))}
    c["group"] = [group_index[(d, z)] for d, z in zip(c["district"], c["zone"], strict=True)]

    sources = dataset.sources.sort_values("source_id").reset_index(drop=True)
    used = sources if area is None else area.sources(sources)
    rules = _resolve_rules(scenario, dataset, groups, used, capital, running, c, problems)
    budget = _budget_matrix(scenario, dataset, sources, years, problems)
    if area is not None:
        kept = sources["source_id"].isin(used["source_id"]).to_numpy()
        budget = (budget * area.budget_factor(sources)[:, None])[kept]
    if problems:
        raise InputError(problems, f"scenario {scenario.name}")
    return PlanningProblem(
        scenario,
        dataset,
        assessment,
        c,
        capital,
        running,
        already,
        allowed,
        earliest,
        groups,
        rules,
        used,
        budget,
        area,
        areas=areas,
        featured_blocked=blocked,
        prices=prices,
    )


def _objective_weight(scenario: Scenario, c: pd.DataFrame, status: pd.DataFrame) -> np.ndarray:
    """Weight of one community in the coverage-years objective, normalised to mean 1."""
    households = c["households"].to_numpy(dtype=float)
    kind = scenario.objective.weight
    if kind == "communities":
        w = np.ones(len(c))
    elif kind == "households":
        w = households
    elif kind == "elderly":
        w = households * c["share_60plus"].to_numpy(dtype=float)
    else:  # need: households, up-weighted by the share of basic criteria failed
        w = households * (
            1.0 + status["basic_failures"].to_numpy(dtype=float) / max(1, status["basic_failures"].max())
        )
    return w / w.mean() if len(w) else w


def _resolve_rules(scenario, dataset, groups, sources, capital, running, c, problems):
    """Per funding group and cost category, the funding rule in force: its concrete sources
    and their share bounds, and the option's links (``sharing_links``) that reach it.

    Rows of the chosen option apply from general to specific: a district row set replaces a zone
    row set, which replaces the general rows (for that category). Links add to whatever share
    rows apply: each link reaches every cost its category, zone and district (blank: any) match.
    """
    option = scenario.funding.sharing_option
    sharing = dataset.sharing[dataset.sharing["option"] == option]
    if sharing.empty:
        known = ", ".join(sorted(dataset.sharing["option"].unique())) or "none"
        problems.append(
            Problem(
                "sharing",
                f"a sharing option in the data (known: {known})",
                None,
                "funding.sharing_option",
                option,
            )
        )
        return {}
    sharing = sharing.assign(zone=sharing["zone"].fillna(""), district=sharing["district"].fillna(""))
    option_links = dataset.sharing_links[dataset.sharing_links["option"] == option]
    option_links = option_links.assign(**{k: option_links[k].fillna("") for k in
                                          ("cost_category", "zone", "district")})
    public = dict(zip(sources["source_id"], sources["public"].astype(bool), strict=True))
    by_role: dict[tuple[str, str], str] = {}
    for sid, role, district in zip(
        sources["source_id"], sources["role"], sources["district"].fillna(""), strict=True
    ):
        by_role[(role, district)] = sid

    needed = np.zeros((len(groups), len(COST_CATEGORIES)), bool)
    for k in CLASSES:
        cost = capital[k] + running[k]
        for g in range(len(groups)):
            needed[g] |= (cost[c["group"].to_numpy() == g] > 0).any(axis=0)

    rules: dict[tuple[int, str], FundingRule] = {}
    for g, (district, zone) in enumerate(zip(groups["district"], groups["zone"], strict=True)):
        for j, category in enumerate(COST_CATEGORIES):
            rows = sharing[sharing["cost_category"] == category]
            for scope in (
                rows[rows["district"] == district],
                rows[(rows["zone"] == zone) & (rows["district"] == "")],
                rows[(rows["zone"] == "") & (rows["district"] == "")],
            ):
                if not scope.empty:
                    rows = scope
                    break
            else:
                rows = rows.iloc[0:0]
            if not needed[g, j]:
                continue
            resolved = []
            for role, lo, hi in zip(rows["role"], rows["min_share"], rows["max_share"], strict=True):
                sid = by_role.get((role, district)) if role == "district_fiscal" else by_role.get((role, ""))
                if sid is None:
                    if lo > 0:
                        problems.append(
                            Problem(
                                "sharing",
                                f"a funding source with role '{role}'"
                                + (f" for district {district}" if role == "district_fiscal" else "")
                                + f" (option '{option}' makes it pay ≥ {100 * lo:g} % of {category})",
                                None,
                                "role",
                                role,
                            )
                        )
                    continue
                resolved.append(Share(sid, float(lo), float(hi), bool(public[sid])))
            if not resolved or sum(r.max_share for r in resolved) < 1 - 1e-9:
                problems.append(
                    Problem(
                        "sharing",
                        f"sources able to pay 100 % of {category} in {district} ({zone}) "
                        f"under option '{option}'",
                        None,
                        "cost_category",
                        category,
                    )
                )
            shares = tuple(sorted(resolved, key=lambda r: r.source_id))
            links = _links_of(option_links, category, district, zone, shares, by_role)
            if not links:
                rules[(g, category)] = ShareBounds(shares)
                continue
            rules[(g, category)] = rule = LinkedShares(shares, links)
            if len(rule.vertices()) == 0:
                problems.append(Problem(
                    "sharing_links",
                    f"links of option '{option}' that some split of {category} in {district} "
                    f"({zone}) can meet within its share bounds ({'; '.join(k.name for k in links)})",
                    None, "ratio"))
    return rules


def _links_of(links: pd.DataFrame, category: str, district: str, zone: str,
              shares: tuple[Share, ...], by_role: dict[tuple[str, str], str]) -> tuple[Link, ...]:
    """The links of an option (``links``, blanks as "") that reach ``category`` in ``district``
    and ``zone``, resolved to the sources of ``shares``."""
    def source_of(role: str) -> str | None:
        return by_role.get((role, district if role == "district_fiscal" else ""))

    reach = links[links["cost_category"].isin(["", category]) & links["zone"].isin(["", zone])
                  & links["district"].isin(["", district])]
    eligible = {s.source_id for s in shares}
    public = {s.source_id for s in shares if s.public}
    found = []
    for i, row in reach.iterrows():
        sid = source_of(row["role"]) or f"({row['role']}: no source)"
        if row["base"] == "cost":
            base = None
        elif row["base"] == "public":
            base = tuple(sorted(public - {sid}))
        else:
            base = tuple(b for b in [source_of(row["base"])] if b in eligible)
        name = (f"sharing_links row {int(i) + 2} (option {row['option']}: {row['role']} "
                f"{RELATIONS[row['relation']]} {row['ratio']:g} × {row['base']})")
        found.append(Link(sid, row["relation"], float(row["ratio"]), base, name))
    return tuple(found)


def _budget_matrix(scenario, dataset, sources, years, problems) -> np.ndarray:
    b = dataset.budgets
    table = b.pivot_table(index="source_id", columns="year", values="budget_yuan", aggfunc="sum")
    table = table.reindex(index=sources["source_id"], columns=years)
    for sid in sorted(scenario.funding.source_scale):
        if sid not in set(sources["source_id"]):
            problems.append(Problem("scenario", "a known source_id", None, "funding.source_scale", sid))
    missing = [(s, y) for s in table.index for y in years if pd.isna(table.loc[s, y])]
    if missing:
        shown = ", ".join(f"{s} {y}" for s, y in missing[:8])
        more = f" and {len(missing) - 8} more" if len(missing) > 8 else ""
        problems.append(Problem("budgets", f"a budget for every source and year; missing: {shown}{more}"))
    funding = scenario.funding
    scale = np.array([[funding.source_factor(s, y) for y in years] for s in table.index]).reshape(table.shape)
    # a district's own sources (district fiscal, ...) carry its district multiplier
    spelled = districts_as_in_data(funding.district_budget_scale, dataset.districts,
                                   "funding.district_budget_scale", problems)
    named = {d: name for name, d in spelled.items()}
    home = sources.set_index("source_id")["district"].fillna("").reindex(table.index)
    district_scale = np.array([[funding.district_factor(named[d], y) if d in named else 1.0
                                for y in years] for d in home]).reshape(table.shape)
    every = np.array([funding.budget_factor(y) for y in years])
    return table.fillna(0.0).to_numpy() * every * scale * district_scale


def _same_area(a: Area | None, b: Area | None) -> bool:
    """Whether two areas keep the same communities with the same money (``==`` on Area would
    compare its mask element-wise)."""
    if a is None or b is None:
        return a is b
    return (np.array_equal(a.keep, b.keep)
            and (a.districts, a.city_share, a.share_basis) == (b.districts, b.city_share,
                                                               b.share_basis))
