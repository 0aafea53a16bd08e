"""Figures: tidy DataFrames and results in, a matplotlib Figure out — one import for notebooks.

=====================  ==========================================================================
:mod:`.briefing`       the baseline, the plan (coverage, targets, money, schedule, block map) and
                       the sweep (probability of meeting each target)
:mod:`.finance`        sharing options side by side (money by funder, district burden)
:mod:`.siting`         the map of a siting result
=====================  ==========================================================================

Chinese names are romanised (:func:`romanise`), since the default fonts have no CJK glyphs.
"""

from __future__ import annotations

from wzmodel.plots.briefing import (
    ZONE_LABELS,
    baseline_shares_figure,
    block_map,
    coverage_figure,
    money_by_source_figure,
    schedule_figure,
    target_probability_figure,
    targets_figure,
)
from wzmodel.plots.finance import district_burden_heatmap, money_by_funder_figure
from wzmodel.plots.siting import map_sites
from wzmodel.vocabulary import DISTRICT_PINYIN, romanise

__all__ = [
    "DISTRICT_PINYIN",
    "ZONE_LABELS",
    "baseline_shares_figure",
    "block_map",
    "coverage_figure",
    "district_burden_heatmap",
    "map_sites",
    "money_by_funder_figure",
    "money_by_source_figure",
    "romanise",
    "schedule_figure",
    "target_probability_figure",
    "targets_figure",
]
