"""``wzmodel sweep SCENARIO --out DIR``: explore the scenario's declared uncertainty."""

from __future__ import annotations

import argparse

from wzmodel import sweep
from wzmodel.cli.arguments import positive_whole_number
from wzmodel.cli.codes import EXIT_OK
from wzmodel.io import claim_output
from wzmodel.scenario import load_scenario


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``sweep`` to the CLI's subcommands."""
    p = subparsers.add_parser("sweep", help="explore the scenario's declared uncertainty")
    p.add_argument("scenario", help="scenario TOML with an [uncertainty] table")
    p.add_argument("--samples", type=positive_whole_number,
                   help="parameter samples (default: uncertainty.samples)")
    p.add_argument("--out", required=True, help="results folder (re-run to resume)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=positive_whole_number,
                       help="local processes (default: all cores; 1 = sequential)")
    where.add_argument("--scheduler", help="dask.distributed scheduler address, or 'local' for "
                       "a local cluster on all cores")
    p.add_argument("--mode", choices=["recheck", "replan"], default="recheck",
                   help="re-check a fixed plan per lever setting (fast) or re-plan every "
                   "experiment")
    p.add_argument("--reference", choices=["optimised", "rule_of_thumb"], default="optimised",
                   help="recheck: the fixed plan of each lever setting")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run (or resume) the sweep; print the probability of meeting each target per lever
    setting."""
    scenario = load_scenario(args.scenario)
    claim_output(args.out, "sweep", inputs=[args.scenario, scenario.data])
    result = sweep.run_sweep(scenario, args.out, samples=args.samples, mode=args.mode,
                             executor=sweep.make_executor(args.workers, args.scheduler),
                             reference=args.reference, progress=not args.no_progress)
    print(result.summary())
    return EXIT_OK
