"""Pattern-oriented validation: run one pattern, several, or all, and write figures and tables.

    python experiments/validation/run.py                    # all 11 patterns + npm_regions + sensitivity (full)
    python experiments/validation/run.py p07_goodhart       # one pattern (also: 7, goodhart)
    python experiments/validation/run.py 1 5 10 --quick     # the small versions (seconds each)
    python experiments/validation/run.py --list             # what there is
    python experiments/validation/run.py --docs             # also copy the figures to docs/img/validation/

Results go to results/validation/<pattern>/ (the sweep store, <pattern>.png, <pattern>_checks.csv,
result.json) and results/validation/summary.csv + summary.md (every check of every pattern run).
Sweeps run on the process pool (all cores) unless --backend/--workers/--dask-local/--scheduler say
otherwise; re-running resumes the stored sweeps. See docs/validation.md.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import patterns as V  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="experiments/validation/run.py", description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("patterns", nargs="*", help="pattern ids, numbers or names (default: all)")
    ap.add_argument("--quick", action="store_true", help="the small versions")
    ap.add_argument("--out", default=None, help="results directory (default: results/validation[-quick])")
    ap.add_argument("--backend", choices=("serial", "pool", "dask"), default=None)
    ap.add_argument("--workers", type=int)
    ap.add_argument("--dask-local", type=int, metavar="N")
    ap.add_argument("--scheduler")
    ap.add_argument("--no-extras", action="store_true", help="skip npm_regions and the Sobol sensitivity analysis")
    ap.add_argument("--docs", action="store_true", help="copy the figures to docs/img/validation/")
    ap.add_argument("--progress", action="store_true", help="progress bars of the sweeps")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args(argv)

    if args.list:
        for p in [*V.PATTERNS.values(), *V.EXTRAS.values()]:
            reuse = f"  (runs experiments/{p.reuses}.toml)" if p.reuses else ""
            print(f"{p.pid:26s} {p.title}{reuse}")
        return 0
    names = args.patterns or list(V.PATTERNS) + ([] if args.no_extras else list(V.EXTRAS))
    try:
        chosen = [V.resolve(n).pid for n in names]
    except KeyError as err:
        print(f"error: {err.args[0]}", file=sys.stderr)
        return 2
    size = "small" if args.quick else "full"
    out = Path(args.out or ("results/validation-quick" if args.quick else "results/validation"))
    backend = args.backend or ("dask" if (args.dask_local or args.scheduler) else "pool")
    t0 = time.perf_counter()
    results = []
    for pid in chosen:
        try:
            res = V.run_pattern(pid, size, out, backend=backend, workers=args.workers, scheduler=args.scheduler,
                                dask_local=args.dask_local, progress=args.progress)
        except KeyboardInterrupt:
            print("interrupted: run the same command again to resume", file=sys.stderr)
            return 130
        results.append(res)
        print(res.report(), flush=True)
        if args.docs and size == "full":
            dest = V.ROOT / "docs" / "img" / "validation"
            dest.mkdir(parents=True, exist_ok=True)
            for f in res.figures:
                shutil.copyfile(f, dest / Path(f).name)
    summary = pd.concat([r.table().assign(verdict=r.verdict, size=r.size) for r in results], ignore_index=True)
    out.mkdir(parents=True, exist_ok=True)
    if len(results) == len(V.PATTERNS) + len(V.EXTRAS) or not (out / "summary.csv").exists():
        summary.to_csv(out / "summary.csv", index=False)
    else:  # update the rows of the patterns just run
        old = pd.read_csv(out / "summary.csv")
        summary = pd.concat([old[~old["pattern"].isin(chosen)], summary], ignore_index=True)
        summary.to_csv(out / "summary.csv", index=False)
    (out / "summary.md").write_text(_markdown(summary))
    bad = [r.pid for r in results if r.unexpected()]
    print(f"\n{len(results)} patterns in {time.perf_counter() - t0:.0f} s: "
          + ", ".join(f"{r.pid} {r.verdict}" for r in results))
    print(f"summary: {out / 'summary.md'}")
    if bad:
        print(f"UNEXPECTED outcomes (see the checks above): {', '.join(bad)}", file=sys.stderr)
        return 1
    return 0


def _markdown(summary: pd.DataFrame) -> str:
    lines = ["| pattern | kind | check | model (mean [95% CI]) | criterion | passed |", "|---|---|---|---|---|---|"]
    for r in summary.itertuples():
        lines.append(f"| {r.pattern} | {r.kind} | {r.claim} | {r.model} | {r.criterion} | "
                     f"{'yes' if r.passed else 'no'} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
