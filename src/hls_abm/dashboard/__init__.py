"""The live workshop dashboard (Solara): twin worlds, live interventions, one citizen's story.

Start it with ``./dev dashboard`` (``solara run app.py --host localhost --port
8765 --production``). ``app.py`` at the repository root only imports
:func:`Page` from here. Modules:

* :mod:`.controller` - the twin-world run (no Solara; steps, levers, history)
* :mod:`.state` - one browser tab's state (controller + what the page shows)
* :mod:`.components` - header, controls, interventions, page layout
* :mod:`.panels` - the tabs: overview charts, Goodhart, community, journey, explain
* :mod:`.charts`, :mod:`.network`, :mod:`.journey`, :mod:`.explain` - what is drawn
* :mod:`.export` - CSV and PNG downloads
* :mod:`.offline` - checks that every front-end file is served locally
"""

from __future__ import annotations

__all__ = ["Page"]


def __getattr__(name):  # lazy: importing the package does not import Solara
    if name == "Page":
        from .components import Page

        return Page
    raise AttributeError(name)
