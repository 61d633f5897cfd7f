"""Execution backends: serial, a local process pool, and Dask distributed.

Every backend has the same shape: ``imap(fn, batches, *args)`` submits
``fn(batch, *args)`` for each batch, keeping only a few tasks in flight (so the
driver's memory does not grow with the sweep), and yields ``(batch, result)``
in completion order. If a whole task fails for infrastructure reasons (a
worker process died, a Dask worker was lost too often) the result is the
exception; the runner records the task's runs as failed and carries on.

Numbers never depend on the backend: every run carries its own seed and the
model has no hidden shared random state.
"""

from __future__ import annotations

import collections
import logging
import os
import select
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterable, Iterator

__all__ = ["make_backend", "SerialBackend", "PoolBackend", "DaskBackend", "available_cores", "pool_context",
           "worker_pool", "stop_workers"]


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def make_backend(name: str, workers: int | None = None, scheduler: str | None = None, dask_local: int | None = None):
    if name == "serial":
        return SerialBackend()
    if name == "pool":
        return PoolBackend(workers or available_cores())
    if name == "dask":
        return DaskBackend(scheduler=scheduler, n_local=dask_local or workers)
    raise ValueError(f"backend {name!r} is unknown: expected serial, pool or dask")


class SerialBackend:
    """Runs every task in this process, one after another (for debugging and profiling)."""

    n_workers = 1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def describe(self) -> dict:
        return {"backend": "serial", "workers": 1}

    def imap(self, fn: Callable, batches: Iterable, *args) -> Iterator:
        for batch in batches:
            try:
                yield batch, fn(batch, *args)
            except Exception as err:  # noqa: BLE001
                yield batch, err


def pool_context():
    """The one choice of start method for local worker processes: forkserver (Linux, macOS) with
    the model imported once in the server, so each worker starts in a fraction of a second;
    spawn elsewhere. Never a plain fork of the driver (its threads and locks)."""
    import multiprocessing as mp

    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["hls_abm.sweep.runner"])
        return ctx
    return mp.get_context("spawn")


def _driver_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, another user's (cannot be ours, but do not exit on a guess)
        return True
    return True


def _exit_when_driver_dies(pid: int) -> None:
    """Watchdog thread of a pool worker: end the worker as soon as the driver process ``pid`` is gone.

    A worker's parent is the forkserver, not the driver, and the forkserver lives as long as
    any worker does, so neither PR_SET_PDEATHSIG nor os.getppid() sees the driver die. A
    pidfd (Linux >= 5.3) becomes readable the moment the driver exits, even by SIGKILL;
    elsewhere the driver's pid is polled twice a second."""
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):  # no pidfd here, or the driver is already gone
        fd = None
    if fd is not None:
        select.select([fd], [], [])
    else:
        while _driver_alive(pid):
            time.sleep(0.5)
    os._exit(70)  # nothing to save: results are written by the driver only


def _pool_worker_init(driver_pid: int) -> None:
    # Ctrl-C goes to the whole process group: let the driver handle it and stop the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_when_driver_dies, args=(driver_pid,), name="driver-watchdog",
                     daemon=True).start()


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """A process pool whose workers ignore Ctrl-C (the driver handles it) and end when the
    driver process ends, however it ends. Every local pool of the project should be one of these."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=pool_context(), initializer=_pool_worker_init,
                               initargs=(os.getpid(),))


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """Terminate a pool's worker processes now (on an interrupt: do not wait for running tasks)."""
    terminate = getattr(pool, "terminate_workers", None)  # Python >= 3.14
    if terminate is not None:
        terminate()
        return
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        if proc.is_alive():
            proc.terminate()


class PoolBackend:
    """A local pool of worker processes (forkserver or spawn: never a plain fork of the driver)."""

    def __init__(self, workers: int):
        if workers < 1:
            raise ValueError(f"--workers {workers}: expected an integer >= 1")
        self.n_workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        return worker_pool(self.n_workers)

    def __enter__(self):
        self._pool = self._new_pool()
        return self

    def __exit__(self, exc_type, *exc):
        if self._pool is not None:
            # on Ctrl-C, SIGTERM or an error: drop queued tasks and end the running ones now (else
            # the interpreter's exit would wait for them, and so would the workers)
            if exc_type is not None:
                stop_workers(self._pool)
            self._pool.shutdown(wait=exc_type is None, cancel_futures=True)
            self._pool = None
        return False

    def describe(self) -> dict:
        return {"backend": "pool", "workers": self.n_workers, "start_method": pool_context().get_start_method()}

    def imap(self, fn: Callable, batches: Iterable, *args) -> Iterator:
        """As tasks finish, yield (batch, result). If a worker process dies (a segfault, the
        out-of-memory killer), every task in flight is lost with it: their runs become suspects
        and are re-run one at a time in a fresh pool, so that a run that kills its worker while
        running alone is recorded as failed and the others complete."""
        window = 2 * self.n_workers
        it = iter(batches)
        suspects: collections.deque = collections.deque()  # single runs to re-run in isolation
        inflight: dict = {}

        def submit_next() -> bool:
            if suspects:
                if inflight:  # a suspect runs alone
                    return False
                batch, alone = suspects.popleft(), True
            else:
                batch, alone = next(it, None), False
                if batch is None:
                    return False
            inflight[self._pool.submit(fn, batch, *args)] = (batch, alone)
            return True

        while len(inflight) < window and submit_next():
            pass
        while inflight:
            finished, _ = wait(inflight, return_when=FIRST_COMPLETED)
            broken = False
            for fut in finished:
                batch, alone = inflight.pop(fut)
                try:
                    res = fut.result()
                except BrokenProcessPool as err:
                    broken = True
                    if alone:
                        yield batch, RuntimeError(f"the worker process running this run died ({err})")
                    else:
                        suspects.extend([r] for r in batch)
                    continue
                except Exception as err:  # noqa: BLE001
                    res = err
                yield batch, res
            if broken:
                for fut, (batch, _alone) in list(inflight.items()):
                    try:
                        res = fut.result()
                    except BrokenProcessPool:
                        suspects.extend([r] for r in batch)
                        continue
                    except Exception as err:  # noqa: BLE001
                        res = err
                    yield batch, res
                inflight.clear()
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()
            while len(inflight) < window and submit_next():
                pass


def _worker_info() -> dict:
    import sys

    info = {"python": sys.version.split()[0]}
    try:
        import hls_abm

        info["hls_abm"] = getattr(hls_abm, "__version__", "?")
        info["hls_abm_file"] = hls_abm.__file__
    except Exception as err:  # noqa: BLE001
        info["error"] = f"{type(err).__name__}: {err}"
    return info


class DaskBackend:
    """Dask distributed: join a running scheduler, or start a LocalCluster of worker processes."""

    def __init__(self, scheduler: str | None = None, n_local: int | None = None, threads_per_worker: int = 1):
        self.scheduler = scheduler
        self.n_local = n_local
        self.threads_per_worker = threads_per_worker
        self.client = None
        self.cluster = None
        self.n_workers = 1
        self.workers_info: dict = {}

    def __enter__(self):
        try:
            from distributed import Client, LocalCluster
        except ImportError as err:  # pragma: no cover - declared in the sweep extra
            raise RuntimeError("the dask backend needs dask[distributed]: pip install 'hls-abm[sweep]'") from err
        if self.scheduler:
            import dask

            timeout = dask.config.get("distributed.comm.timeouts.connect", "30s")
            try:
                self.client = Client(self.scheduler, timeout=timeout)
            except (OSError, TimeoutError) as err:
                raise RuntimeError(f"--scheduler {self.scheduler}: cannot connect ({err})") from None
        else:
            n = self.n_local or available_cores()
            self.cluster = LocalCluster(n_workers=n, threads_per_worker=self.threads_per_worker, processes=True,
                                        dashboard_address=":0", silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        try:
            self.client.wait_for_workers(1, timeout=60)
        except Exception as err:  # noqa: BLE001
            self.__exit__(None, None, None)
            raise RuntimeError(f"no Dask worker joined {self.scheduler or 'the local cluster'} within 60 s") from err
        self.workers_info = self.client.run(_worker_info)
        bad = {w: i["error"] for w, i in self.workers_info.items() if "error" in i}
        if bad:
            self.__exit__(None, None, None)
            raise RuntimeError("Dask worker(s) cannot import hls_abm (install it on every worker): "
                               + "; ".join(f"{w}: {e}" for w, e in bad.items()))
        self.n_workers = max(1, sum(self.client.nthreads().values()))
        return self

    def __exit__(self, *exc):
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None
        return False

    def describe(self) -> dict:
        return {"backend": "dask", "scheduler": self.scheduler or "LocalCluster", "workers": self.n_workers,
                "worker_info": self.workers_info}

    def imap(self, fn: Callable, batches: Iterable, *args) -> Iterator:
        from distributed import as_completed

        window = 2 * self.n_workers
        it = iter(batches)
        batch_of: dict = {}
        ac = as_completed()

        def submit_next() -> bool:
            batch = next(it, None)
            if batch is None:
                return False
            fut = self.client.submit(fn, batch, *args, pure=False)
            batch_of[fut.key] = batch
            ac.add(fut)
            return True

        n = 0
        while n < window and submit_next():
            n += 1
        try:
            for fut in ac:
                batch = batch_of.pop(fut.key)
                try:
                    res = fut.result()
                except Exception as err:  # noqa: BLE001 - e.g. KilledWorker after repeated worker loss
                    res = err
                fut.release()
                yield batch, res
                submit_next()
        finally:
            for fut in list(ac.futures) if hasattr(ac, "futures") else []:
                fut.cancel()
