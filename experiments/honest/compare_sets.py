"""The headline comparison under each assumption set, with 95% bands over paired seeds and calibration draws.

    ./dev python experiments/honest/compare_sets.py --seeds 10 --weeks 260
    ./dev python experiments/honest/compare_sets.py --seeds 10 --draws results/calibration/draws.csv \\
        --complex-shares 0 0.1 0.25 0.4 0.6 --markdown

For each set (structural, evidence, claims) and each seed, twin worlds (same people, network and
life events) run for ``--weeks`` after the shared warm-up. Reports the five-year local/NPM total
cost ratio, the year-by-year ratio, the wellbeing difference (local - NPM, mean over the last
year) and NPM's mean staff stress in year 2 and in the last year.

Two bands: ``mean [95% t-interval]`` over the paired seeds at the shipped defaults, and, with
``--draws``, the spread over calibration draws x seeds (2.5-97.5 percentiles): each accepted draw of
the calibration (or its best draws when none was accepted) with the set's own sizes on top, so the
``structural`` set still neutralises every effect of tier direction/assumption.

The cost ratio is the validation figure (KPMG 2015: Buurtzorg's cost per client about average);
nothing is tuned to it.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
import pandas as pd

from hls_abm import twin_worlds
from hls_abm.differences import assumption_overrides
from hls_abm.sweep.analysis import t_interval
from hls_abm.sweep.backends import worker_pool

SETS = ("structural", "evidence", "claims")
BEST_WHEN_NONE = 5


def one(job) -> dict:
    assumptions, seed, n, weeks, extra, draw_id, draw = job
    kw = {**draw, **assumption_overrides(assumptions), **extra}  # the draw, then the set, then --set
    npm, local = twin_worlds(n_citizens=n, rng=seed, assumptions=assumptions, **kw)
    npm.run_for(weeks)
    local.run_for(weeks)
    a, b = npm.metrics(), local.metrics()
    years = weeks // 52
    yearly = [float(b.total_cost.iloc[52 * y:52 * (y + 1)].sum() / a.total_cost.iloc[52 * y:52 * (y + 1)].sum())
              for y in range(years)]
    return {
        "assumptions": assumptions, "seed": seed, "draw": draw_id, **{k: v for k, v in extra.items()},
        "cost_ratio": float(b.total_cost.sum() / a.total_cost.sum()),
        "yearly_ratio": yearly,
        "wellbeing_diff": float(b.mean_wellbeing.iloc[-52:].mean() - a.mean_wellbeing.iloc[-52:].mean()),
        "npm_stress_y2": float(a.staff_stress.iloc[52:104].mean()),
        "npm_stress_last": float(a.staff_stress.iloc[-52:].mean()),
        "npm_failure_share_last": float(a.failure_demand.iloc[-52:].sum() / a.contacts.iloc[-52:].sum()),
        "local_failure_share_last": float(b.failure_demand.iloc[-52:].sum() / b.contacts.iloc[-52:].sum()),
    }


def band(values) -> str:
    m, lo, hi, _ = t_interval(list(values))
    return f"{m:.3f} [{lo:.3f}, {hi:.3f}]"


def spread(values) -> str:
    lo, hi = np.percentile(list(values), [2.5, 97.5])
    return f"{lo:.2f}–{hi:.2f}"


def load_draws(path: str, parameters: list[str] | None = None) -> list[dict]:
    """The calibration's accepted draws (or its best when none was accepted), as parameter dicts."""
    d = pd.read_csv(path)
    sel = d[d["accepted"].astype(bool)]
    if sel.empty:
        sel = d.dropna(subset=["score"]).nsmallest(BEST_WHEN_NONE, "score")
    skip = {"trial", "batch", "score", "accepted", "error"}
    names = parameters or [c for c in d.columns if c not in skip and not c.startswith(("npm_", "ratio_"))]
    from hls_abm.params import PARAMS

    out = []
    for _, row in sel.iterrows():
        out.append({n: (int(round(row[n])) if PARAMS[n].kind == "int" else float(row[n])) for n in names})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--weeks", type=int, default=260)
    ap.add_argument("--citizens", type=int, default=1000)
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--complex-shares", nargs="+", type=float, metavar="X",
                    help="run at each complex_share (default: the default only)")
    ap.add_argument("--draws", help="a calibration's draws.csv: also run every accepted draw on every seed")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", help="write the per-seed rows here")
    ap.add_argument("--markdown", action="store_true", help="print the README's tables")
    args = ap.parse_args(argv)
    extra = {}
    for kv in args.set:
        k, v = kv.split("=", 1)
        extra[k] = float(v)
    contexts = [{**extra, "complex_share": x} for x in args.complex_shares] if args.complex_shares else [extra]
    draws = [(None, {})] + ([(i, d) for i, d in enumerate(load_draws(args.draws))] if args.draws else [])
    jobs = [(a, s, args.citizens, args.weeks, ctx, i, d) for ctx in contexts for a in args.sets
            for i, d in draws for s in range(1, args.seeds + 1)]
    print(f"{len(jobs)} twin runs ({len(draws) - 1} calibration draws)", file=sys.stderr)
    with worker_pool(args.workers) as pool:
        rows = list(pool.map(one, jobs))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    df = pd.DataFrame(rows)
    print(f"{args.seeds} paired seeds, {args.citizens} citizens, {args.weeks} weeks, {extra or 'defaults'}")
    for ctx in contexts:
        here = df
        for k, v in ctx.items():
            here = here[here[k] == v]
        if args.markdown:
            print_markdown(here, ctx, args.sets, bool(args.draws))
        else:
            print_plain(here, ctx, args.sets)
    return 0


def print_plain(df: pd.DataFrame, ctx: dict, sets) -> None:
    for a in sets:
        r = df[(df["assumptions"] == a) & df["draw"].isna()]
        yearly = np.array(r["yearly_ratio"].tolist())
        print(f"\n[{a}] {ctx or ''}")
        print("  5-year cost ratio (local/NPM):", band(r["cost_ratio"]))
        print("  yearly cost ratio:", ", ".join(f"{v:.2f}" for v in yearly.mean(axis=0)))
        print("  wellbeing difference (local - NPM, last year):", band(r["wellbeing_diff"]))
        print("  NPM stress year 2 -> last year:", band(r["npm_stress_y2"]), "->", band(r["npm_stress_last"]))
        print("  failure-demand share, last year: NPM", band(r["npm_failure_share_last"]),
              " local", band(r["local_failure_share_last"]))
        post = df[(df["assumptions"] == a) & df["draw"].notna()]
        if len(post):
            print(f"  over {post['draw'].nunique()} draws x seeds: cost ratio {spread(post['cost_ratio'])}, "
                  f"wellbeing difference {spread(post['wellbeing_diff'])}")


def print_markdown(df: pd.DataFrame, ctx: dict, sets, with_draws: bool) -> None:
    print(f"\n{ctx or 'defaults'}\n")
    head = "| assumption set | 5-year cost ratio (local / NPM) | yearly ratio, years 1–5 | wellbeing difference " \
           "(local − NPM, last year) | NPM staff stress, year 2 → last year | NPM failure-demand share, last year |"
    if with_draws:
        head += " over calibration draws × seeds: cost ratio; wellbeing difference |"
    print(head)
    print("|---" * (7 if with_draws else 6) + "|")
    for a in sets:
        r = df[(df["assumptions"] == a) & df["draw"].isna()]
        yearly = np.array(r["yearly_ratio"].tolist()).mean(axis=0)
        name = f"`{a}`" + (" (default)" if a == "evidence" else "")
        line = (f"| {name} | {band(r['cost_ratio'])} | {', '.join(f'{v:.2f}' for v in yearly)} | "
                f"{band(r['wellbeing_diff'])} | {r['npm_stress_y2'].mean():.2f} → {r['npm_stress_last'].mean():.2f} | "
                f"{band(r['npm_failure_share_last'])} |")
        if with_draws:
            post = df[(df["assumptions"] == a) & df["draw"].notna()]
            line += f" {spread(post['cost_ratio'])}; {spread(post['wellbeing_diff'])} |"
        print(line)


if __name__ == "__main__":
    raise SystemExit(main())
