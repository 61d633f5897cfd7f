"""Where does each system tip? Staff stress over ten years across the service budget.

    python experiments/tipping_points.py [--quick] [--dask-local 2]

A world tips at a budget when its mean staff stress rises from year 2 to year 10 by more than 0.1
(tests/test_stationarity.py's criterion: the balancing loops no longer hold it) or is saturated (0.9 or
more in year 10). Writes
results/tipping_points/tipping_points.png (per system: stress in year 2 and year 10, and
what the world does instead of stressing its staff: waiting and unmet need) and tipping_points.csv
(per system, local_gatekeeping and budget, means and 95% CIs over seeds), and prints the Markdown table that
docs/validation.md quotes. Stops with an error if NPM's runs differ across local_gatekeeping.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from _common import figure_grid, fixed_param, main, save_outputs

from hls_abm.palette import WORLD_COLOURS
from hls_abm.sweep import load_results
from hls_abm.sweep.analysis import ci_table

NAME = "tipping_points"
B = "budget_factor"
G = "local_gatekeeping"
DRIFT = 0.1  # the stationarity tolerance: mean staff stress runs 0-1
SHOWN = ["stress_y2", "stress_y10", "drift", "waiting_list.mean_last_52", "unmet_need.mean_last_52",
         "crisis_events.sum_last_52"]


def with_years(df: pd.DataFrame) -> pd.DataFrame:
    """Add each run's mean staff stress in year 2 and year 10, and the drift between them."""
    df = df.copy()
    df["stress_y2"] = (df["staff_stress.sum_first_104"] - df["staff_stress.sum_first_52"]) / 52
    df["stress_y10"] = df["staff_stress.mean_last_52"]
    df["drift"] = df["stress_y10"] - df["stress_y2"]
    return df


SATURATED = 0.9  # stress runs 0-1: a world at 0.9 or more in year 10 cannot drift much further up


def state(stress_y10: float, drift: float) -> str:
    """How a world's staff stress behaves from year 2 to year 10: saturated (0.9 or more in year 10),
    rising or falling (by more than the 0.1 tolerance), or steady."""
    if stress_y10 >= SATURATED:
        return "saturated"
    if drift > DRIFT:
        return "rising"
    return "falling" if drift < -DRIFT else "steady"


def npm_ignores_local_gatekeeping(df: pd.DataFrame) -> None:
    """NPM's runs must repeat bit for bit across local_gatekeeping (NPM never reads it)."""
    npm = df[df["scenario"] == "npm"].sort_values([B, "seed", G])
    spread = npm.groupby([B, "seed"])["total_cost.sum"].agg(lambda v: v.max() - v.min())
    if (spread != 0).any():
        raise AssertionError("NPM runs differ across local_gatekeeping: NPM reads a local teams' parameter")


def tipping_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per system, local_gatekeeping (local teams only) and budget: the means over seeds, and the state of the
    world's stress."""
    df = with_years(df)
    if G not in df:
        df[G] = 0.0
    df = df[(df["scenario"] == "local_teams") | (df[G] == df[G].min())]
    t = df.groupby(["scenario", G, B])[SHOWN].mean().reset_index()
    t["state"] = [state(y10, d) for y10, d in zip(t["stress_y10"], t["drift"])]
    return t


def markdown(t: pd.DataFrame) -> str:
    rows = ["| system | local_gatekeeping | budget | stress year 2 | stress year 10 | drift | state | waiting (year 10) | unmet need (year 10) |",
            "|---|---|---|---|---|---|---|---|---|"]
    for _, r in t.iterrows():
        gate = f"{r[G]:g}" if r["scenario"] == "local_teams" else "–"
        rows.append(f"| {r['scenario']} | {gate} | {r[B]:.1f} | {r['stress_y2']:.2f} | {r['stress_y10']:.2f} | {r['drift']:+.2f} | "
                    f"{r['state']} | {r['waiting_list.mean_last_52']:.0f} | "
                    f"{r['unmet_need.mean_last_52']:.3f} |")
    return "\n".join(rows)


def figure(out: Path):
    df = with_years(load_results(out, status="ok"))
    if G not in df:
        df[G] = 0.0
    npm_ignores_local_gatekeeping(df)
    table = ci_table(df, SHOWN, by=["scenario", G, B])
    fig, ax = figure_grid(1, 3, w=5.2, h=4.2)
    styles = {0.0: "-", 0.82: "--", 1.0: ":"}
    for (scen, gate), g in df.groupby(["scenario", G]):
        if scen == "npm" and gate != df[G].min():
            continue  # the same runs again
        m = g.groupby(B)[["stress_y2", "stress_y10", "waiting_list.mean_last_52", "unmet_need.mean_last_52"]].mean()
        c = WORLD_COLOURS.get(scen, "0.3")
        label = scen if scen == "npm" else f"{scen}, closing books {gate:g}"
        ls = styles.get(round(gate, 2), "-.") if scen == "local_teams" else "-"
        ax[0, 0].plot(m.index, m["stress_y10"], color=c, ls=ls, marker="o", ms=3, label=label)
        ax[0, 1].plot(m.index, m["waiting_list.mean_last_52"], color=c, ls=ls, marker="o", ms=3, label=label)
        ax[0, 2].plot(m.index, m["unmet_need.mean_last_52"], color=c, ls=ls, marker="o", ms=3, label=label)
    for a, title, ylab in ((ax[0, 0], "mean staff stress, year 10", "stress (0-1)"),
                           (ax[0, 1], "needs waiting for a team, year 10", "needs"),
                           (ax[0, 2], "unmet need, year 10", "severity-weighted per citizen")):
        a.axvline(1.0, color="0.3", lw=0.8, ls=":")
        a.axvline(0.8, color="0.6", lw=0.8, ls=":")
        a.set_xlabel("service budget (1 = default; dotted: default and a 20% cut)")
        a.set_ylabel(ylab)
        a.set_title(title)
        a.legend(fontsize=7)
    fig.suptitle(f"Tipping points ({df['seed'].nunique()} seeds, {fixed_param(out, 'n_citizens', 1000)} citizens, "
                 "ten years at each budget, no lever; local_gatekeeping: local teams closing their books)")
    print(markdown(tipping_table(df)))
    return save_outputs(out, NAME, fig, table)


if __name__ == "__main__":
    sys.exit(main(NAME, figure))
