"""Make sure the dashboard works with no internet (workshop venues, this machine).

By default Solara's server fetches its front-end files (JavaScript, CSS,
fonts) from a public CDN the first time a page asks for them. The
``solara-assets`` package, pinned to exactly Solara's version in
``pyproject.toml``, ships all of them into Solara's local asset cache
(``<venv>/share/solara/cdn``), so the server never needs the CDN.

:func:`configure` (called by ``app.py``) turns off Solara's telemetry and checks
that the files the page needs are in the local cache; if one is missing it
stops the server with a message saying how to fix it, instead of serving a page
that never finishes loading. Run ``python -m hls_abm.dashboard.offline`` to
check an installation by hand.
"""

from __future__ import annotations

import os
import sys
from importlib import metadata
from pathlib import Path

#: Files (relative to the asset cache) that the page itself loads.
REQUIRED = (
    "@widgetti/solara-vuetify-app@10.1.1/dist/main8.css",
    "@widgetti/solara-vuetify-app@10.1.1/dist/fonts.css",
    "@widgetti/solara-vuetify-app@10.1.1/dist/solara-vuetify-app8.min.js",
    "requirejs@2.3.6/require.js",
    "font-awesome@4.5.0/css/font-awesome.min.css",
    "echarts@5.4.0/dist/echarts.js",
)


class OfflineAssetsMissing(RuntimeError):
    """Some front-end file is not in the local cache, so the page would need the internet."""


def cache_dir() -> Path:
    import solara.server.settings as ss

    return Path(ss.assets.proxy_cache_dir)


def problems() -> list[str]:
    """What stops the page from rendering offline (empty when all is well)."""
    out = []
    try:
        solara_v = metadata.version("solara")
    except metadata.PackageNotFoundError:
        return ["solara is not installed: pip install -e '.[app]'"]
    try:
        assets_v = metadata.version("solara-assets")
    except metadata.PackageNotFoundError:
        assets_v = None
    if assets_v is None:
        out.append(f"solara-assets is not installed: pip install 'solara-assets=={solara_v}'")
    elif assets_v != solara_v:
        out.append(f"solara-assets {assets_v} does not match solara {solara_v}: pip install 'solara-assets=={solara_v}'")
    import solara.settings

    if not solara.settings.assets.proxy:
        out.append("Solara's asset proxy is off (SOLARA_ASSETS_PROXY=False): the browser would load files from a CDN")
    base = cache_dir()
    missing = [p for p in REQUIRED if not (base / p).is_file()]
    if missing:
        out.append(f"missing from {base}: {', '.join(missing)} (reinstall solara-assets=={solara_v})")
    return out


def configure(strict: bool | None = None) -> None:
    """Telemetry off, local assets on; raise if the page could not render offline.

    ``strict`` defaults to True unless ``HLS_DASHBOARD_ALLOW_CDN=1`` is set.
    """
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    try:
        import solara.server.settings as ss

        ss.telemetry.mixpanel_enable = False
        ss.theme.show_banner = False  # no "runs on Solara" badge over the charts
        ss.theme.title = "hls_abm twin worlds"
    except Exception:  # pragma: no cover - solara without a server part
        pass
    if strict is None:
        strict = os.environ.get("HLS_DASHBOARD_ALLOW_CDN", "") not in ("1", "true", "yes")
    found = problems()
    if found and strict:
        raise OfflineAssetsMissing("The dashboard cannot work offline:\n  - " + "\n  - ".join(found))


def main() -> int:
    found = problems()
    if found:
        print("NOT ready for offline use:")
        for p in found:
            print("  -", p)
        return 1
    print(f"OK: every front-end file is served locally from {cache_dir()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
