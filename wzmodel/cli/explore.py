"""``wzmodel explore [SCENARIO]``: serve the explorer page (see :mod:`wzmodel.explore`)."""

from __future__ import annotations

import argparse

from wzmodel.cli.arguments import positive_number, positive_whole_number
from wzmodel.schema import InputError, Problem


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``explore [SCENARIO] [--port N] [--host H] [--token T] [--no-browser]``."""
    p = subparsers.add_parser(
        "explore", help="serve the explorer page: move budgets, costs, targets and shares, re-plan")
    p.add_argument("scenario", nargs="?",
                   help="scenario file or bundled label (default: Shanghai: district_huangpu)")
    p.add_argument("--port", type=positive_whole_number, default=8765)
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (anything but 127.0.0.1/localhost needs a token)")
    p.add_argument("--token", help="token visitors must give (?token=...); made up when --host "
                   "is not local and none is given")
    p.add_argument("--time-limit", type=positive_number,
                   help="solver time limit of every plan, seconds (default: the scenario's); "
                   "a node limit of the scenario is then dropped, so the limit holds")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        from wzmodel.explore.server import serve
    except ImportError as exc:  # panel is in the explore extra
        raise InputError([Problem("wzmodel explore", "Panel installed: pip install "
                                  f"'wzmodel[explore]' ({exc})")]) from None
    # a node limit turns the clock off (runs meant to be machine-independent): the page's
    # visitor waits on the clock, so --time-limit replaces it
    solver = {"time_limit": args.time_limit, "node_limit": None} if args.time_limit else None
    return serve(args.scenario, port=int(args.port), host=args.host, token=args.token,
                 show=not args.no_browser, solver=solver)
