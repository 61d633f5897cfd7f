"""hls_abm live workshop dashboard: NPM siloed services vs local teams, side by side.

Start with ``./dev dashboard`` (or ``solara run app.py --host localhost --port 8765
--production``) and open http://localhost:8765. Everything is served from this
machine: no internet is needed. See docs/facilitator-guide.md for workshop scripts.
"""

import os

os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")

from hls_abm.dashboard.offline import configure  # noqa: E402

configure()  # telemetry off, check every front-end file is served locally

from hls_abm.dashboard.components import Page  # noqa: E402,F401
