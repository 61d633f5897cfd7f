"""Shared command line of the example experiments.

Each ``experiments/<name>.py`` pairs with ``experiments/<name>.toml`` (the sweep spec)
and has a ``figure(out_dir) -> (png, csv)`` function. Running the script runs or
resumes the sweep, then writes ``<out>/<name>.png`` and ``<out>/<name>.csv``::

    python experiments/cuts_paradox.py                      # process pool, all cores
    python experiments/cuts_paradox.py --dask-local 2       # local Dask cluster
    python experiments/cuts_paradox.py --scheduler tcp://host:8786
    python experiments/cuts_paradox.py --quick              # small version (a minute or less)
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent


def shrink_spec(spec: dict, replicates: int = 3, steps: int | None = None, parameters: dict | None = None,
                scenarios: list | None = None, levers: list | None = None, series: bool = True, *,
                suffix: str = "-small", analysis: bool = False) -> dict:
    """A smaller version of a spec, named ``<name><suffix>`` so that it has a store of its own.

    At most ``replicates`` seeds (the first ones, when the spec lists its seeds) and small sampled
    designs (Sobol 8 samples, LHS 10, Morris 4 trajectories); optionally fewer weeks, other
    parameter values, other scenarios or levers, and no weekly series. The ``analysis`` section is
    dropped unless ``analysis``. The one spec shrinker: the examples' ``--quick`` (``quick_spec``)
    and the validation patterns' small versions (``framework.shrink``) are both made with
    ``hls_abm.sweep.spec.shrink_spec``, the one spec shrinker.
    """
    from hls_abm.sweep.spec import shrink_spec as shrink

    return shrink(spec, suffix=suffix, replicates=replicates, steps=steps, scenarios=scenarios,
                  parameters=parameters, levers=levers, max_samples=SMALL_DESIGNS, series=series, analysis=analysis)


SMALL_DESIGNS = {"sobol": 8, "lhs": 10, "morris": 4}  # sampled designs' sizes in small and quick versions


def quick_spec(spec: dict) -> dict:
    """The examples' ``--quick`` version of a spec: 3 replicates, 300 citizens, small sampled designs."""
    return shrink_spec(spec, parameters={"n_citizens": 300}, suffix="-quick", analysis=True)


def main(name: str, figure, argv=None) -> int:
    """Parse the common options, run (or resume) the sweep, make the figure and the table."""
    from hls_abm.sweep import SpecError, run_sweep

    spec_path = HERE / f"{name}.toml"
    ap = argparse.ArgumentParser(prog=f"experiments/{name}.py", description=_doc_of(spec_path))
    ap.add_argument("--out", help=f"results directory (default: results/{name}, or results/{name}-quick)")
    ap.add_argument("--backend", choices=("serial", "pool", "dask"), default=None)
    ap.add_argument("--workers", type=int, help="pool processes (default: all cores)")
    ap.add_argument("--dask-local", type=int, metavar="N", help="start a local Dask cluster of N processes")
    ap.add_argument("--scheduler", help="join a Dask scheduler, e.g. tcp://host:8786")
    ap.add_argument("--quick", action="store_true", help="a small version: 3 seeds, 300 citizens")
    ap.add_argument("--figure-only", action="store_true", help="redraw from stored results; run nothing")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)

    spec = tomllib.loads(spec_path.read_text())
    if args.quick:
        spec = quick_spec(spec)
    out = Path(args.out) if args.out else Path("results") / spec["experiment"]["name"]
    backend = args.backend or ("dask" if (args.dask_local or args.scheduler) else "pool")
    if not args.figure_only:
        t0 = time.perf_counter()
        try:
            df = run_sweep(spec if args.quick else spec_path, out=out, backend=backend, workers=args.workers,
                           dask_local=args.dask_local, scheduler=args.scheduler, progress=not args.no_progress)
        except SpecError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("interrupted: run the same command again to resume", file=sys.stderr)
            return 130
        n = df["run_id"].nunique()
        print(f"{n} runs in {out} ({time.perf_counter() - t0:.0f} s on the {backend} backend)")
    png, csv = figure(out)
    print(f"figure: {png}\ntable:  {csv}")
    return 0


def _doc_of(spec_path: Path) -> str:
    try:
        return tomllib.loads(spec_path.read_text())["experiment"].get("description", "")
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return ""


def figure_grid(nrows: int, ncols: int, w: float = 6.0, h: float = 4.0):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w * ncols, h * nrows), dpi=110, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def save_outputs(out: Path, name: str, fig, table) -> tuple[Path, Path]:
    """Write an example's figure and table as ``<out>/<name>.png`` and ``<out>/<name>.csv``."""
    png, csv = Path(out) / f"{name}.png", Path(out) / f"{name}.csv"
    table.to_csv(csv, index=False)
    fig.savefig(png)
    return png, csv


def fixed_param(out, name: str, default=None):
    """A fixed parameter of the sweep stored in ``out`` (from its provenance)."""
    from hls_abm.sweep import load_provenance

    return load_provenance(out)["spec"]["parsed"].get("parameters", {}).get(name, default)
