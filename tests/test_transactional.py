"""One-off transactional requests (issue 9, item 5): a silo's standard process vs a local team's whole-person way.

Mechanism tests run the ``requests`` stage on its own with chosen draws; the emergent test runs small twin
worlds over several seeds; bad inputs name the field and its range.
"""

from __future__ import annotations

import numpy as np
import pytest

from hls_abm import HLSModel, ParameterError, twin_worlds
from hls_abm import week as stages
from hls_abm.services.cases import NONE
from hls_abm.services.staff import local_team_of

TX = dict(transaction_hours=0.5, npm_transaction_factor=1.0, local_transaction_factor=2.0, contact_hours=0.4,
          assessment_hours=1.5, local_assessment_factor=1.5, process_misfit=0.5)


def _model(system, **kw):
    m = HLSModel(system, n_citizens=200, rng=4, warmup_weeks=0, transactional_rate=0.05, **{**TX, **kw})
    m.step()  # teams have their hours for the week
    return m


def _request(m, citizens, fits=True):
    """Run the requests stage with only ``citizens`` raising a request this week; returns front-door hours used
    by team and the week's ledger counts."""
    n = m.population.n
    u = np.ones((n, 2))
    u[citizens, 0] = 0.0  # a new request (below any rate), or a return (below contact_rate)
    u[citizens, 1] = 1.0 if fits else 0.0  # the standard process fits unless the draw is below process_misfit
    m.ledger.new_week()
    m.world.teams.open_front_door()
    week = m.week_context()
    week.draws["request"] = u
    stages.requests(m.world, week)
    return m.world.teams.frontdoor.copy(), dict(m.ledger.counts)


def _calm_citizen(m):
    """A citizen with every need below their help threshold, no case and no open request."""
    pop = m.population
    calm = (pop.needs < pop.help_threshold[:, None]).all(axis=1) & (m.cases.status == NONE).all(axis=1)
    calm &= ~m.world.requests.open
    return int(np.nonzero(calm)[0][0])


def _tangled_citizen(m):
    """A citizen with a need above their help threshold and no open request."""
    pop = m.population
    tangled = (pop.needs >= pop.help_threshold[:, None]).any(axis=1) & ~m.world.requests.open
    return int(np.nonzero(tangled)[0][0])


# --- mechanism ------------------------------------------------------------------------------------------
def test_npm_resolves_a_request_by_the_silos_standard_process():
    m = _model("npm")
    i = _calm_citizen(m)
    hours, counts = _request(m, [i])
    silo = int(m.world.requests.domain[i])
    standard = TX["contact_hours"] + TX["transaction_hours"] * TX["npm_transaction_factor"]
    assert hours[silo] == pytest.approx(standard)
    assert hours.sum() == pytest.approx(standard)  # nobody else does anything: no conversation, no referral
    assert counts["requests"] == counts["requests_resolved"] == counts["contacts"] == counts["value_demand"] == 1
    assert counts["request_hours"] == pytest.approx(standard)
    assert not m.world.requests.open[i]
    assert (m.cases.status[i] == NONE).all()  # a standard process asks about nothing else


def test_local_team_resolves_a_request_in_its_whole_person_way():
    m = _model("local_teams")
    i = _calm_citizen(m)
    team = local_team_of(m.population.neighbourhood[i])
    hours, counts = _request(m, [i])
    generalist = TX["contact_hours"] + TX["transaction_hours"] * TX["local_transaction_factor"]
    conversation = TX["assessment_hours"] * TX["local_assessment_factor"]
    assert hours[team] == pytest.approx(generalist + conversation)  # a person the team does not know yet
    assert hours.sum() == pytest.approx(generalist + conversation)
    assert counts["requests_resolved"] == 1 and counts["request_hours"] == pytest.approx(generalist + conversation)
    # A person the team knows (a need on its list) gets no second conversation.
    j = _calm_citizen(m)
    m.cases.put_on_waiting_list(np.array([j]), np.array([0]), local_team_of(m.population.neighbourhood[j:j + 1]), 1, 0.0)
    hours, _ = _request(m, [j])
    assert hours.sum() == pytest.approx(generalist)


def test_the_local_conversation_takes_on_disclosed_needs_the_standard_process_never_hears():
    # local_gatekeeping 0: a team with a backlog in its first week would close its books to the lower needs
    npm, local = (_model(s, local_disclosure=1.0, npm_disclosure=1.0, local_gatekeeping=0.0) for s in ("npm", "local_teams"))
    i = _tangled_citizen(local)
    assert i == _tangled_citizen(npm)  # twin worlds: the same people
    _request(npm, [i])
    _request(local, [i])
    assert (npm.cases.status[i] == NONE).all()
    assert (local.cases.status[i] != NONE).any()


def test_a_misfit_request_fails_the_standard_process_and_comes_back_as_failure_demand():
    m = _model("npm", process_misfit=1.0)
    i = _tangled_citizen(m)
    _, counts = _request(m, [i], fits=False)
    assert counts["requests"] == 1 and counts.get("requests_resolved", 0) == 0
    assert m.world.requests.open[i]
    _, counts = _request(m, [i], fits=True)  # next week it comes back, and this time the process fits
    assert counts["failure_demand"] == 1 and counts.get("value_demand", 0) == 0
    assert counts["requests_resolved"] == 1 and not m.world.requests.open[i]
    # a person with no need above their help threshold: the standard process always fits
    j = _calm_citizen(m)
    _, counts = _request(m, [j], fits=False)
    assert counts["requests_resolved"] == 1


def test_a_request_the_front_door_cannot_answer_stays_open():
    m = _model("npm", frontdoor_share=0.05)
    m.world.teams.capacity[:] = 0.0  # no hours at all this week
    i = _calm_citizen(m)
    _, counts = _request(m, [i])
    assert counts["unanswered"] == 1 and counts.get("requests_resolved", 0) == 0 and m.world.requests.open[i]


def test_requests_are_contacts_and_keep_the_accounting_identities():
    for system in ("npm", "local_teams"):
        m = HLSModel(system, n_citizens=300, rng=7, warmup_weeks=5, transactional_rate=0.05)
        m.run_for(15)
        df = m.metrics()
        assert (df.value_demand + df.failure_demand == df.contacts).all()
        cost_parts = df[["cost_staff", "cost_support", "cost_overhead", "cost_crisis", "cost_investment"]].sum(axis=1)
        np.testing.assert_allclose(df.total_cost, cost_parts, rtol=1e-12)
        base = HLSModel(system, n_citizens=300, rng=7, warmup_weeks=5)
        base.run_for(15)
        assert df.contacts.sum() > base.metrics().contacts.sum()  # the requests are counted as contacts


def test_with_no_requests_nothing_is_drawn_and_switching_them_on_leaves_the_other_streams_alone():
    assert "request" not in HLSModel("npm", n_citizens=200, rng=3, warmup_weeks=4).week_context().draws
    off = HLSModel("npm", n_citizens=200, rng=3, warmup_weeks=4)
    on = HLSModel("npm", n_citizens=200, rng=3, warmup_weeks=4, transactional_rate=0.1)
    off.run_for(6)
    on.run_for(6)
    for name in ("life_events", "behaviour"):  # common random numbers across rates, not only across systems
        assert off.world.streams[name].bit_generator.state == on.world.streams[name].bit_generator.state
    assert off.world.streams["requests"].bit_generator.state != on.world.streams["requests"].bit_generator.state


# --- emergent: cost per resolved request ------------------------------------------------------------------
def _per_request(m, weeks):
    """Staff cost (pay and overhead) of the hours spent on requests, per request resolved, over ``weeks``."""
    from hls_abm.metrics import cost_per_request

    return cost_per_request(m, weeks)


def test_a_standard_process_resolves_requests_more_cheaply_where_lives_are_simple_and_less_so_where_they_are_not():
    """What the mechanism implies: with simple needs a silo's standard process costs less per resolved request
    than a local team's visit (fewer hours, at a lower cost per hour, and few requests vary from the process).
    With many complex lives the gap narrows: the process fails tangled requests, which come back and take
    hours again, while the local team knows more of the people who ask and skips the conversation."""
    ratio = {0.0: [], 0.5: []}
    for seed in range(3):
        for cx in ratio:
            npm, local = twin_worlds(n_citizens=500, rng=seed, warmup_weeks=20, complex_share=cx, transactional_rate=0.04,
                                     process_misfit=0.8)
            ratio[cx].append(_per_request(npm, 30) / _per_request(local, 30))
    simple, complex_ = np.array(ratio[0.0]), np.array(ratio[0.5])
    assert (simple < 1.0).all(), simple  # NPM cheaper per resolved request in every seed
    assert (complex_ > simple).all(), (simple, complex_)  # and the gap narrows with complexity, paired by seed


# --- bad inputs -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, value, allowed", [
    ("transactional_rate", -0.01, r"\[0.0, 0.5\]"),
    ("transactional_rate", 0.6, r"\[0.0, 0.5\]"),
    ("transactional_rate", "often", r"\[0.0, 0.5\]"),
    ("transactional_rate", float("nan"), r"\[0.0, 0.5\]"),
    ("transaction_hours", -1, r"\[0.0, 10.0\]"),
    ("npm_transaction_factor", 0.0, r"\[0.1, 10.0\]"),
    ("local_transaction_factor", 11, r"\[0.1, 10.0\]"),
    ("process_misfit", 1.5, r"\[0.0, 1.0\]"),
    ("process_misfit", True, r"\[0.0, 1.0\]"),
])
def test_bad_values_name_the_field_and_its_range(name, value, allowed):
    with pytest.raises(ParameterError, match=rf"^{name}=.* is not allowed: expected a number in {allowed}"):
        HLSModel("npm", n_citizens=100, rng=1, **{name: value})
