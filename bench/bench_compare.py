"""Benchmark: compare the three Shanghai sharing options (one full planning solve each).

Usage: ``.venv/bin/python bench/bench_compare.py [--out DIR]``. Prints the time of each plan, the
side-by-side table (coverage, targets, money per funder, leverage, districts at their caps) and
writes the comparison (plans, workbook, figures) to ``--out`` (default ``results/compare``).
Each solve is bounded by the scenario's solver time limit (``--time-limit`` overrides it).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

from wzmodel.finance import compare
from wzmodel.scenario import load_scenario

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
OPTIONS = ("fiscal_led", "utilities_owners", "social_capital_leveraged")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "compare")
    parser.add_argument("--time-limit", type=float, help="solver seconds per plan (default: "
                        "the scenario's)")
    args = parser.parse_args()
    overrides = {"solver": {"time_limit": args.time_limit}} if args.time_limit else {}
    scenarios = [load_scenario(ROOT / "data" / "shanghai" / "scenarios" / f"{o}.toml",
                               **overrides) for o in OPTIONS]
    t0 = time.perf_counter()
    comparison = compare(scenarios)
    total = time.perf_counter() - t0
    print(comparison.text())
    print("\nTimings (s):")
    for option, plan in comparison.plans.items():
        o = plan.outcome
        gap = f"{100 * o.gap:.3f} %" if o.gap is not None else "unknown"
        print(f"  {option:<26} solve {o.seconds or 0:7.1f}  build "
              f"{o.extra.get('build_seconds') or 0:6.1f}  status {o.status}  gap {gap}")
    print(f"  compare in total: {total:.1f} s")
    t1 = time.perf_counter()
    comparison.write(args.out)
    print(f"  write: {time.perf_counter() - t1:.1f} s -> {args.out}")


if __name__ == "__main__":
    main()
