"""``hls-abm calibrate TARGETS.toml``: fit parameters to published figures.

Hook into the main CLI (as ``add_sweep_commands`` is)::

    from .calibration import add_calibrate_command
    add_calibrate_command(subparsers)

Exit codes: 0 done (also when no draw is feasible: the report says so), 2 bad targets file or
arguments (nothing written), 1 other errors, 130 interrupted (what was computed is kept and
reported; continue with ``--resume``).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from hls_abm.sweep_cli import _positive_int as positive_int  # one parser of "an integer >= 1"
from hls_abm.sweep_cli import add_dask_options, choose_backend  # the same Dask options as `hls-abm sweep`

__all__ = ["add_calibrate_command", "cmd_calibrate", "positive_int"]

_HELP = "fit parameters to published figures (targets TOML) on the sweep backends"
_EPILOG = """\
examples:
  hls-abm calibrate experiments/calibration/targets.toml --out results/calibration --backend pool
  hls-abm calibrate experiments/calibration/targets.toml --out results/calibration --resume
  hls-abm calibrate experiments/calibration/targets.toml --out results/calibration --scheduler tcp://10.0.0.5:8786
  hls-abm calibrate experiments/calibration/targets.toml --budget 8 --out /tmp/cal --doc docs/calibration.md

Interrupted (Ctrl-C, SIGTERM)? Run the same command with --resume: finished evaluations are kept.
"""


def add_calibrate_command(subparsers) -> None:
    """Add the ``calibrate`` sub-command to an argparse CLI (sets ``func``)."""
    p = subparsers.add_parser("calibrate", help=_HELP, description=_HELP, epilog=_EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("targets", help="targets file (TOML), e.g. experiments/calibration/targets.toml")
    p.add_argument("--out", "-o", metavar="DIR", default="results/calibration",
                   help="directory for the study, draws and report (default: results/calibration)")
    p.add_argument("--backend", choices=("serial", "pool", "dask"), default=None,
                   help="where evaluations run (default: pool, all cores; dask if --scheduler/--dask-local is given)")
    p.add_argument("--workers", "-j", type=positive_int, metavar="N", help="worker processes (default: all cores)")
    add_dask_options(p)
    p.add_argument("--budget", type=positive_int, metavar="N", help="parameter draws in all (default: [search] budget)")
    p.add_argument("--resume", action="store_true", help="continue the calibration in DIR")
    p.add_argument("--doc", metavar="MD", help="also write the report section into this markdown file "
                                               "(e.g. docs/calibration.md)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_calibrate)


def _command(args) -> str:
    parts = ["hls-abm", "calibrate", args.targets, "--out", args.out, "--backend", args.backend]
    if args.budget:
        parts += ["--budget", str(args.budget)]
    if args.workers:
        parts += ["--workers", str(args.workers)]
    if args.scheduler:
        parts += ["--scheduler", args.scheduler]
    if args.dask_local:
        parts += ["--dask-local", str(args.dask_local)]
    return shlex.join(parts)


def _fail(err: BaseException, code: int) -> int:
    """One line on stderr, as every hls-abm command reports an error, and the exit code."""
    print(f"hls-abm: error: calibrate: {err}", file=sys.stderr)
    return code


def cmd_calibrate(args) -> int:
    from .report import write_report
    from .search import CalibrationError, Interrupted, calibrate, open_calibration
    from .targets import TargetsError, load_targets

    try:
        args.backend, args.scheduler = choose_backend(args.backend, args.scheduler, args.dask_local)
    except ValueError as err:
        return _fail(err, 2)
    try:
        targets = load_targets(args.targets)
    except TargetsError as err:
        return _fail(err, 2)
    command = _command(args)
    doc = Path(args.doc) if args.doc else None
    try:
        cal = calibrate(targets, args.out, backend=args.backend, workers=args.workers, budget=args.budget,
                        resume=args.resume, progress=not args.no_progress, scheduler=args.scheduler,
                        dask_local=args.dask_local)
    except CalibrationError as err:
        return _fail(err, 2)
    except RuntimeError as err:
        return _fail(err, 1)
    except Interrupted:
        try:
            summary = write_report(open_calibration(args.out, targets), command, doc)
            note = f"{summary['draws']} draws told so far"
        except Exception as err:  # noqa: BLE001 - the evaluations are kept whatever happens here
            note = f"report not written ({err})"
        print(f"hls-abm calibrate: interrupted; {note}; continue with: {command} --resume", file=sys.stderr)
        return 130
    summary = write_report(cal, command, doc)
    print(f"{summary['how']}; report: {Path(args.out) / 'calibration.md'}; wall time {summary['wall_s']:.0f} s")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="hls-abm")
    add_calibrate_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
