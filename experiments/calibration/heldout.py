"""A calibration's best draws on seeds the search never saw.

    ./dev python experiments/calibration/heldout.py experiments/calibration/targets.toml results/calibration
    ./dev python experiments/calibration/heldout.py experiments/calibration/targets_joint.toml results/cal-joint \
        --top 8 --seeds 3 4 5 --workers 2

When no draw meets every band, ``hls-abm calibrate`` ships the draw with the lowest score on the targets
file's seeds. Picked from hundreds of draws on two seeds, a draw can owe its rank to those seeds (the
winner's curse). This runs the ``--top`` best draws on ``--seeds`` exactly as the search ran them, and prints
each one's score there and the targets it misses, so a reader can see whether the shipped draw is best on
other seeds too. Nothing is written.
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from hls_abm.calibration import load_targets, rescore
from hls_abm.calibration.targets import TargetsError


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[1], prog="heldout.py")
    ap.add_argument("targets", help="the targets file the calibration ran")
    ap.add_argument("out", help="the calibration's directory (holds draws.csv)")
    ap.add_argument("--top", type=int, default=8, help="how many of the best draws (default 8)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[3, 4, 5], help="seeds to run (default 3 4 5)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    args = ap.parse_args(argv)
    if args.top < 1:
        ap.error(f"--top {args.top}: must be at least 1")
    if any(s < 0 for s in args.seeds):
        ap.error(f"--seeds {args.seeds}: seeds are whole numbers >= 0")
    try:
        targets = load_targets(args.targets)
        draws = pd.read_csv(f"{args.out}/draws.csv").set_index("trial")
    except (TargetsError, OSError) as err:
        print(f"heldout.py: {err}", file=sys.stderr)
        return 2
    fitted = [n for n in targets.parameters if n in draws.columns]
    best = draws.dropna(subset=["score"]).nsmallest(args.top, "score")
    params = {int(t): {n: (int(row[n]) if targets.parameters[n][2] == "int" else float(row[n])) for n in fitted}
              for t, row in best.iterrows()}
    found = rescore(targets, params, args.seeds, backend="pool", workers=args.workers)
    print(f"The {len(best)} best draws of {args.out} on seeds {targets.seeds} (the search) and on seeds {args.seeds}:\n")
    print("| draw | score, search seeds | score, other seeds | targets missed on the other seeds (value) |")
    print("|---|---|---|---|")
    for t, row in best.iterrows():
        sc, means = found[int(t)]
        missed = ", ".join(f"`{x.name}` {means[x.name]:.3g}" for x in targets.targets
                           if means and x.distance(means[x.name]) > 0) or "none"
        print(f"| {int(t)} | {row['score']:.4f} | {sc:.4f} | {missed} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
