"""The week's stages: each one is a function of the world's state and this week's context.

``HLSModel.WEEK_PLAN`` lists them in order; that list is the model's table of contents.
A stage reads and writes only what its docstring says. The ``Week`` it receives holds
the week's number, the parameters in force, the week's random draws, the ledger, the
journey log and the service stream, plus what earlier stages hand on (this week's
crises, contacts and casework).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from ._util import bincount, nonzero2, rowall
from .journeys import JourneyLog
from .ledger import Ledger
from .population import NOTICE_LEVEL
from .services import crisis
from .services.cases import NONE, OPEN
from .services.front_door import Contacts, seek_help
from .services.staff import answered_at_front_door, local_team_of, update_capacity, update_staff

REAL_OUTCOME_LAG = 13  # weeks after closure at which the real outcome is checked (assumption)


@dataclass
class Week:
    """One week's context, and what its stages hand on to later stages."""

    number: int
    p: Mapping[str, Any]
    draws: dict[str, np.ndarray]
    ledger: Ledger
    log: JourneyLog
    rng: np.random.Generator  # the service stream: hand-off losses, outreach order, introductions
    crisis_people: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    crises_unknown: np.ndarray = field(default_factory=lambda: np.zeros(0))
    contacts: Contacts | None = None
    worked: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    hours: np.ndarray = field(default_factory=lambda: np.zeros(0))
    one_off_staff: float = 0.0


def live(world, week: Week) -> None:
    """Life events, interacting needs, escalation, recovery (the population's own dynamics)."""
    world.population.live_a_week(week.p, week.draws["events"], in_case=world.cases.status == OPEN)


def community(world, week: Week) -> None:
    """Informal support flows along ties; ties strengthen or fade; loneliness follows weak ties."""
    world.community.support_flow(world.population, week.p["community_strength"])
    world.community.update_ties(world.population, week.p, week.draws["ties"])


def crises(world, week: Week) -> None:
    """Acute services respond to needs past the crisis level. Hands on ``week.crisis_people`` and
    ``week.crises_unknown``: per neighbourhood, crises among people no team knew (counted now,
    before intake takes them on), the signal local teams learn to reach out from."""
    week.crisis_people, _ = crisis.respond(world.population, week.p, week.log, week.number)
    cp = week.crisis_people
    unknown = cp[rowall(world.cases.status[cp] == NONE)]
    week.crises_unknown = bincount(world.population.neighbourhood[unknown], minlength=world.n_neighbourhoods)
    week.ledger.crises_unknown_total += unknown.size


def seek_help_stage(world, week: Week) -> None:
    """Teams' hours for the week; who contacts services, about what (people in crisis are sent).
    Hands on ``week.contacts``."""
    update_capacity(world.teams, week.p)
    world.teams.open_front_door()
    forced = np.zeros(world.population.n, bool)
    forced[week.crisis_people] = True
    week.contacts = seek_help(world.population, world.cases, week.p, week.draws["contact"],
                              week.draws["salience"], forced)


def route(world, week: Week) -> None:
    """Count the contacts, then send each to the system that serves the citizen's neighbourhood.

    Chasing a waiting list costs the holding team front-door time and nothing else.
    """
    c, led, log, n = week.contacts, week.ledger, week.log, week.number
    failures = c.failure.sum()
    led.add("contacts", len(c))
    led.add("failure_demand", failures)
    led.add("value_demand", len(c) - failures)
    led.add("people_contacting", np.unique(c.citizens).size)
    led.note_clients(c.citizens)
    log.log(n, "failure_contact", c.citizens[c.failure], c.domain[c.failure])
    log.log(n, "contact", c.citizens[~c.failure], c.domain[~c.failure])
    for system in world.systems:
        system.note_returns(world, week, c.citizens, c.domain)
    world.teams.book_front_door(world.cases.team[c.citizens[c.chase], c.domain[c.chase]], week.p["contact_hours"])
    new = ~c.chase
    ci, cd = c.citizens[new], c.domain[new]
    local_patch = world.is_local[world.population.neighbourhood[ci]]
    # A front door has a capacity: contacts beyond it this week go unanswered and come back.
    p = week.p
    team = np.where(local_patch, local_team_of(world.population.neighbourhood[ci]), cd)
    factor = np.where(local_patch, p["local_assessment_factor"], p["npm_assessment_factor"])
    ok = answered_at_front_door(world.teams, team, p["contact_hours"] + p["assessment_hours"] * factor,
                                p["frontdoor_share"], week.draws["contact"][ci])
    world.cases.failure[ci[~ok], cd[~ok]] = True
    led.add("unanswered", (~ok).sum())
    log.log(n, "unanswered", ci[~ok], cd[~ok])
    ci, cd, local_patch = ci[ok], cd[ok], local_patch[ok]
    busy = np.zeros(world.population.n, bool)
    busy[c.citizens] = True
    for system in world.systems:
        mine = system.serves(local_patch)
        system.intake(world, week, ci[mine], cd[mine], busy)


def requests(world, week: Week) -> None:
    """One-off transactional requests (a blue badge, a benefit claim, a repair): raised, counted as contacts
    (a request that comes back is failure demand), answered at the front door while it has hours, and resolved
    by the system that serves the citizen's neighbourhood. A request not resolved stays open and comes back.
    Nothing happens, and nothing is drawn, while there are no requests (``transactional_rate`` 0)."""
    u = week.draws.get("request")
    if u is None:
        return
    p, led, log, n, pop = week.p, week.ledger, week.log, week.number, world.population
    ci, dom, back = world.requests.raise_requests(p, u[:, 0])
    if ci.size == 0:
        return
    returns = int(back.sum())
    led.add("contacts", ci.size)
    led.add("failure_demand", returns)
    led.add("value_demand", ci.size - returns)
    led.add("requests", ci.size)
    led.note_clients(ci)
    log.log(n, "failure_contact", ci[back], dom[back])
    log.log(n, "request", ci[~back], dom[~back])
    local_patch = world.is_local[pop.neighbourhood[ci]]
    team, hours = np.zeros(ci.size, np.int64), np.zeros(ci.size)
    for system in world.systems:
        mine = system.serves(local_patch)
        team[mine], hours[mine] = system.request_hours(world, p, ci[mine], dom[mine])
    ok = answered_at_front_door(world.teams, team, hours, p["frontdoor_share"], u[ci, 0])
    led.add("unanswered", (~ok).sum())
    log.log(n, "unanswered", ci[~ok], dom[~ok])
    resolved = np.zeros(ci.size, bool)
    for system in world.systems:
        mine = system.serves(local_patch) & ok
        resolved[mine] = system.resolve_requests(world, week, ci[mine], dom[mine], hours[mine], u[ci[mine], 1])
    world.requests.settle(ci, resolved)
    led.add("requests_resolved", resolved.sum())
    led.add("request_hours", hours[ok].sum())


def waiting_list(world, week: Week) -> None:
    """Settled needs leave the list, the longest waits are dropped, and teams admit within their hours."""
    cases, pop, n = world.cases, world.population, week.number
    dropped, dropped_d = cases.prune_waiting_list(pop.needs, week.p, n, week.draws["give_up"])
    week.log.log(n, "dropped", dropped, dropped_d)
    admitted, admitted_d = cases.admit(world.teams, pop.needs, week.p, n)
    week.log.log(n, "admitted", admitted, admitted_d, cases.team[admitted, admitted_d])


def casework(world, week: Week) -> None:
    """A week of casework, then what each system's way of working does to people.
    Hands on ``week.worked`` and ``week.hours``."""
    teams = world.teams
    practice = np.ones(teams.n)
    practice[teams.silos] = world.systems[0].practice(week.p)
    practice[teams.local] = world.systems[1].practice(week.p)
    week.worked, _, week.hours = world.cases.work(teams, world.population, week.p, practice=practice)
    week.ledger.note_clients(week.worked)
    for system in world.systems:
        system.work(world, week)


def close(world, week: Week) -> None:
    """Each system closes the cases it judges finished; settled needs stop being failures."""
    for system in world.systems:
        system.close(world, week)
    world.cases.clear_resolved_failures(world.population.needs, week.p["stable_level"])


def learn(world, week: Week) -> None:
    """Systems learn from what they saw; the real outcome of closures 13 weeks ago is checked."""
    pop, cases = world.population, world.cases
    for system in world.systems:
        system.learn(world, week, week.crises_unknown)
    ci, cd = nonzero2(cases.closed_week == week.number - REAL_OUTCOME_LAG)
    week.ledger.record_real_outcomes(ci.size, int((pop.needs[ci, cd] < NOTICE_LEVEL).sum()))


def staff(world, week: Week) -> None:
    """Stress, sickness, turnover, redundancy and recruitment. Hands on ``week.one_off_staff``."""
    teams = world.teams
    week.ledger.hours_this_year += float(teams.hours_used.sum())
    pressure = np.zeros(teams.n)
    pressure[teams.silos] = world.systems[0].target_pressure(week.p)
    pressure[teams.local] = world.systems[1].target_pressure(week.p)
    week.one_off_staff = update_staff(teams, week.p, pressure)


def accounts(world, week: Week) -> None:
    """The week's costs by component, attributed to citizens by the hours they received; the KPI."""
    p, led, tt, cases = week.p, week.ledger, world.teams, world.cases
    staff_cost_team = (tt.staff + p["agency_premium"] * tt.agency) * p["staff_hours"] * tt.pay_per_hour
    # Commissioned support follows the caseload: one package per open case (citizen, team).
    oi, od = nonzero2(cases.status == OPEN)
    pairs = np.unique(oi.astype(np.int64) * tt.n + cases.team[oi, od])
    support_team = bincount(pairs % tt.n, minlength=tt.n) * p["support_cost_per_case"]
    share = tt.overhead_share
    overhead_team = share / (1 - share) * (staff_cost_team + support_team)
    n_crises = week.crisis_people.size
    c = led.counts
    c["open_cases"] = float(pairs.size)
    c["cost_staff"] = float(staff_cost_team.sum() + week.one_off_staff)  # pay, recruitment, redundancy
    c["cost_support"] = float(support_team.sum())
    c["cost_overhead"] = float(overhead_team.sum())
    c["cost_crisis"] = float(n_crises * p["crisis_cost"])
    c["crisis_events"] = float(n_crises)
    c["cost_investment"] = led.take_investment()
    c["total_cost"] = c["cost_staff"] + c["cost_support"] + c["cost_overhead"] + c["cost_crisis"] + c["cost_investment"]
    if week.hours.size and week.hours.sum() > 0:
        per_hour = (c["cost_staff"] + c["cost_support"] + c["cost_overhead"]) / max(tt.hours_used.sum(), 1e-9)
        world.population.attribute_cost(week.worked, week.hours * per_hour)
    led.update_kpi()


def end_of_week(world, week: Week) -> None:
    """Wellbeing from this week's needs, resilience and ties; the journey's needs; the year's rollover."""
    world.population.update_wellbeing()
    week.log.snapshot_needs(world.population.needs)
    week.ledger.new_year_if_due(week.number)
