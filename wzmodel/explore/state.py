"""The explorer's logic in plain Python: what the user moved, the plan it gives, the baseline.

:class:`Explorer` holds a scenario as loaded (the *baseline*), the user's drafts of its levers —
budget multipliers per source and year, cost multipliers per category, target levels, the
sharing option's shares — and the plans made from them. Every setter returns the named
problems of its table (empty when the value is fine); a draft with problems is kept, so the page
can show it next to its error, but :meth:`Explorer.plan` refuses to run until they are fixed and
the previous answer stays. Validation is the scenario's own (:meth:`Scenario.update`), the
sharing workbook's (:func:`wzmodel.finance.load_sharing_option`) and the data's
(:func:`wzmodel.data.load_dataset`); nothing here re-states a rule.

An uploaded data workbook (:meth:`Explorer.with_data`) gives a new explorer: the scenario's
settings on that data; the explorer it came from stays as it was until the new one is planned.

Re-plans are warm (``make_plan(..., previous=...)``) from the last plan made.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from wzmodel.data import Dataset, dataset_with_sharing, load_dataset
from wzmodel.explore.uploads import private_copy
from wzmodel.finance import load_sharing_links, load_sharing_option
from wzmodel.planner import Plan, make_plan, prepare
from wzmodel.planner.area import select_area
from wzmodel.planner.problem import PlanningProblem
from wzmodel.report import (
    burden_by_district,
    coverage_by_district,
    coverage_by_zone,
    first_communities,
    is_weak,
    money_by_funder,
    plain_status,
    problem_of,
)
from wzmodel.scenario import Scenario, load_scenario
from wzmodel.schema import InputError, Problem
from wzmodel.standards import load_standards
from wzmodel.targets import KINDS
from wzmodel.vocabulary import COST_CATEGORIES, HEADLINE_YEARS

__all__ = ["SHARE_COLUMNS", "Answer", "Explorer"]

SHARE_COLUMNS = ("cost_category", "role", "zone", "district", "min_share", "max_share")
"""The sharing table's columns shown for editing (the option's name is the explorer's)."""
EDITED = " (edited)"
TABLE_LABELS = {"budgets": "budget multipliers", "costs": "unit cost multipliers",
                "targets": "target levels", "sharing": "sharing option",
                "upload": "uploaded workbook"}
SHARING_TEMPLATE = "the template data/templates/sharing_option_template.xlsx"
DATA_TEMPLATE = "the data workbook `wzmodel template OUT.xlsx` writes"


@dataclass
class Answer:
    """One plan, read for the page: its status in words and the tables a finance officer reads."""

    plan: Plan
    seconds: float
    warm: bool
    status: str = ""
    coverage_zone: pd.DataFrame | None = None
    coverage_district: pd.DataFrame | None = None
    money: pd.DataFrame | None = None  # million yuan, funders × years
    burden: pd.DataFrame | None = None  # district fiscal yuan per resident, districts × years
    first: pd.DataFrame | None = None
    spending: dict[str, float] = field(default_factory=dict)  # yuan per source, whole horizon

    @classmethod
    def of(cls, plan: Plan, seconds: float, warm: bool) -> Answer:
        answer = cls(plan, seconds, warm, status=plain_status(plan.outcome))
        if plan.outcome is None or plan.outcome.has_solution:
            problem = problem_of(plan)
            answer.coverage_zone = coverage_by_zone(plan)
            answer.coverage_district = coverage_by_district(plan)
            answer.money = money_by_funder(plan, problem.dataset.sources)
            answer.burden = burden_by_district(plan)
            answer.first = first_communities(plan)
            answer.spending = plan.money.groupby("source_id")["yuan"].sum().to_dict()
        return answer

    @property
    def solved(self) -> bool:
        return self.coverage_zone is not None

    @property
    def weak(self) -> bool:
        """A plan found within the solver's limits but possibly far from the best (its gap
        above :data:`WEAK_GAP`, or unknown): what it loses against the baseline is the most
        the settings cost, not what they cost."""
        return self.solved and is_weak(self.plan.outcome)

    def files(self) -> dict[str, bytes]:
        """``plan.xlsx`` and ``report.html`` of the plan, written in a private temporary folder
        (nothing is left on disk)."""
        with tempfile.TemporaryDirectory(prefix="wzmodel-explore-") as tmp:
            folder = self.plan.write(Path(tmp) / "plan")
            return {name: (folder / name).read_bytes() for name in ("plan.xlsx", "report.html")}


def compare(baseline: Answer, current: Answer) -> pd.DataFrame:
    """Side by side: coverage in the headline years, targets met and money, baseline against the
    current settings (with the change)."""
    def figures(answer: Answer) -> dict[str, object]:
        plan = answer.plan
        rows: dict[str, object] = {"status": answer.status}
        if not answer.solved:
            return rows
        for group, label in (("main_urban+new_town", "main urban + new towns"), ("all", "all zones")):
            for year in HEADLINE_YEARS:
                if year in set(plan.coverage["year"]):
                    rows[f"coverage {year}, {label}"] = plan.coverage_at(year, group)
        for t in plan.targets.itertuples():
            rows[f"target {t.target} met"] = "yes" if t.met else "no"
        for funder, total in answer.money["all years"].items():
            rows[f"money, {funder} (million yuan)"] = total
        return rows

    side = pd.DataFrame({"baseline": pd.Series(figures(baseline), dtype=object),
                         "current settings": pd.Series(figures(current), dtype=object)})
    numbers = side.map(lambda v: isinstance(v, float))
    both = numbers.all(axis=1)
    side["change"] = pd.Series("", index=side.index, dtype=object)
    side.loc[both, "change"] = (side.loc[both, "current settings"].astype(float)
                                - side.loc[both, "baseline"].astype(float))
    return side


class Explorer:
    """A scenario, the user's drafts of its levers, and the plans made from them.

    ``solver``: overrides of the scenario's ``[solver]`` section (e.g. a shorter time limit
    for a page that must answer within seconds). ``dataset``: the data already read (an
    uploaded workbook's); by default the scenario's ``data`` is read.
    """

    def __init__(self, scenario: Scenario, *, solver: dict | None = None,
                 dataset: Dataset | None = None) -> None:
        self.base = scenario.update(solver=solver) if solver else scenario
        self.dataset = (load_dataset(self.base.data, indicators=_indicators(self.base))
                        if dataset is None else dataset)
        self.data_warnings: list[str] = []  # what reading the data noticed (e.g. an example row)
        self._problem: PlanningProblem | None = None  # the baseline's, when already prepared
        self.years = self.base.years
        # an area's plan uses its own districts' pots only: the others are not levers there
        area = select_area(self.base.area, self.dataset, [])
        sources = self.dataset.sources if area is None else area.sources(self.dataset.sources)
        self.sources = sources[["source_id", "name", "role"]].reset_index(drop=True)
        funding = self.base.funding
        # drafts: what the page shows and edits
        self.budgets = pd.DataFrame(
            [[funding.source_factor(s, y) for y in self.years] for s in self.sources["source_id"]],
            index=list(self.sources["source_id"]), columns=self.years, dtype=object)
        self.costs = pd.Series({c: funding.cost_scale.get(c, 1.0) for c in COST_CATEGORIES},
                               dtype=object)
        self.levels = {name: float(getattr(t, KINDS[t.kind].level))
                       for name, t in self.base.targets.items()}
        option = self.dataset.sharing[self.dataset.sharing["option"] == funding.sharing_option]
        self.sharing = option[list(SHARE_COLUMNS)].reset_index(drop=True)
        links = self.dataset.sharing_links
        # the option's matching and top-up rules: shown, carried into an edited copy, replaced
        # by an uploaded workbook's (edited in the workbook, not on the page)
        self.links = links[links["option"] == funding.sharing_option].reset_index(drop=True)
        self.sharing_name = funding.sharing_option
        self.sharing_edited = False
        self.problems: dict[str, list[Problem]] = {}  # per table: budgets, costs, targets, sharing
        self.baseline: Answer | None = None
        self.current: Answer | None = None

    @classmethod
    def open(cls, path: str | Path, *, solver: dict | None = None) -> Explorer:
        return cls(load_scenario(path), solver=solver)

    # ---- levers ------------------------------------------------------------------------------
    def set_budget_scale(self, source: str, years: int | list[int] | None, factor: float
                         ) -> list[Problem]:
        """Multiply ``source``'s budget by ``factor`` in ``years`` (None: every year)."""
        if source not in self.budgets.index:
            return self._refuse("budgets", "a funding source of the data "
                                f"({', '.join(self.budgets.index)})", "source", source)
        chosen = self.years if years is None else [years] if isinstance(years, int) else years
        outside = [y for y in chosen if y not in self.years]
        if outside:
            return self._refuse("budgets", f"a year of the scenario ({self.years[0]}–"
                                f"{self.years[-1]})", "year", outside[0])
        self.budgets.loc[source, chosen] = _number(factor)
        return self.validate("budgets")

    def set_cost_scale(self, category: str, factor: float) -> list[Problem]:
        """Multiply the unit costs of ``category`` by ``factor``."""
        if category not in self.costs.index:
            return self._refuse("costs", f"a cost category ({', '.join(self.costs.index)})",
                                "cost_category", category)
        self.costs[category] = _number(factor)
        return self.validate("costs")

    def set_target_level(self, target: str, level: float) -> list[Problem]:
        """The level of a target (a share for coverage, a count for new featured)."""
        if target not in self.levels:
            return self._refuse("targets", f"a target of the scenario ({', '.join(self.levels)})",
                                "target", target)
        self.levels[target] = _number(level)
        return self.validate("targets")

    def set_share(self, row: int, column: str, value: object) -> list[Problem]:
        """Change one cell of the sharing option (row of :attr:`sharing`, one of
        :data:`SHARE_COLUMNS`); the whole option is re-checked as if it came from a workbook."""
        if column not in SHARE_COLUMNS or not 0 <= row < len(self.sharing):
            return self._refuse("sharing", f"a cell of the sharing table (rows 1–{len(self.sharing)}, "
                                f"columns {', '.join(SHARE_COLUMNS)})", column, row + 1)
        self.sharing = self.sharing.astype({column: object})
        self.sharing.loc[row, column] = value
        self.sharing_edited = True
        return self.validate("sharing")

    def upload_sharing(self, filename: str, content: bytes) -> list[Problem]:
        """A sharing option from a workbook (the template's layout) replaces the draft; on any
        problem the draft stays as it was."""
        try:
            with private_copy(filename, content, what="sharing workbook",
                              template=SHARING_TEMPLATE) as (path, shown):
                try:
                    frame = load_sharing_option(path, dataset=self.dataset)
                    links = load_sharing_links(path, frame["option"].iloc[0],
                                               dataset=self.dataset)
                except InputError as exc:
                    raise InputError([_renamed(p, path.name, shown)
                                      for p in exc.problems]) from None
        except InputError as exc:
            self.problems["upload"] = list(exc.problems)
            return self.problems["upload"]
        options = sorted(frame["option"].unique())
        if len(options) != 1:
            return self._refuse("upload", "exactly one option in the workbook", "option",
                                ", ".join(options))
        self.sharing = frame[list(SHARE_COLUMNS)].reset_index(drop=True)
        self.links = links.reset_index(drop=True)
        self.sharing_name, self.sharing_edited = options[0], False
        self.problems.pop("upload", None)
        return self.validate("sharing")

    def with_data(self, filename: str, content: bytes) -> Explorer:
        """A new explorer: this scenario as loaded (its targets, funding and solver settings, not
        the drafts) on the data of an uploaded data workbook (the layout ``wzmodel template``
        writes). Raises InputError naming every problem — the workbook by the name it was sent
        under, then sheet, row, column and value — including the scenario's own needs the data
        does not meet (e.g. a district of its area missing); this explorer is left untouched."""
        with private_copy(filename, content, what="data workbook", template=DATA_TEMPLATE) as (
                path, shown), _warnings("wzmodel.data") as warnings:
            try:
                dataset = load_dataset(path, indicators=_indicators(self.base))
            except InputError as exc:
                raise InputError([_renamed(p, path.name, shown) for p in exc.problems],
                                 shown) from None
        # the private copy is gone: the data is named by the name the user gave it (in the
        # plan's data note and metadata); nothing reads that path again
        dataset = replace(dataset, path=Path(shown))
        scenario = self.base.update(data=shown)
        try:
            problem = prepare(scenario, dataset)
        except InputError as exc:
            raise InputError([replace(p, file=f"{shown} with the settings of {scenario.name}: "
                                      f"{p.file}") for p in exc.problems], shown) from None
        explorer = Explorer(scenario, dataset=dataset)
        explorer.data_warnings = [w.replace(path.name, shown) for w in warnings]
        explorer._problem = problem
        return explorer

    # ---- checks and the scenario --------------------------------------------------------------
    def validate(self, table: str) -> list[Problem]:
        """Re-check one table's draft; its problems are kept in :attr:`problems`."""
        if table == "sharing":
            found = self._sharing_problems()
        else:
            try:
                self.base.update(**self._overrides())
                found = []
            except InputError as exc:
                prefix = {"budgets": "funding.source_scale", "costs": "funding.cost_scale",
                          "targets": "targets"}[table]
                found = [replace(p, file=TABLE_LABELS[table]) for p in exc.problems
                         if (p.column or "").startswith(prefix)]
        self.problems[table] = found
        return found

    def all_problems(self) -> list[Problem]:
        return [p for found in self.problems.values() for p in found]

    def scenario(self) -> tuple[Scenario, object]:
        """The scenario and data of the current settings. Raises InputError with every problem
        still on the page."""
        problems = self.all_problems()
        if problems:
            raise InputError(problems, "the settings on the page")
        scenario = self.base.update(**self._overrides())
        dataset = self.dataset
        if self.sharing_edited or self.sharing_name != self.base.funding.sharing_option:
            option = self._sharing_frame()
            dataset = dataset_with_sharing(dataset, option, links=self.links)
            scenario = scenario.update(funding={"sharing_option": option["option"].iloc[0]})
        return scenario, dataset

    def _overrides(self) -> dict:
        scale = {}
        for source, row in self.budgets.iterrows():
            values = row.to_dict()
            if len(set(values.values())) == 1:
                scale[source] = next(iter(values.values()))
            else:
                scale[source] = {int(y): v for y, v in values.items()}
        targets = {name: {KINDS[self.base.targets[name].kind].level: _as_level(v)}
                   for name, v in self.levels.items()}
        # a multiplier of 1 the scenario does not name is left out: the scenario stays the
        # scenario, so a re-plan that only moves budgets re-uses the last plan's model
        costs = {c: v for c, v in self.costs.items()
                 if c in self.base.funding.cost_scale or not _is_one(v)}
        return {"funding": {"source_scale": scale, "cost_scale": costs}, "targets": targets}

    def _sharing_frame(self) -> pd.DataFrame:
        name = self.sharing_name
        if self.sharing_name in set(self.dataset.sharing["option"]):
            name += EDITED  # a new option beside the data's own (their rows stay untouched)
        return self.sharing.assign(option=name)[["option", *SHARE_COLUMNS]]

    def _sharing_problems(self) -> list[Problem]:
        """The draft checked exactly as a workbook would be (written as CSV in a private
        temporary folder); rows are the table's, counted from 1."""
        with tempfile.TemporaryDirectory(prefix="wzmodel-explore-") as tmp:
            path = Path(tmp) / "sharing.csv"
            self._sharing_frame().to_csv(path, index=False)
            try:
                load_sharing_option(path, dataset=self.dataset)
            except InputError as exc:
                return [replace(p, file="sharing option", row=p.row - 1 if p.row else None)
                        for p in exc.problems]
        return []

    def _refuse(self, table: str, expected: str, column: str, value: object) -> list[Problem]:
        self.problems[table] = [Problem(TABLE_LABELS[table], expected, None, column, value)]
        return self.problems[table]

    # ---- planning ----------------------------------------------------------------------------
    def plan_baseline(self) -> Answer:
        """The scenario as loaded (made once)."""
        if self.baseline is None:
            start = time.perf_counter()
            plan = make_plan(self.base, dataset=self.dataset, problem=self._problem,
                             equal_money=False)
            self._problem = None  # a re-plan prepares its own
            self.baseline = Answer.of(plan, time.perf_counter() - start, warm=False)
        return self.baseline

    def plan(self) -> Answer:
        """Plan the current settings, warm from the last plan made. Raises InputError (and
        keeps the current answer) while any setting has a problem."""
        scenario, dataset = self.scenario()
        previous = (self.current or self.baseline)
        previous_plan = previous.plan if previous is not None and previous.solved else None
        start = time.perf_counter()
        plan = make_plan(scenario, dataset=dataset, previous=previous_plan,
                         equal_money=False)  # re-plans must stay quick
        self.current = Answer.of(plan, time.perf_counter() - start, warm=previous_plan is not None)
        return self.current


def _indicators(scenario: Scenario) -> set[str]:
    """The community columns the scenario's standards test (needed to read its data)."""
    return load_standards(scenario.standards.basic, scenario.standards.featured).indicators()


def _renamed(problem: Problem, private: str, shown: str) -> Problem:
    """A problem of the private copy named by the name the user gave the file."""
    return replace(problem, file=problem.file.replace(private, shown))


@contextmanager
def _warnings(logger: str) -> Iterator[list[str]]:
    """The warnings ``logger`` gives inside the block (e.g. the data's "row 2 is the template's
    example row"), collected for the page, which has no console."""
    found: list[str] = []
    thread = threading.get_ident()  # another visitor's upload, read meanwhile, is not ours
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: found.append(record.getMessage()) if record.thread == thread else None
    logging.getLogger(logger).addHandler(handler)
    try:
        yield found
    finally:
        logging.getLogger(logger).removeHandler(handler)


def _is_one(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == 1


def _as_level(value: object) -> object:
    """Whole numbers as int (a count of 2.0 is 2; a share is a float either way)."""
    if isinstance(value, float) and value.is_integer() and value > 1:
        return int(value)
    return value


def _number(value: object) -> object:
    """A number from the page (text or number); anything else is passed on for the scenario's
    check to name."""
    if isinstance(value, str):
        try:
            return float(value.replace(",", "").strip())
        except ValueError:
            return value
    return value
