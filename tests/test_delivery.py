"""Delivery capacity, lead times and phased capital (``[delivery]``), computed by hand.

The communities are test_planner's HAND: A, B, C of 1,000 / 500 / 2,000 households in 黄浦,
whose only basic gap is service floor — capital 300k / 150k / 600k yuan, running 15k / 7.5k /
30k yuan a year. Featured upgrades are shut out with a featured capacity of 0.
"""

from __future__ import annotations

import pandas as pd
import pytest
from builders import target_toml, write_dataset, write_scenario
from test_planner import HAND

from wzmodel.cli import main
from wzmodel.planner import make_plan, prepare
from wzmodel.planner.check import check_against, check_plan
from wzmodel.scenario import load_scenario
from wzmodel.schema import InputError

A, B, C = "310101017001", "310101017002", "310101017003"
MEAN_HH = 3500 / 3  # objective weight of a community: households / mean households


def scenario(tmp_path, delivery: str, *, targets: str = "", budget: float = 2_000_000):
    data = write_dataset(tmp_path / "d", HAND, budgets={y: budget for y in (2026, 2027, 2028)})
    path = write_scenario(tmp_path / "s.toml", data, last_year=2028, targets=targets,
                          extra=delivery)
    return path


def schedule_of(plan) -> dict[str, int]:
    return dict(zip(plan.schedule["community_id"], plan.schedule["year"], strict=True))


CAP_ONE = """
[delivery.capacity.default]
basic = 1
featured = 0
"""


def test_capacity_one_a_year_spreads_the_starts(tmp_path):
    """Money for all three in 2026, but 黄浦 may start one basic project a year: the largest
    first. C 2026 (3 years complete), A 2027 (2), B 2028 (1): (2000·3 + 1000·2 + 500·1) / mean."""
    path = scenario(tmp_path, CAP_ONE)
    plan = make_plan(load_scenario(path))
    assert plan.outcome.status == "optimal"
    assert schedule_of(plan) == {C: 2026, A: 2027, B: 2028}
    assert plan.outcome.objective == pytest.approx(8500 / MEAN_HH, abs=1e-6)
    # capital 1,050,000; running: C in 2027 and 2028 (60k), A in 2028 (15k)
    assert plan.kpi("money_total") == pytest.approx(1_125_000, abs=0.01)
    rows = plan.district_year.query("`class` == 'basic'")
    assert list(rows["projects_started"]) == [1, 1, 1]
    assert list(rows["capacity"]) == [1, 1, 1]
    assert check_against(plan, prepare(load_scenario(path))) == []


def test_without_capacity_everything_starts_at_once(tmp_path):
    path = scenario(tmp_path, "[delivery.capacity.default]\nfeatured = 0\n")
    plan = make_plan(load_scenario(path))
    assert schedule_of(plan) == {A: 2026, B: 2026, C: 2026}
    assert plan.district_year["capacity"].isna().sum() == 3  # basic: no cap, written blank


LEAD = CAP_ONE.replace("basic = 1", "basic = 3") + """
[delivery.lead_time.basic]
years = 1
capital_shares = [0.4, 0.6]
"""


def test_lead_time_shifts_completion_and_phases_capital(tmp_path):
    """All three start in 2026 and complete in 2027 (a 2027 start would complete in 2028, a
    2028 start not within the plan). Capital 1,050,000: 40 % (420,000) in 2026, 60 % (630,000)
    in 2027; running costs (52,500) from 2028. Objective: 3 communities × 2 complete years."""
    targets = target_toml("all_2027", "coverage", 2027, 1.0)
    path = scenario(tmp_path, LEAD, targets=targets)
    plan = make_plan(load_scenario(path))
    assert schedule_of(plan) == {A: 2026, B: 2026, C: 2026}
    assert plan.outcome.objective == pytest.approx(6.0, abs=1e-6)
    money = plan.money.set_index("year")["yuan"].to_dict()
    assert money == pytest.approx({2026: 420_000, 2027: 630_000, 2028: 52_500}, abs=0.01)
    assert plan.coverage_at(2026, "all") == 0.0
    assert plan.coverage_at(2027, "all") == 1.0
    done = plan.district_year.query("`class` == 'basic'").set_index("year")["projects_completed"]
    assert done.to_dict() == {2026: 0, 2027: 3, 2028: 0}
    assert check_against(plan, prepare(load_scenario(path))) == []


def test_a_target_before_the_first_completion_is_out_of_reach(tmp_path, capsys):
    path = scenario(tmp_path, LEAD, targets=target_toml("all_2026", "coverage", 2026, 0.3))
    assert main(["plan", str(path), "--out", str(tmp_path / "out")]) == 3
    assert "cannot all be met" in capsys.readouterr().out


def test_tampered_capacity_and_phasing_are_rejected_by_name(tmp_path, capsys):
    out = tmp_path / "capped"
    path = scenario(tmp_path / "a", CAP_ONE, targets=target_toml("all_2028", "coverage", 2028, 1.0))
    assert main(["plan", str(path), "--out", str(out)]) == 0
    assert main(["check", str(out)]) == 0
    schedule = pd.read_csv(out / "schedule.csv", dtype={"community_id": str})
    schedule.loc[schedule["community_id"] == B, "year"] = 2026  # a second start in 2026
    schedule.to_csv(out / "schedule.csv", index=False)
    issues = check_plan(out)
    assert "capacity: 黄浦 starts 2 basic projects in 2026, more than its capacity of 1" in issues

    out = tmp_path / "phased"
    path = scenario(tmp_path / "b", LEAD, targets=target_toml("all_2027", "coverage", 2027, 1.0))
    assert main(["plan", str(path), "--out", str(out)]) == 0
    assert main(["check", str(out)]) == 0
    funding = pd.read_csv(out / "funding.csv")
    funding.loc[funding["year"] == 2027, "year"] = 2026  # all capital up front, not phased
    funding.to_csv(out / "funding.csv", index=False)
    capsys.readouterr()
    assert main(["check", str(out)]) == 1
    text = capsys.readouterr().out
    assert "funding for service_facilities in 黄浦 (main_urban) in 2026 is 1,050,000 yuan but the schedule " \
           "needs 420,000 yuan" in text
    assert "in 黄浦 (main_urban) in 2027 is 0 yuan but the schedule needs 630,000 yuan" in text


def test_a_start_that_completes_after_the_plan_is_rejected(tmp_path):
    path = scenario(tmp_path, LEAD)
    plan = make_plan(load_scenario(path))
    plan.schedule.loc[plan.schedule["community_id"] == A, "year"] = 2028
    issues = check_against(plan, prepare(load_scenario(path)))
    assert issues == [f"lead time: community {A} starts basic in 2028 and completes in 2029, "
                      "after the last plan year 2028"]


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("[delivery.lead_time.basic]\nyears = 1\ncapital_shares = [0.5, 0.4]\n",
         "delivery.lead_time.basic", "capital_shares must sum to 1, not 0.9"),
        ("[delivery.lead_time.basic]\nyears = 2\ncapital_shares = [0.5, 0.5]\n",
         "delivery.lead_time.basic", "capital_shares needs years + 1 = 3 shares"),
        ("[delivery.lead_time.grand]\nyears = 0\n", "delivery", "lead_time is given per class"),
        ("[delivery.capacity.default]\nbasic = -1\n", "delivery.capacity.default.basic",
         "greater than or equal to 0"),
    ],
)
def test_bad_delivery_sections_are_named_problems(tmp_path, text, column, message):
    with pytest.raises(InputError) as err:
        load_scenario(scenario(tmp_path, text))
    problems = err.value.problems
    assert any(p.column == column and message in p.expected for p in problems), problems


def test_an_unknown_district_is_a_named_problem(tmp_path):
    path = scenario(tmp_path, "[delivery.capacity.districts.\"浦西\"]\nbasic = 1\n")
    with pytest.raises(InputError) as err:
        prepare(load_scenario(path))
    assert [(p.column, p.value) for p in err.value.problems] == [
        ("delivery.capacity.districts", "浦西")
    ]


STREET_ONE = """
[delivery.capacity.default]
featured = 0

[delivery.capacity.streets."310101017"]
basic = 1
"""


def test_a_street_cap_of_its_own_spreads_the_starts(tmp_path):
    """黄浦 is not limited, but A, B, C's street (310101017) may start one basic project a year:
    the same spread as a district cap of one — C 2026, A 2027, B 2028 — and street_year.csv
    says so; a tampered second start in 2026 is named by street and year."""
    path = scenario(tmp_path, STREET_ONE, targets=target_toml("all_2028", "coverage", 2028, 1.0))
    plan = make_plan(load_scenario(path))
    assert plan.outcome.status == "optimal"
    assert schedule_of(plan) == {C: 2026, A: 2027, B: 2028}
    assert plan.outcome.objective == pytest.approx(8500 / MEAN_HH, abs=1e-6)
    assert plan.district_year.query("`class` == 'basic'")["capacity"].isna().all()
    streets = plan.extra_tables["street_year"].query("`class` == 'basic'")
    assert list(streets["projects_started"]) == [1, 1, 1]
    assert list(streets["capacity"]) == [1, 1, 1]
    out = tmp_path / "out"
    assert main(["plan", str(path), "--out", str(out)]) == 0
    assert (out / "street_year.csv").is_file()
    assert main(["check", str(out)]) == 0
    schedule = pd.read_csv(out / "schedule.csv", dtype={"community_id": str})
    schedule.loc[schedule["community_id"] == B, "year"] = 2026
    schedule.to_csv(out / "schedule.csv", index=False)
    assert ("capacity: street 310101017 starts 2 basic projects in 2026, more than its capacity "
            "of 1") in check_plan(out)


def test_an_unknown_street_is_a_named_problem(tmp_path):
    path = scenario(tmp_path, "[delivery.capacity.streets.\"310101999\"]\nbasic = 1\n")
    with pytest.raises(InputError) as err:
        prepare(load_scenario(path))
    assert [(p.column, p.value) for p in err.value.problems] == [
        ("delivery.capacity.streets", "310101999")
    ]


def test_a_category_paid_on_its_own_schedule(tmp_path):
    """The class takes a year (40/60 phasing) but service-floor works are paid in full in the
    start year (``categories.service_facilities = [1, 0]``): the whole 1,050,000 in 2026,
    completion still 2027, running costs (52,500) from 2028; check re-verifies the phasing."""
    phased = LEAD + "categories = { service_facilities = [1.0, 0.0] }\n"
    path = scenario(tmp_path, phased, targets=target_toml("all_2027", "coverage", 2027, 1.0))
    plan = make_plan(load_scenario(path))
    assert schedule_of(plan) == {A: 2026, B: 2026, C: 2026}
    money = plan.money.set_index("year")["yuan"].to_dict()
    assert money == pytest.approx({2026: 1_050_000, 2028: 52_500}, abs=0.01)
    assert plan.coverage_at(2027, "all") == 1.0
    assert check_against(plan, prepare(load_scenario(path))) == []
    with pytest.raises(InputError) as err:
        load_scenario(scenario(tmp_path / "bad", LEAD + "categories = { lifts = [1.0, 0.0] }\n"))
    assert any("cost categories" in p.expected for p in err.value.problems)
