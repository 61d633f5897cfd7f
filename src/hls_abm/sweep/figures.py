"""The standard figures of a sweep: fan charts, heatmaps, lines with confidence bands, Sobol
and Morris bars, tornado charts. Drawn on matplotlib ``Figure`` objects (no pyplot state,
no display needed); every ``plot_*`` saves a PNG and returns its path, or draws into a given
``ax``. Scenario colours come from :mod:`hls_abm.palette`, as on the page and in exports;
charts that are about no world in particular are drawn in its neutral colour."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from hls_abm.palette import BOTH_COLOUR, scenario_colour

from .frames import series_bands, tornado_table

__all__ = ["plot_fan", "plot_heatmap", "plot_line", "plot_sobol", "plot_morris", "plot_tornado"]

_LIGHT = 0.45  # alpha of the second (lighter) bar of a pair, in the neutral colour


def _color(name, i):
    return scenario_colour(str(name), i)


def _figure(w=7.0, h=4.2):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h), dpi=110, layout="constrained")
    return fig


def _axes(ax, w=7.0, h=4.2):
    """Draw into ``ax`` when given (a panel of a bigger figure), else into a new figure."""
    if ax is not None:
        return None, ax
    fig = _figure(w, h)
    return fig, fig.add_subplot()


def _finish(fig, ax, path):
    """Save a figure this module made and return its path; return ``ax`` when drawing into a given one."""
    if fig is None:
        if path is not None:
            return _save(ax.figure, path)
        return ax
    if path is None:
        raise ValueError("give path= (where to save the PNG) or ax= (a matplotlib Axes to draw into)")
    return _save(fig, path)


def _save(fig, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path


def _short(v: float) -> str:
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:.3g}M"
    if a >= 1e3:
        return f"{v / 1e3:.3g}k"
    return f"{v:.3g}"


def _label(name: str) -> str:
    return name.replace("_", " ").replace(".", ": ")


def plot_fan(series: pd.DataFrame, column: str, path=None, by="scenario", title: str | None = None,
             ylabel: str | None = None, ax=None):
    """Fan chart over weeks: median line, 25-75% and 5-95% bands across runs, per group."""
    bands = series_bands(series, column, by=by)
    fig, ax = _axes(ax)
    groups = list(dict.fromkeys(bands[by])) if isinstance(by, str) else [None]
    for i, gname in enumerate(groups):
        b = bands[bands[by] == gname] if gname is not None else bands
        c = _color(gname, i)
        ax.fill_between(b["week"], b["q05"], b["q95"], color=c, alpha=0.15, linewidth=0)
        ax.fill_between(b["week"], b["q25"], b["q75"], color=c, alpha=0.3, linewidth=0)
        ax.plot(b["week"], b["q50"], color=c, lw=1.8, label=f"{gname} (n={int(b['n'].max())})")
    if (bands["q05"] < 0).any() and (bands["q95"] > 0).any():
        ax.axhline(0, color="0.6", lw=0.6)
    ax.set_xlabel("week")
    ax.set_ylabel(ylabel or _label(column))
    ax.set_title(title or f"{_label(column)}: median, 50% and 90% bands across runs", fontsize=10)
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return _finish(fig, ax, path)


def plot_heatmap(diff: pd.DataFrame, x: str, y: str, output: str, path=None, title: str | None = None, ax=None):
    """Heatmap of the mean twin-world difference of ``output`` over two factors (diverging at 0).

    Cells whose confidence interval excludes 0 are marked with a dot.
    """
    from matplotlib.colors import TwoSlopeNorm

    d = diff[diff["output"] == output]
    other = [c for c in d.columns if c not in (x, y, "output", "n", "mean", "std", "ci_low", "ci_high",
                                                 "share_b_lower", "mean_a", "mean_b")]
    if other:  # average over further factors
        d = d.groupby([x, y], as_index=False)[["mean", "ci_low", "ci_high"]].mean()
    m = d.pivot_table(index=y, columns=x, values="mean", aggfunc="mean").sort_index()
    lo = d.pivot_table(index=y, columns=x, values="ci_low", aggfunc="mean").reindex_like(m)
    hi = d.pivot_table(index=y, columns=x, values="ci_high", aggfunc="mean").reindex_like(m)
    vals = m.to_numpy(dtype=float)
    vmax = np.nanmax(np.abs(vals)) if np.isfinite(vals).any() else 1.0
    vmax = vmax or 1.0
    fig, ax = _axes(ax, 7.0, 5.0)
    im = ax.imshow(vals, origin="lower", aspect="auto", cmap="RdBu_r",
                   norm=TwoSlopeNorm(vcenter=0.0, vmin=-vmax, vmax=vmax))
    ax.set_xticks(range(m.shape[1]), [f"{v:g}" if isinstance(v, (int, float)) else str(v) for v in m.columns],
                  rotation=45 if m.shape[1] > 8 else 0)
    ax.set_yticks(range(m.shape[0]), [f"{v:g}" if isinstance(v, (int, float)) else str(v) for v in m.index])
    ax.set_xlabel(_label(x))
    ax.set_ylabel(_label(y))
    for (i, j), v in np.ndenumerate(vals):
        if np.isfinite(v):
            sig = lo.to_numpy()[i, j] > 0 or hi.to_numpy()[i, j] < 0
            txt = _short(v) + ("" if not sig else " •")
            ax.text(j, i, txt, ha="center", va="center", fontsize=7,
                    color="white" if abs(v) > 0.6 * vmax else "black")
    a, b = diff.attrs.get("compare", ("npm", "local_teams"))
    cb = ax.figure.colorbar(im, ax=ax)
    cb.set_label(f"{b} − {a}")
    ax.set_title(title or f"{_label(output)}: {b} − {a} (mean over seeds; • = 95% CI excludes 0)", fontsize=9)
    return _finish(fig, ax, path)


def plot_line(table: pd.DataFrame, x: str, output: str, path=None, hue: str = "scenario", title: str | None = None,
              ylabel: str | None = None, zero_line: bool = False, ax=None):
    """Mean of ``output`` against a factor with its confidence band, one line per ``hue``.

    ``table`` is a :func:`ci_table` or :func:`twin_differences` frame.
    """
    d = table[table["output"] == output]
    fig, ax = _axes(ax)
    groups = list(dict.fromkeys(d[hue])) if hue in d else [None]
    for i, gname in enumerate(groups):
        g = d[d[hue] == gname] if gname is not None else d
        g = g.groupby(x, as_index=False)[["mean", "ci_low", "ci_high"]].mean().sort_values(x)
        c = _color(gname, i)
        label = gname if gname is not None else None
        ax.plot(g[x], g["mean"], "-o", color=c, lw=1.8, ms=4, label=label)
        ax.fill_between(g[x], g["ci_low"], g["ci_high"], color=c, alpha=0.2, linewidth=0)
    if zero_line:
        ax.axhline(0, color="0.3", lw=0.8, ls="--")
    ax.set_xlabel(_label(x))
    ax.set_ylabel(ylabel or _label(output))
    ax.set_title(title or f"{_label(output)} (mean and 95% CI across seeds)", fontsize=10)
    if groups != [None]:
        ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return _finish(fig, ax, path)


def plot_sobol(indices: pd.DataFrame, path=None, title: str | None = None, ax=None):
    """Horizontal bars of S1 and ST with confidence intervals, largest ST on top (tornado style)."""
    d = indices.sort_values("ST")
    fig, ax = _axes(ax, 7.0, 0.45 * len(d) + 1.6)
    yv = np.arange(len(d))
    ax.barh(yv + 0.2, d["ST"], height=0.38, xerr=d["ST_conf"], color=BOTH_COLOUR, label="total (ST)",
            error_kw={"lw": 0.8})
    ax.barh(yv - 0.2, d["S1"], height=0.38, xerr=d["S1_conf"], color=BOTH_COLOUR, alpha=_LIGHT, label="first order (S1)",
            error_kw={"lw": 0.8})
    ax.set_yticks(yv, [_label(p) for p in d["parameter"]])
    ax.axvline(0, color="0.4", lw=0.6)
    ax.set_xlabel("Sobol index (bars: 95% CI)")
    out = indices["output"].iloc[0] if len(indices) else ""
    tgt = indices["target"].iloc[0] if "target" in indices and len(indices) else ""
    ax.set_title(title or f"What drives {_label(out)} ({tgt})", fontsize=10)
    ax.legend(frameon=False, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return _finish(fig, ax, path)


def plot_morris(indices: pd.DataFrame, path=None, title: str | None = None, ax=None):
    """Morris screening: mu* bars with confidence intervals, and sigma alongside."""
    d = indices.sort_values("mu_star")
    fig, ax = _axes(ax, 7.0, 0.45 * len(d) + 1.6)
    yv = np.arange(len(d))
    ax.barh(yv + 0.2, d["mu_star"], height=0.38, xerr=d["mu_star_conf"], color=BOTH_COLOUR, label="μ* (mean |EE|)")
    ax.barh(yv - 0.2, d["sigma"], height=0.38, color=BOTH_COLOUR, alpha=_LIGHT, label="σ (interactions / non-linearity)")
    ax.set_yticks(yv, [_label(p) for p in d["parameter"]])
    out = indices["output"].iloc[0] if len(indices) else ""
    ax.set_title(title or f"Morris screening of {_label(out)}", fontsize=10)
    ax.legend(frameon=False, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return _finish(fig, ax, path)


def plot_tornado(results, output: str, path=None, factors=None, scenario: str | None = None,
                 title: str | None = None, ax=None):
    """Tornado chart: change of the mean output from each factor's lowest to highest level."""
    t = tornado_table(results, output, factors, scenario)
    fig, ax = _axes(ax, 7.0, 0.45 * max(len(t), 1) + 1.6)
    yv = np.arange(len(t))
    ax.barh(yv, t["low"], color=BOTH_COLOUR, alpha=_LIGHT, label="factor at its lowest")
    ax.barh(yv, t["high"], color=BOTH_COLOUR, label="factor at its highest")
    ax.set_yticks(yv, [_label(f) for f in t["factor"]])
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_xlabel(f"change of mean {_label(output)} (baseline {t.attrs.get('baseline', math.nan):.4g})")
    ax.set_title(title or f"Tornado: {_label(output)}" + (f" ({scenario})" if scenario else ""), fontsize=10)
    ax.legend(frameon=False, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return _finish(fig, ax, path)
