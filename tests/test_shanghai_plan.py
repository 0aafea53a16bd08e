"""The acceptance runs on the bundled Shanghai data (slow: ≈ 30–60 s each; `make test-slow`)."""

from __future__ import annotations

import time

import pandas as pd
import pytest
from conftest import SHANGHAI

from wzmodel.cli import main
from wzmodel.planner import make_plan
from wzmodel.scenario import load_scenario

SCENARIOS = SHANGHAI / "scenarios"

pytestmark = pytest.mark.slow


def test_baseline_is_proven_within_its_gap_and_passes_check(tmp_path, capsys):
    out = tmp_path / "baseline"
    assert main(["plan", str(SCENARIOS / "baseline.toml"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "solver: optimal (highs)" in printed
    outcome = pd.read_json(out / "plan.json", typ="series")["outcome"]
    assert outcome["gap"] <= 0.005 and outcome["bound"] >= outcome["objective"]
    targets = pd.read_csv(out / "targets.csv").set_index("target")
    assert targets.loc[["coverage_2027", "featured_2027"], "met"].all()
    assert main(["check", str(out)]) == 0
    funding = pd.read_csv(out / "funding.csv")
    row = funding.index[(funding["source_id"] == "city_fiscal") & (funding["year"] == 2027)][0]
    funding.loc[row, "yuan"] += 5e8
    funding.to_csv(out / "funding.csv", index=False)
    capsys.readouterr()
    assert main(["check", str(out)]) == 1
    assert "budget exceeded: city_fiscal in 2027" in capsys.readouterr().out


def test_contiguity_scenario_meets_its_block_target():
    plan = make_plan(load_scenario(SCENARIOS / "contiguity_2035.toml"))
    assert plan.outcome.status == "optimal" and plan.outcome.gap <= 0.005
    assert bool(plan.targets.set_index("target").at["complete_blocks_2035", "met"])


@pytest.mark.parametrize(("scenario", "limit"), [("city_cut_2026_27.toml", 120),
                                                 ("baseline.toml", 20)])
def test_a_time_limited_city_run_returns_a_plan_that_passes_check(tmp_path, capsys, scenario,
                                                                    limit):
    """Anytime: with the city's budget cut in 2026–27 (the search finds no plan on the LP's
    support) or a short limit (the LP is cut off), the start is the answer."""
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
