"""Figures: tidy DataFrames and results in, a matplotlib Figure out — one import for notebooks.

=====================  ==========================================================================
:mod:`.briefing`       the baseline, the plan (coverage, targets, money, schedule, block map) and
                       the sweep (probability of meeting each target)
:mod:`.finance`        sharing options side by side (money by funder, district burden)
:mod:`.siting`         the map of a siting result
:mod:`.palette`        one colour per zone, funder role and district, the same in every figure
:mod:`.labels`         readable names of zones, funders, sources, options, targets, districts
:mod:`.style`          the resolution (:data:`~.style.DPI`), the CJK font, saving PNGs
=====================  ==========================================================================

Importing this package registers the CJK font (Noto Sans SC, from a Python package) with
matplotlib, so Chinese names are drawn as they are written, and sets every figure to
:data:`~wzmodel.plots.style.DPI`.
"""

from __future__ import annotations

from wzmodel.plots.briefing import (
    baseline_shares_figure,
    block_map,
    coverage_figure,
    money_by_source_figure,
    schedule_figure,
    target_probability_figure,
    targets_figure,
)
from wzmodel.plots.finance import district_burden_heatmap, money_by_funder_figure
from wzmodel.plots.labels import ZONE_LABELS, district_label, option_label, target_label
from wzmodel.plots.siting import map_sites
from wzmodel.plots.style import DPI, save_figure, use_house_style
from wzmodel.vocabulary import DISTRICT_PINYIN, romanise

__all__ = [
    "DISTRICT_PINYIN",
    "DPI",
    "ZONE_LABELS",
    "baseline_shares_figure",
    "block_map",
    "coverage_figure",
    "district_burden_heatmap",
    "district_label",
    "map_sites",
    "money_by_funder_figure",
    "money_by_source_figure",
    "option_label",
    "romanise",
    "save_figure",
    "schedule_figure",
    "target_label",
    "target_probability_figure",
    "targets_figure",
]

use_house_style()
