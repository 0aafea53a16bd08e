"""Small hand-made datasets for tests: every indicator met unless a test says otherwise."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from wzmodel.data import example_path
from wzmodel.schema import table_specs
from wzmodel.vocabulary import COST_CATEGORIES

STREET = "310101017"
DISTRICT = "黄浦"


def met_community(cid: str, households: int = 1000, **override) -> dict:
    """A community meeting every basic and featured criterion, with ``override`` applied."""
    residents = int(households * 2.3)
    row = {
        "community_id": cid,
        "name": f"社区{cid[-3:]}",
        "street_code": STREET,
        "district": DISTRICT,
        "kind": "residents",
        "households": households,
        "residents": residents,
        "share_60plus": 0.25,
        "share_0_14": 0.1,
        "x_m": 0.0,
        "y_m": 0.0,
        "service_floor_m2": 0.3 * households,
        "new_estate_households": 0,
        "resident_activity_floor_m2": 0.18 * households,
        "elderly_care_floor_m2": max(0.15 * households, 350.0),
        "elderly_care_largest_site_m2": 350.0,
        "nursery_floor_m2": 200.0,
        "kindergarten_classes": 6,
        "health_station_floor_m2": 120.0,
        "convenience_floor_m2": 300.0,
        "activity_ground_m2": 150.0,
        "green_spaces": 1,
        "property_management_share": 1.0,
        "parcel_points": 1,
        "water_supply_share": 1.0,
        "power_supply_share": 1.0,
        "piped_gas_share": 1.0,
        "fibre_share": 1.0,
        "estate_road_km": 1.0,
        "road_good_share": 1.0,
        "walkway_share": 1.0,
        "parking_spaces": households // 2,
        "ev_ready_spaces": -(-households // 10),
        "residential_buildings": 10,
        "barrier_free_entrance_share": 1.0,
        "buildings_without_lift": 5,
        "lift_ready_buildings": 0,
        "property_platform": 1,
        "culture_events_per_year": 4.0,
        "pocket_parks": 1,
        "recycling_points": 1,
        "sorting_points": max(2, -(-households * 15 // 10000)),
        "sorting_renovated_share": 1.0,
        "sorting_compliance_share": 0.95,
        "new_illegal_structures_per_year": 0.0,
        "sign_approval_share": 0.9,
        "fixture_falls_per_year": 0.0,
        "gas_pipe_renewed_share": 1.0,
        "gas_riser_renewed_share": 1.0,
        "water_handover_share": 1.0,
        "rain_sewer_share": 1.0,
        "water_main_maintenance_per_year": 1.0,
        "gas_pipe_maintenance_per_year": 1.0,
        "drain_dredging_per_year": 2.0,
        "drain_dredgings_before_flood_season": 1.0,
        "emergency_shelter_m2": 1.5 * residents,
        "hazard_inspections_per_year": 2.0,
        "resilience_events_per_year": 2.0,
    }
    row.update(override)
    return row


def write_dataset(
    folder: Path,
    communities: list[dict],
    *,
    budgets: dict[int, float],
    streets: list[dict] | None = None,
    sharing: list[dict] | None = None,
    sources: list[dict] | None = None,
    more: dict[str, list[dict]] | None = None,
) -> Path:
    """Write a complete data folder; the city pays everything unless ``sharing`` says otherwise.
    ``budgets`` is the city's money by year, or with ``sources`` (rows of the sources table)
    each source's: ``{(source_id, year): yuan}``. ``more`` holds other tables' rows by name
    (``grids``, ``featured_areas``, ``sharing_links``, ...)."""
    folder.mkdir(parents=True, exist_ok=True)
    specs = table_specs()
    streets = streets or [
        {
            "street_code": STREET,
            "street_name": "小东门街道",
            "district": DISTRICT,
            "zone": "main_urban",
        }
    ]
    sources = sources or [
        {
            "source_id": "city_fiscal",
            "name": "city",
            "role": "city_fiscal",
            "district": "",
            "public": True,
        }
    ]
    sharing = sharing or [
        {
            "option": "city_pays",
            "cost_category": k,
            "role": "city_fiscal",
            "min_share": 0.0,
            "max_share": 1.0,
            "zone": "",
            "district": "",
        }
        for k in COST_CATEGORIES
    ]
    budget_rows = [
        {"source_id": key[0], "year": key[1], "budget_yuan": b}
        if isinstance(key, tuple) else {"source_id": "city_fiscal", "year": key, "budget_yuan": b}
        for key, b in sorted(budgets.items())
    ]
    for name, rows in (
        ("streets", streets),
        ("communities", communities),
        ("sources", sources),
        ("budgets", budget_rows),
        ("sharing", sharing),
        *(more or {}).items(),
    ):
        frame = pd.DataFrame(rows, columns=specs[name].names)
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def write_scenario(
    path: Path, data: Path, *, last_year: int = 2027, targets: str = "", extra: str = ""
) -> Path:
    path.write_text(
        f"""name = "hand"
data = "{data}"
first_year = 2026
last_year = {last_year}

[funding]
sharing_option = "city_pays"
carry_over = true

{targets}

[objective]
kind = "coverage_years"
weight = "households"
featured_weight = 0.5

[solver]
gap = 0.0
time_limit = 60
{extra}
""",
        encoding="utf-8",
    )
    return path


def target_toml(name: str, kind: str, year: int, min_share: float, **extra) -> str:
    """A scenario's [targets.NAME] table over the main urban zone (extra keys: numbers)."""
    lines = [f"[targets.{name}]", f'kind = "{kind}"', f"year = {year}", 'zones = ["main_urban"]',
             f"min_share = {min_share}", *(f"{k} = {v}" for k, v in extra.items())]
    return "\n".join(lines)


def tiny_workbook(book: Path) -> Path:
    """``wzmodel template`` filled with the tiny example's tables from row 2 (the example row
    replaced), as a person pasting them would: numbers as numbers, codes and names as text."""
    from openpyxl import load_workbook

    from wzmodel.template import write_template

    tiny = example_path()
    workbook = load_workbook(write_template(book))
    for spec in table_specs().values():
        if not (tiny / f"{spec.name}.csv").exists():
            continue
        frame = pd.read_csv(tiny / f"{spec.name}.csv", keep_default_na=False,
                            dtype={c.name: str for c in spec.columns if c.dtype == "str"})
        sheet = workbook[spec.name]
        sheet.delete_rows(2, sheet.max_row)
        assert [c.value for c in sheet[1]] == list(frame.columns)
        for row in frame.itertuples(index=False):
            sheet.append([None if v == "" else v.item() if hasattr(v, "item") else v for v in row])
    workbook.save(book)
    return book
