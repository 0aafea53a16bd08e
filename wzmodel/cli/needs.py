"""``wzmodel needs SCENARIO``: what must be true for the scenario's targets to be met — the least
money by source and year, and how it moves with the assumed already-basic share
(:mod:`wzmodel.planner.needs`)."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from wzmodel.cli.arguments import non_negative_number, positive_number, share
from wzmodel.cli.codes import EXIT_INFEASIBLE, EXIT_OK, EXIT_SOLVER
from wzmodel.io import claim_output
from wzmodel.planner.needs import needs
from wzmodel.scenario import load_scenario

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``needs SCENARIO [--basic-share S ...] [--out DIR]``."""
    p = subparsers.add_parser(
        "needs", help="what must be true: the least money by source and year that meets the "
                      "targets, and how it moves with the assumed already-basic share")
    p.add_argument("scenario")
    p.add_argument("--basic-share", type=share, nargs="+", metavar="S",
                   help="already-basic shares to try (0–1) besides the data's own; default: the "
                        "data's ± 0.10")
    p.add_argument("--out", metavar="DIR", help="folder for needs.csv, needs_summary.csv, needs.md")
    p.add_argument("--time-limit", type=positive_number, help="solver time limit per share, seconds")
    p.add_argument("--gap", type=non_negative_number, help="relative MIP gap")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Find the least money at each share, print it, write ``--out``. Exit 3 when no amount of
    money meets the targets at the data's share, 4 when no answer came within the limits."""
    solver: dict[str, Any] = {k: v for k, v in (("time_limit", args.time_limit), ("gap", args.gap))
                              if v is not None}
    scenario = load_scenario(args.scenario, **({"solver": solver} if solver else {}))
    if args.out:
        claim_output(args.out, "needs", inputs=[args.scenario, scenario.data])
    result = needs(scenario, args.basic_share)
    print(result.text())
    own = result.own
    if own["status"] == "infeasible":
        return EXIT_INFEASIBLE
    if own["status"] not in ("optimal", "feasible"):
        return EXIT_SOLVER
    if args.out:
        log.info("writing %s", args.out)
        result.write(args.out)
        print(f"\nWritten to {args.out}")
    return EXIT_OK
