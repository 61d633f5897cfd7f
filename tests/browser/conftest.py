"""Fixtures for the end-to-end tests (helpers live in dashboard_harness.py).

* ``dashboard_server``: the real ``solara run app.py --production`` on a free
  localhost port, one per test session.
* ``browser``: headless Debian Chromium through Playwright.
* ``page``: a fresh tab that records every request; after the test it fails if
  any request left this machine or any local front-end file was missing (404),
  because the dashboard must work with no internet.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from dashboard_harness import DashboardServer, launch_chromium, non_local  # noqa: E402


@pytest.fixture(scope="session")
def dashboard_server():
    server = DashboardServer()
    try:
        server.wait()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser(playwright_driver):
    b = launch_chromium(playwright_driver)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture
def page(browser, dashboard_server):
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(90_000)  # a ceiling for a busy machine; every wait is for the page itself
    requests: list[str] = []
    pg.on("request", lambda r: requests.append(r.url))
    pg.requests = requests  # type: ignore[attr-defined]
    console: list[str] = []
    pg.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    pg.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    pg.console = console  # type: ignore[attr-defined]
    failed: list[str] = []
    pg.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    pg.on("requestfailed", lambda r: failed.append(f"failed {r.url}") if "/_solara/cdn/" in r.url else None)
    try:
        yield pg
    finally:
        context.close()
    outside = non_local(requests)
    assert not outside, f"the page made requests outside localhost: {outside[:10]}"
    assert not failed, f"front-end files failed to load (would break offline): {failed[:10]}"

