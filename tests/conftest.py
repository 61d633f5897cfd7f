import os

os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")

import pytest


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright driver per test process: its sync API cannot be started twice in one process
    (the browser tests and the server soak share it)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw
