"""``wzmodel validate DATA`` (check a data folder or workbook against the input contract),
``wzmodel template OUT.xlsx`` (an empty data workbook generated from the contract), ``wzmodel
schema`` (the contract as Markdown) and ``wzmodel scenario-keys`` (every scenario key as
Markdown)."""

from __future__ import annotations

import argparse
from pathlib import Path

from wzmodel.cli.codes import EXIT_OK
from wzmodel.data import load_dataset
from wzmodel.io import atomic_write_text
from wzmodel.reach import type_problems
from wzmodel.scenario.keys import render_keys
from wzmodel.schema import InputError, Problem, render_markdown
from wzmodel.standards import load_standards
from wzmodel.template import write_template


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``validate``, ``template``, ``schema`` and ``scenario-keys`` to the CLI's
    subcommands."""
    p = subparsers.add_parser("validate", help="validate a data folder or data workbook (.xlsx) "
                              "against the input contract")
    p.add_argument("data_dir", metavar="DATA", help="data folder or data workbook (.xlsx)")
    p.set_defaults(func=run_validate)

    p = subparsers.add_parser("template", help="write a data-collection workbook (one sheet per "
                              "table, descriptions, drop-downs, an example row) to fill in")
    p.add_argument("out", metavar="OUT.xlsx")
    p.add_argument("--force", action="store_true",
                   help="replace an existing file even if it is not this template")
    p.set_defaults(func=run_template)

    p = subparsers.add_parser("schema", help="print the input contract as Markdown")
    p.add_argument("--out")
    p.set_defaults(func=run_schema)

    p = subparsers.add_parser("scenario-keys",
                              help="print every key a scenario file accepts, as Markdown")
    p.add_argument("--out", help="write it to this Markdown file instead")
    p.set_defaults(func=run_scenario_keys)


def run_validate(args: argparse.Namespace) -> int:
    """Load the data folder (every problem raised together) and print what it holds."""
    standards = load_standards()
    dataset = load_dataset(args.data_dir, indicators=standards.indicators())
    problems = type_problems(dataset.facilities, standards, "facilities")  # known to the criteria
    if problems:
        raise InputError(problems, str(args.data_dir))
    print(
        f"{args.data_dir}: valid ({len(dataset.communities):,} communities, "
        f"{len(dataset.streets)} streets, {len(dataset.sites)} sites, "
        f"{len(dataset.sources)} sources)"
    )
    return EXIT_OK


def run_template(args: argparse.Namespace) -> int:
    """Write the data workbook template to ``args.out``."""
    path = write_template(args.out, force=args.force)
    print(f"Written to {args.out}: fill its sheets, then `wzmodel validate {path.name}`")
    return EXIT_OK


def run_schema(args: argparse.Namespace) -> int:
    """Print the input contract, or write it to the file ``--out``."""
    return _page(render_markdown() + "\n", args.out)


def run_scenario_keys(args: argparse.Namespace) -> int:
    """Print the scenario keys' reference page, or write it to the file ``--out``."""
    return _page(render_keys(), args.out)


def _page(text: str, out: str | None) -> int:
    if out:
        if Path(out).is_dir():
            raise InputError([Problem(f"--out {out}", "a Markdown file to write", None, None,
                                      "an existing folder")])
        atomic_write_text(out, text)
    else:
        print(text, end="")
    return EXIT_OK
