"""Real Dask faults (issue 10 item 2): a `dask scheduler` and two `dask worker` processes on
127.0.0.1, started by the test; one worker is SIGKILLed while it has runs in hand. The sweep
must complete with every planned run stored exactly once (nothing lost, nothing written
twice) and with results identical, bit for bit, to the process pool's.

The workers run without a nanny, so a killed worker stays dead, as when a machine of a
cluster goes away: its tasks can only finish on the other worker.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

pytest.importorskip("distributed")

from hls_abm.sweep import load_plan, load_provenance, load_results, load_series, run_sweep  # noqa: E402
from hls_abm.sweep.store import ResultStore  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_sweep_dask import local_dask_cluster  # noqa: E402  (the scheduler + workers helper)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")

SPEC = """
[experiment]
name = "dask_faults"
steps = 30
replicates = {reps}
[parameters]
n_citizens = 250
warmup_weeks = 8
complex_share = [0.1, 0.4]
[outputs]
series = ["total_cost", "mean_wellbeing"]
[outputs.summaries]
total_cost = ["sum", "final", "mean_last_10"]
mean_wellbeing = ["mean", "min"]
crisis_events = ["sum"]
"""


def _stored_runs(out: Path) -> int:
    """Runs on disk now (each chunk is complete or absent)."""
    d = out / "runs"
    return sum(pq.read_metadata(f).num_rows for f in d.glob("part-*.parquet")) if d.is_dir() else 0


def _kill_a_busy_worker(addr: str, workers: list[subprocess.Popen], alive: set) -> int:
    """SIGKILL one live worker that has tasks in hand; returns its index."""
    from distributed import Client

    with Client(addr, timeout="30s") as c:
        t0 = time.monotonic()
        while True:
            names = {a: w["name"] for a, w in c.scheduler_info()["workers"].items()}
            busy = [names[a] for a, keys in c.processing().items() if keys and a in names]
            busy = [n for n in busy if int(str(n)[1:]) in alive]
            if busy:
                break
            assert time.monotonic() - t0 < 60, "no worker ever had a task in hand"
            time.sleep(0.01)
    i = int(str(busy[0])[1:])  # workers are named w0, w1, ...
    workers[i].send_signal(signal.SIGKILL)
    workers[i].wait(timeout=30)
    alive.discard(i)
    return i


def _sweep_with_kills(tmp_path: Path, spec: str, kill_at: list[int], monkeypatch, n_workers: int = 2) -> dict:
    """Run ``spec`` on a fresh loopback cluster, killing a busy worker once ``kill_at[k]`` runs are
    stored (for each k). Returns the frame, every run_id written to the store, and the counts at
    each kill."""
    written: list = []
    original = ResultStore.write

    def recording_write(self, results):
        written.extend(r["run_id"] for r in results)
        return original(self, results)

    monkeypatch.setattr(ResultStore, "write", recording_write)
    logs = tmp_path / "logs"
    logs.mkdir()
    out = tmp_path / "dask"
    result: dict = {"written": written, "at_kill": []}
    with local_dask_cluster(logs, n_workers=n_workers) as (addr, workers):
        def go():
            try:
                result["df"] = run_sweep(spec, out=out, backend="dask", scheduler=addr, progress=False,
                                         batch_size=1, quiet=True)
            except BaseException as err:  # noqa: BLE001 - reported by the assertion below
                result["error"] = err

        th = threading.Thread(target=go)
        th.start()
        alive = set(range(n_workers))
        for n in kill_at:
            t0 = time.monotonic()
            while _stored_runs(out) < n:  # wait for the store itself, not for a clock
                assert th.is_alive(), f"sweep ended before {n} runs were stored: {result.get('error')}"
                assert time.monotonic() - t0 < 120, "the sweep made no progress"
                time.sleep(0.01)
            _kill_a_busy_worker(addr, workers, alive)
            result["at_kill"].append(_stored_runs(out))
        th.join(timeout=300)
        assert not th.is_alive(), "the sweep did not finish after the worker was killed"
    assert "error" not in result, f"the sweep failed: {result.get('error')!r}"
    result["out"] = out
    return result


def _check(result: dict, pool_dir: Path, n_runs: int) -> None:
    out = result["out"]
    plan_ids = set(load_plan(out)["run_id"])
    assert len(plan_ids) == n_runs
    assert all(k < n_runs for k in result["at_kill"]), "a worker must be killed mid-sweep"
    # nothing lost, nothing written twice into the store
    assert sorted(result["written"]) == sorted(plan_ids)
    inv = load_provenance(out)["invocations"][-1]
    assert inv["n_done"] == n_runs and inv["n_failed"] == 0 and not inv["interrupted"]
    got = load_results(out)
    assert (got["status"] == "ok").all() and got["run_id"].nunique() == n_runs
    # identical to the process pool, bit for bit
    want = load_results(pool_dir)
    cols = ["run_id", "scenario", "seed", "complex_share", *got.attrs["outputs"]]
    key = ["run_id"]
    pd.testing.assert_frame_equal(got[cols].sort_values(key).reset_index(drop=True),
                                  want[cols].sort_values(key).reset_index(drop=True), check_exact=True)
    s_got = load_series(out).sort_values(["run_id", "week"]).reset_index(drop=True)
    s_want = load_series(pool_dir).sort_values(["run_id", "week"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(s_got[["run_id", "week", "total_cost", "mean_wellbeing"]],
                                  s_want[["run_id", "week", "total_cost", "mean_wellbeing"]], check_exact=True)


def test_killed_worker_loses_nothing_and_runs_nothing_twice(tmp_path, monkeypatch):
    spec = SPEC.format(reps=4)  # 2 points x 2 scenarios x 4 seeds = 16 runs
    run_sweep(spec, out=tmp_path / "pool", backend="pool", workers=2, progress=False)
    result = _sweep_with_kills(tmp_path, spec, kill_at=[3], monkeypatch=monkeypatch)
    _check(result, tmp_path / "pool", 16)


@pytest.mark.slow
def test_two_workers_killed_in_turn(tmp_path, monkeypatch):
    """Three workers, two of them killed at different points of a bigger sweep."""
    spec = SPEC.format(reps=20)  # 80 runs
    run_sweep(spec, out=tmp_path / "pool", backend="pool", workers=2, progress=False)
    result = _sweep_with_kills(tmp_path, spec, kill_at=[10, 40], monkeypatch=monkeypatch, n_workers=3)
    _check(result, tmp_path / "pool", 80)
