"""Run plans, the worker-side run function and the sweep driver.

Each run is a small plain dict (scenario, parameter overrides, seed, steps,
levers) with a deterministic ``run_id``: a hash of the scenario, the full
validated parameter set, the seed, the weeks and the levers. A task is a batch
of runs; the worker runs them one after another and sends back only per-run
summaries (and the per-week series the spec asks for). A run that raises is
returned with its error text and does not stop the batch or the sweep.
"""

from __future__ import annotations

import importlib
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

from .spec import Spec, SpecError, canonical_json, load_spec, parse_spec, parse_stat, short_hash

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
# planning


def run_id_for(scenario: str, full_params: dict, seed: int, steps: int, levers: list, model: str) -> str:
    """Deterministic id of one run: hash of everything that decides its numbers."""
    ident = {"scenario": scenario, "params": full_params, "seed": int(seed), "steps": int(steps), "levers": levers}
    if model != "hls_abm:HLSModel":
        ident["model"] = model
    return short_hash(ident, 20)


def plan_runs(spec: Spec, points: list[dict] | None = None) -> list[dict]:
    """Every run of the spec (points x scenarios x seeds), each validated; raises SpecError."""
    from hls_abm import ParameterError, validate_params  # noqa: PLC0415

    if points is None:
        points = spec.points()
    lever_factors = [f for f in spec.factors if f.lever is not None]
    param_factors = [f for f in spec.factors if f.lever is None]
    runs: list[dict] = []
    try:
        from hls_abm import LEVERS  # noqa: PLC0415
    except ImportError:
        LEVERS = {}
    from .spec import _check_lever_call

    checked_levers: set = set()
    for point in points:
        factors = {f.name: point[f.name] for f in spec.factors}
        overrides = dict(spec.fixed)
        overrides.update({f.name: point[f.name] for f in param_factors})
        # levers of this point (all scenarios), in spec order
        point_levers = []
        for i, lv in enumerate(spec.levers):
            week = lv.week
            kwargs = dict(lv.kwargs)
            for f in lever_factors:
                if f.lever == i:
                    if f.field == "week":
                        week = point[f.name]
                    else:
                        kwargs[f.field] = point[f.name]
            key = canonical_json([lv.name, kwargs])
            if key not in checked_levers and LEVERS:
                _check_lever_call(LEVERS, lv.name, kwargs, f"levers[{i}] at design point {factors}")
                checked_levers.add(key)
            point_levers.append((lv, int(week), kwargs))
        point_id = short_hash({"params": overrides, "levers": [[w, lv.name, kw] for lv, w, kw in point_levers],
                               "steps": spec.steps, "model": spec.model}, 16)
        for scenario in spec.scenarios:
            try:
                full = validate_params(scenario=scenario, **overrides)
            except ParameterError as err:
                where = f" at design point {factors}" if factors else ""
                raise SpecError(f"parameters (scenario {scenario!r}){where}: {err}") from None
            levers = [[w, lv.name, kw] for lv, w, kw in point_levers
                      if lv.scenarios is None or scenario in lv.scenarios]
            levers.sort(key=lambda x: x[0])  # stable: same week keeps spec order
            for seed in spec.seeds:
                runs.append({
                    "run_id": run_id_for(scenario, full, seed, spec.steps, levers, spec.model),
                    "point_id": point_id,
                    "sample": int(point.get("_sample", 0)),
                    "scenario": scenario,
                    "seed": int(seed),
                    "steps": spec.steps,
                    "params": overrides,
                    "levers": levers,
                    "factors": factors,
                    "model": spec.model,
                })
    # Several plan rows can share a run_id (e.g. a lever that applies to one scenario only
    # leaves the other scenario's runs identical across that lever's values): such a run
    # is executed and stored once, and joined to every plan row that refers to it.
    return runs


# --------------------------------------------------------------------------------------------
# the worker side

_class_cache: dict = {}


def load_model_class(path: str):
    """Import ``package.module:Name``."""
    if path not in _class_cache:
        mod, _, name = path.partition(":")
        obj = importlib.import_module(mod)
        for part in name.split("."):
            obj = getattr(obj, part)
        _class_cache[path] = obj
    return _class_cache[path]


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
    agg, window, n = parse_stat(stat)
    if window is not None:
        if window == "last":
            values = values[-n:]
        elif window == "first":
            values = values[:n]
        else:  # from week n on (weeks are 1-based)
            values = values[n:]
        return _agg(values, agg)
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
    one-line notes (resumed runs, failures) printed to stderr.
    """
    from .backends import make_backend
    from .store import ResultStore, load_results

    if isinstance(spec, Spec):
        pass
    elif isinstance(spec, dict):
        spec = parse_spec(spec)
    elif isinstance(spec, str) and "\n" in spec:
        spec = parse_spec(spec)
    else:
        spec = load_spec(spec)
    plan = plan_runs(spec)
    if not plan:
        raise SpecError("design: the design has no runs (empty design)")
    if backend == "dask" and not scheduler and not dask_local:
        dask_local = workers or os.cpu_count() or 1
    if backend not in ("serial", "pool", "dask"):
        raise ValueError(f"backend {backend!r} is unknown: expected serial, pool or dask")

    store = ResultStore.open_for_sweep(out, spec, plan)  # checks the directory before writing
    interrupted = False
    n_done = n_failed = 0
    bar = None
    _STOP.clear()
    handlers = install_interrupt_handlers()
    try:
        done = store.done_run_ids(include_failed=not retry_failed)
        unique: dict = {}
        for r in plan:
            unique.setdefault(r["run_id"], r)
        todo = [r for rid, r in unique.items() if rid not in done]
        skipped = len(unique) - len(todo)
        store.begin(backend=backend, workers=workers, scheduler=scheduler, dask_local=dask_local,
                    n_planned=len(unique), n_todo=len(todo), n_skipped=skipped)
        if not quiet and skipped:
            print(f"{spec.name}: {skipped} of {len(unique)} runs already in {out}; running the other {len(todo)}",
                  file=sys.stderr)
        if todo:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(todo), unit="run", desc=spec.name, disable=not progress, smoothing=0.05,
                       dynamic_ncols=True)
            bar.set_postfix(failed=0, refresh=False)
            outputs = spec.outputs.as_dict()
            with make_backend(backend, workers=workers, scheduler=scheduler, dask_local=dask_local) as be:
                store.note_backend(be.describe())
                sizer = BatchSizer(be.n_workers, fixed=batch_size)
                for batch, res in be.imap(run_batch, _batches(todo, sizer), outputs):
                    if isinstance(res, BaseException):  # infrastructure failure of a whole task
                        if _STOP.is_set():  # e.g. SIGTERM to the whole process group killed the workers
                            raise KeyboardInterrupt from res
                        msg = f"task failed on the {backend} backend: {type(res).__name__}: {res}"
                        res = [{"run_id": r["run_id"], "status": "failed", "error": msg, "summary": {},
                                "series": None, "elapsed_s": math.nan, "worker": "",
                                "finished_at": time.time()} for r in batch]
                    store.write(res)
                    sizer.observe(res)
                    nf = sum(r["status"] != "ok" for r in res)
                    n_failed += nf
                    n_done += len(res) - nf
                    bar.update(len(res))
                    if nf:
                        bar.set_postfix(failed=n_failed)
    except KeyboardInterrupt:
        interrupted = True
    except Exception:
        if not _STOP.is_set():
            raise
        interrupted = True  # an interrupt that library code re-raised as another exception
    finally:
        restore_interrupt_handlers(handlers)
        _STOP.clear()  # the stop was this sweep's: later runs in this process must fail normally
        if bar is not None:
            bar.close()
        store.end(n_done=n_done, n_failed=n_failed, interrupted=interrupted)
        if not interrupted:
            store.compact()
        store.close()
    if interrupted:
        print(f"interrupted: {n_done + n_failed} runs stored in {out}; run the same command again to resume",
              file=sys.stderr)
        raise KeyboardInterrupt
    if n_failed and not quiet:
        print(f"{n_failed} run(s) failed; their errors are in the 'error' column (status 'failed')",
              file=sys.stderr)
    return load_results(out) if load else None

