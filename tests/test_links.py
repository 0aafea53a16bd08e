"""Matching and top-up rules (``sharing_links``, docs/funding_rules.md): the linked share
polytope by hand, hand-computed plans under a matching ratio and a zone-dependent city top-up,
each re-verified by ``wzmodel check``, and tampered funding that check rejects naming the rule,
the place and the year; the bundled secondary-water rule."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from builders import met_community, write_dataset, write_scenario
from hypothesis import given, settings
from hypothesis import strategies as st

from wzmodel.cli import main
from wzmodel.data import example_path, load_dataset
from wzmodel.planner import make_plan, prepare
from wzmodel.planner.check import check_against
from wzmodel.planner.funding import SPLIT_TOL, Link, LinkedShares, Share
from wzmodel.scenario import load_scenario
from wzmodel.schema import InputError
from wzmodel.vocabulary import COST_CATEGORIES

# city 20–60 %, district 10–50 %, social capital 0–40 % (test_funding's hexagon) ...
THREE = (Share("city", 0.2, 0.6, True), Share("district", 0.1, 0.5, True),
         Share("social", 0.0, 0.4, False))
# ... and social capital at most 0.5 yuan per public yuan: social ≤ (1 − social) / 2, i.e.
# social ≤ 1/3, which cuts the hexagon's two vertices with social 0.4.
MATCHED = LinkedShares(THREE, (Link("social", "at_most", 0.5, ("city", "district"), "match"),))


def test_a_matching_ratio_cuts_the_share_polytope():
    found = {tuple(round(float(x), 9) for x in v) for v in MATCHED.vertices()}
    third = round(1 / 3, 9)
    assert found == {(0.2, 0.5, 0.3), (0.6, 0.1, 0.3), (0.6, 0.4, 0.0), (0.5, 0.5, 0.0),
                     (0.2, round(0.8 - 1 / 3, 9), third), (round(0.9 - 1 / 3, 9), 0.1, third)}


def test_a_top_up_fixes_the_share_and_keeps_the_others_free():
    rule = LinkedShares(THREE, (Link("city", "equal", 0.3, None, "top-up"),))
    assert {tuple(round(float(x), 9) for x in v) for v in rule.vertices()} == {
        (0.3, 0.3, 0.4), (0.3, 0.5, 0.2)}
    assert rule.violations({"city": 30.0, "district": 40.0, "social": 30.0}, 100.0, 1e-6,
                           "a cost") == []
    assert rule.violations({"city": 40.0, "district": 30.0, "social": 30.0}, 100.0, 1e-6,
                           "a cost") == ["top-up: city pays 40 yuan of a cost, not exactly 0.3 × "
                                         "the cost (30 yuan)"]


def test_linked_split_pays_the_least_public_money_the_money_left_allows():
    assert MATCHED.split(90.0) == pytest.approx({"city": 18.0, "district": 42.0, "social": 30.0})
    # social capital has 10 left: it pays them, public money the rest
    pay = MATCHED.split(100.0, {"city": 1e9, "district": 1e9, "social": 10.0})
    assert pay["social"] == pytest.approx(10.0) and pay["city"] + pay["district"] == pytest.approx(90.0)
    assert MATCHED.violations(pay, 100.0, 1e-6, "a cost") == []
    assert MATCHED.split(100.0, {"city": 19.0, "district": 1e9, "social": 1e9}) is None
    # what stops it: the city below its least share (20); social capital can give at most 1/3
    assert MATCHED.short(100.0, {"city": 19.0, "district": 1e9, "social": 1e9}) == ("city",)
    top_up = LinkedShares(THREE, (Link("city", "equal", 0.3, None, "top-up"),))
    assert top_up.short(100.0, {"city": 25.0, "district": 1e9, "social": 1e9}) == ("city",)
    assert MATCHED.short(100.0, {"city": 1e9, "district": 1e9, "social": 1e9}) == ()


@st.composite
def linked_rules(draw):
    n = draw(st.integers(2, 5))
    lo = [draw(st.floats(0.0, 1.0 / n)) for _ in range(n)]
    hi = [draw(st.floats(low, 1.0)) for low in lo]
    hi[-1] = 1.0
    shares = tuple(Share(f"s{k}", lo[k], hi[k], k % 2 == 0) for k in range(n))
    links = []
    for _ in range(draw(st.integers(1, 2))):
        source = f"s{draw(st.integers(0, n - 1))}"
        base = draw(st.sampled_from([None, "public", "s0"]))
        if base == "public":
            base = tuple(s.source_id for s in shares if s.public and s.source_id != source)
        elif base == "s0":
            base = ("s0",)
        links.append(Link(source, draw(st.sampled_from(["at_most", "equal", "at_least"])),
                          draw(st.floats(0.0, 2.0)), base, "rule"))
    amount = draw(st.floats(1.0, 1e8))
    left = draw(st.none() | st.lists(st.floats(0.0, 2e8), min_size=n, max_size=n))
    return LinkedShares(shares, tuple(links)), amount, left


@settings(max_examples=200, deadline=None, derandomize=True)
@given(linked_rules())
def test_every_vertex_and_every_split_obey_the_bounds_and_links(case):
    rule, amount, available = case
    for sigma in rule.vertices():
        assert rule.violations(dict(zip(rule.sources, sigma, strict=True)), 1.0, 1e-7, "v") == []
    left = None if available is None else dict(zip(rule.sources, available, strict=True))
    pay = rule.split(amount, left)
    if len(rule.vertices()) and left is None:
        assert pay is not None
    if pay is None:
        return
    tol = SPLIT_TOL * max(1.0, amount)
    assert math.fsum(pay.values()) == pytest.approx(amount, abs=tol)
    assert rule.violations(pay, amount, 1e-6 * amount, "a cost") == []
    if left is not None:
        assert all(pay[s] <= left[s] + tol for s in rule.sources)


# ------------------------------------------------------------------------------------------
# Hand-computed plans
# ------------------------------------------------------------------------------------------
HUANGPU = {"street_code": "310101017", "street_name": "小东门街道", "district": "黄浦",
           "zone": "main_urban"}
XUHUI = {"street_code": "310104003", "street_name": "天平路街道", "district": "徐汇",
         "zone": "main_urban"}
SONGJIANG = {"street_code": "310117005", "street_name": "广富林街道", "district": "松江",
             "zone": "new_town"}


def source(sid: str, role: str, public: bool) -> dict:
    return {"source_id": sid, "name": sid, "role": role, "district": "", "public": public}


def short(street: dict, n: int, households: int) -> dict:
    """A community 100 m² of service floor short: 300,000 yuan to basic, nothing more."""
    return met_community(f"{street['street_code']}{n:03d}", households,
                         street_code=street["street_code"], district=street["district"],
                         service_floor_m2=0.3 * households - 100.0)


def shares_for(roles: tuple[str, ...]) -> list[dict]:
    return [{"option": "city_pays", "cost_category": k, "role": r, "min_share": 0.0,
             "max_share": 1.0, "zone": "", "district": ""} for k in COST_CATEGORIES for r in roles]


def link(role: str, relation: str, ratio: float, base: str, **where) -> dict:
    return {"option": "city_pays", "role": role, "relation": relation, "ratio": ratio,
            "base": base, "cost_category": where.get("cost_category", ""),
            "zone": where.get("zone", ""), "district": where.get("district", ""),
            "source": "test"}


def plan_of(tmp_path, communities, streets, sources, budgets, links):
    data = write_dataset(tmp_path / "d", communities, budgets=budgets, streets=streets,
                         sources=sources, sharing=shares_for(tuple(s["role"] for s in sources)),
                         more={"sharing_links": links})
    return write_scenario(tmp_path / "s.toml", data, last_year=2026)


# Matching: three communities of 300,000 yuan — H1 (2,000 households) and H2 (1,000) in 黄浦,
# X1 (1,000) in 徐汇 — the city has 200,000 yuan, social capital 1,000,000. Social capital may
# put in at most 0.5 yuan per public yuan in 黄浦 (the rule names the district). Without the
# rule social capital pays all three. With it a 黄浦 upgrade needs ≥ 200,000 of city money
# (c + s = 300,000, s ≤ c/2): only H1; X1 is paid by social capital alone.
# H1: city 200,000, social 100,000; X1: social 300,000.
MATCHING = [link("social_capital", "at_most", 0.5, "public", district="黄浦")]


def matching_plan(tmp_path, links=MATCHING):
    communities = [short(HUANGPU, 1, 2000), short(HUANGPU, 2, 1000), short(XUHUI, 1, 1000)]
    sources = [source("city_fiscal", "city_fiscal", True),
               source("social_capital", "social_capital", False)]
    budgets = {("city_fiscal", 2026): 200_000, ("social_capital", 2026): 1_000_000}
    return plan_of(tmp_path, communities, [HUANGPU, XUHUI], sources, budgets, links)


def paid(plan) -> dict[tuple[str, str], float]:
    return plan.funding.groupby(["district", "source_id"])["yuan"].sum().round(2).to_dict()


def test_without_the_matching_rule_social_capital_pays_everything(tmp_path):
    plan = make_plan(load_scenario(matching_plan(tmp_path, links=[])))
    assert set(plan.schedule.loc[plan.schedule["class"] == "basic", "community_id"]) == {
        "310101017001", "310101017002", "310104003001"}
    assert set(plan.funding["source_id"]) == {"social_capital"}


def test_a_matching_ratio_in_a_district(tmp_path):
    scenario = load_scenario(matching_plan(tmp_path))
    plan = make_plan(scenario)
    assert set(plan.schedule["community_id"]) == {"310101017001", "310104003001"}
    assert paid(plan) == {("徐汇", "social_capital"): 300_000.0, ("黄浦", "city_fiscal"): 200_000.0,
                          ("黄浦", "social_capital"): 100_000.0}
    assert check_against(plan, prepare(scenario)) == []


def test_check_rejects_funding_above_the_matching_ratio(tmp_path, capsys):
    out = tmp_path / "plan"
    assert main(["plan", str(matching_plan(tmp_path)), "--out", str(out), "--no-excel"]) == 0
    funding = pd.read_csv(out / "funding.csv")
    city = (funding["district"] == "黄浦") & (funding["source_id"] == "city_fiscal")
    social = (funding["district"] == "黄浦") & (funding["source_id"] == "social_capital")
    funding.loc[city, "yuan"] -= 50_000.0  # 150,000 from the city, 150,000 social capital
    funding.loc[social, "yuan"] += 50_000.0
    funding.to_csv(out / "funding.csv", index=False)
    capsys.readouterr()
    assert main(["check", str(out)]) == 1
    text = capsys.readouterr().out
    assert ("sharing_links row 2 (option city_pays: social_capital at most 0.5 × public): "
            "social_capital pays 150,000 yuan of service_facilities in 黄浦 (main_urban) in "
            "2026, not at most 0.5 × city_fiscal (75,000 yuan)") in text
    assert text.count("sharing_links row") == 1  # 徐汇 is not bound by the rule


# Zone-dependent top-up: the city pays exactly 60 % of every cost in the main urban area and
# 30 % in the new towns; owners pay the rest. M1 in 黄浦 (main urban, 2,000 households), N1 and
# N2 in 松江 (new town, 1,000 and 1,500), 300,000 yuan each. The city has 200,000 yuan, owners
# 450,000. M1 needs 180,000 of city money; N1 and N2 90,000 each (owners 210,000 each): the
# city can pay M1 alone (2,000 households) or N1 + N2 (2,500), and owners N1 + N2 (420,000):
# the plan is N1 + N2, city 180,000 and owners 420,000. At 60 % everywhere N1 + N2 would need
# 360,000 of city money: M1 alone.
TOP_UP = [link("city_fiscal", "equal", 0.6, "cost", zone="main_urban"),
          link("city_fiscal", "equal", 0.3, "cost", zone="new_town")]


def top_up_plan(tmp_path, links=TOP_UP):
    communities = [short(HUANGPU, 1, 2000), short(SONGJIANG, 1, 1000), short(SONGJIANG, 2, 1500)]
    sources = [source("city_fiscal", "city_fiscal", True), source("owners", "owners", False)]
    budgets = {("city_fiscal", 2026): 200_000, ("owners", 2026): 450_000}
    return plan_of(tmp_path, communities, [HUANGPU, SONGJIANG], sources, budgets, links)


def test_a_zone_dependent_top_up(tmp_path):
    scenario = load_scenario(top_up_plan(tmp_path))
    plan = make_plan(scenario)
    assert set(plan.schedule["community_id"]) == {"310117005001", "310117005002"}
    assert paid(plan) == {("松江", "city_fiscal"): 180_000.0, ("松江", "owners"): 420_000.0}
    assert check_against(plan, prepare(scenario)) == []


def test_the_same_top_up_everywhere_changes_the_plan(tmp_path):
    plan = make_plan(load_scenario(top_up_plan(
        tmp_path, links=[link("city_fiscal", "equal", 0.6, "cost")])))
    assert set(plan.schedule["community_id"]) == {"310101017001"}
    assert paid(plan) == {("黄浦", "city_fiscal"): 180_000.0, ("黄浦", "owners"): 120_000.0}


def test_check_rejects_a_city_share_off_its_zone_top_up(tmp_path, capsys):
    out = tmp_path / "plan"
    assert main(["plan", str(top_up_plan(tmp_path)), "--out", str(out), "--no-excel"]) == 0
    funding = pd.read_csv(out / "funding.csv")
    funding.loc[funding["source_id"] == "city_fiscal", "yuan"] += 10_000.0  # within its budget
    funding.loc[funding["source_id"] == "owners", "yuan"] -= 10_000.0
    funding.to_csv(out / "funding.csv", index=False)
    capsys.readouterr()
    assert main(["check", str(out)]) == 1
    issues = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  - ")]
    assert issues == ["  - sharing_links row 3 (option city_pays: city_fiscal exactly 0.3 × cost): "
                      "city_fiscal pays 190,000 yuan of service_facilities in 松江 (new_town) in "
                      "2026, not exactly 0.3 × the cost (180,000 yuan)"]


def test_links_no_split_can_meet_are_named(tmp_path):
    # the city pays exactly 60 % and at most 50 % of the same costs
    links = [*TOP_UP, link("city_fiscal", "at_most", 0.5, "cost", zone="main_urban")]
    with pytest.raises(InputError, match="links of option 'city_pays' that some split of "
                                         "service_facilities in 黄浦 \\(main_urban\\) can meet"):
        prepare(load_scenario(top_up_plan(tmp_path, links=links)))


def test_a_link_of_an_unknown_option_is_named(tmp_path):
    data = tmp_path / "d"
    top_up_plan(tmp_path, links=[{**TOP_UP[0], "option": "nowhere"}])
    with pytest.raises(InputError) as caught:
        load_dataset(data)
    assert [(p.file, p.row, p.column, p.value) for p in caught.value.problems] == [
        ("sharing_links", 2, "option", "nowhere")]


# ------------------------------------------------------------------------------------------
# The bundled secondary-water rule (data/build_shanghai.py)
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("option", ["fiscal_led", "utilities_owners", "social_capital_leveraged"])
def test_bundled_secondary_water_split(option):
    scenario = load_scenario(example_path() / "scenarios" / "baseline.toml",
                             funding={"sharing_option": option})
    p = prepare(scenario)
    groups = p.groups.reset_index().set_index(["district", "zone"])["index"]
    for (district, zone), city in ((("黄浦", "main_urban"), (0.38, 0.38)),
                                   (("松江", "new_town"), (0.12, 0.22))):
        rule = p.rules[(int(groups[(district, zone)]), "water")]
        sigma = pd.DataFrame(rule.vertices(), columns=rule.sources)
        assert (sigma["utility_water"] == 0.10).all()  # the meters [assumed share]
        assert sigma["city_fiscal"].min() == pytest.approx(city[0])
        assert sigma["city_fiscal"].max() == pytest.approx(city[1])
        pot = next(s for s in rule.sources if s.startswith("district_fiscal"))
        # the district covers what the meters, the city and the maintenance fund leave
        np.testing.assert_allclose(sigma[pot] + sigma["owners"], 0.9 - sigma["city_fiscal"])
