"""What a calibration found, as tables (CSV), a report (markdown) and a figure (PNG).

Bands are over *seeds x accepted draws*: every seed's value of every accepted draw (a draw whose
seed-mean of every target lies in the target's band). With no accepted draw the report says so
and gives the same bands over the best draws instead (lowest score), clearly labelled.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from .search import Calibration, score, target_value

__all__ = ["tables", "write_report", "update_doc", "chosen_draw", "defaults_toml", "BEST_WHEN_NONE"]

BEST_WHEN_NONE = 5  # draws reported when none is accepted
DOC_START = "<!-- calibration-report:start -->"
DOC_END = "<!-- calibration-report:end -->"


def tables(cal: Calibration) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(draws, by_seed): one row per told draw (parameters, seed-mean per target, score, accepted),
    and one row per draw and seed (every target's value, the validation figure's and the reported ones')."""
    from optuna.trial import TrialState  # noqa: PLC0415

    tg = cal.targets
    every = tg.observed
    draws, by_seed = [], []
    for t in cal.study.get_trials(deepcopy=False):
        results = [cal.evaluations.get((t.number, s)) for s in tg.seeds]
        if t.state not in (TrialState.COMPLETE, TrialState.FAIL) or any(r is None for r in results):
            continue
        error = next((r["error"] for r in results if r.get("error")), None)
        total, means = score(tg, results) if error is None else (math.nan, {})
        draws.append({"trial": t.number, "batch": t.user_attrs.get("batch"), **t.params, **means,
                      "score": total, "accepted": error is None and total == 0.0, "error": error})
        for s, r in zip(tg.seeds, results):
            by_seed.append({"trial": t.number, "seed": s, **{x.name: target_value(x, r) for x in every},
                            "elapsed_s": r.get("elapsed_s")})
    draw_cols = ["trial", "batch", *tg.parameters, *(x.name for x in tg.targets), "score", "accepted", "error"]
    seed_cols = ["trial", "seed", *(x.name for x in every), "elapsed_s"]
    return pd.DataFrame(draws, columns=draw_cols), pd.DataFrame(by_seed, columns=seed_cols)


def _reported(draws: pd.DataFrame) -> tuple[list, str]:
    """The draws the bands are over, and how they were chosen."""
    if draws.empty:
        return [], "no draw has finished yet"
    acc = draws.loc[draws["accepted"], "trial"].tolist()
    if acc:
        return acc, f"{len(acc)} accepted draws of {len(draws)}"
    best = draws.dropna(subset=["score"]).nsmallest(BEST_WHEN_NONE, "score")["trial"].tolist()
    return best, (f"**no feasible draw**: none of the {len(draws)} draws puts every target in its band; "
                  f"the bands below are over the {len(best)} best draws (lowest score), not a posterior")


def chosen_draw(cal: Calibration, draws: pd.DataFrame) -> pd.Series | None:
    """The draw to ship as the defaults. With accepted draws: the one nearest their median in every
    parameter (distances in units of each parameter's searched range), so the defaults sit in the middle
    of what fits rather than at its edge. With none: the best draw (lowest score), since the best draws
    are not a posterior and their median need not fit at all."""
    chosen, _ = _reported(draws)
    sel = draws[draws["trial"].isin(chosen)]
    if sel.empty:
        return None
    if not sel["accepted"].any():
        return sel.loc[sel["score"].idxmin()]
    dist = np.zeros(len(sel))
    for name, (lo, hi, _kind) in cal.targets.parameters.items():
        v = sel[name].to_numpy(float)
        dist += ((v - np.median(v)) / ((hi - lo) or 1.0)) ** 2
    return sel.iloc[int(np.argmin(dist))]


def defaults_toml(cal: Calibration, row: pd.Series) -> str:
    """The chosen draw as TOML: the values hls_abm ships as its defaults (see tests/test_calibration.py)."""
    lines = ["# The draw hls_abm ships as its defaults (written by hls-abm calibrate; see docs/calibration.md).",
             f"trial = {int(row['trial'])}", f"accepted = {str(bool(row['accepted'])).lower()}", "", "[parameters]"]
    for name, (_lo, _hi, kind) in cal.targets.parameters.items():
        v = row[name]
        lines.append(f"{name} = {int(round(v)) if kind == 'int' else float(f'{v:.4g}')!r}")
    return "\n".join(lines) + "\n"


def _band(values: pd.Series) -> str:
    v = values.dropna().to_numpy(float)
    if v.size == 0:
        return "n/a"
    lo, mid, hi = np.percentile(v, [2.5, 50, 97.5])
    return f"{mid:.3g} [{lo:.3g}, {hi:.3g}]"


def _target_rows(cal: Calibration, sel: pd.DataFrame) -> list[str]:
    rows = ["| target | system | observable | band | model: median [2.5%, 97.5%] | in band | source |",
            "|---|---|---|---|---|---|---|"]
    for t in cal.targets.targets:
        med = sel[t.name].median() if len(sel) else math.nan
        ok = "yes" if t.contains(med) else "**no**"
        rows.append(f"| `{t.name}` | {t.system} | `{t.observable}` | [{t.low:g}, {t.high:g}] | {_band(sel[t.name])} "
                    f"| {ok} | {t.source} |")
    return rows


def _params_rows(cal: Calibration, draws: pd.DataFrame, chosen: list, row=None) -> list[str]:
    rows = ["| parameter | searched | reported draws: median [min, max] | shipped |", "|---|---|---|---|"]
    sel = draws[draws["trial"].isin(chosen)]
    for name, (lo, hi, _kind) in cal.targets.parameters.items():
        v = sel[name] if name in sel else pd.Series(dtype=float)
        span = f"{v.median():.4g} [{v.min():.4g}, {v.max():.4g}]" if len(v) else "n/a"
        shipped = f"{row[name]:.4g}" if row is not None else "n/a"
        rows.append(f"| `{name}` | [{lo:g}, {hi:g}] | {span} | {shipped} |")
    return rows


def report_markdown(cal: Calibration, draws: pd.DataFrame, by_seed: pd.DataFrame, command: str,
                    wall_s: float) -> str:
    tg = cal.targets
    chosen, how = _reported(draws)
    sel = by_seed[by_seed["trial"].isin(chosen)] if len(by_seed) else by_seed
    cpu = by_seed["elapsed_s"].sum() if len(by_seed) else 0.0
    lines = [
        "## Calibration report",
        "",
        f"Made by `{command}` ({'complete' if cal.complete else '**not complete**: resume it with --resume'}).",
        f"Each draw: twin worlds of {tg.n_citizens} citizens, {tg.weeks} weeks after the warm-up, "
        f"seeds {', '.join(map(str, tg.seeds))}. Draws told: {len(draws)}; {how}.",
        f"Time on this machine: {wall_s:.0f} s of wall time over all sessions; {cpu:.0f} s of evaluation "
        f"(CPU) time, {cpu / max(len(by_seed), 1):.1f} s per draw and seed.",
        "",
        "Model values are bands over seeds x reported draws (median and 2.5-97.5% of the per-seed values).",
        "",
        *_target_rows(cal, sel),
        "",
    ]
    v = tg.validation
    if v is not None:
        vals = sel[v.name] if v.name in sel else pd.Series(dtype=float)
        lines += [f"**Validation figure (never fitted):** `{v.name}` ({v.system} of `{v.observable}`): model "
                  f"{_band(vals)} against [{v.low:g}, {v.high:g}] ({v.source}).", ""]
    if tg.reported:
        lines += ["**Reported, never fitted** (no published figure constrains these; they show what the targets leave "
                  "free):", "", "| observable | system | model: median [2.5%, 97.5%] | why it is not a target |",
                  "|---|---|---|---|"]
        for r in tg.reported:
            vals = sel[r.name] if r.name in sel else pd.Series(dtype=float)
            lines.append(f"| `{r.key}` | {r.system} | {_band(vals)} | {r.source} |")
        lines.append("")
    row = chosen_draw(cal, draws)
    if row is not None:
        lines += [f"**Shipped defaults:** draw {int(row['trial'])} ({'accepted' if row['accepted'] else 'best, not accepted'}"
                  f", score {row['score']:.3g}), {'the accepted draw nearest their median in every parameter' if row['accepted'] else 'the best draw'}; its values "
                  "are in `defaults.toml` and in the table below, and are hls_abm's defaults.", ""]
    lines += ["Parameters:", "", *_params_rows(cal, draws, chosen, row), "",
              "![each target's band and the model's values](calibration.png)", ""]
    return "\n".join(lines)


def plot(cal: Calibration, by_seed: pd.DataFrame, chosen: list, path: Path) -> None:
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    from hls_abm import palette  # noqa: PLC0415

    every = [*cal.targets.targets, *([cal.targets.validation] if cal.targets.validation else [])]
    fig, axes = plt.subplots(len(every), 1, figsize=(7, 1.1 * len(every) + 0.8), squeeze=False)
    sel = by_seed[by_seed["trial"].isin(chosen)] if len(by_seed) else by_seed
    for ax, t in zip(axes[:, 0], every):
        colour = palette.WORLD_COLOURS.get(t.system, palette.BOTH_COLOUR)
        vals = sel[t.name].dropna().to_numpy(float) if t.name in sel else np.array([])
        ax.axvspan(t.low, t.high, color="0.85", label="target band")
        if vals.size:
            ax.plot(vals, np.random.default_rng(0).uniform(-0.3, 0.3, vals.size), "o", ms=3, alpha=0.6, color=colour)
            ax.axvline(np.median(vals), color=colour, lw=1.5)
        lo = min([t.low, *vals.tolist()]) if vals.size else t.low
        hi = max([t.high, *vals.tolist()]) if vals.size else t.high
        pad = 0.1 * (hi - lo or 1.0)
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_yticks([])
        kind = " (validation, not fitted)" if t is cal.targets.validation else ""
        ax.set_title(f"{t.name}{kind}", fontsize=8, loc="left")
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def update_doc(doc: Path, section: str) -> None:
    """Replace the generated section of a markdown file (between the markers), or append it."""
    text = doc.read_text() if doc.exists() else ""
    block = f"{DOC_START}\n{section}\n{DOC_END}"
    if DOC_START in text and DOC_END in text:
        head, rest = text.split(DOC_START, 1)
        text = head + block + rest.split(DOC_END, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    doc.write_text(text)


def write_report(cal: Calibration, command: str, doc: Path | None = None) -> dict:
    """Write draws.csv, draws_by_seed.csv, calibration.md and calibration.png into the calibration's
    directory (and the report section into ``doc``); returns a short summary."""
    import json  # noqa: PLC0415

    draws, by_seed = tables(cal)
    out = cal.out
    draws.to_csv(out / "draws.csv", index=False)
    by_seed.to_csv(out / "draws_by_seed.csv", index=False)
    sessions = json.loads((out / "meta.json").read_text()).get("sessions", [])
    wall = sum(s.get("wall_s", 0.0) for s in sessions)
    md = report_markdown(cal, draws, by_seed, command, wall)
    (out / "calibration.md").write_text("# Calibration\n\n" + md)
    chosen, how = _reported(draws)
    plot(cal, by_seed, chosen, out / "calibration.png")
    row = chosen_draw(cal, draws)
    if row is not None:
        (out / "defaults.toml").write_text(defaults_toml(cal, row))
    if doc is not None:
        update_doc(Path(doc), md.replace("](calibration.png)", f"]({_rel(out / 'calibration.png', doc)})"))
    n_acc = int(draws["accepted"].sum()) if len(draws) else 0
    return {"draws": len(draws), "accepted": n_acc, "how": how, "wall_s": wall}


def _rel(target: Path, doc: Path) -> str:
    import os  # noqa: PLC0415

    return os.path.relpath(Path(target).resolve(), Path(doc).resolve().parent)
