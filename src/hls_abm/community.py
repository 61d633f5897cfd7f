"""Community: the network of ties between citizens and the informal support it carries.

Neighbourhoods are small worlds (Watts-Strogatz graphs built with networkx
from the model's seed) with a few ties across neighbourhoods. Informal support
flows along ties from people with capacity to people in need; ties that are
used grow stronger, ties left unused fade; people with weak ties grow lonely.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from ._util import bincount, rowmax
from .population import ISOLATION

ISOLATED_BELOW = 0.25  # connectedness under which a citizen counts as isolated (assumption)
TIE_NORM = 2.0  # total tie strength at which a citizen is fully connected (assumption)
LONELINESS_DRIFT = 0.03  # weekly drift of the isolation need towards the lack of ties (assumption)


class Community:
    """Ties as edge arrays (src, dst, strength) for vectorized weekly updates."""

    def __init__(self, neighbourhood: np.ndarray, params: dict, rng: np.random.Generator):
        n = len(neighbourhood)
        k = params["ties_per_citizen"]
        p_rewire = params["cross_tie_share"]
        srcs, dsts = [], []
        for nb in np.unique(neighbourhood):
            members = np.nonzero(neighbourhood == nb)[0]
            m = len(members)
            if m < 3:
                continue
            g = nx.watts_strogatz_graph(m, min(k, m - 1) // 2 * 2 or 2, p_rewire, seed=int(rng.integers(2**31)))
            e = np.asarray(g.edges(), dtype=np.int64).reshape(-1, 2)
            srcs.append(members[e[:, 0]])
            dsts.append(members[e[:, 1]])
        # A few ties across neighbourhoods (work, family elsewhere).
        n_cross = int(round(n * k * p_rewire / 2))
        if n > 1 and n_cross:
            a = rng.integers(0, n, n_cross)
            b = rng.integers(0, n, n_cross)
            keep = a != b
            srcs.append(a[keep])
            dsts.append(b[keep])
        self.n = n
        self.src = np.concatenate(srcs).astype(np.int32) if srcs else np.zeros(0, np.int32)
        self.dst = np.concatenate(dsts).astype(np.int32) if dsts else np.zeros(0, np.int32)
        cs = params["community_strength"]
        mean_w = 0.15 + 0.45 * cs
        self.strength = rng.beta(2.0, 2.0 * (1 - mean_w) / mean_w, len(self.src))
        self.neighbourhood = neighbourhood

    def weaken_for_the_lonely(self, isolation_need: np.ndarray) -> None:
        """People who start lonely start with weaker ties (isolation and weak ties go together)."""
        worst = np.maximum(isolation_need[self.src], isolation_need[self.dst])
        self.strength *= 1.0 - 0.8 * worst

    @property
    def n_ties(self) -> int:
        return len(self.src)

    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(src, dst, strength) arrays of all ties (cheap; for views and analysis)."""
        return self.src, self.dst, self.strength

    def tie_sum(self) -> np.ndarray:
        """Total tie strength of each citizen."""
        w = self.strength
        return bincount(self.src, w, self.n) + bincount(self.dst, w, self.n)

    def support_flow(self, pop, community_strength: float) -> None:
        """Informal support from neighbours with capacity to people in need.

        Sets ``pop.support`` (in [0, 1]) and ``pop.connectedness``.
        """
        capacity = pop.resilience * (1.0 - rowmax(pop.needs))
        w = self.strength
        given = bincount(self.src, w * capacity[self.dst], self.n) + bincount(
            self.dst, w * capacity[self.src], self.n
        )
        pop.receive_support(np.minimum(community_strength * given / TIE_NORM, 1.0),
                            np.minimum(self.tie_sum() / TIE_NORM, 1.0))

    def update_ties(self, pop, params: dict, u: np.ndarray) -> None:
        """Ties strengthen with contact and fade unused; loneliness follows weak ties.

        ``u`` holds one uniform draw per tie.
        """
        w = self.strength
        iso = pop.needs[:, ISOLATION]
        withdrawal = 0.5 * (iso[self.src] + iso[self.dst])
        p_contact = w * (0.2 + 0.4 * params["community_strength"]) * (1.0 - 0.3 * withdrawal)
        used = u < p_contact
        w += np.where(used, params["tie_growth"] * (1.0 - w), -params["tie_decay"] * w)
        np.clip(w, 0.0, 1.0, out=w)
        # Loneliness: the isolation need drifts towards the lack of ties.
        pop.drift_isolation(1.0 - pop.connectedness, LONELINESS_DRIFT)

    def connect(self, citizens: np.ndarray, rng: np.random.Generator, strength: float = 0.3) -> int:
        """Introduce each citizen to a neighbour in their own neighbourhood (a new tie).

        Returns the number of ties added.
        """
        if len(citizens) == 0:
            return 0
        nb = self.neighbourhood
        order = np.argsort(nb, kind="stable")
        starts = np.searchsorted(nb[order], nb[citizens], "left")
        ends = np.searchsorted(nb[order], nb[citizens], "right")
        pick = order[starts + (rng.random(len(citizens)) * (ends - starts)).astype(np.int64)]
        ok = pick != citizens
        self.src = np.concatenate([self.src, citizens[ok].astype(np.int32)])
        self.dst = np.concatenate([self.dst, pick[ok].astype(np.int32)])
        self.strength = np.concatenate([self.strength, np.full(ok.sum(), strength)])
        return int(ok.sum())

    def invest(self, amount: float) -> None:
        """Community investment: every tie gains strength (events, spaces, groups)."""
        self.strength += amount * 0.5 * (1.0 - self.strength)

    def to_networkx(self) -> nx.Graph:
        """The current network as a networkx Graph (edge attribute ``strength``)."""
        g = nx.Graph()
        g.add_nodes_from((i, {"neighbourhood": int(self.neighbourhood[i])}) for i in range(self.n))
        g.add_weighted_edges_from(
            zip(self.src.tolist(), self.dst.tolist(), self.strength.tolist()), weight="strength"
        )
        return g
