"""Buurtzorg-style local teams: one small self-managing team per neighbourhood.

A local team has a low threshold and reaches out to people at risk; it works
on all of a person's needs at once, starting from the conversation about the
whole life (so root causes come into view); the same worker stays, so the
relationship and trust grow; it works from strengths (resilience grows); a
case ends when the person is stable, not when a clock runs out; it connects
isolated people to neighbours; and it adapts its own practice from the
outcomes it sees (S000, S001; Monsen & de Blok 2013). See docs/ODD.md.
"""

from __future__ import annotations

import numpy as np

from .._util import bincount, nonzero2, rowall, rowany, rowmax
from ..params import DOMAINS
from ..population import ISOLATION
from .cases import NONE, OPEN

N_SILOS = len(DOMAINS)
RECURRENCE_WINDOW = 26  # weeks after closure in which a return counts against the team (assumption)


def team_of(model, citizens: np.ndarray) -> np.ndarray:
    return N_SILOS + model.population.neighbourhood[citizens]


def intake(model, ci: np.ndarray, dom: np.ndarray, u_disclose: np.ndarray) -> None:
    """Contacts to the patch team: one holistic conversation; every disclosed need is taken on."""
    p, pop, cases, teams, week = model.p, model.population, model.cases, model.teams_table, model.week
    if ci.size == 0:
        return
    t = team_of(model, ci)
    known = ((cases.team[ci] == t[:, None]) & (cases.status[ci] != NONE)).any(axis=1)
    hours = p["contact_hours"] + np.where(known, 0.0, 1.5 * p["assessment_hours"])
    teams.frontdoor += bincount(t, hours, teams.n)
    model.journeys.log(week, "assessment", ci[~known], -1, t[~known])
    # The whole-life conversation: people disclose more the more they trust.
    take = (pop.needs[ci] >= p["local_threshold"]) & (cases.status[ci] == NONE)
    disclosed = u_disclose[ci] < 0.5 + 0.5 * pop.trust[ci, None]
    disclosed[np.arange(ci.size), dom] = True
    rows, cd = nonzero2(take & disclosed)
    ri = ci[rows]
    urgency = pop.needs[ri].max(axis=1)
    cases.put_on_waiting_list(ri, cd, t[rows], week, week - 10.0 * urgency)
    model.journeys.log(week, "waiting", ri, cd, t[rows])


def outreach(model, busy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Teams with hours to spare look for people at risk in their patch who have not asked.

    Returns (citizens found, their most pressing domain); they then go through intake.
    """
    p, pop, cases, teams = model.p, model.population, model.cases, model.teams_table
    lt = np.arange(N_SILOS, teams.n)
    spare = np.clip(1.0 - teams.load[lt], 0.0, 1.0)
    hours = teams.outreach[lt] * teams.capacity[lt] * spare
    found_n = np.floor(hours / max(1.5 * p["assessment_hours"], 1e-9)).astype(np.int64)
    if found_n.sum() == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    local = model.is_local[pop.neighbourhood]
    at_risk = local & ~busy & rowall(cases.status == NONE) & (rowmax(pop.needs) >= p["local_threshold"])
    cand = np.nonzero(at_risk)[0]
    if cand.size == 0:
        return cand, cand
    ct = pop.neighbourhood[cand]
    order = np.lexsort((model.service_rng.random(cand.size), ct))
    ct_o = ct[order]
    first = np.searchsorted(ct_o, ct_o, "left")
    rank = np.arange(ct_o.size) - first
    chosen = cand[order[rank < found_n[ct_o]]]
    dom = pop.needs[chosen].argmax(axis=1)
    model.journeys.log(model.week, "outreach", chosen, dom, team_of(model, chosen))
    return chosen, dom


def work_with_strengths(model) -> None:
    """Strengths-based support builds resilience; isolated clients are introduced to neighbours."""
    p, pop, cases = model.p, model.population, model.cases
    in_lt = rowany((cases.status == OPEN) & (cases.team >= N_SILOS))
    pop.resilience[in_lt] += p["strengths_gain"] * (1.0 - pop.resilience[in_lt])
    lonely = np.nonzero(in_lt & (pop.needs[:, ISOLATION] >= 0.4))[0]
    chosen = lonely[model.service_rng.random(lonely.size) < p["connect_rate"]]
    if chosen.size:
        model.community.connect(chosen, model.service_rng)
        model.journeys.log(model.week, "connected", chosen, ISOLATION, team_of(model, chosen))


def close(model) -> None:
    """A need is closed when it is stable by the team's own (learned) standard."""
    pop, cases, teams, week = model.population, model.cases, model.teams_table, model.week
    oi, od = nonzero2((cases.status == OPEN) & (cases.team >= N_SILOS))
    if oi.size == 0:
        return
    t = cases.team[oi, od]
    done = pop.needs[oi, od] < teams.closure_bar[t]
    ci, cd, ct = oi[done], od[done], t[done]
    since_referral = week - cases.joined[ci, cd]
    cases.close(ci, cd, week, pop.needs, pop.help_threshold)
    pop.trust[ci] = np.clip(pop.trust[ci] + 0.02, 0.0, 1.0)
    model.journeys.log(week, "closed", ci, cd, ct)
    model.record_closures(since_referral)
    model.tally_team_closures += bincount(ct, minlength=teams.n)


def note_returns(model, ci: np.ndarray, dom: np.ndarray) -> None:
    """A need that comes back soon after a local team closed it counts against that team's practice."""
    cases = model.cases
    recent = (model.week - cases.closed_week[ci, dom] <= RECURRENCE_WINDOW) & (cases.closed_by[ci, dom] >= N_SILOS)
    model.tally_team_returns += bincount(cases.closed_by[ci[recent], dom[recent]], minlength=model.teams_table.n)


def learn(model, crises_unknown: np.ndarray) -> None:
    """The team learning loop: adapt when to close and how much to reach out, from outcomes seen.

    Returns of recently closed needs make a team hold on longer before closing;
    a long waiting list with few returns makes it close sooner. Crises among
    people it did not know make it reach out more when it has hours to spare.
    """
    p, teams = model.p, model.teams_table
    lr = p["learning_rate"]
    lt = slice(N_SILOS, teams.n)
    closures = model.tally_team_closures[lt]
    returns = model.tally_team_returns[lt]
    rate = np.where(closures > 0, returns / np.maximum(closures, 1), teams.recurrence[lt])
    teams.recurrence[lt] += 0.1 * (rate - teams.recurrence[lt])
    backlog = teams.wait_demand[lt] > 0.2 * np.maximum(teams.capacity[lt], 1e-9)
    step = np.where(teams.recurrence[lt] > 0.15, -1.0, np.where(backlog, 1.0, 0.0))
    teams.closure_bar[lt] = np.clip(teams.closure_bar[lt] + lr * 0.05 * step, 0.05, 0.35)
    teams.patch_crises[lt] += 0.1 * (crises_unknown - teams.patch_crises[lt])
    more = ((teams.patch_crises[lt] > 0.2) | (teams.load[lt] < 0.7)) & (teams.load[lt] < 0.9)
    less = teams.load[lt] > 1.0
    teams.outreach[lt] = np.clip(
        teams.outreach[lt] + lr * 0.05 * (more.astype(float) - less), 0.0, 3.0 * p["outreach_share"]
    )
