"""Kill a real sweep process with SIGKILL mid-run, resume it, and check that every run is
stored exactly once and equals an uninterrupted sweep."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from hls_abm.sweep import load_plan, load_results, run_sweep

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")

SPEC = """
[experiment]
name = "killme"
steps = 30
replicates = 6
[parameters]
n_citizens = 300
warmup_weeks = 8
complex_share = [0.1, 0.3, 0.5]
[outputs]
series = ["total_cost"]
[outputs.summaries]
total_cost = ["sum", "final"]
mean_wellbeing = ["mean_last_10"]
"""  # 3 points x 2 scenarios x 6 seeds = 36 runs


def _parts(d: Path) -> list[Path]:
    return sorted((d / "runs").glob("part-*.parquet")) if (d / "runs").is_dir() else []


def _start(spec: Path, out: Path, *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "hls_abm.sweep_cli", "sweep", str(spec), "--out", str(out), "--no-progress", *extra]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _kill_after(proc: subprocess.Popen, out: Path, min_parts: int, whole_group: bool, timeout: float = 180.0):
    """SIGKILL the sweep once at least ``min_parts`` chunks are on disk (and before it finishes)."""
    t0 = time.monotonic()
    while len(_parts(out)) < min_parts:
        assert proc.poll() is None, f"sweep finished before it could be killed: {proc.communicate()}"
        assert time.monotonic() - t0 < timeout, "sweep made no progress"
        time.sleep(0.005)
    if whole_group:  # the driver and its pool workers (all started by this test, in their own session)
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    d = tmp_path_factory.mktemp("ref")
    (d / "spec.toml").write_text(SPEC)
    run_sweep(d / "spec.toml", out=d / "res", backend="serial", progress=False)
    return d / "res"


def _check_complete_and_equal(out: Path, reference: Path):
    plan_ids = set(load_plan(out)["run_id"])
    # every run stored exactly once (after the resumed sweep merged its chunks)
    ids = [i for f in _parts(out) for i in pq.read_table(f, columns=["run_id"]).column("run_id").to_pylist()]
    assert len(ids) == len(set(ids)) == len(plan_ids) == 36
    assert set(ids) == plan_ids
    got = load_results(out).sort_values("run_id").reset_index(drop=True)
    want = load_results(reference).sort_values("run_id").reset_index(drop=True)
    cols = ["run_id", "scenario", "seed", "complex_share", "status", "total_cost.sum", "total_cost.final",
            "mean_wellbeing.mean_last_10"]
    pd.testing.assert_frame_equal(got[cols], want[cols])
    s_got = pd.concat(pq.read_table(f).to_pandas() for f in sorted((out / "series").glob("part-*.parquet")))
    assert len(s_got) == 36 * 30  # no duplicated series rows either
    s_want = pd.concat(pq.read_table(f).to_pandas() for f in sorted((reference / "series").glob("part-*.parquet")))
    pd.testing.assert_frame_equal(s_got.sort_values(["run_id", "week"]).reset_index(drop=True),
                                  s_want.sort_values(["run_id", "week"]).reset_index(drop=True))


def test_sigkill_serial_then_resume(tmp_path, reference):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    out = tmp_path / "res"
    proc = _start(spec, out, "--backend", "serial", "--batch-size", "1")
    _kill_after(proc, out, min_parts=5, whole_group=False)
    n_before = len({i for f in _parts(out) for i in pq.read_table(f).column("run_id").to_pylist()})
    assert 5 <= n_before < 36
    # resume with the same command
    proc = _start(spec, out, "--backend", "serial", "--batch-size", "1")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    assert f"{n_before} of 36 runs already" in err.decode()
    _check_complete_and_equal(out, reference)


def test_sigkill_pool_then_resume(tmp_path, reference):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    out = tmp_path / "res"
    proc = _start(spec, out, "--backend", "pool", "--workers", "2", "--batch-size", "2")
    _kill_after(proc, out, min_parts=3, whole_group=True)
    proc = _start(spec, out, "--backend", "pool", "--workers", "2")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    _check_complete_and_equal(out, reference)


@pytest.mark.parametrize("sig", [pytest.param(signal.SIGINT, marks=pytest.mark.slow), signal.SIGTERM],
                         ids=["ctrl_c", "sigterm"])
def test_group_signal_then_resume(tmp_path, reference, sig):
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) or a batch system's
    SIGTERM to every process of the job: exit 130, no run stored as failed, resume completes."""
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    out = tmp_path / "res"
    proc = _start(spec, out, "--backend", "pool", "--workers", "2", "--batch-size", "1")
    t0 = time.monotonic()
    while len(_parts(out)) < 3:
        assert proc.poll() is None and time.monotonic() - t0 < 180
        time.sleep(0.005)
    os.killpg(proc.pid, sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err.decode()
    assert "run the same command again to resume" in err.decode()
    from hls_abm.sweep import load_provenance

    assert load_provenance(out)["invocations"][-1]["interrupted"] is True
    assert (load_results(out)["status"] == "ok").all()
    proc = _start(spec, out, "--backend", "serial")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    _check_complete_and_equal(out, reference)


def test_sigterm_is_a_clean_interrupt(tmp_path, reference):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    out = tmp_path / "res"
    proc = _start(spec, out, "--backend", "serial", "--batch-size", "1")
    t0 = time.monotonic()
    while len(_parts(out)) < 2:
        assert proc.poll() is None and time.monotonic() - t0 < 180
        time.sleep(0.005)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err.decode()
    from hls_abm.sweep import load_provenance

    assert load_provenance(out)["invocations"][-1]["interrupted"] is True
