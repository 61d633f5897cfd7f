"""One citizen's story in both worlds: needs over time and every event.

The same person (same index) lives in both worlds with the same life events, so
differences in their journey come only from how services are organised. Under
NPM a person with several needs meets a different service for each one, is
assessed, referred, handed off, rejected below a threshold and put on waiting
lists ("twenty problems, twenty services"); under local teams one team knows
them and works on the whole person.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .theme import BOTH_COLOUR, DOMAIN_COLOURS, WORLD_COLOURS, WORLD_SHORT, WORLDS, font_sizes

#: Event names from the model in the order they are drawn (top to bottom), with
#: what they mean for the citizen.
EVENT_LABELS: dict[str, str] = {
    "crisis": "crisis",
    "failure_contact": "came back (failure demand)",
    "contact": "contact",
    "assessment": "assessment",
    "referral": "referral",
    "handoff_lost": "lost in a hand-off",
    "rejected": "rejected (below threshold)",
    "waiting": "waiting",
    "admitted": "accepted for help",
    "closed": "case closed",
    "closed_early": "closed too early",
    "dropped": "dropped from waiting list",
    "outreach": "outreach visit",
    "connected": "connected to neighbours",
}
def event_label(event: str) -> str:
    """What an event means for the citizen (events newer than this list keep a readable name)."""
    return EVENT_LABELS.get(event, event.replace("_", " "))


#: Events that count as the system passing the person on.
PASSED_ON = ("referral", "handoff_lost", "rejected", "closed_early", "dropped")
_SYMBOLS = {"crisis": "triangle", "rejected": "rect", "handoff_lost": "diamond", "failure_contact": "pin"}


@dataclass(frozen=True)
class WorldJourney:
    world: str
    events: pd.DataFrame  # week, event, domain, team (detail if present)
    needs: pd.DataFrame  # index week, columns domains

    def summary(self) -> dict[str, int]:
        ev = self.events
        teams = ev["team"] if "team" in ev else pd.Series([], dtype=str)
        teams = teams[teams.astype(str) != ""]
        counts = ev["event"].value_counts() if len(ev) else pd.Series(dtype=int)
        return {
            "contacts": int(counts.get("contact", 0) + counts.get("failure_contact", 0)),
            "failure_contacts": int(counts.get("failure_contact", 0)),
            "services": int(teams.nunique()),
            "passed_on": int(sum(counts.get(e, 0) for e in PASSED_ON)),
            "rejected": int(counts.get("rejected", 0)),
            "crises": int(counts.get("crisis", 0)),
            "events": int(len(ev)),
        }

    def sentence(self) -> str:
        s = self.summary()
        many = _plural
        return (
            f"{many(s['contacts'], 'contact')} ({s['failure_contacts']} of them coming back), "
            f"{s['services']} different service{'s' if s['services'] != 1 else ''} or team{'s' if s['services'] != 1 else ''}, "
            f"passed on {many(s['passed_on'], 'time')} ({many(s['rejected'], 'rejection')}), "
            f"{many(s['crises'], 'crisis', 'crises')}"
        )


def _plural(n: int, one: str, more: str | None = None) -> str:
    """``1 crisis``, ``2 crises``: what the page reads out to a room."""
    return f"{n} {one if n == 1 else (more or one + 's')}"


@dataclass(frozen=True)
class Journey:
    index: int
    is_complex: bool
    worlds: dict[str, WorldJourney]


def load_journey(models: dict, index: int) -> Journey:
    """Read citizen ``index``'s journey from both models (call under the run lock)."""
    out = {}
    is_complex = False
    for w in WORLDS:
        m = models[w]
        n = len(m.population.wellbeing)
        if not 0 <= index < n:
            raise ValueError(f"citizen {index} does not exist: choose a number from 0 to {n - 1}")
        ev = m.journey(index).copy()
        for col in ("week", "event", "domain", "team"):
            if col not in ev:
                ev[col] = ""
        needs = m.needs_history(index)
        out[w] = WorldJourney(w, ev.reset_index(drop=True), needs)
        is_complex = bool(np.asarray(m.population.is_complex)[index])
    return Journey(index=index, is_complex=is_complex, worlds=out)


def pick_complex(models: dict, turn: int = 0, level: float = 0.3, candidates: int = 40) -> int | None:
    """A citizen with complex needs whose NPM journey tells the story well.

    Among the complex-needs citizens with the most needs above ``level`` now,
    the ones passed between the most NPM services (then with the most events)
    come first. ``turn`` walks down that list, so pressing the button again
    shows someone else.
    """
    m = models["npm"]
    pop = m.population
    complex_idx = np.flatnonzero(np.asarray(pop.is_complex))
    if len(complex_idx) == 0:
        return None
    needs = np.asarray(pop.needs)[complex_idx]
    score = (needs > level).sum(axis=1) + needs.sum(axis=1) / 100.0
    order = complex_idx[np.argsort(-score, kind="stable")][:candidates]
    ranked = []
    for i in order:
        try:
            ev = m.journey(int(i))
        except Exception:  # journeys not recorded: fall back to needs alone
            ranked = [(0, 0, k, int(i)) for k, i in enumerate(order)]
            break
        teams = ev["team"][ev["team"].astype(str) != ""].nunique() if "team" in ev else 0
        ranked.append((-int(teams), -len(ev), len(ranked), int(i)))
    ranked.sort()
    return ranked[turn % len(ranked)][3]


def need_max(j: "Journey") -> float:
    """The top of the need axis for both worlds' charts (the same scale side by side)."""
    top = 0.0
    for wj in j.worlds.values():
        if len(wj.needs):
            top = max(top, float(np.nanmax(wj.needs.to_numpy(dtype=float))))
    return max(0.5, math.ceil(top * 4 * 1.05) / 4)


def journey_option(j: WorldJourney, presentation: bool = False, domains: tuple[str, ...] | None = None,
                   y_max: float | None = None) -> dict:
    """Needs (top) and events (bottom) of one world, in one ECharts option (``y_max``: the shared need scale)."""
    fonts = font_sizes(presentation)
    colour = WORLD_COLOURS[j.world]
    needs = j.needs
    domains = tuple(domains or needs.columns)
    weeks = [int(w) for w in needs.index]
    series = []
    for i, d in enumerate(domains):
        vals = needs[d].to_numpy(dtype=float) if d in needs else np.zeros(len(weeks))
        series.append(
            {
                "name": d.replace("_", " "),
                "type": "line",
                "showSymbol": False,
                "xAxisIndex": 0,
                "yAxisIndex": 0,
                "data": [[w, round(float(v), 3)] for w, v in zip(weeks, vals)],
                "lineStyle": {"color": DOMAIN_COLOURS[i % len(DOMAIN_COLOURS)], "width": 2},
                "itemStyle": {"color": DOMAIN_COLOURS[i % len(DOMAIN_COLOURS)]},
            }
        )
    ev = j.events
    by_event: dict[str, list] = {}
    cats = list(EVENT_LABELS) + sorted({e for e in ev["event"] if e not in EVENT_LABELS})
    for wk, e, dom, team in zip(ev["week"], ev["event"], ev["domain"], ev["team"]):
        tip = f"week {int(wk)}: {event_label(e)}" + (f" | {dom}" if dom else "") + (f" | {team}" if team else "")
        by_event.setdefault(e, []).append({"value": [int(wk), event_label(e)], "name": tip})
    for e, pts in by_event.items():
        series.append(
            {
                "name": event_label(e),
                "type": "scatter",
                "xAxisIndex": 1,
                "yAxisIndex": 1,
                "symbol": _SYMBOLS.get(e, "circle"),
                "symbolSize": 12 if e == "crisis" else 9,
                "data": pts,
                "itemStyle": {"color": BOTH_COLOUR if e == "crisis" else colour, "opacity": 0.8},
                "tooltip": {"formatter": "{b}"},
            }
        )
    xmax = max([*weeks, *[int(w) for w in ev["week"]], 10]) if len(weeks) or len(ev) else 10
    return {
        "animation": False,
        "title": {
            "text": WORLD_SHORT[j.world],
            "left": "center",
            "textStyle": {"fontSize": fonts["axis"] + 1, "color": colour},
        },
        "tooltip": {"trigger": "item"},
        "legend": {"top": 24, "data": [d.replace("_", " ") for d in domains], "textStyle": {"fontSize": fonts["legend"] - 1}},
        "grid": [
            {"left": 190, "right": 24, "top": 64, "height": "28%"},
            {"left": 190, "right": 24, "top": "47%", "bottom": 40},
        ],
        "xAxis": [
            {"type": "value", "gridIndex": 0, "min": 0, "max": xmax, "axisLabel": {"fontSize": fonts["axis"]}},
            {"type": "value", "gridIndex": 1, "min": 0, "max": xmax, "name": "week", "nameLocation": "middle",
             "nameGap": 24, "axisLabel": {"fontSize": fonts["axis"]}},
        ],
        "yAxis": [
            {"type": "value", "gridIndex": 0, "min": 0, "name": "need", "axisLabel": {"fontSize": fonts["axis"]},
             **({"max": y_max, "interval": y_max / 4} if y_max else {})},
            {"type": "category", "gridIndex": 1, "data": [event_label(c) for c in cats], "inverse": True,
             "axisLabel": {"fontSize": fonts["axis"] - 1, "interval": 0}},
        ],
        "series": series,
    }


def events_table(j: Journey, limit: int = 400) -> pd.DataFrame:
    """Both worlds' events side by side by week (for the table under the charts)."""
    rows = []
    for w in WORLDS:
        ev = j.worlds[w].events
        for wk, e, dom, team in zip(ev["week"], ev["event"], ev["domain"], ev["team"]):
            rows.append({"world": WORLD_SHORT[w], "week": int(wk), "what happened": event_label(e),
                         "need": str(dom).replace("_", " "), "service / team": team})
    df = pd.DataFrame(rows, columns=["world", "week", "what happened", "need", "service / team"])
    return df.sort_values(["week", "world"], kind="stable").tail(limit).reset_index(drop=True)
