"""The cost-sharing workbench for finance staff: who pays what under which sharing option.

Four questions, one function each:

* :func:`compare` — re-plan several scenarios (typically one per sharing option) and put them side
  by side: coverage in 2027/2030/2035, targets met, money per source and year, each district's
  fiscal burden (total and per resident), leverage (non-fiscal yuan per fiscal yuan) and the
  district budgets that are used up. :meth:`Comparison.write` saves every plan (checkable with
  ``wzmodel check``), an Excel workbook laid out for finance staff and the figures.
* :func:`marginal_value` — what one more 100 M yuan from a source buys: re-solves with that
  source's budget raised, plus LP-relaxation duals of the budget rows as a fast indication
  (it lives in :mod:`wzmodel.planner.marginal`, which reads the model's budget rows by key, and
  is re-exported here).
* :func:`split_shared_cost` — fair division of a shared service complex among the communities or
  districts it serves (proportional, Shapley, nucleolus from :mod:`wzmodel.sharing`), with
  :func:`service_complex_cost` as the documented stand-alone cost function.
* :func:`load_sharing_option` / :func:`scenario_with_option` — a sharing option written in Excel
  (template: ``data/templates/sharing_option_template.xlsx``), validated and injected into a run.

Money is in yuan throughout; "fiscal" means the sources whose role is ``city_fiscal`` or
``district_fiscal``.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from wzmodel.data import Dataset, dataset_with_sharing, load_dataset, sharing_problems
from wzmodel.io import atomic_folder, write_csv, write_excel
from wzmodel.planner import Plan, make_plan, prepare
from wzmodel.planner.marginal import MAIN_ZONE_GROUP, marginal_value
from wzmodel.planner.problem import PlanningProblem
from wzmodel.scenario import Scenario
from wzmodel.schema import InputError, Problem, read_table, table_specs
from wzmodel.sharing import CostGame, nucleolus, proportional, shapley
from wzmodel.standards import load_standards
from wzmodel.vocabulary import DISTRICT_PINYIN, FUNDER_LABELS, HEADLINE_YEARS
from wzmodel.workbook import outcome_in_words

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "FISCAL_ROLES",
    "Comparison",
    "compare",
    "dataset_with_sharing",
    "district_labels",
    "load_sharing_option",
    "marginal_value",
    "scenario_with_option",
    "scenario_with_sharing_xlsx",
    "service_complex_cost",
    "service_floor_gap_m2",
    "split_shared_cost",
]

log = logging.getLogger(__name__)

FISCAL_ROLES = ("city_fiscal", "district_fiscal")
CAP_USED_SHARE = 0.99
"""A budget counts as used up ("at its cap") when this share of it is spent."""


# ============================================================================================
# Comparing sharing options
# ============================================================================================
@dataclass
class Comparison:
    """Several plans side by side.

    Attributes
    ----------
    summary : one row per option: option (scenario name), sharing_option, status, gap,
        coverage_2027/2030/2035 (share of communities complete in the main urban area and new
        towns), targets_met, targets, money_total_yuan, fiscal_yuan, non_fiscal_yuan, leverage
        (non-fiscal yuan per fiscal yuan), districts_at_cap, diagnosis. Options without a solution
        keep their status and diagnosis, with blank figures.
    targets : option, target, kind, year, hard, required_level, achieved_level, met.
    coverage : option, year, zone_group, coverage_communities, coverage_households (shares).
    money : option, year, source_id, source (its name), role, funder, fiscal, yuan — per source
        and year.
    district_burden : option, district, district_label, year, yuan, residents, yuan_per_resident —
        what each district's fiscal pot pays (every district and year, zeros included).
    budget_use : option, source_id, source, role, district, year, spent_yuan, available_yuan,
        used_share, at_cap — spending against the budget (both cumulative when money carries
        over).
    district_coverage : option and each plan's ``district_coverage`` (coverage per district and
        year).
    district_money : option and each plan's ``district_money`` (money spent in each district by
        source and year).
    plans : the plans, by option.
    """

    summary: pd.DataFrame
    targets: pd.DataFrame
    coverage: pd.DataFrame
    money: pd.DataFrame
    district_burden: pd.DataFrame
    budget_use: pd.DataFrame
    district_coverage: pd.DataFrame
    district_money: pd.DataFrame
    plans: dict[str, Plan] = field(default_factory=dict)
    external_sharing: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def options(self) -> list[str]:
        return list(self.summary["option"])

    # ----------------------------------------------------------------------------------------
    def side_by_side(self) -> pd.DataFrame:
        """Headline figures: one row per metric (with its unit), one column per option."""
        s = self.summary.set_index("option")
        rows: list[tuple[str, str, pd.Series]] = [
            ("solver status", "", s["status"]),
            ("solver gap", "%", 100 * s["gap"]),
        ]
        rows += [(f"coverage {y} (main urban + new towns)", "% of communities",
                  100 * s[f"coverage_{y}"]) for y in HEADLINE_YEARS]
        rows += [
            ("targets met", "count", pd.Series(
                [f"{_count(met)} of {_count(n)}" for met, n in zip(s["targets_met"], s["targets"],
                                                                  strict=True)], index=s.index)),
            ("money, all sources", "M yuan", s["money_total_yuan"] / 1e6),
            ("fiscal money (city + districts)", "M yuan", s["fiscal_yuan"] / 1e6),
            ("non-fiscal money", "M yuan", s["non_fiscal_yuan"] / 1e6),
            ("leverage", "non-fiscal yuan per fiscal yuan", s["leverage"]),
        ]
        for funder, block in self.money.groupby("funder", sort=False):
            total = block.groupby("option")["yuan"].sum().reindex(s.index, fill_value=0.0)
            total = total.where(s["status"].isin(["optimal", "feasible"]))
            rows.append((f"  {funder}", "M yuan", total / 1e6))
        table = pd.DataFrame({name: values for name, _, values in rows}).T
        table.insert(0, "unit", [unit for _, unit, _ in rows])
        table.index.name = "metric"
        return table.reset_index()

    def within_gap(self) -> list[tuple[str, str]]:
        """Pairs of options the solver cannot rank: both planned for the same objective, and
        the ranges between each plan's objective and its proven bound overlap — either could be
        the better option, so the differences between their plans (coverage, who pays) are
        within the solver's gap and are not findings."""
        ranges = {}
        for option, plan in self.plans.items():
            o = plan.outcome
            if o is not None and o.has_solution and o.objective is not None and o.bound is not None:
                objective = plan.meta.get("scenario_config", {}).get("objective")
                ranges[option] = (min(o.objective, o.bound), max(o.objective, o.bound), str(objective))
        options = [o for o in self.options if o in ranges]
        return [(a, b) for n, a in enumerate(options) for b in options[n + 1:]
                if ranges[a][2] == ranges[b][2]
                and max(ranges[a][0], ranges[b][0]) <= min(ranges[a][1], ranges[b][1])]

    def within_gap_notes(self) -> list[str]:
        """:meth:`within_gap` in words."""
        return [f"{a} and {b} are within the solver's gap of each other: which is better is not "
                "proven, and the differences between their plans (coverage, money by funder) are "
                "not findings — lower solver.gap to tell them apart."
                for a, b in self.within_gap()]

    def money_by_source(self) -> pd.DataFrame:
        """Total money per source over all years: source_id, source, role, one column per option
        (yuan)."""
        wide = self.money.pivot_table(index=["source_id", "source", "role"], columns="option",
                                      values="yuan",
                                      aggfunc="sum", fill_value=0.0)
        return wide.reindex(columns=self.options, fill_value=0.0).reset_index()

    def text(self) -> str:
        """The readable side-by-side table the CLI prints."""
        table = self.side_by_side()
        shown = table.copy()
        for option in self.options:
            shown[option] = [_fmt(v) for v in table[option]]
        lines = ["Sharing options side by side", "",
                 shown.to_string(index=False), ""]
        burden = self.district_burden.groupby(["option", "district_label"])["yuan"].sum()
        if not burden.empty:
            wide = (burden.unstack("option").reindex(columns=self.options) / 1e6).round(1)
            lines += ["District fiscal burden, all years (M yuan):",
                      wide.rename_axis(index="district", columns=None).to_string(na_rep="–"),
                      ""]
        lines.append(f"District fiscal budgets used up (≥ {CAP_USED_SHARE:.0%} spent in some "
                     "year, cumulatively with carry-over):")
        for row in self.summary.itertuples():
            lines.append(f"  {row.option}: {row.districts_at_cap or 'none'}")
        lines.append("")
        for row in self.summary.itertuples():
            if row.diagnosis:
                lines += [f"{row.option}: {row.diagnosis}", ""]
        lines += [*self.within_gap_notes(), ""] if self.within_gap() else []
        lines += self.data_notes()
        return "\n".join(lines)

    def briefing_page(self) -> str:
        """The briefing page of a comparison of sharing options (HTML text)."""
        from wzmodel import plots
        from wzmodel.plots.labels import option_label
        from wzmodel.plots.palette import funder_colour
        from wzmodel.report import embedded_png, page_table, plain_status, render_page, target_rows
        from wzmodel.vocabulary import FUNDER_LABELS

        options = self.options
        side = self.side_by_side()
        side.columns = [option_label(c) if c in options else c for c in side.columns]
        sections = []
        for option in options:
            plan = self.plans.get(option)
            sections.append({"option": option_label(option), "status": plain_status(
                plan.outcome if plan is not None else None) if plan is not None else "no plan",
                "targets": target_rows(plan) if plan is not None and plan.outcome.has_solution else []})
        figures = [
            embedded_png(plots.money_by_funder_figure(
                self.money, options=options, funders=list(FUNDER_LABELS.values()),
                colours={label: funder_colour(role) for role, label in FUNDER_LABELS.items()})),
            embedded_png(plots.district_burden_heatmap(self.district_burden, options=options)),
        ]
        return render_page("comparison.html.j2", title="Sharing options compared",
                           side=page_table(side, index=False), sections=sections,
                           within_gap=self.within_gap_notes(),
                           figures=figures,
                           data_note=" ".join(self.data_notes()))

    def data_notes(self) -> list[str]:
        """The data notes of the plans' data folders, each once."""
        return list(dict.fromkeys(p.meta.get("data_note", "") for p in self.plans.values()))

    # ----------------------------------------------------------------------------------------
    def workbook_sheets(self) -> dict[str, pd.DataFrame]:
        """The workbook's views, one frame per sheet, units in the column headers."""
        by_source = self.money_by_source()
        by_source[self.options] = by_source[self.options] / 1e6
        by_year = (self.money.pivot_table(index=["year", "source_id", "source", "role"],
                                          columns="option",
                                          values="yuan", aggfunc="sum", fill_value=0.0)
                   .reindex(columns=self.options, fill_value=0.0) / 1e6).reset_index()
        burden = (self.district_burden.pivot_table(
            index=["district", "district_label", "year"], columns="option", values="yuan",
            aggfunc="sum", fill_value=0.0).reindex(columns=self.options, fill_value=0.0) / 1e6
        ).reset_index()
        unsolved = [o for o, ok in zip(self.options, self.summary["status"].isin(
            ["optimal", "feasible"]), strict=True) if not ok]
        for frame in (by_source, by_year, burden):
            frame[self.options] = frame[self.options].round(6)
            frame[unsolved] = math.nan  # no plan: blank, not zero
        in_words = {o: outcome_in_words(p.outcome) for o, p in self.plans.items()}
        return {
            "summary": pd.concat([pd.DataFrame([{"metric": "solver, in words", "unit": "",
                                                 **in_words}]),
                                  self.side_by_side(), pd.DataFrame(
                [{"metric": "districts at budget cap", "unit": "", **dict(zip(
                    self.options, self.summary["districts_at_cap"], strict=True))}])],
                ignore_index=True),
            "money_by_source": by_source,
            "money_by_year": by_year,
            "district_burden": burden,
            "burden_per_resident": self._per_resident_sheet(),
            "budget_use": self.budget_use,
            "districts_at_cap": self._at_cap_sheet(),
            "targets": self.targets,
            "coverage": self.coverage,
            "district_coverage": self.district_coverage,
            "district_money": self.district_money,
            "assumptions": self._assumption_blocks(),
        }

    def _assumption_blocks(self) -> list[tuple[str, pd.DataFrame]]:
        """Data notes, then each option's solver, multipliers, budgets and sharing splits."""
        blocks = [("Data note", pd.DataFrame({"note": self.data_notes()}))]
        for option, plan in self.plans.items():
            blocks += [(f"{option}: {title}", frame)
                       for title, frame in plan.assumption_blocks() if title != "Data note"
                       and not title.startswith("Unit costs")]
        first = next(iter(self.plans.values()), None)
        if first is not None and "unit_costs" in first.assumptions:
            blocks.append(("Unit costs of the standards (yuan per gap unit)",
                           first.assumptions["unit_costs"]))
        return blocks

    def _per_resident_sheet(self) -> pd.DataFrame:
        b = self.district_burden
        wide = b.pivot_table(index=["district", "district_label", "year", "residents"],
                             columns="option", values="yuan_per_resident", aggfunc="sum")
        wide = wide.reindex(columns=self.options).reset_index()
        if not b.empty:  # city-wide row: all districts' burden over all their residents
            residents = b.drop_duplicates("district")["residents"].sum()
            total = {o: b.loc[b["option"] == o, "yuan"].sum() / residents
                     for o in set(b["option"])}
            wide = pd.concat([wide, pd.DataFrame([{"district": "all districts, all years",
                                                   "residents": residents, **total}])],
                             ignore_index=True)
        return wide

    def _at_cap_sheet(self) -> pd.DataFrame:
        u = self.budget_use
        capped = u[u["at_cap"] & (u["role"] == "district_fiscal")]
        return (capped.groupby(["option", "district", "source_id"], as_index=False)["year"]
                .agg(lambda ys: ", ".join(map(str, sorted(ys))))
                .rename(columns={"year": "years_at_cap"}))

    def to_excel(self, path: str | Path) -> None:
        """The finance workbook: one sheet per view, totals rows, frozen headers."""
        units = {"spent_yuan": "yuan", "available_yuan": "yuan", "used_share": "share",
                 "coverage_communities": "share", "coverage_households": "share",
                 "required_level": "share or count", "achieved_level": "share or count",
                 "yuan": "yuan", "residents": "persons", "yuan_per_resident": "yuan/resident"}
        million = dict.fromkeys(self.options, "million yuan")
        write_excel(self.workbook_sheets(), Path(path), units=units,
                    sheet_units={"money_by_source": million, "money_by_year": million,
                                 "district_burden": million,
                                 "burden_per_resident": dict.fromkeys(self.options,
                                                                      "yuan/resident")},
                    totals={"money_by_source", "money_by_year", "district_burden"})

    def figures(self) -> dict[str, Figure]:
        """The comparison's figures by file stem (see :mod:`wzmodel.plots.finance`)."""
        # matplotlib only when figures are drawn: planning without plotting needs no backend
        from wzmodel.plots import district_burden_heatmap, money_by_funder_figure
        from wzmodel.plots.palette import funder_colour

        return {"money_by_funder": money_by_funder_figure(
                    self.money, options=self.options, funders=list(FUNDER_LABELS.values()),
                    colours={label: funder_colour(role) for role, label in FUNDER_LABELS.items()}),
                "district_burden_per_resident": district_burden_heatmap(
                    self.district_burden, options=self.options)}

    def write(self, folder: str | Path) -> Path:
        """Write atomically: each plan under ``folder/<option>/``, the summary tables as CSV,
        ``comparison.xlsx``, the figures as PNG and the briefing page ``report.html``. Options
        without a solution get no plan folder (their status and diagnosis are in the summary)."""
        from wzmodel.plots.style import save_figure

        with atomic_folder(folder, "compare") as tmp:
            for option, plan in self.plans.items():
                if plan.outcome.has_solution:
                    plan.write(tmp / option)
                    if option in self.external_sharing:  # lets the checker rebuild the option
                        write_csv(self.external_sharing[option],
                                  tmp / option / "sharing_option.csv")
            for name in ("summary", "targets", "coverage", "money", "district_burden",
                         "budget_use", "district_coverage", "district_money"):
                write_csv(getattr(self, name), tmp / f"{name}.csv")
            self.to_excel(tmp / "comparison.xlsx")
            for stem, figure in self.figures().items():
                save_figure(figure, tmp / f"{stem}.png")
            (tmp / "report.html").write_text(self.briefing_page(), encoding="utf-8")
        return Path(folder)


def compare(scenarios: Sequence[Scenario], *,
            datasets: Mapping[str, Dataset] | None = None, progress: bool = False) -> Comparison:
    """Plan each scenario and compare the plans side by side.

    Parameters
    ----------
    scenarios : the scenarios to compare, typically one per sharing option; their names label the
        options and must be distinct.
    datasets : data to use instead of a scenario's data folder, by scenario name (e.g. with an
        Excel sharing option injected by :func:`scenario_with_option`).
    progress : a progress bar over the options (the CLI shows it on a terminal).

    Returns
    -------
    Comparison

    Raises
    ------
    InputError
        Before anything is solved, listing the problems of every scenario (unknown sharing
        option, sources unable to pay a category, missing budgets, duplicate names, ...).
    """
    datasets = dict(datasets or {})
    names = [s.name for s in scenarios]
    problems = [Problem("scenarios", "distinct scenario names (they label the options)", None,
                        "name", n) for n in sorted({n for n in names if names.count(n) > 1})]
    if not scenarios:
        problems.append(Problem("scenarios", "at least one scenario to compare"))
    prepared: dict[str, PlanningProblem] = {}
    for s in scenarios:
        try:
            prepared[s.name] = prepare(s, datasets.get(s.name))
        except InputError as exc:
            problems += [dataclasses.replace(p, file=f"{s.name}: {p.file}") for p in exc.problems]
    if problems:
        raise InputError(problems, "compare")

    parts: dict[str, list[pd.DataFrame]] = {k: [] for k in (
        "targets", "coverage", "money", "district_burden", "budget_use", "district_coverage",
        "district_money")}
    summary, plans = [], {}
    # the terminal bar: tqdm.auto would warn in a notebook without ipywidgets, even when disabled
    from tqdm import tqdm

    for n, s in enumerate(tqdm(scenarios, desc="options", unit="plan", disable=not progress),
                          start=1):
        log.info("planning option %d of %d: %s", n, len(scenarios), s.name)
        problem = prepared[s.name]
        plan = make_plan(s, problem=problem, equal_money=False)  # one per option: kept quick
        plans[s.name] = plan
        frames = _option_frames(s.name, problem, plan)
        for key in parts:
            parts[key].append(frames[key])
        summary.append(_summary_row(s.name, problem, plan, frames))
    external = {s.name: _external_rows(s, datasets[s.name]) for s in scenarios
                if s.name in datasets}
    return Comparison(pd.DataFrame(summary), **{k: _concat(v) for k, v in parts.items()},
                      plans=plans, external_sharing=external)


def _external_rows(scenario: Scenario, dataset: Dataset) -> pd.DataFrame:
    sharing = dataset.sharing
    return sharing[sharing["option"] == scenario.funding.sharing_option].reset_index(drop=True)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _option_frames(option: str, problem: PlanningProblem, plan: Plan) -> dict[str, pd.DataFrame]:
    """The comparison's tidy tables for one plan (empty when the plan has no solution)."""
    solved = plan.outcome.has_solution
    sources = problem.sources.set_index("source_id")

    def tagged(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame if solved else frame.iloc[0:0]
        return frame.assign(option=option)[["option", *frame.columns]]

    money = tagged(plan.money).assign(
        role=lambda m: m["source_id"].map(sources["role"]),
        funder=lambda m: m["role"].map(FUNDER_LABELS),
        fiscal=lambda m: m["role"].isin(FISCAL_ROLES),
    )[["option", "year", "source_id", "source", "role", "funder", "fiscal", "yuan"]]
    burden = tagged(plan.district_burden)
    burden.insert(2, "district_label", burden["district"].map(district_labels(problem.sources)))
    return {"money": money,
            "targets": tagged(plan.targets[["target", "kind", "year", "hard", "required_level",
                                            "achieved_level", "met"]]),
            "coverage": tagged(plan.coverage[["year", "zone_group", "coverage_communities",
                                              "coverage_households"]]),
            "district_burden": burden,
            "district_coverage": tagged(plan.district_coverage),
            "district_money": tagged(plan.district_money),
            "budget_use": _budget_use(option, problem, money) if solved else pd.DataFrame()}


def _budget_use(option: str, problem: PlanningProblem, money: pd.DataFrame) -> pd.DataFrame:
    """Spending against each source's budget per year (cumulative with carry-over)."""
    spent = money.groupby(["source_id", "year"])["yuan"].sum()
    carry = problem.scenario.funding.carry_over
    rows = []
    for s, source in enumerate(problem.sources.itertuples()):
        series = np.array([float(spent.get((source.source_id, y), 0.0)) for y in problem.years])
        budget = problem.budget[s]
        used = np.cumsum(series) if carry else series
        available = np.cumsum(budget) if carry else budget
        for n, year in enumerate(problem.years):
            share = used[n] / available[n] if available[n] > 0 else math.nan
            rows.append((option, source.source_id, source.name, source.role,
                         source.district if isinstance(source.district, str) else "", year,
                         used[n], available[n], share,
                         bool(available[n] > 0 and used[n] >= CAP_USED_SHARE * available[n])))
    return pd.DataFrame(rows, columns=["option", "source_id", "source", "role", "district", "year",
                                       "spent_yuan", "available_yuan", "used_share", "at_cap"])


def _summary_row(option: str, problem: PlanningProblem, plan: Plan,
                 frames: dict[str, pd.DataFrame]) -> dict:
    outcome = plan.outcome
    solved = outcome.has_solution
    money = frames["money"]
    fiscal = float(money.loc[money["fiscal"], "yuan"].sum())
    non_fiscal = float(money.loc[~money["fiscal"], "yuan"].sum())
    use = frames["budget_use"]
    capped = sorted(use.loc[use["at_cap"] & (use["role"] == "district_fiscal"), "district"]
                    .map(district_labels(problem.sources)).unique()) if solved else []
    row = {"option": option, "sharing_option": problem.scenario.funding.sharing_option,
           "status": outcome.status, "gap": outcome.gap}
    for y in HEADLINE_YEARS:
        row[f"coverage_{y}"] = (plan.coverage_at(y, MAIN_ZONE_GROUP)
                                if solved and y in problem.years else math.nan)
    row.update({
        "targets_met": int(plan.targets["met"].sum()) if solved else math.nan,
        "targets": len(plan.targets),
        "money_total_yuan": fiscal + non_fiscal if solved else math.nan,
        "fiscal_yuan": fiscal if solved else math.nan,
        "non_fiscal_yuan": non_fiscal if solved else math.nan,
        "leverage": non_fiscal / fiscal if solved and fiscal > 0 else math.nan,
        "districts_at_cap": ", ".join(capped),
        "diagnosis": plan.diagnosis or ("" if solved else f"no plan: solver status "
                                        f"{outcome.status} {outcome.message}"),
    })
    return row


def district_labels(sources: pd.DataFrame) -> dict[str, str]:
    """Romanised district names for figures and tables: Shanghai's from the vocabulary, other
    districts from their pots' source ids (``district_fiscal_xinbei`` → ``Xinbei``), else the
    name itself."""
    pots = sources[sources["role"] == "district_fiscal"]
    labels = {}
    for sid, district in zip(pots["source_id"], pots["district"], strict=True):
        suffix = sid.removeprefix("district_fiscal_")
        own = suffix.replace("_", " ").title() if suffix != sid else district
        labels[district] = DISTRICT_PINYIN.get(district, own)
    return labels


def _count(value: float | None) -> str:
    return "–" if value is None or math.isnan(value) else f"{int(value)}"


def _fmt(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        return "–" if math.isnan(value) else f"{value:,.2f}"
    return "" if value is None else str(value)


# ============================================================================================
# Fair division of a shared service complex
# ============================================================================================
def service_floor_gap_m2(communities: pd.DataFrame, *, by: str = "community_id",
                         per_household_m2: float | None = None) -> pd.Series:
    """Service-floor-area gap of each community (or of each ``by`` group, summed), m².

    gap = max(0, ``per_household_m2`` × households − service_floor_m2) per community;
    ``per_household_m2`` defaults to the threshold of the basic standard's ``basic.service_floor``
    criterion (0.3 m² per household in Shanghai).
    """
    if per_household_m2 is None:
        criterion = next(c for c in load_standards().basic.criteria
                         if c.indicator == "service_floor_m2")
        per_household_m2 = float(criterion.threshold)
    gap = (per_household_m2 * communities["households"].astype(float)
           - communities["service_floor_m2"].astype(float)).clip(lower=0.0)
    return gap.groupby(communities[by].to_numpy()).sum().rename("gap_m2")


def service_complex_cost(gap_m2: Mapping[Hashable, float], *, unit_cost_yuan_per_m2: float,
                         fixed_cost_yuan: float = 0.0, module_m2: float | None = None
                         ) -> Callable[[frozenset], float]:
    r"""Stand-alone cost of the complex a coalition would build for itself, in yuan.

    .. math::

        c(S) = \begin{cases} F + u \cdot A(S) & \text{if } A(S) > 0 \\ 0 & \text{otherwise}
        \end{cases}, \qquad A(S) = \Bigl\lceil \frac{\sum_{i \in S} g_i}{m} \Bigr\rceil m

    where :math:`g_i` is player i's service-floor gap (m², :func:`service_floor_gap_m2`),
    :math:`u` the site's cost per m² (``unit_cost_yuan_per_m2``; e.g. a site's
    ``capital_cost_yuan / capacity_m2``), :math:`F` the fixed part (design, approvals, site
    preparation — paid once whatever the size) and :math:`m` the building module (floor area comes
    in whole modules; ``None`` = any size). The fixed part and the modules are what make sharing
    pay: one complex for all costs less than separate ones.
    """
    gaps = {p: float(g) for p, g in gap_m2.items()}
    if any(g < 0 or not math.isfinite(g) for g in gaps.values()):
        raise ValueError("service-floor gaps must be finite and non-negative")
    if unit_cost_yuan_per_m2 < 0 or fixed_cost_yuan < 0 or (module_m2 is not None
                                                            and module_m2 <= 0):
        raise ValueError("costs must be non-negative and the module positive")

    def cost(coalition: frozenset) -> float:
        area = math.fsum(gaps[p] for p in coalition)
        if area <= 0:
            return 0.0
        if module_m2 is not None:
            area = math.ceil(area / module_m2 - 1e-9) * module_m2
        return fixed_cost_yuan + unit_cost_yuan_per_m2 * area

    return cost


def split_shared_cost(cost: CostGame, players: Sequence[Hashable],
                      methods: Sequence[str] = ("proportional", "shapley", "nucleolus"), *,
                      weights: Mapping[Hashable, float] | None = None) -> pd.DataFrame:
    """Divide a shared facility's cost among its players by several rules.

    Parameters
    ----------
    cost : stand-alone cost per coalition — a mapping ``frozenset -> yuan`` or a callable (e.g.
        :func:`service_complex_cost`); see :mod:`wzmodel.sharing`.
    players : the communities or districts sharing the facility.
    methods : any of ``proportional`` (to ``weights``), ``shapley`` (exact, up to
        :data:`wzmodel.sharing.MAX_EXACT_PLAYERS` players) and ``nucleolus``.
    weights : weights of the proportional split; default the players' stand-alone costs.

    Returns
    -------
    DataFrame
        player, method, share_yuan — each method's shares sum to the grand coalition's cost.
    """
    rules: dict[str, Callable[[], dict]] = {
        "proportional": lambda: proportional(_grand_cost(cost, players), weights or {
            p: _coalition_cost(cost, frozenset([p])) for p in players}),
        "shapley": lambda: shapley(cost, players),
        "nucleolus": lambda: nucleolus(cost, players),
    }
    unknown = [m for m in methods if m not in rules]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; choose from {sorted(rules)}")
    rows = [(player, method, float(share)) for method in methods
            for player, share in rules[method]().items()]
    return pd.DataFrame(rows, columns=["player", "method", "share_yuan"])


def _coalition_cost(cost: CostGame, coalition: frozenset) -> float:
    return float(cost[coalition] if isinstance(cost, Mapping) else cost(coalition))


def _grand_cost(cost: CostGame, players: Sequence[Hashable]) -> float:
    return _coalition_cost(cost, frozenset(players))


# ============================================================================================
# Sharing options from Excel
# ============================================================================================
def load_sharing_option(xlsx_path: str | Path, sheet: str | int | None = None, *,
                        dataset: Dataset | None = None) -> pd.DataFrame:
    """Read and validate a sharing option written in a spreadsheet (or CSV).

    The sheet has the columns of the ``sharing`` table (see the template
    ``data/templates/sharing_option_template.xlsx``). Checked: types and ranges of every cell,
    duplicate rows, min ≤ max, minimum shares summing to at most 100 % (and maximums to at least
    100 %) per option, category and scope; with ``dataset``: every role has a funding source,
    every district exists (and has a district fiscal pot where a district_fiscal row names it),
    and the option's name is not already one of the dataset's options.

    Returns
    -------
    DataFrame
        The rows in the ``sharing`` table's columns.

    Raises
    ------
    InputError
        Naming the sheet, row and column of every problem found.
    """
    path = Path(xlsx_path)
    frame, problems = read_table(path, "sharing", sheet=sheet)
    label = f"{path.name} [{sheet}]" if sheet is not None else path.name
    if not problems:
        if frame.empty:
            problems.append(Problem(label, "at least one sharing row"))
        problems += sharing_problems(frame, label)
        if dataset is not None:
            problems += _dataset_problems(frame, dataset, label)
    if problems:
        raise InputError(problems, f"sharing option {label}")
    return frame[[c for c in frame.columns if c in _sharing_columns()]]


def _sharing_columns() -> list[str]:
    return table_specs()["sharing"].names


def _dataset_problems(frame: pd.DataFrame, dataset: Dataset, label: str) -> list[Problem]:
    roles = set(dataset.sources["role"])
    districts = set(dataset.streets["district"])
    pots = set(dataset.sources.loc[dataset.sources["role"] == "district_fiscal", "district"])
    existing = set(dataset.sharing["option"])
    problems = []
    for i, r in enumerate(frame.itertuples(index=False), start=2):
        if r.role not in roles:
            problems.append(Problem(label, f"a role with a funding source in the data "
                                    f"({', '.join(sorted(roles))})", i, "role", r.role))
        if isinstance(r.district, str) and r.district:
            if r.district not in districts:
                problems.append(Problem(label, "a district of the data", i, "district",
                                        r.district))
            elif r.role == "district_fiscal" and r.district not in pots:
                problems.append(Problem(label, "a district with a district fiscal source", i,
                                        "district", r.district))
        if r.option in existing:
            problems.append(Problem(label, "an option name not already in the data's sharing "
                                    f"table ({', '.join(sorted(existing))})", i, "option",
                                    r.option))
    return problems


LINKS_SHEET = "sharing_links"
"""The sheet of a sharing workbook holding the option's matching and top-up rules (optional)."""


def load_sharing_links(xlsx_path: str | Path, option: str, *,
                       dataset: Dataset | None = None) -> pd.DataFrame:
    """Read and validate the matching and top-up rules of a sharing workbook's option: its sheet
    :data:`LINKS_SHEET` in the columns of the ``sharing_links`` table (docs/funding_rules.md).
    A CSV, or a workbook without the sheet, has none (an empty frame).

    Checked: every cell as the table declares; every row belongs to ``option`` (the sharing
    sheet's); with ``dataset``, every role and base role has a funding source and every district
    exists. Whether the links can be met within the share bounds is checked when the scenario is
    prepared (naming option, category, district and zone). Raises InputError naming sheet, row
    and column of every problem."""
    path = Path(xlsx_path)
    empty = pd.DataFrame(columns=table_specs()["sharing_links"].names)
    if path.suffix.lower() != ".xlsx":
        return empty
    try:
        book = load_workbook(path, read_only=True)
        sheets = book.sheetnames
        book.close()
    except Exception:  # unreadable: load_sharing_option has said so already
        return empty
    if LINKS_SHEET not in sheets:
        return empty
    frame, problems = read_table(path, "sharing_links", sheet=LINKS_SHEET)
    label = f"{path.name} [{LINKS_SHEET}]"
    if not problems:
        roles = set(dataset.sources["role"]) if dataset is not None else None
        districts = set(dataset.streets["district"]) if dataset is not None else None
        for i, r in enumerate(frame.itertuples(index=False), start=2):
            if r.option != option:
                problems.append(Problem(label, f"the option of the sharing sheet ({option})", i,
                                        "option", r.option))
            for column, role in (("role", r.role), ("base", r.base)):
                if roles is not None and role not in ("cost", "public") and role not in roles:
                    problems.append(Problem(label, "a role with a funding source in the data "
                                            f"({', '.join(sorted(roles))})", i, column, role))
            if (districts is not None and isinstance(r.district, str) and r.district
                    and r.district not in districts):
                problems.append(Problem(label, "a district of the data", i, "district",
                                        r.district))
    if problems:
        raise InputError(problems, f"sharing links {label}")
    return frame[[c for c in frame.columns if c in empty.columns]]


def scenario_with_option(scenario: Scenario, sharing: pd.DataFrame, *,
                         dataset: Dataset | None = None, name: str | None = None,
                         links: pd.DataFrame | None = None) -> tuple[Scenario, Dataset]:
    """The scenario run under an external sharing option (one option in ``sharing``, with its
    matching and top-up rules ``links``, if any).

    Returns the scenario with ``funding.sharing_option`` (and its name, default the option's)
    set, and its data with the option's rows added — pass both to :func:`make_plan`
    (``dataset=``) or to :func:`compare` (``datasets={scenario.name: dataset}``).
    """
    options = sorted(sharing["option"].unique())
    if len(options) != 1:
        raise InputError([Problem("sharing option", "exactly one option in the sheet", None,
                                  "option", ", ".join(options))])
    option = options[0]
    if dataset is None:
        dataset = load_dataset(scenario.data, indicators=_indicators(scenario))
    updated = scenario.update(name=name or option, funding={"sharing_option": option})
    return updated, dataset_with_sharing(dataset, sharing, links=links)


def scenario_with_sharing_xlsx(scenario: Scenario, xlsx_path: str | Path,
                               sheet: str | int | None = None) -> tuple[Scenario, Dataset]:
    """The scenario run under the sharing option written in a workbook: the option read with
    :func:`load_sharing_option` and its links with :func:`load_sharing_links` (both checked
    against the scenario's data), then :func:`scenario_with_option`."""
    dataset = load_dataset(scenario.data, indicators=_indicators(scenario))
    option = load_sharing_option(xlsx_path, sheet, dataset=dataset)
    links = load_sharing_links(xlsx_path, option["option"].iloc[0], dataset=dataset)
    return scenario_with_option(scenario, option, dataset=dataset, links=links)


def _indicators(scenario: Scenario) -> set[str]:
    return load_standards(scenario.standards.basic, scenario.standards.featured).indicators()
