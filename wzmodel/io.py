"""Writing results: safely (a user's files are never replaced), atomically and readably.

Output folders are claimed, not taken: every folder wzmodel writes carries a small marker file
(:data:`OUTPUT_MARKER`) naming the command that wrote it, and a folder is only ever replaced when
it is empty, absent, or carries the marker of the same command. A file, the input folder or a
folder holding anything else is refused with an :class:`~wzmodel.schema.InputError` (CLI exit 2)
before any work starts — :func:`claim_output` checks that up front, :func:`atomic_folder` checks
it again just before the swap.

:func:`atomic_folder` yields a temporary sibling folder; only when the block finishes does it
replace the target folder in one rename. Temporary folders left by a killed run are removed by
the next run. :func:`write_excel` writes one sheet per table for people: units in the headers, number formats
(percent, thousands), bold frozen headers with autofilters, sensible column widths.
"""

from __future__ import annotations

import json
import numbers
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from wzmodel.schema import InputError, Problem

__all__ = ["NUMBER_FORMATS", "OUTPUT_MARKER", "atomic_folder", "atomic_write_bytes",
           "atomic_write_text", "claim_output", "mark_output", "number_format", "write_csv",
           "write_excel"]

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
    """Write a text file (UTF-8, ``\\n`` line ends) through a temporary sibling and one rename."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | Path, content: bytes) -> None:
    """Write a file through a temporary sibling and one rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.chmod(tmp, 0o666 & ~_umask())  # as a plain open() would (mkstemp makes it private)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """CSV with a stable float format, so that identical results give identical files."""
    frame.to_csv(path, index=False, float_format="%.6f", lineterminator="\n")


NUMBER_FORMATS: dict[str, str] = {
    "share": "0.0%",
    "%": '0.0" %"',
    "percentage points": '0.0" pp"',
    "yuan": "#,##0",
    "yuan/year": "#,##0",
    "million yuan": "#,##0.0",
    "yuan/resident": "#,##0.00",
    "persons": "#,##0",
    "households": "#,##0",
    "communities": "#,##0",
}
"""Excel number format of each unit: percent for shares, thousands separators for money and
counts. A unit starting with ``share`` (``share of communities``) is a share too."""


def number_format(unit: str | None) -> str | None:
    """The Excel number format of a unit (None: Excel's General)."""
    if unit is None:
        return None
    if unit.startswith("share") and " or " not in unit:
        return NUMBER_FORMATS["share"]
    return NUMBER_FORMATS.get(unit)


Block = tuple[str, pd.DataFrame]
"""A titled table; a sheet given as a list of blocks shows them one under another."""


def write_excel(
    sheets: Mapping[str, pd.DataFrame | Sequence[Block]],
    path: Path,
    *,
    units: Mapping[object, str] | None = None,
    sheet_units: Mapping[str, Mapping[object, str]] | None = None,
    totals: Iterable[str] = (),
) -> None:
    """One sheet per entry of ``sheets``, in their order, laid out for people.

    ``units`` maps column names to units: the header says it (``yuan`` → ``yuan (yuan)``) and
    the cells get its number format (:func:`number_format`). In a table with a ``unit`` column,
    each row's numbers take that row's unit. ``sheet_units`` adds units for one sheet's columns
    (e.g. its year columns in a wide table). Headers are bold; a sheet holding one table has its
    header row frozen and an autofilter; sheets named in ``totals`` get a totals row. A sheet
    given as blocks (``[(title, frame), ...]``) shows each table under its bold title.
    """
    from openpyxl.styles import Font

    totals = set(totals)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, content in sheets.items():
            title = name[:31]
            these = {**(units or {}), **(sheet_units or {}).get(name, {})}
            single = isinstance(content, pd.DataFrame)
            blocks: list[Block] = [("", content)] if single else list(content)
            row = 0
            for heading, frame in blocks:
                if heading:
                    if title not in writer.sheets:
                        writer.book.create_sheet(title)
                    cell = writer.sheets[title].cell(row=row + 1, column=1, value=heading)
                    cell.font = Font(bold=True)
                    row += 1
                out = _with_totals(frame) if name in totals else frame
                header = [f"{c} ({these[c]})" if c in these else str(c) for c in out.columns]
                out.to_excel(writer, sheet_name=title, startrow=row, index=False, header=header)
                for cell in writer.sheets[title][row + 1]:
                    cell.font = Font(bold=True)
                _format_numbers(writer.sheets[title], out, row + 2, these)
                row += len(out) + 2
            sheet = writer.sheets[title]
            if single and len(content.columns):
                sheet.freeze_panes = "A2"
                sheet.auto_filter.ref = sheet.dimensions
            _fit_widths(sheet)


def _with_totals(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    numeric = frame.select_dtypes("number").columns
    row = {c: frame[c].sum() for c in numeric if c != "year"}
    row[frame.columns[0]] = "total"
    return pd.concat([frame, pd.DataFrame([row])], ignore_index=True)


def _format_numbers(sheet, frame: pd.DataFrame, first_row: int, units: Mapping[object, str]) -> None:
    """Number formats of the cells of ``frame``, written from ``first_row`` (1-based)."""
    row_formats = ([number_format(u) if isinstance(u, str) else None for u in frame["unit"]]
                   if "unit" in frame.columns else None)
    for j, column in enumerate(frame.columns, start=1):
        if column == "year" or not (column in units or row_formats):
            continue
        fixed = number_format(units[column]) if column in units else None
        for i, value in enumerate(frame[column]):
            fmt = fixed or (row_formats[i] if row_formats else None)
            if fmt and isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
                sheet.cell(row=first_row + i, column=j).number_format = fmt


def _fit_widths(sheet) -> None:
    from openpyxl.utils import get_column_letter

    for j, cells in enumerate(sheet.iter_cols(max_row=min(sheet.max_row, 200)), start=1):
        width = max((len(str(c.value)) for c in cells if c.value is not None), default=8)
        sheet.column_dimensions[get_column_letter(j)].width = min(60, width + 2)
