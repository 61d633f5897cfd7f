"""Analysis: confidence intervals, twin-world differences, Sobol and Morris indices, figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hls_abm.sweep import load_results, load_series, run_sweep
from hls_abm.sweep.analysis import (
    analyse,
    ci_table,
    morris_indices,
    plot_fan,
    series_twin_difference,
    sobol_indices,
    twin_differences,
    twin_pairs,
)
from hls_abm.sweep_cli import main as cli

GRID = """
[experiment]
name = "tiny_grid"
steps = 20
replicates = 3
[parameters]
n_citizens = 200
warmup_weeks = 8
complex_share = [0.1, 0.6]
community_strength = [0.2, 0.8]
[outputs]
series = ["total_cost", "mean_wellbeing"]
[outputs.summaries]
total_cost = ["sum"]
mean_wellbeing = ["mean_last_10"]
[analysis]
fan_charts = ["total_cost"]
heatmap = { x = "complex_share", y = "community_strength", output = "total_cost.sum" }
"""

SOBOL = """
[experiment]
name = "tiny_sobol"
scenarios = ["npm", "local_teams"]
steps = 12
replicates = 1
[parameters]
n_citizens = 100
warmup_weeks = 8
complex_share = {low = 0.0, high = 0.8}
shock_rate = {low = 0.001, high = 0.05}
[design]
method = "sobol"
samples = 8
seed = 1
[outputs.summaries]
total_cost = ["sum"]
mean_wellbeing = ["final"]
"""


@pytest.fixture(scope="module")
def grid_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("grid") / "res"
    run_sweep(GRID, out=out, backend="serial", progress=False)
    return out


def test_ci_table_matches_t_interval(grid_dir):
    df = load_results(grid_dir)
    t = ci_table(df, ["total_cost.sum"])
    assert len(t) == 2 * 2 * 2  # scenario x complex x community
    row = t.iloc[0]
    sel = df[(df["scenario"] == row["scenario"]) & (df["complex_share"] == row["complex_share"])
             & (df["community_strength"] == row["community_strength"])]["total_cost.sum"]
    assert row["n"] == 3 and row["mean"] == pytest.approx(sel.mean())
    half = stats.t.ppf(0.975, 2) * sel.std() / np.sqrt(3)
    assert row["ci_low"] == pytest.approx(sel.mean() - half)
    assert row["ci_high"] == pytest.approx(sel.mean() + half)


def test_twin_differences_pair_same_seed_and_point(grid_dir):
    df = load_results(grid_dir)
    pairs = twin_pairs(df)
    assert len(pairs) == 4 * 3
    one = pairs.iloc[0]
    a = df[(df["point_id"] == one["point_id"]) & (df["seed"] == one["seed"])].set_index("scenario")
    assert one["total_cost.sum"] == a.loc["local_teams", "total_cost.sum"] - a.loc["npm", "total_cost.sum"]
    d = twin_differences(df)
    assert set(d["output"]) == {"total_cost.sum", "mean_wellbeing.mean_last_10"}
    assert len(d) == 4 * 2 and (d["n"] == 3).all()
    assert d["share_b_lower"].between(0, 1).all()
    np.testing.assert_allclose(d["mean"], d["mean_b"] - d["mean_a"], rtol=1e-9, atol=1e-9)


def test_series_twin_difference_and_fan(grid_dir, tmp_path):
    s = load_series(grid_dir)
    d = series_twin_difference(s, "total_cost", cumulative=True)
    assert len(d) == 4 * 3 * 20
    p = plot_fan(d, "total_cost", tmp_path / "fan.png", by="scenario")
    assert p.stat().st_size > 5000


def test_analyse_writes_tables_and_figures(grid_dir, tmp_path):
    out = tmp_path / "an"
    rc = cli(["analyse", str(grid_dir), "--out", str(out)])
    assert rc == 0
    names = {p.name for p in out.iterdir()}
    assert {"summary.csv", "twin_differences.csv", "heatmap.png", "fan_total_cost.png"} <= names
    assert any(n.startswith("line_") for n in names)
    for p in out.glob("*.png"):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = pd.read_csv(out / "summary.csv")
    assert {"scenario", "complex_share", "community_strength", "output", "mean", "ci_low", "ci_high"} <= set(summary)


@pytest.fixture(scope="module")
def sobol_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("sobol") / "res"
    run_sweep(SOBOL, out=out, backend="serial", progress=False)
    return out


def test_sobol_indices(sobol_dir):
    idx = sobol_indices(sobol_dir, "total_cost.sum", scenario="npm")
    assert list(idx.columns) == ["output", "target", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert set(idx["parameter"]) == {"complex_share", "shock_rate"}
    assert np.isfinite(idx[["S1", "ST", "S1_conf", "ST_conf"]].to_numpy()).all()
    diff = sobol_indices(sobol_dir, "total_cost.sum", difference=("npm", "local_teams"))
    assert diff["target"].iloc[0] == "local_teams - npm"
    with pytest.raises(ValueError, match="morris"):
        morris_indices(sobol_dir, "total_cost.sum")


def test_sobol_indices_same_seed_same_intervals(sobol_dir):
    """SALib treats a seed of 0 as no seed; ours must still give the same bootstrap intervals."""
    for seed in (0, 5):
        a = sobol_indices(sobol_dir, "total_cost.sum", scenario="npm", seed=seed, num_resamples=200)
        b = sobol_indices(sobol_dir, "total_cost.sum", scenario="npm", seed=seed, num_resamples=200)
        pd.testing.assert_frame_equal(a, b)
    other = sobol_indices(sobol_dir, "total_cost.sum", scenario="npm", seed=1, num_resamples=200)
    assert not np.allclose(other["S1_conf"], a["S1_conf"])  # the seed does reach the bootstrap


def test_analyse_sobol(sobol_dir, tmp_path):
    written = analyse(sobol_dir, out=tmp_path / "an", log=lambda *_: None)
    assert any(k.startswith("sobol_total_cost_sum_npm") for k in written)
    assert (tmp_path / "an" / "sobol_total_cost_sum_local_teams-minus-npm.png").exists()


def test_morris(tmp_path):
    spec = SOBOL.replace('method = "sobol"\nsamples = 8', 'method = "morris"\ntrajectories = 4').replace(
        'scenarios = ["npm", "local_teams"]', 'scenarios = ["npm"]')
    run_sweep(spec, out=tmp_path / "m", backend="serial", progress=False)
    idx = morris_indices(tmp_path / "m", "total_cost.sum")
    assert set(idx.columns) >= {"parameter", "mu", "mu_star", "sigma", "mu_star_conf"}
    assert (idx["mu_star"] >= 0).all()
    written = analyse(tmp_path / "m", log=lambda *_: None)
    assert any(str(p).endswith(".png") and "morris" in str(p) for p in written.values())


def test_incomplete_sobol_design_is_reported(sobol_dir, tmp_path):
    import shutil

    import pyarrow.parquet as pq

    out = tmp_path / "cut"
    shutil.copytree(sobol_dir, out)
    [f] = list((out / "runs").glob("part-*.parquet"))
    pq.write_table(pq.read_table(f).slice(0, 10), f)
    with pytest.raises(ValueError, match="no successful run"):
        sobol_indices(out, "total_cost.sum")


def test_lhs_tornado(tmp_path):
    spec = SOBOL.replace('method = "sobol"\nsamples = 8', 'method = "lhs"\nsamples = 12').replace(
        'scenarios = ["npm", "local_teams"]', 'scenarios = ["local_teams"]')
    run_sweep(spec, out=tmp_path / "l", backend="serial", progress=False)
    written = analyse(tmp_path / "l", log=lambda *_: None)
    assert written["tornado"].stat().st_size > 5000
    from hls_abm.sweep.analysis import tornado_table

    t = tornado_table(load_results(tmp_path / "l"), "total_cost.sum")
    assert set(t["factor"]) == {"complex_share", "shock_rate"}
