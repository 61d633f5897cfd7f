"""A corpus of bad inputs: each is refused with one clear message naming the field and what
is allowed, exit code 2 where it is a command, and nothing written or lost.

Tables, by door: model parameters (every PARAMS entry), TOML parameter files, sweep specs
(through the public ``parse_spec``/``load_spec``), and command-line arguments (through
``hls_abm.cli.main`` in-process, and a few through a real subprocess). The dashboard's
address options, form values and journey lookups are in test_bad_inputs_dashboard.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hls_abm import PARAMS, ParameterError, load_params_toml, validate_params
from hls_abm.cli import main
from hls_abm.sweep import SpecError, load_spec, parse_spec

REPO = Path(__file__).resolve().parents[1]

# ------------------------------------------------------------------------------------------
# parameters: every entry out of range below and above, of the wrong type; unknown names


def _bad_values(p):
    """(label, value) pairs no parameter ``p`` accepts."""
    if p.kind == "bool":
        return [("word", "maybe"), ("number", 2), ("list", [True])]
    if p.kind == "choice":
        return [("unknown", "bogus"), ("number", 1), ("none", None)]
    step = 1 if p.kind == "int" else 0.5
    out = [("below", p.low - step), ("above", p.high + step), ("text", "lots"), ("bool", True), ("nan", float("nan"))]
    if p.kind == "int":
        out.append(("fraction", p.low + 0.5))
    return out


PARAM_CASES = [pytest.param(p.name, v, id=f"{p.name}-{label}") for p in PARAMS.values() for label, v in _bad_values(p)]


@pytest.mark.parametrize("name, value", PARAM_CASES)
def test_every_parameter_refuses_a_bad_value_naming_field_and_range(name, value):
    with pytest.raises(ParameterError) as err:
        validate_params("npm", **{name: value})
    msg = str(err.value)
    assert msg.startswith(f"{name}=") and PARAMS[name].allowed() in msg, msg
    assert "\n" not in msg


@pytest.mark.parametrize("names, hint", [
    ({"complex_shares": 0.3}, "complex_shares (did you mean complex_share?)"),
    ({"budget": 1.0}, "budget"),
    ({"xyzzy": 1}, "xyzzy"),
])
def test_unknown_parameter_names_are_refused_with_a_hint(names, hint):
    with pytest.raises(ParameterError, match="unknown parameter") as err:
        validate_params("npm", **names)
    assert hint in str(err.value) and "hls-abm scenarios --params" in str(err.value)


def test_unknown_scenario_lists_the_scenarios():
    with pytest.raises(ParameterError, match=r"scenario='utopia' is unknown: expected one of npm, local_teams"):
        validate_params("utopia")


# ------------------------------------------------------------------------------------------
# TOML parameter files

TOML_CASES = [
    ("malformed", "complex_share = = 0.4\n", "not valid TOML"),
    ("unknown-scenario", 'scenario = "utopia"\n', "scenario='utopia' is unknown: expected one of npm"),
    ("scenario-not-text", "scenario = 3\n", "scenario=3 is unknown: expected one of npm"),
    ("scenario-list", 'scenario = ["npm"]\n', "scenario=['npm'] is unknown: expected one of npm"),
    ("wrong-type", 'complex_share = "high"\n', "complex_share='high' is not allowed: expected a number in [0.0, 1.0]"),
    ("out-of-range-in-table", "[params]\nbudget_factor = 9\n", "budget_factor=9 is not allowed: expected a number in [0.1, 3.0]"),
    ("int-as-float", "n_citizens = 100.5\n", "n_citizens=100.5 is not allowed: expected an integer in [20, 2000000]"),
    ("bool-as-int", "n_citizens = true\n", "n_citizens=True is not allowed: expected an integer"),
    ("bad-choice", 'system = "market"\n', "system='market' is not allowed: expected one of 'npm', 'local_teams'"),
    ("unknown-key", "complex_shar = 0.2\n", "unknown parameter(s): complex_shar (did you mean complex_share?)"),
    ("unknown-table", "[paramz]\ncomplex_share = 0.2\n", "unknown parameter(s): paramz"),
    ("params-not-a-table", "params = 3\n", "[params] must be a table of name = value"),
    ("date-value", "complex_share = 1979-05-27\n", "complex_share=datetime.date(1979, 5, 27) is not allowed"),
]


@pytest.mark.parametrize("text, fragment", [pytest.param(t, f, id=i) for i, t, f in TOML_CASES])
def test_bad_toml_parameter_files(tmp_path, text, fragment):
    f = tmp_path / "world.toml"
    f.write_text(text)
    with pytest.raises(ParameterError) as err:
        load_params_toml(f)
    assert fragment in str(err.value), str(err.value)
    assert f.read_text() == text  # the file is read, never touched


@pytest.mark.parametrize("kind, fragment", [
    ("missing", "does not exist"),
    ("directory", "is a folder, not a TOML file"),
    ("binary", "is not UTF-8 text"),
])
def test_unreadable_toml_parameter_files(tmp_path, kind, fragment):
    f = tmp_path / "world.toml"
    if kind == "directory":
        f.mkdir()
    elif kind == "binary":
        f.write_bytes(b"\xff\xfe\x00complex")
    with pytest.raises(ParameterError, match="parameter file") as err:
        load_params_toml(f)
    assert fragment in str(err.value)


# ------------------------------------------------------------------------------------------
# sweep specs (public API: parse_spec / load_spec)

GOOD_EXPERIMENT = '[experiment]\nsteps = 10\nreplicates = 1\n'
SPEC_CASES = {  # id: (spec text, what the message must say)
    "no-experiment": ("[parameters]\nn_citizens = 100\n", "[experiment]: missing table"),
    "malformed": ("[experiment\nsteps = 1\n", "is not valid TOML"),
    "no-steps": ("[experiment]\nreplicates = 1\n", "experiment.steps: missing"),
    "steps-zero": ("[experiment]\nsteps = 0\n", "experiment.steps"),
    "steps-text": ('[experiment]\nsteps = "ten"\n', "experiment.steps: 'ten' is not allowed: expected an integer >= 1"),
    "unknown-top-key": (GOOD_EXPERIMENT + "[paramters]\nn_citizens = 1\n", "spec: unknown key(s) 'paramters'"),
    "unknown-experiment-key": ("[experiment]\nsteps = 10\nstep = 3\n", "experiment: unknown key(s) 'step'"),
    "unknown-scenario": ('[experiment]\nsteps = 10\nscenarios = ["utopia"]\n',
     "experiment.scenarios: unknown scenario 'utopia'; allowed: 'npm'"),
    "unknown-parameter": (GOOD_EXPERIMENT + "[parameters]\ncomplex_shar = 0.2\n", "complex_shar: unknown parameter"),
    "parameter-out-of-range": (GOOD_EXPERIMENT + "[parameters]\ncomplex_share = [0.1, 1.5]\n",
     "expected a number in [0.0, 1.0]"),
    "parameter-wrong-type": (GOOD_EXPERIMENT + '[parameters]\nbudget_factor = "high"\n',
     "budget_factor='high' is not allowed: expected a number in [0.1, 3.0]"),
    "unknown-design": (GOOD_EXPERIMENT + '[design]\nmethod = "random"\n',
     "design.method: unknown sampler 'random'; allowed: 'grid', 'lhs', 'sobol', 'morris'"),
    "sobol-not-power-of-2": (GOOD_EXPERIMENT + '[parameters]\nbudget_factor = {low = 0.5, high = 1.5}\n'
     '[design]\nmethod = "sobol"\nsamples = 10\n', "design.samples: 10 is not allowed for sobol"),
    "unknown-lever": (GOOD_EXPERIMENT + '[[levers]]\nname = "abolish"\nweek = 2\n',
     "unknown lever 'abolish'; allowed: 'budget_cut'"),
    "lever-week-missing": (GOOD_EXPERIMENT + '[[levers]]\nname = "budget_cut"\npercent = 10\n', ".week: missing"),
    "unknown-output": (GOOD_EXPERIMENT + '[outputs]\nseries = ["happiness"]\n',
     "outputs.series: unknown output column 'happiness'"),
    "unknown-statistic": (GOOD_EXPERIMENT + '[outputs.summaries]\ntotal_cost = ["mode"]\n',
     "unknown summary statistic 'mode'; allowed:"),
    "seeds-and-replicates": ("[experiment]\nsteps = 10\nreplicates = 2\nseeds = [1, 2]\n",
     "give either replicates (with seed) or seeds, not both"),
}


@pytest.mark.parametrize("text, fragment", [pytest.param(t, f, id=i) for i, (t, f) in SPEC_CASES.items()])
def test_bad_sweep_specs(text, fragment):
    with pytest.raises(SpecError) as err:
        parse_spec(text)
    assert fragment in str(err.value), str(err.value)


@pytest.mark.parametrize("kind, fragment", [("missing", "does not exist"), ("directory", "is a directory")])
def test_unreadable_sweep_spec_files(tmp_path, kind, fragment):
    f = tmp_path / "spec.toml"
    if kind == "directory":
        f.mkdir()
    with pytest.raises(SpecError, match=fragment):
        load_spec(f)


# ------------------------------------------------------------------------------------------
# command-line arguments, in-process through hls_abm.cli.main

RUN = ["run", "--steps", "2", "--citizens", "30", "--quiet"]
CLI_CASES = [
    ("steps-negative", RUN + ["--steps", "-3"], "argument --steps: '-3' is not allowed: expected a whole number in [1, 100000]"),
    ("steps-text", RUN + ["--steps", "many"], "argument --steps: 'many' is not allowed"),
    ("citizens-too-few", RUN + ["--citizens", "5"], "argument --citizens: '5' is not allowed: expected a whole number in [20, 2000000]"),
    ("seed-negative", RUN + ["--seed", "-1"], "argument --seed: '-1' is not allowed: expected a whole number in [0, "),
    ("seed-fraction", RUN + ["--seed", "3.5"], "argument --seed: '3.5' is not allowed"),
    ("seed-empty", RUN + ["--seed", " "], "argument --seed: ' ' is not allowed"),
    ("unknown-flag", RUN + ["--bogus"], "unrecognized arguments: --bogus"),
    ("no-command", [], "the following arguments are required: command"),
    ("unknown-command", ["simulate"], "invalid choice: 'simulate'"),
    ("set-no-equals", RUN + ["--set", "complex_share"], "--set expects name=value, got 'complex_share'"),
    ("set-out-of-range", RUN + ["--set", "complex_share=2"], "complex_share='2' is not allowed: expected a number in [0.0, 1.0]"),
    ("set-unknown", RUN + ["--set", "complex_shar=0.2"], "did you mean complex_share?"),
    ("unknown-scenario", RUN + ["--scenario", "utopia"], "scenario='utopia' is unknown: expected one of npm"),
    ("params-missing", RUN + ["--params", "/nonexistent/p.toml"], "parameter file /nonexistent/p.toml does not exist"),
    ("out-suffix", RUN + ["--out", "{tmp}/x.xlsx"], "--out must end in .parquet or .csv"),
    ("out-no-folder", RUN + ["--out", "{tmp}/no/such/x.csv"], "folder '{tmp}/no/such' does not exist; create it first"),
    ("out-under-a-file", RUN + ["--out", "{tmp}/a-file/x.csv"], "'{tmp}/a-file' is a file, not a folder"),
    ("out-is-a-folder", RUN + ["--out", "{tmp}/a-folder.csv"], "is a folder: give a file name"),
    ("out-proc", RUN + ["--out", "/proc/x.csv"], "--out '/proc/x.csv' cannot be written in folder '/proc'"),
    ("compare-unknown", ["compare", "npm", "nowhere", "--steps", "2"], "scenario 'nowhere' is unknown: expected one of npm"),
    ("compare-out-suffix", ["compare", "npm", "--steps", "2", "--out", "{tmp}/x.txt"], "--out must end in .parquet or .csv"),
    ("sweep-no-spec", ["sweep"], "the following arguments are required: spec"),
    ("sweep-backend", ["sweep", "x.toml", "--backend", "cloud"], "argument --backend: invalid choice: 'cloud'"),
    ("sweep-workers", ["sweep", "x.toml", "--workers", "0"], "argument --workers/-j: 0 is not allowed: expected an integer >= 1"),
    ("sweep-missing-spec", ["sweep", "{tmp}/missing.toml", "--out", "{tmp}/results"], "spec file {tmp}/missing.toml does not exist"),
    ("sweep-bad-spec", ["sweep", "{tmp}/a-file", "--out", "{tmp}/results"], "[experiment]: missing table"),
    ("sweep-both-clusters", ["sweep", "x.toml", "--scheduler", "tcp://h:1", "--dask-local", "2"], "give either --scheduler"),
    ("analyse-missing", ["analyse", "{tmp}/no-results"], "no-results"),
    ("analyse-outcome-without-discover", ["analyse", "{tmp}/no-results", "--outcome", "cheaper"],
     "--outcome needs --discover"),
    ("analyse-threshold-text", ["analyse", "x", "--discover", "--threshold", "x"], "argument --threshold: invalid float"),
    ("analyse-boxes-zero", ["analyse", "x", "--discover", "--boxes", "0"], "argument --boxes: 0 is not allowed"),
    ("compare-assumptions", ["compare", "npm", "--steps", "2", "--assumptions", "bogus"],
     "argument --assumptions: invalid choice: 'bogus' (choose from 'structural', 'evidence', 'claims', 'all')"),
    ("assumptions-unknown-set", ["assumptions", "--assumptions", "all"],
     "argument --assumptions: invalid choice: 'all' (choose from 'structural', 'evidence', 'claims')"),
    ("set-assumptions", RUN + ["--set", "assumptions=bogus"],
     "assumptions='bogus' is not allowed: expected one of 'structural', 'evidence', 'claims'"),
    ("calibrate-budget-zero", ["calibrate", "x.toml", "--budget", "0"], "argument --budget: 0 is not allowed"),
    ("calibrate-workers-zero", ["calibrate", "x.toml", "--workers", "0"], "argument --workers/-j: 0 is not allowed"),
    ("calibrate-backend", ["calibrate", "x.toml", "--backend", "gpu"], "argument --backend: invalid choice: 'gpu'"),
    ("calibrate-both-clusters", ["calibrate", "x.toml", "--scheduler", "tcp://h:1", "--dask-local", "2"],
     "calibrate: give either --scheduler"),
    ("calibrate-missing-targets", ["calibrate", "{tmp}/missing.toml", "--out", "{tmp}/cal"],
     "calibrate: targets file {tmp}/missing.toml does not exist"),
    ("calibrate-resume-nothing", ["calibrate", "{repo}/experiments/calibration/targets.toml", "--resume", "--out", "{tmp}/cal"],
     "calibrate: --resume: {tmp}/cal holds no calibration to resume (no meta.json)"),
]


@pytest.fixture
def sandbox(tmp_path):
    """A folder holding one ordinary file, one folder named like an output, and a kept result."""
    (tmp_path / "a-file").write_text("[parameters]\n")
    (tmp_path / "a-folder.csv").mkdir()
    return tmp_path


def _files(root):
    return sorted((p.relative_to(root).as_posix(), p.read_bytes() if p.is_file() else b"") for p in root.rglob("*"))


@pytest.mark.parametrize("argv, fragment", [pytest.param(a, f, id=i) for i, a, f in CLI_CASES])
def test_bad_cli_arguments_one_line_exit_2_nothing_written(sandbox, capsys, monkeypatch, argv, fragment):
    import hls_abm.cli as cli

    ran = []
    monkeypatch.setattr(cli, "_run", lambda *a, **k: ran.append(a) or pytest.fail("a simulation ran"))
    before = _files(sandbox)
    argv = [a.replace("{tmp}", str(sandbox)).replace("{repo}", str(REPO)) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("hls-abm: error: "), err
    assert fragment.replace("{tmp}", str(sandbox)) in err, err
    assert not ran
    assert _files(sandbox) == before  # nothing written, nothing changed


def test_an_existing_output_is_untouched_when_the_run_is_refused(tmp_path, capsys):
    out = tmp_path / "kept.csv"
    out.write_text("precious\n")
    assert main(RUN + ["--set", "budget_factor=0", "--out", str(out)]) == 2
    assert "budget_factor='0' is not allowed: expected a number in [0.1, 3.0]" in capsys.readouterr().err
    assert out.read_text() == "precious\n"


# ------------------------------------------------------------------------------------------
# a few through a real subprocess (what a user sees in a shell)

SUBPROCESS_CASES = [
    (["run", "--steps", "0"], "argument --steps: '0' is not allowed"),
    (["run", "--steps", "2", "--citizens", "30", "--quiet", "--out", "/proc/x.csv"], "cannot be written"),
    (["run", "--seed"], "argument --seed: expected one argument"),
    (["sweep", "--dask-local", "x"], "argument --dask-local: 'x' is not an integer"),
]


@pytest.mark.parametrize("argv, fragment", SUBPROCESS_CASES)
def test_bad_cli_arguments_in_a_real_shell(argv, fragment):
    r = subprocess.run([sys.executable, "-m", "hls_abm.cli", *argv], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("hls-abm: error: "), r.stderr
    assert fragment in r.stderr
    assert r.stdout == ""
