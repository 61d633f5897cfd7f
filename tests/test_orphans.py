"""No orphans: after SIGTERM or SIGKILL of a sweep driver, a calibration or the dashboard server,
none of its descendant processes survives for more than 10 s.

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
from types import SimpleNamespace

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


def _signal_and_check(cmd: list[str], n_workers: int, sig: int, cwd: Path, busy=None, env=None) -> list:
    """Start ``cmd`` in its own session, wait for its ``n_workers`` workers (and for ``busy(proc)`` to
    return, if given: e.g. a page that starts background work), signal the driver alone and check that
    every descendant is gone within GRACE_S. Returns the descendants it had when signalled."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env or _env(), start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    descendants: list = []
    try:
        driver = psutil.Process(proc.pid)
        t0 = time.monotonic()
        while len(_workers(driver)) < n_workers:  # wait for the workers themselves
            assert proc.poll() is None, f"driver exited early: {proc.communicate()[1].decode()[-2000:]}"
            assert time.monotonic() - t0 < 120, "the driver's workers never started"
            time.sleep(0.05)
        if busy is not None:
            busy(proc)
        descendants = driver.children(recursive=True)
        os.kill(proc.pid, sig)
        proc.wait(timeout=60)
        gone, alive = psutil.wait_procs(descendants, timeout=GRACE_S)
        survivors = [(p.pid, " ".join(p.cmdline())[-120:]) for p in alive if _running(p)]
        assert not survivors, f"still alive {GRACE_S:.0f} s after the driver got {signal.Signals(sig).name}: {survivors}"
        return descendants
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


@pytest.mark.parametrize("sig", [pytest.param(signal.SIGTERM, marks=pytest.mark.slow), signal.SIGKILL], ids=["sigterm", "sigkill"])
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


# -- the calibration ---------------------------------------------------------------------------

CALIBRATION = {"n_citizens = 200": "n_citizens = 10000", "weeks = 30": "weeks = 520"}  # evaluations of tens of s


def _calibrate_cmd(tmp_path: Path, *backend: str) -> list[str]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_calibration import tiny_text

    (tmp_path / "targets.toml").write_text(tiny_text(**CALIBRATION))
    return [sys.executable, "-m", "hls_abm.calibration.cli", "calibrate", "targets.toml", "--out", "cal",
            "--no-progress", *backend]


@pytest.mark.parametrize("sig", [signal.SIGTERM, pytest.param(signal.SIGKILL, marks=pytest.mark.slow)], ids=["sigterm", "sigkill"])
def test_calibrate_cli_pool_leaves_no_orphans(tmp_path, sig):
    _signal_and_check(_calibrate_cmd(tmp_path, "--backend", "pool", "--workers", "2"), 2, sig, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_calibrate_cli_dask_local_leaves_no_orphans(tmp_path, sig):
    pytest.importorskip("distributed")
    _signal_and_check(_calibrate_cmd(tmp_path, "--dask-local", "2"), 2, sig, tmp_path)


# -- the dashboard server ----------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("sig", [signal.SIGTERM, pytest.param(signal.SIGKILL, marks=pytest.mark.slow)], ids=["sigterm", "sigkill"])
def test_dashboard_server_leaves_no_orphans(playwright_driver, sig):
    """`solara run app.py` with a tab that plays and runs "How sure are we?" (its other towns run in a
    thread of the server; nothing in the dashboard starts a process, and this checks that it stays so)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent / "browser"))
    from dashboard_harness import free_port, launch_chromium, open_dashboard, wait_http

    port = free_port()
    url = f"http://localhost:{port}/"
    cmd = [sys.executable, "-m", "solara", "run", "app.py", "--host", "localhost", "--port", str(port),
           "--production", "--no-check-version"]
    browser = launch_chromium(playwright_driver)

    def busy(proc):
        wait_http(url, 120, proc)
        page = browser.new_page()
        page.set_default_timeout(60_000)
        open_dashboard(page, SimpleNamespace(url=url), "?n=500")
        page.locator(".hls-sure .v-input--selection-controls__ripple").click()  # the background towns
        page.get_by_role("button", name="Play").click()
        page.wait_for_selector(".hls-sure-status")  # the towns are being built and run

    try:
        had = _signal_and_check(cmd, 0, sig, ROOT, busy=busy,
                                env=dict(_env(), SOLARA_TELEMETRY_MIXPANEL_ENABLE="False"))
        print(f"\ndashboard server's descendants when signalled: {[' '.join(p.cmdline())[-80:] for p in had]}")
    finally:
        browser.close()
