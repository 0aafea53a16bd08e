"""The acceptance run on the bundled Shanghai data (slow: ≈ 40 s each; `make test-slow`)."""

from __future__ import annotations

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
