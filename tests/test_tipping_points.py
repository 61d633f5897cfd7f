"""experiments/tipping_points.py's own logic: how a world's stress is classed, and the check that NPM's runs
do not read local teams' intake dial (the sweep itself runs in --quick mode behind the slow marker)."""

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "experiments"))

import tipping_points as tp  # noqa: E402


@pytest.mark.parametrize("y10,drift,expected", [
    (0.95, 0.0, "saturated"), (0.9, 0.3, "saturated"), (0.4, 0.11, "rising"), (0.1, 0.1, "steady"),
    (0.1, -0.1, "steady"), (0.0, -0.5, "falling"),
])
def test_state_of_a_world(y10, drift, expected):
    assert tp.state(y10, drift) == expected


def test_npm_runs_that_differ_across_local_gatekeeping_stop_the_script():
    rows = [{"scenario": "npm", "budget_factor": 1.0, "seed": 1, "local_gatekeeping": g, "total_cost.sum": c}
            for g, c in ((0.0, 10.0), (1.0, 10.0))]
    tp.npm_ignores_local_gatekeeping(pd.DataFrame(rows))  # the same: fine
    rows[1]["total_cost.sum"] = 11.0
    with pytest.raises(AssertionError, match="NPM reads a local teams' parameter"):
        tp.npm_ignores_local_gatekeeping(pd.DataFrame(rows))


def test_tipping_table_keeps_npm_once_and_local_teams_per_dial():
    rows = []
    for scen in ("npm", "local_teams"):
        for g in (0.0, 1.0):
            rows.append({"scenario": scen, "budget_factor": 0.8, "seed": 1, "local_gatekeeping": g,
                         "staff_stress.sum_first_52": 5.2, "staff_stress.sum_first_104": 10.4,
                         "staff_stress.mean_last_52": 0.5, "waiting_list.mean_last_52": 3.0,
                         "unmet_need.mean_last_52": 0.2, "crisis_events.sum_last_52": 4.0})
    t = tp.tipping_table(pd.DataFrame(rows))
    assert list(t["scenario"]) == ["local_teams", "local_teams", "npm"]
    assert t["stress_y2"].tolist() == pytest.approx([0.1] * 3) and set(t["state"]) == {"rising"}
    assert "| npm | – | 0.8 |" in tp.markdown(t)
