"""New Public Management: one city-wide specialist silo per life domain.

Each silo assesses separately (people tell their story again), accepts only
needs above its eligibility threshold, works only on its own domain for a
fixed-length episode and then closes the case. Other needs it hears about are
referred onward: a hand-off with admin time, a waiting list, a new assessment,
and a chance that the person is lost on the way. Under target pressure silos
game: they reject at the door, take easier cases first and close early
(S000, S002, S004; Hood 2006; Seddon 2003). See docs/ODD.md.
"""

from __future__ import annotations

import numpy as np

from .._util import bincount, nonzero2, rowany
from ..params import DOMAINS
from ..population import entrenchment
from .cases import NONE, OPEN

N_SILOS = len(DOMAINS)  # silo team index == domain index


def effective_threshold(p: dict) -> float:
    """Eligibility as practised: target pressure adds rejection at the door (Hood's threshold effect)."""
    return min(1.0, p["eligibility_threshold"] + 0.15 * p["target_pressure"])


def episode_length(p: dict) -> float:
    """Episode length as practised: target pressure brings early closure."""
    return max(1.0, p["episode_weeks"] * (1.0 - 0.5 * p["target_pressure"]))


def assess(model, ci: np.ndarray, cd: np.ndarray) -> None:
    """A silo assesses a need: accept onto its waiting list, or reject (a failure that comes back)."""
    p, pop, cases, teams, week = model.p, model.population, model.cases, model.teams_table, model.week
    if ci.size == 0:
        return
    teams.frontdoor += bincount(cd, minlength=teams.n) * p["assessment_hours"]
    model.journeys.log(week, "assessment", ci, cd, cd)
    need = pop.needs[ci, cd]
    ok = need >= effective_threshold(p)
    # Cream-skimming: under target pressure, hard (severe, entrenched) cases wait behind easy ones.
    entrench = entrenchment(pop.unmet_weeks[ci, cd], p["entrenchment_weeks"])
    priority = week + 30.0 * p["target_pressure"] * (need + entrench)
    cases.put_on_waiting_list(ci[ok], cd[ok], cd[ok], week, priority[ok])
    model.journeys.log(week, "waiting", ci[ok], cd[ok], cd[ok])
    rej_i, rej_d = ci[~ok], cd[~ok]
    cases.failure[rej_i, rej_d] = True
    pop.trust[rej_i] = np.maximum(pop.trust[rej_i] - 0.03, 0.0)
    model.journeys.log(week, "rejected", rej_i, rej_d, rej_d)
    model.tally["rejections"] += rej_i.size


def intake(model, ci: np.ndarray, dom: np.ndarray, u_disclose: np.ndarray) -> None:
    """New contacts to the silo of the presenting need; other disclosed needs are referred onward."""
    p, pop, cases, teams, week = model.p, model.population, model.cases, model.teams_table, model.week
    if ci.size == 0:
        return
    teams.frontdoor += bincount(dom, minlength=teams.n) * p["contact_hours"]
    assess(model, ci, dom)
    # Needs heard about in a silo's assessment: it does not ask about the whole life,
    # so people mention other needs only as far as they trust services.
    others = (pop.needs[ci] >= pop.help_threshold[ci, None] * 0.8) & (cases.status[ci] == NONE)
    others[np.arange(ci.size), dom] = False
    others &= u_disclose[ci] < 0.5 * pop.trust[ci, None]
    rows, rd = nonzero2(others)
    if rows.size == 0:
        return
    ri, from_silo = ci[rows], dom[rows]
    teams.frontdoor += bincount(from_silo, minlength=teams.n) * p["referral_hours"]
    model.journeys.log(week, "referral", ri, rd, rd)
    model.tally["referrals"] += ri.size
    # A share of people are lost at each hand-off (fewer if they trust services).
    lost = model.service_rng.random(ri.size) < p["handoff_loss"] * (1.5 - pop.trust[ri])
    li, ld = ri[lost], rd[lost]
    cases.failure[li, ld] = True
    pop.trust[li] = np.maximum(pop.trust[li] - 0.02, 0.0)
    model.journeys.log(week, "handoff_lost", li, ld, ld)
    model.tally["handoffs_lost"] += li.size
    assess(model, ri[~lost], rd[~lost])


def close(model) -> None:
    """Close episodes that reached their length (or whose need settled); tally KPI and real outcome."""
    p, pop, cases, week = model.p, model.population, model.cases, model.week
    oi, od = nonzero2((cases.status == OPEN) & (cases.team >= 0) & (cases.team < N_SILOS))
    if oi.size == 0:
        return
    weeks_open = week - cases.since[oi, od]
    done = (weeks_open >= episode_length(p)) | (pop.needs[oi, od] < p["stable_level"])
    ci, cd = oi[done], od[done]
    since_referral = week - cases.joined[ci, cd]
    teams = cases.team[ci, cd]
    premature = cases.close(ci, cd, week, pop.needs, pop.help_threshold)
    pop.trust[ci] = np.clip(pop.trust[ci] + np.where(premature, -0.02, 0.02), 0.0, 1.0)
    model.journeys.log(week, "closed", ci[~premature], cd[~premature], teams[~premature])
    model.journeys.log(week, "closed_early", ci[premature], cd[premature], teams[premature])
    model.record_closures(since_referral)


def done_to(model) -> None:
    """Deficit-based, 'done to' services slowly erode the resilience of the people in them."""
    cases = model.cases
    in_npm = rowany((cases.status == OPEN) & (cases.team >= 0) & (cases.team < N_SILOS))
    model.population.resilience[in_npm] *= 1.0 - model.p["done_to_erosion"]


