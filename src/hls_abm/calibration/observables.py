"""A finished run's calibrated observables, from the model's public outputs.

``observables(model)`` returns every observable of one world by name; a target picks one and
a system (``npm``, ``local_teams``, or ``ratio``: local teams' value over NPM's on the same seed).
A name may end in ``@yearN`` (a target's ``year = N``): the observable over that year of the run only, so a
target can ask that a published figure holds in year 2 and still holds in year 10. ``vacancy_rate`` is
always the end-of-run snapshot, and ``staff_turnover_drift`` always compares the run's last year with its second.
Most come from the weekly table (``model.metrics()``). Three need more than it holds, and use
other public read access, as each docstring says:

- ``rereferral_12m`` reads the journeys (the model must be built with ``record_events=True``);
- ``crisis_rate_complex`` also reads ``model.population.is_complex``;
- ``vacancy_rate`` reads the team agents' ``staff`` and ``establishment`` at the end of the run.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["OBSERVABLES", "observables"]

YEAR = 52
CLOSING = ("closed", "closed_early")
RETURNING = ("contact", "failure_contact")


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else math.nan


class Run:
    """One finished run as the observables see it: its weekly table, the model, the follow-up window
    of re-referrals, and its journey events (read once, on first use)."""

    def __init__(self, model, window: int = YEAR, year: int | None = None, _events=None):
        self.model = model
        df = model.metrics()
        self.start, self.end = (0, len(df)) if year is None else ((year - 1) * YEAR, min(year * YEAR, len(df)))
        if year is not None and self.start >= len(df):
            raise ValueError(f"year {year} is past the end of the run ({len(df)} weeks)")
        self.df = df.iloc[self.start:self.end]
        self.weeks_run = len(df)
        self.window = window
        self._events = _events

    @property
    def events(self) -> dict:
        """Journey events (all weeks); ``in_years`` keeps those inside this run's year range."""
        if self._events is None:
            self._events = _journey_events(self.model)
        return self._events

    def in_years(self, kind: str) -> list:
        """Events of ``kind`` whose week lies in the measured years."""
        return [e for e in self.events[kind] if self.start <= e[2] < self.end]


def _journey_events(model) -> dict:
    """Closures, returns and crises as lists of (citizen, domain, week), from the public journeys."""
    if not model.params["record_events"]:
        raise ValueError("this observable reads the journeys: build the model with record_events=True")
    rows: dict = {"close": [], "back": [], "crisis": []}
    for i in range(model.population.n):
        j = model.journey(i)
        if j.empty:
            continue
        for kind, events in (("close", CLOSING), ("back", RETURNING), ("crisis", ("crisis",))):
            sel = j[j["event"].isin(events)]
            rows[kind].extend((i, d, w) for d, w in zip(sel["domain"], sel["week"]))
    return rows


def failure_demand_share(run: Run) -> float:
    """Failure demand over all contacts, pooled over the run (Seddon's failure-demand share)."""
    return _ratio(run.df["failure_demand"].sum(), run.df["contacts"].sum())


def rereferral_12m(run: Run) -> float:
    """Of the closures with a full follow-up window (52 weeks by default) inside the run, the share
    after which the same person contacts again about the same need within the window (DfE's
    re-referral within 12 months, per closure). NaN if no closure has a full window. Reads the journeys."""
    ev, window = run.events, run.window
    last = run.weeks_run
    back: dict = {}
    for i, d, w in ev["back"]:
        back.setdefault((i, d), []).append(w)
    n = hit = 0
    for i, d, w in run.in_years("close"):
        if w + window > last:
            continue
        n += 1
        hit += any(w < b <= w + window for b in back.get((i, d), ()))
    return hit / n if n else math.nan


def staff_turnover(run: Run) -> float:
    """Leavers a year as a share of staff in post (the weekly annualised rate, averaged)."""
    return float(run.df["staff_turnover"].mean())


def staff_turnover_drift(run: Run) -> float:
    """Turnover in the last year of the run minus turnover in its second year (annual rates): how far the
    workload-turnover loop has moved a world that published series show as steady. Whole run only."""
    df = run.model.metrics()["staff_turnover"]
    if len(df) < 2 * YEAR:
        return math.nan
    return float(df.iloc[-YEAR:].mean() - df.iloc[YEAR:2 * YEAR].mean())


def vacancy_rate(run: Run) -> float:
    """Unfilled funded posts at the end of the run: 1 - staff in post / establishment, over all teams
    (a snapshot from the team agents; the weekly table has no establishment column)."""
    agents = run.model.team_agents
    staff = sum(a.staff for a in agents)
    est = sum(a.establishment for a in agents)
    return _ratio(est - staff, est)


def crisis_rate(run: Run) -> float:
    """Crises per citizen per year."""
    return _ratio(run.df["crisis_events"].sum() * YEAR, len(run.df) * run.model.population.n)


def crisis_rate_complex(run: Run) -> float:
    """Crises per citizen with complex needs per year (Hard Edges' population facing multiple
    disadvantage). Reads the journeys and ``model.population.is_complex``."""
    cx = np.asarray(run.model.population.is_complex, bool)
    if not cx.any() or not len(run.df):
        return math.nan
    crises = sum(1 for i, _d, _w in run.in_years("crisis") if cx[i])
    return crises * YEAR / (cx.sum() * len(run.df))


def acute_share_of_spend(run: Run) -> float:
    """Crisis services' share of whole-system cost (A&E, police call-outs, emergency housing).
    Whole population: the weekly table has no cost by group."""
    return _ratio(run.df["cost_crisis"].sum(), run.df["total_cost"].sum())


def hours_per_client(run: Run) -> float:
    """Staff hours per client a year, over the last year of the run (KPMG's hours per client)."""
    return float(run.df["staff_hours_per_client"].iloc[-YEAR:].mean())


def cost_per_hour(run: Run) -> float:
    """Staff and overhead cost per client-facing staff hour, averaged over the weeks."""
    return float(run.df["cost_per_staff_hour"].mean())


def isolated_share(run: Run) -> float:
    """Share of citizens who are isolated (ties too weak to count on), averaged over the weeks:
    the model's reading of the adults who feel lonely often or always."""
    return float(run.df["isolated_share"].mean())


def staff_stress(run: Run) -> float:
    """Mean staff stress (0-1), averaged over the weeks. No published figure: reported, not a target."""
    return float(run.df["staff_stress"].mean())


def waiting_share(run: Run) -> float:
    """Of the needs a service has taken in (waiting for a team or open with one), the share still waiting,
    from the weekly counts summed over the weeks (ADASS's count: people awaiting a first assessment against
    those receiving support)."""
    waiting = float(run.df["waiting_list"].sum())
    return _ratio(waiting, waiting + float(run.df["open_cases"].sum()))


def total_cost(run: Run) -> float:
    """Whole-system cost over the run (service budget, support and crisis services), euros."""
    return float(run.df["total_cost"].sum())


#: Every observable by name: name -> function(Run) -> float.
OBSERVABLES = {f.__name__: f for f in (
    failure_demand_share, rereferral_12m, staff_turnover, staff_turnover_drift, vacancy_rate, crisis_rate, crisis_rate_complex,
    acute_share_of_spend, hours_per_client, cost_per_hour, isolated_share, staff_stress, waiting_share, total_cost,
)}


def observables(model, names=None, rereferral_window: int = YEAR) -> dict[str, float]:
    """A finished run's observables by name (all of them, or ``names``). ``rereferral_12m`` and
    ``crisis_rate_complex`` need a model built with ``record_events=True``."""
    names = list(OBSERVABLES) if names is None else list(names)
    runs: dict = {}
    out = {}
    for name in names:
        base, _, window = name.partition("@year")
        if base not in OBSERVABLES:
            raise ValueError(f"observable {base!r} is unknown; allowed: {', '.join(OBSERVABLES)}")
        year = int(window) if window else None
        if year not in runs:
            events = next(iter(runs.values()))._events if runs else None
            runs[year] = Run(model, rereferral_window, year, events)
        out[name] = float(OBSERVABLES[base](runs[year]))
    return out
