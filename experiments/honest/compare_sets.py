"""The headline comparison under each assumption set, with 95% bands over paired seeds.

    ./dev python experiments/honest/compare_sets.py --seeds 10 --weeks 260 [--set complex_share=0.5]

For each set (structural, evidence, claims) and each seed, twin worlds (same people, network and
life events) run for ``--weeks`` after the shared warm-up. Reports the five-year local/NPM total
cost ratio, the year-by-year ratio, the wellbeing difference (local - NPM, mean over the last
year) and NPM's mean staff stress in year 2 and in the last year, each as mean [95% t-interval].
The cost ratio is the validation figure (KPMG 2015: Buurtzorg's cost per client about average);
nothing is tuned to it.
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from hls_abm import twin_worlds
from hls_abm.sweep.analysis import t_interval

SETS = ("structural", "evidence", "claims")


def one(job) -> dict:
    assumptions, seed, n, weeks, extra = job
    npm, local = twin_worlds(n_citizens=n, rng=seed, assumptions=assumptions, **extra)
    npm.run_for(weeks)
    local.run_for(weeks)
    a, b = npm.metrics(), local.metrics()
    years = weeks // 52
    yearly = [float(b.total_cost.iloc[52 * y:52 * (y + 1)].sum() / a.total_cost.iloc[52 * y:52 * (y + 1)].sum())
              for y in range(years)]
    return {
        "assumptions": assumptions, "seed": seed,
        "cost_ratio": float(b.total_cost.sum() / a.total_cost.sum()),
        "yearly_ratio": yearly,
        "wellbeing_diff": float(b.mean_wellbeing.iloc[-52:].mean() - a.mean_wellbeing.iloc[-52:].mean()),
        "npm_stress_y2": float(a.staff_stress.iloc[52:104].mean()),
        "npm_stress_last": float(a.staff_stress.iloc[-52:].mean()),
        "npm_failure_share_last": float(a.failure_demand.iloc[-52:].sum() / a.contacts.iloc[-52:].sum()),
        "local_failure_share_last": float(b.failure_demand.iloc[-52:].sum() / b.contacts.iloc[-52:].sum()),
    }


def band(values) -> str:
    m, lo, hi, _ = t_interval(values)
    return f"{m:.3f} [{lo:.3f}, {hi:.3f}]"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--weeks", type=int, default=260)
    ap.add_argument("--citizens", type=int, default=1000)
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", help="write the per-seed rows here")
    args = ap.parse_args(argv)
    extra = {}
    for kv in args.set:
        k, v = kv.split("=", 1)
        extra[k] = float(v)
    jobs = [(a, s, args.citizens, args.weeks, extra) for a in args.sets for s in range(1, args.seeds + 1)]
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(one, jobs))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    print(f"{args.seeds} paired seeds, {args.citizens} citizens, {args.weeks} weeks, {extra or 'defaults'}")
    for a in args.sets:
        r = [x for x in rows if x["assumptions"] == a]
        yearly = np.array([x["yearly_ratio"] for x in r])
        print(f"\n[{a}]")
        print("  5-year cost ratio (local/NPM):", band([x["cost_ratio"] for x in r]))
        print("  yearly cost ratio:", ", ".join(f"{v:.2f}" for v in yearly.mean(axis=0)))
        print("  wellbeing difference (local - NPM, last year):", band([x["wellbeing_diff"] for x in r]))
        print("  NPM stress year 2 -> last year:", band([x["npm_stress_y2"] for x in r]), "->",
              band([x["npm_stress_last"] for x in r]))
        print("  failure-demand share, last year: NPM", band([x["npm_failure_share_last"] for x in r]),
              " local", band([x["local_failure_share_last"] for x in r]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
