r"""Domain siting of embedded service complexes (人民坊) in the 15-minute life circle.

Which candidate sites open, in which year, so that every community gets its service floor
(``basic.service_floor``: 0.30 m² per household, ``wzmodel/standards/basic.toml``) from complexes
within walking reach — new complexes on candidate sites, or the spare floor of existing ones.

Formulation (:func:`site_complexes`)
------------------------------------
Sets: communities :math:`j` with a service-floor gap :math:`n_j > 0` (m², the gap of the
criterion), candidate sites :math:`i \in S`, existing complexes :math:`i \in F`, years
:math:`t \in T`, and the pairs :math:`(i, j) \in P` in reach: distance
:math:`d_{ij} \le R_{z(j)}`, the walking radius of j's zone. :math:`d_{ij}` is the straight line
times a detour factor (1.3), or a network distance from a user's distance table. Only pairs in
reach are ever built (a k-d tree finds them), never the dense community × site matrix.

Decisions:

* :math:`o_{it} \in \{0,1\}` — site i opens in year t (:math:`t \ge` its ``earliest_year``);
  one start-year binary per site and year, at most one per site (the fast formulation, see
  PITFALLS 5). A site opens at its full ``capacity_m2`` and costs its ``capital_cost_yuan``
  once and ``running_cost_yuan_per_year`` every later year: the data give costs at full size
  only, so partial sizes are not modelled (unused floor is simply spare).
* :math:`a_{ij} \ge 0` — floor area (m²) of complex i allocated to community j, split freely
  between several complexes (0 ≤ a_ij ≤ n_j);
* :math:`u_j \ge 0` — the part of j's gap left unmet.

Constraints:

.. math::

   \sum_t o_{it} \le 1, \qquad
   \sum_{i:(i,j)\in P} a_{ij} + u_j = n_j

   \sum_{j} a_{ij} \le K_i \sum_t o_{it}\ (i \in S), \qquad
   \sum_{j} a_{ij} \le K_i\ (i \in F,\ \text{spare floor, already paid for})

   a_{ij} \le \min(n_j, K_i) \sum_{t \le D_j} o_{it}
   \quad (\text{a site serves j only if open by j's due year } D_j)

   \sum_i \sum_{s \le t} o_{is}\,\bigl(c_i + r_i (t - s)\bigr) \le \sum_{\tau \le t} B_\tau
   \quad (\text{budgets, unspent money carried over}), \qquad
   \sum_{i,t} o_{it} \le p \ (\text{optional})

Objectives:

* ``min_cost`` (default): minimise
  :math:`\sum_{i,t} o_{it}(c_i + r_i (t_{end} - t)) + \sum_j \pi_j u_j
  + \epsilon \sum_{ij} d_{ij} a_{ij}` — capital plus running cost to the last year, plus a
  price :math:`\pi_j` per m² left unmet, plus a tie-breaking cost per m²·km of walking
  (``walk_cost_yuan_per_m2_km``) that sends people to the nearest complex with room. Floor a
  complex does not provide is built on site, so by default :math:`\pi_j` is the criterion's
  on-site cost (:func:`onsite_cost_yuan_per_m2`: capital plus running cost from j's due year
  to the last year): a site opens only where it is cheaper than building on site — the price
  :func:`wzmodel.joint.joint_vs_separate` uses. ``unmet_penalty_yuan_per_m2`` replaces it by
  one price for every m² (a high one when floor cannot be built on site: coverage first).
  Spare floor of existing complexes is free, so it is used before anything is built.
* ``max_households``: with a budget, maximise the households of communities whose whole gap is
  met, :math:`\sum_j h_j f_j` with binaries :math:`n_j f_j \le \sum_i a_{ij}`, minus a cost
  term too small to trade against one household.

Joint planning with the upgrade planner (:func:`wzmodel.joint.joint_vs_separate`, a study above
both this module and the planner) is a decomposition; see its docstring and ``docs/siting.md``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pulp
from numpy.typing import ArrayLike
from scipy.spatial import cKDTree

from wzmodel.data import Dataset
from wzmodel.geography import DistrictOutlines
from wzmodel.io import atomic_folder, write_csv
from wzmodel.location import SpecificationError, _check_p, _options
from wzmodel.reach import multipurpose
from wzmodel.scenario import DEFAULT_RADIUS_M, SitingConfig
from wzmodel.schema import Column, InputError, Problem, TableSpec, read_table
from wzmodel.solver import SolveOutcome, SolverOptions, solve
from wzmodel.standards import Criterion, Standards, load_standards
from wzmodel.vocabulary import MONEY_UNIT

__all__ = [
    "DEFAULT_RADIUS_M",
    "SitingConfig",
    "SitingPlan",
    "onsite_cost_yuan_per_m2",
    "read_distances",
    "site_complexes",
    "siting_demand",
]

_EPS_M2 = 1e-6


@dataclass
class SitingPlan:
    """The result of one siting run (all money in yuan, floor in m², distances in metres).

    Attributes
    ----------
    sites : the sites opened — site_id, street_code, kind, year, size_m2, used_m2,
        capital_yuan, running_yuan_per_year.
    allocation : site_or_facility_id, source (``site`` or ``facility``), community_id,
        floor_m2, distance_m — who uses which complex.
    communities : every community with a gap — community_id, zone, x_m, y_m, households,
        due_year, need_m2 (the gap before siting), served_m2, gap_remaining_m2,
        fully_served.
    candidates : every candidate site and existing complex — id, source, x_m, y_m,
        capacity_m2, opened, zone (of its street) and reach_m (the straight-line walking reach
        of that zone: radius ÷ detour factor) (for maps).
    kpis : metric, value, unit — households fully served, m² unmet, cost, sites opened.
    outcome : the solver's honest verdict (status, objective, bound, gap).
    build_seconds : time to build the model (pairs in reach + PuLP model).
    n_pairs : community–complex pairs in reach (model size).
    outlines : the data's district outlines, for the map (None: the data has none).
    """

    sites: pd.DataFrame
    allocation: pd.DataFrame
    communities: pd.DataFrame
    candidates: pd.DataFrame
    kpis: pd.DataFrame
    outcome: SolveOutcome
    build_seconds: float = 0.0
    n_pairs: int = 0
    config: SitingConfig = field(default_factory=SitingConfig)
    outlines: DistrictOutlines | None = None

    def kpi(self, metric: str) -> float:
        row = self.kpis.loc[self.kpis["metric"] == metric, "value"]
        if row.empty:
            raise KeyError(metric)
        return float(row.iloc[0])

    @property
    def cost_yuan(self) -> float:
        """Capital plus running cost of the opened sites to the last year."""
        return self.kpi("cost_yuan")

    def summary(self) -> str:
        """The plain-text summary the CLI prints."""
        o = self.outcome
        lines = [f"Siting of service complexes — solver: {o.describe()}",
                 f"  model: {self.n_pairs:,} community–complex pairs in reach, built in "
                 f"{self.build_seconds:.1f} s", ""]
        for r in self.kpis.itertuples():
            value = f"{r.value:,.0f}" if abs(r.value) >= 100 else f"{r.value:,.3g}"
            lines.append(f"  {r.metric:<34}{value:>18} {r.unit}")
        if not self.sites.empty:
            lines += ["", "Sites opened per year:"]
            per_year = self.sites.groupby("year").agg(sites=("site_id", "size"),
                                                      floor_m2=("size_m2", "sum"),
                                                      capital_yuan=("capital_yuan", "sum"))
            for y, r in per_year.iterrows():
                lines.append(f"  {y}: {int(r.sites):4d} sites, {r.floor_m2:10,.0f} m², "
                             f"{r.capital_yuan / 1e6:10,.1f} M yuan capital")
        return "\n".join(lines)

    def write(self, folder: str | Path, *, map_png: bool = True) -> Path:
        """Write the tables as CSV (and a map PNG) into ``folder`` atomically."""
        with atomic_folder(folder, "site") as tmp:
            for name in ("sites", "allocation", "communities", "kpis"):
                write_csv(getattr(self, name), tmp / f"siting_{name}.csv")
            if map_png:  # matplotlib only when a map is drawn
                from wzmodel.plots import map_sites
                from wzmodel.plots.style import save_figure

                save_figure(map_sites(self.communities, self.candidates, self.allocation,
                                      outlines=self.outlines), tmp / "siting_map.png")
        return Path(folder)


# --------------------------------------------------------------------------------------------
# Inputs: demand, supply, distances
# --------------------------------------------------------------------------------------------
def _criterion(standards: Standards, criterion_id: str) -> Criterion:
    for _, c in standards.criteria():
        if c.id == criterion_id:
            return c
    raise InputError([Problem("siting", "a criterion of the standards in force", None,
                              "criterion", criterion_id)])


def onsite_cost_yuan_per_m2(criterion: Criterion, due_year: ArrayLike, last_year: int
                            ) -> np.ndarray:
    """What one m² of ``criterion``'s floor costs when built on site by ``due_year`` (yuan, at
    the standards' unit costs): its capital plus its running cost every year after
    ``due_year`` up to ``last_year`` — the planner's convention (running costs from the year
    after completion), and the siting model's for a complex opened in ``due_year``."""
    after = np.maximum(0, last_year - np.asarray(due_year, dtype=int))
    return criterion.capital_yuan_per_unit + criterion.running_yuan_per_unit_year * after


def siting_demand(dataset: Dataset, config: SitingConfig | None = None, *,
                  standards: Standards | None = None) -> pd.DataFrame:
    """The floor each community lacks: community_id, zone, x_m, y_m, households, need_m2
    (the gap of ``config.criterion``), due_year and penalty_yuan_per_m2 (the price of floor
    left unmet: ``config.unmet_penalty_yuan_per_m2``, or by default the on-site cost,
    :func:`onsite_cost_yuan_per_m2` to ``config.last_year``).

    Only communities with a gap are returned.
    """
    config = config or SitingConfig()
    criterion = _criterion(standards or load_standards(), config.criterion)
    c = dataset.communities
    out = c[["community_id", "zone", "x_m", "y_m", "households"]].copy()
    out["need_m2"] = criterion.gap(c)
    out["due_year"] = out["zone"].map(config.due_year_by_zone).fillna(config.last_year).astype(int)
    out["penalty_yuan_per_m2"] = (
        onsite_cost_yuan_per_m2(criterion, out["due_year"], config.last_year)
        if config.unmet_penalty_yuan_per_m2 is None else config.unmet_penalty_yuan_per_m2)
    return out[out["need_m2"] > 0].reset_index(drop=True)


def _supply(dataset: Dataset, config: SitingConfig) -> pd.DataFrame:
    """Candidate sites and (optionally) existing complexes in one table, with their street's
    zone."""
    zone = dataset.streets.set_index("street_code")["zone"]
    s = dataset.sites
    sites = pd.DataFrame({
        "id": s["site_id"].astype(str), "source": "site", "street_code": s["street_code"],
        "kind": s["kind"], "x_m": s["x_m"].astype(float), "y_m": s["y_m"].astype(float),
        "capacity_m2": s["capacity_m2"].astype(float),
        "capital_yuan": s["capital_cost_yuan"].astype(float),
        "running_yuan_per_year": s["running_cost_yuan_per_year"].astype(float),
        "earliest_year": s["earliest_year"].astype(int)})
    frames = [sites]
    f = multipurpose(dataset.facilities)  # typed facilities serve facility-type minimums
    if config.use_facilities and len(f):
        frames.append(pd.DataFrame({
            "id": f["facility_id"].astype(str), "source": "facility",
            "street_code": f["street_code"], "kind": "existing", "x_m": f["x_m"].astype(float),
            "y_m": f["y_m"].astype(float), "capacity_m2": f["spare_capacity_m2"].astype(float),
            "capital_yuan": 0.0, "running_yuan_per_year": 0.0, "earliest_year": 0}))
    supply = pd.concat(frames, ignore_index=True)
    return supply.assign(zone=supply["street_code"].map(zone))


_DISTANCE_SPEC = TableSpec("distances", "Network distances from communities to complexes.",
                           ("community_id", "site_id"), (
    Column("community_id", "str", description="communities.community_id"),
    Column("site_id", "str", required=False, nullable=True,
           description="sites.site_id or facilities.facility_id"),
    Column("facility_id", "str", required=False, nullable=True,
           description="facilities.facility_id (alternative to site_id)"),
    Column("distance_m", "float", "m", min=0, description="Walking distance, metres"),
))


def read_distances(path: str | Path, dataset: Dataset) -> pd.DataFrame:
    """Read and validate a distance table (community_id, site_id or facility_id, distance_m).

    Returns community_id, id, distance_m. Every unknown community, site or facility, missing
    id and repeated pair is reported with its row and column in one :class:`InputError`.
    Pairs absent from the table are out of reach.
    """
    path = Path(path)
    frame, problems = read_table(path, _DISTANCE_SPEC)
    name = path.name
    if not problems and "site_id" not in frame and "facility_id" not in frame:
        problems.append(Problem(name, "a column 'site_id' or 'facility_id'"))
    if problems:
        raise InputError(problems, "distance table")
    communities = set(dataset.communities["community_id"].astype(str))
    complexes = set(dataset.sites["site_id"].astype(str)) | set(
        dataset.facilities["facility_id"].astype(str))
    site = frame["site_id"].where(frame["site_id"].notna() & (frame["site_id"] != ""))
    target = site.fillna(frame["facility_id"])
    column = np.where(site.notna(), "site_id", "facility_id")
    for r in range(len(frame)):
        row = r + 2
        if frame["community_id"].iloc[r] not in communities:
            problems.append(Problem(name, "a known community (communities.community_id)", row,
                                    "community_id", frame["community_id"].iloc[r]))
        value = target.iloc[r]
        if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
            problems.append(Problem(name, "a site_id or facility_id", row, "site_id"))
        elif value not in complexes:
            problems.append(Problem(name, "a known site (sites.site_id) or existing complex "
                                    "(facilities.facility_id)", row, str(column[r]), value))
    out = pd.DataFrame({"community_id": frame["community_id"], "id": target,
                        "distance_m": frame["distance_m"].astype(float)})
    for r in np.flatnonzero(out.duplicated(["community_id", "id"]).to_numpy()):
        problems.append(Problem(name, "each community–complex pair once", int(r) + 2,
                                "community_id", out["community_id"].iloc[r]))
    if problems:
        raise InputError(problems, "distance table")
    return out


def _pairs_in_reach(demand: pd.DataFrame, supply: pd.DataFrame, config: SitingConfig,
                    distances: pd.DataFrame | None) -> pd.DataFrame:
    """(j, i, distance_m) for every pair within the walking radius of j's zone, sparse."""
    radius = demand["zone"].map(config.radius).to_numpy(dtype=float)
    if distances is not None:
        j_of = pd.Series(np.arange(len(demand)), index=demand["community_id"])
        i_of = pd.Series(np.arange(len(supply)), index=supply["id"])
        d = distances[distances["community_id"].isin(j_of.index) & distances["id"].isin(i_of.index)]
        j = j_of[d["community_id"]].to_numpy()
        i = i_of[d["id"]].to_numpy()
        dist = d["distance_m"].to_numpy(dtype=float)
        keep = dist <= radius[j]
        j, i, dist = j[keep], i[keep], dist[keep]
    else:
        tree = cKDTree(supply[["x_m", "y_m"]].to_numpy(dtype=float))
        parts = []
        for r in np.unique(radius):
            rows = np.flatnonzero(radius == r)
            sub = cKDTree(demand[["x_m", "y_m"]].to_numpy(dtype=float)[rows])
            found = sub.sparse_distance_matrix(tree, r / config.detour_factor,
                                               output_type="ndarray")
            parts.append((rows[found["i"]], found["j"], found["v"] * config.detour_factor))
        j = np.concatenate([p[0] for p in parts]) if parts else np.empty(0, int)
        i = np.concatenate([p[1] for p in parts]) if parts else np.empty(0, int)
        dist = np.concatenate([p[2] for p in parts]) if parts else np.empty(0)
    pairs = pd.DataFrame({"j": j.astype(np.int64), "i": i.astype(np.int64), "distance_m": dist})
    return pairs.sort_values(["j", "i"], ignore_index=True)


def _budget_by_year(budget_yuan: float | Mapping[int, float] | None, years: list[int]
                    ) -> dict[int, float] | None:
    if budget_yuan is None:
        return None
    if isinstance(budget_yuan, Mapping):
        unknown = sorted(int(y) for y in budget_yuan if int(y) not in years)
        if unknown:
            raise InputError([Problem("budget", f"years within {years[0]}–{years[-1]}", None,
                                      "year", unknown[0])])
        out = {int(y): float(b) for y, b in budget_yuan.items()}
    else:
        out = {years[0]: float(budget_yuan)}  # a total, available from the start
    for y, b in out.items():
        if not np.isfinite(b) or b < 0:
            raise InputError([Problem("budget", "a budget ≥ 0 yuan", None, str(y), b)])
    return out


# --------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------
@dataclass(eq=False)
class _Model:
    prob: pulp.LpProblem
    open: dict[tuple[int, int], pulp.LpVariable]
    alloc: list[pulp.LpVariable]
    unmet: list[pulp.LpVariable]


def _expr(terms) -> pulp.LpAffineExpression:
    return pulp.LpAffineExpression(terms)


def _build(demand: pd.DataFrame, supply: pd.DataFrame, pairs: pd.DataFrame, years: list[int],
           budget: dict[int, float] | None, config: SitingConfig) -> _Model:
    sense = pulp.LpMaximize if config.objective == "max_households" else pulp.LpMinimize
    prob = pulp.LpProblem("siting", sense)
    need = demand["need_m2"].to_numpy(dtype=float)
    due = demand["due_year"].to_numpy(dtype=int)
    cap = supply["capacity_m2"].to_numpy(dtype=float)
    capital = supply["capital_yuan"].to_numpy(dtype=float) / MONEY_UNIT
    running = supply["running_yuan_per_year"].to_numpy(dtype=float) / MONEY_UNIT
    is_site = (supply["source"] == "site").to_numpy()
    ids = supply["id"].to_numpy()
    end = years[-1]

    # site opening: only sites that reach somebody and can open by the latest due year
    used = np.unique(pairs["i"].to_numpy())
    last_due = pairs.assign(due=due[pairs["j"].to_numpy()]).groupby("i")["due"].max()
    opens: dict[tuple[int, int], pulp.LpVariable] = {}
    for i in used[is_site[used]]:
        row = []
        for t in years:
            if supply["earliest_year"].iloc[i] <= t <= last_due[i]:
                v = prob.add_variable(f"open_{ids[i]}_{t}", 0, 1, cat=pulp.LpInteger)
                opens[(i, t)] = v
                row.append((v, 1))
        if len(row) > 1:
            prob += (_expr(row) <= 1, f"once_{ids[i]}")

    pj, pi = pairs["j"].to_numpy(), pairs["i"].to_numpy()
    dist_km = pairs["distance_m"].to_numpy(dtype=float) / 1000.0
    cid = demand["community_id"].to_numpy()
    alloc = [prob.add_variable(f"alloc_{ids[i]}_{cid[j]}", 0, float(need[j]))
             for j, i in zip(pj, pi, strict=True)]
    unmet = [prob.add_variable(f"unmet_{cid[j]}", 0, float(need[j])) for j in range(len(demand))]

    opens_of: dict[int, list[tuple[int, pulp.LpVariable]]] = {}
    for (i, t), v in opens.items():
        opens_of.setdefault(i, []).append((t, v))
    by_j: dict[int, list] = {j: [] for j in range(len(demand))}
    by_i: dict[int, list] = {}
    for p, (j, i) in enumerate(zip(pj, pi, strict=True)):
        by_j[j].append((alloc[p], 1))
        by_i.setdefault(i, []).append((alloc[p], 1))
        if is_site[i]:  # open by j's due year, and only then
            early = [(v, -min(need[j], cap[i])) for t, v in opens_of.get(i, ()) if t <= due[j]]
            prob += (_expr([(alloc[p], 1), *early]) <= 0, f"due_{ids[i]}_{cid[j]}")
    for j in range(len(demand)):
        prob += (_expr([*by_j[j], (unmet[j], 1)]) == float(need[j]), f"need_{cid[j]}")
    for i, terms in sorted(by_i.items()):
        if is_site[i]:
            rhs = [(v, -cap[i]) for _t, v in opens_of.get(i, ())]
            prob += (_expr([*terms, *rhs]) <= 0, f"capacity_{ids[i]}")
        else:
            prob += (_expr(terms) <= float(cap[i]), f"spare_{ids[i]}")

    if budget is not None:
        for t in years:
            available = sum(b for y, b in budget.items() if y <= t) / MONEY_UNIT
            spent = [(v, capital[i] + running[i] * (t - s)) for (i, s), v in opens.items()
                     if s <= t]
            if spent:
                prob += (_expr(spent) <= available, f"budget_{t}")
    if config.max_new_sites is not None:
        prob += (_expr([(v, 1) for v in opens.values()]) <= config.max_new_sites, "max_new_sites")

    cost = [(v, capital[i] + running[i] * (end - t)) for (i, t), v in opens.items()]
    walk = [(alloc[p], config.walk_cost_yuan_per_m2_km * dist_km[p] / MONEY_UNIT)
            for p in range(len(alloc))]
    if config.objective == "min_cost":
        penalty = demand["penalty_yuan_per_m2"].to_numpy(dtype=float) / MONEY_UNIT
        prob += _expr([*cost, *walk, *[(u, penalty[j]) for j, u in enumerate(unmet)]])
    else:
        households = demand["households"].to_numpy(dtype=float)
        full = []
        for j in range(len(demand)):
            if not by_j[j]:
                continue
            f = prob.add_variable(f"full_{cid[j]}", 0, 1, cat=pulp.LpInteger)
            prob += (_expr([*by_j[j], (f, -need[j])]) >= 0, f"full_def_{cid[j]}")
            full.append((f, households[j]))
        # a cost term worth less than half a household in total: cheapest of the best plans
        total = sum(a for _, a in cost) + sum(a * need[pj[p]] for p, (_, a) in enumerate(walk))
        eps = 0.5 / max(total, 1.0)
        prob += _expr([*full, *[(v, -eps * a) for v, a in cost],
                       *[(x, -eps * a) for x, a in walk]])
    return _Model(prob, opens, alloc, unmet)


# --------------------------------------------------------------------------------------------
# One call
# --------------------------------------------------------------------------------------------
def site_complexes(dataset: Dataset, config: SitingConfig | None = None, *,
                   budget_yuan: float | Mapping[int, float] | None = None,
                   years: list[int] | None = None,
                   solver: str | SolverOptions | None = None,
                   distances: pd.DataFrame | str | Path | None = None,
                   demand: pd.DataFrame | None = None) -> SitingPlan:
    """Choose which candidate sites open, when, and who uses which complex.

    Parameters
    ----------
    dataset : the validated data (communities, sites, facilities).
    config : :class:`SitingConfig` (radii, detour, objective, price of unmet floor); defaults
        if None.
    budget_yuan : a total (available from the first year) or yuan per year (unspent money
        carries over); capital and running costs of open sites count against it.
    years : years in which sites may open (default ``config.first_year..last_year``).
    solver : None (HiGHS, gap 1e-4), ``"highs"``, ``"cbc"`` or a :class:`SolverOptions`.
    distances : a distance table (path or frame from :func:`read_distances`) instead of
        straight lines × detour factor.
    demand : override of :func:`siting_demand` (e.g. only some communities, own due years
        or penalties); same columns.

    Returns
    -------
    SitingPlan

    Raises
    ------
    InputError
        bad distance table, budget or ``max_new_sites`` (p) — each problem named.
    """
    config = config or SitingConfig()
    years = sorted(years) if years is not None else list(range(config.first_year,
                                                              config.last_year + 1))
    if not years:
        raise InputError([Problem("siting", "at least one year", None, "years")])
    budget = _budget_by_year(budget_yuan, years)
    if isinstance(distances, str | Path):
        distances = read_distances(distances, dataset)
    options = _options(1e-4, None, solver) if not isinstance(solver, SolverOptions) else solver
    if config.max_new_sites is not None:
        try:
            _check_p(config.max_new_sites, len(dataset.sites), 0)
        except SpecificationError as exc:
            raise InputError([Problem("siting", f"a number of new sites from 1 to the "
                                      f"{len(dataset.sites)} candidates ({exc})", None,
                                      "max_new_sites", config.max_new_sites)]) from None

    t0 = time.perf_counter()
    if demand is None:  # on-site floor priced over the same years as the sites' running costs
        demand = siting_demand(dataset, config.model_copy(update={"last_year": years[-1]}))
    else:
        demand = demand.reset_index(drop=True)
    demand = demand.assign(due_year=np.clip(demand["due_year"].to_numpy(int), years[0], years[-1]))
    supply = _supply(dataset, config)
    pairs = _pairs_in_reach(demand, supply, config, distances)
    model = _build(demand, supply, pairs, years, budget, config)
    build_seconds = time.perf_counter() - t0
    outcome = solve(model.prob, options)
    plan = _decode(model, outcome, demand, supply, pairs, years, config, build_seconds)
    return replace(plan, outlines=dataset.outlines)


def _decode(model: _Model, outcome: SolveOutcome, demand: pd.DataFrame, supply: pd.DataFrame,
            pairs: pd.DataFrame, years: list[int], config: SitingConfig,
            build_seconds: float) -> SitingPlan:
    solved = outcome.has_solution
    opened = {i: t for (i, t), v in model.open.items() if solved and (v.varValue or 0) > 0.5}
    floor = np.array([max(0.0, v.varValue or 0.0) if solved else 0.0 for v in model.alloc])
    # a site closed in the solution serves nobody (guards against solver tolerances)
    is_site = (supply["source"] == "site").to_numpy()
    live = np.array([not is_site[i] or i in opened for i in pairs["i"]], dtype=bool)
    floor = np.where(live & (floor > _EPS_M2), floor, 0.0)

    alloc = pairs.assign(floor_m2=floor)[floor > 0]
    allocation = pd.DataFrame({
        "site_or_facility_id": supply["id"].to_numpy()[alloc["i"]],
        "source": supply["source"].to_numpy()[alloc["i"]],
        "community_id": demand["community_id"].to_numpy()[alloc["j"]],
        "floor_m2": alloc["floor_m2"].to_numpy(), "distance_m": alloc["distance_m"].to_numpy()})

    used = np.bincount(alloc["i"], weights=alloc["floor_m2"], minlength=len(supply))
    rows = sorted(opened.items(), key=lambda it: (it[1], supply["id"].iloc[it[0]]))
    s = supply.iloc[[i for i, _ in rows]]
    sites = pd.DataFrame({
        "site_id": s["id"].to_numpy(), "street_code": s["street_code"].to_numpy(),
        "kind": s["kind"].to_numpy(), "year": [t for _, t in rows],
        "size_m2": s["capacity_m2"].to_numpy(), "used_m2": used[[i for i, _ in rows]],
        "capital_yuan": s["capital_yuan"].to_numpy(),
        "running_yuan_per_year": s["running_yuan_per_year"].to_numpy()})

    served = np.bincount(alloc["j"], weights=alloc["floor_m2"], minlength=len(demand))
    need = demand["need_m2"].to_numpy(dtype=float)
    served = np.minimum(served, need)
    communities = demand[["community_id", "zone", "x_m", "y_m", "households", "due_year"]].copy()
    communities["need_m2"] = need
    communities["served_m2"] = served
    communities["gap_remaining_m2"] = np.maximum(0.0, need - served)
    communities["fully_served"] = communities["gap_remaining_m2"] <= 1e-3 * np.maximum(1.0, need)

    candidates = supply[["id", "source", "x_m", "y_m", "capacity_m2"]].copy()
    candidates["opened"] = (candidates["source"] == "facility") & (used > 0)
    candidates.loc[list(opened), "opened"] = True
    candidates["zone"] = supply["zone"]
    candidates["reach_m"] = [config.radius(z) / config.detour_factor if isinstance(z, str)
                             else np.nan for z in supply["zone"]]

    end = years[-1]
    capital = float(sites["capital_yuan"].sum())
    running = float((sites["running_yuan_per_year"] * (end - sites["year"])).sum())
    hh = communities["households"].to_numpy(dtype=float)
    full = communities["fully_served"].to_numpy()
    in_reach = np.isin(np.arange(len(demand)), pairs["j"].to_numpy())
    kpis = pd.DataFrame([
        ("communities_with_gap", len(demand), "communities"),
        ("households_with_gap", float(hh.sum()), "households"),
        ("households_in_reach", float(hh[in_reach].sum()), "households"),
        ("households_fully_served", float(hh[full].sum()), "households"),
        ("communities_fully_served", int(full.sum()), "communities"),
        ("need_m2", float(need.sum()), "m2"),
        ("served_m2", float(served.sum()), "m2"),
        ("unmet_m2", float(communities["gap_remaining_m2"].sum()), "m2"),
        ("served_by_existing_m2", float(allocation.loc[allocation["source"] == "facility",
                                                       "floor_m2"].sum()), "m2"),
        ("sites_opened", len(sites), "sites"),
        ("capital_yuan", capital, "yuan"),
        ("running_to_last_year_yuan", running, "yuan"),
        ("cost_yuan", capital + running, "yuan"),
        ("mean_walk_m", float(np.average(allocation["distance_m"], weights=allocation["floor_m2"]))
         if len(allocation) else 0.0, "m (floor-weighted)"),
    ], columns=["metric", "value", "unit"])
    return SitingPlan(sites, allocation.reset_index(drop=True), communities, candidates, kpis,
                      outcome, build_seconds, len(pairs), config)
