"""New Public Management: one city-wide specialist silo per life domain.

Each silo assesses separately (people tell their story again), accepts only
needs above its eligibility threshold, works only on its own domain for a
fixed-length episode and then closes the case. Other needs it hears about are
referred onward: a hand-off with admin time, a waiting list, a new assessment,
and a chance that the person is lost on the way. Under target pressure silos
game: they reject at the door, take easier cases first and close early
(S000, S002, S004; Hood 2006; Seddon 2003). See docs/ODD.md.

``NPM`` has the same small interface as ``local_teams.LocalTeams``: intake, work,
close, learn. Each method reads the world's state and this week's context
(``hls_abm.week.Week``: its number, the parameters in force, its draws, the ledger
and the journey log) and says in its docstring what it writes.
"""

from __future__ import annotations

import numpy as np

from .._util import nonzero2, rowany
from ..ledger import YEAR_WEEKS
from ..population import entrenchment
from .cases import NONE, OPEN
from .staff import follow_queues, is_silo, ratchet_overhead

def effective_threshold(p) -> float:
    """Eligibility as practised: target pressure adds rejection at the door (Hood's threshold effect)."""
    return min(1.0, p["eligibility_threshold"] + p["threshold_gaming"] * p["target_pressure"])


def episode_length(p) -> float:
    """Episode length as practised: target pressure brings early closure."""
    return max(1.0, p["episode_weeks"] * (1.0 - p["early_closure"] * p["target_pressure"]))


class NPM:
    """The NPM service system: specialist silos with thresholds, episodes, referrals and targets."""

    name = "npm"

    def serves(self, local_patch: np.ndarray) -> np.ndarray:
        """Which of the citizens (given whether their patch has a local team) this system serves."""
        return ~local_patch

    def thresholds(self, teams, p) -> np.ndarray:
        """Each silo's threshold as practised: target pressure adds gaming, and a backlog (last week's
        waiting hours over capacity) tightens gatekeeping."""
        return np.minimum(1.0, effective_threshold(p) + p["gatekeeping"] * teams.backlog(teams.silos))

    def practice(self, p) -> float:
        """Effectiveness per hour of a silo's practice: specialists may have an edge in their domain."""
        return 1.0 + p["specialist_edge"]

    def target_pressure(self, p) -> float:
        """Target pressure a silo works under (it adds stress)."""
        return p["target_pressure"]

    # --- intake ----------------------------------------------------------------------------------
    def note_returns(self, world, week, ci: np.ndarray, dom: np.ndarray) -> None:
        """Silos do not follow up what happens to the needs they closed."""

    def intake(self, world, week, ci: np.ndarray, dom: np.ndarray, busy: np.ndarray) -> None:
        """New contacts to the silo of the presenting need; other disclosed needs are referred onward.

        Writes: front-door hours (teams), waiting list, failures and trust (through the population),
        the ledger's referrals, hand-offs lost and rejections, the journey log.
        """
        p, pop, cases, teams = week.p, world.population, world.cases, world.teams
        if ci.size == 0:
            return
        teams.book_front_door(dom, p["contact_hours"])
        cases.heard[ci, dom] = True
        self._assess(world, week, ci, dom)
        # Needs heard about in a silo's assessment: it does not ask about the whole life,
        # so people mention other needs only as far as they trust services.
        others = (pop.needs[ci] >= pop.help_threshold[ci, None] * p["silo_mention_share"]) & (cases.status[ci] == NONE)
        others[np.arange(ci.size), dom] = False
        others &= week.draws["disclose"][ci] < p["npm_disclosure"] + p["disclosure_trust"] * pop.trust[ci, None]
        cases.hear(ci, others)
        rows, rd = nonzero2(others)
        if rows.size == 0:
            return
        ri, from_silo = ci[rows], dom[rows]
        teams.book_front_door(from_silo, p["referral_hours"])
        week.log.log(week.number, "referral", ri, rd, rd)
        week.ledger.add("referrals", ri.size)
        # A share of people are lost at each hand-off (fewer if they trust services).
        lost = week.rng.random(ri.size) < p["handoff_loss"] * (p["handoff_trust"] - pop.trust[ri])
        li, ld = ri[lost], rd[lost]
        cases.failure[li, ld] = True
        pop.change_trust(li, -p["trust_lost"])
        week.log.log(week.number, "handoff_lost", li, ld, ld)
        week.ledger.add("handoffs_lost", li.size)
        self._assess(world, week, ri[~lost], rd[~lost])

    def _assess(self, world, week, ci: np.ndarray, cd: np.ndarray) -> None:
        """A silo assesses a need: accept onto its waiting list, or reject (a failure that comes back)."""
        p, pop, cases, n = week.p, world.population, world.cases, week.number
        if ci.size == 0:
            return
        world.teams.book_front_door(cd, p["assessment_hours"] * p["npm_assessment_factor"])
        week.log.log(n, "assessment", ci, cd, cd)
        need = pop.needs[ci, cd]
        ok = need >= self.thresholds(world.teams, p)[cd]
        # Cream-skimming: under target pressure, hard (severe, entrenched) cases wait behind easy ones.
        entrench = entrenchment(pop.unmet_weeks[ci, cd], p["entrenchment_weeks"])
        priority = n + p["cream_skimming"] * p["target_pressure"] * (need + entrench) - p["npm_urgency_priority"] * need
        cases.put_on_waiting_list(ci[ok], cd[ok], cd[ok], n, priority[ok])
        week.log.log(n, "waiting", ci[ok], cd[ok], cd[ok])
        rej_i, rej_d = ci[~ok], cd[~ok]
        cases.failure[rej_i, rej_d] = True
        pop.change_trust(rej_i, -p["trust_rejected"])
        week.log.log(n, "rejected", rej_i, rej_d, rej_d)
        week.ledger.add("rejections", rej_i.size)

    # --- one-off requests ------------------------------------------------------------------------
    def request_hours(self, world, p, ci: np.ndarray, dom: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Who handles each one-off request (the silo of its domain) and the hours: the contact and the
        silo's standard process."""
        return dom, np.full(ci.size, p["contact_hours"] + p["transaction_hours"] * p["npm_transaction_factor"])

    def resolve_requests(self, world, week, ci, dom, hours, u_fit) -> np.ndarray:
        """The silo's standard process resolves each request, and asks about nothing else. It fails (the request
        stays open and comes back) with chance ``process_misfit`` when the person has any need above their
        help threshold: a request tangled with the rest of a life varies from the prescribed process (S004 L284).

        Writes: front-door hours, the journey log. Returns which requests were resolved.
        """
        pop = world.population
        world.teams.book_front_door_hours(dom, hours)
        tangled = rowany(pop.needs[ci] >= pop.help_threshold[ci, None])
        failed = tangled & (u_fit < week.p["process_misfit"])
        week.log.log(week.number, "request_failed", ci[failed], dom[failed], dom[failed])
        return ~failed

    # --- work, close, learn ----------------------------------------------------------------------
    def work(self, world, week) -> None:
        """Deficit-based, 'done to' services slowly erode the resilience of the people in them."""
        cases = world.cases
        in_npm = rowany((cases.status == OPEN) & is_silo(cases.team))
        world.population.erode_resilience(in_npm, week.p["done_to_erosion"])

    def close(self, world, week) -> None:
        """Close episodes that reached their length (or whose need settled); tally KPI and real outcome.

        Writes: cases (closed), trust (through the population), the ledger's closures, the journey log.
        """
        p, pop, cases, n = week.p, world.population, world.cases, week.number
        oi, od = nonzero2((cases.status == OPEN) & is_silo(cases.team))
        if oi.size == 0:
            return
        weeks_open = n - cases.since[oi, od]
        done = (weeks_open >= episode_length(p)) | (pop.needs[oi, od] < p["stable_level"])
        ci, cd = oi[done], od[done]
        since_referral = n - cases.joined[ci, cd]
        teams = cases.team[ci, cd]
        premature = cases.close(ci, cd, n, pop.needs, pop.help_threshold)
        pop.change_trust(ci, np.where(premature, -p["trust_closed"], p["trust_closed"]))
        week.log.log(n, "closed", ci[~premature], cd[~premature], teams[~premature])
        week.log.log(n, "closed_early", ci[premature], cd[premature], teams[premature])
        week.ledger.record_closures(since_referral, p["target_weeks"])

    def learn(self, world, week, crises_unknown: np.ndarray) -> None:
        """Silos do not adapt their practice from outcomes (they report KPIs upwards); the money does
        follow the queues, with a lag; once a year missed targets ratchet up the overhead."""
        if week.p["overhead_ratchet"] > 0 and week.number > 0 and week.number % YEAR_WEEKS == 0:
            ratchet_overhead(world.teams, week.p, week.ledger.kpi["reported"])
        follow_queues(world.teams, week.p)

