"""``wzmodel plan SCENARIO`` (optimise a scenario's upgrade plan) and ``wzmodel check PLAN_DIR``
(re-verify a written plan)."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from wzmodel import planner
from wzmodel.cli.arguments import non_negative_number, positive_number
from wzmodel.cli.codes import EXIT_INFEASIBLE, EXIT_OK, EXIT_SOLVER, EXIT_VIOLATION
from wzmodel.io import claim_output
from wzmodel.planner.check import check_plan
from wzmodel.scenario import load_scenario
from wzmodel.solver import solver_names

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``plan`` and ``check`` to the CLI's subcommands."""
    p = subparsers.add_parser("plan", help="optimise the upgrade plan of a scenario")
    p.add_argument("scenario")
    p.add_argument("--out", help="folder for the plan's tables, workbook and report")
    p.add_argument("--time-limit", type=positive_number, help="solver time limit, seconds")
    p.add_argument("--gap", type=non_negative_number, help="relative MIP gap")
    p.add_argument("--solver", choices=solver_names())
    p.add_argument("--no-excel", action="store_true")
    p.set_defaults(func=run)

    p = subparsers.add_parser("check", help="re-verify a written plan from its files and the data")
    p.add_argument("plan_dir")
    p.add_argument("--data", help="data folder, if it moved since the plan was written")
    p.set_defaults(func=run_check)


def run(args: argparse.Namespace) -> int:
    """Plan the scenario (solver flags override its ``[solver]``), print the summary, write the
    plan to ``--out`` if the solver found one."""
    overrides: dict[str, Any] = {}
    solver = {
        k: v
        for k, v in (("time_limit", args.time_limit), ("gap", args.gap), ("name", args.solver))
        if v is not None
    }
    if solver:
        overrides["solver"] = solver
    scenario = load_scenario(args.scenario, **overrides)
    if args.out:
        claim_output(args.out, "plan", inputs=[args.scenario, scenario.data])
    plan = planner.make_plan(scenario)
    print(plan.summary())
    status = plan.outcome.status
    if status == "infeasible":
        return EXIT_INFEASIBLE
    if status not in ("optimal", "feasible"):
        return EXIT_SOLVER
    if args.out:
        log.info("writing %s", args.out)
        plan.write(args.out, excel=not args.no_excel)
        print(f"\nWritten to {args.out}")
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    """Re-verify the plan folder; print every violation (exit 1) or that it holds."""
    issues = check_plan(args.plan_dir, data=args.data)
    if issues:
        print(f"The plan in {args.plan_dir} does NOT hold ({len(issues)} violations):")
        for issue in issues:
            print(f"  - {issue}")
        return EXIT_VIOLATION
    print(
        f"The plan in {args.plan_dir} holds: schedule, featured areas and grids, funding, "
        "sharing bounds and links, budgets, running costs, coverage and targets re-verified "
        "from the files and the data."
    )
    return EXIT_OK
