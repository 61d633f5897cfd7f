"""Citizens: their needs, resilience, trust and wellbeing, held as arrays.

The population is a struct of numpy arrays, one row per citizen. ``Citizen``
Mesa agents are thin views onto their row, so a reader can ask a citizen for
its needs while the weekly rules run as one vectorized expression over all.

Sources for every mechanism are in ``docs/ODD.md`` and ``docs/sources.md``.
"""

from __future__ import annotations

import mesa
import numpy as np

from ._util import nonzero2, rowmax, rowsum
from .params import DOMAINS

D = len(DOMAINS)
PHYS, MENTAL, MONEY, HOUSING, ISOLATION, SUBSTANCE = range(D)

#: How strongly an unmet need in one domain (row) pushes up another (column),
#: per week per unit of need, for a citizen with complex needs.
#: Sources: debt -> mental health (Richardson et al. 2013 meta-analysis);
#: housing -> health (Marmot 2010; BRE/Shelter); isolation -> mental and physical
#: health (Holt-Lunstad et al. 2010, 2015); mental -> physical health (Naylor et
#: al. 2012, King's Fund); substance use -> money, housing, health (Public Health
#: England 2017); physical -> money via work loss (assumption). The magnitudes are
#: assumptions; S000/S004 describe "the multi-layered aspects of our lives".
COUPLING = np.zeros((D, D))
COUPLING[MONEY, MENTAL] = 0.0140
COUPLING[MONEY, HOUSING] = 0.0105
COUPLING[HOUSING, PHYS] = 0.0070
COUPLING[HOUSING, MENTAL] = 0.0105
COUPLING[ISOLATION, MENTAL] = 0.0105
COUPLING[ISOLATION, PHYS] = 0.0056
COUPLING[MENTAL, PHYS] = 0.0070
COUPLING[MENTAL, ISOLATION] = 0.0070
COUPLING[MENTAL, SUBSTANCE] = 0.0056
COUPLING[MENTAL, MONEY] = 0.0056
COUPLING[PHYS, MONEY] = 0.0056
COUPLING[PHYS, MENTAL] = 0.0056
COUPLING[SUBSTANCE, MENTAL] = 0.0105
COUPLING[SUBSTANCE, MONEY] = 0.0105
COUPLING[SUBSTANCE, HOUSING] = 0.0070
COUPLING[SUBSTANCE, PHYS] = 0.0070

_COUPLING_ENTRIES = [(k, d, COUPLING[k, d]) for k in range(D) for d in range(D) if COUPLING[k, d]]


def spill(x: np.ndarray) -> np.ndarray:
    """``x @ COUPLING`` for (n, 6) needs, column by column (much faster than BLAS for 6 columns)."""
    out = np.zeros_like(x)
    for k, d, c in _COUPLING_ENTRIES:
        out[:, d] += c * x[:, k]
    return out


#: How visible (and easy to talk about) a need is when a citizen presents:
#: people present with the most salient need, not the root cause (assumption;
#: stigma lowers disclosure of substance use and loneliness).
SALIENCE = np.array([1.0, 0.7, 0.8, 0.9, 0.4, 0.5])


NOTICE_LEVEL = 0.3  # need above which it is noticed, escalates and can entrench (assumption)
COUPLING_FLOOR = 0.15  # needs below this do not spill over (assumption)
RESILIENCE_REGROWTH = 0.01  # weekly regrowth towards a person's baseline while needs are low (assumption)


def entrenchment(unmet_weeks: np.ndarray, weeks: float) -> np.ndarray:
    """0 for a fresh need, 1 for a need that has gone unmet for ``weeks`` or more."""
    return np.minimum(unmet_weeks / weeks, 1.0)


class Population:
    """All citizens' state as arrays (struct of arrays)."""

    def __init__(self, n: int, params: dict, rng: np.random.Generator):
        self.n = n
        p = params
        self.is_complex = rng.random(n) < p["complex_share"]
        cx = self.is_complex
        # Needs: complex citizens start with several elevated, interacting needs;
        # simple citizens with at most one.
        needs = rng.beta(1.2, 9.0, size=(n, D))
        n_elev = np.where(cx, rng.integers(2, 5, n), (rng.random(n) < 0.5).astype(int))
        order = np.argsort(rng.random((n, D)), axis=1)
        elevated = np.zeros((n, D), bool)
        for k in range(4):
            rows = np.nonzero(n_elev > k)[0]
            elevated[rows, order[rows, k]] = True
        needs[elevated] += rng.uniform(0.15, 0.4, elevated.sum())
        self.needs = np.clip(needs, 0.0, 1.0)
        self.resilience = np.where(cx, rng.beta(3, 5, n), rng.beta(6, 4, n))
        self.baseline_resilience = self.resilience.copy()
        self.trust = np.where(cx, rng.beta(3, 5, n), rng.beta(5, 5, n))
        self.help_threshold = np.clip(rng.normal(p["help_threshold"], 0.1, n), 0.15, 0.95)
        self.coupling_weight = np.where(cx, 1.0, p["simple_coupling"])
        self.shock_weight = np.where(cx, p["complex_shock_multiplier"], 1.0)
        self.unmet_weeks = np.zeros((n, D), np.float64)
        self.neighbourhood = np.zeros(n, np.int32)
        self.support = np.zeros(n)  # informal support received last week, in [0, 1]
        self.connectedness = np.zeros(n)  # sum of tie strengths, capped at 1
        self.wellbeing = np.zeros(n)
        self.in_crisis = np.zeros(n, bool)
        self.crisis_count = np.zeros(n, np.int32)
        self.cost = np.zeros(n)  # cumulative service + crisis cost attributed to each citizen

    # --- what services, crises and the community do to people -----------------------------------
    # The population owns its arrays; other modules change them only through these methods.
    def receive_help(self, ci: np.ndarray, cd: np.ndarray, effect: np.ndarray) -> None:
        """Casework lowers the needs (ci, cd) by ``effect``."""
        self.needs[ci, cd] = np.maximum(self.needs[ci, cd] - effect, 0.0)

    def change_trust(self, ci: np.ndarray, delta) -> None:
        """Trust in services moves by ``delta`` (a number or one per entry of ``ci``), kept in [0, 1].
        A citizen who appears several times (several needs closed in one week) moves by the sum."""
        if ci.size == 0:
            return
        who, where = np.unique(ci, return_inverse=True)
        total = np.bincount(where, np.broadcast_to(np.asarray(delta, float), ci.shape), who.size)
        self.trust[who] = np.clip(self.trust[who] + total, 0.0, 1.0)

    def erode_resilience(self, who: np.ndarray, rate: float) -> None:
        """Resilience of ``who`` (a mask or indices) falls by the share ``rate``."""
        self.resilience[who] *= 1.0 - rate

    def build_resilience(self, who: np.ndarray, gain: float) -> None:
        """Resilience of ``who`` grows by ``gain`` of the way to 1."""
        self.resilience[who] += gain * (1.0 - self.resilience[who])

    def clear_crises(self) -> None:
        """A new week: nobody is in crisis until the crisis check says so."""
        self.in_crisis[:] = False

    def go_through_crisis(self, ci: np.ndarray, cd: np.ndarray, spill: float, relief: float,
                          knock: float, cost: float) -> None:
        """A crisis in need ``cd``: acute services bring that need down by ``relief``, the other needs rise
        by ``spill`` of the way to 1, resilience falls by the share ``knock``; ``cost`` is attributed."""
        self.in_crisis[ci] = True
        self.crisis_count[ci] += 1
        self.needs[ci] += spill * (1.0 - self.needs[ci])
        self.needs[ci, cd] = np.maximum(self.needs[ci, cd] - relief, 0.0)
        self.resilience[ci] *= 1.0 - knock
        self.cost[ci] += cost

    def attribute_cost(self, citizens: np.ndarray, euros: np.ndarray) -> None:
        """Add service cost to the citizens who received it (for cost concentration)."""
        np.add.at(self.cost, citizens, euros)

    def receive_support(self, support: np.ndarray, connectedness: np.ndarray) -> None:
        """This week's informal support and connectedness, from the community."""
        self.support = support
        self.connectedness = connectedness

    def drift_isolation(self, lonely: np.ndarray, rate: float) -> None:
        """The isolation need drifts towards ``lonely`` (the lack of ties) at ``rate`` a week."""
        iso = self.needs[:, ISOLATION]
        iso += rate * (lonely - iso)
        np.clip(iso, 0.0, 1.0, out=iso)

    # --- derived quantities -------------------------------------------------------------------
    def update_wellbeing(self) -> None:
        """Wellbeing from needs (mean and worst), resilience and ties."""
        nd = self.needs
        burden = 0.5 * (rowsum(nd) / D + rowmax(nd))
        self.wellbeing = np.clip(
            0.6 * (1.0 - burden) + 0.25 * self.resilience + 0.15 * self.connectedness, 0.0, 1.0
        )

    # --- weekly dynamics ----------------------------------------------------------------------
    def live_a_week(self, p: dict, u_events: np.ndarray, in_case: np.ndarray) -> None:
        """Life events, interacting needs, escalation, recovery, entrenchment and scarring.

        ``u_events`` is this week's (n, D) uniform draws from the life-events
        stream (the same in twin worlds); ``in_case`` marks needs a service is
        working on this week.
        """
        needs = self.needs
        # Life events: shock probability per domain; recession multiplies money shocks.
        rate = np.full(D, p["shock_rate"])
        rate[MONEY] *= p["money_shock_multiplier"]
        prob = np.minimum(self.shock_weight[:, None] * rate, 0.95)
        hit_i, hit_d = nonzero2(u_events < prob)

        entrench = entrenchment(self.unmet_weeks, p["entrenchment_weeks"])
        unmet = (needs > NOTICE_LEVEL) & ~in_case
        # Needs interact: one unmet need pushes up others (coupling matrix) ...
        push = spill(np.maximum(needs - COUPLING_FLOOR, 0.0))
        push *= (p["coupling_strength"] * self.coupling_weight)[:, None]
        # ... and problems left alone escalate, faster when entrenched; resilience slows it.
        escalation = (p["escalation_rate"] * (1.0 - self.resilience))[:, None] * (1.0 + entrench)
        escalation *= unmet
        push += escalation
        push *= 1.0 - needs
        # Natural recovery depends on resilience and informal support; entrenched needs respond less.
        recovery = (p["recovery_rate"] * self.resilience * (1.0 + self.support))[:, None] * needs
        recovery /= 1.0 + p["entrenchment_cost"] * entrench
        needs += push
        needs -= recovery
        # Given a hit, u/prob is uniform(0, 1): the shock size reuses the same draw. Sizes are
        # exponential (many small events, a few large ones that cause a crisis on their own).
        if hit_i.size:
            frac = np.minimum(u_events[hit_i, hit_d] / prob[hit_i, hit_d], 1.0 - 1e-9)
            needs[hit_i, hit_d] -= p["shock_size"] * np.log1p(-frac)
        np.clip(needs, 0.0, 1.0, out=needs)

        # Entrenchment: grows while a noticed need goes unmet; fades while it is worked on or low.
        uw = self.unmet_weeks
        uw += unmet * 3.0 - 2.0
        np.maximum(uw, 0.0, out=uw)
        uw[needs < NOTICE_LEVEL * 0.5] = 0.0
        # Scarring: long-lasting high need slowly erodes resilience.
        scarred = (rowmax(needs) > 0.6) & (rowmax(entrench) > 0.5)
        self.resilience[scarred] -= p["scarring_rate"] * self.resilience[scarred]
        # Resilience regrows towards the person's own baseline while life is calm, and
        # community support builds it a little.
        calm = rowmax(needs) < NOTICE_LEVEL
        self.resilience[calm] += RESILIENCE_REGROWTH * (self.baseline_resilience[calm] - self.resilience[calm]).clip(0)
        self.resilience += 0.003 * self.support * (1.0 - self.resilience)
        np.clip(self.resilience, 0.0, 1.0, out=self.resilience)


class Citizen(mesa.Agent):
    """A person with needs in six life domains; a view onto one row of the population."""

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index

    @property
    def needs(self) -> dict[str, float]:
        row = self.model.population.needs[self.index]
        return {d: float(v) for d, v in zip(DOMAINS, row)}

    @property
    def wellbeing(self) -> float:
        return float(self.model.population.wellbeing[self.index])

    @property
    def resilience(self) -> float:
        return float(self.model.population.resilience[self.index])

    @property
    def trust(self) -> float:
        return float(self.model.population.trust[self.index])

    @property
    def neighbourhood(self) -> int:
        return int(self.model.population.neighbourhood[self.index])

    @property
    def is_complex(self) -> bool:
        return bool(self.model.population.is_complex[self.index])

    @property
    def in_crisis(self) -> bool:
        return bool(self.model.population.in_crisis[self.index])

    def step(self) -> None:  # pragma: no cover - the population updates all citizens at once
        """Citizens are updated together by ``Population.live_a_week``."""
