"""Exit codes of the ``wzmodel`` command (documented in :mod:`wzmodel.cli`)."""

from __future__ import annotations

__all__ = ["EXIT_BUG", "EXIT_INFEASIBLE", "EXIT_INPUT", "EXIT_INTERRUPTED", "EXIT_OK",
           "EXIT_SOLVER", "EXIT_VIOLATION"]

EXIT_OK, EXIT_VIOLATION, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_SOLVER, EXIT_BUG = 0, 1, 2, 3, 4, 5
EXIT_INTERRUPTED = 130  # the shell's convention for Ctrl-C
