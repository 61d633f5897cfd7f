"""HLSModel: the wiring of citizens, community and service systems, and the order of a week.

Read ``WEEK_PLAN`` as the model's table of contents: each stage is a function in
``hls_abm.week`` of the world's state (``hls_abm.world.World``) and the week's context
(``hls_abm.week.Week``), and each mechanism it calls lives in its own module.
``docs/ODD.md`` describes them all.
"""

from __future__ import annotations

from types import MappingProxyType

import mesa
import numpy as np
import pandas as pd

from . import levers as levers_mod
from . import week as stages
from ._util import nonzero2
from .ledger import Ledger
from .metrics import MODEL_REPORTERS
from .params import validate_params
from .population import Citizen
from .seeds import parse_seed
from .services.cases import NONE, WAITING
from .services.staff import (
    Team,
    local_team_of,
    redeploy,
    set_establishment,
    shed_surplus,
    staff_up,
)
from .world import build_world

#: The week, in order.
WEEK_PLAN = (
    stages.live,  # life events, interacting needs, escalation, recovery
    stages.community,  # informal support, ties, loneliness
    stages.crises,  # acute services respond to crises
    stages.seek_help_stage,  # who contacts services, about what
    stages.route,  # each contact to the system that serves the neighbourhood: intake
    stages.requests,  # one-off transactional requests: a standard process or the patch team
    stages.waiting_list,  # settled and long waits leave the list; admission within hours
    stages.casework,  # casework, and what each way of working does to people
    stages.close,  # each system closes what it judges finished
    stages.learn,  # systems learn from outcomes; the real outcome is checked
    stages.staff,  # stress, turnover, recruitment
    stages.accounts,  # the week's costs and the KPI
    stages.end_of_week,  # wellbeing, journeys, the year's rollover
)


class HLSModel(mesa.Model):
    """Citizens with interacting needs, their community, and the service system that serves them.

    Args:
        scenario: a preset name (see ``hls_abm.SCENARIOS``).
        n_citizens: number of citizens.
        rng: seed: a whole number >= 0 or a word (see ``hls_abm.seeds``). The same seed gives the
            same DataFrame, bit for bit, and the same people, network and life events in either system.
        **overrides: any parameter in ``hls_abm.PARAMS``.

    ``params`` is the validated configuration and never changes; ``policy`` holds what
    levers have changed since; ``p`` is what is in force (the two together, read-only).
    """

    def __init__(self, scenario: str = "npm", n_citizens: int = 1000, rng=None, **overrides):
        seed = parse_seed(rng, "rng")
        params = validate_params(scenario, n_citizens=n_citizens, **overrides)
        super().__init__(rng=seed)
        self.seed = seed
        self.scenario_name = scenario
        self.params = MappingProxyType(params)
        self.policy: dict[str, float] = {}
        self.p = self.params
        self.levers_applied: list[dict] = []
        self._warming_up = False
        self.world = w = build_world(params, seed, self._neighbourhoods_for)
        self.ledger = Ledger(params["n_citizens"], w.teams.n)
        self.refresh_establishment()
        staff_up(w.teams, np.arange(w.teams.n), novice=False)

        # Mesa agents: views onto the arrays.
        Citizen.create_agents(self, w.population.n, index=list(range(w.population.n)))
        Team.create_agents(self, w.teams.n, index=list(range(w.teams.n)))
        self.citizens = self.agents_by_type[Citizen]
        self.team_agents = self.agents_by_type[Team]

        w.community.support_flow(w.population, params["community_strength"])
        w.population.update_wellbeing()
        self._warm_up(params["warmup_weeks"])
        w.local_teams.start_practice(w.teams, np.arange(w.teams.local.start, w.teams.n), self.p)
        self.datacollector = mesa.DataCollector(model_reporters=MODEL_REPORTERS)

    # --- read access to the world -------------------------------------------------------------
    @property
    def week(self) -> int:
        """The current week: 0 at the end of the warm-up, counted by Mesa's steps."""
        return self.steps

    @property
    def population(self):
        return self.world.population

    @property
    def community(self):
        return self.world.community

    @property
    def cases(self):
        return self.world.cases

    @property
    def journeys(self):
        return self.world.journeys

    @property
    def is_local(self) -> np.ndarray:
        """Whether a local team serves each neighbourhood (change it with ``switch_to_local_teams``)."""
        return self.world.is_local

    @property
    def n_neighbourhoods(self) -> int:
        return self.world.n_neighbourhoods

    # --- the week -----------------------------------------------------------------------------
    def step(self) -> None:
        """One week: every stage of ``WEEK_PLAN`` in order, then measurement."""
        self._live_week(self.steps)
        self.datacollector.collect(self)

    def _live_week(self, number: int) -> None:
        self.ledger.new_week()
        self._follow_transition_schedule(number)
        week = self.week_context(number)
        for stage in WEEK_PLAN:
            stage(self.world, week)

    def week_context(self, number: int | None = None) -> stages.Week:
        """The context a stage or a service system receives for week ``number`` (default: the current
        one), with fresh draws from the world's streams: to run one mechanism on its own (tests, notebooks)."""
        w = self.world
        number = self.week if number is None else number
        requests = self.p["transactional_rate"] > 0 or bool(w.requests.open.any())
        return stages.Week(number, self.p, w.draw_week(self.p["give_up_rate"] > 0, requests), self.ledger, w.journeys,
                           w.streams["service"])

    def _warm_up(self, weeks: int) -> None:
        """Live ``weeks`` under the NPM status quo, then hand the chosen neighbourhoods to local teams.

        The warm-up is identical in twin worlds (same seed, same system), so both start week 0
        from the same established population: the same needs, waiting lists and entrenchment.
        It runs on its own clock (weeks 1..``weeks``); the cases' stored weeks are then re-based
        so that week 0 is its end, and Mesa's steps count the weeks from there.
        """
        if weeks <= 0:
            return
        w = self.world
        chosen = w.is_local.copy()
        record = w.journeys.enabled
        w.journeys.enabled = False
        w.is_local[:] = False
        self.refresh_establishment()
        staff_up(w.teams, np.arange(w.teams.n), novice=False)
        self._warming_up = True
        for number in range(1, weeks + 1):
            self._live_week(number)
        self._warming_up = False
        w.journeys.enabled = record
        w.is_local[:] = chosen
        self.refresh_establishment()
        shed_surplus(w.teams)  # the local-teams world is an established system, not a transition
        staff_up(w.teams, np.arange(w.teams.local.start, w.teams.n), novice=False)
        # Local teams take over everyone the silos held in their neighbourhoods.
        pop, cases = w.population, w.cases
        held = (cases.status != NONE) & w.is_local[pop.neighbourhood][:, None]
        hi, hd = nonzero2(held)
        cases.put_on_waiting_list(hi, hd, local_team_of(pop.neighbourhood[hi]), 0,
                                 -self.p["local_urgency_priority"] * pop.needs[hi].max(axis=1))
        cases.rebase_weeks(weeks)
        cases.joined[hi, hd] = 0
        cases.since[hi, hd] = 0
        self.ledger.start_year(0)
        self.ledger.last_year_hours_per_client = 0.0

    # --- policy and structure changes ----------------------------------------------------------
    def set_policy(self, **values) -> None:
        """Change policy now (levers call this): the validated ``params`` stay as they were."""
        self.policy.update(values)
        self.p = MappingProxyType({**self.params, **self.policy})

    def book_investment(self, euros: float) -> None:
        """One-off investment (community, setting up new teams): counted in this week's accounts,
        or the next week's if booked between weeks."""
        self.ledger.book_investment(euros)

    def refresh_establishment(self) -> None:
        """Recompute funded staff from the budget and which system serves each neighbourhood."""
        w = self.world
        citizens_npm = int(w.nb_size[~w.is_local].sum())
        set_establishment(w.teams, self.p, citizens_npm, np.where(w.is_local, w.nb_size, 0))

    def switch_to_local_teams(self, share: float) -> int:
        """Hand ``share`` of all neighbourhoods (those still under NPM, in a seeded order) to new local teams.

        New teams are staffed at once, as novices in the new practice: ``redeploy_share`` of the
        staff whose NPM posts go move across, the rest are recruited. The other NPM staff above
        the new establishment stay over their notice period and go with redundancy pay; NPM
        cases already open run to the end of their episode (double running). Returns the
        number switched.
        """
        w = self.world
        k = self._neighbourhoods_for(share, w.n_neighbourhoods)
        todo = [nb for nb in w.switch_order if not w.is_local[nb]][:k]
        if not todo:
            return 0
        w.is_local[todo] = True
        self.refresh_establishment()
        new_teams = local_team_of(np.asarray(todo))
        redeploy(w.teams, new_teams, self.p["redeploy_share"])
        hired = staff_up(w.teams, new_teams, novice=True)
        self.book_investment(hired * self.p["recruitment_cost"])
        w.local_teams.start_practice(w.teams, new_teams, self.p)
        # Waiting-list entries of switched citizens move to their new team.
        pop, cases = w.population, w.cases
        moved = np.isin(pop.neighbourhood, todo)
        wi, wd = nonzero2((cases.status == WAITING) & moved[:, None])
        cases.team[wi, wd] = local_team_of(pop.neighbourhood[wi])
        return len(todo)

    @staticmethod
    def _neighbourhoods_for(share: float, n_neighbourhoods: int) -> int:
        """Whole neighbourhoods for a share of them: rounded, but at least one for any share above 0
        (with few neighbourhoods, "switch 25%" must not silently switch none)."""
        k = int(round(share * n_neighbourhoods))
        return max(k, 1) if share > 0 else k

    def _follow_transition_schedule(self, number: int) -> None:
        start = self.p["transition_start"]
        if self._warming_up or start < 0 or number < start:
            return
        frac = min(1.0, (number - start + 1) / self.p["transition_weeks"]) * self.p["transition_target"]
        n_nb = self.world.n_neighbourhoods
        want = int(round(frac * n_nb))
        have = int(self.world.is_local.sum())
        if want > have:
            levers_mod.apply_lever(self, "switch_to_local_teams", source="schedule", share=(want - have) / n_nb)

    # --- public helpers --------------------------------------------------------------------------
    def apply_lever(self, name: str, **kwargs) -> dict:
        """Apply a policy lever now (see ``hls_abm.LEVERS``); recorded in ``levers_applied``."""
        return levers_mod.apply_lever(self, name, **kwargs)

    def forget_ended_relationships(self) -> None:
        """Counterfactual hook (validation pattern 6): every working relationship not in an open case
        is forgotten, so a returning person starts again from no relationship, even with the same team."""
        self.world.cases.forget_ended_relationships()

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
        return np.where(self.world.is_local, "local_teams", "npm")

    @property
    def network(self):
        """The community as a networkx Graph (built on request, with current tie strengths)."""
        return self.world.community.to_networkx()

    def team_names(self) -> list[str]:
        return [a.name for a in sorted(self.team_agents, key=lambda a: a.index)]

    def journey(self, citizen: int) -> pd.DataFrame:
        """Every recorded event of one citizen (needs ``record_events=True``)."""
        return self.world.journeys.journey(citizen, self.team_names())

    def needs_history(self, citizen: int) -> pd.DataFrame:
        """One citizen's needs, week by week (needs ``record_events=True``)."""
        return self.world.journeys.needs_history(citizen)


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


__all__ = ["HLSModel", "twin_worlds", "WEEK_PLAN"]
