"""What drives total cost and wellbeing? Sobol sensitivity indices with SALib.

    python experiments/sobol_drivers.py [--quick] [--dask-local 2]

Writes results/sobol_drivers/sobol_drivers.png (S1 and ST with 95% CIs of 3-year
total cost and year-3 wellbeing under NPM, under local teams, and of the twin-world
difference) and sobol_drivers.csv (every index).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from _common import figure_grid, fixed_param, main, save_outputs

from hls_abm.sweep import load_provenance
from hls_abm.sweep.analysis import sobol_indices

NAME = "sobol_drivers"
OUTPUTS = {"total_cost.sum": "total cost (3 years)", "mean_wellbeing.mean_last_52": "mean wellbeing (year 3)"}
TARGETS = [("npm", {"scenario": "npm"}), ("local_teams", {"scenario": "local_teams"}),
           ("local_teams − npm", {"difference": ("npm", "local_teams")})]


def figure(out: Path):
    fig, ax = figure_grid(len(OUTPUTS), len(TARGETS), w=4.6, h=3.9)
    tables = [sobol_indices(out, output, **kw) for output in OUTPUTS for _, kw in TARGETS]
    order = tables[0].sort_values("ST")["parameter"].tolist()  # the same order in every panel
    cells = [(i, j) for i in range(len(OUTPUTS)) for j in range(len(TARGETS))]
    for (i, j), idx in zip(cells, tables):
        idx = idx.set_index("parameter").loc[order].reset_index()
        _bars(ax[i, j], idx, f"{list(OUTPUTS.values())[i]}: {TARGETS[j][0]}", labels=j == 0)
    table = pd.concat(tables, ignore_index=True)
    design = load_provenance(out)["design"]
    fig.suptitle(f"Sobol indices (Saltelli N={design['samples']}, {design['n_points']} design points x 2 worlds, "
                 f"{fixed_param(out, 'n_citizens', 500)} citizens, {design['steps']} weeks; bars: 95% bootstrap CI)")
    return save_outputs(out, NAME, fig, table)


def _bars(ax, idx, title, labels=True):
    import numpy as np

    y = np.arange(len(idx))
    ax.barh(y + 0.2, idx["ST"], height=0.38, xerr=idx["ST_conf"], color="#2471a3", label="total (ST)",
            error_kw={"lw": 0.8})
    ax.barh(y - 0.2, idx["S1"], height=0.38, xerr=idx["S1_conf"], color="#85c1e9", label="first order (S1)",
            error_kw={"lw": 0.8})
    ax.set_yticks(y, [p.replace("_", " ") for p in idx["parameter"]] if labels else [""] * len(y))
    ax.axvline(0, color="0.4", lw=0.6)
    ax.set_title(title, fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(frameon=False, fontsize=7, loc="lower right")


if __name__ == "__main__":
    sys.exit(main(NAME, figure))
