"""Figure helpers of the validation patterns: a grid of axes, a line with its 95% CI band,
saving under the docs' size limit, and adopting an example experiment's figure.

Colours come from ``hls_abm.palette`` (``scenario_colour``, ``WORLD_COLOURS``), the project's one
colour table, so a world has the same colour here as on the dashboard and in exports."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from framework import Result, Stat

def new_figure(ncols: int, nrows: int = 1, w: float = 4.6, h: float = 3.6):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w * ncols, h * nrows), dpi=100, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for a in axes.flat:
        a.grid(alpha=0.3)
    return fig, axes


def save(fig, path: Path, res: Result) -> Path:
    fig.savefig(path, dpi=100)
    shrink_png(path)
    res.figures.append(str(path))
    return path


def shrink_png(path: Path, limit: int = 195_000) -> None:
    """Keep a PNG under ``limit`` bytes (palette quantisation, then downscaling)."""
    path = Path(path)
    if path.stat().st_size <= limit:
        return
    try:
        from PIL import Image
    except ImportError:  # Pillow comes with the [app] extra; without it the figure stays as drawn
        return
    img = Image.open(path).convert("RGB")
    q = img.quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    q.save(path, optimize=True)
    while path.stat().st_size > limit:
        img = img.resize((int(img.width * 0.85), int(img.height * 0.85)), Image.Resampling.LANCZOS)
        img.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def line_ci(ax, x, stats_: list[Stat], label=None, color=None, ls="-", marker="o"):
    m = np.array([s.mean for s in stats_])
    lo = np.array([s.lo for s in stats_])
    hi = np.array([s.hi for s in stats_])
    ax.plot(x, m, ls=ls, marker=marker, ms=3.5, color=color, label=label)
    ax.fill_between(x, lo, hi, color=color, alpha=0.18, lw=0)


def adopt_figure(src: Path, res: Result, dest: Path) -> Path:
    """Copy an example experiment's figure into the pattern's directory (under the size limit)."""
    shutil.copyfile(src, dest)
    shrink_png(dest)
    res.figures.append(str(dest))
    return dest


def adopt_example(ex, df, res: Result, dest: Path) -> Path:
    """Draw an example experiment's figure with its own ``figure()`` from the sweep that ``df`` came
    from, adopt it as ``dest`` and list the example's table; returns the table's path."""
    png, csv = ex.figure(df.attrs["dir"])
    adopt_figure(png, res, dest)
    res.tables.append(str(csv))
    return csv
