"""Build ``sharing_option_template.xlsx``, the Excel template for a finance officer's option.

Run ``python data/templates/make_template.py`` (or with ``--out PATH``). The first sheet has exactly
the columns of the ``sharing`` table declared in ``wzmodel/schema/tables.toml`` with an example
option filled in; the second, ``sharing_links``, the option's matching and top-up rules in the
columns of the ``sharing_links`` table (optional: it may be left empty or deleted); the third
explains every column and its allowed values, generated from the same declarations. The output
is reproducible (fixed document timestamps).
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from wzmodel.schema import table_specs

FIXED_TIME = datetime(2026, 1, 1)
OPTION = "city_district_matched"
# (cost_category, role, min_share, max_share, zone): city and district budgets share most
# categories about equally; utilities pay the larger part of their networks; owners, social
# capital and the community may add small shares; owners carry part of lifts (accessibility).
# Rural service facilities lean on the city.
EXAMPLE = [
    ("service_facilities", "city_fiscal", 0.3, 0.6, ""),
    ("service_facilities", "district_fiscal", 0.3, 0.6, ""),
    ("service_facilities", "owners", 0.0, 0.1, ""),
    ("service_facilities", "social_capital", 0.0, 0.2, ""),
    ("service_facilities", "community", 0.0, 0.05, ""),
    ("service_facilities", "city_fiscal", 0.5, 0.9, "rural"),
    ("service_facilities", "district_fiscal", 0.1, 0.5, "rural"),
    ("service_facilities", "community", 0.0, 0.05, "rural"),
    ("public_space", "city_fiscal", 0.3, 0.6, ""),
    ("public_space", "district_fiscal", 0.3, 0.6, ""),
    ("public_space", "owners", 0.0, 0.1, ""),
    ("public_space", "community", 0.0, 0.05, ""),
    ("gas", "city_fiscal", 0.1, 0.4, ""),
    ("gas", "district_fiscal", 0.1, 0.4, ""),
    ("gas", "utility_gas", 0.3, 0.7, ""),
    ("water", "city_fiscal", 0.1, 0.4, ""),
    ("water", "district_fiscal", 0.2, 0.5, ""),
    ("water", "utility_water", 0.2, 0.5, ""),
    ("water", "owners", 0.0, 0.1, ""),
    ("drainage", "city_fiscal", 0.1, 0.4, ""),
    ("drainage", "district_fiscal", 0.1, 0.4, ""),
    ("drainage", "utility_drainage", 0.3, 0.7, ""),
    ("environment", "city_fiscal", 0.3, 0.6, ""),
    ("environment", "district_fiscal", 0.3, 0.6, ""),
    ("environment", "community", 0.0, 0.1, ""),
    ("safety", "city_fiscal", 0.3, 0.6, ""),
    ("safety", "district_fiscal", 0.3, 0.6, ""),
    ("safety", "owners", 0.0, 0.1, ""),
    ("smart_services", "city_fiscal", 0.3, 0.6, ""),
    ("smart_services", "district_fiscal", 0.3, 0.6, ""),
    ("smart_services", "social_capital", 0.0, 0.3, ""),
    ("governance", "city_fiscal", 0.2, 0.5, ""),
    ("governance", "district_fiscal", 0.5, 0.8, ""),
    ("power", "city_fiscal", 0.1, 0.4, ""),
    ("power", "district_fiscal", 0.1, 0.4, ""),
    ("power", "utility_power", 0.3, 0.7, ""),
    ("telecom", "city_fiscal", 0.1, 0.4, ""),
    ("telecom", "district_fiscal", 0.1, 0.4, ""),
    ("telecom", "utility_telecom", 0.3, 0.7, ""),
    ("accessibility", "city_fiscal", 0.2, 0.5, ""),
    ("accessibility", "district_fiscal", 0.2, 0.5, ""),
    ("accessibility", "owners", 0.1, 0.4, ""),
]
# (role, relation, ratio, base, cost_category, zone, source): example matching and top-up rules
LINKS = [
    ("social_capital", "at_most", 0.5, "public", "service_facilities", "",
     "assumed: at most 0.5 yuan of social capital per public yuan (matching)"),
    ("city_fiscal", "at_least", 0.25, "cost", "water", "new_town",
     "assumed: the city tops up at least 25 % of secondary water in the new towns"),
]
INSTRUCTIONS = [
    "How to write a sharing option",
    "",
    "1. Copy the first sheet (or edit it). Keep the header row exactly as it is; one row per cost "
    "category and funder role.",
    "2. Give the option a new name in the 'option' column (not one of the names already in the "
    "data, e.g. fiscal_led, utilities_owners, social_capital_leveraged).",
    "3. For every cost category, list the roles that may pay, with the least (min_share) and "
    "largest (max_share) share of the category's cost, as fractions 0-1 (0.3 = 30 %).",
    "4. Minimum shares of one category must sum to at most 1 and maximum shares to at least 1, "
    "so that the cost can be paid in full.",
    "5. Leave zone and district blank for rows that apply everywhere. Rows with a zone (or a "
    "district) replace the general rows of that category there: list every role again.",
    "6. Optional: matching and top-up rules on the sheet 'sharing_links' (same option name): "
    "the role's money is at most / exactly / at least ratio x the base (the cost, public money "
    "or another role) in every cost the row reaches. Delete its rows if the option has none.",
    "7. Budgets per source and year are the caps; they are in the data's budgets table.",
    "8. Check and run it: wzmodel compare SCENARIO.toml --sharing-xlsx THIS_FILE --out DIR",
    "   (in Python: wzmodel.finance.load_sharing_option(path, dataset=...)). Every problem is "
    "reported with sheet, row and column.",
    "",
    "Columns",
]


def build(out: Path) -> Path:
    spec = table_specs()["sharing"]
    wb = Workbook()
    sheet = wb.active
    sheet.title = "sharing_option"
    sheet.append(spec.names)
    for category, role, lo, hi, zone in EXAMPLE:
        values = {"option": OPTION, "cost_category": category, "role": role, "min_share": lo,
                  "max_share": hi, "zone": zone or None, "district": None}
        sheet.append([values[name] for name in spec.names])
    _style(sheet, widths=[24, 20, 18, 12, 12, 18, 12])

    links_spec = table_specs()["sharing_links"]
    links = wb.create_sheet("sharing_links")
    links.append(links_spec.names)
    for role, relation, ratio, base, category, zone, source in LINKS:
        values = {"option": OPTION, "role": role, "relation": relation, "ratio": ratio,
                  "base": base, "cost_category": category, "zone": zone or None,
                  "district": None, "source": source}
        links.append([values[name] for name in links_spec.names])
    _style(links, widths=[24, 16, 10, 8, 16, 18, 12, 12, 60])

    notes = wb.create_sheet("instructions")
    for line in INSTRUCTIONS:
        notes.append([line])
    notes["A1"].font = Font(bold=True)
    header = ["sheet", "column", "type", "unit", "required", "valid values", "description"]
    notes.append(header)
    first = notes.max_row
    for table, c in [*(("sharing_option", c) for c in spec.columns),
                     *(("sharing_links", c) for c in links_spec.columns)]:
        notes.append([table, c.name, c.dtype, c.unit, "yes" if c.required else "no (may be blank)"
                      if c.nullable else "no", c.expectation(), c.description])
    for cell in notes[first]:
        cell.font = Font(bold=True)
    for j, width in enumerate([16, 16, 8, 10, 18, 60, 70], start=1):
        notes.column_dimensions[get_column_letter(j)].width = width

    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "wzmodel data/templates/make_template.py"
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def _style(sheet, widths: list[int]) -> None:
    sheet.freeze_panes = "A2"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for j, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(j)].width = width


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).with_name("sharing_option_template.xlsx"))
    print(build(parser.parse_args().out))
