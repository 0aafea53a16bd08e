"""wzmodel.location against public benchmark instances with published optima.

Instances and optima: data/benchmarks/README.md. The OR-Library optima are parsed from the
tables shipped with the instances (uncapopt.txt, capopt.txt); they carry three decimals, hence
the absolute tolerance of 1e-3. Every exact check solves with a relative gap of 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import BENCHMARKS

from wzmodel.benchmarks import (
    read_mknap,
    read_optima,
    read_orlib_facility,
    read_orlib_scp,
    read_sf_mclp,
)
from wzmodel.location import SpecificationError, solve_cfl, solve_lscp, solve_mclp, solve_ufl

UFL = BENCHMARKS / "orlib_ufl"
CFL = BENCHMARKS / "orlib_cfl"
SCP = BENCHMARKS / "orlib_scp"

UFL_INSTANCES = [f"cap{k}{i}" for k in (7, 10, 13) for i in (1, 2, 3, 4)]
CFL_INSTANCES = [f"cap{k}1" for k in (4, 5, 6, 7, 8, 9, 10, 11, 12, 13)]
# Beasley (1987) optimal costs, as listed in data/benchmarks/README.md (the instances carry none)
SCP_OPTIMA = {
    "scp41": 429, "scp42": 512, "scp43": 516, "scp44": 494, "scp45": 512,
    "scp46": 560, "scp47": 430, "scp48": 492, "scp49": 641, "scp410": 514,
    "scp51": 253, "scp52": 302, "scp53": 226, "scp54": 242, "scp55": 211,
    "scp56": 213, "scp57": 293, "scp58": 288, "scp59": 279, "scp510": 265,
}


@pytest.fixture(scope="module")
def ufl_optima() -> dict[str, float]:
    return read_optima(UFL / "uncapopt.txt")


@pytest.fixture(scope="module")
def cfl_optima() -> dict[str, float]:
    return read_optima(CFL / "capopt.txt")


def test_optimum_tables_parse():
    ufl = read_optima(UFL / "uncapopt.txt")
    assert ufl["cap71"] == 932615.750 and ufl["capa"] == 17156454.478
    cfl = read_optima(CFL / "capopt.txt")
    assert cfl["cap41"] == 1040444.375 and set(CFL_INSTANCES) <= set(cfl)


def test_orlib_facility_reader_shapes_and_leading_dot_numbers():
    capacity, fixed, demand, cost = read_orlib_facility(UFL / "cap71.txt")
    assert capacity.shape == fixed.shape == (16,)
    assert demand.shape == (50,) and cost.shape == (50, 16)
    assert fixed[10] == 0.0 and fixed[0] == 7500.0  # "0." and "7500." in the file
    assert demand[0] == 146 and cost[0, 0] == pytest.approx(6739.725)


@pytest.mark.parametrize("name", UFL_INSTANCES)
def test_orlib_ufl_optimum(name, ufl_optima):
    _capacity, fixed, _demand, cost = read_orlib_facility(UFL / f"{name}.txt")
    r = solve_ufl(fixed, cost, gap=0.0)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(ufl_optima[name], abs=1e-3)
    assert (r.assign >= 0).all()


@pytest.mark.parametrize("name", CFL_INSTANCES)
def test_orlib_cfl_optimum(name, cfl_optima):
    capacity, fixed, demand, cost = read_orlib_facility(CFL / f"{name}.txt")
    r = solve_cfl(fixed, capacity, demand, cost, gap=0.0)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(cfl_optima[name], abs=1e-3)
    # the plan is feasible: demand fully served, capacities respected, only open sites used
    np.testing.assert_allclose(r.assign.sum(axis=1), 1.0, atol=1e-6)
    load = demand @ r.assign
    assert (load <= capacity + 1e-5).all()
    closed = np.setdiff1d(np.arange(fixed.size), r.open)
    assert np.abs(r.assign[:, closed]).max(initial=0.0) <= 1e-9


def test_spopt_san_francisco_mclp():
    distance, weights, _tracts, stores = read_sf_mclp(BENCHMARKS / "spopt_sf_mclp")
    assert distance.shape == (205, 16) and np.isfinite(distance).all()
    r = solve_mclp(distance, 5000, weights, 4, gap=0.0)
    assert r.status == "optimal"
    assert int((~r.covered).sum()) == 21
    assert r.objective == pytest.approx(875_247)
    assert weights.sum() == pytest.approx(955_113)
    expected = ["Store_2", "Store_11", "Store_12", "Store_15"]
    assert sorted(stores[i] for i in r.open) == sorted(expected)
    assert r.uncoverable.size == 0 or not r.covered[r.uncoverable].any()
    too_many = r"p = 17 exceeds the number of candidate sites \(16\)"
    with pytest.raises(SpecificationError, match=too_many):
        solve_mclp(distance, 5000, weights, 17)


def scp_as_distance(path: Path) -> tuple[np.ndarray, sp.coo_matrix]:
    """A set-covering instance as a sparse distance matrix: 0 stored where a column covers a row."""
    costs, rows = read_orlib_scp(path)
    r = np.repeat(np.arange(len(rows)), [len(cols) for cols in rows])
    c = np.concatenate([np.asarray(cols, dtype=np.int64) for cols in rows])
    return costs, sp.coo_matrix((np.zeros(r.size), (r, c)), shape=(len(rows), costs.size))


def test_scp_reader():
    costs, rows = read_orlib_scp(SCP / "scp41.txt")
    assert costs.shape == (1000,) and len(rows) == 200
    assert min(min(r) for r in rows) == 0 and max(max(r) for r in rows) == 999


@pytest.mark.parametrize("name", list(SCP_OPTIMA))
def test_orlib_weighted_set_covering_optimum(name):
    costs, distance = scp_as_distance(SCP / f"{name}.txt")
    r = solve_lscp(distance, 0.0, site_cost=costs, gap=0.0)
    assert r.status == "optimal"
    assert r.uncoverable.size == 0 and r.covered.all()
    assert r.objective == pytest.approx(SCP_OPTIMA[name], abs=1e-6)
    assert costs[r.open].sum() == pytest.approx(SCP_OPTIMA[name], abs=1e-6)


def test_cbc_reaches_the_same_optima(ufl_optima):
    _capacity, fixed, _demand, cost = read_orlib_facility(UFL / "cap71.txt")
    r = solve_ufl(fixed, cost, solver="cbc")
    assert r.outcome is not None and r.outcome.solver == "cbc"
    assert r.status == "optimal"
    assert r.objective == pytest.approx(ufl_optima["cap71"], abs=1e-3)
    costs, distance = scp_as_distance(SCP / "scp41.txt")
    r = solve_lscp(distance, 0.0, site_cost=costs, solver="cbc")
    assert r.outcome.solver == "cbc" and r.objective == pytest.approx(429)


def test_mknap_reader_and_knapsack_optima_table():
    problems = read_mknap(BENCHMARKS / "orlib_mknap" / "mknap1.txt")
    assert [p[3] for p in problems] == [3800, 8706.1, 4015, 6120, 12400, 10618, 16537]
    values, weights, capacities, _ = problems[0]
    assert values.shape == (6,) and weights.shape == (10, 6) and capacities.shape == (10,)
    assert values.tolist() == [100, 600, 1200, 2400, 500, 2000]
    cb = read_mknap(BENCHMARKS / "orlib_mknap" / "mknapcb1.txt")
    assert len(cb) == 30 and cb[0][1].shape == (5, 100)
    best = read_optima(BENCHMARKS / "orlib_mknap" / "mkcbres.txt")
    assert best["5.100-00"] == 24381 and best["5.100-04"] == 23991  # first table, not the LP one
