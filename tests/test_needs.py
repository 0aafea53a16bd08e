"""What must be true (`wzmodel needs`): the least money meeting every target, and its
sensitivity to the already-basic share."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import TINY

from wzmodel.cli import EXIT_OK, main
from wzmodel.planner import make_plan
from wzmodel.planner.needs import needs, with_basic_share
from wzmodel.planner.problem import prepare
from wzmodel.scenario import load_scenario

SCENARIO = TINY / "scenarios" / "baseline.toml"


@pytest.fixture(scope="module")
def tiny_needs():
    return needs(load_scenario(SCENARIO, solver={"gap": 0}), [0.5])


def _budgets_from(money: pd.DataFrame, scale: float, folder) -> None:
    budgets = money[["source_id", "year", "yuan"]].rename(columns={"yuan": "budget_yuan"})
    budgets = budgets.assign(budget_yuan=budgets["budget_yuan"] * scale)
    budgets.to_csv(folder / "budgets.csv", index=False)


def test_least_money_is_the_least(tiny_needs, tmp_path):
    """Budgets equal to the least money (by source and year) meet every target; 1 % less money
    of every source in every year meets them no more — the amount is the minimum (gap 0)."""
    own = tiny_needs.summary.loc[np.isclose(tiny_needs.summary["basic_share"], tiny_needs.data_share)]
    assert own["status"].item() == "optimal"
    money = tiny_needs.money[np.isclose(tiny_needs.money["basic_share"], tiny_needs.data_share)]
    assert money["yuan"].sum() == pytest.approx(own["least_money_yuan"].item())
    assert money["yuan"].sum() == pytest.approx(own["bound_yuan"].item(), rel=1e-6)
    for scale, feasible in ((1.0 + 1e-6, True), (0.99, False)):
        folder = tmp_path / f"data_{scale}"
        shutil.copytree(TINY, folder)
        _budgets_from(money, scale, folder)
        scenario = load_scenario(folder / "scenarios" / "baseline.toml",
                                 solver={"gap": 0}, compare={"equal_money": False})
        plan = make_plan(scenario)
        assert (plan.outcome.status in ("optimal", "feasible")) is feasible, scale


def test_shares_reached_and_money_moves(tiny_needs):
    """The data's share and a higher one; listing more communities as complete can only lower
    the least money."""
    s = tiny_needs.summary.sort_values("basic_share")
    assert list(s["basic_share_asked"]) == [round(tiny_needs.data_share, 4), 0.5]
    assert list(s["basic_share"]) == [round(9 / 38, 4), round(19 / 38, 4)]
    assert list(s["already_basic"]) == [9, 19]
    assert (s["status"] == "optimal").all()
    low, high = s["least_money_yuan"]
    assert high < low


def test_lower_share_imputes_gaps():
    """Lowering the share gives basic (not featured) communities the indicators of a
    not-yet-basic one of their zone; the assessment then counts them as failing."""
    problem = prepare(load_scenario(SCENARIO))
    before = problem.already["basic"].sum()
    lower = with_basic_share(problem, 5 / 38)
    moved = prepare(problem.scenario, lower)
    assert moved.already["basic"].sum() == 5 < before
    assert (moved.already["featured"] == problem.already["featured"]).all()
    # households and names untouched: only indicators move
    pd.testing.assert_series_equal(lower.communities["households"],
                                   problem.dataset.communities["households"])


def test_cli_writes_and_refuses_bad_shares(tmp_path, capsys):
    out = tmp_path / "needs"
    assert main(["-q", "needs", str(SCENARIO), "--basic-share", "0.4", "--out", str(out)]) == EXIT_OK
    text = capsys.readouterr().out
    assert "least money" in text and "Data note" in text
    summary = pd.read_csv(out / "needs_summary.csv")
    assert len(summary) == 2 and (out / "needs.md").is_file()
    with pytest.raises(SystemExit) as exc:
        main(["needs", str(SCENARIO), "--basic-share", "-0.1"])
    assert exc.value.code == 2
