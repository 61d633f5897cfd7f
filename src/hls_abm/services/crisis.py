"""Crisis and acute services: emergency admissions, police call-outs, emergency housing.

They absorb crises from either system at their own (high) cost: this is where
cost shifted out of a silo shows up (S000: "cutting costs in one area, gives
rise to increased cost elsewhere").
"""

from __future__ import annotations

import numpy as np

from .._util import rowmax



def respond(pop, p, log, week: int) -> tuple[np.ndarray, np.ndarray]:
    """Detect needs past the crisis level and respond. Returns (citizens, crisis domains).

    Reads ``pop.needs``; through the population's own methods it marks who is in crisis,
    pushes their other needs up, knocks their resilience and attributes the crisis cost.
    """
    ci = np.nonzero(rowmax(pop.needs) >= p["crisis_level"])[0]
    pop.clear_crises()
    if ci.size == 0:
        return ci, ci
    cd = pop.needs[ci].argmax(axis=1)
    pop.go_through_crisis(ci, cd, p["crisis_spill"], p["acute_relief"], p["crisis_knock"], p["crisis_cost"])
    log.log(week, "crisis", ci, cd)
    return ci, cd
