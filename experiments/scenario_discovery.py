"""Scenario discovery: under which conditions does each service system win?

    python experiments/scenario_discovery.py [--quick] [--dask-local 2]

Runs (or resumes) the sweep of experiments/scenario_discovery.toml, then PRIM (EMA
Workbench) on its twin pairs with three outcomes: ``dominates`` (cheaper over 5 years and
year-5 wellbeing no worse: the default of ``hls-abm analyse --discover``), ``cheaper``, and
``cheaper`` at threshold 0.7 (at least 30% cheaper). Writes into the results directory
scenario_discovery.png (for ``cheaper``: PRIM's peeling trajectories and the chosen boxes'
limits, for local teams and for NPM), scenario_discovery.csv (every box and restricting
parameter of the three outcomes) and scenario_discovery.md (the three readable reports).
Other outcomes and thresholds: hls-abm analyse results/scenario_discovery --discover --outcome ...
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from _common import main, save_outputs

from hls_abm.sweep import load_results
from hls_abm.sweep.discovery import discover

NAME = "scenario_discovery"
OUTCOMES = [("dominates", None), ("cheaper", None), ("cheaper", 0.7)]
FIGURE = ("cheaper", None)  # the outcome drawn: both systems win somewhere


def figure(out: Path):
    df = load_results(out, status="ok")
    found = {key: discover(df, *key) for key in OUTCOMES}
    report = "\n".join(d.markdown() for d in found.values())
    (Path(out) / f"{NAME}.md").write_text(report, encoding="utf-8")
    print(report)
    table = pd.concat([d.table() for d in found.values()], ignore_index=True)
    return save_outputs(out, NAME, found[FIGURE].plot(), table)


if __name__ == "__main__":
    sys.exit(main(NAME, figure))
