"""``wzmodel assess DATA_DIR``: the baseline — gaps and costs of every community."""

from __future__ import annotations

import argparse
import logging

from wzmodel import assess
from wzmodel.cli.codes import EXIT_OK
from wzmodel.data import load_dataset
from wzmodel.io import claim_output
from wzmodel.standards import load_standards

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``assess`` to the CLI's subcommands."""
    p = subparsers.add_parser("assess", help="baseline: gaps and costs of every community")
    p.add_argument("data_dir")
    p.add_argument("--out", help="folder for CSV and Excel results")
    p.add_argument("--no-excel", action="store_true")
    p.add_argument("--basic", help="basic standards TOML (default: Shanghai)")
    p.add_argument("--featured", help="featured standards TOML (default: Shanghai)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Assess the data folder, print the summary, write the tables to ``--out``."""
    if args.out:
        claim_output(args.out, "assess", inputs=[args.data_dir])
    standards = load_standards(args.basic, args.featured)
    log.info("reading the data folder %s", args.data_dir)
    dataset = load_dataset(args.data_dir, indicators=standards.indicators())
    log.info("assessing %s communities", f"{len(dataset.communities):,}")
    assessment = assess.assess(dataset, standards)
    print(assessment.summary(args.data_dir))
    if args.out:
        log.info("writing %s", args.out)
        assessment.write(args.out, excel=not args.no_excel)
        print(f"\nWritten to {args.out}")
    return EXIT_OK
