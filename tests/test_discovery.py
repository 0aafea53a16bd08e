"""Which uncertainty decides it: the Saltelli design, Sobol' indices (SALib) on a function with
published indices and on a tiny sweep, and scenario discovery (EMA workbench) on known regions."""

from __future__ import annotations

import argparse
import re

import numpy as np
import pandas as pd
import pytest
from conftest import TINY

from wzmodel.cli import sweep as sweep_command
from wzmodel.robustness import PrimBox, discover, sobol_indices
from wzmodel.scenario import load_scenario
from wzmodel.schema import InputError
from wzmodel.sweep import read_results, read_uncertainty, run_sweep, sample_design
from wzmodel.sweep.design import saltelli_unit_sample

SCENARIOS = TINY / "scenarios"

# Ishigami and Homma (1990), a = 7, b = 0.1, inputs uniform on [-pi, pi]; the published indices
ISHIGAMI_S1 = [0.3139, 0.4424, 0.0]
ISHIGAMI_ST = [0.5576, 0.4424, 0.2437]


def ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def saltelli_results(base: int, seed: int = 3) -> pd.DataFrame:
    """A Saltelli design for three inputs on [-pi, pi], two lever settings sharing the draws:
    'ishigami' evaluates the Ishigami function, 'first_only' depends on x1 alone."""
    x = -np.pi + 2 * np.pi * saltelli_unit_sample(3, base, seed)
    frames = []
    for option, y in (("ishigami", ishigami(x)), ("first_only", np.sin(x[:, 0]))):
        frames.append(pd.DataFrame({"sample_id": np.arange(len(x)), "option": option,
                                    "x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2], "y": y}))
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------------------------------
# the design
# ------------------------------------------------------------------------------------------
def test_saltelli_design_crosses_levers_with_salibs_layout_and_is_reproducible():
    scenario = load_scenario(SCENARIOS / "uncertainty.toml", uncertainty={"method": "saltelli"})
    spec = read_uncertainty(scenario)
    design = sample_design(spec, 8)
    assert len(design) == 2 * 8 * (3 + 2)  # levers × base points × (parameters + 2)
    assert (design["experiment_id"] == design["lever_id"] * 40 + design["sample_id"]).all()
    for p in spec.parameters:
        assert design[p.name].between(p.low, p.high).all()
    first = design[design["lever_id"] == 0]
    # SALib's layout: per base point, A, then A with one column of B per parameter, then B
    a, b = first.iloc[0], first.iloc[4]
    assert first.iloc[1]["cost_overrun_service"] == b["cost_overrun_service"]
    assert first.iloc[1][["city_budget", "household_growth"]].tolist() == \
        a[["city_budget", "household_growth"]].tolist()
    pd.testing.assert_frame_equal(design, sample_design(spec, 8))
    other = sample_design(spec.model_copy(update={"seed": 7}), 8)
    assert not np.allclose(other["city_budget"], design["city_budget"])
    with pytest.raises(InputError, match="power-of-two sample count for saltelli"):
        sample_design(spec, 12)


# ------------------------------------------------------------------------------------------
# Sobol' indices on known answers
# ------------------------------------------------------------------------------------------
def test_sobol_indices_reproduce_the_published_ishigami_indices():
    results = saltelli_results(1024)
    table = sobol_indices(results, ["x1", "x2", "x3"], output="y", by=["option"])
    ishi = table[table["option"] == "ishigami"].set_index("parameter")
    assert ishi["S1"].tolist() == pytest.approx(ISHIGAMI_S1, abs=0.05)
    assert ishi["ST"].tolist() == pytest.approx(ISHIGAMI_ST, abs=0.05)
    assert (ishi[["S1_conf", "ST_conf"]] > 0).all().all()
    assert (ishi["ST_conf"] < 0.1).all()
    # an output of x1 alone: all its variance is x1's, none is the others'
    alone = table[table["option"] == "first_only"].set_index("parameter")
    assert alone.loc["x1", "S1"] == pytest.approx(1.0, abs=0.05)
    assert alone.loc["x1", "ST"] == pytest.approx(1.0, abs=0.05)
    assert alone.loc[["x2", "x3"], "ST"].abs().max() < 0.01
    # deterministic: the bootstrap is seeded
    pd.testing.assert_frame_equal(table, sobol_indices(results, ["x1", "x2", "x3"], output="y",
                                                       by=["option"]))


def test_sobol_indices_of_a_target_met_or_not():
    results = saltelli_results(512)
    results["met_t"] = results["x2"] > 0  # the target hinges on x2 alone
    results["feasible"] = True
    table = sobol_indices(results[results["option"] == "ishigami"], ["x1", "x2", "x3"],
                          output="met_t").set_index("parameter")
    assert table.loc["x2", "S1"] == pytest.approx(1.0, abs=0.1)
    assert table.loc[["x1", "x3"], "ST"].abs().max() < 0.02
    # without a plan nothing is met: the output no longer varies, there is nothing to apportion
    results["feasible"] = False
    none = sobol_indices(results, ["x1", "x2", "x3"], output="met_t", by=["option"])
    assert len(none) == 6 and none[["S1", "S1_conf", "ST", "ST_conf"]].isna().all().all()


def test_sobol_indices_refuse_a_design_that_is_not_saltellis():
    results = saltelli_results(8).iloc[:-1]
    with pytest.raises(ValueError, match="not a Saltelli design"):
        sobol_indices(results, ["x1", "x2", "x3"], output="y")
    with pytest.raises(ValueError, match="no parameter"):
        sobol_indices(results, [], output="y")


@pytest.mark.slow  # 80 experiments: ≈ 30 s alone, minutes on a busy machine
def test_a_saltelli_sweep_of_the_tiny_example_prints_its_sobol_indices(tmp_path, capsys):
    path = tmp_path / "saltelli.toml"
    # with half the owners' money utilities_owners has no plan (see test_sweep.py); fiscal_led's
    # optimised plan meets the 2027 coverage exactly, so the draws decide whether it holds
    path.write_text(f'extends = "{(SCENARIOS / "uncertainty.toml").as_posix()}"\n'
                    'name = "tiny-saltelli"\n[uncertainty]\nmethod = "saltelli"\n'
                    '[funding.source_scale]\nowners = 0.5\n', encoding="utf-8")
    parser = argparse.ArgumentParser()
    sweep_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["sweep", str(path), "--samples", "8", "--out", str(tmp_path / "o"),
                              "--workers", "1", "--reference", "optimised", "--no-progress"])
    assert args.func(args) == 0
    shown = capsys.readouterr().out
    assert "80 experiments" in shown
    assert shown.index("p_coverage_2027") < shown.index("Sobol' indices") < shown.index("ST_conf")
    results, metadata = read_results(tmp_path / "o")
    assert metadata["method"] == "saltelli"
    table = sobol_indices(results, ["cost_overrun_service", "city_budget", "household_growth"],
                          by=["option"], seed=42)
    fiscal = table[table["option"] == "fiscal_led"].set_index("parameter")
    # with the plan fixed, 2027 coverage follows the data: household growth decides it
    assert fiscal["ST"].idxmax() == "household_growth" and fiscal.loc["household_growth", "ST"] > 0.3
    assert fiscal.loc[["cost_overrun_service", "city_budget"], "ST"].abs().max() < 0.01
    # utilities_owners meets the 2027 coverage target in no draw: no indices
    assert table.loc[table["option"] == "utilities_owners", "S1"].isna().all()


def test_sensitivity_needs_a_saltelli_design(tmp_path):
    scenario = load_scenario(SCENARIOS / "uncertainty.toml")
    result = run_sweep(scenario, tmp_path, samples=2, reference="rule_of_thumb", progress=False)
    with pytest.raises(ValueError, match="saltelli design, not lhs"):
        result.sensitivity()


# ------------------------------------------------------------------------------------------
# scenario discovery (EMA workbench)
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def two_drivers() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    inputs = pd.DataFrame(rng.uniform(0, 1, size=(2000, 3)), columns=["a", "b", "c"])
    return inputs.assign(met_target=~((inputs["a"] < 0.4) & (inputs["b"] > 0.5)),
                         feasible=True)


def test_discover_finds_the_known_failure_region_three_ways(two_drivers):
    found = discover(two_drivers, target="met_target", inputs=["a", "b", "c"])
    assert found.cases == "missed" and found.share == pytest.approx(0.2065)
    (box,) = found.boxes
    assert isinstance(box, PrimBox) and set(box.restricted) == {"a", "b"}
    assert box.limits.loc["a", "high"] == pytest.approx(0.4, abs=0.03)
    assert box.limits.loc["b", "low"] == pytest.approx(0.5, abs=0.03)
    assert box.density > 0.95 and box.coverage >= 0.8
    assert {"step", "coverage", "density", "mass", "restricted"} <= set(box.trajectory.columns)
    best = found.cart.iloc[0]
    assert best["density"] == 1.0 and best["coverage"] == 1.0 and best["restricted"] == 2
    bounds = re.fullmatch(r"a <= ([\d.]+) and b >= ([\d.]+)", best["rule"])
    assert [float(v) for v in bounds.groups()] == pytest.approx([0.4, 0.5], abs=0.01)
    assert found.feature_scores["input"].tolist()[-1] == "c"
    assert found.feature_scores["score"].sum() == pytest.approx(1.0)
    assert "PRIM box 1: " in found.describe() and "Feature scores: a" in found.describe()
    again = discover(two_drivers, target="met_target", inputs=["a", "b", "c"])
    pd.testing.assert_frame_equal(found.cart, again.cart)
    pd.testing.assert_frame_equal(found.feature_scores, again.feature_scores)


def test_discover_explains_success_and_counts_no_plan_as_missed(two_drivers):
    met = discover(two_drivers, target="met_target", inputs=["a", "b", "c"], cases="met")
    assert met.share == pytest.approx(1 - 0.2065)
    no_plan = two_drivers.assign(feasible=two_drivers["c"] > 0.9)  # only c > 0.9 has a plan
    found = discover(no_plan, target="met_target", inputs=["a", "b", "c"], cases="met")
    assert "c" in found.boxes[0].restricted and found.boxes[0].limits.loc["c", "low"] > 0.89
    assert found.feature_scores["input"].iloc[0] == "c"
    assert found.cart.iloc[0]["rule"].startswith("c >= 0.9")


def test_discover_needs_both_outcomes_and_numeric_inputs(two_drivers):
    with pytest.raises(ValueError, match="nothing to tell apart"):
        discover(two_drivers.assign(met_target=True), target="met_target", inputs=["a"])
    with pytest.raises(ValueError, match="numeric inputs"):
        discover(two_drivers.assign(option="x"), target="met_target", inputs=["a", "option"])
