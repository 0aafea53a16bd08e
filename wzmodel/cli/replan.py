"""``wzmodel replan PLAN_DIR --progress PROGRESS --year Y --out DIR``: re-plan the years after Y
from what was actually started and spent (:mod:`wzmodel.planner.progress`)."""

from __future__ import annotations

import argparse
import logging

from wzmodel.cli.codes import EXIT_INFEASIBLE, EXIT_OK, EXIT_SOLVER
from wzmodel.io import claim_output
from wzmodel.planner.plan import Plan
from wzmodel.planner.progress import read_progress, replan

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``replan`` to the CLI's subcommands."""
    p = subparsers.add_parser("replan", help="re-plan the years after Y from the actual progress")
    p.add_argument("plan_dir", help="a plan folder written by `wzmodel plan` (or `replan`)")
    p.add_argument("--progress", required=True, metavar="PROGRESS",
                   help="folder with progress.csv and spent.csv, or an .xlsx workbook with the "
                        "sheets 'progress' and 'spent'")
    p.add_argument("--year", required=True, type=int, metavar="Y",
                   help="the last year the progress covers; the years after it are re-planned")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the new plan")
    p.add_argument("--no-excel", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Read the plan and the record (every problem at once), re-plan, print what changed and the
    new plan's summary, write ``--out``."""
    claim_output(args.out, "replan", inputs=[args.plan_dir, args.progress])
    previous = Plan.read(args.plan_dir)
    result = replan(previous, read_progress(args.progress), args.year)
    print(result.summary())
    status = result.plan.outcome.status
    if status == "infeasible":
        return EXIT_INFEASIBLE
    if status not in ("optimal", "feasible"):
        return EXIT_SOLVER
    log.info("writing %s", args.out)
    result.write(args.out, excel=not args.no_excel)
    print(f"\nWritten to {args.out} (changes.csv, money_changes.csv; check it with `wzmodel "
          "check`)")
    return EXIT_OK
