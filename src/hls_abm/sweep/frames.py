"""The frames the analysis works on: which columns of a results frame are factors and which
are summary outputs, and the small tables the figures draw (weekly bands, tornado ranges)."""

from __future__ import annotations

import pandas as pd

from .store import load_provenance, load_results

__all__ = ["META_COLUMNS", "results_frame", "summary_columns", "factor_columns", "series_bands", "tornado_table"]

#: Columns of a results frame that are neither factors nor outputs.
META_COLUMNS = {"run_id", "point_id", "sample", "scenario", "seed", "steps", "status", "error", "elapsed_s", "worker",
         "finished_at", "params_json", "levers_json"}



def results_frame(results) -> pd.DataFrame:
    """A results frame as given, or the successful runs of a results directory."""
    if isinstance(results, pd.DataFrame):
        return results
    return load_results(results, status="ok")


def summary_columns(df: pd.DataFrame) -> list[str]:
    """The ``<output>.<stat>`` columns of a results frame."""
    if df.attrs.get("outputs"):
        return [c for c in df.attrs["outputs"] if c in df.columns]
    return [c for c in df.columns if c not in META_COLUMNS and "." in c and pd.api.types.is_float_dtype(df[c])
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
        if c in META_COLUMNS or c in summary_columns(df):
            continue
        out.append(c)
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


def tornado_table(results, output: str, factors=None, scenario: str | None = None) -> pd.DataFrame:
    """Mean output at each factor's lowest and highest level (lhs: bottom and top quintile)."""
    df = results_frame(results)
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
