"""Sweeps: declarations, sampling, executors, resuming, results metadata, robustness metrics."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import TINY

from wzmodel.cli import sweep as sweep_command
from wzmodel.planner import prepare
from wzmodel.planner.check import check_against
from wzmodel.planner.plan import Plan
from wzmodel.planner.refund import fund_schedule
from wzmodel.report import plain_status
from wzmodel.robustness import (
    infeasibility,
    prim,
    regret,
    regret_summary,
    target_probabilities,
)
from wzmodel.scenario import load_scenario
from wzmodel.schema import InputError
from wzmodel.solver import SolveOutcome
from wzmodel.sweep import (
    DaskExecutor,
    ExperimentTask,
    ProcessExecutor,
    SequentialExecutor,
    apply_inputs,
    read_results,
    read_uncertainty,
    run_experiment,
    run_sweep,
    sample_design,
)
from wzmodel.sweep import run as sweep_run
from wzmodel.sweep.briefing import sweep_page
from wzmodel.sweep.results import weak_plans

SCENARIOS = TINY / "scenarios"


def tiny_with(tmp_path: Path, uncertainty: str, name: str = "sweep.toml") -> Path:
    """A scenario file extending the tiny baseline with the given [uncertainty] text."""
    path = tmp_path / name
    path.write_text(f'extends = "{(SCENARIOS / "baseline.toml").as_posix()}"\nname = "t"\n\n'
                    + uncertainty, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SCENARIOS / "uncertainty.toml")


# ------------------------------------------------------------------------------------------
# declarations and sampling
# ------------------------------------------------------------------------------------------
def test_declarations_are_parsed_into_typed_objects(scenario):
    spec = read_uncertainty(scenario)
    assert spec.seed == 42 and spec.method == "lhs"
    assert [p.name for p in spec.parameters] == ["cost_overrun_service", "city_budget",
                                                 "household_growth"]
    assert spec.parameters[0].path == "funding.cost_scale.service_facilities"
    assert (spec.parameters[0].low, spec.parameters[0].high) == (0.9, 1.4)
    assert spec.levers[0].values == ("fiscal_led", "utilities_owners")


def test_design_stays_in_bounds_and_is_reproducible(scenario):
    spec = read_uncertainty(scenario)
    design = sample_design(spec, 16)
    for p in spec.parameters:
        assert design[p.name].between(p.low, p.high).all()
    pd.testing.assert_frame_equal(design, sample_design(spec, 16))
    other = sample_design(spec.model_copy(update={"seed": 7}), 16)
    assert not np.allclose(other["city_budget"], design["city_budget"])


def test_latin_hypercube_puts_one_sample_in_each_stratum(scenario):
    spec = read_uncertainty(scenario)
    design = sample_design(spec, 10)
    first = design[design["lever_id"] == 0]
    for p in spec.parameters:
        strata = np.floor((first[p.name] - p.low) / (p.high - p.low) * 10).astype(int)
        assert sorted(strata) == list(range(10))


def test_levers_are_crossed_with_one_common_sample(scenario):
    spec = read_uncertainty(scenario)
    design = sample_design(spec, 5)
    assert len(design) == 2 * 5
    assert design["experiment_id"].tolist() == list(range(10))
    assert (design["experiment_id"] == design["lever_id"] * 5 + design["sample_id"]).all()
    a, b = (design[design["option"] == o].reset_index(drop=True)
            for o in ("fiscal_led", "utilities_owners"))
    pd.testing.assert_frame_equal(a[["cost_overrun_service", "city_budget"]],
                                  b[["cost_overrun_service", "city_budget"]])


def test_factorial_and_sobol_methods(tmp_path):
    text = """[uncertainty]
seed = 1
method = "factorial"
[uncertainty.parameters.budget]
path = "funding.budget_scale"
low = 0.8
high = 1.2
[uncertainty.parameters.cost]
path = "funding.cost_scale.gas"
low = 1.0
high = 2.0
[uncertainty.levers.carry]
path = "funding.carry_over"
values = [true, false]
"""
    spec = read_uncertainty(load_scenario(tiny_with(tmp_path, text)))
    grid = sample_design(spec, 3)
    assert len(grid) == 2 * 3 * 3
    assert sorted(set(grid["budget"])) == pytest.approx([0.8, 1.0, 1.2])
    assert sorted(set(grid["cost"])) == pytest.approx([1.0, 1.5, 2.0])
    sobol = spec.model_copy(update={"method": "sobol"})
    points = sample_design(sobol, 8)
    assert points["budget"].between(0.8, 1.2).all() and len(points) == 16
    pd.testing.assert_frame_equal(points, sample_design(sobol, 8))
    with pytest.raises(InputError, match="power-of-two"):
        sample_design(sobol, 10)


def test_declaration_errors_are_reported_together(tmp_path):
    text = """[uncertainty]
seed = 1
method = "montecarlo"
[uncertainty.parameters.backwards]
path = "funding.budget_scale"
low = 1.2
high = 0.8
[uncertainty.parameters.typo]
path = "funding.budget_scael"
low = 0.8
high = 1.2
[uncertainty.levers.extra]
path = "funding.sharing_option"
values = ["fiscal_led"]
colour = "red"
"""
    with pytest.raises(InputError) as info:
        read_uncertainty(load_scenario(tiny_with(tmp_path, text)))
    text_of = str(info.value)
    assert "uncertainty.method" in text_of
    assert "uncertainty.parameters.backwards" in text_of and "below high" in text_of
    assert "uncertainty.levers.extra.colour" in text_of


def test_unknown_paths_and_values_are_rejected_before_running(tmp_path):
    text = """[uncertainty]
[uncertainty.parameters.typo]
path = "funding.budget_scael"
low = 0.8
high = 1.2
[uncertainty.parameters.negative]
path = "funding.budget_scale"
low = -1.0
high = 1.0
[uncertainty.parameters.streets]
path = "dataset.streets.area"
low = 1.0
high = 2.0
"""
    with pytest.raises(InputError) as info:
        read_uncertainty(load_scenario(tiny_with(tmp_path, text)))
    problems = {p.column for p in info.value.problems}
    assert problems == {"uncertainty.parameters.typo.path", "uncertainty.parameters.negative.path",
                        "uncertainty.parameters.streets.path"}
    with pytest.raises(InputError, match="at least one"):
        read_uncertainty(load_scenario(tiny_with(tmp_path, "[uncertainty]\nseed = 3\n", "e.toml")))


def test_a_lever_value_the_data_reject_stops_the_sweep_before_it_runs(tmp_path):
    text = """[uncertainty]
[uncertainty.levers.option]
path = "funding.sharing_option"
values = ["fiscal_led", "no_such_option"]
"""
    scenario = load_scenario(tiny_with(tmp_path, text))
    calls = _Counting()
    for mode in ("replan", "recheck"):
        with pytest.raises(InputError, match="no_such_option"):
            run_sweep(scenario, tmp_path / mode, mode=mode, reference="rule_of_thumb",
                      progress=False, evaluate=calls)
    assert calls.calls == []


def test_inputs_reach_the_scenario_and_the_data(scenario):
    from wzmodel.sweep.experiment import _dataset_for

    spec = read_uncertainty(scenario)
    data = _dataset_for(scenario)
    changed, grown = apply_inputs(scenario, data, spec, {
        "cost_overrun_service": 1.25, "city_budget": 0.8, "household_growth": 1.1,
        "option": "utilities_owners"})
    assert changed.funding.cost_scale == {"service_facilities": 1.25}
    assert changed.funding.source_scale == {"city_fiscal": 0.8}
    assert changed.funding.sharing_option == "utilities_owners"
    before = data.communities["households"].to_numpy(dtype=float)
    after = grown.communities["households"].to_numpy(dtype=float)
    assert np.allclose(after, np.rint(before * 1.1))
    assert data.communities["households"].to_numpy(dtype=float) == pytest.approx(before)


# ------------------------------------------------------------------------------------------
# running sweeps
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sequential_recheck(scenario, tmp_path_factory):
    out = tmp_path_factory.mktemp("sequential")
    return run_sweep(scenario, out, samples=6, mode="recheck", reference="rule_of_thumb",
                     executor=SequentialExecutor(), progress=False)


def test_recheck_results_are_tidy_with_metadata(scenario, sequential_recheck):
    results = sequential_recheck.results
    assert results["experiment_id"].tolist() == list(range(12))
    for column in ("cost_overrun_service", "city_budget", "household_growth", "option", "status",
                   "holds", "met_coverage_2027", "met_featured_2027", "coverage_2027",
                   "coverage_2030", "coverage_2035", "money_total_yuan", "money_public_yuan",
                   "objective", "gap", "budget_violations", "violations"):
        assert column in results.columns
    assert results["met_coverage_2027"].dtype == bool
    assert set(results["status"]) <= {"holds", "violated"}
    assert (results["holds"] == (results["violations"] == 0)).all()
    # more service-facility cost and less city money never help a fixed plan
    first = results[results["lever_id"] == 0]
    worst = first.loc[first["cost_overrun_service"].idxmax()]
    assert worst["money_total_yuan"] == first["money_total_yuan"].max()
    stored, meta = read_results(sequential_recheck.path)
    pd.testing.assert_frame_equal(stored, results)
    assert meta["seed"] == 42 and meta["method"] == "lhs" and meta["mode"] == "recheck"
    assert meta["objective"] == "coverage_years"
    assert meta["scenario_digest"] == scenario.digest()
    assert {"wzmodel", "pulp", "highspy", "pandas", "numpy", "scipy"} <= set(meta["versions"])
    assert len(list((sequential_recheck.path.parent / "parts").glob("*.parquet"))) == 12


def test_weak_replans_are_counted_and_flagged_on_the_page(sequential_recheck):
    # four experiments as re-plans cut short by their time limit could leave them: a plan 12 %
    # from its bound and one with no bound (weak), one just within 5 % and a proven one (not)
    results = sequential_recheck.results.copy()
    results.loc[[0, 1, 2, 3], "status"] = ["feasible", "feasible", "feasible", "optimal"]
    results.loc[[0, 1, 2, 3], "gap"] = [0.12, np.nan, 0.05, np.nan]
    assert weak_plans(results).tolist() == [True, True] + [False] * 10
    weakened = dataclasses.replace(sequential_recheck, results=results)
    said = "2 of 12 experiments ended with a weak plan (further than 5 % from the best possible"
    assert said in weakened.summary()
    page = sweep_page(weakened)
    assert f'<p class="status weak">{said}' in page
    assert "weak plan" not in sequential_recheck.summary()  # re-checks are never weak
    assert "weak plan" not in sweep_page(sequential_recheck)


def test_a_weak_gap_is_never_shown_as_the_threshold():
    def said(gap):
        return plain_status(SolveOutcome("feasible", objective=1.0, bound=1.0, gap=gap))

    assert said(0.050487) == ("a weak plan found within the solver's limits, at most 5.05 % "
                              "from the best possible")
    assert said(0.05) == ("a good plan found within the solver's limits, at most 5.0 % from "
                          "the best possible")
    assert said(0.0496).endswith("at most 5.0 % from the best possible")  # good, and says so
    assert said(0.123).endswith("at most 12.3 % from the best possible")


class _Counting:
    """An evaluator counting its calls, failing (like a killed run) after ``fail_after``."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.calls: list[int] = []
        self.fail_after = fail_after

    def __call__(self, task: ExperimentTask) -> dict:
        if self.fail_after is not None and len(self.calls) == self.fail_after:
            raise KeyboardInterrupt("simulated interruption")
        self.calls.append(task.experiment_id)
        return run_experiment(task)


def test_an_interrupted_sweep_resumes_without_redoing_finished_experiments(
        scenario, sequential_recheck, tmp_path):
    interrupted = _Counting(fail_after=5)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(scenario, tmp_path, samples=6, reference="rule_of_thumb", progress=False,
                  evaluate=interrupted)
    assert len(list((tmp_path / "parts").glob("*.parquet"))) == 5
    assert not (tmp_path / "results.parquet").exists()
    assert not list((tmp_path / "parts").glob(".*"))  # no temporary files left behind
    resumed = _Counting()
    result = run_sweep(scenario, tmp_path, samples=6, reference="rule_of_thumb", progress=False,
                       evaluate=resumed)
    assert sorted(resumed.calls) == sorted(set(range(12)) - set(interrupted.calls))
    assert result.evaluated == 7
    pd.testing.assert_frame_equal(result.results, sequential_recheck.results, check_exact=True)
    again = _Counting()
    run_sweep(scenario, tmp_path, samples=6, reference="rule_of_thumb", progress=False,
              evaluate=again)
    assert again.calls == []


@pytest.fixture(scope="module")
def quick(scenario):
    """The uncertainty scenario with a loose gap: fast plans (node-limited, so deterministic)."""
    return scenario.update(solver={"gap": 0.1})


# ------------------------------------------------------------------------------------------
# re-checking a fixed plan: its schedule is kept, its costs are paid anew within the rules
# ------------------------------------------------------------------------------------------
NEUTRAL = {"cost_overrun_service": 1.0, "city_budget": 1.0, "household_growth": 1.0,
           "option": "fiscal_led"}


@pytest.fixture(scope="module")
def fiscal_led_plan(quick):
    """The optimised fiscal-led plan."""
    _, plan = sweep_run.plan_reference(
        sweep_run.ReferenceTask(0, {"option": "fiscal_led"}, quick, "optimised"))
    return plan


@pytest.fixture(scope="module")
def exhausted(quick, fiscal_led_plan):
    """``quick`` with the community's budget of every year cut to what the plan pays from it:
    the community's money spent to the yuan (as the plan did on the tiny data before issue 13's
    secondary-water rule changed its funding; made so here, not found)."""
    problem = prepare(quick)
    paid = fiscal_led_plan.funding.query("source_id == 'community'").groupby("year")["yuan"].sum()
    budget = problem.budget[list(problem.sources["source_id"]).index("community")]
    scale = {int(y): float(paid.get(y, 0.0) / b) for y, b in zip(problem.years, budget, strict=True)}
    tight = quick.update(funding={"source_scale": {"community": scale}})
    assert prepare(tight).budget[list(problem.sources["source_id"]).index("community")].sum() == \
        pytest.approx(paid.sum(), abs=1.0)
    return tight


def _recheck(scenario, plan, **inputs) -> dict:
    return run_experiment(ExperimentTask(0, 0, 0, {**NEUTRAL, **inputs}, scenario, "recheck",
                                         plan))


def test_a_plan_rechecked_under_its_own_scenario_holds_with_its_own_funding(quick,
                                                                            fiscal_led_plan):
    row = _recheck(quick, fiscal_led_plan)
    assert row["status"] == "holds" and row["holds"]
    assert row["budget_excess_yuan"] == 0.0 and row["violations"] == 0
    assert row["money_total_yuan"] == pytest.approx(fiscal_led_plan.funding["yuan"].sum())
    # the plan's own split still fits, so it is kept as it is
    paid = fund_schedule(prepare(quick), fiscal_led_plan.schedule, keep=fiscal_led_plan.funding)
    keys = ["year", "source_id", "district", "zone", "cost_category"]
    mine = paid.funding.groupby(keys)["yuan"].sum()
    theirs = fiscal_led_plan.funding.groupby(keys)["yuan"].sum()
    # the same split, row by row, within half a yuan (a row of a few fen may appear or go)
    both = mine.index.union(theirs.index)
    assert np.allclose(mine.reindex(both, fill_value=0.0).to_numpy(),
                       theirs.reindex(both, fill_value=0.0).to_numpy(), atol=0.5)


def test_a_plan_rechecked_with_more_money_or_lower_costs_still_holds(quick, fiscal_led_plan,
                                                                   exhausted):
    richer = _recheck(quick.update(funding={"budget_scale": 1.2}), fiscal_led_plan)
    assert richer["holds"] and richer["budget_excess_yuan"] == 0.0
    cheaper = _recheck(quick, fiscal_led_plan, cost_overrun_service=0.9, city_budget=1.1)
    assert cheaper["holds"] and cheaper["budget_excess_yuan"] == 0.0
    assert cheaper["money_total_yuan"] < richer["money_total_yuan"]
    # notebook 05's case: 0.1 % more households add a few yuan to the community's exhausted
    # budget; with the plan's split kept that broke the plan, though 10 % more city money and
    # 10 % cheaper service floor left money to spare — paid anew within the rules it holds
    assert _recheck(exhausted, fiscal_led_plan)["holds"]  # its own split fits to the yuan
    grown = _recheck(exhausted, fiscal_led_plan, cost_overrun_service=0.9, city_budget=1.1,
                     household_growth=1.001)
    assert grown["holds"] and grown["budget_excess_yuan"] == 0.0
    assert grown["money_total_yuan"] > cheaper["money_total_yuan"]


def test_a_plan_rechecked_under_a_cut_names_the_money_it_lacks(quick, fiscal_led_plan):
    total = fiscal_led_plan.funding["yuan"].sum()
    none = _recheck(quick.update(funding={"budget_scale": 0.0}), fiscal_led_plan)
    assert none["status"] == "violated" and not none["holds"]
    assert none["budget_excess_yuan"] == pytest.approx(total, abs=1.0)  # every yuan lacks
    cut = quick.update(funding={"budget_scale": 0.7})
    row = _recheck(cut, fiscal_led_plan)
    assert row["status"] == "violated" and row["budget_violations"] > 0
    budget = prepare(cut).budget.sum()
    assert total - budget <= row["budget_excess_yuan"] < total    # at least what is missing
    paid = fund_schedule(prepare(cut), fiscal_led_plan.schedule, keep=fiscal_led_plan.funding)
    assert paid.extra_yuan == pytest.approx(row["budget_excess_yuan"])
    # the extra money is named by source and year; every budget it needs is one the check names
    issues = check_against(Plan.from_schedule(prepare(cut), fiscal_led_plan.schedule,
                                              paid.funding), prepare(cut))
    named = {(i.split()[2], int(i.split()[4])) for i in issues if i.startswith("budget exceeded")}
    assert set(zip(paid.extra["source_id"], paid.extra["year"].astype(int), strict=True)) <= named


# ------------------------------------------------------------------------------------------
# infeasible cases: with half the maintenance funds' money (owners), utilities_owners — whose
# owners pay a floor share of estate works — cannot meet the tiny example's targets (since the
# data of issue 12, fiscal_led needs some owners' money too: with half of it, it plans)
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def no_owners(quick):
    """``quick`` with half the owners' money: utilities_owners has no plan, fiscal_led has one."""
    return quick.update(funding={"source_scale": {"owners": 0.5}})


@pytest.fixture(scope="module")
def infeasible_recheck(no_owners, tmp_path_factory):
    out = tmp_path_factory.mktemp("infeasible")
    return run_sweep(no_owners, out, samples=3, mode="recheck", reference="optimised",
                     executor=SequentialExecutor(), progress=False)


def test_an_infeasible_reference_plan_is_recorded_with_its_diagnosis(infeasible_recheck):
    results = infeasible_recheck.results
    assert results["experiment_id"].tolist() == list(range(6))
    columns = list(results.columns)
    assert columns[columns.index("status"):columns.index("status") + 3] == [
        "status", "feasible", "holds"]
    assert columns[-4:] == ["extra_money_yuan", "shortfall_coverage_2027",
                            "shortfall_featured_2027", "diagnosis"]
    planned, missing = (results[results["option"] == o]
                        for o in ("fiscal_led", "utilities_owners"))
    assert planned["feasible"].all() and set(planned["status"]) <= {"holds", "violated"}
    assert planned["extra_money_yuan"].isna().all() and (planned["diagnosis"] == "").all()
    assert (planned["shortfall_featured_2027"] == 0).all()  # met: the fixed plan's own figure
    assert (missing["status"] == "no_reference").all()
    assert not missing[["feasible", "holds", "met_coverage_2027",
                        "met_featured_2027"]].to_numpy().any()
    assert missing[["coverage_2027", "money_total_yuan", "objective"]].isna().all().all()
    assert (missing["violations"] == 0).all()
    # the least extra money (the diagnosis of the tiny example with half the owners' money:
    # 771,213.1 yuan, on the data of issue 12), the same for every experiment of the setting
    assert missing["extra_money_yuan"].nunique() == 1
    assert missing["extra_money_yuan"].iloc[0] == pytest.approx(771_213.1, abs=1)
    # within the budgets the best plan makes its featured communities but falls short on
    # coverage (the target the missing money is for)
    assert (missing["shortfall_featured_2027"] == 0).all()
    assert (missing["shortfall_coverage_2027"] > 0).all()
    assert missing["diagnosis"].str.contains("smallest extra money").all()
    folder = infeasible_recheck.path.parent / "reference"
    assert sorted(p.name for p in folder.iterdir()) == [
        "lever_0_funding.parquet", "lever_0_schedule.parquet", "lever_1_no_plan.json"]
    shown = infeasible_recheck.summary()
    assert "infeasible" in shown and "median_extra_money_yuan" in shown
    assert "3 experiments have no plan" in shown
    table = infeasibility(results, by=["option"]).set_index("option")
    assert table.loc["utilities_owners", "infeasible"] == 3
    assert table.loc["fiscal_led", "infeasible"] == 0
    assert table.loc["utilities_owners", "median_extra_money_yuan"] == pytest.approx(771_213.1,
                                                                                     abs=1)
    assert np.isnan(table.loc["fiscal_led", "median_extra_money_yuan"])
    probabilities = target_probabilities(results, by=["option"]).set_index("option")
    assert probabilities.loc["utilities_owners", ["p_coverage_2027", "p_featured_2027",
                                                  "p_holds"]].tolist() == [0.0, 0.0, 0.0]


def test_same_results_with_infeasible_cases_on_processes_and_dask(no_owners, infeasible_recheck,
                                                                  tmp_path):
    expected, _ = read_results(infeasible_recheck.path)
    for name, executor in (("processes", ProcessExecutor(2)),
                           ("dask", DaskExecutor(workers=2, processes=False))):
        run = run_sweep(no_owners, tmp_path / name, samples=3, mode="recheck",
                        reference="optimised", executor=executor, progress=False)
        stored, _ = read_results(run.path)
        pd.testing.assert_frame_equal(stored, expected, check_exact=True)
        pd.testing.assert_frame_equal(run.results, infeasible_recheck.results, check_exact=True)


def test_an_interrupted_sweep_with_an_infeasible_reference_resumes(
        no_owners, infeasible_recheck, tmp_path, monkeypatch):
    interrupted = _Counting(fail_after=4)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(no_owners, tmp_path, samples=3, progress=False, evaluate=interrupted)
    assert (tmp_path / "reference" / "lever_1_no_plan.json").exists()
    assert len(list((tmp_path / "parts").glob("*.parquet"))) == 4

    def no_replanning(task):
        raise AssertionError("a stored reference plan was planned again")

    monkeypatch.setattr(sweep_run, "plan_reference", no_replanning)
    resumed = _Counting()
    result = run_sweep(no_owners, tmp_path, samples=3, progress=False, evaluate=resumed)
    assert sorted(resumed.calls) == sorted(set(range(6)) - set(interrupted.calls))
    pd.testing.assert_frame_equal(result.results, infeasible_recheck.results, check_exact=True)


#: one experiment: the budget scaled by a draw from [1.0, 1.1]
ONE_BUDGET_SAMPLE = """[uncertainty]
samples = 1
[uncertainty.parameters.budget]
path = "funding.budget_scale"
low = 1.0
high = 1.1
"""


def test_an_infeasible_replanned_experiment_carries_its_diagnosis(tmp_path):
    text = ONE_BUDGET_SAMPLE + """[uncertainty.levers.option]
path = "funding.sharing_option"
values = ["utilities_owners"]
[funding.source_scale]
owners = 0.5
"""
    scenario = load_scenario(tiny_with(tmp_path, text), solver={"gap": 0.1})
    result = run_sweep(scenario, tmp_path / "out", mode="replan", progress=False)
    row = result.results.iloc[0]
    assert row["status"] == "infeasible" and not row["feasible"] and not row["holds"]
    assert not row["met_featured_2027"] and np.isnan(row["objective"])
    assert 0 < row["extra_money_yuan"] <= 771_214  # more budget never needs more extra money
    assert row["shortfall_featured_2027"] + row["shortfall_coverage_2027"] > 0  # a target missed
    assert "smallest extra money" in row["diagnosis"]


def test_a_folder_of_another_sweep_is_not_mixed_in(scenario, sequential_recheck):
    with pytest.raises(InputError, match="same sweep"):
        run_sweep(scenario, sequential_recheck.path.parent, samples=7, reference="rule_of_thumb",
                  progress=False)


def test_one_replanned_experiment(tmp_path):
    text = ONE_BUDGET_SAMPLE
    result = run_sweep(load_scenario(tiny_with(tmp_path, text)), tmp_path / "out", mode="replan",
                       progress=False)
    row = result.results.iloc[0]
    assert row["status"] in ("optimal", "feasible")
    assert row["holds"] and row["budget_violations"] == 0
    assert row["met_coverage_2027"] and row["met_featured_2027"]
    assert np.isfinite(row["gap"]) and row["objective"] > 0


@pytest.mark.slow
def test_replanning_gives_identical_results_on_every_executor(scenario, tmp_path):
    fast = scenario.update(solver={"threads": 1})
    runs = [run_sweep(fast, tmp_path / str(i), samples=2, mode="replan", executor=ex,
                      progress=False).results
            for i, ex in enumerate((SequentialExecutor(), ProcessExecutor(2),
                                    DaskExecutor(workers=2)))]
    for other in runs[1:]:
        pd.testing.assert_frame_equal(other, runs[0], check_exact=True)
    optimised = run_sweep(fast, tmp_path / "recheck", samples=2, mode="recheck",
                          reference="optimised", progress=False)
    assert len(optimised.results) == 4
    assert (tmp_path / "recheck" / "reference" / "lever_1_schedule.parquet").exists()


def test_cli_runs_a_sweep_and_reports_probabilities(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    sweep_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["sweep", str(SCENARIOS / "uncertainty.toml"), "--samples", "3",
                              "--out", str(tmp_path), "--workers", "1", "--reference",
                              "rule_of_thumb", "--no-progress"])
    assert args.func(args) == 0
    shown = capsys.readouterr().out
    assert "6 experiments (6 run now, 0 already done)" in shown
    assert "p_coverage_2027" in shown and "utilities_owners" in shown
    assert "Sobol'" not in shown  # indices only for a saltelli design
    with pytest.raises(SystemExit) as refused:  # argparse: usage and the accepted range, exit 2
        parser.parse_args(["sweep", str(SCENARIOS / "uncertainty.toml"), "--out", str(tmp_path),
                           "--workers", "0"])
    assert refused.value.code == 2


# ------------------------------------------------------------------------------------------
# robustness metrics on known answers
# ------------------------------------------------------------------------------------------
def test_target_probabilities_per_lever_setting():
    results = pd.DataFrame({
        "option": ["a", "a", "a", "a", "b", "b", "b", "b"],
        "met_coverage": [True, True, True, False, True, False, False, False],
        "met_featured": [True] * 8,
        "holds": [True, True, False, False, False, False, False, False],
    })
    table = target_probabilities(results, by=["option"]).set_index("option")
    assert table.loc["a", "p_coverage"] == 0.75 and table.loc["b", "p_coverage"] == 0.25
    assert table.loc["a", "p_featured"] == 1.0 and table.loc["b", "p_holds"] == 0.0
    assert table.loc["a", "experiments"] == 4
    overall = target_probabilities(results)
    assert overall.loc[0, "p_coverage"] == 0.5 and overall.loc[0, "experiments"] == 8


def test_experiments_without_a_plan_meet_nothing_and_are_counted():
    results = pd.DataFrame({
        "option": ["a", "a", "b", "b"],
        "feasible": [True, True, False, False],
        "met_coverage": [True, False, True, pd.NA],  # stray values without a plan are ignored
        "holds": [True, False, False, False],
        "extra_money_yuan": [np.nan, np.nan, 100.0, 300.0],
    })
    table = target_probabilities(results, by=["option"]).set_index("option")
    assert table.loc["a", "p_coverage"] == 0.5 and table.loc["b", "p_coverage"] == 0.0
    counts = infeasibility(results, by=["option"]).set_index("option")
    assert counts["infeasible"].to_dict() == {"a": 0, "b": 2}
    assert counts.loc["b", "median_extra_money_yuan"] == 200.0
    overall = infeasibility(results)
    assert overall.loc[0, "infeasible"] == 2 and overall.loc[0, "experiments"] == 4


def test_regret_against_the_best_lever_in_hindsight():
    results = pd.DataFrame({"sample_id": [0, 0, 1, 1, 2, 2],
                            "option": ["a", "b"] * 3,
                            "objective": [10.0, 7.0, 4.0, 9.0, 5.0, 5.0]})
    r = regret(results, ["option"])
    assert r["regret"].tolist() == [0.0, 3.0, 5.0, 0.0, 0.0, 0.0]
    summary = regret_summary(r, ["option"]).set_index("option")
    assert summary.loc["a", "max_regret"] == 5.0 and summary.loc["b", "max_regret"] == 3.0
    assert summary.loc["a", "mean_regret"] == pytest.approx(5 / 3)
    costs = regret(results, ["option"], maximise=False)
    assert costs["regret"].tolist() == [3.0, 0.0, 0.0, 5.0, 0.0, 0.0]


def test_prim_finds_the_known_failure_region():
    rng = np.random.default_rng(3)
    inputs = pd.DataFrame(rng.uniform(0, 1, size=(1000, 3)), columns=["x1", "x2", "x3"])
    failed = inputs["x1"] > 0.7
    box = prim(inputs, failed)
    assert box.restricted == ("x1",)
    assert box.limits.loc["x1", "low"] == pytest.approx(0.7, abs=0.02)
    assert box.density == 1.0 and box.coverage == 1.0
    assert "x1 >=" in box.describe()


def test_prim_finds_a_two_sided_box_on_two_drivers():
    rng = np.random.default_rng(5)
    inputs = pd.DataFrame(rng.uniform(0, 1, size=(2000, 3)), columns=["a", "b", "c"])
    cases = (inputs["a"] < 0.4) & (inputs["b"] > 0.5)
    box = prim(inputs, cases)
    assert set(box.restricted) == {"a", "b"}
    assert box.limits.loc["a", "high"] == pytest.approx(0.4, abs=0.03)
    assert box.limits.loc["b", "low"] == pytest.approx(0.5, abs=0.03)
    assert box.density > 0.95 and box.coverage >= 0.8
