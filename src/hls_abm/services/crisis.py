
"""Crisis and acute services: emergency admissions, police call-outs, emergency housing.

They absorb crises from either system at their own (high) cost: this is where
cost shifted out of a silo shows up (S000: "cutting costs in one area, gives
rise to increased cost elsewhere").
"""

from __future__ import annotations

import numpy as np

from .._util import rowmax

ACUTE_RELIEF = 0.3  # how far acute services bring the crisis need down (assumption)


def respond(model) -> tuple[np.ndarray, np.ndarray]:
    """Detect needs past the crisis level and respond. Returns (citizens, crisis domains)."""
    p, pop = model.p, model.population
    ci = np.nonzero(rowmax(pop.needs) >= p["crisis_level"])[0]
    pop.in_crisis[:] = False
    if ci.size == 0:
        return ci, ci
    cd = pop.needs[ci].argmax(axis=1)
    pop.in_crisis[ci] = True
    pop.crisis_count[ci] += 1
    # A crisis pushes the person's other needs up and knocks their resilience.
    pop.needs[ci] += p["crisis_spill"] * (1.0 - pop.needs[ci])
    pop.needs[ci, cd] = np.maximum(pop.needs[ci, cd] - ACUTE_RELIEF, 0.0)
    pop.resilience[ci] *= 0.97
    pop.cost[ci] += p["crisis_cost"]
    model.journeys.log(model.week, "crisis", ci, cd)
    return ci, cd
