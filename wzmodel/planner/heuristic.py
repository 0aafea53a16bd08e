"""The rule of thumb: what planners do without a model.

Each year, pay first the running costs of what is already built; then take the communities in
order — cheapest capital cost per household first (or greatest need) — and fund each one whose
whole cost the remaining money can cover under the same sharing rules, until nothing more fits.
Featured upgrades needed for a featured target (the featured chases of its kind) are picked
first in the years before it (cheapest per household; a featured area's committees all in one
year, or none). With ``[delivery]`` it starts no more
projects than a district's (and the city's) capacity, only starts that complete within the plan
years, and sets aside the whole phased capital of a start in its start year (paid, in its
ledger, in the years the phases fall due — safe under carry-over; without carry-over a later
phase may overrun that year's budget: the rule of thumb is a comparison, and an optimised plan's
funding is the model's). The result is a plan like any other:
every report compares the optimised plan with it, and the optimiser starts from it.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np
import pandas as pd

from wzmodel.planner.problem import PlanningProblem
from wzmodel.targets import KINDS, Chase

__all__ = ["rule_of_thumb"]


class _Purse:
    """Money left per source in the current year, and the ledger of what was paid."""

    def __init__(self, problem: PlanningProblem) -> None:
        self.p = problem
        self.index = {sid: s for s, sid in enumerate(problem.sources["source_id"])}
        self.left = np.zeros(len(self.index))
        # When topping up a fixed plan: money still free per source up to each year's end
        # (cumulative); spending in year n lowers it for n and every later year.
        self.slack: np.ndarray | None = None
        self.year_index = {y: n for n, y in enumerate(problem.years)}
        self.ledger: dict[tuple[int, str, int, str], float] = defaultdict(float)
        self.short: tuple[str, ...] = ()  # the sources too short for the last payment refused

    def try_pay(self, year: int, group: int, costs: np.ndarray | dict[int, np.ndarray],
                *, force: bool = False) -> bool:
        """Pay a vector of costs by category for one group, all or nothing, from this year's
        money. ``costs`` may be keyed by years after ``year`` (phased capital): the ledger
        books each vector in year ``year + n``, at that year's prices."""
        parts = costs if isinstance(costs, dict) else {0: costs}
        by_year = {n: part * self.p.price(year + n) for n, part in sorted(parts.items())
                   if part.any()}  # what is paid in year + n
        if not by_year:
            return True
        costs = sum(by_year.values()) if len(by_year) > 1 else next(iter(by_year.values()))
        left = self.left.copy()
        payments = []
        for j in np.flatnonzero(costs > 0):
            category = self.p.categories[j]
            rule = self.p.rules[(group, category)]
            available = None if force else {sid: left[self.index[sid]] for sid in rule.sources}
            pay = rule.split(float(costs[j]), available)
            if pay is None:
                self.short = rule.short(float(costs[j]), available)
                return False
            for sid, a in pay.items():
                left[self.index[sid]] -= a
                payments += [(year + n, sid, group, category, a if len(by_year) == 1
                              else a * due[j] / costs[j]) for n, due in by_year.items()]
        self.left = left
        for year_, sid, g, category, a in payments:
            if a > 0:
                self.ledger[(year_, sid, g, category)] += a
                if self.slack is not None:
                    self.slack[self.index[sid], self.year_index[year_] :] -= a
        return True


def rule_of_thumb(
    problem: PlanningProblem,
    *,
    rank_by: str = "cost_per_household",
    targets_first: bool = False,
    fixed: pd.DataFrame | None = None,
    spent: np.ndarray | None = None,
    paid_until: int | None = None,
    refused: Counter | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rule-of-thumb plan: (schedule, funding) tables like an optimised plan's.

    ``rank_by``: ``"cost_per_household"`` (cheapest first) or ``"need"`` (most basic criteria
    failed per yuan first). With ``targets_first`` the communities that count for an unmet hard
    coverage-type target (the basic chases of its kind, :mod:`wzmodel.targets`) are funded first
    (cheapest per unit of coverage) in the years up to the target — not what the practice
    does, but a good starting plan for the optimiser. ``fixed``
    is a schedule the rule keeps, ``spent`` (sources × years, yuan) the money that schedule
    uses up to the year ``paid_until`` (its running costs after that year are reserved here first);
    the rule then spends what is left, and the returned funding covers only what it added.
    ``spent`` (sources × years, yuan) is the money that schedule
    already uses (capital and running costs); the rule then spends what is left, and the
    returned funding covers only what it added.
    ``refused``, if given, counts per (year, source_id) the upgrades the rule tried and could not
    pay because that source had too little money left (:meth:`FundingRule.short`): why it
    leaves money unspent (:mod:`wzmodel.planner.fair`).
    """
    p = problem
    c = p.communities
    group = c["group"].to_numpy()
    households = c["households"].to_numpy(dtype=float)
    cap_b, cap_f = p.capital["basic"], p.capital["featured"]
    run_b, run_f = p.running["basic"], p.running["featured"]
    basic_year = np.where(p.already["basic"], p.years[0] - 1, 0)
    featured_year = np.where(p.already["featured"], p.years[0] - 1, 0)
    committed = {k: np.zeros(p.n, dtype=int) for k in ("basic", "featured")}
    if fixed is not None:
        index = {cid: i for i, cid in enumerate(c["community_id"])}
        for cid, klass, year in fixed[["community_id", "class", "year"]].itertuples(index=False):
            committed[klass][index[cid]] = int(year)

    if rank_by == "need":
        failures = p.assessment.communities["basic_failures"].to_numpy(dtype=float)
        basic_key = -failures * households / np.maximum(cap_b.sum(axis=1), 1.0)
    elif rank_by == "cost_per_household":
        basic_key = cap_b.sum(axis=1) / households
    else:
        raise ValueError(f"rank_by must be 'cost_per_household' or 'need', not {rank_by!r}")
    featured_key = (cap_b.sum(axis=1) * ~p.already["basic"] + cap_f.sum(axis=1)) / households
    basic_order = np.lexsort((c["community_id"].to_numpy(), basic_key))
    featured_order = np.lexsort((c["community_id"].to_numpy(), featured_key))
    must_do = {
        i: y
        for i, cid in enumerate(c["community_id"])
        for k, y in p.scenario.lists.must_do.items()
        if k == cid
    }

    purse = _Purse(p)
    topping_up = spent is not None
    if topping_up:
        if not p.scenario.funding.carry_over:  # no safe way to reserve later years' money
            return fixed.copy(), pd.DataFrame(
                columns=["year", "source_id", "district", "zone", "cost_category", "yuan"]
            )
        purse.slack = np.cumsum(p.budget - spent, axis=1)
        _reserve_running(p, purse, committed, paid_until or p.years[-1])
    lead = {k: p.lead(k) for k in ("basic", "featured")}
    phasing = {k: p.phasing(k) for k in ("basic", "featured")}  # once, not per attempt
    # each committee of a featured area still to make featured → all of them (together)
    area_of = {}
    for area in p.areas:
        todo = [i for i in area.members if not p.already["featured"][i]]
        area_of.update(dict.fromkeys(todo, todo))
    district = c["district"].to_numpy()
    street = c["street_code"].astype(str).to_numpy()
    started: dict[tuple[str, str, int], int] = defaultdict(int)  # (district, class, year)
    started_street: dict[tuple[str, str, int], int] = defaultdict(int)  # (street, class, year)
    started_city: dict[int, int] = defaultdict(int)
    city_cap = p.scenario.delivery.city_starts
    for n, year in enumerate(p.years):
        if topping_up:
            purse.left = purse.slack[:, n:].min(axis=1)
        else:
            purse.left = (purse.left if p.scenario.funding.carry_over else 0.0) + p.budget[:, n]
        # 1. running costs of everything completed in earlier years (a commitment)
        running = np.zeros((len(p.groups), len(p.categories)))
        done_b = ((basic_year > 0) & (basic_year + lead["basic"] < year) & ~p.already["basic"]
                  & ~(committed["basic"] > 0))
        done_f = (
            (featured_year > 0)
            & (featured_year + lead["featured"] < year)
            & ~p.already["featured"]
            & ~(committed["featured"] > 0)
        )
        np.add.at(running, group[done_b], run_b[done_b])
        np.add.at(running, group[done_f], run_f[done_f])
        for g in np.flatnonzero(running.sum(axis=1) > 0) if not topping_up else ():
            if not purse.try_pay(year, g, running[g]):
                purse.try_pay(year, g, running[g], force=True)  # overspends; check will say so

        def upgrade(i: int, klass: str, year: int = year) -> bool:
            if (not p.allowed[klass][i] or p.earliest[i] > year or committed[klass][i]
                    or p.finish(klass, year) > p.years[-1]):
                return False
            need_basic = klass == "featured" and basic_year[i] == 0
            classes = ("basic", "featured") if need_basic else (klass,)
            if klass == "featured":  # featured completes no earlier than basic
                basic_done = (year if need_basic else basic_year[i]) + lead["basic"] * (
                    not p.already["basic"][i])
                if basic_done > p.finish("featured", year):
                    return False
            if any(started[(district[i], k, year)] >= cap
                   for k in classes if (cap := p.capacity(district[i], k)) is not None):
                return False
            if any(started_street[(street[i], k, year)] >= cap
                   for k in classes if (cap := p.street_capacity(street[i], k)) is not None):
                return False
            if city_cap is not None and started_city[year] + len(classes) > city_cap:
                return False
            if not purse.try_pay(year, group[i], _upgrade_costs(p, i, classes, year, topping_up,
                                                                  phasing)):
                if refused is not None:
                    refused.update((year, sid) for sid in purse.short)
                return False
            for k in classes:
                started[(district[i], k, year)] += 1
                started_street[(street[i], k, year)] += 1
            started_city[year] += len(classes)
            if klass == "featured":
                featured_year[i] = year
                if need_basic:
                    basic_year[i] = year
            else:
                basic_year[i] = year
            return True

        # 2. committed upgrades of this year (already paid), must-do communities due by this
        # year, featured quota, then basic by rank
        for k, start_year in (("basic", basic_year), ("featured", featured_year)):
            mine = committed[k] == year
            start_year[mine] = year  # paid for in `spent`
            for d, s in zip(district[mine], street[mine], strict=True):
                started[(d, k, year)] += 1
                started_street[(s, k, year)] += 1
            started_city[year] += int(mine.sum())
        for i, due in sorted(must_do.items()):
            if basic_year[i] == 0 and due >= year:
                upgrade(i, "basic")
        quota = _featured_quota(p, year, featured_year)
        for i in featured_order:
            if quota <= 0:
                break
            if featured_year[i] > 0:
                continue
            if i not in area_of:
                quota -= upgrade(i, "featured")
                continue
            # a featured area: all its committees this year, or none (money, counts restored)
            saved = (purse.left.copy(), purse.ledger.copy(),
                     None if purse.slack is None else purse.slack.copy(), started.copy(),
                     started_city.copy(), basic_year.copy(), featured_year.copy())
            if all(upgrade(j, "featured") for j in area_of[i]):
                quota -= 1
                continue
            purse.left, purse.ledger, purse.slack = saved[:3]
            for counts, before in ((started, saved[3]), (started_city, saved[4])):
                counts.clear()
                counts.update(before)
            basic_year[:], featured_year[:] = saved[5], saved[6]
        if targets_first:
            for chase in _chases(p, "basic"):
                if year > chase.year - lead["basic"]:
                    continue
                mask, weight = chase.mask, chase.weight
                have = weight[mask & (basic_year > 0)].sum()
                per_unit = cap_b.sum(axis=1) / np.maximum(weight, 1e-9)
                for i in np.lexsort((c["community_id"].to_numpy(), per_unit)):
                    if have >= chase.need - 1e-9:
                        break
                    if mask[i] and basic_year[i] == 0 and upgrade(i, "basic"):
                        have += weight[i]
        for i in basic_order:
            if basic_year[i] == 0:
                upgrade(i, "basic")

    ids = c["community_id"].to_numpy()
    rows = [
        (ids[i], "basic", int(basic_year[i])) for i in np.flatnonzero((basic_year > 0) & ~p.already["basic"])
    ]
    rows += [
        (ids[i], "featured", int(featured_year[i]))
        for i in np.flatnonzero((featured_year > 0) & ~p.already["featured"])
    ]
    schedule = pd.DataFrame(rows, columns=["community_id", "class", "year"])
    funding = pd.DataFrame(
        [
            (y, sid, p.groups.at[g, "district"], p.groups.at[g, "zone"], k, a)
            for (y, sid, g, k), a in sorted(purse.ledger.items())
        ],
        columns=["year", "source_id", "district", "zone", "cost_category", "yuan"],
    )
    return schedule, funding


def _upgrade_costs(p: PlanningProblem, i: int, classes: tuple[str, ...], year: int,
                   topping_up: bool, phasing: dict[str, np.ndarray]) -> dict[int, np.ndarray]:
    """What community ``i``'s upgrades of ``classes`` started in ``year`` cost, by years after
    ``year`` (the capital, phased per category); when topping up a fixed plan, also every
    running cost after completion, paid now (safe under carry-over)."""
    costs: dict[int, np.ndarray] = {}
    for k in reversed(classes):  # featured first, as the rule of thumb always added them
        for n, shares in enumerate(phasing[k]):
            part = p.capital[k][i] * shares
            costs[n] = costs[n] + part if n in costs else part
    if topping_up:
        ends = {p.finish(k, year) for k in classes}
        if len(ends) == 1:
            run = sum(p.running[k][i] for k in reversed(classes)) * (p.years[-1] - ends.pop())
        else:
            run = sum(p.running[k][i] * (p.years[-1] - p.finish(k, year)) for k in classes)
        costs[0] = costs[0] + run
    return costs


def _reserve_running(p: PlanningProblem, purse: _Purse, committed, paid_until: int) -> None:
    """Pay (from the slack) the fixed plan's running costs of the years after ``paid_until``."""
    group = p.communities["group"].to_numpy()
    for year in (y for y in p.years if y > paid_until):
        running = np.zeros((len(p.groups), len(p.categories)))
        for klass in ("basic", "featured"):
            done = (committed[klass] > 0) & (committed[klass] + p.lead(klass) < year)
            np.add.at(running, group[done], p.running[klass][done])
        for g in np.flatnonzero(running.sum(axis=1) > 0):
            if not purse.try_pay(year, g, running[g]):
                purse.try_pay(year, g, running[g], force=True)


def _chases(p: PlanningProblem, klass: str) -> list[Chase]:
    """What the targets' kinds ask the rule of thumb to chase at class ``klass``, earliest
    target first."""
    targets = sorted(p.scenario.targets.values(), key=lambda t: t.year)
    return [c for t in targets for c in KINDS[t.kind].chases(p, t) if c.klass == klass]


def _featured_quota(p: PlanningProblem, year: int, featured_year: np.ndarray) -> int:
    """Featured upgrades to make this year so that the featured chases are met evenly."""
    quota = 0
    for chase in _chases(p, "featured"):
        last = chase.year - p.lead("featured")
        if year > last:
            continue
        have = chase.weight[chase.mask & (featured_year > 0)].sum()
        years_left = len([y for y in p.years if year <= y <= last])
        quota = max(quota, math.ceil(max(0, chase.need - have) / years_left))
    return quota
