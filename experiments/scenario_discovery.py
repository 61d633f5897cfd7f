"""Scenario discovery: under which conditions does each service system win?

    python experiments/scenario_discovery.py [--quick] [--dask-local 2]

Runs (or resumes) the sweep of experiments/scenario_discovery.toml, then PRIM (EMA
Workbench) on its twin pairs with the default outcome: a system wins a (point, seed) pair
when its 5-year total cost is lower and its year-5 mean wellbeing no worse. Writes
results/scenario_discovery/scenario_discovery.png (PRIM's peeling trajectories and the
chosen boxes' limits, for local teams and for NPM), scenario_discovery.csv (one row per
box and restricting parameter) and scenario_discovery.md (the readable report).
Other outcomes and thresholds: hls-abm analyse results/scenario_discovery --discover --outcome ...
"""

from __future__ import annotations

import sys
from pathlib import Path

from _common import main, save_outputs

from hls_abm.sweep.discovery import discover

NAME = "scenario_discovery"


def figure(out: Path):
    d = discover(out)
    fig = d.plot()
    report = d.markdown()
    (Path(out) / f"{NAME}.md").write_text(report, encoding="utf-8")
    print(report)
    return save_outputs(out, NAME, fig, d.table())


if __name__ == "__main__":
    sys.exit(main(NAME, figure))
