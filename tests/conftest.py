import os

os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")

import pytest

#: The test files that take longest, started first: the suite runs file by file on every core
#: (pyproject.toml: --dist loadfile), and a long file left for the end keeps one core busy alone.
LONGEST_FIRST = (
    "test_dashboard_workshop.py", "test_validation.py", "test_soak.py", "test_dashboard_browser.py",
    "test_orphans.py", "test_emergence.py", "test_sweep_resume.py", "test_calibration_faults.py",
    "test_calibration.py", "test_sweep_dask.py", "test_stationarity.py",
)


def pytest_collection_modifyitems(config, items):
    """Longest files first (a stable sort: the order within a file is kept)."""
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright driver per test process: its sync API cannot be started twice in one process
    (the browser tests and the server soak share it)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw
