"""Benchmark the live dashboard in a real browser: weeks per second and time to first page.

Starts the real server (``solara run app.py --production``) on a free localhost
port, opens it in headless Chromium, presses Play with the speed set to "as fast
as possible" and counts the simulated weeks the page shows over a fixed time,
with all charts of the open tab updating. Targets (issues 3 and 11): at least 5
weeks per second with the page's default world (4,000 citizens in 8
neighbourhoods per world), first usable page within 10 s on a busy 2-core machine.
The page shows every week and the play loop waits for the browser to show it,
so weeks per second here is what the room sees.

    python benchmarks/bench_dashboard.py                 # 4,000 citizens, overview and community tabs
    python benchmarks/bench_dashboard.py --citizens 1000 --seconds 10 --render-every 1

Needs Debian's chromium (/usr/bin/chromium) and the project's dev dependencies.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from dashboard_harness import DashboardServer, chart_week, launch_chromium, non_local, shot, week  # noqa: E402

OVERVIEW = ("demand", "cost", "wellbeing", "waiting", "staff", "community")


def first_page(browser) -> tuple[float, float]:
    """Seconds from starting the server to (server answering, page usable)."""
    t0 = time.monotonic()
    server = DashboardServer(log_name="bench-first-page.log")
    try:
        server.wait()
        t_server = time.monotonic() - t0
        pg = browser.new_page()
        pg.goto(server.url)
        pg.wait_for_selector("#week-counter", timeout=60_000)
        pg.wait_for_selector("[data-chart=demand] canvas", timeout=60_000)
        pg.get_by_role("button", name="Play").wait_for()
        t_page = time.monotonic() - t0
        pg.close()
        return t_server, t_page
    finally:
        server.stop()


def weeks_per_second(browser, server, citizens: int, seconds: float, render_every: int, tab: str | None) -> dict:
    pg = browser.new_page(viewport={"width": 1600, "height": 1000})
    requests: list[str] = []
    pg.on("request", lambda r: requests.append(r.url))
    pg.goto(f"{server.url}?n={citizens}&speed=0&render_every={render_every}")
    pg.wait_for_selector("[data-chart=demand] canvas", timeout=60_000)
    if tab:
        pg.get_by_role("tab", name=tab).click()
        time.sleep(0.5)
    pg.get_by_role("button", name="Play").click()
    time.sleep(1.0)  # warm-up
    w0, t0 = week(pg), time.monotonic()
    time.sleep(seconds)
    w1, t1 = week(pg), time.monotonic()
    lag = None
    if not tab:
        lag = w1 - min(chart_week(pg, k) for k in OVERVIEW)
    name = f"bench-{(tab or 'overview').split()[0].lower()}-{citizens}"
    shot(pg, name)
    pg.get_by_role("button", name="Pause").click()
    pg.close()
    return {
        "tab": tab or "Overview",
        "citizens": citizens,
        "render_every": render_every,
        "weeks": w1 - w0,
        "weeks_per_s": (w1 - w0) / (t1 - t0),
        "chart_lag_weeks": lag,
        "non_local_requests": len(non_local(requests)),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--citizens", type=int, default=4000, help="citizens per world (default 4000, the page's default)")
    ap.add_argument("--seconds", type=float, default=15.0, help="measuring time per tab (default 15)")
    ap.add_argument("--render-every", type=int, default=4, help="redraw the charts every N weeks (default 4)")
    ap.add_argument("--tabs", default="Overview,Community", help="tabs to measure, comma separated")
    args = ap.parse_args(argv)

    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        t_server, t_page = first_page(browser)
        print(f"time to first usable page: {t_page:.2f} s (server answering after {t_server:.2f} s; target <= 10 s)")
        server = DashboardServer(log_name="bench-server.log")
        ok = t_page <= 10
        try:
            server.wait()
            for tab in [t.strip() for t in args.tabs.split(",") if t.strip()]:
                r = weeks_per_second(browser, server, args.citizens, args.seconds, args.render_every,
                                     None if tab == "Overview" else tab)
                lag = "" if r["chart_lag_weeks"] is None else f", charts lag the counter by {r['chart_lag_weeks']} week(s)"
                print(f"{r['tab']} tab: {r['weeks_per_s']:.1f} simulated weeks/s with {r['citizens']} citizens per world "
                      f"(redraw every {r['render_every']} weeks{lag}; {r['weeks']} weeks in {args.seconds:g} s; "
                      f"target >= 5)")
                ok = ok and r["weeks_per_s"] >= 5 and r["non_local_requests"] == 0
        finally:
            server.stop()
            browser.close()
    print("PASS" if ok else "BELOW TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
