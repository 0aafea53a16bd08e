"""Benchmark: wzmodel.selection.solve_mkp on OR-Library mknapcb1 (Chu & Beasley 5 × 100).

Solves problems 5.100-00 .. 5.100-04 to a proven optimum (gap 0) and compares with the best known
values of Chu & Beasley (1998), first table of ``mkcbres.txt``.

Usage::

    .venv/bin/python bench/bench_mkp.py [--solver highs|cbc] [--time-limit SECONDS]
                                        [--problems 0 1 2 3 4] [--threads N]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

from wzmodel.benchmarks import read_mknap, read_optima
from wzmodel.selection import solve_mkp
from wzmodel.solver import DEFAULT_SOLVER, SolverOptions, solver_names

DATA = Path(__file__).resolve().parents[1] / "data" / "benchmarks" / "orlib_mknap"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--solver", choices=solver_names(), default=DEFAULT_SOLVER)
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--problems", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = parser.parse_args(argv)

    problems = read_mknap(DATA / "mknapcb1.txt")
    known = read_optima(DATA / "mkcbres.txt")  # first table: best known solutions
    options = SolverOptions(solver=args.solver, gap=0.0, time_limit=args.time_limit,
                            threads=args.threads)
    print(f"solve_mkp on mknapcb1 (5 constraints x 100 items), solver={args.solver}, gap=0, "
          f"time_limit={args.time_limit}, threads={args.threads}, "
          f"python {platform.python_version()}")
    header = (f"{'problem':<10} {'status':<9} {'objective':>10} {'best known':>10} {'match':>5} "
              f"{'bound':>10} {'gap %':>8} {'solve s':>8} {'total s':>8}")
    print(header)
    print("-" * len(header))
    all_matched = True
    for k in args.problems:
        values, weights, capacities, _ = problems[k]
        name = f"5.100-{k:02d}"
        t0 = time.perf_counter()
        r = solve_mkp(values, weights, capacities, solver=options)
        total = time.perf_counter() - t0
        ref = known[name]
        matched = r.objective is not None and abs(r.objective - ref) < 1e-6
        all_matched &= matched
        obj = "-" if r.objective is None else f"{r.objective:.0f}"
        bound = "-" if r.bound is None else f"{r.bound:.1f}"
        gap = "-" if r.gap is None else f"{100 * r.gap:.4f}"
        print(f"{name:<10} {r.status:<9} {obj:>10} {ref:>10.0f} {'yes' if matched else 'NO':>5} "
              f"{bound:>10} {gap:>8} {r.seconds:>8.1f} {total:>8.1f}", flush=True)
    return 0 if all_matched else 1


if __name__ == "__main__":
    sys.exit(main())
