"""The input contract: column declarations (``schema/tables.toml``) and validation against them.

Every table a user supplies is declared once, as data, in ``wzmodel/schema/tables.toml``. The same
declarations drive :func:`read_table` (type conversion and checks) and :func:`render_markdown`
(the data documentation). Validation never stops at the first problem: it collects every
:class:`Problem` — file, row, column, offending value, what was expected — and raises one
:class:`InputError` carrying them all.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "Column",
    "InputError",
    "Problem",
    "TableSpec",
    "check_table",
    "read_sheets",
    "read_table",
    "render_markdown",
    "table_specs",
]

DTYPES = ("str", "int", "float", "bool")
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}
_SEPARATORS = (",", ";", "\t")
_LARGEST_WHOLE = 2.0**53  # whole numbers beyond this are not exact as floats, nor sensible here


@dataclass(frozen=True)
class Column:
    """One declared column."""

    name: str
    dtype: str
    unit: str = ""
    required: bool = True
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None
    unique: bool = False
    description: str = ""

    def expectation(self) -> str:
        """What a valid value looks like, in words."""
        parts = {
            "str": "text",
            "int": "a whole number",
            "float": "a number",
            "bool": "true or false",
        }[self.dtype]
        if self.allowed:
            parts = "one of " + ", ".join(self.allowed)
        if self.min is not None and self.max is not None:
            parts += f" between {self.min:g} and {self.max:g}"
        elif self.min is not None:
            parts += f" ≥ {self.min:g}"
        elif self.max is not None:
            parts += f" ≤ {self.max:g}"
        return parts


@dataclass(frozen=True)
class TableSpec:
    """One declared table."""

    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input."""

    file: str
    expected: str
    row: int | None = None
    column: str | None = None
    value: Any = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        if self.value is not None:
            return f"{where}: value {self.value!r} — expected {self.expected}"
        return f"{where}: {self.expected}"


class InputError(Exception):
    """Inputs that cannot be used, with every problem found (``problems``)."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...], context: str = "") -> None:
        self.problems = tuple(problems)
        self.context = context
        super().__init__(self.message())

    def message(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the input"
        if self.context:
            head += f" ({self.context})"
        return head + ":\n" + "\n".join(f"  - {p}" for p in self.problems)

    def __str__(self) -> str:
        return self.message()

    def to_frame(self) -> pd.DataFrame:
        """The problems as a table (file, row, column, value, expected)."""
        return pd.DataFrame(
            [(p.file, p.row, p.column, p.value, p.expected) for p in self.problems],
            columns=["file", "row", "column", "value", "expected"],
        )


@cache
def table_specs() -> dict[str, TableSpec]:
    """All declared tables, by name."""
    text = resources.files("wzmodel").joinpath("schema/tables.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    specs = {}
    for name, table in raw.items():
        columns = tuple(
            Column(**{**c, "allowed": tuple(c["allowed"]) if "allowed" in c else None})
            for c in table["columns"]
        )
        for c in columns:
            if c.dtype not in DTYPES:
                raise ValueError(f"tables.toml: {name}.{c.name} has unknown dtype {c.dtype!r}")
        specs[name] = TableSpec(name, table["description"], tuple(table["key"]), columns)
    return specs


# --------------------------------------------------------------------------------------------
# Reading and validating one table
# --------------------------------------------------------------------------------------------
def _read_raw(path: Path, sheet: str | int | None = None) -> pd.DataFrame:
    """All cells as text ('' for blank), so that no value is lost before it is checked.

    The header is read as a plain row, so repeated column names stay visible (pandas would
    rename them ``name.1``). CSV files may be separated by commas, semicolons (Excel's export in
    many locales) or tabs: the header line decides."""
    if path.suffix.lower() == ".xlsx":
        cells = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=object,
                              engine="openpyxl", header=None)
        return _with_header(cells.map(_cell_text).astype(object))
    with path.open(encoding="utf-8-sig") as handle:
        header = handle.readline()
    separator = max(_SEPARATORS, key=header.count)
    return _with_header(pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                                    header=None, sep=separator).astype(object))


def read_sheets(path: str | Path) -> dict[str, pd.DataFrame]:
    """Every sheet of the workbook ``path``, each as :func:`_read_raw` reads one (header from
    row 1, every cell as text), read in one pass. Raises what the reader raises."""
    sheets = pd.read_excel(path, sheet_name=None, dtype=object, engine="openpyxl", header=None)
    return {str(name): _with_header(cells.map(_cell_text).astype(object))
            for name, cells in sheets.items()}


def _with_header(cells: pd.DataFrame) -> pd.DataFrame:
    if cells.empty:
        return pd.DataFrame()
    frame = cells.iloc[1:].reset_index(drop=True)
    frame.columns = [str(c).strip() for c in cells.iloc[0]]
    return frame


def _cell_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass
class _Collector:
    file: str
    problems: list[Problem] = field(default_factory=list)

    def add(
        self, expected: str, row: int | None = None, column: str | None = None, value: Any = None
    ) -> None:
        self.problems.append(Problem(self.file, expected, row, column, value))


def read_table(
    path: str | Path,
    spec: TableSpec | str,
    *,
    sheet: str | int | None = None,
    label: str | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a CSV or .xlsx table, convert its columns and check them against ``spec``.

    Returns the typed frame (declared columns first, in declared order; extra columns kept after
    them as text) and the list of problems found. The frame is only meaningful when the list is
    empty. The file is opened read-only.
    """
    spec = table_specs()[spec] if isinstance(spec, str) else spec
    path = Path(path)
    label = label or (f"{path.name} [{sheet}]" if sheet is not None else path.name)
    try:
        raw = _read_raw(path, sheet)
    except Exception as exc:  # any unreadable file becomes a problem, not a traceback
        problem = Problem(label, f"a readable UTF-8 CSV or .xlsx file ({type(exc).__name__}: {exc})")
        return pd.DataFrame(columns=spec.names), [problem]
    return check_table(raw, spec, label)


def check_table(raw: pd.DataFrame, spec: TableSpec, label: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Convert and check a table read as text (header = row 1) against ``spec``; problems are
    named by ``label`` (the file, or ``book.xlsx[sheet]``). Returns what :func:`read_table` does."""
    out = _Collector(label)
    raw.columns = [str(c).strip() for c in raw.columns]
    for c in spec.columns:
        if c.required and c.name not in raw.columns:
            out.add(f"the required column '{c.name}' ({c.description}) is missing")
    duplicated = raw.columns[raw.columns.duplicated()].unique()
    for name in duplicated:
        out.add(f"column '{name}' appears more than once")
    raw = raw.loc[:, ~raw.columns.duplicated()]

    rows = np.arange(len(raw)) + 2  # spreadsheet row numbers
    frame = pd.DataFrame(index=raw.index)
    for c in spec.columns:
        if c.name not in raw.columns:
            frame[c.name] = pd.Series([None] * len(raw), index=raw.index, dtype=object)
            continue
        frame[c.name] = _convert(raw[c.name], c, rows, out)
    extra = [name for name in raw.columns if name not in spec.names]
    for name in extra:
        frame[name] = raw[name]

    for c in spec.columns:
        if c.unique and c.name in raw.columns:
            values = frame[c.name]
            dup = values.duplicated(keep="first") & values.notna()
            for r, v in zip(rows[dup.to_numpy()], values[dup], strict=True):
                first = rows[(values == v).to_numpy()][0]
                out.add(f"a unique value (already used in row {first})", int(r), c.name, v)
    key_cols = [k for k in spec.key if k in raw.columns]
    if len(spec.key) > 1 and len(key_cols) == len(spec.key):
        keys = frame[key_cols].astype(str)
        dup = keys.duplicated(keep="first")
        for r in rows[dup.to_numpy()]:
            out.add(f"a unique combination of {', '.join(key_cols)} (this one is repeated)", int(r))
    return frame.reset_index(drop=True), out.problems


def _convert(text: pd.Series, c: Column, rows: np.ndarray, out: _Collector) -> pd.Series:
    values = text.astype(str).str.strip()
    blank = (values == "").to_numpy()
    if not c.nullable:
        for r in rows[blank]:
            out.add(f"{c.expectation()} (the cell is empty)", int(r), c.name, None)

    if c.dtype == "str":
        result = values.where(~blank, None).astype(object)
        bad = (
            ~blank & ~values.isin(c.allowed).to_numpy()
            if c.allowed
            else np.zeros(len(values), bool)
        )
        for r, v in zip(rows[bad], values[bad], strict=True):
            out.add(c.expectation(), int(r), c.name, v)
        return result

    if c.dtype == "bool":
        lowered = values.str.lower()
        is_true, is_false = lowered.isin(_TRUE).to_numpy(), lowered.isin(_FALSE).to_numpy()
        bad = ~blank & ~is_true & ~is_false
        for r, v in zip(rows[bad], values[bad], strict=True):
            out.add(c.expectation(), int(r), c.name, v)
        return pd.Series(
            np.where(is_true, True, np.where(is_false, False, None)), index=text.index, dtype=object
        )

    numbers = pd.to_numeric(values.where(~blank, None), errors="coerce").astype(float)
    not_numeric = ~blank & ~np.isfinite(numbers.to_numpy())
    for r, v in zip(rows[not_numeric], values[not_numeric], strict=True):
        out.add(c.expectation(), int(r), c.name, v)
    valid = ~blank & ~not_numeric
    arr = numbers.to_numpy()
    bad = np.zeros(len(arr), bool)
    if c.dtype == "int":
        huge = valid & (np.abs(arr) > _LARGEST_WHOLE)
        for r, v in zip(rows[huge], values[huge], strict=True):
            out.add("a whole number of at most 15 digits", int(r), c.name, v)
        valid &= ~huge
        bad |= valid & (np.floor(arr) != arr)
    if c.min is not None:
        bad |= valid & (arr < c.min)
    if c.max is not None:
        bad |= valid & (arr > c.max)
    for r, v in zip(rows[bad], values[bad], strict=True):
        out.add(c.expectation(), int(r), c.name, v)
    if c.dtype == "int":
        return numbers.where(~huge).round().astype("Int64")
    return numbers


def check_references(
    frame: pd.DataFrame, column: str, allowed: pd.Series | set, file: str, what: str
) -> list[Problem]:
    """Problems for values of ``frame[column]`` not among ``allowed`` (a cross-table check)."""
    allowed = set(allowed)
    problems = []
    for i, v in frame[column].items():
        if v is not None and not pd.isna(v) and v not in allowed:
            problems.append(Problem(file, f"a known {what}", int(i) + 2, column, v))
    return problems


# --------------------------------------------------------------------------------------------
# Documentation
# --------------------------------------------------------------------------------------------
def render_markdown() -> str:
    """The data contract as Markdown, generated from the same declarations that validate."""
    lines = [
        "# Data contract",
        "",
        "Generated by `wzmodel schema` from `wzmodel/schema/tables.toml`; do not edit by hand.",
        "Each table is a UTF-8 CSV (`<table>.csv`) or an Excel workbook (`<table>.xlsx`, first",
        "sheet) in the data folder — or every table is a sheet, named after the table, of one",
        "data workbook (`wzmodel template OUT.xlsx` writes an empty one, with these descriptions,",
        "drop-downs and an example row). `progress` and `spent` are not data: they are the",
        "progress record of `wzmodel replan` (a folder of their own, or one workbook with a sheet",
        "for each; see `docs/replan.md`). Rows are counted as in a spreadsheet (header = row 1).",
        "",
        "A data folder may also hold `about.toml` — `note` (what the data is, repeated in every",
        "report) and `crs` (the coordinate reference system of `x_m`, `y_m`, a PROJ string) — and",
        "`districts.geojson`: one outline per district (GeoJSON, WGS 84 longitude/latitude, a",
        "`district` property naming it as the tables do; it needs the `crs`), drawn under every",
        "map and projected into the data's CRS.",
        "",
    ]
    for spec in table_specs().values():
        lines += [
            f"## `{spec.name}`",
            "",
            spec.description,
            "",
            f"Key: {', '.join(f'`{k}`' for k in spec.key)}",
            "",
            "| column | type | unit | required | valid values | description |",
            "|---|---|---|---|---|---|",
        ]
        for c in spec.columns:
            required = "yes" if c.required else "no"
            if c.nullable:
                required += " (may be blank)"
            lines.append(
                f"| `{c.name}` | {c.dtype} | {c.unit} | {required} | "
                f"{c.expectation()}{'; unique' if c.unique else ''} | {c.description} |"
            )
        lines.append("")
    return "\n".join(lines)
