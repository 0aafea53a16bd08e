"""Re-planning from actual progress: keep what was started, count what was spent, plan the rest.

A programme office records, up to a year Y, each upgrade actually started (``progress``: community,
class, status, start year, completion year) and the money each source actually paid per year
(``spent``) — declared in ``wzmodel/schema/tables.toml``, read from a folder (``progress.csv``,
``spent.csv``) or a workbook (sheets ``progress`` and ``spent``) by :func:`read_progress`.

:func:`replan` re-plans a written plan from it, over the same horizon and scenario:

* every start up to Y is fixed to the record (:func:`~wzmodel.planner.staged.fix_schedule`): the
  recorded starts stay at their recorded years, and nothing else starts by Y — a community the
  plan had started by Y but the record does not list has slipped and may start after Y;
* the budgets of the years up to Y are history and bind nothing; each source opens Y + 1 with
  what those years left after the money actually spent (Σ budgets − Σ spent up to Y, which may
  be negative) when money carries over, with nothing without carry-over
  (:attr:`PlanningProblem.budget_from`, ``opening``); the remaining capital phases and running
  costs of the kept starts are paid from the years after Y;
* targets of the years up to Y become soft: the record decides them;
* the search is warm from the previous plan (``make_plan(previous=...)``);
* the comparison with the rule of thumb is left out: the rule of thumb does not know the record.

The result is a plan like any other (``wzmodel check`` re-verifies it, the record included,
from the copies of the two tables written beside it) with what changed: communities moved
(:func:`schedule_changes`) and money by source and year, old against new
(:func:`money_changes`). See ``docs/replan.md``.

The model counts a start as complete at start + lead time, as any plan does: a recorded
completion year that differs is listed (:func:`completion_notes`), not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

from wzmodel.data import find_table
from wzmodel.labels import source_names
from wzmodel.planner import make_plan
from wzmodel.planner.plan import Plan, md_table
from wzmodel.planner.problem import PlanningProblem, prepare
from wzmodel.planner.staged import fix_schedule
from wzmodel.scenario import Scenario
from wzmodel.schema import InputError, Problem, read_table
from wzmodel.strict import validation_problems

__all__ = ["TABLES", "Progress", "Replan", "check_record", "money_changes", "read_progress",
           "replan", "schedule_changes", "with_record"]

TABLES = ("progress", "spent")
"""The two tables of a progress record (files ``<table>.csv`` / ``.xlsx``, or workbook sheets)."""


@dataclass(frozen=True)
class Progress:
    """A progress record: ``starts`` (the ``progress`` table) and ``spent``, each with the name
    of the file (and sheet) it came from, for messages."""

    starts: pd.DataFrame
    spent: pd.DataFrame
    files: tuple[str, str] = TABLES

    def schedule(self) -> pd.DataFrame:
        """The recorded starts as schedule rows (community_id, class, year)."""
        return (self.starts.rename(columns={"start_year": "year"})[["community_id", "class", "year"]]
                .astype({"year": int}))

    def spent_by_source(self, sources: pd.Series) -> np.ndarray:
        """Yuan spent per source (in the order of ``sources``), all recorded years together."""
        return self.spent.groupby("source_id")["yuan"].sum().reindex(sources).fillna(0.0).to_numpy()


def read_progress(path: str | Path) -> Progress:
    """Read a progress folder or workbook; every problem of both tables at once (InputError)."""
    path = Path(path)
    problems: list[Problem] = []
    frames, files = {}, []
    if path.is_dir():
        sources = {name: (find_table(path, name), None) for name in TABLES}
    elif path.is_file() and path.suffix.lower() == ".xlsx":
        sources = {name: (path, name) for name in TABLES}
        from openpyxl import load_workbook

        try:
            sheets = load_workbook(path, read_only=True).sheetnames
        except Exception as exc:  # an unreadable workbook is a problem, not a traceback
            raise InputError([Problem(str(path), f"a readable .xlsx workbook ({exc})")]) from None
        problems += [Problem(str(path), f"a sheet named '{name}'") for name in TABLES
                     if name not in sheets]
    else:
        raise InputError([Problem(str(path), "a progress folder (progress.csv and spent.csv) or "
                                  "an .xlsx workbook with the sheets 'progress' and 'spent'")])
    for name, (file, sheet) in sources.items():
        if file is None:
            problems.append(Problem(str(path), f"a table '{name}.csv' or '{name}.xlsx'"))
            continue
        if sheet is not None and problems:
            continue  # a missing sheet is named above
        frame, found = read_table(file, name, sheet=sheet)
        frames[name] = frame
        files.append(f"{file.name} [{sheet}]" if sheet else file.name)
        problems += found
    if problems:
        raise InputError(problems, str(path))
    return Progress(frames["progress"], frames["spent"], tuple(files))


def record_problems(progress: Progress, p: PlanningProblem, year: int) -> list[Problem]:
    """What in the record the plan ``p`` cannot take as its past up to ``year`` — every problem,
    each naming file, row, column and value."""
    first, last = p.years[0], p.years[-1]
    if not first <= year < last:
        return [Problem("--year", f"a plan year before the last ({first}–{last - 1})", None,
                        None, year)]
    starts_file, spent_file = progress.files
    problems: list[Problem] = []
    index = {cid: i for i, cid in enumerate(p.communities["community_id"])}
    in_data = set(p.dataset.communities["community_id"])
    starts = progress.starts
    basic_started = set(starts.loc[starts["class"] == "basic", "community_id"])
    for n, r in enumerate(starts.itertuples(index=False)):
        row = n + 2

        def bad(column: str, value, expected: str, row=row) -> None:
            problems.append(Problem(starts_file, expected, row, column, value))

        i = index.get(r.community_id)
        if i is None:
            bad("community_id", r.community_id, "a community of the plan (this one lies outside "
                "its area)" if r.community_id in in_data else "a community of the plan's data "
                "(communities.community_id)")
        start, done = r.start_year, r.completion_year
        if not pd.isna(start) and not first <= start <= year:
            bad("start_year", int(start), f"a plan year up to the re-planning year ({first}–{year})")
        if r.status == "completed" and pd.isna(done):
            bad("completion_year", None, "the year a completed upgrade completed")
        elif r.status == "started" and not pd.isna(done):
            bad("completion_year", int(done), "blank while the upgrade is under way (status "
                "'started')")
        elif not pd.isna(done) and not pd.isna(start) and done < start:
            bad("completion_year", int(done), f"a year not before its start ({int(start)})")
        elif not pd.isna(done) and done > year:
            bad("completion_year", int(done), f"a year up to the re-planning year {year}")
        if i is None or pd.isna(start) or r[1] not in p.allowed:
            continue
        k, start = r[1], int(start)
        if not p.allowed[k][i]:
            bad("class", k, f"a class the community may still reach (it is already {k} in the "
                "data, or excluded by the scenario)")
        elif start < p.earliest[i]:
            bad("start_year", start, f"a year from the community's earliest year {p.earliest[i]}")
        elif p.finish(k, start) > last:
            bad("start_year", start, f"a start that completes by {last}")
        elif k == "featured" and not p.already["basic"][i] and r.community_id not in basic_started:
            bad("class", k, "a featured start of a community whose basic upgrade is done or "
                "started too (a row for its basic upgrade)")
    problems += _capacity_problems(progress, p, starts_file)
    sources = set(p.sources["source_id"])
    for n, r in enumerate(progress.spent.itertuples(index=False)):
        if r.source_id is not None and r.source_id not in sources:
            problems.append(Problem(spent_file, "a source of the plan (sources.source_id)",
                                    n + 2, "source_id", r.source_id))
        if not pd.isna(r.year) and not first <= r.year <= year:
            problems.append(Problem(spent_file, f"a plan year up to the re-planning year "
                                    f"({first}–{year})", n + 2, "year", int(r.year)))
    return problems


def _capacity_problems(progress: Progress, p: PlanningProblem, file: str) -> list[Problem]:
    """Recorded starts above a district's capacity (``[delivery]``) in a year."""
    starts = progress.starts.dropna(subset=["start_year"])
    district = dict(zip(p.communities["community_id"], p.communities["district"], strict=True))
    starts = starts.assign(district=starts["community_id"].map(district)).dropna(subset=["district"])
    problems = []
    for (d, k, y), block in starts.groupby(["district", "class", "start_year"], sort=True):
        cap = p.capacity(d, k)
        if cap is not None and len(block) > cap:
            problems.append(Problem(file, f"at most {cap} {k} starts in {d} in {y} (the scenario's "
                                    f"capacity; the record has {len(block)})", None, "start_year", int(y)))
    street = dict(zip(p.communities["community_id"], p.communities["street_code"].astype(str),
                      strict=True))
    starts = starts.assign(street=starts["community_id"].map(street))
    for (s, k, y), block in starts.groupby(["street", "class", "start_year"], sort=True):
        cap = p.street_capacity(s, k)
        if cap is not None and len(block) > cap:
            problems.append(Problem(file, f"at most {cap} {k} starts in street {s} in {y} (the "
                                    f"scenario's capacity; the record has {len(block)})", None,
                                    "start_year", int(y)))
    return problems


def with_record(p: PlanningProblem, progress: Progress, year: int) -> PlanningProblem:
    """``p`` with the budgets of a re-plan after ``year``: earlier years bind nothing, each source
    opens ``year`` + 1 with what they left after the money actually spent (with carry-over)."""
    past = [n for n, t in enumerate(p.years) if t <= year]
    opening = (p.budget[:, past].sum(axis=1) - progress.spent_by_source(p.sources["source_id"])
               if p.scenario.funding.carry_over else np.zeros(len(p.sources)))
    return replace(p, budget_from=year + 1, opening=opening)


def replan_scenario(plan: Plan, year: int) -> Scenario:
    """The previous plan's scenario, renamed, with the targets up to ``year`` soft."""
    config = dict(plan.meta["scenario_config"])
    config["name"] = f"{config['name']} (re-planned after {year})"
    config["targets"] = {name: {**t, "hard": t["hard"] and t["year"] > year}
                         for name, t in config.get("targets", {}).items()}
    try:
        return Scenario.model_validate(config)
    except ValidationError as exc:  # a damaged plan.json
        raise InputError(validation_problems(exc, "plan.json")) from None


@dataclass
class Replan:
    """A re-plan: the new plan, the record it keeps, and what changed against the previous plan."""

    plan: Plan
    previous: Plan
    progress: Progress
    year: int
    changes: pd.DataFrame
    money: pd.DataFrame

    def summary(self) -> str:
        """What changed, in a few lines, then the new plan's summary."""
        counts = self.changes["change"].value_counts()
        moved = ", ".join(f"{counts.get(c, 0)} {c}" for c in ("earlier", "later", "dropped", "added"))
        planned = (self.changes["old_year"] <= self.year).to_numpy(bool, na_value=False)
        kept = (self.changes["new_year"] <= self.year).to_numpy(bool, na_value=False)
        slipped = self.changes[planned & ~kept]
        lines = [f"Re-planned after {self.year} from the recorded progress: "
                 f"{len(self.progress.starts)} starts kept, {len(slipped)} planned by {self.year} "
                 "not started (slipped).",
                 f"Communities moved against the previous plan: {moved}."]
        past = self.money[self.money["year"] <= self.year]
        lines.append(f"Money up to {self.year}: {past['new_yuan'].sum() / 1e6:,.2f} million yuan "
                     f"spent, {past['old_yuan'].sum() / 1e6:,.2f} million planned; after "
                     f"{self.year}: {self.plan_money(after=True) / 1e6:,.2f} million yuan re-planned, "
                     f"{self.money.loc[self.money['year'] > self.year, 'old_yuan'].sum() / 1e6:,.2f}"
                     " million before.")
        lines += completion_notes(self.progress, self.plan, self.year)
        return "\n".join(lines) + "\n\n" + self.plan.summary()

    def plan_money(self, *, after: bool) -> float:
        new = self.money[(self.money["year"] > self.year) == after]
        return float(new["new_yuan"].sum())

    def report_section(self) -> str:
        """The report's section on what changed."""
        moved = self.changes.drop(columns=["community_id"]).astype(object).fillna("–")
        lines = ["## What changed against the previous plan", "",
                 f"Re-planned after {self.year} from the recorded progress (`progress.csv`, "
                 f"`spent.csv`) and the plan `{self.previous.name}`. Starts up to {self.year} "
                 "are the record's; the budgets up to then are counted by the money actually "
                 f"spent. Money up to {self.year} below is the record (`spent.csv`); this "
                 "plan's funding tables show the modelled cost of the kept starts in those years.",
                 "", "### Communities moved (`changes.csv`)", "",
                 md_table(moved) if len(moved) else "None.", "",
                 "### Money by source and year, old and new (`money_changes.csv`)", "",
                 md_table(self.money), ""]
        notes = completion_notes(self.progress, self.plan, self.year)
        if notes:
            lines += ["### Recorded completions", "", *notes, ""]
        return "\n".join(lines)

    def write(self, folder: str | Path, *, excel: bool = True) -> Path:
        """The new plan's folder, with the record (``progress.csv``, ``spent.csv``, which
        ``wzmodel check`` reads back), ``changes.csv``, ``money_changes.csv`` and the report's
        section on what changed."""
        self.plan.extra_tables = {"progress": self.progress.starts, "spent": self.progress.spent,
                                  "changes": self.changes, "money_changes": self.money}
        self.plan.report_extra = self.report_section()
        return self.plan.write(folder, excel=excel, command="replan")


def replan(previous: Plan, progress: Progress, year: int) -> Replan:
    """Re-plan ``previous`` (e.g. ``Plan.read(folder)``) after ``year`` from the record
    ``progress`` (module docstring). Raises InputError naming every problem of the record."""
    scenario = replan_scenario(previous, year)
    problem = prepare(scenario)
    problems = record_problems(progress, problem, year)
    if problems:
        raise InputError(problems, "progress record")
    kept = progress.schedule()
    plan = make_plan(scenario, problem=with_record(problem, progress, year),
                     hook=fix_schedule(kept, year + 1), previous=previous,
                     equal_money=False)
    # the rule of thumb knows nothing of the record: no comparison with it
    plan.kpis = plan.kpis[~plan.kpis["metric"].str.contains("rule_of_thumb")].reset_index(drop=True)
    plan.meta["replan"] = {"year": year, "previous": previous.name,
                           "previous_digest": previous.meta.get("scenario_digest")}
    names = source_names(problem.sources)
    return Replan(plan, previous, progress, year, schedule_changes(previous, plan),
                  money_changes(previous, plan, progress, year, names))


def schedule_changes(old: Plan, new: Plan) -> pd.DataFrame:
    """Every upgrade whose start year differs between ``old`` and ``new``: community_id, name,
    street, district, class, old_year, new_year (blank: not in that plan), change (earlier,
    later, dropped, added)."""
    keys = ["community_id", "name", "street", "district", "class"]
    both = old.schedule[[*keys, "year"]].merge(new.schedule[[*keys, "year"]], on=keys,
                                               how="outer", suffixes=("_old", "_new"))
    both = both.rename(columns={"year_old": "old_year", "year_new": "new_year"})
    both[["old_year", "new_year"]] = both[["old_year", "new_year"]].astype("Int64")
    old_year, new_year = both["old_year"], both["new_year"]
    change = np.select(
        [new_year.isna().to_numpy(), old_year.isna().to_numpy(),
         (new_year < old_year).to_numpy(bool, na_value=False),
         (new_year > old_year).to_numpy(bool, na_value=False)],
        ["dropped", "added", "earlier", "later"], default="")
    both["change"] = change
    return (both[both["change"] != ""].sort_values(["change", "class", "community_id"],
                                                   ignore_index=True))


def money_changes(old: Plan, new: Plan, progress: Progress, year: int,
                  names: dict[str, str]) -> pd.DataFrame:
    """Money by source and year: source_id, source, year, old_yuan (the previous plan), new_yuan
    (up to ``year`` the record, after it the new plan), change_yuan, basis."""
    recorded = progress.spent.groupby(["source_id", "year"])["yuan"].sum()
    planned = new.money[new.money["year"] > year].groupby(["source_id", "year"])["yuan"].sum()
    before = old.money.groupby(["source_id", "year"])["yuan"].sum()
    index = before.index.union(recorded.index).union(planned.index)
    table = pd.DataFrame({"old_yuan": before.reindex(index, fill_value=0.0),
                          "new_yuan": pd.concat([recorded, planned]).reindex(index, fill_value=0.0)})
    table = table.reset_index()
    table.insert(1, "source", table["source_id"].map(names).fillna(table["source_id"]))
    table["year"] = table["year"].astype(int)
    table["change_yuan"] = table["new_yuan"] - table["old_yuan"]
    table["basis"] = np.where(table["year"] <= year, "spent", "planned")
    return table.sort_values(["year", "source_id"], ignore_index=True)


def completion_notes(progress: Progress, plan: Plan, year: int) -> list[str]:
    """Recorded completions that differ from the model's (start + lead time), one line each."""
    p = plan.problem
    notes = []
    for r in progress.starts.itertuples(index=False):
        modelled = p.finish(r[1], int(r.start_year))
        recorded = int(r.completion_year) if not pd.isna(r.completion_year) else None
        if recorded is not None and recorded != modelled:
            notes.append(f"* {r.community_id} {r[1]}: completed {recorded}; the plan counts it "
                         f"complete from {modelled} (start + lead time).")
        elif recorded is None and modelled <= year:
            notes.append(f"* {r.community_id} {r[1]}: still under way at the end of {year}; the "
                         f"plan counts it complete from {modelled} (start + lead time).")
    return notes


def check_record(plan: Plan, folder: Path, p: PlanningProblem) -> tuple[PlanningProblem, list[str]]:
    """For a re-plan's folder (``meta.replan``): the problem with the record's budgets, and the
    violations of the record — every start up to the re-planning year the record's, no other."""
    year = int(plan.meta["replan"]["year"])
    progress = read_progress(folder)
    problems = record_problems(progress, p, year)
    if problems:
        raise InputError(problems, str(folder))
    recorded = set(progress.schedule().itertuples(index=False, name=None))
    planned = {(c, k, int(y)) for c, k, y in plan.schedule[["community_id", "class", "year"]]
               .itertuples(index=False) if y <= year}
    issues = [f"re-plan: {c} starts {k} in {y}, which the progress record does not hold"
              for c, k, y in sorted(planned - recorded)]
    issues += [f"re-plan: the progress record has {c} starting {k} in {y}, the schedule does not"
               for c, k, y in sorted(recorded - planned)]
    return with_record(p, progress, year), issues
