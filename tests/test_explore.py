"""The explorer's logic without a browser: levers, named problems, warm re-plans, uploads of
sharing options and of data workbooks."""

from __future__ import annotations

import copy
import io
import tempfile
from dataclasses import replace

import openpyxl
import pytest
from builders import tiny_workbook
from conftest import REPO, TINY

from wzmodel.explore import MAX_UPLOAD_BYTES, Explorer, compare
from wzmodel.report import plain_status
from wzmodel.scenario import load_scenario
from wzmodel.schema import InputError

# a short search: the levers and what they change are under test, not the optimum
FAST = {"time_limit": 3, "node_limit": None}


@pytest.fixture(scope="module")
def planned():
    """The tiny example's baseline and a re-plan with city fiscal money cut by 10 %."""
    explorer = Explorer.open(TINY / "scenarios" / "baseline.toml", solver=FAST)
    baseline = explorer.plan_baseline()
    assert explorer.set_budget_scale("city_fiscal", None, 0.9) == []
    return explorer, baseline, explorer.plan()


def test_cutting_a_budget_lowers_that_sources_spending(planned):
    explorer, baseline, cut = planned
    assert cut.warm  # re-planned from the baseline's plan
    assert baseline.solved and cut.solved
    budget = explorer.dataset.budgets.query("source_id == 'city_fiscal'")["budget_yuan"].sum()
    assert cut.spending["city_fiscal"] <= 0.9 * budget + 1
    assert cut.spending["city_fiscal"] < baseline.spending["city_fiscal"]
    side = compare(baseline, cut)
    row = side.loc["money, city fiscal (million yuan)"]
    assert row["change"] == pytest.approx(row["current settings"] - row["baseline"])
    assert row["change"] < 0
    assert {"coverage 2027, main urban + new towns", "target coverage_2027 met"} <= set(side.index)


def test_the_answer_reads_like_the_briefing_page(planned):
    _, _, cut = planned
    assert list(cut.coverage_district.columns) == ["communities", 2027, 2030, 2035]
    assert "黄浦 Huangpu" in cut.coverage_district.index
    assert cut.money.loc["total", "all years"] == pytest.approx(
        cut.plan.money["yuan"].sum() / 1e6)
    years = sorted(set(cut.first["year"]))  # the plan's first two years with starts
    assert len(years) <= 2 and years[0] >= 2026 and cut.first["community"].notna().all()
    assert cut.status.startswith(("best plan found", "a good plan found", "a weak plan found"))
    files = cut.files()
    assert files["plan.xlsx"][:2] == b"PK" and b"<html" in files["report.html"][:200]
    # the burden per district: each district fiscal pot's money over its residents
    burden = cut.plan.district_burden
    huangpu = burden[burden["district"] == "黄浦"]
    row = cut.burden.loc["黄浦 Huangpu"]
    assert row["all years, million yuan"] == pytest.approx(huangpu["yuan"].sum() / 1e6)
    assert row["all years"] == pytest.approx(huangpu["yuan"].sum() / huangpu["residents"].iloc[0])
    assert row[2026] == pytest.approx(huangpu.loc[huangpu["year"] == 2026, "yuan_per_resident"].iloc[0])
    assert row["all years"] > 0


@pytest.mark.parametrize("area", [{}, {"area": {"districts": ["黄浦"]},  # 黄浦's part: 1
                                      "targets": {"featured_2027": {"min_count": 1}}}])
def test_a_budget_change_re_uses_the_last_plans_model(area, caplog):
    """Only budgets moved: the re-plan resets the budget rows of the last plan's model instead
    of building it again (cost multipliers left at 1 do not count as a change), for the city
    and for a district (the page's default is one)."""
    scenario = load_scenario(TINY / "scenarios" / "baseline.toml")
    explorer = Explorer(scenario.update(**area), solver=FAST)
    assert explorer.plan_baseline().solved
    assert explorer.set_cost_scale("gas", 1) == []
    assert explorer.set_budget_scale("owners", None, 0.8) == []
    with caplog.at_level("INFO", logger="wzmodel.planner"):
        explorer.plan()
    assert "re-using the previous plan's model with the new budgets" in caplog.messages
    assert explorer.set_cost_scale("gas", 1.2) == []
    caplog.clear()
    with caplog.at_level("INFO", logger="wzmodel.planner"):
        explorer.plan()
    assert "building the model" in caplog.messages


def test_an_areas_budget_table_lists_its_own_districts_pots_only():
    scenario = load_scenario(TINY / "scenarios" / "baseline.toml")
    explorer = Explorer(scenario.update(area={"districts": ["黄浦"]}), solver=FAST)
    pots = [s for s in explorer.budgets.index if s.startswith("district_fiscal")]
    assert pots == ["district_fiscal_huangpu"]  # not 松江's or 崇明's: no lever in 黄浦's plan
    assert "city_fiscal" in explorer.budgets.index
    assert len(Explorer(scenario, solver=FAST).budgets.index) == len(explorer.budgets.index) + 2


def test_a_plan_far_from_the_best_is_called_weak(planned):
    """The page warns under a plan whose gap is above 5 % or unknown (a city budget cut whose
    search ends at its start was 87 % from the best possible)."""
    _, _, cut = planned
    plan = copy.copy(cut.plan)
    for status, gap, weak in (("optimal", 0.004, False), ("feasible", 0.03, False),
                              ("feasible", 0.874, True), ("feasible", None, True)):
        plan.outcome = replace(cut.plan.outcome, status=status, gap=gap)
        assert replace(cut, plan=plan).weak is weak, (status, gap)
        assert plain_status(plan.outcome).startswith("a weak plan found") is weak


def test_budget_per_year_and_whole_horizon():
    explorer = Explorer.open(TINY / "scenarios" / "baseline.toml", solver=FAST)
    assert explorer.set_budget_scale("owners", 2027, 0.5) == []
    assert explorer.set_budget_scale("social_capital", None, 0.0) == []
    scale = explorer.scenario()[0].funding.source_scale
    assert scale["owners"] == {**dict.fromkeys(explorer.years, 1.0), 2027: 0.5}
    assert scale["social_capital"] == 0.0


@pytest.mark.parametrize(("move", "column", "value"), [
    (lambda e: e.set_budget_scale("city_fiscal", 2026, -0.2),
     "funding.source_scale.city_fiscal.2026", -0.2),
    (lambda e: e.set_cost_scale("gas", "a lot"), "funding.cost_scale.gas", "a lot"),
    (lambda e: e.set_target_level("coverage_2027", 1.5), "targets.coverage_2027.min_share", 1.5),
    (lambda e: e.set_share(0, "max_share", 1.5), "max_share", "1.5"),
    (lambda e: e.set_budget_scale("nobody", None, 1.0), "source", "nobody"),
])
def test_bad_input_is_a_named_problem_and_keeps_the_answer(move, column, value):
    explorer = Explorer.open(TINY / "scenarios" / "baseline.toml", solver=FAST)
    explorer.current = answer = object()  # stands for the answer on the page
    problems = move(explorer)
    assert [(p.column, p.value) for p in problems] == [(column, value)]
    with pytest.raises(Exception, match="problem") as raised:
        explorer.plan()
    assert problems[0] in raised.value.problems
    assert explorer.current is answer


def test_a_share_above_one_names_its_row_and_a_fixed_cell_clears_it():
    explorer = Explorer.open(TINY / "scenarios" / "baseline.toml", solver=FAST)
    [problem] = explorer.set_share(2, "max_share", 1.5)
    assert (problem.row, problem.column) == (3, "max_share")  # the table's third row
    assert "between 0 and 1" in problem.expected
    assert explorer.set_share(2, "max_share", 0.2) == []
    assert explorer.all_problems() == []
    scenario, dataset = explorer.scenario()
    option = scenario.funding.sharing_option
    assert option == "fiscal_led (edited)"
    assert dataset.sharing.query("option == @option")["max_share"].iloc[2] == 0.2


def test_minimum_shares_above_100_percent_are_named():
    explorer = Explorer.open(TINY / "scenarios" / "baseline.toml", solver=FAST)
    problems = explorer.set_share(0, "min_share", 0.95)  # city 95 % + district 20 % > 100 %
    assert any("summing to at most 100 %" in p.expected for p in problems)


def _workbook(rows, title="sharing") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(["option", "cost_category", "role", "min_share", "max_share", "zone", "district"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_uploaded_sharing_workbook_replaces_the_draft():
    explorer = Explorer.open(TINY / "scenarios" / "baseline.toml", solver=FAST)
    content = (REPO / "data" / "templates" / "sharing_option_template.xlsx").read_bytes()
    assert explorer.upload_sharing("sharing_option_template.xlsx", content) == []
    # the template's 42 rows: 33, and 9 for the categories of issue 12 (power, telecom, accessibility)
    assert explorer.sharing_name == "city_district_matched" and len(explorer.sharing) == 42
    scenario, dataset = explorer.scenario()
    assert scenario.funding.sharing_option == "city_district_matched"
    # the workbook's matching and top-up rules come with it, shown on the page
    assert list(explorer.links["role"]) == ["social_capital", "city_fiscal"]
    assert list(dataset.sharing_links.query("option == 'city_district_matched'")["ratio"]) == [
        0.5, 0.25]


def test_an_edited_option_keeps_its_links():
    """Editing a share of the data's own option makes a copy beside it; the option's links
    (tiny: the secondary-water top-up rows) come along."""
    explorer = Explorer.open(TINY / "scenarios" / "baseline.toml", solver=FAST)
    own = explorer.dataset.sharing_links.query("option == 'fiscal_led'")
    assert len(own) > 0 and len(explorer.links) == len(own)
    assert explorer.set_share(0, "max_share", 0.75) == []
    scenario, dataset = explorer.scenario()
    copied = dataset.sharing_links.query("option == @scenario.funding.sharing_option")
    assert scenario.funding.sharing_option != "fiscal_led" and len(copied) == len(own)


def test_upload_with_an_unknown_district_and_a_path_like_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # anything written beside the working folder would show here
    explorer = Explorer.open(TINY / "scenarios" / "baseline.toml", solver=FAST)
    before = explorer.sharing.copy()
    content = _workbook([["mine", "gas", "utility_gas", 0.5, 1.0, None, "纽约"],
                         ["mine", "gas", "city_fiscal", 0.0, 1.0, None, None]],
                        title="..%2F..%2Fetc")
    problems = explorer.upload_sharing("../../../../etc/cron.d/evil.xlsx", content)
    assert [(p.row, p.column, p.value) for p in problems] == [(2, "district", "纽约")]
    assert problems[0].file.startswith("evil.xlsx")
    assert explorer.sharing.equals(before)  # the draft stays
    assert list(tmp_path.iterdir()) == []


def test_oversized_or_foreign_uploads_are_refused():
    explorer = Explorer.open(TINY / "scenarios" / "baseline.toml", solver=FAST)
    [big] = explorer.upload_sharing("big.xlsx", b"PK\x03\x04" + b"0" * MAX_UPLOAD_BYTES)
    assert big.column == "size" and "at most 2 MB" in big.expected
    [text] = explorer.upload_sharing("rules.csv", b"option,role\n")
    assert ".xlsx" in text.expected
    [fake] = explorer.upload_sharing("fake.xlsx", b"not a zip")
    assert ".xlsx" in fake.expected


@pytest.fixture(scope="module")
def data_workbook(tmp_path_factory) -> bytes:
    """``wzmodel template`` filled with the tiny example (as tests/test_template.py does)."""
    return tiny_workbook(tmp_path_factory.mktemp("book") / "tiny.xlsx").read_bytes()


def _damaged(content: bytes, damage) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(content))
    damage(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_uploaded_data_workbook_plans_the_scenarios_settings_on_it(planned, data_workbook,
                                                                   tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # private copies go here, and go
    folder, _, _ = planned
    baseline_on_folder = folder.baseline
    explorer = folder.with_data("C:\\Users\\me\\tiny.xlsx", data_workbook)
    assert list(tmp_path.iterdir()) == []
    assert folder.baseline is baseline_on_folder  # the explorer it came from is untouched
    assert explorer.base.solver == folder.base.solver  # the scenario's settings
    assert explorer.base.targets == folder.base.targets
    assert (explorer.budgets == 1.0).all().all()  # the scenario's, not the drafts (a 10 % cut)
    on_book = explorer.plan_baseline()
    assert on_book.solved
    # the same data in a workbook: the same coverage, district by district, and the same money
    assert on_book.coverage_district.equals(baseline_on_folder.coverage_district)
    assert on_book.spending == pytest.approx(baseline_on_folder.spending)
    assert on_book.plan.meta["data_note"].startswith("Data note: the data in the workbook "
                                                     "'tiny.xlsx' is the user's own")
    # the template's example rows are left in (the tiny example's first rows): said, not hidden
    assert any("tiny.xlsx[communities], row 2 is the template's example row" in w
               for w in explorer.data_warnings)
    # levers move on the new data as on any other
    assert explorer.set_budget_scale("city_fiscal", None, 0.9) == []
    cut = explorer.plan()
    assert cut.warm and cut.spending["city_fiscal"] < on_book.spending["city_fiscal"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("damage", "expected"), [
    (lambda book: book["communities"].__setitem__("D3", "纽约"),
     "book.xlsx[communities], row 3, column 'district': value '纽约' — expected a known district"),
    (lambda book: book["budgets"].__setitem__("C4", -5),
     "book.xlsx[budgets], row 4, column 'budget_yuan': value '-5' — expected a number ≥ 0"),
    (lambda book: book.remove(book["communities"]),
     "book.xlsx: a sheet 'communities' (the table communities)"),
    (lambda book: book.create_sheet("..%2F..%2Fevil"),
     "book.xlsx[..%2F..%2Fevil]: a sheet named after a table"),
])
def test_damaged_data_workbook_is_named_and_the_plan_stays(planned, data_workbook, damage,
                                                           expected, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    explorer, _, cut = planned
    current, budgets = explorer.current, explorer.budgets.copy()
    content = _damaged(data_workbook, damage)
    with pytest.raises(InputError) as raised:
        explorer.with_data("../../book.xlsx", content)
    shown = [str(p) for p in raised.value.problems]
    assert any(s.startswith(expected) for s in shown), shown
    assert not any("upload.xlsx" in s for s in shown)  # the private copy's name never shows
    assert explorer.current is current is cut and explorer.budgets.equals(budgets)
    assert list(tmp_path.iterdir()) == []  # no private copy left, nothing beside the server


def test_data_workbook_size_and_type_limits(planned):
    explorer, _, _ = planned
    for name, content, expected in (
        ("big.xlsx", b"PK\x03\x04" + b"0" * MAX_UPLOAD_BYTES, "at most 2 MB"),
        ("data.csv", b"street_code,district\n", "wzmodel template OUT.xlsx"),
        ("data.xlsx", b"not a zip", "wzmodel template OUT.xlsx"),
        ("data.xlsx", b"PK\x03\x04 but no archive", "a readable .xlsx workbook"),
    ):
        with pytest.raises(InputError) as raised:
            explorer.with_data(name, content)
        [problem] = raised.value.problems
        assert expected in str(problem), problem


def test_time_limit_of_the_page_replaces_a_node_limit(monkeypatch):
    """`wzmodel explore --time-limit S`: the visitor waits on the clock, so a scenario's node
    limit (which turns the clock off) is dropped — the tiny example's took 20 s a plan."""
    from wzmodel import cli
    from wzmodel.explore import server

    called = {}
    monkeypatch.setattr(server, "serve", lambda *a, **k: called.update(k) or 0)
    assert cli.main(["explore", "tiny example: baseline", "--time-limit", "3", "--no-browser"]) == 0
    assert called["solver"] == {"time_limit": 3, "node_limit": None}
    explorer = Explorer.open(TINY / "scenarios" / "baseline.toml", solver=called["solver"])
    assert explorer.base.solver.node_limit is None and explorer.base.solver.time_limit == 3
