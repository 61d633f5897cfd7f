"""Buurtzorg-style local teams: one small self-managing team per neighbourhood.

A local team has a low threshold and reaches out to people at risk; it works
on all of a person's needs at once, starting from the conversation about the
whole life (so root causes come into view); the same worker stays, so the
relationship and trust grow; it works from strengths (resilience grows); a
case ends when the person is stable, not when a clock runs out; it connects
isolated people to neighbours; and it adapts its own practice from the
outcomes it sees (S000, S001; Monsen & de Blok 2013). See docs/ODD.md.

``LocalTeams`` has the same small interface as ``npm.NPM``: intake, work, close,
learn. It alone writes the local teams' practice columns of the TeamTable
(closure_bar, outreach, recurrence, patch_crises).
"""

from __future__ import annotations

import numpy as np

from .._util import bincount, nonzero2, rowall, rowany, rowmax
from ..population import ISOLATION, NOTICE_LEVEL
from .cases import NONE, OPEN
from .staff import is_local_team, local_team_of

RECURRENCE_WINDOW = 26  # weeks after closure in which a return counts against the team (assumption)
# The learning rule and the connecting rule (assumptions; their sizes are learning_rate and connect_rate).
LONELY_LEVEL = 0.4  # isolation need at which a team introduces a client to neighbours
RECURRENCE_SMOOTHING = 0.1  # weekly weight of this week's return rate in the team's memory
RECURRENCE_LIMIT = 0.15  # return rate above which a team holds on to cases longer
BACKLOG_SHARE = 0.2  # waiting hours, as a share of capacity, that count as a backlog
BAR_STEP = 0.05  # change of the closure bar per unit of learning rate
BAR_MIN, BAR_MAX = 0.05, NOTICE_LEVEL  # range of the learned closure bar: never closing an unresolved need
CRISIS_SMOOTHING = 0.1  # weekly weight of this week's crises among unknown people
CRISIS_SIGNAL = 0.2  # smoothed crises among unknown people that prompt more outreach
OUTREACH_STEP = 0.05  # change of the outreach share per unit of learning rate
OUTREACH_LOAD_LOW, OUTREACH_LOAD_HIGH = 0.7, 0.9  # loads below which a team reaches out more
OUTREACH_MAX = 3.0  # most outreach, as a multiple of the default outreach share


def _known(cases, ci: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Whether the team ``t`` already holds a need (waiting or open) of each citizen ``ci``."""
    return ((cases.team[ci] == t[:, None]) & (cases.status[ci] != NONE)).any(axis=1)


class LocalTeams:
    """The local-teams service system: one self-managing team per neighbourhood."""

    name = "local_teams"

    def serves(self, local_patch: np.ndarray) -> np.ndarray:
        """Which of the citizens (given whether their patch has a local team) this system serves."""
        return local_patch

    def practice(self, p) -> float:
        """Effectiveness per hour of a generalist team's practice (the reference, 1)."""
        return 1.0

    def target_pressure(self, p) -> float:
        """Self-managing teams work to no external targets."""
        return 0.0

    # --- intake ----------------------------------------------------------------------------------
    def note_returns(self, world, week, ci: np.ndarray, dom: np.ndarray) -> None:
        """A need that comes back soon after a local team closed it counts against that team's practice.

        Reads the cases' closures; writes the ledger's ``team_returns``.
        """
        cases = world.cases
        recent = (week.number - cases.closed_week[ci, dom] <= RECURRENCE_WINDOW) & is_local_team(cases.closed_by[ci, dom])
        week.ledger.team_returns += bincount(cases.closed_by[ci[recent], dom[recent]], minlength=world.teams.n)

    def intake(self, world, week, ci: np.ndarray, dom: np.ndarray, busy: np.ndarray) -> None:
        """Teams reach out to people at risk, then meet everyone in one holistic conversation and take
        on every disclosed need.

        Writes: front-door hours (teams), the waiting list, the ledger's outreach and contacts, the log.
        """
        found, fdom = self._outreach(world, week, busy)
        led = week.ledger
        led.add("outreach", found.size)
        led.add("contacts", found.size)
        led.add("value_demand", found.size)
        self._meet(world, week, np.concatenate([ci, found]), np.concatenate([dom, fdom]))

    def _meet(self, world, week, ci: np.ndarray, dom: np.ndarray) -> None:
        """Contacts to the patch team: one holistic conversation; every disclosed need is taken on."""
        p, pop, cases, n = week.p, world.population, world.cases, week.number
        if ci.size == 0:
            return
        t = local_team_of(pop.neighbourhood[ci])
        known = _known(cases, ci, t)
        hours = p["contact_hours"] + np.where(known, 0.0, p["assessment_hours"] * p["local_assessment_factor"])
        world.teams.book_front_door_hours(t, hours)
        week.log.log(n, "assessment", ci[~known], -1, t[~known])
        # A team with a backlog may close its books: its intake threshold rises with its waiting hours over
        # its capacity (local_gatekeeping; 0, the default, keeps the door as low as local_threshold).
        gate = np.minimum(1.0, p["local_threshold"] + p["local_gatekeeping"] * world.teams.backlog(t))
        # The whole-life conversation: people disclose more the more they trust.
        take = (pop.needs[ci] >= gate[:, None]) & (cases.status[ci] == NONE)
        disclosed = week.draws["disclose"][ci] < p["local_disclosure"] + p["disclosure_trust"] * pop.trust[ci, None]
        disclosed[np.arange(ci.size), dom] = True
        cases.hear(ci, disclosed)
        rows, cd = nonzero2(take & disclosed)
        ri = ci[rows]
        urgency = pop.needs[ri].max(axis=1)
        cases.put_on_waiting_list(ri, cd, t[rows], n, n - p["local_urgency_priority"] * urgency)
        week.log.log(n, "waiting", ri, cd, t[rows])

    # --- one-off requests ------------------------------------------------------------------------
    def request_hours(self, world, p, ci: np.ndarray, dom: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Who handles each one-off request (the patch team) and the hours: the contact, the request done
        without a standard process, and the whole-life conversation with a person the team does not know."""
        t = local_team_of(world.population.neighbourhood[ci])
        conversation = np.where(_known(world.cases, ci, t), 0.0, p["assessment_hours"] * p["local_assessment_factor"])
        return t, p["contact_hours"] + p["transaction_hours"] * p["local_transaction_factor"] + conversation

    def resolve_requests(self, world, week, ci, dom, hours, u_fit) -> np.ndarray:
        """The patch team resolves every request in its whole-person way: it does the request on a visit and
        meets the person as it meets every contact (``_meet``: the whole-life conversation if it does not know
        them, and every disclosed need above its threshold taken on).

        Writes: front-door hours, the waiting list, the journey log. Returns which were resolved (all).
        """
        t = local_team_of(world.population.neighbourhood[ci])
        world.teams.book_front_door(t, week.p["transaction_hours"] * week.p["local_transaction_factor"])
        self._meet(world, week, ci, dom)
        return np.ones(ci.size, bool)

    def _outreach(self, world, week, busy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Teams with hours to spare look for people at risk in their patch who have not asked.

        Returns (citizens found, their most pressing domain); they then go through intake.
        """
        p, pop, cases, teams = week.p, world.population, world.cases, world.teams
        lt = teams.local
        spare = np.clip(1.0 - teams.load[lt], 0.0, 1.0)
        hours = teams.outreach[lt] * teams.capacity[lt] * spare
        per_find = p["assessment_hours"] * p["local_assessment_factor"] + p["outreach_search_hours"]
        found_n = np.floor(hours / max(per_find, 1e-9)).astype(np.int64)
        if found_n.sum() == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        local = world.is_local[pop.neighbourhood]
        at_risk = local & ~busy & rowall(cases.status == NONE) & (rowmax(pop.needs) >= p["local_threshold"])
        cand = np.nonzero(at_risk)[0]
        if cand.size == 0:
            return cand, cand
        ct = pop.neighbourhood[cand]
        order = np.lexsort((week.rng.random(cand.size), ct))
        ct_o = ct[order]
        first = np.searchsorted(ct_o, ct_o, "left")
        rank = np.arange(ct_o.size) - first
        chosen = cand[order[rank < found_n[ct_o]]]
        dom = pop.needs[chosen].argmax(axis=1)
        teams.book_front_door(local_team_of(pop.neighbourhood[chosen]), p["outreach_search_hours"])
        week.log.log(week.number, "outreach", chosen, dom, local_team_of(pop.neighbourhood[chosen]))
        return chosen, dom

    # --- work, close, learn ----------------------------------------------------------------------
    def work(self, world, week) -> None:
        """Strengths-based support builds resilience; isolated clients are introduced to neighbours."""
        p, pop, cases = week.p, world.population, world.cases
        in_lt = rowany((cases.status == OPEN) & is_local_team(cases.team))
        pop.build_resilience(in_lt, p["strengths_gain"])
        lonely = np.nonzero(in_lt & (pop.needs[:, ISOLATION] >= LONELY_LEVEL))[0]
        chosen = lonely[week.rng.random(lonely.size) < p["connect_rate"]]
        if chosen.size:
            world.community.connect(chosen, week.rng)
            week.log.log(week.number, "connected", chosen, ISOLATION, local_team_of(pop.neighbourhood[chosen]))

    def close(self, world, week) -> None:
        """A need is closed when it is stable by the team's own (learned) standard.

        Writes: cases (closed), trust (through the population), the ledger's closures, the log.
        """
        pop, cases, teams, n = world.population, world.cases, world.teams, week.number
        oi, od = nonzero2((cases.status == OPEN) & is_local_team(cases.team))
        if oi.size == 0:
            return
        t = cases.team[oi, od]
        done = pop.needs[oi, od] < teams.closure_bar[t]
        ci, cd, ct = oi[done], od[done], t[done]
        since_referral = n - cases.joined[ci, cd]
        premature = cases.close(ci, cd, n, pop.needs, pop.help_threshold)
        pop.change_trust(ci, np.where(premature, -week.p["trust_closed"], week.p["trust_closed"]))
        week.log.log(n, "closed", ci[~premature], cd[~premature], ct[~premature])
        week.log.log(n, "closed_early", ci[premature], cd[premature], ct[premature])
        week.ledger.record_closures(since_referral, week.p["target_weeks"])
        week.ledger.team_closures += bincount(ct, minlength=teams.n)

    def learn(self, world, week, crises_unknown: np.ndarray) -> None:
        """The team learning loop: adapt when to close and how much to reach out, from outcomes seen.

        Returns of recently closed needs make a team hold on longer before closing;
        a long waiting list with few returns makes it close sooner. Crises among
        people it did not know make it reach out more when it has hours to spare.
        """
        p, teams, led = week.p, world.teams, week.ledger
        lr = p["learning_rate"]
        lt = teams.local
        closures = led.team_closures[lt]
        returns = led.team_returns[lt]
        rate = np.where(closures > 0, returns / np.maximum(closures, 1), teams.recurrence[lt])
        teams.recurrence[lt] += RECURRENCE_SMOOTHING * (rate - teams.recurrence[lt])
        backlog = teams.wait_demand[lt] > BACKLOG_SHARE * np.maximum(teams.capacity[lt], 1e-9)
        step = np.where(teams.recurrence[lt] > RECURRENCE_LIMIT, -1.0, np.where(backlog, 1.0, 0.0))
        teams.closure_bar[lt] = np.clip(teams.closure_bar[lt] + lr * BAR_STEP * step, BAR_MIN, BAR_MAX)
        teams.patch_crises[lt] += CRISIS_SMOOTHING * (crises_unknown - teams.patch_crises[lt])
        load = teams.load[lt]
        more = ((teams.patch_crises[lt] > CRISIS_SIGNAL) | (load < OUTREACH_LOAD_LOW)) & (load < OUTREACH_LOAD_HIGH)
        less = load > 1.0
        teams.outreach[lt] = np.clip(
            teams.outreach[lt] + lr * OUTREACH_STEP * (more.astype(float) - less), 0.0, OUTREACH_MAX * p["outreach_share"]
        )

    def start_practice(self, teams, which: np.ndarray, p) -> None:
        """A new local team starts from the default practice and learns from there."""
        teams.closure_bar[which] = p["stable_level"]
        teams.outreach[which] = p["outreach_share"]
        teams.recurrence[which] = 0.0
        teams.patch_crises[which] = 0.0
