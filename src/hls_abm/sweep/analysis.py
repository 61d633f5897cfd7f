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

from pathlib import Path

import numpy as np
import pandas as pd

from .figures import plot_fan, plot_heatmap, plot_line, plot_morris, plot_sobol, plot_tornado
from .frames import factor_columns, results_frame, series_bands, summary_columns, tornado_table
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
    "t_interval",
]


# --------------------------------------------------------------------------------------------
# confidence intervals and twin-world differences


def _t_half_width(std, n, conf: float) -> np.ndarray:
    """Half-width of the ``conf`` t-interval of a mean: t quantile (n - 1 dof) x std / sqrt(n).

    The one quantile core of the project's intervals (NaN where n < 2)."""
    from scipy import stats

    std, n = np.asarray(std, dtype=float), np.asarray(n, dtype=float)
    q = np.full(n.shape, np.nan)
    ok = n >= 2
    q[ok] = stats.t.ppf(0.5 + conf / 2, n[ok] - 1)
    return q * std / np.sqrt(n)


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
    half = float(_t_half_width(v.std(ddof=1), n, conf))
    return m, m - half, m + half, n


def _ci_from_groups(g, cols, conf) -> pd.DataFrame:
    """Per group and output: n, mean, std and the t-interval (the same core as :func:`t_interval`)."""
    parts = []
    for c in cols:
        agg = g[c].agg(["count", "mean", "std"]).rename(columns={"count": "n"})
        agg = agg.reset_index()
        half = _t_half_width(agg["std"].to_numpy(), agg["n"].to_numpy(), conf)
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
    df = results_frame(results)
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
    df = results_frame(results)
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
    The same ``seed`` (0 included) gives the same confidence intervals.
    """
    from SALib.analyze import sobol

    problem, y, prov = _design_y(root, output, scenario, difference)
    if prov["design"]["method"] != "sobol":
        raise ValueError("sobol_indices needs a design with method = \"sobol\"")
    # SALib's sobol.analyze tests ``if seed:``, so a seed of 0 would fall back to NumPy's global
    # random state and the bootstrap intervals would change from call to call. A Generator is
    # always truthy and SALib uses it as given, so every seed, 0 included, is reproducible.
    si = sobol.analyze(problem, y, calc_second_order=bool(prov["design"].get("second_order")),
                       num_resamples=num_resamples, conf_level=conf, seed=np.random.default_rng(seed))
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
    rep = _Report(root, out, prov, hints, df, factors, [c for c in df.columns if c in set(_summary_cols_from_prov(prov))],
                  written, log)
    if n_failed:
        fails = all_runs[all_runs["status"] != "ok"].drop_duplicates("run_id")
        rep.csv("failures", fails[["run_id", "scenario", "seed", *factors, "error"]], quiet=True)
    by = ["scenario"] + (factors if rep.method == "grid" else [])
    summary = rep.csv("summary", ci_table(df, rep.outputs, by=by, conf=conf))
    diff = None
    if rep.compare:
        a, b = rep.compare
        diff = rep.csv("twin_differences", twin_differences(df, a, b, rep.outputs,
                                                            by=factors if rep.method == "grid" else [], conf=conf))
    if rep.method in ("sobol", "morris"):
        rep.indices(figures)
    if figures:
        rep.figures(summary, diff)
    return written


class _Report:
    """The state of one :func:`analyse` call: what it reads, and the files it has written."""

    def __init__(self, root, out, prov, hints, df, factors, outputs, written, log):
        self.root, self.out, self.prov, self.hints, self.df = root, out, prov, hints, df
        self.factors, self.outputs, self.written, self.log = factors, outputs, written, log
        self.method = prov["design"]["method"]
        self.scen = list(prov["design"]["scenarios"])
        compare = hints.get("compare")
        if compare is None and "npm" in self.scen and "local_teams" in self.scen:
            compare = ["npm", "local_teams"]
        self.compare = compare

    def csv(self, name: str, table: pd.DataFrame, quiet: bool = False) -> pd.DataFrame:
        """Write ``table`` as ``<out>/<name>.csv`` and return it."""
        p = self.out / f"{name}.csv"
        table.to_csv(p, index=False)
        self.written[name] = p
        if not quiet:
            self.log(f"wrote {p}")
        return table

    def indices(self, figures: bool) -> None:
        """Sobol or Morris indices of the chosen outputs, per scenario and for the twin difference."""
        method, compare = self.method, self.compare
        targets = self.hints.get("sobol_outputs") or self.outputs[:4]
        for o in targets:
            for label, kw in [(s, {"scenario": s}) for s in self.scen] + (
                    [(f"{compare[1]}-minus-{compare[0]}", {"difference": tuple(compare)})] if compare else []):
                try:
                    idx = (sobol_indices if method == "sobol" else morris_indices)(self.root, o, **kw)
                except ValueError as err:
                    self.log(f"skipped {method} indices of {o} ({label}): {err}")
                    continue
                stem = f"{method}_{_safe(o)}_{_safe(label)}"
                self.csv(stem, idx, quiet=True)
                if figures:
                    self.written[stem + "_png"] = (plot_sobol if method == "sobol" else plot_morris)(
                        idx, self.out / f"{stem}.png")
        self.log(f"wrote {method} indices to {self.out}")

    def figures(self, summary: pd.DataFrame, diff: pd.DataFrame | None) -> None:
        """Fan charts of the series, the twin difference over the factors, a tornado chart."""
        out, hints, outputs, written, method = self.out, self.hints, self.outputs, self.written, self.method
        fans = hints.get("fan_charts") or list(self.prov.get("outputs", {}).get("series", []))[:3]
        if fans:
            series = load_series(self.root, columns=fans)
            for c in fans:
                written[f"fan_{c}"] = plot_fan(series, c, out / f"fan_{_safe(c)}.png")
        num_factors = [f for f in self.factors if pd.api.types.is_numeric_dtype(self.df[f])]
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
                    written[f"diff_{o}"] = plot_line(diff.assign(scenario=f"{self.compare[1]} − {self.compare[0]}"),
                                                     x, o, out / f"diff_{_safe(o)}.png", zero_line=True)
        tor = hints.get("tornado")
        if tor or (method in ("lhs",) and self.factors):
            o = tor["output"] if tor else _pick(outputs, "total_cost")
            written["tornado"] = plot_tornado(self.df, o, out / "tornado.png", factors=num_factors,
                                              scenario=(tor or {}).get("scenario"))
        self.log(f"wrote {sum(1 for k in written if str(written[k]).endswith('.png'))} figure(s) to {out}")


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
