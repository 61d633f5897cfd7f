"""The tabs of the main area: overview charts, Goodhart, community, journey, explain.

Only the open tab is drawn (the others are not rendered at all), and every chart
is rebuilt only when the run has moved on (one shared, thinned frame per
redraw), so the page stays quick however long the run is.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import solara

from .charts import CHARTS, OVERVIEW, chart_attributes, chart_option
from .controls import InterventionLog
from .explain import LOOPS, loop_svg
from .journey import events_table, journey_option, load_journey, need_max, pick_complex
from .live_loops import driver, loop_states
from .network import NetworkRenderer, compute_layout
from .state import DashboardState
from .theme import WORLD_COLOURS, WORLD_SHORT, WORLDS, font_sizes

log = logging.getLogger(__name__)


@solara.component
def Prose(html: str):
    """A paragraph of our own text (HTML). Solara's Markdown would load KaTeX, which is not available offline."""
    solara.HTML(tag="p", unsafe_innerHTML=html, classes=["hls-prose"])


@solara.component_vue(str(Path(__file__).parent / "vue" / "scroll_here.vue"))
def ScrollHere(token: int):
    pass


def _safe(fn, *args):
    """(result, None), or (None, message) if ``fn`` fails: a panel shows the message instead of crashing."""
    try:
        return fn(*args), None
    except Exception:
        log.exception("dashboard panel failed")
        return None, "an unexpected problem (the details are in the server log)"


@solara.component
def Chart(state: DashboardState, key: str):
    """One live chart (both worlds, intervention markers) with what it means; redrawn every
    ``render_every`` weeks (the week counter moves every week)."""
    version = state.chart_tick.value
    present = state.presentation.value
    spec = CHARTS[key]
    height = font_sizes(present)["height"]

    def build():
        frame = state.frame()
        option, problem = _safe(chart_option, key, frame, present)
        return option, problem, chart_attributes(key, frame, height)

    option, problem, attributes = solara.use_memo(build, [version, present, key])
    if problem:  # a chart that cannot be drawn says so and the rest carry on
        solara.Error(f"The {spec.title} chart could not be drawn.")
        return
    highlighted = state.highlight.value == key
    with solara.Card(margin=0, classes=["hls-chart"] + (["hls-highlight"] if highlighted else []),
                     style={"width": "100%"}):
        if highlighted:
            ScrollHere(token=state.highlight_turn)
        solara.FigureEcharts(option=option, attributes=attributes, responsive=True)
        solara.HTML(tag="div", unsafe_innerHTML=spec.question, classes=["hls-question"])


@solara.component
def KpiRow(state: DashboardState):
    """This week's headline numbers per world, and the total cost so far with the difference."""
    state.chart_tick.value
    frame = state.frame()

    def f(v, d=2):
        if v is None or v != v:
            return "–"
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.{d}f}"

    def money(v):
        return "–" if v is None or v != v else f"€{v / 1e6:,.2f}m"

    totals = {w: frame.latest.get(w, {}).get("cumulative_cost") for w in WORLDS}
    present = state.presentation.value
    with solara.Row(gap="8px", style={"flex-wrap": "wrap"}):
        for w in WORLDS:
            m = frame.latest.get(w, {})
            other = totals["local_teams" if w == "npm" else "npm"]
            diff = (totals[w] - other) if totals[w] is not None and other is not None else None
            rows = [
                ("total cost so far", money(totals[w])),
                ("vs the other world", ("+" if (diff or 0) >= 0 else "-") + money(abs(diff)) if diff is not None else "–"),
                ("cost per citizen / week", "€" + f(m.get("cost_per_citizen"))),
                ("mean wellbeing", f(m.get("mean_wellbeing"))),
                ("needs waiting", f(m.get("waiting_list"), 0)),
                ("crises this week", f(m.get("crisis_events"), 0)),
            ]
            if present:  # what the back of the room needs, big
                rows = [rows[0], rows[1], rows[3], rows[5]]
            cells = "".join(f"<tr><td>{k}</td><td class='v'>{v}</td></tr>" for k, v in rows)
            solara.HTML(
                tag="div",
                unsafe_innerHTML=f"<b style='color:{WORLD_COLOURS[w]}'>{WORLD_SHORT[w]}</b><table>{cells}</table>",
                classes=["hls-kpi"],
                style=f"border-color: {WORLD_COLOURS[w]};",
                attributes={"data-world": w, "data-total-cost": "" if totals[w] is None else f"{totals[w]:.0f}"},
            )


@solara.component
def OverviewPanel(state: DashboardState):
    KpiRow(state)
    if state.presentation.value:  # the sidebar's log is hidden: the last interventions and what followed
        InterventionLog(state, limit=3)
    with solara.GridFixed(columns=2, align_items="start", justify_items="stretch"):
        for key in OVERVIEW:
            Chart(state, key)


@solara.component
def GoodhartPanel(state: DashboardState):
    Prose(
        "<b>Goodhart's law:</b> when a measure becomes a target, it ceases to be a good measure. "
        "The dashed lines are what the performance report says (cases closed within the target time); the solid "
        "lines are what really happened (needs actually resolved). The shaded band is the gap between NPM's two "
        "lines. Raise target "
        "pressure and watch the reported KPI look better while the real outcome does not follow."
    )
    Chart(state, "goodhart")


class _NetworkCache:
    """Layout and renderer for one build of the worlds (computed once per Reset)."""

    def __init__(self, state: DashboardState):
        ctrl = state.ctrl

        def read(models):
            m = models["npm"]
            src, dst, strength = m.community.edges()
            return np.asarray(m.population.neighbourhood), np.asarray(src), np.asarray(dst)

        nb, src, dst = ctrl.with_models(read)
        self.layout = compute_layout(nb, src, dst, seed=ctrl.settings.seed_value % (2**32))
        self.renderer = NetworkRenderer(self.layout)


@solara.component
def CommunityPanel(state: DashboardState):
    """Citizens and their ties in both worlds, redrawn with the charts."""
    version = state.chart_tick.value
    ctrl = state.ctrl
    build = state.build_id
    cache, cache_problem = solara.use_memo(lambda: _safe(_NetworkCache, state), [build])
    frame = state.frame()
    bg_week = frame.week // 26

    def draw():
        if cache is None:
            raise RuntimeError(cache_problem)
        snap = ctrl.population_snapshot()
        edges = ctrl.with_models(lambda ms: ms["npm"].community.edges())
        return cache.renderer.render(snap, edges=edges, bg_key=(build, bg_week))

    picture, problem = solara.use_memo(lambda: _safe(draw), [build, version])
    if problem:
        solara.Error(f"The community view could not be drawn: {problem}")
        return
    Prose(
        "Each dot is a citizen, at the same place in both worlds; lines are ties between neighbours (darker = "
        "stronger). Patches are neighbourhoods, tinted by who serves them. Dots are coloured by wellbeing (the "
        "scale is under the picture); rings mark a crisis this week."
    )
    with solara.Div(classes=["hls-network"], attributes={"data-week": str(frame.week)}):
        solara.Image(picture, format="jpeg")


@solara.component
def JourneyPanel(state: DashboardState):
    """One citizen's needs and every contact, referral, hand-off, rejection and crisis, in both worlds."""
    version = state.chart_tick.value
    ctrl = state.ctrl
    frame = state.frame()
    present = state.presentation.value
    n = int(ctrl.settings.n_citizens)
    typed, set_typed = solara.use_state("")

    def show_complex():
        idx = ctrl.with_models(lambda ms: pick_complex(ms, state.journey_turn))
        state.journey_turn += 1
        if idx is None:
            state.journey_problem.set("There is nobody with complex needs in this population (complex share is 0).")
        else:
            state.journey_problem.set(None)
            state.citizen.set(idx)

    def show_typed(text: str):
        set_typed(text)
        state.look_up_citizen(text)

    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Button("Show me someone with complex needs", icon_name="mdi-account-search",
                      on_click=show_complex, color="primary", classes=["hls-pick-complex"])
        solara.InputText(f"...or citizen number (0-{n - 1})", value=typed, on_value=show_typed,
                         continuous_update=False, style={"max-width": "260px"}, classes=["hls-citizen-box"])
    if state.journey_problem.value:
        solara.Error(state.journey_problem.value, classes=["hls-journey-problem"])
    idx = state.citizen.value

    def read():
        if idx is None:
            return None, None
        return _safe(lambda: ctrl.with_models(lambda ms: load_journey(ms, idx)))

    j, problem = solara.use_memo(read, [idx, version, state.build_id])
    if idx is None:
        solara.Info("Pick a citizen to follow them through both worlds. Their life events are the same in both; "
                    "only the way services are organised differs.")
        return
    if problem:
        solara.Error(f"Could not read citizen {idx}'s journey: {problem}")
        return
    kind = "complex needs" if j.is_complex else "a simple need"
    solara.HTML(tag="h3", unsafe_innerHTML=f"Citizen {idx} ({kind}), week {frame.week}")
    top = need_max(j)
    with solara.Div(attributes={"id": "journey", "data-citizen": str(idx)}):
        with solara.GridFixed(columns=1 if present else 2, align_items="start", justify_items="stretch"):
            for w in WORLDS:
                opt = journey_option(j.worlds[w], present, y_max=top)
                with solara.Card(margin=0, style={"width": "100%"}):
                    solara.FigureEcharts(option=opt, attributes={"style": "height: 520px; width: 100%;",
                                                                 "data-journey": w}, responsive=True)
                    solara.HTML(tag="div", unsafe_innerHTML=f"<b style='color:{WORLD_COLOURS[w]}'>{WORLD_SHORT[w]}</b>: "
                                f"{j.worlds[w].sentence()}", classes=["hls-question"],
                                attributes={"data-journey-summary": w})
        with solara.Details("Every event, week by week"):
            solara.DataFrame(events_table(j), items_per_page=15)


@solara.component
def ExplainPanel(state: DashboardState):
    """The feedback loops behind the charts, each lit by the running model and linked to its chart."""
    state.chart_tick.value
    frame = state.frame()
    states = loop_states(frame)
    now = driver(states)
    Prose(
        "The model has no outcome written into it: the results on the charts come from these feedback loops. "
        "<b>R</b> loops reinforce themselves (vicious or virtuous circles), <b>B</b> loops balance. An arrow marked + "
        "means <i>more of this gives more of that</i>; - means <i>more gives less</i>. Under each loop: whether it "
        "runs now in each world, read from the last quarter of the run. Press a loop's button to see it on its chart."
    )
    by_key = {lp.key: lp for lp in LOOPS}
    if now is None:
        text = "No loop is clearly running right now" + (" (play at least 26 weeks)." if frame.week < 26 else ".")
    else:
        text = (f"Driving the charts now: <b>{by_key[now.loop].title}</b> in the {WORLD_SHORT[now.world]} world "
                f"({now.words}).")
    solara.HTML(tag="div", unsafe_innerHTML=text, classes=["hls-now"],
                attributes={"id": "loop-driver", "data-loop": now.loop if now else "", "data-world": now.world if now else ""})
    highlighted = state.highlight.value
    with solara.GridFixed(columns=2 if state.presentation.value else 3, align_items="start", justify_items="stretch"):
        for lp in LOOPS:
            live = states.get(lp.key, {})
            running = any(s.state in ("running", "backwards") for s in live.values())
            with solara.Card(lp.title, margin=0, style={"width": "100%", "min-width": "0"},
                             classes=["hls-loop"] + (["hls-loop-on"] if running else [])):
                solara.HTML(tag="div", unsafe_innerHTML=loop_svg(lp, highlight=highlighted == lp.chart or running),
                            attributes={"data-loop": lp.key})
                lines = "<br>".join(s.sentence() for s in live.values())
                solara.HTML(tag="div", unsafe_innerHTML=lines, classes=["hls-loop-live"],
                            attributes={"data-loop-live": lp.key,
                                        "data-state": ",".join(f"{w}:{s.state}" for w, s in live.items())})
                Prose(lp.story)
                solara.Button(f"See it: {CHARTS[lp.chart].title}", icon_name="mdi-chart-line",
                              on_click=lambda c=lp.chart: state.show_chart(c), outlined=True,
                              classes=["hls-see-it"], attributes={"data-see-it": lp.chart})
