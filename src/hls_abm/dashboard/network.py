"""The community view: every citizen as a dot, ties as lines, in both worlds.

The layout is computed once per Reset (both worlds share the same people and
the same network, so they share it too): neighbourhoods are laid out as
patches on a grid and citizens inside a patch by a short force-directed layout
of their ties. Patches are tinted by who serves them (NPM silos or a local
team), dots are coloured by wellbeing and citizens in crisis this week are
ringed.

Drawing is done server-side with matplotlib into a JPEG (one image of about
100 kB, whatever the population), so the browser stays responsive
with thousands of citizens. Patches and ties are drawn into a cached background
that is only redrawn when the teams change or every half-year of ties; each
frame then only re-colours the dots (matplotlib "blitting").
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np

from .theme import BOTH_COLOUR, WORLD_COLOURS, WORLD_SHORT, WORLDS

CRISIS_COLOUR = BOTH_COLOUR
WELLBEING_CMAP = "viridis"  # perceptually uniform, colour-blind safe


@dataclass
class Layout:
    """Fixed positions (n x 2 in [0, 1]) plus each neighbourhood's box."""

    pos: np.ndarray
    boxes: dict[int, tuple[float, float, float, float]]  # nb -> (x0, y0, w, h)


def force_layout(n: int, src: np.ndarray, dst: np.ndarray, rng: np.random.Generator, iterations: int = 30) -> np.ndarray:
    """Fruchterman-Reingold positions in [0, 1]^2 for ``n`` nodes (numpy, dense: n up to ~1,500)."""
    pos = rng.random((n, 2)).astype(np.float32)
    if n < 2 or len(src) == 0:
        return pos
    k2 = np.float32(1.0 / n)
    k = math.sqrt(k2)
    t = 0.1
    cool = t / (iterations + 1)
    for _ in range(iterations):
        x, y = pos[:, 0], pos[:, 1]
        dx = x[:, None] - x[None, :]
        dy = y[:, None] - y[None, :]
        f = dx * dx
        f += dy * dy
        np.maximum(f, 1e-4, out=f)
        np.divide(k2, f, out=f)  # every pair repels with k^2 / d
        disp = np.column_stack([(dx * f).sum(axis=1), (dy * f).sum(axis=1)])
        e = pos[src] - pos[dst]
        pull = e * (np.sqrt((e * e).sum(-1)) / k)[:, None]  # ties attract with d^2 / k
        np.add.at(disp, src, -pull)
        np.add.at(disp, dst, pull)
        step = np.maximum(np.sqrt((disp * disp).sum(-1)), 1e-9)[:, None]
        pos += disp / step * np.minimum(step, t)
        t -= cool
    return pos


def compute_layout(neighbourhood: np.ndarray, src: np.ndarray, dst: np.ndarray, seed: int = 0, iterations: int = 40) -> Layout:
    """Neighbourhood patches on a grid, citizens placed by their local ties (computed once per Reset)."""
    neighbourhood = np.asarray(neighbourhood).astype(int)
    src, dst = np.asarray(src).astype(int), np.asarray(dst).astype(int)
    n = len(neighbourhood)
    nbs = np.unique(neighbourhood)
    cols = max(1, int(math.ceil(math.sqrt(len(nbs)))))
    rows = int(math.ceil(len(nbs) / cols))
    pos = np.zeros((n, 2))
    boxes = {}
    rng = np.random.default_rng(seed)
    same = neighbourhood[src] == neighbourhood[dst]
    s_in, d_in = src[same], dst[same]
    local_index = np.zeros(n, dtype=int)
    pad = 0.08
    for k, nb in enumerate(nbs):
        r, c = divmod(k, cols)
        x0, y0 = c / cols, 1 - (r + 1) / rows
        w, h = 1 / cols, 1 / rows
        boxes[int(nb)] = (x0, y0, w, h)
        members = np.flatnonzero(neighbourhood == nb)
        if len(members) == 0:
            continue
        local_index[members] = np.arange(len(members))
        mask = neighbourhood[s_in] == nb
        if len(members) <= 1500:
            xy = force_layout(len(members), local_index[s_in[mask]], local_index[d_in[mask]], rng, iterations)
        else:  # very large patches: scatter evenly (a sunflower), still fixed and cheap
            i = np.arange(len(members)) + 0.5
            rad, ang = np.sqrt(i / len(members)), i * math.pi * (3 - math.sqrt(5))
            xy = np.column_stack([0.5 + 0.5 * rad * np.cos(ang), 0.5 + 0.5 * rad * np.sin(ang)])
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        span = np.where(hi - lo > 1e-9, hi - lo, 1.0)
        xy = (xy - lo) / span
        pos[members, 0] = x0 + w * (pad + (1 - 2 * pad) * xy[:, 0])
        pos[members, 1] = y0 + h * (pad + (1 - 2 * pad) * xy[:, 1])
    return Layout(pos=pos, boxes=boxes)


class NetworkRenderer:
    """Draws both worlds' networks into one JPEG, reusing a cached background."""

    def __init__(self, layout: Layout, width_px: int = 1400, height_px: int = 620, max_edges: int = 12000):
        import matplotlib

        matplotlib.use("Agg", force=False)
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.layout = layout
        self.max_edges = max_edges
        dpi = 100
        self.fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        self.axes = {}
        for i, w in enumerate(WORLDS):
            ax = self.fig.add_axes((0.005 + 0.5 * i, 0.15, 0.49, 0.75))
            ax.set_xlim(-0.01, 1.01)
            ax.set_ylim(-0.01, 1.01)
            ax.set_xticks([])
            ax.set_yticks([])
            for s in ax.spines.values():
                s.set_color(WORLD_COLOURS[w])
                s.set_linewidth(3)
            ax.set_title(WORLD_SHORT[w], color=WORLD_COLOURS[w], fontsize=20, fontweight="bold", pad=4)
            self.axes[w] = ax
        self._bg = None
        self._bg_key = None
        self._patches: list = []
        self._edges: list = []
        self._dots = {}
        self._rings = {}
        self._texts = {}
        size = max(4.0, min(30.0, 9000.0 / max(1, len(layout.pos))))
        for w, ax in self.axes.items():
            self._dots[w] = ax.scatter(
                layout.pos[:, 0], layout.pos[:, 1], s=size, c=np.zeros(len(layout.pos)), cmap=WELLBEING_CMAP,
                vmin=0, vmax=1, linewidths=0, zorder=3, animated=True,
            )
            self._rings[w] = ax.scatter(
                [], [], s=size * 6, facecolors="none", edgecolors=CRISIS_COLOUR, linewidths=1.6, zorder=4, animated=True,
            )
            self._texts[w] = ax.text(
                0.5, -0.015, "", transform=ax.transAxes, va="top", ha="center", fontsize=16, animated=True,
                color=WORLD_COLOURS[w],
            )
        self.fig.text(
            0.5, 0.962, "dots: citizens coloured by wellbeing; rings: crisis this week; "
            "tinted patches: who serves the neighbourhood", ha="center", fontsize=15, color=BOTH_COLOUR,
        )
        self._colour_scale()

    def _colour_scale(self) -> None:
        """The wellbeing colour scale under the two worlds."""
        from matplotlib import colormaps
        from matplotlib.cm import ScalarMappable
        from matplotlib.colors import Normalize

        cax = self.fig.add_axes((0.3, 0.035, 0.4, 0.03))
        bar = self.fig.colorbar(ScalarMappable(Normalize(0, 1), colormaps[WELLBEING_CMAP]), cax=cax,
                                orientation="horizontal")
        bar.set_ticks([0, 0.25, 0.5, 0.75, 1.0])
        bar.ax.tick_params(labelsize=13)
        cax.set_title("wellbeing (0 = very low, 1 = very high)", fontsize=14, pad=3)

    # -- background: patches and ties ------------------------------------
    def _draw_background(self, systems: dict[str, np.ndarray], edges: tuple[np.ndarray, np.ndarray, np.ndarray] | None):
        from matplotlib.collections import LineCollection
        from matplotlib.patches import FancyBboxPatch

        for a in self._patches + self._edges:
            a.remove()
        self._patches, self._edges = [], []
        for w, ax in self.axes.items():
            sysarr = systems.get(w, np.array([]))
            for nb, (x0, y0, bw, bh) in self.layout.boxes.items():
                kind = str(sysarr[nb]) if nb < len(sysarr) else w
                colour = WORLD_COLOURS.get(kind, BOTH_COLOUR)
                p = FancyBboxPatch(
                    (x0 + 0.006, y0 + 0.006), bw - 0.012, bh - 0.012, boxstyle="round,pad=0,rounding_size=0.015",
                    facecolor=colour, alpha=0.10, edgecolor=colour, linewidth=1.5, zorder=1,
                )
                ax.add_patch(p)
                self._patches.append(p)
                t = ax.text(x0 + 0.012, y0 + bh - 0.012, f"{nb}: {'local team' if kind == 'local_teams' else 'NPM silos'}",
                            fontsize=12, color=colour, va="top", ha="left", zorder=2)
                self._patches.append(t)
            if edges is not None:
                src, dst, strength = edges
                if len(src) > self.max_edges:  # keep the strongest ties
                    keep = np.argsort(-np.asarray(strength))[: self.max_edges]
                    src, dst, strength = src[keep], dst[keep], np.asarray(strength)[keep]
                segs = np.stack([self.layout.pos[src], self.layout.pos[dst]], axis=1)
                st = np.clip(np.asarray(strength, dtype=float), 0, 1)
                colours = np.zeros((len(st), 4))
                colours[:, :3] = 0.35
                colours[:, 3] = 0.04 + 0.30 * st
                lc = LineCollection(segs, colors=colours, linewidths=0.5, zorder=2)
                ax.add_collection(lc)
                self._edges.append(lc)
        for art in list(self._dots.values()) + list(self._rings.values()) + list(self._texts.values()):
            art.set_visible(False)
        self.canvas.draw()
        self._bg = self.canvas.copy_from_bbox(self.fig.bbox)
        for art in list(self._dots.values()) + list(self._rings.values()) + list(self._texts.values()):
            art.set_visible(True)

    def render(self, snapshot: dict[str, dict[str, np.ndarray]], edges=None, bg_key=None) -> bytes:
        """JPEG of both worlds now. ``bg_key`` changes when patches/ties must be redrawn."""
        systems = {w: snapshot[w]["system"] for w in snapshot}
        key = (bg_key, tuple(tuple(map(str, systems[w])) for w in sorted(systems)))
        if self._bg is None or key != self._bg_key:
            self._draw_background(systems, edges)
            self._bg_key = key
        self.canvas.restore_region(self._bg)
        for w, ax in self.axes.items():
            s = snapshot.get(w)
            if s is None:
                continue
            wb = np.clip(s["wellbeing"], 0, 1)
            self._dots[w].set_array(wb)
            crisis = np.flatnonzero(s["in_crisis"])
            self._rings[w].set_offsets(self.layout.pos[crisis] if len(crisis) else np.zeros((0, 2)))
            self._texts[w].set_text(
                f"mean wellbeing {np.mean(wb):.2f}   in crisis this week: {len(crisis)}   "
                f"worst-off 10%: {np.percentile(wb, 10):.2f}"
            )
            ax.draw_artist(self._dots[w])
            ax.draw_artist(self._rings[w])
            ax.draw_artist(self._texts[w])
        self.canvas.blit(self.fig.bbox)
        return _jpeg(self.canvas)


def _jpeg(canvas) -> bytes:
    """The canvas as JPEG: a tenth of the PNG's size for the same picture, quick to encode and send."""
    from PIL import Image

    buf = np.asarray(canvas.buffer_rgba())
    img = Image.fromarray(buf[:, :, :3])
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=85)
    return out.getvalue()
