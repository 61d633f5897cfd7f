"""Soak the real dashboard server: open and close many sessions, check their worlds are freed.

One server (``solara run app.py --production`` on a free port, as ``./dev dashboard``
runs it) serves every test here, with small limits so they are reached quickly:
two sessions at once, 2000 citizens per world, and a tab that vanishes without
closing (no goodbye beacon: laptop lid shut, browser killed) is culled after 1 s.

Each session opens the page in its own browser context, plays the twin worlds
for some weeks and goes away: half of them close the tab (the page sends Solara
its close beacon), half just vanish. After each one the test waits until the
server has no session left (Solara's ``/resourcez``), then reads the server's
resident memory. With only two sessions allowed at once, every session being
let in also shows that the ones before it were released.

The figures are printed and written to ``test-artifacts/soak-<n>.txt``.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "browser"))

from dashboard_harness import ARTIFACTS, DashboardServer, launch_chromium, week  # noqa: E402

pytestmark = pytest.mark.browser

MAX_SESSIONS = 2
MAX_CITIZENS = 2000
GROWTH_ALLOWED = 0.20  # memory after the last session within 20% of after the first
WAIT_S = 120  # generous: a loaded 2-core machine; every wait is for the thing itself


@pytest.fixture(scope="module")
def soak_rig(playwright_driver):
    """The server with the small limits, and headless Chromium; both stopped at the end."""
    srv = DashboardServer(log_name="soak-server.log", env={
        "HLS_DASHBOARD_MAX_SESSIONS": str(MAX_SESSIONS),
        "HLS_DASHBOARD_MAX_CITIZENS": str(MAX_CITIZENS),
        "SOLARA_KERNEL_CULL_TIMEOUT": "1s",
    })
    with contextlib.ExitStack() as stack:
        stack.callback(srv.stop)
        srv.wait(WAIT_S)
        b = launch_chromium(playwright_driver)
        stack.callback(b.close)
        yield srv, b


@pytest.fixture
def server(soak_rig):
    return soak_rig[0]


@pytest.fixture
def chromium(soak_rig):
    return soak_rig[1]


def sessions_open(server) -> int:
    """Virtual kernels (one per tab) the server holds, from Solara's /resourcez."""
    with urllib.request.urlopen(server.url + "resourcez", timeout=30) as r:
        return int(json.load(r)["kernels"]["total"])


def wait_until(cond, what: str, timeout: float = WAIT_S, server=None) -> None:
    t0 = time.monotonic()
    while not cond():
        if server is not None and server.proc.poll() is not None:
            raise AssertionError(f"the server died while waiting for {what}:\n{server.log()[-3000:]}")
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


def server_rss_mb(server) -> float:
    import psutil

    return psutil.Process(server.proc.pid).memory_info().rss / 2**20


def new_tab(chromium):
    ctx = chromium.new_context(viewport={"width": 1400, "height": 900})
    pg = ctx.new_page()
    pg.set_default_timeout(WAIT_S * 1000)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.errors = errors  # type: ignore[attr-defined]
    return ctx, pg


def open_page(pg, server, query: str = "") -> None:
    """Load the page and wait for its week counter and first chart (page timeout: WAIT_S)."""
    pg.goto(server.url + query)
    pg.wait_for_selector("#week-counter, .hls-server-full")
    if not pg.query_selector(".hls-server-full"):
        pg.wait_for_selector("[data-chart=demand] canvas")


def play_weeks(pg, weeks: int) -> int:
    """Press Play, wait until the page shows at least ``weeks`` weeks, press Pause."""
    pg.click(".hls-play")
    pg.wait_for_function(f"() => +document.querySelector('#week-counter').dataset.week >= {weeks}")
    pg.click(".hls-play")
    pg.wait_for_selector("#run-status:text('paused')")
    return week(pg)


def soak(server, chromium, n_sessions: int, weeks: int = 16) -> list[tuple[int, str, int, float]]:
    rows = []
    for i in range(n_sessions):
        ctx, pg = new_tab(chromium)
        open_page(pg, server, "?speed=0&render_every=8&n=1000")
        assert not pg.query_selector(".hls-server-full"), f"session {i} was refused: earlier ones not released"
        wk = play_weeks(pg, weeks)
        assert not pg.errors, pg.errors
        how = "closed" if i % 2 == 0 else "vanished"
        if how == "closed":
            pg.close(run_before_unload=True)  # a tab closed: the page says goodbye
        ctx.close()  # "vanished": the connection just drops
        wait_until(lambda: sessions_open(server) == 0, f"session {i} ({how}) to be released", server=server)
        rows.append((i + 1, how, wk, server_rss_mb(server)))
    return rows


def report(rows, name: str) -> str:
    first, last = rows[0][3], rows[-1][3]
    lines = ["session  how       weeks  server RSS (MB)"]
    lines += [f"{i:7d}  {how:8s}  {wk:5d}  {rss:8.1f}" for i, how, wk, rss in rows]
    lines.append(f"after first {first:.1f} MB, after last {last:.1f} MB: {100 * (last / first - 1):+.1f}% "
                 f"(allowed +{100 * GROWTH_ALLOWED:.0f}%), peak {max(r[3] for r in rows):.1f} MB")
    text = "\n".join(lines)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}.txt").write_text(text + "\n")
    print("\n" + text)
    return text


def check_soak(server, chromium, n_sessions: int) -> None:
    rows = soak(server, chromium, n_sessions)
    text = report(rows, f"soak-{n_sessions}")
    assert rows[-1][3] <= rows[0][3] * (1 + GROWTH_ALLOWED), text
    assert server.proc.poll() is None


def test_soak_6_sessions_memory_comes_back(server, chromium):
    check_soak(server, chromium, 6)


@pytest.mark.slow
def test_soak_50_sessions_memory_comes_back(server, chromium):
    check_soak(server, chromium, 50)


def test_past_the_session_limit_the_page_says_so_and_nothing_breaks(server, chromium):
    wait_until(lambda: sessions_open(server) == 0, "earlier sessions to be released", server=server)
    tabs = [new_tab(chromium) for _ in range(MAX_SESSIONS + 1)]
    try:
        for ctx, pg in tabs[:MAX_SESSIONS]:
            open_page(pg, server, "?speed=0&n=1000")  # the page accepts 500-20,000
        ctx, extra = tabs[-1]
        extra.goto(server.url)
        full = extra.wait_for_selector(".hls-server-full")
        msg = full.inner_text()
        assert "full" in msg and f"HLS_DASHBOARD_MAX_SESSIONS={MAX_SESSIONS}" in msg, msg
        # the sessions that got in still work
        first = tabs[0][1]
        assert play_weeks(first, 4) >= 4
        # one closes; now a new tab gets in
        tabs[0][1].close(run_before_unload=True)
        tabs[0][0].close()
        # left: the other admitted tab and the refused one (a refused tab has a Solara kernel too)
        wait_until(lambda: sessions_open(server) == MAX_SESSIONS, "the closed tab's session to end", server=server)
        extra.reload()
        extra.wait_for_selector("#week-counter")
        assert not extra.query_selector(".hls-server-full")
        for _, pg in tabs:
            assert not getattr(pg, "errors", []), pg.errors
    finally:
        for ctx, _ in tabs:
            ctx.close()
    assert server.proc.poll() is None


def test_a_world_over_the_citizen_limit_is_refused_on_the_page(server, chromium):
    wait_until(lambda: sessions_open(server) < MAX_SESSIONS, "a free session", server=server)
    ctx, pg = new_tab(chromium)
    try:
        pg.goto(server.url + f"?n={MAX_CITIZENS * 4}")
        err = pg.wait_for_selector(".hls-error")
        msg = err.inner_text()
        assert f"n_citizens={MAX_CITIZENS * 4}" in msg and f"at most {MAX_CITIZENS}" in msg, msg
        assert "HLS_DASHBOARD_MAX_CITIZENS" in msg
        pg.wait_for_selector("#week-counter")
        assert not pg.errors, pg.errors
    finally:
        ctx.close()
    assert server.proc.poll() is None
