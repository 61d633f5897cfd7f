"""The example experiments: every spec is valid; (slow) each runs in --quick mode and
writes its figure and table."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from hls_abm.sweep import parse_spec, plan_runs

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = sorted(p.stem for p in (ROOT / "experiments").glob("*.toml"))


def test_the_five_examples_exist():
    assert set(EXPERIMENTS) >= {"complexity_crossover", "cuts_paradox", "threshold_paradox", "transition_jcurve",
                                "sobol_drivers"}
    for name in EXPERIMENTS:
        assert (ROOT / "experiments" / f"{name}.py").exists(), f"{name}.toml has no {name}.py"


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_spec_valid(name):
    spec = parse_spec((ROOT / "experiments" / f"{name}.toml").read_text(), source_path=f"{name}.toml")
    assert spec.name == name
    assert plan_runs(spec)


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_quick_spec_valid(name):
    sys.path.insert(0, str(ROOT / "experiments"))
    try:
        from _common import quick_spec
    finally:
        sys.path.pop(0)
    spec = quick_spec(tomllib.loads((ROOT / "experiments" / f"{name}.toml").read_text()))
    assert plan_runs(parse_spec(spec))


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPERIMENTS)
def test_quick_run_writes_figure_and_table(name, tmp_path):
    out = tmp_path / name
    proc = subprocess.run([sys.executable, str(ROOT / "experiments" / f"{name}.py"), "--quick", "--out", str(out),
                           "--no-progress"], capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    png, csv = out / f"{name}.png", out / f"{name}.csv"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    assert len(csv.read_text().splitlines()) > 2
