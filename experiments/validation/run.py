"""Pattern-oriented validation: run one pattern, several, or all, and write figures and tables.

    python experiments/validation/run.py                    # all 11 patterns + npm_regions + sensitivity (full)
    python experiments/validation/run.py p07_goodhart       # one pattern (also: 7, goodhart)
    python experiments/validation/run.py 1 5 10 --quick     # the small versions (seconds each)
    python experiments/validation/run.py --assumptions claims   # under another assumption set
    python experiments/validation/run.py --assumptions all  # under each set in turn, and the verdicts by set
    python experiments/validation/run.py --list             # what there is
    python experiments/validation/run.py --docs             # also copy the figures to docs/img/validation/

Every run of every pattern runs under one assumption set of the model (hls_abm.differences):
structural, evidence (the default) or claims; `all` runs the three in turn. Results go to
results/validation/<set>/<pattern>/ (the sweep store, <pattern>.png, <pattern>_checks.csv,
result.json) and results/validation/<set>/summary.csv + summary.md (every check of every pattern
run); with `all`, results/validation/verdicts_by_set.md + .csv (each pattern's verdict and key
figure per set). Check kinds (claim, limit) describe the model under evidence: an unexpected outcome
under evidence exits 1; under the other sets it is a finding, listed in the table of verdicts by set.
Sweeps run on the process pool (all cores) unless --backend/--workers/--dask-local/--scheduler say
otherwise; re-running resumes the stored sweeps. See docs/validation.md.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import patterns as V  # noqa: E402

CHOICES = (*V.SETS, "all")
DOCS = V.ROOT / "docs" / "validation.md"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="experiments/validation/run.py", description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("patterns", nargs="*", help="pattern ids, numbers or names (default: all)")
    ap.add_argument("--quick", action="store_true", help="the small versions")
    ap.add_argument("--assumptions", default="evidence", metavar="{" + ",".join(CHOICES) + "}",
                    help="the model's assumption set every run uses, or all three in turn (default: evidence)")
    ap.add_argument("--out", default=None, help="results directory (default: results/validation[-quick])")
    ap.add_argument("--backend", choices=("serial", "pool", "dask"), default=None)
    ap.add_argument("--workers", type=int)
    ap.add_argument("--dask-local", type=int, metavar="N")
    ap.add_argument("--scheduler")
    ap.add_argument("--no-extras", action="store_true", help="skip npm_regions and the Sobol sensitivity analysis")
    ap.add_argument("--docs", action="store_true", help="copy the figures (evidence set) to docs/img/validation/ "
                    "and, with --assumptions all, the verdicts by set into docs/validation.md")
    ap.add_argument("--progress", action="store_true", help="progress bars of the sweeps")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--docs-only", action="store_true",
                    help="rewrite docs/validation.md's verdicts and checks by set from the stored results; run nothing")
    args = ap.parse_args(argv)

    if args.assumptions not in CHOICES:
        print(f"error: --assumptions {args.assumptions!r} is unknown: expected one of {', '.join(CHOICES)}",
              file=sys.stderr)
        return 2
    if args.docs and args.assumptions == "all" and not args.quick:
        try:  # before hours of runs, not after
            include_verdicts(DOCS.read_text(), "")
        except ValueError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    if args.docs_only:
        out = Path(args.out or "results/validation")
        pids = [*V.PATTERNS, *V.EXTRAS]
        table = V.verdicts_by_set(out, pids)
        text = include_verdicts(DOCS.read_text(), V.verdicts_markdown(table))
        DOCS.write_text(include_checks(text, out, pids))
        print(f"updated {DOCS} from {out}")
        return 0
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
    sets = V.SETS if args.assumptions == "all" else (args.assumptions,)
    t0 = time.perf_counter()
    bad = []
    for aset in sets:
        results = []
        for pid in chosen:
            try:
                res = V.run_pattern(pid, size, out, backend=backend, workers=args.workers, scheduler=args.scheduler,
                                    dask_local=args.dask_local, progress=args.progress, assumptions=aset)
            except KeyboardInterrupt:
                print("interrupted: run the same command again to resume", file=sys.stderr)
                return 130
            results.append(res)
            print(res.report(), flush=True)
            if args.docs and size == "full" and aset == "evidence":
                dest = V.ROOT / "docs" / "img" / "validation"
                dest.mkdir(parents=True, exist_ok=True)
                for f in res.figures:
                    shutil.copyfile(f, dest / Path(f).name)
        _write_summary(results, chosen, out / aset)
        print(f"\n{aset}: {len(results)} patterns: " + ", ".join(f"{r.pid} {r.verdict}" for r in results))
        print(f"summary: {out / aset / 'summary.md'}\n", flush=True)
        if aset == "evidence":
            bad = [r.pid for r in results if r.unexpected()]
    if args.assumptions == "all":
        table = V.verdicts_by_set(out, chosen)
        table.to_csv(out / "verdicts_by_set.csv", index=False)
        md = V.verdicts_markdown(table)
        (out / "verdicts_by_set.md").write_text(md)
        print(md)
        print(f"verdicts by set: {out / 'verdicts_by_set.md'}")
        if args.docs and size == "full":
            DOCS.write_text(include_checks(include_verdicts(DOCS.read_text(), md), out, chosen))
            print(f"updated the verdicts by set and each pattern's checks by set in {DOCS}")
    print(f"{len(sets) * len(chosen)} pattern runs in {time.perf_counter() - t0:.0f} s")
    if bad:
        print(f"UNEXPECTED outcomes under evidence (see the checks above): {', '.join(bad)}", file=sys.stderr)
        return 1
    return 0


def include_verdicts(text: str, md: str) -> str:
    """``text`` (docs/validation.md) with the table between ``<!-- begin verdicts_by_set -->`` and
    ``<!-- end verdicts_by_set -->`` replaced by ``md`` (the output of ``verdicts_markdown``)."""
    pat = re.compile(r"(<!-- begin verdicts_by_set -->\n).*?(\n<!-- end verdicts_by_set -->)", re.S)
    if not pat.search(text):
        raise ValueError("docs: no <!-- begin verdicts_by_set --> ... <!-- end verdicts_by_set --> markers")
    return pat.sub(lambda m: m.group(1) + md.rstrip("\n") + m.group(2), text)


def include_checks(text: str, out: Path, pids: list[str]) -> str:
    """``text`` with each pattern's checks by set (``framework.checks_markdown``) between its
    ``<!-- begin checks PID -->`` and ``<!-- end checks PID -->`` markers; patterns without markers
    or without stored results are left alone."""
    for pid in pids:
        pat = re.compile(rf"(<!-- begin checks {re.escape(pid)} -->\n).*?(\n<!-- end checks {re.escape(pid)} -->)", re.S)
        md = V.checks_markdown(out, pid)
        if md and pat.search(text):  # nothing stored for this pattern: the block is kept as it is
            text = pat.sub(lambda m: m.group(1) + md.rstrip("\n") + m.group(2), text)
    return text


def _write_summary(results: list, chosen: list, out: Path) -> None:
    """``out/summary.csv`` and ``summary.md``: every check of the patterns run (replacing their old rows)."""
    summary = pd.concat([r.table().assign(verdict=r.verdict, size=r.size, assumptions=r.assumptions)
                         for r in results], ignore_index=True)
    out.mkdir(parents=True, exist_ok=True)
    if len(results) < len(V.PATTERNS) + len(V.EXTRAS) and (out / "summary.csv").exists():
        old = pd.read_csv(out / "summary.csv")
        summary = pd.concat([old[~old["pattern"].isin(chosen)], summary], ignore_index=True)
    summary.to_csv(out / "summary.csv", index=False)
    (out / "summary.md").write_text(_markdown(summary))


def _markdown(summary: pd.DataFrame) -> str:
    lines = ["| pattern | kind | check | model (mean [95% CI]) | criterion | passed |", "|---|---|---|---|---|---|"]
    for r in summary.itertuples():
        lines.append(f"| {r.pattern} | {r.kind} | {r.claim} | {r.model} | {r.criterion} | "
                     f"{'yes' if r.passed else 'no'} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
