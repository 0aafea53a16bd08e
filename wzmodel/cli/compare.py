"""``wzmodel compare SCENARIO.toml ...``: sharing options (scenarios) side by side."""

from __future__ import annotations

import argparse
import logging
import sys

from wzmodel import finance
from wzmodel.cli.codes import EXIT_OK
from wzmodel.data import Dataset
from wzmodel.io import claim_output
from wzmodel.scenario import load_scenario

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``compare SCENARIO.toml [SCENARIO.toml ...] --out DIR [--sharing-xlsx FILE]``."""
    p = subparsers.add_parser("compare", help="compare sharing options (scenarios) side by side")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO.toml")
    p.add_argument("--out", metavar="DIR", help="folder for the plans, workbook and figures")
    p.add_argument("--sharing-xlsx", metavar="FILE",
                   help="also compare a sharing option written in Excel (on the first scenario)")
    p.add_argument("--sheet", help="sheet of --sharing-xlsx (default: the first)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Plan each scenario, print the side-by-side table, write ``--out``."""
    scenarios = [load_scenario(path) for path in args.scenarios]
    if args.out:
        claim_output(args.out, "compare", inputs=[*args.scenarios, *(s.data for s in scenarios),
                                                  *([args.sharing_xlsx] if args.sharing_xlsx else [])])
    datasets: dict[str, Dataset] = {}
    if args.sharing_xlsx:
        scenario, dataset = finance.scenario_with_sharing_xlsx(scenarios[0], args.sharing_xlsx,
                                                               args.sheet)
        scenarios.append(scenario)
        datasets[scenario.name] = dataset
    comparison = finance.compare(scenarios, datasets=datasets,
                                 progress=not args.quiet and sys.stderr.isatty())
    print(comparison.text())
    if args.out:
        log.info("writing %s", args.out)
        comparison.write(args.out)
        print(f"\nWritten to {args.out}: comparison.xlsx, figures, one plan folder per solved "
              "option (check each with `wzmodel check`)")
    return EXIT_OK
