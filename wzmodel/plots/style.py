"""How every figure of wzmodel looks and is saved: one resolution, a CJK font, PNG bytes.

Importing :mod:`wzmodel.plots` calls :func:`use_house_style`: it registers Noto Sans SC (shipped
by the ``pylopdf-fonts-zh-cn`` package, SIL Open Font License 1.1) with matplotlib's font manager
and puts it after the default sans-serif font, so Latin text keeps matplotlib's usual look and
Chinese names (浦东, 街道, 人民坊) fall back to Noto Sans SC instead of empty boxes. A font from a
Python package rather than a system font: every machine that installs wzmodel draws the same
glyphs, and a figure on a CI runner is the figure on a laptop.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

__all__ = ["CJK_FONT", "DPI", "money_axis", "png_bytes", "save_figure", "use_house_style"]

DPI = 150
"""Resolution of every figure shown or saved (dots per inch): sharp in a printed briefing."""

CJK_FONT = "Noto Sans SC"
"""The family drawn for glyphs the default font lacks (Chinese names)."""

# PNG metadata matplotlib would otherwise stamp with its version: same figure → same bytes
_PNG_METADATA = {"Software": None}


def use_house_style() -> None:
    """Register the CJK font and set the resolution (idempotent; called at import of
    :mod:`wzmodel.plots`)."""
    import pylopdf_fonts_zh_cn

    path = str(pylopdf_fonts_zh_cn.sans_path())
    if not any(f.fname == path for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(path)
    # a family list is matplotlib's per-glyph fallback: DejaVu Sans first, then Noto Sans SC
    matplotlib.rcParams["font.family"] = ["sans-serif", CJK_FONT]
    matplotlib.rcParams["figure.dpi"] = DPI
    matplotlib.rcParams["savefig.dpi"] = DPI


def save_figure(figure: Figure, path: str | Path) -> None:
    """Save ``figure`` as a PNG at :data:`DPI`, with no version stamp (reproducible bytes)."""
    Path(path).write_bytes(png_bytes(figure))


def png_bytes(figure: Figure) -> bytes:
    """``figure`` as PNG bytes at :data:`DPI` (for files and for pages that embed it)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata=_PNG_METADATA)
    return buffer.getvalue()


def money_axis(ax, largest: float, axis: str = "y") -> None:
    """Thousands separators, with decimals only where the values are small (a tiny example's
    0.5 million yuan must not read 0, 0, 1, 1)."""
    decimals = 0 if largest >= 20 else 1 if largest >= 2 else 2
    getattr(ax, f"{axis}axis").set_major_formatter(
        FuncFormatter(lambda v, _p: f"{v:,.{decimals}f}"))
