"""The worker-side run function and the sweep driver.

Each run is a small plain dict (scenario, parameter overrides, seed, steps,
levers) with a deterministic ``run_id``, planned by :mod:`.plan`. A task is a batch
of runs; the worker runs them one after another and sends back only per-run
summaries (and the per-week series the spec asks for). A run that raises is
returned with its error text and does not stop the batch or the sweep.
"""

from __future__ import annotations

import math
import os
import signal
import socket
import sys
import threading
import time
import traceback
from typing import Any, Iterator

import numpy as np

from .backends import make_backend
from .base import SpecError
from .objects import Spec, parse_stat
from .plan import load_model_class, plan_runs, run_id_for
from .spec import load_spec, parse_spec
from .store import ResultStore, load_results

__all__ = [
    "plan_runs",
    "run_id_for",
    "execute_run",
    "run_batch",
    "run_sweep",
    "summarise_frame",
    "load_model_class",
    "BatchSizer",
]


# --------------------------------------------------------------------------------------------
# interrupts
#
# Ctrl-C and SIGTERM raise KeyboardInterrupt wherever the driver happens to be. If that is
# inside a serial-backend run, library code can turn it into an ordinary exception (numpy,
# for one, reports a KeyboardInterrupt raised while it iterates an object as a TypeError),
# and the run would be stored as "failed" and the sweep would carry on. So the handler first
# sets a flag: a run that fails while the flag is set was interrupted, not broken.

_STOP = threading.Event()


def request_stop(signum=None, frame=None):
    """Signal handler (SIGINT, SIGTERM): mark the sweep as stopping and interrupt it."""
    _STOP.set()
    raise KeyboardInterrupt


def install_interrupt_handlers(signals=(signal.SIGINT,)) -> dict:
    """Route ``signals`` to :func:`request_stop` (main thread only); returns the old handlers."""
    previous = {}
    if threading.current_thread() is not threading.main_thread():
        return previous
    for sig in signals:
        try:
            previous[sig] = signal.signal(sig, request_stop)
        except (ValueError, OSError):  # not available on this platform
            pass
    return previous


def restore_interrupt_handlers(previous: dict) -> None:
    for sig, handler in previous.items():
        try:
            signal.signal(sig, handler)
        except (ValueError, OSError, TypeError):
            pass


# --------------------------------------------------------------------------------------------
# the worker side

def _simulate(run: dict):
    """Build and step one model with its levers; return the model."""
    cls = load_model_class(run["model"])
    model = cls(scenario=run["scenario"], rng=run["seed"], **run["params"])
    levers = run["levers"]
    steps = run["steps"]
    li = 0
    for week in range(steps):
        while li < len(levers) and levers[li][0] == week:
            _, name, kwargs = levers[li]
            model.apply_lever(name, **kwargs)
            li += 1
        model.step()
    return model


def _weekly_frame(model):
    return model.datacollector.get_model_vars_dataframe()


def _stat(values: np.ndarray, stat: str) -> float:
    """One summary statistic of a run's weekly values (weeks 1..steps), e.g. ``mean_last_52``."""
    agg, window, n = parse_stat(stat)
    if window == "last":
        values = values[-n:]
    elif window == "first":
        values = values[:n]
    elif window == "from":  # from week n on (weeks are 1-based)
        values = values[n:]
    return _agg(values, agg)


def _agg(v: np.ndarray, agg: str) -> float:
    if v.size == 0:
        return math.nan
    finite = v[~np.isnan(v)]
    if agg == "final":
        return float(v[-1])
    if agg == "first":
        return float(v[0])
    if finite.size == 0:
        return math.nan
    if agg == "mean":
        return float(finite.mean())
    if agg == "sum":
        return float(finite.sum())
    if agg == "min":
        return float(finite.min())
    if agg == "max":
        return float(finite.max())
    if agg == "std":
        return float(finite.std())
    if agg == "median":
        return float(np.median(finite))
    if agg == "argmax":
        return float(np.nanargmax(v) + 1)
    if agg == "argmin":
        return float(np.nanargmin(v) + 1)
    raise ValueError(f"unknown statistic {agg!r}")


def summarise_frame(df, outputs: dict, steps: int) -> tuple[dict, dict | None]:
    """Per-run summaries (``column.stat`` -> float) and the kept series of one run's weekly frame.

    Statistics use the last ``steps`` rows (one per simulated week; an initial
    row collected before the first step is left out of the statistics and kept
    in the series as week 0). Weeks are numbered 1..steps.
    """
    n = len(df)
    first_week = steps - n + 1  # 0 if the model collected an initial row
    summary: dict = {}
    for col, stats in outputs["summaries"].items():
        v = df[col].to_numpy(dtype=float)
        weekly = v[-steps:] if n >= steps else v
        for stat in stats:
            summary[f"{col}.{stat}"] = _stat(weekly, stat)
    series = None
    if outputs["series"]:
        weeks = np.arange(first_week, first_week + n, dtype=np.int32)
        every = outputs.get("series_every", 1)
        keep = (weeks % every == 0) | (weeks == weeks[-1]) if every > 1 else slice(None)
        series = {"week": weeks[keep]}
        for col in outputs["series"]:
            series[col] = df[col].to_numpy(dtype=float)[keep]
    return summary, series


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def execute_run(run: dict, outputs: dict) -> dict:
    """Run one model and summarise it; never raises (a failure is returned with its error)."""
    t0 = time.perf_counter()
    result: dict[str, Any] = {"run_id": run["run_id"], "worker": _worker_name()}
    try:
        model = _simulate(run)
        summary, series = summarise_frame(_weekly_frame(model), outputs, run["steps"])
        result.update(status="ok", error=None, summary=summary, series=series)
    except Exception as err:  # noqa: BLE001 - a failing run is data, not a crash
        if _STOP.is_set():  # the interrupt surfaced as another exception: not the run's fault
            raise KeyboardInterrupt from err
        tb = traceback.format_exception(type(err), err, err.__traceback__)
        result.update(status="failed", error="".join(tb[-6:])[-4000:], summary={}, series=None)
    result["elapsed_s"] = time.perf_counter() - t0
    result["finished_at"] = time.time()
    return result


def run_batch(runs: list[dict], outputs: dict) -> list[dict]:
    """The task function: run a batch of runs on a worker, return their summaries."""
    return [execute_run(r, outputs) for r in runs]


# --------------------------------------------------------------------------------------------
# the driver


class BatchSizer:
    """Chooses how many runs go into a task: about ``target_s`` seconds of work each,
    but never so many that workers go idle at the end of the sweep."""

    def __init__(self, n_workers: int, fixed: int | None = None, target_s: float = 1.0, max_size: int = 256):
        self.n_workers = max(1, n_workers)
        self.fixed = fixed
        self.target_s = target_s
        self.max_size = max_size
        self._time = 0.0
        self._runs = 0

    def observe(self, results: list[dict]) -> None:
        for r in results:
            self._time += float(r.get("elapsed_s") or 0.0)
            self._runs += 1

    def size(self, remaining: int) -> int:
        if self.fixed:
            return self.fixed
        if self._runs == 0:
            return 1  # measure first
        per_run = max(self._time / self._runs, 1e-6)
        want = int(self.target_s / per_run)
        fair = math.ceil(remaining / (self.n_workers * 4))
        return max(1, min(want, fair, self.max_size))


def _batches(todo: list[dict], sizer: BatchSizer) -> Iterator[list[dict]]:
    i = 0
    while i < len(todo):
        k = sizer.size(len(todo) - i)
        yield todo[i:i + k]
        i += k


def _as_spec(spec) -> Spec:
    """A :class:`Spec` from a Spec, a dict, TOML text or a path to a TOML file."""
    if isinstance(spec, Spec):
        return spec
    if isinstance(spec, dict) or (isinstance(spec, str) and "\n" in spec):
        return parse_spec(spec)
    return load_spec(spec)


def _task_failed(batch: list[dict], err: BaseException, backend: str) -> list[dict]:
    """The results of a task that failed as a whole (infrastructure): each run recorded as failed."""
    msg = f"task failed on the {backend} backend: {type(err).__name__}: {err}"
    return [{"run_id": r["run_id"], "status": "failed", "error": msg, "summary": {}, "series": None,
             "elapsed_s": math.nan, "worker": "", "finished_at": time.time()} for r in batch]


class _Progress:
    """Counts of stored runs (ok / failed) and the tqdm bar that shows them."""

    def __init__(self):
        self.n_done = self.n_failed = 0
        self.bar = None

    def start(self, total: int, name: str, show: bool) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, unit="run", desc=name, disable=not show, smoothing=0.05, dynamic_ncols=True)
        self.bar.set_postfix(failed=0, refresh=False)

    def stored(self, results: list[dict]) -> None:
        nf = sum(r["status"] != "ok" for r in results)
        self.n_failed += nf
        self.n_done += len(results) - nf
        self.bar.update(len(results))
        if nf:
            self.bar.set_postfix(failed=self.n_failed)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _execute(todo: list[dict], spec: Spec, store: ResultStore, progress: _Progress, backend: str, **opts) -> None:
    """Run ``todo`` on the backend, storing each task's results as it finishes."""
    outputs = spec.outputs.as_dict()
    batch_size = opts.pop("batch_size")
    with make_backend(backend, **opts) as be:
        store.note_backend(be.describe())
        sizer = BatchSizer(be.n_workers, fixed=batch_size)
        for batch, res in be.imap(run_batch, _batches(todo, sizer), outputs):
            if isinstance(res, BaseException):  # infrastructure failure of a whole task
                if _STOP.is_set():  # e.g. SIGTERM to the whole process group killed the workers
                    raise KeyboardInterrupt from res
                res = _task_failed(batch, res, backend)
            store.write(res)
            sizer.observe(res)
            progress.stored(res)


def _todo(plan: list[dict], store: ResultStore, retry_failed: bool) -> tuple[list[dict], int]:
    """The distinct runs of the plan not yet stored, and how many distinct runs there are."""
    done = store.done_run_ids(include_failed=not retry_failed)
    unique: dict = {}
    for r in plan:
        unique.setdefault(r["run_id"], r)
    return [r for rid, r in unique.items() if rid not in done], len(unique)


def run_sweep(
    spec: Spec | str | os.PathLike | dict,
    out: str | os.PathLike,
    backend: str = "pool",
    workers: int | None = None,
    scheduler: str | None = None,
    dask_local: int | None = None,
    batch_size: int | None = None,
    progress: bool = True,
    retry_failed: bool = False,
    load: bool = True,
    quiet: bool = False,
):
    """Run (or resume) a sweep and return its per-run results as a pandas DataFrame.

    ``spec`` is a path to a TOML spec, TOML text, a dict or a :class:`Spec`.
    ``backend`` is ``"serial"``, ``"pool"`` (default: all cores) or ``"dask"``
    (``scheduler="tcp://host:8786"`` joins a cluster; ``dask_local=N`` starts a
    LocalCluster of N worker processes). Runs already stored in ``out`` are
    skipped; runs that failed are retried only with ``retry_failed=True``.
    ``progress`` shows a tqdm bar (runs done, failures, ETA); ``quiet`` drops the
    one-line notes (resumed runs, failures) printed to stderr. Worker processes
    never outlive the driver (see ``docs/sweeps.md``).
    """
    spec = _as_spec(spec)
    plan = plan_runs(spec)
    if not plan:
        raise SpecError("design: the design has no runs (empty design)")
    if backend == "dask" and not scheduler and not dask_local:
        dask_local = workers or os.cpu_count() or 1
    if backend not in ("serial", "pool", "dask"):
        raise ValueError(f"backend {backend!r} is unknown: expected serial, pool or dask")

    store = ResultStore.open_for_sweep(out, spec, plan)  # checks the directory before writing
    interrupted = False
    counts = _Progress()
    _STOP.clear()
    handlers = install_interrupt_handlers()
    try:
        todo, n_unique = _todo(plan, store, retry_failed)
        skipped = n_unique - len(todo)
        store.begin(backend=backend, workers=workers, scheduler=scheduler, dask_local=dask_local,
                    n_planned=n_unique, n_todo=len(todo), n_skipped=skipped)
        if not quiet and skipped:
            print(f"{spec.name}: {skipped} of {n_unique} runs already in {out}; running the other {len(todo)}",
                  file=sys.stderr)
        if todo:
            counts.start(len(todo), spec.name, progress)
            _execute(todo, spec, store, counts, backend, workers=workers, scheduler=scheduler,
                     dask_local=dask_local, batch_size=batch_size)
    except KeyboardInterrupt:
        interrupted = True
    except Exception:
        if not _STOP.is_set():
            raise
        interrupted = True  # an interrupt that library code re-raised as another exception
    finally:
        restore_interrupt_handlers(handlers)
        _STOP.clear()  # the stop was this sweep's: later runs in this process must fail normally
        counts.close()
        store.end(n_done=counts.n_done, n_failed=counts.n_failed, interrupted=interrupted)
        if not interrupted:
            store.compact()
        store.close()
    if interrupted:
        print(f"interrupted: {counts.n_done + counts.n_failed} runs stored in {out}; run the same command again"
              " to resume", file=sys.stderr)
        raise KeyboardInterrupt
    if counts.n_failed and not quiet:
        print(f"{counts.n_failed} run(s) failed; their errors are in the 'error' column (status 'failed')",
              file=sys.stderr)
    return load_results(out) if load else None
