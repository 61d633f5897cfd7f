"""Walk the facilitator guide's scripts on the dashboard's own run, and print the figures it quotes.

The page is a thin layer over :class:`hls_abm.dashboard.controller.Controller`; this
script drives that controller exactly as the guide tells a facilitator to press the
buttons (same settings, same levers at the same weeks), without a browser. The guide
quotes what it prints, so whenever the model or its defaults change, rerun it and
update docs/facilitator-guide.md:

    ./dev python experiments/facilitator_walk.py                 # 4,000 citizens, seed 42, as the guide
    ./dev python experiments/facilitator_walk.py --citizens 1000 --seed 7

Each section prints both worlds; "before" and "after" are means over the 4 weeks
up to the week named, the smoothing the page shows by default.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd

from hls_abm.dashboard.controller import Controller
from hls_abm.dashboard.journey import load_journey, pick_complex
from hls_abm.dashboard.settings import Settings
from hls_abm.seeds import parse_seed

WORLDS = ("npm", "local_teams")


def _run_to(c: Controller, week: int) -> None:
    if week > c.week:
        c.step(week - c.week)


def _mean(df: pd.DataFrame, world: str, col: str, upto: int, weeks: int = 4) -> float:
    d = df[(df.world == world) & (df.week > upto - weeks) & (df.week <= upto)]
    return float(d[col].mean())


def _fmt(x: float, spec: str = ".3f") -> str:
    return format(x, spec) if np.isfinite(x) else "n/a"


def _table(df: pd.DataFrame, rows: list[tuple[str, str]], weeks: list[int], n: int) -> None:
    head = "".join(f"  {w:>22}" for w in (f"week {k}" for k in weeks))
    print(f"  {'':34}{head}")
    for label, col in rows:
        for world in WORLDS:
            vals = []
            for k in weeks:
                v = _mean(df, world, col, k)
                if col == "total_cost":
                    v = v / n  # cost per citizen per week, as the headline numbers
                vals.append(f"  {_fmt(v, '.3f'):>22}")
            print(f"  {label + ' (' + world + ')':34}{''.join(vals)}")


def _years(df: pd.DataFrame, years: int, n: int, cell, sep: str) -> None:
    """One line per world: ``cell(year, that year's rows, citizens)`` for years 1..``years``."""
    for world in WORLDS:
        d = df[df.world == world].set_index("week")
        parts = [cell(y, d.loc[52 * (y - 1) + 1: 52 * y], n) for y in range(1, years + 1)]
        print(f"  {world:12} " + sep.join(parts))


def settings(args, **kw) -> Settings:
    base = dict(n_citizens=args.citizens, seed=str(args.seed))
    base.update(kw)
    return Settings(**base)


def first_year(args) -> None:
    """'What the room will notice first': the local teams' waiting list in year 1."""
    c = Controller(settings(args), speed=0)
    _run_to(c, 156)
    df = c.history_frame()
    print("\n== What the room will notice first (default settings, weeks 1-156, then to week 416)")
    for world in WORLDS:
        d = df[df.world == world].set_index("week")
        wl = d["waiting_list"].rolling(4, min_periods=1).mean()
        y1 = wl.loc[1:52]
        print(f"  {world:12} waiting list (4-wk mean): peak {y1.max():.0f} in week {int(y1.idxmax())}, "
              f"week 52: {wl.loc[52]:.0f}, week 104: {wl.loc[104]:.0f}, week 156: {wl.loc[156]:.0f}; "
              f"max stress in year 1: {d['staff_stress'].loc[1:52].max():.2f}")
    a = df[df.world == "npm"].set_index("week")["waiting_list"].rolling(4, min_periods=1).mean()
    b = df[df.world == "local_teams"].set_index("week")["waiting_list"].rolling(4, min_periods=1).mean()
    cross = [int(w) for w in a.index if w > 4 and a.loc[w] >= b.loc[w]]
    print(f"  waiting lists cross (NPM >= local teams) first in week: {cross[0] if cross else 'not within 156'}")
    _run_to(c, 416)
    df = c.history_frame()
    print("  year by year (means): waiting list, staff stress, failure demand/wk, cost per citizen/wk, wellbeing")
    _years(df, 8, args.citizens, lambda y, s, n: f"y{y} {s['waiting_list'].mean():.0f}/{s['staff_stress'].mean():.2f}/"
           f"{s['failure_demand'].mean():.0f}/{s['total_cost'].mean() / n:.1f}/{s['mean_wellbeing'].mean():.3f}", "  ")
    fa = df[df.world == "npm"].set_index("week")["failure_demand"].loc[1:13].mean()
    fb = df[df.world == "local_teams"].set_index("week")["failure_demand"].loc[1:13].mean()
    print(f"  failure demand per week, first quarter: NPM {fa:.1f}, local teams {fb:.1f}")
    c.close()


def script_1(args, budget_factor: float | None, label: str, weeks_after: int = 54) -> None:
    kw = {} if budget_factor is None else {"budget_factor": budget_factor}
    c = Controller(settings(args, **kw), speed=0)
    _run_to(c, 26)
    cut = c.week
    c.apply_lever("budget_cut", "both")
    _run_to(c, cut + weeks_after)
    end = c.week
    df = c.history_frame()
    n = args.citizens
    print(f"\n== Script 1, the cuts paradox: {label}; 20% cut to both worlds in week {cut}, read at week {end}")
    _table(df, [("cost/citizen/wk", "total_cost"), ("crisis cost", "cost_crisis"), ("staff cost", "cost_staff"),
                ("failure demand", "failure_demand"), ("waiting list", "waiting_list"),
                ("staff stress", "staff_stress"), ("wellbeing, worst 10%", "p10_wellbeing")],
           [cut, cut + 8, end], n)
    # the same run without the cut: what the cut changed (the page shows one run; this is its counterfactual)
    u = Controller(settings(args, **kw), speed=0)
    _run_to(u, end)
    du = u.history_frame()
    u.close()
    for world in WORLDS:
        before, after = _mean(df, world, "total_cost", cut), _mean(df, world, "total_cost", end)
        span = (df.world == world) & (df.week > cut) & (df.week <= end)
        uspan = (du.world == world) & (du.week > cut) & (du.week <= end)
        spent, uncut = float(df.loc[span, "total_cost"].sum()), float(du.loc[uspan, "total_cost"].sum())
        crises, ucrises = float(df.loc[span, "crisis_events"].sum()), float(du.loc[uspan, "crisis_events"].sum())
        print(f"  {world:12} cost a year after the cut vs before: {100 * (after / before - 1):+.1f}%; "
              f"whole-system cost over the {end - cut} weeks since the cut vs the same run uncut: "
              f"{100 * (spent / uncut - 1):+.1f}%; crises {crises:.0f} vs {ucrises:.0f}")
    print("  intervention log:", "; ".join(f"{iv.label}" for iv in c.interventions))
    for iv in c.interventions:
        since = c.since(iv)
        print("  since the cut:", {w: {k: round(v, 3) for k, v in s.items()} for w, s in since.items()})
    c.close()


def script_2(args) -> None:
    c = Controller(settings(args), speed=0)
    _run_to(c, 52)
    print("\n== Script 2, twenty problems, twenty services (week 52, 'Show me someone with complex needs')")
    for turn in range(3):
        idx = c.with_models(lambda m: pick_complex(m, turn=turn))
        if idx is None:
            print("  nobody with complex needs")
            break
        j = c.with_models(lambda m: load_journey(m, idx))
        print(f"  press {turn + 1}: citizen {idx}")
        for world in WORLDS:
            print(f"    {world:12} {j.worlds[world].sentence()}")
        if turn == 0:
            c.step(52)  # the same person a year later
            j = c.with_models(lambda m: load_journey(m, idx))
            for world in WORLDS:
                print(f"    week 104 {world:12} {j.worlds[world].sentence()}")
    c.close()


def script_3(args) -> None:
    c = Controller(settings(args), speed=0)
    _run_to(c, 30)
    start = c.week
    c.apply_lever("target_pressure", "npm")
    _run_to(c, start + 52)
    end = c.week
    df = c.history_frame()
    print(f"\n== Script 3, why targets mislead: target pressure 0.8 on NPM in week {start}, read at week {end}")
    _table(df, [("reported KPI", "reported_kpi"), ("real outcome", "real_outcome"),
                ("failure demand", "failure_demand")], [start, start + 13, end], args.citizens)
    c.close()


def transition(args) -> None:
    c = Controller(settings(args, scenario="transition"), speed=0)
    _run_to(c, 260)
    df = c.history_frame()
    print("\n== Other things to try: preset 'Switch NPM to local teams in year 2' (the NPM world switches)")
    _years(df, 5, args.citizens, lambda y, s, n: f"y{y}: wait {s['waiting_list'].mean():.0f}, stress "
           f"{s['staff_stress'].mean():.2f}, cost/cit {s['total_cost'].mean() / n:.2f}", " | ")
    c.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--citizens", type=int, default=4000, help="citizens per world (the page's default: 4000)")
    p.add_argument("--seed", default="42", help="seed, a whole number or a word (default 42)")
    p.add_argument("--stretched", type=float, default=0.75,
                   help="budget_factor for the stretched-budget walk of script 1 (default 0.75)")
    p.add_argument("--only", choices=["first", "1", "2", "3", "transition"], action="append",
                   help="walk only these sections (repeatable)")
    args = p.parse_args(argv)
    try:
        parse_seed(args.seed)
    except ValueError as exc:
        p.error(str(exc))
    todo = args.only or ["first", "1", "2", "3", "transition"]
    t0 = time.perf_counter()
    if "first" in todo:
        first_year(args)
    if "1" in todo:
        script_1(args, None, "default budget")
        script_1(args, args.stretched, f"stretched budget (budget_factor {args.stretched})")
        script_1(args, args.stretched, f"stretched budget (budget_factor {args.stretched}), three years on",
                 weeks_after=156)
    if "2" in todo:
        script_2(args)
    if "3" in todo:
        script_3(args)
    if "transition" in todo:
        transition(args)
    print(f"\n({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
