"""The twin-world run behind the page: no Solara in here, so it is easy to test.

A :class:`Controller` owns two models built from the same seed (the same
people, network and life events: the core model's common random numbers), one
served by NPM siloed services and one by local teams. It steps them in lockstep,
keeps a compact history of each week's metrics, applies live interventions to
one world or both, and tells the page when there is something new to draw.

For a facilitator the rules are simple:

* Play runs both worlds week by week at the chosen speed; Pause stops after the
  current week; Step runs exactly one week; Reset rebuilds both worlds from the
  settings (and pauses).
* The page is redrawn every ``render_every`` weeks (and at least every couple of
  seconds), so drawing never holds the simulation back much.
* Anything that goes wrong (a bad setting, a failing intervention) becomes a
  message in :attr:`Controller.error` that the page shows; the run never ends
  up with one world ahead of the other.
"""

from __future__ import annotations

import math
import threading
import time
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable

import numpy as np

from .theme import WORLD_SHORT, WORLDS, target_short

#: Settings a facilitator can change; they take effect at the next Reset.
SETTING_FIELDS = (
    "scenario",
    "n_citizens",
    "complex_share",
    "budget_factor",
    "eligibility_threshold",
    "target_pressure",
    "community_strength",
    "seed",
)

#: The model overrides the sliders map to (everything but scenario, size and seed).
OVERRIDE_FIELDS = (
    "complex_share",
    "budget_factor",
    "eligibility_threshold",
    "target_pressure",
    "community_strength",
)

#: Name of the thread that plays the run.
PLAY_THREAD = "hls-abm-play"

#: Most points per series sent to the browser; longer runs are thinned evenly.
MAX_POINTS = 400

#: Redraw at least this often (seconds) while playing, even if fewer than
#: ``render_every`` weeks have passed, so a slow run still looks alive.
MAX_RENDER_GAP_S = 2.0


def parse_seed(text: Any, default: int = 42) -> int:
    """Turn whatever a person typed into the seed box into a model seed.

    ``"42"``, ``" 42 "``, ``42``, ``"42.0"`` and ``"1e3"`` give the number; a
    negative number is made positive; empty gives ``default``; any other text
    (``"workshop-3"``) gives a stable number derived from the text, so the same
    words always give the same run.
    """
    if text is None:
        return default
    if isinstance(text, bool):
        return int(text)
    if isinstance(text, (int, np.integer)):
        return abs(int(text))
    if isinstance(text, float):
        if math.isfinite(text):
            return abs(int(text))
        return default
    s = str(text).strip()
    if not s:
        return default
    try:
        return abs(int(s))
    except ValueError:
        pass
    try:
        v = float(s)
        if math.isfinite(v):
            return abs(int(v))
    except ValueError:
        pass
    return zlib.crc32(s.encode("utf-8"))


@dataclass(frozen=True)
class Settings:
    """What the controls panel holds. Changing them needs a Reset."""

    scenario: str = "npm"
    n_citizens: int = 1000
    complex_share: float = 0.25
    budget_factor: float = 1.0
    eligibility_threshold: float = 0.5
    target_pressure: float = 0.5
    community_strength: float = 0.5
    seed: str = "42"

    def overrides(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in OVERRIDE_FIELDS}

    @property
    def seed_value(self) -> int:
        return parse_seed(self.seed)


@dataclass(frozen=True)
class Intervention:
    """One live intervention, as drawn on every chart at ``week``."""

    week: int
    lever: str
    target: str  # "both", "npm" or "local_teams"
    label: str
    kwargs: dict = field(default_factory=dict)

    @property
    def marker_label(self) -> str:
        return f"{self.label} ({target_short(self.target)})"


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

    def metric(self, world: str, name: str) -> np.ndarray:
        """The series of ``name`` in ``world`` (NaN where the model has no such metric)."""
        s = self.series.get(world, {})
        if name in s:
            return s[name]
        return np.full(len(self.weeks), np.nan)

    def has(self, name: str) -> bool:
        return any(name in self.series.get(w, {}) for w in WORLDS)


Factory = Callable[[Settings], tuple[Any, Any]]


def default_factory(settings: Settings) -> tuple[Any, Any]:
    """Build the twin worlds with the core model (same seed, same people)."""
    from hls_abm import twin_worlds

    from .presets import scenario_overrides

    overrides = scenario_overrides(settings.scenario)
    overrides.update(settings.overrides())
    return twin_worlds(
        n_citizens=int(settings.n_citizens),
        rng=settings.seed_value,
        record_events=True,
        **overrides,
    )


def latest_metrics(model: Any) -> dict[str, float]:
    """The last week's metrics of a model (falls back to the DataCollector)."""
    fn = getattr(model, "latest_metrics", None)
    if callable(fn):
        raw = fn()
    else:  # pragma: no cover - only for models without the cheap accessor
        df = model.datacollector.get_model_vars_dataframe()
        raw = df.iloc[-1].to_dict() if len(df) else {}
    out: dict[str, float] = {}
    for k, v in raw.items():
        if isinstance(v, (bool, np.bool_)):
            out[k] = float(v)
        elif isinstance(v, (int, float, np.integer, np.floating)):
            out[k] = float(v)
    return out


def _err_text(exc: BaseException) -> str:
    msg = str(exc) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {msg}" if not isinstance(exc, ValueError) else msg


class Controller:
    """Runs the twin worlds in lockstep and keeps what the page needs to draw.

    ``on_change`` is called (outside any lock) whenever the page should redraw;
    the Solara layer sets a reactive counter there.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        factory: Factory | None = None,
        on_change: Callable[[], None] | None = None,
        speed: float = 5.0,
        render_every: int = 4,
        build: bool = True,
    ):
        self.settings = settings or Settings()
        self.factory = factory or default_factory
        self.on_change = on_change
        self.speed = float(speed)  # weeks per second; 0 means as fast as possible
        self.render_every = max(1, int(render_every))
        self.error: str | None = None
        self.notice: str | None = None
        self.version = 0
        self.busy = False
        self._lock = threading.RLock()
        self._ui_waiting = 0  # page actions waiting for the lock: the play loop lets them in
        self._waiting_lock = threading.Lock()
        self._token: object | None = None  # identifies the one live play thread
        self._thread: threading.Thread | None = None
        self.playing = False
        self.models: dict[str, Any] = {}
        self.weeks: list[int] = []
        self.history: dict[str, dict[str, list[float]]] = {w: {} for w in WORLDS}
        self.interventions: list[Intervention] = []
        self._seen_levers: dict[str, int] = {}
        self.steps_done = 0  # weeks simulated since construction (for benchmarks)
        self.last_step_s = 0.0
        if build:
            self.reset(self.settings, notify=False)

    @contextmanager
    def _ui(self):
        """The run lock, for page actions. The play loop steps aside while one waits
        (Python locks are not fair: without this a fast run could starve the page)."""
        with self._waiting_lock:
            self._ui_waiting += 1
        try:
            self._lock.acquire()
        finally:
            with self._waiting_lock:
                self._ui_waiting -= 1
        try:
            yield
        finally:
            self._lock.release()

    # ------------------------------------------------------------------ state
    @property
    def week(self) -> int:
        return self.weeks[-1] if self.weeks else 0

    @property
    def ready(self) -> bool:
        return len(self.models) == 2

    def _notify(self) -> None:
        self.version += 1
        cb = self.on_change
        if cb is not None:
            try:
                cb()
            except Exception as exc:  # drawing failed: say so, keep the run
                self.error = f"Could not redraw the page: {_err_text(exc)}"

    def set_error(self, message: str | None) -> None:
        self.error = message
        self._notify()

    def clear_error(self) -> None:
        self.set_error(None)

    # ------------------------------------------------------------------ build
    def reset(self, settings: Settings | None = None, notify: bool = True) -> bool:
        """Stop playing and rebuild both worlds from ``settings``.

        On a bad setting the old worlds are kept and the error is shown.
        """
        self._token = None  # any play thread stops before its next week
        self.playing = False
        new = settings or self.settings
        self.busy = True
        try:
            with self._ui():
                try:
                    npm, local = self.factory(new)
                except Exception as exc:
                    self.error = f"Could not build the worlds: {_err_text(exc)}"
                    return False
                self.settings = new
                self.models = {"npm": npm, "local_teams": local}
                self.weeks = []
                self.history = {w: {} for w in WORLDS}
                self.interventions = []
                self._seen_levers = {w: len(getattr(m, "levers_applied", []) or []) for w, m in self.models.items()}
                self.error = None
                self.notice = None
                self._record()
            return True
        finally:
            self.busy = False
            if notify:
                self._notify()

    def _record(self) -> None:
        """Append the worlds' latest metrics to the history (lock held)."""
        npm, local = self.models["npm"], self.models["local_teams"]
        wk = int(getattr(npm, "week", len(self.weeks)))
        if self.weeks and wk == self.weeks[-1]:
            return
        n_before = len(self.weeks)
        for w, m in (("npm", npm), ("local_teams", local)):
            h = self.history[w]
            for k, v in latest_metrics(m).items():
                col = h.get(k)
                if col is None:
                    col = h[k] = [math.nan] * n_before
                col.append(v)
            for col in h.values():  # a metric that went missing this week
                if len(col) < n_before + 1:
                    col.append(math.nan)
        self.weeks.append(wk)

    def _collect_scheduled(self) -> None:
        """Mark changes the model made by itself (a scenario's transition schedule)."""
        for w, m in self.models.items():
            log = getattr(m, "levers_applied", None) or []
            seen = self._seen_levers.get(w, 0)
            for rec in log[seen:]:
                if rec.get("source", "user") != "user":
                    self.interventions.append(Intervention(
                        week=int(rec.get("week", self.week)), lever=str(rec.get("lever", "")), target=w,
                        label=f"{rec.get('label', rec.get('lever', 'change'))} (scheduled)"))
            self._seen_levers[w] = len(log)

    # ------------------------------------------------------------------ running
    def _step_locked(self, n: int = 1) -> None:
        for _ in range(n):
            t0 = time.perf_counter()
            npm, local = self.models["npm"], self.models["local_teams"]
            npm.step()
            local.step()
            if getattr(npm, "week", 0) != getattr(local, "week", 0):
                raise RuntimeError(
                    f"the worlds fell out of step (NPM week {npm.week}, local teams week {local.week})"
                )
            self._record()
            self._collect_scheduled()
            self.steps_done += 1
            self.last_step_s = time.perf_counter() - t0

    def step(self, n: int = 1) -> bool:
        """Run ``n`` weeks in both worlds (pauses first if playing)."""
        self.pause(notify=False)
        ok = True
        with self._ui():
            if not self.ready:
                return False
            try:
                self._step_locked(n)
            except Exception as exc:
                self.error = f"The simulation stopped: {_err_text(exc)}"
                ok = False
        self._notify()
        return ok

    def play(self) -> None:
        """Start (or keep) running; safe to call many times in a row."""
        if not self.ready:
            return
        if self.playing and self._thread is not None and self._thread.is_alive() and self._token is not None:
            return
        token = object()
        self._token = token
        self.playing = True
        self._thread = threading.Thread(target=self._loop, args=(token,), name=PLAY_THREAD, daemon=True)
        self._thread.start()
        self._notify()

    def pause(self, notify: bool = True) -> None:
        self._token = None
        was = self.playing
        self.playing = False
        if notify and was:
            self._notify()

    def toggle(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def _loop(self, token: object) -> None:
        last_render_t = time.perf_counter()
        weeks_since_render = 0
        next_t = time.perf_counter()
        while self._token is token:
            while self._ui_waiting:  # let a waiting page action (redraw, lever, reset) go first
                time.sleep(0.001)
            with self._lock:
                if self._token is not token:
                    break
                try:
                    self._step_locked(1)
                except Exception as exc:
                    self.error = f"The simulation stopped: {_err_text(exc)}"
                    self._token = None
                    self.playing = False
                    break
            weeks_since_render += 1
            now = time.perf_counter()
            if weeks_since_render >= self.render_every or now - last_render_t >= MAX_RENDER_GAP_S:
                self._notify()
                weeks_since_render = 0
                last_render_t = time.perf_counter()
            if self.speed > 0:
                next_t += 1.0 / self.speed
                delay = next_t - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                else:
                    next_t = time.perf_counter()  # running behind: don't try to catch up
        if self._token is None or self._token is token:
            self.playing = False if self._token is None else self.playing
        self._notify()

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait for the play thread to finish (tests and benchmarks)."""
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout)

    # ------------------------------------------------------------------ levers
    def apply_lever(self, name: str, target: str = "both", **kwargs: Any) -> Intervention | None:
        """Apply an intervention now to one world or both, and mark it.

        ``target`` is "both", "npm" or "local_teams". The same intervention can
        be applied again; each application gets its own marker.
        """
        worlds: Iterable[str] = WORLDS if target == "both" else (target,)
        if any(w not in WORLDS for w in worlds):
            self.set_error(f"Unknown world {target!r}: choose both, npm or local_teams")
            return None
        rec: dict = {}
        with self._ui():
            if not self.ready:
                return None
            try:
                for w in worlds:
                    rec = self.models[w].apply_lever(name, **kwargs) or {}
            except Exception as exc:
                self.error = f"Could not apply {name.replace('_', ' ')} to {target_short(target)}: {_err_text(exc)}"
                self._notify()
                return None
            week = int(rec.get("week", self.week))
            label = str(rec.get("label") or name.replace("_", " ").capitalize())
            iv = Intervention(week=week, lever=name, target=target, label=label, kwargs=dict(kwargs))
            self.interventions.append(iv)
            self._seen_levers = {w: len(getattr(m, "levers_applied", []) or []) for w, m in self.models.items()}
            self.error = None
        self.notice = f"Week {week}: {iv.marker_label}"
        self._notify()
        return iv

    # ------------------------------------------------------------------ views
    def frame(self, max_points: int = MAX_POINTS) -> Frame:
        """A thinned, consistent copy of the run for the charts."""
        with self._ui():
            n = len(self.weeks)
            idx = thin_index(n, max_points)
            weeks = np.asarray(self.weeks, dtype=float)[idx] if n else np.zeros(0)
            series = {
                w: {k: np.asarray(v, dtype=float)[idx] for k, v in self.history[w].items()} for w in WORLDS
            }
            latest = {w: {k: v[-1] for k, v in self.history[w].items() if v} for w in WORLDS}
            return Frame(
                version=self.version,
                week=self.week,
                weeks=weeks,
                series=series,
                latest=latest,
                interventions=tuple(self.interventions),
                playing=self.playing,
                settings=self.settings,
                error=self.error,
                busy=self.busy,
            )

    def history_frame(self):
        """The whole run as a tidy table: one row per world and week (for CSV)."""
        import pandas as pd

        with self._ui():
            parts = []
            for w in WORLDS:
                df = pd.DataFrame({k: list(v) for k, v in self.history[w].items()})
                df.insert(0, "week", list(self.weeks))
                df.insert(0, "world", w)
                marks = {}
                for iv in self.interventions:
                    if iv.target in ("both", w):
                        marks.setdefault(iv.week, []).append(iv.label)
                df["interventions"] = [" | ".join(marks.get(wk, [])) for wk in self.weeks]
                parts.append(df)
        return pd.concat(parts, ignore_index=True)

    def population_snapshot(self) -> dict[str, dict[str, np.ndarray]]:
        """Per world: wellbeing, crisis flags and neighbourhood of every citizen."""
        out = {}
        with self._ui():
            for w, m in self.models.items():
                pop = m.population
                out[w] = {
                    "wellbeing": np.array(pop.wellbeing, dtype=float, copy=True),
                    "in_crisis": np.array(getattr(pop, "in_crisis", np.zeros(len(pop.wellbeing), bool)), dtype=bool, copy=True),
                    "neighbourhood": np.asarray(pop.neighbourhood),
                    "system": np.asarray(getattr(m, "system_of_neighbourhood", [])),
                }
        return out

    def with_models(self, fn: Callable[[dict[str, Any]], Any]) -> Any:
        """Run ``fn(models)`` while no week is being stepped (for journeys)."""
        with self._ui():
            return fn(self.models)

    def describe_week(self) -> str:
        return f"Week {self.week}"


def thin_index(n: int, max_points: int) -> np.ndarray:
    """Indices of at most ``max_points`` evenly spread rows, always with the last."""
    if n <= max_points:
        return np.arange(n)
    idx = np.linspace(0, n - 1, max_points).round().astype(int)
    return np.unique(idx)


def world_label(w: str) -> str:
    return WORLD_SHORT.get(w, w)


__all__ = [
    "Controller",
    "Frame",
    "Intervention",
    "Settings",
    "parse_seed",
    "thin_index",
    "SETTING_FIELDS",
    "replace",
]
