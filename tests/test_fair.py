"""The comparison with the rule of thumb at equal money (wzmodel.planner.fair): the plan re-made
with the rule's money, the rule given the plan's money, and why the rule leaves money unspent —
on the hand case of test_planner (values by hand) and on the tiny example (the guarantees)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from builders import write_dataset, write_scenario
from conftest import TINY
from test_planner import HAND

from wzmodel.planner import make_plan, prepare, rule_of_thumb_plan
from wzmodel.planner.check import check_plan
from wzmodel.planner.fair import no_worse_than, spending
from wzmodel.planner.funding import Share, ShareBounds
from wzmodel.planner.plan import Plan
from wzmodel.scenario import load_scenario

FAST = {"solver": {"node_limit": 50}}


@pytest.fixture
def hand_scenario(tmp_path):
    data = write_dataset(tmp_path / "data", HAND, budgets={2026: 400_000, 2027: 400_000})
    return write_scenario(tmp_path / "hand.toml", data)


@pytest.fixture
def hand(hand_scenario):
    return make_plan(load_scenario(hand_scenario))


def _chosen(plan: Plan) -> set[tuple[str, int]]:
    return {(cid[-3:], year) for cid, year in plan.schedule[["community_id", "year"]]
            .itertuples(index=False)}


def test_hand_case_at_equal_money(hand):
    # The rule of thumb (A, B, C all 300 yuan per household; ties by id) takes A in 2026
    # (300k of 400k) and B in 2027 (150k; A's running cost 15k): 465k of 800k, 2.142857
    # coverage-years (w = 0.857143, 0.428571, 1.714286). The plan: B 2026, C 2027, 2.571429.
    assert hand.kpi("rule_of_thumb_coverage_years") == pytest.approx(2.142857, abs=1e-5)
    assert hand.kpi("rule_of_thumb_money_total") == pytest.approx(465_000, abs=0.01)
    # With the rule's money (300k in 2026, 165k in 2027) the best plan is the rule's own: B
    # first leaves 307.5k in 2027, enough for A only (1.714286); C never fits.
    at_rule = hand.at_rule_money
    assert _chosen(at_rule) == {("001", 2026), ("002", 2027)}
    assert hand.kpi("at_rule_money_plan_coverage_years") == pytest.approx(2.142857, abs=1e-5)
    assert hand.kpi("at_rule_money_vs_rule_of_thumb_coverage_years") == pytest.approx(0, abs=1e-6)
    # With the plan's money (150k in 2026, 607.5k in 2027) the rule takes B in 2026 (A does not
    # fit), then A in 2027, and C no longer fits: 1.714286, spending 457.5k of 757.5k.
    rule = hand.rule_at_plan_money
    assert _chosen(rule) == {("002", 2026), ("001", 2027)}
    assert hand.kpi("at_plan_money_rule_of_thumb_coverage_years") == pytest.approx(1.714286,
                                                                                   abs=1e-5)
    assert hand.kpi("at_plan_money_rule_of_thumb_money_total") == pytest.approx(457_500, abs=0.01)
    assert hand.kpi("at_plan_money_vs_rule_of_thumb_coverage_years") == pytest.approx(0.857143,
                                                                                      abs=1e-5)


def test_hand_case_says_why_the_rule_leaves_money(hand):
    # 2026: 100k left after A; B (150k) and C (600k) refused. 2027: 100k + 400k − 15k = 485k,
    # B paid (150k), C refused: 335k left at the end.
    money = hand.rule_money.set_index("year")
    assert money["spent_yuan"].to_dict() == pytest.approx({2026: 300_000, 2027: 165_000})
    assert money["unspent_yuan"].to_dict() == pytest.approx({2026: 100_000, 2027: 335_000})
    assert money["refused_attempts"].to_dict() == {2026: 2, 2027: 1}
    assert hand.kpi("rule_of_thumb_money_unspent") == pytest.approx(335_000)
    words = " ".join(hand.equal_money_findings())
    assert "leaves 0.3 million yuan unspent (41.9% of the budgets)" in words
    assert "3 times it could not pay an upgrade" in words
    assert "the split is not the cause" in words  # one source pays everything


def test_tiny_plan_at_the_rules_money_is_no_worse_and_spends_no_more():
    scenario = load_scenario(TINY / "scenarios" / "baseline.toml", **FAST)
    problem = prepare(scenario)
    plan = make_plan(scenario, problem=problem)
    rule = rule_of_thumb_plan(problem)
    at_rule = plan.at_rule_money
    # every source's money, cumulated year by year (carry-over), at most the rule's
    assert (np.cumsum(spending(problem, at_rule.funding), axis=1)
            <= np.cumsum(spending(problem, rule.funding), axis=1) + 1.0).all()
    assert at_rule.kpi("coverage_years") >= rule.kpi("coverage_years") - 1e-6
    # each target at least where the rule gets it (the rule reaches 21 of the 32 main-urban and
    # new-town communities, 19.2 needed, on the data of issue 12: the full basic standard,
    # facilities within reach, committee zones; 18 on the data before)
    mine, its = (p.targets.set_index("target")["achieved"] for p in (at_rule, rule))
    assert (mine >= its - 1e-9).all() and its["coverage_2027"] == 21
    # the rule given the plan's money spends no more than that, source by source, but for the
    # running costs it is committed to (it reserves nothing for them), which may overrun it —
    # counted in at_plan_money_rule_of_thumb_overspent. With facilities within reach (the
    # tiny data of issue 12) nothing overruns: 0 yuan (18,848 before — 11,141 of the
    # community's money, 7,598 of the drainage utility's, 109 of the property-rights holders';
    # 8,493 before issue 13)
    rule_there = plan.rule_at_plan_money
    theirs, ours = spending(problem, rule_there.funding), spending(problem, plan.funding)
    overrun = np.cumsum(theirs - ours, axis=1).max(axis=1).clip(min=0)
    over_in_all = theirs.sum(axis=1) > ours.sum(axis=1) + 1.0
    assert set(problem.sources["source_id"][over_in_all]) == set()
    assert plan.kpi("at_plan_money_rule_of_thumb_overspent") == pytest.approx(overrun.sum())
    assert overrun.sum() < 1e-3 * ours.sum()
    assert plan.kpi("at_plan_money_vs_rule_of_thumb_coverage_years") == pytest.approx(
        plan.kpi("coverage_years") - rule_there.kpi("coverage_years"))
    assert plan.kpi("at_rule_money_vs_rule_of_thumb_targets_met") == (
        at_rule.kpi("targets_met") - rule.kpi("targets_met"))


def test_targets_the_rule_misses_are_asked_at_its_level():
    # with the baseline's budgets the rule meets both 2027 targets (21 of 19.2 communities, 2
    # new featured), so the tests cut them: at 80 % it reaches 18 of the 32 main-urban and
    # new-town communities (56.25 %), at 90 % 19 — short of 19.2 — and both times the 2 featured
    def asked(scale):
        problem = prepare(load_scenario(TINY / "scenarios" / "baseline.toml",
                                        funding={"budget_scale": scale}))
        rule = rule_of_thumb_plan(problem)
        return problem, rule, no_worse_than(problem, rule.targets).scenario.targets

    for scale, reached in ((0.8, 18), (0.9, 19)):
        problem, rule, targets = asked(scale)
        assert targets["coverage_2027"].min_share == reached / 32 and targets["coverage_2027"].hard
        assert targets["featured_2027"] == problem.scenario.targets["featured_2027"]  # met
    problem, rule, targets = asked(1.0)
    assert targets["coverage_2027"] == problem.scenario.targets["coverage_2027"]  # met: unchanged
    assert no_worse_than(problem, rule.targets.assign(met=True)) is problem


def test_share_bounds_name_the_sources_too_short():
    rule = ShareBounds((Share("city", 0.4, 0.8, True), Share("district", 0.2, 0.6, True)))
    assert rule.short(100, {"city": 100, "district": 100}) == ()
    assert rule.short(100, {"city": 30, "district": 100}) == ("city",)  # below its 40 minimum
    assert rule.short(100, {"city": 100, "district": 10}) == ("district",)
    # both minimums fit (40, 20) but 45 + 30 cannot make up 100
    assert rule.short(100, {"city": 45, "district": 30}) == ("city", "district")


def test_written_plan_carries_the_comparison(hand, tmp_path):
    folder = hand.write(tmp_path / "plan")
    assert check_plan(folder) == []
    back = Plan.read(folder)
    pd.testing.assert_frame_equal(back.rule_money, hand.rule_money, check_dtype=False)
    pd.testing.assert_frame_equal(back.equal_money_table(), hand.equal_money_table())
    summary = hand.summary_table()
    rows = summary[summary["topic"] == "against the rule of thumb"]
    assert rows.loc[rows["item"] == "coverage-years: the rule with this plan's money",
                    "value"].item() == pytest.approx(1.714286, abs=1e-5)
    assert "Against the rule of thumb, at equal money" in (folder / "report.md").read_text()
    text = hand.summary()
    assert "This plan against the rule of thumb given this plan's money:" in text
    assert "At equal money:" in text


def test_equal_money_can_be_left_out(hand_scenario):
    plan = make_plan(load_scenario(hand_scenario, compare={"equal_money": False}))
    assert not plan.kpis["metric"].str.startswith("at_").any()
    assert plan.rule_money is None and plan.equal_money_table() is None
    assert plan.kpi("vs_rule_of_thumb_coverage_years") == pytest.approx(2.571429 - 2.142857,
                                                                         abs=1e-5)  # it stays
    assert make_plan(load_scenario(hand_scenario), equal_money=False).rule_money is None
    default = load_scenario(TINY / "scenarios" / "baseline.toml")
    assert "compare" not in default.model_dump()  # default: dumps (and digests) as before
