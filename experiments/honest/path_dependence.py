"""Path dependence: the same budget, reached two ways, gives two different local-teams worlds.

    ./dev python experiments/honest/path_dependence.py --seeds 5 --cut 35 --markdown
    ./dev python experiments/honest/path_dependence.py --overrides results/cal-budget2/defaults.toml

Both systems, paired seeds, ``--before`` years at the default budget and then a ``--cut`` percent budget cut,
``--after`` more years (*established, then cut*); against the same worlds started at the cut budget from
the shared warm-up (*started lean*: ``budget_factor`` = 1 - cut/100, the big-bang start of the default
comparison). Reports each world's mean staff stress, needs waiting and whole-system cost in the last year.

Why it matters: local teams take in the demand NPM's thresholds hold outside, and need years of enough
capacity to clear it (S004 L447: "a huge investment before early intervention and prevention leads to
reduced demand"). Below a budget they never clear it; an established local world at the same budget may
stay clear. The budget-only calibrations of docs/calibration.md ("History") ran into exactly this; the
shipped calibration fits local teams' intake with the budget and asks their turnover of year 10, and this
script shows how far the start still matters at its defaults.

``--overrides FILE`` applies the ``[parameters]`` of a calibration's defaults.toml on top of the defaults
(e.g. an exploratory calibration that also fitted the budget).
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from hls_abm import HLSModel
from hls_abm.parameter import ParameterError

YEAR = 52
SYSTEMS = ("npm", "local_teams")
SHOWN = ("staff_stress", "waiting_list", "total_cost")


def one(job: dict) -> dict:
    """One world on one path; the last year's means of SHOWN."""
    scen, seed, path, a = job["scenario"], job["seed"], job["path"], job["args"]
    if path == "established":
        m = HLSModel(scen, n_citizens=a["citizens"], rng=seed, **a["overrides"])
        m.run_for(YEAR * a["before"])
        m.apply_lever("budget_cut", percent=a["cut"])
    else:
        budget = a["overrides"].get("budget_factor", 1.0) * (1 - a["cut"] / 100)
        m = HLSModel(scen, n_citizens=a["citizens"], rng=seed, **{**a["overrides"], "budget_factor": budget})
        m.run_for(YEAR * a["before"])
    m.run_for(YEAR * a["after"])
    last = m.metrics()[list(SHOWN)].iloc[-YEAR:].mean()
    return {"scenario": scen, "seed": seed, "path": path, **last.to_dict()}


def run(args) -> list[dict]:
    a = {"citizens": args.citizens, "before": args.before, "after": args.after, "cut": args.cut,
         "overrides": args.override_values}
    jobs = [{"scenario": s, "seed": seed, "path": p, "args": a}
            for p in ("established", "lean") for s in SYSTEMS for seed in range(1, args.seeds + 1)]
    if args.workers == 1:
        return [one(j) for j in jobs]
    with ProcessPoolExecutor(args.workers) as ex:
        return list(ex.map(one, jobs))


def table(rows: list[dict], args) -> str:
    import pandas as pd

    df = pd.DataFrame(rows)
    years = args.before + args.after
    out = [f"Last year (year {years}) of {args.seeds} paired seeds, {args.citizens} citizens; mean [min, max] over seeds. "
           f"*Established, then cut*: {args.before} years at the default budget, then a {args.cut:g}% cut; "
           f"*started lean*: {years} years at {1 - args.cut / 100:.2f} of the default budget from the warm-up.", "",
           "| path | system | staff stress | needs waiting | whole-system cost a week (EUR) | cost, local / NPM |",
           "|---|---|---|---|---|---|"]
    for path, label in (("established", "established, then cut"), ("lean", "started lean")):
        d = df[df["path"] == path].set_index(["scenario", "seed"]).sort_index()
        ratio = d.loc["local_teams", "total_cost"] / d.loc["npm", "total_cost"]
        for s in SYSTEMS:
            x = d.loc[s]
            cells = [f"{x[c].mean():.{0 if c != 'staff_stress' else 2}f} [{x[c].min():.{0 if c != 'staff_stress' else 2}f}, "
                     f"{x[c].max():.{0 if c != 'staff_stress' else 2}f}]" for c in SHOWN]
            r = f"{ratio.mean():.2f} [{ratio.min():.2f}, {ratio.max():.2f}]" if s == "local_teams" else ""
            out.append(f"| {label} | {s} | {' | '.join(cells)} | {r} |")
    return "\n".join(out)


def parse(argv):
    ap = argparse.ArgumentParser(prog="experiments/honest/path_dependence.py", description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5, help="paired seeds 1..N (default 5)")
    ap.add_argument("--citizens", type=int, default=1000)
    ap.add_argument("--before", type=int, default=6, help="years at the default budget before the cut (default 6)")
    ap.add_argument("--after", type=int, default=6, help="years after the cut (default 6)")
    ap.add_argument("--cut", type=float, default=35.0, help="percent budget cut, in (0, 90] (default 35)")
    ap.add_argument("--overrides", help="a calibration's defaults.toml: its [parameters] on top of the defaults")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown (the default prints it too)")
    args = ap.parse_args(argv)
    for name, value, low, high in (("--seeds", args.seeds, 1, 100), ("--citizens", args.citizens, 50, 100_000),
                                   ("--before", args.before, 1, 50), ("--after", args.after, 1, 50),
                                   ("--workers", args.workers, 1, 64)):
        if not low <= value <= high:
            ap.error(f"{name}: {value} is not allowed: expected an integer in [{low}, {high}]")
    if not 0 < args.cut <= 90:
        ap.error(f"--cut: {args.cut:g} is not allowed: expected a percent in (0, 90]")
    args.override_values = {}
    if args.overrides:
        try:
            with open(args.overrides, "rb") as f:
                args.override_values = dict(tomllib.load(f)["parameters"])
        except (OSError, tomllib.TOMLDecodeError, KeyError) as err:
            ap.error(f"--overrides: {args.overrides} cannot be used ({type(err).__name__}: {err}); "
                     "expected a TOML file with a [parameters] table")
        try:
            HLSModel("npm", n_citizens=50, rng=0, warmup_weeks=0, **args.override_values)
        except ParameterError as err:
            ap.error(f"--overrides: {err}")
    return args


def main(argv=None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    print(table(run(args), args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
