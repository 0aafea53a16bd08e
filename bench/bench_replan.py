"""Benchmark: warm re-planning — a plan re-made after a small change, starting from the previous
plan's columns, LP basis and solution (``make_plan(..., previous=plan)``).

    python bench/bench_replan.py                       # the city: budgets × 0.9 and × 1.1
    python bench/bench_replan.py --scales 0.8 1.2
    python bench/bench_replan.py --sweep --samples 8   # the Shanghai uncertainty sweep, re-plan mode

City part: plans the full baseline cold, then for each budget scale (``funding.budget_scale``)
re-plans warm from it and cold, and prints the wall time of each whole ``make_plan`` call
(prepare, build and solve), status, proven gap and objective, and how far the warm objective lies
from the cold one (each is proven within its gap, so they may differ by up to that).

Sweep part: ``data/shanghai/scenarios/uncertainty.toml`` in re-plan mode on ``--workers``
processes (one HiGHS thread each), warm (every experiment from its lever setting's reference
plan, whose planning is counted) and cold (the same experiments planned from nothing); prints
wall times, the
speed-up, and the largest difference of objectives relative to the gaps.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

from wzmodel.planner import make_plan
from wzmodel.scenario import load_scenario
from wzmodel.sweep import ProcessExecutor, run_sweep
from wzmodel.sweep.experiment import ExperimentTask, run_experiment
from wzmodel.sweep.results import weak_plans

ROOT = Path(__file__).parents[1]
SCENARIOS = ROOT / "data" / "shanghai" / "scenarios"


def timed_plan(scenario, previous=None):
    clock = time.perf_counter()
    plan = make_plan(scenario, previous=previous, equal_money=False)  # the plan alone
    return plan, time.perf_counter() - clock


def describe(label: str, plan, seconds: float) -> str:
    o = plan.outcome
    gap = "–" if o.gap is None else f"{100 * o.gap:.2f} %"
    objective = "–" if o.objective is None else f"{o.objective:,.1f}"
    return f"{label:<22} {seconds:7.1f} s  {o.status:<10} gap {gap:>8}  objective {objective}"


def city(scales: list[float], time_limit: float) -> None:
    base = load_scenario(SCENARIOS / "baseline.toml", solver={"time_limit": time_limit})
    first, seconds = timed_plan(base)
    print(describe("baseline, cold", first, seconds), flush=True)
    for scale in scales:
        scenario = load_scenario(SCENARIOS / "baseline.toml",
                                 solver={"time_limit": time_limit},
                                 funding={"budget_scale": scale})
        warm, w = timed_plan(scenario, previous=first)
        print(describe(f"budgets × {scale:g}, warm", warm, w), flush=True)
        cold, c = timed_plan(scenario)
        print(describe(f"budgets × {scale:g}, cold", cold, c), flush=True)
        if warm.outcome.has_solution and cold.outcome.has_solution:
            diff = (warm.outcome.objective - cold.outcome.objective) / abs(cold.outcome.objective)
            print(f"{'':<22} warm {w:.1f} s vs cold {c:.1f} s ({c / w:.1f}× faster); "
                  f"objective warm − cold = {100 * diff:+.2f} % (gaps {100 * warm.outcome.gap:.2f} "
                  f"/ {100 * cold.outcome.gap:.2f} %)", flush=True)


def cold_experiment(task: ExperimentTask) -> dict:
    """An experiment re-planned without its reference: the cold comparison."""
    return run_experiment(dataclasses.replace(task, reference=None))


def sweep(samples: int, workers: int, time_limit: float | None) -> None:
    # one thread per worker; the scenario's own time limit unless one is given (at 60 s the
    # city's one-thread LP is not done, and every experiment, warm or cold, ends weak)
    solver = {"threads": 1} | ({} if time_limit is None else {"time_limit": time_limit})
    scenario = load_scenario(SCENARIOS / "uncertainty.toml", solver=solver)
    print(f"time limit per experiment: {scenario.solver.time_limit:g} s", flush=True)
    results = {}
    # the cold sweep's references are the rule of thumb (milliseconds; withheld anyway)
    for label, evaluate, reference in (("warm", run_experiment, "optimised"),
                                       ("cold", cold_experiment, "rule_of_thumb")):
        with tempfile.TemporaryDirectory() as tmp:
            clock = time.perf_counter()
            result = run_sweep(scenario, Path(tmp) / "sweep", samples=samples, mode="replan",
                               executor=ProcessExecutor(workers), progress=False,
                               evaluate=evaluate, reference=reference)
            seconds = time.perf_counter() - clock
        results[label] = result.results.set_index("experiment_id")
        r = results[label]
        print(f"{label}: {len(r)} experiments on {workers} workers in {seconds:.0f} s "
              f"(reference plans included); status {r['status'].value_counts().to_dict()}, "
              f"largest gap {100 * r['gap'].max():.2f} %, weak plans {weak_plans(r).sum()}",
              flush=True)
        results[label + "_seconds"] = seconds
    warm, cold = results["warm"], results["cold"]
    print(f"speed-up {results['cold_seconds'] / results['warm_seconds']:.1f}×", flush=True)
    both = warm["objective"].notna() & cold["objective"].notna()
    diff = (warm["objective"] - cold["objective"]).abs() / cold["objective"].abs()
    allowed = warm["gap"].combine(cold["gap"], max)
    print(f"objective |warm − cold| / cold: largest {100 * diff[both].max():.3f} %; "
          f"within the larger of the two gaps in {(diff[both] <= allowed[both] + 1e-9).sum()} "
          f"of {both.sum()} experiments", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[0.9, 1.1])
    parser.add_argument("--time-limit", type=float, default=None,
                        help="seconds per plan (default: 60 for the city part, the scenario's "
                             "own for the sweep)")
    parser.add_argument("--sweep", action="store_true", help="the uncertainty sweep instead")
    parser.add_argument("--samples", type=int, default=8, help="sweep: samples per lever setting")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if args.sweep:
        sweep(args.samples, args.workers, args.time_limit)
    else:
        city(args.scales, 60.0 if args.time_limit is None else args.time_limit)


if __name__ == "__main__":
    main()
