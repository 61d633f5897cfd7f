"""Cases: which need of which citizen is waiting for, or open with, which team.

One entry per (citizen, domain). NPM silos hold entries of their own domain;
a local team holds all the domains of a person it works with. The mechanics
shared by both systems live here: the waiting list, admission within capacity,
casework that reduces needs, and the relationship that grows with continuity.
What differs between the systems (who is accepted, which domains, when a case
ends) lives in ``npm`` and ``local_teams``.
"""

from __future__ import annotations

import numpy as np

from .._util import bincount, nonzero2
from ..params import DOMAINS
from ..population import NOTICE_LEVEL, entrenchment
from .staff import is_local_team

NONE, WAITING, OPEN = 0, 1, 2
NEVER_CLOSED = -10_000  # closed_week of a need no team has closed: long before any window looks back
D = len(DOMAINS)


class Cases:
    """Case state per (citizen, domain) as arrays."""

    def __init__(self, n: int):
        self.status = np.zeros((n, D), np.int8)
        self.team = np.full((n, D), -1, np.int32)
        self.since = np.zeros((n, D), np.int32)  # week the entry joined its list or opened
        self.joined = np.zeros((n, D), np.int32)  # week the need was first accepted onto a list (referral)
        self.priority = np.zeros((n, D))  # lower is admitted first
        self.failure = np.zeros((n, D), bool)  # a past failure on this need: its next contact is failure demand
        self.relation = np.zeros((n, D))  # working relationship with the current worker, [0, 1]
        self.relation_team = np.full((n, D), -1, np.int32)  # whose worker that relationship is with
        self.closed_week = np.full((n, D), NEVER_CLOSED, np.int32)
        self.closed_by = np.full((n, D), -1, np.int32)
        self.heard = np.zeros((n, D), bool)  # a service heard of this need (presented or disclosed)

    def caseload(self, team: int) -> int:
        """Citizens with at least one open entry at ``team``."""
        return int(((self.status == OPEN) & (self.team == team)).any(axis=1).sum())

    def hear(self, ci: np.ndarray, disclosed: np.ndarray) -> None:
        """A service heard of the ``disclosed`` (rows like ``ci``, one column per domain) needs of ``ci``."""
        self.heard[ci] |= disclosed

    def put_on_waiting_list(self, ci, cd, team, week: int, priority) -> None:
        self.status[ci, cd] = WAITING
        self.team[ci, cd] = team
        self.since[ci, cd] = week
        self.joined[ci, cd] = week
        self.priority[ci, cd] = priority

    def entry_hours(self, needs: np.ndarray, ci, cd, p, already_client=None) -> np.ndarray:
        """Hours a week one need takes: more for severe needs. A local team also gives each client
        time for the relationship and their network: once per client, on their first entry, and not
        at all for entries of a person who is ``already_client`` of the team (an open case there)."""
        hours = p["base_case_hours"] * (1.0 + p["severity_cost"] * needs[ci, cd])
        local = is_local_team(self.team[ci, cd])
        if local.any():
            first = np.r_[True, ci[1:] != ci[:-1]]  # entries come sorted by citizen (np.nonzero order)
            if already_client is not None:
                first &= ~already_client
            hours = hours + np.where(local & first, p["relationship_hours"], 0.0)
        return hours

    def admit(self, teams, needs: np.ndarray, p: dict, week: int) -> tuple[np.ndarray, np.ndarray]:
        """Admit waiting entries in priority order while each team has hours free.

        Returns the admitted (citizens, domains).
        """
        oi, od = nonzero2(self.status == OPEN)
        teams.case_demand = bincount(self.team[oi, od], self.entry_hours(needs, oi, od, p), teams.n)
        wi, wd = nonzero2(self.status == WAITING)
        if wi.size == 0:
            teams.wait_demand[:] = 0.0
            return wi, wd
        t = self.team[wi, wd]
        client = ((self.status[wi] == OPEN) & (self.team[wi] == t[:, None])).any(axis=1)
        h = self.entry_hours(needs, wi, wd, p, already_client=client)
        teams.wait_demand = bincount(t, h, teams.n)
        free = teams.capacity - teams.frontdoor - teams.case_demand
        order = np.lexsort((self.priority[wi, wd], t))
        t_o, h_o = t[order], h[order]
        csum = np.cumsum(h_o)
        # cumulative hours within each team's group
        first = np.r_[0, np.nonzero(np.diff(t_o))[0] + 1]
        group_start = np.repeat(csum[first] - h_o[first], np.diff(np.r_[first, len(t_o)]))
        within = csum - group_start
        take = order[within <= free[t_o]]
        ai, ad = wi[take], wd[take]
        at = self.team[ai, ad]
        self.status[ai, ad] = OPEN
        self.since[ai, ad] = week
        # Continuity: the relationship is with a team (its workers), and survives only if the same
        # team picks the person up again. An NPM silo sees one domain, so its relationship with a
        # person is the one on that need; a local team works with the whole person, so a new need
        # starts from the best relationship the person has with that team on any need.
        same = self.relation_team[ai] == at[:, None]
        self.relation[ai, ad] = np.where(same, self.relation[ai], 0.0).max(axis=1)
        self.relation_team[ai, ad] = at
        teams.case_demand += bincount(at, h[take], teams.n)
        return ai, ad

    def work(self, teams, pop, p: dict, practice: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A week of casework: each open need gets its share of the team's hours.

        Needs fall with the hours delivered, less so when entrenched, more so
        when the working relationship is good. ``practice`` is each team's
        practice-effectiveness multiplier. Returns (citizens, domains, hours).
        """
        oi, od = nonzero2(self.status == OPEN)
        if oi.size == 0:
            teams.case_demand[:] = 0.0
            return oi, od, np.zeros(0)
        t = self.team[oi, od]
        h = self.entry_hours(pop.needs, oi, od, p)
        teams.case_demand = bincount(t, h, teams.n)
        avail = np.maximum(teams.capacity - teams.frontdoor, 0.0)
        share = np.minimum(1.0, avail / np.maximum(teams.case_demand, 1e-9))
        r = share[t]
        delivered = h * r
        entrench = entrenchment(pop.unmet_weeks[oi, od], p["entrenchment_weeks"])
        responsiveness = 1.0 / (1.0 + p["entrenchment_cost"] * entrench)
        rel = self.relation[oi, od]
        effect = p["service_efficacy"] * r * responsiveness * ((1.0 - p["relationship_effect"]) + p["relationship_effect"] * rel) * practice[t]
        pop.receive_help(oi, od, effect)
        rel = rel + p["trust_gain"] * (1.0 - rel) * r
        # A local team's relationship is with the person: what grew on one need holds for all.
        local = is_local_team(t)
        if local.any():  # entries come sorted by citizen (np.nonzero order)
            li, lr = oi[local], rel[local]
            starts = np.r_[0, np.nonzero(np.diff(li))[0] + 1]
            best = np.maximum.reduceat(lr, starts)
            rel[local] = np.repeat(best, np.diff(np.r_[starts, li.size]))
        self.relation[oi, od] = rel
        teams.hours_used = teams.frontdoor + bincount(t, delivered, teams.n)
        return oi, od, delivered

    def close(self, ci, cd, week: int, needs: np.ndarray, help_threshold: np.ndarray) -> np.ndarray:
        """Close entries; a need closed while still high is marked as a failure, and so is any
        other need of the person, above their help threshold, that the service saw and left
        unaddressed. Their next contacts about them are failure demand.

        Returns a bool array: which closures were premature (need not resolved).
        """
        premature = needs[ci, cd] >= NOTICE_LEVEL
        missed = self.heard[ci] & (needs[ci] >= help_threshold[ci, None]) & (self.status[ci] == NONE)
        self.failure[ci] |= missed
        self.heard[ci] &= self.status[ci] != NONE  # the episode is over: what it heard is now a failure or settled
        self.closed_by[ci, cd] = self.team[ci, cd]
        self.status[ci, cd] = NONE
        self.team[ci, cd] = -1
        self.closed_week[ci, cd] = week
        self.failure[ci[premature], cd[premature]] = True
        return premature

    def prune_waiting_list(self, needs: np.ndarray, p, week: int, u_give_up: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Needs that settled while waiting leave the list; entries past the longest wait are dropped
        unseen, and some people give up waiting (``u_give_up``: this week's draws); both are marked as
        failures that come back. Returns the dropped and given-up (citizens, domains)."""
        waiting = self.status == WAITING
        settled = waiting & (needs < p["stable_level"])
        too_long = week - self.since >= p["max_wait_weeks"]
        dropped = waiting & ~settled & (too_long | (u_give_up < p["give_up_rate"]))
        self.status[settled | dropped] = NONE
        self.team[settled | dropped] = -1
        self.failure |= dropped
        return nonzero2(dropped)

    def clear_resolved_failures(self, needs: np.ndarray, stable_level: float) -> None:
        """A need that has settled is no longer a failure waiting to come back."""
        settled = needs < stable_level
        self.failure &= ~settled
        self.heard &= ~settled

    def forget_ended_relationships(self) -> None:
        """Forget every working relationship not in an open case (a counterfactual for validation)."""
        self.relation[self.status != OPEN] = 0.0

    def rebase_weeks(self, weeks: int) -> None:
        """Move every stored week back by ``weeks``: the warm-up ran on its own clock, and week 0 is its end."""
        self.since[:] -= weeks
        self.joined[:] -= weeks
        self.closed_week[:] -= weeks
