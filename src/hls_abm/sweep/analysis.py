"""Analysis of sweep results: confidence intervals, twin-world differences,
Sobol and Morris indices, and the standard figures.

Everything takes the DataFrames of :func:`hls_abm.sweep.load_results` /
:func:`load_series` (or a results directory) and returns tidy DataFrames;
the ``plot_*`` functions save a PNG and return its path. Figures are drawn
on matplotlib ``Figure`` objects (no pyplot state, no display needed).

The main comparison is the *twin-world difference*: for each design point and
seed, the output under scenario ``b`` (default local_teams) minus the output
under ``a`` (default npm). Both runs share seed and parameters, so they meet
the same people, network and life events (common random numbers), and the
difference comes from the service system alone.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from .store import load_provenance, load_results, load_series

__all__ = [
    "ci_table",
    "twin_differences",
    "twin_pairs",
    "series_bands",
    "series_twin_difference",
    "sobol_indices",
    "morris_indices",
    "plot_fan",
    "plot_heatmap",
    "plot_line",
    "plot_sobol",
    "plot_morris",
    "plot_tornado",
    "tornado_table",
    "analyse",
    "summary_columns",
    "factor_columns",
]

_META = {"run_id", "point_id", "sample", "scenario", "seed", "steps", "status", "error", "elapsed_s", "worker",
         "finished_at", "params_json", "levers_json"}


# --------------------------------------------------------------------------------------------
# helpers


def _frame(results) -> pd.DataFrame:
    if isinstance(results, pd.DataFrame):
        return results
    return load_results(results, status="ok")


def summary_columns(df: pd.DataFrame) -> list[str]:
    """The ``<output>.<stat>`` columns of a results frame."""
    if df.attrs.get("outputs"):
        return [c for c in df.attrs["outputs"] if c in df.columns]
    return [c for c in df.columns if c not in _META and "." in c and pd.api.types.is_float_dtype(df[c])
            and not _looks_like_factor(df, c)]


def _looks_like_factor(df, c) -> bool:
    return bool(df.attrs.get("factors")) and c in df.attrs["factors"]


def factor_columns(df: pd.DataFrame, root=None) -> list[str]:
    """The swept factor columns (from the provenance when a directory is given)."""
    if root is not None:
        return list(load_provenance(root).get("design", {}).get("factors", []))
    if df.attrs.get("factors"):
        return list(df.attrs["factors"])
    out = []
    for c in df.columns:
        if c in _META or c in summary_columns(df):
            continue
        out.append(c)
    return out


def _t_quantile(conf: float, dof: np.ndarray) -> np.ndarray:
    from scipy import stats

    dof = np.asarray(dof, dtype=float)
    q = np.full(dof.shape, np.nan)
    ok = dof >= 1
    q[ok] = stats.t.ppf(0.5 + conf / 2, dof[ok])
    return q


def t_interval(values, conf: float = 0.95) -> tuple[float, float, float, int]:
    """Mean and ``conf`` t-interval of one sample, ignoring non-finite values.

    Returns (mean, low, high, n); with one value the interval is that value, with none NaN.
    The one interval helper of the project: grouped tables and validation use it too.
    """
    v = np.asarray(list(values), float)
    v = v[np.isfinite(v)]
    n = int(v.size)
    if n == 0:
        return float("nan"), float("nan"), float("nan"), 0
    m = float(v.mean())
    if n < 2:
        return m, m, m, n
    half = float(_t_quantile(conf, np.array([n - 1]))[0] * v.std(ddof=1) / np.sqrt(n))
    return m, m - half, m + half, n


def _ci_from_groups(g, cols, conf) -> pd.DataFrame:
    parts = []
    for c in cols:
        agg = g[c].agg(["count", "mean", "std"]).rename(columns={"count": "n"})
        agg = agg.reset_index()
        sem = agg["std"] / np.sqrt(agg["n"])
        half = _t_quantile(conf, agg["n"].to_numpy() - 1) * sem.to_numpy()
        agg["ci_low"] = agg["mean"] - half
        agg["ci_high"] = agg["mean"] + half
        agg.insert(0, "output", c)
        parts.append(agg)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def ci_table(results, outputs=None, by=None, conf: float = 0.95) -> pd.DataFrame:
    """Mean, standard deviation and a t-based confidence interval across replicates.

    One row per group (default: scenario and every swept factor) and output:
    ``[by..., output, n, mean, std, ci_low, ci_high]``.
    """
    df = _frame(results)
    df = df[df["status"] == "ok"] if "status" in df else df
    outputs = outputs or summary_columns(df)
    if by is None:
        by = ["scenario"] + [c for c in factor_columns(df) if c in df.columns]
    by = list(by)
    if not by:
        df = df.assign(_all="all")
        by = ["_all"]
    out = _ci_from_groups(df.groupby(by, dropna=False, sort=True), outputs, conf)
    cols = by + ["output", "n", "mean", "std", "ci_low", "ci_high"]
    out = out[cols]
    return out.drop(columns="_all") if "_all" in out else out


def twin_pairs(results, a: str = "npm", b: str = "local_teams", outputs=None) -> pd.DataFrame:
    """Per design point and seed: outputs of ``a`` and ``b`` side by side and ``b - a``.

    Columns: point_id, seed, factors..., then for each output ``<out>`` (the
    difference b - a), ``<out>|a`` and ``<out>|b``.
    """
    df = _frame(results)
    df = df[df["status"] == "ok"] if "status" in df else df
    outputs = outputs or summary_columns(df)
    factors = [c for c in factor_columns(df) if c in df.columns]
    for s in (a, b):
        if s not in set(df["scenario"]):
            raise ValueError(f"no successful runs of scenario {s!r} to compare (have {sorted(set(df['scenario']))})")
    keys = ["point_id", "seed"]
    left = df[df["scenario"] == a].set_index(keys)
    right = df[df["scenario"] == b].set_index(keys)
    common = left.index.intersection(right.index)
    if common.empty:
        raise ValueError(f"no design point and seed has runs of both {a!r} and {b!r}")
    left, right = left.loc[common], right.loc[common]
    out = left[factors].copy() if factors else pd.DataFrame(index=common)
    for c in outputs:
        out[c] = right[c].to_numpy() - left[c].to_numpy()
        out[f"{c}|{a}"] = left[c].to_numpy()
        out[f"{c}|{b}"] = right[c].to_numpy()
    out = out.reset_index()
    out.attrs["factors"] = factors
    out.attrs["compare"] = (a, b)
    return out


def twin_differences(results, a: str = "npm", b: str = "local_teams", outputs=None, by=None,
                     conf: float = 0.95) -> pd.DataFrame:
    """The twin-world difference ``b - a`` with a confidence interval across seeds.

    One row per group (default: every swept factor) and output:
    ``[by..., output, n, mean, std, ci_low, ci_high, share_b_lower, mean_a, mean_b]``;
    ``share_b_lower`` is the share of paired seeds where ``b`` came out lower.
    """
    pairs = twin_pairs(results, a, b, outputs)
    outputs = outputs or [c for c in pairs.columns if "|" not in c and c not in ("point_id", "seed")
                          and c not in pairs.attrs["factors"]]
    by = list(pairs.attrs["factors"] if by is None else by)
    if not by:
        pairs = pairs.assign(_all="all")
        by = ["_all"]
    g = pairs.groupby(by, dropna=False, sort=True)
    out = _ci_from_groups(g, outputs, conf)
    lower = pd.concat([g[c].apply(lambda s: float((s < 0).mean())).rename("share_b_lower").reset_index()
                       .assign(output=c) for c in outputs], ignore_index=True)
    ma = pd.concat([g[f"{c}|{a}"].mean().rename("mean_a").reset_index().assign(output=c) for c in outputs],
                   ignore_index=True)
    mb = pd.concat([g[f"{c}|{b}"].mean().rename("mean_b").reset_index().assign(output=c) for c in outputs],
                   ignore_index=True)
    out = out.merge(lower, on=by + ["output"]).merge(ma, on=by + ["output"]).merge(mb, on=by + ["output"])
    out = out[by + ["output", "n", "mean", "std", "ci_low", "ci_high", "share_b_lower", "mean_a", "mean_b"]]
    out = out.drop(columns="_all") if "_all" in out else out
    out.attrs["compare"] = (a, b)
    return out


def series_bands(series: pd.DataFrame, column: str, by="scenario",
                 quantiles=(0.05, 0.25, 0.5, 0.75, 0.95)) -> pd.DataFrame:
    """Per week and group: mean and quantiles of ``column`` across runs (for fan charts)."""
    by = [by] if isinstance(by, str) else list(by or [])
    g = series.groupby(by + ["week"], sort=True)[column]
    q = g.quantile(list(quantiles)).unstack()
    q.columns = [f"q{int(round(x * 100)):02d}" for x in quantiles]
    q["mean"] = g.mean()
    q["n"] = g.count()
    return q.reset_index()


def series_twin_difference(series: pd.DataFrame, column: str, a: str = "npm", b: str = "local_teams",
                           cumulative: bool = False) -> pd.DataFrame:
    """Per point, seed and week: ``column`` under ``b`` minus under ``a`` (optionally cumulated over weeks)."""
    keys = ["point_id", "seed", "week"]
    sa = series[series["scenario"] == a].set_index(keys)[column]
    sb = series[series["scenario"] == b].set_index(keys)[column]
    d = (sb - sa).dropna().rename(column).reset_index()
    if cumulative:
        d = d.sort_values(keys)
        d[column] = d.groupby(["point_id", "seed"])[column].cumsum()
    d["scenario"] = f"{b} - {a}"
    return d


# --------------------------------------------------------------------------------------------
# sensitivity indices


def _design_y(root, output: str, scenario: str | None, difference) -> tuple[dict, np.ndarray, dict]:
    prov = load_provenance(root)
    design = prov["design"]
    if design["method"] not in ("sobol", "morris"):
        raise ValueError(f"{root}: design method is {design['method']!r}; Sobol/Morris indices need that sampler")
    df = load_results(root, status="ok")
    if difference:
        a, b = difference
        pairs = twin_pairs(df, a, b, [output])
        sample_of = df.drop_duplicates("point_id").set_index("point_id")["sample"]
        pairs["sample"] = pairs["point_id"].map(sample_of)
        y = pairs.groupby("sample")[output].mean()
    else:
        scenarios = design["scenarios"]
        scenario = scenario or scenarios[0]
        sub = df[df["scenario"] == scenario]
        y = sub.groupby("sample")[output].mean()
    problem = design["problem"]
    n_rows = len(_sample_matrix_from_provenance(prov))
    missing = sorted(set(range(n_rows)) - set(y.index))
    if missing:
        raise ValueError(
            f"{root}: {len(missing)} of {n_rows} design samples have no successful run "
            f"(e.g. rows {missing[:5]}); finish or rerun the sweep (--retry-failed) before computing indices"
        )
    yv = y.sort_index().to_numpy(dtype=float)
    if not np.all(np.isfinite(yv)):
        raise ValueError(f"{output}: some design samples gave NaN/inf; indices cannot be computed")
    return problem, yv, prov


def _sample_matrix_from_provenance(prov) -> np.ndarray:
    from .design import sample_matrix
    from .spec import parse_spec

    spec = parse_spec(prov["spec"]["text"], check_points=False)
    return sample_matrix(spec)


def sobol_indices(root, output: str, scenario: str | None = None, difference=None, conf: float = 0.95,
                  num_resamples: int = 1000, seed: int = 0) -> pd.DataFrame:
    """SALib Sobol indices (S1, ST and their confidence intervals) of one summary output.

    ``scenario`` picks the scenario (default: the first); ``difference=("npm", "local_teams")``
    analyses the twin-world difference instead. Replicates are averaged per design sample.
    """
    from SALib.analyze import sobol

    problem, y, prov = _design_y(root, output, scenario, difference)
    if prov["design"]["method"] != "sobol":
        raise ValueError("sobol_indices needs a design with method = \"sobol\"")
    si = sobol.analyze(problem, y, calc_second_order=bool(prov["design"].get("second_order")),
                       num_resamples=num_resamples, conf_level=conf, seed=seed)
    out = pd.DataFrame({"parameter": problem["names"], "S1": si["S1"], "S1_conf": si["S1_conf"],
                        "ST": si["ST"], "ST_conf": si["ST_conf"]})
    out.insert(0, "output", output)
    out.insert(1, "target", f"{difference[1]} - {difference[0]}" if difference else
               (scenario or prov["design"]["scenarios"][0]))
    return out.sort_values("ST", ascending=False).reset_index(drop=True)


def morris_indices(root, output: str, scenario: str | None = None, difference=None, conf: float = 0.95,
                   num_resamples: int = 1000, seed: int = 0) -> pd.DataFrame:
    """SALib Morris elementary effects (mu, mu_star, sigma, mu_star_conf) of one summary output."""
    from SALib.analyze import morris

    problem, y, prov = _design_y(root, output, scenario, difference)
    if prov["design"]["method"] != "morris":
        raise ValueError("morris_indices needs a design with method = \"morris\"")
    x = _sample_matrix_from_provenance(prov)
    si = morris.analyze(problem, x, y, num_resamples=num_resamples, conf_level=conf,
                        num_levels=prov["design"]["levels"], seed=seed)
    out = pd.DataFrame({"parameter": problem["names"], "mu": si["mu"], "mu_star": si["mu_star"],
                        "sigma": si["sigma"], "mu_star_conf": si["mu_star_conf"]})
    out.insert(0, "output", output)
    out.insert(1, "target", f"{difference[1]} - {difference[0]}" if difference else
               (scenario or prov["design"]["scenarios"][0]))
    return out.sort_values("mu_star", ascending=False).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# figures

_COLORS = {"npm": "#c0392b", "local_teams": "#2471a3", "npm_cuts": "#e67e22", "transition": "#27ae60",
           "pilot": "#8e44ad"}
_FALLBACK = ["#2c3e50", "#16a085", "#d35400", "#7f8c8d", "#f1c40f", "#9b59b6"]


def _color(name, i):
    return _COLORS.get(str(name), _FALLBACK[i % len(_FALLBACK)])


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
    ax.barh(yv + 0.2, d["ST"], height=0.38, xerr=d["ST_conf"], color="#2471a3", label="total (ST)",
            error_kw={"lw": 0.8})
    ax.barh(yv - 0.2, d["S1"], height=0.38, xerr=d["S1_conf"], color="#85c1e9", label="first order (S1)",
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
    ax.barh(yv + 0.2, d["mu_star"], height=0.38, xerr=d["mu_star_conf"], color="#16a085", label="μ* (mean |EE|)")
    ax.barh(yv - 0.2, d["sigma"], height=0.38, color="#a3e4d7", label="σ (interactions / non-linearity)")
    ax.set_yticks(yv, [_label(p) for p in d["parameter"]])
    out = indices["output"].iloc[0] if len(indices) else ""
    ax.set_title(title or f"Morris screening of {_label(out)}", fontsize=10)
    ax.legend(frameon=False, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return _finish(fig, ax, path)


def tornado_table(results, output: str, factors=None, scenario: str | None = None) -> pd.DataFrame:
    """Mean output at each factor's lowest and highest level (lhs: bottom and top quintile)."""
    df = _frame(results)
    if scenario is not None:
        df = df[df["scenario"] == scenario]
    factors = factors or [c for c in factor_columns(df) if c in df.columns]
    base = df[output].mean()
    rows = []
    for f in factors:
        v = df[f]
        if not pd.api.types.is_numeric_dtype(v) or v.nunique() < 2:
            continue
        if v.nunique() > 8:
            lo_mask, hi_mask = v <= v.quantile(0.2), v >= v.quantile(0.8)
        else:
            lo_mask, hi_mask = v == v.min(), v == v.max()
        rows.append({"factor": f, "low": df.loc[lo_mask, output].mean() - base,
                     "high": df.loc[hi_mask, output].mean() - base})
    out = pd.DataFrame(rows, columns=["factor", "low", "high"])
    out["range"] = (out["high"] - out["low"]).abs()
    out.attrs["baseline"] = base
    return out.sort_values("range").reset_index(drop=True)


def plot_tornado(results, output: str, path=None, factors=None, scenario: str | None = None,
                 title: str | None = None, ax=None):
    """Tornado chart: change of the mean output from each factor's lowest to highest level."""
    t = tornado_table(results, output, factors, scenario)
    fig, ax = _axes(ax, 7.0, 0.45 * max(len(t), 1) + 1.6)
    yv = np.arange(len(t))
    ax.barh(yv, t["low"], color="#85c1e9", label="factor at its lowest")
    ax.barh(yv, t["high"], color="#2471a3", label="factor at its highest")
    ax.set_yticks(yv, [_label(f) for f in t["factor"]])
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_xlabel(f"change of mean {_label(output)} (baseline {t.attrs.get('baseline', math.nan):.4g})")
    ax.set_title(title or f"Tornado: {_label(output)}" + (f" ({scenario})" if scenario else ""), fontsize=10)
    ax.legend(frameon=False, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return _finish(fig, ax, path)


# --------------------------------------------------------------------------------------------
# the standard report


def analyse(root, out=None, conf: float | None = None, figures: bool = True, log=print) -> dict:
    """Write the standard tables (CSV) and figures (PNG) of a results directory.

    * ``summary.csv``: every summary output per scenario and design point, mean and CI over seeds;
    * ``twin_differences.csv``: local_teams - npm (or ``[analysis] compare``) per design point;
    * ``sobol_<output>.csv`` / ``morris_<output>.csv`` for sampled designs;
    * fan charts of the kept series, a heatmap / line of the twin difference over the factors,
      Sobol / Morris bars, a tornado chart.

    Returns {name: path}. ``out`` defaults to ``<root>/analysis``.
    """
    root = Path(root)
    prov = load_provenance(root)
    hints = prov.get("spec", {}).get("parsed", {}).get("analysis", {}) or {}
    conf = conf or hints.get("conf", 0.95)
    out = Path(out) if out else root / "analysis"
    out.mkdir(parents=True, exist_ok=True)
    written: dict = {}
    all_runs = load_results(root)
    n_unique = all_runs["run_id"].nunique() if len(all_runs) else 0
    n_failed = int((all_runs.drop_duplicates("run_id")["status"] != "ok").sum()) if len(all_runs) else 0
    planned = prov["design"].get("n_runs")
    log(f"{root}: {n_unique} of {planned} runs stored, {n_failed} failed")
    df = all_runs[all_runs["status"] == "ok"] if len(all_runs) else all_runs
    if df.empty:
        log("no successful runs to analyse")
        return written
    factors = [f for f in prov["design"].get("factors", []) if f in df.columns]
    df.attrs["factors"] = factors
    outputs = [c for c in df.columns if c in set(_summary_cols_from_prov(prov))]
    method = prov["design"]["method"]

    if n_failed:
        fails = all_runs[all_runs["status"] != "ok"].drop_duplicates("run_id")
        p = out / "failures.csv"
        fails[["run_id", "scenario", "seed", *factors, "error"]].to_csv(p, index=False)
        written["failures"] = p

    by = ["scenario"] + (factors if method == "grid" else [])
    summary = ci_table(df, outputs, by=by, conf=conf)
    p = out / "summary.csv"
    summary.to_csv(p, index=False)
    written["summary"] = p
    log(f"wrote {p}")

    scen = list(prov["design"]["scenarios"])
    compare = hints.get("compare")
    if compare is None and "npm" in scen and "local_teams" in scen:
        compare = ["npm", "local_teams"]
    diff = None
    if compare:
        a, b = compare
        diff = twin_differences(df, a, b, outputs, by=factors if method == "grid" else [], conf=conf)
        p = out / "twin_differences.csv"
        diff.to_csv(p, index=False)
        written["twin_differences"] = p
        log(f"wrote {p}")

    if method in ("sobol", "morris"):
        targets = hints.get("sobol_outputs") or outputs[:4]
        for o in targets:
            for label, kw in [(s, {"scenario": s}) for s in scen] + (
                    [(f"{compare[1]}-minus-{compare[0]}", {"difference": tuple(compare)})] if compare else []):
                try:
                    idx = (sobol_indices if method == "sobol" else morris_indices)(root, o, **kw)
                except ValueError as err:
                    log(f"skipped {method} indices of {o} ({label}): {err}")
                    continue
                stem = f"{method}_{_safe(o)}_{_safe(label)}"
                p = out / f"{stem}.csv"
                idx.to_csv(p, index=False)
                written[stem] = p
                if figures:
                    written[stem + "_png"] = (plot_sobol if method == "sobol" else plot_morris)(idx, out / f"{stem}.png")
        log(f"wrote {method} indices to {out}")

    if not figures:
        return written
    # fan charts of the series
    fans = hints.get("fan_charts") or list(prov.get("outputs", {}).get("series", []))[:3]
    if fans:
        series = load_series(root, columns=fans)
        for c in fans:
            written[f"fan_{c}"] = plot_fan(series, c, out / f"fan_{_safe(c)}.png")
    # twin difference over factors
    num_factors = [f for f in factors if pd.api.types.is_numeric_dtype(df[f])]
    hm = hints.get("heatmap")
    if diff is not None and method == "grid":
        if hm:
            written["heatmap"] = plot_heatmap(diff, hm["x"], hm["y"], hm["output"], out / "heatmap.png")
        elif len(num_factors) >= 2:
            o = _pick(outputs, "total_cost")
            written["heatmap"] = plot_heatmap(diff, num_factors[0], num_factors[1], o, out / "heatmap.png")
    line = hints.get("line")
    if method == "grid" and (line or len(num_factors) >= 1):
        x = line["x"] if line else num_factors[0]
        outs = line["outputs"] if line else [_pick(outputs, "total_cost"), _pick(outputs, "mean_wellbeing")]
        for o in dict.fromkeys(outs):
            written[f"line_{o}"] = plot_line(summary, x, o, out / f"line_{_safe(o)}.png")
            if diff is not None:
                written[f"diff_{o}"] = plot_line(diff.assign(scenario=f"{compare[1]} − {compare[0]}"), x, o,
                                                 out / f"diff_{_safe(o)}.png", zero_line=True)
    tor = hints.get("tornado")
    if tor or (method in ("lhs",) and factors):
        o = tor["output"] if tor else _pick(outputs, "total_cost")
        written["tornado"] = plot_tornado(df, o, out / "tornado.png", factors=num_factors,
                                          scenario=(tor or {}).get("scenario"))
    log(f"wrote {sum(1 for k in written if str(written[k]).endswith('.png'))} figure(s) to {out}")
    return written


def _summary_cols_from_prov(prov) -> list[str]:
    s = prov.get("outputs", {}).get("summaries", {})
    return [f"{c}.{st}" for c, stats in s.items() for st in stats]


def _pick(outputs: list[str], prefix: str) -> str:
    for o in outputs:
        if o.startswith(prefix + "."):
            return o
    return outputs[0]


def _safe(s: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in s)
