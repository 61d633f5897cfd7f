"""The accounts: one ledger per world that every stage writes its counts and costs to, and metrics read.

A week's accounts (contacts, failure demand, referrals, costs ...) start from zero
each week. Three things run longer: the reported KPI and the real outcome (smoothed
over about a quarter, as a KPI dashboard would), the year so far (staff hours and
clients, for KPMG's hours per client), and one-off investment booked between weeks.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

KPI_SMOOTHING = 0.1  # weight of this week in the smoothed KPI: about a quarter's memory (assumption)
YEAR_WEEKS = 52
EARLY_IN_YEAR = 13  # weeks before a year's own hours-per-client figure is reported (last year's until then)


class Ledger:
    """This week's counts and costs, the smoothed KPI and the year's hours and clients."""

    def __init__(self, n_citizens: int, n_teams: int):
        self.counts: dict[str, float] = defaultdict(float)
        self.team_closures = np.zeros(n_teams)  # local-team closures this week, by team
        self.team_returns = np.zeros(n_teams)  # returns of needs a local team closed recently, by team
        self.closures = {"n": 0, "on_time": 0, "resolved": 0}
        self.kpi = {"reported": 0.0, "real": 0.0}
        self.pending_investment = 0.0
        self.crises_unknown_total = 0  # crises among people no team knew, since the start (warm-up included)
        self.year_start = 0
        self.hours_this_year = 0.0  # all client-facing staff hours (front door and casework)
        self.clients_this_year = np.zeros(n_citizens, bool)  # had a contact or a case this year
        self.last_year_hours_per_client = 0.0

    def __getitem__(self, name: str) -> float:
        return self.counts[name]

    def add(self, name: str, amount: float) -> None:
        self.counts[name] += amount

    def new_week(self) -> None:
        """Open this week's accounts."""
        self.counts = defaultdict(float)
        self.team_closures[:] = 0.0
        self.team_returns[:] = 0.0
        self.closures = {"n": 0, "on_time": 0, "resolved": 0}

    # --- the KPI and the real outcome ---------------------------------------------------------
    def record_closures(self, weeks_since_referral: np.ndarray, target_weeks: float) -> None:
        """Closed cases feed the reported KPI: the share closed within the target weeks of referral."""
        c = self.closures
        c["n"] += weeks_since_referral.size
        c["on_time"] += int((weeks_since_referral <= target_weeks).sum())

    def record_real_outcomes(self, checked: int, resolved: int) -> None:
        """Of the needs closed a while ago (``checked``), how many are still resolved."""
        self.closures["checked"] = checked
        self.closures["resolved"] = resolved

    def update_kpi(self) -> None:
        """Smooth this week's reported and real outcome into the KPI."""
        c, a = self.closures, KPI_SMOOTHING
        if c["n"]:
            self.kpi["reported"] += a * (c["on_time"] / c["n"] - self.kpi["reported"])
        if c.get("checked"):
            self.kpi["real"] += a * (c["resolved"] / c["checked"] - self.kpi["real"])

    # --- one-off investment --------------------------------------------------------------------
    def book_investment(self, euros: float) -> None:
        """One-off investment, counted in this week's accounts (or the next week's if booked between weeks)."""
        self.pending_investment += euros

    def take_investment(self) -> float:
        euros, self.pending_investment = self.pending_investment, 0.0
        return euros

    # --- the year so far -----------------------------------------------------------------------
    def note_clients(self, citizens: np.ndarray) -> None:
        self.clients_this_year[citizens] = True

    def hours_per_client(self, week: int) -> float:
        """Staff hours per client over the year so far, annualised (KPMG's 'hours per client per year')."""
        clients = self.clients_this_year.sum()
        weeks = week - self.year_start
        if weeks < EARLY_IN_YEAR and self.last_year_hours_per_client:
            return float(self.last_year_hours_per_client)  # too early in the year: report last year's
        if clients == 0 or weeks <= 0:
            return 0.0
        return float(self.hours_this_year / clients * YEAR_WEEKS / weeks)

    def new_year_if_due(self, week: int) -> None:
        """Start a new year of hours and clients every 52 weeks."""
        if week - self.year_start >= YEAR_WEEKS:
            self.last_year_hours_per_client = self.hours_per_client(week)
            self.start_year(week)

    def start_year(self, week: int) -> None:
        self.year_start = week
        self.hours_this_year = 0.0
        self.clients_this_year[:] = False
