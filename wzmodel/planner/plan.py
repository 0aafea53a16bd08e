"""Plans: the documented result tables of one planning run, with exporters and a reader.

A :class:`Plan` holds

``schedule``   community_id, name, street, district, class, year — when each community
               reaches each class;
``funding``    year, source_id, district, zone, cost_category, yuan — who pays what;
``coverage``   year, zone_group, communities, complete, featured, coverage_communities,
               coverage_households — at every year's end;
``targets``    target, kind, year, required/achieved (level and units), shortfall, met;
``money``      year, source_id, source, yuan — totals per source (id and name) and year;
``kpis``       metric, value, unit — headline figures, with the rule-of-thumb comparison (and
               at equal money: ``at_rule_money_*``, ``at_plan_money_*``);
``district_coverage``  year, district and the coverage columns — coverage per district;
``district_money``     district, year, source_id, source, yuan — money spent in each district;
``district_burden``    district, year, yuan, residents, yuan_per_resident — what each
               district's own fiscal pot pays, per resident;
``district_year`` district, year, class, projects_started, projects_completed, capacity —
               delivery per district and year (capacity blank where ``[delivery]`` sets none);
               with street caps, ``street_year.csv`` too (street_code, year, class,
               projects_started, capacity);
``rule_money`` year, source_id, source, budget_yuan, spent_yuan, unspent_yuan,
               refused_attempts — the rule of thumb's money, and what stopped it
               (:mod:`wzmodel.planner.fair`; ``rule_of_thumb_money.csv``; with the comparison at
               equal money only);
``outcome``    the solver's :class:`~wzmodel.solver.SolveOutcome` (None for an evaluated schedule);
               written without its timings.

Every figure except the funding split is recomputed from the schedule and the data
(:mod:`wzmodel.planner.evaluate`), never read off the model. ``Plan.write(folder)`` writes CSVs,
an Excel workbook, ``plan.json`` and ``report.md`` atomically; files contain no timings, so the
same inputs give identical files. :meth:`Plan.read` reads a written plan back.
"""

from __future__ import annotations

import json
import os
import textwrap
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from wzmodel.data import data_note
from wzmodel.io import atomic_folder, write_csv, write_excel
from wzmodel.labels import PLACE_COLUMNS, community_places, source_names, with_names, with_places
from wzmodel.planner import evaluate as ev
from wzmodel.planner import fair
from wzmodel.planner.area import describe_area
from wzmodel.planner.diagnose import Diagnosis
from wzmodel.planner.problem import PlanningProblem
from wzmodel.schema import InputError, Problem
from wzmodel.solver import SolveOutcome
from wzmodel.targets import KINDS
from wzmodel.vocabulary import HEADLINE_YEARS
from wzmodel.workbook import SUMMARY_COLUMNS, ZONE_GROUP_LABELS, assumptions, outcome_in_words, wide_by_year

if TYPE_CHECKING:
    from wzmodel.planner.model import PlanModel
    from wzmodel.solver.price_and_branch import WarmStart

__all__ = ["TABLES", "Plan", "read_plan_info", "reconcile_funding"]

TABLES: dict[str, tuple[str, ...]] = {
    "schedule": ("community_id", *PLACE_COLUMNS, "class", "year"),
    "funding": ("year", "source_id", "district", "zone", "cost_category", "yuan"),
    "coverage": ("year", "zone_group", "communities", "complete", "featured",
                 "coverage_communities", "coverage_households"),
    "targets": ("target", "kind", "year", "zones", "hard", "required_level", "achieved_level",
                "required", "achieved", "shortfall", "shortfall_unit", "met"),
    "money": ("year", "source_id", "source", "yuan"),
    "kpis": ("metric", "value", "unit"),
    "district_coverage": ("year", "district", "communities", "complete", "featured",
                          "coverage_communities", "coverage_households"),
    "district_money": ("district", "year", "source_id", "source", "yuan"),
    "district_burden": ("district", "year", "yuan", "residents", "yuan_per_resident"),
}
"""Each result table and its columns, in file order: what :meth:`Plan.read` expects."""
UNITS = {
    "yuan": "yuan",
    "coverage_communities": "share",
    "coverage_households": "share",
    "required_level": "share or count",
    "achieved_level": "share or count",
    "residents": "persons",
    "yuan_per_resident": "yuan/resident",
    "budget_yuan": "yuan",
    "spent_yuan": "yuan",
    "unspent_yuan": "yuan",
    "refused_attempts": "upgrades tried and not paid",
}


def read_plan_info(folder: str | Path) -> dict:
    """``plan.json`` of a plan folder, checked: an InputError names what is missing or damaged."""
    path = Path(folder) / "plan.json"
    if not path.is_file():
        raise InputError([Problem(str(folder), "a plan folder written by `wzmodel plan` "
                                  "(plan.json is missing)")])
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError([Problem(str(path), "the JSON file written by `wzmodel plan` "
                                  f"({type(exc).__name__}: {exc})")]) from None
    missing = [k for k in ("name", "outcome", "meta") if not isinstance(info, dict) or k not in info]
    if not missing and "scenario_config" not in info["meta"]:
        missing = ["meta.scenario_config"]
    if missing:
        raise InputError([Problem(str(path), "the keys written by `wzmodel plan`", None, key)
                          for key in missing])
    return info


@dataclass
class Plan:
    """One plan's result tables (see the module docstring for their columns)."""

    name: str
    schedule: pd.DataFrame
    funding: pd.DataFrame
    coverage: pd.DataFrame
    targets: pd.DataFrame
    money: pd.DataFrame
    kpis: pd.DataFrame
    district_coverage: pd.DataFrame
    district_money: pd.DataFrame
    district_burden: pd.DataFrame
    outcome: SolveOutcome | None
    meta: dict = field(default_factory=dict)
    diagnosis: str = ""
    #: the diagnosis in figures (extra money by source and year, shortfall per target) when the
    #: hard targets are infeasible; kept in memory only (``diagnosis`` is its text)
    diagnosis_detail: Diagnosis | None = None
    #: the problem the plan was made for (names, streets, districts for the briefing page);
    #: in memory only — a plan read back from its folder rebuilds it when it needs it
    problem: PlanningProblem | None = field(default=None, repr=False, compare=False)
    #: the solved model, in memory only, for a warm re-plan after a budget change
    #: (:func:`wzmodel.planner.make_plan`'s ``previous``; ≈ 200 MB for the whole city)
    model: PlanModel | None = field(default=None, repr=False, compare=False)
    #: what the plan rests on — budgets, sharing splits, unit costs, multipliers
    #: (:func:`wzmodel.planner.workbook.assumptions`); shown in the workbook, not stored in
    #: CSV files (empty for a plan read back with :meth:`read`)
    assumptions: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: projects started and completed per district, year and class, with the capacity
    #: (``district_year.csv``; None in a plan folder written before it existed)
    district_year: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    #: further tables written beside the plan's as ``<name>.csv`` (a re-plan's record and
    #: changes, :mod:`wzmodel.planner.progress`), and Markdown appended to ``report.md``
    extra_tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False, compare=False)
    report_extra: str = field(default="", repr=False, compare=False)
    #: the rule of thumb's money per source and year — budget, spent, left, attempts refused for
    #: lack of each source's money (:func:`wzmodel.planner.fair.rule_money`;
    #: ``rule_of_thumb_money.csv``; None without the comparison at equal money)
    rule_money: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    #: the comparison at equal money, in memory only (:func:`wzmodel.planner.make_plan`): this
    #: plan re-made with the rule of thumb's money (None when no time was left), and the rule of
    #: thumb given this plan's money; the kpis keep their figures
    at_rule_money: Plan | None = field(default=None, repr=False, compare=False)
    rule_at_plan_money: Plan | None = field(default=None, repr=False, compare=False)

    # ----------------------------------------------------------------------------------------
    @classmethod
    def from_schedule(
        cls,
        problem: PlanningProblem,
        schedule: pd.DataFrame,
        funding: pd.DataFrame,
        outcome: SolveOutcome | None = None,
        *,
        name: str | None = None,
        build_seconds: float | None = None,
    ) -> Plan:
        """Evaluate a schedule and its funding into a Plan (coverage, targets, KPIs)."""
        schedule = schedule.sort_values(["class", "year", "community_id"], kind="stable", ignore_index=True)
        places = community_places(problem.communities, problem.dataset.streets)
        schedule = with_places(schedule[["community_id", "class", "year"]], places)
        years = ev.completion_years(problem, schedule)
        needed = ev.spending(problem, years)
        funding = reconcile_funding(funding, needed)
        coverage = ev.coverage_table(problem, years)
        targets = ev.target_table(problem, years)
        names = source_names(problem.sources)
        money = with_names(_sum_by(funding, ["year", "source_id"]), "source_id", names)
        district_money = with_names(_sum_by(funding, ["district", "year", "source_id"]),
                                    "source_id", names)
        public = problem.public
        total = float(funding["yuan"].sum()) if not funding.empty else 0.0
        public_total = (
            float(funding.loc[funding["source_id"].map(public), "yuan"].sum()) if not funding.empty else 0.0
        )
        kpis = [
            ("coverage_years", ev.coverage_years(problem, years), "weighted community-years"),
            (
                "communities_upgraded_basic",
                int((schedule["class"] == "basic").sum()),
                "communities",
            ),
            (
                "communities_upgraded_featured",
                int((schedule["class"] == "featured").sum()),
                "communities",
            ),
            ("money_total", total, "yuan"),
            ("money_public", public_total, "yuan"),
            ("targets_met", int(targets["met"].sum()), f"of {len(targets)}"),
        ]
        main = coverage[coverage["zone_group"] == "main_urban+new_town"].set_index("year")
        for y in HEADLINE_YEARS:
            if y in main.index:
                kpis.append(
                    (
                        f"coverage_main_urban_new_town_{y}",
                        float(main.at[y, "coverage_communities"]),
                        "share of communities",
                    )
                )
        kpi = pd.DataFrame(kpis, columns=["metric", "value", "unit"])
        if outcome is not None:
            outcome = replace(outcome, extra={**outcome.extra, "build_seconds": build_seconds})
        meta = {
            "scenario": problem.scenario.name,
            "scenario_digest": problem.scenario.digest(),
            "scenario_file": str(problem.scenario.source_file or ""),
            "data": str(problem.scenario.data),
            "data_note": data_note(problem.dataset.path),
            "sharing_option": problem.scenario.funding.sharing_option,
            "scenario_config": problem.scenario.model_dump(mode="json"),
            "versions": _versions(),
        }
        if problem.area is not None:
            meta["area"] = problem.area.to_dict()
        plan = cls(
            name or problem.scenario.name,
            schedule,
            funding,
            coverage,
            targets,
            money,
            kpi,
            ev.district_coverage_table(problem, years),
            district_money,
            ev.district_burden(problem, funding),
            outcome,
            meta,
        )
        plan.problem = problem
        plan.assumptions = assumptions(problem)
        plan.district_year = ev.district_year(problem, schedule)
        if problem.scenario.delivery.capacity.streets:  # street_year.csv: the streets' own caps
            plan.extra_tables["street_year"] = ev.street_year(problem, schedule)
        return plan

    def compare_with_rule(self, rule: Plan) -> None:
        """Add the comparison with the rule of thumb's plan ``rule`` to the kpis: the
        differences (``vs_rule_of_thumb_*``) and the rule's own figures (``rule_of_thumb_*``)."""
        rows = [*_differences(self, rule, "vs_rule_of_thumb"), *_figures(rule, "rule_of_thumb")]
        self._add_kpis(rows)

    def compare_at_equal_money(self, rule: Plan, at_rule_money: Plan | None,
                               rule_at_plan_money: Plan, rule_money: pd.DataFrame,
                               overspent: float = 0.0) -> None:
        """Add the comparison at equal money (:mod:`wzmodel.planner.fair`) to the kpis:
        ``at_rule_money_plan_*`` (this plan re-made with the rule's money),
        ``at_rule_money_vs_rule_of_thumb_*`` (it minus the rule),
        ``at_rule_money_plan_objective_bound`` (the solver's bound at that money),
        ``at_plan_money_rule_of_thumb_*`` (the rule given this plan's money),
        ``at_plan_money_vs_rule_of_thumb_*`` (this plan minus that),
        ``at_plan_money_rule_of_thumb_overspent`` (yuan of running costs the rule pays beyond
        that money, :func:`~wzmodel.planner.fair.overspent`) and ``rule_of_thumb_money_unspent``;
        keep the two plans and the rule's money table. ``rule``: the rule of thumb's plan."""
        rows = []
        if at_rule_money is not None:
            rows += _figures(at_rule_money, "at_rule_money_plan")
            rows += _differences(at_rule_money, rule, "at_rule_money_vs_rule_of_thumb")
            outcome = at_rule_money.outcome
            if outcome is not None and outcome.bound is not None:  # how much better is possible
                rows.append(("at_rule_money_plan_objective_bound", outcome.bound,
                             "objective (the scenario's)"))
        rows += _figures(rule_at_plan_money, "at_plan_money_rule_of_thumb")
        rows += _differences(self, rule_at_plan_money, "at_plan_money_vs_rule_of_thumb")
        rows.append(("at_plan_money_rule_of_thumb_overspent", overspent, "yuan"))
        carry_over = bool(self.meta["scenario_config"]["funding"]["carry_over"])
        rows.append(("rule_of_thumb_money_unspent",
                     float(fair.unspent(rule_money, carry_over).clip(lower=0).sum()), "yuan"))
        self._add_kpis(rows)
        self.at_rule_money, self.rule_at_plan_money = at_rule_money, rule_at_plan_money
        self.rule_money = rule_money

    def _add_kpis(self, rows: list[tuple[str, float, str]]) -> None:
        self.kpis = pd.concat([self.kpis, pd.DataFrame(rows, columns=["metric", "value", "unit"])],
                              ignore_index=True)

    # ----------------------------------------------------------------------------------------
    @property
    def warm(self) -> WarmStart | None:
        """What a warm re-plan from this plan starts from (price and branch only; in memory)."""
        return self.outcome.extra.get("warm") if self.outcome is not None else None

    def kpi(self, metric: str) -> float:
        row = self.kpis.loc[self.kpis["metric"] == metric, "value"]
        if row.empty:
            raise KeyError(metric)
        return float(row.iloc[0])

    def coverage_at(
        self, year: int, zone_group: str = "main_urban+new_town", measure: str = "communities"
    ) -> float:
        row = self.coverage[(self.coverage["year"] == year) & (self.coverage["zone_group"] == zone_group)]
        return float(row[f"coverage_{measure}"].iloc[0])

    def money_by_source(self) -> pd.DataFrame:
        """Total money per source (source_id, source, yuan), largest first."""
        return (
            self.money.groupby(["source_id", "source"], as_index=False)["yuan"]
            .sum()
            .sort_values(["yuan", "source_id"], ascending=[False, True], ignore_index=True)
        )

    # ----------------------------------------------------------------------------------------
    def to_csv(self, folder: str | Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name in TABLES:
            write_csv(getattr(self, name), folder / f"{name}.csv")
        if self.district_year is not None:
            write_csv(self.district_year, folder / "district_year.csv")
        if self.rule_money is not None:
            write_csv(self.rule_money, folder / "rule_of_thumb_money.csv")
        for name, table in self.extra_tables.items():
            write_csv(table, folder / f"{name}.csv")

    def to_excel(self, path: str | Path) -> None:
        """The workbook for finance staff: ``summary`` first, then the tables (money wide, in
        million yuan), ``assumptions`` last."""
        million = dict.fromkeys([*self.years_of_money(), "total"], "million yuan")
        write_excel(self.workbook_sheets(), Path(path), units=UNITS,
                    sheet_units={"money": million, "district_money": million,
                                 "district_coverage": dict.fromkeys(
                                     sorted(set(self.district_coverage["year"])), "share")},
                    totals={"money", "district_money", "funding"})

    def years_of_money(self) -> list[int]:
        return sorted(set(self.money["year"]))

    def workbook_sheets(self) -> dict[str, pd.DataFrame | list[tuple[str, pd.DataFrame]]]:
        """The workbook's sheets, in order (see :meth:`to_excel`)."""
        names = dict(zip(self.money["source_id"], self.money["source"], strict=True))
        coverage_by_district = self.district_coverage.pivot(
            index="district", columns="year", values="coverage_communities")
        coverage_by_district.columns.name = None
        return {
            "summary": self.summary_table(),
            "schedule": self.schedule,
            "district_coverage": coverage_by_district.reset_index(),
            "money": wide_by_year(self.money, ["source_id", "source"], scale=1e6),
            "district_money": wide_by_year(self.district_money, ["district", "source_id", "source"],
                                           scale=1e6),
            "district_burden": self.district_burden,
            "coverage": self.coverage,
            "targets": self.targets,
            "kpis": self.kpis,
            **({"rule_of_thumb_money": self.rule_money} if self.rule_money is not None else {}),
            "funding": with_names(self.funding, "source_id", names),
            "assumptions": self.assumption_blocks(),
        }

    def summary_table(self) -> pd.DataFrame:
        """The answer in one table (:data:`~wzmodel.planner.workbook.SUMMARY_COLUMNS`): the
        solver's outcome in words, each target, coverage in the headline years by zone group,
        money by source."""
        rows = [("solver", "outcome", outcome_in_words(self.outcome), "",
                 describe_outcome(self.outcome, timings=False))]
        if self.outcome is None or self.outcome.has_solution:
            for t in self.targets.itertuples():
                value, needs, unit = _target_level(t)
                rows.append(("target", f"{t.target} ({'hard' if t.hard else 'soft'}, {t.year})",
                             value, unit, f"{'met' if t.met else 'MISSED'}: needs {needs}"))
            headline = self.headline_coverage()
            rows += [(f"coverage {year}", ZONE_GROUP_LABELS.get(group, group), float(share),
                      "share of communities", "")
                     for year, row in headline.iterrows() for group, share in row.items()]
            for r in self.money_by_source().itertuples():
                rows.append(("money, all years", r.source, r.yuan / 1e6, "million yuan",
                             r.source_id))
            rows.append(("money, all years", "total", self.money["yuan"].sum() / 1e6,
                         "million yuan", ""))
            equal = self.equal_money_table()
            if equal is not None:
                rows += [("against the rule of thumb", f"{measure}: {column}", value,
                          row["unit"], "")
                         for measure, row in equal.iterrows() for column, value in
                         row.drop("unit").items() if value == value]
                rows += [("against the rule of thumb", "in words", text, "", "")
                         for text in self.equal_money_findings()]
        if self.diagnosis:
            rows.append(("diagnosis", "", self.diagnosis, "", ""))
        rows.append(("data", "note", self.meta.get("data_note", ""), "", ""))
        return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)

    def assumption_blocks(self) -> list[tuple[str, pd.DataFrame]]:
        """The ``assumptions`` sheet: data note, solver, multipliers, budgets, sharing splits and
        links, unit costs."""
        outcome = self.outcome
        solver = pd.DataFrame(
            [("status", outcome_in_words(outcome)),
             ("gap", "–" if outcome is None or outcome.gap is None else f"{100 * outcome.gap:.2f} %"),
             ("details", describe_outcome(outcome, timings=False)),
             ("scenario", f"{self.meta.get('scenario')} (sharing option "
                          f"{self.meta.get('sharing_option')})")],
            columns=["item", "value"])
        blocks = [("Data note", pd.DataFrame({"note": [self.meta.get("data_note", "")]})),
                  ("Solver", solver)]
        titles = {"multipliers": "Scenario multipliers (1 = as in the data)",
                  "budgets": "Budgets (yuan, after the multipliers and any area share)",
                  "sharing": "Sharing splits of the option (shares of each cost)",
                  "sharing_links": "Matching and top-up rules of the option (sharing_links; "
                                   "docs/funding_rules.md)",
                  "unit_costs": "Unit costs of the standards (yuan per gap unit)"}
        blocks += [(titles[k], self.assumptions[k]) for k in titles if k in self.assumptions]
        return blocks

    def headline_coverage(self) -> pd.DataFrame:
        """Share of communities complete at the end of each headline year (rows) by zone group
        (columns, those the plan has)."""
        wide = self.coverage.pivot(index="year", columns="zone_group", values="coverage_communities")
        groups = [g for g in ("main_urban+new_town", "new_market_town", "rural", "all")
                  if g in wide.columns]
        wide = wide.reindex(index=[y for y in HEADLINE_YEARS if y in wide.index], columns=groups)
        wide.columns.name = None
        return wide

    def equal_money_table(self) -> pd.DataFrame | None:
        """The comparison with the rule of thumb, at equal money among others, from the kpis:
        one row per measure (money spent, coverage-years, targets met, coverage of the main
        urban area and new towns in the headline years; the solver's bound on coverage-years at
        the rule's money) with its ``unit``, one column per plan — the rule of thumb, this plan,
        this plan with the rule's money, the rule with this plan's money (NaN where not
        computed). None without the comparison at equal money."""
        values = dict(zip(self.kpis["metric"], self.kpis["value"], strict=True))
        if "at_plan_money_rule_of_thumb_coverage_years" not in values:
            return None
        measures = [("money_total", "money spent", "million yuan", 1e-6),
                    ("coverage_years", "coverage-years", "weighted community-years", 1.0),
                    ("targets_met", f"targets met (of {len(self.targets)})", "targets", 1.0)]
        measures += [(f"coverage_main_urban_new_town_{y}",
                      f"coverage {y}, main urban area and new towns", "share of communities", 1.0)
                     for y in HEADLINE_YEARS if f"coverage_main_urban_new_town_{y}" in values]
        columns = {"rule of thumb": "rule_of_thumb_", "this plan": "",
                   "this plan with the rule's money": "at_rule_money_plan_",
                   "the rule with this plan's money": "at_plan_money_rule_of_thumb_"}
        table = pd.DataFrame(
            [[values.get(prefix + m, np.nan) * scale for prefix in columns.values()] + [unit]
             for m, _label, unit, scale in measures],
            index=[label for _m, label, _u, _s in measures], columns=[*columns, "unit"])
        objective = self.meta["scenario_config"].get("objective", {}).get("kind")
        if "at_rule_money_plan_objective_bound" in values and objective == "coverage_years":
            table.loc["coverage-years no plan can exceed (the solver's bound)"] = [
                np.nan, np.nan, values["at_rule_money_plan_objective_bound"], np.nan,
                "weighted community-years"]
            table = table.reindex([*table.index[:2], table.index[-1], *table.index[2:-1]])
        table.index.name = "measure"
        return table

    def equal_money_findings(self) -> list[str]:
        """The comparison at equal money in sentences: what better choices give at the rule's
        money, what the rule does with this plan's money, and why it leaves money unspent."""
        values = dict(zip(self.kpis["metric"], self.kpis["value"], strict=True))
        if "at_plan_money_rule_of_thumb_coverage_years" not in values:
            return []
        def years(value: float, sign: str = "") -> str:  # whole numbers for a city
            return f"{value:{sign},.{0 if abs(value) >= 1000 else 1}f}"

        rule_years = values["rule_of_thumb_coverage_years"]
        of_targets = f"of {len(self.targets)} targets"
        out = []
        if "at_rule_money_plan_coverage_years" in values:
            choices = values["at_rule_money_vs_rule_of_thumb_coverage_years"]
            own = choices == 0 and values["at_rule_money_vs_rule_of_thumb_money_total_million"] == 0
            out.append(
                f"With the rule of thumb's money ({values['rule_of_thumb_money_total'] / 1e6:,.1f}"
                " million yuan; each source's budget of each year capped at what the rule spends "
                f"there), this plan would reach {years(values['at_rule_money_plan_coverage_years'])}"
                f" coverage-years against the rule's {years(rule_years)} ({years(choices, '+')}, "
                f"{choices / rule_years:+.1%}) and meet "
                f"{values['at_rule_money_plan_targets_met']:.0f} {of_targets} where the rule "
                f"meets {values['rule_of_thumb_targets_met']:.0f}"
                + (" — the re-plan found nothing better than the rule's own plan within its "
                   "share of the time ([compare] time_share)." if own else "."))
            bound = values.get("at_rule_money_plan_objective_bound")
            objective = self.meta["scenario_config"].get("objective", {}).get("kind")
            bounded = bound is not None and objective == "coverage_years"
            if bounded:
                out[-1] += (f" No plan with this money reaches more than {years(bound)} "
                            f"coverage-years ({years(bound - rule_years, '+')} against the rule; "
                            "the solver's bound).")
            gain = values["vs_rule_of_thumb_coverage_years"]
            more = values["vs_rule_of_thumb_money_total_million"]
            if gain > 0 and more > 0:
                most = min(gain, bound - rule_years) if bounded else choices
                part = (f"{years(choices, '+')}" if not bounded or most - choices < 0.05 else
                        f"between {years(choices, '+')} and {years(most, '+')}")
                out.append(f"Of this plan's {years(gain, '+')} coverage-years over the rule of "
                           f"thumb, {part} come from better choices at the same money and "
                           f"{'at least ' if part.startswith('between') else ''}"
                           f"{years(gain - most, '+')} from spending {more:,.1f} million yuan "
                           "more.")
        else:
            out.append("This plan was not re-made with the rule of thumb's money: the time "
                       "limit left too little for it ([compare] time_share).")
        out.append(
            f"Given this plan's money ({values['money_total'] / 1e6:,.1f} million yuan), the "
            f"rule of thumb spends {values['at_plan_money_rule_of_thumb_money_total'] / 1e6:,.1f}"
            " million of it, reaches "
            f"{years(values['at_plan_money_rule_of_thumb_coverage_years'])} coverage-years and "
            f"meets {values['at_plan_money_rule_of_thumb_targets_met']:.0f} {of_targets}; this "
            f"plan reaches {years(values['coverage_years'])} and meets "
            f"{values['targets_met']:.0f}.")
        over = values.get("at_plan_money_rule_of_thumb_overspent", 0.0)
        if over >= 0.5:
            out[-1] += (f" The running costs of the rule's upgrades overrun that money by "
                        f"{over:,.0f} yuan in some years: the rule reserves nothing for them, and "
                        "this plan's money is shaped to its own needs.")
        if self.rule_money is not None:
            carry_over = bool(self.meta["scenario_config"]["funding"]["carry_over"])
            out.append(fair.unspent_in_words(self.rule_money, self.money, carry_over))
        return out

    def first_years(self, years: int = 2) -> pd.DataFrame:
        """The schedule's rows of its first ``years`` years, with names, street and district."""
        first = sorted(set(self.schedule["year"]))[:years]
        return self.schedule[self.schedule["year"].isin(first)].sort_values(
            ["year", "district", "street", "community_id"], kind="stable", ignore_index=True)

    def write(self, folder: str | Path, *, excel: bool = True, command: str = "plan") -> Path:
        """Write every table, ``plan.json``, ``report.md`` and the briefing page ``report.html``
        (:mod:`wzmodel.report`) into ``folder`` atomically, as the output of ``command``."""
        with atomic_folder(folder, command) as tmp:
            self.to_csv(tmp)
            if excel:
                self.to_excel(tmp / "plan.xlsx")
            info = {
                "name": self.name,
                "outcome": self.outcome.to_dict(timings=False) if self.outcome is not None else {},
                "meta": _moved_paths(self.meta, lambda path: _relative(path, folder)),
                "diagnosis": self.diagnosis,
            }
            (tmp / "plan.json").write_text(
                json.dumps(info, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
                encoding="utf-8",
            )
            (tmp / "report.md").write_text(self.report(), encoding="utf-8")
            from wzmodel.report import plan_page  # matplotlib and jinja2 only when writing

            (tmp / "report.html").write_text(plan_page(self), encoding="utf-8")
        return Path(folder)

    @classmethod
    def read(cls, folder: str | Path) -> Plan:
        """Read a plan written by :meth:`write`."""
        folder = Path(folder)
        info = read_plan_info(folder)
        problems, tables = [], {}
        for name, columns in TABLES.items():
            path = folder / f"{name}.csv"
            if not path.is_file():
                problems.append(Problem(str(path), "a table written by `wzmodel plan` (the file "
                                        "is missing)"))
                continue
            try:
                tables[name] = pd.read_csv(path, dtype={"community_id": str})
            except (OSError, ValueError, UnicodeDecodeError) as exc:
                problems.append(Problem(str(path), "a table written by `wzmodel plan` "
                                        f"({type(exc).__name__}: {exc})"))
                continue
            problems += [Problem(str(path), f"the column '{c}' written by `wzmodel plan`")
                         for c in columns if c not in tables[name].columns]
        if problems:
            raise InputError(problems, str(folder))
        plan = cls(
            info["name"],
            **tables,
            outcome=SolveOutcome.from_dict(info["outcome"]) if info["outcome"] else None,
            meta=_moved_paths(info["meta"], lambda path: str((folder / path).resolve())),
            diagnosis=info.get("diagnosis", ""),
        )
        extra = folder / "district_year.csv"
        if extra.is_file():
            plan.district_year = pd.read_csv(extra, dtype={"capacity": "Int64"})
        if (folder / "rule_of_thumb_money.csv").is_file():
            plan.rule_money = pd.read_csv(folder / "rule_of_thumb_money.csv")
        return plan

    # ----------------------------------------------------------------------------------------
    def summary(self) -> str:
        """The plain-text summary the CLI prints."""
        lines = [f"Plan '{self.name}' — solver: {describe_outcome(self.outcome)}", ""]
        if "area" in self.meta:
            lines += [describe_area(self.meta["area"]), ""]
        if self.outcome is not None and not self.outcome.has_solution:
            # no schedule: the targets, coverage and money of "no upgrade" would only mislead
            lines.append("No plan: nothing below is a schedule to follow.")
            if self.diagnosis:
                lines += ["", self.diagnosis]
            return "\n".join(lines)
        lines.append("Targets:")
        for t in self.targets.itertuples():
            mark = "met   " if t.met else "MISSED"
            value, needs, unit = _target_level(t)
            level = (f"{100 * value:.1f} % (needs {needs})" if unit == "share"
                     else f"{value:.0f} (needs {needs})")
            if counts_nothing(t):
                level = "no community of the plan in its zones: met trivially"
            kind = "hard" if t.hard else "soft"
            lines.append(f"  [{mark}] {t.target} ({kind}, {t.year}): {level}")
        lines += ["", "Coverage (share of communities complete at year end):"]
        shown = self.headline_coverage().map(lambda v: "–" if pd.isna(v) else f"{100 * v:.1f}%")
        # to_string aligns every column to its widest cell, whichever groups are present
        lines += ["  " + line for line in shown.reset_index().to_string(index=False).splitlines()]
        lines += ["", "Money by source (million yuan, all years):"]
        for r in self.money_by_source().itertuples():
            lines.append(f"  {r.source_id:<34}{r.yuan / 1e6:14,.1f}")
        comparison = self.kpis[self.kpis["metric"].str.startswith("vs_rule_of_thumb")]
        if not comparison.empty:
            lines += [
                "",
                "Against the rule of thumb (rank by cost per household, fund until the money runs out):",
            ]
            for r in comparison.itertuples():
                lines.append(f"  {r.metric.removeprefix('vs_rule_of_thumb_'):<40}{r.value:+14,.3f} {r.unit}")
        for prefix, title in (("at_rule_money_vs_rule_of_thumb_",
                               "This plan re-made with the rule's money (each source's budget of "
                               "each year = what the rule spends), against the rule:"),
                              ("at_plan_money_vs_rule_of_thumb_",
                               "This plan against the rule of thumb given this plan's money:")):
            rows = self.kpis[self.kpis["metric"].str.startswith(prefix)]
            if not rows.empty:
                lines += ["", title]
                lines += [f"  {r.metric.removeprefix(prefix):<40}{r.value:+14,.3f} {r.unit}"
                          for r in rows.itertuples()]
        findings = self.equal_money_findings()
        if findings:
            lines += ["", "At equal money:"]
            for text in findings:
                lines += textwrap.wrap(text, 96, initial_indent="  ", subsequent_indent="  ")
        if self.diagnosis:
            lines += ["", self.diagnosis]
        return "\n".join(lines)

    def report(self) -> str:
        """A Markdown report of the plan."""
        trivial = [f"Target `{t.target}` counts no community of the plan: met trivially."
                   for t in self.targets.itertuples() if counts_nothing(t)]
        trivial += [""] if trivial else []
        md = [
            f"# Plan: {self.name}",
            "",
            f"> {self.meta.get('data_note', '')}",
            "",
            f"Scenario `{self.meta.get('scenario')}` (digest `{self.meta.get('scenario_digest')}`),"
            f" sharing option `{self.meta.get('sharing_option')}`.",
            "",
            "## Solver",
            "",
            describe_outcome(self.outcome, timings=False),
            "",
            *(["## Area", "", describe_area(self.meta["area"]), ""] if "area" in self.meta else []),
            "## Targets",
            "",
            md_table(self.targets.drop(columns=["zones"])),
            "",
            *trivial,
            "## Coverage at year end (share of communities)",
            "",
        ]
        pivot = (
            self.coverage.pivot(index="year", columns="zone_group", values="coverage_communities")
            .round(3)
            .reset_index()
        )
        md += [
            md_table(pivot),
            "",
            "## Money by source (yuan, all years)",
            "",
            md_table(self.money_by_source()),
            "",
            "## Key figures",
            "",
            md_table(self.kpis),
            "",
        ]
        findings = self.equal_money_findings()
        if findings:
            md += ["## Against the rule of thumb, at equal money", "",
                   md_table(self.equal_money_table().reset_index()), "",
                   *(line for text in findings for line in (text, ""))]
        if self.diagnosis:
            md += ["## Diagnosis", "", self.diagnosis, ""]
        if self.report_extra:
            md += [self.report_extra]
        return "\n".join(md)


def _target_level(t) -> tuple[float, str, str]:
    """What a row of a plan's targets table achieves, what it needs (as text) and the unit."""
    if KINDS[t.kind].share:
        return float(t.achieved_level), f"{100 * t.required_level:.1f} %", "share"
    return float(t.achieved), f"{t.required:,.0f}", str(t.shortfall_unit)


def counts_nothing(target) -> bool:
    """Whether a row of a plan's targets table is a share target over no community, street or
    district of the plan (a plan restricted to an area outside the target's zones): its
    required amount is 0 although its level is not."""
    return bool(KINDS[target.kind].share and target.required_level > 0 and target.required == 0)


def describe_outcome(outcome: SolveOutcome | None, *, timings: bool = True) -> str:
    """The plan's solver line: status, objective, bound and gap, then (with ``timings``) the
    solve and build times."""
    if outcome is None:
        return "no solver (evaluated schedule)"
    text = f"{outcome.status} ({outcome.solver})"
    if outcome.objective is not None:
        text += f", objective {outcome.objective:,.6g}"
        text += (
            f", bound {outcome.bound:,.6g}, gap {100 * outcome.gap:.3f} %"
            if outcome.bound is not None and outcome.gap is not None
            else ", no bound yet (the limit came before the first relaxation was solved)"
        )
    if timings and outcome.seconds is not None:
        text += f", solve {outcome.seconds:.1f} s"
        if outcome.extra.get("build_seconds") is not None:
            text += f", build {outcome.extra['build_seconds']:.1f} s"
    if outcome.message and (not outcome.has_solution or outcome.bound is None):
        text += f": {outcome.message}"
    return text


def reconcile_funding(funding: pd.DataFrame, needed: pd.DataFrame) -> pd.DataFrame:
    """Scale each (year, district, zone, category) block of the solver's funding split so that it
    sums exactly to the money the schedule needs (removes solver round-off; shares unchanged; a
    block it does not pay stays unpaid)."""
    keys = ["year", "district", "zone", "cost_category"]
    if funding.empty:
        return funding.reset_index(drop=True)
    f = funding.copy()
    paid = f.groupby(keys)["yuan"].transform("sum")
    need = f[keys].merge(needed, on=keys, how="left")["yuan"].fillna(0.0).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        f["yuan"] = np.where(paid.to_numpy() > 0, f["yuan"].to_numpy() * need / paid.to_numpy(), 0.0)
    f = f[f["yuan"] > 0.005]
    f["yuan"] = f["yuan"].round(2)
    return f.sort_values(
        ["year", "source_id", "district", "zone", "cost_category"], kind="stable", ignore_index=True
    )


_PATHS = (("data",), ("scenario_file",), ("scenario_config", "data"),
          ("scenario_config", "standards", "basic"), ("scenario_config", "standards", "featured"))
"""The paths in a plan's ``meta``: ``plan.json`` stores them relative to the plan's folder, so
that two checkouts of the same project write the same bytes (and a plan moved together with its
data is still checked against it)."""


def _moved_paths(meta: dict, move) -> dict:
    """A copy of ``meta`` with every non-empty path of :data:`_PATHS` passed through ``move``."""
    meta = json.loads(json.dumps(meta))
    for keys in _PATHS:
        holder = meta
        for key in keys[:-1]:
            holder = holder.get(key) if isinstance(holder, dict) else None
        if isinstance(holder, dict) and holder.get(keys[-1]):
            holder[keys[-1]] = move(holder[keys[-1]])
    return meta


def _relative(path: str, folder: str | Path) -> str:
    """``path`` relative to the (future) folder ``folder``, with forward slashes."""
    return Path(os.path.relpath(Path(path).resolve(), Path(folder).resolve())).as_posix()


def _sum_by(funding: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Yuan of ``funding`` summed by ``keys`` (sorted by them), columns ``keys`` + yuan."""
    return funding.groupby(keys, as_index=False)["yuan"].sum() if not funding.empty else (
        pd.DataFrame(columns=[*keys, "yuan"]))


def _differences(plan: Plan, other: Plan, prefix: str) -> list[tuple[str, float, str]]:
    """``plan`` minus ``other``: coverage-years, total money (million
    yuan), targets met, coverage of the main urban area and new towns in the headline years
    (percentage points)."""
    rows = [
        (f"{prefix}_coverage_years", plan.kpi("coverage_years") - other.kpi("coverage_years"),
         "weighted community-years"),
        (f"{prefix}_money_total_million",
         (plan.kpi("money_total") - other.kpi("money_total")) / 1e6, "million yuan"),
        (f"{prefix}_targets_met", plan.kpi("targets_met") - other.kpi("targets_met"), "targets"),
    ]
    for y in HEADLINE_YEARS:
        m = f"coverage_main_urban_new_town_{y}"
        if m in set(plan.kpis["metric"]):
            rows.append((f"{prefix}_{m}_pp", 100 * (plan.kpi(m) - other.kpi(m)),
                         "percentage points"))
    return rows


def _figures(plan: Plan, prefix: str) -> list[tuple[str, float, str]]:
    """``plan``'s own kpis, each renamed ``{prefix}_{metric}``."""
    return [(f"{prefix}_{m}", v, u)
            for m, v, u in plan.kpis[["metric", "value", "unit"]].itertuples(index=False)]


def _versions() -> dict[str, str]:
    out = {}
    for pkg in ("wzmodel", "pulp", "highspy", "pandas", "numpy"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "unknown"
    return out


def md_table(frame: pd.DataFrame) -> str:
    def fmt(v) -> str:
        if isinstance(v, float):
            return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"
        return str(v)

    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    sep = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join(fmt(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, sep, *body])
