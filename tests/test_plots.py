"""Figures: Chinese names drawn with a real font, one resolution, fixed colours, readable labels."""

from __future__ import annotations

import io
import warnings

import matplotlib
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from wzmodel import plots
from wzmodel.plots.labels import district_label, option_label, role_of, target_label
from wzmodel.plots.palette import FUNDER_COLOURS, ZONE_COLOURS, colour, funder_colour
from wzmodel.plots.style import DPI, png_bytes
from wzmodel.vocabulary import FUNDER_LABELS, ROLES, ZONES

matplotlib.use("Agg")


def test_chinese_text_is_drawn_without_missing_glyphs():
    fig = Figure()
    ax = fig.add_subplot()
    ax.set_title("浦东 Pudong · 徐汇区 田林街道 · 人民坊 ≥ 60 %")
    ax.set_yticks([0, 1], [district_label("黄浦"), "崇明 城桥镇"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        FigureCanvasAgg(fig).draw()
    assert not [w for w in caught if "missing from font" in str(w.message)]


def test_every_figure_is_saved_at_the_house_resolution():
    assert DPI >= 150
    fig = plots.money_by_source_figure(pd.DataFrame(
        {"year": [2026, 2026, 2027], "source_id": ["city_fiscal", "district_fiscal_pudong", "owners"],
         "yuan": [3e6, 1e6, 2e6]}))
    image = Image.open(io.BytesIO(png_bytes(fig)))
    assert image.size == (round(9 * DPI), round(4.6 * DPI))
    assert png_bytes(fig) == png_bytes(fig)  # no time or version stamp


def test_one_fixed_colour_per_funder_and_zone():
    assert set(FUNDER_COLOURS) == set(ROLES) == set(FUNDER_LABELS)
    assert set(ZONES) <= set(ZONE_COLOURS)
    assert len(set(FUNDER_COLOURS.values())) == len(FUNDER_COLOURS)
    # a funder keeps its colour whichever others are in the figure
    fig = plots.money_by_source_figure(pd.DataFrame(
        {"year": [2026], "source_id": ["owners"], "yuan": [1e6]}))
    (bar,) = fig.axes[0].patches
    assert matplotlib.colors.to_hex(bar.get_facecolor()) == funder_colour("owners")
    # ids without a fixed colour get the same colour every time
    assert colour("my_zone", {}) == colour("my_zone", {})


def test_money_by_funder_uses_the_funder_colours():
    money = pd.DataFrame({"option": ["fiscal_led"] * 2, "year": [2026, 2026],
                          "funder": [FUNDER_LABELS["owners"], FUNDER_LABELS["city_fiscal"]],
                          "yuan": [1e6, 2e6]})
    fig = plots.money_by_funder_figure(
        money, colours={label: funder_colour(role) for role, label in FUNDER_LABELS.items()})
    colours = {matplotlib.colors.to_hex(p.get_facecolor()) for p in fig.axes[0].patches}
    assert colours == {funder_colour("owners"), funder_colour("city_fiscal")}
    assert fig.axes[0].get_title() == "fiscal-led"


@pytest.mark.parametrize(("row", "label"), [
    ({"kind": "coverage", "zones": "main_urban,new_town", "year": 2027, "hard": True,
      "required_level": 0.6}, "coverage of main urban area + new towns by 2027 (≥ 60%)"),
    ({"kind": "coverage", "zones": ["new_market_town"], "year": 2030, "hard": False,
      "required_level": 0.5}, "coverage of new market towns by 2030 (≥ 50%) — soft"),
    ({"kind": "new_featured", "zones": ",".join(ZONES), "year": 2027, "hard": True,
      "required_level": 15.0}, "new featured communities by 2027 (≥ 15)"),
])
def test_target_labels(row, label):
    assert target_label(row) == label


def test_labels_of_ids():
    assert option_label("fiscal_led") == "fiscal-led"
    assert option_label("my_own_option") == "my own option"
    assert district_label("浦东") == "浦东 Pudong"
    assert role_of("district_fiscal_pudong") == "district_fiscal"
    assert role_of("utility_gas") == "utility_gas"


# ------------------------------------------------------------------------------------------------
# Maps on the real district outlines
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shanghai():
    from conftest import SHANGHAI

    from wzmodel.data import load_dataset

    return load_dataset(SHANGHAI)


def _drawn_without_missing_glyphs(fig) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        FigureCanvasAgg(fig).draw()
    assert not [w for w in caught if "missing from font" in str(w.message)]


def test_district_map_fills_each_district_with_its_value(shanghai):
    from wzmodel.plots.maps import district_map

    values = {d: k / 15 for k, d in enumerate(shanghai.outlines.districts)}
    fig = district_map(values, shanghai.outlines, title="coverage", label="share")
    ax = fig.axes[0]
    patches = {p.get_label(): p for p in ax.patches}
    assert sorted(patches) == sorted(values)  # one patch per district
    cmap, norm = matplotlib.colormaps["YlGn"], matplotlib.colors.Normalize(0, 1)
    for district, value in values.items():
        assert patches[district].get_facecolor() == pytest.approx(cmap(norm(value)))
    texts = [t.get_text() for a in fig.axes for t in a.texts]
    assert "浦东 Pudong\n67%" in texts  # 10/15, roomy enough for the name on one line
    assert any(t.startswith("黄浦") and t.endswith("\n0%") for t in texts)  # in the zoomed panel
    assert len(fig.axes) == 3  # the map, the central districts zoomed, the colour bar
    _drawn_without_missing_glyphs(fig)


def test_district_map_zooms_to_its_districts(shanghai):
    from wzmodel.plots.maps import district_map

    fig = district_map({"黄浦": 0.62}, shanghai.outlines, title="黄浦", label="share")
    ax = fig.axes[0]
    x0, y0, x1, y1 = shanghai.outlines.bounds(["黄浦"])
    assert ax.get_xlim()[0] < x0 and ax.get_xlim()[1] > x1  # Huangpu whole ...
    assert ax.get_xlim()[1] - ax.get_xlim()[0] < 1.2 * max(x1 - x0, y1 - y0)  # ... and only it
    grey = matplotlib.colors.to_rgba("#e8e8e8")
    assert {p.get_label() for p in ax.patches if p.get_facecolor() != grey} == {"黄浦"}
    assert len(fig.axes) == 2  # no zoomed panel for one district
    _drawn_without_missing_glyphs(fig)


def test_scale_bar_lengths_are_round():
    from wzmodel.plots.maps import scale_bar_length

    assert scale_bar_length(132_000) == 20_000
    assert scale_bar_length(7_000) == 1_000
    assert scale_bar_length(600) == 100


def test_maps_draw_the_outlines_and_walking_reach(shanghai):
    communities = shanghai.communities[shanghai.communities["district"] == "黄浦"].head(20)
    communities = communities.assign(block_status="complete block",
                                     need_m2=100.0, served_m2=100.0)
    fig = plots.block_map(communities, title="黄浦", outlines=shanghai.outlines)
    ax = fig.axes[0]
    assert len(ax.patches) == 16  # every district's outline, Huangpu's darker
    focus = {p.get_label(): p.get_linewidth() for p in ax.patches}
    assert focus["黄浦"] > focus["静安"]
    assert ax.get_xticks().size == 0 and ax.get_yticks().size == 0  # a scale bar instead
    _drawn_without_missing_glyphs(fig)

    candidates = pd.DataFrame({"id": ["S1", "S2"], "source": ["site", "site"],
                               "x_m": communities["x_m"].iloc[:2].to_numpy(),
                               "y_m": communities["y_m"].iloc[:2].to_numpy(),
                               "opened": [True, False], "reach_m": [770.0, 770.0]})
    fig = plots.map_sites(communities, candidates, outlines=shanghai.outlines)
    (reach,) = [c for c in fig.axes[0].collections if c.get_label() == "walking reach"]
    assert len(reach.get_paths()) == 1  # around the opened site only
    radius = reach.get_paths()[0].get_extents().width / 2
    assert radius == pytest.approx(770.0, rel=0.01)
    _drawn_without_missing_glyphs(fig)


def test_a_target_of_a_zone_group_without_communities_is_not_drawn():
    """黄浦 has no new market town: its 2030 target there is met trivially, and a ◆ at 50 %
    with no line beside it would read as a target missed."""
    from types import SimpleNamespace

    coverage = pd.DataFrame({"zone_group": "main_urban+new_town", "year": [2026, 2027],
                             "coverage_communities": [0.5, 0.6]})
    targets = pd.DataFrame([
        {"kind": "coverage", "zones": "main_urban,new_town", "year": 2027, "required_level": 0.6},
        {"kind": "coverage", "zones": "new_market_town", "year": 2030, "required_level": 0.5}])
    fig = plots.coverage_figure({"plan": SimpleNamespace(coverage=coverage)}, targets=targets)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels == ["main urban area + new towns", "target 2027: 60% of main urban area + new towns"]
