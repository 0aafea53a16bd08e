"""Outputs people read: names and districts next to ids, per-district tables, workbooks laid out
for finance staff, progress on stderr, and plan files that do not depend on where the project
lies."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import TINY

from wzmodel.assess import assess
from wzmodel.cli import main
from wzmodel.data import data_note, load_dataset
from wzmodel.planner import make_plan
from wzmodel.planner.check import check_plan
from wzmodel.scenario import load_scenario
from wzmodel.standards import load_standards

FAST = {"solver": {"node_limit": 50}}


@pytest.fixture(scope="module")
def plan():
    return make_plan(load_scenario(TINY / "scenarios" / "baseline.toml", **FAST))


@pytest.fixture(scope="module")
def written(plan, tmp_path_factory) -> Path:
    return plan.write(tmp_path_factory.mktemp("plan") / "out")


def test_schedule_names_each_community_next_to_its_id(plan, written):
    assert list(plan.schedule.columns) == ["community_id", "name", "street", "district", "class",
                                           "year"]
    data = load_dataset(TINY)
    streets = data.streets.set_index("street_code")["street_name"]
    expected = data.communities.set_index("community_id")
    for r in plan.schedule.itertuples():
        e = expected.loc[r.community_id]
        assert (r.name, r.street, r.district) == (e["name"], streets[e["street_code"]],
                                                  e["district"])
    assert set(plan.schedule.loc[plan.schedule["district"] == "黄浦", "street"]) == {"小东门街道"}
    on_file = pd.read_csv(written / "schedule.csv", dtype={"community_id": str})
    assert on_file.equals(plan.schedule)
    assert list(on_file[["class", "year", "community_id"]].itertuples(index=False)) == sorted(
        on_file[["class", "year", "community_id"]].itertuples(index=False))


def test_district_coverage_adds_up_to_the_whole_city(plan):
    d = plan.district_coverage
    assert set(d["district"]) == {"黄浦", "松江", "崇明"}
    by_year = d.groupby("year")[["communities", "complete", "featured"]].sum()
    city = plan.coverage[plan.coverage["zone_group"] == "all"].set_index("year")
    assert by_year.equals(city[["communities", "complete", "featured"]])
    assert (d["coverage_communities"] == d["complete"] / d["communities"]).all()


def test_district_money_and_burden_add_up_to_the_funding(plan):
    money = plan.district_money
    assert money["yuan"].sum() == pytest.approx(plan.funding["yuan"].sum())
    songjiang = plan.funding[plan.funding["district"] == "松江"]["yuan"].sum()
    assert money.loc[money["district"] == "松江", "yuan"].sum() == pytest.approx(songjiang)
    assert set(money["source"]) >= {"市级财政 (city fiscal)", "松江区财政 (district fiscal)"}
    burden = plan.district_burden
    pot = plan.money[plan.money["source_id"] == "district_fiscal_songjiang"]["yuan"].sum()
    assert burden.loc[burden["district"] == "松江", "yuan"].sum() == pytest.approx(pot)
    assert (burden["yuan_per_resident"] == burden["yuan"] / burden["residents"]).all()
    residents = load_dataset(TINY).communities.groupby("district")["residents"].sum()
    assert burden.drop_duplicates("district").set_index("district")["residents"].to_dict() == (
        residents.to_dict())


def test_report_maps_coverage_by_district_on_the_real_outlines(plan, written):
    """The briefing page's district section has a map: one patch per district of the data's
    outlines, coloured by its coverage at the end of 2027."""
    import matplotlib

    from wzmodel.report import district_coverage_map

    outlines = load_dataset(TINY).outlines
    fig = district_coverage_map(plan, outlines)
    patches = {p.get_label(): p.get_facecolor() for p in fig.axes[0].patches}
    assert sorted(patches) == sorted(outlines.districts) == ["崇明", "松江", "黄浦"]
    coverage = plan.district_coverage.query("year == 2027").set_index("district")
    cmap = matplotlib.colormaps["YlGn"]
    for district, share in coverage["coverage_communities"].items():
        assert patches[district] == pytest.approx(cmap(share))
    page = (written / "report.html").read_text(encoding="utf-8")
    section = page.split("Coverage by district")[1].split("<h2>")[0]
    assert '<img alt="map: coverage by district"' in section


def test_written_plan_with_district_tables_passes_the_checker(written):
    assert check_plan(written) == []


def test_checker_catches_a_tampered_district_coverage(plan, tmp_path):
    folder = plan.write(tmp_path / "out")
    table = pd.read_csv(folder / "district_coverage.csv")
    table.loc[0, "coverage_communities"] += 0.1
    table.to_csv(folder / "district_coverage.csv", index=False)
    assert any("reported coverage of" in issue for issue in check_plan(folder))


def test_summary_table_stays_aligned_whichever_zone_groups_exist(plan):
    rural_only = plan.coverage[plan.coverage["zone_group"] == "all"].assign(zone_group="rural")
    for coverage in (plan.coverage, rural_only):
        view = type(plan)(**{**plan.__dict__, "coverage": coverage})
        text = view.summary().split("complete at year end):\n")[1].split("\n\n")[0]
        lines = text.splitlines()
        assert len(lines) == 4  # header, 2027, 2030, 2035
        assert len({len(line) for line in lines}) == 1  # every row as wide as the header
        assert lines[0].split() == ["year", *view.headline_coverage().columns]
        groups = list(view.headline_coverage().columns)
        assert lines[-1].split() == ["2035", *(f"{100 * view.coverage_at(2035, g):.1f}%"
                                               for g in groups)]


def test_plan_workbook_is_laid_out_for_finance_staff(plan, written):
    wb = openpyxl.load_workbook(written / "plan.xlsx")
    assert wb.sheetnames[0] == "summary" and wb.sheetnames[-1] == "assumptions"
    assert {"schedule", "district_coverage", "money", "district_money",
            "district_burden"} <= set(wb.sheetnames)
    for name in ("summary", "schedule", "money", "district_money", "coverage", "funding"):
        sheet = wb[name]
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == sheet.dimensions
        assert all(cell.font.b for cell in sheet[1])
    # summary: the answer first, each number in its own unit's format
    rows = list(wb["summary"].iter_rows(min_row=2))
    assert rows[0][2].value.startswith(("best plan found", "a workable plan"))
    target = next(r for r in rows if str(r[1].value).startswith("coverage_2027"))
    assert target[2].number_format == "0.0%" and target[4].value.startswith("met")
    money = next(r for r in rows if r[0].value == "money, all years" and r[1].value == "total")
    assert money[2].number_format == "#,##0.0" and money[3].value == "million yuan"
    assert money[2].value == pytest.approx(plan.funding["yuan"].sum() / 1e6)
    # money wide: sources × years in million yuan, a total row and column
    sheet = wb["money"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["source_id", "source", "2026 (million yuan)"]
    assert header[-1] == "total (million yuan)"
    assert sheet["C2"].number_format == "#,##0.0"
    assert sheet.cell(row=sheet.max_row, column=1).value == "total"
    assert sheet.cell(row=sheet.max_row, column=len(header)).value == pytest.approx(
        plan.funding["yuan"].sum() / 1e6)
    cover = wb["coverage"]
    share = [c.value for c in cover[1]].index("coverage_communities (share)") + 1
    assert cover.cell(row=2, column=share).number_format == "0.0%"
    funding = wb["funding"]
    assert [c.value for c in funding[1]][-1] == "yuan (yuan)"
    assert funding.cell(row=2, column=funding.max_column).number_format == "#,##0"
    # assumptions: the data folder's own note, the solver in words, budgets and unit costs
    first = [c.value for c in wb["assumptions"]["A"] if c.value is not None]
    assert first[:3] == ["Data note", "note", data_note(TINY)]
    assert "Solver" in first and any(str(v).startswith("Budgets") for v in first)
    assert any(str(v).startswith("Unit costs") for v in first)


def test_data_note_is_the_folders_own(tmp_path):
    assert "tiny example" in data_note(TINY)
    assert data_note(tmp_path) == (
        f"Data note: the data in the folder '{tmp_path.name}' is the user's own (it has no "
        "about.toml); wzmodel has not checked where it comes from.")
    (tmp_path / "about.toml").write_text('note = """\nOur survey,\n2025."""\n', encoding="utf-8")
    assert data_note(tmp_path) == "Our survey, 2025."


def test_assessment_names_communities_and_opens_on_a_summary(tmp_path):
    assessment = assess(load_dataset(TINY, indicators=load_standards().indicators()))
    for table in (assessment.communities, assessment.gaps, assessment.served):
        assert list(table.columns[:4]) == ["community_id", "name", "street", "district"]
    assert assessment.note == data_note(TINY)
    wb = openpyxl.load_workbook(assessment.write(tmp_path / "a") / "assessment.xlsx")
    assert wb.sheetnames == ["summary", "communities", "gaps", "by_zone", "by_district",
                             "served_within_reach", "assumptions"]
    share = next(r for r in wb["summary"].iter_rows(min_row=2) if r[1].value == "already basic")
    assert share[2].number_format == "0.0%"


def _run(argv, capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_plan_command_reports_its_stages_on_stderr_and_q_silences_them(tmp_path, capsys):
    scenario = str(TINY / "scenarios" / "baseline.toml")
    code, out, err = _run(["plan", scenario, "--out", str(tmp_path / "a"), "--gap", "0.2"],
                          capsys)
    assert code == 0
    for stage in ("reading the data folder", "building the model", "searching:",
                  "search done:", "writing"):
        assert stage in err, stage
    code_q, out_q, err_q = _run(["plan", scenario, "--out", str(tmp_path / "b"), "--gap", "0.2",
                                 "-q"], capsys)
    assert code_q == 0 and err_q == ""

    def steady(text: str) -> list[str]:  # the first line holds the run's timings
        return [line.replace(str(tmp_path / "b"), str(tmp_path / "a"))
                for line in text.splitlines()[1:]]

    assert steady(out_q) == steady(out)
    code_q, _, err_q = _run(["-q", "plan", scenario, "--gap", "0.2"], capsys)
    assert code_q == 0 and err_q == ""


def test_solver_log_switch_shows_the_solvers_own_log(capsys):
    code, out, err = _run(["plan", str(TINY / "scenarios" / "baseline.toml"), "--gap", "0.2",
                           "-q", "--solver-log"], capsys)
    assert code == 0 and "HiGHS" in err and "HiGHS" not in out


def test_plan_files_are_identical_from_two_copies_of_the_project(tmp_path, capsys):
    """Two checkouts at different places write the same bytes (plan.json keeps paths relative
    to the plan folder) and each plan is checked against its own copy of the data."""
    bytes_of = []
    for copy in (tmp_path / "one" / "tiny", tmp_path / "two" / "deeper" / "tiny"):
        shutil.copytree(TINY, copy)
        out = copy / "results" / "baseline"
        assert _run(["plan", str(copy / "scenarios" / "baseline.toml"), "--out", str(out),
                     "--gap", "0.2", "-q"], capsys)[0] == 0
        assert _run(["check", str(out)], capsys)[0] == 0
        bytes_of.append({p.name: p.read_bytes() for p in sorted(out.iterdir())
                         if p.suffix in (".csv", ".json", ".md")})
    assert sorted(bytes_of[0]) == sorted(bytes_of[1]) and "plan.json" in bytes_of[0]
    for name in bytes_of[0]:
        assert bytes_of[0][name] == bytes_of[1][name], name


def test_the_scenario_keys_page_is_generated_from_the_models(capsys):
    page = (Path(__file__).resolve().parents[1] / "docs" / "scenario_keys.md").read_text(
        encoding="utf-8")
    assert main(["scenario-keys"]) == 0
    assert capsys.readouterr().out == page
    for section in ("## `funding`", "## `targets.NAME`", "## `area`", "## `solver`",
                    "## `uncertainty.levers.NAME`"):
        assert section in page
    assert "| `source_scale` | table (text = number or table (whole number = number))" in page
