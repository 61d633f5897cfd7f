"""The dashboard's Solara components, rendered without a browser (solara.render + finding widgets)."""

from __future__ import annotations

import time

import ipyvuetify as v
import ipywidgets
import pytest
import solara
from solara.components.echarts import EchartsWidget
from solara.components.file_download import FileDownloadWidget

from hls_abm.dashboard.components import Dashboard
from hls_abm.dashboard.state import TABS, DashboardState

N = 200


def button(rc, label: str):
    """The one v.Btn whose text is ``label`` (icons ignored)."""
    found = [
        w for w in rc.find(v.Btn).widgets
        if any(isinstance(c, str) and c == label for c in w.children)
    ]
    assert len(found) == 1, f"{len(found)} buttons labelled {label!r}"
    return found[0]


def type_into(field, text: str) -> None:
    """Type into a text field and press Enter (fields update on Enter or leaving the field)."""
    field.v_model = text
    field.fire_event("keyup.enter", None)


def html_with(rc, **attrs):
    out = []
    for w in rc.find(solara.widgets.HTML).widgets:
        a = w.attributes or {}
        if all(a.get(k) == val for k, val in attrs.items()):
            out.append(w)
    return out


def week_shown(rc) -> int:
    (w,) = html_with(rc, id="week-counter")
    return int(w.attributes["data-week"])


def charts(rc) -> dict:
    return {w.attributes.get("data-chart"): w for w in rc.find(EchartsWidget).widgets if w.attributes.get("data-chart")}


@pytest.fixture
def dash():
    state = DashboardState({"n_citizens": N, "speed": 0, "render_every": 1})
    box, rc = solara.render(Dashboard(state), handle_error=False)
    yield state, rc
    state.ctrl.pause()
    state.ctrl.wait_idle()
    rc.close()


def test_opens_ready_to_play(dash):
    state, rc = dash
    assert week_shown(rc) == 0
    shown = charts(rc)
    assert set(shown) == {"demand", "cumcost", "cost", "wellbeing", "waiting", "staff", "community"}
    button(rc, "Play")
    kpis = html_with(rc)
    assert {w.attributes.get("data-world") for w in kpis} >= {"npm", "local_teams"}


def test_step_and_play_update_week_and_charts(dash):
    state, rc = dash
    button(rc, "Step").click()
    assert week_shown(rc) == 1
    assert charts(rc)["demand"].attributes["data-week"] == "1"
    button(rc, "Play").click()
    deadline = time.monotonic() + 120  # a ceiling for a busy machine: the loop waits for the week itself
    while week_shown(rc) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    button(rc, "Pause").click()
    state.ctrl.wait_idle()
    wk = week_shown(rc)
    assert wk >= 5
    rows = charts(rc)["demand"].option["dataset"]["source"]
    assert rows[-1][0] == wk
    assert all(x is not None for x in rows[-1][1:])  # both worlds have numbers


def test_cut_budget_marks_every_chart(dash):
    state, rc = dash
    button(rc, "Step").click()
    button(rc, "Cut budget 20%").click()
    for key, w in charts(rc).items():
        marks = [m for s in w.option["series"] if "markLine" in s for m in s["markLine"]["data"]]
        assert any("budget cut 20%" in m["name"] for m in marks), key
        assert w.attributes["data-markers"] == "1"
    (log,) = html_with(rc, id="intervention-log")
    assert "budget cut 20% (both)" in log.unsafe_innerHTML


def test_target_one_world(dash):
    state, rc = dash
    toggle = rc.find(v.BtnToggle).widget  # the "apply to" buttons: Both, NPM only, Local only
    toggle.v_model = 1
    assert state.target.value == "npm"
    button(rc, "Raise thresholds").click()
    assert state.ctrl.interventions[-1].target == "npm"
    assert state.ctrl.models["npm"].p["eligibility_threshold"] > state.ctrl.models["local_teams"].p["eligibility_threshold"]


def test_typed_seed_and_reset(dash):
    state, rc = dash
    fields = [w for w in rc.find(v.TextField).widgets if w.label.startswith("Seed")]
    assert len(fields) == 1
    type_into(fields[0], "workshop")
    assert state.form.value.seed == "workshop"
    button(rc, "Step").click()
    button(rc, "Reset with these settings").click()
    assert state.ctrl.error is None
    assert state.ctrl.settings.seed == "workshop"
    assert week_shown(rc) == 0


def test_bad_setting_shows_error_in_page(dash):
    state, rc = dash
    state.set_field("n_citizens", 5)  # the slider cannot do this, a URL or a bug could
    button(rc, "Reset with these settings").click()
    alerts = [w for w in rc.find(v.Alert).widgets if w.type == "error"]
    assert alerts and "n_citizens" in str(alerts[0].children)
    button(rc, "Dismiss").click()
    assert not [w for w in rc.find(v.Alert).widgets if w.type == "error"]


def test_journey_tab(dash):
    state, rc = dash
    state.ctrl.step(15)
    state.tab.set(TABS.index("journey"))
    rc.find(v.Btn, class_="hls-pick-complex").widget.click()
    journeys = [w for w in rc.find(EchartsWidget).widgets if w.attributes.get("data-journey")]
    assert {w.attributes["data-journey"] for w in journeys} == {"npm", "local_teams"}
    summaries = html_with(rc)
    assert any("contacts" in (w.unsafe_innerHTML or "") for w in summaries)
    # typing a citizen number that does not exist is an error message, not a crash
    field = [w for w in rc.find(v.TextField).widgets if "citizen number" in w.label][0]
    type_into(field, "99999")
    assert "citizen number" in state.journey_problem.value and f"0 to {N - 1}" in state.journey_problem.value


def test_community_tab_draws_image(dash):
    state, rc = dash
    state.ctrl.step(2)
    state.tab.set(TABS.index("community"))
    imgs = rc.find(ipywidgets.Image).widgets
    assert imgs and bytes(imgs[0].value)[:2] == b"\xff\xd8"  # a JPEG


def test_explain_links_to_chart(dash):
    state, rc = dash
    state.tab.set(TABS.index("explain"))
    assert len(html_with(rc)) >= 6
    button(rc, "See it: Staff stress and turnover").click()
    assert state.tab.value == TABS.index("overview")
    assert state.highlight.value == "staff"


def test_presentation_mode_hides_controls(dash):
    state, rc = dash
    assert [w for w in rc.find(v.Card).widgets if "hls-settings" in (w.class_ or "")]
    button(rc, "Presentation").click()
    assert not [w for w in rc.find(v.Card).widgets if "hls-settings" in (w.class_ or "")]
    button(rc, "Exit presentation")


def test_downloads_present(dash):
    state, rc = dash
    names = [w.filename for w in rc.find(FileDownloadWidget).widgets]
    assert len(names) == 1 and names[0].endswith(".csv")
    png = [w for w in rc.find(v.VuetifyTemplate).widgets if str(getattr(w, "filename", "")).endswith(".png")]
    assert len(png) == 1  # the PNG is made in the browser by ECharts (tests/browser checks the file)
