"""Uploaded files: checked for size and type, copied into a private temporary folder under a
fixed name, and removed after use. The name the user's browser sent is only ever shown (its last
part, cleaned), never used as a path."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath, PureWindowsPath

from wzmodel.schema import InputError, Problem

__all__ = ["MAX_UPLOAD_BYTES", "private_copy", "shown_name"]

MAX_UPLOAD_BYTES = 2_000_000
"""Largest workbook accepted (the sharing template is ≈ 10 kB; a district's data ≈ 1 MB)."""
_ZIP_MAGIC = b"PK\x03\x04"  # every .xlsx is a zip archive


def shown_name(filename: str) -> str:
    """The last part of a browser-sent name, without control characters, at most 80 long."""
    last = PureWindowsPath(PurePosixPath(str(filename)).name).name
    return re.sub(r"[\x00-\x1f\x7f]", "", last)[:80] or "upload"


@contextmanager
def private_copy(filename: str, content: bytes, *, what: str, template: str
                 ) -> Iterator[tuple[Path, str]]:
    """Yield ``(path, shown name)`` of ``content`` saved as ``upload.xlsx`` in a fresh private
    folder (removed afterwards). Raises InputError for anything but an .xlsx workbook of at most
    :data:`MAX_UPLOAD_BYTES`; ``what`` and ``template`` (the workbook to start from) name it
    there."""
    shown = shown_name(filename)
    label = f"uploaded {what} '{shown}'"
    size = len(content or b"")
    if size > MAX_UPLOAD_BYTES:
        raise InputError([Problem(label, f"a workbook of at most {MAX_UPLOAD_BYTES / 1e6:g} MB",
                                  None, "size", f"{size / 1e6:.1f} MB")])
    if not shown.lower().endswith(".xlsx") or not (content or b"").startswith(_ZIP_MAGIC):
        raise InputError([Problem(label, f"an Excel workbook (.xlsx), like {template}")])
    with tempfile.TemporaryDirectory(prefix="wzmodel-upload-") as tmp:  # mode 0700
        path = Path(tmp) / "upload.xlsx"
        path.write_bytes(content)
        yield path, shown
