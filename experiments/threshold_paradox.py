"""The threshold paradox: does rationing by eligibility save money?

    python experiments/threshold_paradox.py [--quick] [--dask-local 2]

Writes results/threshold_paradox/threshold_paradox.png (5-year cost by component,
failure demand and crises, and the reported KPI against the real outcome, over the
eligibility threshold, with 95% CIs across seeds) and threshold_paradox.csv.
"""

from __future__ import annotations

import sys
from pathlib import Path

from _common import figure_grid, fixed_param, main, save_outputs

from hls_abm.sweep import load_results
from hls_abm.sweep.analysis import ci_table, plot_line

NAME = "threshold_paradox"
X = "eligibility_threshold"


def figure(out: Path):
    df = load_results(out, status="ok")
    table = ci_table(df, by=[X])
    labels = {
        "cost_support.sum": "commissioned support", "cost_crisis.sum": "crisis response",
        "cost_staff.sum": "staff", "total_cost.sum": "whole system",
    }
    fig, ax = figure_grid(1, 3, w=5.2, h=4.2)
    fig.suptitle(f"The threshold paradox (NPM, {df['seed'].nunique()} seeds, "
                 f"{fixed_param(out, 'n_citizens', 1000)} citizens, 5 years; bands: 95% CI)")
    t = table[table["output"].isin(labels)].assign(part=lambda d: d["output"].map(labels), output="cost")
    plot_line(t, X, "cost", hue="part", ax=ax[0, 0], title="5-year cost by component", ylabel="€ over 5 years")
    t = table[table["output"].isin(["failure_demand.sum", "crisis_events.sum", "rejections.sum"])]
    t = t.assign(what=t["output"].map({"failure_demand.sum": "failure demand (contacts)",
                                        "crisis_events.sum": "crises", "rejections.sum": "people turned away"}),
                 output="count")
    plot_line(t, X, "count", hue="what", ax=ax[0, 1], title="demand that the threshold creates",
              ylabel="count over 5 years")
    t = table[table["output"].isin(["reported_kpi.mean_last_52", "real_outcome.mean_last_52",
                                     "mean_wellbeing.mean_last_52"])]
    t = t.assign(what=t["output"].map({"reported_kpi.mean_last_52": "reported KPI (closed on time)",
                                        "real_outcome.mean_last_52": "real outcome (need resolved)",
                                        "mean_wellbeing.mean_last_52": "mean wellbeing"}), output="share")
    plot_line(t, X, "share", hue="what", ax=ax[0, 2], title="what is reported vs what happens (year 5)",
              ylabel="share / wellbeing")
    return save_outputs(out, NAME, fig, table)


if __name__ == "__main__":
    sys.exit(main(NAME, figure))
