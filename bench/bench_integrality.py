"""How far a scenario's LP relaxation sits above its plans: the evidence behind the open 0.5 % gaps.

    python bench/bench_integrality.py                       # the tiny example, 120 s
    python bench/bench_integrality.py SCENARIO.toml --time-limit 60

Builds the scenario's model, solves its LP relaxation and prints its objective, the binaries it
leaves fractional and the budget rows that bind (a nonzero dual); then gives the whole model to
HiGHS's branch and bound (one thread, gap 0.5 %, no start) and prints the plan, the bound, the
gap and the nodes it reached within the limit. Many binding budget rows against few
communities mean an LP that spends every source's money exactly in fractions of communities —
a gap no integer plan closes (on the tiny example: 84 binding rows for 38 committees, 2.5 %
still open after 120 s). Meant for models small enough to load whole; the city's LP alone is
priced in by ``wzmodel.solver.price_and_branch``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pulp

from wzmodel.data import example_path
from wzmodel.planner import build, prepare
from wzmodel.scenario import load_scenario
from wzmodel.solver import SolverOptions
from wzmodel.solver.highs import highs_instance, highs_model, model_arrays

TINY = example_path("tiny") / "scenarios" / "baseline.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", nargs="?", type=Path, default=TINY)
    parser.add_argument("--time-limit", type=float, default=120.0)
    args = parser.parse_args()
    model = build(prepare(load_scenario(args.scenario)))
    variables, constraints, cl, cu, integer, cost, rl, ru, rows = model_arrays(model.prob)
    maximize = model.prob.sense == pulp.LpMaximize
    offset = float(model.prob.objective.constant)

    def run(options: SolverOptions, with_integers: bool):
        h = highs_instance(options)
        h.passModel(highs_model(cost, cl, cu, rl, ru, rows.tocsc(), maximize=maximize,
                                integer=integer if with_integers else None, offset=offset))
        clock = time.perf_counter()
        h.run()
        return h, time.perf_counter() - clock

    lp, seconds = run(SolverOptions(), with_integers=False)
    x = np.asarray(lp.getSolution().col_value)
    duals = np.asarray(lp.getSolution().row_dual)
    budget = np.array([c.name.startswith("budget_") for c in constraints])
    fractional = integer & (x > 1e-6) & (x < 1 - 1e-6)
    print(f"{args.scenario.name}: {model.problem.n:,} communities, {len(variables):,} variables "
          f"({int(integer.sum()):,} binaries), {len(constraints):,} rows")
    print(f"LP relaxation: {lp.getInfo().objective_function_value:,.3f} in {seconds:.1f} s; "
          f"{int(fractional.sum()):,} fractional binaries; "
          f"{int((budget & (np.abs(duals) > 1e-9)).sum())} of {int(budget.sum())} budget rows bind")
    options = SolverOptions(gap=0.005, time_limit=args.time_limit, threads=1, seed=0)
    mip, seconds = run(options, with_integers=True)
    info = mip.getInfo()
    print(f"branch and bound, whole model, one thread, {args.time_limit:g} s limit: plan "
          f"{info.objective_function_value:,.3f}, bound {info.mip_dual_bound:,.3f}, gap "
          f"{100 * info.mip_gap:.2f} %, {info.mip_node_count:,} nodes in {seconds:.1f} s "
          f"({mip.modelStatusToString(mip.getModelStatus())})")


if __name__ == "__main__":
    main()
