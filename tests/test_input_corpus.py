"""A corpus of corrupted inputs, generated from the input contract (``schema/tables.toml``), so a
column added to the contract is covered without writing a test: every corruption of every
declared column of every table ends in an InputError naming the file, the row, the column and
the value — never another exception — and the file is left as it was."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest
from builders import tiny_workbook

from wzmodel.cli import main
from wzmodel.data import example_path, load_dataset
from wzmodel.schema import Column, InputError, table_specs

TINY = example_path()
#: optional tables the tiny example has none of, given one valid row here so the corpus covers them
OPTIONAL = {"complete": lambda: pd.DataFrame(
    [{"community_id": pd.read_csv(TINY / "communities.csv", dtype=str)["community_id"][0],
      "name": "", "street": "", "district": "", "class": "basic", "source": ""}]),
    # a featured area of the tiny example's first two committees (one synthetic grid)
    "featured_areas": lambda: pd.DataFrame(
        [{"area_id": "A1", "community_id": cid, "grid_exception": "", "source": "test"}
         for cid in pd.read_csv(TINY / "communities.csv", dtype=str)["community_id"][:2]])}
IN_TINY = [name for name in table_specs() if (TINY / f"{name}.csv").exists()]
TABLES = IN_TINY + [name for name in OPTIONAL if name not in IN_TINY]


def corruptions(c: Column) -> dict[str, str]:
    """Bad cell values for a declared column, by what they break."""
    bad: dict[str, str] = {}
    if c.dtype in ("int", "float"):
        bad["text"] = "many"
        if c.min is not None:
            bad["below_min"] = f"{c.min - 1:g}"
        if c.max is not None:
            bad["above_max"] = f"{c.max + 1:g}"
    if c.dtype == "int":
        bad["fraction"] = "1.5"
        bad["beyond_int64"] = "9" * 25
    if c.dtype == "bool":
        bad["not_bool"] = "maybe"
    if c.allowed:
        bad["not_allowed"] = "../../etc/passwd"
    if not c.nullable:
        bad["blank"] = ""
    return bad


CASES = [(table, c.name, what, value)
         for table in TABLES for c in table_specs()[table].columns
         for what, value in corruptions(c).items()]


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if p.is_file()}


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("corpus")


@pytest.mark.parametrize(("table", "column", "what", "value"), CASES,
                         ids=[f"{t}.{c}.{w}" for t, c, w, _ in CASES])
def test_each_bad_cell_is_named(work, table, column, what, value):
    data = work / f"{table}.{column}.{what}"
    shutil.copytree(TINY, data, ignore=shutil.ignore_patterns("scenarios"))
    for name, rows in OPTIONAL.items():
        rows().to_csv(data / f"{name}.csv", index=False)
    assert_first_row_named(data, table, column, value, load_dataset)


def assert_first_row_named(folder: Path, table: str, column: str, value: str, read) -> None:
    """Put ``value`` in ``column`` of the first row of ``folder/table.csv``: ``read(folder)``
    must name that cell (file, row 2, column, value) and leave the folder as it was."""
    frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
    if frame.empty:
        pytest.skip(f"{table} has no rows in the tiny example")
    frame.loc[0, column] = value
    frame.to_csv(folder / f"{table}.csv", index=False)
    before = digest(folder)
    with pytest.raises(InputError) as caught:
        read(folder)
    named = [(p.file, p.row, p.column, p.value) for p in caught.value.problems]
    assert (f"{table}.csv", 2, column, None if value == "" else value) in named, named
    assert digest(folder) == before


PROGRESS = TINY / "progress"  # the progress record of `wzmodel replan`: a folder of its own
PROGRESS_CASES = [(table, c.name, what, value)
                  for table in table_specs() if (PROGRESS / f"{table}.csv").exists()
                  for c in table_specs()[table].columns
                  for what, value in corruptions(c).items()]


def test_every_declared_table_is_in_a_corpus():
    covered = set(TABLES) | {t for t, *_ in PROGRESS_CASES}
    assert covered == set(table_specs())


@pytest.mark.parametrize(("table", "column", "what", "value"), PROGRESS_CASES,
                         ids=[f"{t}.{c}.{w}" for t, c, w, _ in PROGRESS_CASES])
def test_each_bad_cell_of_a_progress_record_is_named(tmp_path, table, column, what, value):
    from wzmodel.planner.progress import read_progress

    record = Path(shutil.copytree(PROGRESS, tmp_path / "progress"))
    assert_first_row_named(record, table, column, value, read_progress)


KINDS = [(table, what) for table in IN_TINY
         for what in sorted({w for c in table_specs()[table].columns for w in corruptions(c)})]


@pytest.fixture(scope="module")
def workbook(work) -> Path:
    return tiny_workbook(work / "tiny.xlsx")


@pytest.mark.parametrize(("table", "what"), KINDS, ids=[f"{t}.{w}" for t, w in KINDS])
def test_each_bad_cell_is_named_in_a_workbook(workbook, tmp_path, table, what):
    """The same corpus in a data workbook: one sheet's row 2 with every column of one kind of
    damage corrupted at once, each cell named as ``book.xlsx[sheet]``, row, column and value."""
    from openpyxl import load_workbook

    book = load_workbook(workbook)
    bad = {}
    for j, c in enumerate(table_specs()[table].columns, start=1):
        if what in corruptions(c):
            bad[c.name] = corruptions(c)[what] or None
            book[table].cell(row=2, column=j).value = bad[c.name]
    path = tmp_path / "bad.xlsx"
    book.save(path)
    before = path.read_bytes()
    with pytest.raises(InputError) as caught:
        load_dataset(path)
    named = [(p.file, p.row, p.column, p.value) for p in caught.value.problems]
    for column, value in bad.items():
        assert (f"bad.xlsx[{table}]", 2, column, value) in named, named
    assert path.read_bytes() == before


@pytest.mark.parametrize("table", TABLES)
def test_structural_damage_is_named(tmp_path, table, capsys):
    """Per table: a missing required column, a repeated header, and the same table saved as
    .xlsx and as a semicolon-separated CSV (both read as the original)."""
    spec = table_specs()[table]
    original = (pd.read_csv(TINY / f"{table}.csv", dtype=str, keep_default_na=False)
                if table in IN_TINY else OPTIONAL[table]().fillna(""))
    required = next(c.name for c in spec.columns if c.required)

    def folder(name: str) -> Path:
        data = tmp_path / name
        shutil.copytree(TINY, data, ignore=shutil.ignore_patterns("scenarios"))
        for optional, rows in OPTIONAL.items():
            rows().to_csv(data / f"{optional}.csv", index=False)
        return data

    missing = folder("missing")
    original.drop(columns=[required]).to_csv(missing / f"{table}.csv", index=False)
    with pytest.raises(InputError, match=f"required column '{required}'"):
        load_dataset(missing)

    repeated = folder("repeated")
    text = (repeated / f"{table}.csv").read_text(encoding="utf-8").splitlines()
    first = text[0].split(",")[0]
    (repeated / f"{table}.csv").write_text(
        "\n".join([f"{text[0]},{first}", *[f"{row},x" for row in text[1:]]]) + "\n",
        encoding="utf-8")
    with pytest.raises(InputError, match=f"column '{first}' appears more than once"):
        load_dataset(repeated)

    reference = load_dataset(folder("reference"))
    excel = folder("excel")
    (excel / f"{table}.csv").unlink()
    original.to_excel(excel / f"{table}.xlsx", index=False)
    semicolons = folder("semicolons")
    original.to_csv(semicolons / f"{table}.csv", index=False, sep=";")
    for data in (excel, semicolons):
        got = getattr(load_dataset(data), table)
        pd.testing.assert_frame_equal(got, getattr(reference, table), check_dtype=False)

    assert main(["validate", str(repeated)]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_repeated_street_code_is_one_problem_with_exit_2(tmp_path, capsys):
    data = tmp_path / "tiny"
    shutil.copytree(TINY, data)
    lines = (data / "streets.csv").read_text(encoding="utf-8").splitlines()
    (data / "streets.csv").write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    assert main(["validate", str(data)]) == 2
    err = capsys.readouterr().err
    assert "1 problem in the input" in err and "row 5, column 'street_code'" in err


def test_scenario_not_in_utf8_and_unresolved_extends_are_named(tmp_path, capsys):
    source = (TINY / "scenarios" / "baseline.toml").read_text(encoding="utf-8")
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes((source + "# 上海\n").replace('data = ".."', f'data = "{TINY}"')
                    .encode("gb18030"))
    assert main(["plan", str(gbk)]) == 2
    assert "a UTF-8 text file" in capsys.readouterr().err
    child = tmp_path / "child.toml"
    child.write_text('extends = "no_such.toml"\nname = "child"\n', encoding="utf-8")
    assert main(["plan", str(child)]) == 2
    err = capsys.readouterr().err
    assert "'extends'" in err and "no_such.toml" in err and "Traceback" not in err


@pytest.mark.parametrize(("override", "key"), [
    ({"funding": {"cost_scale": {"service": -1}}}, "funding.cost_scale.service"),
    ({"funding": {"source_scale": {"city_fiscal": -2}}}, "funding.source_scale.city_fiscal"),
    ({"funding": {"budget_scale": -0.5}}, "funding.budget_scale"),
    ({"solver": {"threads": 0}}, "solver.threads"),
    ({"solver": {"threads": -1}}, "solver.threads"),
    ({"solver": {"gap": -0.5}}, "solver.gap"),
    ({"solver": {"time_limit": 0}}, "solver.time_limit"),
])
def test_negative_scales_and_nonsense_solver_settings_are_refused(override, key):
    from wzmodel.scenario import load_scenario

    with pytest.raises(InputError) as caught:
        load_scenario(TINY / "scenarios" / "baseline.toml", **override)
    assert [p.column for p in caught.value.problems] == [key]


# ------------------------------------------------------------------------------------------
# Damaged plan folders: `wzmodel check` names the damage (exit 2), never a traceback
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def written_plan(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("plan") / "tiny"
    assert main(["plan", str(TINY / "scenarios" / "baseline.toml"), "--out", str(out),
                 "--no-excel"]) == 0
    return out


def _damages() -> list[tuple[str, str, str]]:
    """(file, how, what the message must name), generated from the plan's declared tables."""
    from wzmodel.planner.plan import TABLES

    cases = [("plan.json", "truncate", "plan.json"), ("plan.json", "empty_object", "meta"),
             ("plan.json", "delete", "plan.json is missing")]
    for table, columns in TABLES.items():
        cases.append((f"{table}.csv", "delete", "the file is missing"))
        cases += [(f"{table}.csv", f"rename:{c}", f"the column '{c}'") for c in columns]
    return cases


@pytest.mark.parametrize(("file", "how", "named"), _damages(),
                         ids=[f"{f}-{h}" for f, h, _ in _damages()])
def test_check_names_the_damage_of_a_plan_folder(written_plan, tmp_path, capsys, file, how,
                                                 named):
    folder = Path(shutil.copytree(written_plan, tmp_path / "plan"))
    path = folder / file
    if how == "truncate":
        path.write_text(path.read_text(encoding="utf-8")[:100], encoding="utf-8")
    elif how == "empty_object":
        path.write_text("{}", encoding="utf-8")
    elif how == "delete":
        path.unlink()
    else:
        column = how.split(":", 1)[1]
        lines = path.read_text(encoding="utf-8").split("\n", 1)
        header = ",".join("renamed" if c == column else c for c in lines[0].split(","))
        path.write_text(header + "\n" + lines[1], encoding="utf-8")
    assert main(["check", str(folder)]) == 2
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err and "internal error" not in err


@pytest.mark.parametrize("argv", [["site", str(TINY), "--time-limit", "0"],
                                  ["site", str(TINY), "--gap", "-0.5"],
                                  ["site", str(TINY), "--max-sites", "0"],
                                  ["plan", str(TINY / "scenarios" / "baseline.toml"),
                                   "--time-limit", "-1"]])
def test_nonsense_numbers_on_the_command_line_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert "expected a" in capsys.readouterr().err
