"""The twin-world run behind the page: no Solara in here, so it is easy to test.

A :class:`Controller` owns two models built from the same seed (the same
people, network and life events: the core model's common random numbers), one
served by NPM siloed services and one by local teams. It steps them in lockstep,
keeps a compact history of each week's metrics (:mod:`.history`), applies live
interventions to one world or both, and tells the page when there is something
new to draw.

For a facilitator the rules are simple:

* Play runs both worlds week by week at the chosen speed; Pause stops after the
  current week; Step runs exactly one week; Reset rebuilds both worlds from the
  settings (and pauses).
* The week counter is redrawn every week, the charts every ``render_every``
  weeks (and at least every couple of seconds), so drawing never holds the
  simulation back much and Pause never overshoots what the room saw.
* Anything that goes wrong (a bad setting, a failing intervention) becomes a
  one-line message in :attr:`Controller.error` that the page shows; the run
  never ends up with one world ahead of the other, and no raw Python error
  reaches the page (details go to the server log).
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterable

import numpy as np

from hls_abm.params import ParameterError

from .history import MAX_POINTS, Frame, History, Intervention, latest_metrics, thin_index
from .settings import SETTING_FIELDS, Settings, neighbourhoods
from .theme import WORLDS, target_short

log = logging.getLogger(__name__)

#: Name of the thread that plays the run.
PLAY_THREAD = "hls-abm-play"

#: Redraw the charts at least this often (seconds) while playing, even if fewer than
#: ``render_every`` weeks have passed, so a slow run still looks alive.
MAX_RENDER_GAP_S = 2.0

Factory = Callable[[Settings], tuple[Any, Any]]


def default_factory(settings: Settings) -> tuple[Any, Any]:
    """Build the twin worlds with the core model (same seed, same people)."""
    from hls_abm import twin_worlds

    from .presets import scenario_overrides

    overrides = scenario_overrides(settings.scenario)
    overrides.update(settings.overrides())
    return twin_worlds(n_citizens=int(settings.n_citizens), rng=settings.seed_value, record_events=True, **overrides)


def err_text(exc: BaseException) -> str:
    """A one-line message for the page: a bad value says what is allowed; anything else
    is logged with its traceback and the page gets a plain sentence."""
    if isinstance(exc, (ParameterError, ValueError)) and str(exc):
        return str(exc).splitlines()[0]
    log.error("dashboard: unexpected error", exc_info=exc)
    return "an unexpected problem in the program (the details are in the server log)"


def _local_count(model: Any) -> int:
    return int(np.count_nonzero(np.asarray(model.system_of_neighbourhood) == "local_teams"))


def _what_it_did(model: Any, lever: str, rec: dict, local_before: int) -> tuple[str, bool]:
    """(what the lever did in this world, whether it changed anything)."""
    if lever == "switch_to_local_teams":
        k = _local_count(model) - local_before
        if k == 0:
            return "nothing to switch (every neighbourhood already has a local team)", False
        total = len(model.system_of_neighbourhood)
        return f"switched {k} of {total} neighbourhoods to local teams", True
    return str(rec.get("label") or lever.replace("_", " ")), True


class Controller:
    """Runs the twin worlds in lockstep and keeps what the page needs to draw.

    ``on_change(charts)`` is called (outside any lock) whenever the page should
    redraw: every week for the week counter, with ``charts=True`` when the
    charts should be redrawn too. The Solara layer sets reactive values there.
    """

    def __init__(self, settings: Settings | None = None, factory: Factory | None = None,
                 on_change: Callable[..., None] | None = None, speed: float = 5.0, render_every: int = 4,
                 build: bool = True):
        self.settings = settings or Settings()
        self.factory = factory or default_factory
        self.on_change = on_change
        self.speed = float(speed)  # weeks per second; 0 means as fast as possible
        self.render_every = max(1, int(render_every))
        self.smooth = False
        self.error: str | None = None
        self.notice: str | None = None
        self.version = 0
        self.chart_version = 0
        self.busy = False
        self._lock = threading.RLock()
        self._ui_waiting = 0  # page actions waiting for the lock: the play loop lets them in
        self._waiting_lock = threading.Lock()
        self._token: object | None = None  # identifies the one live play thread
        self._thread: threading.Thread | None = None
        self.playing = False
        self.models: dict[str, Any] = {}
        self._hist = History()
        self._seen_levers: dict[str, int] = {}
        self.listeners: list[Callable[[str, Any], None]] = []  # (event, payload): built, week, lever, closed
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
        return self._hist.week

    @property
    def weeks(self) -> list[int]:
        return self._hist.weeks

    @weeks.setter
    def weeks(self, value: list[int]) -> None:
        self._hist.weeks = list(value)

    @property
    def history(self) -> dict[str, dict[str, list[float]]]:
        return self._hist.series

    @property
    def interventions(self) -> list[Intervention]:
        return self._hist.interventions

    @property
    def ready(self) -> bool:
        return len(self.models) == 2

    def describe_world(self) -> str:
        """"4,000 citizens<br>8 neighbourhoods" (per world) for the running worlds."""
        n = int(self.settings.n_citizens)
        m = self.models.get("npm")
        k = len(m.system_of_neighbourhood) if m is not None else neighbourhoods(n)
        return f"{n:,} citizens<br>{k} neighbourhood{'s' if k != 1 else ''}"

    def _emit(self, event: str, payload: Any = None) -> None:
        for fn in list(self.listeners):
            try:
                fn(event, payload)
            except Exception:  # a listener must never stop the run
                log.exception("dashboard listener failed on %s", event)

    def _notify(self, charts: bool = True) -> None:
        self.version += 1
        if charts:
            self.chart_version += 1
        cb = self.on_change
        if cb is not None:
            try:
                cb(charts)
            except Exception:  # drawing failed: say so in words, keep the run
                log.exception("dashboard redraw failed")
                self.error = "The page could not redraw this week (the details are in the server log); the run goes on."

    def set_error(self, message: str | None) -> None:
        self.error = message
        self._notify()

    def clear_error(self) -> None:
        self.set_error(None)

    def set_smooth(self, on: bool) -> None:
        self.smooth = bool(on)
        self._notify()

    # ------------------------------------------------------------------ build
    def check(self, settings: Settings) -> str | None:
        """A message for a setting the worlds cannot be built with, checked before anything stops."""
        try:
            settings.seed_value
        except ParameterError as exc:
            return str(exc)
        return None

    def reset(self, settings: Settings | None = None, notify: bool = True) -> bool:
        """Stop playing and rebuild both worlds from ``settings``.

        On a bad setting the old worlds are kept (and keep running) and the error is shown.
        """
        new = settings or self.settings
        problem = self.check(new)
        if problem:
            self.error = f"Could not build the worlds: {problem}"
            if notify:
                self._notify()
            return False
        self._token = None  # any play thread stops before its next week
        self.playing = False
        self.busy = True
        try:
            with self._ui():
                return self._build(new)
        finally:
            self.busy = False
            if notify:
                self._notify()

    def _build(self, new: Settings) -> bool:
        """The one place a tab's worlds are created (and the old ones let go); lock held."""
        try:
            npm, local = self.factory(new)
        except Exception as exc:
            self.error = f"Could not build the worlds: {err_text(exc)}"
            return False
        old = self.models
        self.settings = new
        self.models = {"npm": npm, "local_teams": local}
        self._hist = History()
        self._seen_levers = {w: len(m.levers_applied) for w, m in self.models.items()}
        self.error = None
        self.notice = None
        self._record()
        self._emit("built", {"settings": new, "old": old})
        return True

    def close(self) -> None:
        """Stop and free the worlds (the browser tab went away)."""
        self.pause(notify=False)
        self.wait_idle(5.0)
        with self._ui():
            old, self.models = self.models, {}
        self._emit("closed", {"old": old})

    def _record(self) -> None:
        """Append the worlds' latest metrics to the history (lock held)."""
        npm = self.models["npm"]
        self._hist.record(int(npm.week), {w: latest_metrics(m) for w, m in self.models.items()})

    def _collect_scheduled(self) -> None:
        """Mark changes the model made by itself (a scenario's transition schedule)."""
        for w, m in self.models.items():
            log_ = m.levers_applied
            for rec in log_[self._seen_levers.get(w, 0):]:
                if rec.get("source", "user") != "user":
                    self.interventions.append(Intervention(
                        week=int(rec.get("week", self.week)), lever=str(rec.get("lever", "")), target=w,
                        label=f"{rec.get('label', rec.get('lever', 'change'))} (scheduled)", worlds=(w,),
                        source="schedule"))
            self._seen_levers[w] = len(log_)

    # ------------------------------------------------------------------ running
    def _step_locked(self, n: int = 1) -> None:
        for _ in range(n):
            t0 = time.perf_counter()
            npm, local = self.models["npm"], self.models["local_teams"]
            npm.step()
            local.step()
            if npm.week != local.week:
                raise RuntimeError(f"the worlds fell out of step (NPM week {npm.week}, local teams week {local.week})")
            self._record()
            self._collect_scheduled()
            self.steps_done += 1
            self.last_step_s = time.perf_counter() - t0
        self._emit("week", self.week)

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
                self.error = f"The simulation stopped: {err_text(exc)}"
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
        last_chart_t = time.perf_counter()
        weeks_since_chart = 0
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
                    self.error = f"The simulation stopped: {err_text(exc)}"
                    self._token = None
                    self.playing = False
                    break
            weeks_since_chart += 1
            charts = weeks_since_chart >= self.render_every or time.perf_counter() - last_chart_t >= MAX_RENDER_GAP_S
            if charts:
                weeks_since_chart = 0
                last_chart_t = time.perf_counter()
            self._notify(charts)  # the page paces the loop: it waits until this week is shown
            if self.speed > 0:
                next_t += 1.0 / self.speed
                delay = next_t - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                else:
                    next_t = time.perf_counter()  # running behind: don't try to catch up
        if self._token is None:
            self.playing = False
        self._notify()

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait for the play thread to finish (tests and benchmarks)."""
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout)

    # ------------------------------------------------------------------ levers
    def apply_lever(self, name: str, target: str = "both", **kwargs: Any) -> Intervention | None:
        """Apply an intervention now to one world or both, and mark it where it changed something.

        ``target`` is "both", "npm" or "local_teams". The same intervention can
        be applied again; each application gets its own marker.
        """
        worlds: Iterable[str] = WORLDS if target == "both" else (target,)
        if any(w not in WORLDS for w in worlds):
            self.set_error(f"world={target!r} is not allowed: choose both, npm or local_teams")
            return None
        with self._ui():
            if not self.ready:
                return None
            try:
                iv = self._apply_locked(name, target, tuple(worlds), kwargs)
            except Exception as exc:
                self.error = f"Could not apply {name.replace('_', ' ')} to {target_short(target)}: {err_text(exc)}"
                iv = None
            if iv is not None:
                self.interventions.append(iv)
                self.error = None
                self.notice = iv.log_line()
        if iv is not None:
            self._emit("lever", iv)
        self._notify()
        return iv

    def _apply_locked(self, name: str, target: str, worlds: tuple[str, ...], kwargs: dict) -> Intervention:
        done, changed, label = {}, [], ""
        for w in worlds:
            m = self.models[w]
            before = _local_count(m)
            rec = m.apply_lever(name, **kwargs) or {}
            done[w], did = _what_it_did(m, name, rec, before)
            if did:
                changed.append(w)
            label = label or str(rec.get("label") or name.replace("_", " "))
        if name == "switch_to_local_teams":
            label = f"switch {float(kwargs.get('share', 0.25)):.0%} to local teams"
        self._seen_levers = {w: len(m.levers_applied) for w, m in self.models.items()}
        return Intervention(week=self.week, lever=name, target=target, label=label, kwargs=dict(kwargs),
                            done=done, worlds=tuple(changed))

    # ------------------------------------------------------------------ views
    def frame(self, max_points: int = MAX_POINTS, band: dict | None = None, band_towns: int = 0) -> Frame:
        """A thinned, consistent copy of the run for the charts (``band``: the range over other towns)."""
        with self._ui():
            return self._hist.frame(self.version, playing=self.playing, settings=self.settings, error=self.error,
                                    busy=self.busy, smooth=self.smooth, band=band, band_towns=band_towns,
                                    max_points=max_points)

    def since(self, iv: Intervention) -> dict[str, dict[str, float]]:
        with self._ui():
            return self._hist.since(iv)

    def history_frame(self):
        """The whole run as a tidy table: one row per world and week (for CSV)."""
        import pandas as pd

        with self._ui():
            parts = []
            for w in WORLDS:
                df = pd.DataFrame({k: list(v) for k, v in self._hist.arrays(w).items()})
                df.insert(0, "week", list(self.weeks))
                df.insert(0, "world", w)
                marks: dict[int, list[str]] = {}
                for iv in self.interventions:
                    if w in iv.changed:
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
                    "in_crisis": np.array(pop.in_crisis, dtype=bool, copy=True),
                    "neighbourhood": np.asarray(pop.neighbourhood),
                    "system": np.asarray(m.system_of_neighbourhood),
                }
        return out

    def with_models(self, fn: Callable[[dict[str, Any]], Any]) -> Any:
        """Run ``fn(models)`` while no week is being stepped (for journeys)."""
        with self._ui():
            return fn(self.models)


__all__ = ["Controller", "Frame", "Intervention", "Settings", "thin_index", "SETTING_FIELDS", "PLAY_THREAD"]
