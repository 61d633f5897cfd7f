"""The validation under each assumption set (issue 9 item 8): ``run.py --assumptions``.

The set reaches every run of a pattern (the sweeps through their spec, the direct runs through
``HLSModel(assumptions=)``), runs under different sets are stored apart, a pattern's own values win
over the set's, and ``all`` writes the table of verdicts by set. A few seconds in all.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "experiments" / "validation"))

import patterns as V  # noqa: E402
import run as R  # noqa: E402


def test_sets_are_the_models():
    from hls_abm.differences import ASSUMPTION_SETS

    assert V.SETS == tuple(ASSUMPTION_SETS) == ("structural", "evidence", "claims")


@pytest.mark.parametrize("bad", ["foo", "Claims", ""])
def test_unknown_set_is_a_one_line_error(bad, capsys):
    assert R.main(["--assumptions", bad, "--list"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert "--assumptions" in err and repr(bad) in err
    assert "structural, evidence, claims, all" in err


def test_run_pattern_rejects_an_unknown_set(tmp_path):
    with pytest.raises(ValueError, match=r"assumptions='nope' is not allowed: expected one of structural, evidence, "
                                         r"claims"):
        V.run_pattern("p10_cost_concentration", "small", tmp_path, assumptions="nope")


def test_a_patterns_own_values_win_over_the_set():
    """validate_params applies the set first, then the scenario's values, then the caller's."""
    from hls_abm import validate_params

    assert validate_params("npm", assumptions="structural")["target_pressure"] == 0.0
    assert validate_params("npm", assumptions="structural", target_pressure=0.75)["target_pressure"] == 0.75
    assert validate_params("npm_targets", assumptions="structural")["target_pressure"] == 0.8  # the scenario's
    assert validate_params("local_teams", assumptions="claims")["outreach_share"] == 0.15
    assert validate_params("local_teams", assumptions="claims", outreach_share=0.0)["outreach_share"] == 0.0


def _tiny(name="tiny"):
    return {"experiment": {"name": name, "scenarios": ["npm"], "steps": 2, "replicates": 1, "seed": 5},
            "parameters": {"n_citizens": 40, "warmup_weeks": 0, "target_pressure": [0.0, 0.6]},
            "outputs": {"summaries": {"reported_kpi": ["mean"]}}}


def test_a_sweep_runs_under_the_set_with_its_own_factor_values(tmp_path):
    from hls_abm.sweep import load_results

    spec = _tiny()
    ctx = V.Ctx("full", tmp_path / "claims", backend="serial", assumptions="claims")
    df = ctx.sweep(spec)
    assert "assumptions" not in spec["parameters"], "the caller's spec is left as it was"
    assert df.attrs["spec"]["parameters"]["assumptions"] == "claims"
    assert 'assumptions = "claims"' in (tmp_path / "claims" / "tiny" / "spec.toml").read_text()
    assert sorted(df["target_pressure"]) == [0.0, 0.6]  # the spec's factor, not the set's
    # the same spec under another set goes to its own store; the stores never mix
    ctx2 = V.Ctx("full", tmp_path / "structural", backend="serial", assumptions="structural")
    ctx2.sweep(spec)
    assert 'assumptions = "structural"' in (tmp_path / "structural" / "tiny" / "spec.toml").read_text()
    assert len(load_results(tmp_path / "claims" / "tiny")) == 2
    # a spec that fixes another set itself is refused, not silently overridden
    other = _tiny()
    other["parameters"]["assumptions"] = "evidence"
    with pytest.raises(ValueError, match="fixes assumptions='evidence'; this pattern runs under assumptions='claims'"):
        ctx.sweep(other)


def test_all_sets_of_a_small_pattern_end_to_end(tmp_path, capsys):
    """Pattern 10 (direct runs) under each set: stored apart, the set reaches the model, and the
    table of verdicts by set is written."""
    rc = R.main(["p10", "--quick", "--assumptions", "all", "--out", str(tmp_path), "--backend", "serial"])
    assert rc == 0, capsys.readouterr().err
    costs = {}
    for s in V.SETS:
        d = tmp_path / s / "p10_cost_concentration"
        res = json.loads((d / "result.json").read_text())
        assert res["assumptions"] == s and res["size"] == "small"
        runs = pd.read_csv(d / "p10_cost_concentration.csv")
        assert set(runs["assumptions"]) == {s}, "the model itself reports the set it ran under"
        costs[s] = tuple(runs["gini"].round(6))
        summary = pd.read_csv(tmp_path / s / "summary.csv")
        assert set(summary["assumptions"]) == {s}
    assert len(set(costs.values())) == 3, "each set gives its own runs"
    table = pd.read_csv(tmp_path / "verdicts_by_set.csv")
    assert list(table["pattern"]) == ["p10_cost_concentration"]
    for s in V.SETS:
        assert table[f"verdict_{s}"].iloc[0] in ("pass", "partial", "fail")
        assert table[f"key_{s}"].iloc[0]  # the key figure, mean [95% CI]
    md = (tmp_path / "verdicts_by_set.md").read_text()
    assert "| structural | evidence | claims |" in md and "Costs are concentrated" in md


def test_verdicts_by_set_reads_what_ran(tmp_path):
    """A set that has not run is 'not run'; a claim that fails under a set is named."""
    check = V.band("k1", "a figure", V.Stat.of([1.0, 2.0]), 0.0, 1.0)  # mean 1.5: fails
    res = V.Result("p03_threshold_paradox", 3, "t", "full", "structural", checks=[check])
    d = tmp_path / "structural" / "p03_threshold_paradox"
    d.mkdir(parents=True)
    (d / "result.json").write_text(json.dumps(res.to_dict(), default=float))
    t = V.verdicts_by_set(tmp_path, ["p03_threshold_paradox"])
    row = t.iloc[0]
    assert row["verdict_structural"] == "fail" and row["differs_structural"] == "k1"
    assert row["verdict_evidence"] == "not run" and row["verdict_claims"] == "not run"
    md = V.verdicts_markdown(t)
    assert "**fail**" in md and "structural: k1" in md and "**not run**" in md


def test_include_verdicts_replaces_only_the_marked_block():
    text = "a\n<!-- begin verdicts_by_set -->\nold\n<!-- end verdicts_by_set -->\nb\n"
    assert R.include_verdicts(text, "| new |\n") == "a\n<!-- begin verdicts_by_set -->\n| new |\n<!-- end verdicts_by_set -->\nb\n"
    with pytest.raises(ValueError, match="markers"):
        R.include_verdicts("no markers", "x")
    assert "<!-- begin verdicts_by_set -->" in (ROOT / "docs" / "validation.md").read_text()


def test_checks_by_set_go_into_each_patterns_marked_block(tmp_path):
    """Each pattern's checks, per set, from the stored results: a failing claim reads **no** with its
    value; a set that has not run has no column; text outside the markers is untouched."""
    fails = V.band("k1", "a figure", V.Stat.of([1.0, 2.0]), 0.0, 1.0)  # mean 1.5: outside [0, 1]
    holds = V.band("k1", "a figure", V.Stat.of([0.4, 0.6]), 0.0, 1.0)
    for aset, check in (("structural", fails), ("claims", holds)):
        res = V.Result("p03_threshold_paradox", 3, "t", "full", aset, checks=[check])
        d = tmp_path / aset / "p03_threshold_paradox"
        d.mkdir(parents=True)
        (d / "result.json").write_text(json.dumps(res.to_dict(), default=float))
    md = V.checks_markdown(tmp_path, "p03_threshold_paradox")
    assert "| check | kind | criterion | `structural` | `claims` |" in md and "`evidence`" not in md.split("\n\n")[1]
    assert "**no**: 1.5" in md and "yes: 0.5" in md
    text = ("x\n<!-- begin checks p03_threshold_paradox -->\nold\n<!-- end checks p03_threshold_paradox -->\ny\n"
            "<!-- begin checks p04_cuts_paradox -->\nkept\n<!-- end checks p04_cuts_paradox -->\n")
    new = R.include_checks(text, tmp_path, ["p03_threshold_paradox", "p04_cuts_paradox"])
    assert new.startswith("x\n<!-- begin checks p03_threshold_paradox -->\n*Rerun") and "\nold\n" not in new
    assert "\nkept\n" in new  # p04 has no stored results: its block is left as it was
    assert "<!-- begin checks p01_failure_demand -->" in (ROOT / "docs" / "validation.md").read_text()
