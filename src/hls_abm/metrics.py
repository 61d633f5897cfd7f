"""What is measured each week: demand, cost, wellbeing, community, staff, KPI vs real outcome.

Reporters are small module-level functions named for what they report; the
model's DataCollector calls them once a week. Everything is computed from the
week's tally and the state arrays: nothing reaches back into the mechanisms.
"""

from __future__ import annotations

import numpy as np

from .community import ISOLATED_BELOW
from .services.cases import OPEN, WAITING


def gini(x: np.ndarray) -> float:
    """Gini coefficient of a non-negative array (0 = equal)."""
    if x.size == 0 or x.sum() <= 0:
        return 0.0
    s = np.sort(x)
    n = s.size
    return float((2 * np.arange(1, n + 1) - n - 1) @ s / (n * s.sum()))


def _counted(name):
    """A reporter of one of the ledger's weekly counts."""
    return lambda m: float(m.ledger[name])


def contacts(m):
    return float(m.ledger["contacts"])


def failure_demand_share(m):
    c = m.ledger["contacts"]
    return float(m.ledger["failure_demand"] / c) if c else 0.0


def handoffs_per_person(m):
    people = m.ledger["people_contacting"]
    return float(m.ledger["referrals"] / people) if people else 0.0


def waiting_list(m):
    return float((m.cases.status == WAITING).sum())


def mean_wait_weeks(m):
    w = m.cases.status == WAITING
    return float((m.week - m.cases.since[w]).mean()) if w.any() else 0.0


def unmet_need(m):
    """Severity-weighted needs above each citizen's help threshold that no service is working on, per citizen."""
    pop = m.population
    above = pop.needs >= pop.help_threshold[:, None]
    unmet = above & (m.cases.status != OPEN)
    return float((pop.needs * unmet).sum() / pop.n)


def cost_per_citizen(m):
    return float(m.ledger["total_cost"] / m.population.n)


def mean_wellbeing(m):
    return float(m.population.wellbeing.mean())


def p10_wellbeing(m):
    return float(np.percentile(m.population.wellbeing, 10))


def wellbeing_gini(m):
    return gini(m.population.wellbeing)


def mean_resilience(m):
    return float(m.population.resilience.mean())


def isolated_share(m):
    return float((m.population.connectedness < ISOLATED_BELOW).mean())


def mean_tie_strength(m):
    s = m.community.strength
    return float(s.mean()) if s.size else 0.0


def _staff_weighted(m, arr):
    staff = m.world.teams.staff
    return float((arr * staff).sum() / staff.sum()) if staff.sum() > 0 else 0.0


def staff_stress(m):
    return _staff_weighted(m, m.world.teams.stress)


def staff_sickness(m):
    return _staff_weighted(m, m.world.teams.sickness)


def staff_turnover(m):
    """Share of staff who left this week, annualised (x52)."""
    t = m.world.teams
    return float(52 * t.leavers.sum() / t.staff.sum()) if t.staff.sum() > 0 else 0.0


def staff_fte(m):
    return float(m.world.teams.staff.sum())


def reported_kpi(m):
    return float(m.ledger.kpi["reported"])


def real_outcome(m):
    return float(m.ledger.kpi["real"])


def staff_hours_per_client(m):
    """Staff hours per client over the year so far, annualised (KPMG's 'hours per client per year')."""
    return m.ledger.hours_per_client(m.week)


def cost_per_staff_hour(m):
    """Staff and overhead cost per client-facing staff hour worked this week."""
    hours = m.world.teams.hours_used.sum()
    led = m.ledger
    return float((led["cost_staff"] + led["cost_overhead"]) / hours) if hours > 0 else 0.0


def cost_per_request(m, weeks: int) -> float:
    """Run ``m`` for ``weeks`` and return the staff cost (all-in: pay and overhead) of the hours it spent on
    one-off requests, per request resolved (from each week's ledger; NaN if none was resolved)."""
    hours = resolved = 0.0
    for _ in range(weeks):
        m.step()
        hours += m.ledger["request_hours"]
        resolved += m.ledger["requests_resolved"]
    kind = "local" if m.scenario_name == "local_teams" else "npm"
    return hours * m.p[f"{kind}_cost_per_hour"] / resolved if resolved else float("nan")


def local_team_share(m):
    return float(m.is_local.mean())


#: Model-level columns of the weekly DataFrame, in order (documented in the README).
MODEL_REPORTERS = {
    "contacts": contacts,
    "value_demand": _counted("value_demand"),
    "failure_demand": _counted("failure_demand"),
    "failure_demand_share": failure_demand_share,
    "referrals": _counted("referrals"),
    "handoffs_per_person": handoffs_per_person,
    "handoffs_lost": _counted("handoffs_lost"),
    "rejections": _counted("rejections"),
    "unanswered": _counted("unanswered"),
    "waiting_list": waiting_list,
    "mean_wait_weeks": mean_wait_weeks,
    "unmet_need": unmet_need,
    "crisis_events": _counted("crisis_events"),
    "cost_staff": _counted("cost_staff"),
    "cost_support": _counted("cost_support"),
    "cost_overhead": _counted("cost_overhead"),
    "cost_crisis": _counted("cost_crisis"),
    "cost_investment": _counted("cost_investment"),
    "total_cost": _counted("total_cost"),
    "cost_per_citizen": cost_per_citizen,
    "mean_wellbeing": mean_wellbeing,
    "p10_wellbeing": p10_wellbeing,
    "wellbeing_gini": wellbeing_gini,
    "mean_resilience": mean_resilience,
    "isolated_share": isolated_share,
    "mean_tie_strength": mean_tie_strength,
    "staff_fte": staff_fte,
    "staff_stress": staff_stress,
    "staff_sickness": staff_sickness,
    "staff_turnover": staff_turnover,
    "reported_kpi": reported_kpi,
    "real_outcome": real_outcome,
    "staff_hours_per_client": staff_hours_per_client,
    "cost_per_staff_hour": cost_per_staff_hour,
    "open_cases": _counted("open_cases"),
    "outreach": _counted("outreach"),
    "local_team_share": local_team_share,
}

#: Names of the weekly output columns, in order.
OUTPUT_COLUMNS: tuple[str, ...] = tuple(MODEL_REPORTERS)
