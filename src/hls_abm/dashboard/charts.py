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

from .history import NOISY as _SMOOTHED
from .history import SMOOTH_WEEKS, Frame, Intervention
from .theme import BOTH_COLOUR, WORLD_COLOURS, WORLD_SHORT, WORLDS, font_sizes, target_colour


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
    scale: tuple[float, ...] = (1.0,)  # the data is divided by this per axis (euros in thousands, ...)


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
            ("€ thousand / week",),
            kind="stacked",
            scale=(1000.0,),
        ),
        ChartSpec(
            "cumcost",
            "Total cost so far",
            "Everything spent since week 0 in each world (solid), and how much more NPM has cost than local "
            "teams (dashed, right axis; below zero means NPM cost less). With \"How sure are we?\" on, the "
            "shading shows the range over other towns (seeds).",
            (Line("cumulative_cost", "total so far"), Line("cost_gap", "NPM minus local", dashed=True, axis=1)),
            ("€ million", "€ million"),
            scale=(1e6, 1e6),
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
            "Needs waiting for a service (solid: one person with three needs waiting counts three times) and "
            "the mean weeks they have waited (dashed, right axis). Needs grow while people wait.",
            (Line("waiting_list", "needs waiting"), Line("mean_wait_weeks", "mean wait (weeks)", dashed=True, axis=1)),
            ("needs waiting", "weeks"),
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

#: The charts of the overview grid, in reading order.
OVERVIEW = ("demand", "cumcost", "cost", "wellbeing", "waiting", "staff", "community")

#: Shades of the world colour for the stacked cost components (darkest first).
_STACK_ALPHA = (1.0, 0.7, 0.45, 0.25, 0.1)  # tint strength per layer


def _round(v: float) -> float | None:
    if v is None or not math.isfinite(v):
        return None
    if v == 0:
        return 0.0
    return float(f"{v:.4g}")


def _column(a: np.ndarray, scale: float = 1.0) -> list:
    return [_round(float(x) / scale) for x in a]


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


def nice_ceiling(v: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above ``v`` (an axis end that is also a tick)."""
    if not math.isfinite(v) or v <= 0:
        return 1.0
    k = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if m * k >= v * (1 - 1e-9):
            return m * k
    return 10 * k


def _x_axis(frame: Frame, fonts: dict, **kw) -> dict:
    """The week axis: ends on a tick (every 13 or 26 weeks), so end labels never collide."""
    top = x_max(frame.week)
    return _axis("week", fonts, min=0, max=top, interval=13 if top <= 104 else 26 * math.ceil(top / 520),
                 nameLocation="middle", nameGap=26, **kw)


def _merge_interventions(ivs: Sequence[Intervention], world: str | None = None) -> list[tuple[int, str, str, str]]:
    """One marker per (week, target): (week, target, number(s), full text); ``world`` keeps only
    the interventions that changed that world."""
    grouped: dict[tuple[int, str], list[tuple[int, str]]] = {}
    for i, iv in enumerate(ivs, start=1):
        if world is not None and world not in iv.changed:
            continue
        grouped.setdefault((iv.week, iv.target), []).append((i, iv.marker_label))
    out = []
    for (week, target), items in sorted(grouped.items()):
        counts: dict[str, int] = {}
        for _i, lab in items:
            counts[lab] = counts.get(lab, 0) + 1
        text = "; ".join(lab if n == 1 else f"{lab} x{n}" for lab, n in counts.items())
        nums = ",".join(str(i) for i, _lab in items)
        out.append((week, target, nums, text))
    return out


def marker_series(frame: Frame, fonts: dict, x_axis: int = 0, y_axis: int = 0, world: str | None = None) -> dict:
    """An empty series carrying one dashed vertical line per intervention, numbered above the plot.

    The number matches the intervention log; the full text is in the line's tooltip and name.
    Labels sit above the plot area, so they never run over the data or into the legend.
    """
    data = []
    for week, target, nums, text in _merge_interventions(frame.interventions, world):
        colour = target_colour(target)
        data.append({
            "xAxis": week,
            "name": text,
            "lineStyle": {"color": colour, "type": "dashed", "width": 2},
            "label": {"show": True, "formatter": nums, "color": colour, "position": "end",
                      "fontSize": fonts["marker"], "fontWeight": "bold"},
        })
    return {
        "name": "interventions",
        "type": "line",
        "xAxisIndex": x_axis,
        "yAxisIndex": y_axis,
        "data": [],
        "silent": True,
        "markLine": {"symbol": ["none", "none"], "animation": False, "silent": True, "data": data},
    }


def _title(spec: ChartSpec, frame: Frame) -> str:
    noisy = any(line.metric in _SMOOTHED for line in spec.lines)
    return spec.title + (f" ({SMOOTH_WEEKS}-week mean)" if frame.smooth and noisy else "")


def _base(spec: ChartSpec, frame: Frame, fonts: dict) -> dict:
    return {
        "animation": False,
        "title": {"text": _title(spec, frame), "left": "center", "textStyle": {"fontSize": fonts["title"]}},
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0, "textStyle": {"fontSize": fonts["legend"]}, "itemWidth": 30, "itemGap": 8},
    }


def _axis(name: str, fonts: dict, **kw) -> dict:
    d = {
        "type": "value",
        "name": name,
        "nameTextStyle": {"fontSize": fonts["axis"]},
        "axisLabel": {"fontSize": fonts["axis"], "hideOverlap": True},
        "scale": False,
    }
    d.update(kw)
    return d


def _line(name: str, colour: str, axis: int, col: int, dashed: bool, single: bool) -> dict:
    return {
        "name": name,
        "type": "line",
        "showSymbol": single,  # one point (week 0) is drawn as a dot, so the start shows
        "symbol": "circle",
        "symbolSize": 8,
        "yAxisIndex": axis,
        "encode": {"x": 0, "y": col},
        "lineStyle": {"color": colour, "width": 3, "type": "dashed" if dashed else "solid"},
        "itemStyle": {"color": colour},
        "connectNulls": True,
    }


def line_chart(spec: ChartSpec, frame: Frame, presentation: bool = False) -> dict:
    """Both worlds' lines for each measure of ``spec`` plus intervention markers."""
    fonts = font_sizes(presentation)
    opt = _base(spec, frame, fonts)
    cols = [_column(frame.weeks)]
    series = []
    single = len(frame.weeks) < 2
    for w in WORLDS:
        for line in spec.lines:
            if line.metric == "cost_gap" and w != "npm":
                continue  # the difference between the worlds is one line
            scale = spec.scale[line.axis] if line.axis < len(spec.scale) else 1.0
            cols.append(_column(frame.metric(w, line.metric), scale))
            colour = BOTH_COLOUR if line.metric == "cost_gap" else WORLD_COLOURS[w]
            label = line.label if line.metric == "cost_gap" else f"{WORLD_SHORT[w]}: {line.label}"
            series.append(_line(label, colour, line.axis, len(cols) - 1, line.dashed, single))
    series.extend(_band_series(spec, frame, cols))
    opt["dataset"] = {"source": [list(row) for row in zip(*cols)] if len(frame.weeks) else []}
    # Axis names sit above the intervention numbers (which sit just above the plot), so they never meet.
    opt["grid"] = {"left": 16, "right": 16, "top": 48 + 2 * fonts["marker"], "bottom": 34 + 26 * _legend_rows(series, presentation),
                   "containLabel": True}
    opt["legend"]["data"] = [s["name"] for s in series if not s.get("_band")]
    opt["xAxis"] = _x_axis(frame, fonts)
    money = {"minInterval": 0.01} if spec.scale[0] >= 1e6 else {}
    opt["yAxis"] = [_axis(n, fonts, splitLine={"show": i == 0}, nameGap=fonts["marker"] + 10, **money,
                          nameTextStyle={"fontSize": fonts["axis"], "align": "left" if i == 0 else "right"})
                    for i, n in enumerate(spec.axis_names)]
    series.append(marker_series(frame, fonts))
    for s in series:
        s.pop("_band", None)
    opt["series"] = series
    return opt


def _legend_rows(series: list[dict], presentation: bool) -> int:
    return 2 if presentation or len(series) > 4 else 1


def _band_series(spec: ChartSpec, frame: Frame, cols: list) -> list[dict]:
    """The range over the extra seeds ("How sure are we?") as a shaded band per world: an
    invisible lower line and the band's height stacked on it."""
    out = []
    line = spec.lines[0]
    if not frame.band or line.metric != "cumulative_cost":
        return out
    for w in WORLDS:
        b = frame.band.get(w, {})
        if "lo" not in b or len(b["lo"]) == 0:
            continue
        n = len(frame.weeks)
        lo = np.full(n, np.nan)
        hi = np.full(n, np.nan)
        lo[: len(b["lo"])], hi[: len(b["hi"])] = b["lo"], b["hi"]
        cols.append(_column(lo, spec.scale[0]))
        cols.append(_column(hi - lo, spec.scale[0]))
        stack = f"band-{w}"
        base = {"type": "line", "showSymbol": False, "stack": stack, "yAxisIndex": 0, "silent": True,
                "lineStyle": {"width": 0}, "_band": True, "connectNulls": False, "tooltip": {"show": False}}
        out.append({**base, "name": f"{WORLD_SHORT[w]}: band low", "encode": {"x": 0, "y": len(cols) - 2}})
        out.append({**base, "name": f"{WORLD_SHORT[w]}: range over {frame.band_towns} towns",
                    "encode": {"x": 0, "y": len(cols) - 1},
                    "areaStyle": {"color": _rgba(WORLD_COLOURS[w], 0.22)}})
    return out


def stacked_chart(spec: ChartSpec, frame: Frame, presentation: bool = False) -> dict:
    """Cost components stacked, NPM left and local teams right, same y scale, in € thousands.

    The stacking is done here (running totals) and drawn back to front with
    opaque tints; the legend under the chart names the layers, so no label
    runs over the other panel. Each panel carries only the markers of the
    interventions that changed its world.
    """
    fonts = font_sizes(presentation)
    opt = _base(spec, frame, fonts)
    weeks = [int(x) for x in frame.weeks]
    series, legend = [], []
    ymax = 0.0
    single = len(weeks) < 2
    for gi, w in enumerate(WORLDS):
        running = np.zeros(len(weeks))
        layers = []
        for li, line in enumerate(spec.lines):
            part = np.nan_to_num(frame.metric(w, line.metric)) / spec.scale[0]
            running = running + part
            if li == 0 or part.any():  # a component that is zero all along is left out
                layers.append((li, line, running.copy()))
        for li, line, top in reversed(layers):  # the tallest (total) first, at the back
            colour = _tint(WORLD_COLOURS[w], _STACK_ALPHA[li % len(_STACK_ALPHA)])
            name = f"{WORLD_SHORT[w]}: {line.label}"
            legend.insert(0 if gi == 0 else len(legend), name)
            series.append({
                "name": name, "type": "line", "showSymbol": single, "symbol": "circle", "symbolSize": 8,
                "xAxisIndex": gi, "yAxisIndex": gi,
                "data": [[x, y] for x, y in zip(weeks, _column(top))],
                "lineStyle": {"width": 1, "color": WORLD_COLOURS[w]},
                "areaStyle": {"color": colour, "opacity": 1},
                "itemStyle": {"color": colour},
            })
        if len(running):
            ymax = max(ymax, float(np.nanmax(running)))
    top = nice_ceiling(ymax * 1.02) if ymax > 0 else 1.0
    opt["grid"] = [
        {"left": 16, "right": "53%", "top": 54 + 2 * fonts["marker"], "bottom": 40 + 24 * (3 if presentation else 2), "containLabel": True},
        {"left": "53%", "right": 16, "top": 54 + 2 * fonts["marker"], "bottom": 40 + 24 * (3 if presentation else 2), "containLabel": True},
    ]
    opt["xAxis"] = [_x_axis(frame, fonts, gridIndex=i) for i in range(2)]
    opt["yAxis"] = [
        _axis(spec.axis_names[0] if i == 0 else "", fonts, gridIndex=i, min=0, max=top, interval=top / 5, nameGap=fonts["marker"] + 10,
              nameTextStyle={"fontSize": fonts["axis"], "align": "left"})
        for i in range(2)
    ]
    opt["title"] = [
        opt["title"],
        {"text": WORLD_SHORT["npm"], "left": "24%", "top": fonts["title"] + 14, "textAlign": "center",
         "textStyle": {"color": WORLD_COLOURS["npm"], "fontSize": fonts["legend"]}},
        {"text": WORLD_SHORT["local_teams"], "left": "76%", "top": fonts["title"] + 14, "textAlign": "center",
         "textStyle": {"color": WORLD_COLOURS["local_teams"], "fontSize": fonts["legend"]}},
    ]
    opt["legend"].update({"data": legend, "itemWidth": 18})
    series.append(marker_series(frame, fonts, 0, 0, world="npm"))
    series.append(marker_series(frame, fonts, 1, 1, world="local_teams"))
    opt["series"] = series
    return opt


def goodhart_chart(frame: Frame, presentation: bool = False) -> dict:
    """Reported KPI against real outcome, with the gap between NPM's two lines shaded.

    The shading is an invisible line at the lower of NPM's two lines with the gap
    stacked on top of it, on the same axis, so the band lies exactly between them.
    """
    spec = CHARTS["goodhart"]
    opt = line_chart(spec, frame, presentation)
    kpi, real = frame.metric("npm", "reported_kpi"), frame.metric("npm", "real_outcome")
    low = np.fmin(kpi, real)
    gap = np.abs(kpi - real)
    src = opt["dataset"]["source"]
    opt["dataset"]["source"] = [row + [_round(float(lo)), _round(float(g))] for row, lo, g in zip(src, low, gap)]
    ncol = 1 + 2 * len(spec.lines)
    common = {"type": "line", "showSymbol": False, "yAxisIndex": 0, "stack": "npm-gap", "silent": True,
              "lineStyle": {"width": 0}, "connectNulls": True}
    opt["series"][-1:-1] = [
        {**common, "name": "NPM gap base", "encode": {"x": 0, "y": ncol}, "tooltip": {"show": False}},
        {**common, "name": "NPM: gap (KPI vs real)", "encode": {"x": 0, "y": ncol + 1},
         "areaStyle": {"color": _rgba(WORLD_COLOURS["npm"], 0.22)}, "itemStyle": {"color": _rgba(WORLD_COLOURS["npm"], 0.5)}},
    ]
    opt["legend"]["data"] = opt["legend"]["data"] + ["NPM: gap (KPI vs real)"]
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
