"""Per-browser-session state: the controller plus what the page is showing.

Every open browser tab gets its own :class:`DashboardState` (its own twin
worlds), so two facilitators on one server do not disturb each other. Values
the page reacts to are Solara reactive variables; the simulation itself lives
in the :class:`~hls_abm.dashboard.controller.Controller`.

A tab's worlds are made in :func:`open_session` and freed in
:meth:`DashboardState.close`; the controller's ``_build`` is the one place
worlds are created and replaced (its ``listeners`` hear "built" and "closed").
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import replace
from typing import Any

import solara

from .controller import PLAY_THREAD, Controller
from .history import Frame
from .options import TABS, check_amount, check_citizen, check_seed, parse_options
from .presets import settings_for
from .settings import DEFAULT_CITIZENS, DEFAULT_RENDER_EVERY, DEFAULT_SPEED, OVERRIDE_FIELDS, Settings

TAB_LABELS = {
    "overview": "Overview",
    "goodhart": "Goodhart: KPI vs reality",
    "community": "Community",
    "journey": "One citizen's journey",
    "explain": "Explain: feedback loops",
}

#: The play loop shows every week; between two redraws it leaves the page at least
#: this long (seconds) so clicks get in and the page is never flooded with redraws.
MIN_REDRAW_GAP_S = 0.05
#: How long the play loop waits for the page to draw a week before going on anyway.
REDRAW_WAIT_S = 2.0


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


class DashboardState:
    """Everything one browser tab's dashboard shows and does."""

    def __init__(self, options: dict[str, Any] | None = None, factory=None, build: bool = True,
                 problems: list[str] | None = None):
        opts = dict(options or {})
        env_n, problem_n = _env_citizens()
        self.problems = list(problems or []) + ([problem_n] if problem_n else [])
        base = Settings(n_citizens=int(opts.get("n_citizens", env_n)),
                        seed=str(opts.get("seed", _env("HLS_DASHBOARD_SEED", "42"))))
        settings = settings_for(opts.get("scenario", "npm"), base)
        self.tick = solara.Reactive(0)  # every week (week counter, status)
        self.chart_tick = solara.Reactive(0)  # when the charts should redraw
        self.form: solara.Reactive[Settings] = solara.Reactive(settings)
        self.applied: solara.Reactive[Settings] = solara.Reactive(settings)  # what the running worlds use
        self.tab = solara.Reactive(TABS.index(opts.get("tab", "overview")))
        self.presentation = solara.Reactive(bool(opts.get("presentation", False)))
        self.smooth = solara.Reactive(bool(opts.get("smooth", True)))
        self.target = solara.Reactive("both")
        self.highlight: solara.Reactive[str | None] = solara.Reactive(None)
        self.highlight_turn = 0  # each "See it" press scrolls its chart into view again
        self.citizen: solara.Reactive[int | None] = solara.Reactive(None)
        self.journey_problem: solara.Reactive[str | None] = solara.Reactive(None)
        self.journey_turn = 0
        self._frame_lock = threading.Lock()
        self._rendered = threading.Condition()
        self.rendered_version = -1
        self.browser_week = -1  # the week the browser last reported it shows (-1: no browser yet)
        self._last_redraw = 0.0
        self.attached = False  # a page is showing this state (so the play loop waits for its redraws)
        self._frame: Frame | None = None
        self.build_id = 0
        self.ensemble = None  # "How sure are we?" runs, started from the page
        self.ctrl = Controller(settings, factory=factory, on_change=self._changed,
                               speed=float(opts.get("speed", DEFAULT_SPEED)),
                               render_every=int(opts.get("render_every", DEFAULT_RENDER_EVERY)), build=build)
        self.ctrl.smooth = self.smooth.value

    # -- redraw plumbing --------------------------------------------------
    def _changed(self, charts: bool = True) -> None:
        """Ask the page to redraw; the play loop then waits until it has.

        Solara lets whichever thread is already drawing draw the new request
        too. Without this wait a fast run would keep the page's own thread
        drawing frame after frame, and clicks (Pause!) would queue behind it.
        Waiting also means the run never gets ahead of what the room sees, so
        Pause stops within a week. A short gap after each redraw keeps the
        page from being asked to redraw during its own redraw.
        """
        v, wk = self.ctrl.version, self.ctrl.week
        if charts:
            self.chart_tick.set(self.ctrl.chart_version)
        self.tick.set(v)
        if self.attached and threading.current_thread().name == PLAY_THREAD:
            with self._rendered:
                self._rendered.wait_for(lambda: self.rendered_version >= v or not self.attached, timeout=REDRAW_WAIT_S)
                if self.browser_week >= 0:  # a browser tells us what it shows: wait until it shows this week
                    self._rendered.wait_for(lambda: self.browser_week >= wk or not self.attached, timeout=REDRAW_WAIT_S)
            gap = MIN_REDRAW_GAP_S - (time.perf_counter() - self._last_redraw)
            if gap > 0:
                time.sleep(gap)
            self._last_redraw = time.perf_counter()

    def mark_rendered(self, version: int) -> None:
        """Called by the page (an effect of the header) after it drew ``version``."""
        with self._rendered:
            self.rendered_version = max(self.rendered_version, version)
            self._rendered.notify_all()

    def browser_shows(self, week: int) -> None:
        """Called from the browser (vue/week_ack.vue) when it has drawn ``week``."""
        with self._rendered:
            self.browser_week = int(week)
            self._rendered.notify_all()

    def attach(self) -> None:
        self.attached = True

    def detach(self) -> None:
        with self._rendered:
            self.attached = False
            self._rendered.notify_all()

    def close(self) -> None:
        """The tab went away: stop its runs and free its worlds."""
        self.detach()
        if self.ensemble is not None:
            self.ensemble.stop()
            self.ensemble = None
        self.ctrl.close()

    def frame(self) -> Frame:
        """The current frame, built once per controller version and shared by all charts."""
        with self._frame_lock:
            if self._frame is None or self._frame.version != self.ctrl.version:
                band, towns = self.ensemble.band() if self.ensemble is not None else (None, 0)
                self._frame = self.ctrl.frame(band=band, band_towns=towns)
            return self._frame

    # -- actions wired to buttons -------------------------------------------
    def reset(self) -> None:
        """Rebuild both worlds from the edited settings (a bad seed keeps the running worlds)."""
        form = self.form.value
        seed, problem = check_seed(form.seed)
        if problem:
            self.ctrl.set_error(f"Could not build the worlds: {problem}")
            return
        form = replace(form, seed=seed)
        ok = self.ctrl.reset(form)
        if ok:
            self.build_id += 1
            self.form.set(form)
            self.applied.set(form)
            with self._rendered:
                self.browser_week = min(self.browser_week, 0)
            self.citizen.set(None)
            self.journey_problem.set(None)
            self.journey_turn = 0
            if self.ensemble is not None:
                self.set_sure(False)
                self.set_sure(True)

    def apply_preset(self, key: str) -> None:
        self.form.set(settings_for(key, self.form.value))

    def set_field(self, name: str, value: Any) -> None:
        self.form.set(replace(self.form.value, **{name: value}))

    def choose_assumptions(self, name: str) -> None:
        """Pick an assumption set: the sliders it sets (e.g. target pressure, threshold) move to its values."""
        from hls_abm.params import validate_params

        form = self.form.value
        values = validate_params(form.scenario, assumptions=name)
        self.form.set(replace(form, assumptions=name,
                              **{k: values[k] for k in OVERRIDE_FIELDS if k != "assumptions"}))

    def pending_changes(self) -> list[str]:
        """Settings edited in the panel that the running worlds do not use yet."""
        cur, new = self.applied.value, self.form.value
        out = [f for f in ("scenario", "n_citizens", *OVERRIDE_FIELDS) if getattr(cur, f) != getattr(new, f)]
        seed, problem = check_seed(new.seed)
        if problem or seed != cur.seed:
            out.append("seed")
        return out

    def apply_lever(self, name: str, **kwargs: Any) -> None:
        self.ctrl.apply_lever(name, self.target.value, **kwargs)

    def apply_custom(self, name: str, amount: Any) -> None:
        """The "custom amount" form: a bad amount is a message, nothing is applied."""
        value, problem = check_amount(name, amount)
        if problem:
            self.ctrl.set_error(f"Could not apply the intervention: {problem}")
            return
        from .presets import lever_defaults

        arg = lever_defaults()[name][0]
        self.apply_lever(name, **{arg: value})

    def look_up_citizen(self, text: Any) -> None:
        idx, problem = check_citizen(text, int(self.ctrl.settings.n_citizens))
        self.journey_problem.set(problem)
        if idx is not None:
            self.citizen.set(idx)

    def set_sure(self, on: bool) -> None:
        """Start or stop (and free) the other towns of "How sure are we?"."""
        from .ensemble import Ensemble

        if on and self.ensemble is None:
            self.ensemble = Ensemble(self.ctrl)
        elif not on and self.ensemble is not None:
            self.ensemble.stop()
            self.ensemble = None
        self.ctrl.set_smooth(self.ctrl.smooth)  # redraw

    def set_smooth(self, on: bool) -> None:
        self.smooth.set(bool(on))
        self.ctrl.set_smooth(on)

    def show_chart(self, chart: str) -> None:
        """Jump to the chart where a feedback loop shows, highlight it and bring it into view."""
        self.highlight_turn += 1
        self.highlight.set(None)
        self.highlight.set(chart)
        self.tab.set(TABS.index("goodhart") if chart == "goodhart" else TABS.index("overview"))


def _env_citizens() -> tuple[int, str | None]:
    """Citizens per world from HLS_DASHBOARD_CITIZENS (checked like ``?n=``)."""
    raw = os.environ.get("HLS_DASHBOARD_CITIZENS")
    if raw is None:
        return DEFAULT_CITIZENS, None
    opts, problems = parse_options(f"n={raw}")
    if problems:
        return DEFAULT_CITIZENS, "HLS_DASHBOARD_CITIZENS: " + problems[0]
    return opts["n_citizens"], None


def open_session(search: str | None, factory=None) -> DashboardState:
    """One browser tab's dashboard, from its address (the one place a tab's worlds are made)."""
    options, problems = parse_options(search)
    return DashboardState(options, factory=factory, problems=problems)
