"""The facilitator guide's walker (experiments/facilitator_walk.py) runs end to end on a small town
and prints the figures the guide quotes, for both worlds."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "experiments"))

import facilitator_walk  # noqa: E402


def test_walk_prints_each_scripts_figures_for_both_worlds(capsys):
    assert facilitator_walk.main(["--citizens", "500", "--seed", "7", "--only", "2", "--only", "3"]) == 0
    out = capsys.readouterr().out
    assert "Script 2, twenty problems" in out and out.count("different service") >= 2  # both worlds' journeys
    assert "reported KPI (npm)" in out and "real outcome (local_teams)" in out


def test_walk_refuses_a_bad_seed_in_one_line(capsys):
    import pytest

    with pytest.raises(SystemExit) as exc:
        facilitator_walk.main(["--seed", "-3"])
    assert exc.value.code == 2
    assert "seed='-3' is not allowed" in capsys.readouterr().err
