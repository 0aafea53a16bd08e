"""Unit tests of wzmodel.location: hand-checkable cases, brute force, sparse input, errors."""

from __future__ import annotations

import dataclasses
import itertools
import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import REPO

import wzmodel.location as loc
from wzmodel.location import (
    LocationResult,
    SpecificationError,
    build_ufl,
    solve_cfl,
    solve_lscp,
    solve_mclp,
    solve_model,
    solve_pcenter,
    solve_pmedian,
    solve_ufl,
)
from wzmodel.solver import SolverOptions


def line_distance(points, sites) -> np.ndarray:
    """Distances between positions on a line: rows = points, columns = sites."""
    return np.abs(np.asarray(points, float)[:, None] - np.asarray(sites, float)[None, :])


def random_instance(seed: int, n: int, m: int):
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 100, (n, 2))
    sites = rng.uniform(0, 100, (m, 2))
    dist = np.sqrt(((pts[:, None, :] - sites[None, :, :]) ** 2).sum(axis=2))
    weights = rng.integers(1, 10, n).astype(float)
    return dist, weights, rng


# ---------------------------------------------------------------------------------------------
# UFL
# ---------------------------------------------------------------------------------------------
def test_ufl_hand_checked_expensive_site_stays_closed():
    # both open: 10 + 200 + 1 + 1 + 1 = 213; only site 0: 10 + 1 + 1 + 100 = 112;
    # only site 1: 200 + 100 + 100 + 1 = 401
    cost = np.array([[1.0, 100.0], [1.0, 100.0], [100.0, 1.0]])
    r = solve_ufl([10.0, 200.0], cost)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(112.0)
    assert r.open.tolist() == [0]
    assert r.assign.tolist() == [0, 0, 0]
    assert r.kind == "ufl" and r.gap == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ufl_matches_brute_force(seed):
    dist, _, rng = random_instance(seed, 12, 6)
    fixed = rng.uniform(20, 120, 6)
    best = min(
        fixed[list(s)].sum() + dist[:, list(s)].min(axis=1).sum()
        for k in range(1, 7)
        for s in itertools.combinations(range(6), k)
    )
    r = solve_ufl(fixed, dist)
    assert r.objective == pytest.approx(best, abs=1e-6)
    # the decoded plan has exactly the reported cost
    plan = fixed[r.open].sum() + dist[np.arange(12), r.assign].sum()
    assert plan == pytest.approx(r.objective, abs=1e-6)
    assert set(r.assign.tolist()) <= set(r.open.tolist())


# ---------------------------------------------------------------------------------------------
# CFL
# ---------------------------------------------------------------------------------------------
def test_cfl_hand_checked_split_demand():
    # site 0 is cheap but holds only 10 of the 12 units: 2 units (a third of one point's demand)
    # go to site 1. Cost = fixed 1 + 1 + (10/6) * 1 + (2/6) * 10 = 7.
    cost = np.array([[1.0, 10.0], [1.0, 10.0]])
    r = solve_cfl([1.0, 1.0], [10.0, 10.0], [6.0, 6.0], cost)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(7.0)
    assert r.assign.shape == (2, 2)
    np.testing.assert_allclose(r.assign.sum(axis=1), 1.0, atol=1e-9)
    load = (r.assign * np.array([[6.0], [6.0]])).sum(axis=0)
    np.testing.assert_allclose(load, [10.0, 2.0], atol=1e-7)
    assert r.open.tolist() == [0, 1]


def test_cfl_with_ample_capacity_equals_ufl():
    dist, weights, rng = random_instance(7, 15, 5)
    fixed = rng.uniform(50, 150, 5)
    ufl = solve_ufl(fixed, dist)
    cfl = solve_cfl(fixed, 1e6, weights, dist)
    assert cfl.objective == pytest.approx(ufl.objective, abs=1e-6)


def test_cfl_capacity_below_demand_raises():
    with pytest.raises(SpecificationError, match=r"total capacity 10 is below total demand 12"):
        solve_cfl([1.0, 1.0], [5.0, 5.0], [6.0, 6.0], np.ones((2, 2)))


# ---------------------------------------------------------------------------------------------
# p-median
# ---------------------------------------------------------------------------------------------
POSITIONS = [0.0, 1.0, 2.0, 10.0, 11.0]


def test_pmedian_hand_checked():
    # clusters {0, 1, 2} (median at 1, cost 2) and {10, 11} with weights 1, 2 (median at 11,
    # cost 1): total 3, sites 1 and 4.
    dist = line_distance(POSITIONS, POSITIONS)
    r = solve_pmedian(dist, [1, 1, 1, 1, 2], 2)
    assert r.objective == pytest.approx(3.0)
    assert r.open.tolist() == [1, 4]
    assert r.assign.tolist() == [1, 1, 1, 4, 4]


def test_pmedian_existing_site_is_kept_and_counts_towards_p():
    # site 0 is forced: the best second site is 4 (cost 0 + 1 + 2 + 1 + 0 = 4)
    dist = line_distance(POSITIONS, POSITIONS)
    r = solve_pmedian(dist, [1, 1, 1, 1, 2], 2, existing=[0])
    assert r.open.tolist() == [0, 4]
    assert r.objective == pytest.approx(4.0)
    mask = np.array([True, False, False, False, False])
    assert solve_pmedian(dist, [1, 1, 1, 1, 2], 2, existing=mask).open.tolist() == [0, 4]


def test_capacitated_pmedian_hand_checked():
    # all points prefer site 0, which holds only two of them (capacity 10, weight 5 each)
    dist = np.array([[1.0, 3.0], [1.0, 3.0], [1.0, 3.0]])
    free = solve_pmedian(dist, [5, 5, 5], 2)
    assert free.objective == pytest.approx(15.0)
    r = solve_pmedian(dist, [5, 5, 5], 2, capacity=[10, 10])
    assert r.status == "optimal"
    assert r.objective == pytest.approx(25.0)
    assert sorted(r.assign.tolist()) == [0, 0, 1]


def test_capacitated_pmedian_p_sites_too_small_raises():
    dist = np.array([[1.0, 3.0], [1.0, 3.0], [1.0, 3.0]])
    with pytest.raises(SpecificationError, match=r"the 1 largest admissible capacities .* 10"):
        solve_pmedian(dist, [5, 5, 5], 1, capacity=[10, 10])
    with pytest.raises(SpecificationError, match=r"total capacity 8 is below total demand 15"):
        solve_pmedian(dist, [5, 5, 5], 2, capacity=4)


@pytest.mark.parametrize("seed", [11, 12])
def test_pmedian_matches_brute_force(seed):
    dist, weights, _ = random_instance(seed, 14, 7)
    best = min(
        (weights * dist[:, list(s)].min(axis=1)).sum() for s in itertools.combinations(range(7), 3)
    )
    r = solve_pmedian(dist, weights, 3)
    assert r.objective == pytest.approx(best, abs=1e-6)
    assert r.open.size == 3
    assert (weights * dist[np.arange(14), r.assign]).sum() == pytest.approx(best, abs=1e-6)


# ---------------------------------------------------------------------------------------------
# p-center
# ---------------------------------------------------------------------------------------------
def test_pcenter_hand_checked():
    pos = [0.0, 3.0, 7.0, 10.0, 11.0]
    dist = line_distance(pos, pos)
    # one centre: the largest distances from 0, 3, 7, 10, 11 are 11, 8, 7, 10, 11
    r = solve_pcenter(dist, 1)
    assert r.objective == pytest.approx(7.0)
    assert r.open.tolist() == [2]
    # two centres: {0, 10} and {3, 10} both reach everything within 3; nothing does better
    r = solve_pcenter(dist, 2)
    assert r.objective == pytest.approx(3.0)
    assert r.open.tolist() in ([0, 3], [1, 3])
    assert dist[np.arange(5), r.assign].max() == pytest.approx(3.0)


def test_pcenter_existing():
    pos = [0.0, 3.0, 7.0, 10.0, 11.0]
    # with 11 forced open, the best partner is 3 (max distance 4: point 7 to 3 or 11)
    r = solve_pcenter(line_distance(pos, pos), 2, existing=[4])
    assert 4 in r.open.tolist()
    assert r.objective == pytest.approx(4.0)


@pytest.mark.parametrize("seed", [21, 22])
def test_pcenter_matches_brute_force(seed):
    dist, _, _ = random_instance(seed, 15, 7)
    best = min(dist[:, list(s)].min(axis=1).max() for s in itertools.combinations(range(7), 2))
    r = solve_pcenter(dist, 2)
    assert r.objective == pytest.approx(best, abs=1e-6)
    assert dist[np.arange(15), r.assign].max() == pytest.approx(best, abs=1e-6)


# ---------------------------------------------------------------------------------------------
# MCLP
# ---------------------------------------------------------------------------------------------
MCLP_POINTS = [0.0, 1.0, 2.0, 5.0, 6.0, 9.0]
MCLP_WEIGHTS = [1, 1, 1, 3, 3, 1]
MCLP_SITES = [1.0, 5.5, 9.0]  # radius 1: site 0 covers weight 3, site 1 weight 6, site 2 weight 1


def mclp_distance():
    return line_distance(MCLP_POINTS, MCLP_SITES)


@pytest.mark.parametrize(
    ("p", "existing", "expected_open", "expected"),
    [(1, None, [1], 6.0), (1, [0], [0], 3.0), (2, [2], [1, 2], 7.0), (3, None, [0, 1, 2], 10.0)],
)
def test_mclp_hand_checked(p, existing, expected_open, expected):
    r = solve_mclp(mclp_distance(), 1.0, MCLP_WEIGHTS, p, existing=existing)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(expected)
    assert r.open.tolist() == expected_open
    assert np.asarray(MCLP_WEIGHTS)[r.covered].sum() == pytest.approx(expected)
    assert ((r.assign >= 0) == r.covered).all()


@pytest.mark.parametrize(("budget", "expected"), [(2.0, 4.0), (5.0, 6.0), (6.0, 9.0), (7.0, 10.0)])
def test_mclp_budget(budget, expected):
    r = solve_mclp(mclp_distance(), 1.0, MCLP_WEIGHTS, None, site_cost=[1, 5, 1], budget=budget)
    assert r.objective == pytest.approx(expected)
    assert np.asarray([1, 5, 1])[r.open].sum() <= budget


def test_mclp_budget_does_not_charge_existing_sites():
    r = solve_mclp(mclp_distance(), 1.0, MCLP_WEIGHTS, None, site_cost=[1, 5, 1], budget=2.0,
                   existing=[1])
    assert r.open.tolist() == [0, 1, 2]
    assert r.objective == pytest.approx(10.0)


@pytest.mark.parametrize("seed", [31, 32])
def test_mclp_matches_brute_force(seed):
    dist, weights, _ = random_instance(seed, 30, 8)
    radius = 25.0
    cover = dist <= radius
    best = max(weights[cover[:, list(s)].any(axis=1)].sum()
               for s in itertools.combinations(range(8), 3))
    r = solve_mclp(dist, radius, weights, 3)
    assert r.objective == pytest.approx(best)
    np.testing.assert_array_equal(r.covered, cover[:, r.open].any(axis=1))
    np.testing.assert_array_equal(r.uncoverable, np.flatnonzero(~cover.any(axis=1)))


# ---------------------------------------------------------------------------------------------
# LSCP
# ---------------------------------------------------------------------------------------------
def test_lscp_reports_uncoverable_points():
    points = [*MCLP_POINTS, 20.0]  # the point at 20 is out of every site's reach
    r = solve_lscp(line_distance(points, MCLP_SITES), 1.0)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(3.0)
    assert r.uncoverable.tolist() == [6]
    assert r.covered.tolist() == [True] * 6 + [False]
    assert r.assign[6] == -1


def test_lscp_existing_and_costs():
    dist = line_distance(MCLP_POINTS, [1.0, 5.5, 9.0, 7.0])  # site 3 at 7 covers only point 6
    r = solve_lscp(dist, 1.0, existing=[1])
    assert r.objective == pytest.approx(2.0)  # only the new sites 0 and 2 are counted
    assert r.open.tolist() == [0, 1, 2]
    r = solve_lscp(dist, 2.0, site_cost=[1, 1, 5, 1])  # radius 2: site 3 reaches 5 and 9
    assert r.open.tolist() == [0, 3]
    assert r.objective == pytest.approx(2.0)


@pytest.mark.parametrize("seed", [41, 42])
def test_lscp_matches_brute_force(seed):
    dist, _, _ = random_instance(seed, 25, 9)
    radius = 30.0
    cover = dist <= radius
    need = cover.any(axis=1)
    best = min(
        k for k in range(1, 10) for s in itertools.combinations(range(9), k)
        if cover[:, list(s)].any(axis=1)[need].all()
    )
    r = solve_lscp(dist, radius)
    assert r.objective == pytest.approx(best)
    assert r.covered[need].all()


# ---------------------------------------------------------------------------------------------
# Sparse input
# ---------------------------------------------------------------------------------------------
def test_sparse_and_dense_give_the_same_answers():
    dist, weights, rng = random_instance(51, 20, 6)
    dist[dist > 45] = np.inf  # out of reach
    dist[3, 2] = 0.0  # a real zero distance, which the sparse matrix must keep
    finite = np.isfinite(dist)
    rows, cols = np.nonzero(finite)
    sparse = sp.csr_matrix((dist[rows, cols], (rows, cols)), shape=dist.shape)
    assert sparse.nnz == finite.sum()  # the explicit zero is stored
    fixed = rng.uniform(10, 50, 6)
    for fn in (
        lambda d: solve_pmedian(d, weights, 3),
        lambda d: solve_ufl(fixed, d),
        lambda d: solve_pcenter(d, 3),
        lambda d: solve_mclp(d, 30.0, weights, 2),
        lambda d: solve_lscp(d, 30.0),
    ):
        a, b = fn(dist), fn(sparse)
        assert a.status == b.status == "optimal"
        assert a.objective == pytest.approx(b.objective, abs=1e-9)
        np.testing.assert_array_equal(a.assign, b.assign)
    for fmt in ("coo", "csc", "lil", "dok"):
        r = solve_pmedian(sparse.asformat(fmt), weights, 3)
        assert r.objective == pytest.approx(solve_pmedian(dist, weights, 3).objective)


def test_absent_sparse_entry_means_unreachable_not_zero():
    # point 0 can only reach site 1. Read as distance 0, site 0 would win (cost 0 + 1 = 1).
    dist = sp.coo_matrix(([5.0, 1.0, 2.0], ([0, 1, 1], [1, 0, 1])), shape=(2, 2))
    r = solve_pmedian(dist, [1, 1], 1)
    assert r.open.tolist() == [1]
    assert r.objective == pytest.approx(7.0)


def test_explicit_sparse_zero_is_a_real_distance():
    # stored zeros cover with radius 0; the absent pairs do not
    dist = sp.csr_matrix((np.zeros(3), ([0, 1, 2], [0, 0, 1])), shape=(3, 2))
    r = solve_lscp(dist, 0.0)
    assert r.open.tolist() == [0, 1]
    assert r.uncoverable.size == 0
    assert r.assign.tolist() == [0, 0, 1]


def test_sparse_duplicate_entries_are_refused():
    dist = sp.coo_matrix(([1.0, 2.0], ([0, 0], [0, 0])), shape=(1, 1))
    with pytest.raises(SpecificationError, match="more than once"):
        solve_pmedian(dist, [1], 1)


def test_no_site_in_reach_raises():
    dist = np.array([[1.0, 2.0], [np.inf, np.inf]])
    with pytest.raises(SpecificationError, match=r"demand point\(s\) \[1\]"):
        solve_ufl([1, 1], dist)


def test_infeasible_set_of_p_sites_is_reported_not_raised():
    # every point has a site in reach, but no single site reaches both
    dist = np.array([[1.0, np.inf], [np.inf, 1.0]])
    r = solve_pmedian(dist, [1, 1], 1)
    assert r.status == "infeasible"
    assert r.objective is None and not r.has_solution
    assert r.assign.tolist() == [-1, -1] and r.open.size == 0


# ---------------------------------------------------------------------------------------------
# Specification errors (raised before any solve)
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def no_solve(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the solver must not be called for an impossible specification")

    monkeypatch.setattr(loc, "solve", refuse)


D3 = line_distance([0.0, 1.0, 2.0], [0.0, 2.0])
W3 = [1, 1, 1]

SPEC_ERRORS = [
    (lambda: solve_pmedian(D3, W3, 3), r"p = 3 exceeds the number of candidate sites \(2\)"),
    (lambda: solve_pmedian(D3, W3, 0), r"p = 0 must be at least 1"),
    (lambda: solve_pcenter(D3, 5), r"p = 5 exceeds the number of candidate sites \(2\)"),
    (lambda: solve_mclp(D3, 1.0, W3, 3), r"p = 3 exceeds"),
    (lambda: solve_pmedian(D3, W3, 1, existing=[0, 1]),
     r"p = 1 is smaller than the number of existing sites \(2\)"),
    (lambda: solve_pmedian(D3, W3, 1, existing=[5]), r"existing site index 5 is out of range"),
    (lambda: solve_ufl([1.0, -2.0], D3), r"fixed_cost must not be negative; fixed_cost\[1\] = -2"),
    (lambda: solve_ufl([1.0, 2.0], -D3 - 1), r"cost must not be negative; cost\[0, 0\] = -1"),
    (lambda: solve_pmedian(D3, [1, -1, 1], 1), r"weights must not be negative"),
    (lambda: solve_pmedian(D3, [1, 1], 1),
     r"weights must have one entry per demand point \(rows of distance\) \(3\)"),
    (lambda: solve_ufl([1.0, 2.0, 3.0], D3), r"fixed_cost must have one entry per site"),
    (lambda: solve_cfl([1, 1], [1, 1], [1, 1], D3),
     r"demand must have one entry per demand point"),
    (lambda: solve_cfl([1, 1], [1, 1], W3, D3), r"total capacity 2 is below total demand 3"),
    (lambda: solve_pmedian(np.where(D3 > 1, np.nan, D3), W3, 1), r"contains NaN"),
    (lambda: solve_pmedian(D3, [1, np.nan, 1], 1), r"weights contains NaN"),
    (lambda: solve_pmedian(D3[0], [1], 1), r"must be a 2-D"),
    (lambda: solve_mclp(D3, -1.0, W3, 1), r"radius must not be negative"),
    (lambda: solve_mclp(D3, 1.0, W3, None), r"give p"),
    (lambda: solve_mclp(D3, 1.0, W3, None, budget=3.0), r"a budget needs site_cost"),
    (lambda: solve_mclp(D3, 1.0, W3, 1, site_cost=[1, 1]), r"only used together"),
    (lambda: solve_lscp(D3, 1.0, site_cost=[1, -1]), r"site_cost must not be negative"),
    (lambda: solve_pmedian(D3, W3, 2.5), r"p must be an integer"),
]


@pytest.mark.parametrize(("call", "message"), SPEC_ERRORS)
def test_specification_errors(no_solve, call, message):
    with pytest.raises(SpecificationError, match=message):
        call()


def test_specification_error_is_a_value_error():
    assert issubclass(SpecificationError, ValueError)


# ---------------------------------------------------------------------------------------------
# Solver options, result object, output
# ---------------------------------------------------------------------------------------------
def test_solver_options_are_passed_and_conflicts_refused():
    cost = np.array([[1.0, 100.0], [1.0, 100.0], [100.0, 1.0]])
    r = solve_ufl([10.0, 200.0], cost, solver=SolverOptions(gap=0.0, time_limit=30))
    assert r.objective == pytest.approx(112.0)
    with pytest.raises(ValueError, match="inside the SolverOptions"):
        solve_ufl([10.0, 200.0], cost, gap=0.1, solver=SolverOptions())
    with pytest.raises(ValueError, match="unknown solver"):
        solve_ufl([10.0, 200.0], cost, solver="gurobi")


def test_build_then_solve_and_result_is_immutable():
    cost = np.array([[1.0, 100.0], [1.0, 100.0], [100.0, 1.0]])
    model = build_ufl([10.0, 200.0], cost)
    assert model.n_pairs == 6 and model.build_seconds >= 0
    r = solve_model(model)
    assert isinstance(r, LocationResult) and r.objective == pytest.approx(112.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.objective = 0.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        r.assign[0] = 1
    assert r.outcome is not None and r.outcome.status == r.status


def test_build_restores_the_garbage_collector_state():
    import gc

    cost = np.array([[1.0, 100.0], [1.0, 100.0]])
    assert gc.isenabled()
    build_ufl([1.0, 1.0], cost)
    assert gc.isenabled()
    gc.disable()
    try:
        build_ufl([1.0, 1.0], cost)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_solve_prints_nothing(capfd):
    dist, weights, _ = random_instance(61, 10, 4)
    solve_pmedian(dist, weights, 2)
    solve_mclp(dist, 30.0, weights, 2, solver="cbc")
    out, err = capfd.readouterr()
    assert out == ""
    assert err == ""


def test_first_solve_in_a_fresh_process_prints_nothing():
    code = (
        "import numpy as np\n"
        "from wzmodel.location import solve_pmedian\n"
        "r = solve_pmedian(np.array([[1.0, 2.0], [2.0, 1.0]]), [1, 1], 1)\n"
        "assert r.status == 'optimal'\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                         env=env, check=False, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""


# ---------------------------------------------------------------------------------------------
# Sparse building
# ---------------------------------------------------------------------------------------------
def test_models_hold_only_the_pairs_in_reach():
    dist, weights, _ = random_instance(71, 40, 10)
    radius = 20.0
    model = loc.build_mclp(dist, radius, weights, 3)
    in_reach = int((dist <= radius).sum())
    assert model.n_pairs == in_reach
    coverable = int((dist <= radius).any(axis=1).sum())
    assert len(model.prob.variables()) == 10 + coverable  # y per site, z per coverable point
    far = np.where(dist <= np.maximum(40.0, dist.min(axis=1, keepdims=True)), dist, np.inf)
    assert np.isinf(far).any()
    model = loc.build_pmedian(far, weights, 3)
    assert model.n_pairs == int(np.isfinite(far).sum())
    assert len(model.x) == model.n_pairs


def test_large_sparse_matrix_builds_without_touching_every_cell():
    # 20,000 x 3,000 = 60 million cells but only ~80,000 stored pairs: a loop over all cells
    # would take minutes, the sparse build about a second
    rng = np.random.default_rng(5)
    n, m, extra = 20_000, 3_000, 60_000
    rows = np.concatenate([np.arange(n), rng.integers(0, n, extra)])
    cols = np.concatenate([rng.integers(0, m, n), rng.integers(0, m, extra)])
    key = np.unique(rows * m + cols)
    dist = sp.csr_matrix((rng.uniform(0, 10, key.size), (key // m, key % m)), shape=(n, m))
    model = loc.build_pmedian(dist, np.ones(n), 100)
    assert model.n_pairs == dist.nnz
    assert model.build_seconds < 20.0
