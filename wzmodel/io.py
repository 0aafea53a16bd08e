"""Writing results: atomically (a failed run leaves no half-written folder) and readably.

:func:`atomic_folder` yields a temporary sibling folder; only when the block finishes does it
replace the target folder in one rename. :func:`write_excel` writes one sheet per table with
units in the headers, frozen header rows and sensible column widths.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

__all__ = ["DATA_NOTE", "atomic_folder", "write_csv", "write_excel"]

DATA_NOTE = (
    "Data note: the bundled Shanghai data is calibrated but partly synthetic — committee names, "
    "codes, streets, districts and district population totals are real; households per "
    "committee, coordinates, indicators, sites, budgets and sharing splits are synthetic or "
    "assumed (see data/README.md). Unit costs marked assumed are working defaults to replace."
)


@contextmanager
def atomic_folder(target: str | Path) -> Iterator[Path]:
    """Yield a fresh temporary folder that replaces ``target`` when the block succeeds."""
    target = Path(target).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
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
