"""Calibration end to end on a tiny budget: the report, the same result on serial and pool, resume
after SIGTERM, a calibration with accepted draws and one with none, and the observables."""

from __future__ import annotations

import json
import math
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from hls_abm import HLSModel
from hls_abm.calibration import OBSERVABLES, calibrate, load_targets, observables, parse_targets, write_report
from hls_abm.calibration.cli import main as calibrate_main
from hls_abm.calibration.observables import Run, rereferral_12m

REPO = Path(__file__).resolve().parents[1]
FULL = REPO / "experiments" / "calibration" / "targets.toml"
TINY_RUN = {r"n_citizens = \d+": "n_citizens = 200",
            r"weeks = \d+": "weeks = 30\nwarmup_weeks = 20\nrereferral_window = 8",
            r"seeds = \[[\d, ]+\]": "seeds = [1, 2]", r"budget = \d+": "budget = 4", r"batch = \d+": "batch = 2",
            r"startup = \d+": "startup = 2",
            r"\nyear = \d+": ""}  # a 30-week run has no year 2: year targets read the whole run


def tiny_text(**replace) -> str:
    """The shipped targets file at a size that runs in seconds (200 citizens, 30 weeks, 4 draws, 2 seeds)."""
    text = FULL.read_text()
    for old, new in TINY_RUN.items():
        assert re.search(old, text), old
        text = re.sub(old, new, text, count=0 if old.startswith(r"\nyear") else 1)
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("tiny")
    (d / "targets.toml").write_text(tiny_text())
    return d / "targets.toml"


@pytest.fixture(scope="module")
def serial_run(tiny, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("serial") / "cal"
    assert calibrate_main(["calibrate", str(tiny), "--out", str(out), "--backend", "serial", "--no-progress"]) == 0
    return out


def test_end_to_end_writes_a_report_true_to_its_draws(serial_run, tiny):
    targets = load_targets(tiny)
    for name in ("study.journal", "evaluations.jsonl", "draws.csv", "draws_by_seed.csv", "calibration.md",
                 "calibration.png"):
        assert (serial_run / name).stat().st_size > 0, name
    draws = pd.read_csv(serial_run / "draws.csv")
    by_seed = pd.read_csv(serial_run / "draws_by_seed.csv")
    assert len(draws) == 4 and len(by_seed) == 8
    for name, (lo, hi, _kind) in targets.parameters.items():
        assert draws[name].between(lo, hi).all(), name
    # each draw's value is the mean over its seeds, and "accepted" means every target in its band
    for t in targets.targets:
        means = by_seed.groupby("trial")[t.name].mean()
        # (NaN where a 30-week run cannot measure the target, e.g. a drift from year 2 to the last year)
        pd.testing.assert_series_equal(draws.set_index("trial")[t.name], means, check_names=False, atol=1e-9)
    in_band = pd.concat([draws[t.name].between(t.low, t.high) for t in targets.targets], axis=1).all(axis=1)
    assert (draws["accepted"] == in_band).all()
    md = (serial_run / "calibration.md").read_text()
    for t in targets.targets:
        assert f"`{t.name}`" in md and t.source in md and f"[{t.low:g}, {t.high:g}]" in md
    assert "Validation figure (never fitted)" in md and "ratio_total_cost" in md
    assert targets.reported and "Reported, never fitted" in md
    for r in targets.reported:  # shown with a band over draws and seeds, never part of the score
        assert f"`{r.key}` | {r.system} |" in md and r.name in by_seed.columns and r.name not in draws.columns
    assert "Time on this machine" in md and "hls-abm calibrate" in md
    if not draws["accepted"].any():
        assert "no feasible draw" in md


def test_rescore_on_the_search_seeds_gives_the_search_scores(serial_run, tiny):
    """``rescore`` runs a draw as the search ran it: on the search's own seeds it gives the same score and
    target means, so its scores on other seeds (experiments/calibration/heldout.py) are comparable."""
    from hls_abm.calibration import rescore

    targets = load_targets(tiny)
    draws = pd.read_csv(serial_run / "draws.csv").set_index("trial")
    params = {int(t): {n: (int(r[n]) if targets.parameters[n][2] == "int" else float(r[n])) for n in targets.parameters}
              for t, r in draws.head(2).iterrows()}
    found = rescore(targets, params, targets.seeds)
    for t, (sc, means) in found.items():
        assert sc == pytest.approx(draws.loc[t, "score"], rel=1e-9, abs=1e-12)
        for x in targets.targets:
            assert means[x.name] == pytest.approx(draws.loc[t, x.name], rel=1e-9, nan_ok=True)
    other = rescore(targets, params, [s + 100 for s in targets.seeds])
    assert any(other[t][1][x.name] != found[t][1][x.name] for t in found for x in targets.targets), \
        "other seeds gave the very same values: the seeds were not used"


def test_the_validation_figure_is_not_fitted(serial_run, tiny):
    """Changing the validation band changes no draw: it is never part of the score."""
    targets = load_targets(tiny)
    assert targets.validation.name not in [t.name for t in targets.targets]
    draws = pd.read_csv(serial_run / "draws.csv")
    assert "ratio_total_cost" not in draws.columns  # only the fitted targets are in the score table


def test_same_result_on_pool_as_on_serial(serial_run, tiny, tmp_path):
    out = tmp_path / "pool"
    assert calibrate_main(["calibrate", str(tiny), "--out", str(out), "--backend", "pool", "--workers", "2",
                           "--no-progress"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(out / "draws.csv"), pd.read_csv(serial_run / "draws.csv"))
    pd.testing.assert_frame_equal(pd.read_csv(out / "draws_by_seed.csv").drop(columns="elapsed_s"),
                                  pd.read_csv(serial_run / "draws_by_seed.csv").drop(columns="elapsed_s"))


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")
def test_sigterm_keeps_what_was_computed_and_resume_finishes_it(serial_run, tiny, tmp_path):
    out = tmp_path / "cal"
    cmd = [sys.executable, "-m", "hls_abm.calibration.cli", "calibrate", str(tiny), "--out", str(out),
           "--backend", "serial", "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    while _lines(out / "evaluations.jsonl") < 3:  # wait for the thing itself: three finished evaluations
        assert proc.poll() is None, f"finished before it could be interrupted: {proc.communicate()}"
        assert time.monotonic() - t0 < 120, "no progress"
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "--resume" in err
    kept = _lines(out / "evaluations.jsonl")
    assert 3 <= kept < 8
    assert (out / "calibration.md").exists() and "not complete" in (out / "calibration.md").read_text()
    # without --resume the directory is refused, and nothing in it is touched
    assert calibrate_main(["calibrate", str(tiny), "--out", str(out), "--backend", "serial", "--no-progress"]) == 2
    assert _lines(out / "evaluations.jsonl") == kept
    assert calibrate_main(["calibrate", str(tiny), "--out", str(out), "--backend", "serial", "--no-progress",
                           "--resume"]) == 0
    assert _lines(out / "evaluations.jsonl") == 8  # the kept ones were not run again
    pd.testing.assert_frame_equal(pd.read_csv(out / "draws.csv"), pd.read_csv(serial_run / "draws.csv"))


def test_resume_with_another_targets_file_is_refused(serial_run, tmp_path):
    other = tmp_path / "other.toml"
    other.write_text(tiny_text(**{"seed = 1": "seed = 2"}))
    assert calibrate_main(["calibrate", str(other), "--out", str(serial_run), "--resume", "--no-progress"]) == 2


def test_accepted_draws_give_the_bands(tmp_path):
    """With bands every draw meets, every draw is accepted and the report gives bands over them."""
    text = tiny_text(**{"budget = 4": "budget = 2", "seeds = [1, 2]": "seeds = [3]"})
    head = text.split("[[target]]")[0]
    head += ('[[target]]\nname = "turnover_any"\nobservable = "staff_turnover"\nsystem = "npm"\n'
             'low = 0.0\nhigh = 10.0\nsource = "test band"\n')
    targets = parse_targets(head)
    cal = calibrate(targets, tmp_path / "cal", backend="serial", progress=False)
    summary = write_report(cal, "test")
    assert summary["accepted"] == 2
    md = (tmp_path / "cal" / "calibration.md").read_text()
    assert "2 accepted draws of 2" in md and "no feasible draw" not in md


def test_report_goes_into_the_doc_between_markers(serial_run, tiny, tmp_path):
    from hls_abm.calibration.search import open_calibration

    doc = tmp_path / "calibration.md"
    doc.write_text("# Calibration\n\nHand-written method.\n")
    cal = open_calibration(serial_run, load_targets(tiny))
    write_report(cal, "cmd one", doc)
    write_report(cal, "cmd two", doc)
    text = doc.read_text()
    assert text.startswith("# Calibration\n\nHand-written method.")
    assert text.count("## Calibration report") == 1 and "cmd two" in text and "cmd one" not in text


BAD = [
    ("not toml [", "is not valid TOML"),
    ('[parameters]\nno_such = [0, 1]\n', "parameters.no_such: unknown parameter"),
    ('[parameters]\nepisode_weeks = [0, 30]\n', "parameters.episode_weeks: [0, 30] is not allowed"),
    ('[parameters]\nsystem = [0, 1]\n', "parameters.system: a choice parameter cannot be fitted"),
    ('[parameters]\nhandoff_loss = [0.3, 0.1]\n', "parameters.handoff_loss: [0.3, 0.1] is not allowed"),
    ('[[target]]\nname="a"\nobservable="nope"\nsystem="npm"\nlow=0\nhigh=1\nsource="s"\n',
     "target[0].observable: 'nope' is unknown; allowed: 'failure_demand_share'"),
    ('[[target]]\nname="a"\nobservable="staff_turnover"\nsystem="both"\nlow=0\nhigh=1\nsource="s"\n',
     "target[0].system: 'both' is unknown; allowed: 'npm', 'local_teams', 'ratio'"),
    ('[[target]]\nname="a"\nobservable="staff_turnover"\nsystem="npm"\nlow=2\nhigh=1\nsource="s"\n',
     "target[0]: low (2) is above high (1)"),
    ('[[target]]\nname="a"\nobservable="staff_turnover"\nsystem="npm"\nlow=0\nhigh=1\n',
     "target[0].source: missing"),
    ('[[target]]\nname="a"\nobservable="staff_turnover"\nsystem="npm"\nlow=0\nhigh=1\nsource=""\n',
     "target[0].source: expected a non-empty string"),
    ('[run]\nweeks = 0\n', "run.weeks: 0 is not allowed: expected an integer in [1, 5200]"),
    ("[run]\nfixed = { handoff_loss = 0.2 }\n", "run.fixed.handoff_loss: set elsewhere"),
    ('[search]\nbudgett = 3\n', "search.budgett: unknown field; allowed: budget, batch, seed, startup"),
    ('[[reported]]\nname="r"\nobservable="waiting_share"\nsystem="local_teams"\n', "reported[0].why: missing"),
    ('[[reported]]\nname="t"\nobservable="waiting_share"\nsystem="npm"\nwhy="w"\n',
     "reported.name: 't' is used twice"),
    ('[[reported]]\nname="r"\nobservable="waiting_share"\nsystem="npm"\nwhy="w"\nlow=0\n',
     "reported[0].low: unknown field; allowed: name, observable, system, year, why"),
]


@pytest.mark.parametrize("extra,message", BAD, ids=[m.split(":")[0] for _, m in BAD])
def test_bad_targets_file_one_line_exit_2_nothing_written(tmp_path, capsys, extra, message):
    base = ('[parameters]\nhandoff_loss = [0.1, 0.3]\n' if "[parameters]" not in extra else "")
    target = ('[[target]]\nname="t"\nobservable="staff_turnover"\nsystem="npm"\nlow=0\nhigh=1\nsource="s"\n'
              if "[[target]]" not in extra else "")
    f = tmp_path / "targets.toml"
    f.write_text(extra + "\n" + base + target if extra.startswith("[") else extra)
    out = tmp_path / "out"
    assert calibrate_main(["calibrate", str(f), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err
    assert not out.exists()


def test_missing_targets_file(tmp_path, capsys):
    assert calibrate_main(["calibrate", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_shipped_targets_file_is_valid_and_sourced():
    t = load_targets(FULL)
    assert {x.observable for x in t.targets} <= set(OBSERVABLES)
    assert t.validation is not None and t.validation.observable == "total_cost"
    assert "total_cost" not in {x.observable for x in t.targets}  # the validation figure is never a target
    assert all(x.source for x in t.targets)


def test_observables_of_a_run():
    m = HLSModel("npm", n_citizens=200, rng=4, warmup_weeks=20, record_events=True)
    m.run_for(40)
    obs = observables(m, rereferral_window=10)
    assert set(obs) == set(OBSERVABLES)
    for name in ("failure_demand_share", "rereferral_12m", "acute_share_of_spend"):
        assert 0.0 <= obs[name] <= 1.0, name
    df = m.metrics()
    assert obs["failure_demand_share"] == pytest.approx(df["failure_demand"].sum() / df["contacts"].sum())
    assert obs["total_cost"] == pytest.approx(df["total_cost"].sum())
    assert math.isnan(obs["staff_turnover_drift"])  # 40 weeks: no second year to compare with
    waiting = df["waiting_list"].sum()
    assert obs["waiting_share"] == pytest.approx(waiting / (waiting + df["open_cases"].sum()))
    quiet = HLSModel("npm", n_citizens=50, rng=4, warmup_weeks=5)
    quiet.run_for(5)
    with pytest.raises(ValueError, match="record_events=True"):
        observables(quiet, ["rereferral_12m"])
    assert math.isfinite(observables(quiet, ["staff_turnover"])["staff_turnover"])


def test_rereferral_counts_returns_within_the_window_only():
    class Fake(Run):
        def __init__(self, events, weeks, window):
            self.df = pd.DataFrame({"x": range(weeks)})
            self.start, self.end, self.weeks_run = 0, weeks, weeks
            self.window = window
            self._events = events

    events = {"close": [(0, "money", 5), (1, "money", 5), (2, "housing", 5), (3, "money", 95)],
              "back": [(0, "money", 20), (1, "money", 70), (2, "money", 10)], "crisis": []}
    # citizen 0 returns within 52 weeks; 1 too late; 2 about another need; 3's window runs past the end
    assert rereferral_12m(Fake(events, 100, 52)) == pytest.approx(1 / 3)
    assert json.dumps(events)  # plain data


def test_an_observable_over_one_year_reads_that_year_only():
    from hls_abm import HLSModel

    m = HLSModel("npm", n_citizens=60, rng=3, warmup_weeks=4)
    m.run_for(110)
    df = m.metrics()
    got = observables(m, ["staff_turnover@year2", "failure_demand_share@year1", "staff_turnover", "staff_turnover_drift"])
    assert got["staff_turnover@year2"] == pytest.approx(df["staff_turnover"].iloc[52:104].mean())
    assert got["staff_turnover_drift"] == pytest.approx(df["staff_turnover"].iloc[-52:].mean()
                                                        - df["staff_turnover"].iloc[52:104].mean())
    assert got["staff_turnover"] == pytest.approx(df["staff_turnover"].mean())
    first = df.iloc[:52]
    assert got["failure_demand_share@year1"] == pytest.approx(first["failure_demand"].sum() / first["contacts"].sum())
    with pytest.raises(ValueError, match="year 4 is past the end"):
        observables(m, ["staff_turnover@year4"])


SHIPPED = REPO / "experiments" / "calibration" / "defaults.toml"


def test_the_shipped_defaults_are_the_calibrated_draw():
    """Every fitted parameter's default is the value of the draw the calibration chose (defaults.toml,
    written by hls-abm calibrate and copied here with its report, docs/calibration.md)."""
    import tomllib

    from hls_abm.params import PARAMS

    shipped = tomllib.loads(SHIPPED.read_text())["parameters"]
    assert set(shipped) == set(load_targets(FULL).parameters)
    for name, value in shipped.items():
        assert PARAMS[name].default == pytest.approx(value, rel=1e-3), name


@pytest.mark.slow
def test_full_calibration_runs_and_reports_its_time(tmp_path):
    """The shipped targets file, whole (behind the slow marker): prints its wall time on this machine."""
    out = tmp_path / "cal"
    t0 = time.perf_counter()
    assert calibrate_main(["calibrate", str(FULL), "--out", str(out), "--backend", "pool", "--no-progress"]) == 0
    wall = time.perf_counter() - t0
    draws = pd.read_csv(out / "draws.csv")
    print(f"\nfull calibration: {len(draws)} draws, {int(draws['accepted'].sum())} accepted, {wall:.0f} s wall")
    assert len(draws) == load_targets(FULL).budget
    assert (out / "defaults.toml").exists() and (out / "calibration.png").exists()
