"""The explain panel: the feedback loops at work, drawn as causal loop diagrams.

Each loop is a ring of causes; an arrow marked ``+`` means "more of this gives
more of that", ``-`` means "more gives less". A loop with an even number of
``-`` reinforces itself (R: vicious or virtuous circle); an odd number balances
(B). Each loop names the chart where the room can watch it happen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from .theme import BOTH_COLOUR, DOMAIN_COLOURS, WORLD_COLOURS


@dataclass(frozen=True)
class Loop:
    key: str
    title: str
    kind: str  # "R" reinforcing or "B" balancing
    nodes: tuple[str, ...]
    signs: tuple[str, ...]  # polarity of the arrow leaving each node
    chart: str  # key in charts.CHARTS / tab where it shows
    story: str
    colour: str


LOOPS: tuple[Loop, ...] = (
    Loop(
        "failure_demand",
        "Failure demand",
        "R",
        ("needs handled in pieces", "problems not solved", "people come back", "workload", "time per person"),
        ("+", "+", "+", "-", "-"),
        "demand",
        "A service that deals with one slice of a life leaves the rest unsolved, so the person comes back "
        "(failure demand). The extra contacts fill the diary, leaving less time per person, so even more is "
        "handled in pieces. Watch the dashed failure-demand line climb under NPM.",
        WORLD_COLOURS["npm"],
    ),
    Loop(
        "thresholds",
        "Thresholds lead to crisis",
        "R",
        ("budget pressure", "eligibility threshold", "early help", "needs escalate", "crises & their cost"),
        ("+", "-", "-", "+", "+"),
        "cost",
        "To save money the threshold for help is raised, so fewer people get help early; their needs "
        "escalate until they become crises (A&E, eviction), which cost far more and squeeze the budget again. "
        "Apply 'Cut budget 20%' and watch the crisis band of the cost chart.",
        DOMAIN_COLOURS[0],
    ),
    Loop(
        "turnover",
        "Workload drives turnover",
        "R",
        ("workload", "staff stress", "sickness & leavers", "staff available"),
        ("+", "+", "-", "-"),
        "staff",
        "More work per worker raises stress; stressed staff go sick or leave; fewer staff means more work for "
        "those who stay. Watch stress and turnover after a cut or a recession.",
        DOMAIN_COLOURS[3],
    ),
    Loop(
        "relationships",
        "Relationships build trust",
        "R",
        ("continuity (same team)", "trust", "honest whole picture", "effective help", "time freed"),
        ("+", "+", "+", "+", "+"),
        "wellbeing",
        "When the same people keep working with someone they build trust; people then tell the whole story, "
        "so help fits and works; solved problems free time for relationships. This is the local teams' "
        "virtuous circle: watch their wellbeing, especially the worst-off 10%.",
        WORLD_COLOURS["local_teams"],
    ),
    Loop(
        "community",
        "Community builds resilience",
        "R",
        ("ties between neighbours", "informal support", "resilience", "needs escalate", "capacity to help others"),
        ("+", "+", "-", "-", "+"),
        "community",
        "Neighbours who know each other help each other; help makes people resilient, so fewer needs escalate "
        "and people have more to give back, which strengthens ties. Try 'Invest in community'.",
        DOMAIN_COLOURS[2],
    ),
    Loop(
        "goodhart",
        "Targets mislead (Goodhart)",
        "B",
        ("target pressure", "gaming the measure", "reported KPI", "felt need to act"),
        ("+", "+", "-", "+"),
        "goodhart",
        "Pressure to hit a target is met most cheaply by changing what is counted (closing cases early, "
        "cherry-picking), so the KPI looks better and the pressure to change anything real goes away, while real "
        "outcomes do not improve. Raise target pressure and watch the gap in the Goodhart panel.",
        DOMAIN_COLOURS[1],
    ),
)
LOOPS_BY_KEY = {lp.key: lp for lp in LOOPS}


def _wrap(text: str, width: int = 16) -> list[str]:
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    if cur:
        lines.append(cur)
    return lines


def loop_svg(loop: Loop, size: int = 340, highlight: bool = False) -> str:
    """A self-contained SVG of one loop: nodes on a ring, signed arrows, R/B in the middle."""
    cx, cy, r = size / 2, size / 2 + 6, size * 0.33
    n = len(loop.nodes)
    angles = [-math.pi / 2 + 2 * math.pi * i / n for i in range(n)]
    pts = [(cx + r * math.cos(a), cy + r * math.sin(a)) for a in angles]
    mid = f"m{loop.key}"
    boxes = []
    for (x, y), label in zip(pts, loop.nodes):
        lines = _wrap(label)
        h = 16 * len(lines) + 6
        w = max(len(s) for s in lines) * 7.8 + 14
        boxes.append((x, y, w, h, lines))
    # The picture's frame holds every node box whole, so none is cut at the card's edge.
    x_lo = min([0.0] + [x - w / 2 - 3 for x, y, w, h, _ in boxes])
    x_hi = max([float(size)] + [x + w / 2 + 3 for x, y, w, h, _ in boxes])
    y_lo = min([0.0] + [y - h / 2 - 3 for x, y, w, h, _ in boxes])
    y_hi = max([size + 12.0] + [y + h / 2 + 3 for x, y, w, h, _ in boxes])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x_lo:.1f} {y_lo:.1f} {x_hi - x_lo:.1f} {y_hi - y_lo:.1f}" '
        f'width="100%" '
        f'role="img" aria-label="{escape(loop.title)} causal loop" data-loop="{loop.key}">',
        f'<defs><marker id="{mid}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{loop.colour}"/></marker></defs>',
    ]
    if highlight:
        parts.append(f'<rect x="{x_lo + 1:.1f}" y="{y_lo + 1:.1f}" width="{x_hi - x_lo - 2:.1f}" '
                     f'height="{y_hi - y_lo - 2:.1f}" rx="12" fill="none" '
                     f'stroke="{loop.colour}" stroke-width="3"/>')
    gap = 0.42  # radians kept clear around each node for its label
    for i in range(n):
        a0, a1 = angles[i] + gap, angles[(i + 1) % n] - gap
        if a1 < a0:
            a1 += 2 * math.pi
        x0, y0 = cx + r * math.cos(a0), cy + r * math.sin(a0)
        x1, y1 = cx + r * math.cos(a1), cy + r * math.sin(a1)
        large = 1 if (a1 - a0) > math.pi else 0
        parts.append(
            f'<path d="M{x0:.1f},{y0:.1f} A{r:.1f},{r:.1f} 0 {large} 1 {x1:.1f},{y1:.1f}" fill="none" '
            f'stroke="{loop.colour}" stroke-width="2.5" marker-end="url(#{mid})"/>'
        )
        am = (a0 + a1) / 2
        sx, sy = cx + (r + 14) * math.cos(am), cy + (r + 14) * math.sin(am)
        parts.append(
            f'<text x="{sx:.1f}" y="{sy + 5:.1f}" text-anchor="middle" font-size="17" font-weight="bold" '
            f'fill="{loop.colour}">{escape(loop.signs[i])}</text>'
        )
    for x, y, w, h, lines in boxes:
        parts.append(f'<rect x="{x - w / 2:.1f}" y="{y - h / 2:.1f}" width="{w:.1f}" height="{h:.1f}" rx="6" '
                     f'fill="white" stroke="{BOTH_COLOUR}" stroke-width="1"/>')
        for k, s in enumerate(lines):
            ty = y - h / 2 + 16 * (k + 1)
            parts.append(f'<text x="{x:.1f}" y="{ty:.1f}" text-anchor="middle" font-size="13" '
                         f'fill="{BOTH_COLOUR}">{escape(s)}</text>')
    parts.append(f'<text x="{cx:.1f}" y="{cy + 12:.1f}" text-anchor="middle" font-size="34" font-weight="bold" '
                 f'fill="{loop.colour}">{loop.kind}</text>')
    parts.append("</svg>")
    return "".join(parts)


def loop_sign_check(loop: Loop) -> str:
    """R if the loop has an even number of negative links, else B (used in tests)."""
    return "R" if sum(1 for s in loop.signs if s == "-") % 2 == 0 else "B"
