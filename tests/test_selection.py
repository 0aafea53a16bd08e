"""Tests for wzmodel.selection.solve_mkp (0–1 multidimensional knapsack)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import BENCHMARKS

from wzmodel.benchmarks import read_mknap
from wzmodel.selection import SelectionInputError, SelectionResult, solve_mkp
from wzmodel.solver import SolverOptions

MKNAP_DIR = BENCHMARKS / "orlib_mknap"
MKNAP1 = read_mknap(MKNAP_DIR / "mknap1.txt")


def _brute_force(values, weights, capacities) -> float:
    """Best value over all 2^n selections (for small n)."""
    v, w, c = np.asarray(values, float), np.asarray(weights, float), np.asarray(capacities, float)
    n = v.size
    best = 0.0
    for bits in itertools.product((0, 1), repeat=n):
        x = np.array(bits, float)
        if np.all(w @ x <= c + 1e-9):
            best = max(best, float(v @ x))
    return best


def _assert_consistent(r: SelectionResult, values, weights, capacities) -> None:
    v, w, c = np.asarray(values, float), np.atleast_2d(np.asarray(weights, float)), np.atleast_1d(
        np.asarray(capacities, float))
    x = np.zeros(v.size)
    x[r.selected] = 1
    assert np.all(w @ x <= c + 1e-9), "selection violates a capacity"
    assert r.objective == pytest.approx(float(v @ x), abs=1e-9)
    assert list(r.selected) == sorted(set(r.selected.tolist()))
    assert r.selected.dtype.kind == "i"


# ----------------------------------------------------------------------------------------------
# OR-Library mknap1: the seven published optima
# ----------------------------------------------------------------------------------------------
def test_mknap1_file_has_the_published_optima():
    assert [p[3] for p in MKNAP1] == [3800, 8706.1, 4015, 6120, 12400, 10618, 16537]


@pytest.mark.parametrize("k", range(7))
def test_mknap1_optima_reproduced(k):
    values, weights, capacities, opt = MKNAP1[k]
    r = solve_mkp(values, weights, capacities, gap=0)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(opt, abs=1e-3)
    assert r.bound == pytest.approx(opt, abs=1e-3)
    _assert_consistent(r, values, weights, capacities)


def test_cbc_gives_the_same_optimum():
    values, weights, capacities, opt = MKNAP1[2]  # 15 items, 10 constraints
    r = solve_mkp(values, weights, capacities, solver="cbc")
    assert r.outcome.solver == "cbc"
    assert r.status == "optimal"
    assert r.objective == pytest.approx(opt, abs=1e-3)
    _assert_consistent(r, values, weights, capacities)


# ----------------------------------------------------------------------------------------------
# Hand-checkable cases
# ----------------------------------------------------------------------------------------------
def test_tiny_single_constraint():
    # capacity 7: {0} alone is worth 10, {1, 2} (weight 4 + 3) is worth 11, {0, 2} weighs 8.
    r = solve_mkp([10, 7, 4], [[5, 4, 3]], [7])
    assert r.status == "optimal"
    assert r.objective == 11
    assert r.selected.tolist() == [1, 2]
    assert r.has_solution


def test_tiny_two_constraints():
    # caps (5, 4). Pairs: {0,1} uses (5, 4), fits, value 11; {0,2} uses (3, 5), breaks the 2nd;
    # {0,3} uses (6, 5), breaks both; {1,2} (4, 3) fits, value 9; {1,3} (7, 3) breaks the 1st;
    # {2,3} (5, 4) fits, value 7. Every triple uses at least 6 of the 1st. Best: {0, 1} = 11.
    values = [6, 5, 4, 3]
    weights = [[2, 3, 1, 4], [3, 1, 2, 2]]
    r = solve_mkp(values, weights, [5, 4])
    assert r.selected.tolist() == [0, 1]
    assert r.objective == 11
    assert _brute_force(values, weights, [5, 4]) == 11


@pytest.mark.parametrize("seed", range(5))
def test_random_small_instances_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    n, m = 9, 3
    values = rng.integers(1, 30, n)
    weights = rng.integers(0, 20, (m, n))
    capacities = weights.sum(axis=1) // 2
    r = solve_mkp(values, weights, capacities)
    assert r.status == "optimal"
    assert r.objective == _brute_force(values, weights, capacities)
    _assert_consistent(r, values, weights, capacities)


def test_one_dimensional_weights_and_scalar_capacity():
    r = solve_mkp([3.0, 4.0, 5.0], [2.0, 3.0, 4.0], 5.0)
    assert r.objective == 7.0
    assert r.selected.tolist() == [0, 1]


def test_nothing_fits_and_negative_values_are_skipped():
    r = solve_mkp([5.0, -1.0, 2.0], [[10.0, 0.0, 3.0]], [2.0])
    assert r.status == "optimal"
    assert r.objective == 0.0
    assert r.selected.size == 0


def test_no_items():
    r = solve_mkp(np.zeros(0), np.zeros((2, 0)), [1.0, 2.0])
    assert r.status == "optimal" and r.objective == 0.0 and r.selected.size == 0


def test_result_is_immutable():
    r = solve_mkp([10, 7, 4], [[5, 4, 3]], [7])
    with pytest.raises(ValueError):
        r.selected[0] = 0
    with pytest.raises(AttributeError):
        r.objective = 0.0  # type: ignore[misc]


def test_solver_options_are_used_as_given():
    r = solve_mkp([10, 7, 4], [[5, 4, 3]], [7], solver=SolverOptions(solver="cbc", gap=0.0))
    assert r.outcome.solver == "cbc" and r.objective == 11


# ----------------------------------------------------------------------------------------------
# Validation
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "weights", "capacities", "match"),
    [
        ([1, 2, 3], [[1, 2]], [3], "shape mismatch"),
        ([1, 2], [[1, 2], [3, 4]], [3], "shape mismatch"),
        ([[1, 2]], [[1, 2]], [3], "values must be one-dimensional"),
        ([1, 2], [[[1, 2]]], [3], "weights must have shape"),
        ([1, 2], [[1, 2]], [[3]], "capacities must be one-dimensional"),
        ([1, 2], [[1, -2]], [3], r"weights must be >= 0; weights\[0, 1\]"),
        ([1, 2], [[1, 2]], [-3], "capacities must be >= 0"),
        ([1, np.nan], [[1, 2]], [3], "values contain NaN"),
        ([1, 2], [[1, np.inf]], [3], "weights contain NaN or infinite"),
        ([1, 2], [[1, 2]], [np.nan], "capacities contain NaN"),
        (["a", "b"], [[1, 2]], [3], "must be numeric"),
    ],
)
def test_invalid_inputs_raise_before_solving(values, weights, capacities, match):
    with pytest.raises(SelectionInputError, match=match):
        solve_mkp(values, weights, capacities)


def test_input_error_is_a_value_error():
    assert issubclass(SelectionInputError, ValueError)


def test_conflicting_gap_and_solver_options():
    with pytest.raises(ValueError, match="not both"):
        solve_mkp([1], [[1]], [1], gap=0.01, solver=SolverOptions())
    with pytest.raises(ValueError, match="not both"):
        solve_mkp([1], [[1]], [1], time_limit=5, solver=SolverOptions())


def test_unknown_solver_name():
    with pytest.raises(ValueError, match="unknown solver"):
        solve_mkp([1], [[1]], [1], solver="gurobi")
