"""Briefing figures of the baseline, the plan and the sweep: tidy DataFrames and plans in, a
matplotlib Figure out.

Every figure has a title, units in its axis labels and a legend; ids are shown by their readable
names (:mod:`.labels`) and coloured by :mod:`.palette`, the same in every figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, PercentFormatter

from wzmodel.geography import DistrictOutlines
from wzmodel.plots.labels import SOFT_NOTE, ZONE_LABELS, funder_label, option_label, role_of, target_label
from wzmodel.plots.maps import base_map
from wzmodel.plots.palette import CLASS_COLOURS, MET, MISSED, ZONE_COLOURS, funder_colour, zone_colour
from wzmodel.plots.style import money_axis
from wzmodel.targets import KINDS
from wzmodel.vocabulary import ROLES

__all__ = [
    "ZONE_LABELS",
    "baseline_shares_figure",
    "block_map",
    "coverage_figure",
    "money_by_source_figure",
    "schedule_figure",
    "target_probability_figure",
    "targets_figure",
]

def _percent_axis(ax, axis: str = "y") -> None:
    getattr(ax, f"{axis}axis").set_major_formatter(PercentFormatter(1.0, decimals=0))


def baseline_shares_figure(by_zone: pd.DataFrame) -> Figure:
    """Share of communities already basic and featured, per zone (``Assessment.by_zone``)."""
    table = by_zone.set_index("zone")
    zones = list(table.index)
    fig = Figure(figsize=(8, 4.2), layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(len(zones))
    for offset, column, label, colour in (
            (-0.2, "basic_share", "basic (or better)", CLASS_COLOURS["basic"]),
            (0.2, "featured_share", "featured", CLASS_COLOURS["featured"])):
        bars = ax.bar(x + offset, table[column], width=0.4, label=label, color=colour)
        ax.bar_label(bars, labels=[f"{v:.0%}" for v in table[column]], fontsize=8)
    ax.set_xticks(x, [f"{ZONE_LABELS.get(z, z)}\n({int(n):,} communities)"
                      for z, n in zip(zones, table["communities"], strict=True)])
    _percent_axis(ax)
    ax.set_ylabel("communities already complete (% of zone)")
    ax.set_title("Baseline: communities that already meet the standards, by zone")
    ax.legend(title="class")
    ax.grid(axis="y", alpha=0.3)
    return fig


def coverage_figure(plans: Mapping[str, object], *,
                    groups: Sequence[str] = ("main_urban+new_town", "new_market_town", "rural"),
                    targets: pd.DataFrame | None = None,
                    title: str = "Coverage trajectory by zone") -> Figure:
    """Coverage (share of communities complete at year end) over the years, one line per zone
    group and plan (solid for the first plan, dashed for the next), with coverage targets as
    markers.

    Parameters
    ----------
    plans : label → :class:`wzmodel.planner.Plan` (anything with a ``coverage`` table).
    groups : zone groups to draw.
    targets : a plan's ``targets`` table; its ``coverage`` rows are drawn as ◆ at their year,
        coloured like their zone group (not for a group no plan has a community in: met
        trivially, the lone ◆ would read as missed).
    """
    fig = Figure(figsize=(9, 5), layout="constrained")
    ax = fig.add_subplot()
    styles = ["-", "--", ":", "-."]
    drawn = set()
    for style, (label, plan) in zip(styles, plans.items(), strict=False):
        cov = plan.coverage
        for group in groups:
            rows = cov[cov["zone_group"] == group]
            if rows.empty:  # a zone group the plan has no community in
                continue
            drawn.add(group)
            name = ZONE_LABELS.get(group, group) + (f" — {label}" if len(plans) > 1 else "")
            ax.plot(rows["year"], rows["coverage_communities"], style, marker="o", markersize=3,
                    color=zone_colour(group), label=name)
    if targets is not None:
        charted = targets["kind"].map(lambda kind: KINDS[kind].on_coverage_chart).astype(bool)
        for t in targets[charted].itertuples():
            group = "+".join(t.zones) if not isinstance(t.zones, str) else t.zones
            group = group.replace(",", "+").replace(" ", "")
            if group not in drawn and group in groups:
                continue  # e.g. 黄浦's new-market-town target: no such community, met trivially
            ax.scatter([t.year], [t.required_level], marker="D", s=70, zorder=5,
                       color=zone_colour(group), edgecolors="black",
                       label=f"target {t.year}: {t.required_level:.0%} of "
                             f"{ZONE_LABELS.get(group, group)}")
    _percent_axis(ax)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("year (coverage at year end)")
    ax.set_ylabel("communities complete (% of zone group)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def targets_figure(targets: pd.DataFrame, *, title: str = "Targets: required and achieved"
                   ) -> Figure:
    """Required against achieved level of every target (``Plan.targets``): shares in %, counts
    as numbers, one panel per unit."""
    share = targets["kind"].map(lambda kind: KINDS[kind].share).astype(bool)
    shares, counts = targets[share], targets[~share]
    panels = [(p, unit) for p, unit in ((shares, "share"), (counts, "count")) if len(p)]
    # panels stacked, one row per target: long target names share one left margin
    fig = Figure(figsize=(10, 0.55 * len(targets) + 1.2 * len(panels) + 1.0),
                 layout="constrained")
    axes = fig.subplots(len(panels), 1, squeeze=False,
                        height_ratios=[len(p) + 0.6 for p, _ in panels])[:, 0]
    for ax, (panel, unit) in zip(axes, panels, strict=True):
        y = np.arange(len(panel))
        colours = [MET if m else MISSED for m in panel["met"]]
        bars = ax.barh(y, panel["achieved_level"], color=colours, height=0.5)
        ax.scatter(panel["required_level"], y, marker="|", s=400, color="black", zorder=3)
        ax.set_yticks(y, [target_label(t, with_level=False) for t in panel.itertuples()])
        ax.invert_yaxis()  # in the table's order, top down
        fmt = "{:.1%}" if unit == "share" else "{:,.0f}"
        ax.bar_label(bars, padding=4, fontsize=8, labels=[
            f"{fmt.format(a)} (needs {fmt.format(r)})"
            for a, r in zip(panel["achieved_level"], panel["required_level"], strict=True)])
        if unit == "share":
            _percent_axis(ax, "x")
            ax.set_xlim(0, 1.25)  # room for the labels past 100 %
            ax.set_xticks(np.linspace(0, 1, 6))
            ax.set_xlabel("achieved share (% of communities or streets)")
        else:  # the kinds' own units: communities, districts, ...
            units = sorted({KINDS[kind].unit for kind in panel["kind"]})
            top = float(max(panel["achieved_level"].max(), panel["required_level"].max(), 1))
            ax.set_xlim(0, 1.4 * top)
            ax.set_xlabel(f"achieved count ({', '.join(units)})")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="x", alpha=0.3)
    handles = [Line2D([], [], color=MET, lw=6, label="met"),
               Line2D([], [], color=MISSED, lw=6, label="missed"),
               Line2D([], [], color="black", marker="|", ls="", markersize=14, label="required")]
    if not targets["hard"].astype(bool).all():  # say what "soft" means where it is used
        handles.append(Line2D([], [], ls="", label=SOFT_NOTE))
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    fig.suptitle(title)
    return fig


def money_by_source_figure(money: pd.DataFrame, *, sources: pd.DataFrame | None = None,
                           title: str = "Money per year by funder") -> Figure:
    """Money paid per year stacked by funder role (``Plan.money``: year, source_id, yuan), in
    million yuan; a role's sources (the district pots) are added up. ``sources`` (source_id,
    role) gives each source's role; without it the role is read off the id's prefix."""
    frame = money.assign(role=money["source_id"].map(lambda s: role_of(s, sources)))
    table = frame.pivot_table(index="year", columns="role", values="yuan", aggfunc="sum",
                              fill_value=0.0) / 1e6
    order = [r for r in ROLES if r in table.columns] + sorted(set(table.columns) - set(ROLES))
    fig = Figure(figsize=(9, 4.6), layout="constrained")
    ax = fig.add_subplot()
    bottom = np.zeros(len(table))
    for role in order:
        ax.bar(table.index, table[role], bottom=bottom, label=funder_label(role),
               color=funder_colour(role), width=0.8)
        bottom += table[role].to_numpy()
    ax.set_xticks(table.index, [str(y) for y in table.index])
    ax.set_xlabel("year")
    ax.set_ylabel("money paid (million yuan)")
    money_axis(ax, float(table.sum(axis=1).max()) if len(table) else 0.0)
    ax.set_title(title)
    handles, labels = ax.get_legend_handles_labels()  # top of the stack first, as drawn
    ax.legend(handles[::-1], labels[::-1], title="funder", loc="upper left",
              bbox_to_anchor=(1.01, 1.0))
    ax.grid(axis="y", alpha=0.3)
    return fig


def schedule_figure(schedule: pd.DataFrame, communities: pd.DataFrame, *,
                    title: str = "Upgrades per year by zone and class") -> Figure:
    """Communities upgraded per year (``Plan.schedule``), stacked by zone, one panel per class.

    ``communities`` gives each community's zone (community_id, zone)."""
    zone = communities.set_index("community_id")["zone"]
    frame = schedule.assign(zone=schedule["community_id"].map(zone))
    years = sorted(frame["year"].unique())
    classes = [k for k in ("basic", "featured") if k in set(frame["class"])]
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    axes = fig.subplots(1, max(1, len(classes)), sharey=True, squeeze=False)[0]
    zones = [z for z in ZONE_COLOURS if z in set(frame["zone"])]
    zones += sorted(set(frame["zone"].dropna()) - set(zones))
    for ax, klass in zip(axes, classes, strict=False):
        table = (frame[frame["class"] == klass].pivot_table(
            index="year", columns="zone", values="community_id", aggfunc="count")
            .reindex(index=years, columns=zones).fillna(0))
        bottom = np.zeros(len(years))
        for z in zones:
            ax.bar(years, table[z], bottom=bottom, color=zone_colour(z), label=ZONE_LABELS.get(z, z))
            bottom += table[z].to_numpy()
        ax.set_title(f"reach {klass}")
        ax.set_xticks(years, [str(y) for y in years], rotation=45)
        ax.set_xlabel("year")
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("communities upgraded (count)")
    axes[-1].legend(title="zone")
    fig.suptitle(title)
    return fig


BLOCK_COLOURS = {"complete block": "#1a9850", "street not yet complete": "#fdae61",
                 "outside the target zones": "#bdbdbd"}


def block_map(communities: pd.DataFrame, *, title: str,
              outlines: DistrictOutlines | None = None) -> Figure:
    """Communities (x_m, y_m), coloured by their street's block status, on the base map of
    :mod:`.maps` (the data's district outlines, zoomed to the districts the communities lie in).

    ``communities`` has x_m, y_m and ``block_status`` — one of the keys of
    :data:`BLOCK_COLOURS`; a community's own completion is shown by a filled (complete) or
    hollow (not complete) marker when a boolean ``complete`` column is present.
    """
    fig = Figure(figsize=(8.5, 8), layout="constrained")
    ax = fig.add_subplot()
    complete = communities["complete"].astype(bool) if "complete" in communities else None
    for status, colour in BLOCK_COLOURS.items():
        rows = communities["block_status"] == status
        done = rows & complete if complete is not None else rows
        ax.scatter(communities.loc[done, "x_m"], communities.loc[done, "y_m"], s=14,
                   color=colour, edgecolors="none")
        if complete is not None:
            todo = rows & ~complete
            ax.scatter(communities.loc[todo, "x_m"], communities.loc[todo, "y_m"], s=14,
                       facecolors="none", edgecolors=colour, linewidths=0.9)
    handles = [Line2D([], [], marker="o", ls="", color=c, label=s)
               for s, c in BLOCK_COLOURS.items()]
    if complete is not None:
        handles.append(Line2D([], [], marker="o", ls="", mfc="none", mec="0.3",
                              label="hollow: community itself not complete"))
    fig.legend(handles=handles, title="street (block) status", loc="outside lower center",
               ncols=len(handles), fontsize=8)
    base_map(ax, outlines, points=communities)
    ax.set_title(title)
    return fig


def target_probability_figure(probabilities: pd.DataFrame, *, value: str = "probability",
                              labels: Mapping[str, str] | None = None,
                              title: str = "Probability of meeting each target") -> Figure:
    """Horizontal bars of the probability (0–1) of meeting each target; ``probabilities`` has a
    ``target`` column and ``value``, and optionally a ``lever`` column (one bar per lever
    setting; sharing options are shown by their readable names). ``labels`` names the targets
    (target id → words, e.g. from :func:`~wzmodel.plots.labels.target_label`)."""
    lever = "lever" if "lever" in probabilities else None
    targets = list(dict.fromkeys(probabilities["target"]))
    settings = list(dict.fromkeys(probabilities[lever])) if lever else [None]
    fig = Figure(figsize=(8.5, 0.7 * len(targets) * max(1, len(settings)) / 1.5 + 2),
                 layout="constrained")
    ax = fig.add_subplot()
    height = 0.8 / len(settings)
    cmap = colormaps["tab10"]
    for i, setting in enumerate(settings):
        rows = probabilities if setting is None else probabilities[probabilities[lever] == setting]
        rows = rows.set_index("target").reindex(targets)
        y = np.arange(len(targets)) + (i - (len(settings) - 1) / 2) * height
        bars = ax.barh(y, rows[value], height=height, color=cmap(i),
                       label=option_label(str(setting)) if setting is not None else "all samples")
        ax.bar_label(bars, labels=[f"{v:.0%}" for v in rows[value]], fontsize=8, padding=2)
    ax.set_yticks(np.arange(len(targets)), [(labels or {}).get(t, t) for t in targets])
    ax.invert_yaxis()
    ax.set_xlim(0, 1.1)
    _percent_axis(ax, "x")
    ax.set_xlabel("probability of meeting the target (% of samples)")
    ax.set_title(title)
    ax.legend(title=lever or "samples", loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return fig
