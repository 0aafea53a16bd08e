r"""The upgrade-planning model: which communities reach which class in which year, paid by whom.

Formulation
-----------
Sets: communities :math:`i`, years :math:`t \in T` (first..last year), classes
:math:`k \in \{b, f\}` (basic, featured), cost categories :math:`j`, funding groups :math:`g`
(district × zone; :math:`g(i)` is community i's), sources :math:`s`, and for each (g, j) the
eligible sources :math:`S_{gj}` with share bounds :math:`[\underline\sigma_{sgj}, \overline\sigma_{sgj}]`.

Decisions (money in units of 10,000 yuan inside the model, for numerics):

* :math:`x^k_{it} \in \{0,1\}` — community i *starts* its class-k upgrade in year t ("start-year"
  binaries: one per community, class and year, at most one per class — far tighter and faster
  than a cumulative binary per year with monotonicity rows). With the lead time :math:`L_k`
  of ``[delivery]`` (0 by default) it completes at the end of :math:`t + L_k`; only starts with
  :math:`t + L_k \le` the last plan year exist (a start that could not complete within the plan
  is not allowed: it would cost money and count for nothing). Capital is paid in phases,
  share :math:`\pi^k_s` in year :math:`t + s` (:math:`s = 0..L_k`, :math:`\sum_s \pi^k_s = 1`;
  by default :math:`\pi^k_0 = 1`);
* :math:`q_{gjt} \ge 0` — spending of group g on category j in year t; :math:`r_{gjt} \ge 0` —
  its running part;
* :math:`\lambda_{gjtv} \ge 0` — the part of :math:`q_{gjt}` paid with split :math:`v`, a vertex
  :math:`\sigma_v` of the share polytope :math:`\{\sigma : \sum_s \sigma_s = 1,
  \underline\sigma_{sgj} \le \sigma_s \le \overline\sigma_{sgj}\}`; source s pays
  :math:`y_{sgjt} = \sum_v \sigma_{vs} \lambda_{gjtv}` (every split within the bounds is a mix of
  vertices, and no share rows are needed — they made the LP an order of magnitude slower; the
  funding rule of :mod:`wzmodel.planner.funding` builds these terms);
* the auxiliary variables of some target kinds (e.g. :math:`z_u` — binary "street u is a
  complete block");
* :math:`\delta_\ell \ge 0` — shortfall of soft target ℓ (one per row of the target).

Constraints:

.. math::

   \sum_t x^k_{it} \le 1, \qquad x^f_{it} \le \sum_{\tau + L_b \le t + L_f} x^b_{i\tau}
   \quad (\text{featured completes no earlier than basic; same start year allowed, paying both})

   x^f_{rt} = x^f_{jt} \quad (\text{the committees } j \text{ of a featured area start featured
   together with its first one } r\text{; docs/grids.md})

   \sum_{i \in d} x^k_{it} \le C_{dk}, \qquad \sum_{i,k} x^k_{it} \le C_t
   \quad (\text{delivery capacity of district } d \text{ and of the city, where given})

   r_{gjt} = r_{gj,t-1} + \sum_{i \in g,k} \rho^k_{ij} x^k_{i,t-1-L_k}
   \quad (\text{running costs of everything completed, every later year})

   q_{gjt} = \sum_{i \in g,k} \sum_{s=0}^{L_k} \pi^k_s c^k_{ij} x^k_{i,t-s} + r_{gjt}, \qquad
   \sum_v \lambda_{gjtv} = q_{gjt}

   \sum_{g,j} y_{sgjt} + u_{st} - u_{s,t-1} \le B_{st}
   \quad (u_{st} \ge 0 \text{ unspent money carried over; } u \equiv 0 \text{ without carry-over})

A re-plan (:mod:`wzmodel.planner.progress`) fixes every start up to its year :math:`Y` and
writes budget rows for :math:`t > Y` only, the first with :math:`B_{s,Y+1} + R_s` where
:math:`R_s = \sum_{t \le Y} (B_{st} - \text{spent}_{st})` is what the past left after the
money actually spent (0 without carry-over).

Targets: each target's kind (:data:`wzmodel.targets.KINDS`) gives its rows
:math:`\sum_j a_j x_j \ge b` (one, or one per part — e.g. per district), written out in the
kind's module docstring in :mod:`wzmodel.targets`; a soft target gets :math:`+\delta_\ell` on the
left of each row and a penalty. Must-do communities: :math:`\sum_{t + L_b \le Y_i} x^b_{it} = 1`.
Targets count a start from its completion year (:meth:`PlanModel.done_by`: :math:`t + L_k \le Y`).

Objectives: ``coverage_years`` maximises
:math:`\sum_{i,t} \omega_i \big((t_{end} - t - L_b + 1) x^b_{it}
+ \phi (t_{end} - t - L_f + 1) x^f_{it}\big) - \sum_\ell p_\ell \delta_\ell` (years complete);
``min_public_money`` minimises :math:`\sum_{s\ \mathrm{public}} \sum y_{sgjt} + \sum_\ell p_\ell \delta_\ell`.

The model is built by one small ``define_*`` function per family of variables or constraints;
:func:`build` runs them in order and accepts a hook for user constraints.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pulp

from wzmodel.planner.problem import PlanningProblem
from wzmodel.targets import KINDS, Target
from wzmodel.vocabulary import CLASSES, MONEY_UNIT

__all__ = ["MONEY_UNIT", "PlanModel", "build"]



@dataclass
class PlanModel:
    """A built model and the handles to its variables and budget rows (keys map back to the
    data: ``budget_rows[(source_id, year)]`` is that source's budget row of that year)."""

    problem: PlanningProblem
    prob: pulp.LpProblem
    x: dict[str, dict[tuple[int, int], pulp.LpVariable]] = field(default_factory=dict)
    spend: dict[tuple[int, int, int], pulp.LpVariable] = field(default_factory=dict)
    pay: dict[tuple[str, int, int, int], pulp.LpAffineExpression] = field(default_factory=dict)
    shortfall: dict[str, pulp.LpVariable] = field(default_factory=dict)
    extra: dict[tuple[str, int], pulp.LpVariable] = field(default_factory=dict)
    blocks: dict[tuple[str, int, float], pulp.LpVariable] = field(default_factory=dict)
    budget_rows: dict[tuple[str, int], pulp.LpConstraint] = field(default_factory=dict)
    build_seconds: float = 0.0

    def cover_terms(
        self, mask: np.ndarray, year: int, weight: np.ndarray
    ) -> list[tuple[pulp.LpVariable, float]]:
        """Σ_{i∈mask} weight_i Σ_{t+L_b≤year} x^b_it as terms: the weight basic by ``year``'s end."""
        return [(v, weight[i]) for (i, t), v in self.done_by("basic", year) if mask[i]]

    def done_by(self, klass: str, year: int) -> list[tuple[tuple[int, int], pulp.LpVariable]]:
        """The ((i, t), x^k_it) whose upgrade is complete by the end of ``year`` (t + L_k ≤ year)."""
        last_start = year - self.problem.lead(klass)
        return [(key, v) for key, v in self.x[klass].items() if key[1] <= last_start]

    @staticmethod
    def safe_name(name: str) -> str:
        """``name`` with every character but letters and digits replaced, for row names."""
        return "".join(ch if ch.isalnum() else "_" for ch in name)


def build(
    problem: PlanningProblem,
    *,
    hook: Callable[[PlanModel], None] | None = None,
    elastic_budgets: bool = False,
) -> PlanModel:
    """Build the model of ``problem``. ``hook(model)`` may add user constraints before solving.

    With ``elastic_budgets`` every budget row gets a priced extra-money variable and every soft
    or hard target stays hard: the least extra money that reaches the targets (diagnosis).
    """
    t0 = time.perf_counter()
    sense = (
        pulp.LpMaximize
        if (problem.scenario.objective.kind == "coverage_years" and not elastic_budgets)
        else pulp.LpMinimize
    )
    model = PlanModel(problem, pulp.LpProblem(f"plan_{PlanModel.safe_name(problem.scenario.name)}", sense))
    define_upgrades(model)
    define_featured_requires_basic(model)
    define_featured_areas(model)
    define_must_do(model)
    define_capacity(model)
    define_spending(model)
    define_funding(model)
    extra = define_budgets(model, elastic=elastic_budgets)
    penalties = define_targets(model, hard=elastic_budgets)
    define_objective(model, penalties, extra)
    if hook is not None:
        hook(model)
    model.build_seconds = time.perf_counter() - t0
    return model


def _expr(terms) -> pulp.LpAffineExpression:
    return pulp.LpAffineExpression(terms)


# --------------------------------------------------------------------------------------------
def define_upgrades(m: PlanModel) -> None:
    """x^k_it for every allowed community, class and start year from its earliest year to the
    last one whose upgrade completes within the plan (t + L_k ≤ last year); at most one start
    year per class."""
    p = m.problem
    ids = p.communities["community_id"].to_numpy()
    for k in CLASSES:
        xs: dict[tuple[int, int], pulp.LpVariable] = {}
        last_start = p.years[-1] - p.lead(k)
        for i in np.flatnonzero(p.allowed[k]):
            row = []
            for t in p.years:
                if t < p.earliest[i] or t > last_start:
                    continue
                v = m.prob.add_variable(f"{k}_{ids[i]}_{t}", 0, 1, cat=pulp.LpInteger)
                xs[(i, t)] = v
                row.append((v, 1))
            if len(row) > 1:
                m.prob += (_expr(row) <= 1, f"once_{k}_{ids[i]}")
        m.x[k] = xs


def define_featured_requires_basic(m: PlanModel) -> None:
    """x^f_it ≤ Σ_{τ+L_b ≤ t+L_f} x^b_iτ for communities not yet basic: featured completes no
    earlier than basic (with equal lead times: starts in the same year or later)."""
    p = m.problem
    ids = p.communities["community_id"].to_numpy()
    xb = m.x["basic"]
    basic_lead, featured_lead = p.lead("basic"), p.lead("featured")  # asked once, not per row
    for (i, t), v in m.x["featured"].items():
        if p.already["basic"][i]:
            continue
        latest = t + featured_lead - basic_lead  # basic started by then is complete in time
        earlier = [(xb[(i, tau)], -1) for tau in p.years if tau <= latest and (i, tau) in xb]
        m.prob += (_expr([(v, 1), *earlier]) <= 0, f"needs_basic_{ids[i]}_{t}")


def define_featured_areas(m: PlanModel) -> None:
    """x^f_rt = x^f_jt for every committee j of a featured area (``featured_areas``) not
    featured at the start, r the first of them, and every year t (a start year a committee
    cannot have counts as 0): the area's committees reach featured together. An area that may
    not be made featured (across grids, partly outside the plan) has no featured variables."""
    p = m.problem
    ids = p.communities["community_id"].to_numpy()
    xf = m.x["featured"]
    for area in p.areas:
        todo = [i for i in area.members if not p.already["featured"][i]]
        for j in todo[1:]:
            for t in p.years:
                terms = [(xf[(i, t)], a) for i, a in ((todo[0], 1), (j, -1)) if (i, t) in xf]
                if terms:
                    m.prob += (_expr(terms) == 0,
                               f"area_{m.safe_name(area.area_id)}_{ids[j]}_{t}")


def define_must_do(m: PlanModel) -> None:
    p = m.problem
    index = {cid: i for i, cid in enumerate(p.communities["community_id"])}
    for cid, year in sorted(p.scenario.lists.must_do.items()):
        i = index[cid]
        if p.already["basic"][i]:
            continue
        terms = [(v, 1) for (j, _t), v in m.done_by("basic", year) if j == i]
        m.prob += (_expr(terms) == 1, f"must_do_{cid}")


def define_capacity(m: PlanModel) -> None:
    """Delivery capacity (``[delivery]``): Σ_{i∈d} x^k_it ≤ C_dk for every district d, class k
    and start year t with a cap, the same per street with a cap of its own, and
    Σ_{i,k} x^k_it ≤ C_t with a city-wide cap."""
    p = m.problem
    district = p.communities["district"].to_numpy()
    street = p.communities["street_code"].astype(str).to_numpy()
    starts = defaultdict(list)
    street_starts = defaultdict(list)
    capped = set(p.scenario.delivery.capacity.streets)
    for k in CLASSES:
        for (i, t), v in m.x[k].items():
            starts[(district[i], k, t)].append((v, 1))
            if street[i] in capped:
                street_starts[(street[i], k, t)].append((v, 1))
    for (d, k, t), terms in sorted(starts.items()):
        cap = p.capacity(d, k)
        if cap is not None and cap < len(terms):
            m.prob += (_expr(terms) <= cap, f"capacity_{m.safe_name(d)}_{k}_{t}")
    for (s, k, t), terms in sorted(street_starts.items()):
        cap = p.street_capacity(s, k)
        if cap is not None and cap < len(terms):
            m.prob += (_expr(terms) <= cap, f"capacity_street_{s}_{k}_{t}")
    city = p.scenario.delivery.city_starts
    if city is not None:
        for t in p.years:
            terms = [term for (_d, _k, y), ts in sorted(starts.items()) if y == t for term in ts]
            if city < len(terms):
                m.prob += (_expr(terms) <= city, f"capacity_city_{t}")


def define_spending(m: PlanModel) -> None:
    """q_gjt = capital phased over the upgrades' years from start to completion (share
    π^k_sj of category j in year t + s) + running cost r_gjt of the upgrades completed before year t, each at
    the price of the year it is paid in (``problem.prices``; 1 without)."""
    p = m.problem
    group = p.communities["group"].to_numpy()
    years = p.years
    capital = defaultdict(list)
    new_running = defaultdict(list)  # keyed by completion year
    price = {t: p.price(t) for t in years}
    for k in CLASSES:
        cap, run = p.capital[k] / MONEY_UNIT, p.running[k] / MONEY_UNIT
        phasing = p.phasing(k)  # years after the start × categories
        lead = p.lead(k)
        # each community's non-zero costs, found once (not once per year)
        capital_of = [[(j, cap[i, j]) for j in np.flatnonzero(cap[i])] for i in range(p.n)]
        running_of = [[(j, run[i, j]) for j in np.flatnonzero(run[i])] for i in range(p.n)]
        for (i, t), v in m.x[k].items():
            g = group[i]
            for j, c in capital_of[i]:
                for s in np.flatnonzero(phasing[:, j]):
                    capital[(g, j, t + s)].append((v, c * phasing[s, j] * price[t + s][j]))
            for j, c in running_of[i]:
                new_running[(g, j, t + lead)].append((v, c))
    cats = p.categories
    for g, category in sorted(p.rules):
        j = cats.index(category)
        previous = None
        for n, t in enumerate(years):
            terms = list(capital.get((g, j, t), ()))
            if n > 0:
                # cumulative running cost: r_t = r_{t-1} + running cost of year t-1's upgrades
                r = m.prob.add_variable(f"running_{g}_{category}_{t}", 0)
                step = [(r, 1), *[(v, -a) for v, a in new_running.get((g, j, years[n - 1]), ())]]
                if previous is not None:
                    step.append((previous, -1))
                m.prob += (_expr(step) == 0, f"running_def_{g}_{category}_{t}")
                terms.append((r, float(price[t][j])))  # r: running costs at base prices
                previous = r
            q = m.prob.add_variable(f"spend_{g}_{category}_{t}", 0)
            m.prob += (
                _expr([(q, 1), *[(v, -a) for v, a in terms]]) == 0,
                f"spend_def_{g}_{category}_{t}",
            )
            m.spend[(g, j, t)] = q


def define_funding(m: PlanModel) -> None:
    """Each spending q_gjt is paid as its funding rule says (:mod:`wzmodel.planner.funding`;
    today a mix of the share polytope's vertices, with no share row)."""
    p = m.problem
    cats = p.categories
    for (g, j, t), q in m.spend.items():
        paid = p.rules[(g, cats[j])].pay(m.prob, q, f"{g}_{cats[j]}_{t}")
        for sid, y in paid.items():
            m.pay[(sid, g, j, t)] = y


def define_budgets(m: PlanModel, *, elastic: bool) -> list[tuple[pulp.LpVariable, float]]:
    """Yearly budget of every source. With carry-over, unspent money moves to the next year
    through a stock variable (c_st = c_s,t-1 + B_st - spending_st, c ≥ 0) — equivalent to
    cumulative budgets but with short rows, which keeps the LP sparse and fast. Returns the
    priced extra-money variables of an elastic model."""
    p = m.problem
    by_source_year = defaultdict(list)
    for (sid, _g, _j, t), y in m.pay.items():
        by_source_year[(sid, t)].extend(y.items())
    carry = p.scenario.funding.carry_over
    extra_terms = []
    rows = p.budget_rows()  # a re-plan's past years bind nothing (docs/replan.md)
    for s, sid in enumerate(p.sources["source_id"]):
        stock = None
        for n, t, carried_in in rows:
            terms = list(by_source_year.get((sid, t), ()))
            if stock is not None:
                terms.append((stock, -1))
            if elastic:
                e = m.prob.add_variable(f"extra_{sid}_{t}", 0)
                m.extra[(sid, t)] = e
                extra_terms.append((e, 1.0))
                terms.append((e, -1))
            if carry and n < len(p.years) - 1:
                stock = m.prob.add_variable(f"unspent_{sid}_{t}", 0)
                terms.append((stock, 1))
            if terms:
                row = _expr(terms) <= (p.budget[s, n] + carried_in[s]) / MONEY_UNIT
                m.prob += (row, f"budget_{sid}_{t}")
                m.budget_rows[(sid, t)] = row
    return extra_terms


def rebudget(m: PlanModel, problem: PlanningProblem) -> None:
    """Set every budget row of ``m`` to ``problem``'s budgets, and ``m.problem`` to ``problem``:
    the model of a problem that differs in budgets only
    (:meth:`PlanningProblem.differs_in_budgets_only`), without building it again. Every row is
    set from ``problem`` (never adjusted), so the result does not depend on earlier budgets."""
    years = {t: n for n, t in enumerate(problem.years)}
    sources = {sid: s for s, sid in enumerate(problem.sources["source_id"])}
    for (sid, t), row in m.budget_rows.items():
        row.constant = -problem.budget[sources[sid], years[t]] / MONEY_UNIT
    m.problem = problem


def define_targets(m: PlanModel, *, hard: bool = False) -> list[tuple[pulp.LpVariable, float]]:
    """The rows of every target, as its kind gives them; each row of a soft target gets a
    shortfall variable priced in the objective."""
    p = m.problem
    penalties = []
    for name, target in sorted(p.scenario.targets.items()):
        rows = KINDS[target.kind].rows(m, target)
        soft = not (target.hard or hard)
        for row in rows.rows:
            key = f"{name}_{row.part}" if row.part else name
            terms = list(row.terms)
            if soft:
                d = m.prob.add_variable(f"shortfall_{key}", 0)
                m.shortfall[key] = d
                terms.append((d, 1))
                penalties.append((d, _penalty(p, target, rows.communities_per_unit)))
            if row.rhs > 0 or terms:
                m.prob += (_expr(terms) >= row.rhs, f"target_{key}")
    return penalties


def _penalty(p: PlanningProblem, target: Target, communities_per_unit: float) -> float:
    """Objective units per unit of shortfall: the scenario's, or by default twice what an
    average community adds when complete for the whole horizon (coverage-years), or twice the
    average cost of making a community basic (least money). A modelling choice, documented in
    docs/planner.md: soft targets then weigh like the communities they stand for, and the
    objective keeps a meaningful scale (so does its gap)."""
    if target.penalty is not None:
        return target.penalty
    if p.scenario.objective.kind == "coverage_years":
        per_community = len(p.years) * float(p.communities["objective_weight"].mean())
    else:
        per_community = float(p.capital["basic"].sum(axis=1).mean()) / MONEY_UNIT
    return 2.0 * per_community * communities_per_unit


def define_objective(m: PlanModel, penalties, extra) -> None:
    p = m.problem
    if extra:  # diagnosis: least extra money
        m.prob += _expr(extra)
        return
    if p.scenario.objective.kind == "coverage_years":
        omega = p.communities["objective_weight"].to_numpy(dtype=float)
        end = p.years[-1]
        phi = p.scenario.objective.featured_weight
        fb, ff = p.lead("basic"), p.lead("featured")
        terms = [(v, omega[i] * (end - t - fb + 1)) for (i, t), v in m.x["basic"].items()]
        terms += [(v, phi * omega[i] * (end - t - ff + 1)) for (i, t), v in m.x["featured"].items()]
        terms += [(d, -pen) for d, pen in penalties]
    else:
        public = p.public
        terms = [term for (sid, *_), y in m.pay.items() if public[sid] for term in y.items()]
        terms += [(d, pen) for d, pen in penalties]
    m.prob += _expr(terms)


def schedule_from(model: PlanModel, threshold: float = 0.5) -> pd.DataFrame:
    """The schedule (community_id, class, year) of the model's current solution (binaries above
    ``threshold``; a higher threshold keeps only what a relaxation takes whole)."""
    ids = model.problem.communities["community_id"].to_numpy()
    rows = [
        (ids[i], k, t)
        for k in CLASSES
        for (i, t), v in model.x[k].items()
        if v.varValue is not None and v.varValue > threshold
    ]
    return pd.DataFrame(rows, columns=["community_id", "class", "year"])


def funding_from(model: PlanModel) -> pd.DataFrame:
    """The funding table of the model's current solution, in yuan."""
    p = model.problem
    groups = p.groups
    rows = []
    for (sid, g, j, t), y in model.pay.items():
        amount = (y.value() or 0.0) * MONEY_UNIT
        if amount > 0.005:
            rows.append((t, sid, groups.at[g, "district"], groups.at[g, "zone"], p.categories[j], amount))
    return pd.DataFrame(rows, columns=["year", "source_id", "district", "zone", "cost_category", "yuan"])


def set_start(model: PlanModel, schedule: pd.DataFrame) -> None:
    """Set the binaries to a given schedule (all others 0) as the solver's warm start."""
    index = {cid: i for i, cid in enumerate(model.problem.communities["community_id"])}
    chosen = {
        (k, index[c], int(y))
        for c, k, y in schedule[["community_id", "class", "year"]].itertuples(index=False)
    }
    for k in CLASSES:
        for (i, t), v in model.x[k].items():
            v.varValue = 1.0 if (k, i, t) in chosen else 0.0
