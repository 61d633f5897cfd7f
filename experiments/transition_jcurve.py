"""The transition J-curve: what does switching to local teams cost, and when does it pay back?

    python experiments/transition_jcurve.py [--quick] [--dask-local 2]

Writes results/transition_jcurve/transition_jcurve.png (the weekly and the cumulative
whole-system cost of the transition minus staying NPM, and the wellbeing difference,
across paired seeds) and transition_jcurve.csv (the cumulative difference at each
year end with a 95% CI, and the break-even week).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from _common import figure_grid, fixed_param, main, save_outputs

from hls_abm.sweep import load_series
from hls_abm.sweep.analysis import ci_table, plot_fan, series_twin_difference

NAME = "transition_jcurve"


def break_even_week(cum: pd.DataFrame) -> pd.Series:
    """Per seed: the first week after which the cumulative difference stays below zero (NaN if never)."""
    out = {}
    for seed, g in cum.groupby("seed"):
        v = g.sort_values("week")
        above = v["total_cost"].to_numpy() >= 0
        idx = np.nonzero(above)[0]
        if not len(idx) or idx[-1] == len(v) - 1:
            out[seed] = np.nan
        else:
            out[seed] = int(v["week"].iloc[idx[-1] + 1])
    return pd.Series(out, name="break_even_week")


def figure(out: Path):
    s = load_series(out)
    weekly = series_twin_difference(s, "total_cost", "npm", "transition")
    cum = series_twin_difference(s, "total_cost", "npm", "transition", cumulative=True)
    well = series_twin_difference(s, "mean_wellbeing", "npm", "transition")
    steps = int(s["week"].max())
    year_ends = [w for w in range(52, steps + 1, 52)]
    at = cum[cum["week"].isin(year_ends)].rename(columns={"total_cost": "cumulative_cost_difference"})
    at.attrs["outputs"] = ["cumulative_cost_difference"]
    table = ci_table(at, ["cumulative_cost_difference"], by=["week"])
    be = break_even_week(cum)
    table["break_even_week_median"] = be.median()
    table["seeds_breaking_even"] = f"{int(be.notna().sum())}/{len(be)}"

    fig, ax = figure_grid(1, 3, w=5.2, h=4.2)
    for a in ax[0]:
        a.axvspan(52, 104, color="0.9", zorder=0)
    plot_fan(weekly, "total_cost", ax=ax[0, 0], title="weekly cost: transition − NPM", ylabel="€ per week")
    plot_fan(cum, "total_cost", ax=ax[0, 1], title="cumulative cost: transition − NPM (the J-curve)",
             ylabel="€ since week 1 (below 0: paid back)")
    if be.notna().any():
        ax[0, 1].axvline(be.median(), color="0.2", ls=":", lw=1)
        ax[0, 1].text(be.median(), 0.03, f" median break-even: week {be.median():.0f}", fontsize=8,
                      transform=ax[0, 1].get_xaxis_transform())
    plot_fan(well, "mean_wellbeing", ax=ax[0, 2], title="mean wellbeing: transition − NPM",
             ylabel="difference in mean wellbeing")
    for a in ax[0]:
        a.axhline(0, color="0.3", lw=0.8, ls="--")
    fig.suptitle(f"The transition J-curve ({weekly['seed'].nunique()} paired seeds, "
                 f"{fixed_param(out, 'n_citizens', 1000)} citizens; grey: switch-over year; "
                 "bands: 50% and 90% of seeds)")
    return save_outputs(out, NAME, fig, table)


if __name__ == "__main__":
    sys.exit(main(NAME, figure))
