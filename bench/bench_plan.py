"""Planner benchmark: the full Shanghai baseline scenario and a scaling curve.

    python bench/bench_plan.py                 # full baseline + scaling 1k, 2k, 4k, all
    python bench/bench_plan.py --sizes 1000    # one size only
    python bench/bench_plan.py --districts     # each of the 16 districts planned alone
    python bench/bench_plan.py --districts 浦东 黄浦

Prints, per size: model-build time, wall time of the whole plan, solve time (for price and
branch: its LP and branch-and-bound parts), status, gap, the objective (coverage-years less the
soft targets' penalties: what is optimised, and what the gap is measured on) and its bound,
the coverage-years alone and the rule-of-thumb plan's, and whether the 2027 targets are met.
A plan may have fewer coverage-years than the rule of thumb and still be the better plan: it
spends money on reaching the targets instead (505 communities: objective -101.5 against the
rule of thumb chasing the targets' -136.8, with 692.5 coverage-years against the rule's 977.2).
Communities for a size are the first N by id within a fixed random order of streets (seeded),
so subsets keep whole streets; budgets are scaled by the subset's share of the baseline cost.

With ``--districts``, each district is planned as a district office would plan it: the baseline
with ``[area] districts = [district]`` (its own district budget whole, city-wide budgets × its
share of the communities) and the 2027 new-featured count cut to its share of the city's,
rounded up (as ``district_pudong.toml`` and ``district_huangpu.toml`` do). Prints, per
district: communities, upgrade binaries, the strategy chosen, build and wall seconds, status
and proven gap.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

from wzmodel.data import load_dataset
from wzmodel.planner import build, make_plan, prepare, rule_of_thumb_plan
from wzmodel.planner.strategy import choose
from wzmodel.scenario import load_scenario
from wzmodel.solver import SolveOutcome
from wzmodel.vocabulary import DISTRICT_PINYIN, romanise

ROOT = Path(__file__).parents[1]


def subset(dataset, n: int, seed: int = 0):
    streets = dataset.communities["street_code"].unique()
    order = np.random.default_rng(seed).permutation(np.sort(streets))
    keep, count = [], 0
    for street in order:
        members = dataset.communities.loc[
            dataset.communities["street_code"] == street, "community_id"
        ]
        keep.extend(members)
        count += len(members)
        if count >= n:
            break
    return dataset.subset(keep)


def run(size: int | None, time_limit: float, strategy: str) -> None:
    scenario = load_scenario(
        ROOT / "data/shanghai/scenarios/baseline.toml",
        solver={"time_limit": time_limit, "strategy": strategy},
    )
    full = load_dataset(scenario.data)
    dataset = full if size is None else subset(full, size)
    if size is not None:  # scale money with the subset's share of the gaps to close
        whole = prepare(scenario, full).capital["basic"].sum()
        part = prepare(scenario, dataset).capital["basic"].sum()
        scenario = scenario.update(funding={"budget_scale": float(part / whole)})
    t0 = time.perf_counter()
    problem = prepare(scenario, dataset)
    t_prepare = time.perf_counter() - t0
    model = build(problem)
    t0 = time.perf_counter()
    plan = make_plan(scenario, problem=problem, equal_money=False)  # the plan alone
    wall = time.perf_counter() - t0
    rule = rule_of_thumb_plan(problem)
    o = plan.outcome
    gap = "n/a" if o.gap is None else f"{100 * o.gap:.2f} %"
    met = plan.targets.set_index("target")["met"]
    print(
        f"{len(dataset.communities):>6} communities | vars {len(model.prob.variables()):>7} | "
        f"prepare {t_prepare:5.1f} s | build {model.build_seconds:5.1f} s | "
        f"plan wall {wall:6.1f} s (solve {o.seconds:5.1f} s{_split(o)}) | {o.status:>9} "
        f"gap {gap:>8} | objective {o.objective:10.1f} (bound {_number(o.bound)}) | "
        f"coverage-years {plan.kpi('coverage_years'):10.1f} vs rule of thumb "
        f"{rule.kpi('coverage_years'):10.1f} | 2027 targets met: "
        f"{bool(met.get('coverage_2027', True) and met.get('featured_2027', True))}"
    )


def _number(value: float | None) -> str:
    return "none" if value is None else f"{value:,.1f}"


def run_district(district: str, time_limit: float, strategy: str) -> None:
    scenario = load_scenario(
        ROOT / "data/shanghai/scenarios/baseline.toml",
        solver={"time_limit": time_limit, "strategy": strategy},
        area={"districts": [district]},
    )
    problem = prepare(scenario)
    featured = scenario.targets["featured_2027"]
    share = problem.n / len(problem.dataset.communities)
    scenario = scenario.update(
        targets={"featured_2027": {"min_count": math.ceil(featured.min_count * share - 1e-9)}})
    problem = prepare(scenario, problem.dataset)
    model = build(problem)
    chosen = choose(model, scenario.solver.strategy, scenario.solver.options())
    t0 = time.perf_counter()
    plan = make_plan(scenario, problem=problem, equal_money=False)  # the plan alone
    wall = time.perf_counter() - t0
    o = plan.outcome
    gap = "n/a" if o.gap is None else f"{100 * o.gap:.2f} %"
    print(
        f"{district} ({romanise(district)}) | {problem.n:>5} communities | binaries "
        f"{sum(len(x) for x in model.x.values()):>6} | {chosen:<16} | build "
        f"{model.build_seconds:5.1f} s | wall {wall:6.1f} s (solve {o.seconds:5.1f} s{_split(o)}) | "
        f"{o.status:>11} | gap {gap:>8}"
    )


def _split(outcome: SolveOutcome) -> str:
    """The LP / branch-and-bound split of a price-and-branch solve."""
    if "lp_seconds" not in outcome.extra:
        return ""
    return f" = LP {outcome.extra['lp_seconds']:.1f} + B&B {outcome.extra['mip_seconds']:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="*",
        default=[1000, 2000, 4000, 0],
        help="community counts; 0 = all",
    )
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--strategy", choices=["auto", "full", "price_and_branch"], default="auto")
    parser.add_argument(
        "--districts",
        nargs="*",
        metavar="DISTRICT",
        help="plan each district alone (the data's names, e.g. 浦东; none given: all 16)",
    )
    args = parser.parse_args()
    if args.districts is not None:
        for district in args.districts or list(DISTRICT_PINYIN):
            run_district(district, args.time_limit, args.strategy)
        return
    for size in args.sizes:
        run(size or None, args.time_limit, args.strategy)


if __name__ == "__main__":
    main()
