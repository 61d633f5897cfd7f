"""The ODD's budget sweep: where the NPM silos tip, and where the paradoxes hold.

    python experiments/budget_calibration.py [--quick] [--dask-local 2]

For each budget_factor b in 0.5-1.5 (mean over paired seeds): NPM's staff stress in year 5;
the cuts paradox as year-3 whole-system cost at 0.8 b over the same at b (above 1: the cut
costs more than it saves); the threshold paradox as the 5-year cost with eligibility 0.65
over 0.5; and the local teams' cost advantage in year 5 (1 - local / NPM). Writes
results/budget_calibration/budget_calibration.png and .csv, and prints the table as
Markdown (docs/ODD.md, section 8).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from _common import figure_grid, fixed_param, main, save_outputs

from hls_abm.palette import WORLD_COLOURS
from hls_abm.sweep import load_results

NAME = "budget_calibration"
BUDGETS = [0.5, 0.75, 0.875, 1.0, 1.125, 1.25, 1.5]
CUT = 0.8


def table(df: pd.DataFrame) -> pd.DataFrame:
    """One row per budget in BUDGETS: the four columns of the ODD's table, means over seeds."""
    d = df.set_index(["scenario", "budget_factor", "seed"]).sort_index()
    year3 = d["total_cost.sum_first_156"] - d["total_cost.sum_first_104"]
    rows = []
    for b in BUDGETS:
        npm, cut = ("npm", b), ("npm", round(CUT * b, 6))
        rows.append({
            "budget_factor": b,
            "npm_stress_y5": d.loc[npm, "staff_stress.mean_last_52"].mean(),
            "cut_year3_ratio": (year3.loc[cut] / year3.loc[npm]).mean(),
            "threshold_5y_ratio": (d.loc[("npm_high_threshold", b), "total_cost.sum"] / d.loc[npm, "total_cost.sum"]).mean(),
            "local_advantage_y5": (1 - d.loc[("local_teams", b), "total_cost.sum_last_52"]
                                   / d.loc[npm, "total_cost.sum_last_52"]).mean(),
        })
    return pd.DataFrame(rows)


def markdown(t: pd.DataFrame) -> str:
    lines = ["| budget_factor | NPM stress | cuts paradox: total cost in yr 3 after a 20% cut | threshold paradox: 5-yr "
             "total cost, threshold 0.65 vs 0.5 | local-team cost advantage (yr 5) |", "|---|---|---|---|---|"]
    for r in t.itertuples():
        name = f"{r.budget_factor:g}" + (" (default)" if r.budget_factor == 1.0 else "")
        lines.append(f"| {name} | {r.npm_stress_y5:.2f} | {r.cut_year3_ratio:.2f} | {r.threshold_5y_ratio:.2f} | "
                     f"{r.local_advantage_y5:.0%} |")
    return "\n".join(lines)


def figure(out: Path):
    df = load_results(out, status="ok")
    t = table(df)
    print(markdown(t))
    fig, ax = figure_grid(1, 4, w=3.8, h=3.4)
    panels = [("npm_stress_y5", "NPM staff stress, year 5", None),
              ("cut_year3_ratio", "20% cut: year-3 cost ratio", 1.0),
              ("threshold_5y_ratio", "threshold 0.65: 5-year cost ratio", 1.0),
              ("local_advantage_y5", "local-team cost advantage, year 5", 0.0)]
    for a, (col, title, ref) in zip(ax[0], panels):
        a.plot(t["budget_factor"], t[col], marker="o", color=WORLD_COLOURS["npm"])
        if ref is not None:
            a.axhline(ref, color="0.4", lw=0.8, ls="--")
        a.axvline(1.0, color="0.6", lw=0.8, ls=":")
        a.set(title=title, xlabel="budget_factor")
    fig.suptitle(f"Budget sweep ({df['seed'].nunique()} seeds, {fixed_param(out, 'n_citizens', 1000)} citizens, "
                 "5 years after the warm-up; means over seeds)")
    return save_outputs(out, NAME, fig, t)


if __name__ == "__main__":
    sys.exit(main(NAME, figure))
