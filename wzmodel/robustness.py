"""Robustness of plans across a sweep: how likely each target is met, how much a choice of lever
can cost against the best choice in hindsight, and which parameters drive failure.

All functions take the tidy results of :func:`wzmodel.sweep.run_sweep` (one row per experiment)
or any DataFrame of the same shape, so they can be tested on synthetic data.

* :func:`target_probabilities` — share of experiments meeting each target, per lever setting.
* :func:`infeasibility` — experiments without a plan per lever setting, and the median extra
  money their diagnoses need.
* :func:`regret` — per parameter sample, the best objective among lever settings minus each
  setting's objective (0 for the best); :func:`regret_summary` gives the maximum and mean.
* :func:`prim` — the Patient Rule Induction Method (Friedman and Fisher, 1999): peel a box off
  the parameter space, a small slice at a time, towards the region where a case of interest
  (usually failure) is densest; the box's restricted dimensions are the drivers. A small
  implementation of our own, peeling only (notebook 05 and older analyses use it).
* :func:`discover` — scenario discovery with the EMA workbench (optional extra ``discovery``):
  PRIM with peeling *and pasting*, a CART tree's leaves as boxes, and extra-trees feature
  scores per input, returned as our own types (:class:`Discovery`). Prefer it for new work.
* :func:`sobol_indices` — global sensitivity (SALib): first-order and total Sobol' indices of
  an outcome per parameter and lever setting, from a sweep drawn with ``method = "saltelli"``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from SALib.analyze import sobol as salib_sobol

__all__ = ["Discovery", "PrimBox", "discover", "infeasibility", "prim", "regret",
           "regret_summary", "sobol_indices", "target_probabilities"]


def target_probabilities(results: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Probability (share of experiments) of meeting each target, per lever setting.

    Parameters
    ----------
    results : sweep results with boolean ``met_<target>`` columns (and ``holds``, if present).
    by : columns to group by (typically the lever names); empty or None = all experiments.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``experiments``, then ``p_<target>`` per target and ``p_holds``
        (share of experiments whose plan holds entirely), each in [0, 1].

    Notes
    -----
    An experiment without a plan (``feasible`` False: infeasible, or no reference plan to
    re-check) meets no target and does not hold, whatever its other columns say; a missing
    value counts as not met. Such experiments stay in the denominator. See
    :func:`infeasibility` for how many there are and what they would need.
    """
    outcomes = [c for c in results.columns if c.startswith("met_")]
    if "holds" in results.columns:
        outcomes.append("holds")
    if not outcomes:
        raise ValueError("results have no met_<target> or holds columns")
    shares = _met(results, outcomes)
    renamed = {c: "p_" + c.removeprefix("met_") for c in outcomes}
    if not by:
        row = shares.mean().rename(renamed).to_frame().T
        row.insert(0, "experiments", len(results))
        return row.reset_index(drop=True)
    grouped = shares.groupby([results[c] for c in by], sort=True)
    table = grouped.mean().rename(columns=renamed)
    table.insert(0, "experiments", grouped.size())
    return table.reset_index()


def _met(results: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """1.0 where the boolean outcome columns are met, 0.0 otherwise: a missing value, or an
    experiment without a plan (``feasible`` False), counts as not met."""
    shares = results[outcomes].astype("boolean").fillna(False).astype(float)
    if "feasible" in results.columns:
        shares = shares.mul(results["feasible"].astype("boolean").fillna(False).astype(float),
                            axis=0)
    return shares


def infeasibility(results: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """How many experiments had no plan, per lever setting, and the extra money they need.

    Parameters
    ----------
    results : sweep results with ``feasible`` and ``extra_money_yuan`` columns.
    by : columns to group by (typically the lever names); empty or None = all experiments.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``experiments``, ``infeasible`` (experiments without a plan) and
        ``median_extra_money_yuan`` — the median, over those experiments, of the least extra
        money their diagnoses need to meet every hard target (``inf`` if some need more than any
        amount; NaN when every experiment has a plan or none was diagnosed).
    """
    frame = pd.DataFrame({
        "infeasible": ~results["feasible"].astype(bool),
        "extra": results["extra_money_yuan"].astype(float).where(~results["feasible"].astype(bool)),
    })
    if not by:
        return pd.DataFrame({"experiments": [len(results)],
                             "infeasible": [int(frame["infeasible"].sum())],
                             "median_extra_money_yuan": [frame["extra"].median()]})
    grouped = frame.groupby([results[c] for c in by], sort=True)
    table = pd.DataFrame({"experiments": grouped.size(),
                          "infeasible": grouped["infeasible"].sum().astype(int),
                          "median_extra_money_yuan": grouped["extra"].median()})
    return table.reset_index()


def regret(results: pd.DataFrame, levers: list[str], *, objective: str = "objective",
           sample: str = "sample_id", maximise: bool = True) -> pd.DataFrame:
    """Regret of every lever setting in every parameter sample.

    Regret is the gap between the best objective any lever setting reaches in that sample and
    the setting's own objective — what choosing it costs in hindsight (≥ 0; 0 for the best).

    Parameters
    ----------
    results : sweep results; each ``sample`` value should appear once per lever setting.
    levers : the lever columns that define a setting.
    objective : the outcome column compared.
    sample : the column identifying the parameter sample shared by all lever settings.
    maximise : True when a higher objective is better (coverage-years), False for costs.

    Returns
    -------
    DataFrame
        ``sample``, the lever columns, ``objective`` and ``regret``. A sample in which a setting
        has no objective (NaN: no plan) gives that setting NaN regret.
    """
    if not levers:
        raise ValueError("regret compares lever settings; no lever columns given")
    frame = results[[sample, *levers, objective]].copy()
    best = frame.groupby(sample)[objective].transform("max" if maximise else "min")
    frame["regret"] = (best - frame[objective]) if maximise else (frame[objective] - best)
    return frame.sort_values([sample, *levers], kind="stable", ignore_index=True)


def regret_summary(regrets: pd.DataFrame, levers: list[str]) -> pd.DataFrame:
    """Maximum and mean regret per lever setting (from :func:`regret`), smallest maximum first."""
    table = regrets.groupby(levers, sort=True)["regret"].agg(max_regret="max", mean_regret="mean")
    return table.reset_index().sort_values("max_regret", kind="stable", ignore_index=True)


@dataclass(frozen=True)
class PrimBox:
    """A box found by :func:`prim`.

    Attributes
    ----------
    limits : per input column, ``low`` and ``high`` of the box (index = column names).
    restricted : the columns the box actually limits (narrower than the data's range) — the
        drivers of the case of interest.
    coverage : share of all cases of interest that lie in the box.
    density : share of the experiments in the box that are cases of interest.
    mass : share of all experiments in the box.
    trajectory : one row per step. From :func:`prim`, per peeling step: ``step``,
        ``coverage``, ``density``, ``mass``, ``column``, ``side`` (``low`` / ``high``: which
        end was peeled) and ``bound``. From :func:`discover`, per peeling or pasting step:
        ``step``, ``coverage``, ``density``, ``mass`` and ``restricted`` (how many inputs the
        step's box limits).
    """

    limits: pd.DataFrame
    restricted: tuple[str, ...]
    coverage: float
    density: float
    mass: float
    trajectory: pd.DataFrame

    def describe(self) -> str:
        """The box in words, e.g. ``cost_overrun >= 1.21 (coverage 95 %, density 88 %)``."""
        return (f"{_rule(self.limits, self.restricted)} (coverage {100 * self.coverage:.0f} %, "
                f"density {100 * self.density:.0f} %, mass {100 * self.mass:.0f} %)")


def _rule(limits: pd.DataFrame, restricted: Sequence[str]) -> str:
    """The restricted limits in words: ``a <= 0.4 and b >= 0.5`` (``the whole space`` if none)."""
    parts = []
    for column in restricted:
        low, high = limits.loc[column, ["low", "high"]]
        lo_cut = low > limits.loc[column, "data_low"]
        hi_cut = high < limits.loc[column, "data_high"]
        if lo_cut and hi_cut:
            parts.append(f"{low:.4g} <= {column} <= {high:.4g}")
        elif lo_cut:
            parts.append(f"{column} >= {low:.4g}")
        else:
            parts.append(f"{column} <= {high:.4g}")
    return " and ".join(parts) or "the whole space"


def _limits(columns: Sequence[str], low: np.ndarray, high: np.ndarray, data_low: np.ndarray,
            data_high: np.ndarray) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """A box's limits table and its restricted columns (those narrower than the data)."""
    limits = pd.DataFrame({"low": low, "high": high, "data_low": data_low,
                           "data_high": data_high}, index=list(columns))
    restricted = tuple(c for c, lo, hi, dlo, dhi in zip(columns, low, high, data_low, data_high,
                                                        strict=True)
                       if lo > dlo or hi < dhi)
    return limits, restricted


def prim(inputs: pd.DataFrame, cases: np.ndarray | pd.Series, *, peel_alpha: float = 0.05,
         min_mass: float = 0.05, min_coverage: float = 0.8) -> PrimBox:
    """Find a box in ``inputs`` where ``cases`` (e.g. failures) concentrate, by peeling.

    Starting from the box holding every experiment, each step considers, for every column,
    removing the ``peel_alpha`` share of the remaining experiments with the lowest or with the
    highest values (every value at or beyond that quantile), and takes the removal that leaves
    the highest density of cases (ties: the one removing fewer experiments, then the first
    column). Peeling stops when the next box
    would hold less than ``min_mass`` of the experiments or no removal is possible. Of the
    boxes on the way, the one with the highest density among those keeping at least
    ``min_coverage`` of the cases is returned (ties: the larger box).

    Parameters
    ----------
    inputs : numeric input columns (parameters), one row per experiment.
    cases : boolean per experiment — the case of interest (True = e.g. a target missed).
    peel_alpha : share of the remaining experiments peeled per step (0 < alpha < 0.5).
    min_mass : smallest share of experiments a box may hold.
    min_coverage : smallest share of the cases the chosen box must keep.

    Returns
    -------
    PrimBox
    """
    if not 0 < peel_alpha < 0.5:
        raise ValueError("peel_alpha must lie in (0, 0.5)")
    x = inputs.to_numpy(dtype=float)
    y = np.asarray(cases, dtype=bool)
    if len(x) != len(y) or len(y) == 0:
        raise ValueError("inputs and cases need the same, positive number of rows")
    if not y.any():
        raise ValueError("no case of interest to find a box for")
    columns = list(inputs.columns)
    low, high = x.min(axis=0), x.max(axis=0)
    inside = np.ones(len(y), dtype=bool)
    n_cases, n = y.sum(), len(y)
    boxes = [(low.copy(), high.copy(), inside.copy())]
    steps = [(0, 1.0, y.mean(), 1.0, "", "", np.nan)]
    while True:
        best = None
        for j in range(x.shape[1]):
            values = x[inside, j]
            for side in ("low", "high"):
                # strict inequality: the peeled slice always holds at least the extreme value
                if side == "low":
                    q = np.quantile(values, peel_alpha)
                    keep = inside & (x[:, j] > q)
                else:
                    q = np.quantile(values, 1 - peel_alpha)
                    keep = inside & (x[:, j] < q)
                if not keep.any() or keep.sum() < min_mass * n:
                    continue
                density = y[keep].mean()
                key = (density, keep.sum())
                if best is None or key > best[0]:
                    best = (key, j, side, q, keep)
        if best is None:
            break
        _, j, side, q, keep = best
        inside = keep
        if side == "low":
            low[j] = x[inside, j].min()
        else:
            high[j] = x[inside, j].max()
        boxes.append((low.copy(), high.copy(), inside.copy()))
        steps.append((len(steps), y[inside].sum() / n_cases, y[inside].mean(), inside.mean(),
                      columns[j], side, float(q)))
    trajectory = pd.DataFrame(steps, columns=["step", "coverage", "density", "mass", "column",
                                              "side", "bound"])
    eligible = trajectory[trajectory["coverage"] >= min_coverage - 1e-12]
    chosen = int(eligible.sort_values(["density", "mass"], ascending=[False, False],
                                      kind="stable")["step"].iloc[0])
    box_low, box_high, box_inside = boxes[chosen]
    limits, restricted = _limits(columns, box_low, box_high, x.min(axis=0), x.max(axis=0))
    return PrimBox(limits, restricted, float(y[box_inside].sum() / n_cases),
                   float(y[box_inside].mean()), float(box_inside.mean()), trajectory)


# ------------------------------------------------------------------------------------------
# global sensitivity: Sobol' indices (SALib)
# ------------------------------------------------------------------------------------------
def sobol_indices(results: pd.DataFrame, parameters: Sequence[str], *,
                  output: str = "met_coverage_2027", by: list[str] | None = None,
                  sample: str = "sample_id", num_resamples: int = 100,
                  conf_level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """First-order and total Sobol' indices of ``output`` per parameter (and lever setting).

    Which uncertainty decides the outcome? ``S1`` is the share of the outcome's variance due to
    the parameter alone; ``ST`` adds its interactions with the others (``ST - S1`` large: the
    parameter matters in combination). Estimated with SALib (Saltelli 2010, Jansen) on a sweep
    whose design is ``method = "saltelli"``; confidence intervals by bootstrap.

    Parameters
    ----------
    results : sweep results drawn with the ``saltelli`` method: per lever setting, the rows
        ordered by ``sample`` are ``N × (len(parameters) + 2)`` points in SALib's layout
        (first- and total-order design, ``calc_second_order=False``).
    parameters : the parameter columns, in declaration order (the design's column order).
    output : the outcome analysed. A boolean column (``met_<target>``, ``holds``) is read as
        1 when met and 0 otherwise, an experiment without a plan counting as not met (as in
        :func:`target_probabilities`); any other column is used as it is.
    by : columns to group by (typically the lever names); empty or None = all experiments.
    sample : the column giving each row's place in the design.
    num_resamples, conf_level : bootstrap resamples and the confidence level of the intervals.
    seed : seed of the bootstrap (same seed, same intervals).

    Returns
    -------
    DataFrame
        The ``by`` columns, ``parameter``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (the
        ``_conf`` columns are half-widths of the ``conf_level`` intervals), one row per
        parameter per group, parameters in the given order. NaN when the output does not vary
        within the group (every experiment met it, or none did: there is nothing to apportion)
        or has missing values.

    Raises
    ------
    ValueError
        When a group's row count is not a multiple of ``len(parameters) + 2`` (not a Saltelli
        design for these parameters).
    """
    names = list(parameters)
    if not names:
        raise ValueError("no parameter to compute Sobol' indices for")
    if results[output].dtype == bool or output == "holds" or output.startswith("met_"):
        y = _met(results, [output])[output]
    else:
        y = results[output].astype(float)
    frame = results[[*(by or []), sample]].assign(_y=y.to_numpy())
    groups = frame.groupby(by, sort=True) if by else [((), frame)]
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    rows = []
    for key, group in groups:
        values = group.sort_values(sample, kind="stable")["_y"].to_numpy(dtype=float)
        if len(values) == 0 or len(values) % (len(names) + 2):
            raise ValueError(f"{len(values)} experiments are not a Saltelli design for "
                             f"{len(names)} parameters (a multiple of {len(names) + 2})")
        if np.isnan(values).any() or np.ptp(values) == 0:
            indices = {k: [np.nan] * len(names) for k in ("S1", "S1_conf", "ST", "ST_conf")}
        else:
            # a Generator, not the int: SALib 1.6 ignores a seed of 0 (``if seed:``)
            found = salib_sobol.analyze(problem, values, calc_second_order=False,
                                        num_resamples=num_resamples, conf_level=conf_level,
                                        seed=np.random.default_rng(seed))
            indices = {k: found[k] for k in ("S1", "S1_conf", "ST", "ST_conf")}
        setting = dict(zip(by or [], key if isinstance(key, tuple) else (key,), strict=True))
        for j, name in enumerate(names):
            rows.append({**setting, "parameter": name,
                         **{k: float(v[j]) for k, v in indices.items()}})
    return pd.DataFrame(rows, columns=[*(by or []), "parameter", "S1", "S1_conf", "ST",
                                       "ST_conf"])


# ------------------------------------------------------------------------------------------
# scenario discovery with the EMA workbench (optional extra "discovery")
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Discovery:
    """What :func:`discover` found about the experiments where ``target`` is missed (or met).

    Attributes
    ----------
    target : the outcome column analysed.
    cases : ``missed`` or ``met`` — which experiments are the cases of interest.
    share : share of the experiments that are cases of interest.
    boxes : PRIM boxes (peeling and pasting), found one after another on the experiments left
        outside the earlier boxes.
    cart : one row per leaf of a classification tree: ``box``, ``coverage``, ``density``,
        ``mass``, ``restricted`` (count) and ``rule`` (the leaf's limits in words), densest first.
    feature_scores : ``input`` and ``score`` (extra-trees importance, summing to 1), highest
        first.
    """

    target: str
    cases: str
    share: float
    boxes: tuple[PrimBox, ...]
    cart: pd.DataFrame
    feature_scores: pd.DataFrame

    def describe(self) -> str:
        """The findings in a few lines: each box, the densest CART leaf, the top inputs."""
        lines = [f"Experiments where {self.target} is {self.cases}: {100 * self.share:.0f} %"]
        lines += [f"PRIM box {i + 1}: {box.describe()}" for i, box in enumerate(self.boxes)]
        if len(self.cart):
            best = self.cart.iloc[0]
            lines.append(f"CART, densest leaf: {best['rule']} (coverage "
                         f"{100 * best['coverage']:.0f} %, density {100 * best['density']:.0f} %)")
        scores = ", ".join(f"{r.input} {r.score:.2f}" for r in self.feature_scores.itertuples())
        lines.append(f"Feature scores: {scores}")
        return "\n".join(lines)


@contextmanager
def _ema_quietly() -> Iterator[Any]:
    """The EMA workbench's analysis modules, without the warnings its 2.5 release gives on our
    stack: optional parts absent (ipyparallel, altair) and pandas 3 deprecations it triggers
    (``drop(inplace=True)``). Only these are silenced, only from the EMA workbench."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="ipyparallel not installed",
                                category=UserWarning)
        warnings.filterwarnings("ignore", message="altair based interactive inspection",
                                category=ImportWarning)
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"ema_workbench\.")
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"ema_workbench\.")
        try:
            from ema_workbench.analysis import cart, feature_scoring
            from ema_workbench.analysis import prim as ema_prim
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise ImportError("scenario discovery needs the EMA workbench: "
                              "pip install -c constraints.txt -e '.[discovery]'") from exc
        yield ema_prim, cart, feature_scoring


def discover(results: pd.DataFrame, *, target: str, inputs: Sequence[str],
             cases: Literal["missed", "met"] = "missed", boxes: int = 1,
             min_coverage: float = 0.8, min_density: float = 0.5, peel_alpha: float = 0.05,
             paste_alpha: float = 0.05, min_mass: float = 0.05, seed: int = 0) -> Discovery:
    """Scenario discovery: which input ranges make ``target`` missed (or met)?

    Three views, from the EMA workbench (``ema_workbench.analysis``):

    * **PRIM** (``prim.Prim``) peels the input box towards the cases of interest and then pastes
      back slices that raise the density. Of the boxes on a box's trajectory, the densest one
      keeping at least ``min_coverage`` of the cases is selected (ties: the larger box), the
      rule :func:`prim` uses. Further boxes are searched on the experiments outside the earlier
      ones.
    * **CART** (``cart.CART``): a classification tree whose leaves hold at least ``min_mass`` of
      the experiments; each leaf is a box.
    * **Feature scores** (``feature_scoring.get_ex_feature_scores``): extra-trees importance of
      each input for the case of interest.

    Analyse one lever setting at a time (filter ``results`` first) for lever-specific drivers.

    Parameters
    ----------
    results : sweep results (or any frame with the ``inputs`` and ``target`` columns).
    target : the outcome column, ``met_<target>`` or ``holds`` (an experiment without a plan
        counts as not met), or any boolean column.
    inputs : numeric input columns (the parameters).
    cases : ``missed`` (default) to explain failures, ``met`` to explain successes.
    boxes : how many PRIM boxes to look for (fewer when no case is left, or when the next box
        cannot reach ``min_density``).
    min_coverage : the smallest share of the cases a selected PRIM box keeps (when no box on
        the trajectory does, the densest box is selected).
    min_density : the density a PRIM box must reach at the end of its peeling and pasting to
        be kept (the EMA workbench's ``threshold``).
    peel_alpha, paste_alpha : share of the experiments peeled or pasted per PRIM step.
    min_mass : the smallest share of the experiments in a PRIM box or a CART leaf.
    seed : seed of the tree learners (same seed, same CART and scores).

    Returns
    -------
    Discovery

    Raises
    ------
    ValueError
        Without a case of interest, or with every experiment one; with non-numeric inputs.
    ImportError
        When the EMA workbench is not installed (extra ``discovery``).
    """
    columns = list(inputs)
    x = results[columns]
    if not all(pd.api.types.is_numeric_dtype(x[c]) for c in columns):
        raise ValueError("discover needs numeric inputs (parameters); analyse lever settings "
                         "one at a time")
    x = x.astype(float).reset_index(drop=True)
    met = _met(results, [target])[target].to_numpy() > 0
    y = ~met if cases == "missed" else met
    if not y.any() or y.all():
        raise ValueError(f"{target} is {cases} in {'no' if not y.any() else 'every'} "
                         "experiment: nothing to tell apart")
    with _ema_quietly() as (ema_prim, cart, feature_scoring):
        found = _prim_boxes(ema_prim, x, y, boxes, min_coverage, min_density, peel_alpha,
                            paste_alpha, min_mass)
        leaves = _cart_leaves(cart, x, y, min_mass, seed)
        scores, _ = feature_scoring.get_ex_feature_scores(
            x, y.astype(int), mode=feature_scoring.RuleInductionType.CLASSIFICATION,
            random_state=seed)
    feature_scores = pd.DataFrame({"input": [str(i) for i in scores.index],
                                   "score": scores.iloc[:, 0].to_numpy(dtype=float)})
    return Discovery(target, cases, float(y.mean()), found, leaves, feature_scores)


def _prim_boxes(ema_prim: Any, x: pd.DataFrame, y: np.ndarray, boxes: int, min_coverage: float,
                min_density: float, peel_alpha: float, paste_alpha: float,
                min_mass: float) -> tuple[PrimBox, ...]:
    """PRIM boxes from the EMA workbench, each selected on its trajectory, as our PrimBox."""
    # binary outcome: the cases are y >= threshold (1); a box whose final density stays below
    # min_density is the EMA workbench's "dump box" (the whole remaining space): not kept
    engine = ema_prim.Prim(x, y.astype(float), threshold=min_density, peel_alpha=peel_alpha,
                           paste_alpha=paste_alpha, mass_min=min_mass)
    data_low, data_high = x.min().to_numpy(), x.max().to_numpy()
    found: list[PrimBox] = []
    values = x.to_numpy()
    outside = np.ones(len(y), dtype=bool)
    for _ in range(boxes):
        if not y[outside].any():
            break
        box = engine.find_box()
        if box is None or len(box.peeling_trajectory) == 1:
            break
        path = box.peeling_trajectory.reset_index(drop=True)
        eligible = path[path["coverage"] >= min_coverage - 1e-12]
        if eligible.empty:
            eligible = path
        chosen = int(eligible.sort_values(["density", "mass"], ascending=[False, False],
                                          kind="stable").index[0])
        box.select(chosen)
        lims = box.box_lims[chosen]
        limits, restricted = _limits(list(x.columns), lims.loc[0, x.columns].to_numpy(float),
                                     lims.loc[1, x.columns].to_numpy(float), data_low, data_high)
        trajectory = pd.DataFrame({"step": range(len(path)), "coverage": path["coverage"],
                                   "density": path["density"], "mass": path["mass"],
                                   "restricted": path["res_dim"].astype(int)})
        row = path.loc[chosen]
        outside &= ~((values >= limits["low"].to_numpy()) & (values <= limits["high"].to_numpy())
                     ).all(axis=1)
        found.append(PrimBox(limits, restricted, float(row["coverage"]), float(row["density"]),
                             float(row["mass"]), trajectory))
    return tuple(found)


def _cart_leaves(cart: Any, x: pd.DataFrame, y: np.ndarray, min_mass: float,
                 seed: int) -> pd.DataFrame:
    """The leaves of the EMA workbench's CART as a table (its ``boxes_to_dataframe`` relies on
    chained assignment, which pandas 3 no longer honours, so the limits are read directly)."""
    from sklearn.tree import DecisionTreeClassifier  # with the EMA workbench (extra discovery)

    tree = cart.CART(x, y, mass_min=min_mass, mode=cart.sdutil.RuleInductionType.BINARY)
    # build_tree() leaves the tree's tie-breaking unseeded; fit the same tree with a seed
    tree.clf = DecisionTreeClassifier(min_samples_leaf=max(1, int(min_mass * len(x))),
                                      random_state=seed).fit(x.to_numpy(), y)
    data_low, data_high = x.min().to_numpy(), x.max().to_numpy()
    rows = []
    for i, (lims, stats) in enumerate(zip(tree.boxes, tree.stats, strict=True)):
        limits, restricted = _limits(list(x.columns), lims.loc[0, x.columns].to_numpy(float),
                                     lims.loc[1, x.columns].to_numpy(float), data_low, data_high)
        rows.append({"box": i + 1, "coverage": float(stats["coverage"]),
                     "density": float(stats["density"]), "mass": float(stats["mass"]),
                     "restricted": len(restricted), "rule": _rule(limits, restricted)})
    table = pd.DataFrame(rows)
    return table.sort_values(["density", "coverage"], ascending=False, kind="stable",
                             ignore_index=True)
