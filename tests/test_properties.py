"""Property-based checks over the parameter space (hypothesis)."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hls_abm import HLSModel

params = st.fixed_dictionaries(
    {
        "complex_share": st.floats(0, 1),
        "community_strength": st.floats(0, 1),
        "budget_factor": st.floats(0.1, 3.0),
        "eligibility_threshold": st.floats(0, 1),
        "target_pressure": st.floats(0, 1),
        "shock_rate": st.floats(0, 0.2),
        "coupling_strength": st.floats(0, 3),
        "handoff_loss": st.floats(0, 1),
        "local_team_share": st.floats(0, 1),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=params, seed=st.integers(0, 2**32), scenario=st.sampled_from(["npm", "local_teams", "pilot"]))
def test_invariants_hold_everywhere(p, seed, scenario):
    m = HLSModel(scenario, n_citizens=120, rng=seed, warmup_weeks=8, **p)
    lever_week = seed % 10
    for week in range(12):
        if week == lever_week:
            m.apply_lever("budget_cut", percent=30)
            m.apply_lever("switch_to_local_teams", share=0.5)
        m.step()
        pop = m.population
        for arr in (pop.needs, pop.wellbeing, pop.resilience, pop.trust, m.community.strength):
            assert np.all((arr >= 0) & (arr <= 1))
    df = m.metrics()
    costs = ["cost_staff", "cost_support", "cost_overhead", "cost_crisis", "cost_investment"]
    assert (df[costs] >= 0).all().all()
    np.testing.assert_allclose(df.total_cost, df[costs].sum(axis=1), rtol=1e-12)
    assert (df.value_demand + df.failure_demand == df.contacts).all()
    assert len(m.citizens) == 120 and m.population.needs.shape[0] == 120
    assert np.isfinite(df.to_numpy()).all()
