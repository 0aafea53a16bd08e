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
  (usually failure) is densest; the box's restricted dimensions are the drivers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["PrimBox", "infeasibility", "prim", "regret", "regret_summary",
           "target_probabilities"]


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
    shares = results[outcomes].astype("boolean").fillna(False).astype(float)
    if "feasible" in results.columns:
        shares = shares.mul(results["feasible"].astype("boolean").fillna(False).astype(float),
                            axis=0)
    renamed = {c: "p_" + c.removeprefix("met_") for c in outcomes}
    if not by:
        row = shares.mean().rename(renamed).to_frame().T
        row.insert(0, "experiments", len(results))
        return row.reset_index(drop=True)
    grouped = shares.groupby([results[c] for c in by], sort=True)
    table = grouped.mean().rename(columns=renamed)
    table.insert(0, "experiments", grouped.size())
    return table.reset_index()


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
    trajectory : one row per peeling step: ``step``, ``coverage``, ``density``, ``mass``,
        ``column``, ``side`` (``low`` / ``high``: which end was peeled) and ``bound``.
    """

    limits: pd.DataFrame
    restricted: tuple[str, ...]
    coverage: float
    density: float
    mass: float
    trajectory: pd.DataFrame

    def describe(self) -> str:
        """The box in words, e.g. ``cost_overrun >= 1.21 (coverage 95 %, density 88 %)``."""
        parts = []
        for column in self.restricted:
            low, high = self.limits.loc[column, ["low", "high"]]
            lo_cut = low > self.limits.loc[column, "data_low"]
            hi_cut = high < self.limits.loc[column, "data_high"]
            if lo_cut and hi_cut:
                parts.append(f"{low:.4g} <= {column} <= {high:.4g}")
            elif lo_cut:
                parts.append(f"{column} >= {low:.4g}")
            else:
                parts.append(f"{column} <= {high:.4g}")
        text = " and ".join(parts) or "the whole space"
        return (f"{text} (coverage {100 * self.coverage:.0f} %, density "
                f"{100 * self.density:.0f} %, mass {100 * self.mass:.0f} %)")


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
    data_low, data_high = x.min(axis=0), x.max(axis=0)
    limits = pd.DataFrame({"low": box_low, "high": box_high, "data_low": data_low,
                           "data_high": data_high}, index=columns)
    restricted = tuple(c for c, lo, hi, dlo, dhi in zip(columns, box_low, box_high, data_low,
                                                          data_high, strict=True)
                       if lo > dlo or hi < dhi)
    return PrimBox(limits, restricted, float(y[box_inside].sum() / n_cases),
                   float(y[box_inside].mean()), float(box_inside.mean()), trajectory)
