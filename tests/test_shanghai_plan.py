"""The acceptance runs on the bundled Shanghai data (slow: ≈ 30–60 s each; `make test-slow`)."""

from __future__ import annotations

import re
import time

import pandas as pd
import pytest
from conftest import SHANGHAI

from wzmodel.cli import main
from wzmodel.planner import make_plan
from wzmodel.scenario import load_scenario

SCENARIOS = SHANGHAI / "scenarios"

pytestmark = pytest.mark.slow


def test_baseline_plans_passes_check_and_a_tampered_budget_is_rejected(tmp_path, capsys):
    out = tmp_path / "baseline"
    assert main(["plan", str(SCENARIOS / "baseline.toml"), "--out", str(out)]) == 0
    outcome = pd.read_json(out / "plan.json", typ="series")["outcome"]
    assert outcome["status"] in ("optimal", "feasible")
    assert outcome["bound"] >= outcome["objective"]
    targets = pd.read_csv(out / "targets.csv").set_index("target")
    assert targets.at["featured_2027", "met"]  # the hard one; coverage is soft with these budgets
    assert main(["check", str(out)]) == 0
    funding = pd.read_csv(out / "funding.csv")
    row = funding.index[(funding["source_id"] == "city_fiscal") & (funding["year"] == 2027)][0]
    funding.loc[row, "yuan"] += 5e8
    funding.to_csv(out / "funding.csv", index=False)
    capsys.readouterr()
    assert main(["check", str(out)]) == 1
    assert "budget exceeded: city_fiscal in 2027" in capsys.readouterr().out


@pytest.mark.xfail(reason="issue-12 data: the LP relaxation is ≈ 1.6 % above the best plan found "
                   "(≈ 200 binding budget rows, fractional featured areas); docs/status.md",
                   strict=False)
def test_baseline_is_proven_within_half_a_percent_in_a_minute():
    plan = make_plan(load_scenario(SCENARIOS / "baseline.toml", solver={"time_limit": 60}),
                     equal_money=False)
    assert plan.outcome.gap is not None and plan.outcome.gap <= 0.005


def test_contiguity_scenario_meets_its_block_target():
    plan = make_plan(load_scenario(SCENARIOS / "contiguity_2035.toml"))
    targets = plan.targets.set_index("target")
    assert plan.outcome.status in ("optimal", "feasible")
    assert bool(targets.at["featured_2027", "met"])
    assert targets.at["complete_blocks_2035", "achieved"] > 0  # the blocks are counted
    if not (plan.outcome.status == "optimal" and targets.at["complete_blocks_2035", "met"]):
        # measured at the seventh session: feasible, gap 17 %, 77 of the 80 blocks
        pytest.xfail("issue-12 data: the city is not proven within its gap in the scenario's "
                     "limit (docs/status.md), and the soft block target is then missed")


@pytest.mark.parametrize(("scenario", "limit"), [("city_cut_2026_27.toml", 120),
                                                 ("baseline.toml", 10), ("baseline.toml", 60)])
def test_a_time_limited_city_run_returns_a_plan_that_passes_check(tmp_path, capsys, scenario,
                                                                    limit):
    """Anytime: with the city's budget cut in 2026–27, or a limit that cuts the LP off (10 s) or
    leaves it too little time to converge (60 s), the best plan found (at worst the start)."""
    out = tmp_path / "plan"
    clock = time.perf_counter()
    assert main(["plan", str(SCENARIOS / scenario), "--time-limit", str(limit), "--out",
                 str(out), "--no-excel"]) == 0
    wall = time.perf_counter() - clock
    assert "solver: feasible (highs)" in capsys.readouterr().out
    targets = pd.read_csv(out / "targets.csv")
    assert targets.loc[targets["hard"], "met"].all()
    assert main(["check", str(out)]) == 0
    # the limit covers all but loading the data and building the model (≈ 10 s on this machine)
    assert wall <= 1.1 * limit + 15


def test_the_budget_cut_is_diagnosed_within_a_minute_with_the_least_extra_money_proven(
        tmp_path, capsys):
    """Issue 15: the 20 % cut of 2026–27 city money, limit 60 s — exit 3 with the least extra
    money by source and year, proven (no "best found"); the shortfall may be left out."""
    out = tmp_path / "plan"
    clock = time.perf_counter()
    code = main(["plan", str(SCENARIOS / "budget_cut.toml"), "--time-limit", "60", "--out",
                 str(out)])
    wall = time.perf_counter() - clock
    said = capsys.readouterr().out
    assert code == 3 and not out.exists()
    assert "The hard targets cannot all be met within the budgets." in said
    # measured: 2,323.9 million yuan, of which city_fiscal 1,177.9 million in 2027
    money = re.search(r"The smallest extra money that would meet them is ([\d,.]+) million "
                      r"yuan(.*)$", said, re.MULTILINE)
    assert money is not None and money.group(2) == ":"  # proven: no "(best found; …)"
    assert 2_300 < float(money.group(1).replace(",", "")) < 2_350
    assert "  - city_fiscal: " in said
    assert wall <= 60
