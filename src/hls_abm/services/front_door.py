"""Help-seeking: who contacts services this week, about what, and whether it is failure demand.

A citizen contacts services when a need passes their own threshold (higher
for people who distrust services); they present with their most *salient*
need, which is not always the root cause. People on a waiting list chase.
A contact about a need that services failed earlier (rejected, lost at a
hand-off, closed while still high) is **failure demand**; every other contact
is value demand (Seddon 2003; S004).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._util import rowany
from ..population import SALIENCE
from .cases import NONE, WAITING


DISTRUST_DELAY = 0.2  # rise in the help threshold per unit of trust below the average (assumption)
AVERAGE_TRUST = 0.5  # trust at which a person's help threshold is their own (assumption)
SALIENCE_LOW, SALIENCE_NOISE = 0.75, 0.5  # this week's salience: usual x U(0.75, 1.25) (assumption)


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
