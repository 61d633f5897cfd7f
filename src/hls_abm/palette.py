"""The one colour table: worlds, scenarios and life domains, on the page, in exports and in figures.

The two worlds have the same colour on every chart, export and figure, so a room can
follow "orange is NPM, blue is local teams" without reading legends. Every colour is
from the Okabe-Ito palette, which stays distinguishable for the common forms of
colour-blindness and in greyscale (vermilion is much lighter than blue).
"""

from __future__ import annotations

#: World keys, in the order they are drawn (left/top first).
WORLDS: tuple[str, str] = ("npm", "local_teams")

#: What the room sees for each world.
WORLD_LABELS: dict[str, str] = {"npm": "NPM (siloed services)", "local_teams": "Local teams"}
WORLD_SHORT: dict[str, str] = {"npm": "NPM", "local_teams": "Local teams"}

#: Okabe-Ito vermilion for NPM, Okabe-Ito blue for local teams.
WORLD_COLOURS: dict[str, str] = {"npm": "#D55E00", "local_teams": "#0072B2"}

#: Colour for an intervention applied to both worlds at once, and for neutral marks.
BOTH_COLOUR = "#333333"

#: Colours for the six life domains (the remaining Okabe-Ito colours).
DOMAIN_COLOURS: tuple[str, ...] = ("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#000000", "#F0E442")

#: Scenario colours for figures: a scenario that is an NPM variant is drawn in an NPM-like
#: colour, one with local teams in a blue-green one; others fall back in order.
SCENARIO_COLOURS: dict[str, str] = {
    "npm": WORLD_COLOURS["npm"],
    "local_teams": WORLD_COLOURS["local_teams"],
    "transition": "#009E73",
    "pilot": "#56B4E9",
    "npm_cuts": "#E69F00",
    "npm_high_threshold": "#CC79A7",
    "npm_targets": "#F0E442",
    "simple_needs": "#000000",
}
FALLBACK_COLOURS: tuple[str, ...] = ("#000000", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#F0E442")


def scenario_colour(name: str, i: int = 0) -> str:
    """Colour of a scenario (or world) in a figure; unknown names take the ``i``-th fallback."""
    return SCENARIO_COLOURS.get(name, FALLBACK_COLOURS[i % len(FALLBACK_COLOURS)])
