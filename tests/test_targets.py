"""The target-kind registry, and the per-district coverage kind added through it alone."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import pandas as pd
import pytest
from builders import met_community, target_toml, write_dataset, write_scenario

from wzmodel.cli import main
from wzmodel.planner import make_plan, prepare
from wzmodel.planner.check import check_against
from wzmodel.planner.diagnose import closing_money
from wzmodel.planner.evaluate import completion_years, target_table
from wzmodel.planner.heuristic import rule_of_thumb
from wzmodel.scenario import load_scenario
from wzmodel.schema import InputError
from wzmodel.targets import KINDS, Target, TargetKind, render_markdown

DOCS = Path(__file__).resolve().parents[1] / "docs"

# Two districts, two communities each, every upgrade 300k yuan (a 100 m² service-floor gap;
# featured out of reach): 黄浦 A1 (3,000 households) and A2 (2,500), 徐汇 B1 (1,000) and
# B2 (1,200). 600k in 2026 buys two upgrades; 100k in 2027 pays their running costs (30k) and
# nothing more. Worth most: A1 + A2 (2 × 5,500 / 1,925 = 5.714286 coverage-years), which gives
# 2 of 4 communities — a 50 % coverage target is met — but leaves 徐汇 at 0 %. Every district
# ≥ 50 % needs one upgrade in each: A1 + B2 (2 × 4,200 / 1,925 = 4.363636).
XUHUI = "310104003"
COMMUNITIES = [
    met_community("310101017001", 3000, service_floor_m2=800.0, fixture_falls_per_year=6.0),
    met_community("310101017002", 2500, service_floor_m2=650.0, fixture_falls_per_year=6.0),
    met_community(f"{XUHUI}001", 1000, service_floor_m2=200.0, fixture_falls_per_year=6.0,
                  street_code=XUHUI, district="徐汇"),
    met_community(f"{XUHUI}002", 1200, service_floor_m2=260.0, fixture_falls_per_year=6.0,
                  street_code=XUHUI, district="徐汇"),
]
STREETS = [
    {"street_code": "310101017", "street_name": "小东门街道", "district": "黄浦", "zone": "main_urban"},
    {"street_code": XUHUI, "street_name": "天平路街道", "district": "徐汇", "zone": "main_urban"},
]
FREE = {"310101017001", "310101017002"}
EACH_DISTRICT = {"310101017001", f"{XUHUI}002"}


@pytest.fixture
def data(tmp_path):
    return write_dataset(tmp_path / "d", COMMUNITIES, budgets={2026: 600_000, 2027: 100_000}, streets=STREETS)


def scenario_with(tmp_path, data, targets: str, **overrides):
    return load_scenario(write_scenario(tmp_path / "s.toml", data, targets=targets), **overrides)


def row(plan, name: str) -> dict:
    return plan.targets.set_index("target").loc[name].to_dict()


def test_plain_coverage_target_does_not_force_an_upgrade_in_each_district(tmp_path, data):
    plan = make_plan(scenario_with(tmp_path, data, target_toml("cover", "coverage", 2027, 0.5)))
    assert set(plan.schedule["community_id"]) == FREE
    assert plan.kpi("coverage_years") == pytest.approx(5.714286, abs=1e-5)
    assert row(plan, "cover")["met"]


def test_hard_district_coverage_forces_an_upgrade_in_each_district(tmp_path, data):
    scenario = scenario_with(tmp_path, data, target_toml("each", "district_coverage", 2027, 0.5))
    plan = make_plan(scenario)
    assert plan.outcome.status == "optimal"
    assert set(plan.schedule["community_id"]) == EACH_DISTRICT
    assert plan.kpi("coverage_years") == pytest.approx(4.363636, abs=1e-5)
    r = row(plan, "each")
    assert (r["required_level"], r["achieved_level"], r["required"], r["achieved"]) == (0.5, 0.5, 2.0, 2.0)
    assert (r["shortfall"], r["shortfall_unit"], r["met"]) == (0.0, "communities", True)
    assert check_against(plan, prepare(scenario)) == []
    assert "[met   ] each (hard, 2027): 50.0 % (needs 50.0 %)" in plan.summary()


def test_rule_of_thumb_chases_every_district_of_a_hard_target(tmp_path, data):
    problem = prepare(scenario_with(tmp_path, data, target_toml("each", "district_coverage", 2027, 0.5)))
    schedule, _funding = rule_of_thumb(problem, targets_first=True)
    # 徐汇 first (districts by name), its cheapest per community by id: B1; then 黄浦's A1
    assert set(schedule["community_id"]) == {"310101017001", f"{XUHUI}001"}
    assert bool(target_table(problem, completion_years(problem, schedule))["met"].iloc[0])


def test_soft_district_coverage_is_met_at_the_default_penalty(tmp_path, data):
    # default: 4 coverage-years per community short, more than the 1.35 that A2 adds over B2
    plan = make_plan(scenario_with(tmp_path, data, target_toml("each", "district_coverage", 2027, 0.5,
                                                               hard="false")))
    assert set(plan.schedule["community_id"]) == EACH_DISTRICT
    assert row(plan, "each")["met"]


def test_soft_district_coverage_reports_the_worst_district_and_the_summed_shortfall(tmp_path, data):
    targets = target_toml("each", "district_coverage", 2027, 0.5, hard="false", penalty=1.0)
    scenario = scenario_with(tmp_path, data, targets)
    plan = make_plan(scenario)
    assert set(plan.schedule["community_id"]) == FREE
    # 黄浦 100 % (needs 1 of 2, counts 1), 徐汇 0 % (needs 1): one community short
    r = row(plan, "each")
    assert (r["required_level"], r["achieved_level"], r["required"], r["achieved"]) == (0.5, 0.0, 2.0, 1.0)
    assert (r["shortfall"], r["shortfall_unit"], r["met"]) == (1.0, "communities", False)
    assert plan.outcome.objective == pytest.approx(5.714286 - 1.0, abs=1e-5)
    assert check_against(plan, prepare(scenario)) == []


def test_soft_district_coverage_in_households(tmp_path, data):
    targets = target_toml("each", "district_coverage", 2027, 0.5, hard="false", penalty=0.0001)
    plan = make_plan(scenario_with(tmp_path, data, targets, coverage_measure="households"))
    assert set(plan.schedule["community_id"]) == FREE
    # 黄浦: 5,500 complete, needs 2,750; 徐汇: 0 of 2,200, needs 1,100
    r = row(plan, "each")
    assert (r["required_level"], r["achieved_level"], r["required"], r["achieved"]) == (
        0.5, 0.0, 3850.0, 2750.0)
    assert (r["shortfall"], r["shortfall_unit"], r["met"]) == (1100.0, "households", False)
    assert plan.outcome.objective == pytest.approx(5.714286 - 0.0001 * 1100, abs=1e-5)


def test_written_plan_with_a_district_target_checks(tmp_path, data, capsys):
    scenario_file = write_scenario(tmp_path / "s.toml", data,
                                   targets=target_toml("each", "district_coverage", 2027, 0.5))
    out = tmp_path / "plan"
    assert main(["plan", str(scenario_file), "--out", str(out)]) == 0
    assert main(["check", str(out)]) == 0
    assert "district_coverage" in (out / "targets.csv").read_text(encoding="utf-8")


def test_unreachable_hard_district_target_is_diagnosed(tmp_path, data, capsys):
    scenario_file = write_scenario(tmp_path / "s.toml", data,
                                   targets=target_toml("each", "district_coverage", 2026, 1.0))
    assert main(["plan", str(scenario_file), "--out", str(tmp_path / "out")]) == 3
    # all four in 2026: 1.2 M yuan against 600k; short by two communities within the budgets
    text = capsys.readouterr().out
    assert "The smallest extra money that would meet them is 600,000 yuan" in text
    assert "each: 2 communities (reaches 2 of the 4 required)" in text


def test_a_missed_soft_target_says_the_least_extra_money_that_would_meet_it(tmp_path, data,
                                                                          capsys):
    targets = target_toml("each", "district_coverage", 2026, 1.0, hard="false")
    out = tmp_path / "out"
    assert main(["plan", str(write_scenario(tmp_path / "s.toml", data, targets=targets)),
                 "--out", str(out)]) == 0
    # the same 600,000 yuan as the hard target's diagnosis above, now as the closing money
    text = capsys.readouterr().out
    assert "Soft target missed within the budgets: each." in text
    assert "The smallest extra money that would meet them is 600,000 yuan:" in text
    closing = pd.read_csv(out / "closing_money.csv")
    assert closing["yuan"].sum() == pytest.approx(600_000)
    # with no time left of the limit it says so, and gives no figures
    text, figures = closing_money(prepare(load_scenario(tmp_path / "s.toml")), ["each"],
                                  time_limit=1.0)
    assert figures is None
    assert text.startswith("Soft target missed within the budgets: each. No time was left")


def test_unknown_kind_is_an_input_error_naming_the_kinds(tmp_path, data):
    with pytest.raises(InputError) as info:
        scenario_with(tmp_path, data, target_toml("x", "every_street", 2027, 0.5))
    assert "coverage, new_featured, complete_blocks, complete_districts, district_coverage" in str(info.value)
    assert "every_street" in str(info.value)


def test_missing_level_is_an_input_error(tmp_path, data):
    targets = '[targets.x]\nkind = "district_coverage"\nyear = 2027\nmin_count = 1'
    with pytest.raises(InputError, match="a district_coverage target needs min_share"):
        scenario_with(tmp_path, data, targets)


@pytest.mark.parametrize("name", list(KINDS))
def test_every_kind_has_its_schema_rows_evaluation_and_labels(tmp_path, data, name):
    kind = KINDS[name]
    assert isinstance(kind, TargetKind) and kind.name == name
    # schema: the level it needs, checked at load
    assert kind.level in ("min_share", "min_count")
    assert isinstance(kind.share, bool) and kind.share == (kind.level == "min_share")
    with pytest.raises(ValueError, match=f"needs {kind.level}"):
        Target(kind=name, year=2027)
    # labels and docs: a label, a unit, a description, the formulation in its module
    assert kind.label and kind.unit and inspect.getdoc(kind)
    assert ".. math::" in sys.modules[type(kind).__module__].__doc__
    # rows and evaluation: a soft target of the kind plans, evaluates and checks
    level = 0.5 if kind.share else 1
    targets = target_toml("t", name, 2027, level, hard="false").replace(
        "min_share", kind.level)
    if name == "complete_grids":  # grids need a grids table: one grid per district here
        (data / "grids.csv").write_text("community_id,grid_id\n" + "".join(
            f"{c['community_id']},G{c['district']}\n" for c in COMMUNITIES), encoding="utf-8")
    scenario = scenario_with(tmp_path, data, targets)
    plan = make_plan(scenario)
    assert plan.outcome.status == "optimal"
    assert list(plan.targets["kind"]) == [name]
    assert check_against(plan, prepare(scenario)) == []


def test_docs_list_every_kind():
    assert render_markdown() in (DOCS / "planner.md").read_text(encoding="utf-8")
