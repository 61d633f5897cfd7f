"""The single parameter gate: bad values, unknown names and bad files are refused clearly."""

import pytest

from hls_abm import (
    PARAMS,
    SCENARIOS,
    HLSModel,
    ParameterError,
    load_params_toml,
    validate_params,
)


def test_defaults_validate_and_every_param_has_provenance():
    for scenario in SCENARIOS:
        validate_params(scenario)
    for p in PARAMS.values():
        assert p.doc, p.name
        assert p.source, p.name


@pytest.mark.parametrize(
    "field, value, fragment",
    [
        ("complex_share", 1.5, "[0.0, 1.0]"),
        ("community_strength", -0.1, "[0.0, 1.0]"),
        ("budget_factor", 0.0, "[0.1, 3.0]"),
        ("eligibility_threshold", "high", "[0.0, 1.0]"),
        ("n_citizens", 10.5, "integer"),
        ("target_pressure", float("nan"), "[0.0, 1.0]"),
    ],
)
def test_bad_value_names_field_and_range(field, value, fragment):
    with pytest.raises(ParameterError) as err:
        HLSModel("npm", n_citizens=100, rng=1, **{field: value}) if field != "n_citizens" else HLSModel(
            "npm", n_citizens=value, rng=1
        )
    assert field in str(err.value)
    assert fragment in str(err.value)


def test_unknown_parameter_is_rejected_with_a_hint():
    with pytest.raises(ParameterError, match="complex_shares.*did you mean complex_share"):
        HLSModel("npm", n_citizens=100, rng=1, complex_shares=0.3)


def test_unknown_scenario_and_bad_seed():
    with pytest.raises(ParameterError, match="scenario"):
        HLSModel("utopia", n_citizens=100, rng=1)
    with pytest.raises(ParameterError, match=r"rng='-1'.*whole number in \[0, .*\] or a word"):
        HLSModel("npm", n_citizens=100, rng="-1")
    # one seed parser for model, CLI and page: a word names a run, the same one everywhere
    assert HLSModel("npm", n_citizens=100, rng="forty-two").seed == HLSModel("npm", n_citizens=100, rng="forty-two ").seed
    # a seed typed into a form arrives as text
    assert HLSModel("npm", n_citizens=100, rng=" 42 ").seed == 42


def test_toml_loading(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text('scenario = "local_teams"\n[params]\ncomplex_share = 0.4\nbudget_factor = 0.9\n')
    kw = load_params_toml(f)
    assert kw == {"scenario": "local_teams", "complex_share": 0.4, "budget_factor": 0.9}
    m = HLSModel(n_citizens=100, rng=1, warmup_weeks=0, **kw)
    assert m.p["system"] == "local_teams" and m.is_local.all()

    bad = tmp_path / "bad.toml"
    bad.write_text("complex_share = = 0.4\n")
    with pytest.raises(ParameterError, match="not valid TOML"):
        load_params_toml(bad)
    out_of_range = tmp_path / "range.toml"
    out_of_range.write_text("budget_factor = 9\n")
    with pytest.raises(ParameterError, match="budget_factor"):
        load_params_toml(out_of_range)
    with pytest.raises(ParameterError, match="does not exist"):
        load_params_toml(tmp_path / "missing.toml")
