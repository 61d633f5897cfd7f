"""A real Dask cluster: `dask scheduler` and `dask worker` processes on 127.0.0.1, a sweep
joined to it with --scheduler, and the same numbers as the serial backend."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("distributed")

from hls_abm.sweep import load_results, run_sweep  # noqa: E402
from hls_abm.sweep_cli import main as cli  # noqa: E402

SPEC = """
[experiment]
name = "tiny_dask"
steps = 20
replicates = 2
[parameters]
n_citizens = 200
warmup_weeks = 8
community_strength = [0.2, 0.8]
[[levers]]
name = "recession"
week = 10
severity = [0.0, 2.0]
[outputs]
series = ["mean_wellbeing"]
[outputs.summaries]
total_cost = ["sum"]
mean_wellbeing = ["final", "mean_last_10"]
crisis_events = ["sum"]
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        assert proc.poll() is None, "dask scheduler exited"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port}")


@contextlib.contextmanager
def local_dask_cluster(logs: Path, n_workers: int = 2):
    """A `dask scheduler` and `n_workers` `dask worker` processes on 127.0.0.1 (free port).
    Yields (address, worker Popen objects)."""
    port = _free_port()
    addr = f"tcp://127.0.0.1:{port}"
    procs = []
    try:
        sched = subprocess.Popen(
            [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", str(port),
             "--no-dashboard", "--no-show"],
            stdout=open(logs / "scheduler.log", "w"), stderr=subprocess.STDOUT)
        procs.append(sched)
        _wait_port(port, sched)
        for i in range(n_workers):
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "dask", "worker", addr, "--nworkers", "1", "--nthreads", "1",
                 "--no-dashboard", "--host", "127.0.0.1", "--name", f"w{i}", "--no-nanny"],
                stdout=open(logs / f"worker{i}.log", "w"), stderr=subprocess.STDOUT))
        from distributed import Client

        with Client(addr, timeout="30s") as c:
            c.wait_for_workers(n_workers, timeout=120)
        yield addr, procs[1:]
    finally:
        # workers first (while the scheduler is still there to say goodbye to), then the scheduler
        for group in (procs[1:], procs[:1]):
            for p in group:
                if p.poll() is None:
                    p.terminate()
            for p in group:
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    with local_dask_cluster(tmp_path_factory.mktemp("dask-logs")) as (addr, _):
        yield addr


def _key(df):
    cols = ["run_id", "scenario", "seed", "community_strength", "recession.severity"] + df.attrs["outputs"]
    return df.sort_values(["run_id", "community_strength", "recession.severity"]).reset_index(drop=True)[cols]


def test_scheduler_sweep_equals_serial(tmp_path, dask_cluster, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    out = tmp_path / "dask"
    rc = cli(["sweep", str(spec), "--out", str(out), "--scheduler", dask_cluster, "--no-progress"])
    assert rc == 0, capsys.readouterr().err
    ser = run_sweep(SPEC, out=tmp_path / "serial", backend="serial", progress=False)
    got = load_results(out)
    assert got["run_id"].nunique() == 16 and (got["status"] == "ok").all()
    pd.testing.assert_frame_equal(_key(got), _key(ser))
    # the runs really ran on the cluster's workers, not in this process
    import os

    assert not got["worker"].str.endswith(f":{os.getpid()}").any()
    inv = __import__("hls_abm.sweep", fromlist=["load_provenance"]).load_provenance(out)["invocations"][-1]
    assert inv["backend"] == "dask" and inv["backend_detail"]["scheduler"] == dask_cluster
    assert inv["backend_detail"]["workers"] == 2


def test_dask_local_cluster_equals_serial(tmp_path):
    ser = run_sweep(SPEC, out=tmp_path / "serial", backend="serial", progress=False)
    loc = run_sweep(SPEC, out=tmp_path / "local", backend="dask", dask_local=2, progress=False)
    pd.testing.assert_frame_equal(_key(loc), _key(ser))


def test_unreachable_scheduler_clear_error(tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    port = _free_port()
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        rc = cli(["sweep", str(spec), "--out", str(tmp_path / "o"), "--scheduler", f"127.0.0.1:{port}",
                  "--no-progress"])
    assert rc == 1
    assert f"tcp://127.0.0.1:{port}" in capsys.readouterr().err


@pytest.mark.slow
def test_lost_worker_sweep_completes(tmp_path):
    """Kill one of two Dask workers mid-sweep: Dask reruns its tasks on the other, no run is lost.

    Slow: the default suite kills a busy worker in tests/test_dask_faults.py, with stricter checks
    (nothing lost, nothing written twice, bit for bit the process pool's numbers)."""
    import threading

    logs = tmp_path / "logs"
    logs.mkdir()
    spec = SPEC.replace("replicates = 2", "replicates = 6")  # 48 runs
    with local_dask_cluster(logs) as (addr, workers):
        out = tmp_path / "res"
        result: dict = {}

        def go():
            result["df"] = run_sweep(spec, out=out, backend="dask", scheduler=addr, progress=False,
                                     batch_size=2)

        th = threading.Thread(target=go)
        th.start()
        t0 = time.monotonic()
        while not list((out / "runs").glob("part-*.parquet")) if (out / "runs").is_dir() else True:
            assert time.monotonic() - t0 < 60 and th.is_alive()
            time.sleep(0.01)
        workers[1].kill()
        th.join(timeout=180)
        assert not th.is_alive()
    df = result["df"]
    runs = df.drop_duplicates("run_id")
    assert len(runs) == 48 and (runs["status"] == "ok").all()
    ser = run_sweep(spec, out=tmp_path / "serial", backend="serial", progress=False)
    pd.testing.assert_frame_equal(_key(df), _key(ser))
