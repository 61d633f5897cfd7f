"""The controls: interventions (sidebar and the compact presentation bar), settings, speed.

Interventions act now on one world or both; settings take effect at Reset. Every
value a person can type is checked by :mod:`.options` and a bad one becomes a
one-line message naming the field and what it accepts.
"""

from __future__ import annotations

from typing import Callable

import solara

from hls_abm.differences import ASSUMPTION_SETS as ASSUMPTION_DOCS

from .options import check_seed
from .presets import ARG_TITLES, LEVER_TITLES, lever_defaults, preset_doc, preset_names
from .settings import (
    ASSUMPTION_SETS,
    CITIZENS_RANGE,
    CITIZENS_STEP,
    DEFAULT_SEED,
    RENDER_EVERY_RANGE,
    SPEED_RANGE,
    slider_ranges,
)
from .state import DashboardState
from .theme import WORLD_SHORT, WORLDS

#: One-click interventions: (lever, arguments, button label). Labels are what a
#: room asks for; the model's own label appears in the log.
LEVER_BUTTONS: tuple[tuple[str, dict, str], ...] = (
    ("budget_cut", {"percent": 20.0}, "Cut budget 20%"),
    ("raise_threshold", {"delta": 0.1}, "Raise thresholds"),
    ("target_pressure", {"value": 0.8}, "Raise target pressure"),
    ("recession", {"severity": 1.0}, "Recession shock"),
    ("switch_to_local_teams", {"share": 0.25}, "Switch 25% to local teams"),
    ("community_investment", {"amount": 0.2}, "Invest in community"),
)

#: Short labels for the "apply to" buttons.
TARGET_BUTTONS = {"both": "Both", "npm": "NPM only", "local_teams": "Local only"}

SLIDERS: tuple[tuple[str, str], ...] = (
    ("complex_share", "Complex needs share"),
    ("budget_factor", "Budget (1 = today)"),
    ("eligibility_threshold", "Eligibility threshold (NPM)"),
    ("target_pressure", "Target pressure (NPM)"),
    ("community_strength", "Community strength"),
)


def _money(v: float) -> str:
    if v != v:
        return "–"
    sign = "-" if v < 0 else "+"
    v = abs(v)
    return f"{sign}€{v / 1e6:.2f}m" if v >= 1e5 else f"{sign}€{v / 1e3:.0f}k"


def since_text(since: dict) -> str:
    """"since: NPM +€1.20m, 40 crises, wellbeing -0.02; Local teams ..." for the log."""
    parts = []
    for w in WORLDS:
        d = since.get(w)
        if not d:
            continue
        wb = d["wellbeing"]
        parts.append(f"{WORLD_SHORT[w]} {_money(d['cost'])}, {d['crises']:.0f} crises, "
                     f"wellbeing {'+' if wb >= 0 else ''}{wb:.3f}")
    weeks = int(next(iter(since.values()))["weeks"]) if since else 0
    if not parts or weeks == 0:
        return ""
    return f"in the {weeks} week{'s' if weeks != 1 else ''} since: " + "; ".join(parts)


@solara.component
def TargetToggle(state: DashboardState):
    solara.ToggleButtonsSingle(value=state.target, dense=True,
                               children=[solara.Button(TARGET_BUTTONS[t], value=t, classes=["hls-target"])
                                         for t in TARGET_BUTTONS])


def lever_buttons(state: DashboardState, compact: bool = False) -> None:
    """The one-click intervention buttons, added to the container being drawn."""

    def click(name: str, kwargs: dict) -> Callable[[], None]:
        return lambda: state.apply_lever(name, **kwargs)

    for name, kwargs, label in LEVER_BUTTONS:
        solara.Button(label, on_click=click(name, kwargs), outlined=True, block=not compact,
                      classes=["hls-lever"], attributes={"data-lever": name})


@solara.component
def InterventionLog(state: DashboardState, limit: int | None = None):
    """Every intervention, numbered like its chart marker, with what it really did and what followed."""
    state.chart_tick.value
    ivs = list(state.ctrl.interventions)
    if not ivs:
        return
    items = []
    for i, iv in enumerate(ivs, start=1):
        since = since_text(state.ctrl.since(iv))
        items.append(f"<li value='{i}'><b>{iv.log_line()}</b>" + (f"<br><span class='hls-since'>{since}</span>" if since else "")
                     + "</li>")
    shown = items if limit is None else items[-limit:]
    solara.HTML(tag="ol", unsafe_innerHTML="".join(shown), classes=["hls-marks"],
                attributes={"id": "intervention-log", "data-count": str(len(ivs))})


@solara.component
def CustomLever(state: DashboardState):
    defaults = lever_defaults()
    names = {LEVER_TITLES.get(k, k.replace("_", " ")): k for k in defaults}
    custom, set_custom = solara.use_state("budget_cut")
    arg, dflt, lo, hi, doc = defaults[custom]
    amount, set_amount = solara.use_state(f"{dflt:g}")

    def choose(title: str):
        key = names[title]
        set_custom(key)
        set_amount(f"{defaults[key][1]:g}")

    with solara.Details("Custom amount"):
        solara.Select("Intervention", value=LEVER_TITLES.get(custom, custom), values=list(names), on_value=choose)
        solara.InputText(f"{ARG_TITLES.get(arg, arg)} ({lo:g} to {hi:g})", value=amount, on_value=set_amount,
                         continuous_update=True, classes=["hls-amount"])
        solara.Text(doc, classes=["hls-note"])
        solara.Button("Apply", on_click=lambda: state.apply_custom(custom, amount), color="primary",
                      classes=["hls-apply-custom"])


@solara.component
def InterventionsPanel(state: DashboardState):
    """Live interventions, applied now to one world or both, marked on the charts of the worlds they changed."""
    with solara.Card("Interventions (now)", margin=0):
        TargetToggle(state)
        with solara.Column(gap="4px"):
            lever_buttons(state)
        CustomLever(state)
        InterventionLog(state)


@solara.component
def LeverBar(state: DashboardState):
    """Presentation mode: the interventions in one compact row, so the facilitator never leaves it."""
    with solara.Row(classes=["hls-leverbar"], gap="6px"):
        TargetToggle(state)
        lever_buttons(state, compact=True)


@solara.component
def SettingsPanel(state: DashboardState):
    """Scenario, population, sliders and seed; applied by Reset."""
    form = state.form.value
    names = preset_names()
    labels = list(names.values())
    by_label = {v: k for k, v in names.items()}
    ranges = slider_ranges()
    pending = state.pending_changes()
    _seed, seed_problem = check_seed(form.seed)
    lo, hi = CITIZENS_RANGE

    with solara.Card("Settings", margin=0, classes=["hls-settings"]):
        solara.Select("Scenario preset", value=names.get(form.scenario, labels[0]), values=labels,
                      on_value=lambda lab: state.apply_preset(by_label.get(lab, "npm")))
        doc = preset_doc(form.scenario)
        if doc:
            solara.Text(doc, classes=["hls-note"])
        solara.SliderInt(f"Citizens per world: {int(form.n_citizens):,}", value=int(form.n_citizens), min=lo, max=hi,
                         step=CITIZENS_STEP, on_value=lambda v: state.set_field("n_citizens", int(v)), thumb_label=True)
        for name, label in SLIDERS:
            s_lo, s_hi = ranges[name]
            solara.SliderFloat(f"{label}: {getattr(form, name):.2f}", value=float(getattr(form, name)), min=s_lo,
                               max=s_hi, step=0.05 if s_hi <= 1 else 0.1, thumb_label=True,
                               on_value=lambda v, name=name: state.set_field(name, float(v)))
        solara.Select(f"Assumption set: {form.assumptions}", value=form.assumptions, values=list(ASSUMPTION_SETS),
                      on_value=lambda v: state.choose_assumptions(str(v)), classes=["hls-assumptions"])
        solara.Text(ASSUMPTION_DOCS.get(form.assumptions, ""), classes=["hls-note"])
        solara.InputText(f"Seed (whole number or word; empty = {DEFAULT_SEED})", value=str(form.seed),
                         on_value=lambda v: state.set_field("seed", str(v)), continuous_update=False,
                         error=seed_problem or False, classes=["hls-seed"])
        if pending:
            solara.Warning(f"Changed: {', '.join(pending)}. Press Reset to start the worlds with these settings.",
                           dense=True, classes=["hls-pending"])
        solara.Button("Reset with these settings", icon_name="mdi-restart", on_click=state.reset,
                      color="primary", block=True)


@solara.component
def SpeedPanel(state: DashboardState):
    """How fast the run goes and how often the charts are redrawn."""
    ctrl = state.ctrl
    speed, set_speed = solara.use_state(int(ctrl.speed))
    every, set_every = solara.use_state(ctrl.render_every)

    def on_speed(v):
        ctrl.speed = float(v)
        set_speed(int(v))

    def on_every(v):
        ctrl.render_every = max(1, int(v))
        set_every(int(v))

    label = f"{speed} weeks/s" if speed else "fastest"
    with solara.Card("Speed", margin=0):
        solara.SliderInt(f"Speed: {label}", value=int(speed), min=int(SPEED_RANGE[0]), max=int(SPEED_RANGE[1]),
                         on_value=on_speed, thumb_label=True)
        solara.SliderInt(f"Charts every {int(every)} wk", value=int(every), min=RENDER_EVERY_RANGE[0],
                         max=RENDER_EVERY_RANGE[1], on_value=on_every, thumb_label=True)


@solara.component
def SurePanel(state: DashboardState):
    """ "How sure are we?": more towns (seeds) in the background, their range shaded on the total-cost chart."""
    from .ensemble import EXTRA_SEEDS

    state.chart_tick.value
    ens = state.ensemble

    def toggle(on: bool):
        state.set_sure(on)

    with solara.Card("How sure are we?", margin=0):
        solara.Switch(label=f"Run {EXTRA_SEEDS} more towns in the background", value=ens is not None,
                      on_value=toggle, classes=["hls-sure"])
        if ens is not None:
            done = ens.progress()
            solara.Text(f"{done['towns']} other towns (seeds), at week {done['week']} of {state.ctrl.week}; "
                        "their range is shaded on the total-cost chart.",
                        classes=["hls-note", "hls-sure-status"])
