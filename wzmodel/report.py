"""The briefing page: one self-contained ``report.html`` per plan, comparison and sweep, readable
by a director in two minutes.

The page answers each target (met or missed, required against achieved), shows coverage in
2027/2030/2035 by zone and by district, money by funder and year, the plan against the rule of
thumb at equal money (each re-made with the other's money) and why the rule leaves money
unspent, the communities upgraded in the first two years by name, the solver's status in plain
words and the assumptions behind the answer. Figures are embedded as base64 PNG and the style
sheet is inline: the file opens with no network and no script. It is rendered from a Jinja2
template (``templates/report.html.j2``) and holds no time stamp and no absolute path, so the
same plan gives the same bytes.

Each section is computed from a :class:`~wzmodel.planner.Plan` (``plan`` below: this module
imports neither plans nor comparisons, which write their pages through it; the comparison's page
is :meth:`wzmodel.finance.Comparison.briefing_page`) by one small function below;
sources and years come from the plan's problem (rebuilt from ``plan.json`` for a plan
read back from its folder).
"""

from __future__ import annotations

import base64
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from wzmodel.planner.problem import PlanningProblem, prepare
from wzmodel.scenario import Scenario
from wzmodel.targets import KINDS
from wzmodel.vocabulary import HEADLINE_YEARS, ROLES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from wzmodel.solver import SolveOutcome

__all__ = ["WEAK_GAP", "embedded_png", "is_weak", "page_table", "plain_status", "plan_page",
           "render_page", "settings_in_words", "target_rows", "weak"]

FIRST_YEARS = 2
"""The page names the communities upgraded in this many first years of the plan."""
ZONE_ROWS = ("main_urban+new_town", "new_market_town", "rural", "all")


WEAK_GAP = 0.05
"""A plan found within the solver's limits further than this from the best possible (or with no
bound) is called weak, not good (e.g. a city budget cut whose search ends at its start: 87 %)."""


def is_weak(outcome: SolveOutcome | None) -> bool:
    """A plan found within the solver's limits further than :data:`WEAK_GAP` from the best
    possible, or with no bound."""
    return outcome is not None and weak(outcome.status, outcome.gap)


def weak(status: str, gap: float | None) -> bool:
    """:func:`is_weak` from a solve's status and gap (None or NaN: no bound), as a sweep's
    results table holds them."""
    return status == "feasible" and not (gap is not None and gap <= WEAK_GAP)  # NaN: no bound


def _percent_beside_weak(gap: float) -> str:
    """A gap in per cent to one decimal, or two where one would put it on the wrong side of
    :data:`WEAK_GAP` (a weak 5.05 % is not shown as "5.0 %")."""
    one = f"{100 * gap:.1f}"
    return one if (float(one) <= 100 * WEAK_GAP) == (gap <= WEAK_GAP) else f"{100 * gap:.2f}"


def plain_status(outcome: SolveOutcome | None) -> str:
    """The solver's outcome in words a director reads: ``best plan found, at most 0.3 % from the
    best possible``."""
    if outcome is None:
        return "a given schedule, evaluated (not optimised)"
    gap = (f", at most {_percent_beside_weak(outcome.gap)} % from the best possible"
           if outcome.gap is not None else ", with no bound on how far from the best it is")
    return {
        "optimal": f"best plan found{gap}",
        "feasible": f"a {'weak' if is_weak(outcome) else 'good'} plan found within the solver's "
                    f"limits{gap}",
        "infeasible": "no plan: the hard targets cannot be met with this money (see the diagnosis)",
        "no_solution": "no plan: the solver found none within its limits",
    }.get(outcome.status, f"no plan: the solver failed ({outcome.message})")


def problem_of(plan) -> PlanningProblem:
    """The problem a plan was made for: kept in memory, else rebuilt from its scenario."""
    if plan.problem is not None:
        return plan.problem
    return prepare(Scenario.model_validate(plan.meta["scenario_config"]))


def target_rows(plan) -> list[dict]:
    """One row per target: words, the answer, required and achieved."""
    from wzmodel.plots.labels import target_label

    described = plan.meta.get("scenario_config", {}).get("targets", {})
    rows = []
    for t in plan.targets.itertuples():
        fmt = "{:.1%}" if KINDS[t.kind].share else "{:,.0f}"
        rows.append({
            "label": target_label(t, with_level=False),
            "description": (described.get(t.target) or {}).get("description", ""),
            "hard": bool(t.hard), "met": bool(t.met),
            "required": fmt.format(t.required_level), "achieved": fmt.format(t.achieved_level),
        })
    return rows


def coverage_by_zone(plan) -> pd.DataFrame:
    """Share of communities complete at the end of each headline year, per zone group."""
    from wzmodel.plots.labels import zone_label

    c = plan.coverage[plan.coverage["year"].isin(HEADLINE_YEARS)]
    table = c.pivot(index="zone_group", columns="year", values="coverage_communities")
    table = table.reindex([g for g in ZONE_ROWS if g in table.index])
    table.index = [zone_label(g) for g in table.index]
    return table


def coverage_by_district(plan) -> pd.DataFrame:
    """Share of each district's communities complete (basic or better) at the end of each
    headline year, with the district's number of communities (the plan's per-district table)."""
    from wzmodel.plots.labels import district_label

    c = plan.district_coverage[plan.district_coverage["year"].isin(HEADLINE_YEARS)]
    table = c.pivot(index="district", columns="year", values="coverage_communities")
    table.insert(0, "communities", c.groupby("district")["communities"].first())
    table.index = [district_label(d) for d in table.index]
    table.columns.name = None
    return table


def district_coverage_map(plan, outlines) -> Figure | None:
    """The share of each district's communities complete at the end of the first headline year,
    on the real district outlines (None when the data has no outlines)."""
    from wzmodel.plots.labels import district_label
    from wzmodel.plots.maps import district_map

    years = [y for y in HEADLINE_YEARS if y in set(plan.district_coverage["year"])]
    if outlines is None or not years:
        return None
    rows = plan.district_coverage[plan.district_coverage["year"] == years[0]]
    values = rows.set_index("district")["coverage_communities"]
    planned = ", ".join(district_label(d) for d in values.index) if len(values) <= 3 else ""
    return district_map(values, outlines, label=f"communities complete at the end of {years[0]} "
                        "(% of the district's)",
                        title=f"Coverage by district, end of {years[0]}"
                              + (f": {planned}" if planned else ""))


def burden_by_district(plan) -> pd.DataFrame:
    """What each district's own fiscal pot pays per resident (yuan) in each year and over all
    years, with the total in million yuan — the plan's ``district_burden`` table, wide."""
    from wzmodel.plots.labels import district_label

    b = plan.district_burden
    table = b.pivot(index="district", columns="year", values="yuan_per_resident")
    totals = b.groupby("district")[["yuan", "residents"]].agg({"yuan": "sum", "residents": "first"})
    table["all years"] = totals["yuan"] / totals["residents"]
    table.insert(0, "all years, million yuan", totals["yuan"] / 1e6)
    table.index = [district_label(d) for d in table.index]
    table.columns.name = None
    return table


def money_by_funder(plan, sources: pd.DataFrame | None) -> pd.DataFrame:
    """Million yuan per funder role (rows, in the contract's order) and year, with totals."""
    from wzmodel.plots.labels import funder_label, role_of

    m = plan.money.assign(role=plan.money["source_id"].map(lambda s: role_of(s, sources)))
    table = m.pivot_table(index="role", columns="year", values="yuan", aggfunc="sum",
                          fill_value=0.0) / 1e6
    table = table.reindex([r for r in ROLES if r in table.index]
                          + sorted(set(table.index) - set(ROLES)))
    table["all years"] = table.sum(axis=1)
    table.loc["total"] = table.sum(axis=0)
    table.index = [funder_label(r) for r in table.index[:-1]] + ["total"]
    return table


def against_the_rule(plan) -> pd.DataFrame | None:
    """The plan, the rule of thumb and each at the other's money (the plan's
    ``equal_money_table``), each cell written in its row's unit; None without that comparison."""
    table = plan.equal_money_table()
    if table is None:
        return None
    formats = {"million yuan": "{:,.1f}", "targets": "{:.0f}", "share of communities": "{:.1%}"}
    large = table.drop(columns="unit").abs().max().max() >= 1000

    def cell(value: float, unit: str) -> str:
        if value != value:
            return "–"
        return formats.get(unit, "{:,.0f}" if large else "{:,.1f}").format(value)

    shown = pd.DataFrame([[cell(v, row["unit"]) for v in row.drop("unit")]
                          for _measure, row in table.iterrows()],
                         index=table.index, columns=table.columns.drop("unit"))
    shown.index = [f"{m} ({u})" if u in ("million yuan",) else m
                   for m, u in zip(table.index, table["unit"], strict=True)]
    return shown


def first_communities(plan) -> pd.DataFrame:
    """The upgrades of the plan's first :data:`FIRST_YEARS` years: year, class, community name,
    street, district."""
    first = plan.first_years(FIRST_YEARS).rename(columns={"name": "community"})
    return first[["year", "class", "community", "street", "district"]]


def assumptions(plan) -> list[tuple[str, str]]:
    """The settings that drive the plan's answer, in words."""
    return settings_in_words(plan.meta.get("scenario_config", {}),
                             str(plan.meta.get("sharing_option", "")), plan.meta.get("area"))


def settings_in_words(config: dict, sharing_option: str, area: dict | None = None
                      ) -> list[tuple[str, str]]:
    """A scenario's settings that drive an answer, in words: ``config`` is the scenario dumped
    to JSON values, ``area`` its area as a plan's metadata holds it (None: the whole city)."""
    from wzmodel.plots.labels import option_label

    funding = config.get("funding", {})
    solver = config.get("solver", {})
    objective = config.get("objective", {})
    rows = [
        ("years planned", f"{config.get('first_year')}–{config.get('last_year')}"),
        ("sharing option", option_label(sharing_option)),
        ("budgets", f"× {_scale(funding.get('budget_scale', 1.0))}"
         + (f"; per source: {_scales(funding['source_scale'])}" if funding.get("source_scale") else "")
         + (f"; per district: {_scales(funding['district_budget_scale'])}"
            if funding.get("district_budget_scale") else "")
         + ("; unspent money carries over" if funding.get("carry_over") else
            "; unspent money is lost at year end")),
        ("unit costs", "standards' working defaults" + (
            f"; × {_scales(funding['cost_scale'])}" if funding.get("cost_scale") else "") + (
            f"; per district: × {_scales(funding['district_cost_scale'])}"
            if funding.get("district_cost_scale") else "")),
        ("objective", str(objective.get("kind", "")).replace("_", " ")
         + (f", weighted by {objective['weight']}" if objective.get("weight") else "")),
        ("solver limits", f"gap {100 * solver.get('gap', 0):g} %, time limit "
         f"{solver.get('time_limit')} s" + (f", node limit {solver['node_limit']}"
                                            if solver.get("node_limit") else "")),
    ]
    if area:
        from wzmodel.planner.area import describe_area

        rows.append(("area", describe_area(area)))
    return rows


def _scales(scales: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(scales.items()))


def _scale(scale: float | dict) -> str:
    """A multiplier for every year (``0.9``) or by year (``2026: 0.9, 2027: 0.8``)."""
    if isinstance(scale, dict):
        return ", ".join(f"{year}: {factor:g}" for year, factor in sorted(scale.items()))
    return f"{scale:g}"


# ------------------------------------------------------------------------------------------------
# Pages
# ------------------------------------------------------------------------------------------------
def plan_page(plan) -> str:
    """The briefing page of one plan (HTML text)."""
    from wzmodel import plots

    problem = problem_of(plan)
    solved = plan.outcome is None or plan.outcome.has_solution
    sources = problem.dataset.sources
    figures, district_png = [], None
    if solved:
        district_figure = district_coverage_map(plan, problem.dataset.outlines)
        district_png = embedded_png(district_figure) if district_figure is not None else None
        figures = [
            *([embedded_png(plots.targets_figure(plan.targets))] if not plan.targets.empty else []),
            embedded_png(plots.coverage_figure({plan.name: plan}, targets=plan.targets,
                                       title="Coverage by zone, year by year")),
            embedded_png(plots.money_by_source_figure(plan.money, sources=sources)),
        ]
    rule = against_the_rule(plan) if solved else None
    return render_page(
        "report.html.j2",
        title=f"Plan: {plan.name}",
        description=plan.meta.get("scenario_config", {}).get("description", ""),
        status=plain_status(plan.outcome), status_ok=solved, status_weak=is_weak(plan.outcome),
        diagnosis=plan.diagnosis,
        targets=target_rows(plan) if solved else [],
        zones=page_table(coverage_by_zone(plan), percent=True) if solved else None,
        districts=page_table(coverage_by_district(plan), percent=True) if solved else None,
        district_map=district_png,
        money=page_table(money_by_funder(plan, sources)) if solved else None,
        rule=page_table(rule) if rule is not None else None,
        findings=plan.equal_money_findings() if rule is not None else [],
        first=page_table(first_communities(plan), index=False) if solved else None,
        first_years=problem.years[:FIRST_YEARS],
        figures=figures,
        assumptions=assumptions(plan),
        data_note=plan.meta.get("data_note", ""),
    )


# ------------------------------------------------------------------------------------------------
def page_table(frame: pd.DataFrame, *, percent: bool = False, index: bool = True) -> dict:
    """A table as strings for the template: shares in %, amounts with thousands separators and
    as many decimals as the table's largest amount calls for (the same in every cell)."""
    numbers = frame.select_dtypes("float").abs().max().max() if len(frame) else 0.0
    decimals = 2 if not numbers >= 10 else 1 if numbers < 1000 else 0

    def cell(value) -> str:
        if isinstance(value, (bool, np.bool_)):
            return "yes" if value else "no"
        if isinstance(value, (int, np.integer)):  # counts and years: never a percentage
            return f"{value:,}" if abs(value) >= 10_000 else str(value)
        if isinstance(value, (float, np.floating)):
            if np.isnan(value):
                return "–"
            if percent:
                return f"{value:.1%}"
            return f"{value:,.{decimals}f}"
        return "" if value is None else str(value)

    head = ([frame.index.name or ""] if index else []) + [str(c) for c in frame.columns]
    body = [([str(i)] if index else []) + [cell(v) for v in row]
            for i, row in zip(frame.index, frame.itertuples(index=False), strict=True)]
    return {"head": head, "rows": body}


def embedded_png(figure: Figure) -> str:
    from wzmodel.plots.style import png_bytes

    return base64.b64encode(png_bytes(figure)).decode("ascii")


@cache
def _environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("wzmodel", "templates"),
                              autoescape=True, trim_blocks=True, lstrip_blocks=True,
                              undefined=jinja2.StrictUndefined)


def render_page(template: str, **context) -> str:
    """Render twice: the second time with the CJK font, cut down to the characters the page
    uses, embedded as a data URL — a browser without a Chinese font still shows the names."""
    page = _environment().get_template(template)
    return page.render(font=_font_subset(page.render(font="", **context)), **context)


def _font_subset(text: str) -> str:
    """Noto Sans SC with only the non-ASCII characters of ``text`` (a few kB), base64."""
    import io

    import pylopdf_fonts_zh_cn
    from fontTools import subset

    chars = sorted({ch for ch in text if ord(ch) > 0x7F})
    if not chars:
        return ""
    options = subset.Options()
    options.name_IDs = ["*"]  # keep the family name and the licence (SIL OFL) in the font
    font = subset.load_font(str(pylopdf_fonts_zh_cn.sans_path()), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(chars))
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    font.close()  # it keeps the font file open for lazy reads
    return base64.b64encode(buffer.getvalue()).decode("ascii")
