"""The dashboard's twin-world controller and what it draws, without Solara or a browser."""

from __future__ import annotations

import io
import json
import time
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from hls_abm.dashboard import charts, explain, export
from hls_abm.dashboard.controller import Controller, Settings, thin_index
from hls_abm.dashboard.journey import (
    events_table,
    journey_option,
    load_journey,
    pick_complex,
)
from hls_abm.dashboard.network import NetworkRenderer, compute_layout
from hls_abm.dashboard.presets import preset_names, scenario_overrides, settings_for
from hls_abm.dashboard.options import parse_options
from hls_abm.dashboard.theme import WORLD_COLOURS
from hls_abm.params import ParameterError
from hls_abm.seeds import parse_seed

N = 200


@pytest.fixture
def ctrl():
    c = Controller(settings_for("npm", Settings(n_citizens=N)), speed=0, render_every=1)
    yield c
    c.pause()
    c.wait_idle()


def wait_for_week(c, week: int, timeout: float = 180.0) -> None:
    """Wait until the play thread has reached ``week`` (however slow the machine)."""
    t0 = time.monotonic()
    while c.week < week:
        assert time.monotonic() - t0 < timeout and c.error is None, (c.week, c.error)
        time.sleep(0.005)


def weeks_of(c):
    return {w: m.week for w, m in c.models.items()}


@pytest.mark.parametrize("typed, seed", [("42", 42), (" 7 ", 7), (42, 42), ("42.0", 42), ("1e3", 1000)])
def test_parse_seed_numbers(typed, seed):
    assert parse_seed(typed) == seed


@pytest.mark.parametrize("typed", ["-3", "", float("nan"), True, "3.5"])
def test_parse_seed_refuses_negative_fractional_and_empty(typed):
    with pytest.raises(ParameterError, match="seed"):
        parse_seed(typed)


def test_parse_seed_words_are_stable_and_distinct():
    assert parse_seed("workshop") == parse_seed("workshop")
    assert parse_seed("workshop") != parse_seed("workshop 2")
    assert parse_seed("workshop") >= 0


def test_text_seed_builds_worlds():
    c = Controller(Settings(n_citizens=N, seed="room 101"))
    assert c.error is None and c.ready
    c2 = Controller(Settings(n_citizens=N, seed="room 101"))
    c.step(3)
    c2.step(3)
    assert c.history["npm"]["total_cost"] == c2.history["npm"]["total_cost"]


def test_step_keeps_worlds_in_lockstep(ctrl):
    assert ctrl.week == 0
    ctrl.step(5)
    assert weeks_of(ctrl) == {"npm": 5, "local_teams": 5}
    assert ctrl.weeks == list(range(6))
    for w in ("npm", "local_teams"):
        assert all(len(v) == 6 for v in ctrl.history[w].values())


def test_same_people_in_both_worlds(ctrl):
    a, b = ctrl.models["npm"], ctrl.models["local_teams"]
    assert np.array_equal(a.population.neighbourhood, b.population.neighbourhood)
    assert np.array_equal(a.population.is_complex, b.population.is_complex)


def test_play_pause_hammering_and_reset_mid_run(ctrl):
    ctrl.speed = 0
    for _ in range(30):
        ctrl.play()
        ctrl.toggle()
        ctrl.toggle()
        ctrl.pause()
    ctrl.play()
    wait_for_week(ctrl, 1)  # really running (a condition, not a pause of a guessed length)
    ctrl.play()  # pressing play while playing changes nothing
    ctrl.reset()  # reset in the middle of a run
    assert not ctrl.playing and ctrl.week == 0
    ctrl.play()
    wait_for_week(ctrl, 1)
    ctrl.pause()
    ctrl.wait_idle()
    wk = weeks_of(ctrl)
    assert wk["npm"] == wk["local_teams"] == ctrl.week > 0
    assert ctrl.weeks == list(range(ctrl.week + 1))
    assert ctrl.error is None


def test_play_respects_speed(ctrl):
    """Playing never runs faster than the chosen speed (a slow machine may run slower)."""
    ctrl.speed = 20
    t0 = time.perf_counter()
    ctrl.play()
    wait_for_week(ctrl, 5)
    ctrl.pause()
    elapsed = time.perf_counter() - t0
    ctrl.wait_idle()
    assert 5 <= ctrl.week <= 20 * elapsed + 2  # unthrottled, 200 citizens would do hundreds of weeks a second


def test_lever_to_one_world_and_twice(ctrl):
    ctrl.step(2)
    iv = ctrl.apply_lever("budget_cut", "npm", percent=20)
    assert iv is not None and iv.week == 2 and iv.target == "npm"
    assert ctrl.models["npm"].p["budget_factor"] == pytest.approx(0.8)
    assert ctrl.models["local_teams"].p["budget_factor"] == pytest.approx(1.0)
    ctrl.apply_lever("budget_cut", "npm", percent=20)
    assert len(ctrl.interventions) == 2
    opt = charts.chart_option("demand", ctrl.frame())
    marks = opt["series"][-1]["markLine"]["data"]
    assert len(marks) == 1 and "x2" in marks[0]["name"]
    assert marks[0]["lineStyle"]["color"] == WORLD_COLOURS["npm"]
    assert weeks_of(ctrl) == {"npm": 2, "local_teams": 2}


def test_switch_button_switches_a_quarter_at_the_default_size():
    """The page's default world (4,000 citizens) has eight neighbourhoods, so "Switch 25% to local
    teams" switches two of them, and the log says what each world really did."""
    c = Controller(Settings(), speed=0, render_every=1)
    assert c.models["npm"].n_neighbourhoods == 8
    iv = c.apply_lever("switch_to_local_teams", "both", share=0.25)
    assert iv is not None and c.error is None
    assert c.models["npm"].is_local.sum() == 2
    assert iv.worlds == ("npm",)  # the local teams world had nothing to switch
    assert "switched 2 of 8 neighbourhoods" in iv.done["npm"]
    assert "nothing to switch" in iv.done["local_teams"]
    assert "NPM: switched 2 of 8" in iv.log_line()


def test_bad_lever_and_bad_settings_become_messages(ctrl):
    assert ctrl.apply_lever("budget_cut", "both", percent=500) is None
    assert "percent" in ctrl.error
    assert ctrl.apply_lever("no_such_lever") is None and "unknown" in ctrl.error
    assert ctrl.apply_lever("budget_cut", "mars") is None and "mars" in ctrl.error
    old = ctrl.models["npm"]
    assert not ctrl.reset(Settings(n_citizens=5))  # below the model's minimum
    assert "n_citizens" in ctrl.error
    assert ctrl.models["npm"] is old  # the old worlds are kept
    assert ctrl.reset(settings_for("npm", Settings(n_citizens=N)))
    assert ctrl.error is None


@pytest.mark.parametrize("field, value", [("complex_share", 0.0), ("complex_share", 1.0), ("budget_factor", 0.1),
                                          ("budget_factor", 3.0), ("eligibility_threshold", 0.0),
                                          ("eligibility_threshold", 1.0), ("target_pressure", 1.0),
                                          ("community_strength", 0.0)])
def test_slider_extremes_run(field, value):
    s = settings_for("npm", Settings(n_citizens=100))
    c = Controller(Settings(**{**s.__dict__, field: value}))
    assert c.error is None
    assert c.step(4)
    assert c.week == 4 and c.error is None


def test_every_preset_builds():
    for key in preset_names():
        c = Controller(settings_for(key, Settings(n_citizens=100)))
        assert c.error is None, (key, c.error)
        c.step(2)
    assert "transition_start" in scenario_overrides("transition")


def test_history_csv_columns(ctrl):
    ctrl.step(3)
    ctrl.apply_lever("recession", "both", severity=1.0)
    ctrl.step(1)
    df = pd.read_csv(io.BytesIO(export.csv_bytes(ctrl)))
    for col in ("world", "week", "value_demand", "failure_demand", "total_cost", "mean_wellbeing",
                "reported_kpi", "real_outcome", "interventions"):
        assert col in df.columns
    assert set(df["world"]) == {"npm", "local_teams"}
    assert len(df) == 2 * 5
    assert df.loc[(df.week == 3), "interventions"].str.contains("recession").all()


def test_thin_index_bounds_points():
    idx = thin_index(5000, 400)
    assert len(idx) <= 400 and idx[0] == 0 and idx[-1] == 4999
    assert list(thin_index(10, 400)) == list(range(10))


def test_chart_options_bounded_and_serialisable(ctrl):
    ctrl.step(2)
    # pretend a very long run: the frame sent to the browser stays bounded
    for w in ctrl.history:
        for k in ctrl.history[w]:
            ctrl.history[w][k] = list(np.linspace(0, 1, 3000))
    ctrl.weeks = list(range(3000))
    frame = ctrl.frame()
    assert len(frame.weeks) <= 400
    for key in charts.CHARTS:
        opt = charts.chart_option(key, frame)
        text = json.dumps(opt)
        assert len(text) < 200_000
        colours = {s.get("lineStyle", {}).get("color") for s in opt["series"]}
        assert WORLD_COLOURS["npm"] in colours and WORLD_COLOURS["local_teams"] in colours


def test_journey_both_worlds(ctrl):
    ctrl.step(20)
    idx = ctrl.with_models(lambda ms: pick_complex(ms))
    j = ctrl.with_models(lambda ms: load_journey(ms, idx))
    assert j.is_complex
    for w in ("npm", "local_teams"):
        ev = j.worlds[w].events
        assert {"week", "event", "domain", "team"} <= set(ev.columns)
        json.dumps(journey_option(j.worlds[w]))
        sentence = j.worlds[w].sentence()
        assert "contact" in sentence
        s = j.worlds[w].summary()  # read out to a room: "1 crisis", "passed on 1 time", never "1 crises"
        assert (f"{s['crises']} crisis" if s["crises"] == 1 else f"{s['crises']} crises") in sentence
        assert (f"passed on {s['passed_on']} time" + ("" if s["passed_on"] == 1 else "s")) in sentence
    assert set(events_table(j)["world"]) <= {"NPM", "Local teams"}
    with pytest.raises(ValueError, match="does not exist"):
        ctrl.with_models(lambda ms: load_journey(ms, N + 5))


def test_network_layout_and_render(ctrl):
    ctrl.step(2)
    m = ctrl.models["npm"]
    src, dst, strength = m.community.edges()
    lay = compute_layout(m.population.neighbourhood, src, dst)
    assert lay.pos.shape == (N, 2) and lay.pos.min() >= 0 and lay.pos.max() <= 1
    r = NetworkRenderer(lay, 800, 400)
    snap = ctrl.population_snapshot()
    jpg1 = r.render(snap, edges=(src, dst, strength), bg_key=1)
    jpg2 = r.render(snap, edges=(src, dst, strength), bg_key=1)  # from the cached background
    assert jpg1[:2] == b"\xff\xd8" and jpg2[:2] == b"\xff\xd8"


def test_explain_loops_are_consistent():
    for lp in explain.LOOPS:
        assert explain.loop_sign_check(lp) == lp.kind, lp.key
        assert lp.chart in charts.CHARTS
        assert len(lp.signs) == len(lp.nodes)
        ET.fromstring(explain.loop_svg(lp))  # well-formed SVG


def test_options_from_query():
    o, problems = parse_options("n=2000&speed=0&render_every=5&seed=abc&present=1&tab=journey&scenario=nope")
    assert o == {"n_citizens": 2000, "speed": 0.0, "render_every": 5, "seed": "abc", "presentation": True,
                 "tab": "journey"}
    assert len(problems) == 1 and "scenario" in problems[0]
    assert parse_options("n=lots")[0] == {}
    assert parse_options(None) == ({}, [])


def test_offline_assets_present():
    from hls_abm.dashboard import offline

    assert offline.problems() == []


def test_transition_schedule_is_marked():
    c = Controller(settings_for("transition", Settings(n_citizens=1000)))
    c.step(110)  # the switch starts at week 52 and takes a year
    sched = [iv for iv in c.interventions if "scheduled" in iv.label]
    assert sched and all(iv.target == "npm" and iv.week >= 52 for iv in sched)


def test_the_assumption_set_reaches_the_worlds_and_is_shown():
    from hls_abm.dashboard.settings import ASSUMPTION_SETS

    assert ASSUMPTION_SETS == ("structural", "evidence", "claims")
    c = Controller(Settings(n_citizens=N, assumptions="structural", target_pressure=0.0))
    assert all(m.p["assumptions"] == "structural" for m in c.models.values())
    assert c.models["local_teams"].p["strengths_gain"] == 0.0  # a direction-tier effect, neutral in this set
    c.close()


def test_choosing_an_assumption_set_moves_the_sliders_it_sets():
    from hls_abm.dashboard.state import DashboardState

    state = DashboardState({"n": N}, build=False)
    state.choose_assumptions("structural")
    form = state.form.value
    assert form.assumptions == "structural" and form.target_pressure == 0.0 and form.eligibility_threshold == 0.375
    assert "assumptions" in state.pending_changes()


def test_journey_sentence_says_one_crisis_not_one_crises():
    from hls_abm.dashboard.journey import _plural

    assert [_plural(n, "crisis", "crises") for n in (0, 1, 2)] == ["0 crises", "1 crisis", "2 crises"]
    assert _plural(1, "time") == "1 time" and _plural(3, "rejection") == "3 rejections"
