"""The sweep's briefing page: ``OUT/report.html``, one self-contained page a director reads in
two minutes (:func:`sweep_page`, written by :func:`wzmodel.sweep.run_sweep`).

What was varied (parameters and their ranges, levers and their values, the design), how often
each target holds per lever setting (a table and the figure), what decides it (scenario
discovery: per lever setting and target, the PRIM box of the draws where it is missed,
:func:`wzmodel.robustness.prim`; with a ``saltelli`` design also the Sobol' indices), the
experiments without a plan and what their diagnosis asks (extra money), how every experiment
ended (status counts), the scenario's settings and the data note — and, above the figures it
qualifies, a warning when re-plans ended weak. Built from the results table with the page
helpers of :mod:`wzmodel.report` (which knows nothing of sweeps).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from wzmodel.data import data_note
from wzmodel.robustness import infeasibility, prim, target_probabilities
from wzmodel.sweep.results import weak_plans, weak_plans_text

if TYPE_CHECKING:
    from wzmodel.scenario import Scenario
    from wzmodel.sweep.results import SweepResult

__all__ = ["sweep_page"]

HOLDS = "the plan holds entirely"
"""How the page names the ``holds`` outcome (every budget, sharing bound and hard target)."""
MIN_EXPERIMENTS_FOR_A_BOX = 4
"""Fewer experiments of a lever setting than this give no box worth reading."""
SHOWN_WITHOUT_PLAN = 30
"""The page lists at most this many experiments without a plan (the results file has all)."""


def sweep_page(result: SweepResult) -> str:
    """The briefing page of a sweep (HTML text)."""
    from wzmodel import plots
    from wzmodel.report import embedded_png, page_table, render_page, settings_in_words

    scenario = result.base
    labels = _target_labels(scenario)
    levers = [lever.name for lever in result.spec.levers]
    results = result.results.assign(setting=_settings(result.results, result.spec))
    probabilities = _probabilities(results, labels)
    long = probabilities.drop(columns="experiments").melt(
        id_vars="lever setting", var_name="target", value_name="probability").rename(
        columns={"lever setting": "lever"})
    figure = plots.target_probability_figure(long if levers else long.drop(columns="lever"))
    parameters, lever_table = _varied(result.spec)
    without, diagnoses = _without_plan(results)
    n_weak = int(weak_plans(results).sum())
    config = scenario.model_dump(mode="json") if scenario is not None else {}
    return render_page(
        "sweep.html.j2",
        title=f"Sweep: {result.scenario}",
        description=scenario.description if scenario is not None else "",
        design=_design_in_words(result),
        parameters=page_table(parameters, index=False) if len(parameters) else None,
        levers=page_table(lever_table, index=False) if len(lever_table) else None,
        probabilities=page_table(probabilities.set_index("lever setting"), percent=True),
        figures=[embedded_png(figure)],
        boxes=_discovery(results, result.spec, labels),
        sobol=(page_table(result.sensitivity().round(3), index=False)
               if result.spec.method == "saltelli" and result.spec.parameters else None),
        infeasible=int((~results["feasible"].astype(bool)).sum()),
        without=page_table(without, index=False) if len(without) else None,
        diagnoses=diagnoses,
        statuses=page_table(_statuses(results)),
        weak=weak_plans_text(n_weak, len(results)) if n_weak else "",
        assumptions=_marked(settings_in_words(config, str(config.get("funding", {}).get(
            "sharing_option", ""))), result.spec) if config else [],
        data_note=data_note(scenario.data) if scenario is not None else "",
    )


_SETTINGS_OF_KEYS = {"sharing option": ("funding.sharing_option",),
                     "budgets": ("funding.budget_scale", "funding.source_scale",
                                 "funding.carry_over"),
                     "unit costs": ("funding.cost_scale",), "objective": ("objective.",),
                     "years planned": ("first_year", "last_year")}
"""Which scenario keys each line of :func:`wzmodel.report.settings_in_words` says."""


def _marked(settings: list[tuple[str, str]], spec) -> list[tuple[str, str]]:
    """The swept scenario's settings, each one a parameter or lever changes marked so: the
    value shown is the unperturbed scenario's."""
    paths = [item.path for item in (*spec.parameters, *spec.levers)]
    out = []
    for key, value in settings:
        varied = [p for p in paths if p.startswith(_SETTINGS_OF_KEYS.get(key, ("\0",)))]
        out.append((key, f"{value} — as the scenario says; the sweep varies "
                         f"{', '.join(varied)}" if varied else value))
    return out


def _target_labels(scenario: Scenario | None) -> dict[str, str]:
    """``met_<target>`` column → the target in words; ``holds`` → :data:`HOLDS`."""
    from wzmodel.plots.labels import target_label
    from wzmodel.targets import KINDS

    labels = {"holds": HOLDS}
    for name, t in (scenario.targets.items() if scenario is not None else ()):
        level = getattr(t, KINDS[t.kind].level)
        labels[f"met_{name}"] = target_label({"kind": t.kind, "zones": t.zones, "year": t.year,
                                              "hard": t.hard, "required_level": level})
    return labels


def _settings(results: pd.DataFrame, spec) -> pd.Series:
    """Each experiment's lever setting in words (``option = fiscal-led``; ``all experiments``
    without levers)."""
    from wzmodel.plots.labels import option_label

    if not spec.levers:
        return pd.Series("all experiments", index=results.index)

    def words(lever, value) -> str:
        shown = option_label(str(value)) if lever.path == "funding.sharing_option" else value
        return f"{lever.name} = {shown}"

    return results.apply(lambda r: ", ".join(words(lever, r[lever.name]) for lever in spec.levers),
                         axis=1)


def _varied(spec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The parameters (name, scenario key, low, high) and levers (name, key, values)."""
    parameters = pd.DataFrame([(p.name, p.path, p.low, p.high) for p in spec.parameters],
                              columns=["parameter", "scenario key", "low", "high"])
    levers = pd.DataFrame([(lever.name, lever.path, ", ".join(map(str, lever.values)))
                           for lever in spec.levers], columns=["lever", "scenario key", "values"])
    return parameters, levers


def _design_in_words(result: SweepResult) -> str:
    spec = result.spec
    samples = result.design["sample_id"].nunique()
    settings = len(spec.lever_settings)
    how = ({"recheck": f"each lever setting's fixed plan ({result.reference or 'optimised'} on "
                       "the unperturbed scenario) re-checked under every draw: costs follow the "
                       "draw, and the fixed schedule is paid anew within the sharing rules — "
                       "its own split where it still fits, else the least extra money",
            "replan": "every experiment planned afresh under its draw"}).get(result.mode,
                                                                          result.mode)
    return (f"{len(result.results)} experiments: {samples} draws of the parameters "
            f"({spec.method}, seed {spec.seed}) × {settings} lever setting"
            f"{'s' if settings != 1 else ''}, every setting on the same draws. Mode "
            f"{result.mode}: {how}.")


def _probabilities(results: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Per lever setting: experiments and the share meeting each target (and holding)."""
    table = target_probabilities(results, by=["setting"]).rename(columns={"setting":
                                                                          "lever setting"})
    return table.rename(columns={f"p_{c.removeprefix('met_')}": label
                                 for c, label in labels.items() if c != "holds"}
                        | {"p_holds": HOLDS})


def _discovery(results: pd.DataFrame, spec, labels: dict[str, str]) -> list[dict]:
    """Per lever setting and outcome (each target, and the plan holding): how often it is
    missed, and the box of the parameters where the misses concentrate (PRIM) in words."""
    parameters = [p.name for p in spec.parameters]
    outcomes = [c for c in results.columns if c.startswith("met_")] + ["holds"]
    rows = []
    for setting, group in results.groupby("setting", sort=True):
        planned = group["feasible"].astype(bool)
        for column in outcomes:
            missed = ~(group[column].astype("boolean").fillna(False).astype(bool) & planned)
            n, k = len(group), int(missed.sum())
            if k == 0:
                finding = "never missed"
            elif not planned.any():
                finding = "no experiment has a plan (see below): missed whatever the draw"
            elif k == n:
                finding = "missed in every experiment: no range of the parameters saves it"
            elif not parameters or n < MIN_EXPERIMENTS_FOR_A_BOX:
                finding = "too few experiments to say which parameters decide it"
            else:
                finding = "missed mostly where " + prim(group[parameters], missed.to_numpy()
                                                         ).describe()
            rows.append({"setting": setting, "target": labels.get(column, column),
                         "missed": f"{k} of {n}", "finding": finding})
    return rows


def _without_plan(results: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """The experiments without a plan (at most :data:`SHOWN_WITHOUT_PLAN`): setting, id,
    status, extra money the diagnosis asks (million yuan); and each distinct diagnosis with its
    setting and how many experiments share it."""
    none = results[~results["feasible"].astype(bool)]
    summary = infeasibility(results, by=["setting"])
    table = pd.DataFrame({
        "lever setting": none["setting"], "experiment": none["experiment_id"].astype(int),
        "status": none["status"],
        "extra money (million yuan)": [_million(v) for v in none["extra_money_yuan"]],
    }).head(SHOWN_WITHOUT_PLAN)
    median = summary.set_index("setting")["median_extra_money_yuan"]
    diagnoses = [{"setting": setting, "experiments": len(group), "text": text,
                  "median": _million(median[setting])}
                 for (setting, text), group in none.groupby(["setting", "diagnosis"], sort=True)
                 if text]
    return table, diagnoses


def _million(yuan: float) -> str:
    """Yuan as million yuan in words: ``0.025``; ``–`` unknown; ``no amount`` for infinity."""
    yuan = float(yuan)
    if np.isnan(yuan):
        return "–"
    return "no amount found" if np.isinf(yuan) else f"{yuan / 1e6:,.3f}"


def _statuses(results: pd.DataFrame) -> pd.DataFrame:
    """Experiments per lever setting (rows) and status (columns)."""
    table = results.pivot_table(index="setting", columns="status", values="experiment_id",
                                aggfunc="count", fill_value=0)
    table.index.name, table.columns.name = "lever setting", None
    return table
