"""The world's state: people, places, cases, teams, who serves each neighbourhood, and the random streams.

One ``World`` per model. Each part owns its arrays and changes them through its own
functions: ``Population`` (needs, trust, resilience, wellbeing ...), ``Community`` (ties),
``Cases`` (waiting lists and open cases), ``TeamTable`` (staffing and hours; see its
docstring for who writes which column). ``is_local`` says which service system serves
each neighbourhood; it changes only through ``HLSModel.switch_to_local_teams``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._util import bincount
from .community import Community
from .journeys import JourneyLog
from .params import DOMAINS
from .population import ISOLATION, Population
from .services.cases import Cases
from .services.front_door import Requests
from .services.local_teams import LocalTeams
from .services.npm import NPM
from .services.staff import TeamTable

#: Independent random streams, so that twin worlds share everything but the system: life events
#: and behaviour are drawn identically in both (common random numbers); ties and service chance are not.
#: One-off requests have a stream of their own (spawned last, so the others are the same with or without it), drawn
#: only while there are requests: switching them on leaves every other stream's numbers where they were.
STREAMS = ("population", "network", "life_events", "behaviour", "ties", "service", "requests")


@dataclass
class World:
    """Everything a week's stages read and write, apart from the week's own accounts (the Ledger)."""

    population: Population
    community: Community
    cases: Cases
    teams: TeamTable
    is_local: np.ndarray  # bool per neighbourhood: served by a local team
    nb_size: np.ndarray  # citizens per neighbourhood
    switch_order: np.ndarray  # seeded order in which neighbourhoods switch to local teams
    streams: dict[str, np.random.Generator]
    journeys: JourneyLog
    systems: tuple  # the service systems (NPM, LocalTeams), in the order they take contacts
    requests: Requests  # one-off transactional requests still open

    @property
    def n_neighbourhoods(self) -> int:
        return int(self.is_local.size)

    @property
    def local_teams(self) -> LocalTeams:
        return self.systems[1]

    def draw_week(self, give_up: bool = False, requests: bool = False) -> dict[str, np.ndarray]:
        """This week's random numbers, drawn in a fixed order from the shared streams (the give-up draws
        only when people can give up, so runs without that loop keep their streams; the requests' draws,
        (n, 2): whether and which, and whether a standard process fits, only when there are requests)."""
        n, d = self.population.n, len(DOMAINS)
        life, beh = self.streams["life_events"], self.streams["behaviour"]
        draws = {
            "events": life.random((n, d)),
            "contact": beh.random(n),
            "salience": beh.random((n, d)),
            "disclose": beh.random((n, d)),
            "ties": self.streams["ties"].random(self.community.n_ties),
        }
        draws["give_up"] = beh.random((n, d)) if give_up else np.ones((n, d))
        if requests:
            draws["request"] = self.streams["requests"].random((n, 2))
        return draws


def build_world(params, seed: int, neighbourhoods_for) -> World:
    """People, places, ties and teams for ``params`` and ``seed`` (before the warm-up).

    ``neighbourhoods_for(share, n_nb)`` turns the starting local-team share into a count.
    """
    spawned = np.random.SeedSequence(seed).spawn(len(STREAMS))
    streams = {name: np.random.default_rng(s) for name, s in zip(STREAMS, spawned)}
    n = params["n_citizens"]
    pop = Population(n, params, streams["population"])
    n_nb = max(1, int(round(n / params["neighbourhood_size"])))
    pop.neighbourhood = (np.arange(n) * n_nb // n).astype(np.int32)
    community = Community(pop.neighbourhood, params, streams["network"])
    community.weaken_for_the_lonely(pop.needs[:, ISOLATION])
    order = streams["network"].permutation(n_nb)
    is_local = np.zeros(n_nb, bool)
    is_local[order[: neighbourhoods_for(params["local_team_share"], n_nb)]] = True
    return World(
        population=pop, community=community, cases=Cases(n), teams=TeamTable(n_nb), is_local=is_local,
        nb_size=bincount(pop.neighbourhood, minlength=n_nb), switch_order=order, streams=streams,
        journeys=JourneyLog(params["record_events"], n), systems=(NPM(), LocalTeams()), requests=Requests(n),
    )
