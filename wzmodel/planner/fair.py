"""Comparing a plan with the rule of thumb at equal money.

A plan that spends more than the rule of thumb mixes two gains: better choices, and money the
rule leaves unspent. Two comparisons separate them (:func:`wzmodel.planner.make_plan`, scenario
key ``[compare] equal_money``):

* **the plan at the rule's money** — the scenario re-planned with every source's budget of every
  year set to what the rule of thumb spends from it that year. Budgets work per source and year,
  so this is "the same money" exactly: with carry-over the plan may spend a source's money later
  than the rule did, never earlier and never more in total; without carry-over never more in any
  year. Each target the rule misses is asked only at the level the rule reaches there (and
  made hard): the rule's own plan is then a feasible plan of this problem, so the optimum is at
  least as good as the rule on every target, and its objective (coverage-years, when the scenario
  maximises them) at least the rule's.
* **the rule at the plan's money** — the rule of thumb with every source's budget of every year
  set to what the plan spends from it.

Why the rule leaves money unspent is measured, not assumed: :func:`rule_money` lists, per source
and year, the budget, what the rule spent, what it left, and how often it could not pay an
upgrade it tried because that source had too little left (:meth:`FundingRule.short`);
:func:`unspent_in_words` says it in a paragraph.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import numpy as np
import pandas as pd

from wzmodel.labels import source_names
from wzmodel.planner.problem import PlanningProblem
from wzmodel.targets import KINDS

__all__ = ["RULE_MONEY_COLUMNS", "at_money", "no_worse_than", "overspent", "rule_money", "spending",
           "unspent", "unspent_in_words"]

RULE_MONEY_COLUMNS = ("year", "source_id", "source", "budget_yuan", "spent_yuan", "unspent_yuan",
                      "refused_attempts")
"""Columns of :func:`rule_money` (``rule_of_thumb_money.csv`` in a plan folder)."""


def spending(problem: PlanningProblem, funding: pd.DataFrame) -> np.ndarray:
    """What ``funding`` (a plan's funding table) spends, sources × years, in yuan, aligned with
    ``problem.budget``."""
    table = funding.pivot_table(index="source_id", columns="year", values="yuan", aggfunc="sum")
    table = table.reindex(index=problem.sources["source_id"], columns=problem.years)
    return table.fillna(0.0).to_numpy(dtype=float)


def at_money(problem: PlanningProblem, budget: np.ndarray) -> PlanningProblem:
    """``problem`` with ``budget`` (sources × years, yuan) as every source's budget of every
    year: a model of it differs in its budget rows only."""
    return dataclasses.replace(problem, budget=np.asarray(budget, dtype=float))


def no_worse_than(problem: PlanningProblem, targets: pd.DataFrame) -> PlanningProblem:
    """``problem`` with each target that ``targets`` (a plan's targets table) misses asked at the
    level that plan achieves, and hard: the plan meets every target of the result, and a plan
    of the result is at least as good on each target. Targets it meets are unchanged (the
    problem itself when it meets them all)."""
    achieved = targets.set_index("target")
    missed = set(achieved.index[~achieved["met"].astype(bool)])
    if not missed:
        return problem
    lowered = {}
    for name, target in problem.scenario.targets.items():
        if name in missed:
            level = KINDS[target.kind].level
            value = float(achieved.at[name, "achieved_level"])
            target = target.model_copy(update={
                "hard": True, level: round(value) if level == "min_count" else value})
        lowered[name] = target
    scenario = problem.scenario.model_copy(update={"targets": lowered})
    return dataclasses.replace(problem, scenario=scenario)


def overspent(problem: PlanningProblem, funding: pd.DataFrame, budget: np.ndarray) -> float:
    """Yuan by which ``funding`` overruns ``budget`` (sources × years), summed over sources:
    the largest overrun of a source's money up to a year's end with carry-over, every year's
    overrun without. The rule of thumb overruns only to pay running costs it is committed to
    (it reserves nothing for them), which a budget shaped to another plan's needs may not hold."""
    over = spending(problem, funding) - budget
    if problem.scenario.funding.carry_over:
        return float(np.cumsum(over, axis=1).max(axis=1, initial=0.0).clip(min=0).sum())
    return float(over.clip(min=0).sum())


def rule_money(problem: PlanningProblem, funding: pd.DataFrame,
               refused: Counter | None = None) -> pd.DataFrame:
    """Per year and source: the budget, what ``funding`` (the rule of thumb's) spends, what is
    left at the year's end (carried into the next year with carry-over, lost without) and how
    often the rule tried an upgrade and could not pay it because that source had too little
    left (``refused``, counted by :func:`wzmodel.planner.heuristic.rule_of_thumb`; it tries
    every community left each year, so one community may count in several years)."""
    spent = spending(problem, funding)
    left = problem.budget - spent
    if problem.scenario.funding.carry_over:
        left = np.cumsum(left, axis=1)
    refused = refused or Counter()
    names = source_names(problem.sources)
    rows = [(year, sid, names.get(sid, sid), problem.budget[s, n], spent[s, n], left[s, n],
             refused.get((year, sid), 0))
            for n, year in enumerate(problem.years)
            for s, sid in enumerate(problem.sources["source_id"])]
    table = pd.DataFrame(rows, columns=list(RULE_MONEY_COLUMNS))
    money = ["budget_yuan", "spent_yuan", "unspent_yuan"]
    table[money] = table[money].round(2) + 0.0  # + 0.0: no "-0.00" in the file
    return table


def unspent(table: pd.DataFrame, carry_over: bool) -> pd.Series:
    """Yuan a :func:`rule_money` table leaves unspent over the whole plan, per source: with
    carry-over what is left at the end of the last year, without the sum of every year's."""
    by_source = table.groupby("source_id", sort=False)["unspent_yuan"]
    return by_source.last() if carry_over else by_source.sum()


def unspent_in_words(table: pd.DataFrame, plan_money: pd.DataFrame, carry_over: bool) -> str:
    """Why the rule of thumb leaves money unspent, from its :func:`rule_money` table and the
    plan's money table (year, source_id, yuan): how much, which source stopped it, and what was
    left elsewhere."""
    left = unspent(table, carry_over)
    budget = table["budget_yuan"].sum()
    total = float(left.clip(lower=0).sum())
    text = (f"The rule of thumb leaves {total / 1e6:,.1f} million yuan unspent "
            f"({total / budget:.1%} of the budgets).") if budget > 0 else ""
    refused = table.groupby("source_id", sort=False)["refused_attempts"].sum()
    refused = refused[refused > 0].sort_values(ascending=False, kind="stable")
    if refused.empty:
        return (text + " It refused no upgrade for lack of money: what is left had nothing it "
                "was allowed to pay for (every community it could upgrade was upgraded, or "
                "delivery limits or completion within the plan years stopped the rest).").strip()
    first = refused.index[0]
    years = table[table["source_id"] == first]
    empty = int((years["unspent_yuan"] <= 0.01 * years["budget_yuan"].clip(lower=1.0)).sum())
    rule_share = years["spent_yuan"].sum() / table["spent_yuan"].sum()
    plan_total = plan_money["yuan"].sum()
    plan_share = (plan_money.loc[plan_money["source_id"] == first, "yuan"].sum() / plan_total
                  if plan_total > 0 else float("nan"))
    others = left.drop(first).sort_values(ascending=False)
    others = others[others > 0.005 * total][:4]
    kept = ", ".join(f"{sid} ({yuan / 1e6:,.1f} M)" for sid, yuan in others.items())
    also = (f" ({', '.join(f'{sid}: {int(n):,}' for sid, n in refused.iloc[1:3].items())} "
            "for the others)") if len(refused) > 1 else ""
    opening = (f"{text} Of the {int(refused.sum()):,} times it could not pay an upgrade it tried "
               f"(it tries every community left, each year), {int(refused.iloc[0]):,} were because "
               f"{first} had too little left for its share{also}. {first} had (almost) nothing "
               f"left at the end of {empty} of {len(years)} years"
               + (f", while {kept} were left over" if kept else "") + ".")
    if not plan_share < rule_share - 0.01:  # the plan leans on it as much: its money is short
        return (f"{opening} The plan spends as large a share of its money from {first} "
                f"({plan_share:.1%}; the rule {rule_share:.1%}), so the split is not the cause: "
                f"what the rule has left of {first} is too little for any upgrade it has not "
                "made yet, after the upgrades it chose first.").strip()
    return (
        f"{opening} The cause is how the rule splits each cost: every source pays its minimum "
        "share, then non-public money and then public money, in order of source id, each up to "
        f"its maximum share. So {first} pays {rule_share:.1%} of what the rule spends (the plan: "
        f"{plan_share:.1%}), runs out first and stops every upgrade that needs a share of it. "
        "The plan splits each cost within the same bounds so that no source runs out while "
        "others have money left."
    ).strip()
