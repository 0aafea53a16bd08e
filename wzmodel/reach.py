"""Facilities within walking reach: which shortfalls of facility-type minimums existing
facilities serve.

A criterion with a ``facility_type`` (``wzmodel/standards/basic.toml``) is met for a committee
when facilities of that type with spare capacity lie within the walking radius of its zone. The
committee's own floor counts first (its indicator); the rest — its *shortfall*, the criterion's
gap — is served, as far as it can be, by the spare capacity of facilities of the type
(``facilities.type``) within reach. Only what nothing within reach serves is a gap.

Reach
    Facility i reaches committee j when the walking distance — the straight line between their
    points × the detour factor — is at most the radius of the criterion's reach class for j's
    zone (the standards' ``[reach]`` table). Only pairs within reach are found (k-d tree).

Allocation (exact, deterministic)
    Spare capacity is consumed: what a facility gives one committee it cannot give the next.
    One transportation LP over every facility-type criterion at once — variables ``a_p ≥ 0``,
    the floor (m²) facility i gives to the shortfall k of a committee and criterion, one per
    pair within reach::

        Σ_{i} a_ki ≤ s_k     (no more than the shortfall, in m²: gap × m2_per_unit)
        Σ_{k} a_ki ≤ K_i     (no more than the facility's spare capacity)

    is solved twice (HiGHS): first the most floor served,
    ``F = max Σ a``; then, with ``Σ a ≥ F`` kept, the least floor-metres walked,
    ``min Σ d_ki a_ki``. So no shortfall is left that spare capacity within reach could serve
    (served floor is gap closed: it costs nothing), and among the ways of serving that much,
    committees are served from the nearest facilities. The pairs enter the LP in a fixed order
    (criterion, committee id, facility id), so the same data give the same answer. Shortfalls
    are divisible: a facility with 80 m² to spare serves 80 m² of a 200 m² nursery gap and
    leaves 120 m².

Facilities with a blank type are multi-purpose service complexes: the siting of service
complexes (:mod:`wzmodel.siting`) counts their spare floor for the committee's own service
floor, which is not a facility-type minimum; the reach rule does not use them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from wzmodel.schema import Problem
from wzmodel.solver import SolverOptions
from wzmodel.solver.highs import highs_instance, highs_model, highs_status
from wzmodel.standards import Criterion, Standards

__all__ = ["Served", "facility_type", "multipurpose", "reach_table", "serve_within_reach",
           "type_problems"]


def facility_type(facilities: pd.DataFrame) -> pd.Series:
    """Each facility's type, "" for a multi-purpose complex (blank cell, or no ``type``
    column: data written before facilities had types)."""
    if "type" not in facilities:
        return pd.Series("", index=facilities.index, dtype=object)
    kind = facilities["type"]
    return kind.where(kind.notna(), "").astype(str).str.strip()


def multipurpose(facilities: pd.DataFrame) -> pd.DataFrame:
    """The multi-purpose service complexes (blank type) — what the siting counts."""
    return facilities[(facility_type(facilities) == "").to_numpy()]


def type_problems(facilities: pd.DataFrame, standards: Standards, label: str) -> list[Problem]:
    """A facility type no criterion names is a problem (row, column ``type``, value)."""
    known = standards.facility_types()
    kind = facility_type(facilities)
    expected = (f"a facility type of the standards ({', '.join(known)}) or blank (a "
                "multi-purpose service complex)")
    return [Problem(label, expected, int(r) + 2, "type", kind.iloc[r])
            for r in np.flatnonzero(((kind != "") & ~kind.isin(known)).to_numpy())]


def reach_table(standards: Standards) -> pd.DataFrame:
    """The walking reach of the facility-type minimums, for the assumptions of a workbook: one
    row per criterion with a facility type — its type, reach class and radius (walking m) by
    zone — and the detour factor and source of the ``[reach]`` table."""
    reach = standards.reach
    rows = [{"criterion_id": c.id, "facility_type": c.facility_type, "reach": c.reach,
             **{f"{z}_m": reach.radius_m[c.reach][z] for z in reach.radius_m[c.reach]},
             "detour_factor": reach.detour_factor,
             "source": ("assumed: " if reach.assumed else "") + reach.source}
            for _, c in standards.criteria() if c.reach is not None and reach is not None]
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Served:
    """What facilities within reach give.

    Attributes
    ----------
    allocation : one row per committee, criterion and facility giving it floor —
        ``community_id``, ``class``, ``criterion_id``, ``facility_type``, ``facility_id``,
        ``distance_m`` (walking), ``served_m2`` (facility floor given) and ``served`` (the same
        in the criterion's gap unit).
    amount : ``{criterion_id: array}`` — per committee (rows of the communities table), the
        shortfall served, in the criterion's gap unit.
    community_ids : the committees of those rows.
    """

    allocation: pd.DataFrame
    amount: dict[str, np.ndarray]
    community_ids: np.ndarray

    def restricted(self, keep: np.ndarray) -> Served:
        """Only the committees of the bool mask ``keep`` (rows of the communities table)."""
        ids = self.community_ids[keep]
        return Served(self.allocation[self.allocation["community_id"].isin(set(ids))]
                      .reset_index(drop=True), {k: v[keep] for k, v in self.amount.items()}, ids)


_ALLOCATION_COLUMNS = ["community_id", "class", "criterion_id", "facility_type", "facility_id",
                       "distance_m", "served_m2", "served"]


def serve_within_reach(communities: pd.DataFrame, facilities: pd.DataFrame, standards: Standards,
                       shortfall: dict[str, np.ndarray], *,
                       keep: np.ndarray | pd.Series | None = None) -> Served:
    """Serve the shortfalls of the facility-type minimums from the facilities within reach.

    Parameters
    ----------
    communities : community_id, zone, x_m, y_m (rows in the order of the shortfall arrays).
    facilities : the ``facilities`` table (facility_id, x_m, y_m, spare_capacity_m2, type).
    standards : the standards in force (criteria with their facility type and reach class;
        the ``[reach]`` radii).
    shortfall : ``{criterion_id: gap per committee}`` of the criteria with a facility type
        (0 where nothing is missing, e.g. a committee listed as complete).
    keep : bool mask of the committees whose allocation is wanted (an area planned); None:
        every committee. Only the connected parts of the reach graph (committees and
        facilities linked by pairs within reach) that touch one of them are solved: the others
        cannot change what they get, so the kept committees get what they get city-wide (up to
        ties between equally short walks).
    """
    kind = facility_type(facilities).to_numpy()
    criteria = [(k, c) for k, c in standards.criteria()
                if c.facility_type is not None and c.id in shortfall]
    amount = {c.id: np.zeros(len(communities)) for _, c in criteria}
    reach = standards.reach
    pairs = []  # (criterion index, committee row, facility row, distance, shortfall m²)
    for n, (_, c) in enumerate(criteria):
        need = np.asarray(shortfall[c.id], dtype=float) * c.floor_per_unit
        rows = np.flatnonzero(need > 0)
        offer = np.flatnonzero((kind == c.facility_type)
                               & (facilities["spare_capacity_m2"].to_numpy(dtype=float) > 0))
        if not len(rows) or not len(offer) or reach is None:
            continue
        j, i, d = _within_reach(communities.iloc[rows], facilities.iloc[offer], c, standards)
        pairs.append(pd.DataFrame({"n": n, "j": rows[j], "i": offer[i], "distance_m": d}))
    ids = communities["community_id"].to_numpy()
    if not pairs:
        return Served(pd.DataFrame(columns=_ALLOCATION_COLUMNS), amount, ids)
    p = pd.concat(pairs, ignore_index=True)
    if keep is not None:
        p = p[_touching(p, np.asarray(keep, dtype=bool))].reset_index(drop=True)
        if p.empty:
            return Served(pd.DataFrame(columns=_ALLOCATION_COLUMNS), amount, ids)
    p["community_id"] = communities["community_id"].to_numpy()[p["j"]]
    p["facility_id"] = facilities["facility_id"].astype(str).to_numpy()[p["i"]]
    p = p.sort_values(["n", "community_id", "facility_id"], kind="stable", ignore_index=True)
    p["need"] = [float(shortfall[criteria[n][1].id][j]) * criteria[n][1].floor_per_unit
                 for n, j in zip(p["n"], p["j"], strict=True)]
    flow = _transport(p, facilities["spare_capacity_m2"].to_numpy(dtype=float))
    p["served_m2"] = flow
    p = p[p["served_m2"] > 1e-6].copy()
    per_unit = np.array([criteria[n][1].floor_per_unit for n in p["n"]])
    p["served"] = p["served_m2"] / per_unit
    for n, (_, c) in enumerate(criteria):
        sub = p[p["n"] == n]
        np.add.at(amount[c.id], sub["j"].to_numpy(), sub["served"].to_numpy())
        # never more than the shortfall (LP tolerance)
        amount[c.id] = np.minimum(amount[c.id], np.asarray(shortfall[c.id], dtype=float))
    p["class"] = [criteria[n][0] for n in p["n"]]
    p["criterion_id"] = [criteria[n][1].id for n in p["n"]]
    p["facility_type"] = [criteria[n][1].facility_type for n in p["n"]]
    return Served(p[_ALLOCATION_COLUMNS].reset_index(drop=True), amount, ids)


def _touching(pairs: pd.DataFrame, keep: np.ndarray) -> np.ndarray:
    """Mask of the pairs in the connected parts of the reach graph (nodes: shortfalls — a
    committee and criterion — and facilities) that hold a kept committee's shortfall."""
    demand_key = pairs["n"].to_numpy() * (int(pairs["j"].max()) + 1) + pairs["j"].to_numpy()
    _, demand = np.unique(demand_key, return_inverse=True)
    _, supply = np.unique(pairs["i"].to_numpy(), return_inverse=True)
    nd, ns = int(demand.max()) + 1, int(supply.max()) + 1
    graph = sp.csr_matrix((np.ones(len(pairs)), (demand, nd + supply)), shape=(nd + ns, nd + ns))
    _, label = connected_components(graph, directed=False)
    wanted = np.unique(label[demand[keep[pairs["j"].to_numpy()]]])
    return np.isin(label[demand], wanted)


def _within_reach(demand: pd.DataFrame, offer: pd.DataFrame, criterion: Criterion,
                  standards: Standards) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(demand row, offer row, walking distance) of every pair within reach."""
    reach = standards.reach
    assert reach is not None and criterion.reach is not None
    radius = reach.radius(criterion.reach, demand["zone"].to_numpy())
    tree = cKDTree(offer[["x_m", "y_m"]].to_numpy(dtype=float))
    xy = demand[["x_m", "y_m"]].to_numpy(dtype=float)
    parts = []
    for r in np.unique(radius):
        rows = np.flatnonzero(radius == r)
        found = cKDTree(xy[rows]).sparse_distance_matrix(tree, r / reach.detour_factor,
                                                          output_type="ndarray")
        parts.append((rows[found["i"]], found["j"], found["v"] * reach.detour_factor))
    return (np.concatenate([q[0] for q in parts]).astype(np.int64),
            np.concatenate([q[1] for q in parts]).astype(np.int64),
            np.concatenate([q[2] for q in parts]))


def _transport(pairs: pd.DataFrame, capacity: np.ndarray) -> np.ndarray:
    """Floor given along each pair: the most floor served, then the least floor-metres walked
    (the two LPs of the module docstring)."""
    m = len(pairs)
    demand_key = pairs["n"].to_numpy() * (int(pairs["j"].max()) + 1) + pairs["j"].to_numpy()
    demand_rows, demand_index = np.unique(demand_key, return_inverse=True)
    supply_rows, supply_index = np.unique(pairs["i"].to_numpy(), return_inverse=True)
    need = np.zeros(len(demand_rows))
    need[demand_index] = pairs["need"].to_numpy()
    cols = np.arange(m)
    a = sp.vstack([
        sp.csr_matrix((np.ones(m), (demand_index, cols)), shape=(len(demand_rows), m)),
        sp.csr_matrix((np.ones(m), (supply_index, cols)), shape=(len(supply_rows), m)),
    ]).tocsr()
    upper = np.concatenate([need, capacity[supply_rows]])
    h = highs_instance(SolverOptions())
    h.passModel(highs_model(-np.ones(m), np.zeros(m), np.full(m, np.inf),
                            np.full(len(upper), -np.inf), upper, a, maximize=False))
    served = -_run(h)
    # keep that much served; walk the least. Solved afresh by the primal simplex: from the first
    # basis the (dual) simplex took 1.3 s on the Shanghai data, afresh 0.45 s, primal 0.3 s
    h.addRow(served, np.inf, m, cols.astype(np.int32), np.ones(m))
    h.changeColsCost(m, cols.astype(np.int32), pairs["distance_m"].to_numpy(dtype=float))
    h.clearSolver()
    h.setOptionValue("simplex_strategy", 4)  # primal
    _run(h)
    return np.maximum(np.asarray(h.getSolution().col_value, dtype=float), 0.0)


def _run(h) -> float:
    h.run()
    status, message = highs_status(h)
    if status != "optimal":  # zero flow is feasible and the flow is bounded: cannot happen
        raise RuntimeError(f"the allocation of facilities within reach failed: {message}")
    return float(h.getInfo().objective_function_value)
