"""Each committee's own zone (communities.zone) and the built-in rule for a blank one: a
villagers' committee is rural, a residents' committee takes its street's zone; where the
zones come from is said by `wzmodel assess`."""

from __future__ import annotations

import pytest
from builders import met_community, write_dataset

from wzmodel.cli import main
from wzmodel.data import BUILT_IN_ZONE_RULE, load_dataset
from wzmodel.schema import InputError

S = "310101017"


def _data(folder, zones: dict[int, str]):
    """Four committees of one main-urban street: 001, 002 residents', 003, 004 villagers'."""
    communities = []
    for n in (1, 2, 3, 4):
        row = met_community(f"{S}{n:03d}", 1000, kind="residents" if n < 3 else "villagers")
        row["zone"] = zones.get(n, "")
        communities.append(row)
    return write_dataset(folder, communities, budgets={2026: 0.0})


def test_blank_zones_follow_the_built_in_rule(tmp_path):
    data = load_dataset(_data(tmp_path / "d", {}))
    assert list(data.communities["zone"]) == ["main_urban", "main_urban", "rural", "rural"]
    assert data.zone_rule == BUILT_IN_ZONE_RULE


def test_a_committee_zone_overrides_the_rule(tmp_path):
    # the user's file says villagers' committee 004 belongs to the main urban area and
    # residents' committee 002 to a new town
    data = load_dataset(_data(tmp_path / "d", {2: "new_town", 4: "main_urban"}))
    assert list(data.communities["zone"]) == ["main_urban", "new_town", "rural", "main_urban"]
    assert data.zone_rule.startswith("the zone column of communities (2 committees); the other 2:")


def test_an_unknown_zone_is_named(tmp_path):
    with pytest.raises(InputError) as err:
        load_dataset(_data(tmp_path / "d", {3: "urban"}))
    problem = next(p for p in err.value.problems if p.column == "zone")
    assert (problem.row, problem.value) == (4, "urban")  # the header is row 1
    assert problem.file.endswith("communities.csv")


def test_assess_prints_committees_per_zone_and_the_rule(tmp_path, capsys):
    folder = _data(tmp_path / "d", {4: "main_urban"})
    assert main(["assess", str(folder)]) == 0
    out = capsys.readouterr().out
    assert ("Committees per zone (of them villagers' committees): main_urban 3 (1), rural 1 (1)"
            in out)
    assert "zones from the zone column of communities (1 committee); the other 3: the built-in" \
        in out
