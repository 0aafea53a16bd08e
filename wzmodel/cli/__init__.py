"""The ``wzmodel`` command line: the same runs as the notebooks, without Jupyter.

Exit codes
----------
0  success
1  ``check``: the plan violates something (each violation printed)
2  bad input: every problem printed, nothing written
3  ``plan``, ``replan``: the hard targets cannot be met — the diagnosis (extra budget, shortfall) printed
4  the solver found no solution within its limits, or failed
5  internal error (a bug: run with --debug and report it)
130 interrupted (Ctrl-C): no output folder is left half-written

``--out`` never replaces anything but a previous output of the same command: a file, the input
folder or a folder holding other files is refused (exit 2) before any work starts.

Progress goes to stderr (which stage a run is in, the solver's incumbent and bound); the result
goes to stdout. -q/--quiet keeps only warnings, -v/--verbose adds details, --solver-log adds the
solver's own log, --debug shows tracebacks — before or after the command's name.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from importlib import metadata

from wzmodel.cli import assess, compare, data, explore, needs, plan, replan, site, sweep
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
from wzmodel.solver.highs import SOLVER_LOG

__all__ = ["EXIT_BUG", "EXIT_INFEASIBLE", "EXIT_INPUT", "EXIT_INTERRUPTED", "EXIT_OK",
           "EXIT_SOLVER", "EXIT_VIOLATION", "build_parser", "main"]

#: One module per command family, each with ``register(subparsers)`` and its ``run`` functions;
#: the commands appear in ``--help`` in this order.
COMMANDS = (assess, plan, replan, needs, data, site, compare, sweep, explore)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wzmodel",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    _add_common(parser, argparse.ArgumentParser)
    parser.add_argument("--version", action="version",
                        version=f"wzmodel {metadata.version('wzmodel')}")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMANDS:
        module.register(sub)
    for command in sub.choices.values():
        # the same switches after the command's name; SUPPRESS: absent there, the value given
        # before the name (or the default) stands
        _add_common(command, None)
    return parser


def _add_common(parser: argparse.ArgumentParser, defaults) -> None:
    """-q, -v, --solver-log and --debug; ``defaults`` None: leave them unset when absent."""
    unset = argparse.SUPPRESS

    def default(value):
        return value if defaults is not None else unset

    loud = parser.add_mutually_exclusive_group()
    loud.add_argument("-q", "--quiet", action="store_true", default=default(False),
                      help="no progress messages on stderr (warnings and errors only)")
    loud.add_argument("-v", "--verbose", action="store_true", default=default(False),
                      help="more detailed progress messages")
    parser.add_argument("--solver-log", action="store_true", default=default(False),
                        help="show the solver's own log on stderr")
    parser.add_argument("--debug", action="store_true", default=default(False),
                        help="show tracebacks of internal errors")


class _Elapsed(logging.Formatter):
    """``wzmodel [  12.3 s] message``: seconds since the command started."""

    def __init__(self) -> None:
        super().__init__()
        self.start = time.monotonic()

    def format(self, record: logging.LogRecord) -> str:
        return f"wzmodel [{time.monotonic() - self.start:6.1f} s] {record.getMessage()}"


class _Stderr(logging.StreamHandler):
    """A handler writing to whatever ``sys.stderr`` is when a message comes."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _logging(args: argparse.Namespace) -> tuple[logging.Handler, int, int]:
    """Install the command's one handler; return it and the levels to restore."""
    handler = _Stderr()
    handler.setFormatter(_Elapsed())
    logger = logging.getLogger("wzmodel")
    saved = (logger.level, SOLVER_LOG.level)
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING if args.quiet else logging.DEBUG if args.verbose
                    else logging.INFO)
    SOLVER_LOG.setLevel(logging.INFO if args.solver_log else logging.WARNING)
    return handler, *saved


class _ClosedPipeSafe:
    """The process's stdout, which goes quiet instead of failing once a reader such as ``head``
    has closed the pipe: the command still finishes its work and writes ``--out``."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def _quiet(self) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self._stream.fileno())  # the buffered rest goes nowhere, at exit too
        os.close(devnull)

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._quiet()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._quiet()

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler, level, solver_level = _logging(args)
    stdout = sys.stdout
    if stdout is sys.__stdout__ and stdout is not None:
        sys.stdout = _ClosedPipeSafe(stdout)
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
    finally:
        sys.stdout = stdout
        logger = logging.getLogger("wzmodel")
        logger.removeHandler(handler)
        logger.setLevel(level)
        SOLVER_LOG.setLevel(solver_level)
