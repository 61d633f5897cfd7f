"""experiments/honest/path_dependence.py runs end to end on a small town: the same budget reached two ways
(established then cut, or started lean), both systems, one table; bad options are refused in one line."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "experiments" / "honest"))

import path_dependence  # noqa: E402


def test_both_paths_both_systems_in_one_table(capsys):
    args = ["--seeds", "2", "--citizens", "200", "--before", "1", "--after", "1", "--cut", "35", "--workers", "1"]
    assert path_dependence.main(args) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| established") or line.startswith("| started")]
    assert len(rows) == 4 and sum("local_teams" in r for r in rows) == 2
    assert "0.65 of the default budget" in out and "35% cut" in out


def test_the_lean_start_is_the_cut_budget_from_the_warm_up():
    """Started lean = the same worlds at budget_factor 1 - cut/100 from the start: the comparison's own start."""
    from hls_abm import HLSModel

    a = {"citizens": 120, "before": 1, "after": 1, "cut": 20.0, "overrides": {}}
    got = path_dependence.one({"scenario": "npm", "seed": 3, "path": "lean", "args": a})
    m = HLSModel("npm", n_citizens=120, rng=3, budget_factor=0.8)
    m.run_for(104)
    assert got["total_cost"] == pytest.approx(m.metrics()["total_cost"].iloc[-52:].mean())


@pytest.mark.parametrize("argv,message", [
    (["--cut", "95"], "--cut: 95 is not allowed: expected a percent in (0, 90]"),
    (["--seeds", "0"], "--seeds: 0 is not allowed: expected an integer in [1, 100]"),
    (["--overrides", "/nonexistent/defaults.toml"], "--overrides: /nonexistent/defaults.toml cannot be used"),
])
def test_bad_options_are_refused_in_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        path_dependence.main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err, err


def test_overrides_with_a_bad_value_name_the_field(tmp_path, capsys):
    f = tmp_path / "defaults.toml"
    f.write_text("[parameters]\ngatekeeping = -1.0\n")
    with pytest.raises(SystemExit):
        path_dependence.main(["--overrides", str(f)])
    assert "gatekeeping" in capsys.readouterr().err
