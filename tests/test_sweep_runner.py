"""The sweep runner: summaries match the model run directly, backends agree, failures are
recorded, resume skips stored runs, provenance is kept."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from hls_abm import HLSModel
from hls_abm.sweep import (
    SpecError,
    load_plan,
    load_provenance,
    load_results,
    load_series,
    run_sweep,
)
from hls_abm.sweep.runner import request_stop, summarise_frame

SPEC = """
[experiment]
name = "tiny_runner"
steps = 20
replicates = 2
seed = 7
[parameters]
n_citizens = 200
warmup_weeks = 8
complex_share = [0.1, 0.5]
[[levers]]
name = "budget_cut"
week = 8
percent = [0, 30]
scenarios = ["npm"]
[outputs]
series = ["total_cost", "mean_wellbeing"]
series_every = 2
[outputs.summaries]
total_cost = ["sum", "mean_last_5", "final", "argmax"]
mean_wellbeing = ["mean", "min", "sum_from_10"]
"""

KEY = ["run_id", "scenario", "seed", "complex_share", "budget_cut.percent"]


def _norm(df: pd.DataFrame) -> pd.DataFrame:
    cols = KEY + [c for c in df.attrs["outputs"]]
    return df.sort_values(KEY).reset_index(drop=True)[cols]


@pytest.fixture(scope="module")
def serial_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "res"
    run_sweep(SPEC, out=out, backend="serial", progress=False)
    return out


def test_results_shape_and_provenance(serial_dir):
    df = load_results(serial_dir)
    # 4 npm points + 2 local_teams points (the npm-only lever does not split them), x 2 seeds
    assert df["run_id"].nunique() == (4 + 2) * 2
    assert len(df) == 4 * 2 * 2  # every plan row, each local_teams run shared by both lever values
    assert (df["status"] == "ok").all()
    prov = load_provenance(serial_dir)
    assert prov["package"]["hls_abm"]
    assert "git_commit" in prov["package"]
    assert prov["spec"]["text"].strip().startswith("[experiment]")
    assert prov["design"]["n_runs"] == 12
    assert prov["invocations"][-1]["n_done"] == 12
    plan = load_plan(serial_dir)
    params = json.loads(plan["params_json"].iloc[0])
    assert params["n_citizens"] == 200 and params["warmup_weeks"] == 8
    assert (serial_dir / "spec.toml").read_text() == SPEC


def test_summaries_equal_direct_model_run(serial_dir):
    df = load_results(serial_dir)
    row = df[(df["scenario"] == "npm") & (df["budget_cut.percent"] == 30) & (df["complex_share"] == 0.5)
             & (df["seed"] == 8)].iloc[0]
    m = HLSModel("npm", n_citizens=200, rng=8, complex_share=0.5, warmup_weeks=8)
    for week in range(20):
        if week == 8:
            m.apply_lever("budget_cut", percent=30)
        m.step()
    direct = m.datacollector.get_model_vars_dataframe()
    assert row["total_cost.sum"] == direct["total_cost"].sum()
    assert row["total_cost.mean_last_5"] == direct["total_cost"].iloc[-5:].mean()
    assert row["total_cost.final"] == direct["total_cost"].iloc[-1]
    assert row["total_cost.argmax"] == direct["total_cost"].to_numpy().argmax() + 1
    assert row["mean_wellbeing.min"] == direct["mean_wellbeing"].min()
    assert row["mean_wellbeing.sum_from_10"] == pytest.approx(direct["mean_wellbeing"].iloc[10:].sum(), rel=1e-12)
    s = load_series(serial_dir)
    mine = s[s["run_id"] == row["run_id"]]
    assert list(mine["week"]) == [2, 4, 6, 8, 10, 12, 14, 16, 18, 20]
    np.testing.assert_array_equal(mine["total_cost"].to_numpy(), direct["total_cost"].to_numpy()[1::2])


def test_pool_backend_identical(serial_dir, tmp_path):
    df = run_sweep(SPEC, out=tmp_path / "pool", backend="pool", workers=2, progress=False)
    pd.testing.assert_frame_equal(_norm(df), _norm(load_results(serial_dir)))
    s1 = load_series(serial_dir).sort_values(["run_id", "week"]).reset_index(drop=True)
    s2 = load_series(tmp_path / "pool").sort_values(["run_id", "week"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(s1[["run_id", "week", "total_cost"]], s2[["run_id", "week", "total_cost"]])


def test_resume_skips_done_runs(serial_dir, tmp_path, capsys):
    import shutil

    out = tmp_path / "partial"
    shutil.copytree(serial_dir, out)
    # drop half the stored runs, as if the sweep had stopped half way
    [f] = list((out / "runs").glob("part-*.parquet"))
    t = pq.read_table(f)
    pq.write_table(t.slice(0, 5), f)
    df = run_sweep(SPEC, out=out, backend="serial", progress=True)
    assert "5 of 12 runs already" in capsys.readouterr().err
    assert load_provenance(out)["invocations"][-1]["n_done"] == 7
    pd.testing.assert_frame_equal(_norm(df), _norm(load_results(serial_dir)))
    ids = pq.read_table(next((out / "runs").glob("part-*.parquet"))).column("run_id").to_pylist()
    assert len(ids) == len(set(ids)) == 12


def test_changed_spec_same_dir_refused(serial_dir):
    before = sorted(p.name for p in serial_dir.rglob("*"))
    with pytest.raises(SpecError, match="different spec"):
        run_sweep(SPEC.replace("replicates = 2", "replicates = 3"), out=serial_dir, backend="serial", progress=False)
    assert sorted(p.name for p in serial_dir.rglob("*")) == before


def test_resume_after_the_model_defaults_changed_is_refused(serial_dir, tmp_path, monkeypatch):
    """A recalibration changes what the spec leaves to the defaults: resuming then would mix runs of two models
    in one table, silently. The store says which defaults changed and writes nothing."""
    import dataclasses
    import shutil

    from hls_abm import PARAMS

    out = tmp_path / "copy"
    shutil.copytree(serial_dir, out)
    before = sorted((p.name, p.stat().st_size) for p in out.rglob("*"))
    old = PARAMS["budget_per_citizen"]
    monkeypatch.setitem(PARAMS, "budget_per_citizen", dataclasses.replace(old, default=old.default + 1.0))
    with pytest.raises(SpecError, match=r"other model defaults \(budget_per_citizen .* -> .*\).*new --out"):
        run_sweep(SPEC, out=out, backend="serial", progress=False)
    assert sorted((p.name, p.stat().st_size) for p in out.rglob("*")) == before
    monkeypatch.setitem(PARAMS, "budget_per_citizen", old)  # the same model again: resuming is fine
    pd.testing.assert_frame_equal(_norm(run_sweep(SPEC, out=out, backend="serial", progress=False)),
                                  _norm(load_results(serial_dir)))


def test_analysis_section_change_is_allowed(serial_dir, tmp_path):
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(serial_dir, out)
    spec = SPEC + '\n[analysis]\nconf = 0.9\n'
    df = run_sweep(spec, out=out, backend="serial", progress=False)
    assert df["run_id"].nunique() == 12
    assert load_provenance(out)["invocations"][-1]["n_todo"] == 0
    assert load_provenance(out)["spec"]["parsed"]["analysis"] == {"conf": 0.9}
    assert (out / "spec.toml").read_text() == spec


def test_non_sweep_dir_refused(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(SpecError, match="not empty"):
        run_sweep(SPEC, out=tmp_path, backend="serial", progress=False)
    assert [p.name for p in tmp_path.iterdir()] == ["precious.txt"]


class FlakyModel(HLSModel):
    """Fails in week 3 for odd seeds (a stand-in for a run that raises)."""

    def step(self):
        if self.seed % 2 == 1 and self.week == 3:
            raise FloatingPointError("boom in week 3")
        super().step()


FLAKY = SPEC.replace('name = "tiny_runner"', f'name = "flaky"\nmodel = "{__name__}:FlakyModel"')


@pytest.mark.parametrize("backend", ["serial", "pool"])
def test_failed_runs_recorded_sweep_continues(tmp_path, backend):
    df = run_sweep(FLAKY, out=tmp_path / "r", backend=backend, workers=2, progress=False)
    runs = df.drop_duplicates("run_id")
    failed = runs[runs["status"] == "failed"]
    assert set(failed["seed"]) == {7} and set(runs[runs["status"] == "ok"]["seed"]) == {8}
    assert failed["error"].str.contains("FloatingPointError: boom in week 3").all()
    assert failed["total_cost.sum"].isna().all()
    prov = load_provenance(tmp_path / "r")
    assert prov["invocations"][-1]["n_failed"] == len(failed) == 6
    # failures count as done on resume; --retry-failed runs them again
    run_sweep(FLAKY, out=tmp_path / "r", backend="serial", progress=False)
    assert load_provenance(tmp_path / "r")["invocations"][-1]["n_todo"] == 0
    run_sweep(FLAKY, out=tmp_path / "r", backend="serial", progress=False, retry_failed=True)
    inv = load_provenance(tmp_path / "r")["invocations"][-1]
    assert inv["n_todo"] == 6 and inv["n_failed"] == 6
    assert load_results(tmp_path / "r")["run_id"].nunique() == 12


class InterruptedModel(HLSModel):
    """Ctrl-C arrives during week 3 of seed 8, and library code re-raises it as a TypeError
    (numpy does this when the interrupt lands while it iterates an object)."""

    def step(self):
        if self.seed == 8 and self.week == 3:
            try:
                request_stop()
            except KeyboardInterrupt as err:
                raise TypeError("int() argument must be ... not 'EdgeView'") from err
        super().step()


INTERRUPTED = SPEC.replace('name = "tiny_runner"', f'name = "interrupted"\nmodel = "{__name__}:InterruptedModel"')


def test_interrupt_disguised_as_error_is_not_a_failed_run(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        run_sweep(INTERRUPTED, out=tmp_path / "r", backend="serial", progress=False, quiet=True)
    inv = load_provenance(tmp_path / "r")["invocations"][-1]
    assert inv["interrupted"] is True and inv["n_failed"] == 0
    stored = load_results(tmp_path / "r")
    assert (stored["status"] == "ok").all()
    assert 8 not in set(stored["seed"])  # the interrupted run is not stored at all
    from hls_abm.sweep.runner import _STOP

    assert not _STOP.is_set()  # nothing leaks into later sweeps or direct execute_run calls


def test_summarise_frame_handles_nan_and_windows():
    df = pd.DataFrame({"x": [1.0, np.nan, 3.0, 4.0]})
    outputs = {"summaries": {"x": ("mean", "sum", "final", "first", "max", "argmax", "mean_first_2", "sum_last_2",
                                   "median", "std")}, "series": ()}
    s, series = summarise_frame(df, outputs, steps=4)
    assert series is None
    assert s["x.mean"] == pytest.approx(8 / 3)
    assert s["x.sum"] == 8.0 and s["x.final"] == 4.0 and s["x.first"] == 1.0 and s["x.max"] == 4.0
    assert s["x.argmax"] == 4.0 and s["x.mean_first_2"] == 1.0 and s["x.sum_last_2"] == 7.0
    assert s["x.median"] == 3.0


def test_python_api_accepts_dict_spec(tmp_path):
    import tomllib

    df = run_sweep(tomllib.loads(SPEC), out=tmp_path / "d", backend="serial", progress=False, batch_size=5)
    assert df["run_id"].nunique() == 12


class CrashingModel(HLSModel):
    """Kills its worker process (as a segfault or the OOM killer would) for seed 7 with complex_share 0.5."""

    def step(self):
        if self.seed == 7 and self.p["complex_share"] == 0.5 and self.week == 3:
            import os

            os._exit(3)
        super().step()


def test_pool_survives_a_dying_worker(tmp_path):
    spec = SPEC.replace('name = "tiny_runner"', f'name = "crash"\nmodel = "{__name__}:CrashingModel"')
    df = run_sweep(spec, out=tmp_path / "r", backend="pool", workers=2, progress=False, batch_size=3)
    runs = df.drop_duplicates("run_id")
    assert len(runs) == 12
    bad = runs[runs["status"] == "failed"]
    assert set(zip(bad["seed"], bad["complex_share"])) == {(7, 0.5)}
    assert bad["error"].str.contains("worker process").all()
    assert (runs[runs["status"] == "ok"]["total_cost.sum"] > 0).all()


def test_resume_refused_when_the_default_summaries_changed(serial_dir, tmp_path):
    """A store written when the model had other output columns (so other default summaries) is not
    resumed into: its Parquet chunks would disagree on their columns."""
    import shutil

    spec = SPEC.split("[outputs]")[0]  # no [outputs]: the summaries follow hls_abm.OUTPUT_COLUMNS
    out = tmp_path / "defaults"
    run_sweep(spec.replace("replicates = 2", "replicates = 1"), out=out, backend="serial", progress=False)
    old = tmp_path / "old"
    shutil.copytree(out, old)
    prov = json.loads((old / "provenance.json").read_text())
    prov["spec"]["outputs_hash"] = "0" * 32  # as if written with an older column list
    (old / "provenance.json").write_text(json.dumps(prov))
    before = sorted((p.name, p.stat().st_size) for p in old.rglob("*"))
    with pytest.raises(SpecError, match="other summary columns"):
        run_sweep(spec.replace("replicates = 2", "replicates = 1"), out=old, backend="serial", progress=False)
    assert sorted((p.name, p.stat().st_size) for p in old.rglob("*")) == before
    # the store as written resumes fine
    run_sweep(spec.replace("replicates = 2", "replicates = 1"), out=out, backend="serial", progress=False)
    assert load_provenance(out)["invocations"][-1]["n_todo"] == 0
