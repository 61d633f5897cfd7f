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


def test_script_1_cuts_paradox(page, dashboard_server):
    open_dashboard(page, dashboard_server, "?speed=0")
    page.get_by_role("button", name="Reset with these settings").click()
    run_to(page, 26)
    cut_week = week(page)
    page.locator("[data-lever=budget_cut]").click()
    page.wait_for_selector("#intervention-log[data-count='1']")
    assert "budget cut 20% (both)" in page.inner_text("#intervention-log")
    run_to(page, cut_week + 54)
    assert "since" in page.inner_text("#intervention-log")  # the "since the cut" line
    df = csv(page)
    end = week(page)
    before = mean(df, "npm", "total_cost", cut_week - 12, cut_week)
    after = mean(df, "npm", "total_cost", end - 12, end)
    assert after > 0.9 * before, (before, after)  # a 20% cut does not give 20% lower cost a year later
    assert mean(df, "npm", "cost_crisis", end - 12, end) > mean(df, "npm", "cost_crisis", cut_week - 12, cut_week)
    assert mean(df, "npm", "staff_stress", cut_week, end) > mean(df, "npm", "staff_stress", cut_week - 12, cut_week)


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
    assert mean(df, "npm", "reported_kpi", end - 12, end) >= 0.95
    assert mean(df, "npm", "real_outcome", end - 12, end) < mean(df, "npm", "real_outcome", start - 12, start) - 0.05
    assert mean(df, "local_teams", "real_outcome", end - 12, end) > mean(df, "npm", "real_outcome", end - 12, end)
