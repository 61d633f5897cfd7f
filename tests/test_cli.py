"""The hls-abm command line, as a user runs it."""

import subprocess
import sys

import pandas as pd
import pytest


def cli(*args):
    return subprocess.run([sys.executable, "-m", "hls_abm.cli", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_run_writes_the_weekly_table(tmp_path, suffix):
    out = tmp_path / f"run{suffix}"
    r = cli("run", "--scenario", "npm", "--steps", "20", "--citizens", "300", "--out", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    df = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out, index_col=0)
    assert len(df) == 20 and "failure_demand" in df.columns


def test_compare_prints_twin_worlds_side_by_side():
    r = cli("compare", "npm", "local_teams", "--steps", "60", "--citizens", "300", "--quiet")
    assert r.returncode == 0, r.stderr
    assert "npm last yr" in r.stdout and "local_teams last yr" in r.stdout
    assert "failure demand share" in r.stdout


def test_scenarios_lists_presets():
    r = cli("scenarios", "--params")
    assert r.returncode == 0
    for name in ("npm", "local_teams", "npm_cuts", "transition", "eligibility_threshold"):
        assert name in r.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "--set", "complex_share=2"], "complex_share"),
        (["run", "--set", "complex_shar=0.2"], "did you mean complex_share"),
        (["run", "--scenario", "utopia"], "scenario"),
        (["run", "--steps", "-3"], "--steps"),
        (["run", "--out", "x.xlsx", "--steps", "1"], "--out"),
        (["compare", "npm", "nowhere"], "nowhere"),
        (["run", "--params", "/nonexistent.toml"], "does not exist"),
    ],
)
def test_bad_arguments_give_one_clear_line_and_no_traceback(args, message, tmp_path):
    r = cli(*args)
    assert r.returncode != 0
    assert message in r.stderr
    assert "Traceback" not in r.stderr
