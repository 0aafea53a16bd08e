"""Benchmark of wzmodel.siting on the bundled Shanghai data.

(a) Domain siting of all 6,496 communities, 553 candidate sites and 187 existing complexes
    (``min_cost``, default radii and penalty): build time (pairs in reach + model), solve time,
    status and gap, sites opened, households fully served; then the same with the policy's due
    years (main urban and new towns 2027, new market towns 2030) and with a 500 M yuan budget
    under ``max_households``.
(b) ``joint_vs_separate`` on the baseline scenario restricted to some districts (the full
    planner needs more than a minute per solve and the comparison solves it twice); the
    planner's own time limit and gap apply and are reported.

Usage (from the repository root)::

    .venv/bin/python bench/bench_siting.py [--districts 黄浦 徐汇] [--time-limit 60] [--map DIR]

Prints its figures; with ``--map`` writes the map of run (a) as ``DIR/siting_shanghai.png``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from wzmodel.data import load_dataset
from wzmodel.joint import joint_vs_separate
from wzmodel.scenario import load_scenario
from wzmodel.siting import SitingConfig, site_complexes
from wzmodel.solver import SolverOptions
from wzmodel.standards import load_standards

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "shanghai"


def report(label: str, plan) -> None:
    o = plan.outcome
    gap = "n/a" if o.gap is None else f"{100 * o.gap:.3f} %"
    print(f"{label}\n  pairs in reach {plan.n_pairs:,}; build {plan.build_seconds:.2f} s, "
          f"solve {o.seconds:.2f} s; status {o.status}, gap {gap}")
    print(f"  sites opened {int(plan.kpi('sites_opened'))}, households fully served "
          f"{plan.kpi('households_fully_served'):,.0f} of {plan.kpi('households_with_gap'):,.0f} "
          f"with a gap ({plan.kpi('households_in_reach'):,.0f} in reach); unmet "
          f"{plan.kpi('unmet_m2'):,.0f} m² of {plan.kpi('need_m2'):,.0f}; cost "
          f"{plan.kpi('cost_yuan') / 1e6:,.1f} M yuan "
          f"(capital {plan.kpi('capital_yuan') / 1e6:,.1f})")
    if len(plan.sites):
        print("  opened per year: " + ", ".join(
            f"{y}: {n}" for y, n in plan.sites.groupby("year").size().items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--districts", nargs="+", default=["黄浦", "松江"],
                        help="districts for the joint-vs-separate comparison")
    parser.add_argument("--time-limit", type=float, default=60.0,
                        help="planner time limit per solve, seconds")
    parser.add_argument("--map", help="folder for the map PNG of run (a)")
    args = parser.parse_args()

    dataset = load_dataset(DATA, indicators=load_standards().indicators())
    options = SolverOptions(time_limit=120, gap=1e-4)
    plan = site_complexes(dataset, solver=options)
    report("(a) Shanghai, min_cost, due by 2035", plan)
    if args.map:
        from wzmodel.plots import map_sites
        from wzmodel.plots.style import save_figure

        Path(args.map).mkdir(parents=True, exist_ok=True)
        fig = map_sites(plan.communities, plan.candidates, plan.allocation,
                        title="Shanghai: service complexes opened (min cost, radius by zone)",
                        figsize=(11, 10))
        save_figure(fig, Path(args.map) / "siting_shanghai.png")
    policy = SitingConfig(due_year_by_zone={"main_urban": 2027, "new_town": 2027,
                                            "new_market_town": 2030})
    report("(a) Shanghai, min_cost, due 2027 (main urban, new towns) / 2030 (market towns)",
           site_complexes(dataset, policy, solver=options))
    report("(a) Shanghai, max_households within 500 M yuan",
           site_complexes(dataset, SitingConfig(objective="max_households"),
                          budget_yuan=5e8, solver=options))

    scenario = load_scenario(DATA / "scenarios" / "baseline.toml",
                             solver={"time_limit": args.time_limit})
    keep = dataset.communities["district"].isin(args.districts)
    subset = dataset.subset(dataset.communities.loc[keep, "community_id"])
    # targets over districts the subset lacks would be meaningless: keep the coverage ones
    scenario = scenario.model_copy(update={"targets": {
        k: t for k, t in scenario.targets.items() if t.kind == "coverage"}})
    t0 = time.perf_counter()
    table = joint_vs_separate(scenario, dataset=subset)
    print(f"\n(b) joint vs separate, districts {', '.join(args.districts)} "
          f"({int(keep.sum())} communities), {time.perf_counter() - t0:.0f} s in all")
    shown = table.set_index("strategy")[[
        "status", "gap", "complexes_opened", "existing_floor_m2", "new_complex_floor_m2",
        "total_money_yuan", "money_vs_separate_yuan", "communities_basic_end",
        "coverage_years", "coverage_years_vs_separate", "floor_saving_bound_yuan"]].T
    with pd.option_context("display.width", 160, "display.float_format", "{:,.4g}".format):
        print(shown.to_string())


if __name__ == "__main__":
    main()
