"""Per-browser-session state: the controller plus what the page is showing.

Every open browser tab gets its own :class:`DashboardState` (its own twin
worlds), so two facilitators on one server do not disturb each other. Values
the page reacts to are Solara reactive variables; the simulation itself lives
in the :class:`~hls_abm.dashboard.controller.Controller`.
"""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs

import solara

from .controller import PLAY_THREAD, Controller, Frame, Settings, parse_seed
from .presets import preset_names, settings_for

#: Tabs of the main area, in order.
TABS = ("overview", "goodhart", "community", "journey", "explain")
TAB_LABELS = {
    "overview": "Overview",
    "goodhart": "Goodhart: KPI vs reality",
    "community": "Community",
    "journey": "One citizen's journey",
    "explain": "Explain: feedback loops",
}

DEFAULT_CITIZENS = 1000
DEFAULT_SPEED = 5.0
DEFAULT_RENDER_EVERY = 4


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def options_from_query(search: str | None) -> dict[str, Any]:
    """Start-up options from the page address, e.g. ``/?n=2000&speed=0&render_every=5``.

    Recognised: ``n`` (citizens per world), ``seed``, ``scenario``, ``speed``
    (weeks per second, 0 = as fast as possible), ``render_every`` (weeks per
    redraw), ``present`` (1 = presentation mode), ``tab``. Anything unreadable is
    ignored so a mistyped address still opens the page.
    """
    out: dict[str, Any] = {}
    if not search:
        return out
    q = {k: v[-1] for k, v in parse_qs(search.lstrip("?")).items() if v}
    try:
        if "n" in q:
            out["n_citizens"] = max(20, min(20000, int(float(q["n"]))))
    except ValueError:
        pass
    if "seed" in q:
        out["seed"] = q["seed"]
    if "scenario" in q and q["scenario"] in preset_names():
        out["scenario"] = q["scenario"]
    for key, cast in (("speed", float), ("render_every", int)):
        try:
            if key in q:
                out[key] = cast(float(q[key]))
        except ValueError:
            pass
    if q.get("present") in ("1", "true", "yes"):
        out["presentation"] = True
    if q.get("tab") in TABS:
        out["tab"] = q["tab"]
    return out


class DashboardState:
    """Everything one browser tab's dashboard shows and does."""

    def __init__(self, options: dict[str, Any] | None = None, factory=None, build: bool = True):
        opts = dict(options or {})
        base = Settings(
            n_citizens=int(opts.get("n_citizens", _env_int("HLS_DASHBOARD_CITIZENS", DEFAULT_CITIZENS))),
            seed=str(opts.get("seed", os.environ.get("HLS_DASHBOARD_SEED", "42"))),
        )
        settings = settings_for(opts.get("scenario", "npm"), base)
        self.tick = solara.Reactive(0)
        self.form: solara.Reactive[Settings] = solara.Reactive(settings)
        self.tab = solara.Reactive(TABS.index(opts.get("tab", "overview")))
        self.presentation = solara.Reactive(bool(opts.get("presentation", False)))
        self.target = solara.Reactive("both")
        self.highlight: solara.Reactive[str | None] = solara.Reactive(None)
        self.citizen: solara.Reactive[int | None] = solara.Reactive(None)
        self.journey_turn = 0
        self._frame_lock = threading.Lock()
        self._rendered = threading.Condition()
        self.rendered_version = -1
        self.attached = False  # a page is showing this state (so the play loop waits for its redraws)
        self._frame: Frame | None = None
        self.build_id = 0
        self.ctrl = Controller(
            settings,
            factory=factory,
            on_change=self._changed,
            speed=float(opts.get("speed", DEFAULT_SPEED)),
            render_every=int(opts.get("render_every", DEFAULT_RENDER_EVERY)),
            build=build,
        )

    # -- redraw plumbing --------------------------------------------------
    def _changed(self) -> None:
        """Ask the page to redraw; the play loop then waits until it has.

        Solara lets whichever thread is already drawing draw the new request
        too. Without this wait a fast run would keep the page's own thread
        drawing frame after frame, and clicks (Pause!) would queue behind it.
        Waiting also means the run never gets ahead of what the room sees.
        """
        v = self.ctrl.version
        self.tick.set(v)
        if self.attached and threading.current_thread().name == PLAY_THREAD:
            with self._rendered:
                self._rendered.wait_for(lambda: self.rendered_version >= v or not self.attached, timeout=2.0)

    def mark_rendered(self, version: int) -> None:
        """Called by the page (an effect of the header) after it drew ``version``."""
        with self._rendered:
            self.rendered_version = max(self.rendered_version, version)
            self._rendered.notify_all()

    def attach(self) -> None:
        self.attached = True

    def detach(self) -> None:
        with self._rendered:
            self.attached = False
            self._rendered.notify_all()

    def frame(self) -> Frame:
        """The current frame, built once per controller version and shared by all charts."""
        with self._frame_lock:
            if self._frame is None or self._frame.version != self.ctrl.version:
                self._frame = self.ctrl.frame()
            return self._frame

    # -- actions wired to buttons -------------------------------------------
    def reset(self) -> None:
        """Rebuild both worlds from the edited settings."""
        ok = self.ctrl.reset(self.form.value)
        if ok:
            self.build_id += 1
            self.citizen.set(None)
            self.journey_turn = 0

    def apply_preset(self, key: str) -> None:
        self.form.set(settings_for(key, self.form.value))

    def set_field(self, name: str, value: Any) -> None:
        self.form.set(replace(self.form.value, **{name: value}))

    def pending_changes(self) -> list[str]:
        """Settings edited in the panel that the running worlds do not use yet."""
        cur, new = self.ctrl.settings, self.form.value
        out = []
        for f in ("scenario", "n_citizens", "complex_share", "budget_factor", "eligibility_threshold",
                  "target_pressure", "community_strength"):
            if getattr(cur, f) != getattr(new, f):
                out.append(f)
        if parse_seed(cur.seed) != parse_seed(new.seed):
            out.append("seed")
        return out

    def apply_lever(self, name: str, **kwargs: Any) -> None:
        self.ctrl.apply_lever(name, self.target.value, **kwargs)

    def show_chart(self, chart: str) -> None:
        """Jump to the chart where a feedback loop shows, and highlight it."""
        self.highlight.set(chart)
        self.tab.set(TABS.index("goodhart") if chart == "goodhart" else TABS.index("overview"))
