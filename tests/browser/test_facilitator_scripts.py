"""The facilitator guide's three scripts, walked on the page as written (docs/facilitator-guide.md).

Each test presses what the script says to press and checks what the script says
the room will see. Slow (a year or two of weeks each), so behind ``slow``.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest

from dashboard_harness import open_dashboard, wait_until, week

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def run_to(page, target: int) -> None:
    page.locator(".hls-play").click()
    wait_until(lambda: week(page) >= target, timeout=240)
    page.locator(".hls-play").click()
    page.wait_for_selector("#run-status:has-text('paused')")


def csv(page) -> pd.DataFrame:
    with page.expect_download() as dl:
        page.get_by_role("button", name="CSV").click()
    return pd.read_csv(io.BytesIO(open(dl.value.path(), "rb").read()))


def mean(df, world, col, lo, hi):
    d = df[(df.world == world) & (df.week > lo) & (df.week <= hi)]
    return float(d[col].mean())


def set_budget(page, value: float) -> None:
    """Move the *Budget (1 = today)* slider to ``value`` with the keyboard (steps of 0.1), as a person would."""
    thumb = page.locator("[role=slider][aria-label^='Budget (1 = today)']")
    thumb.focus()
    steps = round((value - float(thumb.get_attribute("aria-valuenow"))) / 0.1)
    for _ in range(abs(steps)):
        page.keyboard.press("ArrowRight" if steps > 0 else "ArrowLeft")
    wait_until(lambda: f"Budget (1 = today): {value:.2f}" in page.inner_text(".hls-sidebar"))


def test_script_1_cuts_paradox(page, dashboard_server):
    """As the guide: budget 0.70, cut 20% at week 26, three years on; the same town uncut is the
    page's own run without the lever (built here in-process from the same settings)."""
    from hls_abm.dashboard.controller import Controller
    from hls_abm.dashboard.settings import Settings

    open_dashboard(page, dashboard_server, "?speed=0")
    set_budget(page, 0.7)
    page.get_by_role("button", name="Reset with these settings").click()
    wait_until(lambda: page.locator(".hls-pending").count() == 0)
    run_to(page, 26)
    cut_week = week(page)
    page.locator("[data-lever=budget_cut]").click()
    page.wait_for_selector("#intervention-log[data-count='1']")
    assert "budget cut 20% (both)" in page.inner_text("#intervention-log")
    run_to(page, cut_week + 156)
    assert "since" in page.inner_text("#intervention-log")  # the "since the cut" line
    df = csv(page)
    end = week(page)
    uncut = Controller(Settings(budget_factor=0.7), speed=0)
    uncut.step(end)
    du = uncut.history_frame()
    uncut.close()
    span = (df.world == "npm") & (df.week > cut_week) & (df.week <= end)
    uspan = (du.world == "npm") & (du.week > cut_week) & (du.week <= end)
    cost, ucost = df.loc[span, "total_cost"].sum(), du.loc[uspan, "total_cost"].sum()
    assert cost > 0.97 * ucost, (cost, ucost)  # a 20% cut to a stretched service saves (almost) nothing
    assert df.loc[span, "crisis_events"].sum() > du.loc[uspan, "crisis_events"].sum()
    assert mean(df, "npm", "staff_stress", end - 12, end) > mean(df, "npm", "staff_stress", cut_week - 12, cut_week)


def test_script_2_twenty_problems(page, dashboard_server):
    open_dashboard(page, dashboard_server, "?speed=0")
    run_to(page, 52)
    page.get_by_role("tab", name="One citizen's journey").click()
    page.get_by_role("button", name="Show me someone with complex needs").click()
    page.wait_for_selector("[data-journey=local_teams] canvas")
    npm = page.inner_text("[data-journey-summary=npm]")
    local = page.inner_text("[data-journey-summary=local_teams]")
    services = int(npm.split("contacts")[1].split(",")[1].split()[0])
    assert services >= 2, npm  # several services under NPM
    assert "1 different service or team" in local or "0 different services" in local, local


def test_script_3_targets_mislead(page, dashboard_server):
    open_dashboard(page, dashboard_server, "?speed=0")
    page.get_by_role("tab", name="Goodhart: KPI vs reality").click()
    page.wait_for_selector("[data-chart=goodhart] canvas")
    run_to(page, 30)
    start = week(page)
    page.get_by_role("button", name="NPM only").click()
    page.locator("[data-lever=target_pressure]").click()
    page.wait_for_selector("#intervention-log[data-count='1']")
    run_to(page, start + 52)
    df = csv(page)
    end = week(page)
    kpi_drop = mean(df, "npm", "reported_kpi", start - 12, start) - mean(df, "npm", "reported_kpi", end - 12, end)
    real_drop = mean(df, "npm", "real_outcome", start - 12, start) - mean(df, "npm", "real_outcome", end - 12, end)
    assert real_drop > 0.05, real_drop  # the real outcome falls
    assert kpi_drop < real_drop / 2, (kpi_drop, real_drop)  # the report hardly moves
    assert mean(df, "local_teams", "real_outcome", end - 12, end) > mean(df, "npm", "real_outcome", end - 12, end)
