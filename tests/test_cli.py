"""The hls-abm command line, as a user runs it."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hls_abm.cli import main


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
def test_bad_arguments_give_one_clear_line_and_no_traceback(args, message, capsys):
    # in-process (a Python start-up saved per case); tests/test_bad_inputs.py runs some in a real shell
    assert main(list(args)) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1, err  # one line: no usage block, no traceback


RUN = ["run", "--steps", "3", "--citizens", "40", "--quiet"]


def test_word_seeds_are_accepted_and_mean_what_they_mean_everywhere(tmp_path, capsys):
    from hls_abm.seeds import parse_seed

    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert main(RUN + ["--seed", "workshop-3", "--out", str(a)]) == 0
    assert main(RUN + ["--seed", str(parse_seed("workshop-3")), "--out", str(b)]) == 0
    assert a.read_text() == b.read_text()
    c = tmp_path / "c.csv"
    assert main(RUN + ["--seed", "workshop-4", "--out", str(c)]) == 0
    assert c.read_text() != a.read_text()


def test_an_existing_file_is_replaced_only_by_a_complete_new_one(tmp_path, capsys, monkeypatch):
    out = tmp_path / "run.csv"
    out.write_text("old results\n")

    def broken_write(self, path, *a, **k):
        Path(path).write_text("half a tab")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken_write)
    assert main(RUN + ["--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert "could not be written: No space left on device" in captured.err and captured.err.count("\n") == 1
    assert "failure demand share" in captured.out  # the finished run's summary is still shown
    assert out.read_text() == "old results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.csv"]  # no temporary file left behind
    monkeypatch.undo()
    assert main(RUN + ["--out", str(out)]) == 0
    assert len(pd.read_csv(out, index_col=0)) == 3


def test_compare_writes_both_tables(tmp_path, capsys):
    out = tmp_path / "both.parquet"
    assert main(["compare", "npm", "local_teams", "--steps", "3", "--citizens", "40", "--quiet", "--out", str(out)]) == 0
    df = pd.read_parquet(out)
    assert sorted(df.index.get_level_values("scenario").unique()) == ["local_teams", "npm"]


def test_help_still_works():
    r = cli("run", "--help")
    assert r.returncode == 0 and "--seed" in r.stdout and "word" in r.stdout
