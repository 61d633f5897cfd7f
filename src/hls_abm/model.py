"""HLSModel: the wiring of citizens, community and service systems, and the order of a week.

Read ``step`` as the model's table of contents. Each line names a mechanism
that lives in its own module; ``docs/ODD.md`` describes them all.
"""

from __future__ import annotations

from collections import defaultdict

import mesa
import numpy as np
import pandas as pd

from . import levers as levers_mod
from ._util import bincount, nonzero2
from .community import Community
from .journeys import JourneyLog
from .metrics import MODEL_REPORTERS, staff_hours_per_client
from .params import DOMAINS, ParameterError, validate_params
from .population import NOTICE_LEVEL, Citizen, Population
from .services import crisis, local_teams, npm
from .services.cases import OPEN, Cases
from .services.front_door import seek_help
from .seeds import parse_seed
from .services.staff import (
    Team,
    TeamTable,
    redeploy,
    set_establishment,
    shed_surplus,
    staff_up,
    update_capacity,
    update_staff,
)

N_SILOS = len(DOMAINS)
REAL_OUTCOME_LAG = 13  # weeks after closure at which the real outcome is checked (assumption)
# Independent random streams, so that twin worlds share everything but the system.
STREAMS = ("population", "network", "life_events", "behaviour", "ties", "service")


class HLSModel(mesa.Model):
    """Citizens with interacting needs, their community, and the service system that serves them.

    Args:
        scenario: a preset name (see ``hls_abm.SCENARIOS``).
        n_citizens: number of citizens.
        rng: seed (int). The same seed gives the same DataFrame, bit for bit, and
            the same people, network and life events in either system.
        **overrides: any parameter in ``hls_abm.PARAMS``.
    """

    def __init__(self, scenario: str = "npm", n_citizens: int = 1000, rng=None, **overrides):
        seed = parse_seed(rng, "rng")
        params = validate_params(scenario, n_citizens=n_citizens, **overrides)
        super().__init__(rng=seed)
        self.seed = seed
        self.scenario_name = scenario
        self.p = params
        streams = np.random.SeedSequence(seed).spawn(len(STREAMS))
        self._streams = {name: np.random.default_rng(s) for name, s in zip(STREAMS, streams)}
        self.service_rng = self._streams["service"]
        self.week = 0
        self.year_start = 0
        self.last_year_hours_per_client = 0.0
        self.levers_applied: list[dict] = []
        self._pending_investment = 0.0
        self._warming_up = False
        self.tally: dict[str, float] = defaultdict(float)
        self.kpi = {"reported": 0.0, "real": 0.0}
        n = params["n_citizens"]

        # People and places.
        self.population = pop = Population(n, params, self._streams["population"])
        n_nb = max(1, int(round(n / params["neighbourhood_size"])))
        pop.neighbourhood = (np.arange(n) * n_nb // n).astype(np.int32)
        self.n_neighbourhoods = n_nb
        self.nb_size = bincount(pop.neighbourhood, minlength=n_nb)
        self.community = Community(pop.neighbourhood, params, self._streams["network"])
        self.community.weaken_for_the_lonely(pop.needs[:, 4])
        self.journeys = JourneyLog(params["record_events"], n)

        # Service systems: which neighbourhoods local teams serve (a random, seeded choice).
        order = self._streams["network"].permutation(n_nb)
        self._switch_order = order
        self.is_local = np.zeros(n_nb, bool)
        self.is_local[order[: self._neighbourhoods_for(params["local_team_share"])]] = True
        self.cases = Cases(n)
        self.teams_table = TeamTable(n_nb)
        self.refresh_establishment()
        staff_up(self.teams_table, np.arange(self.teams_table.n), novice=False)
        self.tally_team_closures = np.zeros(self.teams_table.n)
        self.tally_team_returns = np.zeros(self.teams_table.n)

        # Mesa agents: views onto the arrays.
        Citizen.create_agents(self, n, index=list(range(n)))
        Team.create_agents(self, self.teams_table.n, index=list(range(self.teams_table.n)))
        self.citizens = self.agents_by_type[Citizen]
        self.teams = self.agents_by_type[Team]

        self.community.support_flow(pop, params["community_strength"])
        pop.update_wellbeing()
        self._warm_up(params["warmup_weeks"])
        self._start_local_practice(np.arange(N_SILOS, self.teams_table.n))
        self.datacollector = mesa.DataCollector(model_reporters=MODEL_REPORTERS)

    def _warm_up(self, weeks: int) -> None:
        """Live ``weeks`` under the NPM status quo, then hand the chosen neighbourhoods to local teams.

        The warm-up is identical in twin worlds (same seed, same system), so both start week 0
        from the same established population: the same needs, waiting lists and entrenchment.
        """
        if weeks <= 0:
            return
        chosen = self.is_local.copy()
        record = self.journeys.enabled
        self.journeys.enabled = False
        self.is_local[:] = False
        self.refresh_establishment()
        staff_up(self.teams_table, np.arange(self.teams_table.n), novice=False)
        self._warming_up = True
        for _ in range(weeks):
            self._live_week()
        self._warming_up = False
        self.journeys.enabled = record
        self.is_local[:] = chosen
        self.refresh_establishment()
        shed_surplus(self.teams_table)  # the local-teams world is an established system, not a transition
        staff_up(self.teams_table, np.arange(N_SILOS, self.teams_table.n), novice=False)
        # Local teams take over everyone the silos held in their neighbourhoods.
        moved = self.is_local[self.population.neighbourhood]
        held = (self.cases.status != 0) & moved[:, None]
        hi, hd = nonzero2(held)
        self.cases.put_on_waiting_list(hi, hd, N_SILOS + self.population.neighbourhood[hi], 0,
                                       -10.0 * self.population.needs[hi].max(axis=1))
        self.cases.since[:] -= weeks
        self.cases.joined[:] -= weeks
        self.cases.joined[hi, hd] = 0
        self.cases.closed_week[:] -= weeks
        self.cases.since[hi, hd] = 0
        self.week = 0
        self.year_start = 0
        self.last_year_hours_per_client = 0.0
        self.cases.new_year()
        self.kpi = {"reported": self.kpi["reported"], "real": self.kpi["real"]}

    # --- the week -----------------------------------------------------------------------------
    def step(self) -> None:
        """One week: life, community, crises, help-seeking, services, staff, measurement."""
        self._live_week()
        self.datacollector.collect(self)

    def _live_week(self) -> None:
        p, pop, cases = self.p, self.population, self.cases
        self.week += 1
        self._new_tally()
        draws = self._draw_week()
        self._follow_transition_schedule()

        pop.live_a_week(p, draws["events"], in_case=cases.status == OPEN)
        self.community.support_flow(pop, p["community_strength"])
        self.community.update_ties(pop, p, draws["ties"])
        crisis_people, _ = crisis.respond(self)

        update_capacity(self.teams_table, p)
        self.teams_table.frontdoor[:] = 0.0
        forced = np.zeros(pop.n, bool)
        forced[crisis_people] = True
        contacts = seek_help(pop, cases, p, draws["contact"], draws["salience"], forced)
        self._route_contacts(contacts, draws["disclose"])

        dropped, dropped_d = cases.prune_waiting_list(pop.needs, p, self.week)
        self.journeys.log(self.week, "dropped", dropped, dropped_d)
        admitted, admitted_d = cases.admit(self.teams_table, pop.needs, p, self.week)
        self.journeys.log(self.week, "admitted", admitted, admitted_d, cases.team[admitted, admitted_d])
        worked, _, hours = cases.work(self.teams_table, pop, p, practice=self._practice())
        npm.done_to(self)
        local_teams.work_with_strengths(self)
        npm.close(self)
        local_teams.close(self)
        cases.clear_resolved_failures(pop.needs, p["stable_level"])
        unknown = bincount(
            pop.neighbourhood[crisis_people[(cases.status[crisis_people] == 0).all(axis=1)]], minlength=self.n_neighbourhoods
        )
        local_teams.learn(self, unknown)
        self._check_real_outcomes()

        cases.hours_this_year += float(self.teams_table.hours_used.sum())
        one_off_staff = update_staff(self.teams_table, p, self._team_target_pressure())
        self._account_costs(one_off_staff, worked, hours, crisis_people.size)
        pop.update_wellbeing()
        self.journeys.snapshot_needs(pop.needs)
        if self.week - self.year_start >= 52:
            self.last_year_hours_per_client = staff_hours_per_client(self)
            self.year_start = self.week
            cases.new_year()

    # --- pieces of the week --------------------------------------------------------------------
    def _draw_week(self) -> dict[str, np.ndarray]:
        """This week's random numbers. Life events and behaviour come from streams both systems
        consume identically (common random numbers); tie contacts and service chance do not."""
        n, d = self.population.n, len(DOMAINS)
        life, beh = self._streams["life_events"], self._streams["behaviour"]
        return {
            "events": life.random((n, d)),
            "contact": beh.random(n),
            "salience": beh.random((n, d)),
            "disclose": beh.random((n, d)),
            "ties": self._streams["ties"].random(self.community.n_ties),
        }

    def book_investment(self, euros: float) -> None:
        """One-off investment (community, setting up new teams): counted in this week's accounts,
        or the next week's if booked between weeks."""
        self._pending_investment += euros

    def _new_tally(self) -> None:
        self.tally = defaultdict(float)
        self.tally_team_closures[:] = 0.0
        self.tally_team_returns[:] = 0.0
        self._closures = {"n": 0, "on_time": 0, "resolved": 0}

    def _route_contacts(self, c, u_disclose) -> None:
        """Count contacts, then send each to the system that serves the citizen's neighbourhood."""
        t = self.tally
        t["contacts"] += len(c)
        t["failure_demand"] += c.failure.sum()
        t["value_demand"] += len(c) - c.failure.sum()
        t["people_contacting"] += np.unique(c.citizens).size
        self.cases.client_this_year[c.citizens] = True
        self.journeys.log(self.week, "failure_contact", c.citizens[c.failure], c.domain[c.failure])
        self.journeys.log(self.week, "contact", c.citizens[~c.failure], c.domain[~c.failure])
        local_teams.note_returns(self, c.citizens, c.domain)
        # Chasing a waiting list costs the holding team front-door time and nothing else.
        chase_team = self.cases.team[c.citizens[c.chase], c.domain[c.chase]]
        self.teams_table.frontdoor += bincount(chase_team, minlength=self.teams_table.n) * self.p["contact_hours"]
        new = ~c.chase
        ci, cd = c.citizens[new], c.domain[new]
        local = self.is_local[self.population.neighbourhood[ci]]
        npm.intake(self, ci[~local], cd[~local], u_disclose)
        busy = np.zeros(self.population.n, bool)
        busy[c.citizens] = True
        found, fdom = local_teams.outreach(self, busy)
        t["outreach"] += found.size
        t["contacts"] += found.size
        t["value_demand"] += found.size
        local_teams.intake(self, np.concatenate([ci[local], found]), np.concatenate([cd[local], fdom]), u_disclose)

    def record_closures(self, weeks_since_referral: np.ndarray) -> None:
        """Closed cases feed the reported KPI: the share closed within the target weeks of referral."""
        c = self._closures
        c["n"] += weeks_since_referral.size
        c["on_time"] += int((weeks_since_referral <= self.p["target_weeks"]).sum())

    def _check_real_outcomes(self) -> None:
        """The real outcome: of the needs closed 13 weeks ago, the share still resolved now."""
        ci, cd = nonzero2(self.cases.closed_week == self.week - REAL_OUTCOME_LAG)
        self._closures["checked"] = ci.size
        self._closures["resolved"] = int((self.population.needs[ci, cd] < NOTICE_LEVEL).sum())

    def _practice(self) -> np.ndarray:
        """Effectiveness per hour of each team's practice: specialists have an edge in their own domain."""
        practice = np.ones(self.teams_table.n)
        practice[:N_SILOS] += self.p["specialist_edge"]
        return practice

    def _team_target_pressure(self) -> np.ndarray:
        tp = np.zeros(self.teams_table.n)
        tp[:N_SILOS] = self.p["target_pressure"]
        return tp

    def _account_costs(self, one_off_staff: float, worked: np.ndarray, hours: np.ndarray, n_crises: int) -> None:
        p, t, tt, cases = self.p, self.tally, self.teams_table, self.cases
        staff_cost_team = tt.staff * p["staff_hours"] * tt.cost_per_hour
        # Commissioned support follows the caseload: one package per open case (citizen, team).
        open_ = cases.status == OPEN
        oi, od = nonzero2(open_)
        pairs = np.unique(oi.astype(np.int64) * tt.n + cases.team[oi, od])
        case_team = pairs % tt.n
        support_team = bincount(case_team, minlength=tt.n) * p["support_cost_per_case"]
        share = tt.overhead_share
        overhead_team = share / (1 - share) * (staff_cost_team + support_team)
        t["open_cases"] = float(pairs.size)
        t["cost_staff"] = float(staff_cost_team.sum() + one_off_staff)  # pay, recruitment, redundancy
        t["cost_support"] = float(support_team.sum())
        t["cost_overhead"] = float(overhead_team.sum())
        t["cost_crisis"] = float(n_crises * p["crisis_cost"])
        t["crisis_events"] = float(n_crises)
        t["cost_investment"], self._pending_investment = self._pending_investment, 0.0
        t["total_cost"] = t["cost_staff"] + t["cost_support"] + t["cost_overhead"] + t["cost_crisis"] + t["cost_investment"]
        # Attribute service cost to citizens by the hours they received (for cost concentration).
        if hours.size and hours.sum() > 0:
            per_hour = (t["cost_staff"] + t["cost_support"] + t["cost_overhead"]) / max(tt.hours_used.sum(), 1e-9)
            np.add.at(self.population.cost, worked, hours * per_hour)
        c = self._closures
        a = 0.1  # smoothed over roughly a quarter, as a KPI dashboard would
        if c["n"]:
            self.kpi["reported"] += a * (c["on_time"] / c["n"] - self.kpi["reported"])
        if c.get("checked"):
            self.kpi["real"] += a * (c["resolved"] / c["checked"] - self.kpi["real"])

    # --- structure changes ---------------------------------------------------------------------
    def refresh_establishment(self) -> None:
        """Recompute funded staff from the budget and which system serves each neighbourhood."""
        local_nb = self.is_local
        citizens_npm = int(self.nb_size[~local_nb].sum())
        set_establishment(self.teams_table, self.p, citizens_npm, np.where(local_nb, self.nb_size, 0))

    def switch_to_local_teams(self, share: float) -> int:
        """Hand ``share`` of all neighbourhoods (those still under NPM, in a seeded order) to new local teams.

        New teams are staffed at once, as novices in the new practice: ``redeploy_share`` of the
        staff whose NPM posts go move across, the rest are recruited. The other NPM staff above
        the new establishment stay over their notice period and go with redundancy pay; NPM
        cases already open run to the end of their episode (double running). Returns the
        number switched.
        """
        k = self._neighbourhoods_for(share)
        todo = [nb for nb in self._switch_order if not self.is_local[nb]][:k]
        if not todo:
            return 0
        self.is_local[todo] = True
        self.refresh_establishment()
        new_teams = N_SILOS + np.asarray(todo)
        redeploy(self.teams_table, new_teams, self.p["redeploy_share"])
        hired = staff_up(self.teams_table, new_teams, novice=True)
        self.book_investment(hired * self.p["recruitment_cost"])
        self._start_local_practice(new_teams)
        # Waiting-list entries of switched citizens move to their new team.
        moved = np.isin(self.population.neighbourhood, todo)
        waiting = (self.cases.status == 1) & moved[:, None]
        wi, wd = nonzero2(waiting)
        self.cases.team[wi, wd] = N_SILOS + self.population.neighbourhood[wi]
        return len(todo)

    def _neighbourhoods_for(self, share: float) -> int:
        """Whole neighbourhoods for a share of them: rounded, but at least one for any share above 0
        (with few neighbourhoods, "switch 25%" must not silently switch none)."""
        k = int(round(share * self.n_neighbourhoods))
        return max(k, 1) if share > 0 else k

    def _start_local_practice(self, teams: np.ndarray) -> None:
        """A new local team starts from the default practice and learns from there."""
        tt = self.teams_table
        tt.closure_bar[teams] = self.p["stable_level"]
        tt.outreach[teams] = self.p["outreach_share"]
        tt.recurrence[teams] = 0.0
        tt.patch_crises[teams] = 0.0

    def _follow_transition_schedule(self) -> None:
        start = self.p["transition_start"]
        if self._warming_up or start < 0 or self.week < start:
            return
        frac = min(1.0, (self.week - start + 1) / self.p["transition_weeks"]) * self.p["transition_target"]
        want = int(round(frac * self.n_neighbourhoods))
        have = int(self.is_local.sum())
        if want > have:
            levers_mod.apply_lever(self, "switch_to_local_teams", source="schedule",
                                   share=(want - have) / self.n_neighbourhoods)

    # --- public helpers --------------------------------------------------------------------------
    def apply_lever(self, name: str, **kwargs) -> dict:
        """Apply a policy lever now (see ``hls_abm.LEVERS``); recorded in ``levers_applied``."""
        return levers_mod.apply_lever(self, name, **kwargs)

    def forget_ended_relationships(self) -> None:
        """Counterfactual hook (validation pattern 6): every working relationship not in an open case
        is forgotten, so a returning person starts again from no relationship, even with the same team."""
        self.cases.relation[self.cases.status != OPEN] = 0.0

    def latest_metrics(self) -> dict[str, float]:
        """This week's metrics as a dict (cheap; what the dashboard polls)."""
        return {name: f(self) for name, f in MODEL_REPORTERS.items()}

    def metrics(self) -> pd.DataFrame:
        """The weekly model-level table, indexed by week (1..)."""
        df = self.datacollector.get_model_vars_dataframe()
        df.index = pd.RangeIndex(1, len(df) + 1, name="week")
        return df

    @property
    def system_of_neighbourhood(self) -> np.ndarray:
        return np.where(self.is_local, "local_teams", "npm")

    @property
    def network(self):
        """The community as a networkx Graph (built on request, with current tie strengths)."""
        return self.community.to_networkx()

    def team_names(self) -> list[str]:
        return [a.name for a in sorted(self.teams, key=lambda a: a.index)]

    def journey(self, citizen: int) -> pd.DataFrame:
        """Every recorded event of one citizen (needs ``record_events=True``)."""
        return self.journeys.journey(citizen, self.team_names())

    def needs_history(self, citizen: int) -> pd.DataFrame:
        """One citizen's needs, week by week (needs ``record_events=True``)."""
        return self.journeys.needs_history(citizen)


def twin_worlds(n_citizens: int = 1000, rng=None, **overrides) -> tuple[HLSModel, HLSModel]:
    """The same people, network and life events under NPM and under local teams.

    Both models share a seed and every parameter but the system, so their
    differences come from the system alone (common random numbers).
    """
    seed = parse_seed(rng, "rng")
    overrides.pop("system", None)
    overrides.pop("local_team_share", None)
    return (
        HLSModel("npm", n_citizens=n_citizens, rng=seed, **overrides),
        HLSModel("local_teams", n_citizens=n_citizens, rng=seed, **overrides),
    )


__all__ = ["HLSModel", "twin_worlds"]
