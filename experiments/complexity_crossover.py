"""The complexity crossover: where do local teams start to beat NPM?

    python experiments/complexity_crossover.py [--quick] [--dask-local 2]

Writes results/complexity_crossover/complexity_crossover.png (local teams minus
NPM over the share of complex needs, with 95% CIs across paired seeds, and a
heatmap over complexity x community strength) and .csv (the twin differences).
"""

from __future__ import annotations

import sys
from pathlib import Path

from _common import figure_grid, fixed_param, main, save_outputs

from hls_abm.sweep import load_results
from hls_abm.sweep.analysis import plot_heatmap, plot_line, twin_differences

NAME = "complexity_crossover"


def figure(out: Path):
    df = load_results(out, status="ok")
    diff = twin_differences(df, "npm", "local_teams")
    d = diff.assign(community=lambda t: "community strength " + t["community_strength"].map("{:g}".format))
    fig, ax = figure_grid(1, 3, w=5.2, h=4.2)
    fig.suptitle(f"The complexity crossover ({df['seed'].nunique()} paired seeds per point, "
                 f"{fixed_param(out, 'n_citizens', 1000)} citizens, 5 years; bands: 95% CI)")
    plot_line(d, "complex_share", "total_cost.sum", hue="community", zero_line=True, ax=ax[0, 0],
              title="5-year total cost: local teams − NPM", ylabel="€ (below 0: local teams cheaper)")
    plot_line(d, "complex_share", "mean_wellbeing.mean_last_52", hue="community", zero_line=True, ax=ax[0, 1],
              title="wellbeing in year 5: local teams − NPM", ylabel="mean wellbeing (above 0: local teams better)")
    plot_heatmap(diff, "complex_share", "community_strength", "total_cost.sum", ax=ax[0, 2],
                 title="5-year cost, local teams − NPM (• CI excludes 0)")
    return save_outputs(out, NAME, fig, diff)


if __name__ == "__main__":
    sys.exit(main(NAME, figure))
