"""No orphans: after SIGTERM or SIGKILL of a sweep driver, none of its worker processes
survives for more than 10 s.

Each driver runs in its own session, as a user's shell or a batch system would start it.
The test waits until the driver's workers exist (it polls the process tree), sends the
signal to the driver alone (not to its process group, which would kill the workers
directly), and waits for every process that descended from the driver to end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

psutil = pytest.importorskip("psutil")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals and sessions")

ROOT = Path(__file__).resolve().parents[1]
GRACE_S = 10.0

SPEC = """
[experiment]
name = "orphans"
steps = 520
replicates = 4
[parameters]
n_citizens = 10000
"""  # runs of tens of seconds: a driver that waited for its workers' runs would keep them past 10 s


def _env() -> dict:
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))


def _workers(driver: psutil.Process) -> list:
    """The driver's worker processes: forkserver children (their parent is the forkserver, not
    the driver) or spawned children (a Dask nanny's workers, a spawn-method pool)."""
    out = []
    for p in driver.children(recursive=True):
        try:
            if p.ppid() != driver.pid or "spawn_main" in " ".join(p.cmdline()):
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


def _signal_and_check(cmd: list[str], n_workers: int, sig: int, cwd: Path) -> None:
    proc = subprocess.Popen(cmd, cwd=cwd, env=_env(), start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    descendants: list = []
    try:
        driver = psutil.Process(proc.pid)
        t0 = time.monotonic()
        while len(_workers(driver)) < n_workers:  # wait for the workers themselves
            assert proc.poll() is None, f"driver exited early: {proc.communicate()[1].decode()[-2000:]}"
            assert time.monotonic() - t0 < 120, "the driver's workers never started"
            time.sleep(0.05)
        descendants = driver.children(recursive=True)
        os.kill(proc.pid, sig)
        proc.wait(timeout=60)
        gone, alive = psutil.wait_procs(descendants, timeout=GRACE_S)
        survivors = [(p.pid, " ".join(p.cmdline())[-120:]) for p in alive if _running(p)]
        assert not survivors, f"still alive {GRACE_S:.0f} s after the driver got {signal.Signals(sig).name}: {survivors}"
    finally:  # never leave processes behind, whatever the outcome
        for p in descendants:
            if _running(p):
                p.kill()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _running(p) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_sweep_cli_pool_leaves_no_orphans(tmp_path, sig):
    (tmp_path / "spec.toml").write_text(SPEC)
    cmd = [sys.executable, "-m", "hls_abm.sweep_cli", "sweep", "spec.toml", "--out", "res", "--no-progress",
           "--workers", "2", "--batch-size", "1"]
    _signal_and_check(cmd, 2, sig, tmp_path)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_validation_runner_leaves_no_orphans(tmp_path, sig):
    """experiments/validation/run.py drives run_sweep from a script that handles no signals."""
    cmd = [sys.executable, str(ROOT / "experiments" / "validation" / "run.py"), "4", "--out", "val",
           "--workers", "2"]
    _signal_and_check(cmd, 2, sig, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_sweep_cli_dask_local_leaves_no_orphans(tmp_path, sig):
    """A LocalCluster's workers are spawned by nannies that live in the driver."""
    pytest.importorskip("distributed")
    (tmp_path / "spec.toml").write_text(SPEC)
    cmd = [sys.executable, "-m", "hls_abm.sweep_cli", "sweep", "spec.toml", "--out", "res", "--no-progress",
           "--dask-local", "2", "--batch-size", "1"]
    _signal_and_check(cmd, 2, sig, tmp_path)
