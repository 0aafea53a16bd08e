"""Writing results: safely (a user's files are never replaced), atomically and readably.

Output folders are claimed, not taken: every folder wzmodel writes carries a small marker file
(:data:`OUTPUT_MARKER`) naming the command that wrote it, and a folder is only ever replaced when
it is empty, absent, or carries the marker of the same command. A file, the input folder or a
folder holding anything else is refused with an :class:`~wzmodel.schema.InputError` (CLI exit 2)
before any work starts — :func:`claim_output` checks that up front, :func:`atomic_folder` checks
it again just before the swap.

:func:`atomic_folder` yields a temporary sibling folder; only when the block finishes does it
replace the target folder in one rename. Temporary folders left by a killed run are removed by
the next run. :func:`write_excel` writes one sheet per table with units in the headers, frozen
header rows and sensible column widths.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from wzmodel.schema import InputError, Problem

__all__ = ["DATA_NOTE", "OUTPUT_MARKER", "atomic_folder", "atomic_write_text", "claim_output",
           "mark_output", "write_csv", "write_excel"]

DATA_NOTE = (
    "Data note: the bundled Shanghai data is calibrated but partly synthetic — committee names, "
    "codes, streets, districts and district population totals are real; households per "
    "committee, coordinates, indicators, sites, budgets and sharing splits are synthetic or "
    "assumed (see data/README.md). Unit costs marked assumed are working defaults to replace."
)

OUTPUT_MARKER = ".wzmodel-output.json"
"""Marker file in every output folder: ``{"command": ...}`` — what may later replace it."""


def claim_output(target: str | Path, command: str, *, inputs: Iterable[str | Path] = ()) -> Path:
    """Check, before any work, that ``command`` may write the folder ``target``.

    Allowed: a folder that does not exist yet (its parent must be writable), an empty folder, or a
    folder that ``command`` wrote before (it carries :data:`OUTPUT_MARKER`). Refused, with every
    reason named: a file; one of ``inputs`` or a folder containing one; a folder holding files
    wzmodel did not write, or the output of another command; a folder that cannot be written.

    Returns the resolved path. Raises :class:`~wzmodel.schema.InputError`.
    """
    path = Path(target).expanduser()
    resolved = path.resolve()
    where = f"--out {path}"
    problems: list[Problem] = []
    for item in inputs:
        source = Path(item).expanduser().resolve()
        if resolved == source or resolved in source.parents:
            problems.append(Problem(where, "a folder apart from the inputs (results would "
                                    "replace them)", None, None, f"input {item}"))
    if resolved.exists() and not resolved.is_dir():
        problems.append(Problem(where, "a folder (new, empty, or written by "
                                f"`wzmodel {command}` before)", None, None, "an existing file"))
    elif resolved.is_dir():
        foreign = _foreign_content(resolved, command)
        if foreign:
            problems.append(Problem(where, "a new or empty folder, or one written by "
                                    f"`wzmodel {command}` before", None, None, foreign))
    if not problems:
        parent = _existing_ancestor(resolved if resolved.is_dir() else resolved.parent)
        if not os.access(parent, os.W_OK | os.X_OK):
            problems.append(Problem(where, "a folder that can be written", None, None,
                                    f"{parent} is not writable"))
    if problems:
        raise InputError(problems)
    return resolved


def _foreign_content(folder: Path, command: str) -> str | None:
    """Why ``folder`` is not ``command``'s to replace, or None when it is (empty or marked)."""
    entries = sorted(p.name for p in folder.iterdir())
    if not entries:
        return None
    marker = folder / OUTPUT_MARKER
    if not marker.is_file():
        shown = ", ".join(entries[:5]) + (f" and {len(entries) - 5} more" if len(entries) > 5
                                          else "")
        return f"a folder wzmodel did not write (holds {shown})"
    try:
        owner = json.loads(marker.read_text(encoding="utf-8")).get("command")
    except (ValueError, UnicodeDecodeError, AttributeError):
        owner = None
    if owner != command:
        return f"the output of `wzmodel {owner}`" if owner else f"a damaged {OUTPUT_MARKER}"
    return None


def mark_output(folder: Path, command: str) -> None:
    """Write the marker saying ``folder`` is ``command``'s output (which it may later replace)."""
    atomic_write_text(folder / OUTPUT_MARKER, json.dumps({"command": command}) + "\n")


def _existing_ancestor(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


@contextmanager
def atomic_folder(target: str | Path, command: str) -> Iterator[Path]:
    """Yield a fresh temporary folder that replaces ``target`` when the block succeeds.

    ``target`` must be claimable by ``command`` (see :func:`claim_output`); the yielded folder
    already holds the marker. On any error, or Ctrl-C, the temporary folder is removed and
    ``target`` is left as it was.
    """
    target = claim_output(target, command)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=target.parent))
    try:
        mark_output(tmp, command)
        yield tmp
        claim_output(target, command)  # nothing else has taken the folder meanwhile
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        os.replace(target, old)
    os.replace(tmp, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _remove_stale_temporaries(target: Path) -> None:
    """Remove ``.NAME.tmp-PID-*`` / ``.NAME.old-PID`` folders whose process no longer runs."""
    for prefix in (f".{target.name}.tmp-", f".{target.name}.old-"):
        for leftover in target.parent.glob(prefix + "*"):
            pid = leftover.name[len(prefix):].split("-")[0]
            if leftover.is_dir() and pid.isdigit() and not _running(int(pid)):
                shutil.rmtree(leftover, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write a text file through a temporary sibling and one rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """CSV with a stable float format, so that identical results give identical files."""
    frame.to_csv(path, index=False, float_format="%.6f", lineterminator="\n")
def write_excel(
    sheets: dict[str, pd.DataFrame],
    path: Path,
    *,
    units: dict[str, str] | None = None,
    totals: set[str] | None = None,
    note: str | None = None,
) -> None:
    """One sheet per table; ``units`` maps column names to units shown in the header
    (``yuan`` → ``yuan [yuan]``); sheets named in ``totals`` get a totals row."""
    from openpyxl.utils import get_column_letter

    units = units or {}
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            out = frame.copy()
            if totals and name in totals and not out.empty:
                numeric = out.select_dtypes("number").columns
                row = {c: out[c].sum() for c in numeric if c != "year"}
                row[out.columns[0]] = "total"
                out = pd.concat([out, pd.DataFrame([row])], ignore_index=True)
            out.columns = [f"{c} [{units[c]}]" if c in units else c for c in out.columns]
            out.to_excel(writer, sheet_name=name[:31], index=False)
            sheet = writer.sheets[name[:31]]
            sheet.freeze_panes = "A2"
            for j, column in enumerate(out.columns, start=1):
                width = max([len(str(column))] + [len(str(v)) for v in out.iloc[:200, j - 1]])
                sheet.column_dimensions[get_column_letter(j)].width = min(60, width + 2)
        if note:
            pd.DataFrame({"note": [note]}).to_excel(writer, sheet_name="about", index=False)
            writer.sheets["about"].column_dimensions["A"].width = 120
