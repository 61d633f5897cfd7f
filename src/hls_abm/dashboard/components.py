"""The page frame: header (week, play/pause, export), messages, sidebar, tabs.

The layout for a facilitator: the header is always visible (week counter,
running/paused, Play/Pause, Step, Reset, smoothing, presentation mode,
downloads) on one line at 1280 px; the left panel holds the live
interventions and the settings (:mod:`.controls`); the main area holds the
tabs (:mod:`.panels`). Presentation mode hides the left panel, enlarges the
text for a projector and keeps a compact bar of interventions under the header.
"""

from __future__ import annotations

from pathlib import Path

import solara
import solara.lab

from . import export
from .controls import InterventionsPanel, LeverBar, SettingsPanel, SpeedPanel, SurePanel
from .panels import CommunityPanel, ExplainPanel, GoodhartPanel, JourneyPanel, OverviewPanel
from .state import TAB_LABELS, TABS, DashboardState, open_session
from .theme import WORLD_COLOURS, WORLD_LABELS, WORLD_SHORT, WORLDS

_VUE = Path(__file__).parent / "vue"

CSS = """
.hls-header { align-items: center; gap: 6px; flex-wrap: nowrap; padding: 4px 8px; white-space: nowrap;
  border-bottom: 1px solid #ddd; background: #fafafa; overflow: hidden; }
.hls-header .v-btn { letter-spacing: 0; padding: 0 8px !important; text-transform: none; font-size: 14px;
  min-width: 0 !important; }
.hls-header .v-input { margin: 0; padding: 0; flex: 0 0 auto; }
.hls-header .v-input .v-label { font-size: 14px; }
.hls-week { font-size: 26px; font-weight: 700; min-width: 118px; }
.hls-status { font-size: 14px; color: #555; min-width: 58px; }
.hls-title { font-size: 18px; font-weight: 600; }
.hls-world { font-size: 13px; line-height: 15px; color: #444; }
.hls-chip { display: inline-block; padding: 1px 8px; border-radius: 12px; color: white; font-weight: 600;
  font-size: 13px; }
.hls-sidebar { width: 320px; min-width: 320px; max-height: calc(100vh - 60px); overflow-y: auto; padding: 6px; }
.hls-main { flex: 1 1 auto; min-width: 0; padding: 4px; }
.hls-main .v-tab { text-transform: none; letter-spacing: 0; font-size: 15px; min-width: 0; padding: 0 12px; }
.hls-kpi { border-left: 8px solid; padding: 4px 10px; margin: 4px; flex: 1 1 0; background: #fff; }
.hls-kpi td { padding: 0 10px 0 0; font-size: 14px; }
.hls-kpi .v { font-weight: 700; }
.hls-present .hls-kpi td { font-size: 20px; line-height: 24px; }
.hls-present .hls-week { font-size: 34px; }
.hls-present .hls-status { font-size: 26px; font-weight: 700; color: #000; padding: 0 8px; border-radius: 6px; }
.hls-present .hls-status.on { background: #009E73; color: #fff; }
.hls-present .hls-status.off { background: #F0E442; }
.hls-present .hls-question { font-size: 18px; }
.hls-prose { font-size: 15px; margin: 6px 8px; max-width: 1100px; }
.hls-present .hls-prose { font-size: 20px; }
.hls-question { font-size: 13px; color: #444; margin: 0 8px 6px 8px; }
.hls-highlight { outline: 4px solid #F0E442; outline-offset: -2px; }
.hls-marks { font-size: 13px; max-height: 320px; overflow-y: auto; padding-left: 22px; }
.hls-since { color: #444; font-weight: normal; }
.hls-note { font-size: 12px; color: #555; }
.hls-leverbar { flex-wrap: wrap; align-items: center; padding: 4px 8px; border-bottom: 1px solid #ddd; }
.hls-leverbar .v-btn { text-transform: none; letter-spacing: 0; font-size: 16px; }
.hls-lever { text-transform: none !important; letter-spacing: 0 !important; }
.hls-target { text-transform: none !important; letter-spacing: 0 !important; font-size: 13px !important; }
.hls-see-it { text-transform: none !important; letter-spacing: 0 !important; white-space: normal !important;
  height: auto !important; min-height: 36px; padding: 4px 10px !important; max-width: 100%; }
.hls-see-it .v-btn__content { white-space: normal; flex: 1 1 auto; text-align: left; }
.hls-loop-live { font-size: 14px; margin: 4px 8px; }
.hls-now { font-size: 16px; margin: 6px 8px; padding: 6px 10px; background: #f4f4f4; border-radius: 6px; }
.solara-image img, .hls-network img { max-width: 100%; height: auto; }
"""


@solara.component_vue(str(_VUE / "png_export.vue"))
def PngExport(label: str, filename: str):
    pass


@solara.component_vue(str(_VUE / "week_ack.vue"))
def WeekAck(week: int, event_shown):
    pass


@solara.component
def WorldChips():
    with solara.Row(gap="4px", style={"align-items": "center", "flex-wrap": "nowrap"}):
        for w in WORLDS:
            solara.HTML(tag="span", unsafe_innerHTML=WORLD_SHORT[w], classes=["hls-chip"],
                        style=f"background: {WORLD_COLOURS[w]};", attributes={"title": WORLD_LABELS[w]})


@solara.component
def Header(state: DashboardState):
    """Week counter, run buttons and downloads; always visible, one line."""
    state.tick.value  # redraw with the run
    ctrl = state.ctrl
    frame = state.frame()
    playing = ctrl.playing
    present = state.presentation.value

    solara.use_effect(lambda: state.mark_rendered(frame.version), [frame.version])

    with solara.Row(classes=["hls-header"]):
        solara.HTML(tag="span", unsafe_innerHTML="Twin worlds", classes=["hls-title"])
        WorldChips()
        solara.HTML(tag="span", unsafe_innerHTML=ctrl.describe_world(),
                    classes=["hls-world"], attributes={"id": "world-size"})
        solara.HTML(tag="span", unsafe_innerHTML=f"Week {frame.week}", classes=["hls-week"],
                    attributes={"id": "week-counter", "data-week": str(frame.week)})
        WeekAck(week=frame.week, event_shown=state.browser_shows)
        solara.HTML(tag="span", unsafe_innerHTML="running" if playing else "paused",
                    classes=["hls-status", "on" if playing else "off"], attributes={"id": "run-status"})
        solara.Button("Pause" if playing else "Play", icon_name="mdi-pause" if playing else "mdi-play",
                      on_click=ctrl.toggle, color="primary", classes=["hls-play"])
        solara.Button("Step", icon_name="mdi-skip-next", on_click=lambda: ctrl.step(1), outlined=True)
        solara.Button("Reset", icon_name="mdi-restart", on_click=state.reset, outlined=True)
        solara.Switch(label="Smooth", value=state.smooth.value, on_value=state.set_smooth, classes=["hls-smooth"])
        solara.Button("Exit presentation" if present else "Presentation", icon_name="mdi-projector-screen",
                      on_click=lambda: state.presentation.set(not present), text=True, classes=["hls-present-btn"])
        solara.FileDownload(lambda: export.csv_bytes(ctrl), filename=export.csv_filename(ctrl),
                            label="CSV", mime_type="text/csv")
        PngExport(label="PNG", filename=export.png_filename(ctrl))


@solara.component
def Messages(state: DashboardState):
    """Problems are shown here, on the page, in words (never a raw Python error)."""
    state.tick.value
    err = state.ctrl.error
    problems, set_problems = solara.use_state(list(state.problems))
    if problems:
        with solara.Row(style={"align-items": "center"}):
            solara.Warning("The page address had options it could not use: " + "; ".join(problems) + ".",
                           classes=["hls-address-problem"])
            solara.Button("Dismiss", on_click=lambda: set_problems([]), text=True)
    if err:
        with solara.Row(style={"align-items": "center"}):
            solara.Error(err, icon=True, classes=["hls-error"])
            solara.Button("Dismiss", on_click=state.ctrl.clear_error, text=True)


@solara.component
def MainTabs(state: DashboardState):
    panels = {"overview": OverviewPanel, "goodhart": GoodhartPanel, "community": CommunityPanel,
              "journey": JourneyPanel, "explain": ExplainPanel}
    with solara.lab.Tabs(value=state.tab, lazy=True):
        for key in TABS:
            with solara.lab.Tab(TAB_LABELS[key]):
                panels[key](state)


@solara.component
def Dashboard(state: DashboardState):
    """The whole page for one session."""
    present = state.presentation.value

    def attach():
        state.attach()

        def stop():  # the page went away: stop its runs and free its worlds
            state.close()

        return stop

    solara.use_effect(attach, [])
    solara.Style(CSS)
    with solara.Column(gap="0px", classes=["hls-present"] if present else [], style={"width": "100%"}):
        Header(state)
        if present:
            LeverBar(state)
        Messages(state)
        with solara.Row(gap="8px", style={"align-items": "flex-start", "flex-wrap": "nowrap"}):
            if not present:
                with solara.Column(gap="8px", classes=["hls-sidebar"]):
                    InterventionsPanel(state)
                    SettingsPanel(state)
                    SpeedPanel(state)
                    SurePanel(state)
            with solara.Column(classes=["hls-main"]):
                MainTabs(state)


@solara.component
def Page():
    """Entry point used by app.py: one DashboardState per browser tab."""
    router = solara.use_router()
    from . import limits

    # One tab's worlds, made where the shared server's limits are applied, and freed when the session ends.
    state = solara.use_memo(
        lambda: limits.open_session(lambda: open_session(router.search, factory=limits.limited_factory)), [])
    solara.Title("hls_abm: twin worlds")
    if isinstance(state, limits.Refused):  # the shared server is full
        solara.Error(state.message, classes=["hls-server-full"])
        return
    Dashboard(state)
