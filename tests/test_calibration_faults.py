"""The calibration on a Dask cluster, and what it does when the backend loses work.

* `hls-abm calibrate --scheduler/--dask-local`: the sweep's options, the same bad combinations refused.
* Real Dask faults (as tests/test_dask_faults.py does for sweeps): a `dask scheduler` and `dask worker`
  processes on 127.0.0.1 started by the test, a tiny calibration joined to them with --scheduler, and one
  busy worker SIGKILLed mid-calibration. Dask reruns the lost tasks elsewhere: the calibration completes
  with every (draw, seed) evaluation stored exactly once, and its draws and scores are those of the
  serial backend.
* A task the backend gives up on (Dask's KilledWorker; the pool's worker dying on a run alone) is a
  failed evaluation, as a failed run is in a sweep: the draw is told as failed, the calibration
  completes, and a resume runs nothing again.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from hls_abm.calibration import calibrate, parse_targets
from hls_abm.calibration.cli import main as calibrate_main

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_calibration import tiny_text  # noqa: E402  (the shipped targets file at a tiny size)

ROOT = Path(__file__).resolve().parents[1]


def _evaluations(out: Path) -> list[dict]:
    path = out / "evaluations.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _lines(out: Path) -> int:
    path = out / "evaluations.jsonl"
    return len(path.read_text().splitlines()) if path.exists() else 0


def _same_draws(got: Path, want: Path) -> None:
    pd.testing.assert_frame_equal(pd.read_csv(got / "draws.csv"), pd.read_csv(want / "draws.csv"))
    pd.testing.assert_frame_equal(pd.read_csv(got / "draws_by_seed.csv").drop(columns="elapsed_s"),
                                  pd.read_csv(want / "draws_by_seed.csv").drop(columns="elapsed_s"))


def _each_once(out: Path, budget: int, seeds: list[int]) -> list[dict]:
    """Every (draw, seed) evaluation is in evaluations.jsonl exactly once; returns them."""
    evals = _evaluations(out)
    keys = [(r["trial"], r["seed"]) for r in evals]
    assert len(keys) == len(set(keys)), "an evaluation was stored twice"
    assert set(keys) == {(t, s) for t in range(budget) for s in seeds}, "an evaluation is missing"
    return evals


# -- the command line -------------------------------------------------------------------------

BAD_OPTIONS = [
    (["--backend", "pool", "--scheduler", "tcp://127.0.0.1:1"], "need --backend dask, not pool"),
    (["--backend", "serial", "--dask-local", "2"], "need --backend dask, not serial"),
    (["--scheduler", "tcp://127.0.0.1:1", "--dask-local", "2"], "either --scheduler"),
]


@pytest.mark.parametrize("argv,message", BAD_OPTIONS, ids=["pool+scheduler", "serial+dask-local", "both"])
def test_bad_dask_options_one_line_exit_2_nothing_written(tmp_path, capsys, argv, message):
    (tmp_path / "targets.toml").write_text(tiny_text())
    out = tmp_path / "out"
    assert calibrate_main(["calibrate", str(tmp_path / "targets.toml"), "--out", str(out), "--no-progress",
                           *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("hls-abm: error: calibrate: ") and message in err, err
    assert not out.exists()


def test_python_api_refuses_a_scheduler_without_dask(tmp_path):
    from hls_abm.calibration.search import CalibrationError

    with pytest.raises(CalibrationError, match="need backend 'dask'"):
        calibrate(parse_targets(tiny_text()), tmp_path / "cal", backend="pool", scheduler="tcp://127.0.0.1:1")
    assert not (tmp_path / "cal").exists()


def test_unreachable_scheduler_names_it_exit_1(tmp_path, capsys):
    pytest.importorskip("distributed")
    import dask

    from test_sweep_dask import _free_port

    (tmp_path / "targets.toml").write_text(tiny_text())
    port = _free_port()
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):  # a bare HOST:PORT is tcp://
        rc = calibrate_main(["calibrate", str(tmp_path / "targets.toml"), "--out", str(tmp_path / "o"),
                             "--scheduler", f"127.0.0.1:{port}", "--no-progress"])
    assert rc == 1
    assert f"--scheduler tcp://127.0.0.1:{port}: cannot connect" in capsys.readouterr().err
    # Nothing was written, so the same command works once the scheduler is up (no --resume needed).
    assert not (tmp_path / "o").exists()


# -- a task the backend gives up on -----------------------------------------------------------


def test_a_task_the_backend_gives_up_on_is_a_failed_draw_and_resume_runs_nothing_again(tmp_path, monkeypatch):
    import hls_abm.sweep.backends as backends

    class GivesUpOnOne(backends.SerialBackend):
        def imap(self, fn, batches, *args):
            for batch in batches:
                if (batch[0]["trial"], batch[0]["seed"]) == (1, 2):
                    yield batch, RuntimeError("the worker process running this run died (test)")
                else:
                    yield batch, fn(batch, *args)

    targets = parse_targets(tiny_text())
    out = tmp_path / "cal"
    monkeypatch.setattr(backends, "make_backend", lambda name, **kw: GivesUpOnOne())
    cal = calibrate(targets, out, progress=False)
    assert cal.complete
    evals = {(r["trial"], r["seed"]): r for r in _each_once(out, 4, [1, 2])}
    assert evals[(1, 2)]["error"].startswith("lost by the backend: RuntimeError: the worker process")
    assert sum(bool(r["error"]) for r in evals.values()) == 1
    assert [t.state.name for t in cal.study.trials] == ["COMPLETE", "FAIL", "COMPLETE", "COMPLETE"]
    # a resume finds everything done: no draw asked again (a failed draw still belongs to its batch)
    monkeypatch.undo()
    again = calibrate(targets, out, progress=False, resume=True)
    assert again.complete and _lines(out) == 8 and len(again.study.trials) == 4


# -- real Dask faults -------------------------------------------------------------------------


def _calibrate_on_cluster_with_kills(tmp_path: Path, text: str, kill_at: list[int], n_workers: int = 2) -> dict:
    """Run the calibration CLI (a subprocess) on a fresh loopback cluster with --scheduler, SIGKILLing a
    busy worker once ``kill_at[k]`` evaluations are stored (for each k)."""
    pytest.importorskip("distributed")
    from test_dask_faults import _kill_a_busy_worker
    from test_sweep_dask import local_dask_cluster

    (tmp_path / "targets.toml").write_text(text)
    logs = tmp_path / "logs"
    logs.mkdir()
    out = tmp_path / "dask"
    at_kill = []
    with local_dask_cluster(logs, n_workers=n_workers) as (addr, workers):
        cmd = [sys.executable, "-m", "hls_abm.calibration.cli", "calibrate", str(tmp_path / "targets.toml"),
               "--out", str(out), "--scheduler", addr, "--no-progress"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            alive = set(range(n_workers))
            for n in kill_at:
                t0 = time.monotonic()
                while _lines(out) < n:  # wait for the evaluations themselves, not for a clock
                    assert proc.poll() is None, f"ended before {n} evaluations: {proc.communicate()}"
                    assert time.monotonic() - t0 < 120, "the calibration made no progress"
                    time.sleep(0.01)
                _kill_a_busy_worker(addr, workers, alive)
                at_kill.append(_lines(out))
            _, err = proc.communicate(timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 0, err
    session = json.loads((out / "meta.json").read_text())["sessions"][-1]
    assert session["backend"] == "dask" and session["scheduler"] == addr and session["complete"]
    return {"out": out, "at_kill": at_kill}


def _serial(tmp_path: Path, text: str) -> Path:
    (tmp_path / "serial.toml").write_text(text)
    out = tmp_path / "serial"
    assert calibrate_main(["calibrate", str(tmp_path / "serial.toml"), "--out", str(out), "--backend", "serial",
                           "--no-progress"]) == 0
    return out


FAULTS = {"budget = 4": "budget = 6"}  # 6 draws x 2 seeds = 12 evaluations, in three batches


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")
def test_killed_worker_mid_calibration_loses_nothing_and_runs_nothing_twice(tmp_path):
    text = tiny_text(**FAULTS)
    res = _calibrate_on_cluster_with_kills(tmp_path, text, kill_at=[3])
    evals = _each_once(res["out"], 6, [1, 2])
    assert res["at_kill"][0] < len(evals), "a worker must be killed mid-calibration"
    assert not any(r["error"] for r in evals)
    _same_draws(res["out"], _serial(tmp_path, text))


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")
def test_two_workers_killed_in_turn_mid_calibration(tmp_path):
    """Three workers, two of them killed at different points of a bigger calibration (12 draws, 60 weeks)."""
    text = tiny_text(**{"budget = 4": "budget = 12", "weeks = 30": "weeks = 60"})
    res = _calibrate_on_cluster_with_kills(tmp_path, text, kill_at=[4, 14], n_workers=3)
    evals = _each_once(res["out"], 12, [1, 2])
    assert res["at_kill"][-1] < len(evals) and not any(r["error"] for r in evals)
    _same_draws(res["out"], _serial(tmp_path, text))


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")
def test_a_task_dask_gives_up_on_is_a_failed_draw(tmp_path, monkeypatch):
    """A scheduler that allows no failures (allowed-failures = 0) gives up on a task the first time its
    worker dies (KilledWorker): that evaluation is stored as failed, its draw is told as failed, and
    the calibration completes with every (draw, seed) stored exactly once."""
    monkeypatch.setenv("DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES", "0")  # read by the scheduler process
    res = _calibrate_on_cluster_with_kills(tmp_path, tiny_text(**FAULTS), kill_at=[3])
    evals = _each_once(res["out"], 6, [1, 2])
    lost = [r for r in evals if r["error"]]
    assert lost and all("KilledWorker" in r["error"] for r in lost), [r["error"] for r in lost]
    assert all(math.isnan(r["elapsed_s"]) for r in lost)
    draws = pd.read_csv(res["out"] / "draws.csv")
    assert set(draws.loc[draws["error"].notna(), "trial"]) == {r["trial"] for r in lost}
