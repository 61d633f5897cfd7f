"""Parameter sweeps: experiment specs, local and Dask-distributed runs, resumable Parquet results,
and their analysis (confidence intervals, twin-world differences, Sobol and Morris indices, figures).

    >>> from hls_abm.sweep import run_sweep, load_results
    >>> df = run_sweep("experiments/complexity_crossover.toml", out="results/crossover")
    >>> df = load_results("results/crossover")        # later, or from another process

See ``docs/sweeps.md``.
"""

from .base import SpecError
from .objects import Spec
from .plan import plan_runs
from .runner import run_sweep
from .spec import load_spec, parse_spec, shrink_spec
from .store import load_plan, load_provenance, load_results, load_series

__all__ = [
    "run_sweep",
    "plan_runs",
    "load_spec",
    "parse_spec",
    "shrink_spec",
    "Spec",
    "SpecError",
    "load_results",
    "load_series",
    "load_plan",
    "load_provenance",
]
