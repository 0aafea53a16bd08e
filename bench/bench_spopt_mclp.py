"""Time spopt's MCLP on an instance written by ``bench_location.py`` (run in spopt's own venv).

spopt is not a dependency of wzmodel; install it in a throwaway environment::

    python3.11 -m venv /tmp/spoptvenv && /tmp/spoptvenv/bin/pip install spopt highspy
    /tmp/spoptvenv/bin/python bench/bench_spopt_mclp.py INSTANCE.npz

The instance file holds ``distance`` (n x m), ``weights`` (n), ``radius`` and ``p``. The script
prints one JSON line: build and solve seconds, objective (covered weight) and the solver used.
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import numpy as np
import pulp


def main(path: str) -> None:
    from spopt.locate import MCLP

    data = np.load(path)
    distance, weights = data["distance"], data["weights"]
    radius, p = float(data["radius"]), int(data["p"])
    try:
        solver = pulp.HiGHS(msg=False, gapRel=0.0)  # same exactness as the wzmodel run
        solver_name = "HiGHS (pulp.HiGHS, highspy, gap 0)"
        if not solver.available():
            raise RuntimeError
    except Exception:
        solver = pulp.PULP_CBC_CMD(msg=False, gapRel=0.0)
        solver_name = "CBC (PULP_CBC_CMD, gap 0)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # spopt 0.7 builds with deprecated PuLP idioms
        t0 = time.perf_counter()
        model = MCLP.from_cost_matrix(distance, weights, radius, p_facilities=p)
        t1 = time.perf_counter()
        model.solve(solver, results=False)
        t2 = time.perf_counter()
    objective = float(pulp.value(model.problem.objective))
    print(json.dumps({
        "build_seconds": t1 - t0,
        "solve_seconds": t2 - t1,
        "objective": objective,
        "status": pulp.LpStatus[model.problem.status],
        "solver": solver_name,
    }))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: bench_spopt_mclp.py INSTANCE.npz")
    main(sys.argv[1])
