"""The cuts paradox: does cutting the budget save money?

    python experiments/cuts_paradox.py [--quick] [--dask-local 2]

Writes results/cuts_paradox/cuts_paradox.png (per cut depth: the budget saved on
staff and overhead against the change of the whole-system cost over years 2-5,
with 95% CIs across seeds; and the cumulative whole-system cost of a 30% cut week by week, paired seeds)
and cuts_paradox.csv (each cost component's change against no cut, with CIs).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from _common import figure_grid, fixed_param, main, save_outputs

from hls_abm.sweep import load_results, load_series
from hls_abm.sweep.analysis import ci_table, plot_fan, plot_line

NAME = "cuts_paradox"
CUT = "budget_cut.percent"
PARTS = ["cost_staff.sum_from_52", "cost_overhead.sum_from_52", "cost_support.sum_from_52",
         "cost_crisis.sum_from_52", "total_cost.sum_from_52"]


def change_vs_no_cut(df: pd.DataFrame) -> pd.DataFrame:
    """Per scenario, seed and cut: each output minus the same seed's no-cut run (paired)."""
    outs = df.attrs["outputs"]
    base = df[df[CUT] == 0].set_index(["scenario", "seed"])[outs]
    d = df.set_index(["scenario", "seed"])
    delta = d[outs] - base.reindex(d.index)
    delta[CUT] = d[CUT]
    delta = delta.reset_index()
    delta["budget_saved"] = -(delta["cost_staff.sum_from_52"] + delta["cost_overhead.sum_from_52"])
    delta.attrs["factors"] = [CUT]
    delta.attrs["outputs"] = outs + ["budget_saved"]
    return delta


def figure(out: Path):
    df = load_results(out, status="ok")
    delta = change_vs_no_cut(df)
    table = ci_table(delta, PARTS + ["budget_saved", "crisis_events.sum_from_52", "mean_wellbeing.mean_last_52"],
                     by=["scenario", CUT])

    fig, ax = figure_grid(1, 3, w=5.2, h=4.2)
    for i, scen in enumerate(["npm", "local_teams"]):
        t = table[table["scenario"] == scen].copy()
        t["scenario"] = t["output"].map({"budget_saved": "budget saved (staff + overhead)",
                                         "total_cost.sum_from_52": "change of whole-system cost",
                                         "cost_crisis.sum_from_52": "change of crisis cost"})
        t = t.dropna(subset=["scenario"])
        t["output"] = "delta"
        plot_line(t, CUT, "delta", hue="scenario", zero_line=True, ax=ax[0, i],
                  title=f"{scen}: years 2-5 against no cut (paired seeds)", ylabel="€ over years 2-5")
    s = load_series(out, columns=["total_cost"])
    s = s[s[CUT].isin([0, 30])]
    w = s.pivot_table(index=["scenario", "seed", "week"], columns=CUT, values="total_cost").dropna()
    cum = (w[30] - w[0]).groupby(level=["scenario", "seed"]).cumsum().rename("cumulative").reset_index()
    plot_fan(cum, "cumulative", by="scenario", ax=ax[0, 2], ylabel="€ (above 0: the cut cost more than it saved)",
             title="cumulative whole-system cost: 30% cut − no cut")
    ax[0, 2].axvline(52, color="0.3", lw=0.8, ls=":")
    ax[0, 2].axhline(0, color="0.3", lw=0.8, ls="--")
    fig.suptitle(f"The cuts paradox ({df['seed'].nunique()} seeds, {fixed_param(out, 'n_citizens', 1000)} citizens,"
                 " cut applied at week 52; bands: 95% CI / 50% and 90% of runs)")
    return save_outputs(out, NAME, fig, table)


if __name__ == "__main__":
    sys.exit(main(NAME, figure))
