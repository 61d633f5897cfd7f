"""Help-seeking: who contacts services this week, about what, and whether it is failure demand.

A citizen contacts services when a need passes their own threshold (higher
for people who distrust services); they present with their most *salient*
need, which is not always the root cause. People on a waiting list chase.
A contact about a need that services failed earlier (rejected, lost at a
hand-off, closed while still high) is **failure demand**; every other contact
is value demand (Seddon 2003; S004).

Besides their needs, citizens make one-off transactional requests (a blue badge, a
benefit claim, a repair) when ``transactional_rate`` > 0: ``Requests`` holds them. A
request not resolved stays open and comes back, as failure demand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._util import rowany
from ..population import SALIENCE
from .cases import NONE, WAITING
from .staff import SILO_BUDGET_SHARE


DISTRUST_DELAY = 0.2  # rise in the help threshold per unit of trust below the average (assumption)
AVERAGE_TRUST = 0.5  # trust at which a person's help threshold is their own (assumption)
SALIENCE_LOW, SALIENCE_NOISE = 0.75, 0.5  # this week's salience: usual x U(0.75, 1.25) (assumption)
#: How one-off requests spread over the domains (cumulative): as the silos' budgets do. Each department runs the
#: standard processes of its own domain (a blue badge, a benefit claim, a repair), and spreading the requests like
#: the money keeps the comparison one of process, not of budget shares (assumption).
REQUEST_MIX = np.cumsum(SILO_BUDGET_SHARE) / SILO_BUDGET_SHARE.sum()


@dataclass
class Contacts:
    """This week's contacts: one row per contacting citizen."""

    citizens: np.ndarray
    domain: np.ndarray  # presenting need
    chase: np.ndarray  # bool: chasing a waiting list, not a new request
    failure: np.ndarray  # bool: failure demand

    def __len__(self) -> int:
        return self.citizens.size


def seek_help(pop, cases, p: dict, u_contact: np.ndarray, u_salience: np.ndarray, forced: np.ndarray) -> Contacts:
    """Draw this week's contacts (vectorized over the population).

    ``u_contact`` (n) and ``u_salience`` (n, D) come from the behaviour stream
    shared by twin worlds; ``forced`` marks citizens sent by crisis services.
    """
    threshold = pop.help_threshold + DISTRUST_DELAY * (AVERAGE_TRUST - pop.trust)
    free = cases.status == NONE
    wanting = (pop.needs >= threshold[:, None]) & free
    forced_any = forced & rowany(free)
    asks = (rowany(wanting) & (u_contact < p["contact_rate"])) | forced_any
    ci = np.nonzero(asks)[0]
    score = np.where(free[ci], pop.needs[ci] * SALIENCE * (SALIENCE_LOW + SALIENCE_NOISE * u_salience[ci]), -1.0)
    dom = score.argmax(axis=1)
    # Chasing: people on a waiting list ring to ask where they are.
    waiting = cases.status == WAITING
    chasers = np.nonzero(~asks & rowany(waiting) & (u_contact > 1.0 - p["chase_rate"]))[0]
    chase_dom = waiting[chasers].argmax(axis=1)
    citizens = np.concatenate([ci, chasers])
    domain = np.concatenate([dom, chase_dom])
    chase = np.concatenate([np.zeros(ci.size, bool), np.ones(chasers.size, bool)])
    failure = chase | cases.failure[citizens, domain]
    return Contacts(citizens, domain, chase, failure)


class Requests:
    """One-off transactional requests: at most one open per citizen, with its domain."""

    def __init__(self, n: int):
        self.open = np.zeros(n, bool)
        self.domain = np.zeros(n, np.int64)

    def raise_requests(self, p, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """This week's requests, from the uniform draws ``u`` (n): a citizen with none open makes one with chance
        ``transactional_rate`` (its domain from the same draw, by ``REQUEST_MIX``); a citizen whose request is
        still open comes back about it with chance ``contact_rate``. Returns (citizens, domains, came back)."""
        rate = p["transactional_rate"]
        new = ~self.open & (u < rate)
        back = self.open & (u < p["contact_rate"])
        ni = np.nonzero(new)[0]
        if ni.size:  # given a request, u / rate is uniform(0, 1): the domain reuses the draw
            self.domain[ni] = np.minimum(np.searchsorted(REQUEST_MIX, u[ni] / rate, side="right"), REQUEST_MIX.size - 1)
        self.open |= new
        ci = np.nonzero(new | back)[0]
        return ci, self.domain[ci], back[ci]

    def settle(self, ci: np.ndarray, resolved: np.ndarray) -> None:
        """Resolved requests close; the others stay open and come back."""
        self.open[ci[resolved]] = False
