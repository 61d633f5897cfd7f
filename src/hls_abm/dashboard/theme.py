"""Colours, names and sizes used everywhere on the dashboard.

The two worlds always have the same colour on every chart, in every export and
in the text, so a room can follow "orange is NPM, blue is local teams" without
reading legends. Both colours come from the Okabe-Ito palette, which stays
distinguishable for the common forms of colour-blindness and in greyscale
(vermilion is much lighter than blue). The six other Okabe-Ito colours are used
for the six life domains in a citizen's journey.
"""

from __future__ import annotations

from ..palette import BOTH_COLOUR, DOMAIN_COLOURS, WORLD_COLOURS, WORLD_LABELS, WORLD_SHORT, WORLDS  # noqa: F401

#: Interventions can be aimed at one world or both.
TARGETS: dict[str, str] = {
    "both": "Both worlds",
    "npm": "NPM world only",
    "local_teams": "Local teams world only",
}


def target_colour(target: str) -> str:
    """Colour of an intervention marker: the world's colour, or dark grey for both."""
    return WORLD_COLOURS.get(target, BOTH_COLOUR)


def target_short(target: str) -> str:
    return "both" if target == "both" else WORLD_SHORT.get(target, target)


def font_sizes(presentation: bool) -> dict[str, int]:
    """Chart font sizes; presentation mode is read from the back of a room (at least 18 px)."""
    if presentation:
        return {"title": 24, "axis": 18, "legend": 18, "marker": 18, "height": 400}
    return {"title": 15, "axis": 12, "legend": 12, "marker": 12, "height": 300}
