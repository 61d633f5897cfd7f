"""Experiment specs: validation before anything runs; bad specs give clear errors and no output."""

from __future__ import annotations

import textwrap

import pytest

from hls_abm.sweep import SpecError, parse_spec, plan_runs
from hls_abm.sweep.design import design_points
from hls_abm.sweep_cli import main as cli

GOOD = """
[experiment]
name = "tiny"
steps = 20
replicates = 2
[parameters]
n_citizens = 200
complex_share = [0.1, 0.5]
[outputs]
series = ["total_cost"]
[outputs.summaries]
total_cost = ["sum", "mean_last_10"]
mean_wellbeing = ["final"]
"""


def spec_text(**sections) -> str:
    """GOOD with some lines replaced: pass section -> new text."""
    return textwrap.dedent(sections.get("text", GOOD))


def test_good_spec_plan():
    spec = parse_spec(GOOD)
    runs = plan_runs(spec)
    assert len(runs) == 2 * 2 * 2  # points x scenarios x seeds
    assert {r["scenario"] for r in runs} == {"npm", "local_teams"}
    assert spec.outputs.summary_columns() == ["total_cost.sum", "total_cost.mean_last_10", "mean_wellbeing.final"]
    # run ids are deterministic and distinct
    assert [r["run_id"] for r in runs] == [r["run_id"] for r in plan_runs(parse_spec(GOOD))]
    assert len({r["run_id"] for r in runs}) == len(runs)
    # twin runs share the point id
    pairs = {}
    for r in runs:
        pairs.setdefault((r["point_id"], r["seed"]), set()).add(r["scenario"])
    assert all(v == {"npm", "local_teams"} for v in pairs.values())


def test_run_id_depends_on_everything_that_decides_the_numbers():
    base = plan_runs(parse_spec(GOOD))[0]["run_id"]
    other_steps = plan_runs(parse_spec(GOOD.replace("steps = 20", "steps = 21")))[0]["run_id"]
    other_seed = plan_runs(parse_spec(GOOD.replace("replicates = 2", "replicates = 2\nseed = 5")))[0]["run_id"]
    lever = GOOD + '\n[[levers]]\nname = "budget_cut"\nweek = 5\npercent = 10\n'
    other_lever = plan_runs(parse_spec(lever))[0]["run_id"]
    other_param = plan_runs(parse_spec(GOOD.replace("n_citizens = 200", "n_citizens = 201")))[0]["run_id"]
    assert len({base, other_steps, other_seed, other_lever, other_param}) == 5


def test_grid_range_and_lever_factors():
    text = GOOD.replace("complex_share = [0.1, 0.5]", "complex_share = {low = 0.0, high = 0.6, num = 4}")
    text += '\n[[levers]]\nname = "budget_cut"\nweek = [5, 10]\npercent = [0, 20]\nscenarios = ["npm"]\n'
    spec = parse_spec(text)
    assert [f.name for f in spec.factors] == ["complex_share", "budget_cut.week", "budget_cut.percent"]
    pts = design_points(spec)
    assert len(pts) == 4 * 2 * 2
    runs = plan_runs(spec)
    npm = [r for r in runs if r["scenario"] == "npm"]
    assert all(r["levers"] and r["levers"][0][1] == "budget_cut" for r in npm)
    # local_teams runs have no lever, so runs for different lever values coincide (run once, shared)
    lt = [r for r in runs if r["scenario"] == "local_teams"]
    assert all(r["levers"] == [] for r in lt)
    assert len({r["run_id"] for r in lt}) == 4 * 2


@pytest.mark.parametrize("method,extra,n", [
    ("lhs", "samples = 10", 10),
    ("sobol", "samples = 8", 8 * (2 + 2)),
    ("morris", "trajectories = 3", 3 * (2 + 1)),
])
def test_sampled_designs(method, extra, n):
    text = GOOD.replace("complex_share = [0.1, 0.5]",
                        "complex_share = {low = 0.0, high = 0.6}\nentrenchment_weeks = {low = 4, high = 52}")
    text += f'\n[design]\nmethod = "{method}"\n{extra}\nseed = 3\n'
    spec = parse_spec(text)
    pts = design_points(spec)
    assert len(pts) == n
    assert all(isinstance(p["entrenchment_weeks"], int) for p in pts)
    assert all(0.0 <= p["complex_share"] <= 0.6 for p in pts)
    assert design_points(parse_spec(text)) == pts  # seeded


BAD = [
    # (name, transformation of GOOD, words the message must contain)
    ("unknown parameter", lambda t: t.replace("n_citizens = 200", "n_citizens = 200\nbogus_param = 1"),
     ["parameters.bogus_param", "unknown parameter", "complex_share"]),
    ("value out of range", lambda t: t.replace("[0.1, 0.5]", "[0.1, 1.5]"),
     ["parameters.complex_share", "1.5", "[0.0, 1.0]"]),
    ("range out of range", lambda t: t.replace("[0.1, 0.5]", "{low = -0.2, high = 0.5, num = 3}"),
     ["parameters.complex_share.low", "[0.0, 1.0]"]),
    ("empty design: empty values", lambda t: t.replace("[0.1, 0.5]", "[]"),
     ["parameters.complex_share", "empty", "no runs"]),
    ("empty design: no scenarios", lambda t: t.replace('name = "tiny"', 'name = "tiny"\nscenarios = []'),
     ["experiment.scenarios", "empty"]),
    ("empty design: zero replicates", lambda t: t.replace("replicates = 2", "replicates = 0"),
     ["experiment.replicates", "empty"]),
    ("empty design: sampler without ranges",
     lambda t: t.replace("complex_share = [0.1, 0.5]", "") + '\n[design]\nmethod = "lhs"\nsamples = 4\n',
     ["design.method", "range", "empty design"]),
    ("unknown sampler", lambda t: t + '\n[design]\nmethod = "halton"\n',
     ["design.method", "halton", "'grid', 'lhs', 'sobol', 'morris'"]),
    ("bad TOML", lambda t: t.replace("steps = 20", "steps = = 20"), ["not valid TOML", "line"]),
    ("unknown scenario", lambda t: t.replace('name = "tiny"', 'name = "tiny"\nscenarios = ["npm", "utopia"]'),
     ["experiment.scenarios", "utopia", "local_teams"]),
    ("sobol N not a power of 2",
     lambda t: t.replace("[0.1, 0.5]", "{low = 0.1, high = 0.5}") + '\n[design]\nmethod = "sobol"\nsamples = 10\n',
     ["design.samples", "power of 2"]),
    ("list in a sampled design",
     lambda t: t + '\n[design]\nmethod = "lhs"\nsamples = 4\n', ["parameters.complex_share", "grid"]),
    ("grid range without num", lambda t: t.replace("[0.1, 0.5]", "{low = 0.1, high = 0.5}"),
     ["parameters.complex_share.num"]),
    ("unknown output", lambda t: t.replace('series = ["total_cost"]', 'series = ["happiness"]'),
     ["outputs.series", "happiness", "total_cost"]),
    ("unknown statistic", lambda t: t.replace('"sum", "mean_last_10"', '"sum", "average"'),
     ["outputs.summaries.total_cost", "average", "mean_last_N"]),
    ("window longer than the run", lambda t: t.replace("mean_last_10", "mean_last_52"),
     ["outputs.summaries.total_cost", "mean_last_52"]),
    ("unknown lever", lambda t: t + '\n[[levers]]\nname = "abolish_silos"\nweek = 3\n',
     ["levers[0].name", "abolish_silos", "budget_cut"]),
    ("lever argument out of range", lambda t: t + '\n[[levers]]\nname = "budget_cut"\nweek = 3\npercent = 150\n',
     ["levers[0]", "percent", "150"]),
    ("lever week after the run", lambda t: t + '\n[[levers]]\nname = "budget_cut"\nweek = 20\npercent = 10\n',
     ["levers[0].week", "[0, 19]"]),
    ("unknown lever argument", lambda t: t + '\n[[levers]]\nname = "budget_cut"\nweek = 3\npct = 10\n',
     ["levers[0].pct", "percent"]),
    ("unknown table", lambda t: t + "\n[experimnt]\nx = 1\n", ["experimnt", "allowed keys"]),
    ("unknown experiment key", lambda t: t.replace("replicates = 2", "replicates = 2\nrepeats = 3"),
     ["experiment", "repeats"]),
    ("missing steps", lambda t: t.replace("steps = 20\n", ""), ["experiment.steps", "missing"]),
    ("scenario-dependent check", lambda t: t.replace("complex_share = [0.1, 0.5]", 'system = ["npm", "bazaar"]'),
     ["parameters.system", "bazaar", "'npm', 'local_teams'"]),
]


@pytest.mark.parametrize("name,transform,words", BAD, ids=[b[0] for b in BAD])
def test_bad_specs_clear_error(name, transform, words):
    with pytest.raises(SpecError) as exc:
        parse_spec(transform(GOOD))
    msg = str(exc.value)
    for w in words:
        assert w in msg, f"{name}: {w!r} not in {msg!r}"


@pytest.mark.parametrize("name,transform,words", [b for b in BAD if b[0] in (
    "unknown parameter", "value out of range", "empty design: empty values", "unknown sampler", "bad TOML")],
    ids=lambda x: x if isinstance(x, str) else "")
def test_bad_spec_cli_writes_nothing(tmp_path, capsys, name, transform, words):
    spec = tmp_path / "bad.toml"
    spec.write_text(transform(GOOD))
    out = tmp_path / "results"
    rc = cli(["sweep", str(spec), "--out", str(out), "--backend", "serial", "--no-progress"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "error" in err and words[0] in err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_missing_spec_file(tmp_path, capsys):
    rc = cli(["sweep", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "o")])
    assert rc == 2 and "does not exist" in capsys.readouterr().err


def test_check_only(tmp_path, capsys):
    spec = tmp_path / "good.toml"
    spec.write_text(GOOD)
    assert cli(["sweep", str(spec), "--out", str(tmp_path / "o"), "--check"]) == 0
    assert "8 run(s)" in capsys.readouterr().out
    assert not (tmp_path / "o").exists()


def test_spec_from_dict_roundtrip():
    import tomllib

    spec = parse_spec(tomllib.loads(GOOD))
    again = parse_spec(spec.source_text)
    assert again.identity_hash() == spec.identity_hash()


def test_hooked_into_the_main_cli(tmp_path, capsys):
    """`hls-abm sweep` / `hls-abm analyse` exist in the package's main command line."""
    from hls_abm.cli import main as hls_abm_main

    spec = tmp_path / "good.toml"
    spec.write_text(GOOD)
    assert hls_abm_main(["sweep", str(spec), "--check"]) == 0
    assert "8 run(s)" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace("[0.1, 0.5]", "[0.1, 7]"))
    assert hls_abm_main(["sweep", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "parameters.complex_share" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


# --- the house: one shrinker, one column list, model keywords, no import cycles


def test_default_summaries_cover_every_model_column():
    """Without [outputs.summaries] every column the model collects is summarised (no stale copy)."""
    from hls_abm import OUTPUT_COLUMNS

    spec = parse_spec(GOOD.split("[outputs]")[0])
    assert tuple(spec.outputs.summaries) == tuple(OUTPUT_COLUMNS)
    assert spec.outputs.summaries["handoffs_lost"] == ("mean", "final")
    assert spec.outputs.summaries["cost_investment"] == ("mean", "final", "sum")


@pytest.mark.parametrize("name", ["complexity_crossover", "sobol_drivers", "cuts_paradox"])
def test_shrink_spec_gives_the_quick_specs(name):
    import sys
    import tomllib
    from pathlib import Path

    from hls_abm.sweep import shrink_spec

    root = Path(__file__).resolve().parents[1] / "experiments"
    sys.path.insert(0, str(root))
    try:
        from _common import quick_spec
    finally:
        sys.path.pop(0)
    raw = tomllib.loads((root / f"{name}.toml").read_text())
    mine = shrink_spec(raw, suffix="-quick", parameters={"n_citizens": 300},
                       max_samples={"sobol": 8, "lhs": 10, "morris": 4})
    assert mine == quick_spec(raw)
    assert raw == tomllib.loads((root / f"{name}.toml").read_text())  # the original is untouched


def test_shrink_spec_options():
    import tomllib

    from hls_abm.sweep import shrink_spec

    raw = tomllib.loads(GOOD.replace("replicates = 2", "seeds = [4, 9, 11, 30]") + "\n[analysis]\nconf = 0.9\n")
    small = shrink_spec(raw, replicates=2)
    assert small["experiment"]["seeds"] == [4, 9] and small["experiment"]["name"] == "tiny-small"
    reset = shrink_spec(raw, reset_seeds=True, steps=12, scenarios=["npm"], parameters={"complex_share": [0.2]},
                        series=False, analysis=False)
    spec = parse_spec(reset)
    assert spec.seeds == (0, 1, 2) and spec.steps == 12 and spec.scenarios == ("npm",)
    assert spec.outputs.series == () and spec.analysis == {} and spec.factors[0].values == (0.2,)
    assert len(plan_runs(spec)) == 3


def test_model_keyword_is_a_factor(monkeypatch):
    """A model keyword with a choice set (issue 9's ``assumptions``) is one entry in plan.MODEL_KEYWORDS."""
    from hls_abm.sweep import plan

    monkeypatch.setitem(plan.MODEL_KEYWORDS, "assumptions",
                        plan.Choice("assumptions", ("structural", "evidence", "claims")))
    spec = parse_spec(GOOD.replace("complex_share = [0.1, 0.5]", 'assumptions = ["structural", "claims"]'))
    runs = plan_runs(spec)
    assert [f.name for f in spec.factors] == ["assumptions"]
    assert {r["params"]["assumptions"] for r in runs} == {"structural", "claims"}
    assert len({r["run_id"] for r in runs}) == len(runs) == 8  # the keyword decides the numbers
    with pytest.raises(SpecError, match=r"parameters.assumptions\[1\]: .*'structural', 'evidence', 'claims'"):
        parse_spec(GOOD.replace("complex_share = [0.1, 0.5]", 'assumptions = ["structural", "hunches"]'))


def test_model_must_be_hls_model():
    with pytest.raises(SpecError, match="experiment.model: 'collections:OrderedDict' is not allowed"):
        parse_spec(GOOD.replace('name = "tiny"', 'name = "tiny"\nmodel = "collections:OrderedDict"'))
    with pytest.raises(SpecError, match="experiment.model: cannot import"):
        parse_spec(GOOD.replace('name = "tiny"', 'name = "tiny"\nmodel = "no_such_module:Model"'))


def test_sweep_package_imports_one_way():
    """No import cycle among the sweep modules, counting imports inside functions too."""
    import ast
    from pathlib import Path

    import hls_abm.sweep as pkg

    here = Path(pkg.__file__).parent
    edges = {}
    for f in here.glob("*.py"):
        if f.stem == "__init__":
            continue
        mods = set()
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
                mods.add(node.module.split(".")[0])
        edges[f.stem] = mods
    state: dict = {}

    def visit(m, path):
        if state.get(m) == "done":
            return
        assert state.get(m) != "open", f"import cycle: {' -> '.join(path + [m])}"
        state[m] = "open"
        for n in edges.get(m, ()):
            visit(n, path + [m])
        state[m] = "done"

    for m in edges:
        visit(m, [])
    assert "plan" in edges["spec"] and "plan" in edges["runner"] and "runner" not in edges["spec"]
