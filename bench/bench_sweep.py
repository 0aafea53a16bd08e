"""Benchmark: a re-planning sweep of the tiny example, sequentially, on 2 local processes and on a
dask.distributed LocalCluster of 2 workers; the three must give identical results.

Run with ``.venv/bin/python bench/bench_sweep.py [--samples 20]`` (2 lever settings × 20 samples
= 40 experiments). Every solve uses one HiGHS thread (``solver.threads = 1``) so that two
processes compete for two cores fairly and the parallel speed-up measures the sweep, not
HiGHS's own threading; the tiny scenario's node limit makes each solve deterministic.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from wzmodel.data import example_path
from wzmodel.scenario import load_scenario
from wzmodel.sweep import DaskExecutor, ProcessExecutor, SequentialExecutor, run_sweep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=20, help="samples per lever setting")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    scenario = load_scenario(Path(example_path("tiny")) / "scenarios" / "uncertainty.toml",
                             solver={"threads": 1})
    executors = {
        "sequential": SequentialExecutor(),
        f"{args.workers} processes": ProcessExecutor(args.workers),
        f"dask LocalCluster ({args.workers} workers)": DaskExecutor(workers=args.workers),
    }
    seconds: dict[str, float] = {}
    results: dict[str, pd.DataFrame] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, executor) in enumerate(executors.items()):
            start = time.perf_counter()
            sweep = run_sweep(scenario, Path(tmp) / str(i), samples=args.samples, mode="replan",
                              executor=executor, progress=False)
            seconds[label] = time.perf_counter() - start
            results[label] = sweep.results
            statuses = sweep.results["status"].value_counts().to_dict()
            print(f"{label:<32} {len(sweep.results)} experiments in {seconds[label]:7.1f} s "
                  f"({statuses})", flush=True)
    reference_label, reference = next(iter(results.items()))
    identical = True
    for label, frame in results.items():
        if frame.equals(reference):
            continue
        identical = False
        for column in reference.columns:
            if not frame[column].equals(reference[column]):
                diff = (pd.to_numeric(frame[column], errors="coerce")
                        - pd.to_numeric(reference[column], errors="coerce")).abs()
                rows = frame.index[~(frame[column] == reference[column])
                                   & ~(frame[column].isna() & reference[column].isna())]
                print(f"DIFFERENT: {label} vs {reference_label}, column {column}, experiments "
                      f"{list(frame.loc[rows, 'experiment_id'])}, max |difference| "
                      f"{diff.max():.3g}")
    print(f"identical results: {'yes' if identical else 'NO'}")
    sequential = seconds["sequential"]
    for label, value in seconds.items():
        print(f"speed-up of {label} over sequential: {sequential / value:.2f}x")
    if not identical:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
