"""Figures of the cost-sharing workbench: clean functions from tidy DataFrames to a Figure.

Both figures take the tables of :class:`wzmodel.finance.Comparison` and draw one panel per
option with shared scales, so that options compare at a glance. Options are shown by their readable
names, districts by their Chinese name and pinyin, funders in their fixed colours (:mod:`.palette`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from wzmodel.plots.labels import district_label, option_label
from wzmodel.plots.palette import colour
from wzmodel.plots.style import money_axis

__all__ = ["district_burden_heatmap", "money_by_funder_figure"]


def money_by_funder_figure(money: pd.DataFrame, *, options: Sequence[str] | None = None,
                           funders: Sequence[str] | None = None,
                           colours: Mapping[str, str] | None = None) -> Figure:
    """Money per year stacked by funder, one panel per option (million yuan).

    Parameters
    ----------
    money : option, year, funder, yuan (e.g. ``Comparison.money``); sources of one funder (the
        district pots) are added up.
    options : panel order (default: order of appearance).
    funders : stacking and legend order (default: order of appearance); funders without money
        are left out.
    colours : funder → colour (e.g. :data:`~wzmodel.plots.palette.FUNDER_COLOURS` by label);
        a funder not in it gets its stable colour from :func:`~wzmodel.plots.palette.colour`.
    """
    options = list(options) if options is not None else list(dict.fromkeys(money["option"]))
    order = list(funders if funders is not None else dict.fromkeys(money["funder"]))
    colours = {f: colour(f, dict(colours or {})) for f in order}
    present = set(money["funder"])
    funders = [f for f in order if f in present]
    years = sorted(money["year"].unique()) if not money.empty else []
    fig = Figure(figsize=(4.2 * max(1, len(options)) + 1.5, 4.6), layout="constrained")
    axes = fig.subplots(1, max(1, len(options)), sharey=True, squeeze=False)[0]
    for ax, option in zip(axes, options, strict=False):
        block = money[money["option"] == option]
        table = (block.pivot_table(index="year", columns="funder", values="yuan", aggfunc="sum")
                 .reindex(index=years, columns=funders).fillna(0.0) / 1e6)
        bottom = np.zeros(len(years))
        for funder in funders:
            ax.bar(years, table[funder].to_numpy(), bottom=bottom, color=colours[funder],
                   label=funder, width=0.8)
            bottom += table[funder].to_numpy()
        _title(ax, option, has_plan=not block.empty)
        ax.set_xlabel("year")
        ax.set_xticks(years, [str(y) for y in years], rotation=45)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("money paid (million yuan)")
    if len(money):
        totals = money.groupby(["option", "year"])["yuan"].sum() / 1e6
        money_axis(axes[0], float(totals.max()))
    if funders:
        handles, labels = axes[0].get_legend_handles_labels()  # top of the stack first
        fig.legend(handles[::-1], labels[::-1], loc="outside right center", title="funder")
    fig.suptitle("Money per year by funder under each sharing option")
    return fig


def district_burden_heatmap(burden: pd.DataFrame, *, options: Sequence[str] | None = None,
                            value: str = "yuan_per_resident") -> Figure:
    """Each district's fiscal burden per year as a heat map, one panel per option.

    Parameters
    ----------
    burden : option, district, year and ``value`` (e.g. ``Comparison.district_burden``);
        districts are labelled by their Chinese name and pinyin.
    options : panel order (default: order of appearance).
    value : ``yuan_per_resident`` (default) or ``yuan`` (shown in million yuan).
    """
    options = list(options) if options is not None else list(dict.fromkeys(burden["option"]))
    unit = {"yuan_per_resident": ("yuan per resident", 1.0), "yuan": ("million yuan", 1e6)}
    label, divisor = unit[value]
    districts = sorted(burden["district"].unique()) if not burden.empty else []
    years = sorted(burden["year"].unique()) if not burden.empty else []
    vmax = float(burden[value].max() / divisor) if not burden.empty else 1.0
    fig = Figure(figsize=(3.6 * max(1, len(options)) + 1.5, 0.32 * len(districts) + 2.2),
                 layout="constrained")
    axes = fig.subplots(1, max(1, len(options)), sharey=True, squeeze=False)[0]
    image = None
    for ax, option in zip(axes, options, strict=False):
        block = burden[burden["option"] == option]
        grid = (block.pivot_table(index="district", columns="year", values=value,
                                  aggfunc="sum").reindex(index=districts, columns=years) / divisor)
        image = ax.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap="YlOrRd", vmin=0,
                          vmax=vmax or 1.0, interpolation="nearest")
        _title(ax, option, has_plan=not block.empty)
        ax.set_xticks(range(len(years)), [str(y) for y in years], rotation=45)
        ax.set_yticks(range(len(districts)), [district_label(d) for d in districts])
        ax.set_xlabel("year")
    axes[0].set_ylabel("district (district fiscal pot)")
    if image is not None:
        fig.colorbar(image, ax=list(axes), label=f"district fiscal spending ({label})",
                     shrink=0.9)
    fig.suptitle(f"District fiscal burden per year ({label})")
    return fig


def _title(ax, option: str, *, has_plan: bool) -> None:
    ax.set_title(option_label(option))
    if not has_plan:
        ax.text(0.5, 0.5, "no plan\n(see the solver status)", transform=ax.transAxes,
                ha="center", va="center", color="0.4")
