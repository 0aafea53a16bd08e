"""Loading data: every table validated, cross-checked, and returned as one Dataset.

The data is a folder or one workbook. A data folder holds ``streets``, ``communities`` and, for
planning and siting, ``sources``, ``budgets``, ``sharing``, ``sites`` and ``facilities`` — and,
optionally, ``sharing_links`` (matching and top-up rules of sharing options), ``grids`` (the
comprehensive grid of each committee), ``featured_areas`` (featured communities drawn over several
committees) and ``complete`` (the official list of communities already complete) — each as
``<table>.csv`` or ``<table>.xlsx`` (see ``docs/data_contract.md``). A data workbook (``.xlsx``,
e.g. the one ``wzmodel template`` writes) holds the same tables as sheets named after them, plus
an optional ``README`` sheet. A folder may also say what its data is and where it lies
(``about.toml``: a note and the CRS of the coordinates) and hold its district outlines
(``districts.geojson``, see :mod:`wzmodel.geography`). :func:`load_dataset` reads them all,
collects every problem of every table (types, ranges, allowed values, duplicates, and references
between tables) and raises a single :class:`~wzmodel.schema.InputError`; files are only read.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from wzmodel.geography import OUTLINES_FILE, DistrictOutlines, crs_problems, read_outlines
from wzmodel.schema import (
    InputError,
    Problem,
    TableSpec,
    check_references,
    check_table,
    read_sheets,
    read_table,
    table_specs,
)
from wzmodel.vocabulary import ZONES

__all__ = ["ABOUT_FILE", "BUILT_IN_ZONE_RULE", "README_SHEET", "ZONES", "Dataset", "community_zones",
           "data_crs", "data_note", "dataset_with_sharing",
           "example_path", "example_rows", "find_table", "load_dataset"]

log = logging.getLogger(__name__)

REQUIRED_TABLES = ("streets", "communities")
OPTIONAL_TABLES = ("sites", "facilities", "sources", "budgets", "sharing", "sharing_links", "grids",
                   "featured_areas", "complete")
README_SHEET = "README"
"""The sheet of a data workbook that describes the tables (written by ``wzmodel template``); it
is not read as data."""


@dataclass(frozen=True)
class Dataset:
    """The validated tables of one data folder.

    ``communities`` carries each committee's ``zone``: its own (the optional column) or, where
    blank, the built-in rule (:func:`community_zones`); ``zone_rule`` says which. Optional tables that are
    absent are empty frames with the declared columns (``sharing_links``, ``grids``,
    ``featured_areas`` default to them when a Dataset is made by hand). ``complete`` is the
    list of communities already complete, resolved: ``community_id`` and ``class`` (basic or
    featured). ``path`` is the data folder or workbook. ``crs`` is the CRS of ``x_m, y_m`` the
    folder declares (a PROJ string) and ``outlines`` its district outlines in that CRS; None when
    it has none.
    """

    path: Path
    streets: pd.DataFrame
    communities: pd.DataFrame
    sites: pd.DataFrame
    facilities: pd.DataFrame
    sources: pd.DataFrame
    budgets: pd.DataFrame
    sharing: pd.DataFrame
    sharing_links: pd.DataFrame = field(default_factory=lambda: _empty("sharing_links"))
    grids: pd.DataFrame = field(default_factory=lambda: _empty("grids"))
    featured_areas: pd.DataFrame = field(default_factory=lambda: _empty("featured_areas"))
    complete: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({"community_id": pd.Series(dtype=object),
                                              "class": pd.Series(dtype=object)}))
    crs: str | None = None
    outlines: DistrictOutlines | None = None
    zone_rule: str = ""

    @property
    def districts(self) -> list[str]:
        return sorted(self.streets["district"].unique())

    @property
    def budget_years(self) -> list[int]:
        return sorted(int(y) for y in self.budgets["year"].unique())

    def subset(self, community_ids) -> Dataset:
        """The same data restricted to some communities (and the streets they lie in)."""
        keep = self.communities["community_id"].isin(set(community_ids))
        communities = self.communities[keep].reset_index(drop=True)
        streets = self.streets[self.streets["street_code"].isin(communities["street_code"])]
        kept = set(community_ids)
        complete = self.complete[self.complete["community_id"].isin(kept)]
        # grids and featured areas keep every row: an area or grid partly outside the subset is
        # still known whole (the planner says what it does with such an area)
        return replace(self, streets=streets.reset_index(drop=True), communities=communities,
                       complete=complete.reset_index(drop=True))


def dataset_with_sharing(dataset: Dataset, sharing: pd.DataFrame, *,
                         links: pd.DataFrame | None = None) -> Dataset:
    """A copy of ``dataset`` with the rows of ``sharing`` (one option) appended to its sharing
    table, and ``links`` (that option's matching and top-up rules, renamed to it) to its
    ``sharing_links`` — an edited copy of an option passes the original's links to keep them.
    The data on disk is untouched."""
    columns = list(dataset.sharing.columns)
    combined = pd.concat([dataset.sharing, sharing[columns]], ignore_index=True)
    own = dataset.sharing_links
    added = own.iloc[:0] if links is None else links[list(own.columns)]
    added = added.assign(option=sharing["option"].iloc[0])
    both = pd.concat([own, added], ignore_index=True) if len(added) else own
    return replace(dataset, sharing=combined, sharing_links=both)


ABOUT_FILE = "about.toml"
"""Optional file of a data folder saying what its data is: ``note = "..."`` (where it comes from,
what is real and what is assumed; reports and workbooks repeat it) and ``crs = "..."`` (the
coordinate reference system of ``x_m, y_m`` as a PROJ string)."""


def _about(folder: Path) -> dict:
    """The folder's about.toml as a dict ({} without one)."""
    path = folder / ABOUT_FILE
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError([Problem(str(path), f"a readable UTF-8 TOML file ({exc})")]) from None


def data_note(folder: str | Path) -> str:
    """The data folder's own note (``note`` in its :data:`ABOUT_FILE`); for a folder without
    one, or a data workbook, a note that the data is the user's own (named by the folder's or
    workbook's name only, so that outputs do not depend on where it lies)."""
    path = Path(folder)
    # a workbook read from an upload is named by its name only (its private copy is gone)
    if path.is_file() or (path.suffix.lower() == ".xlsx" and not path.is_dir()):
        return (f"Data note: the data in the workbook '{Path(folder).name}' is the user's own; "
                "wzmodel has not checked where it comes from.")
    path = path / ABOUT_FILE
    if not path.is_file():
        return (f"Data note: the data in the folder '{Path(folder).resolve().name}' is the "
                f"user's own (it has no {ABOUT_FILE}); wzmodel has not checked where it comes from.")
    note = _about(Path(folder)).get("note")
    if not isinstance(note, str) or not note.strip():
        raise InputError([Problem(str(path), "a text for the data note", None, "note", note)])
    return " ".join(note.split())


def data_crs(folder: str | Path) -> str | None:
    """The CRS of the data's coordinates the folder declares (``crs`` in its :data:`ABOUT_FILE`,
    a PROJ string), or None (a workbook, a folder that declares none)."""
    if Path(folder).is_file():
        return None
    crs = _about(Path(folder)).get("crs")
    if crs is not None and (not isinstance(crs, str) or not crs.strip()):
        raise InputError([Problem(str(Path(folder) / ABOUT_FILE), "a PROJ string", None, "crs", crs)])
    return crs


def example_path(name: str = "tiny") -> Path:
    """Folder of an example dataset shipped inside the package."""
    return Path(str(resources.files("wzmodel").joinpath(f"examples/{name}")))


def find_table(folder: Path, name: str) -> Path | None:
    for suffix in (".csv", ".xlsx"):
        candidate = folder / f"{name}{suffix}"
        if candidate.exists():
            return candidate
    return None


def example_rows() -> dict[str, dict[str, str]]:
    """The first row of each table of the tiny example, as text by column (the example rows of
    ``wzmodel template``); tables the example lacks are left out."""
    rows = {}
    for name in table_specs():
        file = find_table(example_path(), name)
        if file is not None:
            frame = pd.read_csv(file, dtype=str, keep_default_na=False, nrows=1)
            rows[name] = frame.iloc[0].to_dict()
    return rows


def load_dataset(path: str | Path, *, indicators: set[str] | None = None) -> Dataset:
    """Read and validate every table of the data folder or data workbook (``.xlsx``) ``path``.

    ``indicators`` names community columns the standards in force test; columns beyond the
    declared ones (another city's indicators) are then required and must be numeric. A data
    workbook holds nothing else: a sheet or a column the contract does not declare is a problem.

    Raises
    ------
    InputError
        listing every problem found in every file.
    """
    source = Path(path)
    indicators = indicators or set()
    if source.is_dir():
        tables, labels, problems = _folder_tables(source)
    elif source.suffix.lower() == ".xlsx" and source.is_file():
        tables, labels, problems = _workbook_tables(source, indicators)
    else:
        raise InputError([Problem(str(source), "an existing data folder or data workbook (.xlsx)")])
    problems += _extra_indicator_problems(tables["communities"], indicators, labels["communities"])
    problems += _cross_table_problems(tables, labels)  # cells that failed their own checks are None
    complete, found = _listed_complete(tables, labels["complete"])
    problems += found
    crs = data_crs(source)
    outlines = None
    bad_crs = crs_problems(crs, str(source / ABOUT_FILE)) if crs is not None else []
    problems += bad_crs
    if source.is_dir() and (source / OUTLINES_FILE).is_file() and not bad_crs:
        outlines, found = read_outlines(source / OUTLINES_FILE, crs)
        problems += found
        problems += _outline_problems(tables["streets"], outlines, str(source / OUTLINES_FILE))
    if problems:
        raise InputError(problems, str(source))

    communities, zone_rule = community_zones(tables["communities"], tables["streets"],
                                             labels["communities"])
    communities = communities.sort_values("community_id", kind="stable").reset_index(drop=True)
    return Dataset(
        path=source,
        streets=tables["streets"],
        communities=communities,
        **{k: tables[k] for k in OPTIONAL_TABLES if k != "complete"},
        complete=complete,
        crs=crs,
        outlines=outlines,
        zone_rule=zone_rule,
    )


BUILT_IN_ZONE_RULE = ("the built-in rule: a villagers' committee is rural (the 2035 plan's "
                      "village level), a residents' committee takes its street's zone")


def community_zones(communities: pd.DataFrame, streets: pd.DataFrame,
                    label: str = "communities") -> tuple[pd.DataFrame, str]:
    """``communities`` with its ``zone`` resolved, and where the zones come from.

    A committee's own ``zone`` (the optional column, already validated against the allowed
    zones) wins; a blank or absent one follows :data:`BUILT_IN_ZONE_RULE`, so that no
    villagers' committee counts toward a main-urban or new-town target unless the data says so.
    """
    out = communities.copy()
    own = out["zone"] if "zone" in out else pd.Series(None, index=out.index, dtype=object)
    own = own.where(own.notna() & (own.astype(str).str.strip() != ""), None)
    street = out["street_code"].map(streets.set_index("street_code")["zone"])
    default = street.where(out["kind"] != "villagers", "rural")
    out["zone"] = own.where(own.notna(), default)
    given = int(own.notna().sum())
    if given == len(out):
        rule = f"the zone column of {label} (every committee)"
    elif given:
        rest = len(out) - given
        rule = (f"the zone column of {label} ({given:,} committee{'s' * (given > 1)}); the "
                f"other {rest:,}: {BUILT_IN_ZONE_RULE}")
    else:
        rule = BUILT_IN_ZONE_RULE
    return out, rule


def _outline_problems(streets: pd.DataFrame, outlines: DistrictOutlines | None,
                      file: str) -> list[Problem]:
    """Every district of the streets needs an outline (more outlines are fine: the neighbours
    drawn around a district's data)."""
    if outlines is None:
        return []
    missing = sorted(set(streets["district"].dropna()) - set(outlines.districts))
    return [Problem(file, "an outline for every district of the streets table", None, "district", d)
            for d in missing]


Tables = tuple[dict[str, pd.DataFrame], dict[str, str], list[Problem]]
"""Each table's frame, the name problems of each table go by, and the problems found so far."""


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in table_specs()[name].names})


def _starts_with(frame: pd.DataFrame, row: dict[str, str], spec: TableSpec) -> bool:
    """Whether the checked ``frame`` starts with the values of the text ``row`` (read alike)."""
    if frame.empty:
        return False
    example, _ = check_table(pd.DataFrame([row], dtype=object), spec, "")
    return [str(v) for v in frame.iloc[0][spec.names]] == [str(v) for v in
                                                           example.iloc[0][spec.names]]


def _folder_tables(folder: Path) -> Tables:
    specs = table_specs()
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for name in REQUIRED_TABLES + OPTIONAL_TABLES:
        file = find_table(folder, name)
        if file is None:
            if name in REQUIRED_TABLES:
                problems.append(Problem(str(folder), f"a table '{name}.csv' or '{name}.xlsx'"))
            tables[name] = _empty(name)
            continue
        tables[name], found = read_table(file, specs[name])
        problems += found
    return tables, {name: name for name in tables}, problems


def _workbook_tables(book: Path, indicators: set[str]) -> Tables:
    """The tables of a data workbook, one sheet each, named ``book.xlsx[sheet]`` in problems."""
    specs = table_specs()
    try:
        sheets = read_sheets(book)
    except Exception as exc:  # any unreadable file becomes a problem, not a traceback
        raise InputError([Problem(book.name, f"a readable .xlsx workbook ({type(exc).__name__}: "
                                  f"{exc})")]) from None
    names = REQUIRED_TABLES + OPTIONAL_TABLES
    labels = {name: f"{book.name}[{name}]" for name in names}
    problems = [Problem(f"{book.name}[{sheet}]", f"a sheet named after a table ({', '.join(names)})"
                        f" or {README_SHEET}") for sheet in sheets
                if sheet not in names and sheet != README_SHEET]
    examples = example_rows()
    tables: dict[str, pd.DataFrame] = {}
    for name in names:
        if name not in sheets:
            if name in REQUIRED_TABLES:
                problems.append(Problem(book.name, f"a sheet '{name}' (the table {name})"))
            tables[name] = _empty(name)
            continue
        raw = sheets[name]
        allowed = set(specs[name].names) | (indicators if name == "communities" else set())
        problems += [Problem(labels[name], "only the columns the contract declares (docs/"
                             "data_contract.md): remove it or correct its name", 1, column)
                     for column in raw.columns if column not in allowed]
        tables[name], found = check_table(raw, specs[name], labels[name])
        problems += found
        if name in examples and _starts_with(tables[name], examples[name], specs[name]):
            log.warning("%s, row 2 is the template's example row (the tiny example's first "
                        "row): replace it unless it is your data", labels[name])
    return tables, labels, problems


def _extra_indicator_problems(
    communities: pd.DataFrame, indicators: set[str], label: str
) -> list[Problem]:
    declared = set(table_specs()["communities"].names)
    problems = []
    for name in sorted(indicators - declared):
        if name not in communities.columns:
            problems.append(Problem(label, f"the column '{name}' that the standards test"))
            continue
        numbers = pd.to_numeric(communities[name], errors="coerce")
        for i in np.flatnonzero(numbers.isna().to_numpy()):
            problems.append(
                Problem(label, "a number", int(i) + 2, name, communities[name].iloc[i])
            )
        communities[name] = numbers
    return problems


def _cross_table_problems(t: dict[str, pd.DataFrame], labels: dict[str, str]) -> list[Problem]:
    streets, communities = t["streets"], t["communities"]
    districts = set(streets["district"])
    problems = check_references(
        communities,
        "street_code",
        streets["street_code"],
        labels["communities"],
        "street (streets.street_code)",
    )
    problems += check_references(
        communities, "district", districts, labels["communities"], "district (one listed in streets)"
    )
    # a repeated street_code is reported by its own table's check; the first row counts here
    street_district = streets.drop_duplicates("street_code").set_index("street_code")["district"]
    expected = communities["street_code"].map(street_district)
    wrong = (
        expected.notna()
        & communities["district"].isin(districts)
        & (expected != communities["district"])
    )
    for i in np.flatnonzero(wrong.to_numpy()):
        problems.append(
            Problem(
                labels["communities"],
                f"the district of its street ({expected.iloc[i]})",
                int(i) + 2,
                "district",
                communities["district"].iloc[i],
            )
        )
    for name in ("sites", "facilities"):
        problems += check_references(
            t[name], "street_code", streets["street_code"], labels[name], "street (streets.street_code)"
        )

    sources = t["sources"]
    problems += check_references(sources, "district", districts, labels["sources"], "district")
    for i, row in sources.iterrows():
        has_district = isinstance(row["district"], str) and row["district"] != ""
        if (row["role"] == "district_fiscal") != has_district:
            problems.append(
                Problem(
                    labels["sources"],
                    "a district for district_fiscal sources and none for others",
                    int(i) + 2,
                    "district",
                    row["district"],
                )
            )
    pots = sources[sources["role"] == "district_fiscal"]
    for d in sorted(pots["district"][pots["district"].duplicated()].unique()):
        problems.append(
            Problem(labels["sources"], "one district_fiscal pot per district", None, "district", d)
        )
    problems += check_references(
        t["budgets"], "source_id", sources["source_id"], labels["budgets"], "source (sources.source_id)"
    )
    problems += check_references(t["sharing"], "district", districts, labels["sharing"], "district")
    problems += sharing_problems(t["sharing"], labels["sharing"])
    links = t["sharing_links"]
    problems += check_references(links, "district", districts, labels["sharing_links"], "district")
    problems += check_references(links, "option", set(t["sharing"]["option"].dropna()),
                                 labels["sharing_links"], "sharing option (sharing.option)")
    for name in ("grids", "featured_areas"):
        problems += check_references(t[name], "community_id", communities["community_id"],
                                     labels[name], "community (communities.community_id)")
    return problems


def _listed_complete(t: dict[str, pd.DataFrame], label: str) -> tuple[pd.DataFrame, list[Problem]]:
    """The ``complete`` list resolved to community ids: a row names its community by
    ``community_id`` or by ``name``, narrowed by ``street`` (name or code) and ``district``; a
    row naming no community, or several, or a community listed twice, is a problem."""
    listed, c = t["complete"], t["communities"]
    street_name = c["street_code"].map(
        t["streets"].drop_duplicates("street_code").set_index("street_code")["street_name"])
    problems: list[Problem] = []
    found: dict[str, tuple[str, int]] = {}
    for i, row in listed.iterrows():
        r = int(i) + 2
        cid, name, street, district = (_text(row[k]) for k in ("community_id", "name", "street",
                                                                "district"))
        if not (cid or name):
            problems.append(Problem(label, "a community_id or a name", r))
            continue
        match = (c["community_id"] == cid) if cid else (c["name"] == name)
        if street:
            match &= (c["street_code"] == street) | (street_name == street)
        if district:
            match &= c["district"] == district
        within = "".join(f" {what} '{v}'" for what, v in (("in street", street),
                                                           ("in district", district)) if v)
        column, value = ("community_id", cid) if cid else ("name", name)
        if match.sum() == 0:
            problems.append(Problem(label, f"a known community{within}", r, column, value))
        elif match.sum() > 1:
            problems.append(Problem(label, f"a name that identifies one community ({match.sum()} "
                                    f"are called so{within}: add the street or district)", r,
                                    column, value))
        elif cid and name and c["name"][match].iloc[0] != name:
            problems.append(Problem(label, f"the name of community {cid} "
                                    f"({c['name'][match].iloc[0]})", r, "name", name))
        elif c["community_id"][match].iloc[0] in found:
            first = found[c["community_id"][match].iloc[0]][1]
            problems.append(Problem(label, f"each community listed once (already in row {first})",
                                    r, column, value))
        elif row["class"] is not None:
            found[c["community_id"][match].iloc[0]] = (row["class"], r)
    resolved = pd.DataFrame({"community_id": pd.Series(list(found), dtype=object),
                             "class": pd.Series([k for k, _ in found.values()], dtype=object)})
    return resolved, problems


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def sharing_problems(sharing: pd.DataFrame, file: str) -> list[Problem]:
    """Share bounds that cannot hold: min above max, or minimums summing above 100 % (or maximums
    below 100 %) for an option and cost category in one scope (all / a zone / a district)."""
    problems = []
    for i in np.flatnonzero((sharing["min_share"] > sharing["max_share"]).to_numpy()):
        row = sharing.iloc[i]
        problems.append(
            Problem(
                file,
                f"min_share ≤ max_share ({row['max_share']:g})",
                int(i) + 2,
                "min_share",
                row["min_share"],
            )
        )
    scope = sharing.assign(zone=sharing["zone"].fillna(""), district=sharing["district"].fillna(""))
    sums = scope.groupby(["option", "cost_category", "zone", "district"], sort=True)[
        ["min_share", "max_share"]
    ].sum()
    for (option, category, zone, district), s in sums.iterrows():
        where = f"option '{option}', cost category '{category}'"
        where += f", zone '{zone}'" if zone else ""
        where += f", district '{district}'" if district else ""
        if s["min_share"] > 1 + 1e-9:
            problems.append(
                Problem(
                    file,
                    f"minimum shares summing to at most 100 % for {where} "
                    f"(they sum to {100 * s['min_share']:.1f} %)",
                    None,
                    "min_share",
                )
            )
        if s["max_share"] < 1 - 1e-9:
            problems.append(
                Problem(
                    file,
                    f"maximum shares summing to at least 100 % for {where} "
                    f"(they sum to {100 * s['max_share']:.1f} %)",
                    None,
                    "max_share",
                )
            )
    return problems
