"""Every difference between the systems is declared once, with a tier; no behavioural literal hides in
mechanism code; the assumption sets do what they say."""

import ast
from pathlib import Path

import pytest

import hls_abm
from hls_abm import PARAMS, HLSModel, ParameterError
from hls_abm.differences import DIFFERENCES, assumption_overrides, assumptions_table, system_parameters
from hls_abm.params import validate_params

SERVICES = Path(hls_abm.__file__).parent / "services"
#: Numbers that are arithmetic, not behaviour: identities, bounds, a division guard.
NEUTRAL_NUMBERS = {0, 1, -1, 0.0, 1.0, -1.0, 1e-9}


def params_read(path: Path) -> set[str]:
    """Names read as p["name"] (or week.p["name"], params["name"]) in a module."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            base = node.value
            label = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
            if label in ("p", "params"):
                names.add(node.slice.value)
    return names


def test_every_parameter_only_one_system_reads_is_a_declared_difference():
    npm, local = params_read(SERVICES / "npm.py"), params_read(SERVICES / "local_teams.py")
    shared_modules = [*(SERVICES / m for m in ("cases.py", "staff.py", "crisis.py", "front_door.py")),
                      *(SERVICES.parent / m for m in ("population.py", "community.py", "week.py"))]
    shared = set().union(*(params_read(m) for m in shared_modules))
    declared = system_parameters()
    assert (npm ^ local) - declared - shared == set(), "read by one system only, but not in differences.DIFFERENCES"


def test_every_declared_parameter_exists_and_has_a_tier():
    for d in DIFFERENCES:
        for name in (*d.npm, *d.local, *d.neutral, *d.claims):
            assert name in PARAMS, (d.effect, name)
        for name, value in {**d.neutral, **d.claims}.items():
            PARAMS[name].check(value)  # neutral and claimed values lie in the parameter's range


@pytest.mark.parametrize("module", sorted(p.name for p in SERVICES.glob("*.py")))
def test_no_behavioural_literal_in_mechanism_code(module):
    """Numbers that shape behaviour are Params or named module constants, never literals in a function."""
    tree = ast.parse((SERVICES / module).read_text())
    bad = []
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, ast.Constant) and type(node.value) in (int, float) and not isinstance(node.value, bool):
                    if node.value not in NEUTRAL_NUMBERS:
                        bad.append((fn.name, node.lineno, node.value))
    assert bad == []


def test_structural_set_makes_every_non_evidence_effect_the_same_in_both_systems():
    p = validate_params("npm", assumptions="structural")
    for d in DIFFERENCES:
        if d.structural or d.tier == "evidence":
            continue
        for name, value in d.neutral.items():
            assert p[name] == value
        if d.npm and d.local:  # the same size in both systems
            assert [p[n] for n in d.npm] == [p[n] for n in d.local], d.effect
        else:  # an effect only one system has is off
            assert all(p[n] == 0 for n in d.neutral), d.effect


def test_sets_differ_and_a_callers_own_value_wins():
    assert assumption_overrides("evidence") == {}
    assert assumption_overrides("structural") and assumption_overrides("claims")
    p = validate_params("npm", assumptions="structural", done_to_erosion=0.01)
    assert p["done_to_erosion"] == 0.01 and p["strengths_gain"] == 0.0
    assert validate_params("npm_targets", assumptions="structural")["target_pressure"] == 0.8  # the scenario's choice


def test_unknown_assumption_set_names_the_field_and_the_choices():
    with pytest.raises(ParameterError, match="assumptions='optimistic'.*'structural', 'evidence', 'claims'"):
        HLSModel("npm", n_citizens=100, rng=1, assumptions="optimistic")


def test_the_three_sets_run_and_differ():
    frames = {a: HLSModel("local_teams", n_citizens=300, rng=2, warmup_weeks=10, assumptions=a) for a in
              ("structural", "evidence", "claims")}
    for m in frames.values():
        m.run_for(8)
    costs = {a: m.metrics().total_cost.sum() for a, m in frames.items()}
    assert len(set(costs.values())) == 3


def test_the_table_lists_every_difference_with_its_tier():
    table = assumptions_table()
    for d in DIFFERENCES:
        assert f"| {d.effect} |" in table and d.tier in table


def test_the_cli_prints_the_table_and_compares_under_every_set(capsys):
    from hls_abm.cli import main

    assert main(["assumptions"]) == 0
    out = capsys.readouterr().out
    assert all(f"| {d.effect} |" in out for d in DIFFERENCES)
    assert main(["compare", "npm", "local_teams", "--steps", "3", "--citizens", "100", "--quiet",
                 "--set", "warmup_weeks=2", "--assumptions", "all"]) == 0
    out = capsys.readouterr().out
    assert all(f"assumptions = {a}" in out for a in ("structural", "evidence", "claims"))
