"""Loading a data folder: every table validated, cross-checked, and returned as one Dataset.

A data folder holds ``streets``, ``communities`` and, for planning and siting, ``sources``,
``budgets``, ``sharing``, ``sites`` and ``facilities`` — each as ``<table>.csv`` or
``<table>.xlsx`` (see ``docs/data_contract.md``). :func:`load_dataset` reads them all, collects
every problem of every file (types, ranges, allowed values, duplicates, and references between
tables) and raises a single :class:`~wzmodel.schema.InputError`; files are only read.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from wzmodel.schema import InputError, Problem, check_references, read_table, table_specs
from wzmodel.vocabulary import ZONES

__all__ = ["ABOUT_FILE", "ZONES", "Dataset", "data_note", "dataset_with_sharing", "example_path",
           "find_table", "load_dataset"]

REQUIRED_TABLES = ("streets", "communities")
OPTIONAL_TABLES = ("sites", "facilities", "sources", "budgets", "sharing")


@dataclass(frozen=True)
class Dataset:
    """The validated tables of one data folder.

    ``communities`` carries a ``zone`` column taken from its street. Optional tables that are
    absent are empty frames with the declared columns.
    """

    path: Path
    streets: pd.DataFrame
    communities: pd.DataFrame
    sites: pd.DataFrame
    facilities: pd.DataFrame
    sources: pd.DataFrame
    budgets: pd.DataFrame
    sharing: pd.DataFrame

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
        return Dataset(
            self.path,
            streets.reset_index(drop=True),
            communities,
            self.sites,
            self.facilities,
            self.sources,
            self.budgets,
            self.sharing,
        )


def dataset_with_sharing(dataset: Dataset, sharing: pd.DataFrame) -> Dataset:
    """A copy of ``dataset`` with the rows of ``sharing`` appended to its sharing table (the
    data on disk is untouched)."""
    columns = list(dataset.sharing.columns)
    combined = pd.concat([dataset.sharing, sharing[columns]], ignore_index=True)
    return replace(dataset, sharing=combined)


ABOUT_FILE = "about.toml"
"""Optional file of a data folder saying what its data is: ``note = "..."`` (where it comes from,
what is real and what is assumed). Reports and workbooks repeat the note."""


def data_note(folder: str | Path) -> str:
    """The data folder's own note (``note`` in its :data:`ABOUT_FILE`); for a folder without
    one, a note that the data is the user's own (named by the folder's name only, so that
    outputs do not depend on where the folder lies)."""
    path = Path(folder) / ABOUT_FILE
    if not path.is_file():
        return (f"Data note: the data in the folder '{Path(folder).resolve().name}' is the "
                f"user's own (it has no {ABOUT_FILE}); wzmodel has not checked where it comes from.")
    try:
        note = tomllib.loads(path.read_text(encoding="utf-8")).get("note")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError([Problem(str(path), f"a readable UTF-8 TOML file ({exc})")]) from None
    if not isinstance(note, str) or not note.strip():
        raise InputError([Problem(str(path), "a text for the data note", None, "note", note)])
    return " ".join(note.split())


def example_path(name: str = "tiny") -> Path:
    """Folder of an example dataset shipped inside the package."""
    return Path(str(resources.files("wzmodel").joinpath(f"examples/{name}")))


def find_table(folder: Path, name: str) -> Path | None:
    for suffix in (".csv", ".xlsx"):
        candidate = folder / f"{name}{suffix}"
        if candidate.exists():
            return candidate
    return None


def load_dataset(path: str | Path, *, indicators: set[str] | None = None) -> Dataset:
    """Read and validate every table of the data folder ``path``.

    ``indicators`` names community columns the standards in force test; columns beyond the
    declared ones (another city's indicators) are then required and must be numeric.

    Raises
    ------
    InputError
        listing every problem found in every file.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise InputError([Problem(str(folder), "an existing data folder")])
    specs = table_specs()
    problems: list[Problem] = []
    tables: dict[str, pd.DataFrame] = {}
    for name in REQUIRED_TABLES + OPTIONAL_TABLES:
        file = find_table(folder, name)
        if file is None:
            if name in REQUIRED_TABLES:
                problems.append(Problem(str(folder), f"a table '{name}.csv' or '{name}.xlsx'"))
            tables[name] = pd.DataFrame({c: pd.Series(dtype=object) for c in specs[name].names})
            continue
        frame, found = read_table(file, specs[name])
        tables[name] = frame
        problems += found
    problems += _extra_indicator_problems(tables["communities"], indicators or set(), folder)
    problems += _cross_table_problems(tables)  # cells that failed their own checks are None
    if problems:
        raise InputError(problems, str(folder))

    zone = tables["streets"].set_index("street_code")["zone"]
    communities = tables["communities"].copy()
    communities["zone"] = communities["street_code"].map(zone)
    communities = communities.sort_values("community_id", kind="stable").reset_index(drop=True)
    return Dataset(
        path=folder,
        streets=tables["streets"],
        communities=communities,
        **{k: tables[k] for k in OPTIONAL_TABLES},
    )


def _extra_indicator_problems(
    communities: pd.DataFrame, indicators: set[str], folder: Path
) -> list[Problem]:
    declared = set(table_specs()["communities"].names)
    problems = []
    for name in sorted(indicators - declared):
        if name not in communities.columns:
            problems.append(Problem("communities", f"the column '{name}' that the standards test"))
            continue
        numbers = pd.to_numeric(communities[name], errors="coerce")
        for i in np.flatnonzero(numbers.isna().to_numpy()):
            problems.append(
                Problem("communities", "a number", int(i) + 2, name, communities[name].iloc[i])
            )
        communities[name] = numbers
    return problems


def _cross_table_problems(t: dict[str, pd.DataFrame]) -> list[Problem]:
    streets, communities = t["streets"], t["communities"]
    districts = set(streets["district"])
    problems = check_references(
        communities,
        "street_code",
        streets["street_code"],
        "communities",
        "street (streets.street_code)",
    )
    problems += check_references(
        communities, "district", districts, "communities", "district (one listed in streets)"
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
                "communities",
                f"the district of its street ({expected.iloc[i]})",
                int(i) + 2,
                "district",
                communities["district"].iloc[i],
            )
        )
    for name in ("sites", "facilities"):
        problems += check_references(
            t[name], "street_code", streets["street_code"], name, "street (streets.street_code)"
        )

    sources = t["sources"]
    problems += check_references(sources, "district", districts, "sources", "district")
    for i, row in sources.iterrows():
        has_district = isinstance(row["district"], str) and row["district"] != ""
        if (row["role"] == "district_fiscal") != has_district:
            problems.append(
                Problem(
                    "sources",
                    "a district for district_fiscal sources and none for others",
                    int(i) + 2,
                    "district",
                    row["district"],
                )
            )
    pots = sources[sources["role"] == "district_fiscal"]
    for d in sorted(pots["district"][pots["district"].duplicated()].unique()):
        problems.append(
            Problem("sources", "one district_fiscal pot per district", None, "district", d)
        )
    problems += check_references(
        t["budgets"], "source_id", sources["source_id"], "budgets", "source (sources.source_id)"
    )
    problems += check_references(t["sharing"], "district", districts, "sharing", "district")
    problems += sharing_problems(t["sharing"], "sharing")
    return problems


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
