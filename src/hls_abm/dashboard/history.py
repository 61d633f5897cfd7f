"""What the page remembers of a run: each week's metrics per world, interventions, frames.

:class:`History` holds one list per metric per world (the models' own
``latest_metrics()`` each week) and the interventions applied, and turns them
into a :class:`Frame`: a thinned, consistent snapshot the charts draw from. The
frame also carries the derived series the room asks for: cumulative cost, the
difference between the worlds, and 4-week rolling means for the noisy weekly
measures. No Solara, no models in here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .settings import Settings
from .theme import WORLDS, target_short

#: Most points per series sent to the browser; longer runs are thinned evenly.
MAX_POINTS = 400

#: Weeks in the rolling mean of the smoothing toggle.
SMOOTH_WEEKS = 4

#: Weekly measures that are noisy enough to smooth (levels such as wellbeing are not).
NOISY = (
    "value_demand", "failure_demand", "cost_staff", "cost_support", "cost_overhead", "cost_crisis",
    "cost_investment", "total_cost", "crisis_events", "staff_turnover", "mean_wait_weeks", "waiting_list",
)


@dataclass(frozen=True)
class Intervention:
    """One live intervention, as drawn on the charts of the worlds it changed.

    ``target`` is what the facilitator chose ("both", "npm", "local_teams");
    ``done`` says what the model did in each world it was applied to, and
    ``worlds`` lists the worlds it really changed (where its marker is drawn).
    """

    week: int
    lever: str
    target: str
    label: str
    kwargs: dict = field(default_factory=dict)
    done: dict = field(default_factory=dict)
    worlds: tuple[str, ...] = ()
    source: str = "user"  # "schedule" for a change the scenario makes by itself

    @property
    def marker_label(self) -> str:
        return f"{self.label} ({target_short(self.target)})"

    @property
    def changed(self) -> tuple[str, ...]:
        """The worlds this intervention changed (a scheduled change names its world)."""
        if self.worlds:
            return self.worlds
        return WORLDS if self.target == "both" else (self.target,)

    def log_line(self) -> str:
        """What the press really did, world by world, for the page's log."""
        from .theme import WORLD_SHORT

        if not self.done or set(self.done.values()) == {self.label}:
            return f"week {self.week}: {self.marker_label}"
        parts = "; ".join(f"{WORLD_SHORT[w]}: {text}" for w, text in self.done.items())
        return f"week {self.week}: {self.label} - {parts}"


@dataclass(frozen=True)
class Frame:
    """A consistent snapshot of the run for drawing (thinned to MAX_POINTS)."""

    version: int
    week: int
    weeks: np.ndarray
    series: dict[str, dict[str, np.ndarray]]
    latest: dict[str, dict[str, float]]
    interventions: tuple[Intervention, ...]
    playing: bool
    settings: Settings
    error: str | None
    busy: bool = False
    smooth: bool = False
    band: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # world -> {"lo", "hi"}
    band_towns: int = 0  # how many runs (towns) the band spans

    def metric(self, world: str, name: str) -> np.ndarray:
        """The series of ``name`` in ``world`` (NaN where the model has no such metric)."""
        s = self.series.get(world, {})
        if name in s:
            return s[name]
        return np.full(len(self.weeks), np.nan)

    def has(self, name: str) -> bool:
        return any(name in self.series.get(w, {}) for w in WORLDS)


def latest_metrics(model: Any) -> dict[str, float]:
    """The last week's numeric metrics of a model, as floats."""
    out: dict[str, float] = {}
    for k, v in model.latest_metrics().items():
        if isinstance(v, (bool, np.bool_, int, float, np.integer, np.floating)):
            out[k] = float(v)
    return out


def thin_index(n: int, max_points: int) -> np.ndarray:
    """Indices of at most ``max_points`` evenly spread rows, always with the last."""
    if n <= max_points:
        return np.arange(n)
    idx = np.linspace(0, n - 1, max_points).round().astype(int)
    return np.unique(idx)


def rolling_mean(a: np.ndarray, weeks: int = SMOOTH_WEEKS) -> np.ndarray:
    """Trailing mean over the last ``weeks`` values (fewer at the start), NaN-aware."""
    a = np.asarray(a, dtype=float)
    if weeks <= 1 or len(a) == 0:
        return a.copy()
    ok = np.isfinite(a)
    c = np.concatenate([[0.0], np.cumsum(np.where(ok, a, 0.0))])
    k = np.concatenate([[0], np.cumsum(ok)])
    i = np.arange(1, len(a) + 1)
    lo = np.maximum(i - weeks, 0)
    cnt = k[i] - k[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, (c[i] - c[lo]) / np.maximum(cnt, 1), np.nan)


def cumulative(a: np.ndarray) -> np.ndarray:
    """Running total (missing weeks count as zero)."""
    return np.cumsum(np.nan_to_num(np.asarray(a, dtype=float)))


class History:
    """Weekly metrics of both worlds plus the interventions, in week order."""

    def __init__(self) -> None:
        self.weeks: list[int] = []
        self.series: dict[str, dict[str, list[float]]] = {w: {} for w in WORLDS}
        self.interventions: list[Intervention] = []

    @property
    def week(self) -> int:
        return self.weeks[-1] if self.weeks else 0

    def record(self, week: int, metrics: dict[str, dict[str, float]]) -> None:
        """Append one week's metrics of each world (a repeated week is ignored)."""
        if self.weeks and week == self.weeks[-1]:
            return
        n_before = len(self.weeks)
        for w in WORLDS:
            h = self.series[w]
            for k, v in metrics[w].items():
                col = h.get(k)
                if col is None:
                    col = h[k] = [math.nan] * n_before
                col.append(v)
            for col in h.values():  # a metric that went missing this week
                if len(col) < n_before + 1:
                    col.append(math.nan)
        self.weeks.append(int(week))

    def arrays(self, world: str) -> dict[str, np.ndarray]:
        """Every measure of ``world`` over the whole run, with the derived ones."""
        out = {k: np.asarray(v, dtype=float) for k, v in self.series[world].items()}
        if "total_cost" in out:
            out["cumulative_cost"] = cumulative(out["total_cost"])
        if "crisis_events" in out:
            out["cumulative_crises"] = cumulative(out["crisis_events"])
        return out

    def frame(self, version: int, *, playing: bool, settings: Settings, error: str | None, busy: bool,
              smooth: bool, band: dict | None = None, band_towns: int = 0, max_points: int = MAX_POINTS) -> Frame:
        n = len(self.weeks)
        idx = thin_index(n, max_points)
        full = {w: self.arrays(w) for w in WORLDS}
        if "cumulative_cost" in full["npm"] and "cumulative_cost" in full["local_teams"]:
            full["npm"]["cost_gap"] = full["npm"]["cumulative_cost"] - full["local_teams"]["cumulative_cost"]
        shown = {w: {k: (rolling_mean(v) if smooth and k in NOISY else v) for k, v in full[w].items()} for w in WORLDS}
        latest = {w: {k: float(v[-1]) for k, v in full[w].items() if len(v)} for w in WORLDS}
        return Frame(
            version=version,
            week=self.week,
            weeks=np.asarray(self.weeks, dtype=float)[idx] if n else np.zeros(0),
            series={w: {k: v[idx] for k, v in shown[w].items()} for w in WORLDS},
            latest=latest,
            interventions=tuple(self.interventions),
            playing=playing,
            settings=settings,
            error=error,
            busy=busy,
            smooth=smooth,
            band={w: {k: np.asarray(v)[idx[idx < len(v)]] for k, v in b.items()} for w, b in (band or {}).items()},
            band_towns=band_towns,
        )

    def since(self, iv: Intervention) -> dict[str, dict[str, float]]:
        """Per world it changed: the change in cost, crises and wellbeing since ``iv`` was applied."""
        if iv.week not in self.weeks:
            return {}
        i = self.weeks.index(iv.week)
        out = {}
        for w in WORLDS:
            a = self.arrays(w)
            if "total_cost" not in a:
                continue
            out[w] = {
                "weeks": float(len(self.weeks) - 1 - i),
                "cost": float(np.nansum(a["total_cost"][i + 1:])),
                "crises": float(np.nansum(a["crisis_events"][i + 1:])) if "crisis_events" in a else math.nan,
                "wellbeing": float(a["mean_wellbeing"][-1] - a["mean_wellbeing"][i]) if "mean_wellbeing" in a else math.nan,
            }
        return out
