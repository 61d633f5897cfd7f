"""The page frame: header (week, play/pause, export), controls, interventions.

The layout for a facilitator: the header is always visible (week counter,
Play/Pause, Step, Reset, presentation mode, downloads); the left panel holds
the settings and the live interventions; the main area holds the tabs (see
:mod:`hls_abm.dashboard.panels`). Presentation mode hides the left panel and
enlarges the text for a projector.
"""

from __future__ import annotations

from typing import Callable

import solara
import solara.lab

from . import export
from .panels import CommunityPanel, ExplainPanel, GoodhartPanel, JourneyPanel, OverviewPanel
from .presets import lever_defaults, preset_doc, preset_names, slider_ranges
from .state import TAB_LABELS, TABS, DashboardState
from .theme import WORLD_COLOURS, WORLD_LABELS, WORLDS

#: One-click interventions: (lever, arguments, button label). Labels are what a
#: room asks for; the model's own label appears on the chart markers.
LEVER_BUTTONS: tuple[tuple[str, dict, str], ...] = (
    ("budget_cut", {"percent": 20.0}, "Cut budget 20%"),
    ("raise_threshold", {"delta": 0.1}, "Raise thresholds"),
    ("target_pressure", {"value": 0.8}, "Raise target pressure"),
    ("recession", {"severity": 1.0}, "Recession shock"),
    ("switch_to_local_teams", {"share": 0.25}, "Switch 25% to local teams"),
    ("community_investment", {"amount": 0.2}, "Invest in community"),
)

#: Short labels for the "apply to" buttons (the full names are in theme.TARGETS).
TARGET_BUTTONS = {"both": "Both", "npm": "NPM only", "local_teams": "Local only"}

SLIDERS: tuple[tuple[str, str], ...] = (
    ("complex_share", "Complex needs share"),
    ("budget_factor", "Budget (1 = today)"),
    ("eligibility_threshold", "Eligibility threshold (NPM)"),
    ("target_pressure", "Target pressure (NPM)"),
    ("community_strength", "Community strength"),
)

CSS = """
.hls-header { align-items: center; gap: 8px; flex-wrap: wrap; padding: 6px 12px;
  border-bottom: 1px solid #ddd; background: #fafafa; }
.hls-header .v-btn { letter-spacing: 0; padding: 0 10px !important; text-transform: none; font-size: 15px; }
.hls-week { font-size: 28px; font-weight: 700; min-width: 140px; }
.hls-status { font-size: 14px; color: #555; min-width: 70px; }
.hls-title { font-size: 20px; font-weight: 600; margin-right: 12px; }
.hls-chip { display: inline-block; padding: 2px 10px; border-radius: 12px; color: white; font-weight: 600;
  margin-right: 6px; font-size: 14px; }
.hls-sidebar { width: 340px; min-width: 340px; max-height: calc(100vh - 70px); overflow-y: auto; padding: 6px; }
.hls-main { flex: 1 1 auto; min-width: 0; padding: 6px; }
.hls-kpi { border-left: 8px solid; padding: 4px 10px; margin: 4px; flex: 1 1 0; background: #fff; }
.hls-kpi td { padding: 0 10px 0 0; font-size: 14px; }
.hls-kpi .v { font-weight: 700; }
.hls-present .hls-kpi td { font-size: 20px; }
.hls-present .hls-week { font-size: 40px; }
.hls-present .hls-title { font-size: 28px; }
.hls-present .hls-question { font-size: 18px; }
.hls-prose { font-size: 15px; margin: 6px 8px; max-width: 1100px; }
.hls-present .hls-prose { font-size: 20px; }
.hls-question { font-size: 13px; color: #444; margin: 0 8px 6px 8px; }
.hls-highlight { outline: 4px solid #F0E442; outline-offset: -2px; }
.hls-marks { font-size: 13px; }
.hls-present .hls-marks { font-size: 18px; }
.solara-image img, .hls-network img { max-width: 100%; height: auto; }
"""


def _fmt(v: float | None, digits: int = 2) -> str:
    if v is None or v != v:
        return "–"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


@solara.component
def WorldChips():
    with solara.Row(gap="4px", style={"align-items": "center"}):
        for w in WORLDS:
            solara.HTML(tag="span", unsafe_innerHTML=WORLD_LABELS[w], classes=["hls-chip"],
                        style=f"background: {WORLD_COLOURS[w]};")


@solara.component
def Header(state: DashboardState):
    """Week counter, run buttons and downloads; always visible."""
    state.tick.value  # redraw with the run
    ctrl = state.ctrl
    frame = state.frame()
    playing = ctrl.playing

    def toggle_presentation():
        state.presentation.set(not state.presentation.value)

    solara.use_effect(lambda: state.mark_rendered(frame.version), [frame.version])

    with solara.Row(classes=["hls-header"]):
        solara.HTML(tag="span", unsafe_innerHTML="Twin worlds", classes=["hls-title"])
        WorldChips()
        solara.HTML(tag="span", unsafe_innerHTML=f"Week {frame.week}", classes=["hls-week"],
                    attributes={"id": "week-counter", "data-week": str(frame.week)})
        solara.HTML(tag="span", unsafe_innerHTML="running" if playing else "paused", classes=["hls-status"],
                    attributes={"id": "run-status"})
        solara.Button("Pause" if playing else "Play", icon_name="mdi-pause" if playing else "mdi-play",
                      on_click=ctrl.toggle, color="primary", classes=["hls-play"])
        solara.Button("Step", icon_name="mdi-skip-next", on_click=lambda: ctrl.step(1), outlined=True)
        solara.Button("Reset", icon_name="mdi-restart", on_click=state.reset, outlined=True)
        solara.Button("Exit presentation" if state.presentation.value else "Presentation mode",
                      icon_name="mdi-projector-screen", on_click=toggle_presentation, text=True)
        solara.FileDownload(lambda: export.csv_bytes(ctrl), filename=export.csv_filename(ctrl),
                            label="Download CSV", mime_type="text/csv")
        solara.FileDownload(lambda: export.charts_png(state.frame()), filename=export.png_filename(ctrl),
                            label="Download charts (PNG)", mime_type="image/png")


@solara.component
def ErrorBanner(state: DashboardState):
    """Problems are shown here, on the page, not only in the server log."""
    state.tick.value
    err = state.ctrl.error
    if not err:
        return
    with solara.Row(style={"align-items": "center"}):
        solara.Error(err, icon=True, classes=["hls-error"])
        solara.Button("Dismiss", on_click=state.ctrl.clear_error, text=True)


@solara.component
def SettingsPanel(state: DashboardState):
    """Scenario, population, sliders and seed; applied by Reset."""
    form = state.form.value
    names = preset_names()
    labels = list(names.values())
    by_label = {v: k for k, v in names.items()}
    ranges = slider_ranges()
    pending = state.pending_changes()

    with solara.Card("Settings", margin=0, classes=["hls-settings"]):
        solara.Select(
            "Scenario preset",
            value=names.get(form.scenario, labels[0]),
            values=labels,
            on_value=lambda lab: state.apply_preset(by_label.get(lab, "npm")),
        )
        doc = preset_doc(form.scenario)
        if doc:
            solara.Text(doc, style={"font-size": "12px", "color": "#555"})
        solara.SliderInt(
            f"Citizens per world: {int(form.n_citizens)}", value=int(form.n_citizens), min=100, max=3000, step=100,
            on_value=lambda v: state.set_field("n_citizens", int(v)), thumb_label=True,
        )
        for name, label in SLIDERS:
            lo, hi = ranges.get(name, (0.0, 1.0))
            solara.SliderFloat(
                f"{label}: {getattr(form, name):.2f}", value=float(getattr(form, name)), min=lo, max=hi, step=0.05 if hi <= 1 else 0.1,
                on_value=lambda v, name=name: state.set_field(name, float(v)), thumb_label=True,
            )
        solara.InputText(
            "Seed (any number or word)", value=str(form.seed),
            on_value=lambda v: state.set_field("seed", str(v)), continuous_update=False,
        )
        if pending:
            solara.Warning(f"Changed: {', '.join(pending)}. Press Reset to start the worlds with these settings.",
                           dense=True)
        solara.Button("Reset with these settings", icon_name="mdi-restart", on_click=state.reset,
                      color="primary", block=True)


@solara.component
def SpeedPanel(state: DashboardState):
    """How fast the run goes and how often the charts are redrawn."""
    ctrl = state.ctrl
    speed, set_speed = solara.use_state(ctrl.speed)
    every, set_every = solara.use_state(ctrl.render_every)

    def on_speed(v):
        ctrl.speed = float(v)
        set_speed(float(v))

    def on_every(v):
        ctrl.render_every = max(1, int(v))
        set_every(int(v))

    with solara.Card("Speed", margin=0):
        solara.SliderInt(f"Weeks per second: {int(speed) or 'as fast as possible'}", value=int(speed), min=0, max=30,
                         on_value=on_speed, thumb_label=True)
        solara.SliderInt(f"Redraw charts every {int(every)} week(s)", value=int(every), min=1, max=26, on_value=on_every,
                         thumb_label=True)


@solara.component
def InterventionsPanel(state: DashboardState):
    """Live interventions, applied now to one world or both, marked on every chart."""
    state.tick.value
    defaults = lever_defaults()
    custom, set_custom = solara.use_state("budget_cut")
    arg, dflt, lo, hi, doc = defaults.get(custom, ("", 0.0, 0.0, 1.0, ""))
    amount, set_amount = solara.use_state(dflt)
    if not lo <= amount <= hi:
        amount = dflt

    def lever_click(name: str, kwargs: dict) -> Callable[[], None]:
        return lambda: state.apply_lever(name, **kwargs)

    with solara.Card("Interventions (now)", margin=0):
        solara.ToggleButtonsSingle(value=state.target, dense=True, style={"flex-wrap": "wrap"},
                                   children=[solara.Button(TARGET_BUTTONS[t], value=t, style={"font-size": "12px"})
                                             for t in TARGET_BUTTONS])
        with solara.Column(gap="4px"):
            for name, kwargs, label in LEVER_BUTTONS:
                if name in defaults:
                    solara.Button(label, on_click=lever_click(name, kwargs), outlined=True, block=True,
                                  classes=["hls-lever"], attributes={"data-lever": name})
        with solara.Details("Custom amount"):
            solara.Select("Intervention", value=custom, values=list(defaults),
                          on_value=lambda v: (set_custom(v), set_amount(defaults[v][1])))
            if arg:
                solara.SliderFloat(f"{arg}", value=float(amount), min=lo, max=hi, step=(hi - lo) / 100 or 0.01,
                                   on_value=set_amount, thumb_label=True)
            solara.Text(doc, style={"font-size": "12px", "color": "#555"})
            solara.Button("Apply", on_click=lambda: state.apply_lever(custom, **({arg: amount} if arg else {})),
                          color="primary")
        ivs = state.ctrl.interventions
        if ivs:
            items = "".join(f"<li>week {iv.week}: {iv.marker_label}</li>" for iv in ivs[-12:])
            solara.HTML(tag="ul", unsafe_innerHTML=items, classes=["hls-marks"], attributes={"id": "intervention-log"})


@solara.component
def MainTabs(state: DashboardState):
    with solara.lab.Tabs(value=state.tab, lazy=True):
        for key in TABS:
            with solara.lab.Tab(TAB_LABELS[key]):
                if key == "overview":
                    OverviewPanel(state)
                elif key == "goodhart":
                    GoodhartPanel(state)
                elif key == "community":
                    CommunityPanel(state)
                elif key == "journey":
                    JourneyPanel(state)
                else:
                    ExplainPanel(state)


@solara.component
def Dashboard(state: DashboardState):
    """The whole page for one session."""
    present = state.presentation.value

    def attach():
        state.attach()

        def stop():  # the page went away: stop its run
            state.detach()
            state.ctrl.pause(notify=False)

        return stop

    solara.use_effect(attach, [])
    solara.Style(CSS)
    with solara.Column(gap="0px", classes=["hls-present"] if present else [], style={"width": "100%"}):
        Header(state)
        ErrorBanner(state)
        with solara.Row(gap="8px", style={"align-items": "flex-start", "flex-wrap": "nowrap"}):
            if not present:
                with solara.Column(gap="8px", classes=["hls-sidebar"]):
                    InterventionsPanel(state)
                    SettingsPanel(state)
                    SpeedPanel(state)
            with solara.Column(classes=["hls-main"]):
                MainTabs(state)


@solara.component
def Page():
    """Entry point used by app.py: one DashboardState per browser tab."""
    router = solara.use_router()
    from . import limits
    from .state import options_from_query

    def make():
        return DashboardState(options_from_query(router.search), factory=limits.limited_factory)

    state = solara.use_memo(lambda: limits.open_session(make), [])  # freed when the tab's session ends
    solara.Title("hls_abm: twin worlds")
    if isinstance(state, limits.Refused):  # the shared server is full
        solara.Error(state.message, classes=["hls-server-full"])
        return
    Dashboard(state)
