"""The input contract: validation rules, standards files, scenarios, and the assessment arithmetic."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from builders import met_community, write_dataset
from conftest import REPO, SHANGHAI, TINY

from wzmodel.assess import assess
from wzmodel.cli import main
from wzmodel.data import load_dataset
from wzmodel.scenario import load_scenario
from wzmodel.schema import InputError, read_table, render_markdown, table_specs
from wzmodel.standards import load_standards


def copy_tiny(tmp_path: Path) -> Path:
    target = tmp_path / "tiny"
    shutil.copytree(TINY, target)
    return target


def problems_of(exc: InputError) -> set[tuple]:
    return {(p.file, p.row, p.column) for p in exc.problems}


# --------------------------------------------------------------------------------------------
def test_five_problems_in_one_message_with_exit_code_and_nothing_written(tmp_path, capsys):
    data = copy_tiny(tmp_path)
    frame = pd.read_csv(data / "communities.csv", dtype=str)
    frame.loc[0, "households"] = "-5"  # row 2
    frame.loc[2, "community_id"] = frame.loc[1, "community_id"]  # row 4 repeats row 3
    frame.loc[3, "district"] = "火星"  # row 5
    frame.loc[4, "residents"] = "many"  # row 6
    frame = frame.drop(columns=["share_0_14"])
    frame.to_csv(data / "communities.csv", index=False)
    before = (data / "communities.csv").read_bytes()

    out = tmp_path / "out"
    code = main(["assess", str(data), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    for fragment in (
        "row 2, column 'households': value '-5'",
        "column 'share_0_14'",
        "row 4, column 'community_id'",
        "row 6, column 'residents': value 'many'",
        "row 5, column 'district': value '火星'",
    ):
        assert fragment in err
    assert not out.exists()
    assert (data / "communities.csv").read_bytes() == before  # input untouched


def test_unknown_district_reported_once_types_are_clean(tmp_path):
    data = copy_tiny(tmp_path)
    frame = pd.read_csv(data / "communities.csv", dtype=str)
    frame.loc[3, "district"] = "火星"
    frame.to_csv(data / "communities.csv", index=False)
    with pytest.raises(InputError) as err:
        load_dataset(data)
    assert ("communities", 5, "district") in problems_of(err.value)
    assert "火星" in str(err.value)


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("households", "0", "≥ 1"),
        ("share_60plus", "1.5", "between 0 and 1"),
        ("kind", "town", "one of residents, villagers"),
        ("green_spaces", "1.5", "a whole number"),
        ("service_floor_m2", "", "the cell is empty"),
        ("x_m", "12,5", "a number"),
    ],
)
def test_each_column_rule(tmp_path, column, value, expected):
    data = copy_tiny(tmp_path)
    frame = pd.read_csv(data / "communities.csv", dtype=str, keep_default_na=False)
    frame.loc[0, column] = value
    frame.to_csv(data / "communities.csv", index=False)
    _, problems = read_table(data / "communities.csv", "communities")
    assert len(problems) == 1
    assert problems[0].row == 2 and problems[0].column == column
    assert expected in str(problems[0])


def test_cross_table_rules(tmp_path):
    data = copy_tiny(tmp_path)
    sources = pd.read_csv(data / "sources.csv", dtype=str, keep_default_na=False)
    sources.loc[0, "district"] = "黄浦"  # city source with a district
    sources.to_csv(data / "sources.csv", index=False)
    budgets = pd.read_csv(data / "budgets.csv", dtype=str)
    budgets.loc[0, "source_id"] = "lottery"
    budgets.to_csv(data / "budgets.csv", index=False)
    sharing = pd.read_csv(data / "sharing.csv", dtype=str, keep_default_na=False)
    sharing.loc[0, "min_share"] = "0.95"  # fiscal_led service_facilities min shares > 100 %
    sharing.to_csv(data / "sharing.csv", index=False)
    with pytest.raises(InputError) as err:
        load_dataset(data)
    text = str(err.value)
    assert ("sources", 2, "district") in problems_of(err.value)
    assert ("budgets", 2, "source_id") in problems_of(err.value)
    assert "option 'fiscal_led', cost category 'service_facilities'" in text
    assert "sum to 115.0 %" in text


def test_excel_tables_are_read_like_csv(tmp_path):
    data = copy_tiny(tmp_path)
    frame = pd.read_csv(data / "budgets.csv")
    frame.loc[1, "budget_yuan"] = -1
    frame.to_excel(data / "budgets.xlsx", index=False)
    (data / "budgets.csv").unlink()
    with pytest.raises(InputError) as err:
        load_dataset(data)
    assert ("budgets.xlsx", 3, "budget_yuan") in {
        (p.file, p.row, p.column) for p in err.value.problems
    }


def test_missing_folder_and_table(tmp_path):
    with pytest.raises(InputError, match="an existing data folder"):
        load_dataset(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError) as err:
        load_dataset(tmp_path / "empty")
    assert "streets.csv" in str(err.value) and "communities.csv" in str(err.value)


def test_data_contract_documents_every_column():
    text = render_markdown()
    for spec in table_specs().values():
        for column in spec.columns:
            assert f"`{column.name}`" in text
    committed = (REPO / "docs" / "data_contract.md").read_text(
        encoding="utf-8"
    )
    assert committed.strip() == text.strip(), "run `wzmodel schema --out docs/data_contract.md`"


# --------------------------------------------------------------------------------------------
def test_standards_files_are_complete_and_sourced():
    standards = load_standards()
    assert len(standards.basic.criteria) >= 10 and len(standards.featured.criteria) >= 15
    for _, c in standards.criteria():
        assert c.source or c.assumed
        assert c.cost_source or c.cost_assumed
    assert {"basic.service_floor", "basic.resident_activity_floor"} <= {
        c.id for c in standards.basic.criteria
    }


def test_bad_standards_file_lists_every_problem(tmp_path):
    bad = tmp_path / "basic.toml"
    bad.write_text(
        """class = "basic"
name = "x"
[[criteria]]
id = "a"
title = "t"
area = "a"
indicator = "households"
op = ">>"
threshold = 1
measure = "amount"
gap_unit = "u"
cost_category = "rockets"
capital_yuan_per_unit = -1
assumed = true
cost_assumed = true
""",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        load_standards(basic=bad)
    columns = {p.column for p in err.value.problems}
    assert {"op", "cost_category", "capital_yuan_per_unit"} <= columns


def test_other_city_standards_without_code_changes(tmp_path):
    text = (Path(load_standards().paths[0])).read_text(encoding="utf-8")
    stricter = tmp_path / "basic.toml"
    stricter.write_text(text.replace("threshold = 0.30", "threshold = 0.40"), encoding="utf-8")
    dataset = load_dataset(TINY)
    default = assess(dataset)
    other = assess(dataset, load_standards(basic=stricter))
    assert other.communities["is_basic"].sum() <= default.communities["is_basic"].sum()
    assert other.totals()["basic_capital_yuan"] > default.totals()["basic_capital_yuan"]


# --------------------------------------------------------------------------------------------
def test_assessment_arithmetic_by_hand(tmp_path):
    communities = [
        met_community("310101017001", 1000),  # complete, featured
        met_community(
            "310101017002",
            1000,
            service_floor_m2=250.0,  # 50 m² short
            property_management_share=0.8,
        ),  # 200 households unmanaged
        met_community(
            "310101017003",
            2000,
            gas_riser_renewed_share=0.5,  # 1,000 households
            new_illegal_structures_per_year=2.0,  # a duty: running cost only
        ),
    ]
    data = write_dataset(tmp_path / "d", communities, budgets={2026: 1.0})
    a = assess(load_dataset(data))
    status = a.communities.set_index("community_id")
    assert status["is_featured"].tolist() == [True, False, False]
    assert status["is_basic"].tolist() == [True, False, True]
    assert status.at["310101017002", "basic_capital_yuan"] == pytest.approx(50 * 3000 + 200 * 300)
    assert status.at["310101017002", "basic_running_yuan_per_year"] == pytest.approx(
        50 * 150 + 200 * 60
    )
    assert status.at["310101017003", "featured_capital_yuan"] == pytest.approx(1000 * 3500)
    assert status.at["310101017003", "featured_running_yuan_per_year"] == pytest.approx(
        2 * 30000
    )
    gaps = a.gaps.set_index(["community_id", "criterion_id"])["gap"]
    assert gaps[("310101017002", "basic.service_floor")] == pytest.approx(50)
    assert gaps[("310101017003", "featured.no_new_illegal_structures")] == pytest.approx(2)
    zone = a.by_zone.set_index("zone")
    assert zone.at["main_urban", "basic_share"] == pytest.approx(2 / 3)
    assert zone.at["total", "communities"] == 3


def test_assess_cli_on_shanghai(capsys, tmp_path):
    assert main(["assess", str(SHANGHAI), "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert "6,496 communities" in out and "16 districts" in out and "4 zones" in out
    for zone in ("main_urban", "new_town", "new_market_town", "rural"):
        assert zone in out
    assert "basic class (every community to basic)" in out
    assert "synthetic" in out
    assert "facilities within walking reach serve" in out
    assert {p.name for p in (tmp_path / "a").iterdir()} == {
        "communities.csv",
        "gaps.csv",
        "by_zone.csv",
        "by_district.csv",
        "served_within_reach.csv",
        "assessment.xlsx",
        ".wzmodel-output.json",
    }
    # every gap left is the shortfall less what facilities within reach gave it
    served = pd.read_csv(tmp_path / "a" / "served_within_reach.csv", dtype={"community_id": str})
    per = served.groupby(["community_id", "criterion_id"]).agg(
        shortfall=("shortfall", "first"), served=("served", "sum"), left=("gap_remaining", "first"))
    assert (per["shortfall"] - per["served"] - per["left"]).abs().max() < 1e-3


# --------------------------------------------------------------------------------------------
def test_scenario_is_strict_and_extends(tmp_path):
    base = SHANGHAI / "scenarios" / "baseline.toml"
    child = tmp_path / "child.toml"
    child.write_text(
        f'extends = "{base}"\nname = "child"\n[funding]\nbudget_scale = 1.2\n', encoding="utf-8"
    )
    scenario = load_scenario(child)
    assert scenario.name == "child" and scenario.funding.budget_scale == 1.2
    assert scenario.funding.sharing_option == "fiscal_led"  # inherited
    assert scenario.targets["coverage_2027"].min_share == 0.60
    typo = tmp_path / "typo.toml"
    typo.write_text(f'extends = "{base}"\n[funding]\nbudget_scael = 1.2\n', encoding="utf-8")
    with pytest.raises(InputError, match="budget_scael"):
        load_scenario(typo)
    assert scenario.update(funding={"carry_over": False}).funding.budget_scale == 1.2


def test_zone_type_matches_the_input_contract():
    from typing import get_args

    from wzmodel.vocabulary import ZONES, Zone

    assert get_args(Zone) == ZONES
