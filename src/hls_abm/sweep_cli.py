"""``hls-abm sweep`` and ``hls-abm analyse``: parameter sweeps from the command line.

Hook into the main CLI with::

    from .sweep_cli import add_sweep_commands
    add_sweep_commands(subparsers)      # subparsers = parser.add_subparsers(dest="command")

Each added sub-parser sets ``func`` (``args.func(args)`` returns the exit code).
Also runnable on its own: ``python -m hls_abm.sweep_cli sweep SPEC --out DIR``.

Exit codes: 0 done (also when some runs failed: they are recorded), 2 bad spec or
arguments (nothing written), 1 other errors (e.g. cannot reach the Dask
scheduler), 130 interrupted (finished runs are kept; run again to resume).
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

__all__ = ["add_sweep_commands", "add_dask_options", "choose_backend", "cmd_sweep", "cmd_analyse", "main"]

_SWEEP_HELP = "run (or resume) a parameter sweep from a TOML experiment spec"
_SWEEP_EPILOG = """\
examples:
  hls-abm sweep experiments/complexity_crossover.toml --out results/crossover
  hls-abm sweep experiments/sobol_drivers.toml --out results/sobol --dask-local 2
  hls-abm sweep experiments/cuts_paradox.toml --out results/cuts --scheduler tcp://10.0.0.5:8786
  hls-abm sweep experiments/cuts_paradox.toml --check        # validate and show the plan only

Interrupted (Ctrl-C, killed, lost worker)? Run the same command again: finished
runs are skipped. Results: pandas.read_parquet or hls_abm.sweep.load_results(DIR).
"""


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"{v} is not allowed: expected an integer >= 1")
    return v


def add_dask_options(p) -> None:
    """``--scheduler`` and ``--dask-local``, shared by ``sweep`` and ``calibrate`` (see :func:`choose_backend`)."""
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="join a running Dask scheduler")
    p.add_argument("--dask-local", type=_positive_int, metavar="N",
                   help="start a local Dask cluster with N worker processes")


def choose_backend(backend: str | None, scheduler: str | None, dask_local: int | None) -> tuple[str, str | None]:
    """The backend and scheduler address that ``--backend``, ``--scheduler`` and ``--dask-local`` ask for:
    either Dask option means dask, the default is pool, and a bare ``HOST:PORT`` is read as
    ``tcp://HOST:PORT``. Raises ValueError (a one-line message) for a combination that makes no sense."""
    if scheduler and dask_local:
        raise ValueError("give either --scheduler (join a cluster) or --dask-local N (start one), not both")
    if scheduler or dask_local:
        if backend not in (None, "dask"):
            raise ValueError(f"--scheduler/--dask-local need --backend dask, not {backend}")
        backend = "dask"
    if scheduler and not scheduler.startswith(("tcp://", "tls://", "inproc://", "ucx://", "ws://", "wss://")):
        scheduler = "tcp://" + scheduler
    return backend or "pool", scheduler


def add_sweep_commands(subparsers) -> None:
    """Add the ``sweep`` and ``analyse`` (alias ``analyze``) sub-commands to an argparse CLI."""
    p = subparsers.add_parser("sweep", help=_SWEEP_HELP, description=_SWEEP_HELP, epilog=_SWEEP_EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("spec", help="experiment spec (TOML), e.g. experiments/complexity_crossover.toml")
    p.add_argument("--out", "-o", metavar="DIR",
                   help="results directory (default: results/<experiment name>); rerun with the same DIR to resume")
    p.add_argument("--backend", choices=("serial", "pool", "dask"), default=None,
                   help="where runs execute (default: pool, all cores; dask if --scheduler/--dask-local is given)")
    p.add_argument("--workers", "-j", type=_positive_int, metavar="N",
                   help="worker processes for the pool backend (default: all cores)")
    add_dask_options(p)
    p.add_argument("--batch-size", type=_positive_int, metavar="N",
                   help="runs per task (default: adaptive, about 1 s of work per task)")
    p.add_argument("--retry-failed", action="store_true", help="run again the runs that failed before")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--check", action="store_true", help="validate the spec and print the plan; run nothing")
    p.set_defaults(func=cmd_sweep)

    a = subparsers.add_parser("analyse", aliases=["analyze"],
                              help="tables (CSV) and figures (PNG) of a sweep results directory",
                              description="Write summary.csv (means and CIs across seeds), twin_differences.csv "
                                          "(local_teams - npm on the same seeds), Sobol/Morris indices and "
                                          "figures into DIR/analysis.")
    a.add_argument("dir", metavar="DIR", help="results directory written by `hls-abm sweep`")
    a.add_argument("--out", "-o", metavar="OUT", help="where to write (default: DIR/analysis)")
    a.add_argument("--conf", type=float, default=None, help="confidence level (default 0.95)")
    a.add_argument("--no-figures", action="store_true", help="tables only")
    d = a.add_argument_group(
        "scenario discovery", "--discover runs PRIM (EMA Workbench) instead of the standard tables: the ranges of "
        "parameters where local teams win and where NPM wins, written as discovery_<outcome>.csv/.md/.png")
    d.add_argument("--discover", action="store_true",
                   help="scenario discovery: under which conditions does each system win? (docs/sweeps.md)")
    d.add_argument("--outcome", metavar="NAME",
                   help="what winning a twin pair means: dominates (default: cheaper and wellbeing no worse), "
                        "cheaper, better, cost_per_wellbeing, lower:COLUMN, higher:COLUMN")
    d.add_argument("--threshold", type=float, metavar="X",
                   help="the outcome's threshold (ratio outcomes: default 1; differences: default 0)")
    d.add_argument("--min-density", type=float, metavar="D",
                   help="the box chosen is the one with the highest coverage whose density is at least D "
                        "(default 0.8)")
    d.add_argument("--boxes", type=_positive_int, metavar="N", help="up to N boxes per system (default 1)")
    a.set_defaults(func=cmd_analyse)


def _err(msg: str) -> None:
    print(f"hls-abm: error: {msg}", file=sys.stderr)


def cmd_sweep(args) -> int:
    from .sweep import SpecError, load_spec, plan_runs, run_sweep

    try:
        backend, args.scheduler = choose_backend(args.backend, args.scheduler, args.dask_local)
    except ValueError as err:
        _err(str(err))
        return 2
    try:
        spec = load_spec(args.spec)
        plan = plan_runs(spec)
    except SpecError as err:
        _err(str(err))
        return 2
    out = Path(args.out) if args.out else Path("results") / spec.name
    if args.check:
        n_runs = len({r["run_id"] for r in plan})
        pts = len({r["point_id"] for r in plan})
        print(f"{spec.name}: OK. {pts} design point(s) x {len(spec.scenarios)} scenario(s) x "
              f"{len(spec.seeds)} seed(s) = {n_runs} run(s) of {spec.steps} weeks ({spec.design.method} design)")
        if spec.factors:
            print("factors: " + ", ".join(f.name for f in spec.factors))
        print(f"would write to {out}")
        return 0
    # SIGTERM (e.g. a batch scheduler's time limit) stops the sweep as Ctrl-C does: the
    # interruption is recorded and the exit code is 130. Finished runs are on disk either way.
    from .sweep.runner import install_interrupt_handlers, restore_interrupt_handlers

    previous = install_interrupt_handlers((signal.SIGINT, signal.SIGTERM))
    try:
        run_sweep(spec, out=out, backend=backend, workers=args.workers, scheduler=args.scheduler,
                  dask_local=args.dask_local, batch_size=args.batch_size, progress=not args.no_progress,
                  retry_failed=args.retry_failed, load=False)
    except SpecError as err:
        _err(str(err))
        return 2
    except KeyboardInterrupt:
        return 130
    except (RuntimeError, OSError, TimeoutError) as err:
        _err(str(err))
        return 1
    finally:
        restore_interrupt_handlers(previous)
    from .sweep import load_results

    df = load_results(out)
    n_ok = int((df.drop_duplicates("run_id")["status"] == "ok").sum()) if len(df) else 0
    n_bad = df["run_id"].nunique() - n_ok if len(df) else 0
    print(f"{spec.name}: {n_ok} run(s) ok, {n_bad} failed, in {out}  (next: hls-abm analyse {out})")
    return 0


def cmd_analyse(args) -> int:
    discovery_opts = [f"--{n.replace('_', '-')}" for n in ("outcome", "threshold", "min_density", "boxes")
                      if getattr(args, n, None) is not None]
    if discovery_opts and not args.discover:
        _err(f"{', '.join(discovery_opts)} {'needs' if len(discovery_opts) == 1 else 'need'} --discover")
        return 2
    if args.discover:
        return _cmd_discover(args)
    from .sweep.analysis import analyse

    try:
        analyse(args.dir, out=args.out, conf=args.conf, figures=not args.no_figures)
    except FileNotFoundError as err:
        _err(str(err))
        return 2
    return 0


def _cmd_discover(args) -> int:
    """``hls-abm analyse DIR --discover``: exit 2 on bad input or when no box is found (nothing is overwritten)."""
    from .sweep.discovery import DiscoveryError, write_discovery

    try:
        write_discovery(args.dir, out=args.out, outcome=args.outcome or "dominates", threshold=args.threshold,
                        min_density=0.8 if args.min_density is None else args.min_density,
                        max_boxes=args.boxes or 1, figures=not args.no_figures)
    except (DiscoveryError, FileNotFoundError) as err:
        _err(str(err))
        return 2
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="hls-abm", description="hls_abm parameter sweeps")
    sub = parser.add_subparsers(dest="command", required=True)
    add_sweep_commands(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
