"""The data workbook: `wzmodel template` writes it from the input contract, every command reads
it like a data folder, and the optional `complete` table overrides the baseline."""

from __future__ import annotations

import io
import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from builders import tiny_workbook
from conftest import TINY
from openpyxl import load_workbook

from wzmodel import cli, template
from wzmodel.assess import assess
from wzmodel.data import OPTIONAL_TABLES, README_SHEET, REQUIRED_TABLES, load_dataset
from wzmodel.schema import Column, InputError, table_specs

TABLES = [name for name in table_specs() if (TINY / f"{name}.csv").exists()]


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    return tiny_workbook(tmp_path_factory.mktemp("book") / "tiny.xlsx")


def test_template_is_the_contract(tmp_path):
    out = tmp_path / "template.xlsx"
    assert cli.main(["-q", "template", str(out)]) == 0
    book = load_workbook(out)
    assert book.sheetnames == [README_SHEET, *REQUIRED_TABLES, *OPTIONAL_TABLES]
    readme = [tuple(r) for r in book[README_SHEET].iter_rows(values_only=True)]
    for spec in (table_specs()[name] for name in (*REQUIRED_TABLES, *OPTIONAL_TABLES)):
        sheet = book[spec.name]
        assert [c.value for c in sheet[1]] == spec.names
        assert sheet.freeze_panes == "A2"
        lists = {str(v.sqref).split(":")[0][:-1]: v.formula1 for v in sheet.data_validations.dataValidation
                 if v.type == "list"}
        for j, c in enumerate(spec.columns):
            head = sheet.cell(row=1, column=j + 1)
            assert c.description in head.comment.text and c.expectation() in head.comment.text
            if c.allowed:
                assert lists[head.column_letter] == '"' + ",".join(c.allowed) + '"'
            assert any(r[:2] == (spec.name, c.name) and c.description in r for r in readme)
        if spec.name in TABLES:  # the example row: the tiny example's first row
            first = pd.read_csv(TINY / f"{spec.name}.csv", dtype=str, keep_default_na=False).iloc[0]
            assert str(sheet.cell(row=2, column=1).value) == first.iloc[0]
    assert book["communities"]["G2"].number_format == "#,##0"  # households (F: zone)
    assert book["communities"]["I2"].number_format == "0.0%"  # a share (share_60plus)
    assert book["communities"].column_dimensions["A"].number_format == "@"  # codes stay text
    assert template.template_bytes() == out.read_bytes()  # same contract, same bytes


def test_a_column_added_to_the_contract_appears(monkeypatch):
    specs = dict(table_specs())
    extra = Column("kindergarten_places", "int", "places", min=0, description="Kindergarten places")
    specs["communities"] = replace(specs["communities"],
                                  columns=(*specs["communities"].columns, extra))
    monkeypatch.setattr(template, "table_specs", lambda: specs)
    book = load_workbook(io.BytesIO(template.template_bytes()))
    assert [c.value for c in book["communities"][1]][-1] == "kindergarten_places"
    assert any("Kindergarten places" in r for r in book[README_SHEET].iter_rows(values_only=True))


def test_an_existing_other_file_is_not_replaced_without_force(workbook, tmp_path, capsys):
    filled = tmp_path / "filled.xlsx"
    shutil.copy(workbook, filled)
    before = filled.read_bytes()
    assert cli.main(["template", str(filled)]) == cli.EXIT_INPUT
    assert "differs from the template" in capsys.readouterr().err
    assert filled.read_bytes() == before
    assert cli.main(["template", str(filled), "--force"]) == 0
    assert filled.read_bytes() == template.template_bytes()
    assert cli.main(["template", str(tmp_path)]) == cli.EXIT_INPUT


def test_filled_workbook_reads_as_the_folder(workbook):
    folder, book = load_dataset(TINY), load_dataset(workbook)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(book, name), getattr(folder, name),
                                      check_dtype=False)


@pytest.fixture(scope="module")
def folder_plan(tmp_path_factory) -> Path:
    """The tiny baseline planned on the folder, written without the workbook."""
    out = tmp_path_factory.mktemp("plans") / "folder"
    assert cli.main(["-q", "plan", str(TINY / "scenarios" / "baseline.toml"), "--out", str(out),
                     "--no-excel"]) == 0
    return out


def test_filled_workbook_plans_as_the_folder(workbook, folder_plan, tmp_path, capsys):
    assert cli.main(["validate", str(workbook)]) == 0
    assert "valid (38 communities" in capsys.readouterr().out
    scenario = tmp_path / "workbook.toml"
    scenario.write_text((TINY / "scenarios" / "baseline.toml").read_text(encoding="utf-8")
                        .replace('data = ".."', f'data = "{workbook.as_posix()}"'), encoding="utf-8")
    out = tmp_path / "plan"
    assert cli.main(["-q", "plan", str(scenario), "--out", str(out), "--no-excel"]) == 0
    for table in ("schedule.csv", "funding.csv", "coverage.csv"):
        assert (folder_plan / table).read_bytes() == (out / table).read_bytes()
    assert len(pd.read_csv(out / "schedule.csv")) > 0
    assert cli.main(["check", str(out)]) == 0  # re-reads the workbook
    assert "tiny.xlsx' is the user's own" in (out / "report.md").read_text(encoding="utf-8")


def test_damaged_workbook_names_sheet_row_and_column(workbook, tmp_path, capsys):
    damaged = tmp_path / "damaged.xlsx"
    book = load_workbook(workbook)
    book["streets"]["D3"] = "downtown"  # zone: a drop-down column
    book["communities"].cell(row=1, column=book["communities"].max_column + 1, value="remarks")
    book["budgets"]["C4"] = -5
    del book["sources"]  # budgets now name unknown sources
    book.create_sheet("comunities")
    book.save(damaged)
    before = damaged.read_bytes()
    out = tmp_path / "assessment"
    assert cli.main(["assess", str(damaged), "--out", str(out)]) == cli.EXIT_INPUT
    err = capsys.readouterr().err
    assert "Traceback" not in err and not out.exists() and damaged.read_bytes() == before
    for expected in (
        "damaged.xlsx[streets], row 3, column 'zone': value 'downtown' — expected one of main_urban",
        "damaged.xlsx[communities], row 1, column 'remarks': only the columns the contract declares",
        "damaged.xlsx[budgets], row 4, column 'budget_yuan': value '-5' — expected a number ≥ 0",
        "damaged.xlsx[budgets], row 2, column 'source_id': value 'city_fiscal' — expected a known "
        "source",
        "damaged.xlsx[comunities]: a sheet named after a table",
    ):
        assert expected in err, err
    missing = tmp_path / "missing.xlsx"
    book = load_workbook(workbook)
    del book["communities"]
    book.save(missing)
    with pytest.raises(InputError, match=r"missing.xlsx: a sheet 'communities'"):
        load_dataset(missing)


def test_complete_list_overrides_the_baseline(workbook, tmp_path):
    baseline = assess(load_dataset(TINY)).communities.set_index("community_id")
    gap = baseline[~baseline["is_basic"]].index[0]
    named = baseline[~baseline["is_basic"]].iloc[1]
    book = load_workbook(workbook)
    sheet = book["complete"]
    sheet.append([gap, None, None, None, "featured", "district list 2024"])
    sheet.append([None, named["name"], named["street"], None, "basic", None])
    listed = tmp_path / "listed.xlsx"
    book.save(listed)
    after = assess(load_dataset(listed)).communities.set_index("community_id")
    assert after.loc[gap, ["is_basic", "is_featured"]].tolist() == [True, True]
    assert after.loc[named.name, ["is_basic", "is_featured"]].tolist() == [True, False]
    assert after.loc[gap, "basic_capital_yuan"] == 0 == after.loc[named.name, "basic_capital_yuan"]
    assert after["is_basic"].sum() == baseline["is_basic"].sum() + 2

    sheet.append([None, "无此居委会", None, None, "basic", None])
    sheet.append([None, None, None, None, "basic", None])
    book.save(listed)
    with pytest.raises(InputError) as caught:
        load_dataset(listed)
    named_problems = [(p.file, p.row, p.column, p.value) for p in caught.value.problems]
    assert named_problems == [("listed.xlsx[complete]", 4, "name", "无此居委会"),
                              ("listed.xlsx[complete]", 5, None, None)]


def test_complete_list_takes_a_scheduled_community_out_of_the_plan(folder_plan, tmp_path):
    from wzmodel.planner import make_plan
    from wzmodel.scenario import load_scenario

    schedule = pd.read_csv(folder_plan / "schedule.csv", dtype={"community_id": str})
    first = schedule[schedule["class"] == "basic"].sort_values(["year", "community_id"]).iloc[0]
    data = Path(shutil.copytree(TINY, tmp_path / "tiny"))
    (data / "complete.csv").write_text(f"community_id,class\n{first['community_id']},basic\n",
                                       encoding="utf-8")
    after = make_plan(load_scenario(data / "scenarios" / "baseline.toml"))
    basic = after.schedule[after.schedule["class"] == "basic"]
    assert first["community_id"] not in set(basic["community_id"])
    gaps = after.problem.assessment.gaps
    assert first["community_id"] not in set(gaps["community_id"][gaps["class"] == "basic"])
    ids = after.problem.communities["community_id"].tolist()
    assert after.problem.already["basic"][ids.index(first["community_id"])]
