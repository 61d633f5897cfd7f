"""ECharts options for the live charts: both worlds on every chart.

Each function turns a :class:`~hls_abm.dashboard.controller.Frame` into a plain
ECharts option dict (no drawing happens in Python; the browser draws). The data
sent is bounded: the frame is already thinned to at most a few hundred weeks,
numbers are rounded to four significant figures, and animation is off, so a
redraw costs the same at week 500 as at week 5.

What each chart means for the room is in :data:`CHARTS` (``question``) and is
shown under the chart on the page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .controller import Frame, Intervention
from .theme import WORLD_COLOURS, WORLD_SHORT, WORLDS, font_sizes, target_colour


@dataclass(frozen=True)
class Line:
    """One measure drawn for both worlds: solid or dashed, left or right axis."""

    metric: str
    label: str
    dashed: bool = False
    axis: int = 0
    area: bool = False


@dataclass(frozen=True)
class ChartSpec:
    key: str
    title: str
    question: str
    lines: tuple[Line, ...]
    axis_names: tuple[str, ...] = ("",)
    kind: str = "lines"  # lines | stacked


CHARTS: dict[str, ChartSpec] = {
    c.key: c
    for c in (
        ChartSpec(
            "demand",
            "Demand: value vs failure demand",
            "Contacts per week. Value demand (solid) is people asking for help they need; failure demand "
            "(dashed) is people coming back because a service failed them the first time: chasing, "
            "re-referrals, being passed on.",
            (Line("value_demand", "value demand"), Line("failure_demand", "failure demand", dashed=True)),
            ("contacts / week",),
        ),
        ChartSpec(
            "cost",
            "Cost by component",
            "Weekly spend, stacked: staff, direct support, management overhead (targets, assessment, "
            "commissioning), the cost of crises (A&E, evictions, police) and one-off investment (new teams, "
            "community). The left panel is NPM, the right local teams.",
            (
                Line("cost_staff", "staff"),
                Line("cost_support", "support"),
                Line("cost_overhead", "overhead"),
                Line("cost_crisis", "crisis"),
                Line("cost_investment", "investment"),
            ),
            ("cost / week",),
            kind="stacked",
        ),
        ChartSpec(
            "wellbeing",
            "Wellbeing",
            "Mean wellbeing of all citizens (solid) and of the worst-off tenth (dashed, 10th percentile). "
            "A gap that widens means the system is failing the people with the most complex lives.",
            (Line("mean_wellbeing", "mean"), Line("p10_wellbeing", "worst-off 10%", dashed=True)),
            ("wellbeing (0-1)",),
        ),
        ChartSpec(
            "waiting",
            "Waiting list",
            "People waiting for a service (solid) and the mean weeks they have waited (dashed, right axis). "
            "Needs grow while people wait.",
            (Line("waiting_list", "waiting"), Line("mean_wait_weeks", "mean wait (weeks)", dashed=True, axis=1)),
            ("people waiting", "weeks"),
        ),
        ChartSpec(
            "staff",
            "Staff stress and turnover",
            "Mean staff stress (solid, 0-1) and staff leaving per week (dashed, right axis). Workload drives "
            "stress, stress drives sickness and turnover, which shrinks capacity and adds workload.",
            (Line("staff_stress", "stress"), Line("staff_turnover", "turnover", dashed=True, axis=1)),
            ("stress (0-1)", "leavers / week"),
        ),
        ChartSpec(
            "community",
            "Community ties",
            "Mean strength of the ties between neighbours (solid) and the share of citizens who are isolated "
            "(dashed, right axis). Strong ties carry informal help and make people resilient.",
            (Line("mean_tie_strength", "tie strength"), Line("isolated_share", "isolated share", dashed=True, axis=1)),
            ("tie strength", "share isolated"),
        ),
        ChartSpec(
            "goodhart",
            "Goodhart: reported KPI vs real outcome",
            "What the performance report says (dashed: the KPI the service is managed by) against what "
            "really happens to people (solid). Under target pressure NPM's KPI improves while real outcomes "
            "do not: 'when a measure becomes a target, it ceases to be a good measure'.",
            (Line("reported_kpi", "reported KPI", dashed=True), Line("real_outcome", "real outcome")),
            ("score (0-1)",),
        ),
    )
}

#: The six charts of the overview grid, in reading order.
OVERVIEW = ("demand", "cost", "wellbeing", "waiting", "staff", "community")

#: Shades of the world colour for the stacked cost components (darkest first).
_STACK_ALPHA = (1.0, 0.7, 0.45, 0.25, 0.1)  # tint strength per layer


def _round(v: float) -> float | None:
    if v is None or not math.isfinite(v):
        return None
    if v == 0:
        return 0.0
    return float(f"{v:.4g}")


def _column(a: np.ndarray) -> list:
    return [_round(float(x)) for x in a]


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
    return f"rgba({r},{g},{b},{alpha})"


def _tint(hex_colour: str, strength: float) -> str:
    """``hex_colour`` mixed with white (strength 1 = the colour itself), opaque."""
    h = hex_colour.lstrip("#")
    rgb = [int(h[i:i + 2], 16) for i in (0, 2, 4)]
    mixed = [round(255 - (255 - c) * strength) for c in rgb]
    return "#" + "".join(f"{c:02x}" for c in mixed)


def x_max(week: int) -> int:
    """Right end of the week axis: at least a year, growing in half-years."""
    return max(52, int(math.ceil(max(week, 1) / 26.0)) * 26)


def _merge_interventions(ivs: Sequence[Intervention]) -> list[tuple[int, str, str]]:
    """One marker per (week, target); repeated labels are counted (x2)."""
    grouped: dict[tuple[int, str], list[str]] = {}
    for iv in ivs:
        grouped.setdefault((iv.week, iv.target), []).append(iv.marker_label)
    out = []
    for (week, target), labels in sorted(grouped.items()):
        counts: dict[str, int] = {}
        for lab in labels:
            counts[lab] = counts.get(lab, 0) + 1
        text = "; ".join(lab if n == 1 else f"{lab} x{n}" for lab, n in counts.items())
        out.append((week, target, text))
    return out


def marker_series(frame: Frame, fonts: dict, x_axis: int = 0, y_axis: int = 0, labels: bool = True) -> dict:
    """An empty series carrying one vertical line per intervention, labelled."""
    data = []
    for week, target, text in _merge_interventions(frame.interventions):
        data.append(
            {
                "xAxis": week,
                "name": text,
                "lineStyle": {"color": target_colour(target), "type": "solid", "width": 2},
                "label": {
                    "show": labels,
                    "formatter": text,
                    "color": target_colour(target),
                    "position": "insideEndTop",
                    "fontSize": fonts["marker"],
                    "fontWeight": "bold",
                },
            }
        )
    return {
        "name": "interventions",
        "type": "line",
        "xAxisIndex": x_axis,
        "yAxisIndex": y_axis,
        "data": [],
        "silent": True,
        "markLine": {"symbol": ["none", "none"], "animation": False, "silent": True, "data": data},
    }


def _base(spec: ChartSpec, frame: Frame, fonts: dict) -> dict:
    return {
        "animation": False,
        "title": {"text": spec.title, "left": "center", "textStyle": {"fontSize": fonts["title"]}},
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0, "textStyle": {"fontSize": fonts["legend"]}, "itemWidth": 36},
    }


def _axis(name: str, fonts: dict, **kw) -> dict:
    d = {
        "type": "value",
        "name": name,
        "nameTextStyle": {"fontSize": fonts["axis"]},
        "axisLabel": {"fontSize": fonts["axis"]},
        "scale": False,
    }
    d.update(kw)
    return d


def line_chart(spec: ChartSpec, frame: Frame, presentation: bool = False) -> dict:
    """Both worlds' lines for each measure of ``spec`` plus intervention markers."""
    fonts = font_sizes(presentation)
    opt = _base(spec, frame, fonts)
    cols = [_column(frame.weeks)]
    series = []
    for w in WORLDS:
        for line in spec.lines:
            cols.append(_column(frame.metric(w, line.metric)))
            series.append(
                {
                    "name": f"{WORLD_SHORT[w]}: {line.label}",
                    "type": "line",
                    "showSymbol": False,
                    "symbol": "none",
                    "yAxisIndex": line.axis,
                    "encode": {"x": 0, "y": len(cols) - 1},
                    "lineStyle": {"color": WORLD_COLOURS[w], "width": 3, "type": "dashed" if line.dashed else "solid"},
                    "itemStyle": {"color": WORLD_COLOURS[w]},
                    "connectNulls": True,
                }
            )
    source = [list(row) for row in zip(*cols)] if len(frame.weeks) else []
    opt["dataset"] = {"source": source}
    opt["grid"] = {"left": 64, "right": 64 if len(spec.axis_names) > 1 else 24, "top": 56, "bottom": 92}
    opt["legend"]["data"] = [s["name"] for s in series]
    opt["xAxis"] = _axis("week", fonts, min=0, max=x_max(frame.week), nameLocation="middle", nameGap=26)
    opt["yAxis"] = [_axis(n, fonts, splitLine={"show": i == 0}) for i, n in enumerate(spec.axis_names)]
    series.append(marker_series(frame, fonts))
    opt["series"] = series
    return opt


def stacked_chart(spec: ChartSpec, frame: Frame, presentation: bool = False) -> dict:
    """Cost components stacked, NPM left and local teams right, same y scale.

    The stacking is done here (running totals) and drawn back to front with
    opaque tints: ECharts' own stacking would stack the week axis, since both
    axes are numeric.
    """
    fonts = font_sizes(presentation)
    opt = _base(spec, frame, fonts)
    weeks = [int(x) for x in frame.weeks]
    series = []
    ymax = 0.0
    for gi, w in enumerate(WORLDS):
        running = np.zeros(len(weeks))
        layers = []
        for li, line in enumerate(spec.lines):
            part = np.nan_to_num(frame.metric(w, line.metric))
            running = running + part
            if li == 0 or part.any():  # a component that is zero all along is left out
                layers.append((li, line, running.copy()))
        for li, line, top in reversed(layers):  # the tallest (total) first, at the back
            colour = _tint(WORLD_COLOURS[w], _STACK_ALPHA[li % len(_STACK_ALPHA)])
            series.append(
                {
                    "name": f"{WORLD_SHORT[w]}: {line.label}",
                    "type": "line",
                    "showSymbol": False,
                    "symbol": "none",
                    "xAxisIndex": gi,
                    "yAxisIndex": gi,
                    "data": [[x, y] for x, y in zip(weeks, _column(top))],
                    "lineStyle": {"width": 1, "color": WORLD_COLOURS[w]},
                    "areaStyle": {"color": colour, "opacity": 1},
                    "itemStyle": {"color": colour},
                    "endLabel": {"show": True, "formatter": line.label, "fontSize": fonts["axis"] - 1,
                                 "color": "#333"},
                    "labelLayout": {"hideOverlap": True},
                }
            )
        if len(running):
            ymax = max(ymax, float(np.nanmax(running)))
    opt["tooltip"] = {"trigger": "axis"}
    opt["grid"] = [
        {"left": 64, "width": "33%", "top": 64, "bottom": 60},
        {"right": 64, "width": "33%", "top": 64, "bottom": 60},
    ]
    top = _round(ymax * 1.05) if ymax > 0 else None
    opt["xAxis"] = [
        _axis("week", fonts, gridIndex=i, min=0, max=x_max(frame.week), nameLocation="middle", nameGap=26)
        for i in range(2)
    ]
    opt["yAxis"] = [
        _axis(spec.axis_names[0] if i == 0 else "", fonts, gridIndex=i, min=0, **({"max": top} if top else {}))
        for i in range(2)
    ]
    opt["title"] = [
        opt["title"],
        {"text": WORLD_SHORT["npm"], "left": "22%", "top": 30, "textStyle": {"color": WORLD_COLOURS["npm"], "fontSize": fonts["legend"]}},
        {"text": WORLD_SHORT["local_teams"], "left": "70%", "top": 30, "textStyle": {"color": WORLD_COLOURS["local_teams"], "fontSize": fonts["legend"]}},
    ]
    opt["legend"] = {"show": False}  # each layer is labelled at its right end instead
    series.append(marker_series(frame, fonts, 0, 0, labels=True))
    series.append(marker_series(frame, fonts, 1, 1, labels=False))
    opt["series"] = series
    return opt


def goodhart_chart(frame: Frame, presentation: bool = False) -> dict:
    """Reported KPI against real outcome, with NPM's gap shaded."""
    spec = CHARTS["goodhart"]
    opt = line_chart(spec, frame, presentation)
    gap = frame.metric("npm", "reported_kpi") - frame.metric("npm", "real_outcome")
    opt["dataset"]["source"] = [row + [_round(float(g))] for row, g in zip(opt["dataset"]["source"], gap)]
    gap_col = 1 + 2 * len(spec.lines)
    opt["yAxis"].append(_axis("NPM gap (KPI - real)", font_sizes(presentation), splitLine={"show": False}))
    opt["series"].insert(
        -1,
        {
            "name": "NPM: gap (KPI minus real)",
            "type": "line",
            "showSymbol": False,
            "yAxisIndex": 1,
            "encode": {"x": 0, "y": gap_col},
            "lineStyle": {"width": 0},
            "areaStyle": {"color": _rgba(WORLD_COLOURS["npm"], 0.18)},
            "itemStyle": {"color": _rgba(WORLD_COLOURS["npm"], 0.5)},
            "connectNulls": True,
        },
    )
    opt["grid"]["right"] = 64
    return opt


def chart_option(key: str, frame: Frame, presentation: bool = False) -> dict:
    spec = CHARTS[key]
    if key == "goodhart":
        return goodhart_chart(frame, presentation)
    if spec.kind == "stacked":
        return stacked_chart(spec, frame, presentation)
    return line_chart(spec, frame, presentation)


def chart_attributes(key: str, frame: Frame, height: int) -> dict:
    """HTML attributes of the chart's box: size, plus what it shows (for tests)."""
    return {
        "style": f"height: {height}px; width: 100%;",
        "data-chart": key,
        "data-week": str(frame.week),
        "data-points": str(len(frame.weeks)),
        "data-markers": str(len(frame.interventions)),
    }
