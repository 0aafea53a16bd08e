"""Re-planning from actual progress (``wzmodel replan``) on the hand case of test_planner.py, whose
plans are checked by hand: B (500 households, 150k yuan) basic in 2026, C (2,000 households,
600k) in 2027; budget 400k a year with carry-over; B's running cost 7,500 yuan a year."""

from __future__ import annotations

import pandas as pd
import pytest
from builders import met_community, write_dataset, write_scenario

from wzmodel.cli import main
from wzmodel.planner.check import check_plan
from wzmodel.planner.plan import Plan
from wzmodel.planner.progress import Progress, read_progress, replan

A, B, C = "310101017001", "310101017002", "310101017003"
HAND = [
    met_community(A, 1000, service_floor_m2=200.0, fixture_falls_per_year=6.0),
    met_community(B, 500, service_floor_m2=100.0, fixture_falls_per_year=6.0),
    met_community(C, 2000, service_floor_m2=400.0, fixture_falls_per_year=6.0),
]
W = {A: 1000 / (3500 / 3), B: 500 / (3500 / 3), C: 2000 / (3500 / 3)}  # objective weights


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """The hand case planned and written (one solve for every test)."""
    tmp = tmp_path_factory.mktemp("hand")
    data = write_dataset(tmp / "data", HAND, budgets={2026: 400_000, 2027: 400_000})
    scenario = write_scenario(tmp / "hand.toml", data)
    assert main(["plan", str(scenario), "--out", str(tmp / "plan"), "--no-excel"]) == 0
    return tmp / "plan"


def record(folder, starts, spent):
    folder.mkdir()
    pd.DataFrame(starts, columns=["community_id", "class", "status", "start_year",
                                  "completion_year"]).to_csv(folder / "progress.csv", index=False)
    pd.DataFrame(spent, columns=["source_id", "year", "yuan"]).to_csv(folder / "spent.csv",
                                                                      index=False)
    return folder


def starts_of(plan: Plan) -> set[tuple[str, str, int]]:
    return set(plan.schedule[["community_id", "class", "year"]].itertuples(index=False, name=None))


def test_a_record_matching_the_first_year_reproduces_the_plan(planned, tmp_path, capsys):
    """B started and completed in 2026 at the planned 150k: C still fits 2027 (250k left +
    400k ≥ 600k + 7.5k), so the re-plan is the plan; the folder passes `wzmodel check`."""
    progress = record(tmp_path / "progress", [(B, "basic", "completed", 2026, 2026)],
                      [("city_fiscal", 2026, 150_000)])
    out = tmp_path / "re"
    assert main(["replan", str(planned), "--progress", str(progress), "--year", "2026",
                 "--out", str(out), "--no-excel"]) == 0
    printed = capsys.readouterr().out
    assert "0 earlier, 0 later, 0 dropped, 0 added" in printed
    new, old = Plan.read(out), Plan.read(planned)
    assert starts_of(new) == starts_of(old) == {(B, "basic", 2026), (C, "basic", 2027)}
    assert new.kpi("coverage_years") == pytest.approx(2 * W[B] + W[C], abs=1e-5)
    assert pd.read_csv(out / "changes.csv").empty
    money = pd.read_csv(out / "money_changes.csv")
    assert money[["year", "old_yuan", "new_yuan", "basis"]].values.tolist() == [
        [2026, 150_000, 150_000, "spent"], [2027, 607_500, 607_500, "planned"]]
    assert check_plan(out) == []
    assert main(["check", str(out)]) == 0


def test_a_slipped_start_moves_later_and_the_money_follows(planned, tmp_path):
    """Nothing started in 2026 and nothing spent: 800k in 2027 pays B and C (750k; A + C would
    be 900k) — B slips to 2027, nothing starts in 2026."""
    progress = record(tmp_path / "p", [], [])
    result = replan(Plan.read(planned), read_progress(progress), 2026)
    assert starts_of(result.plan) == {(B, "basic", 2027), (C, "basic", 2027)}
    assert result.plan.kpi("coverage_years") == pytest.approx(W[B] + W[C], abs=1e-5)
    moved = result.changes[["community_id", "old_year", "new_year", "change"]].values.tolist()
    assert moved == [[B, 2026, 2027, "later"]]
    result.write(tmp_path / "re", excel=False)
    assert check_plan(tmp_path / "re") == []


def test_overspending_is_counted_and_the_kept_start_stays(planned, tmp_path):
    """B started in 2026 but cost 300k (not 150k): 100k carried + 400k = 500k in 2027 cannot pay
    C (607.5k with B's running cost) — A (300k) takes its place; B stays in 2026."""
    progress = Progress(
        pd.DataFrame([(B, "basic", "started", 2026, None)],
                     columns=["community_id", "class", "status", "start_year", "completion_year"]),
        pd.DataFrame([("city_fiscal", 2026, 300_000.0)], columns=["source_id", "year", "yuan"]))
    result = replan(Plan.read(planned), progress, 2026)
    assert starts_of(result.plan) == {(B, "basic", 2026), (A, "basic", 2027)}
    assert result.plan.kpi("coverage_years") == pytest.approx(2 * W[B] + W[A], abs=1e-5)
    money = result.money.set_index("year")
    assert money.at[2026, "new_yuan"] == 300_000
    assert money.at[2027, "new_yuan"] == pytest.approx(307_500, abs=0.01)
    assert sorted(result.changes["change"]) == ["added", "dropped"]
    assert "still under way" in result.summary()  # lead time 0: the model counts it complete
    result.write(tmp_path / "re", excel=False)
    assert check_plan(tmp_path / "re") == []
    # a tampered record: the check names the start the schedule has but the record lacks
    record_file = tmp_path / "re" / "progress.csv"
    pd.read_csv(record_file).iloc[0:0].to_csv(record_file, index=False)
    issues = check_plan(tmp_path / "re")
    assert any(f"{B} starts basic in 2026, which the progress record does not hold" in i
               for i in issues), issues


def test_bad_rows_are_all_named_with_exit_2_and_nothing_written(planned, tmp_path, capsys):
    progress = record(tmp_path / "bad", [
        ("310101017999", "basic", "started", 2026, None),      # unknown community
        (A, "basic", "started", 2027, None),                   # starts after Y
        (B, "basic", "completed", 2026, 2025),                 # completes before its start
    ], [("nobody", 2026, 1.0), ("city_fiscal", 2027, 5.0)])  # unknown source, year after Y
    out = tmp_path / "re"
    assert main(["replan", str(planned), "--progress", str(progress), "--year", "2026",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    for expected in ("progress.csv, row 2, column 'community_id': value '310101017999'",
                     "progress.csv, row 3, column 'start_year': value 2027",
                     "progress.csv, row 4, column 'completion_year': value 2025",
                     "spent.csv, row 2, column 'source_id': value 'nobody'",
                     "spent.csv, row 3, column 'year': value 2027"):
        assert expected in err, err
    assert "5 problems" in err and "Traceback" not in err
    assert not out.exists()


def test_a_workbook_reads_as_the_folder_and_names_its_sheets(tmp_path):
    starts = pd.DataFrame([(B, "featured", "started", 2026, None)],
                          columns=["community_id", "class", "status", "start_year",
                                   "completion_year"])
    spent = pd.DataFrame([("city_fiscal", 2026, "much")], columns=["source_id", "year", "yuan"])
    with pd.ExcelWriter(tmp_path / "p.xlsx") as writer:
        starts.to_excel(writer, sheet_name="progress", index=False)
        spent.to_excel(writer, sheet_name="spent", index=False)
    with pytest.raises(Exception) as caught:
        read_progress(tmp_path / "p.xlsx")
    assert [(p.file, p.row, p.column, p.value) for p in caught.value.problems] == [
        ("p.xlsx [spent]", 2, "yuan", "much")]
    with pd.ExcelWriter(tmp_path / "q.xlsx") as writer:
        starts.to_excel(writer, sheet_name="progress", index=False)
    with pytest.raises(Exception, match="a sheet named 'spent'"):
        read_progress(tmp_path / "q.xlsx")
