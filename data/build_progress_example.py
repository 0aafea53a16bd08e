"""Build the Shanghai-sized progress record ``data/shanghai/progress_2026/`` (illustrative).

What a programme office might record at the end of 2026 against the plan of
``data/shanghai/scenarios/delivery_limits.toml`` (capacity, one-year lead times, capital paid
50/50): every figure is made up, by the rules below, and says nothing about real progress.

* **Slippage** [assumed]: of the basic upgrades the plan starts in 2026, one in six (drawn with a
  fixed seed) did not start; every featured start happened.
* **Starts** are recorded ``started`` (a one-year lead time completes them in 2027).
* **Money** [assumed]: each source spent what the plan's 2026 funding gave it, scaled by the share
  of the 2026 capital of the starts that happened, and 5 % less on top (tenders came in below
  the estimates) — rounded to 10,000 yuan.

Run ``python data/build_progress_example.py`` after the data or the scenario changes (it plans
the scenario first, ≈ 1 minute); ``docs/replan.md`` shows the re-plan it feeds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from wzmodel.planner import make_plan
from wzmodel.scenario import load_scenario

REPO = Path(__file__).resolve().parent.parent
SCENARIO = REPO / "data" / "shanghai" / "scenarios" / "delivery_limits.toml"
OUT = REPO / "data" / "shanghai" / "progress_2026"
YEAR = 2026
SEED = 2026
SLIP_SHARE = 1 / 6  # [assumed] basic starts of 2026 that slipped
UNDERSPEND = 0.05  # [assumed] tenders below the estimates
ROUND_YUAN = 10_000

README = """# A progress record for the Shanghai data (made up, for illustration)

What a programme office might record at the end of 2026 against the plan of
`data/shanghai/scenarios/delivery_limits.toml` — built by `data/build_progress_example.py`
(its docstring gives the rules): {slipped} of the {planned} basic upgrades the plan starts in
2026 slipped (one in six, drawn with a fixed seed), every featured start happened, all are
still under way at the end of 2026 (one-year lead times), and each source spent its planned
2026 money for the starts that happened, 5 % less. Every figure is made up and says nothing
about real progress. See `docs/replan.md`.
"""


def build(out: Path = OUT) -> tuple[pd.DataFrame, pd.DataFrame]:
    plan = make_plan(load_scenario(SCENARIO, compare={"equal_money": False}))
    if not plan.outcome.has_solution:
        raise SystemExit(f"{SCENARIO.name}: no plan ({plan.outcome.status})")
    first = plan.schedule[plan.schedule["year"] == YEAR].sort_values(["class", "community_id"])
    basic = first[first["class"] == "basic"]
    rng = np.random.default_rng(SEED)
    slipped = set(rng.choice(basic["community_id"].to_numpy(),
                             size=round(SLIP_SHARE * len(basic)), replace=False))
    # a featured start needs its community's basic start: those never slip
    kept_featured = set(first.loc[first["class"] == "featured", "community_id"])
    slipped -= kept_featured
    kept = first[~first["community_id"].isin(slipped)]
    progress = pd.DataFrame({"community_id": kept["community_id"], "class": kept["class"],
                             "status": "started", "start_year": YEAR, "completion_year": None})

    capital = plan.problem.capital
    index = {c: i for i, c in enumerate(plan.problem.communities["community_id"])}

    def capital_of(rows: pd.DataFrame) -> float:
        return float(sum(capital[k][index[c]].sum() for c, k in
                         zip(rows["community_id"], rows["class"], strict=True)))

    done = capital_of(kept) / capital_of(first) if len(first) else 0.0
    planned = plan.funding[plan.funding["year"] == YEAR].groupby("source_id")["yuan"].sum()
    spent = (planned * done * (1 - UNDERSPEND) / ROUND_YUAN).round() * ROUND_YUAN
    spent = spent[spent > 0].rename("yuan").reset_index().assign(year=YEAR)
    spent = spent[["source_id", "year", "yuan"]]

    out.mkdir(parents=True, exist_ok=True)
    progress.to_csv(out / "progress.csv", index=False)
    spent.to_csv(out / "spent.csv", index=False, float_format="%.0f")
    (out / "README.md").write_text(README.format(slipped=len(slipped), planned=len(basic)),
                                   encoding="utf-8")
    return progress, spent


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    progress, spent = build(parser.parse_args().out)
    print(f"{len(progress)} starts recorded, {spent['yuan'].sum() / 1e6:,.1f} million yuan spent")
