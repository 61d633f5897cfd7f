"""Scenario discovery (PRIM, EMA Workbench) over twin pairs: the outcome rules, PRIM finding a
planted box, a tiny real sweep through the CLI, and bad inputs (one-line errors, exit code 2,
nothing already written lost)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hls_abm.cli import main as cli
from hls_abm.sweep import run_sweep
from hls_abm.sweep.discovery import (
    COST,
    MIN_PAIRS,
    OUTCOMES,
    WELLBEING,
    DiscoveryError,
    discover,
    discovery_pairs,
    parse_outcome,
)

ROOT = Path(__file__).resolve().parents[1]

TINY = """
[experiment]
name = "tiny_discovery"
scenarios = ["npm", "local_teams"]
steps = 8
replicates = 2
seed = 5
[parameters]
n_citizens = 40
warmup_weeks = 0
complex_share = { low = 0.0, high = 0.6 }
community_strength = { low = 0.1, high = 0.9 }
budget_factor = { low = 0.6, high = 1.4 }
[design]
method = "lhs"
samples = 10
seed = 2
[outputs.summaries]
total_cost = ["sum"]
mean_wellbeing = ["mean_last_4"]
"""
# EMA Workbench's PRIM spends its time in pandas bookkeeping per peeling step (about 0.1 s a
# step here), not per data point: the default-suite tests peel in steps of 10% (peel_alpha=0.1).
FAST = {"peel_alpha": 0.1}


# --- synthetic twin pairs with a planted box ------------------------------------------------


def synthetic(n_points=300, seeds=(1, 2), noise=0.05, rng=0, scenarios=("npm", "local_teams")) -> pd.DataFrame:
    """Twin pairs where local teams win (cheaper and better) inside complex_share > 0.3 and
    community_strength > 0.5, NPM wins outside; ``noise`` of the pairs are flipped."""
    g = np.random.default_rng(rng)
    x = pd.DataFrame({"complex_share": g.uniform(0, 0.6, n_points), "community_strength": g.uniform(0, 1, n_points),
                      "budget_factor": g.uniform(0.6, 1.4, n_points), "noise": g.uniform(0, 1, n_points)})
    inside = ((x["complex_share"] > 0.3) & (x["community_strength"] > 0.5)).to_numpy()
    rows = []
    for i in range(n_points):
        for seed in seeds:
            win = inside[i] != (g.uniform() < noise)
            cost = 1e6 * (1 + g.normal(0, 0.01))
            worlds = {"npm": (cost, 0.5), "local_teams": (cost * (0.9 if win else 1.1), 0.52 if win else 0.48)}
            for s in scenarios:
                rows.append({"scenario": s, "point_id": i, "seed": seed, "status": "ok", **x.iloc[i].to_dict(),
                             COST: worlds[s][0], WELLBEING: worlds[s][1]})
    df = pd.DataFrame(rows)
    df.attrs["factors"] = list(x.columns)
    return df


@pytest.mark.parametrize("rng,kw", [(0, FAST), pytest.param(1, {}, marks=pytest.mark.slow),
                                    pytest.param(2, {}, marks=pytest.mark.slow)])
def test_prim_finds_the_planted_box(rng, kw):
    d = discover(synthetic(n_points=150 if kw else 300, rng=rng), **kw)
    local = [b for b in d.boxes if b.winner == "local_teams"]
    assert len(local) == 1
    box = local[0]
    lim = box.limits.set_index("parameter")
    assert set(lim.index) == {"complex_share", "community_strength"}, box.describe()
    assert abs(lim.loc["complex_share", "low"] - 0.3) < 0.06 and lim.loc["complex_share", "high"] > 0.55
    assert abs(lim.loc["community_strength", "low"] - 0.5) < 0.1 and lim.loc["community_strength", "high"] > 0.85
    assert box.density >= 0.8 and box.coverage >= 0.75
    assert (lim[["qp_low"]].to_numpy() < 1e-3).all()  # both restrictions matter
    assert 0.2 < d.base_rate("local_teams") < 0.35 and abs(box.mass - box.n / len(d.pairs)) < 1e-12
    assert any(b.winner == "npm" for b in d.boxes)  # NPM wins outside: not a box, but PRIM reports its best one


def test_insignificant_restrictions_are_dropped_while_the_density_holds():
    """Each restriction left in a box matters (quasi-p <= 0.05), or dropping it was tried and
    lost density; with max_qp=None PRIM's box is kept as peeled."""
    df = synthetic(n_points=150, rng=5, noise=0.1)
    kept = discover(df, max_qp=None, **FAST)
    d = discover(df, **FAST)
    traj = d.trajectory_table()
    for bx in d.boxes:
        assert set(bx.restricted) <= set(next(k for k in kept.boxes if k.winner == bx.winner).restricted)
        assert bx.density >= d.min_density
        t = traj[(traj["winner"] == bx.winner) & (traj["box"] == bx.number)]
        tried = set(t["step"].str.removeprefix("drop ")) - {"peel"}
        for r in bx.limits.itertuples():
            assert np.nanmin([r.qp_low, r.qp_high]) <= 0.05 or r.parameter in tried, bx.describe()
    assert kept.max_qp is None and "quasi-p > 0.05 dropped" in d.markdown()


def test_no_signal_no_box():
    """Winning at random (no parameter matters): with a high bar on density, no box is claimed."""
    df = synthetic(noise=0.5, rng=3)
    d = discover(df, min_density=0.95, **FAST)
    assert not d.boxes and set(d.misses) == {"local_teams", "npm"}
    assert "reaches density 0.95" in d.misses["local_teams"]


def test_discovery_is_deterministic():
    df = synthetic(n_points=80, rng=4)
    pd.testing.assert_frame_equal(discover(df, **FAST).table(), discover(df, **FAST).table())


# --- outcome rules ---------------------------------------------------------------------------


def _pairs_frame(values: dict) -> pd.DataFrame:
    """One design point per entry of ``values``: {COST: (npm, local), WELLBEING: (npm, local), ...}."""
    n = len(next(iter(values.values())))
    rows = []
    for i in range(n):
        for j, s in enumerate(("npm", "local_teams")):
            rows.append({"scenario": s, "point_id": i, "seed": 1, "status": "ok", "complex_share": i / n,
                         **{c: v[i][j] for c, v in values.items()}})
    df = pd.DataFrame(rows)
    df.attrs["factors"] = ["complex_share"]
    return df


def test_outcome_rules():
    # pairs: (cost npm, cost local), (wellbeing npm, wellbeing local), crises (npm, local)
    cost = [(100, 90), (100, 90), (100, 110), (100, 96), (100, 100)]
    wb = [(0.5, 0.6), (0.5, 0.4), (0.5, 0.6), (0.5, 0.5), (0.5, 0.5)]
    crises = [(10, 5), (10, 9), (10, 12), (10, 10), (10, 10)]
    df = _pairs_frame({COST: cost, WELLBEING: wb, "crisis_events.sum": crises})

    def wins(name, threshold=None):
        p = discovery_pairs(df, parse_outcome(name, threshold), min_pairs=1)
        return p["wins|local_teams"].tolist(), p["wins|npm"].tolist()

    assert wins("dominates") == ([True, False, False, True, False], [False, False, False, False, False])
    assert wins("cheaper") == ([True, True, False, True, False], [False, False, True, False, False])
    assert wins("cheaper", 0.95) == ([True, True, False, False, False], [False, False, True, False, False])
    assert wins("better") == ([True, False, True, False, False], [False, True, False, False, False])
    assert wins("better", 0.05) == ([True, False, True, False, False], [False, True, False, False, False])
    # cost per unit of wellbeing: 90/0.6=150 vs 200; 90/0.4=225 vs 200; 110/0.6=183 vs 200; 96/0.5 vs 100/0.5
    assert wins("cost_per_wellbeing") == ([True, False, True, True, False], [False, True, False, False, False])
    assert wins("lower:crisis_events.sum") == ([True, True, False, False, False], [False, False, True, False, False])
    assert wins("lower:crisis_events.sum", 2) == ([True, False, False, False, False], [False, False, False, False, False])
    assert wins("higher:crisis_events.sum")[0] == [False, False, True, False, False]


def test_every_named_outcome_parses_with_its_default():
    for name in OUTCOMES:
        o = parse_outcome(name.replace("COLUMN", COST))
        assert o.threshold == (1.0 if name in ("dominates", "cheaper", "cost_per_wellbeing") else 0.0)
        assert o.describe("local_teams", "npm")


@pytest.mark.parametrize("name,threshold,match", [
    ("cheapest", None, r"^outcome='cheapest' is unknown: expected one of dominates, cheaper, better, "
                       r"cost_per_wellbeing, lower:COLUMN, higher:COLUMN$"),
    ("lower:", None, r"^outcome='lower:' is unknown"),
    ("cheaper:total_cost.sum", None, r"^outcome='cheaper:total_cost.sum' is unknown"),
    ("cheaper", 0, r"^threshold=0 is not allowed for outcome 'cheaper': expected a ratio > 0 \(default 1\)$"),
    ("dominates", float("nan"), r"^threshold=nan is not allowed for outcome 'dominates'"),
    ("better", "much", r"^threshold='much' is not allowed for outcome 'better': expected a finite number"),
])
def test_bad_outcome(name, threshold, match):
    with pytest.raises(DiscoveryError, match=match):
        parse_outcome(name, threshold)


def test_bad_frames():
    df = synthetic(n_points=40, seeds=(1,))
    with pytest.raises(DiscoveryError, match=r"^scenarios: discovery compares 'npm' and 'local_teams' on the same "
                                             r"seeds, but this store has no successful runs of 'local_teams'"):
        discover(df[df["scenario"] == "npm"])
    with pytest.raises(DiscoveryError, match=rf"^runs: PRIM needs at least {MIN_PAIRS} paired .* has 12: run a bigger"):
        discover(df[df["point_id"] < 12])
    with pytest.raises(DiscoveryError, match=r"^outcome 'lower:crisis_events.sum' needs the summary output "
                                             r"'crisis_events.sum', which this sweep did not keep; its outputs: "):
        discover(df, "lower:crisis_events.sum")
    with pytest.raises(DiscoveryError, match=r"^factors: PRIM needs at least one swept numeric parameter"):
        discover(df, factors=[])
    for kw, msg in [({"min_density": 0}, r"^min_density=0 is not allowed: expected a number in \(0.0, 1.0\]$"),
                    ({"max_boxes": 0}, r"^max_boxes=0 is not allowed: expected an integer >= 1$"),
                    ({"peel_alpha": 0.9}, r"^peel_alpha=0.9 is not allowed"),
                    ({"max_qp": 0}, r"^max_qp=0 is not allowed: expected a number in \(0, 1\], or None$")]:
        with pytest.raises(DiscoveryError, match=msg):
            discover(df, **kw)


# --- a tiny real sweep, end to end through the CLI -------------------------------------------


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("disc") / "tiny"
    run_sweep(TINY, out=out, backend="serial", progress=False, load=False)
    return out


def test_cli_discover_end_to_end(tiny_dir, capsys):
    rc = cli(["analyse", str(tiny_dir), "--discover", "--outcome", "cheaper", "--min-density", "0.7"])
    assert rc == 0, capsys.readouterr().err
    an = tiny_dir / "analysis"
    table = pd.read_csv(an / "discovery_cheaper.csv")
    assert set(table["winner"]) <= {"local_teams", "npm"} and len(table) >= 1
    assert (table["density"] >= 0.7).all() and table["coverage"].between(0, 1).all()
    assert set(table["parameter"].dropna()) <= {"complex_share", "community_strength", "budget_factor"}
    pairs = pd.read_csv(an / "discovery_cheaper_pairs.csv")
    assert len(pairs) == 20 and not (pairs["wins|local_teams"] & pairs["wins|npm"]).any()
    assert (an / "discovery_cheaper.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "### Local teams win" in (an / "discovery_cheaper.md").read_text()
    assert len(pd.read_csv(an / "discovery_cheaper_trajectory.csv")) >= 1
    assert "coverage" in capsys.readouterr().out
    assert not list(an.glob(".*tmp*"))


def _files(d: Path) -> dict:
    return {p.name: p.read_bytes() for p in d.iterdir()} if d.exists() else {}


@pytest.mark.parametrize("argv,match", [
    (["--discover", "--outcome", "bogus"], "outcome='bogus' is unknown: expected one of dominates, cheaper"),
    (["--discover", "--outcome", "cheaper", "--threshold", "-1"], "threshold=-1.0 is not allowed for outcome"),
    (["--discover", "--outcome", "lower:nope.sum"], "needs the summary output 'nope.sum'"),
    (["--discover", "--min-density", "1.5"], "min_density=1.5 is not allowed: expected a number in (0.0, 1.0]"),
    (["--discover", "--outcome", f"higher:{COST}", "--threshold", "1e15"],
     "no box found for either system (Local teams: Local teams won none of the 20 pairs; NPM: NPM won none"),
    (["--outcome", "cheaper"], "--outcome needs --discover"),
    (["--threshold", "2", "--boxes", "2"], "--threshold, --boxes need --discover"),
])
def test_cli_bad_inputs_exit_2_and_keep_files(tiny_dir, capsys, argv, match):
    an = tiny_dir / "analysis"
    before = _files(an)
    assert cli(["analyse", str(tiny_dir), *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("hls-abm: error: ") and match in err, err
    assert _files(an) == before


def test_cli_stores_without_both_systems_or_too_few_runs(tmp_path, capsys):
    npm_only = TINY.replace('scenarios = ["npm", "local_teams"]', 'scenarios = ["npm"]').replace(
        "samples = 10", "samples = 3").replace("replicates = 2", "replicates = 1")
    run_sweep(npm_only, out=tmp_path / "npm", backend="serial", progress=False, load=False)
    assert cli(["analyse", str(tmp_path / "npm"), "--discover"]) == 2
    assert "has no successful runs of 'local_teams' (it has ['npm'])" in capsys.readouterr().err
    few = TINY.replace("samples = 10", "samples = 3").replace("replicates = 2", "replicates = 1")
    run_sweep(few, out=tmp_path / "few", backend="serial", progress=False, load=False)
    assert cli(["analyse", str(tmp_path / "few"), "--discover", "--outcome", "cheaper"]) == 2
    assert f"PRIM needs at least {MIN_PAIRS} paired (design point, seed) runs" in capsys.readouterr().err
    assert cli(["analyse", str(tmp_path / "nothing"), "--discover"]) == 2
    assert "is not a sweep results directory" in capsys.readouterr().err
    assert not (tmp_path / "npm" / "analysis").exists() and not (tmp_path / "few" / "analysis").exists()


# --- the example experiment ------------------------------------------------------------------


def test_example_sweeps_every_assumed_effect_and_the_context():
    """experiments/scenario_discovery.toml varies every size that differs between the systems and is
    not a published number (what the 'structural' assumption set neutralises), and the context."""
    from hls_abm.differences import DIFFERENCES

    spec = tomllib.loads((ROOT / "experiments" / "scenario_discovery.toml").read_text())
    swept = {k for k, v in spec["parameters"].items() if isinstance(v, dict)}
    effects = {n for d in DIFFERENCES if not d.structural and d.tier in ("direction", "assumption")
               for n in (*d.npm, *d.local)}
    assert swept == effects | {"complex_share", "community_strength", "budget_factor"}, (
        f"missing: {sorted(effects - swept)}; not an assumed effect: {sorted(swept - effects)}")
    sys.path.insert(0, str(ROOT / "experiments"))
    try:
        from _common import quick_spec
    finally:
        sys.path.pop(0)
    from hls_abm.sweep import parse_spec, plan_runs

    quick = parse_spec(quick_spec(spec))
    assert len({r["point_id"] for r in plan_runs(quick)}) * len(quick.seeds) >= MIN_PAIRS
