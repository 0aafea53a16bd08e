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
from importlib import metadata

from wzmodel.cli import assess, compare, data, explore, plan, site, sweep
from wzmodel.cli.codes import (
    EXIT_BUG,
    EXIT_INFEASIBLE,
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SOLVER,
    EXIT_VIOLATION,
)
from wzmodel.schema import InputError

__all__ = ["EXIT_BUG", "EXIT_INFEASIBLE", "EXIT_INPUT", "EXIT_INTERRUPTED", "EXIT_OK",
           "EXIT_SOLVER", "EXIT_VIOLATION", "build_parser", "main"]

#: One module per command family, each with ``register(subparsers)`` and its ``run`` functions;
#: the commands appear in ``--help`` in this order.
COMMANDS = (assess, plan, data, site, compare, sweep, explore)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wzmodel",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    parser.add_argument("--version", action="version",
                        version=f"wzmodel {metadata.version('wzmodel')}")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMANDS:
        module.register(sub)
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
