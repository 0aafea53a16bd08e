"""The ``wzmodel`` command line: the same runs as the notebooks, without Jupyter.

Exit codes
----------
0  success
1  ``check``: the plan violates something (each violation printed)
2  bad input: every problem printed, nothing written
3  ``plan``: the hard targets cannot be met — the diagnosis (extra budget, shortfall) printed
4  the solver found no solution within its limits, or failed
5  internal error (a bug: run with --debug and report it)
130 interrupted (Ctrl-C): no output folder is left half-written

``--out`` never replaces anything but a previous output of the same command: a file, the input
folder or a folder holding other files is refused (exit 2) before any work starts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from wzmodel.schema import InputError, Problem
from wzmodel.solver import solver_names

EXIT_OK, EXIT_VIOLATION, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_SOLVER, EXIT_BUG = 0, 1, 2, 3, 4, 5
EXIT_INTERRUPTED = 130  # the shell's convention for Ctrl-C


def _million(yuan: float) -> str:
    return f"{yuan / 1e6:,.1f} M yuan"


# --------------------------------------------------------------------------------------------
def cmd_assess(args: argparse.Namespace) -> int:
    from wzmodel.assess import assess
    from wzmodel.data import load_dataset
    from wzmodel.io import DATA_NOTE, atomic_folder, claim_output, write_csv, write_excel
    from wzmodel.standards import load_standards

    if args.out:
        claim_output(args.out, "assess", inputs=[args.data_dir])
    standards = load_standards(args.basic, args.featured)
    dataset = load_dataset(args.data_dir, indicators=standards.indicators())
    a = assess(dataset, standards)
    totals = a.totals()
    c = a.communities
    print(f"Baseline assessment of {args.data_dir}")
    print(
        f"  {totals['communities']:,} communities ({(c['kind'] == 'residents').sum():,} residents'"
        f", {(c['kind'] == 'villagers').sum():,} villagers' committees) in "
        f"{c['street_code'].nunique()} streets, {c['district'].nunique()} districts and "
        f"{c['zone'].nunique()} zones"
    )
    print(
        f"  already basic: {totals['basic']:,} ({totals['basic'] / totals['communities']:.1%}); "
        f"already featured: {totals['featured']:,} "
        f"({totals['featured'] / totals['communities']:.1%})"
    )
    print()
    table = a.by_zone.copy()
    shown = pd.DataFrame(
        {
            "zone": table["zone"],
            "communities": table["communities"].astype(int),
            "basic %": (100 * table["basic_share"]).round(1),
            "featured %": (100 * table["featured_share"]).round(1),
            "to basic, M yuan": (table["basic_capital_yuan"] / 1e6).round(1),
            "basic→featured, M yuan": (table["featured_capital_yuan"] / 1e6).round(1),
        }
    )
    print(shown.to_string(index=False))
    print()
    print("Capital cost to close all gaps:")
    print(
        f"  basic class (every community to basic):            {_million(totals['basic_capital_yuan'])}"
    )
    print(
        f"  featured class (featured criteria, on top of basic): "
        f"{_million(totals['featured_capital_yuan'])}"
    )
    print(
        f"  featured class in total (basic + featured gaps):    "
        f"{_million(totals['basic_capital_yuan'] + totals['featured_capital_yuan'])}"
    )
    print(
        f"  yearly running cost once all gaps are closed:       "
        f"{_million(totals['basic_running_yuan_per_year'] + totals['featured_running_yuan_per_year'])}"
        " per year"
    )
    print()
    print(DATA_NOTE)
    if args.out:
        sheets = {
            "communities": a.communities,
            "gaps": a.gaps,
            "by_zone": a.by_zone,
            "by_district": a.by_district,
        }
        with atomic_folder(args.out, "assess") as tmp:
            for name, frame in sheets.items():
                write_csv(frame, tmp / f"{name}.csv")
            if not args.no_excel:
                write_excel(
                    sheets,
                    tmp / "assessment.xlsx",
                    note=DATA_NOTE,
                    units={"capital_yuan": "yuan", "running_yuan_per_year": "yuan/year"},
                )
        print(f"\nWritten to {args.out}")
    return EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    from wzmodel.io import claim_output
    from wzmodel.planner import make_plan
    from wzmodel.scenario import load_scenario

    overrides: dict = {}
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
    plan = make_plan(scenario)
    print(plan.summary())
    status = plan.outcome.status
    if status == "infeasible":
        return EXIT_INFEASIBLE
    if status not in ("optimal", "feasible"):
        return EXIT_SOLVER
    if args.out:
        plan.write(args.out, excel=not args.no_excel)
        print(f"\nWritten to {args.out}")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from wzmodel.planner.check import check_plan

    issues = check_plan(args.plan_dir, data=args.data)
    if issues:
        print(f"The plan in {args.plan_dir} does NOT hold ({len(issues)} violations):")
        for issue in issues:
            print(f"  - {issue}")
        return EXIT_VIOLATION
    print(
        f"The plan in {args.plan_dir} holds: schedule, funding, sharing bounds, budgets, "
        "running costs, coverage and targets re-verified from the files and the data."
    )
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from wzmodel.data import load_dataset
    from wzmodel.standards import load_standards

    dataset = load_dataset(args.data_dir, indicators=load_standards().indicators())
    print(
        f"{args.data_dir}: valid ({len(dataset.communities):,} communities, "
        f"{len(dataset.streets)} streets, {len(dataset.sites)} sites, "
        f"{len(dataset.sources)} sources)"
    )
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from wzmodel.io import atomic_write_text
    from wzmodel.schema import render_markdown

    text = render_markdown()
    if args.out:
        if Path(args.out).is_dir():
            raise InputError([Problem(f"--out {args.out}", "a Markdown file to write", None, None,
                                      "an existing folder")])
        atomic_write_text(args.out, text + "\n")
    else:
        print(text)
    return EXIT_OK


# --------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wzmodel",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("assess", help="baseline: gaps and costs of every community")
    p.add_argument("data_dir")
    p.add_argument("--out", help="folder for CSV and Excel results")
    p.add_argument("--no-excel", action="store_true")
    p.add_argument("--basic", help="basic standards TOML (default: Shanghai)")
    p.add_argument("--featured", help="featured standards TOML (default: Shanghai)")
    p.set_defaults(func=cmd_assess)

    p = sub.add_parser("plan", help="optimise the upgrade plan of a scenario")
    p.add_argument("scenario")
    p.add_argument("--out", help="folder for the plan's tables, workbook and report")
    p.add_argument("--time-limit", type=float, help="solver time limit, seconds")
    p.add_argument("--gap", type=float, help="relative MIP gap")
    p.add_argument("--solver", choices=solver_names())
    p.add_argument("--no-excel", action="store_true")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("check", help="re-verify a written plan from its files and the data")
    p.add_argument("plan_dir")
    p.add_argument("--data", help="data folder, if it moved since the plan was written")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("validate", help="validate a data folder against the input contract")
    p.add_argument("data_dir")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("schema", help="print the input contract as Markdown")
    p.add_argument("--out")
    p.set_defaults(func=cmd_schema)

    # the capability modules register their own commands (site, compare, sweep)
    from wzmodel import finance, siting, sweep

    for module in (siting, finance, sweep):
        module.add_cli(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        print(f"wzmodel {args.command}: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print(f"wzmodel {args.command}: interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"wzmodel {args.command}: internal error: {type(exc).__name__}: {exc}\n"
            "(run with --debug for the traceback and please report it)",
            file=sys.stderr,
        )
        return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())
