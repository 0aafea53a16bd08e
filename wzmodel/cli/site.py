"""``wzmodel site DATA_DIR``: site service complexes (人民坊) on candidate sites."""

from __future__ import annotations

import argparse
import logging

from wzmodel import siting
from wzmodel.cli.arguments import non_negative_number, positive_number, positive_whole_number
from wzmodel.cli.codes import EXIT_OK, EXIT_SOLVER
from wzmodel.data import data_note, load_dataset
from wzmodel.io import claim_output
from wzmodel.scenario import SitingConfig
from wzmodel.schema import InputError, Problem
from wzmodel.solver import SolverOptions
from wzmodel.standards import load_standards

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``site DATA_DIR [--out DIR] [--budget YUAN] [--distances CSV] [--unmet-penalty P] ...``."""
    p = subparsers.add_parser("site", help="site service complexes (人民坊) on candidate sites")
    p.add_argument("data_dir")
    p.add_argument("--out", help="folder for the siting tables (CSV) and map (PNG)")
    p.add_argument("--budget", type=non_negative_number, help="total budget, yuan (capital + running)")
    p.add_argument("--distances", help="CSV: community_id, site_id (or facility_id), distance_m")
    p.add_argument("--objective", choices=["min_cost", "max_households"], default="min_cost")
    p.add_argument("--max-sites", type=positive_whole_number, help="at most this many new sites (p)")
    p.add_argument("--unmet-penalty", type=non_negative_number, metavar="YUAN_PER_M2",
                   help="price of a m² left unmet (default: what building it on site costs, "
                        "from the standards; a high price puts coverage first)")
    p.add_argument("--time-limit", type=positive_number, default=120.0, help="solver time limit, seconds")
    p.add_argument("--gap", type=non_negative_number, default=1e-4, help="relative MIP gap")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Site the complexes of ``args.data_dir``, print a summary, write the results atomically.

    Returns ``EXIT_OK``, or ``EXIT_SOLVER`` when the solver found no solution. Bad inputs raise
    :class:`~wzmodel.schema.InputError` (:func:`wzmodel.cli.main` prints it and exits 2).
    """
    if args.objective == "max_households" and args.budget is None:
        raise InputError([Problem("command line", "a --budget for --objective max_households",
                                  None, "--budget")])
    if args.out:
        claim_output(args.out, "site", inputs=[args.data_dir, *([args.distances] if args.distances else [])])
    dataset = load_dataset(args.data_dir, indicators=load_standards().indicators())
    config = SitingConfig(objective=args.objective, max_new_sites=args.max_sites,
                          unmet_penalty_yuan_per_m2=args.unmet_penalty)
    options = SolverOptions(time_limit=args.time_limit, gap=args.gap)
    plan = siting.site_complexes(dataset, config, budget_yuan=args.budget, solver=options,
                                 distances=args.distances)
    print(plan.summary())
    print()
    print(data_note(args.data_dir))
    if not plan.outcome.has_solution:
        return EXIT_SOLVER
    if args.out:
        log.info("writing %s", args.out)
        plan.write(args.out)
        print(f"\nWritten to {args.out}")
    return EXIT_OK
