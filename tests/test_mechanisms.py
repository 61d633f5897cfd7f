"""Each mechanism shown acting on its own, in a small controlled world."""

import numpy as np
import pytest

from hls_abm import HLSModel
from hls_abm.population import COUPLING, MENTAL, MONEY
from hls_abm.services import crisis
from hls_abm.services.cases import NONE, OPEN, WAITING
from hls_abm.services.front_door import seek_help
from hls_abm.services.staff import update_staff


def quiet_world(scenario="npm", n=200, **kw):
    """A world with no life events and no warm-up, so one mechanism can be watched."""
    kw = {"shock_rate": 0.0, "warmup_weeks": 0, **kw}
    return HLSModel(scenario, n_citizens=n, rng=11, **kw)


def test_unmet_debt_worsens_mental_health_through_the_coupling_matrix():
    assert COUPLING[MONEY, MENTAL] > 0
    a, b = quiet_world(budget_factor=0.1), quiet_world(budget_factor=0.1)
    i = int(np.nonzero(a.population.is_complex)[0][0])
    for m in (a, b):
        m.population.needs[i] = 0.05
    a.population.needs[i, MONEY] = 0.8  # the same person, in debt in one world only
    for m in (a, b):
        m.population.resilience[i] = 0.3
        m.run_for(8)
    assert a.population.needs[i, MENTAL] > b.population.needs[i, MENTAL] + 0.05


def test_entrenched_needs_cost_more_hours_and_respond_less():
    m = quiet_world(budget_factor=3.0)
    pop, cases = m.population, m.cases
    i, j = 0, 1
    pop.needs[[i, j]] = 0.0
    pop.needs[[i, j], MENTAL] = 0.6
    pop.unmet_weeks[i, MENTAL] = 0
    pop.unmet_weeks[j, MENTAL] = 52  # the same need, left unmet for a year
    for c in (i, j):
        cases.status[c, MENTAL] = OPEN
        cases.team[c, MENTAL] = MENTAL
    before = pop.needs[[i, j], MENTAL].copy()
    from hls_abm.services.staff import update_capacity

    update_capacity(m.world.teams, m.p)
    cases.work(m.world.teams, pop, m.p, practice=np.ones(m.world.teams.n))
    fall = before - pop.needs[[i, j], MENTAL]
    assert fall[0] > 1.5 * fall[1] > 0


def test_a_rejected_need_comes_back_as_failure_demand():
    m = quiet_world(eligibility_threshold=0.9, contact_rate=1.0)
    pop, cases = m.population, m.cases
    pop.needs[:] = 0.0
    pop.help_threshold[:] = 0.4
    pop.trust[:] = 0.5
    pop.needs[0, MONEY] = 0.6  # above the person's threshold, below the silo's
    m.step()
    assert cases.failure[0, MONEY]  # rejected at the door
    first = m.metrics().iloc[-1]
    assert first.rejections >= 1 and first.failure_demand == 0
    m.step()  # still in need: they ask again, and that contact is failure demand
    assert m.metrics().iloc[-1].failure_demand >= 1


def test_people_present_their_most_salient_need_not_the_root_cause():
    m = quiet_world()
    pop, cases = m.population, m.cases
    pop.needs[:] = 0.0
    pop.help_threshold[:] = 0.3
    pop.trust[:] = 0.5
    pop.needs[:, MONEY] = 0.7  # root cause: debt
    pop.needs[:, 0] = 0.65  # presenting: physical symptoms, more visible
    c = seek_help(pop, cases, m.p, np.zeros(pop.n), np.full((pop.n, 6), 0.5), np.zeros(pop.n, bool))
    assert (c.domain == 0).mean() > 0.9


def test_handoffs_lose_people_and_silos_assess_again():
    # every contact answered; no threshold gaming, so every need of 0.6 is above its silo's threshold and a
    # failure can come only from the hand-off
    m = quiet_world(handoff_loss=1.0, contact_rate=1.0, budget_factor=3.0, frontdoor_share=1.0, threshold_gaming=0.0)
    pop = m.population
    pop.needs[:] = 0.0
    pop.trust[:] = 0.5  # average trust: the loss rate is handoff_loss itself
    pop.help_threshold[:] = 0.3
    pop.needs[:, 0] = 0.7
    pop.needs[:, MONEY] = 0.6
    m.step()
    row = m.metrics().iloc[-1]
    assert row.referrals > 0
    assert row.handoffs_lost == row.referrals  # everyone lost at the hand-off
    assert m.cases.failure[:, MONEY].sum() == row.handoffs_lost


def test_npm_episodes_close_on_the_clock_local_teams_when_stable():
    for scenario, expect_high in (("npm", True), ("local_teams", False)):
        m = quiet_world(scenario, episode_weeks=2, target_pressure=0.0, service_efficacy=0.0, budget_factor=3.0)
        pop, cases = m.population, m.cases
        pop.needs[:] = 0.0
        pop.needs[0, MONEY] = 0.7
        team = MONEY if scenario == "npm" else 6 + pop.neighbourhood[0]
        cases.put_on_waiting_list(np.array([0]), np.array([MONEY]), np.array([team]), 0, np.array([0.0]))
        m.run_for(4)
        closed = cases.status[0, MONEY] == NONE
        assert closed == expect_high  # no progress: NPM closes anyway, a local team keeps going
        if expect_high:
            assert cases.failure[0, MONEY]  # closed while still high: it will come back


def test_continuity_keeps_the_relationship_only_with_the_same_team():
    m = quiet_world("local_teams", budget_factor=3.0)
    cases, pop = m.cases, m.population
    t = 6 + pop.neighbourhood[0]
    cases.relation[0, MONEY] = 0.8
    cases.relation_team[0, MONEY] = t
    cases.relation[1, MONEY] = 0.8
    cases.relation_team[1, MONEY] = MONEY  # an old silo worker
    pop.needs[[0, 1], MONEY] = 0.6
    cases.put_on_waiting_list(np.array([0, 1]), np.array([MONEY, MONEY]), np.array([t, 6 + pop.neighbourhood[1]]), 0,
                              np.zeros(2))
    from hls_abm.services.staff import update_capacity

    update_capacity(m.world.teams, m.p)
    cases.admit(m.world.teams, pop.needs, m.p, 1)
    assert cases.status[0, MONEY] == OPEN and cases.relation[0, MONEY] == 0.8
    assert cases.relation[1, MONEY] == 0.0


def test_a_local_team_knows_the_person_a_silo_knows_the_need():
    """Continuity is with a team. A local team that has worked with someone on their money starts
    a new housing need from that relationship, and what grows on one need holds for all; an NPM
    housing silo starts from zero even if the money silo knows the person well."""
    from hls_abm.population import HOUSING
    from hls_abm.services.staff import update_capacity

    def admit_housing(scenario, money_team, housing_team):
        m = quiet_world(scenario, budget_factor=3.0)
        cases, pop = m.cases, m.population
        cases.relation[0, MONEY] = 0.7
        cases.relation_team[0, MONEY] = money_team(m)
        pop.needs[0, HOUSING] = 0.6
        cases.put_on_waiting_list(np.array([0]), np.array([HOUSING]), np.array([housing_team(m)]), 0, np.zeros(1))
        update_capacity(m.world.teams, m.p)
        cases.admit(m.world.teams, pop.needs, m.p, 1)
        assert cases.status[0, HOUSING] == OPEN
        return m

    def local(m):
        return 6 + m.population.neighbourhood[0]

    assert admit_housing("npm", lambda m: MONEY, lambda m: HOUSING).cases.relation[0, HOUSING] == 0.0
    m = admit_housing("local_teams", local, local)
    cases, pop = m.cases, m.population
    assert cases.relation[0, HOUSING] == 0.7
    # both needs open with the local team: the relationship grows as one
    cases.status[0, MONEY], cases.team[0, MONEY] = OPEN, local(m)
    pop.needs[0, MONEY] = 0.6
    cases.relation[0, MONEY] = 0.2
    cases.work(m.world.teams, pop, m.p, np.ones(m.world.teams.n))
    assert cases.relation[0, MONEY] == cases.relation[0, HOUSING] > 0.7


def test_a_crisis_costs_pushes_other_needs_up_and_knocks_resilience():
    m = quiet_world()
    pop = m.population
    pop.needs[:] = 0.2
    pop.needs[0, MENTAL] = 0.95
    res = pop.resilience[0]
    ci, cd = crisis.respond(m.population, m.p, m.journeys, m.week)
    assert list(ci) == [0] and cd[0] == MENTAL
    assert pop.needs[0, MONEY] > 0.2 and pop.resilience[0] < res
    assert pop.cost[0] == m.p["crisis_cost"]


def test_overload_raises_stress_turnover_and_cuts_capacity():
    m = quiet_world()
    t = m.world.teams
    staff0 = t.staff.copy()
    t.capacity[:] = 10.0
    t.case_demand[:] = 20.0  # twice what the team can do
    for _ in range(20):
        update_staff(t, m.p, np.zeros(t.n))
    busy = staff0 > 0
    assert (t.stress[busy] > 0.5).all()
    assert (t.sickness[busy] > 0).all()
    assert (t.staff[busy] < staff0[busy]).all()


def test_cut_posts_empty_over_the_notice_period_with_redundancy_pay():
    """A budget cut does not shed staff overnight: posts above the new establishment empty at
    1/notice_weeks a week (staff paid meanwhile) and each FTE made redundant costs redundancy pay."""
    def one_off_costs(**kw):
        m = quiet_world(n=1000, base_turnover=0.0, stress_turnover=0.0, **kw)
        t = m.world.teams
        m.apply_lever("budget_cut", percent=20)
        surplus0 = float((t.staff - t.establishment).clip(0).sum())
        costs, surplus = [], []
        for _ in range(8):
            costs.append(update_staff(t, m.p, np.zeros(t.n)))
            surplus.append(float((t.staff - t.establishment).clip(0).sum()))
        return m, surplus0, np.array(surplus), np.array(costs)

    m, s0, surplus, costs = one_off_costs(notice_weeks=4, redundancy_weeks=10.0)
    assert s0 > 1.0
    assert np.allclose(surplus, s0 * 0.75 ** np.arange(1, 9))  # a quarter of the surplus goes each week
    week_pay = m.p["staff_hours"] * m.p["npm_cost_per_hour"] * (1 - m.p["npm_overhead_share"])
    assert np.allclose(costs, 10.0 * week_pay * s0 * 0.25 * 0.75 ** np.arange(8))
    _, s0b, surplus_b, costs_b = one_off_costs(notice_weeks=1, redundancy_weeks=0.0)
    assert s0b == pytest.approx(s0) and surplus_b.max() == 0.0 and costs_b.max() == 0.0  # overnight, free


@pytest.mark.parametrize("share", [0.0, 0.5, 1.0])
def test_switch_redeploys_npm_staff_into_the_new_teams(share):
    """Switching neighbourhoods: redeploy_share of the staff whose NPM posts go move into the new
    local teams at once (as novices); the rest of the new posts are recruited (at a cost) and the
    other NPM staff stay over their notice period."""
    m = quiet_world(n=2000, redeploy_share=share)
    t = m.world.teams
    npm_before = float(t.staff[:6].sum())
    m.switch_to_local_teams(0.5)
    new = t.establishment[6:] > 0
    surplus = npm_before - float(t.establishment[:6].sum())
    moved = min(share * surplus, float(t.establishment[6:][new].sum()))
    assert surplus > 0
    assert float(t.staff[:6].sum()) == pytest.approx(npm_before - moved)  # the rest serve notice
    assert np.allclose(t.staff[6:][new], t.establishment[6:][new])  # new teams fully staffed at once
    assert np.allclose(t.novices[6:][new], t.staff[6:][new])  # everyone new to the practice
    recruited = float(t.staff[6:][new].sum()) - moved
    assert m.ledger.pending_investment == pytest.approx(recruited * m.p["recruitment_cost"])


def test_informal_support_flows_to_neighbours_in_need_and_unused_ties_fade():
    m = quiet_world(community_strength=1.0)
    pop, com = m.population, m.community
    com.support_flow(pop, 1.0)
    with_ties = pop.support.copy()
    com.strength[:] = 0.0
    com.support_flow(pop, 1.0)
    assert with_ties.mean() > 0 and pop.support.max() == 0
    m2 = quiet_world(community_strength=0.0, tie_growth=0.0)
    s0 = m2.community.strength.mean()
    m2.run_for(10)
    assert m2.community.strength.mean() < s0


def test_local_teams_connect_isolated_clients_to_neighbours():
    m = quiet_world("local_teams", connect_rate=1.0, budget_factor=3.0)
    pop, cases = m.population, m.cases
    n_ties = m.community.n_ties
    pop.needs[:5, 4] = 0.7
    for c in range(5):
        cases.status[c, 4] = OPEN
        cases.team[c, 4] = 6 + pop.neighbourhood[c]
    m.world.local_teams.work(m.world, m.week_context())
    assert m.community.n_ties > n_ties


def test_waiting_list_chasing_is_failure_demand():
    m = quiet_world(chase_rate=1.0, contact_rate=0.0)
    pop, cases = m.population, m.cases
    pop.needs[:] = 0.0
    pop.needs[:10, MONEY] = 0.7
    cases.status[:10, MONEY] = WAITING
    cases.team[:10, MONEY] = MONEY
    c = seek_help(pop, cases, m.p, np.full(pop.n, 0.5), np.full((pop.n, 6), 0.5), np.zeros(pop.n, bool))
    assert len(c) == 10 and c.chase.all() and c.failure.all()


@pytest.mark.parametrize("pressure", [0.0, 1.0])
def test_target_pressure_games_the_threshold_and_the_episode(pressure):
    from hls_abm.services import npm

    m = quiet_world(target_pressure=pressure)
    thr, ep = npm.effective_threshold(m.p), npm.episode_length(m.p)
    if pressure == 0:
        assert thr == m.p["eligibility_threshold"] and ep == m.p["episode_weeks"]
    else:
        assert thr > m.p["eligibility_threshold"] and ep < m.p["episode_weeks"]


def test_the_budget_buys_staff_at_the_all_in_cost_per_hour():
    """KPMG's cost per hour is a provider's whole cost, overhead included: a euro buys fewer local
    hours than NPM hours (54.47 against 48.74), whatever the overhead shares, and a full week's
    staff plus overhead costs the budget."""
    npm, local = (HLSModel(s, n_citizens=1000, rng=2, warmup_weeks=0) for s in ("npm", "local_teams"))
    p = npm.p
    budget = p["budget_per_citizen"] * p["budget_factor"] * 1000
    for m, cost in ((npm, p["npm_cost_per_hour"]), (local, p["local_cost_per_hour"])):
        t = m.world.teams
        assert t.establishment.sum() * p["staff_hours"] * cost == pytest.approx(budget)
        pay = t.establishment * p["staff_hours"] * t.pay_per_hour
        assert (pay / (1 - t.overhead_share)).sum() == pytest.approx(budget)
    ratio = local.world.teams.establishment.sum() / npm.world.teams.establishment.sum()
    assert ratio == pytest.approx(p["npm_cost_per_hour"] / p["local_cost_per_hour"])


def test_missed_targets_ratchet_up_npm_overhead_out_of_front_line_posts():
    """Markets, Managers, Metrics: at the year's turn NPM's overhead share becomes its base plus
    overhead_ratchet x (1 - reported KPI); the silos' funded posts fall so the budget is unchanged."""
    m = quiet_world(budget_factor=0.5, overhead_ratchet=0.2, target_weeks=1)
    t, p = m.world.teams, m.p
    fte0 = t.establishment[t.silos].sum()
    m.run_for(51)
    assert t.overhead_share[t.silos] == pytest.approx(p["npm_overhead_share"])  # not before the year's turn
    m.run_for(1)
    kpi = m.ledger.kpi["reported"]
    assert kpi < 0.9  # a one-week target is mostly missed
    share = p["npm_overhead_share"] + 0.2 * (1 - kpi)
    assert t.overhead_share[t.silos] == pytest.approx(share)
    assert t.establishment[t.silos].sum() == pytest.approx(fte0 * (1 - share) / (1 - p["npm_overhead_share"]))
    off = quiet_world(budget_factor=0.5, target_weeks=1, overhead_ratchet=0.0)
    off.run_for(52)
    assert off.world.teams.overhead_share[off.world.teams.silos] == pytest.approx(p["npm_overhead_share"])


def test_a_local_team_with_a_backlog_closes_its_books_when_local_gatekeeping_is_on():
    """Off (the default) a local team takes on every disclosed need above local_threshold however long its
    waiting list; with local_gatekeeping its intake threshold rises with the backlog, so fewer needs wait
    and the staff are less stressed (needs left with the person count as unmet either way, waiting or not).
    Runs on the same seeds, at a budget that overloads the teams."""
    def run(gate, seed):
        m = HLSModel("local_teams", n_citizens=400, rng=seed, budget_factor=0.8, local_gatekeeping=gate)
        m.run_for(52)
        return m.metrics()[["waiting_list", "staff_stress"]].mean()

    for seed in (1, 2, 3):
        off, on = run(0.0, seed), run(1.0, seed)
        assert off["waiting_list"] > 50  # overloaded without the loop: the test means something
        assert on["waiting_list"] < 0.7 * off["waiting_list"]
        assert on["staff_stress"] < off["staff_stress"] - 0.2
