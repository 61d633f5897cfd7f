"""Public API, reproducibility, twin worlds (common random numbers) and levers."""

import numpy as np
import pandas as pd
import pytest

from hls_abm import DOMAINS, LEVERS, HLSModel, ParameterError, twin_worlds
from hls_abm.metrics import MODEL_REPORTERS

REQUIRED = [
    "contacts", "value_demand", "failure_demand", "failure_demand_share", "referrals", "handoffs_per_person",
    "waiting_list", "mean_wait_weeks", "unmet_need", "crisis_events", "cost_staff", "cost_support",
    "cost_overhead", "cost_crisis", "total_cost", "cost_per_citizen", "mean_wellbeing", "p10_wellbeing",
    "wellbeing_gini", "mean_resilience", "isolated_share", "mean_tie_strength", "staff_stress",
    "staff_sickness", "staff_turnover", "reported_kpi", "real_outcome",
]


def test_model_is_a_mesa_model_with_the_documented_columns():
    import mesa

    m = HLSModel(scenario="npm", n_citizens=300, rng=42, warmup_weeks=10)
    assert isinstance(m, mesa.Model)
    m.run_for(5)
    df = m.datacollector.get_model_vars_dataframe()
    assert len(df) == 5 and m.week == 5
    for col in REQUIRED:
        assert col in df.columns, col
    assert len(m.citizens) == 300
    c = m.citizens.to_list()[7]
    assert set(c.needs) == set(DOMAINS)
    assert 0 <= c.wellbeing <= 1
    assert {t.kind for t in m.team_agents} == {"npm", "local_teams"}


def test_same_seed_same_dataframe_bit_for_bit():
    a = HLSModel("transition", n_citizens=400, rng=7, transition_start=5, transition_weeks=10, warmup_weeks=20)
    b = HLSModel("transition", n_citizens=400, rng=7, transition_start=5, transition_weeks=10, warmup_weeks=20)
    a.run_for(30)
    b.run_for(30)
    pd.testing.assert_frame_equal(a.metrics(), b.metrics(), check_exact=True)
    c = HLSModel("transition", n_citizens=400, rng=8, transition_start=5, transition_weeks=10, warmup_weeks=20)
    c.run_for(30)
    assert not a.metrics().equals(c.metrics())


def test_twin_worlds_share_people_network_and_life_events():
    npm, lt = twin_worlds(n_citizens=500, rng=3, warmup_weeks=30)
    assert npm.p["system"] == "npm" and lt.p["system"] == "local_teams"
    # same people and the same established state at week 0
    np.testing.assert_array_equal(npm.population.needs, lt.population.needs)
    np.testing.assert_array_equal(npm.population.is_complex, lt.population.is_complex)
    np.testing.assert_array_equal(npm.community.src, lt.community.src)
    np.testing.assert_array_equal(npm.community.strength, lt.community.strength)
    # the same life events, week after week, whatever the system does
    for _ in range(3):
        np.testing.assert_array_equal(npm.world.draw_week()["events"], lt.world.draw_week()["events"])
    # ... and the systems then make the difference
    npm.run_for(20)
    lt.run_for(20)
    assert not np.allclose(npm.population.needs, lt.population.needs)


def test_levers_apply_at_any_week_and_are_recorded():
    m = HLSModel("npm", n_citizens=400, rng=1, warmup_weeks=10)
    m.run_for(3)
    est = m.world.teams.establishment[:6].sum()
    rec = m.apply_lever("budget_cut", percent=20)
    assert rec["week"] == 3 and rec["lever"] == "budget_cut"
    assert m.world.teams.establishment[:6].sum() == pytest.approx(0.8 * est)
    m.apply_lever("raise_threshold", delta=0.1)
    assert m.p["eligibility_threshold"] == pytest.approx(0.6)
    m.apply_lever("target_pressure", value=0.9)
    m.apply_lever("recession", severity=1.0)
    assert m.p["money_shock_multiplier"] == 2.0
    m.apply_lever("community_investment", amount=0.2)
    m.run_for(1)
    assert m.metrics().cost_investment.iloc[-1] > 0
    n = m.apply_lever("switch_to_local_teams", share=1.0)
    assert m.is_local.all() and "neighbourhood" in n["label"]
    m.run_for(2)
    assert [r["lever"] for r in m.levers_applied] == [
        "budget_cut", "raise_threshold", "target_pressure", "recession", "community_investment", "switch_to_local_teams",
    ]
    assert set(LEVERS) >= {r["lever"] for r in m.levers_applied}
    with pytest.raises(ParameterError, match=r"percent.*\[0.0, 90.0\]"):
        m.apply_lever("budget_cut", percent=150)
    with pytest.raises(ParameterError, match="unknown"):
        m.apply_lever("abolish_targets")


def test_a_share_of_neighbourhoods_is_never_silently_none():
    """1,000 citizens make two neighbourhoods: "switch 25%" switches one (not round(0.5) = 0),
    and so does the pilot's 25% at the start; a share of 0 switches none."""
    m = HLSModel("npm", n_citizens=1000, rng=1, warmup_weeks=0)
    assert m.n_neighbourhoods == 2
    assert m.apply_lever("switch_to_local_teams", share=0.0)["label"].startswith("0 ")
    assert m.apply_lever("switch_to_local_teams", share=0.25)["label"].startswith("1 ")
    assert m.is_local.sum() == 1
    assert HLSModel("pilot", n_citizens=1000, rng=1, warmup_weeks=0).is_local.sum() == 1
    assert HLSModel("pilot", n_citizens=4000, rng=1, warmup_weeks=0).is_local.sum() == 2  # round(0.25 x 8)


def test_transition_scenario_switches_neighbourhoods_over_time():
    m = HLSModel("transition", n_citizens=2000, rng=2, transition_start=4, transition_weeks=4, warmup_weeks=10)
    m.run_for(3)
    assert m.is_local.sum() == 0
    m.run_for(6)
    assert m.is_local.all()
    assert all(r["source"] == "schedule" for r in m.levers_applied)


def test_journeys_are_recorded_on_request():
    m = HLSModel("npm", n_citizens=300, rng=5, warmup_weeks=20, record_events=True)
    m.run_for(30)
    busiest = np.argmax(m.population.needs.sum(axis=1))
    counts = pd.Series([len(m.journey(i)) for i in range(300)])
    assert counts.sum() > 0
    j = m.journey(int(counts.idxmax()))
    assert {"week", "event", "domain", "team"} <= set(j.columns)
    assert j.week.between(1, 30).all()
    h = m.needs_history(int(busiest))
    assert h.shape == (30, len(DOMAINS))
    with pytest.raises(RuntimeError):
        HLSModel("npm", n_citizens=50, rng=1, warmup_weeks=0).journey(0)


def test_every_reporter_is_finite_from_week_one():
    for scenario in ("npm", "local_teams"):
        m = HLSModel(scenario, n_citizens=200, rng=9, warmup_weeks=0)
        m.step()
        row = m.latest_metrics()
        assert set(MODEL_REPORTERS) == set(row)
        assert all(np.isfinite(v) for v in row.values())


def test_journeys_show_admissions_with_their_team():
    m = HLSModel("local_teams", n_citizens=300, rng=5, warmup_weeks=20, record_events=True)
    m.run_for(15)
    events = __import__("pandas").concat([m.journey(i) for i in range(300)])
    admitted = events[events.event == "admitted"]
    assert len(admitted) > 0 and admitted.team.str.startswith("local team").all()


def test_transition_schedule_counts_weeks_from_the_end_of_the_warm_up():
    npm = HLSModel("npm", n_citizens=400, rng=3, warmup_weeks=60)
    tr = HLSModel("transition", n_citizens=400, rng=3, warmup_weeks=60, transition_start=10)
    np.testing.assert_array_equal(npm.population.needs, tr.population.needs)
    assert not tr.is_local.any() and not tr.levers_applied
    npm.run_for(5)
    tr.run_for(5)
    pd.testing.assert_frame_equal(npm.metrics(), tr.metrics())
