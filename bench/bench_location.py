"""Benchmarks of wzmodel.location: build and solve times on a public and a synthetic instance.

(a) OR-Library capa (UFL, 100 sites x 1000 customers): model-build time (target <= 1 s), solve
    time to proven optimality (gap 0), and the optimum checked against ``uncapopt.txt``.
(b) Synthetic MCLP: 5,000 demand points and 500 sites uniform in a 10 km square (seeded), p = 100,
    radius = the 1.5 % quantile of all distances (so 1.5 % of pairs are in reach). Build time
    (target <= 2 s), solve time and objective. If spopt can be imported here, or its interpreter
    is given with ``--spopt-python``, spopt's ``MCLP.from_cost_matrix`` runs on the same instance
    (through ``bench_spopt_mclp.py``) and the time ratio is printed.

Usage (from the repository root)::

    .venv/bin/python bench/bench_location.py [--spopt-python /tmp/spoptvenv/bin/python]

The script prints its figures and writes nothing but a temporary file for spopt. It exits with
status 1 if a build-time target or the capa optimum check fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from wzmodel.benchmarks import read_optima, read_orlib_facility  # noqa: E402
from wzmodel.location import build_mclp, build_ufl, solve_model  # noqa: E402

DATA = ROOT / "data" / "benchmarks"


def bench_capa() -> bool:
    print("(a) OR-Library capa, uncapacitated facility location, 100 sites x 1000 customers")
    t0 = time.perf_counter()
    _capacity, fixed, _demand, cost = read_orlib_facility(DATA / "orlib_ufl" / "capa.txt")
    read_s = time.perf_counter() - t0
    model = build_ufl(fixed, cost)
    t1 = time.perf_counter()
    result = solve_model(model, gap=0.0)
    total_solve = time.perf_counter() - t1
    optimum = read_optima(DATA / "orlib_ufl" / "uncapopt.txt")["capa"]
    ok_build = model.build_seconds <= 1.0
    ok_opt = result.status == "optimal" and abs(result.objective - optimum) <= 1e-3
    print(f"    read instance         {read_s:8.3f} s")
    print(f"    build model           {model.build_seconds:8.3f} s  "
          f"({model.n_pairs:,} assignment pairs)  target <= 1 s: {'ok' if ok_build else 'FAILED'}")
    print(f"    solve (HiGHS, gap 0)  {result.seconds:8.3f} s in HiGHS, {total_solve:.3f} s "
          "including hand-over and decoding")
    print(f"    status {result.status}, objective {result.objective:,.3f}, published optimum "
          f"{optimum:,.3f}: {'match' if ok_opt else 'MISMATCH'}; {result.open.size} sites open")
    return ok_build and ok_opt


def synthetic_mclp(seed: int = 20240601, n: int = 5000, m: int = 500, share: float = 0.015):
    rng = np.random.default_rng(seed)
    points = rng.uniform(0.0, 10_000.0, size=(n, 2))
    sites = rng.uniform(0.0, 10_000.0, size=(m, 2))
    weights = rng.integers(1, 101, size=n).astype(float)
    distance = np.sqrt(((points[:, None, :] - sites[None, :, :]) ** 2).sum(axis=2))
    radius = float(np.quantile(distance, share))
    return distance, weights, radius


def run_spopt(distance, weights, radius, p, spopt_python: str | None) -> dict | None:
    script = Path(__file__).with_name("bench_spopt_mclp.py")
    if spopt_python is None:
        try:
            import spopt  # noqa: F401
        except ImportError:
            return None
        spopt_python = sys.executable
    with tempfile.TemporaryDirectory(prefix="wzmodel-bench-") as tmp:
        path = Path(tmp) / "mclp.npz"
        np.savez(path, distance=distance, weights=weights, radius=radius, p=p)
        run = subprocess.run([spopt_python, str(script), str(path)], capture_output=True,
                             text=True, check=False)
    if run.returncode != 0:
        print(f"    spopt run failed: {run.stderr.strip()[-500:]}")
        return None
    return json.loads(run.stdout.strip().splitlines()[-1])


def bench_mclp(p: int, spopt_python: str | None) -> bool:
    print(f"(b) synthetic MCLP, 5,000 demand points x 500 sites, p = {p}")
    t0 = time.perf_counter()
    distance, weights, radius = synthetic_mclp()
    gen_s = time.perf_counter() - t0
    share = float((distance <= radius).mean())
    model = build_mclp(distance, radius, weights, p)
    t1 = time.perf_counter()
    result = solve_model(model, gap=0.0)
    total_solve = time.perf_counter() - t1
    ok_build = model.build_seconds <= 2.0
    covered = float(weights[result.covered].sum()) if result.has_solution else float("nan")
    print(f"    instance: radius {radius:,.1f} m, {100 * share:.2f} % of pairs in reach "
          f"({model.n_pairs:,}); generated in {gen_s:.3f} s (not part of the build)")
    print(f"    build model           {model.build_seconds:8.3f} s  target <= 2 s: "
          f"{'ok' if ok_build else 'FAILED'}")
    print(f"    solve (HiGHS, gap 0)  {result.seconds:8.3f} s in HiGHS, {total_solve:.3f} s "
          "including hand-over and decoding")
    print(f"    status {result.status}, objective (covered weight) {result.objective:,.1f} of "
          f"{weights.sum():,.0f} ({100 * covered / weights.sum():.2f} %), "
          f"{int(result.covered.sum()):,} of {weights.size:,} points covered")
    ours = model.build_seconds + total_solve
    spopt = run_spopt(distance, weights, radius, p, spopt_python)
    if spopt is None:
        print("    spopt: not available (pass --spopt-python PATH to compare)")
    else:
        theirs = spopt["build_seconds"] + spopt["solve_seconds"]
        print(f"    spopt 0.7 MCLP.from_cost_matrix with {spopt['solver']}: build "
              f"{spopt['build_seconds']:.3f} s, solve {spopt['solve_seconds']:.3f} s, objective "
              f"{spopt['objective']:,.1f} ({spopt['status']})")
        build_ratio = spopt["build_seconds"] / model.build_seconds
        print(f"    time ratio spopt / wzmodel: build {build_ratio:,.0f}x, "
              f"build+solve {theirs / ours:.1f}x  (wzmodel {ours:.3f} s, spopt {theirs:.3f} s)")
        if abs(spopt["objective"] - result.objective) > 1e-6:
            print("    NOTE: the objectives differ")
    return ok_build


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spopt-python", help="python interpreter of a venv with spopt installed")
    parser.add_argument("--p", type=int, default=100, help="facilities in the synthetic MCLP")
    parser.add_argument("--skip-capa", action="store_true")
    args = parser.parse_args(argv)
    ok = True
    if not args.skip_capa:
        ok &= bench_capa()
    ok &= bench_mclp(args.p, args.spopt_python)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
