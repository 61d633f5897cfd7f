"""Which feedback loop is running now, and which way: read from the running model's own metrics.

Each loop of :mod:`.explain` is lit by two measures the model reports every
week (``latest_metrics()``, kept by the controller's history). Over the last
quarter (13 weeks) against the quarter before, a loop *runs* in a world when
both measures move the way the loop says (failure demand up and time per
person down: the failure-demand loop turns); it *runs backwards* when both
move the other way (the circle unwinds); otherwise it is quiet. The strongest
running loop is the one driving the change on the charts right now.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .history import Frame
from .theme import WORLD_SHORT, WORLDS

QUARTER = 13
#: A change smaller than this share of the measure's size counts as no change.
THRESHOLD = 0.03

#: loop key -> ((measure, +1 if it rises when the loop runs, -1 if it falls), ...), and the words.
SIGNALS: dict[str, tuple[tuple[tuple[str, int], ...], str, str]] = {
    "failure_demand": ((("failure_demand", +1), ("staff_hours_per_client", -1)),
                       "failure demand rising, time per person falling",
                       "failure demand falling, time per person rising"),
    "thresholds": ((("crisis_events", +1), ("unmet_need", +1)),
                   "crises and unmet need rising", "crises and unmet need falling"),
    "turnover": ((("staff_stress", +1), ("staff_turnover", +1)),
                 "staff stress and leavers rising", "staff stress and leavers falling"),
    "relationships": ((("real_outcome", +1), ("mean_wellbeing", +1)),
                      "outcomes and wellbeing improving together", "outcomes and wellbeing falling together"),
    "community": ((("mean_tie_strength", +1), ("mean_resilience", +1)),
                  "ties and resilience growing", "ties and resilience fraying"),
    "goodhart": ((("kpi_gap", +1), ("reported_kpi", +1)),
                 "the reported KPI pulling away from the real outcome",
                 "the reported KPI coming back towards the real outcome"),
}


@dataclass(frozen=True)
class LoopState:
    loop: str
    world: str
    state: str  # "running", "backwards" or "quiet" (or "too early")
    strength: float  # the smaller relative change of its two measures
    words: str

    def sentence(self) -> str:
        if self.state == "running":
            return f"{WORLD_SHORT[self.world]}: running ({self.words})"
        if self.state == "backwards":
            return f"{WORLD_SHORT[self.world]}: running backwards ({self.words})"
        if self.state == "too early":
            return f"{WORLD_SHORT[self.world]}: too early to tell (play at least {2 * QUARTER} weeks)"
        return f"{WORLD_SHORT[self.world]}: quiet"


def _measure(frame: Frame, world: str, name: str) -> np.ndarray:
    if name == "kpi_gap":
        return frame.metric(world, "reported_kpi") - frame.metric(world, "real_outcome")
    return frame.metric(world, name)


def _change(frame: Frame, world: str, name: str) -> float | None:
    """Relative change of the last quarter's mean against the quarter before (None if too early)."""
    weeks = frame.weeks
    if len(weeks) == 0 or weeks[-1] < 2 * QUARTER:
        return None
    now = weeks[-1]
    a = _measure(frame, world, name)
    last = a[(weeks > now - QUARTER)]
    before = a[(weeks > now - 2 * QUARTER) & (weeks <= now - QUARTER)]
    if not len(last) or not len(before) or not np.isfinite(last).any() or not np.isfinite(before).any():
        return None
    m1, m0 = float(np.nanmean(last)), float(np.nanmean(before))
    size = max(abs(m0), abs(m1), 1e-9)
    return (m1 - m0) / size


def loop_state(frame: Frame, loop: str, world: str) -> LoopState:
    signals, up_words, down_words = SIGNALS[loop]
    changes = [_change(frame, world, name) for name, _sign in signals]
    if any(c is None for c in changes):
        return LoopState(loop, world, "too early", 0.0, "")
    signed = [c * sign for c, (_name, sign) in zip(changes, signals)]
    if all(s > THRESHOLD for s in signed):
        return LoopState(loop, world, "running", min(signed), up_words)
    if all(s < -THRESHOLD for s in signed):
        return LoopState(loop, world, "backwards", min(-s for s in signed), down_words)
    return LoopState(loop, world, "quiet", 0.0, "")


def loop_states(frame: Frame) -> dict[str, dict[str, LoopState]]:
    """Every loop's state in both worlds, now."""
    return {key: {w: loop_state(frame, key, w) for w in WORLDS} for key in SIGNALS}


def driver(states: dict[str, dict[str, LoopState]]) -> LoopState | None:
    """The loop (and world) that moves the most right now, if any runs."""
    live = [s for per in states.values() for s in per.values() if s.state in ("running", "backwards")]
    return max(live, key=lambda s: s.strength) if live else None
