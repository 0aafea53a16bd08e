"""Comprehensive grids: coverage counted over grids (complete_grids) and featured areas that do
not cross grids (docs/grids.md) — hand-computed plans, each re-verified by ``wzmodel check``,
and tampered plans that check rejects naming the rule, the grid and the year."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from builders import met_community, target_toml, write_dataset, write_scenario

from wzmodel.cli import main
from wzmodel.data import example_path, load_dataset
from wzmodel.planner import make_plan, prepare
from wzmodel.planner.check import check_against
from wzmodel.planner.heuristic import rule_of_thumb
from wzmodel.scenario import load_scenario
from wzmodel.schema import InputError

S = "310101017"


def cid(n: int) -> str:
    return f"{S}{n:03d}"


# ------------------------------------------------------------------------------------------
# Featured areas and grids
# ------------------------------------------------------------------------------------------
# Five basic communities, each 120,000 yuan from featured (a missing recycling point). Area X =
# 001 + 002 (1,000 households each, both in grid G1); area Y = 003 + 004 (3,000 each; 003 in
# G1, 004 in G2: it crosses); 005 alone (1,000, G2). 360,000 yuan in 2026 (one plan year), a
# hard target of 2 new featured communities (an area counts once). Y is worth most, but
# crosses: the plan is X + 005 (360,000 yuan, 2 featured communities); with Y's crossing
# excepted, Y + 005. Objective (households weights, mean 1,800; featured weight 0.5; one year):
# X + 005 = 0.5 × 3,000 / 1,800 = 0.833333; Y + 005 = 0.5 × 7,000 / 1,800 = 1.944444.
X, Y, ALONE = {cid(1), cid(2)}, {cid(3), cid(4)}, cid(5)
HOUSEHOLDS = {1: 1000, 2: 1000, 3: 3000, 4: 3000, 5: 1000}
GRIDS = {1: "G1", 2: "G1", 3: "G1", 4: "G2", 5: "G2"}
FEATURED_TWO = """[targets.featured]
kind = "new_featured"
year = 2026
min_count = 2"""


def areas(exception: str = "") -> list[dict]:
    return [{"area_id": area, "community_id": cid(n), "grid_exception": exception if area == "Y"
             else "", "source": "test"} for area, ns in (("X", (1, 2)), ("Y", (3, 4))) for n in ns]


def featured_data(folder, *, grids: bool = True, exception: str = ""):
    communities = [met_community(cid(n), h, recycling_points=0) for n, h in HOUSEHOLDS.items()]
    more = {"featured_areas": areas(exception)}
    if grids:
        more["grids"] = [{"community_id": cid(n), "grid_id": g, "grid_name": "", "source": "test"}
                         for n, g in GRIDS.items()]
    return write_dataset(folder, communities, budgets={2026: 360_000}, more=more)


def featured_scenario(tmp_path, **data_kw):
    data = featured_data(tmp_path / "d", **data_kw)
    return write_scenario(tmp_path / "s.toml", data, last_year=2026, targets=FEATURED_TWO)


def featured(plan) -> set[str]:
    return set(plan.schedule.loc[plan.schedule["class"] == "featured", "community_id"])


@pytest.mark.parametrize("strategy", ["full", "price_and_branch"])
def test_an_area_across_grids_is_not_made_featured(tmp_path, strategy):
    scenario = load_scenario(featured_scenario(tmp_path), solver={"strategy": strategy})
    problem = prepare(scenario)
    assert [(a.area_id, a.grids, bool(a.blocked)) for a in problem.areas] == [
        ("X", ("G1",), False), ("Y", ("G1", "G2"), True)]
    plan = make_plan(scenario)
    assert plan.outcome.status == "optimal"
    assert featured(plan) == X | {ALONE}
    assert set(plan.schedule.loc[plan.schedule["community_id"].isin(X), "year"]) == {2026}
    assert plan.kpi("coverage_years") == pytest.approx(0.833333, abs=1e-5)
    target = plan.targets.set_index("target").loc["featured"]
    assert (target["achieved"], bool(target["met"])) == (2.0, True)  # X counts once
    assert check_against(plan, problem) == []


@pytest.mark.parametrize("kw", [{"grids": False}, {"exception": "approved by the street, 2026"}])
def test_without_grids_or_with_an_exception_the_area_may_be_featured(tmp_path, kw):
    plan = make_plan(load_scenario(featured_scenario(tmp_path, **kw)))
    assert featured(plan) == Y | {ALONE}
    assert plan.kpi("coverage_years") == pytest.approx(1.944444, abs=1e-5)


def test_the_rule_of_thumb_makes_an_area_featured_whole(tmp_path):
    problem = prepare(load_scenario(featured_scenario(tmp_path)))
    schedule, _ = rule_of_thumb(problem)
    chosen = set(schedule.loc[schedule["class"] == "featured", "community_id"])
    assert chosen & X in (set(), X) and not chosen & Y


def test_check_rejects_a_plan_featuring_an_area_across_grids(tmp_path, capsys):
    out = tmp_path / "plan"
    assert main(["plan", str(featured_scenario(tmp_path)), "--out", str(out), "--no-excel"]) == 0
    schedule = pd.read_csv(out / "schedule.csv", dtype={"community_id": str})
    # Y instead of X: same cost, same funding group, same count — only the grid rule breaks
    schedule["community_id"] = schedule["community_id"].replace({cid(1): cid(3), cid(2): cid(4)})
    schedule.to_csv(out / "schedule.csv", index=False)
    capsys.readouterr()
    assert main(["check", str(out)]) == 1
    text = capsys.readouterr().out
    assert (f"grid: featured area Y ({cid(3)}, {cid(4)}) lies in G1 and G2 — a featured community "
            "does not cross grids") in text
    assert f"the plan makes community {cid(4)} featured from 2026" in text


def test_check_rejects_an_area_featured_in_two_years(tmp_path, capsys):
    data = featured_data(tmp_path / "d")
    scenario = write_scenario(tmp_path / "s.toml", data, last_year=2027, targets=FEATURED_TWO)
    out = tmp_path / "plan"
    # 2027: the running costs of 2026's recycling points (3 × 10,000)
    budgets = pd.read_csv(data / "budgets.csv")
    budgets.loc[len(budgets)] = ["city_fiscal", 2027, 30_000.0]
    budgets.to_csv(data / "budgets.csv", index=False)
    assert main(["plan", str(scenario), "--out", str(out), "--no-excel"]) == 0
    schedule = pd.read_csv(out / "schedule.csv", dtype={"community_id": str})
    assert set(schedule.loc[schedule["community_id"].isin(X), "year"]) == {2026}
    schedule.loc[schedule["community_id"] == cid(2), "year"] = 2027
    schedule.to_csv(out / "schedule.csv", index=False)
    capsys.readouterr()
    assert main(["check", str(out)]) == 1
    assert (f"featured area X (grid G1): its committees start featured in different years "
            f"({cid(1)} from 2026, {cid(2)} from 2027; first 2026)") in capsys.readouterr().out


def test_an_area_partly_outside_the_planned_area_is_not_made_featured(tmp_path):
    data = featured_data(tmp_path / "d")
    rows = pd.read_csv(data / "featured_areas.csv", dtype=str, keep_default_na=False)
    rows.loc[len(rows)] = ["X", "310104003001", "", "test"]  # a committee of 徐汇
    communities = pd.read_csv(data / "communities.csv", dtype=str, keep_default_na=False)
    other = communities.iloc[0].copy()
    other[["community_id", "street_code", "district"]] = ["310104003001", "310104003", "徐汇"]
    communities.loc[len(communities)] = other
    streets = pd.read_csv(data / "streets.csv", dtype=str)
    streets.loc[len(streets)] = ["310104003", "天平路街道", "徐汇", "main_urban"]
    for name, frame in (("featured_areas", rows), ("communities", communities), ("streets", streets)):
        frame.to_csv(data / f"{name}.csv", index=False)
    scenario = load_scenario(write_scenario(tmp_path / "s.toml", data, last_year=2026,
                                            extra='[area]\ndistricts = ["黄浦"]'))
    problem = prepare(scenario)
    x = next(a for a in problem.areas if a.area_id == "X")
    assert x.outside == ("310104003001",) and "partly outside the planned area" in x.blocked
    assert not problem.allowed["featured"][list(x.members)].any()


def test_featured_areas_naming_unknown_committees_are_named(tmp_path):
    data = featured_data(tmp_path / "d")
    rows = pd.read_csv(data / "featured_areas.csv", dtype=str, keep_default_na=False)
    rows.loc[0, "community_id"] = "310101017999"
    rows.to_csv(data / "featured_areas.csv", index=False)
    with pytest.raises(InputError) as caught:
        load_dataset(data)
    assert [(p.file, p.row, p.column, p.value) for p in caught.value.problems] == [
        ("featured_areas", 2, "community_id", "310101017999")]


# ------------------------------------------------------------------------------------------
# Coverage over grids
# ------------------------------------------------------------------------------------------
# Four communities, each 300,000 yuan from basic (100 m² of service floor short): grid G1 =
# 001 (4,000 households) + 002 (3,000), G2 = 003 (1,000), G3 = 004 (2,000). 600,000 yuan in
# 2026 buys two. Worth most: 001 + 002 (one grid complete). Two grids of three (θ = 0.6) with
# whole grids: 003 + 004. With a grid counting at half its committees: 001 + 004.
GRID_OF = {1: "G1", 2: "G1", 3: "G2", 4: "G3"}
SHORT = {1: 4000, 2: 3000, 3: 1000, 4: 2000}


def grid_data(folder):
    communities = [met_community(cid(n), h, service_floor_m2=0.3 * h - 100.0)
                   for n, h in SHORT.items()]
    grids = [{"community_id": cid(n), "grid_id": g, "grid_name": "", "source": "test"}
             for n, g in GRID_OF.items()]
    return write_dataset(folder, communities, budgets={2026: 600_000}, more={"grids": grids})


@pytest.mark.parametrize(("targets", "chosen"), [
    ("", {1, 2}),
    (target_toml("grids", "complete_grids", 2026, 0.6), {3, 4}),
    (target_toml("grids", "complete_grids", 2026, 0.6, block_threshold=0.5), {1, 4}),
])
def test_coverage_over_grids(tmp_path, targets, chosen):
    scenario = load_scenario(write_scenario(tmp_path / "s.toml", grid_data(tmp_path / "d"),
                                            last_year=2026, targets=targets))
    plan = make_plan(scenario)
    assert set(plan.schedule["community_id"]) == {cid(n) for n in chosen}
    if targets:
        row = plan.targets.set_index("target").loc["grids"]
        assert (row["required"], row["achieved"], row["shortfall_unit"]) == (2.0, 2.0, "grids")
        assert check_against(plan, prepare(scenario)) == []


def test_a_hard_grid_target_a_plan_misses_is_rejected(tmp_path, capsys):
    targets = target_toml("grids", "complete_grids", 2026, 0.6)
    scenario = write_scenario(tmp_path / "s.toml", grid_data(tmp_path / "d"), last_year=2026,
                              targets=targets)
    out = tmp_path / "plan"
    assert main(["plan", str(scenario), "--out", str(out), "--no-excel"]) == 0
    schedule = pd.read_csv(out / "schedule.csv", dtype={"community_id": str})
    # 001 + 002 for 003 + 004: one grid complete, the same money (the featured class costs
    # nothing more here: every featured criterion is met)
    schedule["community_id"] = schedule["community_id"].replace({cid(3): cid(1), cid(4): cid(2)})
    schedule.to_csv(out / "schedule.csv", index=False)
    capsys.readouterr()
    assert main(["check", str(out)]) == 1
    assert "hard target grids is not met (1 of 2)" in capsys.readouterr().out


def test_a_grid_target_needs_a_grid_table(tmp_path):
    data = grid_data(tmp_path / "d")
    (data / "grids.csv").unlink()
    scenario = load_scenario(write_scenario(tmp_path / "s.toml", data, last_year=2026,
                                            targets=target_toml("g", "complete_grids", 2026, 0.6)))
    with pytest.raises(InputError, match="a grids table in the data"):
        prepare(scenario)


def test_the_tiny_example_has_a_synthetic_grid_table():
    data = load_dataset(example_path())
    assert len(data.grids) == len(data.communities)
    assert data.grids["source"].str.startswith("synthetic").all()
    # every grid within one street (data/build_shanghai.py, build_grids)
    street = data.communities.set_index("community_id")["street_code"]
    assert (data.grids.groupby("grid_id")["community_id"].agg(
        lambda ids: street[ids].nunique()) == 1).all()


def _with_measure(scenario: Path, measure: str) -> Path:
    text = scenario.read_text(encoding="utf-8")
    scenario.write_text(text.replace("last_year =", f'coverage_measure = "{measure}"\nlast_year =',
                                     1), encoding="utf-8")
    return scenario


def test_coverage_measured_by_grids(tmp_path):
    # The data above, `coverage` with coverage_measure = "grids", θ = 0.6 of the 3 grids:
    # ⌈1.8⌉ = 2 grids whose committees are all complete; 600,000 yuan buys two committees, so
    # only G2 (003) + G3 (004) — a whole-grid reading; by communities 0.6 × 4 = 2.4 committees
    # could not be bought at all.
    scenario = _with_measure(write_scenario(
        tmp_path / "s.toml", grid_data(tmp_path / "d"), last_year=2026,
        targets=target_toml("cov", "coverage", 2026, 0.6)), "grids")
    plan = make_plan(load_scenario(scenario))
    assert set(plan.schedule["community_id"]) == {cid(3), cid(4)}
    row = plan.targets.set_index("target").loc["cov"]
    assert (row["required"], row["achieved"], row["shortfall_unit"]) == (2.0, 2.0, "grids")
    assert row["achieved_level"] == pytest.approx(2 / 3)
    assert check_against(plan, prepare(load_scenario(scenario))) == []


def test_coverage_by_grids_needs_a_grid_table_and_no_district_coverage(tmp_path):
    data = grid_data(tmp_path / "d")
    (data / "grids.csv").unlink()
    scenario = _with_measure(write_scenario(
        tmp_path / "s.toml", data, last_year=2026, targets="\n\n".join([
            target_toml("cov", "coverage", 2026, 0.6),
            target_toml("each", "district_coverage", 2026, 0.6)])), "grids")
    with pytest.raises(InputError) as err:
        prepare(load_scenario(scenario))
    text = str(err.value)
    assert "coverage_measure = grids" in text and "a grids table in the data" in text
    assert "targets.each.kind" in text and "district_coverage" in text
