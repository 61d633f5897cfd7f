"""Where NPM is the right answer: one-off transactional requests as a share of demand.

    python experiments/transactional_crossover.py [--quick] [--dask-local 2]

Writes results/transactional_crossover/transactional_crossover.png and .csv:

* the 5-year whole-system cost, local teams minus NPM (as % of NPM's), over the rate of one-off requests, one
  line per share of complex needs, with 95% CIs across paired seeds: where the line crosses 0 is the crossover;
* wellbeing in year 5, local teams minus NPM, the same way;
* what the requests add to each system's 5-year cost, per request made: the whole-system marginal cost
  (against the same seed with no requests; the requests have their own random stream, so the other draws are
  the same with and without them); the requests made are the first contacts they add;
* the direct cost of a request: staff hours spent on requests (with the repeats of those that failed), at each
  system's cost per hour with its overhead, per request resolved (small direct runs, read from the ledger);
* a heatmap of the cost difference over request rate x complex share (dots: the CI excludes 0).

The x axis is the weekly chance a citizen makes a request; the table also gives what share of each world's
first contacts (value demand) the requests make at each point.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from _common import figure_grid, fixed_param, main, save_outputs

from hls_abm.palette import WORLD_COLOURS
from hls_abm.sweep import load_results
from hls_abm.sweep.analysis import plot_heatmap, t_interval, twin_differences, twin_pairs

NAME = "transactional_crossover"
RATE, CX = "transactional_rate", "complex_share"
DIRECT_RATE = 0.02  # the request rate of the direct-cost panel (about one request a citizen a year)


def _bands(frame: pd.DataFrame, by: list[str], value: str) -> pd.DataFrame:
    rows = []
    for key, g in frame.groupby(by, sort=True):
        m, lo, hi, n = t_interval(g[value])
        rows.append({**dict(zip(by, key if isinstance(key, tuple) else (key,))), "mean": m, "ci_low": lo,
                     "ci_high": hi, "n": n})
    return pd.DataFrame(rows)


def tables(out: Path) -> dict[str, pd.DataFrame]:
    df = load_results(out, status="ok")
    pairs = twin_pairs(df, "npm", "local_teams")
    cost, npm_cost = pairs["total_cost.sum"], pairs["total_cost.sum|npm"]
    pairs["cost_diff_pct"] = 100 * cost / npm_cost
    # The requests made: the first contacts (value demand) each world has on top of the same seed with none.
    # (The weekly chance x citizens x weeks overstates them where requests stay open, unanswered or failed.)
    base = pairs[pairs[RATE] == 0].set_index([CX, "seed"])
    at = pd.MultiIndex.from_frame(pairs[[CX, "seed"]])
    for system in ("npm", "local_teams"):
        made = pairs[f"value_demand.sum|{system}"] - base[f"value_demand.sum|{system}"].reindex(at).to_numpy()
        pairs[f"request_share|{system}"] = made / pairs[f"value_demand.sum|{system}"]
        extra = pairs[f"total_cost.sum|{system}"] - base[f"total_cost.sum|{system}"].reindex(at).to_numpy()
        pairs[f"marginal|{system}"] = extra / made.where(made > 0)
    with_req = pairs[pairs[RATE] > 0]
    marginal = pd.concat([_bands(with_req, [CX, RATE], f"marginal|{s}").assign(system=s)
                          for s in ("npm", "local_teams")], ignore_index=True)
    return {
        "pairs": pairs,
        "cost_pct": _bands(pairs, [CX, RATE], "cost_diff_pct"),
        "share": pairs.groupby([CX, RATE], as_index=False)[["request_share|npm", "request_share|local_teams"]].mean(),
        "marginal": marginal,
        "diff": twin_differences(df, "npm", "local_teams"),
    }


def direct_cost(n: int, seeds: list[int], rate: float, shares=(0.0, 0.1, 0.25, 0.4), weeks: int = 104):
    """Staff cost (pay and overhead) of the hours spent on requests per request resolved, by system and complex
    share, in twin worlds over ``weeks`` (read from each week's ledger; the sweep keeps only the weekly columns)."""
    from hls_abm import twin_worlds
    from hls_abm.metrics import cost_per_request

    rows = []
    for cx in shares:
        for seed in seeds:
            for m in twin_worlds(n_citizens=n, rng=seed, complex_share=cx, transactional_rate=rate):
                euros = cost_per_request(m, weeks)
                rows.append({CX: cx, "seed": seed, "system": m.scenario_name, "euros": euros,
                             "hours": euros / m.p["local_cost_per_hour" if m.scenario_name == "local_teams"
                                                  else "npm_cost_per_hour"]})
    d = pd.DataFrame(rows)
    return pd.concat([_bands(g, [CX], "euros").assign(system=s) for s, g in d.groupby("system")], ignore_index=True)


def _band_lines(ax, groups, x: str, xlabel: str, title: str, ylabel: str):
    """One line with its band per (label, colour, frame) in ``groups``, along ``x``."""
    for label, colour, g in groups:
        g = g.sort_values(x)
        ax.plot(g[x], g["mean"], "-o", color=colour, ms=4, lw=1.8, label=label)
        ax.fill_between(g[x], g["ci_low"], g["ci_high"], color=colour, alpha=0.2, linewidth=0)
    ax.axhline(0, color="0.3", lw=0.8, ls="--")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    ax.grid(alpha=0.3)


def _by_system(a, t: pd.DataFrame, x: str, title: str, ylabel: str):
    groups = [("NPM" if s == "npm" else "local teams", WORLD_COLOURS[s], g) for s, g in t.groupby("system")]
    _band_lines(a, groups, x, "share of complex needs", title, ylabel)


def _lines(ax, t: pd.DataFrame, title: str, ylabel: str):
    groups = [(f"complex share {cx:g}", f"C{i}", g) for i, (cx, g) in enumerate(t.groupby(CX, sort=True))]
    _band_lines(ax, groups, RATE, "one-off requests: weekly chance per citizen", title, ylabel)


def figure(out: Path):
    t = tables(out)
    diff = t["diff"]
    seeds = int(t["pairs"]["seed"].nunique())
    fig, ax = figure_grid(1, 5, w=4.6, h=4.3)
    fig.suptitle(f"Transactional demand: where a standard process is the right answer ({seeds} paired seeds per "
                 f"point, {fixed_param(out, 'n_citizens', 1000)} citizens, 5 years; bands: 95% CI)")
    _lines(ax[0, 0], t["cost_pct"], "5-year total cost: local teams − NPM", "% of NPM's cost (above 0: NPM cheaper)")
    wb = diff[diff["output"] == "mean_wellbeing.mean_last_52"]
    _lines(ax[0, 1], wb, "wellbeing in year 5: local teams − NPM", "mean wellbeing (above 0: local teams better)")
    m = t["marginal"]
    top = m[m[RATE] == m[RATE].max()]
    _by_system(ax[0, 2], top, CX, f"what the requests add to each system's cost\n(weekly chance {top[RATE].max():g}, "
               "against none)", "€ of 5-year whole-system cost per request made")
    n = fixed_param(out, "n_citizens", 1000)
    rate = DIRECT_RATE
    direct = direct_cost(n, sorted(t["pairs"]["seed"].unique())[:3], rate)
    _by_system(ax[0, 3], direct, CX, f"direct cost of a request: staff hours (and repeats)\nper request resolved "
               f"(weekly chance {rate:g}, 2 years)", "€ per request resolved (pay and overhead)")
    direct.to_csv(Path(out) / f"{NAME}_direct.csv", index=False)
    plot_heatmap(diff, RATE, CX, "total_cost.sum", ax=ax[0, 4],
                 title="5-year cost, local teams − NPM (• CI excludes 0)")
    table = t["cost_pct"].merge(t["share"], on=[CX, RATE]).rename(
        columns={"mean": "cost_diff_pct", "ci_low": "cost_diff_pct_low", "ci_high": "cost_diff_pct_high"})
    return save_outputs(out, NAME, fig, table)


if __name__ == "__main__":
    sys.exit(main(NAME, figure))
