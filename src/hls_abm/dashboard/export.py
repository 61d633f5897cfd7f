"""Export the run: data as CSV and the current charts as one PNG.

The CSV has one row per world and week: ``world``, ``week``, every metric the
model reports, and ``interventions`` (the labels of interventions applied to
that world in that week). The PNG is drawn server-side with matplotlib from the
same numbers and colours as the live charts, so it can go straight into a
workshop write-up.
"""

from __future__ import annotations

import io

import numpy as np

from .charts import CHARTS, OVERVIEW, _merge_interventions
from .controller import Controller, Frame
from .theme import WORLD_COLOURS, WORLD_SHORT, WORLDS, target_colour


def csv_bytes(ctrl: Controller) -> bytes:
    return ctrl.history_frame().to_csv(index=False).encode("utf-8")


def csv_filename(ctrl: Controller) -> str:
    s = ctrl.settings
    return f"hls_abm_{s.scenario}_n{s.n_citizens}_seed{s.seed_value}_week{ctrl.week}.csv"


def png_filename(ctrl: Controller) -> str:
    s = ctrl.settings
    return f"hls_abm_{s.scenario}_n{s.n_citizens}_seed{s.seed_value}_week{ctrl.week}.png"


def charts_png(frame: Frame, keys: tuple[str, ...] = (*OVERVIEW, "goodhart")) -> bytes:
    """All charts of the run as one PNG (both worlds, intervention markers)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    ncols = 2
    nrows = int(np.ceil(len(keys) / ncols))
    fig = Figure(figsize=(16, 4.2 * nrows), dpi=90)
    FigureCanvasAgg(fig)
    fig.suptitle(
        f"hls_abm twin worlds, week {frame.week}: "
        f"{WORLD_SHORT['npm']} (vermilion) vs {WORLD_SHORT['local_teams']} (blue); "
        f"scenario {frame.settings.scenario}, {frame.settings.n_citizens} citizens, seed {frame.settings.seed_value}",
        fontsize=14,
    )
    x = frame.weeks
    markers = _merge_interventions(frame.interventions)
    for i, key in enumerate(keys):
        spec = CHARTS[key]
        ax = fig.add_subplot(nrows, ncols, i + 1)
        ax.set_title(spec.title, fontsize=13)
        ax.set_xlabel("week")
        if spec.kind == "stacked":  # one half per world, same y scale
            ax.set_xticks([])
            ax.set_yticks([])
            halves = [ax.inset_axes((0.0, 0.0, 0.48, 1.0)), ax.inset_axes((0.52, 0.0, 0.48, 1.0))]
            top = 0.0
            for w, half in zip(WORLDS, halves):
                base = np.zeros(len(x))
                for k, line in enumerate(spec.lines):
                    vals = np.nan_to_num(frame.metric(w, line.metric))
                    half.fill_between(x, base, base + vals, color=WORLD_COLOURS[w], alpha=(0.85, 0.6, 0.4, 0.2, 0.1)[k % 5],
                                      linewidth=0, label=line.label)
                    base = base + vals
                top = max(top, float(base.max()) if len(base) else 0.0)
                half.set_title(WORLD_SHORT[w], color=WORLD_COLOURS[w], fontsize=11)
                half.legend(fontsize=7, loc="upper left")
                half.grid(alpha=0.3)
                for week, target, text in markers:
                    half.axvline(week, color=target_colour(target), lw=1.5)
            for half in halves:
                half.set_ylim(0, top * 1.05 or 1.0)
            continue
        else:
            ax2 = None
            for w in WORLDS:
                for line in spec.lines:
                    target = ax
                    if line.axis == 1:
                        ax2 = ax2 or ax.twinx()
                        target = ax2
                    target.plot(x, frame.metric(w, line.metric), color=WORLD_COLOURS[w], lw=2.2,
                                ls="--" if line.dashed else "-", label=f"{WORLD_SHORT[w]}: {line.label}")
        for week, target, text in markers:
            ax.axvline(week, color=target_colour(target), lw=1.5)
            ax.text(week, 0.98, " " + text, color=target_colour(target), transform=ax.get_xaxis_transform(),
                    rotation=90, va="top", ha="right", fontsize=8)
        ax.set_ylabel(spec.axis_names[0])
        ax.legend(fontsize=8, loc="upper left", ncol=2)
        ax.grid(alpha=0.3)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
