"""Tests for wzmodel.sharing: Shapley value, nucleolus and proportional cost sharing."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wzmodel.sharing import (
    MAX_EXACT_PLAYERS,
    CostGameError,
    EmptyImputationSetError,
    MissingCoalitionError,
    ShapleyEstimate,
    TooManyPlayersError,
    nucleolus,
    proportional,
    shapley,
    shapley_exact,
    shapley_sampled,
)

TOL = 1e-4

# Young (1985), "Cost allocation", three-player cost game.
YOUNG = {
    frozenset({1}): 15,
    frozenset({2}): 20,
    frozenset({3}): 55,
    frozenset({1, 2}): 35,
    frozenset({1, 3}): 61,
    frozenset({2, 3}): 65,
    frozenset({1, 2, 3}): 78,
}


def airport(cumulative: dict) -> Callable[[frozenset], float]:
    """Airport game: a coalition pays for the runway its most demanding member needs."""
    return lambda s: max(cumulative[i] for i in s)


def littlechild_owen(cumulative: dict) -> dict:
    """Closed-form Shapley value of an airport game: each runway segment is split equally among
    the players who use it (Littlechild & Owen, 1973)."""
    order = sorted(cumulative, key=cumulative.get)
    shares, running, previous = {}, 0.0, 0.0
    for k, player in enumerate(order):
        running += (cumulative[player] - previous) / (len(order) - k)
        previous = cumulative[player]
        shares[player] = running
    return shares


def all_coalitions(players):
    for r in range(1, len(players) + 1):
        yield from (frozenset(c) for c in itertools.combinations(players, r))


def as_dict(cost, players) -> dict:
    return {s: cost(s) for s in all_coalitions(players)}


def sorted_excesses(x: dict, cost: dict, players) -> np.ndarray:
    n = len(players)
    out = [sum(x[i] for i in s) - cost[s] for s in all_coalitions(players) if len(s) < n]
    return np.sort(np.array(out))[::-1]


def lex_not_greater(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    """a <= b lexicographically, entries within tol counted equal."""
    for ai, bi in zip(a, b, strict=True):
        if ai < bi - tol:
            return True
        if ai > bi + tol:
            return False
    return True


def approx_dict(d: dict, expected: dict, tol: float = TOL) -> None:
    assert list(d) == list(expected)
    for k in expected:
        assert d[k] == pytest.approx(expected[k], abs=tol), k


# ----------------------------------------------------------------------------------------------
# Published values
# ----------------------------------------------------------------------------------------------
def test_young_shapley():
    approx_dict(shapley(YOUNG, [1, 2, 3]), {1: 12.8333, 2: 17.3333, 3: 47.8333})


@pytest.mark.parametrize("method", ["duals", "slack_lp"])
def test_young_nucleolus(method):
    approx_dict(nucleolus(YOUNG, [1, 2, 3], method=method), {1: 14, 2: 18.5, 3: 45.5})


def test_airport_shapley():
    approx_dict(shapley(airport({1: 1, 2: 3, 3: 6}), [1, 2, 3]), {1: 1 / 3, 2: 4 / 3, 3: 13 / 3})


@pytest.mark.parametrize("method", ["duals", "slack_lp"])
def test_airport_nucleolus(method):
    x = nucleolus(airport({1: 1, 2: 3, 3: 6}), [1, 2, 3], method=method)
    approx_dict(x, {1: 0.5, 2: 1.25, 3: 4.25})


def test_result_order_follows_players():
    assert list(shapley(YOUNG, [3, 1, 2])) == [3, 1, 2]
    assert list(nucleolus(YOUNG, [2, 3, 1])) == [2, 3, 1]
    approx_dict(nucleolus(YOUNG, [3, 1, 2]), {3: 45.5, 1: 14, 2: 18.5})


def test_callable_and_dict_give_the_same_result():
    players = ["a", "b", "c", "d"]
    rng = np.random.default_rng(7)
    table = {s: float(rng.integers(10, 40)) * math.sqrt(len(s)) for s in all_coalitions(players)}
    table[frozenset(players)] = min(table[frozenset(players)],
                                    sum(table[frozenset({p})] for p in players))
    assert shapley(table, players) == shapley(table.__getitem__, players)
    assert nucleolus(table, players) == nucleolus(table.__getitem__, players)


def test_one_player():
    assert shapley({frozenset({"z"}): 4.5}, ["z"]) == {"z": 4.5}
    assert nucleolus({frozenset({"z"}): 4.5}, ["z"]) == {"z": 4.5}


def test_exact_shapley_evaluates_each_coalition_once():
    calls: list[frozenset] = []

    def cost(s: frozenset) -> float:
        calls.append(s)
        return len(s) ** 0.5

    players = list(range(8))
    x = shapley_exact(cost, players)
    assert len(calls) == 2**8 - 1 == len(set(calls))
    assert frozenset() not in calls
    assert all(v == pytest.approx(8**0.5 / 8) for v in x.values())


def test_airport_shapley_matches_littlechild_owen_12_players():
    rng = np.random.default_rng(3)
    cumulative = dict(enumerate(np.cumsum(rng.uniform(0.5, 5.0, 12)).tolist()))
    approx_dict(shapley(airport(cumulative), list(cumulative)), littlechild_owen(cumulative), 1e-9)


# ----------------------------------------------------------------------------------------------
# Sampled Shapley
# ----------------------------------------------------------------------------------------------
def _submodular_game(n: int, seed: int):
    """Concave-of-additive plus coverage costs: c(S) = 10 sqrt(d(S)) + sum of facilities used."""
    rng = np.random.default_rng(seed)
    demand = rng.uniform(1, 10, n)
    users = [set(np.flatnonzero(rng.random(n) < 0.3).tolist()) for _ in range(6)]
    fixed = rng.uniform(5, 20, 6)

    def cost(s: frozenset) -> float:
        return 10 * math.sqrt(sum(demand[i] for i in s)) + sum(
            f for f, u in zip(fixed, users, strict=True) if u & s)

    return cost


@pytest.mark.parametrize("antithetic", [True, False])
def test_sampled_shapley_within_three_standard_errors(antithetic):
    players = list(range(12))
    cost = _submodular_game(12, seed=11)
    exact = shapley_exact(cost, players)
    est = shapley_sampled(cost, players, samples=2000, seed=5, antithetic=antithetic)
    assert isinstance(est, ShapleyEstimate)
    assert est.samples == 2000 and est.antithetic is antithetic
    assert sum(est.shares.values()) == pytest.approx(cost(frozenset(players)), abs=1e-9)
    for p in players:
        assert est.standard_errors[p] > 0
        assert abs(est.shares[p] - exact[p]) <= 3 * est.standard_errors[p], p
    # the errors are small relative to the shares: the estimate is informative
    assert max(est.standard_errors.values()) < 0.05 * max(exact.values())


def test_sampled_shapley_is_reproducible_and_seeded():
    cost = _submodular_game(10, seed=2)
    a = shapley_sampled(cost, range(10), samples=40, seed=1)
    b = shapley_sampled(cost, range(10), samples=40, seed=1)
    c = shapley_sampled(cost, range(10), samples=40, seed=2)
    assert a == b
    assert a.shares != c.shares


def test_sampled_shapley_beyond_the_exact_limit():
    n = MAX_EXACT_PLAYERS + 5
    rng = np.random.default_rng(0)
    cumulative = dict(enumerate(np.cumsum(rng.uniform(0.5, 5.0, n)).tolist()))
    est = shapley_sampled(airport(cumulative), list(cumulative), samples=400, seed=0)
    exact = littlechild_owen(cumulative)
    for p in cumulative:
        assert abs(est.shares[p] - exact[p]) <= 3 * est.standard_errors[p] + 1e-9, p
    shares = shapley(airport(cumulative), list(cumulative), samples=400, seed=0)
    assert shares == est.shares


def test_sampled_dummy_player_has_zero_standard_error():
    def cost(s: frozenset) -> float:
        return 3.0 * ("d" in s) + len(s - {"d"}) ** 2

    est = shapley_sampled(cost, ["a", "b", "c", "d"], samples=20)
    assert est.shares["d"] == pytest.approx(3.0) and est.standard_errors["d"] == pytest.approx(0)


def test_exact_refuses_more_than_the_limit_without_evaluating():
    calls = []
    players = list(range(MAX_EXACT_PLAYERS + 1))
    with pytest.raises(TooManyPlayersError, match="samples"):
        shapley(lambda s: calls.append(s) or 1.0, players)
    with pytest.raises(TooManyPlayersError):
        shapley_exact(lambda s: calls.append(s) or 1.0, players)
    assert calls == []


@pytest.mark.parametrize(
    ("samples", "antithetic"), [(1, False), (3, True), (2, True), (True, False), (2.5, False)]
)
def test_bad_sample_counts(samples, antithetic):
    with pytest.raises(CostGameError, match="samples"):
        shapley_sampled(YOUNG, [1, 2, 3], samples=samples, antithetic=antithetic)


@pytest.mark.slow
def test_exact_shapley_at_the_limit():
    rng = np.random.default_rng(1)
    cumulative = dict(enumerate(np.cumsum(rng.uniform(0.5, 5.0, MAX_EXACT_PLAYERS)).tolist()))
    approx_dict(shapley(airport(cumulative), list(cumulative)), littlechild_owen(cumulative), 1e-8)


# ----------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------
def test_missing_coalition_in_dict():
    partial = {k: v for k, v in YOUNG.items() if k != frozenset({1, 3})}
    with pytest.raises(MissingCoalitionError, match=r"\{1, 3\}"):
        shapley(partial, [1, 2, 3])
    with pytest.raises(MissingCoalitionError, match=r"\{1, 3\}"):
        nucleolus(partial, [1, 2, 3])
    assert issubclass(MissingCoalitionError, ValueError)


def test_unknown_player_is_a_missing_coalition():
    with pytest.raises(MissingCoalitionError, match="4"):
        shapley(YOUNG, [1, 2, 4])


@pytest.mark.parametrize(
    ("cost", "players", "match"),
    [
        ({**YOUNG, frozenset(): 1.0}, [1, 2, 3], "empty coalition must cost 0"),
        ({(1,): 15.0}, [1], "frozensets"),
        ({frozenset({1}): float("nan")}, [1], "not finite"),
        ({frozenset({1}): "ten"}, [1], "not a number"),
        (42, [1], "mapping"),
        (YOUNG, [], "at least one player"),
        (YOUNG, [1, 1, 2], "distinct"),
        (YOUNG, [[1], [2]], "hashable"),
    ],
)
def test_malformed_games(cost, players, match):
    with pytest.raises(CostGameError, match=match):
        shapley(cost, players)


def test_empty_set_with_zero_cost_is_accepted():
    approx_dict(shapley({**YOUNG, frozenset(): 0}, [1, 2, 3]), {1: 12.8333, 2: 17.3333,
                                                                  3: 47.8333})


def test_nucleolus_needs_imputations():
    game = {**YOUNG, frozenset({1, 2, 3}): 91}  # stand-alone total is 90
    with pytest.raises(EmptyImputationSetError, match="no imputation"):
        nucleolus(game, [1, 2, 3])


def test_nucleolus_size_limit_and_method():
    with pytest.raises(TooManyPlayersError):
        nucleolus(lambda s: 1.0, range(17))
    with pytest.raises(CostGameError, match="method"):
        nucleolus(YOUNG, [1, 2, 3], method="simplex")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------
# Proportional
# ----------------------------------------------------------------------------------------------
def test_proportional():
    shares = proportional(120.0, {"东": 1, "西": 2, "南": 0, "北": 3})
    assert shares == {"东": 20.0, "西": 40.0, "南": 0.0, "北": 60.0}


@pytest.mark.parametrize(
    ("total", "weights", "match"),
    [
        (10, {}, "non-empty"),
        (10, [1, 2], "mapping"),
        (10, {"a": -1, "b": 2}, "negative"),
        (10, {"a": 0, "b": 0}, "positive sum"),
        (10, {"a": float("inf")}, "not finite"),
        (float("nan"), {"a": 1}, "not finite"),
    ],
)
def test_proportional_errors(total, weights, match):
    with pytest.raises(CostGameError, match=match):
        proportional(total, weights)


# ----------------------------------------------------------------------------------------------
# Properties on random small games
# ----------------------------------------------------------------------------------------------
PROPERTY_SETTINGS = settings(max_examples=40, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow])


@st.composite
def games(draw, min_players=1, max_players=5, imputations=False):
    """A random game on players 0..n-1 with integer costs (ties, hence degenerate LPs, are
    common). With ``imputations``, c(N) is capped by the stand-alone total."""
    n = draw(st.integers(min_players, max_players))
    players = list(range(n))
    table = {s: float(draw(st.integers(0, 30))) for s in all_coalitions(players)}
    if imputations:
        table[frozenset(players)] = min(table[frozenset(players)],
                                        sum(table[frozenset({i})] for i in players))
    return players, table


@st.composite
def symmetric_games(draw, imputations=False):
    """Players 0 and 1 are interchangeable: c(S) depends on S only through |S ∩ {0,1}|."""
    n = draw(st.integers(2, 5))
    players = list(range(n))
    base: dict = {}
    table = {}
    for s in all_coalitions(players):
        key = (len(s & {0, 1}), s - {0, 1})
        if key not in base:
            base[key] = float(draw(st.integers(0, 30)))
        table[s] = base[key]
    if imputations:
        table[frozenset(players)] = min(table[frozenset(players)],
                                        sum(table[frozenset({i})] for i in players))
    return players, table


@st.composite
def games_with_dummy(draw, imputations=False):
    """Adds a dummy player "d" with c(S ∪ {d}) = c(S) + a to a random game."""
    players, table = draw(games(1, 4, imputations=imputations))
    a = float(draw(st.integers(0, 10)))
    out = dict(table)
    out[frozenset({"d"})] = a
    for s, v in table.items():
        out[s | {"d"}] = v + a
    return [*players, "d"], out, a


@PROPERTY_SETTINGS
@given(games())
def test_shapley_is_efficient(game):
    players, table = game
    x = shapley(table, players)
    assert sum(x.values()) == pytest.approx(table[frozenset(players)], abs=1e-9)


@PROPERTY_SETTINGS
@given(symmetric_games())
def test_shapley_is_symmetric(game):
    players, table = game
    x = shapley(table, players)
    assert x[0] == pytest.approx(x[1], abs=1e-9)


@PROPERTY_SETTINGS
@given(games_with_dummy())
def test_shapley_dummy_gets_its_marginal_cost(game):
    players, table, a = game
    assert shapley(table, players)["d"] == pytest.approx(a, abs=1e-9)


@PROPERTY_SETTINGS
@given(st.lists(st.floats(0.1, 100), min_size=1, max_size=7))
def test_shapley_of_airport_games_is_littlechild_owen(segments):
    cumulative = dict(enumerate(np.cumsum(segments).tolist()))
    approx_dict(shapley(airport(cumulative), list(cumulative)), littlechild_owen(cumulative), 1e-8)


@PROPERTY_SETTINGS
@given(games(imputations=True), st.integers(0, 2**32 - 1))
def test_nucleolus_is_a_lexicographically_minimal_imputation(game, seed):
    players, table = game
    x = nucleolus(table, players)
    grand = table[frozenset(players)]
    alone = np.array([table[frozenset({i})] for i in players])
    xv = np.array([x[i] for i in players])
    assert xv.sum() == pytest.approx(grand, abs=1e-7)
    assert np.all(xv <= alone + 1e-7)
    if len(players) == 1:
        return
    ex = sorted_excesses(x, table, players)
    rng = np.random.default_rng(seed)
    candidates = []
    for _ in range(30):  # random imputations anywhere in the imputation set
        candidates.append(alone - (alone.sum() - grand) * rng.dirichlet(np.ones(len(players))))
    for eps in (1e-3, 1e-2, 0.1, 1.0):  # small moves away from x that stay imputations
        for _ in range(15):
            d = rng.normal(size=len(players))
            d -= d.mean()
            y = xv + eps * d / np.abs(d).max()
            if np.all(y <= alone):
                candidates.append(y)
    for y in candidates:
        ey = sorted_excesses(dict(zip(players, y, strict=True)), table, players)
        assert lex_not_greater(ex, ey, 1e-7), (x, y)


@PROPERTY_SETTINGS
@given(games(2, 5, imputations=True))
def test_nucleolus_methods_agree(game):
    players, table = game
    a = nucleolus(table, players, method="duals")
    b = nucleolus(table, players, method="slack_lp")
    approx_dict(a, b, 1e-7)


@PROPERTY_SETTINGS
@given(symmetric_games(imputations=True))
def test_nucleolus_is_symmetric(game):
    players, table = game
    x = nucleolus(table, players)
    assert x[0] == pytest.approx(x[1], abs=1e-7)


@PROPERTY_SETTINGS
@given(games_with_dummy(imputations=True))
def test_nucleolus_dummy_gets_its_marginal_cost(game):
    players, table, a = game
    assert nucleolus(table, players)["d"] == pytest.approx(a, abs=1e-7)


@PROPERTY_SETTINGS
@given(st.lists(st.integers(1, 20), min_size=2, max_size=6))
def test_nucleolus_of_airport_game_is_in_the_core(segments):
    cumulative = dict(enumerate(np.cumsum(segments).tolist()))
    players = list(cumulative)
    table = as_dict(airport(cumulative), players)
    x = nucleolus(table, players)
    assert sorted_excesses(x, table, players)[0] <= 1e-7  # no coalition pays above stand-alone
