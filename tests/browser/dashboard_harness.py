"""Helpers for the end-to-end tests: start the real server, drive Chromium, read the page.

* :class:`DashboardServer`: ``solara run app.py --production`` on a free localhost
  port as a subprocess.
* :func:`launch_chromium`: Debian's Chromium through Playwright (Playwright cannot
  download its own browsers here), headless, no background networking.
* :func:`non_local`: requests that left this machine (must be none: offline).
* :func:`shot`: a screenshot in ``test-artifacts/`` for people to look at.
* :func:`chart_state`: what ECharts itself holds for a chart (rows, markers).
"""


from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse


ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("HLS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 120.0, proc: subprocess.Popen | None = None) -> float:
    """Wait until ``url`` answers; return the seconds it took."""
    t0 = time.monotonic()
    last = None
    while time.monotonic() - t0 < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"dashboard server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return time.monotonic() - t0
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout}s: {last}")


class DashboardServer:
    """A running ``solara run app.py`` subprocess on a free localhost port."""

    def __init__(self, port: int | None = None, env: dict | None = None, log_name: str = "dashboard-server.log"):
        self.port = port or free_port()
        self.url = f"http://localhost:{self.port}/"
        ARTIFACTS.mkdir(exist_ok=True)
        self.log_path = ARTIFACTS / log_name
        e = dict(os.environ)
        e.update({"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "PYTHONUNBUFFERED": "1"})
        e.update(env or {})
        self._log = open(self.log_path, "w")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "solara", "run", "app.py", "--host", "localhost", "--port", str(self.port),
             "--production", "--no-check-version"],
            cwd=ROOT, env=e, stdout=self._log, stderr=subprocess.STDOUT,
        )

    def wait(self, timeout: float = 120.0) -> float:
        return wait_http(self.url, timeout, self.proc)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


def launch_chromium(playwright):
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium); ./dev test does this")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def non_local(urls: list[str]) -> list[str]:
    """Requests that left this machine (data: and blob: URLs never do)."""
    out = []
    for u in urls:
        p = urlparse(u)
        if p.scheme in ("data", "blob", "about", "chrome-extension"):
            continue
        if (p.hostname or "") not in LOCAL_HOSTS:
            out.append(u)
    return out


def shot(pg, name: str) -> Path:
    """Save a full-page screenshot as test-artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path


def open_dashboard(pg, server: DashboardServer, query: str = "") -> float:
    """Load the page and wait until the week counter shows; returns seconds taken."""
    t0 = time.monotonic()
    pg.goto(server.url + query)
    pg.wait_for_selector("#week-counter", timeout=90_000)
    pg.wait_for_selector("[data-chart=demand] canvas", timeout=90_000)
    return time.monotonic() - t0


def week(pg) -> int:
    return int(pg.get_attribute("#week-counter", "data-week"))


def chart_week(pg, key: str) -> int:
    return int(pg.get_attribute(f"[data-chart={key}]", "data-week"))


ECHARTS_JS = """
async (sel) => {
  const el = document.querySelector(sel);
  const url = (window.solara && window.solara.cdn ? window.solara.cdn : '_solara/cdn') + '/echarts@5.4.0/dist/echarts.js';
  const echarts = await new Promise((res, rej) => requirejs([url], res, rej));
  const chart = echarts.getInstanceByDom(el);
  if (!chart) return null;
  const opt = chart.getOption();
  const src = (opt.dataset && opt.dataset[0] && opt.dataset[0].source) || [];
  const marks = [];
  for (const s of opt.series) {
    if (s.markLine && s.markLine.data) for (const d of s.markLine.data) marks.push(d.name || (d[0] && d[0].name));
  }
  const last = src.length ? src[src.length - 1] : null;
  return {rows: src.length, last: last, series: opt.series.map(s => s.name), marks: marks};
}
"""


def chart_state(pg, key: str) -> dict | None:
    """What ECharts itself holds for a chart: rows of data, last row, marker labels."""
    return pg.evaluate(ECHARTS_JS, f"[data-chart={key}]")


def wait_until(fn, timeout=90.0, every=0.1):
    """Poll ``fn`` until it returns something true (the page's state, never a clock)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        v = fn()
        if v:
            return v
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout}s")


ECHARTS_INSTANCE = """
async (sel) => {
  const url = (window.solara && window.solara.cdn ? window.solara.cdn : '_solara/cdn') + '/echarts@5.4.0/dist/echarts.js';
  const echarts = await new Promise((res, rej) => requirejs([url], res, rej));
  window.__hlsEcharts = echarts;
  return !!echarts.getInstanceByDom(document.querySelector(sel));
}
"""

#: Every text ECharts drew in a chart, with its box on the canvas (for overlap checks).
CHART_TEXTS_JS = """
(sel) => {
  const chart = window.__hlsEcharts.getInstanceByDom(document.querySelector(sel));
  const out = [];
  chart.getZr().storage.getDisplayList(true).forEach((el) => {
    if (el.type !== 'text' && el.type !== 'tspan') return;
    const text = el.style && el.style.text;
    if (!text || el.invisible || el.ignore) return;
    const r = el.getBoundingRect().clone();
    if (el.transform) r.applyTransform(el.transform);
    out.push({text: String(text), x: r.x, y: r.y, w: r.width, h: r.height});
  });
  return {texts: out, width: chart.getWidth(), height: chart.getHeight()};
}
"""


def chart_texts(pg, key: str) -> dict:
    """The texts drawn in chart ``key`` with their boxes (x, y, w, h in canvas pixels)."""
    sel = f"[data-chart={key}]"
    assert pg.evaluate(ECHARTS_INSTANCE, sel)
    return pg.evaluate(CHART_TEXTS_JS, sel)


def overlaps(texts: list[dict], tolerance: float = 1.0) -> list[tuple[str, str]]:
    """Pairs of texts whose boxes overlap by more than ``tolerance`` pixels each way."""
    out = []
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            dx = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
            dy = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
            if dx > tolerance and dy > tolerance:
                out.append((a["text"], b["text"]))
    return out


def chart_option(pg, key: str) -> dict:
    """The option ECharts holds for chart ``key`` (as the page drew it)."""
    sel = f"[data-chart={key}]"
    assert pg.evaluate(ECHARTS_INSTANCE, sel)
    return pg.evaluate("(sel) => JSON.parse(JSON.stringify(window.__hlsEcharts.getInstanceByDom("
                       "document.querySelector(sel)).getOption()))", sel)
