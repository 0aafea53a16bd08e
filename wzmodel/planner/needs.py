"""What must be true for a scenario's targets to be met: the least money, by source and year,
that reaches every target, and how that answer moves with the assumed already-basic share.

The least money is the diagnosis's least extra money
(:func:`~wzmodel.planner.diagnose.least_extra_money`) with every budget set to zero: each yuan
any source pays is "extra", so the least extra money is the least money. Every target counts as
one to meet — soft ones too, since the question is what meeting them takes. The sharing rules
still bind: a source pays only what its shares allow.

The already-basic share of the bundled data is an assumption. To see how the answer rests on it,
the share is moved and the least money found again:

* **raised** to ``s``: communities not yet basic are listed as complete (as a district's list of
  already-complete communities would, the data's ``complete`` table), in one seeded random order
  of the planned communities, until ``s`` of them are basic;
* **lowered** to ``s``: basic (not featured) communities, in the same seeded order, take the
  indicator values of a not-yet-basic community of their zone (drawn with the same seed) — a
  crude imputation of what their gaps would be, said so wherever the answer is shown.

One order serves every share, so a larger share flips a superset of what a smaller one flips;
the share reached is re-assessed and reported (reach and the standards decide, not the request).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from wzmodel.data import Dataset, data_note
from wzmodel.io import atomic_folder, write_csv
from wzmodel.planner.diagnose import least_extra_money
from wzmodel.planner.model import MONEY_UNIT
from wzmodel.planner.problem import PlanningProblem, prepare
from wzmodel.scenario import Scenario
from wzmodel.solver import SolveOutcome
from wzmodel.standards import load_standards

__all__ = ["SHARE_STEP", "Needs", "least_money", "needs", "with_basic_share"]

log = logging.getLogger(__name__)

SHARE_STEP = 0.10
"""Default sensitivity: the data's already-basic share and this far (absolute) below and above."""


@dataclass(frozen=True)
class Needs:
    """The least money that meets every target of ``scenario``, for each already-basic share.

    ``money``: basic_share (the share reached), source_id, year, yuan (least money paid),
    budget_yuan (the data's budget, for comparison); ``summary``: one row per share —
    basic_share_asked, basic_share, already_basic, communities, status, least_money_yuan,
    bound_yuan (the proven least amount is at least this), gap, budgets_yuan;
    ``data_share``: the data's own share; ``note``: the data's note."""

    scenario: str
    targets: tuple[str, ...]
    money: pd.DataFrame
    summary: pd.DataFrame
    data_share: float
    note: str

    @property
    def own(self) -> pd.Series:
        """The summary row of the data's own already-basic share."""
        s = self.summary
        return s.loc[(s["basic_share"] - self.data_share).abs().idxmin()]

    def text(self) -> str:
        """The answer in words and two small tables, for a console or a report."""
        s = self.summary
        own = self.own
        lines = [f"What must be true — scenario '{self.scenario}': every target met "
                 f"({', '.join(self.targets)}; soft targets counted as targets to meet)."]
        lines.append(_share_line(own, self.data_share, first=True))
        part = self.money[np.isclose(self.money["basic_share"], own["basic_share"])]
        if not part.empty:
            by_source = part.groupby("source_id")[["yuan", "budget_yuan"]].sum()
            lines.append("  by source (least money | the data's budgets 2026–2035, million yuan):")
            for sid, r in by_source.iterrows():
                lines.append(f"    {sid:<24} {r.yuan / 1e6:>12,.1f} | {r.budget_yuan / 1e6:>12,.1f}")
            by_year = part.groupby("year")["yuan"].sum()
            lines.append("  by year (million yuan): " + ", ".join(
                f"{y} {v / 1e6:,.1f}" for y, v in by_year.items()))
        others = s.drop(index=own.name)
        if not others.empty:
            lines.append("How the answer moves with the already-basic share [assumed]:")
            for _, r in s.iterrows():
                lines.append("  " + _share_line(r, self.data_share, first=False))
        lines.append("A lower share is imputed (basic communities given the indicators of a "
                     "not-yet-basic one of their zone); a higher one lists communities as "
                     "already complete. Both in one seeded order.")
        lines.append(self.note)
        return "\n".join(lines)

    def write(self, out) -> None:
        """``needs.csv`` (money by share, source and year), ``needs_summary.csv`` and
        ``needs.md`` (the text), written atomically."""
        with atomic_folder(out, "needs") as tmp:
            write_csv(self.money, tmp / "needs.csv")
            write_csv(self.summary, tmp / "needs_summary.csv")
            (tmp / "needs.md").write_text(self.text() + "\n", encoding="utf-8")


def _share_line(r: pd.Series, data_share: float, *, first: bool) -> str:
    label = (" (the data's, assumed)" if np.isclose(r["basic_share"], data_share, atol=5e-4)
             else "")
    head = f"already basic {100 * r['basic_share']:.1f} %{label}: "
    if r["status"] not in ("optimal", "feasible"):
        return head + ("no amount of money meets the targets" if r["status"] == "infeasible"
                       else f"no answer within the time limit ({r['status']})")
    exact = "" if r["status"] == "optimal" else (
        f", best found — at least {r['bound_yuan'] / 1e6:,.1f}")
    tail = (f" against budgets of {r['budgets_yuan'] / 1e6:,.1f} million yuan"
            if first else "")
    return head + f"least money {r['least_money_yuan'] / 1e6:,.1f} million yuan{exact}{tail}"


def least_money(problem: PlanningProblem) -> tuple[pd.DataFrame, SolveOutcome]:
    """The least money (source_id, year, yuan: what each source must have by that year)
    meeting every target of ``problem``, and the solve's outcome (the money is empty without a
    solution): the least extra money over budgets of zero."""
    unfunded = replace(problem, budget=np.zeros_like(problem.budget), opening=None)
    money, outcome = least_extra_money(unfunded, problem.scenario.solver.options())
    return money.sort_values(["source_id", "year"], ignore_index=True), outcome


def with_basic_share(problem: PlanningProblem, share: float) -> Dataset:
    """The problem's data with the already-basic share of its planned communities moved to
    ``share`` (module docstring: how, and why only roughly)."""
    dataset = problem.dataset
    status = problem.assessment.communities.set_index("community_id")
    ids = problem.communities["community_id"].to_numpy()
    basic = status.loc[ids, "is_basic"].to_numpy()
    featured = status.loc[ids, "is_featured"].to_numpy()
    order = np.random.default_rng(problem.scenario.solver.seed).permutation(len(ids))
    change = round(share * len(ids)) - int(basic.sum())
    if change > 0:
        chosen = [ids[i] for i in order if not basic[i]][:change]
        listed = pd.DataFrame({"community_id": chosen, "class": "basic"})
        complete = pd.concat([dataset.complete, listed], ignore_index=True)
        return replace(dataset, complete=complete)
    if change == 0:
        return dataset
    chosen = [i for i in order if basic[i] and not featured[i]][:-change]
    standards = load_standards(problem.scenario.standards.basic, problem.scenario.standards.featured)
    columns = sorted({c.indicator for _, c in standards.criteria()})
    zones = problem.communities["zone"].to_numpy()
    donors_of = {z: np.flatnonzero(~basic & (zones == z)) for z in np.unique(zones)}
    anywhere = np.flatnonzero(~basic)
    if len(anywhere) == 0:
        return dataset  # no community to take gaps from: the share cannot go lower
    draw = np.random.default_rng(problem.scenario.solver.seed + 1)
    communities = dataset.communities.copy()
    row_of = pd.Series(np.arange(len(communities)), index=communities["community_id"])
    for i in chosen:
        pool = donors_of[zones[i]] if len(donors_of[zones[i]]) else anywhere
        donor = ids[pool[draw.integers(len(pool))]]
        communities.iloc[row_of[ids[i]], communities.columns.get_indexer(columns)] = (
            communities.iloc[row_of[donor], communities.columns.get_indexer(columns)].to_numpy())
    moved = {ids[i] for i in chosen}
    complete = dataset.complete[~dataset.complete["community_id"].isin(moved)]
    return replace(dataset, communities=communities, complete=complete.reset_index(drop=True))


def needs(scenario: Scenario, shares: list[float] | None = None,
          dataset: Dataset | None = None) -> Needs:
    """The least money meeting every target of ``scenario`` at the data's already-basic share
    and at each of ``shares`` (default: the data's ± :data:`SHARE_STEP`, within 0–1)."""
    problem = prepare(scenario, dataset)
    ids = problem.communities["community_id"]
    data_share = float(problem.already["basic"].mean())
    if shares is None:
        shares = [data_share - SHARE_STEP, data_share, data_share + SHARE_STEP]
    asked = sorted({min(1.0, max(0.0, float(s))) for s in [*shares, data_share]})
    budgets = pd.DataFrame(
        [(sid, y, problem.budget[s, n]) for s, sid in enumerate(problem.sources["source_id"])
         for n, y in enumerate(problem.years)], columns=["source_id", "year", "budget_yuan"])
    money_rows, summary_rows = [], []
    for share in asked:
        log.info("least money at an already-basic share of %.1f %%", 100 * share)
        moved = problem if np.isclose(share, data_share) else prepare(
            scenario, with_basic_share(problem, share))
        reached = float(moved.already["basic"].mean())
        money, outcome = least_money(moved)
        money = budgets.merge(money, on=["source_id", "year"], how="left").fillna({"yuan": 0.0})
        money.insert(0, "basic_share", round(reached, 4))
        if outcome.has_solution:
            money_rows.append(money[["basic_share", "source_id", "year", "yuan", "budget_yuan"]])
        summary_rows.append({
            "basic_share_asked": round(share, 4), "basic_share": round(reached, 4),
            "already_basic": int(moved.already["basic"].sum()), "communities": len(ids),
            "status": outcome.status,
            "least_money_yuan": money["yuan"].sum() if outcome.has_solution else np.nan,
            "bound_yuan": (outcome.bound * MONEY_UNIT if outcome.bound is not None else np.nan),
            "gap": outcome.gap, "budgets_yuan": budgets["budget_yuan"].sum()})
    targets = tuple(f"{name} [{'hard' if t.hard else 'soft'}]"
                    for name, t in sorted(scenario.targets.items()))
    money = (pd.concat(money_rows, ignore_index=True) if money_rows else
             pd.DataFrame(columns=["basic_share", "source_id", "year", "yuan", "budget_yuan"]))
    return Needs(scenario.name, targets, money, pd.DataFrame(summary_rows),
                 round(data_share, 4), data_note(scenario.data))
