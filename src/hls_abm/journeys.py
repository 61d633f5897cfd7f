"""Citizens' journeys: every contact, referral, hand-off, rejection and crisis, week by week.

Recording is opt-in (``record_events=True``): the dashboard turns it on to tell
one person's story; sweeps of 100,000 citizens leave it off.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .params import DOMAINS

EVENTS = (
    "contact",
    "failure_contact",
    "assessment",
    "referral",
    "handoff_lost",
    "rejected",
    "waiting",
    "admitted",
    "closed",
    "closed_early",
    "dropped",
    "crisis",
    "outreach",
    "connected",
    "unanswered",
    "request",
    "request_failed",
)
CODE = {name: i for i, name in enumerate(EVENTS)}


class JourneyLog:
    """Event log held as chunks of arrays; no cost when disabled."""

    def __init__(self, enabled: bool, n_citizens: int):
        self.enabled = enabled
        self._chunks: list[np.ndarray] = []
        self._needs: list[np.ndarray] = []
        self.n = n_citizens

    def log(self, week: int, event: str, citizens, domains=-1, teams=-1) -> None:
        """Record ``event`` for each citizen (with its domain and team, -1 if none)."""
        if not self.enabled:
            return
        citizens = np.atleast_1d(np.asarray(citizens))
        if citizens.size == 0:
            return
        rows = np.empty((citizens.size, 5), np.int32)
        rows[:, 0] = week
        rows[:, 1] = citizens
        rows[:, 2] = CODE[event]
        rows[:, 3] = domains
        rows[:, 4] = teams
        self._chunks.append(rows)

    def snapshot_needs(self, needs: np.ndarray) -> None:
        if self.enabled:
            self._needs.append(needs.astype(np.float16))

    def journey(self, citizen: int, team_names: list[str]) -> pd.DataFrame:
        """All recorded events of one citizen, in order."""
        if not self.enabled:
            raise RuntimeError("journeys are recorded only when the model is built with record_events=True")
        if self._chunks:
            all_rows = np.concatenate(self._chunks)
            self._chunks = [all_rows]
            rows = all_rows[all_rows[:, 1] == citizen]
        else:
            rows = np.zeros((0, 5), np.int32)
        return pd.DataFrame(
            {
                "week": rows[:, 0],
                "event": [EVENTS[c] for c in rows[:, 2]],
                "domain": [DOMAINS[d] if d >= 0 else "" for d in rows[:, 3]],
                "team": [team_names[t] if t >= 0 else "" for t in rows[:, 4]],
            }
        )

    def needs_history(self, citizen: int) -> pd.DataFrame:
        """Weekly needs of one citizen (rows: week 1.., columns: domains)."""
        if not self.enabled:
            raise RuntimeError("needs are recorded only when the model is built with record_events=True")
        data = np.array([w[citizen] for w in self._needs], dtype=float).reshape(-1, len(DOMAINS))
        return pd.DataFrame(data, columns=list(DOMAINS), index=pd.RangeIndex(1, len(data) + 1, name="week"))
